// The scrobbler engine (lfm_scrobbler_*) for Swift. UNTESTED here (no Swift toolchain): see
// README.md.
import CLfm
import Foundation

/// What a scrobbler event reports (lfm.h's LFM_EVENT_*). Later versions may add kinds: an
/// unknown one is informational.
public struct ScrobblerEventKind: RawRepresentable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Now playing was sent (`code` 0) or failed (`code`, `message`).
    public static let nowPlaying = ScrobblerEventKind(rawValue: LFM_EVENT_NOW_PLAYING)
    /// A play became due and is in the queue file (durably).
    public static let queued = ScrobblerEventKind(rawValue: LFM_EVENT_QUEUED)
    /// The server accepted a play.
    public static let delivered = ScrobblerEventKind(rawValue: LFM_EVENT_DELIVERED)
    /// A play will not be sent (`code` says why).
    public static let rejected = ScrobblerEventKind(rawValue: LFM_EVENT_REJECTED)
    /// Delivery failed for now; the worker tries again in `retryAfterMs`.
    public static let deferred = ScrobblerEventKind(rawValue: LFM_EVENT_DEFERRED)
    /// The credentials were refused (`code` 9, 4, 10 or 26): delivery stops, every play kept,
    /// until a session key is set on the client again.
    public static let authLost = ScrobblerEventKind(rawValue: LFM_EVENT_AUTH_LOST)

    public var description: String {
        switch self {
        case .nowPlaying: return "nowPlaying"
        case .queued: return "queued"
        case .delivered: return "delivered"
        case .rejected: return "rejected"
        case .deferred: return "deferred"
        case .authLost: return "authLost"
        default: return "kind(\(rawValue))"
        }
    }
}

/// One event of a `Scrobbler`, copied out of the C event (whose pointers live only during
/// the callback).
public struct ScrobblerEvent {
    public let kind: ScrobblerEventKind
    /// The play it concerns (its timestamp is when it started); nil for deferred, authLost.
    public let track: Track?
    /// Last.fm's ignored code or API error, 0 if none.
    public let code: Int32
    /// The reason or error text, "" if none; never a secret.
    public let message: String
    /// deferred: milliseconds (by the scrobbler's clock) until the next try.
    public let retryAfterMs: Int64
    /// Last.fm's corrections (nowPlaying, delivered).
    public let corrections: Corrections

    init(_ e: lfm_scrobbler_event) {
        kind = ScrobblerEventKind(rawValue: e.kind)
        track = e.track.map { Track(c: $0.pointee) }
        code = e.code
        message = borrowed(e.message) ?? ""
        retryAfterMs = e.retry_after_ms
        corrections = Corrections(artist: borrowed(e.corrected_artist),
                                  title: borrowed(e.corrected_track),
                                  album: borrowed(e.corrected_album))
    }
}

/// Plays of unknown duration (durationSecs 0): due after 4 minutes (the default) or never.
public enum UnknownDuration {
    case after4Minutes
    case never

    var raw: Int32 {
        switch self {
        case .after4Minutes: return LFM_UNKNOWN_DURATION_AFTER_4_MINUTES
        case .never: return LFM_UNKNOWN_DURATION_NEVER
        }
    }
}

private final class ListenerBox {
    let fn: (ScrobblerEvent) -> Void
    init(_ fn: @escaping (ScrobblerEvent) -> Void) { self.fn = fn }
}

private final class ClockBox {
    let fn: () -> Int64
    init(_ fn: @escaping () -> Int64) { self.fn = fn }
}

// C callbacks: no captures, so they convert to C function pointers; the box comes in ctx.
private let eventTrampoline: lfm_scrobbler_event_fn = { ctx, event in
    guard let ctx = ctx, let event = event else { return }
    Unmanaged<ListenerBox>.fromOpaque(ctx).takeUnretainedValue().fn(ScrobblerEvent(event.pointee))
}

private let clockTrampoline: lfm_clock_fn = { ctx in
    guard let ctx = ctx else { return Int64(Date().timeIntervalSince1970 * 1000) }
    return Unmanaged<ClockBox>.fromOpaque(ctx).takeUnretainedValue().fn()
}

