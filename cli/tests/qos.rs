//! The metric code of `phifd eval --qos` on cases counted by hand: declarations
//! classified as mistakes, exact Poisson bounds against published table values, and
//! real monitors replaying tiny traces whose wrong FAILED declarations are obvious.

use phifd_cli::detect::Params;
use phifd_cli::eval::EvalOptions;
use phifd_cli::qos::{
    bounds_met, count_mistakes, parse_targets, poisson_bounds, poisson_cdf, replay, summarise, verdict, Checkpoint,
    Declaration, Mistakes, NodeResult, QosOptions, Targets, Verdict,
};
use phifd_cli::trace::Stream;

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

fn d(at: u64, until: Option<u64>) -> Declaration {
    Declaration {
        at_ns: at,
        until_ns: until,
    }
}

#[test]
fn declarations_followed_by_an_arrival_are_the_mistakes() {
    // Arrivals span [10 s, 100 s]; warm-up 5 s (counting starts at 15 s).
    let decl = [
        d(12 * S, Some(13 * S)),            // in the warm-up: not counted
        d(20 * S, Some(22 * S)),            // wrong, 2 s
        d(50 * S, Some(50 * S + 300 * MS)), // wrong, 0.3 s
        d(99 * S, None),                    // wrong, never left FAILED before the last arrival: 1 s
        d(100 * S, None),                   // at the last arrival: still followed by it, 0 s
        d(130 * S, None),                   // after the last arrival: the final declaration, not a mistake
    ];
    let m = count_mistakes(10 * S, 100 * S, 5 * S, &decl);
    assert_eq!(
        m,
        Mistakes {
            observed_ns: 85 * S,
            count: 4,
            at_ns: vec![20 * S, 50 * S, 99 * S, 100 * S],
            durations_ns: vec![2 * S, 300 * MS, S, 0],
        }
    );
    // No warm-up: the first one counts too.
    assert_eq!(count_mistakes(10 * S, 100 * S, 0, &decl).count, 5);
}

#[test]
fn poisson_bounds_match_the_published_table() {
    // Garwood intervals (e.g. Ulm 1990's table): k = 0 -> [0, 3.689] at 95 % two-sided
    // (upper = -ln 0.025); k = 10 -> [4.795, 18.390]; k = 1 -> [0.0253, 5.572].
    let (l, u) = poisson_bounds(0, 0.975);
    assert_eq!(l, 0.0);
    assert!((u - (-(0.025f64).ln())).abs() < 1e-9, "{u}");
    let (l, u) = poisson_bounds(10, 0.975);
    assert!((l - 4.7954).abs() < 1e-3 && (u - 18.3904).abs() < 1e-3, "{l} {u}");
    let (l, u) = poisson_bounds(1, 0.975);
    assert!((l - 0.02532).abs() < 1e-4 && (u - 5.5716).abs() < 1e-3, "{l} {u}");
    // One-sided 95 % upper bound for k = 0 is -ln 0.05 = 2.996 (the "rule of three").
    assert!((poisson_bounds(0, 0.95).1 - 2.9957).abs() < 1e-3);
    // The CDF by both branches: P(N <= 2; 1) = e^-1 (1 + 1 + 1/2); P(N <= 2; 10) = e^-10 (1 + 10 + 50).
    assert!((poisson_cdf(2, 1.0) - (-1f64).exp() * 2.5).abs() < 1e-12);
    assert!((poisson_cdf(2, 10.0) - (-10f64).exp() * 61.0).abs() < 1e-12);
    // A large count: close to the normal approximation.
    let (l, u) = poisson_bounds(10_000, 0.975);
    assert!((l - (10_000.0 - 1.96 * 100.0)).abs() < 3.0 && (u - (10_000.0 + 1.96 * 100.0)).abs() < 3.0);
}

