/* Signing cost, ns per signature.
 *
 *   sign_bench CONTENDER CASE SECONDS
 *   CONTENDER: lfm (lfm_sign) | openssl (MD5 over the prebuilt base string + hex: the limit)
 *              | plainc (copy, qsort by name, concatenate, OpenSSL MD5, hex: the usual C way)
 *   CASE:      love (the seed's track.love, 6 params) | batch (50-track scrobble, 203 params)
 *
 * Every contender's signature is checked against lfm_sign's before timing. Prints
 * `ns_per_op=<float> sig=<hex>` on stdout.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common.h"

#include <lfm.h>
#include <openssl/md5.h>

static const char *SECRET = "YOUR_SECRET";

static kv params[BATCH_PARAMS];
static size_t n_params;
static lfm_param lparams[BATCH_PARAMS];
static char *base; /* the signature base string, secret included */
static size_t base_len;

static int unsigned_name(const char *n) {
    return !strcmp(n, "format") || !strcmp(n, "callback") || !strcmp(n, "api_sig");
}

static int cmp_kv(const void *a, const void *b) {
    return strcmp(((const kv *)a)->name, ((const kv *)b)->name);
}

/* The textbook C implementation: copy the array, qsort by name, concatenate, MD5, hex. */
static char *plainc_sign(const kv *p, size_t n, const char *secret) {
    kv *sorted = malloc(n * sizeof *sorted);
    size_t m = 0, len = strlen(secret);
    for (size_t i = 0; i < n; i++) {
        if (unsigned_name(p[i].name)) continue;
        sorted[m++] = p[i];
        len += strlen(p[i].name) + strlen(p[i].value);
    }
    qsort(sorted, m, sizeof *sorted, cmp_kv);
    char *s = malloc(len + 1), *w = s;
    for (size_t i = 0; i < m; i++) {
        size_t a = strlen(sorted[i].name), b = strlen(sorted[i].value);
        memcpy(w, sorted[i].name, a); w += a;
        memcpy(w, sorted[i].value, b); w += b;
    }
    size_t c = strlen(secret);
    memcpy(w, secret, c); w += c;
    unsigned char d[16];
    MD5((const unsigned char *)s, (size_t)(w - s), d);
    free(s);
    free(sorted);
    char *out = malloc(33);
    hex32(d, out);
    return out;
}

static char *lfm_sig(void) {
    char *sig = NULL;
    lfm_error *err = NULL;
    if (lfm_sign(lparams, n_params, SECRET, &sig, &err) != LFM_OK) die(lfm_error_message(err));
    return sig;
}

int main(int argc, char **argv) {
    if (argc != 4) die("usage: sign_bench lfm|openssl|plainc love|batch SECONDS");
    const char *who = argv[1], *which = argv[2];
    double secs = atof(argv[3]);
    n_params = !strcmp(which, "love") ? love_params(params) : batch_params(params, 1764000000L);
    for (size_t i = 0; i < n_params; i++) lparams[i] = (lfm_param){params[i].name, params[i].value};

    /* The base string, built once (what the limit hashes). */
    char *prebuilt_sig = plainc_sign(params, n_params, SECRET);
    {
        kv sorted[BATCH_PARAMS];
        size_t m = 0, len = strlen(SECRET);
        for (size_t i = 0; i < n_params; i++)
            if (!unsigned_name(params[i].name)) { sorted[m++] = params[i]; len += strlen(params[i].name) + strlen(params[i].value); }
        qsort(sorted, m, sizeof *sorted, cmp_kv);
        base = malloc(len + 1);
        base[0] = 0;
        for (size_t i = 0; i < m; i++) { strcat(base, sorted[i].name); strcat(base, sorted[i].value); }
        strcat(base, SECRET);
        base_len = strlen(base);
    }
    char *ref = lfm_sig();
    if (strcmp(ref, prebuilt_sig)) die("lfm_sign and the plain C signature differ");
    if (!strcmp(which, "love") && strcmp(ref, "800b8884b00c9343d1d425ed271e0f42"))
        die("lfm_sign does not give the seed's signature");
    char sig[33];

    int mode = !strcmp(who, "lfm") ? 0 : !strcmp(who, "openssl") ? 1 : !strcmp(who, "plainc") ? 2 : -1;
    if (mode < 0) die("unknown contender");
    /* Calibrate a batch size that takes ~5 ms, then run batches until SECONDS pass. */
    long batch = 1;
    uint64_t ops = 0;
    double t0 = 0, spent = 0;
    for (int phase = 0; phase < 2; phase++) {
        double deadline = phase == 0 ? 0.2 : secs;
        ops = 0;
        t0 = now_s();
        do {
            for (long i = 0; i < batch; i++) {
                switch (mode) {
                case 0: { char *s = lfm_sig(); bench_sink += (unsigned char)s[0]; lfm_string_free(s); break; }
                case 1: { unsigned char d[16]; MD5((const unsigned char *)base, base_len, d); hex32(d, sig); bench_sink += (unsigned char)sig[0]; break; }
                default: { char *s = plainc_sign(params, n_params, SECRET); bench_sink += (unsigned char)s[0]; free(s); break; }
                }
            }
            ops += (uint64_t)batch;
            spent = now_s() - t0;
            if (phase == 0 && spent < 0.005) batch *= 2;
        } while (spent < deadline);
    }
    printf("ns_per_op=%.2f sig=%s base_len=%zu\n", spent * 1e9 / (double)ops, ref, base_len);
    lfm_string_free(ref);
    free(prebuilt_sig);
    free(base);
    return 0;
}
