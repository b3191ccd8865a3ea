//! The client: credentials, settings that any thread may change at any time, and the one
//! request path every API call goes through.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use ureq::Agent;

use crate::api_code;
use crate::encode::form_encode;
use crate::error::{Error, Result, Status};
use crate::log::{self, Level, Logger};
use crate::ratelimit::{self, RateLimiter};
use crate::reply;
use crate::service::Service;
use crate::sign;
use crate::track::MAX_BATCH;
use crate::transport::{self, PoolSettings, RequestOptions, RootStore};

/// First suggested wait after a rate-limit error when the server names none.
const RATE_LIMIT_BASE_WAIT: Duration = Duration::from_secs(30);
/// Longest suggested wait after repeated rate-limit errors.
const RATE_LIMIT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Parameter names the library adds itself; a caller may not pass them to [`Client::call`].
pub const RESERVED_NAMES: [&str; 6] = ["method", "api_key", "api_sig", "sk", "format", "callback"];

/// Parameters that carry a credential, and how a refusal names them. With the session key
/// (`sk`, [`CallFlags::SESSION`]) and the methods of [`SESSION_METHODS`] they make a request
/// "carry a credential": it never goes over plain http unless the caller opted in with
/// [`Client::set_allow_insecure_http`]. `authToken` is the legacy mobile login's
/// `md5(username + md5(password))`, as good as the password. Not credentials: `api_key`
/// (public), `api_sig` (a per-request MD5 derived from the secret, which never travels).
const CREDENTIAL_PARAMS: [(&str, &str); 3] = [
    ("password", "would send a password"),
    ("authToken", "would send a password hash (authToken)"),
    ("token", "would send a token"),
];

/// Methods whose reply is a session key, whatever their parameters.
const SESSION_METHODS: [&str; 2] = ["auth.getMobileSession", "auth.getSession"];

/// How a request would expose a credential, worded for a message; `None` if it would not.
fn credential_in(method: &str, params: &[(&str, &str)], flags: CallFlags) -> Option<&'static str> {
    let named = CREDENTIAL_PARAMS
        .iter()
        .find(|(name, _)| params.iter().any(|(n, _)| n == name));
    if let Some((_, what)) = named {
        Some(what)
    } else if flags.contains(CallFlags::SESSION) {
        Some("would send the session key")
    } else if SESSION_METHODS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
    {
        Some("would receive a session key")
    } else {
        None
    }
}

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

/// Everything a call reads, swapped as a whole by setters so that a call sees one
/// consistent snapshot and a setter affects only calls that start after it returns.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) base_url: String,
    pub(crate) auth_url: String,
    pub(crate) allow_insecure_http: bool,
    pub(crate) session_key: Option<String>,
    /// Bumped by every [`Client::set_session_key`], so a scrobbler stopped by a revoked
    /// key notices when the user signs in again.
    session_generation: u64,
    request: RequestOptions,
    pool: PoolSettings,
    /// Bumped by every setter that changes `pool`, so the pool is rebuilt exactly then.
    pool_generation: u64,
    agent: Agent,
    max_batch: usize,
    logger: Option<Logger>,
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
            .field("api_key", &log::REDACTED)
            .field("api_secret", &log::REDACTED)
            .field("base_url", &log::redact_userinfo(&s.base_url))
            .field("auth_url", &log::redact_userinfo(&s.auth_url))
            .field("has_session", &s.session_key.is_some())
            .field("timeout", &s.request.timeout)
            .field("proxy", &s.pool.proxy.is_some())
            .finish()
    }
}

impl Client {
    /// A client for the application identified by `api_key` and `api_secret`, talking to
    /// Last.fm until told otherwise. Does no I/O.
    pub fn new(api_key: &str, api_secret: &str) -> Result<Client> {
        if api_key.is_empty() {
            return Err(Error::invalid("api_key is empty"));
        }
        if api_secret.is_empty() {
            return Err(Error::invalid("api_secret is empty"));
        }
        let pool = PoolSettings::default();
        let (base_url, auth_url) = Service::LastFm.urls();
        let settings = Settings {
            base_url: base_url.to_string(),
            auth_url: auth_url.to_string(),
            allow_insecure_http: false,
            session_key: None,
            session_generation: 0,
            request: RequestOptions::default(),
            agent: transport::build_agent(&pool)?,
            pool,
            pool_generation: 0,
            max_batch: MAX_BATCH,
            logger: None,
        };
        Ok(Client {
            api_key: api_key.to_string(),
            api_secret: api_secret.to_string(),
            settings: RwLock::new(Arc::new(settings)),
            limiter: RateLimiter::new(ratelimit::DEFAULT_REQUESTS_PER_SECOND),
            rate_limited_streak: AtomicU32::new(0),
        })
    }

