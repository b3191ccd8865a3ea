//! A small hand-written HTTP/1.1 server side: request parsing (Content-Length and chunked
//! bodies, `Expect: 100-continue`, a 1 MiB cap), keep-alive, reply writing, and the
//! per-connection loop that executes routing plans ([`crate::faults::Plan`]), faults included.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rustls::{ServerConnection, StreamOwned};

use crate::faults::Action;
use crate::server::Shared;

/// The JSON content type of every API reply.
pub(crate) const JSON: &str = "application/json; charset=utf-8";
/// Largest accepted request (head plus body); larger ones get 413.
pub(crate) const MAX_REQUEST: usize = 1 << 20;
/// How long a connection may sit idle (or stall mid-request) before it is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent (`/2.0/?a=b`).
    pub target: String,
    /// The target up to `?`.
    pub path: String,
    /// The target after `?` (raw, not decoded); empty when there is none.
    pub query: String,
    /// HTTP/1.1 (rather than 1.0).
    pub http11: bool,
    /// Header names and values in arrival order.
    pub headers: Vec<(String, String)>,
    /// The de-chunked body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a `Connection` header lists `token`.
    fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Whether the connection stays open after this request.
    pub(crate) fn keep_alive(&self) -> bool {
        if self.http11 {
            !self.connection_has("close")
        } else {
            self.connection_has("keep-alive")
        }
    }
}

/// A reply body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Bytes(Vec<u8>),
    /// `n` bytes of JSON-shaped filler, generated while writing (the `huge` fault).
    Filler(u64),
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::Filler(n) => *n,
        }
    }
}

/// One HTTP reply. `Content-Length` and `Connection` are added when it is written.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Response {
    pub(crate) fn bytes(status: u16, content_type: Option<&'static str>, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: Body::Bytes(body),
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        Response::bytes(status, Some(JSON), value.to_string().into_bytes())
    }

    pub(crate) fn text(status: u16, text: &str) -> Self {
        Response::bytes(
            status,
            Some("text/plain; charset=utf-8"),
            format!("{text}\n").into_bytes(),
        )
    }
}

/// Why reading a request stopped.
#[derive(Debug)]
pub(crate) enum HttpError {
    /// The peer went away, stalled past the timeout, or TLS failed: just close.
    Io(io::Error),
    /// A protocol error to answer with this status, then close.
    Status(u16, &'static str),
}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> Self {
        HttpError::Io(e)
    }
}

/// A byte stream a connection is served over.
pub(crate) trait Transport: Read + Write {
    /// The underlying socket (for timeouts and shutdown).
    fn tcp(&self) -> &TcpStream;
    /// Ends the stream politely (TLS `close_notify`).
    fn finish(&mut self) {}
}

impl Transport for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Transport for StreamOwned<ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }

    fn finish(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
    }
}

/// Reads one line (up to `\n`) within `budget` bytes, without the line ending.
/// `Ok(None)` means end of stream before any byte.
fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> Result<Option<Vec<u8>>, HttpError> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(HttpError::Status(413, "Request Too Large"));
    }
    *budget -= n;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// Reads one request. `Ok(None)`: the client closed (or idled out) between requests.
