//! Token and web login flows, services, and transport settings (proxy, roots, timeouts).

use super::args::{guard, Codes};
use super::client::{lfm_client, millis, set, set_session};
use super::error::lfm_error;
use super::lfm_status;
use lfm::auth::Service;
use lfm::transport::RootStore;
use std::ffi::c_char;

/// Last.fm: https://ws.audioscrobbler.com/2.0/ and https://www.last.fm/api/auth/ (the default).
pub const LFM_SERVICE_LASTFM: i32 = 0;
/// Libre.fm: https://libre.fm/2.0/ and https://libre.fm/api/auth/ (accepts any API key).
pub const LFM_SERVICE_LIBREFM: i32 = 1;

/// Trust the Mozilla roots compiled into the library (the default).
pub const LFM_ROOTS_BUNDLED: i32 = 0;
/// Trust the operating system's certificate store.
pub const LFM_ROOTS_SYSTEM: i32 = 1;

/// The C number of each built-in service.
pub(crate) const SERVICE_CODES: Codes<Service> = Codes(&[
    (LFM_SERVICE_LASTFM, Service::LastFm),
    (LFM_SERVICE_LIBREFM, Service::LibreFm),
]);

/// The C number of each choice of roots.
pub(crate) const ROOT_STORE_CODES: Codes<RootStore> = Codes(&[
    (LFM_ROOTS_BUNDLED, RootStore::Bundled),
    (LFM_ROOTS_SYSTEM, RootStore::System),
]);

/// Ask for a request token (auth.getToken, signed): the first step of the desktop login.
///
/// `out_token` (required) receives the token (valid 60 minutes, single use); free it with
/// lfm_string_free(). Then have the user open lfm_auth_url(client, token, NULL) and poll
/// lfm_get_session(). Thread-safe; blocks for at most the timeout.
#[no_mangle]
pub unsafe extern "C" fn lfm_get_token(
    client: *mut lfm_client,
    out_token: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_token = arg!(out out_token);
        out_token.set_string(arg!(client client).get_token()?)
    })
}

/// The page the user opens to approve this application: `<auth url>?api_key=KEY` plus
/// `&token=TOKEN` (desktop flow) and `&cb=CALLBACK` (web flow: the server redirects the
/// browser to CALLBACK?token=...), every value percent-encoded.
///
/// `token`: NULL for the web flow. `callback_url`: NULL for none; else an absolute http(s)
/// URL. `out_url` (required) receives the URL; free it with lfm_string_free(). No I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_auth_url(
    client: *const lfm_client,
    token: *const c_char,
    callback_url: *const c_char,
    out_url: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_url = arg!(out out_url);
        let url = arg!(client client).auth_url(arg!(opt_str token), arg!(opt_str callback_url))?;
        out_url.set_string(url)
    })
}

/// Exchange an approved token for a session (auth.getSession, signed) and store the key in
/// the client, as lfm_get_mobile_session() does.
///
/// While the user has not approved the token this fails with LFM_ERR_API and API code 14
/// (not retryable, but pending: call again later); an expired or already used token gives
/// 15, a bad one 4. Poll no faster than every 5 seconds, for at most the token's 60 minutes;
/// each poll is one request under the client's rate limit:
///
/// ```c
/// for (;;) {
///     lfm_status s = lfm_get_session(client, token, &key, &name, &err);
///     if (s == LFM_OK) break;                                        // logged in
///     if (s != LFM_ERR_API || lfm_error_api_code(err) != 14) break;  // show err, stop
///     lfm_error_free(err); err = NULL;                               // 14: still pending
///     sleep(5);
/// }
/// ```
///
/// `out_session_key` and `out_name` are optional; free them with lfm_string_free(). A
/// server that sends no name gives "". Thread-safe; blocks for at most the timeout.
#[no_mangle]
pub unsafe extern "C" fn lfm_get_session(
    client: *mut lfm_client,
    token: *const c_char,
    out_session_key: *mut *mut c_char,
    out_name: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let outs = (arg!(opt_out out_session_key), arg!(opt_out out_name));
        set_session(outs, arg!(client client).get_session(arg!(str token))?)
    })
}

/// Set the authorisation page used by lfm_auth_url() (an absolute http(s) URL), for servers
/// other than the built-in services. Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_auth_url(
    client: *mut lfm_client,
    url: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_auth_url(arg!(str url)))
}

/// Point the client at a built-in service, LFM_SERVICE_LASTFM or LFM_SERVICE_LIBREFM: sets
/// both the API root and the authorisation page. Any other server: lfm_client_set_base_url()
/// and lfm_client_set_auth_url(). Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_service(
    client: *mut lfm_client,
    service: i32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_service(SERVICE_CODES.arg(service, "service")?)
    })
}

/// Send every request through a proxy: `http://host:port` (HTTP CONNECT) or
/// `socks5://host:port` (also `socks5h://`, `socks4://`, and `user:pass@` in the URL);
/// NULL connects directly. A proxy that cannot be reached makes calls fail with
/// LFM_ERR_NETWORK. Thread-safe; takes effect for calls that start afterwards.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_proxy(
    client: *mut lfm_client,
    proxy_url: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_proxy(arg!(opt_str proxy_url)))
}

/// Choose the trusted roots: LFM_ROOTS_BUNDLED (the Mozilla roots compiled in, the default)
/// or LFM_ROOTS_SYSTEM (the operating system's store, read once per process; LFM_ERR_IO if it
/// has none). A CA added with lfm_client_set_ca_file() is trusted in addition. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_root_store(
    client: *mut lfm_client,
    store: i32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_root_store(ROOT_STORE_CODES.arg(store, "root store")?)
    })
}

/// Bound the connection phase (TCP, proxy and TLS handshakes) in milliseconds (> 0), within
/// the overall timeout of lfm_client_set_timeout_ms(). Default: the smaller of the overall
/// timeout and 10 s. Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_connect_timeout_ms(
    client: *mut lfm_client,
    timeout_ms: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_connect_timeout(millis(timeout_ms))
    })
}
