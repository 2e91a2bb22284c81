#!/usr/bin/env python3
"""A live phifd cluster: real node processes in C, C++, Python, Go and Rust,
each a UDP server that watches its peers with the same library, put through a
scripted run of failures.

    python3 examples/demo/demo.py [--nodes 5] [--short] [--duration-scale 1.0]
                                  [--langs c,cpp,python,go,rust] [--interval-ms 100]
                                  [--json-summary FILE] [--no-tty] [--no-auth]

The script builds nothing (`make demo` builds the library and the nodes
first). A language whose node program is missing runs as the Rust node
instead, and the script says so.

The nodes sign their heartbeats: the script writes a random 32-byte key into its temporary
directory and gives it to every node (--key-file), so each accepts only datagrams that verify
under it (--no-auth: the unauthenticated 56-byte datagrams instead).

The run (about a minute; --short about 10 s):
  1. start every node; wait until every node sees every other ALIVE and node 1 leads;
     then send every node forged heartbeats in a peer's name (unsigned, signed with another key,
     and under an unknown key id) and check each node refused and counted every one of them and
     acted on none (skipped with --no-auth, where a forgery would be accepted);
  2. SIGKILL one node (not the leader) and measure how long each peer took to
     convict it (event time minus kill time, both CLOCK_MONOTONIC);
  3. SIGSTOP another node long enough to be suspected, SIGCONT it, and watch it
     recover to ALIVE everywhere;
  4. restart the killed node with the same id and state directory: its
     incarnation grows and every peer reports it RESTARTED and ALIVE;
  5. SIGSTOP the leader until a new leader with a higher term is chosen,
     SIGCONT it, and watch it being told it is stale and stepping down;
  6. print a summary and exit 0, or 1 if any expectation failed.

Children never outlive the script: each node runs in its own process group,
gets SIGKILL if the script dies (PR_SET_PDEATHSIG), exits by itself when its
stdin pipe closes, and every group is killed on exit, Ctrl-C or SIGTERM.

Python 3 standard library only.
"""

import argparse
import atexit
import ctypes
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import forge

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_LANGS = ["c", "cpp", "python", "go", "rust"]
STATES = ("UNKNOWN", "ALIVE", "SUSPECT", "FAILED")

# Kill detection must be within this bound for every peer (ms). With a 100 ms interval a
# steady peer is convicted after about 240 ms of silence; the rest is room for a busy machine.
KILL_DETECTION_BOUND_MS = 2000.0


def node_command(lang, interval_ms):
    """The argv prefix and extra environment of the node program for `lang`,
    or None when that program is not built."""
    if lang == "rust":
        exe = os.path.join(ROOT, "target", "release", "examples", "node")
        return ([exe], {}) if os.access(exe, os.X_OK) else None
    if lang == "c":
        exe = os.path.join(ROOT, "build", "nodes", "c-node")
        return ([exe], {}) if os.access(exe, os.X_OK) else None
    if lang == "cpp":
        exe = os.path.join(ROOT, "build", "nodes", "cpp-node")
        return ([exe], {}) if os.access(exe, os.X_OK) else None
    if lang == "go":
        exe = os.path.join(ROOT, "build", "go-node", "node")
        return ([exe], {}) if os.access(exe, os.X_OK) else None
    if lang == "python":
        script = os.path.join(ROOT, "examples", "nodes", "python", "node.py")
        lib = os.path.join(ROOT, "target", "release", "libphifd.so")
        pkg = os.path.join(ROOT, "bindings", "python", "src")
        if not (os.path.exists(script) and os.path.exists(lib) and os.path.isdir(pkg)):
            return None
        env = {"PHIFD_LIBRARY": lib, "PYTHONPATH": pkg, "PYTHONUNBUFFERED": "1"}
        return ([sys.executable or "python3", script], env)
    return None


