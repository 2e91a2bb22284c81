"""Exporting a monitor's whole state: :meth:`Monitor.snapshot` (every node in one call) and
:meth:`Monitor.prometheus` (the text exposition format)."""

from __future__ import annotations

import time
from ctypes import byref, c_size_t, create_string_buffer
from typing import Any, List, Optional

from ._args import check_u64
from ._errors import Status, error_for_status
from ._ffi import SnapshotEntryStruct, last_error_message, lib
from ._handle import OwnedHandle
from ._types import SnapshotEntry, State

__all__ = ["ExportMethods", "snapshot_entry_from_struct"]

_monotonic_ns = time.monotonic_ns


def snapshot_entry_from_struct(e: SnapshotEntryStruct) -> SnapshotEntry:
    """A :class:`SnapshotEntry` from a ``struct phifd_snapshot_entry``."""
    return SnapshotEntry(
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


class ExportMethods(OwnedHandle):
    """The export methods of :class:`phifd.Monitor` (see there for threads and times)."""

    #: Buffer size of the first :meth:`prometheus` attempt, bytes; grows to what was needed.
    _prometheus_cap = 4096

    def snapshot(self, now_ns: Optional[int] = None) -> List[SnapshotEntry]:
        """Every monitored node's state and statistics at ``now_ns`` (default now), sorted by
        node id: one library call instead of :meth:`info` per node (each entry equals what
        :meth:`info` tells at that time). Read-only; the library locks one node at a time, so
        the snapshot is consistent per node, not across nodes changed concurrently."""
        if now_ns is None:
            now_ns = _monotonic_ns()
        check_u64("Monitor.snapshot", now_ns=now_ns)
        total = c_size_t()
        cap = 0
        buf: Any = None
        while True:  # nodes may be added between the calls: grow until everything fits
            self._call("snapshot", lib.phifd_monitor_snapshot, now_ns, buf, cap, byref(total))
            if total.value <= cap:
                break
            cap = total.value + total.value // 8 + 8
            buf = (SnapshotEntryStruct * cap)()
        return [snapshot_entry_from_struct(buf[i]) for i in range(total.value)]

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
        check_u64("Monitor.prometheus", now_ns=now_ns)
        needed = c_size_t()
        cap = self._prometheus_cap
        while True:  # the text may grow between calls (nodes added): retry with the size needed
            buf = create_string_buffer(cap)
            status = self._call_status(
                "prometheus", lib.phifd_monitor_render_prometheus, now_ns, buf, cap, byref(needed)
            )
            if status != Status.BUFFER_TOO_SMALL:
                break
            cap = needed.value + needed.value // 8 + 1
        if status:
            raise error_for_status(status, last_error_message())
        self._prometheus_cap = max(self._prometheus_cap, cap)
        return buf.raw[: needed.value].decode("utf-8")
