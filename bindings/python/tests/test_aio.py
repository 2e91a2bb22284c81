"""phifd.aio: the asyncio heartbeat endpoint, with real UDP sockets on loopback.

Each test runs its own event loop (asyncio.run). Timing bounds are far above what the detector
needs (a 50 ms interval convicts after a few hundred ms of silence), so a loaded machine does not
make them fail; the assertions are on what happened, in which order, and to whom.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Set, Tuple

import phifd
import pytest
from phifd.aio import HeartbeatEndpoint

MS = 1_000_000
INTERVAL = 50 * MS


def config() -> phifd.Config:
    return phifd.Config(
        estimator=phifd.Estimator.NORMAL,
        heartbeat_interval_ns=INTERVAL,
        min_std_deviation_ns=INTERVAL // 2,
        threshold=8.0,
        suspect_threshold=3.0,
    )


def endpoint(node: int, **kw: object) -> HeartbeatEndpoint:
    kw.setdefault("interval_ns", INTERVAL)
    if "monitor" not in kw:
        kw.setdefault("config", config())
    return HeartbeatEndpoint(node, **kw)  # type: ignore[arg-type]


async def pair(a: HeartbeatEndpoint, b: HeartbeatEndpoint) -> None:
    """Starts both and makes each the other's peer."""
    await a.start()
    await b.start()
    a.add_peer(b.node_id, b.address)
    b.add_peer(a.node_id, a.address)


async def until(
    events: AsyncIterator[phifd.Event],
    match: Callable[[phifd.Event], bool],
    seconds: float,
    seen: Optional[List[phifd.Event]] = None,
) -> phifd.Event:
    """The first event that matches, within `seconds` (fails the test otherwise)."""

    async def scan() -> phifd.Event:
        async for e in events:
            if seen is not None:
                seen.append(e)
            if match(e):
                return e
        raise AssertionError("the events ended before the expected one")

    try:
        return await asyncio.wait_for(scan(), seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"no matching event within {seconds} s (seen: {seen})") from None


async def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.01)


def other_tasks() -> Set["asyncio.Task[object]"]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def test_crash_is_reported_failed() -> None:
    """Closing a peer's endpoint (its socket and timers stop: a crash as the others see it) brings
    an UNKNOWN -> ALIVE event, then FAILED timed after the last heartbeat it sent."""

    async def main() -> float:
        async with endpoint(1) as a, endpoint(2) as b:
            a.add_peer(2, b.address)
            b.add_peer(1, a.address)
            events = a.events()
            alive = await until(events, lambda e: e.node == 2 and e.to_state is phifd.State.ALIVE, 5)
            assert alive.from_state is phifd.State.UNKNOWN and alive.generation == 0
            await asyncio.sleep(0.5)  # 10 heartbeats to learn from
            crash = time.monotonic_ns()
            await b.close()  # again on leaving the block: close is idempotent
            failed = await until(
                events, lambda e: e.node == 2 and e.to_state is phifd.State.FAILED and e.time_ns > crash, 5
            )
            assert b.heartbeats_sent >= 10
            return (failed.time_ns - crash) / 1e9

    detection = asyncio.run(main())
    assert 0 < detection < 2.0, detection


def test_paused_sender_is_suspected_then_alive_again() -> None:
    """Suspending a peer's sending task for 1 s makes it SUSPECT (or FAILED) at the observer, then
    ALIVE again once it resumes; the paused node, which kept receiving, suspects no one."""

    async def main() -> None:
        async with endpoint(1) as a, endpoint(2) as b:
            a.add_peer(2, b.address)
            b.add_peer(1, a.address)
            at_a, at_b = a.events(), b.events()
            await until(at_a, lambda e: e.node == 2 and e.to_state is phifd.State.ALIVE, 5)
            await until(at_b, lambda e: e.node == 1 and e.to_state is phifd.State.ALIVE, 5)
            await asyncio.sleep(0.5)
            b.pause_sending()
            assert b.sending_paused
            paused = time.monotonic_ns()
            suspected = await until(
                at_a, lambda e: e.node == 2 and e.to_state in (phifd.State.SUSPECT, phifd.State.FAILED), 5
            )
            assert suspected.time_ns > paused
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic_ns() - paused) / 1e9))
            resumed = time.monotonic_ns()
            b.resume_sending()
            assert not b.sending_paused
            back = await until(at_a, lambda e: e.node == 2 and e.to_state is phifd.State.ALIVE, 5)
            assert back.time_ns >= resumed
            # At b (receiving all along): no transition about node 1.
            assert b.monitor.info(1).state is phifd.State.ALIVE
            leftover = b.monitor.poll()
            assert [e for e in leftover if e.node == 1] == []

    asyncio.run(main())


