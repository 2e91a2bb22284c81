//! `seqtail`: a candidate estimator that is aware of sequence numbers, scales
//! its margin with the current lateness of the stream, and reads the tail
//! from a small log-scale histogram of the window with an exponential
//! extrapolation beyond it.
//!
//! Algorithm, per monitored node (all times in ns, on the receiver's clock;
//! no sender clock is used, only sequence numbers):
//!
//! - **Sender period** `η`: an exponentially weighted mean (weight 1/`window`)
//!   of the intervals between arrivals of *consecutive* sequence numbers that
//!   are below `2η` (seeded with the nominal interval).
//! - **Lateness** `L ≥ 0`: `v` accumulates `ΔA − η·Δs` over arrivals (`ΔA` the
//!   receive interval, `Δs` the sequence step); `L = v − min(v)` over the last
//!   16–32 arrivals (two block minima, so O(1)). `L` is how late the newest
//!   heartbeat is against the recent best-case schedule: high while the
//!   network delay is high.
//! - **Scale** `σ = L + s₀`, `s₀ = η/100` (a floor that makes the scale
//!   constant on a quiet network).
//! - **Learning** (only when `Δs = 1`, so a loss is never a long interval,
//!   and whatever the deadline was, so recurring stalls widen the tail): the
//!   normalised residual `Z = (ΔA − η) / σ_prev`, `σ_prev` the scale at the
//!   previous arrival, goes into a ring of the last `window` values (`f32`,
//!   4 bytes each) and into a 64-bin histogram over `log2(Z)` (bins of 1/3
//!   octave from `Z = 1/64`; `Z ≤ 1/64` counts in bin 0).
//! - **Tail** `P(Z > z)`: the histogram's empirical tail (log-interpolated
//!   inside a bin) where at least `K = 8` samples lie above `z`; beyond, an
//!   exponential tail fitted to the top `K`: `P = (K/n)·exp(−(z − u)/β)`, `u`
//!   the `K`-th largest value, `β` the mean excess of the top `K` over `u`,
//!   floored at `25` (a quarter interval in units of `s₀`).
//! - **Phi** at `t` after the arrival: `−log10 P(Z > (t − η)/σ)`; the deadline
//!   of threshold `Φ` is `A + η + σ·Q(10^−Φ)`.
//!
//! State per node: the ring (4 bytes per sample), 64 `u16` counts, and about
//! ten scalars. Update O(1); query O(bins).

use crate::detector::Detector;

const BINS: usize = 64;
const Z_MIN: f64 = 1.0 / 64.0;
const BINS_PER_OCTAVE: f64 = 3.0;
const TOP_K: f64 = 8.0;
/// Floor of the tail's mean excess, in units of `s₀ = η/100`: a quarter of
/// the interval, like the library's default sd floor.
const BETA_MIN: f64 = 25.0;
const BLOCK: u32 = 16;
/// The lateness in the scale is capped at this multiple of its running mean.
const CAP: f64 = 16.0;

/// Histogram bin of a normalised residual.
fn bin_of(z: f64) -> usize {
    if z.is_nan() || z <= Z_MIN {
        return 0;
    }
    let b = ((z / Z_MIN).log2() * BINS_PER_OCTAVE).floor() as i64 + 1;
    b.clamp(1, BINS as i64 - 1) as usize
}

/// Lower edge of bin `b` (bin 0: everything up to `Z_MIN`, treated as `[0, Z_MIN]`).
fn bin_lo(b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        Z_MIN * ((b - 1) as f64 / BINS_PER_OCTAVE).exp2()
    }
}

fn bin_hi(b: usize) -> f64 {
    Z_MIN * (b as f64 / BINS_PER_OCTAVE).exp2()
}

/// The window of normalised residuals with its histogram.
#[derive(Debug, Clone)]
struct TailWindow {
    ring: Vec<f32>,
    head: usize,
    len: usize,
    hist: [u32; BINS],
}

impl TailWindow {
    fn new(cap: usize) -> TailWindow {
        TailWindow {
            ring: vec![0.0; cap.max(TOP_K as usize + 1)],
            head: 0,
            len: 0,
            hist: [0; BINS],
        }
    }
    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.hist = [0; BINS];
    }
    fn push(&mut self, z: f64) {
        let cap = self.ring.len();
        if self.len == cap {
            let old = self.ring[self.head];
            self.hist[bin_of(f64::from(old))] -= 1;
        } else {
            self.len += 1;
        }
        self.ring[self.head] = z as f32;
        self.hist[bin_of(z)] += 1;
        self.head = (self.head + 1) % cap;
    }
    /// Value `z` with `P(Z > z) = p` (the window's empirical tail, then an
    /// exponential extrapolation from its top `TOP_K` values).
    fn quantile(&self, p: f64) -> f64 {
        let n = self.len as f64;
        if self.len == 0 {
            return 1.0;
        }
        let want = p * n; // samples above the answer
        let k = TOP_K.min(n);
        // Walk from the top bin down, accumulating counts.
        let mut above = 0.0;
        let mut u = 0.0; // k-th largest (bin-interpolated)
        let mut sum_top = 0.0; // approximate sum of the top k values
        let mut found_u = false;
        let mut emp: Option<f64> = None;
        for b in (0..BINS).rev() {
            let c = f64::from(self.hist[b]);
            if c == 0.0 {
                continue;
            }
            let (lo, hi) = (bin_lo(b), bin_hi(b));
            let mid = if b == 0 { 0.0 } else { (lo * hi).sqrt() };
            if emp.is_none() && want >= k && above + c >= want {
                // interpolate in log within the bin
                let f = (want - above) / c; // fraction of this bin above the answer
                emp = Some(if b == 0 {
                    lo + (hi - lo) * (1.0 - f)
                } else {
                    hi * (lo / hi).powf(f)
                });
            }
            if !found_u {
                if above + c >= k {
                    let take = k - above;
                    sum_top += take * mid;
                    let f = take / c;
                    u = if b == 0 { hi * (1.0 - f) } else { hi * (lo / hi).powf(f) };
                    found_u = true;
                } else {
                    sum_top += c * mid;
                }
            }
            above += c;
            if found_u && (emp.is_some() || want < k) {
                break;
            }
        }
        if let Some(e) = emp {
            return e;
        }
        let beta = ((sum_top / k) - u).max(BETA_MIN);
        u + beta * (k / want.max(1e-300)).ln().max(0.0)
    }
}

