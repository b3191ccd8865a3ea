//! Routing and the Last.fm API methods.
//!
//! Check order for an API request: parameters decode (else 6) → known `method` (else 3)
//! → `api_key` (else 10) → `format` absent or `json` (else 5) → POST for write methods
//! (else 3, HTTP 405) → HTTPS for `auth.getMobileSession` (else 4) → `api_sig` for signed
//! methods (else 13) → a live `sk` for session methods (else 9) → the method's own checks.

use serde_json::{json, Value};

use crate::faults::{self, Plan};
use crate::form::{FormError, Params};
use crate::http::{Request, Response, Scheme};
use crate::server::Shared;
use crate::state::{StoredScrobble, Token};
use crate::{reads, sig, util, MOCK_EMAIL, MOCK_USERNAME};

/// The most scrobbles one `track.scrobble` request may carry.
pub(crate) const MAX_BATCH: usize = 50;
/// Scrobbles older than this are ignored with code 3.
const MAX_AGE_SECS: i64 = 14 * 86_400;
/// Scrobbles further in the future than this are ignored with code 4.
const MAX_AHEAD_SECS: i64 = 15 * 60;

/// A Last.fm error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: u32,
    pub message: String,
    pub http: u16,
}

impl ApiError {
    /// Error `code` with Last.fm's message and the usual HTTP status.
    pub(crate) fn new(code: u32) -> Self {
        ApiError::with_message(code, standard_message(code))
    }

    /// Error `code` with a custom message and the usual HTTP status.
    pub(crate) fn with_message(code: u32, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            http: http_status(code),
        }
    }

    /// Error 6 with `message`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::with_message(6, message)
    }

    /// `{"error":N,"message":"..."}` with its HTTP status.
    pub(crate) fn into_response(self) -> Response {
        Response::json(
            self.http,
            &json!({"error": self.code, "message": self.message}),
        )
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        ApiError::invalid(e.to_string())
    }
}

/// The HTTP status the mock pairs with a Last.fm error code.
pub(crate) fn http_status(code: u32) -> u16 {
    match code {
        3 | 6 => 400,
        4 | 9 | 10 | 13 | 14 | 15 => 403,
        8 => 500,
        11 | 16 => 503,
        29 => 429,
        _ => 400,
    }
}

/// Last.fm's message for an error code.
pub(crate) fn standard_message(code: u32) -> &'static str {
    match code {
        2 => "Invalid service - This service does not exist",
        3 => "Invalid Method - No method with that name in this package",
        4 => "Authentication Failed - You do not have permissions to access the service",
        5 => "Invalid format - This service doesn't exist in that format",
        6 => "Invalid parameters - Your request is missing a required parameter",
        7 => "Invalid resource specified",
        8 => "Operation failed - Most likely the backend service failed. Please try again.",
        9 => "Invalid session key - Please re-authenticate",
        10 => "Invalid API key - You must be granted a valid key by last.fm",
        11 => "Service Offline - This service is temporarily offline. Try again later.",
        12 => "Subscribers Only - This station is only available to paid last.fm subscribers",
        13 => "Invalid method signature supplied",
        14 => "Unauthorized Token - This token has not been authorized",
        15 => "Token has expired",
        16 => "There was a temporary error processing your request. Please try again",
        17 => "Login: User requires to be logged in",
        26 => {
            "Suspended API key - Access for your account has been suspended, please contact Last.fm"
        }
        27 => "Deprecated - This type of request is no longer supported",
        29 => "Rate Limit Exceeded - Your IP has made too many requests in a short period",
        _ => "Mock error",
    }
}

/// One API request as the method handlers see it.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub http_method: &'a str,
    pub scheme: Scheme,
    pub params: &'a Params,
}

