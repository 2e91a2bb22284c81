//! `phifd_keyring` and the authenticated heartbeat datagram through the C ABI, plus the receive
//! call that decodes, verifies and applies a datagram in one step.

use super::handle::{self, Handle};
use super::monitor::{monitor, phifd_monitor};
use super::status::{CError, PHIFD_ERR_BUFFER_TOO_SMALL, PHIFD_ERR_UNKNOWN_KEY};
use super::wire::{datagram_to_core, phifd_datagram};
use super::{check_array, guard, in_ref, null_arg, out_ref, phifd_status, slice_in, slice_out, MAX_OBJECT_BYTES};
use crate::auth::{self as core_auth, AuthFailure, Keyring};
use crate::error::Status;
use crate::wire::{Datagram, Defect, AUTH_DATAGRAM_SIZE, DATAGRAM_SIZE};

/// Size of an encoded authenticated heartbeat datagram (format version 2), bytes. Layout,
/// little-endian: bytes 0..48 as in the 56-byte datagram (magic `PHHB`, format version 2, kind,
/// flags, node, generation, term, version, send_ns); 48..52 the key id (u32); 52..68 the MAC:
/// HMAC-SHA-256 over bytes 0..52 with the key of that id, truncated to its leftmost 128 bits
/// (RFC 2104 §5, NIST SP 800-107 Rev. 1 §5.3.3). No checksum: the MAC covers integrity.
pub const PHIFD_AUTH_DATAGRAM_SIZE: usize = 68;
const _: () = assert!(PHIFD_AUTH_DATAGRAM_SIZE == AUTH_DATAGRAM_SIZE);
/// Most keys a keyring holds at once.
pub const PHIFD_KEYRING_MAX_KEYS: usize = 16;
const _: () = assert!(PHIFD_KEYRING_MAX_KEYS == core_auth::MAX_KEYS);
/// Shortest key accepted, bytes (128 bits). Use random bytes, e.g. 32 from `/dev/urandom`.
pub const PHIFD_KEY_MIN_LEN: usize = 16;
const _: () = assert!(PHIFD_KEY_MIN_LEN == core_auth::MIN_KEY_LEN);
/// Longest key accepted, bytes (SHA-256's block size).
pub const PHIFD_KEY_MAX_LEN: usize = 64;
const _: () = assert!(PHIFD_KEY_MAX_LEN == core_auth::MAX_KEY_LEN);

/// A set of shared secret keys by id (opaque), one of them the signing key, for authenticated
/// heartbeat datagrams. Datagrams are signed with the signing key and accepted when signed with
/// any key in the ring, so keys rotate without downtime: add the new key on every node, then make
/// it the signing key on every node, then remove the old key everywhere. Key bytes are copied in,
/// never handed out, and overwritten with zeros when removed or when the keyring is freed.
/// Thread-safe: any number of threads may sign and verify with one keyring while another adds,
/// removes or switches keys (each call sees the ring before or after a change, never in between),
/// except `phifd_keyring_free`, which must not race with other calls on it. The handle is an
/// opaque value, not an address (see `PHIFD_ERR_INVALID_HANDLE`).
pub struct phifd_keyring {
    _opaque: [u8; 0],
}

impl Handle for phifd_keyring {
    type Object = Keyring;
    const KIND: u64 = 4;
}

fn keyring<'a>(k: *const phifd_keyring) -> Result<&'a Keyring, CError> {
    handle::get(k, "keyring")
}

/// Creates an empty keyring (no key, no signing key) and writes its handle to `*out`; free it
/// with `phifd_keyring_free`. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_ARG` (`out`
/// misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_new(out: *mut *mut phifd_keyring) -> phifd_status {
    guard("phifd_keyring_new", || {
        let out = out_ref(out, "out")?;
        *out = handle::new::<phifd_keyring>(Keyring::new())?;
        Ok(())
    })
}

/// Frees a keyring, overwriting every key with zeros. NULL, an already freed handle and anything
/// that is not a keyring are ignored. Must not race with other calls on the same keyring.
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_free(k: *mut phifd_keyring) {
    let _ = std::panic::catch_unwind(|| handle::free::<phifd_keyring>(k));
}

