"""QoS targets and live retuning (docs/qos.md): Config.qos, Monitor.set_thresholds / set_qos,
the per-node calls and qos_report. Expected values are derived here from the closed forms of
docs/qos.md, never read back from the library.

The exponential estimator keeps them simple: phi = silence / mean / ln 10, so threshold T puts the
FAILED deadline of a window of 1 s intervals at T ln 10 s, and the model's tail is
P(X > d) = exp(-d / mean).
"""

from __future__ import annotations

import ctypes
import math
from typing import Iterable, List, Optional, Tuple

import phifd
import pytest
from conftest import SECOND
from phifd import _cdefs, _ffi
from phifd._qos import qos_report_from_struct

MS = 1_000_000
LN10 = math.log(10)


def exp_deadline(level: float) -> int:
    """The FAILED (or SUSPECT) deadline of phi level ``level`` on 1 s intervals, exponential
    estimator: the first whole ns at which silence / 1 s / ln 10 reaches ``level``."""
    return math.ceil(level * LN10 * 1e9)


def steady(m: phifd.Monitor, nodes: Iterable[int], count: int, start: int = SECOND) -> int:
    """Heartbeats of ``nodes`` every second from ``start``, ``count`` of each; the last time."""
    t = start
    nodes = list(nodes)
    for i in range(count):
        t = start + i * SECOND
        for node in nodes:
            m.heartbeat(node, 1, t)
    return t


def exp_monitor(window: int = 10, qos: Optional[phifd.QosTargets] = None, **settings: object) -> phifd.Monitor:
    """Exponential estimator, threshold 8 (suspect 4), the given window and targets, no QoS
    warm-up (these tests check the derivation from the history; the warm-up has tests of its
    own, which pass ``qos_warmup_ns`` themselves)."""
    settings.setdefault("qos_warmup_ns", 0)
    cfg = phifd.Config(estimator=phifd.Estimator.EXPONENTIAL, window=window, threshold=8.0, qos=qos, **settings)  # type: ignore[arg-type]
    with cfg:
        return phifd.Monitor(cfg)


def targets(td_s: float, tmr_s: float, tm_ns: int = 0) -> phifd.QosTargets:
    return phifd.QosTargets(int(td_s * SECOND), int(tmr_s * SECOND), tm_ns)


# --- Config ------------------------------------------------------------------------------------


def test_config_qos_round_trip_and_refusals() -> None:
    with phifd.Config() as cfg:
        assert cfg.qos is None  # the default: judged by the thresholds
        t = phifd.QosTargets(5 * SECOND, 3600 * SECOND, 2 * SECOND)
        cfg.qos = t
        assert cfg.qos == t
        assert "qos=QosTargets(max_detection_ns=5000000000" in repr(cfg)
        # A refused value names the field and keeps the previous targets.
        with pytest.raises(phifd.InvalidArgumentError, match="max_detection_ns"):
            cfg.qos = phifd.QosTargets(0, 3600 * SECOND)
        with pytest.raises(phifd.InvalidArgumentError, match="min_mistake_recurrence_ns"):
            cfg.set_qos(phifd.QosTargets(SECOND, 0))
        with pytest.raises(phifd.InvalidArgumentError, match="max_detection_ns"):
            cfg.qos = phifd.QosTargets(10**15 + 1, SECOND)
        with pytest.raises(phifd.InvalidArgumentError, match="max_mistake_duration_ns"):
            cfg.qos = phifd.QosTargets(SECOND, SECOND, 10**15 + 1)
        # Outside uint64, or not an int: refused by the binding, naming the field.
        with pytest.raises(phifd.InvalidArgumentError, match="max_detection_ns"):
            cfg.qos = phifd.QosTargets(-1, SECOND)
        with pytest.raises(TypeError, match="min_mistake_recurrence_ns"):
            cfg.qos = phifd.QosTargets(SECOND, 1.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="QosTargets"):
            cfg.qos = (SECOND, SECOND, 0)  # type: ignore[assignment]
        assert cfg.qos == t
        cfg.qos = None
        assert cfg.qos is None and "qos=" not in repr(cfg)
        cfg.set_qos(t)
        cfg.set_qos(None)
        assert cfg.qos is None
    with phifd.Config(qos=phifd.QosTargets(SECOND, 60 * SECOND)) as cfg:
        assert cfg.qos == phifd.QosTargets(SECOND, 60 * SECOND, 0)
    with pytest.raises(phifd.InvalidArgumentError, match="max_detection_ns"):
        phifd.Config(qos=phifd.QosTargets(0, SECOND))
    cfg = phifd.Config()
    cfg.close()
    with pytest.raises(phifd.InvalidHandleError):
        _ = cfg.qos
    with pytest.raises(phifd.InvalidHandleError):
        cfg.qos = phifd.QosTargets(SECOND, SECOND)


