package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Monitor is a failure detector for many nodes, backed by a native phifd_monitor.
//
// All methods are safe for concurrent use by any number of goroutines; operations on different
// nodes do not wait for each other. Close frees the native monitor; afterwards every method
// returns ErrClosed. Close waits for calls in progress and can never free the monitor under
// them: the per-record methods (Heartbeat, HeartbeatVersion, Phi, NodeInfo and the batches)
// register each call in a callGuard (two atomic additions on a counter chosen by the node id, so
// goroutines on different nodes rarely write the same cache line); the others hold a read lock.
type Monitor struct {
	// h holds the native monitor; its read lock guards the other methods, its write lock Close.
	// h.ptr is nil once closed, written only by Close, after guard.close.
	h     handle[*C.phifd_monitor]
	guard callGuard // the per-record methods (enterNode/leaveNode)
}

// NewMonitor creates a monitor with the settings of cfg (nil for all defaults). cfg is copied;
// changing it afterwards does not affect the monitor. It returns cfg.Err(), the first value a
// setter refused, if there is one; otherwise it fails with ErrInvalidArg, whose message names the
// settings at fault, when the combination breaks the library's rules (suspect threshold below
// threshold, max interval above heartbeat interval, timeout > heartbeat interval > round trip).
//
// Call Close when done; a finalizer closes monitors that become unreachable, but possibly late.
func NewMonitor(cfg *Config) (*Monitor, error) {
	ptr, err := newNativeMonitor(cfg)
	if err != nil {
		return nil, err
	}
	m := &Monitor{h: handle[*C.phifd_monitor]{ptr: ptr, closedErr: ErrClosed}}
	runtime.SetFinalizer(m, (*Monitor).finalize)
	return m, nil
}

// finalized counts monitors closed by their finalizer (read by the tests).
var finalized atomic.Int64

// finalize is the finalizer of an unreachable, unclosed monitor: it frees the native monitor.
func (m *Monitor) finalize() {
	finalized.Add(1)
	m.Close()
}

// Close frees the native monitor and every node in it. It is idempotent, always returns nil,
// and may be called while other goroutines use the monitor: it waits for calls in progress, and
// later calls return ErrClosed.
func (m *Monitor) Close() error {
	if m.h.close(func(p *C.phifd_monitor) {
		m.guard.close()
		C.phifd_monitor_free(p)
	}) {
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// Heartbeat records a heartbeat from node carrying generation, received at now (monotonic ns;
// take it where the datagram was received). An unknown node is added (UNKNOWN -> ALIVE event). A
// higher generation is a new incarnation: the history restarts and a RESTARTED event is queued.
// A time before the node's last arrival is accepted but learns nothing.
//
// Errors (each changes nothing): ErrStaleGeneration when generation is lower than the node's
// current one (answer the sender with NodeInfo's Generation); ErrInvalidArg when generation
// exceeds MaxGeneration; ErrCapacity for a new node when Config.SetMaxNodes nodes are
// monitored; ErrUnknownNode for an unregistered node under MembershipFixed; ErrClosed.
func (m *Monitor) Heartbeat(node, generation, now uint64) error {
	p, g := m.enterNode(node)
	if g == nil {
		return ErrClosed
	}
	if st := C.phifd_heartbeat(p, C.uint64_t(node), C.uint64_t(generation), C.uint64_t(now)); st != C.PHIFD_OK {
		return m.failNode(g, st)
	}
	m.leaveNode(g)
	return nil
}

// HeartbeatVersion records a heartbeat from node carrying generation and version (a counter the
// sender increments with every heartbeat, as gossip protocols spread it), received at now
// (monotonic ns). It counts only when (generation, version) is newer than anything seen for the
// node: the same version relayed by many peers is one arrival, and an old version arriving late
// is ignored (counted false, err nil, Stats' DuplicateHeartbeats grows). When versions jump, the
// window learns the gap between observations and NodeInfo's HeartbeatIntervalNs estimates the
// per-heartbeat interval. A counted arrival clears every suspicion report about the node
// (see ReportSuspect). Otherwise as Heartbeat (unknown nodes are added, a higher generation is
// a restart).
//
// Errors: ErrStaleGeneration when generation is lower than the node's current one; ErrClosed.
func (m *Monitor) HeartbeatVersion(node, generation, version, now uint64) (counted bool, err error) {
	p, g := m.enterNode(node)
	if g == nil {
		return false, ErrClosed
	}
	var c C.bool
	if st := C.phifd_heartbeat_version(p, C.uint64_t(node), C.uint64_t(generation), C.uint64_t(version),
		C.uint64_t(now), &c); st != C.PHIFD_OK {
		return false, m.failNode(g, st)
	}
	m.leaveNode(g)
	return bool(c), nil
}

// ReportSuspect records that peer reporter suspects node (suspicion spread by gossip).
// Confirmations from distinct reporters shorten the silence needed to convict node by
// Lifeguard's formula: with n reporters, k = ConfirmationsExpected and r =
// ConfirmationMinRatio, the node's deadline is multiplied by
// max(r, 1 - (1 - r) * ln(n + 1) / ln(k + 1)). Repeated reports from one reporter count once; at
// most k reporters are kept per node (memory stays bounded however many report); the node's next
// counted heartbeat clears them. NodeInfo's Confirmations is the current n.
//
// Errors: ErrInvalidArg (reporter == node), ErrUnknownNode, ErrClosed.
func (m *Monitor) ReportSuspect(node, reporter uint64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_report_suspect(p, C.uint64_t(node), C.uint64_t(reporter))
	})
}

