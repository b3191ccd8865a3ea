//! `track.updateNowPlaying` and `track.scrobble`: building batches and reading Last.fm's
//! per-item verdicts back into input order.

use crate::client::{CallFlags, Client};
use crate::error::{Error, Result, Status};
use crate::track::{Param, Track, MAX_BATCH};

/// The server's verdict on one track: `code` 0 accepted, 1..5 Last.fm's ignored codes
/// (1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// 0 accepted, otherwise the ignored code.
    pub code: i32,
    /// The server's reason when ignored, empty otherwise.
    pub message: String,
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
        track.validate(false)?;
        let mut params = Vec::with_capacity(8);
        track.push_params(None, false, &mut params);
        self.call_owned("track.updateNowPlaying", &params, CallFlags::WRITE)?;
        Ok(())
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
        return Ok(vec![
            Verdict {
                code: 0,
                message: String::new()
            };
            n
        ]);
    }
    if n == 1 {
        return Ok(vec![Verdict {
            code: 1,
            message: "ignored by the server (no reason given)".into(),
        }]);
    }
    Err(bad(&format!(
        "{ignored} of {n} tracks ignored, without saying which"
    )))
}

/// The shape of a `track.scrobble` reply, read with serde visitors that skip what is not
/// needed (`IgnoredAny`) instead of building a `serde_json::Value` tree.
mod wire {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::{ignored_reason, Verdict};

    type DeResult<T, E> = std::result::Result<T, E>;

    /// `{"scrobbles": {...}}`; anything else at the top level has no `scrobbles`.
    #[derive(Default)]
    pub struct Reply {
        pub scrobbles: Option<Scrobbles>,
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

    /// A string, or `None` for any other JSON value.
    struct Text(Option<String>);

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(d: D) -> DeResult<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Text;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_str<E>(self, v: &str) -> DeResult<Text, E> {
                    Ok(Text(Some(v.to_string())))
                }
                fn visit_i64<E>(self, _: i64) -> DeResult<Text, E> {
                    Ok(Text(None))
                }
                fn visit_u64<E>(self, _: u64) -> DeResult<Text, E> {
                    Ok(Text(None))
                }
                fn visit_f64<E>(self, _: f64) -> DeResult<Text, E> {
                    Ok(Text(None))
                }
                fn visit_bool<E>(self, _: bool) -> DeResult<Text, E> {
                    Ok(Text(None))
                }
                fn visit_unit<E>(self) -> DeResult<Text, E> {
                    Ok(Text(None))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> DeResult<Text, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> DeResult<Text, A::Error> {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Text(None))
                }
            }
            d.deserialize_any(V)
        }
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
                        fn visit_seq<A: SeqAccess<'de>>(
                            self,
                            mut seq: A,
                        ) -> DeResult<$ty, A::Error> {
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
                    }
                    d.deserialize_any(V)
                }
            }
        };
    }

    object_or_default!(Reply, |reply, key, map| {
        if key == "scrobbles" {
            reply.scrobbles = Some(map.next_value()?);
        } else {
            map.next_value::<IgnoredAny>()?;
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
            "#text" => m.text = map.next_value::<Text>()?.0,
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    });

    /// One item; only its `ignoredMessage` matters.
    #[derive(Default)]
    struct Item {
        ignored: IgnoredMessage,
    }

    object_or_default!(Item, |item, key, map| {
        if key == "ignoredMessage" {
            item.ignored = map.next_value()?;
        } else {
            map.next_value::<IgnoredAny>()?;
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
            Verdict { code, message }
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
                message: ignored_reason(2).into()
            }
        );
        assert_eq!(
            v[1],
            Verdict {
                code: 0,
                message: String::new()
            }
        );
        assert_eq!(v[2].code, i32::MAX);
        let body = r##"{"scrobbles":{"scrobble":"","@attr":{"ignored":"0"}}}"##;
        assert_eq!(parse_scrobble_reply(body, 2).unwrap().len(), 2);
        assert!(parse_scrobble_reply(r##"{"scrobbles":{"scrobble":[{"a":1},}}"##, 1).is_err());
        assert!(parse_scrobble_reply("[]", 1).is_err());
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
