//! `phifd_monitor`: the failure detector handle, its events and node queries.

use std::ffi::c_char;

use super::config::{config_ref, phifd_config};
use super::handle::{self, Handle};
use super::status::{self, CError, PHIFD_ERR_BUFFER_TOO_SMALL};
use super::{check_array, guard, null_arg, out_ref, phifd_status, slice_in, slice_out, MAX_OBJECT_BYTES};
use crate::config::Config;
use crate::monitor::Monitor;
use crate::node::Event;

/// Node state code (`uint32_t`), one of the `PHIFD_STATE_*` values.
pub type phifd_state = u32;
/// Registered with `phifd_node_add`, no heartbeat yet.
pub const PHIFD_STATE_UNKNOWN: phifd_state = 0;
/// Heartbeating: phi below the suspect threshold.
pub const PHIFD_STATE_ALIVE: phifd_state = 1;
/// phi at or above the suspect threshold, or recovering from FAILED.
pub const PHIFD_STATE_SUSPECT: phifd_state = 2;
/// phi at or above the threshold, or no first heartbeat within the first-heartbeat timeout.
pub const PHIFD_STATE_FAILED: phifd_state = 3;

/// Event kind code (`uint32_t`), one of the `PHIFD_EVENT_*` values.
pub type phifd_event_kind = u32;
/// The node's state changed from `from` to `to`.
pub const PHIFD_EVENT_STATE_CHANGED: phifd_event_kind = 0;
/// The node came back with a higher generation (a new incarnation); its history restarted and
/// it is ALIVE (`to`). `from` is the state of the old incarnation.
pub const PHIFD_EVENT_RESTARTED: phifd_event_kind = 1;

/// The name of a state code: `"UNKNOWN"`, `"ALIVE"`, `"SUSPECT"` or `"FAILED"` (the names the
/// Prometheus rendering, the CLI and the test vectors use), and `"INVALID"` for any other number.
/// A static NUL-terminated string owned by the library: never NULL, never to be freed, valid for
/// the life of the process. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn phifd_state_name(state: phifd_state) -> *const c_char {
    let name = match state {
        PHIFD_STATE_UNKNOWN => c"UNKNOWN",
        PHIFD_STATE_ALIVE => c"ALIVE",
        PHIFD_STATE_SUSPECT => c"SUSPECT",
        PHIFD_STATE_FAILED => c"FAILED",
        _ => c"INVALID",
    };
    name.as_ptr()
}

/// The name of an event kind code: `"STATE_CHANGED"` or `"RESTARTED"`, and `"INVALID"` for any
/// other number. A static NUL-terminated string owned by the library: never NULL, never to be
/// freed, valid for the life of the process. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn phifd_event_kind_name(kind: phifd_event_kind) -> *const c_char {
    let name = match kind {
        PHIFD_EVENT_STATE_CHANGED => c"STATE_CHANGED",
        PHIFD_EVENT_RESTARTED => c"RESTARTED",
        _ => c"INVALID",
    };
    name.as_ptr()
}

/// One transition reported by `phifd_monitor_poll`. Plain data, 48 bytes; its layout is frozen
/// (it is used in arrays).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_event {
    /// The node.
    pub node: u64,
    /// The node's generation after the transition.
    pub generation: u64,
    /// When the transition happened, ns: the arrival time for transitions caused by a heartbeat,
    /// the instant the silence reached the threshold for silence-driven ones (not the poll time).
    pub time_ns: u64,
    /// phi at `time_ns`.
    pub phi: f64,
    /// `PHIFD_EVENT_*`.
    pub kind: phifd_event_kind,
    /// State before (`PHIFD_STATE_*`).
    pub from: phifd_state,
    /// State after (`PHIFD_STATE_*`).
    pub to: phifd_state,
    /// Always 0.
    pub reserved: u32,
}

impl From<&Event> for phifd_event {
    fn from(e: &Event) -> Self {
        phifd_event {
            node: e.node,
            generation: e.generation,
            time_ns: e.time_ns,
            phi: e.phi,
            kind: e.kind as u32,
            from: e.from as u32,
            to: e.to as u32,
            reserved: 0,
        }
    }
}