// SetLocalHealth sets this host's own health score, 0 (healthy) to the configured maximum
// (Config.SetMaxLocalHealth, default 7): raise it when the host struggles (failed probes,
// event-loop lag, queue depth) and lower it when it recovers. Every node's time to conviction
// is multiplied by 1 + the effective score (see LocalHealth), Lifeguard's local health
// multiplier. Errors: ErrInvalidArg (score above the maximum; nothing changes), ErrClosed.
func (m *Monitor) SetLocalHealth(score uint32) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_monitor_set_local_health(p, C.uint32_t(score))
	})
}

// LocalHealth returns the effective local health score: the host's (SetLocalHealth) plus the
// monitor's own (raised by late polls and detected pauses of this process), capped at the
// configured maximum. Read-only. Errors: ErrClosed.
func (m *Monitor) LocalHealth() (uint32, error) {
	var score C.uint32_t
	if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_monitor_get_local_health(p, &score)
	}); err != nil {
		return 0, err
	}
	return uint32(score), nil
}

// AddNode registers node at now before its first heartbeat (state UNKNOWN), so that it becomes
// FAILED if it sends none within the first-heartbeat timeout. Registering a node already
// monitored changes nothing; this is how nodes join under MembershipFixed. Errors (each changes
// nothing): ErrInvalidArg (generation above MaxGeneration), ErrCapacity (a new node while
// Config.SetMaxNodes nodes are monitored), ErrClosed.
func (m *Monitor) AddNode(node, generation, now uint64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_add(p, C.uint64_t(node), C.uint64_t(generation), C.uint64_t(now))
	})
}

// Remove stops monitoring node and forgets its history and generation; events already queued
// about it stay queued. Errors: ErrUnknownNode, ErrClosed.
func (m *Monitor) Remove(node uint64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_remove(p, C.uint64_t(node))
	})
}

// Phi returns the suspicion level of node at now (monotonic ns): never NaN or negative, finite
// for every finite time, non-decreasing in now until the next heartbeat. A time before the last
// arrival counts as zero silence. Read-only. Errors: ErrUnknownNode, ErrClosed.
func (m *Monitor) Phi(node, now uint64) (float64, error) {
	p, g := m.enterNode(node)
	if g == nil {
		return 0, ErrClosed
	}
	var phi C.double
	if st := C.phifd_phi(p, C.uint64_t(node), C.uint64_t(now), &phi); st != C.PHIFD_OK {
		return 0, m.failNode(g, st)
	}
	m.leaveNode(g)
	return float64(phi), nil
}

