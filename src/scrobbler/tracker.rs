//! The play tracker: a pure, deterministic state machine that turns player events and the
//! passing of time into "send now playing" and "scrobble this play" decisions.
//!
//! It does no I/O, starts no thread and reads no clock: every call is given the time
//! (`now_ms`, Unix milliseconds), so the same inputs always give the same actions.

use crate::track::{Track, MIN_SCROBBLE_DURATION_SECS};

/// Listened time after which any play longer than [`MIN_SCROBBLE_DURATION_SECS`] is due:
/// 4 minutes.
pub const DUE_CAP_MS: i64 = 240_000;
/// Default pause after which resuming sends now playing again: 5 minutes.
pub const DEFAULT_NOW_PLAYING_AFTER_PAUSE_MS: i64 = 5 * 60_000;

/// What to do with a track whose duration is unknown (0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UnknownDuration {
    /// Due after 4 minutes of listening (it is then certainly longer than 30 s).
    #[default]
    DueAfterCap,
    /// Never scrobbled (streams, radio).
    Never,
}

impl UnknownDuration {
    /// Every rule (for bindings that number them).
    pub const ALL: [UnknownDuration; 2] = [UnknownDuration::DueAfterCap, UnknownDuration::Never];
}

/// The tracker's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Whether plays of unknown duration are scrobbled.
    pub unknown_duration: UnknownDuration,
    /// Resuming after a pause longer than this sends now playing again.
    pub now_playing_after_pause_ms: i64,
}

impl Default for TrackerConfig {
    fn default() -> TrackerConfig {
        TrackerConfig {
            unknown_duration: UnknownDuration::DueAfterCap,
            now_playing_after_pause_ms: DEFAULT_NOW_PLAYING_AFTER_PAUSE_MS,
        }
    }
}

/// What the player reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerEvent {
    /// A track starts at position 0. The same track again is a new play (repeat-one).
    Play(Track),
    /// Playback paused.
    Pause,
    /// Playback resumed after a pause.
    Resume,
    /// The position jumped to this many milliseconds (either way).
    Seek(u32),
    /// The track ended or the user stopped.
    Stop,
}

/// What the tracker decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Tell the server this track is playing now.
    NowPlaying(Track),
    /// This play is due: queue it (its timestamp is when it started, Unix seconds).
    Scrobble(Track),
}

/// The play under way.
#[derive(Clone, Debug)]
struct Play {
    /// The track as it will be queued (timestamp set; an implausible duration is kept
    /// here and left out of requests by [`Track::push_params`]).
    track: Track,
    /// Listened time needed for the play to be due; `None`: never due.
    due_after_ms: Option<i64>,
    /// Time spent playing so far, up to `counted_until`.
    listened_ms: i64,
    /// The time up to which `listened_ms` is counted (while playing).
    counted_until: i64,
    /// When the current pause began; `None` while playing.
    paused_at: Option<i64>,
    /// The play has been handed out as [`Action::Scrobble`] (it never is twice).
    scrobbled: bool,
}

impl Play {
    /// Count the time spent playing since the last count. A clock that went backwards
    /// (NTP, suspend) adds nothing, and counting goes on from the new time.
    fn count_until(&mut self, now_ms: i64) {
        if self.paused_at.is_none() {
            self.listened_ms = self
                .listened_ms
                .saturating_add(now_ms.saturating_sub(self.counted_until).max(0));
        }
        self.counted_until = now_ms;
    }

    fn take_if_due(&mut self, out: &mut Vec<Action>) {
        if !self.scrobbled && self.due_after_ms.is_some_and(|due| self.listened_ms >= due) {
            self.scrobbled = true;
            out.push(Action::Scrobble(self.track.clone()));
        }
    }
}

/// Listened time after which a play of `duration_secs` (0: unknown) is due, or `None` if
/// it never is: more than 30 s long, half its duration or 4 minutes, whichever comes first.
pub fn due_after_ms(duration_secs: u32, unknown: UnknownDuration) -> Option<i64> {
    match (duration_secs, unknown) {
        (0, UnknownDuration::DueAfterCap) => Some(DUE_CAP_MS),
        (0, UnknownDuration::Never) => None,
        (d, _) if d <= MIN_SCROBBLE_DURATION_SECS => None,
        (d, _) => Some((i64::from(d) * 1000 / 2).min(DUE_CAP_MS)),
    }
}

