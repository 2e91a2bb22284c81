package lossnet

import (
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// sink is a Transport that records what reaches it.
type sink struct {
	memberlist.Transport
	mu   sync.Mutex
	got  []string
	when []time.Time
}

func (s *sink) WriteTo(b []byte, addr string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, string(b))
	s.when = append(s.when, time.Now())
	return time.Now(), nil
}

func (s *sink) PacketCh() <-chan *memberlist.Packet                 { return nil }
func (s *sink) StreamCh() <-chan net.Conn                           { return nil }
func (s *sink) Shutdown() error                                     { return nil }
func (s *sink) DialTimeout(string, time.Duration) (net.Conn, error) { return nil, nil }
func (s *sink) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return net.IPv4(127, 0, 0, 1), 1, nil
}

// lossPattern sends n packets to one address and returns which were lost.
func lossPattern(t *testing.T, m Model, n int, seed int64) []bool {
	s := &sink{}
	tr, err := Wrap(s, m, Delay{}, seed)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bool, n)
	for i := 0; i < n; i++ {
		before := len(s.got)
		tr.WriteTo([]byte{byte(i)}, "a:1")
		out[i] = len(s.got) == before
	}
	sent, lost := tr.Counts()
	k := 0
	for _, l := range out {
		if l {
			k++
		}
	}
	if sent != uint64(n) || lost != uint64(k) {
		t.Errorf("Counts = %d, %d; want %d, %d", sent, lost, n, k)
	}
	return out
}

func rateAndBurst(p []bool) (rate, meanBurst float64) {
	lost, bursts, run := 0, 0, 0
	for _, l := range p {
		if l {
			lost++
			run++
		} else if run > 0 {
			bursts++
			run = 0
		}
	}
	if run > 0 {
		bursts++
	}
	return float64(lost) / float64(len(p)), float64(lost) / math.Max(1, float64(bursts))
}

func TestBernoulliRate(t *testing.T) {
	rate, burst := rateAndBurst(lossPattern(t, Model{GoodLoss: 0.2}, 40000, 1))
	// 40,000 draws at p = 0.2: sd of the rate 0.002; 0.012 is six of them.
	if math.Abs(rate-0.2) > 0.012 {
		t.Errorf("Bernoulli(0.2) lost %.4f of the packets", rate)
	}
	// Independent losses: mean run length 1/(1-p) = 1.25.
	if math.Abs(burst-1.25) > 0.05 {
		t.Errorf("Bernoulli(0.2) mean loss run %.3f, want about 1.25", burst)
	}
}

func TestGilbertElliottIsBursty(t *testing.T) {
	m := Model{PGoodBad: 0.02, PBadGood: 0.25, GoodLoss: 0, BadLoss: 1}
	// Stationary bad share 0.02/0.27 = 0.0741; bursts last 1/0.25 = 4 packets on average.
	if math.Abs(m.MeanLoss()-0.02/0.27) > 1e-12 {
		t.Errorf("MeanLoss = %v", m.MeanLoss())
	}
	rate, burst := rateAndBurst(lossPattern(t, m, 200000, 7))
	if math.Abs(rate-0.0741) > 0.01 {
		t.Errorf("GE lost %.4f, want about 0.074", rate)
	}
	if math.Abs(burst-4) > 0.4 {
		t.Errorf("GE mean loss run %.2f packets, want about 4", burst)
	}
	// Same seed, same decisions.
	a, b := lossPattern(t, m, 5000, 3), lossPattern(t, m, 5000, 3)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seeded runs differ at packet %d", i)
		}
	}
}

func TestDelay(t *testing.T) {
	s := &sink{}
	tr, err := Wrap(s, Model{}, Delay{Base: 30 * time.Millisecond}, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tr.WriteTo([]byte("x"), "a:1")
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) != 1 || s.when[0].Sub(start) < 30*time.Millisecond {
		t.Errorf("delayed packet: %d delivered, after %v", len(s.got), s.when)
	}
}

type dialCounter struct {
	sink
	dials int
}

func (d *dialCounter) DialTimeout(string, time.Duration) (net.Conn, error) {
	d.dials++
	return nil, nil
}

func TestDialLoss(t *testing.T) {
	inner := &dialCounter{}
	tr, err := Wrap(inner, Model{GoodLoss: 1}, Delay{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = tr.DialTimeout("a:1", 50*time.Millisecond)
	if err == nil || inner.dials != 0 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("a lost SYN with a 50 ms timeout: err %v, %d inner dials, after %v", err, inner.dials, time.Since(start))
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("the error is not a net timeout: %#v", err)
	}
	tr, _ = Wrap(inner, Model{}, Delay{}, 1)
	if _, err := tr.DialTimeout("a:1", time.Second); err != nil || inner.dials != 1 {
		t.Errorf("a kept dial: err %v, %d inner dials", err, inner.dials)
	}
}

func TestParseModel(t *testing.T) {
	if m, err := ParseModel("ge:0.02,0.25,0.01,0.75"); err != nil || m != (Model{PGoodBad: 0.02, PBadGood: 0.25, GoodLoss: 0.01, BadLoss: 0.75}) {
		t.Errorf("ge: %+v %v", m, err)
	}
	if m, err := ParseModel("bernoulli:0.1"); err != nil || m != (Model{GoodLoss: 0.1}) {
		t.Errorf("bernoulli: %+v %v", m, err)
	}
	for _, bad := range []string{"bernoulli:1.5", "bernoulli:x", "ge:0.1,0,0,1", "ge:0.1,0.2", "drop"} {
		if _, err := ParseModel(bad); err == nil {
			t.Errorf("ParseModel(%q) accepted", bad)
		}
	}
	if _, err := Wrap(&sink{}, Model{}, Delay{Base: -1}, 1); err == nil {
		t.Error("negative delay accepted")
	}
}
