//! `phifd_monitor_render_prometheus`: the monitor's metrics in the Prometheus text format.

use std::ffi::c_char;

use super::monitor::{monitor, phifd_monitor};
use super::status::{CError, PHIFD_ERR_BUFFER_TOO_SMALL};
use super::{check_array, guard, null_arg, out_ref, phifd_status, slice_out, MAX_OBJECT_BYTES};

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
            return Err(CError::new(
                PHIFD_ERR_BUFFER_TOO_SMALL,
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
