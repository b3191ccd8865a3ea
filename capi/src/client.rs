//! `lfm_client`: creation, settings, `lfm_call` and `lfm_get_mobile_session`.

use std::ffi::c_char;
use std::path::Path;
use std::time::Duration;

use super::args::{free_box, guard, handle, Out};
use super::error::lfm_error;
use super::lfm_status;
use super::sign::lfm_param;
use lfm::client::{CallFlags, Client};

/// A Last.fm API client: credentials, settings, a session key, and a pool of kept-alive
/// connections.
///
/// Thread-safety: every function may be called on one client from many threads at once;
/// a setter affects the calls that start after it returns. Calls that talk to the server
/// block the calling thread for at most the client's timeout (30 s by default): never call
/// them on a UI thread. Create with lfm_client_new(), free with lfm_client_free().
pub struct lfm_client {
    client: Client,
}

#[cfg(test)]
impl lfm_client {
    pub(crate) fn for_tests(client: Client) -> lfm_client {
        lfm_client { client }
    }

    pub(crate) fn client_for_tests(&self) -> &Client {
        &self.client
    }
}

/// Add `api_sig` to the request.
pub const LFM_CALL_SIGNED: u32 = 1;
/// Add `sk` from the client (LFM_ERR_NO_SESSION if it has none).
pub const LFM_CALL_SESSION: u32 = 2;
/// Send a form-encoded POST body; otherwise a GET with a query string.
pub const LFM_CALL_POST: u32 = 4;
/// All three: what every write method needs.
pub const LFM_CALL_WRITE: u32 = 7;

/// The core flag behind each `LFM_CALL_*` bit.
const CALL_FLAGS: [(u32, CallFlags); 3] = [
    (LFM_CALL_SIGNED, CallFlags::SIGNED),
    (LFM_CALL_SESSION, CallFlags::SESSION),
    (LFM_CALL_POST, CallFlags::POST),
];

/// The core flags for C bits; unknown bits are LFM_ERR_INVALID_ARGUMENT.
/// (A literal 7 above, not an expression, so that every binding generator reads it.)
fn call_flags(bits: u32) -> lfm::Result<CallFlags> {
    let unknown = bits & !LFM_CALL_WRITE;
    if unknown != 0 {
        return Err(lfm::Error::invalid(format!(
            "unknown call flag bits {unknown:#x}"
        )));
    }
    Ok(CALL_FLAGS
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .fold(CallFlags::NONE, |flags, (_, flag)| flags | *flag))
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
        out_client.set_box(lfm_client { client });
        Ok(())
    })
}

/// Free a client and close its connections. NULL is fine.
///
/// No call on this client may be running or start afterwards: using a freed client is
/// undefined behaviour.
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
    unsafe { handle(client, "client") }.map(|c| &c.client)
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

/// Hand a session's key and name to the caller: both converted before either is written, so
/// that a failure leaves both NULL.
pub(crate) fn set_session(
    (out_key, out_name): (Out<'_, *mut c_char>, Out<'_, *mut c_char>),
    session: lfm::Session,
) -> lfm::Result<()> {
    let key = super::args::c_string(session.key)?;
    let name = super::args::c_string(session.name)?;
    out_key.set_c_string(key);
    out_name.set_c_string(name);
    Ok(())
}

/// Set the API root URL, used exactly as given: keep the trailing slash (some servers answer
/// 404 without it). Must be an absolute http:// or https:// URL. Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_base_url(
    client: *mut lfm_client,
    url: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_base_url(arg!(str url)))
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

/// Set the User-Agent header (non-empty, no control characters). Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_user_agent(
    client: *mut lfm_client,
    user_agent: *const c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_user_agent(arg!(str user_agent)))
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

/// Allow (true) or refuse (false, the default) sending credentials over plain http, for
/// self-hosted servers on a LAN. Thread-safe; no I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_allow_insecure_http(
    client: *mut lfm_client,
    allow: bool,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |c| c.set_allow_insecure_http(allow))
}

/// Log in with a user name (or e-mail) and password: auth.getMobileSession, a signed POST.
///
/// Over an http:// base URL it fails with LFM_ERR_INSECURE unless
/// lfm_client_set_allow_insecure_http(client, true) was called. On success the session key
/// is stored in the client (later LFM_CALL_SESSION calls use it) and, when the pointers are
/// non-NULL, `out_session_key` gets the key and `out_name` the account's canonical name
/// (the name the caller passed if the server sends none); free both with lfm_string_free().
/// A wrong password is LFM_ERR_API with API code 4. The password is never stored, logged or
/// put in an error message. Blocks for at most the client's timeout.
#[no_mangle]
pub unsafe extern "C" fn lfm_get_mobile_session(
    client: *mut lfm_client,
    username: *const c_char,
    password: *const c_char,
    out_session_key: *mut *mut c_char,
    out_name: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let outs = (arg!(opt_out out_session_key), arg!(opt_out out_name));
        let session =
            arg!(client client).get_mobile_session(arg!(str username), arg!(str password))?;
        set_session(outs, session)
    })
}

/// Call any API method and return the reply body (JSON) as received.
///
/// The library adds `method`, `api_key` and `format=json`, plus `sk` (LFM_CALL_SESSION) and
/// `api_sig` (LFM_CALL_SIGNED); passing `method`, `api_key`, `api_sig`, `sk`, `format` or
/// `callback` yourself is LFM_ERR_INVALID_ARGUMENT, as are duplicate names and unknown flag
/// bits. With LFM_CALL_POST the parameters travel in a form-encoded body, otherwise in the
/// query string; either way every reserved character and non-ASCII byte is percent-encoded,
/// so the bytes signed are exactly the bytes the server decodes.
///
/// - `params`: `n_params` parameters (NULL allowed when 0); an `n_params` larger than the
///   array is undefined behaviour.
/// - `out_json` (required) receives the body on success; free it with lfm_string_free().
/// - Errors: a JSON body with `error` is LFM_ERR_API (code, message, HTTP status); a non-JSON
///   error page is LFM_ERR_HTTP; a 2xx body that is not JSON is LFM_ERR_PARSE; plus
///   LFM_ERR_NETWORK, LFM_ERR_TIMEOUT and LFM_ERR_NO_SESSION.
///
/// Thread-safe. Blocks for at most the client's timeout.
#[no_mangle]
pub unsafe extern "C" fn lfm_call(
    client: *mut lfm_client,
    method: *const c_char,
    params: *const lfm_param,
    n_params: usize,
    flags: u32,
    out_json: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_json = arg!(out out_json);
        let pairs = arg!(params params, n_params);
        let body = arg!(client client).call(arg!(str method), &pairs, call_flags(flags)?)?;
        out_json.set_string(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_bits_map_to_the_core_flags() {
        assert_eq!(
            LFM_CALL_WRITE,
            LFM_CALL_SIGNED | LFM_CALL_SESSION | LFM_CALL_POST
        );
        assert_eq!(call_flags(LFM_CALL_WRITE).unwrap(), CallFlags::WRITE);
        assert_eq!(call_flags(0).unwrap(), CallFlags::NONE);
        assert_eq!(call_flags(LFM_CALL_SESSION).unwrap(), CallFlags::SESSION);
        assert!(call_flags(8).is_err());
    }
}
