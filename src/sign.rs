//! Request signing (`api_sig`): the rule Last.fm documents, implemented once.
//!
//! Drop `format`, `callback` and `api_sig`; sort the rest by name as raw bytes; feed
//! `name` then `value` of each, then the secret, to MD5; print 32 lower-case hex digits.
//! The pieces are hashed as a stream (no signature string is built) and sorted as
//! references (no copies), so signing costs little more than the MD5 itself.

use md5::{Digest, Md5};

use crate::error::{Error, Result};

/// Parameter names that never take part in a signature.
pub const UNSIGNED_NAMES: [&str; 3] = ["format", "callback", "api_sig"];

/// An MD5 digest as 32 lower-case hex digits.
pub type ApiSig = String;

/// The parameters that are signed, sorted by name as bytes, checked for duplicates.
pub fn signed_params<'a>(params: &[(&'a str, &'a str)]) -> Result<Vec<(&'a str, &'a str)>> {
    Ok(sorted_for_signing(params)?
        .into_iter()
        .map(|(_, name, value)| (name, value))
        .collect())
}

/// The signed parameters with their sort keys, in signing order.
fn sorted_for_signing<'a>(params: &[(&'a str, &'a str)]) -> Result<Vec<(u128, &'a str, &'a str)>> {
    // Sort on the names' first 16 bytes as one integer (zero-padded, big-endian: the same
    // order as the bytes), comparing whole names only when those are equal. Every Last.fm
    // parameter name fits in 16 bytes, so a 50-track batch sorts without a memcmp.
    let mut keyed: Vec<(u128, &str, &str)> = params
        .iter()
        .filter(|(name, _)| !UNSIGNED_NAMES.contains(name))
        .map(|&(name, value)| (prefix_key(name), name, value))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    if let Some(w) = keyed.windows(2).find(|w| w[0].1 == w[1].1) {
        return Err(Error::invalid(format!(
            "duplicate parameter name '{}'",
            w[0].1
        )));
    }
    Ok(keyed)
}

/// The first 16 bytes of `name`, zero-padded, as a big-endian integer.
fn prefix_key(name: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = name.len().min(16);
    bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// Base strings up to this long are assembled on the stack.
const STACK_BASE_BYTES: usize = 512;

/// Compute the api_sig of `params` with the shared `secret`.
///
/// Fails with [`crate::Status::InvalidArgument`] when two parameters share a name.
pub fn api_sig(params: &[(&str, &str)], secret: &str) -> Result<ApiSig> {
    let signed = sorted_for_signing(params)?;
    // Hash one contiguous base string: one pass of MD5 over whole blocks is cheaper than
    // hundreds of small updates. Small ones (a single call) never touch the heap.
    let len = secret.len()
        + signed
            .iter()
            .map(|(_, n, v)| n.len() + v.len())
            .sum::<usize>();
    let pieces = signed
        .iter()
        .flat_map(|(_, n, v)| [n.as_bytes(), v.as_bytes()])
        .chain(std::iter::once(secret.as_bytes()));
    let digest = if len <= STACK_BASE_BYTES {
        let mut stack = [0u8; STACK_BASE_BYTES];
        let mut at = 0;
        for piece in pieces {
            stack[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        Md5::digest(&stack[..at])
    } else {
        let mut heap = Vec::with_capacity(len);
        pieces.for_each(|piece| heap.extend_from_slice(piece));
        Md5::digest(&heap)
    };
    Ok(hex_lower(&digest))
}

/// The string that is hashed, with the secret replaced by `secret_mask`: the debugging aid
/// for "invalid signature" reports, safe to print.
pub fn signature_base_masked(params: &[(&str, &str)], secret_mask: &str) -> Result<String> {
    let signed = signed_params(params)?;
    let mut base = String::new();
    for (name, value) in signed {
        base.push_str(name);
        base.push_str(value);
    }
    base.push_str(secret_mask);
    Ok(base)
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // One byte spare, so that adding a NUL terminator later does not reallocate.
    let mut out = String::with_capacity(bytes.len() * 2 + 1);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_track_love() {
        let params = [
            ("method", "track.love"),
            ("artist", "KITANO REM"),
            ("track", "RAINSICK"),
            ("api_key", "YOUR_API_KEY"),
            ("sk", "YOUR_SESSION_KEY"),
            ("format", "json"),
        ];
        assert_eq!(
            api_sig(&params, "YOUR_SECRET").unwrap(),
            "800b8884b00c9343d1d425ed271e0f42"
        );
        assert_eq!(
            signature_base_masked(&params, "***").unwrap(),
            "api_keyYOUR_API_KEYartistKITANO REMmethodtrack.loveskYOUR_SESSION_KEYtrackRAINSICK***"
        );
    }

    #[test]
    fn prefix_keys_sort_like_bytes() {
        let names = [
            "albumArtist[0]",
            "album[0]",
            "api_key",
            "artist[10]",
            "artist[1]",
            "a",
            "a\0",
            "a\0b",
            "b",
            "",
            "sk",
            "artist[0]",
            "averyveryverylongname_a",
            "averyveryverylongname_b",
            "averyveryverylongname",
            "ü",
            "Z",
        ];
        let params: Vec<(&str, &str)> = names.iter().map(|n| (*n, "")).collect();
        let sorted: Vec<&str> = signed_params(&params)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut expected = names.to_vec();
        expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn duplicates_are_refused() {
        let err = api_sig(&[("a", "1"), ("a", "2")], "s").unwrap_err();
        assert_eq!(err.status(), crate::Status::InvalidArgument);
        // Unsigned names may repeat without affecting the signature.
        assert!(api_sig(&[("format", "json"), ("format", "xml")], "s").is_ok());
    }
}
