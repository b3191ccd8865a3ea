//! Listeners, connection threads and the [`MockServer`] handle.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::config::MockConfig;
use crate::faults::Fault;
use crate::http::{self, Scheme};
use crate::state::{State, Stats, StoredScrobble};
use crate::tls;

/// How long [`MockServer::stop`] waits for connection threads to finish.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// What every thread of one server shares.
pub(crate) struct Shared {
    pub config: MockConfig,
    state: Mutex<State>,
    stop: AtomicBool,
    /// Clones of the open sockets, so `stop` can unblock their threads.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// Connection threads still running.
    active: AtomicUsize,
}

impl Shared {
    /// The state, even if a thread panicked while holding it.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the server is stopping.
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleeps for `d`, or less if the server stops meanwhile.
    pub(crate) fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.stopping() {
            let now = Instant::now();
            if now >= end {
                break;
            }
            thread::sleep((end - now).min(Duration::from_millis(50)));
        }
    }

    /// Shuts down every open connection.
    fn close_all(&self) {
        for (_, s) in self.conns().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Unregisters a connection when its thread ends (even by panic).
struct ConnGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.shared.conns().remove(&self.id);
        self.shared.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running mock server. Stops on [`stop`](MockServer::stop) or when dropped.
pub struct MockServer {
    shared: Arc<Shared>,
    http_addr: SocketAddr,
    https_addr: SocketAddr,
    ca_pem_path: PathBuf,
    accept_threads: Vec<JoinHandle<()>>,
}

impl MockServer {
    /// Creates `state_dir`, generates the certificates, writes `ca.pem`, binds both
    /// listeners on 127.0.0.1 and starts serving.
    pub fn start(config: MockConfig) -> io::Result<MockServer> {
        std::fs::create_dir_all(&config.state_dir)?;
        let material = tls::generate(config.tls_flavor)?;
        let ca_pem_path = config.state_dir.join("ca.pem");
        std::fs::write(&ca_pem_path, material.ca_pem.as_bytes())?;
        let http_listener = TcpListener::bind(("127.0.0.1", config.http_port))?;
        let https_listener = TcpListener::bind(("127.0.0.1", config.https_port))?;
        let http_addr = http_listener.local_addr()?;
        let https_addr = https_listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            active: AtomicUsize::new(0),
        });
        let mut server = MockServer {
            shared: shared.clone(),
            http_addr,
            https_addr,
            ca_pem_path,
            accept_threads: Vec::new(),
        };
        let tls_config = material.server_config;
        for (listener, tls) in [(http_listener, None), (https_listener, Some(tls_config))] {
            let shared = shared.clone();
            let handle = thread::Builder::new()
                .name("lfm-mock-accept".into())
                .spawn(move || accept_loop(listener, shared, tls))?;
            server.accept_threads.push(handle);
        }
        Ok(server)
    }

    /// The plain-HTTP API root, `http://127.0.0.1:PORT/2.0/`.
    pub fn http_base(&self) -> String {
        format!("http://{}/2.0/", self.http_addr)
    }

    /// The HTTPS API root, `https://127.0.0.1:PORT/2.0/`.
    pub fn https_base(&self) -> String {
        format!("https://{}/2.0/", self.https_addr)
    }

    /// Address of the plain-HTTP listener.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Address of the HTTPS listener.
    pub fn https_addr(&self) -> SocketAddr {
        self.https_addr
    }

    /// `<state_dir>/ca.pem`: the CA to trust for the HTTPS listener.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.ca_pem_path.clone()
    }

    /// The state directory in use.
    pub fn state_dir(&self) -> PathBuf {
        self.shared.config.state_dir.clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.state().stats.clone()
    }

    /// The stored scrobbles, in arrival order.
    pub fn scrobbles(&self) -> Vec<StoredScrobble> {
        self.shared.state().scrobbles.clone()
    }

    /// The last now-playing record (as `mock.nowPlaying` shows it), if any.
    pub fn now_playing(&self) -> Option<serde_json::Value> {
        self.shared.state().now_playing.clone()
    }

    /// The last non-mock request (as `mock.lastRequest` shows it), if any.
    pub fn last_request(&self) -> Option<serde_json::Value> {
        self.shared.state().last_request.clone()
    }

    /// Queues `fault` for the next `count` API requests (`DailyLimit` sets state instead).
    pub fn push_fault(&self, fault: Fault, count: u32) {
        self.shared.state().push_fault(fault, count, None);
    }

    /// Queues `fault` for the next `count` requests for `method` only (e.g.
    /// `track.scrobble`), so that a request another thread sends meanwhile (a scrobbler's
    /// now playing) does not take it.
    pub fn push_fault_for(&self, method: &str, fault: Fault, count: u32) {
        self.shared
            .state()
            .push_fault(fault, count, Some(method.to_string()));
    }

    /// Makes the next `count` requests for `page` of the read method `method` (e.g.
    /// `user.getRecentTracks`) answer Last.fm error `code`, with HTTP status `http`
    /// (`None`: the usual one for the code), like `mock.pageFault`.
    pub fn push_page_fault(
        &self,
        method: &str,
        page: u64,
        code: u32,
        http: Option<u16>,
        count: u32,
    ) {
        self.shared
            .state()
            .reads
            .push_page_fault(method.to_string(), page, code, http, count);
    }

    /// The account's whole history, newest first, as the read methods serve it (loaded
    /// plays and stored scrobbles), like `mock.plays`.
    pub fn history(&self) -> Vec<crate::HistoryPlay> {
        crate::reads::history_plays(&self.shared.state())
    }

    /// Approves a token from `auth.getToken` for the account; false if it is unknown.
    pub fn approve_token(&self, token: &str) -> bool {
        self.shared
            .state()
            .approve_token(token, crate::MOCK_USERNAME)
    }

    /// Makes a token expired; false if it is unknown.
    pub fn expire_token(&self, token: &str) -> bool {
        self.shared.state().expire_token(token)
    }

    /// Creates a live session for the account without logging in; returns its key.
    pub fn create_session(&self) -> String {
        self.shared.state().new_session(crate::MOCK_USERNAME)
    }

    /// Revokes every session (later session calls get error 9).
    pub fn revoke_sessions(&self) {
        self.shared.state().sessions.clear();
    }

    /// Clears scrobbles, sessions, tokens, faults and counters (like `mock.reset`).
    pub fn reset(&self) {
        self.shared.state().reset();
    }

    /// Stops the listeners, closes open connections and joins the threads (waiting at
    /// most a couple of seconds for connection threads). Dropping the server does the same.
    pub fn stop(self) {}

    fn shutdown(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loops, which check the flag after every accept.
        for addr in [self.http_addr, self.https_addr] {
            let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
        }
        self.shared.close_all();
        for t in self.accept_threads.drain(..) {
            let _ = t.join();
        }
        self.shared.close_all();
        let deadline = Instant::now() + STOP_GRACE;
        while self.shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("http", &self.http_addr)
            .field("https", &self.https_addr)
            .field("ca_pem_path", &self.ca_pem_path)
            .finish()
    }
}

