// roundtrip.cpp: the C++17 wrapper (lfm.hpp) against the mock server, using an installed
// liblfm. Built by scripts/test-install.sh with -std=c++17 -Wall -Wextra -Werror.
//
// Usage: roundtrip_cpp TAG QUEUE_DIR  (environment from scripts/mock-env.sh)
#include <lfm.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
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

}  // namespace

static_assert(!std::is_copy_constructible_v<lfm::Client>, "Client is move-only");
static_assert(std::is_nothrow_move_constructible_v<lfm::Client>, "Client moves without throwing");
static_assert(!std::is_copy_constructible_v<lfm::Queue>, "Queue is move-only");

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
