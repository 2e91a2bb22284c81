package phifd

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// The defaults documented in phifd.h and the README's settings table, read back through the
// library's getters, from NewConfig and from a zero Config.
func TestConfigDefaults(t *testing.T) {
	for name, c := range map[string]*Config{"NewConfig": NewConfig(), "zero Config": {}} {
		got := []any{c.Estimator(), c.Threshold(), c.SuspectThreshold(), c.Window(),
			c.HeartbeatInterval(), c.MinStdDeviation(), c.AcceptablePause(), c.MaxInterval(),
			c.RoundTrip(), c.RecoveryHeartbeats(), c.BurstFraction(), c.MaxLocalHealth(),
			c.ConfirmationsExpected(), c.ConfirmationMinRatio(), c.MaxNodes(), c.Membership()}
		want := []any{EstimatorAkka, 8.0, 4.0, uint64(1000),
			time.Second, 250 * time.Millisecond, time.Duration(0), time.Duration(0),
			time.Duration(0), uint32(2), 0.25, uint32(7),
			uint32(3), 0.5, uint64(65536), MembershipOpen}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: getter %d = %v, want %v", name, i, got[i], want[i])
			}
		}
		for _, g := range []func() (time.Duration, error){c.FirstHeartbeatTimeout, c.LocalPauseThreshold, c.LocalPauseGrace} {
			if d, err := g(); err != nil || d <= 0 {
				t.Errorf("%s: derived default %v, %v; want a positive duration", name, d, err)
			}
		}
		if c.Err() != nil {
			t.Errorf("%s: Err() = %v", name, c.Err())
		}
	}
}

// Every setter's value is what the getter reads back.
func TestConfigSetGet(t *testing.T) {
	c := NewConfig().SetEstimator(EstimatorNormal).SetThreshold(12).SetSuspectThreshold(3).
		SetWindow(77).SetHeartbeatInterval(200 * time.Millisecond).
		SetMinStdDeviation(30 * time.Millisecond).SetAcceptablePause(5 * time.Millisecond).
		SetMaxInterval(time.Second).SetRoundTrip(20 * time.Millisecond).
		SetFirstHeartbeatTimeout(3 * time.Second).SetRecoveryHeartbeats(4).
		SetLocalPauseThreshold(700 * time.Millisecond).SetLocalPauseGrace(9 * time.Second).
		SetBurstFraction(0.1).SetMaxLocalHealth(3).SetConfirmationsExpected(5).
		SetConfirmationMinRatio(0.8).SetMaxNodes(1000).SetMembership(MembershipFixed)
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	fht, err1 := c.FirstHeartbeatTimeout()
	lpt, err2 := c.LocalPauseThreshold()
	lpg, err3 := c.LocalPauseGrace()
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	got := []any{c.Estimator(), c.Threshold(), c.SuspectThreshold(), c.Window(),
		c.HeartbeatInterval(), c.MinStdDeviation(), c.AcceptablePause(), c.MaxInterval(),
		c.RoundTrip(), fht, c.RecoveryHeartbeats(), lpt, lpg, c.BurstFraction(),
		c.MaxLocalHealth(), c.ConfirmationsExpected(), c.ConfirmationMinRatio(), c.MaxNodes(),
		c.Membership()}
	want := []any{EstimatorNormal, 12.0, 3.0, uint64(77),
		200 * time.Millisecond, 30 * time.Millisecond, 5 * time.Millisecond, time.Second,
		20 * time.Millisecond, 3 * time.Second, uint32(4), 700 * time.Millisecond, 9 * time.Second, 0.1,
		uint32(3), uint32(5), 0.8, uint64(1000),
		MembershipFixed}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("getter %d = %v, want %v", i, got[i], want[i])
		}
	}
	m, err := NewMonitor(c)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// Defaults that derive from other settings follow them until they are set themselves.
func TestConfigDerivedDefaults(t *testing.T) {
	c := NewConfig().SetThreshold(10).SetHeartbeatInterval(100 * time.Millisecond)
	if got := c.SuspectThreshold(); got != 5 {
		t.Errorf("suspect threshold after SetThreshold(10): %v, want 5", got)
	}
	if got := c.MinStdDeviation(); got != 25*time.Millisecond {
		t.Errorf("min std deviation after SetHeartbeatInterval(100ms): %v, want 25ms", got)
	}
	c.SetEstimator(EstimatorExponential)
	if got := c.MaxInterval(); got != 200*time.Millisecond {
		t.Errorf("max interval of the exponential estimator at 100 ms: %v, want 200ms", got)
	}
	c.SetSuspectThreshold(2).SetThreshold(20)
	if got := c.SuspectThreshold(); got != 2 {
		t.Errorf("a suspect threshold that was set changed with the threshold: %v", got)
	}
}

