//! The monotonic clock, read from the operating system.
//!
//! The one `unsafe` block of the core: `clock_gettime` is the only way to read `CLOCK_MONOTONIC`
//! as C and Python read it (`std::time::Instant` has no defined origin and cannot be compared with
//! a time taken by the caller).
#![allow(unsafe_code)]

/// Nanoseconds of `CLOCK_MONOTONIC`: the same clock as C's
/// `clock_gettime(CLOCK_MONOTONIC)` and Python's `time.monotonic_ns()`, so
/// arrival times taken by the caller at the socket can be mixed with this one.
/// Never goes backwards and ignores wall-clock changes; comparable only on one
/// machine (the origin is unspecified, usually boot). Returns 0 only if the
/// clock cannot be read, which Linux guarantees not to happen.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}
