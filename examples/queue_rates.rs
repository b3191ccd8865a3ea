//! Measures the durable queue's push rate and the flush rate against the mock server.
//!
//!     cargo run --release --example queue_rates [PLAYS]
//!
//! Push: each push is one append and one fdatasync (what "durable" costs on this disk).
//! Flush: PLAYS plays in requests of 50 to the mock over HTTPS on loopback, each request's
//! verdicts made durable before the next. Figures vary with the disk and the machine; the
//! issue 9 benchmarks compare them with baselines measured in the same run.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lfm::{Client, Queue, Track};
use lfm_mock::{MockConfig, MockServer};

fn main() {
    let plays: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let server = MockServer::start(MockConfig::default()).expect("mock");
    let client = Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap();
    client.set_base_url(&server.https_base()).unwrap();
    client.set_ca_file(&server.ca_pem_path()).unwrap();
    client.set_rate_limit(0);
    client
        .set_session_key(Some(&server.create_session()))
        .unwrap();

    let dir = std::env::temp_dir().join(format!("lfm-queue-rates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let queue = Queue::open(&dir.join("q.lfmq")).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let start = Instant::now();
    for i in 0..plays {
        let track = Track {
            artist: format!("Rate artist {}", i % 50),
            track: format!("Rate play {i}"),
            album: Some("Benchmarks".into()),
            timestamp: now - plays as i64 - 60 + i as i64,
            duration_secs: 200,
            ..Track::default()
        };
        queue.push(&track).unwrap();
    }
    let push_secs = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let outcome = queue.flush(&client);
    let flush_secs = start.elapsed().as_secs_f64();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.sent, plays);
    assert_eq!(server.scrobbles().len(), plays);

    println!(
        "durable push: {plays} plays in {push_secs:.3} s = {:.0} plays/s ({:.0} us each)",
        plays as f64 / push_secs,
        push_secs * 1e6 / plays as f64
    );
    println!("flush:        {plays} plays in {flush_secs:.3} s = {:.0} plays/s ({} requests of up to 50)", plays as f64 / flush_secs, plays.div_ceil(50));
    std::fs::remove_dir_all(&dir).ok();
}
