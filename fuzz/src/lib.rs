//! Property checks behind phifd's fuzz targets.
//!
//! Each function takes arbitrary bytes, drives the **C ABI** (`phifd::ffi`, the functions declared
//! in `include/phifd.h`) and panics — which libFuzzer reports as a crash and `cargo test` as a
//! failure — when a documented property does not hold. Nothing here trusts the library: expected
//! statuses come from the header's documentation, node membership and generations from a model
//! kept by the harness, and the phi/state relations from the definitions in the README.
//!
//! * [`monitor_ops`]: a sequence of calls on one monitor (see the function for the invariants).
//! * [`generation_parse`]: `phifd_generation_parse` on arbitrary bytes.
//! * [`datagram_decode`]: `phifd_datagram_decode` on arbitrary bytes, and the round trip
//!   `decode(encode(x)) == x` for an arbitrary datagram `x`.
//! * [`datagram_decode_auth`]: `phifd_datagram_decode_auth` and `phifd_monitor_receive` on
//!   arbitrary bytes, and signed datagrams with one bit flipped or truncated.
//!
//! All four are deterministic and single-threaded; thread safety is covered by
//! `tests/concurrency.rs`.

use std::collections::BTreeMap;
use std::ptr;

use phifd::ffi::config::*;
use phifd::ffi::generation::{phifd_generation_parse, PHIFD_MAX_GENERATION};
use phifd::ffi::monitor::*;
use phifd::ffi::qos::{phifd_config_set_qos_warmup_ns, PHIFD_QOS_WARMUP_DEFAULT};
use phifd::ffi::snapshot::*;
use phifd::ffi::wire::*;
use phifd::ffi::*;

/// How much `monitor_ops` checks after each step. Both modes check the same properties; they
/// differ only in how often the expensive ones run (see [`Checks::Sampled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// Every property after every step on every node, phi read at all five later times and the
    /// inverse query at both levels. The stable seed replay (`fuzz/tests/seeds.rs`) uses this.
    Full,
    /// What the fuzz target runs, for throughput. After every step the touched node gets every
    /// check except two, which run on a deterministic sample: the later phi readings rotate
    /// (`UINT64_MAX` every step, one of `t+1`, `t+Δ`, `t+1 s` in turn), and the inverse query
    /// (`phifd_node_time_until_phi` against `phifd_phi`, the costliest check: a bisection per
    /// level) runs every [`INVERSE_EVERY`]th step. Every [`OTHERS_EVERY`]th step
    /// [`OTHERS_PER_SCAN`] untouched nodes get the same checks (the next ones in id order each
    /// time, wrapping round), the inverse query on the first of them; after the last step every
    /// node gets every check.
    Sampled,
}

/// In [`Checks::Sampled`], the untouched nodes are checked every this many steps (and after the
/// last step). A call changes only the node it names, plus every node through a poll or the
/// local-health score, and a change persists until the next check.
pub const OTHERS_EVERY: u32 = 8;

/// In [`Checks::Sampled`], how many untouched nodes each of those checks visits, in turn.
pub const OTHERS_PER_SCAN: usize = 3;

/// In [`Checks::Sampled`], the inverse query is checked on the touched node every this many steps.
pub const INVERSE_EVERY: u32 = 4;

/// Most calls in one `monitor_ops` input (the rest of a longer input is ignored).
pub const MAX_STEPS: u32 = 300;

/// Relative slack for comparing phi with a threshold across the forward/inverse computation
/// (the deadline is the inverse of phi rounded up to a whole nanosecond).
const REL: f64 = 1e-9;

/// Reads fuzz bytes as a stream of small decisions; past the end every read gives 0, so any
/// input (including the empty one) decodes to a valid program.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    /// An integer biased towards the edges that break arithmetic.
    fn edgy_u64(&mut self) -> u64 {
        match self.u8() % 12 {
            0 => 0,
            1 => 1,
            2 => u64::MAX,
            3 => u64::MAX - 1,
            4 => 1 << 48,
            5 => 1 << 63,
            6 => 1_000,
            7 => 1_000_000,
            8 => 1_000_000_000,
            9 => u64::from(self.u16()) * 1_000_000,
            10 => u64::from(self.u32()),
            _ => self.u64(),
        }
    }
    /// A double biased towards NaN, infinities, zeros, tiny and huge values.
    fn edgy_f64(&mut self) -> f64 {
        match self.u8() % 16 {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 0.0,
            4 => -0.0,
            5 => -1.0,
            6 => f64::MIN_POSITIVE,
            7 => 5e-324,
            8 => f64::MAX,
            9 => 1e6,
            10 => 1e6 + 1.0,
            11 => 0.5,
            12 => 8.0,
            13 => f64::from(self.u16()) / 100.0,
            14 => f64::from(self.u8()) / 256.0,
            _ => f64::from_bits(self.u64()),
        }
    }
}

/// What the harness knows about one node, from its own calls only.
#[derive(Clone, Copy, Debug)]
struct NodeModel {
    /// The node's generation as implied by the successful calls.
    generation: u64,
    /// `Some((generation, last_arrival_ns, has_arrival))` when a suspicion report was accepted and
    /// no newer arrival happened since: confirmations may have convicted it early.
    reported: Option<(u64, u64, u32)>,
}

/// Settings the harness set successfully (to know the thresholds in force).
struct ConfigModel {
    threshold: f64,
    suspect: Option<f64>,
    max_local_health: u32,
}

impl Default for ConfigModel {
    fn default() -> Self {
        ConfigModel {
            threshold: 8.0,
            suspect: None,
            max_local_health: 7,
        }
    }
}

fn info_of(m: *const phifd_monitor, node: u64, now: u64) -> (phifd_status, phifd_node_info) {
    let mut info = phifd_node_info {
        size: std::mem::size_of::<phifd_node_info>() as u32,
        ..Default::default()
    };
    // SAFETY: `m` is a live monitor and `info` a writable struct of the declared size.
    let st = unsafe { phifd_node_get_info(m, node, now, &mut info) };
    (st, info)
}

fn phi_of(m: *const phifd_monitor, node: u64, now: u64) -> (phifd_status, f64) {
    let mut phi = -7.0;
    // SAFETY: live monitor, writable double.
    let st = unsafe { phifd_phi(m, node, now, &mut phi) };
    (st, phi)
}

