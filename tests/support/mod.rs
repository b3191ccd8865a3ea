//! Shared by the integration tests: build the C libraries once, and start the mock server
//! with the environment variables the C programs read.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use lfm_mock::{MockConfig, MockServer};

/// Where `cargo build` put liblfm.so and liblfm.a.
pub struct Library {
    pub dir: PathBuf,
}

/// Build the library's C artifacts (debug profile) once per test binary.
pub fn build_library() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "-p", "lfm", "--lib", "--message-format=json"])
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let so = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "lfm")
            .flat_map(|m| {
                m["filenames"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|f| f.as_str().map(PathBuf::from))
            })
            .find(|p| p.extension().is_some_and(|e| e == "so"))
            .expect("cargo build produced liblfm.so");
        Library {
            dir: so.parent().unwrap().to_path_buf(),
        }
    })
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
