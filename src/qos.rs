//! Quality-of-service targets and their derivation per node (docs/qos.md).
//!
//! Chen, Toueg and Aguilera (IEEE Trans. Computers 51(5), 2002) describe a failure detector by
//! its detection time T_D, the mean time between wrong suspicions T_MR (λ_M = 1/T_MR) and the
//! mean mistake duration T_M. A node configured with [`QosTargets`] gets the phi levels that meet
//! the mistake-rate bound with the shortest deadline, derived from its own window of intervals:
//!
//! - Every interval longer than the deadline `d` is one wrong declaration, so by renewal–reward
//!   `λ_M(d) = P(X > d) / μ` and `T_M(d) = E[X − d | X > d]`, with `μ` the window's mean interval.
//!   A crash is declared at most `d + δ` after it (`δ`: the one-way delay, half the declared round
//!   trip, else 0): `T_D(d) = d + δ`.
//! - The tail `P(X > d)` is estimated conservatively as the larger of the estimator's own model
//!   (`10^-phi(d)`) and a peaks-over-threshold fit of the window's largest intervals: the
//!   excesses over a high order statistic `u` are taken as exponential with scale `β` = their mean
//!   (the generalised Pareto limit of Pickands 1975 and Balkema–de Haan 1974 with shape 0; Coles
//!   2001, ch. 4). Below `u` the window's own empirical tail is used.
//! - The QoS deadline is the smallest `d` with `λ_M(d) <= 1/T_MR`: the larger of the model's
//!   solution (by the estimator's inverse) and the fit's (closed form).
//!
//! Everything here is a pure function of a window summary; the node calls it when a refit is due
//! (`crate::node`), the monitor for reports.

pub use crate::config::QosTargets;
use crate::config::Settings;
use crate::estimator::{ln_normal_tail, Estimator};

/// Below this many intervals in the window the tail is taken from the estimator's model alone.
pub(crate) const MIN_FIT_SAMPLES: u32 = 32;
/// Fewest exceedances the tail fit rests on.
pub(crate) const MIN_EXCEEDANCES: u32 = 8;

/// A node's detection quality as predicted from its window ([`crate::Monitor::qos_report`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QosReport {
    /// The node is QoS-configured (its own targets or the monitor's).
    pub qos: bool,
    /// The targets are achievable on the current estimate (true when `qos` is false).
    pub feasible: bool,
    /// The phi threshold in use (derived from the targets under QoS).
    pub threshold: f64,
    /// The suspect threshold in use.
    pub suspect_threshold: f64,
    /// Silence after the last arrival at which the node is declared FAILED, ns, before local
    /// health and confirmations (the deadline in use now).
    pub deadline_ns: u64,
    /// Predicted T_D, ns: deadline plus the one-way delay (half the declared round trip).
    pub predicted_detection_ns: u64,
    /// Predicted T_MR, ns (`u64::MAX`: no mistake expected).
    pub predicted_mistake_recurrence_ns: u64,
    /// Predicted T_M, ns.
    pub predicted_mistake_duration_ns: u64,
    /// Shortest T_D meeting the mistake-rate bound on the current estimate, ns: under QoS equal
    /// to `predicted_detection_ns` once the node is `established`, at most that during the
    /// warm-up; without QoS there is no bound and it is `predicted_detection_ns`.
    pub best_detection_ns: u64,
    /// Fraction of heartbeats lost, from version gaps (0 without versions or without QoS).
    pub loss_rate: f64,
    /// Intervals the estimate rests on: the window's length (below 32 the tail is the model's
    /// alone), or, once a QoS node's long memory of large gaps is in use, the intervals seen over
    /// that memory's span (docs/qos.md).
    pub samples: u32,
    /// The node's QoS warm-up is over ([`crate::Config::set_qos_warmup_ns`]): its deadline is
    /// the one its history supports. During the warm-up the deadline is held longer, and the
    /// mistake-rate prediction rests on less history than the bound is about. True without QoS.
    pub established: bool,
}

/// Longest default QoS warm-up, ns: one hour (the default is `min(T_MR, 1 h)`).
pub const DEFAULT_WARMUP_CAP_NS: u64 = 3_600_000_000_000;

/// The exponential peaks-over-threshold fit of a window's largest intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct TailFit {
    /// Intervals in the window.
    pub n: u32,
    /// Exceedances: intervals counted above the threshold (the `k` largest).
    pub k: u32,
    /// The threshold: the `(k+1)`-th largest interval, ns.
    pub u_ns: f64,
    /// Scale: the mean excess of the `k` largest over `u`, ns (the maximum-likelihood estimate).
    pub beta_ns: f64,
    /// The scale the tail is computed with: `beta_ns · (1 + 1/√k)`, the upper end of the
    /// estimate's one-standard-error interval (the estimate of an exponential scale from `k`
    /// excesses has relative standard error `1/√k`), so that the tail is not underestimated half
    /// the time.
    pub scale_ns: f64,
    /// The intervals, µs, partitioned: the `k` largest first (in no order), then `u`, then the rest.
    samples_us: Vec<u32>,
}

