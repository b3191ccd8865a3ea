//! Helpers every export uses: the panic guard, argument checks, and out-parameter writes.

use std::ffi::{c_char, CStr, CString};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use super::error::lfm_error;
use super::{lfm_status, STATUS_CODES};
use lfm::error::{Error, Result, Status};

/// The C number of each value of a core enum: one table per enum, written once next to its
/// `LFM_*` constants, and tested to cover every value the core lists in its `ALL`.
pub(crate) struct Codes<T: 'static>(pub(crate) &'static [(i32, T)]);

impl<T: Copy + PartialEq + std::fmt::Debug> Codes<T> {
    /// The C number of `value`.
    pub(crate) fn code(&self, value: T) -> i32 {
        match self.0.iter().find(|(_, v)| *v == value) {
            Some((code, _)) => *code,
            None => unreachable!("{value:?} has no C number (the tests check every value)"),
        }
    }

    /// The value a C number stands for, if any.
    pub(crate) fn value(&self, code: i32) -> Option<T> {
        self.0.iter().find(|(c, _)| *c == code).map(|(_, v)| *v)
    }

    /// Test helper: every value in `all` has exactly one number, and the numbers are distinct.
    #[cfg(test)]
    pub(crate) fn assert_covers(&self, all: &[T]) {
        for value in all {
            let n = self.0.iter().filter(|(_, v)| v == value).count();
            assert_eq!(n, 1, "{value:?} must have exactly one C number");
        }
        assert_eq!(
            self.0.len(),
            all.len(),
            "a C number for a value the core does not list"
        );
        let mut codes: Vec<i32> = self.0.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), self.0.len(), "two values share a C number");
    }
}

/// Run an export's body: turn its `Err` (or a panic) into a status and an `lfm_error`
/// written to `out_err` when that is non-NULL; on success write NULL there.
pub(crate) fn guard(out_err: *mut *mut lfm_error, body: impl FnOnce() -> Result<()>) -> lfm_status {
    let error = match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(payload) => Some(Error::new(Status::Panic, panic_message(payload.as_ref()))),
    };
    let status = STATUS_CODES.code(error.as_ref().map_or(Status::Ok, Error::status));
    if !out_err.is_null() {
        let value = error.map_or(ptr::null_mut(), |e| {
            Box::into_raw(Box::new(lfm_error::new(e)))
        });
        // SAFETY: out_err is non-NULL and, by the API contract, points to writable storage.
        unsafe { *out_err = value };
    }
    status
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error in liblfm (please report): {what}")
}

/// Set a non-NULL out-parameter to NULL, so that it reads NULL if the call fails.
///
/// # Safety
/// `out` is NULL or points to writable storage for a pointer.
pub(crate) unsafe fn clear_out<T>(out: *mut *mut T) {
    if !out.is_null() {
        // SAFETY: see the function's contract.
        unsafe { *out = ptr::null_mut() };
    }
}

/// Check that a required out-parameter is not NULL.
pub(crate) fn require_out<T>(out: *mut *mut T, what: &str) -> Result<()> {
    if out.is_null() {
        Err(Error::invalid(format!("{what} is NULL")))
    } else {
        Ok(())
    }
}

/// Hand `value` to the caller through `out` (if non-NULL), as a string freed with
/// lfm_string_free. A string with an interior NUL cannot be represented in C.
///
/// # Safety
/// `out` is NULL or points to writable storage for a pointer.
pub(crate) unsafe fn out_string(out: *mut *mut c_char, value: String) -> Result<()> {
    if out.is_null() {
        return Ok(());
    }
    let c = CString::new(value)
        .map_err(|_| Error::new(Status::Parse, "the text contains a NUL byte"))?;
    // SAFETY: see the function's contract.
    unsafe { *out = c.into_raw() };
    Ok(())
}

/// Hand a boxed handle to the caller through `out`.
///
/// # Safety
/// `out` is non-NULL and points to writable storage for a pointer.
pub(crate) unsafe fn out_box<T>(out: *mut *mut T, value: T) {
    // SAFETY: see the function's contract.
    unsafe { *out = Box::into_raw(Box::new(value)) };
}

/// Borrow a required UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    unsafe { opt_str_arg(ptr, what) }?.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// Borrow an optional UTF-8 string argument (NULL gives `None`).
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str()
        .map(Some)
        .map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// Borrow the object behind a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of this type.
pub(crate) unsafe fn handle<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: see the function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// Borrow a C array of `len` items (NULL is allowed only when `len` is 0).
///
/// # Safety
/// `ptr` is NULL or points to at least `len` initialised items valid for the call.
pub(crate) unsafe fn slice_arg<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::invalid(format!(
            "{what} is NULL but its count is {len}"
        )));
    }
    // SAFETY: non-NULL, and the caller promises `len` items.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}
