"""Module-level functions of the package: the library's clock, version, status names, and
duration conversion."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Union

from . import _ffi
from ._ffi import lib

__all__ = ["now_ns", "to_ns", "version", "status_name", "library_path"]

_U32_LIMIT = 1 << 32


def now_ns() -> int:
    """The library's monotonic clock in nanoseconds (``CLOCK_MONOTONIC``).

    This is the same clock as :func:`time.monotonic_ns`, so times taken either way may be mixed.
    Thread-safe; cannot fail.
    """
    return int(lib.phifd_now_ns())


def to_ns(duration: Union[timedelta, float, int]) -> int:
    """A duration as integer nanoseconds: a :class:`datetime.timedelta`, or a number of
    **seconds** (``int`` or ``float``). Raises :class:`ValueError` if it is negative or not finite.
    """
    if isinstance(duration, timedelta):
        ns = (duration.days * 86_400 + duration.seconds) * 1_000_000_000 + duration.microseconds * 1000
    elif isinstance(duration, (int, float)) and not isinstance(duration, bool):
        if not math.isfinite(duration):
            raise ValueError(f"to_ns: duration must be finite, got {duration!r}")
        ns = round(duration * 1_000_000_000)
    else:
        raise TypeError(f"to_ns: expected a timedelta or seconds, got {type(duration).__name__}")
    if ns < 0:
        raise ValueError(f"to_ns: duration must not be negative, got {duration!r}")
    return ns


def version() -> str:
    """The loaded library's version string (``phifd_version()``), e.g. ``"0.1.0"``."""
    return str(lib.phifd_version().decode("ascii"))


def status_name(status: int) -> str:
    """The C name of a status code, e.g. ``"PHIFD_ERR_UNKNOWN_NODE"``;
    ``"PHIFD_UNKNOWN_STATUS"`` for a code the library does not define."""
    if not 0 <= status < _U32_LIMIT:
        return "PHIFD_UNKNOWN_STATUS"
    return str(lib.phifd_status_name(status).decode("ascii"))


def library_path() -> str:
    """The absolute path of the loaded shared library."""
    return _ffi.LIBRARY_PATH
