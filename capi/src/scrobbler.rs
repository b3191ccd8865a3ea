//! `lfm_scrobbler`: the play tracker and background delivery a player drives with its own
//! events (play, pause, resume, seek, stop), over the core's `lfm::scrobbler`.

use std::ffi::{c_char, c_void};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::args::{c_text, catch, guard, handle, Codes};
use super::client::{lfm_client, millis};
use super::error::{lfm_error, lfm_status};
use super::scrobble::{lfm_track, opt_ptr, CorrectionStrings, TrackStrings};
use lfm::scrobbler::{Event, EventKind, Scrobbler, UnknownDuration};

/// A scrobbler: decides when a play counts and delivers it in the background, for one
/// player. The rules it implements:
/// - Listened time counts only time spent playing: pauses, the stall between a pause and a
///   resume, and seeks add nothing; seeking back does not count a second play. A play's
///   timestamp is the moment it started.
/// - A play is due when the track is longer than 30 s and has been listened to for half
///   its duration or 4 minutes, whichever comes first; a track of unknown duration (0)
///   after 4 minutes, or never (lfm_scrobbler_set_unknown_duration()). It is appended to
///   the queue file (durably) the moment it becomes due, so a crash after that loses
///   nothing. lfm_scrobbler_play() of the same track again is a new play (repeat-one), with
///   its own timestamp. Stopped or skipped before due: no scrobble.
/// - Now playing is sent when a track starts and when it resumes after a pause longer than
///   5 minutes (lfm_scrobbler_set_now_playing_after_pause_ms()); its failure never blocks or
///   delays a scrobble. Durations of 30 s or less, or over 3 hours, are not sent as
///   `duration` (Last.fm ignores such scrobbles). Last.fm's corrections come in the events.
/// - Delivery uses the queue's rules (lfm_queue_flush(): batches, bisection, set-aside
///   plays, the age limit) and the client's rate limit and batch size. After a retryable
///   failure the worker waits, with jitter, at least the error's suggested wait (the next
///   midnight UTC after the daily limit, a back-off from 1 minute to 1 hour when the error
///   suggests none), reporting LFM_EVENT_DEFERRED. On error 9 (or no session key), 4, 10 or
///   26 it reports LFM_EVENT_AUTH_LOST and sends nothing more, keeping every play, until
///   lfm_client_set_session_key() is called on its client. A play is never sent twice,
///   except across a crash between the server's reply and the queue file's update (see
///   lfm_queue_flush()).
///
/// Threads: it owns two threads (delivery, and now playing). Every function may be called
/// from any thread. The player events (play, pause, resume, seek, stop) return within
/// microseconds whatever the network does: they do no I/O on the caller's thread except the
/// queue file's durable append when that very event makes a play due. The scrobbler keeps
/// its own reference to the client (which may be freed first) and holds the queue file
/// (one opener at a time, as lfm_queue_open()) until freed. Create with
/// lfm_scrobbler_new(), free with lfm_scrobbler_free().
///
/// Methods: lfm_scrobbler_new(), lfm_scrobbler_free(); player events: lfm_scrobbler_play(),
/// lfm_scrobbler_pause(), lfm_scrobbler_resume(), lfm_scrobbler_seek(),
/// lfm_scrobbler_stop(); reports: lfm_scrobbler_set_listener(); settings:
/// lfm_scrobbler_set_clock(), lfm_scrobbler_set_unknown_duration(),
/// lfm_scrobbler_set_now_playing_after_pause_ms(); delivery: lfm_scrobbler_flush_now(),
/// lfm_scrobbler_drain(), lfm_scrobbler_pending().
pub struct lfm_scrobbler {
    scrobbler: Scrobbler,
    /// Set by lfm_scrobbler_free(): the C listener is not called any more.
    freed: Arc<AtomicBool>,
}

/// Borrow the scrobbler behind a handle.
///
/// # Safety
/// `s` is NULL or a live lfm_scrobbler.
pub(crate) unsafe fn scrobbler_arg<'a>(s: *const lfm_scrobbler) -> lfm::Result<&'a lfm_scrobbler> {
    // SAFETY: forwarded contract.
    unsafe { handle(s, "scrobbler") }
}

/// What an lfm_scrobbler_event reports: one of the LFM_EVENT_* values. New kinds may be
/// appended; ignore the ones you do not know.
pub type lfm_event_kind = i32;

