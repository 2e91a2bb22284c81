#!/usr/bin/env python3
"""Markdown tables of docs/quality.md's QoS section from `phifd eval --qos --qos-compare --json` output.

Usage: qos_tables.py OUT_DIR TRACE... (reads OUT_DIR/TRACE.json and, if present,
OUT_DIR/TRACE.warm.json, the same replay with the first $WARMUP left out; prints markdown).
"""

import json
import os
import sys


def f3(x):
    return "-" if x is None else f"{x:.3f}"


def rate(x):
    if x is None:
        return "-"
    return "0" if x == 0 else f"{x:.3g}"


def feasible(nodes):
    ok = sum(1 for n in nodes if n["checkpoints"] and n["checkpoints"][-1]["feasible"])
    return f"{ok}/{len(nodes)}"


def main():
    out, traces = sys.argv[1], sys.argv[2:]
    runs, warm = [], {}
    for t in traces:
        with open(f"{out}/{t}.json") as f:
            runs.append((t, json.load(f)))
        try:
            with open(f"{out}/{t}.warm.json") as f:
                warm[t] = json.load(f)
        except FileNotFoundError:
            pass
    print("### (a) Requested versus achieved\n")
    print(
        "| trace | targets T_D, T_MR | λ_M req. /h | λ_M achieved /h (95 % CI) | mistakes | "
        "mean T_D (s) | max T_D (s) | mean T_M (s) | feasible at end | verdict | "
        f"after the first {os.environ.get('WARMUP', '1h')} (warm-up left out): λ_M /h (95 % CI), mistakes, verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for t, levels in runs:
        for i, r in enumerate(levels):
            a, tg = r["all"], r["targets"]
            lo, hi = a["lambda_m_ci95_per_h"]
            w = "-"
            if t in warm and i < len(warm[t]):
                b = warm[t][i]["all"]
                wlo, whi = b["lambda_m_ci95_per_h"]
                w = f"{rate(b['lambda_m_per_h'])} ({rate(wlo)}–{rate(whi)}), {b['mistakes']}, {b['verdict']}"
            print(
                f"| {t} | {tg['max_detection_ns'] / 1e9:g} s, {tg['min_mistake_recurrence_ns'] / 1e9:g} s "
                f"| {tg['lambda_m_per_h']:.3g} | {rate(a['lambda_m_per_h'])} ({rate(lo)}–{rate(hi)}) "
                f"| {a['mistakes']} | {f3(a['t_d_mean_s'])} | {f3(a['t_d_max_s'])} | {f3(a['t_m_mean_s'])} "
                f"| {feasible(r['nodes'])} | {a['verdict']} | {w} |"
            )
    print("\n### (b) Mean T_D at equal achieved λ_M: QoS monitor versus the best global threshold\n")
    print(
        "| trace | targets | λ_M achieved /h | QoS mean T_D (s) | best global mean T_D (s) | ratio | "
        "best global candidate | tune's pick (Φ, λ_M /h, T_D s) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for t, levels in runs:
        for r in levels:
            a, tg = r["all"], r["targets"]
            g = r.get("global_at_equal_lambda") or {}
            gt = g.get("t_d_mean_s")
            ratio = "-" if gt is None or a["t_d_mean_s"] is None else f"{a['t_d_mean_s'] / gt:.3f}"
            p = g.get("tune_pick")
            pick = (
                "-"
                if not p
                else f"{p['estimator']} {p['threshold']:g}, {rate(p['lambda_m_per_h'])}, {p['t_d_mean_s']:.3f}"
            )
            print(
                f"| {t} | {tg['max_detection_ns'] / 1e9:g} s, {tg['min_mistake_recurrence_ns'] / 1e9:g} s "
                f"| {rate(a['lambda_m_per_h'])} | {f3(a['t_d_mean_s'])} | {f3(gt)} | {ratio} | {g.get('candidate', '-')} | {pick} |"
            )
    for t, levels in runs:
        if t != "mixed":
            continue
        print("\n### Mixed cluster, per node\n")
        print(
            "| targets | node | λ_M /h (95 % CI) | mean T_D (s) | max T_D (s) | mean T_M (s) | "
            "library's deadline at end (s) | predicted T_D (s) | feasible checkpoints | verdict |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in levels:
            tg = r["targets"]
            for n in r["nodes"]:
                lo, hi = n["lambda_m_ci95_per_h"]
                c = n["checkpoints"][-1] if n["checkpoints"] else {}
                fc = sum(1 for x in n["checkpoints"] if x["feasible"])
                print(
                    f"| {tg['max_detection_ns'] / 1e9:g} s, {tg['min_mistake_recurrence_ns'] / 1e9:g} s | {n['node']} "
                    f"| {rate(n['lambda_m_per_h'])} ({rate(lo)}–{rate(hi)}) | {f3(n['t_d_mean_s'])} | {f3(n['t_d_max_s'])} "
                    f"| {f3(n['t_m_mean_s'])} | {f3(c.get('deadline_s'))} | {f3(c.get('predicted_detection_s'))} "
                    f"| {fc}/{len(n['checkpoints'])} | {n['verdict']} |"
                )


if __name__ == "__main__":
    main()
