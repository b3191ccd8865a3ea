package lfm

// #include <stdint.h>
// #include <lfm.h>
//
// // Defined in scrobblerexport.go (//export'ed Go functions; the pointers are const in fact).
// extern void lfmGoScrobblerEvent(void *ctx, lfm_scrobbler_event *event);
// extern int64_t lfmGoClock(void *ctx);
//
// static void lfm_go_scrobbler_event(void *ctx, const lfm_scrobbler_event *event) {
// 	lfmGoScrobblerEvent(ctx, (lfm_scrobbler_event *)event);
// }
//
// // handle is a runtime/cgo.Handle passed through ctx as an integer (never a Go pointer).
// static lfm_status lfm_go_scrobbler_set_listener(lfm_scrobbler *s, uintptr_t handle,
// 		lfm_error **err) {
// 	return lfm_scrobbler_set_listener(s, lfm_go_scrobbler_event, (void *)handle, err);
// }
//
// // 0 puts the system clock back.
// static lfm_status lfm_go_scrobbler_set_clock(lfm_scrobbler *s, uintptr_t handle,
// 		lfm_error **err) {
// 	return lfm_scrobbler_set_clock(s, handle ? lfmGoClock : NULL, (void *)handle, err);
// }
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// EventKind says what a scrobbler Event reports.
type EventKind int32

const (
	EventNowPlaying EventKind = C.LFM_EVENT_NOW_PLAYING // now playing was sent (Code/Message: its failure)
	EventQueued     EventKind = C.LFM_EVENT_QUEUED      // a play became due and is on disk
	EventDelivered  EventKind = C.LFM_EVENT_DELIVERED   // the server accepted a play
	EventRejected   EventKind = C.LFM_EVENT_REJECTED    // the server refused a play for good (Code: ignored code or API error)
	EventDeferred   EventKind = C.LFM_EVENT_DEFERRED    // delivery failed; the worker tries again after RetryAfter
	EventAuthLost   EventKind = C.LFM_EVENT_AUTH_LOST   // the session key was refused: nothing is sent until SetSessionKey
)

func (k EventKind) String() string {
	switch k {
	case EventNowPlaying:
		return "NowPlaying"
	case EventQueued:
		return "Queued"
	case EventDelivered:
		return "Delivered"
	case EventRejected:
		return "Rejected"
	case EventDeferred:
		return "Deferred"
	case EventAuthLost:
		return "AuthLost"
	}
	return fmt.Sprintf("EventKind(%d)", int32(k))
}

// Corrections are Last.fm's corrections to a play's names; "" where it corrected nothing.
type Corrections struct {
	Artist, Title, Album string
}

// Event is one thing the scrobbler's worker did, copied out of the library.
type Event struct {
	Kind       EventKind
	Track      *Track        // the play it concerns; nil for EventDeferred and EventAuthLost
	Code       int           // Last.fm's ignored code or API error, 0 if none
	Message    string        // the reason or error text, never a secret; "" if none
	RetryAfter time.Duration // EventDeferred: how long (by the scrobbler's clock) until the next try
	Corrected  Corrections   // EventNowPlaying and EventDelivered: Last.fm's corrections
}

// EventBuffer is the capacity of Scrobbler.Events. When it is full the oldest event is
// dropped (and counted by Scrobbler.DroppedEvents): the library's worker never waits for Go.
const EventBuffer = 1024

// DefaultCloseTimeout is how long Scrobbler.Close waits for the worker.
const DefaultCloseTimeout = 5 * time.Second

// Scrobbler is the play tracker and background delivery for a player: report what the
// player does (Play, Pause, Resume, Seek, Stop) and it decides when a play counts, sends
// now playing, queues due plays durably in its queue file and delivers them from its own
// thread, with back-off. Its rules (see lfm.h, "the scrobbler"): listened time counts only
// time spent playing; a play is due after half its duration or 4 minutes of listening
// (tracks of 30 s or less never); its timestamp is the moment it started; Play of the same
// track again is a new play (repeat-one); Stop before due scrobbles nothing.
//
// Player methods return within a millisecond whatever the network does. Safe for
// concurrent use. Close it (defer s.Close()): undelivered plays stay in the queue file for
// the next NewScrobbler on it.
type Scrobbler struct {
	mu   sync.RWMutex // read-held by every call, write-held by Close and SetClock
	h    *C.lfm_scrobbler
	sink *eventSink
	lh   cgo.Handle // the sink, as the listener's ctx
	// Every func SetClock installed: a library thread may still be calling a replaced one,
	// so all are released by Close only.
	clocks []cgo.Handle
}

