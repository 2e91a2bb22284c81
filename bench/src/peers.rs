//! Sections 1 and 2: heartbeat and phi cost of every implementation, timed in turn, and the
//! memory each takes per node; `--profile`, one C-ABI operation in a loop.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use phi_accrual_failure_detector::Detector;
use phifd::ffi::monitor::{phifd_heartbeat, phifd_monitor, phifd_monitor_free, phifd_phi};
use phifd::ffi::PHIFD_OK;

use crate::alloc::live_bytes;
use crate::monitors::{c_monitor, check, drain_c, rust_monitor, samples_of};
use crate::peers_impl::{pafd_sync, pafd_unsync, set_now, MinNode, PhiDet};
use crate::stats::{fail, median};
use crate::workload::{query_offset, Jitter, MS, PERIOD, T0};

/// One implementation under test, with `n` nodes filled to full windows.
pub(crate) trait Subject {
    fn heartbeat(&mut self, node: u64, t: u64);
    fn phi(&mut self, node: u64, t: u64) -> f64;
    /// Drains pending events (phifd queues one per node at its first heartbeat), so that the
    /// memory figure counts the nodes, not an event backlog no application would keep.
    fn drain(&mut self, _t: u64) {}
}

pub(crate) struct PhifdRust(phifd::Monitor);
impl Subject for PhifdRust {
    #[inline(always)]
    fn heartbeat(&mut self, node: u64, t: u64) {
        if self.0.heartbeat(black_box(node), 1, t).is_err() {
            fail("phifd heartbeat");
        }
    }
    #[inline(always)]
    fn phi(&mut self, node: u64, t: u64) -> f64 {
        self.0.phi(black_box(node), t).unwrap_or(f64::NAN)
    }
    fn drain(&mut self, t: u64) {
        let mut v = Vec::new();
        self.0.poll(t, &mut v, usize::MAX);
    }
}

pub(crate) struct PhifdC(*mut phifd_monitor);
impl Subject for PhifdC {
    #[inline(always)]
    fn heartbeat(&mut self, node: u64, t: u64) {
        let st = unsafe { phifd_heartbeat(self.0, black_box(node), 1, t) };
        if st != PHIFD_OK {
            fail("phifd_heartbeat");
        }
    }
    #[inline(always)]
    fn phi(&mut self, node: u64, t: u64) -> f64 {
        let mut v = f64::NAN;
        let st = unsafe { phifd_phi(self.0, black_box(node), t, &mut v) };
        if st != PHIFD_OK {
            fail("phifd_phi");
        }
        v
    }
    fn drain(&mut self, t: u64) {
        drain_c(self.0, t);
    }
}

impl Drop for PhifdC {
    fn drop(&mut self) {
        unsafe { phifd_monitor_free(self.0) };
    }
}

/// Peers hold one detector per node; with more than one node they live in a HashMap, as an
/// application would keep them.
pub(crate) enum Holder<T> {
    One(T),
    Map(HashMap<u64, T>),
}
impl<T> Holder<T> {
    fn new(n: u64, mut make: impl FnMut() -> T) -> Holder<T> {
        if n == 1 {
            Holder::One(make())
        } else {
            Holder::Map((0..n).map(|i| (i, make())).collect())
        }
    }
    #[inline(always)]
    fn get(&mut self, node: u64) -> &mut T {
        match self {
            Holder::One(t) => t,
            Holder::Map(m) => m.get_mut(&black_box(node)).expect("known node"),
        }
    }
}

/// phi-accrual-failure-detector, either state flavour (`PafdUnsync`, `PafdSync`), on the
/// manual clock set to `t` before each call.
pub(crate) struct Pafd<D>(Holder<D>);
impl<D: Detector> Subject for Pafd<D> {
    #[inline(always)]
    fn heartbeat(&mut self, node: u64, t: u64) {
        set_now(t);
        self.0.get(node).heartbeat();
    }
    #[inline(always)]
    fn phi(&mut self, node: u64, t: u64) -> f64 {
        set_now(t);
        self.0.get(node).phi()
    }
}
pub(crate) struct PhiDetS(Holder<PhiDet>);
impl Subject for PhiDetS {
    #[inline(always)]
    fn heartbeat(&mut self, node: u64, t: u64) {
        self.0.get(node).heartbeat(t);
    }
    #[inline(always)]
    fn phi(&mut self, node: u64, t: u64) -> f64 {
        self.0.get(node).phi(t)
    }
}
/// The minimal loop keeps its nodes in a Vec indexed by id: no hashing at all.
pub(crate) struct Minimal(Vec<MinNode>);
impl Subject for Minimal {
    #[inline(always)]
    fn heartbeat(&mut self, node: u64, t: u64) {
        self.0[black_box(node) as usize].heartbeat(t);
    }
    #[inline(always)]
    fn phi(&mut self, node: u64, t: u64) -> f64 {
        self.0[black_box(node) as usize].phi(t)
    }
}