// NodeInfo returns node's state, phi, generation and statistics as of now (monotonic ns).
// Read-only: the state is the one the silence implies at now; events come from Heartbeat and
// Poll. Errors: ErrUnknownNode, ErrClosed.
func (m *Monitor) NodeInfo(node, now uint64) (NodeInfo, error) {
	// The library checks size, the struct's version: the size this package was compiled with.
	i := C.phifd_node_info{size: C.uint32_t(unsafe.Sizeof(C.phifd_node_info{}))}
	p, g := m.enterNode(node)
	if g == nil {
		return NodeInfo{}, ErrClosed
	}
	if st := C.phifd_node_get_info(p, C.uint64_t(node), C.uint64_t(now), &i); st != C.PHIFD_OK {
		return NodeInfo{}, m.failNode(g, st)
	}
	m.leaveNode(g)
	return NodeInfo{
		Node:                uint64(i.node),
		Generation:          uint64(i.generation),
		State:               State(i.state),
		Phi:                 float64(i.phi),
		HasArrival:          i.has_arrival != 0,
		LastArrivalNs:       uint64(i.last_arrival_ns),
		SilenceOriginNs:     uint64(i.silence_origin_ns),
		Samples:             uint64(i.samples),
		MeanNs:              float64(i.mean_ns),
		StdDevNs:            float64(i.sd_ns),
		SuspectAfter:        durationFromNs(uint64(i.suspect_after_ns)),
		FailAfter:           durationFromNs(uint64(i.fail_after_ns)),
		Version:             uint64(i.version),
		HeartbeatIntervalNs: float64(i.heartbeat_interval_ns),
		Confirmations:       uint32(i.confirmations),
	}, nil
}

// TimeUntilPhi returns the silence after node's last arrival at which its phi first reaches phi,
// on its current history (saturated at the largest Duration). With phi = the threshold this is
// "how long until this node is declared dead"; 0 if phi is reached at zero silence.
// Errors: ErrInvalidArg (phi NaN, infinite or negative), ErrUnknownNode, ErrClosed.
func (m *Monitor) TimeUntilPhi(node uint64, phi float64) (time.Duration, error) {
	var ns C.uint64_t
	if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_time_until_phi(p, C.uint64_t(node), C.double(phi), &ns)
	}); err != nil {
		return 0, err
	}
	return durationFromNs(uint64(ns)), nil
}

// Poll evaluates every node at now (monotonic ns) and returns all pending transitions, oldest
// first (nil if there are none). Event times are when each transition happened, not now.
// Errors: ErrClosed.
func (m *Monitor) Poll(now uint64) ([]Event, error) {
	var out []Event
	// The buffer holds no Go pointers, so a pointer to its first element may be passed to C.
	buf := make([]C.phifd_event, 64)
	for {
		var written C.size_t
		if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
			return C.phifd_monitor_poll(p, C.uint64_t(now), &buf[0], C.size_t(len(buf)), &written)
		}); err != nil {
			return out, err
		}
		n := int(written)
		for _, e := range buf[:n] {
			out = append(out, Event{
				Node:       uint64(e.node),
				Generation: uint64(e.generation),
				TimeNs:     uint64(e.time_ns),
				Phi:        float64(e.phi),
				Kind:       EventKind(e.kind),
				From:       State(e.from),
				To:         State(e.to),
			})
		}
		if n < len(buf) {
			return out, nil
		}
		if len(buf) < 4096 {
			buf = make([]C.phifd_event, 4*len(buf))
		}
	}
}

// NodeCount returns the number of monitored nodes. Errors: ErrClosed.
func (m *Monitor) NodeCount() (int, error) {
	var n C.uint64_t
	if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_monitor_node_count(p, &n)
	}); err != nil {
		return 0, err
	}
	return int(n), nil
}

