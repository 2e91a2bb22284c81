//! Medians and percentiles of timings, and the count of functional failures (the exit status).

use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    percentile_sorted(v, 0.5)
}

pub(crate) fn percentile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = p * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

pub(crate) static FAILURES: AtomicU64 = AtomicU64::new(0);

pub(crate) fn fail(what: &str) {
    eprintln!("FAIL: {what}");
    FAILURES.fetch_add(1, Ordering::Relaxed);
}
