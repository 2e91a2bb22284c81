//! `phifd eval --qos`: replays traces through real [`phifd::Monitor`]s configured with
//! Chen–Toueg–Aguilera QoS targets (an upper bound on the detection time T_D, a lower
//! bound on the mean time between wrong suspicions T_MR, optionally an upper bound on
//! the mistake duration T_M) and measures, per node and overall, what was requested
//! against what was achieved.
//!
//! Nothing of the library's learning or QoS derivation is copied here: each trace is
//! fed, arrival by arrival in receive-time order, to one `Monitor` through its public
//! API (`heartbeat_version` with the sequence number + 1 as the version, `poll`,
//! `info`, `qos_report`), and the metrics are computed from the events it emits.
//!
//! Metric definitions are those of [`crate::eval`] (same observed period, warm-up,
//! crash injection and T_D rule), with these differences, all forced by replaying a
//! whole monitor instead of one threshold's deadline:
//! - a *mistake* is a transition of a node to FAILED at an instant `f` (the event time:
//!   the deadline instant, not the poll time) that is followed by another arrival of
//!   the node (`f` ≤ its last arrival), i.e. a FAILED declaration the sender
//!   disproves. SUSPECT is not counted. It lasts (T_M) until the event that takes the
//!   node out of FAILED (the next counted arrival), or to the node's last arrival;
//! - arrivals carry versions, so a heartbeat older than one already counted (reordered)
//!   is ignored by the monitor, as `heartbeat_version` documents; `eval`'s phi
//!   detectors count every arrival;
//! - T_D of an injected crash at `c`: the FAILED deadline the monitor holds right after
//!   the last arrival of a heartbeat sent before `c` (`info`: last arrival +
//!   `fail_after_ns`), minus `c`; T_D of a crash marked in the trace: the time of the
//!   monitor's final FAILED event minus the marked instant (a real declaration);
//! - the monitor's local-pause guard and local health are switched off
//!   (`local_pause_threshold_ns` at its maximum, `max_local_health` 0): they react to
//!   the replaying process's own scheduling, which a trace does not record.
//!
//! λ_M is reported per hour of failure-free (observed) time with an exact Poisson 95 %
//! confidence interval; "within the run's statistical error" means the lower end of the
//! two-sided 95 % interval (a one-sided 97.5 % bound) is at or below the requested rate.

use crate::detect::{phi_config, Params};
use crate::eval::{crash_points, EvalOptions};
use crate::report::jnum;
use crate::trace::Stream;
use phifd::{Config, Estimator, EventKind, Monitor, State};
use std::collections::BinaryHeap;
use std::fmt::Write;

/// The QoS targets of `--qos T_D,T_MR[,T_M]`, ns (the library's `QosTargets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Upper bound on the detection time T_D, ns (> 0).
    pub max_detection_ns: u64,
    /// Lower bound on the mean time between wrong suspicions T_MR, ns (> 0): λ_M ≤ 1/T_MR.
    pub min_mistake_recurrence_ns: u64,
    /// Upper bound on the mean mistake duration T_M, ns; 0 = no bound.
    pub max_mistake_duration_ns: u64,
}

impl Targets {
    /// The requested mistake rate bound, per hour (3600 s / T_MR).
    pub fn lambda_per_hour(&self) -> f64 {
        3600e9 / self.min_mistake_recurrence_ns as f64
    }
}

/// Parses `T_D,T_MR[,T_M]`: durations with units as every duration of the tool
/// (`500ms,1h` or `0.4s,10m,2s`). Errors name the field and what is expected.
pub fn parse_targets(s: &str) -> Result<Targets, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "--qos {s:?}: expected T_D,T_MR[,T_M], durations with units, e.g. 500ms,1h or 500ms,1h,2s \
             (T_D: the detection-time bound; T_MR: the shortest acceptable mean time between wrong \
             suspicions; T_M: the longest acceptable mean mistake duration)"
        ));
    }
    let field = |i: usize, name: &str| -> Result<u64, String> {
        let v = crate::parse_duration(parts[i]).map_err(|e| format!("--qos {name}: {e}"))?;
        if v == 0 {
            return Err(format!("--qos {name} must be > 0 (got {:?})", parts[i]));
        }
        Ok(v)
    };
    Ok(Targets {
        max_detection_ns: field(0, "T_D")?,
        min_mistake_recurrence_ns: field(1, "T_MR")?,
        max_mistake_duration_ns: if parts.len() == 3 { field(2, "T_M")? } else { 0 },
    })
}

/// What the replay reads from the library's per-node QoS report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checkpoint {
    /// When it was taken, s since the node's first arrival.
    pub at_s: f64,
    /// The node is QoS-configured.
    pub qos: bool,
    /// The targets were achievable at that time.
    pub feasible: bool,
    /// FAILED phi threshold in use.
    pub threshold: f64,
    /// Silence after the last arrival at which the node is declared FAILED, s.
    pub deadline_s: f64,
    /// The library's predicted T_D, s.
    pub predicted_detection_s: f64,
    /// Shortest T_D meeting the mistake-rate bound, s.
    pub best_detection_s: f64,
    /// Loss rate from version gaps.
    pub loss_rate: f64,
    /// Intervals the estimate rests on.
    pub samples: u32,
    /// The node's QoS warm-up was over (its deadline the one its history supports).
    pub established: bool,
}

