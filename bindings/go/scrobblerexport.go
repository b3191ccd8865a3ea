package lfm

// Only declarations here: a file with //export may not define C functions.

// #include <stdint.h>
// #include <lfm.h>
import "C"

import (
	"fmt"
	"os"
	"time"
	"unsafe"
)

// lfmGoScrobblerEvent is the scrobbler's listener (via lfm_go_scrobbler_event in
// scrobbler.go), called on the library's worker thread. ctx carries the cgo.Handle of the
// Scrobbler's eventSink. Everything is copied out: the event's pointers are valid only
// during the call.
//
//export lfmGoScrobblerEvent
func lfmGoScrobblerEvent(ctx unsafe.Pointer, ev *C.lfm_scrobbler_event) {
	defer func() {
		// A panic must not unwind into the library's (Rust) frames.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "lfm: scrobbler event callback panicked: %v\n", r)
		}
	}()
	sink, ok := handleValue(ctx).(*eventSink)
	if !ok || ev == nil {
		return
	}
	e := Event{
		Kind:       EventKind(ev.kind),
		Code:       int(ev.code),
		Message:    goString(ev.message),
		RetryAfter: time.Duration(ev.retry_after_ms) * time.Millisecond,
		Corrected:  goCorrections(ev.corrected_artist, ev.corrected_track, ev.corrected_album),
	}
	if ev.track != nil {
		t := goTrack(ev.track)
		e.Track = &t
	}
	sink.put(e)
}

// lfmGoClock is the scrobbler's clock (set by Scrobbler.SetClock): Unix milliseconds from
// the Go func whose cgo.Handle ctx carries.
//
//export lfmGoClock
func lfmGoClock(ctx unsafe.Pointer) (ms C.int64_t) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "lfm: scrobbler clock panicked: %v\n", r)
			ms = C.int64_t(time.Now().UnixMilli())
		}
	}()
	now, ok := handleValue(ctx).(func() time.Time)
	if !ok {
		return C.int64_t(time.Now().UnixMilli())
	}
	return C.int64_t(now().UnixMilli())
}
