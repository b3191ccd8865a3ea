//! `application/x-www-form-urlencoded` encoding for bodies and query strings.
//!
//! Every byte outside the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`) is percent-encoded,
//! so `+`, `&`, `=`, `%`, spaces and non-ASCII all travel unambiguously and the server decodes
//! exactly the bytes that were signed.

/// Append `value` percent-encoded to `out`.
pub fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0x0f) as usize] as char);
        }
    }
}

/// Encode name/value pairs as `n1=v1&n2=v2`, in the order given.
pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// Decode a form-encoded string back into pairs (`+` is a space). Returns `None` for a
/// malformed escape or bytes that are not UTF-8. The inverse of [`form_encode`].
pub fn form_decode(input: &str) -> Option<Vec<(String, String)>> {
    if input.is_empty() {
        return Some(Vec::new());
    }
    input
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

fn decode_component(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped() {
        let s = form_encode([("password", "a+b&c=d%e f"), ("artist", "Björk ✓")]);
        assert_eq!(
            s,
            "password=a%2Bb%26c%3Dd%25e%20f&artist=Bj%C3%B6rk%20%E2%9C%93"
        );
    }

    #[test]
    fn decode_inverts_encode() {
        let pairs = [("artist[0]", "+&=%?#/ é 日本 🎵"), ("", ""), ("k", "~._-")];
        let decoded = form_decode(&form_encode(pairs)).unwrap();
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn decode_rejects_bad_escapes() {
        assert!(form_decode("a=%zz").is_none());
        assert!(form_decode("a=%f").is_none());
        assert!(form_decode("a=%ff").is_none()); // not UTF-8
        assert_eq!(
            form_decode("a=x+y").unwrap(),
            vec![("a".into(), "x y".into())]
        );
    }
}