def test_stale_leader_is_answered_and_steps_down() -> None:
    """A leader of term 1 heartbeats a node at term 5: the node answers with a STALE_REPLY
    carrying 5, the leader adopts term 5 and steps down (its callback says who told it). A
    follower with an older term gets no reply."""

    async def main() -> None:
        told: List[Tuple[int, int]] = []
        with phifd.GenerationClock.in_memory(5) as newer:
            a = endpoint(1, leader=True, on_step_down=lambda term, by: told.append((term, by)))
            b = endpoint(2, term=newer)
            async with a, b:
                assert a.leader and a.term == 1
                a.add_peer(2, b.address)  # b does not send to a: only its reply can tell a
                await wait_for(lambda: not a.leader, 5, "the stale leader steps down")
                assert a.term == 5
                assert told == [(5, 2)]
                assert b.stale_replies_sent >= 1
                assert b.term == 5  # an older term never moves the newer one

                async with endpoint(3) as c:  # a follower at term 1
                    c.add_peer(2, b.address)
                    replies = b.stale_replies_sent
                    await wait_for(lambda: c.heartbeats_sent >= 6, 5, "c sends")
                    await asyncio.sleep(2 * INTERVAL / 1e9)
                    assert b.stale_replies_sent == replies  # a follower is not answered
                    assert b.monitor.info(3).state is phifd.State.ALIVE
                    assert c.term == 1
            assert newer.current == 5 and not newer.closed  # the clock passed in stays open

    asyncio.run(main())


def test_older_incarnation_is_refused_and_counted() -> None:
    """A heartbeat of an older incarnation than the one the monitor knows is refused: counted as
    stale, no event, the node keeps its generation."""

    async def main() -> None:
        async with endpoint(1) as a:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(phifd.Datagram.heartbeat(9, 3, 1, 1, 0).encode(), a.address)
                alive = await until(a.events(), lambda e: e.node == 9, 5)
                assert alive.to_state is phifd.State.ALIVE and alive.generation == 3
                s.sendto(phifd.Datagram.heartbeat(9, 2, 1, 2, 0).encode(), a.address)
                await wait_for(lambda: a.monitor.stats().stale_heartbeats == 1, 5, "the stale heartbeat counted")
                assert a.monitor.info(9).generation == 3
                assert [e for e in a.monitor.poll() if e.node == 9] == []

    asyncio.run(main())


def test_authenticated_endpoints_refuse_other_keys() -> None:
    """With a keyring, datagrams are signed and only those that verify count: a peer with another
    key is refused (counted as a bad MAC) and never becomes ALIVE."""

    async def main() -> None:
        with phifd.Keyring({1: b"k" * 32}) as ring, phifd.Keyring({1: b"x" * 32}) as other:
            async with endpoint(1, keyring=ring) as a, endpoint(2, keyring=ring) as b, endpoint(3, keyring=other) as c:
                b.add_peer(1, a.address)
                c.add_peer(1, a.address)
                await until(a.events(), lambda e: e.node == 2 and e.to_state is phifd.State.ALIVE, 5)
                await wait_for(lambda: a.monitor.stats().rejected_bad_mac >= 3, 5, "c's datagrams refused")
                with pytest.raises(phifd.UnknownNodeError):
                    a.monitor.info(3)

    asyncio.run(main())


def test_slow_reader_leaves_events_in_the_monitor() -> None:
    """While max_queued_events wait, the endpoint stops polling: newer transitions wait in the
    monitor's own queue, and a reader that comes back gets every event, oldest first."""

    async def main() -> None:
        with phifd.Monitor(config()) as monitor:
            now = phifd.now_ns()
            for node in range(10, 15):
                monitor.heartbeat(node, 1, now)
            async with endpoint(1, monitor=monitor, max_queued_events=2, poll_interval_ns=2 * MS) as a:
                await asyncio.sleep(0.05)  # polls: the 5 events are taken, then polling stops
                for node in range(15, 18):
                    monitor.heartbeat(node, 1, now)
                await asyncio.sleep(0.05)
                assert monitor.stats().pending_events == 3
                got = []
                async for e in a.events():
                    got.append(e.node)
                    if len(got) == 8:
                        break
                assert got == list(range(10, 18))
            assert not monitor.closed  # a monitor passed in stays the caller's

    asyncio.run(main())


def test_shutdown_leaves_no_task() -> None:
    """close() ends every iterator (after what was already polled) and leaves no task behind;
    it is idempotent and may be awaited concurrently; it frees the monitor it created."""

    async def main() -> None:
        before = other_tasks()
        a, b = endpoint(1), endpoint(2)
        await pair(a, b)
        seen: List[phifd.Event] = []

        async def consume() -> None:
            async for e in a.events():
                seen.append(e)

        consumers = [asyncio.ensure_future(consume()) for _ in range(3)]
        await wait_for(lambda: any(e.node == 2 for e in seen), 5, "node 2 ALIVE seen")
        assert len(other_tasks() - before) >= 4 + 3  # two tasks per endpoint and the consumers
        await asyncio.gather(a.close(), a.close(), b.close())
        await asyncio.wait_for(asyncio.gather(*consumers), 5)  # each `async for` ended by itself
        await a.close()
        assert other_tasks() == before
        assert a.monitor.closed and b.monitor.closed
        assert [e async for e in a.events()] == []  # after close: ends at once
        with pytest.raises(RuntimeError, match="already started or closed"):
            await a.start()

    asyncio.run(main())


