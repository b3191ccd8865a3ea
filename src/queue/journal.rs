//! The queue's file: an append-only journal of records, one per line, each line
//! `<crc32 as 8 hex digits> <JSON record>`, after a header line `lfm-queue 1`.
//!
//! Why this is as safe as an embedded database for this job:
//! - A record is acknowledged only after `fdatasync`, so an acknowledged push survives a
//!   crash or power loss.
//! - A crash mid-append leaves at most one torn last line; its CRC (or its missing newline)
//!   marks it, it is skipped, and the next append starts on a fresh line.
//! - Any damaged line elsewhere is skipped on its own: every intact record still loads, the
//!   damage is reported, and before the file is ever rewritten the damaged original is kept
//!   beside it as `<path>.damaged-<unix time>`. Nothing is deleted.
//! - Rewrites (compaction) go to `<path>.tmp`, are synced, and atomically renamed over the
//!   journal, then the directory is synced.
//! - A separate `<path>.lock` file is locked for as long as the queue is open, so a second
//!   opener (another process, or the same one) gets a clear error instead of interleaving.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::error::{Error, Result, Status};
use crate::track::Track;

/// The first line of every journal.
pub const HEADER: &str = "lfm-queue 1";

/// One journal record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A play entered the queue (also written by compaction, with its history).
    Push {
        /// Queue-unique id, increasing.
        id: u64,
        /// The play.
        track: Track,
        /// When it was queued (UTC Unix seconds).
        queued_at: i64,
        /// Failed delivery attempts so far.
        attempts: u32,
        /// Of those, failures of this play alone while the server accepted others.
        isolated_failures: u32,
        /// The last delivery error, secret-free.
        last_error: Option<String>,
    },
    /// The server accepted these plays: they leave the queue.
    Done {
        /// Ids delivered.
        ids: Vec<u64>,
    },
    /// The play will not be sent again; it stays listed with its reason.
    Reject {
        /// Id rejected.
        id: u64,
        /// Last.fm's ignored code (1..5), 0 when none.
        ignored_code: i32,
        /// The API error code that isolated it, 0 when none.
        api_code: i32,
        /// Why, for the user.
        reason: String,
    },
    /// A delivery attempt of these plays failed.
    Fail {
        /// Ids attempted.
        ids: Vec<u64>,
        /// The error, secret-free.
        error: String,
        /// The plays failed on their own while the server accepted other plays.
        isolated: bool,
    },
    /// The user removed the play.
    Remove {
        /// Id removed.
        id: u64,
    },
    /// The user asked to retry a rejected play.
    Retry {
        /// Id to retry.
        id: u64,
    },
}

