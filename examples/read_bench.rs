//! Benchmarks of the read layer (issue 16): the cost of normalizing a 200-play page of
//! recent tracks against parsing the raw body alone, and the pager's pages per second
//! against a bare keep-alive loop fetching the same pages.
//!
//!     cargo run --release --example read_bench all [ROUNDS] [SECONDS]
//!     read_bench normalize {parse|normalize|tree} SECONDS   # prints ns_per_page=...
//!     read_bench pages {bare|call|parsed|pager} SECONDS     # prints pages_per_s=...
//!     read_bench size                                       # prints bytes=... (one page)
//!
//! `all` runs every contender once per round, in an order that rotates from round to round,
//! and prints `read|ROW|CONTENDER|VALUE` lines (the results format of `scripts/bench.sh`,
//! which runs the single-contender forms in its own rounds; `benches/report.py` makes the
//! table). Nothing is asserted: the figures are information.
//!
//! normalize: `parse` is `serde_json::from_str::<Value>` of the body; `normalize` is
//! `lfm::read::normalize` (text to text: parse, rewrite, serialize, what
//! `LFM_CALL_NORMALIZE` costs); `tree` is parse plus `normalize_value` (what the pager does
//! per page). The page is a realistic user.getRecentTracks reply of 200 plays (about
//! 160 kB: four image URLs per play, mbids, dates).
//!
//! pages: 25 such pages (5,000 plays) served over plain HTTP on loopback by a minimal
//! keep-alive server thread in this process that answers each request with a prebuilt
//! response for its `page`. `bare` writes the request and reads the Content-Length reply
//! on one socket (no parsing: the limit); `call` is `Client::call` per page (raw body);
//! `parsed` is `Client::call` and `serde_json::from_str` (the least a program reading the
//! pages must do); `pager` walks the 25 pages with `lfm::read::Pager` (request, parse, normalize, the
//! exactly-once filter), again and again. Rate limit off.

use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use lfm::read::{normalize, normalize_value, Pager};
use lfm::{CallFlags, Client};
use serde_json::{json, Value};

const PER_PAGE: usize = 200;
const PAGES: usize = 25;
const METHOD: &str = "user.getRecentTracks";

/// Page `page` (1-based) of a 5,000-play history, in Last.fm's shape.
fn recent_page(page: usize) -> String {
    let img = |dir: &str, id: &str| format!("https://lastfm.freetls.fastly.net/i/u/{dir}/{id}.png");
    let items: Vec<Value> = (0..PER_PAGE)
        .map(|i| {
            let g = (page - 1) * PER_PAGE + i;
            let uts = 1_700_000_000 - 180 * g as i64;
            let id = format!("{:032x}", (g as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c));
            let mbid = if g.is_multiple_of(3) {
                String::new()
            } else {
                format!("{:08x}-1b2c-4d3e-8f4a-5b6c7d8e9f{:02x}", g * 7919, g % 256)
            };
            json!({
                "artist": {"mbid": mbid, "#text": format!("Artist Number {}", g % 37)},
                "streamable": "0",
                "image": [
                    {"size": "small", "#text": img("34s", &id)},
                    {"size": "medium", "#text": img("64s", &id)},
                    {"size": "large", "#text": img("174s", &id)},
                    {"size": "extralarge", "#text": img("300x300", &id)},
                ],
                "mbid": mbid,
                "album": {"mbid": "", "#text": format!("Some Album (Deluxe Edition) {}", g % 11)},
                "name": format!("A Fairly Typical Track Title {g}"),
                "url": format!("https://www.last.fm/music/Artist+Number+{}/_/A+Fairly+Typical+Track+Title+{g}", g % 37),
                "date": {"uts": uts.to_string(), "#text": "14 Nov 2023, 22:13"},
            })
        })
        .collect();
    json!({"recenttracks": {"track": items, "@attr": {
        "user": "RJ", "page": page.to_string(), "perPage": PER_PAGE.to_string(),
        "totalPages": PAGES.to_string(), "total": (PAGES * PER_PAGE).to_string(),
    }}})
    .to_string()
}

/// Runs `op` repeatedly for about `seconds`; returns (operations, elapsed).
fn timed(seconds: f64, mut op: impl FnMut() -> u64) -> (u64, Duration) {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut done = 0;
    while start.elapsed() < budget {
        done += op();
    }
    (done, start.elapsed())
}

fn bench_normalize(contender: &str, seconds: f64) -> f64 {
    let body = recent_page(1);
    let once: Box<dyn Fn()> = match contender {
        "parse" => Box::new(|| {
            black_box(serde_json::from_str::<Value>(black_box(&body)).unwrap());
        }),
        "normalize" => Box::new(|| {
            black_box(normalize(METHOD, black_box(&body)).unwrap());
        }),
        "tree" => Box::new(|| {
            let mut v: Value = serde_json::from_str(black_box(&body)).unwrap();
            normalize_value(METHOD, &mut v);
            black_box(v);
        }),
        other => panic!("unknown contender {other}"),
    };
    once(); // warm up
    let (n, elapsed) = timed(seconds, || {
        for _ in 0..8 {
            once();
        }
        8
    });
    elapsed.as_nanos() as f64 / n as f64
}

