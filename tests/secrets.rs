//! Credentials travel only over https unless the caller opted in, base URLs that would leak
//! or lose parameters are refused, and no secret (of the request or of the reply) reaches an
//! error message, a log line or Debug output, in raw or percent-encoded form, however short.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use lfm::log::{Level, Logger};
use lfm::{CallFlags, Client, Status, Track};
use support::{run_start, MockEnv};

fn play(title: &str) -> Track {
    Track {
        artist: "Cher".into(),
        track: title.into(),
        timestamp: run_start() - 600,
        duration_secs: 200,
        ..Default::default()
    }
}

/// A logger that keeps every line (all levels).
fn capture_logs(client: &Client) -> Arc<Mutex<Vec<String>>> {
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&lines);
    client
        .set_logger(Some(Logger::new(Level::Debug, move |_, line| {
            sink.lock().unwrap().push(line.to_string());
        })))
        .unwrap();
    lines
}

/// Every request that carries a credential (password, session key, token) or asks for one
/// (auth.getMobileSession, auth.getSession), by every route, is refused over plain http with
/// Status::Insecure before anything is sent: the mock counts no connection and no request.
#[test]
fn credentials_over_plain_http_are_refused_before_any_byte_is_sent() {
    let env = MockEnv::start();
    let client = env.client();
    client.set_base_url(&env.server.http_base()).unwrap();
    let sk = env.server.create_session();
    client.set_session_key(Some(&sk)).unwrap();
    let dir = support::fresh_dir("secrets-queue");
    let queue = lfm::Queue::open(&dir.join("q.lfmq")).unwrap();
    queue.push(&play("Queued")).unwrap();
    let password = lfm_mock::MOCK_PASSWORD;
    let love = [("artist", "Cher"), ("track", "Believe")];

    let before = env.server.stats();
    let attempts: Vec<(&str, lfm::Result<()>)> = vec![
        (
            "track.love (WRITE)",
            client.call("track.love", &love, CallFlags::WRITE).map(drop),
        ),
        (
            "GET with sk in the query (SIGNED|SESSION)",
            client
                .call(
                    "user.getInfo",
                    &[("user", "rj")],
                    CallFlags::SIGNED | CallFlags::SESSION,
                )
                .map(drop),
        ),
        ("scrobble", client.scrobble(&[play("Believe")]).map(drop)),
        ("now playing", client.update_now_playing(&play("Strong"))),
        (
            "queue flush",
            queue.flush(&client).error.map_or(Ok(()), Err),
        ),
        (
            "get_session (token exchange)",
            client
                .get_session("0123456789abcdef0123456789abcdef")
                .map(drop),
        ),
        (
            "call auth.getSession",
            client
                .call("auth.getSession", &[("token", "tok")], CallFlags::SIGNED)
                .map(drop),
        ),
        (
            "get_mobile_session",
            client
                .get_mobile_session(lfm_mock::MOCK_USERNAME, password)
                .map(drop),
        ),
        (
            "call auth.getMobileSession",
            client
                .call(
                    "auth.getMobileSession",
                    &[("username", "rj"), ("password", password)],
                    CallFlags::SIGNED | CallFlags::POST,
                )
                .map(drop),
        ),
        (
            "a password parameter to any method",
            client
                .call(
                    "user.getInfo",
                    &[("user", "rj"), ("password", password)],
                    CallFlags::NONE,
                )
                .map(drop),
        ),
    ];
    for (what, result) in &attempts {
        let e = result.as_ref().expect_err(what);
        assert_eq!(e.status(), Status::Insecure, "{what}: {e}");
        assert!(!e.is_retryable(), "{what}");
        for secret in [password, sk.as_str()] {
            assert!(!e.to_string().contains(secret), "{what}: {e}");
        }
    }
    let after = env.server.stats();
    assert_eq!(
        after.connections, before.connections,
        "a connection was made"
    );
    assert_eq!(after.requests, before.requests, "a request was sent");
    assert_eq!(queue.pending_count(), 1, "the refused flush kept the play");

    // Calls without a credential still go over plain http.
    client
        .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
        .unwrap();
    client
        .call("auth.getToken", &[], CallFlags::SIGNED)
        .unwrap();
    assert_eq!(env.server.stats().api_requests, before.api_requests + 2);

    // Once the caller opts in, the same requests are sent.
    client.set_allow_insecure_http(true).unwrap();
    client.call("track.love", &love, CallFlags::WRITE).unwrap();
    let outcome = queue.flush(&client);
    assert_eq!((outcome.sent, outcome.error), (1, None));
    assert_eq!(env.server.stats().api_requests, before.api_requests + 4);
    let last = env.server.last_request().unwrap();
    assert_eq!(last["scheme"], "http", "{last}");
}

