//! Optional logging through a caller-supplied sink, with every secret redacted.
//!
//! Nothing is formatted unless a logger is set and wants the level, so logging costs one
//! branch when it is off.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// Severity, most severe first (`Error < Debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// A call failed and retrying will not help.
    Error,
    /// A call failed and may succeed later.
    Warn,
    /// Sessions established, queue flush summaries.
    Info,
    /// Every request: method, parameters (secrets redacted), HTTP status, duration.
    Debug,
}

impl Level {
    /// Every level, most severe first.
    pub const ALL: [Level; 4] = [Level::Error, Level::Warn, Level::Info, Level::Debug];
}

/// Parameters whose values are never logged or put in messages. `authToken` is the legacy
/// mobile login's `md5(username + md5(password))`, as good as the password.
pub const SECRET_PARAMS: [&str; 6] = ["password", "authToken", "sk", "token", "api_sig", "api_key"];

/// JSON members whose string values are redacted from any preview of a reply: a session's
/// `key` and every name of [`SECRET_PARAMS`].
const SECRET_MEMBERS: [&str; 7] = [
    "key",
    "password",
    "authToken",
    "sk",
    "token",
    "api_sig",
    "api_key",
];

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Secrets at least this many characters long are scrubbed wherever they occur; shorter ones
/// only where they stand alone (see [`scrub`]), so that a one-letter secret does not eat
/// every occurrence of that letter.
const MIN_SCRUB_ANYWHERE: usize = 4;

/// Where log lines go: any thread-safe function of a level and a line.
pub type Sink = dyn Fn(Level, &str) + Send + Sync;

/// A log sink and the most verbose level it wants.
#[derive(Clone)]
pub struct Logger {
    sink: Arc<Sink>,
    max_level: Level,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("max_level", &self.max_level)
            .finish()
    }
}

impl Logger {
    /// A logger passing every line at `max_level` or more severe to `sink`.
    pub fn new(max_level: Level, sink: impl Fn(Level, &str) + Send + Sync + 'static) -> Logger {
        Logger {
            sink: Arc::new(sink),
            max_level,
        }
    }

    /// Whether lines at `level` are wanted.
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.max_level
    }

    /// Send a line (the caller has already redacted it).
    pub fn log(&self, level: Level, message: &str) {
        if self.enabled(level) {
            (self.sink)(level, message);
        }
    }
}

/// `name=value` pairs for a log line, with the values of secret parameters redacted.
pub fn describe_params(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(name);
        out.push('=');
        if SECRET_PARAMS.contains(name) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&format!("{value:?}"));
        }
    }
    out
}

/// `text` with every secret of `secrets` replaced by [`REDACTED`], in each form it may take
/// in text a server echoes back: as is, percent-encoded as liblfm sends it, with lower-case
/// hex digits, with `+` for a space, and JSON-escaped.
///
/// A secret of 4 or more characters is replaced wherever it occurs. A shorter one (1 to 3
/// characters; an empty one is ignored) is replaced only where it stands alone: neither
/// preceded nor followed by a letter or digit (`sk=ab&`, `"ab"`, `: ab.` are replaced; the
/// `ab` in `table` is not).
pub fn scrub<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let anywhere = secret.chars().count() >= MIN_SCRUB_ANYWHERE;
        for form in forms(secret) {
            if !out.contains(form.as_str()) {
                continue;
            }
            if anywhere {
                out = Cow::Owned(out.replace(form.as_str(), REDACTED));
            } else if let Some(replaced) = replace_standalone(&out, &form) {
                out = Cow::Owned(replaced);
            }
        }
    }
    out
}

/// The forms of a secret [`scrub`] looks for, longest first, without duplicates.
fn forms(secret: &str) -> Vec<String> {
    let mut encoded = String::new();
    crate::encode::push_encoded(&mut encoded, secret);
    let mut lower = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            lower.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            lower.push(c);
        }
    }
    let quoted = serde_json::to_string(secret).unwrap_or_default();
    let json = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_string();
    let mut forms = vec![
        secret.to_string(),
        encoded.replace("%20", "+"),
        lower.replace("%20", "+"),
        encoded,
        lower,
        json,
    ];
    forms.retain(|f| !f.is_empty());
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

