//! The scrobbler engine against the mock server, with an injected clock: real play
//! sequences, outages, rate limits, the daily limit, session loss, a hung server, and plays
//! left in the queue file for the next scrobbler.
//!
//! The injected clock starts a day before the real time (the mock checks timestamps against
//! its own clock) and moves only when a test advances it; the worker re-reads it every
//! 50 ms of real time, so waits below are for the worker to catch up, never for a deadline.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lfm::scrobbler::{Corrections, Event, EventKind, Scrobbler, UnknownDuration};
use lfm::{Client, Track};
use lfm_mock::Fault;
use support::MockEnv;

const S: i64 = 1000;
const MIN: i64 = 60 * S;
const HOUR: i64 = 60 * MIN;

/// The longest a test waits for the worker to catch up (real time; generous).
const PATIENCE: Duration = Duration::from_secs(30);

struct Harness {
    env: MockEnv,
    client: Arc<Client>,
    clock: Arc<AtomicI64>,
    events: Arc<Mutex<Vec<Event>>>,
    path: PathBuf,
}

fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn song(title: &str, duration_secs: u32) -> Track {
    Track {
        artist: "Artist".into(),
        track: title.into(),
        album: Some("Album".into()),
        duration_secs,
        ..Track::default()
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Harness {
    fn new(name: &str) -> Harness {
        let env = MockEnv::start();
        let client = Arc::new(env.session_client());
        // A whole second plus 250 ms: timestamps are the start's second.
        let start = (real_now_ms() - 24 * HOUR) / 1000 * 1000 + 250;
        Harness {
            env,
            client,
            clock: Arc::new(AtomicI64::new(start)),
            events: Arc::new(Mutex::new(Vec::new())),
            path: support::fresh_dir(name).join("queue.lfmq"),
        }
    }

    /// A scrobbler on this harness's client, clock, queue file and event log.
    fn scrobbler(&self) -> Arc<Scrobbler> {
        let s = Arc::new(Scrobbler::new(Arc::clone(&self.client), &self.path).unwrap());
        let clock = Arc::clone(&self.clock);
        s.set_clock(Some(Box::new(move || clock.load(Ordering::SeqCst))));
        let events = Arc::clone(&self.events);
        // The listener calls back into the scrobbler: it must not deadlock.
        let me: Arc<OnceLock<Weak<Scrobbler>>> = Arc::new(OnceLock::new());
        let me_in_listener = Arc::clone(&me);
        s.set_listener(Some(Box::new(move |e: &Event| {
            if let Some(s) = me_in_listener.get().and_then(Weak::upgrade) {
                let _ = s.pending();
            }
            events.lock().unwrap().push(e.clone());
        })));
        me.set(Arc::downgrade(&s)).unwrap();
        s
    }

    fn now(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    fn events_of(&self, kind: EventKind) -> Vec<Event> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    fn wait_events(&self, kind: EventKind, n: usize) -> Vec<Event> {
        wait_until(&format!("{n} {kind:?} events"), || {
            self.events_of(kind).len() >= n
        });
        self.events_of(kind)
    }

    /// (title, timestamp) of every scrobble the server stored, in arrival order.
    fn stored(&self) -> Vec<(String, i64)> {
        self.env
            .server
            .scrobbles()
            .into_iter()
            .map(|s| (s.track, s.timestamp))
            .collect()
    }

    fn scrobble_requests(&self) -> u64 {
        self.env
            .server
            .stats()
            .by_method
            .get("track.scrobble")
            .copied()
            .unwrap_or(0)
    }

    /// Point the client at a port nobody listens on; returns the mock's URL.
    fn network_down(&self) -> String {
        let base = self.client.base_url();
        let dead = format!("https://127.0.0.1:{}/2.0/", support::unused_port());
        self.client.set_base_url(&dead).unwrap();
        base
    }

    /// Play `n` 200 s tracks titled `prefix i`, each for `each_ms` (due at 100 s); returns
    /// the (title, timestamp) each play counts as.
    fn play_through(
        &self,
        s: &Scrobbler,
        prefix: &str,
        n: usize,
        each_ms: i64,
    ) -> Vec<(String, i64)> {
        let mut plays = Vec::new();
        for i in 0..n {
            let title = format!("{prefix} {i}");
            plays.push((title.clone(), secs(self.now())));
            s.play(&song(&title, 200)).unwrap();
            self.advance(each_ms);
        }
        plays
    }

    /// The worker has had time for several polls: a lower bound, used only to show that
    /// something does NOT happen (a slow machine can only make such a check weaker).
    fn let_the_worker_poll(&self) {
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

#[test]
fn a_scripted_session_stores_exactly_the_plays_that_count() {
    let h = Harness::new("session");
    let s = h.scrobbler();
    let mut expected = Vec::new();

    // A full play: due at half its duration.
    let a = h.now();
    s.play(&song("Full", 200)).unwrap();
    // Announced before anything else happens: the next play or a stop would replace or
    // cancel a now playing the sender has not taken yet.
    h.wait_events(EventKind::NowPlaying, 1);
    h.advance(100 * S);
    expected.push(("Full".to_string(), secs(a)));
    h.wait_events(EventKind::Delivered, 1);
    h.advance(100 * S);

    // Paused for an hour in the middle: once, with its start time.
    let b = h.now();
    s.play(&song("Paused", 200)).unwrap();
    h.advance(50 * S);
    s.pause().unwrap();
    h.advance(HOUR);
    h.let_the_worker_poll();
    assert_eq!(
        h.events_of(EventKind::Queued).len(),
        1,
        "pause time counted"
    );
    s.resume().unwrap();
    h.advance(50 * S);
    expected.push(("Paused".to_string(), secs(b)));
    h.wait_events(EventKind::Delivered, 2);
    h.advance(100 * S);

    // A skip at 20 %, then a 25 s track played through: neither counts.
    s.play(&song("Skipped", 200)).unwrap();
    h.advance(40 * S);
    s.play(&song("Short", 25)).unwrap();
    h.advance(25 * S);
    s.stop().unwrap();
    h.advance(HOUR);

    // Repeat-one three times: three plays, three timestamps.
    for _ in 0..3 {
        expected.push(("Loop".to_string(), secs(h.now())));
        s.play(&song("Loop", 180)).unwrap();
        h.advance(180 * S);
    }
    s.stop().unwrap();

    // Seeking back and forth: one play.
    let f = h.now();
    s.play(&song("Seeked", 200)).unwrap();
    h.advance(10 * S);
    s.seek(150_000).unwrap();
    h.advance(10 * S);
    s.seek(0).unwrap();
    h.advance(80 * S);
    expected.push(("Seeked".to_string(), secs(f)));
    h.wait_events(EventKind::Queued, 6);
    s.seek(0).unwrap();
    h.advance(200 * S);
    s.stop().unwrap();

    assert_eq!(s.drain(PATIENCE), 0);
    assert_eq!(h.stored(), expected);
    // drain() returns once the verdicts are in the queue; the worker reports them after
    // writing the queue file (fdatasync), which a busy disk can make take a while.
    let delivered: Vec<(String, i64)> = h
        .wait_events(EventKind::Delivered, expected.len())
        .into_iter()
        .map(|e| {
            let t = e.track.unwrap();
            (t.track, t.timestamp)
        })
        .collect();
    assert_eq!(delivered, expected);
    assert!(h
        .events_of(EventKind::NowPlaying)
        .iter()
        .any(|e| e.code == 0 && e.track.is_some()));
    for kind in [
        EventKind::Rejected,
        EventKind::Deferred,
        EventKind::AuthLost,
    ] {
        assert!(h.events_of(kind).is_empty(), "{kind:?}");
    }
    // The durations sent: 200 s as is, none for the 25 s track's now playing.
    assert!(h
        .env
        .server
        .scrobbles()
        .iter()
        .all(|s| s.duration == Some(if s.track == "Loop" { 180 } else { 200 })));
}

#[test]
fn plays_queued_through_an_outage_are_delivered_without_any_player_call() {
    let h = Harness::new("outage");
    let s = h.scrobbler();
    let base = h.network_down();
    let expected = h.play_through(&s, "Offline", 10, 200 * S);
    s.stop().unwrap();
    h.wait_events(EventKind::Queued, 10);
    let deferred = h.wait_events(EventKind::Deferred, 1);
    assert!(deferred
        .iter()
        .all(|e| e.retry_after_ms > 0 && e.track.is_none()));
    // With the clock standing still, the back-off allows no new attempt.
    h.let_the_worker_poll();
    let attempts = h.events_of(EventKind::Deferred).len();
    h.let_the_worker_poll();
    assert_eq!(
        h.events_of(EventKind::Deferred).len(),
        attempts,
        "no back-off"
    );
    assert_eq!(s.pending(), 10);
    assert!(h.stored().is_empty());

    // The network comes back; only time passes, no player call.
    h.client.set_base_url(&base).unwrap();
    h.advance(HOUR);
    wait_until("the ten plays", || h.stored().len() == 10);
    assert_eq!(h.stored(), expected);
    assert_eq!(s.drain(PATIENCE), 0);
}

#[test]
fn rate_limit_and_daily_limit_defer_then_deliver_by_the_injected_clock() {
    let h = Harness::new("limits");
    let s = h.scrobbler();
    s.play(&song("Limited", 200)).unwrap();
    // The now playing goes first; the fault is for the scrobble.
    h.wait_events(EventKind::NowPlaying, 1);
    h.env.server.push_fault_for(
        "track.scrobble",
        Fault::ApiError {
            code: 29,
            http: None,
        },
        1,
    );
    h.advance(100 * S);
    let deferred = h.wait_events(EventKind::Deferred, 1);
    assert_eq!(deferred[0].code, 29);
    // Client back-off for 29: 30 s with ±20 % jitter, never shortened by the scrobbler.
    let wait = deferred[0].retry_after_ms;
    assert!((24 * S..=36 * S + 7_200).contains(&wait), "{wait}");
    h.advance(wait - S);
    h.let_the_worker_poll();
    assert_eq!(h.scrobble_requests(), 1, "retried before the wait was over");
    h.advance(S);
    wait_until("the rate-limited play", || h.stored().len() == 1);

    // The daily limit: deferred to the next midnight UTC by the injected clock.
    h.env
        .server
        .push_fault(Fault::DailyLimit { remaining: 0 }, 1);
    s.play(&song("Over the limit", 200)).unwrap();
    h.advance(100 * S);
    let deferred = h.wait_events(EventKind::Deferred, 2);
    let at = h.now();
    let to_midnight = 86_400_000 - at.rem_euclid(86_400_000);
    let wait = deferred[1].retry_after_ms;
    assert!(
        (to_midnight..=to_midnight + 2 * MIN).contains(&wait),
        "{wait} vs {to_midnight}"
    );
    assert_eq!(s.pending(), 1);
    // Midnight comes (the mock's limit is lifted by a reset, which also ends sessions).
    let before = h.stored();
    h.env.server.reset();
    h.client
        .set_session_key(Some(&h.env.server.create_session()))
        .unwrap();
    h.advance(wait - S);
    h.let_the_worker_poll();
    assert!(h.stored().is_empty(), "retried before midnight");
    h.advance(S);
    wait_until("the play held over the limit", || h.stored().len() == 1);
    assert_eq!(before.len(), 1);
    assert_eq!(h.stored()[0].0, "Over the limit");
    assert_eq!(s.drain(PATIENCE), 0);
}

#[test]
fn a_revoked_session_stops_delivery_and_keeps_every_play_until_a_new_key() {
    let h = Harness::new("auth");
    let s = h.scrobbler();
    h.env.server.revoke_sessions();
    s.play(&song("First", 200)).unwrap();
    h.advance(100 * S);
    let lost = h.wait_events(EventKind::AuthLost, 1);
    assert_eq!(lost[0].code, 9);
    assert!(lost[0].track.is_none());
    let requests = h.scrobble_requests();
    // More plays and time: queued, never sent while the key is refused.
    s.play(&song("Second", 200)).unwrap();
    h.advance(HOUR);
    h.wait_events(EventKind::Queued, 2);
    s.flush_now();
    h.let_the_worker_poll();
    assert_eq!(h.scrobble_requests(), requests, "sent with a refused key");
    assert_eq!(s.pending(), 2);
    assert_eq!(h.events_of(EventKind::AuthLost).len(), 1);
    // Signing in again resumes delivery by itself.
    h.client
        .set_session_key(Some(&h.env.server.create_session()))
        .unwrap();
    wait_until("both plays", || h.stored().len() == 2);
    let titles: Vec<String> = h.stored().into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, ["First", "Second"]);
}

#[test]
fn plays_left_at_close_are_delivered_by_the_next_scrobbler() {
    let h = Harness::new("reopen");
    let base = h.network_down();
    let expected;
    {
        let s = h.scrobbler();
        expected = h.play_through(&s, "Left", 3, 150 * S);
        // The last play is due by the clock; close queues it even if the worker did not
        // get to it.
        assert!(s.close(PATIENCE));
        assert_eq!(
            s.play(&song("Too late", 200)).unwrap_err().status(),
            lfm::Status::InvalidArgument
        );
    }
    assert!(h.stored().is_empty());
    h.client.set_base_url(&base).unwrap();
    h.events.lock().unwrap().clear();
    let s = h.scrobbler();
    assert_eq!(s.drain(PATIENCE), 0);
    assert_eq!(h.stored(), expected);
    let delivered = h.wait_events(EventKind::Delivered, 3);
    assert_eq!(delivered.len(), 3);
}

#[test]
fn player_calls_return_while_the_server_hangs() {
    let h = Harness::new("hang");
    h.client.set_timeout(Duration::from_secs(600)).unwrap();
    let s = h.scrobbler();
    // The now playing and the scrobble both hang.
    h.env
        .server
        .push_fault_for("track.updateNowPlaying", Fault::Hang, 1);
    h.env
        .server
        .push_fault_for("track.scrobble", Fault::Hang, 1);
    s.play(&song("Hung", 200)).unwrap();
    h.advance(100 * S);
    wait_until("both requests to reach the hung server", || {
        h.env.server.stats().api_requests == 2
    });
    h.wait_events(EventKind::Queued, 1);
    // Every player call completes while both threads are blocked on the server, including
    // one whose event makes a play due (the queue's durable append on this thread).
    let mut slowest = [Duration::ZERO; 2];
    let mut timed = |appends: bool, call: &dyn Fn()| {
        let start = Instant::now();
        call();
        let slot = &mut slowest[usize::from(appends)];
        *slot = (*slot).max(start.elapsed());
    };
    for i in 0..20 {
        timed(false, &|| s.play(&song(&format!("Next {i}"), 200)).unwrap());
        timed(false, &|| s.pause().unwrap());
        timed(false, &|| s.resume().unwrap());
        timed(false, &|| s.seek(1000).unwrap());
        h.advance(100 * S);
        // Due by now: this stop appends the play to the queue file (fdatasync).
        timed(true, &|| s.stop().unwrap());
    }
    eprintln!(
        "slowest player call while the server hangs: {:?} without an append, {:?} with one",
        slowest[0], slowest[1]
    );
    // Still hung: nothing came back, nothing more was sent.
    assert_eq!(h.env.server.stats().api_requests, 2);
    assert!(h.events_of(EventKind::Deferred).is_empty());
    assert!(h.events_of(EventKind::Delivered).is_empty());
    assert_eq!(s.pending(), 21);
    // Closing cannot interrupt the hung request: it reports so within its timeout.
    assert!(!s.close(Duration::from_millis(200)));
}

#[test]
fn a_bad_track_is_refused_and_a_second_scrobbler_on_the_same_file_too() {
    let h = Harness::new("refuse");
    let s = h.scrobbler();
    let err = s.play(&song("", 200)).unwrap_err();
    assert_eq!(err.status(), lfm::Status::InvalidArgument);
    let err = Scrobbler::new(Arc::clone(&h.client), &h.path).unwrap_err();
    assert_eq!(err.status(), lfm::Status::Io);
}

#[test]
fn a_hung_now_playing_never_delays_a_scrobble() {
    let h = Harness::new("np-hang");
    h.client.set_timeout(Duration::from_secs(600)).unwrap();
    let s = h.scrobbler();
    h.env
        .server
        .push_fault_for("track.updateNowPlaying", Fault::Hang, 1);
    let start = h.now();
    s.play(&song("Announced", 200)).unwrap();
    wait_until("the now playing to reach the hung server", || {
        h.env.server.stats().api_requests == 1
    });
    h.advance(100 * S);
    wait_until("the scrobble", || h.stored().len() == 1);
    assert_eq!(h.stored(), [("Announced".to_string(), secs(start))]);
    assert!(h.events_of(EventKind::NowPlaying).is_empty(), "still hung");
    assert!(!s.close(Duration::from_millis(200)));
}

#[test]
fn corrections_arrive_in_now_playing_and_delivered_events() {
    let h = Harness::new("corrections");
    let s = h.scrobbler();
    let start = h.now();
    s.play(&Track {
        artist: "beatles".into(),
        track: "let it be".into(),
        album: Some("Let It Be".into()),
        duration_secs: 243,
        ..Track::default()
    })
    .unwrap();
    let expected = Corrections {
        artist: Some("The Beatles".into()),
        track: Some("Let It Be".into()),
        album: None,
    };
    let now_playing = h.wait_events(EventKind::NowPlaying, 1);
    assert_eq!(
        (now_playing[0].code, &now_playing[0].corrections),
        (0, &expected)
    );
    h.advance(122 * S);
    let delivered = h.wait_events(EventKind::Delivered, 1);
    assert_eq!(delivered[0].corrections, expected);
    // The event names the play as the player sent it; the server stored the corrections.
    assert_eq!(delivered[0].track.as_ref().unwrap().artist, "beatles");
    assert_eq!(h.stored(), [("Let It Be".to_string(), secs(start))]);
    // A play the server did not correct has none.
    s.play(&song("Plain", 200)).unwrap();
    h.advance(100 * S);
    let delivered = h.wait_events(EventKind::Delivered, 2);
    assert!(delivered[1].corrections.is_empty());
}

#[test]
fn errors_only_the_user_can_fix_stop_delivery_like_a_lost_session() {
    for code in [4, 10, 26] {
        let h = Harness::new(&format!("auth-{code}"));
        let s = h.scrobbler();
        s.play(&song("Kept", 200)).unwrap();
        h.wait_events(EventKind::NowPlaying, 1);
        h.env
            .server
            .push_fault_for("track.scrobble", Fault::ApiError { code, http: None }, 1);
        h.advance(100 * S);
        let lost = h.wait_events(EventKind::AuthLost, 1);
        assert_eq!(lost[0].code, code as i32);
        // No back-off retry however long the clock runs, and no Deferred event.
        h.advance(10 * HOUR);
        h.let_the_worker_poll();
        assert_eq!(h.scrobble_requests(), 1, "error {code}: retried");
        assert!(h.events_of(EventKind::Deferred).is_empty());
        assert_eq!(s.pending(), 1);
        h.client
            .set_session_key(Some(&h.env.server.create_session()))
            .unwrap();
        wait_until("the kept play", || h.stored().len() == 1);
    }
}

#[test]
fn nothing_is_sent_nor_reported_after_close_returns_even_when_a_flush_was_under_way() {
    let h = Harness::new("close-mid-flush");
    let base = h.network_down();
    let expected;
    {
        let s = h.scrobbler();
        // 60 plays: two batches (50 + 10).
        expected = h.play_through(&s, "Batch", 60, 150 * S);
        s.stop().unwrap();
        h.wait_events(EventKind::Queued, 60);
        // The first batch is stored at once and answered 3 s later.
        h.env
            .server
            .push_fault_for("track.scrobble", Fault::Delay { ms: 3000 }, 1);
        h.client.set_base_url(&base).unwrap();
        s.flush_now();
        wait_until("the first batch", || h.scrobble_requests() == 1);
        assert!(
            !s.close(Duration::from_millis(100)),
            "the batch is in flight"
        );
    }
    let events_at_close = h.events.lock().unwrap().len();
    // The worker ends when its request does, releasing the queue file. A bare queue (no
    // worker) waits for that: a scrobbler's worker would start sending at once, racing the
    // checks below.
    let start = Instant::now();
    let queue = loop {
        match lfm::Queue::open(&h.path) {
            Ok(q) => break q,
            Err(_) => {
                assert!(start.elapsed() < PATIENCE, "the worker never ended");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    // The second batch was not sent after close, and no event was reported (the first
    // batch's verdicts were recorded: the next scrobbler sends only the second).
    assert_eq!(h.scrobble_requests(), 1);
    assert_eq!(h.stored().len(), 50);
    assert_eq!(queue.pending_count(), 10);
    assert_eq!(h.events.lock().unwrap().len(), events_at_close);
    drop(queue);
    let s = Scrobbler::new(Arc::clone(&h.client), &h.path).unwrap();
    assert_eq!(s.drain(PATIENCE), 0);
    assert_eq!(h.scrobble_requests(), 2);
    assert_eq!(h.stored(), expected);
}

#[test]
fn the_unknown_duration_rule_and_the_now_playing_threshold_are_settings() {
    let h = Harness::new("settings");
    let s = h.scrobbler();
    s.set_unknown_duration(UnknownDuration::Never);
    s.set_now_playing_after_pause(Duration::from_secs(60));
    s.play(&song("Stream", 0)).unwrap();
    h.wait_events(EventKind::NowPlaying, 1);
    h.advance(HOUR);
    s.pause().unwrap();
    h.advance(61 * S);
    s.resume().unwrap();
    // Resumed after more than the threshold: announced again.
    h.wait_events(EventKind::NowPlaying, 2);
    h.advance(HOUR);
    s.stop().unwrap();
    s.set_unknown_duration(UnknownDuration::DueAfterCap);
    let start = h.now();
    s.play(&song("Unknown length", 0)).unwrap();
    h.advance(4 * MIN);
    wait_until("the play of unknown length", || h.stored().len() == 1);
    assert_eq!(h.stored(), [("Unknown length".to_string(), secs(start))]);
    assert!(
        h.events_of(EventKind::Queued).len() == 1,
        "the stream was queued"
    );
}

#[test]
fn drain_counts_a_play_the_clock_just_made_due() {
    let h = Harness::new("drain-due");
    let s = h.scrobbler();
    let start = h.now();
    s.play(&song("Just due", 200)).unwrap();
    h.advance(100 * S);
    // No wait for the worker to notice: drain itself sees the play is due.
    assert_eq!(s.drain(PATIENCE), 0);
    assert_eq!(h.stored(), [("Just due".to_string(), secs(start))]);
}

/// drain() returns once the listener has returned from the delivery's events, so a
/// player that drains before exiting has reported every play. The listener here is slow
/// on purpose (a drain that waited for the queue alone returned before it recorded), and
/// drains too.
#[test]
fn drain_returns_after_the_listener_has_seen_the_deliveries() {
    let h = Harness::new("drain-events");
    let s = h.scrobbler();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_listener = Arc::clone(&seen);
    let me = Arc::downgrade(&s);
    s.set_listener(Some(Box::new(move |e: &Event| {
        if e.kind == EventKind::Delivered {
            std::thread::sleep(Duration::from_millis(300));
            // A drain from the listener does not wait for its own call: an hour's drain
            // here would hold the outer drain past its patience.
            let s = me.upgrade().unwrap();
            assert_eq!(s.drain(Duration::from_secs(3600)), 0);
        }
        seen_in_listener.lock().unwrap().push(e.kind);
    })));
    h.play_through(&s, "Reported", 3, 150 * S);
    s.stop().unwrap();
    assert_eq!(s.drain(PATIENCE), 0);
    let delivered =
        |seen: &[EventKind]| seen.iter().filter(|k| **k == EventKind::Delivered).count();
    assert_eq!(delivered(&seen.lock().unwrap()), 3);
    assert_eq!(h.stored().len(), 3);
}

/// flush_now() while a flush is under way that then fails: the request to try again is
/// not swallowed by that failure's back-off (the clock stands still, so only flush_now()
/// can bring the second attempt). The first request times out against a delayed reply;
/// every step waits on the mock's request count, not on time. Only that request has the
/// short timeout, and it goes over the connection the now playing opened before (the
/// timeout bounds the reply, not a handshake that a loaded machine may make slow; the
/// now playing itself has the default timeout).
#[test]
fn flush_now_during_a_failing_flush_still_tries_again() {
    let h = Harness::new("flush-now-in-flight");
    let s = h.scrobbler();
    // For the scrobble only: the play's now playing reaches the mock first (a fault for
    // any method would be its, and the scrobble would go through at once).
    h.env
        .server
        .push_fault_for("track.scrobble", Fault::Delay { ms: 5000 }, 1);
    let expected = vec![("Late".to_string(), secs(h.now()))];
    s.play(&song("Late", 200)).unwrap();
    h.wait_events(EventKind::NowPlaying, 1);
    h.client.set_timeout(Duration::from_millis(500)).unwrap();
    h.advance(150 * S);
    s.stop().unwrap();
    wait_until("the first attempt", || h.scrobble_requests() == 1);
    h.client.set_timeout(lfm::DEFAULT_TIMEOUT).unwrap();
    s.flush_now();
    wait_until("the attempt after flush_now", || h.scrobble_requests() == 2);
    h.wait_events(EventKind::Delivered, 1);
    assert_eq!(h.stored(), expected);
    assert_eq!(h.events_of(EventKind::Deferred).len(), 1);
}
