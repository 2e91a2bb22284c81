//! Replays heartbeat streams through detectors and computes the
//! Chen–Toueg–Aguilera quality metrics for every level of each sweep.
//!
//! Definitions (all on the receiver's clock, over the observed period from
//! the first to the last arrival of each stream, after `warmup_ns`):
//! - a *mistake* (wrong S-transition) happens when an arrival comes at or
//!   after the deadline set at the previous arrival; it lasts from the
//!   deadline to the first arrival after which the new deadline is still
//!   ahead (T_M; for the phi estimators and the timeout, always that
//!   arrival; for Chen and 2W-FD a heartbeat later than its successor's
//!   freshness point does not restore trust), or to the end of the stream;
//! - heartbeats a detector calls stale (Chen, 2W-FD: a sequence number not
//!   above the highest received) are ignored by it;
//! - λ_M = mistakes / observed time; T_MR = time between consecutive
//!   mistakes of a stream; P_A = 1 − (time in mistakes) / (observed time);
//! - T_D is measured by crash injection: the sender is made to crash at
//!   random instants `c` (uniform over the send times, seeded); the detector
//!   then keeps the deadline it set at the last arrival of a heartbeat sent
//!   before `c`, and T_D = max(0, deadline − c). This needs send and receive
//!   times on one clock (true for generated and converted traces, and for
//!   `record` on one host).

use crate::detect::Detector;
use crate::rng::Rng;
use crate::trace::Stream;

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Crash instants injected per stream.
    pub crashes: usize,
    /// Seed of the crash instants.
    pub seed: u64,
    /// Ignore mistakes and crashes in the first `warmup_ns` of each stream.
    pub warmup_ns: u64,
    /// Worker threads (detectors run in parallel).
    pub threads: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            crashes: 1000,
            seed: 1,
            warmup_ns: 0,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Metrics of one level of one detector.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelResult {
    /// The level (threshold, margin, timeout) in the detector's unit.
    pub level: f64,
    /// Observed failure-free time, s.
    pub observed_s: f64,
    /// Wrong suspicions.
    pub mistakes: u64,
    /// λ_M, mistakes per second.
    pub lambda_m: f64,
    /// Mean T_MR, s (NaN with fewer than two mistakes in a stream).
    pub t_mr_mean: f64,
    /// Mean T_M, s (NaN without mistakes).
    pub t_m_mean: f64,
    /// 99th percentile of T_M, s.
    pub t_m_p99: f64,
    /// P_A from the time spent in mistakes.
    pub p_a: f64,
    /// `1 − E[T_M] / E[T_MR]`, the identity P_A should satisfy.
    pub p_a_identity: f64,
    /// Number of injected crashes measured.
    pub crashes: usize,
    /// T_D mean, p50, p99, max, s.
    pub t_d: [f64; 4],
    /// T_D of the crashes marked in the trace, s.
    pub t_d_marked: Vec<f64>,
}

/// Results of one detector.
#[derive(Debug, Clone)]
pub struct DetectorResult {
    /// Detector name.
    pub name: String,
    /// The sweep's parameter name and unit.
    pub param: String,
    /// One entry per level.
    pub levels: Vec<LevelResult>,
}

#[derive(Default, Clone)]
struct Acc {
    observed_ns: f64,
    mistakes: u64,
    mistake_ns: f64,
    tm: Vec<f64>,
    tmr_sum: f64,
    tmr_n: u64,
    td: Vec<f64>,
    td_marked: Vec<f64>,
}

/// Nearest-rank percentile of a sorted slice (NaN when empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let r = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[r.clamp(1, sorted.len()) - 1]
}

