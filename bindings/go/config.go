package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"runtime"
	"time"
)

// Settings a Config may carry; a bit is set when the caller chose a value.
const (
	setEstimator = 1 << iota
	setThreshold
	setSuspectThreshold
	setWindow
	setHeartbeatInterval
	setMinStdDeviation
	setAcceptablePause
	setMaxInterval
	setRoundTrip
	setFirstHeartbeatTimeout
	setRecoveryHeartbeats
	setLocalPauseThreshold
	setLocalPauseGrace
	setBurstFraction
	setMaxLocalHealth
	setConfirmationsExpected
	setConfirmationMinRatio
	setMaxNodes
	setMembership
)

// Config holds the settings of a monitor. Only the settings given a value are passed to the
// library; the others keep the library's defaults (some of which derive from other settings,
// such as the suspect threshold, half the threshold). The setters return the Config so calls can
// be chained; values are checked by the library when [NewMonitor] is called, which reports the
// first invalid setting as ErrInvalidArg with the library's message.
//
// A Config is plain Go data holding no native resources: it needs no closing, may be reused for
// many monitors and copied by value. Do not modify one Config from two goroutines at once.
type Config struct {
	set                   uint32
	estimator             Estimator
	threshold             float64
	suspectThreshold      float64
	window                uint64
	heartbeatInterval     time.Duration
	minStdDeviation       time.Duration
	acceptablePause       time.Duration
	maxInterval           time.Duration
	roundTrip             time.Duration
	firstHeartbeatTimeout time.Duration
	recoveryHeartbeats    uint32
	localPauseThreshold   time.Duration
	localPauseGrace       time.Duration
	burstFraction         float64
	maxLocalHealth        uint32
	confirmationsExpected uint32
	confirmationMinRatio  float64
	maxNodes              uint64
	membership            Membership
}

// NewConfig returns a Config with every setting at the library's default.
func NewConfig() *Config { return &Config{} }

// SetEstimator chooses how phi is computed. Default EstimatorAkka.
func (c *Config) SetEstimator(e Estimator) *Config {
	c.estimator, c.set = e, c.set|setEstimator
	return c
}

// SetThreshold sets the conviction threshold: a node is FAILED when its phi is at or above it.
// Must be finite, > 0 and <= 1e6. Default 8.
func (c *Config) SetThreshold(phi float64) *Config {
	c.threshold, c.set = phi, c.set|setThreshold
	return c
}

// SetSuspectThreshold sets the suspicion threshold: a node is SUSPECT when its phi is at or above
// it (and below the threshold). Must be finite, > 0 and below the threshold. Default threshold/2.
func (c *Config) SetSuspectThreshold(phi float64) *Config {
	c.suspectThreshold, c.set = phi, c.set|setSuspectThreshold
	return c
}

// SetWindow sets how many inter-arrival intervals each node remembers (1 to 1,048,576); about 4
// bytes per interval per node. Default 1000.
func (c *Config) SetWindow(intervals uint64) *Config {
	c.window, c.set = intervals, c.set|setWindow
	return c
}

// SetHeartbeatInterval sets the expected heartbeat interval (at least 1 µs), which also seeds
// every node's history. Default 1 s.
func (c *Config) SetHeartbeatInterval(d time.Duration) *Config {
	c.heartbeatInterval, c.set = d, c.set|setHeartbeatInterval
	return c
}

// SetMinStdDeviation sets the floor of the standard deviation used by phi (> 0). Default:
// heartbeat interval / 4 (the standard deviation of the seeded history).
func (c *Config) SetMinStdDeviation(d time.Duration) *Config {
	c.minStdDeviation, c.set = d, c.set|setMinStdDeviation
	return c
}

// SetAcceptablePause sets the pause added to the learned mean (0 allowed, at most 11.6 days).
// Default 0.
func (c *Config) SetAcceptablePause(d time.Duration) *Config {
	c.acceptablePause, c.set = d, c.set|setAcceptablePause
	return c
}

// SetMaxInterval sets the longest interval that is learned; longer ones are dropped. Must exceed
// the heartbeat interval. Default: 2 x heartbeat interval for EstimatorExponential, none otherwise.
func (c *Config) SetMaxInterval(d time.Duration) *Config {
	c.maxInterval, c.set = d, c.set|setMaxInterval
	return c
}

// SetRoundTrip declares the network round-trip time (> 0) so that NewMonitor enforces the timing
// rule timeout > heartbeat interval > round trip. Optional.
func (c *Config) SetRoundTrip(d time.Duration) *Config {
	c.roundTrip, c.set = d, c.set|setRoundTrip
	return c
}

