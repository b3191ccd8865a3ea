/* Every scrobbling and queue export of liblfm exercised from C against the mock.
 *
 * Environment as for test_api.c, plus LFM_TEST_DIR: an empty directory for queue files.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L /* symlink, stat */
#include <sys/stat.h>
#include <unistd.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lfm.h"

#define BAD_UTF8 "caf\xc3\x28"

static const char *test_dir;

static void expect_error(lfm_error *err, lfm_status status) {
    CHECK(err != NULL);
    if (err == NULL) return;
    CHECK_STATUS(lfm_error_status(err), status);
    lfm_error_free(err);
}

static lfm_client *logged_in_client(void) {
    lfm_client *client = NULL;
    CHECK_STATUS(lfm_client_new(check_env("LFM_API_KEY"), check_env("LFM_API_SECRET"), &client, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_base_url(client, check_env("LFM_BASE_URL"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_ca_file(client, check_env("LFM_CA_FILE"), NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_rate_limit(client, 0, NULL), LFM_OK);
    CHECK_STATUS(lfm_get_mobile_session(client, check_env("LFM_USERNAME"), check_env("LFM_PASSWORD"), NULL, NULL, NULL), LFM_OK);
    return client;
}

static void inject(lfm_client *client, const char *kind, const char *name, const char *value) {
    lfm_param params[2] = {{"kind", kind}, {name, value}};
    char *json = NULL;
    CHECK_STATUS(lfm_call(client, "mock.fault", params, name ? 2 : 1, 0, &json, NULL), LFM_OK);
    lfm_string_free(json);
}

static lfm_track make_track(const char *artist, const char *title, int64_t timestamp) {
    lfm_track t;
    memset(&t, 0, sizeof t);
    t.artist = artist;
    t.track = title;
    t.album = "";       /* empty optional fields are not sent */
    t.album_artist = NULL;
    t.timestamp = timestamp;
    t.duration_secs = 215;
    return t;
}

static void test_eligibility(void) {
    CHECK(!lfm_scrobble_eligible(30, 30));
    CHECK(lfm_scrobble_eligible(31, 16));
    CHECK(!lfm_scrobble_eligible(31, 15));
    CHECK(lfm_scrobble_eligible(600, 240));
    CHECK(!lfm_scrobble_eligible(600, 239));
    CHECK(lfm_scrobble_eligible(0, 240));
    CHECK(!lfm_scrobble_eligible(0, 100));
}

static void test_now_playing_and_scrobble(void) {
    lfm_client *client = logged_in_client();
    lfm_error *err = NULL;
    int64_t now = (int64_t)time(NULL);

    lfm_track np = make_track("Bj\xc3\xb6rk", "J\xc3\xb3ga", 0);
    np.album = "Homogenic";
    np.track_number = 2;
    CHECK_STATUS(lfm_update_now_playing(client, &np, &err), LFM_OK);
    CHECK(err == NULL);
    CHECK_STATUS(lfm_update_now_playing(NULL, &np, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_update_now_playing(client, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_track no_artist = make_track(NULL, "x", 0);
    CHECK_STATUS(lfm_update_now_playing(client, &no_artist, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_track bad = make_track("ok", "x", 0);
    bad.album = BAD_UTF8;
    CHECK_STATUS(lfm_update_now_playing(client, &bad, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* Five tracks, verdicts in input order: accepted, artist ignored, track ignored, too
     * old, too new. */
    lfm_track tracks[5] = {
        make_track("Good", "Song", now - 600),
        make_track("X [ignored-artist]", "Song", now - 500),
        make_track("Good", "Y [ignored-track]", now - 400),
        make_track("Good", "Old", now - 20 * 86400),
        make_track("Good", "Future", now + 7200),
    };
    lfm_scrobble_result *result = NULL;
    CHECK_STATUS(lfm_scrobble(client, tracks, 5, &result, &err), LFM_OK);
    CHECK(result != NULL);
    CHECK(lfm_scrobble_result_accepted(result) == 1);
    CHECK(lfm_scrobble_result_ignored(result) == 4);
    for (size_t i = 0; i < 5; i++) {
        CHECK(lfm_scrobble_result_ignored_code(result, i) == (int32_t)i);
        CHECK(lfm_scrobble_result_ignored_message(result, i) != NULL);
    }
    CHECK(strcmp(lfm_scrobble_result_ignored_message(result, 0), "") == 0);
    CHECK(strlen(lfm_scrobble_result_ignored_message(result, 1)) > 0);
    CHECK(lfm_scrobble_result_ignored_code(result, 5) == -1);
    CHECK(lfm_scrobble_result_ignored_message(result, 5) == NULL);
    /* The same verdicts the way a queue snapshot is read: a count, and a status per item. */
    CHECK(lfm_scrobble_result_count(result) == 5);
    for (size_t i = 0; i < 5; i++) {
        lfm_scrobble_verdict verdict;
        CHECK_STATUS(lfm_scrobble_result_get(result, i, &verdict, &err), LFM_OK);
        CHECK(verdict.ignored_code == (int32_t)i);
        CHECK(verdict.ignored_message == lfm_scrobble_result_ignored_message(result, i));
    }
    {
        lfm_scrobble_verdict verdict = {7, "stale", "a", "t", "al"};
        CHECK_STATUS(lfm_scrobble_result_get(result, 5, &verdict, &err), LFM_ERR_INVALID_ARGUMENT);
        CHECK(verdict.ignored_code == 0 && verdict.ignored_message == NULL);
        CHECK(verdict.corrected_artist == NULL && verdict.corrected_track == NULL && verdict.corrected_album == NULL);
        CHECK(strstr(lfm_error_message(err), "out of range") != NULL);
        lfm_error_free(err);
        err = NULL;
        CHECK_STATUS(lfm_scrobble_result_get(result, 0, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
        lfm_error_free(err);
        err = NULL;
        CHECK_STATUS(lfm_scrobble_result_get(NULL, 0, &verdict, &err), LFM_ERR_INVALID_ARGUMENT);
        lfm_error_free(err);
        err = NULL;
    }
    CHECK(lfm_scrobble_result_count(NULL) == 0);
    lfm_scrobble_result_free(result);

    /* Last.fm's corrections, per verdict: NULL where it corrected nothing. */
    {
        lfm_track pair[2] = {make_track("beatles", "let it be", now - 300), make_track("Good", "Song", now - 200)};
        lfm_scrobble_verdict verdict;
        pair[0].album = "Let It Be";
        CHECK_STATUS(lfm_scrobble(client, pair, 2, &result, &err), LFM_OK);
        CHECK_STATUS(lfm_scrobble_result_get(result, 0, &verdict, &err), LFM_OK);
        CHECK(verdict.ignored_code == 0);
        CHECK(verdict.corrected_artist != NULL && strcmp(verdict.corrected_artist, "The Beatles") == 0);
        CHECK(verdict.corrected_track != NULL && strcmp(verdict.corrected_track, "Let It Be") == 0);
        CHECK(verdict.corrected_album == NULL);
        CHECK_STATUS(lfm_scrobble_result_get(result, 1, &verdict, &err), LFM_OK);
        CHECK(verdict.corrected_artist == NULL && verdict.corrected_track == NULL && verdict.corrected_album == NULL);
        lfm_scrobble_result_free(result);
    }
    CHECK(lfm_scrobble_result_accepted(NULL) == 0);
    CHECK(lfm_scrobble_result_ignored(NULL) == 0);
    CHECK(lfm_scrobble_result_ignored_code(NULL, 0) == -1);
    CHECK(lfm_scrobble_result_ignored_message(NULL, 0) == NULL);
    lfm_scrobble_result_free(NULL);

    /* 120 tracks with a max batch of 50 and then of 40. */
    static lfm_track many[120];
    static char names[120][32];
    for (int i = 0; i < 120; i++) {
        snprintf(names[i], sizeof names[i], "Batch artist %d", i);
        many[i] = make_track(names[i], "Batch song", now - 3000 + i);
    }
    CHECK_STATUS(lfm_scrobble(client, many, 120, &result, &err), LFM_OK);
    CHECK(lfm_scrobble_result_accepted(result) == 120);
    lfm_scrobble_result_free(result);
    CHECK_STATUS(lfm_client_set_max_batch(client, 0, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_client_set_max_batch(client, 51, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_client_set_max_batch(NULL, 5, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_client_set_max_batch(client, 40, &err), LFM_OK);

    /* Bad arguments: NULL array with a count, NULL out_result, a track without timestamp. */
    result = (lfm_scrobble_result *)&err;
    CHECK_STATUS(lfm_scrobble(client, NULL, 3, &result, &err), LFM_ERR_INVALID_ARGUMENT);
    CHECK(result == NULL);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobble(client, tracks, 1, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_scrobble(client, tracks, 0, &result, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_track untimed = make_track("a", "b", 0);
    CHECK_STATUS(lfm_scrobble(client, &untimed, 1, &result, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* A rate-limit reply carries a suggested wait. */
    inject(client, "api_error", "code", "29");
    CHECK_STATUS(lfm_scrobble(client, tracks, 1, &result, &err), LFM_ERR_API);
    CHECK(err && lfm_error_api_code(err) == 29 && lfm_error_retry_after_ms(err) >= 20000);
    lfm_error_free(err);
    CHECK(lfm_error_retry_after_ms(NULL) == 0);

    CHECK_STATUS(lfm_client_set_rate_limit(NULL, 5, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_client_free(client);
}

static void test_queue(void) {
    lfm_client *client = logged_in_client();
    lfm_error *err = NULL;
    lfm_queue *queue = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/c-queue.lfmq", test_dir);
    int64_t now = (int64_t)time(NULL);

    CHECK_STATUS(lfm_queue_open(NULL, &queue, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_open(path, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_open("/nonexistent-dir/q.lfmq", &queue, &err), LFM_ERR_IO);
    CHECK(queue == NULL);
    expect_error(err, LFM_ERR_IO);
    CHECK_STATUS(lfm_queue_open(path, &queue, &err), LFM_OK);
    CHECK(queue != NULL);

    /* A second open of the same file is refused while the first is open. */
    lfm_queue *second = NULL;
    CHECK_STATUS(lfm_queue_open(path, &second, &err), LFM_ERR_IO);
    CHECK(second == NULL);
    expect_error(err, LFM_ERR_IO);
    /* Also through another name of the same file: the lock is on the file itself. */
    char link_path[600];
    snprintf(link_path, sizeof link_path, "%s/c-queue-link.lfmq", test_dir);
    CHECK(symlink(path, link_path) == 0);
    CHECK_STATUS(lfm_queue_open(link_path, &second, &err), LFM_ERR_IO);
    CHECK(second == NULL);
    expect_error(err, LFM_ERR_IO);
    /* Listening history is private: the file is created with mode 0600. */
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    /* Push: 4 good plays, a duplicate (queued once), a poison play. */
    lfm_track plays[5] = {
        make_track("Queue A", "One", now - 900),
        make_track("Queue B", "Two", now - 800),
        make_track("Queue C", "Bad [invalid]", now - 700),
        make_track("Queue D", "Four", now - 600),
        make_track("Queue E", "Five", now - 500),
    };
    for (int i = 0; i < 5; i++) CHECK_STATUS(lfm_queue_push(queue, &plays[i], &err), LFM_OK);
    CHECK_STATUS(lfm_queue_push(queue, &plays[0], &err), LFM_OK);
    size_t len = 0;
    CHECK_STATUS(lfm_queue_len(queue, &len, &err), LFM_OK);
    CHECK(len == 5);
    CHECK_STATUS(lfm_queue_push(NULL, &plays[0], &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_push(queue, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_track untimed = make_track("a", "b", 0);
    CHECK_STATUS(lfm_queue_push(queue, &untimed, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_len(queue, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_len(NULL, &len, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* An outage keeps everything, with a suggested wait. */
    size_t sent = 99;
    inject(client, "html", "http", "503");
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_ERR_HTTP);
    CHECK(sent == 0);
    CHECK(err && lfm_error_is_retryable(err) && lfm_error_retry_after_ms(err) > 0);
    lfm_error_free(err);
    CHECK_STATUS(lfm_queue_len(queue, &len, NULL), LFM_OK);
    CHECK(len == 5);

    /* Then it flushes: 4 sent, the poison play isolated and rejected. */
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_OK);
    CHECK(sent == 4);
    CHECK_STATUS(lfm_queue_len(queue, &len, NULL), LFM_OK);
    CHECK(len == 0);
    CHECK_STATUS(lfm_queue_flush(NULL, client, &sent, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_flush(queue, NULL, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* The UI's view: the rejected play with its reason; retry and remove it. */
    lfm_queue_entries *entries = NULL;
    CHECK_STATUS(lfm_queue_list(queue, &entries, &err), LFM_OK);
    CHECK(lfm_queue_entries_count(entries) == 1);
    lfm_queue_entry entry;
    CHECK_STATUS(lfm_queue_entries_get(entries, 0, &entry, &err), LFM_OK);
    CHECK(entry.rejected);
    CHECK(entry.api_code == 6 && entry.ignored_code == 0);
    CHECK(strcmp(entry.track.artist, "Queue C") == 0);
    CHECK(entry.track.album == NULL && entry.track.timestamp == now - 700);
    CHECK(entry.reason != NULL && strstr(entry.reason, "error 6") != NULL);
    CHECK(entry.queued_at >= now - 5);
    CHECK(entry.isolated_failures == 0);
    uint64_t rejected_id = entry.id;
    CHECK_STATUS(lfm_queue_entries_get(entries, 1, &entry, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_entries_get(entries, 0, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_entries_get(NULL, 0, &entry, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    lfm_queue_entries_free(entries);
    lfm_queue_entries_free(NULL);
    CHECK(lfm_queue_entries_count(NULL) == 0);
    CHECK_STATUS(lfm_queue_list(NULL, &entries, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_list(queue, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    CHECK_STATUS(lfm_queue_retry(queue, rejected_id, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_len(queue, &len, NULL), LFM_OK);
    CHECK(len == 1);
    CHECK_STATUS(lfm_queue_retry(queue, 999999, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_remove(queue, rejected_id, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_remove(queue, rejected_id, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_remove(NULL, 1, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_retry(NULL, 1, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* The age limit: 1 day rejects a 2-day-old play; 0 lifts the limit. */
    lfm_track old_play = make_track("Queue Old", "Two days", now - 2 * 86400);
    CHECK_STATUS(lfm_queue_set_max_age_days(queue, 1, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_push(queue, &old_play, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_OK);
    CHECK(sent == 0);
    CHECK_STATUS(lfm_queue_list(queue, &entries, &err), LFM_OK);
    CHECK(lfm_queue_entries_count(entries) == 1);
    CHECK_STATUS(lfm_queue_entries_get(entries, 0, &entry, &err), LFM_OK);
    CHECK(entry.rejected && entry.ignored_code == 3 && strstr(entry.reason, "1 days") != NULL);
    uint64_t old_id = entry.id;
    lfm_queue_entries_free(entries);
    CHECK_STATUS(lfm_queue_set_max_age_days(queue, 0, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_retry(queue, old_id, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_OK);
    CHECK(sent == 1);
    CHECK_STATUS(lfm_queue_set_max_age_days(NULL, 3, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* Nothing damaged. */
    char *report = (char *)"sentinel";
    CHECK_STATUS(lfm_queue_damage_report(queue, &report, &err), LFM_OK);
    CHECK(report == NULL);
    CHECK_STATUS(lfm_queue_damage_report(queue, NULL, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(lfm_queue_damage_report(NULL, &report, &err), LFM_ERR_INVALID_ARGUMENT);
    expect_error(err, LFM_ERR_INVALID_ARGUMENT);

    /* Close with a pending play, append garbage, reopen: the play is there, the damage is
     * reported. */
    CHECK_STATUS(lfm_queue_push(queue, &plays[4], &err), LFM_OK);
    lfm_track later = make_track("Queue F", "Later", now - 100);
    CHECK_STATUS(lfm_queue_push(queue, &later, &err), LFM_OK);
    lfm_queue_free(queue);
    lfm_queue_free(NULL);
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    if (f) {
        fputs("deadbeef {\"op\":\"push\"}\n", f);
        fclose(f);
    }
    CHECK_STATUS(lfm_queue_open(path, &queue, &err), LFM_OK);
    CHECK_STATUS(lfm_queue_len(queue, &len, NULL), LFM_OK);
    /* plays[4] had been delivered, so pushing it again queued it again (the server
     * deduplicates): it and "Later" are pending. */
    CHECK(len == 2);
    CHECK_STATUS(lfm_queue_damage_report(queue, &report, &err), LFM_OK);
    CHECK(report != NULL && strstr(report, "damaged") != NULL);
    lfm_string_free(report);
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_OK);
    CHECK(sent == 2);
    lfm_queue_free(queue);
    lfm_client_free(client);
}

/* The daily limit (ignored code 5) stops a flush with the unsent plays kept: the player
 * should retry later, so the error says retryable, with the wait until midnight UTC. Last:
 * the mock keeps refusing scrobbles for the rest of its life. */
static void test_daily_limit(void) {
    lfm_client *client = logged_in_client();
    lfm_error *err = NULL;
    lfm_queue *queue = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/c-daily.lfmq", test_dir);
    int64_t now = (int64_t)time(NULL);
    CHECK_STATUS(lfm_queue_open(path, &queue, &err), LFM_OK);
    lfm_track plays[3] = {
        make_track("Daily A", "One", now - 300),
        make_track("Daily B", "Two", now - 200),
        make_track("Daily C", "Three", now - 100),
    };
    for (int i = 0; i < 3; i++) CHECK_STATUS(lfm_queue_push(queue, &plays[i], &err), LFM_OK);
    inject(client, "daily_limit", "remaining", "1");
    size_t sent = 99, len = 0;
    CHECK_STATUS(lfm_queue_flush(queue, client, &sent, &err), LFM_ERR_API);
    CHECK(sent == 1);
    CHECK(err && lfm_error_is_retryable(err));
    CHECK(err && lfm_error_api_code(err) == 0);
    CHECK(err && lfm_error_retry_after_ms(err) > 0 && lfm_error_retry_after_ms(err) <= 86400000u);
    lfm_error_free(err);
    CHECK_STATUS(lfm_queue_len(queue, &len, NULL), LFM_OK);
    CHECK(len == 2);
    lfm_queue_free(queue);
    lfm_client_free(client);
}

int main(void) {
    test_dir = check_env("LFM_TEST_DIR");
    test_eligibility();
    test_now_playing_and_scrobble();
    test_queue();
    test_daily_limit();
    return check_summary();
}
