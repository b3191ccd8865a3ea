//! `encode`: the whole input, as a string, goes to `form_decode` (never panics; whatever it
//! decodes re-encodes and decodes to the same pairs). Then every line is a `name<TAB>value`
//! pair (see common.rs): `form_decode(form_encode(pairs)) == pairs`, the encoding uses only
//! unreserved characters, `%XX`, `=` and `&`, and the signature over the decoded pairs (what
//! the server checks) equals the signature over the pairs given (what the client signed).
#![no_main]

use lfm::encode::{form_decode, form_encode};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fn borrow(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Arbitrary strings: no panic; a successful decode is stable under encode+decode.
    if let Some(decoded) = form_decode(text) {
        let again = form_decode(&form_encode(borrow(&decoded))).expect("re-encoded form decodes");
        if !decoded.is_empty() {
            assert_eq!(again, decoded);
        }
    }

    let pairs = common::pairs(&text.split('\n').collect::<Vec<_>>());
    let encoded = form_encode(borrow(&pairs));
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%=&".contains(&b)),
        "unexpected byte in {encoded:?}"
    );
    let decoded = form_decode(&encoded).expect("form_encode output decodes");
    // One empty pair encodes as "=", which decodes back; an empty list is "".
    assert_eq!(decoded, pairs, "round trip of {encoded:?}");
    let sent = lfm::sign::api_sig(&borrow(&decoded), "secret");
    let signed = lfm::sign::api_sig(&borrow(&pairs), "secret");
    match (signed, sent) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("signing disagrees: {a:?} vs {b:?}"),
    }
});
