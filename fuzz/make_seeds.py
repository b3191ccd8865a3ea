#!/usr/bin/env python3
"""Regenerate the committed seed corpora under fuzz/corpus/ (run from anywhere).

sign and encode seeds use the text format of fuzz_targets/common.rs (secret on the first
line for sign; `name<TAB>value` lines; `\\n`, `\\t`, `\\\\` escapes). sign gets every golden
vector of tests/vectors/signatures.json. reply seeds are `STATUS [N]` then the body.
queue_loader seeds are real journals (CRC-32 lines) and damaged variants."""
import json, os, shutil, zlib

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")


def esc(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def pairs_text(pairs):
    return "\n".join(f"{esc(n)}\t{esc(v)}" for n, v in pairs)


for t in ("sign", "reply", "encode", "queue_loader"):
    shutil.rmtree(os.path.join(CORPUS, t), ignore_errors=True)

# --- sign: the golden vectors, plus duplicates and unsigned names.
with open(os.path.join(ROOT, "..", "tests", "vectors", "signatures.json")) as f:
    vectors = json.load(f)["cases"]
for case in vectors:
    pairs = [(p["name"], p["value"]) for p in case["params"]]
    write("sign", f"golden-{case['name']}", esc(case["secret"]) + "\n" + pairs_text(pairs))
write("sign", "duplicate-name", "s\nartist\tA\nartist\tB")
write("sign", "duplicate-unsigned", "s\nformat\tjson\nformat\txml\ncallback\tf\napi_sig\tx\nmethod\tm")
write("sign", "empty", "")
write("sign", "byte-order", "s\nZ\t1\na\t2\n\u00e9\t3\nA\t4\n_\t5\n\tempty-name")
write("sign", "reserved-chars", "se\\ncret\nartist\ta+b&c=d%e f\ntrack\tline\\nbreak\\ttab")

# --- reply: Last.fm's JSON quirks and error bodies.
R = {
    "scrobble-one-object": ("200 1", '{"scrobbles":{"scrobble":{"artist":{"corrected":"0","#text":"Cher"},"track":{"corrected":"0","#text":"Believe"},"ignoredMessage":{"code":"0","#text":""},"timestamp":"1287140447"},"@attr":{"accepted":1,"ignored":0}}}'),
    "scrobble-array": ("200 3", '{"scrobbles":{"scrobble":[{"ignoredMessage":{"code":"0","#text":""}},{"ignoredMessage":{"code":"1","#text":"Artist was ignored"}},{"ignoredMessage":{"code":3}}],"@attr":{"accepted":"1","ignored":"2"}}}'),
    "scrobble-no-items": ("200 2", '{"scrobbles":{"@attr":{"accepted":2,"ignored":0}}}'),
    "scrobble-ignored-no-items": ("200 1", '{"scrobbles":{"@attr":{"accepted":0,"ignored":"1"}}}'),
    "scrobble-empty-string-list": ("200 1", '{"scrobbles":{"scrobble":"","@attr":{"accepted":0,"ignored":0}}}'),
    "scrobble-daily-limit": ("200 2", '{"scrobbles":{"scrobble":[{"ignoredMessage":{"code":"5","#text":"Daily scrobble limit exceeded"}},{"ignoredMessage":{"code":"5"}}],"@attr":{"accepted":0,"ignored":2}}}'),
    "scrobble-huge-code": ("200 1", '{"scrobbles":{"scrobble":{"ignoredMessage":{"code":"99999999999999999999","#text":""}}}}'),
    "session": ("200", '{"session":{"name":"RJ","key":"d580d57f32848f5dcf574d1ce18d78b2","subscriber":0}}'),
    "session-no-name": ("200", '{"session":{"key":"d580d57f32848f5dcf574d1ce18d78b2","subscriber":"0"}}'),
    "session-control-key": ("200", '{"session":{"name":"","key":"a\\u0000b"}}'),
    "user-getinfo": ("200", '{"user":{"name":"RJ","playcount":"12345","image":[{"size":"small","#text":""}],"registered":{"unixtime":"1037793040","#text":1037793040},"@attr":{"user":"RJ"}}}'),
    "recent-tracks-empty": ("200", '{"recenttracks":{"track":[],"@attr":{"total":"0"}},"toptracks":""}'),
    "api-error-9": ("200", '{"error":9,"message":"Invalid session key - Please re-authenticate"}'),
    "api-error-string-code": ("403", '{"error":"13","message":"Invalid method signature supplied","links":[]}'),
    "api-error-29-429": ("429", '{"error":29,"message":"Rate limit exceeded"}'),
    "api-error-huge-code": ("400", '{"error":1e300,"message":"x"}'),
    "api-error-negative": ("400", '{"error":-4,"message":null}'),
    "html-503": ("503", "<!DOCTYPE html>\n<html><body>Temporarily unavailable, try again in 30 seconds</body></html>\n"),
    "empty-502": ("502", ""),
    "empty-200": ("200", ""),
    "not-json": ("200", "OK"),
    "truncated": ("200", '{"session":{"name":"RJ","ke'),
    "json-object-500": ("500", "{}"),
    "redirect": ("302", ""),
    "deep-nesting": ("200", "[" * 200 + "]" * 200),
    "status-9200-not-http": ("9200", ""),
}
for name, (head, body) in R.items():
    write("reply", name, head + "\n" + body)
write("reply", "invalid-utf8", b'200\n{"session":{"name":"RJ\xff\xfe","key":"k"}}')
write("reply", "invalid-utf8-500", b"500\n\xff\xfe<html>")
write("reply", "no-header-body", '{"scrobbles":{"scrobble":{"ignoredMessage":{"code":"2","#text":"Track was ignored"}}}}')

# --- encode: reserved characters, UTF-8, empty names and values, malformed forms.
write("encode", "reserved", pairs_text([("password", "a+b&c=d%e f"), ("artist", "Bj\u00f6rk \u2713")]))
write("encode", "unicode", pairs_text([("artist[0]", "+&=%?#/ \u00e9 \u65e5\u672c \U0001F3B5"), ("", ""), ("k", "~._-")]))
write("encode", "escapes", "a\\tb\tline\\nbreak\nback\\\\slash\t\\x")
write("encode", "batch", pairs_text([(f"{k}[{i}]", f"v{i} & {k}") for i in range(3) for k in ("artist", "track", "timestamp")]))
write("encode", "form-plus", "a=x+y&b=%20%2B&c")
write("encode", "form-bad-escape", "a=%zz&b=%f&c=%ff")
write("encode", "form-empty-parts", "&&=&a==b&")

# --- queue_loader: real journals and damaged ones.
HEADER = "lfm-queue 1"


def line(rec):
    body = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    return "%08x %s\n" % (zlib.crc32(body.encode()), body)


def push(i, **extra):
    rec = {"op": "push", "id": i, "artist": "Artist %d" % i, "track": "Track %d" % i,
           "timestamp": 1700000000 + i, "duration": 200, "trackNumber": 0, "queuedAt": 1700000100 + i}
    rec.update(extra)
    return line(rec)


good = HEADER + "\n" + push(1, album="Homogenic") + push(2, attempts=2, lastError="timed out") + push(3)
write("queue_loader", "three-pending", good)
write("queue_loader", "all-records",
      HEADER + "\n" + push(1) + push(2) + push(3) + push(4)
      + line({"op": "done", "ids": [1]})
      + line({"op": "reject", "id": 2, "ignoredCode": 3, "apiCode": 0, "reason": "timestamp too old"})
      + line({"op": "fail", "ids": [3, 4], "error": "HTTP 503"})
      + line({"op": "retry", "id": 2})
      + line({"op": "remove", "id": 4}))
write("queue_loader", "header-only", HEADER + "\n")
write("queue_loader", "empty", "")
write("queue_loader", "torn-tail", good[:-25])
bad_crc = good.replace(push(2), "00000000" + push(2)[8:])
write("queue_loader", "bad-crc-middle", bad_crc)
write("queue_loader", "no-header-records", push(1) + push(2))
write("queue_loader", "not-a-queue", "[Desktop Entry]\nName=not a queue\n")
write("queue_loader", "unknown-ids", HEADER + "\n" + line({"op": "done", "ids": [42]}) + line({"op": "retry", "id": 7}) + push(1))
write("queue_loader", "duplicate-play", HEADER + "\n" + push(1) + push(1) + line({"op": "push", "id": 2, "artist": "Artist 1", "track": "Track 1", "timestamp": 1700000001}))
write("queue_loader", "weird-numbers", HEADER + "\n" + line({"op": "push", "id": 18446744073709551615, "artist": "", "track": "\u0000", "timestamp": -9223372036854775808, "duration": 4294967296}))
write("queue_loader", "binary", b"lfm-queue 1\n\x00\xff\xfe\r\n\n\n")
print("seeds written to", CORPUS)
