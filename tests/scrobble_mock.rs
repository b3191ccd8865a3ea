//! Scrobbling and the durable queue against the mock server: batching, per-item verdicts,
//! poison plays, outages, rate limits, session loss, durability and damage.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lfm::log::{Level, Logger};
use lfm::queue::{EntryState, FlushControl, PlayOutcome, Queue};
use lfm::scrobble::Corrections;
use lfm::{Status, Track};
use lfm_mock::Fault;
use support::{now, run_start, MockEnv};

fn play(i: usize) -> Track {
    Track {
        artist: format!("Artist {i}"),
        track: format!("Track {i} + & = % ü"),
        album: Some(format!("Album {}", i / 10)),
        timestamp: run_start() - 3600 + i as i64,
        duration_secs: 200,
        ..Track::default()
    }
}

fn temp_queue_path(name: &str) -> PathBuf {
    support::fresh_dir(name).join("queue.lfmq")
}

fn scrobble_requests(env: &MockEnv) -> u64 {
    env.server
        .stats()
        .by_method
        .get("track.scrobble")
        .copied()
        .unwrap_or(0)
}

#[test]
fn batches_of_120_go_in_3_requests_in_order() {
    let env = MockEnv::start();
    let client = env.session_client();
    let tracks: Vec<Track> = (0..120).map(play).collect();
    let result = client.scrobble(&tracks).unwrap();
    assert_eq!(result.accepted(), 120);
    assert_eq!(scrobble_requests(&env), 3);
    let stored = env.server.scrobbles();
    let order: Vec<&str> = stored.iter().map(|s| s.artist.as_str()).collect();
    let expected: Vec<String> = (0..120).map(|i| format!("Artist {i}")).collect();
    assert_eq!(order, expected);
    assert_eq!(stored[7].track, "Track 7 + & = % ü");
    assert_eq!(stored[7].album.as_deref(), Some("Album 0"));
    assert_eq!(stored[7].duration, Some(200));
}