impl TailFit {
    /// Fits the intervals `samples_us` (µs, any order); `None` below 32 intervals.
    /// `k = max(8, ceil(√n))` exceedances (the usual `√n` choice for tail-index and
    /// peaks-over-threshold estimators; a top decile would let the jitter of ordinary intervals set
    /// the scale while rare long gaps, loss bursts or stalls, make the mistakes). O(n): a
    /// selection, no sort.
    pub fn fit(samples_us: &[u32]) -> Option<TailFit> {
        let n = u32::try_from(samples_us.len()).ok()?;
        if n < MIN_FIT_SAMPLES {
            return None;
        }
        let k = MIN_EXCEEDANCES.max(f64::from(n).sqrt().ceil() as u32).min(n - 1);
        let mut xs = samples_us.to_vec();
        let (top, &mut u, _) = xs.select_nth_unstable_by(k as usize, |a, b| b.cmp(a));
        let excess: u64 = top.iter().map(|&x| u64::from(x - u)).sum();
        let beta = excess as f64 * 1_000.0 / f64::from(k);
        Some(TailFit {
            n,
            k,
            u_ns: f64::from(u) * 1_000.0,
            beta_ns: beta,
            scale_ns: beta * (1.0 + 1.0 / f64::from(k).sqrt()),
            samples_us: xs,
        })
    }

    /// The intervals above `d` (ns): their number and the sum of their excesses over `d`.
    fn above(&self, d: f64) -> (usize, f64) {
        self.samples_us
            .iter()
            .map(|&x| f64::from(x) * 1_000.0)
            .filter(|&x| x > d)
            .fold((0, 0.0), |(c, s), x| (c + 1, s + (x - d)))
    }

    /// `P(X > d)`: the larger of the window's empirical tail `#{x > d}/n` and, from `u` on,
    /// `(k/n)·exp(−(d − u)/s)`, `s` the scale [`TailFit::scale_ns`]: the fit extrapolates beyond
    /// the window, it never claims less than the window shows.
    pub fn tail(&self, d: f64) -> f64 {
        let n = f64::from(self.n);
        let empirical = self.above(d).0 as f64 / n;
        if d < self.u_ns || self.scale_ns <= 0.0 {
            return empirical;
        }
        empirical.max(f64::from(self.k) / n * (-(d - self.u_ns) / self.scale_ns).exp())
    }

    /// As [`TailFit::tail`] without the window's empirical count from `u` on: the fit alone
    /// beyond `u` (used when the gap log counts the rare long intervals per unit of time).
    pub fn tail_fitted(&self, d: f64) -> f64 {
        if d < self.u_ns || self.scale_ns <= 0.0 {
            return self.tail(d);
        }
        f64::from(self.k) / f64::from(self.n) * (-(d - self.u_ns) / self.scale_ns).exp()
    }

    /// As [`TailFit::deadline_for`] without the empirical floor below `k/n`: the fit's
    /// `u + s·ln(k/(n·p))` alone (the gap log then gives the floor, per unit of time).
    pub fn deadline_fitted(&self, p: f64) -> f64 {
        let kn = f64::from(self.k) / f64::from(self.n);
        if p >= kn || self.scale_ns <= 0.0 {
            return self.deadline_for(p);
        }
        self.u_ns + self.scale_ns * (kn / p).ln()
    }

    /// `E[X − d | X > d]`: the empirical mean excess below `u`; from `u` on the larger of the
    /// scale and the empirical mean excess.
    pub fn mean_excess(&self, d: f64) -> f64 {
        let (c, s) = self.above(d);
        let empirical = if c == 0 { 0.0 } else { s / c as f64 };
        if d < self.u_ns {
            return empirical;
        }
        empirical.max(self.scale_ns)
    }

    /// The smallest `d` with `tail(d) <= p` (`p` in `(0, 1]`): the larger of the empirical
    /// quantile (the smallest interval with at most `p·n` intervals above it; the longest one
    /// when `p·n < 1`) and, below `k/n`, the fit's `u + s·ln(k/(n·p))`.
    pub fn deadline_for(&self, p: f64) -> f64 {
        let n = f64::from(self.n);
        let kn = f64::from(self.k) / n;
        let j = ((p * n).floor() as usize).min(self.samples_us.len().saturating_sub(1));
        let mut xs = self.samples_us.clone();
        let (_, &mut x, _) = xs.select_nth_unstable_by(j, |a, b| b.cmp(a));
        let empirical = f64::from(x) * 1_000.0;
        if p >= kn || self.scale_ns <= 0.0 {
            return empirical;
        }
        empirical.max(self.u_ns + self.scale_ns * (kn / p).ln())
    }
}

/// Gaps kept per epoch of a QoS node's gap log (K), and the most the long-memory fit rests on.
pub const GAP_LOG_K: usize = 32;
/// Fewest intervals a gap log must have seen before its estimate is used (and at least twice
/// the window's length).
pub const LOG_MIN_INTERVALS: u64 = 256;

/// One epoch of the gap log: the `GAP_LOG_K` largest gaps that ended in it, in no order.
#[derive(Debug, Clone)]
struct Epoch {
    /// Gap lengths, ns; the first `len` are in use.
    gaps: [u64; GAP_LOG_K],
    len: usize,
    /// Index of the smallest gap kept (meaningful when `len > 0`).
    min_at: usize,
    /// Start of the epoch, ns (the start of the first gap for the first epoch).
    start_ns: u64,
    /// Gaps that ended in the epoch, kept or not.
    count: u64,
}

