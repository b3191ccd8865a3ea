/* A bare keep-alive HTTP/1.1 client (plain or OpenSSL TLS) for the benchmark limits:
 * send prebuilt request bytes, read one Content-Length reply. Include after common.h; the
 * including program defines `port`, `tls` and `ssl_ctx`. */
#ifndef LFM_BENCH_BARE_HTTP_H
#define LFM_BENCH_BARE_HTTP_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---------------------------------------------------------------- bare loop */
typedef struct { int fd; SSL *ssl; char buf[1 << 17]; } conn;

static void conn_open(conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a)) die("connect failed");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->ssl = NULL;
    if (tls) {
        c->ssl = SSL_new(ssl_ctx);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
        SSL_set_fd(c->ssl, c->fd);
        if (SSL_connect(c->ssl) != 1) { ERR_print_errors_fp(stderr); die("TLS handshake failed"); }
    }
}

static ssize_t c_write(conn *c, const char *p, size_t n) {
    return c->ssl ? SSL_write(c->ssl, p, (int)n) : write(c->fd, p, n);
}
static ssize_t c_read(conn *c, char *p, size_t n) {
    return c->ssl ? SSL_read(c->ssl, p, (int)n) : read(c->fd, p, n);
}

/* Send `req`, read one Content-Length reply; returns the body length. */
static size_t bare_call(conn *c, const char *req, size_t req_len) {
    size_t off = 0;
    while (off < req_len) {
        ssize_t w = c_write(c, req + off, req_len - off);
        if (w <= 0) die("write failed");
        off += (size_t)w;
    }
    size_t have = 0, head = 0, clen = 0;
    for (;;) {
        ssize_t r = c_read(c, c->buf + have, sizeof c->buf - 1 - have);
        if (r <= 0) die("read failed");
        have += (size_t)r;
        c->buf[have] = 0;
        if (!head) {
            char *end = strstr(c->buf, "\r\n\r\n");
            if (!end) continue;
            head = (size_t)(end - c->buf) + 4;
            if (strncmp(c->buf, "HTTP/1.1 200", 12)) die("bare: not a 200");
            char *cl = strcasestr(c->buf, "\r\ncontent-length:");
            if (!cl || cl > end) die("bare: no Content-Length");
            clen = strtoul(cl + 17, NULL, 10);
        }
        if (have >= head + clen) break;
    }
    if (have != head + clen) die("bare: unexpected extra bytes");
    return clen;
}


static SSL_CTX *bare_ssl_ctx(const char *ca_pem) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, ca_pem, NULL) != 1) die("cannot load CA");
    return ctx;
}
#endif
