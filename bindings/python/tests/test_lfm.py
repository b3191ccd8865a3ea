"""The Python binding against the mock server (scripts/mock-env.sh sets the environment)."""

import collections
import hashlib
import json
import os
import threading
import time

import pytest

import lfm

TAG = f"py-{os.getpid()}-{time.time_ns()}"


def stored_scrobbles(client):
    return {s["track"]: s for s in json.loads(client.call("mock.scrobbles"))["scrobbles"]}


def test_loaded_the_expected_library():
    """scripts/test-install.sh sets LFM_EXPECT_LIBDIR: the installed copy, found via pkg-config."""
    expected = os.environ.get("LFM_EXPECT_LIBDIR")
    if not expected:
        pytest.skip("LFM_EXPECT_LIBDIR not set")
    loaded = os.path.realpath(lfm._native.lib._name)
    assert os.path.dirname(loaded) == os.path.realpath(expected), loaded


def test_version_matches_package():
    assert lfm.version() == "0.2.0"


def test_sign_matches_an_independent_implementation():
    params = {"method": "auth.getSession", "token": "t +&=%", "api_key": "k", "format": "json"}
    expected = hashlib.md5(
        "".join(k + v for k, v in sorted(params.items()) if k != "format").encode() + "sëcret".encode()
    ).hexdigest()
    assert lfm.sign(params, "sëcret") == expected
    with pytest.raises(lfm.LfmError) as e:
        lfm.sign([("a", "1"), ("a", "2")], "s")
    assert e.value.status == lfm.Status.INVALID_ARGUMENT


def test_scrobble_eligible():
    assert not lfm.scrobble_eligible(30, 30)
    assert lfm.scrobble_eligible(200, 100)


def test_wrong_password_is_api_error_4(client, env):
    with pytest.raises(lfm.LfmError) as e:
        client.get_mobile_session(env("LFM_USERNAME"), "not the password")
    err = e.value
    assert err.status == lfm.Status.API
    assert err.api_code == 4
    assert err.http_status != 0
    assert not err.retryable
    assert "not the password" not in str(err)


def test_session_signed_call_now_playing_and_scrobble(client, session):
    assert session.key and session.name == "RJ"
    assert session.key not in repr(session)

    loved = json.loads(client.call("track.love", {"artist": "Björk", "track": "Jóga"}, lfm.CallFlags.WRITE))
    assert "error" not in loved

    client.update_now_playing(lfm.Track("Björk", f"np {TAG}", album="Homogenic"))
    assert json.loads(client.call("mock.nowPlaying"))["track"] == f"np {TAG}"

    now = int(time.time())
    tracks = [
        lfm.Track("Björk", f"scrobble 1 {TAG}", album="Homogenic", timestamp=now - 600, duration_secs=305),
        lfm.Track("Sigur Rós", f"scrobble 2 {TAG}", timestamp=now - 300),
    ]
    result = client.scrobble(tracks)
    assert (result.accepted, result.ignored) == (2, 0)
    assert [v.ignored_code for v in result.verdicts] == [0, 0]
    stored = stored_scrobbles(client)
    for t in tracks:
        assert stored[t.title]["artist"] == t.artist
        assert stored[t.title]["timestamp"] == t.timestamp
    assert stored[f"scrobble 1 {TAG}"]["album"] == "Homogenic"


def test_injected_errors_keep_their_codes(client):
    client.call("mock.fault", {"kind": "api_error", "code": "11"})
    with pytest.raises(lfm.LfmError) as e:
        client.call("user.getInfo", {"user": "RJ"})
    assert (e.value.status, e.value.api_code, e.value.retryable) == (lfm.Status.API, 11, True)

    client.call("mock.fault", {"kind": "drop"})
    with pytest.raises(lfm.LfmError) as e:
        client.call("user.getInfo", {"user": "RJ"})
    assert e.value.status == lfm.Status.NETWORK and e.value.retryable

    with pytest.raises(lfm.LfmError) as e:  # no session key
        client.call("track.love", {"artist": "a", "track": "b"}, lfm.CallFlags.WRITE)
    assert e.value.status == lfm.Status.NO_SESSION


