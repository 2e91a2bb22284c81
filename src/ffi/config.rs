//! `phifd_config`: the opaque configuration builder.

use super::handle::{self, Handle};
use super::status::CError;
use super::{guard, out_ref, phifd_status};
use crate::config::{Config, Membership};
use crate::estimator::Estimator;

/// Estimator code (`uint32_t`), one of the `PHIFD_ESTIMATOR_*` values.
pub type phifd_estimator = u32;
/// Akka/Pekko-compatible: logistic approximation of the normal tail, `mean + acceptable pause`,
/// `max(sd, min_std_deviation)`, bootstrap history `est - est/4`, `est + est/4`, and no interval is
/// learned when phi at arrival is at or above the threshold. The default.
pub const PHIFD_ESTIMATOR_AKKA: phifd_estimator = 0;
/// The exact normal tail `-log10(0.5*erfc(y/sqrt(2)))`, evaluated in log space (finite for every
/// finite elapsed time). Same window rules as `PHIFD_ESTIMATOR_AKKA`.
pub const PHIFD_ESTIMATOR_NORMAL: phifd_estimator = 1;
/// Cassandra-compatible exponential model: `phi = elapsed / mean / ln(10)`. Intervals longer
/// than the max interval (default 2 x heartbeat interval) are dropped, not clamped.
pub const PHIFD_ESTIMATOR_EXPONENTIAL: phifd_estimator = 2;

/// Membership mode code (`uint32_t`), one of the `PHIFD_MEMBERSHIP_*` values.
pub type phifd_membership = u32;
/// A heartbeat from an unknown id registers it, up to `max_nodes` nodes. The default.
pub const PHIFD_MEMBERSHIP_OPEN: phifd_membership = 0;
/// Only ids registered with `phifd_node_add` are accepted: a heartbeat from any other id returns
/// `PHIFD_ERR_UNKNOWN_NODE`, changes nothing and is counted (`rejected_unknown_node`). For
/// fixed-membership clusters, and for any deployment where the peer list is known, so that
/// datagrams with made-up ids cost nothing.
pub const PHIFD_MEMBERSHIP_FIXED: phifd_membership = 1;

/// Configuration builder for a monitor (opaque). Create with `phifd_config_new`, set what
/// differs from the defaults, pass to `phifd_monitor_new` (which copies it), free with
/// `phifd_config_free`. Not thread-safe while being modified: do not call setters on one
/// config from two threads at once; reading it in `phifd_monitor_new` from several threads is fine.
pub struct phifd_config {
    _opaque: [u8; 0],
}

impl Handle for phifd_config {
    type Object = Config;
    const KIND: u64 = 1;
}

/// Creates a configuration with every setting at its default (see the README's settings table).
/// On success writes a new handle to `*out`; free it with `phifd_config_free`.
/// Errors: `PHIFD_ERR_NULL_ARG` if `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_new(out: *mut *mut phifd_config) -> phifd_status {
    guard("phifd_config_new", || {
        let out = out_ref(out, "out")?;
        *out = handle::new::<phifd_config>(Config::new())?;
        Ok(())
    })
}

/// Frees a configuration. NULL, and a handle already freed, are ignored. Monitors created from
/// it are unaffected (they hold their own copy).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_free(cfg: *mut phifd_config) {
    let _ = guard("phifd_config_free", || {
        handle::free(cfg);
        Ok(())
    });
}

/// Runs the setter `f` on the config behind `cfg`; `f` fails with a core or a C error.
pub(super) fn with_config<E: Into<CError>>(
    function: &str,
    cfg: *mut phifd_config,
    f: impl FnOnce(&mut Config) -> Result<(), E>,
) -> phifd_status {
    guard(function, || {
        // SAFETY: configs are documented as not shared between threads while modified.
        let c = unsafe { handle::get_mut(cfg, "cfg") }?;
        f(c).map_err(Into::into)
    })
}

