//! Live retuning (issue 18): thresholds changed on a running monitor keep every node's history,
//! and the states then follow the new deadlines exactly as a monitor configured with the new
//! thresholds from the start would. The comparison monitor is fed the same history; the history
//! is regular enough (1 s +/- 20 ms) that no interval reaches either threshold's deadline, so both
//! learn the same windows.

use std::sync::Arc;

use phifd::{Config, Estimator, Event, Monitor, State, Status};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn monitor(est: Estimator, threshold: f64, suspect: f64) -> Monitor {
    let mut c = Config::new();
    c.set_estimator(est);
    c.set_max_interval_ns(10 * SEC).unwrap();
    c.set_threshold(threshold).unwrap();
    c.set_suspect_threshold(suspect).unwrap();
    Monitor::new(&c).unwrap()
}

/// Heartbeats of nodes 1..=3 from `t0` every 1 s +/- 20 ms, `count` of them; returns the last time.
fn feed(ms: &[&Monitor], rng: &mut Rng, t0: u64, count: u32) -> u64 {
    let mut t = t0;
    for _ in 0..count {
        t += SEC - 20 * MS + rng.next() % (40 * MS);
        for m in ms {
            for node in 1..=3 {
                m.heartbeat(node, 1, t).unwrap();
            }
        }
    }
    t
}

fn poll(m: &Monitor, now: u64) -> Vec<Event> {
    let mut v = Vec::new();
    m.poll(now, &mut v, usize::MAX);
    v
}

fn key(e: &Event) -> (u64, State, State, u64, u64) {
    (e.node, e.from, e.to, e.time_ns, e.phi.to_bits())
}

#[test]
fn retuned_monitor_matches_one_configured_so_from_the_start() {
    for est in [Estimator::Akka, Estimator::Normal, Estimator::Exponential] {
        let retuned = monitor(est, 8.0, 4.0);
        let fresh = monitor(est, 12.0, 3.0);
        let mut rng = Rng(0x5EED ^ est as u64);
        let t = feed(&[&retuned, &fresh], &mut rng, SEC, 300);
        poll(&retuned, t);
        poll(&fresh, t);
        let before = retuned.info(1, t).unwrap();
        assert_ne!(before.fail_after_ns, fresh.info(1, t).unwrap().fail_after_ns, "{est:?}");
        retuned.set_thresholds(12.0, 3.0).unwrap();
        assert_eq!(retuned.thresholds(), (12.0, 3.0));
        for node in 1..=3 {
            let a = retuned.info(node, t).unwrap();
            let b = fresh.info(node, t).unwrap();
            assert_eq!(a.samples, before.samples, "{est:?}: history kept");
            assert_eq!(a.mean_ns.to_bits(), b.mean_ns.to_bits(), "{est:?}");
            assert_eq!(
                (a.fail_after_ns, a.suspect_after_ns),
                (b.fail_after_ns, b.suspect_after_ns)
            );
            assert_eq!(a.state, b.state);
        }
        // More history, then silence: the same events at the same instants, phi bits included.
        let t = feed(&[&retuned, &fresh], &mut rng, t, 50);
        let mut seen = 0;
        for k in 1..=80u64 {
            let now = t + k * 500 * MS;
            let a: Vec<_> = poll(&retuned, now).iter().map(key).collect();
            let b: Vec<_> = poll(&fresh, now).iter().map(key).collect();
            assert_eq!(a, b, "{est:?} at +{k}x500 ms");
            seen += a.len();
        }
        assert!(
            seen >= 6,
            "{est:?}: the silence must cross both deadlines of 3 nodes ({seen} events)"
        );
        assert_eq!(retuned.info(2, t + 20 * SEC).unwrap().state, State::Failed);
    }
}

#[test]
fn a_node_past_its_new_deadline_is_declared_at_the_next_poll_at_the_deadline_instant() {
    let m = monitor(Estimator::Akka, 12.0, 6.0);
    let low = monitor(Estimator::Akka, 3.0, 1.5);
    let mut rng = Rng(77);
    let t = feed(&[&m, &low], &mut rng, SEC, 200);
    // 2.2 s of silence: not FAILED at threshold 12 (about 2.6 s with the default sd floor of
    // 250 ms), FAILED at threshold 3 (about 1.8 s).
    let now = t + 2_200 * MS;
    assert!(poll(&m, now).iter().all(|e| e.to != State::Failed));
    assert_ne!(m.info(1, now).unwrap().state, State::Failed);
    let low_events = poll(&low, now);
    m.set_thresholds(3.0, 1.5).unwrap();
    // The state follows at the next evaluation, not at the call.
    let ev = poll(&m, now);
    let failed = |v: &[Event], node| v.iter().find(|e| e.node == node && e.to == State::Failed).map(key);
    for node in 1..=3 {
        let a = failed(&ev, node).expect("declared at the next poll");
        assert_eq!(
            Some(a),
            failed(&low_events, node),
            "node {node}: event time = the new deadline"
        );
        assert!(a.3 < now, "the event carries the deadline instant, not the poll time");
    }
}

