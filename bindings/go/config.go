package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"runtime"
	"time"
)

// Config holds the settings of a monitor in the library's own configuration object (a native
// phifd_config): every setter calls the library's setter at once, and every getter reads the
// library's value, so a default that derives from other settings (such as the suspect threshold,
// half the threshold) is reported as NewMonitor will use it.
//
// The setters return the Config so calls can be chained. A value the library refuses (out of its
// range) leaves the setting unchanged and is recorded: [Config.Err] returns the first such error,
// naming the setter and the rule, right after the failing setter, and NewMonitor returns it
// instead of creating a monitor. Rules between settings (suspect threshold below threshold, max
// interval above heartbeat interval, timeout > heartbeat interval > round trip) are checked by
// NewMonitor.
//
// NewConfig creates a Config; the zero Config is also ready to use and holds every default. A
// Config may be reused for many monitors (each copies it). Its native object is freed by a
// finalizer once the Config is unreachable; copies of a Config value share it (and its
// settings). Do not use one Config from two goroutines while one of them calls a setter.
type Config struct {
	n   *nativeConfig // nil until the first setter: every default
	err error         // the first refused setting
}

// nativeConfig owns a phifd_config; a finalizer frees it.
type nativeConfig struct {
	ptr *C.phifd_config
}

// newNativeConfig creates a phifd_config with every default.
func newNativeConfig() *nativeConfig {
	var ptr *C.phifd_config
	if err := check(func() C.phifd_status { return C.phifd_config_new(&ptr) }); err != nil {
		// phifd_config_new fails only for a NULL out pointer.
		panic(fmt.Sprintf("phifd: phifd_config_new failed (a bug in the binding): %v", err))
	}
	n := &nativeConfig{ptr: ptr}
	runtime.SetFinalizer(n, func(n *nativeConfig) { C.phifd_config_free(n.ptr) })
	return n
}

// defaults is read by the getters of a Config that no setter has touched. It is never modified,
// so getters may read it from any number of goroutines at once.
var defaults = newNativeConfig()

// NewConfig returns a Config with every setting at the library's default.
func NewConfig() *Config { return &Config{n: newNativeConfig()} }

// Err returns the first error of a setter (ErrInvalidArg, whose message names the setting and
// its rule), or nil if every value was accepted. NewMonitor returns the same error.
func (c *Config) Err() error { return c.err }

// set calls the library's setter f on the native config at once. A refused value leaves the
// setting unchanged; the first refusal is kept for Err and NewMonitor.
func (c *Config) set(f func(p *C.phifd_config) C.phifd_status) *Config {
	if c.n == nil {
		c.n = newNativeConfig()
	}
	n := c.n
	err := check(func() C.phifd_status { return f(n.ptr) })
	runtime.KeepAlive(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return c
}

// setDuration is set for a Duration setting, which the library takes in nanoseconds. A negative
// value, which the library's unsigned argument cannot express, is refused here, naming setter.
func (c *Config) setDuration(setter string, d time.Duration,
	f func(p *C.phifd_config, ns C.uint64_t) C.phifd_status) *Config {
	if d < 0 {
		if c.err == nil {
			c.err = invalidArg(fmt.Sprintf("%s: %v is negative", setter, d))
		}
		return c
	}
	return c.set(func(p *C.phifd_config) C.phifd_status { return f(p, C.uint64_t(d)) })
}

// get calls the library's getter f on the native config (the defaults when no setter ran).
func (c *Config) get(f func(p *C.phifd_config) C.phifd_status) error {
	n := c.n
	if n == nil {
		n = defaults
	}
	err := check(func() C.phifd_status { return f(n.ptr) })
	runtime.KeepAlive(n)
	return err
}

// mustGet is get for a getter that fails only for a NULL or freed config, which a Config never
// passes.
func (c *Config) mustGet(f func(p *C.phifd_config) C.phifd_status) {
	if err := c.get(f); err != nil {
		panic(fmt.Sprintf("phifd: a Config getter failed (a bug in the binding): %v", err))
	}
}

// read calls the library's getter f with a pointer to a value of the getter's C type and returns
// the value it wrote (read from the defaults when no setter ran).
func read[T any](c *Config, f func(p *C.phifd_config, v *T) C.phifd_status) (T, error) {
	var v T
	err := c.get(func(p *C.phifd_config) C.phifd_status { return f(p, &v) })
	return v, err
}

// mustRead is read for a getter that fails only for a NULL or freed config (see mustGet).
func mustRead[T any](c *Config, f func(p *C.phifd_config, v *T) C.phifd_status) T {
	var v T
	c.mustGet(func(p *C.phifd_config) C.phifd_status { return f(p, &v) })
	return v
}

// newNativeMonitor creates a monitor from c (nil: all defaults), or returns c's first setter
// error.
func newNativeMonitor(c *Config) (*C.phifd_monitor, error) {
	var cfg *nativeConfig
	if c != nil {
		if c.err != nil {
			return nil, c.err
		}
		cfg = c.n
	}
	var m *C.phifd_monitor
	err := check(func() C.phifd_status {
		if cfg == nil {
			return C.phifd_monitor_new(nil, &m)
		}
		return C.phifd_monitor_new(cfg.ptr, &m)
	})
	runtime.KeepAlive(cfg)
	return m, err
}

// SetEstimator chooses how phi is computed. Default EstimatorAkka.
func (c *Config) SetEstimator(e Estimator) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_estimator(p, C.phifd_estimator(e))
	})
}

