package phifd

// #include "gophifd.h"
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Every call into the library goes through the helpers below: handle.call, check, and the trio
// enterNode/leaveNode/failNode. They differ only in how the native handle is guarded; each one
//   - refuses the call with the handle's closed error once the handle is freed,
//   - keeps the Go object that owns the handle alive until the call has returned (so its
//     finalizer cannot free the handle under the call), and
//   - turns the call's status into the *Error carrying the library's message (check).
//
// The library keeps the message of the last failure per OS thread, while a goroutine may move to
// another thread between two cgo calls. check therefore keeps the goroutine on its thread
// (runtime.LockOSThread) from the call until the message is read: two counter updates on the
// goroutine's M, no system call. The message is copied into a Go string; the library's copy is
// never freed by the binding.
//
// Outputs are written by the library through pointers to Go variables of the calling method.
// With Go 1.24 or newer the functions that take such pointers are declared noescape and
// nocallback (cgo_noescape.go), so those variables stay on the goroutine's stack; with older Go
// they are allocated on the heap, which is correct but slower.

// check makes one fallible call into the library, f, and returns nil, or the *Error for its
// status with the message of that failure.
func check(f func() C.phifd_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return statusError(f())
}

// statusError is nil for PHIFD_OK, else the *Error for st with the library's message. The caller
// holds runtime.LockOSThread since before the call that returned st. Small enough to be inlined,
// so that a success costs a comparison.
func statusError(st C.phifd_status) error {
	if st == C.PHIFD_OK {
		return nil
	}
	return lastError(st)
}

// lastError is the *Error for the failure st with the message of the calling thread's last
// failure, copied into a Go string (the library's copy is never freed by the binding).
func lastError(st C.phifd_status) error {
	return &Error{Status: Status(st), Message: C.GoString(C.phifd_last_error_message())}
}

// handle is a native object shared by goroutines (P is a pointer to a C handle type): calls hold
// the read lock, close holds the write lock, so the object is never freed under a call. ptr is
// nil once the object is freed.
type handle[P comparable] struct {
	mu  sync.RWMutex
	ptr P
	// closedErr is what every call returns once the object is freed (matches ErrClosed).
	closedErr error
}

// acquire read-locks h and returns the native pointer and true, to be given back with release;
// false (and nothing to release) once h is closed.
func (h *handle[P]) acquire() (p P, ok bool) {
	h.mu.RLock()
	if h.ptr == p {
		h.mu.RUnlock()
		return p, false
	}
	return h.ptr, true
}

// release ends a use of the pointer returned by acquire.
func (h *handle[P]) release() { h.mu.RUnlock() }

// call makes one call into the library with the native pointer, f, and returns its error
// (closedErr once h is closed). h, and therefore the object that embeds it, stays reachable
// until f has returned.
func (h *handle[P]) call(f func(p P) C.phifd_status) error {
	p, ok := h.acquire()
	if !ok {
		return h.closedErr
	}
	err := check(func() C.phifd_status { return f(p) })
	h.release()
	runtime.KeepAlive(h)
	return err
}

// close frees the native object with free (once: later calls do nothing) and reports whether it
// did. It waits for calls in progress.
func (h *handle[P]) close(free func(p P)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	var closed P
	if h.ptr == closed {
		return false
	}
	free(h.ptr)
	h.ptr = closed
	return true
}

// enterNode, leaveNode and failNode bracket the one library call of a per-record method of a
// Monitor (Heartbeat, Phi, NodeInfo, the batches): the hot path, where a closure per call (as in
// handle.call) would cost more than the rest of the binding, and so would a helper call more
// than needed (leaveNode is small enough to be inlined). Instead of the read lock, enterNode
// registers the call in the monitor's callGuard, on the counter chosen by node, so that
// goroutines working on different nodes rarely write the same cache line; and it keeps the
// goroutine on its OS thread, as check does. It returns the native monitor and the counter; a nil
// counter (nothing to leave) once the monitor is closed. Use:
//
//	p, g := m.enterNode(node)
//	if g == nil {
//		return ErrClosed
//	}
//	if st := C.phifd_heartbeat(p, ...); st != C.PHIFD_OK {
//		return m.failNode(g, st)
//	}
//	m.leaveNode(g)
//	return nil
func (m *Monitor) enterNode(node uint64) (*C.phifd_monitor, *atomic.Int64) {
	g := m.guard.enter(node)
	if g == nil {
		return nil, nil
	}
	runtime.LockOSThread()
	// Read after enter: Close clears ptr only once every registered call has left.
	return m.h.ptr, g
}

// leaveNode ends a call begun by enterNode whose library call succeeded. m stays reachable until
// here, after the library call.
func (m *Monitor) leaveNode(g *atomic.Int64) {
	runtime.UnlockOSThread()
	leave(g)
	runtime.KeepAlive(m)
}

// failNode ends a call begun by enterNode whose library call failed with st, and returns the
// *Error with the library's message.
func (m *Monitor) failNode(g *atomic.Int64, st C.phifd_status) error {
	err := lastError(st)
	m.leaveNode(g)
	return err
}
