//! `track.updateNowPlaying` and `track.scrobble`: building batches and reading Last.fm's
//! per-item verdicts back into input order.

use serde_json::Value;

use crate::client::{CallFlags, Client};
use crate::error::{Error, Result, Status};
use crate::track::Track;

/// Last.fm's limit on tracks per `track.scrobble` request.
pub const MAX_BATCH: usize = 50;

/// The server's verdict on one track: `code` 0 accepted, 1..5 Last.fm's ignored codes
/// (1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// 0 accepted, otherwise the ignored code.
    pub code: i32,
    /// The server's reason when ignored, empty otherwise.
    pub message: String,
}

/// Verdicts for every track of an [`Client::scrobble`] call, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrobbleResult {
    /// One verdict per input track.
    pub verdicts: Vec<Verdict>,
}

impl ScrobbleResult {
    /// How many tracks the server accepted.
    pub fn accepted(&self) -> usize {
        self.verdicts.iter().filter(|v| v.code == 0).count()
    }

    /// How many tracks the server ignored.
    pub fn ignored(&self) -> usize {
        self.verdicts.len() - self.accepted()
    }
}

/// Text for an ignored code when the server gives none.
pub fn ignored_reason(code: i32) -> &'static str {
    match code {
        0 => "",
        1 => "artist ignored by the server",
        2 => "track ignored by the server",
        3 => "timestamp too old",
        4 => "timestamp too new",
        5 => "daily scrobble limit exceeded",
        _ => "ignored by the server",
    }
}

impl Client {
    /// Tell the server what is playing now (`track.updateNowPlaying`, a signed POST with the
    /// session key). The timestamp is not sent. A failed now-playing is not worth retrying.
    pub fn update_now_playing(&self, track: &Track) -> Result<()> {
        track.validate(false)?;
        let mut params = Vec::with_capacity(8);
        track.push_params(None, false, &mut params);
        self.call_owned("track.updateNowPlaying", &params, CallFlags::WRITE)?;
        Ok(())
    }

    /// Scrobble any number of tracks, in order, at most [`MAX_BATCH`] per request (a request
    /// with one track uses plain parameter names). Returns every verdict in input order.
    ///
    /// If a request fails, the error says how many tracks earlier requests delivered; for
    /// delivery that survives failures use [`crate::queue::Queue`].
    pub fn scrobble(&self, tracks: &[Track]) -> Result<ScrobbleResult> {
        if tracks.is_empty() {
            return Err(Error::invalid("no tracks to scrobble"));
        }
        for (i, t) in tracks.iter().enumerate() {
            t.validate(true)
                .map_err(|e| Error::invalid(format!("track {i}: {}", e.message())))?;
        }
        let refs: Vec<&Track> = tracks.iter().collect();
        let mut result = ScrobbleResult::default();
        for batch in refs.chunks(self.max_batch()) {
            match self.scrobble_batch(batch) {
                Ok(verdicts) => result.verdicts.extend(verdicts),
                Err(e) if result.verdicts.is_empty() => return Err(e),
                Err(e) => {
                    let delivered = result.verdicts.len();
                    return Err(e.prefixed(&format!(
                        "after {delivered} of {} tracks were sent: ",
                        tracks.len()
                    )));
                }
            }
        }
        Ok(result)
    }

    /// One `track.scrobble` request for at most [`MAX_BATCH`] tracks.
    pub fn scrobble_batch(&self, batch: &[&Track]) -> Result<Vec<Verdict>> {
        if batch.is_empty() || batch.len() > MAX_BATCH {
            return Err(Error::invalid(format!(
                "a scrobble request carries 1 to {MAX_BATCH} tracks, not {}",
                batch.len()
            )));
        }
        let mut params = Vec::with_capacity(batch.len() * 5);
        if let [only] = batch {
            only.push_params(None, true, &mut params);
        } else {
            for (i, t) in batch.iter().enumerate() {
                t.push_params(Some(i), true, &mut params);
            }
        }
        let body = self.call_owned("track.scrobble", &params, CallFlags::WRITE)?;
        parse_scrobble_reply(&body, batch.len())
    }