/// Writes `100 Continue` to the stream when the client asks for it.
pub(crate) fn read_request<T: Read + Write>(
    conn: &mut BufReader<T>,
) -> Result<Option<Request>, HttpError> {
    let mut budget = MAX_REQUEST;
    // Request line (empty lines before it are tolerated, RFC 9112 2.2).
    let line = loop {
        let line = match read_line(conn, &mut budget) {
            Ok(Some(l)) => l,
            Ok(None) => return Ok(None),
            Err(HttpError::Io(e)) if budget == MAX_REQUEST && is_timeout(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !line.is_empty() {
            break line;
        }
    };
    let line = String::from_utf8(line).map_err(|_| HttpError::Status(400, "Bad Request"))?;
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m, t, v),
        _ => return Err(HttpError::Status(400, "Bad Request")),
    };
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(HttpError::Status(505, "HTTP Version Not Supported")),
    };
    // Absolute-form targets (`http://host/2.0/`) are reduced to their path.
    let origin = match target.find("://") {
        Some(i) => target[i + 3..]
            .find('/')
            .map_or("/", |j| &target[i + 3 + j..]),
        None => target,
    };
    let (path, query) = match origin.split_once('?') {
        Some((p, q)) => (p, q),
        None => (origin, ""),
    };

    let mut headers = Vec::new();
    loop {
        let line = read_line(conn, &mut budget)?
            .ok_or_else(|| HttpError::Io(io::ErrorKind::UnexpectedEof.into()))?;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(&line).into_owned();
        let (name, value) = line
            .split_once(':')
            .filter(|(n, _)| !n.is_empty() && !n.contains(' '))
            .ok_or(HttpError::Status(400, "Bad Request"))?;
        headers.push((name.to_string(), value.trim().to_string()));
    }

    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        http11,
        headers,
        body: Vec::new(),
    };

    let chunked = match req.header("transfer-encoding") {
        None => false,
        Some(te) if te.eq_ignore_ascii_case("chunked") => true,
        Some(_) => return Err(HttpError::Status(501, "Not Implemented")),
    };
    let mut lengths = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<u64>());
    let length = match (lengths.next(), lengths.next()) {
        (None, _) => None,
        (Some(Ok(n)), None) => Some(n),
        _ => return Err(HttpError::Status(400, "Bad Request")),
    };
    if chunked && length.is_some() {
        return Err(HttpError::Status(400, "Bad Request"));
    }
    if length.is_some_and(|n| n > budget as u64) {
        return Err(HttpError::Status(413, "Request Too Large"));
    }
    let has_body = chunked || length.is_some_and(|n| n > 0);
    if has_body
        && http11
        && req
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        let w = conn.get_mut();
        w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        w.flush()?;
    }
    if chunked {
        req.body = read_chunked(conn, &mut budget)?;
    } else if let Some(n) = length {
        let mut body = vec![0; n as usize];
        conn.read_exact(&mut body)?;
        req.body = body;
    }
    Ok(Some(req))
}

