// Command node is one member of the phifd demo cluster: it sends heartbeat datagrams to its
// peers over UDP, detects their failures with a phifd.Monitor, and elects a leader using two
// generation clocks (a durable incarnation and an in-memory term). It is a template for a real
// server: one goroutine sends and polls, one receives, and the main goroutine waits for SIGTERM,
// SIGINT or the end of stdin.
//
//	node --id 1 --port 7001 --peers 2:7002,3:7003 --state-dir /tmp/phifd [--interval-ms 100] [--key-file PATH]
//
// With --key-file (a file whose raw bytes, 16 to 64 of them, are the cluster's shared key, key id
// 1) every datagram sent is signed (the 68-byte authenticated format) and only datagrams that
// verify under the key are accepted; without it the 56-byte unauthenticated format is used, which
// is for a trusted, isolated network only. Every datagram goes through Monitor.Receive, which
// counts each rejection; view lines carry the counters ("rejected"). Only the peers named in
// --peers are monitored (fixed membership).
//
// It prints one JSON object per line on stdout (events "start", "state", "view", "leader",
// "follow", "stale_reply_sent", "step_down"); times are phifd.NowNs() (CLOCK_MONOTONIC ns).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	phifd "github.com/phifd/phifd/bindings/go"
)

// field is one key of a JSON output line; lines keep their keys in order.
type field struct {
	key   string
	value any
}

// node is the state of this cluster member. The fields under mu change from both goroutines.
type node struct {
	id       uint64
	interval time.Duration
	peers    map[uint64]*net.UDPAddr
	conn     *net.UDPConn
	monitor  *phifd.Monitor
	incarn   uint64                 // this run's generation (durable incarnation)
	term     *phifd.GenerationClock // cluster epoch, in memory
	keyring  *phifd.Keyring         // nil: unauthenticated datagrams
	out      sync.Mutex             // serialises stdout lines

	mu            sync.Mutex
	leading       bool
	leader        uint64 // meaningful when hasLeader
	hasLeader     bool
	leaderTerm    uint64 // term of the current leader
	highestLeader uint64 // highest term heard from any leader
	electionAt    uint64 // when to consider leading (ns; 0 = no election pending)
	failedTerm    uint64 // term of the leader whose failure started the pending election
}

func main() {
	id := flag.Uint64("id", 0, "this node's id (required)")
	port := flag.Int("port", 0, "UDP port to listen on, on 127.0.0.1 (required)")
	peerList := flag.String("peers", "", "peers as ID:PORT,ID:PORT,... (required)")
	stateDir := flag.String("state-dir", "", "directory of the durable incarnation file (required)")
	intervalMs := flag.Int("interval-ms", 100, "heartbeat interval, ms")
	flag.StringVar(&keyFile, "key-file", "", "shared key: the file's raw bytes (16 to 64); signs and verifies every datagram")
	flag.Parse()
	if !isSet("id") || !isSet("port") || *port <= 0 || *peerList == "" || *stateDir == "" || *intervalMs <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*id, *port, *peerList, *stateDir, time.Duration(*intervalMs)*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
}

// keyFile is the --key-file path ("" without one).
var keyFile string

// keyID is the id of the --key-file key in every node's keyring.
const keyID = 1

// loadKeyring returns a keyring holding the raw bytes of path as key keyID (which also signs).
func loadKeyring(path string) (*phifd.Keyring, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--key-file %s: %w", path, err)
	}
	defer clear(key)
	k, err := phifd.NewKeyring()
	if err != nil {
		return nil, err
	}
	if err := k.AddKey(keyID, key); err != nil {
		k.Close()
		return nil, fmt.Errorf("--key-file %s: %w (make one with: head -c 32 /dev/urandom > %s)", path, err, path)
	}
	return k, nil
}

