//! `track.updateNowPlaying` and `track.scrobble`: building batches and reading Last.fm's
//! per-item verdicts back into input order.

use crate::client::{CallFlags, Client};
use crate::error::{Error, Result, Status};
use crate::track::{Param, Track, MAX_BATCH};

/// The server's verdict on one track: `code` 0 accepted, 1..5 Last.fm's ignored codes
/// (1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// 0 accepted, otherwise the ignored code.
    pub code: i32,
    /// The server's reason when ignored, empty otherwise.
    pub message: String,
    /// The names the server corrected (Last.fm's autocorrect), as it stored them.
    pub corrections: Corrections,
}

/// Corrections the server made to a track's names (members of its reply marked
/// `"corrected": "1"`); `None` where it made none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Corrections {
    /// Corrected artist.
    pub artist: Option<String>,
    /// Corrected title.
    pub track: Option<String>,
    /// Corrected album.
    pub album: Option<String>,
}

impl Corrections {
    /// Whether the server corrected nothing.
    pub fn is_empty(&self) -> bool {
        self.artist.is_none() && self.track.is_none() && self.album.is_none()
    }
}

/// Verdicts for every track of an [`Client::scrobble`] call, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScrobbleResult {
    /// One verdict per input track.
    pub verdicts: Vec<Verdict>,
}

impl ScrobbleResult {
    /// How many tracks the server accepted.
    pub fn accepted(&self) -> usize {
        self.verdicts.iter().filter(|v| v.code == 0).count()
    }

    /// How many tracks the server ignored.
    pub fn ignored(&self) -> usize {
        self.verdicts.len() - self.accepted()
    }
}

/// Text for an ignored code when the server gives none.
pub fn ignored_reason(code: i32) -> &'static str {
    match code {
        0 => "",
        1 => "artist ignored by the server",
        2 => "track ignored by the server",
        3 => "timestamp too old",
        4 => "timestamp too new",
        5 => "daily scrobble limit exceeded",
        _ => "ignored by the server",
    }
}

impl Client {
    /// Tell the server what is playing now (`track.updateNowPlaying`, a signed POST with the
    /// session key). The timestamp is not sent. A failed now-playing is not worth retrying.
    pub fn update_now_playing(&self, track: &Track) -> Result<()> {
        self.send_now_playing(track).map(drop)
    }

    /// [`Client::update_now_playing`], returning the server's verdict: its corrections
    /// to the names, and an ignored code (1 artist, 2 track) when it ignored the track. A
    /// reply the library cannot read counts as accepted without corrections: the server
    /// answered without an error.
    pub fn send_now_playing(&self, track: &Track) -> Result<Verdict> {
        track.validate(false)?;
        let mut params = Vec::with_capacity(8);
        track.push_params(None, false, &mut params);
        let body = self.call_owned("track.updateNowPlaying", &params, CallFlags::WRITE)?;
        Ok(parse_now_playing_reply(&body))
    }

    /// Scrobble any number of tracks, in order, at most [`MAX_BATCH`] per request (a request
    /// with one track uses plain parameter names). Returns every verdict in input order.
    ///
    /// If a request fails, the error says how many tracks earlier requests delivered; for
    /// delivery that survives failures use [`crate::queue::Queue`].
    pub fn scrobble(&self, tracks: &[Track]) -> Result<ScrobbleResult> {
        if tracks.is_empty() {
            return Err(Error::invalid("no tracks to scrobble"));
        }
        for (i, t) in tracks.iter().enumerate() {
            t.validate(true)
                .map_err(|e| Error::invalid(format!("track {i}: {}", e.message())))?;
        }
        let refs: Vec<&Track> = tracks.iter().collect();
        let mut result = ScrobbleResult::default();
        for batch in refs.chunks(self.max_batch()) {
            match self.scrobble_batch(batch) {
                Ok(verdicts) => result.verdicts.extend(verdicts),
                Err(e) if result.verdicts.is_empty() => return Err(e),
                Err(e) => {
                    let delivered = result.verdicts.len();
                    return Err(e.prefixed(&format!(
                        "after {delivered} of {} tracks were sent: ",
                        tracks.len()
                    )));
                }
            }
        }
        Ok(result)
    }

