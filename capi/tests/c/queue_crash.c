/* queue_crash: pushes plays into a queue and flushes it, forever, printing what it does, so
 * that a test can SIGKILL it at random points and check that nothing acknowledged is lost.
 *
 *   try N   printed before lfm_queue_push of play N (it may or may not have been stored)
 *   ok N    printed after lfm_queue_push of play N returned LFM_OK (it must arrive)
 *
 * Usage: queue_crash FIRST_INDEX            push plays FIRST_INDEX, FIRST_INDEX+1, ...
 *        queue_crash drain                  flush until the queue is empty, then exit
 * Environment: LFM_QUEUE_PATH, LFM_BASE_URL, LFM_CA_FILE, LFM_API_KEY, LFM_API_SECRET,
 * LFM_SESSION_KEY, LFM_CRASH_NEWEST_TIME (the timestamp of play 0: play N is stamped N seconds
 * earlier, wrapping after PLAY_WINDOW_SECS, so however many plays a fast machine pushes before
 * the kill, each stays in the past and inside the 14 days Last.fm accepts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfm.h"

/* 13 days, as PLAY_WINDOW_SECS and play_time in tests/support/mod.rs. */
#define PLAY_WINDOW_SECS (13L * 86400L)

static const char *check_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: queue_crash FIRST_INDEX | drain\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    lfm_client *client = NULL;
    lfm_queue *queue = NULL;
    lfm_error *err = NULL;
    if (lfm_client_new(check_env("LFM_API_KEY"), check_env("LFM_API_SECRET"), &client, &err) != LFM_OK ||
        lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), &err) != LFM_OK ||
        lfm_client_set_ca_file(client, check_env("LFM_CA_FILE"), &err) != LFM_OK ||
        lfm_client_set_session_key(client, check_env("LFM_SESSION_KEY"), &err) != LFM_OK ||
        lfm_client_set_rate_limit(client, 0, &err) != LFM_OK ||
        lfm_queue_open(check_env("LFM_QUEUE_PATH"), &queue, &err) != LFM_OK) {
        fprintf(stderr, "setup failed: %s\n", lfm_error_message(err));
        return 2;
    }
    long long newest_time = strtoll(check_env("LFM_CRASH_NEWEST_TIME"), NULL, 10);

    if (strcmp(argv[1], "drain") == 0) {
        size_t len = 1;
        for (int round = 0; round < 20 && len > 0; round++) {
            if (lfm_queue_flush(queue, client, NULL, &err) != LFM_OK) {
                fprintf(stderr, "drain flush: %s\n", lfm_error_message(err));
                lfm_error_free(err);
                err = NULL;
            }
            lfm_queue_len(queue, &len, NULL);
        }
        printf("drained, %zu left\n", len);
        lfm_queue_free(queue);
        lfm_client_free(client);
        return len == 0 ? 0 : 1;
    }

    long first = strtol(argv[1], NULL, 10);
    char artist[64], title[64];
    for (long i = first;; i++) {
        snprintf(artist, sizeof artist, "Crash artist %ld", i % 7);
        snprintf(title, sizeof title, "Crash play %ld", i);
        lfm_track play;
        memset(&play, 0, sizeof play);
        play.artist = artist;
        play.track = title;
        play.timestamp = (int64_t)(newest_time - i % PLAY_WINDOW_SECS);
        play.duration_secs = 180;
        printf("try %ld\n", i);
        if (lfm_queue_push(queue, &play, &err) == LFM_OK) {
            printf("ok %ld\n", i);
        } else {
            fprintf(stderr, "push %ld: %s\n", i, lfm_error_message(err));
            lfm_error_free(err);
            err = NULL;
        }
        if (i % 5 == 4 && lfm_queue_flush(queue, client, NULL, &err) != LFM_OK) {
            fprintf(stderr, "flush: %s\n", lfm_error_message(err));
            lfm_error_free(err);
            err = NULL;
        }
    }
}
