package phifd

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Many goroutines share one monitor: each owns some nodes and checks its own results, while
// others poll, batch and read shared nodes. Run with -race.
func TestConcurrentUse(t *testing.T) {
	m, err := NewMonitor(exponential())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const workers, beats = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := uint64(1000 + w)
			for i := 0; i < beats; i++ {
				if err := m.Heartbeat(node, 1, uint64(i)*sec); err != nil {
					errs <- err
					return
				}
				if err := m.Heartbeat(0, 1, uint64(i)*sec); err != nil { // shared node
					errs <- err
					return
				}
				if _, err := m.Phi(0, uint64(i)*sec); err != nil {
					errs <- err
					return
				}
			}
			// Steady 1 s heartbeats: after 2 s of silence phi = 2/ln10 (exponential model).
			p, err := m.Phi(node, uint64(beats+1)*sec)
			if err != nil || math.Abs(p-2/math.Ln10) > 1e-9 {
				errs <- fmt.Errorf("worker %d: phi %v, %v", w, p, err)
			}
			nodes := []uint64{node, node}
			out := make([]float64, 2)
			if err := m.PhiBatch(nodes, uint64(beats+1)*sec, out); err != nil || out[0] != p || out[1] != p {
				errs <- fmt.Errorf("worker %d: batch %v, %v", w, out, err)
			}
		}()
	}
	stop := make(chan struct{})
	var polled []Event
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		for {
			ev, err := m.Poll(0)
			if err != nil {
				errs <- err
				return
			}
			polled = append(polled, ev...)
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	wg.Wait()
	close(stop)
	pollWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rest, _ := m.Poll(0)
	polled = append(polled, rest...)
	// Every node came alive exactly once; nothing failed at time 0.
	alive := map[uint64]int{}
	for _, e := range polled {
		if e.To != StateAlive {
			t.Errorf("unexpected event %v", e)
		}
		alive[e.Node]++
	}
	if len(alive) != workers+1 {
		t.Errorf("%d nodes reported alive, want %d", len(alive), workers+1)
	}
	for n, c := range alive {
		if c != 1 {
			t.Errorf("node %d reported alive %d times", n, c)
		}
	}
	if n, _ := m.NodeCount(); n != workers+1 {
		t.Errorf("NodeCount %d, want %d", n, workers+1)
	}
}

// Close races with calls from many goroutines: every call either works or reports ErrClosed;
// none crashes or touches freed memory.
func TestCloseWhileInUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		m, err := NewMonitor(nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		bad := make(chan error, 64)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := uint64(0); i < 200; i++ {
					err := m.Heartbeat(uint64(w), 1, i*sec)
					if err == nil {
						_, err = m.Phi(uint64(w), i*sec)
					}
					if err == nil {
						_, err = m.Poll(i * sec)
					}
					if err != nil {
						if !errors.Is(err, ErrClosed) {
							bad <- err
						}
						return
					}
				}
			}()
		}
		close(start)
		time.Sleep(time.Duration(round) * 50 * time.Microsecond)
		m.Close()
		wg.Wait()
		close(bad)
		for err := range bad {
			t.Errorf("round %d: %v", round, err)
		}
	}
}
