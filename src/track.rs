//! A played track, the request parameters it becomes, and the scrobble eligibility rule.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Last.fm's limit on tracks per `track.scrobble` request.
pub const MAX_BATCH: usize = 50;

/// Seconds in 14 days: plays older than this are refused by Last.fm and by the queue.
pub const MAX_PLAY_AGE_SECS: i64 = 14 * 24 * 3600;

/// A track must be longer than this many seconds to be scrobbled (Last.fm's rule).
pub const MIN_SCROBBLE_DURATION_SECS: u32 = 30;

/// The longest duration sent as `duration`. Last.fm silently ignores a scrobble whose
/// duration it finds implausible (30 s or less, or many hours), though it accepts the same
/// play sent without one; so such durations are not sent (see [`sent_duration`]).
pub const MAX_SENT_DURATION_SECS: u32 = 3 * 3600;

/// The `duration` sent for a track of `duration_secs`: itself when more than
/// [`MIN_SCROBBLE_DURATION_SECS`] and at most [`MAX_SENT_DURATION_SECS`], otherwise `None`
/// (not sent: unknown to the server).
pub fn sent_duration(duration_secs: u32) -> Option<u32> {
    (duration_secs > MIN_SCROBBLE_DURATION_SECS && duration_secs <= MAX_SENT_DURATION_SECS)
        .then_some(duration_secs)
}

/// One played (or playing) track. Optional text fields are `None` when unknown; a `Some("")`
/// is treated as unknown too, because an empty field must not be sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Track {
    /// Artist name (required).
    pub artist: String,
    /// Track title (required).
    pub track: String,
    /// Album title.
    pub album: Option<String>,
    /// Album artist, when it differs from the artist.
    pub album_artist: Option<String>,
    /// MusicBrainz track id.
    pub mbid: Option<String>,
    /// When playback started, UTC Unix seconds (scrobbles only).
    pub timestamp: i64,
    /// Length in seconds, 0 when unknown.
    pub duration_secs: u32,
    /// Position on the album, 0 when unknown.
    pub track_number: u32,
    /// Whether the user chose this track (`Some(true)`), or a radio, a recommendation or
    /// shuffle did (`Some(false)`); `None` when unknown, and then not sent. Last.fm's
    /// `chosenByUser`.
    pub chosen_by_user: Option<bool>,
}

impl Track {
    /// Check the fields a request needs. `for_scrobble` also requires a timestamp.
    pub fn validate(&self, for_scrobble: bool) -> Result<()> {
        if self.artist.trim().is_empty() {
            return Err(Error::invalid("track has no artist"));
        }
        if self.track.trim().is_empty() {
            return Err(Error::invalid("track has no title"));
        }
        if for_scrobble && self.timestamp <= 0 {
            return Err(Error::invalid(
                "a scrobble needs the UTC Unix time its playback started",
            ));
        }
        Ok(())
    }

    /// Append this track's parameters: plain names (`artist`) when `index` is `None`,
    /// array names (`artist[3]`) otherwise. Only fields that are set are sent, and a
    /// duration only when [`sent_duration`] allows it. Text values
    /// are borrowed from the track, and array names for indexes up to 49 come from a table
    /// built once, so a 50-track batch allocates only its numbers.
    pub fn push_params<'a>(
        &'a self,
        index: Option<usize>,
        with_timestamp: bool,
        out: &mut Vec<Param<'a>>,
    ) {
        let name = |field: Field| param_name(field, index);
        out.push((name(Field::Artist), Cow::Borrowed(&self.artist)));
        out.push((name(Field::Track), Cow::Borrowed(&self.track)));
        if with_timestamp {
            out.push((
                name(Field::Timestamp),
                Cow::Owned(self.timestamp.to_string()),
            ));
        }
        for (field, value) in [
            (Field::Album, &self.album),
            (Field::AlbumArtist, &self.album_artist),
            (Field::Mbid, &self.mbid),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                out.push((name(field), Cow::Borrowed(v)));
            }
        }
        if let Some(duration) = sent_duration(self.duration_secs) {
            out.push((name(Field::Duration), Cow::Owned(duration.to_string())));
        }
        if self.track_number > 0 {
            out.push((
                name(Field::TrackNumber),
                Cow::Owned(self.track_number.to_string()),
            ));
        }
        if let Some(chosen) = self.chosen_by_user {
            let value = if chosen { "1" } else { "0" };
            out.push((name(Field::ChosenByUser), Cow::Borrowed(value)));
        }
    }
}

/// A request parameter built from a track: its name and value.
pub type Param<'a> = (Cow<'static, str>, Cow<'a, str>);

