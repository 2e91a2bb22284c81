#!/usr/bin/env python3
"""A demo cluster node: heartbeats over UDP, phi-accrual failure detection, a simple leader.

    node.py --id 1 --port 7001 --peers 2:7002,3:7003 --state-dir /tmp/demo [--interval-ms 100]

Every interval the node sends a heartbeat datagram to each peer and polls its monitor; another
thread receives datagrams. The lowest id leads with term 1; when the leader is declared FAILED,
the lowest live node takes over with a new term, and a stale leader is told the newer term and
steps down. Each event is one JSON line on stdout. SIGTERM, SIGINT or EOF on stdin end it (exit
status 0). Needs only the standard library and the ``phifd`` package.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

import phifd

HOST = "127.0.0.1"


class Node:
    """One cluster member. Thread safety: the monitor and the clocks are thread-safe; the
    leadership fields are guarded by ``self.lock``; ``emit`` serialises output lines."""

    def __init__(self, node_id: int, port: int, peers: Dict[int, int], state_dir: Path, interval_ms: int) -> None:
        self.id = node_id
        self.peers: Dict[int, Tuple[str, int]] = {p: (HOST, port) for p, port in peers.items()}
        self.interval = interval_ms / 1000
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.out_lock = threading.Lock()
        # A new incarnation on every start (durable); the term starts at 1 and moves only by
        # observe() and advance().
        self.incarnation = phifd.GenerationClock.open(state_dir / f"node-{node_id}.incarnation")
        self.term = phifd.GenerationClock.in_memory(1)
        config = phifd.Config(
            estimator=phifd.Estimator.NORMAL,
            heartbeat_interval_ns=interval_ms * 1_000_000,
            threshold=8.0,
            suspect_threshold=3.0,
        )
        with config:
            self.monitor = phifd.Monitor(config)
        now = phifd.now_ns()
        for peer in self.peers:
            self.monitor.add_node(peer, 0, now)
        self.leader: Optional[int] = min([node_id, *self.peers])  # the lowest id leads term 1
        self.leader_term = 1
        self.highest_leader_term = 1  # highest term heard from a node claiming to lead
        self.election_tick: Optional[int] = None  # when to try to take over, in ticks
        self.malformed = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, port))
        self.sock.settimeout(0.2)  # lets the receive thread notice `stop`

    # -- output ---------------------------------------------------------------------------
    def emit(self, ev: str, **fields: object) -> None:
        """Prints one JSON line and flushes it."""
        line = json.dumps({"ev": ev, "node": self.id, **fields})
        with self.out_lock:
            print(line, flush=True)

    @property
    def leading(self) -> bool:
        return self.leader == self.id

    # -- sending and ticking (main thread) -------------------------------------------------
    def run(self) -> None:
        """Runs until ``stop`` is set: starts the receive thread, then ticks every interval."""
        self.emit("start", lang="python", pid=os.getpid(), generation=self.incarnation.current,
                  term=self.term.current, t=phifd.now_ns())
        receiver = threading.Thread(target=self.receive_loop, name="receive", daemon=True)
        receiver.start()
        tick, deadline = 0, phifd.now_ns() / 1e9
        while not self.stop.is_set():
            tick += 1
            self.send_heartbeats(tick)
            self.check_peers(tick)
            if tick % 5 == 0:
                self.print_view()
            deadline += self.interval
            self.stop.wait(max(0.0, deadline - phifd.now_ns() / 1e9))
        receiver.join()

    def send_heartbeats(self, seq: int) -> None:
        with self.lock:
            leading = self.leading
        wire = phifd.Datagram.heartbeat(self.id, self.incarnation.current, self.term.current, seq,
                                        phifd.now_ns(), leader=leading).encode()
        for addr in self.peers.values():
            self.send(wire, addr)

    def send(self, wire: bytes, addr: Tuple[str, int]) -> None:
        try:
            self.sock.sendto(wire, addr)
        except OSError:
            pass  # a peer that is down is the failure detector's business, not an error

    def check_peers(self, tick: int) -> None:
        """Polls the monitor; on the leader's failure, takes over after ``id * 2`` intervals if
        no newer leader appeared and no lower id is alive."""
        for e in self.monitor.poll():
            self.emit("state", peer=e.node, kind=e.kind.name, **{"from": e.from_state.name},
                      to=e.to_state.name, phi=round(e.phi, 2), generation=e.generation, time_ns=e.time_ns)
            with self.lock:
                if e.node == self.leader and e.to_state is phifd.State.FAILED:
                    self.leader = None
                    self.election_tick = tick + 2 * self.id
        with self.lock:
            if self.election_tick is None or tick < self.election_tick:
                return
            self.election_tick = None
            if self.highest_leader_term > self.leader_term:
                return  # someone already took over
            alive = [e.node for e in self.monitor.snapshot() if e.state is phifd.State.ALIVE]
            if all(self.id < peer for peer in alive):
                self.leader_term = self.highest_leader_term = self.term.advance()
                self.leader = self.id
                self.emit("leader", term=self.leader_term, t=phifd.now_ns())

    def print_view(self) -> None:
        now = phifd.now_ns()
        peers = [
            {"peer": e.node, "state": e.state.name, "phi": round(e.phi, 2), "generation": e.generation,
             "mean_ms": round(e.mean_ns / 1e6, 1), "until_fail_ms": round(e.time_until_failure_ns / 1e6, 1)}
            for e in self.monitor.snapshot(now)
        ]
        with self.lock:
            leader, role = self.leader, "leader" if self.leading else "follower"
        self.emit("view", t=now, term=self.term.current, leader=leader, role=role, peers=peers)

    # -- receiving (own thread) ------------------------------------------------------------
    def receive_loop(self) -> None:
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(256)
            except (socket.timeout, OSError):
                continue
            arrival = phifd.now_ns()  # right after the datagram arrived
            try:
                d = phifd.Datagram.decode(data)
            except phifd.MalformedError:
                self.malformed += 1
                continue
            if d.node not in self.peers:
                continue
            if d.kind is phifd.DatagramKind.HEARTBEAT:
                self.on_heartbeat(d, arrival)
            else:
                self.on_stale_reply(d)

    def on_heartbeat(self, d: phifd.Datagram, arrival: int) -> None:
        our_term = self.term.current
        if d.leader and d.term < our_term:  # a stale leader: tell it the newer term
            self.send(phifd.Datagram.stale_reply(self.id, our_term, send_ns=phifd.now_ns()).encode(), self.peers[d.node])
            self.emit("stale_reply_sent", to=d.node, their_term=d.term, our_term=our_term, t=phifd.now_ns())
            return
        self.observe_term(d.term, d.node)
        try:
            self.monitor.heartbeat_version(d.node, d.generation, d.version, arrival)
        except phifd.StaleGenerationError:
            pass  # a datagram from before the peer's restart
        if d.leader:
            with self.lock:
                self.highest_leader_term = max(self.highest_leader_term, d.term)
                changed = self.leader != d.node
                self.leader, self.leader_term = d.node, d.term
                self.election_tick = None
            if changed:
                self.emit("follow", leader=d.node, term=d.term, t=phifd.now_ns())

    def on_stale_reply(self, d: phifd.Datagram) -> None:
        self.observe_term(d.term, d.node)

    def observe_term(self, term: int, sender: int) -> None:
        """Adopts a newer term; a leader that learns one steps down."""
        with self.lock:
            step_down = self.term.observe(term) and self.leading
            if step_down:
                self.leader = None
        if step_down:
            self.emit("step_down", term=self.term.current, told_by=sender, t=phifd.now_ns())

    def close(self) -> None:
        self.sock.close()
        self.monitor.close()
        self.term.close()
        self.incarnation.close()


def parse_peers(text: str) -> Dict[int, int]:
    """``"2:7002,3:7003"`` -> ``{2: 7002, 3: 7003}``."""
    peers = {}
    for item in filter(None, text.split(",")):
        node_id, _, port = item.partition(":")
        peers[int(node_id)] = int(port)
    return peers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--id", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--peers", type=parse_peers, required=True, help="ID:PORT,ID:PORT,...")
    ap.add_argument("--state-dir", type=Path, required=True)
    ap.add_argument("--interval-ms", type=int, default=100)
    args = ap.parse_args()

    node = Node(args.id, args.port, args.peers, args.state_dir, args.interval_ms)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: node.stop.set())

    def watch_stdin() -> None:  # the orchestrator holds our stdin: EOF means it is gone
        # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the exit.
        while os.read(sys.stdin.fileno(), 4096):
            pass
        node.stop.set()

    threading.Thread(target=watch_stdin, name="stdin", daemon=True).start()
    try:
        node.run()
    finally:
        node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
