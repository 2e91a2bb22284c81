package phifd

import (
	"runtime"
	"sync/atomic"
)

// guardShards is the number of in-flight counters of a callGuard (a power of two).
const guardShards = 8

// guardClosed is added to every counter by close: a negative counter means closed. Far below
// any number of calls that can be in flight at once.
const guardClosed = -(int64(1) << 40)

// callGuard lets any number of calls use a native handle at once and lets close wait until none
// is using it, so that the handle is never freed under a call (the library requires that; a
// freed handle is refused, but one freed during a call is not).
//
// A call costs two atomic additions on one of guardShards counters, each on its own cache
// line, chosen by the caller (Monitor uses the node id): goroutines working on different nodes
// mostly write different lines, where a sync.RWMutex's reader count is one line that every
// call on every core writes. close is slow (it visits every counter and waits) and rare.
type callGuard struct {
	shards [guardShards]struct {
		n atomic.Int64
		_ [64 - 8]byte
	}
}

// enter registers a call on the counter chosen by key and returns it, to be passed to leave
// when the handle is no longer used; nil once close has begun (the call must not use the
// handle and should return ErrClosed).
func (g *callGuard) enter(key uint64) *atomic.Int64 {
	c := &g.shards[key&(guardShards-1)].n
	if c.Add(1) < 0 {
		c.Add(-1)
		return nil
	}
	return c
}

// leave ends a call registered by enter.
func leave(c *atomic.Int64) { c.Add(-1) }

// close makes every later enter fail and waits until every call in progress has left. Callers
// serialise close (Monitor holds its write lock); it must be called at most once.
func (g *callGuard) close() {
	for i := range g.shards {
		g.shards[i].n.Add(guardClosed)
	}
	for i := range g.shards {
		for g.shards[i].n.Load() != guardClosed {
			runtime.Gosched()
		}
	}
}
