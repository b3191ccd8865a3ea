/* player: a simulated music player that scrobbles through lfm_scrobbler, the whole
 * integration in a few calls: lfm_scrobbler_new, the player's own events (play, pause,
 * resume, seek, stop), a listener for what happened, lfm_scrobbler_drain and
 * lfm_scrobbler_free.
 *
 *   player QUEUE_FILE
 *
 * It plays a short scripted session on a simulated clock (lfm_scrobbler_set_clock), so
 * twenty minutes of listening take about a second: a full track, one paused for ten
 * minutes in the middle (one scrobble), a skip at 20 % (none), repeat-one twice (two), a
 * 25 s jingle (none), and a seek back (still one play): five scrobbles.
 *
 * Environment as for session.c: LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME, LFM_PASSWORD,
 * LFM_BASE_URL (optional), LFM_CA_FILE (optional). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lfm.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    return (v && v[0]) ? v : NULL;
}

/* ---- a simulated clock: Unix milliseconds that move only when the player says so ---- */

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t sim_ms;

static int64_t sim_clock(void *ctx) {
    int64_t now;
    (void)ctx;
    pthread_mutex_lock(&clock_lock);
    now = sim_ms;
    pthread_mutex_unlock(&clock_lock);
    return now;
}

/* Let `secs` seconds of simulated time pass, 10 s every 5 ms of real time, so that the
 * scrobbler's worker sees the time go by as it would. */
static void wait_secs(int secs) {
    struct timespec tick = {0, 5000000L};
    while (secs > 0) {
        int step = secs < 10 ? secs : 10;
        pthread_mutex_lock(&clock_lock);
        sim_ms += (int64_t)step * 1000;
        pthread_mutex_unlock(&clock_lock);
        secs -= step;
        nanosleep(&tick, NULL);
    }
}

/* ---- what the scrobbler reports, on its own thread ---------------------------------- */

static void on_event(void *ctx, const lfm_scrobbler_event *e) {
    const char *title = e->track ? e->track->track : "";
    (void)ctx;
    switch (e->kind) {
    case LFM_EVENT_NOW_PLAYING:
        if (e->code == 0)
            printf("  [scrobbler] now playing sent: %s%s%s\n", title,
                   e->corrected_artist ? ", artist corrected to " : "",
                   e->corrected_artist ? e->corrected_artist : "");
        else
            printf("  [scrobbler] now playing failed (%s); scrobbles are not affected\n", e->message);
        break;
    case LFM_EVENT_QUEUED:
        printf("  [scrobbler] counts as a play, saved: %s (started at %lld)\n", title,
               (long long)e->track->timestamp);
        break;
    case LFM_EVENT_DELIVERED:
        printf("  [scrobbler] scrobbled: %s\n", title);
        break;
    case LFM_EVENT_REJECTED:
        printf("  [scrobbler] not scrobbled: %s (code %d: %s)\n", title, e->code, e->message);
        break;
    case LFM_EVENT_DEFERRED:
        printf("  [scrobbler] delivery postponed %lld s: %s\n", (long long)(e->retry_after_ms / 1000),
               e->message);
        break;
    case LFM_EVENT_AUTH_LOST:
        printf("  [scrobbler] the session key was refused (error %d): log in again\n", e->code);
        break;
    default: /* kinds added later */
        break;
    }
}

static lfm_track song(const char *artist, const char *title, uint32_t duration_secs) {
    lfm_track t;
    memset(&t, 0, sizeof t); /* every optional field unset */
    t.artist = artist;
    t.track = title;
    t.duration_secs = duration_secs;
    t.chosen_by_user = LFM_CHOSEN_YES;
    return t;
}

static void check(lfm_status status, lfm_error *err, const char *what) {
    if (status != LFM_OK) {
        fprintf(stderr, "player: %s: %s\n", what, lfm_error_message(err));
        lfm_error_free(err);
        exit(1);
    }
}

