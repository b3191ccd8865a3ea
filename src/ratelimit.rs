//! Client-side pacing: a token bucket shared by every thread of a client, and the jittered
//! exponential back-off suggested after rate-limit and transient errors.

use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Last.fm's terms: at most 5 requests per second per client, averaged.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 5;

/// A token bucket holding up to one second's worth of requests.
#[derive(Debug)]
pub struct RateLimiter {
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    per_second: u32,
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests per second on average; 0 turns it off.
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            bucket: Mutex::new(Bucket {
                per_second,
                tokens: f64::from(per_second),
                refilled: Instant::now(),
            }),
        }
    }

    /// Change the rate; takes effect for the next request.
    pub fn set_rate(&self, per_second: u32) {
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        b.per_second = per_second;
        b.tokens = b.tokens.min(f64::from(per_second));
        b.refilled = Instant::now();
    }

    /// Take one token, sleeping (outside the lock) until it is due. Waiters are served in
    /// the order they arrive, because each reserves its token before sleeping.
    pub fn acquire(&self) {
        let wait = {
            let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
            if b.per_second == 0 {
                return;
            }
            let rate = f64::from(b.per_second);
            let now = Instant::now();
            let elapsed = now.duration_since(b.refilled).as_secs_f64();
            b.tokens = (b.tokens + elapsed * rate).min(rate);
            b.refilled = now;
            b.tokens -= 1.0;
            if b.tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-b.tokens / rate)
            }
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// Exponential back-off: `base` doubled per earlier consecutive failure, capped at `max`,
/// then jittered by ±20 % so that many clients do not retry in step.
pub fn backoff(base: Duration, consecutive_failures: u32, max: Duration) -> Duration {
    let doubled = base.saturating_mul(1u32 << consecutive_failures.min(16));
    let capped = doubled.min(max);
    let jitter = 0.8 + 0.4 * random_unit();
    capped.mul_f64(jitter)
}

/// A number in [0, 1) from the standard library's per-process random hasher keys.
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Milliseconds of a duration, saturated into a u32.
pub fn millis_u32(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(600);
        for n in 0..20 {
            let d = backoff(base, n, max);
            let nominal = base.saturating_mul(1 << n.min(16)).min(max);
            assert!(
                d >= nominal.mul_f64(0.8) && d <= nominal.mul_f64(1.2),
                "{n}: {d:?}"
            );
        }
    }

    #[test]
    fn limiter_paces_requests() {
        let limiter = RateLimiter::new(50);
        let start = Instant::now();
        for _ in 0..60 {
            limiter.acquire();
        }
        // 50 from the full bucket, 10 more at 50/s: at least 0.2 s (a lower bound only).
        assert!(
            start.elapsed() >= Duration::from_millis(190),
            "{:?}",
            start.elapsed()
        );
        let off = RateLimiter::new(0);
        for _ in 0..10_000 {
            off.acquire();
        }
    }
}
