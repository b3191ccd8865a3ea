//! Login flows, services, proxies and logging against the mock server.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lfm::log::{Level, Logger};
use lfm::transport::RootStore;
use lfm::{CallFlags, Client, Service, Status};
use lfm_mock::MockConfig;
use support::MockEnv;

#[test]
fn token_flow_pending_approved_reused_expired_bad() {
    let env = MockEnv::start();
    let client = env.client();
    let token = client.get_token().unwrap();
    assert_eq!(token.len(), 32);

    let pending = client.get_session(&token).unwrap_err();
    assert_eq!((pending.status(), pending.api_code()), (Status::Api, 14));
    assert!(!pending.is_retryable());
    assert!(!pending.message().contains(&token), "{pending}");
    assert!(!client.has_session());

    assert!(env.server.approve_token(&token));
    let session = client.get_session(&token).unwrap();
    assert_eq!(session.name, lfm_mock::MOCK_USERNAME);
    assert!(client.has_session());
    // The stored key works for a write call.
    client
        .call(
            "track.love",
            &[("artist", "A"), ("track", "T")],
            CallFlags::WRITE,
        )
        .unwrap();

    let reused = client.get_session(&token).unwrap_err();
    assert_eq!(reused.api_code(), 15);

    let expiring = client.get_token().unwrap();
    assert!(env.server.approve_token(&expiring));
    assert!(env.server.expire_token(&expiring));
    assert_eq!(client.get_session(&expiring).unwrap_err().api_code(), 15);

    assert_eq!(client.get_session("0000").unwrap_err().api_code(), 4);
    assert_eq!(
        client.get_session("").unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn libre_mode_accepts_any_key_and_services_set_both_urls() {
    let env = MockEnv::start_with(MockConfig {
        libre_mode: true,
        ..MockConfig::default()
    });
    let client = Client::new("any-key-at-all", "any-secret").unwrap();
    client.set_service(Service::LibreFm).unwrap();
    assert_eq!(client.base_url(), "https://libre.fm/2.0/");
    assert!(client
        .auth_url(None, None)
        .unwrap()
        .starts_with("https://libre.fm/api/auth/?api_key=any-key-at-all"));
    client.set_base_url(&env.server.https_base()).unwrap();
    client.set_ca_file(&env.server.ca_pem_path()).unwrap();
    client.set_rate_limit(0);
    let session = client
        .get_mobile_session(lfm_mock::MOCK_USERNAME, lfm_mock::MOCK_PASSWORD)
        .unwrap();
    assert_eq!(session.name, lfm_mock::MOCK_USERNAME);
    client.set_service(Service::LastFm).unwrap();
    assert_eq!(client.base_url(), "https://ws.audioscrobbler.com/2.0/");
}

/// A minimal HTTP CONNECT proxy on loopback, counting the tunnels it opened.
fn start_connect_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&tunnels);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let mut client = client;
                let head = support::read_head(&mut client);
                let target = head
                    .strip_prefix("CONNECT ")
                    .and_then(|r| r.split_whitespace().next())
                    .map(str::to_string);
                let Some(target) = target else { return };
                let Ok(upstream) = TcpStream::connect(&target) else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                pipe(client, upstream);
            });
        }
    });
    (url, tunnels)
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT to IPv4 or a domain name).
fn start_socks5_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("socks5://{}", listener.local_addr().unwrap());
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&tunnels);
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let count = Arc::clone(&count);
            std::thread::spawn(move || {
                let mut c = client;
                let mut hello = [0u8; 2];
                c.read_exact(&mut hello).unwrap();
                let mut methods = vec![0u8; hello[1] as usize];
                c.read_exact(&mut methods).unwrap();
                c.write_all(&[5, 0]).unwrap();
                let mut req = [0u8; 4];
                c.read_exact(&mut req).unwrap();
                let host = match req[3] {
                    1 => {
                        let mut ip = [0u8; 4];
                        c.read_exact(&mut ip).unwrap();
                        std::net::Ipv4Addr::from(ip).to_string()
                    }
                    3 => {
                        let mut len = [0u8; 1];
                        c.read_exact(&mut len).unwrap();
                        let mut name = vec![0u8; len[0] as usize];
                        c.read_exact(&mut name).unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    _ => return,
                };
                let mut port = [0u8; 2];
                c.read_exact(&mut port).unwrap();
                let target = format!("{host}:{}", u16::from_be_bytes(port));
                let Ok(upstream) = TcpStream::connect(&target) else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).unwrap();
                pipe(c, upstream);
            });
        }
    });
    (url, tunnels)
}

fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(Shutdown::Write);
    let _ = t.join();
}

