//! The `phifd` command-line tool as a library: trace format, scenario
//! generators, UDP recording, replay evaluation with the Chen–Toueg–Aguilera
//! metrics, tuning, and reports. The binary (`src/main.rs`) is a thin
//! argument parser over these modules.
//!
//! Nothing here keeps global state; every function is safe to call from any
//! thread (the evaluator runs detectors on worker threads itself).
#![warn(missing_docs)]

pub mod detect;
pub mod detector;
pub mod eval;
pub mod qos;
pub mod record;
pub mod report;
pub mod rng;
pub mod seqtail;
pub mod sim;
pub mod stats;
pub mod svg;
pub mod trace;
pub mod tune;

/// Parses a duration: a number with a unit `ns`, `us`, `ms`, `s`, `m`, `h`,
/// `d` (e.g. `100ms`, `1.5s`, `7d`); a bare number is seconds. Returns ns.
///
/// Errors: an empty, negative, non-numeric or unknown-unit value.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?} (examples: 100ms, 1.5s, 2h)"))?;
    let mult = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "" | "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        "d" => 86400e9,
        u => return Err(format!("unknown duration unit {u:?} in {s:?} (ns, us, ms, s, m, h, d)")),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(format!("duration must be >= 0: {s:?}"));
    }
    Ok((v * mult).round() as u64)
}

/// A nominal heartbeat interval guessed from a trace: the median receive
/// interval between consecutive sequence numbers, rounded to 1 ms (or 1 µs
/// below 10 ms). `None` without such a pair.
pub fn guess_interval(streams: &[trace::Stream]) -> Option<u64> {
    let mut v: Vec<u64> = Vec::new();
    for s in streams {
        for i in 1..s.recv.len() {
            if s.seq[i] == s.seq[i - 1] + 1 {
                v.push(s.recv[i] - s.recv[i - 1]);
            }
            if v.len() >= 200_000 {
                break;
            }
        }
    }
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let m = *v.select_nth_unstable(mid).1;
    let r = if m >= 10_000_000 {
        (m + 500_000) / 1_000_000 * 1_000_000
    } else {
        ((m + 500) / 1_000 * 1_000).max(1_000)
    };
    Some(r.max(1_000))
}
