package phifd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// genFile builds the 32 bytes of a generation file by hand, following the documented format:
// magic "PHIFDGEN", version and reserved (uint32 LE), generation (uint64 LE), FNV-1a 64 of
// bytes 0..24 (uint64 LE). The checksum comes from the standard library, not from phifd.
func genFile(version, reserved uint32, generation uint64) []byte {
	b := make([]byte, 0, 32)
	b = append(b, "PHIFDGEN"...)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, reserved)
	b = binary.LittleEndian.AppendUint64(b, generation)
	h := fnv.New64a()
	h.Write(b)
	return binary.LittleEndian.AppendUint64(b, h.Sum64())
}

// The checksum the hand-built files use is the published FNV-1a 64 (offset basis and the test
// vector for "a" from the FNV reference).
func TestFNVReference(t *testing.T) {
	h := fnv.New64a()
	if h.Sum64() != 0xcbf29ce484222325 {
		t.Errorf("FNV-1a 64 of nothing: %#x", h.Sum64())
	}
	h.Write([]byte("a"))
	if h.Sum64() != 0xaf63dc4c8601ec8c {
		t.Errorf("FNV-1a 64 of \"a\": %#x", h.Sum64())
	}
}

func mustCurrent(t *testing.T, g *GenerationClock, want uint64) {
	t.Helper()
	got, err := g.Current()
	if err != nil || got != want {
		t.Fatalf("Current() = %d, %v; want %d", got, err, want)
	}
}

func mustFile(t *testing.T, path string, generation uint64) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := genFile(1, 0, generation); !bytes.Equal(got, want) {
		t.Fatalf("%s holds\n% x\nwant generation %d:\n% x", path, got, generation, want)
	}
}

func TestGenerationClockDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "generation")
	g, err := OpenGenerationClock(path)
	if err != nil {
		t.Fatal(err)
	}
	mustCurrent(t, g, 1) // a new file: the first incarnation
	mustFile(t, path, 1)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want owner-only 0600", st.Mode().Perm(), err)
	}
	if next, err := g.Advance(); err != nil || next != 2 {
		t.Fatalf("Advance() = %d, %v; want 2", next, err)
	}
	mustCurrent(t, g, 2)
	mustFile(t, path, 2) // durable before Advance returned
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	mustFile(t, path, 2)

	g, err = OpenGenerationClock(path) // a new incarnation: stored + 1
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustCurrent(t, g, 3)
	mustFile(t, path, 3)

	// Observe on a durable clock: a lower or equal remote changes nothing, a higher one is adopted
	// and stored.
	for _, remote := range []uint64{0, 2, 3} {
		if down, err := g.Observe(remote); err != nil || down {
			t.Errorf("Observe(%d) at 3 = %v, %v; want false", remote, down, err)
		}
	}
	mustFile(t, path, 3)
	if down, err := g.Observe(41); err != nil || !down {
		t.Fatalf("Observe(41) at 3 = %v, %v; want true", down, err)
	}
	mustCurrent(t, g, 41)
	mustFile(t, path, 41)
	g.Close()
	g, err = OpenGenerationClock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustCurrent(t, g, 42)
}

func TestGenerationClockObserve(t *testing.T) {
	g, err := NewInMemoryGenerationClock(5)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustCurrent(t, g, 5)
	steps := []struct {
		remote   uint64
		stepDown bool
		after    uint64
	}{
		{0, false, 5}, {4, false, 5}, {5, false, 5}, // not newer: nothing changes
		{6, true, 6}, {6, false, 6}, {100, true, 100}, {99, false, 100},
	}
	for _, s := range steps {
		down, err := g.Observe(s.remote)
		if err != nil || down != s.stepDown {
			t.Errorf("Observe(%d) = %v, %v; want %v", s.remote, down, err, s.stepDown)
		}
		mustCurrent(t, g, s.after)
	}
	if next, err := g.Advance(); err != nil || next != 101 {
		t.Errorf("Advance() = %d, %v; want 101", next, err)
	}
	// Beyond 2^48 is damage or an attack, not a term.
	down, err := g.Observe(1<<48 + 1)
	if !errors.Is(err, ErrInvalidArg) || down {
		t.Errorf("Observe(2^48+1) = %v, %v; want ErrInvalidArg", down, err)
	}
	mustCurrent(t, g, 101)
	if down, err := g.Observe(1 << 48); err != nil || !down {
		t.Errorf("Observe(2^48) = %v, %v; want true", down, err)
	}
	mustCurrent(t, g, 1<<48)
	if next, err := g.Advance(); !errors.Is(err, ErrInvalidArg) {
		t.Errorf("Advance() at 2^48 = %d, %v; want ErrInvalidArg", next, err)
	}
	mustCurrent(t, g, 1<<48)
}

