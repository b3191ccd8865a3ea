//! The read methods (`user.getRecentTracks`, `user.getInfo`, `user.getLovedTracks`,
//! `user.getTopArtists`, `track.getInfo`, `artist.getInfo`, `album.getInfo`) in Last.fm's
//! real JSON shapes, quirks included: a list of one is an object, numbers and booleans are
//! strings, text sits under `#text`, attributes under `@attr`, images carry the placeholder
//! star, and an album without tags has `"tags":""`.
//!
//! The account's history is the plays loaded by `mock.loadPlays`/`mock.addPlays`
//! (deterministic: generated from a seed) plus the scrobbles the mock stored. Recent tracks
//! are served newest first and paged by offset, as Last.fm does; `from` and `to` are
//! exclusive ("after", "before"), as Last.fm documents them. The now-playing track (from
//! `track.updateNowPlaying` or `mock.loadPlays now_playing=1`) is the first item of page 1
//! when no `to` is given and takes one of its `limit` slots (pylast#309), so a pager that
//! counts pages naively loses the play at the page boundary. `mock.pageFault` makes a
//! chosen page of a method fail with a Last.fm error.

use serde_json::{json, Value};

use crate::api::{known_user, one_or_many, optional_number, required, ApiError, Ctx};
use crate::form::Params;
use crate::state::State;
use crate::{util, MOCK_USERNAME};

/// Last.fm's placeholder image (a grey star).
const STAR: &str = "2a96cbd8b46e442fc41c2b86b821562f";
/// Last.fm's largest page of recent tracks.
const MAX_LIMIT: u64 = 200;
/// Default first second of `mock.loadPlays` (fixed: no test depends on the date).
const DEFAULT_START: i64 = 1_600_000_000;
/// Default seconds between two plays.
const DEFAULT_STEP: i64 = 180;

struct Artist {
    name: &'static str,
    mbid: &'static str,
    tags: &'static [&'static str],
    similar: &'static [&'static str],
    albums: &'static [Album],
}

struct Album {
    title: &'static str,
    mbid: &'static str,
    /// Tags; none is sent as `"tags":""`.
    tags: &'static [&'static str],
    /// (title, seconds)
    tracks: &'static [(&'static str, u32)],
}

/// The catalog every play is drawn from.
const CATALOG: &[Artist] = &[
    Artist {
        name: "Björk",
        mbid: "87c5dedd-371d-4a53-9f7f-80522fb7f3cb",
        tags: &["electronic", "icelandic", "experimental"],
        similar: &["Portishead", "Massive Attack"],
        albums: &[
            Album {
                title: "Homogenic",
                mbid: "6a8e1b36-7d8d-4b0a-8d4e-4b1f1e0c2a01",
                tags: &["trip-hop"],
                tracks: &[
                    ("Hunter", 255),
                    ("Jóga", 305),
                    ("Unravel", 201),
                    ("Bachelorette", 316),
                ],
            },
            Album {
                title: "Debut",
                mbid: "",
                tags: &["electronic", "1993"],
                tracks: &[("Human Behaviour", 252), ("Venus as a Boy", 281)],
            },
        ],
    },
    Artist {
        name: "Cher",
        mbid: "bfcc6d75-a6a5-4bc6-8282-47aec8531818",
        tags: &["pop"],
        similar: &["Madonna"],
        albums: &[Album {
            title: "Believe",
            mbid: "03c91c40-49a6-44a7-90e7-a700edf97a62",
            tags: &[],
            tracks: &[("Believe", 240)],
        }],
    },
    Artist {
        name: "Portishead",
        mbid: "8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11",
        tags: &[],
        similar: &["Massive Attack", "Björk"],
        albums: &[Album {
            title: "Dummy",
            mbid: "",
            tags: &["trip-hop", "bristol"],
            tracks: &[("Mysterons", 306), ("Sour Times", 254), ("Roads", 305)],
        }],
    },
    Artist {
        name: "Massive Attack",
        mbid: "10adbe5e-a2c0-4bf3-8249-2b4cbf6e6ca8",
        tags: &["trip-hop"],
        similar: &[],
        albums: &[Album {
            title: "Mezzanine",
            mbid: "",
            tags: &["trip-hop"],
            tracks: &[("Angel", 379), ("Teardrop", 330), ("Inertia Creeps", 357)],
        }],
    },
];