type Handler = fn(&Ctx<'_>, Option<&str>) -> Result<Value, ApiError>;

/// What a method requires, and who handles it.
struct MethodSpec {
    name: &'static str,
    /// Needs a valid `api_sig`.
    signed: bool,
    /// Must be POST.
    post_only: bool,
    /// Must come over HTTPS (unless `allow_insecure_auth`).
    https_only: bool,
    /// Needs the `sk` of a live session; the handler gets its user.
    session: bool,
    handler: Handler,
}

const METHODS: &[MethodSpec] = &[
    MethodSpec {
        name: "auth.getMobileSession",
        signed: true,
        post_only: true,
        https_only: true,
        session: false,
        handler: get_mobile_session,
    },
    MethodSpec {
        name: "auth.getToken",
        signed: true,
        post_only: false,
        https_only: false,
        session: false,
        handler: get_token,
    },
    MethodSpec {
        name: "auth.getSession",
        signed: true,
        post_only: false,
        https_only: false,
        session: false,
        handler: get_session,
    },
    MethodSpec {
        name: "track.updateNowPlaying",
        signed: true,
        post_only: true,
        https_only: false,
        session: true,
        handler: update_now_playing,
    },
    MethodSpec {
        name: "track.scrobble",
        signed: true,
        post_only: true,
        https_only: false,
        session: true,
        handler: scrobble,
    },
    MethodSpec {
        name: "track.love",
        signed: true,
        post_only: true,
        https_only: false,
        session: true,
        handler: love,
    },
];

/// The read methods (in `reads`): unsigned, GET or POST.
const READS: &[(&str, Handler)] = &[
    ("user.getInfo", reads::user_get_info),
    ("user.getRecentTracks", reads::user_get_recent_tracks),
    ("user.getLovedTracks", reads::user_get_loved_tracks),
    ("user.getTopArtists", reads::user_get_top_artists),
    ("track.getInfo", reads::track_get_info),
    ("artist.getInfo", reads::artist_get_info),
    ("album.getInfo", reads::album_get_info),
];

/// Routes one HTTP request: 404 for other paths, `mock.*` to the control plane, anything
/// else through the fault queue to the API. Returns the plan and a label for the log.
pub(crate) fn route(shared: &Shared, req: &Request, scheme: Scheme) -> (Plan, String) {
    shared.state().stats.requests += 1;
    if req.path != "/2.0/" && req.path != "/2.0" {
        return (Plan::respond(Response::text(404, "Not Found")), "-".into());
    }
    if req.method != "GET" && req.method != "POST" {
        let mut r = Response::text(405, "Method Not Allowed");
        r.headers.push(("Allow", "GET, POST".into()));
        return (Plan::respond(r), "-".into());
    }
    let params = collect_params(req);
    let method = params
        .as_ref()
        .ok()
        .and_then(|p| p.get("method"))
        .map(str::to_string);
    if let (Ok(p), Some(m)) = (&params, &method) {
        if m.starts_with("mock.") {
            return (
                Plan::respond(crate::control::handle(shared, m, p)),
                m.clone(),
            );
        }
    }

    let label = method.unwrap_or_else(|| "(none)".into());
    let fault = {
        let mut st = shared.state();
        st.stats.api_requests += 1;
        *st.stats.by_method.entry(label.clone()).or_default() += 1;
        st.last_request = Some(json!({
            "http_method": req.method,
            "scheme": scheme.as_str(),
            "params": params.as_ref().map(Params::to_json).unwrap_or_else(|_| json!({})),
            "raw_body": String::from_utf8_lossy(&req.body),
            "raw_query": req.query,
        }));
        st.next_fault(&label)
    };
    let normal = || match &params {
        Ok(p) => {
            let ctx = Ctx {
                shared,
                http_method: &req.method,
                scheme,
                params: p,
            };
            match handle_api(&ctx) {
                Ok(v) => Response::json(200, &v),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.clone().into_response(),
    };
    let plan = match fault {
        Some(f) => faults::apply(f, &own_url(req, scheme), normal),
        None => Plan::respond(normal()),
    };
    (plan, label)
}

/// The absolute URL of `req` (for `redirect_loop`).
fn own_url(req: &Request, scheme: Scheme) -> String {
    if req.target.contains("://") {
        return req.target.clone();
    }
    let host = req.header("host").unwrap_or("127.0.0.1");
    format!("{}://{}{}", scheme.as_str(), host, req.target)
}

/// Decodes the query string and, for POST, the form body, into one parameter set.
pub(crate) fn collect_params(req: &Request) -> Result<Params, ApiError> {
    let mut p = Params::default();
    p.parse_into(req.query.as_bytes())?;
    if req.method == "POST" && !req.body.is_empty() {
        let mime = req
            .header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(ApiError::invalid(
                "Invalid parameters - a POST body must be application/x-www-form-urlencoded",
            ));
        }
        p.parse_into(&req.body)?;
    }
    Ok(p)
}

/// Runs the generic checks, then the method's handler.
pub(crate) fn handle_api(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let config = &ctx.shared.config;
    let p = ctx.params;
    let name = p.get("method").unwrap_or("");
    let read_spec;
    let spec = match METHODS.iter().find(|m| m.name == name) {
        Some(spec) => spec,
        None => {
            let &(name, handler) = READS
                .iter()
                .find(|(m, _)| *m == name)
                .ok_or_else(|| ApiError::new(3))?;
            read_spec = MethodSpec {
                name,
                signed: false,
                post_only: false,
                https_only: false,
                session: false,
                handler,
            };
            &read_spec
        }
    };
    let key_ok = match p.get("api_key") {
        Some(k) if config.libre_mode => !k.is_empty(),
        Some(k) => k == config.api_key,
        None => false,
    };
    if !key_ok {
        return Err(ApiError::new(10));
    }
    if p.get("format").is_some_and(|f| f != "json") {
        return Err(ApiError::new(5));
    }
    if spec.post_only && ctx.http_method != "POST" {
        let mut e = ApiError::with_message(3, "Invalid Method - This method requires POST");
        e.http = 405;
        return Err(e);
    }
    if spec.https_only && ctx.scheme == Scheme::Http && !config.allow_insecure_auth {
        return Err(ApiError::with_message(
            4,
            "Authentication Failed - HTTPS required",
        ));
    }
    if spec.signed && !config.libre_mode && !sig::verify(p, &config.api_secret) {
        return Err(ApiError::new(13));
    }
    let user = if spec.session {
        let sk = p.get("sk").unwrap_or("");
        let st = ctx.shared.state();
        Some(
            st.sessions
                .get(sk)
                .cloned()
                .ok_or_else(|| ApiError::new(9))?,
        )
    } else {
        None
    };
    (spec.handler)(ctx, user.as_deref())
}

/// A required, non-empty parameter.
pub(crate) fn required<'p>(p: &'p Params, name: &str) -> Result<&'p str, ApiError> {
    p.non_empty(name).ok_or_else(|| {
        ApiError::invalid(format!(
            "Invalid parameters - Your request is missing a required parameter: {name}"
        ))
    })
}

