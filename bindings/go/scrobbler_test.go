package lfm_test

// The scrobbler and the read layer against the mock (see lfm_test.go for the environment).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"liblfm.example/lfm"
)

// fakeClock is the scrobbler's injected clock: time moves only when the test says so.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) unix() int64             { return c.ms.Load() / 1000 }

// storedList is every scrobble the mock stored whose title contains marker, in arrival order.
func storedList(t *testing.T, c *lfm.Client, marker string) []stored {
	t.Helper()
	var out []stored
	for _, s := range storedScrobbles(t, c) {
		if strings.Contains(s.Track, marker) {
			out = append(out, s)
		}
	}
	return out
}

// eventLog reads a scrobbler's Events channel in order.
type eventLog struct {
	t      *testing.T
	ch     <-chan lfm.Event
	events []lfm.Event
}

// waitFor reads events until one matches (and returns it); fails the test after a minute
// (a bound on a hang, not a speed criterion: the mock answers at once).
func (l *eventLog) waitFor(what string, match func(lfm.Event) bool) lfm.Event {
	l.t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case e, ok := <-l.ch:
			if !ok {
				l.t.Fatalf("Events closed while waiting for %s; got %s", what, l)
			}
			l.events = append(l.events, e)
			if match(e) {
				return e
			}
		case <-deadline:
			l.t.Fatalf("no %s event; got %s", what, l)
		}
	}
}

func (l *eventLog) String() string {
	var b strings.Builder
	for _, e := range l.events {
		title := ""
		if e.Track != nil {
			title = fmt.Sprintf(" %q@%d", e.Track.Title, e.Track.Timestamp)
		}
		fmt.Fprintf(&b, "\n  %s%s code=%d %q %+v", e.Kind, title, e.Code, e.Message, e.Corrected)
	}
	return b.String()
}

// isPlay matches an event of kind about the play of title that started at ts.
func isPlay(kind lfm.EventKind, title string, ts int64) func(lfm.Event) bool {
	return func(e lfm.Event) bool {
		return e.Kind == kind && e.Track != nil && e.Track.Title == title && e.Track.Timestamp == ts
	}
}

