package phifd

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// useOnce creates a monitor and uses it without ever closing it; the monitor is unreachable as
// soon as its last method starts. If a method failed to keep the monitor alive during its C call,
// a collection running then would let the finalizer free the native monitor under the call.
func useOnce(t *testing.T, i uint64) {
	m, err := NewMonitor(exponential())
	if err != nil {
		t.Error(err)
		return
	}
	if err := m.Heartbeat(i, 1, 1000); err != nil {
		t.Error(err)
	}
	if err := m.HeartbeatBatch([]uint64{i, i}, []uint64{1, 1}, []uint64{2000, 3000}, nil); err != nil {
		t.Error(err)
	}
	if _, err := m.Poll(3000); err != nil {
		t.Error(err)
	}
	if p, err := m.Phi(i, 3000); err != nil || p != 0 {
		t.Errorf("phi at the last arrival: %v, %v; the exponential model gives 0", p, err)
	}
}

// TestGCStress collects garbage continuously while monitors are created, used once and dropped
// without Close, so finalizers run during other monitors' calls. Run it with GOGC=1 as well.
func TestGCStress(t *testing.T) {
	before := finalized.Load()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			runtime.GC()
		}
	}()
	var users sync.WaitGroup
	for g := 0; g < 4; g++ {
		users.Add(1)
		go func() {
			defer users.Done()
			for i := 0; i < 300; i++ {
				useOnce(t, uint64(g*1000+i))
			}
		}()
	}
	users.Wait()
	stop.Store(true)
	wg.Wait()
	// Finalizers run on their own goroutine after a collection; give them a few cycles.
	for i := 0; i < 100 && finalized.Load() == before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if finalized.Load() == before {
		t.Error("no unreachable monitor was finalized")
	}
}
