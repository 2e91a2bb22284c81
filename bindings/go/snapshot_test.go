package phifd

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// snapshotMonitor returns a monitor (exponential estimator, 1 s heartbeats) with node 1 sending
// 11 heartbeats one second apart (0..10 s), node 5 registered at 0 and silent, and node 3 with
// generation 2 and versioned heartbeats at 0, 2, 4 s.
func snapshotMonitor(t *testing.T) *Monitor {
	t.Helper()
	m := steady(t, exponential().SetFirstHeartbeatTimeout(30*time.Second), 11)
	if err := m.AddNode(5, 1, 0); err != nil {
		t.Fatal(err)
	}
	for i, at := range []uint64{0, 2 * sec, 4 * sec} {
		if _, err := m.HeartbeatVersion(3, 2, uint64(10+i), at); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestSnapshotEqualsNodeInfo(t *testing.T) {
	m := snapshotMonitor(t)
	for _, now := range []uint64{10 * sec, 12 * sec, 40 * sec} {
		snap, err := m.Snapshot(now)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap) != 3 || snap[0].Node != 1 || snap[1].Node != 3 || snap[2].Node != 5 {
			t.Fatalf("snapshot at %d s: nodes %+v, want 1, 3, 5 in order", now/sec, snap)
		}
		for _, e := range snap {
			i, err := m.NodeInfo(e.Node, now)
			if err != nil {
				t.Fatal(err)
			}
			failAt := i.SilenceOriginNs + uint64(i.FailAfter)
			until := time.Duration(0)
			if failAt > now {
				until = time.Duration(failAt - now)
			}
			want := SnapshotEntry{Node: i.Node, Generation: i.Generation, LastArrivalNs: i.LastArrivalNs,
				Phi: i.Phi, MeanNs: i.MeanNs, StdDevNs: i.StdDevNs, TimeUntilFailure: until,
				Version: i.Version, State: i.State, Confirmations: i.Confirmations}
			if e != want {
				t.Errorf("at %d s: snapshot %+v\nnode info gives %+v", now/sec, e, want)
			}
		}
	}
	// Values worked out by hand for node 1 (exponential: phi = silence / mean / ln 10, mean 1 s).
	snap, _ := m.Snapshot(12 * sec)
	n1 := snap[0]
	if n1.Generation != 1 || n1.LastArrivalNs != 10*sec || math.Abs(n1.MeanNs-1e9) > 1e-3 ||
		math.Abs(n1.Phi-2/math.Ln10) > 1e-9 || n1.State != StateAlive ||
		math.Abs(float64(n1.TimeUntilFailure)-(8*math.Ln10*1e9-2e9)) > 2 {
		t.Errorf("node 1 at 12 s: %+v", n1)
	}
	if n3 := snap[1]; n3.Generation != 2 || n3.Version != 12 || n3.LastArrivalNs != 4*sec {
		t.Errorf("node 3 at 12 s: %+v", n3)
	}
	if n5 := snap[2]; n5.State != StateUnknown || n5.LastArrivalNs != 0 {
		t.Errorf("node 5 at 12 s: %+v", n5)
	}
}

func TestSnapshotEmptyAndClosed(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	if snap, err := m.Snapshot(NowNs()); snap != nil || err != nil {
		t.Errorf("empty monitor: %v, %v", snap, err)
	}
	if text, err := m.Prometheus(NowNs()); err != nil || !strings.Contains(text, "phifd_monitor_nodes 0\n") {
		t.Errorf("empty monitor: %q, %v", text, err)
	}
	m.Close()
	if _, err := m.Snapshot(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot after Close: %v", err)
	}
	if _, err := m.Prometheus(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Prometheus after Close: %v", err)
	}
}

func TestSnapshotManyNodes(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const n = 1000
	for i := n; i >= 1; i-- {
		if err := m.Heartbeat(uint64(i)*7, 1, sec); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := m.Snapshot(sec)
	if err != nil || len(snap) != n {
		t.Fatalf("%d entries, %v", len(snap), err)
	}
	for i, e := range snap {
		if e.Node != uint64(i+1)*7 || e.State != StateAlive {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	// The Prometheus text of 1000 nodes is far beyond the first buffer: the retry must get it all.
	text, err := m.Prometheus(sec)
	if err != nil {
		t.Fatal(err)
	}
	samples := parseExposition(t, text)
	if len(samples[`phifd_node_phi{node="7000"}`]) != 1 || samples["phifd_monitor_nodes"][0] != n {
		t.Errorf("the rendering of %d nodes is incomplete (%d bytes)", n, len(text))
	}
}

// parseExposition parses Prometheus text format 0.0.4 strictly enough for the test: every line
// is "# HELP name text", "# TYPE name gauge|counter" (once per family, before its samples), or
// "name{labels} value" / "name value" with a family declared. Returns values by series.
func parseExposition(t *testing.T, text string) map[string][]float64 {
	t.Helper()
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("text does not end with a newline")
	}
	types := map[string]string{}
	help := map[string]bool{}
	out := map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# HELP "):
			f := strings.SplitN(l[len("# HELP "):], " ", 2)
			if len(f) != 2 || f[1] == "" || help[f[0]] {
				t.Fatalf("line %d: bad or repeated HELP %q", line, l)
			}
			help[f[0]] = true
		case strings.HasPrefix(l, "# TYPE "):
			f := strings.Fields(l[len("# TYPE "):])
			if len(f) != 2 || (f[1] != "gauge" && f[1] != "counter") || types[f[0]] != "" {
				t.Fatalf("line %d: bad or repeated TYPE %q", line, l)
			}
			types[f[0]] = f[1]
		default:
			sp := strings.LastIndexByte(l, ' ')
			if sp < 0 {
				t.Fatalf("line %d: no value in %q", line, l)
			}
			series, value := l[:sp], l[sp+1:]
			name := series
			if i := strings.IndexByte(series, '{'); i >= 0 {
				name = series[:i]
				if !strings.HasSuffix(series, "}") {
					t.Fatalf("line %d: unterminated labels in %q", line, l)
				}
				for _, kv := range strings.Split(series[i+1:len(series)-1], ",") {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
						t.Fatalf("line %d: bad label %q", line, kv)
					}
				}
			}
			if types[name] == "" || !help[name] {
				t.Fatalf("line %d: sample of undeclared family %q", line, name)
			}
			v, err := strconv.ParseFloat(value, 64)
			if err != nil || math.IsNaN(v) {
				t.Fatalf("line %d: bad value %q", line, value)
			}
			if types[name] == "counter" && (!strings.HasSuffix(name, "_total") || v < 0) {
				t.Fatalf("line %d: bad counter %q", line, l)
			}
			out[series] = append(out[series], v)
		}
	}
	for series, vs := range out {
		if len(vs) != 1 {
			t.Errorf("series %s appears %d times", series, len(vs))
		}
	}
	return out
}

