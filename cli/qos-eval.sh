#!/usr/bin/env bash
# QoS measurements of docs/quality.md ("QoS targets: requested versus achieved"): every
# scenario of `phifd simulate`, the mixed cluster and the PlanetLab node5 sender log under
# the WAN network model, each replayed through a phifd monitor configured with QoS targets
# at three levels, against the best single global threshold chosen with hindsight by
# `phifd tune`'s candidates on the same trace.
#
# Usage: cli/qos-eval.sh [--short]
#   OUT   output directory (default build/qos-eval; --short: build/qos-eval-short)
#   DUR   simulated duration per scenario (default 6h; --short: 20m)
#   DATA  directory with the full PlanetLab log sentinterval-node5.csv.gz (public failure-detector
#         benchmark, data/Node5/sentinterval.csv, gzipped); unset or missing: the 20,000-row head
#         in cli/tests/data (the tables in docs/quality.md were made with the full log)
#   SVG   1 to write docs/img/quality-qos-*.svg (default 1 for the long run, 0 for --short)
#   CHECKPOINTS  QoS reports per node over a replay (default 48: the library's infeasibility
#         reports are sampled often enough to be seen before the mistakes they excuse)
#   WARMUP  the leading part of each stream left out of the warm-up column (default 1h; --short 5m)
#   QOS_WARMUP  the library's QoS warm-up passed as --qos-warmup (default: unset, the library's
#         default min(T_MR, 1 h); 0 shows what the monitor does without one)
# Writes $OUT/<trace>.json, $OUT/<trace>.warm.json and $OUT/<trace>.txt per trace and $OUT/tables.md; exits 1 if a
# node missed its targets without the library reporting them infeasible.
set -euo pipefail
cd "$(dirname "$0")/.."
SHORT=0
[ "${1:-}" = "--short" ] && SHORT=1
if [ $SHORT = 1 ]; then
  OUT=${OUT:-build/qos-eval-short}; DUR=${DUR:-20m}; SVG=${SVG:-0}; CRASHES=${CRASHES:-200}
else
  OUT=${OUT:-build/qos-eval}; DUR=${DUR:-6h}; SVG=${SVG:-1}; CRASHES=${CRASHES:-1000}
fi
DATA=${DATA:-}
CHECKPOINTS=${CHECKPOINTS:-48}
if [ $SHORT = 1 ]; then WARMUP=${WARMUP:-5m}; else WARMUP=${WARMUP:-1h}; fi
export WARMUP
NODE5=${DATA:+$DATA/sentinterval-node5.csv.gz}
[ -n "$NODE5" ] && [ -f "$NODE5" ] || NODE5=cli/tests/data/planetlab-node5-head20k.csv.gz
B=${PHIFD:-target/release/phifd}
LEVELS=(500ms,10m 1s,1h 2s,6h)
mkdir -p "$OUT"
[ -x "$B" ] || cargo build --release -p phifd-cli
start=$(date +%s)
traces=()
for sc in lan sender-gc monitor-pause regime-shift burst-loss crash wan mixed; do
  [ -f "$OUT/$sc.csv.gz" ] || $B simulate $sc --seed 1 --duration "$DUR" -o "$OUT/$sc.csv.gz"
  traces+=("$sc")
done
[ -f "$OUT/node5-wan.csv.gz" ] || $B convert planetlab "$NODE5" --delay wan --loss wan --seed 1 -o "$OUT/node5-wan.csv.gz"
traces+=(node5-wan)
qos_args=()
for l in "${LEVELS[@]}"; do qos_args+=(--qos "$l"); done
[ -n "${QOS_WARMUP:-}" ] && qos_args+=(--qos-warmup "$QOS_WARMUP")
for t in "${traces[@]}"; do
  svg=()
  if [ "$SVG" = 1 ] && { [ "$t" = mixed ] || [ "$t" = wan ]; }; then
    svg=(--svg "docs/img/quality-qos-$t.svg")
  fi
  $B eval "$OUT/$t.csv.gz" --interval 100ms --crashes "$CRASHES" "${qos_args[@]}" --qos-checkpoints "$CHECKPOINTS" --qos-compare "${svg[@]}" >"$OUT/$t.txt"
  $B eval "$OUT/$t.csv.gz" --interval 100ms --crashes "$CRASHES" "${qos_args[@]}" --qos-checkpoints "$CHECKPOINTS" --qos-compare --json >"$OUT/$t.json"
  # The same replay with the first WARMUP of each stream left out of the counts (mistakes made
  # before the long memory has seen the rare gaps), reported in a column of its own.
  $B eval "$OUT/$t.csv.gz" --interval 100ms --crashes "$CRASHES" "${qos_args[@]}" --qos-checkpoints "$CHECKPOINTS" --warmup "$WARMUP" --json >"$OUT/$t.warm.json"
done
python3 cli/qos_tables.py "$OUT" "${traces[@]}" >"$OUT/tables.md"
echo "qos-eval: $(( $(date +%s) - start )) s; tables in $OUT/tables.md"
! grep -q MISSED "$OUT"/*.txt
