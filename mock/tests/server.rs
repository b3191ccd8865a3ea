//! End-to-end tests: a real server on loopback, raw HTTP/1.1 and TLS clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lfm_mock::{
    api_sig, Fault, MockConfig, MockServer, TlsFlavor, MOCK_API_KEY, MOCK_API_SECRET, MOCK_PASSWORD,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;

/// A reply as read off the wire.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Form-encodes like a careful client: unreserved bytes as is, everything else `%XX`.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `params` plus `api_key`, `format=json` and, when `signed`, `api_sig`.
fn api_form(params: &[(&str, &str)], signed: bool) -> String {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("api_key", MOCK_API_KEY));
    all.push(("format", "json"));
    let sig;
    if signed {
        sig = api_sig(all.iter().copied(), MOCK_API_SECRET);
        all.push(("api_sig", &sig));
    }
    form(&all)
}

fn send<S: Read + Write>(s: &mut S, method: &str, target: &str, body: Option<&str>) {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    s.write_all(req.as_bytes()).unwrap();
    s.flush().unwrap();
}

fn read_reply<R: BufRead>(r: &mut R) -> std::io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':').unwrap();
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// One request on a fresh plain-HTTP connection.
fn http(server: &MockServer, method: &str, query: &str, body: Option<&str>) -> Reply {
    let mut s = TcpStream::connect(server.http_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    send(&mut s, method, &format!("/2.0/{query}"), body);
    read_reply(&mut BufReader::new(s)).unwrap()
}

fn tls_client(server: &MockServer) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(server.ca_pem_path()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One request on a fresh HTTPS connection, verifying against the written CA.
fn https(server: &MockServer, method: &str, body: Option<&str>) -> std::io::Result<Reply> {
    let conn = rustls::ClientConnection::new(
        tls_client(server),
        ServerName::try_from("127.0.0.1").unwrap(),
    )
    .unwrap();
    let sock = TcpStream::connect(server.https_addr())?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let mut req = format!("{method} /2.0/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    tls.write_all(req.as_bytes())?;
    tls.flush()?;
    read_reply(&mut BufReader::new(tls))
}

fn mobile_login(server: &MockServer) -> String {
    let body = api_form(
        &[
            ("method", "auth.getMobileSession"),
            ("username", "RJ@Example.org"),
            ("password", MOCK_PASSWORD),
        ],
        true,
    );
    let r = https(server, "POST", Some(&body)).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["session"]["name"], "RJ");
    j["session"]["key"].as_str().unwrap().to_string()
}

#[test]
fn login_scrobble_and_read_back() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let sk = mobile_login(&server);
    assert_eq!(sk.len(), 32);

    // Over plain HTTP the mobile login is refused.
    let body = api_form(
        &[
            ("method", "auth.getMobileSession"),
            ("username", "RJ"),
            ("password", MOCK_PASSWORD),
        ],
        true,
    );
    let r = http(&server, "POST", "", Some(&body));
    assert_eq!((r.status, r.json()["error"].as_u64()), (403, Some(4)));

    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 60)
        .to_string();
    let old = "1000000000";
    let body = api_form(
        &[
            ("method", "track.scrobble"),
            ("sk", &sk),
            ("artist[0]", "Björk"),
            ("track[0]", "Jóga + & = %"),
            ("timestamp[0]", &now),
            ("album[0]", "Homogenic"),
            ("artist[1]", "Somebody"),
            ("track[1]", "Old"),
            ("timestamp[1]", old),
        ],
        true,
    );
    let r = http(&server, "POST", "", Some(&body));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let j = r.json();
    assert_eq!(j["scrobbles"]["@attr"]["accepted"], 1);
    assert_eq!(j["scrobbles"]["@attr"]["ignored"], 1);
    assert_eq!(
        j["scrobbles"]["scrobble"][0]["track"]["#text"],
        "Jóga + & = %"
    );
    assert_eq!(j["scrobbles"]["scrobble"][1]["ignoredMessage"]["code"], "3");

    // A bad signature, a GET write, a missing session.
    let tampered = body.replace("Somebody", "Nobody");
    assert_eq!(
        http(&server, "POST", "", Some(&tampered)).json()["error"],
        13
    );
    let r = http(&server, "GET", &format!("?{body}"), None);
    assert_eq!((r.status, r.json()["error"].as_u64()), (405, Some(3)));
    let no_session = api_form(
        &[
            ("method", "track.love"),
            ("sk", "nope"),
            ("artist", "A"),
            ("track", "T"),
        ],
        true,
    );
    assert_eq!(
        http(&server, "POST", "", Some(&no_session)).json()["error"],
        9
    );

    let stored = server.scrobbles();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].album.as_deref(), Some("Homogenic"));

    let q = format!(
        "?{}",
        api_form(&[("method", "user.getRecentTracks"), ("user", "rj")], false)
    );
    let j = http(&server, "GET", &q, None).json();
    assert_eq!(j["recenttracks"]["track"]["artist"]["#text"], "Björk");
    assert_eq!(j["recenttracks"]["@attr"]["total"], "1");

    // The control plane sees the same.
    let j = http(&server, "GET", "?method=mock.stats", None).json();
    assert_eq!(j["scrobbles_stored"], 1);
    assert_eq!(j["by_method"]["track.scrobble"], 3);
    let j = http(&server, "GET", "?method=mock.lastRequest", None).json();
    assert_eq!(j["params"]["method"], "user.getRecentTracks");
    assert_eq!(j["http_method"], "GET");
}

