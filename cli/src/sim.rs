//! Seeded scenario generators. Every scenario is one [`Model`] (sender
//! timing, network delay, loss, monitor pauses, crash); the same seed and
//! parameters give the same trace on every platform.

use crate::rng::{lognormal_params, Rng};
use crate::trace::{Heartbeat, Trace, NONE};

/// One-way delay: `base + excess`, the excess lognormal with the given mean
/// and sd, correlated from heartbeat to heartbeat through an AR(1) process
/// (coefficient `rho`) on its underlying normal (the marginal stays lognormal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delay {
    /// Minimum delay, ns.
    pub base_ns: f64,
    /// Mean of the excess over the base, ns.
    pub excess_mean_ns: f64,
    /// Standard deviation of the excess, ns.
    pub excess_sd_ns: f64,
    /// Correlation of consecutive excesses' underlying normals, in [0, 1).
    pub rho: f64,
    /// Largest excess, ns (the lognormal is truncated there).
    pub excess_max_ns: f64,
}

/// How heartbeats are lost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// Each heartbeat lost independently with this probability.
    Independent(f64),
    /// Loss bursts calibrated to the published JAIST–EPFL trace: a burst
    /// starts after a received heartbeat with probability `start_p`; its
    /// length is 1 (76 %), 2–25 (18.1 %, geometric), 26–494 (5.3 %, skewed
    /// to the long end: 26 + 468·√U) or 495–1100 (0.61 %, uniform).
    Wan {
        /// Probability that a burst starts at a heartbeat.
        start_p: f64,
    },
    /// Gilbert–Elliott channel: good→bad with `p_gb`, bad→good with `p_bg`
    /// per heartbeat; heartbeats in the bad state are lost with `loss_bad`.
    GilbertElliott {
        /// Good→bad transition probability per heartbeat.
        p_gb: f64,
        /// Bad→good transition probability per heartbeat.
        p_bg: f64,
        /// Loss probability in the bad state.
        loss_bad: f64,
    },
}

/// Pauses of a process, recurring at exponentially distributed gaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pauses {
    /// Mean time between pause starts, ns.
    pub every_ns: f64,
    /// Mean pause length, ns (lognormal with sd = mean / 2).
    pub mean_ns: f64,
    /// Longest pause, ns.
    pub max_ns: f64,
}

/// A complete scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Nominal heartbeat interval (what the sender's timer is set to), ns.
    pub interval_ns: f64,
    /// Actual mean send period, ns (can exceed the nominal one: the published
    /// WAN sender averaged 103.5 ms for a 100 ms target).
    pub period_ns: f64,
    /// Gaussian jitter of each send period, ns (sd).
    pub send_sd_ns: f64,
    /// Probability per heartbeat of a send hiccup of up to `hiccup_max_ns` extra.
    pub hiccup_p: f64,
    /// Longest send hiccup, ns.
    pub hiccup_max_ns: f64,
    /// Sender stalls (a stopped sender timer: nothing is sent during a stall).
    pub sender_stalls: Option<Pauses>,
    /// Monitor pauses: arrivals during a pause are delivered in a burst at its end.
    pub monitor_pauses: Option<Pauses>,
    /// Network delay.
    pub delay: Delay,
    /// After `shift_at` (fraction of the duration), the delay switches to `delay_after`.
    pub shift: Option<(f64, Delay)>,
    /// Loss.
    pub loss: Loss,
    /// The sender crashes at this fraction of the duration.
    pub crash_at: Option<f64>,
}

/// Scenario names.
pub const SCENARIOS: &[&str] = &[
    "lan",
    "wan",
    "sender-gc",
    "monitor-pause",
    "regime-shift",
    "burst-loss",
    "crash",
];

/// LAN delay: 150 µs + 50 ± 50 µs.
pub const LAN_DELAY: Delay = Delay {
    base_ns: 150e3,
    excess_mean_ns: 50e3,
    excess_sd_ns: 50e3,
    rho: 0.5,
    excess_max_ns: 5e6,
};
/// WAN delay calibrated to the published RTT 283.3 ± 27.3 ms (min 270.2):
/// one-way 135.1 ms + 6.55 ± 19.3 ms (half the RTT; sd / √2 for independent
/// directions), the excess capped at 447.6 ms (max RTT 717.8 − min RTT 270.2, all on one direction).
pub const WAN_DELAY: Delay = Delay {
    base_ns: 135.1e6,
    excess_mean_ns: 6.55e6,
    excess_sd_ns: 19.3e6,
    rho: 0.9,
    excess_max_ns: 447.6e6,
};
/// Published WAN burst rate: 814 bursts in 5,822,521 received heartbeats.
pub const WAN_BURST_START: f64 = 814.0 / 5_822_521.0;

