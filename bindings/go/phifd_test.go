package phifd

import (
	"errors"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

const sec = uint64(time.Second)

// steady returns a monitor (closed at the end of the test) in which node 1 sent heartbeats at
// 0, 1, ..., n-1 seconds with generation 1.
func steady(t testing.TB, cfg *Config, n int) *Monitor {
	t.Helper()
	m, err := NewMonitor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	for i := 0; i < n; i++ {
		if err := m.Heartbeat(1, 1, uint64(i)*sec); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func exponential() *Config {
	return NewConfig().SetEstimator(EstimatorExponential).SetHeartbeatInterval(time.Second).
		SetThreshold(8).SetSuspectThreshold(4).SetMaxInterval(time.Hour)
}

func TestVersionMatchesCargo(t *testing.T) {
	cargo, err := os.ReadFile("../../Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^version\s*=\s*"([^"]+)"`).FindSubmatch(cargo)
	if want == nil {
		t.Fatal("no version in Cargo.toml")
	}
	if Version() != string(want[1]) || HeaderVersion != string(want[1]) {
		t.Errorf("library %q, header %q, Cargo.toml %q", Version(), HeaderVersion, want[1])
	}
}

func TestNowNs(t *testing.T) {
	a := NowNs()
	time.Sleep(time.Millisecond)
	b := NowNs()
	if a == 0 || b < a+uint64(time.Millisecond) {
		t.Errorf("NowNs went from %d to %d across a 1 ms sleep", a, b)
	}
}

func TestStringers(t *testing.T) {
	cases := map[string]string{
		StateUnknown.String():         "UNKNOWN",
		StateAlive.String():           "ALIVE",
		StateSuspect.String():         "SUSPECT",
		StateFailed.String():          "FAILED",
		State(99).String():            "State(99)",
		EventStateChanged.String():    "STATE_CHANGED",
		EventRestarted.String():       "RESTARTED",
		EventKind(7).String():         "EventKind(7)",
		EstimatorAkka.String():        "akka",
		EstimatorNormal.String():      "normal",
		EstimatorExponential.String(): "exponential",
		Estimator(9).String():         "Estimator(9)",
		StatusOK.String():             "PHIFD_OK",
		StatusUnknownNode.String():    "PHIFD_ERR_UNKNOWN_NODE",
		StatusBufferTooSmall.String(): "PHIFD_ERR_BUFFER_TOO_SMALL",
		StatusLocked.String():         "PHIFD_ERR_LOCKED",
		Status(1000).String():         "PHIFD_UNKNOWN_STATUS",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	e := Event{Node: 7, Generation: 2, TimeNs: 5, Phi: 1.25, Kind: EventStateChanged, From: StateAlive, To: StateSuspect}
	if s := e.String(); s != "node 7 gen 2 STATE_CHANGED ALIVE -> SUSPECT at 5 ns (phi 1.25)" {
		t.Errorf("Event.String() = %q", s)
	}
}

// The exponential model gives phi = silence / (mean ln 10); with steady 1 s heartbeats the mean
// is 1 s, so after 2 s of silence phi = 2 / ln 10.
func TestExponentialByHand(t *testing.T) {
	m := steady(t, exponential(), 11)
	last := 10 * sec
	for _, silence := range []float64{0, 0.5, 2, 10} {
		p, err := m.Phi(1, last+uint64(silence*1e9))
		if err != nil {
			t.Fatal(err)
		}
		if want := silence / math.Ln10; math.Abs(p-want) > 1e-9 {
			t.Errorf("phi after %v s = %v, want %v", silence, p, want)
		}
	}
	d, err := m.TimeUntilPhi(1, 8)
	if err != nil {
		t.Fatal(err)
	}
	if want := 8 * math.Ln10 * 1e9; math.Abs(float64(d)-want) > 2 {
		t.Errorf("TimeUntilPhi(8) = %v, want %v ns", d, want)
	}
	info, err := m.NodeInfo(1, last+2*sec)
	if err != nil {
		t.Fatal(err)
	}
	if info.Node != 1 || info.Generation != 1 || info.State != StateAlive || !info.HasArrival ||
		info.LastArrivalNs != last || info.SilenceOriginNs != last ||
		math.Abs(info.MeanNs-1e9) > 1e-3 || info.Mean() != time.Second || math.Abs(info.Phi-2/math.Ln10) > 1e-9 {
		t.Errorf("unexpected info %+v", info)
	}
	if math.Abs(float64(info.FailAfter)-8*math.Ln10*1e9) > 2 || math.Abs(float64(info.SuspectAfter)-4*math.Ln10*1e9) > 2 {
		t.Errorf("suspect after %v, fail after %v; want 4 ln10 s and 8 ln10 s", info.SuspectAfter, info.FailAfter)
	}
	n, err := m.NodeCount()
	if err != nil || n != 1 {
		t.Errorf("NodeCount = %d, %v", n, err)
	}
}

func TestPollTransitions(t *testing.T) {
	m := steady(t, exponential(), 11)
	last := 10 * sec
	ev, err := m.Poll(last)
	if err != nil || len(ev) != 1 || ev[0].From != StateUnknown || ev[0].To != StateAlive || ev[0].TimeNs != 0 {
		t.Fatalf("first poll: %v, %v", ev, err)
	}
	ev, err = m.Poll(last + 30*sec)
	if err != nil || len(ev) != 2 {
		t.Fatalf("poll after 30 s: %v, %v", ev, err)
	}
	// SUSPECT when phi reaches 4 (silence 4 ln10 s), FAILED at 8 (8 ln10 s).
	for i, want := range []struct {
		to  State
		phi float64
	}{{StateSuspect, 4}, {StateFailed, 8}} {
		e := ev[i]
		at := float64(last) + want.phi*math.Ln10*1e9
		if e.Kind != EventStateChanged || e.To != want.to || math.Abs(float64(e.TimeNs)-at) > 2 || math.Abs(e.Phi-want.phi) > 1e-6 {
			t.Errorf("event %d = %v, want -> %v at %.0f ns", i, e, want.to, at)
		}
	}
	if ev, _ := m.Poll(last + 31*sec); len(ev) != 0 {
		t.Errorf("events reported twice: %v", ev)
	}
}

// More events than one native poll buffer holds must all come back, in order.
func TestPollManyEvents(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const n = 1000
	for i := uint64(0); i < n; i++ {
		if err := m.Heartbeat(i, 1, i); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := m.Poll(n)
	if err != nil || len(ev) != n {
		t.Fatalf("got %d events, %v", len(ev), err)
	}
	for i, e := range ev {
		if e.Node != uint64(i) || e.To != StateAlive || e.TimeNs != uint64(i) {
			t.Fatalf("event %d = %v", i, e)
		}
	}
	if st, err := m.Stats(); err != nil || st.Nodes != n || st.PendingEvents != 0 {
		t.Errorf("stats %+v, %v", st, err)
	}
}

// wantErr checks that err is sentinel (and no other sentinel) and that its message contains
// every fragment.
func wantErr(t *testing.T, err error, sentinel *Error, fragments ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v is not %v", err, sentinel)
	}
	for _, other := range []*Error{ErrNullArg, ErrInvalidArg, ErrUnknownNode, ErrStaleGeneration, ErrInvalidHandle, ErrInternal, ErrBufferTooSmall, ErrMalformed, ErrCapacity, ErrAuth, ErrUnknownKey} {
		if other.Status != sentinel.Status && errors.Is(err, other) {
			t.Errorf("error %v also matches %v", err, other)
		}
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != sentinel.Status {
		t.Fatalf("errors.As(%v) failed", err)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q does not mention %q", e.Message, f)
		}
		if !strings.Contains(err.Error(), f) {
			t.Errorf("Error() %q does not mention %q", err.Error(), f)
		}
	}
	if !strings.HasPrefix(err.Error(), "phifd: "+sentinel.Status.String()) {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestErrors(t *testing.T) {
	m := steady(t, exponential(), 3)

	_, err := m.Phi(424242, 0)
	wantErr(t, err, ErrUnknownNode, "424242", "phifd_phi")
	_, err = m.NodeInfo(424243, 0)
	wantErr(t, err, ErrUnknownNode, "424243")
	_, err = m.TimeUntilPhi(424244, 1)
	wantErr(t, err, ErrUnknownNode, "424244")
	wantErr(t, m.Remove(424245), ErrUnknownNode, "424245")

	_, err = m.TimeUntilPhi(1, math.NaN())
	wantErr(t, err, ErrInvalidArg, "phi")
	_, err = m.TimeUntilPhi(1, -1)
	wantErr(t, err, ErrInvalidArg, "phi")

	wantErr(t, m.Heartbeat(1, 0, 5*sec), ErrStaleGeneration, "phifd_heartbeat")
	if st, _ := m.Stats(); st.StaleHeartbeats != 1 {
		t.Errorf("stale heartbeats counted: %d, want 1", st.StaleHeartbeats)
	}

	// Invalid settings are reported by NewMonitor with the library's explanation.
	for _, c := range []struct {
		cfg      *Config
		fragment string
	}{
		{NewConfig().SetThreshold(math.NaN()), "threshold"},
		{NewConfig().SetThreshold(-1), "threshold"},
		{NewConfig().SetThreshold(4).SetSuspectThreshold(5), "suspect"},
		{NewConfig().SetWindow(0), "window"},
		{NewConfig().SetHeartbeatInterval(10), "heartbeat_interval"},
		{NewConfig().SetRecoveryHeartbeats(0), "recovery"},
		{NewConfig().SetEstimator(Estimator(17)), "estimator"},
		{NewConfig().SetHeartbeatInterval(-time.Second), "SetHeartbeatInterval"},
		{NewConfig().SetAcceptablePause(-1), "SetAcceptablePause"},
	} {
		mon, err := NewMonitor(c.cfg)
		if mon != nil {
			t.Errorf("monitor created from invalid config (%s)", c.fragment)
			mon.Close()
		}
		wantErr(t, err, ErrInvalidArg, c.fragment)
	}

	// A sentinel with a message matches only the same message.
	var e *Error
	_, err = m.Phi(5, 0)
	errors.As(err, &e)
	if !errors.Is(err, &Error{Status: e.Status, Message: e.Message}) || errors.Is(err, &Error{Status: e.Status, Message: "other"}) {
		t.Error("matching on status and message is wrong")
	}
	if errors.Is(err, ErrClosed) {
		t.Error("an unknown-node error matches ErrClosed")
	}
}

func TestCloseIdempotent(t *testing.T) {
	m := steady(t, nil, 2)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	_, e1 := m.Phi(1, 0)
	_, e2 := m.NodeInfo(1, 0)
	_, e3 := m.TimeUntilPhi(1, 1)
	_, e4 := m.Poll(0)
	_, e5 := m.NodeCount()
	_, e6 := m.Stats()
	for i, err := range []error{m.Heartbeat(1, 1, 0), m.AddNode(1, 1, 0), m.Remove(1), e1, e2, e3, e4, e5, e6,
		m.HeartbeatBatch([]uint64{1}, []uint64{1}, []uint64{1}, nil), m.PhiBatch([]uint64{1}, 0, make([]float64, 1))} {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidHandle) {
			t.Errorf("call %d on a closed monitor: %v", i, err)
		}
	}
}

func TestAddNodeFirstHeartbeatTimeout(t *testing.T) {
	m, err := NewMonitor(exponential().SetFirstHeartbeatTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.AddNode(9, 3, 100*sec); err != nil {
		t.Fatal(err)
	}
	info, err := m.NodeInfo(9, 101*sec)
	if err != nil || info.State != StateUnknown || info.HasArrival || info.SilenceOriginNs != 100*sec || info.Generation != 3 {
		t.Fatalf("info %+v, %v", info, err)
	}
	ev, err := m.Poll(106 * sec)
	if err != nil || len(ev) != 1 || ev[0].Node != 9 || ev[0].From != StateUnknown || ev[0].To != StateFailed || ev[0].TimeNs != 105*sec {
		t.Fatalf("poll: %v, %v", ev, err)
	}
}

// HeartbeatBatch must behave exactly like the same heartbeats sent one by one.
func TestBatchesMatchSingleCalls(t *testing.T) {
	a, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var nodes, gens, times []uint64
	for i := uint64(0); i < 300; i++ {
		nodes = append(nodes, i%7)
		gens = append(gens, 1)
		times = append(times, i*sec/7+i%3*1000)
	}
	gens[100] = 2 // node 100%7 restarts; its later heartbeats at generation 1 are stale
	statuses := make([]Status, len(nodes))
	err = a.HeartbeatBatch(nodes, gens, times, statuses)
	wantErr(t, err, ErrStaleGeneration, "record 107")
	for i := range nodes {
		single := b.Heartbeat(nodes[i], gens[i], times[i])
		if statusName(t, single) != statuses[i].String() {
			t.Fatalf("record %d: batch %v, single %v", i, statuses[i], single)
		}
	}
	if statuses[0] != StatusOK || statuses[107] != StatusStaleGeneration {
		t.Errorf("statuses %v", statuses[:110])
	}
	query := []uint64{0, 1, 2, 3, 4, 5, 6, 99}
	out := make([]float64, len(query))
	now := times[len(times)-1] + 2*sec
	wantErr(t, a.PhiBatch(query, now, out), ErrUnknownNode, "index 7")
	for i, n := range query[:7] {
		p, err := b.Phi(n, now)
		if err != nil || math.Float64bits(p) != math.Float64bits(out[i]) {
			t.Errorf("node %d: batch phi %v, single %v (%v)", n, out[i], p, err)
		}
		if p <= 0 {
			t.Errorf("node %d: phi %v after 2 s of silence", n, p)
		}
	}
	if !math.IsNaN(out[7]) {
		t.Errorf("unknown node's phi is %v, want NaN", out[7])
	}
	// Without statuses, and with empty batches.
	if err := a.HeartbeatBatch([]uint64{1000, 1001}, []uint64{1, 1}, []uint64{now, now}, nil); err != nil {
		t.Error(err)
	}
	if n, _ := a.NodeCount(); n != 9 {
		t.Errorf("%d nodes after the batch without statuses, want 9", n)
	}
	if err := a.HeartbeatBatch(nil, nil, nil, nil); err != nil {
		t.Error(err)
	}
	if err := a.PhiBatch(nil, 0, nil); err != nil {
		t.Error(err)
	}
	wantErr(t, a.HeartbeatBatch(nodes, gens[:3], times, nil), ErrInvalidArg, "lengths")
	wantErr(t, a.HeartbeatBatch(nodes, gens, times, statuses[:1]), ErrInvalidArg, "lengths")
	wantErr(t, a.PhiBatch(query, 0, out[:2]), ErrInvalidArg, "len(out)")
}

func TestRestartEvent(t *testing.T) {
	m := steady(t, nil, 3)
	if err := m.Heartbeat(1, 2, 60*sec); err != nil {
		t.Fatal(err)
	}
	ev, err := m.Poll(60 * sec)
	if err != nil || len(ev) < 2 {
		t.Fatalf("%v, %v", ev, err)
	}
	last := ev[len(ev)-1]
	if last.Kind != EventRestarted || last.Generation != 2 || last.To != StateAlive || last.TimeNs != 60*sec {
		t.Errorf("last event %v, want a restart to generation 2 at 60 s", last)
	}
	if info, _ := m.NodeInfo(1, 60*sec); info.Generation != 2 || info.Samples != 2 {
		t.Errorf("after restart: %+v (want generation 2 and the 2 seed samples)", info)
	}
}
