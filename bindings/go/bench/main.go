// Command bench compares phifd's Go binding (cgo; single and batch calls) with pure-Go phi-accrual
// failure detectors.
//
// The published pure-Go detectors (github.com/dgryski/go-failure, github.com/joa/failuredetector,
// github.com/DMW2151/go-failure) are not served by the Go module proxy this project can reach
// (403 "This module version is not available"), so the pure-Go side is akkaDetector (akka.go):
// a straightforward port of Akka's PhiAccrualFailureDetector, as an application would write or
// vendor it (a ring of float64 intervals with running sums, the logistic tail), timed once as is
// (single goroutine) and once behind a sync.Mutex (safe for concurrent use, as phifd is).
//
// Usage: go run . [-rounds R] [-quick]   (from bindings/go/bench; `make bench-go-peers`)
//
// Prints Markdown tables: ns per heartbeat and per phi query at windows of 100 and 1,000 samples,
// on one hot node and on 10,000 nodes (the pure-Go detectors in a map[uint64]*T, one per node, as
// an application keeps them); every implementation is timed once per round in rotating order, in
// slices of 1,000 consecutive calls (a batch of 1,000 records is one slice), the figures are
// medians over all slices of all rounds and the ratios are between medians of this same run.
// Two floors are timed beside the binding (rawc.go): phifd_heartbeat / phifd_phi called straight
// through cgo on a monitor made with the C API (what the binding adds is the difference), and a
// cgo call to an empty C function (what any cgo binding pays). Then phi on
// the steady heartbeat of the Rust benchmark against the Akka model's exact value. Exit status 1
// if a phifd call fails or phifd's phi differs from the exact value; timings are never judged.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	phifd "github.com/phifd/phifd/bindings/go"
)

const (
	ms     = uint64(1_000_000)
	period = 1_000 * ms
	t0     = 1_000 * period
	batch  = 1_000
)

var jitter [4096]uint64

func init() {
	x := uint64(0x9E3779B97F4A7C15)
	for i := range jitter {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		jitter[i] = x % (40 * ms)
	}
}

// arrival is node i's arrival time in round k (ns): a steady 1 s period plus a jitter in [0, 40 ms).
func arrival(i, k uint64) uint64 { return t0 + k*period + jitter[(i*31+k)&4095] }

// queryOffset is the silence of the c-th phi query (ns): cycles 0.2 s .. 1.5 s.
func queryOffset(c uint64) uint64 { return 200*ms + ((c*7)&15)*87_500_000 }

var failures int

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", a...)
	failures++
}

// subject is one implementation holding n nodes; k is the next heartbeat round.
type subject interface {
	name() string
	// hb makes calls heartbeats continuing the rounds and returns ns per heartbeat of each
	// slice of consecutive calls (each slice timed on its own).
	hb(calls uint64) []float64
	// phi makes calls phi queries after the last round and returns ns per query of each slice.
	phi(calls uint64) []float64
}

// slice is the number of consecutive calls timed together: tens of microseconds, so that on a
// shared machine most slices run without being preempted, and the median over slices is the
// cost of the call rather than of the wait for a CPU (a whole-round figure includes that wait:
// on a machine loaded beyond its CPU count it can be several times the call's cost).
const slice = 1000

var sink float64

func newMonitor(window uint64) *phifd.Monitor {
	cfg := phifd.NewConfig().SetWindow(window).SetHeartbeatInterval(time.Second).
		SetMinStdDeviation(100 * time.Millisecond).SetAcceptablePause(0)
	m, err := phifd.NewMonitor(cfg)
	if err != nil {
		fail("NewMonitor: %v", err)
		os.Exit(1)
	}
	return m
}

type phifdSingle struct {
	m       *phifd.Monitor
	n, k, i uint64 // nodes, next round, next node
}

func (s *phifdSingle) name() string { return "phifd (cgo, single calls)" }
func (s *phifdSingle) hb(calls uint64) []float64 {
	var out []float64
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			if err := s.m.Heartbeat(s.i, 1, arrival(s.i, s.k)); err != nil {
				fail("Heartbeat: %v", err)
			}
			if s.i++; s.i == s.n {
				s.i, s.k = 0, s.k+1
			}
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	return out
}
func (s *phifdSingle) phi(calls uint64) []float64 {
	base := t0 + (s.k-1)*period + 40*ms
	acc := 0.0
	var out []float64
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			v, err := s.m.Phi(c%s.n, base+queryOffset(c))
			if err != nil {
				fail("Phi: %v", err)
			}
			acc += v
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	sink += acc
	return out
}

type phifdBatch struct {
	m                  *phifd.Monitor
	n, k               uint64
	nodes, gens, times []uint64
	out                []float64
}

