/* sign: compute an api_sig with liblfm, no network needed.
 *
 * Signs the example from Last.fm's signature guide (track.love by KITANO REM) and prints
 * the signature, which must be 800b8884b00c9343d1d425ed271e0f42.
 *
 *   cc -std=c99 sign.c -I../include -L../target/release -llfm -o sign */
#include <stdio.h>
#include <string.h>

#include "lfm.h"

int main(void) {
    const lfm_param params[] = {
        {"method", "track.love"},
        {"artist", "KITANO REM"},
        {"track", "RAINSICK"},
        {"api_key", "YOUR_API_KEY"},
        {"sk", "YOUR_SESSION_KEY"},
        {"format", "json"}, /* never signed: the library drops it */
    };
    char *api_sig = NULL;
    lfm_error *err = NULL;
    if (lfm_sign(params, sizeof params / sizeof params[0], "YOUR_SECRET", &api_sig, &err) != LFM_OK) {
        fprintf(stderr, "sign failed: %s\n", lfm_error_message(err));
        lfm_error_free(err);
        return 1;
    }
    printf("liblfm %s\n", lfm_version());
    printf("api_sig for the guide's track.love example: %s\n", api_sig);
    int ok = strcmp(api_sig, "800b8884b00c9343d1d425ed271e0f42") == 0;
    printf("matches the guide: %s\n", ok ? "yes" : "NO");
    lfm_string_free(api_sig);
    return ok ? 0 : 1;
}
