//! `lfm_queue`: the durable offline scrobble queue, and the entry list a player's UI shows.

use std::ffi::{c_char, CString};
use std::path::Path;
use std::ptr;

use super::args::{c_text, free_box, guard, handle, item, Blank};
use super::client::lfm_client;
use super::error::lfm_error;
use super::error::lfm_status;
use super::scrobble::{lfm_track, opt_ptr, TrackStrings};
use lfm::queue::{Entry, EntryState, Queue};

/// A durable queue of plays waiting to be scrobbled, stored in one file.
///
/// Thread-safety: every function may be called from many threads at once; lfm_queue_push()
/// never waits for a flush's network traffic. Only one lfm_queue may have a file open at a
/// time, across processes and whatever the spelling of its path (symlinks, `..`, hard
/// links). Create with lfm_queue_open(), free with lfm_queue_free().
///
/// Methods: lfm_queue_open(), lfm_queue_free(), lfm_queue_push(), lfm_queue_len(),
/// lfm_queue_flush(), lfm_queue_list(), lfm_queue_remove(), lfm_queue_retry(),
/// lfm_queue_set_max_age_days(), lfm_queue_damage_report().
pub struct lfm_queue {
    queue: Queue,
}

/// Borrow the queue behind a handle.
///
/// # Safety
/// `queue` is NULL or a live lfm_queue.
pub(crate) unsafe fn queue_arg<'a>(queue: *const lfm_queue) -> lfm::Result<&'a Queue> {
    // SAFETY: forwarded contract.
    unsafe { handle(queue, "queue") }.map(|q| &q.queue)
}

/// Open (creating if needed) the queue stored at `path` (its directory must exist; a
/// symlink at `path` is followed to the file it names; the library also uses `path.tmp`
/// when it compacts the file and, after damage, keeps `path.damaged-*`).
///
/// The file is locked itself (flock) while open: a second open of the same file, through
/// any path, from this or another process, fails with LFM_ERR_IO after waiting up to 0.5 s
/// for the lock (a child process forked by the host holds a copy of the open file until its
/// exec: a queue reopened in that moment still opens). Files are created with
/// mode 0600 (compaction keeps the journal's mode), never through a symlink planted at
/// `path.tmp`; anything but a regular file (a FIFO, a directory) is LFM_ERR_IO, never a
/// hang. A damaged file opens with every intact play; see lfm_queue_damage_report(). A file
/// cut inside its header opens as an empty queue (damage reported, a copy kept). A file that
/// is not a queue is refused with LFM_ERR_INVALID_ARGUMENT. In a directory where no file can
/// be created, the queue still opens and compaction waits. `out_queue` (required) receives
/// the queue; free it with lfm_queue_free(). Blocks on file I/O.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_open(
    path: *const c_char,
    out_queue: *mut *mut lfm_queue,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_queue = arg!(out out_queue);
        let queue = Queue::open(Path::new(arg!(str path)))?;
        out_queue.set_box(lfm_queue { queue });
        Ok(())
    })
}

/// Close the queue and release its file. NULL is fine. Every acknowledged push is already
/// on disk. No call on the queue may be running or start afterwards.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_free(queue: *mut lfm_queue) {
    // SAFETY: NULL or from lfm_queue_open, freed once (the API contract).
    unsafe { free_box(queue) }
}

/// Queue a play (artist, track and timestamp required). When this returns LFM_OK the play
/// is on disk and survives a crash or power loss (one fdatasync). When the write fails
/// (disk full, a file size limit, an I/O error) this returns LFM_ERR_IO, the play is not
/// queued, and the file is cut back to its last good length before anything else is
/// acknowledged, so earlier and later plays are unharmed. The same (artist, track,
/// timestamp) already queued is not added again, and that is not an error. Thread-safe;
/// blocks on the disk write only, never on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_push(
    queue: *mut lfm_queue,
    track: *const lfm_track,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        arg!(queue queue).push(&arg!(track track)).map(|_| ())
    })
}

/// The number of plays waiting to be sent (rejected ones are not counted; list them with
/// lfm_queue_list()). `out_len` is required.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_len(
    queue: *const lfm_queue,
    out_len: *mut usize,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_len = arg!(out out_len);
        out_len.set(arg!(queue queue).pending_count());
        Ok(())
    })
}

