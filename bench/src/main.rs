//! phifd against the phi-accrual crates on crates.io, the minimal possible loop, and phifd at scale.
//!
//! Sections (each prints a Markdown table; `BENCHMARKS.md` quotes them):
//!
//! 1. **Peers** — heartbeat and phi cost, ns per call, for phifd through its Rust API and through
//!    its C ABI (the `extern "C"` functions, called from Rust through the rlib), for
//!    `phi-accrual-failure-detector` 0.1.0 (both its `RefCell` and its `RwLock` flavour), for
//!    `phi-detector` 0.4.0, and for the minimal loop (below), at windows of 100 and 1,000 samples,
//!    on one hot node and on 10,000 nodes (the peers, which watch one node each, are kept in a
//!    `std::collections::HashMap<u64, _>`, as an application would). Within one run every
//!    implementation is timed once per round, in turn, so that noise on this shared machine falls
//!    on all of them alike; the figures are medians over rounds and the ratios are taken between
//!    medians of the same process.
//! 2. **Memory per monitored node**, counted exactly by the counting global allocator of this
//!    binary (bytes requested from the allocator, without malloc's own headers), for each
//!    implementation with full windows.
//! 3. **Correctness** on a steady heartbeat (intervals alternating 900 ms and 1,100 ms): phi at the
//!    expected arrival time (1 s after the last heartbeat) and 1.3 s after it, after 50, 1,000 and
//!    10,000 heartbeats, against the value of each implementation's own model computed here from
//!    the list of intervals that model should hold (integer sums, the logistic formula).
//! 4. **Scale and contention** through the C ABI at the default window (1,000): memory for 10,000,
//!    100,000 and 1,000,000 nodes; heartbeat throughput from 1 and 2 threads on distinct nodes and
//!    on one hot node; the latency of `phifd_heartbeat` while another thread polls 100,000 nodes
//!    without pause (head-of-line blocking); poll cost per node at 100,000 and 1,000,000 nodes.
//!
//! **The minimal loop** ("the limit") does only the work no design can avoid: a heartbeat stores
//! one interval in a ring, updates an integer sum and sum of squares, and keeps the last arrival;
//! a phi query turns the sums into mean and sd (one division, one square root) and evaluates the
//! logistic tail (one `exp`, one `ln_1p`). No id lookup beyond an array index, no lock, no state
//! machine.
//!
//! Usage: `phifd-bench [--rounds R] [--quick] [--skip-scale] [--skip-million] [--profile OP]`
//! (`--quick`: tiny sizes and 3 rounds, to check the harness; prints figures that mean nothing;
//! `--profile hb|phi|hb-many|phi-many`: one C-ABI operation in a loop for 5 s, for `perf record`).
//! Exit status 1 if a functional check fails (a call returns an error, a window is not full, an
//! all-ALIVE poll reports an event); timings are never judged.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use phi_accrual_failure_detector::{Clock, Detector, SyncState, UnsyncState};
use phifd::ffi::config::{
    phifd_config, phifd_config_free, phifd_config_new, phifd_config_set_acceptable_pause_ns,
    phifd_config_set_heartbeat_interval_ns, phifd_config_set_max_nodes, phifd_config_set_min_std_deviation_ns,
    phifd_config_set_window,
};
use phifd::ffi::monitor::{
    phifd_event, phifd_heartbeat, phifd_monitor, phifd_monitor_free, phifd_monitor_new, phifd_monitor_poll,
    phifd_node_get_info, phifd_node_info, phifd_phi,
};
use phifd::ffi::PHIFD_OK;

// ----- counting allocator ------------------------------------------------------------------------

/// The global allocator of this binary: the system allocator, plus a count of the bytes currently
/// allocated (requested sizes). Thread-safe (one relaxed atomic add per allocation).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes currently allocated by the whole process through the global allocator.
fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

// ----- workload ----------------------------------------------------------------------------------

const MS: u64 = 1_000_000;
const PERIOD: u64 = 1_000 * MS;
const T0: u64 = 1_000 * PERIOD;
const JITTER_TABLE: usize = 4096;

/// Deterministic arrival jitter in [0, 40 ms), a table so that every implementation pays one load.
struct Jitter([u64; JITTER_TABLE]);

