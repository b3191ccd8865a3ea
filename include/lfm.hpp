// lfm.hpp: a header-only C++17 wrapper over lfm.h, the C API of liblfm.
//
//     #include <lfm.hpp>
//
//     lfm::Client client(api_key, api_secret);
//     client.set_base_url("https://ws.audioscrobbler.com/2.0/");
//     try {
//         lfm::Session s = client.get_mobile_session("rj", password);
//         lfm::Track t{"Björk", "Jóga"};
//         t.timestamp = started_at;
//         client.scrobble({t});
//     } catch (const lfm::Error &e) {
//         std::cerr << e.what() << " (Last.fm error " << e.api_code() << ")\n";
//     }
//
// A player's scrobbling (the rules: "the scrobbler" in lfm.h):
//
//     lfm::Scrobbler scrobbler(client, queue_dir + "/scrobbles.lfmq");  // owns its threads
//     scrobbler.set_listener([](const lfm::ScrobblerEvent &e) { /* worker thread */ });
//     scrobbler.play(track);  // then pause(), resume(), seek(ms), stop(): each returns at once
//     // ~Scrobbler stops the worker (close timeout); undelivered plays stay in the file
//
// Reading a whole history, page by page (each page a JSON array of normalized items):
//
//     lfm::Pager pager(client, "user.getRecentTracks", {{"user", "rj"}});
//     for (const std::string &items : pager) save(items, pager.state());
//     std::string info = client.call("user.getInfo", {{"user", "rj"}},
//                                    lfm::CallFlags::Normalize | lfm::CallFlags::Retry);
//
// Link it like the C library: `pkg-config --cflags --libs lfm`, or CMake's lfm::lfm.
//
// Design
// - Every owning type (Client, Queue, Scrobbler, Pager, ScrobbleResult, QueueEntries,
//   UniqueString, UniqueError) is a move-only RAII handle that frees its C object exactly once.
// - Scrobbling for a player: lfm::Scrobbler (play/pause/resume/seek/stop, a std::function
//   listener on the worker thread, events copied out). Reading: Client::call with
//   CallFlags::Normalize / CallFlags::Retry, and lfm::Pager, a range of normalized pages.
// - Strings go in as std::string (or anything convertible) and come out as std::string;
//   optional fields the C API leaves NULL come out as std::optional<std::string>.
// - Every failing C call throws lfm::Error, which carries the lfm_status, the Last.fm API
//   code, the HTTP status, retry_after_ms, is_retryable and the message. Nothing else is
//   thrown except std::bad_alloc (and std::out_of_range from ScrobbleResult/QueueEntries::at).
// - Adding a C function: a fallible `lfm_status f(args..., lfm_error **)` becomes a one-line
//   `detail::check(f, args...)`; see the setters of Client for the pattern.
//
// Thread-safety (the C library's rules, unchanged)
// - A Client or Queue may be used from any number of threads at once (the C objects are
//   internally synchronised); setters affect calls that start after they return. Do not move from, assign to, or destroy a
//   Client/Queue while another thread uses it.
// - Calls that talk to the server block the calling thread for at most the client's
//   timeout (30 s by default): keep them off UI threads.
// - A Scrobbler's calls are thread-safe and never wait for the network; its listener runs
//   on the scrobbler's own worker thread. A Pager is used by one thread at a time.
// - Error, ScrobbleResult, QueueEntries and the value types are immutable after construction
//   and may be read from any thread.
// - There is no thread-local state anywhere: each error travels in its exception.

#ifndef LFM_HPP
#define LFM_HPP

#include "lfm.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "lfm.hpp needs C++17 or newer"
#endif

namespace lfm {

// ---------------------------------------------------------------------------------------
// Errors

/// A failed liblfm call. Immutable and copyable; safe to read from any thread.
class Error : public std::runtime_error {
public:
    Error(lfm_status status, std::int32_t api_code, std::uint16_t http_status,
          std::uint32_t retry_after_ms, bool retryable, const std::string &message)
        : std::runtime_error(message.empty() ? std::string(lfm_status_str(status)) : message),
          status_(status),
          api_code_(api_code),
          http_status_(http_status),
          retry_after_ms_(retry_after_ms),
          retryable_(retryable) {}

