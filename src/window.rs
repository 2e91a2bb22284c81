//! The sliding window of inter-arrival intervals and its exact statistics.
//!
//! Intervals are stored as `u32` microseconds (4 bytes a sample). Microsecond
//! resolution is three orders of magnitude finer than any heartbeat interval
//! worth detecting, and `u32` holds intervals up to about 71.6 minutes; a
//! longer interval is saturated to that maximum (it is never learned in
//! practice: a gap that long convicts the node first).
//!
//! The running sums are integers (`u64` sum, `u128` sum of squares), updated by
//! adding the new sample and subtracting the evicted one. Integer arithmetic is
//! exact, so the statistics after a billion heartbeats are bit for bit those of
//! a fresh recomputation over the samples in the window, and the variance
//! numerator `n*Σx² - (Σx)²` is an exact non-negative integer (Cauchy–Schwarz),
//! so the variance is never negative.

/// Largest window the library accepts. Bounds the sums: `2^20 * (2^32)^2 = 2^84`
/// fits the `u128` sum of squares, and `n * Σx² < 2^104` as well.
pub const MAX_WINDOW: u32 = 1 << 20;

/// Converts nanoseconds to the stored microsecond sample, rounding to nearest
/// and saturating at `u32::MAX` microseconds.
#[inline]
pub fn ns_to_sample(ns: u64) -> u32 {
    let us = ns / 1_000 + u64::from(ns % 1_000 >= 500);
    u32::try_from(us).unwrap_or(u32::MAX)
}

/// A ring of the last `capacity` samples with exact running sums.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Samples in microseconds. Grows on demand up to `capacity`, never beyond
    /// (reserved exactly), so a full window costs `4 * capacity` bytes.
    samples: Vec<u32>,
    /// Index of the oldest sample once the ring is full.
    head: u32,
    capacity: u32,
    sum: u64,
    /// The sum of squares (a `u128`) as two 64-bit halves: a `u128` field would align the
    /// window, and every node record holding it, to 16 bytes (16 bytes of padding a node).
    sum_sq_lo: u64,
    sum_sq_hi: u64,
}

impl Window {
    /// An empty window that keeps at most `capacity` samples (`1..=MAX_WINDOW`,
    /// enforced by the configuration; out-of-range values are clamped here).
    pub fn new(capacity: u32) -> Self {
        Window {
            samples: Vec::new(),
            head: 0,
            capacity: capacity.clamp(1, MAX_WINDOW),
            sum: 0,
            sum_sq_lo: 0,
            sum_sq_hi: 0,
        }
    }

    /// Empties the window, keeping its allocation.
    pub fn clear(&mut self) {
        self.samples.clear();
        self.head = 0;
        self.sum = 0;
        self.set_sum_sq(0);
    }

    #[inline]
    fn set_sum_sq(&mut self, q: u128) {
        self.sum_sq_lo = q as u64; // the low half, by design
        self.sum_sq_hi = (q >> 64) as u64;
    }

    /// Appends a sample in microseconds, evicting the oldest when full. O(1)
    /// amortised; the allocation grows geometrically but never past `capacity`.
    pub fn push(&mut self, sample_us: u32) {
        let x = u64::from(sample_us);
        let mut q = self.sum_sq();
        if self.samples.len() < self.capacity as usize {
            if self.samples.len() == self.samples.capacity() {
                let len = self.samples.len();
                let want = (len.max(4) * 2).min(self.capacity as usize);
                self.samples.reserve_exact(want - len);
            }
            self.samples.push(sample_us);
        } else if let Some(slot) = self.samples.get_mut(self.head as usize) {
            let old = u64::from(*slot);
            *slot = sample_us;
            self.head = if self.head + 1 == self.capacity {
                0
            } else {
                self.head + 1
            };
            // Both subtractions are exact: `old` was added before.
            self.sum -= old;
            q -= u128::from(old) * u128::from(old);
        }
        self.sum += x;
        self.set_sum_sq(q + u128::from(x) * u128::from(x));
    }

    /// Number of samples held.
    #[inline]
    pub fn len(&self) -> u32 {
        self.samples.len() as u32
    }

