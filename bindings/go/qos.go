package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"runtime"
	"time"
)

// QoS holds detection-quality targets (Chen, Toueg and Aguilera's metrics; C struct phifd_qos).
// Give them to Config.SetQoS, Monitor.SetQoS or Monitor.SetNodeQoS instead of a threshold: each
// node then derives its own phi levels from its window so that it meets MinMistakeRecurrence with
// the shortest deadline (docs/qos.md in the phifd repository). The library checks the values when
// they are given to one of those calls (ErrInvalidArg, naming the field); a negative duration is
// refused by the binding the same way.
type QoS struct {
	// MaxDetection is the upper bound of the detection time T_D, a crash to the FAILED
	// declaration: 1 ns to 10^15 ns (11.6 days).
	MaxDetection time.Duration
	// MinMistakeRecurrence is the lower bound of the mean time between wrong FAILED declarations
	// T_MR (> 0): at most one wrong declaration per this much time on average.
	MinMistakeRecurrence time.Duration
	// MaxMistakeDuration is the upper bound of the mean mistake duration T_M, a wrong declaration
	// to the heartbeat that refutes it; 0 means no bound; at most 10^15 ns.
	MaxMistakeDuration time.Duration
}

// toC converts q for the library; a negative field is refused here, naming fn and the field.
func (q QoS) toC(fn string) (C.phifd_qos, error) {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"MaxDetection", q.MaxDetection}, {"MinMistakeRecurrence", q.MinMistakeRecurrence},
		{"MaxMistakeDuration", q.MaxMistakeDuration}} {
		if f.d < 0 {
			return C.phifd_qos{}, invalidArg(fmt.Sprintf("%s: QoS.%s is negative (%v)", fn, f.name, f.d))
		}
	}
	return C.phifd_qos{
		max_detection_ns:          C.uint64_t(q.MaxDetection),
		min_mistake_recurrence_ns: C.uint64_t(q.MinMistakeRecurrence),
		max_mistake_duration_ns:   C.uint64_t(q.MaxMistakeDuration),
	}, nil
}

// QoSReport is what a node's window predicts of its detection quality, from Monitor.QoSReport
// (C struct phifd_qos_report). For a QoS-configured node the predictions are those of its last
// derivation; for another node they are computed at the call. Durations that do not fit a
// Duration are saturated at the largest one (about 292 years).
type QoSReport struct {
	// QoS is true if the node is QoS-configured (its own targets or the monitor's).
	QoS bool
	// Feasible is true if the targets are achievable on the current estimate, judged on
	// BestDetection (always true when QoS is false). When false the node keeps the deadline that
	// meets the mistake-rate bound and BestDetection says how far the bound on T_D is out of reach.
	Feasible bool
	// Threshold is the phi threshold in use (derived from the targets under QoS).
	Threshold float64
	// SuspectThreshold is the suspect threshold in use.
	SuspectThreshold float64
	// Deadline is the silence after the last arrival at which the node is declared FAILED,
	// before local health and confirmations (the deadline in use now).
	Deadline time.Duration
	// PredictedDetection is the predicted detection time T_D: Deadline plus the one-way delay
	// (half of Config.SetRoundTrip, 0 if none was declared).
	PredictedDetection time.Duration
	// PredictedMistakeRecurrence is the predicted mean time between wrong declarations T_MR;
	// the largest Duration (math.MaxInt64) when none is expected.
	PredictedMistakeRecurrence time.Duration
	// PredictedMistakeDuration is the predicted mean mistake duration T_M.
	PredictedMistakeDuration time.Duration
	// BestDetection is the T_D of the shortest deadline the node's history alone supports under
	// the mistake-rate bound; Feasible is judged on it. Once the node is Established it is
	// PredictedDetection; during the QoS warm-up (Config.SetQoSWarmup) it may be below it, the
	// deadline being held longer. Without QoS, where there is no bound, it is PredictedDetection.
	BestDetection time.Duration
	// LossRate is the fraction of heartbeats lost, from version gaps (HeartbeatVersion); 0
	// without versions or without QoS.
	LossRate float64
	// Samples is the number of intervals the estimate rests on: the window's length (below 32
	// the tail is the estimator's model alone), or, once a QoS node's long memory of large gaps
	// is in use, the intervals seen over that memory's span (docs/qos.md).
	Samples uint32
	// Established is true once the node's QoS warm-up (Config.SetQoSWarmup) is over: its deadline
	// is the one its history supports. During the warm-up it is false: the deadline is held
	// longer (towards the MaxDetection bound) and the mistake-rate prediction rests on less
	// history than the bound is about. Always true when QoS is false.
	Established bool
}

