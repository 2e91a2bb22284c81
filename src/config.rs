//! Monitor configuration: a validated builder and the resolved settings.
//!
//! Each setter validates its own value; [`Config::resolve`] validates the
//! combination (the heartbeat timing rule) and fills in derived defaults.
//!
//! ## Defaults and why
//! | setting | default | reason |
//! |---|---|---|
//! | estimator | `Akka` | the thresholds most deployed phi users have tuned are Akka's; the same threshold means the same thing here |
//! | threshold | 8 | Akka's and Cassandra's default; ~1e-8 chance of a wrong conviction under the model |
//! | suspect threshold | threshold / 2 | an early warning at half the log-odds, well before conviction |
//! | window | 1000 | the paper's, Akka's and Cassandra's window: long enough for a stable sd, short enough to follow change within minutes |
//! | heartbeat interval | 1 s | Akka's cluster default; also the first estimate of the interval before anything is learned |
//! | min std deviation | interval / 4 | the sd of the seed history (`est/4`), so the floor and the first estimate agree; on a perfectly regular sender it puts conviction at about 2.2 (Akka) to 2.4 (normal) intervals of silence at threshold 8: one lost heartbeat never convicts, jitter never does (Akka's 100 ms at 1 s, i.e. interval/10, convicts after 56 ms of lateness on a 100 ms sender) |
//! | acceptable pause | 0 | phi should reflect what was learned; pauses are better tolerated by setting it explicitly (Akka uses 3 s) |
//! | max interval | 2 × interval for `Exponential`, none otherwise | Cassandra drops intervals above 2 s with a 1 s gossip interval; the normal models already refuse to learn intervals once phi reached the threshold |
//! | first-heartbeat timeout | the time the seeded history takes to reach the threshold | a node that never sends a heartbeat is convicted as fast as one that sent one and went silent |
//! | local pause threshold | half the steady timeout | a gap between calls that long is a pause of this process (also required: 4 × the usual poll gap, so slow pollers are not in permanent grace); a pause of half the conviction time is the shortest that, with ordinary jitter, can convict a healthy peer |
//! | local pause grace | 2 × the steady timeout | after a pause, every healthy peer gets two full timeouts to deliver a heartbeat before anyone is convicted |
//! | burst fraction | 0.25 | an interval under a quarter of the learned mean is a queueing artefact (a sender on its own timer never sends four times faster), typically a burst delivered after a pause: it is not learned |
//! | max local health | 7 | Lifeguard's model: convicting takes up to 8 × longer while this host is unhealthy |
//! | confirmations expected | 3 | memberlist's default number of independent suspicion confirmations |
//! | confirmation min ratio | 0.5 | with all expected confirmations, conviction needs half the silence: peers' evidence counts, but never outweighs our own recent arrivals entirely |
//! | max nodes | 65,536 | bounds what a flood of datagrams with random ids can cost: a node with a full default window costs about 4 KB (4,039 B measured by `tests/limits.rs`; a node created by a single forged heartbeat about 410 B), so the bound is about 265 MB, and every poll visits every node, so the bound also caps the poll's work; the largest gossip clusters seen in practice (Cassandra, Consul/memberlist LANs) are a few thousand nodes, so the default leaves a factor of ten. Set it to the cluster size plus headroom |
//! | membership | open | a heartbeat from a new id registers it, as before; `Fixed` accepts only ids registered with `add_node` (fixed-membership leader–follower clusters) |
//! | recovery heartbeats | 2 | a convicted node must deliver two heartbeats in a row before it is ALIVE again (SUSPECT in between): stops FAILED/ALIVE flapping on a node hovering at the threshold |

use crate::error::{Error, Result};
use crate::estimator::Estimator;
use crate::window::MAX_WINDOW;

/// Who may join a monitor by sending a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum Membership {
    /// A heartbeat from an unknown id registers it (up to `max_nodes`). The default.
    #[default]
    Open = 0,
    /// Only ids registered with `add_node` are accepted; a heartbeat from another id is
    /// `UnknownNode` and counted.
    Fixed = 1,
}

/// Default of `max_nodes` (see the module documentation for the reason).
pub const DEFAULT_MAX_NODES: u64 = 65_536;
/// Largest accepted `max_nodes`: 2^26 (about 270 GB of nodes with full default windows).
pub const MAX_MAX_NODES: u64 = 1 << 26;

