package lfm

// #include <lfm.h>
import "C"

import "time"

// Service is a built-in server for Client.SetService.
type Service int32

const (
	ServiceLastFM  Service = C.LFM_SERVICE_LASTFM
	ServiceLibreFM Service = C.LFM_SERVICE_LIBREFM
)

// RootStore selects the trusted TLS roots for Client.SetRootStore.
type RootStore int32

const (
	RootsBundled RootStore = C.LFM_ROOTS_BUNDLED // the Mozilla roots compiled in (default)
	RootsSystem  RootStore = C.LFM_ROOTS_SYSTEM  // the operating system's store
)

// SetService points the client at a built-in service (API root and authorisation page).
func (c *Client) SetService(s Service) error {
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_service(h, C.int32_t(s), e)
	})
}

// SetAuthURL sets the authorisation page used by AuthURL, for other servers.
func (c *Client) SetAuthURL(url string) error {
	var a cArena
	defer a.free()
	u := a.str(url)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_auth_url(h, u, e)
	})
}

// SetProxy sends requests through an http:// or socks5:// (socks5h, socks4) proxy; ""
// connects directly.
func (c *Client) SetProxy(proxyURL string) error {
	var a cArena
	defer a.free()
	p := a.optStr(proxyURL)
	return c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_proxy(h, p, e)
	})
}

// SetRootStore chooses the trusted roots; a CA from SetCAFile is trusted in addition.
func (c *Client) SetRootStore(s RootStore) error {
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_root_store(h, C.int32_t(s), e)
	})
}

// SetConnectTimeout bounds the connection phase (TCP, proxy, TLS) within the overall timeout.
func (c *Client) SetConnectTimeout(d time.Duration) error {
	ms := d.Milliseconds()
	if ms < 1 || ms > int64(^uint32(0)) {
		return &Error{Status: StatusInvalidArgument, Message: "timeout out of range"}
	}
	return c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_client_set_connect_timeout_ms(h, C.uint32_t(ms), e)
	})
}

// GetToken asks for a request token (auth.getToken): the first step of the desktop login.
func (c *Client) GetToken() (string, error) {
	var tok *C.char
	err := c.do(nil, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_get_token(h, &tok, e)
	})
	t := takeString(tok)
	if err != nil {
		return "", err
	}
	return t, nil
}

// AuthURL is the page the user opens to approve the application: token for the desktop
// flow, callbackURL for the web flow ("" leaves either out). No I/O.
func (c *Client) AuthURL(token, callbackURL string) (string, error) {
	var a cArena
	defer a.free()
	t, cb := a.optStr(token), a.optStr(callbackURL)
	var out *C.char
	err := c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_auth_url(h, t, cb, &out, e)
	})
	u := takeString(out)
	if err != nil {
		return "", err
	}
	return u, nil
}

// GetSession exchanges an approved token for a session (stored in the client). Before the
// user approves, it fails with an *Error whose APICode is 14.
func (c *Client) GetSession(token string) (Session, error) {
	var a cArena
	defer a.free()
	t := a.str(token)
	var key, name *C.char
	err := c.do(&a, func(h *C.lfm_client, e **C.lfm_error) C.lfm_status {
		return C.lfm_get_session(h, t, &key, &name, e)
	})
	s := Session{Key: takeString(key), Name: takeString(name)}
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// SetMaxAgeDays rejects plays older than days when a flush reaches them (default 14);
// 0 removes the limit.
func (q *Queue) SetMaxAgeDays(days uint32) error {
	return q.do(nil, func(h *C.lfm_queue, e **C.lfm_error) C.lfm_status {
		return C.lfm_queue_set_max_age_days(h, C.uint32_t(days), e)
	})
}
