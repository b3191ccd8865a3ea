"""Python binding of liblfm, a thread-safe client for the Last.fm web API 2.0 (ctypes).

    import lfm

    with lfm.Client(API_KEY, API_SECRET) as client:
        client.base_url = "https://ws.audioscrobbler.com/2.0/"      # the default
        try:
            session = client.get_mobile_session("rj", password)
        except lfm.LfmError as e:
            if e.api_code == 4: ...                                  # wrong password
        client.scrobble([lfm.Track("Björk", "Jóga", timestamp=started)])
        with lfm.Scrobbler(client, "plays.lfmq", listener=print) as s:  # the engine
            s.play(lfm.Track("Björk", "Jóga", duration_secs=305)); s.stop()
        for page in client.pages("user.getRecentTracks", {"user": "rj"}): ...

Errors are :class:`LfmError` (``status``, ``api_code``, ``http_status``, ``retry_after_ms``,
``retryable``). Blocking calls release the GIL, and a :class:`Client` or :class:`Queue` may
be shared by any number of threads; ``close()`` waits for calls in flight. The library is
located through ``$LFM_LIBRARY``, then pkg-config, then the system search path.
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from ctypes import byref, c_size_t, c_void_p
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._abi import (CallFlags, Chosen, EventKind, HeaderVersion, LogLevel, RootStore, Service,
                   Status, UnknownDuration)
from ._native import LibraryNotFound, lib

__all__ = [
    "CallFlags", "Chosen", "Client", "Corrections", "Event", "EventKind", "HeaderVersion",
    "LfmError", "LibraryNotFound", "LogLevel", "Pager", "RootStore", "Service", "Queue", "QueueEntry",
    "ScrobbleResult", "Scrobbler", "Session", "Status", "Track", "UnknownDuration", "Verdict",
    "scrobble_eligible", "sign", "version",
]


class LfmError(Exception):
    """A failed liblfm call."""

    def __init__(self, status: int, api_code: int, http_status: int, retry_after_ms: int,
                 retryable: bool, message: str):
        try:
            self.status: Union[Status, int] = Status(status)
        except ValueError:
            self.status = status
        self.api_code = api_code            # Last.fm error code for Status.API, else 0
        self.http_status = http_status      # HTTP status of the reply, 0 when none
        self.retry_after_ms = retry_after_ms  # suggested wait before retrying, 0 when none
        self.retryable = retryable          # whether the same request may succeed later
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        name = self.status.name if isinstance(self.status, Status) else str(self.status)
        code = f", Last.fm error {self.api_code}" if self.api_code else ""
        http = f", HTTP {self.http_status}" if self.http_status else ""
        return f"{name}{code}{http}: {self.message}"


def _check(status: int, err: c_void_p) -> None:
    """Raise LfmError for a failed status; always frees the C error."""
    try:
        if status != Status.OK:
            e = err.value
            msg = lib.lfm_error_message(e) or b""
            raise LfmError(status, lib.lfm_error_api_code(e), lib.lfm_error_http_status(e),
                           lib.lfm_error_retry_after_ms(e), bool(lib.lfm_error_is_retryable(e)),
                           msg.decode("utf-8", "replace") or lib.lfm_status_str(status).decode())
    finally:
        lib.lfm_error_free(err)


def _invoke(fn, *args) -> None:
    """Call a fallible C function with a trailing lfm_error** and raise on failure."""
    err = c_void_p()
    _check(fn(*args, byref(err)), err)


def _take_string(ptr: c_void_p) -> Optional[str]:
    """Copy a library-owned string out and free it; None for NULL."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.lfm_string_free(ptr)


def _enc(s: str) -> bytes:
    if "\0" in s:
        raise LfmError(Status.INVALID_ARGUMENT, 0, 0, 0, False, "a string contains a NUL character")
    return s.encode("utf-8")


