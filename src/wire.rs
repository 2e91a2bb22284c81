//! The heartbeat datagram: one fixed-size, little-endian, checksummed format
//! that every language encodes and decodes with the same code (through the C ABI).
//!
//! ## Layout (56 bytes, little-endian)
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `PHHB` (bytes `0x50 0x48 0x48 0x42`) |
//! | 4 | 1 | format version, 1 |
//! | 5 | 1 | kind: 0 heartbeat, 1 stale reply (carries the receiver's newer term) |
//! | 6 | 2 | flags: bit 0 = the sender believes it leads; other bits must be 0 |
//! | 8 | 8 | node id of the sender |
//! | 16 | 8 | generation: the sender's incarnation (a restart increases it) |
//! | 24 | 8 | term: the cluster epoch the sender is in (a new leader increases it) |
//! | 32 | 8 | heartbeat version (sequence number, incremented per heartbeat) |
//! | 40 | 8 | send time, ns of the sender's monotonic clock (informational) |
//! | 48 | 8 | FNV-1a 64 checksum of bytes 0..48 |
//!
//! Two generation clocks travel together: the incarnation, which the
//! receiving monitor uses to recognise restarts (`phifd_heartbeat`'s
//! generation), and the term, which leaders and followers compare to find a
//! stale leader. Keeping them apart means a restarted follower does not look
//! like a new leader, and a new term does not look like a restart of everyone.
//!
//! Decoding is total over untrusted bytes: any malformed input is an error
//! naming the defect, never a panic.
//!
//! ## Authenticated layout (format version 2, 68 bytes, little-endian)
//! The same fields, then a key id and a MAC over every byte before it instead of the checksum.
//! The MAC itself is computed and checked by [`crate::auth`]; this module only lays out the bytes.
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `PHHB` |
//! | 4 | 1 | format version, 2 |
//! | 5 | 1 | kind (as in version 1) |
//! | 6 | 2 | flags (as in version 1) |
//! | 8 | 8 | node id of the sender |
//! | 16 | 8 | generation |
//! | 24 | 8 | term |
//! | 32 | 8 | heartbeat version |
//! | 40 | 8 | send time, ns |
//! | 48 | 4 | key id: which key of the receiver's keyring checks the MAC |
//! | 52 | 16 | HMAC-SHA-256 of bytes 0..52 truncated to its first 16 bytes (128 bits) |
//!
//! Receivers check, in this order: the length, the magic and the version (a wrong one is
//! malformed), the key id (unknown to the keyring), the MAC (mismatch), and only then the fields
//! (kind, flags), exactly as in version 1.

use crate::bytes::{fnv1a64, put, u32_at, u64_at};
use crate::generation::MAX_GENERATION;

/// Size of a datagram.
pub const DATAGRAM_SIZE: usize = 56;
const MAGIC: [u8; 4] = *b"PHHB";
const FORMAT_VERSION: u8 = 1;
/// Size of an authenticated datagram (format version 2).
pub const AUTH_DATAGRAM_SIZE: usize = 68;
/// Format version of the authenticated datagram.
pub const AUTH_FORMAT_VERSION: u8 = 2;
/// Offset of the key id in an authenticated datagram; the MAC covers every byte before the tag.
pub const AUTH_KEY_ID_OFFSET: usize = 48;
/// Offset of the MAC tag in an authenticated datagram (the MAC covers bytes `0..AUTH_TAG_OFFSET`).
pub const AUTH_TAG_OFFSET: usize = 52;
/// Length of the MAC tag, bytes (128 bits).
pub const AUTH_TAG_SIZE: usize = 16;
const _: () = assert!(AUTH_TAG_OFFSET + AUTH_TAG_SIZE == AUTH_DATAGRAM_SIZE);
/// Flag: the sender believes it is the leader.
pub const FLAG_LEADER: u16 = 1;

/// What a datagram is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A heartbeat.
    Heartbeat = 0,
    /// An answer to a heartbeat with an older generation: carries the newer one.
    StaleReply = 1,
}

/// A decoded datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    /// What it is.
    pub kind: Kind,
    /// Flags (`FLAG_LEADER`).
    pub flags: u16,
    /// Sender's node id.
    pub node: u64,
    /// Sender's incarnation.
    pub generation: u64,
    /// Sender's term.
    pub term: u64,
    /// Heartbeat version (sequence number).
    pub version: u64,
    /// Send time on the sender's monotonic clock, ns.
    pub send_ns: u64,
}

