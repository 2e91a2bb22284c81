//! Suspicion under stress, with explicit timestamps: pauses of the monitor
//! itself, bursts after a pause, local health, gossiped heartbeat versions and
//! suspicion confirmations. Expected values are derived by hand in each test.

use phifd::{Config, Estimator, EventKind, Monitor, State};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

fn failures(events: &[phifd::Event]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter(|e| e.kind == EventKind::StateChanged && e.to == State::Failed)
        .map(|e| (e.node, e.time_ns))
        .collect()
}

/// Peers 1..=20 heartbeat every 100 ms; peer 21 crashes at 5 s (normal operation); peer 22
/// crashes at 12 s, during the monitor's 10 s pause (from 10 s to 20 s). During the pause the
/// heartbeats queue up; at 20 s the monitor drains them all, stamped with the processing time
/// (the worst case: no socket timestamps), then runs normally again.
#[test]
fn a_ten_second_monitor_pause_convicts_no_healthy_peer() {
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Normal);
    cfg.set_heartbeat_interval_ns(100 * MS).unwrap();
    let m = Monitor::new(&cfg).unwrap();
    // The configuration's derived grace period is twice the steady timeout (rounded up).
    let grace = cfg.local_pause_grace_ns().unwrap();
    let steady = grace / 2;
    let mut events = Vec::new();
    let beat = |t: u64, m: &Monitor| {
        for node in 1..=22u64 {
            let crashed = (node == 21 && t >= 5 * S) || (node == 22 && t >= 12 * S);
            if !crashed {
                m.heartbeat(node, 1, t).unwrap();
            }
        }
    };
    let mut t = S;
    while t < 10 * S {
        beat(t, &m);
        m.poll(t + 50 * MS, &mut events, usize::MAX);
        t += 100 * MS;
    }
    // Peer 21 was convicted during normal operation, within its normal bound: at its own
    // deadline (last heartbeat 4.9 s + fail_after), seen by the next poll.
    let f = failures(&events);
    assert_eq!(f.len(), 1, "{f:?}");
    let (node, at) = f[0];
    assert_eq!(node, 21);
    let deadline = 4_900 * MS + steady;
    assert!(
        at.abs_diff(deadline) < 40 * MS,
        "convicted at {at}, normal deadline about {deadline}"
    );

    // The pause: no call at all from 10 s to 20 s. Then 100 queued heartbeats per live peer,
    // drained at 20.000 s .. 20.010 s.
    let resume = 20 * S;
    for i in 0..100u64 {
        for node in 1..=20u64 {
            m.heartbeat(node, 1, resume + i * 100_000).unwrap();
        }
    }
    let mut t = resume + 10 * MS;
    while t < 30 * S {
        m.poll(t, &mut events, usize::MAX);
        beat(t + 50 * MS, &m);
        t += 100 * MS;
    }
    let stats = m.stats();
    assert_eq!(stats.pauses_detected, 1);
    assert_eq!(
        stats.last_pause.start_ns,
        9_950 * MS,
        "the pause starts at the last call before it"
    );
    assert_eq!(
        stats.last_pause.end_ns, resume,
        "the pause ends with the first call after it"
    );
    assert_eq!(stats.last_pause.grace_until_ns, resume + grace);
    let f = failures(&events);
    assert_eq!(f.len(), 2, "only the two crashed peers are convicted: {f:?}");
    assert_eq!(f[1].0, 22);
    assert_eq!(
        f[1].1, stats.last_pause.grace_until_ns,
        "peer 22 is convicted when the grace period ends"
    );
    // Neither the 10 s gap nor the burst was learned: the mean is still 100 ms.
    for node in 1..=20 {
        let info = m.info(node, 30 * S).unwrap();
        assert!((info.mean_ns - 1e8).abs() < 1e6, "node {node}: mean {}", info.mean_ns);
        assert_eq!(info.state, State::Alive);
    }
}