def _dec(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8")


def _guarded(fn, fallback=None):
    """Wrap a Python function called from C: an exception it raises is printed and swallowed
    (it must never unwind into the library), and ``fallback()`` is returned instead."""

    def call(*args):
        try:
            return fn(*args)
        except BaseException:  # noqa: BLE001 - must not propagate into C
            traceback.print_exc(file=sys.stderr)
            return None if fallback is None else fallback()

    return call


Params = Union[Mapping[str, str], Iterable[Tuple[str, str]]]


def _params(params: Optional[Params]):
    items = list(params.items() if isinstance(params, Mapping) else (params or []))
    arr = (_native.lfm_param * max(len(items), 1))()
    for i, (name, value) in enumerate(items):
        arr[i].name = _enc(name)
        arr[i].value = _enc(value)
    return arr, len(items)


def version() -> str:
    """The library's version, e.g. "0.2.0"."""
    return lib.lfm_version().decode()


def sign(params: Params, api_secret: str) -> str:
    """The api_sig of a request (see lfm_sign)."""
    arr, n = _params(params)
    out = c_void_p()
    _invoke(lib.lfm_sign, arr, n, _enc(api_secret), byref(out))
    return _take_string(out) or ""


def scrobble_eligible(duration_secs: int, played_secs: int) -> bool:
    """Last.fm's rule: longer than 30 s, played for half its length or 4 minutes."""
    return bool(lib.lfm_scrobble_eligible(duration_secs, played_secs))


@dataclass
class Track:
    """A played (or playing) track; None/0 fields are not sent."""

    artist: str
    title: str                # the track's title (lfm_track.track in C)
    album: Optional[str] = None
    album_artist: Optional[str] = None
    mbid: Optional[str] = None
    timestamp: int = 0        # UTC Unix seconds when playback started
    duration_secs: int = 0
    track_number: int = 0
    chosen_by_user: Optional[bool] = None  # Last.fm's chosenByUser; None = unknown, not sent

    def _to_c(self) -> _native.lfm_track:
        opt = lambda s: _enc(s) if s else None  # noqa: E731
        chosen = {None: Chosen.UNKNOWN, True: Chosen.YES, False: Chosen.NO}[self.chosen_by_user]
        return _native.lfm_track(_enc(self.artist), _enc(self.title), opt(self.album),
                                 opt(self.album_artist), opt(self.mbid), self.timestamp,
                                 self.duration_secs, self.track_number, int(chosen))

    @classmethod
    def _from_c(cls, t: _native.lfm_track) -> "Track":
        chosen = {Chosen.YES: True, Chosen.NO: False}.get(t.chosen_by_user)
        return cls(_dec(t.artist) or "", _dec(t.track) or "", _dec(t.album), _dec(t.album_artist),
                   _dec(t.mbid), t.timestamp, t.duration_secs, t.track_number, chosen)


@dataclass(frozen=True)
class Session:
    key: str   # a secret: never log it
    name: str  # the account's canonical name

    def __repr__(self) -> str:  # keep the key out of logs
        return f"Session(key=<{len(self.key)} chars>, name={self.name!r})"


@dataclass(frozen=True)
class Corrections:
    """Last.fm's corrections to a play's names (its autocorrect); None where it changed
    nothing. False when it corrected nothing at all."""

    artist: Optional[str] = None
    title: Optional[str] = None  # the track's title (corrected_track in C)
    album: Optional[str] = None

    @classmethod
    def _from_c(cls, c) -> "Corrections":
        """From any C struct with corrected_artist/_track/_album (copies the strings)."""
        return cls(_dec(c.corrected_artist), _dec(c.corrected_track), _dec(c.corrected_album))

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.artist, self.title, self.album))


@dataclass(frozen=True)
class Verdict:
    ignored_code: int     # 0 accepted; 1-5 Last.fm's ignored codes
    ignored_message: str  # "" when accepted
    corrections: Corrections = field(default_factory=Corrections)


