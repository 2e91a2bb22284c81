package phifd

import "testing"

// Where the time of a single call goes, one layer at a time, on one hot node with a full window
// (intervals alternating 990 and 1,010 ms):
//
//	go test -run '^$' -bench 'Layer' -count 5
//
// CgoNoop is the floor any cgo binding pays; RawC adds the library call; Checked adds keeping the
// goroutine on its OS thread and the status check; Binding adds the handle guard (the whole public method).

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