impl Jitter {
    fn new() -> Jitter {
        let mut t = [0u64; JITTER_TABLE];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for v in t.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = x % (40 * MS);
        }
        Jitter(t)
    }
    /// Arrival of node `i` in round `k` (ns): a steady 1 s period plus the jitter.
    #[inline(always)]
    fn arrival(&self, i: u64, k: u64) -> u64 {
        T0 + k * PERIOD + self.0[((i.wrapping_mul(31)).wrapping_add(k)) as usize & (JITTER_TABLE - 1)]
    }
}

/// Silence (ns) at which the `c`-th phi query is asked: cycles 0.2 s .. 1.5 s after the round.
#[inline(always)]
fn query_offset(c: u64) -> u64 {
    200 * MS + ((c.wrapping_mul(7)) & 15) * 87_500_000
}

// ----- statistics --------------------------------------------------------------------------------

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    percentile_sorted(v, 0.5)
}

fn percentile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = p * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

static FAILURES: AtomicU64 = AtomicU64::new(0);

fn fail(what: &str) {
    eprintln!("FAIL: {what}");
    FAILURES.fetch_add(1, Ordering::Relaxed);
}

// ----- the implementations -----------------------------------------------------------------------

/// A manual clock for `phi-accrual-failure-detector` (it reads time through its `Clock` trait):
/// every implementation is given the same explicit timestamps. One relaxed load per read.
struct ManualClock;

static MANUAL_NOW: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
fn set_now(t: u64) {
    MANUAL_NOW.store(t, Ordering::Relaxed);
}

impl Clock for ManualClock {
    type Timestamp = u64;
    fn timestamp(&self) -> u64 {
        MANUAL_NOW.load(Ordering::Relaxed)
    }
    fn elapsed(before: &u64, after: &u64) -> Duration {
        Duration::from_nanos(after.saturating_sub(*before))
    }
}

type PafdUnsync = phi_accrual_failure_detector::FailureDetector<UnsyncState<ManualClock>>;
type PafdSync = phi_accrual_failure_detector::FailureDetector<SyncState<ManualClock>>;

/// Settings shared by every implementation where they can be set: threshold 8, first estimate
/// 1 s, min sd 100 ms (the Akka/Pekko default), acceptable pause 0.
fn pafd_unsync(window: usize) -> PafdUnsync {
    phi_accrual_failure_detector::UnsyncDetector::builder()
        .max_sample_size(window)
        .min_std_deviation(Duration::from_millis(100))
        .acceptable_heartbeat_pause(Duration::ZERO)
        .first_heartbeat_estimate(Duration::from_secs(1))
        .clock(ManualClock)
        .build()
        .expect("valid settings")
}

fn pafd_sync(window: usize) -> PafdSync {
    phi_accrual_failure_detector::UnsyncDetector::builder()
        .max_sample_size(window)
        .min_std_deviation(Duration::from_millis(100))
        .acceptable_heartbeat_pause(Duration::ZERO)
        .first_heartbeat_estimate(Duration::from_secs(1))
        .sync()
        .clock(ManualClock)
        .build()
        .expect("valid settings")
}

/// `phi-detector` keeps no timestamps: the application keeps the last arrival and passes
/// intervals. Its window is not configurable (an all-history estimate decayed past 10,000).
struct PhiDet {
    w: phi_detector::PingWindow,
    last: u64,
}

impl PhiDet {
    fn new() -> PhiDet {
        PhiDet { w: phi_detector::PingWindow::new(Duration::from_secs(1)), last: 0 }
    }
    #[inline(always)]
    fn heartbeat(&mut self, t: u64) {
        if self.last != 0 {
            self.w.add_ping(Duration::from_nanos(t.saturating_sub(self.last)));
        }
        self.last = t;
    }
    #[inline(always)]
    fn phi(&self, t: u64) -> f64 {
        self.w.normal_dist().phi(Duration::from_nanos(t.saturating_sub(self.last)))
    }
}

/// The minimal loop's per-node state: a ring of u32 microsecond intervals and integer sums.
struct MinNode {
    ring: Box<[u32]>,
    len: u32,
    head: u32,
    sum: u64,
    sum_sq: u64,
    last: u64,
}