func (s *phifdBatch) name() string { return "phifd (cgo, batches of 1,000)" }
func (s *phifdBatch) hb(calls uint64) []float64 {
	// The records of each batch are built outside the timed call (an application receives them);
	// each batch is one timed slice.
	var out []float64
	var total int64
	for uint64(total) < calls {
		s.nodes, s.times = s.nodes[:0], s.times[:0]
		for len(s.nodes) < batch {
			for i := uint64(0); i < s.n; i++ {
				s.nodes = append(s.nodes, i)
				s.times = append(s.times, arrival(i, s.k))
			}
			s.k++
		}
		for len(s.gens) < len(s.nodes) {
			s.gens = append(s.gens, 1)
		}
		start := time.Now()
		if err := s.m.HeartbeatBatch(s.nodes, s.gens[:len(s.nodes)], s.times, nil); err != nil {
			fail("HeartbeatBatch: %v", err)
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(len(s.nodes)))
		total += int64(len(s.nodes))
	}
	return out
}
func (s *phifdBatch) phi(calls uint64) []float64 {
	nodes := make([]uint64, batch)
	for c := range nodes {
		nodes[c] = uint64(c) % s.n
	}
	if len(s.out) < batch {
		s.out = make([]float64, batch)
	}
	base := t0 + (s.k-1)*period + 40*ms
	reps := calls / batch
	if reps == 0 {
		reps = 1
	}
	var out []float64
	for r := uint64(0); r < reps; r++ {
		start := time.Now()
		if err := s.m.PhiBatch(nodes, base+queryOffset(r), s.out); err != nil {
			fail("PhiBatch: %v", err)
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(batch))
	}
	sink += s.out[0]
	return out
}

// detector is what the pure-Go subjects hold per node.
type detector interface {
	Heartbeat(nowNs uint64)
	Phi(nowNs uint64) float64
}

type pureGo struct {
	label string
	one   detector
	many  map[uint64]detector
	n, k  uint64
	i     uint64 // next node
}

func newPureGo(label string, n uint64, make func() detector) *pureGo {
	p := &pureGo{label: label, n: n}
	if n == 1 {
		p.one = make()
	} else {
		p.many = make2(n, make)
	}
	return p
}

func make2(n uint64, make func() detector) map[uint64]detector {
	m := map[uint64]detector{}
	for i := uint64(0); i < n; i++ {
		m[i] = make()
	}
	return m
}