/// A subject with its workload position: nodes 0..n, next round `k`.
pub(crate) struct Runner<S: Subject> {
    s: S,
    n: u64,
    k: u64,
}

impl<S: Subject> Runner<S> {
    /// Fills every node's window: `rounds` rounds, round-robin over the nodes.
    fn fill(&mut self, j: &Jitter, rounds: u64) {
        for _ in 0..rounds {
            for i in 0..self.n {
                self.s.heartbeat(i, j.arrival(i, self.k));
                if self.k == 0 && i % 64 == 63 {
                    self.s.drain(j.arrival(i, 0));
                }
            }
            self.s.drain(T0 + self.k * PERIOD + 40 * MS);
            self.k += 1;
        }
    }
    /// `calls` heartbeats continuing the rounds; returns ns per call.
    #[inline(never)]
    fn time_heartbeats(&mut self, j: &Jitter, calls: u64) -> f64 {
        let (n, mut i, mut k) = (self.n, 0u64, self.k);
        let t0 = Instant::now();
        for _ in 0..calls {
            self.s.heartbeat(i, j.arrival(i, k));
            i += 1;
            if i == n {
                i = 0;
                k += 1;
            }
        }
        let ns = t0.elapsed().as_nanos() as f64 / calls as f64;
        // Finish the partial round so that every node stays in step (untimed).
        if i != 0 {
            while i < n {
                self.s.heartbeat(i, j.arrival(i, k));
                i += 1;
            }
            k += 1;
        }
        self.k = k;
        ns
    }
    /// `calls` phi queries at silences 0.2 .. 1.5 s after the last round; returns ns per call.
    #[inline(never)]
    fn time_phi(&mut self, calls: u64, sum: &mut f64) -> f64 {
        let base = T0 + (self.k - 1) * PERIOD + 40 * MS;
        let (n, mut i) = (self.n, 0u64);
        let mut acc = 0.0;
        let t0 = Instant::now();
        for c in 0..calls {
            acc += self.s.phi(i, base + query_offset(c));
            i += 1;
            if i == n {
                i = 0;
            }
        }
        let ns = t0.elapsed().as_nanos() as f64 / calls as f64;
        *sum += black_box(acc);
        ns
    }
}

/// Object-safe view of a runner, so that all implementations can be timed in turn.
pub(crate) trait Timed {
    fn hb(&mut self, j: &Jitter, calls: u64) -> f64;
    fn phi(&mut self, calls: u64, sum: &mut f64) -> f64;
}
impl<S: Subject> Timed for Runner<S> {
    fn hb(&mut self, j: &Jitter, calls: u64) -> f64 {
        self.time_heartbeats(j, calls)
    }
    fn phi(&mut self, calls: u64, sum: &mut f64) -> f64 {
        self.time_phi(calls, sum)
    }
}

pub(crate) const NAMES: [&str; 6] = [
    "phifd (Rust API)",
    "phifd (C ABI)",
    "phi-accrual-failure-detector 0.1.0 (Unsync, RefCell)",
    "phi-accrual-failure-detector 0.1.0 (Sync, RwLock)",
    "phi-detector 0.4.0 (no window: all-history estimate)",
    "minimal loop (the limit)",
];