/// A plain-HTTP server on loopback answering every request with `reply(request)`, where
/// `request` is the request line's target followed by the body. One request per connection.
fn start_server(reply: impl Fn(&str) -> String + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/2.0/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let head = support::read_head(&mut stream);
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            if stream.read_exact(&mut body).is_err() {
                continue;
            }
            let target = head.split_whitespace().nth(1).unwrap_or("");
            let request = format!("{target} {}", String::from_utf8_lossy(&body));
            let answer = reply(&request);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    base
}

/// Every run of 4 characters of `secret`: none may appear in text that must not leak it.
fn leaks(text: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(4)
        .map(|w| w.iter().collect::<String>())
        .find(|w| text.contains(w.as_str()))
}

/// A session key or token in a damaged reply (cut short, or followed by junk) never shows in
/// the error's preview of the body nor in the ERROR log line: the values of `"key"` and
/// `"token"` are redacted even without their closing quote.
#[test]
fn damaged_session_and_token_replies_leak_no_part_of_them() {
    const KEY: &str = "Zq8vK3mPx7Lw2Rt9Bn4Yc6Hd1Gf5Js0A";
    const TOKEN: &str = "Tb7Nc2Vx9Qm4Wp8Ls3Kd6Jf1Hg5Yr0Ue";
    let session = format!(r#"{{"session":{{"key":"{KEY}","name":"RJ","subscriber":0}}}}"#);
    let token = format!(r#"{{"token":"{TOKEN}"}}"#);
    let bodies = [
        session[..session.len() / 2].to_string(),
        format!(r#"{{"session":{{"name":"RJ","key":"{KEY}"#),
        format!(r#"{{ "session" : {{ "key" : "{KEY}" , "name" :"#),
        token[..token.len() / 2].to_string(),
        format!(r#"{{"token":"{TOKEN}"#),
        format!(r#"{{"token":"{TOKEN}", oops}}"#),
        format!(r#"{{"token" :"{}\"{}"#, &TOKEN[..8], &TOKEN[8..]),
    ];
    let current = Arc::new(Mutex::new(String::new()));
    let served = Arc::clone(&current);
    let base = start_server(move |_| served.lock().unwrap().clone());
    let client = Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap();
    client.set_base_url(&base).unwrap();
    client.set_allow_insecure_http(true).unwrap();
    client.set_rate_limit(0);
    let lines = capture_logs(&client);

    let mut texts = Vec::new();
    for body in &bodies {
        *current.lock().unwrap() = body.clone();
        let errors = [
            client.get_mobile_session("rj", "pw").map(drop),
            client.get_session("approved-token").map(drop),
            client.get_token().map(drop),
            client
                .call("auth.getSession", &[("token", "t0k3n")], CallFlags::SIGNED)
                .map(drop),
        ];
        for e in errors {
            let e = e.expect_err(body);
            assert_eq!(e.status(), Status::Parse, "{body}: {e}");
            texts.push(format!("{e}\n{e:?}"));
        }
    }
    texts.extend(lines.lock().unwrap().iter().cloned());
    assert!(
        texts.iter().any(|t| t.contains("reply is not JSON")),
        "the preview is still there: {texts:#?}"
    );
    for text in &texts {
        for secret in [KEY, TOKEN] {
            assert_eq!(leaks(text, secret), None, "part of {secret} in {text}");
        }
    }
    assert!(!client.has_session());
}

/// A server that echoes the request back in its error message: every secret of the request
/// is scrubbed from the message and the log, raw, percent-encoded (either hex case, `+` for
/// a space) and however short; ordinary text around a short secret is left alone.
#[test]
fn echoed_secrets_are_scrubbed_in_every_form_and_length() {
    let base = start_server(|request| {
        let lower_hex: String = {
            let mut out = String::new();
            let mut rest = request;
            while let Some(at) = rest.find('%') {
                out.push_str(&rest[..at]);
                let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
                out.push_str(&escape.to_ascii_lowercase());
                rest = &rest[at + escape.len()..];
            }
            out.push_str(rest);
            out.replace("%20", "+")
        };
        serde_json::json!({
            "error": 4,
            "message": format!("rejected {request} | {lower_hex}"),
        })
        .to_string()
    });
    let client = Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap();
    client.set_base_url(&base).unwrap();
    client.set_allow_insecure_http(true).unwrap();
    client.set_rate_limit(0);
    let lines = capture_logs(&client);

    // A long password with characters that are percent-encoded.
    let long = lfm_mock::MOCK_PASSWORD;
    let e = client.get_mobile_session("rj", long).unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Status::Api, 4), "{e}");
    let encoded = "s3cret%20%2B%26%3D%25%20p%C3%A4ssw%C3%B6rd%20%E2%9C%93";
    let lower = "s3cret+%2b%26%3d%25+p%c3%a4ssw%c3%b6rd+%e2%9c%93";
    for form in [long, encoded, lower, "p%C3%A4ssw", "p%c3%a4ssw"] {
        assert!(!e.message().contains(form), "{form:?} in {e}");
    }
    assert!(e.message().contains("method=auth.getMobileSession"), "{e}");

    // A three-character password and a one-character session key.
    let e = client.get_mobile_session("rj", "pw1").unwrap_err();
    assert!(!e.message().contains("pw1"), "{e}");
    client.set_session_key(Some("e")).unwrap();
    let e = client
        .call(
            "track.love",
            &[("artist", "Cher"), ("track", "Believe")],
            CallFlags::WRITE,
        )
        .unwrap_err();
    assert!(!e.message().contains("sk=e&"), "{e}");
    // Ordinary text around a short secret is kept.
    for kept in ["method=track.love", "artist=Cher", "track=Believe"] {
        assert!(e.message().contains(kept), "{kept} lost from {e}");
    }

    let log = lines.lock().unwrap().join("\n");
    for form in [long, encoded, lower, "pw1", "sk=e&", lfm_mock::MOCK_API_KEY] {
        assert!(!log.contains(form), "{form:?} in the log:\n{log}");
    }
    assert!(log.contains("auth.getMobileSession failed"), "{log}");
}

/// A base URL (or authorisation page) with `user:password@` is refused, so its password can
/// reach neither the wire nor Debug output; a `#fragment` is refused instead of swallowing
/// every parameter appended after it.
#[test]
fn base_urls_with_userinfo_or_a_fragment_are_refused() {
    let env = MockEnv::start();
    let client = env.client();
    let with_userinfo = env
        .server
        .https_base()
        .replace("https://", "https://lfm-user:hunter22@");
    let e = client.set_base_url(&with_userinfo).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("user name or password"), "{e}");
    let e2 = client.set_auth_url(&with_userinfo).unwrap_err();
    assert_eq!(e2.status(), Status::InvalidArgument, "{e2}");
    let debug = format!("{client:?} {e} {e2}");
    assert!(!debug.contains("hunter22"), "{debug}");
    assert_eq!(client.base_url(), env.server.https_base());

    let with_fragment = format!("{}#top", env.server.https_base());
    let e = client.set_base_url(&with_fragment).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("fragment"), "{e}");
    assert!(client.set_auth_url("https://x.example/auth#a").is_err());
    // The base URL in use is unchanged and works.
    client
        .call("user.getInfo", &[("user", "rj")], CallFlags::NONE)
        .unwrap();
}

/// A GET whose URL is longer than the HTTP stack can carry is refused with a message that
/// names its length and the way out (POST), not as an invalid base URL, and nothing is sent.
#[test]
fn a_get_too_long_to_send_names_its_length() {
    let env = MockEnv::start();
    let client = env.client();
    let long = "a".repeat(70_000);
    let before = env.server.stats();
    let e = client
        .call("user.getInfo", &[("user", &long)], CallFlags::NONE)
        .unwrap_err();
    // base ? method=user.getInfo & api_key=KEY & user=aaa... & format=json
    let url_len = env.server.https_base().len()
        + "?method=user.getInfo&api_key=".len()
        + lfm_mock::MOCK_API_KEY.len()
        + "&user=".len()
        + long.len()
        + "&format=json".len();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains(&url_len.to_string()), "{e}");
    assert!(e.message().contains("POST"), "{e}");
    assert!(!e.message().contains("base URL"), "{e}");
    assert_eq!(env.server.stats().connections, before.connections);
}
