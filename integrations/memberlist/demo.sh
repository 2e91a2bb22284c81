#!/usr/bin/env bash
# Four phifd-ml-node members on loopback (ports 7451-7454). n1 prints every member's state by
# both detectors each second; after 12 s n4 is killed (SIGKILL), and the table shows phifd and
# memberlist's SWIM declaring it. Usage: demo.sh [path/to/phifd-ml-node]
set -euo pipefail
node=${1:-build/memberlist/phifd-ml-node}
[ -x "$node" ] || { echo "demo.sh: $node not found; run make memberlist-build" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do { kill -9 "$p"; wait "$p"; } 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
common=(--join 127.0.0.1:7451 --scale 0.5 --threshold 8 --acceptable-pause 1s --state-dir "$dir")
"$node" --name n1 --port 7451 "${common[@]}" --status 1s --http 127.0.0.1:7459 &
pids+=($!)
sleep 0.3
for i in 2 3 4; do
  "$node" --name "n$i" --port "745$i" "${common[@]}" >"$dir/n$i.log" 2>&1 &
  pids+=($!)
done
sleep 12
echo "=== metrics of n1 (curl http://127.0.0.1:7459/metrics), first lines:"
(curl -s http://127.0.0.1:7459/metrics 2>/dev/null || true) | grep -E '^phifd_(memberlist_member|node_time_until_conviction_seconds)[{]' | head -6
echo "=== killing n4 (SIGKILL)"
{ kill -9 "${pids[3]}"; wait "${pids[3]}"; } 2>/dev/null || true
sleep 8
