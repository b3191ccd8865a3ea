// The Swift wrapper against the mock server (`source scripts/mock-env.sh`, then
// `swift test` with PKG_CONFIG_PATH and LD_LIBRARY_PATH pointing at an installed liblfm).
// UNTESTED here: no Swift toolchain on the machine that wrote it. It mirrors the C++ round
// trip (tests/install/cpp/roundtrip.cpp), which runs in `make test-install`.
import Foundation
import XCTest
@testable import Lfm

final class RoundTripTests: XCTestCase {
    private func env(_ name: String) throws -> String {
        guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else {
            throw XCTSkip("\(name) is not set: source scripts/mock-env.sh")
        }
        return v
    }

    private func client() throws -> LastFmClient {
        let c = try LastFmClient(apiKey: try env("LFM_API_KEY"), apiSecret: try env("LFM_API_SECRET"))
        try c.setBaseURL(try env("LFM_BASE_URL"))
        try c.setCAFile(try env("LFM_CA_FILE"))
        try c.setRateLimit(0)
        _ = try c.mobileSession(username: try env("LFM_USERNAME"), password: try env("LFM_PASSWORD"))
        return c
    }

    private func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    func testScrobblerPlaySequenceOnAnInjectedClock() throws {
        let client = try client()
        let tag = UUID().uuidString
        let clockLock = NSLock()
        var nowMs = (Int64(Date().timeIntervalSince1970) - 7200) * 1000
        func advance(_ secs: Int64) { clockLock.lock(); nowMs += secs * 1000; clockLock.unlock() }
        func seconds() -> Int64 { clockLock.lock(); defer { clockLock.unlock() }; return nowMs / 1000 }

        let eventsLock = NSCondition()
        var events: [ScrobblerEvent] = []
        func waitFor(_ title: String, _ kind: ScrobblerEventKind, _ n: Int) {
            let deadline = Date().addingTimeInterval(60)
            eventsLock.lock()
            defer { eventsLock.unlock() }
            while events.filter({ $0.track?.title == title && $0.kind == kind }).count < n {
                if !eventsLock.wait(until: deadline) { XCTFail("no \(kind) #\(n) for \(title)"); return }
            }
        }

        let full = "swift full \(tag)", repeated = "swift repeat \(tag)", skipped = "swift skip \(tag)"
        var fullStart: Int64 = 0
        var repeatStarts: [Int64] = []
        do {
            let queue = FileManager.default.temporaryDirectory.appendingPathComponent("swift-\(tag).lfmq").path
            let scrobbler = try Scrobbler(client: client, queuePath: queue)
            try scrobbler.setClock { clockLock.lock(); defer { clockLock.unlock() }; return nowMs }
            try scrobbler.setListener { e in
                eventsLock.lock(); events.append(e); eventsLock.broadcast(); eventsLock.unlock()
            }

            fullStart = seconds()
            try scrobbler.play(Track(artist: "beatles", title: full, durationSecs: 200, chosenByUser: true))
            waitFor(full, .nowPlaying, 1)
            advance(60); try scrobbler.pause(); advance(3600); try scrobbler.resume()
            waitFor(full, .nowPlaying, 2)
            advance(20); try scrobbler.seek(positionMs: 10_000); advance(25)  // 105 s listened
            try scrobbler.stop()
            waitFor(full, .delivered, 1)

            let b = Track(artist: "Björk", title: repeated, durationSecs: 180)
            repeatStarts.append(seconds()); try scrobbler.play(b); waitFor(repeated, .nowPlaying, 1)
            advance(100)
            repeatStarts.append(seconds()); try scrobbler.play(b); waitFor(repeated, .nowPlaying, 2)
            advance(100)
            try scrobbler.play(Track(artist: "Björk", title: skipped, durationSecs: 200))
            waitFor(skipped, .nowPlaying, 1)
            advance(40); try scrobbler.stop()
            XCTAssertEqual(try scrobbler.drain(timeoutMs: 60_000), 0)
            waitFor(repeated, .delivered, 2)
            scrobbler.close(timeoutMs: 5000)
        }

        eventsLock.lock()
        let seen = events
        eventsLock.unlock()
        let fullEvents = seen.filter { $0.track?.title == full }
        XCTAssertEqual(fullEvents.map { $0.kind }, [.nowPlaying, .nowPlaying, .queued, .delivered])
        guard fullEvents.count == 4 else { return }
        XCTAssertEqual(fullEvents.last?.corrections.artist, "The Beatles")
        XCTAssertEqual(fullEvents[2].track?.timestamp, fullStart)
        XCTAssertEqual(fullEvents[2].track?.chosenByUser, true)
        XCTAssertEqual(Set(seen.filter { $0.track?.title == repeated && $0.kind == .queued }
                              .compactMap { $0.track?.timestamp }), Set(repeatStarts))
        XCTAssertFalse(seen.contains { $0.track?.title == skipped && $0.kind == .queued })

        let stored = (try json(try client.call("mock.scrobbles"))["scrobbles"] as? [[String: Any]] ?? [])
            .filter { ($0["track"] as? String)?.hasSuffix(tag) == true }
            .map { "\($0["timestamp"] ?? "") \($0["artist"] ?? "") \($0["track"] ?? "")" }
        XCTAssertEqual(stored.sorted(), ["\(fullStart) The Beatles \(full)",
                                         "\(repeatStarts[0]) Björk \(repeated)",
                                         "\(repeatStarts[1]) Björk \(repeated)"].sorted())
    }

    func testPagerAndNormalizedCalls() throws {
        let client = try client()
        let norm = try json(try client.call("album.getInfo", [("artist", "Cher"), ("album", "Believe")],
                                            options: .normalize))
        let album = norm["album"] as? [String: Any]
        XCTAssertNotNil((album?["tracks"] as? [String: Any])?["track"] as? [Any], "one track as an array")

        let loaded = try json(try client.call("mock.loadPlays", [("count", "120"), ("shared_every", "7"),
                                                                 ("now_playing", "1")]))
        let newest = (loaded["newest"] as? NSNumber)?.int64Value ?? 0
        let expected = (try json(try client.call("mock.plays"))["plays"] as? [[String: Any]] ?? [])
            .filter { (($0["uts"] as? NSNumber)?.int64Value ?? 0) <= newest }
            .map { "\($0["uts"] ?? "") \($0["artist"] ?? "") \($0["track"] ?? "")" }

        var got: [String] = []
        let pager = try Pager(client: client, method: "user.getRecentTracks", params: [("user", "RJ"), ("limit", "50")])
        for page in pager {
            let items = try JSONSerialization.jsonObject(with: Data(try page.get().utf8)) as? [[String: Any]] ?? []
            for item in items {
                XCTAssertNil(item["nowplaying"])
                let uts = ((item["date"] as? [String: Any])?["uts"] as? NSNumber)?.int64Value ?? 0
                let artist = (item["artist"] as? [String: Any])?["name"] ?? ""
                if uts <= newest { got.append("\(uts) \(artist) \(item["name"] ?? "")") }
            }
        }
        XCTAssertEqual(expected.count, 120)
        XCTAssertEqual(got, expected)
    }
}
