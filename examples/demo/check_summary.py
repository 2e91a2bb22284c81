#!/usr/bin/env python3
"""Checks the JSON summary of examples/demo/demo.py against the protocol and
phifd's model, independently of the judgements the demo printed itself.

    python3 examples/demo/check_summary.py build/demo-summary.json

Exit status 0 when every check holds, 1 otherwise (each failure is printed).

The bounds on the kill detection time come from the normal model by hand: with
heartbeat interval I, a steady history has mean I and standard deviation at the
floor I/4, so phi reaches 8 after I + y8 * I/4 of silence, where Q(y8) = 1e-8
(y8 = 5.612). The silence before a kill is noticed started at the last
heartbeat, at most one interval before the kill, so no peer can convict sooner
than I * (1 + y8/4) - I (minus a little scheduling jitter); the upper bound of
2 s leaves room for a busy machine.
"""

import json
import math
import sys

KILL_UPPER_MS = 2000.0


def y_for_phi(phi):
    """y with -log10(Q(y)) = phi, Q(y) = erfc(y / sqrt 2) / 2, by bisection."""
    lo, hi = 0.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        q = 0.5 * math.erfc(mid / math.sqrt(2))
        if -math.log10(q) < phi:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def main(path):
    with open(path) as f:
        s = json.load(f)
    failures = []

    def check(cond, what):
        print("%s %s" % ("ok  " if cond else "FAIL", what))
        if not cond:
            failures.append(what)

    interval = float(s["interval_ms"])
    ids = [n["id"] for n in s["nodes"]]
    check(len(ids) >= 3 and ids == list(range(1, len(ids) + 1)), "nodes are numbered 1..%d" % len(ids))

    # SIGKILL: every other node convicted the victim, within the bounds.
    k = s.get("kill") or {}
    victim = k.get("victim")
    det = k.get("detection_ms") or {}
    others = sorted(i for i in ids if i != victim)
    check(sorted(int(p) for p in det) == others, "kill: every peer of node %s reported (%s)" % (victim, sorted(det)))
    timeout_ms = interval * (1 + y_for_phi(8.0) / 4)
    lower = timeout_ms - interval - 0.4 * interval
    for p, ms in sorted(det.items()):
        check(
            ms is not None and lower <= ms <= KILL_UPPER_MS,
            "kill: node %s convicted node %s after %s ms (bounds %.0f..%.0f ms)"
            % (p, victim, "%.0f" % ms if ms is not None else "never", lower, KILL_UPPER_MS),
        )

    # SIGSTOP: suspected by every peer while stopped, ALIVE again everywhere after SIGCONT.
    st = s.get("stop") or {}
    obs = sorted(st.get("observers") or [])
    check(len(obs) == len(ids) - 2, "stop: %d observers (all but the stopped and the killed node)" % len(obs))
    check(
        sorted(int(p) for p in st.get("suspected_ms", {})) == obs,
        "stop: node %s suspected by every observer" % st.get("victim"),
    )
    check(
        all(0 < v <= st.get("stopped_ms", 0) for v in st.get("suspected_ms", {}).values()),
        "stop: every suspicion came while the node was stopped",
    )
    check(
        sorted(int(p) for p in st.get("recovered_ms", {})) == obs,
        "stop: node %s ALIVE again at every observer" % st.get("victim"),
    )

    # Restart: a higher incarnation, reported as RESTARTED with that incarnation by everyone.
    r = s.get("restart") or {}
    og, ng = r.get("old_generation"), r.get("new_generation")
    check(isinstance(og, int) and isinstance(ng, int) and ng > og, "restart: incarnation %s -> %s grows" % (og, ng))
    seen = r.get("restarted_generation_seen") or {}
    check(
        sorted(int(p) for p in seen) == sorted(i for i in ids if i != r.get("victim")),
        "restart: every peer reported RESTARTED",
    )
    check(all(g == ng for g in seen.values()), "restart: every RESTARTED event carries incarnation %s" % ng)
    check(r.get("alive_everywhere") is True, "restart: the restarted node is ALIVE everywhere")
    victim_node = next((n for n in s["nodes"] if n["id"] == r.get("victim")), {})
    check(
        victim_node.get("incarnations") == [og, ng],
        "restart: the node reported incarnations %s" % victim_node.get("incarnations"),
    )

    # Leader change: the lowest live id takes over with a higher term; the old leader steps down.
    lc = s.get("leader_change") or {}
    old, new = lc.get("old_leader"), lc.get("new_leader")
    check(old == 1, "leader: node 1 led first")
    check(new == 2, "leader: node 2 (the lowest id still running) took over (got %s)" % new)
    check(
        isinstance(lc.get("new_term"), int) and isinstance(lc.get("old_term"), int) and lc["new_term"] > lc["old_term"],
        "leader: term %s -> %s grows" % (lc.get("old_term"), lc.get("new_term")),
    )
    sd = lc.get("step_down") or {}
    check(
        sd.get("node") == old
        and sd.get("term", 0) >= (lc.get("new_term") or 1)
        and sd.get("told_by") in ids
        and sd.get("told_by") != old,
        "leader: node %s stepped down, told by node %s" % (old, sd.get("told_by")),
    )
    check(
        lc.get("old_leader_follows") == new and lc.get("old_leader_role") == "follower",
        "leader: the old leader now follows node %s" % new,
    )
    check(all(p != old for p in lc.get("stale_reply_sent_by", [])), "leader: stale replies come from the other nodes")

    # Authentication: with a key (the default) every node ran with it, and the forged datagrams
    # sent to each node were refused, each counted in its class, and acted on by none.
    if s.get("auth") is True:
        check(all(n.get("auth") is True for n in s["nodes"]), "auth: every node checked MACs")
        fg = s.get("forgery") or {}
        inj = fg.get("injected") or {}
        want = {
            "malformed": inj.get("unsigned"),
            "bad_mac": inj.get("wrong_key"),
            "unknown_key": inj.get("unknown_key_id"),
        }
        check(
            all(isinstance(v, int) and v > 0 for v in want.values()),
            "forgery: datagrams of every kind injected (%s)" % inj,
        )
        counted = fg.get("counted") or {}
        # Every node that was running then: all of them (the faults come later).
        check(sorted(int(i) for i in counted) == ids, "forgery: injected at every node (%s)" % sorted(counted))
        for nid, cnt in sorted(counted.items()):
            check(cnt == want, "forgery: node %s counted %s (sent %s)" % (nid, cnt, want))
        check(fg.get("accepted_by") == [], "forgery: no node acted on a forged datagram (%s)" % fg.get("accepted_by"))
        forged_gen = fg.get("forged_generation")
        check(
            isinstance(forged_gen, int)
            and all(forged_gen not in (n.get("incarnations") or []) for n in s["nodes"])
            and forged_gen not in (r.get("restarted_generation_seen") or {}).values(),
            "forgery: the forged incarnation %s appears nowhere" % forged_gen,
        )
        for n in s["nodes"]:
            if len(n.get("incarnations") or []) != 1:
                continue  # a restarted node's counters start afresh with its new process
            rj = n.get("rejected") or {}
            check(
                all((rj.get(k) or 0) >= (want[k] or 0) for k in want),
                "forgery: node %s's final counters include the forgeries (%s)" % (n["id"], rj),
            )
    else:
        print("skip auth: the demo ran with --no-auth")

    check(s.get("false_convictions") == [], "no false convictions (%d)" % len(s.get("false_convictions") or []))
    codes = s.get("exit_codes") or {}
    check(
        sorted(int(i) for i in codes) == ids and all(c == 0 for c in codes.values()),
        "every node exited 0 when its stdin closed (%s)" % codes,
    )
    check(s.get("ok") is True, "the demo reported success")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("demo summary: all checks passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_summary.py SUMMARY.json")
    sys.exit(main(sys.argv[1]))
