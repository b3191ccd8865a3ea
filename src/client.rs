//! The client: credentials, settings that any thread may change at any time, and the one
//! request path every API call goes through.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::Value;
use ureq::Agent;

use crate::encode::form_encode;
use crate::error::{Error, Result, Status};
use crate::ratelimit::{self, RateLimiter};
use crate::reply;
use crate::scrobble::MAX_BATCH;
use crate::sign;
use crate::transport::{self, ExtraRoots, RequestOptions};

/// Last.fm's API root.
pub const DEFAULT_BASE_URL: &str = "https://ws.audioscrobbler.com/2.0/";

/// First suggested wait after a rate-limit error when the server names none.
const RATE_LIMIT_BASE_WAIT: Duration = Duration::from_secs(30);
/// Longest suggested wait after repeated rate-limit errors.
const RATE_LIMIT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Parameter names the library adds itself; a caller may not pass them to [`Client::call`].
pub const RESERVED_NAMES: [&str; 6] = ["method", "api_key", "api_sig", "sk", "format", "callback"];

/// How a call is made. Combine with `|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CallFlags(u32);

impl CallFlags {
    /// Plain unsigned GET.
    pub const NONE: CallFlags = CallFlags(0);
    /// Add `api_sig`.
    pub const SIGNED: CallFlags = CallFlags(1);
    /// Add `sk` from the client ([`Status::NoSession`] if it has none).
    pub const SESSION: CallFlags = CallFlags(2);
    /// Send a form-encoded POST body instead of a GET query string.
    pub const POST: CallFlags = CallFlags(4);
    /// All three: what every write method needs.
    pub const WRITE: CallFlags = CallFlags(7);

    /// Flags from their C bits; unknown bits are an error.
    pub fn from_bits(bits: u32) -> Result<CallFlags> {
        if bits & !Self::WRITE.0 != 0 {
            return Err(Error::invalid(format!("unknown call flag bits {bits:#x}")));
        }
        Ok(CallFlags(bits))
    }

    /// Whether every flag in `other` is set.
    pub fn contains(self, other: CallFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for CallFlags {
    type Output = CallFlags;
    fn bitor(self, rhs: CallFlags) -> CallFlags {
        CallFlags(self.0 | rhs.0)
    }
}

/// A session: the key for signed calls and the account's canonical name.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The session key (a secret).
    pub key: String,
    /// The account's canonical user name.
    pub name: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("key", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

/// Everything a call reads, swapped as a whole by setters so that a call sees one
/// consistent snapshot and a setter affects only calls that start after it returns.
#[derive(Clone)]
struct Settings {
    base_url: String,
    allow_insecure_http: bool,
    session_key: Option<String>,
    request: RequestOptions,
    extra_roots: ExtraRoots,
    agent: Agent,
    max_batch: usize,
}

/// A Last.fm API client. `Send + Sync`: share it between threads freely; connections are
/// pooled and kept alive across calls and threads.
pub struct Client {
    api_key: String,
    api_secret: String,
    settings: RwLock<Arc<Settings>>,
    limiter: RateLimiter,
    /// Rate-limit errors in a row, for the back-off suggestion.
    rate_limited_streak: AtomicU32,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.snapshot();
        f.debug_struct("Client")
            .field("api_key", &"<redacted>")
            .field("api_secret", &"<redacted>")
            .field("base_url", &s.base_url)
            .field("has_session", &s.session_key.is_some())
            .field("timeout", &s.request.timeout)
            .finish()
    }
}

impl Client {
    /// A client for the application identified by `api_key` and `api_secret`.
    pub fn new(api_key: &str, api_secret: &str) -> Result<Client> {
        if api_key.is_empty() {
            return Err(Error::invalid("api_key is empty"));
        }
        if api_secret.is_empty() {
            return Err(Error::invalid("api_secret is empty"));
        }
        let settings = Settings {
            base_url: DEFAULT_BASE_URL.to_string(),
            allow_insecure_http: false,
            session_key: None,
            request: RequestOptions::default(),
            extra_roots: None,
            agent: transport::build_agent(&None),
            max_batch: MAX_BATCH,
        };
        Ok(Client {
            api_key: api_key.to_string(),
            api_secret: api_secret.to_string(),
            settings: RwLock::new(Arc::new(settings)),
            limiter: RateLimiter::new(ratelimit::DEFAULT_REQUESTS_PER_SECOND),
            rate_limited_streak: AtomicU32::new(0),
        })
    }

    fn snapshot(&self) -> Arc<Settings> {
        let guard = self.settings.read().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&guard)
    }

    /// Apply `change` to a copy of the settings and publish it. The connection pool is
    /// rebuilt only when the trusted roots changed.
    fn update(&self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
        let mut guard = self.settings.write().unwrap_or_else(|p| p.into_inner());
        let mut next = Settings::clone(&guard);
        change(&mut next)?;
        if !same_roots(&guard.extra_roots, &next.extra_roots) {
            next.agent = transport::build_agent(&next.extra_roots);
        }
        *guard = Arc::new(next);
        Ok(())
    }

    /// The API root URL, used exactly as given (keep a trailing slash).
    pub fn set_base_url(&self, url: &str) -> Result<()> {
        validate_http_url(url)?;
        self.update(|s| {
            s.base_url = url.to_string();
            Ok(())
        })
    }

    /// The current API root URL.
    pub fn base_url(&self) -> String {
        self.snapshot().base_url.clone()
    }

    /// Set (or with `None` clear) the session key used by [`CallFlags::SESSION`] calls.
    pub fn set_session_key(&self, key: Option<&str>) -> Result<()> {
        if key == Some("") {
            return Err(Error::invalid("session key is empty"));
        }
        self.update(|s| {
            s.session_key = key.map(str::to_string);
            Ok(())
        })
    }

    /// Whether the client holds a session key.
    pub fn has_session(&self) -> bool {
        self.snapshot().session_key.is_some()
    }

    /// Overall bound on each request (connect, send, read the whole reply). Must be > 0.
    pub fn set_timeout(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(Error::invalid("timeout must be greater than zero"));
        }
        self.update(|s| {
            s.request.timeout = timeout;
            Ok(())
        })
    }

