#!/usr/bin/env python3
"""The Python and Kotlin bindings against include/lfm.h: every mirrored structure (size, field
names, kinds and offsets) and every constant, for the host ABI and for 32-bit ones.

    python3 tests/bindings/abi_check.py [--kotlin CLASSPATH] [--header PATH/lfm.h]

The truth is a C program generated from the header (every `#define LFM_*` and every struct
with a body in lfm.h), compiled with `cc -std=c99 -Wall -Wextra -Werror -pedantic` for the
host and with `-m32` (i386; Debian's gcc-multilib), which prints sizeof, offsetof and the
constants' values. Each binding is compared with it:
- host: the layout the binding's own machinery computes here (ctypes; JNA via
  `java -cp CLASSPATH AbiDumpKt`, bindings/kotlin/src/test/kotlin/AbiDump.kt);
- i386 and arm32 (armeabi-v7a, Android's 32-bit ARM): the layout computed from the field kinds
  the binding declares (ptr, size_t, i8..i64, nested struct) by the rule below, the rule a
  32-bit ctypes or JNA applies to those types. The same rule applied to the header's C types
  must reproduce the compiler's host and -m32 layouts (checked first), so the rule is tested
  where a compiler exists; arm32 (no compiler here) relies on it.
- constants: every header constant exists in the binding with the same value, and the binding
  has none the header lacks (except BINDING_ONLY).
Prints one line per check and the differences; exits 1 on any. Needs no liblfm.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.path.join(ROOT, "include", "lfm.h")
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# The rule: kind -> (size, alignment) per data model. A struct aligns to its largest member;
# members are placed at the next multiple of their alignment; the size is rounded up to the
# struct's alignment. i386 System V aligns 64-bit integers to 4 inside structs, ARM EABI to 8.
MODELS = {
    "lp64": {"ptr": (8, 8), "size_t": (8, 8), "long": (8, 8), "i64": (8, 8)},
    "i386": {"ptr": (4, 4), "size_t": (4, 4), "long": (4, 4), "i64": (8, 4)},
    "arm32": {"ptr": (4, 4), "size_t": (4, 4), "long": (4, 4), "i64": (8, 8)},
}
for _m in MODELS.values():
    _m.update({"i32": (4, 4), "i16": (2, 2), "i8": (1, 1)})

# Binding constants with no header counterpart, on purpose.
BINDING_ONLY = {"LFM_CALL_NONE"}  # CallFlags.NONE: no flags, 0

C_KINDS = {
    "bool": "i8", "char": "i8", "int8_t": "i8", "uint8_t": "i8",
    "int16_t": "i16", "uint16_t": "i16", "int32_t": "i32", "uint32_t": "i32",
    "int64_t": "i64", "uint64_t": "i64", "size_t": "size_t", "uintptr_t": "size_t",
    "long": "long", "unsigned long": "long",
}


class Abi:
    """Constants {name: value}; structs {name: [(field, kind)]}; layouts {model: {name: (size, {field: offset})}}."""

    def __init__(self, name: str):
        self.name = name
        self.constants: dict[str, int] = {}
        self.structs: dict[str, list[tuple[str, str]]] = {}
        self.layouts: dict[str, dict[str, tuple[int, dict[str, int]]]] = {}


def layout(structs, model: str):
    sizes = MODELS[model]
    out: dict[str, tuple[int, dict[str, int]]] = {}

    def of(name):
        if name not in out:
            offset, align, fields = 0, 1, {}
            for field, kind in structs[name]:
                if kind.startswith("struct:"):
                    inner = kind[len("struct:"):]
                    size, a = of(inner)[0], struct_align(inner)
                else:
                    size, a = sizes[kind]
                offset = -(-offset // a) * a
                fields[field] = offset
                offset += size
                align = max(align, a)
            out[name] = (-(-offset // align) * align, fields)
        return out[name]

    def struct_align(name):
        return max(struct_align(k[7:]) if k.startswith("struct:") else sizes[k][1] for _, k in structs[name])

    for name in structs:
        of(name)
    return out


# --- the header -------------------------------------------------------------------------------

def parse_header(path: str) -> Abi:
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    abi = Abi("lfm.h")
    abi.constants = {n: 0 for n in re.findall(r"^#define (LFM_\w+)[ \t]+\S", text, flags=re.M)}
    aliases = {alias: base for base, alias in re.findall(r"^typedef ([\w ]+?) (\w+);", text, flags=re.M)
               if not base.startswith("struct")}
    aliases.update({n: "ptr" for n in re.findall(r"^typedef [^;]*\(\*(\w+)\)", text, flags=re.M)})
    for name, body, again in re.findall(r"typedef struct (\w+) \{(.*?)\} (\w+);", text, flags=re.S):
        assert name == again, name
        fields = []
        for decl in filter(None, (d.strip() for d in body.split(";"))):
            m = re.fullmatch(r"(.*?)\s*\b(\w+)", " ".join(decl.split()))
            assert m, f"cannot read the field '{decl}' of {name}"
            ctype, field = m.group(1), m.group(2)
            if "*" in ctype:
                kind = "ptr"
            else:
                ctype = re.sub(r"\bconst\b", "", ctype).strip()
                if ctype.startswith("struct "):
                    kind = "struct:" + ctype.split()[1]
                else:
                    while ctype in aliases and aliases[ctype] != "ptr":
                        ctype = aliases[ctype]
                    kind = "ptr" if aliases.get(ctype) == "ptr" else C_KINDS.get(ctype)
                    assert kind, f"{name}.{field}: no rule for the C type '{ctype}' (add it to C_KINDS)"
            fields.append((field, kind))
        abi.structs[name] = fields
    return abi


def compile_and_run(abi: Abi, header: str, flags: list[str], work: str) -> tuple[dict, dict, dict]:
    """The C compiler's truth: ({constant: value}, {struct: (size, {field: offset})})."""
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "lfm.h"', "int main(void) {"]
    for c in abi.constants:
        lines.append(f'    printf("const {c} %lld\\n", (long long)({c}));')
    for s, fields in abi.structs.items():
        lines.append(f'    printf("struct {s} %lu\\n", (unsigned long)sizeof({s}));')
        for f, _ in fields:
            lines.append(f'    printf("field {s} {f} %lu\\n", (unsigned long)offsetof({s}, {f}));')
    lines += ["    return 0;", "}", ""]
    src = os.path.join(work, "abi.c")
    exe = os.path.join(work, "abi" + "".join(flags).replace("-", "_"))
    with open(src, "w") as f:
        f.write("\n".join(lines))
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, *CFLAGS, *flags, "-I", os.path.dirname(header), src, "-o", exe], check=True)
    return read_dump(subprocess.run([exe], check=True, capture_output=True, text=True).stdout)


