//! `queue_loader`: any bytes as a queue journal. `journal::parse` never panics and reports
//! consistent damage; `Queue::open` on a file holding the bytes (in a private temp dir)
//! never panics and either refuses cleanly or loads; a queue that loads reopens with the
//! same plays (whatever it rewrote on open).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use lfm::queue::journal;
use lfm::Queue;
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        base.join(format!("lfm-fuzz-queue-{}", std::process::id()))
    })
}

fn plays(q: &Queue) -> Vec<(String, String, i64, bool)> {
    let mut v: Vec<_> = q
        .entries()
        .into_iter()
        .map(|e| {
            let pending = e.state == lfm::queue::EntryState::Pending;
            (e.track.artist, e.track.track, e.track.timestamp, pending)
        })
        .collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let parsed = journal::parse(data);
    let lines = data.split(|b| *b == b'\n').count();
    assert!(parsed.damaged_lines.windows(2).all(|w| w[0] < w[1]));
    assert!(parsed.damaged_lines.iter().all(|l| *l >= 1 && *l <= lines));
    assert_eq!(parsed.torn_tail, !data.is_empty() && !data.ends_with(b"\n"));

    let dir = dir();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("q.lfmq");
    std::fs::write(&path, data).unwrap();
    let first = match Queue::open(&path) {
        Ok(q) => {
            let p = plays(&q);
            assert_eq!(p.iter().filter(|e| e.3).count(), q.pending_count());
            let _ = q.damage().report();
            p
        }
        Err(e) => {
            assert!(matches!(
                e.status(),
                lfm::Status::InvalidArgument | lfm::Status::Io
            ));
            return;
        }
    };
    let q = Queue::open(&path).expect("a queue that opened once reopens");
    assert_eq!(plays(&q), first, "plays changed across a reopen");
});