    /// True when no sample is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Maximum number of samples.
    #[inline]
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Exact sum of the samples (microseconds).
    #[inline]
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// Exact sum of squares of the samples (microseconds squared).
    #[inline]
    pub fn sum_sq(&self) -> u128 {
        (u128::from(self.sum_sq_hi) << 64) | u128::from(self.sum_sq_lo)
    }

    /// Mean interval in nanoseconds (0 when empty).
    #[inline]
    pub fn mean_ns(&self) -> f64 {
        let n = self.samples.len();
        if n == 0 {
            return 0.0;
        }
        crate::num::u64_to_f64(self.sum) * 1_000.0 / n as f64
    }

    /// Population variance in nanoseconds squared (0 when empty). Computed from
    /// the exact integer numerator, so it is never negative.
    #[inline]
    pub fn variance_ns2(&self) -> f64 {
        let len = self.samples.len();
        if len == 0 {
            return 0.0;
        }
        let nf = len as f64;
        // n*Σx² >= (Σx)² for real numbers, so the numerator never underflows. In 64-bit
        // arithmetic when everything fits (it does for intervals up to about an hour at the
        // default window), exactly the same integer as the 128-bit path, which covers the rest.
        let n = len as u64;
        let num64 = (self.sum_sq_hi == 0)
            .then_some(self.sum_sq_lo)
            .and_then(|q| n.checked_mul(q))
            .and_then(|a| self.sum.checked_mul(self.sum).map(|b| a.saturating_sub(b)));
        let numf = match num64 {
            Some(x) => crate::num::u64_to_f64(x),
            None => {
                let s = u128::from(self.sum);
                (u128::from(n) * self.sum_sq()).saturating_sub(s * s) as f64
            }
        };
        numf / (nf * nf) * 1_000_000.0
    }

    /// The samples in storage order (not oldest first once the ring has wrapped), without copying:
    /// for statistics that do not depend on the order.
    #[inline]
    pub fn samples_unordered(&self) -> &[u32] {
        &self.samples
    }

    /// The samples, oldest first (allocates; for diagnostics and tests).
    pub fn samples_oldest_first(&self) -> Vec<u32> {
        let h = (self.head as usize).min(self.samples.len());
        let mut v = Vec::with_capacity(self.samples.len());
        v.extend_from_slice(self.samples.get(h..).unwrap_or(&[]));
        v.extend_from_slice(self.samples.get(..h).unwrap_or(&[]));
        v
    }

    /// Bytes of heap memory the samples occupy.
    pub fn heap_bytes(&self) -> usize {
        self.samples.capacity() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recompute(xs: &[u32]) -> (u64, u128) {
        let s: u64 = xs.iter().map(|&x| u64::from(x)).sum();
        let q: u128 = xs.iter().map(|&x| u128::from(x) * u128::from(x)).sum();
        (s, q)
    }

    #[test]
    fn ring_keeps_last_capacity_samples() {
        let mut w = Window::new(3);
        for x in [5, 7, 9, 11, 13] {
            w.push(x);
        }
        assert_eq!(w.samples_oldest_first(), vec![9, 11, 13]);
        assert_eq!(w.sum(), 33);
        assert_eq!(w.sum_sq(), 81 + 121 + 169);
        assert_eq!(w.heap_bytes(), 12, "never reserves past capacity");
    }

    #[test]
    fn statistics_match_recomputation_after_many_wraps() {
        let mut w = Window::new(1000);
        let mut x: u64 = 88172645463325252;
        for _ in 0..250_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.push((x % 4_000_000_000) as u32);
        }
        let (s, q) = recompute(&w.samples_oldest_first());
        assert_eq!(w.sum(), s);
        assert_eq!(w.sum_sq(), q);
        assert!(w.variance_ns2() >= 0.0);
    }

    #[test]
    fn hand_computed_mean_and_variance() {
        let mut w = Window::new(10);
        // 900 ms and 1100 ms: mean 1000 ms, population sd 100 ms.
        for x in [900_000, 1_100_000, 900_000, 1_100_000] {
            w.push(x);
        }
        assert_eq!(w.mean_ns(), 1_000_000_000.0);
        assert_eq!(w.variance_ns2(), 1e16);
    }

