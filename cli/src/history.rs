//! `lfm history USER`: a user's whole listening history through the read layer's pager,
//! written once per play, resumable after an interruption.
//!
//! Durability: with `-o FILE`, after each page the plays are written, flushed and
//! fsync'ed, then the pager's state and the output's length are written to
//! `FILE.lfm-history-state` (temporary file, fsync, rename, fsync of the directory).
//! `--resume` truncates the output to the saved length (dropping a torn line or a page
//! written after the last save) and continues the walk from the saved state, so the
//! combined output has no gap and no repeat. The state file is removed on completion.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, IsTerminal, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use lfm::read::{Page, Pager};
use serde_json::{json, Value};

use crate::args::Args;
use crate::Failure;

pub(crate) const HELP: &str = "\
usage: lfm history USER [--from T] [--to T] [--format jsonl|csv] [-o FILE] [--resume]
                        [--page-size N]

Exports every play of USER, newest first, through Last.fm's user.getRecentTracks: each
play exactly once (the now-playing track left out, plays sharing a second kept across
pages), transient errors (8, 11, 16, 29, HTTP 5xx, network) retried with back-off, requests
paced by --rate-limit (default 5 per second).

  --from T, --to T   only plays with from <= time <= to; T is Unix seconds (1700000000)
                     or an ISO 8601 UTC date or time (2024-01-31 is its midnight UTC,
                     2024-01-31T18:30:00Z)
  --format F         jsonl (default): one normalized play per line, as the read layer
                     shapes it; csv: RFC 4180, a header row, CRLF line ends, columns
                     timestamp,time,artist,track,album,artist_mbid,track_mbid,album_mbid,url
                     (timestamp: Unix seconds; time: ISO 8601 UTC)
  -o, --output FILE  write to FILE (default: standard output). After every page the file
                     is flushed to disk and FILE.lfm-history-state records the progress.
  --resume           continue an interrupted export of FILE from its state file (the same
                     USER; bounds, format and page size come from the state)
  --page-size N      plays per request, 2 to 200 (default and Last.fm's maximum: 200)

A progress line (pages done/total, plays, rate, ETA) goes to stderr when it is a terminal.
Exit codes: 0 the whole history was written (the state file is removed); 1 the export
failed (the message says why; with -o, what was written is kept and --resume continues
it); 2 usage error.";

/// The suffix of the state file beside the output.
const STATE_SUFFIX: &str = ".lfm-history-state";
const CSV_HEADER: &str =
    "timestamp,time,artist,track,album,artist_mbid,track_mbid,album_mbid,url\r\n";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Jsonl,
    Csv,
}

