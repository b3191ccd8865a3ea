/* liblfm against a real Maloja server (3.2.3 or 2.14.10), through the C API only.
 *
 *   test_maloja BASE_URL KEY MAJOR PLAYS_FILE
 *
 * (or the environment variables MALOJA_BASE_URL, MALOJA_KEY, MALOJA_MAJOR, MALOJA_PLAYS).
 * BASE_URL is the server's http://.../apis/audioscrobbler/2.0/ (trailing slash), KEY the API
 * key from its apikeys.yml (the "password"), MAJOR 3 or 2. The program prints one line per
 * check ("ok - ..." or "not ok - ...: detail"), then "N passed, M failed", and exits 1 if any
 * failed. It writes to PLAYS_FILE one line per play, tab-separated:
 *   stored<TAB>timestamp<TAB>artist<TAB>title    the server accepted it: must be stored once
 *   absent<TAB>timestamp<TAB>artist<TAB>title    the server refused it: must not be stored
 * scripts/test-maloja.sh compares that file with what the server stored. The queue file is
 * PLAYS_FILE.lfmq (it must not exist yet).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <lfm.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed = 0;
static int failed = 0;
static int major = 0;
static FILE *plays = NULL;

/* One line per check: "ok - [maloja 3] what" or "not ok - [maloja 3] what: detail". */
static int check(int ok, const char *what, const char *detail_fmt, ...) {
    if (ok) {
        passed++;
        printf("ok - [maloja %d] %s\n", major, what);
    } else {
        char detail[1024] = "";
        va_list ap;
        va_start(ap, detail_fmt);
        vsnprintf(detail, sizeof detail, detail_fmt, ap);
        va_end(ap);
        failed++;
        printf("not ok - [maloja %d] %s: %s\n", major, what, detail);
    }
    fflush(stdout);
    return ok;
}

/* "status N (text), API code C, HTTP H: message" for a failure detail. */
static const char *describe(lfm_status s, const lfm_error *err) {
    static char buf[768];
    snprintf(buf, sizeof buf, "status %d (%s), API code %d, HTTP %u: %s", (int)s,
             lfm_status_str(s), (int)lfm_error_api_code(err),
             (unsigned)lfm_error_http_status(err), lfm_error_message(err));
    return buf;
}

static void clear(lfm_error **err) {
    lfm_error_free(*err);
    *err = NULL;
}

/* Names Maloja stores as sent: no '/', ';', '|', '&', "vs", "ft", "feat", no brackets, no
 * leading/trailing or double spaces, one spelling per artist. Some UTF-8 on purpose. */
static const char *const ARTISTS[] = {"Björk", "Sigur Rós", "Ólafur Arnalds", "Motörhead",
                                      "坂本龍一", "Zoë Keating", "Múm"};
static const char *const TITLES[] = {"Jóga", "Hoppípolla", "Near Light", "Ace of Spades",
                                     "Merry Christmas Mr Lawrence", "Sun Will Set",
                                     "Green Grass of Tunnel"};
#define N_ARTISTS (sizeof ARTISTS / sizeof ARTISTS[0])
#define N_TITLES (sizeof TITLES / sizeof TITLES[0])

/* Play number n: its own title and timestamp (T0 + 10 n, so no two plays share a second:
 * Maloja 3 keys plays by timestamp). */
static time_t t0;
static char titles[400][128];

static lfm_track play(int n) {
    lfm_track t;
    memset(&t, 0, sizeof t);
    if (n < 0 || n >= 400) {
        fprintf(stderr, "play number %d out of range\n", n);
        exit(2);
    }
    snprintf(titles[n], sizeof titles[n], "%s take %d", TITLES[n % N_TITLES], n);
    t.artist = ARTISTS[n % N_ARTISTS];
    t.track = titles[n];
    t.timestamp = (int64_t)t0 + 10 * (int64_t)n;
    t.duration_secs = 200;
    return t;
}

static void expect(const char *kind, const lfm_track *t) {
    fprintf(plays, "%s\t%lld\t%s\t%s\n", kind, (long long)t->timestamp, t->artist, t->track);
    fflush(plays);
}

static size_t queue_len(lfm_queue *q) {
    size_t n = (size_t)-1;
    if (lfm_queue_len(q, &n, NULL) != LFM_OK) return (size_t)-1;
    return n;
}

/* The queue's entry for (artist, track, timestamp), copied into *out; false if none. The
 * strings are copied into reason/last_error buffers. */
