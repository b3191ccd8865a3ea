package lfm_test

// These tests run against the project's mock server: source scripts/mock-env.sh first (it
// exports LFM_BASE_URL, LFM_CA_FILE, LFM_API_KEY, ...). scripts/test-install.sh does that
// and runs them against an installed liblfm, with and without -tags lfm_static.

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"liblfm.example/lfm"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set: source scripts/mock-env.sh to run the tests against the mock", name)
	}
	return v
}

// newClient returns a client pointed at the mock over HTTPS, unpaced, closed after the test.
func newClient(t *testing.T) *lfm.Client {
	t.Helper()
	c, err := lfm.NewClient(env(t, "LFM_API_KEY"), env(t, "LFM_API_SECRET"))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	must(t, c.SetBaseURL(env(t, "LFM_BASE_URL")))
	must(t, c.SetCAFile(env(t, "LFM_CA_FILE")))
	must(t, c.SetRateLimit(0))
	must(t, c.SetTimeout(15*time.Second))
	must(t, c.SetUserAgent("lfm-go-test/1.0"))
	return c
}

func login(t *testing.T, c *lfm.Client) lfm.Session {
	t.Helper()
	s, err := c.GetMobileSession(env(t, "LFM_USERNAME"), env(t, "LFM_PASSWORD"))
	if err != nil {
		t.Fatalf("GetMobileSession: %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tag makes track names unique to this test run.
var tag = fmt.Sprintf("go-%d-%d", os.Getpid(), time.Now().UnixNano())

type stored struct {
	Artist    string `json:"artist"`
	Track     string `json:"track"`
	Album     string `json:"album"`
	Timestamp int64  `json:"timestamp"`
}

// mockCall calls a mock control method (unsigned, no parameters) and decodes its reply.
func mockCall[T any](t *testing.T, c *lfm.Client, method string) T {
	t.Helper()
	body, err := c.Call(method, nil, 0)
	must(t, err)
	var reply T
	must(t, json.Unmarshal([]byte(body), &reply))
	return reply
}

// storedScrobbles is every scrobble the mock stored, in arrival order.
func storedScrobbles(t *testing.T, c *lfm.Client) []stored {
	t.Helper()
	return mockCall[struct {
		Scrobbles []stored `json:"scrobbles"`
	}](t, c, "mock.scrobbles").Scrobbles
}

// mockScrobbles reads the mock's stored scrobbles (unsigned control method).
func mockScrobbles(t *testing.T, c *lfm.Client) map[string]stored {
	t.Helper()
	out := map[string]stored{}
	for _, s := range storedScrobbles(t, c) {
		out[s.Track] = s
	}
	return out
}

func TestVersion(t *testing.T) {
	if v := lfm.Version(); v == "" || v[0] != '0' {
		t.Fatalf("Version() = %q", v)
	}
}

// Sign against an independent implementation of Last.fm's rule.
func TestSign(t *testing.T) {
	params := []lfm.Param{{"token", "tok+&=%"}, {"method", "auth.getSession"}, {"api_key", "k"}, {"format", "json"}}
	got, err := lfm.Sign(params, "sëcret")
	must(t, err)
	sorted := append([]lfm.Param(nil), params[:3]...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	h := md5.New()
	for _, p := range sorted {
		h.Write([]byte(p.Name + p.Value))
	}
	h.Write([]byte("sëcret"))
	if want := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}

	_, err = lfm.Sign([]lfm.Param{{"a", "1"}, {"a", "2"}}, "s")
	if !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("duplicate names: err = %v, want StatusInvalidArgument", err)
	}
	_, err = lfm.Sign([]lfm.Param{{"a", "nul\x00byte"}}, "s")
	if !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("NUL byte: err = %v, want StatusInvalidArgument", err)
	}
}

func TestScrobbleEligible(t *testing.T) {
	if lfm.ScrobbleEligible(30, 30) || !lfm.ScrobbleEligible(200, 100) || !lfm.ScrobbleEligible(0, 240) {
		t.Fatal("ScrobbleEligible disagrees with Last.fm's rule")
	}
}

func TestWrongPasswordIsAPIError4(t *testing.T) {
	c := newClient(t)
	_, err := c.GetMobileSession(env(t, "LFM_USERNAME"), "not the password")
	var lerr *lfm.Error
	if !errors.As(err, &lerr) {
		t.Fatalf("err = %v (%T), want *lfm.Error", err, err)
	}
	if lerr.Status != lfm.StatusAPI || lerr.APICode != 4 || lerr.HTTPStatus == 0 || lerr.Retryable {
		t.Fatalf("err = %+v, want StatusAPI, APICode 4, an HTTP status, not retryable", lerr)
	}
	if !errors.Is(err, lfm.StatusAPI) {
		t.Fatal("errors.Is(err, StatusAPI) = false")
	}
}

func TestSessionSignedCallAndScrobble(t *testing.T) {
	c := newClient(t)
	s, err := c.GetMobileSession(env(t, "LFM_EMAIL"), env(t, "LFM_PASSWORD"))
	must(t, err)
	if s.Key == "" || s.Name != "RJ" {
		t.Fatalf("session = {%d-byte key, %q}, want a key and RJ", len(s.Key), s.Name)
	}

	body, err := c.Call("track.love", []lfm.Param{{"artist", "Björk"}, {"track", "Jóga"}}, lfm.CallWrite)
	must(t, err)
	var reply map[string]any
	must(t, json.Unmarshal([]byte(body), &reply))
	if _, bad := reply["error"]; bad {
		t.Fatalf("track.love: %s", body)
	}

	np := lfm.Track{Artist: "Björk", Title: "np " + tag, Album: "Homogenic"}
	must(t, c.UpdateNowPlaying(np))

	now := time.Now().Unix()
	tracks := []lfm.Track{
		{Artist: "Björk", Title: "scrobble 1 " + tag, Album: "Homogenic", Timestamp: now - 600, DurationSecs: 305},
		{Artist: "Sigur Rós", Title: "scrobble 2 " + tag, Timestamp: now - 300},
	}
	res, err := c.Scrobble(tracks)
	must(t, err)
	if res.Accepted != 2 || res.Ignored != 0 || len(res.Verdicts) != 2 || res.Verdicts[0].IgnoredCode != 0 {
		t.Fatalf("Scrobble = %+v", res)
	}
	got := mockScrobbles(t, c)
	for _, tr := range tracks {
		s, ok := got[tr.Title]
		if !ok || s.Artist != tr.Artist || s.Timestamp != tr.Timestamp {
			t.Fatalf("mock has %+v for %q, want %+v", s, tr.Title, tr)
		}
	}
	if got["scrobble 1 "+tag].Album != "Homogenic" {
		t.Fatal("album not stored")
	}
}

func TestInjectedErrorsCarryTheirCodes(t *testing.T) {
	c := newClient(t)
	_, err := c.Call("mock.fault", []lfm.Param{{"kind", "api_error"}, {"code", "29"}}, 0)
	must(t, err)
	_, err = c.Call("user.getInfo", []lfm.Param{{"user", "RJ"}}, 0)
	var lerr *lfm.Error
	if !errors.As(err, &lerr) || lerr.APICode != 29 || !lerr.Retryable || lerr.RetryAfter <= 0 {
		t.Fatalf("err = %v, want API error 29, retryable, with a RetryAfter", err)
	}

	_, err = c.Call("mock.fault", []lfm.Param{{"kind", "html"}, {"http", "503"}}, 0)
	must(t, err)
	_, err = c.Call("user.getInfo", []lfm.Param{{"user", "RJ"}}, 0)
	if !errors.As(err, &lerr) || lerr.Status != lfm.StatusHTTP || lerr.HTTPStatus != 503 || !lerr.Retryable {
		t.Fatalf("err = %v, want StatusHTTP 503, retryable", err)
	}

	// A session call without a session key.
	_, err = c.Call("track.love", []lfm.Param{{"artist", "a"}, {"track", "b"}}, lfm.CallWrite)
	if !errors.Is(err, lfm.StatusNoSession) {
		t.Fatalf("err = %v, want StatusNoSession", err)
	}
}

// Many goroutines share one client; every call completes and every scrobble lands.
func TestConcurrentGoroutines(t *testing.T) {
	c := newClient(t)
	login(t, c)
	const n = 16
	now := time.Now().Unix()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tr := lfm.Track{Artist: "Goroutine", Title: fmt.Sprintf("concurrent %d %s", i, tag), Timestamp: now - int64(1000+i)}
			res, err := c.Scrobble([]lfm.Track{tr})
			if err == nil && res.Accepted != 1 {
				err = fmt.Errorf("track %d: %+v", i, res)
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got := mockScrobbles(t, c)
	for i := 0; i < n; i++ {
		if _, ok := got[fmt.Sprintf("concurrent %d %s", i, tag)]; !ok {
			t.Fatalf("scrobble %d missing from the mock", i)
		}
	}
}

func TestQueuePushFlush(t *testing.T) {
	c := newClient(t)
	login(t, c)
	path := filepath.Join(t.TempDir(), "plays.lfmq")
	q, err := lfm.OpenQueue(path)
	must(t, err)
	defer q.Close()

	now := time.Now().Unix()
	plays := []lfm.Track{
		{Artist: "Queue", Title: "queued 1 " + tag, Timestamp: now - 500},
		{Artist: "Queue", Title: "queued 2 " + tag, Timestamp: now - 400, ChosenByUser: lfm.ChosenNo},
	}
	for _, p := range plays {
		must(t, q.Push(p))
	}
	must(t, q.Push(plays[0])) // a duplicate adds nothing
	if n, err := q.Len(); err != nil || n != 2 {
		t.Fatalf("Len = %d, %v; want 2", n, err)
	}
	entries, err := q.List()
	must(t, err)
	if len(entries) != 2 || entries[0].Track.Title != plays[0].Title || entries[0].Rejected || entries[1].ID <= entries[0].ID ||
		entries[0].Track.ChosenByUser != lfm.ChosenUnknown || entries[1].Track.ChosenByUser != lfm.ChosenNo {
		t.Fatalf("List = %+v", entries)
	}
	if _, damaged, err := q.DamageReport(); err != nil || damaged {
		t.Fatalf("DamageReport: damaged=%v err=%v", damaged, err)
	}

	// A second handle on the same file is refused while the first is open.
	if _, err := lfm.OpenQueue(path); !errors.Is(err, lfm.StatusIO) {
		t.Fatalf("second OpenQueue: %v, want StatusIO", err)
	}

	sent, err := q.Flush(c)
	if err != nil || sent != 2 {
		t.Fatalf("Flush = %d, %v; want 2", sent, err)
	}
	if n, _ := q.Len(); n != 0 {
		t.Fatalf("Len after flush = %d", n)
	}
	got := mockScrobbles(t, c)
	for _, p := range plays {
		if s, ok := got[p.Title]; !ok || s.Timestamp != p.Timestamp {
			t.Fatalf("queued play %q missing or changed: %+v", p.Title, s)
		}
	}
}

// The mock fails a [server-error] play alone (error 8) and accepts the other: the play stays
// pending with one isolated failure.
func TestQueueIsolatedFailures(t *testing.T) {
	c := newClient(t)
	login(t, c)
	q, err := lfm.OpenQueue(filepath.Join(t.TempDir(), "isolated.lfmq"))
	must(t, err)
	defer q.Close()
	now := time.Now().Unix()
	bad := lfm.Track{Artist: "Queue", Title: "stored already [server-error] " + tag, Timestamp: now - 40}
	must(t, q.Push(bad))
	must(t, q.Push(lfm.Track{Artist: "Queue", Title: "accepted beside it " + tag, Timestamp: now - 30}))
	if sent, err := q.Flush(c); err != nil || sent != 1 {
		t.Fatalf("Flush = %d, %v; want 1, nil", sent, err)
	}
	entries, err := q.List()
	must(t, err)
	if len(entries) != 1 || entries[0].Track.Title != bad.Title || entries[0].Rejected ||
		entries[0].IsolatedFailures != 1 || !strings.Contains(entries[0].LastError, "Operation failed") {
		t.Fatalf("List = %+v; want the failing play pending with IsolatedFailures 1", entries)
	}
}

func TestClose(t *testing.T) {
	c := newClient(t)
	must(t, c.Close())
	must(t, c.Close())
	if _, err := c.Call("user.getInfo", nil, 0); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("call after Close: %v, want ErrClosed", err)
	}
	q, err := lfm.OpenQueue(filepath.Join(t.TempDir(), "q"))
	must(t, err)
	if _, err := q.Flush(c); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("Flush with a closed client: %v, want ErrClosed", err)
	}
	must(t, q.Close())
	if err := q.Push(lfm.Track{Artist: "a", Title: "b", Timestamp: 1}); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("Push after Close: %v", err)
	}
}

