//! `lfm_track`, now playing, `lfm_scrobble` and its result, eligibility, rate limiting.

use std::ffi::{c_char, CString};
use std::ptr;

use super::args::{c_text, free_box, guard, item, opt_str_arg, str_arg, Blank, Codes};
use super::client::lfm_client;
use super::error::lfm_error;
use super::error::lfm_status;
use lfm::scrobble::{Corrections, ScrobbleResult};
use lfm::track::Track;

/// A played (or playing) track. Plain data: the strings are borrowed for the duration of
/// the call that receives the struct, and copied as needed.
#[repr(C)]
pub struct lfm_track {
    /// Artist name. Required.
    pub artist: *const c_char,
    /// Track title. Required.
    pub track: *const c_char,
    /// Album title. Optional: NULL or "" means not sent.
    pub album: *const c_char,
    /// Album artist. Optional.
    pub album_artist: *const c_char,
    /// MusicBrainz track id. Optional.
    pub mbid: *const c_char,
    /// UTC Unix seconds when playback started; ignored by now-playing.
    pub timestamp: i64,
    /// Length in seconds, 0 = unknown.
    pub duration_secs: u32,
    /// Position on the album, 0 = unknown.
    pub track_number: u32,
    /// Whether the user chose this track: LFM_CHOSEN_UNKNOWN (0, not sent), LFM_CHOSEN_YES,
    /// or LFM_CHOSEN_NO (a radio, a recommendation or shuffle chose it). Last.fm's
    /// `chosenByUser`. Added in 0.2: the struct grew by this field, at its end, so a
    /// zero-initialised struct means "unknown". Another value is LFM_ERR_INVALID_ARGUMENT.
    pub chosen_by_user: i32,
}

/// lfm_track.chosen_by_user: not known (not sent to Last.fm).
pub const LFM_CHOSEN_UNKNOWN: i32 = 0;
/// lfm_track.chosen_by_user: the user chose the track.
pub const LFM_CHOSEN_YES: i32 = 1;
/// lfm_track.chosen_by_user: something else chose it (radio, recommendation, shuffle).
pub const LFM_CHOSEN_NO: i32 = 2;

/// The C number of each value of the core's `chosen_by_user`.
pub(crate) const CHOSEN_CODES: Codes<Option<bool>> = Codes(&[
    (LFM_CHOSEN_UNKNOWN, None),
    (LFM_CHOSEN_YES, Some(true)),
    (LFM_CHOSEN_NO, Some(false)),
]);

impl lfm_track {
    /// Every pointer NULL, every number 0.
    pub(crate) fn blank() -> lfm_track {
        lfm_track {
            artist: ptr::null(),
            track: ptr::null(),
            album: ptr::null(),
            album_artist: ptr::null(),
            mbid: ptr::null(),
            timestamp: 0,
            duration_secs: 0,
            track_number: 0,
            chosen_by_user: LFM_CHOSEN_UNKNOWN,
        }
    }
}

/// A NULL-able C string's pointer.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

/// A core track's text as C strings, kept alive by whoever hands out the `lfm_track`
/// that [`TrackStrings::c_track`] makes from them (a snapshot, an event).
pub(crate) struct TrackStrings {
    artist: CString,
    track: CString,
    album: Option<CString>,
    album_artist: Option<CString>,
    mbid: Option<CString>,
}

impl TrackStrings {
    pub(crate) fn new(t: &Track) -> TrackStrings {
        let opt = |s: &Option<String>| s.as_deref().map(c_text);
        TrackStrings {
            artist: c_text(&t.artist),
            track: c_text(&t.track),
            album: opt(&t.album),
            album_artist: opt(&t.album_artist),
            mbid: opt(&t.mbid),
        }
    }

    /// `t` (the track these strings were made from) as C data borrowing them.
    pub(crate) fn c_track(&self, t: &Track) -> lfm_track {
        lfm_track {
            artist: self.artist.as_ptr(),
            track: self.track.as_ptr(),
            album: opt_ptr(&self.album),
            album_artist: opt_ptr(&self.album_artist),
            mbid: opt_ptr(&self.mbid),
            timestamp: t.timestamp,
            duration_secs: t.duration_secs,
            track_number: t.track_number,
            chosen_by_user: CHOSEN_CODES.code(t.chosen_by_user),
        }
    }
}

/// Last.fm's corrections as C strings (NULL where it corrected nothing).
pub(crate) struct CorrectionStrings {
    pub(crate) artist: Option<CString>,
    pub(crate) track: Option<CString>,
    pub(crate) album: Option<CString>,
}

impl CorrectionStrings {
    pub(crate) fn new(c: &Corrections) -> CorrectionStrings {
        let opt = |s: &Option<String>| s.as_deref().map(c_text);
        CorrectionStrings {
            artist: opt(&c.artist),
            track: opt(&c.track),
            album: opt(&c.album),
        }
    }
}

