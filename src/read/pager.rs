//! Walking every page of a paginated method, with each item delivered exactly once.
//!
//! [`Pager`] asks for page 1, 2, ... of a method listed in [`PAGED`], normalizes each
//! reply ([`super::normalize`]), and follows the `totalPages` of the latest reply. Each
//! request goes through the client (its rate limit included) and is retried by the pager's
//! [`Retry`] policy; when the retries are used up, [`Pager::next_page`] returns the error
//! and the pager stays on the same page, so calling it again resumes there.
//!
//! For a timeline (`user.getRecentTracks`: plays newest first, each with `date.uts`):
//! - **The window is frozen.** Without a `to`, the newest play on the first page fixes
//!   the upper bound, and every later page is asked with `to` just above it: plays
//!   scrobbled while the walk runs do not shift the pages under it.
//! - **The now-playing item is dropped without losing a slot.** Last.fm counts it against
//!   `limit` on page 1 (pylast#309), so a page-1 reply that carries it is used only to fix
//!   the window and page 1 is asked again inside the window, where nothing is playing.
//! - **Plays that share a timestamp survive page boundaries.** The pager remembers the
//!   oldest timestamp it delivered and which plays (artist, track) it delivered at that
//!   second: a later play at an older second is new, one at the same second is new unless
//!   already delivered, one at a newer second was delivered (the list moved under us).
//!   Last.fm pages by offset, so this is what keeps a shifted page from repeating plays.
//! - **`from` and `to` are inclusive** (`from <= uts <= to`), whatever the server's own
//!   convention: the pager widens the asked range by a second and filters.
//! - **Incremental imports lose nothing.** [`Pager::mark`] is the newest second delivered
//!   and the plays delivered at it; [`Pager::after`] starts a later walk there, delivering
//!   the plays at that second that the mark does not hold and every newer one (the
//!   ListenBrainz importer's lesson: stopping at or skipping past the last second loses
//!   plays that share it).
//! - [`Pager::state`] is a string that [`Pager::resume`] turns back into the same pager:
//!   save it after each page to survive being killed.

use serde_json::{json, Value};

use super::normalize::normalize_value;
use super::Retry;
use crate::client::{CallFlags, Client};
use crate::error::{Error, Result, Status};

/// The paginated methods: (method, lower case; path of the item list in the normalized
/// reply; whether items are a timeline with `date.uts`, newest first).
pub const PAGED: &[(&str, &str, bool)] = &[
    ("user.getrecenttracks", "recenttracks.track", true),
    ("user.getlovedtracks", "lovedtracks.track", false),
    ("user.gettopartists", "topartists.artist", false),
];

/// The items per page asked for by default: Last.fm's largest page.
pub const DEFAULT_LIMIT: u32 = 200;

/// Where the pager gets replies: a [`Client`] (an unsigned GET per page unless told
/// otherwise), or anything that answers like one.
pub trait Source {
    /// One call, returning the raw JSON body.
    fn get(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String>;
}

impl Source for Client {
    fn get(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String> {
        self.call(method, params, flags)
    }
}

impl<T: Source + ?Sized> Source for &T {
    fn get(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String> {
        (**self).get(method, params, flags)
    }
}

impl<T: Source + ?Sized> Source for std::sync::Arc<T> {
    fn get(&self, method: &str, params: &[(&str, &str)], flags: CallFlags) -> Result<String> {
        (**self).get(method, params, flags)
    }
}

/// The totals Last.fm reports (from the latest reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// Items in all (`total`).
    pub items: u64,
    /// Pages in all (`totalPages`).
    pub pages: u32,
}

/// One page of normalized items.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The page number asked for (1-based).
    pub number: u32,
    /// The items, normalized, each delivered once over the whole walk.
    pub items: Vec<Value>,
}

impl Page {
    /// The items as one JSON array.
    pub fn to_json(&self) -> String {
        Value::Array(self.items.clone()).to_string()
    }
}

/// A second of a timeline and the plays (artist, track) seen at it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mark {
    /// Unix seconds.
    pub uts: i64,
    /// `artist \u{1f} track` of each play at `uts`.
    pub plays: Vec<String>,
}