/// One play of the account's history.
#[derive(Debug, Clone)]
pub(crate) struct Play {
    /// Order of arrival: among plays of one second, the later arrival is served first.
    seq: u64,
    uts: i64,
    artist: String,
    track: String,
    album: String,
}

/// A chosen page of a method that fails.
#[derive(Debug, Clone)]
struct PageFault {
    method: String,
    page: u64,
    code: u32,
    http: Option<u16>,
    count: u32,
}

/// The read side of the mock's state.
#[derive(Debug, Default)]
pub(crate) struct Library {
    plays: Vec<Play>,
    next_seq: u64,
    /// The `loved` newest plays are loved tracks.
    loved: usize,
    faults: Vec<PageFault>,
}

/// SplitMix64: a small deterministic generator for the plays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// FNV-1a, for figures derived from names.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn find_artist(name: &str) -> Option<&'static Artist> {
    CATALOG.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn slug(text: &str) -> String {
    text.replace(' ', "+")
}

/// Four sizes of an image: the placeholder star when `star`, else a URL made from `key`.
fn images(key: &str, star: bool) -> Value {
    let id = if star {
        STAR.to_string()
    } else {
        format!("{:016x}{:016x}", hash(key), hash(&format!("{key}#")))
    };
    let sizes = [
        ("small", "34s"),
        ("medium", "64s"),
        ("large", "174s"),
        ("extralarge", "300x300"),
    ];
    Value::Array(
        sizes
            .iter()
            .map(|(size, dir)| {
                json!({"size": size, "#text": format!("https://lastfm.freetls.fastly.net/i/u/{dir}/{id}.png")})
            })
            .collect(),
    )
}

impl Library {
    /// Appends `count` generated plays: the first at `start`, each next `step` seconds
    /// later, except that every `shared_every`-th play shares the second of the one before
    /// (0: none do). Plays of one second always differ in artist or track.
    fn generate(&mut self, count: u64, start: i64, step: i64, shared_every: u64, seed: u64) {
        let mut rng = Rng(seed);
        let mut uts = start;
        let mut group: Vec<(String, String)> = Vec::new();
        for i in 0..count {
            if i > 0 {
                if shared_every > 0 && i.is_multiple_of(shared_every) {
                    // same second as the previous play
                } else {
                    uts += step;
                    group.clear();
                }
            }
            let (artist, album, track) = loop {
                let a = &CATALOG[rng.below(CATALOG.len())];
                let al = &a.albums[rng.below(a.albums.len())];
                let t = al.tracks[rng.below(al.tracks.len())].0;
                if !group.iter().any(|(ga, gt)| ga == a.name && gt == t) {
                    break (a.name, al.title, t);
                }
            };
            group.push((artist.to_string(), track.to_string()));
            self.plays.push(Play {
                seq: self.next_seq,
                uts,
                artist: artist.to_string(),
                track: track.to_string(),
                album: album.to_string(),
            });
            self.next_seq += 1;
        }
    }

    fn newest(&self) -> Option<i64> {
        self.plays.iter().map(|p| p.uts).max()
    }

    /// Takes one use of a fault queued for `page` of `method`.
    fn take_fault(&mut self, method: &str, page: u64) -> Option<ApiError> {
        let i = self
            .faults
            .iter()
            .position(|f| f.page == page && f.method.eq_ignore_ascii_case(method))?;
        let f = &mut self.faults[i];
        let mut err = ApiError::new(f.code);
        if let Some(http) = f.http {
            err.http = http;
        }
        f.count -= 1;
        if f.count == 0 {
            self.faults.remove(i);
        }
        Some(err)
    }
}

