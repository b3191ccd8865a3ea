//! liblfm: a thread-safe client for the Last.fm web API 2.0 and the servers that speak it:
//! signing, sessions and login flows, any API call, scrobbling with a durable offline queue.
//!
//! Safe Rust throughout; the bindings for other languages are built on the `lfm-capi` crate.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api_code;
pub mod auth;
pub mod client;
pub mod encode;
pub mod error;
pub mod log;
pub mod queue;
pub mod ratelimit;
pub mod read;
pub mod reply;
pub mod scrobble;
pub mod scrobbler;
pub mod service;
pub mod sign;
pub mod track;
pub mod transport;

pub use auth::Session;
pub use client::{CallFlags, Client};
pub use error::{Error, Result, Status};
pub use queue::Queue;
pub use scrobble::{ScrobbleResult, Verdict};
pub use service::Service;
pub use track::Track;

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
