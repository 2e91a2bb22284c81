"""Ownership of a C handle shared by several Python threads, and the one call-and-check helper
(internal).

Every class that owns a C object (:class:`~phifd.Config`, :class:`~phifd.Monitor`,
:class:`~phifd.Keyring`, :class:`~phifd.GenerationClock`) derives from :class:`OwnedHandle`, which
creates the object (:meth:`OwnedHandle._create`), calls the library with it (:meth:`~OwnedHandle._call`,
:meth:`~OwnedHandle._call_status`, or :meth:`~OwnedHandle._borrow` when one call needs two handles)
and frees it exactly once (:meth:`~OwnedHandle.close`, ``with``, or garbage collection).
"""

from __future__ import annotations

import threading
import time
from ctypes import byref, c_void_p
from typing import Any, Callable, List, Optional, TypeVar

from ._errors import InvalidHandleError, Status, error_for_status
from ._ffi import last_error_message

#: The type of ``self`` in :meth:`OwnedHandle.__enter__`: ``with Monitor(cfg) as m`` types ``m``
#: as :class:`Monitor`, ``with GenerationClock.open(path) as c`` as :class:`GenerationClock`.
_Handle = TypeVar("_Handle", bound="OwnedHandle")


def closed_error(what: str) -> InvalidHandleError:
    """The error raised by a method of a closed object."""
    return InvalidHandleError(Status.INVALID_HANDLE, f"{what}: the object is closed")


class _Borrow:
    """``with owner._borrow(what) as ptr``: the handle, kept alive until the block ends."""

    __slots__ = ("_owner", "_what")

    def __init__(self, owner: "OwnedHandle", what: str) -> None:
        self._owner = owner
        self._what = what

    def __enter__(self) -> int:
        return self._owner._enter(self._what)

    def __exit__(self, *exc: object) -> None:
        self._owner._leave()


class OwnedHandle:
    """Base of the classes that own a thread-safe C handle freed by a ``_free`` function.

    Subclasses set ``_free`` (the C destructor) and ``_name`` (for messages), and create the
    handle with :meth:`_create`. Methods call the library through :meth:`_call` (raises on a
    failure) or :meth:`_call_status` (returns the status for the caller to inspect at once).

    In-flight calls are counted in ``_active`` (``list.append``/``pop`` are atomic): a call
    registers itself *before* reading ``_ptr``, and :meth:`close` clears ``_ptr`` *before*
    waiting for ``_active`` to drain, so a call either sees ``None`` (and raises
    :class:`InvalidHandleError`) or is waited for: the handle is never freed under a call.
    """

    _ptr: Optional[int] = None
    _active: List[int]
    _close_lock: threading.Lock
    _free: Callable[[Any], None]
    _name: str = "object"

    def _init_handle(self, ptr: Optional[int]) -> None:
        self._active = []
        self._close_lock = threading.Lock()
        self._ptr = ptr

    def _create(self, constructor: Callable[..., int], *args: Any) -> None:
        """Calls ``constructor(*args, &handle)`` and takes ownership of the new handle; raises
        the library's error (owning nothing) if it fails."""
        self._init_handle(None)
        handle = c_void_p()
        status = constructor(*args, byref(handle))
        if status:
            raise error_for_status(status, last_error_message())
        self._ptr = handle.value

    def _enter(self, what: str) -> int:
        self._active.append(1)
        ptr = self._ptr
        if ptr is None:
            self._active.pop()
            raise closed_error(f"{self._name}.{what}")
        return ptr

    def _leave(self) -> None:
        self._active.pop()

    def _borrow(self, what: str) -> _Borrow:
        """A context manager giving the handle for the ``with`` block (for a call that needs
        two handles, or a loop of calls); raises :class:`InvalidHandleError` if closed."""
        return _Borrow(self, what)

    def _call_status(self, what: str, function: Callable[..., int], *args: Any) -> int:
        """``function(handle, *args)``; returns its status without raising. A caller that gets a
        non-zero status must read the error (``check``) before any other library call on this
        thread. Raises :class:`InvalidHandleError` if the object is closed."""
        active = self._active
        active.append(1)
        try:
            ptr = self._ptr
            if ptr is None:
                raise closed_error(f"{self._name}.{what}")
            return function(ptr, *args)
        finally:
            active.pop()

    def _call(self, what: str, function: Callable[..., int], *args: Any) -> None:
        """``function(handle, *args)``; raises the library's error (with this thread's message)
        if it fails, :class:`InvalidHandleError` if the object is closed."""
        # The body of _call_status, written out: this is the path of every heartbeat, and a
        # call to _call_status would add a Python frame to each.
        active = self._active
        active.append(1)
        try:
            ptr = self._ptr
            if ptr is None:
                raise closed_error(f"{self._name}.{what}")
            status = function(ptr, *args)
        finally:
            active.pop()
        if status:
            raise error_for_status(status, last_error_message())

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
