//! Logging in: the mobile flow (user name and password), the desktop and web token flows,
//! the authorisation page URL, and the services whose URLs are built in.
//!
//! The token flow, as a desktop player runs it:
//! 1. [`Client::get_token`] (a signed `auth.getToken`) gives a token, valid for 60 minutes.
//! 2. Open [`Client::auth_url`] for that token in the user's browser.
//! 3. Poll [`Client::get_session`] with the token. Until the user approves it fails with API
//!    error 14 (not retryable, but "pending": ask again later); once approved it returns the
//!    session and stores the key in the client; an expired or already used token gives 15.
//!    Poll no faster than every few seconds: each poll is a request under the rate limit.

use std::fmt;

use serde_json::Value;

use crate::client::{validate_http_url, CallFlags, Client};
use crate::encode::push_encoded;
use crate::error::{Error, Result, Status};
use crate::log::Level;
use crate::service::Service;

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
            .field("key", &crate::log::REDACTED)
            .field("name", &self.name)
            .finish()
    }
}

impl Client {
    /// Point the client at a built-in service: sets both the API root and the
    /// authorisation page.
    pub fn set_service(&self, service: Service) -> Result<()> {
        let (base, auth) = service.urls();
        self.update(|s| {
            s.base_url = base.to_string();
            s.auth_url = auth.to_string();
            Ok(())
        })
    }

    /// The authorisation page users open to approve a token (an absolute http(s) URL).
    pub fn set_auth_url(&self, url: &str) -> Result<()> {
        validate_http_url(url)?;
        self.update(|s| {
            s.auth_url = url.to_string();
            Ok(())
        })
    }

    /// The page a user opens to approve this application: with a `token` for the desktop
    /// flow, without one for the web flow; `callback` (web flow) is where the server sends
    /// the browser back with `?token=...`. Every value is percent-encoded.
    pub fn auth_url(&self, token: Option<&str>, callback: Option<&str>) -> Result<String> {
        if token == Some("") {
            return Err(Error::invalid("token is empty"));
        }
        if let Some(cb) = callback {
            validate_http_url(cb).map_err(|e| e.prefixed("callback: "))?;
        }
        let mut url = self.snapshot().auth_url.clone();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("api_key=");
        push_encoded(&mut url, self.api_key());
        if let Some(token) = token {
            url.push_str("&token=");
            push_encoded(&mut url, token);
        }
        if let Some(cb) = callback {
            url.push_str("&cb=");
            push_encoded(&mut url, cb);
        }
        Ok(url)
    }

    /// Ask for a request token (`auth.getToken`, signed). Valid for 60 minutes, once.
    pub fn get_token(&self) -> Result<String> {
        let body = self.call("auth.getToken", &[], CallFlags::SIGNED)?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|_| Error::new(Status::Parse, "token reply is not JSON"))?;
        json.get("token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
            .map(str::to_string)
            .ok_or_else(|| Error::new(Status::Parse, "reply has no usable 'token'"))
    }

    /// Exchange an approved token for a session (`auth.getSession`, signed) and store its
    /// key in the client. Not yet approved: API error 14; expired or used: 15. Refused with
    /// [`Status::Insecure`] over plain http unless allowed.
    pub fn get_session(&self, token: &str) -> Result<Session> {
        if token.is_empty() {
            return Err(Error::invalid("token is empty"));
        }
        let body = self.call("auth.getSession", &[("token", token)], CallFlags::SIGNED)?;
        self.adopt_session(&body, "")
    }

    /// Log in with a user name (or e-mail) and password (`auth.getMobileSession`, a signed
    /// POST). Refused with [`Status::Insecure`] over plain http unless allowed. On success the
    /// session key is stored in the client. The password is never kept or logged.
    pub fn get_mobile_session(&self, username: &str, password: &str) -> Result<Session> {
        if username.is_empty() || password.is_empty() {
            return Err(Error::invalid("username and password must not be empty"));
        }
        let body = self.call(
            "auth.getMobileSession",
            &[("username", username), ("password", password)],
            CallFlags::SIGNED | CallFlags::POST,
        )?;
        self.adopt_session(&body, username)
    }

    fn adopt_session(&self, body: &str, fallback_name: &str) -> Result<Session> {
        let session = parse_session(body, fallback_name)?;
        self.set_session_key(Some(&session.key))?;
        self.log(Level::Info, || {
            format!("session established for {}", session.name)
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_session_refuses_plain_http() {
        let c = Client::new("k", "s").unwrap();
        c.set_base_url("http://127.0.0.1:9/2.0/").unwrap();
        let e = c.get_mobile_session("rj", "pw").unwrap_err();
        assert_eq!(e.status(), Status::Insecure);
        assert!(!e.message().contains("pw"));
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
        assert_eq!(
            parse_session(r#"{"session":{"key":"a\u0000b"}}"#, "x")
                .unwrap_err()
                .status(),
            Status::Parse
        );
        assert!(!format!("{s:?}").contains("abc"));
    }

    #[test]
    fn auth_urls_are_encoded() {
        let c = Client::new("key+/=", "s").unwrap();
        assert_eq!(
            c.auth_url(Some("tok en"), None).unwrap(),
            "https://www.last.fm/api/auth/?api_key=key%2B%2F%3D&token=tok%20en"
        );
        assert_eq!(
            c.auth_url(None, Some("https://app.example/cb?x=1&y=2")).unwrap(),
            "https://www.last.fm/api/auth/?api_key=key%2B%2F%3D&cb=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%26y%3D2"
        );
        c.set_service(Service::LibreFm).unwrap();
        assert_eq!(c.base_url(), "https://libre.fm/2.0/");
        assert!(c
            .auth_url(None, None)
            .unwrap()
            .starts_with("https://libre.fm/api/auth/?api_key="));
        c.set_auth_url("https://scrobbler.example/auth?lang=en")
            .unwrap();
        assert_eq!(
            c.auth_url(Some("t"), None).unwrap(),
            "https://scrobbler.example/auth?lang=en&api_key=key%2B%2F%3D&token=t"
        );
        assert!(c.auth_url(Some(""), None).is_err());
        assert!(c.auth_url(None, Some("not a url")).is_err());
        assert!(c.set_auth_url("ftp://x/").is_err());
    }
}