/// Adds the `key_len` bytes at `key` (copied) to the keyring under `key_id`. The first key added
/// becomes the signing key; later keys only verify until `phifd_keyring_set_signing_key` selects
/// them. A key id names one key for its whole life: give a new key a new id.
/// Errors (nothing changes): `PHIFD_ERR_NULL_ARG` (`key` NULL with `key_len` > 0),
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (`key_len` outside
/// `PHIFD_KEY_MIN_LEN`..`PHIFD_KEY_MAX_LEN`; `key_id` already in the ring; the ring already holds
/// `PHIFD_KEYRING_MAX_KEYS` keys).
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_add_key(
    k: *const phifd_keyring,
    key_id: u32,
    key: *const u8,
    key_len: usize,
) -> phifd_status {
    guard("phifd_keyring_add_key", || {
        let ring = keyring(k)?;
        check_array(key, key_len, "key", "key_len", MAX_OBJECT_BYTES)?;
        core_auth::check_key_len(key_id, key_len)?;
        // SAFETY: checked pair of `key_len` readable bytes (API contract).
        let bytes = unsafe { slice_in(key, key_len, "key", "key_len", PHIFD_KEY_MAX_LEN) }?;
        Ok(ring.add_key(key_id, bytes)?)
    })
}

/// Removes the key `key_id` from the keyring and overwrites it with zeros: datagrams signed with it
/// are refused from now on with `PHIFD_ERR_UNKNOWN_KEY`. Errors: `PHIFD_ERR_NULL_ARG`,
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_KEY` (no such id), `PHIFD_ERR_INVALID_ARG` (it is
/// the signing key: select another one first, so the node never stops signing).
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_remove_key(k: *const phifd_keyring, key_id: u32) -> phifd_status {
    guard("phifd_keyring_remove_key", || Ok(keyring(k)?.remove_key(key_id)?))
}

/// Makes the key `key_id` the one `phifd_datagram_encode_auth` signs with. Errors:
/// `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_KEY` (no such id).
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_set_signing_key(k: *const phifd_keyring, key_id: u32) -> phifd_status {
    guard("phifd_keyring_set_signing_key", || {
        Ok(keyring(k)?.set_signing_key(key_id)?)
    })
}

/// Writes the id of the signing key to `*out_key_id`. Errors: `PHIFD_ERR_NULL_ARG`,
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_KEY` (the ring holds no key yet),
/// `PHIFD_ERR_INVALID_ARG` (`out_key_id` misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_keyring_get_signing_key(k: *const phifd_keyring, out_key_id: *mut u32) -> phifd_status {
    guard("phifd_keyring_get_signing_key", || {
        let ring = keyring(k)?;
        let out = out_ref(out_key_id, "out_key_id")?;
        *out = ring
            .signing_key_id()
            .ok_or_else(|| CError::new(PHIFD_ERR_UNKNOWN_KEY, "the keyring holds no key"))?;
        Ok(())
    })
}

fn from_core(d: &Datagram) -> phifd_datagram {
    phifd_datagram {
        kind: d.kind as u32,
        flags: u32::from(d.flags),
        node: d.node,
        generation: d.generation,
        term: d.term,
        version: d.version,
        send_ns: d.send_ns,
    }
}