def test_monitor_closed_under_the_endpoint_ends_events_with_its_error() -> None:
    async def main() -> None:
        monitor = phifd.Monitor(config())
        async with endpoint(1, monitor=monitor) as a:
            monitor.close()
            with pytest.raises(phifd.InvalidHandleError):
                await asyncio.wait_for(until(a.events(), lambda e: False, 5), 5)

    asyncio.run(main())


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"interval_ns": 0}, "`interval_ns` must be an int > 0"),
        ({"poll_interval_ns": -1}, "`poll_interval_ns` must be an int > 0"),
        ({"max_queued_events": 0}, "`max_queued_events` must be an int > 0"),
        ({"generation": -1}, "`generation` must be an int in [0, 2**64)"),
        ({"peers": {2: ("127.0.0.1", 0)}}, "the address of peer 2 must be a (host, port) tuple"),
        ({"peers": {2: "127.0.0.1:7002"}}, "the address of peer 2 must be a (host, port) tuple"),
        ({"local_addr": ("127.0.0.1", 70000)}, "`local_addr` must be a (host, port) tuple"),
        ({"config": phifd.Config(), "monitor": "m"}, "give `monitor` or `config`, not both"),
    ],
)
def test_bad_arguments_are_named(kwargs: Dict[str, Any], fragment: str) -> None:
    with pytest.raises(phifd.InvalidArgumentError) as info:
        HeartbeatEndpoint(1, **kwargs)
    assert fragment in str(info.value)


def test_bad_argument_types() -> None:
    with pytest.raises(TypeError, match="`keyring` must be a phifd.Keyring"):
        HeartbeatEndpoint(1, keyring=b"k" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`monitor` must be a phifd.Monitor"):
        HeartbeatEndpoint(1, monitor=object())  # type: ignore[arg-type]


def test_bind_failure_is_an_oserror_and_closes() -> None:
    async def main() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
            taken.bind(("127.0.0.1", 0))
            e = endpoint(1, local_addr=taken.getsockname())
            with pytest.raises(OSError):
                await e.start()
            assert e.monitor.closed

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_example_server() -> None:
    """examples/python/asyncio_server.py: it and an endpoint here see each other ALIVE; after
    SIGTERM it prints `stop` and exits 0, and the endpoint reports it FAILED."""
    script = Path(__file__).resolve().parents[3] / "examples" / "python" / "asyncio_server.py"
    if not script.exists():
        pytest.skip(f"{script} is not here (tests run outside the repository)")
    port = _free_port()

    async def main() -> List[Dict[str, Any]]:
        async with endpoint(1) as a:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(script),
                "--id",
                "2",
                "--port",
                str(port),
                "--interval-ms",
                "50",
                "--peers",
                f"1:{a.address[1]}",
                stdout=subprocess.PIPE,
                env=dict(os.environ),
            )
            try:
                a.add_peer(2, ("127.0.0.1", port))
                events = a.events()
                await until(events, lambda e: e.node == 2 and e.to_state is phifd.State.ALIVE, 20)
                lines: List[Dict[str, Any]] = []
                assert proc.stdout is not None
                while not any(line.get("ev") == "state" and line.get("peer") == 1 for line in lines):
                    raw = await asyncio.wait_for(proc.stdout.readline(), 10)
                    assert raw, f"the server ended early: {lines}"
                    lines.append(json.loads(raw))
                proc.send_signal(signal.SIGTERM)
                rest, _ = await asyncio.wait_for(proc.communicate(), 10)
                assert proc.returncode == 0
                lines += [json.loads(line) for line in rest.decode().splitlines()]
                await until(events, lambda e: e.node == 2 and e.to_state is phifd.State.FAILED, 5)
                return lines
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    lines = asyncio.run(main())
    assert lines[0]["ev"] == "start" and lines[0]["port"] == port
    alive = [line for line in lines if line["ev"] == "state" and line["peer"] == 1]
    assert alive[0]["from"] == "UNKNOWN" and alive[0]["to"] == "ALIVE"
    assert lines[-1] == {"ev": "stop", "node": 2}


def test_quick_start() -> None:
    """examples/python/asyncio_quickstart.py (the README's asyncio quick start) ends by itself:
    node 2 becomes ALIVE first and FAILED last."""
    script = Path(__file__).resolve().parents[3] / "examples" / "python" / "asyncio_quickstart.py"
    if not script.exists():
        pytest.skip(f"{script} is not here (tests run outside the repository)")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "node 2: UNKNOWN -> ALIVE", lines
    assert lines[-1] == "node 2: SUSPECT -> FAILED", lines
