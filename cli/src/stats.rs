//! Trace statistics, and how close they come to the published JAIST–EPFL
//! WAN trace (Hayashibara et al., 2004).

use crate::trace::{Trace, NONE};

/// Summary statistics of a trace (all nodes pooled). Times in ms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Heartbeats sent.
    pub sent: u64,
    /// Heartbeats received.
    pub received: u64,
    /// Lost fraction.
    pub loss: f64,
    /// Loss bursts (maximal runs of consecutive lost sequence numbers).
    pub bursts: u64,
    /// Bursts per million heartbeats sent.
    pub bursts_per_million: f64,
    /// The five longest bursts, longest first.
    pub longest: Vec<u64>,
    /// Bursts longer than 25 heartbeats.
    pub bursts_over_25: u64,
    /// Share of bursts that are single losses.
    pub single_share: f64,
    /// Send interval mean, sd, max (ms), between consecutive sequence numbers.
    pub send_interval: [f64; 3],
    /// Inter-arrival mean, sd, max (ms), in receive order.
    pub inter_arrival: [f64; 3],
    /// One-way delay (recv − send) mean, sd, min, max (ms).
    pub delay: [f64; 4],
    /// Receive span, s.
    pub duration_s: f64,
    /// Crash markers.
    pub crashes: usize,
}

#[derive(Default)]
struct Moments {
    n: f64,
    s: f64,
    q: f64,
    min: f64,
    max: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        if self.n == 0.0 {
            self.min = x;
            self.max = x;
        }
        self.n += 1.0;
        self.s += x;
        self.q += x * x;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }
    fn mean(&self) -> f64 {
        if self.n > 0.0 {
            self.s / self.n
        } else {
            f64::NAN
        }
    }
    fn sd(&self) -> f64 {
        if self.n > 0.0 {
            ((self.q / self.n) - self.mean().powi(2)).max(0.0).sqrt()
        } else {
            f64::NAN
        }
    }
}

/// Computes the statistics of `t`.
pub fn compute(t: &Trace) -> Stats {
    let mut st = Stats {
        crashes: t.crashes.len(),
        ..Stats::default()
    };
    let (mut send_m, mut ia_m, mut d_m) = (Moments::default(), Moments::default(), Moments::default());
    let mut bursts: Vec<u64> = Vec::new();
    let (mut first, mut last) = (u64::MAX, 0u64);
    for s in t.streams() {
        // Rows of this node in sequence order.
        let mut rows: Vec<_> = t.rows.iter().filter(|h| h.node == s.node).collect();
        rows.sort_by_key(|h| h.seq);
        let mut run = 0u64;
        let mut prev: Option<(u64, u64)> = None;
        for h in &rows {
            st.sent += 1;
            if h.recv_ns == NONE {
                run += 1;
            } else {
                st.received += 1;
                if run > 0 {
                    bursts.push(run);
                }
                run = 0;
                d_m.add((h.recv_ns as f64 - h.send_ns as f64) / 1e6);
            }
            if h.send_ns != NONE {
                if let Some((ps, pt)) = prev {
                    if h.seq == ps + 1 {
                        send_m.add((h.send_ns as f64 - pt as f64) / 1e6);
                    }
                }
                prev = Some((h.seq, h.send_ns));
            } else {
                prev = None;
            }
        }
        if run > 0 {
            bursts.push(run);
        }
        for w in s.recv.windows(2) {
            ia_m.add((w[1] - w[0]) as f64 / 1e6);
        }
        if let (Some(&a), Some(&b)) = (s.recv.first(), s.recv.last()) {
            first = first.min(a);
            last = last.max(b);
        }
    }
    st.loss = if st.sent > 0 {
        1.0 - st.received as f64 / st.sent as f64
    } else {
        f64::NAN
    };
    st.bursts = bursts.len() as u64;
    st.bursts_per_million = if st.sent > 0 {
        st.bursts as f64 * 1e6 / st.sent as f64
    } else {
        f64::NAN
    };
    st.bursts_over_25 = bursts.iter().filter(|&&b| b > 25).count() as u64;
    st.single_share = if bursts.is_empty() {
        f64::NAN
    } else {
        bursts.iter().filter(|&&b| b == 1).count() as f64 / bursts.len() as f64
    };
    bursts.sort_unstable_by(|a, b| b.cmp(a));
    st.longest = bursts.iter().take(5).copied().collect();
    st.send_interval = [send_m.mean(), send_m.sd(), send_m.max];
    st.inter_arrival = [ia_m.mean(), ia_m.sd(), ia_m.max];
    st.delay = [d_m.mean(), d_m.sd(), d_m.min, d_m.max];
    st.duration_s = if last > first { (last - first) as f64 / 1e9 } else { 0.0 };
    st
}