/// One play of the account's history as the read methods serve it
/// ([`MockServer::history`](crate::MockServer::history), `mock.plays`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPlay {
    /// Seconds since the epoch.
    pub uts: i64,
    /// Artist name.
    pub artist: String,
    /// Track title.
    pub track: String,
    /// Album title (may be empty).
    pub album: String,
}

impl Library {
    /// Queues a Last.fm error `code` (with HTTP status `http`, default the usual mapping)
    /// for the next `count` (at least 1) requests of `page` of `method`.
    pub(crate) fn push_page_fault(
        &mut self,
        method: String,
        page: u64,
        code: u32,
        http: Option<u16>,
        count: u32,
    ) {
        self.faults.push(PageFault {
            method,
            page,
            code,
            http,
            count: count.max(1),
        });
    }
}

/// The account's whole history, newest first, as [`HistoryPlay`]s.
pub(crate) fn history_plays(st: &State) -> Vec<HistoryPlay> {
    history(st)
        .into_iter()
        .map(|p| HistoryPlay {
            uts: p.uts,
            artist: p.artist,
            track: p.track,
            album: p.album,
        })
        .collect()
}

/// The account's whole history, newest first (loaded plays and stored scrobbles).
fn history(st: &State) -> Vec<Play> {
    let base = st.reads.next_seq;
    let mut all: Vec<Play> = st.reads.plays.clone();
    all.extend(
        st.scrobbles
            .iter()
            .enumerate()
            .filter(|(_, s)| s.user == MOCK_USERNAME)
            .map(|(i, s)| Play {
                seq: base + i as u64,
                uts: s.timestamp,
                artist: s.artist.clone(),
                track: s.track.clone(),
                album: s.album.clone().unwrap_or_default(),
            }),
    );
    all.sort_by_key(|p| std::cmp::Reverse((p.uts, p.seq)));
    all
}

/// The `mock.*` methods of the read side; `None` for other names.
pub(crate) fn control(st: &mut State, method: &str, p: &Params) -> Option<Result<Value, ApiError>> {
    let number = |name: &str| -> Result<Option<u64>, ApiError> { optional_number(p, name) };
    let signed = |name: &str, default: i64| -> Result<i64, ApiError> {
        match p.non_empty(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                ApiError::invalid(format!("Invalid parameters - {name} must be an integer"))
            }),
        }
    };
    let mut run = || -> Result<Value, ApiError> {
        match method {
            "mock.loadPlays" | "mock.addPlays" => {
                let count = number("count")?
                    .ok_or_else(|| ApiError::invalid("Invalid parameters - count is required"))?;
                let step = signed("step", DEFAULT_STEP)?;
                let shared_every = number("shared_every")?.unwrap_or(0);
                let seed = number("seed")?.unwrap_or(1);
                if method == "mock.loadPlays" {
                    st.reads.plays.clear();
                    st.reads.loved = usize::try_from(number("loved")?.unwrap_or(0)).unwrap_or(0);
                    let start = signed("start", DEFAULT_START)?;
                    st.reads.generate(count, start, step, shared_every, seed);
                    if p.get("now_playing") == Some("1") {
                        st.now_playing = Some(json!({
                            "user": MOCK_USERNAME, "artist": "Portishead", "track": "Roads",
                            "album": "Dummy", "received": util::now_unix(),
                        }));
                    }
                } else {
                    let default_at = st.reads.newest().map_or(DEFAULT_START, |n| n + step);
                    let at = signed("at", default_at)?;
                    st.reads.generate(count, at, step, shared_every, seed);
                }
                Ok(json!({"ok": 1, "plays": st.reads.plays.len(), "newest": st.reads.newest()}))
            }
            "mock.pageFault" => {
                let method = required(p, "method_name")?.to_string();
                let code =
                    u32::try_from(number("code")?.ok_or_else(|| {
                        ApiError::invalid("Invalid parameters - code is required")
                    })?)
                    .map_err(|_| ApiError::invalid("Invalid parameters - bad code"))?;
                let http = number("http")?.map(|h| h as u16);
                let page = number("page")?.unwrap_or(1);
                let count = u32::try_from(number("count")?.unwrap_or(1)).unwrap_or(1);
                st.reads.push_page_fault(method, page, code, http, count);
                Ok(json!({"ok": 1}))
            }
            "mock.plays" => Ok(json!({"plays": history_plays(st).iter().map(|p| json!({
                "uts": p.uts, "artist": p.artist, "track": p.track, "album": p.album,
            })).collect::<Vec<_>>()})),
            _ => Err(ApiError::new(3)),
        }
    };
    match method {
        "mock.loadPlays" | "mock.addPlays" | "mock.pageFault" | "mock.plays" => Some(run()),
        _ => None,
    }
}