/// Send the queued plays, oldest first, in batches of up to 50 (lfm_client_set_max_batch()),
/// removing each only after the server's verdict:
/// - accepted: removed; ignored with codes 1-4, or older than the age limit (14 days, see
///   lfm_queue_set_max_age_days()): moved to the rejected list with the reason (never
///   resent, never re-stamped);
/// - outage signals (daily limit = ignored code 5, network errors, timeouts, HTTP 429 and
///   502-504, HTML error pages, API errors 11, 16, 29): everything unsent is kept and the
///   flush stops with a retryable error; lfm_error_retry_after_ms() suggests when to try
///   again (growing with failures);
/// - API error 9 (session revoked) and other errors that need the user (LFM_ERR_INSECURE: a
///   plain-http base URL without lfm_client_set_allow_insecure_http(), refused before
///   anything is sent): everything is kept and the flush stops;
/// - API error 6 or 13 on a batch: the batch is split until the offending plays stand alone;
///   they are rejected only if the server accepted some other play in this flush;
/// - API error 8 or a bare HTTP 500 (a server failure: passing on Last.fm, but permanent for
///   one play on some self-hosted servers): the batch is split the same way and a play that
///   fails alone is set aside while the others go on. Each flush in which it fails alone
///   while the server accepts other plays counts one isolated failure; at 3 it is rejected
///   with the server's reason. A flush in which the server accepts nothing counts nothing:
///   no outage ever rejects a play. Eight failed requests in a row end the flush.
///
/// `out_sent` (optional) receives the number of plays the server accepted during this call,
/// on success and on failure. Call it whenever you like (at start-up, after a push, when the
/// network returns); concurrent flushes run one after the other. A play the server accepted
/// is never sent again by this process, even when recording that fails (disk full: the
/// flush stops with LFM_ERR_IO and the record is written before the next one); delivery is
/// at least once only across a crash (or a close on a still-full disk) between the server's
/// reply and that record reaching the disk, which may resend those plays. If compacting
/// the file fails too, its error is added to the flush's error message. Blocks for the whole
/// exchange (each request bounded by the client's timeout); pushes proceed meanwhile.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_flush(
    queue: *mut lfm_queue,
    client: *mut lfm_client,
    out_sent: *mut usize,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_sent = arg!(opt_out out_sent);
        let outcome = arg!(queue queue).flush(arg!(client client));
        out_sent.set(outcome.sent);
        outcome.error.map_or(Ok(()), Err)
    })
}

/// A snapshot of the queue's plays for a UI, from lfm_queue_list(). Owned by the caller,
/// freed with lfm_queue_entries_free(); immutable.
///
/// Methods: lfm_queue_list(), lfm_queue_entries_count(), lfm_queue_entries_get(),
/// lfm_queue_entries_free().
pub struct lfm_queue_entries {
    entries: Vec<Entry>,
    strings: Vec<EntryStrings>,
}

struct EntryStrings {
    track: TrackStrings,
    reason: Option<CString>,
    last_error: Option<CString>,
}

/// One play of an lfm_queue_entries snapshot, filled in by lfm_queue_entries_get(). Every
/// pointer in it is borrowed from the snapshot and valid until lfm_queue_entries_free().
#[repr(C)]
pub struct lfm_queue_entry {
    /// Queue-unique id, increasing in push order: pass it to lfm_queue_remove()/_retry().
    pub id: u64,
    /// The play (unset optional fields are NULL).
    pub track: lfm_track,
    /// When it was pushed, UTC Unix seconds.
    pub queued_at: i64,
    /// false: waiting to be sent; true: rejected, will not be sent unless retried.
    pub rejected: bool,
    /// For a rejected play: Last.fm's ignored code (1 artist ignored, 2 track ignored,
    /// 3 too old, including plays older than 14 days, 4 too new), else 0.
    pub ignored_code: i32,
    /// For a play rejected after failing alone with a Last.fm error: that code, 6 or 13
    /// (refused at once) or 8 (after repeated isolated failures); else 0 (an ignored code,
    /// the age limit, or a bare HTTP 500).
    pub api_code: i32,
    /// Why it was rejected; NULL when pending.
    pub reason: *const c_char,
    /// Failed delivery attempts so far.
    pub attempts: u32,
    /// Of those, failures of this play alone while the server accepted other plays; at 3
    /// the play is rejected (see lfm_queue_flush()).
    pub isolated_failures: u32,
    /// The last delivery error; NULL when none.
    pub last_error: *const c_char,
}

