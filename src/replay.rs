//! Replaying one node's heartbeat history through the library's own per-node code, at several
//! thresholds at once.
//!
//! A [`Replayer`] is what a quality tool needs to measure phifd on a recorded trace: after each
//! arrival it says, for every threshold of a sweep, *when that threshold would convict the node if
//! nothing else arrived*. It drives the same node code as [`Monitor`](crate::Monitor) — the seed
//! history, the window, the effective mean and sd (acceptable pause, sd floor) and every learning
//! rule: an interval is learned only if it ended before the threshold's deadline (Akka's rule, the
//! location-scale estimators), is not longer than `max_interval_ns` (Cassandra's rule), and is not a
//! burst (shorter than `burst_fraction` of the window's mean). So its numbers are the library's,
//! not those of a copy of its rules.
//!
//! Not replayed: generations (one incarnation is assumed), heartbeat versions, the monitor's
//! local-pause guard, local health and suspicion confirmations. These react to the monitor's own
//! scheduling or to other peers, which a heartbeat trace does not record; with none of them in
//! play a [`Monitor`](crate::Monitor) configured with threshold `t` convicts at exactly the
//! deadline the replayer gives for `t` (a test checks this on random histories).
//!
//! Because Akka's rule depends on the threshold, each threshold of a location-scale estimator
//! (`AKKA`, `NORMAL`) keeps its own node state. The exponential estimator's learning does not
//! depend on the threshold, so all its thresholds share one state (the result is identical, at a
//! fraction of the cost).
//!
//! ```
//! use phifd::{replay::Replayer, Config, Estimator};
//! let mut cfg = Config::new();
//! cfg.set_estimator(Estimator::Normal);
//! cfg.set_heartbeat_interval_ns(100_000_000).unwrap(); // 100 ms
//! let mut r = Replayer::new(&cfg, &[4.0, 8.0]).unwrap();
//! let mut deadlines = [0u64; 2];
//! for i in 0..100u64 {
//!     r.arrive(1_000_000_000 + i * 100_000_000, &mut deadlines).unwrap();
//! }
//! // The higher threshold waits longer; both are after the last arrival.
//! let last = 1_000_000_000 + 99 * 100_000_000;
//! assert!(last < deadlines[0] && deadlines[0] < deadlines[1]);
//! ```

use crate::config::{Config, Settings};
use crate::error::{Error, Result};
use crate::estimator::Estimator;
use crate::node::{Ctx, Event, Node, Pause};

/// The node id and generation the replayed node is given (they appear nowhere in the results).
const NODE_ID: u64 = 0;
const GENERATION: u64 = 1;

/// One node state and the settings it learns under.
#[derive(Debug, Clone)]
struct Lane {
    settings: Settings,
    node: Node,
}

/// Replays one node's arrivals through the library's node code at several thresholds at once.
///
/// Times are nanoseconds of the caller's clock (any origin, e.g. the receive timestamps of a
/// trace). Owned by one thread at a time (`Send`, not shared); cheap per arrival: O(1) per
/// threshold (O(1) in all for the exponential estimator).
#[derive(Debug, Clone)]
pub struct Replayer {
    estimator: Estimator,
    thresholds: Vec<f64>,
    /// Standardised value at which phi reaches each threshold.
    ys: Vec<f64>,
    lanes: Vec<Lane>,
    /// `lane_of[k]`: the lane that holds threshold `k`'s state.
    lane_of: Vec<usize>,
    /// Transitions the node code reports; not needed here, cleared on every arrival.
    events: Vec<Event>,
}