// A real play sequence with the injected clock: a full play of an autocorrected artist,
// repeat-one twice, a skip. The server stores exactly the three due plays with their start
// times; the events come in order, with Last.fm's corrections.
func TestScrobblerPlaySequence(t *testing.T) {
	c := newClient(t)
	login(t, c)
	path := filepath.Join(t.TempDir(), "scrobbler.lfmq")
	s, err := lfm.NewScrobbler(c, path)
	must(t, err)
	defer s.Close()
	clock := &fakeClock{}
	// Whole seconds two hours ago: valid timestamps whatever the date, exact in seconds.
	clock.ms.Store((time.Now().Unix() - 7200) * 1000)
	must(t, s.SetClock(clock.now))
	log := &eventLog{t: t, ch: s.Events()}

	full := lfm.Track{Artist: "beatles", Title: "full play seq " + tag, Album: "abbey road", DurationSecs: 200, ChosenByUser: lfm.ChosenYes}
	fullAt := clock.unix()
	must(t, s.Play(full))
	np := log.waitFor("now playing of the full play", func(e lfm.Event) bool {
		return e.Kind == lfm.EventNowPlaying && e.Track != nil && e.Track.Title == full.Title
	})
	if np.Code != 0 || np.Corrected.Artist != "The Beatles" || np.Corrected.Album != "Abbey Road" {
		t.Fatalf("now playing event %+v, want code 0 and the corrections The Beatles / Abbey Road", np)
	}
	clock.advance(50 * time.Second)
	must(t, s.Pause())
	clock.advance(time.Hour) // paused: adds nothing
	must(t, s.Resume())
	must(t, s.Seek(150*time.Second)) // a seek adds nothing either
	clock.advance(49 * time.Second)  // 99 s listened: not yet due
	if n, err := s.Pending(); err != nil || n != 0 {
		t.Fatalf("Pending after 99 s of a 200 s track = %d, %v; want 0", n, err)
	}
	clock.advance(2 * time.Second) // 101 s: half the duration
	must(t, s.Stop())

	repeat := lfm.Track{Artist: "Go Scrobbler", Title: "repeat one seq " + tag, DurationSecs: 60}
	firstAt := clock.unix()
	must(t, s.Play(repeat))
	clock.advance(31 * time.Second)
	secondAt := clock.unix()
	must(t, s.Play(repeat)) // the same track again: a new play
	clock.advance(31 * time.Second)
	must(t, s.Stop())

	skip := lfm.Track{Artist: "Go Scrobbler", Title: "skipped seq " + tag, DurationSecs: 200}
	must(t, s.Play(skip))
	clock.advance(40 * time.Second) // 20 %
	must(t, s.Stop())

	if n, err := s.Drain(time.Minute); err != nil || n != 0 {
		t.Fatalf("Drain = %d, %v; want 0 pending", n, err)
	}
	// Every due play's events, in order: queued, then delivered; deliveries in play order.
	want := []struct {
		title string
		at    int64
	}{{full.Title, fullAt}, {repeat.Title, firstAt}, {repeat.Title, secondAt}}
	for _, w := range want {
		log.waitFor("delivery of "+w.title, isPlay(lfm.EventDelivered, w.title, w.at))
	}
	queuedAt, deliveredAt := map[string]int{}, map[string]int{}
	var deliveryOrder []string
	for i, e := range log.events {
		if e.Track == nil {
			t.Fatalf("event without a track: %s", log)
		}
		key := fmt.Sprintf("%s@%d", e.Track.Title, e.Track.Timestamp)
		switch e.Kind {
		case lfm.EventQueued:
			queuedAt[key] = i
		case lfm.EventDelivered:
			deliveredAt[key] = i
			deliveryOrder = append(deliveryOrder, key)
		case lfm.EventNowPlaying:
		default:
			t.Fatalf("unexpected %s event: %s", e.Kind, log)
		}
		if e.Track.Title == skip.Title && e.Kind != lfm.EventNowPlaying {
			t.Fatalf("the skipped play was %s: %s", e.Kind, log)
		}
	}
	for i, w := range want {
		key := fmt.Sprintf("%s@%d", w.title, w.at)
		q, ok := queuedAt[key]
		if !ok || q > deliveredAt[key] || deliveryOrder[i] != key {
			t.Fatalf("play %s: not queued before delivered, or delivered out of order: %s", key, log)
		}
	}
	d := log.events[deliveredAt[fmt.Sprintf("%s@%d", full.Title, fullAt)]]
	if d.Corrected.Artist != "The Beatles" || d.Track.Artist != "beatles" || d.Track.ChosenByUser != lfm.ChosenYes {
		t.Fatalf("delivered event %+v (track %+v), want the correction The Beatles of the play as sent", d, *d.Track)
	}

	got := storedList(t, c, "seq "+tag)
	wantStored := []stored{
		{Artist: "The Beatles", Track: full.Title, Album: "Abbey Road", Timestamp: fullAt},
		{Artist: repeat.Artist, Track: repeat.Title, Timestamp: firstAt},
		{Artist: repeat.Artist, Track: repeat.Title, Timestamp: secondAt},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantStored) {
		t.Fatalf("the mock stored %+v\nwant %+v", got, wantStored)
	}

	// Close ends the channel; the scrobbler then refuses calls.
	must(t, s.CloseTimeout(5*time.Second))
	for range s.Events() {
	}
	if err := s.Play(full); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("Play after Close: %v, want ErrClosed", err)
	}
	must(t, s.Close())
}

// A play due when the scrobbler closes with the server failing stays in the queue file,
// and the next scrobbler on that file delivers it; a bad track is refused at once.
func TestScrobblerKeepsPlaysAcrossClose(t *testing.T) {
	c := newClient(t)
	login(t, c)
	path := filepath.Join(t.TempDir(), "kept.lfmq")
	s, err := lfm.NewScrobbler(c, path)
	must(t, err)
	clock := &fakeClock{}
	clock.ms.Store((time.Now().Unix() - 3600) * 1000)
	must(t, s.SetClock(clock.now))
	if err := s.Play(lfm.Track{Title: "no artist"}); !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("Play without an artist: %v, want StatusInvalidArgument", err)
	}
	if err := s.SetUnknownDuration(lfm.UnknownDuration(7)); !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("SetUnknownDuration(7): %v, want StatusInvalidArgument", err)
	}
	must(t, s.SetNowPlayingAfterPause(-1))

	// The server is unreachable (the scrobbler shares the client's settings).
	must(t, c.SetBaseURL("https://127.0.0.1:9/"))
	kept := lfm.Track{Artist: "Go Scrobbler", Title: "kept across close " + tag, DurationSecs: 100}
	keptAt := clock.unix()
	must(t, s.Play(kept))
	clock.advance(60 * time.Second)
	must(t, s.Stop())
	log := &eventLog{t: t, ch: s.Events()}
	deferred := log.waitFor("deferred delivery", func(e lfm.Event) bool { return e.Kind == lfm.EventDeferred })
	if deferred.Track != nil || deferred.RetryAfter <= 0 || deferred.Message == "" {
		t.Fatalf("deferred event %+v, want no track, a RetryAfter and a reason", deferred)
	}
	if n, err := s.Pending(); err != nil || n != 1 {
		t.Fatalf("Pending = %d, %v; want the due play", n, err)
	}
	must(t, s.CloseTimeout(5*time.Second))
	must(t, c.SetBaseURL(env(t, "LFM_BASE_URL")))

	// The next scrobbler on the file, on a client closed at once: it keeps its own
	// reference to the library's client (and the Go logger is taken off it first).
	c2 := newClient(t)
	login(t, c2)
	var lines logLines
	must(t, c2.SetLogger(lfm.LogDebug, lines.add))
	s2, err := lfm.NewScrobbler(c2, path)
	must(t, err)
	defer s2.Close()
	must(t, c2.Close())
	if n, err := s2.Drain(time.Minute); err != nil || n != 0 {
		t.Fatalf("Drain of the reopened queue = %d, %v; want 0", n, err)
	}
	got := storedList(t, c, kept.Title)
	if len(got) != 1 || got[0].Timestamp != keptAt {
		t.Fatalf("the mock stored %+v, want the kept play once at %d", got, keptAt)
	}
}