// SetFirstHeartbeatTimeout sets how long a node registered with AddNode may stay silent before
// its first heartbeat before it is FAILED (> 0). Default: the time the seeded history takes to
// reach the threshold.
func (c *Config) SetFirstHeartbeatTimeout(d time.Duration) *Config {
	c.firstHeartbeatTimeout, c.set = d, c.set|setFirstHeartbeatTimeout
	return c
}

// SetRecoveryHeartbeats sets how many consecutive heartbeats a FAILED node must deliver to be
// ALIVE again (1 to 255; SUSPECT in between). Default 2.
func (c *Config) SetRecoveryHeartbeats(n uint32) *Config {
	c.recoveryHeartbeats, c.set = n, c.set|setRecoveryHeartbeats
	return c
}

// SetLocalPauseThreshold sets the gap between two calls into the monitor beyond which it
// concludes that its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also
// exceed 4 x the usual gap between polls, and a cadence of at least 8 polls must have been seen.
// After a pause no node is convicted for the grace period (SetLocalPauseGrace) and no interval
// spanning the pause is learned. Must be > 0. Default: half the steady timeout (the silence phi
// takes to reach the threshold on a steady history). Poll at least every heartbeat interval for
// this to work.
func (c *Config) SetLocalPauseThreshold(d time.Duration) *Config {
	c.localPauseThreshold, c.set = d, c.set|setLocalPauseThreshold
	return c
}

// SetLocalPauseGrace sets how long after a detected pause of this process no node is convicted
// (0 allowed). Default: 2 x the steady timeout.
func (c *Config) SetLocalPauseGrace(d time.Duration) *Config {
	c.localPauseGrace, c.set = d, c.set|setLocalPauseGrace
	return c
}

// SetBurstFraction sets the burst fraction, in [0, 1): an interval shorter than this fraction of
// the learned mean is not learned (the arrival still counts), so a burst of heartbeats delivered
// after a stall does not drag the mean down. 0 learns every interval. Default 0.25.
func (c *Config) SetBurstFraction(fraction float64) *Config {
	c.burstFraction, c.set = fraction, c.set|setBurstFraction
	return c
}

// SetMaxNodes sets the most nodes the monitor holds, 1 to 2^26. Default 65,536: a node costs
// about 4 KB once its default 1000-sample window is full, so a flood of heartbeats with made-up
// ids costs at most about 265 MB. Beyond it a heartbeat or AddNode of a new id fails with
// ErrCapacity and is counted (Stats.RejectedOverCapacity); known nodes are unaffected.
func (c *Config) SetMaxNodes(n uint64) *Config {
	c.maxNodes, c.set = n, c.set|setMaxNodes
	return c
}

// SetMembership sets the membership mode: MembershipOpen (default) or MembershipFixed (only
// nodes registered with Monitor.AddNode are accepted). An unknown value is reported by
// NewMonitor as ErrInvalidArg.
func (c *Config) SetMembership(m Membership) *Config {
	c.membership, c.set = m, c.set|setMembership
	return c
}

// SetMaxLocalHealth sets the largest local health score (0 to 64): convicting takes at most
// 1 + maxScore times longer (see Monitor.SetLocalHealth). Default 7.
func (c *Config) SetMaxLocalHealth(maxScore uint32) *Config {
	c.maxLocalHealth, c.set = maxScore, c.set|setMaxLocalHealth
	return c
}

// SetConfirmationsExpected sets k, the number of distinct suspicion reports
// (Monitor.ReportSuspect) after which conviction needs only the minimum silence (1 to 64; also
// the number of reporters kept per node). Default 3.
func (c *Config) SetConfirmationsExpected(k uint32) *Config {
	c.confirmationsExpected, c.set = k, c.set|setConfirmationsExpected
	return c
}

// SetConfirmationMinRatio sets the fraction of a node's own deadline after which it is convicted
// once it has k confirmations, in (0, 1]. 1 disables the shortening. Default 0.5.
func (c *Config) SetConfirmationMinRatio(ratio float64) *Config {
	c.confirmationMinRatio, c.set = ratio, c.set|setConfirmationMinRatio
	return c
}

// durationNs converts a Duration setting to nanoseconds, rejecting negative values (which the
// library's unsigned arguments cannot express).
func durationNs(setter string, d time.Duration) (C.uint64_t, error) {
	if d < 0 {
		return 0, invalidArg(fmt.Sprintf("%s: %v is negative", setter, d))
	}
	return C.uint64_t(d), nil
}

