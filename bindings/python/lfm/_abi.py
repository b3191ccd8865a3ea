"""The C ABI of lfm.h mirrored in ctypes: its structures and constants. Internal to the package.

Loads nothing, so that tests/bindings/abi_check.py can compare it with a C program compiled
against include/lfm.h (sizes and field offsets for the host and for -m32, every constant)
without the library. Change lfm.h, change this file: that check fails until they agree.
"""

from __future__ import annotations

import enum
from ctypes import POINTER, Structure, c_bool, c_char_p, c_int32, c_int64, c_uint32, c_uint64


class HeaderVersion:
    """LFM_VERSION_*: the lfm.h this binding mirrors (lfm.version() is the loaded library's)."""

    MAJOR = 0
    MINOR = 2
    PATCH = 0


class Status(enum.IntEnum):
    """lfm_status values."""

    OK = 0
    INVALID_ARGUMENT = 1
    NETWORK = 2
    TIMEOUT = 3
    HTTP = 4
    PARSE = 5
    API = 6
    INSECURE = 7
    NO_SESSION = 8
    IO = 9
    PANIC = 10


class CallFlags(enum.IntFlag):
    """Flags of :meth:`Client.call`."""

    NONE = 0
    SIGNED = 1   # add api_sig
    SESSION = 2  # add the client's session key
    POST = 4     # form-encoded POST instead of GET
    WRITE = 7    # all three: what every write method needs
    NORMALIZE = 8  # rewrite the reply into liblfm's normalized shape (lists always arrays, ...)
    RETRY = 16     # retry transient failures (8, 11, 16, 29, 5xx, network): 4 attempts, bounded waits


class Service(enum.IntEnum):
    LASTFM = 0
    LIBREFM = 1


class RootStore(enum.IntEnum):
    BUNDLED = 0  # the Mozilla roots compiled in (default)
    SYSTEM = 1   # the operating system's store


class LogLevel(enum.IntEnum):
    ERROR = 1
    WARN = 2
    INFO = 3
    DEBUG = 4


class Chosen(enum.IntEnum):
    """LFM_CHOSEN_*: lfm_track.chosen_by_user (Track.chosen_by_user None/True/False)."""

    UNKNOWN = 0
    YES = 1
    NO = 2


class EventKind(enum.IntEnum):
    """LFM_EVENT_*: what a :class:`Scrobbler` event reports."""

    NOW_PLAYING = 1  # now playing sent (code 0, corrections) or failed (code, message)
    QUEUED = 2       # a play became due and is in the queue file
    DELIVERED = 3    # the server accepted a play (corrections if any)
    REJECTED = 4     # a play will not be sent (code: ignored code or API error)
    DEFERRED = 5     # delivery failed for now; retried in retry_after_ms
    AUTH_LOST = 6    # credentials refused (code 9, 4, 10, 26): stopped until a new session key


class UnknownDuration(enum.IntEnum):
    """LFM_UNKNOWN_DURATION_*: :meth:`Scrobbler.set_unknown_duration`."""

    AFTER_4_MINUTES = 0  # the default
    NEVER = 1            # streams, radio


class lfm_param(Structure):
    _fields_ = [("name", c_char_p), ("value", c_char_p)]


class lfm_track(Structure):
    _fields_ = [
        ("artist", c_char_p),
        ("track", c_char_p),
        ("album", c_char_p),
        ("album_artist", c_char_p),
        ("mbid", c_char_p),
        ("timestamp", c_int64),
        ("duration_secs", c_uint32),
        ("track_number", c_uint32),
        ("chosen_by_user", c_int32),  # LFM_CHOSEN_*: 0 unknown, 1 yes, 2 no (0.2)
    ]


class lfm_queue_entry(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("track", lfm_track),
        ("queued_at", c_int64),
        ("rejected", c_bool),
        ("ignored_code", c_int32),
        ("api_code", c_int32),
        ("reason", c_char_p),
        ("attempts", c_uint32),
        ("isolated_failures", c_uint32),
        ("last_error", c_char_p),
    ]


class lfm_scrobble_verdict(Structure):
    _fields_ = [
        ("ignored_code", c_int32),
        ("ignored_message", c_char_p),
        ("corrected_artist", c_char_p),
        ("corrected_track", c_char_p),
        ("corrected_album", c_char_p),
    ]


class lfm_scrobbler_event(Structure):
    _fields_ = [
        ("kind", c_int32),
        ("track", POINTER(lfm_track)),
        ("code", c_int32),
        ("message", c_char_p),
        ("retry_after_ms", c_int64),
        ("corrected_artist", c_char_p),
        ("corrected_track", c_char_p),
        ("corrected_album", c_char_p),
    ]
