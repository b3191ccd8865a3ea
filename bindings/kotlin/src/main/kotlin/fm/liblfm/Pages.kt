package fm.liblfm

import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference

/**
 * A walk over every page of a paginated read method (`user.getRecentTracks`,
 * `user.getLovedTracks`, `user.getTopArtists`), from [LastFmClient.pages]: a [Sequence] of
 * pages, each the page's new items, normalized ([CallFlags.NORMALIZE]'s shape), as a JSON
 * array (the binding returns JSON as text, as [LastFmClient.call] does). Every item comes
 * once over the walk; the now-playing track is left out without losing a play; plays that
 * share a second survive page boundaries; `from`/`to` are inclusive.
 *
 * Transient failures (8, 11, 16, 29, 5xx, network) are retried with back-off
 * ([setMaxAttempts], [setMaxWaitMs]); when the attempts are used up, iterating throws
 * [LastFmException] and the pager stays on that page: iterate again to go on, or save
 * [state] and [LastFmClient.resumePages] it later, in another process if need be. [mark]
 * at the end of a walk starts the next incremental import ([LastFmClient.pagesAfter]).
 *
 * Iterating blocks on the network (on Android, off the main thread); one thread at a time.
 * The pager keeps its own reference to the client's native side. Close it (`use`) when done.
 */
class Pager internal constructor(handle: Pointer) : Sequence<String>, AutoCloseable {
    private val lib = LfmNative.lib
    private val handle = Handle(handle, { lib.lfm_pager_free(it) }, "Pager")

    private inline fun call(crossinline f: (Pointer, PointerByReference) -> Int) =
        handle.use { h -> check { e -> f(h, e) } }

    /** The next page's items as a JSON array (never empty); null at the end of the walk. */
    fun next(): String? {
        val out = PointerByReference()
        call { h, e -> lib.lfm_pager_next(h, out, e) }
        return takeString(out.value)
    }

    /** Items in all, as Last.fm reported in the latest reply; -1 before the first page. */
    val total: Long get() = handle.use { h -> lib.lfm_pager_total(h) }

    /** Pages in all, as Last.fm reported in the latest reply; -1 before the first page. */
    val totalPages: Long get() = handle.use { h -> lib.lfm_pager_total_pages(h) }

    /** Pages done: the number of the latest page delivered (0 before the first). */
    val page: Long get() = handle.use { h -> lib.lfm_pager_page(h) }

    /** Everything needed to continue this walk ([LastFmClient.resumePages]), as JSON: save it
     *  after each page. Holds the method's parameters, never a credential. */
    fun state(): String {
        val out = PointerByReference()
        call { h, e -> lib.lfm_pager_state(h, out, e) }
        return takeString(out.value) ?: ""
    }

    /** Where the next incremental import starts ([LastFmClient.pagesAfter]), as JSON; take it
     *  when the walk has ended. null when nothing was delivered or not a timeline. */
    fun mark(): String? {
        val out = PointerByReference()
        call { h, e -> lib.lfm_pager_mark(h, out, e) }
        return takeString(out.value)
    }

    /** Attempts per page, the first included (>= 1; default 6); 1 turns retrying off. */
    fun setMaxAttempts(attempts: Int) = call { h, e -> lib.lfm_pager_set_max_attempts(h, attempts, e) }

    /** The longest wait between two attempts, the server's suggestion included (default
     *  15 minutes: after error 29 the client suggests 30 s and more). */
    fun setMaxWaitMs(maxWaitMs: Long) =
        call { h, e -> lib.lfm_pager_set_max_wait_ms(h, maxWaitMs.coerceIn(0, 0xffffffffL).toInt(), e) }

    /** Pages from where the walk is; each iterator goes on from there (after a failure too). */
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

    /** Waits for a [next] in flight, then frees the pager. */
    override fun close() = handle.close()
}

private fun LastFmClient.openPager(open: (Pointer, PointerByReference, PointerByReference) -> Int): Pager {
    val out = PointerByReference()
    handle.use { c -> check { e -> open(c, out, e) } }
    return Pager(out.value)
}

/**
 * Every page of [method] with its [params] (e.g. `user`; `limit`, default 200; for
 * `user.getRecentTracks`, `from` and `to`: inclusive Unix seconds), as normalized JSON
 * arrays of items. [flags] are [CallFlags] for each page's call (e.g. [CallFlags.SIGNED]);
 * the pager always normalizes and retries. No I/O until the first page. See [Pager].
 * ```
 * client.pages("user.getRecentTracks", listOf("user" to "RJ")).use { pages ->
 *     for (items in pages) save(items)
 * }
 * ```
 */
fun LastFmClient.pages(method: String, params: List<Pair<String, String>> = emptyList(), flags: Int = CallFlags.NONE): Pager =
    openPager { c, out, e ->
        LfmNative.lib.lfm_pager_open(c, method, params.toNative(), SizeT(params.size.toLong()), flags, out, e)
    }

/** An incremental import of `user.getRecentTracks`: only the plays newer than [mark] (from
 *  [Pager.mark] at the end of an earlier walk), those at its second included once. */
fun LastFmClient.pagesAfter(
    method: String,
    params: List<Pair<String, String>>,
    mark: String,
    flags: Int = CallFlags.NONE,
): Pager = openPager { c, out, e ->
    LfmNative.lib.lfm_pager_open_after(c, method, params.toNative(), SizeT(params.size.toLong()), flags, mark, out, e)
}

/** The walk [state] (from [Pager.state]) described, continued exactly where it was. */
fun LastFmClient.resumePages(state: String, flags: Int = CallFlags.NONE): Pager =
    openPager { c, out, e -> LfmNative.lib.lfm_pager_resume(c, state, flags, out, e) }