impl Epoch {
    fn empty(start_ns: u64) -> Epoch {
        Epoch {
            gaps: [0; GAP_LOG_K],
            len: 0,
            min_at: 0,
            start_ns,
            count: 0,
        }
    }

    /// Offers a gap: O(1) unless it enters a full epoch (then O(K) to find the new smallest).
    #[inline]
    fn offer(&mut self, gap_ns: u64) {
        self.count += 1;
        let min = self.gaps.get(self.min_at).copied().unwrap_or(0);
        if let Some(slot) = self.gaps.get_mut(self.len) {
            *slot = gap_ns;
            if self.len == 0 || gap_ns < min {
                self.min_at = self.len;
            }
            self.len += 1;
        } else if gap_ns > min {
            if let Some(slot) = self.gaps.get_mut(self.min_at) {
                *slot = gap_ns;
            }
            self.min_at = smallest_at(&self.gaps);
        }
    }

    /// The gaps kept, in no order.
    fn kept(&self) -> &[u64] {
        self.gaps.get(..self.len).unwrap_or(&[])
    }
}

/// Index of the (first) smallest element; 0 for an empty slice.
fn smallest_at(xs: &[u64]) -> usize {
    xs.iter().enumerate().min_by_key(|&(_, &x)| x).map_or(0, |(i, _)| i)
}

/// A QoS node's long memory of large gaps (docs/qos.md, "Long memory"): the `K = GAP_LOG_K`
/// largest intervals between counted arrivals (loss gaps and those past the deadline included)
/// per epoch, over two epochs of `epoch_ns` each. When the current epoch has lasted `epoch_ns`,
/// the older one is dropped and a new one begins: the log then covers between one and two epochs
/// (the horizon `H = 2·epoch_ns`), and the top `K` of the two epochs together are exactly the `K`
/// largest gaps of the whole span (each epoch keeps its own top `K`). Fixed size (about 0.5 KiB),
/// no allocation after construction; a gap costs one comparison with the epoch's smallest kept
/// gap in the common case.
#[derive(Debug, Clone)]
pub struct GapLog {
    old: Epoch,
    cur: Epoch,
    /// Epoch length, ns.
    epoch_ns: u64,
    /// End of the last gap noted, ns.
    last_ns: u64,
    /// Start of the first gap noted, ns (kept when epochs are dropped).
    first_ns: u64,
    started: bool,
}

impl GapLog {
    /// An empty log with epochs of `epoch_ns` (ns, at least 1).
    pub fn new(epoch_ns: u64) -> GapLog {
        GapLog {
            old: Epoch::empty(0),
            cur: Epoch::empty(0),
            epoch_ns: epoch_ns.max(1),
            last_ns: 0,
            first_ns: 0,
            started: false,
        }
    }

    /// The epoch length for targets `t`: four times the requested T_MR (a horizon of four to
    /// eight mean times between mistakes), at least one hour.
    pub fn epoch_for(t: &QosTargets) -> u64 {
        t.min_mistake_recurrence_ns.saturating_mul(4).max(3_600_000_000_000)
    }

    /// Changes the epoch length (ns, at least 1) from the next gap on; the gaps kept stay.
    pub fn set_epoch(&mut self, epoch_ns: u64) {
        self.epoch_ns = epoch_ns.max(1);
    }

    /// Notes a gap of `gap_ns` ending at `end_ns` (ns, non-decreasing from call to call).
    #[inline]
    pub fn note(&mut self, gap_ns: u64, end_ns: u64) {
        if !self.started {
            self.started = true;
            let start = end_ns.saturating_sub(gap_ns);
            self.first_ns = start;
            self.old = Epoch::empty(start);
            self.cur = Epoch::empty(start);
        } else if end_ns.saturating_sub(self.cur.start_ns) >= self.epoch_ns {
            let fresh = Epoch::empty(end_ns);
            self.old = std::mem::replace(&mut self.cur, fresh);
        }
        self.cur.offer(gap_ns);
        self.last_ns = self.last_ns.max(end_ns);
    }

    /// Gaps noted over the span (both epochs).
    pub fn intervals(&self) -> u64 {
        self.old.count + self.cur.count
    }

    /// How long the node has been watched, ns: from the start of the first gap noted to the end
    /// of the last (epochs dropped since are counted too); 0 before the first gap.
    pub fn age_ns(&self) -> u64 {
        self.last_ns.saturating_sub(self.first_ns)
    }

    /// Span of observation, ns: from the start of the older epoch to the end of the last gap.
    pub fn span_ns(&self) -> u64 {
        if !self.started {
            return 0;
        }
        let start = if self.old.count > 0 {
            self.old.start_ns
        } else {
            self.cur.start_ns
        };
        self.last_ns.saturating_sub(start)
    }

    /// The exponential peaks-over-threshold fit of the `K` largest gaps of the span; `None`
    /// with fewer than `K` gaps or an empty span.
    /// `rate_per_ns`: the requested rate (per ns, > 0), which sets what the scale rests on.
    pub fn fit(&self, rate_per_ns: f64) -> Option<GapTail> {
        let mut all = [0u64; 2 * GAP_LOG_K];
        let (a, b) = (self.old.kept(), self.cur.kept());
        for (slot, &g) in all.iter_mut().zip(a.iter().chain(b)) {
            *slot = g;
        }
        let m = a.len() + b.len();
        let span = self.span_ns();
        if m < GAP_LOG_K || span == 0 {
            return None;
        }
        let all = all.get_mut(..m)?;
        all.sort_unstable_by(|x, y| y.cmp(x));
        let mut gaps = [0u64; GAP_LOG_K];
        for (slot, &g) in gaps.iter_mut().zip(all.iter()) {
            *slot = g;
        }
        Some(GapTail::new(gaps, span as f64, self.intervals(), rate_per_ns))
    }