/// Why bytes are not a valid datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defect {
    /// Not exactly 56 bytes.
    WrongLength(usize),
    /// Not exactly 68 bytes where an authenticated datagram was expected.
    WrongAuthLength(usize),
    /// The magic is not `PHHB`.
    BadMagic,
    /// A format version this library does not know.
    UnsupportedVersion(u8),
    /// An unknown kind.
    UnknownKind(u8),
    /// Flag bits that are not defined.
    UnknownFlags(u16),
    /// The checksum does not match.
    ChecksumMismatch,
    /// The generation (`"generation"`) or term (`"term"`) field exceeds
    /// [`crate::generation::MAX_GENERATION`].
    BeyondBound(&'static str, u64),
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Defect::WrongLength(n) => write!(f, "wrong length: {n} bytes, expected {DATAGRAM_SIZE}"),
            Defect::WrongAuthLength(n) => {
                write!(
                    f,
                    "wrong length: {n} bytes, expected {AUTH_DATAGRAM_SIZE} (an authenticated datagram)"
                )
            }
            Defect::BadMagic => write!(f, "bad magic (not a phifd heartbeat)"),
            Defect::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Defect::UnknownKind(k) => write!(f, "unknown kind {k}"),
            Defect::UnknownFlags(x) => write!(f, "undefined flag bits 0x{x:04x}"),
            Defect::ChecksumMismatch => write!(f, "checksum mismatch"),
            Defect::BeyondBound(field, v) => {
                write!(
                    f,
                    "{field} {v} exceeds the largest valid generation {MAX_GENERATION} (2^48)"
                )
            }
        }
    }
}

impl Datagram {
    /// A heartbeat.
    pub fn heartbeat(node: u64, generation: u64, term: u64, version: u64, send_ns: u64, leader: bool) -> Datagram {
        Datagram {
            kind: Kind::Heartbeat,
            flags: if leader { FLAG_LEADER } else { 0 },
            node,
            generation,
            term,
            version,
            send_ns,
        }
    }

    /// Encodes to the 56-byte wire form. Undefined flag bits are cleared.
    pub fn encode(&self) -> [u8; DATAGRAM_SIZE] {
        let mut b = [0u8; DATAGRAM_SIZE];
        let (head, tail) = b.split_at_mut(48);
        self.put_fields(head, FORMAT_VERSION);
        tail.copy_from_slice(&fnv1a64(head).to_le_bytes());
        b
    }

    /// Writes magic, `format`, kind, flags (undefined bits cleared) and the five u64 fields into
    /// bytes 0..48 of `head`.
    fn put_fields(&self, head: &mut [u8], format: u8) {
        put(head, 0, &MAGIC);
        put(head, 4, &[format, self.kind as u8]);
        put(head, 6, &(self.flags & FLAG_LEADER).to_le_bytes());
        put(head, 8, &self.node.to_le_bytes());
        put(head, 16, &self.generation.to_le_bytes());
        put(head, 24, &self.term.to_le_bytes());
        put(head, 32, &self.version.to_le_bytes());
        put(head, 40, &self.send_ns.to_le_bytes());
    }

    /// The 68-byte authenticated wire form with `key_id` and an all-zero tag: the caller
    /// ([`crate::auth::Keyring::sign`]) computes the MAC over bytes `0..AUTH_TAG_OFFSET` and writes
    /// it at `AUTH_TAG_OFFSET`. Undefined flag bits are cleared.
    pub fn encode_auth_unsigned(&self, key_id: u32) -> [u8; AUTH_DATAGRAM_SIZE] {
        let mut b = [0u8; AUTH_DATAGRAM_SIZE];
        self.put_fields(&mut b, AUTH_FORMAT_VERSION);
        put(&mut b, AUTH_KEY_ID_OFFSET, &key_id.to_le_bytes());
        b
    }

    /// The key id of untrusted bytes that have the length, magic and version of an authenticated
    /// datagram; nothing else is looked at (the fields are parsed only after the MAC verifies,
    /// by [`Datagram::decode_auth_fields`]). Total: never panics.
    pub fn auth_key_id(bytes: &[u8]) -> Result<u32, Defect> {
        if bytes.len() != AUTH_DATAGRAM_SIZE {
            return Err(Defect::WrongAuthLength(bytes.len()));
        }
        if bytes.get(0..4) != Some(MAGIC.as_slice()) {
            return Err(Defect::BadMagic);
        }
        let version = bytes.get(4).copied().unwrap_or(0);
        if version != AUTH_FORMAT_VERSION {
            return Err(Defect::UnsupportedVersion(version));
        }
        Ok(u32_at(bytes, AUTH_KEY_ID_OFFSET))
    }

    /// The fields of an authenticated datagram whose MAC has been verified (kind and flags are
    /// checked as in version 1). Total: never panics.
    pub fn decode_auth_fields(bytes: &[u8]) -> Result<Datagram, Defect> {
        Datagram::auth_key_id(bytes)?;
        let d = Datagram::parse_fields(bytes)?;
        d.check_bounds()?;
        Ok(d)
    }

