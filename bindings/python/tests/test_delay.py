"""Delay awareness and gossip, with explicit timestamps: pauses of the monitor itself, bursts
after a stall, local health, versioned (gossiped) heartbeats and suspicion confirmations.

Expected values are derived by hand in each test:
- exponential estimator, steady 1 s heartbeats: the mean is 1 s and phi(silence) =
  silence / 1 s / ln 10, so FAILED (phi 8) after ceil(8 ln 10 s) of silence;
- normal estimator, steady 100 ms heartbeats: the standard deviation is floored at 25 ms
  (default: heartbeat interval / 4), so FAILED after 100 ms + z * 25 ms where Q(z) = 1e-8;
- Lifeguard's confirmation factor max(r, 1 - (1 - r) ln(n + 1) / ln(k + 1)).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import List, Tuple

import phifd
import pytest
from conftest import SECOND

MS = 1_000_000
LN10 = math.log(10)
U64_MASK = (1 << 64) - 1

#: FAILED silence of the exponential model with a 1 s mean and threshold 8, in whole ns.
EXP_BASE_NS = math.ceil(8 * LN10 * 1e9)


def failures(events: List[phifd.Event]) -> List[Tuple[int, int]]:
    """(node, time_ns) of every transition to FAILED."""
    return [
        (e.node, e.time_ns)
        for e in events
        if e.kind is phifd.EventKind.STATE_CHANGED and e.to_state is phifd.State.FAILED
    ]


def exp_monitor(**settings: object) -> phifd.Monitor:
    """Exponential estimator, 1 s interval; node 1 heartbeats at 0, 1, 2, 3, 4 s."""
    with phifd.Config(estimator=phifd.Estimator.EXPONENTIAL, heartbeat_interval_ns=SECOND, **settings) as cfg:
        m = phifd.Monitor(cfg)
    for i in range(5):
        m.heartbeat(1, 1, i * SECOND)
    return m


def lifeguard_fail_after(base_ns: int, n: int, k: int = 3, r: float = 0.5) -> int:
    """Lifeguard's deadline with n distinct reporters: ceil(base * max(r, 1 - (1 - r) ln(n+1)/ln(k+1)))."""
    factor = max(r, 1.0 - (1.0 - r) * math.log(n + 1) / math.log(k + 1))
    return math.ceil(base_ns * factor)


# --- local pauses ---------------------------------------------------------------------------


def test_a_ten_second_monitor_pause_convicts_no_healthy_peer() -> None:
    # Peers 1..20 heartbeat every 100 ms; peer 21 crashes at 5 s (normal operation); peer 22
    # crashes at 12 s, during the monitor's own 10 s pause (10 s .. 20 s). The heartbeats that
    # queued during the pause are drained at 20 s, stamped with the processing time.
    cfg = phifd.Config(estimator=phifd.Estimator.NORMAL, heartbeat_interval_ns=100 * MS)
    with cfg, phifd.Monitor(cfg) as m:
        # Steady timeout by hand: mean 100 ms, sd floored at 25 ms, phi 8 <=> Q(z) = 1e-8.
        z = NormalDist().inv_cdf(1 - 1e-8)
        steady_timeout = 100 * MS + z * 25 * MS
        events: List[phifd.Event] = []

        def beat(t: int) -> None:
            for node in range(1, 23):
                crashed = (node == 21 and t >= 5 * SECOND) or (node == 22 and t >= 12 * SECOND)
                if not crashed:
                    m.heartbeat(node, 1, t)

        t = SECOND
        while t < 10 * SECOND:
            beat(t)
            events += m.poll(t + 50 * MS)
            t += 100 * MS
        f = failures(events)
        assert [n for n, _ in f] == [21]
        # Convicted at its own deadline: last heartbeat 4.9 s + the steady timeout.
        assert abs(f[0][1] - (4_900 * MS + steady_timeout)) < 1000

        resume = 20 * SECOND
        for i in range(100):
            for node in range(1, 21):
                m.heartbeat(node, 1, resume + i * 100_000)
        t = resume + 10 * MS
        while t < 30 * SECOND:
            events += m.poll(t)
            beat(t + 50 * MS)
            t += 100 * MS

        stats = m.stats()
        assert stats.pauses_detected == 1
        assert stats.last_pause_start_ns == 9_950 * MS  # the last call before the pause (a poll)
        assert stats.last_pause_end_ns == resume  # the first call after it
        # Default grace: two steady timeouts.
        assert abs(stats.grace_until_ns - (resume + 2 * steady_timeout)) < 1000
        f = failures(events)
        assert [n for n, _ in f] == [21, 22], f"no healthy peer may be convicted: {f}"
        assert f[1][1] == stats.grace_until_ns  # peer 22 is convicted when the grace ends
        for node in range(1, 21):
            info = m.info(node, 30 * SECOND)
            assert info.state is phifd.State.ALIVE
            # Neither the 10 s gap nor the 0.1 ms burst was learned: the mean is still 100 ms.
            assert abs(info.mean_ns - 100 * MS) < 1 * MS, (node, info.mean_ns)