/// An optional integer parameter (empty counts as absent).
pub(crate) fn optional_number(p: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    match p.non_empty(name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::invalid(format!("Invalid parameters - {name} must be an integer"))
        }),
    }
}

/// The session reply shared by both login flows.
fn session_reply(key: &str) -> Value {
    json!({"session": {"name": MOCK_USERNAME, "key": key, "subscriber": "0"}})
}

/// Whether `name` names the mock's account (user name or e-mail, any case).
fn is_account(name: &str) -> bool {
    name.eq_ignore_ascii_case(MOCK_USERNAME) || name.eq_ignore_ascii_case(MOCK_EMAIL)
}

fn get_mobile_session(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let username = required(ctx.params, "username")?;
    let password = required(ctx.params, "password")?;
    if !is_account(username) || password != crate::MOCK_PASSWORD {
        return Err(ApiError::new(4));
    }
    let key = ctx.shared.state().new_session(MOCK_USERNAME);
    Ok(session_reply(&key))
}

fn get_token(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let token = util::random_hex32();
    ctx.shared
        .state()
        .tokens
        .insert(token.clone(), Token::new());
    Ok(json!({ "token": token }))
}

fn get_session(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let token = required(ctx.params, "token")?;
    let ttl = ctx.shared.config.token_ttl;
    let mut st = ctx.shared.state();
    let t = st
        .tokens
        .get_mut(token)
        .ok_or_else(|| ApiError::with_message(4, "Invalid authentication token supplied"))?;
    if t.exchanged || t.is_expired(ttl) {
        return Err(ApiError::new(15));
    }
    let user = t.approved_for.clone().ok_or_else(|| ApiError::new(14))?;
    t.exchanged = true;
    let key = st.new_session(&user);
    Ok(session_reply(&key))
}

/// Last.fm's autocorrect, as a fixed table of misspelt names (matched whole, ignoring ASCII
/// case and surrounding spaces) and their right spelling. A name found here is stored in
/// its right spelling and answered `{"corrected":"1","#text":right}`.
pub const AUTOCORRECT: &[(&str, &str)] = &[
    ("beatles", "The Beatles"),
    ("the beatles", "The Beatles"),
    ("guns and roses", "Guns N' Roses"),
    ("guns n roses", "Guns N' Roses"),
    ("let it be", "Let It Be"),
    ("abbey road", "Abbey Road"),
];