#[test]
fn one_track_uses_plain_names_and_max_batch_is_honoured() {
    let env = MockEnv::start();
    let client = env.session_client();
    client.scrobble(&[play(1)]).unwrap();
    let last = env.server.last_request().unwrap();
    assert!(last["params"].get("artist").is_some(), "{last}");
    assert!(last["params"].get("artist[0]").is_none(), "{last}");
    client.set_max_batch(7).unwrap();
    client
        .scrobble(&(0..20).map(play).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(scrobble_requests(&env), 1 + 3);
    assert_eq!(
        client.set_max_batch(0).unwrap_err().status(),
        Status::InvalidArgument
    );
    assert_eq!(
        client.set_max_batch(51).unwrap_err().status(),
        Status::InvalidArgument
    );
}

#[test]
fn ignored_codes_map_back_to_input_order() {
    let env = MockEnv::start();
    let client = env.session_client();
    let mut tracks: Vec<Track> = (0..5).map(play).collect();
    tracks[1].artist = "Someone [ignored-artist]".into();
    tracks[2].track = "Something [ignored-track]".into();
    tracks[3].timestamp = now() - 20 * 24 * 3600;
    tracks[4].timestamp = now() + 3600;
    let result = client.scrobble(&tracks).unwrap();
    let codes: Vec<i32> = result.verdicts.iter().map(|v| v.code).collect();
    assert_eq!(codes, [0, 1, 2, 3, 4]);
    assert_eq!((result.accepted(), result.ignored()), (1, 4));
    assert!(!result.verdicts[1].message.is_empty());
}

#[test]
fn now_playing_reaches_the_server() {
    let env = MockEnv::start();
    let client = env.session_client();
    let mut t = play(3);
    t.track_number = 4;
    client.update_now_playing(&t).unwrap();
    let np = env.server.now_playing().unwrap();
    assert_eq!(np["artist"], "Artist 3");
    let last = env.server.last_request().unwrap();
    assert!(last["params"].get("timestamp").is_none(), "{last}");
    assert_eq!(last["params"]["trackNumber"], "4");
    client.set_session_key(None).unwrap();
    assert_eq!(
        client.update_now_playing(&t).unwrap_err().status(),
        Status::NoSession
    );
}

#[test]
fn a_poison_play_in_a_batch_of_50_is_rejected_and_49_arrive() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("poison")).unwrap();
    for i in 0..50 {
        let mut t = play(i);
        if i == 17 {
            t.track = "Bad [invalid]".into();
        }
        assert!(queue.push(&t).unwrap());
    }
    let outcome = queue.flush(&client);
    assert_eq!(outcome.error, None);
    assert_eq!((outcome.sent, outcome.rejected), (49, 1));
    let rejected: Vec<(&str, i32)> = outcome
        .plays
        .iter()
        .filter_map(|p| match p {
            PlayOutcome::Rejected {
                track, api_code, ..
            } => Some((track.track.as_str(), *api_code)),
            PlayOutcome::Delivered { .. } => None,
        })
        .collect();
    assert_eq!(rejected, [("Bad [invalid]", 6)]);
    assert_eq!(outcome.plays.len(), 50);
    assert_eq!(env.server.scrobbles().len(), 49);
    assert_eq!(queue.pending_count(), 0);
    let entries = queue.entries();
    assert_eq!(entries.len(), 1);
    match &entries[0].state {
        EntryState::Rejected {
            api_code, reason, ..
        } => {
            assert_eq!(*api_code, 6);
            assert!(reason.contains("error 6"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Retry puts it back; it is refused again, and without any other play accepted in that
    // flush it is kept (the server may be the problem), not rejected.
    queue.retry(entries[0].id).unwrap();
    assert_eq!(queue.pending_count(), 1);
    let outcome = queue.flush(&client);
    assert_eq!(outcome.error.as_ref().map(|e| e.api_code()), Some(6));
    assert_eq!(queue.pending_count(), 1);
    queue.remove(entries[0].id).unwrap();
    assert_eq!(queue.entries().len(), 0);
}

#[test]
fn session_loss_keeps_everything() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("error9")).unwrap();
    for i in 0..10 {
        queue.push(&play(i)).unwrap();
    }
    env.server.revoke_sessions();
    let outcome = queue.flush(&client);
    let err = outcome.error.unwrap();
    assert_eq!(
        (err.status(), err.api_code(), outcome.sent),
        (Status::Api, 9, 0)
    );
    assert!(!err.is_retryable());
    assert_eq!(queue.pending_count(), 10);
    assert!(queue
        .entries()
        .iter()
        .all(|e| e.state == EntryState::Pending));
    // Re-authenticate, flush again: all delivered.
    client
        .set_session_key(Some(&env.server.create_session()))
        .unwrap();
    let outcome = queue.flush(&client);
    assert_eq!((outcome.sent, outcome.error), (10, None));
}

#[test]
fn rate_limit_error_backs_off_and_a_later_flush_succeeds() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("error29")).unwrap();
    for i in 0..60 {
        queue.push(&play(i)).unwrap();
    }
    env.server.push_fault(
        Fault::ApiError {
            code: 29,
            http: None,
        },
        2,
    );
    let first = queue.flush(&client).error.unwrap();
    assert_eq!(first.api_code(), 29);
    assert!(first.is_retryable());
    let second = queue.flush(&client).error.unwrap();
    // The suggested wait grows with repeated rate-limit errors (30 s base, ±20 % jitter).
    assert!(
        first.retry_after_ms() >= 24_000,
        "{}",
        first.retry_after_ms()
    );
    assert!(
        second.retry_after_ms() >= 48_000,
        "{}",
        second.retry_after_ms()
    );
    assert_eq!(queue.pending_count(), 60);
    let entry = &queue.entries()[0];
    assert_eq!(entry.attempts, 2);
    assert!(entry
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("Rate Limit"));
    let outcome = queue.flush(&client);
    assert_eq!((outcome.sent, outcome.error), (60, None));
    assert_eq!(env.server.scrobbles().len(), 60);
}