/// Follows one player's playback and decides what to send when. See the module docs of
/// [`crate::scrobbler`] for the rules.
#[derive(Clone, Debug, Default)]
pub struct PlayTracker {
    config: TrackerConfig,
    current: Option<Play>,
}

impl PlayTracker {
    /// A tracker with these settings and nothing playing.
    pub fn new(config: TrackerConfig) -> PlayTracker {
        PlayTracker {
            config,
            current: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> TrackerConfig {
        self.config
    }

    /// Change the settings; the play under way keeps the due time it started with.
    pub fn set_config(&mut self, config: TrackerConfig) {
        self.config = config;
    }

    /// The track playing or paused now, as it will be sent, if any.
    pub fn current(&self) -> Option<&Track> {
        self.current.as_ref().map(|p| &p.track)
    }

    /// Whether a track is playing (not paused, not stopped).
    pub fn is_playing(&self) -> bool {
        self.current.as_ref().is_some_and(|p| p.paused_at.is_none())
    }

    /// Apply a player event that happened at `now_ms`; returns what to do, in order.
    pub fn handle(&mut self, event: PlayerEvent, now_ms: i64) -> Vec<Action> {
        let mut out = self.poll(now_ms);
        match event {
            PlayerEvent::Play(mut track) => {
                let due_after_ms = due_after_ms(track.duration_secs, self.config.unknown_duration);
                track.timestamp = now_ms.div_euclid(1000);
                out.push(Action::NowPlaying(track.clone()));
                self.current = Some(Play {
                    track,
                    due_after_ms,
                    listened_ms: 0,
                    counted_until: now_ms,
                    paused_at: None,
                    scrobbled: false,
                });
            }
            PlayerEvent::Pause => {
                if let Some(p) = &mut self.current {
                    if p.paused_at.is_none() {
                        p.paused_at = Some(now_ms);
                    }
                }
            }
            PlayerEvent::Resume => {
                if let Some(p) = &mut self.current {
                    if let Some(paused_at) = p.paused_at.take() {
                        p.counted_until = now_ms;
                        let paused = now_ms.saturating_sub(paused_at);
                        if paused > self.config.now_playing_after_pause_ms {
                            out.push(Action::NowPlaying(p.track.clone()));
                        }
                    }
                }
            }
            PlayerEvent::Seek(_) => {}
            PlayerEvent::Stop => self.current = None,
        }
        out
    }

    /// Let time pass to `now_ms` with no event; returns the play that became due, if any.
    pub fn poll(&mut self, now_ms: i64) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(p) = &mut self.current {
            p.count_until(now_ms);
            p.take_if_due(&mut out);
        }
        out
    }

    /// When the play under way becomes due if playback goes on uninterrupted from `now_ms`:
    /// `Some(now_ms)` or earlier if it is due already and not yet handed out, `None` if
    /// nothing is playing, it is paused, it was handed out or it never becomes due.
    pub fn due_at(&self, now_ms: i64) -> Option<i64> {
        let p = self.current.as_ref()?;
        if p.scrobbled || p.paused_at.is_some() {
            return None;
        }
        let due = p.due_after_ms?;
        let listened = p
            .listened_ms
            .saturating_add(now_ms.saturating_sub(p.counted_until).max(0));
        Some(now_ms.saturating_add(due.saturating_sub(listened).max(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::scrobble_eligible;

    /// Some moment, in Unix ms, with a fractional second to check the timestamp's rounding.
    const T: i64 = 1_700_000_000_250;
    const S: i64 = 1000;
    const MIN: i64 = 60 * S;
    const HOUR: i64 = 60 * MIN;

    fn song(title: &str, duration_secs: u32) -> Track {
        Track {
            artist: "Artist".into(),
            track: title.into(),
            duration_secs,
            ..Track::default()
        }
    }

    fn played(title: &str, duration_secs: u32, started_ms: i64) -> Track {
        Track {
            timestamp: started_ms.div_euclid(1000),
            ..song(title, duration_secs)
        }
    }

    fn scrobbles(actions: &[Action]) -> Vec<Track> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Scrobble(t) => Some(t.clone()),
                Action::NowPlaying(_) => None,
            })
            .collect()
    }

    /// Drive a tracker through `(time, event or poll)` steps; every action, in order.
    fn run(tracker: &mut PlayTracker, steps: Vec<(i64, Option<PlayerEvent>)>) -> Vec<Action> {
        let mut all = Vec::new();
        for (at, event) in steps {
            all.extend(match event {
                Some(e) => tracker.handle(e, at),
                None => tracker.poll(at),
            });
        }
        all
    }

    fn play(title: &str, duration_secs: u32) -> Option<PlayerEvent> {
        Some(PlayerEvent::Play(song(title, duration_secs)))
    }

    #[test]
    fn a_full_play_is_due_at_half_its_duration_with_its_start_time() {
        let mut t = PlayTracker::default();
        let start = t.handle(PlayerEvent::Play(song("A", 200)), T);
        assert_eq!(start, [Action::NowPlaying(played("A", 200, T))]);
        assert_eq!(t.due_at(T), Some(T + 100 * S));
        assert_eq!(t.due_at(T + 30 * S), Some(T + 100 * S));
        assert!(t.poll(T + 100 * S - 1).is_empty());
        assert_eq!(t.poll(T + 100 * S), [Action::Scrobble(played("A", 200, T))]);
        assert_eq!(played("A", 200, T).timestamp, 1_700_000_000);
        assert_eq!(t.due_at(T + 100 * S), None);
        // Never twice: more time, a stop.
        assert!(t.poll(T + 200 * S).is_empty());
        assert!(t.handle(PlayerEvent::Stop, T + 200 * S).is_empty());
    }

    #[test]
    fn four_minutes_beat_half_of_a_long_track() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("Long", 3600)), T);
        assert_eq!(t.due_at(T), Some(T + 240 * S));
        assert_eq!(scrobbles(&t.poll(T + 240 * S)).len(), 1);
    }

    #[test]
    fn a_play_paused_for_an_hour_is_scrobbled_once_with_its_start_time() {
        let mut t = PlayTracker::default();
        let actions = run(
            &mut t,
            vec![
                (T, play("A", 200)),
                (T + 50 * S, Some(PlayerEvent::Pause)),
                (T + 30 * MIN, None),
                (T + HOUR, None),
            ],
        );
        assert_eq!(actions.len(), 1, "only the first now playing: {actions:?}");
        assert_eq!(t.due_at(T + HOUR), None, "paused: never due");
        let resume = T + 50 * S + HOUR;
        // A pause longer than a few minutes: now playing again on resume.
        assert_eq!(
            t.handle(PlayerEvent::Resume, resume),
            [Action::NowPlaying(played("A", 200, T))]
        );
        assert_eq!(t.due_at(resume), Some(resume + 50 * S));
        assert!(t.poll(resume + 50 * S - 1).is_empty());
        assert_eq!(
            t.poll(resume + 50 * S),
            [Action::Scrobble(played("A", 200, T))]
        );
        assert!(t.handle(PlayerEvent::Stop, resume + 200 * S).is_empty());
    }

    #[test]
    fn a_short_pause_does_not_resend_now_playing_and_double_pause_or_resume_change_nothing() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        assert!(t.handle(PlayerEvent::Pause, T + 10 * S).is_empty());
        // A second pause does not move the pause's start; a resume counts from the first.
        assert!(t.handle(PlayerEvent::Pause, T + 5 * MIN).is_empty());
        assert!(!t.is_playing());
        let resume = T + 10 * S + DEFAULT_NOW_PLAYING_AFTER_PAUSE_MS;
        assert!(
            t.handle(PlayerEvent::Resume, resume).is_empty(),
            "not longer"
        );
        assert!(t.handle(PlayerEvent::Resume, resume + 5 * S).is_empty());
        assert!(t.is_playing());
        // 10 s before the pause, 5 s since the resume: 85 s to go.
        assert_eq!(t.due_at(resume + 5 * S), Some(resume + 90 * S));
    }

    #[test]
    fn a_skip_at_20_percent_or_a_stop_before_due_scrobbles_nothing() {
        let mut t = PlayTracker::default();
        let actions = run(
            &mut t,
            vec![
                (T, play("A", 200)),
                (T + 40 * S, play("B", 200)),
                (T + 80 * S, Some(PlayerEvent::Stop)),
                (T + HOUR, None),
            ],
        );
        assert_eq!(
            actions,
            [
                Action::NowPlaying(played("A", 200, T)),
                Action::NowPlaying(played("B", 200, T + 40 * S))
            ]
        );
        assert_eq!(t.current(), None);
        // Events with nothing playing do nothing.
        for e in [
            PlayerEvent::Pause,
            PlayerEvent::Resume,
            PlayerEvent::Seek(5),
            PlayerEvent::Stop,
        ] {
            assert!(t.handle(e, T + 2 * HOUR).is_empty());
        }
        assert_eq!(t.due_at(T + 2 * HOUR), None);
    }

    #[test]
    fn a_track_of_30_s_or_less_is_never_due() {
        for duration in [25, 30] {
            let mut t = PlayTracker::default();
            let actions = run(&mut t, vec![(T, play("Short", duration)), (T + HOUR, None)]);
            assert_eq!(actions, [Action::NowPlaying(played("Short", duration, T))]);
            assert_eq!(t.due_at(T + HOUR), None);
        }
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("Just over", 31)), T);
        assert_eq!(t.due_at(T), Some(T + 15_500));
    }

    #[test]
    fn a_very_long_track_is_due_at_four_minutes() {
        let mut t = PlayTracker::default();
        let mix = 5 * 3600;
        let actions = run(&mut t, vec![(T, play("Mix", mix)), (T + 4 * MIN, None)]);
        let sent = played("Mix", mix, T);
        assert_eq!(
            actions,
            [Action::NowPlaying(sent.clone()), Action::Scrobble(sent)]
        );
    }

    #[test]
    fn repeat_one_three_times_gives_three_scrobbles_with_three_timestamps() {
        let mut t = PlayTracker::default();
        let actions = run(
            &mut t,
            vec![
                (T, play("Loop", 200)),
                (T + 200 * S, play("Loop", 200)),
                (T + 400 * S, play("Loop", 200)),
                (T + 600 * S, Some(PlayerEvent::Stop)),
            ],
        );
        let stamps: Vec<i64> = scrobbles(&actions).iter().map(|t| t.timestamp).collect();
        assert_eq!(stamps, [T / 1000, T / 1000 + 200, T / 1000 + 400]);
        // Each play's now playing goes out when it starts, after the previous scrobble.
        assert!(matches!(actions[0], Action::NowPlaying(_)));
        assert!(matches!(actions[1], Action::Scrobble(_)));
        assert!(matches!(actions[2], Action::NowPlaying(_)));
    }

    #[test]
    fn seeking_back_and_forth_adds_nothing_and_counts_one_play() {
        let mut t = PlayTracker::default();
        let actions = run(
            &mut t,
            vec![
                (T, play("A", 200)),
                (T + 10 * S, Some(PlayerEvent::Seek(150_000))),
                (T + 20 * S, Some(PlayerEvent::Seek(0))),
                (T + 30 * S, Some(PlayerEvent::Seek(190_000))),
                (T + 99 * S, None),
            ],
        );
        assert_eq!(actions.len(), 1, "a seek forward adds no listened time");
        assert_eq!(t.due_at(T + 99 * S), Some(T + 100 * S));
        assert_eq!(scrobbles(&t.poll(T + 100 * S)).len(), 1);
        // Rewinding to the start and playing it all again is not a second play.
        let later = run(
            &mut t,
            vec![
                (T + 110 * S, Some(PlayerEvent::Seek(0))),
                (T + 400 * S, None),
                (T + 410 * S, Some(PlayerEvent::Stop)),
            ],
        );
        assert!(later.is_empty(), "{later:?}");
    }

    #[test]
    fn a_seek_while_paused_stays_paused() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        t.handle(PlayerEvent::Pause, T + 10 * S);
        t.handle(PlayerEvent::Seek(100_000), T + 20 * S);
        assert!(!t.is_playing());
        assert!(t.poll(T + HOUR).is_empty());
    }

    #[test]
    fn an_event_that_crosses_the_threshold_hands_the_play_out_first() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        // No poll in between: the pause at 120 s finds the play due.
        assert_eq!(
            t.handle(PlayerEvent::Pause, T + 120 * S),
            [Action::Scrobble(played("A", 200, T))]
        );
        t.handle(PlayerEvent::Play(song("B", 200)), T + 130 * S);
        assert_eq!(
            t.handle(PlayerEvent::Play(song("C", 200)), T + 240 * S),
            [
                Action::Scrobble(played("B", 200, T + 130 * S)),
                Action::NowPlaying(played("C", 200, T + 240 * S))
            ]
        );
    }

    #[test]
    fn a_clock_going_backwards_never_counts_negative_time() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        assert!(t.poll(T + 50 * S).is_empty());
        // The clock jumps back an hour (NTP, a suspended machine's clock fixed on wake).
        let back = T - HOUR;
        assert!(t.poll(back).is_empty());
        assert_eq!(t.due_at(back), Some(back + 50 * S), "50 s listened remain");
        assert!(t.poll(back + 50 * S - 1).is_empty());
        let s = scrobbles(&t.poll(back + 50 * S));
        assert_eq!(s, [played("A", 200, T)], "the start time is kept");
        // Backwards during a pause: no now playing on resume, no negative pause.
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        t.handle(PlayerEvent::Pause, T + 10 * S);
        assert!(t.handle(PlayerEvent::Resume, T - HOUR).is_empty());
        assert_eq!(t.due_at(T - HOUR), Some(T - HOUR + 90 * S));
    }

    #[test]
    fn unknown_duration_is_due_at_four_minutes_or_never_as_configured() {
        let mut t = PlayTracker::default();
        t.handle(PlayerEvent::Play(song("Stream", 0)), T);
        assert_eq!(t.due_at(T), Some(T + 4 * MIN));
        assert_eq!(scrobbles(&t.poll(T + 4 * MIN)).len(), 1);
        let mut t = PlayTracker::new(TrackerConfig {
            unknown_duration: UnknownDuration::Never,
            ..TrackerConfig::default()
        });
        t.handle(PlayerEvent::Play(song("Stream", 0)), T);
        assert_eq!(t.due_at(T), None);
        assert!(t.poll(T + 10 * HOUR).is_empty());
        // A known duration is due as usual with that setting.
        t.handle(PlayerEvent::Play(song("Song", 200)), T + 10 * HOUR);
        assert_eq!(scrobbles(&t.poll(T + 10 * HOUR + 100 * S)).len(), 1);
    }

    #[test]
    fn the_now_playing_pause_threshold_is_a_setting() {
        let mut t = PlayTracker::new(TrackerConfig {
            now_playing_after_pause_ms: 10 * S,
            ..TrackerConfig::default()
        });
        t.handle(PlayerEvent::Play(song("A", 200)), T);
        t.handle(PlayerEvent::Pause, T + S);
        assert_eq!(t.handle(PlayerEvent::Resume, T + 12 * S).len(), 1);
    }

    #[test]
    fn the_due_rule_agrees_with_the_eligibility_rule() {
        for duration in [0, 1, 29, 30, 31, 32, 59, 60, 61, 200, 479, 480, 481, 3600] {
            for played in 0..=300u32 {
                let due = due_after_ms(duration, UnknownDuration::DueAfterCap)
                    .is_some_and(|d| i64::from(played) * 1000 >= d);
                assert_eq!(
                    due,
                    scrobble_eligible(duration, played),
                    "{duration} s played {played} s"
                );
            }
        }
    }
}
