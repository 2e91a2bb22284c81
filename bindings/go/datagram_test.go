package phifd

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand"
	"testing"
)

// handBuilt builds the wire form of d independently of the library, from the layout documented
// in src/wire.rs: magic "PHHB", format version 1 (u8), kind (u8), flags (u16, bit 0 = leader),
// node, generation, term, version, send time (u64 each), then the FNV-1a 64 checksum of the
// first 48 bytes (u64); all little-endian, 56 bytes.
func handBuilt(kind uint8, flags uint16, node, generation, term, version, sendNs uint64) []byte {
	b := []byte("PHHB")
	b = append(b, 1, kind)
	b = binary.LittleEndian.AppendUint16(b, flags)
	for _, v := range []uint64{node, generation, term, version, sendNs} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return reseal(b)
}

// reseal replaces (or appends) the checksum after the first 48 bytes of b.
func reseal(b []byte) []byte {
	h := fnv.New64a()
	h.Write(b[:48])
	return binary.LittleEndian.AppendUint64(b[:48:48], h.Sum64())
}

func TestDatagramLayoutByHand(t *testing.T) {
	if DatagramSize != 56 {
		t.Fatalf("DatagramSize = %d, want 56", DatagramSize)
	}
	cases := []struct {
		d    Datagram
		want []byte
	}{
		{Datagram{Kind: DatagramHeartbeat, Leader: true, Node: 7, Generation: 3, Term: 5, Version: 99, SendNs: 123456},
			handBuilt(0, 1, 7, 3, 5, 99, 123456)},
		{Datagram{Kind: DatagramStaleReply, Node: 2, Term: 9},
			handBuilt(1, 0, 2, 0, 9, 0, 0)},
		// generation and term at the bound 2^48 (the top byte of the term's range exercised too)
		{Datagram{Kind: DatagramHeartbeat, Node: math.MaxUint64, Generation: 1 << 48, Term: 1<<48 - 0xFF,
			Version: 0x0102030405060708, SendNs: math.MaxUint64 - 1},
			handBuilt(0, 0, math.MaxUint64, 1<<48, 1<<48-0xFF, 0x0102030405060708, math.MaxUint64-1)},
	}
	for _, c := range cases {
		got, err := c.d.Encode()
		if err != nil {
			t.Fatalf("Encode(%+v): %v", c.d, err)
		}
		if !bytes.Equal(got, c.want) {
			t.Errorf("Encode(%+v) =\n% x\nwant\n% x", c.d, got, c.want)
		}
		back, err := DecodeDatagram(c.want)
		if err != nil || back != c.d {
			t.Errorf("DecodeDatagram(hand-built) = %+v, %v; want %+v", back, err, c.d)
		}
	}
	// A fixed checksum, worked out once from the FNV-1a definition (offset basis
	// 0xcbf29ce484222325, prime 0x100000001b3) rather than taken from the library.
	h := uint64(0xcbf29ce484222325)
	for _, x := range handBuilt(0, 1, 7, 3, 5, 99, 123456)[:48] {
		h = (h ^ uint64(x)) * 0x100000001b3
	}
	if got := binary.LittleEndian.Uint64(cases[0].want[48:]); got != h {
		t.Errorf("hash/fnv and the FNV-1a definition disagree: %x vs %x", got, h)
	}
}

func TestDatagramRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		d := Datagram{
			Kind:       DatagramKind(rng.Intn(2)),
			Leader:     rng.Intn(2) == 1,
			Node:       rng.Uint64(),
			Generation: rng.Uint64() >> 16, // generation and term within MaxGeneration (2^48)
			Term:       rng.Uint64() >> 16,
			Version:    rng.Uint64(),
			SendNs:     rng.Uint64(),
		}
		b, err := d.Encode()
		if err != nil || len(b) != DatagramSize {
			t.Fatalf("Encode(%+v) = %d bytes, %v", d, len(b), err)
		}
		back, err := DecodeDatagram(b)
		if err != nil || back != d {
			t.Fatalf("round trip of %+v gave %+v, %v", d, back, err)
		}
	}
}

func TestDatagramEncodeRejectsUnknownKind(t *testing.T) {
	b, err := Datagram{Kind: 2, Node: 1}.Encode()
	if b != nil {
		t.Errorf("Encode returned %d bytes with an error", len(b))
	}
	wantErr(t, err, ErrInvalidArg, "kind")
}