impl Mark {
    fn to_value(&self) -> Value {
        json!({"uts": self.uts, "plays": self.plays})
    }

    fn from_value(v: &Value) -> Option<Mark> {
        Some(Mark {
            uts: v.get("uts")?.as_i64()?,
            plays: v
                .get("plays")?
                .as_array()?
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?,
        })
    }

    /// The mark as a JSON string, to store between runs.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// A mark from [`Mark::to_json`].
    pub fn from_json(text: &str) -> Result<Mark> {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| Mark::from_value(&v))
            .ok_or_else(|| Error::invalid("not a pager mark"))
    }

    fn add(&mut self, id: String) {
        if !self.plays.contains(&id) {
            self.plays.push(id);
        }
    }
}

/// A walk over every page of a paginated method. Not shared between threads while it
/// walks (`next_page` takes `&mut self`); it may be moved to another thread.
pub struct Pager<S: Source> {
    source: S,
    retry: Retry,
    flags: CallFlags,
    method: String,
    items_path: &'static str,
    timeline: bool,
    params: Vec<(String, String)>,
    limit: u32,
    /// Inclusive bounds asked by the caller or fixed by the walk.
    from: Option<i64>,
    to: Option<i64>,
    /// Plays at `from` already delivered by an earlier walk.
    after: Option<Mark>,
    page: u32,
    done: bool,
    total: Option<Total>,
    /// The oldest second delivered and the plays delivered at it.
    cursor: Option<Mark>,
    /// The newest second delivered and the plays delivered at it.
    newest: Option<Mark>,
}

impl<S: Source> std::fmt::Debug for Pager<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("method", &self.method)
            .field("page", &self.page)
            .field("total", &self.total)
            .field("done", &self.done)
            .finish()
    }
}

fn int_param(name: &str, value: &str) -> Result<i64> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::invalid(format!("{name} must be an integer, not {value:?}")))
}

impl<S: Source> Pager<S> {
    /// A pager over `method` (one of [`PAGED`]) with the method's own `params`. `limit`
    /// (default [`DEFAULT_LIMIT`]) and, for a timeline, `from`/`to` (inclusive Unix seconds)
    /// may be among them; `page` may not (see [`Pager::resume_at`]). Does no I/O.
    pub fn open(source: S, method: &str, params: &[(&str, &str)]) -> Result<Pager<S>> {
        let lower = method.to_ascii_lowercase();
        let &(_, items_path, timeline) =
            PAGED.iter().find(|(m, _, _)| *m == lower).ok_or_else(|| {
                Error::invalid(format!(
                    "{method} is not a paginated method the pager knows ({})",
                    PAGED.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                ))
            })?;
        let mut pager = Pager {
            source,
            retry: Retry::default(),
            flags: CallFlags::NONE,
            method: method.to_string(),
            items_path,
            timeline,
            params: Vec::new(),
            limit: DEFAULT_LIMIT,
            from: None,
            to: None,
            after: None,
            page: 1,
            done: false,
            total: None,
            cursor: None,
            newest: None,
        };
        for (name, value) in params {
            match *name {
                "page" => {
                    return Err(Error::invalid(
                        "the pager sets page itself: use resume_at to start elsewhere",
                    ))
                }
                "limit" => {
                    pager.limit = u32::try_from(int_param(name, value)?)
                        .ok()
                        .filter(|l| *l >= 1)
                        .ok_or_else(|| Error::invalid("limit must be at least 1"))?;
                }
                "from" | "to" if !timeline => {
                    return Err(Error::invalid(format!(
                        "{method} has no {name}: only a timeline does"
                    )))
                }
                "from" => pager.from = Some(int_param(name, value)?),
                "to" => pager.to = Some(int_param(name, value)?),
                _ => pager.params.push((name.to_string(), value.to_string())),
            }
        }
        if timeline && pager.limit < 2 {
            // A now-playing item can fill a page of one: the window could not be fixed.
            return Err(Error::invalid("a timeline needs a limit of at least 2"));
        }
        Ok(pager)
    }

