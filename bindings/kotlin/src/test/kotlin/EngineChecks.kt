// EngineChecks.kt: the scrobbler engine and the read layer of the Kotlin binding against the
// mock (run from RoundTrip.kt's main, with its check/env helpers).

import fm.liblfm.CallFlags
import fm.liblfm.LastFmClient
import fm.liblfm.ScrobblerEvent
import fm.liblfm.ScrobblerEventKind
import fm.liblfm.ScrobblerEventKind.DELIVERED
import fm.liblfm.ScrobblerEventKind.NOW_PLAYING
import fm.liblfm.ScrobblerEventKind.QUEUED
import fm.liblfm.Scrobbler
import fm.liblfm.Track
import fm.liblfm.pages
import fm.liblfm.pagesAfter
import fm.liblfm.resumePages
import java.io.File
import java.util.Collections
import java.util.concurrent.atomic.AtomicLong

/**
 * A scripted session with the injected clock: a full play, repeat-one twice, a skip at 20 %,
 * a play paused for an hour with seeks back and forth, an autocorrected artist. The mock must
 * store exactly those plays with their start times; the events come in order, with the
 * correction; events() yields what the listener got.
 */
internal fun scrobblerChecks(client: LastFmClient, dir: String, tag: String) {
    // Whole seconds, three hours back: every play stays in Last.fm's accepted window however
    // long the run takes (the session advances the clock by about 70 minutes).
    val clock = AtomicLong((System.currentTimeMillis() / 1000 - 3 * 3600) * 1000)
    fun nowSecs() = clock.get() / 1000
    fun advance(secs: Long) = clock.addAndGet(secs * 1000)
    val events = Collections.synchronizedList(mutableListOf<ScrobblerEvent>())
    fun seen(kind: ScrobblerEventKind, title: String, count: Int = 1) =
        synchronized(events) { events.count { it.kind == kind && it.track?.title == title } >= count }
    // Waits (real time, generous) for what the worker does on its own; fails only on timeout.
    fun waitFor(what: String, cond: () -> Boolean): Boolean {
        val deadline = System.nanoTime() + 20_000_000_000L
        while (!cond()) {
            if (System.nanoTime() > deadline) {
                check(false, "scrobbler: timed out waiting for $what")
                return false
            }
            Thread.sleep(10)
        }
        return true
    }

    val full = Track("Kotlin Engine", "full $tag", album = "Sessions", durationSecs = 200, chosenByUser = true)
    val repeat = Track("Kotlin Engine", "repeat $tag", durationSecs = 120)
    val skipped = Track("Kotlin Engine", "skipped $tag", durationSecs = 200)
    val paused = Track("Kotlin Engine", "paused $tag", durationSecs = 200)
    val beatles = Track("beatles", "Let It Be $tag", durationSecs = 240)
    val starts = mutableMapOf<String, MutableList<Long>>()
    fun play(t: Track, s: Scrobbler) {
        starts.getOrPut(t.title) { mutableListOf() }.add(nowSecs())
        s.play(t)
    }

    val stream: Sequence<ScrobblerEvent>
    val path = File(dir, "engine-kotlin-$tag.lfmq").path
    Scrobbler(client, path).use { s ->
        s.setClock { clock.get() }
        s.setListener { events.add(it) }
        stream = s.events()

        // A full play: due at half its length, queued with no player call, then delivered.
        play(full, s)
        waitFor("now playing of the full play") { seen(NOW_PLAYING, full.title) }
        advance(101)
        waitFor("the full play queued by the clock alone") { seen(QUEUED, full.title) }
        s.stop()

        // Repeat-one: the same track twice is two plays with two timestamps.
        advance(5)
        play(repeat, s)
        advance(61)
        play(repeat, s)
        advance(61)
        s.stop()

        // A skip at 20 %: no scrobble.
        advance(5)
        play(skipped, s)
        advance(40)
        s.stop()

        // Paused for an hour in the middle, seeks both ways: one scrobble, its start time.
        advance(5)
        play(paused, s)
        advance(50)
        s.pause()
        advance(3600)
        s.resume()
        s.seek(150_000)
        advance(51)
        waitFor("the paused play queued") { seen(QUEUED, paused.title) }
        s.seek(0)
        advance(101)
        s.stop()

        // An artist the mock autocorrects.
        advance(5)
        play(beatles, s)
        waitFor("now playing of the corrected artist") { seen(NOW_PLAYING, beatles.title) }
        advance(121)
        s.stop()

        check(s.drain(20_000) == 0L && s.pending == 0L, "scrobbler: drain -> nothing pending")
        waitFor("every delivery reported") { seen(DELIVERED, beatles.title) && seen(DELIVERED, repeat.title, 2) }
    }

    // What the mock stored of this session's plays.
    val titles = setOf(full.title, repeat.title, skipped.title, paused.title, beatles.title)
    val stored = parseJson(client.call("mock.scrobbles")).at("scrobbles").list()
        .map { it.at("track").str() to it }
        .filter { (title, _) -> title in titles }
    fun storedTimes(title: String) = stored.filter { it.first == title }.map { (it.second.at("timestamp") as Number).toLong() }
    check(storedTimes(full.title) == starts[full.title], "scrobbler: a full play -> stored once, at its start ${starts[full.title]}")
    check(storedTimes(repeat.title) == starts[repeat.title] && starts[repeat.title]!!.distinct().size == 2,
        "scrobbler: repeat-one twice -> two scrobbles, two timestamps ${starts[repeat.title]}")
    check(storedTimes(skipped.title).isEmpty(), "scrobbler: a skip at 20 % -> no scrobble")
    check(storedTimes(paused.title) == starts[paused.title],
        "scrobbler: paused an hour, seeks back and forth -> one scrobble, at its start")
    val corrected = stored.filter { it.first == beatles.title }
    check(corrected.size == 1 && corrected[0].second.at("artist") == "The Beatles",
        "scrobbler: 'beatles' stored as the mock corrects it")
    check(stored.size == 5, "scrobbler: the mock stored exactly these 5 plays (got ${stored.size})")

    val got = synchronized(events) { events.toList() }
    fun kinds(title: String) = got.filter { it.track?.title == title }.map { it.kind }
    check(kinds(full.title) == listOf(NOW_PLAYING, QUEUED, DELIVERED), "scrobbler: full play events in order ${kinds(full.title)}")
    val fullQueued = got.first { it.kind == QUEUED && it.track?.title == full.title }.track
    check(fullQueued?.timestamp == starts[full.title]!![0] && fullQueued.chosenByUser == true &&
        fullQueued.durationSecs == 200 && fullQueued.album == "Sessions",
        "scrobbler: the event's track is the play (timestamp its start, chosenByUser, duration, album)")
    val repeatEvents = got.filter { it.track?.title == repeat.title && it.kind != NOW_PLAYING }
    check(starts[repeat.title]!!.all { t ->
        repeatEvents.map { it.kind to it.track!!.timestamp }.let { it.indexOf(QUEUED to t) in 0 until it.indexOf(DELIVERED to t) }
    }, "scrobbler: each repeat queued, then delivered")
    check(kinds(skipped.title).all { it == NOW_PLAYING }, "scrobbler: the skip -> no QUEUED or DELIVERED ${kinds(skipped.title)}")
    val delivered = got.firstOrNull { it.kind == DELIVERED && it.track?.title == beatles.title }
    val nowPlaying = got.firstOrNull { it.kind == NOW_PLAYING && it.track?.title == beatles.title }
    check(delivered?.corrections?.artist == "The Beatles" && delivered.track?.artist == "beatles" &&
        delivered.corrections.title == null && nowPlaying?.corrections?.artist == "The Beatles",
        "scrobbler: DELIVERED and NOW_PLAYING carry the correction 'beatles' -> 'The Beatles'")
    check(stream.toList() == got, "scrobbler: events() yields the listener's events, in order, and ends at close")

    // The verdicts of a plain scrobble carry corrections too.
    val result = client.scrobble(listOf(Track("beatles", "Yesterday $tag", timestamp = System.currentTimeMillis() / 1000 - 60)))
    check(result.verdicts.singleOrNull()?.corrections?.artist == "The Beatles", "scrobble(): the verdict's corrections")

    // Player calls after close fail cleanly; a listener that throws is contained.
    Scrobbler(client, File(dir, "engine-kotlin-2-$tag.lfmq").path).also { s ->
        s.setListener { throw IllegalStateException("test: a listener that throws") }
        s.setClock { clock.get() }
        s.play(Track("Kotlin Engine", "thrower $tag", durationSecs = 60))
        advance(31)
        s.stop()
        check(s.drain(20_000) == 0L, "scrobbler: a throwing listener does not stop delivery")
        s.close(2_000)
        val closed = try { s.play(full); false } catch (e: IllegalStateException) { true }
        check(closed, "scrobbler: play after close -> IllegalStateException")
    }
}