/// One row of the comparison with the published trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// What is compared.
    pub name: &'static str,
    /// The trace's value.
    pub ours: f64,
    /// The published value.
    pub published: f64,
    /// Allowed relative deviation for `wan` traces of at least 3 simulated days.
    pub tolerance: f64,
    /// Where the published value comes from.
    pub source: &'static str,
}

impl Comparison {
    /// Relative deviation `ours / published − 1`.
    pub fn deviation(&self) -> f64 {
        self.ours / self.published - 1.0
    }
    /// Within the tolerance.
    pub fn ok(&self) -> bool {
        self.deviation().abs() <= self.tolerance
    }
}

/// Compares with the published JAIST–EPFL statistics. The delay rows are
/// inferred (the paper gives the round trip: one-way ≈ RTT/2, sd ≈ RTT sd/√2).
/// The inter-arrival sd is dominated by the rare long gaps; the published
/// loss total and sd are not both reachable with one burst-length law
/// (see docs/quality.md), hence its wider tolerance.
pub fn compare_wan(s: &Stats) -> Vec<Comparison> {
    let p = "published";
    let inf = "inferred from RTT";
    vec![
        Comparison {
            name: "send interval mean (ms)",
            ours: s.send_interval[0],
            published: 103.5,
            tolerance: 0.01,
            source: p,
        },
        Comparison {
            name: "send interval sd (ms)",
            ours: s.send_interval[1],
            published: 0.19,
            tolerance: 0.5,
            source: p,
        },
        Comparison {
            name: "loss (%)",
            ours: s.loss * 100.0,
            published: 100.0 * (1.0 - 5_822_521.0 / 5_845_712.0),
            tolerance: 0.35,
            source: p,
        },
        Comparison {
            name: "loss bursts per million sent",
            ours: s.bursts_per_million,
            published: 814.0 / 5.845712,
            tolerance: 0.25,
            source: p,
        },
        Comparison {
            name: "share of bursts > 25",
            ours: s.bursts_over_25 as f64 / s.bursts as f64,
            published: 48.0 / 814.0,
            tolerance: 0.6,
            source: p,
        },
        Comparison {
            name: "inter-arrival mean (ms)",
            ours: s.inter_arrival[0],
            published: 103.9,
            tolerance: 0.02,
            source: p,
        },
        Comparison {
            name: "inter-arrival sd (ms)",
            ours: s.inter_arrival[1],
            published: 104.1,
            tolerance: 0.4,
            source: p,
        },
        Comparison {
            name: "one-way delay mean (ms)",
            ours: s.delay[0],
            published: 283.3 / 2.0,
            tolerance: 0.05,
            source: inf,
        },
        Comparison {
            name: "one-way delay sd (ms)",
            ours: s.delay[1],
            published: 27.3 / std::f64::consts::SQRT_2,
            tolerance: 0.35,
            source: inf,
        },
        Comparison {
            name: "one-way delay min (ms)",
            ours: s.delay[2],
            published: 270.2 / 2.0,
            tolerance: 0.03,
            source: inf,
        },
    ]
}
