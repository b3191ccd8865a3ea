//! Shared by the integration tests (of this crate and, through capi/tests/support, of the C
//! API): start the mock server with the environment variables the C programs read.

#![allow(dead_code)]

pub mod vectors;

use std::path::PathBuf;

use lfm_mock::{MockConfig, MockServer};

/// The time now, UTC Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The time this test process first asked, in UTC Unix seconds, then the same value for the
/// whole run: plays stamped from it stay equal however long the test takes (a play pushed
/// twice across a second boundary is still the same play).
pub fn run_start() -> i64 {
    static START: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *START.get_or_init(now)
}

/// A loopback port nobody listens on (bound, then released).
pub fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// Read an HTTP request head (up to and including the blank line) byte by byte, so that
/// nothing after it is consumed; lossy UTF-8.
pub fn read_head(stream: &mut impl std::io::Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).to_string()
}

/// A new empty directory under the system temp dir, unique to this process and `name`.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lfm-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// How far back [`play_time`] spreads plays: 13 days, a day inside the 14 that Last.fm (and
/// the mock) accept, so a run may last up to a day. tests/c/queue_crash.c uses the same.
pub const PLAY_WINDOW_SECS: u64 = 13 * 86_400;

/// The timestamp of the `n`th play of a loop that runs for a time rather than a count (the
/// soak, the crash test): `n` seconds before `newest`, wrapping after [`PLAY_WINDOW_SECS`].
/// Never after `newest` and never older than the window, however many plays a fast machine
/// makes; unique for the first `PLAY_WINDOW_SECS` plays (after that, tests tell plays
/// apart by their titles, which the queue's and the mock's de-duplication key includes).
pub fn play_time(newest: i64, n: u64) -> i64 {
    newest - (n % PLAY_WINDOW_SECS) as i64
}

/// A running mock server and the environment that points a C program at it.
pub struct MockEnv {
    pub server: MockServer,
}

impl MockEnv {
    pub fn start() -> MockEnv {
        MockEnv::start_with(MockConfig::default())
    }

    pub fn start_with(config: MockConfig) -> MockEnv {
        MockEnv {
            server: MockServer::start(config).expect("start the mock server"),
        }
    }

    /// A client of the mock over HTTPS (its CA trusted), without pacing: tests make many
    /// calls, and pacing has tests of its own.
    pub fn client(&self) -> lfm::Client {
        let client =
            lfm::Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).expect("client");
        client
            .set_base_url(&self.server.https_base())
            .expect("base URL");
        client
            .set_ca_file(&self.server.ca_pem_path())
            .expect("CA file");
        client.set_rate_limit(0);
        client
    }

    /// [`MockEnv::client`] holding a live session key.
    pub fn session_client(&self) -> lfm::Client {
        let client = self.client();
        client
            .set_session_key(Some(&self.server.create_session()))
            .expect("session key");
        client
    }

    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("LFM_BASE_URL".into(), self.server.https_base()),
            ("LFM_HTTP_BASE_URL".into(), self.server.http_base()),
            (
                "LFM_CA_FILE".into(),
                self.server.ca_pem_path().display().to_string(),
            ),
            ("LFM_API_KEY".into(), lfm_mock::MOCK_API_KEY.into()),
            ("LFM_API_SECRET".into(), lfm_mock::MOCK_API_SECRET.into()),
            ("LFM_USERNAME".into(), lfm_mock::MOCK_USERNAME.into()),
            ("LFM_EMAIL".into(), lfm_mock::MOCK_EMAIL.into()),
            ("LFM_PASSWORD".into(), lfm_mock::MOCK_PASSWORD.into()),
        ]
    }
}