    /// One `track.scrobble` request for at most [`MAX_BATCH`] tracks.
    pub fn scrobble_batch(&self, batch: &[&Track]) -> Result<Vec<Verdict>> {
        if batch.is_empty() || batch.len() > MAX_BATCH {
            return Err(Error::invalid(format!(
                "a scrobble request carries 1 to {MAX_BATCH} tracks, not {}",
                batch.len()
            )));
        }
        let mut params = Vec::with_capacity(batch.len() * 5);
        if let [only] = batch {
            only.push_params(None, true, &mut params);
        } else {
            for (i, t) in batch.iter().enumerate() {
                t.push_params(Some(i), true, &mut params);
            }
        }
        let body = self.call_owned("track.scrobble", &params, CallFlags::WRITE)?;
        parse_scrobble_reply(&body, batch.len())
    }

    fn call_owned(&self, method: &str, params: &[Param<'_>], flags: CallFlags) -> Result<String> {
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_ref()))
            .collect();
        self.call(method, &borrowed, flags)
    }
}

/// Read a `track.scrobble` reply for `n` tracks. Handles Last.fm's quirks: one item is an
/// object and several an array; codes and counts may be strings or numbers. A reply with no
/// per-item list (some self-hosted servers) counts every track as accepted when it reports
/// nothing ignored.
///
/// The reply is read in one pass that keeps only the verdicts: every other member is
/// validated and skipped without being built (a 50-track reply is about 15 KB).
pub fn parse_scrobble_reply(body: &str, n: usize) -> Result<Vec<Verdict>> {
    let bad = |what: &str| Error::new(Status::Parse, format!("scrobble reply: {what}"));
    let reply: wire::Reply = serde_json::from_str(body).map_err(|_| bad("not JSON"))?;
    let scrobbles = reply
        .scrobbles
        .ok_or_else(|| bad("no 'scrobbles' object"))?;
    let items = scrobbles.items;
    if items.len() == n {
        return Ok(items);
    }
    if !items.is_empty() {
        return Err(bad(&format!("{} verdicts for {n} tracks", items.len())));
    }
    let ignored = scrobbles.ignored.unwrap_or(0);
    if ignored == 0 {
        return Ok(vec![Verdict::default(); n]);
    }
    if n == 1 {
        return Ok(vec![Verdict {
            code: 1,
            message: "ignored by the server (no reason given)".into(),
            ..Verdict::default()
        }]);
    }
    Err(bad(&format!(
        "{ignored} of {n} tracks ignored, without saying which"
    )))
}

/// Read a `track.updateNowPlaying` reply (`{"nowplaying": item}`, an item as in a scrobble
/// reply): its ignored code and corrections. Anything unreadable counts as accepted.
pub fn parse_now_playing_reply(body: &str) -> Verdict {
    serde_json::from_str::<wire::Reply>(body)
        .ok()
        .and_then(|r| r.now_playing)
        .unwrap_or_default()
}

/// The shape of a `track.scrobble` reply, read with serde visitors that skip what is not
/// needed (`IgnoredAny`) instead of building a `serde_json::Value` tree.
mod wire {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use std::borrow::Cow;

    use super::{ignored_reason, Corrections, Verdict};

    type DeResult<T, E> = std::result::Result<T, E>;

    /// `{"scrobbles": {...}}` or `{"nowplaying": item}`; anything else has neither.
    #[derive(Default)]
    pub struct Reply {
        pub scrobbles: Option<Scrobbles>,
        pub now_playing: Option<Verdict>,
    }

    /// `{"scrobble": item or [items], "@attr": {"ignored": n}}`.
    #[derive(Default)]
    pub struct Scrobbles {
        pub items: Vec<Verdict>,
        pub ignored: Option<i64>,
    }

    /// A number or a string of digits, as Last.fm sends counts and codes; else `None`.
    struct Number(Option<i64>);