/// Builder for a monitor's settings. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    estimator: Estimator,
    threshold: f64,
    suspect_threshold: Option<f64>,
    window: u32,
    heartbeat_interval_ns: u64,
    min_std_deviation_ns: Option<u64>,
    acceptable_pause_ns: u64,
    max_interval_ns: Option<u64>,
    round_trip_ns: Option<u64>,
    first_heartbeat_timeout_ns: Option<u64>,
    recovery_heartbeats: u32,
    pause_threshold_ns: Option<u64>,
    pause_grace_ns: Option<u64>,
    burst_fraction: f64,
    max_local_health: u32,
    confirmations_expected: u32,
    confirmation_min_ratio: f64,
    max_nodes: u64,
    membership: Membership,
    qos: Option<QosTargets>,
    qos_warmup_ns: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            estimator: Estimator::Akka,
            threshold: 8.0,
            suspect_threshold: None,
            window: 1000,
            heartbeat_interval_ns: 1_000_000_000,
            min_std_deviation_ns: None,
            acceptable_pause_ns: 0,
            max_interval_ns: None,
            round_trip_ns: None,
            first_heartbeat_timeout_ns: None,
            recovery_heartbeats: 2,
            pause_threshold_ns: None,
            pause_grace_ns: None,
            burst_fraction: 0.25,
            max_local_health: 7,
            confirmations_expected: 3,
            confirmation_min_ratio: 0.5,
            max_nodes: DEFAULT_MAX_NODES,
            membership: Membership::Open,
            qos: None,
            qos_warmup_ns: None,
        }
    }
}

/// Largest accepted duration setting: about 11.6 days. Longer values are
/// almost certainly unit mistakes (seconds passed as nanoseconds the other way round).
pub const MAX_DURATION_NS: u64 = 1_000_000 * 1_000_000_000;

fn check_phi(name: &str, v: f64) -> Result<f64> {
    if !v.is_finite() || v <= 0.0 {
        return Err(Error::invalid(format!("{name} must be a finite number > 0, got {v:?}")));
    }
    // A subnormal level is refused: the default suspect threshold (threshold / 2) of the
    // smallest ones rounds to 0, and "phi >= 0" would hold for every node (a fuzz finding).
    if v < f64::MIN_POSITIVE {
        return Err(Error::invalid(format!(
            "{name} must be at least {:e} (the smallest normal double), got {v:e}",
            f64::MIN_POSITIVE
        )));
    }
    if v > 1e6 {
        return Err(Error::invalid(format!("{name} must be at most 1e6, got {v:?}")));
    }
    Ok(v)
}

fn check_duration(name: &str, ns: u64, allow_zero: bool) -> Result<u64> {
    if ns == 0 && !allow_zero {
        return Err(Error::invalid(format!("{name} must be > 0 ns")));
    }
    if ns > MAX_DURATION_NS {
        return Err(Error::invalid(format!(
            "{name} must be at most {MAX_DURATION_NS} ns (about 11.6 days), got {ns} ns"
        )));
    }
    Ok(ns)
}

impl Config {
    /// The defaults (see the module documentation for the reasons).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the estimator.
    pub fn set_estimator(&mut self, e: Estimator) -> &mut Self {
        self.estimator = e;
        self
    }

    /// Sets the conviction threshold (phi at or above it: FAILED). Finite, > 0, <= 1e6.
    pub fn set_threshold(&mut self, v: f64) -> Result<&mut Self> {
        self.threshold = check_phi("threshold", v)?;
        Ok(self)
    }

    /// Sets the suspicion threshold (phi at or above it: SUSPECT). Finite, > 0,
    /// and below the threshold (checked when the monitor is created).
    pub fn set_suspect_threshold(&mut self, v: f64) -> Result<&mut Self> {
        self.suspect_threshold = Some(check_phi("suspect_threshold", v)?);
        Ok(self)
    }

    /// Sets how many inter-arrival intervals each node keeps (1..=1,048,576).
    pub fn set_window(&mut self, n: u64) -> Result<&mut Self> {
        if n == 0 || n > u64::from(MAX_WINDOW) {
            return Err(Error::invalid(format!(
                "window must be in 1..={MAX_WINDOW} samples, got {n}"
            )));
        }
        self.window = n as u32;
        Ok(self)
    }