pub(crate) fn config_ref<'a>(cfg: *const phifd_config) -> Result<&'a Config, CError> {
    handle::get(cfg, "cfg")
}

/// Chooses the estimator (`PHIFD_ESTIMATOR_*`). Default `PHIFD_ESTIMATOR_AKKA`.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` for an unknown code.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_estimator(
    cfg: *mut phifd_config,
    estimator: phifd_estimator,
) -> phifd_status {
    with_config("phifd_config_set_estimator", cfg, |c| {
        let e = match estimator {
            PHIFD_ESTIMATOR_AKKA => Estimator::Akka,
            PHIFD_ESTIMATOR_NORMAL => Estimator::Normal,
            PHIFD_ESTIMATOR_EXPONENTIAL => Estimator::Exponential,
            _ => {
                return Err(CError::invalid(format!(
                    "estimator: unknown code {estimator} (valid: 0 akka, 1 normal, 2 exponential)"
                )))
            }
        };
        c.set_estimator(e);
        Ok::<(), CError>(())
    })
}

/// Sets the conviction threshold: a node is FAILED when its phi is at or above it. Default 8.
/// Must be finite, at least `DBL_MIN` (2.2e-308: a subnormal level is refused) and <= 1e6. Errors:
/// `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (NaN, infinite, <= 0,
/// subnormal, too large).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_threshold(cfg: *mut phifd_config, threshold: f64) -> phifd_status {
    with_config("phifd_config_set_threshold", cfg, |c| {
        c.set_threshold(threshold).map(drop)
    })
}

/// Sets the suspicion threshold: a node is SUSPECT when its phi is at or above it (and below the
/// threshold). Default threshold / 2. Must be finite and >= `DBL_MIN`; `phifd_monitor_new` checks that it is
/// below the threshold. Errors as `phifd_config_set_threshold`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_suspect_threshold(cfg: *mut phifd_config, threshold: f64) -> phifd_status {
    with_config("phifd_config_set_suspect_threshold", cfg, |c| {
        c.set_suspect_threshold(threshold).map(drop)
    })
}

/// Sets how many inter-arrival intervals each node remembers (1 to 1,048,576). Default 1000.
/// Memory per node is about 4 bytes per interval once the window has filled.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0 or too large).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_window(cfg: *mut phifd_config, window: u64) -> phifd_status {
    with_config("phifd_config_set_window", cfg, |c| c.set_window(window).map(drop))
}

/// Sets the expected heartbeat interval in nanoseconds (>= 1000 ns). Default 1 s. It is also the
/// first estimate: every node starts (and restarts) with a history seeded from it.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_heartbeat_interval_ns(
    cfg: *mut phifd_config,
    interval_ns: u64,
) -> phifd_status {
    with_config("phifd_config_set_heartbeat_interval_ns", cfg, |c| {
        c.set_heartbeat_interval_ns(interval_ns).map(drop)
    })
}

/// Sets the floor of the standard deviation used by phi, in nanoseconds (> 0). Default: heartbeat
/// interval / 4 (the seed history's sd; conviction after about 2.2-2.4 intervals of silence on a
/// perfectly regular sender at threshold 8). Akka's default is 100 ms at a 1 s interval. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_min_std_deviation_ns(cfg: *mut phifd_config, sd_ns: u64) -> phifd_status {
    with_config("phifd_config_set_min_std_deviation_ns", cfg, |c| {
        c.set_min_std_deviation_ns(sd_ns).map(drop)
    })
}

/// Sets the acceptable pause added to the learned mean, in nanoseconds (0 allowed). Default 0.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (over 11.6 days).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_acceptable_pause_ns(cfg: *mut phifd_config, pause_ns: u64) -> phifd_status {
    with_config("phifd_config_set_acceptable_pause_ns", cfg, |c| {
        c.set_acceptable_pause_ns(pause_ns).map(drop)
    })
}

