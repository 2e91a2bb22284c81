"""Enumerations and plain result types of the phifd binding (all immutable)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from . import _cdefs as C

__all__ = [
    "Estimator",
    "State",
    "EventKind",
    "Event",
    "NodeInfo",
    "MonitorStats",
    "SnapshotEntry",
    "QosTargets",
    "QosReport",
    "DatagramKind",
    "ns_to_timedelta",
]


def ns_to_timedelta(ns: int) -> timedelta:
    """A duration in integer nanoseconds as a :class:`datetime.timedelta`.

    ``timedelta`` has microsecond resolution: the value is rounded to the nearest microsecond.
    """
    seconds, rest = divmod(int(ns), 1_000_000_000)
    return timedelta(seconds=seconds, microseconds=rest / 1000)


class Estimator(enum.IntEnum):
    """How phi is computed from a node's history (``PHIFD_ESTIMATOR_*``)."""

    AKKA = C.PHIFD_ESTIMATOR_AKKA
    """Akka/Pekko-compatible logistic approximation of the normal tail (the default)."""
    NORMAL = C.PHIFD_ESTIMATOR_NORMAL
    """The exact normal tail, evaluated in log space."""
    EXPONENTIAL = C.PHIFD_ESTIMATOR_EXPONENTIAL
    """Cassandra-compatible exponential model: ``phi = elapsed / mean / ln(10)``."""


class Membership(enum.IntEnum):
    """Who may join a monitor by sending a heartbeat (``PHIFD_MEMBERSHIP_*``)."""

    OPEN = C.PHIFD_MEMBERSHIP_OPEN
    """A heartbeat from an unknown id registers it, up to ``max_nodes`` nodes (the default)."""
    FIXED = C.PHIFD_MEMBERSHIP_FIXED
    """Only ids registered with :meth:`phifd.Monitor.add_node` are accepted; a heartbeat from
    another id raises :class:`phifd.UnknownNodeError` and is counted."""


class State(enum.IntEnum):
    """A node's state (``PHIFD_STATE_*``)."""

    UNKNOWN = C.PHIFD_STATE_UNKNOWN
    """Registered with ``add_node``, no heartbeat yet."""
    ALIVE = C.PHIFD_STATE_ALIVE
    """Heartbeating: phi below the suspect threshold."""
    SUSPECT = C.PHIFD_STATE_SUSPECT
    """phi at or above the suspect threshold, or recovering from FAILED."""
    FAILED = C.PHIFD_STATE_FAILED
    """phi at or above the threshold, or no first heartbeat within the first-heartbeat timeout."""


class EventKind(enum.IntEnum):
    """What an :class:`Event` reports (``PHIFD_EVENT_*``)."""

    STATE_CHANGED = C.PHIFD_EVENT_STATE_CHANGED
    """The node's state changed from ``from_state`` to ``to_state``."""
    RESTARTED = C.PHIFD_EVENT_RESTARTED
    """The node came back with a higher generation; its history restarted and it is ALIVE."""


class DatagramKind(enum.IntEnum):
    """What a heartbeat :class:`phifd.Datagram` is (``PHIFD_DATAGRAM_*``)."""

    HEARTBEAT = C.PHIFD_DATAGRAM_HEARTBEAT
    """A heartbeat: the sender is alive (and, with ``leader``, believes it leads in ``term``)."""
    STALE_REPLY = C.PHIFD_DATAGRAM_STALE_REPLY
    """The answer to a leader's heartbeat that carried an older term; ``term`` is the newer one."""


@dataclass(frozen=True)
class Event:
    """One transition reported by :meth:`phifd.Monitor.poll`.

    Attributes:
        node: the node id.
        generation: the node's generation after the transition.
        time_ns: when the transition happened (monotonic ns): the arrival time for transitions
            caused by a heartbeat, the instant the silence reached the threshold for
            silence-driven ones (not the poll time).
        phi: phi at ``time_ns``.
        kind: :class:`EventKind`.
        from_state: the state before.
        to_state: the state after.
    """

    node: int
    generation: int
    time_ns: int
    phi: float
    kind: EventKind
    from_state: State
    to_state: State