    pub(crate) fn snapshot(&self) -> Arc<Settings> {
        let guard = self.settings.read().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&guard)
    }

    pub(crate) fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Apply `change` to a copy of the settings and publish it. The connection pool is
    /// rebuilt only when the change touched the pool settings.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
        let mut guard = self.settings.write().unwrap_or_else(|p| p.into_inner());
        let mut next = Settings::clone(&guard);
        change(&mut next)?;
        if next.pool_generation != guard.pool_generation {
            next.agent = transport::build_agent(&next.pool)?;
        }
        *guard = Arc::new(next);
        Ok(())
    }

    fn update_pool(&self, change: impl FnOnce(&mut PoolSettings)) -> Result<()> {
        self.update(|s| {
            change(&mut s.pool);
            s.pool_generation += 1;
            Ok(())
        })
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
        if let Some(key) = key {
            if key.is_empty() || key.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "session key must be non-empty and free of control characters",
                ));
            }
        }
        self.update(|s| {
            s.session_key = key.map(str::to_string);
            s.session_generation += 1;
            Ok(())
        })
    }

    /// How many times the session key was set (or cleared): it changes with every
    /// [`Client::set_session_key`], even to the same key.
    pub fn session_generation(&self) -> u64 {
        self.snapshot().session_generation
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

    /// Bound on connecting (TCP, proxy, TLS), within the overall timeout. Must be > 0.
    pub fn set_connect_timeout(&self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(Error::invalid("connect timeout must be greater than zero"));
        }
        self.update(|s| {
            s.request.connect_timeout = Some(timeout);
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

    /// Trust the certificates of a PEM file in addition to the chosen root store.
    pub fn set_ca_file(&self, pem_path: &Path) -> Result<()> {
        let roots = transport::load_pem_roots(pem_path)?;
        self.update_pool(|p| p.extra_roots = Some(Arc::new(roots)))
    }

    /// Choose the bundled Mozilla roots (default) or the operating system's store.
    pub fn set_root_store(&self, store: RootStore) -> Result<()> {
        self.update_pool(|p| p.root_store = store)
    }

    /// Send every request through a proxy (`http://` CONNECT or `socks5://`); `None`: direct.
    pub fn set_proxy(&self, proxy_url: Option<&str>) -> Result<()> {
        let proxy = proxy_url.map(transport::parse_proxy).transpose()?;
        self.update_pool(|p| p.proxy = proxy)
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

    /// Allow requests that carry a credential over plain http (default: refused with
    /// [`Status::Insecure`] before anything is sent): a password or `authToken`, the session
    /// key ([`CallFlags::SESSION`]: write calls, scrobbles, now playing, queue flushes), a
    /// token, and `auth.getMobileSession` / `auth.getSession` by any route.
    pub fn set_allow_insecure_http(&self, allow: bool) -> Result<()> {
        self.update(|s| {
            s.allow_insecure_http = allow;
            Ok(())
        })
    }

    /// Send log lines at `logger`'s level or more severe to it; `None` turns logging off.
    pub fn set_logger(&self, logger: Option<Logger>) -> Result<()> {
        self.update(|s| {
            s.logger = logger;
            Ok(())
        })
    }

    /// Log a line built by `message` if a logger wants `level` (nothing is formatted
    /// otherwise). The line must already be free of secrets.
    pub(crate) fn log(&self, level: Level, message: impl FnOnce() -> String) {
        if let Some(logger) = &self.snapshot().logger {
            if logger.enabled(level) {
                logger.log(level, &message());
            }
        }
    }

    /// Call any API method. The library adds `method`, `api_key`, `format=json`, and `sk`
    /// and `api_sig` as `flags` ask; passing any of those (or `callback`) yourself is an
    /// error. Returns the JSON body as received. A call that carries a credential over plain
    /// http is [`Status::Insecure`] unless allowed (see [`Client::set_allow_insecure_http`]).
    pub fn call(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String> {
        let settings = self.snapshot();
        self.call_with(&settings, method, params, flags)
    }

    pub(crate) fn call_with(
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
        if !settings.allow_insecure_http && !is_https(&settings.base_url) {
            if let Some(what) = credential_in(method, params, flags) {
                return Err(Error::new(
                    Status::Insecure,
                    format!(
                        "{method} {what} over plain http; use an https:// base URL, or \
                         allow insecure http for a server on your own network"
                    ),
                ));
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
        let post = flags.contains(CallFlags::POST);

        let queued = Instant::now();
        self.limiter.acquire();
        let started = Instant::now();
        let sent = if post {
            transport::send(
                &settings.agent,
                &settings.base_url,
                Some(&encoded),
                &settings.request,
            )
        } else {
            let sep = if settings.base_url.contains('?') {
                '&'
            } else {
                '?'
            };
            let url = format!("{}{sep}{encoded}", settings.base_url);
            transport::send(&settings.agent, &url, None, &settings.request)
        };
        let http_status = sent.as_ref().map_or(0, |r| r.status);
        let result = sent
            .and_then(|r| reply::interpret(r.status, r.body, r.retry_after_ms))
            .map_err(|e| self.scrub_error(e, &all, settings));
        let result = self.note_rate_limit(result);

        if let Some(logger) = &settings.logger {
            log_request(
                logger,
                &settings.base_url,
                post,
                &all,
                http_status,
                queued,
                started,
                &result,
            );
        }
        result
    }

    /// Remove every secret of this request, and the client's own, from an error's text (by
    /// the rules of [`log::scrub`]): a hostile or careless server may echo parameters back
    /// in its message.
    fn scrub_error(&self, err: Error, params: &[(&str, &str)], settings: &Settings) -> Error {
        let mut secrets: Vec<&str> = params
            .iter()
            .filter(|(name, _)| log::SECRET_PARAMS.contains(name))
            .map(|(_, value)| *value)
            .collect();
        secrets.push(&self.api_secret);
        secrets.extend(settings.session_key.as_deref());
        match log::scrub(err.message(), &secrets) {
            std::borrow::Cow::Borrowed(_) => err,
            std::borrow::Cow::Owned(clean) => err.with_message(clean),
        }
    }

    /// Track rate-limit errors in a row and suggest a growing, jittered wait after each.
    fn note_rate_limit(&self, result: Result<String>) -> Result<String> {
        match result {
            Err(e) if e.api_code() == api_code::RATE_LIMIT_EXCEEDED || e.http_status() == 429 => {
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
}

/// One DEBUG line per request, and a WARN (retryable) or ERROR line per failure.
#[allow(clippy::too_many_arguments)]
fn log_request(
    logger: &Logger,
    base_url: &str,
    post: bool,
    params: &[(&str, &str)],
    http_status: u16,
    queued: Instant,
    started: Instant,
    result: &Result<String>,
) {
    let method = params.first().map_or("", |(_, m)| m);
    if logger.enabled(Level::Debug) {
        let waited = started.duration_since(queued);
        let paced = if waited >= Duration::from_millis(1) {
            format!(", waited {} ms for the rate limit", waited.as_millis())
        } else {
            String::new()
        };
        logger.log(
            Level::Debug,
            &format!(
                "{} {} {} -> HTTP {http_status} in {} ms{paced}",
                if post { "POST" } else { "GET" },
                log::redact_userinfo(base_url),
                log::describe_params(params),
                started.elapsed().as_millis(),
            ),
        );
    }
    match result {
        Err(e) if e.api_code() == api_code::TOKEN_NOT_APPROVED => {
            logger.log(Level::Info, &format!("{method}: token not approved yet"));
        }
        Err(e) if e.is_retryable() => logger.log(Level::Warn, &format!("{method} failed: {e}")),
        Err(e) => logger.log(Level::Error, &format!("{method} failed: {e}")),
        Ok(_) => {}
    }
}

pub(crate) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// Accept only absolute http(s) URLs with a host and no whitespace or control characters,
/// no `user:password@` (it would be sent and shown with the URL) and no `#fragment`
/// (parameters appended after it would never reach the server). Messages never quote the URL.
pub(crate) fn validate_http_url(url: &str) -> Result<()> {
    let bad = || Error::invalid("the URL must be an absolute http:// or https:// URL");
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    if url.contains('#') {
        return Err(Error::invalid(
            "the URL must not have a #fragment: the parameters added after it would be dropped",
        ));
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad())?;
    match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {}
        _ => return Err(bad()),
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(Error::invalid(
            "the URL must not contain a user name or password (user:password@host)",
        ));
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
            "https://user:pw@x/2.0/",
            "https://user@x/2.0/",
            "https://x/2.0/#",
            "https://x/2.0/?a=1#b",
        ] {
            assert!(validate_http_url(bad).is_err(), "{bad}");
        }
    }
}