func TestPrometheusText(t *testing.T) {
	m := snapshotMonitor(t)
	if _, err := m.HeartbeatVersion(3, 2, 11, 3*sec); err != nil { // an old version: a duplicate
		t.Fatal(err)
	}
	if err := m.Heartbeat(1, 0, 10*sec); !errors.Is(err, ErrStaleGeneration) {
		t.Fatalf("stale heartbeat: %v", err)
	}
	const now = 12 * sec
	text, err := m.Prometheus(now)
	if err != nil {
		t.Fatal(err)
	}
	s := parseExposition(t, text)
	near := func(series string, want float64) {
		t.Helper()
		got, ok := s[series]
		if !ok {
			t.Errorf("no series %s", series)
		} else if math.Abs(got[0]-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", series, got[0], want)
		}
	}
	// Node 1, by hand: mean 1 s, silence 2 s, phi = 2 / ln 10, conviction at 8 ln 10 s of silence.
	near(`phifd_node_phi{node="1"}`, 2/math.Ln10)
	near(`phifd_node_generation{node="1"}`, 1)
	near(`phifd_node_silence_seconds{node="1"}`, 2)
	near(`phifd_node_mean_interval_seconds{node="1"}`, 1)
	near(`phifd_node_time_until_conviction_seconds{node="1"}`, 8*math.Ln10-2)
	// Node 3: generation 2, silent since 4 s. Node 5: silent since its registration at 0.
	near(`phifd_node_generation{node="3"}`, 2)
	near(`phifd_node_silence_seconds{node="3"}`, 8)
	near(`phifd_node_silence_seconds{node="5"}`, 12)
	// One-hot states.
	for node, state := range map[string]string{"1": "alive", "5": "unknown"} {
		sum := 0.0
		for _, st := range []string{"unknown", "alive", "suspect", "failed"} {
			series := fmt.Sprintf(`phifd_node_state{node="%s",state="%s"}`, node, st)
			want := 0.0
			if st == state {
				want = 1
			}
			near(series, want)
			if v, ok := s[series]; ok {
				sum += v[0]
			}
		}
		if sum != 1 {
			t.Errorf("node %s: states sum to %v", node, sum)
		}
	}
	// Every value agrees with the snapshot taken at the same time.
	snap, err := m.Snapshot(now)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snap {
		id := strconv.FormatUint(e.Node, 10)
		near(`phifd_node_phi{node="`+id+`"}`, e.Phi)
		near(`phifd_node_interval_stddev_seconds{node="`+id+`"}`, e.StdDevNs/1e9)
		near(`phifd_node_time_until_conviction_seconds{node="`+id+`"}`, e.TimeUntilFailure.Seconds())
	}
	near("phifd_monitor_nodes", 3)
	near("phifd_monitor_local_health", 0)
	near("phifd_monitor_stale_heartbeats_total", 1)
	near("phifd_monitor_duplicate_heartbeats_total", 1)
	near("phifd_monitor_dropped_events_total", 0)
	if _, ok := s["phifd_monitor_pauses_total"]; !ok {
		t.Error("no phifd_monitor_pauses_total")
	}
	for _, family := range []string{"phifd_node_samples", "phifd_node_interval_stddev_seconds"} {
		if !strings.Contains(text, "# TYPE "+family+" gauge\n") {
			t.Errorf("no gauge %s", family)
		}
	}
}