@dataclass(frozen=True)
class NodeInfo:
    """A node's state and statistics at one time, from :meth:`phifd.Monitor.info`.

    Attributes:
        node: the node id.
        generation: its current generation.
        state: the state that silence implies at the query time.
        phi: phi at the query time.
        last_arrival_ns: last heartbeat arrival (monotonic ns); 0 if ``has_arrival`` is False.
        silence_origin_ns: what silence is measured from: the last arrival, or the
            registration time before the first heartbeat.
        samples: intervals in the window (the seed history counts until pushed out).
        mean_ns: mean interval of the window, ns (without the acceptable pause).
        sd_ns: population standard deviation of the window, ns (before the floor).
        suspect_after_ns: silence after ``silence_origin_ns`` at which the node becomes SUSPECT.
        fail_after_ns: silence after ``silence_origin_ns`` at which it becomes FAILED.
        has_arrival: True once a heartbeat was recorded for the current registration.
        version: highest heartbeat version seen in the current generation (plain heartbeats
            count too); see :meth:`phifd.Monitor.heartbeat_version`.
        heartbeat_interval_ns: the sender's own heartbeat interval estimate, ns (smoothed time
            between counted arrivals divided by the versions they advanced). About ``mean_ns``
            for direct heartbeats; with gossip, the per-heartbeat interval while ``mean_ns`` is
            the gap between observations.
        confirmations: distinct peers currently reporting the node as suspect
            (:meth:`phifd.Monitor.report_suspect`; at most ``confirmations_expected`` are kept).
    """

    node: int
    generation: int
    state: State
    phi: float
    last_arrival_ns: int
    silence_origin_ns: int
    samples: int
    mean_ns: float
    sd_ns: float
    suspect_after_ns: int
    fail_after_ns: int
    has_arrival: bool
    version: int = 0
    heartbeat_interval_ns: float = 0.0
    confirmations: int = 0

    @property
    def suspect_after(self) -> timedelta:
        """``suspect_after_ns`` as a :class:`datetime.timedelta` (microsecond resolution)."""
        return ns_to_timedelta(self.suspect_after_ns)

    @property
    def fail_after(self) -> timedelta:
        """``fail_after_ns`` as a :class:`datetime.timedelta`: how long a silence, counted from
        ``silence_origin_ns``, declares this node dead (microsecond resolution)."""
        return ns_to_timedelta(self.fail_after_ns)


@dataclass(frozen=True)
class MonitorStats:
    """Counters of a monitor, from :meth:`phifd.Monitor.stats`.

    Attributes:
        nodes: nodes currently monitored.
        pending_events: events waiting for :meth:`phifd.Monitor.poll`.
        dropped_events: events dropped because more than 1,048,576 were waiting.
        stale_heartbeats: heartbeats rejected with :class:`phifd.StaleGenerationError`.
        duplicate_heartbeats: versioned heartbeats ignored because their ``(generation,
            version)`` was not newer than what was seen.
        pauses_detected: pauses of this process detected from the gaps between calls.
        last_pause_start_ns: the last detected pause began after this call time, ns (0 if none).
        last_pause_end_ns: the first call after the last detected pause, ns (0 if none).
        grace_until_ns: no node is convicted before this instant, ns (0 if no pause was detected).
        local_health: effective local health score (0 = healthy; the host's score set with
            :attr:`phifd.Monitor.local_health` plus the monitor's own, capped); convicting
            takes ``1 + local_health`` times longer.
        rejected_over_capacity: heartbeats and registrations of new ids refused with
            :class:`phifd.CapacityError` because ``max_nodes`` nodes were monitored.
        rejected_unknown_node: heartbeats from unregistered ids refused under
            :attr:`phifd.Membership.FIXED`.
        rejected_bad_generation: heartbeats, registrations and datagrams refused because a
            generation exceeded :data:`phifd.MAX_GENERATION` (2**48).
        rejected_malformed: datagrams refused as malformed.
        rejected_bad_mac: authenticated datagrams whose MAC did not verify.
        rejected_unknown_key: authenticated datagrams naming a key id the keyring does not hold.
        rejected_replayed: authenticated datagrams that verified but were replayed or older
            than what was seen.
    """

    nodes: int
    pending_events: int
    dropped_events: int
    stale_heartbeats: int
    duplicate_heartbeats: int = 0
    pauses_detected: int = 0
    last_pause_start_ns: int = 0
    last_pause_end_ns: int = 0
    grace_until_ns: int = 0
    local_health: int = 0
    rejected_over_capacity: int = 0
    rejected_unknown_node: int = 0
    rejected_bad_generation: int = 0
    rejected_malformed: int = 0
    rejected_bad_mac: int = 0
    rejected_unknown_key: int = 0
    rejected_replayed: int = 0


@dataclass(frozen=True)
class SnapshotEntry:
    """One node of :meth:`phifd.Monitor.snapshot`: its state and statistics at the snapshot time.

    Attributes:
        node: the node id.
        generation: its current generation.
        state: the state its silence implies at the snapshot time.
        phi: phi at the snapshot time.
        last_arrival_ns: its last heartbeat arrival (monotonic ns); 0 before the first one.
        mean_ns: mean interval of its window, ns.
        sd_ns: standard deviation of its window, ns.
        time_until_failure_ns: time left before it is FAILED if no heartbeat arrives, ns
            (0 once past).
        version: highest heartbeat version seen in its current generation.
        confirmations: distinct peers currently reporting it as suspect.
    """

    node: int
    generation: int
    state: State
    phi: float
    last_arrival_ns: int
    mean_ns: float
    sd_ns: float
    time_until_failure_ns: int
    version: int
    confirmations: int

    @property
    def time_until_failure(self) -> timedelta:
        """``time_until_failure_ns`` as a :class:`datetime.timedelta` (microsecond resolution)."""
        return ns_to_timedelta(self.time_until_failure_ns)


