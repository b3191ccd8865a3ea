package lfm

// #include <lfm.h>
import "C"

import (
	"io"
	"runtime"
	"sync"
	"time"
)

// Pager walks every page of a paginated read method (user.getRecentTracks,
// user.getLovedTracks, user.getTopArtists), each page's items normalized (as CallNormalize
// does) and each delivered once: it follows totalPages, drops the now-playing item of
// recent tracks without losing a slot, keeps plays that share a timestamp across page
// boundaries, and retries transient failures (errors 8, 11, 16, 29, HTTP 5xx, network) with
// back-off and the client's rate limit.
//
//	p, err := client.OpenPager("user.getRecentTracks", []lfm.Param{{"user", "rj"}}, 0)
//	defer p.Close()
//	for {
//		items, err := p.Next() // the page's items: a JSON array
//		if err == io.EOF { break }
//		if err != nil { ... } // retries used up: Next again resumes at the same page
//	}
//
// A Pager is used by one goroutine at a time (Next blocks for its requests); Close may be
// called from any. It keeps the library's client alive: closing the client first is safe.
type Pager struct {
	mu sync.Mutex // held by every call: one walk step at a time
	h  *C.lfm_pager
}

// OpenPager prepares a walk over method with params (user, from, to, limit...); flags are
// the CallFlags each page's request uses (0: an unsigned GET). No I/O.
func (c *Client) OpenPager(method string, params []Param, flags CallFlags) (*Pager, error) {
	var a cArena
	defer a.free()
	m := a.str(method)
	p, n := a.params(params)
	var h *C.lfm_pager
	if err := c.do(&a, func(ch *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_open(ch, m, p, n, C.uint32_t(flags), &h, e)
	}); err != nil {
		return nil, err
	}
	return newPager(h), nil
}

// OpenPagerAfter opens an incremental import of user.getRecentTracks: only the plays newer
// than mark (Pager.Mark at the end of an earlier walk), and those at its second that it does
// not hold, so plays sharing that second are neither lost nor repeated. No I/O.
func (c *Client) OpenPagerAfter(method string, params []Param, flags CallFlags, mark string) (*Pager, error) {
	var a cArena
	defer a.free()
	m, mk := a.str(method), a.str(mark)
	p, n := a.params(params)
	var h *C.lfm_pager
	if err := c.do(&a, func(ch *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_open_after(ch, m, p, n, C.uint32_t(flags), mk, &h, e)
	}); err != nil {
		return nil, err
	}
	return newPager(h), nil
}

// ResumePager reopens the walk that state (Pager.State) describes, where it was: without a
// gap or a repeat, even in another process. flags are not part of the state. No I/O.
func (c *Client) ResumePager(state string, flags CallFlags) (*Pager, error) {
	var a cArena
	defer a.free()
	st := a.str(state)
	var h *C.lfm_pager
	if err := c.do(&a, func(ch *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_resume(ch, st, C.uint32_t(flags), &h, e)
	}); err != nil {
		return nil, err
	}
	return newPager(h), nil
}

func newPager(h *C.lfm_pager) *Pager {
	p := &Pager{h: h}
	runtime.SetFinalizer(p, (*Pager).Close)
	return p
}

// Close frees the pager. Later calls return ErrClosed; closing twice is fine.
func (p *Pager) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil {
		C.lfm_pager_free(p.h)
		p.h = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

func (p *Pager) do(f func(h *C.lfm_pager, cerr **C.lfm_error) C.lfm_status) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return ErrClosed
	}
	var cerr *C.lfm_error
	return takeError(f(p.h, &cerr), cerr)
}

// Next fetches the next page and returns its normalized items as a JSON array (the
// binding's style for bodies, as Client.Call), or io.EOF after the last page. After an
// error (its retries used up) the pager stays on that page: calling Next again resumes
// there. Blocks for the page's requests, retries and waits.
func (p *Pager) Next() (string, error) {
	var page *C.char
	if err := p.do(func(h *C.lfm_pager, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_next(h, &page, e)
	}); err != nil {
		return "", err
	}
	if page == nil {
		return "", io.EOF
	}
	return takeString(page), nil
}

// count reads one of the pager's counters; -1 after Close.
func (p *Pager) count(f func(h *C.lfm_pager) C.int64_t) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return -1
	}
	return int64(f(p.h))
}

// Total is the number of items Last.fm reports for the walk (recent tracks: the plays in
// its window, without the now-playing item); -1 before the first page.
func (p *Pager) Total() int64 {
	return p.count(func(h *C.lfm_pager) C.int64_t { return C.lfm_pager_total(h) })
}

// TotalPages is the number of pages Last.fm reports; -1 before the first page.
func (p *Pager) TotalPages() int64 {
	return p.count(func(h *C.lfm_pager) C.int64_t { return C.lfm_pager_total_pages(h) })
}

// Page is the number of the page the latest Next delivered (0 before the first): with
// TotalPages, the walk's progress.
func (p *Pager) Page() int64 {
	return p.count(func(h *C.lfm_pager) C.int64_t { return C.lfm_pager_page(h) })
}

// takeJSON runs a pager call that returns an owned string.
func (p *Pager) takeJSON(f func(h *C.lfm_pager, out **C.char, e **C.lfm_error) C.lfm_status) (string, error) {
	var out *C.char
	err := p.do(func(h *C.lfm_pager, e **C.lfm_error) C.lfm_status { return f(h, &out, e) })
	return takeString(out), err
}

// State is everything needed to continue this walk later with Client.ResumePager: save it
// after each page (or error) to survive being killed. It holds no credential.
func (p *Pager) State() (string, error) {
	return p.takeJSON(func(h *C.lfm_pager, out **C.char, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_state(h, out, e)
	})
}

// Mark is where the next incremental import starts (Client.OpenPagerAfter): take it when
// the walk has ended. "" when there is none (nothing delivered, or not a timeline).
func (p *Pager) Mark() (string, error) {
	return p.takeJSON(func(h *C.lfm_pager, out **C.char, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_mark(h, out, e)
	})
}

// SetMaxAttempts sets the attempts each page gets in all (>= 1, default 6; 1: no retry).
func (p *Pager) SetMaxAttempts(n uint32) error {
	return p.do(func(h *C.lfm_pager, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_set_max_attempts(h, C.uint32_t(n), e)
	})
}

// SetMaxWait bounds each wait between two attempts, the server's suggestion included
// (default 15 minutes; after error 29 the suggestion is 30 s and more).
func (p *Pager) SetMaxWait(d time.Duration) error {
	return p.do(func(h *C.lfm_pager, e **C.lfm_error) C.lfm_status {
		return C.lfm_pager_set_max_wait_ms(h, C.uint32_t(clampMillis(d)), e)
	})
}
