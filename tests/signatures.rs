//! Every golden vector in tests/vectors/signatures.json (copied from the project's shared
//! vectors) through the Rust core and through the C export `lfm_sign`.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use serde_json::Value;

struct Case {
    name: String,
    secret: String,
    params: Vec<(String, String)>,
    signature_base: String,
    api_sig: String,
}

fn cases() -> Vec<Case> {
    let text = include_str!("vectors/signatures.json");
    let json: Value = serde_json::from_str(text).expect("vectors are JSON");
    let cases = json["cases"].as_array().expect("cases array");
    assert!(cases.len() >= 10, "expected the full vector set");
    cases
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            secret: c["secret"].as_str().unwrap().to_string(),
            params: c["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            signature_base: c["signature_base"].as_str().unwrap().to_string(),
            api_sig: c["api_sig"].as_str().unwrap().to_string(),
        })
        .collect()
}

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
fn c_export_reproduces_every_vector() {
    for case in cases() {
        let owned: Vec<(CString, CString)> = case
            .params
            .iter()
            .map(|(n, v)| {
                (
                    CString::new(n.as_str()).unwrap(),
                    CString::new(v.as_str()).unwrap(),
                )
            })
            .collect();
        let params: Vec<lfm::ffi::lfm_param> = owned
            .iter()
            .map(|(n, v)| lfm::ffi::lfm_param {
                name: n.as_ptr(),
                value: v.as_ptr(),
            })
            .collect();
        let secret = CString::new(case.secret.as_str()).unwrap();
        let mut sig: *mut c_char = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: valid arrays and strings that outlive the call.
        let status = unsafe {
            lfm::ffi::lfm_sign(
                params.as_ptr(),
                params.len(),
                secret.as_ptr(),
                &mut sig,
                &mut err,
            )
        };
        assert_eq!(status, lfm::ffi::LFM_OK, "{}", case.name);
        assert!(err.is_null());
        // SAFETY: a string the library returned.
        let text = unsafe { CStr::from_ptr(sig) }.to_str().unwrap().to_string();
        // SAFETY: freed once.
        unsafe { lfm::ffi::lfm_string_free(sig) };
        assert_eq!(text, case.api_sig, "{}", case.name);
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
