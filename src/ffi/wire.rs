//! The heartbeat datagram and the monitor snapshot through the C ABI.

use std::ffi::c_char;

use super::monitor::{monitor, phifd_monitor, phifd_state};
use super::{check_array, guard, in_ref, null_arg, out_ref, phifd_status, slice_in, slice_out, MAX_OBJECT_BYTES};
use crate::error::{Error, Status};
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
            return Err(Error::new(
                Status::BufferTooSmall,
                format!("cap is {cap}; a datagram needs {DATAGRAM_SIZE} bytes"),
            ));
        }
        let kind = match d.kind {
            PHIFD_DATAGRAM_HEARTBEAT => Kind::Heartbeat,
            PHIFD_DATAGRAM_STALE_REPLY => Kind::StaleReply,
            k => return Err(Error::invalid(format!("datagram kind: unknown code {k}"))),
        };
        if d.flags & !PHIFD_DATAGRAM_FLAG_LEADER != 0 {
            return Err(Error::invalid(format!(
                "datagram flags: undefined bits 0x{:x}",
                d.flags
            )));
        }
        let dg = Datagram {
            kind,
            flags: d.flags as u16,
            node: d.node,
            generation: d.generation,
            term: d.term,
            version: d.version,
            send_ns: d.send_ns,
        };
        dg.check_bounds()
            .map_err(|e| Error::invalid(format!("datagram: {e}; nothing was written")))?;
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
        let malformed = |e: Defect| Error::new(Status::Malformed, e.to_string());
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

/// One node in a snapshot (`phifd_monitor_snapshot`). Plain data, 80 bytes; layout frozen.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_snapshot_entry {
    /// The node id.
    pub node: u64,
    /// Its generation.
    pub generation: u64,
    /// Its last arrival, ns (0 before the first heartbeat).
    pub last_arrival_ns: u64,
    /// phi at the snapshot time.
    pub phi: f64,
    /// Mean interval of its window, ns.
    pub mean_ns: f64,
    /// Standard deviation of its window, ns.
    pub sd_ns: f64,
    /// Time left before it is FAILED if no heartbeat arrives, ns (0 once past).
    pub time_until_failure_ns: u64,
    /// Highest heartbeat version seen.
    pub version: u64,
    /// `PHIFD_STATE_*` at the snapshot time.
    pub state: phifd_state,
    /// Distinct peers reporting it as suspect.
    pub confirmations: u32,
    /// Always 0.
    pub reserved: u64,
}

const _: () = assert!(std::mem::size_of::<phifd_snapshot_entry>() == 80);

/// Writes the state of every node at `now_ns`, sorted by node id, to `entries` (up to `cap`), and
/// the number of nodes to `*total`. If `*total > cap`, only the first `cap` were written: call
/// again with a larger array. `entries` may be NULL when `cap` is 0 (to ask for the count).
/// Read-only; locks one shard at a time. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (`cap` entries exceed `PTRDIFF_MAX` bytes, or `entries` or `total` is
/// misaligned; nothing is written).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_snapshot(
    m: *const phifd_monitor,
    now_ns: u64,
    entries: *mut phifd_snapshot_entry,
    cap: usize,
    total: *mut usize,
) -> phifd_status {
    guard("phifd_monitor_snapshot", || {
        if total.is_null() {
            return Err(null_arg("total"));
        }
        check_array(entries.cast_const(), cap, "entries", "cap", MAX_OBJECT_BYTES)?;
        let snap = monitor(m)?.snapshot(now_ns);
        // SAFETY: checked pair of `cap` writable entries (API contract); only the first
        // `min(cap, nodes)` are viewed.
        let dst = unsafe { slice_out(entries, cap, cap.min(snap.len()), "entries", "cap") }?;
        for (slot, i) in dst.iter_mut().zip(snap.iter()) {
            let e = phifd_snapshot_entry {
                node: i.node,
                generation: i.generation,
                last_arrival_ns: i.last_arrival_ns.unwrap_or(0),
                phi: i.phi,
                mean_ns: i.mean_ns,
                sd_ns: i.sd_ns,
                time_until_failure_ns: i.time_until_failure_ns(now_ns),
                version: i.version,
                state: i.state as u32,
                confirmations: i.confirmations,
                reserved: 0,
            };
            slot.write(e);
        }
        *out_ref(total, "total")? = snap.len();
        Ok(())
    })
}

/// Renders the monitor's snapshot at `now_ns` in the Prometheus text exposition format (0.0.4), for
/// a metrics endpoint: per node `phifd_node_phi`, `_state` (one-hot), `_generation`,
/// `_silence_seconds`, `_mean_interval_seconds`, `_interval_stddev_seconds`,
/// `_time_until_conviction_seconds`, `_samples`; per monitor `phifd_monitor_nodes`, `_local_health`,
/// `_pauses_total`, `_stale_heartbeats_total`, `_duplicate_heartbeats_total`,
/// `_dropped_events_total`. Writes the text and a terminating NUL into `buf` (`cap` bytes) and the
/// text's length (without the NUL) to `*needed`. If `cap` is too small, nothing is written to `buf`,
/// `*needed` still receives the length, and the status is `PHIFD_ERR_BUFFER_TOO_SMALL` (the one
/// out-parameter written on failure, so the caller can size the buffer). `buf` may be NULL when
/// `cap` is 0. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_BUFFER_TOO_SMALL`,
/// `PHIFD_ERR_INVALID_ARG` (`cap` above `PTRDIFF_MAX`, or `needed` misaligned; nothing is written).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_render_prometheus(
    m: *const phifd_monitor,
    now_ns: u64,
    buf: *mut c_char,
    cap: usize,
    needed: *mut usize,
) -> phifd_status {
    guard("phifd_monitor_render_prometheus", || {
        if needed.is_null() {
            return Err(null_arg("needed"));
        }
        check_array(buf.cast_const(), cap, "buf", "cap", MAX_OBJECT_BYTES)?;
        let text = crate::prometheus::render(monitor(m)?, now_ns);
        *out_ref(needed, "needed")? = text.len();
        if cap <= text.len() {
            return Err(Error::new(
                Status::BufferTooSmall,
                format!("cap is {cap}; the text needs {} bytes plus a NUL", text.len()),
            ));
        }
        // SAFETY: checked pair of `cap > text.len()` writable bytes (API contract).
        let dst = unsafe { slice_out(buf.cast::<u8>(), cap, text.len() + 1, "buf", "cap") }?;
        for (d, &b) in dst.iter_mut().zip(text.as_bytes().iter().chain(std::iter::once(&0u8))) {
            d.write(b);
        }
        Ok(())
    })
}
