//! `lfm_client`: creation, settings, `lfm_call` and `lfm_get_mobile_session`.

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::args::{free_box, guard, handle, Codes};
use super::error::{lfm_error, lfm_status};
use lfm::client::Client;
use lfm::service::Service;
use lfm::transport::RootStore;

/// A Last.fm API client: credentials, settings, a session key, and a pool of kept-alive
/// connections.
///
/// Thread-safety: every function may be called on one client from many threads at once;
/// a setter affects the calls that start after it returns. Calls that talk to the server
/// block the calling thread for at most the client's timeout (30 s by default): never call
/// them on a UI thread. Create with lfm_client_new(), free with lfm_client_free().
///
/// Methods: lfm_client_new(), lfm_client_free(); settings: lfm_client_set_base_url(),
/// lfm_client_set_auth_url(), lfm_client_set_service(), lfm_client_set_session_key(),
/// lfm_client_set_timeout_ms(), lfm_client_set_connect_timeout_ms(),
/// lfm_client_set_user_agent(), lfm_client_set_proxy(), lfm_client_set_ca_file(),
/// lfm_client_set_root_store(), lfm_client_set_allow_insecure_http(),
/// lfm_client_set_rate_limit(), lfm_client_set_max_batch(), lfm_client_set_logger(); calls:
/// lfm_call(); login: lfm_get_mobile_session(), lfm_get_token(), lfm_auth_url(),
/// lfm_get_session(); scrobbling: lfm_update_now_playing(), lfm_scrobble(),
/// lfm_queue_flush(), lfm_scrobbler_new().
/// Reading: lfm_pager_open(), lfm_pager_open_after(), lfm_pager_resume().
pub struct lfm_client {
    client: Arc<Client>,
}

#[cfg(test)]
impl lfm_client {
    pub(crate) fn for_tests(client: Client) -> lfm_client {
        lfm_client {
            client: Arc::new(client),
        }
    }

    pub(crate) fn client_for_tests(&self) -> &Client {
        &self.client
    }
}

/// Create a client for the application identified by `api_key` and `api_secret` (copied).
///
/// Defaults: base URL https://ws.audioscrobbler.com/2.0/, timeout 30 s, user agent
/// "liblfm/<version>", the bundled Mozilla roots, no session key.
/// `out_client` (required) receives the client; free it with lfm_client_free().
/// Does no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_new(
    api_key: *const c_char,
    api_secret: *const c_char,
    out_client: *mut *mut lfm_client,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_client = arg!(out out_client);
        let client = Client::new(arg!(str api_key), arg!(str api_secret))?;
        out_client.set_box(lfm_client {
            client: Arc::new(client),
        });
        Ok(())
    })
}

/// Free a client and close its connections. NULL is fine.
///
/// No call on this client may be running or start afterwards: using a freed client is
/// undefined behaviour. An lfm_scrobbler made with this client keeps its own reference to
/// it: the client may be freed before the scrobbler, which goes on delivering (its
/// connections close when the scrobbler is freed). A pager opened on it holds a reference
/// of its own too.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_free(client: *mut lfm_client) {
    // SAFETY: NULL or from lfm_client_new, freed once (the API contract).
    unsafe { free_box(client) }
}

/// Borrow the client behind a handle inside an export.
///
/// # Safety
/// `client` is NULL or a live lfm_client.
pub(crate) unsafe fn client_arg<'a>(client: *const lfm_client) -> lfm::Result<&'a Client> {
    // SAFETY: forwarded contract.
    unsafe { handle(client, "client") }.map(|c| &*c.client)
}

/// A reference of its own to the client behind a handle, for an object that outlives the
/// call (lfm_scrobbler, lfm_pager).
///
/// # Safety
/// `client` is NULL or a live lfm_client.
pub(crate) unsafe fn shared_client_arg(client: *const lfm_client) -> lfm::Result<Arc<Client>> {
    // SAFETY: forwarded contract.
    unsafe { handle(client, "client") }.map(|c| Arc::clone(&c.client))
}

/// The same as [`shared_client_arg`], under the name the pager's exports use (a pager, too,
/// keeps the client alive until it is freed).
///
/// # Safety
/// `client` is NULL or a live lfm_client.
pub(crate) unsafe fn client_arc_arg(client: *const lfm_client) -> lfm::Result<Arc<Client>> {
    // SAFETY: forwarded contract.
    unsafe { shared_client_arg(client) }
}

/// The body of every `lfm_client_set_*`: borrow the client, apply one setting, and report
/// like any export. Called only by exports, with their arguments (the contract of [`arg!`]).
pub(crate) fn set(
    client: *const lfm_client,
    out_err: *mut *mut lfm_error,
    setting: impl FnOnce(&Client) -> lfm::Result<()>,
) -> lfm_status {
    guard(out_err, || setting(arg!(client client)))
}

