//! `lfm_client_set_logger`: a C callback receiving the library's log lines.

use std::ffi::{c_char, c_void};

use super::args::{c_text, Codes};
use super::client::{lfm_client, set};
use super::error::lfm_error;
use super::error::lfm_status;
use lfm::error::Error;
use lfm::log::{Level, Logger};

/// Errors: a call failed and retrying will not help.
pub const LFM_LOG_ERROR: i32 = 1;
/// Warnings: a call failed and may succeed later.
pub const LFM_LOG_WARN: i32 = 2;
/// Information: sessions established, queue flush summaries.
pub const LFM_LOG_INFO: i32 = 3;
/// Debugging: every request with its parameters (secrets redacted), HTTP status, duration.
pub const LFM_LOG_DEBUG: i32 = 4;

/// The C number of each log level.
pub(crate) const LEVEL_CODES: Codes<Level> = Codes(&[
    (LFM_LOG_ERROR, Level::Error),
    (LFM_LOG_WARN, Level::Warn),
    (LFM_LOG_INFO, Level::Info),
    (LFM_LOG_DEBUG, Level::Debug),
]);

/// A log callback. `message` is NUL-terminated UTF-8, valid only during the call; copy it
/// to keep it. `level` is one of LFM_LOG_*. It is invoked on whichever thread makes the call
/// that logs, possibly several at once: it must be thread-safe, must not block for long,
/// and must not call back into the same client's setters.
pub type lfm_log_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: i32, message: *const c_char)>;

/// The callback and its user data, made shareable across threads: the C side promises that
/// the callback is thread-safe and that `user_data` stays valid while installed.
struct CCallback {
    log: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: the contract of lfm_client_set_logger requires the callback to be callable from
// any thread with this user_data, and user_data to outlive its installation.
unsafe impl Send for CCallback {}
// SAFETY: as above; the callback is only ever called, never mutated.
unsafe impl Sync for CCallback {}

impl CCallback {
    fn emit(&self, level: Level, message: &str) {
        let text = c_text(message);
        // SAFETY: the contract of lfm_client_set_logger; `text` lives through the call.
        unsafe { (self.log)(self.user_data, LEVEL_CODES.code(level), text.as_ptr()) };
    }
}

/// Send the client's log lines at `max_level` (LFM_LOG_ERROR..LFM_LOG_DEBUG) or more severe
/// to `log`, with `user_data` passed back unchanged; a NULL `log` turns logging off.
///
/// DEBUG logs every request (HTTP method, URL, parameters, HTTP status, duration, time spent
/// waiting for the rate limit); WARN and ERROR log failures (retryable or not); INFO logs
/// sessions established and queue flush summaries. The values of `password`, `sk`, `token`,
/// `api_sig` and `api_key`, and the secret, never appear in a line. With no logger set,
/// nothing is formatted.
///
/// `user_data` must stay valid until another logger (or NULL) is set on this client and the
/// calls that started before have returned, or until the client is freed. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_client_set_logger(
    client: *mut lfm_client,
    log: lfm_log_fn,
    max_level: i32,
    user_data: *mut c_void,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    set(client, out_err, |client| {
        let Some(log) = log else {
            return client.set_logger(None);
        };
        let level = LEVEL_CODES.value(max_level).ok_or_else(|| {
            Error::invalid(format!(
                "max_level must be LFM_LOG_ERROR (1) to LFM_LOG_DEBUG (4), not {max_level}"
            ))
        })?;
        let callback = CCallback { log, user_data };
        client.set_logger(Some(Logger::new(level, move |level, message| {
            callback.emit(level, message)
        })))
    })
}