# --- Reports derived by hand --------------------------------------------------------------------


def test_threshold_node_report_is_the_exponential_models() -> None:
    with exp_monitor() as m:
        t = steady(m, [1], 20)
        r = m.qos_report(1, t)
        assert not r.qos and r.feasible
        assert (r.threshold, r.suspect_threshold) == (8.0, 4.0)
        assert r.deadline_ns == exp_deadline(8.0)
        assert r.deadline.total_seconds() == pytest.approx(8 * LN10, abs=1e-6)
        assert r.predicted_detection_ns == r.deadline_ns  # no round trip declared
        assert r.best_detection_ns == r.predicted_detection_ns
        # Tail at 8 ln 10 s: exp(-8 ln 10) = 1e-8, so T_MR = 1 s / 1e-8 = 1e8 s; T_M = the mean.
        assert r.predicted_mistake_recurrence_ns == pytest.approx(1e17, rel=1e-6)
        assert r.predicted_mistake_duration_ns == pytest.approx(1e9, abs=2)
        assert r.loss_rate == 0.0 and r.samples == 10


def test_qos_node_meets_the_closed_form_on_exponential_model() -> None:
    # Window 10 (< 32: the model alone). exp(-d/mu) = mu/T_MR  =>  d = mu ln(T_MR/mu); with
    # mu = 1 s and T_MR = 1000 s: d = 3 ln 10 s = 6.91 s, threshold log10(1000) = 3.
    rtt = 200 * MS
    with exp_monitor(qos=targets(10, 1000), round_trip_ns=rtt) as m:
        t = steady(m, [1], 20)
        r = m.qos_report(1, t)
        d = 1e9 * math.log(1000 * SECOND / 1e9)
        assert r.qos and r.feasible
        assert r.threshold == pytest.approx(3.0, rel=1e-9)
        assert r.suspect_threshold == pytest.approx(1.5, rel=1e-9)  # the configured ratio 4/8
        assert abs(r.deadline_ns - d) <= 2
        # T_D = d + the one-way delay, half the declared round trip.
        assert abs(r.predicted_detection_ns - (d + rtt / 2)) <= 2
        assert r.best_detection_ns == r.predicted_detection_ns
        assert r.predicted_mistake_recurrence_ns == pytest.approx(1000 * SECOND, rel=1e-6)
        assert r.predicted_mistake_duration_ns == pytest.approx(1e9, abs=2)  # exponential: the mean
        assert r.samples == 10
        # The node is judged by that deadline: info agrees, and silence past it is a FAILED event.
        assert abs(m.info(1, t).fail_after_ns - d) <= 2
        m.poll(t)
        failed = [e for e in m.poll(t + 7 * SECOND) if e.to_state is phifd.State.FAILED]
        assert len(failed) == 1 and abs(failed[0].time_ns - (t + d)) <= 2


def pot_deadline(xs: List[int], tmr: int) -> Tuple[float, float, float, float]:
    """docs/qos.md steps 3-4 done by hand on the intervals ``xs`` (ns) for the exponential
    estimator: (the model's deadline, the peaks-over-threshold fit's deadline, the fit's scale,
    the empirical quantile: the smallest interval with at most p n above it)."""
    v = sorted(xs, reverse=True)
    n = len(v)
    k = max(8, math.ceil(math.sqrt(n)))
    u = v[k]
    beta = sum(x - u for x in v[:k]) / k
    scale = beta * (1 + 1 / math.sqrt(k))
    mu = sum(xs) / n
    p = mu / tmr
    empirical = min(x for x in v if sum(1 for y in v if y > x) <= p * n)
    return mu * math.log(1 / p), u + scale * math.log(k / (n * p)), scale, empirical