def test_threads_share_one_client(client, session):
    now = int(time.time())
    errors, results = [], []

    def worker(i):
        try:
            r = client.scrobble([lfm.Track("Thread", f"thread {i} {TAG}", timestamp=now - 1000 - i)])
            results.append(r.accepted)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [1] * 12
    stored = stored_scrobbles(client)
    assert all(f"thread {i} {TAG}" in stored for i in range(12))


def test_queue_push_and_flush(client, session, tmp_path):
    now = int(time.time())
    plays = [lfm.Track("Queue", f"queued {i} {TAG}", timestamp=now - 500 + i) for i in range(3)]
    path = tmp_path / "plays.lfmq"
    with lfm.Queue(path) as q:
        for p in plays:
            q.push(p)
        q.push(plays[0])  # duplicate: nothing added
        assert len(q) == 3
        entries = q.list()
        assert [e.track.title for e in entries] == [p.title for p in plays]
        assert not any(e.rejected for e in entries)
        assert q.damage_report() is None
        with pytest.raises(lfm.LfmError) as e:
            lfm.Queue(path)  # held by q
        assert e.value.status == lfm.Status.IO
        assert q.flush(client) == 3
        assert len(q) == 0
    stored = stored_scrobbles(client)
    assert all(stored[p.title]["timestamp"] == p.timestamp for p in plays)

    # The queue survives close/reopen: push, close, reopen, flush.
    with lfm.Queue(path) as q:
        q.push(lfm.Track("Queue", f"reopened {TAG}", timestamp=now - 50))
    with lfm.Queue(path) as q:
        assert len(q) == 1
        assert q.flush(client) == 1
    assert f"reopened {TAG}" in stored_scrobbles(client)


def test_queue_counts_isolated_failures(client, session, tmp_path):
    """The mock fails a [server-error] play alone (error 8) and accepts the other: the play
    stays pending with one isolated failure, read through lfm_queue_entry.isolated_failures."""
    now = int(time.time())
    bad = lfm.Track("Queue", f"stored already [server-error] {TAG}", timestamp=now - 40)
    with lfm.Queue(tmp_path / "isolated.lfmq") as q:
        q.push(bad)
        q.push(lfm.Track("Queue", f"accepted beside it {TAG}", timestamp=now - 30))
        assert q.flush(client) == 1
        [entry] = q.list()
        assert (entry.track.title, entry.rejected, entry.isolated_failures) == (bad.title, False, 1)
        assert entry.attempts >= entry.isolated_failures
        assert "Operation failed" in entry.last_error


def test_closed_objects_refuse_calls(env):
    c = lfm.Client(env("LFM_API_KEY"), env("LFM_API_SECRET"))
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(ValueError):
        c.call("user.getInfo")


def test_token_flow_and_logger(client, env):
    client.set_connect_timeout_ms(5000)
    client.set_proxy(None)
    lines = []
    lock = threading.Lock()

    def logger(level, message):
        with lock:
            lines.append((level, message))

    client.set_logger(logger, lfm.LogLevel.DEBUG)
    token = client.get_token()
    assert token and f"token={token}" in client.auth_url(token)
    with pytest.raises(lfm.LfmError) as e:
        client.get_session(token)
    assert e.value.api_code == 14
    client.call("mock.approveToken", {"token": token})
    assert client.get_session(token).name == "RJ"
    client.get_mobile_session(env("LFM_USERNAME"), env("LFM_PASSWORD"))
    client.set_logger(None)
    assert lines and all(isinstance(level, lfm.LogLevel) for level, _ in lines)
    assert not any(env("LFM_PASSWORD") in m or token in m for _, m in lines)


# --- the scrobbler engine ----------------------------------------------------------------------

class FakeClock:
    """The scrobbler's injected clock (Unix ms), moved by the test only."""

    def __init__(self, start_s: int):
        self.ms = start_s * 1000
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            return self.ms

    def advance(self, secs: int) -> None:
        with self.lock:
            self.ms += secs * 1000

    @property
    def secs(self) -> int:
        return self() // 1000