fn local_health(m: *const phifd_monitor) -> u32 {
    let mut h = u32::MAX;
    // SAFETY: live monitor, writable u32.
    let st = unsafe { phifd_monitor_get_local_health(m, &mut h) };
    assert_eq!(st, PHIFD_OK);
    h
}

fn check_phi_value(phi: f64, what: &str) {
    assert!(
        phi.is_finite() && phi >= 0.0,
        "{what}: phi {phi} is not finite and non-negative"
    );
}

fn check_event(e: &phifd_event) {
    assert!(
        e.kind == PHIFD_EVENT_STATE_CHANGED || e.kind == PHIFD_EVENT_RESTARTED,
        "event kind {}",
        e.kind
    );
    assert!(
        e.from <= PHIFD_STATE_FAILED && e.to <= PHIFD_STATE_FAILED,
        "event states {:?}",
        e
    );
    check_phi_value(e.phi, "event");
    assert_eq!(e.reserved, 0);
    if e.kind == PHIFD_EVENT_STATE_CHANGED {
        assert_ne!(e.from, e.to, "a state change to the same state: {e:?}");
    } else {
        assert_eq!(e.to, PHIFD_STATE_ALIVE, "a restart must leave the node ALIVE: {e:?}");
    }
}

/// The monitor-level harness state.
struct Harness {
    m: *mut phifd_monitor,
    cfg: ConfigModel,
    nodes: BTreeMap<u64, NodeModel>,
    /// The latest time passed to any call that may change a node's stored state (heartbeats,
    /// registrations, polls): a stored FAILED was decided at or before it.
    horizon: u64,
    clock: u64,
    checks: Checks,
    /// The current step, from 1.
    step: u32,
}

impl Harness {
    /// Checks every invariant for `node` at time `q` (see [`monitor_ops`]), with phi read again at
    /// the `later` times and, with `inverse`, the inverse query checked; `health` is the monitor's
    /// effective local-health score (read once per step: no check changes it).
    fn check_node(&self, node: u64, q: u64, later: &[u64], inverse: bool, health: u32) {
        let m = self.m as *const phifd_monitor;
        let model = self.nodes.get(&node);
        let (st, phi) = phi_of(m, node, q);
        let Some(model) = model else {
            assert_eq!(st, PHIFD_ERR_UNKNOWN_NODE, "phi of an unmonitored node {node}");
            return;
        };
        assert_eq!(st, PHIFD_OK, "phi of monitored node {node}");
        check_phi_value(phi, "phifd_phi");

        // Non-decreasing in time with no arrival in between (the calls below are read-only).
        for &later in later {
            let (st2, phi2) = phi_of(m, node, later);
            assert_eq!(st2, PHIFD_OK);
            check_phi_value(phi2, "phifd_phi (later)");
            assert!(phi2 >= phi, "phi decreased from {phi} at {q} to {phi2} at {later}");
        }

        let (sti, info) = info_of(m, node, q);
        assert_eq!(sti, PHIFD_OK, "info of monitored node {node}");
        assert_eq!(info.size as usize, std::mem::size_of::<phifd_node_info>());
        assert_eq!(info.node, node);
        assert_eq!(info.generation, model.generation, "generation of node {node}");
        assert!(info.state <= PHIFD_STATE_FAILED, "state code {}", info.state);
        assert_eq!(
            info.phi.to_bits(),
            phi.to_bits(),
            "info.phi differs from phifd_phi at the same time"
        );
        assert!(info.has_arrival <= 1 && info.reserved == 0 && info.reserved2 == 0);
        assert!(info.confirmations <= 64);
        if info.has_arrival == 0 {
            assert!(
                info.state == PHIFD_STATE_UNKNOWN || info.state == PHIFD_STATE_FAILED,
                "no arrival but {info:?}"
            );
            assert_eq!(info.last_arrival_ns, 0);
        } else {
            assert_ne!(info.state, PHIFD_STATE_UNKNOWN, "a node with an arrival is UNKNOWN");
            assert_eq!(info.last_arrival_ns, info.silence_origin_ns);
        }
        assert!(info.mean_ns.is_finite() && info.mean_ns >= 0.0, "mean {}", info.mean_ns);
        assert!(info.sd_ns.is_finite() && info.sd_ns >= 0.0, "sd {}", info.sd_ns);
        assert!(!info.heartbeat_interval_ns.is_nan() && info.heartbeat_interval_ns >= 0.0);

        let thr = self.cfg.threshold;
        let sthr = self.cfg.suspect.unwrap_or(thr / 2.0);
        let reported_now = model.reported == Some((info.generation, info.last_arrival_ns, info.has_arrival));

        // FAILED => phi at or above the threshold, for a node that has heartbeated (a node never
        // heard from fails by the first-heartbeat timeout instead), whose conviction was not
        // brought forward by suspicion reports since its last arrival, queried no earlier than
        // the conviction was decided. Local health and pause grace only delay convictions.
        // Known limit (docs/testing.md): a deadline past u64::MAX saturates to u64::MAX, so at
        // that very instant a node is FAILED at any silence; such deadlines are not checked.
        let saturated = info
            .silence_origin_ns
            .checked_add(info.fail_after_ns)
            .is_none_or(|d| d == u64::MAX);
        if info.state == PHIFD_STATE_FAILED && info.has_arrival == 1 && !reported_now && q >= self.horizon && !saturated
        {
            assert!(
                phi >= thr * (1.0 - REL),
                "FAILED with phi {phi} < threshold {thr}: {info:?}"
            );
        }
        // ALIVE => phi below the suspect threshold, when no local-health stretch delays suspicion
        // (suspicion reports only bring it forward).
        if info.state == PHIFD_STATE_ALIVE && health == 0 {
            assert!(
                phi < sthr * (1.0 + REL),
                "ALIVE with phi {phi} >= suspect threshold {sthr}: {info:?}"
            );
        }

        // The inverse query agrees with phi: at the returned silence phi has reached the level.
        if !inverse {
            return;
        }
        for level in [thr, sthr] {
            let mut tu = 0u64;
            // SAFETY: live monitor, writable u64.
            let st = unsafe { phifd_node_time_until_phi(m, node, level, &mut tu) };
            assert_eq!(st, PHIFD_OK);
            // UINT64_MAX is the documented "never within the clock" (a level phi does not reach
            // before the 64-bit range ends: a one-hour run found phi 28,462 at the end of the
            // clock for a level of 1e6), so only a finite answer is checked.
            if let Some(at) = info.silence_origin_ns.checked_add(tu).filter(|_| tu != u64::MAX) {
                let (_, p) = phi_of(m, node, at);
                assert!(
                    p >= level * (1.0 - REL),
                    "phi {p} at time_until_phi({level}) = {tu} is below it"
                );
            }
            if level == thr && info.has_arrival == 1 && health == 0 && info.confirmations == 0 {
                assert_eq!(
                    tu, info.fail_after_ns,
                    "time_until_phi(threshold) != fail_after_ns: {info:?}"
                );
            }
        }
    }

