package lfm

// #include <lfm.h>
import "C"

import (
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
)

// Version is the library's version, e.g. "0.2.0".
func Version() string { return C.GoString(C.lfm_version()) }

// Param is one request parameter (UTF-8 name and value).
type Param struct {
	Name, Value string
}

// CallFlags select what Client.Call adds to a request.
type CallFlags uint32

const (
	CallSigned  CallFlags = C.LFM_CALL_SIGNED  // add api_sig
	CallSession CallFlags = C.LFM_CALL_SESSION // add the client's session key (sk)
	CallPost    CallFlags = C.LFM_CALL_POST    // a form-encoded POST instead of a GET
	CallWrite   CallFlags = C.LFM_CALL_WRITE   // all three: what every write method needs
	// CallNormalize rewrites the reply into one stable shape: lists always arrays, numbers
	// and booleans as JSON ones, #text as text or name, @attr merged or under attr, images
	// as {size: url} (README.md, "Reading"). Without it the body is exactly as sent.
	CallNormalize CallFlags = C.LFM_CALL_NORMALIZE
	// CallRetry retries transient failures (errors 8, 11, 16, 29, HTTP 5xx and 429,
	// network, timeouts): at most 4 attempts, waits of at most 60 s each. For reads only.
	CallRetry CallFlags = C.LFM_CALL_RETRY
)

// Chosen says whether the user chose a track (Last.fm's chosenByUser).
type Chosen int32

const (
	ChosenUnknown Chosen = C.LFM_CHOSEN_UNKNOWN // not known: not sent (the zero value)
	ChosenYes     Chosen = C.LFM_CHOSEN_YES     // the user chose it
	ChosenNo      Chosen = C.LFM_CHOSEN_NO      // a radio, a recommendation or shuffle chose it
)

// Track is a played (or playing) track. Empty optional strings and zero numbers are not sent.
type Track struct {
	Artist       string // required
	Title        string // required: the track's title (lfm_track.track in C)
	Album        string
	AlbumArtist  string
	MBID         string // MusicBrainz track id
	Timestamp    int64  // UTC Unix seconds when playback started (scrobbles; ignored by now playing)
	DurationSecs uint32 // 0 = unknown
	TrackNumber  uint32 // 0 = unknown
	ChosenByUser Chosen // ChosenUnknown = not sent
}

// Session is the result of a mobile login.
type Session struct {
	Key  string // the session key: a secret, never log it
	Name string // the account's canonical name
}

// Verdict is the server's answer on one scrobbled track.
type Verdict struct {
	IgnoredCode    int         // 0 accepted; 1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit
	IgnoredMessage string      // the server's reason, "" when accepted
	Corrected      Corrections // Last.fm's autocorrections of the names; "" where none
}

// ScrobbleResult holds the verdicts of Client.Scrobble in input order.
type ScrobbleResult struct {
	Accepted, Ignored int
	Verdicts          []Verdict
}

// Sign computes the api_sig of a request (see lfm_sign in lfm.h). Pure; no I/O.
func Sign(params []Param, apiSecret string) (string, error) {
	var a cArena
	defer a.free()
	p, n := a.params(params)
	secret := a.str(apiSecret)
	if a.err != nil {
		return "", a.err
	}
	var sig *C.char
	var cerr *C.lfm_error
	if err := takeError(C.lfm_sign(p, n, secret, &sig, &cerr), cerr); err != nil {
		return "", err
	}
	return takeString(sig), nil
}

// ScrobbleEligible is Last.fm's rule: longer than 30 s, and played for half its length or
// 4 minutes.
func ScrobbleEligible(durationSecs, playedSecs uint32) bool {
	return bool(C.lfm_scrobble_eligible(C.uint32_t(durationSecs), C.uint32_t(playedSecs)))
}

// Client is a Last.fm API client: credentials, settings, a session key, and kept-alive
// connections. Safe for concurrent use by many goroutines.
type Client struct {
	mu     sync.RWMutex // read-held by every call, write-held by Close and SetLogger
	h      *C.lfm_client
	logger cgo.Handle // the function set by SetLogger; 0 when none
}

// NewClient creates a client for the application's API key and shared secret. No I/O.
func NewClient(apiKey, apiSecret string) (*Client, error) {
	var a cArena
	defer a.free()
	key, secret := a.str(apiKey), a.str(apiSecret)
	if a.err != nil {
		return nil, a.err
	}
	var h *C.lfm_client
	var cerr *C.lfm_error
	if err := takeError(C.lfm_client_new(key, secret, &h, &cerr), cerr); err != nil {
		return nil, err
	}
	c := &Client{h: h}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// Close waits for calls in flight, then frees the client. Later calls return ErrClosed.
// Closing twice is fine. A Scrobbler or Pager made with it goes on working (without the
// logger set by SetLogger).
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h != nil {
		if c.logger != 0 {
			// A Scrobbler or Pager keeps the library's client alive after this: take the
			// logger off it before its handle goes.
			c.clearLogger()
			c.logger.Delete()
			c.logger = 0
		}
		C.lfm_client_free(c.h)
		c.h = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// do runs one fallible C call on the live handle. Adding a binding for a new C function is
// one closure: c.do(func(h *C.lfm_client, e **C.lfm_error) C.lfm_status { return C.f(h, ..., e) }).
func (c *Client) do(a *cArena, f func(h *C.lfm_client, cerr **C.lfm_error) C.lfm_status) error {
	if a != nil && a.err != nil {
		return a.err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.h == nil {
		return ErrClosed
	}
	var cerr *C.lfm_error
	return takeError(f(c.h, &cerr), cerr)
}

// SetBaseURL sets the API root, used exactly as given (keep the trailing slash).
func (c *Client) SetBaseURL(url string) error {
	var a cArena
	defer a.free()
	u := a.str(url)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_base_url(h, u, e)
	})
}

// SetSessionKey sets the key used by CallSession calls; "" clears it.
func (c *Client) SetSessionKey(key string) error {
	var a cArena
	defer a.free()
	k := a.optStr(key)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_session_key(h, k, e)
	})
}

