//! The durable offline scrobble queue.
//!
//! A play pushed into the queue is on disk (`fdatasync`ed) before `push` returns, and leaves
//! the queue only after the server's verdict on it. `flush` sends the oldest plays first in
//! batches, keeps everything on transient failures, isolates plays the server refuses, and
//! never holds the queue's lock while it waits on the network, so a playback thread can
//! push at any time.
//!
//! The rules, in full:
//! - **Delivered** (accepted): removed.
//! - **Ignored with codes 1-4** (artist or track ignored, too old, too new): moved to the
//!   rejected list with the server's reason, never resent.
//! - **Older than the age limit** (14 days unless [`Queue::set_max_age`] says otherwise) when
//!   a flush reaches it: rejected with that reason, never re-stamped.
//! - **Outage signals**, meaning ignored code 5 (daily limit), network errors, timeouts,
//!   HTTP 429 and 502-504, HTML error pages, and API errors 11, 16 and 29: every unsent play is
//!   kept and the flush stops with a retryable error carrying a suggested wait (`retry_after_ms`).
//! - **API error 9** (session revoked) and other errors that need the user (4, 10, 26, ...):
//!   everything is kept and the flush stops.
//! - **API errors 6 or 13 on a batch** (the request itself is refused): the batch is split in
//!   halves until the offending plays stand alone. Such a play is rejected only if the server
//!   accepted another play in the same flush (proof that the credentials and server are fine);
//!   otherwise everything is kept and the flush stops with the error.
//! - **API error 8 or a bare HTTP 500** (the server failed; Last.fm means a passing backend
//!   error, some self-hosted servers mean "this play, forever", e.g. Maloja 3 with a play it
//!   already stored): the batch is split the same way, and a play that fails alone is set
//!   aside while the flush goes on with the others. If the server accepted some other play
//!   in that flush, the set-aside play counts an *isolated failure*; after
//!   [`MAX_ISOLATED_FAILURES`] of them, in separate flushes, it is rejected with the server's
//!   reason. If the server accepted nothing, nothing counts: an outage never rejects a play.
//! - **No hammering**: [`MAX_FAILED_REQUESTS_IN_A_ROW`] failed requests in a row (no success
//!   between them) end the flush, everything kept, as an outage.
//! - A play the server accepted is never sent again by this process: verdicts hold in
//!   memory at once and are written to the journal now or, when that fails (disk full),
//!   ahead of the next record. Delivery is at least once only across a crash (or a close
//!   on a still-full disk) between the server's reply and that record reaching the disk.
//!   The same (artist, track, timestamp) pushed twice is queued once.
//! - A push whose write fails is not queued and leaves the file as it was (see
//!   [`journal`]).

pub mod journal;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use self::journal::{Journal, Record};
use crate::api_code;
use crate::client::Client;
use crate::error::{Error, Result, Status};
use crate::log::Level;
use crate::ratelimit;
use crate::scrobble::Corrections;
use crate::track::{Track, MAX_PLAY_AGE_SECS};

/// First suggested wait after a failed flush; doubles per failure in a row.
const FLUSH_RETRY_BASE: Duration = Duration::from_secs(5);
/// Longest suggested wait after failed flushes.
const FLUSH_RETRY_MAX: Duration = Duration::from_secs(10 * 60);
/// Isolated failures (see the module docs) after which a play is rejected.
pub const MAX_ISOLATED_FAILURES: u32 = 3;
/// Failed requests in a row after which a flush stops, as in an outage.
pub const MAX_FAILED_REQUESTS_IN_A_ROW: u32 = 8;
/// The default age limit: Last.fm refuses plays older than 14 days.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(MAX_PLAY_AGE_SECS as u64);

/// Rewrite the journal when it has this many lines more than twice the live plays.
const COMPACT_SLACK_LINES: usize = 1024;

/// Where a queued play stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// Waiting to be sent.
    Pending,
    /// Will not be sent again unless the user retries it.
    Rejected {
        /// Last.fm's ignored code (1..5), 0 when none.
        ignored_code: i32,
        /// The Last.fm error it was rejected for when it failed alone: 6 or 13 (refused at
        /// once) or 8 (after repeated isolated failures); 0 when none (an ignored code, the
        /// age limit, or a bare HTTP 500).
        api_code: i32,
        /// Why, for the user.
        reason: String,
    },
}