// SetQoS configures every node of monitors created from c by the QoS targets q instead of the
// thresholds (docs/qos.md). The thresholds keep their other uses: the suspect level keeps their
// ratio, and the first-heartbeat timeout and the pause defaults derive from the threshold.
// Targets the library refuses (MaxDetection 0 or above 10^15 ns, MinMistakeRecurrence 0,
// MaxMistakeDuration above 10^15 ns) or a negative field leave the previous targets and are
// recorded for Config.Err and NewMonitor, like every setter's. A running monitor is retuned
// with Monitor.SetQoS.
func (c *Config) SetQoS(q QoS) *Config {
	raw, err := q.toC("SetQoS")
	if err != nil {
		if c.err == nil {
			c.err = err
		}
		return c
	}
	return c.set(func(p *C.phifd_config) C.phifd_status { return C.phifd_config_set_qos(p, &raw) })
}

// ClearQoS removes the QoS targets: nodes are judged by the thresholds (the default).
func (c *Config) ClearQoS() *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status { return C.phifd_config_set_qos(p, nil) })
}

// QoS returns the QoS targets and true, or the zero QoS and false when none are set (the
// default).
func (c *Config) QoS() (QoS, bool) {
	var raw C.phifd_qos
	var set C.bool
	c.mustGet(func(p *C.phifd_config) C.phifd_status { return C.phifd_config_get_qos(p, &raw, &set) })
	if !bool(set) {
		return QoS{}, false
	}
	return QoS{
		MaxDetection:         durationFromNs(uint64(raw.max_detection_ns)),
		MinMistakeRecurrence: durationFromNs(uint64(raw.min_mistake_recurrence_ns)),
		MaxMistakeDuration:   durationFromNs(uint64(raw.max_mistake_duration_ns)),
	}, true
}

// SetQoSWarmup sets the QoS warm-up of monitors created from c: for d after a QoS node's first
// counted arrival, its FAILED deadline is at least the MaxDetection bound less the one-way delay
// (half of SetRoundTrip), scaled by 1 - watched/d, where watched is the longer of the time since
// that arrival and the span of the node's window (the sum of its intervals), as of the node's
// last derivation (Monitor.SetQoS describes when it derives again). The hold thus falls
// to what the node's history supports by the end of the warm-up: a young history has not yet shown
// the rare gaps a mistake-rate bound is about, and the T_D bound is the detection time the caller
// accepts (docs/qos.md, "Warm-up"). QoSReport.Established says when it is over. 0 means no
// warm-up; at most 10^15 ns (11.6 days). The default, min(MinMistakeRecurrence, 1 hour) of each
// node's targets, is restored by ResetQoSWarmup. A value above 10^15 ns (ErrInvalidArg naming
// qos_warmup_ns) or a negative one leaves the previous warm-up and is recorded for Config.Err and
// NewMonitor, like every setter's. The warm-up is read when a monitor is created.
func (c *Config) SetQoSWarmup(d time.Duration) *Config {
	return c.setDuration("SetQoSWarmup", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_qos_warmup_ns(p, ns)
	})
}

// ResetQoSWarmup restores the default QoS warm-up: min(MinMistakeRecurrence, 1 hour) of each
// node's targets (see SetQoSWarmup).
func (c *Config) ResetQoSWarmup() *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_qos_warmup_ns(p, C.PHIFD_QOS_WARMUP_DEFAULT)
	})
}

// QoSWarmup returns the QoS warm-up set with SetQoSWarmup and true, or 0 and false while the
// default is in use (min(MinMistakeRecurrence, 1 hour) of each node's targets, which depends on
// the node and so has no single value here).
func (c *Config) QoSWarmup() (time.Duration, bool) {
	ns := uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_qos_warmup_ns(p, v)
	}))
	if ns == uint64(C.PHIFD_QOS_WARMUP_DEFAULT) {
		return 0, false
	}
	return durationFromNs(ns), true
}

// Live retuning. Precedence: a node's own tuning (SetNodeThresholds, SetNodeQoS) comes before the
// monitor's (its QoS targets if set, else its thresholds). Every change keeps the history:
// windows, states, generations and suspicion reports stay, and the new deadlines apply from each
// node's next evaluation. A node already past its new FAILED deadline is declared at the next
// Poll, the event's time being the instant that deadline passed: the event a monitor configured
// that way from the start gives. The first-heartbeat timeout and the pause defaults derived from
// the threshold at creation keep their values. A monitor-wide change walks every node once, each
// under its own lock; heartbeats to other nodes are not blocked. All are safe for concurrent use.

// SetThresholds changes the phi threshold and suspect threshold of every node without a tuning
// of its own; nodes registered later get them too. It replaces a monitor-wide QoS configuration.
//
// Errors (nothing changes): ErrInvalidArg for a value that is NaN, infinite, not above 0 (or
// subnormal) or above 1e6, for suspectThreshold >= threshold, and for a threshold that breaks the
// timing rule (a steady sender would be declared within one heartbeat interval); ErrClosed.
func (m *Monitor) SetThresholds(threshold, suspectThreshold float64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_monitor_set_thresholds(p, C.double(threshold), C.double(suspectThreshold))
	})
}

