"""phifd through ctypes against the pure-Python ``phi-accrual-failure-detector`` package (PyPI).

Usage::

    PHIFD_LIBRARY=target/release/libphifd.so PYTHONPATH=bindings/python/src \\
        build/py-bench-venv/bin/python bindings/python/bench_peers.py [--rounds R] [--quick]

(``make bench-python-peers`` does exactly this, after installing the peer into
``build/py-bench-venv``.) Prints Markdown tables:

- heartbeat and phi, microseconds per operation, for phifd with single calls
  (``Monitor.heartbeat``, ``Monitor.phi``), phifd with batch calls (``heartbeat_batch`` and
  ``phi_batch_into`` over 1,000 records, per record), and the peer, at windows of 100 and 1,000
  samples, on one hot node and on 100 nodes (the peer's detectors in a dict, one per node, as an
  application would keep them). Every implementation is timed once per round, in rotating order;
  figures are medians over rounds (``--rounds``, default 15) and ratios are taken between medians
  of this same run.
- the peer's memory per node (``tracemalloc``; phifd's memory is native and measured by the Rust
  and C benchmarks);
- correctness on the steady heartbeat of the Rust benchmark (intervals alternating 900 and
  1,100 ms): phi at the expected arrival time (1 s after the last heartbeat) and 1.3 s after it,
  after 50, 1,000 and 10,000 heartbeats, against the Akka model's exact value computed here.

Exit status: 0; 3 if the peer package cannot be imported (printed as a skip); 1 if phifd's phi
differs from the exact value. No timing is judged.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from array import array
from typing import Dict, List, Tuple

import phifd

MS = 1_000_000
PERIOD = 1_000 * MS
T0 = 1_000 * PERIOD
BATCH = 1_000


def _import_peer():
    """Imports the peer. Its wheel installs a directory named ``phi-accrual-failure-detector``
    whose modules import each other by top-level name, so that directory goes on ``sys.path``."""
    for site in sys.path[:]:
        d = os.path.join(site, "phi-accrual-failure-detector")
        if os.path.isdir(d) and d not in sys.path:
            sys.path.insert(0, d)
    for d in glob.glob(os.path.join(sys.prefix, "lib", "python*", "site-packages", "phi-accrual-failure-detector")):
        if d not in sys.path:
            sys.path.insert(0, d)
    import phi_accrual_failure_detector as peer  # type: ignore

    return peer


def jitter_table() -> List[int]:
    """Deterministic arrival jitter in [0, 40 ms), the Rust benchmark's table."""
    t, x = [], 0x9E3779B97F4A7C15
    mask = (1 << 64) - 1
    for _ in range(4096):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        t.append(x % (40 * MS))
    return t


JIT = jitter_table()


def arrival(i: int, k: int) -> int:
    """Arrival of node ``i`` in round ``k``, ns: a steady 1 s period plus the jitter."""
    return T0 + k * PERIOD + JIT[(i * 31 + k) & 4095]


def query_offset(c: int) -> int:
    """Silence of the ``c``-th phi query, ns: cycles 0.2 s .. 1.5 s."""
    return 200 * MS + ((c * 7) & 15) * 87_500_000


def make_monitor(window: int) -> phifd.Monitor:
    """phifd with the peer's settings: threshold 8, 1 s estimate, min sd 100 ms, no pause."""
    return phifd.Monitor(
        phifd.Config(window=window, heartbeat_interval_ns=PERIOD, min_std_deviation_ns=100 * MS, acceptable_pause_ns=0)
    )


class Subject:
    """One implementation with ``n`` nodes; ``k`` is the next heartbeat round."""

    name = ""

    def __init__(self, n: int, window: int) -> None:
        self.n, self.window, self.k = n, window, 0

    def hb_run(self, calls: int) -> float:
        """``calls`` heartbeats continuing the rounds; returns microseconds per heartbeat."""
        raise NotImplementedError

    def phi_run(self, calls: int) -> float:
        """``calls`` phi queries after the last round; returns microseconds per query."""
        raise NotImplementedError


class PhifdSingle(Subject):
    name = "phifd (ctypes, single calls)"

    def __init__(self, n: int, window: int, m: phifd.Monitor) -> None:
        super().__init__(n, window)
        self.m = m

    def hb_run(self, calls: int) -> float:
        hb, n, k = self.m.heartbeat, self.n, self.k
        t0 = time.perf_counter_ns()
        done = 0
        while done < calls:
            for i in range(n):
                hb(i, 1, arrival(i, k))
            k += 1
            done += n
        dt = time.perf_counter_ns() - t0
        self.k = k
        return dt / done / 1e3

    def phi_run(self, calls: int) -> float:
        phi, n = self.m.phi, self.n
        base = T0 + (self.k - 1) * PERIOD + 40 * MS
        t0 = time.perf_counter_ns()
        for c in range(calls):
            phi(c % n, base + query_offset(c))
        return (time.perf_counter_ns() - t0) / calls / 1e3


