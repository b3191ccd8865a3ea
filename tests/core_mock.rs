//! The Rust core against the mock server: sessions, signed and unsigned calls, connection
//! reuse, and error mapping.

mod support;

use lfm::{CallFlags, Client, Status};
use support::MockEnv;

fn client_for(env: &MockEnv, https: bool) -> Client {
    let client = env.client();
    if !https {
        client.set_base_url(&env.server.http_base()).unwrap();
    }
    client
}

#[test]
fn sequential_calls_reuse_one_connection() {
    let env = MockEnv::start();
    for https in [false, true] {
        let client = client_for(&env, https);
        let before = env.server.stats().connections;
        for _ in 0..20 {
            client
                .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
                .unwrap();
        }
        let used = env.server.stats().connections - before;
        assert_eq!(
            used, 1,
            "https={https}: 20 calls should share one connection"
        );
    }
}

#[test]
fn mobile_session_then_signed_calls() {
    let env = MockEnv::start();
    let client = client_for(&env, true);
    let session = client
        .get_mobile_session(lfm_mock::MOCK_EMAIL, lfm_mock::MOCK_PASSWORD)
        .unwrap();
    assert_eq!(session.name, lfm_mock::MOCK_USERNAME);
    assert_eq!(session.key.len(), 32);
    assert!(client.has_session());
    let body = client
        .call(
            "track.love",
            &[("artist", "Cher"), ("track", "Believe")],
            CallFlags::WRITE,
        )
        .unwrap();
    assert_eq!(body.trim(), "{}");
    // A signed GET travels in the query string and verifies too.
    client
        .call(
            "user.getInfo",
            &[("user", "RJ"), ("note", "a+b&c=d%e f ü")],
            CallFlags::SIGNED | CallFlags::SESSION,
        )
        .unwrap();
}

#[test]
fn wrong_password_is_api_error_4() {
    let env = MockEnv::start();
    let client = client_for(&env, true);
    let err = client
        .get_mobile_session(lfm_mock::MOCK_USERNAME, "nope")
        .unwrap_err();
    assert_eq!((err.status(), err.api_code()), (Status::Api, 4));
    assert!(!client.has_session());
}

/// Read one raw HTTP request from a one-shot loopback listener while `client` calls it.
fn capture_raw_request(client: &Client, flags: CallFlags) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/2.0/", listener.local_addr().unwrap());
    client.set_base_url(&url).unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        loop {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    break;
                }
            }
        }
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}",
            )
            .unwrap();
        String::from_utf8(got).unwrap()
    });
    client
        .call(
            "track.love",
            &[("artist", "A+B & C=D 100% ü"), ("track", "t")],
            flags,
        )
        .unwrap();
    server.join().unwrap()
}

#[test]
fn requests_carry_one_user_agent_and_encoded_signed_bytes() {
    let client = Client::new("key", "secret").unwrap();
    client.set_session_key(Some("SESSIONKEY")).unwrap();
    client.set_allow_insecure_http(true).unwrap(); // the capturing server is plain http
    client.set_user_agent("my-player/2.1").unwrap();
    let raw = capture_raw_request(&client, CallFlags::WRITE);
    let lower = raw.to_ascii_lowercase();
    assert_eq!(lower.matches("user-agent:").count(), 1, "{raw}");
    assert!(raw.contains("my-player/2.1"), "{raw}");
    assert!(
        lower.contains("content-type: application/x-www-form-urlencoded"),
        "{raw}"
    );
    let body = raw.split_once("\r\n\r\n").unwrap().1;
    let pairs = lfm::encode::form_decode(body).expect("body decodes");
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("artist").as_deref(), Some("A+B & C=D 100% ü"));
    assert_eq!(get("format").as_deref(), Some("json"));
    assert_eq!(get("sk").as_deref(), Some("SESSIONKEY"));
    // The signature covers exactly what the server decodes.
    let signed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let expected = lfm::sign::api_sig(&signed, "secret").unwrap();
    assert_eq!(get("api_sig"), Some(expected));
    // No raw '+' may travel: it would decode as a space.
    assert!(!body.contains('+'), "{body}");

    // Default user agent on a GET.
    let client = Client::new("key", "secret").unwrap();
    let raw = capture_raw_request(&client, CallFlags::NONE);
    assert!(
        raw.starts_with("GET /2.0/?method=track.love&api_key=key&"),
        "{raw}"
    );
    assert!(raw.contains(&format!("liblfm/{}", lfm::VERSION)), "{raw}");
}
