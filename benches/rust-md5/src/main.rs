//! `lfm-bench-md5 love|batch SECONDS`: ns per MD5 (md-5 0.10, the crate liblfm uses) over
//! the already built signature base string, plus lower-case hex, like the OpenSSL limit.
//! The base strings are built exactly like benches/common.h builds the parameters.

use md5::{Digest, Md5};
use std::hint::black_box;
use std::time::Instant;

fn params(which: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str, v: &str| p.push((n.to_string(), v.to_string()));
    if which == "love" {
        add("method", "track.love");
        add("artist", "KITANO REM");
        add("track", "RAINSICK");
        add("api_key", "YOUR_API_KEY");
        add("sk", "YOUR_SESSION_KEY");
    } else {
        add("method", "track.scrobble");
        add("api_key", "YOUR_API_KEY");
        add("sk", "YOUR_SESSION_KEY");
        for i in 0..50 {
            add(&format!("artist[{i}]"), &format!("Artist Number {}", i % 17));
            add(&format!("track[{i}]"), &format!("A Fairly Typical Track Title {i}"));
            add(&format!("timestamp[{i}]"), &format!("{}", 1_764_000_000i64 + i as i64 * 240));
            add(&format!("album[{i}]"), &format!("Some Album (Deluxe Edition) {}", i % 5));
        }
    }
    p
}

fn hex(d: &[u8], out: &mut [u8; 32]) {
    const D: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in d.iter().enumerate() {
        out[2 * i] = D[(b >> 4) as usize];
        out[2 * i + 1] = D[(b & 15) as usize];
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("love");
    let secs: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let mut p = params(which);
    p.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut base = String::new();
    for (n, v) in &p {
        base.push_str(n);
        base.push_str(v);
    }
    base.push_str("YOUR_SECRET");
    let base = base.into_bytes();
    let mut out = [0u8; 32];
    let mut batch: u64 = 1;
    let (mut ops, mut spent) = (0u64, 0.0f64);
    for phase in 0..2 {
        let deadline = if phase == 0 { 0.2 } else { secs };
        ops = 0;
        let t0 = Instant::now();
        loop {
            for _ in 0..batch {
                let d = Md5::digest(black_box(&base[..]));
                hex(&d, &mut out);
                black_box(&out);
            }
            ops += batch;
            spent = t0.elapsed().as_secs_f64();
            if phase == 0 && spent < 0.005 {
                batch *= 2;
            }
            if spent >= deadline {
                break;
            }
        }
    }
    println!(
        "ns_per_op={:.2} sig={} base_len={}",
        spent * 1e9 / ops as f64,
        std::str::from_utf8(&out).unwrap(),
        base.len()
    );
}