/// `text` with the occurrences of `needle` that stand alone replaced, `None` if there are none.
fn replace_standalone(text: &str, needle: &str) -> Option<String> {
    let alone = |at: usize| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    };
    let mut out = String::new();
    let mut copied = 0;
    for (at, _) in text.match_indices(needle).filter(|(at, _)| alone(*at)) {
        out.push_str(&text[copied..at]);
        out.push_str(REDACTED);
        copied = at + needle.len();
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// JSON text (possibly cut short or otherwise invalid) with the string value of every member
/// named like a secret (`"key"`, `"token"`, `"sk"`, `"password"`, ...) replaced by
/// [`REDACTED`], including a value cut off before its closing quote. For previews of reply
/// bodies, which may carry a session key or token the client does not know yet.
pub fn redact_secret_members(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    // The index of the quote closing a string whose content starts at `i`, or the end.
    let string_end = |mut i: usize| {
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return i,
                _ => i += 1,
            }
        }
        b.len()
    };
    let skip_space = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let name_end = string_end(i + 1);
        if name_end >= b.len() {
            break;
        }
        let name = &text[i + 1..name_end];
        i = skip_space(name_end + 1);
        if b.get(i) != Some(&b':') {
            continue;
        }
        i = skip_space(i + 1);
        if b.get(i) != Some(&b'"') || !SECRET_MEMBERS.contains(&name) {
            continue;
        }
        let value_end = string_end(i + 1);
        out.push_str(&text[copied..=i]);
        out.push_str(REDACTED);
        copied = value_end;
        i = value_end + 1;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A URL with any `user:password@` before its host replaced by [`REDACTED`], for logs and
/// Debug output.
pub fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    match url[scheme_end..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}{REDACTED}{}",
            &url[..scheme_end],
            &url[scheme_end + at..]
        )),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let line = describe_params(&[("artist", "Cher"), ("password", "hunter2"), ("sk", "abcd")]);
        assert_eq!(line, r#"artist="Cher" password=<redacted> sk=<redacted>"#);
        assert_eq!(
            scrub("bad password hunter2!", &["hunter2", "x"]),
            "bad password <redacted>!"
        );
    }

    #[test]
    fn scrub_catches_encoded_forms() {
        let secret = "a b+c/é";
        for form in [
            "a b+c/é",
            "a%20b%2Bc%2F%C3%A9",
            "a+b%2Bc%2F%C3%A9",
            "a%20b%2bc%2f%c3%a9",
            "a+b%2bc%2f%c3%a9",
        ] {
            assert_eq!(
                scrub(&format!("[{form}]"), &[secret]),
                "[<redacted>]",
                "{form}"
            );
        }
        assert_eq!(
            scrub(r#"{"m":"say \"hi\""}"#, &[r#"say "hi""#]),
            r#"{"m":"<redacted>"}"#
        );
        assert_eq!(scrub("nothing here", &["", "absent"]), "nothing here");
    }

    #[test]
    fn short_secrets_are_scrubbed_where_they_stand_alone() {
        assert_eq!(scrub("x marks", &["x"]), "<redacted> marks");
        assert_eq!(scrub("sk=ab&x=1 table", &["ab"]), "sk=<redacted>&x=1 table");
        assert_eq!(scrub("example axe x", &["x"]), "example axe <redacted>");
        assert_eq!(scrub("\"é\" or café", &["é"]), "\"<redacted>\" or café");
        assert_eq!(scrub("p=a%20b;", &["a b"]), "p=<redacted>;");
        assert_eq!(scrub("xx", &["x"]), "xx");
    }

    #[test]
    fn secret_members_are_redacted_even_cut_short() {
        let k = "Zq8vK3mPx7Lw2Rt9";
        for (text, want) in [
            (
                format!(r#"{{"session":{{"name":"RJ","key":"{k}","subscriber":0}}}}"#),
                r#"{"session":{"name":"RJ","key":"<redacted>","subscriber":0}}"#,
            ),
            (
                format!(r#"{{"session":{{"key":"{}"#, &k[..5]),
                r#"{"session":{"key":"<redacted>"#,
            ),
            (
                format!(r#"{{ "token" : "{k}\"{k}" }}"#),
                r#"{ "token" : "<redacted>" }"#,
            ),
            (
                format!(r#"{{"name":"key","x":"{k}"}}"#),
                r#"{"name":"key","x":"Zq8vK3mPx7Lw2Rt9"}"#,
            ),
            (
                format!(r#"{{"api_key":"{k}"}}"#),
                r#"{"api_key":"<redacted>"}"#,
            ),
            (r#"{"key":12,"sk":"#.to_string(), r#"{"key":12,"sk":"#),
            (r#"{"session":{"ke"#.to_string(), r#"{"session":{"ke"#),
            (r#"{"key":""#.to_string(), r#"{"key":"<redacted>"#),
        ] {
            assert_eq!(redact_secret_members(&text), want, "{text}");
        }
    }

    #[test]
    fn userinfo_is_redacted_from_urls() {
        assert_eq!(
            redact_userinfo("https://u:p%40ss@host:8/2.0/?a=b@c"),
            "https://<redacted>@host:8/2.0/?a=b@c"
        );
        for plain in ["https://host/2.0/?a=b@c", "not a url", "http://h#x@y"] {
            assert_eq!(redact_userinfo(plain), plain);
        }
    }

    #[test]
    fn levels() {
        assert!(Level::ALL.windows(2).all(|w| w[0] < w[1]));
        let l = Logger::new(Level::Warn, |_, _| {});
        assert!(l.enabled(Level::Error) && l.enabled(Level::Warn) && !l.enabled(Level::Info));
    }
}