    /// The checks after a step that named `touched` (see [`Checks`] for which run when); `extra`
    /// is an input-chosen later offset for the monotonicity check; `last` after the last step.
    fn check_all(&self, touched: u64, extra: u64, last: bool) {
        let q = self.clock;
        let health = local_health(self.m);
        let all_later = [
            q.saturating_add(1),
            q.saturating_add(extra),
            q.saturating_add(1_000_000_000),
            u64::MAX,
        ];
        let full = self.checks == Checks::Full || last;
        if full {
            self.check_node(touched, q, &all_later, true, health);
            for &n in self.nodes.keys().filter(|&&n| n != touched) {
                self.check_node(n, q, &all_later, true, health);
            }
        } else {
            let step = self.step;
            let later = [all_later[(step % 3) as usize], u64::MAX];
            self.check_node(touched, q, &later, step % INVERSE_EVERY == 0, health);
            if step % OTHERS_EVERY == 0 {
                // OTHERS_PER_SCAN untouched nodes, the window moving along the node list from scan
                // to scan so every node comes round; the inverse query on the first of them.
                let others = self.nodes.len() - usize::from(self.nodes.contains_key(&touched));
                let start = (step / OTHERS_EVERY) as usize * OTHERS_PER_SCAN % others.max(1);
                let mut ring = self.nodes.keys().filter(|&&n| n != touched).cycle().skip(start);
                for i in 0..OTHERS_PER_SCAN.min(others) {
                    let Some(&n) = ring.next() else { break };
                    self.check_node(n, q, &later, i == 0, health);
                }
            }
        }
        let mut count = u64::MAX;
        // SAFETY: live monitor, writable u64.
        assert_eq!(unsafe { phifd_monitor_node_count(self.m, &mut count) }, PHIFD_OK);
        assert_eq!(count, self.nodes.len() as u64, "node count");
    }

    fn pick_node(&self, inp: &mut Input<'_>) -> u64 {
        const IDS: [u64; 8] = [0, 1, 2, 3, 4, 5, u64::MAX, 1 << 63];
        match inp.u8() % 10 {
            i @ 0..=7 => IDS[i as usize],
            8 => self.nodes.keys().next().copied().unwrap_or(0),
            _ => inp.edgy_u64(),
        }
    }

    fn pick_generation(&self, inp: &mut Input<'_>, node: u64) -> u64 {
        let cur = self.nodes.get(&node).map_or(0, |n| n.generation);
        match inp.u8() % 8 {
            0 | 1 | 2 => cur,
            3 => cur.saturating_add(1),
            4 => cur.saturating_sub(1),
            5 => u64::from(inp.u8() % 4),
            6 => u64::MAX,
            _ => inp.edgy_u64(),
        }
    }

    /// A call time: mostly the clock moving forward, sometimes backwards or arbitrary.
    fn pick_time(&mut self, inp: &mut Input<'_>) -> u64 {
        match inp.u8() % 10 {
            0..=5 => {
                self.clock = self.clock.saturating_add(u64::from(inp.u16()) * 1_000_000);
                self.clock
            }
            6 => self.clock.saturating_sub(u64::from(inp.u16()) * 1_000_000),
            7 => self.clock.saturating_add(u64::from(inp.u32())),
            8 => self.clock,
            _ => inp.edgy_u64(),
        }
    }

    fn see(&mut self, t: u64) {
        self.horizon = self.horizon.max(t);
    }

    /// Applies an accepted arrival (`OK`) or a rejected stale one to the model.
    fn arrival(&mut self, node: u64, generation: u64, st: phifd_status) {
        match st {
            PHIFD_OK => {
                let e = self.nodes.entry(node).or_insert(NodeModel {
                    generation,
                    reported: None,
                });
                e.generation = e.generation.max(generation);
            }
            PHIFD_ERR_STALE_GENERATION => {
                let cur = self.nodes.get(&node).map(|n| n.generation);
                assert!(
                    cur.is_some_and(|c| generation < c),
                    "STALE for node {node} gen {generation}, model {cur:?}"
                );
            }
            PHIFD_ERR_INVALID_ARG => {
                assert!(
                    generation > PHIFD_MAX_GENERATION,
                    "INVALID_ARG for node {node} gen {generation} within the bound"
                );
            }
            other => panic!("heartbeat: undocumented status {other}"),
        }
        if st == PHIFD_OK {
            let cur = self.nodes[&node].generation;
            assert!(generation <= cur);
        }
    }
}

