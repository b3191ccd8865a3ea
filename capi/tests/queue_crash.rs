//! Kill a C program that pushes and flushes with SIGKILL at random points, hundreds of
//! times, then prove that every play whose push returned LFM_OK arrived at the server
//! exactly once, and that nothing arrived that was never pushed. The kill points follow the
//! program's progress (its output lines), not the clock, so a slow machine gets the same mix
//! of kills as a fast one, and a fast one cannot push more plays than the count allows.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{compile, fresh_dir, now, MockEnv, C_FLAGS, PLAY_WINDOW_SECS};

/// This many kills.
const ROUNDS: usize = 300;
/// A round waits for up to this many output lines (a `try` and an `ok` per push, a flush
/// every 5 pushes) before its kill.
const MAX_LINES: u64 = 100;

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let env = MockEnv::start();
    let exe = compile("tests/c/queue_crash.c", "cc", C_FLAGS);
    let dir = fresh_dir("crash");
    let session = env.server.create_session();
    let now = now();
    let mut vars = env.vars();
    vars.push((
        "LFM_QUEUE_PATH".into(),
        dir.join("q.lfmq").display().to_string(),
    ));
    vars.push(("LFM_SESSION_KEY".into(), session));
    // Play N is stamped play_time(now - 60, N) by the C program.
    vars.push(("LFM_CRASH_NEWEST_TIME".into(), (now - 60).to_string()));

    let seed = std::env::var("LFM_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(now as u64);
    println!("seed {seed} (replay with LFM_CRASH_SEED={seed})");
    let mut rng = Lcg(seed);
    let mut tried = BTreeSet::new();
    let mut acked = BTreeSet::new();
    // Start 3,000 plays before the stamps wrap (play_time), as a machine fast enough to push
    // that many would: the run crosses the wrap, and every stamp must still be accepted.
    let mut next_index = PLAY_WINDOW_SECS - 3_000;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .arg(next_index.to_string())
            .envs(vars.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn queue_crash");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut out = String::new();
        if rng.next(4) == 0 {
            // A kill early on, often while the queue is opened (recovering the journal the
            // last kill left).
            std::thread::sleep(Duration::from_millis(rng.next(30)));
        } else {
            // A kill after some pushes, up to 2 ms past a line: inside a push or a flush.
            let lines = 1 + rng.next(MAX_LINES);
            for _ in 0..lines {
                if stdout.read_line(&mut out).unwrap() == 0 {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(rng.next(2000)));
        }
        child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
        child.wait().unwrap();
        stdout.read_to_string(&mut out).unwrap();
        for line in out.lines() {
            match line.split_once(' ') {
                Some(("try", n)) => {
                    let n: u64 = n.parse().unwrap();
                    tried.insert(n);
                    next_index = next_index.max(n + 1);
                }
                Some(("ok", n)) => {
                    acked.insert(n.parse::<u64>().unwrap());
                }
                _ => {}
            }
        }
    }
    // Let the last process's plays through: a clean run that drains the queue.
    let drain = Command::new(&exe)
        .arg("drain")
        .envs(vars.iter().cloned())
        .output()
        .unwrap();
    assert!(
        drain.status.success(),
        "drain failed: {}",
        String::from_utf8_lossy(&drain.stderr)
    );

    let stored: Vec<u64> = env
        .server
        .scrobbles()
        .iter()
        .filter_map(|s| {
            s.track
                .strip_prefix("Crash play ")
                .map(|n| n.parse().unwrap())
        })
        .collect();
    let stored_set: BTreeSet<u64> = stored.iter().copied().collect();
    println!(
        "{ROUNDS} kills in {:.1} s: {} pushes attempted, {} acknowledged, {} stored, {} scrobble requests",
        started.elapsed().as_secs_f64(),
        tried.len(),
        acked.len(),
        stored_set.len(),
        env.server.stats().by_method.get("track.scrobble").copied().unwrap_or(0)
    );
    assert!(
        acked.len() >= 100,
        "only {} plays were acknowledged",
        acked.len()
    );
    // The mock stores each play once however often it is sent; the stored list has no repeats.
    assert_eq!(stored.len(), stored_set.len());
    let lost: Vec<_> = acked.difference(&stored_set).collect();
    assert!(lost.is_empty(), "acknowledged plays lost: {lost:?}");
    let invented: Vec<_> = stored_set.difference(&tried).collect();
    assert!(
        invented.is_empty(),
        "plays stored that were never pushed: {invented:?}"
    );
}
