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

/// Parameters whose values are never logged or put in messages.
pub const SECRET_PARAMS: [&str; 5] = ["password", "sk", "token", "api_sig", "api_key"];

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Secrets shorter than this are not scrubbed from free text (they would match everywhere
/// and real keys, tokens and passwords are longer).
const MIN_SCRUB_LEN: usize = 4;

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

/// `text` with every occurrence of any of `secrets` replaced by [`REDACTED`].
pub fn scrub<'a>(text: &'a str, secrets: &[&str]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets {
        if secret.len() >= MIN_SCRUB_LEN && out.contains(secret) {
            out = Cow::Owned(out.replace(secret, REDACTED));
        }
    }
    out
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
        assert_eq!(scrub("x marks", &["x"]), "x marks");
    }

    #[test]
    fn levels() {
        assert!(Level::ALL.windows(2).all(|w| w[0] < w[1]));
        let l = Logger::new(Level::Warn, |_, _| {});
        assert!(l.enabled(Level::Error) && l.enabled(Level::Warn) && !l.enabled(Level::Info));
    }
}
