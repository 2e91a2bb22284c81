//! Authenticated heartbeats: a keyring of shared keys and the MAC of the version-2 datagram.
//!
//! A datagram of format version 2 ([`crate::wire`], 68 bytes) carries a key id and an
//! HMAC-SHA-256 tag over every byte before the tag, truncated to its first 128 bits. The MAC is
//! computed by the RustCrypto `hmac` and `sha2` crates; the tag is compared in constant time by
//! `hmac`'s `verify_truncated_left` (through `subtle`). Truncation follows RFC 2104 §5 (keep the
//! leftmost bits, no fewer than half the hash output and no fewer than 80 bits) and NIST SP
//! 800-107 Rev. 1 §5.3.3: 128 of SHA-256's 256 bits meet both.
//!
//! A [`Keyring`] holds up to [`MAX_KEYS`] keys by id, one of them the signing key. Verification
//! accepts a datagram signed with any key in the ring, so keys rotate without downtime:
//! 1. add the new key on every node (each still signs with the old one and accepts both);
//! 2. make the new key the signing key on every node;
//! 3. remove the old key everywhere.
//!
//! A keyring is `Send + Sync`: signing and verifying take a read lock, adding, removing and
//! switching keys a write lock, so reading while another thread rotates is allowed and each call
//! sees the ring either before or after a change.
//!
//! Key bytes live inside the ring in fixed slots, never moved or reallocated, and are overwritten
//! with zeros (volatile writes that the compiler may not remove, see [`wipe`]) when a key is
//! removed, replaced by a rejected add, or the ring is dropped. The key schedule HMAC derives
//! during a single sign or verify call lives on that call's stack and is not wiped.
//!
//! [`receive`] is the receive path: decode (verifying when a keyring is given), then apply a
//! heartbeat to a [`Monitor`] with [`Monitor::heartbeat_version`], counting every rejection.
//! Replay protection comes from the monitor's `(generation, version)` order: a heartbeat counts
//! as an arrival only when that pair is newer than anything the node has shown, so the exact same
//! bytes replayed, an older version or an older generation never count.

use hmac::{Hmac, Mac};
use parking_lot::RwLock;
use sha2::Sha256;

use crate::error::{Error, Status};
use crate::monitor::{Monitor, Rejection};
use crate::wire::{Datagram, Defect, Kind, AUTH_DATAGRAM_SIZE, AUTH_FORMAT_VERSION, AUTH_TAG_OFFSET, AUTH_TAG_SIZE};

/// Most keys a keyring holds at once (rotation needs two; the rest leave room for staging).
pub const MAX_KEYS: usize = 16;
/// Shortest key accepted, bytes (128 bits): shorter keys are refused, not padded.
pub const MIN_KEY_LEN: usize = 16;
/// Longest key accepted, bytes (HMAC-SHA-256's block size: a longer key would be hashed first and
/// gain nothing).
pub const MAX_KEY_LEN: usize = 64;

type HmacSha256 = Hmac<Sha256>;

/// Overwrites `buf` with zeros through volatile writes, which the compiler must perform even when
/// the memory is never read again (a plain `fill(0)` before a drop may be removed as a dead
/// store). This is memory hygiene for key bytes, not cryptography.
#[allow(unsafe_code)]
fn wipe(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to one byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// One key slot. The bytes stay in place for the slot's life.
struct Slot {
    used: bool,
    id: u32,
    len: usize,
    key: [u8; MAX_KEY_LEN],
}

impl Slot {
    const EMPTY: Slot = Slot {
        used: false,
        id: 0,
        len: 0,
        key: [0; MAX_KEY_LEN],
    };

    fn key(&self) -> &[u8] {
        self.key.get(..self.len).unwrap_or(&[])
    }

    fn clear(&mut self) {
        wipe(&mut self.key);
        self.used = false;
        self.id = 0;
        self.len = 0;
    }

    /// A fresh MAC state keyed with this slot's key.
    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length (RFC 2104 §2); `new_from_slice` cannot fail for it.
        match HmacSha256::new_from_slice(self.key()) {
            Ok(m) => m,
            Err(_) => unreachable_mac(),
        }
    }
}

