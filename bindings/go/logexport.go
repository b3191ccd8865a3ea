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

// handleValue is the value of the cgo.Handle that a callback's ctx carries, or nil when it
// was deleted: the library's client may outlive the Go Client (a Scrobbler or Pager keeps
// it), and a request already in flight when Close took the logger off may still log once.
func handleValue(ctx unsafe.Pointer) (v any) {
	defer func() {
		if recover() != nil { // "misuse of an invalid Handle": handles are never reused
			v = nil
		}
	}()
	return cgo.Handle(uintptr(ctx)).Value()
}

// lfmGoLog is the C log callback (via lfm_go_log in logger.go). userData carries the
// cgo.Handle of the Go function set by Client.SetLogger. SetLogger and Close hold the
// client's write lock, so no call of this Client logs with a deleted handle; a library
// thread of a Scrobbler or Pager still running after Close finds it deleted, and the line
// is dropped.
//
//export lfmGoLog
func lfmGoLog(userData unsafe.Pointer, level C.int32_t, message *C.char) {
	defer func() {
		// A panic must not unwind into the library's (Rust) frames.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "lfm: log callback panicked: %v\n", r)
		}
	}()
	fn, ok := handleValue(userData).(func(LogLevel, string))
	if !ok {
		return
	}
	fn(LogLevel(level), goString(message))
}
