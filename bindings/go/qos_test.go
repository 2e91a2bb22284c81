package phifd

import (
	"errors"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// QoS targets and live retuning (docs/qos.md). Expected values are derived here from the closed
// forms of docs/qos.md, never read back from the library. With the exponential estimator
// phi = silence / mean / ln 10, so threshold T puts the FAILED deadline of a window of 1 s
// intervals at T ln 10 s, and the model's tail is P(X > d) = exp(-d / mean).

// expDeadline is the deadline of phi level l on 1 s intervals, exponential estimator: the first
// whole ns at which silence / 1 s / ln 10 reaches l.
func expDeadline(l float64) time.Duration {
	return time.Duration(math.Ceil(l * math.Ln10 * 1e9))
}

// qosMonitor is a monitor (closed at the end of the test) with the exponential estimator,
// threshold 8 (suspect 4), the given window, no QoS warm-up, and the settings more makes (more
// may be nil). No warm-up: these tests check the derivation from the history; the warm-up has
// tests of its own (which restore it with ResetQoSWarmup in more).
func qosMonitor(t *testing.T, window uint64, more func(*Config)) *Monitor {
	t.Helper()
	c := NewConfig().SetEstimator(EstimatorExponential).SetWindow(window).SetThreshold(8).SetQoSWarmup(0)
	if more != nil {
		more(c)
	}
	return mustMonitor(t, c)
}

// beat sends heartbeats from nodes every second from 1 s, count of each; returns the last time.
func beat(t *testing.T, m *Monitor, nodes []uint64, count int) uint64 {
	t.Helper()
	var now uint64
	for i := 1; i <= count; i++ {
		now = uint64(i) * sec
		for _, n := range nodes {
			if err := m.Heartbeat(n, 1, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	return now
}

func report(t *testing.T, m *Monitor, node, now uint64) QoSReport {
	t.Helper()
	r, err := m.QoSReport(node, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(a time.Duration, b float64, tol float64) bool { return math.Abs(float64(a)-b) <= tol }

func relNear(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Abs(b) }

func TestQoSConfigRoundTrip(t *testing.T) {
	c := NewConfig()
	if q, ok := c.QoS(); ok || q != (QoS{}) {
		t.Fatalf("default: %+v %v, want none", q, ok)
	}
	if _, ok := (&Config{}).QoS(); ok {
		t.Fatal("the zero Config has targets")
	}
	want := QoS{MaxDetection: 5 * time.Second, MinMistakeRecurrence: time.Hour, MaxMistakeDuration: 2 * time.Second}
	if q, ok := c.SetQoS(want).QoS(); !ok || q != want || c.Err() != nil {
		t.Fatalf("got %+v %v (%v), want %+v", q, ok, c.Err(), want)
	}
	if _, ok := c.ClearQoS().QoS(); ok {
		t.Fatal("ClearQoS left targets")
	}
	// A refused value names the field, keeps the previous targets and is returned by NewMonitor.
	for _, tc := range []struct {
		q     QoS
		field string
	}{
		{QoS{MinMistakeRecurrence: time.Hour}, "max_detection_ns"},
		{QoS{MaxDetection: time.Second}, "min_mistake_recurrence_ns"},
		{QoS{MaxDetection: 1e15 + 1, MinMistakeRecurrence: time.Second}, "max_detection_ns"},
		{QoS{MaxDetection: time.Second, MinMistakeRecurrence: time.Second, MaxMistakeDuration: 1e15 + 1}, "max_mistake_duration_ns"},
		{QoS{MaxDetection: -time.Second, MinMistakeRecurrence: time.Second}, "MaxDetection"},
		{QoS{MaxDetection: time.Second, MinMistakeRecurrence: time.Second, MaxMistakeDuration: -1}, "MaxMistakeDuration"},
	} {
		c := NewConfig().SetQoS(want).SetQoS(tc.q)
		if !errors.Is(c.Err(), ErrInvalidArg) || !strings.Contains(c.Err().Error(), tc.field) {
			t.Errorf("%+v: %v, want ErrInvalidArg naming %s", tc.q, c.Err(), tc.field)
		}
		if q, ok := c.QoS(); !ok || q != want {
			t.Errorf("%+v: targets now %+v %v, want the previous ones", tc.q, q, ok)
		}
		if _, err := NewMonitor(c); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("%+v: NewMonitor: %v", tc.q, err)
		}
	}
}

func TestQoSWarmupConfig(t *testing.T) {
	for name, c := range map[string]*Config{"NewConfig": NewConfig(), "zero Config": {}} {
		if d, ok := c.QoSWarmup(); ok || d != 0 {
			t.Errorf("%s: default warm-up %v %v, want none set", name, d, ok)
		}
	}
	c := NewConfig()
	for _, d := range []time.Duration{0, 90 * time.Minute, 1e15} { // 10^15 ns: the largest accepted
		if got, ok := c.SetQoSWarmup(d).QoSWarmup(); !ok || got != d || c.Err() != nil {
			t.Errorf("SetQoSWarmup(%v): %v %v (%v)", d, got, ok, c.Err())
		}
	}
	if d, ok := c.ResetQoSWarmup().QoSWarmup(); ok || d != 0 || c.Err() != nil {
		t.Errorf("ResetQoSWarmup: %v %v (%v), want the default", d, ok, c.Err())
	}
	if _, ok := (&Config{}).ResetQoSWarmup().QoSWarmup(); ok {
		t.Error("ResetQoSWarmup on a zero Config set a warm-up")
	}
	// A refused value names the setting, keeps the previous warm-up and is returned by
	// NewMonitor. The largest Duration (about 2^63 ns) is refused too: it cannot be mistaken for
	// the library's "default" value, 2^64 - 1.
	for _, tc := range []struct {
		d    time.Duration
		name string
	}{{1e15 + 1, "qos_warmup_ns"}, {math.MaxInt64, "qos_warmup_ns"}, {-time.Second, "SetQoSWarmup"}} {
		c := NewConfig().SetQoSWarmup(time.Minute).SetQoSWarmup(tc.d)
		if !errors.Is(c.Err(), ErrInvalidArg) || !strings.Contains(c.Err().Error(), tc.name) {
			t.Errorf("SetQoSWarmup(%v): %v, want ErrInvalidArg naming %s", tc.d, c.Err(), tc.name)
		}
		if d, ok := c.QoSWarmup(); !ok || d != time.Minute {
			t.Errorf("SetQoSWarmup(%v): warm-up now %v %v, want the previous 1m0s", tc.d, d, ok)
		}
		if _, err := NewMonitor(c); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("SetQoSWarmup(%v): NewMonitor: %v", tc.d, err)
		}
	}
}

// warmupMonitor is node 1 of a monitor with 100 steady 1 s intervals in its window of 100
// (nothing dropped: max interval 1000 s, no burst rule), switched to QoS with T_D = 20 s and
// T_MR = 1000 s; warmup sets the warm-up (nil: the default). Returns the report at the last
// arrival, the monitor and that time.
func warmupMonitor(t *testing.T, warmup func(*Config)) (QoSReport, *Monitor, uint64) {
	t.Helper()
	m := qosMonitor(t, 100, func(c *Config) {
		c.SetMaxInterval(1000 * time.Second).SetBurstFraction(0).ResetQoSWarmup()
		if warmup != nil {
			warmup(c)
		}
	})
	now := beat(t, m, []uint64{1}, 101)
	if err := m.SetNodeQoS(1, &QoS{MaxDetection: 20 * time.Second, MinMistakeRecurrence: 1000 * time.Second}); err != nil {
		t.Fatal(err)
	}
	return report(t, m, 1, now), m, now
}

func TestQoSWarmupHoldsTheDeadlineByHand(t *testing.T) {
	// By hand: the exponential model meets T_MR with d = mu ln(T_MR / mu) = ln(1000) s (mu = 1 s).
	// The default warm-up is W = min(T_MR, 1 h) = 1000 s; the node was switched to QoS just now,
	// so watched = the window's span, 100 x 1 s; no round trip declared. During the warm-up the
	// deadline is at least T_D (1 - watched / W).
	const td, tmr, mu, span = 20e9, 1000e9, 1e9, 100e9
	best := mu * math.Log(tmr/mu)
	hold := func(w float64) float64 { return math.Max(0, td*(1-span/w)) }
	w := math.Min(tmr, float64(time.Hour))
	if hold(w) != 18e9 || best > hold(w) { // the case this test is about: the hold wins
		t.Fatalf("hold %v, best %v", hold(w), best)
	}
	r, m, now := warmupMonitor(t, nil)
	if !r.QoS || !r.Feasible || r.Established {
		t.Fatalf("%+v, want QoS, feasible, not established", r)
	}
	if !near(r.Deadline, hold(w), 2) || r.PredictedDetection != r.Deadline || !near(r.BestDetection, best, 2) {
		t.Errorf("deadline %v, T_D %v, best %v; want %v, the same, %v", r.Deadline, r.PredictedDetection,
			r.BestDetection, hold(w), best)
	}
	// The tail at the held deadline is exp(-18 s / mu): T_MR predicted = mu e^18.
	if !relNear(float64(r.PredictedMistakeRecurrence), mu*math.Exp(hold(w)/mu), 1e-6) {
		t.Errorf("T_MR %v, want %v", r.PredictedMistakeRecurrence, time.Duration(mu*math.Exp(hold(w)/mu)))
	}
	// The node is judged by the held deadline: one FAILED event at now + 18 s.
	mustPoll(t, m, now)
	var failed []Event
	for _, e := range mustPoll(t, m, now+25*sec) {
		if e.To == StateFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || math.Abs(float64(failed[0].TimeNs)-(float64(now)+hold(w))) > 2 {
		t.Errorf("FAILED events %v, want one at %v", failed, float64(now)+hold(w))
	}

	// A warm-up of its own: 200 s holds 20 s x (1 - 100/200) = 10 s; 100 s (watched already) and
	// 0 hold nothing: established, the history's own deadline.
	for _, tc := range []struct {
		w           time.Duration
		established bool
		deadline    float64
	}{{200 * time.Second, false, hold(200e9)}, {100 * time.Second, true, best}, {0, true, best}} {
		r, _, _ := warmupMonitor(t, func(c *Config) { c.SetQoSWarmup(tc.w) })
		if r.Established != tc.established || !r.Feasible || !near(r.Deadline, tc.deadline, 2) ||
			!near(r.BestDetection, best, 2) {
			t.Errorf("warm-up %v: %+v, want established %v, deadline %v, best %v", tc.w, r, tc.established,
				time.Duration(tc.deadline), time.Duration(best))
		}
		if tc.established && r.BestDetection != r.PredictedDetection {
			t.Errorf("warm-up %v: best %v, T_D %v, want equal once established", tc.w, r.BestDetection, r.PredictedDetection)
		}
	}
}

func TestQoSThresholdNodeReportIsTheExponentialModels(t *testing.T) {
	m := qosMonitor(t, 10, nil)
	now := beat(t, m, []uint64{1}, 20)
	r := report(t, m, 1, now)
	if r.QoS || !r.Feasible || !r.Established || r.Threshold != 8 || r.SuspectThreshold != 4 {
		t.Fatalf("%+v", r)
	}
	if r.Deadline != expDeadline(8) || r.PredictedDetection != r.Deadline || r.BestDetection != r.Deadline {
		t.Errorf("deadline %v, T_D %v, best %v; want %v", r.Deadline, r.PredictedDetection, r.BestDetection, expDeadline(8))
	}
	// Tail at 8 ln 10 s: exp(-8 ln 10) = 1e-8, so T_MR = 1 s / 1e-8 = 1e8 s; T_M = the mean.
	if !relNear(float64(r.PredictedMistakeRecurrence), 1e17, 1e-6) || !near(r.PredictedMistakeDuration, 1e9, 2) {
		t.Errorf("T_MR %v, T_M %v", r.PredictedMistakeRecurrence, r.PredictedMistakeDuration)
	}
	if r.LossRate != 0 || r.Samples != 10 {
		t.Errorf("loss %v, samples %d", r.LossRate, r.Samples)
	}
}

func TestQoSNodeMeetsTheClosedForm(t *testing.T) {
	// Window 10 (< 32: the model alone). exp(-d/mu) = mu/T_MR  =>  d = mu ln(T_MR/mu); with
	// mu = 1 s and T_MR = 1000 s: d = 3 ln 10 s = 6.91 s, threshold log10(1000) = 3.
	rtt := 200 * time.Millisecond
	m := qosMonitor(t, 10, func(c *Config) {
		c.SetRoundTrip(rtt).SetQoS(QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second})
	})
	now := beat(t, m, []uint64{1}, 20)
	r := report(t, m, 1, now)
	d := 1e9 * math.Log(1000)
	if !r.QoS || !r.Feasible || !relNear(r.Threshold, 3, 1e-9) || !relNear(r.SuspectThreshold, 1.5, 1e-9) {
		t.Fatalf("%+v", r)
	}
	if !near(r.Deadline, d, 2) || !near(r.PredictedDetection, d+float64(rtt)/2, 2) || r.BestDetection != r.PredictedDetection {
		t.Errorf("deadline %v, T_D %v, best %v; want %v and %v + rtt/2", r.Deadline, r.PredictedDetection, r.BestDetection, d, d)
	}
	if !relNear(float64(r.PredictedMistakeRecurrence), 1e12, 1e-6) || !near(r.PredictedMistakeDuration, 1e9, 2) || r.Samples != 10 {
		t.Errorf("T_MR %v, T_M %v, samples %d", r.PredictedMistakeRecurrence, r.PredictedMistakeDuration, r.Samples)
	}
	// The node is judged by that deadline: silence past it is one FAILED event at now + d.
	if _, err := m.Poll(now); err != nil {
		t.Fatal(err)
	}
	ev, err := m.Poll(now + 7*sec)
	if err != nil {
		t.Fatal(err)
	}
	var failed []Event
	for _, e := range ev {
		if e.To == StateFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) != 1 || math.Abs(float64(failed[0].TimeNs)-(float64(now)+d)) > 2 {
		t.Errorf("FAILED events %v, want one at %v", failed, float64(now)+d)
	}
}

func TestQoSDeadlineFromTheTailFitByHand(t *testing.T) {
	// 100 intervals: a grid of 900..1098 ms with five long gaps (3, 4, 5, 6 and 8 s) in place of
	// five of them: the tail the fit must carry.
	ms := uint64(time.Millisecond)
	xs := make([]uint64, 100)
	for i := range xs {
		xs[i] = 900*ms + uint64(i*37%100)*2*ms
	}
	for i, g := range map[int]uint64{10: 3, 30: 4, 50: 5, 70: 6, 90: 8} {
		xs[i] = g * sec
	}
	m := qosMonitor(t, 100, func(c *Config) { c.SetMaxInterval(1000 * time.Second).SetBurstFraction(0) })
	now := sec
	if err := m.Heartbeat(1, 1, now); err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		now += x
		if err := m.Heartbeat(1, 1, now); err != nil {
			t.Fatal(err)
		}
	}
	tmr := 10_000 * time.Second
	// Retuned at the end, so the node derives its levels on exactly this window.
	if err := m.SetNodeQoS(1, &QoS{MaxDetection: time.Minute, MinMistakeRecurrence: tmr}); err != nil {
		t.Fatal(err)
	}
	r := report(t, m, 1, now)

	// docs/qos.md steps 3-4 by hand: k = max(8, ceil(sqrt n)) largest intervals over u, the next
	// one; scale = mean excess x (1 + 1/sqrt k); d = u + scale ln(k / (n p)), p = mu / T_MR; and
	// at least the empirical quantile, here (p n < 1) the longest interval, 8 s.
	v := make([]float64, len(xs))
	sum := 0.0
	for i, x := range xs {
		v[i] = float64(x)
		sum += float64(x)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(v)))
	n := float64(len(v))
	k := math.Max(8, math.Ceil(math.Sqrt(n)))
	u := v[int(k)]
	beta := 0.0
	for _, x := range v[:int(k)] {
		beta += x - u
	}
	beta /= k
	scale := beta * (1 + 1/math.Sqrt(k))
	mu := sum / n
	p := mu / float64(tmr)
	dModel := mu * math.Log(1/p)
	dPot := u + scale*math.Log(k/(n*p))
	if dPot <= dModel || dPot <= v[0] || p*n >= 1 || v[0] != float64(8*sec) {
		t.Fatalf("this window's tail must be the fit's: %v vs model %v, longest %v (p n = %v)", dPot, dModel, v[0], p*n)
	}
	if !r.QoS || !r.Feasible || r.Samples != 100 {
		t.Fatalf("%+v", r)
	}
	if !near(r.Deadline, dPot, 2) || math.Abs(r.Threshold-dPot/mu/math.Ln10) > 1e-9 {
		t.Errorf("deadline %v threshold %v, want %v and %v", r.Deadline, r.Threshold, dPot, dPot/mu/math.Ln10)
	}
	// At dPot the fit's tail is exactly mu/T_MR: the predicted T_MR is the target.
	if !relNear(float64(r.PredictedMistakeRecurrence), float64(tmr), 1e-6) ||
		!near(r.PredictedMistakeDuration, math.Max(scale, mu), 1) {
		t.Errorf("T_MR %v (want %v), T_M %v (want %v)", r.PredictedMistakeRecurrence, tmr, r.PredictedMistakeDuration, math.Max(scale, mu))
	}
}

func TestQoSInfeasibleTargetsKeepTheMistakeRateDeadline(t *testing.T) {
	m := qosMonitor(t, 10, nil)
	now := beat(t, m, []uint64{1}, 20)
	d := 3 * math.Ln10 * 1e9 // T_MR = 1000 s on 1 s intervals
	if err := m.SetNodeQoS(1, &QoS{MaxDetection: 5 * time.Second, MinMistakeRecurrence: 1000 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if r := report(t, m, 1, now); !r.QoS || r.Feasible || !near(r.Deadline, d, 2) || !near(r.BestDetection, d, 2) {
		t.Errorf("T_D bound out of reach: %+v", r)
	}
	q := QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second, MaxMistakeDuration: 500 * time.Millisecond}
	if err := m.SetNodeQoS(1, &q); err != nil {
		t.Fatal(err)
	}
	if r := report(t, m, 1, now); r.Feasible {
		t.Errorf("T_M bound below the 1 s mean: %+v", r)
	}
	q.MaxMistakeDuration = 2 * time.Second
	if err := m.SetNodeQoS(1, &q); err != nil {
		t.Fatal(err)
	}
	if r := report(t, m, 1, now); !r.Feasible {
		t.Errorf("feasible targets: %+v", r)
	}
}

func TestQoSLossRateFromVersionGaps(t *testing.T) {
	m := qosMonitor(t, 100, func(c *Config) {
		c.SetMaxInterval(100 * time.Second).SetQoS(QoS{MaxDetection: 20 * time.Second, MinMistakeRecurrence: time.Hour})
	})
	now := sec
	for v := uint64(1); v <= 200; v++ { // every 4th version lost: 50 of 200
		now += sec
		if v%4 != 0 {
			if _, err := m.HeartbeatVersion(1, 1, v, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 150 arrivals, the first shows no gap: 149 counted after it; 50 versions skipped, the last
	// (200) never followed by an arrival: 49 seen. Loss = 49 / (149 + 49).
	if r := report(t, m, 1, now); math.Abs(r.LossRate-49.0/198.0) > 1e-12 {
		t.Errorf("loss %v, want %v", r.LossRate, 49.0/198.0)
	}
}

// jitter sends heartbeats from nodes 1..3 to every monitor every 1 s +/- 20 ms (a seeded
// xorshift), count of them from start; returns the last time.
func jitter(t *testing.T, ms []*Monitor, start uint64, count int, seed uint64) uint64 {
	t.Helper()
	now, x := start, seed
	for i := 0; i < count; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		now += sec - 20*uint64(time.Millisecond) + x%(40*uint64(time.Millisecond))
		for _, m := range ms {
			for node := uint64(1); node <= 3; node++ {
				if err := m.Heartbeat(node, 1, now); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return now
}

// sameEvents compares two monitors' polls over steps steps of 500 ms after now; returns the count
// of events.
func sameEvents(t *testing.T, a, b *Monitor, now uint64, steps int) int {
	t.Helper()
	seen := 0
	for k := 1; k <= steps; k++ {
		at := now + uint64(k)*500*uint64(time.Millisecond)
		ea, eb := mustPoll(t, a, at), mustPoll(t, b, at)
		if !reflect.DeepEqual(ea, eb) {
			t.Fatalf("at +%d x 500 ms: retuned %v, configured from the start %v", k, ea, eb)
		}
		seen += len(ea)
	}
	return seen
}

func TestRetunedThresholdsMatchAMonitorConfiguredSo(t *testing.T) {
	for _, est := range []Estimator{EstimatorAkka, EstimatorNormal, EstimatorExponential} {
		mk := func(th, su float64) *Monitor {
			return mustMonitor(t, NewConfig().SetEstimator(est).SetThreshold(th).SetSuspectThreshold(su).
				SetMaxInterval(10*time.Second))
		}
		retuned, fresh := mk(8, 4), mk(12, 3)
		now := jitter(t, []*Monitor{retuned, fresh}, sec, 300, 0x5EED+uint64(est))
		if a, b := mustPoll(t, retuned, now), mustPoll(t, fresh, now); !reflect.DeepEqual(a, b) {
			t.Fatalf("%v: %v vs %v", est, a, b)
		}
		before, _ := retuned.NodeInfo(1, now)
		if err := retuned.SetThresholds(12, 3); err != nil {
			t.Fatal(err)
		}
		for node := uint64(1); node <= 3; node++ {
			a, _ := retuned.NodeInfo(node, now)
			b, _ := fresh.NodeInfo(node, now)
			if a.Samples != before.Samples || a.MeanNs != b.MeanNs || a.FailAfter != b.FailAfter ||
				a.SuspectAfter != b.SuspectAfter || a.State != b.State {
				t.Errorf("%v node %d: retuned %+v, configured so %+v", est, node, a, b)
			}
		}
		if after, _ := retuned.NodeInfo(1, now); after.FailAfter == before.FailAfter {
			t.Errorf("%v: the deadline did not change", est)
		}
		now = jitter(t, []*Monitor{retuned, fresh}, now, 50, 0xBEEF+uint64(est))
		if seen := sameEvents(t, retuned, fresh, now, 80); seen < 6 {
			t.Errorf("%v: %d events, want SUSPECT and FAILED of 3 nodes", est, seen)
		}
	}
}

func TestRetuneDeclaresAtTheNextPollAtTheDeadlineInstant(t *testing.T) {
	m := qosMonitor(t, 10, nil)
	now := beat(t, m, []uint64{1}, 20)
	mustPoll(t, m, now)
	at := now + 12*sec // past the suspect level's 4 ln10 s = 9.2 s, before 8 ln10 s = 18.4 s
	ev := mustPoll(t, m, at)
	if len(ev) != 1 || ev[0].To != StateSuspect || ev[0].TimeNs != now+uint64(expDeadline(4)) {
		t.Fatalf("before retuning: %v", ev)
	}
	if err := m.SetThresholds(5, 2.5); err != nil { // FAILED from 5 ln10 s = 11.5 s
		t.Fatal(err)
	}
	ev = mustPoll(t, m, at)
	if len(ev) != 1 || ev[0].From != StateSuspect || ev[0].To != StateFailed || ev[0].TimeNs != now+uint64(expDeadline(5)) {
		t.Errorf("after retuning: %v, want SUSPECT -> FAILED at %d", ev, now+uint64(expDeadline(5)))
	}
}

func TestRetunedQoSMatchesAMonitorConfiguredSo(t *testing.T) {
	// Steady 1 s intervals: every derivation sees the same window, so targets given now and
	// targets given from the start judge by the same deadline.
	q := QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second}
	retuned := qosMonitor(t, 10, nil)
	fresh := qosMonitor(t, 10, func(c *Config) { c.SetQoS(q) })
	nodes := []uint64{1, 2, 3}
	now := beat(t, retuned, nodes, 40)
	beat(t, fresh, nodes, 40)
	if a, b := mustPoll(t, retuned, now), mustPoll(t, fresh, now); !reflect.DeepEqual(a, b) {
		t.Fatalf("%v vs %v", a, b)
	}
	if err := retuned.SetQoS(&q); err != nil {
		t.Fatal(err)
	}
	for _, node := range nodes {
		a, b := report(t, retuned, node, now), report(t, fresh, node, now)
		if a != b || !a.QoS {
			t.Errorf("node %d: %+v vs %+v", node, a, b)
		}
		if i, _ := retuned.NodeInfo(node, now); i.Samples != 10 {
			t.Errorf("node %d: history lost (%d samples)", node, i.Samples)
		}
	}
	if seen := sameEvents(t, retuned, fresh, now, 40); seen != 6 {
		t.Errorf("%d events, want SUSPECT and FAILED of 3 nodes", seen)
	}
	if err := retuned.SetQoS(nil); err != nil {
		t.Fatal(err)
	}
	if r := report(t, retuned, 1, now); r.QoS || r.Threshold != 8 || r.Deadline != expDeadline(8) {
		t.Errorf("back to the thresholds: %+v", r)
	}
}

func TestNodeOverrideThenClear(t *testing.T) {
	m := qosMonitor(t, 10, nil)
	now := beat(t, m, []uint64{1, 2}, 20)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.SetNodeThresholds(2, 6, 3))
	must(m.SetThresholds(4, 2)) // node 2 keeps its own
	i1, _ := m.NodeInfo(1, now)
	i2, _ := m.NodeInfo(2, now)
	if i1.FailAfter != expDeadline(4) || i1.SuspectAfter != expDeadline(2) ||
		i2.FailAfter != expDeadline(6) || i2.SuspectAfter != expDeadline(3) || i1.Samples != 10 || i2.Samples != 10 {
		t.Fatalf("node 1 %+v, node 2 %+v", i1, i2)
	}
	must(m.SetQoS(&QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second}))
	if r1, r2 := report(t, m, 1, now), report(t, m, 2, now); !r1.QoS || r2.QoS || r2.Threshold != 6 {
		t.Errorf("monitor-wide QoS: node 1 %+v, node 2 %+v", r1, r2)
	}
	must(m.ClearNodeTuning(2)) // follows the monitor's targets: threshold log10(1000) = 3
	r2 := report(t, m, 2, now)
	if !r2.QoS || !relNear(r2.Threshold, 3, 1e-9) {
		t.Errorf("cleared: %+v", r2)
	}
	must(m.ClearNodeTuning(2)) // nothing of its own: left as it is
	if again := report(t, m, 2, now); again != r2 {
		t.Errorf("%+v vs %+v", again, r2)
	}
	must(m.SetNodeQoS(1, nil)) // the monitor's thresholds as they are now, as its own
	if r1 := report(t, m, 1, now); r1.QoS || r1.Threshold != 4 || r1.SuspectThreshold != 2 {
		t.Errorf("pinned: %+v", r1)
	}
	must(m.SetNodeQoS(1, &QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 100 * time.Second}))
	must(m.SetThresholds(7, 3.5)) // replaces the monitor's QoS; node 1 keeps its targets
	if r1, r2 := report(t, m, 1, now), report(t, m, 2, now); !r1.QoS || !relNear(r1.Threshold, 2, 1e-9) ||
		r2.QoS || r2.Threshold != 7 {
		t.Errorf("node 1 %+v, node 2 %+v", r1, r2)
	}
	must(m.ClearNodeTuning(1))
	if i, _ := m.NodeInfo(1, now); i.FailAfter != expDeadline(7) {
		t.Errorf("node 1 cleared: %v, want %v", i.FailAfter, expDeadline(7))
	}
}

func TestQoSBadInputs(t *testing.T) {
	m := qosMonitor(t, 10, nil)
	now := beat(t, m, []uint64{1}, 20)
	for _, b := range [][2]float64{{4, 5}, {4, 4}, {math.NaN(), 2}, {math.Inf(1), 2}, {0, 0}, {-1, -2}, {2e6, 1}, {0.2, 0.1}} {
		if err := m.SetThresholds(b[0], b[1]); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("SetThresholds%v: %v", b, err)
		}
		if err := m.SetNodeThresholds(1, b[0], b[1]); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("SetNodeThresholds%v: %v", b, err)
		}
	}
	for _, q := range []QoS{{MinMistakeRecurrence: time.Second}, {MaxDetection: time.Second},
		{MaxDetection: -1, MinMistakeRecurrence: time.Second}} {
		if err := m.SetQoS(&q); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("SetQoS(%+v): %v", q, err)
		}
		if err := m.SetNodeQoS(1, &q); !errors.Is(err, ErrInvalidArg) {
			t.Errorf("SetNodeQoS(%+v): %v", q, err)
		}
	}
	good := &QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second}
	for name, err := range map[string]error{
		"SetNodeThresholds": m.SetNodeThresholds(99, 4, 2),
		"SetNodeQoS":        m.SetNodeQoS(99, good),
		"SetNodeQoS(nil)":   m.SetNodeQoS(99, nil),
		"ClearNodeTuning":   m.ClearNodeTuning(99),
		"QoSReport":         func() error { _, err := m.QoSReport(99, now); return err }(),
	} {
		if !errors.Is(err, ErrUnknownNode) {
			t.Errorf("%s: %v, want ErrUnknownNode", name, err)
		}
	}
	// Nothing changed.
	if r := report(t, m, 1, now); r.QoS || r.Threshold != 8 || r.SuspectThreshold != 4 || r.Deadline != expDeadline(8) {
		t.Errorf("after refusals: %+v", r)
	}
	m.Close()
	for name, err := range map[string]error{
		"SetThresholds":     m.SetThresholds(4, 2),
		"SetQoS":            m.SetQoS(good),
		"SetQoS(nil)":       m.SetQoS(nil),
		"SetQoS(bad)":       m.SetQoS(&QoS{MaxDetection: -1}),
		"SetNodeThresholds": m.SetNodeThresholds(1, 4, 2),
		"SetNodeQoS":        m.SetNodeQoS(1, good),
		"ClearNodeTuning":   m.ClearNodeTuning(1),
		"QoSReport":         func() error { _, err := m.QoSReport(1, now); return err }(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// Retuning while other goroutines send heartbeats and read (run under -race by make test-go).
func TestRetuneConcurrentWithHeartbeats(t *testing.T) {
	m := qosMonitor(t, 100, nil)
	done := make(chan struct{})
	errs := make(chan error, 4)
	for g := uint64(0); g < 4; g++ {
		go func(node uint64) {
			defer func() { done <- struct{}{} }()
			for i := uint64(1); i <= 2000; i++ {
				if err := m.Heartbeat(node, 1, i*sec); err != nil {
					errs <- err
					return
				}
				if _, err := m.QoSReport(node, i*sec); err != nil {
					errs <- err
					return
				}
			}
		}(g + 1)
	}
	q := &QoS{MaxDetection: 10 * time.Second, MinMistakeRecurrence: 1000 * time.Second}
	for i := 0; i < 200; i++ {
		var err error
		switch i % 3 {
		case 0:
			err = m.SetQoS(q)
		case 1:
			err = m.SetThresholds(6, 3)
		default:
			err = m.SetQoS(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The last change was SetThresholds(6, 3) (i = 199 is 1 mod 3): every node follows it.
	for node := uint64(1); node <= 4; node++ {
		if r := report(t, m, node, 2000*sec); r.QoS || r.Threshold != 6 || r.SuspectThreshold != 3 {
			t.Errorf("node %d: %+v", node, r)
		}
	}
}
