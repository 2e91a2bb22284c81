"""Low-level ctypes declarations of ``include/phifd.h`` (internal).

Loads the shared library once at import, by absolute path: ``$PHIFD_LIBRARY`` if set (a path
to a development build of ``libphifd.so``), else the ``libphifd.so`` bundled in this package.
Every function of the header gets ``argtypes`` and ``restype`` here. The library's version
must equal :data:`EXPECTED_VERSION`; any other version fails the import with an
:class:`ImportError` that names both versions and the file.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    POINTER,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Optional

from ._errors import error_for_status

#: The library version this package is written for (``PHIFD_VERSION_STRING`` of the header).
from ._version import VERSION as EXPECTED_VERSION

#: Environment variable naming a ``libphifd.so`` to load instead of the bundled one.
LIBRARY_ENV = "PHIFD_LIBRARY"

BUNDLED_NAME = "libphifd.so"

c_status = c_uint32


#: Size of the first version of ``struct phifd_node_info`` (still accepted by the library).
NODE_INFO_V1_SIZE = 96
#: Size of the first version of ``struct phifd_monitor_stats`` (still accepted by the library).
MONITOR_STATS_V1_SIZE = 40


class NodeInfoStruct(ctypes.Structure):
    """``struct phifd_node_info``, version 2 (120 bytes; versioned by its leading ``size``
    field, which the binding sets to ``sizeof`` this structure)."""

    _fields_ = [
        ("size", c_uint32),
        ("state", c_uint32),
        ("node", c_uint64),
        ("generation", c_uint64),
        ("phi", c_double),
        ("last_arrival_ns", c_uint64),
        ("silence_origin_ns", c_uint64),
        ("samples", c_uint64),
        ("mean_ns", c_double),
        ("sd_ns", c_double),
        ("suspect_after_ns", c_uint64),
        ("fail_after_ns", c_uint64),
        ("has_arrival", c_uint32),
        ("reserved", c_uint32),
        # version 2
        ("version", c_uint64),
        ("heartbeat_interval_ns", c_double),
        ("confirmations", c_uint32),
        ("reserved2", c_uint32),
    ]


class EventStruct(ctypes.Structure):
    """``struct phifd_event`` (48 bytes, frozen layout)."""

    _fields_ = [
        ("node", c_uint64),
        ("generation", c_uint64),
        ("time_ns", c_uint64),
        ("phi", c_double),
        ("kind", c_uint32),
        ("from_", c_uint32),
        ("to", c_uint32),
        ("reserved", c_uint32),
    ]


class MonitorStatsStruct(ctypes.Structure):
    """``struct phifd_monitor_stats``, version 3 (144 bytes; versioned by its leading ``size``
    field, which the binding sets to ``sizeof`` this structure)."""

    _fields_ = [
        ("size", c_uint32),
        ("reserved", c_uint32),
        ("nodes", c_uint64),
        ("pending_events", c_uint64),
        ("dropped_events", c_uint64),
        ("stale_heartbeats", c_uint64),
        # version 2
        ("duplicate_heartbeats", c_uint64),
        ("pauses_detected", c_uint64),
        ("last_pause_start_ns", c_uint64),
        ("last_pause_end_ns", c_uint64),
        ("grace_until_ns", c_uint64),
        ("local_health", c_uint32),
        ("reserved2", c_uint32),
        # version 3
        ("rejected_over_capacity", c_uint64),
        ("rejected_unknown_node", c_uint64),
        ("rejected_bad_generation", c_uint64),
        ("rejected_malformed", c_uint64),
        ("rejected_bad_mac", c_uint64),
        ("rejected_unknown_key", c_uint64),
        ("rejected_replayed", c_uint64),
    ]


#: Size of an encoded heartbeat datagram, bytes (``PHIFD_DATAGRAM_SIZE``).
DATAGRAM_SIZE = 56
#: ``PHIFD_DATAGRAM_FLAG_LEADER``: the sender believes it is the leader.
DATAGRAM_FLAG_LEADER = 1


class DatagramStruct(ctypes.Structure):
    """``struct phifd_datagram`` (48 bytes, frozen layout): a decoded heartbeat datagram."""

    _fields_ = [
        ("kind", c_uint32),
        ("flags", c_uint32),
        ("node", c_uint64),
        ("generation", c_uint64),
        ("term", c_uint64),
        ("version", c_uint64),
        ("send_ns", c_uint64),
    ]


class SnapshotEntryStruct(ctypes.Structure):
    """``struct phifd_snapshot_entry`` (80 bytes, frozen layout): one node of a snapshot."""

    _fields_ = [
        ("node", c_uint64),
        ("generation", c_uint64),
        ("last_arrival_ns", c_uint64),
        ("phi", c_double),
        ("mean_ns", c_double),
        ("sd_ns", c_double),
        ("time_until_failure_ns", c_uint64),
        ("version", c_uint64),
        ("state", c_uint32),
        ("confirmations", c_uint32),
        ("reserved", c_uint64),
    ]


assert ctypes.sizeof(DatagramStruct) == 48
assert ctypes.sizeof(SnapshotEntryStruct) == 80
assert ctypes.sizeof(EventStruct) == 48
assert ctypes.sizeof(NodeInfoStruct) == 120
assert ctypes.sizeof(MonitorStatsStruct) == 144

c_config_p = c_void_p
c_monitor_p = c_void_p
c_generation_p = c_void_p
c_keyring_p = c_void_p
P_u64 = POINTER(c_uint64)
P_f64 = POINTER(c_double)
P_status = POINTER(c_status)

# name -> (restype, argtypes). Every function of include/phifd.h, in header order.
PROTOTYPES = {
    "phifd_version": (c_char_p, []),
    "phifd_now_ns": (c_uint64, []),
    "phifd_status_name": (c_char_p, [c_status]),
    "phifd_last_error_message": (c_char_p, []),
    "phifd_keyring_new": (c_status, [POINTER(c_keyring_p)]),
    "phifd_keyring_free": (None, [c_keyring_p]),
    # `key` as c_char_p: bytes (NULs included) are passed without a copy.
    "phifd_keyring_add_key": (c_status, [c_keyring_p, c_uint32, c_char_p, c_size_t]),
    "phifd_keyring_remove_key": (c_status, [c_keyring_p, c_uint32]),
    "phifd_keyring_set_signing_key": (c_status, [c_keyring_p, c_uint32]),
    "phifd_keyring_get_signing_key": (c_status, [c_keyring_p, POINTER(c_uint32)]),
    "phifd_datagram_encode_auth": (
        c_status,
        [c_keyring_p, POINTER(DatagramStruct), POINTER(c_uint8), c_size_t, POINTER(c_size_t)],
    ),
    "phifd_datagram_decode_auth": (c_status, [c_keyring_p, c_char_p, c_size_t, POINTER(DatagramStruct)]),
    "phifd_monitor_receive": (
        c_status,
        [c_monitor_p, c_keyring_p, c_char_p, c_size_t, c_uint64, POINTER(DatagramStruct), POINTER(c_bool)],
    ),
    "phifd_config_new": (c_status, [POINTER(c_config_p)]),
    "phifd_config_free": (None, [c_config_p]),
    "phifd_config_set_estimator": (c_status, [c_config_p, c_uint32]),
    "phifd_config_set_threshold": (c_status, [c_config_p, c_double]),
    "phifd_config_set_suspect_threshold": (c_status, [c_config_p, c_double]),
    "phifd_config_set_window": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_heartbeat_interval_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_min_std_deviation_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_acceptable_pause_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_max_interval_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_round_trip_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_first_heartbeat_timeout_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_recovery_heartbeats": (c_status, [c_config_p, c_uint32]),
    "phifd_config_set_local_pause_threshold_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_local_pause_grace_ns": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_burst_fraction": (c_status, [c_config_p, c_double]),
    "phifd_config_set_max_local_health": (c_status, [c_config_p, c_uint32]),
    "phifd_config_set_max_nodes": (c_status, [c_config_p, c_uint64]),
    "phifd_config_set_membership": (c_status, [c_config_p, c_uint32]),
    "phifd_config_set_confirmations_expected": (c_status, [c_config_p, c_uint32]),
    "phifd_config_set_confirmation_min_ratio": (c_status, [c_config_p, c_double]),
    "phifd_generation_open": (c_status, [c_char_p, POINTER(c_generation_p)]),
    "phifd_generation_new_in_memory": (c_status, [c_uint64, POINTER(c_generation_p)]),
    "phifd_generation_free": (None, [c_generation_p]),
    "phifd_generation_current": (c_status, [c_generation_p, P_u64]),
    "phifd_generation_advance": (c_status, [c_generation_p, P_u64]),
    "phifd_generation_observe": (c_status, [c_generation_p, c_uint64, POINTER(c_bool)]),
    "phifd_generation_parse": (c_status, [c_char_p, c_size_t, P_u64]),
    "phifd_monitor_new": (c_status, [c_config_p, POINTER(c_monitor_p)]),
    "phifd_monitor_free": (None, [c_monitor_p]),
    "phifd_heartbeat": (c_status, [c_monitor_p, c_uint64, c_uint64, c_uint64]),
    "phifd_heartbeat_version": (
        c_status,
        [c_monitor_p, c_uint64, c_uint64, c_uint64, c_uint64, POINTER(c_bool)],
    ),
    "phifd_node_report_suspect": (c_status, [c_monitor_p, c_uint64, c_uint64]),
    "phifd_monitor_set_local_health": (c_status, [c_monitor_p, c_uint32]),
    "phifd_monitor_get_local_health": (c_status, [c_monitor_p, POINTER(c_uint32)]),
    "phifd_node_add": (c_status, [c_monitor_p, c_uint64, c_uint64, c_uint64]),
    "phifd_node_remove": (c_status, [c_monitor_p, c_uint64]),
    "phifd_phi": (c_status, [c_monitor_p, c_uint64, c_uint64, P_f64]),
    "phifd_node_get_info": (c_status, [c_monitor_p, c_uint64, c_uint64, POINTER(NodeInfoStruct)]),
    "phifd_node_time_until_phi": (c_status, [c_monitor_p, c_uint64, c_double, P_u64]),
    "phifd_monitor_poll": (
        c_status,
        [c_monitor_p, c_uint64, POINTER(EventStruct), c_size_t, POINTER(c_size_t)],
    ),
    "phifd_monitor_node_count": (c_status, [c_monitor_p, P_u64]),
    "phifd_monitor_get_stats": (c_status, [c_monitor_p, POINTER(MonitorStatsStruct)]),
    "phifd_heartbeat_batch": (c_status, [c_monitor_p, P_u64, P_u64, P_u64, c_size_t, P_status]),
    "phifd_phi_batch": (c_status, [c_monitor_p, P_u64, c_size_t, c_uint64, P_f64, P_status]),
    "phifd_datagram_encode": (
        c_status,
        [POINTER(DatagramStruct), POINTER(c_uint8), c_size_t, POINTER(c_size_t)],
    ),
    # `buf` as c_char_p: bytes (NULs included) are passed without a copy.
    "phifd_datagram_decode": (c_status, [c_char_p, c_size_t, POINTER(DatagramStruct)]),
    "phifd_monitor_snapshot": (
        c_status,
        [c_monitor_p, c_uint64, POINTER(SnapshotEntryStruct), c_size_t, POINTER(c_size_t)],
    ),
    "phifd_monitor_render_prometheus": (
        c_status,
        [c_monitor_p, c_uint64, POINTER(c_char), c_size_t, POINTER(c_size_t)],
    ),
}


def default_library_path() -> str:
    """The absolute path of the library this package loads: ``$PHIFD_LIBRARY`` if set and
    non-empty, else the ``libphifd.so`` bundled next to this file."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return str(Path(override).expanduser().resolve())
    return str(Path(__file__).resolve().with_name(BUNDLED_NAME))


