//! lfm-capi: the C ABI of liblfm (`liblfm.so`, `liblfm.a`, `include/lfm.h`) over the `lfm`
//! crate. Every `unsafe` block, C type, C number and `extern "C"` function of the project lives
//! here; each export checks its pointers, validates its strings, copies its inputs, and runs
//! its body inside the panic guard of `args.rs`, so that no panic crosses into the host
//! program. The modules are the header's sections, in the order they are declared below.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![allow(non_camel_case_types)]
// The safety contract of every export is the one stated once in the header preamble
// (cbindgen.toml): pointers are NULL or valid for the call, handles are live, counts match.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
mod args;

// The header's sections, in this order (capi/tests/header.rs assembles include/lfm.h so):
// versions and conventions (this file), then:
mod call;
mod client;
mod error;
mod log;
mod login;
mod queue;
mod read;
mod scrobble;
mod scrobbler;
mod sign;

use std::ffi::{c_char, CString};

pub use self::call::*;
pub use self::client::*;
pub use self::error::*;
pub use self::log::*;
pub use self::login::*;
pub use self::queue::*;
pub use self::read::*;
pub use self::scrobble::*;
pub use self::scrobbler::*;
pub use self::sign::*;

/// Major version of the header; equals the first number of lfm_version().
pub const LFM_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const LFM_VERSION_MINOR: u32 = 2;
/// Patch version of the header.
pub const LFM_VERSION_PATCH: u32 = 0;

/// The library's version, e.g. "0.2.0".
///
/// Returns a static string: never NULL, never freed by the caller. Thread-safe.
#[no_mangle]
pub extern "C" fn lfm_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Free a string returned by the library (api_sig, JSON bodies, session keys, names...).
///
/// NULL is fine. Never pass these strings to libc free(), and never free one twice.
#[no_mangle]
pub unsafe extern "C" fn lfm_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller hands back a pointer that CString::into_raw produced in
        // args::Out::set_c_string, exactly once.
        let s = unsafe { CString::from_raw(s) };
        args::catch((), move || drop(s));
    }
}

#[cfg(test)]
mod tests {
    use super::client::{ROOT_STORE_CODES, SERVICE_CODES};
    use super::log::LEVEL_CODES;
    use super::*;
    use lfm::error::Status;

    #[test]
    fn every_core_value_has_one_c_number() {
        STATUS_CODES.assert_covers(&Status::ALL);
        LEVEL_CODES.assert_covers(&lfm::log::Level::ALL);
        SERVICE_CODES.assert_covers(&lfm::Service::ALL);
        ROOT_STORE_CODES.assert_covers(&lfm::transport::RootStore::ALL);
        scrobble::CHOSEN_CODES.assert_covers(&[None, Some(true), Some(false)]);
        scrobbler::EVENT_CODES.assert_covers(&lfm::scrobbler::EventKind::ALL);
        scrobbler::UNKNOWN_DURATION_CODES.assert_covers(&lfm::scrobbler::UnknownDuration::ALL);
        // The statuses of 0.1 keep their numbers: 0 for Ok, then in the core's order.
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(STATUS_CODES.code(*s), i as lfm_status, "{s:?}");
        }
    }

    /// A panic inside an export comes back as LFM_ERR_PANIC with a message, and the same
    /// client keeps working. The panic is real: a logger sink that panics, reached through
    /// `lfm_call` on its normal path (the request fails to connect and is logged).
    #[test]
    fn a_panic_inside_an_export_is_caught_and_the_client_keeps_working() -> lfm::Result<()> {
        use lfm::log::{Level, Logger};
        use std::ffi::CStr;
        use std::ptr;

        let client = lfm::Client::new("key", "secret")?;
        client.set_base_url("http://127.0.0.1:9/2.0/")?;
        client.set_rate_limit(0);
        client.set_logger(Some(Logger::new(Level::Debug, |_, _| {
            panic!("sink exploded")
        })))?;
        let handle = Box::into_raw(Box::new(lfm_client::for_tests(client)));
        let mut json = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: a live handle, valid strings and out-pointers.
        unsafe {
            let status = lfm_call(
                handle,
                c"user.getInfo".as_ptr(),
                ptr::null(),
                0,
                0,
                &mut json,
                &mut err,
            );
            assert_eq!(status, LFM_ERR_PANIC);
            assert!(json.is_null());
            assert_eq!(lfm_error_status(err), LFM_ERR_PANIC);
            let message = CStr::from_ptr(lfm_error_message(err)).to_string_lossy();
            assert!(message.contains("sink exploded"), "{message}");
            lfm_error_free(err);

            // The process and the client go on: without the logger the same call fails the
            // ordinary way (nothing listens on port 9).
            (*handle).client_for_tests().set_logger(None)?;
            let status = lfm_call(
                handle,
                c"user.getInfo".as_ptr(),
                ptr::null(),
                0,
                0,
                &mut json,
                &mut err,
            );
            assert_eq!(status, LFM_ERR_NETWORK);
            lfm_error_free(err);
            assert_eq!(
                lfm_client_set_timeout_ms(handle, 1000, ptr::null_mut()),
                LFM_OK
            );
            lfm_client_free(handle);
        }
        Ok(())
    }

    #[test]
    fn version_macros_match_cargo() {
        let expected = format!("{LFM_VERSION_MAJOR}.{LFM_VERSION_MINOR}.{LFM_VERSION_PATCH}");
        assert_eq!(expected, env!("CARGO_PKG_VERSION"));
    }
}
