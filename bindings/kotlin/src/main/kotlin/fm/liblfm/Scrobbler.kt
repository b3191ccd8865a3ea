package fm.liblfm

import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference
import java.util.Collections
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.locks.ReentrantReadWriteLock
import kotlin.concurrent.read
import kotlin.concurrent.write

/** What a [ScrobblerEvent] reports (lfm_event_kind). */
enum class ScrobblerEventKind(val code: Int) {
    /** Now playing was sent (`code` 0) or failed (`code` the API error, `message` why). */
    NOW_PLAYING(1),
    /** A play became due and is in the queue file: a crash from here on loses nothing. */
    QUEUED(2),
    /** The server accepted a play. */
    DELIVERED(3),
    /** A play will not be sent: Last.fm ignored or refused it (`code`). */
    REJECTED(4),
    /** Delivery failed for now; the worker tries again in `retryAfterMs`. */
    DEFERRED(5),
    /** The credentials were refused (`code` 9, 4, 10 or 26): delivery stops, every play kept,
     *  until [LastFmClient.setSessionKey] is called again. */
    AUTH_LOST(6);

    companion object {
        internal fun of(code: Int): ScrobblerEventKind? = values().firstOrNull { it.code == code }
    }
}

/** What the [Scrobbler] does with a track of unknown duration (`durationSecs` 0). */
enum class UnknownDuration(val code: Int) {
    /** Scrobbled after 4 minutes of listening (the default). */
    AFTER_4_MINUTES(0),
    /** Never scrobbled (streams, radio). */
    NEVER(1),
}

/**
 * Something the [Scrobbler] did, copied out of the library (valid after the listener returns).
 * [track] is the play it concerns (null for DEFERRED and AUTH_LOST), its `timestamp` the moment
 * the play started. Never contains a secret.
 */
data class ScrobblerEvent(
    val kind: ScrobblerEventKind,
    val track: Track?,
    /** Last.fm's ignored code or API error, 0 if none. */
    val code: Int,
    /** Reason or error text, "" if none. */
    val message: String,
    /** DEFERRED: milliseconds (by the scrobbler's clock) until the next try. */
    val retryAfterMs: Long,
    /** Last.fm's corrections to the play's names (NOW_PLAYING, DELIVERED); empty if none. */
    val corrections: Corrections,
)

/** Receives a [Scrobbler]'s events, on the library's worker thread. */
fun interface ScrobblerListener {
    fun onEvent(event: ScrobblerEvent)
}

/**
 * The scrobbling engine: tell it what the player does, it decides when a play counts, queues
 * it durably (the file at `queuePath`, [ScrobbleQueue]'s rules) and delivers it in the
 * background, with now playing, back-off and Last.fm's corrections.
 *
 * ```
 * Scrobbler(client, "/data/plays.lfmq").use { s ->
 *     s.setListener { e -> println("${e.kind} ${e.track?.title}") }
 *     s.play(Track("Portishead", "Roads", durationSecs = 305))
 *     s.pause(); s.resume(); s.seek(60_000); s.stop()
 * }
 * ```
 * The rules (lfm.h's "The scrobbler"): only time spent playing counts (pauses and seeks add
 * nothing; seeking back is not a second play); a play is due once the track (longer than
 * 30 s) played half its length or 4 minutes, and is queued that moment, stamped with the
 * time it started; [play] of the same track again is a new play (repeat-one); [stop] before
 * due scrobbles nothing. Now playing goes out when a track starts and on resume after a
 * long pause. Error 9 (4, 10, 26) stops delivery with [ScrobblerEventKind.AUTH_LOST],
 * keeping every play, until [LastFmClient.setSessionKey].
 *
 * Player calls return within a millisecond whatever the network does (the only I/O is the
 * queue file's append when a play becomes due). Thread-safe. The scrobbler keeps its own
 * reference to the client's native side (closing the [LastFmClient] first is safe). An
 * unclosed scrobbler keeps delivering and is not garbage-collected: [close] it.
 */
class Scrobbler(client: LastFmClient, queuePath: String) : AutoCloseable {
    private val lib = LfmNative.lib
    /** Player calls share it; [close] takes it alone. */
    private val lock = ReentrantReadWriteLock()
    @Volatile private var ptr: Pointer?

    // The callbacks native code may call: strong references, or the GC would free their
    // native stubs while the worker thread can still call them.
    private val onEvent: LfmNative.ScrobblerEventFn
    private var clockCallback: LfmNative.ClockFn? = null