/// Sets the longest interval that is learned, in nanoseconds; longer intervals are dropped (not
/// clamped). Default: 2 x heartbeat interval for `PHIFD_ESTIMATOR_EXPONENTIAL`, none otherwise.
/// `phifd_monitor_new` checks that it exceeds the heartbeat interval.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_max_interval_ns(cfg: *mut phifd_config, max_ns: u64) -> phifd_status {
    with_config("phifd_config_set_max_interval_ns", cfg, |c| {
        c.set_max_interval_ns(max_ns).map(drop)
    })
}

/// Declares the network round-trip time in nanoseconds, so that `phifd_monitor_new` can enforce the
/// timing rule `timeout > heartbeat interval > round trip`. Optional.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_round_trip_ns(cfg: *mut phifd_config, rtt_ns: u64) -> phifd_status {
    with_config("phifd_config_set_round_trip_ns", cfg, |c| {
        c.set_round_trip_ns(rtt_ns).map(drop)
    })
}

/// Sets how long a node registered with `phifd_node_add` may stay silent before its first
/// heartbeat before it becomes FAILED, in nanoseconds. Default: the time the seeded history takes
/// to reach the threshold. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_first_heartbeat_timeout_ns(
    cfg: *mut phifd_config,
    timeout_ns: u64,
) -> phifd_status {
    with_config("phifd_config_set_first_heartbeat_timeout_ns", cfg, |c| {
        c.set_first_heartbeat_timeout_ns(timeout_ns).map(drop)
    })
}

/// Sets how many consecutive heartbeats a FAILED node must deliver to be ALIVE again (1 to 255;
/// SUSPECT in between). Default 2. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_recovery_heartbeats(cfg: *mut phifd_config, heartbeats: u32) -> phifd_status {
    with_config("phifd_config_set_recovery_heartbeats", cfg, |c| {
        c.set_recovery_heartbeats(heartbeats).map(drop)
    })
}

/// Sets the gap between two calls on the monitor (heartbeats or polls), ns, beyond which the monitor
/// concludes that its own process was paused (GC, CPU starvation, SIGSTOP); the gap must also exceed
/// 4 x the usual gap between polls, and nothing is judged before 8 polls have shown the cadence.
/// After a pause, no node is convicted for the grace period and no interval spanning the pause is
/// learned. Default: half the steady timeout (the time phi takes to reach the threshold on a steady
/// history), the shortest pause that together with ordinary jitter can convict a healthy peer.
/// Poll regularly (at least every heartbeat interval) for this to work.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (0).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_local_pause_threshold_ns(
    cfg: *mut phifd_config,
    threshold_ns: u64,
) -> phifd_status {
    with_config("phifd_config_set_local_pause_threshold_ns", cfg, |c| {
        c.set_local_pause_threshold_ns(threshold_ns).map(drop)
    })
}

/// Sets how long after a detected local pause no node is convicted, ns (0 allowed). Default:
/// 2 x the steady timeout, so every healthy peer gets two full timeouts to deliver a heartbeat.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_local_pause_grace_ns(cfg: *mut phifd_config, grace_ns: u64) -> phifd_status {
    with_config("phifd_config_set_local_pause_grace_ns", cfg, |c| {
        c.set_local_pause_grace_ns(grace_ns).map(drop)
    })
}

/// Sets the burst fraction in [0, 1): an interval shorter than this fraction of the learned mean is
/// not learned (the arrival still counts). Default 0.25: a sender on its own timer never sends four
/// times faster, so such intervals are bursts delivered after a pause, which would drag the mean
/// down and inflate the variance. 0 learns every interval.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_burst_fraction(cfg: *mut phifd_config, fraction: f64) -> phifd_status {
    with_config("phifd_config_set_burst_fraction", cfg, |c| {
        c.set_burst_fraction(fraction).map(drop)
    })
}

