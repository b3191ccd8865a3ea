// AbiDump.kt: what the Kotlin binding believes lfm.h is, for tests/bindings/abi_check.py.
//   java -cp lfm-roundtrip.jar:/usr/share/java/jna.jar AbiDumpKt
// Needs JNA but not liblfm. Prints, C names throughout (LfmQueueEntry.isolatedFailures ->
// lfm_queue_entry isolated_failures):
//   const NAME VALUE                  every constant object (Status, CallFlags, ...) and LogLevel
//   struct NAME SIZE                  every JNA structure in LfmNative, size as JNA lays it out here
//   field NAME FIELD OFFSET KIND      its fields in order: JNA's offset here and the C kind the
//                                     Java type maps to (ptr, size_t, i8..i64, struct:NAME), from
//                                     which abi_check.py computes the 32-bit layouts.

import com.sun.jna.Callback
import com.sun.jna.IntegerType
import com.sun.jna.NativeLong
import com.sun.jna.Pointer
import com.sun.jna.PointerType
import com.sun.jna.Structure
import fm.liblfm.CallFlags
import fm.liblfm.ChosenByUser
import fm.liblfm.HeaderVersion
import fm.liblfm.LfmNative
import fm.liblfm.LogLevel
import fm.liblfm.RootStore
import fm.liblfm.ScrobblerEventKind
import fm.liblfm.Service
import fm.liblfm.SizeT
import fm.liblfm.Status
import fm.liblfm.UnknownDuration
import java.lang.reflect.Modifier

/** `LfmQueueEntry` -> `lfm_queue_entry`, `albumArtist` -> `album_artist`. */
private fun snake(name: String): String =
    name.replace(Regex("([a-z0-9])([A-Z])"), "$1_$2").lowercase()

/** The class a structure field's type declares (LfmTrack.ByValue -> LfmTrack). */
private fun structureOf(type: Class<*>): Class<*> {
    var c = type
    while (c.superclass != Structure::class.java) c = c.superclass
    return c
}

/** The C kind of a field's Java type, as JNA maps it. */
private fun kind(type: Class<*>): String = when {
    type == String::class.java || Pointer::class.java.isAssignableFrom(type) ||
        PointerType::class.java.isAssignableFrom(type) || Callback::class.java.isAssignableFrom(type) ||
        Structure.ByReference::class.java.isAssignableFrom(type) -> "ptr"
    type == SizeT::class.java -> "size_t"
    type == NativeLong::class.java -> "long"
    Structure::class.java.isAssignableFrom(type) -> "struct:" + snake(structureOf(type).simpleName)
    type == java.lang.Long.TYPE -> "i64"
    type == Integer.TYPE -> "i32"
    type == java.lang.Boolean.TYPE -> "i32" // JNA's boolean is a 4-byte int
    type == java.lang.Short.TYPE -> "i16"
    type == java.lang.Byte.TYPE -> "i8"
    IntegerType::class.java.isAssignableFrom(type) -> error("unmapped IntegerType ${type.name}")
    else -> error("unmapped field type ${type.name}")
}

private val fieldOffset = Structure::class.java.getDeclaredMethod("fieldOffset", String::class.java)
    .apply { isAccessible = true }
private val fieldOrder = Structure::class.java.getDeclaredMethod("getFieldOrder")
    .apply { isAccessible = true }

/** The `const val` Ints of a constant object, C-named by [cName]. */
private fun constants(holder: Any, cName: (String) -> String): List<Pair<String, Int>> =
    holder.javaClass.declaredFields
        .filter { Modifier.isStatic(it.modifiers) && it.type == Integer.TYPE }
        .map { cName(it.name) to it.getInt(null) }

fun main() {
    val consts = constants(Status) { if (it == "OK") "LFM_OK" else "LFM_ERR_$it" } +
        constants(CallFlags) { "LFM_CALL_$it" } +
        constants(Service) { "LFM_SERVICE_$it" } +
        constants(RootStore) { "LFM_ROOTS_$it" } +
        constants(HeaderVersion) { "LFM_VERSION_$it" } +
        constants(ChosenByUser) { "LFM_CHOSEN_$it" } +
        LogLevel.values().map { "LFM_LOG_${it.name}" to it.code } +
        ScrobblerEventKind.values().map { "LFM_EVENT_${it.name}" to it.code } +
        UnknownDuration.values().map { "LFM_UNKNOWN_DURATION_${it.name}" to it.code }
    for ((name, value) in consts) println("const $name $value")

    val structures = LfmNative::class.java.declaredClasses
        .filter { Structure::class.java.isAssignableFrom(it) }
        .sortedBy { it.simpleName }
    for (cls in structures) {
        val s = cls.getDeclaredConstructor().newInstance() as Structure
        val name = snake(cls.simpleName)
        println("struct $name ${s.size()}")
        @Suppress("UNCHECKED_CAST")
        for (field in fieldOrder.invoke(s) as List<String>) {
            val type = cls.getField(field).type
            println("field $name ${snake(field)} ${fieldOffset.invoke(s, field)} ${kind(type)}")
        }
    }
}
