"""Replays every scenario in tests/vectors/*.json through the Python API; checks each expected
value and reproduces tests/vectors/phi_bits.txt bit for bit (the binding adds nothing to the
numbers). The format is documented at the top of tests/vectors.rs."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, Dict, List

import phifd
import pytest
from conftest import repo_root

VECTORS = sorted((repo_root() / "tests" / "vectors").glob("*.json"))


def f64_bits(x: float) -> str:
    """The IEEE-754 bits of ``x`` as 16 hex digits (most significant first), as in phi_bits.txt."""
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def close(got: float, want: float, tol: float) -> bool:
    """The vectors' tolerance rule (tests/vectors.rs `close`): absolute, or relative for small
    positive tolerances."""
    if abs(got - want) <= tol:
        return True
    return want != 0.0 and 0.0 < tol < 1e-3 and abs((got - want) / want) <= tol


def make_config(spec: Dict[str, Any]) -> phifd.Config:
    cfg = phifd.Config()
    for key, value in spec.items():
        if key == "estimator":
            cfg.estimator = {
                "akka": phifd.Estimator.AKKA,
                "normal": phifd.Estimator.NORMAL,
                "exponential": phifd.Estimator.EXPONENTIAL,
            }[value]
        elif key in ("threshold", "suspect_threshold"):
            setattr(cfg, key, float(value))
        elif key in (
            "window",
            "heartbeat_interval_ns",
            "min_std_deviation_ns",
            "acceptable_pause_ns",
            "max_interval_ns",
            "round_trip_ns",
            "first_heartbeat_timeout_ns",
            "recovery_heartbeats",
        ):
            assert isinstance(value, int) and value >= 0, f"{key} must be an unsigned integer"
            setattr(cfg, key, value)
        else:
            raise AssertionError(f"unknown config key {key}")
    return cfg


def status_of(fn: Any) -> tuple:
    """Runs ``fn`` and returns (status name, result or None)."""
    try:
        return "PHIFD_OK", fn()
    except phifd.PhifdError as e:
        return phifd.status_name(int(e.status)), None


def replay(path: Path, bits: List[str]) -> int:
    """Replays one vector; appends ``name step hexbits`` for every successful phi. Returns the
    number of checks made."""
    v = json.loads(path.read_text())
    name = v.get("name", "?")
    checks = 0
    with make_config(v.get("config") or {}) as cfg, phifd.Monitor(cfg) as m:
        for i, step in enumerate(v["steps"]):
            ctx = f"{name} step {i} ({step})"
            node = step.get("node", 0)
            t = step.get("time_ns", 0)
            want_status = step.get("expect_status", "PHIFD_OK")
            op = step["op"]
            if op == "heartbeat":
                st, _ = status_of(lambda: m.heartbeat(node, step["generation"], t))
            elif op == "add_node":
                st, _ = status_of(lambda: m.add_node(node, step["generation"], t))
            elif op == "remove":
                st, _ = status_of(lambda: m.remove(node))
            elif op == "phi":
                st, p = status_of(lambda: m.phi(node, t))
                if p is not None:
                    bits.append(f"{name} {i} {f64_bits(p)}")
                    if "expect_phi" in step:
                        tol = step.get("tolerance", 1e-9)
                        assert close(p, step["expect_phi"], tol), f"{ctx}: phi {p}"
                        checks += 1
            elif op == "time_until_phi":
                st, ns = status_of(lambda: m.time_until_phi(node, float(step["phi"])))
                if ns is not None and "expect_ns" in step:
                    tol = step.get("tolerance_ns", 1.0)
                    assert abs(ns - step["expect_ns"]) <= tol, f"{ctx}: {ns} ns"
                    # the timedelta helper agrees to the microsecond
                    td = m.time_until_phi_timedelta(node, float(step["phi"]))
                    assert abs(td.total_seconds() * 1e9 - ns) <= 500.0, ctx
                    checks += 1
            elif op == "info":
                st, info = status_of(lambda: m.info(node, t))
                if info is not None:
                    tol = step.get("tolerance", 1e-9)
                    for key, want in step["expect"].items():
                        if key == "state":
                            assert info.state.name == want, ctx
                        elif key == "generation":
                            assert info.generation == want, ctx
                        elif key == "samples":
                            assert info.samples == want, ctx
                        elif key == "mean_ns":
                            assert close(info.mean_ns, want, tol), f"{ctx}: mean {info.mean_ns}"
                        elif key == "sd_ns":
                            assert close(info.sd_ns, want, tol), f"{ctx}: sd {info.sd_ns}"
                        else:
                            raise AssertionError(f"{ctx}: unknown info field {key}")
                        checks += 1
            elif op == "poll":
                st = "PHIFD_OK"
                got = m.poll(t)
                want_events = step["expect_events"]
                assert len(got) == len(want_events), f"{ctx}: got {got}"
                for g, w in zip(got, want_events):
                    assert g.node == w["node"], ctx
                    assert g.kind.name == w["kind"], ctx
                    assert g.from_state.name == w["from"], ctx
                    assert g.to_state.name == w["to"], ctx
                    if "time_ns" in w:
                        assert g.time_ns == w["time_ns"], ctx
                    if "generation" in w:
                        assert g.generation == w["generation"], ctx
                    if "phi" in w:
                        assert close(g.phi, w["phi"], 1e-6), f"{ctx}: event phi {g.phi}"
                    checks += 1
            else:
                raise AssertionError(f"{ctx}: unknown op {op}")
            assert st == want_status, ctx
            checks += 1
    return checks


def test_vectors_are_present() -> None:
    assert len(VECTORS) >= 6, f"expected the scenario vectors, found {len(VECTORS)}"


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    assert replay(path, []) > 0


def test_phi_bits_match_golden_file() -> None:
    bits: List[str] = []
    for path in VECTORS:
        replay(path, bits)
    golden = (repo_root() / "tests" / "vectors" / "phi_bits.txt").read_text().splitlines()
    golden = [line for line in golden if line.strip()]
    assert len(golden) >= 10
    assert bits == golden


def test_bits_helper_against_known_values() -> None:
    # Hand-known IEEE-754 encodings, so the comparison above cannot pass by a wrong helper.
    assert f64_bits(1.0) == "3ff0000000000000"
    assert f64_bits(0.0) == "0000000000000000"
    assert f64_bits(-2.0) == "c000000000000000"
    assert f64_bits(math.inf) == "7ff0000000000000"
