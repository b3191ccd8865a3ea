//! The scrobbler engine: when a play counts, and its delivery in the background, written
//! once for every player.
//!
//! # The rules
//! - **Listened time** counts only time spent playing: pauses, the stall between a pause
//!   and a resume, and seeks add nothing. A clock that goes backwards (NTP, a suspended
//!   machine) adds nothing either; time moving forward while playing counts.
//! - **A play is due** when its listened time reaches Last.fm's rule: the track is longer
//!   than 30 s and played for half its duration or 4 minutes, whichever comes first; a
//!   track of unknown duration after 4 minutes, or never (a setting, for streams). Its
//!   timestamp is the moment it started. A play is handed out once: seeking back and
//!   playing again is the same play; `play()` of the same track again is a new play
//!   (repeat-one) with its own timestamp. Stopped or skipped before due: no scrobble.
//! - **Now playing** is sent when a track starts and when it resumes after a pause longer
//!   than a few minutes (5 by default, a setting); its failure never blocks or delays a
//!   scrobble. Durations of 30 s or less, or over 3 hours, are not sent (for any request,
//!   see [`Track::push_params`](crate::track::Track::push_params)): Last.fm silently
//!   ignores scrobbles carrying them. Last.fm's corrections to the names (for now playing
//!   and for scrobbles) are in the [`Event`]s.
//! - **Delivery** goes through the durable [`Queue`](crate::queue::Queue) and its rules
//!   (batches, bisection, set-aside plays, the age limit). After a failed flush the worker
//!   waits: the error's suggested wait (made up to 20 % longer at random, never shorter),
//!   the next midnight UTC plus about a minute after the daily limit, or a jittered
//!   exponential back-off from 1 minute to 1 hour when the error suggests none. On the
//!   errors that waiting cannot fix, 9 (session key refused, or the client has none), 4
//!   (authentication failed), 10 (invalid API key) and 26 (suspended API key), it reports
//!   [`EventKind::AuthLost`] with the code and sends nothing more (now playing included),
//!   keeping every play, until `Client::set_session_key` is called again (for 10 and 26,
//!   a new API key means a new client, hence a new scrobbler on the same queue file).
//!   [`Scrobbler::flush_now`] skips the current wait once.
//!
//! # Threads
//! The pure [`tracker::PlayTracker`] decides; [`Scrobbler`] runs it. Player calls take the
//! scrobbler's lock for a few microseconds (no I/O under it) and return; the only I/O on
//! the caller's thread is the queue's durable append when that very event makes a play due
//! (e.g. `play()` of the next track after the previous one was due but not yet seen due by
//! the worker). Two threads do the rest:
//! - the **delivery worker** re-reads the clock (every 50 ms of real time with an injected
//!   clock; with the system clock when a play or a retry is due, at least every second),
//!   queues plays that time made due, flushes the queue, and reports every [`Event`] to
//!   the listener, holding no lock of the scrobbler, so the listener may call it back;
//! - the **now-playing sender** sends the latest now playing only, so a slow or failing
//!   now playing never delays a scrobble (its outcome is reported by the worker too).
//!
//! # What is durable when
//! A play is in the queue file (`fdatasync`ed) before its [`EventKind::Queued`] event and
//! from the moment it becomes due plus at most one worker poll. It leaves the file only
//! after the server's verdict ([`EventKind::Delivered`] or [`EventKind::Rejected`]).
//! [`Scrobbler::close`] (and drop) queues a play that is due by then, stops both threads
//! within its timeout and leaves every undelivered play in the file, for the next
//! [`Scrobbler::new`] on it to deliver. Delivery is at least once, as the queue's is: a
//! crash between the server's reply and the file's update may resend one batch.
//!
//! # Close and a request in flight
//! No request starts after `close` is called: a flush under way is stopped between
//! requests ([`FlushControl`](crate::queue::FlushControl)). A request already in flight
//! (including its wait for the client's rate limit) cannot be interrupted: if `close`
//! times out on it, that thread is left to end when the request does (at the latest after
//! the client's timeout); the server's verdicts on that request are recorded, nothing more
//! is sent, no more events are reported, and the queue file stays locked until then.

pub mod engine;
pub mod tracker;

pub use engine::{Corrections, Event, EventKind, Scrobbler};
pub use tracker::{PlayTracker, TrackerConfig, UnknownDuration};
