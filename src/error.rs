//! The one error type of the library: a stable status, optional Last.fm and HTTP
//! codes, a message that never contains a secret, and a retry suggestion.

use std::fmt;

use crate::api_code;

/// What kind of failure an [`Error`] is (or [`Status::Ok`]). New kinds are only ever appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok,
    /// A missing or invalid argument: invalid UTF-8, a bad option value, a reserved
    /// parameter name.
    InvalidArgument,
    /// DNS, connect, TLS or a connection reset.
    Network,
    /// The request did not complete within the client's timeout.
    Timeout,
    /// An HTTP error status (or redirect) whose body carried no Last.fm error.
    Http,
    /// A body that is not the expected JSON.
    Parse,
    /// The server answered with a Last.fm error code.
    Api,
    /// Credentials refused over plain http.
    Insecure,
    /// A call needs a session key and the client has none.
    NoSession,
    /// A local file could not be read or written.
    Io,
    /// An internal bug (a panic), caught at the library boundary.
    Panic,
}

impl Status {
    /// Every status, in the order they were added.
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::Network,
        Status::Timeout,
        Status::Http,
        Status::Parse,
        Status::Api,
        Status::Insecure,
        Status::NoSession,
        Status::Io,
        Status::Panic,
    ];

    /// Static, human-readable text for the status.
    pub fn description(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::InvalidArgument => "invalid argument",
            Status::Network => "network error",
            Status::Timeout => "timed out",
            Status::Http => "HTTP error",
            Status::Parse => "unexpected reply",
            Status::Api => "Last.fm API error",
            Status::Insecure => "credentials refused over plain http",
            Status::NoSession => "no session key",
            Status::Io => "I/O error",
            Status::Panic => "internal error (panic caught)",
        }
    }
}

/// Last.fm error codes the library treats as transient.
const RETRYABLE_API_CODES: [i32; 4] = [
    api_code::OPERATION_FAILED,
    api_code::SERVICE_OFFLINE,
    api_code::TEMPORARILY_UNAVAILABLE,
    api_code::RATE_LIMIT_EXCEEDED,
];

/// An error from any operation of the library.
///
/// The message is meant for logs and bug reports: it never contains a password, session key,
/// token, api_sig, api key or secret (callers of [`Error::new`] pass text that has none).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    api_code: i32,
    http_status: u16,
    message: String,
    retry_after_ms: u32,
    /// Nothing was wrong with the request; it is to be sent again after `retry_after_ms`
    /// (the daily scrobble limit). Set only by [`Error::retry_later`].
    retry_later: bool,
}

impl Error {
    /// An error with a status and a message.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            api_code: 0,
            http_status: 0,
            message: message.into(),
            retry_after_ms: 0,
            retry_later: false,
        }
    }

    /// A request that is fine but must wait `retry_after_ms` (the account's daily scrobble
    /// limit, until midnight UTC): [`Status::Api`] with no Last.fm code, always retryable.
    pub fn retry_later(message: impl Into<String>, retry_after_ms: u32) -> Error {
        Error {
            retry_after_ms,
            retry_later: true,
            ..Error::new(Status::Api, message)
        }
    }

    /// Shorthand for [`Status::InvalidArgument`].
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// A Last.fm error reply.
    pub fn api(code: i32, message: impl Into<String>, http_status: u16) -> Error {
        Error {
            api_code: code,
            http_status,
            ..Error::new(Status::Api, message)
        }
    }

    /// Attach the HTTP status of the reply that caused the error.
    pub fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }

    /// Attach a suggested wait before retrying.
    pub fn with_retry_after_ms(mut self, ms: u32) -> Error {
        self.retry_after_ms = ms;
        self
    }

    /// The same error with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> Error {
        self.message = message.into();
        self
    }

    /// The same error with `prefix` put before its message.
    pub fn prefixed(mut self, prefix: &str) -> Error {
        self.message.insert_str(0, prefix);
        self
    }

    /// The status code.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The Last.fm error code (2..29), 0 when the server sent none.
    pub fn api_code(&self) -> i32 {
        self.api_code
    }

    /// The HTTP status of the reply, 0 when there was no reply.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// The human-readable message (secret-free).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A suggested wait in milliseconds before retrying, 0 when none.
    pub fn retry_after_ms(&self) -> u32 {
        self.retry_after_ms
    }

    /// Whether the same request may succeed later: network failures, timeouts, HTTP 5xx and
    /// 429, Last.fm errors 8 (operation failed), 11 (offline), 16 (unavailable), 29 (rate limit),
    /// and a queue flush stopped by the daily scrobble limit ([`Error::retry_later`], with the
    /// wait until midnight UTC in `retry_after_ms`).
    /// Not what only the user can fix: errors 4 (authentication), 9 (session), 10 (API key),
    /// 26 (suspended key), invalid arguments, I/O.
    pub fn is_retryable(&self) -> bool {
        match self.status {
            Status::Network | Status::Timeout => true,
            Status::Http => (500..=599).contains(&self.http_status) || self.http_status == 429,
            Status::Api if self.retry_later => true,
            Status::Api => RETRYABLE_API_CODES.contains(&self.api_code),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.description())?;
        if self.api_code != 0 {
            write!(f, " {}", self.api_code)?;
        }
        if self.http_status != 0 {
            write!(f, " (HTTP {})", self.http_status)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_status_once() {
        // The match fails to compile when a variant is added and not handled here.
        let listed = |s: Status| match s {
            Status::Ok
            | Status::InvalidArgument
            | Status::Network
            | Status::Timeout
            | Status::Http
            | Status::Parse
            | Status::Api
            | Status::Insecure
            | Status::NoSession
            | Status::Io
            | Status::Panic => Status::ALL.iter().filter(|a| **a == s).count(),
        };
        for s in Status::ALL {
            assert_eq!(listed(s), 1, "{s:?}");
        }
        assert_eq!(Status::ALL.len(), 11);
    }

    #[test]
    fn retryable_classification() {
        assert!(Error::new(Status::Network, "x").is_retryable());
        assert!(Error::new(Status::Timeout, "x").is_retryable());
        assert!(Error::new(Status::Http, "x")
            .with_http_status(503)
            .is_retryable());
        assert!(Error::new(Status::Http, "x")
            .with_http_status(429)
            .is_retryable());
        assert!(!Error::new(Status::Http, "x")
            .with_http_status(404)
            .is_retryable());
        for code in [8, 11, 16, 29] {
            assert!(Error::api(code, "x", 500).is_retryable(), "{code}");
        }
        for code in [4, 6, 9, 10, 13, 14, 15] {
            assert!(!Error::api(code, "x", 403).is_retryable(), "{code}");
        }
        assert!(!Error::invalid("x").is_retryable());
        // The queue's daily-limit stop: no Last.fm code, a wait until midnight UTC.
        assert!(Error::retry_later("daily limit", 3_600_000).is_retryable());
        assert!(!Error::new(Status::Api, "x").is_retryable());
        // A server's `"error": 0` with a Retry-After is not the daily limit.
        assert!(!Error::api(0, "x", 200)
            .with_retry_after_ms(60_000)
            .is_retryable());
        // What only the user can fix stays "no", whatever Retry-After the reply carried.
        for code in [4, 9, 10, 26] {
            assert!(
                !Error::api(code, "x", 403)
                    .with_retry_after_ms(60_000)
                    .is_retryable(),
                "{code}"
            );
        }
    }

    #[test]
    fn display_includes_codes() {
        let e = Error::api(9, "Invalid session key", 403);
        assert_eq!(
            e.to_string(),
            "Last.fm API error 9 (HTTP 403): Invalid session key"
        );
    }
}
