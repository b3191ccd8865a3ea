//! The normalization rules, written once as data ([`FAMILIES`], [`NUMBERS`], [`BOOLEANS`])
//! and applied by one walk over the reply. The rules and their before/after examples are
//! documented in the [module above](super).

use serde_json::{Map, Number, Value};

use crate::error::{Error, Result, Status};

/// The rules of one method family: the replies of its methods share one shape.
#[derive(Debug)]
pub struct Family {
    /// A short name for documentation and tests.
    pub name: &'static str,
    /// The methods of the family, lower case (Last.fm's method names are case-insensitive).
    pub methods: &'static [&'static str],
    /// Dotted paths, from the top of the reply, of the members that are lists: always an
    /// array after normalization. Array elements are transparent in a path
    /// (`album.tracks.track.artist` is the `artist` of every track).
    pub collections: &'static [&'static str],
    /// Members whose `#text` becomes `name` (entity references such as
    /// `{"mbid":"","#text":"Björk"}`); everywhere else `#text` becomes `text`.
    pub names: &'static [&'static str],
}

/// Every family the library knows. A method not listed here still gets the generic
/// rules (`#text`, `@attr`, images, numbers, booleans), but no list is forced into an array.
pub static FAMILIES: &[Family] = &[
    Family {
        name: "recent tracks",
        methods: &["user.getrecenttracks"],
        collections: &["recenttracks.track"],
        names: &["artist", "album"],
    },
    Family {
        name: "loved tracks",
        methods: &["user.getlovedtracks"],
        collections: &["lovedtracks.track"],
        names: &["artist"],
    },
    Family {
        name: "top artists",
        methods: &["user.gettopartists"],
        collections: &["topartists.artist"],
        names: &[],
    },
    Family {
        name: "user info",
        methods: &["user.getinfo"],
        collections: &[],
        names: &[],
    },
    Family {
        name: "track info",
        methods: &["track.getinfo"],
        collections: &["track.toptags.tag"],
        names: &[],
    },
    Family {
        name: "artist info",
        methods: &["artist.getinfo"],
        collections: &[
            "artist.similar.artist",
            "artist.tags.tag",
            "artist.bio.links.link",
        ],
        names: &[],
    },
    Family {
        name: "album info",
        methods: &["album.getinfo"],
        collections: &[
            "album.tracks.track",
            "album.tags.tag",
            "album.wiki.links.link",
        ],
        names: &[],
    },
    Family {
        name: "scrobble",
        methods: &["track.scrobble"],
        collections: &["scrobbles.scrobble"],
        names: &[],
    },
];

/// Members that hold a number wherever they appear: a string that parses becomes a JSON
/// number, an empty string becomes `null`, anything else is left as sent.
pub const NUMBERS: &[&str] = &[
    "accepted",
    "age",
    "album_count",
    "artist_count",
    "code",
    "duration",
    "ignored",
    "listeners",
    "match",
    "page",
    "perPage",
    "playcount",
    "playlists",
    "position",
    "rank",
    "total",
    "totalPages",
    "track_count",
    "unixtime",
    "userplaycount",
    "uts",
];

/// Members that hold a boolean wherever they appear: `"1"`/`"true"`/`1` become `true`,
/// `"0"`/`"false"`/`0` become `false`, anything else is left as sent. When such a member is
/// an object (`"streamable":{"#text":"0","fulltrack":"0"}`), its `text` is converted too.
pub const BOOLEANS: &[&str] = &[
    "bootstrap",
    "fulltrack",
    "loved",
    "nowplaying",
    "ontour",
    "streamable",
    "subscriber",
    "userloved",
];

/// The image Last.fm serves when it has none (a grey star), removed from image maps.
pub const PLACEHOLDER_IMAGE: &str = "2a96cbd8b46e442fc41c2b86b821562f";

/// The family of `method`, if the library knows it.
pub fn family(method: &str) -> Option<&'static Family> {
    let lower = method.to_ascii_lowercase();
    FAMILIES
        .iter()
        .find(|f| f.methods.contains(&lower.as_str()))
}

