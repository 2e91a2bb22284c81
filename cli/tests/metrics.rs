//! Metric code on hand-built traces: every expected value is derived by hand
//! in the comments, independently of the code under test.

use phifd_cli::detect::{Chen, Detector, Params, PhiDetector, Timeout, TwoWindow};
use phifd_cli::eval::{evaluate, EvalOptions};
use phifd_cli::trace::Stream;

const MS: u64 = 1_000_000;

fn opts(crashes: usize) -> EvalOptions {
    EvalOptions {
        crashes,
        seed: 1,
        warmup_ns: 0,
        threads: 1,
    }
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
    let mut s = Stream::from_arrivals(
        [0u64, 100, 200, 300, 500, 600, 700, 1000, 1100]
            .iter()
            .map(|x| x * MS + 10 * MS)
            .collect(),
    );
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
    let s = Stream {
        node: 0,
        send: recv.clone(),
        recv,
        seq,
        sent: 20,
        crash_ns: None,
    };
    let mut d = Chen::new(&Params::new(100 * MS), vec![50.0, 150.0]);
    let r = evaluate(&mut d, &[s], &opts(0));
    assert_eq!(r.levels[0].mistakes, 1);
    assert!(close(r.levels[0].t_m_mean, 0.05));
    assert_eq!(r.levels[1].mistakes, 0);
}

#[test]
fn chen_ignores_a_reordered_heartbeat() {
    // Window 1000, α = 10 ms. Arrivals (ms, seq): (0,0) (100,1) (200,2) (400,4), then seq 3,
    // overtaken by seq 4, at 404.8 ms, then (505,5) and (600,6).
    // Seq 0: one arrival, η = the nominal 100 ms, EA_1 = 0 + 100·(1 − 0) = 100 → deadline 110.
    // Seq 1, 2 arrive in time; after seq 2, EA_3 = 100 + 100·(3 − 1) = 300 → deadline 310, and
    // nothing arrives until 400: one real mistake, 310 → 400 ms (T_M 90 ms).
    // After seq 4: A = {0,100,200,400}, s = {0,1,2,4}; η = (400-0)/(4-0) = 100;
    // EA_5 = mean(A) + η·(4+1 − mean(s)) = 175 + 100·(5 − 1.75) = 500 → deadline 510 ms.
    // Seq 3 is stale and ignored: the deadline stays 510 ms. (Pushed as the newest arrival, as
    // before, it gave A = {..,404.8}, s = {..,3}: η = 404.8/3 = 134.93, EA = 220.96 +
    // 134.93·(4 − 2) = 490.83, deadline 500.83 ms, and seq 5 at 505 was a second mistake.)
    // Seq 5 at 505 < 510: in time. After it: A = {0,100,200,400,505}, s = {0,1,2,4,5}:
    // η = 505/5 = 101, EA_6 = 241 + 101·(6 − 2.4) = 604.6 → deadline 614.6 > 600: in time.
    // 2W-FD (short window of 1 arrival, EA_short = last + η): 300, 500, 606 → deadlines 310,
    // 510, 616: the same single mistake.
    let recv: Vec<u64> = [0u64, 100_000, 200_000, 400_000, 404_800, 505_000, 600_000]
        .iter()
        .map(|x| x * 1_000)
        .collect();
    let seq = vec![0, 1, 2, 4, 3, 5, 6];
    let mut d = Chen::new(&Params::new(100 * MS), vec![10.0]);
    let mut dl = [0u64];
    for i in 0..4 {
        assert!(!d.is_stale(seq[i]));
        d.arrive(recv[i], seq[i], &mut dl);
    }
    assert_eq!(dl[0], 510 * MS);
    assert!(d.is_stale(3) && d.is_stale(4) && !d.is_stale(5));
    d.arrive(404_800_000, 3, &mut dl);
    assert_eq!(dl[0], 510 * MS, "a stale heartbeat must not move the deadline");
    d.arrive(505 * MS, 5, &mut dl);
    assert!(dl[0].abs_diff(614_600_000) <= 1, "{}", dl[0]);
    let s = Stream {
        node: 0,
        send: recv.clone(),
        recv,
        seq,
        sent: 7,
        crash_ns: None,
    };
    for mut det in [
        Box::new(Chen::new(&Params::new(100 * MS), vec![10.0])) as Box<dyn Detector>,
        Box::new(TwoWindow::new(&Params::new(100 * MS), vec![10.0])),
    ] {
        let r = evaluate(det.as_mut(), &[s.clone()], &opts(0));
        assert_eq!(r.levels[0].mistakes, 1, "{}", r.name);
        assert!(
            close(r.levels[0].t_m_mean, 0.09),
            "{}: {}",
            r.name,
            r.levels[0].t_m_mean
        );
    }
}