/// The `seqtail` detector (see the module documentation), swept over phi
/// thresholds. `scaled = false` keeps the scale at `s₀` (no lateness
/// conditioning), to measure what the lateness scale contributes.
pub struct SeqTail {
    name: &'static str,
    levels: Vec<f64>,
    nominal: f64,
    window: u32,
    scaled: bool,
    eta: f64,
    v: f64,
    min_cur: f64,
    min_prev: f64,
    in_block: u32,
    last: Option<(u64, u64)>,
    sigma_prev: f64,
    l_mean: f64,
    tail: TailWindow,
    q: Vec<f64>,
    since_refresh: u32,
}

/// Phi thresholds of the `seqtail` sweep.
pub const SEQTAIL_LEVELS: &[f64] = &[
    0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0,
    18.0, 20.0, 24.0, 28.0, 32.0,
];

impl SeqTail {
    /// A detector with nominal interval `interval_ns`, a window of `window`
    /// residuals, phi thresholds `levels`.
    pub fn new(name: &'static str, interval_ns: u64, window: u32, levels: Vec<f64>, scaled: bool) -> SeqTail {
        let n = levels.len();
        let mut d = SeqTail {
            name,
            levels,
            nominal: interval_ns as f64,
            window,
            scaled,
            eta: 0.0,
            v: 0.0,
            min_cur: 0.0,
            min_prev: 0.0,
            in_block: 0,
            last: None,
            sigma_prev: 0.0,
            l_mean: 0.0,
            tail: TailWindow::new(window as usize),
            q: vec![0.0; n],
            since_refresh: u32::MAX,
        };
        d.reset();
        d
    }

    /// The current lateness `L`, ns.
    fn lateness(&self) -> f64 {
        (self.v - self.min_cur.min(self.min_prev)).max(0.0)
    }

    /// The current scale `σ`, ns.
    fn sigma(&self) -> f64 {
        let s0 = self.eta / 100.0;
        if self.scaled {
            self.lateness().min(CAP * self.l_mean) + s0
        } else {
            s0
        }
    }
}

impl Detector for SeqTail {
    fn name(&self) -> String {
        self.name.to_string()
    }
    fn param_name(&self) -> &'static str {
        "phi"
    }
    fn levels(&self) -> &[f64] {
        &self.levels
    }
    fn reset(&mut self) {
        self.eta = self.nominal;
        self.v = 0.0;
        self.min_cur = 0.0;
        self.min_prev = 0.0;
        self.in_block = 0;
        self.last = None;
        self.sigma_prev = self.nominal / 100.0;
        self.l_mean = 0.0;
        self.tail = TailWindow::new(self.window as usize);
        self.tail.clear();
        // Seed: two residuals of ±interval/4 (like the library's seed history).
        self.tail.push(0.25 * 100.0);
        self.tail.push(0.0);
        self.since_refresh = u32::MAX;
    }
    fn arrive(&mut self, now: u64, seq: u64, deadlines: &mut [u64]) {
        let mut changed_top = false;
        if let Some((t0, s0)) = self.last {
            let da = now.saturating_sub(t0) as f64;
            let ds = seq.saturating_sub(s0).max(1);
            if seq == s0 + 1 && da < 2.0 * self.eta {
                self.eta += (da - self.eta) / f64::from(self.window.max(1));
            }
            // Every gap is learned, losses included: the silence after the
            // last arrival is what a wrong suspicion is made of.
            let z = (da - self.eta) / self.sigma_prev;
            self.tail.push(z);
            changed_top = z > 1.0;
            self.v += da - self.eta * ds as f64;
            if self.in_block == 0 {
                self.min_prev = self.min_cur;
                self.min_cur = self.v;
            }
            self.min_cur = self.min_cur.min(self.v);
            self.in_block = (self.in_block + 1) % BLOCK;
            let l = self.lateness();
            self.l_mean += (l - self.l_mean) / f64::from(self.window.max(1));
        }
        self.last = Some((now, seq));
        let sigma = self.sigma();
        self.sigma_prev = sigma;
        // Refresh the cached quantiles every 8 arrivals or when a large residual came in.
        self.since_refresh = self.since_refresh.saturating_add(1);
        if changed_top || self.since_refresh >= 8 {
            for (q, &phi) in self.q.iter_mut().zip(&self.levels) {
                *q = self.tail.quantile(10f64.powf(-phi));
            }
            self.since_refresh = 0;
        }
        for (d, q) in deadlines.iter_mut().zip(&self.q) {
            let e = self.eta + sigma * q.max(0.0);
            *d = now.saturating_add(if e.is_finite() && e > 0.0 {
                e.min(1e18) as u64
            } else {
                0
            });
        }
    }
}