    /// Sets the expected heartbeat interval (also the first estimate), in ns.
    pub fn set_heartbeat_interval_ns(&mut self, ns: u64) -> Result<&mut Self> {
        let ns = check_duration("heartbeat_interval_ns", ns, false)?;
        if ns < 1_000 {
            return Err(Error::invalid(format!(
                "heartbeat_interval_ns must be at least 1000 ns (1 µs), got {ns}"
            )));
        }
        self.heartbeat_interval_ns = ns;
        Ok(self)
    }

    /// Sets the floor of the standard deviation, in ns (> 0).
    pub fn set_min_std_deviation_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.min_std_deviation_ns = Some(check_duration("min_std_deviation_ns", ns, false)?);
        Ok(self)
    }

    /// Sets the acceptable pause added to the mean, in ns (0 allowed).
    pub fn set_acceptable_pause_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.acceptable_pause_ns = check_duration("acceptable_pause_ns", ns, true)?;
        Ok(self)
    }

    /// Sets the longest interval that is learned, in ns; longer ones are dropped.
    pub fn set_max_interval_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.max_interval_ns = Some(check_duration("max_interval_ns", ns, false)?);
        Ok(self)
    }

    /// Declares the network round-trip estimate, in ns; it must be below the
    /// heartbeat interval (the timing rule), checked when the monitor is created.
    pub fn set_round_trip_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.round_trip_ns = Some(check_duration("round_trip_ns", ns, false)?);
        Ok(self)
    }

    /// Sets how long a registered node may stay silent before its first
    /// heartbeat before it is FAILED, in ns.
    pub fn set_first_heartbeat_timeout_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.first_heartbeat_timeout_ns = Some(check_duration("first_heartbeat_timeout_ns", ns, false)?);
        Ok(self)
    }

    /// Sets how many consecutive heartbeats a FAILED node must deliver to be ALIVE again (1..=255).
    pub fn set_recovery_heartbeats(&mut self, n: u32) -> Result<&mut Self> {
        if n == 0 || n > 255 {
            return Err(Error::invalid(format!(
                "recovery_heartbeats must be in 1..=255, got {n}"
            )));
        }
        self.recovery_heartbeats = n;
        Ok(self)
    }

    /// Sets the gap between calls (ns) beyond which the monitor considers that
    /// its own process was paused (a GC pause, CPU starvation, SIGSTOP).
    pub fn set_local_pause_threshold_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.pause_threshold_ns = Some(check_duration("local_pause_threshold_ns", ns, false)?);
        Ok(self)
    }

    /// Sets how long after a detected local pause no node is convicted (ns; 0 allowed).
    pub fn set_local_pause_grace_ns(&mut self, ns: u64) -> Result<&mut Self> {
        self.pause_grace_ns = Some(check_duration("local_pause_grace_ns", ns, true)?);
        Ok(self)
    }

    /// Sets the burst fraction in `[0, 1)`: intervals shorter than this
    /// fraction of the learned mean are not learned (0 learns everything).
    pub fn set_burst_fraction(&mut self, f: f64) -> Result<&mut Self> {
        if !f.is_finite() || !(0.0..1.0).contains(&f) {
            return Err(Error::invalid(format!("burst_fraction must be in [0, 1), got {f:?}")));
        }
        self.burst_fraction = f;
        Ok(self)
    }

    /// Sets the largest local health score (0..=64); time to conviction is
    /// multiplied by `1 + score`.
    pub fn set_max_local_health(&mut self, n: u32) -> Result<&mut Self> {
        if n > 64 {
            return Err(Error::invalid(format!("max_local_health must be in 0..=64, got {n}")));
        }
        self.max_local_health = n;
        Ok(self)
    }

    /// Sets the number of independent suspicion confirmations (`k` in
    /// Lifeguard's formula) after which conviction needs the minimum silence (1..=64).
    pub fn set_confirmations_expected(&mut self, k: u32) -> Result<&mut Self> {
        if k == 0 || k > 64 {
            return Err(Error::invalid(format!(
                "confirmations_expected must be in 1..=64, got {k}"
            )));
        }
        self.confirmations_expected = k;
        Ok(self)
    }

    /// Sets the ratio (0, 1] of the silence needed to convict with all expected
    /// confirmations to the silence needed with none.
    pub fn set_confirmation_min_ratio(&mut self, r: f64) -> Result<&mut Self> {
        if !r.is_finite() || r <= 0.0 || r > 1.0 {
            return Err(Error::invalid(format!(
                "confirmation_min_ratio must be in (0, 1], got {r:?}"
            )));
        }
        self.confirmation_min_ratio = r;
        Ok(self)
    }

    /// Sets the most nodes a monitor holds (1..=2^26; default 65,536). Beyond it a heartbeat or
    /// registration of a new id is refused with `Capacity` and counted; known nodes are unaffected.
    pub fn set_max_nodes(&mut self, n: u64) -> Result<&mut Self> {
        if n == 0 || n > MAX_MAX_NODES {
            return Err(Error::invalid(format!(
                "max_nodes must be in 1..={MAX_MAX_NODES}, got {n}"
            )));
        }
        self.max_nodes = n;
        Ok(self)
    }

    /// Sets the membership mode (default [`Membership::Open`]).
    pub fn set_membership(&mut self, m: Membership) -> &mut Self {
        self.membership = m;
        self
    }

    /// Sets QoS targets for every node (`None`: judge by the thresholds, the default). Each node
    /// then derives its own phi levels from its window so that its wrong declarations are at most
    /// one per `min_mistake_recurrence_ns`, with the shortest deadline (docs/qos.md); the
    /// thresholds keep their other uses (the ratio of the suspect level to the threshold, the
    /// first-heartbeat timeout and the pause defaults derived from the threshold).
    /// Errors: `InvalidArg` naming the field (see [`QosTargets::validate`]); the previous value is kept.
    pub fn set_qos(&mut self, t: Option<QosTargets>) -> Result<()> {
        if let Some(t) = &t {
            t.validate()?;
        }
        self.qos = t;
        Ok(())
    }

    /// The QoS targets set, or `None` (judged by the thresholds).
    pub fn qos(&self) -> Option<QosTargets> {
        self.qos
    }

    /// Sets the QoS warm-up, ns (`None`: the default, `min(T_MR, 1 h)` of each node's targets;
    /// `Some(0)`: none). For this long after a QoS node's first counted arrival its failure
    /// deadline is at least the T_D bound less the declared one-way delay, scaled down in
    /// proportion to the time watched, so it reaches what the node's history supports at the end
    /// of the warm-up (docs/qos.md, "Warm-up"). A mistake-rate bound is about gaps rare enough
    /// that a young history has not shown them yet; the T_D bound is what the user called an
    /// acceptable detection time. Errors: `InvalidArg` above `MAX_DURATION_NS`; the previous
    /// value is kept.
    pub fn set_qos_warmup_ns(&mut self, ns: Option<u64>) -> Result<&mut Self> {
        if let Some(ns) = ns {
            check_duration("qos_warmup_ns", ns, true)?;
        }
        self.qos_warmup_ns = ns;
        Ok(self)
    }

    /// The QoS warm-up set, ns, or `None` for the default (`min(T_MR, 1 h)` of each node's
    /// targets, see [`Config::set_qos_warmup_ns`]).
    pub fn qos_warmup_ns(&self) -> Option<u64> {
        self.qos_warmup_ns
    }

    // Accessors: the value a setter stored, or the default. Defaults derived from other settings
    // are computed from the current ones, exactly as `resolve` does.

    /// The estimator.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }

    /// The conviction threshold.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The suspicion threshold: the one set, or threshold / 2.
    pub fn suspect_threshold(&self) -> f64 {
        self.suspect_threshold.unwrap_or(self.threshold / 2.0)
    }

    /// The window length in samples.
    pub fn window(&self) -> u64 {
        u64::from(self.window)
    }

    /// The expected heartbeat interval, ns.
    pub fn heartbeat_interval_ns(&self) -> u64 {
        self.heartbeat_interval_ns
    }

    /// The floor of the standard deviation, ns: the one set, or heartbeat interval / 4 (at least 1).
    pub fn min_std_deviation_ns(&self) -> u64 {
        self.min_std_deviation_ns
            .unwrap_or((self.heartbeat_interval_ns / 4).max(1))
    }

    /// The acceptable pause, ns.
    pub fn acceptable_pause_ns(&self) -> u64 {
        self.acceptable_pause_ns
    }

    /// The longest learned interval, ns: the one set, or 2 x the heartbeat interval for
    /// [`Estimator::Exponential`]; `None` (no limit) otherwise.
    pub fn max_interval_ns(&self) -> Option<u64> {
        match (self.max_interval_ns, self.estimator) {
            (Some(m), _) => Some(m),
            (None, Estimator::Exponential) => Some(self.heartbeat_interval_ns.saturating_mul(2)),
            (None, _) => None,
        }
    }

    /// The declared round trip, ns, or `None` if none was declared.
    pub fn round_trip_ns(&self) -> Option<u64> {
        self.round_trip_ns
    }

    /// The first-heartbeat timeout, ns: the one set, or the default derived from the other
    /// settings (the time the seeded history takes to reach the threshold). Errors: the default
    /// cannot be derived while the settings do not combine (the error of [`Config::resolve`]).
    pub fn first_heartbeat_timeout_ns(&self) -> Result<u64> {
        match self.first_heartbeat_timeout_ns {
            Some(t) => Ok(t),
            None => Ok(self.derived("first_heartbeat_timeout_ns")?.first_heartbeat_timeout_ns),
        }
    }

    /// Consecutive heartbeats a FAILED node must deliver to be ALIVE again.
    pub fn recovery_heartbeats(&self) -> u32 {
        self.recovery_heartbeats
    }

    /// The local pause threshold, ns: the one set, or half the steady timeout. Errors as
    /// [`Config::first_heartbeat_timeout_ns`].
    pub fn local_pause_threshold_ns(&self) -> Result<u64> {
        match self.pause_threshold_ns {
            Some(t) => Ok(t),
            None => Ok(self.derived("local_pause_threshold_ns")?.pause_threshold_ns),
        }
    }

    /// The grace after a local pause, ns: the one set, or 2 x the steady timeout. Errors as
    /// [`Config::first_heartbeat_timeout_ns`].
    pub fn local_pause_grace_ns(&self) -> Result<u64> {
        match self.pause_grace_ns {
            Some(t) => Ok(t),
            None => Ok(self.derived("local_pause_grace_ns")?.pause_grace_ns),
        }
    }

    /// The burst fraction.
    pub fn burst_fraction(&self) -> f64 {
        self.burst_fraction
    }

    /// The largest local health score.
    pub fn max_local_health(&self) -> u32 {
        self.max_local_health
    }

    /// Lifeguard's `k`.
    pub fn confirmations_expected(&self) -> u32 {
        self.confirmations_expected
    }

    /// Lifeguard's `min / max`.
    pub fn confirmation_min_ratio(&self) -> f64 {
        self.confirmation_min_ratio
    }

    /// The most nodes a monitor holds.
    pub fn max_nodes(&self) -> u64 {
        self.max_nodes
    }

    /// The membership mode.
    pub fn membership(&self) -> Membership {
        self.membership
    }

    /// The resolved settings, for the default of `name`; the error says the default cannot be
    /// derived and why.
    fn derived(&self, name: &str) -> Result<Settings> {
        self.resolve().map_err(|e| {
            Error::new(
                e.status,
                format!(
                    "{name} is not set and its default cannot be derived: {}; set it, or fix the other settings",
                    e.message
                ),
            )
        })
    }

    /// Validates the combination and computes the derived settings.
    pub(crate) fn resolve(&self) -> Result<Settings> {
        let est = self.estimator;
        let interval = self.heartbeat_interval_ns;
        let threshold = self.threshold;
        let suspect = self.suspect_threshold();
        if suspect >= threshold {
            return Err(Error::invalid(format!(
                "suspect_threshold ({suspect}) must be below threshold ({threshold})"
            )));
        }
        let min_std = self.min_std_deviation_ns();
        let max_interval = self.max_interval_ns();
        if let Some(m) = max_interval {
            if m <= interval {
                return Err(Error::invalid(format!(
                    "max_interval_ns ({m}) must exceed heartbeat_interval_ns ({interval}), or every normal interval would be dropped"
                )));
            }
        }
        if let Some(rtt) = self.round_trip_ns {
            if rtt >= interval {
                return Err(Error::invalid(format!(
                    "timing rule: round_trip_ns ({rtt}) must be below heartbeat_interval_ns ({interval})"
                )));
            }
        }
        let y_fail = est.y_for_phi(threshold);
        let y_suspect = est.y_for_phi(suspect);
        let pause = self.acceptable_pause_ns as f64;
        // The timing rule on a perfectly steady history (every interval equal
        // to the heartbeat interval, so the sd is the floor).
        let steady = est.elapsed_for_y(y_fail, interval as f64 + pause, min_std as f64);
        if steady <= interval as f64 {
            return Err(Error::invalid(format!(
                "timing rule: with threshold {threshold} the effective timeout on a steady history is {steady:.0} ns, \
                 which does not exceed heartbeat_interval_ns ({interval}); raise the threshold or min_std_deviation_ns"
            )));
        }
        let mut s = Settings {
            estimator: est,
            threshold,
            suspect_threshold: suspect,
            window: self.window,
            heartbeat_interval_ns: interval,
            min_std_deviation_ns: min_std,
            acceptable_pause_ns: self.acceptable_pause_ns,
            max_interval_ns: max_interval,
            round_trip_ns: self.round_trip_ns,
            first_heartbeat_timeout_ns: 0,
            recovery_heartbeats: self.recovery_heartbeats,
            y_fail,
            y_suspect,
            steady_timeout_ns: steady.ceil() as u64,
            pause_threshold_ns: self.pause_threshold_ns.unwrap_or((steady / 2.0).ceil() as u64),
            pause_grace_ns: self.pause_grace_ns.unwrap_or((steady * 2.0).ceil() as u64),
            burst_fraction: self.burst_fraction,
            max_local_health: self.max_local_health,
            confirmations_expected: self.confirmations_expected,
            confirmation_min_ratio: self.confirmation_min_ratio,
            max_nodes: self.max_nodes,
            membership: self.membership,
            qos: self.qos,
            qos_warmup_ns: self.qos_warmup_ns,
        };
        s.first_heartbeat_timeout_ns = match self.first_heartbeat_timeout_ns {
            Some(t) => t,
            None => {
                let (mean, sd) = s.effective(&s.seed_window());
                let e = est.elapsed_for_y(y_fail, mean, sd).ceil();
                if e.is_finite() && e > 0.0 {
                    (e as u64).min(MAX_DURATION_NS)
                } else {
                    interval
                }
            }
        };
        Ok(s)
    }
}