/// Now playing was sent (`code` 0, and Last.fm's corrections if any) or failed (`code` the
/// API error or 0, `message` why).
pub const LFM_EVENT_NOW_PLAYING: lfm_event_kind = 1;
/// A play became due and is in the queue file (durably).
pub const LFM_EVENT_QUEUED: lfm_event_kind = 2;
/// The server accepted a play (with Last.fm's corrections if any).
pub const LFM_EVENT_DELIVERED: lfm_event_kind = 3;
/// A play will not be sent: the server ignored it (`code` Last.fm's ignored code 1-4, or 3
/// for plays older than the queue's age limit) or refused it alone (`code` the API error),
/// or it could not be queued.
pub const LFM_EVENT_REJECTED: lfm_event_kind = 4;
/// Delivery failed for now (`code`, `message`); the worker tries again in `retry_after_ms`
/// (milliseconds by the scrobbler's clock). The plays stay queued.
pub const LFM_EVENT_DEFERRED: lfm_event_kind = 5;
/// The server refused the credentials in a way only the user (or the developer) can fix:
/// `code` 9 (session key refused), 4, 10 or 26, or 0 when the client has no session key at
/// all (`message` says so). Delivery stops, every
/// play kept, until lfm_client_set_session_key() is called on the client.
pub const LFM_EVENT_AUTH_LOST: lfm_event_kind = 6;

/// The C number of each event kind.
pub(crate) const EVENT_CODES: Codes<EventKind> = Codes(&[
    (LFM_EVENT_NOW_PLAYING, EventKind::NowPlaying),
    (LFM_EVENT_QUEUED, EventKind::Queued),
    (LFM_EVENT_DELIVERED, EventKind::Delivered),
    (LFM_EVENT_REJECTED, EventKind::Rejected),
    (LFM_EVENT_DEFERRED, EventKind::Deferred),
    (LFM_EVENT_AUTH_LOST, EventKind::AuthLost),
]);

/// Something the scrobbler did, for the player's UI and logs; never contains a secret.
/// Every pointer in it (the track and its strings, message, corrections) is valid only
/// during the listener call: copy what you keep.
#[repr(C)]
pub struct lfm_scrobbler_event {
    /// What happened: one of LFM_EVENT_*.
    pub kind: lfm_event_kind,
    /// The play it concerns (its timestamp is when it started); NULL for
    /// LFM_EVENT_DEFERRED and LFM_EVENT_AUTH_LOST.
    pub track: *const lfm_track,
    /// Last.fm's ignored code or API error, 0 if none.
    pub code: i32,
    /// The reason or error text, "" if none; never NULL.
    pub message: *const c_char,
    /// LFM_EVENT_DEFERRED: milliseconds (by the scrobbler's clock) until the worker tries
    /// again; 0 otherwise.
    pub retry_after_ms: i64,
    /// The artist name as Last.fm corrected it (now playing, delivered), NULL if none.
    pub corrected_artist: *const c_char,
    /// The corrected track title, NULL if none.
    pub corrected_track: *const c_char,
    /// The corrected album title, NULL if none.
    pub corrected_album: *const c_char,
}

/// Receives the scrobbler's events, one call per event, in order, on the scrobbler's
/// delivery thread, with `ctx` passed back unchanged. It is never called while the library
/// holds a lock that a call from inside it would need: it may call any lfm_scrobbler_* or
/// lfm_client_* function (lfm_scrobbler_free() included: the listener is then not called
/// again). Delivery waits while it runs: return promptly.
pub type lfm_scrobbler_event_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, event: *const lfm_scrobbler_event)>;

/// A clock: the current time in Unix milliseconds, from `ctx`. Called from any of the
/// scrobbler's threads and the caller's, possibly at once: it must be thread-safe and fast.
pub type lfm_clock_fn = Option<unsafe extern "C" fn(ctx: *mut c_void) -> i64>;

/// A C callback's context pointer, made shareable across threads: the C side promises
/// (lfm_scrobbler_set_listener(), lfm_scrobbler_set_clock()) that the callback is callable
/// from any thread with it, and that it stays valid while installed.
#[derive(Clone, Copy)]
struct Ctx(*mut c_void);

// SAFETY: see the type's doc: the setter's contract.
unsafe impl Send for Ctx {}
// SAFETY: as above; the pointer is only passed back, never dereferenced here.
unsafe impl Sync for Ctx {}

impl Ctx {
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// Call the C listener with `event` as C data, alive for the call.
///
/// # Safety
/// The contract of lfm_scrobbler_set_listener() for `listener` and `ctx`.
unsafe fn call_listener(
    listener: unsafe extern "C" fn(*mut c_void, *const lfm_scrobbler_event),
    ctx: Ctx,
    event: &Event,
) {
    let strings = event.track.as_ref().map(TrackStrings::new);
    let track = event
        .track
        .as_ref()
        .zip(strings.as_ref())
        .map(|(t, s)| s.c_track(t));
    let message = c_text(&event.message);
    let corrected = CorrectionStrings::new(&event.corrections);
    let c_event = lfm_scrobbler_event {
        kind: EVENT_CODES.code(event.kind),
        track: track
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const lfm_track),
        code: event.code,
        message: message.as_ptr(),
        retry_after_ms: event.retry_after_ms,
        corrected_artist: opt_ptr(&corrected.artist),
        corrected_track: opt_ptr(&corrected.track),
        corrected_album: opt_ptr(&corrected.album),
    };
    // SAFETY: the function's contract; every pointer in `c_event` lives through the call.
    unsafe { listener(ctx.get(), &c_event) }
}

