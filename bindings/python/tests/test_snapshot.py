"""Monitor.snapshot and Monitor.prometheus, checked against numbers derived by hand.

The ``monitor`` fixture uses the exponential estimator (phi = silence / mean / ln 10) with a
1 s heartbeat interval and threshold 8, so with heartbeats exactly 1 s apart the mean is 1 s,
phi after a silence of s seconds is s / ln 10, and FAILED comes after 8 ln 10 s of silence.
"""

from __future__ import annotations

import ctypes
import math
import re
from typing import Dict, FrozenSet, Tuple

import phifd
import pytest
from phifd import _ffi

SECOND = 1_000_000_000
LN10 = math.log(10)
NOW = 6 * SECOND


def populate(m: phifd.Monitor) -> None:
    """Node 3 registered at 0 and silent; nodes 1 (generation 2) and 2 (generation 1) beat at
    0, 1, 2, 3, 4 s. Added in the order 3, 2, 1 so that sorting is visible."""
    m.add_node(3, 0, 0)
    for t in range(5):
        m.heartbeat(2, 1, t * SECOND)
        m.heartbeat(1, 2, t * SECOND)


def test_snapshot_is_sorted_and_equals_per_node_info(monitor: phifd.Monitor) -> None:
    populate(monitor)
    snap = monitor.snapshot(NOW)
    assert [e.node for e in snap] == [1, 2, 3]
    for e in snap:
        i = monitor.info(e.node, NOW)
        assert (e.generation, e.state, e.phi, e.last_arrival_ns, e.mean_ns, e.sd_ns, e.version, e.confirmations) == (
            i.generation,
            i.state,
            i.phi,
            i.last_arrival_ns,
            i.mean_ns,
            i.sd_ns,
            i.version,
            i.confirmations,
        )
        assert e.time_until_failure_ns == max(0, i.fail_after_ns - (NOW - i.silence_origin_ns))
    one, two, three = snap
    # By hand: silence 2 s over a 1 s mean.
    assert one.phi == pytest.approx(2 / LN10, rel=1e-12)
    assert one.state is phifd.State.ALIVE and one.generation == 2 and one.last_arrival_ns == 4 * SECOND
    assert one.mean_ns == pytest.approx(SECOND)
    # FAILED at 8 ln 10 s of silence (rounded up to a whole ns), 2 s of it already spent.
    assert one.time_until_failure_ns == math.ceil(8 * LN10 * SECOND) - 2 * SECOND
    assert one.time_until_failure == phifd.ns_to_timedelta(one.time_until_failure_ns)
    assert two.generation == 1 and two.phi == one.phi
    assert three.state is phifd.State.UNKNOWN and three.last_arrival_ns == 0 and three.generation == 0


def test_snapshot_edge_cases() -> None:
    with phifd.Monitor() as m:
        assert m.snapshot() == []
        for n in range(1000, 0, -1):
            m.heartbeat(n, 0, SECOND)
        snap = m.snapshot(2 * SECOND)
        assert [e.node for e in snap] == list(range(1, 1001))
        with pytest.raises(phifd.InvalidArgumentError):
            m.snapshot(-1)
    with pytest.raises(phifd.InvalidHandleError):
        m.snapshot()
    with pytest.raises(phifd.InvalidHandleError):
        m.prometheus()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="[^"\\]*",?)*)\})? (\S+)$')
Key = Tuple[str, FrozenSet[Tuple[str, str]]]


def parse_prometheus(text: str) -> Tuple[Dict[Key, float], Dict[str, str]]:
    """Parses the text exposition format line by line: every sample must belong to a family
    announced before it by ``# HELP`` and ``# TYPE``. Returns the samples and the types."""
    assert text.endswith("\n")
    samples: Dict[Key, float] = {}
    types: Dict[str, str] = {}
    helped = set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            assert help_text and name not in helped, line
            helped.add(name)
        elif line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert kind in ("gauge", "counter") and name in helped and name not in types, line
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m.groups()
            assert name in types, f"sample before its # TYPE: {line!r}"
            pairs = frozenset(tuple(p.split("=", 1)) for p in re.findall(r'\w+="[^"]*"', labels or ""))
            key = (name, frozenset((k, v.strip('"')) for k, v in pairs))
            assert key not in samples, f"duplicate sample {line!r}"
            samples[key] = float(value)
    return samples, types