def test_qos_node_deadline_from_the_tail_fit_by_hand() -> None:
    # 100 intervals: a grid of 900..1098 ms with five long gaps (3, 4, 5, 6 and 8 s) in place of
    # five of them. The long gaps are the tail the fit must carry.
    xs = [900 * MS + (i * 37 % 100) * 2 * MS for i in range(100)]
    for i, gap in [(10, 3), (30, 4), (50, 5), (70, 6), (90, 8)]:
        xs[i] = gap * SECOND
    tmr = 10_000 * SECOND
    with exp_monitor(window=100, max_interval_ns=1000 * SECOND, burst_fraction=0.0) as m:
        t = SECOND
        m.heartbeat(1, 1, t)
        for x in xs:
            t += x
            m.heartbeat(1, 1, t)
        # Retuned at the end, so the node derives its levels on exactly this window.
        m.set_node_qos(1, phifd.QosTargets(60 * SECOND, tmr))
        r = m.qos_report(1, t)
    d_model, d_pot, scale, d_empirical = pot_deadline(xs, tmr)
    mu = sum(xs) / 100
    assert d_pot > d_model  # this window's tail is the fit's
    assert d_empirical == 8 * SECOND and d_pot > d_empirical  # p n < 1: the longest interval
    assert r.qos and r.feasible and r.samples == 100
    assert abs(r.deadline_ns - d_pot) <= 2
    assert r.threshold == pytest.approx(d_pot / mu / LN10, abs=1e-9)
    # At d_pot the fit's tail is exactly mu/T_MR, so the predicted T_MR is the target.
    assert r.predicted_mistake_recurrence_ns == pytest.approx(tmr, rel=1e-6)
    assert abs(r.predicted_mistake_duration_ns - max(scale, mu)) <= 1


def test_infeasible_targets_are_reported_and_the_mistake_rate_deadline_kept() -> None:
    d = 3 * LN10 * 1e9  # T_MR = 1000 s on 1 s intervals, as above
    with exp_monitor() as m:
        t = steady(m, [1], 20)
        m.set_node_qos(1, targets(5, 1000))  # T_D <= 5 s: out of reach
        r = m.qos_report(1, t)
        assert r.qos and not r.feasible
        assert abs(r.deadline_ns - d) <= 2 and abs(r.best_detection_ns - d) <= 2
        m.set_node_qos(1, targets(10, 1000, 500 * MS))  # T_M <= 0.5 s, below the 1 s mean
        assert not m.qos_report(1, t).feasible
        m.set_node_qos(1, targets(10, 1000, 2 * SECOND))
        assert m.qos_report(1, t).feasible


def test_loss_rate_from_version_gaps() -> None:
    with exp_monitor(window=100, qos=targets(20, 3600), max_interval_ns=100 * SECOND) as m:
        t = SECOND
        for v in range(1, 201):  # every 4th version lost: 50 of 200
            t += SECOND
            if v % 4:
                m.heartbeat_version(1, 1, v, t)
        r = m.qos_report(1, t)
    # 150 arrivals; the first shows no gap: 149 counted after it. 50 versions skipped, the last
    # (200) never followed by an arrival: 49 seen. Loss = 49 / (149 + 49).
    assert r.loss_rate == pytest.approx(49 / 198, abs=1e-12)


def test_report_conversion_maps_never_to_none() -> None:
    raw = _cdefs.QosReportStruct()
    raw.qos, raw.feasible, raw.samples = 1, 0, 5
    raw.predicted_mistake_recurrence_ns = (1 << 64) - 1  # UINT64_MAX: none expected
    r = qos_report_from_struct(raw)
    assert r.qos is True and r.feasible is False and r.samples == 5
    assert r.predicted_mistake_recurrence_ns is None
    raw.predicted_mistake_recurrence_ns = (1 << 64) - 2
    assert qos_report_from_struct(raw).predicted_mistake_recurrence_ns == (1 << 64) - 2


# --- Warm-up -------------------------------------------------------------------------------------


def warm_up_hold(td_ns: float, watched_ns: float, warmup_ns: float, one_way_ns: float = 0.0) -> float:
    """The least FAILED deadline during the warm-up (docs/qos.md, "Warm-up"), ns:
    (T_D bound - one-way delay) x (1 - watched / warm-up)."""
    return (td_ns - one_way_ns) * (1 - watched_ns / warmup_ns)