@dataclass(frozen=True)
class QosTargets:
    """Detection-quality targets (``struct phifd_qos``; Chen, Toueg and Aguilera's metrics), in
    integer nanoseconds. Give them to :attr:`phifd.Config.qos`, :meth:`phifd.Monitor.set_qos` or
    :meth:`phifd.Monitor.set_node_qos` instead of a threshold: each node then derives its own phi
    levels from its window so that it meets ``min_mistake_recurrence_ns`` with the shortest
    deadline (``docs/qos.md``). The values are checked by the library when they are given to one
    of those calls (:class:`phifd.InvalidArgumentError`, naming the field); a value that is not
    an int raises :class:`TypeError` there.

    Attributes:
        max_detection_ns: upper bound of the detection time T_D (a crash to the FAILED
            declaration), ns: 1 to 10**15.
        min_mistake_recurrence_ns: lower bound of the mean time between wrong FAILED declarations
            T_MR, ns, > 0: at most one wrong declaration per this much time on average.
        max_mistake_duration_ns: upper bound of the mean mistake duration T_M (a wrong
            declaration to the heartbeat that refutes it), ns; 0 (the default) = no bound; at
            most 10**15.
    """

    max_detection_ns: int
    min_mistake_recurrence_ns: int
    max_mistake_duration_ns: int = 0


@dataclass(frozen=True)
class QosReport:
    """What a node's window predicts of its detection quality, from
    :meth:`phifd.Monitor.qos_report` (``struct phifd_qos_report``). For a QoS-configured node the
    predictions are those of its last derivation; for another node they are computed at the call.

    Attributes:
        qos: True if the node is QoS-configured (its own targets or the monitor's).
        feasible: True if the targets are achievable on the current estimate (always True when
            ``qos`` is False), judged on ``best_detection_ns``: the warm-up's hold does not make
            targets infeasible. When False the node keeps the deadline that meets the
            mistake-rate bound, and ``best_detection_ns`` says how far the bound on T_D is out
            of reach.
        threshold: the phi threshold in use (derived from the targets under QoS).
        suspect_threshold: the suspect threshold in use.
        deadline_ns: the silence after the last arrival at which the node is declared FAILED,
            ns, before local health and confirmations (the deadline in use now).
        predicted_detection_ns: predicted detection time T_D, ns: the deadline plus the one-way
            delay (half of :attr:`phifd.Config.round_trip_ns`, 0 if none was declared).
        predicted_mistake_recurrence_ns: predicted mean time between wrong declarations T_MR,
            ns; None when none is expected.
        predicted_mistake_duration_ns: predicted mean mistake duration T_M, ns.
        best_detection_ns: the shortest T_D that meets the mistake-rate bound on the current
            estimate, ns: the T_D of the deadline the history alone supports. Under QoS it equals
            ``predicted_detection_ns`` once the node is ``established``, and may be below it
            during the warm-up (:attr:`phifd.Config.qos_warmup_ns`), while the deadline is held
            longer; ``feasible`` is judged on it. Without QoS there is no bound and it is
            ``predicted_detection_ns``.
        loss_rate: fraction of heartbeats lost, from version gaps
            (:meth:`phifd.Monitor.heartbeat_version`); 0 without versions or without QoS.
        samples: intervals the estimate rests on: the window's length (below 32 the tail is the
            estimator's model alone), or, once a QoS node's long memory of large gaps is in use,
            the intervals seen over that memory's span (docs/qos.md).
        established: True once the node's QoS warm-up (:attr:`phifd.Config.qos_warmup_ns`) is
            over: the deadline is the one its history supports. False during the warm-up: the
            deadline is held longer (towards the T_D bound) and the mistake-rate prediction
            rests on less history than the bound is about. Always True when ``qos`` is False.
    """

    qos: bool
    feasible: bool
    threshold: float
    suspect_threshold: float
    deadline_ns: int
    predicted_detection_ns: int
    predicted_mistake_recurrence_ns: Optional[int]
    predicted_mistake_duration_ns: int
    best_detection_ns: int
    loss_rate: float
    samples: int
    established: bool = True

    @property
    def deadline(self) -> timedelta:
        """``deadline_ns`` as a :class:`datetime.timedelta` (microsecond resolution)."""
        return ns_to_timedelta(self.deadline_ns)
