//! The fault-injection matrix: every way a server or the network can fail, each checked for
//! the exact status, Last.fm code, HTTP status and retryability the README promises, and
//! each followed by a normal call on the same client (it must recover on its own). The C
//! API gets the same matrix from capi/tests/c/test_faults.c (run by capi/tests/c_programs.rs),
//! which also runs under memcheck.sh.

mod support;

use std::time::{Duration, Instant};

use lfm::transport::DEFAULT_TIMEOUT;
use lfm::{CallFlags, Client, Error, Status};
use lfm_mock::{Fault, MockConfig, TlsFlavor};
use support::MockEnv;

fn client_for(env: &MockEnv) -> Client {
    let client = env.client();
    client.set_timeout(Duration::from_secs(10)).unwrap();
    client
}

fn get_info(client: &Client) -> lfm::Result<String> {
    client.call("user.getInfo", &[("user", "RJ")], CallFlags::NONE)
}

/// What a failed call must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect {
    status: Status,
    api_code: i32,
    http: u16,
    retryable: bool,
}

const fn expect(status: Status, api_code: i32, http: u16, retryable: bool) -> Expect {
    Expect {
        status,
        api_code,
        http,
        retryable,
    }
}

fn seen(e: &Error) -> Expect {
    expect(e.status(), e.api_code(), e.http_status(), e.is_retryable())
}

