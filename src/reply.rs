//! Turning an HTTP reply into either the JSON body or an [`Error`], by Last.fm's rules:
//! a JSON body with `error` is an API error whatever the HTTP status; an HTML or other
//! non-JSON error page is an HTTP error; a 2xx body that is not JSON is a parse error.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Result, Status};

/// Interpret a reply. `retry_after_ms` is the server's `Retry-After`, if any.
pub fn interpret(http_status: u16, body: Vec<u8>, retry_after_ms: Option<u32>) -> Result<String> {
    let success = (200..300).contains(&http_status);
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(_) if success => {
            return Err(Error::new(Status::Parse, "reply body is not valid UTF-8")
                .with_http_status(http_status))
        }
        Err(_) => return Err(http_error(http_status, retry_after_ms)),
    };
    match serde_json::from_str::<TopLevel>(&text) {
        Ok(top) => {
            if let Some(err) = top.api_error(http_status, retry_after_ms) {
                Err(err)
            } else if success {
                Ok(text)
            } else {
                Err(http_error(http_status, retry_after_ms))
            }
        }
        Err(_) if success => Err(Error::new(
            Status::Parse,
            format!(
                "reply is not JSON ({} bytes starting {:?})",
                text.len(),
                preview(&text)
            ),
        )
        .with_http_status(http_status)),
        Err(_) => Err(http_error(http_status, retry_after_ms)),
    }
}

/// What `interpret` needs from a body: that it is valid JSON, and the top-level `error` and
/// `message` members if it is an object. Every other value is validated and skipped without
/// being built, so a successful reply costs one allocation-free pass.
#[derive(Default)]
struct TopLevel {
    error: Option<Value>,
    message: Option<String>,
}

impl TopLevel {
    fn api_error(self, http_status: u16, retry_after_ms: Option<u32>) -> Option<Error> {
        let code = match self.error? {
            Value::Number(n) => n.as_i64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        let code = i32::try_from(code).ok()?;
        let message = self.message.as_deref().unwrap_or("no message");
        Some(
            Error::api(code, message, http_status).with_retry_after_ms(retry_after_ms.unwrap_or(0)),
        )
    }
}

impl<'de> de::Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<TopLevel, A::Error> {
        let mut top = TopLevel::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "error" => top.error = Some(map.next_value()?),
                "message" => top.message = map.next_value::<Value>()?.as_str().map(str::to_string),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<TopLevel, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::default())
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
    fn visit_unit<E>(self) -> std::result::Result<TopLevel, E> {
        Ok(TopLevel::default())
    }
}

fn http_error(http_status: u16, retry_after_ms: Option<u32>) -> Error {
    let hint = match http_status {
        300..=399 => " (a redirect, which liblfm does not follow: check the base URL)",
        429 => " (rate limited)",
        500..=599 => " (server error; try again later)",
        _ => "",
    };
    Error::new(
        Status::Http,
        format!("server answered HTTP {http_status} without a Last.fm error{hint}"),
    )
    .with_http_status(http_status)
    .with_retry_after_ms(retry_after_ms.unwrap_or(0))
}

/// The first characters of a body, for messages, with the values of secret-like members
/// (a session's `"key"`, a `"token"`, ...) redacted even when the body is cut inside one.
fn preview(text: &str) -> String {
    let start: String = text.chars().take(40).collect();
    crate::log::redact_secret_members(&start).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_wins_over_status() {
        let e = interpret(
            200,
            br#"{"error":9,"message":"Invalid session key"}"#.to_vec(),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (e.status(), e.api_code(), e.http_status()),
            (Status::Api, 9, 200)
        );
        let e = interpret(
            403,
            br#"{"error":"13","message":"Invalid sig","links":[]}"#.to_vec(),
            None,
        )
        .unwrap_err();
        assert_eq!((e.status(), e.api_code()), (Status::Api, 13));
    }

    #[test]
    fn only_valid_json_passes_and_top_level_error_counts() {
        for ok in [
            r#"{"user":{"error":9,"x":[1,2,{"a":null}]}}"#,
            "[1,2]",
            "\"x\"",
            "3",
            "null",
            "true",
            r#"{"message":"hi"}"#,
        ] {
            assert!(interpret(200, ok.as_bytes().to_vec(), None).is_ok(), "{ok}");
        }
        for bad in ["{", r#"{"a":1,}"#, "[1 2]", "", "nul", r#"{"a":"\ud800"}x"#] {
            assert_eq!(
                interpret(200, bad.as_bytes().to_vec(), None)
                    .unwrap_err()
                    .status(),
                Status::Parse,
                "{bad}"
            );
        }
        // Duplicate or odd members: the last "error" wins, a non-string message is ignored.
        let e = interpret(200, br#"{"message":5,"error":"16"}"#.to_vec(), None).unwrap_err();
        assert_eq!((e.api_code(), e.message()), (16, "no message"));
        let e = interpret(200, br#"{"error":{"code":4}}"#.to_vec(), None);
        assert!(e.is_ok(), "an object under error is not a Last.fm error");
    }

    #[test]
    fn html_pages_are_http_errors() {
        let e = interpret(503, b"<html>try again in 30 seconds</html>".to_vec(), None).unwrap_err();
        assert_eq!((e.status(), e.http_status()), (Status::Http, 503));
        assert!(e.is_retryable());
        let e = interpret(404, Vec::new(), None).unwrap_err();
        assert!(!e.is_retryable());
    }

    #[test]
    fn success_bodies() {
        assert_eq!(interpret(200, b"{}".to_vec(), None).unwrap(), "{}");
        assert_eq!(
            interpret(200, b"OK".to_vec(), None).unwrap_err().status(),
            Status::Parse
        );
        assert_eq!(
            interpret(200, vec![b'"', 0xff, b'"'], None)
                .unwrap_err()
                .status(),
            Status::Parse
        );
        // A JSON object without "error" on a 5xx is still an HTTP failure.
        assert_eq!(
            interpret(502, b"{}".to_vec(), None).unwrap_err().status(),
            Status::Http
        );
    }

    #[test]
    fn previews_of_broken_bodies_hide_keys_and_tokens() {
        for body in [
            r#"{"session":{"key":"0123456789abcdefghijklmnopqrstuv","name":"RJ"}}"#,
            r#"{"token":"0123456789abcdefghijklmnopqrstuv"#,
        ] {
            let cut = &body[..body.len() / 2];
            let e = interpret(200, cut.as_bytes().to_vec(), None).unwrap_err();
            assert_eq!(e.status(), Status::Parse);
            assert!(e.message().contains("<redacted>"), "{e}");
            assert!(!e.message().contains("0123"), "{e}");
        }
    }

    #[test]
    fn retry_after_header_is_kept() {
        let e = interpret(429, br#"{"error":29,"message":"x"}"#.to_vec(), Some(5000)).unwrap_err();
        assert_eq!(e.retry_after_ms(), 5000);
        let e = interpret(503, b"<html>".to_vec(), Some(7000)).unwrap_err();
        assert_eq!(e.retry_after_ms(), 7000);
        let e = interpret(503, b"<html>".to_vec(), None).unwrap_err();
        assert_eq!(e.retry_after_ms(), 0);
    }
}