def steady_window_of_100(warmup_ns: Optional[int]) -> Tuple[phifd.Monitor, int]:
    """Exponential estimator, window 100, nothing dropped from it (max interval 1000 s, burst
    fraction 0); node 1 fed 101 heartbeats 1 s apart: 100 intervals of 1 s, a 100 s span.
    ``warmup_ns`` None: the default warm-up. Returns the monitor and the last arrival."""
    cfg = phifd.Config(
        estimator=phifd.Estimator.EXPONENTIAL,
        window=100,
        max_interval_ns=1000 * SECOND,
        burst_fraction=0.0,
        qos_warmup_ns=warmup_ns,
    )
    with cfg:
        m = phifd.Monitor(cfg)
    return m, steady(m, [1], 101)


def test_warm_up_holds_a_young_nodes_deadline_towards_the_detection_bound() -> None:
    td, tmr = 20 * SECOND, 1000 * SECOND
    mu = 1e9  # the window's mean: 1 s
    best = mu * math.log(tmr / mu)  # the exponential model's deadline for T_MR: ln(1000) s
    warmup = min(tmr, 3600 * SECOND)  # the default: min(T_MR, 1 h) = 1000 s
    watched = 100 * SECOND  # switched to QoS now: the window's span
    held = warm_up_hold(td, watched, warmup)  # 20 s x 0.9 = 18 s
    assert held > best  # the hold is what decides here
    m, t = steady_window_of_100(None)
    with m:
        m.set_node_qos(1, phifd.QosTargets(td, tmr))
        r = m.qos_report(1, t)
        assert r.qos and r.feasible and not r.established
        assert abs(r.deadline_ns - held) <= 2
        assert abs(r.deadline_ns - 18 * SECOND) <= 2
        assert r.predicted_detection_ns == r.deadline_ns  # no round trip declared
        # The history alone supports ln(1000) s; feasibility is judged on that.
        assert abs(r.best_detection_ns - best) <= 2
        assert r.best_detection_ns < r.predicted_detection_ns
        # At 18 s the model's tail is exp(-18): one wrong declaration per 1 s x e^18.
        assert r.predicted_mistake_recurrence_ns == pytest.approx(mu * math.exp(18), rel=1e-6)
        # The node is judged by the held deadline.
        assert abs(m.info(1, t).fail_after_ns - held) <= 2
    # No warm-up: established at once, the history's own deadline.
    m, t = steady_window_of_100(0)
    with m:
        m.set_node_qos(1, phifd.QosTargets(td, tmr))
        r = m.qos_report(1, t)
        assert r.qos and r.feasible and r.established
        assert abs(r.deadline_ns - best) <= 2
        assert r.best_detection_ns == r.predicted_detection_ns == r.deadline_ns
        assert abs(m.info(1, t).fail_after_ns - best) <= 2


def test_warm_up_ends_after_the_configured_time() -> None:
    # QoS from the start, a warm-up of 50 s. Young: held above the history's ln(1000) s, never
    # above the T_D bound. After 129 s of 1 s intervals (derivations every 64 learned
    # intervals): established, the history's own deadline.
    best = 1e9 * math.log(1000)
    with exp_monitor(qos=targets(20, 1000), qos_warmup_ns=50 * SECOND) as m:
        t = steady(m, [1], 20)
        r = m.qos_report(1, t)
        assert r.qos and not r.established
        assert best + 1 * SECOND < r.deadline_ns <= 20 * SECOND
        assert abs(r.best_detection_ns - best) <= 2
        t = steady(m, [1], 110, start=t + SECOND)
        r = m.qos_report(1, t)
        assert r.established and r.feasible
        assert abs(r.deadline_ns - best) <= 2
        assert r.best_detection_ns == r.predicted_detection_ns


def test_a_node_without_qos_is_established() -> None:
    with exp_monitor(qos_warmup_ns=3600 * SECOND) as m:
        t = steady(m, [1], 3)
        r = m.qos_report(1, t)
        assert not r.qos and r.established


