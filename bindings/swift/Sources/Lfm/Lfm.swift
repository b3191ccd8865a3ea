// A thin Swift wrapper over liblfm's C API. UNTESTED here (no Swift toolchain): see README.md.
//
// Thread-safety: a LastFmClient may be shared by any number of threads (the C client is
// internally synchronised); blocking calls must stay off the main thread. Errors are
// `LfmError` values thrown from every failing call.
import CLfm
import Foundation

public struct LfmError: Error, CustomStringConvertible {
    public let status: Int32        // LFM_ERR_*
    public let apiCode: Int32       // Last.fm's error code (4 wrong password, ...), 0 if none
    public let httpStatus: UInt16   // 0 when there was no reply
    public let retryAfterMs: UInt32
    public let isRetryable: Bool
    public let message: String

    public var description: String {
        "\(String(cString: lfm_status_str(status))) (Last.fm error \(apiCode)): \(message)"
    }
}

/// Call `body` with an `lfm_error **`; throw LfmError when it returns a failure.
@discardableResult
func check(_ body: (UnsafeMutablePointer<OpaquePointer?>) -> lfm_status) throws -> lfm_status {
    var err: OpaquePointer?
    let status = body(&err)
    defer { lfm_error_free(err) }
    guard status == LFM_OK else {
        throw LfmError(status: status, apiCode: lfm_error_api_code(err),
                       httpStatus: lfm_error_http_status(err),
                       retryAfterMs: lfm_error_retry_after_ms(err),
                       isRetryable: lfm_error_is_retryable(err),
                       message: String(cString: lfm_error_message(err)))
    }
    return status
}

/// Copy a library-owned string and free it.
func take(_ s: UnsafeMutablePointer<CChar>?) -> String? {
    guard let s = s else { return nil }
    defer { lfm_string_free(s) }
    return String(cString: s)
}

/// Copy a borrowed C string (NULL gives nil).
func borrowed(_ s: UnsafePointer<CChar>?) -> String? {
    s.map { String(cString: $0) }
}

public struct Track {
    public var artist: String
    /// The track's title (`lfm_track.track` in C).
    public var title: String
    public var album: String?
    public var timestamp: Int64
    public var durationSecs: UInt32
    public var albumArtist: String?
    /// MusicBrainz track id.
    public var mbid: String?
    /// Position on the album, 0 = unknown.
    public var trackNumber: UInt32
    /// Whether the user chose the track (true) or a radio, recommendation or shuffle did
    /// (false); nil = unknown, not sent.
    public var chosenByUser: Bool?

    public init(artist: String, title: String, album: String? = nil, timestamp: Int64 = 0,
                durationSecs: UInt32 = 0, albumArtist: String? = nil, mbid: String? = nil,
                trackNumber: UInt32 = 0, chosenByUser: Bool? = nil) {
        self.artist = artist; self.title = title; self.album = album
        self.timestamp = timestamp; self.durationSecs = durationSecs
        self.albumArtist = albumArtist; self.mbid = mbid; self.trackNumber = trackNumber
        self.chosenByUser = chosenByUser
    }

    /// Copy a C track (its strings are borrowed only for the call that hands it over).
    init(c t: lfm_track) {
        self.init(artist: borrowed(t.artist) ?? "", title: borrowed(t.track) ?? "",
                  album: borrowed(t.album), timestamp: t.timestamp, durationSecs: t.duration_secs,
                  albumArtist: borrowed(t.album_artist), mbid: borrowed(t.mbid),
                  trackNumber: t.track_number,
                  chosenByUser: t.chosen_by_user == LFM_CHOSEN_YES ? true
                      : t.chosen_by_user == LFM_CHOSEN_NO ? false : nil)
    }

    /// Run `body` with a C view whose strings live for the duration of the call.
    func withC<R>(_ body: (UnsafePointer<lfm_track>) throws -> R) rethrows -> R {
        try withCTracks([self]) { tracks, _ in try body(tracks) }
    }
}

/// Run `body` with C views of `tracks` (an array of `tracks.count`) whose strings live for
/// the duration of the call. An optional string that is nil or empty is NULL (not sent).
func withCTracks<R>(_ tracks: [Track], _ body: (UnsafePointer<lfm_track>, Int) throws -> R) rethrows -> R {
    var owned: [UnsafeMutablePointer<CChar>] = []
    defer { owned.forEach { free($0) } }
    func dup(_ s: String) -> UnsafePointer<CChar>? {
        guard let p = strdup(s) else { return nil }
        owned.append(p)
        return UnsafePointer(p)
    }
    func dupOptional(_ s: String?) -> UnsafePointer<CChar>? {
        guard let s = s, !s.isEmpty else { return nil }
        return dup(s)
    }
    let c: [lfm_track] = tracks.map { t in
        var c = lfm_track()
        c.artist = dup(t.artist)
        c.track = dup(t.title)
        c.album = dupOptional(t.album)
        c.album_artist = dupOptional(t.albumArtist)
        c.mbid = dupOptional(t.mbid)
        c.timestamp = t.timestamp
        c.duration_secs = t.durationSecs
        c.track_number = t.trackNumber
        c.chosen_by_user = t.chosenByUser.map { $0 ? LFM_CHOSEN_YES : LFM_CHOSEN_NO } ?? LFM_CHOSEN_UNKNOWN
        return c
    }
    if c.isEmpty {
        // The library wants a valid pointer even for no tracks; the count says there are none.
        var none = lfm_track()
        return try withUnsafePointer(to: &none) { try body($0, 0) }
    }
    return try c.withUnsafeBufferPointer { try body($0.baseAddress!, $0.count) }
}

