/* The read layer from C against the mock: LFM_CALL_NORMALIZE and LFM_CALL_RETRY on lfm_call,
 * and every lfm_pager_* function (a 5,000-play walk through errors 8 and 29, resuming from
 * a saved state, an incremental import from a mark, bad arguments).
 *
 * Environment: LFM_BASE_URL (https), LFM_HTTP_BASE_URL (plain http, same server),
 * LFM_CA_FILE, LFM_API_KEY, LFM_API_SECRET. The server must understand the mock's read
 * control methods (mock.loadPlays, mock.addPlays, mock.pageFault, mock.plays, mock.stats).
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200112L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "lfm.h"

static const char *base_url, *http_base_url, *ca_file, *api_key, *api_secret;

/* ---- a few lines of JSON reading: enough to pick members out of the library's output ---- */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    return p;
}

/* The end of the JSON value that starts at p (after leading space), or NULL. */
static const char *skip_value(const char *p) {
    int depth = 0, in_string = 0;
    p = ws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) p++;
        }
        return *p ? p + 1 : NULL;
    }
    if (*p != '{' && *p != '[') {
        while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ') p++;
        return p;
    }
    for (; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1]) p++;
            else if (*p == '"') in_string = 0;
        } else if (*p == '"') {
            in_string = 1;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p + 1;
        }
    }
    return NULL;
}