/// Builds every implementation with `n` nodes and full windows of `window`, measuring the bytes
/// each takes (counting allocator).
pub(crate) fn build_all(j: &Jitter, n: u64, window: usize) -> (Vec<Box<dyn Timed>>, Vec<f64>) {
    let rounds = window as u64 + 2;
    let mut subjects: Vec<Box<dyn Timed>> = Vec::new();
    let mut bytes = Vec::new();
    macro_rules! add {
        ($make:expr) => {{
            let before = live_bytes();
            let mut r = Runner { s: $make, n, k: 0 };
            r.fill(j, rounds);
            bytes.push((live_bytes() - before) as f64 / n as f64);
            subjects.push(Box::new(r));
        }};
    }
    add!(PhifdRust(rust_monitor(window as u32)));
    add!(PhifdC(c_monitor(window as u64)));
    add!(Pafd(Holder::new(n, || pafd_unsync(window))));
    add!(Pafd(Holder::new(n, || pafd_sync(window))));
    add!(PhiDetS(Holder::new(n, PhiDet::new)));
    add!(Minimal((0..n).map(|_| MinNode::new(window)).collect()));
    (subjects, bytes)
}

pub(crate) struct PeerRow {
    window: usize,
    nodes: u64,
    hb: Vec<f64>,
    phi: Vec<f64>,
    bytes: Vec<f64>,
}

pub(crate) fn bench_peers(j: &Jitter, window: usize, n: u64, rounds: usize, calls: u64, sum: &mut f64) -> PeerRow {
    let (mut subjects, bytes) = build_all(j, n, window);
    // phifd must really hold full windows (checked through the C ABI subject's own monitor).
    let k = subjects.len();
    let mut hb = vec![Vec::new(); k];
    let mut ph = vec![Vec::new(); k];
    let calls = calls.max(n);
    for r in 0..rounds {
        // Rotate the starting implementation every round: no one always runs first.
        for s in 0..k {
            let idx = (s + r) % k;
            hb[idx].push(subjects[idx].hb(j, calls));
        }
        for s in 0..k {
            let idx = (s + r) % k;
            ph[idx].push(subjects[idx].phi(calls, sum));
        }
    }
    PeerRow {
        window,
        nodes: n,
        hb: hb.iter_mut().map(|v| median(v)).collect(),
        phi: ph.iter_mut().map(|v| median(v)).collect(),
        bytes,
    }
}

pub(crate) fn check_phifd_full(window: u64, n: u64, j: &Jitter) {
    let m = c_monitor(window);
    for k in 0..window + 2 {
        for i in 0..n {
            check(unsafe { phifd_heartbeat(m, i, 1, j.arrival(i, k)) }, "fill");
        }
    }
    let t = j.arrival(0, window + 1);
    for i in 0..n {
        if samples_of(m, i, t) as u64 != window {
            fail(&format!("node {i}: window not full"));
            break;
        }
    }
    unsafe { phifd_monitor_free(m) };
}

pub(crate) fn print_peers(rows: &[PeerRow]) {
    println!("\n### Peers: ns per call (median over rounds) and ratio to phifd (C ABI) in the same run\n");
    println!("| implementation | window | nodes | heartbeat ns | phi ns | heartbeat / phifd C | phi / phifd C |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        for (i, name) in NAMES.iter().enumerate() {
            println!(
                "| {name} | {} | {} | {:.1} | {:.1} | {:.2}x | {:.2}x |",
                r.window,
                r.nodes,
                r.hb[i],
                r.phi[i],
                r.hb[i] / r.hb[1],
                r.phi[i] / r.phi[1]
            );
        }
    }
    println!("\n### Memory per monitored node, full windows (bytes requested from the allocator)\n");
    println!("| implementation | window | nodes | bytes/node | bytes/sample (window part) |");
    println!("|---|---:|---:|---:|---:|");
    for r in rows.iter().filter(|r| r.nodes > 1) {
        for (i, name) in NAMES.iter().enumerate() {
            println!(
                "| {name} | {} | {} | {:.1} | {:.2} |",
                r.window,
                r.nodes,
                r.bytes[i],
                r.bytes[i] / r.window as f64
            );
        }
    }
}

/// `--profile hb|phi|hb-many|phi-many`: runs one C-ABI operation in a loop for about 5 s (to be
/// recorded with `perf record`), window 1,000, one node or 10,000 nodes.
pub(crate) fn profile(what: &str) {
    let j = Jitter::new();
    let n = if what.ends_with("-many") { 10_000 } else { 1 };
    let mut r = Runner {
        s: PhifdC(c_monitor(1000)),
        n,
        k: 0,
    };
    r.fill(&j, 1002);
    let mut sum = 0.0;
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if what.starts_with("hb") {
            r.time_heartbeats(&j, 1_000_000);
        } else {
            r.time_phi(1_000_000, &mut sum);
        }
    }
    println!("{sum}");
}