    /// Retry transient failures by `retry` (default: [`Retry::default`]).
    pub fn with_retry(mut self, retry: Retry) -> Pager<S> {
        self.retry = retry;
        self
    }

    /// Retry transient failures by `retry` from now on (the in-place form of
    /// [`Pager::with_retry`], for a pager already walking or resumed).
    pub fn set_retry(&mut self, retry: Retry) {
        self.retry = retry;
    }

    /// Call with `flags` (default: unsigned GET).
    pub fn with_flags(mut self, flags: CallFlags) -> Pager<S> {
        self.flags = flags;
        self
    }

    /// Start where an earlier walk's [`Pager::mark`] ended: deliver only plays newer than
    /// the mark, or at its second but not in it. Timelines only; replaces `from`.
    pub fn after(mut self, mark: Mark) -> Result<Pager<S>> {
        if !self.timeline {
            return Err(Error::invalid(format!(
                "{} is not a timeline: marks do not apply",
                self.method
            )));
        }
        self.from = Some(mark.uts);
        self.after = Some(mark);
        Ok(self)
    }

    /// Continue at page `page` (1-based) on the next [`Pager::next_page`].
    pub fn resume_at(&mut self, page: u32) -> Result<()> {
        if page == 0 {
            return Err(Error::invalid("pages are numbered from 1"));
        }
        self.page = page;
        self.done = false;
        Ok(())
    }

    /// The page the next [`Pager::next_page`] asks for.
    pub fn page(&self) -> u32 {
        self.page
    }

    /// The totals of the latest reply; `None` before the first page.
    pub fn total(&self) -> Option<Total> {
        self.total
    }

    /// The newest second delivered so far and the plays at it (timelines): give it to
    /// [`Pager::after`] for the next incremental import.
    pub fn mark(&self) -> Option<Mark> {
        self.newest.clone().or_else(|| self.after.clone())
    }

    /// The next page of items that were not delivered before; `None` at the end. An
    /// error leaves the pager on the same page. Blocks for the calls and their retries.
    pub fn next_page(&mut self) -> Result<Option<Page>> {
        while !self.done {
            let number = self.page;
            let mut reply = self.fetch(number)?;
            let attr = self.reply_attr(&reply);
            let raw = take_items(&mut reply, self.items_path);
            let total_pages = attr.map(|t| t.pages).unwrap_or(0);
            if let Some(t) = attr {
                self.total = Some(t);
            }
            if raw.is_empty() || number >= total_pages {
                self.done = true;
            } else {
                self.page = number + 1;
            }
            if !self.timeline {
                return Ok(Some(Page { number, items: raw }));
            }
            if self.to.is_none() {
                // First page of an open window: fix it at the newest play.
                let newest = raw.iter().filter_map(uts).max();
                let Some(newest) = newest else {
                    self.done = true;
                    return Ok(None);
                };
                self.to = Some(newest);
                if raw.iter().any(is_now_playing) {
                    // The now-playing item took a slot: ask page 1 again inside the window.
                    self.page = number;
                    self.done = false;
                    continue;
                }
            }
            let items: Vec<Value> = raw.into_iter().filter(|i| self.deliver(i)).collect();
            if !items.is_empty() {
                return Ok(Some(Page { number, items }));
            }
        }
        Ok(None)
    }

