//! The servers whose URLs are built in. A leaf module: the client uses it, and the login
//! flows in auth.rs build on the client.

/// Servers whose URLs are built in. Any other server works through
/// [`Client::set_base_url`](crate::Client::set_base_url) and
/// [`Client::set_auth_url`](crate::Client::set_auth_url).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Last.fm (the default).
    LastFm,
    /// Libre.fm, which accepts any API key and secret.
    LibreFm,
}

impl Service {
    /// Every built-in service.
    pub const ALL: [Service; 2] = [Service::LastFm, Service::LibreFm];

    /// The API root and the authorisation page.
    pub fn urls(self) -> (&'static str, &'static str) {
        match self {
            Service::LastFm => (
                "https://ws.audioscrobbler.com/2.0/",
                "https://www.last.fm/api/auth/",
            ),
            Service::LibreFm => ("https://libre.fm/2.0/", "https://libre.fm/api/auth/"),
        }
    }
}
