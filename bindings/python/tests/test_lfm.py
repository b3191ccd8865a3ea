"""The Python binding against the mock server (scripts/mock-env.sh sets the environment)."""

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
