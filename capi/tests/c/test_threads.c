/* 8 threads share one client and make 200 calls each (unsigned GETs and signed POSTs, with
 * a setter racing them); every call must succeed, and the server must have seen far fewer
 * TCP connections than calls (keep-alive across calls and threads).
 * Environment as for test_api.c. Prints "N passed, N failed". */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lfm.h"

#define THREADS 8
#define CALLS_PER_THREAD 200

static lfm_client *shared_client;

struct worker {
    int index;
    int ok;
    int failed;
};

static void *work(void *arg) {
    struct worker *w = arg;
    lfm_param user[] = {{"user", "rj"}};
    lfm_param love[] = {{"artist", "Thread"}, {"track", "Safe"}};
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char *json = NULL;
        lfm_error *err = NULL;
        lfm_status status;
        if (i % 4 == 3) {
            status = lfm_call(shared_client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err);
        } else {
            status = lfm_call(shared_client, "user.getInfo", user, 1, 0, &json, &err);
        }
        if (i % 50 == 0) {
            /* Setters are safe while other threads call. */
            lfm_client_set_user_agent(shared_client, w->index % 2 ? "liblfm-a/1" : "liblfm-b/1", NULL);
        }
        if (status == LFM_OK && json != NULL) {
            w->ok++;
        } else {
            w->failed++;
            fprintf(stderr, "thread %d call %d: %s\n", w->index, i, lfm_error_message(err));
        }
        lfm_string_free(json);
        lfm_error_free(err);
    }
    return NULL;
}

/* Read an integer member "name":N out of a flat JSON object. */
static long json_int(const char *json, const char *name) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    const char *at = strstr(json, pattern);
    return at ? strtol(at + strlen(pattern), NULL, 10) : -1;
}

int main(void) {
    lfm_error *err = NULL;
    CHECK_STATUS(lfm_client_new(check_env("LFM_API_KEY"), check_env("LFM_API_SECRET"), &shared_client, &err), LFM_OK);
    CHECK_STATUS(lfm_client_set_base_url(shared_client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_ca_file(shared_client, check_env("LFM_CA_FILE"), NULL), LFM_OK);
    /* Measure sharing, not Last.fm's 5 requests/s pacing (tested on its own). */
    CHECK_STATUS(lfm_client_set_rate_limit(shared_client, 0, NULL), LFM_OK);
    CHECK_STATUS(lfm_get_mobile_session(shared_client, check_env("LFM_USERNAME"), check_env("LFM_PASSWORD"), NULL, NULL, &err), LFM_OK);

    char *before = NULL;
    CHECK_STATUS(lfm_call(shared_client, "mock.stats", NULL, 0, 0, &before, NULL), LFM_OK);
    long connections_before = before ? json_int(before, "connections") : -1;
    lfm_string_free(before);

    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].index = i;
        workers[i].ok = workers[i].failed = 0;
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        ok += workers[i].ok;
        failed += workers[i].failed;
    }
    CHECK(ok == THREADS * CALLS_PER_THREAD);
    CHECK(failed == 0);

    char *after = NULL;
    CHECK_STATUS(lfm_call(shared_client, "mock.stats", NULL, 0, 0, &after, NULL), LFM_OK);
    long connections = (after ? json_int(after, "connections") : -1) - connections_before;
    lfm_string_free(after);
    printf("calls: %d ok, %d failed; new TCP connections: %ld\n", ok, failed, connections);
    /* About one connection per thread, kept alive; setters keep the pool. */
    CHECK(connections > 0 && connections <= THREADS * 4);

    lfm_client_free(shared_client);
    return check_summary();
}
