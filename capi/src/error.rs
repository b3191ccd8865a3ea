//! `lfm_error`: the opaque error object a failing call hands out.

use std::ffi::{c_char, CString};

use super::args::{c_text, free_box, handle};
use super::{lfm_status, STATUS_CODES};
use lfm::error::{Error, Status};

/// An error returned by a failing call through its `out_err` parameter.
///
/// Owned by the caller, who frees it with lfm_error_free(). Immutable: it may be read from
/// any thread.
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
/// 5xx and 429, and Last.fm errors 8, 11, 16 and 29. False for a NULL `err`.
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