    /// The same fit on the current epoch alone, once it holds `K` gaps over at least a quarter
    /// of an epoch; `None` before. After a change for the worse (a regime shift) the older epoch's
    /// quiet time dilutes the rate of the whole span; the current epoch's own rate does not.
    pub fn fit_recent(&self, rate_per_ns: f64) -> Option<GapTail> {
        let span = self.last_ns.saturating_sub(self.cur.start_ns);
        if !self.started || self.old.count == 0 || self.cur.len < GAP_LOG_K || span < self.epoch_ns / 4 {
            return None;
        }
        let mut gaps = self.cur.gaps;
        gaps.sort_unstable_by(|x, y| y.cmp(x));
        Some(GapTail::new(gaps, span as f64, self.cur.count, rate_per_ns))
    }
}

/// The rate-based tail of a gap log for a requested rate `r`: the `K` largest gaps
/// `g_1 >= ... >= g_K` over a span `S` of observation.
///
/// Above `g_K` the rate of gaps longer than `d` is taken as `(K/S)·exp(−(d − g_K)/s)`, an
/// exponential peaks-over-threshold tail per unit time, and never below the empirical rate
/// `#{g_i > d}/S`. The scale `s` is the mean excess over `g_K` of the gaps the bound does not
/// allow anyway: the `j = ⌊r·S⌋` largest may exceed the deadline at the requested rate, so they
/// are left out of the mean (a few very long outages, a WAN's minute-long loss bursts, would
/// otherwise set a scale of seconds for a tail of tens of milliseconds); the median excess
/// `/ ln 2` is a floor (an estimate no outlier moves). `s` is taken at the upper end of its
/// one-standard-error interval.
#[derive(Debug, Clone, PartialEq)]
pub struct GapTail {
    /// The gaps, ns, largest first.
    pub gaps_ns: [u64; GAP_LOG_K],
    /// Span of observation `S`, ns.
    pub span_ns: f64,
    /// Gaps observed over the span.
    pub intervals: u64,
    /// The requested rate `r`, per ns.
    pub rate_per_ns: f64,
    /// The scale estimate, ns: the larger of the trimmed mean excess and the median excess / ln 2.
    pub beta_ns: f64,
    /// The scale used: `beta_ns · (1 + 1.5/√m)`, `m` the excesses it rests on (the median's
    /// standard error is about `1.44/√m` of the scale, the mean's `1/√m`).
    pub scale_ns: f64,
}

impl GapTail {
    /// The fit of the `K` largest gaps `gaps_ns` (largest first) over `span_ns` (> 0) for the
    /// requested rate `rate_per_ns` (> 0).
    pub fn new(gaps_ns: [u64; GAP_LOG_K], span_ns: f64, intervals: u64, rate_per_ns: f64) -> GapTail {
        let u = gaps_ns.last().copied().unwrap_or(0);
        // Excesses of g_1..g_{K-1} over g_K, largest first.
        let excess = |i: usize| gaps_ns.get(i).map_or(0.0, |&g| g.saturating_sub(u) as f64);
        let allowed = (rate_per_ns * span_ns).floor();
        let j = if allowed >= 0.0 {
            (allowed as usize).min(GAP_LOG_K / 2)
        } else {
            0
        };
        let m = GAP_LOG_K - 1 - j;
        let trimmed = (j..GAP_LOG_K - 1).map(excess).sum::<f64>() / m as f64;
        // The median of the K−1 = 31 excesses: the 16th largest.
        let median = excess((GAP_LOG_K - 1) / 2) / std::f64::consts::LN_2;
        let beta = trimmed.max(median);
        GapTail {
            gaps_ns,
            span_ns,
            intervals,
            rate_per_ns,
            beta_ns: beta,
            scale_ns: beta * (1.0 + 1.5 / (m as f64).sqrt()),
        }
    }

    /// The threshold `g_K`, ns.
    pub fn u_ns(&self) -> f64 {
        self.gaps_ns[GAP_LOG_K - 1] as f64
    }

    /// Rate of gaps longer than `d` (ns), per ns: the empirical `#{g_i > d}/S`, and from `g_K`
    /// on at least `(K/S)·exp(−(d − g_K)/s)` with `s` = [`GapTail::scale_ns`].
    pub fn rate(&self, d: f64) -> f64 {
        let c = self.gaps_ns.iter().filter(|&&g| g as f64 > d).count();
        let empirical = c as f64 / self.span_ns;
        let u = self.u_ns();
        if d < u || self.scale_ns <= 0.0 {
            return empirical;
        }
        let k = GAP_LOG_K as f64;
        empirical.max(k / self.span_ns * (-(d - u) / self.scale_ns).exp())
    }

