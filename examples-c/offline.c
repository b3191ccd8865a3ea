/* offline: a player that never loses a play.
 *
 *   offline queue  QUEUE_FILE   queue three plays and try to send them with the session key
 *                               the player saved (LFM_SESSION_KEY); the server may be down:
 *                               the plays stay on disk
 *   offline flush  QUEUE_FILE   log in and send whatever is queued, then list what is left
 *
 * Environment as for session.c: LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME, LFM_PASSWORD,
 * LFM_BASE_URL (optional), LFM_CA_FILE (optional), LFM_TIMEOUT_MS (optional; default 3000:
 * a player offline should not wait long). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lfm.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    return (v && v[0]) ? v : NULL;
}

static lfm_client *make_client(void) {
    lfm_client *client = NULL;
    lfm_error *err = NULL;
    if (!env("LFM_API_KEY") || !env("LFM_API_SECRET")) {
        fprintf(stderr, "offline: set LFM_API_KEY and LFM_API_SECRET\n");
        exit(2);
    }
    if (lfm_client_new(env("LFM_API_KEY"), env("LFM_API_SECRET"), &client, &err) != LFM_OK) {
        fprintf(stderr, "offline: %s\n", lfm_error_message(err));
        exit(1);
    }
    if (env("LFM_BASE_URL")) lfm_client_set_base_url(client, env("LFM_BASE_URL"), NULL);
    if (env("LFM_CA_FILE")) lfm_client_set_ca_file(client, env("LFM_CA_FILE"), NULL);
    const char *timeout = env("LFM_TIMEOUT_MS");
    lfm_client_set_timeout_ms(client, timeout ? (uint32_t)strtoul(timeout, NULL, 10) : 3000, NULL);
    if (env("LFM_SESSION_KEY")) lfm_client_set_session_key(client, env("LFM_SESSION_KEY"), NULL);
    return client;
}

static void show_queue(lfm_queue *queue) {
    size_t pending = 0;
    lfm_queue_len(queue, &pending, NULL);
    lfm_queue_entries *entries = NULL;
    lfm_queue_list(queue, &entries, NULL);
    printf("  queue: %zu pending, %zu listed\n", pending, lfm_queue_entries_count(entries));
    for (size_t i = 0; i < lfm_queue_entries_count(entries); i++) {
        lfm_queue_entry e;
        if (lfm_queue_entries_get(entries, i, &e, NULL) != LFM_OK) continue;
        printf("    #%llu %s - %s (%s%s%s)\n", (unsigned long long)e.id, e.track.artist, e.track.track,
               e.rejected ? "rejected: " : "pending",
               e.rejected ? e.reason : (e.last_error ? ", last error: " : ""),
               e.rejected ? "" : (e.last_error ? e.last_error : ""));
    }
    lfm_queue_entries_free(entries);
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "queue") != 0 && strcmp(argv[1], "flush") != 0)) {
        fprintf(stderr, "usage: offline queue|flush QUEUE_FILE\n");
        return 2;
    }
    lfm_queue *queue = NULL;
    lfm_error *err = NULL;
    if (lfm_queue_open(argv[2], &queue, &err) != LFM_OK) {
        fprintf(stderr, "offline: cannot open the queue: %s\n", lfm_error_message(err));
        lfm_error_free(err);
        return 1;
    }
    lfm_client *client = make_client();
    int ok = 1;

    if (strcmp(argv[1], "queue") == 0) {
        /* A play is queued once it is eligible; push never touches the network. */
        const char *titles[3] = {"Hunter", "Bachelorette", "All Is Full of Love"};
        long started = (long)time(NULL) - 900;
        for (int i = 0; i < 3; i++) {
            lfm_track play;
            memset(&play, 0, sizeof play);
            play.artist = "Bj\xc3\xb6rk";
            play.track = titles[i];
            play.album = "Homogenic";
            play.duration_secs = 250;
            play.timestamp = started + i * 260;
            if (lfm_scrobble_eligible(play.duration_secs, 250) &&
                lfm_queue_push(queue, &play, &err) == LFM_OK) {
                printf("  queued: %s (on disk now)\n", titles[i]);
            } else {
                printf("  push failed: %s\n", lfm_error_message(err));
                lfm_error_free(err);
                err = NULL;
                ok = 0;
            }
        }
        size_t sent = 0;
        lfm_status status = lfm_queue_flush(queue, client, &sent, &err);
        if (status == LFM_OK) {
            printf("  flushed %zu play(s)\n", sent);
        } else {
            printf("  flush failed: %s (%s)", lfm_status_str(status), lfm_error_message(err));
            if (lfm_error_is_retryable(err)) {
                printf("; retry in about %u s", (unsigned)(lfm_error_retry_after_ms(err) / 1000));
            }
            printf("; nothing is lost\n");
            lfm_error_free(err);
        }
    } else {
        if (!env("LFM_USERNAME") || !env("LFM_PASSWORD") ||
            lfm_get_mobile_session(client, env("LFM_USERNAME"), env("LFM_PASSWORD"), NULL, NULL, &err) != LFM_OK) {
            printf("  login failed: %s\n", err ? lfm_error_message(err) : "set LFM_USERNAME and LFM_PASSWORD");
            lfm_error_free(err);
            ok = 0;
        } else {
            size_t sent = 0;
            if (lfm_queue_flush(queue, client, &sent, &err) == LFM_OK) {
                printf("  the server is back: %zu queued play(s) delivered\n", sent);
            } else {
                printf("  flush failed: %s\n", lfm_error_message(err));
                lfm_error_free(err);
                ok = 0;
            }
        }
    }
    show_queue(queue);
    lfm_queue_free(queue);
    lfm_client_free(client);
    return ok ? 0 : 1;
}