#[test]
fn chen_late_heartbeat_does_not_restore_trust() {
    // Window 1000, α = 10 ms. Seq 0..99 arrive every 100 ms (0 .. 9900 ms); the sender pauses,
    // seq 100 arrives at 12000 ms and seq 101 at 12100 ms.
    // After seq 99: η = 9900/99 = 100, mean(A) = 4950, mean(s) = 49.5,
    // EA_100 = 4950 + 100·(100 − 49.5) = 10000 → deadline 10010 ms. Seq 100 at 12000 ≥ 10010:
    // suspected from 10010 ms.
    // After seq 100: η = 12000/100 = 120, Σ A = 495000 + 12000 = 507000 over n = 101,
    // mean(s) = 5050/101 = 50; EA_101 = 507000/101 + 120·(101 − 50) = 5019.80 + 6120
    // = 11139.80 → deadline 11149.80 ms, already past at 12000: the suspicion goes on
    // (with max(EA, now) + α it would have been 12010 and trust restored at once).
    // After seq 101: η = 12100/101 = 119.80, mean(A) = 519100/102 = 5089.22, mean(s) = 50.5,
    // EA_102 = 5089.22 + 119.80·(102 − 50.5) = 11259.02 → deadline 11269.02 < 12100: still
    // suspected to the end of the trace (12100 ms).
    // So: one mistake, T_M = 12100 − 10010 = 2.09 s, observed 12.1 s, P_A = 1 − 2.09/12.1.
    // (The old rule made two: 10010 → 12000 and 12010 → 12100.)
    let mut recv: Vec<u64> = (0..100u64).map(|i| i * 100 * MS).collect();
    recv.push(12_000 * MS);
    recv.push(12_100 * MS);
    let s = Stream::from_arrivals(recv.clone());
    let mut d = Chen::new(&Params::new(100 * MS), vec![10.0]);
    let mut dl = [0u64];
    for (i, &t) in recv.iter().enumerate().take(101) {
        d.arrive(t, i as u64, &mut dl);
    }
    let want = 1_125_120.0 / 101.0 * 1e6 + 10e6; // (507000 + 120·51·101)/101 ms + α, in ns
    assert!((dl[0] as f64 - want).abs() < 1_000.0, "{} vs {want}", dl[0]);
    let r = evaluate(&mut d, &[s], &opts(0));
    let l = &r.levels[0];
    assert_eq!(l.mistakes, 1);
    assert!(close(l.t_m_mean, 2.09), "{}", l.t_m_mean);
    assert!(close(l.p_a, 1.0 - 2.09 / 12.1), "{}", l.p_a);
}

/// A detector that answers a fixed list of deadlines, one per arrival (ms after time 0).
struct Scripted {
    deadlines_ms: Vec<u64>,
    next: usize,
}

impl Detector for Scripted {
    fn name(&self) -> String {
        "scripted".into()
    }
    fn param_name(&self) -> &'static str {
        "none"
    }
    fn levels(&self) -> &[f64] {
        &[0.0]
    }
    fn reset(&mut self) {
        self.next = 0;
    }
    fn arrive(&mut self, _now: u64, _seq: u64, deadlines: &mut [u64]) {
        deadlines[0] = self.deadlines_ms[self.next] * MS;
        self.next += 1;
    }
}

#[test]
fn a_deadline_already_past_starts_a_suspicion_now_not_in_the_past() {
    // Arrivals at 0, 100, 200, 300 ms; deadlines set after them: 150, 90, 250, 400 ms.
    // 100 < 150: trusted, but the new deadline (90) is already past, so suspected from 100
    // (not from 90). 200: new deadline 250 > 200, trusted again: a mistake 100 → 200 (100 ms).
    // 300 ≥ 250: suspected from 250; new deadline 400 > 300: trusted at 300 (50 ms).
    // Two mistakes, E[T_M] = 75 ms, T_MR = 250 − 100 = 150 ms, observed 0.3 s,
    // P_A = 1 − 0.15/0.3 = 0.5.
    let s = Stream::from_arrivals(vec![0, 100 * MS, 200 * MS, 300 * MS]);
    let mut d = Scripted {
        deadlines_ms: vec![150, 90, 250, 400],
        next: 0,
    };
    let r = evaluate(&mut d, &[s], &opts(0));
    let l = &r.levels[0];
    assert_eq!(l.mistakes, 2);
    assert!(close(l.t_m_mean, 0.075), "{}", l.t_m_mean);
    assert!(close(l.t_mr_mean, 0.15), "{}", l.t_mr_mean);
    assert!(close(l.p_a, 0.5), "{}", l.p_a);
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
        let gap = if i % 500 == 499 {
            400_000_000
        } else if i % 97 == 0 {
            180_000_000
        } else {
            100_000_000
        };
        t += gap - 15_000_000 + jitter;
        arrivals.push(t);
    }
    for (est, th) in [
        (phifd::Estimator::Akka, 8.0),
        (phifd::Estimator::Normal, 3.0),
        (phifd::Estimator::Exponential, 1.0),
    ] {
        let mut cfg = phifd::Config::new();
        cfg.set_estimator(est);
        cfg.set_threshold(th).unwrap();
        cfg.set_heartbeat_interval_ns(100_000_000).unwrap();
        cfg.set_recovery_heartbeats(1).unwrap();
        cfg.set_local_pause_threshold_ns(phifd::config::MAX_DURATION_NS)
            .unwrap();
        let m = phifd::Monitor::new(&cfg).unwrap();
        for &a in &arrivals {
            m.heartbeat(1, 1, a).unwrap();
        }
        let mut ev = Vec::new();
        m.poll(arrivals[arrivals.len() - 1], &mut ev, 1 << 20);
        let fails: Vec<u64> = ev
            .iter()
            .filter(|e| e.to == phifd::State::Failed)
            .map(|e| e.time_ns)
            .collect();
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
