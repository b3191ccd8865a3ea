// roundtrip.cpp: the C++17 wrapper (lfm.hpp) against the mock server, using an installed
// liblfm. Built by scripts/test-install.sh with -std=c++17 -Wall -Wextra -Werror.
//
// Usage: roundtrip_cpp TAG QUEUE_DIR  (environment from scripts/mock-env.sh)
#include <lfm.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
    std::cout << (ok ? "  ok   " : "  FAIL ") << what << '\n';
    if (!ok) ++failures;
}

std::string env(const char *name) {
    const char *v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        std::cerr << "roundtrip_cpp: " << name << " is not set (source scripts/mock-env.sh)\n";
        std::exit(2);
    }
    return v;
}

// Run `fn`, expecting an lfm::Error; returns it (or a default-constructed marker on none).
template <class Fn>
std::optional<lfm::Error> expect_error(Fn fn) {
    try {
        fn();
    } catch (const lfm::Error &e) {
        return e;
    }
    return std::nullopt;
}

bool mock_has(lfm::Client &client, const std::string &needle) {
    return client.call("mock.scrobbles").find(needle) != std::string::npos;
}


// A minimal JSON reader for checking replies (the wrapper returns JSON as text).
struct Json {
    enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
    bool boolean = false;
    double number = 0;
    std::string text;
    std::vector<Json> items;
    std::map<std::string, Json> members;

    const Json &operator[](const std::string &key) const {
        static const Json none;
        auto it = members.find(key);
        return it == members.end() ? none : it->second;
    }
    const Json &operator[](std::size_t i) const {
        static const Json none;
        return i < items.size() ? items[i] : none;
    }
    bool has(const std::string &key) const { return members.count(key) != 0; }
};

class JsonReader {
public:
    explicit JsonReader(const std::string &s) : s_(s) {}
    Json parse() {
        Json v = value();
        space();
        if (i_ != s_.size()) fail();
        return v;
    }

private:
    [[noreturn]] void fail() { throw std::runtime_error("bad JSON at byte " + std::to_string(i_)); }
    void space() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool eat(char c) {
        space();
        if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
        return false;
    }
    bool word(const char *w) {
        std::string ws(w);
        if (s_.compare(i_, ws.size(), ws) != 0) return false;
        i_ += ws.size();
        return true;
    }
    std::string string() {
        if (!eat('"')) fail();
        std::string out;
        while (i_ < s_.size() && s_[i_] != '"') {
            char c = s_[i_++];
            if (c != '\\') { out += c; continue; }
            if (i_ >= s_.size()) fail();
            char e = s_[i_++];
            switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': {  // BMP only, to UTF-8 (enough for these checks)
                    unsigned cp = static_cast<unsigned>(std::stoul(s_.substr(i_, 4), nullptr, 16));
                    i_ += 4;
                    if (cp < 0x80) out += static_cast<char>(cp);
                    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
                    else { out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
                    break;
                }
                default: out += e;
            }
        }
        if (i_ >= s_.size()) fail();
        ++i_;
        return out;
    }
    Json value() {
        space();
        Json v;
        if (i_ >= s_.size()) fail();
        char c = s_[i_];
        if (c == '{') {
            v.kind = Json::Object;
            ++i_;
            if (eat('}')) return v;
            do {
                std::string key = string();
                if (!eat(':')) fail();
                v.members[key] = value();
            } while (eat(','));
            if (!eat('}')) fail();
        } else if (c == '[') {
            v.kind = Json::Array;
            ++i_;
            if (eat(']')) return v;
            do v.items.push_back(value()); while (eat(','));
            if (!eat(']')) fail();
        } else if (c == '"') {
            v.kind = Json::String;
            v.text = string();
        } else if (word("true")) {
            v.kind = Json::Bool;
            v.boolean = true;
        } else if (word("false")) {
            v.kind = Json::Bool;
        } else if (word("null")) {
        } else {
            std::size_t used = 0;
            v.kind = Json::Number;
            v.number = std::stod(s_.substr(i_, 40), &used);
            if (used == 0) fail();
            i_ += used;
        }
        return v;
    }
    const std::string &s_;
    std::size_t i_ = 0;
};

Json parse_json(const std::string &s) { return JsonReader(s).parse(); }

std::int64_t as_int(const Json &v) {
    if (v.kind == Json::Number) return static_cast<std::int64_t>(v.number);
    if (v.kind == Json::String) return std::stoll(v.text);
    return -1;
}

