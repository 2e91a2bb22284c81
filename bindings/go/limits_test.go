package phifd

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// bound is 2^48, written out rather than taken from the library.
const bound uint64 = 281474976710656

func TestLimitsCodes(t *testing.T) {
	if MaxGeneration != bound {
		t.Fatalf("MaxGeneration = %d", MaxGeneration)
	}
	if StatusCapacity != 12 || StatusAuth != 13 || StatusUnknownKey != 14 {
		t.Fatalf("status codes %d %d %d", StatusCapacity, StatusAuth, StatusUnknownKey)
	}
	if StatusCapacity.String() != "PHIFD_ERR_CAPACITY" || MembershipOpen != 0 || MembershipFixed != 1 {
		t.Fatal("names or membership codes changed")
	}
}

func TestForgedGenerationRefusedThenRealRestartAccepted(t *testing.T) {
	m, err := NewMonitor(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const s = uint64(1e9)
	if err := m.Heartbeat(7, 3, s); err != nil {
		t.Fatal(err)
	}
	wantErr(t, m.Heartbeat(7, ^uint64(0), 2*s), ErrInvalidArg, "281474976710656")
	_, err = m.HeartbeatVersion(7, bound+1, 1, 2*s)
	wantErr(t, err, ErrInvalidArg)
	wantErr(t, m.AddNode(8, ^uint64(0), 2*s), ErrInvalidArg)
	if info, err := m.NodeInfo(7, 2*s); err != nil || info.Generation != 3 {
		t.Fatalf("generation after the forged heartbeat: %+v %v", info, err)
	}
	if err := m.Heartbeat(7, 4, 3*s); err != nil { // the real restart
		t.Fatal(err)
	}
	if info, err := m.NodeInfo(7, 3*s); err != nil || info.Generation != 4 {
		t.Fatalf("generation after the restart: %+v %v", info, err)
	}
	st, err := m.Stats()
	if err != nil || st.RejectedBadGeneration != 3 || st.StaleHeartbeats != 0 || st.Nodes != 1 {
		t.Fatalf("stats %+v %v", st, err)
	}
}

func TestDatagramGenerationBound(t *testing.T) {
	_, err := Datagram{Kind: DatagramHeartbeat, Node: 1, Generation: ^uint64(0)}.Encode()
	wantErr(t, err, ErrInvalidArg, "281474976710656")
	_, err = Datagram{Kind: DatagramHeartbeat, Node: 1, Generation: 1, Term: bound + 1}.Encode()
	wantErr(t, err, ErrInvalidArg, "term")
	b, err := Datagram{Kind: DatagramHeartbeat, Node: 1, Generation: bound, Term: bound}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	b[22] = 2 // generation 2^49, resealed with FNV-1a 64 computed here
	h := uint64(0xcbf29ce484222325)
	for _, x := range b[:48] {
		h = (h ^ uint64(x)) * 0x100000001b3
	}
	for i := 0; i < 8; i++ {
		b[48+i] = byte(h >> (8 * i))
	}
	_, err = DecodeDatagram(b)
	wantErr(t, err, ErrMalformed, "562949953421312")
}

func rssKB(t *testing.T) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseUint(f[1], 10, 64)
			return v
		}
	}
	t.Skip("no VmRSS")
	return 0
}

func TestFloodOfAMillionIDsStaysAtTheBound(t *testing.T) {
	const limit, flood = 10_000, 1_000_000
	m, err := NewMonitor(NewConfig().SetMaxNodes(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const s = uint64(1e9)
	id := func(i uint64) uint64 { return i * 0x9E3779B97F4A7C15 } // a bijection: distinct ids
	// The batch buffers are allocated once, before measuring.
	const chunk = 10_000
	nodes, gens, times := make([]uint64, chunk), make([]uint64, chunk), make([]uint64, chunk)
	statuses := make([]Status, chunk)
	run := func(from uint64, at uint64) error {
		for i := range nodes {
			nodes[i], gens[i], times[i] = id(from+uint64(i)), 1, at
		}
		return m.HeartbeatBatch(nodes, gens, times, statuses)
	}
	before := rssKB(t)
	if err := run(0, s); err != nil {
		t.Fatal(err)
	}
	atBound := rssKB(t)
	refused := 0
	for from := uint64(limit); from < flood; from += chunk {
		if err := run(from, 2*s); !errors.Is(err, ErrCapacity) {
			t.Fatalf("chunk at %d: %v", from, err)
		}
		for _, st := range statuses {
			if st == StatusCapacity {
				refused++
			}
		}
	}
	after := rssKB(t)
	t.Logf("flood: RSS %d kB, %d kB at %d nodes, %d kB after %d refused ids", before, atBound, limit, after, refused)
	if refused != flood-limit {
		t.Fatalf("refused %d", refused)
	}
	st, err := m.Stats()
	if err != nil || st.Nodes != limit || st.RejectedOverCapacity != flood-limit {
		t.Fatalf("stats %+v %v", st, err)
	}
	if atBound <= before {
		t.Fatalf("the measurement does not see the admitted nodes: %d -> %d kB", before, atBound)
	}
	// 990,000 admitted ids would cost about 400 MB; refused they must cost nothing (4 MiB slack for
	// the Go runtime).
	if after > atBound+4096 {
		t.Fatalf("RSS grew from %d kB to %d kB during the refused flood", atBound, after)
	}
	wantErr(t, m.AddNode(12345, 0, 3*s), ErrCapacity, "max_nodes")
}

func TestFixedMembership(t *testing.T) {
	if _, err := NewMonitor(NewConfig().SetMembership(Membership(2))); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("unknown membership: %v", err)
	}
	if _, err := NewMonitor(NewConfig().SetMaxNodes(0)); !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("max_nodes 0: %v", err)
	}
	m, err := NewMonitor(NewConfig().SetMembership(MembershipFixed))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.AddNode(1, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Heartbeat(1, 0, 1e9); err != nil {
		t.Fatal(err)
	}
	wantErr(t, m.Heartbeat(2, 0, 1e9), ErrUnknownNode, "add_node")
	_, err = m.HeartbeatVersion(3, 0, 1, 1e9)
	wantErr(t, err, ErrUnknownNode)
	st, err := m.Stats()
	if err != nil || st.Nodes != 1 || st.RejectedUnknownNode != 2 || st.RejectedOverCapacity != 0 {
		t.Fatalf("stats %+v %v", st, err)
	}
	text, err := m.Prometheus(2e9)
	if err != nil || !strings.Contains(text, "\nphifd_monitor_rejected_unknown_node_total 2\n") {
		t.Fatalf("prometheus: %v", err)
	}
}
