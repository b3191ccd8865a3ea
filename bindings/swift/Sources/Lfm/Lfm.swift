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

public struct Track {
    public var artist: String
    /// The track's title (`lfm_track.track` in C).
    public var title: String
    public var album: String?
    public var timestamp: Int64
    public var durationSecs: UInt32

    public init(artist: String, title: String, album: String? = nil, timestamp: Int64 = 0,
                durationSecs: UInt32 = 0) {
        self.artist = artist; self.title = title; self.album = album
        self.timestamp = timestamp; self.durationSecs = durationSecs
    }

    /// Run `body` with a C view whose strings live for the duration of the call.
    func withC<R>(_ body: (UnsafePointer<lfm_track>) throws -> R) rethrows -> R {
        try artist.withCString { a in
            try title.withCString { t in
                try (album ?? "").withCString { al in
                    var c = lfm_track()
                    c.artist = a; c.track = t; c.album = album == nil ? nil : al
                    c.timestamp = timestamp; c.duration_secs = durationSecs
                    return try withUnsafePointer(to: &c) { try body($0) }
                }
            }
        }
    }
}

public final class LastFmClient {
    private let handle: OpaquePointer

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

    /// Any API method; returns the JSON body.
    public func call(_ method: String, _ params: [(String, String)] = [], flags: UInt32 = 0) throws -> String {
        let names = params.map { strdup($0.0) }
        let values = params.map { strdup($0.1) }
        defer { (names + values).forEach { free($0) } }
        var cParams = zip(names, values).map { lfm_param(name: $0.0, value: $0.1) }
        var json: UnsafeMutablePointer<CChar>?
        try cParams.withUnsafeMutableBufferPointer { buf in
            _ = try check { lfm_call(handle, method, buf.baseAddress, buf.count, flags, &json, $0) }
        }
        return take(json) ?? ""
    }

    public func updateNowPlaying(_ track: Track) throws {
        try track.withC { t in _ = try check { lfm_update_now_playing(handle, t, $0) } }
    }

    /// Scrobble one track; returns its ignored code (0 accepted).
    public func scrobble(_ track: Track) throws -> Int32 {
        var result: OpaquePointer?
        try track.withC { t in _ = try check { lfm_scrobble(handle, t, 1, &result, $0) } }
        defer { lfm_scrobble_result_free(result) }
        return lfm_scrobble_result_ignored_code(result, 0)
    }
}

public let lfmVersion = String(cString: lfm_version())