func (p *pureGo) get(i uint64) detector {
	if p.one != nil {
		return p.one
	}
	return p.many[i]
}
func (p *pureGo) name() string { return p.label }
func (p *pureGo) hb(calls uint64) []float64 {
	var out []float64
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			p.get(p.i).Heartbeat(arrival(p.i, p.k))
			if p.i++; p.i == p.n {
				p.i, p.k = 0, p.k+1
			}
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	return out
}
func (p *pureGo) phi(calls uint64) []float64 {
	base := t0 + (p.k-1)*period + 40*ms
	acc := 0.0
	var out []float64
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			acc += p.get(c % p.n).Phi(base + queryOffset(c))
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	sink += acc
	return out
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

type result struct {
	name    string
	hb, phi float64
}

func bench(window, n uint64, rounds int, calls uint64) []result {
	m1, m2 := newMonitor(window), newMonitor(window)
	defer m1.Close()
	defer m2.Close()
	raw := newRawC(window, n)
	defer raw.close()
	subjects := []subject{
		&phifdSingle{m: m1, n: n},
		&phifdBatch{m: m2, n: n},
		raw,
		cgoNoop{},
		newPureGo("Akka port, pure Go (single goroutine)", n, func() detector { return newAkka(int(window)) }),
		newPureGo("Akka port, pure Go (sync.Mutex)", n, func() detector { return &lockedAkka{d: newAkka(int(window))} }),
	}
	for _, s := range subjects {
		s.hb(n * (window + 2)) // fill every window
	}
	// Drain the first-heartbeat events and check that phifd's windows are full.
	tq := t0 + (window+1)*period + 40*ms
	for _, m := range []*phifd.Monitor{m1, m2} {
		if _, err := m.Poll(tq); err != nil {
			fail("Poll: %v", err)
		}
		info, err := m.NodeInfo(n-1, tq)
		if err != nil || uint64(info.Samples) != window {
			fail("phifd window not full: %v samples, %v", info.Samples, err)
		}
	}
	hb := make([][]float64, len(subjects))
	ph := make([][]float64, len(subjects))
	if calls < n {
		calls = n
	}
	for r := 0; r < rounds; r++ {
		for j := range subjects {
			idx := (j + r) % len(subjects)
			hb[idx] = append(hb[idx], subjects[idx].hb(calls)...)
		}
		for j := range subjects {
			idx := (j + r) % len(subjects)
			ph[idx] = append(ph[idx], subjects[idx].phi(calls)...)
		}
	}
	out := make([]result, len(subjects))
	for i, s := range subjects {
		out[i] = result{s.name(), median(hb[i]), median(ph[i])}
	}
	return out
}

func intervalMs(i uint64) uint64 {
	if i%2 == 0 {
		return 900
	}
	return 1100
}

// expectedAkka is the Akka model's exact phi: a window of `window` intervals seeded with 750 and
// 1,250 ms, the sd floored at 100 ms, no acceptable pause; integer sums, then the logistic tail.
func expectedAkka(heartbeats, window uint64, silenceMs float64) float64 {
	xs := []int64{750, 1250}
	for i := uint64(0); i+1 < heartbeats; i++ {
		xs = append(xs, int64(intervalMs(i)))
	}
	if uint64(len(xs)) > window {
		xs = xs[uint64(len(xs))-window:]
	}
	var s, q int64
	for _, x := range xs {
		s += x
		q += x * x
	}
	n := int64(len(xs))
	mean := float64(s) / float64(n)
	sd := math.Max(math.Sqrt(float64(n*q-s*s)/float64(n*n)), 100)
	y := (silenceMs - mean) / sd
	z := y * (1.5976 + 0.070566*y*y)
	return math.Log10(1 + math.Exp(z))
}

func correctness() {
	fmt.Println("\n### Correctness: phi on a steady heartbeat (900/1,100 ms alternating), vs. the Akka model's exact value")
	fmt.Println()
	fmt.Println("| window | heartbeats | silence | exact | phifd (cgo) | Akka port, pure Go |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	for _, window := range []uint64{100, 1000} {
		for _, hbs := range []uint64{50, 1000, 10000} {
			m := newMonitor(window)
			d := newAkka(int(window))
			t := t0
			for i := uint64(0); i < hbs; i++ {
				if i > 0 {
					t += intervalMs(i-1) * ms
				}
				if err := m.Heartbeat(7, 1, t); err != nil {
					fail("Heartbeat: %v", err)
				}
				d.Heartbeat(t)
			}
			for _, silence := range []uint64{1000, 1300} {
				want := expectedAkka(hbs, window, float64(silence))
				got, err := m.Phi(7, t+silence*ms)
				if err != nil {
					fail("Phi: %v", err)
				}
				show := func(v float64) string {
					e := math.Abs(v-want) / want
					if e <= 1e-9 {
						return fmt.Sprintf("%.6f", v)
					}
					return fmt.Sprintf("**%.6f** (error %.1e)", v, e)
				}
				if math.Abs(got-want)/want > 1e-9 {
					fail("phifd phi %v differs from the exact %v", got, want)
				}
				fmt.Printf("| %d | %d | %d ms | %.6f | %s | %s |\n", window, hbs, silence, want, show(got), show(d.Phi(t+silence*ms)))
			}
			m.Close()
		}
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func main() {
	rounds := flag.Int("rounds", 15, "timed rounds per figure")
	quick := flag.Bool("quick", false, "tiny sizes: checks the harness only")
	flag.Parse()
	calls, many := uint64(100_000), uint64(10_000)
	if *quick {
		*rounds, calls, many = 3, 2_000, 200
	}
	start := time.Now()
	fmt.Printf("phifd %s via cgo, %s, GOMAXPROCS %d, load average at start: %s\n", phifd.Version(), runtime.Version(),
		runtime.GOMAXPROCS(0), loadavg())
	fmt.Printf("%d rounds per figure, implementations timed in rotating order\n\n", *rounds)
	fmt.Println("### Go: ns per operation (median over slices of 1,000 calls) and ratio to phifd single calls")
	fmt.Println()
	fmt.Println("| implementation | window | nodes | heartbeat ns | phi ns | heartbeat / phifd single | phi / phifd single |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, w := range []uint64{100, 1000} {
		for _, n := range []uint64{1, many} {
			res := bench(w, n, *rounds, calls)
			for _, r := range res {
				fmt.Printf("| %s | %d | %d | %.1f | %.1f | %.2fx | %.2fx |\n", r.name, w, n, r.hb, r.phi, r.hb/res[0].hb, r.phi/res[0].phi)
			}
		}
	}
	correctness()
	fmt.Printf("\nload average at end: %s; total %.0f s; checksum %.6g\n", loadavg(), time.Since(start).Seconds(), sink)
	if failures > 0 {
		os.Exit(1)
	}
}