def node(name: str, n: int, **labels: str) -> Key:
    return (name, frozenset({("node", str(n)), *labels.items()}))


def test_prometheus_text_parsed_and_checked_by_hand(monitor: phifd.Monitor) -> None:
    populate(monitor)
    with pytest.raises(phifd.StaleGenerationError):
        monitor.heartbeat(1, 1, 4 * SECOND + 1)  # generation 1 < 2: counted as stale
    samples, types = parse_prometheus(monitor.prometheus(NOW))
    for n, silence, gen in ((1, 2, 2), (2, 2, 1), (3, 6, 0)):
        assert samples[node("phifd_node_silence_seconds", n)] == pytest.approx(silence, abs=1e-9)
        assert samples[node("phifd_node_generation", n)] == gen
        # Registered at 0 without heartbeats, node 3 is measured from its registration with
        # the seeded 1 s mean.
        assert samples[node("phifd_node_phi", n)] == pytest.approx(silence / LN10, rel=1e-12)
        assert samples[node("phifd_node_mean_interval_seconds", n)] == pytest.approx(1.0, rel=1e-12)
        assert samples[node("phifd_node_time_until_conviction_seconds", n)] == pytest.approx(
            8 * LN10 - silence, abs=1e-8
        )
    for n, current in ((1, "alive"), (2, "alive"), (3, "unknown")):
        for state in ("unknown", "alive", "suspect", "failed"):
            assert samples[node("phifd_node_state", n, state=state)] == (1.0 if state == current else 0.0)
    assert samples[("phifd_monitor_nodes", frozenset())] == 3
    assert samples[("phifd_monitor_stale_heartbeats_total", frozenset())] == 1
    assert samples[("phifd_monitor_local_health", frozenset())] == 0
    assert types["phifd_monitor_stale_heartbeats_total"] == "counter"
    assert types["phifd_node_phi"] == "gauge"
    families = {name for name, _ in samples}
    assert families == {
        "phifd_node_phi",
        "phifd_node_state",
        "phifd_node_generation",
        "phifd_node_silence_seconds",
        "phifd_node_mean_interval_seconds",
        "phifd_node_interval_stddev_seconds",
        "phifd_node_time_until_conviction_seconds",
        "phifd_node_samples",
        "phifd_monitor_nodes",
        "phifd_monitor_local_health",
        "phifd_monitor_pauses_total",
        "phifd_monitor_stale_heartbeats_total",
        "phifd_monitor_duplicate_heartbeats_total",
        "phifd_monitor_dropped_events_total",
        "phifd_monitor_rejected_over_capacity_total",
        "phifd_monitor_rejected_unknown_node_total",
        "phifd_monitor_rejected_bad_generation_total",
        "phifd_monitor_rejected_malformed_total",
        "phifd_monitor_rejected_bad_mac_total",
        "phifd_monitor_rejected_unknown_key_total",
        "phifd_monitor_rejected_replayed_total",
    }
    # 3 nodes x (7 single families + 4 states) + 13 monitor families.
    assert len(samples) == 3 * 11 + 13


def test_prometheus_grows_its_buffer_when_too_small() -> None:
    with phifd.Monitor() as m:
        for n in range(1, 301):
            m.heartbeat(n, 7, SECOND)
        # The library's contract: too small a buffer gives BUFFER_TOO_SMALL and the length needed.
        needed = ctypes.c_size_t()
        buf = ctypes.create_string_buffer(16)
        st = _ffi.lib.phifd_monitor_render_prometheus(m._ptr, 2 * SECOND, buf, 16, ctypes.byref(needed))
        assert st == phifd.Status.BUFFER_TOO_SMALL and needed.value > 4096
        text = m.prometheus(2 * SECOND)  # the first attempt (4 KiB) is too small
        assert len(text.encode()) == needed.value
        samples, _ = parse_prometheus(text)
        assert all(samples[node("phifd_node_generation", n)] == 7 for n in range(1, 301))
        assert m.prometheus(2 * SECOND) == text