    /// The LFM_ERR_* status (never LFM_OK).
    lfm_status status() const noexcept { return status_; }
    /// The Last.fm error code (4 wrong password, 9 bad session, 29 rate limit...) for
    /// LFM_ERR_API; 0 otherwise.
    std::int32_t api_code() const noexcept { return api_code_; }
    /// The HTTP status of the reply behind the error; 0 when there was no reply.
    std::uint16_t http_status() const noexcept { return http_status_; }
    /// A suggested wait before retrying, in milliseconds; 0 when none.
    std::uint32_t retry_after_ms() const noexcept { return retry_after_ms_; }
    /// Whether the same request may succeed later (network, timeout, 5xx, 429, 8/11/16/29).
    bool is_retryable() const noexcept { return retryable_; }
    /// Static English text for status(), e.g. "Last.fm API error".
    const char *status_str() const noexcept { return lfm_status_str(status_); }

private:
    lfm_status status_;
    std::int32_t api_code_;
    std::uint16_t http_status_;
    std::uint32_t retry_after_ms_;
    bool retryable_;
};

namespace detail {

/// Deleters for every C object the library hands out.
struct ErrorFree {
    void operator()(lfm_error *e) const noexcept { lfm_error_free(e); }
};
struct StringFree {
    void operator()(char *s) const noexcept { lfm_string_free(s); }
};
struct ClientFree {
    void operator()(lfm_client *c) const noexcept { lfm_client_free(c); }
};
struct QueueFree {
    void operator()(lfm_queue *q) const noexcept { lfm_queue_free(q); }
};
struct ScrobbleResultFree {
    void operator()(lfm_scrobble_result *r) const noexcept { lfm_scrobble_result_free(r); }
};
struct QueueEntriesFree {
    void operator()(lfm_queue_entries *e) const noexcept { lfm_queue_entries_free(e); }
};
struct ScrobblerFree {
    std::uint32_t timeout_ms = 5000;  ///< how long lfm_scrobbler_free waits for the worker
    void operator()(lfm_scrobbler *s) const noexcept { lfm_scrobbler_free(s, timeout_ms); }
};
struct PagerFree {
    void operator()(lfm_pager *p) const noexcept { lfm_pager_free(p); }
};

}  // namespace detail

/// RAII owner of an lfm_error (freed with lfm_error_free).
using UniqueError = std::unique_ptr<lfm_error, detail::ErrorFree>;
/// RAII owner of a string returned by the library (freed with lfm_string_free).
using UniqueString = std::unique_ptr<char, detail::StringFree>;

namespace detail {

/// Turn a failed status and its (owned) error into an lfm::Error, freeing the C error.
[[noreturn]] inline void throw_error(lfm_status status, lfm_error *raw) {
    UniqueError err(raw);
    // A NULL err (only possible on allocation failure inside the library) still throws.
    throw Error(status, lfm_error_api_code(err.get()), lfm_error_http_status(err.get()),
                lfm_error_retry_after_ms(err.get()), lfm_error_is_retryable(err.get()),
                err ? std::string(lfm_error_message(err.get())) : std::string());
}

/// Call a fallible C function `fn(args..., &err)` and throw lfm::Error on failure.
template <class Fn, class... Args>
inline void check(Fn fn, Args... args) {
    lfm_error *err = nullptr;
    lfm_status status = fn(args..., &err);
    if (status != LFM_OK) throw_error(status, err);
    lfm_error_free(err);  // NULL on success; freed anyway, should a future version set it
}

/// Take ownership of a library string and copy it out; NULL gives "".
inline std::string take_string(char *raw) {
    UniqueString owned(raw);
    return owned ? std::string(owned.get()) : std::string();
}

/// Take ownership of a library string that may legitimately be NULL.
inline std::optional<std::string> take_optional_string(char *raw) {
    UniqueString owned(raw);
    if (!owned) return std::nullopt;
    return std::string(owned.get());
}

inline std::optional<std::string> optional_string(const char *s) {
    if (s == nullptr) return std::nullopt;
    return std::string(s);
}

/// A non-empty std::string as a C pointer, NULL for an empty one ("not sent").
inline const char *c_str_or_null(const std::string &s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Value types

/// One request parameter. Names and values are UTF-8.
struct Param {
    std::string name;
    std::string value;
};
using Params = std::vector<Param>;

namespace detail {
/// C views of `params`, borrowing their strings: valid while `params` is alive and unchanged.
inline std::vector<lfm_param> c_params(const Params &params) {
    std::vector<lfm_param> c;
    c.reserve(params.size());
    for (const Param &p : params) c.push_back(lfm_param{p.name.c_str(), p.value.c_str()});
    return c;
}
}  // namespace detail

/// Flags of Client::call, combinable with |.
enum class CallFlags : std::uint32_t {
    None = 0,
    Signed = LFM_CALL_SIGNED,    ///< add api_sig
    Session = LFM_CALL_SESSION,  ///< add the client's session key (sk)
    Post = LFM_CALL_POST,        ///< form-encoded POST instead of a GET
    Write = LFM_CALL_WRITE,      ///< all three: what every write method needs
    Normalize = LFM_CALL_NORMALIZE,  ///< rewrite the reply into the documented stable shape
    Retry = LFM_CALL_RETRY,          ///< retry transient failures (8, 11, 16, 29, 5xx, network)
};
constexpr CallFlags operator|(CallFlags a, CallFlags b) noexcept {
    return static_cast<CallFlags>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}

/// Built-in services for Client::set_service.
enum class Service : std::int32_t {
    LastFm = LFM_SERVICE_LASTFM,
    LibreFm = LFM_SERVICE_LIBREFM,
};

/// Trusted roots for Client::set_root_store.
enum class RootStore : std::int32_t {
    Bundled = LFM_ROOTS_BUNDLED,  ///< the Mozilla roots compiled in (default)
    System = LFM_ROOTS_SYSTEM,    ///< the operating system's store
};

/// Log levels for Client::set_logger (more severe = smaller).
enum class LogLevel : std::int32_t {
    Error = LFM_LOG_ERROR,
    Warn = LFM_LOG_WARN,
    Info = LFM_LOG_INFO,
    Debug = LFM_LOG_DEBUG,
};

/// A log sink: called on whichever thread logs, possibly several at once, so it must be
/// thread-safe and quick. The message is valid only during the call. Exceptions it throws
/// are swallowed (they must not cross the C library).
using Logger = std::function<void(LogLevel, std::string_view)>;

/// A played (or playing) track. Empty optional strings and zero numbers are "not sent".
struct Track {
    std::string artist;             ///< required
    std::string title;              ///< required: the track's title (lfm_track.track in C)
    std::string album;              ///< optional
    std::string album_artist;       ///< optional
    std::string mbid;               ///< optional MusicBrainz track id
    std::int64_t timestamp = 0;     ///< UTC Unix seconds when playback started (scrobbles)
    std::uint32_t duration_secs = 0;  ///< 0 = unknown
    std::uint32_t track_number = 0;   ///< 0 = unknown
    /// Whether the user chose this track (true) or the player did (false, e.g. shuffle or
    /// radio); std::nullopt = unknown, not sent.
    std::optional<bool> chosen_by_user;

    Track() = default;
    Track(std::string artist_, std::string title_, std::int64_t timestamp_ = 0)
        : artist(std::move(artist_)), title(std::move(title_)), timestamp(timestamp_) {}

    /// A C view borrowing this object's strings: valid while *this is alive and unchanged.
    lfm_track c_view() const noexcept {
        lfm_track t{};
        t.artist = artist.c_str();
        t.track = title.c_str();
        t.album = detail::c_str_or_null(album);
        t.album_artist = detail::c_str_or_null(album_artist);
        t.mbid = detail::c_str_or_null(mbid);
        t.timestamp = timestamp;
        t.duration_secs = duration_secs;
        t.track_number = track_number;
        t.chosen_by_user = !chosen_by_user ? LFM_CHOSEN_UNKNOWN
                           : *chosen_by_user ? LFM_CHOSEN_YES
                                             : LFM_CHOSEN_NO;
        return t;
    }

    /// Copy a C track (NULL strings become empty).
    static Track from_c(const lfm_track &t) {
        auto s = [](const char *p) { return p ? std::string(p) : std::string(); };
        Track out(s(t.artist), s(t.track), t.timestamp);
        out.album = s(t.album);
        out.album_artist = s(t.album_artist);
        out.mbid = s(t.mbid);
        out.duration_secs = t.duration_secs;
        out.track_number = t.track_number;
        if (t.chosen_by_user == LFM_CHOSEN_YES) out.chosen_by_user = true;
        if (t.chosen_by_user == LFM_CHOSEN_NO) out.chosen_by_user = false;
        return out;
    }
};

/// Last.fm's corrections to a play's names (now playing and scrobbles); each field is
/// std::nullopt when Last.fm kept the name as sent.
struct Corrections {
    std::optional<std::string> artist;
    std::optional<std::string> title;  ///< the track's title (`corrected_track` in C)
    std::optional<std::string> album;

    /// Whether Last.fm corrected nothing.
    bool empty() const noexcept { return !artist && !title && !album; }
};

/// The result of a mobile login.
struct Session {
    std::string key;   ///< the session key (a secret: never log it)
    std::string name;  ///< the account's canonical name
};

// ---------------------------------------------------------------------------------------
// Free functions

/// The library's version, e.g. "0.1.0" (may differ from the LFM_VERSION_* of this header).
inline std::string version() { return lfm_version(); }

/// The api_sig of a request: see lfm_sign(). Throws on duplicate names or invalid UTF-8.
inline std::string sign(const Params &params, const std::string &api_secret) {
    std::vector<lfm_param> c = detail::c_params(params);
    char *sig = nullptr;
    detail::check(lfm_sign, c.empty() ? nullptr : c.data(), c.size(), api_secret.c_str(), &sig);
    return detail::take_string(sig);
}

/// Last.fm's rule: longer than 30 s, played for half its length or 4 minutes.
inline bool scrobble_eligible(std::uint32_t duration_secs, std::uint32_t played_secs) noexcept {
    return lfm_scrobble_eligible(duration_secs, played_secs);
}

// ---------------------------------------------------------------------------------------
// ScrobbleResult

/// Per-track verdicts of Client::scrobble, in input order. Move-only owner.
class ScrobbleResult {
public:
    explicit ScrobbleResult(lfm_scrobble_result *raw) noexcept : raw_(raw) {}

    std::size_t accepted() const noexcept { return lfm_scrobble_result_accepted(raw_.get()); }
    std::size_t ignored() const noexcept { return lfm_scrobble_result_ignored(raw_.get()); }
    std::size_t size() const noexcept { return accepted() + ignored(); }
    /// 0 accepted, 1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit.
    std::int32_t ignored_code(std::size_t index) const {
        range_check(index);
        return lfm_scrobble_result_ignored_code(raw_.get(), index);
    }
    /// The server's reason for ignoring track `index` ("" when accepted).
    std::string ignored_message(std::size_t index) const {
        range_check(index);
        const char *m = lfm_scrobble_result_ignored_message(raw_.get(), index);
        return m ? std::string(m) : std::string();
    }
    /// Last.fm's corrections to track `index` (empty when it corrected nothing).
    Corrections corrections(std::size_t index) const {
        range_check(index);
        lfm_scrobble_verdict v{};
        detail::check(lfm_scrobble_result_get, raw_.get(), index, &v);
        return Corrections{detail::optional_string(v.corrected_artist),
                           detail::optional_string(v.corrected_track),
                           detail::optional_string(v.corrected_album)};
    }
    const lfm_scrobble_result *get() const noexcept { return raw_.get(); }

private:
    void range_check(std::size_t index) const {
        if (index >= size()) throw std::out_of_range("lfm::ScrobbleResult: index out of range");
    }
    std::unique_ptr<lfm_scrobble_result, detail::ScrobbleResultFree> raw_;
};

// ---------------------------------------------------------------------------------------
// Client

/// A Last.fm API client. Move-only owner of an lfm_client; thread-safe (see the top).
class Client {
public:
    /// Create a client; does no I/O. Throws lfm::Error (LFM_ERR_INVALID_ARGUMENT) on bad input.
    Client(const std::string &api_key, const std::string &api_secret) {
        lfm_client *raw = nullptr;
        detail::check(lfm_client_new, api_key.c_str(), api_secret.c_str(), &raw);
        raw_.reset(raw);
    }

    // --- settings (thread-safe; they affect calls that start afterwards) ---
    void set_base_url(const std::string &url) {
        detail::check(lfm_client_set_base_url, get(), url.c_str());
    }
    /// Set the session key; std::nullopt clears it.
    void set_session_key(const std::optional<std::string> &key) {
        detail::check(lfm_client_set_session_key, get(), key ? key->c_str() : nullptr);
    }
    void set_timeout_ms(std::uint32_t timeout_ms) {
        detail::check(lfm_client_set_timeout_ms, get(), timeout_ms);
    }
    void set_user_agent(const std::string &user_agent) {
        detail::check(lfm_client_set_user_agent, get(), user_agent.c_str());
    }
    /// Trust the certificates of a PEM file in addition to the bundled roots (read now).
    void set_ca_file(const std::string &pem_path) {
        detail::check(lfm_client_set_ca_file, get(), pem_path.c_str());
    }
    void set_allow_insecure_http(bool allow) {
        detail::check(lfm_client_set_allow_insecure_http, get(), allow);
    }
    /// Requests per second, shared by all threads (default 5); 0 turns pacing off.
    void set_rate_limit(std::uint32_t max_requests_per_second) {
        detail::check(lfm_client_set_rate_limit, get(), max_requests_per_second);
    }
    /// Most tracks per track.scrobble request, 1..50 (default 50).
    void set_max_batch(std::uint32_t max_tracks) {
        detail::check(lfm_client_set_max_batch, get(), max_tracks);
    }

    /// Bound the connection phase (TCP, proxy, TLS) within the overall timeout.
    void set_connect_timeout_ms(std::uint32_t timeout_ms) {
        detail::check(lfm_client_set_connect_timeout_ms, get(), timeout_ms);
    }
    /// Point at a built-in service (API root and authorisation page).
    void set_service(Service service) {
        detail::check(lfm_client_set_service, get(), static_cast<std::int32_t>(service));
    }
    /// The authorisation page used by auth_url(), for other servers.
    void set_auth_url(const std::string &url) {
        detail::check(lfm_client_set_auth_url, get(), url.c_str());
    }
    /// http://, socks5://, socks5h://, socks4:// proxy URL; std::nullopt connects directly.
    void set_proxy(const std::optional<std::string> &proxy_url) {
        detail::check(lfm_client_set_proxy, get(), proxy_url ? proxy_url->c_str() : nullptr);
    }
    void set_root_store(RootStore store) {
        detail::check(lfm_client_set_root_store, get(), static_cast<std::int32_t>(store));
    }

    /// Send log lines at `max_level` or more severe to `logger`; an empty Logger turns
    /// logging off. Every logger ever set lives as long as the Client, because calls that
    /// started earlier may still be using it.
    void set_logger(Logger logger, LogLevel max_level = LogLevel::Info) {
        if (!logger) {
            detail::check(lfm_client_set_logger, get(), static_cast<lfm_log_fn>(nullptr),
                          static_cast<std::int32_t>(max_level), static_cast<void *>(nullptr));
            return;
        }
        auto owned = std::make_unique<Logger>(std::move(logger));
        detail::check(lfm_client_set_logger, get(), static_cast<lfm_log_fn>(&log_trampoline),
                      static_cast<std::int32_t>(max_level), static_cast<void *>(owned.get()));
        loggers_.push_back(std::move(owned));
    }

    // --- calls (blocking, thread-safe) ---

    /// Desktop login, step 1: a request token (auth.getToken).
    std::string get_token() {
        char *token = nullptr;
        detail::check(lfm_get_token, get(), &token);
        return detail::take_string(token);
    }
    /// The page the user opens to approve the application: with a token (desktop flow)
    /// and/or a callback URL (web flow). No I/O.
    std::string auth_url(const std::optional<std::string> &token,
                         const std::optional<std::string> &callback_url = std::nullopt) const {
        char *url = nullptr;
        detail::check(lfm_auth_url, static_cast<const lfm_client *>(raw_.get()),
                      token ? token->c_str() : nullptr,
                      callback_url ? callback_url->c_str() : nullptr, &url);
        return detail::take_string(url);
    }
    /// Desktop/web login, last step: exchange an approved token for a session (stored in
    /// the client). Not yet approved: throws Error with api_code() == 14.
    Session get_session(const std::string &token) {
        char *key = nullptr;
        char *name = nullptr;
        detail::check(lfm_get_session, get(), token.c_str(), &key, &name);
        Session s;
        s.key = detail::take_string(key);
        s.name = detail::take_string(name);
        return s;
    }

    /// Log in with a user name (or e-mail) and password (auth.getMobileSession). The key is
    /// also stored in the client. A wrong password throws Error with api_code() == 4.
    Session get_mobile_session(const std::string &username, const std::string &password) {
        char *key = nullptr;
        char *name = nullptr;
        detail::check(lfm_get_mobile_session, get(), username.c_str(), password.c_str(), &key,
                      &name);
        Session s;
        s.key = detail::take_string(key);
        s.name = detail::take_string(name);
        return s;
    }

    /// Call any API method; returns the JSON body as received.
    std::string call(const std::string &method, const Params &params = {},
                     CallFlags flags = CallFlags::None) {
        std::vector<lfm_param> c = detail::c_params(params);
        char *json = nullptr;
        detail::check(lfm_call, get(), method.c_str(), c.empty() ? nullptr : c.data(), c.size(),
                      static_cast<std::uint32_t>(flags), &json);
        return detail::take_string(json);
    }

    /// track.updateNowPlaying (signed POST with the session key).
    void update_now_playing(const Track &track) {
        lfm_track t = track.c_view();
        detail::check(lfm_update_now_playing, get(), &t);
    }

    /// Scrobble tracks (batched, in order); returns the per-track verdicts.
    ScrobbleResult scrobble(const std::vector<Track> &tracks) {
        std::vector<lfm_track> c;
        c.reserve(tracks.size());
        for (const Track &t : tracks) c.push_back(t.c_view());
        lfm_scrobble_result *result = nullptr;
        detail::check(lfm_scrobble, get(), c.empty() ? nullptr : c.data(), c.size(), &result);
        return ScrobbleResult(result);
    }

    /// The C handle, for functions this wrapper does not cover yet. Still owned by *this.
    lfm_client *get() const noexcept { return raw_.get(); }

private:
    static void log_trampoline(void *user_data, std::int32_t level, const char *message) noexcept {
        try {
            (*static_cast<Logger *>(user_data))(static_cast<LogLevel>(level),
                                                message ? std::string_view(message) : std::string_view());
        } catch (...) {
            // A logger must not throw through C; the line is dropped.
        }
    }

    // Declared before raw_ so that the client is freed first, then the loggers it used.
    std::vector<std::unique_ptr<Logger>> loggers_;
    std::unique_ptr<lfm_client, detail::ClientFree> raw_;
};

// ---------------------------------------------------------------------------------------
// Queue

/// One play of a queue snapshot, copied out of the C snapshot.
struct QueueEntry {
    std::uint64_t id = 0;            ///< pass to Queue::remove / Queue::retry
    Track track;
    std::int64_t queued_at = 0;      ///< UTC Unix seconds
    bool rejected = false;           ///< true: will not be sent unless retried
    std::int32_t ignored_code = 0;   ///< Last.fm's ignored code for a rejected play
    std::int32_t api_code = 0;       ///< API error (6, 13) that isolated a rejected play
    std::optional<std::string> reason;      ///< why it was rejected
    std::uint32_t attempts = 0;             ///< failed delivery attempts
    std::uint32_t isolated_failures = 0;    ///< of those, failures of this play alone (rejected at 3)
    std::optional<std::string> last_error;  ///< the last delivery error
};

/// A snapshot of a queue (Queue::list). Move-only owner of an lfm_queue_entries.
class QueueEntries {
public:
    explicit QueueEntries(lfm_queue_entries *raw) noexcept : raw_(raw) {}

    std::size_t size() const noexcept { return lfm_queue_entries_count(raw_.get()); }
    bool empty() const noexcept { return size() == 0; }

    /// Entry `index`, copied out. Throws std::out_of_range for a bad index.
    QueueEntry at(std::size_t index) const {
        if (index >= size()) throw std::out_of_range("lfm::QueueEntries: index out of range");
        lfm_queue_entry e{};
        detail::check(lfm_queue_entries_get, raw_.get(), index, &e);
        QueueEntry out;
        out.id = e.id;
        out.track = Track::from_c(e.track);
        out.queued_at = e.queued_at;
        out.rejected = e.rejected;
        out.ignored_code = e.ignored_code;
        out.api_code = e.api_code;
        out.reason = detail::optional_string(e.reason);
        out.attempts = e.attempts;
        out.isolated_failures = e.isolated_failures;
        out.last_error = detail::optional_string(e.last_error);
        return out;
    }
    QueueEntry operator[](std::size_t index) const { return at(index); }

    /// Every entry, oldest first.
    std::vector<QueueEntry> to_vector() const {
        std::vector<QueueEntry> v;
        v.reserve(size());
        for (std::size_t i = 0; i < size(); ++i) v.push_back(at(i));
        return v;
    }

private:
    std::unique_ptr<lfm_queue_entries, detail::QueueEntriesFree> raw_;
};

/// A durable queue of plays in one file. Move-only owner of an lfm_queue; thread-safe.
class Queue {
public:
    /// Open (or create) the queue at `path`. Throws (LFM_ERR_IO) if another holds it.
    explicit Queue(const std::string &path) {
        lfm_queue *raw = nullptr;
        detail::check(lfm_queue_open, path.c_str(), &raw);
        raw_.reset(raw);
    }

    /// Queue a play durably (on disk when this returns); duplicates are ignored.
    void push(const Track &track) {
        lfm_track t = track.c_view();
        detail::check(lfm_queue_push, get(), &t);
    }

    /// Plays waiting to be sent (rejected ones are not counted).
    std::size_t size() const {
        std::size_t n = 0;
        detail::check(lfm_queue_len, raw_.get(), &n);
        return n;
    }

    /// Send the queued plays through `client`; returns how many the server accepted. On
    /// failure throws lfm::Error, and `*sent_before_failure` (if given) receives the number
    /// accepted before the failure.
    std::size_t flush(Client &client, std::size_t *sent_before_failure = nullptr) {
        std::size_t sent = 0;
        lfm_error *err = nullptr;
        lfm_status status = lfm_queue_flush(get(), client.get(), &sent, &err);
        if (sent_before_failure) *sent_before_failure = sent;
        if (status != LFM_OK) detail::throw_error(status, err);
        lfm_error_free(err);
        return sent;
    }

    /// A snapshot of every play, pending and rejected, oldest first.
    QueueEntries list() const {
        lfm_queue_entries *raw = nullptr;
        detail::check(lfm_queue_list, raw_.get(), &raw);
        return QueueEntries(raw);
    }

    /// Remove a play for good.
    void remove(std::uint64_t id) { detail::check(lfm_queue_remove, get(), id); }
    /// Move a rejected play back to pending.
    void retry(std::uint64_t id) { detail::check(lfm_queue_retry, get(), id); }

    /// Reject plays older than `days` when a flush reaches them (default 14); 0 = no limit.
    void set_max_age_days(std::uint32_t days) {
        detail::check(lfm_queue_set_max_age_days, get(), days);
    }

    /// What was damaged in the file when it was opened; std::nullopt when nothing was.
    std::optional<std::string> damage_report() const {
        char *report = nullptr;
        detail::check(lfm_queue_damage_report, raw_.get(), &report);
        return detail::take_optional_string(report);
    }

    /// The C handle. Still owned by *this.
    lfm_queue *get() const noexcept { return raw_.get(); }

private:
    std::unique_ptr<lfm_queue, detail::QueueFree> raw_;
};


// ---------------------------------------------------------------------------------------
// Scrobbler

/// What a Scrobbler event reports (lfm_event_kind). Later versions may add kinds: treat an
/// unknown value as informational.
enum class EventKind : std::int32_t {
    NowPlaying = LFM_EVENT_NOW_PLAYING,  ///< now playing sent (code 0) or failed (code, message)
    Queued = LFM_EVENT_QUEUED,           ///< a play became due and is in the queue file
    Delivered = LFM_EVENT_DELIVERED,     ///< the server accepted a play
    Rejected = LFM_EVENT_REJECTED,       ///< a play will not be sent (code: why)
    Deferred = LFM_EVENT_DEFERRED,       ///< delivery failed for now; retry in retry_after_ms
    AuthLost = LFM_EVENT_AUTH_LOST,      ///< credentials refused (code 9, 4, 10, 26): delivery stops
};

/// What a Scrobbler does with plays of unknown duration (Scrobbler::set_unknown_duration).
enum class UnknownDuration : std::int32_t {
    After4Minutes = LFM_UNKNOWN_DURATION_AFTER_4_MINUTES,  ///< due after 4 minutes (default)
    Never = LFM_UNKNOWN_DURATION_NEVER,                    ///< never scrobbled (streams, radio)
};

/// One event of a Scrobbler, copied out of the C event (so it may be kept and moved to
/// other threads).
struct ScrobblerEvent {
    EventKind kind = EventKind::NowPlaying;
    std::optional<Track> track;    ///< the play it concerns; std::nullopt for Deferred, AuthLost
    std::int32_t code = 0;         ///< Last.fm's ignored code or API error, 0 if none
    std::string message;           ///< reason or error text ("" if none); never a secret
    std::int64_t retry_after_ms = 0;  ///< Deferred: when the worker tries again (scrobbler's clock)
    Corrections corrections;       ///< Last.fm's corrections (NowPlaying, Delivered)

    /// Copy a C event (its pointers are valid only during the callback).
    static ScrobblerEvent from_c(const lfm_scrobbler_event &e) {
        ScrobblerEvent out;
        out.kind = static_cast<EventKind>(e.kind);
        if (e.track != nullptr) out.track = Track::from_c(*e.track);
        out.code = e.code;
        out.message = e.message ? std::string(e.message) : std::string();
        out.retry_after_ms = e.retry_after_ms;
        out.corrections = Corrections{detail::optional_string(e.corrected_artist),
                                      detail::optional_string(e.corrected_track),
                                      detail::optional_string(e.corrected_album)};
        return out;
    }
};

/// The play tracker and background delivery of lfm_scrobbler: the player reports what it
/// does (play, pause, resume, seek, stop) and the scrobbler decides when a play counts,
/// sends now playing, queues due plays durably and delivers them from its own thread. See
/// "the scrobbler" in lfm.h for the rules.
///
/// Move-only RAII owner of an lfm_scrobbler: the destructor (or close()) stops the worker
/// within the close timeout; undelivered plays stay in the queue file for the next
/// Scrobbler on it. The player calls are thread-safe and return within about a millisecond
/// whatever the network does. The Client may be destroyed before the Scrobbler (the
/// scrobbler keeps its own reference to the C client).
///
///     lfm::Scrobbler s(client, "/var/lib/player/scrobbles.lfmq");
///     s.set_listener([](const lfm::ScrobblerEvent &e) { /* worker thread */ });
///     s.play(track); s.pause(); s.resume(); s.seek(30000); s.stop();
class Scrobbler {
public:
    /// Called on the scrobbler's worker thread, one event at a time. It may call the
    /// Scrobbler back (not destroy it). Exceptions it throws are swallowed: they must not
    /// cross the C library.
    using Listener = std::function<void(const ScrobblerEvent &)>;
    /// The current time in Unix milliseconds, called from the player's and the worker's
    /// threads (so it must be thread-safe). Must not throw: an exception gives the system
    /// time instead.
    using Clock = std::function<std::int64_t()>;

    /// How long the destructor waits for the worker by default.
    static constexpr std::chrono::milliseconds default_close_timeout{5000};

    /// Start a scrobbler on `client` with its durable queue at `queue_path` (the lfm_queue
    /// rules: one open per file). Throws lfm::Error (LFM_ERR_IO if the file is held).
    Scrobbler(Client &client, const std::string &queue_path,
              std::chrono::milliseconds close_timeout = default_close_timeout)
        : callbacks_(std::make_unique<Callbacks>()) {
        lfm_scrobbler *raw = nullptr;
        detail::check(lfm_scrobbler_new, client.get(), queue_path.c_str(), &raw);
        raw_.reset(raw);
        raw_.get_deleter().timeout_ms = clamp_ms(close_timeout);
    }

    Scrobbler(Scrobbler &&) noexcept = default;
    /// Frees this scrobbler first (its worker may be calling its listener), then takes
    /// over `other`'s scrobbler and callbacks.
    Scrobbler &operator=(Scrobbler &&other) noexcept {
        if (this != &other) {
            raw_ = std::move(other.raw_);
            callbacks_ = std::move(other.callbacks_);
        }
        return *this;
    }
    ~Scrobbler() = default;

    // --- the player's events (thread-safe; no network I/O on the caller's thread) ---

    /// A track starts at position 0 (the same track again is a new play: repeat-one).
    void play(const Track &track) {
        lfm_track t = track.c_view();
        detail::check(lfm_scrobbler_play, get(), static_cast<const lfm_track *>(&t));
    }
    void pause() { detail::check(lfm_scrobbler_pause, get()); }
    void resume() { detail::check(lfm_scrobbler_resume, get()); }
    /// The player jumped to `position_ms` in the current track (adds no listened time).
    void seek(std::uint32_t position_ms) { detail::check(lfm_scrobbler_seek, get(), position_ms); }
    void seek(std::chrono::milliseconds position) { seek(clamp_ms(position)); }
    /// The track ended or the user stopped: a play not yet due is not scrobbled.
    void stop() { detail::check(lfm_scrobbler_stop, get()); }

    // --- delivery ---

    /// Try delivering now, ignoring the back-off once (e.g. the network came back).
    void flush_now() { detail::check(lfm_scrobbler_flush_now, get()); }
    /// Block until nothing is pending and the listener has returned from the deliveries'
    /// events, or `timeout` passes; returns the plays left.
    std::size_t drain(std::chrono::milliseconds timeout) {
        std::size_t pending = 0;
        detail::check(lfm_scrobbler_drain, get(), clamp_ms(timeout), &pending);
        return pending;
    }

    /// Plays not delivered yet (due and waiting in the queue file). Never waits on the network.
    std::size_t pending() const {
        std::size_t n = 0;
        detail::check(lfm_scrobbler_pending, static_cast<const lfm_scrobbler *>(raw_.get()), &n);
        return n;
    }

    // --- settings ---

    /// Plays of unknown duration (0) are due after 4 minutes (the default) or never
    /// (streams, radio). A play under way keeps the rule it started with.
    void set_unknown_duration(UnknownDuration rule) {
        detail::check(lfm_scrobbler_set_unknown_duration, get(), static_cast<std::int32_t>(rule));
    }
    /// Resuming after a pause longer than `pause` sends now playing again (default 5
    /// minutes); std::nullopt: never.
    void set_now_playing_after_pause(std::optional<std::chrono::milliseconds> pause) {
        detail::check(lfm_scrobbler_set_now_playing_after_pause_ms, get(),
                      pause ? clamp_ms(*pause) : UINT32_MAX);
    }

    /// Report events to `listener` (an empty one: to nobody). Every listener ever set lives
    /// as long as the Scrobbler, since the worker may still be calling an earlier one.
    void set_listener(Listener listener) {
        if (!listener) {
            detail::check(lfm_scrobbler_set_listener, get(),
                          static_cast<lfm_scrobbler_event_fn>(nullptr), static_cast<void *>(nullptr));
            return;
        }
        Listener *ctx = callbacks_->keep(std::make_unique<Listener>(std::move(listener)));
        detail::check(lfm_scrobbler_set_listener, get(),
                      static_cast<lfm_scrobbler_event_fn>(&event_trampoline), static_cast<void *>(ctx));
    }

    /// Read every time from `clock` instead of the system's (tests, simulations): listened
    /// time, play timestamps, back-off. Set it before the first player event; an empty
    /// Clock goes back to the system clock.
    void set_clock(Clock clock) {
        if (!clock) {
            detail::check(lfm_scrobbler_set_clock, get(), static_cast<lfm_clock_fn>(nullptr),
                          static_cast<void *>(nullptr));
            return;
        }
        Clock *ctx = callbacks_->keep(std::make_unique<Clock>(std::move(clock)));
        detail::check(lfm_scrobbler_set_clock, get(), static_cast<lfm_clock_fn>(&clock_trampoline),
                      static_cast<void *>(ctx));
    }

    /// Stop the worker now, waiting at most `timeout` (undelivered plays stay in the queue
    /// file). Afterwards every call throws LFM_ERR_INVALID_ARGUMENT; destroying is a no-op.
    void close(std::chrono::milliseconds timeout) {
        raw_.get_deleter().timeout_ms = clamp_ms(timeout);
        raw_.reset();
    }

    /// The C handle, for functions this wrapper does not cover. Still owned by *this.
    lfm_scrobbler *get() const noexcept { return raw_.get(); }

private:
    /// The callbacks handed to C, kept at stable addresses until the scrobbler is freed.
    struct Callbacks {
        std::mutex mutex;
        std::vector<std::unique_ptr<Listener>> listeners;
        std::vector<std::unique_ptr<Clock>> clocks;

        Listener *keep(std::unique_ptr<Listener> l) {
            std::lock_guard<std::mutex> lock(mutex);
            listeners.push_back(std::move(l));
            return listeners.back().get();
        }
        Clock *keep(std::unique_ptr<Clock> c) {
            std::lock_guard<std::mutex> lock(mutex);
            clocks.push_back(std::move(c));
            return clocks.back().get();
        }
    };

    static std::uint32_t clamp_ms(std::chrono::milliseconds d) noexcept {
        if (d.count() <= 0) return 0;
        if (d.count() > static_cast<std::chrono::milliseconds::rep>(UINT32_MAX)) return UINT32_MAX;
        return static_cast<std::uint32_t>(d.count());
    }

    static void event_trampoline(void *ctx, const lfm_scrobbler_event *event) noexcept {
        if (ctx == nullptr || event == nullptr) return;
        try {
            (*static_cast<Listener *>(ctx))(ScrobblerEvent::from_c(*event));
        } catch (...) {
            // A listener must not throw through C; the event is dropped.
        }
    }

    static std::int64_t clock_trampoline(void *ctx) noexcept {
        try {
            return (*static_cast<Clock *>(ctx))();
        } catch (...) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        }
    }

    // Declared before raw_ so that the scrobbler is freed first (no callback runs after
    // lfm_scrobbler_free returns), then the callbacks it used.
    std::unique_ptr<Callbacks> callbacks_;
    std::unique_ptr<lfm_scrobbler, detail::ScrobblerFree> raw_;
};

// ---------------------------------------------------------------------------------------
// Pager

/// A walk over every page of a paginated read method (user.getRecentTracks,
/// user.getLovedTracks, user.getTopArtists), each page the JSON array of its normalized
/// items, every item once. See the reads section of lfm.h for the rules (now-playing item
/// dropped, shared timestamps kept, from/to inclusive, transient errors retried).
///
/// A range: `for (const std::string &items : pager) ...`. Each step blocks for the
/// page's request and its retries; a failure throws lfm::Error and leaves the pager on the
/// failed page, so iterating again (a new begin()) resumes there. Move-only owner of an
/// lfm_pager; one thread at a time (it may move between threads).
class Pager {
public:
    /// An input iterator over the pages; the end iterator is default-constructed.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = std::string;
        using difference_type = std::ptrdiff_t;
        using pointer = const std::string *;
        using reference = const std::string &;

