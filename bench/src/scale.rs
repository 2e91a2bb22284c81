//! Section 4: memory and poll cost at 10,000 to 1,000,000 nodes, heartbeat throughput from one
//! and two threads, and the latency of a heartbeat while another thread polls.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use phifd::ffi::monitor::{phifd_event, phifd_heartbeat, phifd_monitor, phifd_monitor_free, phifd_monitor_poll};
use phifd::ffi::PHIFD_OK;

use crate::alloc::live_bytes;
use crate::monitors::{c_monitor, check, drain_c, samples_of, SendPtr};
use crate::stats::{fail, median, percentile_sorted};
use crate::workload::{Jitter, MS, PERIOD, T0};

/// Fills a C-ABI monitor of `n` nodes, node after node (each node's `window + 1` heartbeats in a
/// row: the same final state as round-robin, in a fraction of the time). Returns the monitor.
pub(crate) fn fill_node_major(n: u64, window: u64, j: &Jitter) -> *mut phifd_monitor {
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
pub(crate) fn time_polls(m: *mut phifd_monitor, n: u64, t: u64, polls: usize) -> f64 {
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

pub(crate) struct ScaleRow {
    nodes: u64,
    bytes_total: isize,
    poll_ns_per_node: Option<f64>,
}

/// Heartbeats per second from `threads` threads for `dur`, on a fresh monitor of `threads * per`
/// nodes with full windows of `window`. Distinct nodes: thread `t` heartbeats nodes
/// `t*per .. (t+1)*per` round-robin, continuing their rounds. Hot node (`hot`): every thread
/// heartbeats node 0, taking its timestamps from one shared atomic clock (1 ms steps) so that
/// arrivals stay in order; the 1-thread figure pays that atomic too.
pub(crate) fn throughput(threads: usize, per: u64, window: u64, hot: bool, dur: Duration, j: &Arc<Jitter>) -> f64 {
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

pub(crate) struct Latency {
    p50: f64,
    p99: f64,
    p999: f64,
    max: f64,
    polls: u64,
}

/// Latency of single `phifd_heartbeat` calls (round-robin over all `n` nodes of `m`, starting at
/// round `k`), each timed on its own, optionally while another thread polls `m` without pause.
pub(crate) fn heartbeat_latency(m: SendPtr, n: u64, k: u64, calls: u64, with_poller: bool, j: &Jitter) -> Latency {
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

pub(crate) fn timer_overhead() -> f64 {
    let mut v = Vec::new();
    for _ in 0..100_000 {
        let t0 = Instant::now();
        v.push(t0.elapsed().as_nanos() as f64);
    }
    median(&mut v)
}

pub(crate) fn scale(j: &Arc<Jitter>, quick: bool, million: bool) {
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
        let poll = if n >= big {
            Some(time_polls(m, n, poll_t, polls))
        } else {
            None
        };
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
        rows.push(ScaleRow {
            nodes: n,
            bytes_total: total,
            poll_ns_per_node: poll,
        });
        unsafe { phifd_monitor_free(m) };
    }

    // Throughput: 1,000 nodes per thread (cache-resident), and one hot node.
    let per = if quick { 100 } else { 1_000u64 };
    let dur = Duration::from_millis(if quick { 100 } else { 1_500 });
    let one = throughput(1, per, window, false, dur, j);
    let two = throughput(2, per, window, false, dur, j);
    let hot1 = throughput(1, per, window, true, dur, j);
    let hot2 = throughput(2, per, window, true, dur, j);

    println!(
        "\n### Scale: memory through the C ABI, window {window}, full windows (bytes requested from the allocator)\n"
    );
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
    println!(
        "\n### Contention: phifd_heartbeat throughput, window {window} (Mcalls/s, {} ms per figure)\n",
        dur.as_millis()
    );
    println!("| workload | 1 thread | 2 threads | 2 threads / 1 thread |");
    println!("|---|---:|---:|---:|");
    println!(
        "| distinct nodes ({per} per thread) | {:.2} | {:.2} | {:.2}x |",
        one / 1e6,
        two / 1e6,
        two / one
    );
    println!(
        "| one hot node | {:.2} | {:.2} | {:.2}x |",
        hot1 / 1e6,
        hot2 / 1e6,
        hot2 / hot1
    );
    println!("\n### Head-of-line blocking: phifd_heartbeat latency (ns, each call timed alone; timer overhead {:.0} ns included)\n", timer_overhead());
    println!("| nodes | other thread | p50 | p99 | p99.9 | max | polls during the run |");
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for (n, a, c) in &lat_rows {
        println!(
            "| {n} | idle | {:.0} | {:.0} | {:.0} | {:.0} | - |",
            a.p50, a.p99, a.p999, a.max
        );
        println!(
            "| {n} | polling all {n} nodes without pause | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            c.p50, c.p99, c.p999, c.max, c.polls
        );
    }
}
