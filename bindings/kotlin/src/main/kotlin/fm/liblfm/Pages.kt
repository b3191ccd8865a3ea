package fm.liblfm

import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference

/**
 * A walk over every page of a paginated read method (`user.getRecentTracks`,
 * `user.getLovedTracks`, `user.getTopArtists`), from [LastFmClient.pages]. Each element is
 * one page's items, normalized (lfm.h's LFM_CALL_NORMALIZE shape), as a JSON array: every
 * item exactly once over the walk, the now-playing track left out, plays that share a
 * second kept across pages. Transient failures (8, 11, 16, 29, 5xx, network) are retried
 * with back-off; once the retries are used up the iterator throws [LastFmException] and the
 * pager stays on that page: iterating again resumes there.
 *
 * Iterating blocks on the network (on Android, off the main thread). One walk at a time: not
 * to be iterated from two threads at once. Closed at the end of the walk; close it (`use`)
 * when stopping early.
 */
class Pager internal constructor(private val client: LastFmClient, handle: Pointer) : Sequence<String>, AutoCloseable {
    private val lib = LfmNative.lib
    private val handle = Handle(handle, { lib.lfm_pager_free(it) }, "Pager")

    /** The next page's items as a JSON array; null at the end (then the pager is closed). */
    fun next(): String? {
        val out = PointerByReference()
        val page = client.handle.use {
            handle.use { h -> check { e -> lib.lfm_pager_next(h, out, e) } }
            takeString(out.value)
        }
        if (page == null) close()
        return page
    }

    /** Items in all as Last.fm reports them (known after the first page; -1 before). */
    val total: Long
        get() = handle.use { h -> lib.lfm_pager_total(h) }

    override fun iterator(): Iterator<String> = object : Iterator<String> {
        private var next: String? = null
        private var done = false

        override fun hasNext(): Boolean {
            if (next == null && !done) {
                next = this@Pager.next()
                done = next == null
            }
            return next != null
        }

        override fun next(): String {
            if (!hasNext()) throw NoSuchElementException()
            return next!!.also { next = null }
        }
    }

    override fun close() = handle.close()
}

/**
 * Every page of [method] (e.g. `user.getRecentTracks` with `user`, and `from`/`to` for an
 * incremental import: inclusive Unix seconds), as normalized JSON arrays of items:
 * ```
 * client.pages("user.getRecentTracks", listOf("user" to "RJ")).use { pages ->
 *     for (items in pages) save(items)
 * }
 * ```
 * [flags] as for [LastFmClient.call] (e.g. [CallFlags.SIGNED] for a private profile). See
 * [Pager].
 */
fun LastFmClient.pages(method: String, params: List<Pair<String, String>> = emptyList(), flags: Int = CallFlags.NONE): Pager {
    val out = PointerByReference()
    handle.use { c ->
        check { e -> LfmNative.lib.lfm_pager_open(c, method, params.toNative(), SizeT(params.size.toLong()), flags, out, e) }
    }
    return Pager(this, out.value)
}
