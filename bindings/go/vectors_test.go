package phifd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The scenario vectors shared by every binding; their expected values were derived
// independently of the library (see each file's "source").
const vectorDir = "../../tests/vectors"

func loadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keeps 64-bit integers exact
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func u64(t *testing.T, v any, what string) uint64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: %v is not a number", what, v)
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return u
}

func f64(t *testing.T, v any, what string) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: %v is not a number", what, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return f
}

// optF64 returns the number under key, or def when absent.
func optF64(t *testing.T, m map[string]any, key string, def float64) float64 {
	if v, ok := m[key]; ok {
		return f64(t, v, key)
	}
	return def
}

// vectorConfig sets exactly the keys present in the vector's config.
func vectorConfig(t *testing.T, raw any) *Config {
	c := NewConfig()
	obj, _ := raw.(map[string]any)
	for k, v := range obj {
		switch k {
		case "estimator":
			switch v {
			case "akka":
				c.SetEstimator(EstimatorAkka)
			case "normal":
				c.SetEstimator(EstimatorNormal)
			case "exponential":
				c.SetEstimator(EstimatorExponential)
			default:
				t.Fatalf("unknown estimator %v", v)
			}
		case "threshold":
			c.SetThreshold(f64(t, v, k))
		case "suspect_threshold":
			c.SetSuspectThreshold(f64(t, v, k))
		case "window":
			c.SetWindow(u64(t, v, k))
		case "heartbeat_interval_ns":
			c.SetHeartbeatInterval(time.Duration(u64(t, v, k)))
		case "min_std_deviation_ns":
			c.SetMinStdDeviation(time.Duration(u64(t, v, k)))
		case "acceptable_pause_ns":
			c.SetAcceptablePause(time.Duration(u64(t, v, k)))
		case "max_interval_ns":
			c.SetMaxInterval(time.Duration(u64(t, v, k)))
		case "round_trip_ns":
			c.SetRoundTrip(time.Duration(u64(t, v, k)))
		case "first_heartbeat_timeout_ns":
			c.SetFirstHeartbeatTimeout(time.Duration(u64(t, v, k)))
		case "recovery_heartbeats":
			c.SetRecoveryHeartbeats(uint32(u64(t, v, k)))
		default:
			t.Fatalf("unknown config key %q", k)
		}
	}
	return c
}

// statusName is the C name of err's status, "PHIFD_OK" for nil.
func statusName(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "PHIFD_OK"
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *phifd.Error", err)
	}
	return e.Status.String()
}

// closeTo is the vectors' comparison rule (tests/vectors.rs): absolute tolerance, or relative
// tolerance when the tolerance is a small positive fraction.
func closeTo(got, want, tol float64) bool {
	if math.Abs(got-want) <= tol {
		return true
	}
	return want != 0 && math.Abs((got-want)/want) <= tol && tol > 0 && tol < 1e-3
}

