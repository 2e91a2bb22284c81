//! The heartbeat datagram through the C ABI: encoding and decoding the 56-byte wire format.

use super::status::{CError, PHIFD_ERR_BUFFER_TOO_SMALL, PHIFD_ERR_MALFORMED};
use super::{check_array, guard, in_ref, null_arg, out_ref, phifd_status, slice_in, slice_out, MAX_OBJECT_BYTES};
use crate::wire::{Datagram, Defect, Kind, DATAGRAM_SIZE};

/// Size of an encoded heartbeat datagram, bytes.
pub const PHIFD_DATAGRAM_SIZE: usize = 56;
const _: () = assert!(PHIFD_DATAGRAM_SIZE == DATAGRAM_SIZE);
/// Datagram kind: a heartbeat.
pub const PHIFD_DATAGRAM_HEARTBEAT: u32 = 0;
/// Datagram kind: the answer to a leader's heartbeat that carried an older term; `term` is the
/// receiver's newer one, so the stale leader learns it must step down.
pub const PHIFD_DATAGRAM_STALE_REPLY: u32 = 1;
/// Datagram flag: the sender believes it is the leader.
pub const PHIFD_DATAGRAM_FLAG_LEADER: u32 = 1;

/// A heartbeat datagram, decoded. Plain data, 48 bytes; layout frozen. The wire form is 56 bytes,
/// little-endian, with a magic, a format version and a checksum (see the README's wire format).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_datagram {
    /// `PHIFD_DATAGRAM_HEARTBEAT` or `PHIFD_DATAGRAM_STALE_REPLY`.
    pub kind: u32,
    /// `PHIFD_DATAGRAM_FLAG_*` bits.
    pub flags: u32,
    /// Sender's node id.
    pub node: u64,
    /// Sender's generation as an incarnation: increases when the sender restarts. Pass it to
    /// `phifd_heartbeat` so restarts are recognised.
    pub generation: u64,
    /// Sender's term (cluster epoch): increases when a new leader takes over. Compare it with your
    /// own term clock to find a stale leader; a stale reply carries the receiver's newer term here.
    pub term: u64,
    /// Heartbeat version: a sequence number the sender increments per heartbeat.
    pub version: u64,
    /// Send time on the sender's monotonic clock, ns (informational: never used as arrival time).
    pub send_ns: u64,
}
const _: () = assert!(std::mem::size_of::<phifd_datagram>() == 48);

/// The core datagram `d` describes. Errors: `PHIFD_ERR_INVALID_ARG` for an unknown kind or
/// undefined flag bits (the bounds of generation and term are the caller's to check).
pub(super) fn datagram_to_core(d: &phifd_datagram) -> Result<Datagram, CError> {
    let kind = match d.kind {
        PHIFD_DATAGRAM_HEARTBEAT => Kind::Heartbeat,
        PHIFD_DATAGRAM_STALE_REPLY => Kind::StaleReply,
        k => return Err(CError::invalid(format!("datagram kind: unknown code {k}"))),
    };
    if d.flags & !PHIFD_DATAGRAM_FLAG_LEADER != 0 {
        return Err(CError::invalid(format!(
            "datagram flags: undefined bits 0x{:x}",
            d.flags
        )));
    }
    Ok(Datagram {
        kind,
        flags: d.flags as u16,
        node: d.node,
        generation: d.generation,
        term: d.term,
        version: d.version,
        send_ns: d.send_ns,
    })
}

/// Encodes `*datagram` into `buf` (`cap` bytes, at least `PHIFD_DATAGRAM_SIZE`) and writes the
/// size, 56, to `*written`; only the first 56 bytes of `buf` are written. Errors:
/// `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_BUFFER_TOO_SMALL` (`cap` < 56), `PHIFD_ERR_INVALID_ARG` (unknown
/// kind or undefined flag bits; `generation` or `term` above `PHIFD_MAX_GENERATION`, 2^48, the
/// bound every receiver enforces; `cap` above `PTRDIFF_MAX`; `datagram` or `written` misaligned).
/// Nothing is written on error.
/// Thread-safe; no allocation.
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_encode(
    datagram: *const phifd_datagram,
    buf: *mut u8,
    cap: usize,
    written: *mut usize,
) -> phifd_status {
    guard("phifd_datagram_encode", || {
        let d = in_ref(datagram, "datagram")?;
        if buf.is_null() {
            return Err(null_arg("buf"));
        }
        let written = out_ref(written, "written")?;
        check_array(buf.cast_const(), cap, "buf", "cap", MAX_OBJECT_BYTES)?;
        if cap < DATAGRAM_SIZE {
            return Err(CError::new(
                PHIFD_ERR_BUFFER_TOO_SMALL,
                format!("cap is {cap}; a datagram needs {DATAGRAM_SIZE} bytes"),
            ));
        }
        let dg = datagram_to_core(d)?;
        dg.check_bounds()
            .map_err(|e| CError::invalid(format!("datagram: {e}; nothing was written")))?;
        let bytes = dg.encode();
        // SAFETY: checked pair; `buf` holds `cap >= 56` writable bytes (API contract).
        let dst = unsafe { slice_out(buf, cap, DATAGRAM_SIZE, "buf", "cap") }?;
        for (d, &b) in dst.iter_mut().zip(bytes.iter()) {
            d.write(b);
        }
        *written = DATAGRAM_SIZE;
        Ok(())
    })
}

/// Decodes `len` untrusted bytes at `buf` into `*out`. Never crashes on any input: anything that
/// is not exactly a valid 56-byte datagram gives `PHIFD_ERR_MALFORMED` and a message naming the
/// defect (wrong length, bad magic, unsupported version, unknown kind, undefined flags, checksum
/// mismatch, a `generation` or `term` above `PHIFD_MAX_GENERATION` = 2^48). Only a `len` of exactly 56 is read: any other length is refused before a byte of
/// `buf` is touched, so `buf` need only hold `min(len, 56)` bytes.
/// Errors: `PHIFD_ERR_NULL_ARG` (`out`, or `buf` with `len` > 0), `PHIFD_ERR_MALFORMED`,
/// `PHIFD_ERR_INVALID_ARG` (`len` above `PTRDIFF_MAX`: no buffer is that large, typically
/// `recvfrom`'s -1 converted to `size_t`; or `out` misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_decode(buf: *const u8, len: usize, out: *mut phifd_datagram) -> phifd_status {
    guard("phifd_datagram_decode", || {
        let out = out_ref(out, "out")?;
        check_array(buf, len, "buf", "len", MAX_OBJECT_BYTES)?;
        let malformed = |e: Defect| CError::new(PHIFD_ERR_MALFORMED, e.to_string());
        // Only a length of exactly 56 is read: any other is refused before a slice exists, so a
        // wrong `len` never makes the library read past the caller's buffer.
        if len != DATAGRAM_SIZE {
            return Err(malformed(Defect::WrongLength(len)));
        }
        // SAFETY: checked pair of 56 readable bytes (API contract).
        let data = unsafe { slice_in(buf, len, "buf", "len", DATAGRAM_SIZE) }?;
        let d = Datagram::decode(data).map_err(malformed)?;
        *out = phifd_datagram {
            kind: d.kind as u32,
            flags: u32::from(d.flags),
            node: d.node,
            generation: d.generation,
            term: d.term,
            version: d.version,
            send_ns: d.send_ns,
        };
        Ok(())
    })
}