impl Replayer {
    /// A replayer for the settings of `config` (estimator, window, heartbeat interval, sd floor,
    /// acceptable pause, max interval, burst fraction, …) at each of `thresholds` (phi values;
    /// `config`'s own threshold is ignored). Deadlines come out in the order of `thresholds`.
    ///
    /// Errors (`InvalidArg`, nothing is built): `thresholds` is empty; a threshold is not a finite
    /// number in `(0, 1e6]`; or the settings are refused at one threshold, e.g. by the timing rule
    /// (the steady-history timeout must exceed the heartbeat interval: raise that threshold or the
    /// sd floor) or because an explicit suspect threshold is not below it. The message names the
    /// threshold.
    pub fn new(config: &Config, thresholds: &[f64]) -> Result<Replayer> {
        if thresholds.is_empty() {
            return Err(Error::invalid(
                "replay: thresholds is empty; give at least one phi threshold",
            ));
        }
        let mut all = Vec::with_capacity(thresholds.len());
        for &t in thresholds {
            let mut c = config.clone();
            let s = c
                .set_threshold(t)
                .and_then(|c| c.resolve())
                .map_err(|e| Error::invalid(format!("replay: threshold {t}: {}", e.message)))?;
            all.push(s);
        }
        let estimator = all.first().map_or(Estimator::Akka, |s| s.estimator);
        let ys = all.iter().map(|s| s.y_fail).collect();
        let (lanes, lane_of): (Vec<Settings>, Vec<usize>) = if estimator == Estimator::Exponential {
            // Learning does not depend on the threshold: one state serves every threshold.
            let first = all.swap_remove(0);
            (vec![first], vec![0; thresholds.len()])
        } else {
            (all, (0..thresholds.len()).collect())
        };
        let lanes = lanes
            .into_iter()
            .map(|settings| Lane {
                node: Node::registered(NODE_ID, GENERATION, 0, &settings),
                settings,
            })
            .collect();
        Ok(Replayer {
            estimator,
            thresholds: thresholds.to_vec(),
            ys,
            lanes,
            lane_of,
            events: Vec::new(),
        })
    }

    /// The estimator replayed.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }

    /// The thresholds, in the order of the deadlines.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Forgets every arrival: the node starts again from the seed history (as a new node would).
    pub fn reset(&mut self) {
        for l in &mut self.lanes {
            l.node = Node::registered(NODE_ID, GENERATION, 0, &l.settings);
        }
    }

    /// Time of the last arrival counted, ns (`None` before the first).
    pub fn last_arrival_ns(&self) -> Option<u64> {
        self.lanes.first().and_then(|l| l.node.last_arrival_ns())
    }

    /// Records a heartbeat received at `now_ns` and writes into `deadlines_out[k]` the deadline of
    /// threshold `k`: the absolute time, ns on the same clock, at which phi reaches that threshold
    /// if nothing else arrives — the last arrival plus the silence at which phi reaches the
    /// threshold on the history learned so far, rounded up to a whole ns and saturating at
    /// `u64::MAX`. A [`Monitor`](crate::Monitor) with that threshold would report the node FAILED
    /// at that instant (without local pauses, local health or confirmations). An arrival at or
    /// after the deadline given at the previous arrival is one the monitor convicted first.
    ///
    /// `now_ns` should not decrease between calls; an arrival earlier than the last one is counted
    /// by the node code but teaches nothing and moves no deadline (as in the monitor).
    ///
    /// Errors (`InvalidArg`, nothing recorded): `deadlines_out.len()` differs from the number of
    /// thresholds.
    pub fn arrive(&mut self, now_ns: u64, deadlines_out: &mut [u64]) -> Result<()> {
        if deadlines_out.len() != self.thresholds.len() {
            return Err(Error::invalid(format!(
                "replay: deadlines_out has {} slots but there are {} thresholds; pass one slot per threshold",
                deadlines_out.len(),
                self.thresholds.len()
            )));
        }
        let shared = self.lanes.len() < self.thresholds.len();
        for l in &mut self.lanes {
            let ctx = Ctx {
                s: &l.settings,
                stretch: 1.0,
                pause: Pause::default(),
            };
            l.node.arrive(GENERATION, None, now_ns, &ctx, &mut self.events);
            if shared {
                // Several thresholds read this state: compute its mean and sd once. A lane of one
                // threshold is left for the node's lazy path (as in a monitor, the next arrival
                // is then often decided without recomputing them).
                l.node.freshen(&l.settings);
            }
        }
        self.events.clear();
        for ((d, &lane), &y) in deadlines_out.iter_mut().zip(&self.lane_of).zip(&self.ys) {
            if let Some(l) = self.lanes.get(lane) {
                *d = l.node.last_ns.saturating_add(l.node.silence_for_y(y, &l.settings));
            }
        }
        Ok(())
    }

