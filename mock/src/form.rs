//! `application/x-www-form-urlencoded` parameters (query strings and POST bodies).

use std::collections::BTreeMap;
use std::fmt;

/// Why a parameter string was rejected (answered with Last.fm error 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// The same name appeared twice.
    Duplicate(String),
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::BadEscape => f.write_str("Invalid parameters - malformed percent-encoding"),
            FormError::NotUtf8 => f.write_str("Invalid parameters - parameters must be UTF-8"),
            FormError::Duplicate(name) => {
                write!(f, "Invalid parameters - duplicate parameter '{name}'")
            }
        }
    }
}

/// Decoded request parameters, unique by name, ordered by name as raw bytes
/// (the order `api_sig` uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Adds a parameter; a name that is already present is an error.
    pub(crate) fn insert(&mut self, name: String, value: String) -> Result<(), FormError> {
        if self.0.contains_key(&name) {
            return Err(FormError::Duplicate(name));
        }
        self.0.insert(name, value);
        Ok(())
    }

    /// The value of `name`, if sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value of `name` if sent and not empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// All parameters in byte order of their names.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The parameters as a JSON object.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    }

    /// Parses `input` (`a=1&b=2`) and adds its parameters. Empty pieces are skipped; a
    /// piece without `=` is a name with an empty value.
    pub(crate) fn parse_into(&mut self, input: &[u8]) -> Result<(), FormError> {
        for piece in input.split(|&b| b == b'&') {
            if piece.is_empty() {
                continue;
            }
            let (name, value) = match piece.iter().position(|&b| b == b'=') {
                Some(i) => (&piece[..i], &piece[i + 1..]),
                None => (piece, &b""[..]),
            };
            self.insert(decode(name)?, decode(value)?)?;
        }
        Ok(())
    }
}

/// Decodes one form component: `%XX` escapes and `+` as space; the result must be UTF-8.
pub(crate) fn decode(input: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = input.get(i + 1).and_then(|&b| hex_value(b));
                let lo = input.get(i + 2).and_then(|&b| hex_value(b));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(FormError::BadEscape),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_plus_and_utf8() {
        let mut p = Params::default();
        p.parse_into(b"password=s3cret%20%2B%26%3D%25+p%C3%A4ssw%C3%B6rd+%E2%9C%93&flag&&x=")
            .unwrap();
        assert_eq!(p.get("password"), Some(crate::MOCK_PASSWORD));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("x"), Some(""));
        assert_eq!(p.iter().count(), 3);
    }

    #[test]
    fn rejects_bad_input() {
        let mut p = Params::default();
        assert_eq!(p.parse_into(b"a=%ff%fe"), Err(FormError::NotUtf8));
        assert_eq!(
            Params::default().parse_into(b"a=%4"),
            Err(FormError::BadEscape)
        );
        assert_eq!(
            Params::default().parse_into(b"a=1&b=2&a=3"),
            Err(FormError::Duplicate("a".into()))
        );
    }
}