class Recorder:
    """A listener keeping every event, in the order the scrobbler reported them."""

    def __init__(self):
        self.events = []
        self.cv = threading.Condition()

    def __call__(self, event):
        with self.cv:
            self.events.append(event)
            self.cv.notify_all()

    def wait_for(self, predicate, timeout=30):
        with self.cv:
            assert self.cv.wait_for(lambda: predicate(self.events), timeout), self.events
            return list(self.events)

    def of(self, kind):
        with self.cv:
            return [e for e in self.events if e.kind == kind]


def stored_plays(client, tag):
    """(artist, track, timestamp) of every scrobble the mock stored whose title has `tag`."""
    return sorted((s["artist"], s["track"], s["timestamp"])
                  for s in json.loads(client.call("mock.scrobbles"))["scrobbles"] if tag in s["track"])


def test_scrobbler_plays_a_session_with_an_injected_clock(client, session, tmp_path):
    """A real play sequence through lfm.Scrobbler with the test's clock: what the server
    stores is exactly the plays that counted, each stamped with the moment it started."""
    tag = f"engine {TAG}"
    clock = FakeClock(int(time.time()) - 3 * 3600)  # the session fits before now, at any speed
    events = Recorder()
    t = lambda name, **kw: lfm.Track("Python Engine", f"{name} {tag}", duration_secs=200, **kw)  # noqa: E731
    np = lambda: [e.track.title for e in events.of(lfm.EventKind.NOW_PLAYING)]  # noqa: E731
    expected = []
    with lfm.Scrobbler(client, tmp_path / "engine.lfmq", listener=events, clock=clock) as s:
        # A full play: due at half its 200 s.
        s.play(t("full", album="Engine Room", chosen_by_user=True))
        expected.append(("Python Engine", f"full {tag}", clock.secs))
        clock.advance(101)
        s.stop()
        # Paused for an hour in the middle: the pause adds nothing, one scrobble, its start
        # time; resuming after so long a pause sends now playing again.
        s.play(t("paused"))
        expected.append(("Python Engine", f"paused {tag}", clock.secs))
        events.wait_for(lambda _: np().count(f"paused {tag}") == 1)
        clock.advance(50)
        s.pause()
        clock.advance(3600)
        s.resume()
        events.wait_for(lambda _: np().count(f"paused {tag}") == 2)
        clock.advance(51)
        s.stop()
        # A skip at 20 %: no scrobble.
        s.play(t("skipped"))
        clock.advance(40)
        s.stop()
        # Seeking back and forth adds no listened time and starts no new play.
        s.play(t("seeked"))
        expected.append(("Python Engine", f"seeked {tag}", clock.secs))
        clock.advance(60)
        s.seek(180_000)
        clock.advance(20)
        s.seek(0)
        clock.advance(21)
        s.stop()
        # Repeat-one, twice: two plays, two timestamps.
        for _ in range(2):
            s.play(t("repeated"))
            expected.append(("Python Engine", f"repeated {tag}", clock.secs))
            clock.advance(101)
        s.stop()
        # The mock's autocorrect table: "beatles" is stored as "The Beatles".
        s.play(lfm.Track("beatles", f"corrected {tag}", duration_secs=200))
        expected.append(("The Beatles", f"corrected {tag}", clock.secs))
        clock.advance(101)
        s.stop()
        assert s.drain(30_000) == 0
        assert s.pending() == 0
        # Events reach the listener after the fact, from the delivery thread: wait for them
        # (close() reports nothing more).
        events.wait_for(lambda ev: len([e for e in ev if e.kind == lfm.EventKind.DELIVERED])
                        == len(expected))

    assert stored_plays(client, tag) == sorted(expected)

    seen = events.events
    assert not [e for e in seen if e.kind in (lfm.EventKind.REJECTED, lfm.EventKind.DEFERRED,
                                              lfm.EventKind.AUTH_LOST)], seen
    starts = [(e.track.title, e.track.timestamp) for e in events.of(lfm.EventKind.QUEUED)]
    assert starts == [(title, ts) for _, title, ts in expected]
    delivered = events.of(lfm.EventKind.DELIVERED)
    assert [(e.track.title, e.track.timestamp) for e in delivered] == starts
    for e in delivered:  # each play queued before it was delivered
        assert seen.index(e) > next(i for i, q in enumerate(seen) if q.kind == lfm.EventKind.QUEUED
                                    and q.track == e.track)
    [corrected] = [e for e in delivered if e.track.artist == "beatles"]
    assert corrected.corrections == lfm.Corrections(artist="The Beatles")
    assert not any(e.corrections for e in delivered if e is not corrected)
    assert delivered[0].track.album == "Engine Room" and delivered[0].track.chosen_by_user is True
    assert np().count(f"paused {tag}") == 2