        iterator() = default;
        reference operator*() const { return *page_; }
        pointer operator->() const { return &*page_; }
        /// Fetch the next page (throws lfm::Error; the pager stays on that page).
        iterator &operator++() {
            page_ = pager_->next();
            if (!page_) pager_ = nullptr;
            return *this;
        }
        iterator operator++(int) {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend bool operator==(const iterator &a, const iterator &b) noexcept {
            return a.pager_ == b.pager_;
        }
        friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

    private:
        friend class Pager;
        explicit iterator(Pager *pager) : pager_(pager) { ++*this; }
        Pager *pager_ = nullptr;
        std::optional<std::string> page_;
    };

    /// Open a pager over `method` with its own `params` (`limit`, and for a timeline
    /// `from`/`to` in inclusive Unix seconds, may be among them; `page` may not). `flags`
    /// as for Client::call (a pager always normalizes and retries). Does no I/O: the
    /// method's own errors (an unknown user) come with the first page.
    Pager(Client &client, const std::string &method, const Params &params = {},
          CallFlags flags = CallFlags::None) {
        std::vector<lfm_param> c = detail::c_params(params);
        lfm_pager *raw = nullptr;
        detail::check(lfm_pager_open, client.get(), method.c_str(), c.empty() ? nullptr : c.data(),
                      c.size(), static_cast<std::uint32_t>(flags), &raw);
        raw_.reset(raw);
    }