/// Run `body` with a C array of `params` whose strings live for the duration of the call.
func withCParams<R>(_ params: [(String, String)],
                    _ body: (UnsafePointer<lfm_param>?, Int) throws -> R) rethrows -> R {
    let names = params.map { strdup($0.0) }
    let values = params.map { strdup($0.1) }
    defer { (names + values).forEach { free($0) } }
    let cParams = zip(names, values).map { lfm_param(name: $0.0, value: $0.1) }
    return try cParams.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
}

/// Flags of `LastFmClient.call` and `Pager`, from lfm.h's LFM_CALL_* bits.
public struct CallFlags: OptionSet {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let signed = CallFlags(rawValue: UInt32(LFM_CALL_SIGNED))
    public static let session = CallFlags(rawValue: UInt32(LFM_CALL_SESSION))
    public static let post = CallFlags(rawValue: UInt32(LFM_CALL_POST))
    /// All three: what every write method needs.
    public static let write = CallFlags(rawValue: UInt32(LFM_CALL_WRITE))
    /// Rewrite the reply into the stable shape (lists always arrays, typed numbers and
    /// booleans, `text`, `attr`, images as `{size: url}`): see LFM_CALL_NORMALIZE.
    public static let normalize = CallFlags(rawValue: UInt32(LFM_CALL_NORMALIZE))
    /// Retry transient failures (8, 11, 16, 29, 5xx, network): see LFM_CALL_RETRY.
    public static let retry = CallFlags(rawValue: UInt32(LFM_CALL_RETRY))
}

/// Last.fm's corrections to a play's names; nil where it kept the name as sent.
public struct Corrections: Equatable {
    public var artist: String?
    public var title: String?
    public var album: String?
    public var isEmpty: Bool { artist == nil && title == nil && album == nil }
}

/// The server's verdict on one scrobbled track.
public struct ScrobbleVerdict {
    /// 0 accepted, 1 artist ignored, 2 track ignored, 3 too old, 4 too new, 5 daily limit.
    public let ignoredCode: Int32
    /// "" when accepted.
    public let ignoredMessage: String
    public let corrections: Corrections
}

public final class LastFmClient {
    let handle: OpaquePointer

    public init(apiKey: String, apiSecret: String) throws {
        var out: OpaquePointer?
        try check { lfm_client_new(apiKey, apiSecret, &out, $0) }
        handle = out!
    }

    deinit { lfm_client_free(handle) }

    public func setBaseURL(_ url: String) throws { try check { lfm_client_set_base_url(handle, url, $0) } }
    public func setCAFile(_ path: String) throws { try check { lfm_client_set_ca_file(handle, path, $0) } }
    public func setRateLimit(_ perSecond: UInt32) throws { try check { lfm_client_set_rate_limit(handle, perSecond, $0) } }
    public func setTimeoutMs(_ ms: UInt32) throws { try check { lfm_client_set_timeout_ms(handle, ms, $0) } }

    /// auth.getMobileSession; a wrong password throws LfmError with apiCode 4.
    public func mobileSession(username: String, password: String) throws -> (key: String, name: String) {
        var key: UnsafeMutablePointer<CChar>?
        var name: UnsafeMutablePointer<CChar>?
        try check { lfm_get_mobile_session(handle, username, password, &key, &name, $0) }
        return (take(key) ?? "", take(name) ?? "")
    }

    /// Any API method; returns the JSON body (`.normalize`: in the stable shape).
    public func call(_ method: String, _ params: [(String, String)] = [], options: CallFlags = []) throws -> String {
        try call(method, params, flags: options.rawValue)
    }

    /// Any API method with raw LFM_CALL_* bits; returns the JSON body.
    public func call(_ method: String, _ params: [(String, String)] = [], flags: UInt32) throws -> String {
        var json: UnsafeMutablePointer<CChar>?
        try withCParams(params) { ptr, count in
            _ = try check { lfm_call(handle, method, ptr, count, flags, &json, $0) }
        }
        return take(json) ?? ""
    }

    public func updateNowPlaying(_ track: Track) throws {
        try track.withC { t in _ = try check { lfm_update_now_playing(handle, t, $0) } }
    }

    /// Scrobble one track; returns its ignored code (0 accepted).
    public func scrobble(_ track: Track) throws -> Int32 {
        try scrobble([track])[0].ignoredCode
    }

    /// Scrobble tracks (batched, in order); returns the verdicts in input order, with
    /// Last.fm's corrections.
    public func scrobble(_ tracks: [Track]) throws -> [ScrobbleVerdict] {
        var result: OpaquePointer?
        try withCTracks(tracks) { t, n in _ = try check { lfm_scrobble(handle, t, n, &result, $0) } }
        defer { lfm_scrobble_result_free(result) }
        return try (0..<lfm_scrobble_result_count(result)).map { i in
            var v = lfm_scrobble_verdict()
            try check { lfm_scrobble_result_get(result, i, &v, $0) }
            return ScrobbleVerdict(
                ignoredCode: v.ignored_code, ignoredMessage: borrowed(v.ignored_message) ?? "",
                corrections: Corrections(artist: borrowed(v.corrected_artist),
                                         title: borrowed(v.corrected_track),
                                         album: borrowed(v.corrected_album)))
        }
    }
}

public let lfmVersion = String(cString: lfm_version())
