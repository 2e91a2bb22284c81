//! The heartbeat datagram and the monitor snapshot through the C ABI.

use std::ffi::c_char;

use super::monitor::{monitor, phifd_monitor, phifd_state};
use super::{guard, null_arg, out_ref, phifd_status};
use crate::error::{Error, Status};
use crate::wire::{Datagram, Kind, DATAGRAM_SIZE};

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

/// Encodes `*datagram` into `buf` (at least `PHIFD_DATAGRAM_SIZE` bytes) and writes the size, 56,
/// to `*written`. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_BUFFER_TOO_SMALL` (`cap` < 56),
/// `PHIFD_ERR_INVALID_ARG` (unknown kind or undefined flag bits). Thread-safe; no allocation.
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_encode(datagram: *const phifd_datagram, buf: *mut u8, cap: usize, written: *mut usize) -> phifd_status {
    guard("phifd_datagram_encode", || {
        // SAFETY: NULL-checked; a non-NULL pointer is a readable phifd_datagram (API contract).
        let d = unsafe { datagram.as_ref() }.ok_or_else(|| null_arg("datagram"))?;
        if buf.is_null() {
            return Err(null_arg("buf"));
        }
        let written = out_ref(written, "written")?;
        if cap < DATAGRAM_SIZE {
            return Err(Error::new(Status::BufferTooSmall, format!("cap is {cap}; a datagram needs {DATAGRAM_SIZE} bytes")));
        }
        let kind = match d.kind {
            PHIFD_DATAGRAM_HEARTBEAT => Kind::Heartbeat,
            PHIFD_DATAGRAM_STALE_REPLY => Kind::StaleReply,
            k => return Err(Error::invalid(format!("datagram kind: unknown code {k}"))),
        };
        if d.flags & !PHIFD_DATAGRAM_FLAG_LEADER != 0 {
            return Err(Error::invalid(format!("datagram flags: undefined bits 0x{:x}", d.flags)));
        }
        let bytes = Datagram { kind, flags: d.flags as u16, node: d.node, generation: d.generation, term: d.term, version: d.version, send_ns: d.send_ns }
            .encode();
        // SAFETY: `buf` holds `cap >= 56` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, DATAGRAM_SIZE) };
        *written = DATAGRAM_SIZE;
        Ok(())
    })
}

/// Decodes `len` untrusted bytes at `buf` into `*out`. Never crashes on any input: anything that
/// is not exactly a valid 56-byte datagram gives `PHIFD_ERR_MALFORMED` and a message naming the
/// defect (wrong length, bad magic, unsupported version, unknown kind, undefined flags, checksum
/// mismatch). Errors: `PHIFD_ERR_NULL_ARG` (`out`, or `buf` with `len` > 0), `PHIFD_ERR_MALFORMED`.
#[no_mangle]
pub unsafe extern "C" fn phifd_datagram_decode(buf: *const u8, len: usize, out: *mut phifd_datagram) -> phifd_status {
    guard("phifd_datagram_decode", || {
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let data: &[u8] = if len == 0 {
            &[]
        } else if buf.is_null() {
            return Err(null_arg("buf"));
        } else {
            // SAFETY: `len` readable bytes (API contract).
            unsafe { std::slice::from_raw_parts(buf, len) }
        };
        let d = Datagram::decode(data).map_err(|e| Error::new(Status::Malformed, e.to_string()))?;
        *out_ref(out, "out")? = phifd_datagram {
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
/// Read-only; locks one shard at a time. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`.
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
        if entries.is_null() && cap > 0 {
            return Err(null_arg("entries"));
        }
        let snap = monitor(m)?.snapshot(now_ns);
        for (k, i) in snap.iter().take(cap).enumerate() {
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
            // SAFETY: `entries` holds `cap` elements and `k < cap`.
            unsafe { entries.add(k).write(e) };
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
/// `cap` is 0. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_BUFFER_TOO_SMALL`.
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
        if buf.is_null() && cap > 0 {
            return Err(null_arg("buf"));
        }
        let text = crate::prometheus::render(monitor(m)?, now_ns);
        *out_ref(needed, "needed")? = text.len();
        if cap <= text.len() {
            return Err(Error::new(
                Status::BufferTooSmall,
                format!("cap is {cap}; the text needs {} bytes plus a NUL", text.len()),
            ));
        }
        // SAFETY: `buf` holds `cap > text.len()` writable bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
            buf.add(text.len()).write(0);
        }
        Ok(())
    })
}
