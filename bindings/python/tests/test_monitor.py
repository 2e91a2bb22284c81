"""Monitor: every method, values derived by hand, errors, lifetime (context manager, close,
use after close, garbage collection).

The `monitor` fixture uses the exponential model: after steady 1 s heartbeats the mean interval
is 1 s and phi(silence s) = s / ln 10, SUSPECT at phi 4, FAILED at phi 8.
"""

from __future__ import annotations

import gc
import math
import time
from datetime import timedelta

import phifd
import pytest
from conftest import SECOND

LN10 = math.log(10)


def steady(m: phifd.Monitor, node: int, beats: int = 6, generation: int = 1, start: int = 0) -> int:
    """Sends `beats` heartbeats 1 s apart; returns the last arrival time."""
    for i in range(beats):
        m.heartbeat(node, generation, start + i * SECOND)
    return start + (beats - 1) * SECOND


def test_heartbeat_phi_and_info(monitor: phifd.Monitor) -> None:
    last = steady(monitor, 1)
    assert monitor.phi(1, last) == 0.0
    for s in (0.5, 1.0, 2.0, 7.5):
        got = monitor.phi(1, last + int(s * SECOND))
        assert got == pytest.approx(s / LN10, rel=1e-12)
    # a time before the last arrival counts as zero silence
    assert monitor.phi(1, last - SECOND) == 0.0
    info = monitor.info(1, last + 2 * SECOND)
    assert info.node == 1 and info.generation == 1
    assert info.state is phifd.State.ALIVE
    assert info.has_arrival and info.last_arrival_ns == last == info.silence_origin_ns
    assert info.mean_ns == pytest.approx(SECOND, rel=1e-12)
    assert info.phi == pytest.approx(2 / LN10, rel=1e-12)
    assert abs(info.suspect_after_ns - 4 * LN10 * SECOND) <= 2
    assert abs(info.fail_after_ns - 8 * LN10 * SECOND) <= 2
    assert info.fail_after == timedelta(microseconds=round(8 * LN10 * 1e6))
    assert monitor.info(1, last + 10 * SECOND).state is phifd.State.SUSPECT
    assert monitor.info(1, last + 19 * SECOND).state is phifd.State.FAILED
    with pytest.raises(Exception):
        info.phi = 3.0  # type: ignore[misc]  # frozen


def test_time_until_phi(monitor: phifd.Monitor) -> None:
    steady(monitor, 1)
    assert abs(monitor.time_until_phi(1, 8.0) - 8 * LN10 * SECOND) <= 2
    assert abs(monitor.time_until_phi(1, 1) - LN10 * SECOND) <= 2
    assert monitor.time_until_phi(1, 0.0) == 0
    td = monitor.time_until_phi_timedelta(1, 8.0)
    assert isinstance(td, timedelta)
    assert abs(td.total_seconds() - 8 * LN10) < 1e-6
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(phifd.InvalidArgumentError) as info:
            monitor.time_until_phi(1, bad)
        assert "phifd_node_time_until_phi" in info.value.message
    with pytest.raises(phifd.UnknownNodeError):
        monitor.time_until_phi(2, 8.0)
    with pytest.raises(TypeError):
        monitor.time_until_phi(1, "8")  # type: ignore[arg-type]


def test_poll_events(monitor: phifd.Monitor) -> None:
    last = steady(monitor, 1)
    events = monitor.poll(last + 30 * SECOND)
    assert [(e.kind, e.from_state, e.to_state) for e in events] == [
        (phifd.EventKind.STATE_CHANGED, phifd.State.UNKNOWN, phifd.State.ALIVE),
        (phifd.EventKind.STATE_CHANGED, phifd.State.ALIVE, phifd.State.SUSPECT),
        (phifd.EventKind.STATE_CHANGED, phifd.State.SUSPECT, phifd.State.FAILED),
    ]
    assert events[0].time_ns == 0
    # silence-driven events carry the instant the threshold was crossed, not the poll time
    assert abs(events[1].time_ns - (last + 4 * LN10 * SECOND)) <= 2
    assert abs(events[2].time_ns - (last + 8 * LN10 * SECOND)) <= 2
    assert events[2].phi == pytest.approx(8.0, abs=1e-6)
    assert all(e.node == 1 and e.generation == 1 for e in events)
    assert monitor.poll(last + 31 * SECOND) == []


def test_poll_max_events_and_many_events(monitor: phifd.Monitor) -> None:
    n = 600  # more than one internal chunk of 256
    monitor.heartbeat_batch(list(range(n)), 1, 0)
    assert monitor.stats().pending_events == n
    first = monitor.poll(0, max_events=10)
    assert len(first) == 10
    assert monitor.stats().pending_events == n - 10
    rest = monitor.poll(0)
    assert len(rest) == n - 10
    assert sorted(e.node for e in first + rest) == list(range(n))
    assert monitor.poll(0, max_events=0) == []
    with pytest.raises(phifd.InvalidArgumentError):
        monitor.poll(0, max_events=-1)


def test_generations_and_restart(monitor: phifd.Monitor) -> None:
    steady(monitor, 3, beats=3, generation=5)
    monitor.poll(2 * SECOND)
    with pytest.raises(phifd.StaleGenerationError) as info:
        monitor.heartbeat(3, 4, 3 * SECOND)
    assert info.value.status is phifd.Status.STALE_GENERATION
    assert "phifd_heartbeat" in info.value.message
    assert monitor.info(3, 3 * SECOND).generation == 5
    assert monitor.stats().stale_heartbeats == 1
    monitor.heartbeat(3, 6, 60 * SECOND)
    events = monitor.poll(60 * SECOND)
    restarted = [e for e in events if e.kind is phifd.EventKind.RESTARTED]
    assert len(restarted) == 1 and restarted[0].generation == 6
    assert restarted[0].to_state is phifd.State.ALIVE


