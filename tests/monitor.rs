//! Integration tests of the Rust API: invariants on random histories, the
//! inverse query against an independent bisection, concurrency, and exactness
//! of the running statistics over long runs.

use phifd::{Config, Estimator, Monitor, State, Status};
use std::sync::Arc;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MS: u64 = 1_000_000;
const ESTIMATORS: [Estimator; 3] = [Estimator::Akka, Estimator::Normal, Estimator::Exponential];

fn monitor(est: Estimator, interval_ms: u64) -> Monitor {
    let mut c = Config::new();
    c.set_estimator(est);
    c.set_heartbeat_interval_ns(interval_ms * MS).unwrap();
    Monitor::new(&c).unwrap()
}

#[test]
fn phi_invariants_on_random_histories() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for est in ESTIMATORS {
        let m = monitor(est, 100);
        for node in 0..20u64 {
            let mut t = 1_000 * MS;
            let n = 5 + rng.below(300);
            for _ in 0..n {
                // Heavy-tailed intervals: mostly ~100 ms, sometimes seconds, sometimes ~0.
                let dt = match rng.below(20) {
                    0 => rng.below(5_000) * MS,
                    1 => rng.below(1_000),
                    _ => 80 * MS + rng.below(40 * MS),
                };
                t += dt;
                m.heartbeat(node, 1, t).unwrap();
            }
            // Fixed history: phi non-decreasing, finite, >= 0, never NaN.
            let mut prev = 0.0;
            let mut s = 0u64;
            while s < 3_600_000 * MS {
                let p = m.phi(node, t + s).unwrap();
                assert!(p.is_finite() && p >= 0.0, "{est:?} node {node}: phi {p}");
                assert!(p >= prev, "{est:?} node {node}: phi fell from {prev} to {p} at +{s} ns");
                prev = p;
                s = s * 3 / 2 + 1 + rng.below(MS);
            }
            // Time before the last arrival counts as zero silence.
            assert_eq!(m.phi(node, t - 1).unwrap(), m.phi(node, t).unwrap());
            // The state agrees with phi and the inverse query.
            let info = m.info(node, t).unwrap();
            let fail_at = t + info.fail_after_ns;
            let before = m.info(node, fail_at - 1).unwrap();
            let after = m.info(node, fail_at).unwrap();
            assert_eq!(after.state, State::Failed);
            assert_ne!(before.state, State::Failed);
            let threshold = m.thresholds().0;
            assert!(
                after.phi >= threshold * (1.0 - 1e-9),
                "{est:?}: phi {} at the deadline",
                after.phi
            );
            assert!(
                before.phi <= threshold * (1.0 + 1e-9),
                "{est:?}: phi {} before the deadline",
                before.phi
            );
        }
    }
}