def test_config_qos_warmup_round_trip_and_refusals() -> None:
    u64_max = (1 << 64) - 1
    with phifd.Config() as cfg:
        assert cfg.qos_warmup_ns is None  # the default: min(T_MR, 1 h) of each node's targets
        assert "qos_warmup_ns" not in repr(cfg)
        # The C getter reports the default as UINT64_MAX.
        raw = ctypes.c_uint64(7)
        assert _ffi.lib.phifd_config_get_qos_warmup_ns(cfg._ptr, ctypes.byref(raw)) == 0
        assert raw.value == u64_max == _cdefs.PHIFD_QOS_WARMUP_DEFAULT
        cfg.qos_warmup_ns = 0
        assert cfg.qos_warmup_ns == 0 and "qos_warmup_ns=0" in repr(cfg)
        cfg.qos_warmup_ns = 10**15  # the longest accepted
        assert cfg.qos_warmup_ns == 10**15
        cfg.qos_warmup_ns = 90 * SECOND
        # Above 10**15: the library's refusal, naming the setting; the previous value is kept.
        with pytest.raises(phifd.InvalidArgumentError) as info:
            cfg.qos_warmup_ns = 10**15 + 1
        assert info.value.status is phifd.Status.INVALID_ARG
        assert "qos_warmup_ns" in info.value.message
        assert cfg.qos_warmup_ns == 90 * SECOND
        # Outside uint64, or UINT64_MAX (the C spelling of the default; None in Python): refused
        # by the binding, naming the setting.
        for bad in (-1, u64_max, 1 << 64):
            with pytest.raises(phifd.InvalidArgumentError, match="qos_warmup_ns"):
                cfg.qos_warmup_ns = bad
        for wrong in (1.5, True, "10"):
            with pytest.raises(TypeError, match="qos_warmup_ns"):
                cfg.qos_warmup_ns = wrong  # type: ignore[assignment]
        assert cfg.qos_warmup_ns == 90 * SECOND
        cfg.qos_warmup_ns = None  # back to the default
        assert cfg.qos_warmup_ns is None
        # A value written through the C setter is what the property reads.
        assert _ffi.lib.phifd_config_set_qos_warmup_ns(cfg._ptr, 5 * SECOND) == 0
        assert cfg.qos_warmup_ns == 5 * SECOND
    with phifd.Config(qos_warmup_ns=30 * SECOND) as cfg:
        assert cfg.qos_warmup_ns == 30 * SECOND
    with phifd.Config(qos_warmup_ns=0) as cfg:
        assert cfg.qos_warmup_ns == 0
    with pytest.raises(phifd.InvalidArgumentError, match="qos_warmup_ns"):
        phifd.Config(qos_warmup_ns=10**15 + 1)
    cfg = phifd.Config()
    cfg.close()
    with pytest.raises(phifd.InvalidHandleError):
        _ = cfg.qos_warmup_ns
    with pytest.raises(phifd.InvalidHandleError):
        cfg.qos_warmup_ns = 0


def test_report_conversion_reads_established() -> None:
    raw = _cdefs.QosReportStruct()
    raw.qos, raw.feasible, raw.established = 1, 1, 0
    assert qos_report_from_struct(raw).established is False
    raw.established = 1
    assert qos_report_from_struct(raw).established is True


# --- Live retuning ------------------------------------------------------------------------------


def event_keys(events: List[phifd.Event]) -> List[Tuple[int, phifd.State, phifd.State, int, float]]:
    return [(e.node, e.from_state, e.to_state, e.time_ns, e.phi) for e in events]


def jittered(ms: List[phifd.Monitor], start: int, count: int, seed: int) -> int:
    """Heartbeats of nodes 1..3 to every monitor in ``ms`` every 1 s +/- 20 ms (a seeded linear
    congruential sequence), ``count`` of them; returns the last time."""
    t, x = start, seed
    for _ in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        t += SECOND - 20 * MS + (x >> 33) % (40 * MS)
        for m in ms:
            for node in (1, 2, 3):
                m.heartbeat(node, 1, t)
    return t


