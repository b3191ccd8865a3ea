/* Unsigned GET user.getInfo, calls per second, against nginx on loopback.
 *
 *   calls_bench CONTENDER PROTO THREADS SECONDS PORT CA_PEM
 *   CONTENDER: lfm     lfm_call on one client shared by every thread (rate limit off)
 *              bare    one kept-alive socket per thread, the same request bytes, reading the
 *                      Content-Length reply (OpenSSL for https): the limit
 *              libcurl one reused easy handle per thread
 *              curlcmd the curl command, spawned once per call
 *   PROTO: http | https
 *
 * Each thread makes a few warm-up calls (connections open, TLS done), waits for the others,
 * then calls until SECONDS have passed. Prints `calls_per_s=<float> calls=<n>`.
 */
#include "common.h"

#include <curl/curl.h>
#include <errno.h>
#include <lfm.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define API_KEY "0123456789abcdef0123456789abcdef"
#define PATH_QUERY "/2.0/?method=user.getInfo&api_key=" API_KEY "&user=RJ&format=json"
#define WARMUP 20

static const char *contender, *proto, *ca_pem;
static int port, n_threads, tls;
static double seconds, t_start, t_deadline;
static char url[256], base_url[128];
static lfm_client *client;
static SSL_CTX *ssl_ctx;
static pthread_barrier_t ready, go;

#include "bare_http.h"


/* ---------------------------------------------------------------- libcurl */
typedef struct { char *data; size_t len, cap; } sbuf;
static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    sbuf *b = ud;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        b->cap = (b->len + add + 1) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = 0;
    return add;
}

/* ---------------------------------------------------------------- threads */
typedef struct { uint64_t calls; } result;

static void *worker(void *arg) {
    result *res = arg;
    conn *c = NULL;
    CURL *easy = NULL;
    sbuf body = {0};
    char req[512];
    size_t req_len = 0;
    int mode = !strcmp(contender, "lfm") ? 0 : !strcmp(contender, "bare") ? 1
             : !strcmp(contender, "libcurl") ? 2 : 3;
    if (mode == 1) {
        c = malloc(sizeof *c);
        conn_open(c);
        req_len = (size_t)snprintf(req, sizeof req,
            "GET " PATH_QUERY " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: bare-loop/1\r\n"
            "Accept: */*\r\n\r\n", port);
    } else if (mode == 2) {
        easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(easy, CURLOPT_CAINFO, ca_pem);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
    }
    char *argv_curl[] = {"curl", "-s", "-o", "/dev/null", "--fail", "--cacert", (char *)ca_pem, url, NULL};
    uint64_t calls = 0;
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) {
            pthread_barrier_wait(&ready); /* everyone warmed up */
            pthread_barrier_wait(&go);    /* main has set the deadline */
        }
        for (uint64_t i = 0;; i++) {
            if (phase == 0 && i >= (mode == 3 ? 2 : WARMUP)) break;
            if (phase == 1 && now_s() >= t_deadline) break;
            switch (mode) {
            case 0: {
                lfm_param p[] = {{"user", "RJ"}};
                char *json = NULL;
                lfm_error *err = NULL;
                if (lfm_call(client, "user.getInfo", p, 1, 0, &json, &err) != LFM_OK) {
                    fprintf(stderr, "lfm_call: %s\n", lfm_error_message(err));
                    exit(2);
                }
                bench_sink += (unsigned char)json[0];
                lfm_string_free(json);
                break;
            }
            case 1: bench_sink += bare_call(c, req, req_len); break;
            case 2: {
                body.len = 0;
                if (curl_easy_perform(easy) != CURLE_OK) die("curl_easy_perform failed");
                long code = 0;
                curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
                if (code != 200 || body.len < 10) die("libcurl: bad reply");
                bench_sink += (unsigned char)body.data[0];
                break;
            }
            default: {
                pid_t pid;
                if (posix_spawnp(&pid, "curl", NULL, NULL, argv_curl, environ)) die("spawn curl");
                int st;
                if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) die("curl failed");
                break;
            }
            }
            if (phase == 1) calls++;
        }
    }
    res->calls = calls;
    if (easy) curl_easy_cleanup(easy);
    free(body.data);
    if (c) { if (c->ssl) SSL_free(c->ssl); close(c->fd); free(c); }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) die("usage: calls_bench lfm|bare|libcurl|curlcmd http|https THREADS SECONDS PORT CA_PEM");
    contender = argv[1];
    proto = argv[2];
    n_threads = atoi(argv[3]);
    seconds = atof(argv[4]);
    port = atoi(argv[5]);
    ca_pem = argv[6];
    tls = !strcmp(proto, "https");
    snprintf(base_url, sizeof base_url, "%s://127.0.0.1:%d/2.0/", proto, port);
    snprintf(url, sizeof url, "%s://127.0.0.1:%d" PATH_QUERY, proto, port);

    if (!strcmp(contender, "lfm")) {
        lfm_error *err = NULL;
        if (lfm_client_new(API_KEY, "secret", &client, &err) ||
            lfm_client_set_base_url(client, base_url, &err) ||
            lfm_client_set_ca_file(client, ca_pem, &err) ||
            lfm_client_set_rate_limit(client, 0, &err) ||
            lfm_client_set_timeout_ms(client, 10000, &err))
            die(lfm_error_message(err));
    } else if (!strcmp(contender, "libcurl")) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
    } else if (!strcmp(contender, "bare") && tls) {
        ssl_ctx = bare_ssl_ctx(ca_pem);
    }

    pthread_barrier_init(&ready, NULL, (unsigned)n_threads + 1);
    pthread_barrier_init(&go, NULL, (unsigned)n_threads + 1);
    pthread_t th[64];
    result res[64];
    if (n_threads < 1 || n_threads > 64) die("THREADS must be 1..64");
    for (int i = 0; i < n_threads; i++) pthread_create(&th[i], NULL, worker, &res[i]);
    pthread_barrier_wait(&ready);
    t_start = now_s();
    t_deadline = t_start + seconds;
    pthread_barrier_wait(&go);
    uint64_t total = 0;
    for (int i = 0; i < n_threads; i++) { pthread_join(th[i], NULL); total += res[i].calls; }
    double elapsed = now_s() - t_start;
    printf("calls_per_s=%.1f calls=%llu\n", (double)total / elapsed, (unsigned long long)total);
    if (client) lfm_client_free(client);
    return 0;
}