    @Volatile private var listener: ScrobblerListener? = null
    private val subscribers = mutableSetOf<LinkedBlockingQueue<Any>>() // guarded by itself

    init {
        val out = PointerByReference()
        client.handle.use { c -> check { e -> lib.lfm_scrobbler_new(c, queuePath, out, e) } }
        ptr = out.value
        onEvent = LfmNative.ScrobblerEventFn { _, event ->
            inListener.set(true)
            try {
                // Kinds newer than this binding are skipped, as lfm.h asks.
                event?.toEvent()?.let(::dispatch)
            } catch (t: Throwable) {
                // Nothing may be thrown back into native code.
                System.err.println("liblfm: the scrobbler's listener threw $t")
            } finally {
                inListener.set(false)
            }
        }
        try {
            call { h, e -> lib.lfm_scrobbler_set_listener(h, onEvent, null, e) }
        } catch (t: Throwable) {
            lib.lfm_scrobbler_free(out.value, 0)
            throw t
        }
        live.add(this)
    }

    private fun dispatch(event: ScrobblerEvent) {
        synchronized(subscribers) { subscribers.forEach { it.put(event) } }
        listener?.onEvent(event)
    }

    /**
     * Runs [f] with the handle: from other threads under the read lock ([close] takes the
     * write lock); from the listener without it: lfm_scrobbler_free() returns only after the
     * listener call under way, so the handle is live there, and waiting for the lock would
     * deadlock with a [close] waiting for the listener.
     */
    private inline fun call(crossinline f: (Pointer, PointerByReference) -> Int) {
        if (inListener.get() == true) callNow(f) else lock.read { callNow(f) }
    }

    private inline fun callNow(f: (Pointer, PointerByReference) -> Int) {
        val h = ptr ?: throw IllegalStateException("Scrobbler is closed")
        check { e -> f(h, e) }
    }

    /** A track starts at position 0 (the same track again: a new play, for repeat-one). Its
     *  `timestamp` is ignored: the play's is now, by the scrobbler's clock. */
    fun play(track: Track) = call { h, e -> lib.lfm_scrobbler_play(h, track.fill(LfmNative.LfmTrack()), e) }
    /** Playback paused: time stops counting as listened. */
    fun pause() = call { h, e -> lib.lfm_scrobbler_pause(h, e) }
    /** Playback resumed; after a long pause, now playing is sent again. */
    fun resume() = call { h, e -> lib.lfm_scrobbler_resume(h, e) }
    /** The position jumped (either way): adds no listened time, starts no new play. */
    fun seek(positionMs: Long) {
        val ms = positionMs.coerceIn(0, UINT32_MAX).toInt()
        call { h, e -> lib.lfm_scrobbler_seek(h, ms, e) }
    }
    /** The track ended or the user stopped; a play not yet due is not scrobbled. */
    fun stop() = call { h, e -> lib.lfm_scrobbler_stop(h, e) }

    /** What to do with tracks of unknown duration; a play under way keeps its rule. */
    fun setUnknownDuration(rule: UnknownDuration) {
        call { h, e -> lib.lfm_scrobbler_set_unknown_duration(h, rule.code, e) }
    }

    /** Resuming after a pause longer than [pauseMs] sends now playing again (default 5
     *  minutes); [Long.MAX_VALUE] (or anything from 2^32 - 1 up): never. */
    fun setNowPlayingAfterPauseMs(pauseMs: Long) {
        val ms = pauseMs.coerceIn(0, UINT32_MAX).toInt()
        call { h, e -> lib.lfm_scrobbler_set_now_playing_after_pause_ms(h, ms, e) }
    }

    /** Try delivering now, skipping the back-off wait once (e.g. the network came back). */
    fun flushNow() = call { h, e -> lib.lfm_scrobbler_flush_now(h, e) }

    /** Plays not delivered yet (due and in the queue file; rejected ones not counted). */
    val pending: Long
        get() {
            val n = SizeTByReference()
            call { h, e -> lib.lfm_scrobbler_pending(h, n, e) }
            return n.value
        }

    /** Block until no play is pending (one due by the clock now included) and the listener
     *  has returned from the deliveries' events, or [timeoutMs] passes; returns how many
     *  are left. Does not skip a back-off wait. */
    fun drain(timeoutMs: Long): Long {
        val left = SizeTByReference()
        val ms = timeoutMs.coerceIn(0, UINT32_MAX).toInt()
        call { h, e -> lib.lfm_scrobbler_drain(h, ms, left, e) }
        return left.value
    }