    fn lane(&self, k: usize) -> Result<&Lane> {
        self.lane_of.get(k).and_then(|&i| self.lanes.get(i)).ok_or_else(|| {
            Error::invalid(format!(
                "replay: threshold index {k} out of range (there are {} thresholds)",
                self.thresholds.len()
            ))
        })
    }

    /// phi at `now_ns` on the history learned at threshold `k` (index into
    /// [`thresholds`](Self::thresholds)): what [`Monitor::phi`](crate::Monitor::phi) would say.
    /// Silence is measured from the last arrival (before the first one, from time 0); a time
    /// before the last arrival counts as no silence.
    ///
    /// Errors (`InvalidArg`): `k` out of range.
    pub fn phi(&self, k: usize, now_ns: u64) -> Result<f64> {
        let l = self.lane(k)?;
        Ok(l.node.phi(now_ns, &l.settings))
    }

    /// The effective `(mean, sd)` of threshold `k`'s history, ns: the window's mean plus the
    /// acceptable pause, and its population sd floored at `min_std_deviation_ns` — the two numbers
    /// phi is computed from.
    ///
    /// Errors (`InvalidArg`): `k` out of range.
    pub fn effective_mean_sd_ns(&self, k: usize) -> Result<(f64, f64)> {
        let l = self.lane(k)?;
        Ok(l.node.effective_mean_sd(&l.settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(est: Estimator) -> Config {
        let mut c = Config::new();
        c.set_estimator(est);
        c.set_heartbeat_interval_ns(100_000_000).unwrap();
        c
    }

    #[test]
    fn bad_input_is_refused_with_a_message() {
        let c = cfg(Estimator::Akka);
        let e = Replayer::new(&c, &[]).unwrap_err();
        assert!(e.message.contains("at least one"), "{}", e.message);
        let e = Replayer::new(&c, &[8.0, f64::NAN]).unwrap_err();
        assert!(e.message.contains("threshold NaN"), "{}", e.message);
        // Timing rule: phi 0.1 on a steady 100 ms history times out before the next heartbeat.
        let e = Replayer::new(&c, &[0.1]).unwrap_err();
        assert!(e.message.contains("timing rule"), "{}", e.message);
        let mut r = Replayer::new(&c, &[4.0, 8.0]).unwrap();
        let e = r.arrive(5, &mut [0u64; 3]).unwrap_err();
        assert!(e.message.contains("3 slots"), "{}", e.message);
        assert_eq!(r.last_arrival_ns(), None, "a refused arrival records nothing");
        assert!(r.phi(2, 0).is_err());
        assert!(r.effective_mean_sd_ns(2).is_err());
    }

    /// Hand-derived: the exponential estimator's seed history for a 100 ms interval is one
    /// 100 ms sample; its deadline at phi is `last + phi·ln(10)·mean` (P(silence > t) =
    /// exp(-t/mean) = 10^-phi). After arrivals at 0 and 100 ms the window is {100, 100} ms, mean
    /// 100 ms, so the deadlines are 100 ms + 230.26 ms·phi.
    #[test]
    fn exponential_deadlines_by_hand() {
        let mut c = cfg(Estimator::Exponential);
        c.set_max_interval_ns(1_000_000_000).unwrap();
        let mut r = Replayer::new(&c, &[1.0, 2.0]).unwrap();
        let mut d = [0u64; 2];
        r.arrive(0, &mut d).unwrap();
        r.arrive(100_000_000, &mut d).unwrap();
        let ln10 = std::f64::consts::LN_10;
        let want = |phi: f64| 100_000_000 + (phi * ln10 * 100_000_000.0).ceil() as u64;
        // ±1 ns: the estimator's inverse is computed in its own (rounded) form.
        assert!(d[0].abs_diff(want(1.0)) <= 1, "{} vs {}", d[0], want(1.0));
        assert!(d[1].abs_diff(want(2.0)) <= 1, "{} vs {}", d[1], want(2.0));
        assert_eq!(r.effective_mean_sd_ns(1).unwrap().0, 100_000_000.0);
        r.reset();
        assert_eq!(r.last_arrival_ns(), None);
    }
}
