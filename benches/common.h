/* Shared helpers for the issue 9 benchmark programs in benches/. Header-only. */
#ifndef LFM_BENCH_COMMON_H
#define LFM_BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(2);
}

static inline const char *env_or(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return (v && *v) ? v : dflt;
}

/* Keep the optimiser from dropping a computed value. */
static volatile uint64_t bench_sink;

/* The 50-track scrobble batch of the issue: method, api_key, sk + artist[i], track[i],
 * timestamp[i], album[i] for 50 tracks = 203 parameters. Names and values live in static
 * storage; `out` must hold 203 entries. Returns the count. */
typedef struct { const char *name; const char *value; } kv;

#define BATCH_TRACKS 50
#define BATCH_PARAMS (3 + 4 * BATCH_TRACKS)

static char batch_store[BATCH_TRACKS][4][2][64];

static inline size_t batch_params(kv *out, long first_ts) {
    size_t n = 0;
    out[n++] = (kv){"method", "track.scrobble"};
    out[n++] = (kv){"api_key", "YOUR_API_KEY"};
    out[n++] = (kv){"sk", "YOUR_SESSION_KEY"};
    static const char *fields[4] = {"artist", "track", "timestamp", "album"};
    for (int i = 0; i < BATCH_TRACKS; i++) {
        for (int f = 0; f < 4; f++) {
            char *name = batch_store[i][f][0], *value = batch_store[i][f][1];
            snprintf(name, 64, "%s[%d]", fields[f], i);
            switch (f) {
            case 0: snprintf(value, 64, "Artist Number %d", i % 17); break;
            case 1: snprintf(value, 64, "A Fairly Typical Track Title %d", i); break;
            case 2: snprintf(value, 64, "%ld", first_ts + i * 240L); break;
            default: snprintf(value, 64, "Some Album (Deluxe Edition) %d", i % 5); break;
            }
            out[n++] = (kv){name, value};
        }
    }
    return n;
}

/* The seed's track.love parameters. */
static inline size_t love_params(kv *out) {
    out[0] = (kv){"method", "track.love"};
    out[1] = (kv){"artist", "KITANO REM"};
    out[2] = (kv){"track", "RAINSICK"};
    out[3] = (kv){"api_key", "YOUR_API_KEY"};
    out[4] = (kv){"sk", "YOUR_SESSION_KEY"};
    out[5] = (kv){"format", "json"};
    return 6;
}

static inline void hex32(const unsigned char d[16], char out[33]) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[32] = 0;
}

/* Percent-encode like liblfm's form encoder (RFC 3986 unreserved kept). Returns bytes
 * written (out must be 3*strlen(in)+1). */
static inline size_t form_escape(const char *in, char *out) {
    static const char HEX[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        unsigned char b = *p;
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
            b == '-' || b == '.' || b == '_' || b == '~') {
            out[o++] = (char)b;
        } else {
            out[o++] = '%';
            out[o++] = HEX[b >> 4];
            out[o++] = HEX[b & 15];
        }
    }
    out[o] = 0;
    return o;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
