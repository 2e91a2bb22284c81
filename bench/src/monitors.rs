//! phifd monitors as the benchmarks build them, through the C ABI and the Rust API, with the
//! same settings, and the C-ABI helpers the sections share.

use phifd::ffi::config::{
    phifd_config, phifd_config_free, phifd_config_new, phifd_config_set_acceptable_pause_ns,
    phifd_config_set_heartbeat_interval_ns, phifd_config_set_max_nodes, phifd_config_set_min_std_deviation_ns,
    phifd_config_set_window,
};
use phifd::ffi::monitor::{
    phifd_event, phifd_monitor, phifd_monitor_new, phifd_monitor_poll, phifd_node_get_info, phifd_node_info,
};
use phifd::ffi::PHIFD_OK;

use crate::stats::fail;
use crate::workload::{MS, PERIOD};

pub(crate) fn check(st: u32, what: &str) {
    if st != PHIFD_OK {
        fail(&format!("{what}: status {st}"));
    }
}

/// Room for the largest scale run (1,000,000 nodes): the default bound (65,536) refuses the rest.
pub(crate) const MAX_NODES: u64 = 1 << 21;

/// A C-ABI monitor (akka estimator) with `window`, 1 s interval, min sd 100 ms, no pause, room for
/// `MAX_NODES` nodes.
pub(crate) fn c_monitor(window: u64) -> *mut phifd_monitor {
    let mut cfg: *mut phifd_config = std::ptr::null_mut();
    let mut m: *mut phifd_monitor = std::ptr::null_mut();
    unsafe {
        check(phifd_config_new(&mut cfg), "phifd_config_new");
        check(phifd_config_set_window(cfg, window), "set_window");
        check(phifd_config_set_heartbeat_interval_ns(cfg, PERIOD), "set_interval");
        check(phifd_config_set_min_std_deviation_ns(cfg, 100 * MS), "set_min_sd");
        check(phifd_config_set_acceptable_pause_ns(cfg, 0), "set_pause");
        check(phifd_config_set_max_nodes(cfg, MAX_NODES), "set_max_nodes");
        check(phifd_monitor_new(cfg, &mut m), "phifd_monitor_new");
        phifd_config_free(cfg);
    }
    m
}

/// A Rust-API monitor with the same settings.
pub(crate) fn rust_monitor(window: u32) -> phifd::Monitor {
    let mut c = phifd::Config::new();
    c.set_window(u64::from(window)).expect("window");
    c.set_heartbeat_interval_ns(PERIOD).expect("interval");
    c.set_min_std_deviation_ns(100 * MS).expect("min sd");
    c.set_acceptable_pause_ns(0).expect("pause");
    c.set_max_nodes(MAX_NODES).expect("max nodes");
    phifd::Monitor::new(&c).expect("monitor")
}

/// A raw monitor pointer that may cross threads (the C ABI's monitor is thread-safe).
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut phifd_monitor);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

pub(crate) fn samples_of(m: *mut phifd_monitor, node: u64, t: u64) -> u32 {
    let mut info: phifd_node_info = unsafe { std::mem::zeroed() };
    info.size = std::mem::size_of::<phifd_node_info>() as u32;
    check(
        unsafe { phifd_node_get_info(m, node, t, &mut info) },
        "phifd_node_get_info",
    );
    info.samples as u32
}

/// Polls `m` at `t` until no event is pending.
pub(crate) fn drain_c(m: *mut phifd_monitor, t: u64) {
    let mut buf = [phifd_event::default(); 256];
    loop {
        let mut got = 0usize;
        check(
            unsafe { phifd_monitor_poll(m, t, buf.as_mut_ptr(), buf.len(), &mut got) },
            "poll (drain)",
        );
        if got < buf.len() {
            break;
        }
    }
}
