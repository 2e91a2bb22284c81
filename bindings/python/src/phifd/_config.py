"""The configuration of a monitor: :class:`Config`, a thin owner of a C ``phifd_config``.

No setting is kept on the Python side: a property writes through ``phifd_config_set_*`` (which
validates it) and reads through ``phifd_config_get_*``, so what Python shows is what the library
will use.
"""

from __future__ import annotations

import threading
from ctypes import byref, c_bool, c_double, c_uint32, c_uint64
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._args import U32_LIMIT, U64_LIMIT
from ._cdefs import PHIFD_QOS_WARMUP_DEFAULT
from ._errors import InvalidArgumentError, Status
from ._ffi import PROTOTYPES, QosStruct, lib
from ._handle import OwnedHandle
from ._qos import qos_from_struct, qos_struct
from ._types import Estimator, Membership, QosTargets

__all__ = ["Config"]

#: Every setting, in the order the constructor applies them (the order of its keywords). Each
#: has a setter ``phifd_config_set_<name>`` and a getter ``phifd_config_get_<name>``; its C type
#: is read from the setter's generated prototype.
SETTINGS = (
    "estimator",
    "threshold",
    "suspect_threshold",
    "window",
    "heartbeat_interval_ns",
    "min_std_deviation_ns",
    "acceptable_pause_ns",
    "max_interval_ns",
    "round_trip_ns",
    "first_heartbeat_timeout_ns",
    "recovery_heartbeats",
    "local_pause_threshold_ns",
    "local_pause_grace_ns",
    "burst_fraction",
    "max_local_health",
    "confirmations_expected",
    "confirmation_min_ratio",
    "max_nodes",
    "membership",
)

_Accessors = Tuple[Callable[..., int], Callable[..., int], Any]


def _accessors() -> Dict[str, _Accessors]:
    """name -> (setter, getter, ctypes value type), from the loaded library."""
    table: Dict[str, _Accessors] = {}
    for name in SETTINGS:
        setter, getter = f"phifd_config_set_{name}", f"phifd_config_get_{name}"
        value_type = PROTOTYPES[setter][1][1]
        if value_type not in (c_double, c_uint32, c_uint64):
            raise ImportError(f"phifd: {setter} takes a {value_type.__name__}; this binding knows no such setting")
        table[name] = (getattr(lib, setter), getattr(lib, getter), value_type)
    return table


_ACCESSORS = _accessors()
_ENUMS: Dict[str, Any] = {"estimator": Estimator, "membership": Membership}