type play struct {
	Uts    int64  `json:"uts"`
	Artist string `json:"artist"`
	Track  string `json:"track"`
}

// mockPlays is the account's history as the mock holds it, newest first.
func mockPlays(t *testing.T, c *lfm.Client) []play {
	t.Helper()
	return mockCall[struct {
		Plays []play `json:"plays"`
	}](t, c, "mock.plays").Plays
}

// recentTrack is a normalized user.getRecentTracks item (the fields the test reads).
type recentTrack struct {
	Name   string `json:"name"`
	Artist struct {
		Name string `json:"name"`
	} `json:"artist"`
	Date *struct {
		Uts int64 `json:"uts"`
	} `json:"date"`
	NowPlaying bool `json:"nowplaying"`
}

// walk reads pages until io.EOF or an error, appending each item as a play.
func walk(t *testing.T, p *lfm.Pager, into *[]play) error {
	t.Helper()
	for {
		page, err := p.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var items []recentTrack
		if err := json.Unmarshal([]byte(page), &items); err != nil {
			t.Fatalf("page is not a JSON array of tracks: %v\n%s", err, page)
		}
		for _, it := range items {
			if it.Date == nil || it.NowPlaying {
				t.Fatalf("an item without a date (the now-playing track?): %+v", it)
			}
			*into = append(*into, play{Uts: it.Date.Uts, Artist: it.Artist.Name, Track: it.Name})
		}
	}
}

