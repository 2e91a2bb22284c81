package phifdml

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	phifd "github.com/phifd/phifd/bindings/go"
)

// Published FNV-1a 64-bit test vectors (Fowler, Noll, Vo: "FNV test vectors").
func TestNodeIDIsFNV1a64(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{{"", 0xcbf29ce484222325}, {"a", 0xaf63dc4c8601ec8c}, {"foobar", 0x85944171f73967e8}} {
		if got := NodeID(c.in); got != c.want {
			t.Errorf("NodeID(%q) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestWire(t *testing.T) {
	b, err := beatMsg(7, 3, 42, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 2+phifd.DatagramSize {
		t.Fatalf("heartbeat message is %d bytes, want %d", len(b), 2+phifd.DatagramSize)
	}
	kind, d, _, err := decodeMsg(b)
	if err != nil || kind != kindBeat || d.Node != 7 || d.Generation != 3 || d.Version != 42 {
		t.Fatalf("decode = kind %d %+v %v", kind, d, err)
	}
	if _, _, _, err := decodeMsg(b[:len(b)-1]); err == nil || errors.Is(err, errNotOurs) {
		t.Errorf("a truncated heartbeat decoded without a damage error: %v", err)
	}
	if _, _, _, err := decodeMsg([]byte("application message")); !errors.Is(err, errNotOurs) {
		t.Errorf("an application message was not passed on: %v", err)
	}
	if _, _, _, err := decodeMsg([]byte{msgTag, 9}); err == nil || errors.Is(err, errNotOurs) {
		t.Errorf("an unknown kind was accepted: %v", err)
	}
	s := suspicion{Reporter: 1, Node: 2, Generation: 3, Version: 4}
	kind, _, got, err := decodeMsg(suspectMsg(s))
	if err != nil || kind != kindSuspect || got != s {
		t.Errorf("suspicion round trip: %d %+v %v", kind, got, err)
	}
	meta := encodeMeta(9, 5, []byte("app"))
	if id, gen, app, ok := decodeMeta(meta); !ok || id != 9 || gen != 5 || string(app) != "app" {
		t.Errorf("meta round trip: %d %d %q %v", id, gen, app, ok)
	}
	if string(AppMeta(meta)) != "app" || string(AppMeta([]byte("plain"))) != "plain" {
		t.Errorf("AppMeta: %q %q", AppMeta(meta), AppMeta([]byte("plain")))
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "Name") {
		t.Errorf("empty name: %v", err)
	}
	if _, err := New(Options{Name: "x", HeartbeatInterval: -time.Second}); err == nil {
		t.Error("negative interval accepted")
	}
	_, err := New(Options{Name: "x", Monitor: phifd.NewConfig().SetThreshold(-1)})
	if !errors.Is(err, phifd.ErrInvalidArg) {
		t.Errorf("invalid phifd threshold: %v, want ErrInvalidArg", err)
	}
	a, err := New(Options{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cfg := memberlist.DefaultLocalConfig()
	cfg.Name = "y"
	if err := a.Install(cfg); err == nil {
		t.Error("Install accepted a config of another member name")
	}
}

// Two names with the same id: neither is monitored, both are reported.
func TestCollision(t *testing.T) {
	a, err := New(Options{Name: "self"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.idOf = func(string) uint64 { return 42 }
	a.join(&memberlist.Node{Name: "alpha"})
	if _, err := a.Member("alpha"); err != nil {
		t.Fatalf("alpha not monitored after join: %v", err)
	}
	a.join(&memberlist.Node{Name: "beta"})
	if _, err := a.Member("alpha"); !errors.Is(err, phifd.ErrUnknownNode) {
		t.Errorf("alpha still monitored after the collision: %v", err)
	}
	if c := a.Collisions(); len(c) != 1 || c[0].Node != 42 || c[0].Names != [2]string{"alpha", "beta"} {
		t.Errorf("collisions = %+v", c)
	}
	if n, _ := a.Monitor().NodeCount(); n != 0 {
		t.Errorf("phifd monitors %d nodes after the collision, want 0", n)
	}
	var kinds []EventKind
	for len(a.Events()) > 0 {
		kinds = append(kinds, (<-a.Events()).Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]EventKind{EventJoined, EventCollision, EventCollision}) {
		t.Errorf("events = %v", kinds)
	}
}

type testMember struct {
	name string
	ml   *memberlist.Memberlist
	a    *Adapter
}

func startMember(t *testing.T, name, genPath string, join string) *testMember {
	t.Helper()
	cfg := memberlist.DefaultLocalConfig() // loopback timings: probe 1 s, gossip 100 ms
	cfg.Name, cfg.BindAddr, cfg.AdvertiseAddr, cfg.BindPort, cfg.AdvertisePort = name, "127.0.0.1", "127.0.0.1", 0, 0
	cfg.Logger = log.New(io.Discard, "", 0)
	cfg.DeadNodeReclaimTime = time.Millisecond // a restarted member comes back on a new port
	a, err := New(Options{Name: name, HeartbeatInterval: 50 * time.Millisecond, GenerationPath: genPath,
		Monitor: phifd.NewConfig().SetHeartbeatInterval(50 * time.Millisecond).SetAcceptablePause(200 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Install(cfg); err != nil {
		t.Fatal(err)
	}
	ml, err := memberlist.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ml); err != nil {
		t.Fatal(err)
	}
	if join != "" {
		if _, err := ml.Join([]string{join}); err != nil {
			t.Fatal(err)
		}
	}
	return &testMember{name, ml, a}
}

func addr(m *testMember) string {
	n := m.ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), fmt.Sprint(n.Port))
}

// waitEvent reads m's events until one satisfies f or the timeout passes.
func waitEvent(t *testing.T, m *testMember, timeout time.Duration, what string, f func(Event) bool) Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-m.a.Events():
			if !ok {
				t.Fatalf("%s: events closed while waiting for %s", m.name, what)
			}
			if f(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("%s: no %s within %v", m.name, what, timeout)
		}
	}
}

// A three-member cluster: heartbeats flow through memberlist's gossip, a crashed member is
// declared FAILED, a member restarted with its generation file comes back as a new incarnation,
// a member that leaves is no longer monitored.
func TestClusterCrashRestartLeave(t *testing.T) {
	dir := t.TempDir()
	m1 := startMember(t, "m1", filepath.Join(dir, "m1.gen"), "")
	m2 := startMember(t, "m2", filepath.Join(dir, "m2.gen"), addr(m1))
	m3 := startMember(t, "m3", filepath.Join(dir, "m3.gen"), addr(m1))
	defer func() {
		for _, m := range []*testMember{m1, m2} {
			m.ml.Shutdown()
			m.a.Close()
		}
	}()
	// Everyone monitors everyone else, ALIVE, with heartbeats arriving.
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok := true
		for _, m := range []*testMember{m1, m2, m3} {
			ms, err := m.a.Members()
			if err != nil {
				t.Fatal(err)
			}
			alive := 0
			for _, s := range ms {
				if s.State == phifd.StateAlive && s.Version > 3 && s.LastArrivalNs != 0 && s.TimeUntilFailure > 0 {
					alive++
				}
			}
			ok = ok && alive == 2
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			ms, _ := m1.a.Members()
			t.Fatalf("cluster did not settle: m1 sees %+v", ms)
		}
		time.Sleep(50 * time.Millisecond)
	}
	prom, err := m1.a.Prometheus()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("phifd_memberlist_member{node=\"%d\",name=\"m3\"} 1", NodeID("m3"))
	if !strings.Contains(prom, want) || !strings.Contains(prom, "phifd_node_phi") {
		t.Errorf("Prometheus text lacks %q or phifd_node_phi:\n%s", want, prom)
	}
	gen3 := m3.a.Generation()

	// Crash m3 (no leave message): m1 declares it FAILED.
	crash := time.Now()
	m3.ml.Shutdown()
	m3.a.Close()
	waitEvent(t, m1, 5*time.Second, "FAILED for m3", func(e Event) bool {
		return e.Kind == EventState && e.Member == "m3" && e.To == phifd.StateFailed
	})
	t.Logf("m1 declared m3 failed %v after the crash", time.Since(crash).Round(time.Millisecond))

	// Restart m3 with the same generation file: a new generation, a RESTARTED event at m1.
	m3 = startMember(t, "m3", filepath.Join(dir, "m3.gen"), addr(m1))
	if m3.a.Generation() != gen3+1 {
		t.Errorf("restarted m3 has generation %d, want %d", m3.a.Generation(), gen3+1)
	}
	e := waitEvent(t, m1, 10*time.Second, "RESTARTED for m3", func(e Event) bool {
		return e.Kind == EventRestarted && e.Member == "m3"
	})
	if e.Generation != gen3+1 {
		t.Errorf("RESTARTED carries generation %d, want %d", e.Generation, gen3+1)
	}

	// m2 leaves gracefully: m1 stops monitoring it.
	if err := m2.a.Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, m1, 5*time.Second, "LEFT for m2", func(e Event) bool { return e.Kind == EventLeft && e.Member == "m2" })
	if _, err := m1.a.Member("m2"); !errors.Is(err, phifd.ErrUnknownNode) {
		t.Errorf("m2 still monitored by m1 after leaving: %v", err)
	}
	m3.ml.Shutdown()
	m3.a.Close()
	if err := m3.a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Suspicion reports (FeedSuspicions) count once per reporter, and not when stale.
func TestSuspicionReports(t *testing.T) {
	a, err := New(Options{Name: "self", FeedSuspicions: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	x := NodeID("x")
	a.join(&memberlist.Node{Name: "x", Meta: encodeMeta(x, 4, nil)})
	now := phifd.NowNs()
	if _, err := a.mon.HeartbeatVersion(x, 4, 10, now); err != nil {
		t.Fatal(err)
	}
	conf := func() uint32 {
		info, err := a.mon.NodeInfo(x, now)
		if err != nil {
			t.Fatal(err)
		}
		return info.Confirmations
	}
	report := func(reporter, gen, version uint64) {
		a.receive(suspectMsg(suspicion{Reporter: reporter, Node: x, Generation: gen, Version: version}), now)
	}
	report(NodeID("r1"), 4, 9)  // the reporter had not seen version 10: stale
	report(NodeID("r1"), 3, 10) // an older incarnation: stale
	if c := conf(); c != 0 {
		t.Fatalf("stale reports counted: %d confirmations", c)
	}
	report(NodeID("r1"), 4, 10)
	report(NodeID("r1"), 4, 10) // repeated
	report(NodeID("r2"), 4, 11)
	if c := conf(); c != 2 {
		t.Errorf("two reporters: %d confirmations, want 2", c)
	}
	if _, err := a.mon.HeartbeatVersion(x, 4, 12, now+1); err != nil {
		t.Fatal(err)
	}
	if c := conf(); c != 0 {
		t.Errorf("a newer heartbeat left %d confirmations, want 0", c)
	}
}