def free_udp_ports(n):
    """`n` distinct free UDP ports on 127.0.0.1 (all sockets held until every port is chosen)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


# --- keeping children from outliving the script ---------------------------------------------

_LIBC = None
try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
    _PRCTL = _LIBC.prctl
    _PRCTL.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    _PRCTL.restype = ctypes.c_int
except (OSError, AttributeError):
    _PRCTL = None
PR_SET_PDEATHSIG = 1
_PARENT_PID = os.getpid()


def _child_setup():
    """Runs in the child between fork and exec: own process group, and SIGKILL
    when the parent dies (checked once more in case it died already)."""
    os.setpgid(0, 0)
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != _PARENT_PID:
        os._exit(1)


class Node:
    """One node process (one incarnation at a time) and what the others say about it."""

    def __init__(self, nid, lang, requested, port, state_dir):
        self.id = nid
        self.lang = lang
        self.requested = requested
        self.port = port
        self.state_dir = state_dir
        self.proc = None
        self.pid = None
        self.incarnations = []  # (pid, generation) per start
        self.generation = None
        self.term = None
        self.role = "?"
        self.leader = None
        self.view = {}  # peer id -> latest view entry (dict) from this node
        self.view_t = 0
        self.status = "starting"  # starting, running, killed, stopped, exited
        self.stderr_path = os.path.join(state_dir, "node-%d.stderr" % nid)
        self.exit_codes = []
        self.auth = None  # whether the running incarnation checks MACs (its start line)
        self.rejected = {}  # its monitor's rejection counters, from its latest view line


class Cluster:
    """Starts, signals and stops the nodes; collects their JSON lines."""

    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.events = queue.Queue()
        self.log = []  # every parsed line: (receive monotonic ns, node id, dict)
        self.nodes = {}
        self.notes = []
        self.lock = threading.Lock()
        self.key = None
        self.key_file = None
        if not args.no_auth:
            # The cluster's shared key: 32 random bytes, readable by this user only.
            self.key = os.urandom(32)
            self.key_file = os.path.join(tmp, "cluster.key")
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(self.key)
        langs = args.langs.split(",") if args.langs else DEFAULT_LANGS
        ports = free_udp_ports(args.nodes)
        for i in range(args.nodes):
            nid = i + 1
            want = langs[i % len(langs)].strip()
            lang = want
            if node_command(want, args.interval_ms) is None:
                lang = "rust"
                self.notes.append("node %d: the %s node is not built; running the Rust node instead" % (nid, want))
            state_dir = os.path.join(tmp, "node-%d" % nid)
            os.makedirs(state_dir, exist_ok=True)
            self.nodes[nid] = Node(nid, lang, want, ports[i], state_dir)
        if node_command("rust", args.interval_ms) is None:
            raise SystemExit("the Rust node is not built: run `cargo build --release --example node` (or `make demo`)")

    def start(self, nid):
        n = self.nodes[nid]
        argv, env_extra = node_command(n.lang, self.args.interval_ms)
        peers = ",".join("%d:%d" % (p.id, p.port) for p in self.nodes.values() if p.id != nid)
        argv = argv + [
            "--id",
            str(nid),
            "--port",
            str(n.port),
            "--peers",
            peers,
            "--state-dir",
            n.state_dir,
            "--interval-ms",
            str(self.args.interval_ms),
        ]
        if self.key_file is not None:
            argv += ["--key-file", self.key_file]
        env = dict(os.environ)
        env.update(env_extra)
        err = open(n.stderr_path, "ab")
        try:
            n.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                cwd=ROOT,
                preexec_fn=_child_setup,
                close_fds=True,
            )
        finally:
            err.close()
        n.pid = n.proc.pid
        n.status = "starting"
        threading.Thread(target=self._reader, args=(nid, n.proc), daemon=True).start()

    def _reader(self, nid, proc):
        for raw in proc.stdout:
            t = time.monotonic_ns()
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict):
                self.events.put((t, nid, obj))
        self.events.put((time.monotonic_ns(), nid, {"ev": "_eof", "pid": proc.pid}))

    def signal(self, nid, sig):
        n = self.nodes[nid]
        if n.proc is not None and n.proc.poll() is None:
            try:
                os.killpg(n.proc.pid, sig)
            except ProcessLookupError:
                pass

    def shutdown(self):
        """Stops every node: resume, close stdin (a node exits 0 on end of file),
        then SIGTERM and SIGKILL to the process groups of the stragglers."""
        procs = [n.proc for n in self.nodes.values() if n.proc is not None]
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            try:
                p.stdin.close()
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 3.0
        for p in procs:
            try:
                p.wait(max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 1.0)):
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                break
            for p in alive:
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            for p in alive:
                try:
                    p.wait(max(0.05, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass


# --- the live view ---------------------------------------------------------------------------


class Display:
    """A table redrawn in place on a terminal, or plain progress lines otherwise."""

    def __init__(self, tty):
        self.tty = tty
        self.lines_drawn = 0
        self.phase = ""
        self.recent = []
        self.last_draw = 0.0

    def say(self, text):
        """A progress line (kept under the table on a terminal)."""
        if self.tty:
            self.recent.append(text)
            self.recent = self.recent[-8:]
        else:
            print(text, flush=True)

    def set_phase(self, text):
        self.phase = text
        if self.tty:
            self.recent.append("== " + text)
            self.recent = self.recent[-8:]
        else:
            print("== " + text, flush=True)

    def draw(self, cluster, force=False):
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < 0.2:
            return
        self.last_draw = now
        rows = table_rows(cluster)
        out = []
        out.append("phifd live cluster  (%s)" % self.phase)
        out.append(
            "%-5s %-7s %-8s %-9s %-24s %8s %5s %9s %11s"
            % ("node", "lang", "pid", "role", "seen by the others", "max phi", "gen", "mean ms", "convict in")
        )
        for r in rows:
            out.append("%-5s %-7s %-8s %-9s %-24s %8s %5s %9s %11s" % r)
        out.append("")
        out.extend(self.recent)
        width = shutil.get_terminal_size((100, 20)).columns
        buf = []
        if self.lines_drawn:
            buf.append("\x1b[%dF" % self.lines_drawn)
        for line in out:
            buf.append("\x1b[2K" + line[: width - 1] + "\n")
        for _ in range(len(out), self.lines_drawn):
            buf.append("\x1b[2K\n")
        drawn = max(len(out), self.lines_drawn)
        sys.stdout.write("".join(buf))
        sys.stdout.flush()
        self.lines_drawn = drawn


def table_rows(cluster):
    rows = []
    for n in cluster.nodes.values():
        seen = {}
        phis, untils, means, gens = [], [], [], []
        for o in cluster.nodes.values():
            if o.id == n.id or o.status in ("killed", "exited"):
                continue
            e = o.view.get(n.id)
            if e is None:
                continue
            seen[e.get("state", "?")] = seen.get(e.get("state", "?"), 0) + 1
            if isinstance(e.get("phi"), (int, float)):
                phis.append(e["phi"])
            if isinstance(e.get("until_fail_ms"), (int, float)):
                untils.append(e["until_fail_ms"])
            if isinstance(e.get("mean_ms"), (int, float)):
                means.append(e["mean_ms"])
            if isinstance(e.get("generation"), int):
                gens.append(e["generation"])
        seen_txt = " ".join("%s %d" % (s, seen[s]) for s in STATES if s in seen) or "-"
        role = (
            n.status
            if n.status in ("killed", "stopped", "exited")
            else ("%s t%s" % (n.role, n.term) if n.term is not None else n.role)
        )
        rows.append(
            (
                str(n.id),
                n.lang,
                str(n.pid or "-"),
                role[:9],
                seen_txt[:24],
                "%.2f" % max(phis) if phis else "-",
                str(n.generation if n.generation is not None else "-"),
                "%.1f" % (sum(means) / len(means)) if means else "-",
                "%.0f ms" % min(untils) if untils else "-",
            )
        )
    return rows


# --- the scenario ----------------------------------------------------------------------------


class Scenario:
    def __init__(self, args, cluster, display):
        self.a = args
        self.c = cluster
        self.d = display
        self.scale = args.duration_scale
        self.short = args.short
        self.faults = []  # (node id, start ns, end ns or None, what): when a node was down or stopped
        self.expectations = []
        self.summary = {}
        self.stable_ns = None

    # Event handling. Every line goes through here, in the main thread.
    def pump(self, timeout):
        try:
            item = self.c.events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            self.d.draw(self.c)
            return
        while True:
            self.handle(*item)
            try:
                item = self.c.events.get_nowait()
            except queue.Empty:
                break
        self.d.draw(self.c)

    def handle(self, t, nid, e):
        c = self.c
        node = c.nodes[nid]
        ev = e.get("ev")
        if ev == "_eof":
            if node.proc is not None and node.proc.pid == e.get("pid") and node.status != "killed":
                node.status = "exited"
            return
        c.log.append((t, nid, e))
        if ev == "start":
            node.generation = e.get("generation")
            node.term = e.get("term")
            node.status = "running"
            node.incarnations.append((e.get("pid"), e.get("generation")))
            node.auth = e.get("auth")
            self.d.say(
                "node %d (%s) started: pid %s, incarnation %s" % (nid, node.lang, e.get("pid"), e.get("generation"))
            )
        elif ev == "view":
            node.term = e.get("term")
            node.role = e.get("role", "?")
            node.leader = e.get("leader")
            node.view = {p.get("peer"): p for p in e.get("peers", []) if isinstance(p, dict)}
            node.view_t = t
            if isinstance(e.get("rejected"), dict):
                node.rejected = e["rejected"]
        elif ev == "state":
            p = e.get("peer")
            entry = node.view.setdefault(p, {"peer": p})
            entry["state"] = e.get("to")
            entry["generation"] = e.get("generation")
            if self.stable_ns is not None or e.get("to") == "FAILED":
                self.d.say(
                    "node %d: peer %s %s %s -> %s (phi %s, generation %s)"
                    % (
                        nid,
                        p,
                        "restarted" if e.get("kind") == "RESTARTED" else "",
                        e.get("from"),
                        e.get("to"),
                        e.get("phi"),
                        e.get("generation"),
                    )
                )
        elif ev == "leader":
            node.role = "leader"
            node.term = e.get("term")
            node.leader = nid
            self.d.say("node %d leads, term %s" % (nid, e.get("term")))
        elif ev == "follow":
            node.leader = e.get("leader")
            node.term = e.get("term")
            self.d.say("node %d follows node %s (term %s)" % (nid, e.get("leader"), e.get("term")))
        elif ev == "stale_reply_sent":
            self.d.say(
                "node %d told node %s its term %s is stale (ours %s)"
                % (nid, e.get("to"), e.get("their_term"), e.get("our_term"))
            )
        elif ev == "step_down":
            node.role = "follower"
            node.term = e.get("term")
            self.d.say("node %d stepped down (term %s, told by node %s)" % (nid, e.get("term"), e.get("told_by")))

    def wait_until(self, pred, timeout_s):
        """Handles lines until `pred()` holds (True) or the timeout passes (False)."""
        deadline = time.monotonic() + timeout_s * self.scale
        while True:
            if pred():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return pred()
            self.pump(min(left, 0.1))

    def hold(self, seconds):
        """Lets the cluster run (and the table update) for a while."""
        end = time.monotonic() + seconds * self.scale
        while time.monotonic() < end:
            self.pump(min(0.1, end - time.monotonic()))

    def expect(self, name, ok, detail):
        self.expectations.append({"name": name, "ok": bool(ok), "detail": detail})
        self.d.say("%s %s: %s" % ("ok  " if ok else "FAIL", name, detail))

    def live(self):
        return [n for n in self.c.nodes.values() if n.status in ("running", "starting")]

    def events_since(self, t0, ev=None):
        return [(t, nid, e) for (t, nid, e) in self.c.log if t >= t0 and (ev is None or e.get("ev") == ev)]

    def all_see_alive(self, target=None, min_generation=None, observers=None):
        observers = observers if observers is not None else [n for n in self.live() if n.status == "running"]
        for o in observers:
            targets = [target] if target is not None else [p.id for p in self.c.nodes.values() if p.id != o.id]
            for p in targets:
                if p == o.id:
                    continue
                e = o.view.get(p)
                if e is None or e.get("state") != "ALIVE":
                    return False
                if min_generation is not None and p == target and (e.get("generation") or 0) < min_generation:
                    return False
        return True

    # The steps.
    def run(self):
        c = self.c
        ids = sorted(c.nodes)
        n = len(ids)
        leader = ids[0]
        kill_victim = ids[2] if n >= 3 else ids[-1]
        stop_victim = ids[3] if n >= 4 else ids[1]
        hold = 0.0 if self.short else 10.0

        # 1. Start.
        self.d.set_phase(
            "1/6 start: %d nodes (%s)" % (n, ", ".join("%d=%s" % (x.id, x.lang) for x in c.nodes.values()))
        )
        for note in c.notes:
            self.d.say(note)
        t_start = time.monotonic_ns()
        # The leader first, so nobody convicts it before it exists.
        c.start(leader)
        self.wait_until(lambda: c.nodes[leader].status == "running", 10)
        for nid in ids[1:]:
            c.start(nid)
        ok = self.wait_until(
            lambda: (
                all(x.status == "running" for x in c.nodes.values())
                and self.all_see_alive()
                and all(x.leader == leader for x in c.nodes.values())
                and c.nodes[leader].role == "leader"
            ),
            15,
        )
        self.stable_ns = time.monotonic_ns()
        self.expect(
            "cluster formed",
            ok,
            "every node sees every other ALIVE and node %d leads (%.1f s)" % (leader, (self.stable_ns - t_start) / 1e9),
        )
        self.summary["formation_ms"] = (self.stable_ns - t_start) / 1e6
        if not ok:
            return
        self.forgeries()
        # Let every monitor see a steady poll cadence first: the library's local pause guard
        # (which keeps a node that was itself stopped from convicting its peers) starts
        # judging after 8 polls.
        self.hold(max(hold, 1.5))

        # 2. SIGKILL.
        kv = c.nodes[kill_victim]
        self.d.set_phase("2/6 SIGKILL node %d (%s)" % (kill_victim, kv.lang))
        old_generation = kv.generation
        t_kill = time.monotonic_ns()
        c.signal(kill_victim, signal.SIGKILL)
        kv.status = "killed"
        self.faults.append([kill_victim, t_kill, None, "killed"])
        peers = [x.id for x in self.live()]

        def convicted_by():
            got = {}
            for t, nid, e in self.events_since(t_kill, "state"):
                if e.get("peer") == kill_victim and e.get("to") == "FAILED" and nid not in got:
                    got[nid] = (e.get("time_ns", t) - t_kill) / 1e6
            return got

        self.wait_until(lambda: set(convicted_by()) >= set(peers), 5)
        det = convicted_by()
        detection = {str(p): det.get(p) for p in peers}
        for p in peers:
            self.d.say(
                "node %d (%s) convicted node %d after %s"
                % (p, c.nodes[p].lang, kill_victim, "%.0f ms" % det[p] if p in det else "NEVER")
            )
        worst = max(det.values()) if det else None
        self.expect(
            "kill detected by every peer",
            set(det) >= set(peers) and worst is not None and worst <= KILL_DETECTION_BOUND_MS,
            "%d/%d peers, slowest %s (bound %.0f ms)"
            % (len(det), len(peers), "%.0f ms" % worst if worst is not None else "-", KILL_DETECTION_BOUND_MS),
        )
        self.summary["kill"] = {
            "victim": kill_victim,
            "lang": kv.lang,
            "kill_ns": t_kill,
            "detection_ms": detection,
            "peers": peers,
            "bound_ms": KILL_DETECTION_BOUND_MS,
        }
        self.hold(hold)

        # 3. SIGSTOP / SIGCONT.
        sv = c.nodes[stop_victim]
        stop_s = 1.5
        self.d.set_phase("3/6 SIGSTOP node %d (%s) for %.1f s" % (stop_victim, sv.lang, stop_s * self.scale))
        observers = [x.id for x in self.live() if x.id != stop_victim]
        t_stop = time.monotonic_ns()
        c.signal(stop_victim, signal.SIGSTOP)
        sv.status = "stopped"
        fault = [stop_victim, t_stop, None, "stopped"]
        self.faults.append(fault)
        self.hold(stop_s)
        t_cont = time.monotonic_ns()
        c.signal(stop_victim, signal.SIGCONT)
        sv.status = "running"
        fault[2] = t_cont
        self.d.say("SIGCONT node %d after %.0f ms" % (stop_victim, (t_cont - t_stop) / 1e6))

        def stop_reports(to):
            got = {}
            for t, nid, e in self.events_since(t_stop, "state"):
                if (
                    e.get("peer") == stop_victim
                    and e.get("to") == to
                    and nid not in got
                    and e.get("time_ns", t) <= t_cont
                ):
                    got[nid] = (e.get("time_ns", t) - t_stop) / 1e6
            return got

        def recovered():
            got = {}
            for t, nid, e in self.events_since(t_cont, "state"):
                if e.get("peer") == stop_victim and e.get("to") == "ALIVE" and nid not in got:
                    got[nid] = (e.get("time_ns", t) - t_cont) / 1e6
            return got

        self.wait_until(
            lambda: (
                set(recovered()) >= set(observers)
                and self.all_see_alive(target=stop_victim, observers=[c.nodes[o] for o in observers])
            ),
            5,
        )
        sus, fail, rec = stop_reports("SUSPECT"), stop_reports("FAILED"), recovered()
        self.expect(
            "stopped node suspected",
            set(sus) >= set(observers),
            "suspected by %d/%d peers (first after %s), convicted by %d while stopped"
            % (len(sus), len(observers), "%.0f ms" % min(sus.values()) if sus else "-", len(fail)),
        )
        self.expect(
            "stopped node recovered",
            set(rec) >= set(observers),
            "ALIVE again at %d/%d peers, slowest %s after SIGCONT"
            % (len(rec), len(observers), "%.0f ms" % max(rec.values()) if rec else "-"),
        )
        self.summary["stop"] = {
            "victim": stop_victim,
            "lang": sv.lang,
            "stopped_ms": (t_cont - t_stop) / 1e6,
            "observers": observers,
            "suspected_ms": {str(k): v for k, v in sus.items()},
            "failed_ms": {str(k): v for k, v in fail.items()},
            "recovered_ms": {str(k): v for k, v in rec.items()},
        }
        self.hold(hold)

        # 4. Restart the killed node.
        self.d.set_phase("4/6 restart node %d (%s) with the same id and state directory" % (kill_victim, kv.lang))
        if kv.proc is not None:
            try:
                kv.proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
            kv.exit_codes.append(kv.proc.returncode)
        t_restart = time.monotonic_ns()
        self.faults[0][2] = t_restart
        c.start(kill_victim)
        self.wait_until(lambda: kv.status == "running", 10)
        new_generation = kv.generation if kv.status == "running" and len(kv.incarnations) > 1 else None
        observers = [x.id for x in self.live() if x.id != kill_victim]

        def restarted_by():
            got = {}
            for t, nid, e in self.events_since(t_restart, "state"):
                if e.get("peer") == kill_victim and e.get("kind") == "RESTARTED" and nid not in got:
                    got[nid] = e.get("generation")
            return got

        self.wait_until(
            lambda: (
                set(restarted_by()) >= set(observers)
                and new_generation is not None
                and self.all_see_alive(
                    target=kill_victim, min_generation=new_generation, observers=[c.nodes[o] for o in observers]
                )
            ),
            8,
        )
        rs = restarted_by()
        alive_again = new_generation is not None and self.all_see_alive(
            target=kill_victim, min_generation=new_generation, observers=[c.nodes[o] for o in observers]
        )
        self.expect(
            "restart recognised",
            new_generation is not None
            and old_generation is not None
            and new_generation > old_generation
            and set(rs) >= set(observers)
            and all(g == new_generation for g in rs.values())
            and alive_again,
            "incarnation %s -> %s; RESTARTED at %d/%d peers; ALIVE everywhere: %s"
            % (old_generation, new_generation, len(rs), len(observers), alive_again),
        )
        self.summary["restart"] = {
            "victim": kill_victim,
            "old_generation": old_generation,
            "new_generation": new_generation,
            "restarted_generation_seen": {str(k): v for k, v in rs.items()},
            "observers": observers,
            "alive_everywhere": alive_again,
        }
        self.hold(hold)

        # 5. Stop the leader.
        lv = c.nodes[leader]
        self.d.set_phase("5/6 SIGSTOP the leader, node %d (%s), until a new leader is chosen" % (leader, lv.lang))
        old_term = lv.term
        others = [x.id for x in self.live() if x.id != leader]
        t_lstop = time.monotonic_ns()
        c.signal(leader, signal.SIGSTOP)
        lv.status = "stopped"
        fault = [leader, t_lstop, None, "stopped"]
        self.faults.append(fault)

        def new_leader():
            for t, nid, e in self.events_since(t_lstop, "leader"):
                if nid != leader and (e.get("term") or 0) > (old_term or 0):
                    return nid, e.get("term"), t
            return None

        def everyone_follows(nl, observers):
            return all(c.nodes[o].leader == nl[0] and (c.nodes[o].term or 0) >= nl[1] for o in observers)

        self.wait_until(
            lambda: (
                new_leader() is not None and everyone_follows(new_leader(), [o for o in others if o != new_leader()[0]])
            ),
            10,
        )
        nl = new_leader()
        if not self.short:
            self.hold(2.0)
        t_lcont = time.monotonic_ns()
        c.signal(leader, signal.SIGCONT)
        lv.status = "running"
        fault[2] = t_lcont
        self.d.say("SIGCONT node %d after %.0f ms" % (leader, (t_lcont - t_lstop) / 1e6))

        def stepped_down():
            for t, nid, e in self.events_since(t_lcont, "step_down"):
                if nid == leader:
                    return e
            return None

        def stale_senders():
            return sorted(
                {nid for (t, nid, e) in self.events_since(t_lcont, "stale_reply_sent") if e.get("to") == leader}
            )

        self.wait_until(
            lambda: (
                nl is not None
                and stepped_down() is not None
                and lv.leader == nl[0]
                and lv.role == "follower"
                and all(c.nodes[o].view.get(leader, {}).get("state") == "ALIVE" for o in others)
            ),
            8,
        )
        sd = stepped_down()
        stale = stale_senders()
        self.expect(
            "new leader elected",
            nl is not None and (nl[1] or 0) > (old_term or 0),
            "node %s leads with term %s (old term %s), %s after the leader stopped"
            % (
                nl[0] if nl else "-",
                nl[1] if nl else "-",
                old_term,
                "%.0f ms" % ((nl[2] - t_lstop) / 1e6) if nl else "-",
            ),
        )
        self.expect(
            "old leader stepped down",
            sd is not None and lv.leader == (nl[0] if nl else None),
            "step_down told by node %s; told it is stale by %s; now follows node %s"
            % (sd.get("told_by") if sd else "-", ", ".join(map(str, stale)) or "nobody", lv.leader),
        )
        self.summary["leader_change"] = {
            "old_leader": leader,
            "old_term": old_term,
            "stopped_ms": (t_lcont - t_lstop) / 1e6,
            "new_leader": nl[0] if nl else None,
            "new_term": nl[1] if nl else None,
            "elected_after_ms": (nl[2] - t_lstop) / 1e6 if nl else None,
            "step_down": sd,
            "stale_reply_sent_by": stale,
            "old_leader_follows": lv.leader,
            "old_leader_role": lv.role,
        }
        self.hold(hold)

    # Forged datagrams, sent to every node in a peer's name.
    FORGED = (("malformed", "unsigned", 2), ("bad_mac", "wrong_key", 2), ("unknown_key", "unknown_key_id", 1))

    def forgeries(self):
        c = self.c
        if c.key is None:
            self.summary["forgery"] = {"skipped": "--no-auth: unauthenticated datagrams, a forgery would be accepted"}
            self.d.say("forged datagrams: not tried (--no-auth)")
            return
        self.d.set_phase("1/6 forged heartbeats at every node")
        targets = [x for x in self.live() if x.status == "running"]
        ids = sorted(c.nodes)
        before = {x.id: dict(x.rejected) for x in targets}
        spoofed = {}
        wrong_key = os.urandom(32)
        now = time.monotonic_ns()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for x in targets:
                # In the name of another node (the leader, or node 2 at the leader itself), with a
                # far higher incarnation and term and the leader flag.
                victim = ids[0] if x.id != ids[0] else ids[1]
                spoofed[str(x.id)] = victim
                wires = [forge.unsigned(victim, 1_000_000 + i, now) for i in range(2)]
                wires += [forge.signed(wrong_key, forge.KEY_ID, victim, 2_000_000 + i, now) for i in range(2)]
                wires += [forge.signed(c.key, forge.KEY_ID + 1000, victim, 3_000_000, now)]
                for w in wires:
                    tx.sendto(w, ("127.0.0.1", x.port))

        def delta(x):
            return {k: (x.rejected.get(k) or 0) - (before[x.id].get(k) or 0) for (k, _, _) in self.FORGED}

        def all_counted():
            return all(delta(x)[k] >= want for x in targets for (k, _, want) in self.FORGED)

        self.wait_until(all_counted, 3)
        counted = {str(x.id): delta(x) for x in targets}
        accepted_by = sorted(
            {
                nid
                for (t, nid, e) in self.events_since(now)
                if e.get("generation") == forge.FORGED_GENERATION or e.get("term") == forge.FORGED_TERM
            }
            | {x.id for x in targets for p in x.view.values() if p.get("generation") == forge.FORGED_GENERATION}
        )
        want = {k: n for (k, _, n) in self.FORGED}
        exact = all(counted[str(x.id)] == want for x in targets)
        self.expect(
            "forged datagrams refused",
            exact and not accepted_by,
            "%d nodes each refused and counted %s; acted on by %s"
            % (
                len(targets),
                ", ".join("%d %s" % (n, name) for (_, name, n) in self.FORGED),
                ", ".join(map(str, accepted_by)) or "none",
            ),
        )
        self.summary["forgery"] = {
            "injected": {name: n for (_, name, n) in self.FORGED},
            "expected_counts": want,
            "spoofed": spoofed,
            "counted": counted,
            "accepted_by": accepted_by,
            "forged_generation": forge.FORGED_GENERATION,
            "forged_term": forge.FORGED_TERM,
        }

    def false_convictions(self):
        """FAILED events about a node that was neither down nor stopped then
        (after the cluster formed; startup convictions are listed apart)."""
        slack = 0.5e9 * self.scale
        false, startup = [], []
        for t, nid, e in self.c.log:
            if e.get("ev") != "state" or e.get("to") != "FAILED":
                continue
            when = e.get("time_ns", t)
            rec = {"observer": nid, "peer": e.get("peer"), "time_ns": when}
            if self.stable_ns is None or when < self.stable_ns:
                startup.append(rec)
                continue
            excused = any(
                f[0] == e.get("peer") and f[1] <= when <= (f[2] if f[2] is not None else float("inf")) + slack
                for f in self.faults
            )
            if not excused:
                false.append(rec)
        return false, startup


def print_summary(sc, cluster, out):
    s = sc.summary
    w = out.write
    w("\nSummary\n")
    for n in cluster.nodes.values():
        w(
            "  node %d: %s%s, incarnations %s\n"
            % (
                n.id,
                n.lang,
                "" if n.lang == n.requested else " (instead of %s)" % n.requested,
                ", ".join(str(g) for (_, g) in n.incarnations) or "-",
            )
        )
    if "kill" in s:
        k = s["kill"]
        w("  SIGKILL node %d (%s): convicted by\n" % (k["victim"], k["lang"]))
        for p, ms in k["detection_ms"].items():
            w("    node %s (%s): %s\n" % (p, cluster.nodes[int(p)].lang, "%.0f ms" % ms if ms is not None else "never"))
    if "stop" in s:
        st = s["stop"]
        w(
            "  SIGSTOP node %d (%s) for %.0f ms: suspected by %d, convicted by %d, ALIVE again at %d/%d peers"
            " (slowest %s after SIGCONT)\n"
            % (
                st["victim"],
                st["lang"],
                st["stopped_ms"],
                len(st["suspected_ms"]),
                len(st["failed_ms"]),
                len(st["recovered_ms"]),
                len(st["observers"]),
                "%.0f ms" % max(st["recovered_ms"].values()) if st["recovered_ms"] else "-",
            )
        )
    if "restart" in s:
        r = s["restart"]
        w(
            "  restart node %d: incarnation %s -> %s, RESTARTED reported by %d/%d peers\n"
            % (
                r["victim"],
                r["old_generation"],
                r["new_generation"],
                len(r["restarted_generation_seen"]),
                len(r["observers"]),
            )
        )
    if "leader_change" in s:
        lc = s["leader_change"]
        w(
            "  leader node %d (term %s) stopped: node %s elected with term %s after %s;\n"
            "    stale replies from %s; step_down told by %s; now follows node %s\n"
            % (
                lc["old_leader"],
                lc["old_term"],
                lc["new_leader"],
                lc["new_term"],
                "%.0f ms" % lc["elected_after_ms"] if lc["elected_after_ms"] is not None else "-",
                ", ".join(map(str, lc["stale_reply_sent_by"])) or "nobody",
                lc["step_down"].get("told_by") if lc["step_down"] else "-",
                lc["old_leader_follows"],
            )
        )
    if "forgery" in s:
        fg = s["forgery"]
        if "skipped" in fg:
            w("  forged datagrams: not tried (%s)\n" % fg["skipped"])
        else:
            w(
                "  forged datagrams (%s at every node): refused and counted\n"
                % ", ".join("%d %s" % (n, k.replace("_", " ")) for k, n in sorted(fg["injected"].items()))
            )
            for nid, cnt in sorted(fg["counted"].items(), key=lambda kv: int(kv[0])):
                w("    node %s: %s\n" % (nid, ", ".join("%s %s" % (k, v) for k, v in sorted(cnt.items()))))
            w("    acted on by: %s\n" % (", ".join(map(str, fg["accepted_by"])) or "none"))
    w(
        "  authenticated heartbeats: %s; rejections counted by each node at the end:\n"
        % ("on (HMAC-SHA-256, a random key per run)" if s.get("auth") else "off (--no-auth)")
    )
    for n in cluster.nodes.values():
        r = n.rejected
        w("    node %d: %s\n" % (n.id, ", ".join("%s %s" % (k, r[k]) for k in sorted(r)) if r else "-"))
    w(
        "  false convictions: %d (startup convictions of not-yet-running nodes: %d)\n"
        % (len(s.get("false_convictions", [])), len(s.get("startup_convictions", [])))
    )
    for e in sc.expectations:
        w("  [%s] %s: %s\n" % ("ok" if e["ok"] else "FAILED", e["name"], e["detail"]))
    out.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run a live phifd cluster of real node processes through failures.")
    ap.add_argument("--nodes", type=int, default=5, help="number of nodes (at least 3; default 5)")
    ap.add_argument(
        "--duration-scale", type=float, default=1.0, help="multiply every wait and timeout (e.g. 2 on a slow machine)"
    )
    ap.add_argument("--short", action="store_true", help="no pauses between steps (about 15 s)")
    ap.add_argument("--json-summary", metavar="FILE", help="write the results as JSON to FILE")
    ap.add_argument("--no-tty", action="store_true", help="plain progress lines even on a terminal")
    ap.add_argument(
        "--langs", help="comma-separated languages assigned to nodes in turn (default c,cpp,python,go,rust)"
    )
    ap.add_argument("--interval-ms", type=int, default=100, help="heartbeat interval of the nodes (default 100)")
    ap.add_argument("--keep-state", action="store_true", help="keep the temporary state directory")
    ap.add_argument(
        "--no-auth",
        action="store_true",
        help="unauthenticated 56-byte heartbeats (default: every node gets a random shared key "
        "and accepts only signed datagrams)",
    )
    args = ap.parse_args(argv)
    if args.nodes < 3:
        ap.error("--nodes must be at least 3")
    if args.duration_scale <= 0:
        ap.error("--duration-scale must be > 0")
    if args.langs:
        bad = [x for x in args.langs.split(",") if x.strip() not in DEFAULT_LANGS]
        if bad:
            ap.error("unknown language(s): %s" % ", ".join(bad))

    tmp = tempfile.mkdtemp(prefix="phifd-demo-")
    cluster = None
    done = {"cleaned": False}

    def cleanup():
        if done["cleaned"]:
            return
        done["cleaned"] = True
        if cluster is not None:
            cluster.shutdown()
        if not args.keep_state:
            shutil.rmtree(tmp, ignore_errors=True)

    atexit.register(cleanup)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    # Installed explicitly: a shell starting the demo in the background may have set SIGINT
    # to be ignored, and Python then keeps it ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    display = Display(sys.stdout.isatty() and not args.no_tty)
    rc = 1
    try:
        cluster = Cluster(args, tmp)
        sc = Scenario(args, cluster, display)
        sc.summary["auth"] = cluster.key is not None
        try:
            sc.run()
        finally:
            sc.hold(0.3 / args.duration_scale)  # collect lines still in flight
        false, startup = sc.false_convictions()
        sc.summary["false_convictions"] = false
        sc.summary["startup_convictions"] = startup
        sc.expect(
            "no false convictions",
            not false,
            "%d FAILED events about nodes that were neither down nor stopped" % len(false),
        )
        display.set_phase("6/6 summary")
        display.draw(cluster, force=True)
        # Stop the nodes and check they left as the protocol says: exit 0 on end of stdin.
        cluster.shutdown()
        codes = {}
        for n in cluster.nodes.values():
            if n.proc is not None:
                codes[str(n.id)] = n.proc.returncode
        sc.expect(
            "nodes exit 0 when stdin closes",
            all(v == 0 for v in codes.values()),
            ", ".join("node %s: %s" % kv for kv in codes.items()),
        )
        print_summary(sc, cluster, sys.stdout)
        ok = bool(sc.expectations) and all(e["ok"] for e in sc.expectations) and len(sc.expectations) >= 8
        if args.json_summary:
            doc = {
                "ok": ok,
                "interval_ms": args.interval_ms,
                "short": args.short,
                "duration_scale": args.duration_scale,
                "nodes": [
                    {
                        "id": n.id,
                        "lang": n.lang,
                        "requested": n.requested,
                        "incarnations": [g for (_, g) in n.incarnations],
                        "auth": n.auth,
                        "rejected": n.rejected,
                    }
                    for n in cluster.nodes.values()
                ],
                "fallbacks": cluster.notes,
                "exit_codes": codes,
                "expectations": sc.expectations,
            }
            doc.update(sc.summary)
            os.makedirs(os.path.dirname(os.path.abspath(args.json_summary)), exist_ok=True)
            with open(args.json_summary, "w") as f:
                json.dump(doc, f, indent=2, sort_keys=True)
                f.write("\n")
        if not ok:
            for n in cluster.nodes.values():
                try:
                    with open(n.stderr_path, "rb") as f:
                        tail = f.read()[-800:].decode("utf-8", "replace").strip()
                except OSError:
                    tail = ""
                if tail:
                    sys.stdout.write(
                        "  stderr of node %d (%s):\n    %s\n" % (n.id, n.lang, tail.replace("\n", "\n    "))
                    )
        rc = 0 if ok else 1
    except KeyboardInterrupt:
        sys.stdout.write("\ninterrupted: stopping every node\n")
        rc = 130
    finally:
        cleanup()
    return rc


if __name__ == "__main__":
    sys.exit(main())
