"""The Pythonic API: :class:`Config` and :class:`Monitor`."""

from __future__ import annotations

import math
import threading
import time
from array import array
from ctypes import (
    byref,
    c_bool,
    c_double,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
    create_string_buffer,
    sizeof,
)
from datetime import timedelta
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar, Union, cast

from . import _ffi
from ._auth import Keyring, Received, receive as _receive
from ._errors import InvalidArgumentError, Status, error_for_status
from ._handle import OwnedHandle, closed_error
from ._ffi import EventStruct, MonitorStatsStruct, NodeInfoStruct, SnapshotEntryStruct, check, lib
from ._types import (
    Estimator,
    Event,
    EventKind,
    Membership,
    MonitorStats,
    NodeInfo,
    SnapshotEntry,
    State,
    ns_to_timedelta,
)

__all__ = ["Config", "Monitor", "now_ns", "to_ns", "version", "status_name", "library_path"]

_U64_LIMIT = 1 << 64
_U32_LIMIT = 1 << 32

#: A sequence of unsigned 64-bit integers: any iterable of ``int``, or (without copying) an
#: object exporting a C-contiguous buffer of native unsigned 64-bit items such as ``array('Q')``.
U64Seq = Union[Sequence[int], "array[int]", memoryview, Iterable[int]]


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


def _u64_error(function: str, **values: Any) -> Exception:
    """The error for arguments that are not ints in [0, 2**64)."""
    for name, value in values.items():
        if not isinstance(value, int):
            return TypeError(f"{function}: `{name}` must be an int, got {type(value).__name__}")
        if not 0 <= value < _U64_LIMIT:
            return InvalidArgumentError(
                Status.INVALID_ARG, f"{function}: `{name}` is {value}; it must be in [0, 2**64)"
            )
    return TypeError(f"{function}: invalid arguments")


def _check_u64(function: str, **values: Any) -> None:
    try:
        bad = any(not 0 <= v < _U64_LIMIT for v in values.values()) or any(
            not isinstance(v, int) for v in values.values()
        )
    except TypeError:
        bad = True
    if bad:
        raise _u64_error(function, **values)


_NATIVE_U64_FORMATS = frozenset({"Q", "L", "@Q", "@L", "=Q", "<Q"})


def _u64_array(function: str, name: str, values: Any, count: Optional[int]) -> Tuple[Any, int]:
    """A ctypes ``uint64_t`` array over ``values`` and its length.

    ``values`` may be an int (repeated ``count`` times), an object exporting a C-contiguous
    buffer of unsigned 64-bit items (used without copying when writable), or any iterable
    of ints (copied, with a range check).
    """
    if isinstance(values, int) and not isinstance(values, bool):
        if count is None:
            raise TypeError(f"{function}: `{name}` must be a sequence")
        _check_u64(function, **{name: values})
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


#: The type of ``self`` in :meth:`Config.__enter__` (the class itself, or a subclass).
_Config = TypeVar("_Config", bound="Config")


