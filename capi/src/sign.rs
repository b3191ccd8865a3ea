//! `lfm_param` and `lfm_sign`.

use std::ffi::c_char;

use super::args::{guard, slice_arg, str_arg};
use super::error::lfm_error;
use super::error::lfm_status;
use lfm::error::Result;

/// One request parameter: a name and a value, both NUL-terminated UTF-8.
///
/// Both are borrowed for the duration of the call that receives them and copied as needed.
#[repr(C)]
pub struct lfm_param {
    /// Parameter name, e.g. "artist" or "artist[0]". Must not be NULL.
    pub name: *const c_char,
    /// Parameter value, signed and sent exactly as given. Must not be NULL ("" is fine).
    pub value: *const c_char,
}

/// Borrow a C parameter array as Rust pairs.
///
/// # Safety
/// `params` is NULL (with `n_params` 0) or points to `n_params` lfm_param whose strings are
/// NULL or NUL-terminated, valid for the call.
pub(crate) unsafe fn params_arg<'a>(
    params: *const lfm_param,
    n_params: usize,
) -> Result<Vec<(&'a str, &'a str)>> {
    // SAFETY: forwarded contract.
    let raw = unsafe { slice_arg(params, n_params, "params") }?;
    raw.iter()
        .map(|p| {
            // SAFETY: forwarded contract.
            let name = unsafe { str_arg(p.name, "a parameter name") }?;
            // SAFETY: forwarded contract.
            let value = unsafe { str_arg(p.value, "a parameter value") }?;
            Ok((name, value))
        })
        .collect()
}

/// Compute the api_sig of a request: drop `format`, `callback` and `api_sig`; sort the rest
/// by name as bytes; concatenate name then value; append `api_secret`; MD5 over UTF-8; 32
/// lower-case hex digits.
///
/// - `params`: `n_params` parameters (NULL allowed when `n_params` is 0). An `n_params`
///   larger than the array is undefined behaviour.
/// - `out_api_sig`: receives the signature; free it with lfm_string_free(). Required.
/// - Errors: LFM_ERR_INVALID_ARGUMENT for a NULL pointer, invalid UTF-8, or two parameters
///   with the same name.
///
/// Pure computation: no I/O, thread-safe, does not block.
#[no_mangle]
pub unsafe extern "C" fn lfm_sign(
    params: *const lfm_param,
    n_params: usize,
    api_secret: *const c_char,
    out_api_sig: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_api_sig = arg!(out out_api_sig);
        let sig = lfm::sign::api_sig(&arg!(params params, n_params), arg!(str api_secret))?;
        out_api_sig.set_string(sig)
    })
}
