//! Fault injection: what a queued fault does to the next API request.
//!
//! Faults are queued with [`MockServer::push_fault`](crate::MockServer::push_fault) or
//! `mock.fault` and apply, in order, to the next non-`mock.*` requests on the API path.
//! `delay`, `reset_mid_body` and `truncated_json` let the request be processed
//! normally (state changes, e.g. a scrobble is stored) and only delay or damage the
//! reply, as when a reply is lost on the way back; every other fault answers without
//! processing the request.

use std::time::Duration;

use crate::form::Params;
use crate::http::{Body, Response};

/// A fault to inject, queued with [`MockServer::push_fault`](crate::MockServer::push_fault)
/// or `mock.fault`; queued faults apply, in order, to the next non-`mock.*` requests on
/// the API path (each for its `count`), or only to requests for one method
/// ([`MockServer::push_fault_for`](crate::MockServer::push_fault_for), `method_name`).
///
/// `Delay`, `ResetMidBody` and `TruncatedJson` let the request be processed normally
/// (state changes: a scrobble is stored) and only delay or damage the reply, as when a
/// reply is lost on the way back; every other kind answers without processing the
/// request. The `mock.fault` `kind` of each variant is at the start of its doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `api_error`: a Last.fm error body `{"error":code,...}`, with the HTTP status of the
    /// usual mapping unless `http` overrides it.
    ApiError {
        /// Last.fm error code.
        code: u32,
        /// HTTP status override.
        http: Option<u16>,
    },
    /// `html`: a `text/html` "Temporarily unavailable, try again in 30 seconds" page.
    Html {
        /// HTTP status (default 503).
        http: u16,
    },
    /// `empty`: an empty body.
    Empty {
        /// HTTP status (default 200).
        http: u16,
    },
    /// `not_json`: 200 `text/plain` `OK`.
    NotJson,
    /// `delay`: wait, then answer normally.
    Delay {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// `drop`: read the request, close the socket without replying.
    Drop,
    /// `reset_mid_body`: headers announcing the full reply, half its body, then shutdown.
    ResetMidBody,
    /// `truncated_json`: 200, the real JSON reply cut in half (Content-Length consistent).
    TruncatedJson,
    /// `malformed_json`: 200 `{"session":`.
    MalformedJson,
    /// `invalid_utf8`: 200 JSON whose string contains the bytes 0xff 0xfe.
    InvalidUtf8,
    /// `huge`: 200 with a body of `bytes` bytes of JSON-shaped filler.
    Huge {
        /// Body size in bytes (default 16 MiB).
        bytes: u64,
    },
    /// `redirect_loop`: 302 with `Location` pointing at the same URL.
    RedirectLoop,
    /// `hang`: read the request and never answer (until the server stops, or 120 s).
    Hang,
    /// `daily_limit`: not a per-request fault: after `remaining` more accepted scrobbles,
    /// scrobble items are ignored with code 5 (until `mock.reset`).
    DailyLimit {
        /// Accepted scrobbles left.
        remaining: u32,
    },
}

/// Default size of a `huge` body.
const DEFAULT_HUGE: u64 = 16 << 20;
/// Largest accepted `huge` body.
const MAX_HUGE: u64 = 4 << 30;
/// Longest accepted `delay`.
const MAX_DELAY_MS: u64 = 600_000;

impl Fault {
    /// The `mock.fault` `kind` name.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::ApiError { .. } => "api_error",
            Fault::Html { .. } => "html",
            Fault::Empty { .. } => "empty",
            Fault::NotJson => "not_json",
            Fault::Delay { .. } => "delay",
            Fault::Drop => "drop",
            Fault::ResetMidBody => "reset_mid_body",
            Fault::TruncatedJson => "truncated_json",
            Fault::MalformedJson => "malformed_json",
            Fault::InvalidUtf8 => "invalid_utf8",
            Fault::Huge { .. } => "huge",
            Fault::RedirectLoop => "redirect_loop",
            Fault::Hang => "hang",
            Fault::DailyLimit { .. } => "daily_limit",
        }
    }

    /// Reads a `mock.fault` request: `kind`, `count` (default 1) and the kind's own
    /// parameters. The error is a message for error 6.
    pub(crate) fn from_params(p: &Params) -> Result<(Fault, u32), String> {
        let count = number::<u32>(p, "count")?.unwrap_or(1);
        let http = number::<u16>(p, "http")?;
        if let Some(status) = http {
            if !(100..=999).contains(&status) {
                return Err(format!("Invalid parameters - bad http status {status}"));
            }
        }
        let fault = match p.get("kind").unwrap_or("") {
            "api_error" => Fault::ApiError {
                code: number(p, "code")?.ok_or("Invalid parameters - api_error needs code")?,
                http,
            },
            "html" => Fault::Html {
                http: http.unwrap_or(503),
            },
            "empty" => Fault::Empty {
                http: http.unwrap_or(200),
            },
            "not_json" => Fault::NotJson,
            "delay" => Fault::Delay {
                ms: number::<u64>(p, "ms")?.unwrap_or(1000).min(MAX_DELAY_MS),
            },
            "drop" => Fault::Drop,
            "reset_mid_body" => Fault::ResetMidBody,
            "truncated_json" => Fault::TruncatedJson,
            "malformed_json" => Fault::MalformedJson,
            "invalid_utf8" => Fault::InvalidUtf8,
            "huge" => Fault::Huge {
                bytes: number::<u64>(p, "bytes")?
                    .unwrap_or(DEFAULT_HUGE)
                    .min(MAX_HUGE),
            },
            "redirect_loop" => Fault::RedirectLoop,
            "hang" => Fault::Hang,
            "daily_limit" => Fault::DailyLimit {
                remaining: number(p, "remaining")?.unwrap_or(0),
            },
            other => return Err(format!("Invalid parameters - unknown fault kind '{other}'")),
        };
        Ok((fault, count))
    }
}

