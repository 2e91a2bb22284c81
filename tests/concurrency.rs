//! Many threads sharing one monitor through the C ABI (`phifd::ffi`, as a C server would call it):
//! heartbeats, versioned heartbeats, phi, node info, time_until_phi, polls, removals and
//! re-additions of the same nodes, generation changes, suspicion reports and local-health changes,
//! all at once, for a bounded number of operations (and at most a few seconds of wall time; no
//! assertion depends on timing).
//!
//! Checked while racing: every status is one the header documents for the call; phi is finite and
//! non-negative; info is internally consistent (state code in range, UNKNOWN only without an
//! arrival); polled events are well formed; out-parameters are untouched on failure.
//! Checked after joining: the monitor still answers, the node count equals the nodes left, the
//! event queue drains, and `phifd_monitor_get_stats` is consistent.
//!
//! The core locks one node record at a time (a mutex per node) and finds records through an
//! index of atomic entries that lookups only read (src/shard.rs): a lookup accepts a record only
//! after locking it and checking its id, and retries a miss that raced with entries moving. The
//! tests below race exactly those paths (the same nodes heartbeated, read, polled, removed and
//! registered again, records reused, the index grown and rebuilt) and check invariants a lost
//! update, a torn read, a reused record's data or a lost or duplicated event would break; they
//! run under ThreadSanitizer (`make tsan`).

use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use phifd::ffi::monitor::*;
use phifd::ffi::*;

/// Raw monitor pointer shared between threads (the C ABI documents a monitor as thread-safe).
#[derive(Clone, Copy)]
struct M(*mut phifd_monitor);
unsafe impl Send for M {}
unsafe impl Sync for M {}

impl M {
    /// The pointer (a method, so closures capture the whole `M`, not the raw field).
    fn p(self) -> *mut phifd_monitor {
        self.0
    }
}

const NODES: u64 = 16;
const OPS_PER_THREAD: u64 = 40_000;
const MAX_WALL: Duration = Duration::from_secs(5);

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn check_info(m: M, node: u64, now: u64) -> Option<phifd_node_info> {
    let mut info = phifd_node_info {
        size: std::mem::size_of::<phifd_node_info>() as u32,
        ..Default::default()
    };
    // SAFETY: live monitor; writable struct of the declared size.
    let st = unsafe { phifd_node_get_info(m.p(), node, now, &mut info) };
    match st {
        PHIFD_OK => {
            assert_eq!(info.node, node);
            assert!(info.state <= PHIFD_STATE_FAILED, "state {}", info.state);
            assert!(info.phi.is_finite() && info.phi >= 0.0, "info phi {}", info.phi);
            if info.has_arrival == 1 {
                assert_ne!(info.state, PHIFD_STATE_UNKNOWN);
            }
            assert!(info.mean_ns.is_finite() && info.sd_ns.is_finite());
            Some(info)
        }
        PHIFD_ERR_UNKNOWN_NODE => None,
        other => panic!("phifd_node_get_info: undocumented status {other}"),
    }
}

