/* The login flows, services, transport settings and logging of liblfm, exercised from C
 * against the mock. Environment as for test_api.c.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lfm.h"

#define BAD_UTF8 "caf\xc3\x28"

static void expect_error(lfm_error *err, lfm_status status, int32_t api_code) {
    CHECK(err != NULL);
    if (err == NULL) return;
    CHECK_STATUS(lfm_error_status(err), status);
    CHECK(lfm_error_api_code(err) == api_code);
    lfm_error_free(err);
}

static lfm_client *new_client(void) {
    lfm_client *client = NULL;
    CHECK_STATUS(lfm_client_new(check_env("LFM_API_KEY"), check_env("LFM_API_SECRET"), &client, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_ca_file(client, check_env("LFM_CA_FILE"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_rate_limit(client, 0, NULL), LFM_OK);
    return client;
}

/* ---- a log sink that keeps every line, safe to call from many threads ---- */
struct captured {
    pthread_mutex_t lock;
    char lines[256][1024];
    int levels[256];
    int count;
};

static void capture(void *user_data, int32_t level, const char *message) {
    struct captured *c = user_data;
    pthread_mutex_lock(&c->lock);
    if (c->count < 256) {
        snprintf(c->lines[c->count], sizeof c->lines[0], "%s", message);
        c->levels[c->count] = level;
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
}

static int any_line_contains(struct captured *c, const char *needle) {
    for (int i = 0; i < c->count; i++)
        if (strstr(c->lines[i], needle)) return 1;
    return 0;
}

static void test_token_flow(void) {
    lfm_client *client = new_client();
    lfm_error *err = NULL;
    char *token = NULL, *key = NULL, *name = NULL;

    CHECK_STATUS(lfm_get_token(client, &token, &err), LFM_OK);
    CHECK(token != NULL && strlen(token) == 32);

    /* Not approved yet: API error 14, not retryable, outputs NULL. */
    key = name = (char *)"sentinel";
    CHECK_STATUS(lfm_get_session(client, token, &key, &name, &err), LFM_ERR_API);
    CHECK(key == NULL && name == NULL);
    CHECK(err && !lfm_error_is_retryable(err));
    expect_error(err, LFM_ERR_API, 14);

    /* The user approves (the mock's control method stands in for the browser). */
    lfm_param approve[] = {{"token", token}};
    char *json = NULL;
    CHECK_STATUS(lfm_call(client, "mock.approveToken", approve, 1, 0, &json, NULL), LFM_OK);
    lfm_string_free(json);
    CHECK_STATUS(lfm_get_session(client, token, &key, &name, &err), LFM_OK);
    CHECK(key != NULL && strlen(key) == 32);
    CHECK(name != NULL && strcmp(name, check_env("LFM_USERNAME")) == 0);
    lfm_string_free(key);
    lfm_string_free(name);

    /* The key is now in the client: a write call works. */
    lfm_param love[] = {{"artist", "Cher"}, {"track", "Believe"}};
    CHECK_STATUS(lfm_call(client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err), LFM_OK);
    lfm_string_free(json);

    /* A token works once; an unknown one is error 4. */
    CHECK_STATUS(lfm_get_session(client, token, NULL, NULL, &err), LFM_ERR_API);
    expect_error(err, LFM_ERR_API, 15);
    CHECK_STATUS(lfm_get_session(client, "ffffffffffffffffffffffffffffffff", NULL, NULL, &err), LFM_ERR_API);
    expect_error(err, LFM_ERR_API, 4);
    lfm_string_free(token);

    /* An expired token is 15 too. */
    CHECK_STATUS(lfm_get_token(client, &token, NULL), LFM_OK);
    lfm_param expire[] = {{"token", token}};
    CHECK_STATUS(lfm_call(client, "mock.expireToken", expire, 1, 0, &json, NULL), LFM_OK);
    lfm_string_free(json);
    CHECK_STATUS(lfm_get_session(client, token, NULL, NULL, &err), LFM_ERR_API);
    expect_error(err, LFM_ERR_API, 15);
    lfm_string_free(token);

    /* NULL arguments. */
    CHECK_STATUS(lfm_get_token(NULL, &token, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_get_token(client, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_get_session(NULL, "t", NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_get_session(client, NULL, NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_get_session(client, BAD_UTF8, NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    lfm_client_free(client);
}

static void test_auth_urls_and_services(void) {
    lfm_client *client = NULL;
    lfm_error *err = NULL;
    char *url = NULL;
    CHECK_STATUS(lfm_client_new("KEY+1", "secret", &client, NULL), LFM_OK);

    CHECK_STATUS(lfm_auth_url(client, "TOK", NULL, &url, &err), LFM_OK);
    CHECK(url && strcmp(url, "https://www.last.fm/api/auth/?api_key=KEY%2B1&token=TOK") == 0);
    lfm_string_free(url);
    CHECK_STATUS(lfm_auth_url(client, NULL, "https://player.example/done?a=1&b=2", &url, &err), LFM_OK);
    CHECK(url && strcmp(url, "https://www.last.fm/api/auth/?api_key=KEY%2B1&cb=https%3A%2F%2Fplayer.example%2Fdone%3Fa%3D1%26b%3D2") == 0);
    lfm_string_free(url);

    CHECK_STATUS(lfm_client_set_service(client, LFM_SERVICE_LIBREFM, &err), LFM_OK);
    CHECK_STATUS(lfm_auth_url(client, "TOK", NULL, &url, &err), LFM_OK);
    CHECK(url && strcmp(url, "https://libre.fm/api/auth/?api_key=KEY%2B1&token=TOK") == 0);
    lfm_string_free(url);
    CHECK_STATUS(lfm_client_set_service(client, 7, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_service(NULL, LFM_SERVICE_LASTFM, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);

    CHECK_STATUS(lfm_client_set_auth_url(client, "https://gnufm.example/api/auth/", &err), LFM_OK);
    CHECK_STATUS(lfm_auth_url(client, "T", "http://localhost:8080/cb", &url, &err), LFM_OK);
    CHECK(url && strcmp(url, "https://gnufm.example/api/auth/?api_key=KEY%2B1&token=T&cb=http%3A%2F%2Flocalhost%3A8080%2Fcb") == 0);
    lfm_string_free(url);
    CHECK_STATUS(lfm_client_set_auth_url(client, "mailto:x", &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_auth_url(client, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_auth_url(NULL, "https://x/", &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);

    url = (char *)"sentinel";
    CHECK_STATUS(lfm_auth_url(client, "", NULL, &url, &err), LFM_ERR_INVALID_ARGUMENT);
    CHECK(url == NULL);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_auth_url(client, NULL, "no scheme", &url, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_auth_url(client, BAD_UTF8, NULL, &url, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_auth_url(client, NULL, NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_auth_url(NULL, NULL, NULL, &url, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    lfm_client_free(client);
}

static void test_transport_settings(void) {
    lfm_client *client = new_client();
    lfm_error *err = NULL;
    char *json = NULL;
    lfm_param user[] = {{"user", "rj"}};

    /* A proxy nobody listens on: a network error. Then direct again. */
    CHECK_STATUS(lfm_client_set_proxy(client, "http://127.0.0.1:9", &err), LFM_OK);
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_ERR_NETWORK);
    expect_error(err, LFM_ERR_NETWORK, 0);
    CHECK_STATUS(lfm_client_set_proxy(client, "socks5://127.0.0.1:9", &err), LFM_OK);
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_ERR_NETWORK);
    expect_error(err, LFM_ERR_NETWORK, 0);
    CHECK_STATUS(lfm_client_set_proxy(client, NULL, &err), LFM_OK);
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_OK);
    lfm_string_free(json);
    CHECK_STATUS(lfm_client_set_proxy(client, "::not a url::", &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_proxy(client, BAD_UTF8, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_proxy(NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);

    /* Root stores: the CA file is trusted on top of either. */
    lfm_status system = lfm_client_set_root_store(client, LFM_ROOTS_SYSTEM, &err);
    CHECK(system == LFM_OK || system == LFM_ERR_IO);
    if (system == LFM_OK) {
        CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_OK);
        lfm_string_free(json);
    } else {
        lfm_error_free(err);
    }
    CHECK_STATUS(lfm_client_set_root_store(client, LFM_ROOTS_BUNDLED, &err), LFM_OK);
    CHECK_STATUS(lfm_client_set_root_store(client, 42, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_root_store(NULL, LFM_ROOTS_BUNDLED, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);

    CHECK_STATUS(lfm_client_set_connect_timeout_ms(client, 0, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_connect_timeout_ms(NULL, 100, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_connect_timeout_ms(client, 2000, &err), LFM_OK);
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_OK);
    lfm_string_free(json);
    lfm_client_free(client);
}

static void test_logging_keeps_secrets(void) {
    static struct captured log;
    pthread_mutex_init(&log.lock, NULL);
    log.count = 0;
    lfm_client *client = new_client();
    lfm_error *err = NULL;
    char *json = NULL, *key = NULL;
    const char *password = check_env("LFM_PASSWORD");

    CHECK_STATUS(lfm_client_set_logger(client, capture, 0, &log, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_logger(client, capture, 5, &log, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_logger(NULL, capture, LFM_LOG_DEBUG, &log, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT, 0);
    CHECK_STATUS(lfm_client_set_logger(client, capture, LFM_LOG_DEBUG, &log, &err), LFM_OK);

    /* A session: a failed login, a login, a call, a failed call. */
    char error_texts[2][512] = {"", ""};
    CHECK_STATUS(lfm_get_mobile_session(client, check_env("LFM_USERNAME"), "wrong horse battery", NULL, NULL, &err), LFM_ERR_API);
    snprintf(error_texts[0], sizeof error_texts[0], "%s", lfm_error_message(err));
    lfm_error_free(err);
    CHECK_STATUS(lfm_get_mobile_session(client, check_env("LFM_USERNAME"), password, &key, NULL, &err), LFM_OK);
    lfm_param love[] = {{"artist", "Cher"}, {"track", "Believe"}};
    CHECK_STATUS(lfm_call(client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err), LFM_OK);
    lfm_string_free(json);
    lfm_param nobody[] = {{"user", "nobody-here"}};
    CHECK_STATUS(lfm_call(client, "user.getInfo", nobody, 1, LFM_CALL_SIGNED | LFM_CALL_SESSION, &json, &err), LFM_ERR_API);
    snprintf(error_texts[1], sizeof error_texts[1], "%s", lfm_error_message(err));
    lfm_error_free(err);
    char *last = NULL;
    CHECK_STATUS(lfm_call(client, "mock.lastRequest", NULL, 0, 0, &last, NULL), LFM_OK);
    /* The api_sig of the failed call, read from what the server received. */
    char api_sig[33] = {0};
    const char *at = last ? strstr(last, "\"api_sig\":\"") : NULL;
    if (at) memcpy(api_sig, at + 11, 32);
    lfm_string_free(last);

    CHECK(log.count >= 8);
    CHECK(any_line_contains(&log, "auth.getMobileSession"));
    CHECK(any_line_contains(&log, "password=<redacted>"));
    CHECK(any_line_contains(&log, "session established for"));
    CHECK(any_line_contains(&log, "user.getInfo failed"));
    int levels_seen[5] = {0};
    for (int i = 0; i < log.count; i++)
        if (log.levels[i] >= 1 && log.levels[i] <= 4) levels_seen[log.levels[i]] = 1;
    CHECK(levels_seen[LFM_LOG_ERROR] && levels_seen[LFM_LOG_INFO] && levels_seen[LFM_LOG_DEBUG]);

    const char *secrets[] = {password, "wrong horse battery", key, api_sig,
                             check_env("LFM_API_KEY"), check_env("LFM_API_SECRET")};
    for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++) {
        CHECK(secrets[s] != NULL && strlen(secrets[s]) >= 8);
        if (secrets[s] == NULL) continue;
        CHECK(!any_line_contains(&log, secrets[s]));
        for (int e = 0; e < 2; e++) CHECK(strstr(error_texts[e], secrets[s]) == NULL);
    }
    CHECK(error_texts[0][0] != '\0' && error_texts[1][0] != '\0');
    lfm_string_free(key);

    /* NULL turns logging off. */
    CHECK_STATUS(lfm_client_set_logger(client, NULL, 0, NULL, &err), LFM_OK);
    int before = log.count;
    lfm_param user[] = {{"user", "rj"}};
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 0, &json, &err), LFM_OK);
    lfm_string_free(json);
    CHECK(log.count == before);
    lfm_client_free(client);
    pthread_mutex_destroy(&log.lock);
}

/* A counter of the mock's, read with mock.stats (control methods carry no credential, so
 * they go over plain http too); -1 if it cannot be read. */
static long mock_counter(lfm_client *client, const char *name) {
    char *json = NULL, needle[64];
    long n = -1;
    snprintf(needle, sizeof needle, "\"%s\":", name);
    if (lfm_call(client, "mock.stats", NULL, 0, 0, &json, NULL) == LFM_OK) {
        const char *at = strstr(json, needle);
        if (at) n = strtol(at + strlen(needle), NULL, 10);
    }
    lfm_string_free(json);
    return n;
}

/* `call` fails with LFM_ERR_INSECURE into `err`, whose message does not contain `secret`. */
#define EXPECT_INSECURE(call, secret)                                          \
    do {                                                                       \
        CHECK_STATUS(call, LFM_ERR_INSECURE);                                  \
        CHECK(err && strstr(lfm_error_message(err), (secret)) == NULL);        \
        expect_error(err, LFM_ERR_INSECURE, 0);                                \
        err = NULL;                                                            \
    } while (0)

/* Every request that carries a credential is refused over plain http before anything is
 * sent (the mock parses no request), by every route; opting in sends it. */
static void test_credentials_need_https(void) {
    lfm_client *client = new_client();
    lfm_error *err = NULL;
    char *json = NULL, *key = NULL, *token = NULL;
    const char *username = check_env("LFM_USERNAME"), *password = check_env("LFM_PASSWORD");
    CHECK_STATUS(lfm_get_mobile_session(client, username, password, &key, NULL, &err), LFM_OK);
    if (key == NULL) return;
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_HTTP_BASE_URL"), NULL), LFM_OK);

    long before = mock_counter(client, "requests");
    CHECK(before > 0);
    lfm_param love[] = {{"artist", "Cher"}, {"track", "Believe"}};
    lfm_param login[] = {{"username", username}, {"password", password}};
    lfm_param exchange[] = {{"token", "0123456789abcdef0123456789abcdef"}};
    lfm_track play = {"Cher", "Believe", NULL, NULL, NULL, (int64_t)time(NULL) - 600, 200, 0, LFM_CHOSEN_UNKNOWN};
    lfm_scrobble_result *result = NULL;
    EXPECT_INSECURE(lfm_call(client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err), key);
    EXPECT_INSECURE(lfm_call(client, "user.getInfo", NULL, 0, LFM_CALL_SIGNED | LFM_CALL_SESSION, &json, &err), key);
    EXPECT_INSECURE(lfm_call(client, "auth.getMobileSession", login, 2, LFM_CALL_SIGNED | LFM_CALL_POST, &json, &err), password);
    EXPECT_INSECURE(lfm_get_mobile_session(client, username, password, NULL, NULL, &err), password);
    EXPECT_INSECURE(lfm_call(client, "auth.getSession", exchange, 1, LFM_CALL_SIGNED, &json, &err), key);
    EXPECT_INSECURE(lfm_get_session(client, exchange[0].value, NULL, NULL, &err), key);
    EXPECT_INSECURE(lfm_update_now_playing(client, &play, &err), key);
    EXPECT_INSECURE(lfm_scrobble(client, &play, 1, &result, &err), key);
    CHECK(json == NULL && result == NULL);
    /* Only the second mock.stats reached the server. */
    CHECK(mock_counter(client, "requests") == before + 1);

    CHECK_STATUS(lfm_client_set_allow_insecure_http(client, true, NULL), LFM_OK);
    CHECK_STATUS(lfm_call(client, "track.love", love, 2, LFM_CALL_WRITE, &json, &err), LFM_OK);
    lfm_string_free(json);
    CHECK_STATUS(lfm_call(client, "mock.lastRequest", NULL, 0, 0, &json, NULL), LFM_OK);
    CHECK(json && strstr(json, "\"scheme\":\"http\"") && strstr(json, "track.love"));
    lfm_string_free(json);

    /* A reply cut short inside the token: the message's preview of the body hides it. */
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    lfm_param fault[] = {{"kind", "truncated_json"}};
    CHECK_STATUS(lfm_call(client, "mock.fault", fault, 1, 0, &json, NULL), LFM_OK);
    lfm_string_free(json);
    CHECK_STATUS(lfm_get_token(client, &token, &err), LFM_ERR_PARSE);
    CHECK(token == NULL);
    CHECK(err && strstr(lfm_error_message(err), "{\\\"token\\\":\\\"<redacted>") != NULL);
    if (err) printf("truncated token reply: %s\n", lfm_error_message(err));
    expect_error(err, LFM_ERR_PARSE, 0);
    lfm_string_free(key);
    lfm_client_free(client);
}

int main(void) {
    test_credentials_need_https();
    test_token_flow();
    test_auth_urls_and_services();
    test_transport_settings();
    test_logging_keeps_secrets();
    return check_summary();
}