impl Record {
    fn to_json(&self) -> Value {
        match self {
            Record::Push {
                id,
                track,
                queued_at,
                attempts,
                isolated_failures,
                last_error,
            } => {
                let mut m = Map::new();
                m.insert("op".into(), "push".into());
                m.insert("id".into(), (*id).into());
                m.insert("artist".into(), track.artist.clone().into());
                m.insert("track".into(), track.track.clone().into());
                for (k, v) in [
                    ("album", &track.album),
                    ("albumArtist", &track.album_artist),
                    ("mbid", &track.mbid),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v.clone().into());
                    }
                }
                m.insert("timestamp".into(), track.timestamp.into());
                m.insert("duration".into(), track.duration_secs.into());
                m.insert("trackNumber".into(), track.track_number.into());
                m.insert("queuedAt".into(), (*queued_at).into());
                if *attempts > 0 {
                    m.insert("attempts".into(), (*attempts).into());
                }
                if *isolated_failures > 0 {
                    m.insert("isolatedFailures".into(), (*isolated_failures).into());
                }
                if let Some(e) = last_error {
                    m.insert("lastError".into(), e.clone().into());
                }
                Value::Object(m)
            }
            Record::Done { ids } => json!({"op": "done", "ids": ids}),
            Record::Reject {
                id,
                ignored_code,
                api_code,
                reason,
            } => json!({
                "op": "reject", "id": id, "ignoredCode": ignored_code, "apiCode": api_code, "reason": reason
            }),
            Record::Fail {
                ids,
                error,
                isolated,
            } => {
                let mut v = json!({"op": "fail", "ids": ids, "error": error});
                if *isolated {
                    v["isolated"] = true.into();
                }
                v
            }
            Record::Remove { id } => json!({"op": "remove", "id": id}),
            Record::Retry { id } => json!({"op": "retry", "id": id}),
        }
    }

    fn from_json(v: &Value) -> Option<Record> {
        let u64_of = |k: &str| v.get(k).and_then(Value::as_u64);
        let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let i32_of = |k: &str| {
            v.get(k)
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
        };
        let ids = || -> Option<Vec<u64>> {
            v.get("ids")?
                .as_array()?
                .iter()
                .map(Value::as_u64)
                .collect()
        };
        Some(match v.get("op")?.as_str()? {
            "push" => Record::Push {
                id: u64_of("id")?,
                track: Track {
                    artist: str_of("artist")?,
                    track: str_of("track")?,
                    album: str_of("album"),
                    album_artist: str_of("albumArtist"),
                    mbid: str_of("mbid"),
                    timestamp: v.get("timestamp")?.as_i64()?,
                    duration_secs: u32::try_from(u64_of("duration").unwrap_or(0)).ok()?,
                    track_number: u32::try_from(u64_of("trackNumber").unwrap_or(0)).ok()?,
                },
                queued_at: v.get("queuedAt").and_then(Value::as_i64).unwrap_or(0),
                attempts: u32::try_from(u64_of("attempts").unwrap_or(0)).ok()?,
                isolated_failures: u32::try_from(u64_of("isolatedFailures").unwrap_or(0)).ok()?,
                last_error: str_of("lastError"),
            },
            "done" => Record::Done { ids: ids()? },
            "reject" => Record::Reject {
                id: u64_of("id")?,
                ignored_code: i32_of("ignoredCode").unwrap_or(0),
                api_code: i32_of("apiCode").unwrap_or(0),
                reason: str_of("reason").unwrap_or_default(),
            },
            "fail" => Record::Fail {
                ids: ids()?,
                error: str_of("error").unwrap_or_default(),
                isolated: v.get("isolated").and_then(Value::as_bool).unwrap_or(false),
            },
            "remove" => Record::Remove { id: u64_of("id")? },
            "retry" => Record::Retry { id: u64_of("id")? },
            _ => return None,
        })
    }
}

/// A record as one journal line, newline included.
pub fn encode_line(record: &Record) -> String {
    let body = record.to_json().to_string();
    format!("{:08x} {body}\n", crc32fast::hash(body.as_bytes()))
}

/// Decode one line (without its newline); `None` when damaged.
pub fn decode_line(line: &[u8]) -> Option<Record> {
    let line = std::str::from_utf8(line).ok()?;
    let (crc, body) = line.split_once(' ')?;
    if crc.len() != 8 || u32::from_str_radix(crc, 16).ok()? != crc32fast::hash(body.as_bytes()) {
        return None;
    }
    Record::from_json(&serde_json::from_str(body).ok()?)
}

/// What a journal file holds: its intact records, in order, and where it is damaged.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Every intact record.
    pub records: Vec<Record>,
    /// 1-based line numbers of damaged lines (a bad header included).
    pub damaged_lines: Vec<usize>,
    /// The file ended in the middle of a line (an interrupted append).
    pub torn_tail: bool,
    /// The first line is the expected header.
    pub has_header: bool,
}

/// Parse a journal's bytes. Never fails and never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    if bytes.is_empty() {
        return parsed;
    }
    parsed.torn_tail = !bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let last = body.split(|b| *b == b'\n').count() - 1;
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if i == 0 && line == HEADER.as_bytes() {
            parsed.has_header = true;
            continue;
        }
        match decode_line(line) {
            Some(record) => parsed.records.push(record),
            None if line.is_empty() => {}
            // A cut-short last line is reported as the torn tail, not as damage.
            None if i == last && parsed.torn_tail => {}
            None => parsed.damaged_lines.push(i + 1),
        }
    }
    parsed
}