/// The crash instants for a stream and, for each, the index of the last
/// arrival (in receive order) of a heartbeat sent before it: `(index, instant ns,
/// marked)`, `n` instants uniform over the send times after `warmup_ns` (seeded by
/// `seed` and the node id) plus the trace's marked crash. Sorted by index.
pub fn crash_points(s: &Stream, n: usize, seed: u64, warmup_ns: u64) -> Vec<(usize, u64, bool)> {
    if s.recv.is_empty() {
        return Vec::new();
    }
    let mut by_send: Vec<(u64, usize)> = s.send.iter().copied().zip(0..).collect();
    by_send.sort_unstable();
    let mut prefix_max = Vec::with_capacity(by_send.len());
    let mut m = 0usize;
    for &(_, i) in &by_send {
        m = m.max(i);
        prefix_max.push(m);
    }
    let last_before = |c: u64| -> Option<usize> {
        let k = by_send.partition_point(|&(t, _)| t < c);
        (k > 0).then(|| prefix_max[k - 1])
    };
    let lo = by_send[0].0.saturating_add(warmup_ns) as f64;
    let hi = by_send[by_send.len() - 1].0 as f64;
    let mut out = Vec::new();
    if hi > lo {
        let mut rng = Rng::derive(seed, s.node);
        for _ in 0..n {
            let c = (lo + rng.uniform() * (hi - lo)) as u64;
            if let Some(i) = last_before(c) {
                out.push((i, c, false));
            }
        }
    }
    if let Some(c) = s.crash_ns {
        if let Some(i) = last_before(c) {
            out.push((i, c, true));
        }
    }
    out.sort_unstable_by_key(|x| x.0);
    out
}

fn replay_stream(det: &mut dyn Detector, s: &Stream, opt: &EvalOptions, acc: &mut [Acc]) {
    let k = det.levels().len();
    det.reset();
    if s.recv.is_empty() {
        return;
    }
    let crashes = crash_points(s, opt.crashes, opt.seed, opt.warmup_ns);
    let mut ci = 0usize;
    let start = s.recv[0];
    let warm = start.saturating_add(opt.warmup_ns);
    let end = *s.recv.last().unwrap_or(&start);
    let observed = end.saturating_sub(warm) as f64;
    let mut dl = vec![u64::MAX; k];
    // The last counted S-transition of each level (for T_MR), and the suspicion in progress:
    // its start and whether it is counted (it began after the warm-up).
    let mut last_s: Vec<Option<u64>> = vec![None; k];
    let mut open: Vec<Option<(u64, bool)>> = vec![None; k];
    for (i, &t) in s.recv.iter().enumerate() {
        let seq = s.seq[i];
        if !det.is_stale(seq) {
            for j in 0..k {
                let d = dl[j];
                if open[j].is_none() && t >= d {
                    // Suspected from the deadline on: a wrong S-transition at d.
                    let counted = d >= warm;
                    if counted {
                        let a = &mut acc[j];
                        a.mistakes += 1;
                        if let Some(p) = last_s[j] {
                            a.tmr_sum += (d - p) as f64;
                            a.tmr_n += 1;
                        }
                        last_s[j] = Some(d);
                    }
                    open[j] = Some((d, counted));
                }
            }
            det.arrive(t, seq, &mut dl);
            for j in 0..k {
                match open[j] {
                    // Trusted again only if the new deadline is still ahead.
                    Some((d, counted)) if dl[j] > t => {
                        if counted {
                            let dur = (t - d) as f64;
                            acc[j].mistake_ns += dur;
                            acc[j].tm.push(dur);
                        }
                        open[j] = None;
                    }
                    // Trusted, but the new deadline is already past (a heartbeat later than its
                    // successor's freshness point): suspected from now on, not from that
                    // deadline (no suspicion starts in the past).
                    None if dl[j] <= t => {
                        let counted = t >= warm;
                        if counted {
                            let a = &mut acc[j];
                            a.mistakes += 1;
                            if let Some(p) = last_s[j] {
                                a.tmr_sum += (t - p) as f64;
                                a.tmr_n += 1;
                            }
                            last_s[j] = Some(t);
                        }
                        open[j] = Some((t, counted));
                    }
                    _ => {}
                }
            }
        }
        while ci < crashes.len() && crashes[ci].0 == i {
            let (_, c, marked) = crashes[ci];
            for j in 0..k {
                let td = dl[j].saturating_sub(c) as f64;
                if marked {
                    acc[j].td_marked.push(td)
                } else {
                    acc[j].td.push(td)
                }
            }
            ci += 1;
        }
    }
    // A suspicion still in progress at the last arrival lasts to the end of the observed period.
    for j in 0..k {
        if let Some((d, true)) = open[j] {
            let dur = end.saturating_sub(d) as f64;
            acc[j].mistake_ns += dur;
            acc[j].tm.push(dur);
        }
    }
    for a in acc.iter_mut() {
        a.observed_ns += observed;
    }
}

