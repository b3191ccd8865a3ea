"""The C ABI of lfm.h mirrored in ctypes: its structures and constants. Internal to the package.

Loads nothing, so that tests/bindings/abi_check.py can compare it with a C program compiled
against include/lfm.h (sizes and field offsets for the host and for -m32, every constant)
without the library. Change lfm.h, change this file: that check fails until they agree.
"""

from __future__ import annotations

import enum
from ctypes import Structure, c_bool, c_char_p, c_int32, c_int64, c_uint32, c_uint64


class HeaderVersion:
    """LFM_VERSION_*: the lfm.h this binding mirrors (lfm.version() is the loaded library's)."""

    MAJOR = 0
    MINOR = 1
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
