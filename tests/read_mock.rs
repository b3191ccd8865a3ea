//! The read layer against the mock: the pager over thousands of plays with transient
//! errors, incremental imports, resuming, and normalization of every read method it serves.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lfm::read::{self, Pager, ReadOptions, Retry, Sleep};
use lfm::{CallFlags, Client, Status};
use lfm_mock::MockServer;
use serde_json::{json, Value};
use support::MockEnv;

/// Records waits instead of sleeping: the tests never wait for a back-off.
#[derive(Default)]
struct Recorder(Mutex<Vec<Duration>>);

impl Sleep for Recorder {
    fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

fn recording_retry() -> (Retry, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    (Retry::default().with_sleeper(rec.clone()), rec)
}

fn control(client: &Client, method: &str, params: &[(&str, &str)]) -> Value {
    serde_json::from_str(&client.call(method, params, CallFlags::NONE).unwrap()).unwrap()
}

/// Make `page` of user.getRecentTracks fail `count` times with Last.fm error `code`.
fn page_fault(server: &MockServer, page: u64, code: u32, count: u32) {
    server.push_page_fault("user.getRecentTracks", page, code, None, count);
}

/// A reply as JSON, normalized or as sent.
fn read_json(client: &Client, method: &str, params: &[(&str, &str)], normalize: bool) -> Value {
    let options = ReadOptions {
        normalize,
        retry: None,
    };
    let body = read::read(client, method, params, CallFlags::NONE, &options).unwrap();
    serde_json::from_str(&body).unwrap()
}

/// (uts, artist, track) of every play the mock holds, newest first.
fn mock_plays(server: &MockServer) -> Vec<(i64, String, String)> {
    server
        .history()
        .into_iter()
        .map(|p| (p.uts, p.artist, p.track))
        .collect()
}

/// (uts, artist, track) of normalized recent-track items.
fn keys(items: &[Value]) -> Vec<(i64, String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["date"]["uts"].as_i64().expect("a dated play"),
                i["artist"]["name"].as_str().unwrap().to_string(),
                i["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn walk<S: read::Source>(pager: &mut Pager<S>) -> (Vec<u32>, Vec<Value>) {
    let mut numbers = Vec::new();
    let mut items = Vec::new();
    while let Some(page) = pager.next_page().unwrap() {
        numbers.push(page.number);
        items.extend(page.items);
    }
    (numbers, items)
}

#[test]
fn pager_delivers_5000_plays_once_in_order_through_errors_8_and_29() {
    let env = MockEnv::start();
    let client = env.client();
    control(
        &client,
        "mock.loadPlays",
        &[
            ("count", "5000"),
            ("shared_every", "7"),
            ("now_playing", "1"),
        ],
    );
    let expected = mock_plays(&env.server);
    assert_eq!(expected.len(), 5000);

    // The trap the pager avoids: counting pages naively loses the play that the
    // now-playing item pushed off page 1.
    let mut naive = Vec::new();
    for page in 1..=25 {
        let page = page.to_string();
        let params = [("user", "RJ"), ("limit", "200"), ("page", page.as_str())];
        let v = read_json(&client, "user.getRecentTracks", &params, true);
        naive.extend(
            v["recenttracks"]["track"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i.get("nowplaying").is_none())
                .cloned(),
        );
    }
    assert_eq!(naive.len(), 4999, "the mock models the now-playing slot");
    let before = env.server.stats().by_method["user.getRecentTracks"];
    page_fault(&env.server, 7, 8, 1);
    page_fault(&env.server, 12, 29, 1);

    let (retry, rec) = recording_retry();
    let mut pager = Pager::open(&client, "user.getRecentTracks", &[("user", "RJ")])
        .unwrap()
        .with_retry(retry);
    let (numbers, items) = walk(&mut pager);
    assert_eq!(numbers, (1..=25).collect::<Vec<_>>());
    assert!(items.iter().all(|i| i.get("nowplaying").is_none()));
    assert_eq!(keys(&items), expected, "every play once, newest first");
    let total = pager.total().unwrap();
    assert_eq!((total.items, total.pages), (5000, 25));

    // Two retried failures; the 29 waited at least the client's rate-limit back-off
    // (30 s less jitter), and the sleeper means nobody actually waited.
    let waits = rec.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert!(waits[1] >= Duration::from_secs(24), "{waits:?}");
    // 25 pages, page 1 asked again inside the window, two failed attempts.
    let after = env.server.stats().by_method["user.getRecentTracks"];
    assert_eq!(after - before, 25 + 1 + 2);
}

#[test]
fn incremental_import_after_a_mark_gets_exactly_the_new_plays() {
    let env = MockEnv::start();
    let client = env.client();
    control(
        &client,
        "mock.loadPlays",
        &[("count", "1000"), ("shared_every", "4"), ("seed", "9")],
    );
    let mut first = Pager::open(&client, "user.getRecentTracks", &[("user", "RJ")]).unwrap();
    let (_, items) = walk(&mut first);
    assert_eq!(items.len(), 1000);
    let mark = first.mark().unwrap();
    let newest = items[0]["date"]["uts"].as_i64().unwrap();
    assert_eq!(mark.uts, newest);

    // New plays arrive, the first of them in the same second as the newest imported one.
    control(
        &client,
        "mock.addPlays",
        &[
            ("count", "30"),
            ("at", &newest.to_string()),
            ("shared_every", "3"),
            ("seed", "4"),
        ],
    );
    let expected: Vec<_> = mock_plays(&env.server).into_iter().take(30).collect();
    assert!(expected.iter().any(|(t, _, _)| *t == newest));

    let saved = read::Mark::from_json(&mark.to_json()).unwrap();
    let mut next = Pager::open(
        &client,
        "user.getRecentTracks",
        &[("user", "RJ"), ("limit", "7")],
    )
    .unwrap()
    .after(saved)
    .unwrap();
    let (_, new_items) = walk(&mut next);
    assert_eq!(keys(&new_items), expected);

    // Cutting at the next second instead (from = newest + 1) loses the shared one.
    let from = (newest + 1).to_string();
    let mut cut = Pager::open(
        &client,
        "user.getRecentTracks",
        &[("user", "RJ"), ("from", &from)],
    )
    .unwrap();
    assert!(walk(&mut cut).1.len() < expected.len());
}

#[test]
fn a_failed_page_resumes_from_the_saved_state_without_gap_or_repeat() {
    let env = MockEnv::start();
    let client = env.client();
    control(
        &client,
        "mock.loadPlays",
        &[
            ("count", "450"),
            ("shared_every", "2"),
            ("now_playing", "1"),
        ],
    );
    page_fault(&env.server, 3, 16, 1);
    let expected = mock_plays(&env.server);
    let mut pager = Pager::open(
        &client,
        "user.getRecentTracks",
        &[("user", "RJ"), ("limit", "100")],
    )
    .unwrap()
    .with_retry(Retry::never());
    let mut got = Vec::new();
    for _ in 0..2 {
        got.extend(pager.next_page().unwrap().unwrap().items);
    }
    let e = pager.next_page().unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Status::Api, 16));
    assert_eq!(pager.page(), 3, "the failed page is not skipped");
    let saved = pager.state();
    drop(pager);

