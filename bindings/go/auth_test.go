package phifd

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The expected bytes and tags below are computed with encoding/binary and crypto/hmac from the
// layout of docs/security.md, independently of the library: bytes 0..48 as in the plain datagram
// with format version 2, a little-endian u32 key id at 48, and at 52 the leftmost 16 bytes of
// HMAC-SHA-256 over bytes 0..52.

var (
	keyA = seq(0, 32)   // id 1
	keyB = seq(100, 32) // id 2
)

func seq(from byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

// signed builds an authenticated datagram without the library.
func signed(keyID uint32, key []byte, kind uint8, flags uint16, node, generation, term, version, sendNs uint64) []byte {
	b := make([]byte, 0, 68)
	b = append(b, "PHHB"...)
	b = append(b, 2, kind)
	b = binary.LittleEndian.AppendUint16(b, flags)
	for _, v := range []uint64{node, generation, term, version, sendNs} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, keyID)
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	return append(b, mac.Sum(nil)[:16]...)
}

func hb(keyID uint32, key []byte, node, generation, version uint64) []byte {
	return signed(keyID, key, 0, 0, node, generation, 1, version, 0)
}

func mustKeyring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range keys {
		if err := k.AddKey(uint32(i+1), key); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

type rejections struct{ malformed, badGeneration, unknownKey, badMAC, replayed uint64 }

func rejected(t *testing.T, m *Monitor) rejections {
	t.Helper()
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return rejections{s.RejectedMalformed, s.RejectedBadGeneration, s.RejectedUnknownKey, s.RejectedBadMAC, s.RejectedReplayed}
}

func TestAuthConstants(t *testing.T) {
	if AuthDatagramSize != 68 || KeyMinLen != 16 || KeyMaxLen != 64 || KeyringMaxKeys != 16 {
		t.Fatal(AuthDatagramSize, KeyMinLen, KeyMaxLen, KeyringMaxKeys)
	}
}

func TestAuthRoundTripAndIndependentTag(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	d := Datagram{Kind: DatagramHeartbeat, Leader: true, Node: 0x0102030405060708, Generation: 3, Term: 9, Version: 42, SendNs: 123456789}
	wire, err := d.EncodeAuth(k)
	if err != nil {
		t.Fatal(err)
	}
	want := signed(1, keyA, 0, 1, 0x0102030405060708, 3, 9, 42, 123456789)
	if !bytes.Equal(wire, want) {
		t.Fatalf("encoded\n%x\nwant\n%x", wire, want)
	}
	mac := hmac.New(sha256.New, keyA)
	mac.Write(wire[:52])
	if !hmac.Equal(wire[52:], mac.Sum(nil)[:16]) {
		t.Fatal("tag is not HMAC-SHA-256(key, bytes 0..52) truncated to 16 bytes")
	}
	got, err := DecodeAuthDatagram(wire, k)
	if err != nil || got != d {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	stale := Datagram{Kind: DatagramStaleReply, Node: 5, Term: 77}
	if wire, err = stale.EncodeAuth(k); err != nil {
		t.Fatal(err)
	}
	if got, err = DecodeAuthDatagram(wire, k); err != nil || got != stale {
		t.Fatalf("stale reply %+v, %v", got, err)
	}
}

func TestAuthSigningKeyIDOnTheWire(t *testing.T) {
	k := mustKeyring(t, keyA, keyB)
	defer k.Close()
	if id, err := k.SigningKey(); err != nil || id != 1 {
		t.Fatalf("signing key %d, %v: the first key added signs", id, err)
	}
	if err := k.SetSigningKey(2); err != nil {
		t.Fatal(err)
	}
	wire, err := Datagram{Node: 1, Generation: 1, Term: 1, Version: 1, SendNs: 1}.EncodeAuth(k)
	if err != nil || !bytes.Equal(wire, signed(2, keyB, 0, 0, 1, 1, 1, 1, 1)) {
		t.Fatalf("%x, %v", wire, err)
	}
}

func TestAuthForgedRefusedAndCounted(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	good := hb(1, keyA, 7, 1, 1)
	forged := [][]byte{
		append(append([]byte{}, good[:52]...), make([]byte, 16)...),          // made-up tag
		hb(1, []byte("another key of thirty-two bytes!"), 7, 1, 1),           // a key the receiver lacks, its id
		append(append([]byte{}, hb(1, keyA, 7, 9, 1)[:52]...), good[52:]...), // a valid tag moved onto other fields
	}
	for _, b := range forged {
		_, _, err := m.Receive(b, 1e9, k)
		wantErr(t, err, ErrAuth, "MAC")
		_, err = DecodeAuthDatagram(b, k)
		wantErr(t, err, ErrAuth)
	}
	if r := rejected(t, m); r != (rejections{badMAC: 3}) {
		t.Fatalf("%+v", r)
	}
	if n, _ := m.NodeCount(); n != 0 {
		t.Fatalf("%d nodes after forged datagrams", n)
	}
}

func TestAuthTruncatedRefusedAndCounted(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	good := hb(1, keyA, 7, 1, 1)
	var bad [][]byte
	for n := 0; n < len(good); n++ {
		bad = append(bad, good[:n])
	}
	bad = append(bad, append(append([]byte{}, good...), 0), append(append([]byte{}, good...), good...))
	for _, b := range bad {
		_, _, err := m.Receive(b, 1e9, k)
		wantErr(t, err, ErrMalformed)
		_, err = DecodeAuthDatagram(b, k)
		wantErr(t, err, ErrMalformed)
	}
	if r := rejected(t, m); r != (rejections{malformed: uint64(len(bad))}) {
		t.Fatalf("%+v", r)
	}
}

func TestAuthEveryBitFlipRefusedAndCountedByClass(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	good := signed(1, keyA, 0, 0, 7, 3, 2, 10, 555)
	var want rejections
	for bit := 0; bit < len(good)*8; bit++ {
		b := append([]byte{}, good...)
		b[bit/8] ^= 1 << (bit % 8)
		sentinel := ErrAuth // everything else, tag included, fails the MAC
		switch off := bit / 8; {
		case off < 5: // magic and format version
			sentinel = ErrMalformed
			want.malformed++
		case off >= 48 && off < 52: // key id: every flip names an id the ring lacks
			sentinel = ErrUnknownKey
			want.unknownKey++
		default:
			want.badMAC++
		}
		_, counted, err := m.Receive(b, 1e9, k)
		if counted {
			t.Fatalf("bit %d: counted", bit)
		}
		wantErr(t, err, sentinel)
		_, err = DecodeAuthDatagram(b, k)
		wantErr(t, err, sentinel)
	}
	if want != (rejections{malformed: 40, unknownKey: 32, badMAC: 472}) {
		t.Fatalf("expected classes %+v", want)
	}
	if r := rejected(t, m); r != want {
		t.Fatalf("counted %+v, want %+v", r, want)
	}
	if _, counted, err := m.Receive(good, 2e9, k); err != nil || !counted {
		t.Fatalf("the unflipped datagram: %v, %v", counted, err)
	}
}

func TestAuthWrongKey(t *testing.T) {
	signer := mustKeyring(t, keyA)
	defer signer.Close()
	wire, err := Datagram{Node: 7, Generation: 1, Term: 1, Version: 1}.EncodeAuth(signer)
	if err != nil {
		t.Fatal(err)
	}
	sameIDOtherKey := mustKeyring(t, keyB)
	defer sameIDOtherKey.Close()
	otherID, _ := NewKeyring()
	defer otherID.Close()
	if err := otherID.AddKey(2, keyA); err != nil {
		t.Fatal(err)
	}
	m := mustMonitor(t, nil)
	_, _, err = m.Receive(wire, 1e9, sameIDOtherKey)
	wantErr(t, err, ErrAuth)
	_, _, err = m.Receive(wire, 1e9, otherID)
	wantErr(t, err, ErrUnknownKey, "1")
	if r := rejected(t, m); r != (rejections{badMAC: 1, unknownKey: 1}) {
		t.Fatalf("%+v", r)
	}
}

func TestAuthReplaysNeverCount(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	const s = uint64(1e9)
	v1, v2 := hb(1, keyA, 7, 5, 1), hb(1, keyA, 7, 5, 2)
	for i, b := range [][]byte{v1, v2} {
		if _, counted, err := m.Receive(b, uint64(i+1)*s, k); err != nil || !counted {
			t.Fatalf("first arrival %d: %v %v", i, counted, err)
		}
	}
	for i, b := range [][]byte{v2, v1, v2} { // the same bytes again, an older version
		d, counted, err := m.Receive(b, uint64(i+3)*s, k)
		if err != nil || counted || d.Node != 7 {
			t.Fatalf("replay %d: %+v %v %v", i, d, counted, err)
		}
	}
	if r := rejected(t, m); r != (rejections{replayed: 3}) {
		t.Fatalf("%+v", r)
	}
	if info := mustInfo(t, m, 7, 6*s); info.LastArrivalNs != 2*s || info.Generation != 5 {
		t.Fatalf("%+v", info)
	}
	d, counted, err := m.Receive(hb(1, keyA, 7, 4, 99), 6*s, k) // an older generation
	wantErr(t, err, ErrStaleGeneration)
	if counted || d != (Datagram{Node: 7, Generation: 4, Term: 1, Version: 99}) {
		t.Fatalf("stale generation: the datagram for the answer is %+v", d)
	}
	if st, _ := m.Stats(); st.StaleHeartbeats != 1 {
		t.Fatalf("%+v", st)
	}
	if _, counted, err := m.Receive(hb(1, keyA, 7, 5, 3), 7*s, k); err != nil || !counted {
		t.Fatalf("newer version: %v %v", counted, err)
	}
}

func TestAuthSignedStaleReplyNotApplied(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	d, counted, err := m.Receive(signed(1, keyA, 1, 0, 7, 1, 8, 0, 0), 1e9, k)
	if err != nil || counted || d.Kind != DatagramStaleReply || d.Term != 8 {
		t.Fatalf("%+v %v %v", d, counted, err)
	}
	if n, _ := m.NodeCount(); n != 0 {
		t.Fatal("a stale reply registered a node")
	}
}

func TestAuthGenerationAboveBound(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	for _, gt := range [][2]uint64{{bound + 1, 1}, {^uint64(0), 1}, {1, ^uint64(0)}} {
		_, _, err := m.Receive(signed(1, keyA, 0, 0, 7, gt[0], gt[1], 1, 0), 1e9, k)
		wantErr(t, err, ErrMalformed, "281474976710656")
	}
	if r := rejected(t, m); r != (rejections{badGeneration: 3}) {
		t.Fatalf("%+v", r)
	}
	if _, counted, err := m.Receive(hb(1, keyA, 7, bound, 1), 1e9, k); err != nil || !counted {
		t.Fatalf("the bound itself: %v %v", counted, err)
	}
	_, err := Datagram{Node: 7, Generation: bound + 1}.EncodeAuth(k)
	wantErr(t, err, ErrInvalidArg, "281474976710656")
}

func TestAuthModesDoNotMix(t *testing.T) {
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	d := Datagram{Node: 7, Generation: 1, Term: 1, Version: 1}
	plain, _ := d.Encode()
	auth, _ := d.EncodeAuth(k)
	_, _, err := m.Receive(plain, 1e9, k)
	wantErr(t, err, ErrMalformed)
	_, _, err = m.Receive(auth, 1e9, nil)
	wantErr(t, err, ErrMalformed)
	if r := rejected(t, m); r != (rejections{malformed: 2}) {
		t.Fatalf("%+v", r)
	}
	if got, counted, err := m.Receive(plain, 1e9, nil); err != nil || !counted || got != d {
		t.Fatalf("plain receive %+v %v %v", got, counted, err)
	}
}

// TestAuthRotationSender is the sender process of TestAuthRotationAcrossProcesses: it prints a
// datagram signed with key 1, then, after adding key 2, switching to it and removing key 1, one
// signed with key 2.
func TestAuthRotationSender(t *testing.T) {
	node := os.Getenv("PHIFD_ROTATION_SENDER_NODE")
	if node == "" {
		t.Skip("run by TestAuthRotationAcrossProcesses")
	}
	id, _ := strconv.ParseUint(node, 10, 64)
	k := mustKeyring(t, keyA)
	defer k.Close()
	for v, step := range []func() error{
		func() error { return nil },
		func() error {
			if err := k.AddKey(2, keyB); err != nil {
				return err
			}
			if err := k.SetSigningKey(2); err != nil {
				return err
			}
			return k.RemoveKey(1)
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		b, err := Datagram{Node: id, Generation: 1, Term: 1, Version: uint64(v + 1)}.EncodeAuth(k)
		if err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("DATAGRAM " + hex.EncodeToString(b) + "\n")
	}
}

func senderProcess(t *testing.T, node int) (old, new []byte) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuthRotationSender$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PHIFD_ROTATION_SENDER_NODE="+strconv.Itoa(node))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sender: %v\n%s", err, out)
	}
	var got [][]byte
	for _, line := range strings.Split(string(out), "\n") {
		if hexed, ok := strings.CutPrefix(line, "DATAGRAM "); ok {
			b, err := hex.DecodeString(hexed)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
	}
	if len(got) != 2 {
		t.Fatalf("sender printed %q", out)
	}
	return got[0], got[1]
}

func TestAuthRotationAcrossProcesses(t *testing.T) {
	oldA, newA := senderProcess(t, 1)
	oldB, newB := senderProcess(t, 2)
	if binary.LittleEndian.Uint32(oldA[48:]) != 1 || binary.LittleEndian.Uint32(newA[48:]) != 2 {
		t.Fatal("key ids on the wire")
	}
	k := mustKeyring(t, keyA)
	defer k.Close()
	m := mustMonitor(t, nil)
	const s = uint64(1e9)
	receive := func(b []byte, now uint64) error {
		_, counted, err := m.Receive(b, now, k)
		if err == nil && !counted {
			t.Fatalf("at %d: authentic new datagram did not count", now)
		}
		return err
	}
	if err := receive(oldA, 1*s); err != nil {
		t.Fatal(err)
	}
	wantErr(t, receive(newA, 2*s), ErrUnknownKey) // the receiver has not added key 2 yet
	if err := k.AddKey(2, keyB); err != nil {     // step 1: both keys accepted
		t.Fatal(err)
	}
	if err := receive(newA, 3*s); err != nil {
		t.Fatal(err)
	}
	if err := receive(oldB, 4*s); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigningKey(2); err != nil { // step 2
		t.Fatal(err)
	}
	wantErr(t, k.RemoveKey(2), ErrInvalidArg, "signing")
	if err := k.RemoveKey(1); err != nil { // step 3
		t.Fatal(err)
	}
	wantErr(t, receive(oldB, 5*s), ErrUnknownKey)
	wantErr(t, k.RemoveKey(1), ErrUnknownKey)
	if err := receive(newB, 6*s); err != nil {
		t.Fatal(err)
	}
	if r := rejected(t, m); r.unknownKey != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestKeyringErrors(t *testing.T) {
	k, err := NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.SigningKey()
	wantErr(t, err, ErrUnknownKey)
	_, err = Datagram{Node: 1}.EncodeAuth(k)
	wantErr(t, err, ErrInvalidArg)
	wantErr(t, k.AddKey(1, []byte("short")), ErrInvalidArg, "16")
	wantErr(t, k.AddKey(1, make([]byte, 65)), ErrInvalidArg, "64")
	wantErr(t, k.AddKey(1, nil), ErrInvalidArg)
	wantErr(t, k.SetSigningKey(3), ErrUnknownKey)
	for i := 0; i < KeyringMaxKeys; i++ {
		if err := k.AddKey(uint32(i), bytes.Repeat([]byte{byte(i)}, 16)); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, k.AddKey(100, keyA), ErrInvalidArg, "16")
	wantErr(t, k.AddKey(3, keyA), ErrInvalidArg, "3")
	if id, err := k.SigningKey(); err != nil || id != 0 {
		t.Fatalf("%d %v", id, err)
	}
	k.Close()
	k.Close()
	for _, err := range []error{
		k.AddKey(200, keyA), k.RemoveKey(0), k.SetSigningKey(0),
		func() error { _, err := k.SigningKey(); return err }(),
		func() error { _, err := (Datagram{}).EncodeAuth(k); return err }(),
		func() error { _, err := DecodeAuthDatagram(make([]byte, 68), k); return err }(),
		func() error { _, _, err := mustMonitor(t, nil).Receive(make([]byte, 68), 1, k); return err }(),
	} {
		wantErr(t, err, ErrInvalidHandle, "keyring is closed")
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%v does not match ErrClosed", err)
		}
	}
	_, err = DecodeAuthDatagram(make([]byte, 68), nil)
	wantErr(t, err, ErrInvalidArg, "nil")
	_, err = Datagram{}.EncodeAuth(nil)
	wantErr(t, err, ErrInvalidArg, "nil")
}

func TestKeyringKeepsItsOwnCopy(t *testing.T) {
	key := append([]byte{}, keyA...)
	k := mustKeyring(t, key)
	defer k.Close()
	clear(key) // the caller wipes its slice; the keyring kept a copy
	wire, err := Datagram{Node: 1, Generation: 1, Term: 1, Version: 1, SendNs: 1}.EncodeAuth(k)
	if err != nil || !bytes.Equal(wire, signed(1, keyA, 0, 0, 1, 1, 1, 1, 1)) {
		t.Fatalf("%x %v", wire, err)
	}
}

func TestKeyringConcurrentSignVerifyWhileRotating(t *testing.T) {
	k := mustKeyring(t, keyA, keyB)
	defer k.Close()
	m := mustMonitor(t, nil)
	stop := make(chan struct{})
	var rot sync.WaitGroup
	rot.Add(1)
	go func() {
		defer rot.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := k.SetSigningKey(uint32(1 + i%2)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(node uint64) {
			defer wg.Done()
			for v := uint64(1); v <= 300; v++ {
				b, err := Datagram{Node: node, Generation: 1, Term: 1, Version: v}.EncodeAuth(k)
				if err != nil {
					t.Error(err)
					return
				}
				id := binary.LittleEndian.Uint32(b[48:])
				key := keyA
				if id == 2 {
					key = keyB
				}
				if !bytes.Equal(b, signed(id, key, 0, 0, node, 1, 1, v, 0)) {
					t.Errorf("node %d version %d: %x", node, v, b)
					return
				}
				if _, counted, err := m.Receive(b, v*1e6, k); err != nil || !counted {
					t.Errorf("node %d version %d: %v %v", node, v, counted, err)
					return
				}
			}
		}(uint64(g + 1))
	}
	wg.Wait()
	close(stop)
	rot.Wait()
}

// useKeyringOnce creates a keyring and a monitor, uses both without closing them; they are
// unreachable as soon as their last call starts, so a collection during a C call would free the
// native keyring under it if a method failed to keep it alive.
func useKeyringOnce(t *testing.T, node uint64) {
	k, err := NewKeyring()
	if err != nil {
		t.Error(err)
		return
	}
	if err := k.AddKey(1, keyA); err != nil {
		t.Error(err)
		return
	}
	b, err := Datagram{Node: node, Generation: 1, Term: 1, Version: 1}.EncodeAuth(k)
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := DecodeAuthDatagram(b, k); err != nil {
		t.Error(err)
	}
	m, err := NewMonitor(nil)
	if err != nil {
		t.Error(err)
		return
	}
	if _, counted, err := m.Receive(b, 1e9, k); err != nil || !counted {
		t.Errorf("%v %v", counted, err)
	}
}

// TestKeyringGCStress collects garbage continuously while keyrings are created, used and dropped
// without Close (run with GOGC=1 by make test-go as well).
func TestKeyringGCStress(t *testing.T) {
	before := keyringsFinalized.Load()
	stop := make(chan struct{})
	var gc sync.WaitGroup
	gc.Add(1)
	go func() {
		defer gc.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	var users sync.WaitGroup
	for g := 0; g < 4; g++ {
		users.Add(1)
		go func() {
			defer users.Done()
			for i := 0; i < 200; i++ {
				useKeyringOnce(t, uint64(g*1000+i))
			}
		}()
	}
	users.Wait()
	close(stop)
	gc.Wait()
	for i := 0; i < 100 && keyringsFinalized.Load() == before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if keyringsFinalized.Load() == before {
		t.Error("no unreachable keyring was finalized")
	}
}

// TestKeyringCloseWhileInUse closes a keyring while goroutines sign, verify and receive with it:
// each call either completes or returns an error matching ErrClosed, never a crash.
func TestKeyringCloseWhileInUse(t *testing.T) {
	m := mustMonitor(t, nil)
	for round := 0; round < 20; round++ {
		k := mustKeyring(t, keyA)
		var wg sync.WaitGroup
		start := make(chan struct{})
		bad := make(chan error, 64)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(node uint64) {
				defer wg.Done()
				<-start
				for v := uint64(1); v <= 200; v++ {
					b, err := Datagram{Node: node, Generation: 1, Term: 1, Version: v}.EncodeAuth(k)
					if err == nil {
						_, err = DecodeAuthDatagram(b, k)
					}
					if err == nil {
						_, _, err = m.Receive(b, v, k)
					}
					if err != nil {
						if !errors.Is(err, ErrClosed) {
							bad <- err
						}
						return
					}
				}
			}(uint64(round*100 + w))
		}
		close(start)
		time.Sleep(time.Duration(round) * 50 * time.Microsecond)
		k.Close()
		wg.Wait()
		close(bad)
		for err := range bad {
			t.Errorf("round %d: %v", round, err)
		}
	}
}