/// A play in the queue, as a player's UI lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Queue-unique id (increasing in push order), for remove and retry.
    pub id: u64,
    /// The play.
    pub track: Track,
    /// When it was pushed, UTC Unix seconds.
    pub queued_at: i64,
    /// Pending or rejected.
    pub state: EntryState,
    /// Failed delivery attempts.
    pub attempts: u32,
    /// Of those, failures of this play alone while the server accepted other plays; at
    /// [`MAX_ISOLATED_FAILURES`] the play is rejected.
    pub isolated_failures: u32,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
}

/// What a flush achieved before it finished or stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushOutcome {
    /// Plays the server accepted (now removed from the queue).
    pub sent: usize,
    /// Plays moved to the rejected list.
    pub rejected: usize,
    /// Why the flush stopped early; every unsent play is still queued.
    pub error: Option<Error>,
    /// What became of each play this flush settled (delivered or rejected), in the order
    /// it learnt it; plays still pending are not listed.
    pub plays: Vec<PlayOutcome>,
    /// The flush stopped because the account's daily scrobble limit is reached (Last.fm's
    /// ignored code 5): `error` says so, and its `retry_after_ms` is the time to the next
    /// midnight UTC, when the limit resets.
    pub daily_limit: bool,
    /// The flush stopped because its [`FlushControl`] asked it to, before sending every
    /// pending play (`error` is `None`; the unsent plays are pending as before).
    pub stopped: bool,
}

/// What a flush decided about one play.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayOutcome {
    /// The server accepted the play (it left the queue).
    Delivered {
        /// Its queue id.
        id: u64,
        /// The play, as queued.
        track: Track,
        /// The names the server corrected.
        corrections: Corrections,
    },
    /// The play is rejected and will not be sent again unless retried; see
    /// [`EntryState::Rejected`].
    Rejected {
        /// Its queue id.
        id: u64,
        /// The play, as queued.
        track: Track,
        /// Last.fm's ignored code (1..4), 0 when none.
        ignored_code: i32,
        /// The API error that isolated it (6 or 13), 0 when none.
        api_code: i32,
        /// Why, for the user.
        reason: String,
    },
}

/// Lets another thread stop a [`Queue::flush_with`] between requests: once
/// [`FlushControl::stop`] is called, the flush starts no new request (the one in flight, if
/// any, completes and its verdicts are recorded) and returns with
/// [`FlushOutcome::stopped`]. A stopped control stays stopped.
#[derive(Debug, Default)]
pub struct FlushControl {
    stop: AtomicBool,
}

impl FlushControl {
    /// A control that has not asked anything.
    pub fn new() -> FlushControl {
        FlushControl::default()
    }

    /// Ask every flush using this control to start no new request.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether [`FlushControl::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// What was found damaged when the queue was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Damage {
    /// 1-based line numbers of records that could not be read.
    pub damaged_lines: Vec<usize>,
    /// The last record was cut short (a crash mid-write; that push was never acknowledged).
    pub torn_tail: bool,
    /// The file was cut inside its header (a crash while it was created): it held no play
    /// and opened as an empty queue.
    pub torn_header: bool,
    /// Ids that more than one push used (the file was written by two openers at once, or
    /// edited). Every such play was kept under a new id; records naming a repeated id after
    /// the repeat were ambiguous and skipped, so those plays stay pending and may be sent
    /// twice, never lost.
    pub repeated_ids: Vec<u64>,
}

impl Damage {
    /// Whether anything was damaged.
    pub fn is_empty(&self) -> bool {
        self.damaged_lines.is_empty()
            && !self.torn_tail
            && !self.torn_header
            && self.repeated_ids.is_empty()
    }

    /// A one-line description for logs and UIs, `None` when nothing was damaged.
    pub fn report(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !self.damaged_lines.is_empty() {
            let shown: Vec<String> = self
                .damaged_lines
                .iter()
                .take(20)
                .map(usize::to_string)
                .collect();
            parts.push(format!(
                "{} damaged record(s) skipped (lines {}{})",
                self.damaged_lines.len(),
                shown.join(", "),
                if self.damaged_lines.len() > 20 {
                    ", ..."
                } else {
                    ""
                }
            ));
        }
        if self.torn_tail {
            parts.push("the last record was cut short by an interrupted write".into());
        }
        if self.torn_header {
            parts.push("the file was cut inside its header and held no play".into());
        }
        if !self.repeated_ids.is_empty() {
            parts.push(format!(
                "{} play id(s) were used by more than one push (two openers wrote the file); every such play was kept under a new id and may be sent twice",
                self.repeated_ids.len()
            ));
        }
        Some(format!(
            "{}; every intact play was loaded and a copy of the damaged file is kept when it is rewritten",
            parts.join("; ")
        ))
    }
}

