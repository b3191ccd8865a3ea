//! `lfm listen`: player events from stdin lines drive liblfm's scrobbler engine; its events
//! are printed as lines.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lfm::scrobbler::{Corrections, Event, EventKind, Scrobbler};
use lfm::Track;
use serde_json::{json, Map, Value};

/// How long `drain` without an argument waits, and the default wait at end of input.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(5);

/// One line of input.
#[derive(Debug, PartialEq)]
enum Line {
    Play(Track),
    Pause,
    Resume,
    Seek(u32),
    Stop,
    Flush,
    Drain(Duration),
    Advance(i64),
}

/// A duration in seconds: `215` or `3:35`.
fn seconds(text: &str) -> Option<u32> {
    match text.split_once(':') {
        Some((m, s)) if s.len() == 2 => {
            let s: u32 = s.parse().ok().filter(|s| *s < 60)?;
            m.parse::<u32>().ok()?.checked_mul(60)?.checked_add(s)
        }
        Some(_) => None,
        None => text.parse().ok(),
    }
}

/// Parse one line; `Ok(None)` for a blank line or a comment.
fn parse(line: &str) -> Result<Option<Line>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let number = |what: &str| -> Result<u64, String> {
        rest.parse()
            .map_err(|_| format!("{word} needs {what}, not {rest:?}"))
    };
    let none = |l: Line| {
        if rest.is_empty() {
            Ok(Some(l))
        } else {
            Err(format!("{word} takes no argument"))
        }
    };
    match word {
        "play" => {
            let usage = "play needs ARTIST - TITLE DURATION (seconds or M:SS; 0 if unknown)";
            let (names, duration) = rest.rsplit_once(char::is_whitespace).ok_or(usage)?;
            let duration = seconds(duration).ok_or(usage)?;
            let (artist, title) = names.split_once(" - ").ok_or(usage)?;
            let (artist, title) = (artist.trim(), title.trim());
            if artist.is_empty() || title.is_empty() {
                return Err(usage.into());
            }
            Ok(Some(Line::Play(Track {
                artist: artist.into(),
                track: title.into(),
                duration_secs: duration,
                ..Track::default()
            })))
        }
        "pause" => none(Line::Pause),
        "resume" => none(Line::Resume),
        "stop" => none(Line::Stop),
        "flush" => none(Line::Flush),
        "seek" => {
            let ms = number("a position in milliseconds")?;
            let ms = u32::try_from(ms).map_err(|_| format!("seek {ms}: too far"))?;
            Ok(Some(Line::Seek(ms)))
        }
        "drain" if rest.is_empty() => Ok(Some(Line::Drain(DEFAULT_DRAIN))),
        "drain" => Ok(Some(Line::Drain(Duration::from_millis(number(
            "a wait in milliseconds",
        )?)))),
        "advance" => {
            let ms = number("milliseconds")?;
            let ms = i64::try_from(ms).map_err(|_| format!("advance {ms}: too far"))?;
            Ok(Some(Line::Advance(ms)))
        }
        other => Err(format!(
            "unknown event {other:?} (play, pause, resume, seek, stop, flush, drain)"
        )),
    }
}

fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::NowPlaying => "now_playing",
        EventKind::Queued => "queued",
        EventKind::Delivered => "delivered",
        EventKind::Rejected => "rejected",
        EventKind::Deferred => "deferred",
        EventKind::AuthLost => "auth_lost",
    }
}

fn corrections_text(c: &Corrections) -> String {
    let parts: Vec<String> = [
        ("artist", &c.artist),
        ("title", &c.track),
        ("album", &c.album),
    ]
    .into_iter()
    .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v:?}")))
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (Last.fm corrected: {})", parts.join(", "))
    }
}

/// An event as a line of text for people.
fn human(e: &Event) -> String {
    let play = e.track.as_ref().map_or(String::new(), |t| {
        format!("{} - {} (started {})", t.artist, t.track, t.timestamp)
    });
    let fixes = corrections_text(&e.corrections);
    match e.kind {
        EventKind::NowPlaying if e.code == 0 && e.message.is_empty() => {
            let t = e
                .track
                .as_ref()
                .map_or(String::new(), |t| format!("{} - {}", t.artist, t.track));
            format!("now playing: {t}{fixes}")
        }
        EventKind::NowPlaying => format!("now playing not sent (code {}): {}", e.code, e.message),
        EventKind::Queued => format!("queued: {play}"),
        EventKind::Delivered => format!("scrobbled: {play}{fixes}"),
        EventKind::Rejected => format!("rejected (code {}): {play}: {}", e.code, e.message),
        EventKind::Deferred => format!(
            "deferred: {}; next try in {} s",
            e.message,
            e.retry_after_ms.div_euclid(1000)
        ),
        EventKind::AuthLost => format!(
            "delivery stopped (code {}): {}; plays are kept until a new session key is set",
            e.code, e.message
        ),
    }
}

