"""QoS targets and live retuning of a running monitor (``docs/qos.md``): the methods of
:class:`phifd.Monitor` that change thresholds or targets, monitor-wide or for one node, and read a
node's :class:`QosReport`; the conversions of ``struct phifd_qos`` and ``struct phifd_qos_report``.
"""

from __future__ import annotations

import time
from ctypes import byref
from typing import Optional

from ._args import U64_LIMIT, check_u64
from ._ffi import QosReportStruct, QosStruct, lib
from ._handle import OwnedHandle
from ._types import QosReport, QosTargets

__all__ = ["QosMethods", "qos_struct", "qos_from_struct", "qos_report_from_struct"]

_monotonic_ns = time.monotonic_ns

#: ``predicted_mistake_recurrence_ns`` of a report when no wrong declaration is expected.
_NEVER = U64_LIMIT - 1


def qos_struct(function: str, targets: QosTargets) -> QosStruct:
    """The ``struct phifd_qos`` of ``targets``; raises :class:`TypeError` for another type or a
    field that is not an int, :class:`InvalidArgumentError` for a field outside [0, 2**64). The
    library checks the ranges of the targets themselves."""
    if not isinstance(targets, QosTargets):
        raise TypeError(f"{function}: expected a phifd.QosTargets or None, got {type(targets).__name__}")
    fields = {
        "max_detection_ns": targets.max_detection_ns,
        "min_mistake_recurrence_ns": targets.min_mistake_recurrence_ns,
        "max_mistake_duration_ns": targets.max_mistake_duration_ns,
    }
    for name, value in fields.items():
        if isinstance(value, bool):
            raise TypeError(f"{function}: `{name}` must be an int, got bool")
    check_u64(function, **fields)
    return QosStruct(**fields)


def qos_from_struct(raw: QosStruct) -> QosTargets:
    """A :class:`QosTargets` from a ``struct phifd_qos``."""
    return QosTargets(
        max_detection_ns=raw.max_detection_ns,
        min_mistake_recurrence_ns=raw.min_mistake_recurrence_ns,
        max_mistake_duration_ns=raw.max_mistake_duration_ns,
    )


def qos_report_from_struct(raw: QosReportStruct) -> QosReport:
    """A :class:`QosReport` from a ``struct phifd_qos_report``."""
    recurrence = raw.predicted_mistake_recurrence_ns
    return QosReport(
        qos=bool(raw.qos),
        feasible=bool(raw.feasible),
        threshold=raw.threshold,
        suspect_threshold=raw.suspect_threshold,
        deadline_ns=raw.deadline_ns,
        predicted_detection_ns=raw.predicted_detection_ns,
        predicted_mistake_recurrence_ns=None if recurrence == _NEVER else recurrence,
        predicted_mistake_duration_ns=raw.predicted_mistake_duration_ns,
        best_detection_ns=raw.best_detection_ns,
        loss_rate=raw.loss_rate,
        samples=raw.samples,
        established=bool(raw.established),
    )


