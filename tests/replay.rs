//! `phifd::replay::Replayer` against real monitors: after the same arrivals, every threshold's
//! deadline must be what a `Monitor` configured with that threshold answers through its public
//! queries (`info().fail_after_ns`, `time_until_phi`), and phi must be the monitor's phi. The
//! histories are random and deliberately hit every learning rule: intervals past the deadline
//! (Akka's rule), exactly at it and one nanosecond either side, bursts, equal timestamps and
//! intervals past `max_interval_ns` (Cassandra's rule).

use phifd::replay::Replayer;
use phifd::{Config, Estimator, Monitor};

const MS: u64 = 1_000_000;

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn config(est: Estimator, window: u64, min_sd: Option<u64>, pause: u64, max_interval: Option<u64>) -> Config {
    let mut c = Config::new();
    c.set_estimator(est);
    c.set_heartbeat_interval_ns(100 * MS).unwrap();
    c.set_window(window).unwrap();
    if let Some(sd) = min_sd {
        c.set_min_std_deviation_ns(sd).unwrap();
    }
    c.set_acceptable_pause_ns(pause).unwrap();
    if let Some(m) = max_interval {
        c.set_max_interval_ns(m).unwrap();
    }
    // No local-pause guard: a replay has no monitor scheduling to judge (and there are no polls).
    c.set_local_pause_threshold_ns(phifd::config::MAX_DURATION_NS).unwrap();
    c
}

#[test]
fn replayed_deadlines_equal_the_monitors_on_random_histories() {
    let cases = [
        config(Estimator::Akka, 1000, None, 0, None),
        config(Estimator::Akka, 8, Some(2 * MS), 0, None),
        config(Estimator::Normal, 30, Some(5 * MS), 40 * MS, Some(600 * MS)),
        config(Estimator::Normal, 200, None, 0, None),
        config(Estimator::Exponential, 20, None, 0, None),
        config(Estimator::Exponential, 100, None, 10 * MS, Some(400 * MS)),
    ];
    let thresholds = [1.0, 3.0, 8.0, 12.0];
    for (ci, cfg) in cases.iter().enumerate() {
        let mut rng = 0x5DEE_CE66_D1CE_4E5B ^ (ci as u64 + 1);
        let mut r = Replayer::new(cfg, &thresholds).unwrap();
        let monitors: Vec<Monitor> = thresholds
            .iter()
            .map(|&t| {
                let mut c = cfg.clone();
                c.set_threshold(t).unwrap();
                Monitor::new(&c).unwrap()
            })
            .collect();
        let mut d = vec![0u64; thresholds.len()];
        let mut t = 1_000 * MS;
        let (mut late, mut learned_gap_changes) = (0u32, 0u32);
        for step in 0..6_000u32 {
            let x = xorshift(&mut rng);
            if step > 0 {
                let k = (x >> 8) as usize % thresholds.len();
                let since = d[k] - t; // the silence threshold k allows
                let interval = match x % 12 {
                    0 => since - 1,
                    1 => since,
                    2 => since + 1,
                    3 => x / 16 % (20 * MS), // a burst
                    4 => 0,                  // two arrivals at one instant
                    5 => 300 * MS + x / 16 % (900 * MS),
                    _ => 70 * MS + x / 16 % (60 * MS),
                };
                if interval >= since {
                    late += 1;
                }
                t += interval;
            }
            let before: Vec<(f64, f64)> = (0..thresholds.len())
                .map(|k| r.effective_mean_sd_ns(k).unwrap())
                .collect();
            r.arrive(t, &mut d).unwrap();
            for (k, m) in monitors.iter().enumerate() {
                m.heartbeat(1, 1, t).unwrap();
                let info = m.info(1, t).unwrap();
                assert_eq!(info.last_arrival_ns, Some(t));
                assert_eq!(
                    d[k],
                    t + info.fail_after_ns,
                    "case {ci} step {step} threshold {}",
                    thresholds[k]
                );
                assert_eq!(
                    d[k],
                    t + m.time_until_phi(1, thresholds[k]).unwrap(),
                    "case {ci} step {step}"
                );
                let q = t + xorshift(&mut rng) % (2_000 * MS);
                assert_eq!(
                    r.phi(k, q).unwrap().to_bits(),
                    m.phi(1, q).unwrap().to_bits(),
                    "case {ci} step {step}"
                );
                let (mean, _) = r.effective_mean_sd_ns(k).unwrap();
                assert_eq!(mean, (info.mean_ns + cfg.acceptable_pause_ns() as f64).max(1.0));
                if r.effective_mean_sd_ns(k).unwrap() != before[k] {
                    learned_gap_changes += 1;
                }
            }
            assert_eq!(r.last_arrival_ns(), Some(t));
        }
        // The histories must exercise what they claim to: late arrivals and learning.
        assert!(late > 500, "case {ci}: {late} arrivals at or past a deadline");
        assert!(learned_gap_changes > 1_000, "case {ci}: {learned_gap_changes}");
    }
}

/// With the Akka estimator each threshold learns its own history: an interval past the low
/// threshold's deadline but before the high one's is learned only at the high threshold.
/// Hand-derived: seed {75, 125} ms → mean 100 ms, sd 25 ms (the floor, interval/4). After the
/// arrivals at 0 and 100 ms the window is {75, 125, 100}: mean 100 ms, sd 20.4 ms, floored to
/// 25 ms. Akka's logistic: z = y(1.5976 + 0.070566y²), phi = log10(1 + e^z). Phi 1 needs
/// e^z = 9, z = 2.197, y ≈ 1.28 (1.28·1.7132 = 2.193): 100 + 1.28·25 ≈ 132 ms of silence.
/// Phi 12 needs z = ln(10^12 − 1) = 27.63, y ≈ 6.28 (6.28·4.3806 = 27.51): ≈ 257 ms. An interval of 200 ms is therefore learned at phi 12 (the mean grows
/// to (75+125+100+200)/4 = 125 ms) and not at phi 1 (the mean stays 100 ms).
#[test]
fn akka_thresholds_learn_separately() {
    let cfg = config(Estimator::Akka, 1000, None, 0, None);
    let mut r = Replayer::new(&cfg, &[1.0, 12.0]).unwrap();
    let mut d = [0u64; 2];
    r.arrive(0, &mut d).unwrap();
    r.arrive(100 * MS, &mut d).unwrap();
    assert!(d[0] - 100 * MS > 120 * MS && d[0] - 100 * MS < 140 * MS, "{}", d[0]);
    assert!(d[1] - 100 * MS > 245 * MS && d[1] - 100 * MS < 270 * MS, "{}", d[1]);
    r.arrive(300 * MS, &mut d).unwrap();
    assert_eq!(r.effective_mean_sd_ns(0).unwrap().0, 100_000_000.0);
    assert_eq!(r.effective_mean_sd_ns(1).unwrap().0, 125_000_000.0);
}
