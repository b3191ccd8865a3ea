/* roundtrip.c: a consumer of an *installed* liblfm, built by scripts/test-install.sh three
 * ways (pkg-config shared, pkg-config --static with liblfm.a, CMake find_package(lfm)).
 *
 * Against the mock server (scripts/mock-env.sh exports LFM_BASE_URL, LFM_CA_FILE,
 * LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME, LFM_PASSWORD) it checks: the version, a wrong
 * password (API error 4), a mobile login over HTTPS with the mock's CA, a signed call
 * (track.love), an injected API error (16, retryable), now playing, a scrobble, and the
 * durable queue (push + flush), reading the mock's state back through mock.scrobbles.
 *
 * Usage: roundtrip TAG QUEUE_DIR   (TAG makes this run's track names unique)
 * Prints one line per check; exits 0 only when every check passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lfm.h>

static int failures = 0;

static void check(int ok, const char *what, lfm_error *err) {
    if (ok) {
        printf("  ok   %s\n", what);
    } else {
        failures++;
        printf("  FAIL %s", what);
        if (err != NULL)
            printf(" [%s, api %d, http %u: %s]", lfm_status_str(lfm_error_status(err)),
                   (int)lfm_error_api_code(err), (unsigned)lfm_error_http_status(err),
                   lfm_error_message(err));
        printf("\n");
    }
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "roundtrip: %s is not set (source scripts/mock-env.sh)\n", name);
        exit(2);
    }
    return v;
}

/* mock.scrobbles (unsigned control call) contains `needle`. */
static int mock_has_scrobble(lfm_client *client, const char *needle) {
    char *json = NULL;
    if (lfm_call(client, "mock.scrobbles", NULL, 0, 0, &json, NULL) != LFM_OK) return 0;
    int found = strstr(json, needle) != NULL;
    lfm_string_free(json);
    return found;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: roundtrip TAG QUEUE_DIR\n");
        return 2;
    }
    const char *tag = argv[1];
    lfm_error *err = NULL;
    lfm_status st;
    char *json = NULL;
    char buf[512];

    char expected_version[32];
    snprintf(expected_version, sizeof expected_version, "%d.%d.%d", LFM_VERSION_MAJOR,
             LFM_VERSION_MINOR, LFM_VERSION_PATCH);
    snprintf(buf, sizeof buf, "lfm_version() %s matches the header %s", lfm_version(),
             expected_version);
    check(strcmp(lfm_version(), expected_version) == 0, buf, NULL);

    lfm_client *client = NULL;
    st = lfm_client_new(env("LFM_API_KEY"), env("LFM_API_SECRET"), &client, &err);
    check(st == LFM_OK && client != NULL, "lfm_client_new", err);
    if (st != LFM_OK) return 1;
    check(lfm_client_set_base_url(client, env("LFM_BASE_URL"), &err) == LFM_OK, "set_base_url (https)", err);
    check(lfm_client_set_ca_file(client, env("LFM_CA_FILE"), &err) == LFM_OK, "set_ca_file (the mock's CA)", err);
    check(lfm_client_set_rate_limit(client, 0, &err) == LFM_OK, "set_rate_limit 0", err);
    check(lfm_client_set_timeout_ms(client, 15000, &err) == LFM_OK, "set_timeout_ms", err);

    /* A wrong password: LFM_ERR_API, Last.fm error 4. */
    st = lfm_get_mobile_session(client, env("LFM_USERNAME"), "not the password", NULL, NULL, &err);
    check(st == LFM_ERR_API && lfm_error_api_code(err) == 4 && lfm_error_http_status(err) != 0 &&
              !lfm_error_is_retryable(err),
          "wrong password -> LFM_ERR_API, api code 4, not retryable", NULL);
    lfm_error_free(err);
    err = NULL;

    /* Mobile session over HTTPS. */
    char *sk = NULL, *name = NULL;
    st = lfm_get_mobile_session(client, env("LFM_USERNAME"), env("LFM_PASSWORD"), &sk, &name, &err);
    check(st == LFM_OK && sk != NULL && sk[0] != '\0' && name != NULL && strcmp(name, "RJ") == 0,
          "auth.getMobileSession over HTTPS -> session key, name RJ", err);
    if (st != LFM_OK) return 1;

    /* A signed write call. */
    lfm_param love[] = {{"artist", "Bj\xc3\xb6rk"}, {"track", "J\xc3\xb3ga"}};
    st = lfm_call(client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err);
    check(st == LFM_OK && json != NULL && strstr(json, "\"error\"") == NULL,
          "track.love (signed POST with session key)", err);
    lfm_string_free(json);
    json = NULL;

    /* An injected API error surfaces with its code. */
    lfm_param fault[] = {{"kind", "api_error"}, {"code", "16"}};
    st = lfm_call(client, "mock.fault", fault, 2, 0, &json, &err);
    check(st == LFM_OK, "mock.fault api_error 16 queued", err);
    lfm_string_free(json);
    json = NULL;
    lfm_param info[] = {{"user", "RJ"}};
    st = lfm_call(client, "user.getInfo", info, 1, 0, &json, &err);
    check(st == LFM_ERR_API && lfm_error_api_code(err) == 16 && lfm_error_is_retryable(err),
          "injected error -> LFM_ERR_API, api code 16, retryable", NULL);
    lfm_error_free(err);
    err = NULL;

    /* Now playing, then a direct scrobble. */
    time_t now = time(NULL);
    char np_title[128], scrobble_title[128];
    snprintf(np_title, sizeof np_title, "np %s", tag);
    snprintf(scrobble_title, sizeof scrobble_title, "scrobble %s", tag);
    lfm_track t;
    memset(&t, 0, sizeof t);
    t.artist = "Bj\xc3\xb6rk";
    t.track = np_title;
    t.album = "Homogenic";
    t.duration_secs = 305;
    check(lfm_update_now_playing(client, &t, &err) == LFM_OK, "track.updateNowPlaying", err);

    t.track = scrobble_title;
    t.timestamp = (int64_t)now - 300;
    lfm_scrobble_result *result = NULL;
    st = lfm_scrobble(client, &t, 1, &result, &err);
    check(st == LFM_OK && lfm_scrobble_result_accepted(result) == 1 &&
              lfm_scrobble_result_ignored_code(result, 0) == 0,
          "lfm_scrobble -> 1 accepted", err);
    lfm_scrobble_result_free(result);
    check(mock_has_scrobble(client, scrobble_title), "the mock stored the scrobble", NULL);

    /* The durable queue: push two plays, flush them. */
    char path[1024];
    snprintf(path, sizeof path, "%s/roundtrip-%s.lfmq", argv[2], tag);
    lfm_queue *queue = NULL;
    st = lfm_queue_open(path, &queue, &err);
    check(st == LFM_OK, "lfm_queue_open", err);
    if (st != LFM_OK) return 1;
    char q1[128], q2[128];
    snprintf(q1, sizeof q1, "queued one %s", tag);
    snprintf(q2, sizeof q2, "queued two %s", tag);
    t.track = q1;
    t.timestamp = (int64_t)now - 240;
    int pushed = lfm_queue_push(queue, &t, &err) == LFM_OK;
    t.track = q2;
    t.timestamp = (int64_t)now - 120;
    pushed = pushed && lfm_queue_push(queue, &t, &err) == LFM_OK;
    size_t len = 0;
    pushed = pushed && lfm_queue_len(queue, &len, &err) == LFM_OK && len == 2;
    check(pushed, "lfm_queue_push x2 -> len 2", err);
    size_t sent = 0;
    st = lfm_queue_flush(queue, client, &sent, &err);
    check(st == LFM_OK && sent == 2, "lfm_queue_flush -> 2 sent", err);
    check(lfm_queue_len(queue, &len, NULL) == LFM_OK && len == 0, "queue empty after flush", NULL);
    check(mock_has_scrobble(client, q1) && mock_has_scrobble(client, q2),
          "the mock stored both queued plays", NULL);
    lfm_queue_free(queue);

    lfm_string_free(sk);
    lfm_string_free(name);
    lfm_client_free(client);
    printf("roundtrip (C): %s\n", failures == 0 ? "all checks passed" : "FAILURES");
    return failures == 0 ? 0 : 1;
}