// SetThreshold sets the conviction threshold: a node is FAILED when its phi is at or above it.
// Must be finite, > 0 and <= 1e6. Default 8.
func (c *Config) SetThreshold(phi float64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_threshold(p, C.double(phi))
	})
}

// SetSuspectThreshold sets the suspicion threshold: a node is SUSPECT when its phi is at or above
// it (and below the threshold). Must be finite and > 0 (refused here); NewMonitor checks that it
// is below the threshold. Default threshold/2.
func (c *Config) SetSuspectThreshold(phi float64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_suspect_threshold(p, C.double(phi))
	})
}

// SetWindow sets how many inter-arrival intervals each node remembers (1 to 1,048,576); about 4
// bytes per interval per node. Default 1000.
func (c *Config) SetWindow(intervals uint64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_window(p, C.uint64_t(intervals))
	})
}

// SetHeartbeatInterval sets the expected heartbeat interval (at least 1 µs), which also seeds
// every node's history. Default 1 s.
func (c *Config) SetHeartbeatInterval(d time.Duration) *Config {
	return c.setDuration("SetHeartbeatInterval", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_heartbeat_interval_ns(p, ns)
	})
}

// SetMinStdDeviation sets the floor of the standard deviation used by phi (> 0). Default:
// heartbeat interval / 4 (the standard deviation of the seeded history).
func (c *Config) SetMinStdDeviation(d time.Duration) *Config {
	return c.setDuration("SetMinStdDeviation", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_min_std_deviation_ns(p, ns)
	})
}

// SetAcceptablePause sets the pause added to the learned mean (0 allowed, at most 11.6 days).
// Default 0.
func (c *Config) SetAcceptablePause(d time.Duration) *Config {
	return c.setDuration("SetAcceptablePause", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_acceptable_pause_ns(p, ns)
	})
}

// SetMaxInterval sets the longest interval that is learned; longer ones are dropped. Must exceed
// the heartbeat interval. Default: 2 x heartbeat interval for EstimatorExponential, none otherwise.
func (c *Config) SetMaxInterval(d time.Duration) *Config {
	return c.setDuration("SetMaxInterval", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_max_interval_ns(p, ns)
	})
}

// SetRoundTrip declares the network round-trip time (> 0) so that NewMonitor enforces the timing
// rule timeout > heartbeat interval > round trip. Optional.
func (c *Config) SetRoundTrip(d time.Duration) *Config {
	return c.setDuration("SetRoundTrip", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_round_trip_ns(p, ns)
	})
}

// SetFirstHeartbeatTimeout sets how long a node registered with AddNode may stay silent before
// its first heartbeat before it is FAILED (> 0). Default: the time the seeded history takes to
// reach the threshold.
func (c *Config) SetFirstHeartbeatTimeout(d time.Duration) *Config {
	return c.setDuration("SetFirstHeartbeatTimeout", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_first_heartbeat_timeout_ns(p, ns)
	})
}

// SetRecoveryHeartbeats sets how many consecutive heartbeats a FAILED node must deliver to be
// ALIVE again (1 to 255; SUSPECT in between). Default 2.
func (c *Config) SetRecoveryHeartbeats(n uint32) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_recovery_heartbeats(p, C.uint32_t(n))
	})
}