// A play as (uts, artist, track).
using PlayKey = std::tuple<std::int64_t, std::string, std::string>;

const char *kind_name(lfm::EventKind k) {
    switch (k) {
        case lfm::EventKind::NowPlaying: return "NowPlaying";
        case lfm::EventKind::Queued: return "Queued";
        case lfm::EventKind::Delivered: return "Delivered";
        case lfm::EventKind::Rejected: return "Rejected";
        case lfm::EventKind::Deferred: return "Deferred";
        case lfm::EventKind::AuthLost: return "AuthLost";
    }
    return "?";
}

}  // namespace

static_assert(!std::is_copy_constructible_v<lfm::Client>, "Client is move-only");
static_assert(std::is_nothrow_move_constructible_v<lfm::Client>, "Client moves without throwing");
static_assert(!std::is_copy_constructible_v<lfm::Queue>, "Queue is move-only");
static_assert(!std::is_copy_constructible_v<lfm::Scrobbler>, "Scrobbler is move-only");
static_assert(std::is_nothrow_move_constructible_v<lfm::Scrobbler>, "Scrobbler moves without throwing");
static_assert(!std::is_copy_constructible_v<lfm::Pager>, "Pager is move-only");
static_assert(std::is_nothrow_move_assignable_v<lfm::Scrobbler>, "Scrobbler move-assigns without throwing");
static_assert(std::is_same_v<std::iterator_traits<lfm::Pager::iterator>::iterator_category,
                             std::input_iterator_tag>, "Pager is an input range");

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: roundtrip_cpp TAG QUEUE_DIR\n";
        return 2;
    }
    const std::string tag = argv[1];
    const std::string queue_dir = argv[2];

    try {
        char header_version[32];
        std::snprintf(header_version, sizeof header_version, "%d.%d.%d", LFM_VERSION_MAJOR,
                      LFM_VERSION_MINOR, LFM_VERSION_PATCH);
        const std::string library_version = lfm::version();
        check(library_version == header_version,
              "lfm::version() " + library_version + " matches the header");

        // sign(): shape and independence from parameter order (the vectors are tested in Rust).
        const lfm::Params forward{{"method", "auth.getSession"}, {"token", "t"}};
        const lfm::Params backward{{"token", "t"}, {"method", "auth.getSession"}};
        const std::string sig = lfm::sign(forward, "s");
        check(sig.size() == 32 && sig == lfm::sign(backward, "s"),
              "lfm::sign: 32 hex digits, independent of parameter order");
        const lfm::Params duplicate{{"a", "1"}, {"a", "2"}};
        auto dup = expect_error([&] { lfm::sign(duplicate, "s"); });
        check(dup && dup->status() == LFM_ERR_INVALID_ARGUMENT,
              "lfm::sign with duplicate names throws LFM_ERR_INVALID_ARGUMENT");

        lfm::Client client(env("LFM_API_KEY"), env("LFM_API_SECRET"));
        client.set_base_url(env("LFM_BASE_URL"));
        client.set_ca_file(env("LFM_CA_FILE"));
        client.set_rate_limit(0);
        client.set_timeout_ms(15000);
        client.set_user_agent("lfm-install-test/1.0 (C++)");

        auto bad_url = expect_error([&] { client.set_base_url("ftp://nope"); });
        check(bad_url && bad_url->status() == LFM_ERR_INVALID_ARGUMENT,
              "set_base_url(ftp://) throws LFM_ERR_INVALID_ARGUMENT");

        auto wrong = expect_error(
            [&] { client.get_mobile_session(env("LFM_USERNAME"), "not the password"); });
        check(wrong && wrong->status() == LFM_ERR_API && wrong->api_code() == 4 &&
                  wrong->http_status() != 0 && !wrong->is_retryable(),
              "wrong password throws lfm::Error{LFM_ERR_API, api_code 4}");

        // Log in with the e-mail address this time; the name comes back canonical.
        lfm::Session session = client.get_mobile_session(env("LFM_EMAIL"), env("LFM_PASSWORD"));
        check(!session.key.empty() && session.name == "RJ",
              "get_mobile_session over HTTPS -> key, name RJ");

        std::string loved = client.call("track.love", {{"artist", "Björk"}, {"track", "Jóga"}},
                                        lfm::CallFlags::Write);
        check(loved.find("\"error\"") == std::string::npos, "track.love (CallFlags::Write)");

        client.call("mock.fault", {{"kind", "api_error"}, {"code", "29"}});
        auto limited = expect_error([&] { client.call("user.getInfo", {{"user", "RJ"}}); });
        check(limited && limited->status() == LFM_ERR_API && limited->api_code() == 29 &&
                  limited->is_retryable() && limited->retry_after_ms() > 0,
              "injected error 29 -> retryable, retry_after_ms > 0");

        const auto now = static_cast<std::int64_t>(std::time(nullptr));
        lfm::Track playing("Björk", "np " + tag);
        playing.album = "Homogenic";
        client.update_now_playing(playing);
        check(client.call("mock.nowPlaying").find("np " + tag) != std::string::npos,
              "update_now_playing reached the mock");

        // Scrobble from four threads at once on one client.
        std::vector<std::thread> threads;
        std::vector<int> accepted(4, -1);
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&, i] {
                lfm::Track t("Björk", "scrobble " + tag + " #" + std::to_string(i), now - 600 + i);
                t.duration_secs = 200;
                lfm::ScrobbleResult r = client.scrobble({t});
                accepted[i] = static_cast<int>(r.accepted());
            });
        }
        for (auto &t : threads) t.join();
        bool all = true;
        for (int i = 0; i < 4; ++i)
            all = all && accepted[i] == 1 && mock_has(client, "scrobble " + tag + " #" + std::to_string(i));
        check(all, "4 threads scrobble on one client; the mock stored all 4");

        {
            lfm::Queue queue(queue_dir + "/roundtrip-cpp-" + tag + ".lfmq");
            queue.push(lfm::Track("Björk", "queued a " + tag, now - 400));
            queue.push(lfm::Track("Björk", "queued b " + tag, now - 300));
            queue.push(lfm::Track("Björk", "queued b " + tag, now - 300));  // duplicate
            check(queue.size() == 2, "Queue: 3 pushes (one duplicate) -> size 2");
            lfm::QueueEntries entries = queue.list();
            check(entries.size() == 2 && entries[0].track.title == "queued a " + tag &&
                      !entries[0].rejected && !entries[0].reason && entries[0].id < entries[1].id,
                  "Queue::list snapshot");
            check(!queue.damage_report(), "Queue::damage_report: none");
            std::size_t sent = queue.flush(client);
            check(sent == 2 && queue.size() == 0, "Queue::flush -> 2 sent, empty");
            check(mock_has(client, "queued a " + tag) && mock_has(client, "queued b " + tag),
                  "the mock stored both queued plays");

            auto locked = expect_error(
                [&] { lfm::Queue again(queue_dir + "/roundtrip-cpp-" + tag + ".lfmq"); });
            check(locked && locked->status() == LFM_ERR_IO, "second open of the queue -> LFM_ERR_IO");
        }
        {
            // The mock fails a [server-error] play alone (error 8) and accepts the other.
            lfm::Queue queue(queue_dir + "/roundtrip-cpp-isolated-" + tag + ".lfmq");
            const std::string bad = "stored already [server-error] " + tag;
            queue.push(lfm::Track("Björk", bad, now - 40));
            queue.push(lfm::Track("Björk", "accepted beside it " + tag, now - 30));
            check(queue.flush(client) == 1, "Queue::flush with a failing play -> 1 sent");
            lfm::QueueEntries entries = queue.list();
            check(entries.size() == 1 && entries[0].track.title == bad && !entries[0].rejected &&
                      entries[0].isolated_failures == 1 && entries[0].last_error &&
                      entries[0].last_error->find("Operation failed") != std::string::npos,
                  "Queue::list: the failing play pending, isolated_failures 1, last_error set");
        }

        {
            // The scrobbler engine on an injected clock: a play paused for an hour, repeat-one
            // twice, a skip. The clock starts two hours back so every timestamp is valid.
            using namespace std::chrono_literals;
            std::atomic<std::int64_t> clock_ms{(now - 7200) * 1000};
            auto advance = [&](std::int64_t secs) { clock_ms += secs * 1000; };
            auto clock_secs = [&] { return clock_ms.load() / 1000; };
            std::mutex events_mutex;
            std::condition_variable events_cv;
            std::vector<lfm::ScrobblerEvent> events;
            // The events about `title`, in the order the listener received them.
            auto about = [&](const std::string &title) {
                std::lock_guard<std::mutex> lock(events_mutex);
                std::vector<lfm::ScrobblerEvent> out;
                for (const auto &e : events)
                    if (e.track && e.track->title == title) out.push_back(e);
                return out;
            };
            auto count = [&](const std::string &title, lfm::EventKind kind) {
                std::size_t n = 0;
                for (const auto &e : about(title)) n += e.kind == kind;
                return n;
            };
            // Wait (generously: a slow machine only waits longer) for the n-th such event.
            auto await = [&](const std::string &title, lfm::EventKind kind, std::size_t n) {
                std::unique_lock<std::mutex> lock(events_mutex);
                bool ok = events_cv.wait_for(lock, 60s, [&] {
                    std::size_t seen = 0;
                    for (const auto &e : events) seen += e.track && e.track->title == title && e.kind == kind;
                    return seen >= n;
                });
                if (!ok) std::cout << "  (timed out waiting for " << kind_name(kind) << " #" << n << " of " << title << ")\n";
                return ok;
            };

            const std::string full = "engine paused " + tag;
            const std::string repeat = "engine repeat " + tag;
            const std::string skip = "engine skip " + tag;
            std::int64_t full_start = 0;
            std::int64_t repeat_starts[2] = {0, 0};
            {
                lfm::Scrobbler scrobbler(client, queue_dir + "/roundtrip-cpp-engine-" + tag + ".lfmq");
                scrobbler.set_clock([&] { return clock_ms.load(); });
                scrobbler.set_listener([&](const lfm::ScrobblerEvent &e) {
                    {
                        std::lock_guard<std::mutex> lock(events_mutex);
                        events.push_back(e);
                    }
                    events_cv.notify_all();
                    throw std::runtime_error("a throwing listener must not reach C");
                });

                // "beatles" is in the mock's autocorrect table: "The Beatles".
                lfm::Track a("beatles", full);
                a.duration_secs = 200;
                a.chosen_by_user = true;
                full_start = clock_secs();
                scrobbler.play(a);
                await(full, lfm::EventKind::NowPlaying, 1);
                advance(60);
                scrobbler.pause();
                advance(3600);  // an hour of pause adds nothing, and re-sends now playing
                scrobbler.resume();
                await(full, lfm::EventKind::NowPlaying, 2);
                advance(20);
                scrobbler.seek(10000);  // seeking back is the same play, and adds no time
                advance(15);
                check(count(full, lfm::EventKind::Queued) == 0,
                      "Scrobbler: 95 s of a 200 s track around an hour's pause and a seek: not due");
                advance(10);  // 105 s listened: due
                scrobbler.stop();
                await(full, lfm::EventKind::Delivered, 1);

                lfm::Track b("Björk", repeat);
                b.duration_secs = 180;
                repeat_starts[0] = clock_secs();
                scrobbler.play(b);
                await(repeat, lfm::EventKind::NowPlaying, 1);
                advance(100);
                repeat_starts[1] = clock_secs();
                scrobbler.play(b);  // repeat-one: a new play with its own timestamp
                await(repeat, lfm::EventKind::NowPlaying, 2);
                advance(100);

                lfm::Track c("Björk", skip);
                c.duration_secs = 200;
                scrobbler.play(c);  // the second repeat was due: queued as c starts
                await(skip, lfm::EventKind::NowPlaying, 1);
                advance(40);  // a skip at 20 %
                scrobbler.stop();
                std::size_t left = scrobbler.drain(60s);
                await(repeat, lfm::EventKind::Delivered, 2);
                check(left == 0, "Scrobbler::drain -> nothing pending (" + std::to_string(left) + ")");
            }  // the destructor stops the worker; the listener outlives it

            std::vector<std::string> full_kinds;
            for (const auto &e : about(full)) full_kinds.push_back(kind_name(e.kind));
            const std::vector<std::string> want{"NowPlaying", "NowPlaying", "Queued", "Delivered"};
            std::string got_kinds;
            for (const auto &k : full_kinds) got_kinds += k + " ";
            check(full_kinds == want, "Scrobbler events for the paused play, in order: " + got_kinds);
            auto full_events = about(full);
            bool corrected = full_events.size() == 4;
            for (const auto &e : full_events)
                if (e.kind == lfm::EventKind::NowPlaying || e.kind == lfm::EventKind::Delivered)
                    corrected = corrected && e.corrections.artist == std::optional<std::string>("The Beatles") &&
                                !e.corrections.title && !e.corrections.album;
            check(corrected, "NowPlaying and Delivered events carry the correction beatles -> The Beatles");
            check(full_events.size() == 4 && full_events[2].track->timestamp == full_start &&
                      full_events[2].track->chosen_by_user == std::optional<bool>(true),
                  "the Queued event carries the play: its start time and chosen_by_user");

            std::set<std::int64_t> queued_repeats;
            for (const auto &e : about(repeat))
                if (e.kind == lfm::EventKind::Queued) queued_repeats.insert(e.track->timestamp);
            check(queued_repeats == std::set<std::int64_t>{repeat_starts[0], repeat_starts[1]} &&
                      count(repeat, lfm::EventKind::Delivered) == 2,
                  "repeat-one: two Queued and two Delivered events, one per start time");
            check(count(skip, lfm::EventKind::NowPlaying) == 1 && count(skip, lfm::EventKind::Queued) == 0,
                  "a skip at 20 %: now playing, never queued");

            // Exactly what the server stored.
            std::multiset<PlayKey> stored;
            const Json scrobbles = parse_json(client.call("mock.scrobbles"));  // kept: loops below borrow it
            for (const Json &sc : scrobbles["scrobbles"].items)
                if (sc["track"].text == full || sc["track"].text == repeat || sc["track"].text == skip)
                    stored.insert({as_int(sc["timestamp"]), sc["artist"].text, sc["track"].text});
            const std::multiset<PlayKey> expected{{full_start, "The Beatles", full},
                                                  {repeat_starts[0], "Björk", repeat},
                                                  {repeat_starts[1], "Björk", repeat}};
            check(stored == expected,
                  "the mock stored exactly the paused play (start time), two repeats, no skip (" +
                      std::to_string(stored.size()) + " plays)");
        }
        {
            // Reads: a normalized call, a retried call, and the pager over the mock's history.
            const std::string raw = client.call("album.getInfo", {{"artist", "Cher"}, {"album", "Believe"}});
            const std::string norm = client.call("album.getInfo", {{"artist", "Cher"}, {"album", "Believe"}},
                                                 lfm::CallFlags::Normalize);
            Json r = parse_json(raw);
            Json n = parse_json(norm);
            check(r["album"]["tracks"]["track"].kind == Json::Object && r["album"]["tags"].kind == Json::String &&
                      n["album"]["tracks"]["track"].kind == Json::Array &&
                      n["album"]["tracks"]["track"][0]["rank"].kind == Json::Number &&
                      n["album"]["tags"]["tag"].kind == Json::Array && n["album"]["tags"]["tag"].items.empty(),
                  "CallFlags::Normalize: a one-track object and \"\" tags become arrays, rank a number");

            client.call("mock.fault", {{"kind", "api_error"}, {"code", "8"}});
            auto once = expect_error([&] { client.call("user.getInfo", {{"user", "RJ"}}); });
            client.call("mock.fault", {{"kind", "api_error"}, {"code", "8"}});
            std::string info = client.call("user.getInfo", {{"user", "RJ"}}, lfm::CallFlags::Retry);
            check(once && once->api_code() == 8 && parse_json(info)["user"]["name"].text == "RJ",
                  "error 8 fails a plain call; CallFlags::Retry rides it out");

            // The mock's history: these plays, and every scrobble stored so far (other tests').
            Json loaded = parse_json(
                client.call("mock.loadPlays", {{"count", "230"}, {"shared_every", "7"}, {"now_playing", "1"}}));
            const std::int64_t newest_loaded = as_int(loaded["newest"]);
            client.call("mock.pageFault", {{"method_name", "user.getRecentTracks"}, {"page", "3"}, {"code", "8"}});
            // Compared on the loaded plays (other tests may have stored one play twice, which
            // a pager rightly delivers once), walked through the whole history.
            std::vector<PlayKey> expected;
            const std::vector<Json> history = parse_json(client.call("mock.plays"))["plays"].items;
            for (const Json &p : history)
                if (as_int(p["uts"]) <= newest_loaded)
                    expected.emplace_back(as_int(p["uts"]), p["artist"].text, p["track"].text);

            // Two pages, then the walk continues from its saved state in a new pager.
            std::vector<PlayKey> got;
            bool now_playing = false;
            auto take = [&](const std::string &page) {
                for (const Json &item : parse_json(page).items) {
                    now_playing = now_playing || item.has("nowplaying") || item.has("attr");
                    if (as_int(item["date"]["uts"]) <= newest_loaded)
                        got.emplace_back(as_int(item["date"]["uts"]), item["artist"]["name"].text, item["name"].text);
                }
            };
            std::string state;
            {
                lfm::Pager first(client, "user.getRecentTracks", {{"user", "RJ"}, {"limit", "50"}});
                check(first.total() == -1 && first.page() == 0, "Pager before the first page: total -1, page 0");
                for (const std::string &page : first) {
                    take(page);
                    if (first.page() == 2) break;
                }
                state = first.state();
            }
            lfm::Pager pager = lfm::Pager::resume(client, state);
            pager.set_max_wait(std::chrono::milliseconds(5000));
            for (const std::string &page : pager) take(page);
            check(expected.size() == 230 && got == expected && !now_playing,
                  "Pager: " + std::to_string(got.size()) + " loaded plays over " + std::to_string(pager.page()) +
                      " pages (resumed after page 2, error 8 on page 3), every play once, newest first, no now playing");
            check(pager.total() == static_cast<std::int64_t>(history.size()) && pager.page() == pager.total_pages(),
                  "Pager::total() = the plays the mock holds; page() = total_pages() at the end");
            check(pager.begin() == pager.end(), "an exhausted Pager stays at its end");

            // An incremental import from the walk's mark gets exactly the plays added since.
            const std::optional<std::string> mark = pager.mark();
            const std::int64_t mark_uts = mark ? as_int(parse_json(*mark)["uts"]) : 0;
            client.call("mock.addPlays", {{"count", "4"}, {"at", std::to_string(mark_uts + 1)},
                                          {"step", "1"}, {"shared_every", "2"}});
            std::vector<PlayKey> added;
            const Json plays_now = parse_json(client.call("mock.plays"));
            for (const Json &p : plays_now["plays"].items)
                if (as_int(p["uts"]) > mark_uts)
                    added.emplace_back(as_int(p["uts"]), p["artist"].text, p["track"].text);
            std::vector<PlayKey> imported;
            if (mark)
                for (const std::string &page : lfm::Pager::after(client, "user.getRecentTracks", {{"user", "RJ"}}, *mark))
                    for (const Json &item : parse_json(page).items)
                        imported.emplace_back(as_int(item["date"]["uts"]), item["artist"]["name"].text, item["name"].text);
            check(mark && added.size() == 4 && imported == added,
                  "Pager::after(mark): exactly the " + std::to_string(added.size()) + " plays added since");
            auto not_paged = expect_error([&] { lfm::Pager p(client, "user.getInfo", {{"user", "RJ"}}); });
            check(not_paged && not_paged->status() == LFM_ERR_INVALID_ARGUMENT,
                  "Pager over a method without pages throws LFM_ERR_INVALID_ARGUMENT");
        }

        // The desktop (token) flow and the newer settings.
        client.set_connect_timeout_ms(5000);
        client.set_proxy(std::nullopt);
        const std::string token = client.get_token();
        const std::string url = client.auth_url(token);
        check(!token.empty() && url.find("token=" + token) != std::string::npos,
              "get_token + auth_url carries the token");
        auto pending = expect_error([&] { client.get_session(token); });
        check(pending && pending->api_code() == 14, "get_session before approval -> API error 14");
        client.call("mock.approveToken", {{"token", token}});
        lfm::Session approved = client.get_session(token);
        check(!approved.key.empty() && approved.name == "RJ", "get_session after approval -> RJ");

        // A logger sees requests; secrets never appear in it.
        std::mutex log_mutex;
        std::vector<std::string> lines;
        client.set_logger(
            [&](lfm::LogLevel, std::string_view line) {
                std::lock_guard<std::mutex> lock(log_mutex);
                lines.emplace_back(line);
            },
            lfm::LogLevel::Debug);
        client.get_mobile_session(env("LFM_USERNAME"), env("LFM_PASSWORD"));
        client.call("user.getInfo", {{"user", "RJ"}});
        client.set_logger(nullptr);
        bool leaked = false;
        for (const auto &l : lines)
            leaked = leaked || l.find(env("LFM_PASSWORD")) != std::string::npos ||
                     l.find(env("LFM_API_SECRET")) != std::string::npos;
        check(!lines.empty() && !leaked, "set_logger: " + std::to_string(lines.size()) +
                                             " lines, no password or secret");

        lfm::Client moved = std::move(client);
        check(moved.get() != nullptr && client.get() == nullptr, "Client moves");
    } catch (const lfm::Error &e) {
        std::cout << "  FAIL unexpected lfm::Error: " << e.status_str() << " (api " << e.api_code()
                  << ", http " << e.http_status() << "): " << e.what() << '\n';
        ++failures;
    }

    std::cout << "roundtrip (C++): " << (failures == 0 ? "all checks passed" : "FAILURES") << '\n';
    return failures == 0 ? 0 : 1;
}
