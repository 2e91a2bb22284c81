"""Ownership of a C handle shared by several Python threads (internal)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, List, Optional, TypeVar

from ._errors import InvalidHandleError, Status


#: The type of ``self`` in :meth:`OwnedHandle.__enter__`: ``with Monitor(cfg) as m`` types ``m``
#: as :class:`Monitor`, ``with GenerationClock.open(path) as c`` as :class:`GenerationClock`.
_Handle = TypeVar("_Handle", bound="OwnedHandle")


def closed_error(what: str) -> InvalidHandleError:
    """The error raised by a method of a closed object."""
    return InvalidHandleError(Status.INVALID_HANDLE, f"{what}: the object is closed")


class OwnedHandle:
    """Base of the classes that own a thread-safe C handle freed by a ``_free`` function.

    In-flight calls are counted in ``_active`` (``list.append``/``pop`` are atomic): a call
    registers itself *before* reading ``_ptr``, and :meth:`close` clears ``_ptr`` *before*
    waiting for ``_active`` to drain, so a call either sees ``None`` (and raises
    :class:`InvalidHandleError`) or is waited for: the handle is never freed under a call.
    """

    _ptr: Optional[int]
    _active: List[int]
    _close_lock: threading.Lock
    _free: Callable[[Any], None]
    _name: str = "object"

    def _init_handle(self, ptr: Optional[int]) -> None:
        self._active = []
        self._close_lock = threading.Lock()
        self._ptr = ptr

    def _enter(self, what: str) -> int:
        self._active.append(1)
        ptr = self._ptr
        if ptr is None:
            self._active.pop()
            raise closed_error(f"{self._name}.{what}")
        return ptr

    def _leave(self) -> None:
        self._active.pop()

    def close(self) -> None:
        """Frees the C object. Idempotent and thread-safe: waits for calls in progress on other
        threads; afterwards every method raises :class:`InvalidHandleError`."""
        with self._close_lock:
            ptr, self._ptr = self._ptr, None
            if ptr is None:
                return
            delay = 1e-5
            while self._active:
                time.sleep(delay)
                delay = min(delay * 2, 1e-3)
            type(self)._free(ptr)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._ptr is None

    def __enter__(self: _Handle) -> _Handle:
        """Returns the object itself (of its own class); :meth:`close` runs on leaving."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Nobody else can be using the object when it is collected, so no wait happens here.
        try:
            if getattr(self, "_ptr", None) is not None:
                self.close()
        except Exception:
            pass