// eventSink is what the listener callback writes to: a channel it never blocks on.
type eventSink struct {
	mu      sync.Mutex
	ch      chan Event
	closed  bool
	dropped uint64
}

// put sends e without waiting; when the channel is full the oldest event makes room.
func (k *eventSink) put(e Event) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	for {
		select {
		case k.ch <- e:
			return
		default:
		}
		select {
		case <-k.ch:
			k.dropped++
		default:
		}
	}
}

func (k *eventSink) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.closed = true
		close(k.ch)
	}
}

// NewScrobbler starts a scrobbler delivering through client (whose session key it uses)
// and the durable queue at queuePath (created if missing; its directory must exist; one
// queue file serves one scrobbler or Queue at a time). The scrobbler keeps the library's
// client alive: closing client first is safe.
func NewScrobbler(client *Client, queuePath string) (*Scrobbler, error) {
	var a cArena
	defer a.free()
	p := a.str(queuePath)
	var h *C.lfm_scrobbler
	if err := client.do(&a, func(c *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_new(c, p, &h, e)
	}); err != nil {
		return nil, err
	}
	s := &Scrobbler{h: h, sink: &eventSink{ch: make(chan Event, EventBuffer)}}
	s.lh = cgo.NewHandle(s.sink)
	var cerr *C.lfm_error
	if err := takeError(C.lfm_go_scrobbler_set_listener(h, C.uintptr_t(s.lh), &cerr), cerr); err != nil {
		C.lfm_scrobbler_free(h, 0)
		s.lh.Delete()
		return nil, err
	}
	runtime.SetFinalizer(s, (*Scrobbler).Close)
	return s, nil
}

// Events delivers what the worker does, in order. The channel is buffered (EventBuffer)
// and drops its oldest event when full rather than ever blocking the library's thread;
// read it or ignore it. It is closed by Close.
func (s *Scrobbler) Events() <-chan Event { return s.sink.ch }

// DroppedEvents is how many events were dropped because Events was full.
func (s *Scrobbler) DroppedEvents() uint64 {
	s.sink.mu.Lock()
	defer s.sink.mu.Unlock()
	return s.sink.dropped
}

// Close is CloseTimeout(DefaultCloseTimeout).
func (s *Scrobbler) Close() error { return s.CloseTimeout(DefaultCloseTimeout) }

// CloseTimeout queues a play that is due by now, stops the worker within timeout (sending
// nothing after it), and closes Events. Undelivered plays stay in the queue file for the
// next NewScrobbler. Later calls return ErrClosed; closing twice is fine.
func (s *Scrobbler) CloseTimeout(timeout time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return nil
	}
	C.lfm_scrobbler_free(s.h, C.uint32_t(clampMillis(timeout)))
	s.h = nil
	// The library reports nothing after lfm_scrobbler_free returns.
	s.sink.close()
	s.lh.Delete()
	for _, h := range s.clocks {
		h.Delete()
	}
	s.clocks = nil
	runtime.SetFinalizer(s, nil)
	return nil
}

// clampMillis converts d to whole milliseconds within 0..MaxUint32.
func clampMillis(d time.Duration) uint32 {
	ms := d.Milliseconds()
	if ms < 0 {
		return 0
	}
	if ms > int64(^uint32(0)) {
		return ^uint32(0)
	}
	return uint32(ms)
}

func (s *Scrobbler) do(a *cArena, f func(h *C.lfm_scrobbler, cerr **C.lfm_error) C.lfm_status) error {
	if a != nil && a.err != nil {
		return a.err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.h == nil {
		return ErrClosed
	}
	var cerr *C.lfm_error
	return takeError(f(s.h, &cerr), cerr)
}

// Play reports that t starts at position 0: a new play (also the same track again, for
// repeat-one), ending the previous one. t.Timestamp is ignored: the play's timestamp is
// now, by the scrobbler's clock.
func (s *Scrobbler) Play(t Track) error {
	var a cArena
	defer a.free()
	ct := a.track(&t)
	return s.do(&a, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_play(h, &ct, e)
	})
}

