/* session: a player's first minute with liblfm.
 *
 * Logs in with a password (auth.getMobileSession over HTTPS), reads the profile
 * (user.getInfo, unsigned GET), sends now-playing and a scrobble (signed POSTs through
 * lfm_call), and shows how a wrong password comes back (LFM_ERR_API, code 4).
 *
 * Configuration comes from the environment, so the same program runs against Last.fm or
 * the bundled mock server (`make demo` sets these for you):
 *   LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME, LFM_PASSWORD
 *   LFM_BASE_URL (optional; default https://ws.audioscrobbler.com/2.0/)
 *   LFM_CA_FILE  (optional; extra trusted CA in PEM, e.g. the mock's)
 *   LFM_TIMEOUT_MS (optional; default 10000: the most one request may take) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lfm.h"

static const char *env(const char *name, int required) {
    const char *v = getenv(name);
    if (required && (v == NULL || v[0] == '\0')) {
        fprintf(stderr, "session: set %s\n", name);
        exit(2);
    }
    return (v && v[0]) ? v : NULL;
}

/* Print a failure the way a player would log it, then free the error. */
static void report(const char *what, lfm_status status, lfm_error *err) {
    printf("  %s failed: %s (status %d", what, lfm_status_str(status), (int)status);
    if (lfm_error_api_code(err) != 0) printf(", Last.fm error %d", (int)lfm_error_api_code(err));
    if (lfm_error_http_status(err) != 0) printf(", HTTP %u", (unsigned)lfm_error_http_status(err));
    printf(", %s): %s\n", lfm_error_is_retryable(err) ? "retryable" : "not retryable",
           lfm_error_message(err));
    lfm_error_free(err);
}

int main(void) {
    lfm_client *client = NULL;
    lfm_error *err = NULL;
    lfm_status status;
    char *json = NULL;
    int failures = 0;

    status = lfm_client_new(env("LFM_API_KEY", 1), env("LFM_API_SECRET", 1), &client, &err);
    if (status != LFM_OK) {
        report("lfm_client_new", status, err);
        return 1;
    }
    if (env("LFM_BASE_URL", 0)) lfm_client_set_base_url(client, env("LFM_BASE_URL", 0), NULL);
    if (env("LFM_CA_FILE", 0)) {
        status = lfm_client_set_ca_file(client, env("LFM_CA_FILE", 0), &err);
        if (status != LFM_OK) report("lfm_client_set_ca_file", status, err);
    }
    const char *timeout = env("LFM_TIMEOUT_MS", 0);
    lfm_client_set_timeout_ms(client, timeout ? (uint32_t)strtoul(timeout, NULL, 10) : 10000, NULL);

    /* 1. A wrong password: the error a login screen must show. */
    printf("1. log in with a wrong password\n");
    status = lfm_get_mobile_session(client, env("LFM_USERNAME", 1), "not the password", NULL, NULL, &err);
    if (status == LFM_ERR_API && lfm_error_api_code(err) == 4) {
        report("auth.getMobileSession (as expected)", status, err);
    } else {
        printf("  unexpected: status %d\n", (int)status);
        lfm_error_free(err);
        failures++;
    }

    /* 2. The right password: the key is stored in the client and returned. */
    printf("2. log in (auth.getMobileSession, POST over HTTPS)\n");
    char *session_key = NULL, *name = NULL;
    status = lfm_get_mobile_session(client, env("LFM_USERNAME", 1), env("LFM_PASSWORD", 1),
                                    &session_key, &name, &err);
    if (status != LFM_OK) {
        report("auth.getMobileSession", status, err);
        lfm_client_free(client);
        return 1;
    }
    /* A session key is a secret: show only enough to recognise it. */
    printf("  logged in as %s (session key %.4s...)\n", name, session_key);

    /* 3. An unsigned read. */
    printf("3. user.getInfo (unsigned GET)\n");
    lfm_param info[] = {{"user", name}};
    status = lfm_call(client, "user.getInfo", info, 1, 0, &json, &err);
    if (status == LFM_OK) {
        printf("  %.120s%s\n", json, strlen(json) > 120 ? "..." : "");
        lfm_string_free(json);
    } else {
        report("user.getInfo", status, err);
        failures++;
    }

    /* 4. Now playing: a signed POST with the session key. */
    printf("4. track.updateNowPlaying (signed POST)\n");
    lfm_param np[] = {{"artist", "Bj\xc3\xb6rk"}, {"track", "J\xc3\xb3ga"}, {"album", "Homogenic"}};
    status = lfm_call(client, "track.updateNowPlaying", np, 3, LFM_CALL_WRITE, &json, &err);
    if (status == LFM_OK) {
        printf("  %.120s%s\n", json, strlen(json) > 120 ? "..." : "");
        lfm_string_free(json);
    } else {
        report("track.updateNowPlaying", status, err);
        failures++;
    }

    /* 5. A scrobble, started three minutes ago. */
    printf("5. track.scrobble (signed POST)\n");
    char started[32];
    snprintf(started, sizeof started, "%ld", (long)time(NULL) - 180);
    lfm_param scrobble[] = {
        {"artist[0]", "Bj\xc3\xb6rk"}, {"track[0]", "J\xc3\xb3ga"},
        {"album[0]", "Homogenic"}, {"timestamp[0]", started},
    };
    status = lfm_call(client, "track.scrobble", scrobble, 4, LFM_CALL_WRITE, &json, &err);
    if (status == LFM_OK) {
        printf("  %.160s%s\n", json, strlen(json) > 160 ? "..." : "");
        lfm_string_free(json);
    } else {
        report("track.scrobble", status, err);
        failures++;
    }

    lfm_string_free(session_key);
    lfm_string_free(name);
    lfm_client_free(client);
    printf("%s\n", failures == 0 ? "session demo: all steps behaved as expected" : "session demo: FAILURES");
    return failures == 0 ? 0 : 1;
}
