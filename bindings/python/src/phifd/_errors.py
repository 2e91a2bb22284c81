"""Status codes and the exception hierarchy of the phifd binding.

Every fallible C function returns a ``phifd_status``; a non-zero status becomes an
exception whose class matches the status and whose ``message`` is the library's
explanation (which function, which argument, why).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Dict, Optional, Sequence, Type, Union

from . import _cdefs as C

if TYPE_CHECKING:  # only for the annotation of StaleGenerationError.datagram
    from ._datagram import Datagram

__all__ = [
    "Status",
    "PhifdError",
    "NullArgumentError",
    "InvalidArgumentError",
    "UnknownNodeError",
    "StaleGenerationError",
    "InvalidHandleError",
    "InternalError",
    "BufferTooSmallError",
    "IoError",
    "CorruptError",
    "LockedError",
    "MalformedError",
    "CapacityError",
    "AuthError",
    "UnknownKeyError",
    "error_for_status",
]


class Status(enum.IntEnum):
    """Status codes of the C API (``PHIFD_OK`` and ``PHIFD_ERR_*``); append-only, never renumbered."""

    OK = C.PHIFD_OK
    """Success."""
    NULL_ARG = C.PHIFD_ERR_NULL_ARG
    """A required pointer argument was NULL."""
    INVALID_ARG = C.PHIFD_ERR_INVALID_ARG
    """An argument was out of range, or the settings break the heartbeat timing rule."""
    UNKNOWN_NODE = C.PHIFD_ERR_UNKNOWN_NODE
    """The node id is not monitored by this monitor."""
    STALE_GENERATION = C.PHIFD_ERR_STALE_GENERATION
    """A heartbeat carried a generation lower than the node's current one; nothing changed."""
    INVALID_HANDLE = C.PHIFD_ERR_INVALID_HANDLE
    """A handle that is not a live object (already freed or closed)."""
    INTERNAL = C.PHIFD_ERR_INTERNAL
    """A bug inside the library (a caught panic); the library stays usable."""
    BUFFER_TOO_SMALL = C.PHIFD_ERR_BUFFER_TOO_SMALL
    """A caller-provided struct or buffer is too small."""
    IO = C.PHIFD_ERR_IO
    """An operating-system I/O error (the message carries the path and the OS error text)."""
    CORRUPT = C.PHIFD_ERR_CORRUPT
    """Stored data is damaged (the message names the path and the damage)."""
    LOCKED = C.PHIFD_ERR_LOCKED
    """The resource (e.g. a generation file) is held by another live process."""
    MALFORMED = C.PHIFD_ERR_MALFORMED
    """Untrusted bytes are not a valid message (e.g. a heartbeat datagram); the message names the defect."""
    CAPACITY = C.PHIFD_ERR_CAPACITY
    """The monitor already holds ``max_nodes`` nodes; a new id was refused (and counted)."""
    AUTH = C.PHIFD_ERR_AUTH
    """The datagram's MAC does not verify."""
    UNKNOWN_KEY = C.PHIFD_ERR_UNKNOWN_KEY
    """The datagram names a key id the keyring does not hold."""


class PhifdError(Exception):
    """Base class of every error reported by the phifd library.

    Attributes:
        status: the status code (a :class:`Status`, or a plain ``int`` for a code this
            version of the binding does not know).
        message: the library's description of the failure (which function, which
            argument and why), or the binding's own description for errors detected
            before calling the library.
        statuses: for batch calls, the status of every record (``None`` otherwise).
    """

    status: Union[Status, int]
    message: str
    statuses: Optional[Sequence[Union[Status, int]]]

    def __init__(
        self,
        status: Union[Status, int],
        message: str,
        statuses: Optional[Sequence[Union[Status, int]]] = None,
    ) -> None:
        self.status = _as_status(int(status))
        self.message = message
        self.statuses = statuses
        name = self.status.name if isinstance(self.status, Status) else str(int(self.status))
        super().__init__(f"{message} [{name}]")


class NullArgumentError(PhifdError):
    """``PHIFD_ERR_NULL_ARG``: a required pointer was NULL (a bug in the caller of the C API)."""


class InvalidArgumentError(PhifdError, ValueError):
    """``PHIFD_ERR_INVALID_ARG``: a value out of range (also a :class:`ValueError`)."""


