//! `sign`: the first line is the secret, every further line a `name<TAB>value` parameter
//! (see common.rs). `lfm::sign::api_sig` never panics; it refuses duplicate signed names
//! (and only those); otherwise it equals an independent reference: drop format, callback
//! and api_sig, sort by name as bytes, concatenate name+value, append the secret, MD5 as
//! lower-case hex.
#![no_main]

use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};

#[path = "common.rs"]
mod common;

fn reference(params: &[(String, String)], secret: &str) -> Option<String> {
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "format" | "callback" | "api_sig"))
        .collect();
    signed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if signed.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut base = Vec::new();
    for (n, v) in signed {
        base.extend_from_slice(n.as_bytes());
        base.extend_from_slice(v.as_bytes());
    }
    base.extend_from_slice(secret.as_bytes());
    let digest = Md5::digest(&base);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines: Vec<&str> = text.split('\n').collect();
    let secret = common::unescape(lines.remove(0));
    let params = common::pairs(&lines);
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let got = lfm::sign::api_sig(&borrowed, &secret);
    match (got, reference(&params, &secret)) {
        (Ok(sig), Some(want)) => {
            assert_eq!(sig, want, "api_sig differs from the reference");
            assert_eq!(sig.len(), 32);
            // The masked base is the reference's base with the secret replaced.
            let base = lfm::sign::signature_base_masked(&borrowed, "***").unwrap();
            assert!(base.ends_with("***"));
        }
        (Err(e), None) => {
            assert_eq!(e.status(), lfm::Status::InvalidArgument);
            assert!(lfm::sign::signature_base_masked(&borrowed, "***").is_err());
        }
        (Ok(sig), None) => panic!("duplicate signed names accepted, signature {sig}"),
        (Err(e), Some(want)) => {
            panic!("refused ({}) where the reference signs {want}", e.message())
        }
    }
});
