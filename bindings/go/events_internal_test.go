package lfm

import "testing"

// A full Events channel drops its oldest event, never blocking the library's thread.
func TestEventSinkDropsOldest(t *testing.T) {
	k := &eventSink{ch: make(chan Event, EventBuffer)}
	for i := 0; i < EventBuffer+5; i++ {
		k.put(Event{Code: i})
	}
	if k.dropped != 5 || len(k.ch) != EventBuffer {
		t.Fatalf("dropped %d, buffered %d; want 5, %d", k.dropped, len(k.ch), EventBuffer)
	}
	if first := <-k.ch; first.Code != 5 {
		t.Fatalf("oldest kept event is %d, want 5", first.Code)
	}
	k.close()
	k.put(Event{}) // after close: ignored, no panic
	k.close()
	n := 0
	for range k.ch {
		n++
	}
	if n != EventBuffer-1 {
		t.Fatalf("%d events after close, want %d", n, EventBuffer-1)
	}
}
