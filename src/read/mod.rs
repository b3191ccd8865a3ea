//! Reading from Last.fm without fighting its JSON: normalized replies, retried reads, and
//! a pager that walks a whole listening history exactly once.
//!
//! # Normalized replies
//!
//! [`normalize()`] rewrites a reply into one stable shape. The rules are data, in
//! [`normalize::FAMILIES`] (which members of each method family are lists),
//! [`normalize::NUMBERS`] and [`normalize::BOOLEANS`] (which members are numbers and
//! booleans, by name), applied by one walk over the reply:
//!
//! 1. **Lists are arrays.** Every list of a known family is an array: a single item that
//!    Last.fm sent as an object is wrapped, and a list that is missing, `null` or `""` is
//!    `[]` (a container sent as `""`, such as `"tags":""`, becomes `{"tag":[]}`).
//! 2. **Numbers and booleans are typed.** A member named in `NUMBERS` holding a numeric
//!    string becomes a JSON number (`""` becomes `null`); a member named in `BOOLEANS`
//!    holding `"0"`/`"1"`/`"true"`/`"false"` becomes a boolean. Other strings are left as sent.
//! 3. **`#text` is `text`**, or `name` for entity references (`artist` and `album` of a
//!    recent track, `artist` of a loved track) that have no `name` of their own.
//! 4. **`@attr` is merged** into its object (`"@attr":{"rank":"1"}` gives `"rank":1`;
//!    `"@attr":{"nowplaying":"true"}` gives `"nowplaying":true`); a member that would clash
//!    stays under `attr`. The `@attr` of a list's container (paging: `page`, `perPage`,
//!    `totalPages`, `total`, `user`) moves to `attr`.
//! 5. **Images are a map** from size to URL: `[{"size":"small","#text":"https://..."}]`
//!    becomes `{"small":"https://..."}`, without empty URLs, Last.fm's placeholder star
//!    ([`normalize::PLACEHOLDER_IMAGE`]) or entries without a size.
//!
//! Methods without a family get rules 2 to 5. Normalizing a normalized reply changes nothing.
//!
//! Before (`user.getRecentTracks`, one play, now playing):
//! ```json
//! {"recenttracks":{"track":{"artist":{"mbid":"","#text":"Björk"},"name":"Jóga",
//!   "album":{"mbid":"","#text":"Homogenic"},"streamable":"0",
//!   "image":[{"size":"small","#text":"https://lastfm.freetls.fastly.net/i/u/34s/2a96cbd8b46e442fc41c2b86b821562f.png"},
//!            {"size":"large","#text":"https://x/l.png"}],
//!   "@attr":{"nowplaying":"true"}},
//!  "@attr":{"user":"RJ","page":"1","perPage":"50","totalPages":"0","total":"0"}}}
//! ```
//! After:
//! ```json
//! {"recenttracks":{"attr":{"page":1,"perPage":50,"total":0,"totalPages":0,"user":"RJ"},
//!  "track":[{"album":{"mbid":"","name":"Homogenic"},"artist":{"mbid":"","name":"Björk"},
//!   "image":{"large":"https://x/l.png"},"name":"Jóga","nowplaying":true,"streamable":false}]}}
//! ```
//! Before (`album.getInfo`): `{"album":{"listeners":"5","tags":"","tracks":{"track":{"name":"Believe","duration":240,"@attr":{"rank":1}}}}}`;
//! after: `{"album":{"listeners":5,"tags":{"tag":[]},"tracks":{"track":[{"duration":240,"name":"Believe","rank":1}]}}}`.
//! Members come out in alphabetical order.
//!
//! # Retried reads
//!
//! [`Retry`] retries what [`Error::is_retryable`] calls transient (Last.fm errors 8, 11,
//! 16, 29, HTTP 5xx and 429, network failures, timeouts) a bounded number of times, waiting
//! the longer of the server's suggestion ([`Error::retry_after_ms`]: the client's growing
//! back-off after error 29) and its own jittered exponential back-off. Waiting goes through
//! a [`Sleep`], so tests need not wait. [`read`] is one call with either or both.
//!
//! # Whole-history paging
//!
//! [`Pager`] walks every page of a paginated method: see [`pager`].

