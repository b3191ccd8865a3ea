//! `lfm_call`: any API method, with the LFM_CALL_* flags.

use std::ffi::c_char;

use super::args::guard;
use super::client::lfm_client;
use super::error::{lfm_error, lfm_status};
use super::sign::lfm_param;
use lfm::client::CallFlags;

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
///   LFM_ERR_NETWORK, LFM_ERR_TIMEOUT and LFM_ERR_NO_SESSION. A call carrying a credential
///   over plain http is LFM_ERR_INSECURE unless allowed (see
///   lfm_client_set_allow_insecure_http()). A GET whose URL would be
///   longer than 65534 bytes is LFM_ERR_INVALID_ARGUMENT, with its length in the message,
///   before any I/O: send such a call with LFM_CALL_POST.
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
