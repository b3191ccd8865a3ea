/* Durable scrobbling: push rate and flush time, against their durable limits.
 *
 *   queue_bench push lfm|bare N DIR
 *       lfm:  N lfm_queue_push() into a fresh queue in DIR (one fdatasync each)
 *       bare: N appends of a line of the same size + fdatasync each (the durable limit)
 *       -> plays_per_s=...
 *   queue_bench flush lfm|bare PLAYS DIR http|https PORT CA_PEM
 *       lfm:  a queue file holding PLAYS plays (written directly in the journal format,
 *             untimed) is opened, then lfm_queue_flush() to nginx is timed: PLAYS/50
 *             track.scrobble POSTs, each verdict made durable
 *       bare: the same signed, form-encoded bodies (prebuilt, untimed) POSTed on one
 *             kept-alive connection, each reply read, then one line appended + fdatasync
 *             per request (the durable flush limit)
 *       -> seconds=... plays_per_s=...
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common.h"

#include <fcntl.h>
#include <lfm.h>
#include <openssl/md5.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <zlib.h>

#define API_KEY "0123456789abcdef0123456789abcdef"
#define SECRET "bench-secret"
#define SESSION "bench-session-key"

static int port, tls;
static SSL_CTX *ssl_ctx;
#include "bare_http.h"

static void play(long i, long first_ts, char *artist, char *track, char *album, long *ts) {
    sprintf(artist, "Artist Number %ld", i % 17);
    sprintf(track, "A Fairly Typical Track Title %ld", i);
    sprintf(album, "Some Album (Deluxe Edition) %ld", i % 5);
    *ts = first_ts + i;
}

static double push_lfm(long n, const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/push-lfm.lfmq", dir);
    lfm_queue *q = NULL;
    lfm_error *err = NULL;
    if (lfm_queue_open(path, &q, &err)) die(lfm_error_message(err));
    long first = (long)time(NULL) - n - 60;
    char a[64], t[64], al[64];
    long ts;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        play(i, first, a, t, al, &ts);
        lfm_track tr = {0};
        tr.artist = a; tr.track = t; tr.album = al; tr.timestamp = ts; tr.duration_secs = 200;
        if (lfm_queue_push(q, &tr, &err)) die(lfm_error_message(err));
    }
    double spent = now_s() - t0;
    lfm_queue_free(q);
    return (double)n / spent;
}

static double push_bare(long n, const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/push-bare.log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (fd < 0) die("open");
    long first = (long)time(NULL) - n - 60;
    char a[64], t[64], al[64], line[512];
    long ts;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        play(i, first, a, t, al, &ts);
        /* The same information as liblfm's journal line, about the same length. */
        int len = snprintf(line, sizeof line,
            "00000000 {\"album\":\"%s\",\"artist\":\"%s\",\"duration\":200,\"id\":%ld,\"op\":\"push\","
            "\"queuedAt\":%ld,\"timestamp\":%ld,\"track\":\"%s\",\"trackNumber\":0}\n",
            al, a, i + 1, (long)time(NULL), ts, t);
        if (write(fd, line, (size_t)len) != len || fdatasync(fd)) die("write/fdatasync");
    }
    double spent = now_s() - t0;
    close(fd);
    return (double)n / spent;
}

/* Write a queue journal holding `plays` pending plays (the documented format: a header
 * line, then `<crc32 hex> <JSON record>` lines). */
static void write_journal(const char *path, long plays, long first) {
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write the journal");
    fputs("lfm-queue 1\n", f);
    char a[64], t[64], al[64], body[512];
    long ts;
    for (long i = 0; i < plays; i++) {
        play(i, first, a, t, al, &ts);
        int len = snprintf(body, sizeof body,
            "{\"album\":\"%s\",\"artist\":\"%s\",\"duration\":0,\"id\":%ld,\"op\":\"push\","
            "\"queuedAt\":%ld,\"timestamp\":%ld,\"track\":\"%s\",\"trackNumber\":0}",
            al, a, i + 1, first, ts, t);
        fprintf(f, "%08lx %s\n", crc32(0, (const Bytef *)body, (uInt)len), body);
    }
    fclose(f);
}

static int cmp_kvp(const void *x, const void *y) {
    return strcmp(((const kv *)x)->name, ((const kv *)y)->name);
}

/* The body liblfm sends for plays [start, start+50): method, api_key, the tracks' fields,
 * sk, api_sig, format; every value percent-encoded. */