/// A node's statistics, filled by `phifd_node_get_info`. Versioned: set `size` to
/// `sizeof(phifd_node_info)` before the call; the library writes only the fields that fit in
/// `size` bytes, so programs built against an older header keep working with a newer library.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_node_info {
    /// In: `sizeof(phifd_node_info)` as the caller knows it. Out: bytes written.
    pub size: u32,
    /// State at the query time (`PHIFD_STATE_*`).
    pub state: phifd_state,
    /// The node id.
    pub node: u64,
    /// Current generation.
    pub generation: u64,
    /// phi at the query time.
    pub phi: f64,
    /// Last heartbeat arrival, ns; 0 if `has_arrival` is 0.
    pub last_arrival_ns: u64,
    /// What silence is measured from, ns: the last arrival, or the registration time before the first heartbeat.
    pub silence_origin_ns: u64,
    /// Intervals in the window (the seed history counts until it is pushed out).
    pub samples: u64,
    /// Mean interval of the window, ns (without the acceptable pause).
    pub mean_ns: f64,
    /// Population standard deviation of the window, ns (before the floor).
    pub sd_ns: f64,
    /// Silence after `silence_origin_ns` at which the node becomes SUSPECT, ns.
    pub suspect_after_ns: u64,
    /// Silence after `silence_origin_ns` at which the node becomes FAILED, ns: "how long until this
    /// node is declared dead" (see also `phifd_node_time_until_phi`).
    pub fail_after_ns: u64,
    /// 1 once a heartbeat was recorded for the current registration, else 0.
    pub has_arrival: u32,
    /// Always 0.
    pub reserved: u32,
    /// (Since 0.1: version 2 of the struct, 120 bytes.) Highest heartbeat version seen in the
    /// current generation (counts plain heartbeats too).
    pub version: u64,
    /// The sender's own heartbeat interval estimate, ns: time between counted arrivals divided by
    /// the versions they advanced, smoothed. Equals about `mean_ns` for direct heartbeats; with
    /// gossip it stays the per-heartbeat interval while `mean_ns` is the gap between observations.
    pub heartbeat_interval_ns: f64,
    /// Distinct peers currently reporting the node as suspect (`phifd_node_report_suspect`).
    pub confirmations: u32,
    /// Always 0.
    pub reserved2: u32,
}

/// Counters of a monitor, filled by `phifd_monitor_get_stats`. Versioned like `phifd_node_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_monitor_stats {
    /// In: `sizeof(phifd_monitor_stats)`. Out: bytes written.
    pub size: u32,
    /// Always 0.
    pub reserved: u32,
    /// Nodes currently monitored.
    pub nodes: u64,
    /// Events waiting for `phifd_monitor_poll`.
    pub pending_events: u64,
    /// Events dropped because more than 1,048,576 were waiting (oldest dropped first).
    pub dropped_events: u64,
    /// Heartbeats rejected with `PHIFD_ERR_STALE_GENERATION`.
    pub stale_heartbeats: u64,
    /// (Version 2 of the struct, 88 bytes.) Versioned heartbeats ignored because their
    /// `(generation, version)` was not newer than what was seen.
    pub duplicate_heartbeats: u64,
    /// Pauses of this process detected from the gaps between calls (heartbeats and polls).
    pub pauses_detected: u64,
    /// The last detected pause: the last call (heartbeat or poll) before it, ns (0 if none).
    pub last_pause_start_ns: u64,
    /// The last detected pause: first call after it, ns (0 if none).
    pub last_pause_end_ns: u64,
    /// No node is convicted before this instant, ns (0 if no pause was detected).
    pub grace_until_ns: u64,
    /// Effective local health score (0 = healthy); convicting takes `1 + score` times longer.
    pub local_health: u32,
    /// Always 0.
    pub reserved2: u32,
    /// (Version 3 of the struct, 144 bytes.) Heartbeats and registrations of new ids refused with
    /// `PHIFD_ERR_CAPACITY` because `max_nodes` nodes were monitored.
    pub rejected_over_capacity: u64,
    /// Heartbeats from ids not registered with `phifd_node_add` refused with
    /// `PHIFD_ERR_UNKNOWN_NODE` under `PHIFD_MEMBERSHIP_FIXED`.
    pub rejected_unknown_node: u64,
    /// Heartbeats, registrations and datagrams refused because a generation (or term) exceeded
    /// `PHIFD_MAX_GENERATION`.
    pub rejected_bad_generation: u64,
    /// Datagrams refused with `PHIFD_ERR_MALFORMED` on a path that knows the monitor.
    pub rejected_malformed: u64,
    /// Authenticated datagrams refused with `PHIFD_ERR_AUTH` (MAC does not verify).
    pub rejected_bad_mac: u64,
    /// Authenticated datagrams refused with `PHIFD_ERR_UNKNOWN_KEY`.
    pub rejected_unknown_key: u64,
    /// Authenticated datagrams that verified but did not count: replayed, or older than what was
    /// already seen for the node.
    pub rejected_replayed: u64,
}

