//! `lfm_error`: the opaque error object a failing call hands out.

use std::ffi::{c_char, CStr, CString};

use super::args::{c_text, free_box, handle};
use std::sync::OnceLock;

use super::args::Codes;
use lfm::error::{Error, Status};

/// A status code: `LFM_OK` (0) or one of the `LFM_ERR_*` values. Values are stable once
/// released; new ones are only ever appended.
pub type lfm_status = i32;

/// Success: the call did what it says.
pub const LFM_OK: lfm_status = 0;

/// NULL where not allowed, invalid UTF-8, a bad option value, a reserved parameter name.
pub const LFM_ERR_INVALID_ARGUMENT: lfm_status = 1;

/// DNS, connect, TLS, or a connection reset.
pub const LFM_ERR_NETWORK: lfm_status = 2;

/// The request did not complete within the client's timeout.
pub const LFM_ERR_TIMEOUT: lfm_status = 3;

/// An HTTP error status (or a redirect) with no Last.fm error in the body.
pub const LFM_ERR_HTTP: lfm_status = 4;

/// A body that is not the expected JSON (or is larger than the reply cap).
pub const LFM_ERR_PARSE: lfm_status = 5;

/// Last.fm answered with an error code: see lfm_error_api_code().
pub const LFM_ERR_API: lfm_status = 6;

/// A request carrying a credential refused over plain http, before anything was sent (see
/// lfm_client_set_allow_insecure_http()).
pub const LFM_ERR_INSECURE: lfm_status = 7;

/// A call needs a session key and the client has none.
pub const LFM_ERR_NO_SESSION: lfm_status = 8;

/// A local file could not be read or written.
pub const LFM_ERR_IO: lfm_status = 9;

/// An internal bug, caught at the library boundary; the process may go on.
pub const LFM_ERR_PANIC: lfm_status = 10;

/// The C number of each core status, the only place the two meet.
pub(crate) const STATUS_CODES: Codes<Status> = Codes(&[
    (LFM_OK, Status::Ok),
    (LFM_ERR_INVALID_ARGUMENT, Status::InvalidArgument),
    (LFM_ERR_NETWORK, Status::Network),
    (LFM_ERR_TIMEOUT, Status::Timeout),
    (LFM_ERR_HTTP, Status::Http),
    (LFM_ERR_PARSE, Status::Parse),
    (LFM_ERR_API, Status::Api),
    (LFM_ERR_INSECURE, Status::Insecure),
    (LFM_ERR_NO_SESSION, Status::NoSession),
    (LFM_ERR_IO, Status::Io),
    (LFM_ERR_PANIC, Status::Panic),
]);

/// Static English text for a status code.
///
/// Never NULL: "unknown status" for a value that is not a status. The caller does not free it.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn lfm_status_str(status: lfm_status) -> *const c_char {
    static TEXTS: OnceLock<Vec<(lfm_status, CString)>> = OnceLock::new();
    static UNKNOWN: &CStr = c"unknown status";
    let texts = TEXTS.get_or_init(|| {
        STATUS_CODES
            .0
            .iter()
            .map(|(code, s)| (*code, CString::new(s.description()).unwrap_or_default()))
            .collect()
    });
    match texts.iter().find(|(code, _)| *code == status) {
        Some((_, text)) => text.as_ptr(),
        None => UNKNOWN.as_ptr(),
    }
}

/// An error returned by a failing call through its `out_err` parameter.
///
/// Owned by the caller, who frees it with lfm_error_free(). Immutable: it may be read from
/// any thread.
///
/// Methods: lfm_error_status(), lfm_error_message(), lfm_error_api_code(),
/// lfm_error_http_status(), lfm_error_is_retryable(), lfm_error_retry_after_ms(),
/// lfm_error_free().
pub struct lfm_error {
    error: Error,
    message: CString,
}

impl lfm_error {
    pub(crate) fn new(error: Error) -> lfm_error {
        let message = c_text(error.message());
        lfm_error { error, message }
    }
}

/// # Safety
/// `err` is NULL or a live lfm_error; the reference is used only within the calling export.
unsafe fn get<'a>(err: *const lfm_error) -> Option<&'a Error> {
    // SAFETY: forwarded contract.
    unsafe { handle(err, "err") }.ok().map(|e| &e.error)
}

/// The status of the error; LFM_ERR_INVALID_ARGUMENT when `err` is NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_status(err: *const lfm_error) -> lfm_status {
    // SAFETY: API contract: NULL or a live error.
    STATUS_CODES.code(unsafe { get(err) }.map_or(Status::InvalidArgument, Error::status))
}

/// The Last.fm error code (2..29) for LFM_ERR_API, 0 when there is none or `err` is NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_api_code(err: *const lfm_error) -> i32 {
    // SAFETY: API contract: NULL or a live error.
    unsafe { get(err) }.map_or(0, Error::api_code)
}

/// The HTTP status of the reply behind the error, 0 when there was no reply or `err` is NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_http_status(err: *const lfm_error) -> u16 {
    // SAFETY: API contract: NULL or a live error.
    unsafe { get(err) }.map_or(0, Error::http_status)
}

/// A human-readable message, UTF-8. It never contains a password, session key, token,
/// api_sig or secret.
///
/// Borrowed: valid until lfm_error_free(err); do not free it. Never NULL: a NULL `err`
/// gives an empty string.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_message(err: *const lfm_error) -> *const c_char {
    // SAFETY: as in `get`.
    match unsafe { handle(err, "err") } {
        Ok(e) => e.message.as_ptr(),
        Err(_) => c"".as_ptr(),
    }
}

/// Whether retrying the same request later may succeed: network failures, timeouts, HTTP
/// 5xx and 429, Last.fm errors 8, 11, 16 and 29, and a queue flush stopped by the daily
/// scrobble limit (ignored code 5; lfm_error_retry_after_ms() gives the wait until midnight
/// UTC). False for what only the user can fix (errors 4, 9, 10, 26), and for a NULL `err`.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_is_retryable(err: *const lfm_error) -> bool {
    // SAFETY: API contract: NULL or a live error.
    unsafe { get(err) }.is_some_and(Error::is_retryable)
}

/// Free an error. NULL is fine. Using `err` afterwards is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_free(err: *mut lfm_error) {
    // SAFETY: NULL or from `guard`, freed once (the API contract).
    unsafe { free_box(err) }
}

/// A suggested wait in milliseconds before retrying, 0 when none: the server's Retry-After,
/// a growing, jittered back-off after rate-limit errors (29, HTTP 429) and failed queue
/// flushes, or the time until the daily scrobble limit resets. 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_error_retry_after_ms(err: *const lfm_error) -> u32 {
    // SAFETY: API contract: NULL or a live error.
    unsafe { get(err) }.map_or(0, Error::retry_after_ms)
}