    /// Kind, flags and the five u64 fields of bytes whose header has been checked.
    fn parse_fields(bytes: &[u8]) -> Result<Datagram, Defect> {
        let kind = match bytes.get(5).copied().unwrap_or(u8::MAX) {
            0 => Kind::Heartbeat,
            1 => Kind::StaleReply,
            k => return Err(Defect::UnknownKind(k)),
        };
        let flags = u16::from_le_bytes([bytes.get(6).copied().unwrap_or(0), bytes.get(7).copied().unwrap_or(0)]);
        if flags & !FLAG_LEADER != 0 {
            return Err(Defect::UnknownFlags(flags));
        }
        let d = Datagram {
            kind,
            flags,
            node: u64_at(bytes, 8),
            generation: u64_at(bytes, 16),
            term: u64_at(bytes, 24),
            version: u64_at(bytes, 32),
            send_ns: u64_at(bytes, 40),
        };
        Ok(d)
    }

    /// Checks that the generation and the term are at most [`MAX_GENERATION`], the bound every
    /// path shares (heartbeats, registration, the generation clock): encoders refuse such a
    /// datagram and decoders report it as [`Defect::BeyondBound`].
    pub fn check_bounds(&self) -> Result<(), Defect> {
        if self.generation > MAX_GENERATION {
            return Err(Defect::BeyondBound("generation", self.generation));
        }
        if self.term > MAX_GENERATION {
            return Err(Defect::BeyondBound("term", self.term));
        }
        Ok(())
    }

    /// Decodes untrusted bytes. Total: never panics.
    pub fn decode(bytes: &[u8]) -> Result<Datagram, Defect> {
        if bytes.len() != DATAGRAM_SIZE {
            return Err(Defect::WrongLength(bytes.len()));
        }
        if bytes.get(0..4) != Some(MAGIC.as_slice()) {
            return Err(Defect::BadMagic);
        }
        let version = bytes.get(4).copied().unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(Defect::UnsupportedVersion(version));
        }
        let d = Datagram::parse_fields(bytes)?;
        if fnv1a64(bytes.get(..48).unwrap_or(&[])) != u64_at(bytes, 48) {
            return Err(Defect::ChecksumMismatch);
        }
        d.check_bounds()?;
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let d = Datagram::heartbeat(7, 3, 5, 99, 123_456, true);
        let b = d.encode();
        assert_eq!(&b[0..4], b"PHHB");
        assert_eq!(b[4], 1);
        assert_eq!(b[5], 0);
        assert_eq!(u16::from_le_bytes([b[6], b[7]]), 1);
        assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 7);
        assert_eq!(u64::from_le_bytes(b[24..32].try_into().unwrap()), 5);
        assert_eq!(u64::from_le_bytes(b[32..40].try_into().unwrap()), 99);
        // The checksum is FNV-1a 64 of the first 48 bytes, computed here independently.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &x in &b[..48] {
            h = (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(u64::from_le_bytes(b[48..56].try_into().unwrap()), h);
        assert_eq!(Datagram::decode(&b), Ok(d));
    }

    #[test]
    fn every_defect_is_named() {
        let good = Datagram::heartbeat(1, 2, 3, 4, 5, false).encode();
        assert_eq!(Datagram::decode(&good[..55]), Err(Defect::WrongLength(55)));
        assert_eq!(Datagram::decode(&[]), Err(Defect::WrongLength(0)));
        let mut b = good;
        b[0] = b'X';
        assert_eq!(Datagram::decode(&b), Err(Defect::BadMagic));
        let mut b = good;
        b[4] = 2;
        assert_eq!(Datagram::decode(&b), Err(Defect::UnsupportedVersion(2)));
        let mut b = good;
        b[5] = 9;
        assert_eq!(Datagram::decode(&b), Err(Defect::UnknownKind(9)));
        let mut b = good;
        b[6] = 0x82;
        assert_eq!(Datagram::decode(&b), Err(Defect::UnknownFlags(0x82)));
        let mut b = good;
        b[20] ^= 1;
        assert_eq!(Datagram::decode(&b), Err(Defect::ChecksumMismatch));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut x: u64 = 0x1234_5678;
        let mut accepted = 0;
        for len in 0..100 {
            let mut v = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push(x as u8);
            }
            if len == DATAGRAM_SIZE {
                v[0..4].copy_from_slice(b"PHHB");
                v[4] = 1;
                v[5] = 0;
                v[6] = 1;
                v[7] = 0;
                // Generation and term below 2^48 (their top two bytes zero), as every valid one is.
                v[22..24].fill(0);
                v[30..32].fill(0);
                let sum = fnv1a64(&v[..48]).to_le_bytes();
                v[48..56].copy_from_slice(&sum); // this one must be accepted
                accepted += 1;
            }
            // Never panics; and whatever is accepted is exactly the encoding of what it decoded to.
            if let Ok(d) = Datagram::decode(&v) {
                assert_eq!(d.encode().as_slice(), v.as_slice());
                accepted -= 1;
            }
        }
        assert_eq!(accepted, 0, "the one well-formed datagram was accepted");
    }
}