/// Checks a pair of thresholds for a running monitor with settings `s`, as [`Config::resolve`]
/// would: each a finite number in `[DBL_MIN, 1e6]`, the suspect threshold below the threshold,
/// and the timing rule (on a steady history the threshold is reached after more than one
/// heartbeat interval). Errors: `InvalidArg` naming the value at fault.
pub(crate) fn check_thresholds(s: &Settings, threshold: f64, suspect: f64) -> Result<()> {
    check_phi("threshold", threshold)?;
    check_phi("suspect_threshold", suspect)?;
    if suspect >= threshold {
        return Err(Error::invalid(format!(
            "suspect_threshold ({suspect}) must be below threshold ({threshold})"
        )));
    }
    let interval = s.heartbeat_interval_ns;
    let steady = s.estimator.elapsed_for_y(
        s.estimator.y_for_phi(threshold),
        interval as f64 + s.acceptable_pause_ns as f64,
        s.min_std_deviation_ns as f64,
    );
    if steady <= interval as f64 {
        return Err(Error::invalid(format!(
            "timing rule: with threshold {threshold} the effective timeout on a steady history is {steady:.0} ns, \
             which does not exceed heartbeat_interval_ns ({interval}); raise the threshold"
        )));
    }
    Ok(())
}

/// Resolved, validated settings of a monitor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// The estimator.
    pub estimator: Estimator,
    /// Conviction threshold.
    pub threshold: f64,
    /// Suspicion threshold (< threshold).
    pub suspect_threshold: f64,
    /// Window length in samples.
    pub window: u32,
    /// Expected heartbeat interval, ns.
    pub heartbeat_interval_ns: u64,
    /// Floor of the sd, ns.
    pub min_std_deviation_ns: u64,
    /// Added to the mean, ns.
    pub acceptable_pause_ns: u64,
    /// Longest learned interval, ns.
    pub max_interval_ns: Option<u64>,
    /// Declared round trip, ns.
    pub round_trip_ns: Option<u64>,
    /// Silence allowed before a first heartbeat, ns.
    pub first_heartbeat_timeout_ns: u64,
    /// Heartbeats needed to go from FAILED back to ALIVE.
    pub recovery_heartbeats: u32,
    /// `y` at which phi reaches `threshold`.
    pub y_fail: f64,
    /// `y` at which phi reaches `suspect_threshold`.
    pub y_suspect: f64,
    /// Silence at which phi reaches the threshold on a steady history, ns.
    pub steady_timeout_ns: u64,
    /// Poll gap beyond which this process is considered paused, ns.
    pub pause_threshold_ns: u64,
    /// No conviction for this long after a detected pause, ns.
    pub pause_grace_ns: u64,
    /// Intervals below this fraction of the mean are not learned.
    pub burst_fraction: f64,
    /// Largest local health score.
    pub max_local_health: u32,
    /// Lifeguard's `k`.
    pub confirmations_expected: u32,
    /// Lifeguard's `min / max`.
    pub confirmation_min_ratio: f64,
    /// Most nodes held; new ids beyond it are refused.
    pub max_nodes: u64,
    /// Whether heartbeats from unregistered ids register them.
    pub membership: Membership,
    /// QoS targets every node starts with (`None`: the thresholds).
    pub qos: Option<QosTargets>,
    /// QoS warm-up, ns (`None`: `min(T_MR, 1 h)` of the node's targets).
    pub qos_warmup_ns: Option<u64>,
}