/// The bridge to the library's QoS API (the only two places it is called).
mod lib {
    use super::Targets;
    use phifd::{Config, Monitor, QosReport, QosTargets};

    pub fn set_qos(c: &mut Config, t: Targets) -> Result<(), String> {
        c.set_qos(Some(QosTargets {
            max_detection_ns: t.max_detection_ns,
            min_mistake_recurrence_ns: t.min_mistake_recurrence_ns,
            max_mistake_duration_ns: t.max_mistake_duration_ns,
        }))
        .map_err(|e| e.to_string())
    }

    pub fn report(m: &Monitor, node: u64, now_ns: u64) -> Option<QosReport> {
        m.qos_report(node, now_ns).ok()
    }
}

fn checkpoint(m: &Monitor, node: u64, now_ns: u64, first_ns: u64) -> Option<Checkpoint> {
    let r = lib::report(m, node, now_ns)?;
    Some(Checkpoint {
        at_s: now_ns.saturating_sub(first_ns) as f64 / 1e9,
        qos: r.qos,
        feasible: r.feasible,
        threshold: r.threshold,
        deadline_s: r.deadline_ns as f64 / 1e9,
        predicted_detection_s: r.predicted_detection_ns as f64 / 1e9,
        best_detection_s: r.best_detection_ns as f64 / 1e9,
        loss_rate: r.loss_rate,
        samples: r.samples,
        established: r.established,
    })
}

/// One FAILED declaration of a node: when (the event time) and when the node left
/// FAILED again (`None`: it did not, before the end of the replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    /// Event time of the transition to FAILED, ns.
    pub at_ns: u64,
    /// Event time of the transition out of FAILED, ns.
    pub until_ns: Option<u64>,
}

/// Mistake metrics of one node, from its FAILED declarations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mistakes {
    /// Observed failure-free time, ns (last arrival − max(first arrival, warm-up end)).
    pub observed_ns: u64,
    /// Wrong FAILED declarations counted.
    pub count: u64,
    /// Their instants, ns.
    pub at_ns: Vec<u64>,
    /// Their durations (T_M), ns.
    pub durations_ns: Vec<u64>,
}

/// Counts the wrong declarations among `decl` (in time order) of a node whose
/// arrivals span `[first_ns, last_ns]`, ignoring those before `first_ns + warmup_ns`:
/// a declaration at `f` is wrong if `f ≤ last_ns` (an arrival followed it); it lasts
/// until it ended, or to `last_ns`. A pure function of its inputs (the definition of
/// the module documentation).
pub fn count_mistakes(first_ns: u64, last_ns: u64, warmup_ns: u64, decl: &[Declaration]) -> Mistakes {
    let warm = first_ns.saturating_add(warmup_ns);
    let mut m = Mistakes {
        observed_ns: last_ns.saturating_sub(warm),
        ..Mistakes::default()
    };
    for d in decl {
        if d.at_ns > last_ns || d.at_ns < warm {
            continue;
        }
        let end = d.until_ns.unwrap_or(last_ns).min(last_ns);
        m.count += 1;
        m.at_ns.push(d.at_ns);
        m.durations_ns.push(end.saturating_sub(d.at_ns));
    }
    m
}

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// P(N ≤ k) for N ~ Poisson(mu): the regularised upper incomplete gamma Q(k + 1, mu),
/// by its series (mu < k + 2) or continued fraction (Numerical Recipes' split).
pub fn poisson_cdf(k: u64, mu: f64) -> f64 {
    if mu <= 0.0 {
        return 1.0;
    }
    let a = k as f64 + 1.0;
    let lead = (a * mu.ln() - mu - ln_gamma(a)).exp();
    if mu < a + 1.0 {
        // P(a, mu) by the series; Q = 1 − P.
        let mut sum = 1.0 / a;
        let mut term = sum;
        let mut n = a;
        for _ in 0..100_000 {
            n += 1.0;
            term *= mu / n;
            sum += term;
            if term < sum * 1e-16 {
                break;
            }
        }
        (1.0 - lead * sum).clamp(0.0, 1.0)
    } else {
        // Q(a, mu) by Lentz's continued fraction.
        let tiny = 1e-300;
        let mut b = mu + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (lead * h).clamp(0.0, 1.0)
    }
}