def read_dump(text: str):
    consts, layouts, kinds = {}, {}, {}
    for line in text.splitlines():
        parts = line.split()
        if parts[0] == "const":
            consts[parts[1]] = int(parts[2])
        elif parts[0] == "struct":
            layouts[parts[1]] = (int(parts[2]), {})
            kinds[parts[1]] = []
        elif parts[0] == "field":
            layouts[parts[1]][1][parts[2]] = int(parts[3])
            if len(parts) > 4:
                kinds[parts[1]].append((parts[2], parts[4]))
    return consts, layouts, kinds


# --- the bindings -----------------------------------------------------------------------------

def python_abi() -> Abi:
    """bindings/python/lfm/_abi.py, loaded alone (it loads no library)."""
    path = os.path.join(ROOT, "bindings", "python", "lfm", "_abi.py")
    spec = importlib.util.spec_from_file_location("lfm_abi_under_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    abi = Abi("python")
    groups = {"Status": None, "CallFlags": "LFM_CALL_", "Service": "LFM_SERVICE_",
              "RootStore": "LFM_ROOTS_", "LogLevel": "LFM_LOG_", "HeaderVersion": "LFM_VERSION_",
              "Chosen": "LFM_CHOSEN_", "EventKind": "LFM_EVENT_",
              "UnknownDuration": "LFM_UNKNOWN_DURATION_"}
    for cls, prefix in groups.items():
        holder = getattr(mod, cls)
        members = holder.__members__ if hasattr(holder, "__members__") else {
            k: v for k, v in vars(holder).items() if k.isupper() and isinstance(v, int)}
        for member, value in members.items():
            c = prefix + member if prefix else ("LFM_OK" if member == "OK" else "LFM_ERR_" + member)
            abi.constants[c] = int(value)
    structures = {k: v for k, v in vars(mod).items()
                  if isinstance(v, type) and issubclass(v, ctypes.Structure) and v is not ctypes.Structure}
    names = {v: k for k, v in structures.items()}
    host = {}
    for name, cls in structures.items():
        fields, offsets = [], {}
        for field, ctype in cls._fields_:
            fields.append((field, ctypes_kind(ctype, names)))
            offsets[field] = getattr(cls, field).offset
        abi.structs[name] = fields
        host[name] = (ctypes.sizeof(cls), offsets)
    abi.layouts["host"] = host
    return abi


def ctypes_kind(ctype, names) -> str:
    if ctype in names:
        return "struct:" + names[ctype]
    if ctype in (ctypes.c_char_p, ctypes.c_wchar_p, ctypes.c_void_p) or issubclass(
            ctype, (ctypes._Pointer, ctypes._CFuncPtr)):
        return "ptr"
    # ctypes makes c_size_t an alias of a fixed-width type, so a size_t field reads as i32/i64
    # here: the check then fails on one data model, never passes wrongly.
    if issubclass(ctype, ctypes._SimpleCData) and ctype._type_ in "bBhHiIlLqQ?":
        return f"i{8 * ctypes.sizeof(ctype)}"
    raise SystemExit(f"abi_check: no rule for the ctypes type {ctype!r}")


def kotlin_abi(classpath: str) -> Abi:
    out = subprocess.run(["java", "-cp", classpath, "AbiDumpKt"], check=True, capture_output=True,
                         text=True).stdout
    abi = Abi("kotlin")
    abi.constants, abi.layouts["host"], abi.structs = read_dump(out)
    return abi


# --- comparing --------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.failed = 0

    def check(self, what: str, diffs: list[str]):
        print(("  ok    " if not diffs else "  FAIL  ") + what)
        for d in diffs:
            print("          " + d)
        self.failed += bool(diffs)


def diff_layouts(want, got) -> list[str]:
    diffs = []
    for s in sorted(set(want) | set(got)):
        if s not in got:
            diffs.append(f"{s}: not mirrored")
        elif s not in want:
            diffs.append(f"{s}: not in lfm.h")
        else:
            (ws, wf), (gs, gf) = want[s], got[s]
            if ws != gs:
                diffs.append(f"sizeof({s}): lfm.h {ws}, binding {gs}")
            for f in list(wf) + [f for f in gf if f not in wf]:
                if wf.get(f) != gf.get(f):
                    diffs.append(f"offsetof({s}, {f}): lfm.h {wf.get(f, 'missing')}, binding {gf.get(f, 'missing')}")
    return diffs


def diff_constants(want, got) -> list[str]:
    diffs = [f"{c}: lfm.h {v}, binding {got.get(c, 'missing')}" for c, v in want.items() if got.get(c) != v]
    diffs += [f"{c}: in the binding ({got[c]}), not in lfm.h" for c in got if c not in want and c not in BINDING_ONLY]
    return diffs


def diff_fields(want, got) -> list[str]:
    def show(fields):
        return " ".join(f"{f}:{k}" for f, k in fields)
    return [f"{s}: lfm.h [{show(want[s])}], binding [{show(got[s])}]"
            for s in want if s in got and want[s] != got[s]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kotlin", metavar="CLASSPATH", help="the jar with AbiDumpKt, and JNA")
    ap.add_argument("--header", default=HEADER, help="lfm.h to check against (default: include/lfm.h)")
    args = ap.parse_args()
    report = Report()
    header = parse_header(args.header)
    print(f"lfm.h: {args.header}")
    with tempfile.TemporaryDirectory(prefix="lfm-abi-") as work:
        header.constants, header.layouts["host"], _ = compile_and_run(header, args.header, [], work)
        _, header.layouts["i386"], _ = compile_and_run(header, args.header, ["-m32"], work)
    host_model = "lp64" if ctypes.sizeof(ctypes.c_void_p) == 8 else "i386"
    n_fields = sum(len(f) for f in header.structs.values())
    print(f"  {len(header.constants)} constants, {len(header.structs)} structs "
          f"({', '.join(header.structs)}), {n_fields} fields")
    for model, truth in ((host_model, "host"), ("i386", "i386")):
        report.check(f"the layout rule ({model}) reproduces cc {'' if truth == 'host' else '-m32 '}on lfm.h",
                     diff_layouts(header.layouts[truth], layout(header.structs, model)))
    header.layouts["arm32"] = layout(header.structs, "arm32")

    bindings = [python_abi()] + ([kotlin_abi(args.kotlin)] if args.kotlin else [])
    for b in bindings:
        report.check(f"{b.name}: constants ({len(b.constants)}) match lfm.h's",
                     diff_constants(header.constants, b.constants))
        report.check(f"{b.name}: field names and C kinds match lfm.h's", diff_fields(header.structs, b.structs))
        report.check(f"{b.name}: host layout ({b.name} itself) matches cc",
                     diff_layouts(header.layouts["host"], b.layouts["host"]))
        for model, how in (("i386", "cc -m32"), ("arm32", "the rule on lfm.h")):
            report.check(f"{b.name}: {model} layout of its declared types matches {how}",
                         diff_layouts(header.layouts[model], layout(b.structs, model)))
    if not args.kotlin:
        print("  (Kotlin not checked: pass --kotlin CLASSPATH, as scripts/test-install.sh does)")
    print(f"{report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