@dataclass(frozen=True)
class ScrobbleResult:
    accepted: int
    ignored: int
    verdicts: Tuple[Verdict, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class QueueEntry:
    id: int
    track: Track
    queued_at: int
    rejected: bool
    ignored_code: int
    api_code: int
    reason: Optional[str]
    attempts: int             # failed delivery attempts
    isolated_failures: int    # of those, failures of this play alone (rejected at 3)
    last_error: Optional[str]


class _Handle:
    """Owns a C handle: calls run concurrently; close() waits for them, then frees once."""

    def __init__(self, ptr: int, free, kind: str):
        self._ptr: Optional[int] = ptr
        self._free = free
        self._kind = kind
        self._cv = threading.Condition()
        self._busy = 0

    @contextmanager
    def use(self) -> Iterator[int]:
        with self._cv:
            if self._ptr is None:
                raise ValueError(f"operation on a closed {self._kind}")
            self._busy += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            with self._cv:
                self._busy -= 1
                self._cv.notify_all()

    def close(self, *free_args) -> None:
        with self._cv:
            while self._busy:
                self._cv.wait()
            ptr, self._ptr = self._ptr, None
        # Freed outside the lock: a scrobbler's free waits for a listener call under way,
        # and that call may use the handle (it then gets "closed" instead of a deadlock).
        if ptr is not None:
            self._free(ptr, *free_args)

    @property
    def closed(self) -> bool:
        return self._ptr is None


class _Owner:
    """What Client and Queue share: one owned C handle, closed explicitly, by `with`, or when
    the object is collected."""

    _h: _Handle

    def close(self) -> None:
        """Wait for calls in flight, then free the C object. Idempotent."""
        self._h.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None:
            h.close()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def _do(self, fn, *args) -> None:
        with self._h.use() as ptr:
            _invoke(fn, ptr, *args)

    def _string(self, fn, *args) -> Optional[str]:
        """``fn(handle, *args, char **out, lfm_error **)``: the library-owned string it
        gives, copied and freed (also when the call fails); None for NULL."""
        out = c_void_p()
        try:
            self._do(fn, *args, byref(out))
        finally:
            text = _take_string(out)
        return text


class Client(_Owner):
    """A Last.fm API client. Use as a context manager, or call close()."""

    def __init__(self, api_key: str, api_secret: str):
        out = c_void_p()
        _invoke(lib.lfm_client_new, _enc(api_key), _enc(api_secret), byref(out))
        self._h = _Handle(out.value, lib.lfm_client_free, "Client")

    # Settings: write-only properties (the C API has no getters) and plain setters.
    def set_base_url(self, url: str) -> None:
        self._do(lib.lfm_client_set_base_url, _enc(url))

    def set_session_key(self, key: Optional[str]) -> None:
        """Set the session key used by CallFlags.SESSION calls; None clears it."""
        self._do(lib.lfm_client_set_session_key, None if key is None else _enc(key))

    def set_timeout_ms(self, ms: int) -> None:
        self._do(lib.lfm_client_set_timeout_ms, ms)

    def set_user_agent(self, user_agent: str) -> None:
        self._do(lib.lfm_client_set_user_agent, _enc(user_agent))

    def set_ca_file(self, pem_path: str) -> None:
        self._do(lib.lfm_client_set_ca_file, _enc(pem_path))

    def set_allow_insecure_http(self, allow: bool) -> None:
        self._do(lib.lfm_client_set_allow_insecure_http, bool(allow))

    def set_rate_limit(self, max_requests_per_second: int) -> None:
        """Pace requests (default 5/s, shared by all threads); 0 turns pacing off."""
        self._do(lib.lfm_client_set_rate_limit, max_requests_per_second)

    def set_max_batch(self, max_tracks: int) -> None:
        self._do(lib.lfm_client_set_max_batch, max_tracks)

    def set_connect_timeout_ms(self, ms: int) -> None:
        self._do(lib.lfm_client_set_connect_timeout_ms, ms)

    def set_service(self, service: Service) -> None:
        """Point at a built-in service (API root and authorisation page)."""
        self._do(lib.lfm_client_set_service, int(service))

    def set_auth_url(self, url: str) -> None:
        self._do(lib.lfm_client_set_auth_url, _enc(url))

    def set_proxy(self, proxy_url: Optional[str]) -> None:
        """http:// or socks5:// (socks5h, socks4) proxy URL; None connects directly."""
        self._do(lib.lfm_client_set_proxy, None if proxy_url is None else _enc(proxy_url))

    def set_root_store(self, store: RootStore) -> None:
        self._do(lib.lfm_client_set_root_store, int(store))

    def set_logger(self, logger, max_level: LogLevel = LogLevel.INFO) -> None:
        """Send log lines to ``logger(level: LogLevel, message: str)``; None turns logging
        off. It runs on whichever thread logs, possibly several at once. Exceptions it raises
        are printed and swallowed. Every logger set is kept alive with the client, since calls
        that started earlier may still use it."""
        if logger is None:
            self._do(lib.lfm_client_set_logger, None, int(max_level), None)
            return

        def trampoline(_user_data, level, message):
            logger(LogLevel(level), (message or b"").decode("utf-8", "replace"))

        callback = _native.LOG_FN(_guarded(trampoline))
        self._loggers = getattr(self, "_loggers", []) + [callback]
        self._do(lib.lfm_client_set_logger, ctypes.cast(callback, c_void_p), int(max_level), None)

    def get_token(self) -> str:
        """Desktop login, step 1: a request token (auth.getToken)."""
        return self._string(lib.lfm_get_token) or ""

    def auth_url(self, token: Optional[str], callback_url: Optional[str] = None) -> str:
        """The page the user opens to approve the application. No I/O."""
        return self._string(lib.lfm_auth_url, None if token is None else _enc(token),
                            None if callback_url is None else _enc(callback_url)) or ""

    def get_session(self, token: str) -> Session:
        """Exchange an approved token for a session; before approval: LfmError, api_code 14."""
        key, name = c_void_p(), c_void_p()
        try:
            self._do(lib.lfm_get_session, _enc(token), byref(key), byref(name))
        finally:
            k, n = _take_string(key), _take_string(name)
        return Session(k or "", n or "")

    base_url = property(fset=set_base_url, doc="API root URL (write-only)")
    session_key = property(fset=set_session_key, doc="session key (write-only; None clears)")
    timeout_ms = property(fset=set_timeout_ms, doc="per-request bound (write-only)")
    user_agent = property(fset=set_user_agent, doc="User-Agent (write-only)")
    rate_limit = property(fset=set_rate_limit, doc="requests per second, 0 = off (write-only)")

    def get_mobile_session(self, username: str, password: str) -> Session:
        """Log in (auth.getMobileSession); the key is also kept by the client.
        A wrong password raises LfmError with api_code 4."""
        key, name = c_void_p(), c_void_p()
        try:
            self._do(lib.lfm_get_mobile_session, _enc(username), _enc(password),
                     byref(key), byref(name))
        finally:
            k, n = _take_string(key), _take_string(name)
        return Session(k or "", n or "")

    def call(self, method: str, params: Optional[Params] = None,
             flags: CallFlags = CallFlags.NONE) -> str:
        """Call any API method; returns the JSON body as received (CallFlags.NORMALIZE:
        in liblfm's normalized shape; CallFlags.RETRY: retried through transient errors)."""
        arr, n = _params(params)
        return self._string(lib.lfm_call, _enc(method), arr, n, int(flags)) or ""

    def pages(self, method: str, params: Optional[Params] = None,
              flags: CallFlags = CallFlags.NONE) -> "Pager":
        """Every page of a paginated method (user.getRecentTracks, user.getLovedTracks,
        user.getTopArtists), each a JSON array of its normalized items: ``for page in
        client.pages("user.getRecentTracks", {"user": "rj"})``. See :class:`Pager`."""
        return Pager(self, method, params, flags)

    def update_now_playing(self, track: Track) -> None:
        t = track._to_c()
        self._do(lib.lfm_update_now_playing, byref(t))

    def scrobble(self, tracks: Sequence[Track]) -> ScrobbleResult:
        """Scrobble tracks (batched, in order); returns per-track verdicts."""
        arr = (_native.lfm_track * max(len(tracks), 1))(*[t._to_c() for t in tracks])
        out = c_void_p()
        self._do(lib.lfm_scrobble, arr, len(tracks), byref(out))
        try:
            r = out.value
            verdicts = []
            for i in range(lib.lfm_scrobble_result_count(r)):
                v = _native.lfm_scrobble_verdict()
                _invoke(lib.lfm_scrobble_result_get, r, i, byref(v))
                verdicts.append(Verdict(v.ignored_code, _dec(v.ignored_message) or "",
                                        Corrections._from_c(v)))
            return ScrobbleResult(lib.lfm_scrobble_result_accepted(r),
                                  lib.lfm_scrobble_result_ignored(r), tuple(verdicts))
        finally:
            lib.lfm_scrobble_result_free(out)


class Queue(_Owner):
    """A durable queue of plays stored in one file (see lfm_queue_open)."""

    def __init__(self, path: str):
        out = c_void_p()
        _invoke(lib.lfm_queue_open, _enc(str(path)), byref(out))
        self._h = _Handle(out.value, lib.lfm_queue_free, "Queue")

    def push(self, track: Track) -> None:
        """Queue a play; it is on disk when this returns. Duplicates are ignored."""
        t = track._to_c()
        self._do(lib.lfm_queue_push, byref(t))

    def __len__(self) -> int:
        """Plays waiting to be sent (rejected ones are not counted)."""
        n = c_size_t()
        self._do(lib.lfm_queue_len, byref(n))
        return n.value

    def flush(self, client: Client) -> int:
        """Send the queued plays; returns how many were accepted. On failure raises
        LfmError with ``sent`` set to the plays accepted before it."""
        sent = c_size_t()
        with client._h.use() as cptr:
            try:
                self._do(lib.lfm_queue_flush, cptr, byref(sent))
            except LfmError as e:
                e.sent = sent.value
                raise
        return sent.value

    def list(self) -> list:
        """Every play, pending and rejected, oldest first."""
        out = c_void_p()
        self._do(lib.lfm_queue_list, byref(out))
        try:
            entries = []
            for i in range(lib.lfm_queue_entries_count(out)):
                e = _native.lfm_queue_entry()
                _invoke(lib.lfm_queue_entries_get, out, i, byref(e))
                entries.append(QueueEntry(e.id, Track._from_c(e.track), e.queued_at,
                                          bool(e.rejected), e.ignored_code, e.api_code,
                                          _dec(e.reason), e.attempts, e.isolated_failures,
                                          _dec(e.last_error)))
            return entries
        finally:
            lib.lfm_queue_entries_free(out)

    def remove(self, entry_id: int) -> None:
        self._do(lib.lfm_queue_remove, entry_id)

    def retry(self, entry_id: int) -> None:
        self._do(lib.lfm_queue_retry, entry_id)

    def set_max_age_days(self, days: int) -> None:
        """Reject plays older than ``days`` when a flush reaches them (default 14); 0 = none."""
        self._do(lib.lfm_queue_set_max_age_days, days)

    def damage_report(self) -> Optional[str]:
        out = c_void_p()
        self._do(lib.lfm_queue_damage_report, byref(out))
        return _take_string(out)


@dataclass(frozen=True)
class Event:
    """Something a :class:`Scrobbler` did (copied out of the C event: keep it freely)."""

    kind: Union[EventKind, int]  # an int for a kind this binding does not know yet
    track: Optional[Track]       # the play (timestamp: when it started); None for DEFERRED, AUTH_LOST
    code: int                    # Last.fm's ignored code or API error, 0 if none
    message: str                 # reason or error text, "" if none; never a secret
    retry_after_ms: int          # DEFERRED: ms (by the scrobbler's clock) until the next try
    corrections: Corrections     # Last.fm's corrections (NOW_PLAYING, DELIVERED); falsy if none

    @classmethod
    def _from_c(cls, e: _native.lfm_scrobbler_event) -> "Event":
        try:
            kind: Union[EventKind, int] = EventKind(e.kind)
        except ValueError:
            kind = e.kind
        track = Track._from_c(e.track.contents) if e.track else None
        return cls(kind, track, e.code, (e.message or b"").decode("utf-8", "replace"),
                   e.retry_after_ms, Corrections._from_c(e))


# Native callbacks of closed scrobblers. A scrobbler freed from inside its listener, or one
# whose thread outlived close()'s timeout, may still hold them: they stay valid (and inert)
# for the life of the process. A few hundred bytes per scrobbler.
_RETIRED_CALLBACKS: list = []


class Scrobbler(_Owner):
    """The scrobbling engine for one player: tell it what the player does, it decides when a
    play counts (Last.fm's rule on time actually listened: pauses and seeks excluded), sends
    now playing, and delivers through the durable queue file at ``queue_path`` on its own
    threads, with back-off. Plays not delivered when it closes stay in the file for the next
    Scrobbler on it.

        with lfm.Scrobbler(client, "plays.lfmq", listener=print) as s:
            s.play(lfm.Track("Björk", "Jóga", duration_secs=305))
            s.pause(); s.resume(); s.seek(60_000)
            s.stop()                       # the track ended: queued if it was due

    Player calls return at once whatever the network does. ``listener(event: Event)`` runs on
    the scrobbler's delivery thread, one call per event, in order; it may call the scrobbler
    and the client back, should return promptly, and an exception it raises is printed and
    swallowed. The scrobbler keeps its own reference to the client. ``close()`` (or leaving
    the ``with`` block) stops it within ``timeout_ms``.
    """

    def __init__(self, client: Client, queue_path, listener: Optional[Callable[[Event], None]] = None,
                 clock: Optional[Callable[[], int]] = None):
        out = c_void_p()
        with client._h.use() as cptr:
            _invoke(lib.lfm_scrobbler_new, cptr, _enc(str(queue_path)), byref(out))
        self._h = _Handle(out.value, lib.lfm_scrobbler_free, "Scrobbler")
        # What the native trampolines call; emptied by close() so that retired callbacks
        # hold nothing of the caller's.
        self._targets: dict = {"listener": None, "clock": None}
        self._callbacks: list = []  # every CFUNCTYPE handed to C, alive at least as long as this
        if clock is not None:
            self.set_clock(clock)
        if listener is not None:
            self.set_listener(listener)

    # Player events: none waits on the network.
    def play(self, track: Track) -> None:
        """A track starts at position 0; the same track again is a new play (repeat-one).
        Its timestamp is now (by the scrobbler's clock): ``track.timestamp`` is ignored."""
        t = track._to_c()
        self._do(lib.lfm_scrobbler_play, byref(t))

    def pause(self) -> None:
        self._do(lib.lfm_scrobbler_pause)

    def resume(self) -> None:
        self._do(lib.lfm_scrobbler_resume)

    def seek(self, position_ms: int) -> None:
        """The position jumped (either way): adds no listened time, starts no new play."""
        self._do(lib.lfm_scrobbler_seek, position_ms)

    def stop(self) -> None:
        """The track ended or the user stopped: queued if due, else no scrobble."""
        self._do(lib.lfm_scrobbler_stop)

    def _install(self, key: str, fn, native_type, trampoline):
        """Make ``fn`` (None: nothing) the target of ``key`` and return the C function
        pointer to hand to the library: ``trampoline``, guarded, as a ``native_type``,
        kept alive with this scrobbler and past its close."""
        self._targets[key] = fn
        if fn is None:
            return None
        callback = native_type(trampoline)
        self._callbacks.append(callback)
        return ctypes.cast(callback, c_void_p)

    def set_listener(self, listener: Optional[Callable[[Event], None]]) -> None:
        """Report events to ``listener(event)`` on the delivery thread; None: to nobody."""
        targets = self._targets

        def trampoline(_ctx, event):
            fn = targets["listener"]
            if fn is not None:
                fn(Event._from_c(event.contents))

        self._do(lib.lfm_scrobbler_set_listener,
                 self._install("listener", listener, _native.EVENT_FN, _guarded(trampoline)), None)

    def set_clock(self, clock: Optional[Callable[[], int]]) -> None:
        """Read every time (listened time, play timestamps, back-off) from ``clock()``, Unix
        milliseconds, instead of the system clock; None goes back to it. For tests and
        simulations: set it before the first player event (or pass ``clock=`` to the
        constructor). Called from several threads at once; the worker re-reads it every
        50 ms of real time. Should it raise, the last time it gave is used."""
        targets, last = self._targets, [int(time.time() * 1000)]

        def trampoline(_ctx):
            fn = targets["clock"]
            last[0] = int(fn()) if fn is not None else int(time.time() * 1000)
            return last[0]

        self._do(lib.lfm_scrobbler_set_clock,
                 self._install("clock", clock, _native.CLOCK_FN,
                               _guarded(trampoline, lambda: last[0])), None)

    def set_unknown_duration(self, rule: UnknownDuration) -> None:
        """Scrobble plays of unknown duration (0) after 4 minutes (default) or never."""
        self._do(lib.lfm_scrobbler_set_unknown_duration, int(rule))

    def set_now_playing_after_pause_ms(self, pause_ms: Optional[int]) -> None:
        """Resuming after a pause longer than this resends now playing (default 5 minutes);
        None: never."""
        self._do(lib.lfm_scrobbler_set_now_playing_after_pause_ms,
                 0xFFFFFFFF if pause_ms is None else pause_ms)

    def flush_now(self) -> None:
        """Try delivering now, skipping the current back-off wait once (the network is back)."""
        self._do(lib.lfm_scrobbler_flush_now)

    def drain(self, timeout_ms: int) -> int:
        """Block (GIL released) until no play is pending and the listener has returned
        from the deliveries' events, or ``timeout_ms`` passes; returns how many are left.
        Does not skip a back-off wait."""
        n = c_size_t()
        self._do(lib.lfm_scrobbler_drain, timeout_ms, byref(n))
        return n.value

    def pending(self) -> int:
        """Plays due and not delivered yet (rejected ones not counted)."""
        n = c_size_t()
        self._do(lib.lfm_scrobbler_pending, byref(n))
        return n.value

    def close(self, timeout_ms: int = 2000) -> None:
        """Wait for calls in flight on other threads (a ``drain`` included), then stop within
        ``timeout_ms``: a play due by now is queued first, nothing more is sent
        and no event is reported after this returns; undelivered plays stay in the queue file.
        From inside the listener it returns at once and the threads end on their own.
        Idempotent."""
        h = getattr(self, "_h", None)
        if h is None or h.closed:
            return
        h.close(timeout_ms)
        self._targets["listener"] = self._targets["clock"] = None
        _RETIRED_CALLBACKS.extend(self._callbacks)
        self._callbacks = []

    def __del__(self) -> None:
        self.close()


class Pager(_Owner):
    """A walk over every page of a paginated method; an iterator of pages, each the JSON
    text of an array of the page's normalized items (as :meth:`Client.call` returns JSON
    text; :meth:`items` parses them). Every item comes once: for user.getRecentTracks the
    now-playing item is dropped without losing a play, plays sharing a second survive page
    boundaries, and ``from``/``to`` (Unix seconds, inclusive) bound the walk. Transient
    failures are retried (6 attempts, see :meth:`set_max_attempts`); when they are used up
    ``next()`` raises :class:`LfmError` and the pager stays on that page: iterate again to
    retry it, or save :meth:`state` and :meth:`resume` later.

        with client.pages("user.getRecentTracks", {"user": "rj"}) as pager:
            for play in pager.items():
                print(play["date"]["uts"], play["artist"]["name"], play["name"])
            mark = pager.mark()        # next time: lfm.Pager(..., after=mark)

    ``after`` starts an incremental import where an earlier walk's :meth:`mark` ended.
    Use one pager from one thread at a time. Holds its own reference to the client.
    """

    def __init__(self, client: Client, method: str, params: Optional[Params] = None,
                 flags: CallFlags = CallFlags.NONE, after: Optional[str] = None):
        arr, n = _params(params)
        out = c_void_p()
        with client._h.use() as cptr:
            if after is None:
                _invoke(lib.lfm_pager_open, cptr, _enc(method), arr, n, int(flags), byref(out))
            else:
                _invoke(lib.lfm_pager_open_after, cptr, _enc(method), arr, n, int(flags),
                        _enc(after), byref(out))
        self._h = _Handle(out.value, lib.lfm_pager_free, "Pager")

    @classmethod
    def resume(cls, client: Client, state: str, flags: CallFlags = CallFlags.NONE) -> "Pager":
        """The pager a saved :meth:`state` describes: it continues without a gap or a repeat."""
        out = c_void_p()
        with client._h.use() as cptr:
            _invoke(lib.lfm_pager_resume, cptr, _enc(state), int(flags), byref(out))
        pager = cls.__new__(cls)
        pager._h = _Handle(out.value, lib.lfm_pager_free, "Pager")
        return pager

    def __iter__(self) -> "Pager":
        return self

    def __next__(self) -> str:
        """The next page (a JSON array, never empty); StopIteration at the end. Blocks (GIL
        released) for the request, its retries and the rate limit."""
        page = self._string(lib.lfm_pager_next)
        if page is None:
            raise StopIteration
        return page

    def items(self) -> Iterator[dict]:
        """Every remaining item, parsed, page after page."""
        for page in self:
            yield from json.loads(page)

    def _number(self, fn) -> Optional[int]:
        with self._h.use() as ptr:
            n = fn(ptr)
        return None if n < 0 else n

    @property
    def total(self) -> Optional[int]:
        """Items in all as Last.fm reported them (latest page); None before the first page."""
        return self._number(lib.lfm_pager_total)

    @property
    def total_pages(self) -> Optional[int]:
        """Pages in all as Last.fm reported them; None before the first page."""
        return self._number(lib.lfm_pager_total_pages)

    @property
    def page(self) -> int:
        """Pages done: the number of the page last delivered (0 before the first)."""
        return self._number(lib.lfm_pager_page) or 0

    def state(self) -> str:
        """Where the walk is, as JSON for :meth:`resume` (no secret in it)."""
        return self._string(lib.lfm_pager_state) or ""

    def mark(self) -> Optional[str]:
        """The newest second delivered and its plays (user.getRecentTracks), as JSON for
        ``Pager(..., after=mark)``; None if nothing was delivered."""
        return self._string(lib.lfm_pager_mark)

    def set_max_attempts(self, attempts: int) -> None:
        """Attempts per page, the first included (default 6; 1: no retry)."""
        self._do(lib.lfm_pager_set_max_attempts, attempts)

    def set_max_wait_ms(self, max_wait_ms: int) -> None:
        """The longest wait between two attempts (default 15 minutes; the server's
        suggestion included, e.g. 30 s after error 29)."""
        self._do(lib.lfm_pager_set_max_wait_ms, max_wait_ms)