#[cold]
#[allow(clippy::panic)] // proof: Hmac<Sha256>::new_from_slice accepts every key length
fn unreachable_mac() -> ! {
    panic!("HMAC-SHA-256 refused a key length");
}

struct Ring {
    slots: [Slot; MAX_KEYS],
    signing: Option<u32>,
}

impl Ring {
    fn find(&self, id: u32) -> Option<&Slot> {
        self.slots.iter().find(|s| s.used && s.id == id)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        for s in self.slots.iter_mut() {
            s.clear();
        }
    }
}

/// A set of shared keys by id, one of them the signing key. See the module documentation for
/// rotation and thread safety.
pub struct Keyring {
    ring: RwLock<Ring>,
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring::new()
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Ids only: key bytes are never formatted.
        f.debug_struct("Keyring")
            .field("key_ids", &self.key_ids())
            .field("signing", &self.signing_key_id())
            .finish()
    }
}

/// Why bytes were refused by [`Keyring::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Not an authenticated datagram (length, magic or version), or its fields are invalid
    /// although the MAC verified (unknown kind, undefined flags).
    Malformed(Defect),
    /// The key id is not in the keyring.
    UnknownKey(u32),
    /// The MAC does not verify with the key of this id.
    BadMac(u32),
}

impl std::fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthFailure::Malformed(Defect::UnsupportedVersion(1)) => write!(
                f,
                "format version 1 is an unauthenticated datagram; with a keyring only authenticated \
                 datagrams (version {AUTH_FORMAT_VERSION}) are accepted"
            ),
            AuthFailure::Malformed(d) => write!(f, "{d}"),
            AuthFailure::UnknownKey(id) => {
                write!(
                    f,
                    "key id {id} is not in the keyring (not yet added, or already removed by a rotation)"
                )
            }
            AuthFailure::BadMac(id) => {
                write!(
                    f,
                    "the MAC does not verify with key {id} (forged, damaged, or signed with another key of that id)"
                )
            }
        }
    }
}

impl AuthFailure {
    /// The status of this failure: `Malformed`, `UnknownKey` or `Auth`.
    pub fn status(&self) -> Status {
        match self {
            AuthFailure::Malformed(_) => Status::Malformed,
            AuthFailure::UnknownKey(_) => Status::UnknownKey,
            AuthFailure::BadMac(_) => Status::Auth,
        }
    }

    /// The monitor's counter for this failure.
    pub fn rejection(&self) -> Rejection {
        match self {
            AuthFailure::Malformed(Defect::BeyondBound(..)) => Rejection::BadGeneration,
            AuthFailure::Malformed(_) => Rejection::Malformed,
            AuthFailure::UnknownKey(_) => Rejection::UnknownKey,
            AuthFailure::BadMac(_) => Rejection::BadMac,
        }
    }
}

impl From<AuthFailure> for Error {
    fn from(f: AuthFailure) -> Error {
        Error::new(f.status(), f.to_string())
    }
}

impl Keyring {
    /// An empty keyring (no keys, no signing key).
    pub fn new() -> Keyring {
        Keyring {
            ring: RwLock::new(Ring {
                slots: [Slot::EMPTY; MAX_KEYS],
                signing: None,
            }),
        }
    }

    /// Adds `key` (copied) under `id`. The first key added becomes the signing key; later ones
    /// only verify until [`Keyring::set_signing_key`] selects them.
    /// Errors (`InvalidArg`, nothing changes): a key shorter than [`MIN_KEY_LEN`] or longer than
    /// [`MAX_KEY_LEN`] bytes; `id` already in the ring (remove it first: a key id names one key
    /// for its whole life, so two nodes never disagree on what it means); [`MAX_KEYS`] keys held.
    pub fn add_key(&self, id: u32, key: &[u8]) -> Result<(), Error> {
        check_key_len(id, key.len())?;
        let mut ring = self.ring.write();
        if ring.find(id).is_some() {
            return Err(Error::invalid(format!(
                "key id {id} is already in the keyring: remove it first or use a new id"
            )));
        }
        let Some(slot) = ring.slots.iter_mut().find(|s| !s.used) else {
            return Err(Error::invalid(format!(
                "the keyring already holds {MAX_KEYS} keys: remove an old one first"
            )));
        };
        slot.key.iter_mut().zip(key.iter()).for_each(|(d, &s)| *d = s);
        slot.len = key.len();
        slot.id = id;
        slot.used = true;
        if ring.signing.is_none() {
            ring.signing = Some(id);
        }
        Ok(())
    }