static char entry_reason[512];
static char entry_last_error[512];
static int find_entry(lfm_queue *q, const lfm_track *t, lfm_queue_entry *out, size_t *count) {
    lfm_queue_entries *entries = NULL;
    int found = 0;
    *count = 0;
    if (lfm_queue_list(q, &entries, NULL) != LFM_OK) return 0;
    *count = lfm_queue_entries_count(entries);
    for (size_t i = 0; i < *count; i++) {
        lfm_queue_entry e;
        if (lfm_queue_entries_get(entries, i, &e, NULL) != LFM_OK) continue;
        if (e.track.timestamp == t->timestamp && strcmp(e.track.artist, t->artist) == 0 &&
            strcmp(e.track.track, t->track) == 0) {
            *out = e;
            snprintf(entry_reason, sizeof entry_reason, "%s", e.reason ? e.reason : "(null)");
            snprintf(entry_last_error, sizeof entry_last_error, "%s",
                     e.last_error ? e.last_error : "(null)");
            out->reason = e.reason ? entry_reason : NULL;
            out->last_error = e.last_error ? entry_last_error : NULL;
            out->track.artist = t->artist;
            out->track.track = t->track;
            out->track.album = out->track.album_artist = out->track.mbid = NULL;
            found = 1;
            break;
        }
    }
    lfm_queue_entries_free(entries);
    return found;
}

