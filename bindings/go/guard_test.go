package phifd

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGuardRefusesAfterClose(t *testing.T) {
	var g callGuard
	c := g.enter(3)
	if c == nil {
		t.Fatal("enter on an open guard failed")
	}
	leave(c)
	g.close()
	for key := uint64(0); key < 2*guardShards; key++ {
		if g.enter(key) != nil {
			t.Fatalf("enter(%d) succeeded after close", key)
		}
	}
}

// close must not return while a call is inside, whichever counter it used.
func TestGuardCloseWaitsForCalls(t *testing.T) {
	for key := uint64(0); key < guardShards; key++ {
		var g callGuard
		c := g.enter(key)
		var inside atomic.Bool
		inside.Store(true)
		done := make(chan struct{})
		go func() {
			g.close()
			if inside.Load() {
				t.Errorf("key %d: close returned while a call was inside", key)
			}
			close(done)
		}()
		time.Sleep(5 * time.Millisecond)
		select {
		case <-done:
			t.Fatalf("key %d: close returned before the call left", key)
		default:
		}
		inside.Store(false)
		leave(c)
		<-done
	}
}

// Many goroutines entering and leaving while close runs: every call that entered left before
// close returned, and none entered after.
func TestGuardConcurrentClose(t *testing.T) {
	var g callGuard
	var closed atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w uint64) {
			defer wg.Done()
			for i := uint64(0); ; i++ {
				c := g.enter(w*7 + i)
				if c == nil {
					return
				}
				if closed.Load() {
					t.Error("a call was inside after close returned")
				}
				leave(c)
			}
		}(uint64(w))
	}
	time.Sleep(10 * time.Millisecond)
	g.close()
	closed.Store(true)
	wg.Wait()
}