/// Size of the first version of `phifd_node_info`: the smallest `size` accepted, forever.
const NODE_INFO_V1_SIZE: usize = 96;
/// Size of the first version of `phifd_monitor_stats`.
const MONITOR_STATS_V1_SIZE: usize = 40;
const _: () = assert!(std::mem::size_of::<phifd_node_info>() >= NODE_INFO_V1_SIZE);
const _: () = assert!(std::mem::size_of::<phifd_monitor_stats>() >= MONITOR_STATS_V1_SIZE);
const _: () = assert!(std::mem::size_of::<phifd_monitor_stats>() == 144);

/// A failure detector for many peers (opaque). Thread-safe: any number of threads may call any
/// function on one monitor at once, except `phifd_monitor_free`, which must not race with other
/// calls on the same monitor. Operations on different nodes do not wait for each other.
/// The handle is an opaque value, not an address (see `PHIFD_ERR_INVALID_HANDLE`).
pub struct phifd_monitor {
    _opaque: [u8; 0],
}

impl Handle for phifd_monitor {
    type Object = Monitor;
    const KIND: u64 = 2;
}

pub(crate) fn monitor<'a>(m: *const phifd_monitor) -> Result<&'a Monitor, CError> {
    handle::get(m, "monitor")
}

/// Copies the leading `size` bytes of `value` into `*out`, whose `size` field says how much the
/// caller's struct holds; the `size` field written back is the number of bytes written.
fn write_versioned<T: Copy>(out: *mut T, value: T, min_size: usize, name: &str) -> Result<(), CError> {
    if out.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: `out` is non-NULL and points to at least 4 readable bytes (the `size` field first).
    let caller_size = unsafe { out.cast::<u32>().read_unaligned() } as usize;
    if caller_size < min_size {
        return Err(CError::new(
            PHIFD_ERR_BUFFER_TOO_SMALL,
            format!("`{name}->size` is {caller_size}; set it to sizeof the struct (at least {min_size})"),
        ));
    }
    let n = caller_size.min(std::mem::size_of::<T>());
    // SAFETY: the caller promises `size` writable bytes at `out`; we copy at most that many.
    unsafe {
        std::ptr::copy_nonoverlapping((&value as *const T).cast::<u8>(), out.cast::<u8>(), n);
        out.cast::<u32>().write_unaligned(n as u32);
    }
    Ok(())
}

/// Creates a monitor. `cfg` may be NULL for all defaults; the configuration is copied, so it may be
/// freed or changed afterwards. Validates the combination of settings: the suspect threshold must be
/// below the threshold, the max interval above the heartbeat interval, and the heartbeat timing rule
/// must hold (the time phi takes to reach the threshold on a steady history exceeds the heartbeat
/// interval, which exceeds a declared round trip). On success writes the new handle to `*out`; free
/// it with `phifd_monitor_free`.
/// Errors: `PHIFD_ERR_NULL_ARG` (`out`), `PHIFD_ERR_INVALID_HANDLE` (`cfg`), `PHIFD_ERR_INVALID_ARG`
/// (the message names the settings at fault).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_new(cfg: *const phifd_config, out: *mut *mut phifd_monitor) -> phifd_status {
    guard("phifd_monitor_new", || {
        let out = out_ref(out, "out")?;
        let m = if cfg.is_null() {
            Monitor::new(&Config::new())
        } else {
            Monitor::new(config_ref(cfg)?)
        }?;
        *out = handle::new::<phifd_monitor>(m)?;
        Ok(())
    })
}

/// Frees a monitor and every node in it. NULL, a handle already freed and a handle of another type
/// are ignored. Must not be called while another thread is using the monitor. Afterwards every call
/// with this handle (or a copy of it) fails with `PHIFD_ERR_INVALID_HANDLE`, even once its memory
/// and its slot are reused by new monitors; a freed handle costs no memory.
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_free(m: *mut phifd_monitor) {
    let _ = guard("phifd_monitor_free", || {
        handle::free(m);
        Ok(())
    });
}

