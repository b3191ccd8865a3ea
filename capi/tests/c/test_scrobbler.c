/* lfm_scrobbler from C against the mock, with an injected clock: a scripted listening
 * session, an outage, the rate limit and the daily limit, a revoked session, plays left at
 * free for the next scrobbler, corrections, settings, bad arguments, and player calls while
 * the server hangs. Each scenario asserts exactly what the server stored.
 *
 * The clock starts a day before the real time (the mock checks timestamps against its own
 * clock) and moves only when the test advances it; the worker re-reads it every 50 ms of
 * real time, so the waits below are for the worker to catch up, never for a deadline.
 *
 * Environment as for test_api.c, plus LFM_TEST_DIR: an empty directory for queue files.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <pthread.h>
#include <unistd.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lfm.h"

#define S 1000LL
#define MIN (60 * S)
#define HOUR (60 * MIN)
/* The longest the test waits for the worker (real time; generous, for valgrind). */
#define PATIENCE_MS 120000u
#define DEAD_URL "https://127.0.0.1:9/2.0/"

/* ---- the injected clock ------------------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t clock_ms;

static int64_t test_clock(void *ctx) {
    int64_t now;
    (void)ctx;
    pthread_mutex_lock(&lock);
    now = clock_ms;
    pthread_mutex_unlock(&lock);
    return now;
}

static int64_t now_ms(void) { return test_clock(NULL); }

static void advance(int64_t ms) {
    pthread_mutex_lock(&lock);
    clock_ms += ms;
    pthread_mutex_unlock(&lock);
}

static double real_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The worker has had time for several polls: used only to show that something does NOT
 * happen (a slow machine can only make such a check weaker). */
static void let_the_worker_poll(void) { sleep_ms(300); }

/* ---- the events the listener saw ---------------------------------------------------- */

typedef struct {
    lfm_event_kind kind;
    int has_track;
    char artist[64], title[64];
    int64_t timestamp;
    int32_t chosen_by_user;
    int32_t code;
    char message[256];
    int64_t retry_after_ms;
    char corrected_artist[64], corrected_track[64], corrected_album[64];
} recorded_event;

#define MAX_EVENTS 512
static recorded_event events[MAX_EVENTS];
static size_t n_events;
static int reentry_failures;
static int events_after_free;
static int freed;

static void copy(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "(null)");
}

static void on_event(void *ctx, const lfm_scrobbler_event *e) {
    lfm_scrobbler **s = ctx;
    size_t pending = 0;
    recorded_event r;
    /* Calling the scrobbler back from the listener must not deadlock. */
    if (lfm_scrobbler_pending(*s, &pending, NULL) != LFM_OK) reentry_failures++;
    memset(&r, 0, sizeof r);
    r.kind = e->kind;
    r.has_track = e->track != NULL;
    if (e->track) {
        copy(r.artist, sizeof r.artist, e->track->artist);
        copy(r.title, sizeof r.title, e->track->track);
        r.timestamp = e->track->timestamp;
        r.chosen_by_user = e->track->chosen_by_user;
    }
    r.code = e->code;
    if (e->message == NULL) reentry_failures++; /* never NULL */
    copy(r.message, sizeof r.message, e->message);
    r.retry_after_ms = e->retry_after_ms;
    copy(r.corrected_artist, sizeof r.corrected_artist, e->corrected_artist);
    copy(r.corrected_track, sizeof r.corrected_track, e->corrected_track);
    copy(r.corrected_album, sizeof r.corrected_album, e->corrected_album);
    pthread_mutex_lock(&lock);
    if (freed) events_after_free++;
    if (n_events < MAX_EVENTS) events[n_events++] = r;
    pthread_mutex_unlock(&lock);
}

/* The events of `kind` so far, copied into `out` (up to `max`); returns how many. */
static size_t events_of(lfm_event_kind kind, recorded_event *out, size_t max) {
    size_t n = 0, i;
    pthread_mutex_lock(&lock);
    for (i = 0; i < n_events; i++) {
        if (events[i].kind != kind) continue;
        if (out && n < max) out[n] = events[i];
        n++;
    }
    pthread_mutex_unlock(&lock);
    return n;
}