// The desktop (token) flow: token, approval page, not-yet-approved error 14, session.
func TestTokenFlow(t *testing.T) {
	c := newClient(t)
	must(t, c.SetConnectTimeout(5*time.Second))
	must(t, c.SetProxy(""))
	tok, err := c.GetToken()
	must(t, err)
	u, err := c.AuthURL(tok, "")
	must(t, err)
	if tok == "" || !strings.Contains(u, "token="+tok) {
		t.Fatalf("token %q, url %q", tok, u)
	}
	_, err = c.GetSession(tok)
	var lerr *lfm.Error
	if !errors.As(err, &lerr) || lerr.APICode != 14 {
		t.Fatalf("GetSession before approval: %v, want API error 14", err)
	}
	_, err = c.Call("mock.approveToken", []lfm.Param{{"token", tok}}, 0)
	must(t, err)
	s, err := c.GetSession(tok)
	must(t, err)
	if s.Key == "" || s.Name != "RJ" {
		t.Fatalf("session name %q", s.Name)
	}
}

// logLines collects log lines from any thread.
type logLines struct {
	mu    sync.Mutex
	lines []string
	count map[lfm.LogLevel]int
}

func (l *logLines) add(level lfm.LogLevel, message string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == nil {
		l.count = map[lfm.LogLevel]int{}
	}
	l.count[level]++
	l.lines = append(l.lines, level.String()+" "+message)
}

