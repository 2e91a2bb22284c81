//! The [`Detector`] trait: what every detector `phifd eval` replays implements
//! (phifd's estimators and the baselines in [`crate::detect`], `seqtail` in
//! [`crate::seqtail`]). It depends on nothing else in the crate, so the modules
//! that implement it never import each other through it.
//!
//! Every detector answers one question after each arrival: *at what absolute
//! time will you start suspecting if nothing else arrives?* — once for each
//! level of its sweep (phi threshold, safety margin, timeout). All detectors
//! suspect at a deadline fixed at the last arrival and trust again at the next
//! arrival whose new deadline is still ahead, so that answer is all the
//! metrics need, and one pass over a trace evaluates every level at once.

/// A failure detector replayed on one heartbeat stream at many levels at once.
///
/// Implementations own their state; one instance is used by one thread at a
/// time (`Send`, not shared).
pub trait Detector: Send {
    /// Short stable name (`akka`, `chen`, …), used in tables and file names.
    fn name(&self) -> String;
    /// What the sweep varies and its unit, e.g. `"phi"`, `"alpha_ms"`.
    fn param_name(&self) -> &'static str;
    /// The sweep levels, in the unit of [`param_name`](Self::param_name).
    fn levels(&self) -> &[f64];
    /// Forgets all history (called before each stream).
    fn reset(&mut self);
    /// Records the arrival of heartbeat `seq` at `now_ns` (non-decreasing
    /// between calls) and writes into `deadlines[k]` the absolute time, ns,
    /// at which level `k` suspects if nothing else arrives
    /// (`deadlines.len() == levels().len()`). An arrival at or after the
    /// previous deadline ends a wrong suspicion that began at that deadline; the
    /// detector trusts again only if the new deadline is after `now_ns` (else the
    /// suspicion goes on). The caller counts both.
    fn arrive(&mut self, now_ns: u64, seq: u64, deadlines: &mut [u64]);
    /// Whether heartbeat `seq`, if it arrived now, would be stale: older than (or equal to) one
    /// already received. A stale heartbeat is ignored entirely, as Chen–Toueg–Aguilera's
    /// detector ignores it: it neither ends a suspicion nor moves a deadline, and the caller
    /// does not pass it to [`arrive`](Self::arrive). Default: never (detectors that do not use
    /// sequence numbers count every arrival, as the library does without versions).
    fn is_stale(&self, _seq: u64) -> bool {
        false
    }
}