#[test]
fn desktop_token_flow() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let get_token = api_form(&[("method", "auth.getToken")], true);
    let token = http(&server, "GET", &format!("?{get_token}"), None).json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let get_session = api_form(&[("method", "auth.getSession"), ("token", &token)], true);
    let ask = || http(&server, "POST", "", Some(&get_session)).json();
    assert_eq!(ask()["error"], 14);
    assert!(server.approve_token(&token));
    assert_eq!(ask()["session"]["name"], "RJ");
    assert_eq!(ask()["error"], 15);
}

#[test]
fn keep_alive_counts_one_connection() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let mut s = TcpStream::connect(server.http_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for _ in 0..3 {
        send(&mut s, "GET", "/2.0/?method=mock.nowPlaying", None);
        let reply = read_reply(&mut r).unwrap();
        assert_eq!(reply.body, b"{}");
        assert_eq!(reply.header("connection"), Some("keep-alive"));
    }
    send(&mut s, "GET", "/other", None);
    assert_eq!(read_reply(&mut r).unwrap().status, 404);
    let stats = server.stats();
    assert_eq!(
        (stats.connections, stats.requests, stats.api_requests),
        (1, 4, 0)
    );
}

#[test]
fn faults_drop_errors_and_hang() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let info = format!(
        "?{}",
        api_form(&[("method", "user.getInfo"), ("user", "RJ")], false)
    );

    let r = http(
        &server,
        "POST",
        "",
        Some("method=mock.fault&kind=api_error&code=16&count=2"),
    );
    assert_eq!(r.json()["ok"], 1);
    for _ in 0..2 {
        let r = http(&server, "GET", &info, None);
        assert_eq!((r.status, r.json()["error"].as_u64()), (503, Some(16)));
    }
    assert_eq!(
        http(&server, "GET", &info, None).json()["user"]["name"],
        "RJ"
    );

    // A fault for one method waits for a request for that method.
    let r = http(
        &server,
        "POST",
        "",
        Some("method=mock.fault&kind=api_error&code=11&method_name=user.getFriends"),
    );
    assert_eq!(r.json()["ok"], 1);
    assert_eq!(
        http(&server, "GET", &info, None).json()["user"]["name"],
        "RJ"
    );
    let friends = format!(
        "?{}",
        api_form(&[("method", "user.getFriends"), ("user", "RJ")], false)
    );
    assert_eq!(
        http(&server, "GET", &friends, None).json()["error"].as_u64(),
        Some(11)
    );
    assert_eq!(
        http(&server, "GET", &info, None).json()["user"]["name"],
        "RJ"
    );

    server.push_fault(Fault::Drop, 1);
    let mut s = TcpStream::connect(server.http_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    send(&mut s, "GET", &format!("/2.0/{info}"), None);
    let mut buf = Vec::new();
    let n = s.read_to_end(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);

    server.push_fault(Fault::Html { http: 503 }, 1);
    let r = http(&server, "GET", &info, None);
    assert_eq!(r.status, 503);
    assert!(String::from_utf8_lossy(&r.body).contains("try again in 30 seconds"));

    // A hanging request is released when the server stops.
    server.push_fault(Fault::Hang, 1);
    let mut s = TcpStream::connect(server.http_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    send(&mut s, "GET", &format!("/2.0/{info}"), None);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    server.stop();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(buf.is_empty());
    // Released by the stop, not by the hang's own 120 s limit.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn bad_certificates_are_rejected_by_a_verifying_client() {
    for flavor in [
        TlsFlavor::Expired,
        TlsFlavor::WrongHost,
        TlsFlavor::SelfSigned,
    ] {
        let server = MockServer::start(MockConfig {
            tls_flavor: flavor,
            ..MockConfig::default()
        })
        .unwrap();
        let err = https(&server, "GET", None).expect_err("handshake must fail");
        let text = err.to_string();
        assert!(
            text.contains("certificate") || text.contains("Certificate"),
            "{flavor:?}: {text}"
        );
        assert_eq!(server.stats().requests, 0);
    }
}

#[test]
fn scrobble_rules() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let sk = server.create_session();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ts = (now - 30).to_string();
    let future = (now + 3600).to_string();
    let batch = |items: &[(&str, &str, &str)]| {
        let names: Vec<(String, String, String)> = (0..items.len())
            .map(|i| {
                (
                    format!("artist[{i}]"),
                    format!("track[{i}]"),
                    format!("timestamp[{i}]"),
                )
            })
            .collect();
        let mut params: Vec<(&str, &str)> = vec![("method", "track.scrobble"), ("sk", &sk)];
        for (i, (a, t, s)) in items.iter().enumerate() {
            params.push((&names[i].0, a));
            params.push((&names[i].1, t));
            params.push((&names[i].2, s));
        }
        http(&server, "POST", "", Some(&api_form(&params, true))).json()
    };

    let j = batch(&[
        ("A [ignored-artist]", "T", &ts),
        ("A", "T [ignored-track]", &ts),
        ("A", "Future", &future),
        ("A", "T", &ts),
        ("A", "T", &ts),
    ]);
    let codes: Vec<&str> = (0..5)
        .map(|i| {
            j["scrobbles"]["scrobble"][i]["ignoredMessage"]["code"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(codes, ["1", "2", "4", "0", "0"]);
    assert_eq!(j["scrobbles"]["@attr"]["accepted"], 2);
    assert_eq!(
        server.stats().scrobbles_stored,
        1,
        "duplicates are stored once"
    );

    // A poison item fails the whole request; nothing is stored.
    let j = batch(&[("B", "U", &ts), ("B [invalid]", "U", &ts)]);
    assert_eq!(j["error"], 6);
    assert_eq!(server.scrobbles().len(), 1);

    // 51 items are too many.
    let many: Vec<(&str, &str, &str)> = (0..51).map(|_| ("C", "V", ts.as_str())).collect();
    assert_eq!(batch(&many)["error"], 6);

    // The daily limit.
    server.push_fault(Fault::DailyLimit { remaining: 1 }, 1);
    let j = batch(&[("D", "1", &ts), ("D", "2", &ts)]);
    assert_eq!(j["scrobbles"]["scrobble"][1]["ignoredMessage"]["code"], "5");
    assert_eq!(server.scrobbles().len(), 2);

    // A revoked session gets error 9.
    server.revoke_sessions();
    assert_eq!(batch(&[("E", "1", &ts)])["error"], 9);
}
