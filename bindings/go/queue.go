package lfm

// #include <lfm.h>
import "C"

import (
	"runtime"
	"sync"
	"time"
)

// Queue is a durable queue of plays in one file: a pushed play is on disk when Push
// returns, and Flush removes each only after the server's verdict. Safe for concurrent use;
// Push never waits for a Flush's network traffic. Only one Queue (in any process) may hold a
// file at a time.
type Queue struct {
	mu sync.RWMutex
	h  *C.lfm_queue
}

// QueueEntry is one play of a Queue.List snapshot.
type QueueEntry struct {
	ID               uint64 // for Remove and Retry
	Track            Track
	QueuedAt         time.Time
	Rejected         bool   // true: will not be sent unless retried
	IgnoredCode      int    // Last.fm's ignored code for a rejected play (1-4), else 0
	APICode          int    // the API error a rejected play failed alone with (6, 13, or 8), else 0
	Reason           string // why it was rejected; "" when pending
	Attempts         uint32 // failed delivery attempts
	IsolatedFailures uint32 // of those, failures of this play alone while others were accepted (rejected at 3)
	LastError        string // the last delivery error; "" when none
}

// OpenQueue opens (or creates) the queue stored at path (its directory must exist).
func OpenQueue(path string) (*Queue, error) {
	var a cArena
	defer a.free()
	p := a.str(path)
	if a.err != nil {
		return nil, a.err
	}
	var h *C.lfm_queue
	var cerr *C.lfm_error
	if err := takeError(C.lfm_queue_open(p, &h, &cerr), cerr); err != nil {
		return nil, err
	}
	q := &Queue{h: h}
	runtime.SetFinalizer(q, (*Queue).Close)
	return q, nil
}

// Close waits for calls in flight, then releases the file. Closing twice is fine.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.h != nil {
		C.lfm_queue_free(q.h)
		q.h = nil
		runtime.SetFinalizer(q, nil)
	}
	return nil
}

func (q *Queue) do(a *cArena, f func(h *C.lfm_queue, cerr **C.lfm_error) C.lfm_status) error {
	if a != nil && a.err != nil {
		return a.err
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.h == nil {
		return ErrClosed
	}
	var cerr *C.lfm_error
	return takeError(f(q.h, &cerr), cerr)
}

// Push queues a play durably. The same (artist, track, timestamp) already queued is not
// added again.
func (q *Queue) Push(t Track) error {
	var a cArena
	defer a.free()
	ct := a.track(&t)
	return q.do(&a, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_push(h, &ct, e)
	})
}

// Len is the number of plays waiting to be sent (rejected ones are not counted).
func (q *Queue) Len() (int, error) {
	var n C.size_t
	err := q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_len(h, &n, e)
	})
	return int(n), err
}

// Flush sends the queued plays through client and returns how many the server accepted
// (also on failure: plays accepted before the error). Blocks for the whole exchange.
func (q *Queue) Flush(client *Client) (int, error) {
	client.mu.RLock() // lock order: client, then queue
	defer client.mu.RUnlock()
	if client.h == nil {
		return 0, ErrClosed
	}
	var sent C.size_t
	err := q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_flush(h, client.h, &sent, e)
	})
	return int(sent), err
}

// List returns every play, pending and rejected, oldest first.
func (q *Queue) List() ([]QueueEntry, error) {
	var entries *C.lfm_queue_entries
	if err := q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_list(h, &entries, e)
	}); err != nil {
		return nil, err
	}
	defer C.lfm_queue_entries_free(entries)
	n := int(C.lfm_queue_entries_count(entries))
	out := make([]QueueEntry, 0, n)
	for i := 0; i < n; i++ {
		var ce C.lfm_queue_entry
		var cerr *C.lfm_error
		if err := takeError(C.lfm_queue_entries_get(entries, C.size_t(i), &ce, &cerr), cerr); err != nil {
			return nil, err
		}
		out = append(out, QueueEntry{
			ID:               uint64(ce.id),
			Track:            goTrack(&ce.track),
			QueuedAt:         time.Unix(int64(ce.queued_at), 0),
			Rejected:         bool(ce.rejected),
			IgnoredCode:      int(ce.ignored_code),
			APICode:          int(ce.api_code),
			Reason:           goString(ce.reason),
			Attempts:         uint32(ce.attempts),
			IsolatedFailures: uint32(ce.isolated_failures),
			LastError:        goString(ce.last_error),
		})
	}
	return out, nil
}

// Remove deletes a play (pending or rejected) for good.
func (q *Queue) Remove(id uint64) error {
	return q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_remove(h, C.uint64_t(id), e)
	})
}

// Retry moves a rejected play back to pending.
func (q *Queue) Retry(id uint64) error {
	return q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_retry(h, C.uint64_t(id), e)
	})
}

// DamageReport says what was damaged in the file when it was opened; ok is false when
// nothing was.
func (q *Queue) DamageReport() (report string, ok bool, err error) {
	var r *C.char
	err = q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_damage_report(h, &r, e)
	})
	if err != nil {
		return "", false, err
	}
	if r == nil {
		return "", false, nil
	}
	return takeString(r), true, nil
}
