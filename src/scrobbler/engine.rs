//! The scrobbler: a [`PlayTracker`] fed by a player, a durable [`Queue`], and the threads
//! that deliver in the background. See the module docs of [`crate::scrobbler`].

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::tracker::UnknownDuration;
use super::tracker::{Action, PlayTracker, PlayerEvent, TrackerConfig};
use crate::client::Client;
use crate::error::{Error, Result, Status};
use crate::log::Level;
use crate::queue::{FlushControl, PlayOutcome, Queue};
use crate::ratelimit;
pub use crate::scrobble::Corrections;
use crate::track::Track;

/// A clock in Unix milliseconds.
pub type Clock = Box<dyn Fn() -> i64 + Send + Sync>;
/// Receives the scrobbler's [`Event`]s, on the scrobbler's worker thread.
pub type Listener = Box<dyn Fn(&Event) + Send + Sync>;

type SharedClock = Arc<dyn Fn() -> i64 + Send + Sync>;
type SharedListener = Arc<dyn Fn(&Event) + Send + Sync>;

/// How often (real time) the worker re-reads an injected clock when nothing wakes it.
pub const INJECTED_CLOCK_POLL: Duration = Duration::from_millis(50);
/// The longest the worker sleeps on the system clock without re-reading it (a clock can
/// jump: suspend, NTP).
pub const SYSTEM_CLOCK_POLL: Duration = Duration::from_secs(1);
/// How long dropping a [`Scrobbler`] waits for its threads (see [`Scrobbler::close`]).
pub const DROP_TIMEOUT: Duration = Duration::from_secs(2);

/// First wait after a failed delivery whose error suggests none (a reply the library did
/// not understand, a refused request); doubles per failure in a row.
const STUCK_RETRY_BASE: Duration = Duration::from_secs(60);
/// Longest such wait.
const STUCK_RETRY_MAX: Duration = Duration::from_secs(3600);
/// Wait before retrying plays a flush left pending without an error (set aside by the
/// queue's rules); doubles per such flush in a row.
const SET_ASIDE_RETRY_BASE: Duration = Duration::from_secs(5);
/// Longest such wait.
const SET_ASIDE_RETRY_MAX: Duration = Duration::from_secs(600);
/// Spread of the retry after the daily limit resets, so that players do not all return
/// at midnight UTC in step.
const DAILY_LIMIT_SPREAD: Duration = Duration::from_secs(60);
const DAY_MS: i64 = 86_400_000;

/// What an [`Event`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Now playing was sent (`code` 0) or failed (`code` the API error, `message` why).
    NowPlaying,
    /// A play became due and is in the queue file.
    Queued,
    /// The server accepted a play.
    Delivered,
    /// A play will not be sent: the server ignored or refused it (`code`), or it could
    /// not be queued.
    Rejected,
    /// Delivery failed for now; the worker tries again in `retry_after_ms`.
    Deferred,
    /// The server refused the credentials in a way only the user (or the developer) can
    /// fix: the session key (error 9, or the client has none), the authentication (4), the
    /// API key (10) or a suspended API key (26), `code` saying which. Delivery stops, every
    /// play kept, until [`Client::set_session_key`] is called again.
    AuthLost,
}

impl EventKind {
    /// Every kind, in the order of the declaration (for bindings that number them).
    pub const ALL: [EventKind; 6] = [
        EventKind::NowPlaying,
        EventKind::Queued,
        EventKind::Delivered,
        EventKind::Rejected,
        EventKind::Deferred,
        EventKind::AuthLost,
    ];
}

/// Something the scrobbler did, for the player's UI and logs. Never contains a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The play it concerns (`None` for [`EventKind::Deferred`] and [`EventKind::AuthLost`]).
    pub track: Option<Track>,
    /// Last.fm's ignored code or API error, 0 if none.
    pub code: i32,
    /// Reason or error text, empty if none.
    pub message: String,
    /// [`EventKind::Deferred`]: milliseconds (by the scrobbler's clock) until the next try.
    pub retry_after_ms: i64,
    /// Last.fm's corrections to the play's names ([`EventKind::NowPlaying`] and
    /// [`EventKind::Delivered`]); empty if none.
    pub corrections: Corrections,
}