/// Exact (Garwood) one-sided Poisson bounds on the mean of a count `k`: the upper
/// bound `u` with P(N ≤ k; u) = 1 − conf, and the lower bound `l` with
/// P(N ≥ k; l) = 1 − conf (0 for k = 0). By bisection on [`poisson_cdf`].
pub fn poisson_bounds(k: u64, conf: f64) -> (f64, f64) {
    let alpha = 1.0 - conf;
    let kf = k as f64;
    let hi = kf + 20.0 * (kf + 1.0).sqrt() + 20.0;
    // The mu in [0, hi] where the decreasing function f crosses `target`.
    let solve = |f: &dyn Fn(f64) -> f64, target: f64| {
        let (mut lo, mut up) = (0.0, hi);
        for _ in 0..200 {
            let mid = 0.5 * (lo + up);
            if f(mid) > target {
                lo = mid
            } else {
                up = mid
            }
        }
        0.5 * (lo + up)
    };
    let upper = solve(&|mu| poisson_cdf(k, mu), alpha);
    // P(N >= k; mu) = alpha  <=>  P(N <= k - 1; mu) = 1 - alpha.
    let lower = if k == 0 {
        0.0
    } else {
        solve(&|mu| poisson_cdf(k - 1, mu), 1.0 - alpha)
    };
    (lower, upper)
}

/// The results of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeResult {
    /// Node id.
    pub node: u64,
    /// Its first arrival, ns.
    pub first_ns: u64,
    /// Mistakes and observed time.
    pub mistakes: Mistakes,
    /// Of the mistakes, how many the library reported infeasible targets for, queried
    /// just before the arrival that found the node past its deadline.
    pub mistakes_reported_infeasible: u64,
    /// T_D of the injected crashes, ns.
    pub t_d_ns: Vec<u64>,
    /// T_D of the crash marked in the trace, ns (a real FAILED declaration).
    pub t_d_marked_ns: Option<u64>,
    /// The library's QoS report at regular points of the run.
    pub checkpoints: Vec<Checkpoint>,
    /// Arrivals the monitor ignored (versions not newer than one counted).
    pub ignored: u64,
}

/// Aggregate figures of a set of node results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Observed failure-free time, h.
    pub observed_h: f64,
    /// Mistakes.
    pub mistakes: u64,
    /// λ_M per hour.
    pub lambda_per_h: f64,
    /// Exact Poisson 95 % two-sided interval of λ_M per hour (lower, upper).
    pub lambda_ci_per_h: (f64, f64),
    /// Mean and max T_M, s (NaN without mistakes).
    pub t_m_s: (f64, f64),
    /// Mean and max T_D of the injected crashes, s (NaN without).
    pub t_d_s: (f64, f64),
    /// Number of injected crashes.
    pub crashes: usize,
}

/// Sums the mistakes and crashes of `nodes` (all of them pooled).
pub fn summarise<'a>(nodes: impl IntoIterator<Item = &'a NodeResult>) -> Summary {
    let mut obs = 0u64;
    let mut k = 0u64;
    let mut tm: Vec<u64> = Vec::new();
    let mut td: Vec<u64> = Vec::new();
    for n in nodes {
        obs += n.mistakes.observed_ns;
        k += n.mistakes.count;
        tm.extend(&n.mistakes.durations_ns);
        td.extend(&n.t_d_ns);
    }
    let h = obs as f64 / 3600e9;
    let mean_max = |v: &[u64]| {
        if v.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (
                v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64 / 1e9,
                *v.iter().max().unwrap_or(&0) as f64 / 1e9,
            )
        }
    };
    let (lo, up) = poisson_bounds(k, 0.975);
    Summary {
        observed_h: h,
        mistakes: k,
        lambda_per_h: if h > 0.0 { k as f64 / h } else { f64::NAN },
        lambda_ci_per_h: if h > 0.0 {
            (lo / h, up / h)
        } else {
            (f64::NAN, f64::NAN)
        },
        t_m_s: mean_max(&tm),
        t_d_s: mean_max(&td),
        crashes: td.len(),
    }
}

/// How a node (or the whole run) fared against the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// λ_M within the run's statistical error of the bound, mean T_D within its bound
    /// (and mean T_M within its bound, if one was set).
    Met,
    /// A bound was missed, but the library reported the targets infeasible for the
    /// node before: at a checkpoint before the first mistake (or, when only T_D or T_M
    /// was missed, at any checkpoint) or at every mistake.
    ReportedInfeasible,
    /// A bound was missed without an infeasibility report.
    Missed,
}

impl Verdict {
    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::ReportedInfeasible => "infeasible (reported)",
            Verdict::Missed => "MISSED",
        }
    }
}

/// Which bounds `s` meets under `t`: (λ_M, T_D, T_M).
pub fn bounds_met(s: &Summary, t: &Targets) -> (bool, bool, bool) {
    // A NaN (nothing observed, no crash, no mistake) fails no bound.
    let at_most = |x: f64, bound: f64| x.is_nan() || x <= bound;
    let lam = at_most(s.lambda_ci_per_h.0, t.lambda_per_hour());
    let td = at_most(s.t_d_s.0, t.max_detection_ns as f64 / 1e9);
    let tm = t.max_mistake_duration_ns == 0 || at_most(s.t_m_s.0, t.max_mistake_duration_ns as f64 / 1e9);
    (lam, td, tm)
}