func isSet(name string) (set bool) {
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func run(id uint64, port int, peerList, stateDir string, interval time.Duration) error {
	n := &node{id: id, interval: interval, peers: map[uint64]*net.UDPAddr{}}
	if keyFile != "" {
		k, err := loadKeyring(keyFile)
		if err != nil {
			return err
		}
		defer k.Close() // wipes the key bytes
		n.keyring = k
	}
	for _, p := range strings.Split(peerList, ",") {
		pid, pport, ok := strings.Cut(p, ":")
		peer, err1 := strconv.ParseUint(pid, 10, 64)
		portNum, err2 := strconv.ParseUint(pport, 10, 16)
		if !ok || err1 != nil || err2 != nil || peer == id {
			return fmt.Errorf("bad peer %q (want ID:PORT, ID not this node's)", p)
		}
		n.peers[peer] = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(portNum)}
	}

	// 1. Durable incarnation (opening it is a new one) and an in-memory term starting at 1.
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	incarnation, err := phifd.OpenGenerationClock(filepath.Join(stateDir, fmt.Sprintf("node-%d.incarnation", id)))
	if err != nil {
		return err
	}
	defer incarnation.Close()
	if n.incarn, err = incarnation.Current(); err != nil {
		return err
	}
	if n.term, err = phifd.NewInMemoryGenerationClock(1); err != nil {
		return err
	}
	defer n.term.Close()

	// 2. The monitor, with every peer registered now.
	cfg := phifd.NewConfig().SetEstimator(phifd.EstimatorNormal).SetHeartbeatInterval(interval).
		SetThreshold(8).SetSuspectThreshold(3).SetMembership(phifd.MembershipFixed) // only the peers added below
	if n.monitor, err = phifd.NewMonitor(cfg); err != nil {
		return err
	}
	defer n.monitor.Close()
	now := phifd.NowNs()
	lowest := id
	for peer := range n.peers {
		if err := n.monitor.AddNode(peer, 0, now); err != nil {
			return err
		}
		lowest = min(lowest, peer)
	}

	// 3. The socket.
	if n.conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
		return err
	}
	defer n.conn.Close()

	term, _ := n.term.Current()
	n.emit(field{"ev", "start"}, field{"node", id}, field{"lang", "go"}, field{"pid", os.Getpid()},
		field{"generation", n.incarn}, field{"term", term}, field{"auth", n.keyring != nil}, field{"t", now})
	if lowest == id { // 5. The lowest id leads from the start, with term 1.
		n.leading, n.leader, n.hasLeader, n.leaderTerm, n.highestLeader = true, id, true, term, term
		n.emit(field{"ev", "leader"}, field{"node", id}, field{"term", term}, field{"t", now})
	}

	// 7. Stop on SIGTERM/SIGINT, or when stdin reaches EOF (the orchestrator is gone).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	go n.receive()
	n.tick(ctx) // returns when ctx is done
	return nil  // the deferred Closes end the receive goroutine (its socket closes)
}

