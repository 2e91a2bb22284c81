package phifd

import (
	"testing"
)

// Benchmarks of the cgo path: single calls against batches of 1024. Run with
//
//	go test -run '^$' -bench . -benchtime 1s
//
// The batch benchmarks report ns/op per record as well as per call (ns/record).

const benchNodes = 1024

func benchMonitor(b *testing.B) *Monitor {
	m, err := NewMonitor(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	for n := uint64(0); n < benchNodes; n++ {
		if err := m.Heartbeat(n, 1, sec); err != nil {
			b.Fatal(err)
		}
	}
	return m
}

func BenchmarkHeartbeat(b *testing.B) {
	m := benchMonitor(b)
	t := 2 * sec
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := uint64(i) % benchNodes
		if n == 0 {
			t += sec
		}
		if err := m.Heartbeat(n, 1, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeartbeatBatch1024(b *testing.B) {
	m := benchMonitor(b)
	nodes := make([]uint64, benchNodes)
	gens := make([]uint64, benchNodes)
	times := make([]uint64, benchNodes)
	for i := range nodes {
		nodes[i], gens[i] = uint64(i), 1
	}
	t := 2 * sec
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t += sec
		for j := range times {
			times[j] = t
		}
		if err := m.HeartbeatBatch(nodes, gens, times, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchNodes, "ns/record")
}

func BenchmarkPhi(b *testing.B) {
	m := benchMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Phi(uint64(i)%benchNodes, 2*sec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPhiParallel(b *testing.B) {
	m := benchMonitor(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := uint64(0)
		for pb.Next() {
			if _, err := m.Phi(i%benchNodes, 2*sec); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkPhiBatch1024(b *testing.B) {
	m := benchMonitor(b)
	nodes := make([]uint64, benchNodes)
	for i := range nodes {
		nodes[i] = uint64(i)
	}
	out := make([]float64, benchNodes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.PhiBatch(nodes, 2*sec, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchNodes, "ns/record")
}

func BenchmarkPhiUnknownNode(b *testing.B) {
	m := benchMonitor(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Phi(1<<40, 2*sec); err == nil {
			b.Fatal("no error")
		}
	}
}