int main(int argc, char **argv) {
    lfm_client *client = NULL;
    lfm_scrobbler *s = NULL;
    lfm_error *err = NULL;
    size_t left = 0;
    int i;
    lfm_track joga = song("Bj\xc3\xb6rk", "J\xc3\xb3ga", 305);
    lfm_track hunter = song("Bj\xc3\xb6rk", "Hunter", 255);
    lfm_track bachelorette = song("Bj\xc3\xb6rk", "Bachelorette", 312);
    lfm_track loop = song("Bj\xc3\xb6rk", "All Is Full of Love", 272);
    lfm_track jingle = song("Radio", "Station jingle", 25);
    lfm_track pagan = song("Bj\xc3\xb6rk", "Pagan Poetry", 314);

    if (argc != 2) {
        fprintf(stderr, "usage: player QUEUE_FILE\n");
        return 2;
    }
    if (!env("LFM_API_KEY") || !env("LFM_API_SECRET") || !env("LFM_USERNAME") || !env("LFM_PASSWORD")) {
        fprintf(stderr, "player: set LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME and LFM_PASSWORD\n");
        return 2;
    }
    check(lfm_client_new(env("LFM_API_KEY"), env("LFM_API_SECRET"), &client, &err), err, "client");
    if (env("LFM_BASE_URL")) check(lfm_client_set_base_url(client, env("LFM_BASE_URL"), &err), err, "base URL");
    if (env("LFM_CA_FILE")) check(lfm_client_set_ca_file(client, env("LFM_CA_FILE"), &err), err, "CA file");
    check(lfm_get_mobile_session(client, env("LFM_USERNAME"), env("LFM_PASSWORD"), NULL, NULL, &err), err,
          "login");

    /* The integration: a scrobbler on a queue file, and a listener. */
    check(lfm_scrobbler_new(client, argv[1], &s, &err), err, "scrobbler");
    lfm_client_free(client); /* the scrobbler keeps its own reference */
    sim_ms = ((int64_t)time(NULL) - 3600) * 1000; /* the session began an hour ago */
    check(lfm_scrobbler_set_clock(s, sim_clock, NULL, &err), err, "clock");
    check(lfm_scrobbler_set_listener(s, on_event, NULL, &err), err, "listener");

    /* The player's events, as they happen. */
    printf("player: J\xc3\xb3ga, played through\n");
    check(lfm_scrobbler_play(s, &joga, &err), err, "play");
    wait_secs(305);

    printf("player: Hunter, paused for ten minutes in the middle\n");
    check(lfm_scrobbler_play(s, &hunter, &err), err, "play");
    wait_secs(100);
    check(lfm_scrobbler_pause(s, &err), err, "pause");
    wait_secs(600);
    check(lfm_scrobbler_resume(s, &err), err, "resume");
    wait_secs(155);

    printf("player: Bachelorette, skipped at 20 %%\n");
    check(lfm_scrobbler_play(s, &bachelorette, &err), err, "play");
    wait_secs(62);

    printf("player: All Is Full of Love, on repeat-one twice\n");
    for (i = 0; i < 2; i++) {
        check(lfm_scrobbler_play(s, &loop, &err), err, "play");
        wait_secs(272);
    }

    printf("player: a 25 s jingle\n");
    check(lfm_scrobbler_play(s, &jingle, &err), err, "play");
    wait_secs(25);

    printf("player: Pagan Poetry, with a seek back to the start halfway\n");
    check(lfm_scrobbler_play(s, &pagan, &err), err, "play");
    wait_secs(160);
    check(lfm_scrobbler_seek(s, 0, &err), err, "seek");
    wait_secs(314);
    check(lfm_scrobbler_stop(s, &err), err, "stop");

    /* Quitting: give delivery a moment, then free (nothing undelivered is lost: it stays
     * in the queue file for the next start). */
    check(lfm_scrobbler_drain(s, 30000, &left, &err), err, "drain");
    printf("player: done, %zu plays left to deliver at the next start\n", left);
    lfm_scrobbler_free(s, 5000);
    return 0;
}