#[test]
fn targets_parse_with_units_and_refuse_bad_input() {
    assert_eq!(
        parse_targets("500ms,1h").unwrap(),
        Targets {
            max_detection_ns: 500 * MS,
            min_mistake_recurrence_ns: 3600 * S,
            max_mistake_duration_ns: 0
        }
    );
    assert_eq!(
        parse_targets(" 0.4s , 10m , 2s ").unwrap().max_mistake_duration_ns,
        2 * S
    );
    for bad in ["500ms", "500ms,1h,2s,3s", "0s,1h", "500ms,", "x,1h", "500ms,1 parsec"] {
        let e = parse_targets(bad).unwrap_err();
        assert!(e.contains("--qos"), "{bad}: {e}");
    }
    assert!((parse_targets("1s,10m").unwrap().lambda_per_hour() - 6.0).abs() < 1e-12);
}

/// Arrivals every 100 ms, with a silence of `gap` after each index in `gaps_after`.
fn stream(n: usize, gaps_after: &[usize], gap: u64) -> Stream {
    let mut t = 10 * S;
    let mut v = Vec::new();
    for i in 0..n {
        v.push(t);
        t += if gaps_after.contains(&i) { gap } else { 100 * MS };
    }
    Stream::from_arrivals(v)
}

fn opts(crashes: usize) -> QosOptions {
    QosOptions {
        targets: None,
        estimator: phifd::Estimator::Akka,
        params: Params::new(100 * MS),
        eval: EvalOptions {
            crashes,
            seed: 1,
            warmup_ns: 0,
            threads: 1,
        },
        checkpoints: 4,
        qos_warmup_ns: None,
    }
}

#[test]
fn a_real_monitor_on_a_tiny_trace_makes_the_mistakes_counted_by_hand() {
    // 600 arrivals 100 ms apart with two 3 s silences (after arrivals 200 and 400): any
    // threshold of the default settings (deadline ~0.1 s + a few 25 ms sd floors) declares
    // FAILED once in each silence and the next arrival disproves it. The final silence
    // after the last arrival is no mistake.
    let s = stream(600, &[200, 400], 3 * S);
    let r = replay(std::slice::from_ref(&s), &opts(0)).unwrap();
    assert_eq!(r.len(), 1);
    let m = &r[0].mistakes;
    assert_eq!(m.count, 2, "{m:?}");
    // Each lasts from its deadline to the arrival 3 s after the silence began: 3 s minus
    // the deadline's distance from the last arrival (between 0.1 and 1 s).
    for (k, &dur) in m.durations_ns.iter().enumerate() {
        assert!(dur > 2 * S && dur < 2_900 * MS, "mistake {k}: {dur} ns");
    }
    assert_eq!(m.observed_ns, s.recv[599] - s.recv[0]);
    // Declared inside the silences.
    assert!(m.at_ns[0] > s.recv[200] && m.at_ns[0] < s.recv[201]);
    assert!(m.at_ns[1] > s.recv[400] && m.at_ns[1] < s.recv[401]);
    assert_eq!(r[0].ignored, 0);
    // With a warm-up that ends after the first silence, only the second counts.
    let mut o = opts(0);
    o.eval.warmup_ns = s.recv[250] - s.recv[0];
    assert_eq!(replay(std::slice::from_ref(&s), &o).unwrap()[0].mistakes.count, 1);
    // Pooled: 2 mistakes in (599 + 2·2.9) s of observation.
    let sum = summarise(&r);
    assert_eq!(sum.mistakes, 2);
    assert!((sum.lambda_per_h - 2.0 / (m.observed_ns as f64 / 3600e9)).abs() < 1e-9);
}