/* The value of member `key` of the object at `obj`, or NULL (also for a NULL obj). */
static const char *member(const char *obj, const char *key) {
    size_t len = strlen(key);
    const char *p;
    if (obj == NULL) return NULL;
    p = ws(obj);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    while (*p == '"') {
        const char *name = p + 1, *after = skip_value(p);
        int match;
        if (after == NULL) return NULL;
        match = (size_t)(after - 1 - name) == len && strncmp(name, key, len) == 0;
        p = ws(after);
        if (*p != ':') return NULL;
        p = ws(p + 1);
        if (match) return p;
        p = skip_value(p);
        if (p == NULL) return NULL;
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

/* Element `i` of the array at `arr`, or NULL. */
static const char *element(const char *arr, size_t i) {
    const char *p;
    if (arr == NULL) return NULL;
    p = ws(arr);
    if (*p != '[') return NULL;
    p = ws(p + 1);
    while (*p && *p != ']') {
        if (i-- == 0) return p;
        p = skip_value(p);
        if (p == NULL) return NULL;
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

/* The JSON text of the value at p, as a malloc'd string ("" for NULL). */
static char *text_of(const char *p) {
    const char *end = p ? skip_value(p) : NULL;
    size_t len = end ? (size_t)(end - p) : 0;
    char *out = malloc(len + 1);
    if (out == NULL) exit(2);
    if (len) memcpy(out, p, len);
    out[len] = '\0';
    return out;
}

/* ---- a list of plays, each "uts|artist|track" as JSON tokens ---- */

typedef struct {
    char **keys;
    size_t len, cap;
} plays;

static void plays_add(plays *l, const char *uts, const char *artist, const char *track) {
    char *u = text_of(uts), *a = text_of(artist), *t = text_of(track);
    size_t n = strlen(u) + strlen(a) + strlen(t) + 3;
    char *key = malloc(n);
    if (key == NULL) exit(2);
    snprintf(key, n, "%s|%s|%s", u, a, t);
    free(u);
    free(a);
    free(t);
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->keys = realloc(l->keys, l->cap * sizeof *l->keys);
        if (l->keys == NULL) exit(2);
    }
    l->keys[l->len++] = key;
}

static void plays_free(plays *l) {
    size_t i;
    for (i = 0; i < l->len; i++) free(l->keys[i]);
    free(l->keys);
    l->keys = NULL;
    l->len = l->cap = 0;
}

/* Whether two lists hold the same plays in the same order; reports the first difference. */
static int plays_equal(const plays *got, const plays *want, size_t want_len) {
    size_t i;
    if (got->len != want_len) {
        fprintf(stderr, "got %zu plays, want %zu\n", got->len, want_len);
        return 0;
    }
    for (i = 0; i < want_len; i++) {
        if (strcmp(got->keys[i], want->keys[i]) != 0) {
            fprintf(stderr, "play %zu: got %s, want %s\n", i, got->keys[i], want->keys[i]);
            return 0;
        }
    }
    return 1;
}

/* Add every item of a page (a JSON array of normalized recent tracks); counts now-playing
 * items and items without a date in *bad. */
static void add_page(plays *l, const char *page, int *bad) {
    const char *item;
    size_t i;
    for (i = 0; (item = element(page, i)) != NULL; i++) {
        const char *uts = member(member(item, "date"), "uts");
        if (member(item, "nowplaying") != NULL || uts == NULL) {
            (*bad)++;
            continue;
        }
        plays_add(l, uts, member(member(item, "artist"), "name"), member(item, "name"));
    }
}

/* ---- the client and the mock ---- */

static lfm_client *new_client(void) {
    lfm_client *client = NULL;
    CHECK_STATUS(lfm_client_new(api_key, api_secret, &client, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_base_url(client, base_url, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_ca_file(client, ca_file, NULL), LFM_OK);
    CHECK_STATUS(lfm_client_set_rate_limit(client, 0, NULL), LFM_OK);
    return client;
}

static void mock_do(lfm_client *client, const char *method, const lfm_param *params, size_t n) {
    lfm_string_free(check_mock(client, method, params, n));
}

/* Make `page` of user.getRecentTracks fail once with Last.fm error `code`. */
static void page_fault(lfm_client *client, const char *page, const char *code) {
    lfm_param p[] = {{"method_name", "user.getRecentTracks"}, {"page", page}, {"code", code}};
    mock_do(client, "mock.pageFault", p, 3);
}

/* The mock's whole history, newest first. */
static plays mock_plays(lfm_client *client) {
    plays l = {NULL, 0, 0};
    char *body = check_mock(client, "mock.plays", NULL, 0);
    const char *all = member(body, "plays"), *p;
    size_t i;
    for (i = 0; (p = element(all, i)) != NULL; i++) {
        plays_add(&l, member(p, "uts"), member(p, "artist"), member(p, "track"));
    }
    lfm_string_free(body);
    return l;
}

/* How many requests for `method` the mock has answered. */
static long requests_for(lfm_client *client, const char *method) {
    char *body = check_mock(client, "mock.stats", NULL, 0);
    const char *n = member(member(body, "by_method"), method);
    long count = n ? strtol(n, NULL, 10) : 0;
    lfm_string_free(body);
    return count;
}

/* A reply fetched over a plain socket, bypassing liblfm: what the server sent, byte for
 * byte (the parameters must need no percent-encoding). */
static char *raw_get(const char *method, const lfm_param *params, size_t n) {
    char request[2048], host[64], path[256];
    unsigned port = 0;
    size_t i, used, got = 0, cap = 1 << 16;
    char *reply = malloc(cap), *body;
    struct sockaddr_in addr;
    int fd;
    ssize_t r;
    if (reply == NULL) exit(2);
    if (sscanf(http_base_url, "http://%63[^:]:%u%255s", host, &port, path) != 3) {
        fprintf(stderr, "cannot read LFM_HTTP_BASE_URL %s\n", http_base_url);
        exit(2);
    }
    used = (size_t)snprintf(request, sizeof request, "GET %s?method=%s&api_key=%s&format=json",
                            path, method, api_key);
    for (i = 0; i < n; i++) {
        used += (size_t)snprintf(request + used, sizeof request - used, "&%s=%s",
                                 params[i].name, params[i].value);
    }
    snprintf(request + used, sizeof request - used,
             " HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1 ||
        (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        fprintf(stderr, "cannot GET %s from %s\n", method, http_base_url);
        exit(2);
    }
    while ((r = read(fd, reply + got, cap - got - 1)) > 0) {
        got += (size_t)r;
        if (got + 1 == cap) {
            cap *= 2;
            reply = realloc(reply, cap);
            if (reply == NULL) exit(2);
        }
    }
    close(fd);
    reply[got] = '\0';
    body = strstr(reply, "\r\n\r\n");
    if (body == NULL) exit(2);
    memmove(reply, body + 4, strlen(body + 4) + 1);
    return reply;
}

/* lfm_call with `flags`; the body, or NULL after checking nothing failed. */
static char *call(lfm_client *client, const char *method, const lfm_param *params, size_t n,
                  uint32_t flags) {
    char *json = NULL;
    lfm_error *err = NULL;
    CHECK_STATUS(lfm_call(client, method, params, n, flags, &json, &err), LFM_OK);
    if (err) {
        fprintf(stderr, "%s: %s\n", method, lfm_error_message(err));
        lfm_error_free(err);
    }
    return json;
}

/* ---- the tests ---- */

/* Each read method the mock serves: without the flag the body is the server's, byte for
 * byte; with LFM_CALL_NORMALIZE, collapsed lists are arrays, strings are typed, no `#text`
 * or `@attr` is left, images are maps without the placeholder star. */
static void check_normalized(lfm_client *client, const char *method, const lfm_param *params,
                             size_t n, const char *raw_has, const char *const *normal_has) {
    char *raw = raw_get(method, params, n);
    char *plain = call(client, method, params, n, 0);
    char *normal = call(client, method, params, n, LFM_CALL_NORMALIZE);
    CHECK(plain != NULL && strcmp(plain, raw) == 0);
    CHECK(strstr(raw, raw_has) != NULL);
    if (normal != NULL) {
        CHECK(strstr(normal, "\"#text\"") == NULL);
        CHECK(strstr(normal, "\"@attr\"") == NULL);
        CHECK(strstr(normal, "2a96cbd8b46e442fc41c2b86b821562f") == NULL);
        for (; *normal_has; normal_has++) {
            if (strstr(normal, *normal_has) == NULL) {
                fprintf(stderr, "%s normalized lacks %s: %s\n", method, *normal_has, normal);
                CHECK(!"normalized reply has the expected member");
            }
        }
    }
    free(raw);
    lfm_string_free(plain);
    lfm_string_free(normal);
}

static void test_normalize(lfm_client *client) {
    lfm_param load[] = {{"count", "1"}, {"loved", "1"}, {"seed", "3"}};
    lfm_param user[] = {{"user", "RJ"}};
    lfm_param cher[] = {{"artist", "Cher"}};
    lfm_param album[] = {{"artist", "Cher"}, {"album", "Believe"}};
    lfm_param track[] = {{"artist", "Cher"}, {"track", "Believe"}, {"username", "RJ"}};
    lfm_param none[] = {{"count", "0"}};
    const char *recent[] = {"\"track\":[{", "\"uts\":1600000000", "\"streamable\":false",
                            "\"attr\":{\"page\":1,\"perPage\":50,\"total\":1,\"totalPages\":1",
                            "\"artist\":{\"mbid\":\"bfcc6d75-a6a5-4bc6-8282-47aec8531818\",\"name\":\"Cher\"}",
                            "\"image\":{\"extralarge\":\"https://", NULL};
    const char *loved[] = {"\"track\":[{", "\"image\":{}",
                           "\"streamable\":{\"fulltrack\":false,\"text\":false}", NULL};
    const char *top[] = {"\"artist\":[{", "\"rank\":1", "\"playcount\":1", NULL};
    const char *info[] = {"\"playcount\":1", "\"subscriber\":false", "\"unixtime\":1037793040",
                          "\"age\":0", NULL};
    const char *artist[] = {"\"similar\":{\"artist\":[{", "\"link\":[{", "\"tag\":[{",
                            "\"ontour\":true", "\"listeners\":1356345", NULL};
    const char *alb[] = {"\"tags\":{\"tag\":[]}", "\"track\":[{", "\"rank\":1",
                         "\"listeners\":174815", NULL};
    const char *trk[] = {"\"userloved\":true", "\"userplaycount\":1", "\"tag\":[{",
                         "\"position\":1", "\"duration\":240000", NULL};
    const char *empty[] = {"\"track\":[]", NULL};
    char *body;

    mock_do(client, "mock.loadPlays", load, 3);
    check_normalized(client, "user.getRecentTracks", user, 1, "\"track\":{", recent);
    check_normalized(client, "user.getLovedTracks", user, 1, "\"track\":{", loved);
    check_normalized(client, "user.getTopArtists", user, 1, "\"artist\":{", top);
    check_normalized(client, "user.getInfo", user, 1, "\"playcount\":\"1\"", info);
    check_normalized(client, "artist.getInfo", cher, 1, "\"link\":{", artist);
    check_normalized(client, "album.getInfo", album, 2, "\"tags\":\"\"", alb);
    check_normalized(client, "track.getInfo", track, 3, "\"userloved\":\"1\"", trk);
    mock_do(client, "mock.loadPlays", none, 1);
    check_normalized(client, "user.getRecentTracks", user, 1, "\"track\":[]", empty);
    check_normalized(client, "user.getLovedTracks", user, 1, "\"track\":[]", empty);

    /* The flags combine with the others, and unknown bits are still refused. */
    body = call(client, "user.getInfo", user, 1, LFM_CALL_NORMALIZE | LFM_CALL_SIGNED);
    CHECK(body != NULL && strstr(body, "\"playcount\":0") != NULL);
    lfm_string_free(body);
    body = (char *)"sentinel";
    CHECK_STATUS(lfm_call(client, "user.getInfo", user, 1, 32, &body, NULL),
                 LFM_ERR_INVALID_ARGUMENT);
    CHECK(body == NULL);
}

/* LFM_CALL_RETRY: through a transient error (16) the call succeeds on its second attempt;
 * a permanent one (6) fails at once; without the flag the transient one fails. */
static void test_retry(lfm_client *client) {
    lfm_param user[] = {{"user", "RJ"}};
    lfm_param load[] = {{"count", "3"}};
    lfm_error *err = NULL;
    char *body = (char *)"sentinel";
    long before;

    mock_do(client, "mock.loadPlays", load, 1);
    page_fault(client, "1", "16");
    CHECK_STATUS(lfm_call(client, "user.getRecentTracks", user, 1, 0, &body, &err), LFM_ERR_API);
    CHECK(body == NULL && lfm_error_api_code(err) == 16 && lfm_error_is_retryable(err));
    lfm_error_free(err);

    page_fault(client, "1", "16");
    before = requests_for(client, "user.getRecentTracks");
    body = call(client, "user.getRecentTracks", user, 1, LFM_CALL_RETRY | LFM_CALL_NORMALIZE);
    CHECK(body != NULL && strstr(body, "\"total\":3") != NULL);
    lfm_string_free(body);
    CHECK(requests_for(client, "user.getRecentTracks") - before == 2);

    page_fault(client, "1", "6");
    before = requests_for(client, "user.getRecentTracks");
    CHECK_STATUS(lfm_call(client, "user.getRecentTracks", user, 1, LFM_CALL_RETRY, &body, &err),
                 LFM_ERR_API);
    CHECK(body == NULL && lfm_error_api_code(err) == 6);
    lfm_error_free(err);
    CHECK(requests_for(client, "user.getRecentTracks") - before == 1);
}

/* Bad arguments: a clear status, never a crash; every out-parameter blanked. */
static void test_bad_arguments(lfm_client *client) {
    lfm_param user[] = {{"user", "RJ"}};
    lfm_param page[] = {{"user", "RJ"}, {"page", "2"}};
    lfm_param from[] = {{"user", "RJ"}, {"from", "10"}};
    lfm_param null_value[] = {{"user", NULL}};
    lfm_pager *pager = (lfm_pager *)(void *)&pager; /* not NULL: blanked? */
    lfm_error *err = NULL;
    char *json = (char *)"sentinel";

#define REFUSED(expr)                                                          \
    do {                                                                       \
        err = NULL;                                                            \
        CHECK_STATUS(expr, LFM_ERR_INVALID_ARGUMENT);                          \
        CHECK(err != NULL && lfm_error_message(err)[0] != '\0');               \
        lfm_error_free(err);                                                   \
    } while (0)

    REFUSED(lfm_pager_open(NULL, "user.getRecentTracks", user, 1, 0, &pager, &err));
    CHECK(pager == NULL);
    REFUSED(lfm_pager_open(client, NULL, user, 1, 0, &pager, &err));
    REFUSED(lfm_pager_open(client, "track.getInfo", user, 1, 0, &pager, &err));
    CHECK(pager == NULL);
    REFUSED(lfm_pager_open(client, "user.getRecentTracks", page, 2, 0, &pager, &err));
    REFUSED(lfm_pager_open(client, "user.getTopArtists", from, 2, 0, &pager, &err));
    REFUSED(lfm_pager_open(client, "user.getRecentTracks", null_value, 1, 0, &pager, &err));
    REFUSED(lfm_pager_open(client, "user.getRecentTracks", NULL, 1, 0, &pager, &err));
    REFUSED(lfm_pager_open(client, "user.getRecentTracks", user, 1, 64, &pager, &err));
    REFUSED(lfm_pager_open(client, "user.getRecentTracks", user, 1, 0, NULL, &err));
    REFUSED(lfm_pager_resume(client, "nope", 0, &pager, &err));
    REFUSED(lfm_pager_resume(client, "{}", 0, &pager, &err));
    REFUSED(lfm_pager_resume(client, NULL, 0, &pager, &err));
    REFUSED(lfm_pager_resume(NULL, "{}", 0, &pager, &err));
    CHECK(pager == NULL);
    REFUSED(lfm_pager_open_after(client, "user.getRecentTracks", user, 1, 0, "{\"uts\":1}",
                                 &pager, &err));
    REFUSED(lfm_pager_open_after(client, "user.getRecentTracks", user, 1, 0, NULL, &pager,
                                 &err));
    REFUSED(lfm_pager_open_after(client, "user.getTopArtists", user, 1, 0,
                                 "{\"plays\":[],\"uts\":5}", &pager, &err));
    CHECK(pager == NULL);
    REFUSED(lfm_pager_next(NULL, &json, &err));
    CHECK(json == NULL);
    REFUSED(lfm_pager_state(NULL, &json, &err));
    REFUSED(lfm_pager_mark(NULL, &json, &err));
    REFUSED(lfm_pager_set_max_attempts(NULL, 2, &err));
    REFUSED(lfm_pager_set_max_wait_ms(NULL, 2, &err));
    CHECK(lfm_pager_total(NULL) == -1);
    CHECK(lfm_pager_total_pages(NULL) == -1);
    CHECK(lfm_pager_page(NULL) == -1);
    lfm_pager_free(NULL);

    /* A pager before its first page, and its own bad arguments. */
    CHECK_STATUS(lfm_pager_open(client, "user.getRecentTracks", user, 1,
                                LFM_CALL_NORMALIZE | LFM_CALL_RETRY, &pager, &err),
                 LFM_OK);
    CHECK(err == NULL && pager != NULL);
    CHECK(lfm_pager_total(pager) == -1 && lfm_pager_total_pages(pager) == -1);
    CHECK(lfm_pager_page(pager) == 0);
    REFUSED(lfm_pager_next(pager, NULL, &err));
    REFUSED(lfm_pager_state(pager, NULL, &err));
    REFUSED(lfm_pager_set_max_attempts(pager, 0, &err));
    json = (char *)"sentinel";
    CHECK_STATUS(lfm_pager_mark(pager, &json, NULL), LFM_OK);
    CHECK(json == NULL);
    lfm_pager_free(pager);

    /* An unknown user is the method's error, from the first page. */
    {
        lfm_param nobody[] = {{"user", "nobody-at-all"}};
        CHECK_STATUS(lfm_pager_open(client, "user.getRecentTracks", nobody, 1, 0, &pager, NULL),
                     LFM_OK);
        CHECK_STATUS(lfm_pager_set_max_attempts(pager, 1, NULL), LFM_OK);
        json = (char *)"sentinel";
        CHECK_STATUS(lfm_pager_next(pager, &json, &err), LFM_ERR_API);
        CHECK(json == NULL && lfm_error_api_code(err) == 6);
        lfm_error_free(err);
        lfm_pager_free(pager);
    }
#undef REFUSED
}

/* Walk a pager to its end, adding every play to *got; returns the pages delivered and
 * checks that lfm_pager_page() follows them. */
static int walk(lfm_pager *pager, plays *got, int *bad) {
    int pages = 0;
    for (;;) {
        char *page = NULL;
        lfm_error *err = NULL;
        lfm_status status = lfm_pager_next(pager, &page, &err);
        CHECK_STATUS(status, LFM_OK);
        if (status != LFM_OK) {
            fprintf(stderr, "walk: %s\n", lfm_error_message(err));
            lfm_error_free(err);
            return pages;
        }
        if (page == NULL) break;
        pages++;
        CHECK(strcmp(page, "[]") != 0);
        add_page(got, page, bad);
        lfm_string_free(page);
    }
    return pages;
}

/* 5,000 plays (some sharing a second) in 25 pages, a track playing, error 8 on page 7 and
 * error 29 on page 12: every play once, newest first, without the now-playing item. */
static void test_pager_5000(lfm_client *client) {
    lfm_param load[] = {{"count", "5000"}, {"shared_every", "7"}, {"now_playing", "1"}};
    lfm_param user[] = {{"user", "RJ"}};
    plays want, got = {NULL, 0, 0};
    lfm_pager *pager = NULL;
    int bad = 0, pages = 0, page_numbers_ok = 1;
    long before;
    char *end = (char *)"sentinel";

    mock_do(client, "mock.loadPlays", load, 3);
    want = mock_plays(client);
    CHECK(want.len == 5000);
    page_fault(client, "7", "8");
    page_fault(client, "12", "29");
    before = requests_for(client, "user.getRecentTracks");

    CHECK_STATUS(lfm_pager_open(client, "user.getRecentTracks", user, 1, 0, &pager, NULL),
                 LFM_OK);
    /* The 29's suggested wait (30 s) must not make the test slow: bound the back-off. */
    CHECK_STATUS(lfm_pager_set_max_wait_ms(pager, 20, NULL), LFM_OK);
    for (;;) {
        char *page = NULL;
        lfm_error *err = NULL;
        if (lfm_pager_next(pager, &page, &err) != LFM_OK) {
            fprintf(stderr, "page %d: %s\n", pages + 1, lfm_error_message(err));
            lfm_error_free(err);
            CHECK(!"every page arrives through the transient errors");
            break;
        }
        if (page == NULL) break;
        pages++;
        if (lfm_pager_page(pager) != pages) page_numbers_ok = 0;
        add_page(&got, page, &bad);
        lfm_string_free(page);
    }
    CHECK(pages == 25 && page_numbers_ok);
    CHECK(bad == 0);
    CHECK(plays_equal(&got, &want, want.len));
    CHECK(lfm_pager_total(pager) == 5000);
    CHECK(lfm_pager_total_pages(pager) == 25 && lfm_pager_page(pager) == 25);
    /* 25 pages, page 1 asked again inside the window, two failed attempts retried. */
    CHECK(requests_for(client, "user.getRecentTracks") - before == 25 + 1 + 2);
    /* The end stays the end. */
    CHECK_STATUS(lfm_pager_next(pager, &end, NULL), LFM_OK);
    CHECK(end == NULL);
    lfm_pager_free(pager);
    plays_free(&got);
    plays_free(&want);
}

/* A page fails for good (one attempt, error 16): the pager stays on it; its saved state
 * resumes on another client (freed before the pager: safe) without a gap or a repeat. */
static void test_resume(lfm_client *client) {
    lfm_param load[] = {{"count", "450"}, {"shared_every", "2"}, {"now_playing", "1"}};
    lfm_param params[] = {{"user", "RJ"}, {"limit", "100"}};
    plays want, got = {NULL, 0, 0};
    lfm_pager *pager = NULL, *resumed = NULL;
    lfm_client *other;
    lfm_error *err = NULL;
    char *state = NULL, *page = NULL;
    int bad = 0, i;

    mock_do(client, "mock.loadPlays", load, 3);
    page_fault(client, "3", "16");
    want = mock_plays(client);
    CHECK_STATUS(lfm_pager_open(client, "user.getRecentTracks", params, 2, 0, &pager, NULL),
                 LFM_OK);
    CHECK_STATUS(lfm_pager_set_max_attempts(pager, 1, NULL), LFM_OK);
    for (i = 0; i < 2; i++) {
        CHECK_STATUS(lfm_pager_next(pager, &page, NULL), LFM_OK);
        if (page) add_page(&got, page, &bad);
        lfm_string_free(page);
    }
    page = (char *)"sentinel";
    CHECK_STATUS(lfm_pager_next(pager, &page, &err), LFM_ERR_API);
    CHECK(page == NULL && lfm_error_api_code(err) == 16);
    CHECK(err && strstr(lfm_error_message(err), "page 3") != NULL);
    lfm_error_free(err);
    CHECK(lfm_pager_page(pager) == 2 && lfm_pager_total_pages(pager) == 5);
    CHECK_STATUS(lfm_pager_state(pager, &state, NULL), LFM_OK);
    CHECK(state != NULL && strstr(state, "\"page\":3") != NULL);
    lfm_pager_free(pager);

    other = new_client();
    CHECK_STATUS(lfm_pager_resume(other, state, 0, &resumed, &err), LFM_OK);
    CHECK(err == NULL);
    lfm_client_free(other);
    CHECK(lfm_pager_page(resumed) == 2 && lfm_pager_total(resumed) == -1);
    CHECK(walk(resumed, &got, &bad) == 3);
    CHECK(bad == 0);
    CHECK(plays_equal(&got, &want, want.len));
    CHECK(lfm_pager_total(resumed) == 450 && lfm_pager_page(resumed) == 5);
    lfm_pager_free(resumed);
    lfm_string_free(state);
    plays_free(&got);
    plays_free(&want);
}

/* An import, then 30 new plays (the first in the same second as the newest imported one):
 * a pager opened after the first one's mark gets exactly the new plays. */
static void test_incremental(lfm_client *client) {
    lfm_param load[] = {{"count", "1000"}, {"shared_every", "4"}, {"seed", "9"}};
    lfm_param user[] = {{"user", "RJ"}};
    lfm_param small[] = {{"user", "RJ"}, {"limit", "7"}};
    plays first = {NULL, 0, 0}, next = {NULL, 0, 0}, want;
    lfm_pager *pager = NULL;
    char *mark = NULL, *newest;
    int bad = 0;

    mock_do(client, "mock.loadPlays", load, 3);
    CHECK_STATUS(lfm_pager_open(client, "user.getRecentTracks", user, 1, 0, &pager, NULL),
                 LFM_OK);
    walk(pager, &first, &bad);
    CHECK(first.len == 1000);
    CHECK_STATUS(lfm_pager_mark(pager, &mark, NULL), LFM_OK);
    lfm_pager_free(pager);
    CHECK(mark != NULL && first.len > 0);
    if (mark == NULL || first.len == 0) return;
    newest = text_of(member(mark, "uts"));
    CHECK(strncmp(first.keys[0], newest, strlen(newest)) == 0);
    {
        lfm_param add[] = {{"count", "30"}, {"at", newest}, {"shared_every", "3"}, {"seed", "4"}};
        mock_do(client, "mock.addPlays", add, 4);
    }
    want = mock_plays(client);
    /* The newest imported second has a new play too: cutting at the next second loses it. */
    {
        size_t i, shared = 0;
        for (i = 0; i < 30 && i < want.len; i++) {
            shared += strncmp(want.keys[i], newest, strlen(newest)) == 0;
        }
        CHECK(shared > 0);
    }

    CHECK_STATUS(lfm_pager_open_after(client, "user.getRecentTracks", small, 2, 0, mark,
                                      &pager, NULL),
                 LFM_OK);
    walk(pager, &next, &bad);
    CHECK(bad == 0);
    CHECK(plays_equal(&next, &want, 30));
    lfm_pager_free(pager);

    /* A pager that is not a timeline has no mark, even after a page. */
    CHECK_STATUS(lfm_pager_open(client, "user.getTopArtists", user, 1, 0, &pager, NULL), LFM_OK);
    {
        char *page = NULL;
        CHECK_STATUS(lfm_pager_next(pager, &page, NULL), LFM_OK);
        CHECK(page != NULL && strstr(page, "\"rank\":1") != NULL);
        lfm_string_free(page);
    }
    lfm_string_free(mark);
    mark = (char *)"sentinel";
    CHECK_STATUS(lfm_pager_mark(pager, &mark, NULL), LFM_OK);
    CHECK(mark == NULL);
    lfm_pager_free(pager);
    free(newest);
    plays_free(&first);
    plays_free(&next);
    plays_free(&want);
}

int main(void) {
    lfm_client *client;
    base_url = check_env("LFM_BASE_URL");
    http_base_url = check_env("LFM_HTTP_BASE_URL");
    ca_file = check_env("LFM_CA_FILE");
    api_key = check_env("LFM_API_KEY");
    api_secret = check_env("LFM_API_SECRET");

    client = new_client();
    test_bad_arguments(client);
    test_normalize(client);
    test_retry(client);
    test_pager_5000(client);
    test_resume(client);
    test_incremental(client);
    lfm_client_free(client);
    return check_summary();
}