    fn call_owned(
        &self,
        method: &str,
        params: &[(String, String)],
        flags: CallFlags,
    ) -> Result<String> {
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.call(method, &borrowed, flags)
    }
}

/// Read a `track.scrobble` reply for `n` tracks. Handles Last.fm's quirks: one item is an
/// object and several an array; codes and counts may be strings or numbers. A reply with no
/// per-item list (some self-hosted servers) counts every track as accepted when it reports
/// nothing ignored.
pub fn parse_scrobble_reply(body: &str, n: usize) -> Result<Vec<Verdict>> {
    let bad = |what: &str| Error::new(Status::Parse, format!("scrobble reply: {what}"));
    let json: Value = serde_json::from_str(body).map_err(|_| bad("not JSON"))?;
    let scrobbles = json
        .get("scrobbles")
        .ok_or_else(|| bad("no 'scrobbles' object"))?;
    let items: Vec<&Value> = match scrobbles.get("scrobble") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    if items.len() == n {
        return Ok(items.into_iter().map(verdict_of).collect());
    }
    if !items.is_empty() {
        return Err(bad(&format!("{} verdicts for {n} tracks", items.len())));
    }
    let ignored = scrobbles
        .get("@attr")
        .and_then(|a| a.get("ignored"))
        .and_then(number)
        .unwrap_or(0);
    if ignored == 0 {
        return Ok(vec![
            Verdict {
                code: 0,
                message: String::new()
            };
            n
        ]);
    }
    if n == 1 {
        return Ok(vec![Verdict {
            code: 1,
            message: "ignored by the server (no reason given)".into(),
        }]);
    }
    Err(bad(&format!(
        "{ignored} of {n} tracks ignored, without saying which"
    )))
}

fn verdict_of(item: &Value) -> Verdict {
    let ignored = item.get("ignoredMessage");
    let code = ignored
        .and_then(|m| m.get("code"))
        .and_then(number)
        .unwrap_or(0);
    let code = i32::try_from(code).unwrap_or(i32::MAX);
    let message = ignored
        .and_then(|m| m.get("#text"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| ignored_reason(code).to_string());
    Verdict { code, message }
}

/// A JSON number or a string of digits.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_is_an_object() {
        let body = r##"{"scrobbles":{"scrobble":{"ignoredMessage":{"code":"0","#text":""}},"@attr":{"accepted":1,"ignored":0}}}"##;
        assert_eq!(parse_scrobble_reply(body, 1).unwrap()[0].code, 0);
    }

    #[test]
    fn codes_map_in_order() {
        let body = r##"{"scrobbles":{"scrobble":[
            {"ignoredMessage":{"code":"0","#text":""}},
            {"ignoredMessage":{"code":"1","#text":"Artist was ignored"}},
            {"ignoredMessage":{"code":3}}],"@attr":{"accepted":"1","ignored":"2"}}}"##;
        let v = parse_scrobble_reply(body, 3).unwrap();
        assert_eq!(v.iter().map(|v| v.code).collect::<Vec<_>>(), [0, 1, 3]);
        assert_eq!(v[1].message, "Artist was ignored");
        assert_eq!(v[2].message, "timestamp too old");
    }

    #[test]
    fn replies_without_items() {
        let body = r##"{"scrobbles":{"@attr":{"ignored":0}}}"##;
        assert_eq!(parse_scrobble_reply(body, 3).unwrap().len(), 3);
        let body = r##"{"scrobbles":{"@attr":{"ignored":1}}}"##;
        assert_eq!(parse_scrobble_reply(body, 1).unwrap()[0].code, 1);
        assert!(parse_scrobble_reply(body, 2).is_err());
        assert!(parse_scrobble_reply(r##"{"x":1}"##, 1).is_err());
        let body = r##"{"scrobbles":{"scrobble":[{},{}]}}"##;
        assert!(parse_scrobble_reply(body, 3).is_err());
    }
}
