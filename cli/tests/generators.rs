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

#[test]
fn mixed_cluster_gives_each_peer_its_own_network() {
    use phifd_cli::sim::{cluster_models, generate_nodes, MIXED_PEERS};
    use phifd_cli::trace::Trace;
    let models = cluster_models("mixed", 100e6, 6).unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, MIXED_PEERS);
    let refs: Vec<&Model> = models.iter().map(|m| &m.1).collect();
    let t = generate_nodes(&refs, None, 5, 1800 * S, true);
    assert_eq!(t, generate_nodes(&refs, None, 5, 1800 * S, true));
    assert_ne!(t, generate_nodes(&refs, None, 6, 1800 * S, true));
    assert_eq!(t.nodes(), vec![1, 2, 3, 4, 5, 6]);
    // Each peer alone, through the same statistics as `phifd stats`.
    let peer = |n: u64| {
        compute(&Trace {
            rows: t.rows.iter().filter(|h| h.node == n).copied().collect(),
            crashes: Vec::new(),
            multi_node: false,
        })
    };
    for n in [1, 2] {
        let s = peer(n);
        assert!(
            s.delay[0] < 1.0 && s.send_interval[2] < 150.0,
            "node {n}: lan {:?}",
            s.delay
        );
    }
    for n in [3, 4] {
        let s = peer(n);
        assert!(s.delay[2] > 135.0, "node {n}: wan base delay {:?}", s.delay);
        assert!(
            (s.send_interval[0] - 103.5).abs() < 0.5,
            "node {n}: wan period {:?}",
            s.send_interval
        );
    }
    let gc = peer(5);
    assert!(
        gc.delay[0] < 1.0 && gc.send_interval[2] > 300.0,
        "node 5 stalls: {:?}",
        gc.send_interval
    );
    let bl = peer(6);
    assert!(
        bl.loss > 0.003 && bl.single_share < 0.5,
        "node 6 bursty: {} {}",
        bl.loss,
        bl.single_share
    );
    // A single-model scenario through the same path is the same trace as `generate`.
    let lan = Model::scenario("lan", 100e6).unwrap();
    assert_eq!(
        generate_nodes(&[&lan, &lan], None, 9, 60 * S, true),
        generate(&lan, 9, 60 * S, 2)
    );
}