func TestGenerationClockInMemory(t *testing.T) {
	if MaxGeneration != 1<<48 {
		t.Errorf("MaxGeneration = %d, want 2^48", MaxGeneration)
	}
	g, err := NewInMemoryGenerationClock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustCurrent(t, g, 0)
	for want := uint64(1); want <= 3; want++ {
		if got, err := g.Advance(); err != nil || got != want {
			t.Errorf("Advance() = %d, %v; want %d", got, err, want)
		}
	}
	if g, err := NewInMemoryGenerationClock(1 << 48); err != nil {
		t.Errorf("start 2^48: %v", err)
	} else {
		g.Close()
	}
	if g, err := NewInMemoryGenerationClock(1<<48 + 1); !errors.Is(err, ErrInvalidArg) || g != nil {
		t.Errorf("start 2^48+1: %v, %v; want ErrInvalidArg", g, err)
	}
}

func TestGenerationClockLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "generation")
	first, err := OpenGenerationClock(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := OpenGenerationClock(path)
	if !errors.Is(err, ErrLocked) || second != nil {
		t.Fatalf("second open while the first is open: %v, %v; want ErrLocked", second, err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("the message does not name the path %s: %v", path, err)
	}
	mustFile(t, path, 1) // the refused open changed nothing
	mustCurrent(t, first, 1)
	first.Close()
	second, err = OpenGenerationClock(path) // the lock is released by Close
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	mustCurrent(t, second, 2)
}

func TestGenerationClockCorrupt(t *testing.T) {
	valid := genFile(1, 0, 7)
	flipped := append([]byte(nil), valid...)
	flipped[24] ^= 0x01 // one checksum byte
	cases := map[string][]byte{
		"empty":            {},
		"truncated":        valid[:20],
		"one byte short":   valid[:31],
		"trailing bytes":   append(append([]byte(nil), valid...), 0),
		"garbage":          bytes.Repeat([]byte("garbage!"), 4),
		"checksum flipped": flipped,
		"generation bit":   func() []byte { b := append([]byte(nil), valid...); b[16] ^= 0x02; return b }(),
		"bad magic":        func() []byte { b := genFile(1, 0, 7); b[0] = 'Q'; return b }(),
		"version 2":        genFile(2, 0, 7),
		"reserved":         genFile(1, 1, 7),
		"beyond 2^48":      genFile(1, 0, 1<<48+1),
	}
	dir := t.TempDir()
	i := 0
	for name, content := range cases {
		i++
		path := filepath.Join(dir, fmt.Sprintf("gen-%d", i))
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		g, err := OpenGenerationClock(path)
		if !errors.Is(err, ErrCorrupt) || g != nil {
			t.Errorf("%s: open = %v, %v; want ErrCorrupt", name, g, err)
			if g != nil {
				g.Close()
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, path) {
			t.Errorf("%s: the message does not name the path %s: %v", name, path, err)
		}
		after, rerr := os.ReadFile(path)
		if rerr != nil || !bytes.Equal(after, content) {
			t.Errorf("%s: the file changed: % x (%v), was % x", name, after, rerr, content)
		}
		if v, err := ParseGenerationFile(content); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ParseGenerationFile = %d, %v; want ErrCorrupt", name, v, err)
		}
	}
}

func TestGenerationClockMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-dir")
	path := filepath.Join(dir, "generation")
	g, err := OpenGenerationClock(path)
	if !errors.Is(err, ErrIO) || g != nil {
		t.Fatalf("open in a missing directory: %v, %v; want ErrIO", g, err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("the message does not name the path: %v", err)
	}
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Errorf("the directory was created: %v", serr)
	}
}

func TestGenerationClockBadPath(t *testing.T) {
	for _, path := range []string{"", "a\x00b"} {
		if g, err := OpenGenerationClock(path); !errors.Is(err, ErrInvalidArg) || g != nil {
			t.Errorf("OpenGenerationClock(%q) = %v, %v; want ErrInvalidArg", path, g, err)
		}
	}
}

