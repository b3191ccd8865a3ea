// The installed C header; its directory comes from `pkg-config --cflags lfm`.
#include <lfm.h>