// SetLocalPauseThreshold sets the gap between two calls into the monitor beyond which it
// concludes that its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also
// exceed 4 x the usual gap between polls, and a cadence of at least 8 polls must have been seen.
// After a pause no node is convicted for the grace period (SetLocalPauseGrace) and no interval
// spanning the pause is learned. Must be > 0. Default: half the steady timeout (the silence phi
// takes to reach the threshold on a steady history). Poll at least every heartbeat interval for
// this to work.
func (c *Config) SetLocalPauseThreshold(d time.Duration) *Config {
	return c.setDuration("SetLocalPauseThreshold", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_local_pause_threshold_ns(p, ns)
	})
}

// SetLocalPauseGrace sets how long after a detected pause of this process no node is convicted
// (0 allowed). Default: 2 x the steady timeout.
func (c *Config) SetLocalPauseGrace(d time.Duration) *Config {
	return c.setDuration("SetLocalPauseGrace", d, func(p *C.phifd_config, ns C.uint64_t) C.phifd_status {
		return C.phifd_config_set_local_pause_grace_ns(p, ns)
	})
}

// SetBurstFraction sets the burst fraction, in [0, 1): an interval shorter than this fraction of
// the learned mean is not learned (the arrival still counts), so a burst of heartbeats delivered
// after a stall does not drag the mean down. 0 learns every interval. Default 0.25.
func (c *Config) SetBurstFraction(fraction float64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_burst_fraction(p, C.double(fraction))
	})
}

// SetMaxNodes sets the most nodes the monitor holds, 1 to 2^26. Default 65,536: a node costs
// about 4 KB once its default 1000-sample window is full, so a flood of heartbeats with made-up
// ids costs at most about 265 MB. Beyond it a heartbeat or AddNode of a new id fails with
// ErrCapacity and is counted (Stats.RejectedOverCapacity); known nodes are unaffected.
func (c *Config) SetMaxNodes(n uint64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_max_nodes(p, C.uint64_t(n))
	})
}

// SetMembership sets the membership mode: MembershipOpen (default) or MembershipFixed (only
// nodes registered with Monitor.AddNode are accepted). An unknown value is refused.
func (c *Config) SetMembership(m Membership) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_membership(p, C.phifd_membership(m))
	})
}

// SetMaxLocalHealth sets the largest local health score (0 to 64): convicting takes at most
// 1 + maxScore times longer (see Monitor.SetLocalHealth). Default 7.
func (c *Config) SetMaxLocalHealth(maxScore uint32) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_max_local_health(p, C.uint32_t(maxScore))
	})
}

// SetConfirmationsExpected sets k, the number of distinct suspicion reports
// (Monitor.ReportSuspect) after which conviction needs only the minimum silence (1 to 64; also
// the number of reporters kept per node). Default 3.
func (c *Config) SetConfirmationsExpected(k uint32) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_confirmations_expected(p, C.uint32_t(k))
	})
}

// SetConfirmationMinRatio sets the fraction of a node's own deadline after which it is convicted
// once it has k confirmations, in (0, 1]. 1 disables the shortening. Default 0.5.
func (c *Config) SetConfirmationMinRatio(ratio float64) *Config {
	return c.set(func(p *C.phifd_config) C.phifd_status {
		return C.phifd_config_set_confirmation_min_ratio(p, C.double(ratio))
	})
}

// Estimator returns the estimator (default EstimatorAkka).
func (c *Config) Estimator() Estimator {
	return Estimator(mustRead(c, func(p *C.phifd_config, v *C.phifd_estimator) C.phifd_status {
		return C.phifd_config_get_estimator(p, v)
	}))
}

// Threshold returns the conviction threshold (default 8).
func (c *Config) Threshold() float64 {
	return float64(mustRead(c, func(p *C.phifd_config, v *C.double) C.phifd_status {
		return C.phifd_config_get_threshold(p, v)
	}))
}

// SuspectThreshold returns the suspicion threshold: the one set, or else the current
// threshold / 2.
func (c *Config) SuspectThreshold() float64 {
	return float64(mustRead(c, func(p *C.phifd_config, v *C.double) C.phifd_status {
		return C.phifd_config_get_suspect_threshold(p, v)
	}))
}

// Window returns the number of intervals each node remembers (default 1000).
func (c *Config) Window() uint64 {
	return uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_window(p, v)
	}))
}

// HeartbeatInterval returns the expected heartbeat interval (default 1 s).
func (c *Config) HeartbeatInterval() time.Duration {
	return durationFromNs(uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_heartbeat_interval_ns(p, v)
	})))
}

// MinStdDeviation returns the floor of the standard deviation: the one set, or else the current heartbeat
// interval / 4.
func (c *Config) MinStdDeviation() time.Duration {
	return durationFromNs(uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_min_std_deviation_ns(p, v)
	})))
}