/// The open journal: an append handle and the lock that keeps other openers out.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    _lock: File,
    /// Lines in the file (for deciding when to compact).
    pub lines: usize,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(Status::Io, format!("{what} {}: {e}", path.display()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn sync_parent_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot sync directory of", path, e))
}

impl Journal {
    /// Lock and open (creating if needed) the journal at `path`, returning its contents.
    pub fn open(path: &Path) -> Result<(Journal, Parsed)> {
        let lock_path = with_suffix(path, ".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error("cannot open queue lock", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    Status::Io,
                    format!(
                        "queue {} is already open (in this or another process)",
                        path.display()
                    ),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io_error("cannot lock queue", &lock_path, e))
            }
        }
        let existed = path.exists();
        let bytes = if existed {
            std::fs::read(path).map_err(|e| io_error("cannot read queue", path, e))?
        } else {
            Vec::new()
        };
        let parsed = parse(&bytes);
        if !bytes.is_empty() && !parsed.has_header && parsed.records.is_empty() {
            return Err(Error::invalid(format!(
                "{} is not a liblfm queue file; refusing to write to it",
                path.display()
            )));
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_error("cannot open queue", path, e))?;
        let mut lines = bytes.iter().filter(|b| **b == b'\n').count();
        if bytes.is_empty() {
            file.write_all(format!("{HEADER}\n").as_bytes())
                .and_then(|()| file.sync_data())
                .map_err(|e| io_error("cannot write queue", path, e))?;
            sync_parent_dir(path)?;
            lines = 1;
        } else if parsed.torn_tail {
            // End the torn line so that the next record starts on a line of its own.
            file.write_all(b"\n")
                .and_then(|()| file.sync_data())
                .map_err(|e| io_error("cannot write queue", path, e))?;
            lines += 1;
        }
        let journal = Journal {
            path: path.to_path_buf(),
            file,
            _lock: lock,
            lines,
        };
        Ok((journal, parsed))
    }

    /// Append records and make them durable (one `fdatasync` for all of them).
    pub fn append(&mut self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let text: String = records.iter().map(encode_line).collect();
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_error("cannot write queue", &self.path, e))?;
        self.lines += records.len();
        Ok(())
    }

    /// Replace the journal with `records` (the live state), atomically. When the current
    /// file is damaged, a copy of it is kept first as `<path>.damaged-<unix time>`.
    pub fn rewrite(&mut self, records: &[Record], keep_damaged_copy: bool) -> Result<()> {
        if keep_damaged_copy {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let backup = with_suffix(&self.path, &format!(".damaged-{now}"));
            std::fs::copy(&self.path, &backup)
                .and_then(|_| File::open(&backup)?.sync_all())
                .map_err(|e| io_error("cannot keep a copy of damaged queue", &backup, e))?;
        }
        let tmp = with_suffix(&self.path, ".tmp");
        let mut text = format!("{HEADER}\n");
        text.extend(records.iter().map(encode_line));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        };
        write().map_err(|e| io_error("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, &self.path)
            .map_err(|e| io_error("cannot replace queue", &self.path, e))?;
        sync_parent_dir(&self.path)?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| io_error("cannot reopen queue", &self.path, e))?;
        self.lines = records.len() + 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(id: u64) -> Record {
        Record::Push {
            id,
            track: Track {
                artist: "Ärtist \n\"quoted\"".into(),
                track: "T".into(),
                album: Some("A".into()),
                timestamp: 1_700_000_000,
                duration_secs: 200,
                ..Track::default()
            },
            queued_at: 1_700_000_100,
            attempts: 2,
            isolated_failures: 1,
            last_error: Some("timed out".into()),
        }
    }

    #[test]
    fn records_round_trip() {
        let records = vec![
            push(1),
            Record::Done { ids: vec![1, 2] },
            Record::Reject {
                id: 3,
                ignored_code: 1,
                api_code: 0,
                reason: "r".into(),
            },
            Record::Fail {
                ids: vec![4],
                error: "e".into(),
                isolated: false,
            },
            Record::Fail {
                ids: vec![7],
                error: "e".into(),
                isolated: true,
            },
            Record::Remove { id: 5 },
            Record::Retry { id: 6 },
        ];
        let mut text = format!("{HEADER}\n");
        for r in &records {
            text.push_str(&encode_line(r));
        }
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.records, records);
        assert!(parsed.has_header && !parsed.torn_tail && parsed.damaged_lines.is_empty());
    }

    #[test]
    fn damage_is_skipped_line_by_line() {
        let mut text = format!("{HEADER}\n{}", encode_line(&push(1)));
        let mut bad = encode_line(&push(2));
        bad.replace_range(12..13, "X"); // flip a byte inside the JSON: CRC mismatch
        text.push_str(&bad);
        text.push_str(&encode_line(&push(3)));
        let torn = encode_line(&push(4));
        text.push_str(&torn[..torn.len() / 2]);
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.records, vec![push(1), push(3)]);
        assert_eq!(parsed.damaged_lines, vec![3]);
        assert!(parsed.torn_tail);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic() {
        for input in [
            &b"\xff\xfe"[..],
            b"\n\n\n",
            b"00000000 {}",
            b"lfm-queue 1",
            b"zzzzzzzz {\"op\":\"push\"}\n",
        ] {
            let _ = parse(input);
        }
    }
}