/// Replays every stream through `det` and summarises each level.
pub fn evaluate(det: &mut dyn Detector, streams: &[Stream], opt: &EvalOptions) -> DetectorResult {
    let levels = det.levels().to_vec();
    let mut acc = vec![Acc::default(); levels.len()];
    for s in streams {
        replay_stream(det, s, opt, &mut acc);
    }
    let rows = levels
        .iter()
        .zip(acc)
        .map(|(&level, mut a)| {
            let obs = a.observed_ns / 1e9;
            a.tm.sort_unstable_by(f64::total_cmp);
            a.td.sort_unstable_by(f64::total_cmp);
            let t_m_mean = if a.mistakes > 0 {
                a.mistake_ns / a.mistakes as f64 / 1e9
            } else {
                f64::NAN
            };
            let t_mr_mean = if a.tmr_n > 0 {
                a.tmr_sum / a.tmr_n as f64 / 1e9
            } else {
                f64::NAN
            };
            let td_mean = if a.td.is_empty() {
                f64::NAN
            } else {
                a.td.iter().sum::<f64>() / a.td.len() as f64 / 1e9
            };
            LevelResult {
                level,
                observed_s: obs,
                mistakes: a.mistakes,
                lambda_m: if obs > 0.0 { a.mistakes as f64 / obs } else { f64::NAN },
                t_mr_mean,
                t_m_mean,
                t_m_p99: percentile(&a.tm, 99.0) / 1e9,
                p_a: if obs > 0.0 {
                    1.0 - a.mistake_ns / 1e9 / obs
                } else {
                    f64::NAN
                },
                p_a_identity: if a.mistakes == 0 {
                    1.0
                } else {
                    1.0 - t_m_mean / t_mr_mean
                },
                crashes: a.td.len(),
                t_d: [
                    td_mean,
                    percentile(&a.td, 50.0) / 1e9,
                    percentile(&a.td, 99.0) / 1e9,
                    a.td.last().map_or(f64::NAN, |x| x / 1e9),
                ],
                t_d_marked: a.td_marked.iter().map(|x| x / 1e9).collect(),
            }
        })
        .collect();
    DetectorResult {
        name: det.name(),
        param: det.param_name().to_string(),
        levels: rows,
    }
}