def load_library(path: str, expected_version: str = EXPECTED_VERSION) -> ctypes.CDLL:
    """Loads the shared library at ``path``, declares every prototype and checks its version.

    Raises :class:`ImportError` if the file is missing, cannot be loaded, lacks a function,
    or reports a version other than ``expected_version``.
    """
    if not os.path.isfile(path):
        how = (
            f"${LIBRARY_ENV} points to it"
            if os.environ.get(LIBRARY_ENV)
            else "the package was installed without its bundled library; reinstall it from the "
            "wheel (`make wheel`, then `pip install build/wheel/phifd-*.whl`) or from source "
            "(`pip install ./bindings/python`), or set $PHIFD_LIBRARY to a built libphifd.so"
        )
        raise ImportError(f"phifd: shared library not found at {path} ({how})")
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(f"phifd: cannot load the shared library {path}: {e}") from e
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(f"phifd: {path} does not export {name}; is it libphifd?") from e
        fn.restype = restype
        fn.argtypes = argtypes
    version = lib.phifd_version().decode("utf-8", "replace")
    if version != expected_version:
        raise ImportError(
            f"phifd: library version mismatch: {path} is version {version}, but this package "
            f"(phifd for Python) requires {expected_version}. Reinstall the package from one "
            f"checkout (`make wheel` and pip install the wheel, or `pip install ./bindings/python`) "
            f"or point ${LIBRARY_ENV} to a matching build."
        )
    return lib


LIBRARY_PATH: str = default_library_path()
lib: Any = load_library(LIBRARY_PATH)


def last_error_message() -> str:
    """The library's message for the last failure on the calling thread (``""`` if none)."""
    raw: Optional[bytes] = lib.phifd_last_error_message()
    return raw.decode("utf-8", "replace") if raw else ""


def check(status: int) -> None:
    """Raises the exception for ``status`` (with this thread's last error message) unless it is 0.

    Must be called on the same thread right after the failing call, before any other library
    call on that thread, because the message is thread-local and replaced by the next failure.
    """
    if status:
        raise error_for_status(status, last_error_message())
