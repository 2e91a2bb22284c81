//! `phifd_monitor_snapshot`: the state of every node at one time, as an array of plain structs.

use super::monitor::{monitor, phifd_monitor, phifd_state};
use super::{check_array, guard, null_arg, out_ref, phifd_status, slice_out, MAX_OBJECT_BYTES};

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
/// Read-only; locks one node at a time. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
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