/// Sets the largest local health score (0 to 64; default 7, so convicting takes at most 8 x longer,
/// Lifeguard's model). Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_max_local_health(cfg: *mut phifd_config, max_score: u32) -> phifd_status {
    with_config("phifd_config_set_max_local_health", cfg, |c| {
        c.set_max_local_health(max_score).map(drop)
    })
}

/// Sets `k`, the number of independent suspicion confirmations after which conviction needs only
/// the minimum silence (1 to 64; default 3, memberlist's). Errors: `PHIFD_ERR_NULL_ARG`,
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_confirmations_expected(cfg: *mut phifd_config, k: u32) -> phifd_status {
    with_config("phifd_config_set_confirmations_expected", cfg, |c| {
        c.set_confirmations_expected(k).map(drop)
    })
}

/// Sets `min / max` in (0, 1]: the fraction of its own deadline after which a node with `k`
/// confirmations is convicted. Default 0.5: peers' evidence counts, but never outweighs our own
/// recent arrivals entirely. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG`.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_confirmation_min_ratio(cfg: *mut phifd_config, ratio: f64) -> phifd_status {
    with_config("phifd_config_set_confirmation_min_ratio", cfg, |c| {
        c.set_confirmation_min_ratio(ratio).map(drop)
    })
}

/// Sets the most nodes the monitor holds, 1 to 67,108,864 (2^26). Default 65,536: a node costs
/// about 4 KB once its default 1000-sample window is full (about 410 B after one heartbeat), so
/// a flood of heartbeats with made-up ids costs at most about 265 MB, and every poll visits every
/// node; typical clusters are a few thousand nodes. Beyond it a heartbeat
/// (`phifd_heartbeat`, `_version`, `_batch`) or `phifd_node_add` of a new id returns
/// `PHIFD_ERR_CAPACITY`, changes nothing and is counted (`rejected_over_capacity`); known nodes are
/// unaffected. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`
/// (0 or above 2^26).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_max_nodes(cfg: *mut phifd_config, max_nodes: u64) -> phifd_status {
    with_config("phifd_config_set_max_nodes", cfg, |c| {
        c.set_max_nodes(max_nodes).map(drop)
    })
}

/// Sets the membership mode, `PHIFD_MEMBERSHIP_OPEN` (default) or `PHIFD_MEMBERSHIP_FIXED` (only
/// nodes registered with `phifd_node_add` are accepted). Errors: `PHIFD_ERR_NULL_ARG`,
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` for an unknown code.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_membership(
    cfg: *mut phifd_config,
    membership: phifd_membership,
) -> phifd_status {
    with_config("phifd_config_set_membership", cfg, |c| {
        let m = match membership {
            PHIFD_MEMBERSHIP_OPEN => Membership::Open,
            PHIFD_MEMBERSHIP_FIXED => Membership::Fixed,
            _ => {
                return Err(CError::invalid(format!(
                    "membership: unknown code {membership} (valid: 0 open, 1 fixed)"
                )))
            }
        };
        c.set_membership(m);
        Ok::<(), CError>(())
    })
}

// Getters: one per setter, so bindings read the configuration instead of keeping a copy of it.

/// Reads a setting through `get` into `*out`: the handle and `out` are checked first, and
/// `*out` is written only on success.
pub(super) fn get_setting<T>(
    function: &str,
    cfg: *const phifd_config,
    out: *mut T,
    get: impl FnOnce(&Config) -> Result<T, crate::error::Error>,
) -> phifd_status {
    guard(function, || {
        let c = config_ref(cfg)?;
        let out = out_ref(out, "out")?;
        *out = get(c)?;
        Ok(())
    })
}

/// Writes to `*out` the estimator code (`PHIFD_ESTIMATOR_*`). Default `PHIFD_ESTIMATOR_AKKA`. Only
/// reads the config: calls may run on several threads at once, but not while a setter runs on the
/// same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`;
/// `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_estimator(
    cfg: *const phifd_config,
    out: *mut phifd_estimator,
) -> phifd_status {
    get_setting("phifd_config_get_estimator", cfg, out, |c| Ok(c.estimator() as u32))
}