/**
 * The read layer: a normalized call next to the raw one, a retried call, and a pager walk
 * (resumed from its state after the first page, through an error 8) over the mock's history:
 * every play once, newest first, without the now-playing item; then an incremental import.
 */
internal fun readChecks(client: LastFmClient) {
    val recent = listOf("user" to "RJ", "limit" to "1", "to" to "4102444800")
    val raw = parseJson(client.call("user.getRecentTracks", recent)).at("recenttracks")
    val norm = parseJson(client.call("user.getRecentTracks", recent, CallFlags.NORMALIZE)).at("recenttracks")
    check(raw.at("track") is Map<*, *> && raw.at("track").at("date").at("uts") is String &&
        norm.at("track").list().size == 1 && norm.at("track").list()[0].at("date").at("uts") is Number &&
        norm.at("attr").at("totalPages") is Number,
        "NORMALIZE: a one-item list becomes an array, uts and totalPages numbers")

    client.call("mock.fault", listOf("kind" to "api_error", "code" to "16"))
    val info = expectError { client.call("user.getInfo", listOf("user" to "RJ"), CallFlags.RETRY or CallFlags.NORMALIZE) }
    check(info == null, "RETRY: an injected error 16 is retried")

    client.call("mock.loadPlays", listOf("count" to "450", "now_playing" to "1", "shared_every" to "7"))
    client.call("mock.pageFault", listOf("method_name" to "user.getRecentTracks", "page" to "2", "code" to "8"))
    fun history() = parseJson(client.call("mock.plays")).at("plays").list()
        .map { Triple((it.at("uts") as Number).toLong(), it.at("artist").str(), it.at("track").str()) }
    fun plays(page: String) = parseJson(page).list()
        .map { Triple((it.at("date").at("uts") as? Number)?.toLong() ?: -1L, it.at("artist").at("name").str(), it.at("name").str()) }
    val expected = history()
    val firstRaw = client.call("user.getRecentTracks", listOf("user" to "RJ", "limit" to "100"))
    check(firstRaw.contains("\"nowplaying\":\"true\""), "the mock's page 1 carries a now-playing item")

    val params = listOf("user" to "RJ", "limit" to "100")
    val walked = mutableListOf<Triple<Long, String, String>>()
    var pages = 0
    val state = client.pages("user.getRecentTracks", params).use { pager ->
        val first = pager.next()
        check(first != null && pager.page == 1L && pager.total == expected.size.toLong() && pager.totalPages >= 5,
            "pager: page 1 of ${pager.totalPages}, total ${pager.total} = the mock's ${expected.size}")
        walked += plays(first ?: "[]")
        pages++
        pager.state()
    }
    var mark: String? = null
    client.resumePages(state).use { pager ->
        pager.setMaxWaitMs(2_000)
        for (page in pager) {
            walked += plays(page)
            pages++
        }
        mark = pager.mark()
    }
    check(walked.sortedWith(playOrder) == expected.sortedWith(playOrder) && walked.size == expected.size,
        "pager: $pages pages (resumed from state after page 1, error 8 on page 2 retried) -> " +
            "every play once (${walked.size} of ${expected.size})")
    check(walked.zipWithNext().all { (a, b) -> a.first >= b.first } && walked.none { it.first == -1L },
        "pager: newest first, no now-playing item")

    val newest = expected.maxOf { it.first }
    client.call("mock.addPlays", listOf("count" to "30", "shared_every" to "3", "at" to "${newest + 1}"))
    val added = history().let { now -> now.sortedWith(playOrder).toMutableList().also { for (p in expected) it.remove(p) } }
    val fresh = client.pagesAfter("user.getRecentTracks", params, mark ?: "").use { pager -> pager.flatMap { plays(it) }.toList() }
    check(added.size == 30 && fresh.sortedWith(playOrder) == added, "pager: an incremental import after the mark -> exactly the 30 new plays")
}

