//! QoS targets and live retuning of a running `phifd_monitor` (docs/qos.md).

use super::config::{config_ref, get_setting, phifd_config, with_config};
use super::monitor::{monitor, phifd_monitor};
use super::status::CError;
use super::{guard, in_ref, out_ref, phifd_status};
use crate::qos::{QosReport, QosTargets};

/// Detection-quality targets (Chen, Toueg and Aguilera's metrics), all in nanoseconds. Plain data,
/// 24 bytes; its layout is frozen.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_qos {
    /// Upper bound of the detection time T_D (a crash to the FAILED declaration), ns: 1 to 10^15.
    pub max_detection_ns: u64,
    /// Lower bound of the mean time between wrong FAILED declarations T_MR, ns (> 0): at most one
    /// wrong declaration per this much time on average (λ_M <= 1 / T_MR).
    pub min_mistake_recurrence_ns: u64,
    /// Upper bound of the mean mistake duration T_M (a wrong declaration to the heartbeat that
    /// refutes it), ns; 0 = no bound; at most 10^15.
    pub max_mistake_duration_ns: u64,
}

impl From<&phifd_qos> for QosTargets {
    fn from(q: &phifd_qos) -> Self {
        QosTargets {
            max_detection_ns: q.max_detection_ns,
            min_mistake_recurrence_ns: q.min_mistake_recurrence_ns,
            max_mistake_duration_ns: q.max_mistake_duration_ns,
        }
    }
}

impl From<QosTargets> for phifd_qos {
    fn from(t: QosTargets) -> Self {
        phifd_qos {
            max_detection_ns: t.max_detection_ns,
            min_mistake_recurrence_ns: t.min_mistake_recurrence_ns,
            max_mistake_duration_ns: t.max_mistake_duration_ns,
        }
    }
}

/// A node's detection quality as predicted from its window, filled by
/// `phifd_node_get_qos_report`. Plain data, 80 bytes; its layout is frozen.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct phifd_qos_report {
    /// 1 if the node is QoS-configured (its own targets or the monitor's), else 0.
    pub qos: u32,
    /// 1 if the targets are achievable on the current estimate, judged on `best_detection_ns` (the
    /// warm-up's hold does not make them infeasible); always 1 when `qos` is 0. Else 0.
    pub feasible: u32,
    /// The phi threshold in use (derived from the targets under QoS).
    pub threshold: f64,
    /// The suspect threshold in use.
    pub suspect_threshold: f64,
    /// Silence after the last arrival at which the node is declared FAILED, ns, before local health
    /// and confirmations (the deadline in use now).
    pub deadline_ns: u64,
    /// Predicted detection time T_D, ns: the deadline plus the one-way delay (half the declared
    /// round trip, 0 if none was declared).
    pub predicted_detection_ns: u64,
    /// Predicted mean time between wrong declarations T_MR, ns (`UINT64_MAX`: none expected).
    pub predicted_mistake_recurrence_ns: u64,
    /// Predicted mean mistake duration T_M, ns.
    pub predicted_mistake_duration_ns: u64,
    /// Shortest T_D that meets the mistake-rate bound on the current estimate, ns: the T_D of the
    /// deadline the node's history supports. Under QoS it equals `predicted_detection_ns` once the
    /// node is `established` and is at most that during the warm-up (the held deadline is longer);
    /// when `feasible` is 0 it says how far the bound on T_D is out of reach. Without QoS there is
    /// no bound and it equals `predicted_detection_ns`.
    pub best_detection_ns: u64,
    /// Fraction of heartbeats lost, from version gaps (`phifd_heartbeat_version`); 0 without
    /// versions or without QoS.
    pub loss_rate: f64,
    /// Intervals the estimate rests on: the window's length (below 32 the tail is the estimator's
    /// model alone), or, once a QoS node's long memory of large gaps is in use, the intervals seen
    /// over that memory's span (docs/qos.md).
    pub samples: u32,
    /// 1 once the node's QoS warm-up is over (`phifd_config_set_qos_warmup_ns`): the deadline is
    /// the one its history supports. 0 during the warm-up: the deadline is held longer (towards
    /// the T_D bound) and the mistake-rate prediction rests on less history than the bound is
    /// about. Always 1 when `qos` is 0.
    pub established: u32,
}

const _: () = assert!(std::mem::size_of::<phifd_qos>() == 24);
const _: () = assert!(std::mem::size_of::<phifd_qos_report>() == 80);

impl From<QosReport> for phifd_qos_report {
    fn from(r: QosReport) -> Self {
        phifd_qos_report {
            qos: u32::from(r.qos),
            feasible: u32::from(r.feasible),
            threshold: r.threshold,
            suspect_threshold: r.suspect_threshold,
            deadline_ns: r.deadline_ns,
            predicted_detection_ns: r.predicted_detection_ns,
            predicted_mistake_recurrence_ns: r.predicted_mistake_recurrence_ns,
            predicted_mistake_duration_ns: r.predicted_mistake_duration_ns,
            best_detection_ns: r.best_detection_ns,
            loss_rate: r.loss_rate,
            samples: r.samples,
            established: u32::from(r.established),
        }
    }
}