    /// `E[X − d | X > d]` of the gaps: the empirical mean excess of the kept gaps above `d`,
    /// from `g_K` on at least the scale.
    pub fn mean_excess(&self, d: f64) -> f64 {
        let (c, s) = self
            .gaps_ns
            .iter()
            .map(|&g| g as f64)
            .filter(|&g| g > d)
            .fold((0usize, 0.0), |(c, s), g| (c + 1, s + (g - d)));
        let empirical = if c == 0 { 0.0 } else { s / c as f64 };
        if d < self.u_ns() {
            return empirical;
        }
        empirical.max(self.scale_ns)
    }

    /// The smallest `d` (ns) meeting the requested rate `r` (per ns, the one given to
    /// [`GapTail::new`]): the larger of
    /// - the empirical one: the `(i+1)`-th largest gap with `i = ⌊r·S⌋` (the gaps the span may
    ///   hold above the deadline; the longest gap when `r·S < 1`);
    /// - when `K/S > r`, the fit's `g_K + s·ln(K/(S·r))` (where its rate is `r`).
    ///
    /// 0 when the log says nothing beyond `g_K` (`r·S >= K`): the window decides.
    pub fn deadline(&self) -> f64 {
        let a = self.rate_per_ns * self.span_ns;
        let k = GAP_LOG_K as f64;
        if a >= k {
            return 0.0;
        }
        let empirical = self.gaps_ns.get(a.floor() as usize).map_or(0.0, |&g| g as f64);
        if self.scale_ns <= 0.0 {
            return empirical;
        }
        empirical.max(self.u_ns() + self.scale_ns * (k / a).ln())
    }
}

/// The `y` at which phi reaches `phi` (as [`Estimator::y_for_phi`], to a relative precision of
/// about 1e-12 rather than the last bit): Newton's method on phi's analytic derivative, kept
/// inside a shrinking bracket (a bisection step whenever Newton would leave it). A handful of
/// evaluations of phi instead of the bisection's sixty: derivations run on the heartbeat path.
pub(crate) fn y_for_phi_fast(est: Estimator, phi: f64) -> f64 {
    use std::f64::consts::LN_10;
    if est == Estimator::Exponential {
        return est.y_for_phi(phi);
    }
    let (mut lo, mut hi) = (-64.0_f64, 64.0_f64);
    while est.phi_of_y(hi) < phi && hi < 1e300 {
        lo = hi;
        hi *= 4.0;
    }
    if est.phi_of_y(lo) >= phi {
        return lo;
    }
    // phi's slope in y: Mills' inverse ratio (normal), the logistic's (Akka), over ln 10.
    let slope = |y: f64| -> f64 {
        match est {
            Estimator::Normal => {
                let ln_pdf = -0.5 * y * y - 0.5 * (2.0 * std::f64::consts::PI).ln();
                (ln_pdf - ln_normal_tail(y)).exp() / LN_10
            }
            _ => {
                let z = y * (1.5976 + 0.070566 * y * y);
                let sig = 1.0 / (1.0 + (-z).exp());
                sig * (1.5976 + 3.0 * 0.070566 * y * y) / LN_10
            }
        }
    };
    let mut y = if hi - lo > 16.0 {
        lo.max(0.0).min(hi)
    } else {
        lo + (hi - lo) / 2.0
    };
    for _ in 0..100 {
        let f = est.phi_of_y(y) - phi;
        if f >= 0.0 {
            hi = hi.min(y);
        } else {
            lo = lo.max(y);
        }
        let g = slope(y);
        let mut next = y - f / g;
        if !(next > lo && next < hi && next.is_finite()) {
            next = lo + (hi - lo) / 2.0;
        }
        if (next - y).abs() <= 1e-13 * y.abs().max(1.0) || hi - lo <= 1e-13 * hi.abs().max(1.0) {
            return next;
        }
        y = next;
    }
    y
}

/// The estimator's model tail `P(X > d) = 10^-phi(d)`.
pub fn model_tail(est: Estimator, d: f64, mean: f64, sd: f64) -> f64 {
    10f64.powf(-est.phi(d, mean, sd))
}

/// The model's mean excess `E[X − d | X > d]`: the mean for the exponential model (memoryless);
/// `sd·(M(y) − y)` for the normal models, with Mills' inverse ratio `M(y) = pdf(y)/Q(y)` (the
/// logistic Akka model is read as the normal it approximates).
pub fn model_mean_excess(est: Estimator, d: f64, mean: f64, sd: f64) -> f64 {
    match est {
        Estimator::Exponential => mean,
        _ => {
            let y = (d - mean) / sd;
            let ln_pdf = -0.5 * y * y - 0.5 * (2.0 * std::f64::consts::PI).ln();
            let m = (ln_pdf - ln_normal_tail(y)).exp();
            (sd * (m - y)).max(0.0)
        }
    }
}

/// The outcome of one derivation for one node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Derived {
    /// Standardised values of the failure and suspect levels.
    pub y_fail: f64,
    pub y_suspect: f64,
    /// The phi levels they stand for.
    pub threshold: f64,
    pub suspect_threshold: f64,
    /// Predictions at the deadline meeting the mistake-rate bound (silence `d`, ns).
    pub detection_ns: u64,
    pub recurrence_ns: u64,
    pub duration_ns: u64,
    /// T_D of the deadline the estimate alone supports (no warm-up hold), ns.
    pub best_detection_ns: u64,
    pub feasible: bool,
    pub established: bool,
    pub samples: u32,
}