// Pause reports that playback paused: listened time stops counting.
func (s *Scrobbler) Pause() error {
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_pause(h, e)
	})
}

// Resume reports that playback resumed after Pause.
func (s *Scrobbler) Resume() error {
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_resume(h, e)
	})
}

// Seek reports a jump to position (from the track's start): it adds no listened time and,
// backwards, is not a new play.
func (s *Scrobbler) Seek(position time.Duration) error {
	ms := position.Milliseconds()
	if ms < 0 || ms > int64(^uint32(0)) {
		return &Error{Status: StatusInvalidArgument, Message: "seek position out of range"}
	}
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_seek(h, C.uint32_t(ms), e)
	})
}

// Stop reports that the track ended or the user stopped it: a play not yet due is dropped.
func (s *Scrobbler) Stop() error {
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_stop(h, e)
	})
}

// FlushNow makes the worker try to deliver now, skipping its current back-off once (e.g.
// the network came back). Does not wait for the delivery.
func (s *Scrobbler) FlushNow() error {
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_flush_now(h, e)
	})
}

// Drain blocks until nothing is pending and the deliveries' events are in Events(), or
// timeout passes, and returns how many plays are still pending.
func (s *Scrobbler) Drain(timeout time.Duration) (int, error) {
	var n C.size_t
	err := s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_drain(h, C.uint32_t(clampMillis(timeout)), &n, e)
	})
	return int(n), err
}

// SetClock makes the scrobbler read every time (listened time, play timestamps, waits and
// back-off) from now instead of the system clock: for tests and simulations. nil puts the
// system clock back. now is called from the library's threads and the goroutines calling
// the player methods, possibly at once: make it safe for concurrent use and quick. A
// panic in it is recovered and the system time used.
func (s *Scrobbler) SetClock(now func() time.Time) error {
	var h cgo.Handle
	if now != nil {
		h = cgo.NewHandle(now)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		if h != 0 {
			h.Delete()
		}
		return ErrClosed
	}
	var cerr *C.lfm_error
	if err := takeError(C.lfm_go_scrobbler_set_clock(s.h, C.uintptr_t(h), &cerr), cerr); err != nil {
		if h != 0 {
			h.Delete()
		}
		return err
	}
	if h != 0 {
		s.clocks = append(s.clocks, h)
	}
	return nil
}

// UnknownDuration is what a Scrobbler does with plays of unknown duration (DurationSecs 0).
type UnknownDuration int32

const (
	UnknownDurationAfter4Minutes UnknownDuration = C.LFM_UNKNOWN_DURATION_AFTER_4_MINUTES // due after 4 minutes (the default)
	UnknownDurationNever         UnknownDuration = C.LFM_UNKNOWN_DURATION_NEVER           // never scrobbled (streams, radio)
)

// SetUnknownDuration sets the rule for plays of unknown duration; a play under way keeps
// the rule it started with.
func (s *Scrobbler) SetUnknownDuration(rule UnknownDuration) error {
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_set_unknown_duration(h, C.int32_t(rule), e)
	})
}

// SetNowPlayingAfterPause makes Resume after a pause longer than d send now playing again
// (default 5 minutes); a negative d: never.
func (s *Scrobbler) SetNowPlayingAfterPause(d time.Duration) error {
	ms := ^uint32(0)
	if d >= 0 {
		ms = clampMillis(d)
	}
	return s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_set_now_playing_after_pause_ms(h, C.uint32_t(ms), e)
	})
}

// Pending is the number of plays not delivered yet (due and in the queue file; rejected
// ones not counted). Never waits on the network.
func (s *Scrobbler) Pending() (int, error) {
	var n C.size_t
	err := s.do(nil, func(h *C.lfm_scrobbler, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobbler_pending(h, &n, e)
	})
	return int(n), err
}
