package fm.liblfm

import com.sun.jna.Callback
import com.sun.jna.IntegerType
import com.sun.jna.Library
import com.sun.jna.Native
import com.sun.jna.Pointer
import com.sun.jna.Structure
import com.sun.jna.ptr.ByReference
import com.sun.jna.ptr.PointerByReference

/** C `size_t`. */
class SizeT(value: Long = 0) : IntegerType(Native.SIZE_T_SIZE, value, true) {
    override fun toByte(): Byte = toLong().toByte()
    override fun toShort(): Short = toLong().toShort()
}

/** C `size_t *`. */
class SizeTByReference : ByReference(Native.SIZE_T_SIZE) {
    val value: Long
        get() = if (Native.SIZE_T_SIZE == 8) pointer.getLong(0) else pointer.getInt(0).toLong() and 0xffffffffL
}

/**
 * The C API of liblfm (lfm.h), bound with JNA. Internal: use [LastFmClient] and [ScrobbleQueue].
 *
 * Mapping rules: opaque handles and library-owned strings are [Pointer] (owned strings go back
 * to lfm_string_free); C `bool` is [Byte] (JNA's boolean is a 4-byte int); `uint16_t` is
 * [Short]; `uint32_t` is [Int]; `size_t` is [SizeT]. Strings are UTF-8 (library option below;
 * the structures are nested here so that they inherit it). Adding a C function is adding its
 * declaration here. The structures and the constants (LastFm.kt) are checked against lfm.h,
 * host and 32-bit layouts, by tests/bindings/abi_check.py (make test-install).
 */
internal interface LfmNative : Library {
    /** `lfm_log_fn`: `message` is borrowed UTF-8, valid only during the call. */
    fun interface LogFn : Callback {
        fun invoke(userData: Pointer?, level: Int, message: Pointer?)
    }

    @Structure.FieldOrder("name", "value")
    open class LfmParam : Structure() {
        @JvmField var name: String? = null
        @JvmField var value: String? = null
    }

    @Structure.FieldOrder("artist", "track", "album", "albumArtist", "mbid", "timestamp", "durationSecs", "trackNumber", "chosenByUser")
    open class LfmTrack : Structure() {
        @JvmField var artist: String? = null
        @JvmField var track: String? = null
        @JvmField var album: String? = null
        @JvmField var albumArtist: String? = null
        @JvmField var mbid: String? = null
        @JvmField var timestamp: Long = 0
        @JvmField var durationSecs: Int = 0
        @JvmField var trackNumber: Int = 0
        @JvmField var chosenByUser: Int = 0 // LFM_CHOSEN_*: 0 unknown, 1 yes, 2 no (0.2)

        class ByValue : LfmTrack(), Structure.ByValue
    }

    @Structure.FieldOrder(
        "id", "track", "queuedAt", "rejected", "ignoredCode", "apiCode", "reason", "attempts", "isolatedFailures",
        "lastError",
    )
    open class LfmQueueEntry : Structure() {
        @JvmField var id: Long = 0
        @JvmField var track: LfmTrack.ByValue = LfmTrack.ByValue()
        @JvmField var queuedAt: Long = 0
        @JvmField var rejected: Byte = 0
        @JvmField var ignoredCode: Int = 0
        @JvmField var apiCode: Int = 0
        @JvmField var reason: String? = null
        @JvmField var attempts: Int = 0
        @JvmField var isolatedFailures: Int = 0
        @JvmField var lastError: String? = null
    }

    fun lfm_version(): String
    fun lfm_status_str(status: Int): String
    fun lfm_string_free(s: Pointer?)

    fun lfm_error_status(err: Pointer?): Int
    fun lfm_error_api_code(err: Pointer?): Int
    fun lfm_error_http_status(err: Pointer?): Short
    fun lfm_error_message(err: Pointer?): String
    fun lfm_error_is_retryable(err: Pointer?): Byte
    fun lfm_error_retry_after_ms(err: Pointer?): Int
    fun lfm_error_free(err: Pointer?)

    fun lfm_sign(params: Array<LfmParam>?, n: SizeT, secret: String, out: PointerByReference, err: PointerByReference): Int