impl Blank for lfm_queue_entry {
    /// Zeros and NULLs: what `out_entry` reads after a failed lfm_queue_entries_get().
    fn blank() -> Self {
        lfm_queue_entry {
            id: 0,
            track: lfm_track::blank(),
            queued_at: 0,
            rejected: false,
            ignored_code: 0,
            api_code: 0,
            reason: ptr::null(),
            attempts: 0,
            isolated_failures: 0,
            last_error: ptr::null(),
        }
    }
}

/// A snapshot of every play in the queue, pending and rejected, oldest first. `out_entries`
/// (required) receives it; free it with lfm_queue_entries_free(). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_list(
    queue: *const lfm_queue,
    out_entries: *mut *mut lfm_queue_entries,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_entries = arg!(out out_entries);
        let entries = arg!(queue queue).entries();
        let strings = entries
            .iter()
            .map(|e| {
                let reason = match &e.state {
                    EntryState::Pending => None,
                    EntryState::Rejected { reason, .. } => Some(c_text(reason)),
                };
                EntryStrings {
                    track: TrackStrings::new(&e.track),
                    reason,
                    last_error: e.last_error.as_deref().map(c_text),
                }
            })
            .collect();
        out_entries.set_box(lfm_queue_entries { entries, strings });
        Ok(())
    })
}

/// The number of plays in a snapshot; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_entries_count(entries: *const lfm_queue_entries) -> usize {
    // SAFETY: API contract: NULL or a live snapshot.
    unsafe { entries.as_ref() }.map_or(0, |e| e.entries.len())
}

/// Fill `out_entry` with play `index` of the snapshot. LFM_ERR_INVALID_ARGUMENT for a bad
/// index or a NULL pointer. The strings stay owned by the snapshot.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_entries_get(
    entries: *const lfm_queue_entries,
    index: usize,
    out_entry: *mut lfm_queue_entry,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_entry = arg!(out out_entry);
        let snapshot = arg!(ref entries);
        let e = item(&snapshot.entries, index, "snapshot")?;
        let s = item(&snapshot.strings, index, "snapshot")?;
        let (rejected, ignored_code, api_code) = match &e.state {
            EntryState::Pending => (false, 0, 0),
            EntryState::Rejected {
                ignored_code,
                api_code,
                ..
            } => (true, *ignored_code, *api_code),
        };
        let entry = lfm_queue_entry {
            id: e.id,
            track: s.track.c_track(&e.track),
            queued_at: e.queued_at,
            rejected,
            ignored_code,
            api_code,
            reason: opt_ptr(&s.reason),
            attempts: e.attempts,
            isolated_failures: e.isolated_failures,
            last_error: opt_ptr(&s.last_error),
        };
        out_entry.set(entry);
        Ok(())
    })
}

/// Free a snapshot. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_entries_free(entries: *mut lfm_queue_entries) {
    // SAFETY: NULL or from lfm_queue_list, freed once (the API contract).
    unsafe { free_box(entries) }
}

/// Remove a play (pending or rejected) for good, durably. An unknown id is
/// LFM_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_remove(
    queue: *mut lfm_queue,
    id: u64,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || arg!(queue queue).remove(id))
}

/// Move a rejected play back to pending (its attempts reset), to be sent by the next flush.
/// A pending play is left as it is. An unknown id is LFM_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_retry(
    queue: *mut lfm_queue,
    id: u64,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || arg!(queue queue).retry(id))
}

/// Reject plays older than `days` days when a flush reaches them (default 14, what Last.fm
/// accepts); 0 removes the limit, for self-hosted servers that take older plays (imports).
/// Thread-safe; applies to the next flush.
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_set_max_age_days(
    queue: *mut lfm_queue,
    days: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let queue = arg!(queue queue);
        let max_age = (days > 0).then(|| std::time::Duration::from_secs(u64::from(days) * 86_400));
        queue.set_max_age(max_age);
        Ok(())
    })
}

/// What was damaged in the queue file when it was opened, as text for a log or UI, or NULL
/// in `*out_report` when nothing was: damaged lines (skipped), a torn last record, a file
/// cut inside its header, or ids used by more than one push (every such play is kept under
/// a new id and may be sent twice). `out_report` is required; free a non-NULL report with
/// lfm_string_free().
#[no_mangle]
pub unsafe extern "C" fn lfm_queue_damage_report(
    queue: *const lfm_queue,
    out_report: *mut *mut c_char,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_report = arg!(out out_report);
        match arg!(queue queue).damage().report() {
            Some(text) => out_report.set_string(text),
            None => Ok(()),
        }
    })
}
