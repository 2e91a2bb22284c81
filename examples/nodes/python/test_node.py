"""Runs three demo nodes on loopback and checks their JSON lines: all see each other ALIVE with
node 1 leading term 1; after node 1 is killed (SIGKILL) the others report it FAILED, node 2
takes over with term 2 and node 3 follows it; SIGTERM and stdin EOF end a node with status 0.
With a shared key (--key-file) the same cluster forms, and forged datagrams (unsigned, wrong key,
unknown key id) and an authentic but old heartbeat sent to one node are refused and counted.

Needs the ``phifd`` package importable (installed, or PYTHONPATH and PHIFD_LIBRARY set).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

NODE = Path(__file__).resolve().with_name("node.py")
sys.path.insert(0, str(NODE.parents[2] / "demo"))
import forge  # noqa: E402  (examples/demo/forge.py: datagrams built without the library)

IDS = (1, 2, 3)
KEYS = {
    "start": {"ev", "node", "lang", "pid", "generation", "term", "auth", "t"},
    "state": {"ev", "node", "peer", "kind", "from", "to", "phi", "generation", "time_ns"},
    "view": {"ev", "node", "t", "term", "leader", "role", "peers", "rejected"},
    "leader": {"ev", "node", "term", "t"},
    "follow": {"ev", "node", "leader", "term", "t"},
    "stale_reply_sent": {"ev", "node", "to", "their_term", "our_term", "t"},
    "step_down": {"ev", "node", "term", "told_by", "t"},
}
PEER_KEYS = {"peer", "state", "phi", "generation", "mean_ms", "until_fail_ms"}
REJECTED_KEYS = {"malformed", "bad_mac", "unknown_key", "replayed", "unknown_node", "bad_generation"}
TIMEOUT = 10.0  # a safety net against hanging, not a timing assertion


def free_udp_ports(n: int) -> List[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def node_cmd(node: int, port: int, peers: str, state_dir: Path, *extra: str) -> List[str]:
    """The command line of one demo node: id, UDP port, ``id:port`` peers, state dir, then ``extra``."""
    return [
        sys.executable,
        str(NODE),
        "--id",
        str(node),
        "--port",
        str(port),
        "--peers",
        peers,
        "--state-dir",
        str(state_dir),
        *extra,
    ]


class Cluster:
    """The node processes and every JSON line they printed, in arrival order."""

    def __init__(self, state_dir: Path, key_file: Optional[Path] = None) -> None:
        ports = dict(zip(IDS, free_udp_ports(len(IDS))))
        self.ports = ports
        self.procs: Dict[int, subprocess.Popen] = {}
        self.lines: "queue.Queue[dict]" = queue.Queue()
        self.seen: List[dict] = []
        for i in IDS:
            peers = ",".join(f"{p}:{ports[p]}" for p in IDS if p != i)
            cmd = node_cmd(i, ports[i], peers, state_dir, "--interval-ms", "100")
            if key_file is not None:
                cmd += ["--key-file", str(key_file)]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs[i] = proc
            threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.put(json.loads(line))

    def wait_for(self, what: str, pred: Callable[[dict], bool], since: int = 0) -> dict:
        """The first line that satisfies ``pred``, among those seen from index ``since`` on and
        those still to arrive."""
        for line in self.seen[since:]:
            if pred(line):
                return line
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"no line {what} within {TIMEOUT} s; got:\n" + "\n".join(map(json.dumps, self.seen[-30:]))
                ) from None
            assert set(line) == KEYS[line["ev"]], line
            if line["ev"] == "view":
                assert set(line["rejected"]) == REJECTED_KEYS, line
            self.seen.append(line)
            if pred(line):
                return line

    def kill_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
            p.wait()


def all_alive(node: int, leader: int, term: int) -> Callable[[dict], bool]:
    def pred(line: dict) -> bool:
        return (
            line["ev"] == "view"
            and line["node"] == node
            and line["leader"] == leader
            and line["term"] == term
            and [p["peer"] for p in line["peers"]] == [p for p in IDS if p != node]
            and all(p["state"] == "ALIVE" for p in line["peers"])
        )

    return pred


def test_three_nodes_elect_detect_and_take_over(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path)
    try:
        for i in IDS:
            start = cluster.wait_for(f"start of {i}", lambda l, i=i: l["ev"] == "start" and l["node"] == i)
            assert start["lang"] == "python" and start["pid"] == cluster.procs[i].pid
            assert start["generation"] == 1 and start["term"] == 1  # a fresh state dir
            assert start["auth"] is False
            view = cluster.wait_for(f"view of {i} with all ALIVE", all_alive(i, leader=1, term=1))
            assert view["role"] == ("leader" if i == 1 else "follower")
            assert all(set(p) == PEER_KEYS for p in view["peers"])
        assert (tmp_path / "node-1.incarnation").is_file()

        cluster.procs[1].send_signal(signal.SIGKILL)
        killed_at = len(cluster.seen)
        for i in (2, 3):
            failed = cluster.wait_for(
                f"node {i} reporting 1 FAILED",
                lambda l, i=i: l["ev"] == "state" and l["node"] == i and l["peer"] == 1 and l["to"] == "FAILED",
                killed_at,
            )
            assert failed["kind"] == "STATE_CHANGED" and failed["phi"] >= 8.0
        # The lowest live node takes over with a new term, the other follows it.
        cluster.wait_for("node 2 leading", lambda l: l["ev"] == "leader" and l["node"] == 2 and l["term"] == 2)
        cluster.wait_for(
            "node 3 following 2",
            lambda l: l["ev"] == "follow" and l["node"] == 3 and l["leader"] == 2 and l["term"] == 2,
        )
        view = cluster.wait_for(
            "view of 3 after the takeover", lambda l: l["ev"] == "view" and l["node"] == 3 and l["leader"] == 2
        )
        assert {p["peer"]: p["state"] for p in view["peers"]} == {1: "FAILED", 2: "ALIVE"}
        assert not any(l["ev"] == "leader" and l["node"] == 3 for l in cluster.seen)

        # SIGTERM ends a node with status 0; so does EOF on its stdin.
        cluster.procs[2].send_signal(signal.SIGTERM)
        assert cluster.procs[2].wait(timeout=TIMEOUT) == 0
        cluster.procs[3].stdin.close()
        assert cluster.procs[3].wait(timeout=TIMEOUT) == 0
    finally:
        cluster.kill_all()


def test_restart_is_a_new_incarnation(tmp_path: Path) -> None:
    """The incarnation is durable: a second start in the same state dir has generation 2."""
    ports = free_udp_ports(2)
    for want in (1, 2):
        proc: Optional[subprocess.Popen] = None
        try:
            proc = subprocess.Popen(
                node_cmd(1, ports[0], f"2:{ports[1]}", tmp_path),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            start = json.loads(proc.stdout.readline())
            assert start["ev"] == "start" and start["generation"] == want
            proc.stdin.close()
            assert proc.wait(timeout=TIMEOUT) == 0
        finally:
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_with_a_key_forged_datagrams_are_refused_and_counted(tmp_path: Path) -> None:
    key = os.urandom(32)
    key_file = tmp_path / "cluster.key"
    key_file.write_bytes(key)
    cluster = Cluster(tmp_path, key_file)
    try:
        for i in IDS:
            start = cluster.wait_for(f"start of {i}", lambda l, i=i: l["ev"] == "start" and l["node"] == i)
            assert start["auth"] is True
            cluster.wait_for(f"view of {i} with all ALIVE", all_alive(i, leader=1, term=1))
        # At node 2, in node 1's name (a new incarnation and term, claiming to lead): two unsigned
        # datagrams, two signed with another key under the cluster's key id, one under an unknown
        # key id; then, signed with the real key, a heartbeat of node 3's real incarnation with an
        # old version (as a replay would be).
        now = time.monotonic_ns()
        forged = [forge.unsigned(1, 10_000 + i, now) for i in range(2)]
        forged += [forge.signed(os.urandom(32), forge.KEY_ID, 1, 20_000 + i, now) for i in range(2)]
        forged += [forge.signed(key, 99, 1, 30_000, now)]
        old = forge.signed(key, forge.KEY_ID, 3, 1, now, generation=1, term=1, leader=False)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for wire in forged + [old]:
                tx.sendto(wire, ("127.0.0.1", cluster.ports[2]))
        since = len(cluster.seen)
        view = cluster.wait_for(
            "node 2 counting the forgeries",
            lambda l: (
                l["ev"] == "view"
                and l["node"] == 2
                and l["rejected"]["unknown_key"] >= 1
                and l["rejected"]["replayed"] >= 1
            ),
            since,
        )
        r = view["rejected"]
        assert (r["malformed"], r["bad_mac"], r["unknown_key"]) == (2, 2, 1), r
        assert r["replayed"] == 1 and r["unknown_node"] == 0 and r["bad_generation"] == 0, r
        # Nothing of the forgeries took effect: node 1 keeps its incarnation and leads term 1.
        assert view["leader"] == 1 and view["term"] == 1, view
        assert {p["peer"]: (p["state"], p["generation"]) for p in view["peers"]} == {1: ("ALIVE", 1), 3: ("ALIVE", 1)}
        assert not any(l["ev"] == "state" and l["kind"] == "RESTARTED" for l in cluster.seen)
        # The other nodes saw none of it.
        for i in (1, 3):
            v = cluster.wait_for(f"a view of {i}", lambda l, i=i: l["ev"] == "view" and l["node"] == i, since)
            assert set(v["rejected"].values()) == {0}, v
    finally:
        cluster.kill_all()


def test_a_bad_key_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_bytes(b"0123456789")
    ports = free_udp_ports(2)
    for path, says in ((short, "10 bytes"), (tmp_path / "missing.key", "No such file")):
        proc = subprocess.run(
            node_cmd(1, ports[0], f"2:{ports[1]}", tmp_path, "--key-file", str(path)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert proc.returncode != 0 and proc.stdout == ""
        assert f"--key-file {path}" in proc.stderr and says in proc.stderr, proc.stderr