/// `limit` (1..=max, default `default`) and `page` (from 1) of a paged request, after
/// answering a fault queued for that page.
fn paging(ctx: &Ctx<'_>, default: u64, max: u64) -> Result<(u64, u64), ApiError> {
    let p = ctx.params;
    let limit = optional_number(p, "limit")?.unwrap_or(default);
    let page = optional_number(p, "page")?.unwrap_or(1);
    if !(1..=max).contains(&limit) || page == 0 {
        return Err(ApiError::invalid(format!(
            "Invalid parameters - limit must be 1-{max} and page at least 1"
        )));
    }
    let method = p.get("method").unwrap_or("");
    if let Some(e) = ctx.shared.state().reads.take_fault(method, page) {
        return Err(e);
    }
    Ok((limit, page))
}

/// The container `@attr` of a paged reply.
fn page_attr(page: u64, limit: u64, total: usize) -> Value {
    let total = total as u64;
    json!({
        "user": MOCK_USERNAME,
        "page": page.to_string(),
        "perPage": limit.to_string(),
        "totalPages": total.div_ceil(limit).to_string(),
        "total": total.to_string(),
    })
}

fn track_url(artist: &str, track: &str) -> String {
    format!(
        "https://www.last.fm/music/{}/_/{}",
        slug(artist),
        slug(track)
    )
}

fn artist_mbid(name: &str) -> &'static str {
    find_artist(name).map_or("", |a| a.mbid)
}

/// A recent-tracks item; without `uts`, the now-playing item.
fn recent_item(artist: &str, track: &str, album: &str, uts: Option<i64>) -> Value {
    let mut item = json!({
        "artist": {"mbid": artist_mbid(artist), "#text": artist},
        "streamable": "0",
        "image": images(&format!("{artist}/{album}"), hash(album).is_multiple_of(3)),
        "mbid": "",
        "album": {"mbid": "", "#text": album},
        "name": track,
        "url": track_url(artist, track),
    });
    match uts {
        Some(t) => item["date"] = json!({"uts": t.to_string(), "#text": util::human_date(t)}),
        None => item["@attr"] = json!({"nowplaying": "true"}),
    }
    item
}

pub(crate) fn user_get_recent_tracks(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let p = ctx.params;
    known_user(p)?;
    let (limit, page) = paging(ctx, 50, MAX_LIMIT)?;
    let bound = |name: &str| -> Result<Option<i64>, ApiError> {
        p.non_empty(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::invalid(format!("Invalid parameters - {name} must be a Unix time"))
                })
            })
            .transpose()
    };
    let (from, to) = (bound("from")?, bound("to")?);
    let st = ctx.shared.state();
    let mut plays = history(&st);
    plays.retain(|pl| from.is_none_or(|f| pl.uts > f) && to.is_none_or(|t| pl.uts < t));
    let total = plays.len();
    let mut items: Vec<Value> = Vec::new();
    let now_playing = st
        .now_playing
        .as_ref()
        .filter(|_| to.is_none() && page == 1);
    let mut skip = ((page - 1) * limit) as usize;
    let mut take = limit as usize;
    if let Some(np) = now_playing {
        let field = |k: &str| np.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        items.push(recent_item(
            &field("artist"),
            &field("track"),
            &field("album"),
            None,
        ));
        take -= 1; // it takes one of page 1's slots
        skip = 0;
    }
    items.extend(
        plays
            .iter()
            .skip(skip)
            .take(take)
            .map(|pl| recent_item(&pl.artist, &pl.track, &pl.album, Some(pl.uts))),
    );
    Ok(json!({"recenttracks": {
        "track": one_or_many(items),
        "@attr": page_attr(page, limit, total),
    }}))
}