// A value out of range fails at its setter: Err reports it at once, naming the setting, the
// setting keeps its value, later setters still apply, and NewMonitor returns the same error.
func TestConfigSetterFails(t *testing.T) {
	for _, c := range []struct {
		set       func(*Config) *Config
		fragment  string
		unchanged func(*Config) bool
	}{
		{func(c *Config) *Config { return c.SetThreshold(math.NaN()) }, "threshold",
			func(c *Config) bool { return c.Threshold() == 8 }},
		{func(c *Config) *Config { return c.SetWindow(0) }, "window",
			func(c *Config) bool { return c.Window() == 1000 }},
		{func(c *Config) *Config { return c.SetMaxNodes(1 << 27) }, "max_nodes",
			func(c *Config) bool { return c.MaxNodes() == 65536 }},
		{func(c *Config) *Config { return c.SetMembership(Membership(9)) }, "membership",
			func(c *Config) bool { return c.Membership() == MembershipOpen }},
		{func(c *Config) *Config { return c.SetHeartbeatInterval(-time.Second) }, "SetHeartbeatInterval",
			func(c *Config) bool { return c.HeartbeatInterval() == time.Second }},
		{func(c *Config) *Config { return c.SetLocalPauseGrace(-1) }, "SetLocalPauseGrace",
			func(c *Config) bool { d, err := c.LocalPauseGrace(); return err == nil && d > 0 }},
	} {
		cfg := NewConfig()
		if cfg.Err() != nil {
			t.Fatal(cfg.Err())
		}
		c.set(cfg)
		err := cfg.Err()
		wantErr(t, err, ErrInvalidArg, c.fragment)
		if !c.unchanged(cfg) {
			t.Errorf("%s: a refused value changed the setting", c.fragment)
		}
		cfg.SetRecoveryHeartbeats(5).SetWindow(0) // applied; the second refusal is not kept
		if cfg.RecoveryHeartbeats() != 5 {
			t.Errorf("%s: a setter after a refusal was not applied", c.fragment)
		}
		if cfg.Err() != err {
			t.Errorf("%s: Err changed from the first refusal to %v", c.fragment, cfg.Err())
		}
		m, merr := NewMonitor(cfg)
		if m != nil || merr != err {
			t.Errorf("%s: NewMonitor gave %v, %v; want nil and the setter's error %v", c.fragment, m, merr, err)
		}
	}
}

// Rules between settings are checked by NewMonitor (no single setter can know the final
// values); a derived default that cannot be computed reports the same message.
func TestConfigCombinationAtNewMonitor(t *testing.T) {
	c := NewConfig().SetThreshold(4).SetSuspectThreshold(5)
	if c.Err() != nil {
		t.Fatalf("each value is in range, yet: %v", c.Err())
	}
	m, err := NewMonitor(c)
	if m != nil {
		m.Close()
	}
	wantErr(t, err, ErrInvalidArg, "suspect")

	c = NewConfig().SetHeartbeatInterval(time.Second).SetMaxInterval(500 * time.Millisecond)
	_, merr := NewMonitor(c)
	wantErr(t, merr, ErrInvalidArg, "max_interval")
	// The default first-heartbeat timeout derives from the window's statistics, which need a
	// max interval above the heartbeat interval; the getter gives NewMonitor's reason.
	var me *Error
	errors.As(merr, &me)
	reason := me.Message[strings.Index(me.Message, ": ")+2:]
	_, gerr := c.FirstHeartbeatTimeout()
	wantErr(t, gerr, ErrInvalidArg, "first_heartbeat_timeout", reason)
}

// Copies of a Config value share its settings; NewMonitor copies them, so later changes do not
// reach a monitor already created.
func TestConfigSharingAndCopy(t *testing.T) {
	c := NewConfig().SetHeartbeatInterval(time.Second)
	m, err := NewMonitor(c)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	copied := *c
	copied.SetHeartbeatInterval(2 * time.Second)
	if c.HeartbeatInterval() != 2*time.Second {
		t.Errorf("a copy of the Config value does not share its settings")
	}
	if err := m.AddNode(1, 1, 0); err != nil {
		t.Fatal(err)
	}
	info, err := m.NodeInfo(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(info.MeanNs-1e9) > 1 {
		t.Errorf("the monitor's seed mean %v ns, want the 1 s it was created with", info.MeanNs)
	}
}