impl Model {
    /// The named scenario's defaults for a nominal interval, ns.
    pub fn scenario(name: &str, interval_ns: f64) -> Option<Model> {
        let lan = Model {
            interval_ns,
            period_ns: interval_ns,
            send_sd_ns: 20e3,
            hiccup_p: 0.0,
            hiccup_max_ns: 0.0,
            sender_stalls: None,
            monitor_pauses: None,
            delay: LAN_DELAY,
            shift: None,
            loss: Loss::Independent(1e-4),
            crash_at: None,
        };
        Some(match name {
            "lan" => lan,
            "wan" => Model {
                period_ns: interval_ns * 1.035,
                send_sd_ns: 0.19e6,
                hiccup_p: 2e-6,
                hiccup_max_ns: 131e6,
                delay: WAN_DELAY,
                loss: Loss::Wan {
                    start_p: WAN_BURST_START,
                },
                ..lan
            },
            "sender-gc" => Model {
                sender_stalls: Some(Pauses {
                    every_ns: 30e9,
                    mean_ns: 400e6,
                    max_ns: 3e9,
                }),
                ..lan
            },
            "monitor-pause" => Model {
                monitor_pauses: Some(Pauses {
                    every_ns: 30e9,
                    mean_ns: 500e6,
                    max_ns: 3e9,
                }),
                ..lan
            },
            "regime-shift" => Model {
                shift: Some((
                    0.5,
                    Delay {
                        base_ns: 40e6,
                        excess_mean_ns: 10e6,
                        excess_sd_ns: 20e6,
                        rho: 0.9,
                        excess_max_ns: 1e9,
                    },
                )),
                ..lan
            },
            "burst-loss" => Model {
                loss: Loss::GilbertElliott {
                    p_gb: 1e-3,
                    p_bg: 0.1,
                    loss_bad: 1.0,
                },
                ..lan
            },
            "crash" => Model {
                crash_at: Some(0.8),
                ..lan
            },
            _ => return None,
        })
    }
}

struct DelayGen {
    z: f64,
    mu: f64,
    sigma: f64,
    d: Delay,
}

impl DelayGen {
    fn new(d: Delay, rng: &mut Rng) -> DelayGen {
        let (mu, sigma) = if d.excess_mean_ns > 0.0 {
            lognormal_params(d.excess_mean_ns, d.excess_sd_ns.max(1e-9))
        } else {
            (0.0, 0.0)
        };
        DelayGen {
            z: rng.normal(),
            mu,
            sigma,
            d,
        }
    }
    fn next(&mut self, rng: &mut Rng) -> f64 {
        let r = self.d.rho;
        self.z = r * self.z + (1.0 - r * r).sqrt() * rng.normal();
        let excess = if self.d.excess_mean_ns > 0.0 {
            (self.mu + self.sigma * self.z).exp().min(self.d.excess_max_ns)
        } else {
            0.0
        };
        self.d.base_ns + excess
    }
}

fn pause_len(p: &Pauses, rng: &mut Rng) -> f64 {
    let (mu, s) = lognormal_params(p.mean_ns, p.mean_ns / 2.0);
    (mu + s * rng.normal()).exp().min(p.max_ns)
}

/// The pause intervals `[start, end)` of a pause process over `[0, end_ns)`.
fn pause_list(p: &Pauses, end_ns: f64, rng: &mut Rng) -> Vec<(f64, f64)> {
    let mut v = Vec::new();
    let mut t = rng.exp(p.every_ns);
    while t < end_ns {
        let len = pause_len(p, rng);
        v.push((t, t + len));
        t += len + rng.exp(p.every_ns);
    }
    v
}