def paused_run(**settings: object) -> Tuple[List[Tuple[int, int]], phifd.MonitorStats]:
    """Node 1 heartbeats every 100 ms and the monitor polls 50 ms after each, from 1 s to
    3 s; then nothing until 6 s (a 3 s pause), where the poll comes first, before node 1's
    queued heartbeat. Returns the FAILED transitions and the stats."""
    with phifd.Config(estimator=phifd.Estimator.NORMAL, heartbeat_interval_ns=100 * MS, **settings) as cfg:
        m = phifd.Monitor(cfg)
    with m:
        events: List[phifd.Event] = []
        t = SECOND
        while t < 3 * SECOND:
            m.heartbeat(1, 1, t)
            events += m.poll(t + 50 * MS)
            t += 100 * MS
        events += m.poll(6 * SECOND)
        m.heartbeat(1, 1, 6 * SECOND + MS)
        events += m.poll(6 * SECOND + 50 * MS)
        return failures(events), m.stats()


def test_pause_threshold_and_grace_settings_take_effect() -> None:
    # Explicit grace of 1 s: no conviction before 7 s, and node 1 answers at 6.001 s.
    f, stats = paused_run(local_pause_grace_ns=SECOND)
    assert f == []
    assert stats.pauses_detected == 1
    assert (stats.last_pause_start_ns, stats.last_pause_end_ns) == (2_950 * MS, 6 * SECOND)
    assert stats.grace_until_ns == 7 * SECOND
    # A threshold above the 3.05 s gap: no pause is seen and the silent node is convicted.
    f, stats = paused_run(local_pause_threshold_ns=5 * SECOND)
    assert stats.pauses_detected == 0 and stats.grace_until_ns == 0
    assert [n for n, _ in f] == [1]
    # Grace 0: the pause is detected, but convictions due during it happen at once.
    f, stats = paused_run(local_pause_grace_ns=0)
    assert stats.pauses_detected == 1 and stats.grace_until_ns == 6 * SECOND
    assert [n for n, _ in f] == [1]


def test_a_burst_after_a_sender_stall_is_not_learned() -> None:
    for fraction, learned in ((None, False), (0.0, True)):
        settings = {} if fraction is None else {"burst_fraction": fraction}
        cfg = phifd.Config(estimator=phifd.Estimator.NORMAL, heartbeat_interval_ns=100 * MS, window=1000, **settings)
        with cfg, phifd.Monitor(cfg) as m:
            t = SECOND
            for _ in range(200):
                m.heartbeat(1, 1, t)
                t += 100 * MS
            # Ten heartbeats back to back (1 ms apart); the first ends a normal 100 ms interval.
            m.heartbeat(1, 1, t)
            t += MS
            before = m.info(1, t)
            for _ in range(9):
                m.heartbeat(1, 1, t)
                t += MS
            after = m.info(1, t)
            if learned:
                # burst_fraction 0 learns everything: nine more 1 ms intervals.
                assert after.samples == min(1000, before.samples + 9)
                assert after.mean_ns < before.mean_ns
            else:
                # default 0.25: 1 ms < 25 ms, not learned; the arrivals still count.
                assert after.samples == before.samples
                assert after.mean_ns == before.mean_ns
                assert after.last_arrival_ns == t - MS


# --- local health ---------------------------------------------------------------------------


def test_local_health_multiplies_fail_after() -> None:
    with exp_monitor() as m:
        assert m.info(1, 4 * SECOND).fail_after_ns == EXP_BASE_NS
        assert m.local_health == 0
        for score in (1, 3, 7):
            m.local_health = score
            assert m.local_health == score
            assert m.stats().local_health == score
            assert m.info(1, 4 * SECOND).fail_after_ns == math.ceil(EXP_BASE_NS * (1 + score))
        with pytest.raises(phifd.InvalidArgumentError) as err:
            m.local_health = 8  # default maximum 7
        assert err.value.status is phifd.Status.INVALID_ARG
        assert "phifd_monitor_set_local_health" in err.value.message
        assert m.local_health == 7  # unchanged
        with pytest.raises(phifd.InvalidArgumentError):
            m.set_local_health(-1)
        with pytest.raises(phifd.InvalidArgumentError):
            m.set_local_health(1 << 32)
        with pytest.raises(TypeError):
            m.local_health = 1.5  # type: ignore[assignment]
        with pytest.raises(TypeError):
            m.local_health = True
        m.set_local_health(0)
        assert m.info(1, 4 * SECOND).fail_after_ns == EXP_BASE_NS


