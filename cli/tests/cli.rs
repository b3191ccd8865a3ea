//! The `lfm` tool run as a user runs it, against the mock server.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use lfm_mock::{MockConfig, MockServer};

fn lfm(server: &MockServer, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lfm"));
    cmd.args(args)
        .env_clear()
        .env("LFM_API_KEY", lfm_mock::MOCK_API_KEY)
        .env("LFM_API_SECRET", lfm_mock::MOCK_API_SECRET)
        .env("LFM_BASE_URL", server.https_base())
        .env("LFM_CA_FILE", server.ca_pem_path());
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run lfm");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).to_string(),
        String::from_utf8_lossy(&stderr).to_string(),
    )
}

fn server() -> MockServer {
    MockServer::start(MockConfig::default()).unwrap()
}

#[test]
fn help_version_and_usage_errors() {
    let s = server();
    let (code, out, _) = run(&mut lfm(&s, &["--help"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("commands:") && out.contains("exit codes"),
        "{out}"
    );
    for command in [
        "sign",
        "auth",
        "call",
        "nowplaying",
        "scrobble",
        "queue",
        "listen",
    ] {
        let (code, out, _) = run(&mut lfm(&s, &[command, "--help"]));
        assert_eq!(code, 0, "{command}");
        assert!(out.starts_with("usage: lfm"), "{command}: {out}");
    }
    let (code, out, _) = run(&mut lfm(&s, &["--version"]));
    assert_eq!(
        (code, out.trim()),
        (0, format!("lfm {}", lfm::VERSION).as_str())
    );
    let (code, _, err) = run(&mut lfm(&s, &["frobnicate"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown command"), "{err}");
    let (code, _, err) = run(&mut lfm(&s, &["call", "user.getInfo", "--bogus"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown option --bogus"), "{err}");
    let (code, _, err) = run(lfm(&s, &["call", "user.getInfo"]).env_remove("LFM_API_KEY"));
    assert_eq!(code, 2);
    assert!(err.contains("LFM_API_KEY"), "{err}");
}

#[test]
fn sign_prints_the_masked_base_string_and_the_signature() {
    let s = server();
    let (code, out, _) = run(lfm(
        &s,
        &[
            "sign",
            "method=track.love",
            "artist=KITANO REM",
            "track=RAINSICK",
            "api_key=YOUR_API_KEY",
            "sk=YOUR_SESSION_KEY",
            "format=json",
        ],
    )
    .env("LFM_API_SECRET", "YOUR_SECRET"));
    assert_eq!(code, 0);
    assert!(out.contains("api_keyYOUR_API_KEYartistKITANO REMmethodtrack.loveskYOUR_SESSION_KEYtrackRAINSICK****"), "{out}");
    assert!(
        out.contains("api_sig: 800b8884b00c9343d1d425ed271e0f42"),
        "{out}"
    );
    assert!(!out.contains("YOUR_SECRET"), "{out}");
}

#[test]
fn auth_mobile_then_call_scrobble_and_queue() {
    let s = server();
    // Wrong password: exit 1 with the API code.
    let (code, _, err) =
        run(lfm(&s, &["auth", "mobile", "--username", "RJ"]).env("LFM_PASSWORD", "nope-nope"));
    assert_eq!(code, 1);
    assert!(err.contains("API error 4"), "{err}");
    assert!(!err.contains("nope-nope"));

    // Password on stdin.
    let mut child = lfm(&s, &["auth", "mobile", "--username", "rj@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", lfm_mock::MOCK_PASSWORD).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("name=RJ"), "{stdout}");
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("session_key="))
        .unwrap()
        .to_string();

    let (code, out, _) = run(&mut lfm(&s, &["call", "user.getInfo", "user=rj"]));
    assert_eq!(code, 0);
    assert!(out.contains("\"name\":\"RJ\""), "{out}");
    let (code, _, err) = run(&mut lfm(
        &s,
        &["call", "track.love", "artist=A", "track=T", "--write"],
    ));
    assert_eq!(code, 1);
    assert!(err.contains("no session key"), "{err}");
    let (code, out, _) = run(lfm(
        &s,
        &["call", "track.love", "artist=A", "track=T", "--write"],
    )
    .env("LFM_SESSION_KEY", &key));
    assert_eq!((code, out.trim()), (0, "{}"));

    let (code, out, _) = run(lfm(
        &s,
        &[
            "scrobble",
            "--artist",
            "Björk",
            "--track",
            "Jóga",
            "--duration",
            "300",
        ],
    )
    .env("LFM_SESSION_KEY", &key));
    assert_eq!((code, out.trim()), (0, "accepted"));
    let (code, _, err) = run(lfm(
        &s,
        &["scrobble", "--artist", "X [ignored-artist]", "--track", "T"],
    )
    .env("LFM_SESSION_KEY", &key));
    assert_eq!(code, 1);
    assert!(err.contains("code 1"), "{err}");
    let (code, out, _) = run(lfm(
        &s,
        &["nowplaying", "--artist", "Björk", "--track", "Hunter"],
    )
    .env("LFM_SESSION_KEY", &key));
    assert_eq!((code, out.trim()), (0, "now playing sent"));

    // The queue: push twice (queued once), list, flush.
    let dir = std::env::temp_dir().join(format!("lfm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let q = dir.join("q.lfmq");
    let q = q.to_str().unwrap();
    let started = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 600)
        .to_string();
    for expected in ["queued", "already queued"] {
        let (code, out, _) = run(&mut lfm(
            &s,
            &[
                "queue",
                "--queue",
                q,
                "push",
                "--artist",
                "Q",
                "--track",
                "One",
                "--timestamp",
                &started,
            ],
        ));
        let _ = code;
        assert_eq!(out.trim(), expected);
    }
    let (code, out, _) = run(&mut lfm(&s, &["queue", "--queue", q, "list"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("Q - One") && out.contains("1 pending"),
        "{out}"
    );
    let (code, out, _) =
        run(lfm(&s, &["queue", "--queue", q, "flush"]).env("LFM_SESSION_KEY", &key));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sent 1, rejected 0, pending 0"), "{out}");
    assert!(s
        .scrobbles()
        .iter()
        .any(|p| p.artist == "Q" && p.track == "One"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn auth_token_polls_until_approved_and_verbose_logs_redact() {
    let s = server();
    let mut child = lfm(
        &s,
        &[
            "auth",
            "token",
            "--poll-secs",
            "1",
            "--wait-secs",
            "20",
            "-v",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut token = None;
    while stdout.read_line(&mut line).unwrap() > 0 {
        if let Some(t) = line.split("token=").nth(1) {
            token = Some(t.trim().to_string());
            break;
        }
        line.clear();
    }
    let token = token.expect("the tool prints the auth URL with the token");
    assert!(
        line.starts_with("https://www.last.fm/api/auth/?api_key="),
        "{line}"
    );
    // Approve once the tool asks a second time: its first request has then been answered
    // "not approved yet". (A fixed 1.5 s wait would miss that first answer on a machine that
    // takes longer to send the first request.)
    let asked = |s: &MockServer| s.stats().by_method.get("auth.getSession").copied() >= Some(2);
    while !asked(&s) && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(s.approve_token(&token));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{rest}{log}");
    assert!(rest.contains("name=RJ"), "{rest}");
    assert!(
        log.contains("auth.getSession") && log.contains("token=<redacted>"),
        "{log}"
    );
    assert!(!log.contains(&token), "the token leaked into the log");
    assert!(!log.contains(lfm_mock::MOCK_API_SECRET));
    assert!(
        log.contains("[info] auth.getSession: token not approved yet"),
        "{log}"
    );
    assert!(
        !log.contains("[error]"),
        "a pending token is not an error: {log}"
    );
}

/// Run `lfm listen ARGS` with `script` on stdin and a session key; (exit code, stdout, stderr).
fn listen(s: &MockServer, args: &[&str], script: &str) -> (i32, String, String) {
    let mut argv = vec!["listen"];
    argv.extend_from_slice(args);
    let mut child = lfm(s, &argv)
        .env("LFM_SESSION_KEY", s.create_session())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    run_child(child)
}

fn run_child(child: std::process::Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn stored(s: &MockServer) -> Vec<(String, String, i64)> {
    s.scrobbles()
        .into_iter()
        .map(|p| (p.artist, p.track, p.timestamp))
        .collect()
}

#[test]
fn listen_scrobbles_a_piped_session_and_reports_bad_lines() {
    let s = server();
    let dir = std::env::temp_dir().join(format!("lfm-cli-listen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let queue = dir.join("listen.lfmq");
    let q = queue.to_str().unwrap();
    let script = "\
# a player's session, with a simulated clock
play Artist - Full Play 200
advance 100000
play Artist - Skipped 200
advance 30000
pause
advance 600000
resume
stop

play beatles - let it be 4:03
seek 200000
seek 0
advance 60000
bogus line
advance 61500
stop
play Artist - Too Short 25
advance 25000
stop
drain 20000
";
    let (code, out, err) = listen(&s, &["--queue", q, "--simulated-clock"], script);
    assert_eq!(code, 0, "{out}\n{err}");
    // Exactly the plays that count, with the timestamps of their starts: the corrected one
    // started 730 s (of the simulated clock) after the first.
    let got = stored(&s);
    let names: Vec<(&str, &str)> = got
        .iter()
        .map(|(a, t, _)| (a.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        names,
        [("Artist", "Full Play"), ("The Beatles", "Let It Be")]
    );
    assert_eq!(got[1].2 - got[0].2, 730);
    // (Now playing is sent for the latest track only: with the clock simulated, lines
    // come faster than the server answers, so which ones are announced is not asserted.)
    assert!(
        out.contains("scrobbled: beatles - let it be")
            && out.contains(r#"(Last.fm corrected: artist "The Beatles", title "Let It Be")"#),
        "{out}"
    );
    assert!(out.contains("pending: 0"), "{out}");
    assert!(
        !out.contains("queued: Artist - Skipped") && !out.contains("queued: Artist - Too Short")
    );
    assert!(
        err.contains("line 15 ignored: bogus line: unknown event"),
        "{err}"
    );

    // --json, and the end of input drains without a `drain` line. Without
    // --simulated-clock, `advance` is refused and the session goes on.
    let script =
        "play Second - Run 200\nadvance 100000\nplay beatles - Third 200\nadvance 100000\n";
    let (code, out, err) = listen(&s, &["--queue", q, "--json", "--simulated-clock"], script);
    assert_eq!(code, 0, "{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let delivered: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "delivered")
        .collect();
    let titles: Vec<&serde_json::Value> = delivered.iter().map(|e| &e["track"]).collect();
    assert_eq!(titles, ["Run", "Third"], "{out}");
    assert_eq!(delivered[1]["artist"], "beatles");
    assert_eq!(delivered[1]["corrected_artist"], "The Beatles");
    assert!(delivered[0].get("corrected_artist").is_none());
    assert_eq!(stored(&s).len(), 4);
    let (code, _, err) = listen(&s, &["--queue", q], "advance 5\nstop\n");
    assert_eq!(code, 0);
    assert!(
        err.contains("line 1 ignored: advance 5: advance needs --simulated-clock"),
        "{err}"
    );
    let (code, _, err) = listen(&s, &[], "");
    assert_eq!(code, 2);
    assert!(err.contains("listen needs --queue PATH"), "{err}");
}