/// The verdict of one node.
pub fn verdict(n: &NodeResult, t: &Targets) -> Verdict {
    let s = summarise([n]);
    let (lam, td, tm) = bounds_met(&s, t);
    if lam && td && tm {
        return Verdict::Met;
    }
    // Checkpoint times are relative to the node's first arrival.
    let first_mistake_s = n
        .mistakes
        .at_ns
        .first()
        .map_or(f64::INFINITY, |&f| f.saturating_sub(n.first_ns) as f64 / 1e9);
    let before_first = n
        .checkpoints
        .iter()
        .any(|c| c.qos && !c.feasible && c.at_s <= first_mistake_s);
    let at_every = n.mistakes.count > 0 && n.mistakes_reported_infeasible == n.mistakes.count;
    let any = n.checkpoints.iter().any(|c| c.qos && !c.feasible);
    let excused = if lam { any } else { before_first || at_every };
    if excused {
        Verdict::ReportedInfeasible
    } else {
        Verdict::Missed
    }
}

/// How to replay.
#[derive(Debug, Clone)]
pub struct QosOptions {
    /// The targets (None: the monitor runs on its thresholds, as configured by `params`).
    pub targets: Option<Targets>,
    /// Estimator of the monitor.
    pub estimator: Estimator,
    /// Window, interval, sd floor, acceptable pause (as `eval`'s phi detectors).
    pub params: Params,
    /// Crash injection, seed and warm-up (as `eval`).
    pub eval: EvalOptions,
    /// QoS reports taken per node, evenly spaced over its arrivals (the last at its last arrival).
    pub checkpoints: usize,
    /// The library's QoS warm-up, ns (`None`: its default, `min(T_MR, 1 h)`).
    pub qos_warmup_ns: Option<u64>,
}

/// The monitor configuration the replay uses: `eval`'s phi settings, the pause guard and
/// local health off, and the targets. Errors: a setting the library refuses.
pub fn monitor_config(o: &QosOptions) -> Result<Config, String> {
    let mut c = phi_config(o.estimator, &o.params)?;
    c.set_local_pause_threshold_ns(phifd::config::MAX_DURATION_NS)
        .map_err(|e| e.to_string())?;
    c.set_max_local_health(0).map_err(|e| e.to_string())?;
    if let Some(t) = o.targets {
        lib::set_qos(&mut c, t).map_err(|e| format!("the library refuses the QoS targets: {e}"))?;
    }
    c.set_qos_warmup_ns(o.qos_warmup_ns)
        .map_err(|e| format!("the library refuses the QoS warm-up: {e}"))?;
    Ok(c)
}

#[derive(Default)]
struct NodeState {
    decl: Vec<Declaration>,
    deadline: u64,
    infeasible_at: Vec<(u64, bool)>,
    checkpoints: Vec<Checkpoint>,
    next_cp: usize,
    t_d: Vec<u64>,
    ignored: u64,
}

fn take_events(m: &Monitor, now: u64, idx: &std::collections::HashMap<u64, usize>, st: &mut [NodeState]) {
    let mut ev = Vec::new();
    m.poll(now, &mut ev, usize::MAX);
    for e in ev {
        let Some(&i) = idx.get(&e.node) else { continue };
        if e.kind != EventKind::StateChanged && e.kind != EventKind::Restarted {
            continue;
        }
        let d = &mut st[i].decl;
        if e.to == State::Failed && e.from != State::Failed {
            d.push(Declaration {
                at_ns: e.time_ns,
                until_ns: None,
            });
        } else if e.from == State::Failed && e.to != State::Failed {
            if let Some(last) = d.last_mut() {
                if last.until_ns.is_none() {
                    last.until_ns = Some(e.time_ns);
                }
            }
        }
    }
}