#[test]
fn many_threads_one_monitor() {
    let mut m = ptr::null_mut();
    // SAFETY: defaults; writable out-pointer.
    assert_eq!(unsafe { phifd_monitor_new(ptr::null(), &mut m) }, PHIFD_OK);
    let m = M(m);
    // A shared clock: every thread moves it forward by 1 ms steps and reads it for its calls, so
    // arrivals are roughly ordered, with some going backwards between threads.
    let clock = Arc::new(AtomicU64::new(1_000_000_000));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + MAX_WALL;
    let threads = 8;
    let mut handles = Vec::new();
    for id in 0..threads {
        let clock = Arc::clone(&clock);
        let stop = Arc::clone(&stop);
        handles.push(thread::spawn(move || {
            let mut s = 0x9E37_79B9_7F4A_7C15u64 ^ (id + 1);
            let mut events = [phifd_event::default(); 8];
            let mut ops = 0u64;
            let mut version = 0u64;
            for i in 0..OPS_PER_THREAD {
                if i % 256 == 0 && (stop.load(Ordering::Relaxed) || Instant::now() > deadline) {
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                ops += 1;
                let r = xorshift(&mut s);
                let node = r % NODES;
                let now = clock.fetch_add(1_000_000, Ordering::Relaxed);
                let jitter = (r >> 32) % 5_000_000;
                let t = now.saturating_sub(jitter);
                // SAFETY (all calls): the monitor outlives the threads; every out-pointer is a
                // writable local of the declared type.
                match (r >> 8) % 12 {
                    0 | 1 | 2 => {
                        let st = unsafe { phifd_heartbeat(m.p(), node, 0, t) };
                        assert!(st == PHIFD_OK || st == PHIFD_ERR_STALE_GENERATION, "heartbeat: {st}");
                    }
                    3 => {
                        version += 1;
                        let mut counted = false;
                        let st = unsafe { phifd_heartbeat_version(m.p(), node, 0, version, t, &mut counted) };
                        assert!(
                            st == PHIFD_OK || st == PHIFD_ERR_STALE_GENERATION,
                            "heartbeat_version: {st}"
                        );
                    }
                    4 => {
                        let mut phi = -1.0;
                        let st = unsafe { phifd_phi(m.p(), node, t, &mut phi) };
                        match st {
                            PHIFD_OK => assert!(phi.is_finite() && phi >= 0.0, "phi {phi}"),
                            PHIFD_ERR_UNKNOWN_NODE => assert_eq!(phi, -1.0, "out written on failure"),
                            other => panic!("phi: {other}"),
                        }
                    }
                    5 => {
                        check_info(m, node, t);
                    }
                    6 => {
                        let mut tu = 0u64;
                        let st = unsafe { phifd_node_time_until_phi(m.p(), node, 8.0, &mut tu) };
                        assert!(st == PHIFD_OK || st == PHIFD_ERR_UNKNOWN_NODE, "time_until_phi: {st}");
                    }
                    7 => {
                        let mut written = usize::MAX;
                        let cap = (r >> 40) as usize % 9;
                        let st = unsafe { phifd_monitor_poll(m.p(), now, events.as_mut_ptr(), cap, &mut written) };
                        assert_eq!(st, PHIFD_OK);
                        assert!(written <= cap);
                        for e in &events[..written] {
                            assert!(e.kind <= PHIFD_EVENT_RESTARTED && e.from <= 3 && e.to <= 3, "{e:?}");
                            assert!(e.phi.is_finite() && e.phi >= 0.0);
                            if e.kind == PHIFD_EVENT_STATE_CHANGED {
                                assert_ne!(e.from, e.to);
                            }
                        }
                    }
                    8 => {
                        let st = unsafe { phifd_node_remove(m.p(), node) };
                        assert!(st == PHIFD_OK || st == PHIFD_ERR_UNKNOWN_NODE, "remove: {st}");
                        // Re-add the same id at once (as a restarting peer would be).
                        let st = unsafe { phifd_node_add(m.p(), node, 0, t) };
                        assert_eq!(st, PHIFD_OK, "node_add");
                    }
                    9 => {
                        // A generation change: the node restarts with a higher generation. Its
                        // generation, read back, can only be at least as high (unless removed).
                        let before = check_info(m, node, t).map_or(0, |i| i.generation);
                        let g = before + 1;
                        let st = unsafe { phifd_heartbeat(m.p(), node, g, t) };
                        assert!(st == PHIFD_OK || st == PHIFD_ERR_STALE_GENERATION, "restart: {st}");
                    }
                    10 => {
                        let reporter = (node + 1 + (r >> 20) % (NODES - 1)) % NODES;
                        assert_ne!(reporter, node);
                        let st = unsafe { phifd_node_report_suspect(m.p(), node, reporter) };
                        assert!(st == PHIFD_OK || st == PHIFD_ERR_UNKNOWN_NODE, "report_suspect: {st}");
                        let st = unsafe { phifd_node_report_suspect(m.p(), node, node) };
                        assert!(
                            st == PHIFD_ERR_INVALID_ARG || st == PHIFD_ERR_UNKNOWN_NODE,
                            "self report: {st}"
                        );
                    }
                    _ => {
                        let score = ((r >> 24) % 9) as u32; // 8 is above the default maximum 7
                        let st = unsafe { phifd_monitor_set_local_health(m.p(), score) };
                        assert_eq!(
                            st,
                            if score <= 7 { PHIFD_OK } else { PHIFD_ERR_INVALID_ARG },
                            "health {score}"
                        );
                        let mut h = u32::MAX;
                        assert_eq!(unsafe { phifd_monitor_get_local_health(m.p(), &mut h) }, PHIFD_OK);
                        assert!(h <= 7, "effective health {h}");
                    }
                }
            }
            ops
        }));
    }
    let total: u64 = handles
        .into_iter()
        .map(|h| h.join().expect("a worker thread panicked"))
        .sum();
    assert!(total >= threads * 256, "the threads ran ({total} operations)");

    // After the race: every node that exists answers consistently, the count matches, the queue
    // drains, and the monitor is still fully usable.
    let now = clock.load(Ordering::Relaxed);
    let mut present = 0u64;
    for node in 0..NODES {
        if check_info(m, node, now).is_some() {
            present += 1;
        }
    }
    let mut count = u64::MAX;
    // SAFETY: as above; no other thread runs now.
    unsafe {
        assert_eq!(phifd_monitor_node_count(m.p(), &mut count), PHIFD_OK);
        assert_eq!(count, present, "node count vs nodes answering");
        let mut events = vec![phifd_event::default(); 1024];
        loop {
            let mut written = 0usize;
            assert_eq!(
                phifd_monitor_poll(m.p(), now, events.as_mut_ptr(), events.len(), &mut written),
                PHIFD_OK
            );
            if written < events.len() {
                break;
            }
        }
        let mut stats = phifd_monitor_stats {
            size: std::mem::size_of::<phifd_monitor_stats>() as u32,
            ..Default::default()
        };
        assert_eq!(phifd_monitor_get_stats(m.p(), &mut stats), PHIFD_OK);
        assert_eq!(stats.pending_events, 0, "queue drained");
        assert_eq!(stats.nodes, present);
        assert_eq!(phifd_heartbeat(m.p(), 999, 1, now), PHIFD_OK);
        let mut phi = -1.0;
        assert_eq!(phifd_phi(m.p(), 999, now, &mut phi), PHIFD_OK);
        assert!(phi.is_finite() && phi >= 0.0);
        phifd_monitor_free(m.p());
    }
}

/// Readers and one writer on one node: while the writer keeps heartbeating (intervals of 1.00 to
/// 1.06 s), readers query the node at `u64::MAX` (the longest possible silence) and must always see
/// a whole, consistent history: phi finite and non-negative, FAILED, a mean inside the range of
/// the intervals and seed, never a torn or half-updated window.
#[test]
fn readers_never_see_torn_state() {
    let mut m = ptr::null_mut();
    // SAFETY: defaults; writable out-pointer.
    assert_eq!(unsafe { phifd_monitor_new(ptr::null(), &mut m) }, PHIFD_OK);
    let m = M(m);
    let start = 10_000_000_000u64;
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_heartbeat(m.p(), 1, 0, start) }, PHIFD_OK);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut t = start;
            for i in 0..200_000u64 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                t += 1_000_000_000 + (i % 7) * 10_000_000;
                // SAFETY: live monitor.
                assert_eq!(unsafe { phifd_heartbeat(m.p(), 1, 0, t) }, PHIFD_OK);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    let readers: Vec<_> = (0..3)
        .map(|_| {
            thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline && n < 500_000 {
                    let mut info = phifd_node_info {
                        size: std::mem::size_of::<phifd_node_info>() as u32,
                        ..Default::default()
                    };
                    // SAFETY: live monitor, writable struct. Query time u64::MAX: the longest
                    // silence; phi must stay finite.
                    assert_eq!(unsafe { phifd_node_get_info(m.p(), 1, u64::MAX, &mut info) }, PHIFD_OK);
                    assert!(info.phi.is_finite() && info.phi >= 0.0, "phi {}", info.phi);
                    assert_eq!(info.state, PHIFD_STATE_FAILED, "u64::MAX is far past every deadline");
                    assert_eq!(info.has_arrival, 1);
                    assert!(info.mean_ns > 0.0 && info.sd_ns >= 0.0 && info.samples >= 2);
                    // The mean of intervals between 1.00 s and 1.06 s (and the 0.75/1.25 s seed).
                    assert!(
                        info.mean_ns >= 0.75e9 && info.mean_ns <= 1.25e9,
                        "mean {}",
                        info.mean_ns
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    let reads: u64 = readers.into_iter().map(|r| r.join().expect("reader panicked")).sum();
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer panicked");
    assert!(reads > 0);
    // SAFETY: no other thread uses it now.
    unsafe { phifd_monitor_free(m.p()) };
}

/// The per-node synchronisation through the Rust API, with invariants that a lost update, a torn
/// read or a lost or duplicated event would break:
/// - two threads send interleaved versions of one shared node, each its own heartbeats to its
///   own node: every call is counted exactly once (accepted + duplicates = calls, matching the
///   monitor's duplicate counter), the final version is the highest sent, and each private node's
///   window holds exactly the heartbeats sent;
/// - a reader takes node info of a node a writer is heartbeating: every (samples, mean, sd) it
///   sees is one that a single-threaded replay of the same heartbeats produced after some call;
/// - a poller polls while the nodes go silent and come back: each node's events (they must
///   form one path from UNKNOWN to the node's final state, whatever order they were queued in),
///   so none is lost or duplicated;
/// - a fourth thread removes and re-registers a node of its own while the others run: the node
///   count stays right.
#[test]
fn per_node_sync_loses_nothing_and_tears_nothing() {
    use phifd::{Config, EventKind, Monitor, State};
    use std::collections::{HashMap, HashSet};

    const K: u64 = if cfg!(miri) { 30 } else { 3_000 };
    const SEC: u64 = 1_000_000_000;
    let mut cfg = Config::new();
    cfg.set_window(50).unwrap();
    let m = Arc::new(Monitor::new(&cfg).unwrap());
    // Interval pattern of the watched node 100: irregular, with silences long enough to convict.
    let gap = |i: u64| {
        if i % 97 == 96 {
            20 * SEC
        } else {
            SEC + (i * 7919 % 13) * 10_000_000
        }
    };
    // The single-threaded replay: every (samples, mean bits, sd bits) that ever existed, and
    // every phi at the fixed query time Q (after the last heartbeat of the stream).
    const Q: u64 = 1 << 60;
    let mut seen_states = HashSet::new();
    let mut seen_phis = HashSet::new();
    {
        let r = Monitor::new(&cfg).unwrap();
        let mut t = SEC;
        for i in 0..K {
            r.heartbeat(100, 1, t).unwrap();
            let inf = r.info(100, t).unwrap();
            seen_states.insert((inf.samples, inf.mean_ns.to_bits(), inf.sd_ns.to_bits()));
            seen_phis.insert(r.phi(100, Q).unwrap().to_bits());
            t += gap(i);
        }
    }
    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                let (mut accepted, mut duplicates) = (0u64, 0u64);
                for i in 0..K {
                    // Shared node 1: versions interleaved between the threads (w+1, w+3, ...).
                    let v = 2 * i + w + 1;
                    match m.heartbeat_version(1, 1, v, v * SEC) {
                        Ok(true) => accepted += 1,
                        Ok(false) => duplicates += 1,
                        Err(e) => panic!("shared heartbeat: {e}"),
                    }
                    // Private node 10 + w, steady 1 s, silent for 30 s now and then (FAILED, back).
                    let t = (i + 1) * SEC + (i / 500) * 30 * SEC;
                    m.heartbeat(10 + w, 1, t).unwrap();
                }
                (accepted, duplicates)
            })
        })
        .collect();
    let watched = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut t = SEC;
            for i in 0..K {
                m.heartbeat(100, 1, t).unwrap();
                t += gap(i);
            }
        })
    };
    let reader = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let (mut reads, mut phis) = (Vec::new(), Vec::new());
            // Start once the writer has registered node 100 (on a loaded machine this thread can
            // otherwise finish all its reads before the first heartbeat); bounded, never a hang.
            let start = Instant::now();
            while m.info(100, 0).is_err() && start.elapsed() < Duration::from_secs(10) {
                thread::yield_now();
            }
            for _ in 0..K {
                if let Ok(inf) = m.info(100, 0) {
                    reads.push((inf.samples, inf.mean_ns.to_bits(), inf.sd_ns.to_bits()));
                }
                if let Ok(p) = m.phi(100, Q) {
                    phis.push(p.to_bits());
                }
            }
            (reads, phis)
        })
    };
    let churn = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            for i in 0..K / 10 {
                m.add_node(500, 1, i).unwrap();
                m.heartbeat(500, 1, i + 1).unwrap();
                m.remove(500).unwrap();
            }
        })
    };
    let poller = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut events = Vec::new();
            for i in 0..K / 10 {
                m.poll(i * 100 * SEC, &mut events, usize::MAX);
            }
            events
        })
    };
    let mut sent = (0, 0);
    for w in writers {
        let (a, d) = w.join().expect("writer panicked");
        sent = (sent.0 + a, sent.1 + d);
    }
    watched.join().expect("watched writer panicked");
    churn.join().expect("churn panicked");
    let (reads, phis) = reader.join().expect("reader panicked");
    assert!(!reads.is_empty() && !phis.is_empty());
    for r in reads {
        assert!(
            seen_states.contains(&r),
            "a read (samples, mean, sd) = {r:?} matches no window state that existed"
        );
    }
    for p in phis {
        assert!(
            seen_phis.contains(&p),
            "a phi read ({}) matches no phi of the replay",
            f64::from_bits(p)
        );
    }
    let mut events = poller.join().expect("poller panicked");
    m.poll(0, &mut events, usize::MAX); // drain what heartbeats queued after the last poll

    assert_eq!(sent.0 + sent.1, 2 * K, "every shared heartbeat answered once");
    assert_eq!(m.stats().duplicate_heartbeats, sent.1);
    assert_eq!(m.info(1, 0).unwrap().version, 2 * K, "the highest version sent wins");
    for w in 0..2 {
        let inf = m.info(10 + w, 0).unwrap();
        assert_eq!(
            inf.version,
            K - 1,
            "each counted unversioned heartbeat after the first advances the version by one"
        );
        assert_eq!(inf.samples, 50, "window full");
    }
    assert!(m.phi(500, 0).is_err(), "the churned node was removed last");
    assert_eq!(m.node_count(), 4, "nodes 1, 10, 11 and 100");

    // One node's events are queued while its lock is held, so they enter the queue in the order
    // they happened (their instants may still go back: the threads' clocks differ). No loss and
    // no duplicate: they form one path from UNKNOWN to the node's final state, event to event
    // (checked below), so also for every state the events into it minus the events out of it
    // are +1 for the final state, -1 for UNKNOWN, 0 otherwise.
    let mut at: HashMap<u64, State> = HashMap::new();
    for e in events.iter().filter(|e| e.node != 500) {
        let prev = at.insert(e.node, e.to).unwrap_or(State::Unknown);
        assert_eq!(
            e.from, prev,
            "node {}: event {e:?} does not start where the last ended",
            e.node
        );
    }
    let snap = m.snapshot(0);
    let mut flow: HashMap<(u64, State), i64> = HashMap::new();
    let mut counted = HashMap::new();
    for e in events.iter().filter(|e| e.node != 500) {
        assert_eq!(e.kind, EventKind::StateChanged);
        assert_ne!(e.from, e.to);
        *flow.entry((e.node, e.to)).or_insert(0) += 1;
        *flow.entry((e.node, e.from)).or_insert(0) -= 1;
        *counted.entry(e.node).or_insert(0u32) += 1;
    }
    for node in [1u64, 10, 11, 100] {
        // At query time 0 (before every arrival) silence is zero: the stored state itself.
        let fin = snap
            .iter()
            .find(|i| i.node == node)
            .unwrap_or_else(|| panic!("node {node} missing"))
            .state;
        for st in [State::Unknown, State::Alive, State::Suspect, State::Failed] {
            let want = i64::from(st == fin) - i64::from(st == State::Unknown);
            let got = flow.get(&(node, st)).copied().unwrap_or(0);
            assert_eq!(
                got, want,
                "node {node}, state {st:?}: events in minus out (final state {fin:?})"
            );
        }
    }
    // The private nodes were convicted during their silences and came back: many events each.
    for w in 0..2 {
        assert!(
            counted.get(&(10 + w)).copied().unwrap_or(0) >= 3,
            "node {}: {:?}",
            10 + w,
            counted.get(&(10 + w))
        );
    }
}

