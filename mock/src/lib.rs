//! `lfm-mock`: a strict, Last.fm-API-2.0-compatible mock server on loopback.
//!
//! The mock serves the Last.fm web API (JSON replies only) on two listeners bound to
//! `127.0.0.1`: one plain HTTP and one HTTPS (a throw-away CA is generated at start and
//! written to `<state_dir>/ca.pem`). It is strict where Last.fm is strict (signatures,
//! POST-only writes, HTTPS-only mobile login, parameter validation) and it can inject
//! transport and protocol faults on demand, so a client's error handling can be tested
//! without the real service.
//!
//! It is driven either in-process through [`MockServer`] or, from any client (a C program
//! using liblfm, `curl`), through the unsigned `mock.*` control-plane methods on the same
//! endpoint (`mock.fault`, `mock.stats`, `mock.scrobbles`, `mock.nowPlaying`,
//! `mock.approveToken`, `mock.expireToken`, `mock.revokeSessions`, `mock.reset`,
//! `mock.lastRequest`, and for the read methods `mock.loadPlays`, `mock.addPlays`,
//! `mock.pageFault`, `mock.plays`).
//!
//! # Control plane
//!
//! `mock.*` methods are unsigned, need no `api_key`, accept GET or POST, are never
//! faulted and are not counted in `api_requests`:
//!
//! | method | parameters | reply |
//! | --- | --- | --- |
//! | `mock.fault` | `kind`, `count` (default 1), `method_name` (only requests for that method; default any), the kind's own (`code`, `http`, `ms`, `bytes`, `remaining`) | `{"ok":1}` |
//! | `mock.stats` | | `{"connections":N,"requests":N,"api_requests":N,"scrobbles_stored":N,"now_playing":N,"by_method":{..}}` |
//! | `mock.scrobbles` | | `{"scrobbles":[{"user","artist","track","album"?,"albumArtist"?,"timestamp","duration"?,"trackNumber"?,"mbid"?}]}`, arrival order |
//! | `mock.nowPlaying` | | the last now-playing record (`user`, `artist`, `track`, optional fields, `received`) or `{}` |
//! | `mock.approveToken` | `token` | `{"ok":1}` (error 6 if unknown) |
//! | `mock.expireToken` | `token` | `{"ok":1}` (error 6 if unknown) |
//! | `mock.revokeSessions` | `sk` (optional) | `{"ok":1,"revoked":N}`: that session, or all of them |
//! | `mock.reset` | | `{"ok":1}`: clears scrobbles, loaded plays, sessions, tokens, faults, daily limit, counters |
//! | `mock.lastRequest` | | `{"http_method","scheme","params":{..},"raw_body","raw_query"}` of the last non-mock request, or `{}` |
//! | `mock.loadPlays` | `count`, `start` (first second, default 1600000000), `step` (default 180), `shared_every` (every k-th play shares the previous one's second), `seed`, `loved` (the N newest distinct tracks are loved), `now_playing=1` | `{"ok":1,"plays":N,"newest":uts}`: replaces the loaded plays |
//! | `mock.addPlays` | `count`, `at` (first second, default newest + step), `step`, `shared_every`, `seed` | the same, adding newer plays |
//! | `mock.pageFault` | `method_name`, `page` (default 1), `code`, `http`, `count` (default 1) | `{"ok":1}`: that page of that method answers Last.fm error `code` |
//! | `mock.plays` | | `{"plays":[{"uts","artist","track","album"}]}`: the whole history, newest first, as recent tracks serves it |
//!
//! Fault kinds are documented on [`Fault`].
//!
//! # Example
//!
//! ```no_run
//! use lfm_mock::{MockConfig, MockServer, Fault};
//!
//! let server = MockServer::start(MockConfig::default()).unwrap();
//! println!("{} (trust {})", server.https_base(), server.ca_pem_path().display());
//! server.push_fault(Fault::ApiError { code: 16, http: None }, 1);
//! // ... run a client against server.https_base() ...
//! assert_eq!(server.stats().scrobbles_stored, 0);
//! server.stop();
//! ```
//!
//! Module map: [`config`](MockConfig) (settings), `server` (listeners, lifecycle), `http`
//! (hand-written HTTP/1.1), `tls` (certificates, rustls), `form` (urlencoded parameters),
//! `sig` (api_sig), `api` (Last.fm methods), `reads` (the read methods and their data), `control` (`mock.*`), `faults` (fault
//! injection), `state` (shared mutable state), `util` (time, randomness).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
mod config;
mod control;
mod faults;
mod form;
mod http;
mod reads;
mod server;
mod sig;
mod state;
mod tls;
mod util;

pub use config::MockConfig;
pub use faults::Fault;
pub use reads::HistoryPlay;
pub use server::MockServer;
pub use sig::api_sig;
pub use state::{Stats, StoredScrobble};
pub use tls::TlsFlavor;

/// The API key the mock accepts (unless started in libre mode, where any key is accepted).
pub const MOCK_API_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The shared secret the mock uses to verify `api_sig`.
pub const MOCK_API_SECRET: &str = "mock-shared-secret";
/// The name of the mock's only account.
pub const MOCK_USERNAME: &str = "RJ";
/// The e-mail address of the mock's only account (also accepted as `username`).
pub const MOCK_EMAIL: &str = "rj@example.org";
/// The password of the mock's only account: UTF-8 plus characters that break naive
/// form encoders (space, `+`, `&`, `=`, `%`).
pub const MOCK_PASSWORD: &str = "s3cret +&=% pässwörd ✓";