/* Wait until at least `n` events of `kind` arrived. */
static int wait_events(lfm_event_kind kind, size_t n) {
    double start = real_ms();
    while (events_of(kind, NULL, 0) < n) {
        if (real_ms() - start > PATIENCE_MS) {
            fprintf(stderr, "gave up waiting for %zu events of kind %d\n", n, (int)kind);
            CHECK(0);
            return 0;
        }
        sleep_ms(10);
    }
    return 1;
}

/* ---- the mock ------------------------------------------------------------------------ */

static lfm_client *control; /* mock control calls: never pointed elsewhere */

static lfm_client *new_client(void) {
    lfm_client *client = NULL;
    CHECK_STATUS(lfm_client_new(check_env("LFM_API_KEY"), check_env("LFM_API_SECRET"), &client, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_ca_file(client, check_env("LFM_CA_FILE"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_rate_limit(client, 0, NULL), LFM_OK);
    return client;
}

static void log_in(lfm_client *client) {
    CHECK_STATUS(lfm_get_mobile_session(client, check_env("LFM_USERNAME"), check_env("LFM_PASSWORD"), NULL, NULL, NULL), LFM_OK);
}

static char *mock(const char *method, const lfm_param *params, size_t n) {
    char *json = NULL;
    lfm_error *err = NULL;
    if (lfm_call(control, method, params, n, 0, &json, &err) != LFM_OK) {
        fprintf(stderr, "mock control %s failed: %s\n", method, lfm_error_message(err));
        lfm_error_free(err);
        exit(2);
    }
    return json;
}

/* Queue a mock fault for the next `count` requests for `method` only (a scrobbler's now
 * playing and its scrobbles go out from two threads, in either order). */
static void inject(const char *method, const char *kind, const char *name, const char *value,
                   const char *count) {
    lfm_param params[4] = {{"method_name", method}, {"kind", kind}, {"count", count}, {name, value}};
    lfm_string_free(mock("mock.fault", params, name ? 4 : 3));
}

/* The number after `"key":` in the mock's reply to `method`, 0 when absent. */
static long long mock_number(const char *method, const char *key) {
    char *json = mock(method, NULL, 0);
    char pattern[96];
    const char *at;
    long long value = 0;
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    at = strstr(json, pattern);
    if (at) value = strtoll(at + strlen(pattern), NULL, 10);
    lfm_string_free(json);
    return value;
}

static long long scrobble_requests(void) { return mock_number("mock.stats", "track.scrobble"); }

typedef struct {
    char title[64];
    int64_t timestamp;
} play_t;

#define MAX_PLAYS 64

/* (title, timestamp) of every scrobble the server stored, in arrival order. */
static size_t stored(play_t *out) {
    char *json = mock("mock.scrobbles", NULL, 0);
    const char *p = json;
    size_t n = 0;
    /* Flat objects, one per scrobble: each has one "track" and one "timestamp". */
    while ((p = strchr(p, '{')) != NULL && n < MAX_PLAYS) {
        const char *end = strchr(p, '}');
        const char *t = strstr(p, "\"track\":\"");
        const char *ts = strstr(p, "\"timestamp\":");
        p++;
        if (!end || !t || !ts || t > end || ts > end) continue;
        t += strlen("\"track\":\"");
        snprintf(out[n].title, sizeof out[n].title, "%.*s", (int)(strchr(t, '"') - t), t);
        out[n].timestamp = strtoll(ts + strlen("\"timestamp\":"), NULL, 10);
        n++;
        p = end;
    }
    lfm_string_free(json);
    return n;
}

static size_t stored_count(void) {
    play_t plays[MAX_PLAYS];
    return stored(plays);
}

static int wait_stored(size_t n) {
    double start = real_ms();
    while (stored_count() < n) {
        if (real_ms() - start > PATIENCE_MS) {
            fprintf(stderr, "gave up waiting for %zu stored scrobbles\n", n);
            CHECK(0);
            return 0;
        }
        sleep_ms(20);
    }
    return 1;
}

/* The server stored exactly `expected`, in that order. */
static void check_stored(const char *what, const play_t *expected, size_t n) {
    play_t got[MAX_PLAYS];
    size_t m = stored(got), i;
    int same = m == n;
    for (i = 0; same && i < n; i++)
        same = strcmp(got[i].title, expected[i].title) == 0 && got[i].timestamp == expected[i].timestamp;
    CHECK(same);
    if (!same) {
        fprintf(stderr, "%s: the server stored %zu plays:\n", what, m);
        for (i = 0; i < m; i++) fprintf(stderr, "  %s @%lld\n", got[i].title, (long long)got[i].timestamp);
        fprintf(stderr, "expected %zu:\n", n);
        for (i = 0; i < n; i++) fprintf(stderr, "  %s @%lld\n", expected[i].title, (long long)expected[i].timestamp);
    }
}

static void expect(play_t *plays, size_t *n, const char *title, int64_t at_ms) {
    snprintf(plays[*n].title, sizeof plays[*n].title, "%s", title);
    plays[*n].timestamp = at_ms / 1000;
    (*n)++;
}

/* ---- the harness --------------------------------------------------------------------- */

static lfm_client *client;  /* the scrobbler's */
static lfm_scrobbler *s;
static char queue_path[1024];

/* A fresh server, events, clock, queue file, and a scrobbler on them. */
static void start(const char *name) {
    lfm_string_free(mock("mock.reset", NULL, 0));
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    log_in(client);
    pthread_mutex_lock(&lock);
    n_events = 0;
    freed = 0;
    /* A whole second plus 250 ms: timestamps are the start's second. */
    clock_ms = ((int64_t)time(NULL) * 1000 - 24 * HOUR) / 1000 * 1000 + 250;
    pthread_mutex_unlock(&lock);
    snprintf(queue_path, sizeof queue_path, "%s/%s.lfmq", check_env("LFM_TEST_DIR"), name);
    unlink(queue_path);
    s = NULL;
    CHECK_STATUS(lfm_scrobbler_new(client, queue_path, &s, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_clock(s, test_clock, NULL, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_listener(s, on_event, &s, NULL), LFM_OK);
}

static void finish(uint32_t timeout_ms) {
    lfm_scrobbler_free(s, timeout_ms);
    pthread_mutex_lock(&lock);
    freed = 1;
    pthread_mutex_unlock(&lock);
    s = NULL;
}

static lfm_track song(const char *title, uint32_t duration_secs) {
    lfm_track t;
    memset(&t, 0, sizeof t);
    t.artist = "Artist";
    t.track = title;
    t.album = "Album";
    t.duration_secs = duration_secs;
    return t;
}

static void play(const char *title, uint32_t duration_secs) {
    lfm_track t = song(title, duration_secs);
    lfm_error *err = NULL;
    CHECK_STATUS(lfm_scrobbler_play(s, &t, &err), LFM_OK);
    if (err) fprintf(stderr, "play %s: %s\n", title, lfm_error_message(err));
    lfm_error_free(err);
}

static size_t pending(void) {
    size_t n = 99;
    CHECK_STATUS(lfm_scrobbler_pending(s, &n, NULL), LFM_OK);
    return n;
}

static size_t drain(void) {
    size_t n = 99;
    CHECK_STATUS(lfm_scrobbler_drain(s, PATIENCE_MS, &n, NULL), LFM_OK);
    return n;
}

/* Play `n` 200 s tracks titled "prefix i", each for `each_ms` (due at 100 s). */
static void play_through(const char *prefix, int n, int64_t each_ms, play_t *expected, size_t *n_expected) {
    int i;
    char title[64];
    for (i = 0; i < n; i++) {
        snprintf(title, sizeof title, "%s %d", prefix, i);
        expect(expected, n_expected, title, now_ms());
        play(title, 200);
        advance(each_ms);
    }
}

/* ---- the scenarios ------------------------------------------------------------------- */

static void test_a_scripted_session(void) {
    play_t expected[MAX_PLAYS];
    size_t n = 0, i;
    recorded_event got[MAX_PLAYS];
    int64_t at;
    start("session");

    /* A full play: due at half its duration. */
    expect(expected, &n, "Full", now_ms());
    play("Full", 200);
    /* Announced before anything else happens: the next play or a stop would replace or
     * cancel a now playing the sender has not taken yet. */
    wait_events(LFM_EVENT_NOW_PLAYING, 1);
    advance(100 * S);
    wait_events(LFM_EVENT_DELIVERED, 1);
    advance(100 * S);

    /* Paused for an hour in the middle: once, with its start time. */
    expect(expected, &n, "Paused", now_ms());
    play("Paused", 200);
    advance(50 * S);
    CHECK_STATUS(lfm_scrobbler_pause(s, NULL), LFM_OK);
    advance(HOUR);
    let_the_worker_poll();
    CHECK(events_of(LFM_EVENT_QUEUED, NULL, 0) == 1); /* pause time not counted */
    CHECK_STATUS(lfm_scrobbler_resume(s, NULL), LFM_OK);
    advance(50 * S);
    wait_events(LFM_EVENT_DELIVERED, 2);
    advance(100 * S);

    /* A skip at 20 %, then a 25 s track played through: neither counts. */
    play("Skipped", 200);
    advance(40 * S);
    play("Short", 25);
    advance(25 * S);
    CHECK_STATUS(lfm_scrobbler_stop(s, NULL), LFM_OK);
    advance(HOUR);

    /* Repeat-one three times: three plays, three timestamps. */
    for (i = 0; i < 3; i++) {
        expect(expected, &n, "Loop", now_ms());
        play("Loop", 180);
        advance(180 * S);
    }
    CHECK_STATUS(lfm_scrobbler_stop(s, NULL), LFM_OK);

    /* Seeking back and forth: one play. */
    at = now_ms();
    play("Seeked", 200);
    advance(10 * S);
    CHECK_STATUS(lfm_scrobbler_seek(s, 150000, NULL), LFM_OK);
    advance(10 * S);
    CHECK_STATUS(lfm_scrobbler_seek(s, 0, NULL), LFM_OK);
    advance(80 * S);
    expect(expected, &n, "Seeked", at);
    wait_events(LFM_EVENT_QUEUED, 6);
    CHECK_STATUS(lfm_scrobbler_seek(s, 0, NULL), LFM_OK);
    advance(200 * S);
    CHECK_STATUS(lfm_scrobbler_stop(s, NULL), LFM_OK);

    CHECK(drain() == 0);
    check_stored("session", expected, n);
    /* The DELIVERED events name the same plays, in the same order, with their start.
     * drain() returns once the verdicts are in the queue; the worker reports them after
     * writing the queue file (fdatasync), which a busy disk can make take a while. */
    wait_events(LFM_EVENT_DELIVERED, n);
    CHECK(events_of(LFM_EVENT_DELIVERED, got, MAX_PLAYS) == n);
    for (i = 0; i < n; i++) {
        CHECK(got[i].has_track && strcmp(got[i].title, expected[i].title) == 0);
        CHECK(got[i].timestamp == expected[i].timestamp);
        CHECK(strcmp(got[i].message, "") == 0 && got[i].code == 0);
    }
    CHECK(events_of(LFM_EVENT_NOW_PLAYING, got, MAX_PLAYS) >= 1);
    CHECK(got[0].code == 0 && got[0].has_track && strcmp(got[0].title, "Full") == 0);
    CHECK(events_of(LFM_EVENT_REJECTED, NULL, 0) == 0);
    CHECK(events_of(LFM_EVENT_DEFERRED, NULL, 0) == 0);
    CHECK(events_of(LFM_EVENT_AUTH_LOST, NULL, 0) == 0);
    finish(PATIENCE_MS);
}

static void test_plays_queued_through_an_outage_are_delivered_without_a_player_call(void) {
    play_t expected[MAX_PLAYS];
    size_t n = 0, attempts, i;
    recorded_event got[MAX_EVENTS];
    start("outage");
    CHECK_STATUS(lfm_client_set_base_url(client, DEAD_URL, NULL), LFM_OK);
    play_through("Offline", 10, 200 * S, expected, &n);
    CHECK_STATUS(lfm_scrobbler_stop(s, NULL), LFM_OK);
    wait_events(LFM_EVENT_QUEUED, 10);
    wait_events(LFM_EVENT_DEFERRED, 1);
    attempts = events_of(LFM_EVENT_DEFERRED, got, MAX_EVENTS);
    for (i = 0; i < attempts && i < MAX_EVENTS; i++) {
        CHECK(got[i].retry_after_ms > 0);
        CHECK(!got[i].has_track);
    }
    /* With the clock standing still, the back-off allows no new attempt. */
    let_the_worker_poll();
    attempts = events_of(LFM_EVENT_DEFERRED, NULL, 0);
    let_the_worker_poll();
    CHECK(events_of(LFM_EVENT_DEFERRED, NULL, 0) == attempts);
    CHECK(pending() == 10);
    CHECK(stored_count() == 0);

    /* The network comes back; only time passes, no player call. */
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    advance(HOUR);
    wait_stored(10);
    check_stored("outage", expected, n);
    CHECK(drain() == 0);
    finish(PATIENCE_MS);
}

static void test_rate_limit_and_daily_limit_defer_then_deliver(void) {
    recorded_event got[8];
    int64_t wait, to_midnight;
    play_t expected[2];
    size_t n = 0;
    start("limits");
    expect(expected, &n, "Limited", now_ms());
    play("Limited", 200);
    /* The now playing goes first; the fault is for the scrobble. */
    wait_events(LFM_EVENT_NOW_PLAYING, 1);
    inject("track.scrobble", "api_error", "code", "29", "1");
    advance(100 * S);
    wait_events(LFM_EVENT_DEFERRED, 1);
    events_of(LFM_EVENT_DEFERRED, got, 8);
    CHECK(got[0].code == 29);
    /* The client's back-off for 29: 30 s with +-20 % jitter, never shortened. */
    wait = got[0].retry_after_ms;
    CHECK(wait >= 24 * S && wait <= 36 * S + 7200);
    advance(wait - S);
    let_the_worker_poll();
    CHECK(scrobble_requests() == 1); /* not retried before the wait was over */
    advance(S);
    wait_stored(1);
    check_stored("rate limit", expected, n);

    /* The daily limit: deferred to the next midnight UTC by the injected clock. */
    inject("track.scrobble", "daily_limit", "remaining", "0", "1");
    play("Over the limit", 200);
    advance(100 * S);
    wait_events(LFM_EVENT_DEFERRED, 2);
    events_of(LFM_EVENT_DEFERRED, got, 8);
    to_midnight = 86400000LL - now_ms() % 86400000LL;
    wait = got[1].retry_after_ms;
    CHECK(wait >= to_midnight && wait <= to_midnight + 2 * MIN);
    CHECK(pending() == 1);
    /* Midnight comes (the mock lifts its limit with a reset, which also ends sessions). */
    n = 0;
    expect(expected, &n, "Over the limit", now_ms() - 100 * S);
    lfm_string_free(mock("mock.reset", NULL, 0));
    log_in(client);
    advance(wait - S);
    let_the_worker_poll();
    CHECK(stored_count() == 0); /* not retried before midnight */
    advance(S);
    wait_stored(1);
    check_stored("daily limit", expected, n);
    CHECK(drain() == 0);
    finish(PATIENCE_MS);
}

static void test_a_revoked_session_stops_delivery_and_keeps_every_play(void) {
    recorded_event got[4];
    long long requests;
    play_t expected[2];
    size_t n = 0;
    start("auth");
    lfm_string_free(mock("mock.revokeSessions", NULL, 0));
    expect(expected, &n, "First", now_ms());
    play("First", 200);
    advance(100 * S);
    wait_events(LFM_EVENT_AUTH_LOST, 1);
    events_of(LFM_EVENT_AUTH_LOST, got, 4);
    CHECK(got[0].code == 9 && !got[0].has_track);
    requests = scrobble_requests();
    /* More plays and time: queued, never sent while the key is refused. */
    expect(expected, &n, "Second", now_ms());
    play("Second", 200);
    advance(HOUR);
    wait_events(LFM_EVENT_QUEUED, 2);
    CHECK_STATUS(lfm_scrobbler_flush_now(s, NULL), LFM_OK);
    let_the_worker_poll();
    CHECK(scrobble_requests() == requests);
    CHECK(pending() == 2);
    CHECK(events_of(LFM_EVENT_AUTH_LOST, NULL, 0) == 1);
    /* Signing in again resumes delivery by itself. */
    log_in(client);
    wait_stored(2);
    check_stored("auth lost", expected, n);
    finish(PATIENCE_MS);
}

static void test_plays_left_at_free_are_delivered_by_the_next_scrobbler(void) {
    play_t expected[MAX_PLAYS];
    size_t n = 0;
    lfm_client *second;
    start("reopen");
    CHECK_STATUS(lfm_client_set_base_url(client, DEAD_URL, NULL), LFM_OK);
    /* The last play is due by the clock; free queues it even if the worker did not get to
     * it, and keeps every play in the file. */
    play_through("Left", 3, 150 * S, expected, &n);
    finish(PATIENCE_MS);
    CHECK(stored_count() == 0);
    pthread_mutex_lock(&lock);
    n_events = 0;
    freed = 0;
    pthread_mutex_unlock(&lock);

    /* The next scrobbler, on a client freed at once: it keeps its own reference. */
    second = new_client();
    log_in(second);
    CHECK_STATUS(lfm_scrobbler_new(second, queue_path, &s, NULL), LFM_OK);
    lfm_client_free(second);
    CHECK_STATUS(lfm_scrobbler_set_clock(s, test_clock, NULL, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_listener(s, on_event, &s, NULL), LFM_OK);
    CHECK(drain() == 0);
    check_stored("reopened", expected, n);
    wait_events(LFM_EVENT_DELIVERED, 3);
    finish(PATIENCE_MS);
}

static void test_corrections_and_the_optional_fields(void) {
    recorded_event got[4];
    lfm_track t;
    char *last;
    start("corrections");
    memset(&t, 0, sizeof t);
    t.artist = "beatles";
    t.track = "let it be";
    t.album = "Let It Be";
    t.album_artist = "The Beatles";
    t.mbid = "d1a4b9a9-2a3a-4b3c-9bcd-0123456789ab";
    t.track_number = 6;
    t.duration_secs = 243;
    t.chosen_by_user = LFM_CHOSEN_NO;
    CHECK_STATUS(lfm_scrobbler_play(s, &t, NULL), LFM_OK);
    wait_events(LFM_EVENT_NOW_PLAYING, 1);
    events_of(LFM_EVENT_NOW_PLAYING, got, 4);
    CHECK(got[0].code == 0);
    CHECK(strcmp(got[0].corrected_artist, "The Beatles") == 0);
    CHECK(strcmp(got[0].corrected_track, "Let It Be") == 0);
    CHECK(strcmp(got[0].corrected_album, "(null)") == 0); /* NULL: not corrected */
    advance(122 * S);
    wait_events(LFM_EVENT_DELIVERED, 1);
    events_of(LFM_EVENT_DELIVERED, got, 4);
    /* The event names the play as the player sent it, with the server's corrections. */
    CHECK(strcmp(got[0].artist, "beatles") == 0);
    CHECK(got[0].chosen_by_user == LFM_CHOSEN_NO);
    CHECK(strcmp(got[0].corrected_artist, "The Beatles") == 0);
    CHECK(strcmp(got[0].corrected_track, "Let It Be") == 0);
    /* Every optional field went through the queue file to the server (a single play is
     * sent with plain names). */
    last = mock("mock.lastRequest", NULL, 0);
    CHECK(strstr(last, "\"chosenByUser\":\"0\"") != NULL);
    CHECK(strstr(last, "\"trackNumber\":\"6\"") != NULL);
    CHECK(strstr(last, "\"albumArtist\":\"The Beatles\"") != NULL);
    CHECK(strstr(last, "\"mbid\":\"d1a4b9a9-2a3a-4b3c-9bcd-0123456789ab\"") != NULL);
    lfm_string_free(last);
    /* A play the server did not correct has none. */
    play("Plain", 200);
    advance(100 * S);
    wait_events(LFM_EVENT_DELIVERED, 2);
    events_of(LFM_EVENT_DELIVERED, got, 4);
    CHECK(strcmp(got[1].corrected_artist, "(null)") == 0);
    CHECK(strcmp(got[1].corrected_track, "(null)") == 0);
    CHECK(got[1].chosen_by_user == LFM_CHOSEN_UNKNOWN);
    finish(PATIENCE_MS);
}

static void test_settings(void) {
    play_t expected[1];
    size_t n = 0;
    start("settings");
    CHECK_STATUS(lfm_scrobbler_set_unknown_duration(s, LFM_UNKNOWN_DURATION_NEVER, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_now_playing_after_pause_ms(s, 60000, NULL), LFM_OK);
    play("Stream", 0);
    wait_events(LFM_EVENT_NOW_PLAYING, 1);
    advance(HOUR);
    CHECK_STATUS(lfm_scrobbler_pause(s, NULL), LFM_OK);
    advance(61 * S);
    CHECK_STATUS(lfm_scrobbler_resume(s, NULL), LFM_OK);
    /* Resumed after more than the threshold: announced again. */
    wait_events(LFM_EVENT_NOW_PLAYING, 2);
    advance(HOUR);
    CHECK_STATUS(lfm_scrobbler_stop(s, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_unknown_duration(s, LFM_UNKNOWN_DURATION_AFTER_4_MINUTES, NULL), LFM_OK);
    expect(expected, &n, "Unknown length", now_ms());
    play("Unknown length", 0);
    advance(4 * MIN);
    CHECK(drain() == 0);
    check_stored("settings", expected, n);
    CHECK(events_of(LFM_EVENT_QUEUED, NULL, 0) == 1); /* the stream was never queued */
    finish(PATIENCE_MS);
}

static void expect_error(lfm_error *err, lfm_status status) {
    CHECK(err != NULL);
    if (err == NULL) return;
    CHECK_STATUS(lfm_error_status(err), status);
    CHECK(strlen(lfm_error_message(err)) > 0);
    lfm_error_free(err);
}

static void test_bad_arguments(void) {
    lfm_error *err = NULL;
    lfm_scrobbler *other = (lfm_scrobbler *)&err; /* a non-NULL sentinel */
    lfm_track t = song("Fine", 200);
    size_t n = 7;
    start("bad-arguments");

    CHECK_STATUS(lfm_scrobbler_new(NULL, queue_path, &other, &err), LFM_ERR_INVALID_ARGUMENT);
    CHECK(other == NULL);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_new(client, NULL, &other, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_new(client, queue_path, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    /* One scrobbler (or queue) per file. */
    CHECK_STATUS(lfm_scrobbler_new(client, queue_path, &other, &err), LFM_ERR_IO);
    CHECK(other == NULL);
    expect_error(err, LFM_ERR_IO);

    CHECK_STATUS(lfm_scrobbler_play(NULL, &t, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_play(s, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    t.artist = "";
    CHECK_STATUS(lfm_scrobbler_play(s, &t, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    t.artist = "Artist";
    t.chosen_by_user = 3;
    CHECK_STATUS(lfm_scrobbler_play(s, &t, &err), LFM_ERR_INVALID_ARGUMENT);
    CHECK(err != NULL && strstr(lfm_error_message(err), "chosen_by_user") != NULL);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_pause(NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_resume(NULL, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_seek(NULL, 0, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_stop(NULL, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_set_listener(NULL, on_event, NULL, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_set_clock(NULL, test_clock, NULL, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_flush_now(NULL, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_set_unknown_duration(s, 2, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_set_now_playing_after_pause_ms(NULL, 0, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobbler_drain(NULL, 0, &n, NULL), LFM_ERR_INVALID_ARGUMENT);
    CHECK(n == 0); /* blanked */
    CHECK_STATUS(lfm_scrobbler_drain(s, 0, NULL, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_pending(s, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    /* The listener and the clock can be cleared. */
    CHECK_STATUS(lfm_scrobbler_set_listener(s, NULL, NULL, NULL), LFM_OK);
    CHECK_STATUS(lfm_scrobbler_set_clock(s, NULL, NULL, NULL), LFM_OK);
    /* Nothing happened to the server. */
    CHECK(scrobble_requests() == 0);
    lfm_scrobbler_free(NULL, 0);
    finish(PATIENCE_MS);
}

/* Last: the hung requests stay blocked until the process ends. */
static void test_player_calls_return_while_the_server_hangs(void) {
    double slowest[2] = {0, 0}, t0, took;
    int i;
    char title[32];
    long long before;
    start("hang");
    before = mock_number("mock.stats", "api_requests"); /* the login */
    CHECK_STATUS(lfm_client_set_timeout_ms(client, 600000, NULL), LFM_OK);
    /* The now playing and the scrobble both hang. */
    inject("track.updateNowPlaying", "hang", NULL, NULL, "1");
    inject("track.scrobble", "hang", NULL, NULL, "1");
    play("Hung", 200);
    advance(100 * S);
    {
        double begin = real_ms();
        while (mock_number("mock.stats", "api_requests") < before + 2 && real_ms() - begin < PATIENCE_MS)
            sleep_ms(10);
    }
    CHECK(mock_number("mock.stats", "api_requests") == before + 2);
    wait_events(LFM_EVENT_QUEUED, 1);
    /* Every player call completes while both threads are blocked on the server, including
     * a stop that makes a play due (the queue's durable append on this thread). */
#define TIMED(appends, call)                                   \
    do {                                                       \
        t0 = real_ms();                                        \
        CHECK_STATUS(call, LFM_OK);                            \
        took = real_ms() - t0;                                 \
        if (took > slowest[appends]) slowest[appends] = took;  \
    } while (0)
    for (i = 0; i < 20; i++) {
        lfm_track t;
        snprintf(title, sizeof title, "Next %d", i);
        t = song(title, 200);
        TIMED(0, lfm_scrobbler_play(s, &t, NULL));
        TIMED(0, lfm_scrobbler_pause(s, NULL));
        TIMED(0, lfm_scrobbler_resume(s, NULL));
        TIMED(0, lfm_scrobbler_seek(s, 1000, NULL));
        TIMED(0, lfm_scrobbler_flush_now(s, NULL));
        advance(100 * S);
        TIMED(1, lfm_scrobbler_stop(s, NULL));
    }
#undef TIMED
    printf("slowest player call while the server hangs: %.3f ms without an append, %.3f ms with one\n",
           slowest[0], slowest[1]);
    /* Still hung: nothing came back, nothing more was sent. */
    CHECK(mock_number("mock.stats", "api_requests") == before + 2);
    CHECK(events_of(LFM_EVENT_DEFERRED, NULL, 0) == 0);
    CHECK(events_of(LFM_EVENT_DELIVERED, NULL, 0) == 0);
    CHECK(pending() == 21);
    /* A very generous bound, only to catch a call that waited on the hung server. */
    CHECK(slowest[0] < 10000 && slowest[1] < 10000);
    /* Free cannot interrupt the hung requests: it returns after its timeout anyway. */
    t0 = real_ms();
    finish(200);
    printf("lfm_scrobbler_free(200 ms) with both threads hung returned in %.0f ms\n", real_ms() - t0);
}

int main(void) {
    control = new_client();
    client = new_client();
    test_bad_arguments();
    test_a_scripted_session();
    test_plays_queued_through_an_outage_are_delivered_without_a_player_call();
    test_rate_limit_and_daily_limit_defer_then_deliver();
    test_a_revoked_session_stops_delivery_and_keeps_every_play();
    test_plays_left_at_free_are_delivered_by_the_next_scrobbler();
    test_corrections_and_the_optional_fields();
    test_settings();
    test_player_calls_return_while_the_server_hangs();
    CHECK(reentry_failures == 0);
    CHECK(events_after_free == 0);
    lfm_client_free(client); /* the hung scrobbler's threads keep their own reference */
    lfm_client_free(control);
    return check_summary();
}
