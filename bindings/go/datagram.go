package phifd

// #include "gophifd.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// DatagramSize is the size of an encoded heartbeat datagram, in bytes.
const DatagramSize = C.PHIFD_DATAGRAM_SIZE

// DatagramKind says what a [Datagram] is.
type DatagramKind uint32

// The datagram kinds.
const (
	// DatagramHeartbeat is a heartbeat.
	DatagramHeartbeat DatagramKind = C.PHIFD_DATAGRAM_HEARTBEAT
	// DatagramStaleReply answers a heartbeat that carried an older term: its Term is the
	// receiver's newer one, and a leader that receives it should step down.
	DatagramStaleReply DatagramKind = C.PHIFD_DATAGRAM_STALE_REPLY
)

// String returns "HEARTBEAT" or "STALE_REPLY" (or "DatagramKind(n)" for another value).
func (k DatagramKind) String() string {
	switch k {
	case DatagramHeartbeat:
		return "HEARTBEAT"
	case DatagramStaleReply:
		return "STALE_REPLY"
	}
	return fmt.Sprintf("DatagramKind(%d)", uint32(k))
}

// Datagram is the heartbeat message peers exchange, decoded: plain data. Its wire form,
// produced by Encode and read by DecodeDatagram, is DatagramSize bytes, little-endian, with a
// magic, a format version and a checksum, identical in every language that uses the library.
type Datagram struct {
	Kind DatagramKind // DatagramHeartbeat or DatagramStaleReply
	// Leader is set when the sender believes it is the leader (the wire's leader flag).
	Leader bool
	Node   uint64 // sender's node id
	// Generation is the sender's incarnation: it increases when the sender restarts. Pass it to
	// Monitor.Heartbeat or Monitor.HeartbeatVersion so restarts are recognised.
	Generation uint64
	// Term is the sender's cluster epoch: it increases when a new leader takes over. Compare it
	// with your own term clock to find a stale leader; a stale reply carries the receiver's
	// newer term here.
	Term    uint64
	Version uint64 // heartbeat version: a sequence number the sender increments per heartbeat
	// SendNs is the send time on the sender's monotonic clock, ns: informational, never an
	// arrival time (take that where the datagram is received, with NowNs).
	SendNs uint64
}

// Encode returns the DatagramSize-byte wire form of d (a new slice owned by the caller). Safe for
// concurrent use; d is not modified. Errors: ErrInvalidArg for a Kind other than
// DatagramHeartbeat or DatagramStaleReply.
func (d Datagram) Encode() ([]byte, error) {
	c := datagramToC(&d)
	out := make([]byte, DatagramSize)
	var written C.size_t
	if err := check(func() C.phifd_status {
		return C.phifd_datagram_encode(&c, bytesPtr(out), C.size_t(len(out)), &written)
	}); err != nil {
		return nil, err
	}
	return out[:written], nil
}

// DecodeDatagram decodes b, untrusted bytes as received from the network. It never panics or
// crashes, whatever b holds: anything that is not exactly one valid DatagramSize-byte datagram
// fails with ErrMalformed, whose message names the defect (wrong length, bad magic, unsupported
// version, unknown kind, undefined flags, checksum mismatch). b is only read, and not retained.
// Safe for concurrent use.
func DecodeDatagram(b []byte) (Datagram, error) {
	var c C.phifd_datagram
	if err := check(func() C.phifd_status {
		return C.phifd_datagram_decode(bytesPtr(b), C.size_t(len(b)), &c)
	}); err != nil {
		return Datagram{}, err
	}
	return datagramFromC(&c), nil
}

// bytesPtr returns a C pointer to the first byte of b (nil for an empty slice). b holds no Go
// pointers, so it may be passed to C; cgo keeps it alive for the duration of the call.
func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

// datagramToC is d in the library's struct.
func datagramToC(d *Datagram) C.phifd_datagram {
	var c C.phifd_datagram
	c.kind = C.uint32_t(d.Kind)
	if d.Leader {
		c.flags = C.PHIFD_DATAGRAM_FLAG_LEADER
	}
	c.node = C.uint64_t(d.Node)
	c.generation = C.uint64_t(d.Generation)
	c.term = C.uint64_t(d.Term)
	c.version = C.uint64_t(d.Version)
	c.send_ns = C.uint64_t(d.SendNs)
	return c
}

// datagramFromC is the library's datagram c as a Datagram.
func datagramFromC(c *C.phifd_datagram) Datagram {
	return Datagram{
		Kind:       DatagramKind(c.kind),
		Leader:     c.flags&C.PHIFD_DATAGRAM_FLAG_LEADER != 0,
		Node:       uint64(c.node),
		Generation: uint64(c.generation),
		Term:       uint64(c.term),
		Version:    uint64(c.version),
		SendNs:     uint64(c.send_ns),
	}
}