/// The same nodes heartbeated, read, polled, removed and registered again by different threads,
/// with records reused and the index grown and rebuilt in place under the readers:
/// - hot nodes (never removed) get interleaved versions from two threads: every call is
///   answered once (accepted + duplicates = calls), the final version is the highest sent, and
///   a reader never sees a node's version go back;
/// - churned nodes (each with a generation of its own) are registered, heartbeated and removed
///   by three threads at once: every answer about one carries its own id and generation (a
///   reused record or a stale index entry would show another node's), and a heartbeat with the
///   node's own generation is never refused as stale;
/// - a poller drains events throughout: each node's events, in queue order, form one path
///   (each starts where the node's previous one ended; a churned node may start again from
///   UNKNOWN after a removal), and every event carries its node's generation.
#[test]
fn same_nodes_removed_and_registered_again_while_in_use() {
    use phifd::{Config, EventKind, Monitor, State, Status};
    use std::collections::HashMap;

    const SEC: u64 = 1_000_000_000;
    const HOT: u64 = 8;
    const CHURN: u64 = 96;
    const ROUNDS: u64 = if cfg!(miri) { 3 } else { 300 };
    let gen_of = |c: u64| 7 + c * 3;
    let churned = |k: u64| 1_000 + k * 7_919;
    let mut cfg = Config::new();
    cfg.set_window(20).unwrap();
    let m = Arc::new(Monitor::new(&cfg).unwrap());

    let hot_writers: Vec<_> = (0..2u64)
        .map(|w| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                let (mut accepted, mut duplicates) = (0u64, 0u64);
                for i in 0..ROUNDS * HOT {
                    let node = i % HOT;
                    let v = 2 * (i / HOT) + w + 1;
                    match m.heartbeat_version(node, 1, v, v * SEC) {
                        Ok(true) => accepted += 1,
                        Ok(false) => duplicates += 1,
                        Err(e) => panic!("hot heartbeat: {e}"),
                    }
                }
                (accepted, duplicates)
            })
        })
        .collect();
    let churn_writers: Vec<_> = (0..2u64)
        .map(|w| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                let mut s = 0x5851_F42D_4C95_7F2D ^ (w + 1);
                for i in 0..ROUNDS * 20 {
                    let c = churned(xorshift(&mut s) % CHURN);
                    // A heartbeat with the node's own generation: counted (or re-registers it).
                    m.heartbeat(c, gen_of(c), (i + 1) * SEC)
                        .unwrap_or_else(|e| panic!("heartbeat of churned node {c}: {e}"));
                }
            })
        })
        .collect();
    let remover = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut removed = 0u64;
            for r in 0..ROUNDS {
                for k in 0..CHURN {
                    let c = churned(k);
                    if (k + r) % 3 == 0 {
                        match m.remove(c) {
                            Ok(()) => removed += 1,
                            Err(e) => assert_eq!(e.status, Status::UnknownNode, "{e}"),
                        }
                    } else {
                        m.add_node(c, gen_of(c), r * SEC).unwrap();
                    }
                }
            }
            removed
        })
    };
    let reader = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut s = 0x2545_F491_4F6C_DD1Du64;
            let mut last_version = [0u64; HOT as usize];
            let mut found = 0u64;
            for i in 0..ROUNDS * 40 {
                let r = xorshift(&mut s);
                if i % 2 == 0 {
                    let node = r % HOT;
                    if let Ok(inf) = m.info(node, u64::MAX) {
                        assert_eq!(inf.node, node);
                        assert_eq!(inf.generation, 1);
                        let lv = &mut last_version[node as usize];
                        assert!(inf.version >= *lv, "node {node}: version {} after {lv}", inf.version);
                        *lv = inf.version;
                    }
                } else {
                    let c = churned(r % CHURN);
                    if let Ok(inf) = m.info(c, u64::MAX) {
                        found += 1;
                        assert_eq!((inf.node, inf.generation), (c, gen_of(c)), "another node's record");
                        assert!(inf.phi.is_finite() && inf.phi >= 0.0);
                    }
                    if let Ok(p) = m.phi(c, (i + 1) * SEC) {
                        assert!(p.is_finite() && p >= 0.0);
                    }
                }
            }
            found
        })
    };
    let poller = {
        let m = Arc::clone(&m);
        thread::spawn(move || {
            let mut events = Vec::new();
            for i in 0..ROUNDS * 4 {
                m.poll(i * 5 * SEC, &mut events, usize::MAX);
            }
            events
        })
    };

    let mut sent = (0, 0);
    for w in hot_writers {
        let (a, d) = w.join().expect("hot writer panicked");
        sent = (sent.0 + a, sent.1 + d);
    }
    for w in churn_writers {
        w.join().expect("churn writer panicked");
    }
    let removed = remover.join().expect("remover panicked");
    let found = reader.join().expect("reader panicked");
    let mut events = poller.join().expect("poller panicked");
    m.poll(0, &mut events, usize::MAX);

    assert_eq!(sent.0 + sent.1, 2 * ROUNDS * HOT, "every hot heartbeat answered once");
    assert_eq!(m.stats().duplicate_heartbeats, sent.1);
    assert_eq!(m.stats().stale_heartbeats, 0);
    for node in 0..HOT {
        assert_eq!(
            m.info(node, 0).unwrap().version,
            2 * ROUNDS,
            "node {node}: highest version wins"
        );
    }
    assert!(
        removed > 0 && found > 0,
        "the race happened (removed {removed}, found {found})"
    );
    let present = (0..CHURN).filter(|&k| m.info(churned(k), 0).is_ok()).count() as u64;
    assert_eq!(m.node_count() as u64, HOT + present, "node count vs nodes answering");
    for k in 0..CHURN {
        let c = churned(k);
        if let Ok(inf) = m.info(c, 0) {
            assert_eq!((inf.node, inf.generation), (c, gen_of(c)));
        }
    }

    let mut at: HashMap<u64, State> = HashMap::new();
    let mut per_node = HashMap::new();
    for e in &events {
        assert_eq!(e.kind, EventKind::StateChanged, "{e:?}");
        assert_ne!(e.from, e.to);
        let want_gen = if e.node < HOT { 1 } else { gen_of(e.node) };
        assert_eq!(e.generation, want_gen, "event {e:?} carries another node's generation");
        let prev = at.insert(e.node, e.to).unwrap_or(State::Unknown);
        if e.node < HOT {
            assert_eq!(
                e.from, prev,
                "hot node {}: {e:?} does not start where the last ended",
                e.node
            );
        } else {
            assert!(
                e.from == prev || e.from == State::Unknown,
                "churned node {}: {e:?} after {prev:?}",
                e.node
            );
        }
        *per_node.entry(e.node).or_insert(0u32) += 1;
    }
    for node in 0..HOT {
        assert!(
            per_node.get(&node).copied().unwrap_or(0) >= 1,
            "node {node}: its first heartbeat's event"
        );
    }
}