    fn fetch(&self, page: u32) -> Result<Value> {
        let page_s = page.to_string();
        let limit_s = self.limit.to_string();
        // Widened by a second each way; deliver() applies the inclusive bounds.
        let from_s = self.from.map(|f| f.saturating_sub(1).to_string());
        let to_s = self.to.map(|t| t.saturating_add(1).to_string());
        let mut params: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        params.push(("limit", &limit_s));
        params.push(("page", &page_s));
        if let Some(f) = &from_s {
            params.push(("from", f));
        }
        if let Some(t) = &to_s {
            params.push(("to", t));
        }
        let body = self
            .retry
            .run(|| self.source.get(&self.method, &params, self.flags))
            .map_err(|e| e.prefixed(&format!("{} page {page}: ", self.method)))?;
        let mut value: Value = serde_json::from_str(&body)
            .map_err(|e| Error::new(Status::Parse, format!("{} page {page}: {e}", self.method)))?;
        normalize_value(&self.method, &mut value);
        Ok(value)
    }

    fn reply_attr(&self, reply: &Value) -> Option<Total> {
        let root = self.items_path.split('.').next()?;
        let attr = reply.get(root)?.get("attr")?;
        Some(Total {
            items: attr.get("total")?.as_u64()?,
            pages: u32::try_from(attr.get("totalPages")?.as_u64()?).ok()?,
        })
    }

    /// Whether a timeline item is new, by the bounds, the mark and the cursor; records it.
    fn deliver(&mut self, item: &Value) -> bool {
        let Some(ts) = uts(item) else {
            return false; // now playing, or no date
        };
        if self.from.is_some_and(|f| ts < f) || self.to.is_some_and(|t| ts > t) {
            return false;
        }
        let id = play_id(item);
        if let Some(m) = &self.after {
            if ts == m.uts && m.plays.contains(&id) {
                return false;
            }
        }
        match &mut self.cursor {
            Some(c) if ts > c.uts => return false,
            Some(c) if ts == c.uts => {
                if c.plays.contains(&id) {
                    return false;
                }
                c.plays.push(id.clone());
            }
            _ => {
                self.cursor = Some(Mark {
                    uts: ts,
                    plays: vec![id.clone()],
                })
            }
        }
        match &mut self.newest {
            None => {
                self.newest = Some(Mark {
                    uts: ts,
                    plays: vec![id],
                })
            }
            Some(n) if n.uts == ts => n.add(id),
            Some(_) => {}
        }
        true
    }

    /// Everything needed to continue this walk later, as a JSON string.
    pub fn state(&self) -> String {
        json!({
            "method": self.method,
            "params": self.params,
            "limit": self.limit,
            "from": self.from,
            "to": self.to,
            "after": self.after.as_ref().map(Mark::to_value),
            "page": self.page,
            "done": self.done,
            "cursor": self.cursor.as_ref().map(Mark::to_value),
            "newest": self.newest.as_ref().map(Mark::to_value),
        })
        .to_string()
    }

    /// The pager a [`Pager::state`] describes, over `source`.
    pub fn resume(source: S, state: &str) -> Result<Pager<S>> {
        let bad = || Error::invalid("not a pager state");
        let v: Value = serde_json::from_str(state).map_err(|_| bad())?;
        let method = v["method"].as_str().ok_or_else(bad)?;
        let params: Vec<(String, String)> =
            serde_json::from_value(v["params"].clone()).map_err(|_| bad())?;
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut pager = Pager::open(source, method, &borrowed)?;
        let mark = |key: &str| -> Result<Option<Mark>> {
            match &v[key] {
                Value::Null => Ok(None),
                m => Mark::from_value(m).map(Some).ok_or_else(bad),
            }
        };
        pager.limit = v["limit"]
            .as_u64()
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| *l >= 1)
            .ok_or_else(bad)?;
        pager.from = v["from"].as_i64();
        pager.to = v["to"].as_i64();
        pager.after = mark("after")?;
        pager.page = v["page"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p >= 1)
            .ok_or_else(bad)?;
        pager.done = v["done"].as_bool().ok_or_else(bad)?;
        pager.cursor = mark("cursor")?;
        pager.newest = mark("newest")?;
        Ok(pager)
    }
}