def test_max_local_health_setting() -> None:
    with exp_monitor(max_local_health=2) as m:
        with pytest.raises(phifd.InvalidArgumentError):
            m.local_health = 3
        m.local_health = 2
        assert m.info(1, 4 * SECOND).fail_after_ns == 3 * EXP_BASE_NS
    with exp_monitor(max_local_health=0) as m:
        with pytest.raises(phifd.InvalidArgumentError):
            m.local_health = 1
        m.local_health = 0


def test_late_polls_raise_the_monitors_own_score() -> None:
    with exp_monitor() as m:
        t = 5 * SECOND
        for _ in range(20):  # a cadence of one poll every 100 ms
            m.poll(t)
            t += 100 * MS
        assert m.local_health == 0
        t += 200 * MS  # one poll 300 ms after the previous: late, but not a pause
        m.poll(t)
        assert m.local_health == 1
        assert m.info(1, t).fail_after_ns == 2 * EXP_BASE_NS
        m.poll(t + 100 * MS)
        assert m.local_health == 0
        assert m.stats().pauses_detected == 0


# --- versioned heartbeats -------------------------------------------------------------------


def test_fifty_relays_of_one_version_count_once() -> None:
    with phifd.Monitor() as m:
        assert m.heartbeat_version(7, 1, 10, SECOND) is True
        relays = [m.heartbeat_version(7, 1, 10, SECOND + i * MS) for i in range(49)]
        assert relays == [False] * 49
        assert m.heartbeat_version(7, 1, 9, SECOND + 60 * MS) is False  # an old version, late
        info = m.info(7, 2 * SECOND)
        assert info.version == 10
        assert info.last_arrival_ns == SECOND  # duplicates do not refresh the arrival
        assert m.stats().duplicate_heartbeats == 50
        assert m.heartbeat_version(7, 1, 11, 2 * SECOND) is True
        assert m.info(7, 2 * SECOND).last_arrival_ns == 2 * SECOND
        # A new generation with a lower version is a restart: counted.
        assert m.heartbeat_version(7, 2, 1, 3 * SECOND) is True
        assert m.info(7, 3 * SECOND).version == 1
        with pytest.raises(phifd.StaleGenerationError) as err:
            m.heartbeat_version(7, 1, 100, 4 * SECOND)
        assert "phifd_heartbeat_version" in err.value.message
        assert m.stats().stale_heartbeats == 1
        assert m.stats().duplicate_heartbeats == 50
        # An unknown node is added, like a plain heartbeat.
        assert m.heartbeat_version(8, 1, 5, 4 * SECOND) is True
        assert len(m) == 2


def test_heartbeat_version_argument_checks() -> None:
    with phifd.Monitor() as m:
        with pytest.raises(phifd.InvalidArgumentError):
            m.heartbeat_version(1, 1, -1, 0)
        with pytest.raises(phifd.InvalidArgumentError):
            m.heartbeat_version(1, 1, 1 << 64, 0)
        with pytest.raises(TypeError):
            m.heartbeat_version(1, 1, "3", 0)  # type: ignore[arg-type]
        assert len(m) == 0
        assert m.heartbeat_version(1, 0, 0) is True  # now_ns defaults to now
    with pytest.raises(phifd.InvalidHandleError):
        m.heartbeat_version(1, 0, 1, 0)


def test_version_jumps_keep_the_per_heartbeat_interval() -> None:
    # The sender heartbeats every 100 ms; gossip reaches us every 300..700 ms, so versions jump
    # by 3..7 between observations (xorshift64 for the jumps and a jitter under 5 ms).
    with phifd.Config(heartbeat_interval_ns=500 * MS) as cfg, phifd.Monitor(cfg) as m:
        rng = 12345
        version = 1
        t = SECOND
        assert m.heartbeat_version(3, 1, version, t)
        for _ in range(400):
            rng ^= (rng << 13) & U64_MASK
            rng ^= rng >> 7
            rng ^= (rng << 17) & U64_MASK
            jump = 3 + rng % 5
            version += jump
            t += jump * 100 * MS + (rng >> 20) % (5 * MS)
            assert m.heartbeat_version(3, 1, version, t)
        info = m.info(3, t)
        assert info.version == version
        # Per-heartbeat interval about 100 ms (smoothing 1/16, jitter < 5 ms per observation).
        assert abs(info.heartbeat_interval_ns - 100 * MS) < 5 * MS, info.heartbeat_interval_ns
        # The window learns the gaps between observations, about 500 ms.
        assert abs(info.mean_ns - 500 * MS) < 50 * MS, info.mean_ns
        assert info.state is phifd.State.ALIVE