    /// Removes the key `id` and wipes its bytes; datagrams signed with it are refused from now on
    /// (`UnknownKey`). Errors: `UnknownKey` (no such id); `InvalidArg` if it is the signing key
    /// (select another one first, so the node never stops signing).
    pub fn remove_key(&self, id: u32) -> Result<(), Error> {
        let mut ring = self.ring.write();
        if ring.signing == Some(id) {
            return Err(Error::invalid(format!(
                "key {id} is the signing key: set another signing key first (rotation: add, switch, then remove)"
            )));
        }
        let slot = ring
            .slots
            .iter_mut()
            .find(|s| s.used && s.id == id)
            .ok_or_else(|| unknown_key(id))?;
        slot.clear();
        Ok(())
    }

    /// Makes the key `id` the one [`Keyring::sign`] uses. Errors: `UnknownKey` (no such id).
    pub fn set_signing_key(&self, id: u32) -> Result<(), Error> {
        let mut ring = self.ring.write();
        if ring.find(id).is_none() {
            return Err(unknown_key(id));
        }
        ring.signing = Some(id);
        Ok(())
    }

    /// The id of the signing key, if the ring holds any key.
    pub fn signing_key_id(&self) -> Option<u32> {
        self.ring.read().signing
    }

    /// The ids of the keys held, in slot order.
    pub fn key_ids(&self) -> Vec<u32> {
        self.ring.read().slots.iter().filter(|s| s.used).map(|s| s.id).collect()
    }

    /// Encodes `d` as a 68-byte authenticated datagram signed with the signing key.
    /// Undefined flag bits are cleared. Errors (`InvalidArg`): the ring holds no key; a
    /// generation or term above [`crate::generation::MAX_GENERATION`].
    pub fn sign(&self, d: &Datagram) -> Result<[u8; AUTH_DATAGRAM_SIZE], Error> {
        d.check_bounds().map_err(|e| Error::invalid(format!("datagram: {e}")))?;
        let ring = self.ring.read();
        let slot = ring
            .signing
            .and_then(|id| ring.find(id))
            .ok_or_else(|| Error::invalid("the keyring holds no key to sign with: add one first"))?;
        let mut bytes = d.encode_auth_unsigned(slot.id);
        let mut mac = slot.mac();
        mac.update(bytes.get(..AUTH_TAG_OFFSET).unwrap_or(&[]));
        let tag = mac.finalize().into_bytes();
        if let (Some(dst), Some(src)) = (bytes.get_mut(AUTH_TAG_OFFSET..), tag.get(..AUTH_TAG_SIZE)) {
            dst.copy_from_slice(src);
        }
        Ok(bytes)
    }

    /// Verifies untrusted bytes and decodes them. In this order: the length, magic and version
    /// (`Malformed`), the key id (`UnknownKey`), the MAC, compared in constant time (`BadMac`),
    /// and only then the fields (`Malformed`). Total: never panics.
    pub fn verify(&self, bytes: &[u8]) -> Result<Datagram, AuthFailure> {
        let id = Datagram::auth_key_id(bytes).map_err(AuthFailure::Malformed)?;
        {
            let ring = self.ring.read();
            let slot = ring.find(id).ok_or(AuthFailure::UnknownKey(id))?;
            let mut mac = slot.mac();
            mac.update(bytes.get(..AUTH_TAG_OFFSET).unwrap_or(&[]));
            let tag = bytes.get(AUTH_TAG_OFFSET..).unwrap_or(&[]);
            mac.verify_truncated_left(tag).map_err(|_| AuthFailure::BadMac(id))?;
        }
        Datagram::decode_auth_fields(bytes).map_err(AuthFailure::Malformed)
    }
}

/// `InvalidArg` naming the bounds unless `len` is a valid key length for key `id`.
pub fn check_key_len(id: u32, len: usize) -> Result<(), Error> {
    if (MIN_KEY_LEN..=MAX_KEY_LEN).contains(&len) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "key {id} is {len} bytes; a key must be {MIN_KEY_LEN} to {MAX_KEY_LEN} bytes of random data \
         (e.g. 32 bytes from /dev/urandom)"
    )))
}