fn apply_setter(cfg: *mut phifd_config, model: &mut ConfigModel, inp: &mut Input<'_>) {
    let which = inp.u8() % 18;
    // SAFETY (all calls): `cfg` is a live config used from this thread only.
    let st = unsafe {
        match which {
            0 => phifd_config_set_estimator(cfg, u32::from(inp.u8() % 5)),
            1 => {
                let v = inp.edgy_f64();
                let st = phifd_config_set_threshold(cfg, v);
                assert_eq!(
                    st == PHIFD_OK,
                    v.is_finite() && v >= f64::MIN_POSITIVE && v <= 1e6,
                    "threshold {v}: status {st}"
                );
                if st == PHIFD_OK {
                    model.threshold = v;
                }
                st
            }
            2 => {
                let v = inp.edgy_f64();
                let st = phifd_config_set_suspect_threshold(cfg, v);
                assert!(
                    st != PHIFD_OK || (v.is_finite() && v >= f64::MIN_POSITIVE),
                    "suspect threshold {v} accepted"
                );
                if st == PHIFD_OK {
                    model.suspect = Some(v);
                }
                st
            }
            3 => phifd_config_set_window(cfg, inp.edgy_u64()),
            4 => phifd_config_set_heartbeat_interval_ns(cfg, inp.edgy_u64()),
            5 => phifd_config_set_min_std_deviation_ns(cfg, inp.edgy_u64()),
            6 => phifd_config_set_acceptable_pause_ns(cfg, inp.edgy_u64()),
            7 => phifd_config_set_max_interval_ns(cfg, inp.edgy_u64()),
            8 => phifd_config_set_round_trip_ns(cfg, inp.edgy_u64()),
            9 => phifd_config_set_first_heartbeat_timeout_ns(cfg, inp.edgy_u64()),
            10 => phifd_config_set_recovery_heartbeats(cfg, u32::from(inp.u16())),
            11 => phifd_config_set_local_pause_threshold_ns(cfg, inp.edgy_u64()),
            12 => phifd_config_set_local_pause_grace_ns(cfg, inp.edgy_u64()),
            13 => phifd_config_set_burst_fraction(cfg, inp.edgy_f64()),
            14 => {
                let v = u32::from(inp.u8());
                let st = phifd_config_set_max_local_health(cfg, v);
                assert_eq!(st == PHIFD_OK, v <= 64, "max_local_health {v}: status {st}");
                if st == PHIFD_OK {
                    model.max_local_health = v;
                }
                st
            }
            15 => phifd_config_set_confirmations_expected(cfg, u32::from(inp.u8())),
            16 => {
                // 0 (none) to 10^15 ns, or PHIFD_QOS_WARMUP_DEFAULT (u64::MAX); nothing between.
                let v = inp.edgy_u64();
                let st = phifd_config_set_qos_warmup_ns(cfg, v);
                assert_eq!(
                    st == PHIFD_OK,
                    v <= 1_000_000_000_000_000 || v == PHIFD_QOS_WARMUP_DEFAULT,
                    "qos_warmup_ns {v}: status {st}"
                );
                st
            }
            _ => phifd_config_set_confirmation_min_ratio(cfg, inp.edgy_f64()),
        }
    };
    assert!(
        st == PHIFD_OK || st == PHIFD_ERR_INVALID_ARG,
        "config setter {which}: status {st}"
    );
}

/// Runs an arbitrary program of up to [`MAX_STEPS`] C ABI calls on one monitor and checks, after
/// every step (how often the costlier checks run: [`Checks::Sampled`], the fuzz target's mode):
///
/// * every status is one the header documents for that call, and `PHIFD_ERR_UNKNOWN_NODE` /
///   `PHIFD_ERR_STALE_GENERATION` appear exactly when the harness's own model of membership and
///   generations says so; the node count equals the model's;
/// * phi is finite and non-negative (never NaN), and non-decreasing in the query time for a fixed
///   history (queried at `t`, `t+1`, `t+Δ`, `t+1 s` and `u64::MAX` with no arrival between);
/// * `phifd_node_get_info` agrees with `phifd_phi` bit for bit, reports the model's generation and
///   a state from the documented set, UNKNOWN only before the first heartbeat;
/// * FAILED ⇒ phi ≥ threshold·(1−1e-9), for a node that has heartbeated, with no suspicion report
///   accepted since its last arrival, queried no earlier than the latest heartbeat/poll time;
/// * ALIVE ⇒ phi < suspect threshold·(1+1e-9) whenever the effective local health is 0
///   (stretch 1);
/// * at the silence returned by `phifd_node_time_until_phi(level)` phi has reached the level, and
///   for the threshold it equals `fail_after_ns` when nothing stretches or shortens deadlines;
/// * every polled event is well formed (documented kind and states, finite phi, a state change
///   changes the state, a restart ends ALIVE) and no more than `cap` are written.
pub fn monitor_ops(data: &[u8]) {
    monitor_ops_with(data, Checks::Sampled);
}

/// [`monitor_ops`] with every check after every step ([`Checks::Full`]): the seed replay's mode.
pub fn monitor_ops_full(data: &[u8]) {
    monitor_ops_with(data, Checks::Full);
}

