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
        "history",
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
    // Approve only once the tool has polled and been told "not approved yet": its second
    // poll comes after the first answer, so that answer was the pending one.
    let polls = || s.stats().by_method.get("auth.getSession").copied();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while polls().unwrap_or(0) < 2 {
        assert!(std::time::Instant::now() < deadline, "no second poll");
        std::thread::sleep(std::time::Duration::from_millis(10));
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
    // drain returns once the listener has printed the deliveries.
    let pending_at = out.find("pending: 0").expect(&out);
    assert_eq!(out.matches("scrobbled: ").count(), 2, "{out}");
    assert!(out.rfind("scrobbled: ").unwrap() < pending_at, "{out}");
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

/// A client of the mock, for its control methods and for setting up plays.
fn control_client(server: &MockServer) -> lfm::Client {
    let client = lfm::Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap();
    client.set_base_url(&server.https_base()).unwrap();
    client.set_ca_file(&server.ca_pem_path()).unwrap();
    client.set_rate_limit(0);
    client
}

fn control(client: &lfm::Client, method: &str, params: &[(&str, &str)]) -> serde_json::Value {
    let body = client.call(method, params, lfm::CallFlags::NONE).unwrap();
    serde_json::from_str(&body).unwrap()
}

type Play = (i64, String, String);

/// (uts, artist, track) of every play the mock serves, newest first.
fn mock_plays(server: &MockServer) -> Vec<Play> {
    server
        .history()
        .into_iter()
        .map(|p| (p.uts, p.artist, p.track))
        .collect()
}

/// Fail `page` of user.getRecentTracks `count` times with Last.fm error `code` (HTTP 503).
fn page_fault(server: &MockServer, page: u64, code: u32, count: u32) {
    server.push_page_fault("user.getRecentTracks", page, code, Some(503), count);
}

/// Records of an RFC 4180 text: quoted fields may hold commas, quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CRLF line ends"),
            (false, '\n') => panic!("a bare LF ends a record"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(field.is_empty() && record.is_empty(), "a torn last record");
    records
}

const CSV_COLUMNS: &str = "timestamp,time,artist,track,album,artist_mbid,track_mbid,album_mbid,url";

/// The plays of a CSV export, checking the header and each row's ISO time.
fn csv_plays(text: &str) -> Vec<Play> {
    let records = parse_csv(text);
    assert_eq!(records[0].join(","), CSV_COLUMNS);
    records[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 9, "{r:?}");
            let uts: i64 = r[0].parse().unwrap();
            assert!(r[1].ends_with('Z') && r[1].len() == 20, "{r:?}");
            let hms = uts.rem_euclid(86_400);
            let time = format!("T{:02}:{:02}:{:02}Z", hms / 3600, hms / 60 % 60, hms % 60);
            assert!(r[1].ends_with(&time), "{r:?}");
            (uts, r[2].clone(), r[3].clone())
        })
        .collect()
}

/// The plays of a JSON-lines export.
fn jsonl_plays(text: &str) -> Vec<Play> {
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                v["date"]["uts"].as_i64().unwrap(),
                v["artist"]["name"].as_str().unwrap().to_string(),
                v["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_file(output: &std::path::Path) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}.lfm-history-state", output.display()))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lfm-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `lfm --rate-limit 0 history RJ ARGS...`.
fn history_cmd(server: &MockServer, args: &[&str]) -> Command {
    let mut all = vec!["--rate-limit", "0", "history", "RJ"];
    all.extend_from_slice(args);
    lfm(server, &all)
}

/// A mock holding `count` generated plays (every `shared_every`-th sharing the second of
/// the one before, a track now playing) and a client to drive it.
fn mock_with_plays(count: &str, shared_every: &str, seed: &str) -> (MockServer, lfm::Client) {
    let s = server();
    let c = control_client(&s);
    let params = [
        ("count", count),
        ("shared_every", shared_every),
        ("now_playing", "1"),
        ("seed", seed),
    ];
    control(&c, "mock.loadPlays", &params);
    (s, c)
}