/// An optional unsigned integer parameter.
fn number<T: std::str::FromStr>(p: &Params, name: &str) -> Result<Option<T>, String> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| format!("Invalid parameters - '{name}' must be a number")),
    }
}

/// What the connection does with a request.
#[derive(Debug)]
pub(crate) enum Action {
    /// Write this reply.
    Respond(Response),
    /// Close the socket without replying.
    Drop,
    /// Hold the socket, never reply.
    Hang,
    /// Write the head of this reply, half its body, then shut the socket down.
    ResetMidBody(Response),
}

/// The outcome of routing one request.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Wait this long before acting.
    pub delay: Option<Duration>,
    pub action: Action,
    /// The fault applied, for the log.
    pub fault: Option<&'static str>,
}

impl Plan {
    /// Answer with `response`, no fault.
    pub(crate) fn respond(response: Response) -> Plan {
        Plan {
            delay: None,
            action: Action::Respond(response),
            fault: None,
        }
    }
}

/// The `html` fault's page.
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Last.fm</title></head>\n<body><h1>Temporarily unavailable</h1>\n<p>Temporarily unavailable, try again in 30 seconds</p></body></html>\n";

/// Applies `fault` to a request. `normal` produces (and processes) the regular reply and is
/// called only by the faults that let the request through; `location` is the request's
/// own URL (for `redirect_loop`).
pub(crate) fn apply(fault: Fault, location: &str, normal: impl FnOnce() -> Response) -> Plan {
    let kind = fault.kind();
    let mut delay = None;
    let action = match fault {
        Fault::ApiError { code, http } => {
            let mut r = crate::api::ApiError::new(code).into_response();
            if let Some(status) = http {
                r.status = status;
            }
            Action::Respond(r)
        }
        Fault::Html { http } => Action::Respond(Response::bytes(
            http,
            Some("text/html; charset=utf-8"),
            HTML_PAGE.as_bytes().to_vec(),
        )),
        Fault::Empty { http } => Action::Respond(Response::bytes(http, None, Vec::new())),
        Fault::NotJson => Action::Respond(Response::bytes(
            200,
            Some("text/plain; charset=utf-8"),
            b"OK".to_vec(),
        )),
        Fault::Delay { ms } => {
            delay = Some(Duration::from_millis(ms));
            Action::Respond(normal())
        }
        Fault::Drop => Action::Drop,
        Fault::Hang => Action::Hang,
        Fault::ResetMidBody => Action::ResetMidBody(normal()),
        Fault::TruncatedJson => {
            let mut r = normal();
            r.status = 200;
            if let Body::Bytes(b) = &mut r.body {
                let half = b.len() / 2;
                b.truncate(half);
            }
            Action::Respond(r)
        }
        Fault::MalformedJson => Action::Respond(Response::bytes(
            200,
            Some(crate::http::JSON),
            b"{\"session\":".to_vec(),
        )),
        Fault::InvalidUtf8 => {
            let mut body = b"{\"session\":{\"name\":\"RJ".to_vec();
            body.extend_from_slice(&[0xff, 0xfe]);
            body.extend_from_slice(
                b"\",\"key\":\"00000000000000000000000000000000\",\"subscriber\":\"0\"}}",
            );
            Action::Respond(Response::bytes(200, Some(crate::http::JSON), body))
        }
        Fault::Huge { bytes } => Action::Respond(Response {
            status: 200,
            content_type: Some(crate::http::JSON),
            headers: Vec::new(),
            body: Body::Filler(bytes),
        }),
        Fault::RedirectLoop => {
            let mut r = Response::bytes(302, None, Vec::new());
            r.headers.push(("Location", location.to_string()));
            Action::Respond(r)
        }
        Fault::DailyLimit { .. } => Action::Respond(normal()),
    };
    Plan {
        delay,
        action,
        fault: Some(kind),
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
    fn parses_fault_requests() {
        assert_eq!(
            Fault::from_params(&params("kind=api_error&code=29&count=3")),
            Ok((
                Fault::ApiError {
                    code: 29,
                    http: None
                },
                3
            ))
        );
        assert_eq!(
            Fault::from_params(&params("kind=html")),
            Ok((Fault::Html { http: 503 }, 1))
        );
        assert!(Fault::from_params(&params("kind=api_error")).is_err());
        assert!(Fault::from_params(&params("kind=nope")).is_err());
        assert!(Fault::from_params(&params("kind=drop&count=x")).is_err());
    }

    #[test]
    fn truncation_keeps_half_of_the_real_reply() {
        let plan = apply(Fault::TruncatedJson, "", || {
            Response::json(200, &serde_json::json!({"token": "abcdef"}))
        });
        match plan.action {
            Action::Respond(r) => match r.body {
                Body::Bytes(b) => assert_eq!(b, b"{\"token\":"),
                Body::Filler(_) => panic!("unexpected filler"),
            },
            other => panic!("unexpected {other:?}"),
        }
    }
}
