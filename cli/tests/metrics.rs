//! Metric code on hand-built traces: every expected value is derived by hand
//! in the comments, independently of the code under test.

use phifd_cli::detect::{Chen, Detector, Params, PhiDetector, Timeout};
use phifd_cli::eval::{evaluate, EvalOptions};
use phifd_cli::trace::Stream;

const MS: u64 = 1_000_000;

fn opts(crashes: usize) -> EvalOptions {
    EvalOptions { crashes, seed: 1, warmup_ns: 0, threads: 1 }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn timeout_detector_hand_computed_metrics() {
    // Arrivals (ms): 0 100 200 300 | 500 600 700 | 1000 1100, timeout 150 ms.
    // Deadlines: arrival + 150. Mistakes: 300+150=450 < 500 (T_M 50 ms) and
    // 700+150=850 < 1000 (T_M 150 ms). Observed: 0..1100 ms = 1.1 s.
    // λ_M = 2/1.1; T_MR = 850-450 = 400 ms; E[T_M] = 100 ms; p99 of {50,150} = 150 ms;
    // P_A = 1 - 0.2/1.1; identity 1 - 0.1/0.4 = 0.75.
    // Crash marked at 1150 ms: last arrival sent before it is 1100, deadline
    // 1250 -> T_D = 100 ms.
    let mut s = Stream::from_arrivals([0u64, 100, 200, 300, 500, 600, 700, 1000, 1100].iter().map(|x| x * MS + 10 * MS).collect());
    s.crash_ns = Some(1160 * MS);
    let mut d = Timeout::new(vec![150.0]);
    let r = evaluate(&mut d, &[s], &opts(0));
    let l = &r.levels[0];
    assert_eq!(l.mistakes, 2);
    assert!(close(l.observed_s, 1.1));
    assert!(close(l.lambda_m, 2.0 / 1.1));
    assert!(close(l.t_mr_mean, 0.4));
    assert!(close(l.t_m_mean, 0.1));
    assert!(close(l.t_m_p99, 0.15));
    assert!(close(l.p_a, 1.0 - 0.2 / 1.1));
    assert!(close(l.p_a_identity, 0.75));
    assert_eq!(l.t_d_marked.len(), 1);
    assert!(close(l.t_d_marked[0], 0.1), "{:?}", l.t_d_marked);
}

#[test]
fn injected_crashes_give_deadline_minus_crash_time() {
    // Regular arrivals every 100 ms from 0 to 10 s, timeout 250 ms. A crash at
    // c after the arrival at a = floor(c/100)*100 is detected at a + 250, so
    // T_D = a + 250 - c, uniform over (150, 250] ms: mean ≈ 200 ms, max ≤ 250 ms,
    // min > 150 ms. (A crash exactly at an arrival's send time counts it as not sent.)
    let s = Stream::from_arrivals((0..=100u64).map(|i| i * 100 * MS).collect());
    let mut d = Timeout::new(vec![250.0]);
    let r = evaluate(&mut d, &[s], &opts(2000));
    let l = &r.levels[0];
    assert_eq!(l.mistakes, 0);
    assert_eq!(l.p_a, 1.0);
    assert!(l.crashes > 1900);
    assert!((l.t_d[0] - 0.2).abs() < 0.005, "mean {}", l.t_d[0]);
    assert!(l.t_d[3] <= 0.25 + 1e-9 && l.t_d[3] > 0.245);
    assert!((l.t_d[1] - 0.2).abs() < 0.01);
}

#[test]
fn chen_detector_with_a_lost_heartbeat() {
    // Heartbeats every 100 ms with sequence numbers; seq 5 lost. Chen's EA for
    // the next heartbeat is last + 100 ms exactly (η = 100 ms from the window,
    // all A_i - η s_i equal). With α = 50 ms the deadline after seq 4 (400 ms)
    // is 550 ms; seq 6 arrives at 600: one mistake of 50 ms. α = 150 ms: none.
    let recv: Vec<u64> = (0..20u64).filter(|&i| i != 5).map(|i| i * 100 * MS).collect();
    let seq: Vec<u64> = (0..20u64).filter(|&i| i != 5).collect();
    let s = Stream { node: 0, send: recv.clone(), recv, seq, sent: 20, crash_ns: None };
    let mut d = Chen::new(&Params::new(100 * MS), vec![50.0, 150.0]);
    let r = evaluate(&mut d, &[s], &opts(0));
    assert_eq!(r.levels[0].mistakes, 1);
    assert!(close(r.levels[0].t_m_mean, 0.05));
    assert_eq!(r.levels[1].mistakes, 0);
}

#[test]
fn phi_replay_matches_the_library_monitor() {
    // The same arrivals through phifd::Monitor (the library's own state
    // machine, pause guard disabled, recovery after one heartbeat) and through
    // the one-pass replay: the FAILED transitions are the replay's mistakes.
    let mut t = 1_000_000_000u64;
    let mut x = 0x1234_5678_9abc_def0u64;
    let mut arrivals = Vec::new();
    for i in 0..6000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let jitter = x % 30_000_000; // 0..30 ms
        let gap = if i % 500 == 499 { 400_000_000 } else if i % 97 == 0 { 180_000_000 } else { 100_000_000 };
        t += gap - 15_000_000 + jitter;
        arrivals.push(t);
    }
    for (est, th) in [(phifd::Estimator::Akka, 8.0), (phifd::Estimator::Normal, 3.0), (phifd::Estimator::Exponential, 1.0)] {
        let mut cfg = phifd::Config::new();
        cfg.set_estimator(est);
        cfg.set_threshold(th).unwrap();
        cfg.set_heartbeat_interval_ns(100_000_000).unwrap();
        cfg.set_recovery_heartbeats(1).unwrap();
        cfg.set_local_pause_threshold_ns(phifd::config::MAX_DURATION_NS).unwrap();
        let m = phifd::Monitor::new(&cfg).unwrap();
        for &a in &arrivals {
            m.heartbeat(1, 1, a).unwrap();
        }
        let mut ev = Vec::new();
        m.poll(arrivals[arrivals.len() - 1], &mut ev, 1 << 20);
        let fails: Vec<u64> = ev.iter().filter(|e| e.to == phifd::State::Failed).map(|e| e.time_ns).collect();
        let mut total = 0u64;
        for f in &fails {
            let next = arrivals.iter().find(|&&a| a >= *f).unwrap();
            total += next - f;
        }
        let mut p = Params::new(100_000_000);
        p.phi_levels = Some(vec![th]);
        let mut d = PhiDetector::new(est, &p).unwrap();
        let r = evaluate(&mut d, &[Stream::from_arrivals(arrivals.clone())], &opts(0));
        let l = &r.levels[0];
        assert!(!fails.is_empty(), "{est:?}: the trace must provoke mistakes");
        assert_eq!(l.mistakes, fails.len() as u64, "{est:?}");
        assert!(close(l.t_m_mean * l.mistakes as f64, total as f64 / 1e9), "{est:?}");
        assert_eq!(d.levels(), &[th]);
    }
}
