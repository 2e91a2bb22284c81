//! Seeded generators are reproducible, and `wan` matches the published
//! JAIST–EPFL statistics within the tolerances stated in `stats::compare_wan`.

use phifd_cli::sim::{generate, Model, SCENARIOS};
use phifd_cli::stats::{compare_wan, compute};

const S: u64 = 1_000_000_000;

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    for name in SCENARIOS {
        let m = Model::scenario(name, 100e6).unwrap();
        let a = generate(&m, 42, 120 * S, 2);
        let b = generate(&m, 42, 120 * S, 2);
        let c = generate(&m, 43, 120 * S, 2);
        assert_eq!(a, b, "{name}");
        assert_ne!(a, c, "{name}");
        assert!(a.rows.len() > 1000, "{name}");
    }
}

#[test]
fn scenarios_have_their_defining_features() {
    let st = |name: &str| compute(&generate(&Model::scenario(name, 100e6).unwrap(), 7, 1800 * S, 1));
    let lan = st("lan");
    assert!(
        lan.delay[0] < 1.0 && lan.delay[3] < 6.0,
        "lan delay (ms) {:?}",
        lan.delay
    );
    let gc = st("sender-gc");
    assert!(
        gc.send_interval[2] > 300.0,
        "sender stalls show in the send intervals: {:?}",
        gc.send_interval
    );
    let mp = st("monitor-pause");
    assert!(
        mp.inter_arrival[2] > 300.0 && mp.delay[3] > 300.0,
        "held arrivals: {:?} {:?}",
        mp.inter_arrival,
        mp.delay
    );
    let bl = st("burst-loss");
    assert!(
        bl.loss > 0.003 && bl.single_share < 0.5,
        "bursty loss: {} {}",
        bl.loss,
        bl.single_share
    );
    let crash = generate(&Model::scenario("crash", 100e6).unwrap(), 7, 1000 * S, 1);
    assert_eq!(crash.crashes.len(), 1);
    let c = crash.crashes[0].1;
    assert!(crash.rows.iter().all(|h| h.send_ns < c));
    assert!((c as f64 - (1e9 + 800e9)).abs() < 1e6);
    let rs = generate(&Model::scenario("regime-shift", 100e6).unwrap(), 7, 1000 * S, 1);
    let mid = 1e9 + 500e9;
    let before: Vec<f64> = rs
        .rows
        .iter()
        .filter(|h| (h.send_ns as f64) < mid && h.recv().is_some())
        .map(|h| (h.recv_ns - h.send_ns) as f64)
        .collect();
    let after: Vec<f64> = rs
        .rows
        .iter()
        .filter(|h| (h.send_ns as f64) >= mid && h.recv().is_some())
        .map(|h| (h.recv_ns - h.send_ns) as f64)
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(mean(&before) < 1e6 && mean(&after) > 40e6);
}

#[test]
fn wan_statistics_are_within_tolerance_of_the_published_trace() {
    // Three simulated days (~2.5 million heartbeats); the tolerances are stated
    // in stats::compare_wan and docs/quality.md.
    let t = generate(&Model::scenario("wan", 100e6).unwrap(), 1, 3 * 86_400 * S, 1);
    let s = compute(&t);
    for c in compare_wan(&s) {
        assert!(
            c.ok(),
            "{}: ours {} published {} (deviation {:+.1} %, tolerance {:.0} %)",
            c.name,
            c.ours,
            c.published,
            c.deviation() * 100.0,
            c.tolerance * 100.0
        );
    }
    // The published trace's longest burst was 1093 heartbeats (~2 minutes):
    // bursts of that order must occur, none beyond the model's cap.
    assert!(s.longest[0] >= 300 && s.longest[0] <= 1100, "{:?}", s.longest);
    assert!(s.single_share > 0.6, "mostly single losses: {}", s.single_share);
}