pub mod normalize;
pub mod pager;

use std::sync::Arc;
use std::time::Duration;

use crate::client::{CallFlags, Client};
use crate::error::{Error, Result};
use crate::ratelimit;

pub use normalize::{normalize, normalize_value};
pub use pager::{Mark, Page, Pager, Source, Total};

/// How a retry waits. The default sleeps the thread; tests inject one that records.
pub trait Sleep: Send + Sync {
    /// Wait `duration` before the next attempt.
    fn sleep(&self, duration: Duration);
}

/// [`Sleep`] by `std::thread::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadSleep;

impl Sleep for ThreadSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Retries of transient failures: bounded attempts, growing waits.
#[derive(Clone)]
pub struct Retry {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure, doubled after each further one.
    pub base_wait: Duration,
    /// The longest wait between two attempts (the server's suggestion included).
    pub max_wait: Duration,
    sleeper: Arc<dyn Sleep>,
}

impl std::fmt::Debug for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retry")
            .field("max_attempts", &self.max_attempts)
            .field("base_wait", &self.base_wait)
            .field("max_wait", &self.max_wait)
            .finish()
    }
}

impl Default for Retry {
    /// The policy for a walk ([`Pager`]): 6 attempts, 1 s first wait, 15 minutes at most:
    /// enough to ride out a rate-limit back-off (error 29) and a few minutes of backend
    /// trouble. A single blocking call uses [`Retry::one_call`].
    fn default() -> Retry {
        Retry {
            max_attempts: 6,
            base_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(15 * 60),
            sleeper: Arc::new(ThreadSleep),
        }
    }
}

impl Retry {
    /// The policy for one blocking call (C's `LFM_CALL_RETRY`): 4 attempts, 1 s first
    /// wait, 60 s at most, so that the caller waits at most 3 minutes plus its requests.
    pub fn one_call() -> Retry {
        Retry {
            max_attempts: 4,
            max_wait: Duration::from_secs(60),
            ..Retry::default()
        }
    }

    /// No retry: one attempt.
    pub fn never() -> Retry {
        Retry {
            max_attempts: 1,
            ..Retry::default()
        }
    }

