//! `api_sig`: the Last.fm request signature, implemented independently of liblfm.

use md5::{Digest, Md5};

use crate::form::Params;
use crate::util;

/// Names that never take part in the signature.
const UNSIGNED: [&str; 3] = ["format", "callback", "api_sig"];

/// Computes the Last.fm `api_sig` of a parameter set.
///
/// Drops `format`, `callback` and `api_sig`; sorts the rest by name as raw bytes;
/// concatenates `name` then `value` for each; appends `secret`; returns the lower-case
/// hex MD5 of those UTF-8 bytes.
pub fn api_sig<'a, I>(params: I, secret: &str) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, _)| !UNSIGNED.contains(name))
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut md5 = Md5::new();
    for (name, value) in pairs {
        md5.update(name.as_bytes());
        md5.update(value.as_bytes());
    }
    md5.update(secret.as_bytes());
    util::hex(&md5.finalize())
}

/// True when `params` carries an `api_sig` that matches (case-insensitively).
pub(crate) fn verify(params: &Params, secret: &str) -> bool {
    match params.get("api_sig") {
        Some(sent) => {
            let expected = api_sig(params.iter(), secret);
            sent.eq_ignore_ascii_case(&expected)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_raw_bytes_and_skips_unsigned() {
        // albumArtist[0] < album[0] < api_key < artist[10] < artist[1] in byte order.
        let params = [
            ("artist[1]", "b"),
            ("api_key", "k"),
            ("album[0]", "a"),
            ("artist[10]", "c"),
            ("albumArtist[0]", "d"),
            ("format", "json"),
            ("callback", "x"),
        ];
        let concatenated = "albumArtist[0]dalbum[0]aapi_keykartist[10]cartist[1]bSECRET";
        let mut md5 = Md5::new();
        md5.update(concatenated.as_bytes());
        assert_eq!(api_sig(params, "SECRET"), util::hex(&md5.finalize()));
    }

    #[test]
    fn golden_vector_from_the_seed() {
        let sig = api_sig(
            [
                ("method", "auth.getSession"),
                ("api_key", "YOUR_API_KEY"),
                ("token", "YOUR_REQUESTED_TOKEN"),
                ("format", "json"),
            ],
            "YOUR_SECRET",
        );
        assert_eq!(sig, "94539006de89b3c6b3c030bb1e52b9c4");
    }

    #[test]
    fn verify_is_case_insensitive() {
        let mut p = Params::default();
        p.insert("method".into(), "auth.getToken".into()).unwrap();
        p.insert("api_key".into(), "k".into()).unwrap();
        let sig = api_sig(p.iter(), "s").to_uppercase();
        p.insert("api_sig".into(), sig).unwrap();
        assert!(verify(&p, "s"));
        assert!(!verify(&p, "other"));
    }
}