/// Encodes `*datagram` as an authenticated datagram signed with the keyring's signing key into
/// `buf` (`cap` bytes, at least `PHIFD_AUTH_DATAGRAM_SIZE`) and writes the size, 68, to
/// `*written`; only the first 68 bytes of `buf` are written. Errors: `PHIFD_ERR_NULL_ARG`,
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_BUFFER_TOO_SMALL` (`cap` < 68), `PHIFD_ERR_INVALID_ARG`
/// (the keyring holds no key; unknown kind or undefined flag bits; a generation or term above
/// `PHIFD_MAX_GENERATION`; `cap` above `PTRDIFF_MAX`; `datagram` or `written` misaligned).
/// Thread-safe; no allocation.
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_encode_auth(
    k: *const phifd_keyring,
    datagram: *const phifd_datagram,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> phifd_status {
    guard("phifd_datagram_encode_auth", || {
        let ring = keyring(k)?;
        let d = datagram_to_core(in_ref(datagram, "datagram")?)?;
        if buf.is_null() {
            return Err(null_arg("buf"));
        }
        let written = out_ref(written, "written")?;
        check_array(buf.cast_const(), cap, "buf", "cap", MAX_OBJECT_BYTES)?;
        if cap < AUTH_DATAGRAM_SIZE {
            return Err(CError::new(
                PHIFD_ERR_BUFFER_TOO_SMALL,
                format!("cap is {cap}; an authenticated datagram needs {AUTH_DATAGRAM_SIZE} bytes"),
            ));
        }
        let bytes = ring.sign(&d)?;
        // SAFETY: checked pair; `buf` holds `cap >= 68` writable bytes (API contract).
        let dst = unsafe { slice_out(buf, cap, AUTH_DATAGRAM_SIZE, "buf", "cap") }?;
        for (d, &b) in dst.iter_mut().zip(bytes.iter()) {
            d.write(b);
        }
        *written = AUTH_DATAGRAM_SIZE;
        Ok(())
    })
}

/// The untrusted bytes at `buf` as a slice when `len` is the one length `expected` that can be
/// valid; any other length is refused before a byte is read (so `buf` need only hold
/// `min(len, expected)` bytes).
unsafe fn datagram_bytes<'a>(
    buf: *const u8,
    len: usize,
    expected: usize,
    wrong: fn(usize) -> Defect,
) -> Result<&'a [u8], AuthFailure> {
    if len != expected {
        return Err(AuthFailure::Malformed(wrong(len)));
    }
    // SAFETY: the caller checked the pair; `len` readable bytes (API contract).
    unsafe { slice_in(buf, len, "buf", "len", expected) }.map_err(|_| AuthFailure::Malformed(wrong(len)))
}

/// Verifies and decodes `len` untrusted bytes at `buf` with the keyring into `*out`. Checks, in
/// this order: the length (exactly `PHIFD_AUTH_DATAGRAM_SIZE`), magic and format version
/// (`PHIFD_ERR_MALFORMED`; a 56-byte unauthenticated datagram is malformed here); the key id
/// (`PHIFD_ERR_UNKNOWN_KEY` if the ring does not hold it); the MAC, compared in constant time
/// (`PHIFD_ERR_AUTH`); only then the fields (`PHIFD_ERR_MALFORMED` for an unknown kind, undefined
/// flags, or a generation or term above `PHIFD_MAX_GENERATION`). Any key in the ring is accepted.
/// Never crashes on any input; the message names the defect; `*out` is written only on success.
/// Only a `len` of exactly 68 is read. Errors also: `PHIFD_ERR_NULL_ARG` (`keyring`, `out`, or
/// `buf` with `len` > 0), `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (`len` above
/// `PTRDIFF_MAX`, or `out` misaligned). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_decode_auth(
    k: *const phifd_keyring,
    buf: *const u8,
    len: usize,
    out: *mut phifd_datagram,
) -> phifd_status {
    guard("phifd_datagram_decode_auth", || {
        let ring = keyring(k)?;
        let out = out_ref(out, "out")?;
        check_array(buf, len, "buf", "len", MAX_OBJECT_BYTES)?;
        // SAFETY: checked pair (API contract).
        let bytes = unsafe { datagram_bytes(buf, len, AUTH_DATAGRAM_SIZE, Defect::WrongAuthLength) }?;
        *out = from_core(&ring.verify(bytes)?);
        Ok(())
    })
}