/// [`monitor_ops`] with the given checking mode.
pub fn monitor_ops_with(data: &[u8], checks: Checks) {
    let mut inp = Input::new(data);
    let mut cfg_model = ConfigModel::default();
    let mut cfg: *mut phifd_config = ptr::null_mut();
    // SAFETY: writable out-pointer.
    assert_eq!(unsafe { phifd_config_new(&mut cfg) }, PHIFD_OK);
    for _ in 0..(inp.u8() % 6) {
        apply_setter(cfg, &mut cfg_model, &mut inp);
    }
    let mut m: *mut phifd_monitor = ptr::null_mut();
    // SAFETY: live config, writable out-pointer.
    let st = unsafe { phifd_monitor_new(cfg, &mut m) };
    if st != PHIFD_OK {
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "monitor_new: status {st}");
        assert!(m.is_null(), "out-parameter written on failure");
        cfg_model = ConfigModel::default();
        // SAFETY: NULL config means defaults.
        assert_eq!(unsafe { phifd_monitor_new(ptr::null(), &mut m) }, PHIFD_OK);
    }
    // SAFETY: the monitor holds its own copy.
    unsafe { phifd_config_free(cfg) };

    let start = match inp.u8() % 4 {
        0 => 0,
        1 => u64::MAX - 1_000_000_000_000,
        _ => 1_000_000_000,
    };
    let mut h = Harness {
        m,
        cfg: cfg_model,
        nodes: BTreeMap::new(),
        horizon: 0,
        clock: start,
        checks,
        step: 0,
    };
    while !inp.done() && h.step < MAX_STEPS {
        h.step += 1;
        let op = inp.u8() % 16;
        let node = h.pick_node(&mut inp);
        // SAFETY (all calls below): `h.m` is live and used from this thread only; every
        // out-pointer is a writable local of the declared type and size.
        match op {
            0 | 1 | 2 => {
                let g = h.pick_generation(&mut inp, node);
                let t = h.pick_time(&mut inp);
                h.see(t);
                let st = unsafe { phifd_heartbeat(h.m, node, g, t) };
                h.arrival(node, g, st);
            }
            3 | 4 => {
                let g = h.pick_generation(&mut inp, node);
                let v = match inp.u8() % 4 {
                    0 => inp.edgy_u64(),
                    _ => u64::from(inp.u16()),
                };
                let t = h.pick_time(&mut inp);
                h.see(t);
                let mut counted = false;
                let out = if inp.u8() % 2 == 0 {
                    &mut counted as *mut bool
                } else {
                    ptr::null_mut()
                };
                let st = unsafe { phifd_heartbeat_version(h.m, node, g, v, t, out) };
                h.arrival(node, g, st);
            }
            5 => {
                let v = inp.edgy_f64();
                let mut tu = 7u64;
                let st = unsafe { phifd_node_time_until_phi(h.m, node, v, &mut tu) };
                let bad = !v.is_finite() || v < 0.0;
                let expect = if bad {
                    PHIFD_ERR_INVALID_ARG
                } else if h.nodes.contains_key(&node) {
                    PHIFD_OK
                } else {
                    PHIFD_ERR_UNKNOWN_NODE
                };
                assert_eq!(st, expect, "time_until_phi({v})");
                if st != PHIFD_OK {
                    assert_eq!(tu, 7, "out-parameter written on failure");
                }
            }
            6 | 7 => {
                let t = h.pick_time(&mut inp);
                h.see(t);
                let cap = usize::from(inp.u8() % 5);
                let mut events = [phifd_event::default(); 4];
                let buf = if cap == 0 { ptr::null_mut() } else { events.as_mut_ptr() };
                let mut written = usize::MAX;
                let st = unsafe { phifd_monitor_poll(h.m, t, buf, cap, &mut written) };
                assert_eq!(st, PHIFD_OK, "poll");
                assert!(written <= cap, "poll wrote {written} > cap {cap}");
                for e in events.iter().take(written) {
                    check_event(e);
                }
            }
            8 => {
                let st = unsafe { phifd_node_remove(h.m, node) };
                let expect = if h.nodes.remove(&node).is_some() {
                    PHIFD_OK
                } else {
                    PHIFD_ERR_UNKNOWN_NODE
                };
                assert_eq!(st, expect, "remove {node}");
            }
            9 => {
                let reporter = if inp.u8() % 4 == 0 { node } else { h.pick_node(&mut inp) };
                let st = unsafe { phifd_node_report_suspect(h.m, node, reporter) };
                let expect = if !h.nodes.contains_key(&node) {
                    PHIFD_ERR_UNKNOWN_NODE
                } else if reporter == node {
                    PHIFD_ERR_INVALID_ARG
                } else {
                    PHIFD_OK
                };
                // An unknown node with reporter == node may give either documented error.
                if !(expect == PHIFD_ERR_UNKNOWN_NODE && st == PHIFD_ERR_INVALID_ARG && reporter == node) {
                    assert_eq!(st, expect, "report_suspect {node} by {reporter}");
                }
                if st == PHIFD_OK {
                    let (_, info) = info_of(h.m, node, h.clock);
                    if let Some(n) = h.nodes.get_mut(&node) {
                        n.reported = Some((info.generation, info.last_arrival_ns, info.has_arrival));
                    }
                }
            }
            10 => {
                let score = u32::from(inp.u8() % 72);
                let st = unsafe { phifd_monitor_set_local_health(h.m, score) };
                let ok = score <= h.cfg.max_local_health;
                assert_eq!(
                    st,
                    if ok { PHIFD_OK } else { PHIFD_ERR_INVALID_ARG },
                    "local health {score}"
                );
                let eff = local_health(h.m);
                assert!(
                    eff <= h.cfg.max_local_health && (!ok || eff >= score),
                    "effective health {eff}"
                );
            }
            11 => {
                let g = h.pick_generation(&mut inp, node);
                let t = h.pick_time(&mut inp);
                h.see(t);
                let st = unsafe { phifd_node_add(h.m, node, g, t) };
                // A generation above the shared bound is refused and changes nothing.
                let beyond = g > PHIFD_MAX_GENERATION;
                assert_eq!(
                    st,
                    if beyond { PHIFD_ERR_INVALID_ARG } else { PHIFD_OK },
                    "node_add gen {g}"
                );
                if !beyond {
                    h.nodes.entry(node).or_insert(NodeModel {
                        generation: g,
                        reported: None,
                    });
                }
            }
            12 => {
                let n = usize::from(inp.u8() % 4);
                let (mut nodes, mut gens, mut times) = ([0u64; 3], [0u64; 3], [0u64; 3]);
                for i in 0..n {
                    let id = h.pick_node(&mut inp);
                    nodes[i] = id;
                    gens[i] = h.pick_generation(&mut inp, id);
                    let t = h.pick_time(&mut inp);
                    h.see(t);
                    times[i] = t;
                }
                let mut statuses = [u32::MAX; 3];
                let st = unsafe {
                    phifd_heartbeat_batch(
                        h.m,
                        nodes.as_ptr(),
                        gens.as_ptr(),
                        times.as_ptr(),
                        n,
                        statuses.as_mut_ptr(),
                    )
                };
                for i in 0..n {
                    h.arrival(nodes[i], gens[i], statuses[i]);
                }
                assert!(statuses[n..].iter().all(|&s| s == u32::MAX), "batch wrote past n = {n}");
                let first_bad = statuses[..n]
                    .iter()
                    .copied()
                    .find(|&s| s != PHIFD_OK)
                    .unwrap_or(PHIFD_OK);
                assert_eq!(st, first_bad, "batch status");
            }
            13 => {
                let n = usize::from(inp.u8() % 4);
                let mut ids = [0u64; 3];
                for id in ids.iter_mut().take(n) {
                    *id = h.pick_node(&mut inp);
                }
                let t = h.pick_time(&mut inp);
                let mut phis = [-1.0f64; 3];
                let mut statuses = [u32::MAX; 3];
                let st = unsafe { phifd_phi_batch(h.m, ids.as_ptr(), n, t, phis.as_mut_ptr(), statuses.as_mut_ptr()) };
                let mut all = true;
                for i in 0..n {
                    if h.nodes.contains_key(&ids[i]) {
                        assert_eq!(statuses[i], PHIFD_OK);
                        let (_, single) = phi_of(h.m, ids[i], t);
                        assert_eq!(phis[i].to_bits(), single.to_bits(), "phi_batch differs from phifd_phi");
                    } else {
                        all = false;
                        assert_eq!(statuses[i], PHIFD_ERR_UNKNOWN_NODE);
                        assert!(phis[i].is_nan(), "unknown node in phi_batch must give NaN");
                    }
                }
                assert_eq!(st, if all { PHIFD_OK } else { PHIFD_ERR_UNKNOWN_NODE });
            }
            14 => {
                let t = h.pick_time(&mut inp);
                let cap = usize::from(inp.u8() % 4);
                let mut entries = [phifd_snapshot_entry::default(); 3];
                let buf = if cap == 0 {
                    ptr::null_mut()
                } else {
                    entries.as_mut_ptr()
                };
                let mut total = usize::MAX;
                let st = unsafe { phifd_monitor_snapshot(h.m, t, buf, cap, &mut total) };
                assert_eq!(st, PHIFD_OK);
                assert_eq!(total, h.nodes.len(), "snapshot total");
                for (e, &id) in entries.iter().zip(h.nodes.keys()).take(cap) {
                    assert_eq!(e.node, id, "snapshot order");
                    check_phi_value(e.phi, "snapshot");
                    assert!(e.state <= PHIFD_STATE_FAILED);
                }
                let mut stats = phifd_monitor_stats {
                    size: std::mem::size_of::<phifd_monitor_stats>() as u32,
                    ..Default::default()
                };
                assert_eq!(unsafe { phifd_monitor_get_stats(h.m, &mut stats) }, PHIFD_OK);
                assert_eq!(stats.nodes, h.nodes.len() as u64);
                assert!(stats.local_health <= h.cfg.max_local_health);
            }
            _ => {
                // Node info with a caller-chosen struct size (older and too-small structs).
                let size = match inp.u8() % 4 {
                    0 => 0,
                    1 => 95,
                    2 => 96,
                    _ => u32::from(inp.u8()),
                };
                let t = h.pick_time(&mut inp);
                let mut info = phifd_node_info {
                    size,
                    ..Default::default()
                };
                let st = unsafe { phifd_node_get_info(h.m, node, t, &mut info) };
                let known = h.nodes.contains_key(&node);
                if size < 96 {
                    assert!(
                        st == PHIFD_ERR_BUFFER_TOO_SMALL || (!known && st == PHIFD_ERR_UNKNOWN_NODE),
                        "info size {size}: {st}"
                    );
                } else {
                    assert_eq!(st, if known { PHIFD_OK } else { PHIFD_ERR_UNKNOWN_NODE });
                    if st == PHIFD_OK {
                        assert!(
                            info.size as usize <= std::mem::size_of::<phifd_node_info>() && info.size <= size.max(96)
                        );
                    }
                }
            }
        }
        let extra = u64::from(inp.u16()) * 1_000_000;
        h.check_all(node, extra, inp.done() || h.step == MAX_STEPS);
    }
    // SAFETY: not used afterwards; freeing twice is documented as ignored.
    unsafe {
        phifd_monitor_free(h.m);
        phifd_monitor_free(h.m);
    }
    let mut phi = 0.0;
    // SAFETY: a freed monitor handle is detected without touching freed memory (documented).
    assert_eq!(unsafe { phifd_phi(h.m, 0, 0, &mut phi) }, PHIFD_ERR_INVALID_HANDLE);
}