#[test]
fn local_health_stretches_conviction_and_late_polls_raise_it() {
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Exponential);
    cfg.set_heartbeat_interval_ns(S).unwrap();
    let m = Monitor::new(&cfg).unwrap();
    for i in 0..5 {
        m.heartbeat(1, 1, i * S).unwrap();
    }
    // Exponential, mean 1 s: conviction after ceil(8 ln 10 s) of silence.
    let base = (8.0 * std::f64::consts::LN_10 * 1e9).ceil() as u64;
    assert_eq!(m.info(1, 4 * S).unwrap().fail_after_ns, base);
    m.set_local_health(3).unwrap();
    assert_eq!(m.local_health(), 3);
    assert_eq!(
        m.info(1, 4 * S).unwrap().fail_after_ns,
        (base as f64 * 4.0).ceil() as u64
    );
    assert!(m.set_local_health(8).is_err(), "default max is 7");
    m.set_local_health(0).unwrap();

    // The monitor's own score: regular polls every 100 ms, then one 300 ms late (more than
    // twice the usual gap, less than a pause), then a timely one.
    let mut out = Vec::new();
    let mut t = 5 * S;
    for _ in 0..20 {
        m.poll(t, &mut out, usize::MAX);
        t += 100 * MS;
    }
    assert_eq!(m.local_health(), 0);
    t += 200 * MS;
    m.poll(t, &mut out, usize::MAX);
    assert_eq!(m.local_health(), 1, "a late poll raises the score");
    assert_eq!(m.info(1, t).unwrap().fail_after_ns, base * 2);
    m.poll(t + 100 * MS, &mut out, usize::MAX);
    assert_eq!(m.local_health(), 0, "a timely poll lowers it");
    assert_eq!(m.stats().pauses_detected, 0);
}

#[test]
fn fifty_relays_of_one_version_count_once_and_old_versions_are_ignored() {
    let m = Monitor::new(&Config::new()).unwrap();
    assert!(m.heartbeat_version(7, 1, 10, S).unwrap());
    for relay in 0..49u64 {
        assert!(!m.heartbeat_version(7, 1, 10, S + relay * MS).unwrap());
    }
    assert!(
        !m.heartbeat_version(7, 1, 9, S + 60 * MS).unwrap(),
        "an old version arriving late"
    );
    let info = m.info(7, 2 * S).unwrap();
    assert_eq!(info.version, 10);
    assert_eq!(info.last_arrival_ns, Some(S), "duplicates do not refresh the arrival");
    assert_eq!(m.stats().duplicate_heartbeats, 50);
    assert!(m.heartbeat_version(7, 1, 11, 2 * S).unwrap());
    // A new generation with a lower version is a restart, counted.
    assert!(m.heartbeat_version(7, 2, 1, 3 * S).unwrap());
    assert_eq!(
        m.heartbeat_version(7, 1, 100, 4 * S).unwrap_err().status,
        phifd::Status::StaleGeneration
    );
}

#[test]
fn version_jumps_keep_the_per_heartbeat_interval() {
    // The sender heartbeats every 100 ms; we hear about it by gossip every 300..700 ms, so
    // versions jump by 3..7 between observations.
    let mut cfg = Config::new();
    cfg.set_heartbeat_interval_ns(500 * MS).unwrap();
    let m = Monitor::new(&cfg).unwrap();
    let mut rng: u64 = 12345;
    let mut version = 1u64;
    let mut t = S;
    m.heartbeat_version(3, 1, version, t).unwrap();
    for _ in 0..400 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let jump = 3 + rng % 5;
        version += jump;
        t += jump * 100 * MS + (rng >> 20) % (5 * MS); // gossip delay jitter
        assert!(m.heartbeat_version(3, 1, version, t).unwrap());
    }
    let info = m.info(3, t).unwrap();
    // Tolerance 5 %: the smoothing weight is 1/16 and the jitter is under 5 ms per observation.
    assert!(
        (info.heartbeat_interval_ns - 1e8).abs() < 5e6,
        "per-heartbeat {}",
        info.heartbeat_interval_ns
    );
    // The window learns the gaps between observations (about 500 ms), which silence is judged by.
    assert!((info.mean_ns - 5e8).abs() < 5e7, "observation gap {}", info.mean_ns);
    assert_eq!(info.state, State::Alive);
}