    /**
     * Report events to [listener] (null: to nobody) on the library's delivery thread, in
     * order, one at a time; delivery waits while it runs, so return promptly. It may call
     * this scrobbler and its client, but not [close]. Exceptions it throws are printed to
     * standard error and dropped.
     */
    fun setListener(listener: ScrobblerListener?) {
        this.listener = listener
    }

    /**
     * The events from this call until [close], as a blocking sequence: iterating waits for
     * the next event and ends once the scrobbler is closed; iterate it once, e.g. on a
     * thread of its own. Events are kept for it from this call on (all of them: iterate it).
     * There is no Flow, which would need kotlinx.coroutines (not a dependency of this
     * binding): `callbackFlow` over [setListener], or `events().asFlow().flowOn(Dispatchers.IO)`,
     * makes one.
     */
    fun events(): Sequence<ScrobblerEvent> {
        val queue = LinkedBlockingQueue<Any>()
        lock.read {
            if (ptr == null) return emptySequence()
            synchronized(subscribers) { subscribers.add(queue) }
        }
        return generateSequence { queue.take() as? ScrobblerEvent }.constrainOnce()
    }

    /**
     * Read every time (listened time, play timestamps, back-off) from [clock] (Unix
     * milliseconds) instead of the system's; null: the system's. For tests and simulations:
     * set it before the first player event; the worker re-reads it every 50 ms. It runs on
     * the caller's and the library's threads, several at once; if it throws, the system's
     * time is used.
     */
    fun setClock(clock: (() -> Long)?) {
        val callback = clock?.let { fn ->
            LfmNative.ClockFn { _ ->
                try {
                    fn()
                } catch (t: Throwable) {
                    System.currentTimeMillis()
                }
            }
        }
        lock.write {
            val h = ptr ?: throw IllegalStateException("Scrobbler is closed")
            check { e -> lib.lfm_scrobbler_set_clock(h, callback, null, e) }
            // A thread of the scrobbler may be in the previous clock right now: keep it.
            clockCallback?.let { retired.add(it) }
            clockCallback = callback
        }
    }

    /**
     * Stop within [timeoutMs] (plus a listener call under way): a play due by now is queued
     * first, nothing more is sent, and undelivered plays stay in the queue file for the next
     * Scrobbler on it; [events] sequences end. Waits for player calls in flight; no event is
     * reported after it returns. Closing again does nothing. Not from the listener
     * (IllegalStateException: it would wait for itself).
     */
    fun close(timeoutMs: Long) {
        check(inListener.get() != true) { "Scrobbler.close() from its own listener" }
        val started = System.nanoTime()
        lock.write {
            val h = ptr ?: return
            lib.lfm_scrobbler_free(h, timeoutMs.coerceIn(0, UINT32_MAX).toInt())
            ptr = null
            // A thread still blocked on the server when the timeout passed ends later: keep
            // the clock it may read until then (the listener is not called again).
            if ((System.nanoTime() - started) / 1_000_000 >= timeoutMs) clockCallback?.let { retired.add(it) }
            clockCallback = null
        }
        synchronized(subscribers) {
            subscribers.forEach { it.put(End) }
            subscribers.clear()
        }
        live.remove(this)
    }

    /** [close] with a 2 s timeout. */
    override fun close() = close(2_000)

    private object End

    private companion object {
        const val UINT32_MAX = 0xffffffffL
        /** Set while this thread runs a scrobbler's listener. */
        val inListener = ThreadLocal<Boolean>()
        /** Open scrobblers: their listener callback must not be collected while open. */
        val live: MutableSet<Scrobbler> = Collections.synchronizedSet(HashSet())
        /** Clock callbacks a thread may still call after their scrobbler let them go. */
        val retired: MutableList<LfmNative.ClockFn> = Collections.synchronizedList(mutableListOf())
    }
}

/** The event copied out of the library; null for a kind this binding does not know. */
internal fun LfmNative.LfmScrobblerEvent.toEvent(): ScrobblerEvent? = ScrobblerEventKind.of(kind)?.let { kind ->
    ScrobblerEvent(kind, track?.toTrack(), code, message ?: "", retryAfterMs, Corrections(correctedArtist, correctedTrack, correctedAlbum))
}
