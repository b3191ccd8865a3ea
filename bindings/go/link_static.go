//go:build lfm_static

package lfm

// With -tags lfm_static: link liblfm.a, plus the system libraries pkg-config --static lists
// (lfm.pc's Libs.private). -l:liblfm.a names the archive explicitly, because -llfm picks
// liblfm.so when both are installed; --as-needed then drops the unused shared library.

// #cgo pkg-config: --static lfm
// #cgo LDFLAGS: -l:liblfm.a -Wl,--as-needed
import "C"
