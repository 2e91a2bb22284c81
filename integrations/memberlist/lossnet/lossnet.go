// Package lossnet is a memberlist.Transport wrapper that drops and delays outgoing packets
// (memberlist's UDP messages: probes, acks, gossip) with a seeded random source, to test
// failure detectors on a lossy network. Stream connections (memberlist's TCP fallback probes and
// push-pull) see the same path: a connection attempt whose first SYN the model drops is retried
// by TCP only after its initial retransmission timeout of 1 s, so it fails when the caller's
// timeout is shorter and is 1 s late otherwise; data on an established connection is not
// touched. Loss is decided per destination address, so a bursty model makes bursts on a path,
// not on the whole host.
package lossnet

import (
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Model decides packet loss. The zero Model loses nothing.
//
// With BadLoss == 0 and PGoodBad == 0 it is Bernoulli loss with probability GoodLoss. Otherwise
// it is a Gilbert–Elliott chain per destination: in the good state a packet is lost with
// probability GoodLoss, in the bad state with BadLoss; before each packet the chain moves good ->
// bad with probability PGoodBad and bad -> good with PBadGood (mean burst length 1/PBadGood
// packets, stationary share of the bad state PGoodBad / (PGoodBad + PBadGood)).
type Model struct {
	GoodLoss, BadLoss  float64
	PGoodBad, PBadGood float64
}

// MeanLoss is the long-run loss probability of the model.
func (m Model) MeanLoss() float64 {
	if m.PGoodBad == 0 {
		return m.GoodLoss
	}
	bad := m.PGoodBad / (m.PGoodBad + m.PBadGood)
	return (1-bad)*m.GoodLoss + bad*m.BadLoss
}

// ParseModel reads "none", "bernoulli:P" or "ge:PGB,PBG,GOODLOSS,BADLOSS" (probabilities in
// [0, 1]; PBG > 0 for ge).
func ParseModel(s string) (Model, error) {
	switch {
	case s == "" || s == "none":
		return Model{}, nil
	case strings.HasPrefix(s, "bernoulli:"):
		p, err := strconv.ParseFloat(strings.TrimPrefix(s, "bernoulli:"), 64)
		if err != nil || p < 0 || p > 1 {
			return Model{}, fmt.Errorf("lossnet: %q: want bernoulli:P with P a probability in [0, 1]", s)
		}
		return Model{GoodLoss: p}, nil
	case strings.HasPrefix(s, "ge:"):
		parts := strings.Split(strings.TrimPrefix(s, "ge:"), ",")
		if len(parts) != 4 {
			return Model{}, fmt.Errorf("lossnet: %q: want ge:PGB,PBG,GOODLOSS,BADLOSS (four probabilities)", s)
		}
		var v [4]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || f > 1 {
				return Model{}, fmt.Errorf("lossnet: %q: %q is not a probability in [0, 1]", s, p)
			}
			v[i] = f
		}
		if v[1] == 0 {
			return Model{}, fmt.Errorf("lossnet: %q: PBG must be > 0 (the bad state must end)", s)
		}
		return Model{PGoodBad: v[0], PBadGood: v[1], GoodLoss: v[2], BadLoss: v[3]}, nil
	}
	return Model{}, fmt.Errorf("lossnet: unknown loss model %q: want none, bernoulli:P or ge:PGB,PBG,GOODLOSS,BADLOSS", s)
}

// Delay adds Base plus an exponentially distributed extra of mean Jitter to each kept packet
// (so packets may be reordered).
type Delay struct {
	Base, Jitter time.Duration
}

// Transport wraps a memberlist.Transport. Create it with Wrap.
type Transport struct {
	memberlist.Transport
	model Model
	delay Delay

	mu   sync.Mutex
	rng  *rand.Rand
	bad  map[string]bool
	sent atomic.Uint64
	lost atomic.Uint64
}

// Wrap returns inner with loss model m and delay d applied to WriteTo, drawing from a random
// source seeded with seed (the same seed and packet order give the same decisions). Errors:
// negative delays.
func Wrap(inner memberlist.Transport, m Model, d Delay, seed int64) (*Transport, error) {
	if inner == nil {
		return nil, errors.New("lossnet.Wrap: inner transport is nil")
	}
	if d.Base < 0 || d.Jitter < 0 {
		return nil, errors.New("lossnet.Wrap: delays must not be negative")
	}
	return &Transport{Transport: inner, model: m, delay: d, rng: rand.New(rand.NewSource(seed)), bad: map[string]bool{}}, nil
}

// drop reports whether the next packet to addr is lost, and the delay of a kept one.
func (t *Transport) drop(addr string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.model.GoodLoss
	if t.model.PGoodBad > 0 {
		bad := t.bad[addr]
		if bad && t.rng.Float64() < t.model.PBadGood {
			bad = false
		} else if !bad && t.rng.Float64() < t.model.PGoodBad {
			bad = true
		}
		t.bad[addr] = bad
		if bad {
			p = t.model.BadLoss
		}
	}
	if p > 0 && t.rng.Float64() < p {
		return true, 0
	}
	d := t.delay.Base
	if t.delay.Jitter > 0 {
		d += time.Duration(t.rng.ExpFloat64() * float64(t.delay.Jitter))
	}
	return false, d
}

// WriteTo sends b to addr unless the model drops it (then it reports success, as a lost UDP
// packet would), after the drawn delay.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.sent.Add(1)
	lost, d := t.drop(addr)
	if lost {
		t.lost.Add(1)
		return time.Now(), nil
	}
	if d <= 0 {
		return t.Transport.WriteTo(b, addr)
	}
	buf := append([]byte(nil), b...) // memberlist may reuse b
	time.AfterFunc(d, func() { _, _ = t.Transport.WriteTo(buf, addr) })
	return time.Now(), nil
}

// synRetransmit is TCP's initial retransmission timeout (RFC 6298): a lost SYN is resent after it.
const synRetransmit = time.Second

// DialTimeout opens a stream to addr through the inner transport, after the path's loss and
// delay draw: a lost SYN costs min(timeout, 1 s) and fails when that uses up the timeout.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	t.sent.Add(1)
	lost, d := t.drop(addr)
	if lost {
		t.lost.Add(1)
		if timeout <= synRetransmit {
			time.Sleep(timeout)
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errDialTimeout{}}
		}
		time.Sleep(synRetransmit)
		timeout -= synRetransmit
	} else if d > 0 {
		time.Sleep(d)
	}
	return t.Transport.DialTimeout(addr, timeout)
}

type errDialTimeout struct{}

func (errDialTimeout) Error() string   { return "lossnet: connection attempt lost (SYN dropped)" }
func (errDialTimeout) Timeout() bool   { return true }
func (errDialTimeout) Temporary() bool { return true }

// Counts returns the packets offered to WriteTo and connection attempts offered to
// DialTimeout, and those dropped.
func (t *Transport) Counts() (sent, lost uint64) { return t.sent.Load(), t.lost.Load() }
