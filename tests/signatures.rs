//! Every golden vector in tests/vectors/signatures.json (copied from the project's shared
//! vectors) through the Rust core (capi/tests/signatures.rs runs them through `lfm_sign`).

mod support;

use support::vectors::cases;

#[test]
fn core_reproduces_every_vector() {
    for case in cases() {
        let pairs: Vec<(&str, &str)> = case
            .params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let sig = lfm::sign::api_sig(&pairs, &case.secret).unwrap();
        assert_eq!(sig, case.api_sig, "api_sig of {}", case.name);
        let base = lfm::sign::signature_base_masked(&pairs, &case.secret).unwrap();
        assert_eq!(base, case.signature_base, "signature base of {}", case.name);
    }
}

#[test]
fn upper_case_seed_matches_lower_case_output() {
    // The seed prints 94539006DE89B3C6B3C030BB1E52B9C4; we emit lower case.
    let sig = lfm::sign::api_sig(
        &[
            ("method", "auth.getSession"),
            ("api_key", "YOUR_API_KEY"),
            ("token", "YOUR_REQUESTED_TOKEN"),
            ("format", "json"),
        ],
        "YOUR_SECRET",
    )
    .unwrap();
    assert_eq!(sig, "94539006DE89B3C6B3C030BB1E52B9C4".to_ascii_lowercase());
}
