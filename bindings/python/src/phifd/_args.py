"""Checks and conversions of the arguments the binding passes to the library (internal)."""

from __future__ import annotations

from array import array
from ctypes import c_uint64
from typing import Any, Iterable, Optional, Sequence, Tuple, Union

from ._errors import InvalidArgumentError, Status

U64_LIMIT = 1 << 64
U32_LIMIT = 1 << 32

#: A sequence of unsigned 64-bit integers: any iterable of ``int``, or (without copying) an
#: object exporting a C-contiguous buffer of native unsigned 64-bit items such as ``array('Q')``.
U64Seq = Union[Sequence[int], "array[int]", memoryview, Iterable[int]]


def u64_error(function: str, **values: Any) -> Exception:
    """The error for arguments that are not ints in [0, 2**64)."""
    for name, value in values.items():
        if not isinstance(value, int):
            return TypeError(f"{function}: `{name}` must be an int, got {type(value).__name__}")
        if not 0 <= value < U64_LIMIT:
            return InvalidArgumentError(
                Status.INVALID_ARG, f"{function}: `{name}` is {value}; it must be in [0, 2**64)"
            )
    return TypeError(f"{function}: invalid arguments")


def check_u64(function: str, **values: Any) -> None:
    """Raises :class:`TypeError` or :class:`InvalidArgumentError` unless every value is an int
    in [0, 2**64)."""
    try:
        bad = any(not 0 <= v < U64_LIMIT for v in values.values()) or any(
            not isinstance(v, int) for v in values.values()
        )
    except TypeError:
        bad = True
    if bad:
        raise u64_error(function, **values)


_NATIVE_U64_FORMATS = frozenset({"Q", "L", "@Q", "@L", "=Q", "<Q"})


def u64_array(function: str, name: str, values: Any, count: Optional[int]) -> Tuple[Any, int]:
    """A ctypes ``uint64_t`` array over ``values`` and its length.

    ``values`` may be an int (repeated ``count`` times), an object exporting a C-contiguous
    buffer of unsigned 64-bit items (used without copying when writable), or any iterable
    of ints (copied, with a range check).
    """
    if isinstance(values, int) and not isinstance(values, bool):
        if count is None:
            raise TypeError(f"{function}: `{name}` must be a sequence")
        check_u64(function, **{name: values})
        buf = array("Q", [values]) * count
        return (c_uint64 * count).from_buffer(buf), count
    try:
        view = memoryview(values)
    except TypeError:
        view = None
    if view is not None:
        if view.format not in _NATIVE_U64_FORMATS or view.itemsize != 8 or not view.c_contiguous:
            raise TypeError(
                f"{function}: `{name}` buffer must hold contiguous native uint64 items "
                f"(format 'Q'), got format {view.format!r} of {view.itemsize} bytes"
            )
        n = view.nbytes // 8
        if view.readonly:
            return (c_uint64 * n).from_buffer_copy(view), n
        return (c_uint64 * n).from_buffer(view), n
    try:
        buf = array("Q", values)
    except OverflowError:
        raise InvalidArgumentError(
            Status.INVALID_ARG, f"{function}: an element of `{name}` is outside [0, 2**64)"
        ) from None
    except TypeError as e:
        raise TypeError(f"{function}: `{name}` must contain ints ({e})") from None
    n = len(buf)
    return (c_uint64 * n).from_buffer(buf), n


def status_or_int(code: int) -> Union[Status, int]:
    """``Status(code)``, or the plain int for a code this binding does not know."""
    try:
        return Status(code)
    except ValueError:
        return code
