"""Loading liblfm and declaring the C API's prototypes (ctypes). Internal to the package.

The library is found, in order, at:
1. ``$LFM_LIBRARY``: a path to liblfm.so (or .dylib/.dll), e.g. target/release/liblfm.so;
2. ``pkg-config --variable=libdir lfm``: an installed copy (honours PKG_CONFIG_PATH);
3. ``ctypes.util.find_library("lfm")``: the system's library search path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
from ctypes import (
    POINTER,
    c_bool,
    c_char_p,
    c_int32,
    c_int64,
    c_size_t,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)

from ._abi import lfm_param, lfm_queue_entry, lfm_scrobble_verdict, lfm_scrobbler_event, lfm_track


class LibraryNotFound(OSError):
    """liblfm could not be located or loaded."""


def _candidates() -> list[str]:
    found = []
    explicit = os.environ.get("LFM_LIBRARY")
    if explicit:
        return [explicit]  # an explicit choice is never second-guessed
    if shutil.which("pkg-config"):
        try:
            libdir = subprocess.run(
                ["pkg-config", "--variable=libdir", "lfm"],
                check=True, capture_output=True, text=True, timeout=10,
            ).stdout.strip()
        except (subprocess.SubprocessError, OSError):
            libdir = ""
        if libdir:
            if sys.platform == "darwin":
                names = ["liblfm.0.dylib", "liblfm.dylib"]
            else:
                names = ["liblfm.so.0", "liblfm.so"]
            found += [os.path.join(libdir, n) for n in names if os.path.exists(os.path.join(libdir, n))]
    system = ctypes.util.find_library("lfm")
    if system:
        found.append(system)
    return found


def load() -> ctypes.CDLL:
    errors = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise LibraryNotFound(
        "cannot load liblfm: set LFM_LIBRARY to its path, or install it (make install) and "
        "make it visible to pkg-config (PKG_CONFIG_PATH)"
        + ("; tried " + "; ".join(errors) if errors else "")
    )


# Opaque handles are plain void pointers; library-owned strings are c_void_p so that ctypes
# does not copy-and-drop them (they must go back to lfm_string_free).
_handle = c_void_p
_out = POINTER(c_void_p)
_err = POINTER(c_void_p)
_status = c_int32

# name: (restype, argtypes). Adding a C function = adding a line here.
PROTOTYPES = {
    "lfm_version": (c_char_p, []),
    "lfm_status_str": (c_char_p, [_status]),
    "lfm_string_free": (None, [c_void_p]),
    "lfm_error_status": (_status, [_handle]),
    "lfm_error_api_code": (c_int32, [_handle]),
    "lfm_error_http_status": (c_uint16, [_handle]),
    "lfm_error_message": (c_char_p, [_handle]),
    "lfm_error_is_retryable": (c_bool, [_handle]),
    "lfm_error_retry_after_ms": (c_uint32, [_handle]),
    "lfm_error_free": (None, [_handle]),
    "lfm_sign": (_status, [POINTER(lfm_param), c_size_t, c_char_p, _out, _err]),
    "lfm_client_new": (_status, [c_char_p, c_char_p, _out, _err]),
    "lfm_client_free": (None, [_handle]),
    "lfm_client_set_base_url": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_session_key": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_timeout_ms": (_status, [_handle, c_uint32, _err]),
    "lfm_client_set_user_agent": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_ca_file": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_allow_insecure_http": (_status, [_handle, c_bool, _err]),
    "lfm_client_set_rate_limit": (_status, [_handle, c_uint32, _err]),
    "lfm_client_set_max_batch": (_status, [_handle, c_uint32, _err]),
    "lfm_get_mobile_session": (_status, [_handle, c_char_p, c_char_p, _out, _out, _err]),
    "lfm_call": (_status, [_handle, c_char_p, POINTER(lfm_param), c_size_t, c_uint32, _out, _err]),
    "lfm_update_now_playing": (_status, [_handle, POINTER(lfm_track), _err]),
    "lfm_scrobble": (_status, [_handle, POINTER(lfm_track), c_size_t, _out, _err]),
    "lfm_scrobble_result_accepted": (c_size_t, [_handle]),
    "lfm_scrobble_result_ignored": (c_size_t, [_handle]),
    "lfm_scrobble_result_ignored_code": (c_int32, [_handle, c_size_t]),
    "lfm_scrobble_result_ignored_message": (c_char_p, [_handle, c_size_t]),
    "lfm_scrobble_result_free": (None, [_handle]),
    "lfm_scrobble_eligible": (c_bool, [c_uint32, c_uint32]),
    "lfm_queue_open": (_status, [c_char_p, _out, _err]),
    "lfm_queue_free": (None, [_handle]),
    "lfm_queue_push": (_status, [_handle, POINTER(lfm_track), _err]),
    "lfm_queue_len": (_status, [_handle, POINTER(c_size_t), _err]),
    "lfm_queue_flush": (_status, [_handle, _handle, POINTER(c_size_t), _err]),
    "lfm_queue_list": (_status, [_handle, _out, _err]),
    "lfm_queue_entries_count": (c_size_t, [_handle]),
    "lfm_queue_entries_get": (_status, [_handle, c_size_t, POINTER(lfm_queue_entry), _err]),
    "lfm_queue_entries_free": (None, [_handle]),
    "lfm_queue_remove": (_status, [_handle, c_uint64, _err]),
    "lfm_queue_retry": (_status, [_handle, c_uint64, _err]),
    "lfm_queue_damage_report": (_status, [_handle, _out, _err]),
    "lfm_queue_set_max_age_days": (_status, [_handle, c_uint32, _err]),
    "lfm_get_token": (_status, [_handle, _out, _err]),
    "lfm_auth_url": (_status, [_handle, c_char_p, c_char_p, _out, _err]),
    "lfm_get_session": (_status, [_handle, c_char_p, _out, _out, _err]),
    "lfm_client_set_auth_url": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_service": (_status, [_handle, c_int32, _err]),
    "lfm_client_set_proxy": (_status, [_handle, c_char_p, _err]),
    "lfm_client_set_root_store": (_status, [_handle, c_int32, _err]),
    "lfm_client_set_connect_timeout_ms": (_status, [_handle, c_uint32, _err]),
    "lfm_client_set_logger": (_status, [_handle, ctypes.c_void_p, c_int32, c_void_p, _err]),
    "lfm_scrobble_result_count": (c_size_t, [_handle]),
    "lfm_scrobble_result_get": (_status, [_handle, c_size_t, POINTER(lfm_scrobble_verdict), _err]),
    "lfm_scrobbler_new": (_status, [_handle, c_char_p, _out, _err]),
    "lfm_scrobbler_free": (None, [_handle, c_uint32]),
    "lfm_scrobbler_play": (_status, [_handle, POINTER(lfm_track), _err]),
    "lfm_scrobbler_pause": (_status, [_handle, _err]),
    "lfm_scrobbler_resume": (_status, [_handle, _err]),
    "lfm_scrobbler_seek": (_status, [_handle, c_uint32, _err]),
    "lfm_scrobbler_stop": (_status, [_handle, _err]),
    "lfm_scrobbler_set_listener": (_status, [_handle, c_void_p, c_void_p, _err]),
    "lfm_scrobbler_set_clock": (_status, [_handle, c_void_p, c_void_p, _err]),
    "lfm_scrobbler_set_unknown_duration": (_status, [_handle, c_int32, _err]),
    "lfm_scrobbler_set_now_playing_after_pause_ms": (_status, [_handle, c_uint32, _err]),
    "lfm_scrobbler_flush_now": (_status, [_handle, _err]),
    "lfm_scrobbler_drain": (_status, [_handle, c_uint32, POINTER(c_size_t), _err]),
    "lfm_scrobbler_pending": (_status, [_handle, POINTER(c_size_t), _err]),
    "lfm_pager_open": (_status, [_handle, c_char_p, POINTER(lfm_param), c_size_t, c_uint32, _out, _err]),
    "lfm_pager_open_after": (_status, [_handle, c_char_p, POINTER(lfm_param), c_size_t, c_uint32,
                                       c_char_p, _out, _err]),
    "lfm_pager_resume": (_status, [_handle, c_char_p, c_uint32, _out, _err]),
    "lfm_pager_next": (_status, [_handle, _out, _err]),
    "lfm_pager_total": (c_int64, [_handle]),
    "lfm_pager_total_pages": (c_int64, [_handle]),
    "lfm_pager_page": (c_int64, [_handle]),
    "lfm_pager_state": (_status, [_handle, _out, _err]),
    "lfm_pager_mark": (_status, [_handle, _out, _err]),
    "lfm_pager_set_max_attempts": (_status, [_handle, c_uint32, _err]),
    "lfm_pager_set_max_wait_ms": (_status, [_handle, c_uint32, _err]),
    "lfm_pager_free": (None, [_handle]),
}

# void (*lfm_log_fn)(void *user_data, int32_t level, const char *message)
LOG_FN = ctypes.CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
# void (*lfm_scrobbler_event_fn)(void *ctx, const lfm_scrobbler_event *event)
EVENT_FN = ctypes.CFUNCTYPE(None, c_void_p, POINTER(lfm_scrobbler_event))
# int64_t (*lfm_clock_fn)(void *ctx)
CLOCK_FN = ctypes.CFUNCTYPE(c_int64, c_void_p)


def bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib = bind(load())