#[test]
fn outages_keep_every_play() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("outage")).unwrap();
    for i in 0..5 {
        queue.push(&play(i)).unwrap();
    }
    // Outage signals stop the flush at once. Server failures (8, bare 500) are probed by
    // bisection first, and a server that fails every request ends the flush after
    // MAX_FAILED_REQUESTS_IN_A_ROW requests: exactly that many faults are queued for them.
    let probes = lfm::queue::MAX_FAILED_REQUESTS_IN_A_ROW;
    let faults = [
        (Fault::Html { http: 503 }, 1, Status::Http),
        (Fault::Drop, 1, Status::Network),
        (
            Fault::ApiError {
                code: 11,
                http: None,
            },
            1,
            Status::Api,
        ),
        (
            Fault::ApiError {
                code: 16,
                http: None,
            },
            1,
            Status::Api,
        ),
        (
            Fault::ApiError {
                code: 8,
                http: None,
            },
            probes,
            Status::Api,
        ),
        (Fault::Empty { http: 500 }, probes, Status::Http),
        (Fault::Delay { ms: 2000 }, 1, Status::Timeout),
        (Fault::Empty { http: 502 }, 1, Status::Http),
    ];
    for (fault, count, status) in faults {
        // Only the delayed reply meets a short timeout, over a connection opened before with
        // the default one: every other request must get its answer however slow the machine.
        let times_out = matches!(fault, Fault::Delay { .. });
        if times_out {
            client
                .call("user.getInfo", &[("user", "rj")], lfm::CallFlags::NONE)
                .unwrap();
            client.set_timeout(Duration::from_millis(500)).unwrap();
        }
        let before = env.server.stats().api_requests;
        env.server.push_fault(fault, count);
        let outcome = queue.flush(&client);
        client.set_timeout(lfm::DEFAULT_TIMEOUT).unwrap();
        let err = outcome.error.expect("flush must fail");
        assert_eq!(err.status(), status, "{err}");
        assert!(err.is_retryable(), "{err}");
        assert!(err.retry_after_ms() > 0, "{err}");
        assert_eq!(
            env.server.stats().api_requests - before,
            u64::from(count),
            "{err}"
        );
        assert_eq!(queue.pending_count(), 5, "{err}");
        assert!(queue
            .entries()
            .iter()
            .all(|e| e.state == EntryState::Pending && e.isolated_failures == 0));
    }
    std::thread::sleep(Duration::from_millis(2100)); // let the delayed reply's request finish
    let stored_before = env.server.scrobbles().len();
    let outcome = queue.flush(&client);
    assert_eq!(outcome.error, None);
    assert_eq!(queue.pending_count(), 0);
    // The delayed request had been processed by the server before the client gave up, so
    // this flush re-sent it: at least once, and the server stores each play once.
    assert!(stored_before <= 5);
    assert_eq!(env.server.scrobbles().len(), 5);
}

