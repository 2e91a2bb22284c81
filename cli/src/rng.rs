//! A small, seeded, portable random number generator and the distributions
//! the scenario generators draw from. Same seed, same numbers, on every
//! platform (no dependency on a crate's version-specific streams).

/// xoshiro256** seeded through SplitMix64. Not cryptographic. Not thread-safe
/// to share; give each generator its own.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng {
            s: [splitmix(&mut x), splitmix(&mut x), splitmix(&mut x), splitmix(&mut x)],
        }
    }

    /// An independent stream derived from this seed and a label (e.g. a node id).
    pub fn derive(seed: u64, label: u64) -> Rng {
        Rng::new(seed ^ label.wrapping_mul(0xD6E8_FEB8_6659_FD93).rotate_left(17))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `(0, 1]` (safe to take the logarithm of).
    pub fn uniform_pos(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform_pos();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Exponential with the given mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.uniform_pos().ln()
    }

    /// Pareto with minimum `xm` and shape `alpha`.
    pub fn pareto(&mut self, xm: f64, alpha: f64) -> f64 {
        xm / self.uniform_pos().powf(1.0 / alpha)
    }

    /// Geometric number of trials until success with success probability `p`
    /// (values 1, 2, …; mean `1/p`).
    pub fn geometric(&mut self, p: f64) -> u64 {
        if p >= 1.0 {
            return 1;
        }
        let g = (self.uniform_pos().ln() / (1.0 - p).ln()).floor();
        1 + g.min(1e15) as u64
    }
}

/// Parameters `(mu, sigma)` of the normal underlying a lognormal with the given mean and sd.
pub fn lognormal_params(mean: f64, sd: f64) -> (f64, f64) {
    let s2 = (1.0 + (sd / mean).powi(2)).ln();
    (mean.ln() - s2 / 2.0, s2.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_moments() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut r = Rng::new(1);
        let n = 200_000;
        let (mut s, mut q) = (0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s += x;
            q += x * x;
        }
        assert!((s / n as f64).abs() < 0.01);
        assert!((q / n as f64 - 1.0).abs() < 0.02);
        let m: f64 = (0..n).map(|_| r.exp(3.0)).sum::<f64>() / n as f64;
        assert!((m - 3.0).abs() < 0.05);
        let g: f64 = (0..n).map(|_| r.geometric(0.25) as f64).sum::<f64>() / n as f64;
        assert!((g - 4.0).abs() < 0.05);
    }
}