/// Replays the streams of one trace (distinct node ids) through one monitor configured
/// by [`monitor_config`], arrivals of all nodes merged in receive-time order. Errors: a
/// refused setting, duplicate node ids, or a heartbeat the library refuses.
pub fn replay(streams: &[Stream], o: &QosOptions) -> Result<Vec<NodeResult>, String> {
    let cfg = monitor_config(o)?;
    let m = Monitor::new(&cfg).map_err(|e| e.to_string())?;
    let mut idx = std::collections::HashMap::new();
    for (i, s) in streams.iter().enumerate() {
        if idx.insert(s.node, i).is_some() {
            return Err(format!(
                "node {} appears in two streams: replay each trace on its own",
                s.node
            ));
        }
    }
    let mut st: Vec<NodeState> = streams.iter().map(|_| NodeState::default()).collect();
    let crashes: Vec<Vec<(usize, u64, bool)>> = streams
        .iter()
        .map(|s| crash_points(s, o.eval.crashes, o.eval.seed, o.eval.warmup_ns))
        .collect();
    let mut ci = vec![0usize; streams.len()];
    // Checkpoint arrival indices per stream: k·n/checkpoints − 1, k = 1..=checkpoints.
    let cps: Vec<Vec<usize>> = streams
        .iter()
        .map(|s| {
            let n = s.recv.len();
            let c = o.checkpoints.min(n);
            (1..=c).map(|k| (k * n / c.max(1)).max(1) - 1).collect()
        })
        .collect();
    // Min-heap over (next receive time, stream, index).
    let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize, usize)>> = streams
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.recv.is_empty())
        .map(|(k, s)| std::cmp::Reverse((s.recv[0], k, 0)))
        .collect();
    let mut since_poll = 0u32;
    let mut now = 0u64;
    while let Some(std::cmp::Reverse((t, k, i))) = heap.pop() {
        let s = &streams[k];
        now = now.max(t);
        let node = s.node;
        let ns = &mut st[k];
        if i > 0 && t >= ns.deadline {
            // The node is past its FAILED deadline: what did the library say about the
            // targets just before this arrival disproves the declaration?
            let feasible = lib::report(&m, node, t).is_none_or(|r| !r.qos || r.feasible);
            ns.infeasible_at.push((ns.deadline, !feasible));
        }
        let counted = m
            .heartbeat_version(node, 1, s.seq[i].saturating_add(1), t)
            .map_err(|e| format!("node {node}: heartbeat at {t} ns refused: {e}"))?;
        if !counted {
            ns.ignored += 1;
        }
        let info = m.info(node, t).map_err(|e| e.to_string())?;
        ns.deadline = info.last_arrival_ns.unwrap_or(t).saturating_add(info.fail_after_ns);
        let cr = &crashes[k];
        while ci[k] < cr.len() && cr[ci[k]].0 == i {
            let (_, c, marked) = cr[ci[k]];
            if !marked {
                ns.t_d.push(ns.deadline.saturating_sub(c));
            }
            ci[k] += 1;
        }
        if ns.next_cp < cps[k].len() && cps[k][ns.next_cp] == i {
            if let Some(c) = checkpoint(&m, node, t, s.recv[0]) {
                ns.checkpoints.push(c);
            }
            ns.next_cp += 1;
        }
        if i + 1 < s.recv.len() {
            heap.push(std::cmp::Reverse((s.recv[i + 1], k, i + 1)));
        }
        since_poll += 1;
        if since_poll >= 4096 {
            since_poll = 0;
            take_events(&m, now, &idx, &mut st);
        }
    }
    // Far enough past every deadline that each silent node is declared.
    let end = st.iter().map(|n| n.deadline).max().unwrap_or(now).max(now);
    take_events(&m, end.saturating_add(1_000_000_000), &idx, &mut st);
    let mut out = Vec::with_capacity(streams.len());
    for (k, s) in streams.iter().enumerate() {
        let ns = &st[k];
        let (Some(&first), Some(&last)) = (s.recv.first(), s.recv.last()) else {
            continue;
        };
        let mistakes = count_mistakes(first, last, o.eval.warmup_ns, &ns.decl);
        let reported = mistakes
            .at_ns
            .iter()
            .filter(|&&f| ns.infeasible_at.iter().any(|&(d, inf)| inf && d == f))
            .count() as u64;
        let t_d_marked_ns = s.crash_ns.and_then(|c| {
            ns.decl
                .iter()
                .rev()
                .find(|d| d.at_ns > last)
                .map(|d| d.at_ns.saturating_sub(c))
        });
        out.push(NodeResult {
            node: s.node,
            first_ns: first,
            mistakes,
            mistakes_reported_infeasible: reported,
            t_d_ns: ns.t_d.clone(),
            t_d_marked_ns,
            checkpoints: ns.checkpoints.clone(),
            ignored: ns.ignored,
        });
    }
    Ok(out)
}

fn f3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "-".into()
    }
}