/// Window summary the derivation needs.
pub(crate) struct WindowView<'a> {
    /// Samples, µs.
    pub samples_us: &'a [u32],
    /// Raw mean interval, ns (μ).
    pub mu_ns: f64,
    /// Effective mean and sd of the estimator, ns.
    pub mean_ns: f64,
    pub sd_ns: f64,
}

/// The QoS warm-up of a node with targets `t`, ns: the configured one, else `min(T_MR, 1 h)`.
pub(crate) fn warmup_ns(s: &Settings, t: &QosTargets) -> u64 {
    s.qos_warmup_ns
        .unwrap_or_else(|| t.min_mistake_recurrence_ns.min(DEFAULT_WARMUP_CAP_NS))
}

/// The least deadline of a node watched for `age_ns`, ns: during the warm-up `W`, the T_D
/// bound less the one-way delay, scaled by `1 − age/W` (it falls to 0 at the end of the
/// warm-up); 0 after it.
pub(crate) fn warmup_hold_ns(s: &Settings, t: &QosTargets, age_ns: u64) -> f64 {
    let w = warmup_ns(s, t);
    if age_ns >= w {
        return 0.0;
    }
    let budget = t.max_detection_ns.saturating_sub(one_way_ns(s)) as f64;
    budget * (1.0 - age_ns as f64 / w as f64)
}

/// One-way delay: half the declared round trip, else 0.
pub(crate) fn one_way_ns(s: &Settings) -> u64 {
    s.round_trip_ns.map_or(0, |r| r / 2)
}

/// Predictions at a deadline `d` (ns): `(T_MR, T_M)`, conservative (the larger tail, the larger
/// mean excess).
/// With the gap log's tail `log`, the larger of the window's rate `P(X > d)/μ` and the log's.
pub(crate) fn predict(
    s: &Settings,
    w: &WindowView<'_>,
    fit: Option<&TailFit>,
    log: Option<&GapTail>,
    d: f64,
) -> (u64, u64) {
    let mut p = model_tail(s.estimator, d, w.mean_ns, w.sd_ns);
    let mut tm = model_mean_excess(s.estimator, d, w.mean_ns, w.sd_ns);
    if let Some(f) = fit {
        p = p.max(if log.is_some() { f.tail_fitted(d) } else { f.tail(d) });
        tm = tm.max(f.mean_excess(d));
    }
    let mut rate = if w.mu_ns > 0.0 { p / w.mu_ns } else { 0.0 };
    if let Some(g) = log {
        rate = rate.max(g.rate(d));
        tm = tm.max(g.mean_excess(d));
    }
    let tmr = if rate > 0.0 { 1.0 / rate } else { f64::INFINITY };
    (sat_ns(tmr), sat_ns(tm))
}

/// Rounds a duration to ns, saturating (infinite: `u64::MAX`).
fn sat_ns(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= 1.8e19 {
        u64::MAX
    } else {
        x.round() as u64
    }
}

/// Derives the phi levels meeting `t` on the window `w`; `ratio` = suspect / threshold of the
/// thresholds the node would use otherwise.
/// `log`: the gap log's tail when the log is in use ([`QosState::log_tail`]); its deadline for
/// the rate `1/T_MR` is a further lower bound of the deadline. `age_ns`: how long the node has
/// been watched ([`GapLog::age_ns`]); during the warm-up ([`warmup_ns`]) the deadline is at least
/// the warm-up hold ([`warmup_hold_ns`]).
pub(crate) fn derive(
    s: &Settings,
    t: &QosTargets,
    w: &WindowView<'_>,
    log: Option<&GapTail>,
    ratio: f64,
    age_ns: u64,
) -> Derived {
    let est = s.estimator;
    let fit = TailFit::fit(w.samples_us);
    // The tail probability allowed: λ_M = P(X > d)/μ <= 1/T_MR.
    let p = (w.mu_ns / t.min_mistake_recurrence_ns as f64).clamp(f64::MIN_POSITIVE, 1.0);
    let phi_needed = -p.log10();
    let d_model = est.elapsed_for_y(y_for_phi_fast(est, phi_needed), w.mean_ns, w.sd_ns);
    let d_fit = fit.as_ref().map_or(0.0, |f| {
        if log.is_some() {
            f.deadline_fitted(p)
        } else {
            f.deadline_for(p)
        }
    });
    let d_log = log.map_or(0.0, GapTail::deadline);
    let best = d_model.max(d_fit).max(d_log).max(0.0);
    let best_detection_ns = sat_ns(best.ceil()).saturating_add(one_way_ns(s));
    let (best_recurrence, best_duration) = predict(s, w, fit.as_ref(), log, best);
    let feasible = best_detection_ns <= t.max_detection_ns
        && (t.max_mistake_duration_ns == 0 || best_duration <= t.max_mistake_duration_ns);
    let hold = warmup_hold_ns(s, t, age_ns);
    let d = best.max(hold);
    let y_fail = est.y(d, w.mean_ns, w.sd_ns);
    let threshold = est.phi_of_y(y_fail);
    let suspect_threshold = threshold * ratio;
    let y_suspect = y_for_phi_fast(est, suspect_threshold).min(y_fail);
    let (detection_ns, recurrence_ns, duration_ns) = if d > best {
        let (r, m) = predict(s, w, fit.as_ref(), log, d);
        (sat_ns(d.ceil()).saturating_add(one_way_ns(s)), r, m)
    } else {
        (best_detection_ns, best_recurrence, best_duration)
    };
    Derived {
        y_fail,
        y_suspect,
        threshold,
        suspect_threshold,
        detection_ns,
        recurrence_ns,
        duration_ns,
        best_detection_ns,
        feasible,
        established: age_ns >= warmup_ns(s, t),
        samples: log.map_or(w.samples_us.len() as u32, |g| {
            u32::try_from(g.intervals).unwrap_or(u32::MAX)
        }),
    }
}