static const char *arg_or_env(int argc, char **argv, int i, const char *env) {
    const char *v = argc > i ? argv[i] : getenv(env);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr,
                "usage: test_maloja BASE_URL KEY MAJOR PLAYS_FILE\n"
                "   (or MALOJA_BASE_URL, MALOJA_KEY, MALOJA_MAJOR, MALOJA_PLAYS)\n");
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    const char *base = arg_or_env(argc, argv, 1, "MALOJA_BASE_URL");
    const char *key = arg_or_env(argc, argv, 2, "MALOJA_KEY");
    major = atoi(arg_or_env(argc, argv, 3, "MALOJA_MAJOR"));
    const char *plays_path = arg_or_env(argc, argv, 4, "MALOJA_PLAYS");
    if (major != 2 && major != 3) {
        fprintf(stderr, "MAJOR must be 2 or 3\n");
        return 2;
    }
    plays = fopen(plays_path, "w");
    if (plays == NULL) {
        perror(plays_path);
        return 2;
    }
    /* Plays from a day ago on, inside Last.fm's (and the queue's default) 14 days. */
    t0 = time(NULL) - 86400;

    lfm_client *c = NULL;
    lfm_error *err = NULL;
    lfm_status s;
    char *sk = NULL, *name = NULL;
    const char *user = "rj Jóhannsson";

    s = lfm_client_new("liblfm-maloja-test", "maloja-ignores-the-secret", &c, &err);
    if (s != LFM_OK) {
        fprintf(stderr, "lfm_client_new: %s\n", describe(s, err));
        return 2;
    }
    s = lfm_client_set_base_url(c, base, &err);
    check(s == LFM_OK, "lfm_client_set_base_url accepts the server's URL", "%s", describe(s, err));
    clear(&err);
    s = lfm_client_set_rate_limit(c, 0, &err); /* a local server: no pacing needed */
    clear(&err);
    s = lfm_client_set_timeout_ms(c, 20000, &err);
    clear(&err);

    /* ---- Login ---------------------------------------------------------------------- */
    s = lfm_get_mobile_session(c, user, key, &sk, &name, &err);
    check(s == LFM_ERR_INSECURE && sk == NULL && name == NULL,
          "mobile session over plain http is refused with LFM_ERR_INSECURE by default",
          "%s", describe(s, err));
    clear(&err);
    lfm_string_free(sk);
    lfm_string_free(name);
    sk = name = NULL;

    s = lfm_client_set_allow_insecure_http(c, true, &err);
    check(s == LFM_OK, "lfm_client_set_allow_insecure_http(client, true)", "%s",
          describe(s, err));
    clear(&err);

    const char *wrong = "wrong+&=% pässwörd";
    s = lfm_get_mobile_session(c, user, wrong, &sk, &name, &err);
    check(s == LFM_ERR_API && lfm_error_api_code(err) == 4 && sk == NULL,
          "a wrong password gives LFM_ERR_API with API code 4", "%s", describe(s, err));
    check(s != LFM_OK && strstr(lfm_error_message(err), "pässwörd") == NULL,
          "the error message does not contain the password", "message: %s",
          lfm_error_message(err));
    clear(&err);
    lfm_string_free(sk);
    lfm_string_free(name);
    sk = name = NULL;

    /* The key with every '+' sent as a space must fail: the server tells them apart, so
     * the login below succeeds only because '+' was percent-encoded. */
    if (strchr(key, '+') != NULL) {
        char spaced[256];
        snprintf(spaced, sizeof spaced, "%s", key);
        for (char *p = spaced; *p; p++)
            if (*p == '+') *p = ' ';
        s = lfm_get_mobile_session(c, user, spaced, &sk, &name, &err);
        check(s == LFM_ERR_API && lfm_error_api_code(err) == 4,
              "the key with '+' replaced by ' ' is refused (code 4)", "%s", describe(s, err));
        clear(&err);
        lfm_string_free(sk);
        lfm_string_free(name);
        sk = name = NULL;
    }

    /* Without the trailing slash Maloja answers 404 {"error": "Invalid API"}. */
    {
        char noslash[512];
        snprintf(noslash, sizeof noslash, "%s", base);
        size_t len = strlen(noslash);
        if (len > 0 && noslash[len - 1] == '/') noslash[len - 1] = '\0';
        s = lfm_client_set_base_url(c, noslash, &err);
        clear(&err);
        s = lfm_get_mobile_session(c, user, key, &sk, &name, &err);
        check(s == LFM_ERR_HTTP && lfm_error_http_status(err) == 404 && sk == NULL,
              "a base URL without the trailing slash fails with LFM_ERR_HTTP, HTTP 404", "%s",
              describe(s, err));
        clear(&err);
        lfm_string_free(sk);
        lfm_string_free(name);
        sk = name = NULL;
        s = lfm_client_set_base_url(c, base, &err);
        clear(&err);
    }

    s = lfm_get_mobile_session(c, user, key, &sk, &name, &err);
    check(s == LFM_OK && sk != NULL && strlen(sk) > 0,
          "mobile session with allow_insecure_http and a key with UTF-8 and '+&=%'",
          "key \"%s\": %s", key, describe(s, err));
    check(name != NULL && strcmp(name, user) == 0,
          "the reply has no name: out_name gives back the user name passed", "got \"%s\"",
          name ? name : "(null)");
    clear(&err);
    if (s != LFM_OK) {
        fprintf(stderr, "cannot log in; the other checks need a session\n");
        printf("%d passed, %d failed\n", passed, failed + 1);
        return 1;
    }
    char first_sk[128];
    snprintf(first_sk, sizeof first_sk, "%s", sk);
    lfm_string_free(sk);
    lfm_string_free(name);
    sk = name = NULL;

    /* ---- Now playing ------------------------------------------------------------------ */
    lfm_track np = play(0);
    s = lfm_update_now_playing(c, &np, &err);
    check(s == LFM_ERR_API && lfm_error_api_code(err) == 3 && !lfm_error_is_retryable(err),
          "lfm_update_now_playing gives LFM_ERR_API code 3 (not retryable): Maloja has no "
          "such method",
          "%s", describe(s, err));
    clear(&err);

    /* ---- One play scrobbled directly (play 0) ---------------------------------------- */
    lfm_track p0 = play(0);
    lfm_scrobble_result *res = NULL;
    s = lfm_scrobble(c, &p0, 1, &res, &err);
    check(s == LFM_OK && lfm_scrobble_result_accepted(res) == 1 &&
              lfm_scrobble_result_ignored_code(res, 0) == 0,
          "lfm_scrobble of one play is accepted", "%s", describe(s, err));
    if (s == LFM_OK) expect("stored", &p0);
    clear(&err);
    lfm_scrobble_result_free(res);
    res = NULL;

    /* ---- 120 plays through the queue (plays 1..120) ------------------------------------ */
    if (major == 3) {
        s = lfm_client_set_max_batch(c, 1, &err);
        check(s == LFM_OK, "lfm_client_set_max_batch(client, 1) for Maloja 3", "%s",
              describe(s, err));
        clear(&err);
    }
    char qpath[1024];
    snprintf(qpath, sizeof qpath, "%s.lfmq", plays_path);
    lfm_queue *q = NULL;
    s = lfm_queue_open(qpath, &q, &err);
    check(s == LFM_OK && queue_len(q) == 0, "lfm_queue_open on a fresh file", "%s",
          describe(s, err));
    clear(&err);
    if (s != LFM_OK) {
        printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }

    int push_failures = 0;
    for (int n = 1; n <= 120; n++) {
        lfm_track t = play(n);
        s = lfm_queue_push(q, &t, &err);
        if (s != LFM_OK) {
            push_failures++;
            fprintf(stderr, "push %d: %s\n", n, describe(s, err));
        }
        clear(&err);
    }
    check(push_failures == 0 && queue_len(q) == 120, "120 plays pushed into the queue",
          "%d push failures, length %zu", push_failures, queue_len(q));

    size_t sent = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    s = lfm_queue_flush(q, c, &sent, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    {
        char what[160];
        snprintf(what, sizeof what,
                 "lfm_queue_flush sends all 120 (max batch %d) and empties the queue (%.1f s)",
                 major == 3 ? 1 : 50, secs);
        check(s == LFM_OK && sent == 120 && queue_len(q) == 0, what,
              "sent %zu, length %zu, %s", sent, queue_len(q), describe(s, err));
    }
    clear(&err);
    for (int n = 1; n <= 120; n++) {
        /* Expected stored if the flush delivered them (checked against the server). */
        lfm_track t = play(n);
        expect("stored", &t);
    }
    s = lfm_queue_flush(q, c, &sent, &err);
    check(s == LFM_OK && sent == 0, "a second flush sends nothing", "sent %zu, %s", sent,
          describe(s, err));
    clear(&err);

    /* ---- A play stored directly, pushed again, does not block new plays -------------- */
    /* Play 0 again (same artist, title, timestamp), then 20 new plays (121..140); then two
     * more new plays before each of two further flushes (141..144). */
    lfm_track dup = play(0);
    s = lfm_queue_push(q, &dup, &err);
    clear(&err);
    push_failures = 0;
    for (int n = 121; n <= 140; n++) {
        lfm_track t = play(n);
        if (lfm_queue_push(q, &t, &err) != LFM_OK) push_failures++;
        clear(&err);
    }
    check(s == LFM_OK && push_failures == 0 && queue_len(q) == 21,
          "the stored play pushed again, then 20 new plays", "length %zu", queue_len(q));

    int next_new = 141;
    for (int round = 1; round <= 3; round++) {
        size_t want_sent = round == 1 ? 20 : 2;
        if (round > 1) {
            for (int k = 0; k < 2; k++, next_new++) {
                lfm_track t = play(next_new);
                if (lfm_queue_push(q, &t, &err) != LFM_OK)
                    fprintf(stderr, "push %d: %s\n", next_new, describe(LFM_ERR_IO, err));
                clear(&err);
            }
        }
        s = lfm_queue_flush(q, c, &sent, &err);
        lfm_queue_entry e;
        size_t count = 0;
        int present = find_entry(q, &dup, &e, &count);
        char what[200];
        if (major == 3) {
            /* Maloja 3 answers 500 / error 8 for a play it already has, every time. */
            snprintf(what, sizeof what,
                     "flush %d: %zu new plays arrive; the duplicate (error 8 alone) %s", round,
                     want_sent,
                     round < 3 ? "stays pending with one more isolated failure"
                               : "is rejected after 3 isolated failures");
            int dup_ok = present && e.isolated_failures == (uint32_t)round &&
                         (round < 3 ? !e.rejected && queue_len(q) == 1
                                    : e.rejected && queue_len(q) == 0);
            check(s == LFM_OK && sent == want_sent && dup_ok, what,
                  "sent %zu, length %zu, entry present %d rejected %d isolated_failures %u "
                  "attempts %u last_error %s; %s",
                  sent, queue_len(q), present, present ? (int)e.rejected : -1,
                  present ? e.isolated_failures : 0, present ? e.attempts : 0,
                  present && e.last_error ? e.last_error : "(null)", describe(s, err));
            if (round == 3) {
                check(present && e.rejected && e.api_code == 8 && e.ignored_code == 0 &&
                          e.reason != NULL && strlen(e.reason) > 0 && count == 1,
                      "the rejected duplicate is listed with api_code 8 and a reason",
                      "present %d, rejected %d, api_code %d, ignored_code %d, entries %zu, "
                      "reason %s",
                      present, present ? (int)e.rejected : -1, present ? e.api_code : -1,
                      present ? e.ignored_code : -1, count,
                      present && e.reason ? e.reason : "(null)");
                if (present && e.reason) printf("#   reason: %s\n", e.reason);
                lfm_status sr =
                    present ? lfm_queue_remove(q, e.id, &err) : LFM_ERR_INVALID_ARGUMENT;
                size_t after = 0;
                lfm_queue_entry gone;
                int still = find_entry(q, &dup, &gone, &after);
                check(sr == LFM_OK && !still && after == 0,
                      "lfm_queue_remove clears the rejected duplicate",
                      "remove %d, still listed %d, entries %zu; %s", (int)sr, still, after,
                      describe(sr, err));
                clear(&err);
            }
        } else {
            /* Maloja 2 accepts a re-sent play (and stores it once). */
            size_t want = round == 1 ? 21 : 2;
            snprintf(what, sizeof what,
                     "flush %d: %zu plays accepted%s, queue empty", round, want,
                     round == 1 ? " (the re-sent stored play too)" : "");
            check(s == LFM_OK && sent == want && queue_len(q) == 0 && !present && count == 0,
                  what, "sent %zu, length %zu, entries %zu; %s", sent, queue_len(q), count,
                  describe(s, err));
        }
        clear(&err);
    }
    for (int n = 121; n < next_new; n++) {
        lfm_track t = play(n);
        expect("stored", &t);
    }

    /* ---- Old plays: rejected by the default 14-day limit, sent with the limit off ----- */
    {
        lfm_track old = play(next_new);
        old.timestamp = 1000000000 + next_new; /* 2001 */
        s = lfm_queue_push(q, &old, &err);
        clear(&err);
        s = lfm_queue_flush(q, c, &sent, &err);
        lfm_queue_entry e;
        size_t count = 0;
        int present = find_entry(q, &old, &e, &count);
        check(s == LFM_OK && sent == 0 && present && e.rejected && e.ignored_code == 3,
              "a play from 2001 is rejected by the queue's default 14-day limit",
              "sent %zu, present %d, rejected %d, ignored_code %d; %s", sent, present,
              present ? (int)e.rejected : -1, present ? e.ignored_code : -1, describe(s, err));
        clear(&err);
        lfm_status s1 = lfm_queue_set_max_age_days(q, 0, &err);
        clear(&err);
        lfm_status s2 = present ? lfm_queue_retry(q, e.id, &err) : LFM_ERR_INVALID_ARGUMENT;
        clear(&err);
        s = lfm_queue_flush(q, c, &sent, &err);
        present = find_entry(q, &old, &e, &count);
        check(s1 == LFM_OK && s2 == LFM_OK && s == LFM_OK && sent == 1 && !present,
              "with lfm_queue_set_max_age_days(queue, 0) and lfm_queue_retry it is sent",
              "set %d, retry %d, sent %zu, still present %d; %s", (int)s1, (int)s2, sent,
              present, describe(s, err));
        if (s == LFM_OK && sent == 1) expect("stored", &old);
        clear(&err);
        next_new++;
    }

    /* ---- A stale session key (as after a server restart): error 9, log in again ------- */
    {
        lfm_track t = play(next_new++);
        s = lfm_client_set_session_key(c, "stale0session0key0from0before0the0restart", &err);
        clear(&err);
        s = lfm_queue_push(q, &t, &err);
        clear(&err);
        s = lfm_queue_flush(q, c, &sent, &err);
        check(s == LFM_ERR_API && lfm_error_api_code(err) == 9 && sent == 0 &&
                  queue_len(q) == 1,
              "an unknown session key: flush stops with API code 9, the play is kept",
              "sent %zu, length %zu, %s", sent, queue_len(q), describe(s, err));
        clear(&err);
        s = lfm_get_mobile_session(c, user, key, NULL, NULL, &err);
        check(s == LFM_OK, "logging in again after error 9", "%s", describe(s, err));
        clear(&err);
        s = lfm_queue_flush(q, c, &sent, &err);
        check(s == LFM_OK && sent == 1 && queue_len(q) == 0,
              "after the new login the kept play is sent", "sent %zu, length %zu, %s", sent,
              queue_len(q), describe(s, err));
        if (s == LFM_OK && sent == 1) expect("stored", &t);
        clear(&err);
        /* The first session is still valid: Maloja keeps several. */
        s = lfm_client_set_session_key(c, first_sk, &err);
        clear(&err);
    }
    lfm_queue_free(q);

    /* ---- Two plays in one request (the default max batch) ------------------------------ */
    {
        s = lfm_client_set_max_batch(c, 50, &err);
        clear(&err);
        lfm_track two[2];
        two[0] = play(next_new++);
        two[1] = play(next_new++);
        s = lfm_scrobble(c, two, 2, &res, &err);
        if (major == 3) {
            check(s == LFM_ERR_API && lfm_error_api_code(err) == 8 && res == NULL,
                  "default max batch: lfm_scrobble of 2 plays (indexed names) gives "
                  "LFM_ERR_API code 8 on Maloja 3",
                  "%s", describe(s, err));
            expect("absent", &two[0]);
            expect("absent", &two[1]);
        } else {
            check(s == LFM_OK && lfm_scrobble_result_accepted(res) == 2,
                  "default max batch: lfm_scrobble of 2 plays in one request is accepted",
                  "%s", describe(s, err));
            if (s == LFM_OK) {
                expect("stored", &two[0]);
                expect("stored", &two[1]);
            }
        }
        clear(&err);
        lfm_scrobble_result_free(res);
        res = NULL;
    }

    lfm_client_free(c);
    fclose(plays);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