/// Rewrite a reply of `method` into the normalized shape (see the [module docs](super)).
/// A body that is not JSON is a [`Status::Parse`] error; everything else succeeds.
pub fn normalize(method: &str, body: &str) -> Result<String> {
    let mut value: Value = serde_json::from_str(body).map_err(|e| {
        Error::new(
            Status::Parse,
            format!("{method} reply is not JSON: {e} (normalization needs a JSON body)"),
        )
    })?;
    normalize_value(method, &mut value);
    serde_json::to_string(&value)
        .map_err(|e| Error::new(Status::Parse, format!("cannot serialize: {e}")))
}

/// [`normalize`] on a parsed reply, in place.
pub fn normalize_value(method: &str, value: &mut Value) {
    const NONE: &Family = &Family {
        name: "generic",
        methods: &[],
        collections: &[],
        names: &[],
    };
    let rules = Rules {
        family: family(method).unwrap_or(NONE),
    };
    let mut path = String::new();
    if let Value::Object(map) = value {
        rules.object(map, &mut path, "");
    }
}

struct Rules {
    family: &'static Family,
}

impl Rules {
    fn is_collection(&self, path: &str) -> bool {
        self.family.collections.contains(&path)
    }

    /// Whether `path` leads to a collection (`artist.similar` for `artist.similar.artist`).
    fn is_container(&self, path: &str) -> bool {
        self.family.collections.iter().any(|c| {
            c.len() > path.len() && c.starts_with(path) && c.as_bytes()[path.len()] == b'.'
        })
    }

    /// Normalize the object at `path` (the member `key` of its parent).
    fn object(&self, map: &mut Map<String, Value>, path: &mut String, key: &str) {
        let container = !path.is_empty() && self.is_container(path);
        if let Some(Value::Object(attrs)) = map.remove("@attr") {
            if container {
                map.insert("attr".into(), Value::Object(attrs));
            } else {
                let mut clashes = Map::new();
                for (k, v) in attrs {
                    if map.contains_key(&k) {
                        clashes.insert(k, v);
                    } else {
                        map.insert(k, v);
                    }
                }
                if !clashes.is_empty() {
                    map.insert("attr".into(), Value::Object(clashes));
                }
            }
        }
        if let Some(text) = map.remove("#text") {
            let target = if self.family.names.contains(&key) && !map.contains_key("name") {
                "name"
            } else {
                "text"
            };
            if map.contains_key(target) {
                map.insert("#text".into(), text);
            } else {
                map.insert(target.into(), text);
            }
        }
        let base = path.len();
        for (k, v) in map.iter_mut() {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            self.member(k, v, path, key);
            path.truncate(base);
        }
        // Lists missing from their container are empty lists.
        if container {
            for c in self.family.collections {
                if let Some(rest) = c.strip_prefix(path.as_str()) {
                    if let Some(name) = rest.strip_prefix('.') {
                        if !name.contains('.') && !map.contains_key(name) {
                            map.insert(name.to_string(), Value::Array(Vec::new()));
                        }
                    }
                }
            }
        }
    }

    /// Normalize the member `key` (at `path`) of an object that is itself the member
    /// `parent` of its own parent.
    fn member(&self, key: &str, value: &mut Value, path: &mut String, parent: &str) {
        if self.is_collection(path) {
            *value = match std::mem::take(value) {
                Value::Array(items) => Value::Array(items),
                blank if is_blank(&blank) => Value::Array(Vec::new()),
                one => Value::Array(vec![one]),
            };
        } else if is_blank(value) && self.is_container(path) {
            *value = Value::Object(Map::new());
        }
        if key == "image" {
            if let Some(images) = image_map(value) {
                *value = images;
                return;
            }
        }
        match value {
            Value::Object(map) => self.object(map, path, key),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(map) => self.object(map, path, key),
                        scalar => convert(key, parent, scalar),
                    }
                }
            }
            scalar => convert(key, parent, scalar),
        }
    }
}

/// `null` or a blank string: how Last.fm sends an empty list or container.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Last.fm's image list (`[{"size":"small","#text":"url"},..]`, or one such object) as
/// `{"small":"url",..}`, without empty URLs, the placeholder star, or entries without a size.
/// `None` when the value is not an image list.
fn image_map(value: &Value) -> Option<Value> {
    let entries: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![value],
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => return None,
    };
    let mut out = Map::new();
    for entry in entries {
        let size = entry.get("size")?.as_str()?;
        let url = entry.get("#text")?.as_str()?;
        if size.is_empty() || url.is_empty() || url.contains(PLACEHOLDER_IMAGE) {
            continue;
        }
        out.insert(size.to_string(), Value::String(url.to_string()));
    }
    Some(Value::Object(out))
}

