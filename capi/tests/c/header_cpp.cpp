// The header must compile as C++ (and survive being included twice).
#include "lfm.h"
#include "lfm.h"

#include <cstdio>

int main() {
    lfm_param p = {"method", "auth.getSession"};
    char *sig = nullptr;
    lfm_status status = lfm_sign(&p, 1, "s", &sig, nullptr);
    std::printf("%s %s\n", lfm_status_str(status), sig ? sig : "(null)");
    lfm_string_free(sig);
    return status == LFM_OK ? 0 : 1;
}