/// Evaluates several detectors, in parallel on `opt.threads` threads; results
/// keep the order of `dets`.
pub fn evaluate_all(dets: Vec<Box<dyn Detector>>, streams: &[Stream], opt: &EvalOptions) -> Vec<DetectorResult> {
    let n = dets.len();
    let threads = opt.threads.clamp(1, n.max(1));
    let queue = std::sync::Mutex::new(dets.into_iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| loop {
                let job = queue.lock().map(|mut q| q.pop()).unwrap_or(None);
                let Some((i, mut d)) = job else { break };
                let r = evaluate(d.as_mut(), streams, opt);
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
}

/// The Pareto frontier of a detector: `(T_D mean, λ_M, level)` with λ_M
/// strictly decreasing as T_D grows (dominated levels dropped).
pub fn frontier(r: &DetectorResult) -> Vec<(f64, f64, f64)> {
    let mut pts: Vec<(f64, f64, f64)> = r
        .levels
        .iter()
        .filter(|l| l.t_d[0].is_finite() && l.lambda_m.is_finite())
        .map(|l| (l.t_d[0], l.lambda_m, l.level))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64, f64)> = Vec::new();
    for p in pts {
        if out.last().is_none_or(|l| p.1 < l.1) {
            out.push(p);
        }
    }
    out
}

/// The mean T_D a detector needs to keep λ_M at or below `target`, by
/// log-linear interpolation along its frontier (None if no level gets there).
pub fn td_at_lambda(r: &DetectorResult, target: f64) -> Option<f64> {
    let f = frontier(r);
    let i = f.iter().position(|p| p.1 <= target)?;
    if i == 0 {
        return Some(f[0].0);
    }
    let (a, b) = (f[i - 1], f[i]);
    // Interpolate in log(λ) (λ = 0 cannot be logged: take b).
    if b.1 <= 0.0 || a.1 <= 0.0 {
        return Some(b.0);
    }
    let x = (target.ln() - a.1.ln()) / (b.1.ln() - a.1.ln());
    Some(a.0 + x * (b.0 - a.0))
}

/// A point of the phi-over-time chart.
#[derive(Debug, Clone, Copy)]
pub struct PhiPoint {
    /// Time, ns (receiver clock).
    pub t_ns: u64,
    /// phi at that time.
    pub phi: f64,
}

/// phi over `[from_ns, to_ns]` for one library estimator at one threshold
/// (each level's own learning rule applies), sampled at `points` instants
/// plus just before and at every arrival. Also returns the arrival times in
/// the range and the instants of the transitions to "suspect".
pub fn phi_series(
    est: phifd::Estimator,
    threshold: f64,
    p: &crate::detect::Params,
    s: &Stream,
    from_ns: u64,
    to_ns: u64,
    points: usize,
) -> Result<(Vec<PhiPoint>, Vec<u64>, Vec<u64>), String> {
    let cfg = crate::detect::phi_config(est, p)?;
    // The library's own replay: phi and deadlines are the node code's, not a copy of it.
    let mut r = phifd::replay::Replayer::new(&cfg, &[threshold]).map_err(|e| e.to_string())?;
    let phi_at = |r: &phifd::replay::Replayer, t: u64| r.phi(0, t).unwrap_or(f64::NAN);
    let mut dl = [0u64; 1];
    let mut last: Option<u64> = None;
    let mut out = Vec::new();
    let mut arrivals = Vec::new();
    let mut suspicions = Vec::new();
    let mut prev_deadline = u64::MAX;
    let step = (to_ns.saturating_sub(from_ns) / points.max(1) as u64).max(1);
    let mut next_sample = from_ns;
    for &t in &s.recv {
        if t > to_ns {
            break;
        }
        if last.is_some() {
            while next_sample < t && next_sample <= to_ns {
                if next_sample >= from_ns {
                    out.push(PhiPoint {
                        t_ns: next_sample,
                        phi: phi_at(&r, next_sample),
                    });
                }
                next_sample += step;
            }
            if t >= from_ns {
                // phi just before the arrival, on the history learned so far.
                out.push(PhiPoint {
                    t_ns: t,
                    phi: phi_at(&r, t),
                });
                arrivals.push(t);
                if t >= prev_deadline && prev_deadline >= from_ns {
                    suspicions.push(prev_deadline);
                }
            }
        }
        r.arrive(t, &mut dl).map_err(|e| e.to_string())?;
        prev_deadline = dl[0];
        last = Some(t);
        if t >= from_ns {
            out.push(PhiPoint {
                t_ns: t,
                phi: phi_at(&r, t),
            });
        }
    }
    if let Some(l) = last {
        while next_sample <= to_ns {
            if next_sample >= from_ns && next_sample >= l {
                out.push(PhiPoint {
                    t_ns: next_sample,
                    phi: phi_at(&r, next_sample),
                });
            }
            next_sample += step;
        }
        if prev_deadline <= to_ns && prev_deadline >= from_ns {
            suspicions.push(prev_deadline);
        }
    }
    Ok((out, arrivals, suspicions))
}