#[test]
fn reordered_heartbeats_are_ignored_and_marked_crashes_are_declared() {
    // Two nodes in one monitor. Node 7: heartbeat 50 arrives after 51 (older version:
    // ignored, no mistake). Node 8 crashes 50 ms after its last send: the monitor's final
    // declaration comes after the last arrival, and T_D(marked) = declaration - crash.
    let mut a = stream(300, &[], 0);
    a.node = 7;
    a.seq.swap(50, 51);
    let mut b = stream(300, &[], 0);
    b.node = 8;
    for t in b.recv.iter_mut() {
        *t += 30 * MS;
    }
    let last_send = *b.send.last().unwrap();
    b.crash_ns = Some(last_send + 50 * MS);
    let r = replay(&[a, b.clone()], &opts(100)).unwrap();
    assert_eq!(r[0].node, 7);
    assert_eq!(r[0].ignored, 1);
    assert_eq!(r[0].mistakes.count, 0);
    assert_eq!(r[1].mistakes.count, 0);
    let td = r[1].t_d_marked_ns.expect("the marked crash is declared") as i64;
    // The declaration is at last arrival + deadline (> 100 ms after it); the crash is
    // 50 ms after the last send, i.e. 20 ms after the last arrival (arrivals 30 ms late
    // here; send times equal the original arrival times).
    let last_arrival = *b.recv.last().unwrap() as i64;
    assert!(
        td > last_arrival + 100 * MS as i64 - (last_send + 50 * MS) as i64,
        "{td}"
    );
    assert!(td < S as i64, "{td}");
    // Injected crashes: 100 per node; T_D >= 0 and below a second on a steady stream.
    assert_eq!(r[0].t_d_ns.len(), 100);
    assert!(r[0].t_d_ns.iter().all(|&x| x < S));
}

fn node(mistakes: u64, obs_h: f64, td_s: f64, cps: &[(f64, bool)], first_mistake_s: f64) -> NodeResult {
    let obs = (obs_h * 3600e9) as u64;
    NodeResult {
        node: 1,
        first_ns: 0,
        mistakes: Mistakes {
            observed_ns: obs,
            count: mistakes,
            at_ns: (0..mistakes).map(|i| (first_mistake_s * 1e9) as u64 + i * S).collect(),
            durations_ns: vec![S; mistakes as usize],
        },
        mistakes_reported_infeasible: 0,
        t_d_ns: vec![(td_s * 1e9) as u64; 10],
        t_d_marked_ns: None,
        checkpoints: cps
            .iter()
            .map(|&(at_s, feasible)| Checkpoint {
                at_s,
                qos: true,
                feasible,
                threshold: 8.0,
                deadline_s: 0.2,
                predicted_detection_s: 0.2,
                best_detection_s: 0.2,
                loss_rate: 0.0,
                samples: 1000,
                established: true,
            })
            .collect(),
        ignored: 0,
    }
}

#[test]
fn verdicts_follow_the_statistical_error_and_the_reports() {
    // Requested: lambda <= 6/h (T_MR 10 min), T_D <= 0.5 s.
    let t = parse_targets("500ms,10m").unwrap();
    // 10 h observed, 60 expected at the bound. 70 mistakes: 95 % lower bound 54.6 < 60: within error.
    let n = node(70, 10.0, 0.3, &[], 100.0);
    assert_eq!(bounds_met(&summarise([&n]), &t), (true, true, true));
    assert_eq!(verdict(&n, &t), Verdict::Met);
    // 90 mistakes: lower bound 72.3 > 60: missed, and nothing was reported.
    let n = node(90, 10.0, 0.3, &[(50.0, true), (200.0, false)], 100.0);
    assert!(!bounds_met(&summarise([&n]), &t).0);
    assert_eq!(
        verdict(&n, &t),
        Verdict::Missed,
        "infeasible only after the first mistake"
    );
    let n = node(90, 10.0, 0.3, &[(50.0, false)], 100.0);
    assert_eq!(verdict(&n, &t), Verdict::ReportedInfeasible);
    // T_D over its bound: excused by any infeasible report, missed without one.
    assert_eq!(verdict(&node(0, 10.0, 0.6, &[(1.0, true)], 0.0), &t), Verdict::Missed);
    assert_eq!(
        verdict(&node(0, 10.0, 0.6, &[(1.0, true), (9.0, false)], 0.0), &t),
        Verdict::ReportedInfeasible
    );
    // T_M bound: 1 s mistakes against 0.5 s.
    let t = parse_targets("500ms,10m,500ms").unwrap();
    assert!(!bounds_met(&summarise([&node(3, 10.0, 0.3, &[], 1.0)]), &t).2);
}