/// `phifd_generation_parse` on arbitrary bytes: only `PHIFD_OK` or `PHIFD_ERR_CORRUPT`; a parsed
/// generation is at most 2^48 and the bytes are exactly its canonical encoding (no two files mean
/// the same generation); `*out` is untouched on failure. Also, for a generation taken from the
/// input, the canonical encoding parses back to it (or is refused only beyond 2^48).
pub fn generation_parse(data: &[u8]) {
    let mut out = 0xDEAD_u64;
    // SAFETY: `data` is readable for its length; `out` writable.
    let st = unsafe { phifd_generation_parse(data.as_ptr(), data.len(), &mut out) };
    match st {
        PHIFD_OK => {
            assert!(out <= PHIFD_MAX_GENERATION, "parsed generation {out} beyond 2^48");
            assert_eq!(
                phifd::generation::encode(out).as_slice(),
                data,
                "accepted a non-canonical file"
            );
        }
        PHIFD_ERR_CORRUPT => assert_eq!(out, 0xDEAD, "out written on failure"),
        other => panic!("phifd_generation_parse: undocumented status {other}"),
    }
    let mut inp = Input::new(data);
    let g = inp.edgy_u64() >> (inp.u8() % 64);
    let bytes = phifd::generation::encode(g);
    let mut back = 0u64;
    // SAFETY: as above.
    let st = unsafe { phifd_generation_parse(bytes.as_ptr(), bytes.len(), &mut back) };
    if g <= PHIFD_MAX_GENERATION {
        assert_eq!((st, back), (PHIFD_OK, g), "round trip of generation {g}");
    } else {
        assert_eq!(st, PHIFD_ERR_CORRUPT, "generation {g} beyond 2^48 accepted");
    }
}

fn same(a: &phifd_datagram, b: &phifd_datagram) -> bool {
    (a.kind, a.flags, a.node, a.generation, a.term, a.version, a.send_ns)
        == (b.kind, b.flags, b.node, b.generation, b.term, b.version, b.send_ns)
}

/// A datagram no decoder writes by accident: every field 77 (checked untouched after a refusal).
const SENTINEL_DATAGRAM: phifd_datagram = phifd_datagram {
    kind: 77,
    flags: 77,
    node: 77,
    generation: 77,
    term: 77,
    version: 77,
    send_ns: 77,
};