/// The targets behind `qos`, or `None` for NULL.
fn targets(qos: *const phifd_qos) -> Result<Option<QosTargets>, CError> {
    if qos.is_null() {
        return Ok(None);
    }
    Ok(Some(QosTargets::from(in_ref(qos, "qos")?)))
}

/// Configures every node of monitors created from `cfg` by QoS targets instead of the thresholds:
/// each node derives its own phi levels from its window so that its wrong declarations stay at most
/// one per `min_mistake_recurrence_ns`, with the shortest deadline (docs/qos.md). `qos` is copied;
/// NULL clears the targets (the default: judged by the thresholds). The thresholds keep their
/// other uses: the suspect level keeps their ratio, and the first-heartbeat timeout and the pause
/// defaults derive from the threshold.
/// Errors (the previous value is kept): `PHIFD_ERR_NULL_ARG` (`cfg`), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (`max_detection_ns` 0 or above 10^15, `min_mistake_recurrence_ns` 0,
/// `max_mistake_duration_ns` above 10^15; the message names the field), `PHIFD_ERR_INVALID_ARG` if
/// `qos` is not aligned for its type.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_qos(cfg: *mut phifd_config, qos: *const phifd_qos) -> phifd_status {
    with_config("phifd_config_set_qos", cfg, |c| -> Result<(), CError> {
        c.set_qos(targets(qos)?)?;
        Ok(())
    })
}

/// Writes the QoS targets of `cfg` to `*out` and whether any are set to `*is_set` (1) — all zero
/// and 0 when none are. Only reads the config: calls may run on several threads at once, but not
/// while a setter runs on the same config. Errors: `PHIFD_ERR_NULL_ARG` (`cfg`, `out` or `is_set`
/// NULL), `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (a misaligned pointer); the outputs
/// are then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_qos(
    cfg: *const phifd_config,
    out: *mut phifd_qos,
    is_set: *mut bool,
) -> phifd_status {
    guard("phifd_config_get_qos", || {
        let c = config_ref(cfg)?;
        let out = out_ref(out, "out")?;
        let is_set = out_ref(is_set, "is_set")?;
        let q = c.qos();
        *out = q.map(phifd_qos::from).unwrap_or_default();
        *is_set = q.is_some();
        Ok(())
    })
}

/// The value of `phifd_config_set_qos_warmup_ns` that selects the default warm-up,
/// `min(T_MR, 1 hour)` of each node's targets.
pub const PHIFD_QOS_WARMUP_DEFAULT: u64 = u64::MAX;

/// Sets the QoS warm-up of monitors created from `cfg`, ns: for this long after a QoS node's first
/// counted arrival its FAILED deadline is at least the T_D bound less the one-way delay (half the
/// declared round trip), scaled by `1 - watched / warmup`, so that it falls to what the node's
/// history supports by the end of the warm-up. A young history has not yet shown the rare gaps a
/// mistake-rate bound is about; the T_D bound is what the caller accepts as a detection time.
/// `PHIFD_QOS_WARMUP_DEFAULT` (the default): `min(T_MR, 1 hour)` of each node's targets (an hour
/// caps what a long T_MR costs in detection time; docs/qos.md, "Warm-up"); 0: no warm-up.
/// `phifd_qos_report.established` says when it is over. Errors (the previous value is kept):
/// `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (above 10^15 ns,
/// other than `PHIFD_QOS_WARMUP_DEFAULT`).
#[no_mangle]
pub unsafe extern "C" fn phifd_config_set_qos_warmup_ns(cfg: *mut phifd_config, warmup_ns: u64) -> phifd_status {
    with_config("phifd_config_set_qos_warmup_ns", cfg, |c| {
        let w = (warmup_ns != PHIFD_QOS_WARMUP_DEFAULT).then_some(warmup_ns);
        c.set_qos_warmup_ns(w).map(drop)
    })
}

/// Writes to `*out` the QoS warm-up in ns: the one set, or `PHIFD_QOS_WARMUP_DEFAULT` for the
/// default (`min(T_MR, 1 hour)` of each node's targets). Only reads the config: calls may run on
/// several threads at once, but not while a setter runs on the same config. Errors:
/// `PHIFD_ERR_NULL_ARG` (`cfg` or `out` NULL), `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG`
/// (a misaligned `out`); `*out` is then untouched.
#[no_mangle]
pub unsafe extern "C" fn phifd_config_get_qos_warmup_ns(cfg: *const phifd_config, out: *mut u64) -> phifd_status {
    get_setting("phifd_config_get_qos_warmup_ns", cfg, out, |c| {
        Ok(c.qos_warmup_ns().unwrap_or(PHIFD_QOS_WARMUP_DEFAULT))
    })
}