impl Settings {
    /// The history a node starts with (and restarts with): Akka's bootstrap
    /// `est - est/4`, `est + est/4` for the normal models, one interval `est`
    /// for the exponential model, where `est` is the heartbeat interval.
    pub(crate) fn seed_window(&self) -> crate::window::Window {
        let mut w = crate::window::Window::new(self.window);
        self.seed(&mut w);
        w
    }

    /// Clears `w` and fills it with the seed history.
    pub(crate) fn seed(&self, w: &mut crate::window::Window) {
        use crate::window::ns_to_sample;
        w.clear();
        let est = self.heartbeat_interval_ns;
        match self.estimator {
            Estimator::Exponential => w.push(ns_to_sample(est)),
            _ => {
                w.push(ns_to_sample(est - est / 4));
                w.push(ns_to_sample(est + est / 4));
            }
        }
    }

    /// The effective `(mean, sd)` in ns for a window: mean plus the acceptable
    /// pause, and the sd floored at the minimum.
    #[inline]
    pub(crate) fn effective(&self, w: &crate::window::Window) -> (f64, f64) {
        let mean = w.mean_ns() + self.acceptable_pause_ns as f64;
        let min_sd = self.min_std_deviation_ns as f64;
        let var = w.variance_ns2();
        let sd = if var > min_sd * min_sd { var.sqrt() } else { min_sd };
        (mean.max(1.0), sd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values_with_named_setting() {
        let mut c = Config::new();
        for v in [f64::NAN, f64::INFINITY, -1.0, 0.0] {
            let e = c.set_threshold(v).unwrap_err();
            assert!(e.message.contains("threshold"), "{e}");
        }
        assert!(c.set_window(0).unwrap_err().message.contains("window"));
        assert!(c
            .set_min_std_deviation_ns(0)
            .unwrap_err()
            .message
            .contains("min_std_deviation_ns"));
        assert!(c.set_heartbeat_interval_ns(0).is_err());
        assert!(c.set_acceptable_pause_ns(0).is_ok());
        // A rejected value leaves the previous one in place.
        c.set_heartbeat_interval_ns(2_000_000_000).unwrap();
        assert!(c.set_heartbeat_interval_ns(999).is_err());
        assert_eq!(c.resolve().unwrap().heartbeat_interval_ns, 2_000_000_000);
    }

    #[test]
    fn max_nodes_and_membership() {
        let mut c = Config::new();
        assert_eq!(c.resolve().unwrap().max_nodes, 65_536);
        assert_eq!(c.resolve().unwrap().membership, Membership::Open);
        for bad in [0, (1 << 26) + 1, u64::MAX] {
            let e = c.set_max_nodes(bad).unwrap_err();
            assert!(e.message.contains("max_nodes"), "{e}");
        }
        c.set_max_nodes(3).unwrap();
        c.set_membership(Membership::Fixed);
        let s = c.resolve().unwrap();
        assert_eq!((s.max_nodes, s.membership), (3, Membership::Fixed));
    }

    #[test]
    fn timing_rule_enforced() {
        let mut c = Config::new();
        c.set_threshold(0.2).unwrap(); // Akka phi at the mean is log10(2) ~ 0.301
        assert!(c.resolve().unwrap_err().message.contains("timing rule"));
        let mut c = Config::new();
        c.set_round_trip_ns(2_000_000_000).unwrap();
        assert!(c.resolve().unwrap_err().message.contains("round_trip_ns"));
        let mut c = Config::new();
        c.set_suspect_threshold(9.0).unwrap();
        assert!(c.resolve().is_err());
    }

    #[test]
    fn default_first_heartbeat_timeout_matches_seed_history() {
        let s = Config::new().resolve().unwrap();
        // Seed 750 ms and 1250 ms: mean 1 s, sd 250 ms; Akka phi 8 at y where
        // softplus(z)/ln10 = 8. Solve independently by bisection on z's cubic.
        let target_z = (10f64.powf(8.0) - 1.0).ln();
        let (mut lo, mut hi) = (0.0, 100.0);
        for _ in 0..200 {
            let mid: f64 = (lo + hi) / 2.0;
            if mid * (1.5976 + 0.070566 * mid * mid) < target_z {
                lo = mid
            } else {
                hi = mid
            }
        }
        let want = 1e9 + lo * 250e6;
        assert!((s.first_heartbeat_timeout_ns as f64 - want).abs() < 2.0);
    }

    #[test]
    fn subnormal_phi_levels_are_refused() {
        // 5e-324 / 2 rounds to 0.0 in IEEE-754 double arithmetic: a default suspect threshold of
        // 0 would make every node suspect by definition while the state machine said ALIVE.
        assert_eq!(5e-324_f64 / 2.0, 0.0);
        let mut c = Config::new();
        for v in [5e-324, 1e-310, f64::MIN_POSITIVE / 2.0] {
            let e = c.set_threshold(v).err().map(|e| e.status);
            assert_eq!(e, Some(crate::error::Status::InvalidArg), "threshold {v:e}");
            let e = c.set_suspect_threshold(v).err().map(|e| e.status);
            assert_eq!(e, Some(crate::error::Status::InvalidArg), "suspect threshold {v:e}");
        }
        assert!(c.set_threshold(f64::MIN_POSITIVE).is_ok());
    }
}

/// What a node must achieve (Chen, Toueg and Aguilera's metrics). All durations in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QosTargets {
    /// Upper bound of the detection time T_D: from a crash to the FAILED declaration, ns (> 0,
    /// at most about 11.6 days).
    pub max_detection_ns: u64,
    /// Lower bound of the mean time between wrong FAILED declarations T_MR, ns (> 0); the mistake
    /// rate λ_M is then at most `1 / T_MR`.
    pub min_mistake_recurrence_ns: u64,
    /// Upper bound of the mean mistake duration T_M (a wrong declaration to the heartbeat that
    /// refutes it), ns; 0 = no bound.
    pub max_mistake_duration_ns: u64,
}

impl QosTargets {
    /// Checks the targets: `max_detection_ns` in `1..=MAX_DURATION_NS`,
    /// `min_mistake_recurrence_ns > 0`, `max_mistake_duration_ns` at most `MAX_DURATION_NS`
    /// (0: no bound). Errors: `InvalidArg` naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.max_detection_ns == 0 || self.max_detection_ns > MAX_DURATION_NS {
            return Err(Error::invalid(format!(
                "qos.max_detection_ns must be in 1..={MAX_DURATION_NS} ns (about 11.6 days), got {}",
                self.max_detection_ns
            )));
        }
        if self.min_mistake_recurrence_ns == 0 {
            return Err(Error::invalid(
                "qos.min_mistake_recurrence_ns must be > 0 ns (the mean time between wrong declarations to guarantee)",
            ));
        }
        if self.max_mistake_duration_ns > MAX_DURATION_NS {
            return Err(Error::invalid(format!(
                "qos.max_mistake_duration_ns must be at most {MAX_DURATION_NS} ns, or 0 for no bound; got {}",
                self.max_mistake_duration_ns
            )));
        }
        Ok(())
    }
}