/// A QoS node's state: its targets, the last derivation and the counters that trigger the next.
#[derive(Debug, Clone)]
pub(crate) struct QosState {
    pub targets: QosTargets,
    /// Suspect / threshold of the thresholds the node would use without QoS.
    pub ratio: f64,
    /// Counted arrivals since the last derivation.
    pub since_fit: u32,
    pub last: Option<Derived>,
    /// Counted arrivals and heartbeats skipped by version gaps (halved now and then, so the rate
    /// follows the recent past).
    pub arrivals: u64,
    pub lost: u64,
    /// The long memory of large gaps.
    pub log: GapLog,
}

impl QosState {
    pub(crate) fn new(targets: QosTargets, ratio: f64) -> QosState {
        QosState {
            targets,
            ratio,
            since_fit: 0,
            last: None,
            arrivals: 0,
            lost: 0,
            log: GapLog::new(GapLog::epoch_for(&targets)),
        }
    }

    /// Takes over what `old` measured (loss counters, gap log) when a node's targets change.
    pub(crate) fn keep_history(&mut self, old: &QosState) {
        self.arrivals = old.arrivals;
        self.lost = old.lost;
        self.log = old.log.clone();
        self.log.set_epoch(GapLog::epoch_for(&self.targets));
    }

    /// The gap log's tail when the log is in use for a window of `len` intervals: it holds
    /// `GAP_LOG_K` gaps and has seen at least [`LOG_MIN_INTERVALS`] intervals and twice as many as
    /// the window holds (before that it knows little the window does not, and the window's
    /// derivation alone is used).
    pub(crate) fn log_tail(&self, len: u32) -> Option<GapTail> {
        if self.log.intervals() < u64::from(len.saturating_mul(2)).max(LOG_MIN_INTERVALS) {
            return None;
        }
        let r = 1.0 / self.targets.min_mistake_recurrence_ns as f64;
        let all = self.log.fit(r)?;
        match self.log.fit_recent(r) {
            Some(recent) if recent.deadline() > all.deadline() => Some(recent),
            _ => Some(all),
        }
    }

    /// Counts a counted arrival that advanced the version by `steps`.
    #[inline]
    pub(crate) fn note_arrival(&mut self, steps: u64, learned: bool) {
        self.arrivals += 1;
        self.lost += steps.saturating_sub(1);
        if learned {
            self.since_fit = self.since_fit.saturating_add(1);
        }
        if self.arrivals >= 1 << 16 {
            self.arrivals /= 2;
            self.lost /= 2;
        }
    }

    /// Whether a new derivation is due for a window of `len` intervals: every
    /// `max(64, len/16)` learned intervals (every 8 while the model alone is used), so the O(window)
    /// fit costs at most a few operations per heartbeat, amortised.
    #[inline]
    pub(crate) fn due(&self, len: u32) -> bool {
        let every = if len < MIN_FIT_SAMPLES { 8 } else { 64.max(len / 16) };
        self.last.is_none() || self.since_fit >= every
    }

