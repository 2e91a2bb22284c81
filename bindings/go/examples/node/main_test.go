package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// running is one node process of the test cluster; its JSON lines arrive on lines.
type running struct {
	id    int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan map[string]any // closed when stdout ends
	done  chan struct{}       // closed once the process has been waited for
	err   error               // its exit status, set before done closes
}

// freePorts returns n UDP ports on 127.0.0.1 that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	var conns []*net.UDPConn
	var ports []int
	for i := 0; i < n; i++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
	}
	for _, c := range conns {
		c.Close()
	}
	return ports
}

func start(t *testing.T, bin, stateDir string, id int, ports []int) *running {
	var peers []string
	for j, p := range ports {
		if j+1 != id {
			peers = append(peers, fmt.Sprintf("%d:%d", j+1, p))
		}
	}
	cmd := exec.Command(bin, "--id", fmt.Sprint(id), "--port", fmt.Sprint(ports[id-1]),
		"--peers", strings.Join(peers, ","), "--state-dir", stateDir, "--interval-ms", "50")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{id: id, cmd: cmd, stdin: stdin, lines: make(chan map[string]any, 4096),
		done: make(chan struct{})}
	t.Cleanup(func() { cmd.Process.Kill(); <-r.done }) // never outlive the test
	go func() {
		defer func() {
			close(r.lines)
			r.err = cmd.Wait()
			close(r.done)
		}()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("node %d: not a JSON line: %q", id, sc.Text())
				continue
			}
			r.lines <- m
		}
	}()
	return r
}

// await reads r's lines until one satisfies ok, failing the test if the node exits or nothing
// matches within a generous bound (a hang guard, not a timing assertion).
func await(t *testing.T, r *running, what string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case m, open := <-r.lines:
			if !open {
				t.Fatalf("node %d exited before: %s", r.id, what)
			}
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("node %d never printed: %s", r.id, what)
		}
	}
}

func num(m map[string]any, key string) float64 {
	v, _ := m[key].(float64)
	return v
}

// seesAlive reports whether a view line shows every peer in want ALIVE.
func seesAlive(m map[string]any, want ...int) bool {
	if m["ev"] != "view" {
		return false
	}
	alive := map[int]bool{}
	peers, _ := m["peers"].([]any)
	for _, p := range peers {
		if p, ok := p.(map[string]any); ok && p["state"] == "ALIVE" {
			alive[int(num(p, "peer"))] = true
		}
	}
	for _, w := range want {
		if !alive[w] {
			return false
		}
	}
	return true
}

func TestThreeNodeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three processes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "node")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ports := freePorts(t, 3)
	nodes := make([]*running, 3)
	for i := range nodes {
		nodes[i] = start(t, bin, filepath.Join(dir, "state"), i+1, ports)
	}
	for _, r := range nodes {
		s := await(t, r, "start", func(m map[string]any) bool { return m["ev"] == "start" })
		if num(s, "node") != float64(r.id) || s["lang"] != "go" || num(s, "term") != 1 ||
			num(s, "generation") != 1 || num(s, "pid") != float64(r.cmd.Process.Pid) {
			t.Errorf("node %d: start line %v", r.id, s)
		}
	}
	// Node 1 leads with term 1; the others follow it.
	await(t, nodes[0], "leader with term 1", func(m map[string]any) bool {
		return m["ev"] == "leader" && num(m, "node") == 1 && num(m, "term") == 1
	})
	for _, r := range nodes[1:] {
		await(t, r, "follow node 1 in term 1", func(m map[string]any) bool {
			return m["ev"] == "follow" && num(m, "leader") == 1 && num(m, "term") == 1
		})
	}
	// Everyone sees everyone ALIVE; node 1's view says it leads.
	v := await(t, nodes[0], "a view with 2 and 3 ALIVE", func(m map[string]any) bool { return seesAlive(m, 2, 3) })
	if v["role"] != "leader" || num(v, "leader") != 1 || num(v, "term") != 1 {
		t.Errorf("node 1 view: %v", v)
	}
	await(t, nodes[1], "a view with 1 and 3 ALIVE", func(m map[string]any) bool { return seesAlive(m, 1, 3) })
	v = await(t, nodes[2], "a view with 1 and 2 ALIVE", func(m map[string]any) bool { return seesAlive(m, 1, 2) })
	if v["role"] != "follower" || num(v, "leader") != 1 {
		t.Errorf("node 3 view: %v", v)
	}

	// Kill the leader: the others convict it, and node 2 (the lowest id left) takes over in term 2.
	if err := nodes[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, r := range nodes[1:] {
		await(t, r, "node 1 FAILED", func(m map[string]any) bool {
			return m["ev"] == "state" && num(m, "peer") == 1 && m["to"] == "FAILED" && m["kind"] == "STATE_CHANGED"
		})
	}
	await(t, nodes[1], "leader with term 2", func(m map[string]any) bool {
		return m["ev"] == "leader" && num(m, "node") == 2 && num(m, "term") == 2
	})
	await(t, nodes[2], "follow node 2 in term 2", func(m map[string]any) bool {
		return m["ev"] == "follow" && num(m, "leader") == 2 && num(m, "term") == 2
	})

	// SIGTERM stops node 2 and the end of stdin stops node 3, both with status 0.
	nodes[1].cmd.Process.Signal(syscall.SIGTERM)
	nodes[2].stdin.Close()
	for _, r := range nodes[1:] {
		go func() {
			for range r.lines { // drain, so the node never blocks on a full pipe
			}
		}()
		select {
		case <-r.done:
			if r.err != nil {
				t.Errorf("node %d: exit %v", r.id, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("node %d did not exit", r.id)
		}
	}
}