// SetQoS configures every node without a tuning of its own by the targets *q (copied): each
// derives its phi levels from its window at once and again as the window moves (every
// max(64, window/16) learned intervals); nodes registered later are QoS-configured too. nil
// returns them to the monitor's thresholds.
//
// Errors (nothing changes): ErrInvalidArg for targets the library refuses or a negative field,
// as Config.SetQoS; ErrClosed.
func (m *Monitor) SetQoS(q *QoS) error {
	if q == nil {
		return m.h.call(func(p *C.phifd_monitor) C.phifd_status { return C.phifd_monitor_set_qos(p, nil) })
	}
	raw, err := q.toC("Monitor.SetQoS")
	if err != nil {
		return m.closedOr(err)
	}
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status { return C.phifd_monitor_set_qos(p, &raw) })
}

// SetNodeThresholds gives node thresholds of its own; monitor-wide changes then pass it by until
// ClearNodeTuning. Otherwise as SetThresholds.
//
// Errors (nothing changes): those of SetThresholds, and ErrUnknownNode.
func (m *Monitor) SetNodeThresholds(node uint64, threshold, suspectThreshold float64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_set_thresholds(p, C.uint64_t(node), C.double(threshold), C.double(suspectThreshold))
	})
}

// SetNodeQoS gives node the targets *q (copied) as its own; monitor-wide changes then pass it by
// until ClearNodeTuning. nil pins the node to the monitor's thresholds as they are now, as its
// own tuning, even while the monitor is QoS-configured. The suspect level keeps the ratio of the
// thresholds the node was judged by.
//
// Errors (nothing changes): ErrUnknownNode, ErrInvalidArg for targets as Monitor.SetQoS refuses
// them, ErrClosed.
func (m *Monitor) SetNodeQoS(node uint64, q *QoS) error {
	if q == nil {
		return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
			return C.phifd_node_set_qos(p, C.uint64_t(node), nil)
		})
	}
	raw, err := q.toC("Monitor.SetNodeQoS")
	if err != nil {
		return m.closedOr(err)
	}
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_set_qos(p, C.uint64_t(node), &raw)
	})
}

// ClearNodeTuning drops node's own tuning (from SetNodeThresholds or SetNodeQoS): it follows the
// monitor's thresholds or QoS targets again, history kept. A node without a tuning of its own is
// left as it is. Errors: ErrUnknownNode, ErrClosed.
func (m *Monitor) ClearNodeTuning(node uint64) error {
	return m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_clear_tuning(p, C.uint64_t(node))
	})
}

// QoSReport returns what node's window predicts of its detection quality at the deadline in use:
// the levels and deadline, predicted T_D, T_MR and T_M, whether its QoS targets are met and the
// shortest T_D that meets its mistake-rate bound (see QoSReport). now is the query time
// (monotonic ns); the report depends on the node's history only. Read-only; O(window) for a node
// that is not QoS-configured. Errors: ErrUnknownNode, ErrClosed.
func (m *Monitor) QoSReport(node, now uint64) (QoSReport, error) {
	var r C.phifd_qos_report
	if err := m.h.call(func(p *C.phifd_monitor) C.phifd_status {
		return C.phifd_node_get_qos_report(p, C.uint64_t(node), C.uint64_t(now), &r)
	}); err != nil {
		return QoSReport{}, err
	}
	return qosReportFromC(&r), nil
}

// qosReportFromC converts a phifd_qos_report; UINT64_MAX ("none expected") and every other value
// beyond the largest Duration saturate.
func qosReportFromC(r *C.phifd_qos_report) QoSReport {
	return QoSReport{
		QoS:                        r.qos != 0,
		Feasible:                   r.feasible != 0,
		Threshold:                  float64(r.threshold),
		SuspectThreshold:           float64(r.suspect_threshold),
		Deadline:                   durationFromNs(uint64(r.deadline_ns)),
		PredictedDetection:         durationFromNs(uint64(r.predicted_detection_ns)),
		PredictedMistakeRecurrence: durationFromNs(uint64(r.predicted_mistake_recurrence_ns)),
		PredictedMistakeDuration:   durationFromNs(uint64(r.predicted_mistake_duration_ns)),
		BestDetection:              durationFromNs(uint64(r.best_detection_ns)),
		LossRate:                   float64(r.loss_rate),
		Samples:                    uint32(r.samples),
		Established:                r.established != 0,
	}
}

// closedOr returns ErrClosed once the monitor is closed (as every method does), else err.
func (m *Monitor) closedOr(err error) error {
	if _, ok := m.h.acquire(); !ok {
		return ErrClosed
	}
	m.h.release()
	runtime.KeepAlive(m)
	return err
}