/// The per-node table of a replay under `t` (one row per node, then all nodes pooled).
pub fn table(label: &str, nodes: &[NodeResult], t: &Targets) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{label}: requested T_D <= {:.3} s, T_MR >= {:.1} s (lambda_M <= {:.3}/h){}",
        t.max_detection_ns as f64 / 1e9,
        t.min_mistake_recurrence_ns as f64 / 1e9,
        t.lambda_per_hour(),
        if t.max_mistake_duration_ns > 0 {
            format!(", T_M <= {:.3} s", t.max_mistake_duration_ns as f64 / 1e9)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "{:>6} {:>8} {:>5} {:>9} {:>17} {:>8} {:>8} {:>8} {:>9} {:>8} {:>13} {:>10}  verdict",
        "node",
        "obs_h",
        "mist",
        "lambda/h",
        "95% CI /h",
        "T_D mean",
        "T_D max",
        "T_D mark",
        "T_M mean",
        "pred T_D",
        "feasible cps",
        "inf@mist"
    );
    let row = |o: &mut String, name: String, s: &Summary, marked: Option<f64>, n: Option<&NodeResult>, v: &str| {
        let cps = n.map_or(String::new(), |n| {
            let q = n.checkpoints.iter().filter(|c| c.qos).count();
            let f = n.checkpoints.iter().filter(|c| c.qos && c.feasible).count();
            format!("{f}/{q}")
        });
        let pred = n
            .and_then(|n| n.checkpoints.last())
            .map_or(f64::NAN, |c| c.predicted_detection_s);
        let inf = n.map_or(String::new(), |n| {
            format!("{}/{}", n.mistakes_reported_infeasible, n.mistakes.count)
        });
        let _ = writeln!(
            o,
            "{:>6} {:>8.2} {:>5} {:>9.3} {:>17} {:>8} {:>8} {:>8} {:>9} {:>8} {:>13} {:>10}  {v}",
            name,
            s.observed_h,
            s.mistakes,
            s.lambda_per_h,
            format!("{:.3}-{:.3}", s.lambda_ci_per_h.0, s.lambda_ci_per_h.1),
            f3(s.t_d_s.0),
            f3(s.t_d_s.1),
            marked.map_or("-".into(), f3),
            f3(s.t_m_s.0),
            f3(pred),
            cps,
            inf
        );
    };
    for n in nodes {
        let s = summarise([n]);
        row(
            &mut o,
            n.node.to_string(),
            &s,
            n.t_d_marked_ns.map(|x| x as f64 / 1e9),
            Some(n),
            verdict(n, t).name(),
        );
    }
    let all = summarise(nodes);
    let v = overall_verdict(nodes, t);
    row(&mut o, "all".into(), &all, None, None, v.name());
    o
}

/// The run's verdict: `Met` if every node met the targets, `Missed` if any missed them
/// without a report, else `ReportedInfeasible`.
pub fn overall_verdict(nodes: &[NodeResult], t: &Targets) -> Verdict {
    let v: Vec<Verdict> = nodes.iter().map(|n| verdict(n, t)).collect();
    if v.contains(&Verdict::Missed) {
        Verdict::Missed
    } else if v.contains(&Verdict::ReportedInfeasible) {
        Verdict::ReportedInfeasible
    } else {
        Verdict::Met
    }
}