@pytest.mark.parametrize("estimator", list(phifd.Estimator))
def test_retuned_thresholds_match_a_monitor_configured_so(estimator: phifd.Estimator) -> None:
    def make(threshold: float, suspect: float) -> phifd.Monitor:
        with phifd.Config(
            estimator=estimator, threshold=threshold, suspect_threshold=suspect, max_interval_ns=10 * SECOND
        ) as c:
            return phifd.Monitor(c)

    with make(8.0, 4.0) as retuned, make(12.0, 3.0) as fresh:
        t = jittered([retuned, fresh], SECOND, 300, seed=estimator + 1)
        assert event_keys(retuned.poll(t)) == event_keys(fresh.poll(t))
        before = retuned.info(1, t)
        assert before.fail_after_ns != fresh.info(1, t).fail_after_ns
        retuned.set_thresholds(12.0, 3.0)
        for node in (1, 2, 3):
            a, b = retuned.info(node, t), fresh.info(node, t)
            assert a.samples == before.samples  # history kept
            assert a.mean_ns == b.mean_ns
            assert (a.fail_after_ns, a.suspect_after_ns) == (b.fail_after_ns, b.suspect_after_ns)
            assert a.state == b.state
        # More history, then silence: the same events at the same instants.
        t = jittered([retuned, fresh], t, 50, seed=estimator + 7)
        seen = 0
        for k in range(1, 81):
            a_events = event_keys(retuned.poll(t + k * 500 * MS))
            assert a_events == event_keys(fresh.poll(t + k * 500 * MS)), k
            seen += len(a_events)
        assert seen >= 6  # each node went SUSPECT and FAILED


def test_node_past_its_new_deadline_is_declared_at_the_next_poll_at_the_deadline_instant() -> None:
    with exp_monitor() as m:
        t = steady(m, [1], 20)
        m.poll(t)
        now = t + 12 * SECOND  # past the suspect level's 4 ln10 s = 9.2 s, before 8 ln10 s = 18.4 s
        events = m.poll(now)
        assert [(e.to_state, e.time_ns) for e in events] == [(phifd.State.SUSPECT, t + exp_deadline(4.0))]
        m.set_thresholds(5.0, 2.5)  # FAILED from 5 ln10 s = 11.5 s of silence
        assert m.info(1, now).fail_after_ns == exp_deadline(5.0)
        # The state follows at the next poll, and the event carries the instant the new deadline
        # passed, not the poll's time.
        events = m.poll(now)
        assert [(e.from_state, e.to_state, e.time_ns) for e in events] == [
            (phifd.State.SUSPECT, phifd.State.FAILED, t + exp_deadline(5.0))
        ]


def test_retuned_qos_matches_a_monitor_configured_so() -> None:
    # Steady 1 s intervals: every derivation of the QoS nodes sees the same window, so a monitor
    # given the targets now and one given them from the start judge by the same deadline.
    q = targets(10, 1000)
    with exp_monitor() as retuned, exp_monitor(qos=q) as fresh:
        t = steady(retuned, [1, 2, 3], 40)
        steady(fresh, [1, 2, 3], 40)
        assert event_keys(retuned.poll(t)) == event_keys(fresh.poll(t))
        assert retuned.info(1, t).fail_after_ns == exp_deadline(8.0)
        retuned.set_qos(q)
        for node in (1, 2, 3):
            a, b = retuned.qos_report(node, t), fresh.qos_report(node, t)
            assert a == b and a.qos
            assert retuned.info(node, t).fail_after_ns == fresh.info(node, t).fail_after_ns
            assert retuned.info(node, t).samples == 10  # history kept
        seen = 0
        for k in range(1, 41):
            a_events = event_keys(retuned.poll(t + k * 500 * MS))
            assert a_events == event_keys(fresh.poll(t + k * 500 * MS)), k
            seen += len(a_events)
        assert seen == 6
        # Back to the thresholds (8): the FAILED nodes stay FAILED, judged by 8 ln 10 s again.
        retuned.set_qos(None)
        r = retuned.qos_report(1, t)
        assert not r.qos and r.threshold == 8.0 and r.deadline_ns == exp_deadline(8.0)


