"""Several Python threads on one monitor and one clock: no lost updates, no crash when one
thread closes while the others are calling."""

from __future__ import annotations

import threading
from typing import Callable, List

import phifd
from conftest import SECOND

THREADS = 6


def run_threads(target: Callable[[int], None], n: int = THREADS) -> List[BaseException]:
    errors: List[BaseException] = []
    start = threading.Barrier(n)

    def wrap(i: int) -> None:
        try:
            start.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_heartbeats_and_reads() -> None:
    beats = 300
    with phifd.Config(window=10_000, heartbeat_interval_ns=SECOND) as cfg, phifd.Monitor(cfg) as m:

        def work(i: int) -> None:
            for k in range(beats):
                node = i * 1000 + k % 5  # five nodes per thread
                m.heartbeat(node, 1, (k // 5 + 1) * SECOND)
                m.phi(node, (k // 5 + 1) * SECOND)
                if k % 50 == 0:
                    m.poll((k // 5 + 1) * SECOND)
                    m.heartbeat_batch([i * 1000 + 999], 1, (k + 1) * SECOND)
                    m.phi_batch([node], (k // 5 + 1) * SECOND)
                    m.stats()

        assert run_threads(work) == []
        assert len(m) == THREADS * 6
        for i in range(THREADS):
            # 60 steady heartbeats 1 s apart: 2 seed samples + 59 learned intervals of 1 s
            info = m.info(i * 1000, 60 * SECOND)
            assert info.samples == 2 + 59
            assert info.last_arrival_ns == 60 * SECOND


def test_close_while_other_threads_call() -> None:
    for _round in range(5):
        m = phifd.Monitor()
        m.heartbeat(1, 1, 0)
        closed = threading.Event()
        outcomes: List[str] = []
        lock = threading.Lock()

        def work(i: int) -> None:
            if i == 0:
                for _ in range(200):
                    m.phi(1, SECOND)
                m.close()
                closed.set()
                return
            ok = 0
            while True:
                try:
                    m.heartbeat(1, 1, SECOND)
                    m.phi_batch([1, 1, 1], SECOND)
                    m.poll(SECOND)
                    ok += 1
                except phifd.InvalidHandleError as e:
                    assert "closed" in e.message
                    with lock:
                        outcomes.append(f"closed after {ok}")
                    return
                if ok > 1_000_000:
                    raise AssertionError("close never took effect")

        assert run_threads(work, 4) == []
        assert closed.is_set() and m.closed
        assert len(outcomes) == 3


def test_concurrent_close_calls() -> None:
    m = phifd.Monitor()
    assert run_threads(lambda i: m.close()) == []
    assert m.closed


def test_generation_clock_from_threads() -> None:
    with phifd.GenerationClock.in_memory(0) as clock:
        seen: List[int] = []
        lock = threading.Lock()

        def work(i: int) -> None:
            mine = [clock.advance() for _ in range(100)]
            with lock:
                seen.extend(mine)

        assert run_threads(work) == []
        # never the same generation twice
        assert sorted(seen) == list(range(1, THREADS * 100 + 1))
        assert clock.current == THREADS * 100