#[test]
fn confirmations_shorten_conviction_by_lifeguards_formula() {
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Exponential);
    cfg.set_heartbeat_interval_ns(S).unwrap();
    let m = Monitor::new(&cfg).unwrap();
    for i in 0..5 {
        m.heartbeat(1, 1, i * S).unwrap();
    }
    let base = 8.0 * std::f64::consts::LN_10 * 1e9;
    let base_ns = base.ceil();
    // k = 3, min/max = 0.5: timeout = max(min, max - (max - min) ln(n+1)/ln(k+1)).
    let by_hand = |n: f64| -> u64 {
        let max = base_ns;
        let min = 0.5 * max;
        (max - (max - min) * (n + 1.0).ln() / 4f64.ln()).max(min).ceil() as u64
    };
    assert_eq!(m.info(1, 4 * S).unwrap().fail_after_ns, base_ns as u64);
    m.report_suspect(1, 100).unwrap();
    m.report_suspect(1, 100).unwrap(); // the same reporter counts once
    assert_eq!(m.info(1, 4 * S).unwrap().confirmations, 1);
    assert_eq!(m.info(1, 4 * S).unwrap().fail_after_ns, by_hand(1.0)); // 0.75 of the base
    m.report_suspect(1, 101).unwrap();
    assert_eq!(m.info(1, 4 * S).unwrap().fail_after_ns, by_hand(2.0));
    for reporter in 102..2_000 {
        m.report_suspect(1, reporter).unwrap();
    }
    let info = m.info(1, 4 * S).unwrap();
    assert_eq!(info.confirmations, 3, "bounded: k reporters kept");
    assert_eq!(info.fail_after_ns, by_hand(3.0));
    assert_eq!(by_hand(3.0), (0.5 * base_ns).ceil() as u64);
    // Conviction happens at the shortened deadline.
    let mut out = Vec::new();
    m.poll(4 * S + by_hand(3.0) - 1, &mut out, 100);
    assert!(failures(&out).is_empty());
    m.poll(4 * S + by_hand(3.0), &mut out, 100);
    assert_eq!(failures(&out), vec![(1, 4 * S + by_hand(3.0))]);
    // A newer heartbeat refutes the suspicion.
    m.heartbeat(1, 1, 20 * S).unwrap();
    assert_eq!(m.info(1, 20 * S).unwrap().confirmations, 0);
    assert!(m.report_suspect(1, 1).is_err(), "a node cannot report itself");
    assert!(m.report_suspect(99, 1).is_err(), "unknown node");
}

#[test]
fn a_burst_after_a_sender_stall_does_not_collapse_the_statistics() {
    let mut cfg = Config::new();
    cfg.set_estimator(Estimator::Normal);
    cfg.set_heartbeat_interval_ns(100 * MS).unwrap();
    let m = Monitor::new(&cfg).unwrap();
    let mut t = S;
    for _ in 0..200 {
        m.heartbeat(1, 1, t).unwrap();
        t += 100 * MS;
    }
    // Ten heartbeats delivered back to back (1 ms apart); the first ends a normal 100 ms interval.
    m.heartbeat(1, 1, t).unwrap();
    t += MS;
    let before = m.info(1, t).unwrap();
    for _ in 0..9 {
        m.heartbeat(1, 1, t).unwrap();
        t += MS;
    }
    let after = m.info(1, t).unwrap();
    assert_eq!(after.samples, before.samples, "burst intervals are not learned");
    assert_eq!(after.mean_ns, before.mean_ns);
}