// replayVector runs one vector, appending "name step bits" for every successful phi query.
func replayVector(t *testing.T, path string, bits *[]string) {
	v := loadJSON(t, path)
	name, _ := v["name"].(string)
	m, err := NewMonitor(vectorConfig(t, v["config"]))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer m.Close()
	steps, _ := v["steps"].([]any)
	if len(steps) == 0 {
		t.Fatalf("%s: no steps", name)
	}
	for i, raw := range steps {
		step := raw.(map[string]any)
		ctx := fmt.Sprintf("%s step %d (%v)", name, i, step)
		var node, now uint64
		if x, ok := step["node"]; ok {
			node = u64(t, x, "node")
		}
		if x, ok := step["time_ns"]; ok {
			now = u64(t, x, "time_ns")
		}
		want := "PHIFD_OK"
		if s, ok := step["expect_status"].(string); ok {
			want = s
		}
		check := func(err error) bool {
			t.Helper()
			if got := statusName(t, err); got != want {
				t.Errorf("%s: status %s (%v), want %s", ctx, got, err, want)
				return false
			}
			return err == nil
		}
		switch op := step["op"].(string); op {
		case "heartbeat":
			check(m.Heartbeat(node, u64(t, step["generation"], "generation"), now))
		case "add_node":
			check(m.AddNode(node, u64(t, step["generation"], "generation"), now))
		case "remove":
			check(m.Remove(node))
		case "phi":
			p, err := m.Phi(node, now)
			if !check(err) {
				continue
			}
			*bits = append(*bits, fmt.Sprintf("%s %d %016x", name, i, math.Float64bits(p)))
			if x, ok := step["expect_phi"]; ok {
				w, tol := f64(t, x, "expect_phi"), optF64(t, step, "tolerance", 1e-9)
				if !closeTo(p, w, tol) {
					t.Errorf("%s: phi %v, want %v ± %v", ctx, p, w, tol)
				}
			}
		case "time_until_phi":
			d, err := m.TimeUntilPhi(node, f64(t, step["phi"], "phi"))
			if !check(err) {
				continue
			}
			if x, ok := step["expect_ns"]; ok {
				w, tol := f64(t, x, "expect_ns"), optF64(t, step, "tolerance_ns", 1)
				if math.Abs(float64(d.Nanoseconds())-w) > tol {
					t.Errorf("%s: %d ns, want %v ± %v", ctx, d.Nanoseconds(), w, tol)
				}
			}
		case "info":
			info, err := m.NodeInfo(node, now)
			if !check(err) {
				continue
			}
			tol := optF64(t, step, "tolerance", 1e-9)
			for k, w := range step["expect"].(map[string]any) {
				switch k {
				case "state":
					if info.State.String() != w {
						t.Errorf("%s: state %v, want %v", ctx, info.State, w)
					}
				case "generation":
					if info.Generation != u64(t, w, k) {
						t.Errorf("%s: generation %d, want %v", ctx, info.Generation, w)
					}
				case "samples":
					if info.Samples != u64(t, w, k) {
						t.Errorf("%s: samples %d, want %v", ctx, info.Samples, w)
					}
				case "mean_ns":
					if !closeTo(info.MeanNs, f64(t, w, k), tol) {
						t.Errorf("%s: mean %v, want %v", ctx, info.MeanNs, w)
					}
				case "sd_ns":
					if !closeTo(info.StdDevNs, f64(t, w, k), tol) {
						t.Errorf("%s: sd %v, want %v", ctx, info.StdDevNs, w)
					}
				default:
					t.Fatalf("%s: unknown info field %q", ctx, k)
				}
			}
		case "poll":
			got, err := m.Poll(now)
			if !check(err) {
				continue
			}
			wantEvents, _ := step["expect_events"].([]any)
			if len(got) != len(wantEvents) {
				t.Errorf("%s: got %d events %v, want %d", ctx, len(got), got, len(wantEvents))
				continue
			}
			for j, we := range wantEvents {
				w, g := we.(map[string]any), got[j]
				if g.Node != u64(t, w["node"], "node") || g.Kind.String() != w["kind"] ||
					g.From.String() != w["from"] || g.To.String() != w["to"] {
					t.Errorf("%s: event %d is %v, want %v", ctx, j, g, w)
				}
				if x, ok := w["time_ns"]; ok && g.TimeNs != u64(t, x, "time_ns") {
					t.Errorf("%s: event %d time %d, want %v", ctx, j, g.TimeNs, x)
				}
				if x, ok := w["generation"]; ok && g.Generation != u64(t, x, "generation") {
					t.Errorf("%s: event %d generation %d, want %v", ctx, j, g.Generation, x)
				}
				if x, ok := w["phi"]; ok && !closeTo(g.Phi, f64(t, x, "phi"), 1e-6) {
					t.Errorf("%s: event %d phi %v, want %v", ctx, j, g.Phi, x)
				}
			}
		default:
			t.Fatalf("%s: unknown op %q", ctx, op)
		}
	}
}

// TestVectors replays every scenario vector and compares the bits of every phi with the golden
// file written by the Rust core: the binding must add nothing to the numbers.
func TestVectors(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) < 6 {
		t.Fatalf("expected the scenario vectors in %s, found %d", vectorDir, len(paths))
	}
	var bits []string
	for _, p := range paths {
		replayVector(t, p, &bits)
	}
	golden, err := os.ReadFile(filepath.Join(vectorDir, "phi_bits.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimRight(string(golden), "\n"), "\n")
	if len(bits) != len(want) {
		t.Fatalf("%d phi values, golden file has %d", len(bits), len(want))
	}
	for i := range want {
		if bits[i] != want[i] {
			t.Errorf("phi bits differ: got %q, golden %q", bits[i], want[i])
		}
	}
}