    /// The `User-Agent` header sent with every request.
    pub fn set_user_agent(&self, user_agent: &str) -> Result<()> {
        if user_agent.is_empty() || user_agent.chars().any(char::is_control) {
            return Err(Error::invalid(
                "user agent must be non-empty and free of control characters",
            ));
        }
        self.update(|s| {
            s.request.user_agent = user_agent.to_string();
            Ok(())
        })
    }

    /// Trust the certificates of a PEM file in addition to the bundled roots.
    pub fn set_ca_file(&self, pem_path: &Path) -> Result<()> {
        let roots = transport::load_pem_roots(pem_path)?;
        self.update(|s| {
            s.extra_roots = Some(Arc::new(roots));
            Ok(())
        })
    }

    /// Pace requests to at most `per_second` per second on average, across all threads
    /// (default 5, Last.fm's terms); 0 turns pacing off. A call waits for its turn before
    /// its timeout starts.
    pub fn set_rate_limit(&self, per_second: u32) {
        self.limiter.set_rate(per_second);
    }

    /// The most tracks one `track.scrobble` request carries (1..=50, default 50); servers
    /// that cannot take batches need 1.
    pub fn set_max_batch(&self, max_tracks: u32) -> Result<()> {
        let max = usize::try_from(max_tracks).unwrap_or(usize::MAX);
        if !(1..=MAX_BATCH).contains(&max) {
            return Err(Error::invalid(format!(
                "max batch must be 1 to {MAX_BATCH}, not {max_tracks}"
            )));
        }
        self.update(|s| {
            s.max_batch = max;
            Ok(())
        })
    }

    /// The most tracks one scrobble request carries.
    pub fn max_batch(&self) -> usize {
        self.snapshot().max_batch
    }

    /// Allow credentials (the mobile session's password) over plain http.
    pub fn set_allow_insecure_http(&self, allow: bool) -> Result<()> {
        self.update(|s| {
            s.allow_insecure_http = allow;
            Ok(())
        })
    }

    /// Call any API method. The library adds `method`, `api_key`, `format=json`, and `sk`
    /// and `api_sig` as `flags` ask; passing any of those (or `callback`) yourself is an
    /// error. Returns the JSON body as received.
    pub fn call(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String> {
        let settings = self.snapshot();
        self.call_with(&settings, method, params, flags)
    }

    fn call_with(
        &self,
        settings: &Settings,
        method: &str,
        params: &[(&str, &str)],
        flags: CallFlags,
    ) -> Result<String> {
        if method.is_empty() {
            return Err(Error::invalid("method is empty"));
        }
        for (name, _) in params {
            if name.is_empty() {
                return Err(Error::invalid("a parameter name is empty"));
            }
            if RESERVED_NAMES.contains(name) {
                return Err(Error::invalid(format!(
                    "parameter '{name}' is reserved: the library sets it"
                )));
            }
        }
        let mut all: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 5);
        all.push(("method", method));
        all.push(("api_key", &self.api_key));
        all.extend_from_slice(params);
        if flags.contains(CallFlags::SESSION) {
            let key = settings.session_key.as_deref().ok_or_else(|| {
                Error::new(
                    Status::NoSession,
                    format!("{method} needs a session key and the client has none"),
                )
            })?;
            all.push(("sk", key));
        }
        let sig;
        if flags.contains(CallFlags::SIGNED) {
            sig = sign::api_sig(&all, &self.api_secret)?;
            all.push(("api_sig", &sig));
        } else {
            sign::signed_params(&all)?; // duplicate names are refused either way
        }
        all.push(("format", "json"));
        let encoded = form_encode(all.iter().copied());
        self.limiter.acquire();
        let reply = if flags.contains(CallFlags::POST) {
            transport::send(
                &settings.agent,
                &settings.base_url,
                Some(&encoded),
                &settings.request,
            )?
        } else {
            let sep = if settings.base_url.contains('?') {
                '&'
            } else {
                '?'
            };
            let url = format!("{}{sep}{encoded}", settings.base_url);
            transport::send(&settings.agent, &url, None, &settings.request)?
        };
        let result = reply::interpret(reply.status, reply.body, reply.retry_after_ms);
        self.note_rate_limit(result)
    }