/// Copy a C track into the core's type.
///
/// # Safety
/// The string fields are NULL or NUL-terminated, valid for the call.
pub(crate) unsafe fn track_arg(t: &lfm_track) -> lfm::Result<Track> {
    // SAFETY (all four blocks): forwarded contract.
    let optional = |p: *const c_char, what: &str| -> lfm::Result<Option<String>> {
        Ok(unsafe { opt_str_arg(p, what) }?
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    };
    Ok(Track {
        artist: unsafe { str_arg(t.artist, "track.artist") }?.to_string(),
        track: unsafe { str_arg(t.track, "track.track") }?.to_string(),
        album: optional(t.album, "track.album")?,
        album_artist: optional(t.album_artist, "track.album_artist")?,
        mbid: optional(t.mbid, "track.mbid")?,
        timestamp: t.timestamp,
        duration_secs: t.duration_secs,
        track_number: t.track_number,
        chosen_by_user: CHOSEN_CODES.arg(t.chosen_by_user, "track.chosen_by_user")?,
    })
}

/// Tell the server what is playing now: track.updateNowPlaying, a signed POST with the
/// session key (LFM_ERR_NO_SESSION without one; LFM_ERR_INSECURE over plain http unless
/// allowed, see lfm_client_set_allow_insecure_http()). `timestamp` is not sent. A failed
/// now-playing is not worth retrying later. Thread-safe; blocks for at most the timeout.
#[no_mangle]
pub unsafe extern "C" fn lfm_update_now_playing(
    client: *mut lfm_client,
    track: *const lfm_track,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        arg!(client client).update_now_playing(&arg!(track track))
    })
}

/// Per-track verdicts of an lfm_scrobble() call. Owned by the caller, freed with
/// lfm_scrobble_result_free(); immutable, so any thread may read it.
///
/// Read it as a queue snapshot is read: lfm_scrobble_result_count() and
/// lfm_scrobble_result_get() (a status, and an lfm_scrobble_verdict filled in). The
/// one-value accessors of 0.1 stay: lfm_scrobble_result_ignored_code() (-1 for a bad index)
/// and lfm_scrobble_result_ignored_message() (NULL for a bad index).
///
/// Methods: lfm_scrobble(), lfm_scrobble_result_count(), lfm_scrobble_result_get(),
/// lfm_scrobble_result_accepted(), lfm_scrobble_result_ignored(),
/// lfm_scrobble_result_ignored_code(), lfm_scrobble_result_ignored_message(),
/// lfm_scrobble_result_free().
pub struct lfm_scrobble_result {
    result: ScrobbleResult,
    messages: Vec<CString>,
    corrections: Vec<CorrectionStrings>,
}

/// Scrobble `n_tracks` tracks, sent in order, at most 50 per request (see
/// lfm_client_set_max_batch()), with only the fields that are set. Each track needs artist,
/// track and timestamp. `out_result` (required) receives the per-track verdicts in input
/// order; free it with lfm_scrobble_result_free().
///
/// Some servers (Maloja) answer without per-track verdicts: such a reply counts every track
/// as accepted when it reports none ignored (and one track as ignored, code 1, when a
/// single-track reply reports it ignored). If a request fails after earlier ones succeeded,
/// the error message says how many tracks were delivered. Over plain http it is
/// LFM_ERR_INSECURE, before anything is sent, unless allowed (it carries the session key).
/// For delivery that survives failures and restarts, use lfm_queue_push()
/// and lfm_queue_flush() instead. Thread-safe; blocks for up to the timeout per request.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble(
    client: *mut lfm_client,
    tracks: *const lfm_track,
    n_tracks: usize,
    out_result: *mut *mut lfm_scrobble_result,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_result = arg!(out out_result);
        let client = arg!(client client);
        let tracks = arg!(slice tracks, n_tracks)
            .iter()
            // SAFETY: each item's strings follow the API contract, as for `arg!`.
            .map(|t| unsafe { track_arg(t) })
            .collect::<lfm::Result<Vec<Track>>>()?;
        let result = client.scrobble(&tracks)?;
        let messages = result.verdicts.iter().map(|v| c_text(&v.message)).collect();
        let corrections = result
            .verdicts
            .iter()
            .map(|v| CorrectionStrings::new(&v.corrections))
            .collect();
        out_result.set_box(lfm_scrobble_result {
            result,
            messages,
            corrections,
        });
        Ok(())
    })
}