pub(crate) fn user_get_info(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    known_user(ctx.params)?;
    let plays = history(&ctx.shared.state());
    let distinct = |f: fn(&Play) -> &str| {
        let mut v: Vec<&str> = plays.iter().map(f).collect();
        v.sort_unstable();
        v.dedup();
        v.len().to_string()
    };
    Ok(json!({"user": {
        "name": MOCK_USERNAME,
        "age": "0",
        "subscriber": "0",
        "realname": "Richard Jones",
        "bootstrap": "0",
        "playcount": plays.len().to_string(),
        "artist_count": distinct(|p| &p.artist),
        "playlists": "0",
        "track_count": distinct(|p| &p.track),
        "album_count": distinct(|p| &p.album),
        "image": images("user/RJ", false),
        "registered": {"unixtime": "1037793040", "#text": 1037793040},
        "country": "United Kingdom",
        "gender": "n",
        "url": "https://www.last.fm/user/RJ",
        "type": "alum",
    }}))
}

/// The loved tracks: the `loved` newest distinct (artist, track) of the history.
fn loved(st: &State) -> Vec<Play> {
    let mut out: Vec<Play> = Vec::new();
    for pl in history(st) {
        if out.len() >= st.reads.loved {
            break;
        }
        if !out
            .iter()
            .any(|o| o.artist == pl.artist && o.track == pl.track)
        {
            out.push(pl);
        }
    }
    out
}

pub(crate) fn user_get_loved_tracks(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    known_user(ctx.params)?;
    let (limit, page) = paging(ctx, 50, 1000)?;
    let all = loved(&ctx.shared.state());
    let items: Vec<Value> = all
        .iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|pl| {
            json!({
                "artist": {"url": format!("https://www.last.fm/music/{}", slug(&pl.artist)), "name": pl.artist, "mbid": artist_mbid(&pl.artist)},
                "date": {"uts": pl.uts.to_string(), "#text": util::human_date(pl.uts)},
                "mbid": "",
                "url": track_url(&pl.artist, &pl.track),
                "name": pl.track,
                "image": images(&pl.track, true),
                "streamable": {"fulltrack": "0", "#text": "0"},
            })
        })
        .collect();
    Ok(json!({"lovedtracks": {
        "track": one_or_many(items),
        "@attr": page_attr(page, limit, all.len()),
    }}))
}

