//! liblfm: a thread-safe client for the Last.fm web API 2.0 and the servers that speak it,
//! with a C ABI (see `include/lfm.h`).
//!
//! The modules below are the safe core; `ffi` is the thin C layer over it and the only
//! place with `unsafe` code.

#![deny(unsafe_op_in_unsafe_fn)]

/// cbindgen:ignore
pub mod auth;
/// cbindgen:ignore
pub mod client;
/// cbindgen:ignore
pub mod encode;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod log;
/// cbindgen:ignore
pub mod queue;
/// cbindgen:ignore
pub mod ratelimit;
/// cbindgen:ignore
pub mod reply;
/// cbindgen:ignore
pub mod scrobble;
/// cbindgen:ignore
pub mod sign;
/// cbindgen:ignore
pub mod track;
/// cbindgen:ignore
pub mod transport;

pub use auth::{Service, Session};
pub use client::{CallFlags, Client};
pub use error::{Error, Result, Status};
pub use queue::Queue;
pub use scrobble::{ScrobbleResult, Verdict};
pub use track::Track;

/// The library's version, as in Cargo.toml.
///
/// cbindgen:ignore
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