fn wan_burst_len(rng: &mut Rng) -> u64 {
    let u = rng.uniform();
    if u < 0.76 {
        1
    } else if u < 0.76 + 0.181 {
        (1 + rng.geometric(0.5)).min(25)
    } else if u < 1.0 - 0.0061 {
        26 + (468.0 * rng.uniform().sqrt()) as u64
    } else {
        495 + (605.0 * rng.uniform()) as u64
    }
}

/// The state of one sender's loss process between heartbeats: the rest of a
/// WAN loss burst and the Gilbert–Elliott channel's state.
#[derive(Default)]
struct LossChannel {
    /// Heartbeats still to lose in the current WAN burst.
    burst_left: u64,
    /// Gilbert–Elliott: in the bad state.
    bad: bool,
}

impl LossChannel {
    /// Whether the next heartbeat is lost under `loss`.
    fn lost(&mut self, loss: Loss, rng: &mut Rng) -> bool {
        match loss {
            Loss::Independent(p) => rng.chance(p),
            Loss::Wan { start_p } => {
                if self.burst_left > 0 {
                    self.burst_left -= 1;
                    true
                } else if rng.chance(start_p) {
                    self.burst_left = wan_burst_len(rng) - 1;
                    true
                } else {
                    false
                }
            }
            Loss::GilbertElliott { p_gb, p_bg, loss_bad } => {
                self.bad = if self.bad { !rng.chance(p_bg) } else { rng.chance(p_gb) };
                self.bad && rng.chance(loss_bad)
            }
        }
    }
}

/// Generates `nodes` senders (ids 1..=nodes, or 0 for a single sender) for
/// `duration_ns`, starting at 1 s. Deterministic in `seed`.
pub fn generate(m: &Model, seed: u64, duration_ns: u64, nodes: u32) -> Trace {
    let n = nodes.max(1);
    let models: Vec<&Model> = (0..n).map(|_| m).collect();
    generate_nodes(&models, m.monitor_pauses, seed, duration_ns, nodes > 1)
}

/// Cluster scenario names (several peers on different networks in one trace).
pub const CLUSTER_SCENARIOS: &[&str] = &["mixed"];

/// The peers of the `mixed` scenario, in node order (node `k` ≥ 1 gets
/// `MIXED_PEERS[(k − 1) % 6]`): two LAN peers, two WAN peers (the `wan`
/// model: 135 ms base delay, bursty loss), one LAN peer whose sender stalls
/// (`sender-gc`) and one LAN peer behind a Gilbert–Elliott lossy link
/// (`burst-loss`).
pub const MIXED_PEERS: &[&str] = &["lan", "lan", "wan", "wan", "sender-gc", "burst-loss"];

/// The per-node models of a cluster scenario for `nodes` peers, with each
/// peer's profile name (`mixed`: [`MIXED_PEERS`] cycled; fewer than 6 nodes
/// take the first profiles). `None` for an unknown name.
pub fn cluster_models(name: &str, interval_ns: f64, nodes: u32) -> Option<Vec<(String, Model)>> {
    if name != "mixed" {
        return None;
    }
    (0..nodes.max(1) as usize)
        .map(|k| {
            let p = MIXED_PEERS[k % MIXED_PEERS.len()];
            Model::scenario(p, interval_ns).map(|m| (p.to_string(), m))
        })
        .collect()
}

/// Generates one sender per model (node ids 1..=models.len(), written with a
/// node column when `multi_node`; a single sender without it is node 0), each
/// with its own sender timing, delay, loss and crash, for `duration_ns`
/// starting at 1 s; `monitor_pauses` (a property of the one monitor) apply to
/// every arrival. Deterministic in `seed`: node `k` draws from its own stream
/// derived from `(seed, k)`, so the same node of two scenarios with the same
/// seed starts from the same random numbers.
pub fn generate_nodes(
    models: &[&Model],
    monitor_pauses: Option<Pauses>,
    seed: u64,
    duration_ns: u64,
    multi_node: bool,
) -> Trace {
    let start = 1e9;
    let end = start + duration_ns as f64;
    let mut trace = Trace {
        multi_node,
        ..Trace::default()
    };
    let mut mon_rng = Rng::derive(seed, u64::MAX);
    let monitor_pauses = monitor_pauses
        .map(|p| pause_list(&p, end + 1e9, &mut mon_rng))
        .unwrap_or_default();
    let nodes = models.len().max(1) as u32;
    for (k, m) in models.iter().enumerate() {
        let k = k as u32;
        let node = if multi_node { u64::from(k) + 1 } else { 0 };
        let offset = m.interval_ns * f64::from(k) / f64::from(nodes);
        generate_node(m, seed, node, start + offset, start, duration_ns as f64, &mut trace);
    }
    if !monitor_pauses.is_empty() {
        // Arrivals during a monitor pause are delivered when it ends, in a
        // burst compressed 1000:1 (order kept).
        for h in trace.rows.iter_mut() {
            if h.recv_ns == NONE {
                continue;
            }
            let r = h.recv_ns as f64;
            let i = monitor_pauses.partition_point(|p| p.1 <= r);
            if let Some(&(ps, pe)) = monitor_pauses.get(i) {
                if ps <= r && r < pe {
                    h.recv_ns = (pe + (r - ps) / 1000.0).round() as u64;
                }
            }
        }
    }
    trace
}

