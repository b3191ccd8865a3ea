//! Shared by the integration tests (of this crate and, through capi/tests/support, of the C
//! API): start the mock server with the environment variables the C programs read.

#![allow(dead_code)]

pub mod vectors;

use std::path::PathBuf;

use lfm_mock::{MockConfig, MockServer};

/// A loopback port nobody listens on (bound, then released).
pub fn unused_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// A new empty directory under the system temp dir, unique to this process and `name`.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lfm-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
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