def test_scrobbler_keeps_plays_through_auth_lost_and_close(client, session, env, tmp_path):
    """A revoked session key: AUTH_LOST (code 9), the play kept in the queue file through
    close; the next Scrobbler on the file delivers it once a new session key is set. A
    listener that raises does not stop the scrobbler."""
    client.call("mock.revokeSessions")  # every session: "sk" is a name the library reserves
    clock = FakeClock(int(time.time()) - 3600)
    events = Recorder()

    def listener(event):
        events(event)
        raise RuntimeError("a listener bug must not reach the library")

    path = tmp_path / "kept.lfmq"
    title = f"kept {TAG}"
    s = lfm.Scrobbler(client, path, listener=listener, clock=clock)
    s.set_unknown_duration(lfm.UnknownDuration.AFTER_4_MINUTES)
    s.set_now_playing_after_pause_ms(None)
    s.play(lfm.Track("Python Engine", title, chosen_by_user=False))  # unknown duration: 4 minutes
    started = clock.secs
    clock.advance(239)
    s.stop()
    assert not events.of(lfm.EventKind.QUEUED)
    s.play(lfm.Track("Python Engine", title, chosen_by_user=False))
    started = clock.secs
    clock.advance(240)
    s.stop()
    events.wait_for(lambda ev: any(e.kind == lfm.EventKind.AUTH_LOST for e in ev))
    [lost] = events.of(lfm.EventKind.AUTH_LOST)
    assert (lost.code, lost.track) == (9, None)
    assert s.pending() == 1
    s.close(5000)
    s.close()  # idempotent
    with pytest.raises(ValueError):
        s.play(lfm.Track("a", "b"))
    with lfm.Queue(path) as q:
        [entry] = q.list()
        assert (entry.track.title, entry.track.timestamp, entry.track.chosen_by_user) == (title, started, False)
    assert stored_plays(client, title) == []

    client.get_mobile_session(env("LFM_USERNAME"), env("LFM_PASSWORD"))
    again = Recorder()
    with lfm.Scrobbler(client, path, listener=again) as s2:
        assert s2.drain(30_000) == 0
        again.wait_for(lambda ev: any(e.kind == lfm.EventKind.DELIVERED for e in ev))
        [delivered] = again.of(lfm.EventKind.DELIVERED)
    assert (delivered.track.title, delivered.track.timestamp) == (title, started)
    assert stored_plays(client, title) == [("Python Engine", title, started)]


def test_scrobbler_close_while_the_listener_uses_it(client, session, tmp_path):
    """close() waits for a listener call under way; that call using the scrobbler gets
    'closed' (ValueError) instead of a deadlock."""
    entered, go, outcome = threading.Event(), threading.Event(), []

    def listener(event):
        if entered.is_set():
            return
        entered.set()
        go.wait(30)
        try:
            outcome.append(s.pending())
        except ValueError as e:
            outcome.append(e)

    s = lfm.Scrobbler(client, tmp_path / "reentrant.lfmq", listener=listener)
    s.play(lfm.Track("Python Engine", f"reentrant {TAG}", duration_secs=200))
    assert entered.wait(30)  # the listener is running (now playing), held
    closer = threading.Thread(target=s.close, args=(5000,), daemon=True)
    closer.start()
    deadline = time.monotonic() + 10
    while not s.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    go.set()
    closer.join(30)
    assert not closer.is_alive(), "close() and the listener deadlocked"
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError) and "closed" in str(outcome[0])