#[test]
fn a_play_the_server_keeps_failing_alone_never_blocks_the_others() {
    // Maloja 3 answers error 8 forever for a play it already stored; the mock does the same
    // for a play marked [server-error]. With max batch 1 (what Maloja 3 needs) the bad play
    // is first in line, ahead of 20 good ones.
    let env = MockEnv::start();
    let client = env.session_client();
    client.set_max_batch(1).unwrap();
    let queue = Queue::open(&temp_queue_path("isolate8")).unwrap();
    let mut bad = play(0);
    bad.track = "Stored already [server-error]".into();
    queue.push(&bad).unwrap();
    for round in 0..lfm::queue::MAX_ISOLATED_FAILURES {
        for i in 0..20 {
            queue.push(&play(100 * (round as usize + 1) + i)).unwrap();
        }
        let outcome = queue.flush(&client);
        assert_eq!(outcome.sent, 20, "round {round}");
        assert_eq!(
            queue.pending_count(),
            if round + 1 < lfm::queue::MAX_ISOLATED_FAILURES {
                1
            } else {
                0
            }
        );
        let entry = &queue.entries()[0];
        assert_eq!(entry.isolated_failures, round + 1);
        assert!(entry
            .last_error
            .as_deref()
            .unwrap()
            .contains("Operation failed"));
        if round + 1 < lfm::queue::MAX_ISOLATED_FAILURES {
            assert_eq!(outcome.error, None);
            assert_eq!(entry.state, EntryState::Pending);
        } else {
            assert_eq!(outcome.rejected, 1);
            match &entry.state {
                EntryState::Rejected {
                    api_code, reason, ..
                } => {
                    assert_eq!(*api_code, 8);
                    assert!(
                        reason.contains("failed 3 times on its own") && reason.contains("error 8"),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(env.server.scrobbles().len(), 60);
}

#[test]
fn a_server_failing_everything_rejects_nothing_ever() {
    let env = MockEnv::start();
    let client = env.session_client();
    client.set_max_batch(1).unwrap();
    let queue = Queue::open(&temp_queue_path("outage8")).unwrap();
    for i in 0..20 {
        queue.push(&play(i)).unwrap();
    }
    let probes = lfm::queue::MAX_FAILED_REQUESTS_IN_A_ROW;
    for _ in 0..10 {
        env.server.push_fault(
            Fault::ApiError {
                code: 8,
                http: None,
            },
            probes,
        );
        let outcome = queue.flush(&client);
        assert_eq!((outcome.sent, outcome.rejected), (0, 0));
        assert_eq!(outcome.error.map(|e| e.api_code()), Some(8));
    }
    assert_eq!(queue.pending_count(), 20);
    assert!(queue
        .entries()
        .iter()
        .all(|e| e.isolated_failures == 0 && e.state == EntryState::Pending));
    let outcome = queue.flush(&client);
    assert_eq!((outcome.sent, outcome.error), (20, None));
}

#[test]
fn the_age_limit_is_a_setting() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("maxage")).unwrap();
    let mut old = play(1);
    old.timestamp = now() - 3 * 24 * 3600;
    queue.push(&old).unwrap();
    queue.set_max_age(Some(Duration::from_secs(2 * 24 * 3600)));
    let outcome = queue.flush(&client);
    assert_eq!(outcome.rejected, 1);
    let entry = queue.entries()[0].clone();
    assert!(
        matches!(&entry.state, EntryState::Rejected { reason, .. } if reason.contains("more than 2 days ago"))
    );
    queue.retry(entry.id).unwrap();
    queue.set_max_age(None);
    assert_eq!(queue.flush(&client).sent, 1);
}

#[test]
fn daily_limit_keeps_the_rest_until_tomorrow() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("daily")).unwrap();
    for i in 0..10 {
        queue.push(&play(i)).unwrap();
    }
    env.server.push_fault(Fault::DailyLimit { remaining: 4 }, 1);
    let outcome = queue.flush(&client);
    let err = outcome.error.unwrap();
    assert!(err.is_retryable(), "{err}");
    assert_eq!((err.status(), err.api_code()), (Status::Api, 0), "{err}");
    assert!(err.retry_after_ms() > 0 && err.retry_after_ms() <= 86_400_000);
    assert_eq!(outcome.sent, 4);
    assert!(outcome.daily_limit);
    assert_eq!(queue.pending_count(), 6);
    assert_eq!(env.server.scrobbles().len(), 4);
    // Another stop is not the daily limit.
    env.server.push_fault(
        Fault::ApiError {
            code: 29,
            http: None,
        },
        1,
    );
    let outcome = queue.flush(&client);
    assert_eq!(outcome.error.map(|e| e.api_code()), Some(29));
    assert!(!outcome.daily_limit);
}

#[test]
fn a_flush_stopped_by_its_control_sends_no_further_request() {
    let env = MockEnv::start();
    let client = env.session_client();
    let control = Arc::new(FlushControl::new());
    // Stop while the first request is being answered: the client logs it on the flushing
    // thread before the flush would send the next one.
    let stopper = Arc::clone(&control);
    client
        .set_logger(Some(Logger::new(Level::Debug, move |_, line| {
            if line.contains("track.scrobble") {
                stopper.stop();
            }
        })))
        .unwrap();
    let queue = Queue::open(&temp_queue_path("stopped")).unwrap();
    for i in 0..120 {
        queue.push(&play(i)).unwrap();
    }
    let outcome = queue.flush_with(&client, &control);
    assert!(outcome.stopped && outcome.error.is_none(), "{outcome:?}");
    assert_eq!((outcome.sent, queue.pending_count()), (50, 70));
    assert_eq!(scrobble_requests(&env), 1);
    // A flush with a fresh control delivers the rest.
    client.set_logger(None).unwrap();
    let outcome = queue.flush(&client);
    assert!(!outcome.stopped);
    assert_eq!((outcome.sent, queue.pending_count()), (70, 0));
}

#[test]
fn a_flush_reports_each_play_delivered_with_corrections_or_rejected_with_its_code() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("outcomes")).unwrap();
    let mut plays: Vec<Track> = (0..4).map(play).collect();
    plays[0].artist = "beatles".into();
    plays[0].track = "let it be".into();
    plays[0].album = Some("Abbey Road".into());
    plays[1].artist = "Someone [ignored-artist]".into();
    plays[3].timestamp = now() - 15 * 24 * 3600; // too old: rejected before sending
    for p in &plays {
        queue.push(p).unwrap();
    }
    let ids: Vec<u64> = queue.entries().iter().map(|e| e.id).collect();
    let outcome = queue.flush(&client);
    assert_eq!(
        (outcome.sent, outcome.rejected, outcome.error),
        (2, 2, None)
    );
    let old = outcome
        .plays
        .iter()
        .find(|p| {
            matches!(
                p,
                PlayOutcome::Rejected {
                    ignored_code: 3,
                    ..
                }
            )
        })
        .expect("the old play");
    assert!(
        matches!(old, PlayOutcome::Rejected { id, track, api_code: 0, .. } if *id == ids[3] && track == &plays[3])
    );
    let rest: Vec<&PlayOutcome> = outcome.plays.iter().filter(|p| *p != old).collect();
    assert_eq!(
        rest,
        [
            &PlayOutcome::Delivered {
                id: ids[0],
                track: plays[0].clone(),
                corrections: Corrections {
                    artist: Some("The Beatles".into()),
                    track: Some("Let It Be".into()),
                    album: None,
                },
            },
            &PlayOutcome::Rejected {
                id: ids[1],
                track: plays[1].clone(),
                ignored_code: 1,
                api_code: 0,
                reason: "Artist was ignored".into(),
            },
            &PlayOutcome::Delivered {
                id: ids[2],
                track: plays[2].clone(),
                corrections: Corrections::default(),
            },
        ]
    );
    let stored = env.server.scrobbles();
    assert_eq!(
        (stored[0].artist.as_str(), stored[0].track.as_str()),
        ("The Beatles", "Let It Be")
    );
    // Now playing reports its corrections too.
    let mut now_playing = play(9);
    now_playing.artist = "guns n roses".into();
    let verdict = client.send_now_playing(&now_playing).unwrap();
    assert_eq!(verdict.code, 0);
    assert_eq!(verdict.corrections.artist.as_deref(), Some("Guns N' Roses"));
    assert_eq!(verdict.corrections.track, None);
}

