//! Concurrency soak: 16 threads share one client and one queue for a bounded time
//! (LFM_SOAK_SECS, default 10; 30 for the full run), mixing unsigned and signed calls,
//! setters (timeout, user agent, rate limit off, max batch), now-playing, direct scrobbles,
//! and queue pushes and flushes. Proves: no deadlock (a watchdog: a minute in which no thread
//! finishes and the mock sees no request, longer than any request's timeout), every acknowledged
//! push arrives at the mock exactly once, nothing arrives that was not sent, and the mock's
//! counters equal what the threads counted.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lfm::{CallFlags, Client, Queue, Track};
use support::{fresh_dir, now, play_time, MockEnv, PLAY_WINDOW_SECS};

const THREADS: usize = 16;

#[derive(Default)]
struct Counts {
    get_info: AtomicU64,
    love: AtomicU64,
    now_playing: AtomicU64,
    direct_accepted: AtomicU64,
    setters: AtomicU64,
    flushes: AtomicU64,
    flushed_sent: AtomicU64,
}

/// The soak stamps its plays with `play_time`: however many plays a machine makes in the
/// soak's time, each is in the past and inside the 14 days the mock accepts, and the first
/// `PLAY_WINDOW_SECS` of them are unique. (Stamping `now - 6 h + n` failed on a machine that
/// made more than 22,500 plays in 10 s: the mock ignored the later ones as too new.)
#[test]
fn play_times_stay_accepted_however_many_plays() {
    let newest = now() - 60;
    let accepted = |ts: i64| ts <= now() && ts > now() - 14 * 86_400;
    for n in [
        0,
        1,
        22_500,
        1_000_000,
        PLAY_WINDOW_SECS - 1,
        PLAY_WINDOW_SECS,
        u64::MAX,
    ] {
        let ts = play_time(newest, n);
        assert!(accepted(ts), "play {n} stamped {ts}, now {}", now());
    }
    let mut seen = std::collections::HashSet::new();
    for n in 0..PLAY_WINDOW_SECS {
        assert!(
            seen.insert(play_time(newest, n)),
            "play {n} repeats a stamp"
        );
    }
}