    impl<'de> Deserialize<'de> for Number {
        fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Number;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a number or a string of digits")
                }
                fn visit_i64<E>(self, v: i64) -> DeResult<Number, E> {
                    Ok(Number(Some(v)))
                }
                fn visit_u64<E>(self, v: u64) -> DeResult<Number, E> {
                    Ok(Number(i64::try_from(v).ok()))
                }
                fn visit_f64<E>(self, _: f64) -> DeResult<Number, E> {
                    Ok(Number(None))
                }
                fn visit_str<E>(self, v: &str) -> DeResult<Number, E> {
                    Ok(Number(v.trim().parse().ok()))
                }
                fn visit_bool<E>(self, _: bool) -> DeResult<Number, E> {
                    Ok(Number(None))
                }
                fn visit_unit<E>(self) -> DeResult<Number, E> {
                    Ok(Number(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> DeResult<Number, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Number(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> DeResult<Number, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Number(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// The `Visitor` methods of a type read from a JSON object for every other JSON value:
    /// each gives the type's default.
    macro_rules! other_values_give_default {
        ($ty:ty) => {
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> DeResult<$ty, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(<$ty>::default())
            }
            fn visit_str<E>(self, _: &str) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
            fn visit_i64<E>(self, _: i64) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
            fn visit_u64<E>(self, _: u64) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
            fn visit_f64<E>(self, _: f64) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
            fn visit_bool<E>(self, _: bool) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
            fn visit_unit<E>(self) -> DeResult<$ty, E> {
                Ok(<$ty>::default())
            }
        };
    }

    /// Defines a `Deserialize` for a type read from a JSON object member by member, where
    /// any other JSON value gives the type's default.
    macro_rules! object_or_default {
        ($ty:ty, |$acc:ident, $key:ident, $map:ident| $body:block) => {
            impl<'de> Deserialize<'de> for $ty {
                fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
                    struct V;
                    impl<'de> Visitor<'de> for V {
                        type Value = $ty;
                        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                            f.write_str("any JSON value")
                        }
                        fn visit_map<A: MapAccess<'de>>(
                            self,
                            mut $map: A,
                        ) -> DeResult<$ty, A::Error> {
                            let mut $acc = <$ty>::default();
                            while let Some($key) = $map.next_key::<std::borrow::Cow<'de, str>>()? {
                                $body
                            }
                            Ok($acc)
                        }
                        other_values_give_default!($ty);
                    }
                    d.deserialize_any(V)
                }
            }
        };
    }

