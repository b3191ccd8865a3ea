//! HTTP transport: one kept-alive connection pool (a ureq [`Agent`]) per client configuration,
//! and the mapping of transport failures onto [`Status`] codes.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::Agent;

use crate::error::{Error, Result, Status};

/// Largest reply body read; anything longer is refused as [`Status::Parse`].
pub const MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;

/// Longest URL the HTTP stack can put in a request line (the `http` crate's limit); a longer
/// GET must be sent as a POST.
pub const MAX_URL_BYTES: usize = u16::MAX as usize - 1;

/// Default overall timeout of a call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest a TCP + TLS connect may take, within the overall timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which root certificates to trust before any extra CA is added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RootStore {
    /// The Mozilla roots compiled into the library (the default: the same everywhere).
    #[default]
    Bundled,
    /// The operating system's trust store (corporate CAs installed there are trusted).
    System,
}

impl RootStore {
    /// Every choice of roots.
    pub const ALL: [RootStore; 2] = [RootStore::Bundled, RootStore::System];
}

/// What a connection pool is built from; changing any of it builds a new pool.
#[derive(Clone, Debug, Default)]
pub struct PoolSettings {
    /// Extra trusted roots (a custom CA), added to the chosen store.
    pub extra_roots: Option<Arc<Vec<Certificate<'static>>>>,
    /// The base store.
    pub root_store: RootStore,
    /// An HTTP CONNECT or SOCKS proxy.
    pub proxy: Option<ureq::Proxy>,
}

/// Options applied to each request; changing them keeps the connection pool.
#[derive(Clone, Debug)]
pub struct RequestOptions {
    /// Overall bound on one request: connect, send, and read the whole reply.
    pub timeout: Duration,
    /// Bound on connecting (TCP, proxy and TLS handshakes); `None`: the smaller of the
    /// overall timeout and 10 s.
    pub connect_timeout: Option<Duration>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: None,
            user_agent: format!("liblfm/{}", crate::VERSION),
        }
    }
}

/// Build a connection pool for `pool`.
pub fn build_agent(pool: &PoolSettings) -> Result<Agent> {
    let roots = match (&pool.extra_roots, pool.root_store) {
        (None, RootStore::Bundled) => RootCerts::WebPki,
        (extra, store) => {
            let mut all: Vec<Certificate<'static>> = match store {
                RootStore::Bundled => bundled_roots().to_vec(),
                RootStore::System => system_roots()?.to_vec(),
            };
            all.extend(extra.iter().flat_map(|e| e.iter().cloned()));
            RootCerts::Specific(Arc::new(all))
        }
    };
    let config = Agent::config_builder()
        .proxy(pool.proxy.clone())
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(DEFAULT_TIMEOUT))
        .max_idle_connections_per_host(16)
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .build();
    Ok(Agent::with_parts(
        config,
        DefaultConnector::default(),
        CachingResolver::default(),
    ))
}

/// How long a resolved host name is reused.
const RESOLVE_CACHE_TTL: Duration = Duration::from_secs(60);
/// Host names remembered at most (a client talks to one or two).
const RESOLVE_CACHE_MAX: usize = 32;

/// ureq resolves the host before every request, even one that reuses a pooled connection,
/// and with a timeout its default resolver starts a thread per lookup to bound it. This one
/// answers IP literals directly, reuses a name's addresses for a minute, and leaves only the
/// first lookup of a name to the default resolver (still bounded by the timeout).
#[derive(Debug, Default)]
struct CachingResolver {
    fallback: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let key = match (uri.scheme(), uri.authority()) {
            (Some(scheme), Some(authority)) => DefaultResolver::host_and_port(scheme, authority),
            _ => None,
        };
        let Some(key) = key else {
            return self.fallback.resolve(uri, config, timeout);
        };
        if let Ok(addr) = key.parse::<SocketAddr>() {
            let mut addrs = self.empty();
            addrs.push(addr);
            return Ok(addrs);
        }
        let now = Instant::now();
        if let Some((at, addrs)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            if now.duration_since(*at) < RESOLVE_CACHE_TTL {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.fallback.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= RESOLVE_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (now, addrs.clone()));
        Ok(addrs)
    }
}

/// The operating system's trusted roots, loaded once per process.
fn system_roots() -> Result<&'static [Certificate<'static>]> {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    if let Some(roots) = ROOTS.get() {
        return Ok(roots);
    }
    let loaded = rustls_native_certs::load_native_certs();
    let roots: Vec<Certificate<'static>> = loaded
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    if roots.is_empty() {
        return Err(Error::new(
            Status::Io,
            format!(
                "no trusted roots found in the system store ({} errors)",
                loaded.errors.len()
            ),
        ));
    }
    Ok(ROOTS.get_or_init(|| roots))
}