/// The server's verdict on one input track, filled in by lfm_scrobble_result_get().
#[repr(C)]
pub struct lfm_scrobble_verdict {
    /// 0 accepted, 1..5 Last.fm's ignored codes (1 artist ignored, 2 track ignored,
    /// 3 timestamp too old, 4 too new, 5 daily limit; new codes may appear).
    pub ignored_code: i32,
    /// The server's reason for ignoring the track, "" when accepted; never NULL after a
    /// successful lfm_scrobble_result_get(). Borrowed: valid until lfm_scrobble_result_free().
    pub ignored_message: *const c_char,
    /// The artist name as Last.fm corrected it (its autocorrect), NULL when it corrected
    /// nothing. Borrowed, like ignored_message.
    pub corrected_artist: *const c_char,
    /// The corrected track title, NULL when not corrected. Borrowed.
    pub corrected_track: *const c_char,
    /// The corrected album title, NULL when not corrected. Borrowed.
    pub corrected_album: *const c_char,
}

impl Blank for lfm_scrobble_verdict {
    fn blank() -> Self {
        lfm_scrobble_verdict {
            ignored_code: 0,
            ignored_message: ptr::null(),
            corrected_artist: ptr::null(),
            corrected_track: ptr::null(),
            corrected_album: ptr::null(),
        }
    }
}

/// The number of verdicts in a result (one per input track); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_count(result: *const lfm_scrobble_result) -> usize {
    // SAFETY: API contract: NULL or a live result.
    unsafe { result.as_ref() }.map_or(0, |r| r.result.verdicts.len())
}

/// Fill `out_verdict` with the verdict on input track `index`, as lfm_queue_entries_get()
/// does for a queue snapshot: LFM_ERR_INVALID_ARGUMENT for a bad index or a NULL pointer
/// (and `*out_verdict` zeroed). The message and the corrections stay owned by the result.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_get(
    result: *const lfm_scrobble_result,
    index: usize,
    out_verdict: *mut lfm_scrobble_verdict,
    out_err: *mut *mut lfm_error,
) -> lfm_status {
    guard(out_err, || {
        let out_verdict = arg!(out out_verdict);
        let result = arg!(ref result);
        let verdict = item(&result.result.verdicts, index, "result")?;
        let message = item(&result.messages, index, "result")?;
        let corrected = item(&result.corrections, index, "result")?;
        out_verdict.set(lfm_scrobble_verdict {
            ignored_code: verdict.code,
            ignored_message: message.as_ptr(),
            corrected_artist: opt_ptr(&corrected.artist),
            corrected_track: opt_ptr(&corrected.track),
            corrected_album: opt_ptr(&corrected.album),
        });
        Ok(())
    })
}

/// How many tracks the server accepted; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_accepted(result: *const lfm_scrobble_result) -> usize {
    // SAFETY: API contract: NULL or a live result.
    unsafe { result.as_ref() }.map_or(0, |r| r.result.accepted())
}

/// How many tracks the server ignored; 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_ignored(result: *const lfm_scrobble_result) -> usize {
    // SAFETY: API contract: NULL or a live result.
    unsafe { result.as_ref() }.map_or(0, |r| r.result.ignored())
}

/// The verdict on input track `index`: 0 accepted, 1..5 Last.fm's ignored codes (1 artist
/// ignored, 2 track ignored, 3 timestamp too old, 4 too new, 5 daily limit; new codes may
/// appear), -1 for a bad index or a NULL result.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_ignored_code(
    result: *const lfm_scrobble_result,
    index: usize,
) -> i32 {
    // SAFETY: API contract: NULL or a live result.
    unsafe { result.as_ref() }
        .and_then(|r| r.result.verdicts.get(index))
        .map_or(-1, |v| v.code)
}

/// The server's reason for ignoring input track `index` ("" when accepted); NULL for a bad
/// index or a NULL result. Borrowed: valid until lfm_scrobble_result_free().
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_ignored_message(
    result: *const lfm_scrobble_result,
    index: usize,
) -> *const c_char {
    // SAFETY: API contract: NULL or a live result.
    unsafe { result.as_ref() }
        .and_then(|r| r.messages.get(index))
        .map_or(ptr::null(), |m| m.as_ptr())
}

/// Free a scrobble result. NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn lfm_scrobble_result_free(result: *mut lfm_scrobble_result) {
    // SAFETY: NULL or from lfm_scrobble, freed once (the API contract).
    unsafe { free_box(result) }
}

/// Whether a play counts as a scrobble: the track is longer than 30 s and has played for
/// half its length or 4 minutes, whichever comes first. With `duration_secs` 0 (unknown),
/// after 4 minutes of play. Pure; thread-safe.
#[no_mangle]
pub extern "C" fn lfm_scrobble_eligible(duration_secs: u32, played_secs: u32) -> bool {
    lfm::track::scrobble_eligible(duration_secs, played_secs)
}
