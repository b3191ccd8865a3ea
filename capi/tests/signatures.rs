//! Every golden vector in tests/vectors/signatures.json through the C export `lfm_sign`
//! (tests/signatures.rs runs them through the Rust core).

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use lfm_capi::*;
use support::vectors::cases;

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
        let params: Vec<lfm_param> = owned
            .iter()
            .map(|(n, v)| lfm_param {
                name: n.as_ptr(),
                value: v.as_ptr(),
            })
            .collect();
        let secret = CString::new(case.secret.as_str()).unwrap();
        let mut sig: *mut c_char = ptr::null_mut();
        let mut err = ptr::null_mut();
        // SAFETY: valid arrays and strings that outlive the call.
        let status = unsafe {
            lfm_sign(
                params.as_ptr(),
                params.len(),
                secret.as_ptr(),
                &mut sig,
                &mut err,
            )
        };
        assert_eq!(status, LFM_OK, "{}", case.name);
        assert!(err.is_null());
        // SAFETY: a string the library returned.
        let text = unsafe { CStr::from_ptr(sig) }.to_str().unwrap().to_string();
        // SAFETY: freed once.
        unsafe { lfm_string_free(sig) };
        assert_eq!(text, case.api_sig, "{}", case.name);
    }
}
