//! The Last.fm error codes (the `error` member of a failed reply) that the library acts on
//! by name; every other code is passed on as the server sent it.

/// 4: authentication failed (a wrong password, a bad token).
pub const AUTHENTICATION_FAILED: i32 = 4;
/// 6: invalid parameters; a scrobble batch refused as a whole.
pub const INVALID_PARAMETERS: i32 = 6;
/// 8: operation failed, a transient server failure (permanent for one play on some servers).
pub const OPERATION_FAILED: i32 = 8;
/// 9: invalid session key; the user must log in again.
pub const INVALID_SESSION_KEY: i32 = 9;
/// 11: the service is offline.
pub const SERVICE_OFFLINE: i32 = 11;
/// 13: invalid method signature; a scrobble batch refused as a whole.
pub const INVALID_SIGNATURE: i32 = 13;
/// 14: the token is not approved yet (the token login flow is still pending).
pub const TOKEN_NOT_APPROVED: i32 = 14;
/// 15: the token has expired or was already used.
pub const TOKEN_EXPIRED: i32 = 15;
/// 16: the service is temporarily unavailable.
pub const TEMPORARILY_UNAVAILABLE: i32 = 16;
/// 29: rate limit exceeded.
pub const RATE_LIMIT_EXCEEDED: i32 = 29;
