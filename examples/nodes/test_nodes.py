#!/usr/bin/env python3
"""A cluster of six demo nodes (three C, three C++) on free loopback ports.

Checks, from the nodes' JSON lines: every key set is exactly the documented one; every node sees
every other ALIVE; node 1 leads and every other node follows it. Then node 1 is SIGKILLed: every
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

KEYS = {
    "start": {"ev", "node", "lang", "pid", "generation", "term", "t"},
    "state": {"ev", "node", "peer", "kind", "from", "to", "phi", "generation", "time_ns"},
    "view": {"ev", "node", "t", "term", "leader", "role", "peers"},
    "leader": {"ev", "node", "term", "t"},
    "follow": {"ev", "node", "leader", "term", "t"},
    "stale_reply_sent": {"ev", "node", "to", "their_term", "our_term", "t"},
    "step_down": {"ev", "node", "term", "told_by", "t"},
}
PEER_KEYS = {"peer", "state", "phi", "generation", "mean_ms", "until_fail_ms"}
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
    def __init__(self, binaries, state_dir, interval_ms=100):
        ports = dict(zip(IDS, free_ports(len(IDS))))
        self.lines = queue.Queue()
        self.procs = {}
        for node in IDS:
            peers = ",".join(f"{p}:{ports[p]}" for p in IDS if p != node)
            cmd = [binaries[node], "--id", str(node), "--port", str(ports[node]), "--peers", peers,
                   "--state-dir", state_dir, "--interval-ms", str(interval_ms)]
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
        cluster = Cluster(binaries, state_dir)
        try:
            states = {}        # (observer, peer) -> latest state
            starts = {}        # node -> start event
            view_leader = {}   # node -> (leader, role) of its latest view
            failed_at = {}     # observer -> time_ns node 1 became FAILED
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
                elif kind == "leader":
                    leaders[ev["node"]] = ev["term"]
                elif kind == "follow":
                    follows[ev["node"]] = (ev["leader"], ev["term"])

            def all_alive():
                return all(states.get((a, b)) == "ALIVE" for a in IDS for b in IDS if a != b)

            def node1_leads():
                return all(view_leader.get(n, (None, None, None))[:2] == (1, "leader" if n == 1 else "follower")
                           for n in IDS)

            wait_for(cluster, lambda: len(starts) == 6 and all_alive() and node1_leads(), 10,
                     "mutual ALIVE and node 1 leading", record)
            for n, ev in starts.items():
                assert ev["lang"] == ("c" if n % 2 else "cpp"), ev
                assert ev["generation"] == 1 and ev["term"] == 1, ev
                assert ev["pid"] == cluster.procs[n].pid, ev
            print(f"cluster of 6 up: mutual ALIVE, node 1 leads ({time.monotonic() - started:.1f} s)")

            cluster.procs[1].send_signal(signal.SIGKILL)
            killed_ns = time.monotonic_ns()  # CLOCK_MONOTONIC, as the nodes' times
            survivors = [n for n in IDS if n != 1]
            wait_for(cluster, lambda: all(n in failed_at for n in survivors), 2.0,
                     "every survivor to report node 1 FAILED", record)
            for n in survivors:
                assert 0 < failed_at[n] - killed_ns < 2_000_000_000, (n, failed_at[n] - killed_ns)
            print("node 1 killed: FAILED at " +
                  ", ".join(f"node {n} +{(failed_at[n] - killed_ns) / 1e6:.0f} ms" for n in survivors))

            # Node 2 waits 4 intervals after the failure, sees no newer leader and takes over.
            wait_for(cluster, lambda: leaders.get(2) == 2 and all(follows.get(n) == (2, 2) for n in survivors if n != 2),
                     5, "node 2 to lead with term 2, followed by every survivor", record)
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