class Config:
    """Settings for a :class:`Monitor`. Unset settings keep the library's defaults.

    Every setting is a keyword argument of the constructor and a read/write property; setting
    one validates it at once (raising :class:`InvalidArgumentError` with the library's message)
    and reading it gives the value set, or ``None`` for the library's default. Combinations of
    settings are validated when a :class:`Monitor` is created. Times are integer nanoseconds
    (see :func:`to_ns` to convert a ``timedelta`` or seconds).

    Owns a C ``phifd_config`` handle: release it with :meth:`close` or a ``with`` block (it is
    also released when the object is garbage-collected). A monitor copies the configuration,
    so a config may be reused, changed or closed after creating monitors. Thread safety: a
    config may be read by several threads, but do not change it from two threads at once.
    """

    _SETTERS = {
        "estimator": ("phifd_config_set_estimator", "u32"),
        "threshold": ("phifd_config_set_threshold", "f64"),
        "suspect_threshold": ("phifd_config_set_suspect_threshold", "f64"),
        "window": ("phifd_config_set_window", "u64"),
        "heartbeat_interval_ns": ("phifd_config_set_heartbeat_interval_ns", "u64"),
        "min_std_deviation_ns": ("phifd_config_set_min_std_deviation_ns", "u64"),
        "acceptable_pause_ns": ("phifd_config_set_acceptable_pause_ns", "u64"),
        "max_interval_ns": ("phifd_config_set_max_interval_ns", "u64"),
        "round_trip_ns": ("phifd_config_set_round_trip_ns", "u64"),
        "first_heartbeat_timeout_ns": ("phifd_config_set_first_heartbeat_timeout_ns", "u64"),
        "recovery_heartbeats": ("phifd_config_set_recovery_heartbeats", "u32"),
        "local_pause_threshold_ns": ("phifd_config_set_local_pause_threshold_ns", "u64"),
        "local_pause_grace_ns": ("phifd_config_set_local_pause_grace_ns", "u64"),
        "burst_fraction": ("phifd_config_set_burst_fraction", "f64"),
        "max_local_health": ("phifd_config_set_max_local_health", "u32"),
        "confirmations_expected": ("phifd_config_set_confirmations_expected", "u32"),
        "confirmation_min_ratio": ("phifd_config_set_confirmation_min_ratio", "f64"),
        "max_nodes": ("phifd_config_set_max_nodes", "u64"),
        "membership": ("phifd_config_set_membership", "u32"),
    }

    def __init__(
        self,
        *,
        estimator: Optional[Estimator] = None,
        threshold: Optional[float] = None,
        suspect_threshold: Optional[float] = None,
        window: Optional[int] = None,
        heartbeat_interval_ns: Optional[int] = None,
        min_std_deviation_ns: Optional[int] = None,
        acceptable_pause_ns: Optional[int] = None,
        max_interval_ns: Optional[int] = None,
        round_trip_ns: Optional[int] = None,
        first_heartbeat_timeout_ns: Optional[int] = None,
        recovery_heartbeats: Optional[int] = None,
        local_pause_threshold_ns: Optional[int] = None,
        local_pause_grace_ns: Optional[int] = None,
        burst_fraction: Optional[float] = None,
        max_local_health: Optional[int] = None,
        confirmations_expected: Optional[int] = None,
        confirmation_min_ratio: Optional[float] = None,
        max_nodes: Optional[int] = None,
        membership: Optional[Membership] = None,
    ) -> None:
        """Creates a configuration; each keyword given sets that setting (see the properties)."""
        self._lock = threading.Lock()
        self._values: Dict[str, Any] = {}
        self._ptr: Optional[int] = None
        handle = c_void_p()
        check(lib.phifd_config_new(byref(handle)))
        self._ptr = handle.value
        args = dict(
            estimator=estimator,
            threshold=threshold,
            suspect_threshold=suspect_threshold,
            window=window,
            heartbeat_interval_ns=heartbeat_interval_ns,
            min_std_deviation_ns=min_std_deviation_ns,
            acceptable_pause_ns=acceptable_pause_ns,
            max_interval_ns=max_interval_ns,
            round_trip_ns=round_trip_ns,
            first_heartbeat_timeout_ns=first_heartbeat_timeout_ns,
            recovery_heartbeats=recovery_heartbeats,
            local_pause_threshold_ns=local_pause_threshold_ns,
            local_pause_grace_ns=local_pause_grace_ns,
            burst_fraction=burst_fraction,
            max_local_health=max_local_health,
            confirmations_expected=confirmations_expected,
            confirmation_min_ratio=confirmation_min_ratio,
            max_nodes=max_nodes,
            membership=membership,
        )
        try:
            for key, value in args.items():
                if value is not None:
                    self._set(key, value)
        except BaseException:
            self.close()
            raise

    def _set(self, key: str, value: Any) -> None:
        function, kind = self._SETTERS[key]
        if value is None:
            raise TypeError(f"Config.{key}: a setting cannot be reset to the default; use a new Config")
        if kind == "f64":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Config.{key}: expected a number, got {type(value).__name__}")
            arg: Any = float(value)
        else:
            if key == "membership" and not isinstance(value, Membership):
                try:
                    value = Membership(value) if isinstance(value, int) else Membership[str(value).upper()]
                except (KeyError, ValueError):
                    raise InvalidArgumentError(
                        Status.INVALID_ARG,
                        f"Config.membership: unknown mode {value!r} (valid: Membership.OPEN, Membership.FIXED)",
                    ) from None
            if key == "estimator" and not isinstance(value, Estimator):
                try:
                    value = Estimator(value) if isinstance(value, int) else Estimator[str(value).upper()]
                except (KeyError, ValueError):
                    raise InvalidArgumentError(
                        Status.INVALID_ARG, f"Config.estimator: unknown estimator {value!r}"
                    ) from None
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Config.{key}: expected an int, got {type(value).__name__}")
            limit = _U32_LIMIT if kind == "u32" else _U64_LIMIT
            if not 0 <= value < limit:
                raise InvalidArgumentError(
                    Status.INVALID_ARG, f"Config.{key}: {value} is out of range [0, {limit})"
                )
            arg = int(value)
        with self._lock:
            if self._ptr is None:
                raise closed_error("Config")
            check(getattr(lib, function)(self._ptr, arg))
            self._values[key] = value

    def _get(self, key: str) -> Any:
        return self._values.get(key)

    @property
    def estimator(self) -> Optional[Estimator]:
        """The :class:`Estimator` (default ``Estimator.AKKA``). Also accepts its name, e.g. ``"normal"``."""
        return self._get("estimator")  # type: ignore[no-any-return]

    @estimator.setter
    def estimator(self, value: Union[Estimator, int, str]) -> None:
        self._set("estimator", value)

    @property
    def threshold(self) -> Optional[float]:
        """phi at or above which a node is FAILED: finite, > 0 and <= 1e6 (default 8)."""
        return self._get("threshold")  # type: ignore[no-any-return]

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set("threshold", value)

    @property
    def suspect_threshold(self) -> Optional[float]:
        """phi at or above which a node is SUSPECT; must be below ``threshold`` (default threshold / 2)."""
        return self._get("suspect_threshold")  # type: ignore[no-any-return]

    @suspect_threshold.setter
    def suspect_threshold(self, value: float) -> None:
        self._set("suspect_threshold", value)

    @property
    def window(self) -> Optional[int]:
        """Inter-arrival intervals remembered per node, 1 to 1,048,576 (default 1000)."""
        return self._get("window")  # type: ignore[no-any-return]

    @window.setter
    def window(self, value: int) -> None:
        self._set("window", value)

    @property
    def heartbeat_interval_ns(self) -> Optional[int]:
        """Expected heartbeat interval, ns, >= 1000 (default 1 s); also the seed of every history."""
        return self._get("heartbeat_interval_ns")  # type: ignore[no-any-return]

    @heartbeat_interval_ns.setter
    def heartbeat_interval_ns(self, value: int) -> None:
        self._set("heartbeat_interval_ns", value)

    @property
    def min_std_deviation_ns(self) -> Optional[int]:
        """Floor of the standard deviation used by phi, ns, > 0 (default heartbeat interval / 4)."""
        return self._get("min_std_deviation_ns")  # type: ignore[no-any-return]

    @min_std_deviation_ns.setter
    def min_std_deviation_ns(self, value: int) -> None:
        self._set("min_std_deviation_ns", value)

    @property
    def acceptable_pause_ns(self) -> Optional[int]:
        """Pause added to the learned mean, ns, 0 allowed (default 0)."""
        return self._get("acceptable_pause_ns")  # type: ignore[no-any-return]

    @acceptable_pause_ns.setter
    def acceptable_pause_ns(self, value: int) -> None:
        self._set("acceptable_pause_ns", value)

    @property
    def max_interval_ns(self) -> Optional[int]:
        """Longest interval that is learned, ns; longer ones are dropped (default: 2 x the
        heartbeat interval for the exponential estimator, none otherwise)."""
        return self._get("max_interval_ns")  # type: ignore[no-any-return]

    @max_interval_ns.setter
    def max_interval_ns(self, value: int) -> None:
        self._set("max_interval_ns", value)

    @property
    def round_trip_ns(self) -> Optional[int]:
        """Declared network round trip, ns (optional): enables the check
        ``timeout > heartbeat interval > round trip`` when the monitor is created."""
        return self._get("round_trip_ns")  # type: ignore[no-any-return]

    @round_trip_ns.setter
    def round_trip_ns(self, value: int) -> None:
        self._set("round_trip_ns", value)

    @property
    def first_heartbeat_timeout_ns(self) -> Optional[int]:
        """How long a node registered with :meth:`Monitor.add_node` may stay silent before its
        first heartbeat, ns (default: the time the seeded history takes to reach the threshold)."""
        return self._get("first_heartbeat_timeout_ns")  # type: ignore[no-any-return]

    @first_heartbeat_timeout_ns.setter
    def first_heartbeat_timeout_ns(self, value: int) -> None:
        self._set("first_heartbeat_timeout_ns", value)

    @property
    def recovery_heartbeats(self) -> Optional[int]:
        """Consecutive heartbeats a FAILED node needs to be ALIVE again, 1 to 255 (default 2)."""
        return self._get("recovery_heartbeats")  # type: ignore[no-any-return]

    @recovery_heartbeats.setter
    def recovery_heartbeats(self, value: int) -> None:
        self._set("recovery_heartbeats", value)

    @property
    def local_pause_threshold_ns(self) -> Optional[int]:
        """Gap between two calls on the monitor, ns, > 0, beyond which the monitor concludes that
        its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also exceed 4 x
        the usual gap between polls, and 8 polls must have established that cadence. After a
        pause no node is convicted for :attr:`local_pause_grace_ns` and no interval spanning
        the pause is learned. Default: half the steady timeout (the silence that takes phi to
        the threshold on a steady history). Poll at least every heartbeat interval."""
        return self._get("local_pause_threshold_ns")  # type: ignore[no-any-return]

    @local_pause_threshold_ns.setter
    def local_pause_threshold_ns(self, value: int) -> None:
        self._set("local_pause_threshold_ns", value)

    @property
    def local_pause_grace_ns(self) -> Optional[int]:
        """How long after a detected local pause no node is convicted, ns, 0 allowed
        (default 2 x the steady timeout)."""
        return self._get("local_pause_grace_ns")  # type: ignore[no-any-return]

    @local_pause_grace_ns.setter
    def local_pause_grace_ns(self, value: int) -> None:
        self._set("local_pause_grace_ns", value)

    @property
    def burst_fraction(self) -> Optional[float]:
        """In [0, 1): an interval shorter than this fraction of the learned mean is not learned
        (the arrival still counts), so bursts delivered after a stall do not distort the
        statistics. 0 learns every interval (default 0.25)."""
        return self._get("burst_fraction")  # type: ignore[no-any-return]

    @burst_fraction.setter
    def burst_fraction(self, value: float) -> None:
        self._set("burst_fraction", value)

    @property
    def max_local_health(self) -> Optional[int]:
        """Largest local health score, 0 to 64 (default 7: convicting takes at most 8 x longer).
        See :attr:`Monitor.local_health`."""
        return self._get("max_local_health")  # type: ignore[no-any-return]

    @max_local_health.setter
    def max_local_health(self, value: int) -> None:
        self._set("max_local_health", value)

    @property
    def confirmations_expected(self) -> Optional[int]:
        """``k``, the number of distinct suspicion reports (:meth:`Monitor.report_suspect`)
        after which conviction needs only the minimum silence, 1 to 64 (default 3)."""
        return self._get("confirmations_expected")  # type: ignore[no-any-return]

    @confirmations_expected.setter
    def confirmations_expected(self, value: int) -> None:
        self._set("confirmations_expected", value)

    @property
    def confirmation_min_ratio(self) -> Optional[float]:
        """In (0, 1]: the fraction of a node's own deadline after which it is convicted once
        ``confirmations_expected`` peers report it (default 0.5)."""
        return self._get("confirmation_min_ratio")  # type: ignore[no-any-return]

    @confirmation_min_ratio.setter
    def confirmation_min_ratio(self, value: float) -> None:
        self._set("confirmation_min_ratio", value)

    @property
    def max_nodes(self) -> Optional[int]:
        """Most nodes the monitor holds, 1 to 2**26 (default 65,536: about 4 KB a node with a
        full default window, so at most about 265 MB). Beyond it a heartbeat or registration of
        a new id raises :class:`CapacityError` and is counted; known nodes are unaffected."""
        return self._get("max_nodes")  # type: ignore[no-any-return]

    @max_nodes.setter
    def max_nodes(self, value: int) -> None:
        self._set("max_nodes", value)

    @property
    def membership(self) -> Optional[Membership]:
        """The :class:`Membership` mode (default ``Membership.OPEN``); also accepts its name,
        e.g. ``"fixed"``. Under ``FIXED`` only nodes added with :meth:`Monitor.add_node` are
        accepted and a heartbeat from another id raises :class:`UnknownNodeError`."""
        return self._get("membership")  # type: ignore[no-any-return]

    @membership.setter
    def membership(self, value: Union[Membership, int, str]) -> None:
        self._set("membership", value)

    def close(self) -> None:
        """Releases the C handle. Idempotent; afterwards setters raise :class:`InvalidHandleError`."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            if ptr is not None:
                lib.phifd_config_free(ptr)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._ptr is None

    def __enter__(self: _Config) -> _Config:
        """Returns the config itself; :meth:`close` runs on leaving the ``with`` block."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if getattr(self, "_ptr", None) is not None:
                self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Config({items})"