/// Accepts connections until the server stops; one thread per connection.
fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<Arc<ServerConfig>>) {
    for stream in listener.incoming() {
        if shared.stopping() {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(_) => {
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        shared.state().stats.connections += 1;
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            shared.conns().insert(id, clone);
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        if shared.stopping() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let guard = ConnGuard {
            shared: shared.clone(),
            id,
        };
        let tls = tls.clone();
        let spawned = thread::Builder::new()
            .name(format!("lfm-mock-conn-{id}"))
            .spawn(move || {
                let shared = guard.shared.clone();
                serve(stream, &shared, tls);
                drop(guard);
            });
        if spawned.is_err() {
            // The guard was dropped with the closure: the connection is unregistered.
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Sets timeouts and serves one connection, over TLS when `tls` is given.
fn serve(stream: TcpStream, shared: &Shared, tls: Option<Arc<ServerConfig>>) {
    let _ = stream.set_read_timeout(Some(http::IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(http::IDLE_TIMEOUT));
    let _ = stream.set_nodelay(true);
    match tls {
        None => http::serve_connection(stream, shared, Scheme::Http),
        Some(config) => {
            if let Ok(conn) = ServerConnection::new(config) {
                http::serve_connection(StreamOwned::new(conn, stream), shared, Scheme::Https);
            }
        }
    }
}
