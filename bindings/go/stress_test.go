package phifd

// Suspicion under stress, with explicit timestamps: a pause of the monitor itself, gossiped
// heartbeat versions, suspicion confirmations (Lifeguard) and local health. Expected values are
// derived by hand in each test.

import (
	"errors"
	"math"
	"testing"
	"time"
)

const ms = uint64(time.Millisecond)

// baseFailAfterNs is the silence after which the exponential estimator convicts a node whose
// mean interval is 1 s at threshold 8: phi = t / mean / ln 10 reaches 8 at t = 8 ln 10 s =
// 18.420680743952367 s, rounded up to whole nanoseconds.
const baseFailAfterNs = uint64(18_420_680_744)

func failures(events []Event) []Event {
	var out []Event
	for _, e := range events {
		if e.Kind == EventStateChanged && e.To == StateFailed {
			out = append(out, e)
		}
	}
	return out
}

func mustMonitor(t *testing.T, cfg *Config) *Monitor {
	t.Helper()
	m, err := NewMonitor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func mustInfo(t *testing.T, m *Monitor, node, now uint64) NodeInfo {
	t.Helper()
	info, err := m.NodeInfo(node, now)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func mustPoll(t *testing.T, m *Monitor, now uint64) []Event {
	t.Helper()
	events, err := m.Poll(now)
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// Peers 1..20 heartbeat every 100 ms; peer 21 crashes at 5 s (normal operation); peer 22
// crashes at 12 s, during the monitor's own 10 s pause (no call at all from 9.95 s to 20 s).
// At 20 s the monitor drains the queued heartbeats, stamped with the processing time (no socket
// timestamps: the worst case), then runs normally again.
func TestTenSecondMonitorPauseConvictsNoHealthyPeer(t *testing.T) {
	const grace = 3 * time.Second
	m := mustMonitor(t, NewConfig().SetEstimator(EstimatorNormal).
		SetHeartbeatInterval(100*time.Millisecond).SetLocalPauseGrace(grace))
	var events []Event
	beat := func(now uint64) {
		for node := uint64(1); node <= 22; node++ {
			if (node == 21 && now >= 5*sec) || (node == 22 && now >= 12*sec) {
				continue
			}
			if err := m.Heartbeat(node, 1, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	for now := sec; now < 10*sec; now += 100 * ms {
		beat(now)
		events = append(events, mustPoll(t, m, now+50*ms)...)
	}
	// Peer 21 is convicted at its normal deadline: last heartbeat 4.9 s, mean 100 ms, standard
	// deviation at its default floor of 25 ms (heartbeat interval / 4); the exact normal tail
	// reaches 1e-8 at z = sqrt(2) erfcinv(2e-8) = 5.612 standard deviations.
	f := failures(events)
	if len(f) != 1 || f[0].Node != 21 {
		t.Fatalf("failures before the pause: %v, want peer 21 only", f)
	}
	z := math.Sqrt2 * math.Erfcinv(2e-8)
	deadline := 4.9e9 + 1e8 + z*25e6
	if math.Abs(float64(f[0].TimeNs)-deadline) > 1e6 {
		t.Errorf("peer 21 convicted at %d ns, want about %.0f ns", f[0].TimeNs, deadline)
	}

	resume := 20 * sec
	for i := uint64(0); i < 100; i++ { // 100 queued heartbeats per live peer, 0.1 ms apart
		for node := uint64(1); node <= 20; node++ {
			if err := m.Heartbeat(node, 1, resume+i*100_000); err != nil {
				t.Fatal(err)
			}
		}
	}
	for now := resume + 10*ms; now < 30*sec; now += 100 * ms {
		events = append(events, mustPoll(t, m, now)...)
		beat(now + 50*ms)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.PausesDetected != 1 {
		t.Errorf("PausesDetected = %d, want 1", st.PausesDetected)
	}
	if st.LastPauseStartNs != 9_950*ms || st.LastPauseEndNs != resume || st.GraceUntilNs != resume+uint64(grace) {
		t.Errorf("pause %d..%d, grace until %d; want %d..%d, grace until %d", st.LastPauseStartNs,
			st.LastPauseEndNs, st.GraceUntilNs, 9_950*ms, resume, resume+uint64(grace))
	}
	f = failures(events)
	if len(f) != 2 {
		t.Fatalf("failures: %v; want only the two crashed peers", f)
	}
	if f[1].Node != 22 || f[1].TimeNs != resume+uint64(grace) {
		t.Errorf("second failure %v, want peer 22 when the grace period ends (%d ns)", f[1], resume+uint64(grace))
	}
	// Neither the 10 s gap nor the burst was learned: the mean is still 100 ms.
	for node := uint64(1); node <= 20; node++ {
		info := mustInfo(t, m, node, 30*sec)
		if math.Abs(info.MeanNs-1e8) > 1e6 || info.State != StateAlive {
			t.Errorf("node %d: mean %v ns, state %v; want about 1e8 ns, ALIVE", node, info.MeanNs, info.State)
		}
	}
}

func TestFiftyRelaysOfOneVersionCountOnce(t *testing.T) {
	m := mustMonitor(t, nil)
	counted := func(gen, version, now uint64) bool {
		t.Helper()
		c, err := m.HeartbeatVersion(7, gen, version, now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if !counted(1, 10, sec) {
		t.Error("the first arrival of version 10 was not counted")
	}
	for relay := uint64(0); relay < 49; relay++ {
		if counted(1, 10, sec+relay*ms) {
			t.Fatalf("relay %d of version 10 counted again", relay)
		}
	}
	if counted(1, 9, sec+60*ms) {
		t.Error("an old version arriving late was counted")
	}
	info := mustInfo(t, m, 7, 2*sec)
	if info.Version != 10 || info.LastArrivalNs != sec {
		t.Errorf("version %d, last arrival %d; want 10 and %d (duplicates do not refresh it)", info.Version, info.LastArrivalNs, sec)
	}
	if st, err := m.Stats(); err != nil || st.DuplicateHeartbeats != 50 {
		t.Errorf("DuplicateHeartbeats = %d (%v), want 50 (49 relays + 1 old version)", st.DuplicateHeartbeats, err)
	}
	if !counted(1, 11, 2*sec) {
		t.Error("version 11 not counted")
	}
	if !counted(2, 1, 3*sec) {
		t.Error("a new generation with a lower version (a restart) not counted")
	}
	_, err := m.HeartbeatVersion(7, 1, 100, 4*sec)
	wantErr(t, err, ErrStaleGeneration)
	if info := mustInfo(t, m, 7, 4*sec); info.Generation != 2 || info.Version != 1 {
		t.Errorf("after the restart: generation %d version %d, want 2 and 1", info.Generation, info.Version)
	}
}

// The sender heartbeats every 100 ms; we hear of it by gossip every 300 to 700 ms, so versions
// jump by 3 to 7 between observations.
func TestVersionJumpsKeepThePerHeartbeatInterval(t *testing.T) {
	m := mustMonitor(t, NewConfig().SetHeartbeatInterval(500*time.Millisecond))
	rng, version, now := uint64(12345), uint64(1), sec
	if _, err := m.HeartbeatVersion(3, 1, version, now); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400; i++ {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		jump := 3 + rng%5
		version += jump
		now += jump*100*ms + (rng>>20)%(5*ms) // gossip delay jitter under 5 ms
		if c, err := m.HeartbeatVersion(3, 1, version, now); err != nil || !c {
			t.Fatalf("observation %d: counted %v, %v", i, c, err)
		}
	}
	info := mustInfo(t, m, 3, now)
	if math.Abs(info.HeartbeatIntervalNs-1e8) > 5e6 || math.Abs(float64(info.HeartbeatInterval())-1e8) > 5e6 {
		t.Errorf("per-heartbeat interval %v ns, want about 1e8", info.HeartbeatIntervalNs)
	}
	if math.Abs(info.MeanNs-5e8) > 5e7 || info.State != StateAlive {
		t.Errorf("mean %v ns (want about 5e8, the gap between observations), state %v", info.MeanNs, info.State)
	}
}

// lifeguard is the deadline, computed here by hand, of a node whose own deadline is baseNs after
// n distinct suspicion reports: max(min, max - (max - min) ln(n + 1) / ln(k + 1)) with
// min = ratio * max, rounded up to whole nanoseconds.
func lifeguard(baseNs uint64, n, k int, ratio float64) uint64 {
	maxD := float64(baseNs)
	minD := ratio * maxD
	return uint64(math.Ceil(math.Max(minD, maxD-(maxD-minD)*math.Log(float64(n+1))/math.Log(float64(k+1)))))
}

func TestConfirmationsShortenConvictionByLifeguardsFormula(t *testing.T) {
	m := steady(t, exponential(), 5) // heartbeats at 0..4 s, mean 1 s
	failAfter := func() (uint64, uint32) {
		t.Helper()
		info := mustInfo(t, m, 1, 4*sec)
		return uint64(info.FailAfter), info.Confirmations
	}
	if fa, n := failAfter(); fa != baseFailAfterNs || n != 0 {
		t.Fatalf("fail after %d ns with %d confirmations, want %d and 0", fa, n, baseFailAfterNs)
	}
	report := func(reporter uint64) {
		t.Helper()
		if err := m.ReportSuspect(1, reporter); err != nil {
			t.Fatal(err)
		}
	}
	report(100)
	report(100) // the same reporter counts once
	// n = 1, k = 3, ratio 0.5: 1 - 0.5 ln 2 / ln 4 = 0.75 of the base.
	if fa, n := failAfter(); n != 1 || fa != lifeguard(baseFailAfterNs, 1, 3, 0.5) || fa != 13_815_510_558 {
		t.Errorf("n=1: fail after %d ns, %d confirmations; want %d, 1", fa, n, lifeguard(baseFailAfterNs, 1, 3, 0.5))
	}
	report(101)
	if fa, n := failAfter(); n != 2 || fa != lifeguard(baseFailAfterNs, 2, 3, 0.5) {
		t.Errorf("n=2: fail after %d ns, %d confirmations; want %d, 2", fa, n, lifeguard(baseFailAfterNs, 2, 3, 0.5))
	}
	for reporter := uint64(102); reporter < 2000; reporter++ {
		report(reporter)
	}
	// n = 3 = k: ln 4 / ln 4 = 1, so exactly the minimum, half the base.
	want := lifeguard(baseFailAfterNs, 3, 3, 0.5)
	if fa, n := failAfter(); n != 3 || fa != want || want != 9_210_340_372 {
		t.Errorf("flood: fail after %d ns, %d confirmations; want %d, 3 (at most k kept)", fa, n, want)
	}
	// Conviction happens at the shortened deadline.
	if f := failures(mustPoll(t, m, 4*sec+want-1)); len(f) != 0 {
		t.Errorf("convicted before the shortened deadline: %v", f)
	}
	f := failures(mustPoll(t, m, 4*sec+want))
	if len(f) != 1 || f[0].Node != 1 || f[0].TimeNs != 4*sec+want {
		t.Errorf("failures %v, want node 1 at %d", f, 4*sec+want)
	}

	wantErr(t, m.ReportSuspect(1, 1), ErrInvalidArg)
	wantErr(t, m.ReportSuspect(99, 1), ErrUnknownNode)
}

func TestANewHeartbeatRefutesSuspicion(t *testing.T) {
	m := steady(t, exponential(), 5)
	for _, reporter := range []uint64{10, 11} {
		if err := m.ReportSuspect(1, reporter); err != nil {
			t.Fatal(err)
		}
	}
	// A relay of the version already seen (plain heartbeat at 4 s carried version 5) is not newer:
	// it refutes nothing.
	base := mustInfo(t, m, 1, 4*sec).Version
	if c, err := m.HeartbeatVersion(1, 1, base, 4*sec+ms); err != nil || c {
		t.Fatalf("a duplicate version: counted %v, %v", c, err)
	}
	if info := mustInfo(t, m, 1, 4*sec); info.Confirmations != 2 {
		t.Errorf("confirmations after a duplicate: %d, want 2", info.Confirmations)
	}
	if c, err := m.HeartbeatVersion(1, 1, base+1, 5*sec); err != nil || !c {
		t.Fatalf("a newer version: counted %v, %v", c, err)
	}
	info := mustInfo(t, m, 1, 5*sec)
	if info.Confirmations != 0 || uint64(info.FailAfter) != baseFailAfterNs {
		t.Errorf("after a counted heartbeat: %d confirmations, fail after %d; want 0 and %d",
			info.Confirmations, uint64(info.FailAfter), baseFailAfterNs)
	}
}

func TestConfirmationSettings(t *testing.T) {
	// k = 1, ratio 0.25: one report shortens the deadline to a quarter at once.
	m := steady(t, exponential().SetConfirmationsExpected(1).SetConfirmationMinRatio(0.25), 5)
	if err := m.ReportSuspect(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.ReportSuspect(1, 3); err != nil {
		t.Fatal(err)
	}
	info := mustInfo(t, m, 1, 4*sec)
	want := lifeguard(baseFailAfterNs, 1, 1, 0.25)
	if info.Confirmations != 1 || uint64(info.FailAfter) != want || want != 4_605_170_186 {
		t.Errorf("k=1: %d confirmations, fail after %d; want 1 and %d", info.Confirmations, uint64(info.FailAfter), want)
	}
	// ratio 1 switches the shortening off.
	m = steady(t, exponential().SetConfirmationMinRatio(1), 5)
	for reporter := uint64(2); reporter < 10; reporter++ {
		if err := m.ReportSuspect(1, reporter); err != nil {
			t.Fatal(err)
		}
	}
	if info := mustInfo(t, m, 1, 4*sec); uint64(info.FailAfter) != baseFailAfterNs || info.Confirmations != 3 {
		t.Errorf("ratio 1: fail after %d, %d confirmations; want %d, 3", uint64(info.FailAfter), info.Confirmations, baseFailAfterNs)
	}
}

func TestLocalHealthStretchesConviction(t *testing.T) {
	m := steady(t, exponential(), 5)
	health := func() uint32 {
		t.Helper()
		h, err := m.LocalHealth()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := health(); h != 0 {
		t.Fatalf("initial local health %d", h)
	}
	if err := m.SetLocalHealth(3); err != nil {
		t.Fatal(err)
	}
	if h := health(); h != 3 {
		t.Errorf("LocalHealth = %d, want 3", h)
	}
	if st, _ := m.Stats(); st.LocalHealth != 3 {
		t.Errorf("Stats().LocalHealth = %d, want 3", st.LocalHealth)
	}
	if fa := uint64(mustInfo(t, m, 1, 4*sec).FailAfter); fa != 4*baseFailAfterNs {
		t.Errorf("score 3: fail after %d, want (1 + 3) x %d", fa, baseFailAfterNs)
	}
	err := m.SetLocalHealth(8) // the default maximum is 7
	if !errors.Is(err, ErrInvalidArg) {
		t.Errorf("SetLocalHealth(8) = %v, want ErrInvalidArg", err)
	}
	wantErr(t, err, ErrInvalidArg)
	if h := health(); h != 3 {
		t.Errorf("a rejected score changed the health to %d", h)
	}
	if err := m.SetLocalHealth(7); err != nil {
		t.Errorf("SetLocalHealth(7): %v", err)
	}
	if err := m.SetLocalHealth(0); err != nil {
		t.Fatal(err)
	}

	// The monitor's own score: polls every 100 ms, then one 300 ms late (more than twice the
	// usual gap, less than a pause), then a timely one.
	now := 5 * sec
	for i := 0; i < 20; i++ {
		mustPoll(t, m, now)
		now += 100 * ms
	}
	if h := health(); h != 0 {
		t.Errorf("regular polls: health %d, want 0", h)
	}
	now += 200 * ms
	mustPoll(t, m, now)
	if h := health(); h != 1 {
		t.Errorf("after a late poll: health %d, want 1", h)
	}
	if fa := uint64(mustInfo(t, m, 1, now).FailAfter); fa != 2*baseFailAfterNs {
		t.Errorf("score 1: fail after %d, want 2 x %d", fa, baseFailAfterNs)
	}
	mustPoll(t, m, now+100*ms)
	if h := health(); h != 0 {
		t.Errorf("after a timely poll: health %d, want 0", h)
	}
	if st, _ := m.Stats(); st.PausesDetected != 0 {
		t.Errorf("PausesDetected = %d, want 0", st.PausesDetected)
	}

	// A configured maximum.
	m = steady(t, exponential().SetMaxLocalHealth(10), 5)
	if err := m.SetLocalHealth(10); err != nil {
		t.Fatal(err)
	}
	if fa := uint64(mustInfo(t, m, 1, 4*sec).FailAfter); fa != 11*baseFailAfterNs {
		t.Errorf("score 10: fail after %d, want 11 x %d", fa, baseFailAfterNs)
	}
	wantErr(t, m.SetLocalHealth(11), ErrInvalidArg)
	m = steady(t, exponential().SetMaxLocalHealth(0), 5)
	wantErr(t, m.SetLocalHealth(1), ErrInvalidArg)

	m.Close()
	if _, err := m.LocalHealth(); !errors.Is(err, ErrClosed) {
		t.Errorf("LocalHealth after Close: %v", err)
	}
	if err := m.SetLocalHealth(0); !errors.Is(err, ErrClosed) {
		t.Errorf("SetLocalHealth after Close: %v", err)
	}
	if err := m.ReportSuspect(1, 2); !errors.Is(err, ErrClosed) {
		t.Errorf("ReportSuspect after Close: %v", err)
	}
	if _, err := m.HeartbeatVersion(1, 1, 1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("HeartbeatVersion after Close: %v", err)
	}
}

func TestNewSettersValidation(t *testing.T) {
	hb := NewConfig().SetHeartbeatInterval(time.Second)
	for _, c := range []struct {
		cfg      *Config
		ok       bool
		fragment string
	}{
		{NewConfig().SetLocalPauseThreshold(0), false, "pause"},
		{NewConfig().SetLocalPauseThreshold(-time.Second), false, "SetLocalPauseThreshold"},
		{NewConfig().SetLocalPauseThreshold(time.Nanosecond), true, ""},
		{NewConfig().SetLocalPauseThreshold(10 * time.Second), true, ""},
		{NewConfig().SetLocalPauseGrace(0), true, ""},
		{NewConfig().SetLocalPauseGrace(time.Minute), true, ""},
		{NewConfig().SetLocalPauseGrace(-1), false, "SetLocalPauseGrace"},
		{NewConfig().SetBurstFraction(0), true, ""},
		{NewConfig().SetBurstFraction(0.999), true, ""},
		{NewConfig().SetBurstFraction(1), false, "burst_fraction"},
		{NewConfig().SetBurstFraction(-0.1), false, "burst_fraction"},
		{NewConfig().SetBurstFraction(math.NaN()), false, "burst_fraction"},
		{NewConfig().SetBurstFraction(math.Inf(1)), false, "burst_fraction"},
		{NewConfig().SetMaxLocalHealth(0), true, ""},
		{NewConfig().SetMaxLocalHealth(64), true, ""},
		{NewConfig().SetMaxLocalHealth(65), false, "max_local_health"},
		{NewConfig().SetConfirmationsExpected(0), false, "confirmations_expected"},
		{NewConfig().SetConfirmationsExpected(1), true, ""},
		{NewConfig().SetConfirmationsExpected(64), true, ""},
		{NewConfig().SetConfirmationsExpected(65), false, "confirmations_expected"},
		{NewConfig().SetConfirmationMinRatio(0), false, "confirmation_min_ratio"},
		{NewConfig().SetConfirmationMinRatio(-0.5), false, "confirmation_min_ratio"},
		{NewConfig().SetConfirmationMinRatio(1.0000001), false, "confirmation_min_ratio"},
		{NewConfig().SetConfirmationMinRatio(math.NaN()), false, "confirmation_min_ratio"},
		{NewConfig().SetConfirmationMinRatio(1e-9), true, ""},
		{NewConfig().SetConfirmationMinRatio(1), true, ""},
		{hb.SetBurstFraction(0.5).SetMaxLocalHealth(3).SetConfirmationsExpected(5).
			SetConfirmationMinRatio(0.8).SetLocalPauseThreshold(2 * time.Second).
			SetLocalPauseGrace(5 * time.Second), true, ""},
	} {
		m, err := NewMonitor(c.cfg)
		if c.ok {
			if err != nil {
				t.Errorf("%+v: %v", c.cfg, err)
				continue
			}
			m.Close()
			continue
		}
		if m != nil {
			m.Close()
		}
		wantErr(t, err, ErrInvalidArg, c.fragment)
	}
}

// The burst fraction: ten heartbeats 1 ms apart after a steady 100 ms history are not learned
// with the default (0.25), and are learned with 0.
func TestBurstFraction(t *testing.T) {
	for _, c := range []struct {
		cfg     *Config
		learned bool
	}{
		{NewConfig().SetEstimator(EstimatorNormal).SetHeartbeatInterval(100 * time.Millisecond), false},
		{NewConfig().SetEstimator(EstimatorNormal).SetHeartbeatInterval(100 * time.Millisecond).SetBurstFraction(0), true},
	} {
		m := mustMonitor(t, c.cfg)
		now := sec
		for i := 0; i < 200; i++ {
			if err := m.Heartbeat(1, 1, now); err != nil {
				t.Fatal(err)
			}
			now += 100 * ms
		}
		if err := m.Heartbeat(1, 1, now); err != nil {
			t.Fatal(err)
		}
		before := mustInfo(t, m, 1, now)
		for i := 0; i < 9; i++ {
			now += ms
			if err := m.Heartbeat(1, 1, now); err != nil {
				t.Fatal(err)
			}
		}
		after := mustInfo(t, m, 1, now)
		if unchanged := after.MeanNs == before.MeanNs; unchanged == c.learned {
			t.Errorf("learned %v: mean %v -> %v", c.learned, before.MeanNs, after.MeanNs)
		}
	}
}