/// A snapshot lists each monitored node once, in increasing id order, while other threads move
/// nodes between records (remove x and y, register x and y again: with freed records reused last
/// in, first out, x and y swap records). A walk that saw x in its old record and then in its new
/// one must not list it twice.
#[test]
fn snapshot_lists_each_node_once_while_nodes_move_between_records() {
    // Ids of one shard, so that they share its records: the shard is the top 6 bits of
    // splitmix64's finaliser of the id (src/monitor.rs), written out here.
    let shard = |id: u64| {
        let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) >> 58
    };
    let ids: Arc<Vec<u64>> = Arc::new((1u64..).filter(|&id| shard(id) == 0).take(64).collect());
    let m = Arc::new(phifd::Monitor::new(&phifd::Config::new()).unwrap());
    for &id in ids.iter() {
        m.heartbeat(id, 1, 1_000).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let (m, stop, ids) = (Arc::clone(&m), Arc::clone(&stop), Arc::clone(&ids));
        thread::spawn(move || {
            let mut t = 2_000u64;
            while !stop.load(Ordering::Relaxed) {
                for pair in ids.chunks(2) {
                    let (x, y) = (pair[0], pair[1]);
                    m.remove(x).unwrap();
                    m.remove(y).unwrap();
                    m.heartbeat(x, 1, t).unwrap();
                    m.heartbeat(y, 1, t).unwrap();
                    t += 1;
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_millis(if cfg!(miri) { 50 } else { 1_500 });
    let mut snapshots = 0u64;
    while Instant::now() < deadline {
        let snap = m.snapshot(u64::MAX / 2);
        for w in snap.windows(2) {
            assert!(
                w[0].node < w[1].node,
                "snapshot {snapshots}: {} then {}",
                w[0].node,
                w[1].node
            );
        }
        snapshots += 1;
    }
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    assert!(snapshots > 0);
}