/// Receives one datagram for monitor `m`: decodes `len` untrusted bytes at `buf` and, for a
/// heartbeat, records it as `phifd_heartbeat_version(m, node, generation, version, now_ns)`.
/// With a `keyring`, only authenticated datagrams are accepted and they are verified as by
/// `phifd_datagram_decode_auth`; with `keyring` NULL, only the unauthenticated 56-byte datagram is
/// accepted, as by `phifd_datagram_decode` (for a trusted, isolated network only: anyone who can
/// send it a packet can forge one). A stale reply is decoded and written to `*out` but not applied.
/// A heartbeat counts as an arrival only when its `(generation, version)` is newer than anything
/// the node has shown, so a replayed or reordered old datagram never counts: the exact same bytes
/// or an older version give `PHIFD_OK` with `*out_counted` false, an older generation gives
/// `PHIFD_ERR_STALE_GENERATION`.
/// Writes the datagram to `*out` on success, and also with `PHIFD_ERR_STALE_GENERATION` (the one
/// failure where it is written, so the caller can answer the sender with a stale reply); writes
/// whether it counted as an arrival to `*out_counted` unless that is NULL (false for a stale reply).
/// Every rejection is counted in `phifd_monitor_stats`: `rejected_malformed`,
/// `rejected_bad_generation`, `rejected_unknown_key`, `rejected_bad_mac`, and, with a keyring,
/// `rejected_replayed` for an authentic heartbeat that did not count.
/// Errors: `PHIFD_ERR_NULL_ARG` (`m`, `out`, or `buf` with `len` > 0), `PHIFD_ERR_INVALID_HANDLE`
/// (`m`, or a non-NULL `keyring`), `PHIFD_ERR_MALFORMED`, `PHIFD_ERR_UNKNOWN_KEY`,
/// `PHIFD_ERR_AUTH`, then what `phifd_heartbeat_version` returns (`PHIFD_ERR_STALE_GENERATION`,
/// `PHIFD_ERR_CAPACITY`, `PHIFD_ERR_UNKNOWN_NODE`, ...); `PHIFD_ERR_INVALID_ARG` (`len` above
/// `PTRDIFF_MAX`, or `out`/`out_counted` misaligned). Thread-safe like `phifd_heartbeat_version`.
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_receive(
    m: *mut phifd_monitor,
    k: *const phifd_keyring,
    buf: *const u8,
    len: usize,
    now_ns: u64,
    out: *mut phifd_datagram,
    out_counted: *mut bool,
) -> phifd_status {
    guard("phifd_monitor_receive", || {
        let mon = monitor(m)?;
        let ring = if k.is_null() { None } else { Some(keyring(k)?) };
        let out = out_ref(out, "out")?;
        let counted_out = if out_counted.is_null() {
            None
        } else {
            Some(out_ref(out_counted, "out_counted")?)
        };
        check_array(buf, len, "buf", "len", MAX_OBJECT_BYTES)?;
        let (expected, wrong): (usize, fn(usize) -> Defect) = match ring {
            Some(_) => (AUTH_DATAGRAM_SIZE, Defect::WrongAuthLength),
            None => (DATAGRAM_SIZE, Defect::WrongLength),
        };
        // SAFETY: checked pair (API contract).
        let bytes = match unsafe { datagram_bytes(buf, len, expected, wrong) } {
            Ok(b) => b,
            Err(f) => {
                mon.note_rejection(f.rejection());
                return Err(f.into());
            }
        };
        let r = core_auth::receive(mon, ring, bytes, now_ns)?;
        match r.applied {
            Ok(counted) => {
                *out = from_core(&r.datagram);
                if let Some(c) = counted_out {
                    *c = counted;
                }
                Ok(())
            }
            Err(e) => {
                if e.status == Status::StaleGeneration {
                    *out = from_core(&r.datagram);
                }
                Err(e.into())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_free_is_idempotent() {
        let mut k: *mut phifd_keyring = std::ptr::null_mut();
        unsafe {
            assert_eq!(phifd_keyring_new(&mut k), super::super::PHIFD_OK);
            assert_eq!(
                phifd_keyring_add_key(k, 1, [1u8; 16].as_ptr(), 16),
                super::super::PHIFD_OK
            );
            let mut id = 0;
            assert_eq!(phifd_keyring_get_signing_key(k, &mut id), super::super::PHIFD_OK);
            assert_eq!(id, 1);
            phifd_keyring_free(k);
            phifd_keyring_free(k);
            assert_eq!(phifd_keyring_remove_key(k, 1), super::super::PHIFD_ERR_INVALID_HANDLE);
        }
    }
}