/// The fields a track sends, in the order of [`FIELD_NAMES`].
#[derive(Clone, Copy)]
enum Field {
    Artist,
    Track,
    Timestamp,
    Album,
    AlbumArtist,
    Mbid,
    Duration,
    TrackNumber,
    ChosenByUser,
}

const FIELD_NAMES: [&str; 9] = [
    "artist",
    "track",
    "timestamp",
    "album",
    "albumArtist",
    "mbid",
    "duration",
    "trackNumber",
    "chosenByUser",
];

/// Indexes whose array names (`artist[i]`) are kept in a table: one scrobble request's worth.
const NAMED_INDEXES: usize = 50;

fn param_name(field: Field, index: Option<usize>) -> Cow<'static, str> {
    static TABLE: OnceLock<Vec<[String; 9]>> = OnceLock::new();
    let base = FIELD_NAMES[field as usize];
    match index {
        None => Cow::Borrowed(base),
        Some(i) if i < NAMED_INDEXES => {
            let table = TABLE.get_or_init(|| {
                (0..NAMED_INDEXES)
                    .map(|i| FIELD_NAMES.map(|f| format!("{f}[{i}]")))
                    .collect()
            });
            Cow::Borrowed(table[i][field as usize].as_str())
        }
        Some(i) => Cow::Owned(format!("{base}[{i}]")),
    }
}

/// Last.fm's rule: scrobble a track longer than 30 s once it has played for half its length
/// or for 4 minutes, whichever comes first. With an unknown length (0) a track is eligible
/// after 4 minutes of play, since it is then certainly longer than 30 s.
pub fn scrobble_eligible(duration_secs: u32, played_secs: u32) -> bool {
    if duration_secs == 0 {
        return played_secs >= 240;
    }
    duration_secs > MIN_SCROBBLE_DURATION_SECS
        && (u64::from(played_secs) * 2 >= u64::from(duration_secs) || played_secs >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility() {
        assert!(!scrobble_eligible(30, 30)); // not longer than 30 s
        assert!(scrobble_eligible(31, 16));
        assert!(!scrobble_eligible(31, 15));
        assert!(scrobble_eligible(200, 100));
        assert!(!scrobble_eligible(200, 99));
        assert!(scrobble_eligible(3600, 240)); // 4 minutes beat half an hour
        assert!(!scrobble_eligible(3600, 239));
        assert!(scrobble_eligible(0, 240));
        assert!(!scrobble_eligible(0, 239));
        assert!(scrobble_eligible(u32::MAX, u32::MAX));
    }

    #[test]
    fn params_skip_unset_fields() {
        let t = Track {
            artist: "A".into(),
            track: "T".into(),
            album: Some(String::new()),
            timestamp: 5,
            duration_secs: 200,
            ..Track::default()
        };
        let mut out = Vec::new();
        t.push_params(Some(3), true, &mut out);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(
            names,
            ["artist[3]", "track[3]", "timestamp[3]", "duration[3]"]
        );
        out.clear();
        t.push_params(None, false, &mut out);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(names, ["artist", "track", "duration"]);
        // Past the table, names are built on demand.
        out.clear();
        t.push_params(Some(73), true, &mut out);
        assert_eq!(out[0].0, "artist[73]");
        assert_eq!(out[2], (Cow::Borrowed("timestamp[73]"), Cow::Borrowed("5")));
    }

    fn param<'a>(out: &'a [Param<'_>], name: &str) -> Option<&'a str> {
        out.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_ref())
    }

    #[test]
    fn implausible_durations_are_not_sent() {
        for (duration, sent) in [
            (0, None),
            (25, None),
            (MIN_SCROBBLE_DURATION_SECS, None),
            (MIN_SCROBBLE_DURATION_SECS + 1, Some("31")),
            (MAX_SENT_DURATION_SECS, Some("10800")),
            (MAX_SENT_DURATION_SECS + 1, None),
        ] {
            let t = Track {
                artist: "A".into(),
                track: "T".into(),
                duration_secs: duration,
                ..Track::default()
            };
            let mut out = Vec::new();
            t.push_params(Some(0), true, &mut out);
            assert_eq!(param(&out, "duration[0]"), sent, "{duration} s");
        }
    }

    #[test]
    fn chosen_by_user_is_sent_only_when_known() {
        let mut t = Track {
            artist: "A".into(),
            track: "T".into(),
            ..Track::default()
        };
        for (chosen, sent) in [
            (None, None),
            (Some(true), Some("1")),
            (Some(false), Some("0")),
        ] {
            t.chosen_by_user = chosen;
            let mut out = Vec::new();
            t.push_params(None, false, &mut out);
            assert_eq!(param(&out, "chosenByUser"), sent);
            out.clear();
            t.push_params(Some(60), true, &mut out);
            assert_eq!(param(&out, "chosenByUser[60]"), sent);
        }
    }
}
