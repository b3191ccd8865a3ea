// RoundTrip.kt: the Kotlin/JVM binding against the mock server, using an installed liblfm.
// Run by scripts/test-install.sh:
//   java -Djna.library.path=$PREFIX/lib -cp lfm-roundtrip.jar:/usr/share/java/jna.jar RoundTripKt TAG DIR
// with the environment of scripts/mock-env.sh. Exits 0 only if every check passed.

import fm.liblfm.CallFlags
import fm.liblfm.LastFmClient
import fm.liblfm.LastFmException
import fm.liblfm.LogLevel
import fm.liblfm.ScrobbleQueue
import fm.liblfm.Status
import fm.liblfm.Track
import fm.liblfm.lfmVersion
import fm.liblfm.sign
import java.io.File
import java.net.URLEncoder
import java.util.Collections
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

private var failures = 0

internal fun check(ok: Boolean, what: String) {
    println((if (ok) "  ok   " else "  FAIL ") + what)
    if (!ok) failures++
}

internal fun env(name: String): String =
    System.getenv(name)?.takeIf { it.isNotEmpty() } ?: run {
        System.err.println("RoundTrip: $name is not set (source scripts/mock-env.sh)")
        exitProcess(2)
    }

/** A client of the mock over HTTPS, unpaced. */
private fun mockClient() = LastFmClient(env("LFM_API_KEY"), env("LFM_API_SECRET")).apply {
    setBaseUrl(env("LFM_BASE_URL"))
    setCaFile(env("LFM_CA_FILE"))
    setRateLimit(0)
    setTimeoutMs(15_000)
}

internal inline fun expectError(block: () -> Unit): LastFmException? =
    try { block(); null } catch (e: LastFmException) { e }

fun main(args: Array<String>) {
    require(args.size == 2) { "usage: RoundTripKt TAG QUEUE_DIR" }
    val (tag, dir) = args
    val now = System.currentTimeMillis() / 1000

    check(lfmVersion() == "0.2.0", "lfmVersion() = ${lfmVersion()}")
    check(sign(listOf("method" to "auth.getSession", "token" to "t"), "s").length == 32, "sign -> 32 hex digits")

    try {
        mockClient().use { client ->
            val wrong = expectError { client.getMobileSession(env("LFM_USERNAME"), "not the password") }
            check(wrong != null && wrong.status == Status.API && wrong.apiCode == 4 && wrong.httpStatus != 0 && !wrong.isRetryable,
                "wrong password -> LastFmException(API, apiCode 4)")

            val session = client.getMobileSession(env("LFM_USERNAME"), env("LFM_PASSWORD"))
            check(session.key.isNotEmpty() && session.name == "RJ", "getMobileSession over HTTPS -> key, name RJ")
            check(!session.toString().contains(session.key), "Session.toString hides the key")

            val loved = client.call("track.love", listOf("artist" to "Björk", "track" to "Jóga"), CallFlags.WRITE)
            check(!loved.contains("\"error\""), "track.love (signed POST)")

            client.call("mock.fault", listOf("kind" to "api_error", "code" to "16"))
            val injected = expectError { client.call("user.getInfo", listOf("user" to "RJ")) }
            check(injected != null && injected.apiCode == 16 && injected.isRetryable, "injected API error 16 -> retryable")

            client.updateNowPlaying(Track("Björk", "np $tag", album = "Homogenic"))
            check(client.call("mock.nowPlaying").contains("np $tag"), "updateNowPlaying reached the mock")

            val result = client.scrobble(listOf(
                Track("Björk", "scrobble 1 $tag", album = "Homogenic", timestamp = now - 600, durationSecs = 305),
                Track("Sigur Rós", "scrobble 2 $tag", timestamp = now - 300),
            ))
            val stored = client.call("mock.scrobbles")
            check(result.accepted == 2L && result.verdicts.all { it.ignoredCode == 0 } &&
                stored.contains("scrobble 1 $tag") && stored.contains("scrobble 2 $tag") && stored.contains("Sigur Rós"),
                "scrobble 2 tracks -> accepted, stored by the mock (UTF-8 intact)")

            // Four JVM threads share the client.
            val pool = Executors.newFixedThreadPool(4)
            val futures = (0 until 8).map { i ->
                pool.submit<Long> { client.scrobble(listOf(Track("Thread", "thread $i $tag", timestamp = now - 1000 - i))).accepted }
            }
            val accepted = futures.sumOf { it.get() }
            pool.shutdown()
            pool.awaitTermination(30, TimeUnit.SECONDS)
            check(accepted == 8L, "8 scrobbles from 4 threads on one client")

            client.setConnectTimeoutMs(5_000)
            client.setProxy(null)
            val token = client.getToken()
            check(token.isNotEmpty() && client.authUrl(token).contains("token=$token"), "getToken + authUrl")
            val pending = expectError { client.getSession(token) }
            check(pending?.apiCode == 14, "getSession before approval -> apiCode 14")
            client.call("mock.approveToken", listOf("token" to token))
            check(client.getSession(token).name == "RJ", "getSession after approval -> RJ")

            val path = File(dir, "roundtrip-kotlin-$tag.lfmq").path
            ScrobbleQueue(path).use { queue ->
                queue.push(Track("Queue", "queued 1 $tag", timestamp = now - 500, chosenByUser = false))
                queue.push(Track("Queue", "queued 2 $tag", timestamp = now - 400))
                queue.push(Track("Queue", "queued 2 $tag", timestamp = now - 400))
                check(queue.size == 2L, "queue: 3 pushes (one duplicate) -> size 2")
                val entries = queue.list()
                check(entries.map { it.track.title } == listOf("queued 1 $tag", "queued 2 $tag") && entries.none { it.rejected } &&
                    entries.map { it.track.chosenByUser } == listOf(false, null),
                    "queue.list() snapshot (chosenByUser false / unknown kept)")
                check(queue.damageReport() == null, "queue.damageReport() = null")
                val again = expectError { ScrobbleQueue(path).close() }
                check(again?.status == Status.IO, "second open of the queue -> Status.IO")
                check(queue.flush(client) == 2L && queue.size == 0L, "queue.flush -> 2 sent, empty")
            }
            val after = client.call("mock.scrobbles")
            check(after.contains("queued 1 $tag") && after.contains("queued 2 $tag"), "the mock stored both queued plays")

            // The mock fails a [server-error] play alone (error 8) and accepts the other.
            ScrobbleQueue(File(dir, "roundtrip-kotlin-isolated-$tag.lfmq").path).use { queue ->
                val bad = "stored already [server-error] $tag"
                queue.push(Track("Queue", bad, timestamp = now - 40))
                queue.push(Track("Queue", "accepted beside it $tag", timestamp = now - 30))
                check(queue.flush(client) == 1L, "queue.flush with a failing play -> 1 sent")
                val entries = queue.list()
                check(entries.size == 1 && entries[0].track.title == bad && !entries[0].rejected &&
                    entries[0].isolatedFailures == 1 && entries[0].lastError?.contains("Operation failed") == true,
                    "queue.list(): the failing play pending, isolatedFailures 1, lastError set")
            }
        }
    } catch (e: LastFmException) {
        check(false, "unexpected $e")
    }

    // The scrobbler engine and the read layer, on a logged-in client.
    try {
        mockClient().use { client ->
            client.setSessionKey(client.getMobileSession(env("LFM_USERNAME"), env("LFM_PASSWORD")).key)
            scrobblerChecks(client, dir, tag)
            readChecks(client)
        }
    } catch (e: LastFmException) {
        check(false, "engine/reads: unexpected $e")
    }

    try {
        loggerChecks()
    } catch (e: LastFmException) {
        check(false, "logger: unexpected $e")
    }

    println("roundtrip (Kotlin): " + if (failures == 0) "all checks passed" else "FAILURES")
    exitProcess(if (failures == 0) 0 else 1)
}