    /// Track rate-limit errors in a row and suggest a growing, jittered wait after each.
    fn note_rate_limit(&self, result: Result<String>) -> Result<String> {
        match result {
            Err(e) if e.api_code() == 29 || e.http_status() == 429 => {
                let streak = self.rate_limited_streak.fetch_add(1, Ordering::Relaxed);
                let base = match e.retry_after_ms() {
                    0 => RATE_LIMIT_BASE_WAIT,
                    ms => Duration::from_millis(u64::from(ms)),
                };
                let wait = ratelimit::backoff(base, streak, RATE_LIMIT_MAX_WAIT);
                Err(e.with_retry_after_ms(ratelimit::millis_u32(wait)))
            }
            Ok(body) => {
                self.rate_limited_streak.store(0, Ordering::Relaxed);
                Ok(body)
            }
            other => other,
        }
    }

    /// Log in with a user name (or e-mail) and password (`auth.getMobileSession`, a signed
    /// POST). Refused with [`Status::Insecure`] over plain http unless allowed. On success the
    /// session key is also stored in the client. The password is not kept.
    pub fn get_mobile_session(&self, username: &str, password: &str) -> Result<Session> {
        if username.is_empty() || password.is_empty() {
            return Err(Error::invalid("username and password must not be empty"));
        }
        let settings = self.snapshot();
        if !is_https(&settings.base_url) && !settings.allow_insecure_http {
            return Err(Error::new(
                Status::Insecure,
                "refusing to send a password over plain http; use https or allow insecure http",
            ));
        }
        let body = self.call_with(
            &settings,
            "auth.getMobileSession",
            &[("username", username), ("password", password)],
            CallFlags::SIGNED | CallFlags::POST,
        )?;
        let session = parse_session(&body, username)?;
        self.set_session_key(Some(&session.key))?;
        Ok(session)
    }
}

/// Read `{"session":{"key":..,"name":..}}`. A reply without `name` (some self-hosted
/// servers) gives back `fallback_name`, the name the caller logged in with.
pub fn parse_session(body: &str, fallback_name: &str) -> Result<Session> {
    let json: Value = serde_json::from_str(body)
        .map_err(|_| Error::new(Status::Parse, "session reply is not JSON"))?;
    let session = json
        .get("session")
        .ok_or_else(|| Error::new(Status::Parse, "reply has no 'session' object"))?;
    let key = session
        .get("key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty() && !k.chars().any(char::is_control))
        .ok_or_else(|| Error::new(Status::Parse, "session reply has no usable key"))?;
    let name = session
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty() && !n.contains('\0'))
        .unwrap_or(fallback_name);
    Ok(Session {
        key: key.to_string(),
        name: name.to_string(),
    })
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

fn same_roots(a: &ExtraRoots, b: &ExtraRoots) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        _ => false,
    }
}

/// Accept only absolute http(s) URLs with a host and no whitespace or control characters.
fn validate_http_url(url: &str) -> Result<()> {
    let bad = || Error::invalid("base URL must be an absolute http:// or https:// URL");
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad())?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        _ => return Err(bad()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
    }

    #[test]
    fn reserved_names_are_refused() {
        let c = Client::new("k", "s").unwrap();
        for name in RESERVED_NAMES {
            let e = c
                .call("user.getInfo", &[(name, "x")], CallFlags::NONE)
                .unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{name}");
        }
    }

    #[test]
    fn session_flag_without_key() {
        let c = Client::new("k", "s").unwrap();
        let e = c.call("track.love", &[], CallFlags::WRITE).unwrap_err();
        assert_eq!(e.status(), Status::NoSession);
    }

    #[test]
    fn mobile_session_refuses_plain_http() {
        let c = Client::new("k", "s").unwrap();
        c.set_base_url("http://127.0.0.1:9/2.0/").unwrap();
        let e = c.get_mobile_session("rj", "pw").unwrap_err();
        assert_eq!(e.status(), Status::Insecure);
        assert!(!e.message().contains("pw"));
    }

    #[test]
    fn url_validation() {
        for ok in [
            "https://ws.audioscrobbler.com/2.0/",
            "http://127.0.0.1:8080/apis/audioscrobbler/2.0/",
        ] {
            assert!(validate_http_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ftp://x/",
            "https://",
            "not a url",
            "https://x/ y",
            "/2.0/",
        ] {
            assert!(validate_http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_parsing() {
        let s = parse_session(
            r#"{"session":{"name":"RJ","key":"abc","subscriber":0}}"#,
            "rj@x",
        )
        .unwrap();
        assert_eq!((s.key.as_str(), s.name.as_str()), ("abc", "RJ"));
        let s = parse_session(r#"{"session":{"key":"abc"}}"#, "typed").unwrap();
        assert_eq!(s.name, "typed");
        assert_eq!(
            parse_session(r#"{"session":{}}"#, "x")
                .unwrap_err()
                .status(),
            Status::Parse
        );
        assert!(!format!("{s:?}").contains("abc"));
    }
}
