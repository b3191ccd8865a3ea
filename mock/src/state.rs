//! The mock's mutable state: counters, sessions, tokens, stored scrobbles, faults.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::faults::Fault;

/// Counters, as returned by [`MockServer::stats`](crate::MockServer::stats) and
/// `mock.stats`. All of them are cleared by `mock.reset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted TCP connections on both listeners (counted before any TLS handshake).
    pub connections: u64,
    /// HTTP requests parsed, on any path, `mock.*` included.
    pub requests: u64,
    /// Requests on the API path that were not `mock.*` (faulted ones included).
    pub api_requests: u64,
    /// Scrobbles stored (duplicates are stored once).
    pub scrobbles_stored: u64,
    /// Now-playing updates recorded.
    pub now_playing: u64,
    /// API requests per `method` value (`"(none)"` when absent or unparsable).
    pub by_method: BTreeMap<String, u64>,
}

impl Stats {
    /// The `mock.stats` reply.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "connections": self.connections,
            "requests": self.requests,
            "api_requests": self.api_requests,
            "scrobbles_stored": self.scrobbles_stored,
            "now_playing": self.now_playing,
            "by_method": self.by_method,
        })
    }
}

/// One scrobble as stored by the mock, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScrobble {
    /// The session's user name (always `"RJ"`).
    pub user: String,
    /// `artist[i]`.
    pub artist: String,
    /// `track[i]`.
    pub track: String,
    /// `album[i]`, if sent.
    pub album: Option<String>,
    /// `albumArtist[i]`, if sent.
    pub album_artist: Option<String>,
    /// `timestamp[i]` (Unix seconds).
    pub timestamp: i64,
    /// `duration[i]` (seconds), if sent.
    pub duration: Option<u64>,
    /// `trackNumber[i]`, if sent.
    pub track_number: Option<u64>,
    /// `mbid[i]`, if sent.
    pub mbid: Option<String>,
}

impl StoredScrobble {
    /// The `mock.scrobbles` item; absent optional fields are omitted.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("user".into(), json!(self.user));
        m.insert("artist".into(), json!(self.artist));
        m.insert("track".into(), json!(self.track));
        if let Some(v) = &self.album {
            m.insert("album".into(), json!(v));
        }
        if let Some(v) = &self.album_artist {
            m.insert("albumArtist".into(), json!(v));
        }
        m.insert("timestamp".into(), json!(self.timestamp));
        if let Some(v) = self.duration {
            m.insert("duration".into(), json!(v));
        }
        if let Some(v) = self.track_number {
            m.insert("trackNumber".into(), json!(v));
        }
        if let Some(v) = &self.mbid {
            m.insert("mbid".into(), json!(v));
        }
        Value::Object(m)
    }
}

/// A desktop-auth token from `auth.getToken`.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub created: Instant,
    /// The user who approved it (`mock.approveToken`).
    pub approved_for: Option<String>,
    /// Already exchanged for a session once.
    pub exchanged: bool,
    /// Forced to expire by `mock.expireToken`.
    pub force_expired: bool,
}

impl Token {
    pub(crate) fn new() -> Self {
        Token {
            created: Instant::now(),
            approved_for: None,
            exchanged: false,
            force_expired: false,
        }
    }

    pub(crate) fn is_expired(&self, ttl: Duration) -> bool {
        self.force_expired || self.created.elapsed() > ttl
    }
}

/// Everything that changes while the server runs; guarded by one mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub stats: Stats,
    /// Live session keys and their user.
    pub sessions: HashMap<String, String>,
    pub tokens: HashMap<String, Token>,
    pub scrobbles: Vec<StoredScrobble>,
    /// (user, artist, track, timestamp) of every stored scrobble, for de-duplication.
    pub scrobble_keys: HashSet<(String, String, String, i64)>,
    /// The latest now-playing record.
    pub now_playing: Option<Value>,
    /// Queued per-request faults, in the order they were queued.
    pub faults: VecDeque<QueuedFault>,
    /// Accepted scrobbles left before items are ignored with code 5; `None` = no limit.
    pub daily_remaining: Option<u32>,
    /// The last non-`mock.*` request (`mock.lastRequest`).
    pub last_request: Option<Value>,
    /// Loaded plays and page faults of the read methods.
    pub reads: crate::reads::Library,
}

/// A fault waiting in [`State::faults`].
#[derive(Debug)]
pub(crate) struct QueuedFault {
    pub fault: Fault,
    /// Requests it still applies to (> 0).
    pub left: u32,
    /// Only requests for this method (`mock.fault`'s `method_name`); `None`: any.
    pub method: Option<String>,
}