/// Start a scrobbler delivering through `client`, with its plays in the durable queue file
/// at `queue_path` (opened as lfm_queue_open() does: one opener at a time; plays an earlier
/// scrobbler or lfm_queue left there are delivered too). It starts its threads and takes its
/// own reference to the client: freeing the client first is safe. `out` (required) receives
/// the scrobbler; free it with lfm_scrobbler_free(). Blocks on opening the file only.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_new(
    client: *mut lfm_client,
    queue_path: *const c_char,
    out: *mut *mut lfm_scrobbler,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out = arg!(out out);
        let client = arg!(shared_client client);
        let scrobbler = Scrobbler::new(client, Path::new(arg!(str queue_path)))?;
        out.set_box(lfm_scrobbler {
            scrobbler,
            freed: Arc::new(AtomicBool::new(false)),
        });
        Ok(())
    })
}

/// Stop the scrobbler and free it. NULL is fine. A play due by now is queued first; no
/// request starts after this is called (a delivery under way stops between requests); the
/// listener is not called again once this returns (nor once it has started, except for a
/// call already running). Nothing acknowledged is lost: undelivered plays stay in the queue
/// file for the next lfm_scrobbler_new() on it.
///
/// Returns within `timeout_ms` plus the end of a listener call already running. A thread
/// still waiting on the server then (a request in flight cannot be interrupted) ends when
/// that request does, at the latest after the client's timeout, sending nothing more and
/// reporting nothing; until then the queue file stays locked. Called from inside the
/// listener, it returns at once and the threads end on their own. No other call on this
/// scrobbler may be running or start afterwards.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_free(s: *mut lfm_scrobbler, timeout_ms: u32) {
    if s.is_null() {
        return;
    }
    // SAFETY: from lfm_scrobbler_new, freed once (the API contract).
    let s = unsafe { Box::from_raw(s) };
    catch((), move || {
        s.freed.store(true, Ordering::SeqCst);
        s.scrobbler.close(millis(timeout_ms));
        drop(s);
    })
}

/// The body of the exports that only act on the scrobbler: borrow it, then act, and report
/// like any export. Called only by exports, with their arguments (the contract of [`arg!`]).
fn with_scrobbler(
    s: *const lfm_scrobbler,
    out_err: *mut *mut lfm_error,
    body: impl FnOnce(&Scrobbler) -> lfm::Result<()>,
) -> lfm_status {
    guard(out_err, || body(&arg!(scrobbler s).scrobbler))
}

/// A track starts playing at position 0 (artist and track required; the timestamp is
/// ignored: the play's timestamp is now, by the scrobbler's clock). The same track again is
/// a new play (repeat-one). A play of the previous track that was due is queued first.
/// Sends now playing in the background. Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_play(
    s: *mut lfm_scrobbler,
    t: *const lfm_track,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, |scrobbler| scrobbler.play(&arg!(track t)))
}

/// Playback paused: time stops counting as listened. Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_pause(
    s: *mut lfm_scrobbler,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, Scrobbler::pause)
}

/// Playback resumed after lfm_scrobbler_pause(); after a long pause, now playing is sent
/// again. Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_resume(
    s: *mut lfm_scrobbler,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, Scrobbler::resume)
}

/// The position jumped to `position_ms` (either way): it adds no listened time and starts
/// no new play. Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_seek(
    s: *mut lfm_scrobbler,
    position_ms: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, |scrobbler| scrobbler.seek(position_ms))
}

/// The track ended or the user stopped: a play that is due is queued, one that is not is
/// dropped (no scrobble). Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_stop(
    s: *mut lfm_scrobbler,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, Scrobbler::stop)
}

/// Report events to `fn`, with `ctx` passed back unchanged (see lfm_scrobbler_event_fn); a
/// NULL `fn` reports to nobody. Replaces the previous listener; a call of it already
/// running may finish after this returns. `ctx` must stay valid while the listener is
/// installed, and `fn` must be callable from another thread.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_set_listener(
    s: *mut lfm_scrobbler,
    r#fn: lfm_scrobbler_event_fn,
    ctx: *mut c_void,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let s = arg!(scrobbler s);
        let ctx = Ctx(ctx);
        let freed = Arc::clone(&s.freed);
        let listener = r#fn.map(|f| -> lfm::scrobbler::engine::Listener {
            Box::new(move |event: &Event| {
                if !freed.load(Ordering::SeqCst) {
                    // SAFETY: the contract stated above for `fn` and `ctx`.
                    unsafe { call_listener(f, ctx, event) }
                }
            })
        });
        s.scrobbler.set_listener(listener);
        Ok(())
    })
}