/// Records a heartbeat from `node` carrying `generation`, received at `now_ns` (monotonic ns; take
/// it where the datagram was received, not where it is processed). An unknown node is added
/// (UNKNOWN -> ALIVE event). The interval since the previous arrival is learned unless phi had
/// already reached the threshold (Akka/normal estimators) or it exceeds the max interval.
/// A time earlier than the node's last arrival is accepted but learns nothing (never a negative
/// interval). A higher generation is a new incarnation: the history restarts, the gap is not
/// learned, and a `PHIFD_EVENT_RESTARTED` event is queued.
/// Errors (each changes nothing): `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_STALE_GENERATION` when `generation` is lower than the node's current one (answer the
/// sender with the current generation from `phifd_node_get_info`), `PHIFD_ERR_INVALID_ARG` when
/// `generation` exceeds `PHIFD_MAX_GENERATION` (2^48; counted as `rejected_bad_generation`),
/// `PHIFD_ERR_CAPACITY` for a new node when `max_nodes` nodes are monitored (counted as
/// `rejected_over_capacity`), `PHIFD_ERR_UNKNOWN_NODE` for a node not registered with
/// `phifd_node_add` under `PHIFD_MEMBERSHIP_FIXED` (counted as `rejected_unknown_node`).
#[no_mangle]
pub unsafe extern "C" fn phifd_heartbeat(
    m: *mut phifd_monitor,
    node: u64,
    generation: u64,
    now_ns: u64,
) -> phifd_status {
    guard("phifd_heartbeat", || {
        Ok(monitor(m)?.heartbeat(node, generation, now_ns)?)
    })
}

/// Records a heartbeat that carries a version: a counter the sender increments with every heartbeat
/// (as gossip protocols spread it; Cassandra's heartbeat version, memberlist's incarnation+sequence).
/// It counts only when `(generation, version)` is newer than anything seen for the node: the same
/// version relayed by fifty peers is one arrival, and an old version arriving late is ignored
/// (`*out_counted` false, status `PHIFD_OK`). When versions jump (several heartbeats happened between
/// two gossip rounds), the window learns the gap between observations, which is what silence is
/// judged by, and the per-heartbeat interval is estimated separately (`phifd_node_info`'s
/// `heartbeat_interval_ns`). A counted arrival refutes every suspicion report about the node.
/// `out_counted` may be NULL. Otherwise as `phifd_heartbeat`.
/// Errors: `PHIFD_ERR_NULL_ARG` (`m`), `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_STALE_GENERATION`,
/// `PHIFD_ERR_INVALID_ARG` (generation above `PHIFD_MAX_GENERATION`), `PHIFD_ERR_CAPACITY`,
/// `PHIFD_ERR_UNKNOWN_NODE` (fixed membership), as `phifd_heartbeat`.
#[no_mangle]
pub unsafe extern "C" fn phifd_heartbeat_version(
    m: *mut phifd_monitor,
    node: u64,
    generation: u64,
    version: u64,
    now_ns: u64,
    out_counted: *mut bool,
) -> phifd_status {
    guard("phifd_heartbeat_version", || {
        let counted = monitor(m)?.heartbeat_version(node, generation, version, now_ns)?;
        if !out_counted.is_null() {
            *out_ref(out_counted, "out_counted")? = counted;
        }
        Ok(())
    })
}

/// Records that peer `reporter` suspects `node` (suspicion spread by gossip). Independent
/// confirmations from distinct reporters shorten the silence needed to convict `node` by
/// Lifeguard's formula `max(min, max - (max - min) * ln(n + 1) / ln(k + 1))`, where `max` is the
/// node's own deadline, `min = confirmation_min_ratio * max` and `k = confirmations_expected`.
/// Duplicate reports from one reporter count once; at most `k` reporters are kept per node (memory
/// is bounded however many report); the node's next counted heartbeat clears them.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`,
/// `PHIFD_ERR_INVALID_ARG` (`reporter == node`).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_report_suspect(m: *mut phifd_monitor, node: u64, reporter: u64) -> phifd_status {
    guard("phifd_node_report_suspect", || {
        Ok(monitor(m)?.report_suspect(node, reporter)?)
    })
}