/// A play's identity for de-duplication, hashed: (artist, track, timestamp). Hashing borrows
/// the strings, so looking a play up or forgetting it allocates nothing; equal hashes are
/// confirmed against the stored plays.
fn key_of(track: &Track) -> u64 {
    use std::hash::BuildHasher;
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    KEYS.get_or_init(Default::default).hash_one((
        track.artist.as_str(),
        track.track.as_str(),
        track.timestamp,
    ))
}

fn same_play(a: &Track, b: &Track) -> bool {
    a.timestamp == b.timestamp && a.artist == b.artist && a.track == b.track
}

struct State {
    journal: Journal,
    entries: BTreeMap<u64, Entry>,
    /// Ids of queued plays by [`key_of`] (several only on a hash collision).
    keys: HashMap<u64, Vec<u64>>,
    /// The id of the next push; `None` once `u64::MAX` is used (ids never wrap).
    next_id: Option<u64>,
    /// Flush records (server verdicts, failures) already applied in memory whose journal
    /// write failed: written ahead of the next record, and embodied by a compaction.
    unsaved: Vec<Record>,
    damage: Damage,
    /// A copy of the damaged file has not been kept yet.
    damaged_copy_pending: bool,
    failed_flushes_in_a_row: u32,
}

impl State {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Push {
                id,
                track,
                queued_at,
                attempts,
                isolated_failures,
                last_error,
            } => {
                self.next_id = match (self.next_id, id.checked_add(1)) {
                    (Some(next), Some(after)) => Some(next.max(after)),
                    _ => None,
                };
                if self.entries.contains_key(&id) {
                    return;
                }
                self.keys.entry(key_of(&track)).or_default().push(id);
                self.entries.insert(
                    id,
                    Entry {
                        id,
                        track,
                        queued_at,
                        state: EntryState::Pending,
                        attempts,
                        isolated_failures,
                        last_error,
                    },
                );
            }
            Record::Done { ids } => {
                for id in ids {
                    self.forget(id);
                }
            }
            Record::Remove { id } => self.forget(id),
            Record::Reject {
                id,
                ignored_code,
                api_code,
                reason,
            } => {
                if let Some(e) = self.entries.get_mut(&id) {
                    e.state = EntryState::Rejected {
                        ignored_code,
                        api_code,
                        reason,
                    };
                }
            }
            Record::Fail {
                ids,
                error,
                isolated,
            } => {
                for id in ids {
                    if let Some(e) = self.entries.get_mut(&id) {
                        e.attempts = e.attempts.saturating_add(1);
                        if isolated {
                            e.isolated_failures = e.isolated_failures.saturating_add(1);
                        }
                        e.last_error = Some(error.clone());
                    }
                }
            }
            Record::Retry { id } => {
                if let Some(e) = self.entries.get_mut(&id) {
                    e.state = EntryState::Pending;
                    e.attempts = 0;
                    e.isolated_failures = 0;
                }
            }
        }
    }

    /// Whether the same play (artist, track, timestamp) is already queued.
    fn is_queued(&self, track: &Track) -> bool {
        self.keys.get(&key_of(track)).is_some_and(|ids| {
            ids.iter().any(|id| {
                self.entries
                    .get(id)
                    .is_some_and(|e| same_play(&e.track, track))
            })
        })
    }

    fn forget(&mut self, id: u64) {
        if let Some(e) = self.entries.remove(&id) {
            let key = key_of(&e.track);
            if let Some(ids) = self.keys.get_mut(&key) {
                ids.retain(|other| *other != id);
                if ids.is_empty() {
                    self.keys.remove(&key);
                }
            }
        }
    }

    /// Load a journal's records. A push whose id an earlier push already used is kept
    /// under a new id, never dropped, and records naming a repeated id after the repeat are
    /// skipped as ambiguous (those plays stay pending). Returns the repeated ids.
    fn load(&mut self, records: Vec<Record>) -> Result<Vec<u64>> {
        let mut pushed = HashSet::new();
        let mut repeated = BTreeSet::new();
        let mut strays = Vec::new();
        for mut record in records {
            if let Record::Push { id, .. } = record {
                if !pushed.insert(id) {
                    repeated.insert(id);
                    strays.push(record);
                    continue;
                }
            } else if !repeated.is_empty() && !record.retain_ids(|id| !repeated.contains(&id)) {
                continue;
            }
            self.apply(record);
        }
        for mut stray in strays {
            let Record::Push { id, track, .. } = &mut stray else {
                continue;
            };
            if self.is_queued(track) {
                continue; // the very same play is queued already
            }
            *id = self.next_id.ok_or_else(ids_exhausted)?;
            self.apply(stray);
        }
        Ok(repeated.into_iter().collect())
    }

    /// Make records durable (after any unsaved ones), then apply them. On failure nothing
    /// is applied and nothing of them is in the file.
    fn commit(&mut self, records: Vec<Record>) -> Result<()> {
        self.write(&records)?;
        for r in records {
            self.apply(r);
        }
        Ok(())
    }

    fn write(&mut self, records: &[Record]) -> Result<()> {
        if self.unsaved.is_empty() {
            return self.journal.append(records);
        }
        let mut all = self.unsaved.clone();
        all.extend_from_slice(records);
        self.journal.append(&all)?;
        self.unsaved.clear();
        Ok(())
    }

    /// Record what a flush learnt (the server's verdicts are facts): applied in memory at
    /// once, so this process never sends a delivered play again, and written to the journal
    /// now or, if that fails, ahead of the next record (or by the next compaction).
    fn record(&mut self, records: Vec<Record>) -> Result<()> {
        for r in &records {
            self.apply(r.clone());
        }
        self.unsaved.extend(records);
        self.write(&[])
    }

    /// Rewrite the journal to the live state when it has grown well past it.
    fn maybe_compact(&mut self) -> Result<()> {
        if self.journal.lines <= 2 * self.entries.len() + COMPACT_SLACK_LINES {
            return Ok(());
        }
        self.compact()
    }

    /// Rewrite the journal to the live state.
    fn compact(&mut self) -> Result<()> {
        let mut records = Vec::with_capacity(self.entries.len());
        for e in self.entries.values() {
            records.push(Record::Push {
                id: e.id,
                track: e.track.clone(),
                queued_at: e.queued_at,
                attempts: e.attempts,
                isolated_failures: e.isolated_failures,
                last_error: e.last_error.clone(),
            });
            if let EntryState::Rejected {
                ignored_code,
                api_code,
                reason,
            } = &e.state
            {
                records.push(Record::Reject {
                    id: e.id,
                    ignored_code: *ignored_code,
                    api_code: *api_code,
                    reason: reason.clone(),
                });
            }
        }
        let dir_sync = self.journal.rewrite(&records, self.damaged_copy_pending)?;
        // The file now holds the live state, unsaved records included.
        self.damaged_copy_pending = false;
        self.unsaved.clear();
        if self.next_id.is_none() {
            // The ids above the highest live one are nowhere in the file any more.
            self.next_id = self
                .entries
                .keys()
                .next_back()
                .map_or(Some(1), |id| id.checked_add(1));
        }
        dir_sync.map_or(Ok(()), Err)
    }

    /// The oldest pending plays not in `skip`, at most `max`.
    fn next_batch(&self, max: usize, skip: &HashSet<u64>) -> Vec<(u64, Track)> {
        self.entries
            .values()
            .filter(|e| e.state == EntryState::Pending && !skip.contains(&e.id))
            .take(max)
            .map(|e| (e.id, e.track.clone()))
            .collect()
    }
}