/** setLogger: DEBUG, INFO and ERROR lines from any thread, no secrets, null stops them. */
private fun loggerChecks() {
    val client = mockClient()
    client.use {
        val lines = Collections.synchronizedList(mutableListOf<Pair<LogLevel, String>>())
        client.setLogger(LogLevel.DEBUG) { level, message -> lines.add(level to message) }
        repeat(3) { System.gc() } // only the client holds the callback: it must survive this

        val wrong = expectError { client.getMobileSession(env("LFM_USERNAME"), "not the password") }
        check(wrong?.apiCode == 4, "logger: wrong password -> apiCode 4")
        val session = client.getMobileSession(env("LFM_USERNAME"), env("LFM_PASSWORD"))
        // Calls from several threads: the logger runs on each of them, concurrently.
        val pool = Executors.newFixedThreadPool(4)
        val futures = (0 until 4).map {
            pool.submit<String> { client.call("track.love", listOf("artist" to "Björk", "track" to "Jóga"), CallFlags.WRITE) }
        }
        futures.forEach { it.get() }
        pool.shutdown()
        client.call("mock.fault", listOf("kind" to "api_error", "code" to "6"))
        val failed = expectError { client.call("user.getInfo", listOf("user" to "RJ")) }
        check(failed?.apiCode == 6, "logger: injected API error 6")

        val got = synchronized(lines) { lines.toList() }
        val count = got.groupingBy { it.first }.eachCount()
        check((count[LogLevel.DEBUG] ?: 0) >= 7 && (count[LogLevel.INFO] ?: 0) >= 1 && (count[LogLevel.ERROR] ?: 0) >= 2,
            "logger: lines per level $count (>= 7 DEBUG, >= 1 INFO, >= 2 ERROR)")
        check(got.any { (l, m) -> l == LogLevel.ERROR && m.contains("user.getInfo") }, "logger: ERROR line for the failed call")
        val password = env("LFM_PASSWORD")
        val secrets = mapOf(
            "password" to password,
            "password (URL-encoded)" to URLEncoder.encode(password, "UTF-8"),
            "session key" to session.key,
            "api key" to env("LFM_API_KEY"),
            "secret" to env("LFM_API_SECRET"),
        )
        val leaks = secrets.filter { (_, v) -> got.any { (_, m) -> m.contains(v) } }.keys
        check(leaks.isEmpty(), "logger: no line contains a secret" + if (leaks.isEmpty()) "" else " (leaked: $leaks)")

        val second = Collections.synchronizedList(mutableListOf<String>())
        client.setLogger(LogLevel.ERROR) { _, m -> second.add(m) }
        client.setLogger(LogLevel.DEBUG, null)
        val before = lines.size
        client.call("track.love", listOf("artist" to "Björk", "track" to "Jóga"), CallFlags.WRITE)
        client.call("mock.fault", listOf("kind" to "api_error", "code" to "6"))
        expectError { client.call("user.getInfo", listOf("user" to "RJ")) }
        check(lines.size == before && second.isEmpty(), "logger: setLogger(null) stops the lines, the replaced logger gets none")

        // A throwing logger does not break the call.
        client.setLogger(LogLevel.DEBUG) { _, _ -> throw IllegalStateException("test: a logger that throws") }
        check(client.call("mock.scrobbles").isNotEmpty(), "logger: an exception in the logger is contained")
        client.setLogger(LogLevel.DEBUG, null)
    }
    val closed = try { client.setLogger(LogLevel.DEBUG) { _, _ -> }; false } catch (e: IllegalStateException) { true }
    check(closed, "logger: setLogger after close -> IllegalStateException")
}