/// Smallest silence with phi >= v, by bisection over the public phi query.
fn bisect_silence(m: &Monitor, node: u64, last: u64, v: f64) -> u64 {
    let (mut lo, mut hi) = (0u64, 1u64);
    while m.phi(node, last + hi).unwrap() < v {
        hi *= 2;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if m.phi(node, last + mid).unwrap() >= v {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[test]
fn inverse_query_matches_bisection_over_phi() {
    for est in ESTIMATORS {
        let m = monitor(est, 50);
        let mut t = 10_000 * MS;
        let mut rng = Rng(99);
        for _ in 0..200 {
            t += 40 * MS + rng.below(20 * MS);
            m.heartbeat(1, 1, t).unwrap();
        }
        for v in [0.5, 1.0, 3.0, 8.0, 12.0, 30.0] {
            let inv = m.time_until_phi(1, v).unwrap();
            let bis = bisect_silence(&m, 1, t, v);
            let diff = inv.abs_diff(bis);
            assert!(diff <= 2, "{est:?} v={v}: inverse {inv} vs bisection {bis}");
        }
        assert!(m.time_until_phi(1, f64::NAN).is_err());
        assert_eq!(m.time_until_phi(2, 1.0).unwrap_err().status, Status::UnknownNode);
    }
}

#[test]
fn statistics_are_exact_after_many_heartbeats() {
    let mut c = Config::new();
    c.set_window(1000).unwrap();
    c.set_heartbeat_interval_ns(10 * MS).unwrap();
    c.set_threshold(1e6).unwrap(); // learn everything
    let m = Monitor::new(&c).unwrap();
    let mut rng = Rng(7);
    let mut t = 0u64;
    let mut intervals_us = Vec::new();
    for _ in 0..1_000_000 {
        let dt_us = 9_000 + rng.below(2_000);
        t += dt_us * 1_000;
        m.heartbeat(5, 1, t).unwrap();
        intervals_us.push(dt_us);
    }
    // The first heartbeat has no interval; the window keeps the last 1000 intervals.
    let last: Vec<u64> = intervals_us[intervals_us.len() - 1000..].to_vec();
    let n = last.len() as f64;
    let sum: u64 = last.iter().sum();
    let mean_ns = sum as f64 * 1000.0 / n;
    let sum_sq: u128 = last.iter().map(|&x| u128::from(x) * u128::from(x)).sum();
    let num = 1000u128 * sum_sq - u128::from(sum) * u128::from(sum);
    let var_ns2 = num as f64 / (n * n) * 1e6;
    let info = m.info(5, t).unwrap();
    assert_eq!(info.samples, 1000);
    assert_eq!(info.mean_ns, mean_ns, "mean must be bit-exact");
    assert_eq!(info.sd_ns, var_ns2.sqrt(), "sd must be bit-exact");
}

#[test]
fn concurrent_heartbeats_queries_and_polls() {
    let m = Arc::new(monitor(Estimator::Akka, 100));
    let threads: Vec<_> = (0..4u64)
        .map(|k| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || {
                for i in 0..20_000u64 {
                    let node = k * 1_000 + i % 1_000;
                    let t = 1_000 * MS + i * MS;
                    m.heartbeat(node, 1, t).unwrap();
                    let p = m.phi(node, t + MS).unwrap();
                    assert!(p.is_finite());
                    if i % 5_000 == 2_500 {
                        m.remove(k * 1_000).unwrap();
                    }
                }
            })
        })
        .collect();
    let poller = {
        let m = Arc::clone(&m);
        std::thread::spawn(move || {
            let mut out = Vec::new();
            for j in 0..200u64 {
                m.poll(1_000 * MS + j * 100 * MS, &mut out, usize::MAX);
            }
            out.len()
        })
    };
    for t in threads {
        t.join().unwrap();
    }
    poller.join().unwrap();
    // Node k*1000 was removed and re-added by later heartbeats; all 4000 nodes exist at the end.
    assert_eq!(m.node_count(), 4_000);
    let mut count = 0;
    m.for_each_node(|_| count += 1);
    assert_eq!(count, 4_000);
}

#[test]
fn poll_respects_max_and_keeps_the_rest() {
    let m = monitor(Estimator::Exponential, 100);
    for node in 0..10 {
        m.heartbeat(node, 1, 1_000 * MS).unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(m.poll(1_000 * MS, &mut out, 3), 3);
    assert_eq!(m.stats().pending_events, 7);
    assert_eq!(m.poll(1_000 * MS, &mut out, 100), 7);
    assert!(out.iter().all(|e| e.from == State::Unknown && e.to == State::Alive));
    let mut nodes: Vec<u64> = out.iter().map(|e| e.node).collect();
    nodes.sort_unstable();
    assert_eq!(nodes, (0..10).collect::<Vec<_>>());
}

#[test]
fn stale_generation_changes_nothing() {
    let m = monitor(Estimator::Akka, 100);
    m.heartbeat(1, 5, 1_000 * MS).unwrap();
    m.heartbeat(1, 5, 1_100 * MS).unwrap();
    let before = m.info(1, 1_200 * MS).unwrap();
    let e = m.heartbeat(1, 4, 1_150 * MS).unwrap_err();
    assert_eq!(e.status, Status::StaleGeneration);
    assert!(e.message.contains("current generation 5"), "{}", e.message);
    assert_eq!(m.info(1, 1_200 * MS).unwrap(), before);
    assert_eq!(m.stats().stale_heartbeats, 1);
}

#[test]
fn a_burst_of_restarts_never_learns_the_gap() {
    let m = monitor(Estimator::Normal, 100);
    let mut t = 1_000 * MS;
    for g in 1..=50u64 {
        m.heartbeat(9, g, t).unwrap();
        t += 100 * MS;
        m.heartbeat(9, g, t).unwrap();
        t += 3_600_000 * MS; // an hour down between incarnations
    }
    let info = m.info(9, t).unwrap();
    assert_eq!(info.generation, 50);
    // Seed (75 ms, 125 ms) + one 100 ms interval: mean exactly 100 ms.
    assert_eq!(info.samples, 3);
    assert_eq!(info.mean_ns, 100.0 * MS as f64);
}
