"""Loading ``libphifd.so`` and applying the generated ctypes declarations (internal).

Loads the shared library once at import, by absolute path: ``$PHIFD_LIBRARY`` if set (a path
to a development build of ``libphifd.so``), else the ``libphifd.so`` bundled in this package.
Every function of the header gets the ``argtypes`` and ``restype`` generated from
``include/phifd.h`` into :mod:`phifd._cdefs` (``make python-ffi``); nothing is declared by hand
here. The library's version must equal :data:`EXPECTED_VERSION`; any other version fails the
import with an :class:`ImportError` that names both versions and the file.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import _cdefs
from ._cdefs import (  # re-exported: the rest of the package takes them from here
    DatagramStruct,
    EventStruct,
    MonitorStatsStruct,
    NodeInfoStruct,
    QosReportStruct,
    QosStruct,
    SnapshotEntryStruct,
)
from ._errors import error_for_status
from ._types import EventKind, State

#: The library version this package is written for (``PHIFD_VERSION_STRING`` of the header).
from ._version import VERSION as EXPECTED_VERSION

__all__ = [
    "DatagramStruct",
    "EventStruct",
    "MonitorStatsStruct",
    "NodeInfoStruct",
    "QosReportStruct",
    "QosStruct",
    "SnapshotEntryStruct",
]

#: Environment variable naming a ``libphifd.so`` to load instead of the bundled one.
LIBRARY_ENV = "PHIFD_LIBRARY"

BUNDLED_NAME = "libphifd.so"

#: Size of the first version of ``struct phifd_node_info`` (still accepted by the library):
#: the offset of its first version-2 field.
NODE_INFO_V1_SIZE = NodeInfoStruct.version.offset
#: Size of the first version of ``struct phifd_monitor_stats`` (still accepted by the library):
#: the offset of its first version-2 field.
MONITOR_STATS_V1_SIZE = MonitorStatsStruct.duplicate_heartbeats.offset

#: Size of an encoded heartbeat datagram, bytes (``PHIFD_DATAGRAM_SIZE``).
DATAGRAM_SIZE: int = _cdefs.PHIFD_DATAGRAM_SIZE
#: ``PHIFD_DATAGRAM_FLAG_LEADER``: the sender believes it is the leader.
DATAGRAM_FLAG_LEADER: int = _cdefs.PHIFD_DATAGRAM_FLAG_LEADER

#: name -> (restype, argtypes) of every function of include/phifd.h, in header order (generated).
PROTOTYPES: Dict[str, Tuple[Any, List[Any]]] = _cdefs.FUNCTIONS


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
    try:
        version_fn = lib.phifd_version
    except AttributeError as e:
        raise ImportError(f"phifd: {path} does not export phifd_version; is it libphifd?") from e
    restype, argtypes = PROTOTYPES["phifd_version"]
    version_fn.restype, version_fn.argtypes = restype, argtypes
    version = version_fn().decode("utf-8", "replace")
    if version != expected_version:
        raise ImportError(
            f"phifd: library version mismatch: {path} is version {version}, but this package "
            f"(phifd for Python) requires {expected_version}. Reinstall the package from one "
            f"checkout (`make wheel` and pip install the wheel, or `pip install ./bindings/python`) "
            f"or point ${LIBRARY_ENV} to a matching build."
        )
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError as e:
            raise ImportError(
                f"phifd: {path} does not export {name}, a function of the header this package was "
                f"generated from: the library is older than the package; rebuild it from the same "
                f"checkout (`make lib`) or reinstall the package"
            ) from e
        fn.restype = restype
        fn.argtypes = argtypes
    _check_names(lib, path)
    return lib


def _check_names(lib: Any, path: str) -> None:
    """The binding's enum members must carry the names the library gives their codes
    (``phifd_state_name``, ``phifd_event_kind_name``): the names exist once, in the library."""
    pairs = [(State, lib.phifd_state_name), (EventKind, lib.phifd_event_kind_name)]
    for enum_type, name_of in pairs:
        for member in enum_type:
            c_name = name_of(int(member)).decode("ascii", "replace")
            if c_name != member.name:
                raise ImportError(
                    f"phifd: {path} names {enum_type.__name__} code {int(member)} {c_name!r}, but this "
                    f"package calls it {member.name!r}: the library and the package come from "
                    f"different checkouts; rebuild one from the other's source"
                )


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
