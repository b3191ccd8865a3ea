"""pylast contenders for the issue 9 tables, run in the harness's venv.

    python pylast_bench.py sign love|batch SECONDS      -> ns_per_op=... sig=...
    python pylast_bench.py calls PORT SECONDS           -> calls_per_s=... calls=...

sign: pylast's own signing function (_Request._get_signature) on the same parameters as
benches/common.h. calls: real user.getInfo calls through pylast to nginx over https (pylast
only speaks https and POST; SSL_CERT_FILE must name the throw-away CA).
"""
import sys
import time

import pylast

mode = sys.argv[1]
if mode == "sign":
    which, secs = sys.argv[2], float(sys.argv[3])
    net = pylast.LastFMNetwork(api_key="YOUR_API_KEY", api_secret="YOUR_SECRET",
                               session_key="YOUR_SESSION_KEY")
    if which == "love":
        req = pylast._Request(net, "track.love", {"artist": "KITANO REM", "track": "RAINSICK"})
    else:
        params = {}
        for i in range(50):
            params[f"artist[{i}]"] = f"Artist Number {i % 17}"
            params[f"track[{i}]"] = f"A Fairly Typical Track Title {i}"
            params[f"timestamp[{i}]"] = str(1764000000 + i * 240)
            params[f"album[{i}]"] = f"Some Album (Deluxe Edition) {i % 5}"
        req = pylast._Request(net, "track.scrobble", params)
    req.params.pop("api_sig", None)
    assert len(req.params) == (5 if which == "love" else 203), len(req.params)
    sig = req._get_signature()
    n, t0 = 0, time.perf_counter()
    while True:
        for _ in range(50):
            req._get_signature()
        n += 50
        spent = time.perf_counter() - t0
        if spent >= secs:
            break
    print(f"ns_per_op={spent * 1e9 / n:.2f} sig={sig}")
elif mode == "calls":
    port, secs = sys.argv[2], float(sys.argv[3])
    net = pylast.LastFMNetwork(api_key="0123456789abcdef0123456789abcdef", api_secret="secret")
    net.ws_server = (f"127.0.0.1:{port}", "/2.0/")
    net.disable_rate_limit()

    def call():
        doc = pylast._Request(net, "user.getInfo", {"user": "RJ"}).execute()
        assert doc.getElementsByTagName("playcount")[0].firstChild.data == "150316"

    for _ in range(3):
        call()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < secs:
        call()
        n += 1
    spent = time.perf_counter() - t0
    print(f"calls_per_s={n / spent:.1f} calls={n}")