/// The replay as JSON: targets, every node (summary, verdict, checkpoints) and the pooled
/// summary, then `extra` (further members, each `"key": value`, comma-separated; may be empty).
pub fn json(label: &str, nodes: &[NodeResult], t: &Targets, extra: &str) -> String {
    let sum = |s: &Summary| {
        format!(
            "\"observed_h\": {}, \"mistakes\": {}, \"lambda_m_per_h\": {}, \"lambda_m_ci95_per_h\": [{}, {}], \
             \"t_m_mean_s\": {}, \"t_m_max_s\": {}, \"t_d_mean_s\": {}, \"t_d_max_s\": {}, \"crashes\": {}",
            jnum(s.observed_h),
            s.mistakes,
            jnum(s.lambda_per_h),
            jnum(s.lambda_ci_per_h.0),
            jnum(s.lambda_ci_per_h.1),
            jnum(s.t_m_s.0),
            jnum(s.t_m_s.1),
            jnum(s.t_d_s.0),
            jnum(s.t_d_s.1),
            s.crashes
        )
    };
    let mut o = String::new();
    let _ = writeln!(o, "{{");
    let _ = writeln!(
        o,
        "  \"trace\": \"{}\",",
        label.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let _ = writeln!(
        o,
        "  \"targets\": {{\"max_detection_ns\": {}, \"min_mistake_recurrence_ns\": {}, \"max_mistake_duration_ns\": {}, \"lambda_m_per_h\": {}}},",
        t.max_detection_ns,
        t.min_mistake_recurrence_ns,
        t.max_mistake_duration_ns,
        jnum(t.lambda_per_hour())
    );
    let _ = writeln!(o, "  \"nodes\": [");
    for (i, n) in nodes.iter().enumerate() {
        let cps: Vec<String> = n
            .checkpoints
            .iter()
            .map(|c| {
                format!(
                    "{{\"at_s\": {}, \"qos\": {}, \"feasible\": {}, \"threshold\": {}, \"deadline_s\": {}, \"predicted_detection_s\": {}, \"best_detection_s\": {}, \"loss_rate\": {}, \"samples\": {}, \"established\": {}}}",
                    jnum(c.at_s),
                    c.qos,
                    c.feasible,
                    jnum(c.threshold),
                    jnum(c.deadline_s),
                    jnum(c.predicted_detection_s),
                    jnum(c.best_detection_s),
                    jnum(c.loss_rate),
                    c.samples,
                    c.established
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "    {{\"node\": {}, {}, \"t_d_marked_s\": {}, \"mistakes_reported_infeasible\": {}, \"ignored_arrivals\": {}, \"verdict\": \"{}\", \"checkpoints\": [{}]}}{}",
            n.node,
            sum(&summarise([n])),
            n.t_d_marked_ns.map_or("null".into(), |x| jnum(x as f64 / 1e9)),
            n.mistakes_reported_infeasible,
            n.ignored,
            verdict(n, t).name(),
            cps.join(", "),
            if i + 1 < nodes.len() { "," } else { "" }
        );
    }
    let _ = writeln!(o, "  ],");
    let _ = write!(
        o,
        "  \"all\": {{{}, \"verdict\": \"{}\"}}",
        sum(&summarise(nodes)),
        overall_verdict(nodes, t).name()
    );
    if extra.is_empty() {
        let _ = writeln!(o);
    } else {
        let _ = writeln!(o, ",\n  {extra}");
    }
    let _ = writeln!(o, "}}");
    o
}

/// A global-threshold candidate of `phifd tune`: its settings and its evaluated sweep.
pub type Candidate = (Params, Estimator, crate::eval::DetectorResult);

/// The best single global threshold at a mistake rate, chosen with hindsight on the
/// same trace from `phifd tune`'s candidates.
#[derive(Debug, Clone)]
pub struct GlobalAt {
    /// The smallest mean T_D, s, any candidate needs to keep λ_M at or below the rate,
    /// interpolated along its frontier ([`crate::eval::td_at_lambda`]); NaN if none gets there.
    pub td_mean_s: f64,
    /// Which candidate (estimator, sd floor, window).
    pub label: String,
    /// `phifd tune --max-mistake-rate` at that rate: the best level of the sweep (no interpolation).
    pub pick: Option<crate::tune::Recommendation>,
}

fn candidate_label(p: &Params, est: Estimator) -> String {
    format!(
        "{} (window {}, sd floor {})",
        est.name(),
        p.window,
        p.min_sd_ns
            .map_or("interval/4".into(), |v| format!("{:.1} ms", v as f64 / 1e6))
    )
}

/// The best global threshold of `all` at `lambda_per_s`.
pub fn global_at(all: &[Candidate], lambda_per_s: f64) -> GlobalAt {
    let mut best = (f64::NAN, String::new());
    for (p, est, r) in all {
        if let Some(td) = crate::eval::td_at_lambda(r, lambda_per_s) {
            if best.0.is_nan() || td < best.0 {
                best = (td, candidate_label(p, *est));
            }
        }
    }
    GlobalAt {
        td_mean_s: best.0,
        label: best.1,
        pick: crate::tune::pick(all, crate::tune::Goal::MaxMistakeRate(lambda_per_s)),
    }
}

/// The lower envelope of every candidate's levels: `(mean T_D s, λ_M 1/s)` with λ_M
/// strictly decreasing as T_D grows.
pub fn global_envelope(all: &[Candidate]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = all
        .iter()
        .flat_map(|c| crate::eval::frontier(&c.2).into_iter().map(|p| (p.0, p.1)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for p in pts {
        if out.last().is_none_or(|l| p.1 < l.1) {
            out.push(p);
        }
    }
    out
}

/// The comparison chart: λ_M per hour against mean T_D for the best global thresholds
/// (the envelope of `phifd tune`'s candidates) and one point per QoS target level
/// (`(label, mean T_D s, λ_M per s)`), with a horizontal line at each requested rate
/// (`(per hour, label)`). A rate of 0 is drawn at `floor_per_h` (say so in the caption).
pub fn comparison_chart(
    title: &str,
    envelope: &[(f64, f64)],
    qos: &[(String, f64, f64)],
    requested: &[(f64, String)],
    floor_per_h: f64,
) -> crate::svg::Chart {
    use crate::svg::{Chart, Series};
    let mut c = Chart::new(
        title,
        "mean detection time T_D (s)",
        "wrong FAILED declarations per hour",
        true,
        true,
    );
    let y = |l: f64| (l * 3600.0).max(floor_per_h);
    c.series.push(Series {
        name: "best global threshold".into(),
        points: envelope.iter().map(|p| (p.0, y(p.1))).collect(),
        markers_only: false,
    });
    for (name, td, l) in qos {
        c.series.push(Series {
            name: name.clone(),
            points: vec![(*td, y(*l))],
            markers_only: true,
        });
    }
    c.h_lines.extend(requested.iter().cloned());
    c
}

/// QoS settings suggested for a trace by `phifd tune --qos`, and how they did on it.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The targets to configure.
    pub targets: Targets,
    /// How T_D was chosen (for the printout).
    pub why: String,
    /// The replay of the trace with these targets.
    pub nodes: Vec<NodeResult>,
}

/// The T_MR levels `phifd tune --qos --max-detection-time` tries, longest first.
pub const TMR_GRID_S: &[u64] = &[
    86_400, 43_200, 21_600, 7_200, 3_600, 1_800, 600, 300, 120, 60, 30, 10, 5, 2, 1,
];

/// Rounds ns up to a whole number of milliseconds (at least 1 ms).
fn ceil_ms(ns: f64) -> u64 {
    ((ns / 1e6).ceil().max(1.0) as u64) * 1_000_000
}

/// The largest best-achievable T_D the library reported for any node at its last
/// checkpoint, ns, and that node.
fn slowest(nodes: &[NodeResult]) -> Option<(u64, f64)> {
    nodes
        .iter()
        .filter_map(|n| n.checkpoints.last().map(|c| (n.node, c.best_detection_s * 1e9)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// All nodes' last reports say feasible.
fn all_feasible(nodes: &[NodeResult]) -> bool {
    nodes
        .iter()
        .all(|n| n.checkpoints.last().is_some_and(|c| c.qos && c.feasible))
}

/// Suggests QoS targets for `streams` under `goal` (the bound `phifd tune` was given):
/// - a mistake-rate bound λ: T_MR = 1/λ; T_D = the slowest node's best achievable T_D
///   at that rate, as the library reports it at the end of a replay with a loose T_D
///   (an hour), plus `margin` (a fraction), rounded up to a millisecond;
/// - a detection-time bound t: T_D = t; T_MR = the longest of [`TMR_GRID_S`] for which
///   every node's last report says the targets are feasible.
///
/// The final targets are replayed once more, so the printout says what they achieve on
/// this trace. `o.targets` is ignored. Errors: as [`replay`]; `Ok(None)` when no T_MR
/// of the grid is feasible for every node.
pub fn suggest(
    streams: &[Stream],
    goal: crate::tune::Goal,
    margin: f64,
    o: &QosOptions,
) -> Result<Option<Suggestion>, String> {
    let run = |t: Targets| {
        let mut oo = o.clone();
        oo.targets = Some(t);
        replay(streams, &oo)
    };
    match goal {
        crate::tune::Goal::MaxMistakeRate(rate) => {
            if !(rate > 0.0 && rate.is_finite()) {
                return Err(format!(
                    "--max-mistake-rate must be a positive rate per second, got {rate}"
                ));
            }
            let tmr = ceil_ms(1e9 / rate);
            let loose = run(Targets {
                max_detection_ns: 3_600_000_000_000,
                min_mistake_recurrence_ns: tmr,
                max_mistake_duration_ns: 0,
            })?;
            let Some((node, best)) = slowest(&loose) else {
                return Err("the library gave no QoS report for any node".into());
            };
            let t = Targets {
                max_detection_ns: ceil_ms(best * (1.0 + margin)),
                min_mistake_recurrence_ns: tmr,
                max_mistake_duration_ns: 0,
            };
            let why = format!(
                "the slowest node's best achievable T_D at this mistake rate (node {node}: {:.3} s, library's report at the end of the trace) + {:.0} %",
                best / 1e9,
                margin * 100.0
            );
            Ok(Some(Suggestion {
                targets: t,
                why,
                nodes: run(t)?,
            }))
        }
        crate::tune::Goal::MaxDetectionTime(td_s) => {
            if !(td_s > 0.0 && td_s.is_finite()) {
                return Err(format!("--max-detection-time must be > 0, got {td_s} s"));
            }
            for &s in TMR_GRID_S {
                let t = Targets {
                    max_detection_ns: ceil_ms(td_s * 1e9),
                    min_mistake_recurrence_ns: s * 1_000_000_000,
                    max_mistake_duration_ns: 0,
                };
                let r = run(t)?;
                if all_feasible(&r) {
                    return Ok(Some(Suggestion {
                        targets: t,
                        why: format!(
                            "the longest T_MR of the grid ({} s ... 1 s) every node's report calls feasible with this T_D",
                            TMR_GRID_S[0]
                        ),
                        nodes: r,
                    }));
                }
            }
            Ok(None)
        }
    }
}

/// The targets as code for Rust, C, Python and Go.
pub fn snippets(t: &Targets) -> String {
    let (d, r, m) = (
        t.max_detection_ns,
        t.min_mistake_recurrence_ns,
        t.max_mistake_duration_ns,
    );
    let mut o = String::new();
    let _ = writeln!(o, "Rust:");
    let _ = writeln!(
        o,
        "    config.set_qos(Some(phifd::QosTargets {{ max_detection_ns: {d}, min_mistake_recurrence_ns: {r}, max_mistake_duration_ns: {m} }}))?;"
    );
    let _ = writeln!(o, "\nC:");
    let _ = writeln!(
        o,
        "    struct phifd_qos qos = {{ .max_detection_ns = {d}, .min_mistake_recurrence_ns = {r}, .max_mistake_duration_ns = {m} }};"
    );
    let _ = writeln!(o, "    phifd_config_set_qos(cfg, &qos);");
    let _ = writeln!(o, "\nPython:");
    let _ = writeln!(
        o,
        "    config.qos = phifd.QosTargets(max_detection_ns={d}, min_mistake_recurrence_ns={r}, max_mistake_duration_ns={m})"
    );
    let _ = writeln!(o, "\nGo:");
    let _ = writeln!(
        o,
        "    cfg.SetQoS(phifd.QoS{{MaxDetection: {d}, MinMistakeRecurrence: {r}, MaxMistakeDuration: {m}}})"
    );
    o
}