def _level(function: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{function}: `{name}` must be a number, got {type(value).__name__}")
    return float(value)


class QosMethods(OwnedHandle):
    """The tuning methods of :class:`phifd.Monitor` (see there for threads and times).

    Precedence: a node's own tuning (:meth:`set_node_thresholds`, :meth:`set_node_qos`) comes
    before the monitor's (its QoS targets if set, else its thresholds). Every change keeps the
    history: windows, states, generations and suspicion reports stay, and the new deadlines apply
    from each node's next evaluation. A node already past its new FAILED deadline is declared at
    the next :meth:`poll`, with the event's ``time_ns`` the instant that deadline passed: the
    event a monitor configured that way from the start gives. The first-heartbeat timeout and the
    pause defaults derived from the threshold at creation keep their values. Thread-safe: a
    monitor-wide change walks every node once, each under its own lock; heartbeats to other
    nodes are not blocked.
    """

    def set_thresholds(self, threshold: float, suspect_threshold: float) -> None:
        """Changes the phi threshold and suspect threshold of every node without a tuning of its
        own; nodes registered later get them too. Replaces a monitor-wide QoS configuration.

        Raises :class:`InvalidArgumentError` (nothing changed) for a value that is NaN, infinite,
        not above 0 (or subnormal) or above 1e6, for ``suspect_threshold >= threshold``, and for
        a threshold that breaks the timing rule (a steady sender would be declared within one
        heartbeat interval); :class:`TypeError` for a value that is not a number.
        """
        t = _level("Monitor.set_thresholds", "threshold", threshold)
        s = _level("Monitor.set_thresholds", "suspect_threshold", suspect_threshold)
        self._call("set_thresholds", lib.phifd_monitor_set_thresholds, t, s)

    def set_qos(self, targets: Optional[QosTargets]) -> None:
        """Configures every node without a tuning of its own by the QoS ``targets`` (copied):
        each derives its phi levels from its window at once and again as the window moves (every
        ``max(64, window / 16)`` learned intervals); nodes registered later are QoS-configured
        too. ``None`` returns them to the monitor's thresholds.

        Raises :class:`InvalidArgumentError` (nothing changed) for targets the library refuses
        (``max_detection_ns`` 0 or above 10**15, ``min_mistake_recurrence_ns`` 0,
        ``max_mistake_duration_ns`` above 10**15; the message names the field) or a negative
        field, :class:`TypeError` for anything but a :class:`QosTargets` or ``None``.
        """
        if targets is None:
            self._call("set_qos", lib.phifd_monitor_set_qos, None)
            return
        raw = qos_struct("Monitor.set_qos", targets)
        self._call("set_qos", lib.phifd_monitor_set_qos, byref(raw))

    def set_node_thresholds(self, node: int, threshold: float, suspect_threshold: float) -> None:
        """Gives ``node`` thresholds of its own; monitor-wide changes then pass it by until
        :meth:`clear_node_tuning`. Otherwise as :meth:`set_thresholds`.

        Raises what :meth:`set_thresholds` raises, and :class:`UnknownNodeError` if ``node`` is
        not monitored (nothing changed).
        """
        check_u64("Monitor.set_node_thresholds", node=node)
        t = _level("Monitor.set_node_thresholds", "threshold", threshold)
        s = _level("Monitor.set_node_thresholds", "suspect_threshold", suspect_threshold)
        self._call("set_node_thresholds", lib.phifd_node_set_thresholds, node, t, s)

    def set_node_qos(self, node: int, targets: Optional[QosTargets]) -> None:
        """Gives ``node`` QoS targets of its own (copied); monitor-wide changes then pass it by
        until :meth:`clear_node_tuning`. ``None`` pins the node to the monitor's thresholds as
        they are now, as its own tuning, even while the monitor is QoS-configured. The suspect
        level keeps the ratio of the thresholds the node was judged by.

        Raises :class:`UnknownNodeError` if ``node`` is not monitored, and what :meth:`set_qos`
        raises for the targets (nothing changed either way).
        """
        check_u64("Monitor.set_node_qos", node=node)
        if targets is None:
            self._call("set_node_qos", lib.phifd_node_set_qos, node, None)
            return
        raw = qos_struct("Monitor.set_node_qos", targets)
        self._call("set_node_qos", lib.phifd_node_set_qos, node, byref(raw))

    def clear_node_tuning(self, node: int) -> None:
        """Drops ``node``'s own tuning (from :meth:`set_node_thresholds` or
        :meth:`set_node_qos`): it follows the monitor's thresholds or QoS targets again, history
        kept. A node without a tuning of its own is left as it is.
        Raises :class:`UnknownNodeError` if ``node`` is not monitored."""
        check_u64("Monitor.clear_node_tuning", node=node)
        self._call("clear_node_tuning", lib.phifd_node_clear_tuning, node)

    def qos_report(self, node: int, now_ns: Optional[int] = None) -> QosReport:
        """What ``node``'s window predicts of its detection quality at the deadline in use: the
        levels and deadline, predicted T_D, T_MR and T_M, whether its QoS targets are met and the
        shortest T_D that meets its mistake-rate bound (see :class:`QosReport`). ``now_ns`` is
        the query time (default: now); the report depends on the node's history only. Read-only;
        O(window) for a node that is not QoS-configured.
        Raises :class:`UnknownNodeError` if ``node`` is not monitored."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64("Monitor.qos_report", node=node, now_ns=now_ns)
        raw = QosReportStruct()
        self._call("qos_report", lib.phifd_node_get_qos_report, node, now_ns, byref(raw))
        return qos_report_from_struct(raw)
