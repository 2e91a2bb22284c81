package phifd

/*
#include "gophifd.h"

static void gophifd_noop(void) {}
*/
import "C"

// The layers of a single call, callable one at a time so that the overhead benchmarks
// (overhead_test.go) can attribute the cost of Heartbeat and Phi: a bare cgo call, the library
// call alone, and the library call with the goroutine kept on its OS thread as check does. They
// bypass the handle guard and are not part of the API.

// cgoNoop makes a cgo call to a C function that does nothing.
func cgoNoop() { C.gophifd_noop() }

// rawHeartbeat calls phifd_heartbeat directly (no guard, no pin, no message); m must be open.
func rawHeartbeat(m *Monitor, node, generation, now uint64) Status {
	return Status(C.phifd_heartbeat(m.h.ptr, C.uint64_t(node), C.uint64_t(generation), C.uint64_t(now)))
}

// checkedHeartbeat calls phifd_heartbeat through check (no guard); m must be open.
func checkedHeartbeat(m *Monitor, node, generation, now uint64) error {
	return check(func() C.phifd_status {
		return C.phifd_heartbeat(m.h.ptr, C.uint64_t(node), C.uint64_t(generation), C.uint64_t(now))
	})
}

// rawPhi calls phifd_phi directly (no guard, no pin, no message); m must be open.
func rawPhi(m *Monitor, node, now uint64) (float64, Status) {
	var phi C.double
	st := C.phifd_phi(m.h.ptr, C.uint64_t(node), C.uint64_t(now), &phi)
	return float64(phi), Status(st)
}