/// Read every time the scrobbler uses (listened time, play timestamps, waits and back-off)
/// from `fn` (Unix milliseconds, with `ctx` passed back) instead of the system clock; a NULL
/// `fn` goes back to the system clock. For tests and simulations: set it before the first
/// player event. The worker re-reads it every 50 ms of real time. `ctx` must stay valid, and
/// `fn` callable from any thread, until the scrobbler is freed or the clock replaced.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_set_clock(
    s: *mut lfm_scrobbler,
    r#fn: lfm_clock_fn,
    ctx: *mut c_void,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let s = arg!(scrobbler s);
        let ctx = Ctx(ctx);
        let clock = r#fn.map(|f| -> lfm::scrobbler::engine::Clock {
            // SAFETY: the contract stated above for `fn` and `ctx`.
            Box::new(move || unsafe { f(ctx.get()) })
        });
        s.scrobbler.set_clock(clock);
        Ok(())
    })
}

/// lfm_scrobbler_set_unknown_duration(): a track of unknown duration (0) is due after 4
/// minutes of listening (the default).
pub const LFM_UNKNOWN_DURATION_AFTER_4_MINUTES: i32 = 0;
/// lfm_scrobbler_set_unknown_duration(): a track of unknown duration is never scrobbled
/// (streams, radio).
pub const LFM_UNKNOWN_DURATION_NEVER: i32 = 1;

/// The C number of each rule for unknown durations.
pub(crate) const UNKNOWN_DURATION_CODES: Codes<UnknownDuration> = Codes(&[
    (
        LFM_UNKNOWN_DURATION_AFTER_4_MINUTES,
        UnknownDuration::DueAfterCap,
    ),
    (LFM_UNKNOWN_DURATION_NEVER, UnknownDuration::Never),
]);

/// What to do with plays of unknown duration (lfm_track.duration_secs 0):
/// LFM_UNKNOWN_DURATION_AFTER_4_MINUTES (the default) or LFM_UNKNOWN_DURATION_NEVER;
/// another value is LFM_ERR_INVALID_ARGUMENT. A play under way keeps the rule it started
/// with.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_set_unknown_duration(
    s: *mut lfm_scrobbler,
    rule: i32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, |scrobbler| {
        scrobbler.set_unknown_duration(UNKNOWN_DURATION_CODES.arg(rule, "unknown-duration rule")?);
        Ok(())
    })
}

/// Resuming after a pause longer than `pause_ms` sends now playing again (default 5
/// minutes; UINT32_MAX: never).
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_set_now_playing_after_pause_ms(
    s: *mut lfm_scrobbler,
    pause_ms: u32,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, |scrobbler| {
        let pause = match pause_ms {
            u32::MAX => Duration::MAX,
            ms => millis(ms),
        };
        scrobbler.set_now_playing_after_pause(pause);
        Ok(())
    })
}

/// Try delivering now, skipping the current back-off wait once (e.g. the network came
/// back). Does not lift the stop after LFM_EVENT_AUTH_LOST: set a session key for that.
/// Returns at once.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_flush_now(
    s: *mut lfm_scrobbler,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    with_scrobbler(s, out_err, |scrobbler| {
        scrobbler.flush_now();
        Ok(())
    })
}

/// Block until no play is pending (a play due by the scrobbler's clock now included) and
/// the listener has returned from the events of the deliveries (LFM_EVENT_DELIVERED,
/// LFM_EVENT_REJECTED), or until `timeout_ms` (real time) passes. Called from the listener,
/// it does not wait for events (its own call is one of them). Does not skip a back-off
/// wait (see lfm_scrobbler_flush_now()). `out_pending` (optional) receives how many plays
/// are left; LFM_OK either way.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_drain(
    s: *mut lfm_scrobbler,
    timeout_ms: u32,
    out_pending: *mut usize,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_pending = arg!(opt_out out_pending);
        let s = arg!(scrobbler s);
        out_pending.set(s.scrobbler.drain(millis(timeout_ms)));
        Ok(())
    })
}

/// The number of plays not delivered yet: due and waiting in the queue file (rejected ones
/// not counted). `out_pending` is required. Never waits on the network.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobbler_pending(
    s: *const lfm_scrobbler,
    out_pending: *mut usize,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_pending = arg!(out out_pending);
        out_pending.set(arg!(scrobbler s).scrobbler.pending());
        Ok(())
    })
}