static char *scrobble_body(long start, long count, long first) {
    static char names[BATCH_TRACKS][4][24], values[BATCH_TRACKS][4][64];
    kv p[BATCH_PARAMS + 2];
    size_t n = 0;
    p[n++] = (kv){"method", "track.scrobble"};
    p[n++] = (kv){"api_key", API_KEY};
    static const char *fields[4] = {"artist", "track", "timestamp", "album"};
    for (long j = 0; j < count; j++) {
        long ts;
        play(start + j, first, values[j][0], values[j][1], values[j][3], &ts);
        sprintf(values[j][2], "%ld", ts);
        for (int f = 0; f < 4; f++) {
            sprintf(names[j][f], "%s[%ld]", fields[f], j);
            p[n++] = (kv){names[j][f], values[j][f]};
        }
    }
    p[n++] = (kv){"sk", SESSION};
    /* api_sig: sorted names + values + secret, MD5. */
    kv sorted[BATCH_PARAMS + 2];
    memcpy(sorted, p, n * sizeof *p);
    qsort(sorted, n, sizeof *sorted, cmp_kvp);
    char base[16384] = "";
    for (size_t i = 0; i < n; i++) { strcat(base, sorted[i].name); strcat(base, sorted[i].value); }
    strcat(base, SECRET);
    unsigned char d[16];
    static char sig[33];
    MD5((const unsigned char *)base, strlen(base), d);
    hex32(d, sig);
    p[n++] = (kv){"api_sig", sig};
    p[n++] = (kv){"format", "json"};
    char *body = malloc(65536), *w = body;
    for (size_t i = 0; i < n; i++) {
        if (i) *w++ = '&';
        w += form_escape(p[i].name, w);
        *w++ = '=';
        w += form_escape(p[i].value, w);
    }
    *w = 0;
    return body;
}

int main(int argc, char **argv) {
    if (argc < 5) die("usage: see the comment at the top of queue_bench.c");
    const char *what = argv[1], *who = argv[2], *dir = argv[4];
    long n = atol(argv[3]);
    if (!strcmp(what, "push")) {
        double r = !strcmp(who, "lfm") ? push_lfm(n, dir) : push_bare(n, dir);
        printf("plays_per_s=%.1f\n", r);
        return 0;
    }
    if (argc != 8) die("usage: queue_bench flush lfm|bare PLAYS DIR http|https PORT CA_PEM");
    tls = !strcmp(argv[5], "https");
    port = atoi(argv[6]);
    const char *ca = argv[7];
    long first = (long)time(NULL) - n - 3600;
    double spent;
    if (!strcmp(who, "lfm")) {
        char path[512], base_url[128];
        snprintf(path, sizeof path, "%s/flush-lfm.lfmq", dir);
        snprintf(base_url, sizeof base_url, "%s://127.0.0.1:%d/2.0/", argv[5], port);
        write_journal(path, n, first);
        lfm_client *client = NULL;
        lfm_queue *q = NULL;
        lfm_error *err = NULL;
        if (lfm_client_new(API_KEY, SECRET, &client, &err) ||
            lfm_client_set_base_url(client, base_url, &err) ||
            lfm_client_set_ca_file(client, ca, &err) ||
            lfm_client_set_rate_limit(client, 0, &err) ||
            /* The plain-http row measures the cost of TLS: the loopback nginx is ours. */
            lfm_client_set_allow_insecure_http(client, 1, &err) ||
            lfm_client_set_session_key(client, SESSION, &err) ||
            lfm_queue_open(path, &q, &err))
            die(lfm_error_message(err));
        size_t len = 0;
        lfm_queue_len(q, &len, NULL);
        if ((long)len != n) die("the generated journal did not load every play");
        size_t sent = 0;
        double t0 = now_s();
        if (lfm_queue_flush(q, client, &sent, &err)) die(lfm_error_message(err));
        spent = now_s() - t0;
        if ((long)sent != n) die("flush did not send every play");
        lfm_queue_len(q, &len, NULL);
        if (len) die("plays left after the flush");
        lfm_queue_free(q);
        lfm_client_free(client);
    } else {
        long reqs = (n + BATCH_TRACKS - 1) / BATCH_TRACKS;
        char **reqbuf = malloc((size_t)reqs * sizeof *reqbuf);
        size_t *reqlen = malloc((size_t)reqs * sizeof *reqlen);
        for (long r = 0; r < reqs; r++) {
            long count = n - r * BATCH_TRACKS < BATCH_TRACKS ? n - r * BATCH_TRACKS : BATCH_TRACKS;
            char *body = scrobble_body(r * BATCH_TRACKS, count, first);
            size_t blen = strlen(body);
            reqbuf[r] = malloc(blen + 512);
            reqlen[r] = (size_t)sprintf(reqbuf[r],
                "POST /2.0/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: bare-loop/1\r\nAccept: */*\r\n"
                "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
                "Content-Length: %zu\r\n\r\n%s", port, blen, body);
            free(body);
        }
        if (tls) ssl_ctx = bare_ssl_ctx(ca);
        conn *c = malloc(sizeof *c);
        conn_open(c);
        char path[512];
        snprintf(path, sizeof path, "%s/flush-bare.log", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
        if (fd < 0) die("open");
        double t0 = now_s();
        for (long r = 0; r < reqs; r++) {
            size_t got = bare_call(c, reqbuf[r], reqlen[r]);
            if (got < 1000 || !strstr(c->buf, "\"accepted\":50")) die("bare flush: bad reply");
            char line[512];
            int len = snprintf(line, sizeof line, "00000000 {\"op\":\"done\",\"first\":%ld,\"count\":50}\n",
                               r * BATCH_TRACKS + 1);
            if (write(fd, line, (size_t)len) != len || fdatasync(fd)) die("write/fdatasync");
        }
        spent = now_s() - t0;
        close(fd);
    }
    printf("seconds=%.4f plays_per_s=%.1f\n", spent, (double)n / spent);
    return 0;
}