/// Run `cases` against one mock: inject, call, compare, then a normal call must succeed.
/// Every mismatch is collected so one run shows the whole matrix.
fn run_matrix(env: &MockEnv, client: &Client, cases: &[(&str, Fault, Expect)]) {
    let mut wrong = Vec::new();
    for (name, fault, want) in cases {
        env.server.push_fault(fault.clone(), 1);
        let started = Instant::now();
        match get_info(client) {
            Ok(body) => wrong.push(format!("{name}: succeeded with {body:.60}")),
            Err(e) => {
                println!(
                    "{name}: {e} (retry after {} ms, {:?})",
                    e.retry_after_ms(),
                    started.elapsed()
                );
                if seen(&e) != *want {
                    wrong.push(format!("{name}: got {:?}, want {want:?} ({e})", seen(&e)));
                }
                for secret in [lfm_mock::MOCK_API_SECRET, lfm_mock::MOCK_API_KEY] {
                    assert!(!e.message().contains(secret), "{name}: secret in {e}");
                }
                if want.status == Status::Http && (want.http == 429) {
                    // README: after HTTP 429 lfm_error_retry_after_ms() suggests a wait.
                    if e.retry_after_ms() == 0 {
                        wrong.push(format!("{name}: HTTP 429 without a retry-after suggestion"));
                    }
                }
            }
        }
        if let Err(e) = get_info(client) {
            wrong.push(format!("{name}: the next normal call failed: {e}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn http_error_statuses_with_json_html_and_empty_bodies() {
    let env = MockEnv::start();
    let client = client_for(&env);
    let mut cases = Vec::new();
    for http in [500u16, 502, 503, 429] {
        // A Last.fm error body wins over the status: LFM_ERR_API with the code.
        let code = if http == 429 { 29 } else { 16 };
        cases.push((
            "json error",
            Fault::ApiError {
                code,
                http: Some(http),
            },
            expect(Status::Api, code as i32, http, true),
        ));
        // A non-transient Last.fm code is not retryable whatever the HTTP status.
        cases.push((
            "json error 6",
            Fault::ApiError {
                code: 6,
                http: Some(http),
            },
            expect(Status::Api, 6, http, false),
        ));
        cases.push((
            "html",
            Fault::Html { http },
            expect(Status::Http, 0, http, true),
        ));
        cases.push((
            "empty",
            Fault::Empty { http },
            expect(Status::Http, 0, http, true),
        ));
    }
    // Client errors without a Last.fm body are not retryable.
    cases.push((
        "html 404",
        Fault::Html { http: 404 },
        expect(Status::Http, 0, 404, false),
    ));
    run_matrix(&env, &client, &cases);
}

#[test]
fn broken_bodies_are_parse_errors() {
    let env = MockEnv::start();
    let client = client_for(&env);
    run_matrix(
        &env,
        &client,
        &[
            (
                "truncated json",
                Fault::TruncatedJson,
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "malformed json",
                Fault::MalformedJson,
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "invalid utf-8",
                Fault::InvalidUtf8,
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "not json",
                Fault::NotJson,
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "empty 200",
                Fault::Empty { http: 200 },
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "9 MiB body (cap 8 MiB)",
                Fault::Huge { bytes: 9 << 20 },
                expect(Status::Parse, 0, 200, false),
            ),
            (
                "redirect loop",
                Fault::RedirectLoop,
                expect(Status::Http, 0, 302, false),
            ),
        ],
    );
}

#[test]
fn a_body_just_under_the_cap_is_read() {
    let env = MockEnv::start();
    let client = client_for(&env);
    env.server.push_fault(
        Fault::Huge {
            bytes: lfm::transport::MAX_REPLY_BYTES - 1,
        },
        1,
    );
    // The filler is JSON-shaped; whatever it parses to, it is not cut off as over the cap.
    match get_info(&client) {
        Ok(body) => assert_eq!(body.len() as u64, lfm::transport::MAX_REPLY_BYTES - 1),
        Err(e) => assert_ne!(e.status(), Status::Parse, "{e}"),
    }
}

#[test]
fn connection_drops_and_resets_are_network_errors() {
    let env = MockEnv::start();
    let client = client_for(&env);
    run_matrix(
        &env,
        &client,
        &[
            (
                "drop before reply",
                Fault::Drop,
                expect(Status::Network, 0, 0, true),
            ),
            // The status line arrived before the reset: the error keeps its HTTP status.
            (
                "reset mid-body",
                Fault::ResetMidBody,
                expect(Status::Network, 0, 200, true),
            ),
        ],
    );
}

#[test]
fn connection_refused_is_a_network_error() {
    let env = MockEnv::start();
    let client = client_for(&env);
    let port = support::unused_port();
    client
        .set_base_url(&format!("https://127.0.0.1:{port}/2.0/"))
        .unwrap();
    let started = Instant::now();
    let e = get_info(&client).unwrap_err();
    assert_eq!(seen(&e), expect(Status::Network, 0, 0, true), "{e}");
    // Refused, not left to the timeout (a bound from the protocol, not the machine's speed).
    assert!(started.elapsed() < DEFAULT_TIMEOUT);
    client.set_base_url(&env.server.https_base()).unwrap();
    get_info(&client).unwrap();
}

/// Run `call` with a short `timeout` over a kept-alive connection (opened by a normal call
/// with the generous timeout), then restore the generous one: the short timeout bounds the
/// server's reply, never a connection setup that a loaded machine may make slow.
fn with_short_timeout<T>(client: &Client, timeout: Duration, call: impl FnOnce() -> T) -> T {
    get_info(client).unwrap();
    client.set_timeout(timeout).unwrap();
    let result = call();
    client.set_timeout(Duration::from_secs(10)).unwrap();
    result
}

#[test]
fn a_server_that_never_answers_times_out_within_bounds() {
    let env = MockEnv::start();
    let client = client_for(&env);
    for (name, fault) in [
        ("hang", Fault::Hang),
        ("delay 3 s", Fault::Delay { ms: 3000 }),
    ] {
        // For artist.getInfo only: the normal calls never meet it, even if the timed-out
        // request had not reached the server.
        env.server.push_fault_for("artist.getInfo", fault, 1);
        let (e, took) = with_short_timeout(&client, Duration::from_millis(500), || {
            let started = Instant::now();
            let e = client
                .call("artist.getInfo", &[("artist", "Cher")], CallFlags::NONE)
                .unwrap_err();
            (e, started.elapsed())
        });
        println!("{name}: {e} after {took:?}");
        assert_eq!(seen(&e), expect(Status::Timeout, 0, 0, true), "{name}: {e}");
        assert!(
            took >= Duration::from_millis(400),
            "{name}: fired early, {took:?}"
        );
        // The 500 ms timeout fired, not the default one (the delayed reply at 3 s would
        // have been a success anyway).
        assert!(took < DEFAULT_TIMEOUT, "{name}: fired late, {took:?}");
        get_info(&client).unwrap();
    }
}

#[test]
fn a_hang_during_a_scrobble_never_blocks_past_the_timeout() {
    let env = MockEnv::start();
    let client = client_for(&env);
    client
        .set_session_key(Some(&env.server.create_session()))
        .unwrap();
    env.server.push_fault_for("track.scrobble", Fault::Hang, 1);
    let track = lfm::Track {
        artist: "Hang".into(),
        track: "Never answered".into(),
        timestamp: (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 600) as i64,
        duration_secs: 200,
        ..Default::default()
    };
    let (e, took) = with_short_timeout(&client, Duration::from_millis(500), || {
        let started = Instant::now();
        let e = client.scrobble(std::slice::from_ref(&track)).unwrap_err();
        (e, started.elapsed())
    });
    assert_eq!(e.status(), Status::Timeout, "{e}");
    assert!(took < DEFAULT_TIMEOUT, "the 500 ms timeout did not fire");
    let ok = client.scrobble(&[track]).unwrap();
    assert_eq!(ok.accepted(), 1);
}

fn tls_refused(flavor: Option<TlsFlavor>, trust_ca: bool) -> Error {
    let env = MockEnv::start_with(MockConfig {
        tls_flavor: flavor.unwrap_or_default(),
        ..Default::default()
    });
    let client = Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap();
    client.set_base_url(&env.server.https_base()).unwrap();
    if trust_ca {
        client.set_ca_file(&env.server.ca_pem_path()).unwrap();
    }
    client.set_rate_limit(0);
    client.set_timeout(Duration::from_secs(5)).unwrap();
    let e = get_info(&client).unwrap_err();
    println!("{flavor:?} trust_ca={trust_ca}: {e}");
    // Nothing reached the API: the handshake failed before any request.
    assert_eq!(env.server.stats().api_requests, 0);
    // A password is never sent over a connection that failed verification.
    let e2 = client
        .get_mobile_session(lfm_mock::MOCK_USERNAME, lfm_mock::MOCK_PASSWORD)
        .unwrap_err();
    assert_eq!(e2.status(), Status::Network, "{e2}");
    assert!(!client.has_session());
    // The same client works once pointed at a server it can verify (plain http here).
    client.set_base_url(&env.server.http_base()).unwrap();
    get_info(&client).unwrap();
    e
}

#[test]
fn tls_with_an_untrusted_ca_is_refused() {
    // The mock's CA is not among the bundled roots.
    let e = tls_refused(None, false);
    assert_eq!(seen(&e), expect(Status::Network, 0, 0, true), "{e}");
    // A self-signed leaf: right names and dates, but not issued by the trusted CA.
    let e = tls_refused(Some(TlsFlavor::SelfSigned), true);
    assert_eq!(seen(&e), expect(Status::Network, 0, 0, true), "{e}");
}

#[test]
fn tls_with_an_expired_certificate_is_refused() {
    let e = tls_refused(Some(TlsFlavor::Expired), true);
    assert_eq!(seen(&e), expect(Status::Network, 0, 0, true), "{e}");
}

#[test]
fn tls_with_a_host_name_mismatch_is_refused() {
    let e = tls_refused(Some(TlsFlavor::WrongHost), true);
    assert_eq!(seen(&e), expect(Status::Network, 0, 0, true), "{e}");
}

#[test]
fn faults_during_a_queue_flush_keep_every_play() {
    let env = MockEnv::start();
    let client = client_for(&env);
    client
        .set_session_key(Some(&env.server.create_session()))
        .unwrap();
    let dir = support::fresh_dir("faults-queue");
    let queue = lfm::Queue::open(&dir.join("q.lfmq")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for i in 0..5 {
        queue
            .push(&lfm::Track {
                artist: "Fault".into(),
                track: format!("Play {i}"),
                timestamp: now - 3600 + i,
                duration_secs: 200,
                ..Default::default()
            })
            .unwrap();
    }
    let transient = [
        Fault::Drop,
        Fault::Hang,
        Fault::Html { http: 503 },
        Fault::Empty { http: 502 },
        Fault::ApiError {
            code: 16,
            http: Some(500),
        },
        Fault::ApiError {
            code: 29,
            http: Some(429),
        },
    ];
    for fault in transient {
        env.server
            .push_fault_for("track.scrobble", fault.clone(), 1);
        let outcome = if fault == Fault::Hang {
            with_short_timeout(&client, Duration::from_millis(800), || queue.flush(&client))
        } else {
            queue.flush(&client)
        };
        println!("{fault:?}: {outcome:?}");
        assert_eq!(
            queue.pending_count(),
            5,
            "{fault:?} lost or delivered plays"
        );
        assert_eq!(env.server.stats().scrobbles_stored, 0);
    }
    // A reply lost on the way back after the server stored the batch: kept, resent once,
    // and the server (like Last.fm) stores each play once.
    for fault in [Fault::ResetMidBody, Fault::TruncatedJson] {
        env.server.push_fault(fault.clone(), 1);
        let outcome = queue.flush(&client);
        println!("{fault:?}: {outcome:?}");
    }
    let outcome = queue.flush(&client);
    println!("clean: {outcome:?}");
    assert_eq!(queue.pending_count(), 0);
    let stored: std::collections::BTreeSet<String> = env
        .server
        .scrobbles()
        .into_iter()
        .map(|s| s.track)
        .collect();
    assert_eq!(stored.len(), 5, "{stored:?}");
}
