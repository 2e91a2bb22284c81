package phifd

// #include "gophifd.h"
import "C"

import (
	"errors"
	"runtime"
	"sync/atomic"
)

// Sizes and limits of authenticated heartbeats (see docs/security.md in the repository).
const (
	// AuthDatagramSize is the size of an authenticated datagram, in bytes: the 48 bytes of the
	// fields, a 4-byte key id and a 16-byte HMAC-SHA-256 tag over everything before it.
	AuthDatagramSize = C.PHIFD_AUTH_DATAGRAM_SIZE
	// KeyringMaxKeys is the most keys a Keyring holds at once.
	KeyringMaxKeys = C.PHIFD_KEYRING_MAX_KEYS
	// KeyMinLen is the shortest key accepted, in bytes (128 bits).
	KeyMinLen = C.PHIFD_KEY_MIN_LEN
	// KeyMaxLen is the longest key accepted, in bytes (SHA-256's block size).
	KeyMaxLen = C.PHIFD_KEY_MAX_LEN
)

// errKeyringClosed is returned by every method of a closed Keyring, and by calls given one; it
// matches ErrClosed and ErrInvalidHandle.
var errKeyringClosed = &Error{Status: StatusInvalidHandle, Message: "the keyring is closed", closed: true}

// Keyring is a set of shared secret keys by id, one of them the signing key, backed by a native
// phifd_keyring. Datagram.EncodeAuth signs with the signing key; DecodeAuthDatagram and
// Monitor.Receive accept a datagram signed with any key in the ring, so keys rotate without
// downtime: AddKey the new key on every node, then SetSigningKey to it on every node, then
// RemoveKey the old one everywhere.
//
// Keys are KeyMinLen (16) to KeyMaxLen (64) bytes of random data (use 32 from crypto/rand); an
// id names one key for its whole life. The library copies the key bytes and overwrites its copy
// with zeros when the key is removed or the keyring closed; the caller's slice is left as it is
// (clear it if it should not stay in memory). No method returns key bytes.
//
// All methods are safe for concurrent use by any number of goroutines: they may sign and verify
// while another goroutine adds, removes or switches keys. Close frees the native keyring; it
// waits for calls in progress, and afterwards every method returns an error matching ErrClosed.
type Keyring struct {
	h handle[*C.phifd_keyring]
}

// keyringsFinalized counts keyrings closed by their finalizer (read by the tests).
var keyringsFinalized atomic.Int64

// NewKeyring creates an empty keyring (no key, hence no signing key). Add keys with AddKey; call
// Close when done (a finalizer closes keyrings that become unreachable, but possibly late).
func NewKeyring() (*Keyring, error) {
	var ptr *C.phifd_keyring
	if err := check(func() C.phifd_status { return C.phifd_keyring_new(&ptr) }); err != nil {
		return nil, err
	}
	k := &Keyring{h: handle[*C.phifd_keyring]{ptr: ptr, closedErr: errKeyringClosed}}
	runtime.SetFinalizer(k, (*Keyring).finalize)
	return k, nil
}

func (k *Keyring) finalize() {
	keyringsFinalized.Add(1)
	k.Close()
}

// Close frees the native keyring, overwriting every key with zeros. It is idempotent, always
// returns nil, and may be called while other goroutines use the keyring: it waits for calls in
// progress, and later calls return an error matching ErrClosed.
func (k *Keyring) Close() error {
	if k.h.close(func(p *C.phifd_keyring) { C.phifd_keyring_free(p) }) {
		runtime.SetFinalizer(k, nil)
	}
	return nil
}

// AddKey adds key (copied) under keyID. The first key added becomes the signing key; later keys
// only verify until SetSigningKey selects them. key is only read, not retained.
//
// Errors (nothing changes): ErrInvalidArg when key is not KeyMinLen to KeyMaxLen bytes long,
// keyID is already in the ring, or the ring already holds KeyringMaxKeys keys; ErrClosed.
func (k *Keyring) AddKey(keyID uint32, key []byte) error {
	return k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_keyring_add_key(p, C.uint32_t(keyID), bytesPtr(key), C.size_t(len(key)))
	})
}

// RemoveKey removes the key keyID and wipes the library's copy: datagrams signed with it fail
// with ErrUnknownKey from now on. Errors: ErrUnknownKey (no such id); ErrInvalidArg (it is the
// signing key: select another one first, so the node never stops signing); ErrClosed.
func (k *Keyring) RemoveKey(keyID uint32) error {
	return k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_keyring_remove_key(p, C.uint32_t(keyID))
	})
}

// SetSigningKey makes the key keyID the one EncodeAuth signs with. Errors: ErrUnknownKey (the
// ring does not hold it); ErrClosed.
func (k *Keyring) SetSigningKey(keyID uint32) error {
	return k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_keyring_set_signing_key(p, C.uint32_t(keyID))
	})
}