/// A duration given in milliseconds.
pub(crate) fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

/// Set the API root URL, used exactly as given: keep the trailing slash (some servers answer
/// 404 without it). Must be an absolute http:// or https:// URL; a URL with `user:password@`
/// (which would travel and show with it) or a `#fragment` (which would swallow every parameter
/// appended after it) is LFM_ERR_INVALID_ARGUMENT, and the message never quotes the URL.
/// Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_base_url(
    client: *mut lfm_client,
    url: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_base_url(arg!(str url)))
}

/// Set the authorisation page used by lfm_auth_url() (an absolute http(s) URL without
/// `user:password@` or `#fragment`), for servers
/// other than the built-in services. Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_auth_url(
    client: *mut lfm_client,
    url: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_auth_url(arg!(str url)))
}

/// Last.fm: https://ws.audioscrobbler.com/2.0/ and https://www.last.fm/api/auth/ (the default).
pub const LFM_SERVICE_LASTFM: i32 = 0;

/// Libre.fm: https://libre.fm/2.0/ and https://libre.fm/api/auth/ (accepts any API key).
pub const LFM_SERVICE_LIBREFM: i32 = 1;

/// The C number of each built-in service.
pub(crate) const SERVICE_CODES: Codes<Service> = Codes(&[
    (LFM_SERVICE_LASTFM, Service::LastFm),
    (LFM_SERVICE_LIBREFM, Service::LibreFm),
]);

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

/// Set the session key used by LFM_CALL_SESSION calls; NULL clears it. Thread-safe; no I/O.
/// The key is copied and never logged.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_session_key(
    client: *mut lfm_client,
    session_key: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_session_key(arg!(opt_str session_key))
    })
}

/// Set the overall bound on each request, in milliseconds (> 0): connecting, sending, and
/// reading the whole reply. Every blocking call returns within about this long.
/// Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_timeout_ms(
    client: *mut lfm_client,
    timeout_ms: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_timeout(millis(timeout_ms)))
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

/// Set the User-Agent header (non-empty, no control characters). Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_user_agent(
    client: *mut lfm_client,
    user_agent: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_user_agent(arg!(str user_agent)))
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

/// Trust the certificates in the PEM file at `pem_path` in addition to the bundled roots
/// (self-hosted servers, tests). The file is read now: LFM_ERR_IO if it cannot be read,
/// LFM_ERR_INVALID_ARGUMENT if it holds no certificate. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_ca_file(
    client: *mut lfm_client,
    pem_path: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_ca_file(Path::new(arg!(str pem_path)))
    })
}

/// Trust the Mozilla roots compiled into the library (the default).
pub const LFM_ROOTS_BUNDLED: i32 = 0;

/// Trust the operating system's certificate store.
pub const LFM_ROOTS_SYSTEM: i32 = 1;

/// The C number of each choice of roots.
pub(crate) const ROOT_STORE_CODES: Codes<RootStore> = Codes(&[
    (LFM_ROOTS_BUNDLED, RootStore::Bundled),
    (LFM_ROOTS_SYSTEM, RootStore::System),
]);

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

/// Allow (true) or refuse (false, the default) sending credentials over plain http, for
/// self-hosted servers on a LAN. Refused, a request fails with LFM_ERR_INSECURE before any
/// connection is made. A request carries a credential when it has a `password`,
/// `authToken` or `token` parameter, the session key (LFM_CALL_SESSION: write calls,
/// lfm_scrobble(), lfm_update_now_playing(), lfm_queue_flush()), or is auth.getMobileSession
/// or auth.getSession (whose reply is a session key), by any route, lfm_call() included.
/// Not credentials: `api_key` (public) and `api_sig` (derived from the secret, which never
/// travels). Unsigned or merely signed calls (auth.getToken) go over http either way.
/// Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_allow_insecure_http(
    client: *mut lfm_client,
    allow: bool,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_allow_insecure_http(allow))
}

/// Pace this client's requests to at most `max_requests_per_second` on average, shared by
/// all threads (default 5, Last.fm's terms); 0 turns pacing off. A call may wait for its
/// turn before its timeout starts. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_rate_limit(
    client: *mut lfm_client,
    max_requests_per_second: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| {
        c.set_rate_limit(max_requests_per_second);
        Ok(())
    })
}

/// The most tracks one track.scrobble request carries, 1..50 (default 50). Servers that
/// cannot take batches (Maloja 3) need 1. lfm_scrobble() and lfm_queue_flush() honour it.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_max_batch(
    client: *mut lfm_client,
    max_tracks: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_max_batch(max_tracks))
}
