#!/usr/bin/env python3
"""A demo cluster node: heartbeats over UDP, phi-accrual failure detection, a simple leader.

    node.py --id 1 --port 7001 --peers 2:7002,3:7003 --state-dir /tmp/demo [--interval-ms 100]
            [--key-file PATH]

Every interval the node sends a heartbeat datagram to each peer and polls its monitor; another
thread receives datagrams. The lowest id leads with term 1; when the leader is declared FAILED,
the lowest live node takes over with a new term, and a stale leader is told the newer term and
steps down. Each event is one JSON line on stdout. SIGTERM, SIGINT or EOF on stdin end it (exit
status 0). Needs only the standard library and the ``phifd`` package.

With ``--key-file`` (a file whose raw bytes, 16 to 64 of them, are the cluster's shared key, key id
1) every datagram sent is signed (the 68-byte authenticated format) and only datagrams that verify
under the key are accepted; without it the 56-byte unauthenticated format is used, which is for a
trusted, isolated network only. Every datagram goes through ``Monitor.receive``, which counts each
rejection; view lines carry the counters (``rejected``). Only the peers named in ``--peers`` are
monitored (fixed membership): heartbeats from any other id are refused and counted.
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
KEY_ID = 1  # the id of the --key-file key in every node's keyring


def load_keyring(path: Path) -> phifd.Keyring:
    """A keyring holding the raw bytes of ``path`` as key ``KEY_ID`` (which also signs). Exits with
    a message naming the file when it cannot be read or has the wrong length."""
    try:
        key = path.read_bytes()
        return phifd.Keyring({KEY_ID: key})
    except (OSError, phifd.InvalidArgumentError) as e:
        sys.exit(f"node: --key-file {path}: {e} (make one with: head -c 32 /dev/urandom > {path})")


class Node:
    """One cluster member. Thread safety: the monitor and the clocks are thread-safe; the
    leadership fields are guarded by ``self.lock``; ``emit`` serialises output lines."""

    def __init__(
        self,
        node_id: int,
        port: int,
        peers: Dict[int, int],
        state_dir: Path,
        interval_ms: int,
        keyring: Optional[phifd.Keyring] = None,
    ) -> None:
        self.id = node_id
        self.keyring = keyring  # None: unauthenticated datagrams
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
            membership=phifd.Membership.FIXED,  # only the peers added below
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
        self.emit(
            "start",
            lang="python",
            pid=os.getpid(),
            generation=self.incarnation.current,
            term=self.term.current,
            auth=self.keyring is not None,
            t=phifd.now_ns(),
        )
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
        wire = self.encode(
            phifd.Datagram.heartbeat(
                self.id, self.incarnation.current, self.term.current, seq, phifd.now_ns(), leader=leading
            )
        )
        for addr in self.peers.values():
            self.send(wire, addr)

    def encode(self, d: phifd.Datagram) -> bytes:
        """The wire form: signed with the keyring when there is one."""
        return d.encode() if self.keyring is None else d.encode_auth(self.keyring)

    def send(self, wire: bytes, addr: Tuple[str, int]) -> None:
        try:
            self.sock.sendto(wire, addr)
        except OSError:
            pass  # a peer that is down is the failure detector's business, not an error

    def check_peers(self, tick: int) -> None:
        """Polls the monitor; on the leader's failure, takes over after ``id * 2`` intervals if
        no newer leader appeared and no lower id is alive."""
        for e in self.monitor.poll():
            self.emit(
                "state",
                peer=e.node,
                kind=e.kind.name,
                **{"from": e.from_state.name},
                to=e.to_state.name,
                phi=round(e.phi, 2),
                generation=e.generation,
                time_ns=e.time_ns,
            )
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
            {
                "peer": e.node,
                "state": e.state.name,
                "phi": round(e.phi, 2),
                "generation": e.generation,
                "mean_ms": round(e.mean_ns / 1e6, 1),
                "until_fail_ms": round(e.time_until_failure_ns / 1e6, 1),
            }
            for e in self.monitor.snapshot(now)
        ]
        st = self.monitor.stats()
        rejected = {
            "malformed": st.rejected_malformed,
            "bad_mac": st.rejected_bad_mac,
            "unknown_key": st.rejected_unknown_key,
            "replayed": st.rejected_replayed,
            "unknown_node": st.rejected_unknown_node,
            "bad_generation": st.rejected_bad_generation,
        }
        with self.lock:
            leader, role = self.leader, "leader" if self.leading else "follower"
        self.emit("view", t=now, term=self.term.current, leader=leader, role=role, peers=peers, rejected=rejected)

    # -- receiving (own thread) ------------------------------------------------------------
    def receive_loop(self) -> None:
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(256)
            except (socket.timeout, OSError):
                continue
            arrival = phifd.now_ns()  # right after the datagram arrived
            # Verify (with a key), decode and record in one call; every refusal is counted in the
            # monitor's stats. Only a heartbeat that counted as an arrival reaches the leader
            # logic: a replay, a duplicate, an older incarnation or an unknown id changes nothing.
            try:
                d, counted = self.monitor.receive(data, arrival, self.keyring)
            except phifd.PhifdError:
                continue
            if d.node not in self.peers:
                continue
            if d.kind is phifd.DatagramKind.HEARTBEAT:
                if counted:
                    self.on_heartbeat(d)
            else:
                self.on_stale_reply(d)

    def on_heartbeat(self, d: phifd.Datagram) -> None:
        """A heartbeat the monitor has verified (with a key) and counted."""
        our_term = self.term.current
        if d.leader and d.term < our_term:  # a stale leader: tell it the newer term
            self.send(
                self.encode(phifd.Datagram.stale_reply(self.id, our_term, send_ns=phifd.now_ns())), self.peers[d.node]
            )
            self.emit("stale_reply_sent", to=d.node, their_term=d.term, our_term=our_term, t=phifd.now_ns())
            return
        self.observe_term(d.term, d.node)
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
        if self.keyring is not None:
            self.keyring.close()  # wipes the key bytes


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
    ap.add_argument("--key-file", type=Path, help="shared key: the file's raw bytes (16 to 64); signs and verifies")
    args = ap.parse_args()

    keyring = load_keyring(args.key_file) if args.key_file is not None else None
    node = Node(args.id, args.port, args.peers, args.state_dir, args.interval_ms, keyring)
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
