//! Section 3: phi on a steady heartbeat against each model's exact value, computed here.

use phi_accrual_failure_detector::Detector;
use phifd::ffi::monitor::{phifd_heartbeat, phifd_monitor_free, phifd_phi};

use crate::monitors::{c_monitor, check, rust_monitor};
use crate::peers_impl::{pafd_unsync, set_now, PhiDet};
use crate::stats::fail;
use crate::workload::{MS, T0};

/// Intervals (ms) of the steady scenario: 900, 1100, 900, 1100, ...
pub(crate) fn interval_ms(i: u64) -> u64 {
    if i % 2 == 0 {
        900
    } else {
        1100
    }
}

/// Population mean and sd (ms) of integer samples, from exact integer sums.
pub(crate) fn mean_sd(xs: &[u64]) -> (f64, f64) {
    let n = xs.len() as i128;
    let s: i128 = xs.iter().map(|&x| x as i128).sum();
    let q: i128 = xs.iter().map(|&x| (x as i128) * (x as i128)).sum();
    let mean = s as f64 / n as f64;
    let var = (n * q - s * s) as f64 / (n * n) as f64;
    (mean, var.sqrt())
}

/// The logistic approximation of Akka: phi = log10(1 + e^z), z = y (1.5976 + 0.070566 y^2).
pub(crate) fn logistic_phi(y: f64) -> f64 {
    let z = y * (1.5976 + 0.070566 * y * y);
    (1.0 + z.exp()).log10()
}

/// Expected phi of the Akka model (phifd akka, phi-accrual-failure-detector): a sliding window of
/// `window` intervals seeded with 750 and 1,250 ms, sd floored at 100 ms, no acceptable pause.
pub(crate) fn expected_akka(heartbeats: u64, window: usize, silence_ms: f64) -> f64 {
    let mut xs = vec![750u64, 1250];
    xs.extend((0..heartbeats - 1).map(interval_ms));
    let start = xs.len().saturating_sub(window);
    let (mean, sd) = mean_sd(&xs[start..]);
    logistic_phi((silence_ms - mean) / sd.max(100.0))
}

/// Expected phi of phi-detector's model: a normal fitted to every sample so far (the 1 s estimate
/// and all intervals, fewer than its 10,000-sample cap here), sd floored at 1 ms, same logistic.
pub(crate) fn expected_phi_detector(heartbeats: u64, silence_ms: f64) -> f64 {
    let mut xs = vec![1000u64];
    xs.extend((0..heartbeats - 1).map(interval_ms));
    let (mean, sd) = mean_sd(&xs);
    logistic_phi((silence_ms - mean) / sd.max(1.0))
}

pub(crate) struct CorrRow {
    window: usize,
    heartbeats: u64,
    silence_ms: u64,
    expected_akka: f64,
    got: [f64; 4],
    expected_pd: f64,
}

pub(crate) fn correctness() -> Vec<CorrRow> {
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

pub(crate) fn rel_err(got: f64, want: f64) -> f64 {
    ((got - want) / want).abs()
}

pub(crate) fn print_correctness(rows: &[CorrRow]) {
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
