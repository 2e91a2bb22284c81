package phifdml

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"

	phifd "github.com/phifd/phifd/bindings/go"
)

// NodeID returns the phifd node id of the member called name: the 64-bit FNV-1a hash of the
// name's bytes. Every member computes the same id for a name, so no id has to be agreed on.
// Two names may hash to the same id (for n members the probability is about n²/2⁶⁵, 1 in 10¹¹
// for 1,000 members); the adapter detects that when the second member joins and then monitors
// neither of the two (see Adapter.Collisions).
func NodeID(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// Messages of the adapter travel as memberlist user messages (Delegate.NotifyMsg). Each starts
// with msgTag and a kind byte, so that messages of an application delegate wrapped by the
// adapter (Options.Inner) are told apart and handed to it.
const (
	msgTag       byte = 0xF1
	kindBeat     byte = 1 // followed by one phifd heartbeat datagram (56 bytes)
	kindSuspect  byte = 2 // followed by reporter, node, generation, version (4 x uint64, big endian)
	kindLeave    byte = 3 // followed by node, generation (2 x uint64, big endian)
	leaveBytes        = 2 + 2*8
	metaTag      byte = 0xF1
	metaVersion  byte = 1
	metaSize          = 2 + 8 + 8 // tag, version, node id, generation
	suspectBytes      = 2 + 4*8
)

// beatMsg encodes a heartbeat entry: node's generation and heartbeat version.
func beatMsg(node, generation, version, sendNs uint64) ([]byte, error) {
	d, err := phifd.Datagram{Kind: phifd.DatagramHeartbeat, Node: node, Generation: generation,
		Version: version, SendNs: sendNs}.Encode()
	if err != nil {
		return nil, err
	}
	return append([]byte{msgTag, kindBeat}, d...), nil
}

// suspicion is a report that reporter's memberlist holds node (at generation, last version the
// reporter saw) as suspect.
type suspicion struct {
	Reporter, Node, Generation, Version uint64
}

func suspectMsg(s suspicion) []byte {
	b := make([]byte, suspectBytes)
	b[0], b[1] = msgTag, kindSuspect
	binary.BigEndian.PutUint64(b[2:], s.Reporter)
	binary.BigEndian.PutUint64(b[10:], s.Node)
	binary.BigEndian.PutUint64(b[18:], s.Generation)
	binary.BigEndian.PutUint64(b[26:], s.Version)
	return b
}

func leaveMsg(node, generation uint64) []byte {
	b := make([]byte, leaveBytes)
	b[0], b[1] = msgTag, kindLeave
	binary.BigEndian.PutUint64(b[2:], node)
	binary.BigEndian.PutUint64(b[10:], generation)
	return b
}

var errNotOurs = errors.New("phifdml: not an adapter message")

// decodeMsg parses one adapter message. It returns errNotOurs for anything not starting with
// the adapter's tag (an application's message), another error for a damaged adapter message.
func decodeMsg(b []byte) (kind byte, beat phifd.Datagram, sus suspicion, err error) {
	if len(b) < 2 || b[0] != msgTag {
		return 0, beat, sus, errNotOurs
	}
	switch b[1] {
	case kindBeat:
		beat, err = phifd.DecodeDatagram(b[2:])
		if err == nil && beat.Kind != phifd.DatagramHeartbeat {
			err = fmt.Errorf("phifdml: datagram of kind %v where a heartbeat was expected", beat.Kind)
		}
		return kindBeat, beat, sus, err
	case kindSuspect:
		if len(b) != suspectBytes {
			return kindSuspect, beat, sus, fmt.Errorf("phifdml: suspicion message of %d bytes, want %d", len(b), suspectBytes)
		}
		sus = suspicion{
			Reporter:   binary.BigEndian.Uint64(b[2:]),
			Node:       binary.BigEndian.Uint64(b[10:]),
			Generation: binary.BigEndian.Uint64(b[18:]),
			Version:    binary.BigEndian.Uint64(b[26:]),
		}
		return kindSuspect, beat, sus, nil
	case kindLeave:
		if len(b) != leaveBytes {
			return kindLeave, beat, sus, fmt.Errorf("phifdml: leave message of %d bytes, want %d", len(b), leaveBytes)
		}
		sus = suspicion{Node: binary.BigEndian.Uint64(b[2:]), Generation: binary.BigEndian.Uint64(b[10:])}
		return kindLeave, beat, sus, nil
	default:
		return b[1], beat, sus, fmt.Errorf("phifdml: unknown message kind %d", b[1])
	}
}

// encodeMeta returns the adapter's node metadata (node id and generation) followed by the
// application's metadata.
func encodeMeta(node, generation uint64, app []byte) []byte {
	b := make([]byte, metaSize, metaSize+len(app))
	b[0], b[1] = metaTag, metaVersion
	binary.BigEndian.PutUint64(b[2:], node)
	binary.BigEndian.PutUint64(b[10:], generation)
	return append(b, app...)
}

// decodeMeta splits metadata written by encodeMeta; ok is false for metadata of a member that
// does not run the adapter (then app is the whole of meta).
func decodeMeta(meta []byte) (node, generation uint64, app []byte, ok bool) {
	if len(meta) < metaSize || meta[0] != metaTag || meta[1] != metaVersion {
		return 0, 0, meta, false
	}
	return binary.BigEndian.Uint64(meta[2:]), binary.BigEndian.Uint64(meta[10:]), meta[metaSize:], true
}

// AppMeta returns the application's part of a member's metadata (memberlist.Node.Meta): the
// adapter puts its own 18 bytes (node id and generation) in front of what Options.Inner's
// NodeMeta returns. Metadata of a member without the adapter is returned unchanged.
func AppMeta(meta []byte) []byte {
	_, _, app, _ := decodeMeta(meta)
	return app
}