// SetTimeout bounds every request (connect, send, read the whole reply); at least 1 ms.
func (c *Client) SetTimeout(d time.Duration) error {
	ms := d.Milliseconds()
	if ms < 1 || ms > int64(^uint32(0)) {
		return &Error{Status: StatusInvalidArgument, Message: "timeout out of range"}
	}
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_timeout_ms(h, C.uint32_t(ms), e)
	})
}

// SetUserAgent sets the User-Agent header.
func (c *Client) SetUserAgent(userAgent string) error {
	var a cArena
	defer a.free()
	ua := a.str(userAgent)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_user_agent(h, ua, e)
	})
}

// SetCAFile trusts the certificates of a PEM file in addition to the bundled roots.
func (c *Client) SetCAFile(pemPath string) error {
	var a cArena
	defer a.free()
	p := a.str(pemPath)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_ca_file(h, p, e)
	})
}

// SetAllowInsecureHTTP allows sending credentials over plain http (LAN servers only).
func (c *Client) SetAllowInsecureHTTP(allow bool) error {
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_allow_insecure_http(h, C.bool(allow), e)
	})
}

// SetRateLimit paces requests to at most n per second across goroutines (default 5); 0 is off.
func (c *Client) SetRateLimit(n uint32) error {
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_rate_limit(h, C.uint32_t(n), e)
	})
}

// SetMaxBatch sets the most tracks one track.scrobble request carries, 1..50 (default 50).
func (c *Client) SetMaxBatch(n uint32) error {
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_max_batch(h, C.uint32_t(n), e)
	})
}

// GetMobileSession logs in with a user name (or e-mail) and password; the key is also
// stored in the client. A wrong password is an *Error with APICode 4. Blocks.
func (c *Client) GetMobileSession(username, password string) (Session, error) {
	var a cArena
	defer a.free()
	u, p := a.str(username), a.str(password)
	var key, name *C.char
	err := c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_get_mobile_session(h, u, p, &key, &name, e)
	})
	s := Session{Key: takeString(key), Name: takeString(name)}
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// Call calls any API method and returns the JSON body as received. Blocks.
func (c *Client) Call(method string, params []Param, flags CallFlags) (string, error) {
	var a cArena
	defer a.free()
	m := a.str(method)
	p, n := a.params(params)
	var json *C.char
	err := c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_call(h, m, p, n, C.uint32_t(flags), &json, e)
	})
	body := takeString(json)
	if err != nil {
		return "", err
	}
	return body, nil
}

// UpdateNowPlaying tells the server what is playing now (needs a session). Blocks.
func (c *Client) UpdateNowPlaying(t Track) error {
	var a cArena
	defer a.free()
	ct := a.track(&t)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_update_now_playing(h, &ct, e)
	})
}

// Scrobble sends tracks (batched, in order) and returns the per-track verdicts. Blocks.
func (c *Client) Scrobble(tracks []Track) (ScrobbleResult, error) {
	var a cArena
	defer a.free()
	var ct []C.lfm_track
	for i := range tracks {
		ct = append(ct, a.track(&tracks[i]))
	}
	var first *C.lfm_track
	if len(ct) > 0 {
		first = &ct[0]
	}
	var res *C.lfm_scrobble_result
	err := c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_scrobble(h, first, C.size_t(len(ct)), &res, e)
	})
	defer C.lfm_scrobble_result_free(res)
	if err != nil {
		return ScrobbleResult{}, err
	}
	out := ScrobbleResult{
		Accepted: int(C.lfm_scrobble_result_accepted(res)),
		Ignored:  int(C.lfm_scrobble_result_ignored(res)),
		Verdicts: make([]Verdict, len(tracks)),
	}
	for i := range out.Verdicts {
		var v C.lfm_scrobble_verdict
		var cerr *C.lfm_error
		if err := takeError(C.lfm_scrobble_result_get(res, C.size_t(i), &v, &cerr), cerr); err != nil {
			return ScrobbleResult{}, err
		}
		out.Verdicts[i] = Verdict{
			IgnoredCode:    int(v.ignored_code),
			IgnoredMessage: goString(v.ignored_message),
			Corrected:      goCorrections(v.corrected_artist, v.corrected_track, v.corrected_album),
		}
	}
	return out, nil
}