impl Drop for State {
    fn drop(&mut self) {
        if !self.unsaved.is_empty() {
            let _ = self.write(&[]); // last chance; otherwise those plays may be sent again
        }
    }
}

fn ids_exhausted() -> Error {
    Error::new(
        Status::Io,
        "the queue has used every id up to 18446744073709551615; remove the play with the highest id",
    )
}

/// A durable queue of plays waiting to be scrobbled. `Send + Sync`: push from the playback
/// thread while another thread flushes.
pub struct Queue {
    state: Mutex<State>,
    /// Held for the whole of a flush, so flushes do not interleave.
    flushing: Mutex<()>,
    /// Plays older than this are rejected when a flush reaches them; `None`: no limit.
    max_age: Mutex<Option<Duration>>,
}

/// How a failed request bears on the plays it carried.
enum FailureKind {
    /// The request was refused for what it carries (API 6, 13): isolate by bisection.
    Refused,
    /// The server failed (API 8, bare HTTP 500): maybe passing, maybe this play forever.
    ServerFailed,
    /// An outage signal or an error only the user can fix: stop and keep everything.
    Stop,
}

fn classify(e: &Error) -> FailureKind {
    match (e.status(), e.api_code(), e.http_status()) {
        (Status::Api, api_code::INVALID_PARAMETERS | api_code::INVALID_SIGNATURE, _) => {
            FailureKind::Refused
        }
        (Status::Api, api_code::OPERATION_FAILED, _) | (Status::Http, _, 500) => {
            FailureKind::ServerFailed
        }
        _ => FailureKind::Stop,
    }
}