// AcceptablePause returns the acceptable pause (default 0).
func (c *Config) AcceptablePause() time.Duration {
	return durationFromNs(uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_acceptable_pause_ns(p, v)
	})))
}

// MaxInterval returns the longest interval learned: the one set, or else 2 x the current heartbeat
// interval with EstimatorExponential and 0, meaning no limit, with the other estimators.
func (c *Config) MaxInterval() time.Duration {
	return durationFromNs(uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_max_interval_ns(p, v)
	})))
}

// RoundTrip returns the declared round trip, or 0 if none was declared (the default).
func (c *Config) RoundTrip() time.Duration {
	return durationFromNs(uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_round_trip_ns(p, v)
	})))
}

// FirstHeartbeatTimeout returns the first-heartbeat timeout: the one set, or else the default
// NewMonitor would derive from the current settings. Errors: ErrInvalidArg when the value was not
// set and the settings do not combine (the message gives NewMonitor's reason).
func (c *Config) FirstHeartbeatTimeout() (time.Duration, error) {
	ns, err := read(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_first_heartbeat_timeout_ns(p, v)
	})
	if err != nil {
		return 0, err
	}
	return durationFromNs(uint64(ns)), nil
}

// RecoveryHeartbeats returns the heartbeats a FAILED node must deliver to be ALIVE again
// (default 2).
func (c *Config) RecoveryHeartbeats() uint32 {
	return uint32(mustRead(c, func(p *C.phifd_config, v *C.uint32_t) C.phifd_status {
		return C.phifd_config_get_recovery_heartbeats(p, v)
	}))
}

// LocalPauseThreshold returns the local pause threshold: the one set, or else the default
// NewMonitor would derive from the current settings (half the steady timeout). Errors:
// ErrInvalidArg when the value was not set and the settings do not combine (the message gives
// NewMonitor's reason).
func (c *Config) LocalPauseThreshold() (time.Duration, error) {
	ns, err := read(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_local_pause_threshold_ns(p, v)
	})
	if err != nil {
		return 0, err
	}
	return durationFromNs(uint64(ns)), nil
}

// LocalPauseGrace returns the grace after a local pause: the one set, or else the default
// NewMonitor would derive from the current settings (2 x the steady timeout). Errors:
// ErrInvalidArg when the value was not set and the settings do not combine (the message gives
// NewMonitor's reason).
func (c *Config) LocalPauseGrace() (time.Duration, error) {
	ns, err := read(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_local_pause_grace_ns(p, v)
	})
	if err != nil {
		return 0, err
	}
	return durationFromNs(uint64(ns)), nil
}

// BurstFraction returns the burst fraction (default 0.25).
func (c *Config) BurstFraction() float64 {
	return float64(mustRead(c, func(p *C.phifd_config, v *C.double) C.phifd_status {
		return C.phifd_config_get_burst_fraction(p, v)
	}))
}

// MaxNodes returns the most nodes a monitor holds (default 65,536).
func (c *Config) MaxNodes() uint64 {
	return uint64(mustRead(c, func(p *C.phifd_config, v *C.uint64_t) C.phifd_status {
		return C.phifd_config_get_max_nodes(p, v)
	}))
}

// Membership returns the membership mode (default MembershipOpen).
func (c *Config) Membership() Membership {
	return Membership(mustRead(c, func(p *C.phifd_config, v *C.phifd_membership) C.phifd_status {
		return C.phifd_config_get_membership(p, v)
	}))
}

// MaxLocalHealth returns the largest local health score (default 7).
func (c *Config) MaxLocalHealth() uint32 {
	return uint32(mustRead(c, func(p *C.phifd_config, v *C.uint32_t) C.phifd_status {
		return C.phifd_config_get_max_local_health(p, v)
	}))
}

// ConfirmationsExpected returns k, the expected number of suspicion confirmations (default 3).
func (c *Config) ConfirmationsExpected() uint32 {
	return uint32(mustRead(c, func(p *C.phifd_config, v *C.uint32_t) C.phifd_status {
		return C.phifd_config_get_confirmations_expected(p, v)
	}))
}

// ConfirmationMinRatio returns the fraction of its deadline after which a node with k confirmations is
// convicted (default 0.5).
func (c *Config) ConfirmationMinRatio() float64 {
	return float64(mustRead(c, func(p *C.phifd_config, v *C.double) C.phifd_status {
		return C.phifd_config_get_confirmation_min_ratio(p, v)
	}))
}