pub(crate) fn user_get_top_artists(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    known_user(ctx.params)?;
    let (limit, page) = paging(ctx, 50, 1000)?;
    let mut counts: Vec<(String, u64)> = Vec::new();
    for pl in history(&ctx.shared.state()) {
        match counts.iter_mut().find(|(a, _)| *a == pl.artist) {
            Some((_, n)) => *n += 1,
            None => counts.push((pl.artist, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let start = ((page - 1) * limit) as usize;
    let items: Vec<Value> = counts
        .iter()
        .enumerate()
        .skip(start)
        .take(limit as usize)
        .map(|(i, (name, n))| {
            json!({
                "streamable": "0",
                "image": images(name, true),
                "mbid": artist_mbid(name),
                "url": format!("https://www.last.fm/music/{}", slug(name)),
                "playcount": n.to_string(),
                "@attr": {"rank": (i + 1).to_string()},
                "name": name,
            })
        })
        .collect();
    Ok(json!({"topartists": {
        "artist": one_or_many(items),
        "@attr": page_attr(page, limit, counts.len()),
    }}))
}

/// A tag list: `""` for none, one object for one, an array for more.
fn tag_list(tags: &[&str], empty_as_string: bool) -> Value {
    if tags.is_empty() && empty_as_string {
        return json!("");
    }
    let items = tags
        .iter()
        .map(|t| json!({"name": t, "url": format!("https://www.last.fm/tag/{}", slug(t))}))
        .collect();
    json!({"tag": one_or_many(items)})
}

/// Plays and loved state of `username` for a track (when asked with `username`).
fn user_figures(ctx: &Ctx<'_>, artist: &str, track: Option<&str>) -> Option<(usize, bool)> {
    let user = ctx.params.non_empty("username")?;
    if !user.eq_ignore_ascii_case(MOCK_USERNAME) {
        return Some((0, false));
    }
    let st = ctx.shared.state();
    let matches = |pl: &Play| {
        pl.artist.eq_ignore_ascii_case(artist)
            && track.is_none_or(|t| pl.track.eq_ignore_ascii_case(t))
    };
    let plays = history(&st).iter().filter(|pl| matches(pl)).count();
    Some((plays, loved(&st).iter().any(matches)))
}

pub(crate) fn track_get_info(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let artist_name = required(ctx.params, "artist")?;
    let track_name = required(ctx.params, "track")?;
    let not_found = || ApiError::invalid("Track not found");
    let artist = find_artist(artist_name).ok_or_else(not_found)?;
    let (album, pos, (title, secs)) = artist
        .albums
        .iter()
        .flat_map(|al| al.tracks.iter().enumerate().map(move |(i, t)| (al, i, *t)))
        .find(|(_, _, (t, _))| t.eq_ignore_ascii_case(track_name))
        .ok_or_else(not_found)?;
    let h = hash(title);
    // Tag lists of none, one and several, by track.
    let tags: Vec<&str> = artist.tags.iter().copied().take((h % 3) as usize).collect();
    let mut track = json!({
        "name": title,
        "mbid": "",
        "url": track_url(artist.name, title),
        "duration": (u64::from(secs) * 1000).to_string(),
        "streamable": {"#text": "0", "fulltrack": "0"},
        "listeners": (10_000 + h % 90_000).to_string(),
        "playcount": (100_000 + h % 900_000).to_string(),
        "artist": {"name": artist.name, "mbid": artist.mbid, "url": format!("https://www.last.fm/music/{}", slug(artist.name))},
        "album": {
            "artist": artist.name,
            "title": album.title,
            "mbid": album.mbid,
            "url": format!("https://www.last.fm/music/{}/{}", slug(artist.name), slug(album.title)),
            "image": images(&format!("{}/{}", artist.name, album.title), false),
            "@attr": {"position": (pos + 1).to_string()},
        },
        "toptags": tag_list(&tags, false),
    });
    if let Some((plays, loved)) = user_figures(ctx, artist.name, Some(title)) {
        track["userplaycount"] = json!(plays.to_string());
        track["userloved"] = json!(if loved { "1" } else { "0" });
    }
    Ok(json!({ "track": track }))
}

pub(crate) fn artist_get_info(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let name = required(ctx.params, "artist")?;
    let artist = find_artist(name)
        .ok_or_else(|| ApiError::with_message(6, "The artist you supplied could not be found"))?;
    let h = hash(artist.name);
    let similar: Vec<Value> = artist
        .similar
        .iter()
        .map(|s| json!({"name": s, "url": format!("https://www.last.fm/music/{}", slug(s)), "image": images(s, true)}))
        .collect();
    let mut stats = json!({
        "listeners": (1_000_000 + h % 1_000_000).to_string(),
        "playcount": (50_000_000 + h % 50_000_000).to_string(),
    });
    if let Some((plays, _)) = user_figures(ctx, artist.name, None) {
        stats["userplaycount"] = json!(plays.to_string());
    }
    let url = format!("https://www.last.fm/music/{}", slug(artist.name));
    Ok(json!({"artist": {
        "name": artist.name,
        "mbid": artist.mbid,
        "url": url,
        "image": images(artist.name, true),
        "streamable": "0",
        "ontour": if h.is_multiple_of(2) { "0" } else { "1" },
        "stats": stats,
        "similar": {"artist": one_or_many(similar)},
        "tags": tag_list(artist.tags, false),
        "bio": {
            "links": {"link": {"#text": "", "rel": "original", "href": format!("{url}/+wiki")}},
            "published": "01 Jan 2006, 00:00",
            "summary": format!("{} is a mock artist.", artist.name),
            "content": format!("{} is a mock artist of the liblfm test server.", artist.name),
        },
    }}))
}

pub(crate) fn album_get_info(ctx: &Ctx<'_>, _: Option<&str>) -> Result<Value, ApiError> {
    let artist_name = required(ctx.params, "artist")?;
    let title = required(ctx.params, "album")?;
    let not_found = || ApiError::invalid("Album not found");
    let artist = find_artist(artist_name).ok_or_else(not_found)?;
    let album = artist
        .albums
        .iter()
        .find(|a| a.title.eq_ignore_ascii_case(title))
        .ok_or_else(not_found)?;
    let h = hash(album.title);
    let tracks: Vec<Value> = album
        .tracks
        .iter()
        .enumerate()
        .map(|(i, (t, secs))| {
            json!({
                "streamable": {"fulltrack": "0", "#text": "0"},
                "duration": secs,
                "url": track_url(artist.name, t),
                "name": t,
                "@attr": {"rank": i + 1},
                "artist": {"url": format!("https://www.last.fm/music/{}", slug(artist.name)), "name": artist.name, "mbid": artist.mbid},
            })
        })
        .collect();
    let mut reply = json!({
        "artist": artist.name,
        "mbid": album.mbid,
        "tags": tag_list(album.tags, true),
        "playcount": (1_000_000 + h % 1_000_000).to_string(),
        "image": images(&format!("{}/{}", artist.name, album.title), false),
        "tracks": {"track": one_or_many(tracks)},
        "url": format!("https://www.last.fm/music/{}/{}", slug(artist.name), slug(album.title)),
        "name": album.title,
        "listeners": (100_000 + h % 100_000).to_string(),
    });
    if let Some((plays, _)) = user_figures(ctx, artist.name, None) {
        reply["userplaycount"] = json!(plays);
    }
    Ok(json!({ "album": reply }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_shared_seconds_differ() {
        let mut a = Library::default();
        a.generate(100, 1000, 60, 3, 7);
        let mut b = Library::default();
        b.generate(100, 1000, 60, 3, 7);
        let key = |l: &Library| {
            l.plays
                .iter()
                .map(|p| (p.uts, p.artist.clone(), p.track.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        let mut seen = std::collections::HashSet::new();
        for p in &a.plays {
            assert!(
                seen.insert((p.uts, p.artist.clone(), p.track.clone())),
                "{p:?}"
            );
        }
        // Every third play shares its second: 100 plays over 67 seconds.
        let mut secs: Vec<i64> = a.plays.iter().map(|p| p.uts).collect();
        secs.dedup();
        assert_eq!(secs.len(), 67);
    }

    #[test]
    fn page_faults_are_consumed() {
        let mut l = Library::default();
        l.faults.push(PageFault {
            method: "user.getRecentTracks".into(),
            page: 7,
            code: 8,
            http: None,
            count: 1,
        });
        assert!(l.take_fault("user.getrecenttracks", 6).is_none());
        assert_eq!(l.take_fault("user.getRecentTracks", 7).unwrap().code, 8);
        assert!(l.take_fault("user.getRecentTracks", 7).is_none());
    }
}