class Config(OwnedHandle):
    """Settings for a :class:`Monitor`. Unset settings keep the library's defaults.

    Every setting is a keyword argument of the constructor and a read/write property. Setting
    one validates it at once (raising :class:`InvalidArgumentError` with the library's message;
    the setting keeps its previous value). Reading one asks the library: the value set, or else
    the default the library would use with the other settings as they are now (a default that
    follows another setting, such as ``suspect_threshold`` = ``threshold`` / 2, follows it until
    it is set). Combinations of settings are validated when a :class:`Monitor` is created. Times
    are integer nanoseconds (see :func:`to_ns` to convert a ``timedelta`` or seconds).

    Owns a C ``phifd_config`` handle: release it with :meth:`close` or a ``with`` block (it is
    also released when the object is garbage-collected). A monitor copies the configuration,
    so a config may be reused, changed or closed after creating monitors. Thread-safe: reads,
    writes, monitor creation and :meth:`close` from several threads are serialised.
    """

    _free = lib.phifd_config_free
    _name = "Config"

    def __init__(
        self,
        *,
        estimator: Optional[Union[Estimator, int, str]] = None,
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
        membership: Optional[Union[Membership, int, str]] = None,
        qos: Optional[QosTargets] = None,
        qos_warmup_ns: Optional[int] = None,
    ) -> None:
        """Creates a configuration; each keyword given sets that setting (see the properties).
        ``None`` (every keyword's default) leaves the library's default in place."""
        self._lock = threading.Lock()
        self._create(lib.phifd_config_new)
        given = locals()
        try:
            for key in SETTINGS:
                if given[key] is not None:
                    self._set(key, given[key])
            if qos is not None:
                self.qos = qos
            if qos_warmup_ns is not None:
                self.qos_warmup_ns = qos_warmup_ns
        except BaseException:
            self.close()
            raise

    def _set(self, key: str, value: Any) -> None:
        setter, _, value_type = _ACCESSORS[key]
        if value is None:
            raise TypeError(f"Config.{key}: a setting cannot be reset to the default; use a new Config")
        if value_type is c_double:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Config.{key}: expected a number, got {type(value).__name__}")
            arg: Union[int, float] = float(value)
        else:
            enum_type = _ENUMS.get(key)
            if enum_type is not None and not isinstance(value, enum_type):
                try:
                    value = enum_type(value) if isinstance(value, int) else enum_type[str(value).upper()]
                except (KeyError, ValueError):
                    valid = ", ".join(f"{enum_type.__name__}.{m.name}" for m in enum_type)
                    raise InvalidArgumentError(
                        Status.INVALID_ARG, f"Config.{key}: unknown {key} {value!r} (valid: {valid})"
                    ) from None
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Config.{key}: expected an int, got {type(value).__name__}")
            limit = U32_LIMIT if value_type is c_uint32 else U64_LIMIT
            if not 0 <= value < limit:
                raise InvalidArgumentError(Status.INVALID_ARG, f"Config.{key}: {value} is out of range [0, {limit})")
            arg = int(value)
        with self._lock:
            self._call(key, setter, arg)

    def _get(self, key: str) -> Union[int, float]:
        _, getter, value_type = _ACCESSORS[key]
        out = value_type()
        with self._lock:
            self._call(key, getter, byref(out))
        return out.value  # type: ignore[no-any-return]

    def _get_int(self, key: str) -> int:
        return int(self._get(key))

    def _get_float(self, key: str) -> float:
        return float(self._get(key))

    @property
    def estimator(self) -> Estimator:
        """The :class:`Estimator` (default ``Estimator.AKKA``). Also accepts its name, e.g. ``"normal"``."""
        return Estimator(self._get_int("estimator"))

    @estimator.setter
    def estimator(self, value: Union[Estimator, int, str]) -> None:
        self._set("estimator", value)

    @property
    def threshold(self) -> float:
        """phi at or above which a node is FAILED: finite, > 0 and <= 1e6 (default 8)."""
        return self._get_float("threshold")

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._set("threshold", value)

    @property
    def suspect_threshold(self) -> float:
        """phi at or above which a node is SUSPECT; must be below ``threshold`` (default threshold / 2)."""
        return self._get_float("suspect_threshold")

    @suspect_threshold.setter
    def suspect_threshold(self, value: float) -> None:
        self._set("suspect_threshold", value)

    @property
    def window(self) -> int:
        """Inter-arrival intervals remembered per node, 1 to 1,048,576 (default 1000)."""
        return self._get_int("window")

    @window.setter
    def window(self, value: int) -> None:
        self._set("window", value)

    @property
    def heartbeat_interval_ns(self) -> int:
        """Expected heartbeat interval, ns, >= 1000 (default 1 s); also the seed of every history."""
        return self._get_int("heartbeat_interval_ns")

    @heartbeat_interval_ns.setter
    def heartbeat_interval_ns(self, value: int) -> None:
        self._set("heartbeat_interval_ns", value)

    @property
    def min_std_deviation_ns(self) -> int:
        """Floor of the standard deviation used by phi, ns, > 0 (default heartbeat interval / 4)."""
        return self._get_int("min_std_deviation_ns")

    @min_std_deviation_ns.setter
    def min_std_deviation_ns(self, value: int) -> None:
        self._set("min_std_deviation_ns", value)

    @property
    def acceptable_pause_ns(self) -> int:
        """Pause added to the learned mean, ns, 0 allowed (default 0)."""
        return self._get_int("acceptable_pause_ns")

    @acceptable_pause_ns.setter
    def acceptable_pause_ns(self, value: int) -> None:
        self._set("acceptable_pause_ns", value)

    @property
    def max_interval_ns(self) -> Optional[int]:
        """Longest interval that is learned, ns; longer ones are dropped (default: 2 x the
        heartbeat interval for the exponential estimator, none otherwise)."""
        return self._get_int("max_interval_ns") or None

    @max_interval_ns.setter
    def max_interval_ns(self, value: int) -> None:
        self._set("max_interval_ns", value)

    @property
    def round_trip_ns(self) -> Optional[int]:
        """Declared network round trip, ns (optional): enables the check
        ``timeout > heartbeat interval > round trip`` when the monitor is created."""
        return self._get_int("round_trip_ns") or None

    @round_trip_ns.setter
    def round_trip_ns(self, value: int) -> None:
        self._set("round_trip_ns", value)

    @property
    def first_heartbeat_timeout_ns(self) -> int:
        """How long a node registered with :meth:`Monitor.add_node` may stay silent before its
        first heartbeat, ns (default: the time the seeded history takes to reach the threshold)."""
        return self._get_int("first_heartbeat_timeout_ns")

    @first_heartbeat_timeout_ns.setter
    def first_heartbeat_timeout_ns(self, value: int) -> None:
        self._set("first_heartbeat_timeout_ns", value)

    @property
    def recovery_heartbeats(self) -> int:
        """Consecutive heartbeats a FAILED node needs to be ALIVE again, 1 to 255 (default 2)."""
        return self._get_int("recovery_heartbeats")

    @recovery_heartbeats.setter
    def recovery_heartbeats(self, value: int) -> None:
        self._set("recovery_heartbeats", value)

    @property
    def local_pause_threshold_ns(self) -> int:
        """Gap between two calls on the monitor, ns, > 0, beyond which the monitor concludes that
        its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also exceed 4 x
        the usual gap between polls, and 8 polls must have established that cadence. After a
        pause no node is convicted for :attr:`local_pause_grace_ns` and no interval spanning
        the pause is learned. Default: half the steady timeout (the silence that takes phi to
        the threshold on a steady history). Poll at least every heartbeat interval."""
        return self._get_int("local_pause_threshold_ns")

    @local_pause_threshold_ns.setter
    def local_pause_threshold_ns(self, value: int) -> None:
        self._set("local_pause_threshold_ns", value)

    @property
    def local_pause_grace_ns(self) -> int:
        """How long after a detected local pause no node is convicted, ns, 0 allowed
        (default 2 x the steady timeout)."""
        return self._get_int("local_pause_grace_ns")

    @local_pause_grace_ns.setter
    def local_pause_grace_ns(self, value: int) -> None:
        self._set("local_pause_grace_ns", value)

    @property
    def burst_fraction(self) -> float:
        """In [0, 1): an interval shorter than this fraction of the learned mean is not learned
        (the arrival still counts), so bursts delivered after a stall do not distort the
        statistics. 0 learns every interval (default 0.25)."""
        return self._get_float("burst_fraction")

    @burst_fraction.setter
    def burst_fraction(self, value: float) -> None:
        self._set("burst_fraction", value)

    @property
    def max_local_health(self) -> int:
        """Largest local health score, 0 to 64 (default 7: convicting takes at most 8 x longer).
        See :attr:`Monitor.local_health`."""
        return self._get_int("max_local_health")

    @max_local_health.setter
    def max_local_health(self, value: int) -> None:
        self._set("max_local_health", value)

    @property
    def confirmations_expected(self) -> int:
        """``k``, the number of distinct suspicion reports (:meth:`Monitor.report_suspect`)
        after which conviction needs only the minimum silence, 1 to 64 (default 3)."""
        return self._get_int("confirmations_expected")

    @confirmations_expected.setter
    def confirmations_expected(self, value: int) -> None:
        self._set("confirmations_expected", value)

    @property
    def confirmation_min_ratio(self) -> float:
        """In (0, 1]: the fraction of a node's own deadline after which it is convicted once
        ``confirmations_expected`` peers report it (default 0.5)."""
        return self._get_float("confirmation_min_ratio")

    @confirmation_min_ratio.setter
    def confirmation_min_ratio(self, value: float) -> None:
        self._set("confirmation_min_ratio", value)

    @property
    def max_nodes(self) -> int:
        """Most nodes the monitor holds, 1 to 2**26 (default 65,536: about 4 KB a node with a
        full default window, so at most about 265 MB). Beyond it a heartbeat or registration of
        a new id raises :class:`CapacityError` and is counted; known nodes are unaffected."""
        return self._get_int("max_nodes")

    @max_nodes.setter
    def max_nodes(self, value: int) -> None:
        self._set("max_nodes", value)

    @property
    def membership(self) -> Membership:
        """The :class:`Membership` mode (default ``Membership.OPEN``); also accepts its name,
        e.g. ``"fixed"``. Under ``FIXED`` only nodes added with :meth:`Monitor.add_node` are
        accepted and a heartbeat from another id raises :class:`UnknownNodeError`."""
        return Membership(self._get_int("membership"))

    @membership.setter
    def membership(self, value: Union[Membership, int, str]) -> None:
        self._set("membership", value)

    @property
    def qos(self) -> Optional[QosTargets]:
        """The :class:`QosTargets` every node of a monitor created from this config is judged by
        instead of the thresholds, or ``None`` (the default: judged by the thresholds). Under QoS
        each node derives its own phi levels from its window so that its wrong declarations stay
        at most one per ``min_mistake_recurrence_ns``, with the shortest deadline
        (``docs/qos.md``). The thresholds keep their other uses: the suspect level keeps their
        ratio, and the first-heartbeat timeout and the pause defaults derive from the threshold.

        Assigning ``None`` clears the targets. Targets the library refuses
        (``max_detection_ns`` 0 or above 10**15, ``min_mistake_recurrence_ns`` 0,
        ``max_mistake_duration_ns`` above 10**15) raise :class:`InvalidArgumentError` naming the
        field, and the previous value is kept; anything but a :class:`QosTargets` or ``None``
        raises :class:`TypeError`. A running monitor is retuned with :meth:`Monitor.set_qos`.
        """
        raw = QosStruct()
        is_set = c_bool()
        with self._lock:
            self._call("qos", lib.phifd_config_get_qos, byref(raw), byref(is_set))
        return qos_from_struct(raw) if is_set.value else None

    @qos.setter
    def qos(self, targets: Optional[QosTargets]) -> None:
        self.set_qos(targets)

    def set_qos(self, targets: Optional[QosTargets]) -> None:
        """Sets or (with ``None``) clears the QoS targets; the same as assigning :attr:`qos`."""
        if targets is None:
            with self._lock:
                self._call("qos", lib.phifd_config_set_qos, None)
            return
        raw = qos_struct("Config.qos", targets)
        with self._lock:
            self._call("qos", lib.phifd_config_set_qos, byref(raw))

    @property
    def qos_warmup_ns(self) -> Optional[int]:
        """The QoS warm-up, ns, or ``None`` for the default: ``min(T_MR, 1 hour)`` of each node's
        targets (``min_mistake_recurrence_ns``, capped at an hour). For this long after a QoS
        node's first counted arrival its FAILED deadline is held at least at the T_D bound
        (``max_detection_ns``) less the one-way delay (half of :attr:`round_trip_ns`), scaled by
        ``1 - watched / warm-up``, where ``watched`` is the longer of the time since that first
        arrival and the span of the node's window. The hold falls linearly to the deadline the
        history supports at the end of the warm-up: a young history has not yet shown the rare
        gaps a mistake-rate bound is about. ``0``: no warm-up, the history's deadline at once.
        :attr:`QosReport.established` says when a node's warm-up is over. Only QoS-configured
        nodes have one (``docs/qos.md``, "Warm-up").

        Assigning an int sets it, 0 to 10**15 ns; assigning ``None`` returns to the default.
        A value above 10**15 raises :class:`InvalidArgumentError` (the library's message names
        ``qos_warmup_ns``) and the previous value is kept; a negative one or one of 2**64 or more
        raises :class:`InvalidArgumentError` too, anything but an int or ``None``
        :class:`TypeError`. Monitors copy it when they are created.
        """
        out = c_uint64()
        with self._lock:
            self._call("qos_warmup_ns", lib.phifd_config_get_qos_warmup_ns, byref(out))
        return None if out.value == PHIFD_QOS_WARMUP_DEFAULT else int(out.value)

    @qos_warmup_ns.setter
    def qos_warmup_ns(self, value: Optional[int]) -> None:
        if value is None:
            arg = PHIFD_QOS_WARMUP_DEFAULT
        else:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Config.qos_warmup_ns: expected an int (ns) or None, got {type(value).__name__}")
            if not 0 <= value < PHIFD_QOS_WARMUP_DEFAULT:
                # UINT64_MAX would select the default in C: in Python that is None.
                raise InvalidArgumentError(
                    Status.INVALID_ARG,
                    f"Config.qos_warmup_ns: {value} is out of range [0, {PHIFD_QOS_WARMUP_DEFAULT}); "
                    "None selects the default warm-up",
                )
            arg = value
        with self._lock:
            self._call("qos_warmup_ns", lib.phifd_config_set_qos_warmup_ns, arg)

    def close(self) -> None:
        """Releases the C handle. Idempotent; afterwards every property raises
        :class:`InvalidHandleError`."""
        with self._lock:
            super().close()

    def _values(self) -> Dict[str, Any]:
        """Every setting's current value (as its property reads it), by name, in constructor
        order. A derived default that cannot be computed because the settings do not combine is
        left out (creating a monitor would name the problem)."""
        out: Dict[str, Any] = {}
        for key in SETTINGS:
            try:
                out[key] = getattr(self, key)
            except InvalidArgumentError:
                pass
        return out

    def __repr__(self) -> str:
        if self.closed:
            return "Config(closed)"
        items: List[str] = []
        for key, value in self._values().items():
            shown = (
                f"{type(value).__name__}.{value.name}" if isinstance(value, (Estimator, Membership)) else repr(value)
            )
            items.append(f"{key}={shown}")
        qos = self.qos
        if qos is not None:
            items.append(f"qos={qos!r}")
        warmup = self.qos_warmup_ns
        if warmup is not None:
            items.append(f"qos_warmup_ns={warmup}")
        return f"Config({', '.join(items)})"
