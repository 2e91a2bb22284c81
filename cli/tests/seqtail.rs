//! The `seqtail` candidate estimator: deadlines checked against values
//! derived by hand from its documented formulas.

use phifd_cli::detect::{self, Detector, Params};
use phifd_cli::seqtail::SeqTail;

const MS: u64 = 1_000_000;

/// A strictly periodic stream (100 ms, no jitter, no loss) fills the window
/// with residuals Z = 0, so the tail beyond the window is the floor
/// exponential: Q(p) = u + 25·ln(K/(n·p)) with u ≤ 1/64, K = 8, n = 1000, in
/// units of s₀ = 1 ms. At Φ = 10: 25·ln(8e7) = 454.93 ms past η = 100 ms.
#[test]
fn periodic_stream_deadline_is_the_floor_tail() {
    let mut d = SeqTail::new("seqtail-flat", 100 * MS, 1000, vec![10.0, 2.0], false);
    let mut dl = [0u64; 2];
    let mut now = 1_000 * MS;
    for seq in 0..3000u64 {
        d.arrive(now, seq, &mut dl);
        now += 100 * MS;
    }
    let last = now - 100 * MS;
    let e10 = (dl[0] - last) as f64 / 1e6;
    let want = 100.0 + 25.0 * (8.0f64 / (1000.0 * 1e-10)).ln();
    assert!(
        e10 >= want - 0.01 && e10 <= want + 0.03,
        "Φ=10 deadline {e10} ms, expected {want}"
    );
    // Φ = 2: p·n = 10 ≥ K, an empirical quantile inside bin 0 (Z ≤ 1/64 ms).
    let e2 = (dl[1] - last) as f64 / 1e6;
    assert!((100.0..=100.02).contains(&e2), "Φ=2 deadline {e2} ms");
}

/// Gaps after losses are learned: 20 two-interval gaps (one lost heartbeat
/// each) in a window of 1000 put 20 residuals of 100 ms (Z = 100) in the
/// tail, so at Φ = 2 (10 samples above) the margin is about 100 ms
/// (within the 26 % width of a histogram bin), not the 0 of a loss-free window.
#[test]
fn losses_widen_the_tail() {
    let mut d = SeqTail::new("seqtail-flat", 100 * MS, 1000, vec![2.0], false);
    let mut dl = [0u64; 1];
    let mut now = 1_000 * MS;
    let mut seq = 0u64;
    for i in 0..1000u64 {
        d.arrive(now, seq, &mut dl);
        let lost = i % 50 == 25;
        seq += if lost { 2 } else { 1 };
        now += if lost { 200 * MS } else { 100 * MS };
    }
    let last = now - 100 * MS;
    let margin = (dl[0] - last) as f64 / 1e6 - 100.0;
    assert!((79.0..=126.0).contains(&margin), "margin {margin} ms");
}

#[test]
fn registered_and_built_by_name() {
    for name in ["seqtail", "seqtail-flat"] {
        assert!(detect::NAMES.contains(&name));
        let d = detect::build(name, &Params::new(100 * MS)).expect(name);
        assert_eq!(d.name(), name);
        assert_eq!(d.param_name(), "phi");
    }
}