// The pager walks the mock's whole history (a now-playing item, shared timestamps, a
// transient error retried, a permanent one resumed from the saved state) and returns every
// play once, in order, without the now-playing item; an incremental import after new plays
// gets exactly those.
func TestPagerWalksTheHistory(t *testing.T) {
	c := newClient(t)
	user := env(t, "LFM_USERNAME")
	_, err := c.Call("mock.loadPlays", []lfm.Param{{"count", "230"}, {"shared_every", "7"}, {"now_playing", "1"}}, 0)
	must(t, err)
	want := mockPlays(t, c)
	params := []lfm.Param{{"user", user}, {"limit", "50"}}
	pages := (len(want) + 49) / 50
	// Page 2 fails once with error 8 (retried inside Next); page 4 fails with error 11 more
	// often than the pager tries.
	_, err = c.Call("mock.pageFault", []lfm.Param{{"method_name", "user.getRecentTracks"}, {"page", "2"}, {"code", "8"}}, 0)
	must(t, err)
	_, err = c.Call("mock.pageFault", []lfm.Param{{"method_name", "user.getRecentTracks"}, {"page", "4"}, {"code", "11"}, {"count", "2"}}, 0)
	must(t, err)

	p, err := c.OpenPager("user.getRecentTracks", params, 0)
	must(t, err)
	defer p.Close()
	if p.Total() != -1 || p.Page() != 0 {
		t.Fatalf("before the first page: Total %d, Page %d; want -1, 0", p.Total(), p.Page())
	}
	must(t, p.SetMaxWait(time.Millisecond))
	must(t, p.SetMaxAttempts(2))
	var got []play
	err = walk(t, p, &got)
	var lerr *lfm.Error
	if !errors.As(err, &lerr) || lerr.APICode != 11 || p.Page() != 3 {
		t.Fatalf("walk: %v at page %d; want error 11 after page 3", err, p.Page())
	}
	state, err := p.State()
	must(t, err)
	must(t, p.Close())
	if _, err := p.Next(); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}

	r, err := c.ResumePager(state, 0)
	must(t, err)
	defer r.Close()
	must(t, walk(t, r, &got))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the walk gave %d plays, the mock holds %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	if r.Total() != int64(len(want)) || r.TotalPages() != int64(pages) || r.Page() != int64(pages) {
		t.Fatalf("Total %d, TotalPages %d, Page %d; want %d, %d, %d", r.Total(), r.TotalPages(), r.Page(), len(want), pages, pages)
	}
	if page, err := r.Next(); err != io.EOF || page != "" {
		t.Fatalf("Next after the end = %q, %v; want io.EOF", page, err)
	}

	// An incremental import: only the plays added after the walk.
	mark, err := r.Mark()
	must(t, err)
	if mark == "" {
		t.Fatal("no mark after a walk")
	}
	_, err = c.Call("mock.addPlays", []lfm.Param{{"count", "5"}, {"at", fmt.Sprint(want[0].Uts + 60)}, {"seed", "9"}}, 0)
	must(t, err)
	fresh := mockPlays(t, c)[:5]
	inc, err := c.OpenPagerAfter("user.getRecentTracks", params, 0, mark)
	must(t, err)
	defer inc.Close()
	var added []play
	must(t, walk(t, inc, &added))
	if fmt.Sprint(added) != fmt.Sprint(fresh) {
		t.Fatalf("incremental import gave %+v, want %+v", added, fresh)
	}

	if _, err := c.OpenPager("track.getInfo", nil, 0); !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("a pager over track.getInfo: %v, want StatusInvalidArgument", err)
	}
	if _, err := c.ResumePager("not a state", 0); !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("ResumePager(bad state): %v, want StatusInvalidArgument", err)
	}
}

func firstDiff(a, b []play) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// CallNormalize turns Last.fm's one-item object into an array and numeric strings into
// numbers; without it the body is as sent. CallRetry gets through a transient error.
func TestNormalizeAndRetry(t *testing.T) {
	c := newClient(t)
	_, err := c.Call("mock.loadPlays", []lfm.Param{{"count", "3"}, {"loved", "1"}}, 0)
	must(t, err)
	params := []lfm.Param{{"user", env(t, "LFM_USERNAME")}}
	raw, err := c.Call("user.getLovedTracks", params, 0)
	must(t, err)
	var rawReply struct {
		Loved struct {
			Track json.RawMessage            `json:"track"`
			Attr  map[string]json.RawMessage `json:"@attr"`
		} `json:"lovedtracks"`
	}
	must(t, json.Unmarshal([]byte(raw), &rawReply))
	if !strings.HasPrefix(string(rawReply.Loved.Track), "{") || string(rawReply.Loved.Attr["total"]) != `"1"` {
		t.Fatalf("raw reply is not Last.fm's one-item shape: %s", raw)
	}

	norm, err := c.Call("user.getLovedTracks", params, lfm.CallNormalize)
	must(t, err)
	var reply struct {
		Loved struct {
			Track []struct {
				Name string `json:"name"`
				Date struct {
					Uts int64 `json:"uts"`
				} `json:"date"`
			} `json:"track"`
			Attr struct {
				Total int `json:"total"`
			} `json:"attr"`
		} `json:"lovedtracks"`
	}
	if err := json.Unmarshal([]byte(norm), &reply); err != nil {
		t.Fatalf("normalized reply does not have the documented shape: %v\n%s", err, norm)
	}
	if len(reply.Loved.Track) != 1 || reply.Loved.Track[0].Name == "" || reply.Loved.Track[0].Date.Uts == 0 || reply.Loved.Attr.Total != 1 {
		t.Fatalf("normalized reply %s", norm)
	}

	fault := []lfm.Param{{"kind", "api_error"}, {"code", "8"}}
	_, err = c.Call("mock.fault", fault, 0)
	must(t, err)
	if _, err := c.Call("user.getLovedTracks", params, 0); !errors.Is(err, lfm.StatusAPI) {
		t.Fatalf("injected error 8 without CallRetry: %v, want StatusAPI", err)
	}
	_, err = c.Call("mock.fault", fault, 0)
	must(t, err)
	again, err := c.Call("user.getLovedTracks", params, lfm.CallRetry|lfm.CallNormalize)
	must(t, err)
	if again != norm {
		t.Fatalf("the retried call gave %s, want %s", again, norm)
	}
}