class UnknownNodeError(PhifdError, LookupError):
    """``PHIFD_ERR_UNKNOWN_NODE``: the node is not monitored (also a :class:`LookupError`)."""


class StaleGenerationError(PhifdError):
    """``PHIFD_ERR_STALE_GENERATION``: a heartbeat from an older incarnation; nothing changed.

    Answer the sender with the node's current generation (``Monitor.info(node).generation``).

    Attributes:
        datagram: when raised by :meth:`phifd.Monitor.receive`, the datagram that carried the
            old generation (verified, if a keyring was given), so the caller can answer its
            sender; ``None`` otherwise.
    """

    datagram: "Optional[Datagram]" = None


class InvalidHandleError(PhifdError):
    """``PHIFD_ERR_INVALID_HANDLE``: the object was closed (or its handle freed)."""


class InternalError(PhifdError):
    """``PHIFD_ERR_INTERNAL``: a bug inside the library; it remains usable. Please report it."""


class BufferTooSmallError(PhifdError):
    """``PHIFD_ERR_BUFFER_TOO_SMALL``: a versioned struct's ``size`` field, or a caller's
    buffer, was too small (the binding sizes its own buffers, so this is rare)."""


class IoError(PhifdError):
    """``PHIFD_ERR_IO``: an operating-system I/O error (missing directory, read-only filesystem,
    permission denied, disk full); the message carries the path and the OS error text."""


class CorruptError(PhifdError):
    """``PHIFD_ERR_CORRUPT``: stored data is damaged (truncated, garbage, checksum mismatch, a
    value beyond the sane bound); nothing is reset silently."""


class LockedError(PhifdError):
    """``PHIFD_ERR_LOCKED``: the resource is held by another live process (an OS lock)."""


class MalformedError(PhifdError, ValueError):
    """``PHIFD_ERR_MALFORMED``: untrusted bytes (a received datagram) are not a valid message;
    the message names the defect (wrong length, bad magic, unsupported version, unknown kind,
    undefined flags, checksum mismatch). Also a :class:`ValueError`. Drop the message and go on."""


class CapacityError(PhifdError):
    """``PHIFD_ERR_CAPACITY``: the monitor already holds :attr:`phifd.Config.max_nodes` nodes,
    so a heartbeat or registration of a new id was refused; nothing changed and the refusal is
    counted in :attr:`phifd.MonitorStats.rejected_over_capacity`. Known nodes are unaffected.
    Remove nodes or raise ``max_nodes``."""


class AuthError(PhifdError, ValueError):
    """``PHIFD_ERR_AUTH``: an authenticated datagram's MAC does not verify (forged, damaged or
    signed with another key); counted in :attr:`phifd.MonitorStats.rejected_bad_mac`. Also a
    :class:`ValueError`. Drop the datagram and go on."""


class UnknownKeyError(PhifdError, ValueError):
    """``PHIFD_ERR_UNKNOWN_KEY``: an authenticated datagram names a key id the keyring does not
    hold; counted in :attr:`phifd.MonitorStats.rejected_unknown_key`. Also a :class:`ValueError`."""


_CLASSES: Dict[int, Type[PhifdError]] = {
    Status.NULL_ARG: NullArgumentError,
    Status.INVALID_ARG: InvalidArgumentError,
    Status.UNKNOWN_NODE: UnknownNodeError,
    Status.STALE_GENERATION: StaleGenerationError,
    Status.INVALID_HANDLE: InvalidHandleError,
    Status.INTERNAL: InternalError,
    Status.BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.IO: IoError,
    Status.CORRUPT: CorruptError,
    Status.LOCKED: LockedError,
    Status.MALFORMED: MalformedError,
    Status.CAPACITY: CapacityError,
    Status.AUTH: AuthError,
    Status.UNKNOWN_KEY: UnknownKeyError,
}


def _as_status(code: int) -> Union[Status, int]:
    try:
        return Status(code)
    except ValueError:
        return code


def error_for_status(status: int, message: str, statuses: Optional[Sequence[Union[Status, int]]] = None) -> PhifdError:
    """The exception for a non-zero status code: the matching subclass of
    :class:`PhifdError`, or :class:`PhifdError` itself for a code unknown to this binding."""
    return _CLASSES.get(status, PhifdError)(status, message, statuses)