    #[test]
    fn constant_samples_have_exactly_zero_variance() {
        let mut w = Window::new(7);
        for _ in 0..100 {
            w.push(123_457);
        }
        assert_eq!(w.variance_ns2(), 0.0);
    }

    #[test]
    fn sample_conversion_rounds_and_saturates() {
        assert_eq!(ns_to_sample(1_499), 1);
        assert_eq!(ns_to_sample(1_500), 2);
        assert_eq!(ns_to_sample(u64::MAX), u32::MAX);
    }
}

/// What docs/numerics.md promises about the window statistics, checked against values derived
/// independently of the code: the mean and variance come from exact integer sums through
/// correctly rounded IEEE-754 operations only (so they are the same bits on every platform);
/// here they are compared with the exact rationals computed in integer arithmetic (mean within
/// half an ulp, variance within one ulp, two when the integer numerator exceeds 2^53).
#[cfg(test)]
mod exact_rounding_tests {
    use super::Window;

    /// Checks `|v - p/q| <= half_ulps/2 · ulp(v)` exactly, in integer arithmetic.
    fn within_half_ulps(v: f64, p: u128, q: u128, half_ulps: i128) -> bool {
        assert!(v.is_finite() && v > 0.0 && q > 0);
        let bits = v.to_bits();
        let raw_exp = ((bits >> 52) & 0x7ff) as i32;
        assert!(raw_exp > 0, "subnormal {v}");
        let m = i128::from((bits & ((1u64 << 52) - 1)) | (1u64 << 52)); // v = m · 2^e
        let e = raw_exp - 1075;
        let (p, q) = (i128::try_from(p).unwrap(), i128::try_from(q).unwrap());
        if e >= 0 {
            let scale = 1i128 << e;
            let diff = (m * scale * q - p).abs();
            2 * diff <= half_ulps * scale * q
        } else {
            let scaled_p = p.checked_mul(1i128 << (-e)).expect("fits in 128 bits");
            let diff = (m * q - scaled_p).abs();
            2 * diff <= half_ulps * q
        }
    }

    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    #[test]
    fn window_statistics_are_correctly_rounded_from_the_exact_sums() {
        let mut rng = 0x2545_F491_4F6C_DD1D_u64;
        for round in 0..400 {
            let n = 1 + (xorshift(&mut rng) % 1000) as u32;
            // Intervals from 1 µs to the largest sample, in different bands per round.
            let band = [1_000u64, 100_000, 10_000_000, u64::from(u32::MAX)][round % 4];
            let mut w = Window::new(n);
            let (mut sum, mut sum_sq) = (0u128, 0u128);
            let count = n + (xorshift(&mut rng) % 3) as u32 * n / 2; // sometimes wrapped around
            let mut kept = std::collections::VecDeque::new();
            for _ in 0..count {
                let x = 1 + (xorshift(&mut rng) % band) as u32;
                w.push(x);
                kept.push_back(u128::from(x));
                if kept.len() > n as usize {
                    kept.pop_front();
                }
            }
            for &x in &kept {
                sum += x;
                sum_sq += x * x;
            }
            let k = kept.len() as u128;
            // mean (ns) = 1000 · Σx / k: correctly rounded (half an ulp).
            assert!(
                within_half_ulps(w.mean_ns(), 1000 * sum, k, 1),
                "round {round}: mean {} vs {}/{k}",
                w.mean_ns(),
                1000 * sum
            );
            // variance (ns²) = 10^6 · (kΣx² − (Σx)²) / k²: within one ulp while the integer
            // numerator is below 2^53 (it is exact in a double), within two beyond.
            let num = k * sum_sq - sum * sum;
            let half_ulps = if num < 1 << 53 { 2 } else { 4 };
            if num > 0 {
                assert!(
                    within_half_ulps(w.variance_ns2(), num * 1_000_000, k * k, half_ulps),
                    "round {round}: variance {} vs {num}·10^6/{k}²",
                    w.variance_ns2()
                );
            } else {
                assert_eq!(w.variance_ns2(), 0.0, "round {round}: equal samples have no variance");
            }
        }
    }
}