def test_per_node_override_then_clear() -> None:
    with exp_monitor() as m:
        t = steady(m, [1, 2], 20)
        m.set_node_thresholds(2, 6.0, 3.0)
        m.set_thresholds(4.0, 2.0)  # node 2 keeps its own
        i1, i2 = m.info(1, t), m.info(2, t)
        assert (i1.fail_after_ns, i1.suspect_after_ns) == (exp_deadline(4.0), exp_deadline(2.0))
        assert (i2.fail_after_ns, i2.suspect_after_ns) == (exp_deadline(6.0), exp_deadline(3.0))
        assert i1.samples == i2.samples == 10
        # Monitor-wide QoS passes node 2 by too.
        m.set_qos(targets(10, 1000))
        assert m.qos_report(1, t).qos
        r2 = m.qos_report(2, t)
        assert not r2.qos and r2.threshold == 6.0
        # Cleared: node 2 follows the monitor's targets (threshold log10(1000) = 3).
        m.clear_node_tuning(2)
        r2 = m.qos_report(2, t)
        assert r2.qos and r2.threshold == pytest.approx(3.0, rel=1e-9)
        m.clear_node_tuning(2)  # nothing of its own: left as it is
        assert m.qos_report(2, t) == r2
        # None for a node: the monitor's thresholds as they are now (4, 2), as its own tuning.
        m.set_node_qos(1, None)
        r1 = m.qos_report(1, t)
        assert not r1.qos and (r1.threshold, r1.suspect_threshold) == (4.0, 2.0)
        # Own targets for node 1: monitor-wide thresholds pass it by.
        m.set_node_qos(1, targets(10, 100))  # threshold log10(100) = 2
        m.set_thresholds(7.0, 3.5)
        r1, r2 = m.qos_report(1, t), m.qos_report(2, t)
        assert r1.qos and r1.threshold == pytest.approx(2.0, rel=1e-9)
        assert not r2.qos and r2.threshold == 7.0  # set_thresholds replaced the monitor's QoS
        m.clear_node_tuning(1)
        assert m.info(1, t).fail_after_ns == exp_deadline(7.0)


# --- Bad inputs ---------------------------------------------------------------------------------


def test_bad_inputs_raise_and_change_nothing() -> None:
    with exp_monitor() as m:
        t = steady(m, [1], 20)
        for bad in [(4.0, 5.0), (4.0, 4.0), (math.nan, 2.0), (math.inf, 2.0), (0.0, 0.0), (-1.0, -2.0), (2e6, 1.0)]:
            with pytest.raises(phifd.InvalidArgumentError):
                m.set_thresholds(*bad)
            with pytest.raises(phifd.InvalidArgumentError):
                m.set_node_thresholds(1, *bad)
        with pytest.raises(TypeError, match="threshold"):
            m.set_thresholds("8", 4.0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="suspect_threshold"):
            m.set_node_thresholds(1, 8.0, None)  # type: ignore[arg-type]
        for q in [phifd.QosTargets(0, SECOND), phifd.QosTargets(SECOND, 0), phifd.QosTargets(-1, SECOND)]:
            with pytest.raises(phifd.InvalidArgumentError):
                m.set_qos(q)
            with pytest.raises(phifd.InvalidArgumentError):
                m.set_node_qos(1, q)
        with pytest.raises(TypeError, match="QosTargets"):
            m.set_qos({"max_detection_ns": SECOND})  # type: ignore[arg-type]
        # Unknown node: every per-node call.
        with pytest.raises(phifd.UnknownNodeError):
            m.set_node_thresholds(99, 4.0, 2.0)
        with pytest.raises(phifd.UnknownNodeError):
            m.set_node_qos(99, targets(10, 1000))
        with pytest.raises(phifd.UnknownNodeError):
            m.set_node_qos(99, None)
        with pytest.raises(phifd.UnknownNodeError):
            m.clear_node_tuning(99)
        with pytest.raises(phifd.UnknownNodeError):
            m.qos_report(99, t)
        with pytest.raises(phifd.InvalidArgumentError):
            m.clear_node_tuning(-1)
        with pytest.raises(TypeError):
            m.qos_report(1.0, t)  # type: ignore[arg-type]
        # Nothing changed.
        r = m.qos_report(1, t)
        assert not r.qos and (r.threshold, r.suspect_threshold) == (8.0, 4.0)
        assert r.deadline_ns == exp_deadline(8.0)
    # The timing rule: a threshold whose deadline falls within one heartbeat interval.
    with exp_monitor() as m:
        steady(m, [1], 5)
        with pytest.raises(phifd.InvalidArgumentError):
            m.set_thresholds(0.2, 0.1)
    m = exp_monitor()
    m.close()
    for call in (
        lambda: m.set_thresholds(4.0, 2.0),
        lambda: m.set_qos(None),
        lambda: m.set_node_thresholds(1, 4.0, 2.0),
        lambda: m.set_node_qos(1, None),
        lambda: m.clear_node_tuning(1),
        lambda: m.qos_report(1, 0),
    ):
        with pytest.raises(phifd.InvalidHandleError):
            call()