func (l *logLines) snapshot() ([]string, map[lfm.LogLevel]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	count := map[lfm.LogLevel]int{}
	for k, v := range l.count {
		count[k] = v
	}
	return append([]string(nil), l.lines...), count
}

// The logger sees every request at DEBUG, failures at ERROR/WARN and the login at INFO,
// never a secret; replacing it with nil stops the lines.
func TestLogger(t *testing.T) {
	c := newClient(t)
	var got logLines
	must(t, c.SetLogger(lfm.LogDebug, got.add))

	if _, err := c.GetMobileSession(env(t, "LFM_USERNAME"), "not the password"); !errors.Is(err, lfm.StatusAPI) {
		t.Fatalf("wrong password: %v, want StatusAPI", err)
	}
	s := login(t, c)
	// Calls from several goroutines: the callback runs concurrently.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Call("track.love", []lfm.Param{{"artist", "Björk"}, {"track", "Jóga"}}, lfm.CallWrite)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	_, err := c.Call("mock.fault", []lfm.Param{{"kind", "api_error"}, {"code", "6"}}, 0)
	must(t, err)
	if _, err := c.Call("user.getInfo", []lfm.Param{{"user", "RJ"}}, 0); err == nil {
		t.Fatal("injected error: call succeeded")
	}

	lines, count := got.snapshot()
	if count[lfm.LogDebug] < 7 || count[lfm.LogError] < 2 || count[lfm.LogInfo] < 1 {
		t.Fatalf("lines per level %v, want >= 7 DEBUG, >= 2 ERROR, >= 1 INFO:\n%s", count, strings.Join(lines, "\n"))
	}
	var sawFailure bool
	for _, l := range lines {
		if strings.HasPrefix(l, "ERROR ") && strings.Contains(l, "user.getInfo") {
			sawFailure = true
		}
	}
	if !sawFailure {
		t.Fatalf("no ERROR line for the failed user.getInfo:\n%s", strings.Join(lines, "\n"))
	}
	password := env(t, "LFM_PASSWORD")
	secrets := map[string]string{
		"password":               password,
		"password (URL-encoded)": url.QueryEscape(password),
		"session key":            s.Key,
		"api key":                env(t, "LFM_API_KEY"),
		"secret":                 env(t, "LFM_API_SECRET"),
	}
	for _, l := range lines {
		for what, v := range secrets {
			if v != "" && strings.Contains(l, v) {
				t.Fatalf("a log line contains the %s: %q", what, l)
			}
		}
	}

	// Replacing the logger releases the old one; nil turns logging off.
	var second logLines
	must(t, c.SetLogger(lfm.LogError, second.add))
	must(t, c.SetLogger(lfm.LogDebug, nil))
	before := len(lines)
	_, err = c.Call("track.love", []lfm.Param{{"artist", "Björk"}, {"track", "Jóga"}}, lfm.CallWrite)
	must(t, err)
	_, err = c.Call("mock.fault", []lfm.Param{{"kind", "api_error"}, {"code", "6"}}, 0)
	must(t, err)
	if _, err := c.Call("user.getInfo", []lfm.Param{{"user", "RJ"}}, 0); err == nil {
		t.Fatal("injected error: call succeeded")
	}
	if after, _ := got.snapshot(); len(after) != before {
		t.Fatalf("%d lines after SetLogger(nil): %q", len(after)-before, after[before:])
	}
	if l, _ := second.snapshot(); len(l) != 0 {
		t.Fatalf("replaced logger got %q", l)
	}

	// An out-of-range level is refused; Close releases the logger; later calls fail.
	if err := c.SetLogger(lfm.LogLevel(9), got.add); !errors.Is(err, lfm.StatusInvalidArgument) {
		t.Fatalf("SetLogger(level 9): %v, want StatusInvalidArgument", err)
	}
	must(t, c.SetLogger(lfm.LogDebug, got.add))
	must(t, c.Close())
	if err := c.SetLogger(lfm.LogDebug, got.add); !errors.Is(err, lfm.ErrClosed) {
		t.Fatalf("SetLogger after Close: %v, want ErrClosed", err)
	}
}
