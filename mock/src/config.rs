//! Server configuration.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::tls::TlsFlavor;
use crate::util;

/// Settings for [`MockServer::start`](crate::MockServer::start).
///
/// Construct it with `MockConfig::default()` and override fields
/// (`MockConfig { libre_mode: true, ..Default::default() }`).
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Port of the plain-HTTP listener on 127.0.0.1; 0 picks an ephemeral port.
    pub http_port: u16,
    /// Port of the HTTPS listener on 127.0.0.1; 0 picks an ephemeral port.
    pub https_port: u16,
    /// Directory for `ca.pem` (and `ready`, written by the binary). Created if missing.
    pub state_dir: PathBuf,
    /// The API key requests must carry (ignored in libre mode).
    pub api_key: String,
    /// The shared secret used to verify `api_sig`.
    pub api_secret: String,
    /// Libre.fm mode: any `api_key` is accepted and signatures are not verified.
    pub libre_mode: bool,
    /// Allow `auth.getMobileSession` over plain HTTP (to test the client's own refusal).
    pub allow_insecure_auth: bool,
    /// How long a token from `auth.getToken` stays valid.
    pub token_ttl: Duration,
    /// Which certificate the HTTPS listener presents.
    pub tls_flavor: TlsFlavor,
    /// Log one line per request to stderr.
    pub verbose: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            http_port: 0,
            https_port: 0,
            state_dir: fresh_state_dir(),
            api_key: crate::MOCK_API_KEY.to_string(),
            api_secret: crate::MOCK_API_SECRET.to_string(),
            libre_mode: false,
            allow_insecure_auth: false,
            token_ttl: Duration::from_secs(3600),
            tls_flavor: TlsFlavor::Normal,
            verbose: false,
        }
    }
}

/// A path under the system temp directory that no other mock instance uses
/// (process id, a per-process counter and the clock). The directory is not created here.
fn fresh_state_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "lfm-mock-{}-{}-{}",
        std::process::id(),
        n,
        util::now_nanos()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_state_dirs_are_unique() {
        let a = MockConfig::default();
        let b = MockConfig::default();
        assert_ne!(a.state_dir, b.state_dir);
        assert!(a.state_dir.starts_with(std::env::temp_dir()));
        assert_eq!(a.api_key, crate::MOCK_API_KEY);
    }
}
