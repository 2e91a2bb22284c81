#!/usr/bin/env python3
"""A cluster of six demo nodes (three C, three C++) on free loopback ports.

Every node is given the same random key (--key-file), so every datagram is signed and verified.
Checks, from the nodes' JSON lines: every key set is exactly the documented one; every node sees
every other ALIVE; node 1 leads and every other node follows it. Forged heartbeats in node 1's name
(unsigned, signed with another key, under an unknown key id) sent to a C and a C++ node are
refused, counted in their classes, and change nothing. Then node 1 is SIGKILLed: every
other node must report it FAILED within 2 s, and node 2 (the lowest id left) must take over with
term 2 and be followed. Children are always killed, and their stdin pipes closed, on exit.

    python3 examples/nodes/test_nodes.py --c-node build/nodes/c-node --cpp-node build/nodes/cpp-node
"""

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo"))
import forge  # noqa: E402  (examples/demo/forge.py: datagrams built without the library)

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
IDS = [1, 2, 3, 4, 5, 6]


def free_ports(n):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Cluster:
    def __init__(self, binaries, state_dir, key_file, interval_ms=100):
        ports = dict(zip(IDS, free_ports(len(IDS))))
        self.ports = ports
        self.lines = queue.Queue()
        self.procs = {}
        for node in IDS:
            peers = ",".join(f"{p}:{ports[p]}" for p in IDS if p != node)
            cmd = [
                binaries[node],
                "--id",
                str(node),
                "--port",
                str(ports[node]),
                "--peers",
                peers,
                "--state-dir",
                state_dir,
                "--interval-ms",
                str(interval_ms),
                "--key-file",
                key_file,
            ]
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.procs[node] = proc
            threading.Thread(target=self._read, args=(node, proc), daemon=True).start()

    def _read(self, node, proc):
        for line in proc.stdout:
            self.lines.put((node, line))

    def next_event(self, deadline):
        """The next JSON object from any node before `deadline` (monotonic s), or None."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            node, line = self.lines.get(timeout=left)
        except queue.Empty:
            return None
        ev = json.loads(line)
        assert ev["node"] == node, f"node {node} printed {line}"
        want = KEYS.get(ev["ev"])
        assert want is not None, f"unknown event: {line}"
        assert set(ev) == want, f"keys {sorted(ev)} != {sorted(want)}: {line}"
        if ev["ev"] == "view":
            for p in ev["peers"]:
                assert set(p) == PEER_KEYS, f"peer keys {sorted(p)}: {line}"
            assert set(ev["rejected"]) == REJECTED_KEYS, f"rejected keys: {line}"
        return ev

    def close(self):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
            if proc.stdin:
                proc.stdin.close()
        for proc in self.procs.values():
            proc.wait()


def wait_for(cluster, done, seconds, what, on_event):
    deadline = time.monotonic() + seconds
    while not done():
        ev = cluster.next_event(deadline)
        if ev is None:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        on_event(ev)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--c-node", required=True)
    ap.add_argument("--cpp-node", required=True)
    args = ap.parse_args()
    # Odd ids in C, even ids in C++: every pair of languages talks to each other.
    binaries = {n: os.path.abspath(args.c_node if n % 2 else args.cpp_node) for n in IDS}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as state_dir:
        key = os.urandom(32)
        key_file = os.path.join(state_dir, "cluster.key")
        with open(key_file, "wb") as f:
            f.write(key)
        cluster = Cluster(binaries, state_dir, key_file)
        try:
            states = {}  # (observer, peer) -> latest state
            starts = {}  # node -> start event
            view_leader = {}  # node -> (leader, role) of its latest view
            views = {}  # node -> its latest view
            failed_at = {}  # observer -> time_ns node 1 became FAILED
            leaders, follows = {}, {}

            def record(ev):
                kind = ev["ev"]
                if kind == "start":
                    starts[ev["node"]] = ev
                elif kind == "state":
                    states[(ev["node"], ev["peer"])] = ev["to"]
                    if ev["peer"] == 1 and ev["to"] == "FAILED":
                        failed_at.setdefault(ev["node"], ev["time_ns"])
                elif kind == "view":
                    view_leader[ev["node"]] = (ev["leader"], ev["role"], ev["term"])
                    views[ev["node"]] = ev
                elif kind == "leader":
                    leaders[ev["node"]] = ev["term"]
                elif kind == "follow":
                    follows[ev["node"]] = (ev["leader"], ev["term"])

            def all_alive():
                return all(states.get((a, b)) == "ALIVE" for a in IDS for b in IDS if a != b)

            def node1_leads():
                return all(
                    view_leader.get(n, (None, None, None))[:2] == (1, "leader" if n == 1 else "follower") for n in IDS
                )

            wait_for(
                cluster,
                lambda: len(starts) == 6 and all_alive() and node1_leads(),
                10,
                "mutual ALIVE and node 1 leading",
                record,
            )
            for n, ev in starts.items():
                assert ev["lang"] == ("c" if n % 2 else "cpp"), ev
                assert ev["generation"] == 1 and ev["term"] == 1, ev
                assert ev["auth"] is True, ev
                assert ev["pid"] == cluster.procs[n].pid, ev
            print(f"cluster of 6 up: mutual ALIVE, node 1 leads ({time.monotonic() - started:.1f} s)")

            # Forgeries in node 1's name at node 2 (C++) and node 3 (C): a new incarnation and term,
            # claiming to lead. Accepted, they would restart node 1's history and move the term.
            now = time.monotonic_ns()
            wires = [forge.unsigned(1, 10_000 + i, now) for i in range(2)]
            wires += [forge.signed(os.urandom(32), forge.KEY_ID, 1, 20_000 + i, now) for i in range(3)]
            wires += [forge.signed(key, 77, 1, 30_000, now)]
            want = {"malformed": 2, "bad_mac": 3, "unknown_key": 1}
            views.clear()
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
                for target in (2, 3):
                    for w in wires:
                        tx.sendto(w, ("127.0.0.1", cluster.ports[target]))

            def counted():
                return all(n in views and all(views[n]["rejected"][k] >= v for k, v in want.items()) for n in (2, 3))

            wait_for(cluster, counted, 3, "nodes 2 and 3 to count the forgeries", record)
            for n in (2, 3):
                r, v = views[n]["rejected"], views[n]
                assert {k: r[k] for k in want} == want and r["bad_generation"] == 0, (n, r)
                assert v["term"] == 1 and v["leader"] == 1, v
                assert {p["peer"]: p["generation"] for p in v["peers"]}[1] == 1, v
            assert not any(s == "FAILED" for s in states.values()), states
            print(f"forged datagrams refused and counted by nodes 2 (cpp) and 3 (c): {views[2]['rejected']}")

            cluster.procs[1].send_signal(signal.SIGKILL)
            killed_ns = time.monotonic_ns()  # CLOCK_MONOTONIC, as the nodes' times
            survivors = [n for n in IDS if n != 1]
            wait_for(
                cluster,
                lambda: all(n in failed_at for n in survivors),
                2.0,
                "every survivor to report node 1 FAILED",
                record,
            )
            for n in survivors:
                assert 0 < failed_at[n] - killed_ns < 2_000_000_000, (n, failed_at[n] - killed_ns)
            print(
                "node 1 killed: FAILED at "
                + ", ".join(f"node {n} +{(failed_at[n] - killed_ns) / 1e6:.0f} ms" for n in survivors)
            )

            # Node 2 waits 4 intervals after the failure, sees no newer leader and takes over.
            wait_for(
                cluster,
                lambda: leaders.get(2) == 2 and all(follows.get(n) == (2, 2) for n in survivors if n != 2),
                5,
                "node 2 to lead with term 2, followed by every survivor",
                record,
            )
            assert set(leaders) == {2}, f"only node 2 may take over: {leaders}"
            print(f"node 2 leads with term 2; all survivors follow ({time.monotonic() - started:.1f} s)")
        finally:
            cluster.close()
    print("test-nodes: OK")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"test-nodes: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