/// One sender of [`generate_nodes`]: its first send at `first_ns`, the run over `[start, start + duration_ns)`.
fn generate_node(m: &Model, seed: u64, node: u64, first_ns: f64, start: f64, duration_ns: f64, trace: &mut Trace) {
    let end = start + duration_ns;
    let mut rng = Rng::derive(seed, node);
    let crash = m.crash_at.map(|f| start + f * duration_ns);
    let stalls = m
        .sender_stalls
        .map(|p| pause_list(&p, end, &mut rng))
        .unwrap_or_default();
    let mut si = 0usize;
    let mut dgen = DelayGen::new(m.delay, &mut rng);
    let mut dgen2 = m.shift.map(|(_, d)| DelayGen::new(d, &mut rng));
    let shift_t = m.shift.map(|(f, _)| start + f * duration_ns);
    let mut t = first_ns;
    let mut seq = 0u64;
    let mut channel = LossChannel::default();
    while t < end {
        if crash.is_some_and(|c| t >= c) {
            break;
        }
        // A stall that covers t postpones the send to the stall's end.
        while si < stalls.len() && stalls[si].1 <= t {
            si += 1;
        }
        if si < stalls.len() && stalls[si].0 <= t {
            t = stalls[si].1;
            si += 1;
            if t >= end || crash.is_some_and(|c| t >= c) {
                break;
            }
        }
        let lost = channel.lost(m.loss, &mut rng);
        let d1 = dgen.next(&mut rng);
        let delay = match (&mut dgen2, shift_t) {
            (Some(g), Some(st)) => {
                let d2 = g.next(&mut rng);
                if t >= st {
                    d2
                } else {
                    d1
                }
            }
            _ => d1,
        };
        let send = t.round() as u64;
        let recv = if lost { NONE } else { (t + delay).round() as u64 };
        trace.rows.push(Heartbeat {
            node,
            seq,
            send_ns: send,
            recv_ns: recv,
        });
        seq += 1;
        let mut step = m.period_ns + m.send_sd_ns * rng.normal();
        if m.hiccup_p > 0.0 && rng.chance(m.hiccup_p) {
            step += rng.uniform() * m.hiccup_max_ns;
        }
        t += step.max(m.interval_ns * 0.01);
    }
    if let Some(c) = crash {
        if c < end {
            trace.crashes.push((node, c.round() as u64));
        }
    }
}

/// Applies a network model to sender-side send times (e.g. a real sender
/// log): returns the trace with receive times and losses drawn from `m`'s
/// delay and loss. Deterministic in `seed`.
pub fn apply_network(sends: &[(u64, u64)], m: &Model, seed: u64) -> Trace {
    let mut rng = Rng::derive(seed, 0);
    let mut dgen = DelayGen::new(m.delay, &mut rng);
    let mut channel = LossChannel::default();
    let mut rows = Vec::with_capacity(sends.len());
    for &(seq, send) in sends {
        let lost = channel.lost(m.loss, &mut rng);
        let d = dgen.next(&mut rng);
        rows.push(Heartbeat {
            node: 0,
            seq,
            send_ns: send,
            recv_ns: if lost { NONE } else { send + d.round() as u64 },
        });
    }
    Trace {
        rows,
        crashes: Vec::new(),
        multi_node: false,
    }
}