/// An event as one JSON object.
fn as_json(e: &Event) -> Value {
    let mut m = Map::new();
    m.insert("event".into(), kind_name(e.kind).into());
    if let Some(t) = &e.track {
        m.insert("artist".into(), t.artist.clone().into());
        m.insert("track".into(), t.track.clone().into());
        m.insert("duration".into(), t.duration_secs.into());
        if t.timestamp != 0 {
            m.insert("timestamp".into(), t.timestamp.into());
        }
    }
    m.insert("code".into(), e.code.into());
    if !e.message.is_empty() {
        m.insert("message".into(), e.message.clone().into());
    }
    if e.kind == EventKind::Deferred {
        m.insert("retry_after_ms".into(), e.retry_after_ms.into());
    }
    for (name, v) in [
        ("corrected_artist", &e.corrections.artist),
        ("corrected_track", &e.corrections.track),
        ("corrected_album", &e.corrections.album),
    ] {
        if let Some(v) = v {
            m.insert(name.into(), v.clone().into());
        }
    }
    Value::Object(m)
}

fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Settings of a `listen` session.
pub struct Options<'a> {
    pub queue_path: &'a Path,
    pub json: bool,
    pub simulated_clock: bool,
    pub drain_at_end: Duration,
}

/// Run a session: read events from `input` until its end, then drain for
/// `drain_at_end` and close. Returns the plays left in the queue file.
pub fn listen(
    client: lfm::Client,
    options: &Options<'_>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<usize, lfm::Error> {
    let scrobbler = Scrobbler::new(Arc::new(client), options.queue_path)?;
    let clock = Arc::new(AtomicI64::new(real_now_ms()));
    if options.simulated_clock {
        let c = Arc::clone(&clock);
        scrobbler.set_clock(Some(Box::new(move || c.load(Ordering::SeqCst))));
    }
    let json = options.json;
    scrobbler.set_listener(Some(Box::new(move |e: &Event| {
        let line = if json {
            as_json(e).to_string()
        } else {
            human(e)
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    })));
    let mut number = 0;
    let mut text = String::new();
    loop {
        text.clear();
        number += 1;
        match input.read_line(&mut text) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("lfm listen: cannot read stdin: {e}");
                break;
            }
        }
        let done = match parse(&text) {
            Ok(None) => Ok(()),
            Ok(Some(Line::Play(t))) => scrobbler.play(&t),
            Ok(Some(Line::Pause)) => scrobbler.pause(),
            Ok(Some(Line::Resume)) => scrobbler.resume(),
            Ok(Some(Line::Seek(ms))) => scrobbler.seek(ms),
            Ok(Some(Line::Stop)) => scrobbler.stop(),
            Ok(Some(Line::Flush)) => {
                scrobbler.flush_now();
                Ok(())
            }
            Ok(Some(Line::Drain(wait))) => {
                let left = scrobbler.drain(wait);
                let _ = writeln!(out, "{}", pending_line(json, left));
                Ok(())
            }
            Ok(Some(Line::Advance(ms))) if options.simulated_clock => {
                clock.fetch_add(ms, Ordering::SeqCst);
                Ok(())
            }
            Ok(Some(Line::Advance(_))) => {
                Err(lfm::Error::invalid("advance needs --simulated-clock"))
            }
            Err(message) => Err(lfm::Error::invalid(message)),
        };
        if let Err(e) = done {
            eprintln!(
                "lfm listen: line {number} ignored: {}: {}",
                text.trim_end(),
                e.message()
            );
        }
    }
    let left = scrobbler.drain(options.drain_at_end);
    scrobbler.close(DEFAULT_DRAIN);
    Ok(left)
}

fn pending_line(json: bool, pending: usize) -> String {
    if json {
        json!({"event": "pending", "pending": pending}).to_string()
    } else {
        format!("pending: {pending}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let play = parse("play Blink-182 - All the Small Things 2:48").unwrap();
        assert_eq!(
            play,
            Some(Line::Play(Track {
                artist: "Blink-182".into(),
                track: "All the Small Things".into(),
                duration_secs: 168,
                ..Track::default()
            }))
        );
        let play = parse("  play A - B - C 0\n").unwrap();
        assert!(
            matches!(play, Some(Line::Play(t)) if t.artist == "A" && t.track == "B - C" && t.duration_secs == 0)
        );
        assert_eq!(parse("seek 1500").unwrap(), Some(Line::Seek(1500)));
        assert_eq!(parse("drain").unwrap(), Some(Line::Drain(DEFAULT_DRAIN)));
        assert_eq!(
            parse("drain 250").unwrap(),
            Some(Line::Drain(Duration::from_millis(250)))
        );
        assert_eq!(parse("# a comment").unwrap(), None);
        assert_eq!(parse("   ").unwrap(), None);
        for bad in [
            "play A - B",
            "play A B 200",
            "play  - B 200",
            "play A - B 3:75",
            "seek",
            "seek -5",
            "pause now",
            "skip",
            "advance soon",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