fn unknown_key(id: u32) -> Error {
    Error::new(Status::UnknownKey, format!("key id {id} is not in the keyring"))
}

/// What [`receive`] did with a valid (and, with a keyring, authentic) datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The decoded datagram.
    pub datagram: Datagram,
    /// For a heartbeat: the monitor's answer to `heartbeat_version` — `Ok(true)` if it counted as
    /// an arrival, `Ok(false)` if its `(generation, version)` was not new (a replay or a reordered
    /// old datagram), or the error (such as `StaleGeneration`). A stale reply is not applied to
    /// the monitor: `Ok(false)`.
    pub applied: Result<bool, Error>,
}

/// The receive path. Decodes `bytes` — with `keyring`, only as an authenticated datagram verified
/// by it ([`Keyring::verify`]); without, only as an unauthenticated 56-byte datagram — and, for a
/// heartbeat, applies it to `monitor` as `heartbeat_version(node, generation, version, now_ns)`.
/// Every rejection is counted in the monitor's stats: malformed bytes, an unknown key id, a MAC
/// that does not verify, and (with a keyring) an authentic heartbeat that was not newer than what
/// the node has shown (a replay, an older version or an older generation).
/// Errors: `Malformed`, `UnknownKey`, `Auth` (nothing reached the monitor).
pub fn receive(monitor: &Monitor, keyring: Option<&Keyring>, bytes: &[u8], now_ns: u64) -> Result<Received, Error> {
    let decoded = match keyring {
        Some(k) => k.verify(bytes),
        None => Datagram::decode(bytes).map_err(AuthFailure::Malformed),
    };
    let datagram = match decoded {
        Ok(d) => d,
        Err(f) => {
            monitor.note_rejection(f.rejection());
            return Err(f.into());
        }
    };
    let applied = match datagram.kind {
        Kind::Heartbeat => monitor.heartbeat_version(datagram.node, datagram.generation, datagram.version, now_ns),
        Kind::StaleReply => Ok(false),
    };
    if keyring.is_some() && datagram.kind == Kind::Heartbeat {
        let old = match &applied {
            Ok(counted) => !counted,
            Err(e) => e.status == Status::StaleGeneration,
        };
        if old {
            monitor.note_rejection(Rejection::Replayed);
        }
    }
    Ok(Received { datagram, applied })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const K1: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
    const K2: &[u8; 20] = b"another key, twenty.";

    fn ring_with(keys: &[(u32, &[u8])]) -> Keyring {
        let k = Keyring::new();
        for (id, key) in keys {
            k.add_key(*id, key).unwrap();
        }
        k
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The crate is used correctly: RFC 4231 test cases 2 and 6 for HMAC-SHA-256, and case 5
    /// (truncation to the leftmost 128 bits) through `verify_truncated_left`.
    #[test]
    fn hmac_sha256_matches_rfc4231() {
        let mut m = HmacSha256::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            m.finalize().into_bytes().as_slice(),
            hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843").as_slice()
        );
        let mut m = HmacSha256::new_from_slice(&[0xaa; 131]).unwrap();
        m.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            m.finalize().into_bytes().as_slice(),
            hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54").as_slice()
        );
        let mut m = HmacSha256::new_from_slice(&[0x0c; 20]).unwrap();
        m.update(b"Test With Truncation");
        m.clone()
            .verify_truncated_left(&hex("a3b6167473100ee06e0c796c2955552b"))
            .unwrap();
        assert!(m
            .verify_truncated_left(&hex("a3b6167473100ee06e0c796c2955552c"))
            .is_err());
    }

    #[test]
    fn sign_then_verify_round_trips_and_lays_out_bytes() {
        let k = ring_with(&[(7, K1)]);
        let d = Datagram::heartbeat(42, 3, 9, 100, 5_000, true);
        let b = k.sign(&d).unwrap();
        assert_eq!(b.len(), 68);
        assert_eq!(&b[0..4], b"PHHB");
        assert_eq!(b[4], 2);
        assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 42);
        assert_eq!(u32::from_le_bytes(b[48..52].try_into().unwrap()), 7);
        // The tag is HMAC-SHA-256 over bytes 0..52, its first 16 bytes.
        let mut m = HmacSha256::new_from_slice(K1).unwrap();
        m.update(&b[..52]);
        assert_eq!(&m.finalize().into_bytes()[..16], &b[52..68]);
        assert_eq!(k.verify(&b), Ok(d));
    }

    #[test]
    fn every_failure_has_its_class() {
        let k = ring_with(&[(1, K1)]);
        let good = k.sign(&Datagram::heartbeat(1, 1, 1, 1, 1, false)).unwrap();
        assert_eq!(
            k.verify(&good[..67]),
            Err(AuthFailure::Malformed(Defect::WrongAuthLength(67)))
        );
        assert_eq!(k.verify(&[]), Err(AuthFailure::Malformed(Defect::WrongAuthLength(0))));
        let v1 = Datagram::heartbeat(1, 1, 1, 1, 1, false).encode();
        assert_eq!(k.verify(&v1), Err(AuthFailure::Malformed(Defect::WrongAuthLength(56))));
        let mut b = good;
        b[4] = 1;
        let e = k.verify(&b).unwrap_err();
        assert_eq!(e, AuthFailure::Malformed(Defect::UnsupportedVersion(1)));
        assert!(e.to_string().contains("unauthenticated"), "{e}");
        let mut b = good;
        b[48] = 2;
        assert_eq!(k.verify(&b), Err(AuthFailure::UnknownKey(2)));
        let mut b = good;
        b[60] ^= 0x80;
        assert_eq!(k.verify(&b), Err(AuthFailure::BadMac(1)));
        // Undefined kind with a valid MAC: malformed, detected only after verification.
        let mut b = good;
        b[5] = 9;
        let mut m = HmacSha256::new_from_slice(K1).unwrap();
        m.update(&b[..52]);
        b[52..].copy_from_slice(&m.finalize().into_bytes()[..16]);
        assert_eq!(k.verify(&b), Err(AuthFailure::Malformed(Defect::UnknownKind(9))));
        b[5] = 0;
        assert_eq!(
            k.verify(&b),
            Err(AuthFailure::BadMac(1)),
            "the tag covers the kind byte"
        );
        assert_eq!(Error::from(AuthFailure::BadMac(1)).status, Status::Auth);
        assert_eq!(Error::from(AuthFailure::UnknownKey(1)).status, Status::UnknownKey);
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let k = ring_with(&[(0xABCD, K1)]);
        let good = k.sign(&Datagram::heartbeat(5, 6, 7, 8, 9, true)).unwrap();
        for bit in 0..good.len() * 8 {
            let mut b = good;
            b[bit / 8] ^= 1 << (bit % 8);
            let r = k.verify(&b);
            let expected_class = match bit / 8 {
                0..=4 => "malformed",
                48..=51 => "unknown key",
                _ => "bad mac",
            };
            let class = match r {
                Err(AuthFailure::Malformed(_)) => "malformed",
                Err(AuthFailure::UnknownKey(_)) => "unknown key",
                Err(AuthFailure::BadMac(_)) => "bad mac",
                Ok(_) => "accepted",
            };
            assert_eq!(class, expected_class, "bit {bit}");
        }
    }

    #[test]
    fn keys_are_checked_and_rotation_works() {
        let k = Keyring::new();
        assert_eq!(
            k.sign(&Datagram::heartbeat(1, 1, 1, 1, 1, false)).unwrap_err().status,
            Status::InvalidArg
        );
        assert_eq!(k.add_key(1, &[0; 15]).unwrap_err().status, Status::InvalidArg);
        assert_eq!(k.add_key(1, &[0; 65]).unwrap_err().status, Status::InvalidArg);
        assert!(k.key_ids().is_empty());
        k.add_key(1, K1).unwrap();
        assert_eq!(k.add_key(1, K2).unwrap_err().status, Status::InvalidArg, "duplicate id");
        assert_eq!(k.signing_key_id(), Some(1), "the first key signs");
        let old = k.sign(&Datagram::heartbeat(1, 1, 1, 1, 1, false)).unwrap();
        // Rotation: add, switch, remove.
        k.add_key(2, K2).unwrap();
        assert_eq!(k.signing_key_id(), Some(1));
        assert_eq!(k.set_signing_key(3).unwrap_err().status, Status::UnknownKey);
        k.set_signing_key(2).unwrap();
        let new = k.sign(&Datagram::heartbeat(1, 1, 1, 2, 1, false)).unwrap();
        assert_eq!(u32::from_le_bytes(new[48..52].try_into().unwrap()), 2);
        assert!(k.verify(&old).is_ok(), "old key still accepted while the new one signs");
        assert!(k.verify(&new).is_ok());
        assert_eq!(
            k.remove_key(2).unwrap_err().status,
            Status::InvalidArg,
            "the signing key"
        );
        k.remove_key(1).unwrap();
        assert_eq!(k.remove_key(1).unwrap_err().status, Status::UnknownKey);
        assert_eq!(k.verify(&old), Err(AuthFailure::UnknownKey(1)));
        assert!(k.verify(&new).is_ok());
        // The same id re-added with another key: the old datagrams do not verify.
        k.add_key(1, K2).unwrap();
        assert_eq!(k.verify(&old), Err(AuthFailure::BadMac(1)));
        assert_eq!(k.key_ids().len(), 2);
    }

    #[test]
    fn the_ring_is_bounded_and_removal_wipes() {
        let k = Keyring::new();
        for id in 0..MAX_KEYS as u32 {
            k.add_key(id, &[id as u8 + 1; 16]).unwrap();
        }
        assert_eq!(k.add_key(99, K1).unwrap_err().status, Status::InvalidArg);
        k.remove_key(5).unwrap();
        {
            let ring = k.ring.read();
            let wiped = ring.slots.iter().find(|s| !s.used).unwrap();
            assert!(wiped.key.iter().all(|&b| b == 0), "removed key bytes were zeroed");
        }
        k.add_key(99, K1).unwrap();
        assert_eq!(k.key_ids().len(), MAX_KEYS);
        assert!(
            !format!("{k:?}").contains("0123456789abcdef"),
            "Debug never shows key bytes"
        );
    }

    #[test]
    fn generations_beyond_the_bound_are_refused_both_ways() {
        let k = ring_with(&[(1, K1)]);
        let big = Datagram::heartbeat(1, u64::MAX, 1, 1, 1, false);
        assert_eq!(k.sign(&big).unwrap_err().status, Status::InvalidArg);
        // Signed by a sender that does not check the bound: verified, then refused and counted
        // as an out-of-bound generation.
        let mut b = big.encode_auth_unsigned(1);
        let mut m = HmacSha256::new_from_slice(K1).unwrap();
        m.update(&b[..52]);
        b[52..].copy_from_slice(&m.finalize().into_bytes()[..16]);
        let mon = monitor();
        assert_eq!(receive(&mon, Some(&k), &b, 1).unwrap_err().status, Status::Malformed);
        assert_eq!(mon.stats().rejected_bad_generation, 1);
        assert_eq!(mon.node_count(), 0);
    }

    #[test]
    fn wrong_key_is_refused() {
        let sender = ring_with(&[(1, K1)]);
        let receiver = ring_with(&[(1, K2)]);
        let b = sender.sign(&Datagram::heartbeat(1, 1, 1, 1, 1, false)).unwrap();
        assert_eq!(receiver.verify(&b), Err(AuthFailure::BadMac(1)));
    }

    fn monitor() -> Monitor {
        Monitor::new(&Config::new()).unwrap()
    }

    /// Replays never count as arrivals: the exact same bytes, an older version, an older
    /// generation; a stale reply is never applied; every rejection is counted.
    #[test]
    fn receive_applies_once_and_counts_rejections() {
        let m = monitor();
        let k = ring_with(&[(1, K1)]);
        let t = 1_000_000_000u64;
        let hb = |gen, ver| k.sign(&Datagram::heartbeat(9, gen, 0, ver, 0, false)).unwrap();
        let first = hb(2, 10);
        let r = receive(&m, Some(&k), &first, t).unwrap();
        assert_eq!(r.applied, Ok(true));
        assert_eq!(r.datagram.node, 9);
        // The exact same bytes again: authentic but not new.
        assert_eq!(receive(&m, Some(&k), &first, t + 1).unwrap().applied, Ok(false));
        // An older version, then an older generation.
        assert_eq!(receive(&m, Some(&k), &hb(2, 9), t + 2).unwrap().applied, Ok(false));
        let stale = receive(&m, Some(&k), &hb(1, 99), t + 3).unwrap();
        assert_eq!(stale.applied.unwrap_err().status, Status::StaleGeneration);
        assert_eq!(
            m.info(9, t + 4).unwrap().last_arrival_ns,
            Some(t),
            "no replay moved the arrival"
        );
        // A newer one counts.
        assert_eq!(receive(&m, Some(&k), &hb(2, 11), t + 5).unwrap().applied, Ok(true));
        // A stale reply is decoded but never applied.
        let reply = Datagram {
            kind: Kind::StaleReply,
            ..Datagram::heartbeat(9, 2, 0, 12, 0, false)
        };
        assert_eq!(
            receive(&m, Some(&k), &k.sign(&reply).unwrap(), t + 6).unwrap().applied,
            Ok(false)
        );
        assert_eq!(m.info(9, t + 7).unwrap().last_arrival_ns, Some(t + 5));
        // Forged, unknown key, malformed, unauthenticated with a keyring.
        let mut forged = hb(2, 50);
        forged[20] ^= 1;
        assert_eq!(receive(&m, Some(&k), &forged, t).unwrap_err().status, Status::Auth);
        let other = ring_with(&[(4, K1)]);
        let foreign = other.sign(&Datagram::heartbeat(9, 2, 0, 51, 0, false)).unwrap();
        assert_eq!(
            receive(&m, Some(&k), &foreign, t).unwrap_err().status,
            Status::UnknownKey
        );
        assert_eq!(
            receive(&m, Some(&k), &first[..60], t).unwrap_err().status,
            Status::Malformed
        );
        let plain = Datagram::heartbeat(9, 2, 0, 52, 0, false).encode();
        assert_eq!(receive(&m, Some(&k), &plain, t).unwrap_err().status, Status::Malformed);
        assert_eq!(
            m.info(9, t + 8).unwrap().last_arrival_ns,
            Some(t + 5),
            "no rejected datagram counted"
        );
        let s = m.stats();
        assert_eq!(
            (
                s.rejected_bad_mac,
                s.rejected_unknown_key,
                s.rejected_malformed,
                s.rejected_replayed
            ),
            (1, 1, 2, 3)
        );
    }

    #[test]
    fn receive_without_a_keyring_takes_only_unauthenticated_datagrams() {
        let m = monitor();
        let k = ring_with(&[(1, K1)]);
        let plain = Datagram::heartbeat(3, 1, 0, 1, 0, false).encode();
        assert_eq!(receive(&m, None, &plain, 10).unwrap().applied, Ok(true));
        assert_eq!(
            receive(&m, None, &plain, 11).unwrap().applied,
            Ok(false),
            "replay not counted"
        );
        let signed = k.sign(&Datagram::heartbeat(3, 1, 0, 2, 0, false)).unwrap();
        assert_eq!(receive(&m, None, &signed, 12).unwrap_err().status, Status::Malformed);
        assert_eq!(m.stats().rejected_malformed, 1);
    }

    #[test]
    fn keyring_is_shared_across_threads_while_rotating() {
        let k = std::sync::Arc::new(ring_with(&[(0, K1)]));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (k, stop) = (k.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while n < 200 || !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        // Whatever the ring holds at this instant, what it signs it verifies,
                        // unless the key is removed in between (then: UnknownKey, never BadMac).
                        let b = k.sign(&Datagram::heartbeat(1, 1, 1, n, 0, false)).unwrap();
                        match k.verify(&b) {
                            Ok(_) | Err(AuthFailure::UnknownKey(_)) => {}
                            Err(e) => panic!("{e}"),
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        for id in 1..200u32 {
            k.add_key(id, &[id as u8; 32]).unwrap();
            k.set_signing_key(id).unwrap();
            k.remove_key(id - 1).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
        assert_eq!(k.key_ids(), vec![199]);
    }
}