#[test]
fn sixteen_threads_share_one_client_and_one_queue() {
    let secs: u64 = std::env::var("LFM_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let env = MockEnv::start();
    let client = Arc::new(Client::new(lfm_mock::MOCK_API_KEY, lfm_mock::MOCK_API_SECRET).unwrap());
    client.set_base_url(&env.server.https_base()).unwrap();
    client.set_ca_file(&env.server.ca_pem_path()).unwrap();
    client.set_rate_limit(0);
    client.set_timeout(Duration::from_secs(20)).unwrap();
    client
        .set_session_key(Some(&env.server.create_session()))
        .unwrap();
    let dir = fresh_dir("soak");
    let queue = Arc::new(Queue::open(&dir.join("soak.lfmq")).unwrap());
    let counts = Arc::new(Counts::default());
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    // Every play's timestamp is in the past and within 13 days (see play_time).
    let newest = now() - 60;
    let stamp = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let stop_at = started + Duration::from_secs(secs);
    let (done_tx, done_rx) = mpsc::channel();
    for t in 0..THREADS {
        let (client, queue, counts, acked, errors, stamp, done_tx) = (
            client.clone(),
            queue.clone(),
            counts.clone(),
            acked.clone(),
            errors.clone(),
            stamp.clone(),
            done_tx.clone(),
        );
        std::thread::spawn(move || {
            let mut i = 0u64;
            let fail = |what: String| errors.lock().unwrap().push(what);
            let play = |artist: &str, title: String| Track {
                artist: artist.into(),
                track: title,
                timestamp: play_time(newest, stamp.fetch_add(1, Ordering::Relaxed)),
                duration_secs: 200,
                ..Default::default()
            };
            while Instant::now() < stop_at {
                i += 1;
                match (t + i as usize) % 8 {
                    0 => match client.call("user.getInfo", &[("user", "RJ")], CallFlags::NONE) {
                        Ok(_) => drop(counts.get_info.fetch_add(1, Ordering::Relaxed)),
                        Err(e) => fail(format!("t{t} getInfo: {e}")),
                    },
                    1 => match client.call(
                        "track.love",
                        &[("artist", "Soak"), ("track", "Love ✓ +&=%")],
                        CallFlags::WRITE,
                    ) {
                        Ok(_) => drop(counts.love.fetch_add(1, Ordering::Relaxed)),
                        Err(e) => fail(format!("t{t} love: {e}")),
                    },
                    2 => {
                        let r = match i % 4 {
                            0 => client.set_timeout(Duration::from_secs(15 + i % 10)),
                            1 => client.set_user_agent(&format!("soak/{t}.{i}")),
                            2 => {
                                client.set_rate_limit(0);
                                Ok(())
                            }
                            _ => client.set_max_batch(1 + (i % 50) as u32),
                        };
                        match r {
                            Ok(()) => drop(counts.setters.fetch_add(1, Ordering::Relaxed)),
                            Err(e) => fail(format!("t{t} setter: {e}")),
                        }
                    }
                    3 => match client.update_now_playing(&play("Soak now", format!("t{t}-{i}"))) {
                        Ok(()) => drop(counts.now_playing.fetch_add(1, Ordering::Relaxed)),
                        Err(e) => fail(format!("t{t} now playing: {e}")),
                    },
                    4 => {
                        let tracks: Vec<Track> = (0..1 + i % 3)
                            .map(|k| play("Soak direct", format!("t{t}-{i}-{k}")))
                            .collect();
                        match client.scrobble(&tracks) {
                            Ok(r) if r.accepted() == tracks.len() => {
                                counts
                                    .direct_accepted
                                    .fetch_add(r.accepted() as u64, Ordering::Relaxed);
                            }
                            Ok(r) => fail(format!("t{t} scrobble: {:?}", r.verdicts)),
                            Err(e) => fail(format!("t{t} scrobble: {e}")),
                        }
                    }
                    7 => {
                        let outcome = queue.flush(&client);
                        counts.flushes.fetch_add(1, Ordering::Relaxed);
                        counts
                            .flushed_sent
                            .fetch_add(outcome.sent as u64, Ordering::Relaxed);
                        if let Some(e) = outcome.error {
                            fail(format!("t{t} flush: {e}"));
                        }
                        if outcome.rejected != 0 {
                            fail(format!("t{t} flush rejected {}", outcome.rejected));
                        }
                    }
                    _ => {
                        let title = format!("t{t}-{i}");
                        match queue.push(&play("Soak queued", title.clone())) {
                            Ok(true) => drop(acked.lock().unwrap().insert(title)),
                            Ok(false) => fail(format!("t{t} push {title}: seen as a duplicate")),
                            Err(e) => fail(format!("t{t} push {title}: {e}")),
                        }
                    }
                }
            }
            done_tx.send(t).unwrap();
        });
    }
    drop(done_tx);
    // The watchdog: a deadlocked thread never reports. A live one may still be in a long
    // flush when the soak ends (many plays at a batch size of 1; longer on a slow machine),
    // but then the mock keeps seeing requests, each bounded by the client's timeout (at most
    // 24 s here). So only a minute without any progress is a deadlock.
    const STALL: Duration = Duration::from_secs(60);
    let mut finished = BTreeSet::new();
    let mut requests = env.server.stats().requests;
    let mut progress_at = Instant::now();
    while finished.len() < THREADS {
        let running = |finished: &BTreeSet<usize>| {
            (0..THREADS)
                .filter(|t| !finished.contains(t))
                .collect::<Vec<_>>()
        };
        match done_rx.recv_timeout(Duration::from_secs(1)) {
            Ok(t) => {
                finished.insert(t);
                progress_at = Instant::now();
            }
            Err(RecvTimeoutError::Timeout) => {
                let now_requests = env.server.stats().requests;
                if now_requests != requests {
                    requests = now_requests;
                    progress_at = Instant::now();
                } else if Instant::now() > stop_at && progress_at.elapsed() >= STALL {
                    panic!(
                        "deadlock: threads {:?} still running and no request for {STALL:?}",
                        running(&finished)
                    );
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("threads {:?} ended without reporting", running(&finished))
            }
        }
    }
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.is_empty(),
        "{} failures:\n{}",
        errors.len(),
        errors.join("\n")
    );

    // Deliver whatever is still queued.
    for _ in 0..20 {
        if queue.pending_count() == 0 {
            break;
        }
        let outcome = queue.flush(&client);
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        counts
            .flushed_sent
            .fetch_add(outcome.sent as u64, Ordering::Relaxed);
    }
    assert_eq!(queue.pending_count(), 0);

    let acked = acked.lock().unwrap().clone();
    let stored = env.server.scrobbles();
    let mut queued_arrivals: BTreeMap<String, usize> = BTreeMap::new();
    let mut direct = 0u64;
    for s in &stored {
        match s.artist.as_str() {
            "Soak queued" => *queued_arrivals.entry(s.track.clone()).or_default() += 1,
            "Soak direct" => direct += 1,
            other => panic!("unexpected scrobble by {other}"),
        }
    }
    let twice: Vec<_> = queued_arrivals.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let arrived: BTreeSet<String> = queued_arrivals.keys().cloned().collect();
    let lost: Vec<_> = acked.difference(&arrived).collect();
    let invented: Vec<_> = arrived.difference(&acked).collect();
    assert!(
        lost.is_empty(),
        "acknowledged pushes never arrived: {lost:?}"
    );
    assert!(
        invented.is_empty(),
        "arrived but never acknowledged: {invented:?}"
    );

    let stats = env.server.stats();
    let by = |m: &str| stats.by_method.get(m).copied().unwrap_or(0);
    let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "{THREADS} threads, {:.1} s: {} getInfo, {} love, {} now playing, {} setters, \
         {} direct scrobbles, {} pushes acknowledged, {} flushes ({} plays sent), \
         {} scrobble requests, {} connections",
        (Instant::now() - started).as_secs_f64(),
        c(&counts.get_info),
        c(&counts.love),
        c(&counts.now_playing),
        c(&counts.setters),
        c(&counts.direct_accepted),
        acked.len(),
        c(&counts.flushes),
        c(&counts.flushed_sent),
        by("track.scrobble"),
        stats.connections
    );
    assert_eq!(by("user.getInfo"), c(&counts.get_info));
    assert_eq!(by("track.love"), c(&counts.love));
    assert_eq!(by("track.updateNowPlaying"), c(&counts.now_playing));
    assert_eq!(stats.now_playing, c(&counts.now_playing));
    assert_eq!(direct, c(&counts.direct_accepted));
    assert_eq!(c(&counts.flushed_sent), acked.len() as u64);
    assert_eq!(stats.scrobbles_stored, direct + acked.len() as u64);
    assert!(!acked.is_empty() && direct > 0, "the soak did too little");
}
