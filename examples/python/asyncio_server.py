#!/usr/bin/env python3
"""An asyncio server that watches its peers with phifd: UDP heartbeats, one JSON line per event.

    asyncio_server.py --id 1 --port 7001 --peers 2:7002,3:7003 [--host 127.0.0.1]
                      [--interval-ms 100] [--key-file PATH] [--state-dir DIR] [--leader]

Every interval the server sends a heartbeat datagram to each peer (``phifd.aio.HeartbeatEndpoint``)
and polls its monitor; each transition of a peer (ALIVE, SUSPECT, FAILED, a restart) is printed
as a JSON line, and every 5 s a ``view`` line gives each peer's phi and time left before it would
be declared FAILED. A node started with ``--leader`` that learns a newer term from a peer steps
down (a ``step_down`` line). With ``--state-dir`` the incarnation comes from a durable generation
clock there, so peers see a restart as one (RESTARTED); without it, it is 1. ``--key-file`` (the
file's raw bytes, 16 to 64 of them, are the cluster key, id 1) signs every datagram and accepts
only datagrams that verify; without it the unauthenticated format is used, for a trusted,
isolated network only. SIGTERM or SIGINT ends it cleanly (exit status 0). Runs on the standard
library and the ``phifd`` package; run several on loopback to watch each other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, Optional, Tuple

import phifd
from phifd.aio import HeartbeatEndpoint

KEY_ID = 1


def emit(ev: str, **fields: object) -> None:
    print(json.dumps({"ev": ev, **fields}), flush=True)


def parse_peers(text: str) -> Dict[int, int]:
    """``"2:7002,3:7003"`` -> ``{2: 7002, 3: 7003}``."""
    peers = {}
    for item in filter(None, text.split(",")):
        node, sep, port = item.partition(":")
        if not sep or not node.isdigit() or not port.isdigit():
            raise argparse.ArgumentTypeError(f"{item!r}: expected ID:PORT, e.g. 2:7002")
        peers[int(node)] = int(port)
    return peers


async def serve(args: argparse.Namespace, keyring: Optional[phifd.Keyring], generation: int) -> None:
    interval_ns = args.interval_ms * 1_000_000
    config = phifd.Config(
        estimator=phifd.Estimator.NORMAL, heartbeat_interval_ns=interval_ns, threshold=8.0, suspect_threshold=3.0
    )
    peers: Dict[int, Tuple[str, int]] = {node: (args.host, port) for node, port in args.peers.items()}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def stepped_down(term: int, told_by: int) -> None:
        emit("step_down", node=args.id, term=term, told_by=told_by)

    async with HeartbeatEndpoint(
        args.id,
        peers,
        config=config,
        generation=generation,
        keyring=keyring,
        interval_ns=interval_ns,
        local_addr=(args.host, args.port),
        leader=args.leader,
        on_step_down=stepped_down,
    ) as endpoint:
        emit(
            "start",
            node=args.id,
            port=endpoint.address[1],
            generation=generation,
            term=endpoint.term,
            auth=keyring is not None,
        )

        async def print_events() -> None:
            async for e in endpoint.events():
                emit(
                    "state",
                    node=args.id,
                    peer=e.node,
                    kind=e.kind.name,
                    to=e.to_state.name,
                    **{"from": e.from_state.name},
                    phi=round(e.phi, 2),
                    generation=e.generation,
                    time_ns=e.time_ns,
                )

        async def print_views() -> None:
            while True:
                await asyncio.sleep(5)
                emit(
                    "view",
                    node=args.id,
                    term=endpoint.term,
                    leader=endpoint.leader,
                    peers=[
                        {
                            "peer": s.node,
                            "state": s.state.name,
                            "phi": round(s.phi, 2),
                            "until_fail_ms": round(s.time_until_failure_ns / 1e6, 1),
                        }
                        for s in endpoint.monitor.snapshot()
                    ],
                )

        tasks = [asyncio.ensure_future(print_events()), asyncio.ensure_future(print_views())]
        await stop.wait()
        tasks[1].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)  # the event printer ends with the endpoint
    emit("stop", node=args.id)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--id", type=int, required=True, help="this node's id")
    ap.add_argument("--port", type=int, required=True, help="UDP port to bind (0: any free one)")
    ap.add_argument("--peers", type=parse_peers, default={}, help="ID:PORT,ID:PORT,... (on --host)")
    ap.add_argument("--host", default="127.0.0.1", help="address to bind and of the peers")
    ap.add_argument("--interval-ms", type=int, default=100, help="heartbeat interval, ms")
    ap.add_argument("--key-file", type=Path, help="shared key: the file's raw bytes (16 to 64)")
    ap.add_argument("--state-dir", type=Path, help="keep the incarnation in DIR (restarts are seen)")
    ap.add_argument("--leader", action="store_true", help="start as the leader of term 1")
    args = ap.parse_args()
    if args.interval_ms <= 0:
        ap.error("--interval-ms must be > 0")
    with ExitStack() as stack:
        keyring = None
        if args.key_file is not None:
            try:
                keyring = stack.enter_context(phifd.Keyring({KEY_ID: args.key_file.read_bytes()}))
            except (OSError, phifd.InvalidArgumentError) as e:
                ap.error(f"--key-file {args.key_file}: {e} (make one with: head -c 32 /dev/urandom > FILE)")
        generation = 1
        if args.state_dir is not None:
            clock = stack.enter_context(phifd.GenerationClock.open(args.state_dir / f"node-{args.id}.incarnation"))
            generation = clock.current
        try:
            asyncio.run(serve(args, keyring, generation))
        except OSError as e:
            ap.error(f"cannot bind {args.host}:{args.port}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