/// `phifd_datagram_decode` on arbitrary bytes: only `PHIFD_OK` or `PHIFD_ERR_MALFORMED`, never for
/// a length other than 56; a decoded datagram has a documented kind and flags and re-encodes to
/// exactly the input bytes. Then the round trip: an arbitrary datagram `x` built from the input
/// either is refused by `phifd_datagram_encode` (`PHIFD_ERR_INVALID_ARG`, exactly when its kind
/// or flags are undefined or its generation or term exceeds `PHIFD_MAX_GENERATION`) or satisfies `decode(encode(x)) == x`.
pub fn datagram_decode(data: &[u8]) {
    let sentinel = SENTINEL_DATAGRAM;
    let mut d = sentinel;
    // SAFETY: readable input, writable struct.
    let st = unsafe { phifd_datagram_decode(data.as_ptr(), data.len(), &mut d) };
    match st {
        PHIFD_OK => {
            assert_eq!(data.len(), PHIFD_DATAGRAM_SIZE as usize);
            assert!(d.kind == PHIFD_DATAGRAM_HEARTBEAT || d.kind == PHIFD_DATAGRAM_STALE_REPLY);
            assert_eq!(d.flags & !PHIFD_DATAGRAM_FLAG_LEADER, 0);
            assert!(
                d.generation <= PHIFD_MAX_GENERATION && d.term <= PHIFD_MAX_GENERATION,
                "decoded beyond the bound"
            );
            let mut buf = [0u8; 64];
            let mut written = 0usize;
            // SAFETY: 64 writable bytes.
            assert_eq!(
                unsafe { phifd_datagram_encode(&d, buf.as_mut_ptr(), buf.len(), &mut written) },
                PHIFD_OK
            );
            assert_eq!(
                &buf[..written],
                data,
                "decoded datagram does not re-encode to its bytes"
            );
        }
        PHIFD_ERR_MALFORMED => assert!(same(&d, &sentinel), "out written on failure"),
        other => panic!("phifd_datagram_decode: undocumented status {other}"),
    }

    let mut inp = Input::new(data);
    let x = phifd_datagram {
        kind: if inp.u8() % 8 == 0 {
            inp.u32()
        } else {
            u32::from(inp.u8() % 2)
        },
        flags: if inp.u8() % 8 == 0 {
            inp.u32()
        } else {
            u32::from(inp.u8() % 2)
        },
        node: inp.edgy_u64(),
        generation: inp.edgy_u64(),
        term: inp.edgy_u64(),
        version: inp.edgy_u64(),
        send_ns: inp.edgy_u64(),
    };
    let cap = if inp.u8() % 8 == 0 {
        usize::from(inp.u8() % 57)
    } else {
        56
    };
    let mut buf = vec![0u8; cap.max(1)];
    let mut written = usize::MAX;
    // SAFETY: `buf` holds at least `cap` writable bytes.
    let st = unsafe { phifd_datagram_encode(&x, buf.as_mut_ptr(), cap, &mut written) };
    let valid = (x.kind == PHIFD_DATAGRAM_HEARTBEAT || x.kind == PHIFD_DATAGRAM_STALE_REPLY)
        && x.flags & !PHIFD_DATAGRAM_FLAG_LEADER == 0
        && x.generation <= PHIFD_MAX_GENERATION
        && x.term <= PHIFD_MAX_GENERATION;
    if cap < 56 {
        assert_eq!(st, PHIFD_ERR_BUFFER_TOO_SMALL, "encode into {cap} bytes");
        assert_eq!(written, usize::MAX);
        return;
    }
    if !valid {
        assert_eq!(
            st, PHIFD_ERR_INVALID_ARG,
            "encode of undefined kind/flags or out-of-bound generation/term {x:?}"
        );
        return;
    }
    assert_eq!((st, written), (PHIFD_OK, 56));
    let mut y = sentinel;
    // SAFETY: 56 readable bytes.
    assert_eq!(unsafe { phifd_datagram_decode(buf.as_ptr(), 56, &mut y) }, PHIFD_OK);
    assert!(same(&x, &y), "decode(encode(x)) != x: {x:?} -> {y:?}");
}

/// The keys of the `datagram_decode_auth` harness: id 1 (32 bytes) and id 0xFFFF_FFFF (16 bytes).
/// The seeds in `fuzz/seeds/datagram_decode_auth` are signed with key 1.
pub const AUTH_KEY_1: &[u8; 32] = b"phifd fuzz key 1: 32 bytes long.";
/// The harness's second key, under the largest key id.
pub const AUTH_KEY_2: &[u8; 16] = b"fuzz key two 16B";