    object_or_default!(Reply, |reply, key, map| {
        match key.as_ref() {
            "scrobbles" => reply.scrobbles = Some(map.next_value()?),
            "nowplaying" => reply.now_playing = Some(map.next_value::<Item>()?.verdict()),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    });

    object_or_default!(Scrobbles, |scrobbles, key, map| {
        match key.as_ref() {
            "scrobble" => scrobbles.items = map.next_value::<Items>()?.0,
            "@attr" => scrobbles.ignored = map.next_value::<Attr>()?.ignored,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    });

    #[derive(Default)]
    struct Attr {
        ignored: Option<i64>,
    }

    object_or_default!(Attr, |attr, key, map| {
        if key == "ignored" {
            attr.ignored = map.next_value::<Number>()?.0;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    });

    /// One item's `ignoredMessage`: `{"code": "0".."5", "#text": reason}`.
    #[derive(Default)]
    struct IgnoredMessage {
        code: Option<i64>,
        text: Option<String>,
    }

    object_or_default!(IgnoredMessage, |m, key, map| {
        match key.as_ref() {
            "code" => m.code = map.next_value::<Number>()?.0,
            "#text" => m.text = map.next_value::<BorrowedText>()?.0.map(Cow::into_owned),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    });

    /// A string, borrowed from the reply when it has no escapes (no allocation), or
    /// `None` for any other JSON value.
    struct BorrowedText<'de>(Option<Cow<'de, str>>);

    impl<'de> Deserialize<'de> for BorrowedText<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = BorrowedText<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(Some(Cow::Borrowed(v))))
                }
                fn visit_str<E>(self, v: &str) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(Some(Cow::Owned(v.to_string()))))
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> DeResult<Self::Value, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(BorrowedText(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> DeResult<Self::Value, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(BorrowedText(None))
                }
                fn visit_i64<E>(self, _: i64) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(None))
                }
                fn visit_u64<E>(self, _: u64) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(None))
                }
                fn visit_f64<E>(self, _: f64) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(None))
                }
                fn visit_bool<E>(self, _: bool) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(None))
                }
                fn visit_unit<E>(self) -> DeResult<Self::Value, E> {
                    Ok(BorrowedText(None))
                }
            }
            d.deserialize_any(V)
        }
    }

    /// A name member, `{"corrected": "0" or "1", "#text": name}`: the name, kept (as an
    /// owned string) only when the server says it corrected it and it is not empty.
    #[derive(Default)]
    struct Name(Option<String>);

    impl<'de> Deserialize<'de> for Name {
        fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Name;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> DeResult<Name, A::Error> {
                    let mut corrected = false;
                    let mut text = None;
                    while let Some(key) = map.next_key::<BorrowedText<'de>>()? {
                        match key.0.as_deref() {
                            Some("corrected") => {
                                corrected = map.next_value::<Number>()?.0 == Some(1);
                            }
                            Some("#text") => text = map.next_value::<BorrowedText<'de>>()?.0,
                            _ => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                    let text = text.filter(|t| corrected && !t.is_empty());
                    Ok(Name(text.map(Cow::into_owned)))
                }
                other_values_give_default!(Name);
            }
            d.deserialize_any(V)
        }
    }

    /// One item: its `ignoredMessage` and the names the server corrected.
    #[derive(Default)]
    struct Item {
        ignored: IgnoredMessage,
        corrections: Corrections,
    }

    object_or_default!(Item, |item, key, map| {
        match key.as_ref() {
            "ignoredMessage" => item.ignored = map.next_value()?,
            "artist" => item.corrections.artist = map.next_value::<Name>()?.0,
            "track" => item.corrections.track = map.next_value::<Name>()?.0,
            "album" => item.corrections.album = map.next_value::<Name>()?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    });

    impl Item {
        fn verdict(self) -> Verdict {
            let code = self.ignored.code.unwrap_or(0);
            let code = i32::try_from(code).unwrap_or(i32::MAX);
            let message = self
                .ignored
                .text
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| ignored_reason(code).to_string());
            Verdict {
                code,
                message,
                corrections: self.corrections,
            }
        }
    }

    /// `scrobble`: one item as an object, several as an array, none as anything else.
    struct Items(Vec<Verdict>);

    impl<'de> Deserialize<'de> for Items {
        fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Items;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an item or a list of items")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> DeResult<Items, A::Error> {
                    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                    while let Some(item) = seq.next_element::<Item>()? {
                        items.push(item.verdict());
                    }
                    Ok(Items(items))
                }
                fn visit_map<A: MapAccess<'de>>(self, map: A) -> DeResult<Items, A::Error> {
                    let item = Item::deserialize(de::value::MapAccessDeserializer::new(map))?;
                    Ok(Items(vec![item.verdict()]))
                }
                fn visit_str<E>(self, _: &str) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
                fn visit_i64<E>(self, _: i64) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
                fn visit_u64<E>(self, _: u64) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
                fn visit_f64<E>(self, _: f64) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
                fn visit_bool<E>(self, _: bool) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
                fn visit_unit<E>(self) -> DeResult<Items, E> {
                    Ok(Items(Vec::new()))
                }
            }
            d.deserialize_any(V)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_is_an_object() {
        let body = r##"{"scrobbles":{"scrobble":{"ignoredMessage":{"code":"0","#text":""}},"@attr":{"accepted":1,"ignored":0}}}"##;
        assert_eq!(parse_scrobble_reply(body, 1).unwrap()[0].code, 0);
    }

    #[test]
    fn codes_map_in_order() {
        let body = r##"{"scrobbles":{"scrobble":[
            {"ignoredMessage":{"code":"0","#text":""}},
            {"ignoredMessage":{"code":"1","#text":"Artist was ignored"}},
            {"ignoredMessage":{"code":3}}],"@attr":{"accepted":"1","ignored":"2"}}}"##;
        let v = parse_scrobble_reply(body, 3).unwrap();
        assert_eq!(v.iter().map(|v| v.code).collect::<Vec<_>>(), [0, 1, 3]);
        assert_eq!(v[1].message, "Artist was ignored");
        assert_eq!(v[2].message, "timestamp too old");
    }

    #[test]
    fn quirks_of_the_wire_format() {
        // An empty list sent as "", unknown members at every level, a non-object item, a
        // non-string reason, a code past i32, nested values under skipped members.
        let body = r##"{"x":[{"y":{}}],"scrobbles":{"extra":{"a":[1,{"b":null}]},"scrobble":[
            {"artist":{"#text":"A","corrected":"0"},"ignoredMessage":{"code":2,"#text":{"no":1}}},
            "not an object",
            {"ignoredMessage":{"code":"99999999999","#text":"far out"}}],
            "@attr":{"accepted":"1","ignored":"2"}}}"##;
        let v = parse_scrobble_reply(body, 3).unwrap();
        assert_eq!(
            v[0],
            Verdict {
                code: 2,
                message: ignored_reason(2).into(),
                ..Verdict::default()
            }
        );
        assert_eq!(v[1], Verdict::default());
        assert_eq!(v[2].code, i32::MAX);
        let body = r##"{"scrobbles":{"scrobble":"","@attr":{"ignored":"0"}}}"##;
        assert_eq!(parse_scrobble_reply(body, 2).unwrap().len(), 2);
        assert!(parse_scrobble_reply(r##"{"scrobbles":{"scrobble":[{"a":1},}}"##, 1).is_err());
        assert!(parse_scrobble_reply("[]", 1).is_err());
    }

    #[test]
    fn corrections_are_kept_only_where_the_server_marks_them() {
        // Last.fm's shapes: "corrected" as a string or a number, members in either order,
        // escapes in a corrected name, an empty corrected name (nothing to report).
        let body = r##"{"scrobbles":{"scrobble":[
            {"artist":{"corrected":"1","#text":"The Beatles"},"track":{"corrected":"0","#text":"let it be"},
             "album":{"#text":"Let It Be","corrected":1},"albumArtist":{"corrected":"1","#text":"x"},
             "ignoredMessage":{"code":"0","#text":""}},
            {"artist":{"corrected":"0","#text":"A"},"track":{"#text":"Caf\u00e9 \"Bleu\"","corrected":"1"},
             "album":{"corrected":"1","#text":""},"ignoredMessage":{"code":"1","#text":"Artist was ignored"}},
            {"artist":"plain","track":{"corrected":true,"#text":"T"},"album":[1]}],
            "@attr":{"accepted":2,"ignored":1}}}"##;
        let v = parse_scrobble_reply(body, 3).unwrap();
        assert_eq!(
            v[0].corrections,
            Corrections {
                artist: Some("The Beatles".into()),
                track: None,
                album: Some("Let It Be".into()),
            }
        );
        assert_eq!(v[1].code, 1);
        assert_eq!(
            v[1].corrections,
            Corrections {
                track: Some("Café \"Bleu\"".into()),
                ..Corrections::default()
            }
        );
        assert!(v[2].corrections.is_empty());
    }

    #[test]
    fn a_now_playing_reply_gives_its_corrections_and_ignored_code() {
        let body = r##"{"nowplaying":{"artist":{"corrected":"1","#text":"Guns N' Roses"},
            "track":{"corrected":"0","#text":"November Rain"},"album":{"corrected":"0","#text":""},
            "albumArtist":{"corrected":"0","#text":""},"ignoredMessage":{"code":"0","#text":""}}}"##;
        let v = parse_now_playing_reply(body);
        assert_eq!(
            (v.code, v.corrections.artist.as_deref()),
            (0, Some("Guns N' Roses"))
        );
        assert_eq!((v.corrections.track, v.corrections.album), (None, None));
        let body = r##"{"nowplaying":{"artist":{"corrected":"0","#text":"A"},"ignoredMessage":{"code":"2","#text":""}}}"##;
        let v = parse_now_playing_reply(body);
        assert_eq!((v.code, v.message.as_str()), (2, ignored_reason(2)));
        assert!(v.corrections.is_empty());
        for unreadable in [
            "",
            "{}",
            "[1]",
            r#"{"nowplaying":"x"}"#,
            "{\"nowplaying\":{",
        ] {
            assert_eq!(
                parse_now_playing_reply(unreadable),
                Verdict::default(),
                "{unreadable}"
            );
        }
    }

    #[test]
    fn replies_without_items() {
        let body = r##"{"scrobbles":{"@attr":{"ignored":0}}}"##;
        assert_eq!(parse_scrobble_reply(body, 3).unwrap().len(), 3);
        let body = r##"{"scrobbles":{"@attr":{"ignored":1}}}"##;
        assert_eq!(parse_scrobble_reply(body, 1).unwrap()[0].code, 1);
        assert!(parse_scrobble_reply(body, 2).is_err());
        assert!(parse_scrobble_reply(r##"{"x":1}"##, 1).is_err());
        let body = r##"{"scrobbles":{"scrobble":[{},{}]}}"##;
        assert!(parse_scrobble_reply(body, 3).is_err());
    }
}