#[test]
fn without_targets_the_monitor_replay_agrees_with_eval_at_the_same_threshold() {
    // The same metric definitions: a monitor on threshold 8 (no QoS) and eval's replay of
    // akka at 8 count the same mistakes and the same injected-crash T_D on a trace without
    // reordering (burst-loss: LAN delay, bursts of lost heartbeats).
    use phifd_cli::detect::PhiDetector;
    use phifd_cli::sim::{generate, Model};
    let t = generate(&Model::scenario("burst-loss", 100e6).unwrap(), 3, 1200 * S, 2);
    let streams = t.streams();
    let mut p = Params::new(100 * MS);
    p.phi_levels = Some(vec![8.0]);
    let o = opts(200);
    let mut det = PhiDetector::new(phifd::Estimator::Akka, &p).unwrap();
    let e = phifd_cli::eval::evaluate(&mut det, &streams, &o.eval);
    let r = replay(&streams, &o).unwrap();
    let s = summarise(&r);
    let l = &e.levels[0];
    assert!(l.mistakes > 5, "the trace must make mistakes at 8: {}", l.mistakes);
    assert_eq!(s.mistakes, l.mistakes);
    assert_eq!(s.crashes, l.crashes);
    assert!((s.t_d_s.0 - l.t_d[0]).abs() < 1e-9, "{} vs {}", s.t_d_s.0, l.t_d[0]);
    assert!((s.t_d_s.1 - l.t_d[3]).abs() < 1e-9);
    assert!((s.t_m_s.0 - l.t_m_mean).abs() < 1e-9, "{} vs {}", s.t_m_s.0, l.t_m_mean);
    assert!((s.observed_h * 3600.0 - l.observed_s).abs() < 1e-6);
}

#[test]
fn the_warm_up_spares_a_young_node_the_first_long_gap_it_sees() {
    // 3000 arrivals 100 ms apart with a 1.5 s silence after arrival 200 (20 s in). Targets
    // T_D <= 2 s, T_MR >= 10 min. With the library's default warm-up (min(T_MR, 1 h) = 10 min)
    // the deadline 20 s in is at least 2 s x (1 - 20/600) = 1.93 s: the silence is no mistake.
    // Without a warm-up the deadline rests on 20 s of steady 100 ms intervals (a few hundred ms
    // at most): the silence is a wrong FAILED declaration.
    let s = stream(3000, &[200], 1_500 * MS);
    let mut o = opts(0);
    o.targets = Some(parse_targets("2s,10m").unwrap());
    o.checkpoints = 10;
    let with = replay(std::slice::from_ref(&s), &o).unwrap();
    assert_eq!(with[0].mistakes.count, 0, "{:?}", with[0].mistakes);
    // The reports: not established during the first 10 minutes (the run lasts 300 s), and the
    // deadline never shorter than the history's best nor longer than the T_D bound.
    for c in &with[0].checkpoints {
        assert!(c.qos && !c.established, "{c:?}");
        assert!(
            c.predicted_detection_s >= c.best_detection_s && c.predicted_detection_s <= 2.0,
            "{c:?}"
        );
    }
    // The first checkpoint (~31 s in) holds 2 s x (1 - watched / 600 s) of the last derivation,
    // at most 64 arrivals (6.4 s) before it.
    let first = with[0].checkpoints[0];
    let hold = |watched_s: f64| 2.0 * (1.0 - watched_s / 600.0);
    let (lo, hi) = (hold(first.at_s + 0.1), hold(first.at_s - 6.5));
    assert!(
        first.predicted_detection_s >= lo && first.predicted_detection_s <= hi,
        "{first:?} {lo} {hi}"
    );
    o.qos_warmup_ns = Some(0);
    let without = replay(std::slice::from_ref(&s), &o).unwrap();
    assert_eq!(without[0].mistakes.count, 1, "{:?}", without[0].mistakes);
    assert!(without[0].checkpoints.iter().all(|c| c.established));
}
