//! liblfm: a thread-safe client for the Last.fm web API 2.0 and the servers that speak it,
//! with a C ABI (see `include/lfm.h`).
//!
//! The modules below are the safe core; `ffi` is the thin C layer over it and the only
//! place with `unsafe` code.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod client;
pub mod encode;
pub mod error;
pub mod queue;
pub mod ratelimit;
pub mod reply;
pub mod scrobble;
pub mod sign;
pub mod track;
pub mod transport;

pub mod ffi;

pub use client::{CallFlags, Client, Session};
pub use error::{Error, Result, Status};
pub use queue::Queue;
pub use scrobble::{ScrobbleResult, Verdict};
pub use track::Track;

/// The library's version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
