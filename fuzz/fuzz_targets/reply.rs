//! `reply`: the first line is `HTTP_STATUS [N]` (N: the number of tracks a scrobble reply
//! must cover, default 1); the rest is the body. An input whose first line is not that is
//! a body answered with 200. `lfm::reply::interpret`, `lfm::scrobble::parse_scrobble_reply`
//! and `lfm::auth::parse_session` never panic, and their results keep their promises.
#![no_main]

use lfm::Status;
use libfuzzer_sys::fuzz_target;

fn header(data: &[u8]) -> Option<(u16, usize, &[u8])> {
    let nl = data.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&data[..nl]).ok()?;
    let mut words = line.split(' ');
    let status: u16 = words.next()?.parse().ok()?;
    let n = match words.next() {
        Some(w) => w.parse::<usize>().ok()?.min(200),
        None => 1,
    };
    Some((status, n, &data[nl + 1..]))
}

fuzz_target!(|data: &[u8]| {
    let (status, n, body) = header(data).unwrap_or((200, 1, data));
    let success = (200..300).contains(&status);

    for retry_after in [None, Some(1500)] {
        match lfm::reply::interpret(status, body.to_vec(), retry_after) {
            Ok(text) => {
                assert!(success, "HTTP {status} accepted as success");
                assert_eq!(
                    text.as_bytes(),
                    body,
                    "a success must return the body as received"
                );
            }
            Err(e) => {
                assert!(
                    matches!(e.status(), Status::Api | Status::Http | Status::Parse),
                    "unexpected status {:?}",
                    e.status()
                );
                assert_eq!(e.http_status(), status);
                if e.status() == Status::Parse {
                    assert!(success, "a parse error on HTTP {status}");
                }
                if e.status() == Status::Http {
                    assert!(!success, "an HTTP error on HTTP {status}");
                    assert_eq!(e.retry_after_ms(), retry_after.unwrap_or(0));
                    // The README's rule (5xx and 429) for real statuses; above 599 (not
                    // HTTP) the library counts every status >= 500 as a server error.
                    if status <= 599 {
                        let transient = status == 429 || status >= 500;
                        assert_eq!(e.is_retryable(), transient);
                    }
                }
                assert!(!e.message().is_empty());
            }
        }
    }

    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    for count in [n, 0, 1, 2, 50] {
        if let Ok(verdicts) = lfm::scrobble::parse_scrobble_reply(text, count) {
            assert_eq!(verdicts.len(), count, "verdicts for {count} tracks");
            for v in &verdicts {
                assert!(
                    v.code == 0 || !v.message.is_empty(),
                    "an ignored play without a reason"
                );
            }
        }
    }
    if let Ok(session) = lfm::auth::parse_session(text, "fallback") {
        assert!(!session.key.is_empty());
        assert!(!session.key.chars().any(char::is_control));
        assert!(!session.name.is_empty() && !session.name.contains('\0'));
    }
});
