package main

import (
	"math"
	"sync"
)

// akkaDetector is a plain pure-Go port of Akka's PhiAccrualFailureDetector for one node: a ring
// of the last `window` intervals (ms, float64) with running sums, seeded with est -/+ est/4, the sd
// floored at 100 ms, an interval learned only while phi is below the threshold (8), and Akka's
// logistic approximation of the normal tail. Not safe for concurrent use.
type akkaDetector struct {
	ring       []float64
	head, n    int
	sum, sumSq float64
	last       uint64
	started    bool
}

func newAkka(window int) *akkaDetector {
	d := &akkaDetector{ring: make([]float64, window)}
	d.add(750)
	d.add(1250)
	return d
}

func (d *akkaDetector) add(x float64) {
	if d.n == len(d.ring) {
		old := d.ring[d.head]
		d.sum -= old
		d.sumSq -= old * old
	} else {
		d.n++
	}
	d.ring[d.head] = x
	d.head++
	if d.head == len(d.ring) {
		d.head = 0
	}
	d.sum += x
	d.sumSq += x * x
}

// Heartbeat records an arrival at nowNs.
func (d *akkaDetector) Heartbeat(nowNs uint64) {
	if d.started && d.Phi(nowNs) < 8 {
		d.add(float64(nowNs-d.last) / 1e6)
	}
	d.last, d.started = nowNs, true
}

// Phi is the suspicion level at nowNs.
func (d *akkaDetector) Phi(nowNs uint64) float64 {
	if !d.started {
		return 0
	}
	diff := float64(nowNs-d.last) / 1e6
	mean := d.sum / float64(d.n)
	sd := math.Max(math.Sqrt(d.sumSq/float64(d.n)-mean*mean), 100)
	y := (diff - mean) / sd
	e := math.Exp(-y * (1.5976 + 0.070566*y*y))
	if diff > mean {
		return -math.Log10(e / (1 + e))
	}
	return -math.Log10(1 - 1/(1+e))
}

// lockedAkka is akkaDetector behind a mutex: safe for concurrent use, as phifd's monitor is.
type lockedAkka struct {
	mu sync.Mutex
	d  *akkaDetector
}

func (l *lockedAkka) Heartbeat(nowNs uint64) {
	l.mu.Lock()
	l.d.Heartbeat(nowNs)
	l.mu.Unlock()
}

func (l *lockedAkka) Phi(nowNs uint64) float64 {
	l.mu.Lock()
	v := l.d.Phi(nowNs)
	l.mu.Unlock()
	return v
}