def test_plain_heartbeats_report_interval_and_version() -> None:
    with exp_monitor() as m:
        info = m.info(1, 4 * SECOND)
        # Direct heartbeats every 1 s: the per-heartbeat estimate equals the 1 s mean.
        assert info.heartbeat_interval_ns == pytest.approx(1e9, rel=1e-9)
        assert info.confirmations == 0


# --- suspicion confirmations ----------------------------------------------------------------


def test_confirmations_shorten_conviction_by_lifeguards_formula() -> None:
    with exp_monitor() as m:
        assert m.info(1, 4 * SECOND).fail_after_ns == EXP_BASE_NS
        m.report_suspect(1, 100)
        m.report_suspect(1, 100)  # the same reporter counts once
        info = m.info(1, 4 * SECOND)
        assert info.confirmations == 1
        assert info.fail_after_ns == lifeguard_fail_after(EXP_BASE_NS, 1)
        # n = 1, k = 3, r = 0.5: factor 1 - 0.5 * ln 2 / ln 4 = 0.75
        assert abs(info.fail_after_ns - 0.75 * EXP_BASE_NS) <= 1
        m.report_suspect(1, 101)
        info = m.info(1, 4 * SECOND)
        assert info.confirmations == 2
        assert info.fail_after_ns == lifeguard_fail_after(EXP_BASE_NS, 2)
        m.report_suspect(1, 102)
        assert m.info(1, 4 * SECOND).fail_after_ns == lifeguard_fail_after(EXP_BASE_NS, 3)
        for reporter in range(103, 2000):  # a flood of reporters
            m.report_suspect(1, reporter)
        info = m.info(1, 4 * SECOND)
        assert info.confirmations == 3  # bounded: k reporters are kept
        assert info.fail_after_ns == lifeguard_fail_after(EXP_BASE_NS, 3) == math.ceil(0.5 * EXP_BASE_NS)
        # Conviction happens at the shortened deadline, not before.
        deadline = 4 * SECOND + lifeguard_fail_after(EXP_BASE_NS, 3)
        assert failures(m.poll(deadline - 1)) == []
        assert failures(m.poll(deadline)) == [(1, deadline)]
        # A new heartbeat refutes the suspicion.
        m.heartbeat(1, 1, 20 * SECOND)
        info = m.info(1, 20 * SECOND)
        assert info.confirmations == 0
        assert info.fail_after_ns > EXP_BASE_NS // 2 + 1
        with pytest.raises(phifd.InvalidArgumentError) as err:
            m.report_suspect(1, 1)  # a node cannot report itself
        assert "phifd_node_report_suspect" in err.value.message
        with pytest.raises(phifd.UnknownNodeError):
            m.report_suspect(99, 1)
        with pytest.raises(phifd.InvalidArgumentError):
            m.report_suspect(1, -5)


def test_a_counted_versioned_heartbeat_refutes_but_a_duplicate_does_not() -> None:
    with exp_monitor() as m:
        m.heartbeat_version(2, 1, 5, 4 * SECOND)
        m.report_suspect(2, 10)
        m.report_suspect(2, 11)
        assert not m.heartbeat_version(2, 1, 5, 4 * SECOND + MS)  # a relay of the same version
        assert m.info(2, 5 * SECOND).confirmations == 2
        assert m.heartbeat_version(2, 1, 6, 5 * SECOND)
        assert m.info(2, 5 * SECOND).confirmations == 0


@pytest.mark.parametrize("k,r", [(1, 0.5), (2, 0.25), (5, 0.8), (3, 1.0)])
def test_confirmation_settings_take_effect(k: int, r: float) -> None:
    with exp_monitor(confirmations_expected=k, confirmation_min_ratio=r) as m:
        for n in range(1, k + 3):
            m.report_suspect(1, 1000 + n)
            info = m.info(1, 4 * SECOND)
            assert info.confirmations == min(n, k)
            assert info.fail_after_ns == lifeguard_fail_after(EXP_BASE_NS, min(n, k), k, r)
        # With k reports the deadline is the minimum: r x the node's own.
        assert abs(m.info(1, 4 * SECOND).fail_after_ns - r * EXP_BASE_NS) <= 1