#[test]
fn per_node_tuning_survives_monitor_wide_changes_until_cleared() {
    let m = monitor(Estimator::Exponential, 8.0, 4.0);
    let reference = |th: f64, sus: f64| {
        let r = monitor(Estimator::Exponential, th, sus);
        r.heartbeat(1, 1, SEC).unwrap();
        r.heartbeat(1, 1, 2 * SEC).unwrap();
        r.info(1, 2 * SEC).unwrap().fail_after_ns
    };
    for node in 1..=3 {
        m.heartbeat(node, 1, SEC).unwrap();
        m.heartbeat(node, 1, 2 * SEC).unwrap();
    }
    m.set_node_thresholds(2, 6.0, 2.0).unwrap();
    m.set_thresholds(4.0, 2.0).unwrap();
    let fail = |node| m.info(node, 2 * SEC).unwrap().fail_after_ns;
    // Exponential model on a window of 1 s intervals: deadline = threshold x ln 10 x 1 s.
    let by_hand = |th: f64| (th * std::f64::consts::LN_10 * 1e9).ceil() as u64;
    assert_eq!(fail(1), by_hand(4.0));
    assert_eq!(fail(2), by_hand(6.0));
    assert_eq!(fail(1), reference(4.0, 2.0));
    // A node registered after the change gets the monitor's thresholds as they are now.
    m.heartbeat(9, 1, SEC).unwrap();
    m.heartbeat(9, 1, 2 * SEC).unwrap();
    assert_eq!(fail(9), by_hand(4.0));
    m.clear_node_tuning(2).unwrap();
    assert_eq!(fail(2), by_hand(4.0));
    m.set_thresholds(5.0, 2.0).unwrap();
    assert_eq!((fail(1), fail(2), fail(9)), (by_hand(5.0), by_hand(5.0), by_hand(5.0)));
    // Refused values change nothing and say why.
    for (th, sus, word) in [
        (f64::NAN, 2.0, "threshold"),
        (-1.0, 0.5, "threshold"),
        (4.0, 4.0, "below threshold"),
        (4.0, 0.0, "suspect_threshold"),
        (0.2, 0.1, "timing rule"),
    ] {
        let e = m.set_thresholds(th, sus).unwrap_err();
        assert_eq!(e.status, Status::InvalidArg);
        assert!(e.message.contains(word), "{th}/{sus}: {e}");
        let e = m.set_node_thresholds(1, th, sus).unwrap_err();
        assert!(e.message.contains(word), "{th}/{sus}: {e}");
    }
    assert_eq!(fail(1), by_hand(5.0));
    assert_eq!(
        m.set_node_thresholds(42, 4.0, 2.0).unwrap_err().status,
        Status::UnknownNode
    );
    assert_eq!(m.clear_node_tuning(42).unwrap_err().status, Status::UnknownNode);
}

/// Retuning while other threads heartbeat and register nodes: every node ends with the last
/// thresholds (a registration racing a retune must not keep the old ones).
#[test]
fn retuning_races_registrations_and_heartbeats() {
    let m = Arc::new(monitor(Estimator::Exponential, 8.0, 4.0));
    let workers: Vec<_> = (0..2u64)
        .map(|w| {
            let m = Arc::clone(&m);
            std::thread::spawn(move || {
                for round in 0..40u64 {
                    for i in 0..50u64 {
                        let node = w * 1_000_000 + round * 50 + i;
                        m.heartbeat(node, 1, SEC).unwrap();
                        m.heartbeat(node, 1, 2 * SEC).unwrap();
                    }
                }
            })
        })
        .collect();
    for k in 0..200u32 {
        let th = 4.0 + f64::from(k % 7);
        m.set_thresholds(th, 2.0).unwrap();
    }
    for w in workers {
        w.join().unwrap();
    }
    m.set_thresholds(7.0, 2.0).unwrap();
    let want = (7.0 * std::f64::consts::LN_10 * 1e9).ceil() as u64;
    let snap = m.snapshot(2 * SEC);
    assert_eq!(snap.len(), 4000);
    assert!(snap.iter().all(|i| i.fail_after_ns == want));
}