/// A keep-alive HTTP/1.1 server on loopback answering each request with the prebuilt
/// response of its `page` parameter; returns the port.
fn serve_pages() -> u16 {
    let responses: Vec<Vec<u8>> = (1..=PAGES)
        .map(|p| {
            let body = recent_page(p);
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let responses = responses.clone();
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let page = line
                        .split(['?', '&', ' '])
                        .find_map(|kv| kv.strip_prefix("page="))
                        .and_then(|p| p.parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, PAGES);
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    if writer.write_all(&responses[page - 1]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Reads one Content-Length response; returns the body's length.
fn read_response(reader: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> usize {
    let mut line = String::new();
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            length = v.trim().parse().unwrap();
        }
    }
    body.resize(length, 0);
    reader.read_exact(body).unwrap();
    length
}

fn bench_pages(contender: &str, seconds: f64) -> f64 {
    let port = serve_pages();
    let client = Client::new("0123456789abcdef0123456789abcdef", "secret").unwrap();
    client
        .set_base_url(&format!("http://127.0.0.1:{port}/2.0/"))
        .unwrap();
    client.set_rate_limit(0);
    let page_param = |n: u64| ((n as usize % PAGES) + 1).to_string();
    let (pages, elapsed) = match contender {
        "bare" => {
            let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream.set_nodelay(true).unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            let mut body = Vec::new();
            let mut n = 0;
            timed(seconds, || {
                let request = format!(
                    "GET /2.0/?method=user.getRecentTracks&user=RJ&limit=200&page={}\
                     &api_key=0123456789abcdef0123456789abcdef&format=json HTTP/1.1\r\n\
                     Host: 127.0.0.1:{port}\r\nAccept: */*\r\n\r\n",
                    page_param(n)
                );
                writer.write_all(request.as_bytes()).unwrap();
                black_box(read_response(&mut reader, &mut body));
                n += 1;
                1
            })
        }
        "call" | "parsed" => {
            let mut n = 0;
            timed(seconds, || {
                let page = page_param(n);
                let params = [("user", "RJ"), ("limit", "200"), ("page", page.as_str())];
                let body = client.call(METHOD, &params, CallFlags::NONE).unwrap();
                if contender == "parsed" {
                    black_box(serde_json::from_str::<Value>(&body).unwrap());
                } else {
                    black_box(body);
                }
                n += 1;
                1
            })
        }
        "pager" => {
            let mut pager = None;
            timed(seconds, || {
                let p = pager.get_or_insert_with(|| {
                    Pager::open(&client, METHOD, &[("user", "RJ")]).unwrap()
                });
                match p.next_page().unwrap() {
                    Some(page) => {
                        assert_eq!(page.items.len(), PER_PAGE);
                        black_box(page);
                        1
                    }
                    None => {
                        pager = None; // walk again
                        0
                    }
                }
            })
        }
        other => panic!("unknown contender {other}"),
    };
    pages as f64 / elapsed.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let seconds = |i: usize, default: f64| arg(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match arg(0) {
        Some("normalize") => {
            let ns = bench_normalize(arg(1).unwrap_or("normalize"), seconds(2, 1.0));
            println!("ns_per_page={ns:.0}");
        }
        Some("pages") => {
            let rate = bench_pages(arg(1).unwrap_or("pager"), seconds(2, 1.0));
            println!("pages_per_s={rate:.1}");
        }
        Some("size") => println!("bytes={}", recent_page(1).len()),
        Some("all") | None => {
            let rounds: usize = arg(1).and_then(|s| s.parse().ok()).unwrap_or(5);
            let secs = seconds(2, 0.5);
            println!("read|page_bytes|size|{}", recent_page(1).len());
            for round in 0..rounds {
                eprintln!("round {}/{rounds}", round + 1);
                let normalizers = ["parse", "normalize", "tree"];
                for i in 0..normalizers.len() {
                    let c = normalizers[(i + round) % normalizers.len()];
                    println!("read|normalize|{c}|{:.0}", bench_normalize(c, secs));
                }
                let fetchers = ["bare", "call", "parsed", "pager"];
                for i in 0..fetchers.len() {
                    let c = fetchers[(i + round) % fetchers.len()];
                    println!("read|pages|{c}|{:.1}", bench_pages(c, secs));
                }
            }
        }
        Some(other) => {
            eprintln!("usage: read_bench all [ROUNDS] [SECONDS] | normalize C SECONDS | pages C SECONDS ({other:?}?)");
            std::process::exit(2);
        }
    }
}