// newNativeMonitor builds a phifd_config from c (nil: all defaults), creates the monitor and
// frees the config. The OS thread is locked for the whole sequence so that the library's
// per-thread error message read after a failure is the one of that failure.
func newNativeMonitor(c *Config) (*C.phifd_monitor, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var m *C.phifd_monitor
	if c == nil || c.set == 0 {
		if st := C.phifd_monitor_new(nil, &m); st != C.PHIFD_OK {
			return nil, lastError(st)
		}
		return m, nil
	}
	var cfg *C.phifd_config
	if st := C.phifd_config_new(&cfg); st != C.PHIFD_OK {
		return nil, lastError(st)
	}
	defer C.phifd_config_free(cfg)
	if err := c.apply(cfg); err != nil {
		return nil, err
	}
	if st := C.phifd_monitor_new(cfg, &m); st != C.PHIFD_OK {
		return nil, lastError(st)
	}
	return m, nil
}

// apply calls the library's setter for every setting given a value, in declaration order, and
// returns the first failure. The caller holds runtime.LockOSThread.
func (c *Config) apply(cfg *C.phifd_config) error {
	if c.set&setEstimator != 0 {
		if st := C.phifd_config_set_estimator(cfg, C.phifd_estimator(c.estimator)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setThreshold != 0 {
		if st := C.phifd_config_set_threshold(cfg, C.double(c.threshold)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setSuspectThreshold != 0 {
		if st := C.phifd_config_set_suspect_threshold(cfg, C.double(c.suspectThreshold)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setWindow != 0 {
		if st := C.phifd_config_set_window(cfg, C.uint64_t(c.window)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	durations := []struct {
		bit   uint32
		name  string
		value time.Duration
	}{
		{setHeartbeatInterval, "SetHeartbeatInterval", c.heartbeatInterval},
		{setMinStdDeviation, "SetMinStdDeviation", c.minStdDeviation},
		{setAcceptablePause, "SetAcceptablePause", c.acceptablePause},
		{setMaxInterval, "SetMaxInterval", c.maxInterval},
		{setRoundTrip, "SetRoundTrip", c.roundTrip},
		{setFirstHeartbeatTimeout, "SetFirstHeartbeatTimeout", c.firstHeartbeatTimeout},
		{setLocalPauseThreshold, "SetLocalPauseThreshold", c.localPauseThreshold},
		{setLocalPauseGrace, "SetLocalPauseGrace", c.localPauseGrace},
	}
	for _, d := range durations {
		if c.set&d.bit == 0 {
			continue
		}
		ns, err := durationNs(d.name, d.value)
		if err != nil {
			return err
		}
		var st C.phifd_status
		switch d.bit {
		case setHeartbeatInterval:
			st = C.phifd_config_set_heartbeat_interval_ns(cfg, ns)
		case setMinStdDeviation:
			st = C.phifd_config_set_min_std_deviation_ns(cfg, ns)
		case setAcceptablePause:
			st = C.phifd_config_set_acceptable_pause_ns(cfg, ns)
		case setMaxInterval:
			st = C.phifd_config_set_max_interval_ns(cfg, ns)
		case setRoundTrip:
			st = C.phifd_config_set_round_trip_ns(cfg, ns)
		case setFirstHeartbeatTimeout:
			st = C.phifd_config_set_first_heartbeat_timeout_ns(cfg, ns)
		case setLocalPauseThreshold:
			st = C.phifd_config_set_local_pause_threshold_ns(cfg, ns)
		case setLocalPauseGrace:
			st = C.phifd_config_set_local_pause_grace_ns(cfg, ns)
		}
		if st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setRecoveryHeartbeats != 0 {
		if st := C.phifd_config_set_recovery_heartbeats(cfg, C.uint32_t(c.recoveryHeartbeats)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setBurstFraction != 0 {
		if st := C.phifd_config_set_burst_fraction(cfg, C.double(c.burstFraction)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setMaxLocalHealth != 0 {
		if st := C.phifd_config_set_max_local_health(cfg, C.uint32_t(c.maxLocalHealth)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setConfirmationsExpected != 0 {
		if st := C.phifd_config_set_confirmations_expected(cfg, C.uint32_t(c.confirmationsExpected)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setMaxNodes != 0 {
		if st := C.phifd_config_set_max_nodes(cfg, C.uint64_t(c.maxNodes)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setMembership != 0 {
		if st := C.phifd_config_set_membership(cfg, C.phifd_membership(c.membership)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	if c.set&setConfirmationMinRatio != 0 {
		if st := C.phifd_config_set_confirmation_min_ratio(cfg, C.double(c.confirmationMinRatio)); st != C.PHIFD_OK {
			return lastError(st)
		}
	}
	return nil
}