    /// The same policy waiting through `sleeper`.
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleep>) -> Retry {
        self.sleeper = sleeper;
        self
    }

    /// The wait after the `failures`-th failure in a row (1 for the first) with `err`.
    pub fn wait_after(&self, err: &Error, failures: u32) -> Duration {
        let own = ratelimit::backoff(self.base_wait, failures.saturating_sub(1), self.max_wait);
        let suggested = Duration::from_millis(u64::from(err.retry_after_ms()));
        own.max(suggested).min(self.max_wait)
    }

    /// Run `attempt` until it succeeds, fails for good, or the attempts are used up; the
    /// last error then comes back with the attempt count in its message.
    pub fn run<T>(&self, mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
        let max = self.max_attempts.max(1);
        let mut failures = 0;
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && failures + 1 < max => {
                    failures += 1;
                    self.sleeper.sleep(self.wait_after(&e, failures));
                }
                Err(e) if failures > 0 => {
                    return Err(e.prefixed(&format!("after {} attempts: ", failures + 1)))
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// What [`read`] does beyond [`Client::call`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Rewrite the reply into the normalized shape.
    pub normalize: bool,
    /// Retry transient failures by this policy.
    pub retry: Option<Retry>,
}

/// [`Client::call`], retried and normalized as `options` ask. Meant for read methods:
/// retrying a write may repeat it when only its reply was lost.
pub fn read(
    client: &Client,
    method: &str,
    params: &[(&str, &str)],
    flags: CallFlags,
    options: &ReadOptions,
) -> Result<String> {
    let body = match &options.retry {
        Some(retry) => retry.run(|| client.call(method, params, flags))?,
        None => client.call(method, params, flags)?,
    };
    if options.normalize {
        normalize(method, &body)
    } else {
        Ok(body)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::Status;
    use std::sync::Mutex;

    /// Records every wait instead of sleeping.
    #[derive(Default)]
    pub(crate) struct Recorder(pub Mutex<Vec<Duration>>);

    impl Sleep for Recorder {
        fn sleep(&self, d: Duration) {
            self.0.lock().unwrap().push(d);
        }
    }

    fn policy(max: u32) -> (Retry, Arc<Recorder>) {
        let rec = Arc::new(Recorder::default());
        let retry = Retry {
            max_attempts: max,
            ..Retry::default()
        }
        .with_sleeper(rec.clone());
        (retry, rec)
    }

    #[test]
    fn retries_transient_errors_then_succeeds() {
        let (retry, rec) = policy(5);
        let mut errors = vec![
            Error::api(8, "backend", 500),
            Error::api(29, "slow down", 429).with_retry_after_ms(40_000),
            Error::new(Status::Network, "reset"),
        ]
        .into_iter();
        let mut calls = 0;
        let got = retry.run(|| {
            calls += 1;
            errors.next().map_or(Ok("body"), Err)
        });
        assert_eq!((got, calls), (Ok("body"), 4));
        let waits = rec.0.lock().unwrap().clone();
        assert_eq!(waits.len(), 3);
        assert!(waits[0] >= Duration::from_millis(800) && waits[0] <= Duration::from_millis(1200));
        assert!(
            waits[1] >= Duration::from_secs(40),
            "the server's wait is honoured"
        );
        assert!(
            waits[2] >= Duration::from_millis(3200),
            "doubling: {waits:?}"
        );
    }

    #[test]
    fn permanent_errors_and_exhaustion_stop() {
        let (retry, rec) = policy(3);
        let mut calls = 0;
        let e = retry
            .run::<()>(|| {
                calls += 1;
                Err(Error::api(6, "bad params", 400))
            })
            .unwrap_err();
        assert_eq!((e.api_code(), calls), (6, 1));
        assert!(rec.0.lock().unwrap().is_empty());

        let mut calls = 0;
        let e = retry
            .run::<()>(|| {
                calls += 1;
                Err(Error::api(16, "unavailable", 503))
            })
            .unwrap_err();
        assert_eq!((e.api_code(), calls), (16, 3));
        assert!(e.message().starts_with("after 3 attempts: "), "{e}");
        assert_eq!(rec.0.lock().unwrap().len(), 2);

        let (retry, _) = policy(1);
        let mut calls = 0;
        let _ = retry.run::<()>(|| {
            calls += 1;
            Err(Error::api(16, "x", 503))
        });
        assert_eq!(calls, 1);
    }

    #[test]
    fn waits_are_capped() {
        let retry = Retry {
            max_wait: Duration::from_secs(10),
            ..Retry::default()
        };
        let e = Error::api(29, "x", 429).with_retry_after_ms(u32::MAX);
        assert_eq!(retry.wait_after(&e, 30), Duration::from_secs(10));
    }

    #[test]
    fn one_call_waits_at_most_three_minutes_in_all() {
        let rec = Arc::new(Recorder::default());
        let retry = Retry::one_call().with_sleeper(rec.clone());
        let e = Error::api(29, "x", 429).with_retry_after_ms(u32::MAX);
        let mut calls = 0;
        let err = retry
            .run::<()>(|| {
                calls += 1;
                Err(e.clone())
            })
            .unwrap_err();
        assert_eq!(calls, 4);
        assert!(err.message().starts_with("after 4 attempts: "), "{err}");
        let waited: Duration = rec.0.lock().unwrap().iter().sum();
        assert_eq!(waited, Duration::from_secs(180));
    }
}
