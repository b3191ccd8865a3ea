/* A minimal test harness for liblfm's C tests: CHECK records a failure and goes on;
 * check_summary() prints the closing "N passed, N failed" line and gives the exit code;
 * check_mock() calls a control method of the mock server. */
#ifndef LFM_CHECK_H
#define LFM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfm.h"

static int check_passed = 0;
static int check_failed = 0;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            check_passed++;                                                    \
        } else {                                                               \
            check_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                      \
    } while (0)

#define CHECK_STATUS(got, want)                                                \
    do {                                                                       \
        int check_got_ = (int)(got);                                           \
        int check_want_ = (int)(want);                                         \
        if (check_got_ == check_want_) {                                       \
            check_passed++;                                                    \
        } else {                                                               \
            check_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s gave %d (%s), want %d (%s)\n",     \
                    __FILE__, __LINE__, #got, check_got_,                      \
                    lfm_status_str(check_got_), check_want_,                   \
                    lfm_status_str(check_want_));                              \
        }                                                                      \
    } while (0)

/* Read a required environment variable or exit. */
static const char *check_env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "environment variable %s is not set\n", name);
        exit(2);
    }
    return value;
}

/* Call a control method of the mock server (mock.fault, mock.loadPlays, ...) and return its
 * body (free it with lfm_string_free); exit(2) when it fails: the test cannot go on. */
static inline char *check_mock(lfm_client *client, const char *method, const lfm_param *params,
                               size_t n) {
    char *json = NULL;
    lfm_error *err = NULL;
    if (lfm_call(client, method, params, n, 0, &json, &err) != LFM_OK) {
        fprintf(stderr, "mock control %s failed: %s\n", method, lfm_error_message(err));
        lfm_error_free(err);
        exit(2);
    }
    return json;
}

static int check_summary(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif
