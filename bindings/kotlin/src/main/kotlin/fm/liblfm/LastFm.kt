package fm.liblfm

import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write

/** liblfm's status codes (lfm_status). */
object Status {
    const val OK = 0
    const val INVALID_ARGUMENT = 1
    const val NETWORK = 2
    const val TIMEOUT = 3
    const val HTTP = 4
    const val PARSE = 5
    const val API = 6
    const val INSECURE = 7
    const val NO_SESSION = 8
    const val IO = 9
    const val PANIC = 10
}

/** The lfm.h this binding mirrors (LFM_VERSION_*); [lfmVersion] is the loaded library's. */
object HeaderVersion {
    const val MAJOR = 0
    const val MINOR = 2
    const val PATCH = 0
}

/** Servers for [LastFmClient.setService] (LFM_SERVICE_*). */
object Service {
    const val LASTFM = 0
    const val LIBREFM = 1
}

/** Certificate roots for [LastFmClient.setRootStore] (LFM_ROOTS_*). */
object RootStore {
    /** The Mozilla roots compiled in (the default). */
    const val BUNDLED = 0
    /** The operating system's store. */
    const val SYSTEM = 1
}

/** Severity of a log line ([LastFmClient.setLogger]); more severe is smaller. */
enum class LogLevel(val code: Int) {
    /** A call failed and retrying will not help. */
    ERROR(1),
    /** A call failed and may succeed later. */
    WARN(2),
    /** Sessions established, queue flush summaries. */
    INFO(3),
    /** Every request (secrets redacted), HTTP status, duration. */
    DEBUG(4);

    companion object {
        internal fun of(code: Int): LogLevel = values().firstOrNull { it.code == code } ?: DEBUG
    }
}

/** Flags of [LastFmClient.call], combinable with `or`. */
object CallFlags {
    const val NONE = 0
    const val SIGNED = 1
    const val SESSION = 2
    const val POST = 4
    /** SIGNED | SESSION | POST: what every write method needs. */
    const val WRITE = 7
    /** The reply rewritten into one stable shape: every list an array, numbers and booleans
     *  typed, `#text` -> `text`/`name`, `@attr` merged or under `attr`, images `{size: url}`
     *  (lfm.h's LFM_CALL_NORMALIZE; README.md, "Reading"). */
    const val NORMALIZE = 8
    /** Retry transient failures (8, 11, 16, 29, 5xx, network): up to 4 attempts, at most
     *  3 minutes of waiting. For reads: a write whose reply was lost would be sent again. */
    const val RETRY = 16
}

/** lfm_track.chosen_by_user's values ([Track.chosenByUser] null, true, false). */
internal object ChosenByUser {
    const val UNKNOWN = 0
    const val YES = 1
    const val NO = 2
}

/**
 * A failed liblfm call. [apiCode] is Last.fm's error code for [Status.API] (4 wrong password,
 * 9 bad session, 29 rate limit...), [httpStatus] the reply's HTTP status (0 when none).
 */
class LastFmException(
    val status: Int,
    val apiCode: Int,
    val httpStatus: Int,
    val retryAfterMs: Long,
    val isRetryable: Boolean,
    message: String,
) : Exception(message) {
    /** Plays accepted before a failed [ScrobbleQueue.flush]; 0 otherwise. */
    var sentBeforeFailure: Long = 0
        internal set

    override fun toString(): String =
        "LastFmException(${LfmNative.lib.lfm_status_str(status)}" +
            (if (apiCode != 0) ", Last.fm error $apiCode" else "") +
            (if (httpStatus != 0) ", HTTP $httpStatus" else "") + "): $message"
}

/** A played (or playing) track; null/0 fields are not sent. */
data class Track(
    val artist: String,
    /** The track's title (`lfm_track.track` in C). */
    val title: String,
    val album: String? = null,
    val albumArtist: String? = null,
    val mbid: String? = null,
    /** UTC Unix seconds when playback started. */
    val timestamp: Long = 0,
    val durationSecs: Int = 0,
    val trackNumber: Int = 0,
    /** Whether the user chose the track (false: a radio, recommendation or shuffle did);
     *  null: not known, not sent. Last.fm's `chosenByUser`. */
    val chosenByUser: Boolean? = null,
) {
    internal fun fill(t: LfmNative.LfmTrack): LfmNative.LfmTrack {
        t.artist = artist; t.track = title; t.album = album?.ifEmpty { null }
        t.albumArtist = albumArtist?.ifEmpty { null }; t.mbid = mbid?.ifEmpty { null }
        t.timestamp = timestamp; t.durationSecs = durationSecs; t.trackNumber = trackNumber
        t.chosenByUser = when (chosenByUser) {
            null -> ChosenByUser.UNKNOWN
            true -> ChosenByUser.YES
            false -> ChosenByUser.NO
        }
        return t
    }
}

/** A C track (borrowed strings) copied into a [Track]. */
internal fun LfmNative.LfmTrack.toTrack() = Track(
    artist ?: "", track ?: "", album, albumArtist, mbid, timestamp, durationSecs, trackNumber,
    when (chosenByUser) {
        ChosenByUser.YES -> true
        ChosenByUser.NO -> false
        else -> null
    },
)

/** A logged-in session. [key] is a secret: it is kept out of [toString]. */
data class Session(val key: String, val name: String) {
    override fun toString() = "Session(key=<${key.length} chars>, name=$name)"
}

/** Names Last.fm corrected (its autocorrect); null where it corrected nothing. */
data class Corrections(val artist: String? = null, val title: String? = null, val album: String? = null) {
    val isEmpty: Boolean get() = artist == null && title == null && album == null
}

/** The server's verdict on one scrobbled track: 0 accepted, 1-5 Last.fm's ignored codes;
 *  [corrections] the names Last.fm corrected (e.g. "beatles" -> "The Beatles"). */
data class Verdict(val ignoredCode: Int, val ignoredMessage: String, val corrections: Corrections = Corrections())

data class ScrobbleResult(val accepted: Long, val ignored: Long, val verdicts: List<Verdict>)

data class QueueEntry(
    val id: Long,
    val track: Track,
    val queuedAt: Long,
    val rejected: Boolean,
    val ignoredCode: Int,
    val apiCode: Int,
    val reason: String?,
    /** Failed delivery attempts. */
    val attempts: Int,
    /** Of those, failures of this play alone while the server accepted others (rejected at 3). */
    val isolatedFailures: Int,
    val lastError: String?,
)

/** The library's version, e.g. "0.2.0". */
fun lfmVersion(): String = LfmNative.lib.lfm_version()

/** Last.fm's rule: longer than 30 s, played for half its length or 4 minutes. */
fun scrobbleEligible(durationSecs: Int, playedSecs: Int): Boolean =
    LfmNative.lib.lfm_scrobble_eligible(durationSecs, playedSecs) != 0.toByte()

/** The api_sig of a request. */
fun sign(params: List<Pair<String, String>>, apiSecret: String): String {
    val out = PointerByReference()
    check { err -> LfmNative.lib.lfm_sign(params.toNative(), SizeT(params.size.toLong()), apiSecret, out, err) }
    return takeString(out.value) ?: ""
}

// --- helpers -------------------------------------------------------------------------

/** Run a fallible C call with a trailing `lfm_error **`; throw [LastFmException] on failure. */
internal inline fun check(call: (PointerByReference) -> Int) {
    val err = PointerByReference()
    val status = call(err)
    val e = err.value
    try {
        if (status != Status.OK) {
            val lib = LfmNative.lib
            throw LastFmException(
                status,
                lib.lfm_error_api_code(e),
                lib.lfm_error_http_status(e).toInt() and 0xffff,
                lib.lfm_error_retry_after_ms(e).toLong() and 0xffffffffL,
                lib.lfm_error_is_retryable(e) != 0.toByte(),
                lib.lfm_error_message(e).ifEmpty { lib.lfm_status_str(status) },
            )
        }
    } finally {
        LfmNative.lib.lfm_error_free(e)
    }
}

internal fun takeString(p: Pointer?): String? {
    if (p == null) return null
    try {
        return p.getString(0, "UTF-8")
    } finally {
        LfmNative.lib.lfm_string_free(p)
    }
}

internal fun List<Pair<String, String>>.toNative(): Array<LfmNative.LfmParam>? {
    if (isEmpty()) return null
    @Suppress("UNCHECKED_CAST")
    val arr = LfmNative.LfmParam().toArray(size) as Array<LfmNative.LfmParam>
    forEachIndexed { i, (n, v) -> arr[i].name = n; arr[i].value = v }
    return arr
}

/** Owns a C handle: calls share a read lock; close() takes the write lock, frees once. */
internal class Handle(private var ptr: Pointer?, private val free: (Pointer) -> Unit, private val kind: String) {
    private val lock = ReentrantReadWriteLock()

    fun <T> use(block: (Pointer) -> T): T = lock.read {
        block(ptr ?: throw IllegalStateException("$kind is closed"))
    }

    /** Like [use], but alone: waits for the calls in flight, and holds off new ones. */
    fun <T> exclusive(block: (Pointer) -> T): T = lock.write {
        block(ptr ?: throw IllegalStateException("$kind is closed"))
    }

    /** Frees the handle once; [then] runs under the same lock, after the free. */
    fun close(then: () -> Unit = {}) = lock.write {
        ptr?.let(free)
        ptr = null
        then()
    }
}

// --- client ----------------------------------------------------------------------------

/**
 * A Last.fm API client: credentials, settings, a session key and kept-alive connections.
 *
 * Thread-safe: share one client across threads; setters affect calls that start after they
 * return. Blocking calls (anything that talks to the server) wait up to the timeout (30 s by
 * default): on Android, never on the main thread. [close] waits for calls in flight.
 */
class LastFmClient(apiKey: String, apiSecret: String) : AutoCloseable {
    private val lib = LfmNative.lib
    internal val handle: Handle

    init {
        val out = PointerByReference()
        check { err -> lib.lfm_client_new(apiKey, apiSecret, out, err) }
        handle = Handle(out.value, { lib.lfm_client_free(it) }, "LastFmClient")
    }

    private inline fun call(crossinline f: (Pointer, PointerByReference) -> Int) =
        handle.use { h -> check { err -> f(h, err) } }

    fun setBaseUrl(url: String) = call { h, e -> lib.lfm_client_set_base_url(h, url, e) }
    /** null clears the session key. */
    fun setSessionKey(key: String?) = call { h, e -> lib.lfm_client_set_session_key(h, key, e) }
    fun setTimeoutMs(ms: Int) = call { h, e -> lib.lfm_client_set_timeout_ms(h, ms, e) }
    fun setUserAgent(ua: String) = call { h, e -> lib.lfm_client_set_user_agent(h, ua, e) }
    fun setCaFile(pemPath: String) = call { h, e -> lib.lfm_client_set_ca_file(h, pemPath, e) }
    fun setAllowInsecureHttp(allow: Boolean) =
        call { h, e -> lib.lfm_client_set_allow_insecure_http(h, if (allow) 1 else 0, e) }
    /** Requests per second, shared by all threads (default 5); 0 turns pacing off. */
    fun setRateLimit(perSecond: Int) = call { h, e -> lib.lfm_client_set_rate_limit(h, perSecond, e) }
    fun setMaxBatch(maxTracks: Int) = call { h, e -> lib.lfm_client_set_max_batch(h, maxTracks, e) }

    // The logger native code may call: a strong reference, or the JVM's GC would free the
    // callback's native stub while the library still holds it. Guarded by handle's write lock.
    private var logCallback: LfmNative.LogFn? = null

    /**
     * Send the client's log lines at [level] or more severe to [logger]; null turns logging
     * off. DEBUG logs every request (method, URL, parameters, HTTP status, duration); WARN and
     * ERROR log failures; INFO logs sessions established and queue flush summaries. Passwords,
     * session keys, tokens, signatures, the API key and the secret never appear.
     *
     * [logger] runs on whichever thread makes the call that logs (possibly a native thread
     * attached by JNA), several at once: it must be thread-safe, return quickly, and not call
     * this client (setLogger or close from inside it would deadlock). Exceptions it throws are
     * printed to standard error and the line is dropped. This waits for calls in flight, then
     * replaces (and releases) the previous logger; [close] releases the current one.
     */
    fun setLogger(level: LogLevel, logger: ((LogLevel, String) -> Unit)?) {
        val callback = logger?.let { fn ->
            LfmNative.LogFn { _, code, message ->
                try {
                    fn(LogLevel.of(code), message?.getString(0, "UTF-8") ?: "")
                } catch (t: Throwable) {
                    // Nothing may be thrown back into native code.
                    System.err.println("liblfm: the logger threw $t")
                }
            }
        }
        handle.exclusive { h ->
            check { e -> lib.lfm_client_set_logger(h, callback, level.code, null, e) }
            // No call that could use the previous callback is in flight (write lock).
            logCallback = callback
        }
    }

    fun setConnectTimeoutMs(ms: Int) = call { h, e -> lib.lfm_client_set_connect_timeout_ms(h, ms, e) }
    /** 0 Last.fm, 1 Libre.fm: sets the API root and the authorisation page. */
    fun setService(service: Int) = call { h, e -> lib.lfm_client_set_service(h, service, e) }
    fun setAuthUrl(url: String) = call { h, e -> lib.lfm_client_set_auth_url(h, url, e) }
    /** http:// or socks5:// proxy; null connects directly. */
    fun setProxy(proxyUrl: String?) = call { h, e -> lib.lfm_client_set_proxy(h, proxyUrl, e) }
    /** 0 the bundled Mozilla roots (default), 1 the system's store. */
    fun setRootStore(store: Int) = call { h, e -> lib.lfm_client_set_root_store(h, store, e) }

    /** Desktop login, step 1: a request token (auth.getToken). */
    fun getToken(): String {
        val out = PointerByReference()
        call { h, e -> lib.lfm_get_token(h, out, e) }
        return takeString(out.value) ?: ""
    }

    /** The page the user opens to approve the application. No I/O. */
    fun authUrl(token: String?, callbackUrl: String? = null): String {
        val out = PointerByReference()
        call { h, e -> lib.lfm_auth_url(h, token, callbackUrl, out, e) }
        return takeString(out.value) ?: ""
    }

    /** Exchange an approved token for a session; before approval: apiCode 14. */
    fun getSession(token: String): Session {
        val key = PointerByReference()
        val name = PointerByReference()
        try {
            call { h, e -> lib.lfm_get_session(h, token, key, name, e) }
        } finally {
            val k = takeString(key.value)
            val n = takeString(name.value)
            if (k != null) return Session(k, n ?: "")
        }
        error("unreachable: lfm_get_session succeeded without a key")
    }

    /** auth.getMobileSession; a wrong password throws [LastFmException] with apiCode 4. */
    fun getMobileSession(username: String, password: String): Session {
        val key = PointerByReference()
        val name = PointerByReference()
        try {
            call { h, e -> lib.lfm_get_mobile_session(h, username, password, key, name, e) }
        } finally {
            val k = takeString(key.value)
            val n = takeString(name.value)
            if (k != null) return Session(k, n ?: username)
        }
        error("unreachable: lfm_get_mobile_session succeeded without a key")
    }

    /** Any API method; returns the JSON body as received, or normalized with
     *  [CallFlags.NORMALIZE], retried through transient failures with [CallFlags.RETRY]. */
    fun call(method: String, params: List<Pair<String, String>> = emptyList(), flags: Int = CallFlags.NONE): String {
        val out = PointerByReference()
        call { h, e -> lib.lfm_call(h, method, params.toNative(), SizeT(params.size.toLong()), flags, out, e) }
        return takeString(out.value) ?: ""
    }

    fun updateNowPlaying(track: Track) =
        call { h, e -> lib.lfm_update_now_playing(h, track.fill(LfmNative.LfmTrack()), e) }

    fun scrobble(tracks: List<Track>): ScrobbleResult {
        @Suppress("UNCHECKED_CAST")
        val arr = if (tracks.isEmpty()) null else
            (LfmNative.LfmTrack().toArray(tracks.size) as Array<LfmNative.LfmTrack>).also { a ->
                tracks.forEachIndexed { i, t -> t.fill(a[i]) }
            }
        val out = PointerByReference()
        call { h, e -> lib.lfm_scrobble(h, arr, SizeT(tracks.size.toLong()), out, e) }
        val r = out.value
        try {
            return ScrobbleResult(
                lib.lfm_scrobble_result_accepted(r).toLong(),
                lib.lfm_scrobble_result_ignored(r).toLong(),
                (0 until lib.lfm_scrobble_result_count(r).toLong()).map { i ->
                    val v = LfmNative.LfmScrobbleVerdict()
                    check { e -> lib.lfm_scrobble_result_get(r, SizeT(i), v, e) }
                    Verdict(v.ignoredCode, v.ignoredMessage ?: "", Corrections(v.correctedArtist, v.correctedTrack, v.correctedAlbum))
                },
            )
        } finally {
            lib.lfm_scrobble_result_free(r)
        }
    }

    /** Waits for calls in flight, frees the client, then releases its logger. */
    override fun close() = handle.close { logCallback = null }
}

// --- queue -----------------------------------------------------------------------------

/**
 * A durable queue of plays in one file: [push] returns once the play is on disk; [flush]
 * removes each play only after the server's verdict. Thread-safe; one open queue per file.
 */
class ScrobbleQueue(path: String) : AutoCloseable {
    private val lib = LfmNative.lib
    private val handle: Handle

    init {
        val out = PointerByReference()
        check { err -> lib.lfm_queue_open(path, out, err) }
        handle = Handle(out.value, { lib.lfm_queue_free(it) }, "ScrobbleQueue")
    }

    private inline fun call(crossinline f: (Pointer, PointerByReference) -> Int) =
        handle.use { h -> check { err -> f(h, err) } }

    fun push(track: Track) = call { h, e -> lib.lfm_queue_push(h, track.fill(LfmNative.LfmTrack()), e) }

    /** Plays waiting to be sent (rejected ones are not counted). */
    val size: Long
        get() {
            val n = SizeTByReference()
            call { h, e -> lib.lfm_queue_len(h, n, e) }
            return n.value
        }

    /** Send the queued plays through [client]; returns how many were accepted. */
    fun flush(client: LastFmClient): Long {
        val sent = SizeTByReference()
        client.handle.use { c ->
            try {
                call { h, e -> lib.lfm_queue_flush(h, c, sent, e) }
            } catch (e: LastFmException) {
                e.sentBeforeFailure = sent.value
                throw e
            }
        }
        return sent.value
    }

    /** Every play, pending and rejected, oldest first. */
    fun list(): List<QueueEntry> {
        val out = PointerByReference()
        call { h, e -> lib.lfm_queue_list(h, out, e) }
        val entries = out.value
        try {
            val n = lib.lfm_queue_entries_count(entries).toLong()
            return (0 until n).map { i ->
                val ce = LfmNative.LfmQueueEntry()
                check { e -> lib.lfm_queue_entries_get(entries, SizeT(i), ce, e) }
                QueueEntry(
                    ce.id,
                    ce.track.toTrack(),
                    ce.queuedAt, ce.rejected != 0.toByte(), ce.ignoredCode, ce.apiCode, ce.reason, ce.attempts, ce.isolatedFailures,
                    ce.lastError,
                )
            }
        } finally {
            lib.lfm_queue_entries_free(entries)
        }
    }

    fun remove(id: Long) = call { h, e -> lib.lfm_queue_remove(h, id, e) }
    fun retry(id: Long) = call { h, e -> lib.lfm_queue_retry(h, id, e) }

    /** Reject plays older than [days] when a flush reaches them (default 14); 0 = no limit. */
    fun setMaxAgeDays(days: Int) = call { h, e -> lib.lfm_queue_set_max_age_days(h, days, e) }

    /** What was damaged in the file when it was opened; null when nothing was. */
    fun damageReport(): String? {
        val out = PointerByReference()
        call { h, e -> lib.lfm_queue_damage_report(h, out, e) }
        return takeString(out.value)
    }

    override fun close() = handle.close()
}