// SigningKey returns the id of the signing key. Errors: ErrUnknownKey (the ring holds no key
// yet); ErrClosed.
func (k *Keyring) SigningKey() (uint32, error) {
	var id C.uint32_t
	if err := k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_keyring_get_signing_key(p, &id)
	}); err != nil {
		return 0, err
	}
	return uint32(id), nil
}

// EncodeAuth returns the AuthDatagramSize-byte authenticated wire form of d, signed with the
// signing key of k (a new slice owned by the caller). Safe for concurrent use. Errors:
// ErrInvalidArg (k holds no key; an unknown Kind; a Generation or Term above MaxGeneration);
// ErrClosed (k is closed); ErrInvalidArg for a nil k.
func (d Datagram) EncodeAuth(k *Keyring) ([]byte, error) {
	if k == nil {
		return nil, invalidArg("Datagram.EncodeAuth: the keyring is nil; create one with NewKeyring and AddKey")
	}
	c := datagramToC(&d)
	out := make([]byte, AuthDatagramSize)
	var written C.size_t
	if err := k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_datagram_encode_auth(p, &c, bytesPtr(out), C.size_t(len(out)), &written)
	}); err != nil {
		return nil, err
	}
	return out[:written], nil
}

// DecodeAuthDatagram verifies and decodes b, untrusted bytes as received from the network, with
// any key of k. It checks, in this order: the length (exactly AuthDatagramSize), magic and format
// version (ErrMalformed; a plain DatagramSize datagram is malformed here), the key id
// (ErrUnknownKey), the MAC, compared in constant time (ErrAuth), and only then the fields
// (ErrMalformed: unknown kind, undefined flags, a generation or term above MaxGeneration). It
// never panics or crashes, whatever b holds; b is only read, and not retained. Nothing of an
// unverified datagram is returned. Safe for concurrent use. Errors also: ErrClosed (k is
// closed), ErrInvalidArg (k is nil).
func DecodeAuthDatagram(b []byte, k *Keyring) (Datagram, error) {
	if k == nil {
		return Datagram{}, invalidArg("DecodeAuthDatagram: the keyring is nil; create one with NewKeyring and AddKey")
	}
	var c C.phifd_datagram
	if err := k.h.call(func(p *C.phifd_keyring) C.phifd_status {
		return C.phifd_datagram_decode_auth(p, bytesPtr(b), C.size_t(len(b)), &c)
	}); err != nil {
		return Datagram{}, err
	}
	return datagramFromC(&c), nil
}

// Receive decodes one datagram, b (untrusted bytes as received from the network), and records it
// at now (monotonic ns, taken where it was received). With a keyring k only authenticated
// AuthDatagramSize-byte datagrams are accepted, verified as by DecodeAuthDatagram; with k nil
// only the plain DatagramSize-byte datagram is, as by DecodeDatagram (for a trusted, isolated
// network only: anyone who can send a packet can forge one). A heartbeat is recorded as by
// HeartbeatVersion; a stale reply is decoded and returned but not applied.
//
// counted is true only when the heartbeat's (generation, version) is newer than anything the node
// has shown, so a replayed, duplicated or reordered old datagram never counts (err nil, counted
// false). Every refusal is counted in Stats: ErrMalformed (RejectedMalformed, or
// RejectedBadGeneration for a generation beyond MaxGeneration), ErrUnknownKey
// (RejectedUnknownKey), ErrAuth (RejectedBadMAC); with a keyring, an authentic heartbeat that did
// not count adds to RejectedReplayed. Then the errors of HeartbeatVersion: ErrStaleGeneration for
// an older generation, returned together with the (verified) datagram so the sender can be
// answered, ErrCapacity, ErrUnknownNode. Also ErrClosed (m or k closed). b is only read, and not
// retained. Safe for concurrent use.
func (m *Monitor) Receive(b []byte, now uint64, k *Keyring) (d Datagram, counted bool, err error) {
	// Both handles are held for the call: the monitor's first, as Monitor.Close and Keyring.Close
	// each take only their own.
	mp, ok := m.h.acquire()
	if !ok {
		return Datagram{}, false, ErrClosed
	}
	defer m.h.release()
	var kp *C.phifd_keyring // nil: plain datagrams only
	if k != nil {
		if kp, ok = k.h.acquire(); !ok {
			return Datagram{}, false, errKeyringClosed
		}
		defer k.h.release()
	}
	var c C.phifd_datagram
	var cnt C.bool
	err = check(func() C.phifd_status {
		return C.phifd_monitor_receive(mp, kp, bytesPtr(b), C.size_t(len(b)), C.uint64_t(now), &c, &cnt)
	})
	runtime.KeepAlive(m)
	runtime.KeepAlive(k)
	switch {
	case err == nil:
		return datagramFromC(&c), bool(cnt), nil
	case errors.Is(err, ErrStaleGeneration):
		// The datagram was verified: returned so that the caller can answer its sender.
		return datagramFromC(&c), false, err
	}
	return Datagram{}, false, err
}