func TestDatagramEveryDefectIsMalformed(t *testing.T) {
	good := handBuilt(0, 1, 1, 2, 3, 4, 5)
	if _, err := DecodeDatagram(good); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	cases := []struct {
		name  string
		bytes []byte
		says  string
	}{
		{"nil", nil, "length"},
		{"empty", []byte{}, "length"},
		{"one byte short", good[:55], "length"},
		{"header only", good[:48], "length"},
		{"one byte long", append(append([]byte(nil), good...), 0), "length"},
		{"twice", append(append([]byte(nil), good...), good...), "length"},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 'X'; return reseal(b) }), "magic"},
		{"lower-case magic", mutate(func(b []byte) []byte { copy(b, "phhb"); return reseal(b) }), "magic"},
		{"version 0", mutate(func(b []byte) []byte { b[4] = 0; return reseal(b) }), "version"},
		{"version 2", mutate(func(b []byte) []byte { b[4] = 2; return reseal(b) }), "version"},
		{"kind 2", mutate(func(b []byte) []byte { b[5] = 2; return reseal(b) }), "kind"},
		{"kind 255", mutate(func(b []byte) []byte { b[5] = 255; return reseal(b) }), "kind"},
		{"flag bit 1", mutate(func(b []byte) []byte { b[6] = 3; return reseal(b) }), "flag"},
		{"high flag bit", mutate(func(b []byte) []byte { b[7] = 0x80; return reseal(b) }), "flag"},
		{"payload bit flipped", mutate(func(b []byte) []byte { b[20] ^= 1; return b }), "checksum"},
		{"checksum bit flipped", mutate(func(b []byte) []byte { b[55] ^= 0x80; return b }), "checksum"},
		{"checksum zeroed", mutate(func(b []byte) []byte { clear(b[48:]); return b }), "checksum"},
	}
	for _, c := range cases {
		d, err := DecodeDatagram(c.bytes)
		if d != (Datagram{}) {
			t.Errorf("%s: decoded %+v along with the error", c.name, d)
		}
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		t.Run(c.name, func(t *testing.T) { wantErr(t, err, ErrMalformed, c.says) })
	}
	// Every single-bit flip anywhere in the 56 bytes is caught.
	for i := 0; i < DatagramSize*8; i++ {
		b := append([]byte(nil), good...)
		b[i/8] ^= 1 << (i % 8)
		if d, err := DecodeDatagram(b); !isMalformed(err) {
			t.Fatalf("bit %d flipped: got %+v, %v", i, d, err)
		}
	}
}

func isMalformed(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Status == StatusMalformed && e.Message != ""
}

// TestDatagramRandomBytesNeverCrash feeds random, truncated and lightly damaged inputs: every
// result is either ErrMalformed or a datagram that encodes back to exactly the input.
func TestDatagramRandomBytesNeverCrash(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	good := handBuilt(1, 0, 10, 20, 30, 40, 50)
	accepted := 0
	for i := 0; i < 20000; i++ {
		var b []byte
		switch i % 4 {
		case 0: // pure noise of any small length
			b = make([]byte, rng.Intn(80))
			rng.Read(b)
		case 1: // noise of the right length
			b = make([]byte, DatagramSize)
			rng.Read(b)
		case 2: // a valid header with random fields and a correct checksum
			b = append([]byte(nil), good...)
			rng.Read(b[6:48])
			b = reseal(b)
		default: // a valid datagram with random bytes overwritten
			b = append([]byte(nil), good...)
			for n := rng.Intn(4) + 1; n > 0; n-- {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
		}
		d, err := DecodeDatagram(b)
		if err != nil {
			if !isMalformed(err) {
				t.Fatalf("input % x: error %v is not ErrMalformed", b, err)
			}
			continue
		}
		accepted++
		again, err := d.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("input % x decoded to %+v, which encodes to % x (%v)", b, d, again, err)
		}
	}
	if accepted == 0 {
		t.Error("no input was accepted: the valid-header cases should be")
	}
}

// FuzzDecodeDatagram: `go test -fuzz FuzzDecodeDatagram` explores further; the seeds run as part
// of the ordinary tests.
func FuzzDecodeDatagram(f *testing.F) {
	f.Add(handBuilt(0, 1, 1, 2, 3, 4, 5))
	f.Add(handBuilt(1, 0, 0, 0, 0, 0, 0))
	f.Add([]byte("PHHB"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDatagram(b)
		if err != nil {
			if !isMalformed(err) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		again, err := d.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("% x decoded to %+v, which encodes to % x (%v)", b, d, again, err)
		}
	})
}
