//! The one way to write an export: [`guard`] is the panic boundary and error channel of
//! every fallible function, [`arg!`] reads each C argument, [`Out`] is every out-parameter,
//! [`catch`] and [`free_box`] guard the accessors and free functions.
//!
//! An export stays a plain, documented `#[no_mangle] extern "C" fn` (cbindgen reads the
//! sources and does not expand macros); only its body uses these helpers, in the style of
//! rustls-ffi's `ffi_panic_boundary!`:
//!
//! ```ignore
//! pub unsafe extern "C" fn lfm_auth_url(client, token, callback_url, out_url, out_err) -> lfm_status {
//!     guard(out_err, || {
//!         let out_url = Out::required(out_url, "out_url")?;
//!         let url = arg!(client client).auth_url(arg!(opt_str token), arg!(opt_str callback_url))?;
//!         out_url.set_string(url)
//!     })
//! }
//! ```

use std::ffi::{c_char, CStr, CString};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use super::error::lfm_error;
use super::error::{lfm_status, STATUS_CODES};
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

    /// The value of an argument `what`: LFM_ERR_INVALID_ARGUMENT for a number with none.
    pub(crate) fn arg(&self, code: i32, what: &str) -> Result<T> {
        self.value(code)
            .ok_or_else(|| Error::invalid(format!("unknown {what} {code}")))
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

/// Read one C argument of an export, inside its [`guard`]ed body; a NULL (where one is not
/// allowed) or non-UTF-8 argument returns LFM_ERR_INVALID_ARGUMENT naming the parameter.
///
/// - `arg!(str p)`: a required string, `&str`; `arg!(opt_str p)`: NULL gives `None`;
/// - `arg!(client p)`, `arg!(queue p)`, `arg!(scrobbler p)`, `arg!(pager p)`, `arg!(ref p)`:
///   the object behind a handle; `arg!(shared_client p)` / `arg!(client_arc p)`: a
///   reference of its own to the client, `Arc<Client>`;
/// - `arg!(slice p, n)`: a C array of `n` items (NULL only when `n` is 0);
/// - `arg!(params p, n)`: an `lfm_param` array as `(&str, &str)` pairs;
/// - `arg!(track p)`: an `lfm_track`, copied into the core's `Track`;
/// - `arg!(out p)`, `arg!(opt_out p)`: a required or optional out-parameter, an [`Out`].
macro_rules! arg {
    (str $p:ident) => { arg!(@ $crate::args::str_arg($p, stringify!($p))) };
    (opt_str $p:ident) => { arg!(@ $crate::args::opt_str_arg($p, stringify!($p))) };
    (client $p:ident) => { arg!(@ $crate::client::client_arg($p)) };
    (client_arc $p:ident) => { arg!(@ $crate::client::client_arc_arg($p)) };
    (pager $p:ident) => { arg!(@ $crate::read::pager_arg($p)) };
    (queue $p:ident) => { arg!(@ $crate::queue::queue_arg($p)) };
    (scrobbler $p:ident) => { arg!(@ $crate::scrobbler::scrobbler_arg($p)) };
    (shared_client $p:ident) => { arg!(@ $crate::client::shared_client_arg($p)) };
    (ref $p:ident) => { arg!(@ $crate::args::handle($p, stringify!($p))) };
    (slice $p:ident, $n:ident) => { arg!(@ $crate::args::slice_arg($p, $n, stringify!($p))) };
    (params $p:ident, $n:ident) => { arg!(@ $crate::sign::params_arg($p, $n)) };
    (track $p:ident) => {
        arg!(@ $crate::scrobble::track_arg($crate::args::handle($p, stringify!($p))?))
    };
    (out $p:ident) => { arg!(@ $crate::args::Out::required($p, stringify!($p))) };
    (opt_out $p:ident) => { arg!(@ $crate::args::Out::optional($p)) };
    (@ $read:expr) => {
        // SAFETY: the contract every export states once in the header's conventions: each
        // pointer argument is NULL or valid (NUL-terminated for strings, `n` items for
        // arrays, a live handle of its type, writable for out-parameters) for the duration
        // of the call. The helper checks NULL and UTF-8 itself and borrows nothing beyond
        // the call.
        unsafe { $read }?
    };
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

/// The value an out-parameter holds until the export succeeds: NULL, 0, an empty struct.
pub(crate) trait Blank {
    /// The "no result" value.
    fn blank() -> Self;
}

impl<T> Blank for *mut T {
    fn blank() -> Self {
        ptr::null_mut()
    }
}

impl Blank for usize {
    fn blank() -> Self {
        0
    }
}

/// An out-parameter of an export. Making one sets the caller's variable (when the pointer is
/// not NULL) to its [`Blank`] value at once, so that it reads "no result" whatever happens
/// next; [`Out::set`] writes the result. Every export handles its out-parameters this way.
pub(crate) struct Out<'a, T: Blank> {
    ptr: *mut T,
    _call: PhantomData<&'a mut T>,
}

impl<T: Blank> Out<'_, T> {
    /// An optional out-parameter (NULL: the caller does not want it).
    ///
    /// # Safety
    /// `ptr` is NULL or points to writable storage for a `T`, for the duration of the call.
    pub(crate) unsafe fn optional(ptr: *mut T) -> Result<Self> {
        if !ptr.is_null() {
            // SAFETY: see the function's contract.
            unsafe { ptr.write(T::blank()) };
        }
        Ok(Out {
            ptr,
            _call: PhantomData,
        })
    }

    /// A required out-parameter: NULL is LFM_ERR_INVALID_ARGUMENT naming it.
    ///
    /// # Safety
    /// As for [`Out::optional`].
    pub(crate) unsafe fn required(ptr: *mut T, what: &str) -> Result<Self> {
        if ptr.is_null() {
            return Err(Error::invalid(format!("{what} is NULL")));
        }
        // SAFETY: forwarded contract.
        unsafe { Out::optional(ptr) }
    }

    /// Write the result (nothing when the caller passed NULL).
    pub(crate) fn set(&self, value: T) {
        if !self.ptr.is_null() {
            // SAFETY: non-NULL, and writable for the call by the contract of the constructor.
            unsafe { self.ptr.write(value) };
        }
    }
}