#[test]
fn calls_go_through_http_connect_and_socks5_proxies() {
    let env = MockEnv::start();
    for (url, tunnels) in [start_connect_proxy(), start_socks5_proxy()] {
        let client = env.client();
        client.set_proxy(Some(&url)).unwrap();
        let before = env.server.stats().connections;
        for _ in 0..3 {
            client
                .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
                .unwrap();
        }
        client
            .get_mobile_session(lfm_mock::MOCK_USERNAME, lfm_mock::MOCK_PASSWORD)
            .unwrap();
        assert_eq!(
            tunnels.load(Ordering::SeqCst),
            1,
            "{url}: one kept-alive tunnel"
        );
        assert_eq!(env.server.stats().connections - before, 1, "{url}");
        // Back to direct connections.
        client.set_proxy(None).unwrap();
        client
            .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
            .unwrap();
        assert_eq!(tunnels.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn a_dead_proxy_is_a_network_error_and_bad_urls_are_refused() {
    let env = MockEnv::start();
    let client = env.client();
    let port = support::unused_port();
    for scheme in ["http", "socks5"] {
        client
            .set_proxy(Some(&format!("{scheme}://127.0.0.1:{port}")))
            .unwrap();
        let err = client
            .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
            .unwrap_err();
        assert_eq!(err.status(), Status::Network, "{scheme}: {err}");
        assert!(err.is_retryable());
    }
    for bad in ["", "not a url", "ftp://127.0.0.1:21"] {
        assert_eq!(
            client.set_proxy(Some(bad)).unwrap_err().status(),
            Status::InvalidArgument,
            "{bad:?}"
        );
    }
}

#[test]
fn the_system_root_store_plus_a_ca_file_works() {
    let env = MockEnv::start();
    let client = env.client();
    match client.set_root_store(RootStore::System) {
        Ok(()) => {
            client
                .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
                .unwrap();
        }
        // A machine without a system store says so clearly.
        Err(e) => assert_eq!(e.status(), Status::Io, "{e}"),
    }
    client.set_root_store(RootStore::Bundled).unwrap();
    client
        .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
        .unwrap();
    assert_eq!(
        client
            .set_connect_timeout(Duration::ZERO)
            .unwrap_err()
            .status(),
        Status::InvalidArgument
    );
    client
        .set_connect_timeout(Duration::from_millis(2000))
        .unwrap();
    client
        .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
        .unwrap();
}

#[test]
fn logs_cover_a_session_and_never_contain_a_secret() {
    let env = MockEnv::start();
    let client = env.client();
    let captured: Arc<Mutex<Vec<(Level, String)>>> = Arc::default();
    let sink = Arc::clone(&captured);
    client
        .set_logger(Some(Logger::new(Level::Debug, move |level, line| {
            sink.lock().unwrap().push((level, line.to_string()));
        })))
        .unwrap();

    let wrong = client
        .get_mobile_session(lfm_mock::MOCK_USERNAME, "wrong-password-123")
        .unwrap_err();
    let session = client
        .get_mobile_session(lfm_mock::MOCK_EMAIL, lfm_mock::MOCK_PASSWORD)
        .unwrap();
    let token = client.get_token().unwrap();
    let pending = client.get_session(&token).unwrap_err();
    client
        .call(
            "track.love",
            &[("artist", "Cher"), ("track", "Believe")],
            CallFlags::WRITE,
        )
        .unwrap();
    let failed = client
        .call(
            "user.getInfo",
            &[("user", "nobody-at-all")],
            CallFlags::SIGNED | CallFlags::SESSION,
        )
        .unwrap_err();
    let last = env.server.last_request().unwrap();
    let api_sig = last["params"]["api_sig"].as_str().unwrap().to_string();

    let lines = captured.lock().unwrap().clone();
    let text: Vec<String> = lines.iter().map(|(_, l)| l.clone()).collect();
    let all = text.join("\n");
    println!("{all}");
    assert!(lines.iter().any(|(l, s)| *l == Level::Debug
        && s.contains("auth.getMobileSession")
        && s.contains("HTTP 200")));
    assert!(lines
        .iter()
        .any(|(l, s)| *l == Level::Info && s.contains("session established for RJ")));
    assert!(lines
        .iter()
        .any(|(l, s)| *l == Level::Error && s.contains("user.getInfo failed")));
    assert!(lines.iter().any(|(_, s)| s.contains("password=<redacted>")));
    // Every error text and Debug output of the session, too.
    let mut everything = all.clone();
    for e in [&wrong, &pending, &failed] {
        everything.push_str(&format!("\n{e}\n{e:?}"));
    }
    everything.push_str(&format!("\n{session:?}\n{client:?}"));
    for secret in [
        lfm_mock::MOCK_PASSWORD,
        "wrong-password-123",
        session.key.as_str(),
        token.as_str(),
        api_sig.as_str(),
        lfm_mock::MOCK_API_KEY,
        lfm_mock::MOCK_API_SECRET,
    ] {
        assert!(!everything.contains(secret), "secret {secret:?} leaked");
    }

    // Off means off.
    client.set_logger(None).unwrap();
    let before = lines.len();
    client
        .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
        .unwrap();
    assert_eq!(before, lines.len());
}