/// The play tracker and background delivery for a player: report what the player does
/// (`play`, `pause`, `resume`, `seek`, `stop`) and the scrobbler decides when a play counts,
/// sends now playing, queues due plays durably in `queuePath` and delivers them from its
/// own thread. The rules are those of lfm.h's "the scrobbler" section.
///
/// Every method may be called from any thread; the player events never wait for the
/// network. The listener runs on the scrobbler's worker thread: hop to the main queue for
/// UI work, and capture the scrobbler weakly in it (a strong capture keeps it alive).
/// `deinit` (or `close`) stops the worker within `closeTimeoutMs`; undelivered plays stay
/// in the queue file for the next `Scrobbler` on it.
///
///     let scrobbler = try Scrobbler(client: client, queuePath: path)
///     try scrobbler.setListener { event in print(event.kind, event.track?.title ?? "") }
///     try scrobbler.play(track)   // then pause(), resume(), seek(positionMs:), stop()
public final class Scrobbler {
    private var handle: OpaquePointer?
    /// How long `deinit` waits for the worker to stop.
    public var closeTimeoutMs: UInt32
    private let lock = NSLock()
    /// Every listener and clock handed to C, alive until the scrobbler is freed (the worker
    /// may still be calling one that was replaced).
    private var boxes: [AnyObject] = []

    /// Start a scrobbler on `client` with its queue file at `queuePath` (one opener at a
    /// time: a second one throws LfmError with status LFM_ERR_IO).
    public init(client: LastFmClient, queuePath: String, closeTimeoutMs: UInt32 = 5000) throws {
        self.closeTimeoutMs = closeTimeoutMs
        var out: OpaquePointer?
        try check { lfm_scrobbler_new(client.handle, queuePath, &out, $0) }
        handle = out
    }

    deinit { lfm_scrobbler_free(handle, closeTimeoutMs) }

    /// Stop now, waiting at most `timeoutMs`; later calls throw LfmError.
    public func close(timeoutMs: UInt32) {
        lfm_scrobbler_free(handle, timeoutMs)
        handle = nil
    }

    // MARK: the player's events

    /// A track starts at position 0; the same track again is a new play (repeat-one).
    public func play(_ track: Track) throws {
        try track.withC { t in _ = try check { lfm_scrobbler_play(handle, t, $0) } }
    }
    public func pause() throws { try check { lfm_scrobbler_pause(handle, $0) } }
    public func resume() throws { try check { lfm_scrobbler_resume(handle, $0) } }
    /// The position jumped to `positionMs`: no listened time added, no new play.
    public func seek(positionMs: UInt32) throws { try check { lfm_scrobbler_seek(handle, positionMs, $0) } }
    /// The track ended or the user stopped: a play not yet due is not scrobbled.
    public func stop() throws { try check { lfm_scrobbler_stop(handle, $0) } }

    // MARK: delivery

    /// Try delivering now, skipping the back-off once (e.g. the network came back).
    public func flushNow() throws { try check { lfm_scrobbler_flush_now(handle, $0) } }

    /// Block until nothing is pending and the listener has returned from the deliveries'
    /// events, or `timeoutMs` passes; returns the plays left.
    @discardableResult
    public func drain(timeoutMs: UInt32) throws -> Int {
        var pending = 0
        try check { lfm_scrobbler_drain(handle, timeoutMs, &pending, $0) }
        return pending
    }

    /// Plays not delivered yet.
    public func pending() throws -> Int {
        var pending = 0
        try check { lfm_scrobbler_pending(handle, &pending, $0) }
        return pending
    }

    // MARK: settings

    /// Report events to `listener` (nil: to nobody), on the scrobbler's worker thread.
    public func setListener(_ listener: ((ScrobblerEvent) -> Void)?) throws {
        let ctx = keep(listener.map(ListenerBox.init))
        try check { lfm_scrobbler_set_listener(handle, ctx == nil ? nil : eventTrampoline, ctx, $0) }
    }

    /// Read every time (Unix milliseconds) from `clock` instead of the system's: tests and
    /// simulations. Called from several threads at once. nil: the system clock again.
    public func setClock(_ clock: (() -> Int64)?) throws {
        let ctx = keep(clock.map(ClockBox.init))
        try check { lfm_scrobbler_set_clock(handle, ctx == nil ? nil : clockTrampoline, ctx, $0) }
    }

    public func setUnknownDuration(_ rule: UnknownDuration) throws {
        try check { lfm_scrobbler_set_unknown_duration(handle, rule.raw, $0) }
    }

    /// Resuming after a pause longer than `ms` sends now playing again (default 5 minutes);
    /// nil: never.
    public func setNowPlayingAfterPause(ms: UInt32?) throws {
        try check { lfm_scrobbler_set_now_playing_after_pause_ms(handle, ms ?? UInt32.max, $0) }
    }

    /// Keep `box` alive until the scrobbler is freed; its address for C (nil for nil).
    private func keep(_ box: AnyObject?) -> UnsafeMutableRawPointer? {
        guard let box = box else { return nil }
        lock.lock()
        boxes.append(box)
        lock.unlock()
        return Unmanaged.passUnretained(box).toOpaque()
    }
}
