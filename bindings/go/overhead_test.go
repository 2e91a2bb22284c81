package phifd

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"
)

// Where the time of a single call goes, one layer at a time, on one hot node with a full window
// (intervals alternating 990 and 1,010 ms):
//
//	go test -run '^$' -bench 'Layer' -count 5
//
// CgoNoop is the floor any cgo binding pays; RawC adds the library call; Checked adds keeping the
// goroutine on its OS thread and the status check; Binding adds the handle guard (the whole
// public method). On a loaded machine the wall-clock figures of these benchmarks swing by tens of
// nanoseconds; TestLayerSlices measures the same layers robustly.

func hotMonitor(b *testing.B) (*Monitor, uint64) {
	b.Helper()
	m, err := NewMonitor(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	t := sec
	for i := 0; i < 1100; i++ {
		t += 990*msec + uint64(i&1)*20*msec
		if err := m.Heartbeat(1, 1, t); err != nil {
			b.Fatal(err)
		}
	}
	return m, t
}

const msec = sec / 1000

func BenchmarkLayerCgoNoop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cgoNoop()
	}
}

func BenchmarkLayerHeartbeatRawC(b *testing.B) {
	m, t := hotMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += 990*msec + uint64(i&1)*20*msec
		if st := rawHeartbeat(m, 1, 1, t); st != StatusOK {
			b.Fatal(st)
		}
	}
}

func BenchmarkLayerHeartbeatChecked(b *testing.B) {
	m, t := hotMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += 990*msec + uint64(i&1)*20*msec
		if err := checkedHeartbeat(m, 1, 1, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLayerHeartbeatBinding(b *testing.B) {
	m, t := hotMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += 990*msec + uint64(i&1)*20*msec
		if err := m.Heartbeat(1, 1, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLayerPhiRawC(b *testing.B) {
	m, t := hotMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, st := rawPhi(m, 1, t+uint64(i&15)*100*msec); st != StatusOK {
			b.Fatal(st)
		}
	}
}

func BenchmarkLayerPhiBinding(b *testing.B) {
	m, t := hotMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Phi(1, t+uint64(i&15)*100*msec); err != nil {
			b.Fatal(err)
		}
	}
}

// The layers agree: the raw call and the binding give the same phi.
func TestLayersAgree(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := uint64(0); i < 10; i++ {
		if st := rawHeartbeat(m, 3, 1, sec+i*sec); st != StatusOK {
			t.Fatalf("raw heartbeat: %v", st)
		}
	}
	raw, st := rawPhi(m, 3, 12*sec)
	got, err := m.Phi(3, 12*sec)
	if st != StatusOK || err != nil || raw != got || got <= 0 {
		t.Fatalf("raw phi %v (%v), binding phi %v (%v)", raw, st, got, err)
	}
	if err := checkedHeartbeat(m, 3, 0, 13*sec); err == nil {
		t.Fatal("a stale generation through check gave no error")
	}
	cgoNoop()
}

// TestLayerSlices prints, for each layer, the 10th percentile and the median of the time per call
// over 3,000 slices of 1,000 calls, the layers taking turns slice by slice so that all of them see
// the same load (a slice hit by a preemption is an outlier, not a shift of the figure). It also
// times keeping the goroutine on its OS thread alone (runtime.LockOSThread + UnlockOSThread, what
// check adds to every call). Run it with
//
//	PHIFD_LAYER_SLICES=1 go test -run LayerSlices -v
func TestLayerSlices(t *testing.T) {
	if os.Getenv("PHIFD_LAYER_SLICES") == "" {
		t.Skip("a measurement, not a test: set PHIFD_LAYER_SLICES=1 to run it")
	}
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	hb := sec
	for i := 0; i < 1100; i++ {
		hb += 990*msec + uint64(i&1)*20*msec
		if err := m.Heartbeat(1, 1, hb); err != nil {
			t.Fatal(err)
		}
	}
	next := func(i int) uint64 { hb += 990*msec + uint64(i&1)*20*msec; return hb }
	failed := 0
	count := func(err error) {
		if err != nil {
			failed++
		}
	}
	layers := []struct {
		name string
		call func(i int)
	}{
		{"pin only", func(int) { runtime.LockOSThread(); runtime.UnlockOSThread() }},
		{"cgo noop", func(int) { cgoNoop() }},
		{"heartbeat raw C", func(i int) { rawHeartbeat(m, 1, 1, next(i)) }},
		{"heartbeat checked", func(i int) { count(checkedHeartbeat(m, 1, 1, next(i))) }},
		{"heartbeat binding", func(i int) { count(m.Heartbeat(1, 1, next(i))) }},
		{"phi raw C", func(i int) { rawPhi(m, 1, hb+uint64(i&15)*100*msec) }},
		{"phi binding", func(i int) { _, _ = m.Phi(1, hb+uint64(i&15)*100*msec) }},
	}
	const slices, perSlice = 3000, 1000
	perCall := make([][]float64, len(layers))
	for s := 0; s < slices; s++ {
		for l, layer := range layers {
			start := time.Now()
			for i := 0; i < perSlice; i++ {
				layer.call(i)
			}
			perCall[l] = append(perCall[l], float64(time.Since(start).Nanoseconds())/perSlice)
		}
	}
	for l, layer := range layers {
		x := perCall[l]
		sort.Float64s(x)
		fmt.Printf("%-18s p10 %6.1f  median %6.1f ns/call\n", layer.name, x[len(x)/10], x[len(x)/2])
	}
	if failed != 0 {
		t.Errorf("%d heartbeats failed", failed)
	}
}