/// The right spelling of `text` when [`AUTOCORRECT`] knows it and it differs.
fn autocorrect(text: &str) -> Option<&'static str> {
    AUTOCORRECT
        .iter()
        .find(|(wrong, _)| wrong.eq_ignore_ascii_case(text.trim()))
        .map(|(_, right)| *right)
        .filter(|right| *right != text)
}

/// `text` as the server keeps it: corrected by [`AUTOCORRECT`] or as sent.
fn as_stored(text: &str) -> String {
    autocorrect(text).unwrap_or(text).to_string()
}

/// `{"corrected":"0","#text":text}`, or `"1"` and the right spelling when [`AUTOCORRECT`]
/// corrects it.
fn corrected(text: &str) -> Value {
    match autocorrect(text) {
        Some(right) => json!({"corrected": "1", "#text": right}),
        None => json!({"corrected": "0", "#text": text}),
    }
}

/// The ignore code the marker strings in artist/track names ask for (1, 2) or 0.
fn marker_code(artist: &str, track: &str) -> u32 {
    if artist.contains("[ignored-artist]") {
        1
    } else if track.contains("[ignored-track]") {
        2
    } else {
        0
    }
}

/// Last.fm's text for an ignore code.
fn ignored_text(code: u32) -> &'static str {
    match code {
        1 => "Artist was ignored",
        2 => "Track was ignored",
        3 => "Timestamp was too old",
        4 => "Timestamp was too new",
        5 => "Max daily scrobbles exceeded",
        _ => "",
    }
}

fn ignored_message(code: u32) -> Value {
    json!({"code": code.to_string(), "#text": ignored_text(code)})
}

fn update_now_playing(ctx: &Ctx<'_>, user: Option<&str>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let artist = required(p, "artist")?;
    let track = required(p, "track")?;
    let album = p.non_empty("album");
    let album_artist = p.non_empty("albumArtist");
    let duration = optional_number(p, "duration")?;
    let track_number = optional_number(p, "trackNumber")?;
    let code = marker_code(artist, track);
    if code == 0 {
        let mut record = serde_json::Map::new();
        record.insert("user".into(), json!(user.unwrap_or(MOCK_USERNAME)));
        record.insert("artist".into(), json!(as_stored(artist)));
        record.insert("track".into(), json!(as_stored(track)));
        if let Some(v) = album {
            record.insert("album".into(), json!(as_stored(v)));
        }
        for (name, value) in [
            ("albumArtist", album_artist),
            ("mbid", p.non_empty("mbid")),
            ("context", p.non_empty("context")),
        ] {
            if let Some(v) = value {
                record.insert(name.into(), json!(v));
            }
        }
        if let Some(v) = duration {
            record.insert("duration".into(), json!(v));
        }
        if let Some(v) = track_number {
            record.insert("trackNumber".into(), json!(v));
        }
        record.insert("received".into(), json!(util::now_unix()));
        let mut st = ctx.shared.state();
        st.now_playing = Some(Value::Object(record));
        st.stats.now_playing += 1;
    }
    Ok(json!({"nowplaying": {
        "artist": corrected(artist),
        "track": corrected(track),
        "album": corrected(album.unwrap_or("")),
        "albumArtist": corrected(album_artist.unwrap_or("")),
        "ignoredMessage": ignored_message(code),
    }}))
}

/// One item of a `track.scrobble` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScrobbleItem {
    pub artist: String,
    pub track: String,
    pub timestamp: i64,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track_number: Option<u64>,
    pub duration: Option<u64>,
    pub mbid: Option<String>,
}

/// Field names `track.scrobble` knows, plain or indexed.
const SCROBBLE_FIELDS: &[&str] = &[
    "artist",
    "track",
    "timestamp",
    "album",
    "albumArtist",
    "trackNumber",
    "duration",
    "mbid",
    "chosenByUser",
    "context",
    "streamId",
];

/// Splits `artist[12]` into (`artist`, 12) for known fields.
fn indexed_name(name: &str) -> Option<Result<(&str, usize), ApiError>> {
    let (field, rest) = name.split_once('[')?;
    let index = rest.strip_suffix(']')?;
    if !SCROBBLE_FIELDS.contains(&field) {
        return None;
    }
    let valid = !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && (index == "0" || !index.starts_with('0'));
    Some(match index.parse::<usize>() {
        Ok(i) if valid && i < MAX_BATCH => Ok((field, i)),
        Ok(_) if valid => Err(ApiError::invalid(format!(
            "Invalid parameters - at most {MAX_BATCH} scrobbles per request"
        ))),
        _ => Err(ApiError::invalid(format!(
            "Invalid parameters - bad index in '{name}'"
        ))),
    })
}