#[test]
fn plays_older_than_14_days_are_rejected_not_restamped() {
    let env = MockEnv::start();
    let client = env.session_client();
    let queue = Queue::open(&temp_queue_path("old")).unwrap();
    let mut old = play(1);
    old.timestamp = now() - 15 * 24 * 3600;
    queue.push(&old).unwrap();
    queue.push(&play(2)).unwrap();
    let outcome = queue.flush(&client);
    assert_eq!(
        (outcome.sent, outcome.rejected, outcome.error),
        (1, 1, None)
    );
    let stored = env.server.scrobbles();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].artist, "Artist 2");
    let entries = queue.entries();
    assert_eq!(entries[0].track.timestamp, old.timestamp);
    assert!(matches!(
        &entries[0].state,
        EntryState::Rejected {
            ignored_code: 3,
            ..
        }
    ));
}

#[test]
fn duplicates_are_queued_once_and_plays_survive_reopen() {
    let path = temp_queue_path("reopen");
    {
        let queue = Queue::open(&path).unwrap();
        assert!(queue.push(&play(1)).unwrap());
        assert!(!queue.push(&play(1)).unwrap());
        assert!(queue.push(&play(2)).unwrap());
        // A second opener is refused while the first holds the queue.
        let err = Queue::open(&path).err().expect("second open must fail");
        assert_eq!(err.status(), Status::Io);
        assert!(err.message().contains("already open"), "{err}");
        // Bad plays are refused.
        let mut bad = play(3);
        bad.timestamp = 0;
        assert_eq!(
            queue.push(&bad).unwrap_err().status(),
            Status::InvalidArgument
        );
    }
    let queue = Queue::open(&path).unwrap();
    assert_eq!(queue.pending_count(), 2);
    assert!(!queue.push(&play(2)).unwrap());
    assert!(queue.damage().is_empty());
}

