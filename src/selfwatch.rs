//! The monitor watching itself: pauses of its own process and its own health score.
//!
//! A monitor that was paused (GC, CPU starvation, SIGSTOP) sees every peer fall silent at once.
//! Every call into the monitor reports its time here; a gap since the last call of any kind
//! (heartbeat, poll) above both `local_pause_threshold_ns` and 4 × the usual gap between polls is
//! a pause of this process, after which no node is convicted for the grace period. Polls also
//! keep the usual poll gap and the monitor's own health score (+1 for a late poll — more than
//! twice the usual gap — or a detected pause; -1 for a timely poll), which stretches every
//! deadline together with the host's score. Both need an established cadence: nothing is judged
//! before [`CADENCE_POLLS`] polls, so a program that polls only now and then is never in grace
//! by surprise.
//!
//! On the heartbeat path this is two atomic loads; the shared activity time is written at most
//! once per millisecond, so threads heartbeating different nodes do not contend on it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::node::Pause;

/// Polls needed before the poll cadence is trusted for pause detection and self-raised health.
pub const CADENCE_POLLS: u64 = 8;
/// The shared activity time is advanced only when it is this stale (1 ms).
const ACTIVITY_RESOLUTION_NS: u64 = 1_000_000;

/// Pause detection and the local health scores of one monitor. Every field is atomic: readers
/// on the heartbeat path never lock; the pause record has one writer at a time (`pause_lock`).
#[derive(Default)]
pub(crate) struct SelfWatch {
    /// Time of the last poll (0: never polled).
    last_poll: AtomicU64,
    /// Latest time of any call (0: none yet), to within `ACTIVITY_RESOLUTION_NS`.
    last_activity: AtomicU64,
    /// Smoothed gap between polls, ns (0: unknown yet).
    poll_gap: AtomicU64,
    /// Polls so far; pause detection and self-raised health need an established cadence.
    polls: AtomicU64,
    /// The last detected pause, readable without a lock on the heartbeat path.
    pause_start: AtomicU64,
    pause_end: AtomicU64,
    grace_until: AtomicU64,
    /// Pauses detected so far.
    pauses: AtomicU64,
    /// Serialises writers of the pause record.
    pause_lock: Mutex<()>,
    /// The host's score (`Monitor::set_local_health`).
    host_health: AtomicU32,
    /// The monitor's own score (late polls, pauses).
    self_health: AtomicU32,
}

impl SelfWatch {
    /// Sets the host's own health score; `InvalidArg` above `max_local_health` (nothing changed).
    pub(crate) fn set_host_health(&self, score: u32, s: &Settings) -> Result<()> {
        let max = s.max_local_health;
        if score > max {
            return Err(Error::invalid(format!(
                "local health score {score} exceeds max_local_health {max}"
            )));
        }
        self.host_health.store(score, Ordering::Relaxed);
        Ok(())
    }

    /// The host's score plus the monitor's own, capped at `max_local_health`.
    #[inline]
    pub(crate) fn health(&self, s: &Settings) -> u32 {
        let h = self.host_health.load(Ordering::Relaxed) + self.self_health.load(Ordering::Relaxed);
        h.min(s.max_local_health)
    }

    /// The last detected pause (all zero if none).
    #[inline]
    pub(crate) fn pause(&self) -> Pause {
        Pause {
            start_ns: self.pause_start.load(Ordering::Acquire),
            end_ns: self.pause_end.load(Ordering::Acquire),
            grace_until_ns: self.grace_until.load(Ordering::Acquire),
        }
    }

    /// Pauses detected so far.
    pub(crate) fn pauses(&self) -> u64 {
        self.pauses.load(Ordering::Relaxed)
    }

    /// Reports a call at `now_ns` (a poll if `from_poll`): detects a pause of this process, and
    /// on polls keeps the usual poll gap and the monitor's own health score (see the module).
    #[inline]
    pub(crate) fn observe(&self, now_ns: u64, from_poll: bool, s: &Settings) {
        let last = self.last_activity.load(Ordering::Acquire);
        let polls = if from_poll {
            self.polls.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.polls.load(Ordering::Relaxed)
        };
        let usual = self.poll_gap.load(Ordering::Relaxed);
        let gap = now_ns.saturating_sub(last);
        let limit = s.pause_threshold_ns.max(usual.saturating_mul(4));
        let max_health = s.max_local_health;
        let paused = last != 0 && polls > CADENCE_POLLS && gap > limit;
        if paused {
            let _w = self.pause_lock.lock();
            if self.pause_start.load(Ordering::Acquire) != last {
                self.pauses.fetch_add(1, Ordering::Relaxed);
                let h = self.self_health.load(Ordering::Relaxed);
                self.self_health.store((h + 1).min(max_health), Ordering::Relaxed);
                // Publish the grace period first so a reader never sees a pause without it.
                self.grace_until
                    .fetch_max(now_ns.saturating_add(s.pause_grace_ns), Ordering::AcqRel);
                self.pause_end.store(now_ns, Ordering::Release);
                self.pause_start.store(last, Ordering::Release);
            }
        }
        if from_poll {
            let last_poll = self
                .last_poll
                .swap(now_ns.max(self.last_poll.load(Ordering::Relaxed)), Ordering::AcqRel);
            let pgap = now_ns.saturating_sub(last_poll);
            if last_poll != 0 && pgap > 0 && !paused {
                if polls > CADENCE_POLLS {
                    let h = self.self_health.load(Ordering::Relaxed);
                    let late = usual > 0 && pgap > usual.saturating_mul(2);
                    self.self_health.store(
                        if late {
                            (h + 1).min(max_health)
                        } else {
                            h.saturating_sub(1)
                        },
                        Ordering::Relaxed,
                    );
                }
                // Exponential average of the poll gap, weight 1/8.
                let next = if usual == 0 { pgap } else { usual - usual / 8 + pgap / 8 };
                self.poll_gap.store(next, Ordering::Relaxed);
            }
        }
        if from_poll || gap > ACTIVITY_RESOLUTION_NS {
            // A plain store, not a read-modify-write: two racing writers can at worst leave the
            // value a little (under the resolution) behind, which only shortens a measured gap.
            self.last_activity.store(now_ns.max(last), Ordering::Release);
        }
    }
}