/// Reads a chunked body (and its trailer section).
fn read_chunked<R: BufRead>(r: &mut R, budget: &mut usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r, budget)?
            .ok_or_else(|| HttpError::Io(io::ErrorKind::UnexpectedEof.into()))?;
        let line = String::from_utf8_lossy(&line);
        let size = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| HttpError::Status(400, "Bad Request"))?;
        if size == 0 {
            break;
        }
        if size > *budget {
            return Err(HttpError::Status(413, "Request Too Large"));
        }
        *budget -= size;
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let end = read_line(r, budget)?;
        if end.as_deref() != Some(&b""[..]) {
            return Err(HttpError::Status(400, "Bad Request"));
        }
    }
    // Trailer fields, up to the empty line.
    loop {
        match read_line(r, budget)? {
            Some(l) if l.is_empty() => return Ok(body),
            Some(_) => {}
            None => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Standard reason phrase of `status`.
fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The status line and headers of `resp`.
fn head(resp: &Response, keep_alive: bool) -> Vec<u8> {
    let mut h = format!(
        "HTTP/1.1 {} {}\r\nServer: lfm-mock\r\n",
        resp.status,
        reason(resp.status)
    );
    if let Some(ct) = resp.content_type {
        h.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    h.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    for (name, value) in &resp.headers {
        h.push_str(&format!("{name}: {value}\r\n"));
    }
    h.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    h.into_bytes()
}

/// Writes `resp` completely.
pub(crate) fn write_response<W: Write>(
    w: &mut W,
    resp: &Response,
    keep_alive: bool,
) -> io::Result<()> {
    w.write_all(&head(resp, keep_alive))?;
    match &resp.body {
        Body::Bytes(b) => w.write_all(b)?,
        Body::Filler(n) => write_filler(w, *n)?,
    }
    w.flush()
}

/// `{"filler":"xxxx…"}`, exactly `n` bytes long (just `x`s when `n` is tiny).
fn write_filler<W: Write>(w: &mut W, n: u64) -> io::Result<()> {
    const PREFIX: &[u8] = b"{\"filler\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let framed = n >= (PREFIX.len() + SUFFIX.len()) as u64;
    let mut middle = n;
    if framed {
        w.write_all(PREFIX)?;
        middle -= (PREFIX.len() + SUFFIX.len()) as u64;
    }
    let chunk = [b'x'; 64 * 1024];
    while middle > 0 {
        let k = middle.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..k])?;
        middle -= k as u64;
    }
    if framed {
        w.write_all(SUFFIX)?;
    }
    Ok(())
}

/// Serves requests on one accepted connection until it closes, idles out, a fault ends
/// it, or the server stops.
pub(crate) fn serve_connection<T: Transport>(transport: T, shared: &Shared, scheme: Scheme) {
    let mut conn = BufReader::with_capacity(64 * 1024, transport);
    while !shared.stopping() {
        let req = match read_request(&mut conn) {
            Ok(Some(req)) => req,
            Ok(None) | Err(HttpError::Io(_)) => break,
            Err(HttpError::Status(status, text)) => {
                shared.state().stats.requests += 1;
                if shared.config.verbose {
                    eprintln!(
                        "lfm-mock: {} (malformed request) -> {status}",
                        scheme.as_str()
                    );
                }
                let _ = write_response(conn.get_mut(), &Response::text(status, text), false);
                break;
            }
        };
        let keep_alive = req.keep_alive();
        let (plan, label) = crate::api::route(shared, &req, scheme);
        if shared.config.verbose {
            let outcome = match &plan.action {
                Action::Respond(r) | Action::ResetMidBody(r) => r.status.to_string(),
                Action::Drop => "drop".into(),
                Action::Hang => "hang".into(),
            };
            let fault = plan
                .fault
                .map(|f| format!(" [fault {f}]"))
                .unwrap_or_default();
            eprintln!(
                "lfm-mock: {} {} {} {label} -> {outcome}{fault}",
                scheme.as_str(),
                req.method,
                req.path
            );
        }
        if let Some(delay) = plan.delay {
            shared.sleep(delay);
        }
        match plan.action {
            Action::Respond(resp) => {
                if write_response(conn.get_mut(), &resp, keep_alive).is_err() {
                    return;
                }
                if !keep_alive {
                    break;
                }
            }
            Action::Drop => {
                let _ = conn.get_ref().tcp().shutdown(Shutdown::Both);
                return;
            }
            Action::Hang => {
                shared.sleep(Duration::from_secs(120));
                let _ = conn.get_ref().tcp().shutdown(Shutdown::Both);
                return;
            }
            Action::ResetMidBody(resp) => {
                let w = conn.get_mut();
                let _ = w.write_all(&head(&resp, true));
                if let Body::Bytes(b) = &resp.body {
                    let _ = w.write_all(&b[..b.len() / 2]);
                }
                let _ = w.flush();
                let _ = conn.get_ref().tcp().shutdown(Shutdown::Both);
                return;
            }
        }
    }
    conn.get_mut().finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// An in-memory duplex stream: reads from `input`, collects writes in `output`.
    struct Duplex {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn reader(bytes: &[u8]) -> BufReader<Duplex> {
        BufReader::new(Duplex {
            input: Cursor::new(bytes.to_vec()),
            output: Vec::new(),
        })
    }

    #[test]
    fn parses_pipelined_requests_with_both_body_framings() {
        let mut r = reader(
            b"\r\nPOST /2.0/?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloPOST /2.0/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n3;ext\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n",
        );
        let a = read_request(&mut r).unwrap().unwrap();
        assert_eq!((a.path.as_str(), a.query.as_str()), ("/2.0/", "x=1"));
        assert_eq!(a.body, b"hello");
        assert!(a.keep_alive());
        let b = read_request(&mut r).unwrap().unwrap();
        assert_eq!(b.body, b"abcde");
        assert!(!b.keep_alive());
        assert_eq!(r.get_ref().output, b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn rejects_oversized_and_malformed_requests() {
        let big = format!(
            "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            MAX_REQUEST + 1
        );
        assert!(matches!(
            read_request(&mut reader(big.as_bytes())),
            Err(HttpError::Status(413, _))
        ));
        assert!(matches!(
            read_request(&mut reader(b"GET /\r\n\r\n")),
            Err(HttpError::Status(400, _))
        ));
        assert!(matches!(
            read_request(&mut reader(
                b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
            )),
            Err(HttpError::Status(400, _))
        ));
    }

    #[test]
    fn filler_has_the_exact_length() {
        for n in [0u64, 5, 13, 14, 100_000] {
            let mut out = Vec::new();
            write_filler(&mut out, n).unwrap();
            assert_eq!(out.len() as u64, n);
        }
        let mut out = Vec::new();
        write_filler(&mut out, 20).unwrap();
        assert_eq!(out, b"{\"filler\":\"xxxxxxx\"}");
    }
}