private val playOrder = compareBy<Triple<Long, String, String>>({ it.first }, { it.second }, { it.third })

// --- a small JSON reader for the checks (Map, List, String, Long/Double, Boolean, null) ------

internal fun Any?.at(key: String): Any? = (this as? Map<*, *>)?.get(key)
internal fun Any?.list(): List<Any?> = this as? List<Any?> ?: emptyList()
internal fun Any?.str(): String = this as? String ?: ""

internal fun parseJson(text: String): Any? {
    var i = 0
    fun ws() { while (i < text.length && text[i].isWhitespace()) i++ }
    fun value(): Any? {
        ws()
        return when (val c = text[i]) {
            '{' -> {
                i++
                val m = LinkedHashMap<String, Any?>()
                ws()
                if (text[i] == '}') { i++; return m }
                while (true) {
                    ws()
                    val k = value() as String
                    ws(); i++ // ':'
                    m[k] = value()
                    ws()
                    if (text[i++] == '}') return m
                }
                @Suppress("UNREACHABLE_CODE") m
            }
            '[' -> {
                i++
                val l = ArrayList<Any?>()
                ws()
                if (text[i] == ']') { i++; return l }
                while (true) {
                    l.add(value())
                    ws()
                    if (text[i++] == ']') return l
                }
                @Suppress("UNREACHABLE_CODE") l
            }
            '"' -> {
                i++
                val sb = StringBuilder()
                while (text[i] != '"') {
                    if (text[i] == '\\') {
                        i++
                        when (val e = text[i]) {
                            'u' -> { sb.append(text.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                            'n' -> sb.append('\n'); 't' -> sb.append('\t'); 'r' -> sb.append('\r')
                            'b' -> sb.append('\b'); 'f' -> sb.append('\u000c')
                            else -> sb.append(e)
                        }
                    } else {
                        sb.append(text[i])
                    }
                    i++
                }
                i++
                sb.toString()
            }
            't' -> { i += 4; true }
            'f' -> { i += 5; false }
            'n' -> { i += 4; null }
            else -> {
                val start = i
                while (i < text.length && (text[i] == '-' || text[i] == '+' || text[i] == '.' || text[i] == 'e' ||
                        text[i] == 'E' || text[i].isDigit())) i++
                val n = text.substring(start, i)
                require(n.isNotEmpty()) { "JSON: unexpected '$c' at $start" }
                n.toLongOrNull() ?: n.toDouble()
            }
        }
    }
    return value()
}
