package phifd

// #include "gophifd.h"
import "C"

import (
	"errors"
	"time"
	"unsafe"
)

// SnapshotEntry is one node's state at the time of a [Monitor.Snapshot]. Plain data.
type SnapshotEntry struct {
	Node          uint64  // the node id
	Generation    uint64  // its current generation
	LastArrivalNs uint64  // its last heartbeat arrival (monotonic ns); 0 before the first
	Phi           float64 // phi at the snapshot time
	MeanNs        float64 // mean interval of its window, ns
	StdDevNs      float64 // standard deviation of its window, ns
	// TimeUntilFailure is the time left at the snapshot time before the node is FAILED if no
	// heartbeat arrives (0 once past; saturated at the largest Duration).
	TimeUntilFailure time.Duration
	Version          uint64 // highest heartbeat version seen
	State            State  // state at the snapshot time
	Confirmations    uint32 // distinct peers reporting it as suspect
}

// Snapshot returns the state of every monitored node at now (monotonic ns), sorted by node id
// (nil when there are none). Read-only: like NodeInfo, it reports the state the silence implies
// at now and queues no events. Each node is read consistently; the set of nodes is the one at
// the time of the call (nodes added or removed concurrently may or may not appear).
// Errors: ErrClosed.
func (m *Monitor) Snapshot(now uint64) ([]SnapshotEntry, error) {
	// total is the number of nodes; min(total, len(buf)) entries are written.
	var total C.size_t
	var buf []C.phifd_snapshot_entry
	snapshot := func(p *C.phifd_monitor) C.phifd_status {
		var first *C.phifd_snapshot_entry
		if len(buf) > 0 {
			first = &buf[0]
		}
		return C.phifd_monitor_snapshot(p, C.uint64_t(now), first, C.size_t(len(buf)), &total)
	}
	if err := m.h.call(snapshot); err != nil {
		return nil, err
	}
	for total > 0 {
		// Room for a few nodes added between the two calls. The buffer holds no Go pointers,
		// so a pointer to its first element may be passed to C.
		buf = make([]C.phifd_snapshot_entry, total+total/8+4)
		if err := m.h.call(snapshot); err != nil {
			return nil, err
		}
		if int(total) > len(buf) {
			continue // more nodes than room: ask again with the new count
		}
		out := make([]SnapshotEntry, int(total))
		for i := range out {
			e := &buf[i]
			out[i] = SnapshotEntry{
				Node:             uint64(e.node),
				Generation:       uint64(e.generation),
				LastArrivalNs:    uint64(e.last_arrival_ns),
				Phi:              float64(e.phi),
				MeanNs:           float64(e.mean_ns),
				StdDevNs:         float64(e.sd_ns),
				TimeUntilFailure: durationFromNs(uint64(e.time_until_failure_ns)),
				Version:          uint64(e.version),
				State:            State(e.state),
				Confirmations:    uint32(e.confirmations),
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, nil
}

// Prometheus renders the monitor's state at now (monotonic ns) in the Prometheus text
// exposition format 0.0.4, ready to serve on a metrics endpoint (content type
// "text/plain; version=0.0.4"): per node (label node="<id>") phifd_node_phi, _state (one-hot
// over the label state="unknown|alive|suspect|failed"), _generation, _silence_seconds,
// _mean_interval_seconds, _interval_stddev_seconds, _time_until_conviction_seconds, _samples;
// per monitor phifd_monitor_nodes, _local_health, _pauses_total, _stale_heartbeats_total,
// _duplicate_heartbeats_total, _dropped_events_total. Read-only. Errors: ErrClosed.
func (m *Monitor) Prometheus(now uint64) (string, error) {
	buf := make([]byte, 4096)
	for {
		// needed: the text's length without the NUL, also when buf is too small.
		var needed C.size_t
		err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
			// buf holds no Go pointers, so a pointer to its first element may be passed to C.
			return C.phifd_monitor_render_prometheus(p, C.uint64_t(now), (*C.char)(unsafe.Pointer(&buf[0])),
				C.size_t(len(buf)), &needed)
		})
		if errors.Is(err, ErrBufferTooSmall) {
			// Nodes may be added before the next call: leave some room beyond what is needed.
			n := int(needed) + 1
			buf = make([]byte, n+n/8+256)
			continue
		}
		if err != nil {
			return "", err
		}
		return string(buf[:int(needed)]), nil
	}
}