class PhifdBatch(Subject):
    name = "phifd (ctypes, batches of 1,000)"

    def __init__(self, n: int, window: int, m: phifd.Monitor) -> None:
        super().__init__(n, window)
        self.m = m
        self.out = array("d", [0.0]) * BATCH
        self.gens = array("Q", [1]) * BATCH

    def hb_run(self, calls: int) -> float:
        # Build the records (untimed: an application receives them as a buffer), then time the call.
        n, k, total = self.n, self.k, 0
        batches = []
        while total < calls:
            nodes, times = array("Q"), array("Q")
            while len(nodes) < BATCH:
                for i in range(n):
                    nodes.append(i)
                    times.append(arrival(i, k))
                k += 1
            batches.append((nodes, times))
            total += len(nodes)
        t0 = time.perf_counter_ns()
        for nodes, times in batches:
            self.m.heartbeat_batch(nodes, 1, times)
        dt = time.perf_counter_ns() - t0
        self.k = k
        return dt / total / 1e3

    def phi_run(self, calls: int) -> float:
        n = self.n
        nodes = array("Q", [c % n for c in range(BATCH)])
        base = T0 + (self.k - 1) * PERIOD + 40 * MS
        reps = max(1, calls // BATCH)
        t0 = time.perf_counter_ns()
        for r in range(reps):
            self.m.phi_batch_into(nodes, self.out, base + query_offset(r))
        return (time.perf_counter_ns() - t0) / (reps * BATCH) / 1e3


def peer_class(peer):
    """The peer's detector reading time from a settable clock (its ``_get_time`` is the
    documented hook for that: "Useful for mocking during testing"), in whole ms as it expects."""

    class Clocked(peer.PhiAccrualFailureDetector):
        now_ms = 0

        @classmethod
        def _get_time(cls) -> float:
            return Clocked.now_ms

    return Clocked


class Peer(Subject):
    name = "phi-accrual-failure-detector 0.3.3 (pure Python)"

    def __init__(self, n: int, window: int, cls) -> None:
        super().__init__(n, window)
        self.cls = cls
        self.d: Dict[int, object] = {
            i: cls(
                threshold=8.0,
                max_sample_size=window,
                min_std_deviation_ms=100,
                acceptable_heartbeat_pause_ms=0,
                first_heartbeat_estimate_ms=1000,
            )
            for i in range(n)
        }

    def hb_run(self, calls: int) -> float:
        d, n, k, cls = self.d, self.n, self.k, self.cls
        t0 = time.perf_counter_ns()
        done = 0
        while done < calls:
            for i in range(n):
                cls.now_ms = arrival(i, k) // MS
                d[i].heartbeat()
            k += 1
            done += n
        dt = time.perf_counter_ns() - t0
        self.k = k
        return dt / done / 1e3

    def phi_run(self, calls: int) -> float:
        d, n, cls = self.d, self.n, self.cls
        base = T0 + (self.k - 1) * PERIOD + 40 * MS
        t0 = time.perf_counter_ns()
        for c in range(calls):
            cls.now_ms = (base + query_offset(c)) // MS
            d[c % n].phi()
        return (time.perf_counter_ns() - t0) / calls / 1e3


def fill(subject: Subject, rounds: int) -> None:
    subject.hb_run(subject.n * rounds)


def bench(window: int, n: int, rounds: int, calls: int, cls) -> List[Tuple[str, float, float]]:
    m1, m2 = make_monitor(window), make_monitor(window)
    subjects: List[Subject] = [PhifdSingle(n, window, m1), PhifdBatch(n, window, m2), Peer(n, window, cls)]
    for s in subjects:
        fill(s, window + 2)
    for m in (m1, m2):
        m.poll(T0 + (subjects[0].k - 1) * PERIOD + 40 * MS)  # drain first-heartbeat events
        info = m.info(n - 1, T0 + (subjects[0].k - 1) * PERIOD + 40 * MS)
        if info.samples != window:
            print(f"FAIL: phifd window holds {info.samples} samples, expected {window}", file=sys.stderr)
            sys.exit(1)
    hb: List[List[float]] = [[] for _ in subjects]
    ph: List[List[float]] = [[] for _ in subjects]
    for r in range(rounds):
        for j in range(len(subjects)):
            idx = (j + r) % len(subjects)
            # The peer copies its whole window on each heartbeat: fewer calls keep the run short.
            c = calls if idx != 2 else max(n, calls // (10 if window >= 1000 else 2))
            hb[idx].append(subjects[idx].hb_run(c))
        for j in range(len(subjects)):
            idx = (j + r) % len(subjects)
            ph[idx].append(subjects[idx].phi_run(calls))
    for m in (m1, m2):
        m.close()
    return [(s.name, statistics.median(h), statistics.median(p)) for s, h, p in zip(subjects, hb, ph)]


def peer_memory(cls, window: int, n: int) -> float:
    """Bytes per node of ``n`` filled peer detectors (Python objects, tracemalloc)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    p = Peer(n, window, cls)
    fill(p, window + 2)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del p
    return (after - before) / n


def interval_ms(i: int) -> int:
    return 900 if i % 2 == 0 else 1100


def expected_akka(heartbeats: int, window: int, silence_ms: float) -> float:
    """The Akka model's exact phi: window seeded with 750 and 1,250 ms, sd floor 100 ms."""
    xs = [750, 1250] + [interval_ms(i) for i in range(heartbeats - 1)]
    xs = xs[-window:]
    n, s, q = len(xs), sum(xs), sum(x * x for x in xs)
    mean = s / n
    sd = max(math.sqrt((n * q - s * s) / (n * n)), 100.0)
    y = (silence_ms - mean) / sd
    z = y * (1.5976 + 0.070566 * y * y)
    return math.log10(1.0 + math.exp(z))


def correctness(cls) -> int:
    print("\n### Correctness: phi on a steady heartbeat (900/1,100 ms alternating), vs. the Akka model's exact value\n")
    print("| window | heartbeats | silence | exact | phifd (ctypes) | phi-accrual-failure-detector (Python) |")
    print("|---:|---:|---:|---:|---:|---:|")
    bad = 0
    for window in (100, 1000):
        for hbs in (50, 1000, 10000):
            m = make_monitor(window)
            p = cls(
                threshold=8.0,
                max_sample_size=window,
                min_std_deviation_ms=100,
                acceptable_heartbeat_pause_ms=0,
                first_heartbeat_estimate_ms=1000,
            )
            t = T0
            for i in range(hbs):
                if i > 0:
                    t += interval_ms(i - 1) * MS
                m.heartbeat(7, 1, t)
                cls.now_ms = t // MS
                p.heartbeat()
            for silence in (1000, 1300):
                want = expected_akka(hbs, window, silence)
                got = m.phi(7, t + silence * MS)
                cls.now_ms = (t + silence * MS) // MS
                peer_got = p.phi()

                def show(v: float) -> str:
                    e = abs(v - want) / want
                    return f"{v:.6f}" if e <= 1e-9 else f"**{v:.6f}** (error {e:.1e})"

                if abs(got - want) / want > 1e-9:
                    bad += 1
                print(f"| {window} | {hbs} | {silence} ms | {want:.6f} | {show(got)} | {show(peer_got)} |")
            m.close()
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15, help="timed rounds per figure (default 15)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness only")
    args = ap.parse_args()
    try:
        peer = _import_peer()
    except ImportError as e:
        print(f"SKIP: the peer package phi-accrual-failure-detector is not importable ({e})")
        return 3
    cls = peer_class(peer)
    rounds = 3 if args.quick else args.rounds
    calls = 1_000 if args.quick else 4_000
    many = 10 if args.quick else 100
    with open("/proc/loadavg") as f:
        load0 = f.read().strip()
    print(
        f"phifd {phifd.version()} via ctypes, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average at start: {load0}"
    )
    print(f"{rounds} rounds per figure, implementations timed in rotating order\n")
    print("### Python: microseconds per operation (median over rounds) and ratio to phifd single calls\n")
    print("| implementation | window | nodes | heartbeat us | phi us | heartbeat / phifd single | phi / phifd single |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    start = time.time()
    for window in (100, 1000):
        for n in (1, many):
            res = bench(window, n, rounds, calls, cls)
            ref_hb, ref_phi = res[0][1], res[0][2]
            for name, h, p in res:
                print(f"| {name} | {window} | {n} | {h:.3f} | {p:.3f} | {h / ref_hb:.2f}x | {p / ref_phi:.2f}x |")
            sys.stdout.flush()
    print("\n### Memory of the pure-Python peer (tracemalloc, full windows)\n")
    print("| window | nodes | bytes/node | bytes/sample |")
    print("|---:|---:|---:|---:|")
    for window in (100, 1000):
        b = peer_memory(cls, window, many)
        print(f"| {window} | {many} | {b:.0f} | {b / window:.1f} |")
    bad = correctness(cls)
    with open("/proc/loadavg") as f:
        print(f"\nload average at end: {f.read().strip()}; total {time.time() - start:.0f} s")
    if bad:
        print(f"FAIL: {bad} phifd phi value(s) differ from the exact value", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
