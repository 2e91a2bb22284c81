package main

/*
#cgo !phifd_nopkgconfig pkg-config: phifd-static
#cgo phifd_nopkgconfig LDFLAGS: -lphifd -lpthread -ldl -lm
#include <phifd.h>

static void bench_noop(void) {}

static phifd_monitor *bench_monitor(uint64_t window) {
	phifd_config *cfg = NULL;
	phifd_monitor *m = NULL;
	if (phifd_config_new(&cfg) != PHIFD_OK) return NULL;
	if (phifd_config_set_window(cfg, window) != PHIFD_OK ||
	    phifd_config_set_min_std_deviation_ns(cfg, 100000000ULL) != PHIFD_OK ||
	    phifd_config_set_acceptable_pause_ns(cfg, 0) != PHIFD_OK ||
	    phifd_monitor_new(cfg, &m) != PHIFD_OK) m = NULL;
	phifd_config_free(cfg);
	return m;
}

static double bench_phi(phifd_monitor *m, uint64_t node, uint64_t now, phifd_status *st) {
	double phi = 0;
	*st = phifd_phi(m, node, now, &phi);
	return phi;
}
*/
import "C"

import "time"

// The floor of any cgo binding, measured in the same run as the binding: a cgo call to an empty
// C function, and phifd_heartbeat / phifd_phi called straight from Go on a monitor made through
// the C API (no handle guard, no message copy, no result struct; the status is checked).

type rawC struct {
	m       *C.phifd_monitor
	n, k, i uint64 // nodes, next round, next node
}

func newRawC(window, n uint64) *rawC {
	m := C.bench_monitor(C.uint64_t(window))
	if m == nil {
		fail("bench_monitor: could not create a monitor through the C API")
	}
	return &rawC{m: m, n: n}
}

func (s *rawC) close() { C.phifd_monitor_free(s.m) }

func (s *rawC) name() string { return "phifd_heartbeat / phifd_phi called directly (cgo, no binding)" }
func (s *rawC) hb(calls uint64) []float64 {
	var out []float64
	bad := C.phifd_status(0)
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			bad |= C.phifd_heartbeat(s.m, C.uint64_t(s.i), 1, C.uint64_t(arrival(s.i, s.k)))
			if s.i++; s.i == s.n {
				s.i, s.k = 0, s.k+1
			}
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	if bad != 0 {
		fail("phifd_heartbeat: status %d", bad)
	}
	return out
}
func (s *rawC) phi(calls uint64) []float64 {
	base := t0 + (s.k-1)*period + 40*ms
	acc := 0.0
	var out []float64
	var st C.phifd_status
	for c := uint64(0); c < calls; {
		end := min(c+slice, calls)
		start := time.Now()
		for ; c < end; c++ {
			acc += float64(C.bench_phi(s.m, C.uint64_t(c%s.n), C.uint64_t(base+queryOffset(c)), &st))
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	if st != 0 {
		fail("phifd_phi: status %d", st)
	}
	sink += acc
	return out
}

type cgoNoop struct{}

func (cgoNoop) name() string { return "cgo call to an empty C function (the floor)" }
func (cgoNoop) hb(calls uint64) []float64 {
	var out []float64
	for c := uint64(0); c < calls; c += slice {
		start := time.Now()
		for j := 0; j < slice; j++ {
			C.bench_noop()
		}
		out = append(out, float64(time.Since(start).Nanoseconds())/float64(slice))
	}
	return out
}
func (n cgoNoop) phi(calls uint64) []float64 { return n.hb(calls) }
