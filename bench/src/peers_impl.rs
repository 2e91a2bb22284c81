//! The peers under test beside phifd: `phi-accrual-failure-detector` (both flavours, on a manual
//! clock), `phi-detector`, and the minimal loop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use phi_accrual_failure_detector::{Clock, SyncState, UnsyncState};

/// A manual clock for `phi-accrual-failure-detector` (it reads time through its `Clock` trait):
/// every implementation is given the same explicit timestamps. One relaxed load per read.
pub(crate) struct ManualClock;

pub(crate) static MANUAL_NOW: AtomicU64 = AtomicU64::new(0);

#[inline(always)]
pub(crate) fn set_now(t: u64) {
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

pub(crate) type PafdUnsync = phi_accrual_failure_detector::FailureDetector<UnsyncState<ManualClock>>;
pub(crate) type PafdSync = phi_accrual_failure_detector::FailureDetector<SyncState<ManualClock>>;

/// Settings shared by every implementation where they can be set: threshold 8, first estimate
/// 1 s, min sd 100 ms (the Akka/Pekko default), acceptable pause 0.
pub(crate) fn pafd_unsync(window: usize) -> PafdUnsync {
    phi_accrual_failure_detector::UnsyncDetector::builder()
        .max_sample_size(window)
        .min_std_deviation(Duration::from_millis(100))
        .acceptable_heartbeat_pause(Duration::ZERO)
        .first_heartbeat_estimate(Duration::from_secs(1))
        .clock(ManualClock)
        .build()
        .expect("valid settings")
}

pub(crate) fn pafd_sync(window: usize) -> PafdSync {
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
pub(crate) struct PhiDet {
    w: phi_detector::PingWindow,
    last: u64,
}

impl PhiDet {
    pub(crate) fn new() -> PhiDet {
        PhiDet {
            w: phi_detector::PingWindow::new(Duration::from_secs(1)),
            last: 0,
        }
    }
    #[inline(always)]
    pub(crate) fn heartbeat(&mut self, t: u64) {
        if self.last != 0 {
            self.w.add_ping(Duration::from_nanos(t.saturating_sub(self.last)));
        }
        self.last = t;
    }
    #[inline(always)]
    pub(crate) fn phi(&self, t: u64) -> f64 {
        self.w
            .normal_dist()
            .phi(Duration::from_nanos(t.saturating_sub(self.last)))
    }
}

/// The minimal loop's per-node state: a ring of u32 microsecond intervals and integer sums.
pub(crate) struct MinNode {
    ring: Box<[u32]>,
    len: u32,
    head: u32,
    sum: u64,
    sum_sq: u64,
    last: u64,
}

impl MinNode {
    pub(crate) fn new(window: usize) -> MinNode {
        MinNode {
            ring: vec![0u32; window].into_boxed_slice(),
            len: 0,
            head: 0,
            sum: 0,
            sum_sq: 0,
            last: 0,
        }
    }
    /// Stores one interval, updates the two sums, keeps the arrival. Nothing else.
    #[inline(always)]
    pub(crate) fn heartbeat(&mut self, t: u64) {
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
    pub(crate) fn phi(&self, t: u64) -> f64 {
        let n = f64::from(self.len.max(1));
        let mean = self.sum as f64 / n;
        let var = (self.sum_sq as f64 / n - mean * mean).max(1e4);
        let y = ((t.saturating_sub(self.last) / 1_000) as f64 - mean) / var.sqrt();
        let z = y * (1.5976 + 0.070566 * y * y);
        z.exp().ln_1p() * std::f64::consts::LOG10_E
    }
}