impl State {
    /// Back to a fresh start (`mock.reset`).
    pub(crate) fn reset(&mut self) {
        *self = State::default();
    }

    /// Queues `fault` for the next `count` API requests of `method` (`None`: of any
    /// method); `DailyLimit` sets state instead.
    pub(crate) fn push_fault(&mut self, fault: Fault, count: u32, method: Option<String>) {
        match fault {
            Fault::DailyLimit { remaining } => self.daily_remaining = Some(remaining),
            _ if count == 0 => {}
            _ => self.faults.push_back(QueuedFault {
                fault,
                left: count,
                method,
            }),
        }
    }

    /// Takes one use of the first queued fault that applies to a request for `method`.
    pub(crate) fn next_fault(&mut self, method: &str) -> Option<Fault> {
        let at = self
            .faults
            .iter()
            .position(|q| q.method.as_deref().is_none_or(|m| m == method))?;
        let queued = &mut self.faults[at];
        let fault = queued.fault.clone();
        queued.left -= 1;
        if queued.left == 0 {
            self.faults.remove(at);
        }
        Some(fault)
    }

    /// Approves a known token for `user`; false when the token is unknown.
    pub(crate) fn approve_token(&mut self, token: &str, user: &str) -> bool {
        match self.tokens.get_mut(token) {
            Some(t) => {
                t.approved_for = Some(user.to_string());
                true
            }
            None => false,
        }
    }

    /// Makes a known token expired; false when the token is unknown.
    pub(crate) fn expire_token(&mut self, token: &str) -> bool {
        match self.tokens.get_mut(token) {
            Some(t) => {
                t.force_expired = true;
                true
            }
            None => false,
        }
    }

    /// Creates a session for `user` and returns its key.
    pub(crate) fn new_session(&mut self, user: &str) -> String {
        let key = crate::util::random_hex32();
        self.sessions.insert(key.clone(), user.to_string());
        key
    }

    /// Stores a scrobble unless an identical one (same user, artist, track, timestamp)
    /// is already stored. Returns whether it was new.
    pub(crate) fn store_scrobble(&mut self, s: StoredScrobble) -> bool {
        let key = (
            s.user.clone(),
            s.artist.clone(),
            s.track.clone(),
            s.timestamp,
        );
        if !self.scrobble_keys.insert(key) {
            return false;
        }
        self.scrobbles.push(s);
        self.stats.scrobbles_stored += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrobble(ts: i64) -> StoredScrobble {
        StoredScrobble {
            user: "RJ".into(),
            artist: "A".into(),
            track: "T".into(),
            album: None,
            album_artist: None,
            timestamp: ts,
            duration: None,
            track_number: Some(3),
            mbid: None,
        }
    }

    #[test]
    fn faults_are_consumed_in_order() {
        let mut s = State::default();
        s.push_fault(Fault::Drop, 2, None);
        s.push_fault(Fault::NotJson, 1, None);
        s.push_fault(Fault::Hang, 0, None);
        s.push_fault(Fault::DailyLimit { remaining: 7 }, 1, None);
        assert_eq!(s.daily_remaining, Some(7));
        assert_eq!(s.next_fault("a"), Some(Fault::Drop));
        assert_eq!(s.next_fault("b"), Some(Fault::Drop));
        assert_eq!(s.next_fault("a"), Some(Fault::NotJson));
        assert_eq!(s.next_fault("a"), None);
    }

    #[test]
    fn a_fault_for_one_method_lets_the_others_through() {
        let mut s = State::default();
        s.push_fault(Fault::Drop, 1, Some("track.scrobble".into()));
        s.push_fault(Fault::NotJson, 1, None);
        assert_eq!(s.next_fault("track.updateNowPlaying"), Some(Fault::NotJson));
        assert_eq!(s.next_fault("track.updateNowPlaying"), None);
        assert_eq!(s.next_fault("track.scrobble"), Some(Fault::Drop));
        assert_eq!(s.next_fault("track.scrobble"), None);
    }

    #[test]
    fn duplicates_are_stored_once() {
        let mut s = State::default();
        assert!(s.store_scrobble(scrobble(1)));
        assert!(!s.store_scrobble(scrobble(1)));
        assert!(s.store_scrobble(scrobble(2)));
        assert_eq!(s.stats.scrobbles_stored, 2);
        let j = s.scrobbles[0].to_json();
        assert_eq!(j["trackNumber"], 3);
        assert!(j.get("album").is_none());
        s.reset();
        assert!(s.scrobbles.is_empty() && s.stats == Stats::default());
    }
}