/// Reads the items of a `track.scrobble` request (plain names for one item, or
/// `name[i]` for i in 0..50, without gaps). Rejects the whole request with error 6 on a
/// missing or malformed field, too many items, or a `[invalid]` poison item, and with error
/// 8 (HTTP 500) when an item contains `[server-error]`: what Maloja 3 answers, forever, for a
/// play it already stored.
pub(crate) fn parse_scrobbles(p: &Params) -> Result<Vec<ScrobbleItem>, ApiError> {
    use std::collections::{BTreeMap, HashMap};
    let mut indexed: BTreeMap<usize, HashMap<&str, &str>> = BTreeMap::new();
    let mut plain: HashMap<&str, &str> = HashMap::new();
    for (name, value) in p.iter() {
        if let Some(parsed) = indexed_name(name) {
            let (field, i) = parsed?;
            indexed.entry(i).or_default().insert(field, value);
        } else if SCROBBLE_FIELDS.contains(&name) {
            plain.insert(name, value);
        }
    }
    let raw: Vec<HashMap<&str, &str>> = match (indexed.is_empty(), plain.is_empty()) {
        (true, true) => {
            return Err(ApiError::invalid(
                "Invalid parameters - Your request is missing a required parameter: artist[0]",
            ))
        }
        (false, false) => {
            return Err(ApiError::invalid(
                "Invalid parameters - do not mix plain and indexed scrobble fields",
            ))
        }
        (true, false) => vec![plain],
        (false, true) => {
            if indexed.keys().copied().ne(0..indexed.len()) {
                return Err(ApiError::invalid(
                    "Invalid parameters - scrobble indices must run from 0 without gaps",
                ));
            }
            indexed.into_values().collect()
        }
    };
    let mut items = Vec::with_capacity(raw.len());
    for (i, fields) in raw.iter().enumerate() {
        let get = |f: &str| fields.get(f).copied().filter(|v| !v.is_empty());
        let need = |f: &str| {
            get(f).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid parameters - Your request is missing a required parameter: {f}[{i}]"
                ))
            })
        };
        let number = |f: &str| -> Result<Option<u64>, ApiError> {
            get(f)
                .map(|v| {
                    v.parse().map_err(|_| {
                        ApiError::invalid(format!(
                            "Invalid parameters - {f}[{i}] must be an integer"
                        ))
                    })
                })
                .transpose()
        };
        let artist = need("artist")?;
        let track = need("track")?;
        let timestamp = need("timestamp")?.parse::<i64>().map_err(|_| {
            ApiError::invalid(format!(
                "Invalid parameters - timestamp[{i}] must be an integer"
            ))
        })?;
        if artist.contains("[invalid]") || track.contains("[invalid]") {
            return Err(ApiError::invalid(format!(
                "Invalid parameters - item {i} was rejected"
            )));
        }
        if artist.contains("[server-error]") || track.contains("[server-error]") {
            return Err(ApiError::with_message(
                8,
                "Operation failed - Most likely the backend service failed. Please try again.",
            ));
        }
        items.push(ScrobbleItem {
            artist: artist.to_string(),
            track: track.to_string(),
            timestamp,
            album: get("album").map(str::to_string),
            album_artist: get("albumArtist").map(str::to_string),
            track_number: number("trackNumber")?,
            duration: number("duration")?,
            mbid: get("mbid").map(str::to_string),
        });
    }
    Ok(items)
}