/// `phifd_datagram_decode_auth` and `phifd_monitor_receive` on arbitrary bytes, with a keyring
/// holding keys 1 and `u32::MAX`:
///
/// * decode returns only `PHIFD_OK`, `PHIFD_ERR_MALFORMED`, `PHIFD_ERR_UNKNOWN_KEY` or
///   `PHIFD_ERR_AUTH`; `*out` is untouched on failure; never a crash;
/// * `UNKNOWN_KEY` exactly when the bytes have the 68-byte length, magic and version 2 and a key id
///   the ring does not hold;
/// * a verified decode ⇒ 68 bytes whose key id is in the ring, and re-encoding the decoded
///   datagram with that key as the signing key gives exactly the same bytes;
/// * `phifd_monitor_receive` on the same bytes returns the decode's status (or, once decoded, a
///   heartbeat's outcome: `PHIFD_OK` or, never here, a stale generation), counts each rejection
///   in its class, and counts an arrival only for a verified heartbeat.
///
/// Then an arbitrary datagram from the input is signed with a key chosen by the input and
/// mutated by the input (one bit flipped, truncated, or left alone): unmutated it decodes to
/// itself; with any single bit flipped it is refused (`MALFORMED` in the header bytes 0..5,
/// `UNKNOWN_KEY` in the key id, `AUTH` elsewhere); truncated it is `MALFORMED`.
pub fn datagram_decode_auth(data: &[u8]) {
    use phifd::ffi::auth::*;
    let mut k: *mut phifd_keyring = ptr::null_mut();
    // SAFETY (all calls below): live handles, readable inputs of the stated lengths, writable outs.
    unsafe {
        assert_eq!(phifd_keyring_new(&mut k), PHIFD_OK);
        assert_eq!(
            phifd_keyring_add_key(k, 1, AUTH_KEY_1.as_ptr(), AUTH_KEY_1.len()),
            PHIFD_OK
        );
        assert_eq!(
            phifd_keyring_add_key(k, u32::MAX, AUTH_KEY_2.as_ptr(), AUTH_KEY_2.len()),
            PHIFD_OK
        );
    }
    let held = |id: u32| id == 1 || id == u32::MAX;
    let sentinel = SENTINEL_DATAGRAM;
    let mut d = sentinel;
    let st = unsafe { phifd_datagram_decode_auth(k, data.as_ptr(), data.len(), &mut d) };
    let header_ok = data.len() == PHIFD_AUTH_DATAGRAM_SIZE && data.starts_with(b"PHHB") && data[4] == 2;
    let key_id = if data.len() >= 52 {
        u32::from_le_bytes([data[48], data[49], data[50], data[51]])
    } else {
        0
    };
    match st {
        PHIFD_OK => {
            assert!(
                header_ok && held(key_id),
                "verified bytes without a valid header or key"
            );
            let mut buf = [0u8; 80];
            let mut written = 0usize;
            unsafe {
                assert_eq!(phifd_keyring_set_signing_key(k, key_id), PHIFD_OK);
                assert_eq!(
                    phifd_datagram_encode_auth(k, &d, buf.as_mut_ptr(), buf.len(), &mut written),
                    PHIFD_OK
                );
            }
            assert_eq!(
                &buf[..written],
                data,
                "verified datagram does not re-encode to its bytes"
            );
            unsafe { assert_eq!(phifd_keyring_set_signing_key(k, 1), PHIFD_OK) };
        }
        PHIFD_ERR_MALFORMED | PHIFD_ERR_UNKNOWN_KEY | PHIFD_ERR_AUTH => {
            assert!(same(&d, &sentinel), "out written on failure");
            assert_eq!(
                st == PHIFD_ERR_UNKNOWN_KEY,
                header_ok && !held(key_id),
                "UNKNOWN_KEY iff a valid header names a foreign key"
            );
            if st == PHIFD_ERR_AUTH {
                assert!(header_ok && held(key_id));
            }
        }
        other => panic!("phifd_datagram_decode_auth: undocumented status {other}"),
    }

    // The receive path on the same bytes agrees with the decode and counts what it refuses.
    let mut m: *mut phifd_monitor = ptr::null_mut();
    unsafe { assert_eq!(phifd_monitor_new(ptr::null(), &mut m), PHIFD_OK) };
    let mut got = sentinel;
    let mut counted = false;
    let rst = unsafe { phifd_monitor_receive(m, k, data.as_ptr(), data.len(), 1_000, &mut got, &mut counted) };
    let mut stats = phifd_monitor_stats {
        size: std::mem::size_of::<phifd_monitor_stats>() as u32,
        ..Default::default()
    };
    unsafe { assert_eq!(phifd_monitor_get_stats(m, &mut stats), PHIFD_OK) };
    let rejected = [
        stats.rejected_malformed + stats.rejected_bad_generation,
        stats.rejected_unknown_key,
        stats.rejected_bad_mac,
    ];
    match st {
        PHIFD_OK => {
            assert_eq!(rst, PHIFD_OK, "receive of verified bytes");
            assert!(same(&got, &d));
            assert_eq!(
                counted,
                d.kind == PHIFD_DATAGRAM_HEARTBEAT,
                "a first heartbeat counts, a stale reply never"
            );
            assert_eq!(rejected, [0, 0, 0]);
        }
        _ => {
            assert_eq!(rst, st, "receive and decode disagree");
            assert!(same(&got, &sentinel));
            let class = [PHIFD_ERR_MALFORMED, PHIFD_ERR_UNKNOWN_KEY, PHIFD_ERR_AUTH]
                .iter()
                .position(|&s| s == st)
                .unwrap();
            let mut want = [0, 0, 0];
            want[class] = 1;
            assert_eq!(rejected, want, "rejection counted in its class");
            let mut count = u64::MAX;
            unsafe { assert_eq!(phifd_monitor_node_count(m, &mut count), PHIFD_OK) };
            assert_eq!(count, 0, "a refused datagram registered a node");
        }
    }
    unsafe { phifd_monitor_free(m) };

    // Sign an arbitrary datagram, mutate it, check the verdict.
    let mut inp = Input::new(data);
    let x = phifd_datagram {
        kind: u32::from(inp.u8() % 2),
        flags: u32::from(inp.u8() % 2),
        node: inp.edgy_u64(),
        generation: inp.edgy_u64() % (PHIFD_MAX_GENERATION + 1),
        term: inp.edgy_u64() % (PHIFD_MAX_GENERATION + 1),
        version: inp.edgy_u64(),
        send_ns: inp.edgy_u64(),
    };
    let signer = if inp.u8() % 2 == 0 { 1 } else { u32::MAX };
    let mut buf = [0u8; PHIFD_AUTH_DATAGRAM_SIZE];
    let mut written = 0usize;
    unsafe {
        assert_eq!(phifd_keyring_set_signing_key(k, signer), PHIFD_OK);
        assert_eq!(
            phifd_datagram_encode_auth(k, &x, buf.as_mut_ptr(), buf.len(), &mut written),
            PHIFD_OK
        );
    }
    let mode = inp.u8() % 4;
    let mut y = sentinel;
    match mode {
        0 => {
            let st = unsafe { phifd_datagram_decode_auth(k, buf.as_ptr(), buf.len(), &mut y) };
            assert_eq!(st, PHIFD_OK);
            assert!(same(&x, &y), "decode(encode_auth(x)) != x: {x:?} -> {y:?}");
        }
        1 => {
            let len = usize::from(inp.u8()) % PHIFD_AUTH_DATAGRAM_SIZE;
            let st = unsafe { phifd_datagram_decode_auth(k, buf.as_ptr(), len, &mut y) };
            assert_eq!(st, PHIFD_ERR_MALFORMED, "truncated to {len}");
        }
        _ => {
            let bit = usize::from(inp.u16()) % (PHIFD_AUTH_DATAGRAM_SIZE * 8);
            buf[bit / 8] ^= 1 << (bit % 8);
            let st = unsafe { phifd_datagram_decode_auth(k, buf.as_ptr(), buf.len(), &mut y) };
            let new_id = u32::from_le_bytes([buf[48], buf[49], buf[50], buf[51]]);
            let want = match bit / 8 {
                0..=4 => PHIFD_ERR_MALFORMED,
                48..=51 if !held(new_id) => PHIFD_ERR_UNKNOWN_KEY,
                _ => PHIFD_ERR_AUTH,
            };
            assert_eq!(st, want, "bit {bit} flipped");
        }
    }
    unsafe { phifd_keyring_free(k) };
}
