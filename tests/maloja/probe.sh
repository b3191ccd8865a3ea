#!/usr/bin/env bash
# Probe a running Maloja with hand-built Last.fm 2.0 requests and print every request,
# HTTP status and body, then what the native API stored. Used to write NOTES.md.
#
#   tests/maloja/probe.sh VERSION PORT KEY      (after scripts/maloja.sh start VERSION DIR PORT)
#
# Needs a fresh data directory: the checks count what got stored per experiment.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 VERSION PORT KEY" >&2; exit 2; }
VERSION=$1 PORT=$2 KEY=$3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE=http://127.0.0.1:$PORT/apis/audioscrobbler/2.0/
NOW=$(date +%s)
T=$((NOW - 7200)) # plays in the last two hours, one second apart per experiment item
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# req LABEL VERB URL [name=value ...]: form-encoded POST body (or GET query), prints all.
req() {
    local label=$1 verb=$2 url=$3
    shift 3
    local args=() shown=()
    for kv in "$@"; do
        args+=(--data-urlencode "$kv")
        shown+=("$kv")
    done
    echo "### $label"
    if [ "$verb" = GET ]; then
        echo "> GET $url ? ${shown[*]:0:12}$([ ${#shown[@]} -gt 12 ] && echo " ... (${#shown[@]} params)")"
        CODE=$(curl -s -G -o "$TMP/body" -w '%{http_code}' -m 30 "$url" "${args[@]}")
    else
        echo "> POST $url  ${shown[*]:0:12}$([ ${#shown[@]} -gt 12 ] && echo " ... (${#shown[@]} params)")"
        CODE=$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' -m 30 -X POST "$url" "${args[@]}")
    fi
    BODY=$(cat "$TMP/body")
    echo "< HTTP $CODE"
    echo "< $(head -c 600 "$TMP/body")"
    echo
}

COMMON=(api_key=anything api_sig=0123456789abcdef0123456789abcdef format=json)

echo "## auth"
req "mobile session, POST, format=json" POST "$BASE" method=auth.getMobileSession username=rj "password=$KEY" "${COMMON[@]}"
SK=$(echo "$BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["key"])')
req "mobile session, no format (Last.fm default is XML)" POST "$BASE" method=auth.getMobileSession username=rj "password=$KEY" api_key=x api_sig=0
req "mobile session over GET" GET "$BASE" method=auth.getMobileSession username=other "password=$KEY" "${COMMON[@]}"
req "wrong password (not an API key)" POST "$BASE" method=auth.getMobileSession username=rj password=wrong "${COMMON[@]}"
req "no password" POST "$BASE" method=auth.getMobileSession username=rj "${COMMON[@]}"
TOKEN=$(python3 -c 'import hashlib,sys; m=lambda s: hashlib.md5(s.encode()).hexdigest(); print(m(sys.argv[1]+m(sys.argv[2])))' rj "$KEY")
req "mobile session with authToken=md5(user+md5(key))" POST "$BASE" method=auth.getMobileSession username=rj "authToken=$TOKEN" "${COMMON[@]}"
req "auth.getToken (web flow)" POST "$BASE" method=auth.getToken "${COMMON[@]}"
req "auth.getSession (web flow)" POST "$BASE" method=auth.getSession token=abc "${COMMON[@]}"
req "no trailing slash" POST "${BASE%/}" method=auth.getMobileSession username=rj "password=$KEY" "${COMMON[@]}"

echo "## read methods"
req "user.getRecentTracks" GET "$BASE" method=user.getRecentTracks user=rj "${COMMON[@]}"

echo "## now playing"
req "track.updateNowPlaying" POST "$BASE" method=track.updateNowPlaying artist=Probe track=nowplaying "sk=$SK" "${COMMON[@]}"

echo "## session errors"
req "scrobble with unknown sk" POST "$BASE" method=track.scrobble artist=Probe track=badsk "timestamp=$T" sk=nosuchkey "${COMMON[@]}"
req "scrobble without sk" POST "$BASE" method=track.scrobble artist=Probe track=nosk "timestamp=$T" "${COMMON[@]}"

echo "## plain-name scrobbles"
req "single plain scrobble with album" POST "$BASE" method=track.scrobble "artist=Björk" "track=single Jóga" "album=Homogenic" "timestamp=$((T + 1))" "sk=$SK" "${COMMON[@]}"
req "single plain scrobble, no format" POST "$BASE" method=track.scrobble artist=Probe "track=noformat" "timestamp=$((T + 2))" "sk=$SK" api_key=x api_sig=0
req "single plain scrobble over GET" GET "$BASE" method=track.scrobble artist=Probe "track=viaget" "timestamp=$((T + 3))" "sk=$SK" "${COMMON[@]}"
req "plain scrobble without timestamp" POST "$BASE" method=track.scrobble artist=Probe "track=notimestamp" "sk=$SK" "${COMMON[@]}"
req "duplicate: same play again (1st re-send)" POST "$BASE" method=track.scrobble "artist=Björk" "track=single Jóga" "album=Homogenic" "timestamp=$((T + 1))" "sk=$SK" "${COMMON[@]}"
req "duplicate: same play again (2nd re-send)" POST "$BASE" method=track.scrobble "artist=Björk" "track=single Jóga" "album=Homogenic" "timestamp=$((T + 1))" "sk=$SK" "${COMMON[@]}"
req "other track, same timestamp as an existing play" POST "$BASE" method=track.scrobble artist=Probe "track=sametime" "timestamp=$((T + 1))" "sk=$SK" "${COMMON[@]}"
req "play 30 days old" POST "$BASE" method=track.scrobble artist=Probe "track=old30d" "timestamp=$((NOW - 30 * 86400))" "sk=$SK" "${COMMON[@]}"
req "play from 2001" POST "$BASE" method=track.scrobble artist=Probe "track=old2001" "timestamp=1000000000" "sk=$SK" "${COMMON[@]}"
req "play one day in the future" POST "$BASE" method=track.scrobble artist=Probe "track=future1d" "timestamp=$((NOW + 86400))" "sk=$SK" "${COMMON[@]}"
req "timestamp not a number" POST "$BASE" method=track.scrobble artist=Probe "track=badts" "timestamp=yesterday" "sk=$SK" "${COMMON[@]}"
req "empty artist" POST "$BASE" method=track.scrobble artist= "track=emptyartist" "timestamp=$((T + 4))" "sk=$SK" "${COMMON[@]}"
req "artist with delimiters (AC/DC, feat.)" POST "$BASE" method=track.scrobble "artist=AC/DC" "track=delims Back in Black (Radio Edit)" "timestamp=$((T + 5))" "sk=$SK" "${COMMON[@]}"
req "artist with & and feat. in title" POST "$BASE" method=track.scrobble "artist=Simon & Garfunkel" "track=delims2 Song feat. Someone" "timestamp=$((T + 6))" "sk=$SK" "${COMMON[@]}"

echo "## indexed scrobbles"
req "indexed batch of 1" POST "$BASE" method=track.scrobble "artist[0]=Probe" "track[0]=b1-0" "timestamp[0]=$((T + 10))" "sk=$SK" "${COMMON[@]}"
args=()
for i in 0 1 2; do args+=("artist[$i]=Probe" "track[$i]=b3-$i" "timestamp[$i]=$((T + 20 + i))"); done
req "indexed batch of 3" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
args=()
for i in $(seq 0 59); do args+=("artist[$i]=Probe" "track[$i]=b60-$i" "timestamp[$i]=$((T + 100 + i))"); done
req "indexed batch of 60" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
args=()
for i in 0 1 2 3; do
    ts=$((T + 200 + i))
    [ $i = 2 ] && ts=notanumber
    args+=("artist[$i]=Probe" "track[$i]=bbad-$i" "timestamp[$i]=$ts")
done
req "indexed batch of 4, item 2 has a bad timestamp" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
args=()
for i in 0 1 2; do
    args+=("artist[$i]=Probe" "track[$i]=bmiss-$i")
    [ $i = 1 ] || args+=("timestamp[$i]=$((T + 300 + i))")
done
req "indexed batch of 3, item 1 without timestamp" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
args=()
for i in 0 2; do args+=("artist[$i]=Probe" "track[$i]=bgap-$i" "timestamp[$i]=$((T + 400 + i))"); done
req "indexed batch with a gap (items 0 and 2)" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
args=()
for i in 0 1; do args+=("artist[$i]=Probe" "track[$i]=bdup-$i" "timestamp[$i]=$((T + 500 + i))"); done
req "indexed batch of 2" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"
req "indexed batch of 2, re-sent" POST "$BASE" method=track.scrobble "${args[@]}" "sk=$SK" "${COMMON[@]}"

echo "## stored (native API), by experiment"
"$ROOT/scripts/maloja.sh" scrobbles "$VERSION" "$PORT" >"$TMP/stored.json"
python3 - "$TMP/stored.json" "$NOW" <<'EOF'
import json, sys, collections
d = json.load(open(sys.argv[1])); now = int(sys.argv[2])
items = d.get("list", [])
print("top-level keys:", sorted(d), "| items:", len(items))
print("first item:", json.dumps(items[0], ensure_ascii=False) if items else None)
groups = collections.OrderedDict()
# 3.x: {"time", "track": {"artists", "title", "album", "length"}, "duration", "origin"}
# 2.x: {"artists", "title", "time", "album", "duration"} (flat)
for s in items:
    s.setdefault("track", s)
for s in sorted(items, key=lambda s: s["time"]):
    t = s["track"]["title"]
    key = t.split("-")[0] if t.startswith("b") and "-" in t else t
    groups.setdefault(key, []).append(s)
for key, ss in groups.items():
    desc = ", ".join(f'{s["track"]["title"]}@{s["time"] - now:+d}s {s["track"]["artists"]}' for s in ss[:4])
    more = f" ... ({len(ss)} items, titles {ss[0]['track']['title']}..{ss[-1]['track']['title']})" if len(ss) > 4 else ""
    print(f"  {key}: {len(ss)} stored: {desc}{more}")
EOF
