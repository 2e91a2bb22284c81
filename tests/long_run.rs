//! Long runs: one node through very many heartbeats (explicit timestamps, the Rust API's fast path)
//! must end with statistics that are exactly those of its last window, bit for bit.
//!
//! * `ten_million_heartbeats` (10^7): release builds only (`make test-long-run`, part of
//!   `make test`); a debug build skips it as too slow.
//! * `one_billion_heartbeats` (10^9): `#[ignore]`d; `make long-run` runs it (minutes; the duration
//!   is recorded in docs/testing.md).
//!
//! What "exactly" means here, checked two ways:
//! 1. against a fresh monitor fed only the last `window + 1` arrivals (the seed history is pushed
//!    out after `window` learned intervals): mean, sd, phi, deadlines and `time_until_phi` must
//!    have the same bits. Drift in running sums (floating-point accumulation, lost evictions) would
//!    show here after 10^9 updates;
//! 2. against the window recomputed by this test in exact integer arithmetic from the intervals it
//!    generated: the mean is the correctly rounded `Σ intervals / n` and the population standard
//!    deviation matches `sqrt((nΣx² − (Σx)²) / n²)` to 1e-12.
//!
//! Intervals are 1 s ± up to 50 ms in whole microseconds (the window's resolution) from a fixed
//! xorshift generator, so every interval is learned (below the threshold deadline, not a burst).

use phifd::{Config, Monitor};

const NODE: u64 = 42;
const WINDOW: usize = 1000;
const BASE_NS: u64 = 1_000_000_000;

struct Intervals(u64);

impl Intervals {
    /// Next interval, ns: 1 s ± up to 50 ms, a whole number of microseconds.
    fn next_ns(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let jitter_us = self.0 % 100_001; // 0..=100 ms
        BASE_NS - 50_000_000 + jitter_us * 1_000
    }
}

fn monitor() -> Monitor {
    let mut cfg = Config::new();
    cfg.set_window(WINDOW as u64).unwrap();
    Monitor::new(&cfg).unwrap()
}

fn run(heartbeats: u64) {
    let m = monitor();
    let mut gen = Intervals(0x2545_F491_4F6C_DD1D);
    // The last WINDOW + 1 arrival times (a ring), to replay into a fresh monitor.
    let mut tail = vec![0u64; WINDOW + 1];
    let mut t = 1_000_000_000u64;
    for i in 0..heartbeats {
        m.heartbeat(NODE, 1, t).unwrap();
        tail[(i % (WINDOW as u64 + 1)) as usize] = t;
        t += gen.next_ns();
    }
    let last = t; // one interval after the final arrival: a query time with some silence
    let n = heartbeats;
    assert!(n > WINDOW as u64 + 1);
    // Arrival times in order.
    let start = (n % (WINDOW as u64 + 1)) as usize;
    let arrivals: Vec<u64> = (0..=WINDOW).map(|k| tail[(start + k) % (WINDOW + 1)]).collect();
    assert!(arrivals.windows(2).all(|w| w[0] < w[1]));

    // 1. A fresh monitor fed only the last WINDOW + 1 arrivals.
    let fresh = monitor();
    for &a in &arrivals {
        fresh.heartbeat(NODE, 1, a).unwrap();
    }
    let long = m.info(NODE, last).unwrap();
    let short = fresh.info(NODE, last).unwrap();
    assert_eq!(long.samples, WINDOW as u32);
    assert_eq!(short.samples, WINDOW as u32);
    assert_eq!(long.last_arrival_ns, short.last_arrival_ns);
    assert_eq!(
        long.mean_ns.to_bits(),
        short.mean_ns.to_bits(),
        "mean drifted: {} vs {}",
        long.mean_ns,
        short.mean_ns
    );
    assert_eq!(
        long.sd_ns.to_bits(),
        short.sd_ns.to_bits(),
        "sd drifted: {} vs {}",
        long.sd_ns,
        short.sd_ns
    );
    for q in [last - BASE_NS / 2, last, last + BASE_NS, last + 3 * BASE_NS] {
        let (a, b) = (m.phi(NODE, q).unwrap(), fresh.phi(NODE, q).unwrap());
        assert_eq!(a.to_bits(), b.to_bits(), "phi at {q}: {a} vs {b}");
    }
    assert_eq!(long.suspect_after_ns, short.suspect_after_ns);
    assert_eq!(long.fail_after_ns, short.fail_after_ns);
    assert_eq!(
        m.time_until_phi(NODE, 8.0).unwrap(),
        fresh.time_until_phi(NODE, 8.0).unwrap()
    );

    // 2. The window recomputed here, in exact integers (microseconds).
    let xs: Vec<u128> = arrivals.windows(2).map(|w| u128::from((w[1] - w[0]) / 1_000)).collect();
    let cnt = xs.len() as u128;
    let sum: u128 = xs.iter().sum();
    let sum_sq: u128 = xs.iter().map(|x| x * x).sum();
    // sum * 1000 < 2^53 and cnt are exact doubles, so IEEE division rounds the exact mean correctly.
    assert!(sum * 1_000 < (1u128 << 53));
    let mean = (sum * 1_000) as f64 / cnt as f64;
    assert_eq!(
        long.mean_ns.to_bits(),
        mean.to_bits(),
        "mean {} vs exact {}",
        long.mean_ns,
        mean
    );
    let var_us2 = (cnt * sum_sq - sum * sum) as f64 / (cnt * cnt) as f64;
    let sd = var_us2.sqrt() * 1_000.0;
    assert!(
        sd > 1e6,
        "the jitter gives a standard deviation of tens of ms, got {sd}"
    );
    assert!(
        ((long.sd_ns - sd) / sd).abs() < 1e-12,
        "sd {} vs exact {}",
        long.sd_ns,
        sd
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only: `make test-long-run` runs it with --release"
)]
fn ten_million_heartbeats() {
    run(10_000_000);
}

#[test]
#[ignore = "minutes: run by `make long-run`"]
fn one_billion_heartbeats() {
    let started = std::time::Instant::now();
    run(1_000_000_000);
    println!("10^9 heartbeats: {:.1} s", started.elapsed().as_secs_f64());
}