/// The item list at `path` of a normalized reply (an array by then), taken out.
fn take_items(reply: &mut Value, path: &str) -> Vec<Value> {
    let mut at = reply;
    for key in path.split('.') {
        match at.get_mut(key) {
            Some(next) => at = next,
            None => return Vec::new(),
        }
    }
    match at.take() {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// `date.uts` of a normalized timeline item.
fn uts(item: &Value) -> Option<i64> {
    item.get("date")?.get("uts")?.as_i64()
}

fn is_now_playing(item: &Value) -> bool {
    item.get("nowplaying") == Some(&Value::Bool(true))
}

/// What identifies a play within its second: artist and track names.
fn play_id(item: &Value) -> String {
    let artist = item
        .get("artist")
        .and_then(|a| a.get("name").or_else(|| a.get("text")).or(Some(a)))
        .and_then(Value::as_str)
        .unwrap_or("");
    let track = item.get("name").and_then(Value::as_str).unwrap_or("");
    format!("{artist}\u{1f}{track}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A timeline served the way the mock and Last.fm do: newest first, paged by offset,
    /// the now-playing item taking a slot on page 1 when no `to` is given.
    struct Fake {
        plays: Mutex<Vec<(i64, String)>>,
        now_playing: bool,
        asked: Mutex<Vec<String>>,
    }

    impl Fake {
        fn new(plays: &[(i64, &str)], now_playing: bool) -> Fake {
            Fake {
                plays: Mutex::new(plays.iter().map(|(t, n)| (*t, n.to_string())).collect()),
                now_playing,
                asked: Mutex::new(Vec::new()),
            }
        }
    }

    impl Source for Fake {
        fn get(&self, _: &str, params: &[(&str, &str)], _: CallFlags) -> Result<String> {
            let p = |n: &str| {
                params
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.parse::<i64>().unwrap())
            };
            self.asked.lock().unwrap().push(format!("{params:?}"));
            let (limit, page) = (p("limit").unwrap(), p("page").unwrap());
            let mut plays = self.plays.lock().unwrap().clone();
            plays.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
            plays.retain(|(t, _)| {
                p("from").is_none_or(|f| *t > f) && p("to").is_none_or(|x| *t < x)
            });
            let mut items: Vec<Value> = plays
                .iter()
                .map(|(t, n)| json!({"artist": {"#text": "A"}, "name": n, "date": {"uts": t.to_string()}}))
                .collect();
            let total = items.len() as i64;
            let np = self.now_playing && p("to").is_none();
            if np {
                items.insert(0, json!({"artist": {"#text": "A"}, "name": "playing", "@attr": {"nowplaying": "true"}}));
            }
            let start = ((page - 1) * limit) as usize;
            let page_items: Vec<Value> =
                items.into_iter().skip(start).take(limit as usize).collect();
            Ok(json!({"recenttracks": {"track": page_items, "@attr": {
                "page": page.to_string(), "total": total.to_string(),
                "totalPages": ((total + limit - 1) / limit).to_string()}}})
            .to_string())
        }
    }

    fn names(pager: &mut Pager<&Fake>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(page) = pager.next_page().unwrap() {
            out.extend(
                page.items
                    .iter()
                    .map(|i| i["name"].as_str().unwrap().to_string()),
            );
        }
        out
    }

    #[test]
    fn now_playing_does_not_cost_a_play() {
        let plays: Vec<(i64, String)> = (0..7).map(|i| (100 - i, format!("p{i}"))).collect();
        let plays: Vec<(i64, &str)> = plays.iter().map(|(t, n)| (*t, n.as_str())).collect();
        let fake = Fake::new(&plays, true);
        let mut pager = Pager::open(
            &fake,
            "user.getRecentTracks",
            &[("user", "RJ"), ("limit", "3")],
        )
        .unwrap();
        assert_eq!(
            names(&mut pager),
            ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]
        );
        assert_eq!(pager.total(), Some(Total { items: 7, pages: 3 }));
    }

    #[test]
    fn shared_seconds_and_new_plays_during_the_walk() {
        // Three plays share second 98, across the boundary of pages 1 and 2.
        let fake = Fake::new(
            &[
                (100, "a"),
                (99, "b"),
                (98, "c"),
                (98, "d"),
                (98, "e"),
                (97, "f"),
            ],
            false,
        );
        let mut pager = Pager::open(&fake, "user.getRecentTracks", &[("limit", "3")]).unwrap();
        let first = pager.next_page().unwrap().unwrap();
        assert_eq!(first.items.len(), 3);
        // A play scrobbled with an old timestamp shifts every later page by one.
        fake.plays.lock().unwrap().push((99, "late".to_string()));
        let mut rest = names(&mut pager);
        let mut all: Vec<String> = first
            .items
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect();
        all.append(&mut rest);
        assert_eq!(all, ["a", "b", "c", "d", "e", "f"], "no repeat, no loss");
        let mark = pager.mark().unwrap();
        assert_eq!(
            mark,
            Mark {
                uts: 100,
                plays: vec!["A\u{1f}a".into()]
            }
        );

        // Incremental: new plays at the mark's second and after it, nothing else.
        fake.plays
            .lock()
            .unwrap()
            .extend([(100, "g".to_string()), (101, "h".to_string())]);
        let mut inc = Pager::open(&fake, "user.getRecentTracks", &[("limit", "2")])
            .unwrap()
            .after(mark)
            .unwrap();
        assert_eq!(names(&mut inc), ["h", "g"]);
    }

    #[test]
    fn state_round_trip_resumes_mid_walk() {
        let plays: Vec<(i64, String)> = (0..10).map(|i| (50 - i / 2, format!("p{i}"))).collect();
        let plays: Vec<(i64, &str)> = plays.iter().map(|(t, n)| (*t, n.as_str())).collect();
        let fake = Fake::new(&plays, true);
        let mut pager = Pager::open(
            &fake,
            "user.getRecentTracks",
            &[("limit", "3"), ("user", "RJ")],
        )
        .unwrap();
        let mut got: Vec<String> = Vec::new();
        for _ in 0..2 {
            let page = pager.next_page().unwrap().unwrap();
            got.extend(
                page.items
                    .iter()
                    .map(|i| i["name"].as_str().unwrap().to_string()),
            );
        }
        let saved = pager.state();
        drop(pager);
        let mut again = Pager::resume(&fake, &saved).unwrap();
        got.extend(names(&mut again));
        let want: Vec<String> = (0..10).map(|i| format!("p{i}")).collect();
        assert_eq!(got, want);
        assert!(fake
            .asked
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .contains("\"user\", \"RJ\""));
        assert!(Pager::resume(&fake, "{}").is_err());
        assert!(Pager::resume(&fake, "nope").is_err());
    }

    #[test]
    fn bounds_are_inclusive_and_bad_params_refused() {
        let fake = Fake::new(&[(10, "a"), (9, "b"), (8, "c"), (7, "d")], false);
        let mut pager =
            Pager::open(&fake, "user.getRecentTracks", &[("from", "8"), ("to", "9")]).unwrap();
        assert_eq!(names(&mut pager), ["b", "c"]);
        for bad in [[("page", "2")], [("limit", "0")], [("from", "x")]] {
            assert_eq!(
                Pager::open(&fake, "user.getRecentTracks", &bad)
                    .unwrap_err()
                    .status(),
                Status::InvalidArgument
            );
        }
        assert!(Pager::open(&fake, "user.getTopArtists", &[("from", "1")]).is_err());
        assert!(Pager::open(&fake, "track.getInfo", &[]).is_err());
        let empty = Fake::new(&[], true);
        let mut pager = Pager::open(&empty, "user.getRecentTracks", &[]).unwrap();
        assert_eq!(pager.next_page().unwrap(), None);
    }
}
