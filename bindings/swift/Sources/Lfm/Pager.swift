// Whole-history reads (lfm_pager_*) for Swift. UNTESTED here (no Swift toolchain): see
// README.md.
import CLfm
import Foundation

/// A walk over every page of user.getRecentTracks, user.getLovedTracks or
/// user.getTopArtists: each page is the JSON text of an array of normalized items (as
/// `LastFmClient.call` returns JSON text), every item once. The now-playing item is
/// dropped, plays that share a second survive page boundaries, `from`/`to` are inclusive,
/// transient failures are retried (lfm.h's "Reading" section).
///
/// A `Sequence` of `Result<String, LfmError>` that ends after the last page or after a
/// failure (the pager stays on the failed page: iterate again, or save `state()` and
/// `Pager.resume` later), and, with `pages`, an `AsyncSequence` of `String` that throws.
/// Each step blocks for a request and its retries: keep it off the main thread. One thread
/// at a time.
///
///     for page in try Pager(client: client, method: "user.getRecentTracks", params: [("user", "rj")]) {
///         let items = try page.get()   // JSON array text
///     }
public final class Pager: Sequence {
    private let handle: OpaquePointer?

    private init(handle: OpaquePointer?) { self.handle = handle }

    /// A pager over `method` with its own `params` (`limit`, and for recent tracks
    /// `from`/`to` in inclusive Unix seconds, may be among them; `page` may not). No I/O.
    public convenience init(client: LastFmClient, method: String, params: [(String, String)] = [],
                            flags: CallFlags = []) throws {
        var out: OpaquePointer?
        try withCParams(params) { ptr, count in
            _ = try check { lfm_pager_open(client.handle, method, ptr, count, flags.rawValue, &out, $0) }
        }
        self.init(handle: out)
    }

    /// An incremental import: only the plays after `mark` (from `mark()` at the end of an
    /// earlier walk), those at its second it does not hold included.
    public static func after(client: LastFmClient, method: String, params: [(String, String)] = [],
                             mark: String, flags: CallFlags = []) throws -> Pager {
        var out: OpaquePointer?
        try withCParams(params) { ptr, count in
            _ = try check {
                lfm_pager_open_after(client.handle, method, ptr, count, flags.rawValue, mark, &out, $0)
            }
        }
        return Pager(handle: out)
    }

    /// Continue a walk from its `state()`, even in another process: no gap, no repeat.
    public static func resume(client: LastFmClient, state: String, flags: CallFlags = []) throws -> Pager {
        var out: OpaquePointer?
        try check { lfm_pager_resume(client.handle, state, flags.rawValue, &out, $0) }
        return Pager(handle: out)
    }

    deinit { lfm_pager_free(handle) }

    /// The JSON array of the next page's items; nil after the last page.
    public func nextPage() throws -> String? {
        var json: UnsafeMutablePointer<CChar>?
        try check { lfm_pager_next(handle, &json, $0) }
        return take(json)
    }

    /// Items in all as Last.fm reports them; -1 before the first page.
    public var total: Int64 { lfm_pager_total(handle) }
    /// Pages in all; -1 before the first page.
    public var totalPages: Int64 { lfm_pager_total_pages(handle) }
    /// The pages done (the latest page delivered); 0 before the first.
    public var page: Int64 { lfm_pager_page(handle) }

    /// Everything needed to continue with `Pager.resume`: save it after each page.
    public func state() throws -> String {
        var json: UnsafeMutablePointer<CChar>?
        try check { lfm_pager_state(handle, &json, $0) }
        return take(json) ?? ""
    }

    /// Where the next incremental import starts (`Pager.after`); nil before anything was
    /// delivered, or for a method that is not a timeline.
    public func mark() throws -> String? {
        var json: UnsafeMutablePointer<CChar>?
        try check { lfm_pager_mark(handle, &json, $0) }
        return take(json)
    }

    /// Attempts per page, the first included (default 6; 1: no retries).
    public func setMaxAttempts(_ attempts: UInt32) throws {
        try check { lfm_pager_set_max_attempts(handle, attempts, $0) }
    }

    /// The longest wait between two attempts (default 15 minutes; error 29 suggests 30 s
    /// and more).
    public func setMaxWait(ms: UInt32) throws {
        try check { lfm_pager_set_max_wait_ms(handle, ms, $0) }
    }

    public struct Iterator: IteratorProtocol {
        let pager: Pager
        var finished = false

        public mutating func next() -> Result<String, LfmError>? {
            guard !finished else { return nil }
            do {
                if let page = try pager.nextPage() { return .success(page) }
                finished = true
                return nil
            } catch {
                finished = true
                return .failure(error as? LfmError ?? LfmError(
                    status: LFM_ERR_PANIC, apiCode: 0, httpStatus: 0, retryAfterMs: 0,
                    isRetryable: false, message: "\(error)"))
            }
        }
    }

    public func makeIterator() -> Iterator { Iterator(pager: self) }

    /// The pages as an AsyncSequence: `for try await items in pager.pages { ... }`. Each
    /// step still blocks its thread for the request.
    @available(macOS 10.15, iOS 13.0, tvOS 13.0, watchOS 6.0, *)
    public var pages: AsyncPages { AsyncPages(pager: self) }
}

@available(macOS 10.15, iOS 13.0, tvOS 13.0, watchOS 6.0, *)
public struct AsyncPages: AsyncSequence {
    public typealias Element = String
    let pager: Pager

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pager: Pager
        public mutating func next() async throws -> String? { try pager.nextPage() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pager: pager) }
}
