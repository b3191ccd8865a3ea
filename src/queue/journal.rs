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
//! - A write that fails (disk full, a file size limit, an I/O error) is never acknowledged,
//!   and the file is cut back to its last good length before anything else is written, so
//!   a torn record never merges with the next one.
//! - Rewrites (compaction) go to `<path>.tmp` (created exclusively, never through a symlink,
//!   with the journal's mode), are synced, locked and atomically renamed over the journal,
//!   then the directory is synced; the queue writes to the renamed file from then on, and
//!   a failed directory sync is retried before the next record is acknowledged.
//! - The journal file itself is locked (`flock`) for as long as the queue is open, so a
//!   second opener, through any spelling of the path (symlinks, `..`, hard links), in
//!   another process or the same one, gets a clear error instead of interleaving.
//! - Every file is created with mode 0600 and opened without following a symlink planted
//!   at its name (the journal path itself is resolved first) and without blocking on a FIFO;
//!   anything but a regular file is refused.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
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
                if let Some(chosen) = track.chosen_by_user {
                    m.insert("chosenByUser".into(), chosen.into());
                }
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
                    // A later key: records written before it have none (unknown).
                    chosen_by_user: v.get("chosenByUser").and_then(Value::as_bool),
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

impl Record {
    /// Keep only the ids `keep` accepts in a record that acts on queued plays (a push is
    /// left as it is); whether any id is left.
    pub fn retain_ids(&mut self, keep: impl Fn(u64) -> bool) -> bool {
        match self {
            Record::Push { .. } => true,
            Record::Done { ids } | Record::Fail { ids, .. } => {
                ids.retain(|id| keep(*id));
                !ids.is_empty()
            }
            Record::Reject { id, .. } | Record::Remove { id } | Record::Retry { id } => keep(*id),
        }
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
    /// The first line is the start of the header and nothing more (a crash while the file
    /// was being created): the file holds no record and is a queue, not a stranger's file.
    pub torn_header: bool,
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
        if i == 0 && !line.is_empty() && HEADER.as_bytes().starts_with(line) {
            parsed.torn_header = true;
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
    if parsed.torn_header && parsed.records.is_empty() && !parsed.damaged_lines.is_empty() {
        // Some other file that happens to start like the header: not a queue.
        parsed.torn_header = false;
        parsed.damaged_lines.insert(0, 1);
    }
    parsed
}

/// The open journal: a read-and-append handle on the file, locked (an advisory `flock` on
/// the file itself, so every spelling of its path, symlinks and hard links included, meets
/// the same lock).
///
/// After a failed write the file is cut back to its last good length before anything else
/// is written, so a torn record never swallows the next one; a rename whose directory sync
/// failed is synced again before the next record is acknowledged.
#[derive(Debug)]
pub struct Journal {
    /// The journal's real path (symlinks resolved), where compaction renames to.
    path: PathBuf,
    file: File,
    /// The length of the file up to its last acknowledged record.
    len: u64,
    /// A failed write may have left bytes past `len`.
    tail_dirty: bool,
    /// A compaction's rename is not known to be durable yet.
    dir_sync_pending: bool,
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

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
thread_local! {
    /// Test seam: the next this-many directory syncs on this thread fail.
    pub static FAIL_DIR_SYNCS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn sync_parent_dir(path: &Path) -> Result<()> {
    #[cfg(test)]
    if FAIL_DIR_SYNCS.with(|n| n.replace(n.get().saturating_sub(1)) > 0) {
        return Err(io_error(
            "cannot sync directory of",
            path,
            std::io::Error::other("injected failure"),
        ));
    }
    File::open(parent_of(path))
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot sync directory of", path, e))
}

/// The path the journal really lives at: symlinks resolved, `.` and `..` gone, so that
/// compaction replaces the file every spelling of the path reaches. A path that does not
/// exist yet resolves its directory.
fn resolve(path: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let name = path.file_name().ok_or_else(|| {
                Error::invalid(format!("queue path {} names no file", path.display()))
            })?;
            let dir = std::fs::canonicalize(parent_of(path))
                .map_err(|e| io_error("cannot open queue directory of", path, e))?;
            Ok(dir.join(name))
        }
        Err(e) => Err(io_error("cannot open queue", path, e)),
    }
}

/// Open a file of the queue: private (mode 0600 when created), never through a symlink
/// planted at `path`, never blocking on a FIFO, and only if it is a regular file.
fn open_private(path: &Path, options: &mut OpenOptions, what: &str) -> Result<File> {
    let file = options
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_error(&format!("cannot open {what}"), path, e))?;
    let meta = file
        .metadata()
        .map_err(|e| io_error(&format!("cannot inspect {what}"), path, e))?;
    if !meta.file_type().is_file() {
        return Err(Error::new(
            Status::Io,
            format!("{what} {} is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

fn already_open(path: &Path) -> Error {
    Error::new(
        Status::Io,
        format!(
            "queue {} is already open (in this or another process)",
            path.display()
        ),
    )
}

/// How long a held lock is waited for before the queue counts as open elsewhere. The lock
/// belongs to the open file, and a child process the host forks while a queue is open holds a
/// copy of that file until it calls `exec` (which closes it): a queue closed and reopened in
/// that moment would otherwise be refused although nobody has it open.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// Lock `file` for as long as it stays open; fail when someone else still holds it after
/// [`LOCK_GRACE`].
fn try_lock(file: &File, path: &Path) -> Result<()> {
    let deadline = std::time::Instant::now() + LOCK_GRACE;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => return Err(already_open(path)),
            Err(TryLockError::Error(e)) => return Err(io_error("cannot lock queue", path, e)),
        }
    }
}

/// Whether `path` names the very file `file` is open on (not a file renamed over it since).
fn still_named(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

impl Journal {
    /// Lock and open (creating if needed) the journal at `path`, returning its contents.
    pub fn open(path: &Path) -> Result<(Journal, Parsed)> {
        let path = resolve(path)?;
        // The holder of the lock may compact (rename a new file over the path) between our
        // open and our lock: then we hold the lock of a file nobody reads. Start again.
        let mut attempts = 0;
        let mut file = loop {
            let file = open_private(
                &path,
                OpenOptions::new().read(true).append(true).create(true),
                "queue",
            )?;
            try_lock(&file, &path)?;
            if still_named(&file, &path) {
                break file;
            }
            attempts += 1;
            if attempts == 10 {
                return Err(already_open(&path));
            }
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error("cannot read queue", &path, e))?;
        let parsed = parse(&bytes);
        if !bytes.is_empty()
            && !parsed.has_header
            && !parsed.torn_header
            && parsed.records.is_empty()
        {
            return Err(Error::invalid(format!(
                "{} is not a liblfm queue file; refusing to write to it",
                path.display()
            )));
        }
        let mut journal = Journal {
            lines: bytes.iter().filter(|b| **b == b'\n').count(),
            len: bytes.len() as u64,
            path,
            file,
            tail_dirty: false,
            dir_sync_pending: false,
        };
        if bytes.is_empty() {
            journal.write_durably(format!("{HEADER}\n").as_bytes(), 1)?;
            sync_parent_dir(&journal.path)?;
        } else if parsed.torn_tail {
            // End the torn line so that the next record starts on a line of its own.
            journal.write_durably(b"\n", 1)?;
        }
        Ok((journal, parsed))
    }

    /// Append `bytes` holding `lines` lines and make them durable; on failure, cut the file
    /// back to its last good length (now, or before the next write if that fails too).
    fn write_durably(&mut self, bytes: &[u8], lines: usize) -> Result<()> {
        self.settle()?;
        if let Err(e) = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
        {
            self.tail_dirty = true;
            let _ = self.settle();
            return Err(io_error("cannot write queue", &self.path, e));
        }
        self.len += bytes.len() as u64;
        self.lines += lines;
        Ok(())
    }

    /// Undo what a failed write left behind and make a pending rename durable: nothing is
    /// acknowledged until both are done.
    fn settle(&mut self) -> Result<()> {
        if self.tail_dirty {
            self.file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data())
                .map_err(|e| {
                    io_error(
                        "cannot cut back the queue after a failed write to",
                        &self.path,
                        e,
                    )
                })?;
            self.tail_dirty = false;
        }
        if self.dir_sync_pending {
            sync_parent_dir(&self.path)?;
            self.dir_sync_pending = false;
        }
        Ok(())
    }

    /// Append records and make them durable (one `fdatasync` for all of them). When this
    /// fails, none of them is in the file.
    pub fn append(&mut self, records: &[Record]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let text: String = records.iter().map(encode_line).collect();
        self.write_durably(text.as_bytes(), records.len())
    }

    /// Keep a copy of the current file as `<path>.damaged-<unix time>[-n]`, with its mode.
    fn keep_copy(&mut self, mode: u32) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut n = 0;
        let (backup, mut copy) = loop {
            let suffix = match n {
                0 => format!(".damaged-{now}"),
                n => format!(".damaged-{now}-{n}"),
            };
            let backup = with_suffix(&self.path, &suffix);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&backup)
            {
                Ok(f) => break (backup, f),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && n < 100 => n += 1,
                Err(e) => return Err(io_error("cannot keep a copy of damaged queue", &backup, e)),
            }
        };
        (&self.file)
            .seek(SeekFrom::Start(0))
            .and_then(|_| std::io::copy(&mut &self.file, &mut copy))
            .and_then(|_| copy.sync_all())
            .map_err(|e| io_error("cannot keep a copy of damaged queue", &backup, e))
    }

    /// Replace the journal with `records` (the live state), atomically. When the current
    /// file is damaged, a copy of it is kept first as `<path>.damaged-<unix time>`.
    ///
    /// The new file is written to `<path>.tmp` (created afresh, never through a symlink),
    /// locked, synced and renamed over the journal, keeping the journal's mode; from the
    /// rename on, the queue writes to the new file, even if syncing the directory then fails.
    ///
    /// `Err`: the journal was not replaced. `Ok(Some(e))`: it was replaced, but syncing its
    /// directory failed with `e` (retried before the next record is acknowledged).
    pub fn rewrite(
        &mut self,
        records: &[Record],
        keep_damaged_copy: bool,
    ) -> Result<Option<Error>> {
        let mode = self
            .file
            .metadata()
            .map_err(|e| io_error("cannot inspect queue", &self.path, e))?
            .permissions()
            .mode()
            & 0o7777;
        if keep_damaged_copy {
            self.keep_copy(mode)?;
        }
        let tmp = with_suffix(&self.path, ".tmp");
        // A leftover of an interrupted compaction, or something planted: unlinking never
        // follows a symlink, and the new file is created exclusively.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(io_error("cannot remove stale", &tmp, e))
            }
            _ => {}
        }
        let mut text = format!("{HEADER}\n");
        text.extend(records.iter().map(encode_line));
        let mut new = open_private(
            &tmp,
            OpenOptions::new().read(true).append(true).create_new(true),
            "queue temp file",
        )?;
        let written = new
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .and_then(|()| new.write_all(text.as_bytes()))
            .and_then(|()| new.sync_all())
            .map_err(|e| io_error("cannot write", &tmp, e))
            .and_then(|()| try_lock(&new, &tmp))
            .and_then(|()| {
                std::fs::rename(&tmp, &self.path)
                    .map_err(|e| io_error("cannot replace queue", &self.path, e))
            });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // The new file has the name now: write to it from here on, whatever happens next.
        self.file = new;
        self.len = text.len() as u64;
        self.lines = records.len() + 1;
        self.tail_dirty = false;
        self.dir_sync_pending = true;
        Ok(self.settle().err())
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
                chosen_by_user: Some(false),
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
    fn a_push_written_before_chosen_by_user_existed_still_loads() {
        // A line exactly as the journal wrote it before the key existed.
        let old = r#"2fc69560 {"album":"Album","albumArtist":"Album Artist","artist":"Artist","duration":200,"id":1,"mbid":"0a1b2c3d-0000-4000-8000-000000000001","op":"push","queuedAt":1700000100,"timestamp":1700000000,"track":"Title","trackNumber":3}"#;
        let parsed = parse(format!("{HEADER}\n{old}\n").as_bytes());
        assert!(parsed.damaged_lines.is_empty(), "{parsed:?}");
        let [Record::Push { track, .. }] = &parsed.records[..] else {
            panic!("{parsed:?}");
        };
        let expected = Track {
            artist: "Artist".into(),
            track: "Title".into(),
            album: Some("Album".into()),
            album_artist: Some("Album Artist".into()),
            mbid: Some("0a1b2c3d-0000-4000-8000-000000000001".into()),
            timestamp: 1_700_000_000,
            duration_secs: 200,
            track_number: 3,
            chosen_by_user: None,
        };
        assert_eq!(track, &expected);
        // Every field, the new one included, survives a round trip.
        for chosen in [Some(true), Some(false)] {
            let record = Record::Push {
                id: 2,
                track: Track {
                    chosen_by_user: chosen,
                    ..expected.clone()
                },
                queued_at: 1,
                attempts: 0,
                isolated_failures: 0,
                last_error: None,
            };
            let line = encode_line(&record);
            assert_eq!(decode_line(line.trim_end().as_bytes()), Some(record));
        }
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
    fn a_header_cut_short_is_told_from_another_file() {
        let torn = parse(b"lfm-qu");
        assert!(torn.torn_header && !torn.has_header && torn.damaged_lines.is_empty());
        let then_records = parse(format!("lfm-qu\n{}", encode_line(&push(1))).as_bytes());
        assert!(then_records.torn_header && then_records.records == vec![push(1)]);
        let stranger = parse(b"lfm\nsomething else\n");
        assert!(!stranger.torn_header && stranger.damaged_lines == vec![1, 2]);
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