_heartbeat = lib.phifd_heartbeat
_phi = lib.phifd_phi
_monotonic_ns = time.monotonic_ns


class Monitor(OwnedHandle):
    """A failure detector for many peers (a C ``phifd_monitor``).

    Create it with an optional :class:`Config` (``None`` for all defaults); the configuration
    is copied. Use it as a context manager or call :meth:`close` (idempotent; it is also
    closed when garbage-collected). After closing, every method raises
    :class:`InvalidHandleError`.

    Times are integer nanoseconds of the monotonic clock (:func:`now_ns`, the same clock as
    :func:`time.monotonic_ns`); a ``now_ns`` of ``None`` means "now". Node ids and
    generations are ints in ``[0, 2**64)``.

    Thread safety: any number of threads may call any method at once, including
    :meth:`close`, which waits for calls in progress and then frees the monitor. The library
    releases the GIL during each call, so threads run in parallel.
    """

    def __init__(self, config: Optional[Config] = None) -> None:
        """Creates a monitor. Raises :class:`InvalidArgumentError` (naming the settings at
        fault) if the configuration's settings do not fit together."""
        self._init_handle(None)
        handle = c_void_p()
        if config is None:
            check(lib.phifd_monitor_new(None, byref(handle)))
        else:
            if not isinstance(config, Config):
                raise TypeError(f"Monitor: config must be a phifd.Config, got {type(config).__name__}")
            with config._lock:
                if config._ptr is None:
                    raise closed_error("Monitor: config")
                check(lib.phifd_monitor_new(config._ptr, byref(handle)))
        self._ptr = handle.value

    _free = lib.phifd_monitor_free
    _name = "Monitor"

    def __repr__(self) -> str:
        return "Monitor(closed)" if self._ptr is None else f"Monitor(nodes={self.node_count()})"

    def heartbeat(self, node: int, generation: int = 0, now_ns: Optional[int] = None) -> None:
        """Records a heartbeat from ``node`` carrying ``generation``, received at ``now_ns``
        (take it where the message was received). An unknown node is added (UNKNOWN -> ALIVE).
        A higher generation restarts the node's history (a RESTARTED event).

        Raises :class:`StaleGenerationError` if ``generation`` is lower than the node's current
        one (nothing changes).
        """
        if now_ns is None:
            now_ns = _monotonic_ns()
        try:
            bad = (node | generation | now_ns) >> 64
        except TypeError:
            bad = True
        if bad:
            raise _u64_error("Monitor.heartbeat", node=node, generation=generation, now_ns=now_ns)
        ptr = self._enter("heartbeat")
        try:
            status = _heartbeat(ptr, node, generation, now_ns)
        finally:
            self._active.pop()
        if status:
            check(status)

    def heartbeat_version(
        self, node: int, generation: int, version: int, now_ns: Optional[int] = None
    ) -> bool:
        """Records a heartbeat that carries ``version``, a counter the sender increments with
        every heartbeat (as gossip spreads it), received at ``now_ns``. Returns True if it
        counted: only a ``(generation, version)`` newer than anything seen for the node counts,
        so the same version relayed by many peers is one arrival and an old version arriving
        late is ignored (False; counted in :attr:`MonitorStats.duplicate_heartbeats`). When
        versions jump, the window learns the gap between observations and the per-heartbeat
        interval is estimated separately (:attr:`NodeInfo.heartbeat_interval_ns`). A counted
        arrival clears every suspicion report about the node. Otherwise as :meth:`heartbeat`.

        Raises :class:`StaleGenerationError` if ``generation`` is lower than the node's current
        one (nothing changes).
        """
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.heartbeat_version", node=node, generation=generation, version=version, now_ns=now_ns)
        counted = c_bool()
        ptr = self._enter("heartbeat_version")
        try:
            status = lib.phifd_heartbeat_version(ptr, node, generation, version, now_ns, byref(counted))
        finally:
            self._active.pop()
        check(status)
        return bool(counted.value)

    def receive(
        self,
        data: Union[bytes, bytearray, memoryview],
        now_ns: Optional[int] = None,
        keyring: Optional[Keyring] = None,
    ) -> Received:
        """Receives one datagram (``phifd_monitor_receive``): the untrusted bytes ``data`` as
        ``recvfrom`` returned them, received at ``now_ns`` (default: now). With a ``keyring``
        only authenticated 68-byte datagrams are accepted and verified as by
        :meth:`Datagram.decode_auth`; without one only the unauthenticated 56-byte datagram, as
        by :meth:`Datagram.decode` (for a trusted, isolated network only: anyone who can send a
        packet can forge one). A heartbeat is then recorded as by :meth:`heartbeat_version`;
        a stale reply is decoded but not applied.

        Returns a :class:`Received` ``(datagram, counted)``: ``counted`` is True only when the
        heartbeat's ``(generation, version)`` is newer than anything the node has shown, so a
        replayed, duplicated or reordered old datagram never counts.

        Raises (each refusal is counted in :meth:`stats`): :class:`MalformedError`
        (``rejected_malformed``, or ``rejected_bad_generation`` for a generation beyond
        :data:`phifd.MAX_GENERATION`), :class:`UnknownKeyError` (``rejected_unknown_key``),
        :class:`AuthError` (``rejected_bad_mac``); then what :meth:`heartbeat_version` raises:
        :class:`StaleGenerationError` for an older generation (its ``datagram`` attribute holds
        the verified datagram, so the sender can be answered), :class:`CapacityError`,
        :class:`UnknownNodeError`. With a keyring, an authentic heartbeat that did not count is
        counted in ``rejected_replayed``. Thread-safe.
        """
        return _receive(self, data, _monotonic_ns() if now_ns is None else now_ns, keyring)

    def report_suspect(self, node: int, reporter: int) -> None:
        """Records that peer ``reporter`` suspects ``node`` (suspicion spread by gossip).
        Reports from distinct reporters shorten the silence that convicts ``node`` by
        Lifeguard's formula: ``fail_after = ceil(base * max(r, 1 - (1 - r) * ln(n + 1) /
        ln(k + 1)))`` with ``n`` distinct reporters, ``k`` = :attr:`Config.confirmations_expected`
        and ``r`` = :attr:`Config.confirmation_min_ratio`. Repeated reports from one reporter
        count once; at most ``k`` reporters are kept; the node's next counted heartbeat clears
        them (:attr:`NodeInfo.confirmations`).

        Raises :class:`UnknownNodeError` if ``node`` is not monitored, or
        :class:`InvalidArgumentError` if ``reporter == node``.
        """
        _check_u64("Monitor.report_suspect", node=node, reporter=reporter)
        ptr = self._enter("report_suspect")
        try:
            status = lib.phifd_node_report_suspect(ptr, node, reporter)
        finally:
            self._active.pop()
        check(status)

    @property
    def local_health(self) -> int:
        """The local health score (Lifeguard's local health multiplier): every node's time to
        conviction is multiplied by ``1 + score``.

        Reading gives the effective score: the host's (the value set here) plus the monitor's
        own (raised by late polls and detected pauses), capped at
        :attr:`Config.max_local_health`. Setting gives the host's score, 0 (healthy) to
        ``max_local_health`` (default 7): raise it when this host struggles (failed probes,
        event-loop lag, queue depth), lower it when it recovers. A score above the maximum
        raises :class:`InvalidArgumentError`.
        """
        out = c_uint32()
        ptr = self._enter("local_health")
        try:
            status = lib.phifd_monitor_get_local_health(ptr, byref(out))
        finally:
            self._active.pop()
        check(status)
        return out.value

    @local_health.setter
    def local_health(self, score: int) -> None:
        self.set_local_health(score)

    def set_local_health(self, score: int) -> None:
        """Sets the host's local health score (same as assigning :attr:`local_health`).
        Raises :class:`InvalidArgumentError` if ``score`` is negative or above
        :attr:`Config.max_local_health`, :class:`TypeError` if it is not an int."""
        if isinstance(score, bool) or not isinstance(score, int):
            raise TypeError(f"Monitor.local_health: expected an int, got {type(score).__name__}")
        if not 0 <= score < _U32_LIMIT:
            raise InvalidArgumentError(
                Status.INVALID_ARG, f"Monitor.local_health: {score} is out of range [0, 2**32)"
            )
        ptr = self._enter("set_local_health")
        try:
            status = lib.phifd_monitor_set_local_health(ptr, score)
        finally:
            self._active.pop()
        check(status)

    def add_node(self, node: int, generation: int = 0, now_ns: Optional[int] = None) -> None:
        """Registers ``node`` at ``now_ns`` before its first heartbeat (state UNKNOWN), so that
        it becomes FAILED if it never sends one within the first-heartbeat timeout. Registering
        a monitored node changes nothing."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.add_node", node=node, generation=generation, now_ns=now_ns)
        ptr = self._enter("add_node")
        try:
            status = lib.phifd_node_add(ptr, node, generation, now_ns)
        finally:
            self._active.pop()
        check(status)

    def remove(self, node: int) -> None:
        """Stops monitoring ``node`` and forgets its history and generation; pending events about
        it stay queued. Raises :class:`UnknownNodeError` if it is not monitored."""
        _check_u64("Monitor.remove", node=node)
        ptr = self._enter("remove")
        try:
            status = lib.phifd_node_remove(ptr, node)
        finally:
            self._active.pop()
        check(status)

    def phi(self, node: int, now_ns: Optional[int] = None) -> float:
        """The phi of ``node`` at ``now_ns``: never NaN or negative, finite for every finite time,
        non-decreasing in time until the next heartbeat. Read-only.
        Raises :class:`UnknownNodeError` if the node is not monitored."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        try:
            bad = (node | now_ns) >> 64
        except TypeError:
            bad = True
        if bad:
            raise _u64_error("Monitor.phi", node=node, now_ns=now_ns)
        out = c_double()
        ptr = self._enter("phi")
        try:
            status = _phi(ptr, node, now_ns, out)  # ctypes passes a c_double by reference
        finally:
            self._active.pop()
        if status:
            check(status)
        return out.value

    def info(self, node: int, now_ns: Optional[int] = None) -> NodeInfo:
        """The state, phi, generation and statistics of ``node`` as of ``now_ns`` (read-only: the
        state is the one its silence implies; events come from heartbeats and polls).
        Raises :class:`UnknownNodeError` if the node is not monitored."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.info", node=node, now_ns=now_ns)
        raw = NodeInfoStruct()
        raw.size = sizeof(NodeInfoStruct)
        ptr = self._enter("info")
        try:
            status = lib.phifd_node_get_info(ptr, node, now_ns, byref(raw))
        finally:
            self._active.pop()
        check(status)
        return NodeInfo(
            node=raw.node,
            generation=raw.generation,
            state=State(raw.state),
            phi=raw.phi,
            last_arrival_ns=raw.last_arrival_ns,
            silence_origin_ns=raw.silence_origin_ns,
            samples=raw.samples,
            mean_ns=raw.mean_ns,
            sd_ns=raw.sd_ns,
            suspect_after_ns=raw.suspect_after_ns,
            fail_after_ns=raw.fail_after_ns,
            has_arrival=bool(raw.has_arrival),
            version=raw.version,
            heartbeat_interval_ns=raw.heartbeat_interval_ns,
            confirmations=raw.confirmations,
        )

    def time_until_phi(self, node: int, phi: float) -> int:
        """The silence after the node's last arrival, in ns, at which its phi first reaches
        ``phi`` on its current history (0 if it is already there at zero silence). With
        ``phi`` = the threshold this is how long until the node is declared dead.
        Raises :class:`UnknownNodeError`, or :class:`InvalidArgumentError` for a NaN, infinite
        or negative ``phi``."""
        _check_u64("Monitor.time_until_phi", node=node)
        if isinstance(phi, bool) or not isinstance(phi, (int, float)):
            raise TypeError(f"Monitor.time_until_phi: `phi` must be a number, got {type(phi).__name__}")
        out = c_uint64()
        ptr = self._enter("time_until_phi")
        try:
            status = lib.phifd_node_time_until_phi(ptr, node, float(phi), byref(out))
        finally:
            self._active.pop()
        check(status)
        return out.value

    def time_until_phi_timedelta(self, node: int, phi: float) -> timedelta:
        """:meth:`time_until_phi` as a :class:`datetime.timedelta` (microsecond resolution)."""
        return ns_to_timedelta(self.time_until_phi(node, phi))

    def poll(self, now_ns: Optional[int] = None, max_events: Optional[int] = None) -> List[Event]:
        """Evaluates every node at ``now_ns`` and returns the pending transitions, oldest first:
        all of them, or at most ``max_events`` (the rest stay queued for the next poll)."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.poll", now_ns=now_ns)
        if max_events is not None and (not isinstance(max_events, int) or max_events < 0):
            raise InvalidArgumentError(Status.INVALID_ARG, "Monitor.poll: `max_events` must be an int >= 0")
        events: List[Event] = []
        chunk = 256
        buf = (EventStruct * chunk)()
        written = c_size_t()
        while max_events is None or len(events) < max_events:
            cap = chunk if max_events is None else min(chunk, max_events - len(events))
            ptr = self._enter("poll")
            try:
                status = lib.phifd_monitor_poll(ptr, now_ns, buf, cap, byref(written))
            finally:
                self._active.pop()
            check(status)
            n = written.value
            for i in range(n):
                e = buf[i]
                events.append(
                    Event(
                        node=e.node,
                        generation=e.generation,
                        time_ns=e.time_ns,
                        phi=e.phi,
                        kind=EventKind(e.kind),
                        from_state=State(e.from_),
                        to_state=State(e.to),
                    )
                )
            if n < cap:
                break
        return events

    def node_count(self) -> int:
        """The number of monitored nodes (also ``len(monitor)``)."""
        out = c_uint64()
        ptr = self._enter("node_count")
        try:
            status = lib.phifd_monitor_node_count(ptr, byref(out))
        finally:
            self._active.pop()
        check(status)
        return out.value

    def __len__(self) -> int:
        return self.node_count()

    def stats(self) -> MonitorStats:
        """The monitor's counters (nodes, pending, dropped, stale and duplicate events) and the
        state of its pause guard and local health (see :class:`MonitorStats`)."""
        raw = MonitorStatsStruct()
        raw.size = sizeof(MonitorStatsStruct)
        ptr = self._enter("stats")
        try:
            status = lib.phifd_monitor_get_stats(ptr, byref(raw))
        finally:
            self._active.pop()
        check(status)
        return MonitorStats(
            nodes=raw.nodes,
            pending_events=raw.pending_events,
            dropped_events=raw.dropped_events,
            stale_heartbeats=raw.stale_heartbeats,
            duplicate_heartbeats=raw.duplicate_heartbeats,
            pauses_detected=raw.pauses_detected,
            last_pause_start_ns=raw.last_pause_start_ns,
            last_pause_end_ns=raw.last_pause_end_ns,
            grace_until_ns=raw.grace_until_ns,
            local_health=raw.local_health,
            rejected_over_capacity=raw.rejected_over_capacity,
            rejected_unknown_node=raw.rejected_unknown_node,
            rejected_bad_generation=raw.rejected_bad_generation,
            rejected_malformed=raw.rejected_malformed,
            rejected_bad_mac=raw.rejected_bad_mac,
            rejected_unknown_key=raw.rejected_unknown_key,
            rejected_replayed=raw.rejected_replayed,
        )

    def snapshot(self, now_ns: Optional[int] = None) -> List[SnapshotEntry]:
        """Every monitored node's state and statistics at ``now_ns`` (default now), sorted by
        node id: one library call instead of :meth:`info` per node (each entry equals what
        :meth:`info` tells at that time). Read-only; the library locks one shard at a time, so
        the snapshot is consistent per node, not across nodes changed concurrently."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.snapshot", now_ns=now_ns)
        total = c_size_t()
        cap = 0
        buf: Any = None
        while True:  # nodes may be added between the calls: grow until everything fits
            ptr = self._enter("snapshot")
            try:
                status = lib.phifd_monitor_snapshot(ptr, now_ns, buf, cap, byref(total))
            finally:
                self._active.pop()
            check(status)
            if total.value <= cap:
                break
            cap = total.value + total.value // 8 + 8
            buf = (SnapshotEntryStruct * cap)()
        return [
            SnapshotEntry(
                node=e.node,
                generation=e.generation,
                state=State(e.state),
                phi=e.phi,
                last_arrival_ns=e.last_arrival_ns,
                mean_ns=e.mean_ns,
                sd_ns=e.sd_ns,
                time_until_failure_ns=e.time_until_failure_ns,
                version=e.version,
                confirmations=e.confirmations,
            )
            for e in (buf[i] for i in range(total.value))
        ]

    def prometheus(self, now_ns: Optional[int] = None) -> str:
        """The monitor's state at ``now_ns`` (default now) in the Prometheus text exposition
        format 0.0.4, ready to serve on a metrics endpoint (``Content-Type: text/plain;
        version=0.0.4``): per node (label ``node``) ``phifd_node_phi``, ``_state`` (one-hot,
        label ``state``), ``_generation``, ``_silence_seconds``, ``_mean_interval_seconds``,
        ``_interval_stddev_seconds``, ``_time_until_conviction_seconds``, ``_samples``; per
        monitor ``phifd_monitor_nodes``, ``_local_health``, ``_pauses_total``,
        ``_stale_heartbeats_total``, ``_duplicate_heartbeats_total``,
        ``_dropped_events_total``. Read-only."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64("Monitor.prometheus", now_ns=now_ns)
        needed = c_size_t()
        cap = self._prometheus_cap
        while True:  # the text may grow between calls (nodes added): retry with the size needed
            buf = create_string_buffer(cap)
            ptr = self._enter("prometheus")
            try:
                status = lib.phifd_monitor_render_prometheus(ptr, now_ns, buf, cap, byref(needed))
            finally:
                self._active.pop()
            if status != Status.BUFFER_TOO_SMALL:
                break
            cap = needed.value + needed.value // 8 + 1
        check(status)
        self._prometheus_cap = max(self._prometheus_cap, cap)
        return buf.raw[: needed.value].decode("utf-8")

    #: Buffer size of the first :meth:`prometheus` attempt, bytes; grows to what was needed.
    _prometheus_cap = 4096

    def heartbeat_batch(
        self,
        nodes: U64Seq,
        generations: Union[U64Seq, int] = 0,
        times_ns: Union[U64Seq, int, None] = None,
    ) -> None:
        """Records many heartbeats in one library call, exactly as repeated :meth:`heartbeat`
        calls in order would: record ``i`` is ``nodes[i]``, ``generations[i]``, ``times_ns[i]``.

        ``generations`` and ``times_ns`` may be single ints shared by every record
        (``times_ns=None`` means now). Each argument may be a sequence of ints (copied) or a
        buffer of native uint64 items such as ``array('Q')`` (used without copying).

        Every record is processed even if some fail. If any failed, raises the error of the
        first failing record (its message names the index), with ``statuses`` holding every
        record's :class:`Status`.
        """
        node_arr, n = _u64_array("Monitor.heartbeat_batch", "nodes", nodes, None)
        gen_arr, ng = _u64_array("Monitor.heartbeat_batch", "generations", generations, n)
        if times_ns is None:
            times_ns = _monotonic_ns()
        time_arr, nt = _u64_array("Monitor.heartbeat_batch", "times_ns", times_ns, n)
        if not n == ng == nt:
            raise InvalidArgumentError(
                Status.INVALID_ARG,
                f"Monitor.heartbeat_batch: lengths differ (nodes {n}, generations {ng}, times_ns {nt})",
            )
        statuses = (c_uint32 * n)()
        ptr = self._enter("heartbeat_batch")
        try:
            status = lib.phifd_heartbeat_batch(ptr, node_arr, gen_arr, time_arr, n, statuses)
        finally:
            self._active.pop()
        if status:
            message = _ffi.last_error_message()
            codes = [_status_or_int(s) for s in statuses]
            raise error_for_status(status, message, codes)

    def phi_batch(self, nodes: U64Seq, now_ns: Optional[int] = None, *, strict: bool = True) -> List[float]:
        """The phi of many nodes at one time ``now_ns``, in one library call, equal bit for bit
        to :meth:`phi` for each. ``nodes`` is a sequence of ints or a buffer of native uint64
        (``array('Q')``, used without copying).

        With ``strict`` (the default) an unknown node raises :class:`UnknownNodeError` (its
        message names the first such index; ``statuses`` lists every node's status); with
        ``strict=False`` unknown nodes get NaN instead.
        """
        result = self._phi_batch(nodes, now_ns, strict, None, "phi_batch")
        return cast(List[float], result[:])

    def phi_batch_into(
        self, nodes: U64Seq, out: Any, now_ns: Optional[int] = None, *, strict: bool = True
    ) -> None:
        """Like :meth:`phi_batch`, but writes the values into ``out``, a writable buffer of at
        least ``len(nodes)`` native doubles such as ``array('d')``, without copying."""
        self._phi_batch(nodes, now_ns, strict, out, "phi_batch_into")

    def _phi_batch(self, nodes: Any, now_ns: Optional[int], strict: bool, out: Any, what: str) -> Any:
        function = f"Monitor.{what}"
        node_arr, n = _u64_array(function, "nodes", nodes, None)
        if now_ns is None:
            now_ns = _monotonic_ns()
        _check_u64(function, now_ns=now_ns)
        if out is None:
            out_arr = (c_double * n)()
        else:
            view = memoryview(out)
            if view.readonly or view.format not in ("d", "@d", "=d", "<d") or not view.c_contiguous:
                raise TypeError(f"{function}: `out` must be a writable contiguous buffer of doubles")
            if view.nbytes < 8 * n:
                raise InvalidArgumentError(
                    Status.INVALID_ARG, f"{function}: `out` holds {view.nbytes // 8} doubles, {n} needed"
                )
            out_arr = (c_double * n).from_buffer(view)
        statuses = (c_uint32 * n)()
        ptr = self._enter(what)
        try:
            status = lib.phifd_phi_batch(ptr, node_arr, n, now_ns, out_arr, statuses)
        finally:
            self._active.pop()
        if status and (strict or status != Status.UNKNOWN_NODE):
            message = _ffi.last_error_message()
            raise error_for_status(status, message, [_status_or_int(s) for s in statuses])
        return out_arr


def _status_or_int(code: int) -> Union[Status, int]:
    try:
        return Status(code)
    except ValueError:
        return code