impl Out<'_, *mut c_char> {
    /// Hand `value` to the caller as a string freed with lfm_string_free.
    pub(crate) fn set_string(&self, value: String) -> Result<()> {
        if !self.ptr.is_null() {
            self.set_c_string(c_string(value)?);
        }
        Ok(())
    }

    /// Hand an already converted string to the caller (dropped when the pointer is NULL).
    pub(crate) fn set_c_string(&self, value: CString) {
        if !self.ptr.is_null() {
            self.set(value.into_raw());
        }
    }
}

impl<T> Out<'_, *mut T> {
    /// Hand `value` to the caller as a handle freed with the type's free function (dropped
    /// when the pointer is NULL).
    pub(crate) fn set_box(&self, value: T) {
        if !self.ptr.is_null() {
            self.set(Box::into_raw(Box::new(value)));
        }
    }
}

/// Text the library hands to C. A result string with a NUL cannot be represented and is an
/// error (LFM_ERR_PARSE); use [`c_text`] for text that is only shown.
pub(crate) fn c_string(value: String) -> Result<CString> {
    CString::new(value).map_err(|_| Error::new(Status::Parse, "the text contains a NUL byte"))
}

/// Text for display (messages, log lines, reasons) as C text: an embedded NUL, which C
/// cannot carry, becomes U+FFFD, the same everywhere.
pub(crate) fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
}

/// Run a function that has no error channel (an accessor, a free function) so that a panic
/// cannot unwind into C: it gives `fallback` instead.
pub(crate) fn catch<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Free a handle made by [`Out::set_box`]; NULL is fine. A panic in a destructor stops here.
///
/// # Safety
/// `ptr` is NULL or came from [`Out::set_box`] for this type, and is freed only once.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: see the function's contract.
        let value = unsafe { Box::from_raw(ptr) };
        catch((), move || drop(value));
    }
}

/// Item `index` of a result list (`what` names the list in the error): an index past the
/// end is LFM_ERR_INVALID_ARGUMENT, as in every `*_get` function.
pub(crate) fn item<'a, T>(items: &'a [T], index: usize, what: &str) -> Result<&'a T> {
    items.get(index).ok_or_else(|| {
        Error::invalid(format!(
            "index {index} is out of range (the {what} has {} items)",
            items.len()
        ))
    })
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