#[test]
fn a_damaged_file_opens_with_every_intact_play() {
    let path = temp_queue_path("damaged");
    {
        let queue = Queue::open(&path).unwrap();
        for i in 0..5 {
            queue.push(&play(i)).unwrap();
        }
    }
    // Flip a byte inside the third play's record and cut the file mid-record at the end.
    let mut bytes = std::fs::read(&path).unwrap();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    bytes[line_starts[3] + 20] ^= 0x01;
    bytes.extend_from_slice(b"0badc0de {\"op\":\"push\",\"id\":9");
    std::fs::write(&path, &bytes).unwrap();

    let queue = Queue::open(&path).unwrap();
    let artists: Vec<String> = queue
        .entries()
        .iter()
        .map(|e| e.track.artist.clone())
        .collect();
    assert_eq!(artists, ["Artist 0", "Artist 1", "Artist 3", "Artist 4"]);
    let damage = queue.damage();
    assert_eq!(damage.damaged_lines, vec![4]);
    assert!(damage.torn_tail);
    assert!(damage.report().unwrap().contains("1 damaged record"));
    // The damaged file itself was not deleted or rewritten; new pushes still land.
    assert!(std::fs::read(&path).unwrap().starts_with(&bytes));
    queue.push(&play(9)).unwrap();
    drop(queue);
    let queue = Queue::open(&path).unwrap();
    assert_eq!(queue.pending_count(), 5);

    // A file that is not a queue is never written to.
    let other = path.with_file_name("not-a-queue.txt");
    std::fs::write(&other, "hello\nworld\n").unwrap();
    assert_eq!(
        Queue::open(&other).err().unwrap().status(),
        Status::InvalidArgument
    );
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "hello\nworld\n");
}

