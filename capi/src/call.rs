//! `lfm_call`: any API method, with the LFM_CALL_* flags.

use std::ffi::c_char;

use super::args::guard;
use super::client::lfm_client;
use super::error::{lfm_error, lfm_status};
use super::sign::lfm_param;

use lfm::client::CallFlags;
use lfm::read::{self, ReadOptions, Retry};

/// Add `api_sig` to the request.
pub const LFM_CALL_SIGNED: u32 = 1;

/// Add `sk` from the client (LFM_ERR_NO_SESSION if it has none).
pub const LFM_CALL_SESSION: u32 = 2;

/// Send a form-encoded POST body; otherwise a GET with a query string.
pub const LFM_CALL_POST: u32 = 4;

/// All three: what every write method needs.
pub const LFM_CALL_WRITE: u32 = 7;

/// Rewrite the reply into liblfm's normalized shape, the same for every reply of a method:
/// - every list Last.fm may collapse is an array (a single item sent as an object is
///   wrapped; a missing, null or `""` list is `[]`);
/// - numeric and boolean strings of known numeric or boolean fields are JSON numbers and
///   booleans;
/// - `#text` is `text` (or `name` for an artist or album reference that has no name);
/// - `@attr` members are merged into their object, or kept under `attr` when they would
///   clash; a list's paging `@attr` (page, perPage, totalPages, total, user) is `attr`;
/// - images are an object from size to URL, without empty URLs and Last.fm's placeholder
///   star; members come out in alphabetical order.
///
/// Before (user.getLovedTracks, one loved track):
/// `{"lovedtracks":{"track":{"name":"Believe","artist":{"name":"Cher"},"date":{"uts":"1600000000","#text":"13 Sep 2020, 12:26"},"image":[{"size":"small","#text":"https://lastfm.freetls.fastly.net/i/u/34s/2a96cbd8b46e442fc41c2b86b821562f.png"}]},"@attr":{"user":"RJ","page":"1","perPage":"50","totalPages":"1","total":"1"}}}`
/// After:
/// `{"lovedtracks":{"attr":{"page":1,"perPage":50,"total":1,"totalPages":1,"user":"RJ"},"track":[{"artist":{"name":"Cher"},"date":{"text":"13 Sep 2020, 12:26","uts":1600000000},"image":{},"name":"Believe"}]}}`
///
/// The rules (a table per method family) are listed in README.md, "Reading". A reply that
/// is not JSON is LFM_ERR_PARSE. Without this flag the body is exactly what the server sent.
pub const LFM_CALL_NORMALIZE: u32 = 8;

/// Retry transient failures (Last.fm errors 8, 11, 16 and 29, HTTP 5xx and 429, network
/// errors, timeouts): at most 4 attempts in all, waiting between two the longer of 1 s
/// doubled after each failure (jittered) and the server's suggestion (after error 29 the
/// client's own growing back-off, 30 s first), each wait at most 60 s. So a call with this
/// flag blocks for at most 3 minutes of waiting plus 4 requests (each bounded by the
/// client's timeout and paced by its rate limit). When the attempts are used up, the last
/// error comes back with "after 4 attempts: " before its message. Meant for reads: a write
/// whose reply was lost would be sent again.
pub const LFM_CALL_RETRY: u32 = 16;

/// What each `LFM_CALL_*` bit asks for: a core flag, or a step of the read layer.
#[derive(Clone, Copy)]
enum CallBit {
    Core(CallFlags),
    Normalize,
    Retry,
}

/// Every `LFM_CALL_*` bit and its meaning: the one table the C flags are read by.
const CALL_FLAGS: [(u32, CallBit); 5] = [
    (LFM_CALL_SIGNED, CallBit::Core(CallFlags::SIGNED)),
    (LFM_CALL_SESSION, CallBit::Core(CallFlags::SESSION)),
    (LFM_CALL_POST, CallBit::Core(CallFlags::POST)),
    (LFM_CALL_NORMALIZE, CallBit::Normalize),
    (LFM_CALL_RETRY, CallBit::Retry),
];

/// The core flags and read options for C bits; unknown bits are LFM_ERR_INVALID_ARGUMENT.
/// (Literal numbers above, not expressions, so that every binding generator reads them.)
pub(crate) fn call_flags(bits: u32) -> lfm::Result<(CallFlags, ReadOptions)> {
    let known = CALL_FLAGS.iter().fold(0, |all, (bit, _)| all | bit);
    let unknown = bits & !known;
    if unknown != 0 {
        return Err(lfm::Error::invalid(format!(
            "unknown call flag bits {unknown:#x}"
        )));
    }
    let mut flags = CallFlags::NONE;
    let mut options = ReadOptions::default();
    for (_, meaning) in CALL_FLAGS.iter().filter(|(bit, _)| bits & bit != 0) {
        match meaning {
            CallBit::Core(flag) => flags = flags | *flag,
            CallBit::Normalize => options.normalize = true,
            CallBit::Retry => options.retry = Some(Retry::one_call()),
        }
    }
    Ok((flags, options))
}

/// Call any API method and return the reply body (JSON) as received, or normalized with
/// LFM_CALL_NORMALIZE, retried through transient failures with LFM_CALL_RETRY.
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
/// Thread-safe. Blocks for at most the client's timeout; with LFM_CALL_RETRY, for at most
/// the bound given there.
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
        let (flags, options) = call_flags(flags)?;
        let body = read::read(
            arg!(client client),
            arg!(str method),
            &pairs,
            flags,
            &options,
        )?;
        out_json.set_string(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_bits_map_to_the_core_flags_and_read_options() {
        assert_eq!(
            LFM_CALL_WRITE,
            LFM_CALL_SIGNED | LFM_CALL_SESSION | LFM_CALL_POST
        );
        let core = |bits| call_flags(bits).unwrap().0;
        assert_eq!(core(LFM_CALL_WRITE), CallFlags::WRITE);
        assert_eq!(core(0), CallFlags::NONE);
        assert_eq!(core(LFM_CALL_SESSION), CallFlags::SESSION);
        let (flags, options) = call_flags(LFM_CALL_NORMALIZE | LFM_CALL_SIGNED).unwrap();
        assert_eq!(flags, CallFlags::SIGNED);
        assert!(options.normalize && options.retry.is_none());
        let (flags, options) = call_flags(LFM_CALL_RETRY).unwrap();
        assert_eq!(flags, CallFlags::NONE);
        assert!(!options.normalize);
        let retry = options.retry.unwrap();
        let one_call = Retry::one_call();
        assert_eq!(
            (retry.max_attempts, retry.max_wait),
            (one_call.max_attempts, one_call.max_wait)
        );
        assert!(call_flags(32).is_err());
        assert!(call_flags(LFM_CALL_RETRY << 1 | LFM_CALL_SIGNED).is_err());
    }

    /// The before/after example in LFM_CALL_NORMALIZE's documentation is what the library
    /// does.
    #[test]
    fn the_documented_normalization_example_holds() {
        let source = include_str!("call.rs");
        let doc = source
            .split("/// Before (user.getLovedTracks, one loved track):\n/// `")
            .nth(1)
            .unwrap();
        let (before, rest) = doc.split_once("`\n/// After:\n/// `").unwrap();
        let after = rest.split('`').next().unwrap();
        assert_eq!(
            read::normalize("user.getLovedTracks", before).unwrap(),
            after
        );
    }
}