    let mut resumed = Pager::resume(&client, &saved).unwrap();
    got.extend(walk(&mut resumed).1);
    assert_eq!(keys(&got), expected);
}

fn raw_and_normalized(client: &Client, method: &str, params: &[(&str, &str)]) -> (Value, Value) {
    (
        read_json(client, method, params, false),
        read_json(client, method, params, true),
    )
}

#[test]
fn every_read_method_the_mock_serves_normalizes() {
    let env = MockEnv::start();
    let client = env.client();
    control(
        &client,
        "mock.loadPlays",
        &[("count", "1"), ("loved", "1"), ("seed", "3")],
    );

    // Recent tracks: one play comes as an object.
    let (raw, n) = raw_and_normalized(&client, "user.getRecentTracks", &[("user", "RJ")]);
    assert!(raw["recenttracks"]["track"].is_object());
    assert!(raw["recenttracks"]["track"]["date"]["uts"].is_string());
    let t = &n["recenttracks"]["track"][0];
    assert!(t["date"]["uts"].is_i64() && t["artist"]["name"].is_string());
    assert_eq!(t["streamable"], false);
    assert!(t["image"].is_object());
    assert_eq!(n["recenttracks"]["attr"]["total"], 1);

    // Loved tracks: one, then none.
    let (raw, n) = raw_and_normalized(&client, "user.getLovedTracks", &[("user", "RJ")]);
    assert!(raw["lovedtracks"]["track"].is_object());
    let t = &n["lovedtracks"]["track"][0];
    assert_eq!(t["image"], json!({}), "placeholder stars removed: {raw}");
    assert_eq!(t["streamable"], json!({"fulltrack": false, "text": false}));
    let loved_track = t["name"].as_str().unwrap().to_string();
    let loved_artist = t["artist"]["name"].as_str().unwrap().to_string();

    // Top artists: rank merged from @attr.
    let (raw, n) = raw_and_normalized(&client, "user.getTopArtists", &[("user", "RJ")]);
    assert_eq!(raw["topartists"]["artist"]["@attr"]["rank"], "1");
    assert_eq!(n["topartists"]["artist"][0]["rank"], 1);
    assert_eq!(n["topartists"]["artist"][0]["playcount"], 1);

    // User info: numbers, booleans, registered's #text, images.
    let (raw, n) = raw_and_normalized(&client, "user.getInfo", &[("user", "RJ")]);
    assert_eq!(raw["user"]["playcount"], "1");
    assert_eq!(n["user"]["playcount"], 1);
    assert_eq!(n["user"]["subscriber"], false);
    assert_eq!(n["user"]["registered"]["unixtime"], 1037793040);
    assert_eq!(n["user"]["image"].as_object().unwrap().len(), 4);

    // Track info: userloved, album position from @attr, tag lists of every shape.
    let (raw, n) = raw_and_normalized(
        &client,
        "track.getInfo",
        &[
            ("artist", &loved_artist),
            ("track", &loved_track),
            ("username", "RJ"),
        ],
    );
    assert_eq!(raw["track"]["userloved"], "1");
    assert_eq!(n["track"]["userloved"], true);
    assert_eq!(n["track"]["userplaycount"], 1);
    assert!(n["track"]["duration"].is_u64());
    assert!(n["track"]["album"]["position"].is_u64());
    let mut tag_shapes = std::collections::BTreeSet::new();
    for track in [
        "Hunter",
        "Jóga",
        "Unravel",
        "Bachelorette",
        "Human Behaviour",
    ] {
        let (raw, n) = raw_and_normalized(
            &client,
            "track.getInfo",
            &[("artist", "Björk"), ("track", track)],
        );
        let shape = match &raw["track"]["toptags"]["tag"] {
            Value::Object(_) => "one",
            Value::Array(a) if a.is_empty() => "none",
            _ => "many",
        };
        tag_shapes.insert(shape);
        assert!(n["track"]["toptags"]["tag"].is_array(), "{raw}");
        assert!(n["track"].get("userloved").is_none(), "only with username");
    }
    assert_eq!(tag_shapes.len(), 3, "{tag_shapes:?}");

    // Artist info: a single similar artist and a single bio link come as objects.
    let (raw, n) = raw_and_normalized(&client, "artist.getInfo", &[("artist", "Cher")]);
    assert!(raw["artist"]["similar"]["artist"].is_object());
    assert!(raw["artist"]["bio"]["links"]["link"].is_object());
    assert_eq!(
        n["artist"]["similar"]["artist"].as_array().unwrap().len(),
        1
    );
    assert_eq!(n["artist"]["bio"]["links"]["link"][0]["rel"], "original");
    assert!(n["artist"]["stats"]["listeners"].is_u64());
    assert!(n["artist"]["ontour"].is_boolean());
    assert_eq!(n["artist"]["image"], json!({}));

    // Album info: one track as an object, tags as "", images kept.
    let (raw, n) = raw_and_normalized(
        &client,
        "album.getInfo",
        &[("artist", "Cher"), ("album", "Believe")],
    );
    assert_eq!(raw["album"]["tags"], "");
    assert!(raw["album"]["tracks"]["track"].is_object());
    assert_eq!(n["album"]["tags"], json!({"tag": []}));
    assert_eq!(n["album"]["tracks"]["track"][0]["rank"], 1);
    assert_eq!(n["album"]["image"].as_object().unwrap().len(), 4);

    // Nothing loaded: empty lists are arrays.
    control(&client, "mock.loadPlays", &[("count", "0")]);
    let (_, n) = raw_and_normalized(&client, "user.getLovedTracks", &[("user", "RJ")]);
    assert_eq!(n["lovedtracks"]["track"], json!([]));
    let (_, n) = raw_and_normalized(&client, "user.getRecentTracks", &[("user", "RJ")]);
    assert_eq!(n["recenttracks"]["track"], json!([]));
}

#[test]
fn read_retries_transient_errors_only_when_asked() {
    let env = MockEnv::start();
    let client = env.client();
    env.server.push_fault(
        lfm_mock::Fault::ApiError {
            code: 16,
            http: None,
        },
        2,
    );
    let e = read::read(
        &client,
        "user.getInfo",
        &[("user", "RJ")],
        CallFlags::NONE,
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.api_code(), 16);
    let (retry, rec) = recording_retry();
    let body = read::read(
        &client,
        "user.getInfo",
        &[("user", "RJ")],
        CallFlags::NONE,
        &ReadOptions {
            normalize: false,
            retry: Some(retry),
        },
    )
    .unwrap();
    assert!(
        body.contains("\"playcount\":\"0\""),
        "raw without normalize: {body}"
    );
    assert_eq!(rec.0.lock().unwrap().len(), 1);
}