#[test]
fn compaction_keeps_live_plays_and_a_copy_of_damage() {
    let env = MockEnv::start();
    let client = env.session_client();
    let path = temp_queue_path("compact");
    let push_and_flush = |queue: &Queue, range: std::ops::Range<usize>| {
        let n = range.len();
        for i in range {
            queue.push(&play(i)).unwrap();
        }
        let outcome = queue.flush(&client);
        assert_eq!((outcome.sent, outcome.error), (n, None));
    };
    {
        let queue = Queue::open(&path).unwrap();
        push_and_flush(&queue, 0..1500);
        queue.push(&play(3000)).unwrap();
    }
    // The pushes and their done records were compacted away after the flush.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().count() < 100, "{} lines", text.lines().count());
    // Damage the one live record, reopen: the play is lost to the damage but reported, and
    // the next rewrite keeps a copy of the damaged file beside the queue.
    let damaged = text.replacen("Artist 3000", "Artist 3001", 1);
    std::fs::write(&path, &damaged).unwrap();
    let queue = Queue::open(&path).unwrap();
    assert_eq!(queue.pending_count(), 0);
    assert_eq!(queue.damage().damaged_lines, vec![2]);
    push_and_flush(&queue, 1500..2600);
    let copies: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(copies.len(), 1);
    // The copy is the damaged file as it stood at the rewrite: the damaged original plus
    // what was appended since.
    let copy = std::fs::read_to_string(copies[0].path()).unwrap();
    assert!(
        copy.starts_with(&damaged),
        "the copy must hold the damaged original"
    );
    assert_eq!(env.server.scrobbles().len(), 2600);
}

#[test]
fn the_rate_limit_holds_under_8_threads() {
    let env = MockEnv::start();
    let client = env.session_client();
    client.set_rate_limit(20);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..10 {
                    client
                        .call("user.getInfo", &[("user", "rj")], lfm::CallFlags::NONE)
                        .unwrap();
                }
            });
        }
    });
    // 80 calls at 20/s with a bucket of 20: at least (80 - 20) / 20 = 3 s. A lower bound on
    // time is a correctness property; nothing here asserts how fast the machine is.
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(2900), "{elapsed:?}");
}

#[test]
fn every_optional_field_survives_the_queue_file_and_reaches_the_server() {
    let env = MockEnv::start();
    let client = env.session_client();
    let path = temp_queue_path("fields");
    let full = |i: usize, chosen: Option<bool>, duration_secs: u32| Track {
        album_artist: Some("Various Artists".into()),
        mbid: Some(format!("0a1b2c3d-0000-4000-8000-00000000000{i}")),
        track_number: 7,
        chosen_by_user: chosen,
        duration_secs,
        ..play(i)
    };
    let plays = [
        full(1, Some(false), 200),
        full(2, Some(true), 25),
        full(3, None, 4 * 3600),
    ];
    {
        let queue = Queue::open(&path).unwrap();
        for p in &plays {
            queue.push(p).unwrap();
        }
    }
    let queue = Queue::open(&path).unwrap();
    let queued: Vec<Track> = queue.entries().into_iter().map(|e| e.track).collect();
    assert_eq!(queued, plays);
    assert_eq!(queue.flush(&client).sent, 3);
    let params = &env.server.last_request().unwrap()["params"];
    for (i, p) in plays.iter().enumerate() {
        let get = |name: &str| params.get(format!("{name}[{i}]")).cloned();
        assert_eq!(
            get("albumArtist"),
            Some("Various Artists".into()),
            "{params}"
        );
        assert_eq!(get("mbid").unwrap(), p.mbid.as_deref().unwrap());
        assert_eq!(get("trackNumber"), Some("7".into()));
        let chosen = p.chosen_by_user.map(|c| if c { "1" } else { "0" });
        assert_eq!(get("chosenByUser"), chosen.map(Into::into));
    }
    // Only the plausible duration is sent: 25 s and 4 hours would make Last.fm drop the play.
    let durations: Vec<Option<serde_json::Value>> = (0..3)
        .map(|i| params.get(format!("duration[{i}]")).cloned())
        .collect();
    assert_eq!(durations, [Some("200".into()), None, None]);
}