/// Convert a scalar member by the [`NUMBERS`] and [`BOOLEANS`] tables.
fn convert(key: &str, parent: &str, value: &mut Value) {
    if NUMBERS.contains(&key) {
        if let Value::String(s) = value {
            if s.trim().is_empty() {
                *value = Value::Null;
            } else if let Some(n) = parse_number(s.trim()) {
                *value = Value::Number(n);
            }
        }
    } else if BOOLEANS.contains(&key) || (key == "text" && BOOLEANS.contains(&parent)) {
        let b = match value {
            Value::String(s) => match s.trim() {
                "1" | "true" | "TRUE" | "True" => Some(true),
                "0" | "false" | "FALSE" | "False" => Some(false),
                _ => None,
            },
            Value::Number(n) => match n.as_u64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            _ => None,
        };
        if let Some(b) = b {
            *value = Value::Bool(b);
        }
    }
}

fn parse_number(s: &str) -> Option<Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = s.parse::<u64>() {
        return Some(Number::from(u));
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(method: &str, raw: Value) -> Value {
        serde_json::from_str(&normalize(method, &raw.to_string()).unwrap()).unwrap()
    }

    fn star(size: &str) -> Value {
        json!({"size": size, "#text": format!("https://lastfm.freetls.fastly.net/i/u/34s/{PLACEHOLDER_IMAGE}.png")})
    }

    #[test]
    fn every_family_is_reachable_and_paths_are_well_formed() {
        for f in FAMILIES {
            for m in f.methods {
                assert_eq!(m.to_ascii_lowercase(), *m);
                assert!(std::ptr::eq(family(m).unwrap(), f));
            }
            for c in f.collections {
                assert!(!c.starts_with('.') && !c.ends_with('.') && !c.contains(".."));
            }
        }
        assert_eq!(
            family("User.GetRecentTracks").unwrap().name,
            "recent tracks"
        );
        assert!(family("user.getFriends").is_none());
    }

    #[test]
    fn recent_tracks_one_item_now_playing_text_and_attr() {
        let raw = json!({"recenttracks": {
            "track": {
                "artist": {"mbid": "", "#text": "Björk"},
                "name": "Jóga",
                "album": {"mbid": "", "#text": "Homogenic"},
                "streamable": "0",
                "image": [star("small"), {"size": "large", "#text": "https://x/l.png"}, {"size": "extralarge", "#text": ""}],
                "@attr": {"nowplaying": "true"},
            },
            "@attr": {"user": "RJ", "page": "1", "perPage": "50", "totalPages": "0", "total": "0"},
        }});
        let n = norm("user.getRecentTracks", raw);
        let track = &n["recenttracks"]["track"];
        assert!(track.is_array(), "{n}");
        assert_eq!(track[0]["artist"], json!({"mbid": "", "name": "Björk"}));
        assert_eq!(track[0]["album"]["name"], "Homogenic");
        assert_eq!(track[0]["nowplaying"], true);
        assert_eq!(track[0]["streamable"], false);
        assert_eq!(track[0]["image"], json!({"large": "https://x/l.png"}));
        assert!(track[0].get("@attr").is_none());
        assert_eq!(
            n["recenttracks"]["attr"],
            json!({"user": "RJ", "page": 1, "perPage": 50, "totalPages": 0, "total": 0})
        );
    }

    #[test]
    fn recent_tracks_dates_numbers_and_empty_lists() {
        let raw = json!({"recenttracks": {"track": [
            {"artist": {"#text": "A"}, "name": "T", "date": {"uts": "1700000000", "#text": "14 Nov 2023, 22:13"}},
            {"artist": {"#text": "B"}, "name": "U", "date": {"uts": "1699999999", "#text": "x"}},
        ], "@attr": {"page": "2"}}});
        let n = norm("user.getrecenttracks", raw);
        assert_eq!(
            n["recenttracks"]["track"][0]["date"],
            json!({"uts": 1700000000, "text": "14 Nov 2023, 22:13"})
        );
        assert_eq!(n["recenttracks"]["track"][1]["artist"]["name"], "B");
        for empty in [json!(""), json!(null), json!([])] {
            let n = norm(
                "user.getRecentTracks",
                json!({"recenttracks": {"track": empty, "@attr": {"total": "0"}}}),
            );
            assert_eq!(n["recenttracks"]["track"], json!([]));
        }
        let n = norm(
            "user.getRecentTracks",
            json!({"recenttracks": {"@attr": {"total": "0"}}}),
        );
        assert_eq!(n["recenttracks"]["track"], json!([]), "missing list");
    }

    #[test]
    fn loved_and_top_artists() {
        let raw = json!({"lovedtracks": {"track": {
            "artist": {"url": "u", "name": "A", "mbid": ""},
            "date": {"uts": "5", "#text": "d"}, "name": "T",
            "streamable": {"fulltrack": "0", "#text": "1"},
            "image": [star("small"), star("medium")],
        }, "@attr": {"user": "RJ", "totalPages": "1", "page": "1", "perPage": "50", "total": "1"}}});
        let n = norm("user.getLovedTracks", raw);
        let t = &n["lovedtracks"]["track"][0];
        assert_eq!(t["streamable"], json!({"fulltrack": false, "text": true}));
        assert_eq!(t["image"], json!({}), "placeholder stars removed");
        assert_eq!(t["date"]["uts"], 5);
        assert_eq!(n["lovedtracks"]["attr"]["total"], 1);

        let raw = json!({"topartists": {"artist": {"name": "A", "playcount": "12", "@attr": {"rank": "1"}, "mbid": ""}, "@attr": {"page": "1", "total": "1"}}});
        let n = norm("user.getTopArtists", raw);
        assert_eq!(
            n["topartists"]["artist"],
            json!([{"name": "A", "playcount": 12, "rank": 1, "mbid": ""}])
        );
        let n = norm(
            "user.getTopArtists",
            json!({"topartists": {"artist": "", "@attr": {"total": "0"}}}),
        );
        assert_eq!(n["topartists"]["artist"], json!([]));
    }

    #[test]
    fn user_info() {
        let raw = json!({"user": {"name": "RJ", "age": "0", "subscriber": "0", "playcount": "154", "bootstrap": "0",
            "playlists": "0", "registered": {"unixtime": "1037793040", "#text": 1037793040},
            "image": [{"size": "small", "#text": "https://x/s.png"}, {"size": "medium", "#text": "https://x/m.png"}]}});
        let n = norm("user.getInfo", raw);
        assert_eq!(n["user"]["playcount"], 154);
        assert_eq!(n["user"]["subscriber"], false);
        assert_eq!(
            n["user"]["registered"],
            json!({"unixtime": 1037793040, "text": 1037793040})
        );
        assert_eq!(
            n["user"]["image"],
            json!({"small": "https://x/s.png", "medium": "https://x/m.png"})
        );
    }

    #[test]
    fn track_info_tags_one_none_and_empty_string() {
        let base = |toptags: Value| {
            json!({"track": {"name": "T", "duration": "236000", "listeners": "10", "playcount": "",
            "userloved": "1", "userplaycount": "3", "toptags": toptags,
            "album": {"title": "Al", "image": [{"size": "small", "#text": "https://x/a.png"}], "@attr": {"position": "2"}}}})
        };
        let n = norm(
            "track.getInfo",
            base(json!({"tag": {"name": "rock", "url": "u"}})),
        );
        let t = &n["track"];
        assert_eq!(t["toptags"]["tag"], json!([{"name": "rock", "url": "u"}]));
        assert_eq!(
            (
                t["duration"].clone(),
                t["listeners"].clone(),
                t["playcount"].clone()
            ),
            (json!(236000), json!(10), json!(null))
        );
        assert_eq!(t["userloved"], true);
        assert_eq!(t["album"]["position"], 2);
        assert_eq!(t["album"]["image"], json!({"small": "https://x/a.png"}));
        assert_eq!(
            norm("track.getInfo", base(json!({"tag": []})))["track"]["toptags"]["tag"],
            json!([])
        );
        assert_eq!(
            norm("track.getInfo", base(json!("")))["track"]["toptags"],
            json!({"tag": []})
        );
        assert_eq!(
            norm("track.getInfo", base(json!({})))["track"]["toptags"],
            json!({"tag": []})
        );
    }

    #[test]
    fn artist_info_similar_tags_links() {
        let raw = json!({"artist": {"name": "Cher", "ontour": "0",
            "stats": {"listeners": "1", "playcount": "2", "userplaycount": "3"},
            "similar": {"artist": {"name": "Madonna", "image": [star("small")]}},
            "tags": "",
            "bio": {"links": {"link": {"#text": "", "rel": "original", "href": "https://x"}}}}});
        let n = norm("artist.getInfo", raw);
        let a = &n["artist"];
        assert_eq!(a["ontour"], false);
        assert_eq!(
            a["stats"],
            json!({"listeners": 1, "playcount": 2, "userplaycount": 3})
        );
        assert_eq!(
            a["similar"]["artist"],
            json!([{"name": "Madonna", "image": {}}])
        );
        assert_eq!(a["tags"], json!({"tag": []}));
        assert_eq!(
            a["bio"]["links"]["link"],
            json!([{"text": "", "rel": "original", "href": "https://x"}])
        );
    }

    #[test]
    fn album_info_tracks_keep_numbers_and_merge_rank() {
        let raw = json!({"album": {"name": "Believe", "listeners": "5", "tags": "",
            "tracks": {"track": {"name": "Believe", "duration": 240, "@attr": {"rank": 1},
                "streamable": {"fulltrack": "0", "#text": "0"}, "artist": {"name": "Cher"}}}}});
        let n = norm("album.getInfo", raw);
        let a = &n["album"];
        assert_eq!(a["tracks"]["track"][0]["duration"], 240);
        assert_eq!(a["tracks"]["track"][0]["rank"], 1);
        assert_eq!(a["tags"]["tag"], json!([]));
        assert_eq!(a["listeners"], 5);
    }

    #[test]
    fn attr_clashes_and_unknown_methods() {
        // A merged @attr member that clashes with an existing one stays under "attr".
        let n = norm(
            "user.getTopArtists",
            json!({"topartists": {"artist": [{"name": "A", "@attr": {"name": "x", "rank": "2"}}]}}),
        );
        assert_eq!(
            n["topartists"]["artist"][0],
            json!({"name": "A", "rank": 2, "attr": {"name": "x"}})
        );
        // An unknown method gets the generic rules, and a single item stays an object.
        let n = norm(
            "user.getFriends",
            json!({"friends": {"user": {"name": "A", "playcount": "3", "image": [star("small")]}}}),
        );
        assert_eq!(
            n["friends"]["user"],
            json!({"name": "A", "playcount": 3, "image": {}})
        );
        // Non-numeric strings in number fields are left alone.
        let n = norm(
            "user.getInfo",
            json!({"user": {"age": "n/a", "playcount": "1.5"}}),
        );
        assert_eq!(n["user"], json!({"age": "n/a", "playcount": 1.5}));
    }

    #[test]
    fn scrobble_reply() {
        let n = norm(
            "track.scrobble",
            json!({"scrobbles": {"scrobble": {"timestamp": "5",
            "ignoredMessage": {"code": "0", "#text": ""}}, "@attr": {"accepted": 1, "ignored": "0"}}}),
        );
        assert_eq!(
            n["scrobbles"]["scrobble"][0]["ignoredMessage"],
            json!({"code": 0, "text": ""})
        );
        assert_eq!(n["scrobbles"]["attr"], json!({"accepted": 1, "ignored": 0}));
    }

    #[test]
    fn not_json_is_a_parse_error_and_normalizing_twice_changes_nothing() {
        assert_eq!(
            normalize("user.getInfo", "<html>").unwrap_err().status(),
            Status::Parse
        );
        let raw = json!({"recenttracks": {"track": {"artist": {"#text": "A"}, "date": {"uts": "1", "#text": "d"}, "@attr": {"nowplaying": "true"}}, "@attr": {"page": "1"}}});
        let once = normalize("user.getRecentTracks", &raw.to_string()).unwrap();
        let twice = normalize("user.getRecentTracks", &once).unwrap();
        assert_eq!(once, twice);
    }
}