    /// An incremental import of user.getRecentTracks: only the plays after `mark` (from
    /// mark() at the end of an earlier walk), those at its second it does not hold included.
    static Pager after(Client &client, const std::string &method, const Params &params,
                       const std::string &mark, CallFlags flags = CallFlags::None) {
        std::vector<lfm_param> c = detail::c_params(params);
        lfm_pager *raw = nullptr;
        detail::check(lfm_pager_open_after, client.get(), method.c_str(),
                      c.empty() ? nullptr : c.data(), c.size(), static_cast<std::uint32_t>(flags),
                      mark.c_str(), &raw);
        return Pager(raw);
    }

    /// Continue a walk from its state() (even in another process): no gap, no repeat.
    static Pager resume(Client &client, const std::string &state,
                        CallFlags flags = CallFlags::None) {
        lfm_pager *raw = nullptr;
        detail::check(lfm_pager_resume, client.get(), state.c_str(),
                      static_cast<std::uint32_t>(flags), &raw);
        return Pager(raw);
    }

    /// The JSON array of the next page's items; std::nullopt after the last page.
    std::optional<std::string> next() {
        char *json = nullptr;
        detail::check(lfm_pager_next, get(), &json);
        return detail::take_optional_string(json);
    }

    /// Fetch the next page and iterate from it.
    iterator begin() { return iterator(this); }
    iterator end() noexcept { return iterator(); }