/// Sets the host's own health score, 0 (healthy) to `max_local_health` (default 7): raise it when
/// this host struggles (failed probes, event-loop lag, queue depth) and lower it when it recovers.
/// Every node's time to conviction is multiplied by `1 + score`, where the score is the host's plus
/// the monitor's own (raised by late polls and detected pauses), capped at `max_local_health`
/// (Lifeguard's local health multiplier). Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (above the maximum).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_set_local_health(m: *mut phifd_monitor, score: u32) -> phifd_status {
    guard("phifd_monitor_set_local_health", || {
        Ok(monitor(m)?.set_local_health(score)?)
    })
}

/// Writes the effective local health score (host's plus the monitor's own, capped) to `*out`.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_get_local_health(m: *const phifd_monitor, out: *mut u32) -> phifd_status {
    guard("phifd_monitor_get_local_health", || {
        let out = out_ref(out, "out")?;
        let v = monitor(m)?.local_health();
        *out = v;
        Ok(())
    })
}

/// Registers `node` at `now_ns` before its first heartbeat (state UNKNOWN), so that it becomes
/// FAILED if it never sends one within the first-heartbeat timeout. Registering a node that is
/// already monitored changes nothing. This is how nodes join under `PHIFD_MEMBERSHIP_FIXED`.
/// Errors (each changes nothing): `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (`generation` above `PHIFD_MAX_GENERATION`, 2^48), `PHIFD_ERR_CAPACITY`
/// (a new node while `max_nodes` nodes are monitored).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_add(
    m: *mut phifd_monitor,
    node: u64,
    generation: u64,
    now_ns: u64,
) -> phifd_status {
    guard("phifd_node_add", || Ok(monitor(m)?.add_node(node, generation, now_ns)?))
}

/// Stops monitoring `node` and forgets its history and generation. Pending events about it stay
/// queued. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_node_remove(m: *mut phifd_monitor, node: u64) -> phifd_status {
    guard("phifd_node_remove", || Ok(monitor(m)?.remove(node)?))
}

/// Writes the phi of `node` at `now_ns` to `*out`: never NaN, never negative, finite for every
/// finite time, non-decreasing in `now_ns` until the next heartbeat. A time before the last arrival
/// counts as zero silence. Before its first heartbeat a registered node's phi is computed from the
/// seed history since registration. Read-only.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_phi(m: *const phifd_monitor, node: u64, now_ns: u64, out: *mut f64) -> phifd_status {
    guard("phifd_phi", || {
        let out = out_ref(out, "out")?;
        *out = monitor(m)?.phi(node, now_ns)?;
        Ok(())
    })
}

/// Fills `*info` with `node`'s state, phi, generation and statistics as of `now_ns` (see
/// `phifd_node_info`; set `info->size` first). Read-only: the state is the one silence implies at
/// `now_ns`; events are produced by heartbeats and polls.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`,
/// `PHIFD_ERR_BUFFER_TOO_SMALL` (`info->size` below 96, the first version's size).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_get_info(
    m: *const phifd_monitor,
    node: u64,
    now_ns: u64,
    info: *mut phifd_node_info,
) -> phifd_status {
    guard("phifd_node_get_info", || {
        if info.is_null() {
            return Err(null_arg("info"));
        }
        let i = monitor(m)?.info(node, now_ns)?;
        let v = phifd_node_info {
            size: 0,
            state: i.state as u32,
            node: i.node,
            generation: i.generation,
            phi: i.phi,
            last_arrival_ns: i.last_arrival_ns.unwrap_or(0),
            silence_origin_ns: i.silence_origin_ns,
            samples: u64::from(i.samples),
            mean_ns: i.mean_ns,
            sd_ns: i.sd_ns,
            suspect_after_ns: i.suspect_after_ns,
            fail_after_ns: i.fail_after_ns,
            has_arrival: u32::from(i.last_arrival_ns.is_some()),
            reserved: 0,
            version: i.version,
            heartbeat_interval_ns: i.heartbeat_interval_ns,
            confirmations: i.confirmations,
            reserved2: 0,
        };
        write_versioned(info, v, NODE_INFO_V1_SIZE, "info")
    })
}