impl Event {
    fn new(kind: EventKind, track: Option<Track>) -> Event {
        Event {
            kind,
            track,
            code: 0,
            message: String::new(),
            retry_after_ms: 0,
            corrections: Corrections::default(),
        }
    }

    fn failed(kind: EventKind, track: Option<Track>, error: &Error) -> Event {
        Event {
            code: error.api_code(),
            message: error.to_string(),
            ..Event::new(kind, track)
        }
    }
}

/// What the threads share. Lock order: `push_lock`, then `state`; `clock` and `listener`
/// are only held to clone what they hold.
struct Shared {
    client: Arc<Client>,
    queue: Queue,
    /// Stopped by `close`: a flush under way starts no new request.
    flush_control: FlushControl,
    state: Mutex<State>,
    /// Wakes the delivery worker: events to report, plays to deliver, stop.
    worker_wake: Condvar,
    /// Wakes the now-playing sender.
    now_playing_wake: Condvar,
    /// Signalled when plays leave the pending set and when a thread exits.
    progress: Condvar,
    /// Serialises durable pushes, so a play is never pushed again after it was delivered.
    push_lock: Mutex<()>,
    clock: Mutex<Option<SharedClock>>,
    listener: Mutex<Option<SharedListener>>,
    /// Held while the listener is called, so that `close` can wait for a call under way.
    listener_calls: Mutex<()>,
}

struct State {
    tracker: PlayTracker,
    /// Plays that became due, in order, not yet in the queue file.
    to_push: VecDeque<Track>,
    /// Events waiting for the worker to report them.
    events: VecDeque<Event>,
    /// Events taken from `events` whose listener calls have not all returned yet.
    events_in_hand: usize,
    /// The latest track to announce as now playing.
    now_playing: Option<Track>,
    /// Something new to deliver: try at once (unless deferred).
    deliver_wanted: bool,
    /// No delivery before this time (scrobbler clock, Unix ms).
    retry_at_ms: Option<i64>,
    /// flush_now() was asked: the next delivery ignores `retry_at_ms` once. Kept until a
    /// delivery starts, so a flush_now() during a flush that then fails is not lost.
    flush_now: bool,
    /// Failed or unfinished deliveries in a row, for the back-off.
    failures_in_a_row: u32,
    /// Delivery stopped on a refused session key; the client's session generation then.
    auth_lost_at: Option<u64>,
    /// A play was queued while a flush ran.
    pushed_during_flush: bool,
    flushing: bool,
    stopping: bool,
    /// `close` returned before the threads ended: no event is reported any more.
    abandoned: bool,
    threads_running: usize,
}

fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis_i64(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `wait`, made up to 20 % longer at random (never shorter: a server's wait is honoured).
fn at_least_jittered(wait: Duration) -> Duration {
    wait.max(ratelimit::backoff(wait, 0, wait))
}

/// Milliseconds from `now_ms` to the next midnight UTC, when Last.fm's daily limit resets.
fn until_next_utc_day_ms(now_ms: i64) -> i64 {
    DAY_MS - now_ms.rem_euclid(DAY_MS)
}

/// API errors that waiting cannot fix: 4 (authentication failed), 9 (session key
/// refused), 10 (invalid API key), 26 (suspended API key).
const AUTH_LOST_API_CODES: [i32; 4] = [4, 9, 10, 26];

fn is_auth_lost(e: &Error) -> bool {
    e.status() == Status::NoSession
        || (e.status() == Status::Api && AUTH_LOST_API_CODES.contains(&e.api_code()))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> i64 {
        let clock = self.clock.lock().unwrap_or_else(|p| p.into_inner()).clone();
        clock.map_or_else(system_now_ms, |c| c())
    }

    fn has_injected_clock(&self) -> bool {
        self.clock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Take the tracker's decisions: remember the now playing to send, line up due plays.
    /// Returns whether a play became due.
    fn take_actions(&self, state: &mut State, actions: Vec<Action>) -> bool {
        let mut due = false;
        for action in actions {
            match action {
                Action::NowPlaying(track) => {
                    state.now_playing = Some(track);
                    self.now_playing_wake.notify_one();
                }
                Action::Scrobble(track) => {
                    state.to_push.push_back(track);
                    due = true;
                }
            }
        }
        due
    }

    /// Let the tracker count time up to `now_ms` and take its decisions.
    fn poll_tracker(&self, state: &mut State, now_ms: i64) {
        let actions = state.tracker.poll(now_ms);
        self.take_actions(state, actions);
    }

    fn emit(&self, state: &mut State, event: Event) {
        state.events.push_back(event);
        self.worker_wake.notify_one();
    }

    /// Push the due plays into the queue file, oldest first. A play the queue refuses as
    /// invalid is dropped with a [`EventKind::Rejected`] event; on an I/O error it stays
    /// lined up (the worker retries) and the error is returned.
    fn push_due(&self) -> Result<()> {
        let _one_at_a_time = self.push_lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let Some(track) = self.lock().to_push.front().cloned() else {
                return Ok(());
            };
            let pushed = self.queue.push(&track);
            let mut state = self.lock();
            match pushed {
                Ok(added) => {
                    state.to_push.pop_front();
                    if added {
                        state.deliver_wanted = true;
                        state.pushed_during_flush |= state.flushing;
                        self.emit(&mut state, Event::new(EventKind::Queued, Some(track)));
                    }
                }
                Err(e) if e.status() == Status::InvalidArgument => {
                    state.to_push.pop_front();
                    let event = Event::failed(EventKind::Rejected, Some(track), &e);
                    self.emit(&mut state, event);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether every event of a delivery that ended has reached the listener (or nobody):
    /// no flush under way, nothing waiting to be reported, no listener call under way.
    /// Always true once the threads ended or `close` gave up on them.
    fn events_reported(&self) -> bool {
        let state = self.lock();
        let settled = !state.flushing && state.events.is_empty() && state.events_in_hand == 0;
        settled || state.abandoned || (state.stopping && state.threads_running == 0)
    }

    /// Plays not yet delivered: lined up for the queue file or pending in it.
    fn pending(&self) -> usize {
        let lined_up = self.lock().to_push.len();
        lined_up + self.queue.pending_count()
    }

    /// Report the waiting events to the listener, outside every lock but `listener_calls`
    /// (which no other call of the scrobbler takes), unless `close` has given up on this
    /// thread.
    fn report_events(&self) {
        let events: Vec<Event> = {
            let mut state = self.lock();
            let events: Vec<Event> = state.events.drain(..).collect();
            state.events_in_hand += events.len();
            events
        };
        if events.is_empty() {
            return;
        }
        self.call_listener(&events);
        self.lock().events_in_hand -= events.len();
        // drain() waits for the listener to have seen what was delivered.
        self.progress.notify_all();
    }

    /// The listener's calls for `events`, one at a time, under `listener_calls`.
    fn call_listener(&self, events: &[Event]) {
        let _calls = self
            .listener_calls
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if self.lock().abandoned {
            return;
        }
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(listener) = listener else {
            return;
        };
        for event in events {
            if catch_unwind(AssertUnwindSafe(|| listener(event))).is_err() {
                self.client.log(Level::Error, || {
                    "scrobbler: the event listener panicked; the scrobbler goes on".into()
                });
            }
        }
    }

    /// Whether the worker should flush now, clearing an auth stop when the session key
    /// was set again since.
    fn should_deliver(&self, state: &mut State, now_ms: i64) -> bool {
        if let Some(generation) = state.auth_lost_at {
            if self.client.session_generation() == generation {
                return false;
            }
            state.auth_lost_at = None;
            state.retry_at_ms = None;
            state.failures_in_a_row = 0;
        }
        state.flush_now || state.retry_at_ms.is_none_or(|at| now_ms >= at)
    }

    /// One flush, then report what became of every play it settled and decide when to
    /// try again.
    fn deliver(&self, now_ms: i64) {
        {
            let mut state = self.lock();
            state.flushing = true;
            state.pushed_during_flush = false;
            state.deliver_wanted = false;
            state.flush_now = false;
        }
        let outcome = self.queue.flush_with(&self.client, &self.flush_control);
        let still_pending = outcome.error.is_some() || (self.queue.pending_count() > 0);

        // A play this flush delivered may have been appended by a push that has not
        // emitted its Queued event yet: wait for that push (it holds `push_lock` from the
        // append to the event), so that Queued always comes before Delivered.
        let _pushes_reported = self.push_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut state = self.lock();
        state.flushing = false;
        for play in outcome.plays {
            let event = match play {
                PlayOutcome::Delivered {
                    track, corrections, ..
                } => Event {
                    corrections,
                    ..Event::new(EventKind::Delivered, Some(track))
                },
                PlayOutcome::Rejected {
                    track,
                    ignored_code,
                    api_code,
                    reason,
                    ..
                } => Event {
                    code: if ignored_code != 0 {
                        ignored_code
                    } else {
                        api_code
                    },
                    message: reason,
                    ..Event::new(EventKind::Rejected, Some(track))
                },
            };
            self.emit(&mut state, event);
        }
        if outcome.stopped {
            // Closing: nothing to decide.
            self.progress.notify_all();
            return;
        }
        match outcome.error {
            Some(e) if is_auth_lost(&e) => {
                let generation = self.client.session_generation();
                state.auth_lost_at = Some(generation);
                let event = Event::failed(EventKind::AuthLost, None, &e);
                self.emit(&mut state, event);
            }
            Some(e) => {
                let streak = state.failures_in_a_row;
                state.failures_in_a_row = streak.saturating_add(1);
                let wait_ms = if outcome.daily_limit {
                    until_next_utc_day_ms(now_ms)
                        .saturating_add(millis_i64(at_least_jittered(DAILY_LIMIT_SPREAD)))
                } else if e.retry_after_ms() > 0 {
                    let wait = Duration::from_millis(u64::from(e.retry_after_ms()));
                    millis_i64(at_least_jittered(wait))
                } else {
                    millis_i64(ratelimit::backoff(
                        STUCK_RETRY_BASE,
                        streak,
                        STUCK_RETRY_MAX,
                    ))
                };
                state.retry_at_ms = Some(now_ms.saturating_add(wait_ms));
                let event = Event {
                    retry_after_ms: wait_ms,
                    ..Event::failed(EventKind::Deferred, None, &e)
                };
                self.emit(&mut state, event);
            }
            None if still_pending && !state.pushed_during_flush => {
                // Plays the queue set aside (a server failing them alone): not in a loop.
                let streak = state.failures_in_a_row;
                state.failures_in_a_row = streak.saturating_add(1);
                let wait = ratelimit::backoff(SET_ASIDE_RETRY_BASE, streak, SET_ASIDE_RETRY_MAX);
                state.retry_at_ms = Some(now_ms.saturating_add(millis_i64(wait)));
            }
            None => {
                state.failures_in_a_row = 0;
                state.retry_at_ms = None;
            }
        }
        self.progress.notify_all();
    }

    /// How long the worker may sleep: until the play under way or a deferred delivery is
    /// due by the clock, at most one poll interval.
    fn idle_wait(&self, state: &State, now_ms: i64, injected: bool) -> Duration {
        let poll = if injected {
            INJECTED_CLOCK_POLL
        } else {
            SYSTEM_CLOCK_POLL
        };
        let next = [state.tracker.due_at(now_ms), state.retry_at_ms]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(at) if !injected => {
                let ms = u64::try_from(at.saturating_sub(now_ms).max(1)).unwrap_or(1);
                poll.min(Duration::from_millis(ms))
            }
            _ => poll,
        }
    }

    /// The delivery worker: counts time for the tracker, pushes plays that time made due,
    /// reports events, and flushes the queue by the back-off rules.
    fn run_worker(&self) {
        let mut wait = Duration::ZERO;
        loop {
            {
                let mut state = self.lock();
                let idle = !state.stopping && state.events.is_empty() && !state.deliver_wanted;
                if idle && !wait.is_zero() {
                    state = self
                        .worker_wake
                        .wait_timeout(state, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                // A wake-up signal only: whether to deliver is decided below.
                state.deliver_wanted = false;
            }
            let now_ms = self.now_ms();
            self.poll_tracker(&mut self.lock(), now_ms);
            if let Err(e) = self.push_due() {
                self.client.log(Level::Error, || {
                    format!("scrobbler: cannot queue a play: {e}")
                });
            }
            self.report_events();
            let deliver = {
                let mut state = self.lock();
                if state.stopping {
                    break;
                }
                self.should_deliver(&mut state, now_ms) && (self.queue.pending_count() > 0)
            };
            if deliver {
                self.deliver(now_ms);
                self.report_events();
            }
            let injected = self.has_injected_clock();
            let now_ms = self.now_ms();
            wait = self.idle_wait(&self.lock(), now_ms, injected);
        }
        self.report_events();
    }

    /// The now-playing sender: the latest track only, never in the delivery's way.
    fn run_now_playing(&self) {
        loop {
            let track = {
                let mut state = self.lock();
                loop {
                    if state.stopping {
                        return;
                    }
                    if let Some(track) = state.now_playing.take() {
                        let auth_lost = state
                            .auth_lost_at
                            .is_some_and(|g| g == self.client.session_generation());
                        if !auth_lost {
                            break track;
                        }
                    }
                    state = self
                        .now_playing_wake
                        .wait(state)
                        .unwrap_or_else(|p| p.into_inner());
                }
            };
            let event = match self.client.send_now_playing(&track) {
                Ok(verdict) => Event {
                    code: verdict.code,
                    message: verdict.message,
                    corrections: verdict.corrections,
                    ..Event::new(EventKind::NowPlaying, Some(track))
                },
                Err(e) => Event::failed(EventKind::NowPlaying, Some(track), &e),
            };
            let mut state = self.lock();
            if !state.stopping {
                self.emit(&mut state, event);
            }
        }
    }

    fn thread_exited(&self) {
        self.lock().threads_running -= 1;
        self.progress.notify_all();
    }
}

/// A play tracker with background delivery, for one player. `Send + Sync`.
///
/// Player calls ([`Scrobbler::play`] and the others) update the tracker under a short lock
/// and return; the only I/O they do is the queue file's durable append when their event
/// makes a play due. Network I/O happens on two threads the scrobbler owns: one delivers
/// the queue, one sends now playing. Events reach the listener from the delivery thread,
/// with no lock of the scrobbler held.
pub struct Scrobbler {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    thread_ids: Vec<std::thread::ThreadId>,
}

impl std::fmt::Debug for Scrobbler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Scrobbler")
            .field("current", &state.tracker.current())
            .field("lined_up", &state.to_push.len())
            .field("auth_lost", &state.auth_lost_at.is_some())
            .finish()
    }
}

impl Scrobbler {
    /// Open (or create) the queue file at `queue_path` (one opener at a time, see
    /// [`Queue::open`]) and start delivering through `client`. Plays left in the file by
    /// an earlier scrobbler are delivered too.
    pub fn new(client: Arc<Client>, queue_path: &Path) -> Result<Scrobbler> {
        let queue = Queue::open(queue_path)?;
        let shared = Arc::new(Shared {
            client,
            queue,
            flush_control: FlushControl::new(),
            state: Mutex::new(State {
                tracker: PlayTracker::default(),
                to_push: VecDeque::new(),
                events: VecDeque::new(),
                events_in_hand: 0,
                now_playing: None,
                deliver_wanted: true,
                retry_at_ms: None,
                flush_now: false,
                failures_in_a_row: 0,
                auth_lost_at: None,
                pushed_during_flush: false,
                flushing: false,
                stopping: false,
                abandoned: false,
                threads_running: 2,
            }),
            worker_wake: Condvar::new(),
            now_playing_wake: Condvar::new(),
            progress: Condvar::new(),
            push_lock: Mutex::new(()),
            clock: Mutex::new(None),
            listener: Mutex::new(None),
            listener_calls: Mutex::new(()),
        });
        let mut threads = Vec::with_capacity(2);
        for (name, body) in [
            ("lfm-scrobbler", Shared::run_worker as fn(&Shared)),
            ("lfm-now-playing", Shared::run_now_playing),
        ] {
            let s = Arc::clone(&shared);
            let spawned = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    let _ = catch_unwind(AssertUnwindSafe(|| body(&s)));
                    s.thread_exited();
                });
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    shared.lock().threads_running = threads.len();
                    drop(Scrobbler::with_threads(shared, threads));
                    return Err(Error::new(
                        Status::Io,
                        format!("cannot start the scrobbler's thread: {e}"),
                    ));
                }
            }
        }
        Ok(Scrobbler::with_threads(shared, threads))
    }

    fn with_threads(shared: Arc<Shared>, threads: Vec<JoinHandle<()>>) -> Scrobbler {
        Scrobbler {
            shared,
            thread_ids: threads.iter().map(|h| h.thread().id()).collect(),
            threads: Mutex::new(threads),
        }
    }

    fn event(&self, event: PlayerEvent) -> Result<()> {
        let now_ms = self.shared.now_ms();
        let due = {
            let mut state = self.shared.lock();
            if state.stopping {
                return Err(Error::invalid("the scrobbler is closed"));
            }
            let stop = event == PlayerEvent::Stop;
            let actions = state.tracker.handle(event, now_ms);
            if stop {
                state.now_playing = None;
            }
            self.shared.take_actions(&mut state, actions)
        };
        if due {
            self.shared.push_due()?;
        }
        Ok(())
    }

    /// A track starts at position 0; the same track again is a new play (repeat-one).
    /// A play of the previous track that became due is queued first.
    pub fn play(&self, track: &Track) -> Result<()> {
        track.validate(false)?;
        self.event(PlayerEvent::Play(track.clone()))
    }

    /// Playback paused: time stops counting as listened.
    pub fn pause(&self) -> Result<()> {
        self.event(PlayerEvent::Pause)
    }

    /// Playback resumed; after a long pause, now playing is sent again.
    pub fn resume(&self) -> Result<()> {
        self.event(PlayerEvent::Resume)
    }

    /// The position jumped (either way); it adds no listened time and starts no new play.
    pub fn seek(&self, position_ms: u32) -> Result<()> {
        self.event(PlayerEvent::Seek(position_ms))
    }

    /// The track ended or the user stopped; a play not yet due is not scrobbled.
    pub fn stop(&self) -> Result<()> {
        self.event(PlayerEvent::Stop)
    }

    /// The play tracker's settings (unknown durations, the now-playing pause threshold).
    pub fn set_tracker_config(&self, config: TrackerConfig) {
        self.shared.lock().tracker.set_config(config);
    }

    /// Whether plays of unknown duration (0) are scrobbled after 4 minutes of listening
    /// (the default) or never (streams, radio). A play under way keeps the rule it started
    /// with.
    pub fn set_unknown_duration(&self, rule: UnknownDuration) {
        let mut state = self.shared.lock();
        let config = TrackerConfig {
            unknown_duration: rule,
            ..state.tracker.config()
        };
        state.tracker.set_config(config);
    }

    /// Resuming after a pause longer than `pause` sends now playing again (default
    /// 5 minutes; `Duration::MAX`: never).
    pub fn set_now_playing_after_pause(&self, pause: Duration) {
        let mut state = self.shared.lock();
        let config = TrackerConfig {
            now_playing_after_pause_ms: millis_i64(pause),
            ..state.tracker.config()
        };
        state.tracker.set_config(config);
    }

    /// Report events to `listener` (`None`: to nobody), on the scrobbler's thread. The
    /// listener may call the scrobbler (and its client) back.
    pub fn set_listener(&self, listener: Option<Listener>) {
        *self
            .shared
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = listener.map(Arc::from);
    }

    /// Read every time from `clock` (Unix ms) instead of the system's: listened time, play
    /// timestamps, back-off deadlines. For tests and simulations; set it before the first
    /// player event. The worker re-reads it every [`INJECTED_CLOCK_POLL`] of real time.
    pub fn set_clock(&self, clock: Option<Clock>) {
        *self.shared.clock.lock().unwrap_or_else(|p| p.into_inner()) = clock.map(Arc::from);
        self.shared.worker_wake.notify_one();
    }

    /// Try delivering now, ignoring the back-off once (e.g. the network came back). Does
    /// not lift a stop on a refused session key: set a session key for that.
    pub fn flush_now(&self) {
        let mut state = self.shared.lock();
        state.flush_now = true;
        state.deliver_wanted = true;
        self.shared.worker_wake.notify_one();
    }

    /// Plays not delivered yet (due and pending in the queue; rejected ones not counted).
    pub fn pending(&self) -> usize {
        self.shared.pending()
    }

    /// Block until no play is pending (a play due by the clock now included) and the
    /// listener has returned from the events of the deliveries (`Delivered`, `Rejected`),
    /// or until `timeout` (real time) passes; returns how many plays are left. Does not
    /// bypass the back-off. Called from the listener, it does not wait for events (its own
    /// call is one of them).
    pub fn drain(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let from_listener = self.thread_ids.contains(&std::thread::current().id());
        let now_ms = self.shared.now_ms();
        {
            let mut state = self.shared.lock();
            // A play due by now that the worker has not seen due yet is pending too.
            self.shared.poll_tracker(&mut state, now_ms);
            state.deliver_wanted = true;
            self.shared.worker_wake.notify_one();
        }
        loop {
            let pending = self.shared.pending();
            let now = Instant::now();
            let settled = pending == 0 && (from_listener || self.shared.events_reported());
            if settled || now >= deadline {
                return pending;
            }
            let state = self.shared.lock();
            let wait = (deadline - now).min(INJECTED_CLOCK_POLL);
            drop(
                self.shared
                    .progress
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|p| p.into_inner()),
            );
        }
    }

    /// Stop within `timeout` (real time): a play that is due by now is queued first, no
    /// new request starts once this is called (a flush under way stops between requests),
    /// and undelivered plays stay in the queue file for the next [`Scrobbler::new`]. Player
    /// calls fail afterwards; closing again only waits again. Returns whether both threads
    /// ended in time; one still waiting on the server ends when that request does, and
    /// reports no event after this returns (a listener call under way is waited for, past
    /// the timeout if need be). See the module docs. Called from the listener, it stops the
    /// scrobbler without waiting and returns `false`.
    pub fn close(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let first = !self.shared.lock().stopping;
        if first {
            let now_ms = self.shared.now_ms();
            self.shared.poll_tracker(&mut self.shared.lock(), now_ms);
            if let Err(e) = self.shared.push_due() {
                self.shared.client.log(Level::Error, || {
                    format!("scrobbler: a due play could not be queued at close: {e}")
                });
            }
        }
        let mut state = self.shared.lock();
        state.stopping = true;
        self.shared.flush_control.stop();
        self.shared.worker_wake.notify_all();
        self.shared.now_playing_wake.notify_all();
        let me = std::thread::current().id();
        if self.thread_ids.contains(&me) {
            return false;
        }
        while state.threads_running > 0 {
            let now = Instant::now();
            if now >= deadline {
                // A thread blocked on the server ends when its request does, reporting
                // nothing: wait for a listener call under way, then let none start.
                drop(state);
                let _calls = self
                    .shared
                    .listener_calls
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                self.shared.lock().abandoned = true;
                return false;
            }
            state = self
                .shared
                .progress
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(state);
        let handles: Vec<JoinHandle<()>> = self
            .threads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for handle in handles {
            let _ = handle.join();
        }
        true
    }
}

impl Drop for Scrobbler {
    /// Closes with [`DROP_TIMEOUT`], unless [`Scrobbler::close`] was called (a thread it
    /// left waiting on the server is not waited for again).
    fn drop(&mut self) {
        let closed = self.shared.lock().stopping;
        if !closed {
            self.close(DROP_TIMEOUT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrobbler_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Scrobbler>();
    }

    #[test]
    fn the_daily_limit_resets_at_midnight_utc_by_the_given_clock() {
        assert_eq!(until_next_utc_day_ms(0), DAY_MS);
        assert_eq!(until_next_utc_day_ms(DAY_MS - 1), 1);
        assert_eq!(
            until_next_utc_day_ms(5 * DAY_MS + 3_600_000),
            DAY_MS - 3_600_000
        );
        assert_eq!(until_next_utc_day_ms(-1), 1);
    }

    #[test]
    fn jitter_never_shortens_a_wait() {
        for _ in 0..100 {
            let d = at_least_jittered(Duration::from_secs(10));
            assert!(d >= Duration::from_secs(10) && d <= Duration::from_secs(12));
        }
    }
}