#[test]
fn history_writes_exactly_the_mocks_plays_in_both_formats_through_transient_errors() {
    let (s, c) = mock_with_plays("1000", "6", "3");
    // Names that CSV must quote, scrobbled through the API (an hour ago, whenever now is).
    c.set_session_key(Some(&s.create_session())).unwrap();
    let hour_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 3600;
    let tricky = lfm::Track {
        artist: "Sigur Rós, \"live\"".into(),
        track: "Hoppípolla, \"2\"".into(),
        timestamp: hour_ago,
        ..lfm::Track::default()
    };
    assert_eq!(c.scrobble(&[tricky]).unwrap().verdicts[0].code, 0);
    let expected = mock_plays(&s);
    assert_eq!(expected.len(), 1001);
    let dir = temp_dir("history");

    // JSON lines to a file, through error 8 on page 3 and 16 (HTTP 503) on page 5.
    page_fault(&s, 3, 8, 1);
    page_fault(&s, 5, 16, 1);
    let asked = |s: &MockServer| {
        s.stats()
            .by_method
            .get("user.getRecentTracks")
            .copied()
            .unwrap_or(0)
    };
    let before = asked(&s);
    let out = dir.join("plays.jsonl");
    let (code, stdout, err) = run(&mut history_cmd(
        &s,
        &["--page-size", "50", "-o", out.to_str().unwrap()],
    ));
    assert_eq!((code, stdout.as_str(), err.as_str()), (0, "", ""));
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(jsonl_plays(&written), expected, "every play once, in order");
    assert!(!state_file(&out).exists(), "the state is removed when done");
    // 21 pages, page 1 asked again without the now-playing slot, two failures retried.
    assert_eq!(asked(&s) - before, 21 + 1 + 2);

    // CSV to standard output, the same plays, the tricky names quoted.
    page_fault(&s, 2, 11, 1);
    let (code, csv, err) = run(&mut history_cmd(
        &s,
        &["--format", "csv", "--page-size", "200"],
    ));
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        csv.contains("\"Sigur Rós, \"\"live\"\"\""),
        "{}",
        &csv[..300]
    );
    assert_eq!(csv_plays(&csv), expected);

    // Inclusive bounds, as Unix seconds and as an ISO time.
    let (from, to) = (1_600_018_000, 1_600_027_000);
    let (code, csv, err) = run(&mut history_cmd(
        &s,
        &[
            "--format=csv",
            "--from",
            "1600018000",
            "--to",
            "2020-09-13T19:56:40Z",
        ],
    ));
    assert_eq!((code, err.as_str()), (0, ""));
    let window: Vec<Play> = expected
        .iter()
        .filter(|p| (from..=to).contains(&p.0))
        .cloned()
        .collect();
    assert!(window.first().unwrap().0 == to && window.last().unwrap().0 == from);
    assert_eq!(csv_plays(&csv), window);

    // Usage errors.
    for args in [
        &["history"][..],
        &["history", "RJ", "--resume"],
        &["history", "RJ", "--from", "2023-02-29"],
        &["history", "RJ", "--format", "xml"],
        &["history", "RJ", "extra"],
        &["history", "RJ", "--page-size", "1"],
        &["history", "RJ", "--page-size", "201"],
    ] {
        let (code, _, err) = run(&mut lfm(&s, args));
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn history_resumes_after_being_killed_without_gap_or_repeat() {
    let (s, c) = mock_with_plays("600", "4", "5");
    let expected = mock_plays(&s);
    // Page 12 fails as many times as the tool tries: the run cannot pass it, so it is
    // killed mid-way whatever the machine's speed.
    page_fault(&s, 12, 16, 6);
    let dir = temp_dir("resume");
    let out = dir.join("plays.csv");
    let state = state_file(&out);
    let args = [
        "--format",
        "csv",
        "--page-size",
        "20",
        "-o",
        out.to_str().unwrap(),
    ];
    let mut child = history_cmd(&s, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the state says pages 1-11 are written (the run is then stuck at 12).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let next = std::fs::read_to_string(&state)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["pager"]["page"].as_u64());
        if next == Some(12) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = std::fs::read_to_string(&out).unwrap();
    let got = csv_plays(&partial);
    assert_eq!(got.len(), 11 * 20, "pages 1-11 written");
    assert_eq!(got[..], expected[..220]);

    // What a crash can leave after the last save: a whole line of the next page and a
    // torn one.
    let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    write!(
        f,
        "1600000000,2020-09-13T12:26:40Z,Cher,Believe,Believe,,,,u\r\n1600000000,2020-"
    )
    .unwrap();
    drop(f);
    // Use up what is left of the fault (the killed run took some of it).
    let mut tries = 0;
    while c
        .call(
            "user.getRecentTracks",
            &[("user", "RJ"), ("limit", "20"), ("page", "12")],
            lfm::CallFlags::NONE,
        )
        .is_err()
    {
        tries += 1;
        assert!(tries <= 6);
    }
    // A second export into the same file is refused while the state exists.
    let (code, _, err) = run(&mut history_cmd(&s, &args));
    assert_eq!(code, 1);
    assert!(err.contains("--resume"), "{err}");

    let resume = ["-o", out.to_str().unwrap(), "--resume"];
    let (code, _, err) = run(&mut history_cmd(&s, &resume));
    assert_eq!((code, err.as_str()), (0, ""));
    let whole = std::fs::read_to_string(&out).unwrap();
    assert!(
        whole.starts_with(&partial),
        "the saved part is kept as it was"
    );
    assert_eq!(csv_plays(&whole), expected, "no gap, no repeat");
    assert!(!state.exists());
    // Nothing left to resume.
    let (code, _, err) = run(&mut history_cmd(&s, &resume));
    assert_eq!(code, 1);
    assert!(err.contains("cannot resume"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
