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
//!
//! Modules: `peers` (sections 1 and 2), `correctness` (3), `scale` (4); the peers' own code in
//! `peers_impl`, phifd's monitors in `monitors`, the workload in `workload`, the counting
//! allocator in `alloc`, medians and the failure count in `stats`.

mod alloc;
mod correctness;
mod monitors;
mod peers;
mod peers_impl;
mod scale;
mod stats;
mod workload;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use correctness::{correctness, print_correctness};
use peers::{bench_peers, check_phifd_full, print_peers, profile};
use scale::scale;
use stats::FAILURES;
use workload::Jitter;

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
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
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
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
            eprintln!(
                "  peers: window {w}, {n} nodes done ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
        }
    }
    print_peers(&rows);
    print_correctness(&correctness());
    if !skip_scale {
        scale(&j, quick, million && !quick);
    }
    println!(
        "\nload average at end: {}; total {:.0} s; checksum {:.6e}",
        load(),
        start.elapsed().as_secs_f64(),
        sum
    );
    let f = FAILURES.load(Ordering::Relaxed);
    if f > 0 {
        eprintln!("{f} functional failure(s)");
        std::process::exit(1);
    }
}