/// What one flush has learnt so far.
#[derive(Default)]
struct FlushState {
    /// The server accepted at least one play during this flush.
    server_accepted_any: bool,
    /// Failed requests since the last success.
    failed_in_a_row: u32,
    /// Plays that failed alone, with why and how.
    set_aside: Vec<(u64, Error)>,
    set_aside_ids: HashSet<u64>,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Queue {
    /// Open (creating if needed) the queue stored at `path`. Only one `Queue` may have a
    /// path open at a time, across processes: a second open fails with [`Status::Io`].
    /// A damaged file opens with every intact play; see [`Queue::damage`].
    pub fn open(path: &Path) -> Result<Queue> {
        if path.as_os_str().is_empty() {
            return Err(Error::invalid("queue path is empty"));
        }
        let (journal, parsed) = Journal::open(path)?;
        let mut state = State {
            journal,
            entries: BTreeMap::new(),
            keys: HashMap::new(),
            next_id: Some(1),
            unsaved: Vec::new(),
            damage: Damage {
                damaged_lines: parsed.damaged_lines,
                torn_tail: parsed.torn_tail && !parsed.torn_header,
                torn_header: parsed.torn_header,
                repeated_ids: Vec::new(),
            },
            damaged_copy_pending: false,
            failed_flushes_in_a_row: 0,
        };
        state.damage.repeated_ids = state.load(parsed.records)?;
        let damage = &state.damage;
        state.damaged_copy_pending = !damage.damaged_lines.is_empty()
            || damage.torn_header
            || !damage.repeated_ids.is_empty();
        if !state.damage.repeated_ids.is_empty() {
            // The new ids exist only in memory: the file must hold them before any record
            // names them.
            state.compact()?;
        } else if state.damage.torn_header {
            let _ = state.compact(); // if not now, with the next compaction
        } else {
            // Compaction can wait (a read-only directory): the next flush tries again and
            // reports its error.
            let _ = state.maybe_compact();
        }
        Ok(Queue {
            state: Mutex::new(state),
            flushing: Mutex::new(()),
            max_age: Mutex::new(Some(DEFAULT_MAX_AGE)),
        })
    }

    /// Reject plays older than `max_age` when a flush reaches them (default 14 days, what
    /// Last.fm accepts); `None` sends plays of any age (self-hosted servers that take them).
    pub fn set_max_age(&self, max_age: Option<Duration>) {
        *self.max_age.lock().unwrap_or_else(|p| p.into_inner()) = max_age;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a play durably. Returns `false` when the same (artist, track, timestamp) is
    /// already queued (it is not added twice). When this returns `Ok`, the play survives a
    /// crash or power loss.
    pub fn push(&self, track: &Track) -> Result<bool> {
        track.validate(true)?;
        let mut state = self.lock();
        if state.is_queued(track) {
            return Ok(false);
        }
        if state.next_id.is_none() {
            // Every id up to u64::MAX was used; after a compaction only live ones count.
            let _ = state.compact();
        }
        let id = state.next_id.ok_or_else(ids_exhausted)?;
        state.commit(vec![Record::Push {
            id,
            track: track.clone(),
            queued_at: now_unix(),
            attempts: 0,
            isolated_failures: 0,
            last_error: None,
        }])?;
        Ok(true)
    }

    /// How many plays wait to be sent. Rejected plays are not counted; [`Queue::entries`]
    /// lists every play, pending and rejected.
    pub fn pending_count(&self) -> usize {
        self.lock()
            .entries
            .values()
            .filter(|e| e.state == EntryState::Pending)
            .count()
    }

    /// Every play in the queue (pending and rejected), oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.values().cloned().collect()
    }

    /// What was damaged in the file when it was opened.
    pub fn damage(&self) -> Damage {
        self.lock().damage.clone()
    }

    /// Remove a play (pending or rejected) for good. Unknown ids are an error.
    pub fn remove(&self, id: u64) -> Result<()> {
        let mut state = self.lock();
        if !state.entries.contains_key(&id) {
            return Err(Error::invalid(format!("no queued play has id {id}")));
        }
        state.commit(vec![Record::Remove { id }])
    }

    /// Move a rejected play back to pending, to be sent by the next flush.
    pub fn retry(&self, id: u64) -> Result<()> {
        let mut state = self.lock();
        match state.entries.get(&id) {
            None => Err(Error::invalid(format!("no queued play has id {id}"))),
            Some(e) if e.state == EntryState::Pending => Ok(()),
            Some(_) => state.commit(vec![Record::Retry { id }]),
        }
    }

    /// Send pending plays, oldest first, in batches of `client.max_batch()`, by the rules in
    /// the module documentation. Blocks while it talks to the server; pushes from other
    /// threads proceed meanwhile.
    pub fn flush(&self, client: &Client) -> FlushOutcome {
        self.flush_with(client, &FlushControl::new())
    }

    /// [`Queue::flush`], which another thread can stop between requests with `control`
    /// (e.g. on shutdown): after [`FlushControl::stop`], no new request is sent.
    pub fn flush_with(&self, client: &Client, control: &FlushControl) -> FlushOutcome {
        let _one_at_a_time = self.flushing.lock().unwrap_or_else(|p| p.into_inner());
        let mut outcome = FlushOutcome::default();
        if let Err(e) = self.flush_inner(client, control, &mut outcome) {
            let mut state = self.lock();
            let streak = state.failed_flushes_in_a_row;
            state.failed_flushes_in_a_row = streak.saturating_add(1);
            let e = if e.is_retryable() && e.retry_after_ms() == 0 {
                let wait = ratelimit::backoff(FLUSH_RETRY_BASE, streak, FLUSH_RETRY_MAX);
                e.with_retry_after_ms(ratelimit::millis_u32(wait))
            } else {
                e
            };
            outcome.error = Some(e);
        } else {
            self.lock().failed_flushes_in_a_row = 0;
        }
        if let Err(compaction) = self.lock().maybe_compact() {
            outcome.error = Some(match outcome.error.take() {
                None => compaction,
                Some(e) => {
                    let message = format!(
                        "{}; and compacting the queue file failed: {}",
                        e.message(),
                        compaction.message()
                    );
                    e.with_message(message)
                }
            });
        }
        client.log(Level::Info, || {
            format!(
                "queue flush: {} sent, {} rejected, {} pending{}",
                outcome.sent,
                outcome.rejected,
                self.pending_count(),
                outcome
                    .error
                    .as_ref()
                    .map_or(String::new(), |e| format!("; stopped: {e}"))
            )
        });
        outcome
    }

    fn flush_inner(
        &self,
        client: &Client,
        control: &FlushControl,
        outcome: &mut FlushOutcome,
    ) -> Result<()> {
        self.reject_too_old(outcome)?;
        let max_batch = client.max_batch();
        let mut flush = FlushState::default();
        // Batches split by bisection wait here, ahead of fresh ones.
        let mut split: VecDeque<Vec<(u64, Track)>> = VecDeque::new();
        let stopped = loop {
            if control.is_stopped() {
                outcome.stopped = true;
                break None;
            }
            let batch = match split.pop_front() {
                Some(b) => b,
                None => self.lock().next_batch(max_batch, &flush.set_aside_ids),
            };
            if batch.is_empty() {
                break None;
            }
            let refs: Vec<&Track> = batch.iter().map(|(_, t)| t).collect();
            let error = match client.scrobble_batch(&refs) {
                Ok(verdicts) => {
                    flush.failed_in_a_row = 0;
                    flush.server_accepted_any |= verdicts.iter().any(|v| v.code == 0);
                    if self.apply_verdicts(&batch, &verdicts, outcome)? {
                        outcome.daily_limit = true;
                        break Some(
                            Error::retry_later(
                                "the account's daily scrobble limit is reached; plays are kept for later",
                                ratelimit::millis_u32(until_next_utc_day()),
                            ),
                        );
                    }
                    continue;
                }
                Err(e) => e,
            };
            flush.failed_in_a_row += 1;
            let isolate = match classify(&error) {
                FailureKind::Refused | FailureKind::ServerFailed => {
                    flush.failed_in_a_row < MAX_FAILED_REQUESTS_IN_A_ROW
                }
                FailureKind::Stop => false,
            };
            if !isolate {
                let ids = batch.iter().map(|(id, _)| *id).collect();
                self.lock().record(vec![Record::Fail {
                    ids,
                    error: error.message().to_string(),
                    isolated: false,
                }])?;
                break Some(error);
            }
            if batch.len() > 1 {
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                split.push_front(second);
                split.push_front(first);
            } else {
                let id = batch[0].0;
                flush.set_aside_ids.insert(id);
                flush.set_aside.push((id, error));
            }
        };
        let judged = self.judge_set_aside(&flush, outcome)?;
        match (stopped, judged) {
            (Some(e), _) | (None, Some(e)) => Err(e),
            (None, None) => Ok(()),
        }
    }

    /// Decide about the plays that failed alone in this flush. If the server accepted some
    /// other play, refused ones (6, 13) are rejected and failed ones (8, 500) count an
    /// isolated failure, rejected at the limit. If it accepted none, nothing is counted and
    /// the first such error is returned: it may be an outage.
    fn judge_set_aside(
        &self,
        flush: &FlushState,
        outcome: &mut FlushOutcome,
    ) -> Result<Option<Error>> {
        let Some((_, first_error)) = flush.set_aside.first() else {
            return Ok(None);
        };
        if !flush.server_accepted_any {
            let ids = flush.set_aside.iter().map(|(id, _)| *id).collect();
            self.lock().record(vec![Record::Fail {
                ids,
                error: first_error.message().to_string(),
                isolated: false,
            }])?;
            return Ok(Some(first_error.clone().prefixed(
                "the server failed every play sent and accepted none, so none was rejected: ",
            )));
        }
        let mut state = self.lock();
        let mut records = Vec::new();
        for (id, e) in &flush.set_aside {
            let Some(entry) = state.entries.get(id) else {
                continue;
            };
            let refused = matches!(classify(e), FailureKind::Refused);
            let failures = entry.isolated_failures + 1;
            if !refused {
                records.push(Record::Fail {
                    ids: vec![*id],
                    error: e.message().to_string(),
                    isolated: true,
                });
            }
            if refused || failures >= MAX_ISOLATED_FAILURES {
                let what = match (e.api_code(), e.http_status()) {
                    (0, http) => format!("HTTP {http}"),
                    (code, _) => format!("error {code}"),
                };
                let reason = if refused {
                    format!("refused by the server ({what}): {}", e.message())
                } else {
                    format!(
                        "failed {failures} times on its own while the server accepted other plays ({what}): {}",
                        e.message()
                    )
                };
                outcome.plays.push(PlayOutcome::Rejected {
                    id: *id,
                    track: entry.track.clone(),
                    ignored_code: 0,
                    api_code: e.api_code(),
                    reason: reason.clone(),
                });
                records.push(Record::Reject {
                    id: *id,
                    ignored_code: 0,
                    api_code: e.api_code(),
                    reason,
                });
                outcome.rejected += 1;
            }
        }
        state.record(records)?;
        Ok(None)
    }

    /// Reject every pending play older than the age limit, with a reason; never re-stamp it.
    fn reject_too_old(&self, outcome: &mut FlushOutcome) -> Result<()> {
        let Some(max_age) = *self.max_age.lock().unwrap_or_else(|p| p.into_inner()) else {
            return Ok(());
        };
        let max_age_secs = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        let cutoff = now_unix().saturating_sub(max_age_secs);
        let days = max_age.as_secs() / 86_400;
        let reason = format!(
            "played more than {days} days ago: the server would refuse it, and liblfm never re-stamps plays"
        );
        let mut state = self.lock();
        let mut records = Vec::new();
        for e in state
            .entries
            .values()
            .filter(|e| e.state == EntryState::Pending && e.track.timestamp < cutoff)
        {
            outcome.plays.push(PlayOutcome::Rejected {
                id: e.id,
                track: e.track.clone(),
                ignored_code: 3,
                api_code: 0,
                reason: reason.clone(),
            });
            records.push(Record::Reject {
                id: e.id,
                ignored_code: 3,
                api_code: 0,
                reason: reason.clone(),
            });
        }
        outcome.rejected += records.len();
        state.record(records)
    }

    /// Record the server's verdicts on a batch. Returns whether any play hit the daily limit.
    fn apply_verdicts(
        &self,
        batch: &[(u64, Track)],
        verdicts: &[crate::scrobble::Verdict],
        outcome: &mut FlushOutcome,
    ) -> Result<bool> {
        let mut done = Vec::new();
        let mut records = Vec::new();
        let mut daily_limit = false;
        for ((id, track), v) in batch.iter().zip(verdicts) {
            match v.code {
                0 => {
                    done.push(*id);
                    outcome.plays.push(PlayOutcome::Delivered {
                        id: *id,
                        track: track.clone(),
                        corrections: v.corrections.clone(),
                    });
                }
                5 => daily_limit = true,
                code => {
                    outcome.plays.push(PlayOutcome::Rejected {
                        id: *id,
                        track: track.clone(),
                        ignored_code: code,
                        api_code: 0,
                        reason: v.message.clone(),
                    });
                    records.push(Record::Reject {
                        id: *id,
                        ignored_code: code,
                        api_code: 0,
                        reason: v.message.clone(),
                    });
                }
            }
        }
        outcome.sent += done.len();
        outcome.rejected += records.len();
        if !done.is_empty() {
            records.insert(0, Record::Done { ids: done });
        }
        self.lock().record(records)?;
        Ok(daily_limit)
    }
}

/// Time until the next midnight UTC, when Last.fm's daily limit resets.
fn until_next_utc_day() -> Duration {
    let secs_today = now_unix().rem_euclid(86_400);
    Duration::from_secs(u64::try_from(86_400 - secs_today).unwrap_or(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(i: usize) -> Track {
        Track {
            artist: "A".into(),
            track: format!("T{i}"),
            timestamp: now_unix() - 3600 + i as i64,
            ..Track::default()
        }
    }

    /// A queue at a fresh path whose journal is due for compaction, with no play left.
    fn queue_due_for_compaction(name: &str) -> (Queue, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("lfm-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("q.lfmq");
        let queue = Queue::open(&path).unwrap();
        for i in 0..600 {
            queue.push(&play(i)).unwrap();
        }
        for e in queue.entries() {
            queue.remove(e.id).unwrap();
        }
        (queue, path)
    }

    #[test]
    fn a_compaction_whose_directory_sync_fails_keeps_writing_to_the_named_file() {
        let (queue, path) = queue_due_for_compaction("dir-sync");
        journal::FAIL_DIR_SYNCS.with(|n| n.set(1));
        let err = queue.lock().maybe_compact().unwrap_err();
        assert!(err.message().contains("injected"), "{}", err.message());
        for i in 1000..1003 {
            assert!(queue.push(&play(i)).unwrap());
        }
        drop(queue);
        assert_eq!(Queue::open(&path).unwrap().pending_count(), 3);
    }

    #[test]
    fn a_flush_reports_its_compaction_error_beside_its_own() {
        let (queue, _path) = queue_due_for_compaction("flush-compaction");
        queue.push(&play(1)).unwrap();
        let client = Client::new("0123456789abcdef0123456789abcdef", "secret").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        client
            .set_base_url(&format!("http://127.0.0.1:{port}/2.0/"))
            .unwrap();
        client.set_allow_insecure_http(true).unwrap();
        client
            .set_session_key(Some("0123456789abcdef0123456789abcdef"))
            .unwrap();
        journal::FAIL_DIR_SYNCS.with(|n| n.set(1));
        let error = queue.flush(&client).error.unwrap();
        assert_eq!(error.status(), Status::Network, "{error:?}");
        assert!(
            error.message().contains("compacting the queue file failed")
                && error.message().contains("injected"),
            "{}",
            error.message()
        );
    }
}