// tick runs every interval until ctx is done: heartbeats to every peer, a poll of the monitor,
// a pending election, and every 5 intervals a view.
func (n *node) tick(ctx context.Context) {
	ticker := time.NewTicker(n.interval)
	defer ticker.Stop()
	for seq := uint64(1); ; seq++ {
		n.sendHeartbeats(seq)
		now := phifd.NowNs()
		events, err := n.monitor.Poll(now)
		if err != nil {
			fmt.Fprintln(os.Stderr, "node: poll:", err)
		}
		for _, e := range events {
			n.emit(field{"ev", "state"}, field{"node", n.id}, field{"peer", e.Node},
				field{"kind", e.Kind.String()}, field{"from", e.From.String()}, field{"to", e.To.String()},
				field{"phi", round(e.Phi, 2)}, field{"generation", e.Generation}, field{"time_ns", e.TimeNs})
			n.leaderFailed(e, now)
		}
		n.maybeLead(now)
		if seq%5 == 0 {
			n.view(now)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (n *node) sendHeartbeats(seq uint64) {
	term, _ := n.term.Current()
	n.mu.Lock()
	leading := n.leading
	n.mu.Unlock()
	d := phifd.Datagram{Kind: phifd.DatagramHeartbeat, Leader: leading, Node: n.id,
		Generation: n.incarn, Term: term, Version: seq, SendNs: phifd.NowNs()}
	b, err := n.encode(d)
	if err != nil {
		fmt.Fprintln(os.Stderr, "node: encode:", err)
		return
	}
	for _, addr := range n.peers {
		n.conn.WriteToUDP(b, addr) // fire and forget: a lost heartbeat is what phi is for
	}
}

// encode is the wire form of d: signed when the node has a keyring.
func (n *node) encode(d phifd.Datagram) ([]byte, error) {
	if n.keyring == nil {
		return d.Encode()
	}
	return d.EncodeAuth(n.keyring)
}

// leaderFailed starts an election when the event says the current leader is FAILED: after id*2
// intervals this node may take over.
func (n *node) leaderFailed(e phifd.Event, now uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.To == phifd.StateFailed && n.hasLeader && !n.leading && e.Node == n.leader {
		n.electionAt = now + 2*n.id*uint64(n.interval)
		n.failedTerm = n.leaderTerm
	}
}

// maybeLead takes over when the pending election is due, no leader with a newer term than the
// failed one was heard, and this node has the lowest id among itself and the peers it sees ALIVE.
func (n *node) maybeLead(now uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.electionAt == 0 || now < n.electionAt {
		return
	}
	n.electionAt = 0
	if n.highestLeader > n.failedTerm || n.leading {
		return
	}
	snap, err := n.monitor.Snapshot(now)
	if err != nil {
		return
	}
	for _, e := range snap {
		if e.State == phifd.StateAlive && e.Node < n.id {
			return
		}
	}
	term, err := n.term.Advance()
	if err != nil {
		fmt.Fprintln(os.Stderr, "node: advance:", err)
		return
	}
	n.leading, n.leader, n.hasLeader, n.leaderTerm, n.highestLeader = true, n.id, true, term, term
	n.emit(field{"ev", "leader"}, field{"node", n.id}, field{"term", term}, field{"t", now})
}

// view prints the snapshot, the term and the leader.
func (n *node) view(now uint64) {
	snap, err := n.monitor.Snapshot(now)
	if err != nil {
		return
	}
	type peerView struct {
		Peer        uint64 `json:"peer"`
		State       string `json:"state"`
		Phi         any    `json:"phi"`
		Generation  uint64 `json:"generation"`
		MeanMs      any    `json:"mean_ms"`
		UntilFailMs any    `json:"until_fail_ms"`
	}
	peers := make([]peerView, 0, len(snap))
	for _, e := range snap {
		peers = append(peers, peerView{e.Node, e.State.String(), round(e.Phi, 2), e.Generation,
			round(e.MeanNs/1e6, 1), round(float64(e.TimeUntilFailure)/1e6, 1)})
	}
	st, err := n.monitor.Stats()
	if err != nil {
		return
	}
	rejected := map[string]uint64{"malformed": st.RejectedMalformed, "bad_mac": st.RejectedBadMAC,
		"unknown_key": st.RejectedUnknownKey, "replayed": st.RejectedReplayed,
		"unknown_node": st.RejectedUnknownNode, "bad_generation": st.RejectedBadGeneration}
	term, _ := n.term.Current()
	n.mu.Lock()
	var leader any // null when no leader is known
	if n.hasLeader {
		leader = n.leader
	}
	role := "follower"
	if n.leading {
		role = "leader"
	}
	n.mu.Unlock()
	n.emit(field{"ev", "view"}, field{"node", n.id}, field{"t", now}, field{"term", term},
		field{"leader", leader}, field{"role", role}, field{"peers", peers}, field{"rejected", rejected})
}

// receive handles datagrams until the socket is closed.
func (n *node) receive() {
	buf := make([]byte, 2048)
	for {
		size, _, err := n.conn.ReadFromUDP(buf)
		now := phifd.NowNs() // the arrival time, taken before any processing
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			continue
		}
		// Verify (with a key), decode and record in one call; every refusal is counted in the
		// monitor's stats. Only a heartbeat that counted as an arrival reaches the leader logic:
		// a replay, a duplicate, an older incarnation or an unknown id changes nothing.
		d, counted, err := n.monitor.Receive(buf[:size], now, n.keyring)
		if err != nil {
			continue
		}
		if _, known := n.peers[d.Node]; !known {
			continue
		}
		switch d.Kind {
		case phifd.DatagramHeartbeat:
			if counted {
				n.onHeartbeat(d, now)
			}
		case phifd.DatagramStaleReply:
			n.observe(d.Term, d.Node, now)
		}
	}
}

// onHeartbeat handles a heartbeat the monitor has verified (with a key) and counted.
func (n *node) onHeartbeat(d phifd.Datagram, now uint64) {
	ours, _ := n.term.Current()
	if d.Leader && d.Term < ours { // a leader from an older term: tell it, and do not follow it
		reply, err := n.encode(phifd.Datagram{Kind: phifd.DatagramStaleReply, Node: n.id, Generation: n.incarn,
			Term: ours, SendNs: phifd.NowNs()})
		if err == nil {
			n.conn.WriteToUDP(reply, n.peers[d.Node])
			n.emit(field{"ev", "stale_reply_sent"}, field{"node", n.id}, field{"to", d.Node},
				field{"their_term", d.Term}, field{"our_term", ours}, field{"t", now})
		}
		return
	}
	n.observe(d.Term, d.Node, now)
	if d.Leader {
		n.follow(d.Node, d.Term, now)
	}
}

// observe adopts a term seen from peer; a leader that sees a newer term steps down.
func (n *node) observe(term, peer, now uint64) {
	stepDown, err := n.term.Observe(term)
	if err != nil || !stepDown {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leading {
		n.leading, n.hasLeader = false, false
		n.emit(field{"ev", "step_down"}, field{"node", n.id}, field{"term", term},
			field{"told_by", peer}, field{"t", now})
	}
}

// follow records a leader heard with a term at least ours.
func (n *node) follow(leader, term, now uint64) {
	ours, _ := n.term.Current()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.highestLeader = max(n.highestLeader, term)
	if term < ours || n.leading || (n.hasLeader && n.leader == leader && n.leaderTerm == term) {
		return
	}
	n.leader, n.hasLeader, n.leaderTerm = leader, true, term
	n.emit(field{"ev", "follow"}, field{"node", n.id}, field{"leader", leader}, field{"term", term},
		field{"t", now})
}

// emit writes one JSON line to stdout (unbuffered: each line is flushed as it is written).
func (n *node) emit(fields ...field) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		v, err := json.Marshal(f.value)
		if err != nil {
			v = []byte("null")
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteString("}\n")
	n.out.Lock()
	defer n.out.Unlock()
	os.Stdout.WriteString(b.String())
}

// round rounds x to digits decimals; NaN and infinities become null in the output.
func round(x float64, digits int) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
