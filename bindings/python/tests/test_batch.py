"""Batch calls: same results, bit for bit, as the single calls; buffers without copying;
per-record statuses."""

from __future__ import annotations

import math
import random
import struct
from array import array

import phifd
import pytest
from conftest import SECOND


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def make(estimator: phifd.Estimator) -> phifd.Monitor:
    with phifd.Config(estimator=estimator, heartbeat_interval_ns=SECOND, window=20) as cfg:
        return phifd.Monitor(cfg)


def jittery_schedule(seed: int, nodes: int, beats: int) -> list:
    rng = random.Random(seed)
    records = []
    for node in range(nodes):
        t = rng.randrange(0, SECOND)
        for _ in range(beats):
            t += SECOND + rng.randrange(-SECOND // 5, SECOND // 5)
            records.append((node, 1, t))
    records.sort(key=lambda r: r[2])
    return records


@pytest.mark.parametrize("estimator", list(phifd.Estimator))
def test_batch_equals_single(estimator: phifd.Estimator) -> None:
    records = jittery_schedule(7, nodes=40, beats=25)
    with make(estimator) as single, make(estimator) as batch:
        for node, gen, t in records:
            single.heartbeat(node, gen, t)
        batch.heartbeat_batch([r[0] for r in records], [r[1] for r in records], [r[2] for r in records])
        end = max(r[2] for r in records)
        nodes = list(range(40))
        for dt in (0, SECOND // 3, 2 * SECOND, 4 * SECOND):
            got = batch.phi_batch(nodes, end + dt)
            want = [single.phi(n, end + dt) for n in nodes]
            assert [bits(x) for x in got] == [bits(x) for x in want]
            # both monitors learned the same history
            assert got == single.phi_batch(nodes, end + dt)
        assert any(x > 0 for x in got)
        for n in nodes:
            a, b = single.info(n, end), batch.info(n, end)
            assert (a.samples, bits(a.mean_ns), bits(a.sd_ns)) == (b.samples, bits(b.mean_ns), bits(b.sd_ns))
        assert single.poll(end) == batch.poll(end)


def test_buffers_without_copy_and_scalars() -> None:
    with phifd.Monitor() as m:
        nodes = array("Q", range(100))
        times = array("Q", [5 * SECOND] * 100)
        m.heartbeat_batch(nodes, 1, times)
        m.heartbeat_batch(memoryview(nodes), array("Q", [1] * 100), 6 * SECOND)
        assert len(m) == 100
        out = array("d", [-1.0] * 101)
        m.phi_batch_into(nodes, out, 7 * SECOND)
        assert out[100] == -1.0  # only len(nodes) entries written
        assert list(out[:100]) == m.phi_batch(list(range(100)), 7 * SECOND)
        assert all(bits(out[i]) == bits(m.phi(i, 7 * SECOND)) for i in range(100))
        # read-only buffers are copied
        assert m.phi_batch(memoryview(bytes(nodes)).cast("Q"), 7 * SECOND) == list(out[:100])
        # a buffer of the wrong item type is refused
        with pytest.raises(TypeError):
            m.phi_batch(array("i", [1, 2]), 0)
        with pytest.raises(TypeError):
            m.phi_batch_into(nodes, array("f", [0.0] * 100), 0)
        with pytest.raises(phifd.InvalidArgumentError, match="needed"):
            m.phi_batch_into(nodes, array("d", [0.0] * 99), 0)


def test_empty_batches() -> None:
    with phifd.Monitor() as m:
        m.heartbeat_batch([], [], [])
        m.heartbeat_batch([], 1, 0)
        assert m.phi_batch([], 0) == []
        assert len(m) == 0


def test_heartbeat_batch_statuses() -> None:
    with phifd.Monitor() as m:
        m.heartbeat(2, 5, 0)
        with pytest.raises(phifd.StaleGenerationError) as info:
            m.heartbeat_batch([1, 2, 3, 2], [1, 4, 1, 3], [SECOND] * 4)
        e = info.value
        assert e.status is phifd.Status.STALE_GENERATION
        assert e.statuses == [
            phifd.Status.OK,
            phifd.Status.STALE_GENERATION,
            phifd.Status.OK,
            phifd.Status.STALE_GENERATION,
        ]
        assert "1" in e.message  # names the first failing index
        # every record was processed despite the failures
        assert len(m) == 3
        assert m.stats().stale_heartbeats == 2


def test_phi_batch_unknown_nodes() -> None:
    with phifd.Monitor() as m:
        m.heartbeat(1, 1, 0)
        with pytest.raises(phifd.UnknownNodeError) as info:
            m.phi_batch([1, 99, 1], SECOND)
        assert info.value.statuses == [phifd.Status.OK, phifd.Status.UNKNOWN_NODE, phifd.Status.OK]
        assert "1" in info.value.message
        got = m.phi_batch([1, 99, 1], SECOND, strict=False)
        assert math.isnan(got[1])
        assert got[0] == got[2] == m.phi(1, SECOND)


def test_batch_argument_errors() -> None:
    with phifd.Monitor() as m:
        with pytest.raises(phifd.InvalidArgumentError, match="lengths differ"):
            m.heartbeat_batch([1, 2], [1], [0, 0])
        with pytest.raises(phifd.InvalidArgumentError, match="outside"):
            m.heartbeat_batch([1, -2], 1, 0)
        with pytest.raises(phifd.InvalidArgumentError):
            m.heartbeat_batch([1], -1, 0)
        with pytest.raises(TypeError):
            m.heartbeat_batch([1, "x"], 1, 0)  # type: ignore[list-item]
        with pytest.raises(TypeError):
            m.phi_batch(5, 0)  # type: ignore[arg-type]
        assert len(m) == 0
