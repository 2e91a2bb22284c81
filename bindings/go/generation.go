package phifd

// #include <stdlib.h>
// #include "gophifd.h"
import "C"

import (
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"
)

// MaxGeneration is the largest generation a clock accepts or adopts (2^48). At a thousand new
// generations a second it takes 8,900 years to reach, so a larger value in a file or a message
// is damage, not history.
const MaxGeneration uint64 = C.PHIFD_MAX_GENERATION

// errClockClosed is returned by every method of a closed GenerationClock; it matches ErrClosed
// and ErrInvalidHandle.
var errClockClosed = &Error{Status: StatusInvalidHandle, Message: "the generation clock is closed", closed: true}

// GenerationClock is a server's own generation clock, backed by a native phifd_generation: the
// term, epoch or incarnation it stamps on everything it sends (as opposed to the generations of
// its peers, which a Monitor tracks). It never goes backwards and, when durable, never hands out
// the same generation twice, whatever instant the process dies at: every new value is written to
// PATH.tmp, fsynced, renamed over PATH, and the directory is fsynced before the call returns.
//
// All methods are safe for concurrent use by any number of goroutines. Close frees the native
// clock and, for a durable clock, releases its file lock; afterwards every method returns
// ErrClosed. A read lock guards the handle during each call, so Close waits for calls in progress
// and can never free the clock under them.
type GenerationClock struct {
	h handle[*C.phifd_generation]
}

// clocksFinalized counts clocks closed by their finalizer (read by the tests).
var clocksFinalized atomic.Int64

// newClock wraps a native clock and arranges for it to be freed if it is dropped unclosed.
func newClock(ptr *C.phifd_generation) *GenerationClock {
	g := &GenerationClock{h: handle[*C.phifd_generation]{ptr: ptr, closedErr: errClockClosed}}
	runtime.SetFinalizer(g, (*GenerationClock).finalize)
	return g
}

// OpenGenerationClock opens (or creates) the durable clock stored in the file path and starts a
// new incarnation: the generation becomes the stored value plus one (1 for a new file), durable
// before this returns. The file is created owner-only (0600). An OS lock on "path.lock" is held
// until Close (or the finalizer), so one file has one live owner; the lock is per open file, so
// it also refuses a second open in the same process.
//
// Errors: ErrInvalidArg (empty path, or a path containing a NUL byte); ErrLocked (another clock
// holds the file); ErrCorrupt (the file is truncated, garbage, fails its checksum or holds a value
// beyond MaxGeneration: the message names the path and the damage, and the file is left as it is,
// never reset); ErrIO (missing directory, read-only filesystem, permissions: the message carries
// the path and the operating system's error text).
//
// Call Close when done: until then the file stays locked. A finalizer closes clocks that become
// unreachable, but possibly late.
func OpenGenerationClock(path string) (*GenerationClock, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return nil, invalidArg("OpenGenerationClock: path contains a NUL byte")
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var clock *C.phifd_generation
	if err := check(func() C.phifd_status { return C.phifd_generation_open(cpath, &clock) }); err != nil {
		return nil, err
	}
	return newClock(clock), nil
}

// NewInMemoryGenerationClock creates a clock without a file, starting at start, for tests and for
// servers that persist their generation elsewhere (e.g. in their replicated log). Errors:
// ErrInvalidArg (start beyond MaxGeneration).
func NewInMemoryGenerationClock(start uint64) (*GenerationClock, error) {
	var clock *C.phifd_generation
	if err := check(func() C.phifd_status {
		return C.phifd_generation_new_in_memory(C.uint64_t(start), &clock)
	}); err != nil {
		return nil, err
	}
	return newClock(clock), nil
}

// finalize is the finalizer of an unreachable, unclosed clock: it frees the native clock and
// releases its file lock.
func (g *GenerationClock) finalize() {
	clocksFinalized.Add(1)
	g.Close()
}

// Close frees the native clock and, for a durable clock, releases the lock on its file (the file
// itself stays, holding the last generation). It is idempotent, always returns nil, and may be
// called while other goroutines use the clock: it waits for calls in progress, and later calls
// return ErrClosed.
func (g *GenerationClock) Close() error {
	if g.h.close(func(p *C.phifd_generation) { C.phifd_generation_free(p) }) {
		runtime.SetFinalizer(g, nil)
	}
	return nil
}

// Current returns the current generation: the one to stamp on every heartbeat and message.
// Errors: ErrClosed.
func (g *GenerationClock) Current() (uint64, error) {
	var gen C.uint64_t
	if err := g.h.call(func(p *C.phifd_generation) C.phifd_status {
		return C.phifd_generation_current(p, &gen)
	}); err != nil {
		return 0, err
	}
	return uint64(gen), nil
}

// Advance moves to a new generation (a new term or epoch, e.g. when starting an election) and
// returns it; for a durable clock it is on disk before Advance returns.
// Errors: ErrIO (the generation is unchanged; the message carries the path and the OS error),
// ErrInvalidArg (MaxGeneration is reached), ErrClosed.
func (g *GenerationClock) Advance() (uint64, error) {
	var gen C.uint64_t
	if err := g.h.call(func(p *C.phifd_generation) C.phifd_status {
		return C.phifd_generation_advance(p, &gen)
	}); err != nil {
		return 0, err
	}
	return uint64(gen), nil
}

// Observe adopts a generation remote seen in a message from a peer (any heartbeat, reply or
// request). If remote is higher than the current generation it becomes the current one (durably,
// for a durable clock) and stepDown is true: someone newer exists, and a leader must step down to
// follower. Otherwise nothing changes and stepDown is false.
// Errors: ErrInvalidArg (remote beyond MaxGeneration: damage or an attack, not a term; nothing
// changes), ErrIO (nothing changes), ErrClosed. stepDown is false whenever err is not nil.
func (g *GenerationClock) Observe(remote uint64) (stepDown bool, err error) {
	var down C.bool
	if err := g.h.call(func(p *C.phifd_generation) C.phifd_status {
		return C.phifd_generation_observe(p, C.uint64_t(remote), &down)
	}); err != nil {
		return false, err
	}
	return bool(down), nil
}

// ParseGenerationFile parses the contents of a generation file (as read from disk) and returns
// the generation stored in it, without touching any file: for tools that inspect or repair
// clocks, and for fuzzing. b is only read, and not retained. The format is 32 bytes: the magic
// "PHIFDGEN", the format version 1 and a zero reserved word (uint32 little-endian each), the
// generation (uint64 little-endian), and the FNV-1a 64 checksum of the first 24 bytes (uint64
// little-endian). Safe for concurrent use.
//
// Errors: ErrCorrupt when b is not such a file (wrong length, bad magic, unknown version, non-zero
// reserved word, checksum mismatch, generation beyond MaxGeneration); the message names the damage.
func ParseGenerationFile(b []byte) (uint64, error) {
	var gen C.uint64_t
	if err := check(func() C.phifd_status {
		return C.phifd_generation_parse(bytesPtr(b), C.size_t(len(b)), &gen)
	}); err != nil {
		return 0, err
	}
	return uint64(gen), nil
}