impl MinNode {
    fn new(window: usize) -> MinNode {
        MinNode { ring: vec![0u32; window].into_boxed_slice(), len: 0, head: 0, sum: 0, sum_sq: 0, last: 0 }
    }
    /// Stores one interval, updates the two sums, keeps the arrival. Nothing else.
    #[inline(always)]
    fn heartbeat(&mut self, t: u64) {
        let x = (t.wrapping_sub(self.last) / 1_000) as u32 as u64;
        self.last = t;
        let h = self.head as usize;
        let old = u64::from(self.ring[h]);
        self.ring[h] = x as u32;
        self.head = if h + 1 == self.ring.len() { 0 } else { self.head + 1 };
        if (self.len as usize) < self.ring.len() {
            self.len += 1;
        } else {
            self.sum -= old;
            self.sum_sq -= old * old;
        }
        self.sum += x;
        self.sum_sq += x * x;
    }
    /// Mean and sd from the sums, then the logistic tail: one division, one sqrt, one exp, one log.
    #[inline(always)]
    fn phi(&self, t: u64) -> f64 {
        let n = f64::from(self.len.max(1));
        let mean = self.sum as f64 / n;
        let var = (self.sum_sq as f64 / n - mean * mean).max(1e4);
        let y = ((t.saturating_sub(self.last) / 1_000) as f64 - mean) / var.sqrt();
        let z = y * (1.5976 + 0.070566 * y * y);
        z.exp().ln_1p() * std::f64::consts::LOG10_E
    }
}

// phifd handles --------------------------------------------------------------------------------

fn check(st: u32, what: &str) {
    if st != PHIFD_OK {
        fail(&format!("{what}: status {st}"));
    }
}

/// Room for the largest scale run (1,000,000 nodes): the default bound (65,536) refuses the rest.
const MAX_NODES: u64 = 1 << 21;

/// A C-ABI monitor (akka estimator) with `window`, 1 s interval, min sd 100 ms, no pause, room for
/// `MAX_NODES` nodes.
fn c_monitor(window: u64) -> *mut phifd_monitor {
    let mut cfg: *mut phifd_config = std::ptr::null_mut();
    let mut m: *mut phifd_monitor = std::ptr::null_mut();
    unsafe {
        check(phifd_config_new(&mut cfg), "phifd_config_new");
        check(phifd_config_set_window(cfg, window), "set_window");
        check(phifd_config_set_heartbeat_interval_ns(cfg, PERIOD), "set_interval");
        check(phifd_config_set_min_std_deviation_ns(cfg, 100 * MS), "set_min_sd");
        check(phifd_config_set_acceptable_pause_ns(cfg, 0), "set_pause");
        check(phifd_config_set_max_nodes(cfg, MAX_NODES), "set_max_nodes");
        check(phifd_monitor_new(cfg, &mut m), "phifd_monitor_new");
        phifd_config_free(cfg);
    }
    m
}

/// A Rust-API monitor with the same settings.
fn rust_monitor(window: u32) -> phifd::Monitor {
    let mut c = phifd::Config::new();
    c.set_window(u64::from(window)).expect("window");
    c.set_heartbeat_interval_ns(PERIOD).expect("interval");
    c.set_min_std_deviation_ns(100 * MS).expect("min sd");
    c.set_acceptable_pause_ns(0).expect("pause");
    c.set_max_nodes(MAX_NODES).expect("max nodes");
    phifd::Monitor::new(&c).expect("monitor")
}

/// A raw monitor pointer that may cross threads (the C ABI's monitor is thread-safe).
#[derive(Clone, Copy)]
struct SendPtr(*mut phifd_monitor);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

fn samples_of(m: *mut phifd_monitor, node: u64, t: u64) -> u32 {
    let mut info: phifd_node_info = unsafe { std::mem::zeroed() };
    info.size = std::mem::size_of::<phifd_node_info>() as u32;
    check(unsafe { phifd_node_get_info(m, node, t, &mut info) }, "phifd_node_get_info");
    info.samples as u32
}

// ----- section 1 and 2: peers --------------------------------------------------------------------

/// One implementation under test, with `n` nodes filled to full windows.
trait Subject {
    fn heartbeat(&mut self, node: u64, t: u64);
    fn phi(&mut self, node: u64, t: u64) -> f64;
    /// Drains pending events (phifd queues one per node at its first heartbeat), so that the
    /// memory figure counts the nodes, not an event backlog no application would keep.
    fn drain(&mut self, _t: u64) {}
}

struct PhifdRust(phifd::Monitor);
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

struct PhifdC(*mut phifd_monitor);
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