    /// Items in all as Last.fm reports them; -1 before the first page.
    std::int64_t total() const noexcept { return lfm_pager_total(raw_.get()); }
    /// Pages in all as Last.fm reports them; -1 before the first page.
    std::int64_t total_pages() const noexcept { return lfm_pager_total_pages(raw_.get()); }
    /// The pages done (the number of the latest page delivered); 0 before the first.
    std::int64_t page() const noexcept { return lfm_pager_page(raw_.get()); }

    /// Everything needed to continue this walk with resume(): save it after each page.
    std::string state() const {
        char *json = nullptr;
        detail::check(lfm_pager_state, static_cast<const lfm_pager *>(raw_.get()), &json);
        return detail::take_string(json);
    }
    /// Where the next incremental import starts (for after()); std::nullopt when nothing
    /// was delivered or the method is not a timeline.
    std::optional<std::string> mark() const {
        char *json = nullptr;
        detail::check(lfm_pager_mark, static_cast<const lfm_pager *>(raw_.get()), &json);
        return detail::take_optional_string(json);
    }

    /// Attempts per page, the first included (>= 1; default 6). 1: no retries.
    void set_max_attempts(std::uint32_t attempts) {
        detail::check(lfm_pager_set_max_attempts, get(), attempts);
    }
    /// The longest wait between two attempts (default 15 minutes; error 29 suggests 30 s
    /// and more): lower it where the walk must not block that long.
    void set_max_wait(std::chrono::milliseconds wait) {
        const auto ms = wait.count() <= 0 ? 0 : wait.count();
        detail::check(lfm_pager_set_max_wait_ms, get(),
                      ms > static_cast<std::chrono::milliseconds::rep>(UINT32_MAX)
                          ? UINT32_MAX
                          : static_cast<std::uint32_t>(ms));
    }

    /// The C handle. Still owned by *this.
    lfm_pager *get() const noexcept { return raw_.get(); }

private:
    explicit Pager(lfm_pager *raw) noexcept : raw_(raw) {}
    std::unique_ptr<lfm_pager, detail::PagerFree> raw_;
};

}  // namespace lfm

#endif  // LFM_HPP
