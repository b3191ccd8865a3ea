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

/** Names Last.fm corrected (its autocorrect); null where it corrected nothing. */
data class Corrections(val artist: String? = null, val title: String? = null, val album: String? = null) {
    val isEmpty: Boolean get() = artist == null && title == null && album == null
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
 * background, with now playing, back-off and corrections.
 *
 * ```
 * Scrobbler(client, "/data/plays.lfmq").use { s ->
 *     s.setListener { e -> println("${e.kind} ${e.track?.title}") }
 *     s.play(Track("Portishead", "Roads", durationSecs = 305))
 *     s.pause(); s.resume(); s.seek(60_000); s.stop()
 * }
 * ```
 * The rules (lfm.h's "the scrobbler"): only time spent playing counts (pauses and seeks add
 * nothing); a play is due once the track (longer than 30 s) played half its length or 4
 * minutes; it is queued the moment it is due, with the time it started; [play] of the same
 * track again is a new play (repeat-one); [stop] before due scrobbles nothing.
 *
 * Player calls return within a millisecond whatever the network does (the only I/O is the
 * queue file's append when a play becomes due). Thread-safe. [close] stops the worker; plays
 * not delivered stay in the file for the next Scrobbler on it. The [client] must stay open
 * while the scrobbler is.
 */
class Scrobbler(private val client: LastFmClient, queuePath: String) : AutoCloseable {
    private val lib = LfmNative.lib
    private val lock = ReentrantReadWriteLock()
    @Volatile private var ptr: Pointer?

    // The callbacks native code may call: strong references, or the GC would free their
    // native stubs while the worker thread can still call them.
    private val onEvent: LfmNative.ScrobblerEventFn
    private var clockCallback: LfmNative.ClockFn? = null

    @Volatile private var listener: ScrobblerListener? = null
    private val subscribers = Collections.synchronizedSet(mutableSetOf<LinkedBlockingQueue<Any>>())

    init {
        val out = PointerByReference()
        client.handle.use { c -> check { e -> lib.lfm_scrobbler_new(c, queuePath, out, e) } }
        ptr = out.value
        onEvent = LfmNative.ScrobblerEventFn { _, event ->
            inListener.set(true)
            try {
                if (event != null) dispatch(event.toEvent())
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
            close(0)
            throw t
        }
    }

    private fun dispatch(event: ScrobblerEvent) {
        synchronized(subscribers) { subscribers.forEach { it.put(event) } }
        listener?.onEvent(event)
    }

    /**
     * Runs [f] with the handle. From other threads under the read lock ([close] takes the write
     * lock); from the listener without it: [close] frees the handle only after the listener
     * call under way returns, and waiting for the lock there would deadlock with it.
     */
    private inline fun call(crossinline f: (Pointer, PointerByReference) -> Int) {
        if (inListener.get() == true) {
            val h = ptr ?: throw IllegalStateException("Scrobbler is closed")
            check { e -> f(h, e) }
        } else {
            lock.read { check { e -> f(ptr ?: throw IllegalStateException("Scrobbler is closed"), e) } }
        }
    }

    /** A track starts at position 0 (the same track again: a new play, for repeat-one). Its
     *  `timestamp` is ignored: the play's is the moment of this call. */
    fun play(track: Track) = call { h, e -> lib.lfm_scrobbler_play(h, track.fill(LfmNative.LfmTrack()), e) }
    /** Playback paused: time stops counting as listened. */
    fun pause() = call { h, e -> lib.lfm_scrobbler_pause(h, e) }
    /** Playback resumed; after a long pause, now playing is sent again. */
    fun resume() = call { h, e -> lib.lfm_scrobbler_resume(h, e) }
    /** The position jumped (either way): adds no listened time, starts no new play. */
    fun seek(positionMs: Int) = call { h, e -> lib.lfm_scrobbler_seek(h, positionMs, e) }
    /** The track ended or the user stopped; a play not yet due is not scrobbled. */
    fun stop() = call { h, e -> lib.lfm_scrobbler_stop(h, e) }

    /** Try delivering now, ignoring the back-off once (e.g. the network came back). */
    fun flushNow() = call { h, e -> lib.lfm_scrobbler_flush_now(h, e) }

    /** Block until no play is pending or [timeoutMs] passes; returns how many are left. */
    fun drain(timeoutMs: Int): Long {
        val left = SizeTByReference()
        call { h, e -> lib.lfm_scrobbler_drain(h, timeoutMs, left, e) }
        return left.value
    }

    /**
     * Report events to [listener] (null: to nobody), on the library's worker thread, in order,
     * one at a time. It may call this scrobbler and its client (but not [close]); it should
     * return quickly (delivery waits for it). Exceptions it throws are printed to standard
     * error and dropped.
     */
    fun setListener(listener: ScrobblerListener?) {
        this.listener = listener
    }

    /**
     * The events from now until [close], as a blocking sequence: iterating waits for the next
     * event, and ends once the scrobbler is closed. Each call starts its own sequence (events
     * are kept for it from this call on, so iterate it, e.g. on its own thread). A Flow would
     * need kotlinx.coroutines, which this binding does not depend on: wrap this in
     * `flow { events().forEach { emit(it) } }.flowOn(Dispatchers.IO)` or `callbackFlow` over
     * [setListener].
     */
    fun events(): Sequence<ScrobblerEvent> {
        val queue = LinkedBlockingQueue<Any>()
        lock.read {
            if (ptr == null) return emptySequence()
            subscribers.add(queue)
        }
        return generateSequence {
            when (val next = queue.take()) {
                is ScrobblerEvent -> next
                else -> { queue.put(next); null } // the end, kept for a second iterator
            }
        }.constrainOnce()
    }

    /**
     * Read every time (listened time, play timestamps, back-off) from [clock] (Unix
     * milliseconds) instead of the system's; null: the system's. For tests and simulations:
     * set it before the first player event. The worker re-reads it every 50 ms. It runs on
     * the caller's and the worker's threads; if it throws, the system's time is used.
     */
    fun setClock(clock: (() -> Long)?) {
        val callback = clock?.let { fn ->
            LfmNative.ClockFn { _ ->
                try { fn() } catch (t: Throwable) { System.currentTimeMillis() }
            }
        }
        lock.write {
            val h = ptr ?: throw IllegalStateException("Scrobbler is closed")
            check { e -> lib.lfm_scrobbler_set_clock(h, callback, null, e) }
            // The previous clock may still be in a worker's hands for a moment: keep it.
            clockCallback?.let { retired.add(it) }
            clockCallback = callback
        }
    }

    /**
     * Stop the worker within [timeoutMs]: a play due by now is queued first, nothing more is
     * sent, and undelivered plays stay in the queue file for the next Scrobbler. Waits for
     * player calls in flight; no event is reported after it returns. Closing again does
     * nothing. Not from the listener (IllegalStateException).
     */
    fun close(timeoutMs: Int) {
        check(inListener.get() != true) { "Scrobbler.close() from its own listener" }
        val started = System.nanoTime()
        lock.write {
            val h = ptr ?: return
            lib.lfm_scrobbler_free(h, timeoutMs)
            ptr = null
            // A worker still blocked on the server when the timeout passed may read the clock
            // once more before it exits: its callback must outlive this object.
            if ((System.nanoTime() - started) / 1_000_000 >= timeoutMs) clockCallback?.let { retired.add(it) }
            clockCallback = null
        }
        synchronized(subscribers) {
            subscribers.forEach { it.put(End) }
            subscribers.clear()
        }
    }

    /** [close] with a 2 s timeout. */
    override fun close() = close(2_000)

    private object End

    private companion object {
        /** Set while this thread runs a scrobbler's listener. */
        val inListener = ThreadLocal<Boolean>()
        /** Clock callbacks a worker may still call after their scrobbler let them go. */
        val retired = Collections.synchronizedList(mutableListOf<LfmNative.ClockFn>())
    }
}

internal fun LfmNative.LfmScrobblerEvent.toEvent(): ScrobblerEvent = ScrobblerEvent(
    ScrobblerEventKind.of(kind) ?: throw IllegalStateException("unknown scrobbler event kind $kind"),
    track?.toTrack(),
    code,
    message ?: "",
    retryAfterMs,
    Corrections(correctedArtist, correctedTrack, correctedAlbum),
)