/// The inverse query: writes to `*out_ns` the silence after the node's last arrival (ns) at which
/// its phi first reaches `phi`, on its current history. With `phi` = the threshold this is "how
/// long until this node is declared dead"; 0 if phi is already there at zero silence;
/// `UINT64_MAX` if phi does not reach `phi` within the 64-bit nanosecond range (about 584 years of
/// silence): read it as "never".
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`,
/// `PHIFD_ERR_INVALID_ARG` (`phi` NaN, infinite or negative).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_time_until_phi(
    m: *const phifd_monitor,
    node: u64,
    phi: f64,
    out_ns: *mut u64,
) -> phifd_status {
    guard("phifd_node_time_until_phi", || {
        let out_ns = out_ref(out_ns, "out_ns")?;
        *out_ns = monitor(m)?.time_until_phi(node, phi)?;
        Ok(())
    })
}

/// Evaluates every node at `now_ns` and writes up to `cap` pending transitions, oldest first, to
/// `events`, and their number to `*written`. Transitions beyond `cap` stay queued for the next call
/// (check `phifd_monitor_get_stats`' `pending_events`, or call again until `*written < cap`).
/// `events` may be NULL only when `cap` is 0. The poll never holds a lock for more than a few
/// microseconds at a time, so heartbeats are not blocked behind it.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (`cap` events
/// exceed `PTRDIFF_MAX` bytes, or `events`/`written` is not aligned for its type; checked before
/// any event is taken from the queue).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_poll(
    m: *mut phifd_monitor,
    now_ns: u64,
    events: *mut phifd_event,
    cap: usize,
    written: *mut usize,
) -> phifd_status {
    guard("phifd_monitor_poll", || {
        let written = out_ref(written, "written")?;
        check_array(events.cast_const(), cap, "events", "cap", MAX_OBJECT_BYTES)?;
        let mon = monitor(m)?;
        let mut got = Vec::new();
        let n = mon.poll(now_ns, &mut got, cap);
        // SAFETY: checked pair of `cap` writable events (API contract); `n <= cap` are viewed.
        let dst = unsafe { slice_out(events, cap, n.min(got.len()), "events", "cap") }?;
        for (slot, e) in dst.iter_mut().zip(got.iter()) {
            slot.write(phifd_event::from(e));
        }
        *written = dst.len();
        Ok(())
    })
}

/// Writes the number of monitored nodes to `*out`.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_node_count(m: *const phifd_monitor, out: *mut u64) -> phifd_status {
    guard("phifd_monitor_node_count", || {
        let out = out_ref(out, "out")?;
        let n = monitor(m)?.node_count() as u64;
        *out = n;
        Ok(())
    })
}

/// Fills `*stats` with the monitor's counters (set `stats->size` first).
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_BUFFER_TOO_SMALL` (`stats->size`
/// below 40, the first version's size).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_get_stats(
    m: *const phifd_monitor,
    stats: *mut phifd_monitor_stats,
) -> phifd_status {
    guard("phifd_monitor_get_stats", || {
        if stats.is_null() {
            return Err(null_arg("stats"));
        }
        let s = monitor(m)?.stats();
        let v = phifd_monitor_stats {
            size: 0,
            reserved: 0,
            nodes: s.nodes,
            pending_events: s.pending_events,
            dropped_events: s.dropped_events,
            stale_heartbeats: s.stale_heartbeats,
            duplicate_heartbeats: s.duplicate_heartbeats,
            pauses_detected: s.pauses_detected,
            last_pause_start_ns: s.last_pause.start_ns,
            last_pause_end_ns: s.last_pause.end_ns,
            grace_until_ns: s.last_pause.grace_until_ns,
            local_health: s.local_health,
            reserved2: 0,
            rejected_over_capacity: s.rejected_over_capacity,
            rejected_unknown_node: s.rejected_unknown_node,
            rejected_bad_generation: s.rejected_bad_generation,
            rejected_malformed: s.rejected_malformed,
            rejected_bad_mac: s.rejected_bad_mac,
            rejected_unknown_key: s.rejected_unknown_key,
            rejected_replayed: s.rejected_replayed,
        };
        write_versioned(stats, v, MONITOR_STATS_V1_SIZE, "stats")
    })
}