def test_scrobble_result_reports_corrections(client, session):
    now = int(time.time())
    result = client.scrobble([lfm.Track("beatles", f"let it be {TAG}", album="let it be", timestamp=now - 900),
                              lfm.Track("Björk", f"uncorrected {TAG}", timestamp=now - 600)])
    assert [v.corrections for v in result.verdicts] == [
        lfm.Corrections(artist="The Beatles", album="Let It Be"), lfm.Corrections()]


# --- reads -------------------------------------------------------------------------------------

def test_pager_walks_every_play_once_without_now_playing(client):
    """450 plays (every 5th sharing a second with the next) over pages of 100, a track
    playing, error 8 on page 2: every play once, newest first, and no now-playing item."""
    client.call("mock.loadPlays", {"count": "450", "shared_every": "5", "now_playing": "1"})
    client.call("mock.pageFault", {"method_name": "user.getRecentTracks", "page": "2", "code": "8"})
    want = [(p["uts"], p["artist"], p["track"]) for p in json.loads(client.call("mock.plays"))["plays"]]
    assert len(want) >= 450

    with client.pages("user.getRecentTracks", {"user": "RJ", "limit": "100"}) as pager:
        assert pager.total is None and pager.page == 0
        pages = list(pager)
        assert pager.total == len(want)
        assert pager.page == pager.total_pages == len(pages)
        mark = pager.mark()
    got = [(p["date"]["uts"], p["artist"]["name"], p["name"]) for page in pages for p in json.loads(page)]
    assert not any("nowplaying" in p for page in pages for p in json.loads(page))
    assert got == want

    # An incremental import from the mark gets exactly the plays added since, the one that
    # shares the newest second of the first walk included.
    client.call("mock.addPlays", {"count": "3", "at": str(want[0][0]), "step": "60", "seed": "7"})
    after = [(p["uts"], p["artist"], p["track"]) for p in json.loads(client.call("mock.plays"))["plays"]]
    added = list((collections.Counter(after) - collections.Counter(want)).elements())
    assert len(added) == 3 and min(added)[0] == want[0][0]
    with lfm.Pager(client, "user.getRecentTracks", {"user": "RJ"}, after=mark) as pager:
        new = [(p["date"]["uts"], p["artist"]["name"], p["name"]) for p in pager.items()]
    assert sorted(new) == sorted(added) and len(new) == 3


def test_pager_resumes_from_its_state_after_an_error(client):
    """Retries off, error 11 on page 2: next() raises with the pager still on page 2; its
    state, resumed, delivers the rest with no gap and no repeat."""
    client.call("mock.loadPlays", {"count": "30", "start": "1600000000"})
    window = {"user": "RJ", "limit": "10", "from": "1600000000", "to": "1700000000"}
    want = [p["uts"] for p in json.loads(client.call("mock.plays"))["plays"] if p["uts"] <= 1700000000]
    client.call("mock.pageFault", {"method_name": "user.getRecentTracks", "page": "2", "code": "11"})
    pager = lfm.Pager(client, "user.getRecentTracks", window)
    pager.set_max_attempts(1)
    got = [p["date"]["uts"] for p in json.loads(next(pager))]
    with pytest.raises(lfm.LfmError) as e:
        next(pager)
    assert (e.value.api_code, pager.page) == (11, 1)
    state = pager.state()
    pager.close()
    with lfm.Pager.resume(client, state) as resumed:
        got += [p["date"]["uts"] for p in resumed.items()]
    assert got == want and len(got) == 30


def test_normalized_and_retried_calls(client):
    raw = json.loads(client.call("user.getInfo", {"user": "RJ"}))
    normalized = json.loads(client.call("user.getInfo", {"user": "RJ"}, lfm.CallFlags.NORMALIZE))
    assert isinstance(raw["user"]["playcount"], str)
    assert normalized["user"]["playcount"] == int(raw["user"]["playcount"])
    assert isinstance(normalized["user"]["image"], dict)

    client.call("mock.fault", {"kind": "api_error", "code": "16"})
    retried = json.loads(client.call("user.getInfo", {"user": "RJ"},
                                     lfm.CallFlags.NORMALIZE | lfm.CallFlags.RETRY))
    assert retried == normalized
    with pytest.raises(lfm.LfmError) as e:
        client.pages("user.getInfo")
    assert e.value.status == lfm.Status.INVALID_ARGUMENT
