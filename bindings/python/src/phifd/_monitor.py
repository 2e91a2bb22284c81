"""The monitor: :class:`Monitor` and its per-heartbeat and per-node calls.

The rest of its methods live by topic in mixins: reading nodes, events and counters
(:mod:`._events`), batch calls (:mod:`._batch`), snapshot and Prometheus export
(:mod:`._export`), QoS targets and live retuning (:mod:`._qos`); the datagram receive path is in
:mod:`._auth`.
"""

from __future__ import annotations

import time
from ctypes import byref, c_bool, c_double, c_uint32, c_uint64
from datetime import timedelta
from typing import Optional, Union

from ._args import U32_LIMIT, check_u64, u64_error
from ._auth import Keyring, Received
from ._auth import receive as _receive
from ._batch import BatchMethods
from ._config import Config
from ._errors import InvalidArgumentError, Status
from ._events import EventMethods
from ._export import ExportMethods
from ._ffi import lib
from ._handle import closed_error
from ._qos import QosMethods
from ._types import ns_to_timedelta

__all__ = ["Monitor"]

_heartbeat = lib.phifd_heartbeat
_phi = lib.phifd_phi
_monotonic_ns = time.monotonic_ns


class Monitor(EventMethods, BatchMethods, ExportMethods, QosMethods):
    """A failure detector for many peers (a C ``phifd_monitor``).

    Create it with an optional :class:`Config` (``None`` for all defaults); the configuration
    is copied. Use it as a context manager or call :meth:`close` (idempotent; it is also
    closed when garbage-collected). After closing, every method raises
    :class:`InvalidHandleError`.

    Times are integer nanoseconds of the monotonic clock (:func:`now_ns`, the same clock as
    :func:`time.monotonic_ns`); a ``now_ns`` of ``None`` means "now". Node ids and
    generations are ints in ``[0, 2**64)``.

    Detection is tuned by the thresholds of the :class:`Config`, or by QoS targets
    (:attr:`Config.qos`); both can be changed on a running monitor, for every node or for one,
    without losing history (:meth:`set_thresholds`, :meth:`set_qos`, :meth:`set_node_thresholds`,
    :meth:`set_node_qos`, :meth:`clear_node_tuning`; :meth:`qos_report` tells what a node's
    window predicts).

    Thread safety: any number of threads may call any method at once, including
    :meth:`close`, which waits for calls in progress and then frees the monitor. The library
    releases the GIL during each call, so threads run in parallel.
    """

    _free = lib.phifd_monitor_free
    _name = "Monitor"

    def __init__(self, config: Optional[Config] = None) -> None:
        """Creates a monitor. Raises :class:`InvalidArgumentError` (naming the settings at
        fault) if the configuration's settings do not fit together."""
        if config is None:
            self._create(lib.phifd_monitor_new, None)
            return
        if not isinstance(config, Config):
            raise TypeError(f"Monitor: config must be a phifd.Config, got {type(config).__name__}")
        if config.closed:
            raise closed_error("Monitor: config")
        with config._lock, config._borrow("(the config of Monitor())") as config_ptr:
            self._create(lib.phifd_monitor_new, config_ptr)

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
            raise u64_error("Monitor.heartbeat", node=node, generation=generation, now_ns=now_ns)
        self._call("heartbeat", _heartbeat, node, generation, now_ns)

    def heartbeat_version(self, node: int, generation: int, version: int, now_ns: Optional[int] = None) -> bool:
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
        check_u64("Monitor.heartbeat_version", node=node, generation=generation, version=version, now_ns=now_ns)
        counted = c_bool()
        self._call("heartbeat_version", lib.phifd_heartbeat_version, node, generation, version, now_ns, byref(counted))
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
        check_u64("Monitor.report_suspect", node=node, reporter=reporter)
        self._call("report_suspect", lib.phifd_node_report_suspect, node, reporter)

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
        self._call("local_health", lib.phifd_monitor_get_local_health, byref(out))
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
        if not 0 <= score < U32_LIMIT:
            raise InvalidArgumentError(Status.INVALID_ARG, f"Monitor.local_health: {score} is out of range [0, 2**32)")
        self._call("set_local_health", lib.phifd_monitor_set_local_health, score)

    def add_node(self, node: int, generation: int = 0, now_ns: Optional[int] = None) -> None:
        """Registers ``node`` at ``now_ns`` before its first heartbeat (state UNKNOWN), so that
        it becomes FAILED if it never sends one within the first-heartbeat timeout. Registering
        a monitored node changes nothing."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64("Monitor.add_node", node=node, generation=generation, now_ns=now_ns)
        self._call("add_node", lib.phifd_node_add, node, generation, now_ns)

    def remove(self, node: int) -> None:
        """Stops monitoring ``node`` and forgets its history and generation; pending events about
        it stay queued. Raises :class:`UnknownNodeError` if it is not monitored."""
        check_u64("Monitor.remove", node=node)
        self._call("remove", lib.phifd_node_remove, node)

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
            raise u64_error("Monitor.phi", node=node, now_ns=now_ns)
        out = c_double()
        self._call("phi", _phi, node, now_ns, out)  # ctypes passes a c_double by reference
        return out.value

    def time_until_phi(self, node: int, phi: float) -> int:
        """The silence after the node's last arrival, in ns, at which its phi first reaches
        ``phi`` on its current history (0 if it is already there at zero silence). With
        ``phi`` = the threshold this is how long until the node is declared dead.
        Raises :class:`UnknownNodeError`, or :class:`InvalidArgumentError` for a NaN, infinite
        or negative ``phi``."""
        check_u64("Monitor.time_until_phi", node=node)
        if isinstance(phi, bool) or not isinstance(phi, (int, float)):
            raise TypeError(f"Monitor.time_until_phi: `phi` must be a number, got {type(phi).__name__}")
        out = c_uint64()
        self._call("time_until_phi", lib.phifd_node_time_until_phi, node, float(phi), byref(out))
        return out.value

    def time_until_phi_timedelta(self, node: int, phi: float) -> timedelta:
        """:meth:`time_until_phi` as a :class:`datetime.timedelta` (microsecond resolution)."""
        return ns_to_timedelta(self.time_until_phi(node, phi))

    def node_count(self) -> int:
        """The number of monitored nodes (also ``len(monitor)``)."""
        out = c_uint64()
        self._call("node_count", lib.phifd_monitor_node_count, byref(out))
        return out.value

    def __len__(self) -> int:
        return self.node_count()