    fun lfm_client_new(key: String, secret: String, out: PointerByReference, err: PointerByReference): Int
    fun lfm_client_free(client: Pointer?)
    fun lfm_client_set_base_url(c: Pointer, url: String, err: PointerByReference): Int
    fun lfm_client_set_session_key(c: Pointer, key: String?, err: PointerByReference): Int
    fun lfm_client_set_timeout_ms(c: Pointer, ms: Int, err: PointerByReference): Int
    fun lfm_client_set_user_agent(c: Pointer, ua: String, err: PointerByReference): Int
    fun lfm_client_set_ca_file(c: Pointer, path: String, err: PointerByReference): Int
    fun lfm_client_set_allow_insecure_http(c: Pointer, allow: Byte, err: PointerByReference): Int
    fun lfm_client_set_rate_limit(c: Pointer, perSecond: Int, err: PointerByReference): Int
    fun lfm_client_set_max_batch(c: Pointer, maxTracks: Int, err: PointerByReference): Int

    fun lfm_get_mobile_session(c: Pointer, user: String, password: String, outKey: PointerByReference, outName: PointerByReference, err: PointerByReference): Int
    fun lfm_call(c: Pointer, method: String, params: Array<LfmParam>?, n: SizeT, flags: Int, outJson: PointerByReference, err: PointerByReference): Int
    fun lfm_update_now_playing(c: Pointer, track: LfmTrack, err: PointerByReference): Int
    fun lfm_scrobble(c: Pointer, tracks: Array<LfmTrack>?, n: SizeT, out: PointerByReference, err: PointerByReference): Int
    fun lfm_scrobble_result_accepted(r: Pointer?): SizeT
    fun lfm_scrobble_result_ignored(r: Pointer?): SizeT
    fun lfm_scrobble_result_ignored_code(r: Pointer?, index: SizeT): Int
    fun lfm_scrobble_result_ignored_message(r: Pointer?, index: SizeT): String?
    fun lfm_scrobble_result_free(r: Pointer?)
    fun lfm_scrobble_eligible(durationSecs: Int, playedSecs: Int): Byte

    fun lfm_queue_open(path: String, out: PointerByReference, err: PointerByReference): Int
    fun lfm_queue_free(q: Pointer?)
    fun lfm_queue_push(q: Pointer, track: LfmTrack, err: PointerByReference): Int
    fun lfm_queue_len(q: Pointer, out: SizeTByReference, err: PointerByReference): Int
    fun lfm_queue_flush(q: Pointer, c: Pointer, sent: SizeTByReference, err: PointerByReference): Int
    fun lfm_queue_list(q: Pointer, out: PointerByReference, err: PointerByReference): Int
    fun lfm_queue_entries_count(e: Pointer?): SizeT
    fun lfm_queue_entries_get(e: Pointer, index: SizeT, out: LfmQueueEntry, err: PointerByReference): Int
    fun lfm_queue_entries_free(e: Pointer?)
    fun lfm_queue_remove(q: Pointer, id: Long, err: PointerByReference): Int
    fun lfm_queue_retry(q: Pointer, id: Long, err: PointerByReference): Int
    fun lfm_queue_damage_report(q: Pointer, out: PointerByReference, err: PointerByReference): Int

    fun lfm_queue_set_max_age_days(q: Pointer, days: Int, err: PointerByReference): Int
    fun lfm_get_token(c: Pointer, out: PointerByReference, err: PointerByReference): Int
    fun lfm_auth_url(c: Pointer, token: String?, callbackUrl: String?, out: PointerByReference, err: PointerByReference): Int
    fun lfm_get_session(c: Pointer, token: String, outKey: PointerByReference, outName: PointerByReference, err: PointerByReference): Int
    fun lfm_client_set_auth_url(c: Pointer, url: String, err: PointerByReference): Int
    fun lfm_client_set_service(c: Pointer, service: Int, err: PointerByReference): Int
    fun lfm_client_set_proxy(c: Pointer, proxyUrl: String?, err: PointerByReference): Int
    fun lfm_client_set_root_store(c: Pointer, store: Int, err: PointerByReference): Int
    fun lfm_client_set_connect_timeout_ms(c: Pointer, ms: Int, err: PointerByReference): Int
    fun lfm_client_set_logger(c: Pointer, log: LogFn?, maxLevel: Int, userData: Pointer?, err: PointerByReference): Int

    companion object {
        /** Loaded from `jna.library.path`, then the system's search path (LD_LIBRARY_PATH,
         *  or an APK's `lib/<abi>/` on Android); `-Dlfm.library=/path/liblfm.so` overrides. */
        val lib: LfmNative by lazy {
            Native.load(
                System.getProperty("lfm.library") ?: "lfm",
                LfmNative::class.java,
                mapOf(Library.OPTION_STRING_ENCODING to "UTF-8"),
            )
        }
    }
}
