"""Throughput of the Python binding: per-call and batch heartbeat and phi, in ns per operation.

Usage: python bench.py [--nodes N] [--repeat R]
Uses the installed package, or a development build with
PHIFD_LIBRARY=target/release/libphifd.so PYTHONPATH=bindings/python/src. Each figure is the best
of R runs (the least disturbed by other work on the machine); no figure is judged.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from array import array
from typing import Callable

import phifd

SECOND = 1_000_000_000


def best_ns_per_op(run: Callable[[int], int], repeat: int) -> float:
    """Runs `run(round)` `repeat` times; it returns its operation count. Best ns per operation."""
    best = float("inf")
    for r in range(repeat):
        t0 = time.perf_counter_ns()
        ops = run(r)
        best = min(best, (time.perf_counter_ns() - t0) / ops)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000, help="nodes per batch and per round (default 1000)")
    ap.add_argument("--calls", type=int, default=100_000, help="single calls per round (default 100000)")
    ap.add_argument("--repeat", type=int, default=5, help="rounds; the best is reported (default 5)")
    args = ap.parse_args()
    n, calls, repeat = args.nodes, args.calls, args.repeat

    print(f"phifd {phifd.version()} ({phifd.library_path()})")
    print(
        f"Python {platform.python_version()} {platform.python_implementation()} on {platform.machine()}; "
        f"nodes {n}, single calls {calls} per round, best of {repeat}"
    )

    with phifd.Config(heartbeat_interval_ns=SECOND) as cfg, phifd.Monitor(cfg) as m:
        nodes_list = list(range(n))
        nodes_arr = array("Q", nodes_list)
        clock = [SECOND]

        def tick() -> int:
            clock[0] += SECOND
            return clock[0]

        heartbeat, phi = m.heartbeat, m.phi

        def single_heartbeat(_: int) -> int:
            for i in range(calls // n):
                t = tick()
                for node in nodes_list:
                    heartbeat(node, 1, t)
            return (calls // n) * n

        def single_phi(_: int) -> int:
            t = clock[0] + SECOND // 2
            for i in range(calls // n):
                for node in nodes_list:
                    phi(node, t)
            return (calls // n) * n

        rounds = max(1, calls // n)

        def batch_heartbeat_list(_: int) -> int:
            for i in range(rounds):
                m.heartbeat_batch(nodes_list, 1, tick())
            return rounds * n

        times_arr = array("Q", [0]) * n
        gens_arr = array("Q", [1]) * n

        def batch_heartbeat_array(_: int) -> int:
            for i in range(rounds):
                t = tick()
                for k in range(n):
                    times_arr[k] = t
                m.heartbeat_batch(nodes_arr, gens_arr, times_arr)
            return rounds * n

        def batch_heartbeat_array_only_call(_: int) -> int:
            for i in range(rounds):
                m.heartbeat_batch(nodes_arr, gens_arr, tick())
            return rounds * n

        def batch_phi_list(_: int) -> int:
            t = clock[0] + SECOND // 2
            for i in range(rounds):
                m.phi_batch(nodes_list, t)
            return rounds * n

        out = array("d", [0.0]) * n

        def batch_phi_into(_: int) -> int:
            t = clock[0] + SECOND // 2
            for i in range(rounds):
                m.phi_batch_into(nodes_arr, out, t)
            return rounds * n

        def now(_: int) -> int:
            for i in range(calls):
                phifd.now_ns()
            return calls

        cases = [
            ("heartbeat, one call per heartbeat", single_heartbeat),
            ("phi, one call per node", single_phi),
            (f"heartbeat_batch, list of {n} nodes", batch_heartbeat_list),
            (f"heartbeat_batch, array('Q') of {n} (times filled in Python)", batch_heartbeat_array),
            (f"heartbeat_batch, array('Q') of {n}, one shared time", batch_heartbeat_array_only_call),
            (f"phi_batch, list of {n} nodes -> list", batch_phi_list),
            (f"phi_batch_into, array('Q') of {n} -> array('d')", batch_phi_into),
            ("now_ns()", now),
        ]
        width = max(len(name) for name, _ in cases)
        print(f"{'operation':<{width}}  ns/op")
        for name, fn in cases:
            ns = best_ns_per_op(fn, repeat)
            print(f"{name:<{width}}  {ns:8.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
