//! Every export called from Rust with bad arguments: NULL pointers, invalid UTF-8, reserved
//! names, unknown flags. Each must return a clear status, set its out-parameters to NULL,
//! and hand back an error object whose accessors work.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use lfm_capi::*;

const BAD_UTF8: &[u8] = b"caf\xc3\x28\0";

fn bad_utf8() -> *const c_char {
    BAD_UTF8.as_ptr().cast()
}

/// Take the error out of `err`, check its status, free it, return its message.
fn take_error(err: *mut lfm_error, expected: lfm_status) -> String {
    assert!(!err.is_null(), "expected an error object");
    // SAFETY: a live error from the library, freed once below.
    unsafe {
        assert_eq!(lfm_error_status(err), expected);
        let message = CStr::from_ptr(lfm_error_message(err))
            .to_str()
            .unwrap()
            .to_string();
        assert!(!message.is_empty());
        lfm_error_free(err);
        message
    }
}

fn new_client() -> *mut lfm_client {
    let mut client = ptr::null_mut();
    // SAFETY: valid strings and out-pointers.
    let status = unsafe {
        lfm_client_new(
            c"key".as_ptr(),
            c"secret".as_ptr(),
            &mut client,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, LFM_OK);
    client
}

#[test]
fn static_strings() {
    // SAFETY: static strings from the library.
    unsafe {
        assert_eq!(
            CStr::from_ptr(lfm_version()).to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            CStr::from_ptr(lfm_status_str(LFM_OK)).to_str().unwrap(),
            "ok"
        );
        assert_eq!(
            CStr::from_ptr(lfm_status_str(LFM_ERR_API))
                .to_str()
                .unwrap(),
            "Last.fm API error"
        );
        for bad in [-1, 11, i32::MAX, i32::MIN] {
            assert_eq!(
                CStr::from_ptr(lfm_status_str(bad)).to_str().unwrap(),
                "unknown status"
            );
        }
    }
}

#[test]
fn null_error_accessors_are_safe() {
    // SAFETY: NULL is allowed for every accessor.
    unsafe {
        assert_eq!(lfm_error_status(ptr::null()), LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(lfm_error_api_code(ptr::null()), 0);
        assert_eq!(lfm_error_http_status(ptr::null()), 0);
        assert_eq!(
            CStr::from_ptr(lfm_error_message(ptr::null())).to_bytes(),
            b""
        );
        assert!(!lfm_error_is_retryable(ptr::null()));
        lfm_error_free(ptr::null_mut());
        lfm_string_free(ptr::null_mut());
        lfm_client_free(ptr::null_mut());
    }
}

#[test]
fn sign_rejects_bad_arguments() {
    let mut sig: *mut c_char = ptr::dangling_mut::<c_char>(); // must be overwritten with NULL
    let mut err = ptr::null_mut();
    let dup = [
        lfm_param {
            name: c"a".as_ptr(),
            value: c"1".as_ptr(),
        },
        lfm_param {
            name: c"a".as_ptr(),
            value: c"2".as_ptr(),
        },
    ];
    let null_name = [lfm_param {
        name: ptr::null(),
        value: c"1".as_ptr(),
    }];
    let null_value = [lfm_param {
        name: c"a".as_ptr(),
        value: ptr::null(),
    }];
    let bad_value = [lfm_param {
        name: c"a".as_ptr(),
        value: bad_utf8(),
    }];
    // SAFETY: every pointer is NULL or valid.
    unsafe {
        for (params, n, secret) in [
            (dup.as_ptr(), 2, c"s".as_ptr()),
            (null_name.as_ptr(), 1, c"s".as_ptr()),
            (null_value.as_ptr(), 1, c"s".as_ptr()),
            (bad_value.as_ptr(), 1, c"s".as_ptr()),
            (ptr::null(), 3, c"s".as_ptr()),
            (dup.as_ptr(), 1, ptr::null()),
            (dup.as_ptr(), 1, bad_utf8()),
        ] {
            sig = ptr::dangling_mut::<c_char>();
            let status = lfm_sign(params, n, secret, &mut sig, &mut err);
            assert_eq!(status, LFM_ERR_INVALID_ARGUMENT);
            assert!(sig.is_null());
            take_error(err, LFM_ERR_INVALID_ARGUMENT);
        }
        // Required out-parameter missing.
        let status = lfm_sign(ptr::null(), 0, c"s".as_ptr(), ptr::null_mut(), &mut err);
        assert_eq!(status, LFM_ERR_INVALID_ARGUMENT);
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        // out_err may be NULL; zero params with a NULL array is the md5 of the secret.
        assert_eq!(
            lfm_sign(ptr::null(), 0, c"s".as_ptr(), &mut sig, ptr::null_mut()),
            LFM_OK
        );
        assert_eq!(
            CStr::from_ptr(sig).to_str().unwrap(),
            "03c7c0ace395d80182db07ae2c30f034"
        );
        lfm_string_free(sig);
    }
}

#[test]
fn client_new_rejects_bad_arguments() {
    let mut err = ptr::null_mut();
    // SAFETY: every pointer is NULL or valid.
    unsafe {
        let mut client = ptr::dangling_mut::<lfm_client>();
        for (key, secret) in [
            (ptr::null(), c"s".as_ptr()),
            (c"k".as_ptr(), ptr::null()),
            (bad_utf8(), c"s".as_ptr()),
            (c"".as_ptr(), c"s".as_ptr()),
            (c"k".as_ptr(), c"".as_ptr()),
        ] {
            client = ptr::dangling_mut::<lfm_client>();
            assert_eq!(
                lfm_client_new(key, secret, &mut client, &mut err),
                LFM_ERR_INVALID_ARGUMENT
            );
            assert!(client.is_null());
            take_error(err, LFM_ERR_INVALID_ARGUMENT);
        }
        assert_eq!(
            lfm_client_new(c"k".as_ptr(), c"s".as_ptr(), ptr::null_mut(), &mut err),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        let _ = client;
    }
}

#[test]
fn setters_reject_bad_arguments() {
    let client = new_client();
    let mut err = ptr::null_mut();
    // SAFETY: every pointer is NULL, valid, or the live client.
    unsafe {
        type Setter = Box<dyn Fn(*mut *mut lfm_error) -> lfm_status>;
        let checks: Vec<(&str, Setter)> = vec![
            (
                "base url NULL",
                Box::new(move |e| lfm_client_set_base_url(client, ptr::null(), e)),
            ),
            (
                "base url ftp",
                Box::new(move |e| lfm_client_set_base_url(client, c"ftp://x/".as_ptr(), e)),
            ),
            (
                "base url utf8",
                Box::new(move |e| lfm_client_set_base_url(client, bad_utf8(), e)),
            ),
            (
                "base url client NULL",
                Box::new(|e| lfm_client_set_base_url(ptr::null_mut(), c"https://x/".as_ptr(), e)),
            ),
            (
                "session empty",
                Box::new(move |e| lfm_client_set_session_key(client, c"".as_ptr(), e)),
            ),
            (
                "session utf8",
                Box::new(move |e| lfm_client_set_session_key(client, bad_utf8(), e)),
            ),
            (
                "timeout 0",
                Box::new(move |e| lfm_client_set_timeout_ms(client, 0, e)),
            ),
            (
                "timeout client NULL",
                Box::new(|e| lfm_client_set_timeout_ms(ptr::null_mut(), 5, e)),
            ),
            (
                "ua NULL",
                Box::new(move |e| lfm_client_set_user_agent(client, ptr::null(), e)),
            ),
            (
                "ua control",
                Box::new(move |e| lfm_client_set_user_agent(client, c"a\r\nX-Evil: 1".as_ptr(), e)),
            ),
            (
                "ca NULL",
                Box::new(move |e| lfm_client_set_ca_file(client, ptr::null(), e)),
            ),
            (
                "insecure client NULL",
                Box::new(|e| lfm_client_set_allow_insecure_http(ptr::null_mut(), true, e)),
            ),
        ];
        for (what, setter) in checks {
            assert_eq!(setter(&mut err), LFM_ERR_INVALID_ARGUMENT, "{what}");
            take_error(err, LFM_ERR_INVALID_ARGUMENT);
        }
        // A missing CA file is an I/O error; a file with no certificate is invalid.
        assert_eq!(
            lfm_client_set_ca_file(client, c"/nonexistent/ca.pem".as_ptr(), &mut err),
            LFM_ERR_IO
        );
        take_error(err, LFM_ERR_IO);
        let path = std::env::temp_dir().join(format!("lfm-not-a-cert-{}.pem", std::process::id()));
        std::fs::write(&path, "hello").unwrap();
        let cpath = CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(
            lfm_client_set_ca_file(client, cpath.as_ptr(), &mut err),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        std::fs::remove_file(path).unwrap();
        // Valid values succeed and clear err.
        err = ptr::dangling_mut::<lfm_error>();
        assert_eq!(
            lfm_client_set_session_key(client, ptr::null(), &mut err),
            LFM_OK
        );
        assert!(err.is_null());
        lfm_client_free(client);
    }
}

#[test]
fn call_rejects_bad_arguments_and_clears_outputs() {
    let client = new_client();
    let mut err = ptr::null_mut();
    let reserved = ["method", "api_key", "api_sig", "sk", "format", "callback"];
    // SAFETY: every pointer is NULL, valid, or the live client.
    unsafe {
        for name in reserved {
            let cname = CString::new(name).unwrap();
            let params = [lfm_param {
                name: cname.as_ptr(),
                value: c"x".as_ptr(),
            }];
            let mut json = ptr::dangling_mut::<c_char>();
            let status = lfm_call(
                client,
                c"user.getInfo".as_ptr(),
                params.as_ptr(),
                1,
                0,
                &mut json,
                &mut err,
            );
            assert_eq!(status, LFM_ERR_INVALID_ARGUMENT, "{name}");
            assert!(json.is_null());
            let message = take_error(err, LFM_ERR_INVALID_ARGUMENT);
            assert!(message.contains(name), "{message}");
        }
        let mut json = ptr::null_mut();
        assert_eq!(
            lfm_call(client, ptr::null(), ptr::null(), 0, 0, &mut json, &mut err),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(
            lfm_call(client, bad_utf8(), ptr::null(), 0, 0, &mut json, &mut err),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(
            lfm_call(
                client,
                c"m".as_ptr(),
                ptr::null(),
                0,
                0x80,
                &mut json,
                &mut err
            ),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(
            lfm_call(
                client,
                c"m".as_ptr(),
                ptr::null(),
                0,
                0,
                ptr::null_mut(),
                &mut err
            ),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(
            lfm_call(
                ptr::null_mut(),
                c"m".as_ptr(),
                ptr::null(),
                0,
                0,
                &mut json,
                &mut err
            ),
            LFM_ERR_INVALID_ARGUMENT
        );
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        // A session call without a session key.
        assert_eq!(
            lfm_call(
                client,
                c"track.love".as_ptr(),
                ptr::null(),
                0,
                LFM_CALL_WRITE,
                &mut json,
                &mut err
            ),
            LFM_ERR_NO_SESSION
        );
        take_error(err, LFM_ERR_NO_SESSION);

        // Mobile session: NULL arguments, then plain http refused before any I/O.
        let mut key = ptr::dangling_mut::<c_char>();
        let mut name = ptr::dangling_mut::<c_char>();
        assert_eq!(
            lfm_get_mobile_session(
                client,
                ptr::null(),
                c"p".as_ptr(),
                &mut key,
                &mut name,
                &mut err
            ),
            LFM_ERR_INVALID_ARGUMENT
        );
        assert!(key.is_null() && name.is_null());
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(
            lfm_client_set_base_url(client, c"http://127.0.0.1:9/2.0/".as_ptr(), ptr::null_mut()),
            LFM_OK
        );
        assert_eq!(
            lfm_get_mobile_session(
                client,
                c"rj".as_ptr(),
                c"hunter2".as_ptr(),
                &mut key,
                ptr::null_mut(),
                &mut err
            ),
            LFM_ERR_INSECURE
        );
        let message = take_error(err, LFM_ERR_INSECURE);
        assert!(!message.contains("hunter2"));
        lfm_client_free(client);
    }
}

#[test]
fn network_failure_gives_network_status_and_null_output() {
    // Port 9 (discard) on loopback is closed on this machine kind: connection refused.
    let client = new_client();
    let mut err = ptr::null_mut();
    // SAFETY: valid pointers and the live client.
    unsafe {
        assert_eq!(
            lfm_client_set_base_url(client, c"http://127.0.0.1:9/2.0/".as_ptr(), ptr::null_mut()),
            LFM_OK
        );
        let mut json = ptr::dangling_mut::<c_char>();
        let status = lfm_call(
            client,
            c"user.getInfo".as_ptr(),
            ptr::null(),
            0,
            0,
            &mut json,
            &mut err,
        );
        assert_eq!(status, LFM_ERR_NETWORK);
        assert!(json.is_null());
        assert!(lfm_error_is_retryable(err));
        assert_eq!(lfm_error_http_status(err), 0);
        take_error(err, LFM_ERR_NETWORK);
        lfm_client_free(client);
    }
}

/// Every out-parameter reads "no result" after a failure, whatever it held before: strings
/// and handles NULL, counts 0, and a queue entry all zeros and NULLs (lfm_queue_entries_get
/// and lfm_queue_len used to leave them as they were).
#[test]
fn failed_calls_blank_every_out_parameter() {
    // SAFETY: NULL handles and valid out-pointers; nothing is dereferenced by the test.
    unsafe {
        let mut err = ptr::null_mut();
        let mut entry = std::mem::MaybeUninit::<lfm_queue_entry>::zeroed().assume_init();
        entry.id = 99;
        entry.rejected = true;
        entry.track.artist = c"stale".as_ptr();
        entry.reason = c"stale".as_ptr();
        let status = lfm_queue_entries_get(ptr::null(), 0, &mut entry, &mut err);
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(status, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(entry.id, 0);
        assert!(!entry.rejected);
        assert!(entry.track.artist.is_null() && entry.reason.is_null());

        let mut len = 7usize;
        let status = lfm_queue_len(ptr::null(), &mut len, &mut err);
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(status, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(len, 0);

        let mut sent = 7usize;
        let status = lfm_queue_flush(ptr::null_mut(), ptr::null_mut(), &mut sent, &mut err);
        take_error(err, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(status, LFM_ERR_INVALID_ARGUMENT);
        assert_eq!(sent, 0);
    }
}
