"""The generation clock: a server's own durable term/epoch/incarnation counter."""

from __future__ import annotations

import os
from ctypes import byref, c_bool, c_uint64
from typing import Any, Callable, Union

from . import _cdefs
from ._errors import InvalidArgumentError, Status
from ._ffi import check, lib
from ._handle import OwnedHandle

__all__ = ["GenerationClock", "parse_generation", "MAX_GENERATION"]

#: Largest generation the library accepts (2**48); a larger value is damage, not history.
MAX_GENERATION: int = _cdefs.PHIFD_MAX_GENERATION

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class GenerationClock(OwnedHandle):
    """A server's own generation clock (a C ``phifd_generation``): the term, epoch or
    incarnation it stamps on everything it sends. It never goes backwards and never hands out
    the same generation twice, across crashes at any instant.

    Create one with :meth:`open` (durable, in a file) or :meth:`in_memory`. Use it as a context
    manager or call :meth:`close` (idempotent), which releases the file lock. Thread-safe: any
    number of threads may use one clock, including :meth:`close`, which waits for calls in
    progress.
    """

    _free = lib.phifd_generation_free
    _name = "GenerationClock"

    def __init__(self) -> None:
        """Not for direct use: call :meth:`open` or :meth:`in_memory`."""
        raise TypeError("use GenerationClock.open(path) or GenerationClock.in_memory(start)")

    @classmethod
    def _adopt(cls, constructor: Callable[..., int], *args: Any) -> "GenerationClock":
        self = cls.__new__(cls)
        self._create(constructor, *args)
        return self

    @classmethod
    def open(cls, path: PathLike) -> "GenerationClock":
        """Opens (or creates, mode 0600) the durable clock stored in the file ``path`` and starts
        a new incarnation: the generation becomes the stored value plus one (1 for a new file),
        durable before this returns. A lock file ``path.lock`` is held until :meth:`close`.

        Raises :class:`LockedError` (another live process holds it), :class:`CorruptError` (the
        file is damaged; it is left as it is), :class:`IoError` (missing directory, permissions,
        read-only filesystem), :class:`InvalidArgumentError` (empty path).
        """
        raw = os.fsencode(path)
        if b"\0" in raw:
            raise InvalidArgumentError(Status.INVALID_ARG, "GenerationClock.open: `path` contains a NUL byte")
        return cls._adopt(lib.phifd_generation_open, raw)

    @classmethod
    def in_memory(cls, start: int = 0) -> "GenerationClock":
        """An in-memory clock whose current generation is ``start`` (for tests, and for callers
        who persist the generation elsewhere). Raises :class:`InvalidArgumentError` if ``start``
        exceeds :data:`MAX_GENERATION`."""
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < 1 << 64:
            raise InvalidArgumentError(
                Status.INVALID_ARG, f"GenerationClock.in_memory: `start` must be an int in [0, 2**64), got {start!r}"
            )
        return cls._adopt(lib.phifd_generation_new_in_memory, start)

    @property
    def current(self) -> int:
        """The current generation."""
        out = c_uint64()
        self._call("current", lib.phifd_generation_current, byref(out))
        return out.value

    def advance(self) -> int:
        """Moves to a new generation (a new term, e.g. when starting an election), durable before
        it returns, and returns it. Raises :class:`IoError` (the generation is unchanged) or
        :class:`InvalidArgumentError` when :data:`MAX_GENERATION` is reached."""
        out = c_uint64()
        self._call("advance", lib.phifd_generation_advance, byref(out))
        return out.value

    def observe(self, remote: int) -> bool:
        """Adopts a generation seen in a message from a peer. If ``remote`` is higher than the
        current generation it is stored (durably) and True is returned: someone newer exists,
        and a leader must step down. Otherwise nothing changes and False is returned.
        Raises :class:`InvalidArgumentError` (``remote`` beyond :data:`MAX_GENERATION`) or
        :class:`IoError` (unchanged)."""
        if isinstance(remote, bool) or not isinstance(remote, int) or not 0 <= remote < 1 << 64:
            raise InvalidArgumentError(
                Status.INVALID_ARG, f"GenerationClock.observe: `remote` must be an int in [0, 2**64), got {remote!r}"
            )
        out = c_bool()
        self._call("observe", lib.phifd_generation_observe, remote, byref(out))
        return bool(out.value)

    def __repr__(self) -> str:
        return "GenerationClock(closed)" if self._ptr is None else f"GenerationClock(current={self.current})"


def parse_generation(data: bytes) -> int:
    """Parses the contents of a generation file without touching any file (for tools that
    inspect clocks). Returns the stored generation; raises :class:`CorruptError` naming the damage."""
    raw = bytes(data)
    out = c_uint64()
    check(lib.phifd_generation_parse(raw, len(raw), byref(out)))
    return out.value