    /// Fraction of heartbeats lost (from version gaps).
    pub(crate) fn loss_rate(&self) -> f64 {
        let total = self.arrivals + self.lost;
        if total == 0 {
            0.0
        } else {
            self.lost as f64 / total as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MAX_DURATION_NS;

    #[test]
    fn targets_are_validated_field_by_field() {
        let ok = QosTargets {
            max_detection_ns: 1,
            min_mistake_recurrence_ns: 1,
            max_mistake_duration_ns: 0,
        };
        assert!(ok.validate().is_ok());
        let e = QosTargets {
            max_detection_ns: 0,
            ..ok
        }
        .validate()
        .unwrap_err();
        assert!(e.message.contains("max_detection_ns"), "{e}");
        let e = QosTargets {
            min_mistake_recurrence_ns: 0,
            ..ok
        }
        .validate()
        .unwrap_err();
        assert!(e.message.contains("min_mistake_recurrence_ns"), "{e}");
        let e = QosTargets {
            max_mistake_duration_ns: MAX_DURATION_NS + 1,
            ..ok
        }
        .validate()
        .unwrap_err();
        assert!(e.message.contains("max_mistake_duration_ns"), "{e}");
    }

    #[test]
    fn fit_of_a_hand_made_window() {
        // 40 intervals: 30 of 1 ms, then 2, 3, ..., 11 ms. n = 40, k = max(8, ceil(√40) = 7) = 8.
        // Largest first: 11, 10, 9, 8, 7, 6, 5, 4 | 3 (u) ... so u = 3 ms and the excesses are
        // 8, 7, 6, 5, 4, 3, 2, 1 ms: β = 36/8 = 4.5 ms.
        let mut xs = vec![1_000u32; 30];
        xs.extend((2..=11).map(|m| m * 1_000));
        let f = TailFit::fit(&xs).unwrap();
        assert_eq!((f.n, f.k), (40, 8));
        assert_eq!(f.u_ns, 3e6);
        assert_eq!(f.beta_ns, 4.5e6);
        // The scale used: β(1 + 1/√8).
        let sc = 4.5e6 * (1.0 + 1.0 / 8f64.sqrt());
        assert!((f.scale_ns - sc).abs() < 1e-6);
        // P(X > u) = 8/40; P(X > u + s·ln 2) = 0.1.
        assert!((f.tail(3e6) - 0.2).abs() < 1e-15);
        assert!((f.tail(3e6 + sc * 2f64.ln()) - 0.1).abs() < 1e-12);
        // p = 0.01: d = u + s·ln(0.2/0.01) = 3 ms + s · ln 20 = 16.9 ms, beyond the longest
        // interval (11 ms, the empirical floor for p·n = 0.4 < 1).
        let want = 3e6 + sc * 20f64.ln();
        assert!((f.deadline_for(0.01) - want).abs() < 1e-3);
        // In the body: p = 0.5 → 20 intervals may exceed: the 21st largest is 1 ms.
        assert_eq!(f.deadline_for(0.5), 1e6);
        // Empirical tail below u: 2 ms is exceeded by 9 of 40.
        assert_eq!(f.tail(2e6), 9.0 / 40.0);
        // Mean excess over 2 ms: (1+2+...+9)/9 = 5 ms.
        assert!((f.mean_excess(2e6) - 5e6).abs() < 1e-6);
        assert_eq!(f.mean_excess(5e6), sc);
        // The fit never claims less than the window shows: 4 of 40 intervals exceed 7.5 ms.
        assert!(f.tail(7.5e6) >= 0.1);
    }

    #[test]
    fn rare_long_gaps_set_the_deadline_not_the_jitter() {
        // 1000 intervals: 1 s +/- 10 ms jitter (a grid), and 30 stalls of 1.4 s among them.
        // k = ceil(√1000) = 32: the 30 stalls are in the top 32, so the scale is about their
        // excess (~0.4 s), and a bound of one mistake in 10^4 intervals (p = 10^-4, p·n = 0.1)
        // needs at least the longest interval: d >= 1.4 s.
        let mut xs: Vec<u32> = (0..1000u32).map(|i| 990_000 + (i * 7919 % 1000) * 20).collect();
        for i in 0..30 {
            xs[i * 33] = 1_400_000;
        }
        let f = TailFit::fit(&xs).unwrap();
        assert_eq!(f.k, 32);
        let d = f.deadline_for(1e-4);
        assert!(d >= 1.4e9, "{d}");
        // P(X > d) <= p at the deadline, also by the window's own count.
        assert!(f.tail(d) <= 1e-4 * (1.0 + 1e-9));
        // The empirical tail holds between the jitter and the stalls: 30 of 1000 exceed 1.2 s.
        assert!((f.tail(1.2e9) - 0.03).abs() < 1e-12);
    }

    #[test]
    fn fast_inverse_agrees_with_the_bisection() {
        for est in [Estimator::Akka, Estimator::Normal, Estimator::Exponential] {
            for phi in [1e-3, 0.2, 0.5, 1.0, 3.0, 8.0, 16.5, 60.0, 400.0, 5e4] {
                let a = y_for_phi_fast(est, phi);
                let b = est.y_for_phi(phi);
                assert!((a - b).abs() <= 1e-11 * b.abs().max(1.0), "{est:?} {phi}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn fewer_than_32_intervals_are_not_fitted() {
        assert!(TailFit::fit(&[1_000; 31]).is_none());
        let f = TailFit::fit(&[1_000; 32]).unwrap();
        // Equal intervals: no excess, no tail beyond u.
        assert_eq!((f.u_ns, f.scale_ns, f.tail(1e6 + 1.0)), (1e6, 0.0, 0.0));
        assert_eq!(f.deadline_for(1e-6), 1e6);
    }

    #[test]
    fn model_tails_and_excesses_match_closed_forms() {
        // Exponential model: P(X > d) = e^{-d/mean}, mean excess = mean.
        let m: f64 = 2e9;
        for d in [0.0f64, 1e9, 5e9, 2e10] {
            let want = (-d / m).exp();
            let got = model_tail(Estimator::Exponential, d, m, 1.0);
            assert!((got - want).abs() <= 1e-12 * want.max(1e-300), "{d}: {got} vs {want}");
        }
        assert_eq!(model_mean_excess(Estimator::Exponential, 7e9, m, 1.0), m);
        // Normal: Q(2) = 0.02275013194817921; E[Z − 2 | Z > 2] = pdf(2)/Q(2) − 2
        // = 0.05399096651318806 / 0.02275013194817921 − 2 = 0.3732157...
        let q2 = 0.022_750_131_948_179_21;
        assert!((model_tail(Estimator::Normal, 1.2e9, 1e9, 1e8) - q2).abs() < 1e-14);
        let want = 1e8 * (0.053_990_966_513_188_06 / q2 - 2.0);
        let got = model_mean_excess(Estimator::Normal, 1.2e9, 1e9, 1e8);
        assert!((got - want).abs() < 1.0, "{got} vs {want}");
    }
}
