//! Token and web login flows, services, and transport settings (proxy, roots, timeouts).

use std::ffi::c_char;

use super::args::{c_string, guard, Out};
use super::client::lfm_client;
use super::error::{lfm_error, lfm_status};

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
/// URL without `user:password@` or `#fragment`. `out_url` (required) receives the URL; free
/// it with lfm_string_free(). No I/O.
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
/// Over an http:// base URL it fails with LFM_ERR_INSECURE, before anything is sent, unless
/// lfm_client_set_allow_insecure_http(client, true) was called.
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

/// Hand a session's key and name to the caller: both converted before either is written, so
/// that a failure leaves both NULL.
pub(crate) fn set_session(
    (out_key, out_name): (Out<'_, *mut c_char>, Out<'_, *mut c_char>),
    session: lfm::Session,
) -> lfm::Result<()> {
    let key = c_string(session.key)?;
    let name = c_string(session.name)?;
    out_key.set_c_string(key);
    out_name.set_c_string(name);
    Ok(())
}
