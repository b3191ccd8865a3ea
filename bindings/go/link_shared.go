//go:build !lfm_static

package lfm

// Link the shared liblfm found by pkg-config (PKG_CONFIG_PATH for a non-system prefix).
// At run time the loader must find liblfm.so.0: a system path, LD_LIBRARY_PATH, or an rpath
// (CGO_LDFLAGS="-Wl,-rpath,<prefix>/lib").

// #cgo pkg-config: lfm
import "C"