def test_add_node_remove_and_counts(monitor: phifd.Monitor) -> None:
    assert monitor.node_count() == 0 and len(monitor) == 0
    monitor.add_node(10, 1, 0)
    monitor.add_node(10, 1, 0)  # already monitored: nothing changes
    info = monitor.info(10, 0)
    assert info.state is phifd.State.UNKNOWN and not info.has_arrival
    assert info.last_arrival_ns == 0
    monitor.heartbeat(11, 1, 0)
    assert len(monitor) == 2
    assert monitor.stats() == phifd.MonitorStats(nodes=2, pending_events=1, dropped_events=0, stale_heartbeats=0)
    monitor.remove(10)
    assert len(monitor) == 1
    with pytest.raises(phifd.UnknownNodeError) as err:
        monitor.remove(10)
    assert err.value.status is phifd.Status.UNKNOWN_NODE and "10" in err.value.message
    assert isinstance(err.value, LookupError)
    for call in (lambda: monitor.phi(10, 0), lambda: monitor.info(10, 0)):
        with pytest.raises(phifd.UnknownNodeError):
            call()


def test_first_heartbeat_timeout() -> None:
    cfg = phifd.Config(
        estimator=phifd.Estimator.EXPONENTIAL, heartbeat_interval_ns=SECOND, first_heartbeat_timeout_ns=5 * SECOND
    )
    with cfg, phifd.Monitor(cfg) as m:
        m.add_node(4, 1, 100)
        assert m.info(4, 100 + 5 * SECOND - 1).state is not phifd.State.FAILED
        assert m.info(4, 100 + 5 * SECOND).state is phifd.State.FAILED
        events = m.poll(100 + 6 * SECOND)
        assert [(e.from_state, e.to_state, e.time_ns) for e in events][-1] == (
            phifd.State.UNKNOWN,
            phifd.State.FAILED,
            100 + 5 * SECOND,
        )


def test_default_times_are_now() -> None:
    with phifd.Monitor() as m:
        before = time.monotonic_ns()
        m.heartbeat(1)
        m.add_node(2)
        info = m.info(1)
        after = time.monotonic_ns()
        assert before <= info.last_arrival_ns <= after
        assert m.info(2).silence_origin_ns >= before
        assert m.phi(1) >= 0.0
        assert isinstance(m.poll(), list)


def test_argument_validation(monitor: phifd.Monitor) -> None:
    for call in (
        lambda: monitor.heartbeat(-1, 1, 0),
        lambda: monitor.heartbeat(1, 1 << 64, 0),
        lambda: monitor.heartbeat(1, 1, -5),
        lambda: monitor.phi(1 << 64, 0),
        lambda: monitor.add_node(-1),
        lambda: monitor.remove(-1),
        lambda: monitor.info(1, -1),
        lambda: monitor.poll(-1),
    ):
        with pytest.raises(phifd.InvalidArgumentError, match=r"2\*\*64"):
            call()
    with pytest.raises(TypeError):
        monitor.heartbeat(1.5, 1, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        monitor.phi("1", 0)  # type: ignore[arg-type]
    assert len(monitor) == 0  # nothing was recorded
    # the largest ids are fine
    monitor.heartbeat((1 << 64) - 1, (1 << 48), (1 << 64) - 1)
    assert monitor.info((1 << 64) - 1, (1 << 64) - 1).node == (1 << 64) - 1


def test_context_manager_and_idempotent_close() -> None:
    with phifd.Monitor() as m:
        m.heartbeat(1, 1, 0)
        assert not m.closed
    assert m.closed
    m.close()
    m.close()
    assert repr(m) == "Monitor(closed)"


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.heartbeat(1, 1, 0),
        lambda m: m.add_node(1, 1, 0),
        lambda m: m.remove(1),
        lambda m: m.phi(1, 0),
        lambda m: m.info(1, 0),
        lambda m: m.time_until_phi(1, 8.0),
        lambda m: m.time_until_phi_timedelta(1, 8.0),
        lambda m: m.poll(0),
        lambda m: m.node_count(),
        lambda m: len(m),
        lambda m: m.stats(),
        lambda m: m.heartbeat_batch([1], 1, 0),
        lambda m: m.phi_batch([1], 0),
    ],
)
def test_use_after_close_raises(call) -> None:  # type: ignore[no-untyped-def]
    m = phifd.Monitor()
    m.heartbeat(1, 1, 0)
    m.close()
    with pytest.raises(phifd.InvalidHandleError) as info:
        call(m)
    assert info.value.status is phifd.Status.INVALID_HANDLE
    assert "closed" in info.value.message and "Monitor." in info.value.message


def test_garbage_collection_frees() -> None:
    freed = []
    original = phifd.Monitor._free

    class Tracking(phifd.Monitor):
        @staticmethod
        def _free(ptr):  # type: ignore[no-untyped-def,override]
            freed.append(ptr)
            original(ptr)

    m = Tracking()
    ptr = m._ptr
    m.heartbeat(1, 1, 0)
    del m
    gc.collect()
    assert freed == [ptr]
    # an exception inside __init__ leaves nothing to free and __del__ stays quiet
    with pytest.raises(phifd.InvalidArgumentError):
        Tracking(phifd.Config(threshold=1.0, suspect_threshold=2.0))
    gc.collect()
    assert freed == [ptr]


def test_monitor_rejects_non_config() -> None:
    with pytest.raises(TypeError):
        phifd.Monitor({"threshold": 8})  # type: ignore[arg-type]
