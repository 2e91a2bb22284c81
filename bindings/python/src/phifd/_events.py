"""Reading a monitor: one node's state and statistics (:meth:`Monitor.info`), the transitions
(:meth:`Monitor.poll`) and the monitor's counters (:meth:`Monitor.stats`); the conversion of
their C structs into the result types of :mod:`._types`."""

from __future__ import annotations

import time
from ctypes import byref, c_size_t, sizeof
from typing import List, Optional

from ._args import check_u64
from ._errors import InvalidArgumentError, Status
from ._ffi import EventStruct, MonitorStatsStruct, NodeInfoStruct, lib
from ._handle import OwnedHandle
from ._types import Event, EventKind, MonitorStats, NodeInfo, State

__all__ = ["EventMethods", "event_from_struct", "node_info_from_struct", "stats_from_struct"]

_monotonic_ns = time.monotonic_ns

#: Events fetched per library call by :meth:`EventMethods.poll`.
POLL_CHUNK = 256


def event_from_struct(e: EventStruct) -> Event:
    """An :class:`Event` from a ``struct phifd_event``."""
    return Event(
        node=e.node,
        generation=e.generation,
        time_ns=e.time_ns,
        phi=e.phi,
        kind=EventKind(e.kind),
        from_state=State(e.from_),
        to_state=State(e.to),
    )


def node_info_from_struct(raw: NodeInfoStruct) -> NodeInfo:
    """A :class:`NodeInfo` from a ``struct phifd_node_info`` (version 2)."""
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


def stats_from_struct(raw: MonitorStatsStruct) -> MonitorStats:
    """A :class:`MonitorStats` from a ``struct phifd_monitor_stats`` (version 3)."""
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


class EventMethods(OwnedHandle):
    """The reading methods of :class:`phifd.Monitor` (see there for threads and times)."""

    def info(self, node: int, now_ns: Optional[int] = None) -> NodeInfo:
        """The state, phi, generation and statistics of ``node`` as of ``now_ns`` (read-only: the
        state is the one its silence implies; events come from heartbeats and polls).
        Raises :class:`UnknownNodeError` if the node is not monitored."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64("Monitor.info", node=node, now_ns=now_ns)
        raw = NodeInfoStruct()
        raw.size = sizeof(NodeInfoStruct)
        self._call("info", lib.phifd_node_get_info, node, now_ns, byref(raw))
        return node_info_from_struct(raw)

    def poll(self, now_ns: Optional[int] = None, max_events: Optional[int] = None) -> List[Event]:
        """Evaluates every node at ``now_ns`` and returns the pending transitions, oldest first:
        all of them, or at most ``max_events`` (the rest stay queued for the next poll)."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64("Monitor.poll", now_ns=now_ns)
        if max_events is not None and (not isinstance(max_events, int) or max_events < 0):
            raise InvalidArgumentError(Status.INVALID_ARG, "Monitor.poll: `max_events` must be an int >= 0")
        events: List[Event] = []
        buf = (EventStruct * POLL_CHUNK)()
        written = c_size_t()
        while max_events is None or len(events) < max_events:
            cap = POLL_CHUNK if max_events is None else min(POLL_CHUNK, max_events - len(events))
            self._call("poll", lib.phifd_monitor_poll, now_ns, buf, cap, byref(written))
            n = written.value
            events.extend(event_from_struct(buf[i]) for i in range(n))
            if n < cap:
                break
        return events

    def stats(self) -> MonitorStats:
        """The monitor's counters (nodes, pending, dropped, stale and duplicate events) and the
        state of its pause guard and local health (see :class:`MonitorStats`)."""
        raw = MonitorStatsStruct()
        raw.size = sizeof(MonitorStatsStruct)
        self._call("stats", lib.phifd_monitor_get_stats, byref(raw))
        return stats_from_struct(raw)