/// Parse a proxy URL: `http://host:port` (HTTP CONNECT), `socks5://host:port` and the other
/// schemes ureq knows (`https`, `socks4`, `socks4a`, `socks5h`), with optional `user:pass@`.
pub fn parse_proxy(url: &str) -> Result<ureq::Proxy> {
    ureq::Proxy::new(url).map_err(|_| {
        Error::invalid("the proxy URL is not valid: use http://host:port or socks5://host:port")
    })
}

/// The bundled (Mozilla) root certificates, parsed once per process.
fn bundled_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// Read the certificates of a PEM file, for [`PoolSettings::extra_roots`].
pub fn load_pem_roots(path: &std::path::Path) -> Result<Vec<Certificate<'static>>> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::new(
            Status::Io,
            format!("cannot read CA file {}: {e}", path.display()),
        )
    })?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::invalid(format!(
                    "CA file {} is not valid PEM: {e}",
                    path.display()
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid(format!(
            "CA file {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// A raw HTTP reply.
#[derive(Debug)]
pub struct HttpReply {
    /// HTTP status code.
    pub status: u16,
    /// The body, at most [`MAX_REPLY_BYTES`].
    pub body: Vec<u8>,
    /// The `Retry-After` header in milliseconds (delta-seconds form only).
    pub retry_after_ms: Option<u32>,
}

/// Send a GET (`form_body` is `None`; `url` carries the query) or a form-encoded POST.
/// A GET whose URL is longer than [`MAX_URL_BYTES`] is refused before any I/O.
pub fn send(
    agent: &Agent,
    url: &str,
    form_body: Option<&str>,
    options: &RequestOptions,
) -> Result<HttpReply> {
    if form_body.is_none() && url.len() > MAX_URL_BYTES {
        return Err(Error::invalid(format!(
            "the GET request's URL is {} bytes, more than the {MAX_URL_BYTES} a request line \
             can carry; send it as a POST (the call flag POST)",
            url.len()
        )));
    }
    // Per-request settings must stay within what ureq lets share the agent's pool: timeouts
    // do; a per-request user_agent config does not, so it travels as a plain header.
    let connect_timeout = options
        .connect_timeout
        .unwrap_or(MAX_CONNECT_TIMEOUT)
        .min(options.timeout);
    let result = match form_body {
        None => agent
            .get(url)
            .config()
            .timeout_global(Some(options.timeout))
            .timeout_connect(Some(connect_timeout))
            .build()
            .header("user-agent", options.user_agent.as_str())
            .call(),
        Some(body) => agent
            .post(url)
            .content_type("application/x-www-form-urlencoded; charset=utf-8")
            .config()
            .timeout_global(Some(options.timeout))
            .timeout_connect(Some(connect_timeout))
            .build()
            .header("user-agent", options.user_agent.as_str())
            .send(body),
    };
    let mut response = result.map_err(map_ureq_error)?;
    let status = response.status().as_u16();
    let retry_after_ms = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(|secs| secs.saturating_mul(1000));
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_REPLY_BYTES)
        .read_to_vec()
        .map_err(|e| map_ureq_error(e).with_http_status(status))?;
    Ok(HttpReply {
        status,
        body,
        retry_after_ms,
    })
}

/// Map a ureq error to our status. Messages are written here, never copied from ureq's
/// Display of a URL, so a query string with `sk` or `api_sig` cannot leak into them.
fn map_ureq_error(err: ureq::Error) -> Error {
    use ureq::Error as U;
    match err {
        U::Timeout(which) => Error::new(Status::Timeout, format!("request timed out ({which})")),
        U::HostNotFound => Error::new(Status::Network, "host not found (DNS)"),
        U::ConnectionFailed => Error::new(Status::Network, "could not connect to the server"),
        U::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            Error::new(Status::Timeout, format!("request timed out: {io}"))
        }
        U::Io(io) => Error::new(Status::Network, format!("connection failed: {io}")),
        U::Tls(msg) => Error::new(Status::Network, format!("TLS failed: {msg}")),
        U::Rustls(e) => Error::new(Status::Network, format!("TLS failed: {e}")),
        U::Protocol(e) => Error::new(Status::Network, format!("malformed HTTP reply: {e}")),
        U::BodyExceedsLimit(limit) => Error::new(
            Status::Parse,
            format!("reply is larger than the {limit}-byte cap"),
        ),
        U::TooManyRedirects | U::RedirectFailed => Error::new(
            Status::Http,
            "the server redirected, which liblfm does not follow",
        ),
        U::BadUri(_) | U::Http(_) => Error::invalid("the base URL is not a valid http(s) URL"),
        U::InvalidProxyUrl => Error::invalid("the proxy URL is not valid"),
        other => Error::new(
            Status::Network,
            format!("HTTP transport failed: {}", kind_of(&other)),
        ),
    }
}

/// A short name for an error variant we do not map specially (no URLs, no data).
fn kind_of(err: &ureq::Error) -> String {
    let debug = format!("{err:?}");
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("unknown")
        .to_string()
}
