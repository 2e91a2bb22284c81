//! The workload every implementation is given: a steady 1 s heartbeat with a fixed jitter table,
//! and the silences at which phi is asked.

pub(crate) const MS: u64 = 1_000_000;
pub(crate) const PERIOD: u64 = 1_000 * MS;
pub(crate) const T0: u64 = 1_000 * PERIOD;
pub(crate) const JITTER_TABLE: usize = 4096;

/// Deterministic arrival jitter in [0, 40 ms), a table so that every implementation pays one load.
pub(crate) struct Jitter([u64; JITTER_TABLE]);

impl Jitter {
    pub(crate) fn new() -> Jitter {
        let mut t = [0u64; JITTER_TABLE];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for v in t.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = x % (40 * MS);
        }
        Jitter(t)
    }
    /// Arrival of node `i` in round `k` (ns): a steady 1 s period plus the jitter.
    #[inline(always)]
    pub(crate) fn arrival(&self, i: u64, k: u64) -> u64 {
        T0 + k * PERIOD + self.0[((i.wrapping_mul(31)).wrapping_add(k)) as usize & (JITTER_TABLE - 1)]
    }
}

/// Silence (ns) at which the `c`-th phi query is asked: cycles 0.2 s .. 1.5 s after the round.
#[inline(always)]
pub(crate) fn query_offset(c: u64) -> u64 {
    200 * MS + ((c.wrapping_mul(7)) & 15) * 87_500_000
}
