//! liblfm: a thread-safe client for the Last.fm web API 2.0 and the servers that speak it:
//! signing, sessions and login flows, any API call, scrobbling with a durable offline queue.
//!
//! Safe Rust throughout; the bindings for other languages are built on the `lfm-capi` crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// The Rust API.
pub mod api_code;
pub mod auth;
pub mod client;
pub mod error;
pub mod log;
pub mod queue;
pub mod read;
pub mod scrobble;
pub mod scrobbler;
pub mod service;
pub mod sign;
pub mod track;

// Plumbing: public only so that the fuzz targets and the tests can reach it; not part of the
// API, hidden from its documentation, free to change. What users need of it is re-exported
// below (RootStore, DEFAULT_TIMEOUT).
#[doc(hidden)]
pub mod encode;
#[doc(hidden)]
pub mod ratelimit;
#[doc(hidden)]
pub mod reply;
#[doc(hidden)]
pub mod transport;

pub use auth::Session;
pub use client::{CallFlags, Client};
pub use error::{Error, Result, Status};
pub use queue::Queue;
pub use scrobble::{ScrobbleResult, Verdict};
pub use service::Service;
pub use track::Track;
pub use transport::{RootStore, DEFAULT_TIMEOUT};

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