// Stats returns the monitor's counters. Errors: ErrClosed.
func (m *Monitor) Stats() (Stats, error) {
	// The library checks size, the struct's version: the size this package was compiled with.
	st := C.phifd_monitor_stats{size: C.uint32_t(unsafe.Sizeof(C.phifd_monitor_stats{}))}
	if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_monitor_get_stats(p, &st)
	}); err != nil {
		return Stats{}, err
	}
	return Stats{
		Nodes:               uint64(st.nodes),
		PendingEvents:       uint64(st.pending_events),
		DroppedEvents:       uint64(st.dropped_events),
		StaleHeartbeats:     uint64(st.stale_heartbeats),
		DuplicateHeartbeats: uint64(st.duplicate_heartbeats),
		PausesDetected:      uint64(st.pauses_detected),
		LastPauseStartNs:    uint64(st.last_pause_start_ns),
		LastPauseEndNs:      uint64(st.last_pause_end_ns),
		GraceUntilNs:        uint64(st.grace_until_ns),
		LocalHealth:         uint32(st.local_health),

		RejectedOverCapacity:  uint64(st.rejected_over_capacity),
		RejectedUnknownNode:   uint64(st.rejected_unknown_node),
		RejectedBadGeneration: uint64(st.rejected_bad_generation),
		RejectedMalformed:     uint64(st.rejected_malformed),
		RejectedBadMAC:        uint64(st.rejected_bad_mac),
		RejectedUnknownKey:    uint64(st.rejected_unknown_key),
		RejectedReplayed:      uint64(st.rejected_replayed),
	}, nil
}

// HeartbeatBatch records len(nodes) heartbeats in one native call: record i is node nodes[i],
// generation generations[i], received at times[i] (monotonic ns), processed in order exactly as
// Heartbeat would. Every record is processed even if some fail. statuses may be nil; otherwise it
// must have len(nodes) elements and receives each record's status (StatusOK or the failure).
//
// Returns nil if every record succeeded, else the error of the first failing record (its message
// names the index). Errors: ErrInvalidArg if the slice lengths differ (nothing is recorded),
// ErrStaleGeneration, ErrClosed.
func (m *Monitor) HeartbeatBatch(nodes, generations, times []uint64, statuses []Status) error {
	n := len(nodes)
	if len(generations) != n || len(times) != n || (statuses != nil && len(statuses) != n) {
		return invalidArg(fmt.Sprintf("HeartbeatBatch: lengths differ: nodes %d, generations %d, times %d, statuses %d",
			n, len(generations), len(times), len(statuses)))
	}
	if n == 0 {
		return m.closedErr()
	}
	// The slices hold no Go pointers, so pointers to their first elements may be passed to C.
	var st *C.phifd_status
	if statuses != nil {
		st = (*C.phifd_status)(unsafe.Pointer(&statuses[0]))
	}
	p, g := m.enterNode(nodes[0])
	if g == nil {
		return ErrClosed
	}
	if s := C.phifd_heartbeat_batch(p, (*C.uint64_t)(unsafe.Pointer(&nodes[0])),
		(*C.uint64_t)(unsafe.Pointer(&generations[0])), (*C.uint64_t)(unsafe.Pointer(&times[0])),
		C.size_t(n), st); s != C.PHIFD_OK {
		return m.failNode(g, s)
	}
	m.leaveNode(g)
	return nil
}

// PhiBatch writes the phi of every node in nodes at one time now (monotonic ns) to out, which
// must have len(nodes) elements, as Phi would. An unknown node's entry is NaN (so it cannot be
// mistaken for a healthy node) and the call returns ErrUnknownNode (its message names the first
// such index) after filling every other entry. Errors: ErrInvalidArg if len(out) != len(nodes)
// (nothing is written), ErrUnknownNode, ErrClosed.
func (m *Monitor) PhiBatch(nodes []uint64, now uint64, out []float64) error {
	n := len(nodes)
	if len(out) != n {
		return invalidArg(fmt.Sprintf("PhiBatch: len(out) %d != len(nodes) %d", len(out), n))
	}
	if n == 0 {
		return m.closedErr()
	}
	// The slices hold no Go pointers, so pointers to their first elements may be passed to C.
	p, g := m.enterNode(nodes[0])
	if g == nil {
		return ErrClosed
	}
	if st := C.phifd_phi_batch(p, (*C.uint64_t)(unsafe.Pointer(&nodes[0])), C.size_t(n),
		C.uint64_t(now), (*C.double)(unsafe.Pointer(&out[0])), nil); st != C.PHIFD_OK {
		return m.failNode(g, st)
	}
	m.leaveNode(g)
	return nil
}

// closedErr is ErrClosed once the monitor is closed, else nil (for calls with nothing to do).
func (m *Monitor) closedErr() error {
	g := m.guard.enter(0)
	if g == nil {
		return ErrClosed
	}
	leave(g)
	return nil
}
