/* Footprint.
 *
 *   footprint rss CALLS SAMPLE_AT BASE_URL CA_PEM
 *       CALLS unsigned user.getInfo lfm_call()s on one client; prints the resident set
 *       (VmRSS, kB) after SAMPLE_AT calls and at the end, and the peak (VmHWM).
 *   footprint client ITERATIONS BASE_URL CA_PEM
 *       after a first client (made and freed, untimed), times ITERATIONS rounds of
 *       lfm_client_new + set_base_url + set_ca_file + set_timeout_ms + lfm_client_free;
 *       prints the median and mean microseconds per round.
 */
#include "common.h"

#include <lfm.h>

#define API_KEY "0123456789abcdef0123456789abcdef"

static long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) kb = atol(line + n + 1);
    if (f) fclose(f);
    return kb;
}

static lfm_client *make_client(const char *base_url, const char *ca) {
    lfm_client *c = NULL;
    lfm_error *err = NULL;
    if (lfm_client_new(API_KEY, "secret", &c, &err) ||
        lfm_client_set_base_url(c, base_url, &err) ||
        lfm_client_set_ca_file(c, ca, &err) ||
        lfm_client_set_timeout_ms(c, 10000, &err))
        die(lfm_error_message(err));
    return c;
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: footprint rss|client ...");
    if (!strcmp(argv[1], "rss")) {
        if (argc != 6) die("usage: footprint rss CALLS SAMPLE_AT BASE_URL CA_PEM");
        long calls = atol(argv[2]), sample_at = atol(argv[3]);
        lfm_client *c = make_client(argv[4], argv[5]);
        lfm_client_set_rate_limit(c, 0, NULL);
        long rss_sample = -1;
        lfm_param p[] = {{"user", "RJ"}};
        for (long i = 1; i <= calls; i++) {
            char *json = NULL;
            lfm_error *err = NULL;
            if (lfm_call(c, "user.getInfo", p, 1, 0, &json, &err)) die(lfm_error_message(err));
            lfm_string_free(json);
            if (i == sample_at) rss_sample = status_kb("VmRSS:");
        }
        long rss_end = status_kb("VmRSS:"), hwm = status_kb("VmHWM:");
        lfm_client_free(c);
        printf("rss_kb_sample=%ld rss_kb_end=%ld hwm_kb=%ld\n", rss_sample, rss_end, hwm);
        return 0;
    }
    if (argc != 5) die("usage: footprint client ITERATIONS BASE_URL CA_PEM");
    int iters = atoi(argv[2]);
    lfm_client_free(make_client(argv[3], argv[4]));
    double *us = malloc((size_t)iters * sizeof *us), total = 0;
    for (int i = 0; i < iters; i++) {
        double t0 = now_s();
        lfm_client_free(make_client(argv[3], argv[4]));
        us[i] = (now_s() - t0) * 1e6;
        total += us[i];
    }
    printf("median_us=%.2f mean_us=%.2f\n", median(us, iters), total / iters);
    free(us);
    return 0;
}