/// Changes the thresholds of every node that has no tuning of its own, on the running monitor:
/// windows, states and generations are kept; each node's state follows its new deadlines at its
/// next evaluation (a node already past its new FAILED deadline is declared at the next poll, the
/// event's time being the instant that deadline passed). Nodes registered later get these
/// thresholds. A monitor-wide QoS configuration (`phifd_monitor_set_qos`) is replaced by them.
/// The first-heartbeat timeout and the pause defaults derived at creation stay as they were.
/// Thread-safe; walks every node once (each locked briefly).
/// Errors (nothing changed): `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG`: a value NaN, infinite, below `DBL_MIN` (0, negative, subnormal) or above
/// 1e6, `suspect_threshold >= threshold`, or a threshold that breaks the timing rule (a steady
/// sender would be declared within one heartbeat interval).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_set_thresholds(
    m: *mut phifd_monitor,
    threshold: f64,
    suspect_threshold: f64,
) -> phifd_status {
    guard("phifd_monitor_set_thresholds", || {
        Ok(monitor(m)?.set_thresholds(threshold, suspect_threshold)?)
    })
}

/// Configures every node that has no tuning of its own by QoS targets on the running monitor
/// (`qos` copied), history kept: each node derives its phi levels from its window at once and again
/// as the window moves (every max(64, window/16) learned intervals). Nodes registered later are
/// QoS-configured too. NULL: back to the monitor's thresholds. Thread-safe; walks every node once.
/// Errors (nothing changed): `PHIFD_ERR_NULL_ARG` (`m`), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_INVALID_ARG` (targets as `phifd_config_set_qos` refuses them, or `qos` misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_monitor_set_qos(m: *mut phifd_monitor, qos: *const phifd_qos) -> phifd_status {
    guard("phifd_monitor_set_qos", || {
        let mon = monitor(m)?;
        let t = targets(qos)?;
        Ok(mon.set_qos(t)?)
    })
}

/// Gives `node` thresholds of its own, history kept; monitor-wide retuning then passes it by until
/// `phifd_node_clear_tuning`. Otherwise as `phifd_monitor_set_thresholds`.
/// Errors (nothing changed): those of `phifd_monitor_set_thresholds`, and `PHIFD_ERR_UNKNOWN_NODE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_node_set_thresholds(
    m: *mut phifd_monitor,
    node: u64,
    threshold: f64,
    suspect_threshold: f64,
) -> phifd_status {
    guard("phifd_node_set_thresholds", || {
        Ok(monitor(m)?.set_node_thresholds(node, threshold, suspect_threshold)?)
    })
}

/// Gives `node` QoS targets of its own (`qos` copied), history kept; monitor-wide retuning then
/// passes it by until `phifd_node_clear_tuning`. NULL: the node keeps to the monitor's thresholds as
/// they are now, as its own tuning, even when the monitor is QoS-configured. The suspect level keeps
/// the ratio of the thresholds the node was judged by.
/// Errors (nothing changed): `PHIFD_ERR_NULL_ARG` (`m`), `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_UNKNOWN_NODE`, `PHIFD_ERR_INVALID_ARG` (targets as `phifd_config_set_qos` refuses them).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_set_qos(m: *mut phifd_monitor, node: u64, qos: *const phifd_qos) -> phifd_status {
    guard("phifd_node_set_qos", || {
        let mon = monitor(m)?;
        let t = targets(qos)?;
        Ok(mon.set_node_qos(node, t)?)
    })
}

/// Drops `node`'s own tuning (set by `phifd_node_set_thresholds` or `phifd_node_set_qos`): it is
/// judged by the monitor's thresholds or QoS targets again, history kept. A node without a tuning
/// of its own is left as it is. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`,
/// `PHIFD_ERR_UNKNOWN_NODE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_node_clear_tuning(m: *mut phifd_monitor, node: u64) -> phifd_status {
    guard("phifd_node_clear_tuning", || Ok(monitor(m)?.clear_node_tuning(node)?))
}

/// Fills `*out` with what `node`'s window predicts of its detection quality at the deadline in use
/// (see `phifd_qos_report` and docs/qos.md): the levels and deadline, predicted T_D, T_MR and T_M,
/// whether its QoS targets are met and the shortest T_D that meets its mistake-rate bound. For a
/// QoS-configured node the predictions are those of its last derivation; for another node they are
/// computed at the call (O(window)). `now_ns` is the query time (monotonic ns); the report depends
/// on the node's history only. Read-only. Errors: `PHIFD_ERR_NULL_ARG` (`m`, `out`),
/// `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_UNKNOWN_NODE`, `PHIFD_ERR_INVALID_ARG` (`out` misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_node_get_qos_report(
    m: *const phifd_monitor,
    node: u64,
    now_ns: u64,
    out: *mut phifd_qos_report,
) -> phifd_status {
    guard("phifd_node_get_qos_report", || {
        let out = out_ref(out, "out")?;
        let r = monitor(m)?.qos_report(node, now_ns)?;
        *out = phifd_qos_report::from(r);
        Ok(())
    })
}