/// Records `count` heartbeats in one call (for bindings where each call is expensive, such as
/// Python's ctypes): record `i` is node `nodes[i]`, generation `generations[i]`, received at
/// `times_ns[i]`, processed in order exactly as `phifd_heartbeat` would. Every record is processed
/// even if some fail. If `statuses` is not NULL it receives each record's status (`count`
/// elements). Returns `PHIFD_OK` if every record succeeded, else the status of the first failing
/// record (the message names its index). `count` may be 0 (then the arrays may be NULL). The arrays
/// must not overlap `statuses`.
/// Errors: `PHIFD_ERR_NULL_ARG` (an array is NULL with `count` > 0), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (`count` elements exceed `PTRDIFF_MAX` bytes, or an array is not aligned
/// for its element type: checked before any record is processed, nothing is recorded or written),
/// and the per-record statuses of `phifd_heartbeat` (including `PHIFD_ERR_INVALID_ARG` for a
/// generation above `PHIFD_MAX_GENERATION`, `PHIFD_ERR_CAPACITY` and `PHIFD_ERR_UNKNOWN_NODE`).
#[no_mangle]
pub unsafe extern "C" fn phifd_heartbeat_batch(
    m: *mut phifd_monitor,
    nodes: *const u64,
    generations: *const u64,
    times_ns: *const u64,
    count: usize,
    statuses: *mut phifd_status,
) -> phifd_status {
    guard("phifd_heartbeat_batch", || {
        let mon = monitor(m)?;
        // SAFETY (all four): checked pairs of `count` elements (API contract).
        let nodes = unsafe { slice_in(nodes, count, "nodes", "count", MAX_OBJECT_BYTES) }?;
        let gens = unsafe { slice_in(generations, count, "generations", "count", MAX_OBJECT_BYTES) }?;
        let times = unsafe { slice_in(times_ns, count, "times_ns", "count", MAX_OBJECT_BYTES) }?;
        let mut statuses = if statuses.is_null() {
            None
        } else {
            Some(unsafe { slice_out(statuses, count, count, "statuses", "count") }?)
        };
        let mut first: Option<CError> = None;
        for (i, ((&n, &g), &t)) in nodes.iter().zip(gens).zip(times).enumerate() {
            let st = match mon.heartbeat(n, g, t) {
                Ok(()) => 0,
                Err(e) => {
                    let code = status::code(e.status);
                    if first.is_none() {
                        first = Some(CError::new(code, format!("record {i}: {}", e.message)));
                    }
                    code
                }
            };
            if let Some(slot) = statuses.as_mut().and_then(|s| s.get_mut(i)) {
                slot.write(st);
            }
        }
        first.map_or(Ok(()), Err)
    })
}

/// Writes the phi of `count` nodes at one time `now_ns` to `out_phi` (`count` elements), as
/// `phifd_phi` would. An entry whose node is unknown gets NaN (so it cannot be mistaken for a
/// healthy node) and, if `statuses` is not NULL, `PHIFD_ERR_UNKNOWN_NODE` there. Returns
/// `PHIFD_OK` if every node was known, else `PHIFD_ERR_UNKNOWN_NODE` (the message names the first
/// index). `count` may be 0 (then the arrays may be NULL). `nodes` must not overlap the outputs.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`,
/// `PHIFD_ERR_INVALID_ARG` (`count` elements exceed `PTRDIFF_MAX` bytes, or an array is misaligned;
/// nothing is written).
#[no_mangle]
pub unsafe extern "C" fn phifd_phi_batch(
    m: *const phifd_monitor,
    nodes: *const u64,
    count: usize,
    now_ns: u64,
    out_phi: *mut f64,
    statuses: *mut phifd_status,
) -> phifd_status {
    guard("phifd_phi_batch", || {
        let mon = monitor(m)?;
        // SAFETY (all three): checked pairs of `count` elements (API contract).
        let nodes = unsafe { slice_in(nodes, count, "nodes", "count", MAX_OBJECT_BYTES) }?;
        let out_phi = unsafe { slice_out(out_phi, count, count, "out_phi", "count") }?;
        let mut statuses = if statuses.is_null() {
            None
        } else {
            Some(unsafe { slice_out(statuses, count, count, "statuses", "count") }?)
        };
        let mut first: Option<CError> = None;
        for (i, &n) in nodes.iter().enumerate() {
            let (v, st) = match mon.phi(n, now_ns) {
                Ok(v) => (v, 0),
                Err(e) => {
                    let code = status::code(e.status);
                    if first.is_none() {
                        first = Some(CError::new(code, format!("index {i}: {}", e.message)));
                    }
                    (f64::NAN, code)
                }
            };
            if let Some(slot) = out_phi.get_mut(i) {
                slot.write(v);
            }
            if let Some(slot) = statuses.as_mut().and_then(|s| s.get_mut(i)) {
                slot.write(st);
            }
        }
        first.map_or(Ok(()), Err)
    })
}