/// Writes to `*out` the conviction threshold. Default 8. Only reads the config: calls may run on
/// several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_threshold(cfg: *const phifd_config, out: *mut f64) -> phifd_status {
    get_setting("phifd_config_get_threshold", cfg, out, |c| Ok(c.threshold()))
}

/// Writes to `*out` the suspicion threshold: the one set, or else the current threshold / 2 (it
/// follows `phifd_config_set_threshold` until it is set). Only reads the config: calls may run on
/// several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_suspect_threshold(cfg: *const phifd_config, out: *mut f64) -> phifd_status {
    get_setting("phifd_config_get_suspect_threshold", cfg, out, |c| {
        Ok(c.suspect_threshold())
    })
}

/// Writes to `*out` the window length in intervals. Default 1000. Only reads the config: calls may
/// run on several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_window(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_window", cfg, out, |c| Ok(c.window()))
}

/// Writes to `*out` the expected heartbeat interval in nanoseconds. Default 1,000,000,000 (1 s).
/// Only reads the config: calls may run on several threads at once, but not while a setter runs on
/// the same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`;
/// `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_heartbeat_interval_ns(
    cfg: *const phifd_config,
    out: *mut u64,
) -> phifd_status {
    get_setting("phifd_config_get_heartbeat_interval_ns", cfg, out, |c| {
        Ok(c.heartbeat_interval_ns())
    })
}

/// Writes to `*out` the floor of the standard deviation in nanoseconds: the one set, or else the
/// current heartbeat interval / 4 (at least 1). Only reads the config: calls may run on several
/// threads at once, but not while a setter runs on the same config. Errors: `PHIFD_ERR_NULL_ARG`
/// (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_min_std_deviation_ns(
    cfg: *const phifd_config,
    out: *mut u64,
) -> phifd_status {
    get_setting("phifd_config_get_min_std_deviation_ns", cfg, out, |c| {
        Ok(c.min_std_deviation_ns())
    })
}

/// Writes to `*out` the acceptable pause in nanoseconds. Default 0. Only reads the config: calls
/// may run on several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_acceptable_pause_ns(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_acceptable_pause_ns", cfg, out, |c| {
        Ok(c.acceptable_pause_ns())
    })
}

/// Writes to `*out` the longest learned interval in nanoseconds: the one set, or else 2 x the
/// current heartbeat interval with `PHIFD_ESTIMATOR_EXPONENTIAL` and 0 with the other estimators. 0
/// means no limit (the setter refuses 0, so it is never a stored value). Only reads the config:
/// calls may run on several threads at once, but not while a setter runs on the same config.
/// Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_max_interval_ns(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_max_interval_ns", cfg, out, |c| {
        Ok(c.max_interval_ns().unwrap_or(0))
    })
}

/// Writes to `*out` the declared round trip in nanoseconds, or 0 if none was declared (the default;
/// the setter refuses 0). Only reads the config: calls may run on several threads at once, but not
/// while a setter runs on the same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL),
/// `PHIFD_ERR_INVALID_HANDLE`; `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_round_trip_ns(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_round_trip_ns", cfg, out, |c| {
        Ok(c.round_trip_ns().unwrap_or(0))
    })
}

/// Writes to `*out` the first-heartbeat timeout in nanoseconds: the one set, or else the default
/// `phifd_monitor_new` would derive from the current settings (the time the seeded history takes to
/// reach the threshold). Only reads the config: calls may run on several threads at once, but not
/// while a setter runs on the same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL),
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` when the value was not set and its default
/// cannot be derived because the settings do not combine (the message is the one
/// `phifd_monitor_new` would give); `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_first_heartbeat_timeout_ns(
    cfg: *const phifd_config,
    out: *mut u64,
) -> phifd_status {
    get_setting("phifd_config_get_first_heartbeat_timeout_ns", cfg, out, |c| {
        c.first_heartbeat_timeout_ns()
    })
}

