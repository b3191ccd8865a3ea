package lfm

// Only declarations here: a file with //export may not define C functions.

// #include <stdint.h>
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"unsafe"
)

// lfmGoLog is the C log callback (via lfm_go_log in logger.go). userData carries the
// cgo.Handle of the Go function set by Client.SetLogger; the handle outlives every call
// that may log with it (SetLogger and Close hold the client's write lock).
//
//export lfmGoLog
func lfmGoLog(userData unsafe.Pointer, level C.int32_t, message *C.char) {
	defer func() {
		// A panic must not unwind into the library's (Rust) frames.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "lfm: log callback panicked: %v\n", r)
		}
	}()
	fn, ok := cgo.Handle(uintptr(userData)).Value().(func(LogLevel, string))
	if !ok {
		return
	}
	fn(LogLevel(level), goString(message))
}