func TestParseGenerationFile(t *testing.T) {
	for _, want := range []uint64{0, 1, 7, 0x0102_0304_0506, 1 << 48} {
		got, err := ParseGenerationFile(genFile(1, 0, want))
		if err != nil || got != want {
			t.Errorf("generation %d: parsed %d, %v", want, got, err)
		}
	}
	// A fixed file written out byte by byte: generation 2.
	fixed := []byte{
		'P', 'H', 'I', 'F', 'D', 'G', 'E', 'N',
		1, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0,
	}
	h := fnv.New64a()
	h.Write(fixed)
	fixed = binary.LittleEndian.AppendUint64(fixed, h.Sum64())
	if got, err := ParseGenerationFile(fixed); err != nil || got != 2 {
		t.Errorf("fixed file: %d, %v; want 2", got, err)
	}
	for _, b := range [][]byte{nil, {}} {
		if got, err := ParseGenerationFile(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ParseGenerationFile(%#v) = %d, %v; want ErrCorrupt", b, got, err)
		}
	}
	_, err := ParseGenerationFile(genFile(1, 0, 1<<48+1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(uint64(1<<48+1))) {
		t.Errorf("beyond the bound: %v; want a message naming the value", err)
	}
}

func TestGenerationClockClosed(t *testing.T) {
	g, err := NewInMemoryGenerationClock(3)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	_, errCur := g.Current()
	_, errAdv := g.Advance()
	down, errObs := g.Observe(9)
	for _, err := range []error{errCur, errAdv, errObs} {
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrInvalidHandle) || !strings.Contains(err.Error(), "clock") {
			t.Errorf("after Close: %v; want ErrClosed naming the clock", err)
		}
	}
	if down {
		t.Error("Observe after Close reported step-down")
	}
}

// Goroutines advancing one clock never see a generation twice, and none is lost.
func TestGenerationClockConcurrentAdvance(t *testing.T) {
	for _, durable := range []bool{false, true} {
		var g *GenerationClock
		var err error
		start := uint64(10)
		if durable {
			g, err = OpenGenerationClock(filepath.Join(t.TempDir(), "generation"))
			start = 1
		} else {
			g, err = NewInMemoryGenerationClock(start)
		}
		if err != nil {
			t.Fatal(err)
		}
		const workers, each = 4, 10
		seen := make(chan uint64, workers*each)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					v, err := g.Advance()
					if err != nil {
						t.Error(err)
						return
					}
					seen <- v
					if _, err := g.Observe(v - 1); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		close(seen)
		got := map[uint64]bool{}
		for v := range seen {
			if got[v] || v <= start || v > start+workers*each {
				t.Errorf("durable %v: generation %d handed out twice or out of range", durable, v)
			}
			got[v] = true
		}
		if len(got) != workers*each {
			t.Errorf("durable %v: %d distinct generations, want %d", durable, len(got), workers*each)
		}
		mustCurrent(t, g, start+workers*each)
		g.Close()
	}
}

// Close races with calls in progress: every call either completes or returns ErrClosed.
func TestGenerationClockCloseWhileInUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		g, err := NewInMemoryGenerationClock(1)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					_, err1 := g.Advance()
					_, err2 := g.Observe(uint64(i))
					_, err3 := g.Current()
					for _, err := range []error{err1, err2, err3} {
						if err != nil && !errors.Is(err, ErrClosed) {
							t.Error(err)
							return
						}
					}
				}
			}()
		}
		runtime.Gosched()
		g.Close()
		wg.Wait()
		if _, err := g.Current(); !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	}
}

// openAndDrop opens the durable clock at path and drops it unclosed.
func openAndDrop(t *testing.T, path string) {
	g, err := OpenGenerationClock(path)
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := g.Current(); err != nil {
		t.Error(err)
	}
}

// A durable clock dropped without Close is freed by its finalizer, which releases the file lock.
// Run with GOGC=1 as well.
func TestGenerationClockGCStress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "generation")
	for round := uint64(1); round <= 5; round++ {
		openAndDrop(t, path)
		var g *GenerationClock
		var err error
		for i := 0; i < 100; i++ {
			runtime.GC()
			runtime.Gosched()
			if g, err = OpenGenerationClock(path); !errors.Is(err, ErrLocked) {
				break
			}
		}
		if err != nil {
			t.Fatalf("round %d: reopening the dropped clock: %v", round, err)
		}
		mustCurrent(t, g, 2*round) // the dropped incarnation and this one
		g.Close()
	}
	if clocksFinalized.Load() == 0 {
		t.Error("no unreachable clock was finalized")
	}
}