/// Writes to `*out` the heartbeats a FAILED node must deliver to be ALIVE again. Default 2. Only
/// reads the config: calls may run on several threads at once, but not while a setter runs on the
/// same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`;
/// `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_recovery_heartbeats(cfg: *const phifd_config, out: *mut u32) -> phifd_status {
    get_setting("phifd_config_get_recovery_heartbeats", cfg, out, |c| {
        Ok(c.recovery_heartbeats())
    })
}

/// Writes to `*out` the local pause threshold in nanoseconds: the one set, or else the default
/// `phifd_monitor_new` would derive from the current settings (half the steady timeout). Only reads
/// the config: calls may run on several threads at once, but not while a setter runs on the same
/// config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` when the value was not set and its default cannot be derived because the
/// settings do not combine (the message is the one `phifd_monitor_new` would give); `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_local_pause_threshold_ns(
    cfg: *const phifd_config,
    out: *mut u64,
) -> phifd_status {
    get_setting("phifd_config_get_local_pause_threshold_ns", cfg, out, |c| {
        c.local_pause_threshold_ns()
    })
}

/// Writes to `*out` the grace after a local pause in nanoseconds: the one set, or else the default
/// `phifd_monitor_new` would derive from the current settings (2 x the steady timeout). Only reads
/// the config: calls may run on several threads at once, but not while a setter runs on the same
/// config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` when the value was not set and its default cannot be derived because the
/// settings do not combine (the message is the one `phifd_monitor_new` would give); `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_local_pause_grace_ns(
    cfg: *const phifd_config,
    out: *mut u64,
) -> phifd_status {
    get_setting("phifd_config_get_local_pause_grace_ns", cfg, out, |c| {
        c.local_pause_grace_ns()
    })
}

/// Writes to `*out` the burst fraction. Default 0.25. Only reads the config: calls may run on
/// several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_burst_fraction(cfg: *const phifd_config, out: *mut f64) -> phifd_status {
    get_setting("phifd_config_get_burst_fraction", cfg, out, |c| Ok(c.burst_fraction()))
}

/// Writes to `*out` the largest local health score. Default 7. Only reads the config: calls may run
/// on several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_max_local_health(cfg: *const phifd_config, out: *mut u32) -> phifd_status {
    get_setting("phifd_config_get_max_local_health", cfg, out, |c| {
        Ok(c.max_local_health())
    })
}

/// Writes to `*out` `k`, the expected number of suspicion confirmations. Default 3. Only reads the
/// config: calls may run on several threads at once, but not while a setter runs on the same
/// config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out`
/// is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_confirmations_expected(
    cfg: *const phifd_config,
    out: *mut u32,
) -> phifd_status {
    get_setting("phifd_config_get_confirmations_expected", cfg, out, |c| {
        Ok(c.confirmations_expected())
    })
}

/// Writes to `*out` `min / max` of the confirmation rule. Default 0.5. Only reads the config: calls
/// may run on several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_confirmation_min_ratio(
    cfg: *const phifd_config,
    out: *mut f64,
) -> phifd_status {
    get_setting("phifd_config_get_confirmation_min_ratio", cfg, out, |c| {
        Ok(c.confirmation_min_ratio())
    })
}

/// Writes to `*out` the most nodes a monitor holds. Default 65,536. Only reads the config: calls
/// may run on several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`; `*out` is then
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_max_nodes(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_max_nodes", cfg, out, |c| Ok(c.max_nodes()))
}

/// Writes to `*out` the membership mode (`PHIFD_MEMBERSHIP_*`). Default `PHIFD_MEMBERSHIP_OPEN`.
/// Only reads the config: calls may run on several threads at once, but not while a setter runs on
/// the same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`;
/// `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_membership(
    cfg: *const phifd_config,
    out: *mut phifd_membership,
) -> phifd_status {
    get_setting("phifd_config_get_membership", cfg, out, |c| Ok(c.membership() as u32))
}
