//! The scrobbler engine (design note to come with the engine).

pub mod tracker;