impl Format {
    fn parse(text: &str) -> Result<Format, Failure> {
        match text {
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            other => Err(Failure::Usage(format!(
                "unknown format {other:?} (jsonl or csv)"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// One play as a line of output.
    fn line(self, play: &Value) -> String {
        match self {
            Format::Jsonl => format!("{play}\n"),
            Format::Csv => {
                let text = |v: &Value| v.as_str().unwrap_or("").to_string();
                let uts = play["date"]["uts"].as_i64().unwrap_or(0);
                let fields = [
                    uts.to_string(),
                    iso_time(uts),
                    text(&play["artist"]["name"]),
                    text(&play["name"]),
                    text(&play["album"]["name"]),
                    text(&play["artist"]["mbid"]),
                    text(&play["mbid"]),
                    text(&play["album"]["mbid"]),
                    text(&play["url"]),
                ];
                let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                format!("{}\r\n", quoted.join(","))
            }
        }
    }
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Where the plays go: a file made durable page by page, or a stream.
enum Output<'a> {
    File { file: BufWriter<File>, bytes: u64 },
    Stream(&'a mut dyn Write),
}

impl Output<'_> {
    fn write(&mut self, text: &str) -> std::io::Result<()> {
        match self {
            Output::File { file, bytes } => {
                file.write_all(text.as_bytes())?;
                *bytes += text.len() as u64;
                Ok(())
            }
            Output::Stream(w) => w.write_all(text.as_bytes()),
        }
    }

    /// Everything written so far reaches the disk (or the stream).
    fn commit(&mut self) -> std::io::Result<()> {
        match self {
            Output::File { file, .. } => {
                file.flush()?;
                file.get_ref().sync_data()
            }
            Output::Stream(w) => w.flush(),
        }
    }
}

/// What the state file holds.
struct Saved {
    user: String,
    format: Format,
    /// The output's length after the last page written completely.
    bytes: u64,
    plays: u64,
    pager: String,
}

impl Saved {
    fn to_json(&self) -> String {
        let pager: Value = serde_json::from_str(&self.pager).unwrap_or(Value::Null);
        json!({
            "lfm_history": 1,
            "user": self.user,
            "format": self.format.name(),
            "bytes": self.bytes,
            "plays": self.plays,
            "pager": pager,
        })
        .to_string()
    }

    fn read(path: &Path) -> Result<Saved, Failure> {
        let text = fs::read_to_string(path)
            .map_err(|e| Failure::Failed(format!("cannot resume: {}: {e}", path.display())))?;
        let bad = || Failure::Failed(format!("{} is not an lfm history state", path.display()));
        let v: Value = serde_json::from_str(&text).map_err(|_| bad())?;
        if v["lfm_history"] != json!(1) || !v["pager"].is_object() {
            return Err(bad());
        }
        Ok(Saved {
            user: v["user"].as_str().ok_or_else(bad)?.to_string(),
            format: Format::parse(v["format"].as_str().ok_or_else(bad)?).map_err(|_| bad())?,
            bytes: v["bytes"].as_u64().ok_or_else(bad)?,
            plays: v["plays"].as_u64().ok_or_else(bad)?,
            pager: v["pager"].to_string(),
        })
    }

    /// Replace the state file atomically: a temporary file, fsync, rename, fsync of the
    /// directory, so a crash leaves the old state or the new one, never a torn one.
    fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let mut f = File::create(&tmp)?;
        f.write_all(self.to_json().as_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(path)
    }
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

fn state_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(STATE_SUFFIX);
    PathBuf::from(name)
}

/// The progress line on stderr (only when stderr is a terminal).
struct Progress {
    enabled: bool,
    started: Instant,
    pages: u32,
    plays: u64,
}

impl Progress {
    fn show(&mut self, page: &Page, total_pages: u32, plays_in_all: u64) {
        self.pages += 1;
        self.plays += page.items.len() as u64;
        if !self.enabled {
            return;
        }
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let left = f64::from(total_pages.saturating_sub(page.number));
        let eta = (left * secs / f64::from(self.pages)).round() as u64;
        eprint!(
            "\r\x1b[Kpage {}/{}, {} plays, {:.0} plays/s, ETA {}",
            page.number,
            total_pages,
            plays_in_all,
            self.plays as f64 / secs,
            duration(eta)
        );
    }

    fn finish(&self) {
        if self.enabled && self.pages > 0 {
            eprintln!();
        }
    }
}

/// `h:mm:ss` or `m:ss`.
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub(crate) fn history(args: &Args, rest: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let user = match rest {
        [user] => user.as_str(),
        [] => return Err(Failure::Usage("history needs a USER".into())),
        [_, extra, ..] => {
            return Err(Failure::Usage(format!("unexpected argument {extra:?}")));
        }
    };
    let format = args.get("format").map(Format::parse).transpose()?;
    let from = args
        .get("from")
        .map(|t| parse_time("from", t))
        .transpose()?;
    let to = args.get("to").map(|t| parse_time("to", t)).transpose()?;
    let page_size = args.number::<u32>("page-size")?;
    if page_size.is_some_and(|n| !(2..=200).contains(&n)) {
        return Err(Failure::Usage("--page-size must be 2 to 200".into()));
    }
    let output = args.get("output").map(PathBuf::from);
    let resume = args.flag("resume");
    let client = crate::client(args)?;
    let io_error = |what: &Path| {
        let what = what.display().to_string();
        move |e: std::io::Error| Failure::Failed(format!("{what}: {e}"))
    };

    let (mut pager, mut sink, format, mut plays) = if resume {
        let output = output
            .as_deref()
            .ok_or_else(|| Failure::Usage("--resume needs -o FILE".into()))?;
        if from.is_some() || to.is_some() || page_size.is_some() {
            return Err(Failure::Usage(
                "--from, --to and --page-size come from the saved state on --resume".into(),
            ));
        }
        let saved = Saved::read(&state_path(output))?;
        if !saved.user.eq_ignore_ascii_case(user) {
            return Err(Failure::Usage(format!(
                "the export of {} was for user {:?}, not {user:?}",
                output.display(),
                saved.user
            )));
        }
        if format.is_some_and(|f| f != saved.format) {
            return Err(Failure::Usage(format!(
                "the export of {} is {}",
                output.display(),
                saved.format.name()
            )));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(output)
            .map_err(io_error(output))?;
        let len = file.metadata().map_err(io_error(output))?.len();
        if len < saved.bytes {
            return Err(Failure::Failed(format!(
                "{} is shorter than its saved state says ({len} < {} bytes): it was changed; \
                 start again without --resume",
                output.display(),
                saved.bytes
            )));
        }
        // Drop whatever follows the last page saved: a torn line, or a page written
        // after the last save, which the pager will fetch again.
        file.set_len(saved.bytes).map_err(io_error(output))?;
        file.sync_data().map_err(io_error(output))?;
        file.seek(SeekFrom::End(0)).map_err(io_error(output))?;
        let pager = Pager::resume(&client, &saved.pager)?;
        let sink = Output::File {
            file: BufWriter::new(file),
            bytes: saved.bytes,
        };
        (pager, sink, saved.format, saved.plays)
    } else {
        let format = format.unwrap_or(Format::Jsonl);
        let limit = page_size
            .unwrap_or(lfm::read::pager::DEFAULT_LIMIT)
            .to_string();
        let (from_s, to_s) = (from.map(|f| f.to_string()), to.map(|t| t.to_string()));
        let mut params = vec![("user", user), ("limit", limit.as_str())];
        if let Some(f) = &from_s {
            params.push(("from", f.as_str()));
        }
        if let Some(t) = &to_s {
            params.push(("to", t.as_str()));
        }
        let pager = Pager::open(&client, "user.getRecentTracks", &params)?;
        let mut sink = match &output {
            Some(path) => {
                let state = state_path(path);
                if state.exists() {
                    return Err(Failure::Failed(format!(
                        "an interrupted export of {} exists ({}): continue it with --resume, \
                         or delete that file to start again",
                        path.display(),
                        state.display()
                    )));
                }
                let file = File::create(path).map_err(io_error(path))?;
                Output::File {
                    file: BufWriter::new(file),
                    bytes: 0,
                }
            }
            None => Output::Stream(out),
        };
        if format == Format::Csv {
            sink.write(CSV_HEADER)
                .map_err(|e| Failure::Failed(e.to_string()))?;
        }
        (pager, sink, format, 0)
    };

    let state = output.as_deref().map(state_path);
    let failed_io = |e: std::io::Error| Failure::Failed(format!("writing the history: {e}"));
    let mut progress = Progress {
        enabled: std::io::stderr().is_terminal(),
        started: Instant::now(),
        pages: 0,
        plays: 0,
    };
    let kept = |e: lfm::Error| match &output {
        Some(path) if state.as_deref().is_some_and(Path::exists) => Failure::Failed(format!(
            "{} (what was written is in {}; continue with --resume)",
            crate::describe_error(&e),
            path.display()
        )),
        _ => Failure::from(e),
    };
    loop {
        let page = match pager.next_page() {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => {
                progress.finish();
                return Err(kept(e));
            }
        };
        for play in &page.items {
            sink.write(&format.line(play)).map_err(failed_io)?;
        }
        sink.commit().map_err(failed_io)?;
        plays += page.items.len() as u64;
        if let (Some(path), Output::File { bytes, .. }) = (&state, &sink) {
            let saved = Saved {
                user: user.to_string(),
                format,
                bytes: *bytes,
                plays,
                pager: pager.state(),
            };
            saved.write(path).map_err(io_error(path))?;
        }
        let total_pages = pager.total().map_or(page.number, |t| t.pages);
        progress.show(&page, total_pages, plays);
    }
    progress.finish();
    sink.commit().map_err(failed_io)?;
    if let Some(path) = &state {
        match fs::remove_file(path) {
            Ok(()) => sync_dir(path).map_err(io_error(path))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path)(e)),
        }
    }
    if progress.enabled {
        if let Some(path) = &output {
            eprintln!("{plays} plays written to {}", path.display());
        }
    }
    Ok(())
}

/// Unix seconds, or an ISO 8601 UTC date (`2024-01-31`, its midnight) or date and time
/// (`2024-01-31T18:30:00Z`, `2024-01-31 18:30`).
fn parse_time(option: &str, text: &str) -> Result<i64, Failure> {
    let bad = || {
        Failure::Usage(format!(
            "--{option} must be Unix seconds or an ISO 8601 UTC date or time \
             (2024-01-31, 2024-01-31T18:30:00Z), not {text:?}"
        ))
    };
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').unwrap_or(t))),
        None => (text, None),
    };
    let numbers = |s: &str, sep: char, min: usize, max: usize| -> Option<Vec<i64>> {
        let parts: Vec<&str> = s.split(sep).collect();
        if parts.len() < min
            || parts.len() > max
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        parts.iter().map(|p| p.parse().ok()).collect()
    };
    let ymd = numbers(date, '-', 3, 3).ok_or_else(bad)?;
    let days = days_from_civil(ymd[0], ymd[1], ymd[2]);
    if !(1..=12).contains(&ymd[1]) || civil_from_days(days) != (ymd[0], ymd[1], ymd[2]) {
        return Err(bad());
    }
    let hms = match time {
        None => vec![0, 0, 0],
        Some(t) => numbers(t, ':', 2, 3).ok_or_else(bad)?,
    };
    let (h, m, s) = (hms[0], hms[1], hms.get(2).copied().unwrap_or(0));
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(days * 86_400 + h * 3600 + m * 60 + s)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
fn iso_time(uts: i64) -> String {
    let (y, m, d) = civil_from_days(uts.div_euclid(86_400));
    let secs = uts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_unix_seconds_or_iso_dates() {
        let t = |s: &str| parse_time("from", s).ok();
        assert_eq!(t("1700000000"), Some(1_700_000_000));
        assert_eq!(t("1970-01-01"), Some(0));
        assert_eq!(t("2024-01-31"), Some(1_706_659_200));
        assert_eq!(t("2024-01-31T18:30:00Z"), Some(1_706_725_800));
        assert_eq!(t("2024-01-31 18:30"), Some(1_706_725_800));
        assert_eq!(t("2024-02-29"), Some(1_709_164_800));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-01-32",
            "2024-1",
            "2024-01-31T24:00",
            "yesterday",
            "",
            "2024-01-31T18",
            "+2024-01-01",
        ] {
            assert!(t(bad).is_none(), "{bad}");
        }
        assert_eq!(iso_time(1_706_725_800), "2024-01-31T18:30:00Z");
        assert_eq!(iso_time(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        let play = json!({"date": {"uts": 0}, "artist": {"name": "A, B", "mbid": ""},
            "name": "T", "album": {"name": "", "mbid": "m"}, "mbid": "", "url": "u"});
        assert_eq!(
            Format::Csv.line(&play),
            "0,1970-01-01T00:00:00Z,\"A, B\",T,,,,m,u\r\n"
        );
        assert_eq!(duration(3725), "1:02:05");
        assert_eq!(duration(65), "1:05");
    }
}