/// Polls `m` at `t` until no event is pending.
fn drain_c(m: *mut phifd_monitor, t: u64) {
    let mut buf = [phifd_event::default(); 256];
    loop {
        let mut got = 0usize;
        check(unsafe { phifd_monitor_poll(m, t, buf.as_mut_ptr(), buf.len(), &mut got) }, "poll (drain)");
        if got < buf.len() {
            break;
        }
    }
}
impl Drop for PhifdC {
    fn drop(&mut self) {
        unsafe { phifd_monitor_free(self.0) };
    }
}

/// Peers hold one detector per node; with more than one node they live in a HashMap, as an
/// application would keep them.
enum Holder<T> {
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

struct PafdU(Holder<PafdUnsync>);
impl Subject for PafdU {
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
struct PafdS(Holder<PafdSync>);
impl Subject for PafdS {
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
struct PhiDetS(Holder<PhiDet>);
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
struct Minimal(Vec<MinNode>);
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
struct Runner<S: Subject> {
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
trait Timed {
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

const NAMES: [&str; 6] = [
    "phifd (Rust API)",
    "phifd (C ABI)",
    "phi-accrual-failure-detector 0.1.0 (Unsync, RefCell)",
    "phi-accrual-failure-detector 0.1.0 (Sync, RwLock)",
    "phi-detector 0.4.0 (no window: all-history estimate)",
    "minimal loop (the limit)",
];

/// Builds every implementation with `n` nodes and full windows of `window`, measuring the bytes
/// each takes (counting allocator).
fn build_all(j: &Jitter, n: u64, window: usize) -> (Vec<Box<dyn Timed>>, Vec<f64>) {
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
    add!(PafdU(Holder::new(n, || pafd_unsync(window))));
    add!(PafdS(Holder::new(n, || pafd_sync(window))));
    add!(PhiDetS(Holder::new(n, PhiDet::new)));
    add!(Minimal((0..n).map(|_| MinNode::new(window)).collect()));
    (subjects, bytes)
}

struct PeerRow {
    window: usize,
    nodes: u64,
    hb: Vec<f64>,
    phi: Vec<f64>,
    bytes: Vec<f64>,
}

fn bench_peers(j: &Jitter, window: usize, n: u64, rounds: usize, calls: u64, sum: &mut f64) -> PeerRow {
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

fn check_phifd_full(window: u64, n: u64, j: &Jitter) {
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

fn print_peers(rows: &[PeerRow]) {
    println!("\n### Peers: ns per call (median over rounds) and ratio to phifd (C ABI) in the same run\n");
    println!("| implementation | window | nodes | heartbeat ns | phi ns | heartbeat / phifd C | phi / phifd C |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        for (i, name) in NAMES.iter().enumerate() {
            println!(
                "| {name} | {} | {} | {:.1} | {:.1} | {:.2}x | {:.2}x |",
                r.window, r.nodes, r.hb[i], r.phi[i], r.hb[i] / r.hb[1], r.phi[i] / r.phi[1]
            );
        }
    }
    println!("\n### Memory per monitored node, full windows (bytes requested from the allocator)\n");
    println!("| implementation | window | nodes | bytes/node | bytes/sample (window part) |");
    println!("|---|---:|---:|---:|---:|");
    for r in rows.iter().filter(|r| r.nodes > 1) {
        for (i, name) in NAMES.iter().enumerate() {
            println!("| {name} | {} | {} | {:.1} | {:.2} |", r.window, r.nodes, r.bytes[i], r.bytes[i] / r.window as f64);
        }
    }
}

// ----- section 3: correctness --------------------------------------------------------------------

/// Intervals (ms) of the steady scenario: 900, 1100, 900, 1100, ...
fn interval_ms(i: u64) -> u64 {
    if i % 2 == 0 {
        900
    } else {
        1100
    }
}

/// Population mean and sd (ms) of integer samples, from exact integer sums.
fn mean_sd(xs: &[u64]) -> (f64, f64) {
    let n = xs.len() as i128;
    let s: i128 = xs.iter().map(|&x| x as i128).sum();
    let q: i128 = xs.iter().map(|&x| (x as i128) * (x as i128)).sum();
    let mean = s as f64 / n as f64;
    let var = (n * q - s * s) as f64 / (n * n) as f64;
    (mean, var.sqrt())
}

/// The logistic approximation of Akka: phi = log10(1 + e^z), z = y (1.5976 + 0.070566 y^2).
fn logistic_phi(y: f64) -> f64 {
    let z = y * (1.5976 + 0.070566 * y * y);
    (1.0 + z.exp()).log10()
}

/// Expected phi of the Akka model (phifd akka, phi-accrual-failure-detector): a sliding window of
/// `window` intervals seeded with 750 and 1,250 ms, sd floored at 100 ms, no acceptable pause.
fn expected_akka(heartbeats: u64, window: usize, silence_ms: f64) -> f64 {
    let mut xs = vec![750u64, 1250];
    xs.extend((0..heartbeats - 1).map(interval_ms));
    let start = xs.len().saturating_sub(window);
    let (mean, sd) = mean_sd(&xs[start..]);
    logistic_phi((silence_ms - mean) / sd.max(100.0))
}

/// Expected phi of phi-detector's model: a normal fitted to every sample so far (the 1 s estimate
/// and all intervals, fewer than its 10,000-sample cap here), sd floored at 1 ms, same logistic.
fn expected_phi_detector(heartbeats: u64, silence_ms: f64) -> f64 {
    let mut xs = vec![1000u64];
    xs.extend((0..heartbeats - 1).map(interval_ms));
    let (mean, sd) = mean_sd(&xs);
    logistic_phi((silence_ms - mean) / sd.max(1.0))
}

struct CorrRow {
    window: usize,
    heartbeats: u64,
    silence_ms: u64,
    expected_akka: f64,
    got: [f64; 4],
    expected_pd: f64,
}

fn correctness() -> Vec<CorrRow> {
    let mut rows = Vec::new();
    for &window in &[100usize, 1000] {
        for &hbs in &[50u64, 1000, 10000] {
            let m = c_monitor(window as u64);
            let r = rust_monitor(window as u32);
            let pu = pafd_unsync(window);
            let mut pd = PhiDet::new();
            let mut t = T0;
            for i in 0..hbs {
                if i > 0 {
                    t += interval_ms(i - 1) * MS;
                }
                check(unsafe { phifd_heartbeat(m, 7, 1, t) }, "heartbeat");
                if r.heartbeat(7, 1, t).is_err() {
                    fail("heartbeat");
                }
                set_now(t);
                pu.heartbeat();
                pd.heartbeat(t);
            }
            for &silence in &[1000u64, 1300] {
                let q = t + silence * MS;
                let mut c = f64::NAN;
                check(unsafe { phifd_phi(m, 7, q, &mut c) }, "phi");
                set_now(q);
                rows.push(CorrRow {
                    window,
                    heartbeats: hbs,
                    silence_ms: silence,
                    expected_akka: expected_akka(hbs, window, silence as f64),
                    got: [c, r.phi(7, q).unwrap_or(f64::NAN), pu.phi(), pd.phi(q)],
                    expected_pd: expected_phi_detector(hbs, silence as f64),
                });
            }
            unsafe { phifd_monitor_free(m) };
        }
    }
    rows
}

fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

fn print_correctness(rows: &[CorrRow]) {
    println!("\n### Correctness: phi on a steady heartbeat (900/1,100 ms alternating), vs. each model's exact value\n");
    println!("| window | heartbeats | silence | exact (Akka model) | phifd C ABI | phifd Rust | phi-accrual-failure-detector | exact (phi-detector's model) | phi-detector |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let mark = |got: f64, want: f64| {
            if rel_err(got, want) <= 1e-9 {
                format!("{got:.6}")
            } else {
                format!("**{got:.6}** (error {:.1e})", rel_err(got, want))
            }
        };
        println!(
            "| {} | {} | {} ms | {:.6} | {} | {} | {} | {:.6} | {} |",
            r.window,
            r.heartbeats,
            r.silence_ms,
            r.expected_akka,
            mark(r.got[0], r.expected_akka),
            mark(r.got[1], r.expected_akka),
            mark(r.got[2], r.expected_akka),
            r.expected_pd,
            mark(r.got[3], r.expected_pd),
        );
        // phifd must match its model; the peers' errors are reported, not judged.
        for g in &r.got[..2] {
            if rel_err(*g, r.expected_akka) > 1e-9 {
                fail(&format!("phifd phi {g} differs from the exact {}", r.expected_akka));
            }
        }
    }
}

// ----- section 4: scale and contention -----------------------------------------------------------

/// Fills a C-ABI monitor of `n` nodes, node after node (each node's `window + 1` heartbeats in a
/// row: the same final state as round-robin, in a fraction of the time). Returns the monitor.
fn fill_node_major(n: u64, window: u64, j: &Jitter) -> *mut phifd_monitor {
    let m = c_monitor(window);
    // Drain the first-heartbeat events every 1 % of the nodes (at least 64, at most 4,096), so the
    // event queue's buffer stays below 1 % of a byte per node; the poll time is the last round's,
    // when every filled node is ALIVE.
    let every = (n / 100).clamp(64, 4096);
    let t_poll = T0 + window * PERIOD + 40 * MS;
    for i in 0..n {
        for k in 0..=window {
            let st = unsafe { phifd_heartbeat(m, i, 1, j.arrival(i, k)) };
            if st != PHIFD_OK {
                fail("fill heartbeat");
                return m;
            }
        }
        if i % every == every - 1 {
            drain_c(m, t_poll);
        }
    }
    drain_c(m, t_poll);
    m
}

/// Median ns per node of `polls` polls of all-ALIVE nodes (checks that no event is reported).
fn time_polls(m: *mut phifd_monitor, n: u64, t: u64, polls: usize) -> f64 {
    let mut buf = vec![phifd_event::default(); 64];
    let mut v = Vec::new();
    for _ in 0..polls {
        let mut got = 0usize;
        let t0 = Instant::now();
        let st = unsafe { phifd_monitor_poll(m, t, buf.as_mut_ptr(), buf.len(), &mut got) };
        let ns = t0.elapsed().as_nanos() as f64;
        check(st, "poll");
        if got != 0 {
            fail(&format!("{got} events from an all-ALIVE poll"));
        }
        v.push(ns / n as f64);
    }
    median(&mut v)
}

struct ScaleRow {
    nodes: u64,
    bytes_total: isize,
    poll_ns_per_node: Option<f64>,
}

/// Heartbeats per second from `threads` threads for `dur`, on a fresh monitor of `threads * per`
/// nodes with full windows of `window`. Distinct nodes: thread `t` heartbeats nodes
/// `t*per .. (t+1)*per` round-robin, continuing their rounds. Hot node (`hot`): every thread
/// heartbeats node 0, taking its timestamps from one shared atomic clock (1 ms steps) so that
/// arrivals stay in order; the 1-thread figure pays that atomic too.
fn throughput(threads: usize, per: u64, window: u64, hot: bool, dur: Duration, j: &Arc<Jitter>) -> f64 {
    let m = SendPtr(fill_node_major(threads as u64 * per, window, j));
    let barrier = Arc::new(Barrier::new(threads));
    let stop = Arc::new(AtomicBool::new(false));
    let clock = Arc::new(AtomicU64::new(T0 + (window + 1) * PERIOD));
    let mut hs = Vec::new();
    for th in 0..threads {
        let (b, s, j, clock) = (barrier.clone(), stop.clone(), j.clone(), clock.clone());
        hs.push(std::thread::spawn(move || {
            let m = m;
            let base = th as u64 * per;
            let mut k = window + 1;
            let mut calls = 0u64;
            b.wait();
            let t0 = Instant::now();
            while !s.load(Ordering::Relaxed) {
                for i in 0..per {
                    let st = if hot {
                        let t = clock.fetch_add(MS, Ordering::Relaxed);
                        unsafe { phifd_heartbeat(m.0, 0, 1, t) }
                    } else {
                        let node = base + i;
                        unsafe { phifd_heartbeat(m.0, node, 1, j.arrival(node, k)) }
                    };
                    if st != PHIFD_OK {
                        fail("throughput heartbeat");
                    }
                }
                calls += per;
                k += 1;
            }
            (calls, t0.elapsed())
        }));
    }
    std::thread::sleep(dur);
    stop.store(true, Ordering::Relaxed);
    let mut total = 0.0;
    for h in hs {
        let (c, e) = h.join().expect("thread");
        total += c as f64 / e.as_secs_f64();
    }
    unsafe { phifd_monitor_free(m.0) };
    total
}

struct Latency {
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
    polls: u64,
}

/// Latency of single `phifd_heartbeat` calls (round-robin over all `n` nodes of `m`, starting at
/// round `k`), each timed on its own, optionally while another thread polls `m` without pause.
fn heartbeat_latency(m: SendPtr, n: u64, k: u64, calls: u64, with_poller: bool, j: &Jitter) -> Latency {
    let stop = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicU64::new(0));
    let poller = if with_poller {
        let (s, p) = (stop.clone(), polls.clone());
        // The poll time: the start of the rounds being heartbeated. Nodes not yet heartbeated in
        // this run are then about 1 s silent, the others have arrivals after it: all ALIVE.
        let t = T0 + k * PERIOD + 40 * MS;
        Some(std::thread::spawn(move || {
            let m = m;
            let mut buf = vec![phifd_event::default(); 1024];
            while !s.load(Ordering::Relaxed) {
                let mut got = 0usize;
                unsafe { phifd_monitor_poll(m.0, t, buf.as_mut_ptr(), buf.len(), &mut got) };
                p.fetch_add(1, Ordering::Relaxed);
            }
        }))
    } else {
        None
    };
    if with_poller {
        while polls.load(Ordering::Relaxed) == 0 {
            std::hint::spin_loop();
        }
    }
    let mut lat = Vec::with_capacity(calls as usize);
    let (mut i, mut kk) = (0u64, k);
    let polls_before = polls.load(Ordering::Relaxed);
    for _ in 0..calls {
        let t = j.arrival(i, kk);
        let t0 = Instant::now();
        let st = unsafe { phifd_heartbeat(m.0, i, 1, t) };
        let ns = t0.elapsed().as_nanos() as f64;
        if st != PHIFD_OK {
            fail("latency heartbeat");
        }
        lat.push(ns);
        i += 1;
        if i == n {
            i = 0;
            kk += 1;
        }
    }
    let polls_during = polls.load(Ordering::Relaxed) - polls_before;
    stop.store(true, Ordering::Relaxed);
    if let Some(h) = poller {
        h.join().expect("poller");
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    Latency {
        p50: percentile_sorted(&lat, 0.5),
        p99: percentile_sorted(&lat, 0.99),
        p999: percentile_sorted(&lat, 0.999),
        max: *lat.last().unwrap_or(&f64::NAN),
        polls: polls_during,
    }
}

fn timer_overhead() -> f64 {
    let mut v = Vec::new();
    for _ in 0..100_000 {
        let t0 = Instant::now();
        v.push(t0.elapsed().as_nanos() as f64);
    }
    median(&mut v)
}

fn scale(j: &Arc<Jitter>, quick: bool, million: bool) {
    let window = if quick { 50 } else { 1000u64 };
    let sizes: Vec<u64> = if quick {
        vec![1_000, 5_000]
    } else if million {
        vec![10_000, 100_000, 1_000_000]
    } else {
        vec![10_000, 100_000]
    };
    let big = if quick { 5_000 } else { 100_000u64 };
    let polls = if quick { 3 } else { 15 };
    let mut rows = Vec::new();
    let mut lat_rows = Vec::new();
    for &n in &sizes {
        let before = live_bytes();
        let t0 = Instant::now();
        let m = fill_node_major(n, window, j);
        let fill_s = t0.elapsed().as_secs_f64();
        let total = live_bytes() - before;
        let t_last = j.arrival(0, window) + 40 * MS;
        if samples_of(m, n - 1, t_last) as u64 != window {
            fail("scale: window not full");
        }
        let poll_t = T0 + window * PERIOD + 600 * MS;
        let poll = if n >= big { Some(time_polls(m, n, poll_t, polls)) } else { None };
        eprintln!("  scale: {n} nodes filled in {fill_s:.1} s");
        if n == big {
            let calls = if quick { 20_000 } else { 400_000 };
            // Whole rounds after the fill (`calls` is a multiple of `n`), the second run continuing
            // the first: every interval is a normal one.
            let k = window + 1;
            let alone = heartbeat_latency(SendPtr(m), n, k, calls, false, j);
            let k2 = k + calls / n;
            let contended = heartbeat_latency(SendPtr(m), n, k2, calls, true, j);
            lat_rows.push((n, alone, contended));
        }
        rows.push(ScaleRow { nodes: n, bytes_total: total, poll_ns_per_node: poll });
        unsafe { phifd_monitor_free(m) };
    }

    // Throughput: 1,000 nodes per thread (cache-resident), and one hot node.
    let per = if quick { 100 } else { 1_000u64 };
    let dur = Duration::from_millis(if quick { 100 } else { 1_500 });
    let one = throughput(1, per, window, false, dur, j);
    let two = throughput(2, per, window, false, dur, j);
    let hot1 = throughput(1, per, window, true, dur, j);
    let hot2 = throughput(2, per, window, true, dur, j);

    println!("\n### Scale: memory through the C ABI, window {window}, full windows (bytes requested from the allocator)\n");
    println!("| nodes | total MiB | bytes/node | target bytes/node (4 x window + 256) | poll ns/node (all ALIVE, median of {polls}) |");
    println!("|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.1} | {} | {} |",
            r.nodes,
            r.bytes_total as f64 / 1048576.0,
            r.bytes_total as f64 / r.nodes as f64,
            4 * window + 256,
            r.poll_ns_per_node.map_or("-".to_string(), |p| format!("{p:.2}"))
        );
    }
    println!("\n### Contention: phifd_heartbeat throughput, window {window} (Mcalls/s, {} ms per figure)\n", dur.as_millis());
    println!("| workload | 1 thread | 2 threads | 2 threads / 1 thread |");
    println!("|---|---:|---:|---:|");
    println!("| distinct nodes ({per} per thread) | {:.2} | {:.2} | {:.2}x |", one / 1e6, two / 1e6, two / one);
    println!("| one hot node | {:.2} | {:.2} | {:.2}x |", hot1 / 1e6, hot2 / 1e6, hot2 / hot1);
    println!("\n### Head-of-line blocking: phifd_heartbeat latency (ns, each call timed alone; timer overhead {:.0} ns included)\n", timer_overhead());
    println!("| nodes | other thread | p50 | p99 | p99.9 | max | polls during the run |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for (n, a, c) in &lat_rows {
        println!("| {n} | idle | {:.0} | {:.0} | {:.0} | {:.0} | - |", a.p50, a.p99, a.p999, a.max);
        println!("| {n} | polling all {n} nodes without pause | {:.0} | {:.0} | {:.0} | {:.0} | {} |", c.p50, c.p99, c.p999, c.max, c.polls);
    }
}

/// `--profile hb|phi|hb-many|phi-many`: runs one C-ABI operation in a loop for about 5 s (to be
/// recorded with `perf record`), window 1,000, one node or 10,000 nodes.
fn profile(what: &str) {
    let j = Jitter::new();
    let n = if what.ends_with("-many") { 10_000 } else { 1 };
    let mut r = Runner { s: PhifdC(c_monitor(1000)), n, k: 0 };
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

// ----- main --------------------------------------------------------------------------------------

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.trim().to_string()).unwrap_or_default()
}

fn main() {
    let mut rounds = 21usize;
    let mut quick = false;
    let mut skip_scale = false;
    let mut million = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => {
                quick = true;
                rounds = 3;
            }
            "--skip-scale" => skip_scale = true,
            "--skip-million" => million = false,
            "--profile" => {
                let what = args.next().unwrap_or_default();
                profile(&what);
                return;
            }
            "--rounds" => match args.next().and_then(|v| v.parse().ok()) {
                Some(r) if r >= 1 => rounds = r,
                _ => {
                    eprintln!("--rounds needs a positive number");
                    std::process::exit(2);
                }
            },
            _ => {
                eprintln!("usage: phifd-bench [--rounds R] [--quick] [--skip-scale] [--skip-million] [--profile hb|phi|hb-many|phi-many]");
                std::process::exit(2);
            }
        }
    }
    let start = Instant::now();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_default();
    println!(
        "phifd {} (Rust bench), {} CPUs, \"{cpu}\", load average at start: {}",
        phifd::VERSION,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load()
    );
    println!("{rounds} rounds per figure; every implementation timed once per round, in rotating order");

    let j = Arc::new(Jitter::new());
    let mut sum = 0.0;
    let many = if quick { 500 } else { 10_000u64 };
    let calls = if quick { 2_000 } else { 100_000u64 };
    let mut rows = Vec::new();
    for &w in &[100usize, 1000] {
        check_phifd_full(w as u64, if quick { 10 } else { 100 }, &j);
        for &n in &[1u64, many] {
            rows.push(bench_peers(&j, w, n, rounds, calls, &mut sum));
            eprintln!("  peers: window {w}, {n} nodes done ({:.0} s)", start.elapsed().as_secs_f64());
        }
    }
    print_peers(&rows);
    print_correctness(&correctness());
    if !skip_scale {
        scale(&j, quick, million && !quick);
    }
    println!("\nload average at end: {}; total {:.0} s; checksum {:.6e}", load(), start.elapsed().as_secs_f64(), sum);
    let f = FAILURES.load(Ordering::Relaxed);
    if f > 0 {
        eprintln!("{f} functional failure(s)");
        std::process::exit(1);
    }
}