fn scrobble(ctx: &Ctx<'_>, user: Option<&str>) -> Result<Value, ApiError> {
    let items = parse_scrobbles(ctx.params)?;
    let user = user.unwrap_or(MOCK_USERNAME);
    let now = util::now_unix();
    let mut st = ctx.shared.state();
    let mut accepted = 0;
    let mut replies = Vec::with_capacity(items.len());
    for item in items {
        let mut code = marker_code(&item.artist, &item.track);
        if code == 0 && item.timestamp < now - MAX_AGE_SECS {
            code = 3;
        } else if code == 0 && item.timestamp > now + MAX_AHEAD_SECS {
            code = 4;
        } else if code == 0 && st.daily_remaining == Some(0) {
            code = 5;
        }
        if code == 0 {
            accepted += 1;
            if let Some(left) = st.daily_remaining.as_mut() {
                *left -= 1;
            }
            st.store_scrobble(StoredScrobble {
                user: user.to_string(),
                artist: as_stored(&item.artist),
                track: as_stored(&item.track),
                album: item.album.as_deref().map(as_stored),
                album_artist: item.album_artist.clone(),
                timestamp: item.timestamp,
                duration: item.duration,
                track_number: item.track_number,
                mbid: item.mbid.clone(),
            });
        }
        replies.push(json!({
            "artist": corrected(&item.artist),
            "track": corrected(&item.track),
            "album": corrected(item.album.as_deref().unwrap_or("")),
            "albumArtist": corrected(item.album_artist.as_deref().unwrap_or("")),
            "timestamp": item.timestamp.to_string(),
            "ignoredMessage": ignored_message(code),
        }));
    }
    let ignored = replies.len() - accepted;
    Ok(json!({"scrobbles": {
        "scrobble": one_or_many(replies),
        "@attr": {"accepted": accepted, "ignored": ignored},
    }}))
}

/// Last.fm's list quirk: one item is an object, several an array, none `[]`.
pub(crate) fn one_or_many(mut items: Vec<Value>) -> Value {
    if items.len() == 1 {
        items.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(items)
    }
}

fn love(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    required(ctx.params, "artist")?;
    required(ctx.params, "track")?;
    Ok(json!({}))
}

/// The `user` parameter, which must name the mock's account.
pub(crate) fn known_user(p: &Params) -> Result<(), ApiError> {
    let user = required(p, "user")?;
    if user.eq_ignore_ascii_case(MOCK_USERNAME) {
        Ok(())
    } else {
        Err(ApiError::invalid("User not found"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Params {
        let mut p = Params::default();
        p.parse_into(s.as_bytes()).unwrap();
        p
    }

    #[test]
    fn status_mapping() {
        assert_eq!(http_status(3), 400);
        assert_eq!(http_status(9), 403);
        assert_eq!(http_status(8), 500);
        assert_eq!(http_status(16), 503);
        assert_eq!(http_status(29), 429);
        assert_eq!(http_status(26), 400);
    }

    #[test]
    fn scrobble_items_plain_and_indexed() {
        let one = parse_scrobbles(&params("artist=A&track=T&timestamp=5&duration=")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].duration, None);
        let two = parse_scrobbles(&params(
            "artist[1]=B&track[1]=U&timestamp[1]=6&artist[0]=A&track[0]=T&timestamp[0]=5&trackNumber[0]=3",
        ))
        .unwrap();
        assert_eq!(two[0].artist, "A");
        assert_eq!(two[0].track_number, Some(3));
        assert_eq!(two[1].timestamp, 6);
    }

    #[test]
    fn autocorrect_corrects_listed_misspellings_only() {
        for (sent, flag, answered) in [
            ("beatles", "1", "The Beatles"),
            (" GUNS N ROSES", "1", "Guns N' Roses"),
            ("The Beatles", "0", "The Beatles"),
            ("Beatles fan", "0", "Beatles fan"),
        ] {
            assert_eq!(
                corrected(sent),
                json!({"corrected": flag, "#text": answered}),
                "{sent}"
            );
        }
        assert_eq!(as_stored("let it be"), "Let It Be");
    }

    #[test]
    fn scrobble_items_rejected() {
        for bad in [
            "artist=A&track=T",                               // no timestamp
            "artist=A&track=T&timestamp=soon",                // not an integer
            "artist[0]=A&track[0]=T&timestamp[0]=1&artist=A", // mixed
            "artist[1]=A&track[1]=T&timestamp[1]=1",          // gap
            "artist[50]=A&track[50]=T&timestamp[50]=1",       // too many
            "artist[01]=A&track[01]=T&timestamp[01]=1",       // bad index
            "artist=A [invalid]&track=T&timestamp=1",         // poison
            "artist=A&track=T&timestamp=1&trackNumber=three", // bad number
            "method=track.scrobble",                          // nothing
        ] {
            let e = parse_scrobbles(&params(bad)).unwrap_err();
            assert_eq!(e.code, 6, "{bad}");
        }
    }
}
