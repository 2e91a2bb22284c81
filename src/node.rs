//! One monitored peer: its history, generation and state machine.
//!
//! States move up (ALIVE → SUSPECT → FAILED) when the silence since the last
//! arrival reaches the deadline of a threshold, and down only on arrivals:
//! a SUSPECT node is ALIVE again at its next heartbeat; a FAILED node is
//! SUSPECT at its first heartbeat and ALIVE after `recovery_heartbeats`
//! consecutive ones (the hysteresis that stops flapping). A new generation is
//! a new incarnation: the history restarts and the node is ALIVE at once.
//!
//! Deadlines are stretched by the monitor's local health (`1 + score`),
//! shortened by independent suspicion confirmations (Lifeguard's formula),
//! and convictions that would fall inside a local pause or its grace period
//! are held until the grace period ends.

use std::sync::Arc;

use crate::config::Settings;
use crate::num::{to_ns, u64_to_f64};
use crate::qos::{QosState, QosTargets, WindowView};
use crate::window::{ns_to_sample, Window};

/// Liveness state of a node. Numeric values are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum State {
    /// Registered, no heartbeat yet.
    Unknown = 0,
    /// phi below the suspect threshold.
    Alive = 1,
    /// phi at or above the suspect threshold (or recovering from FAILED).
    Suspect = 2,
    /// phi at or above the threshold, or silent past the first-heartbeat timeout.
    Failed = 3,
}

impl State {
    /// Stable uppercase name.
    pub fn name(self) -> &'static str {
        match self {
            State::Unknown => "UNKNOWN",
            State::Alive => "ALIVE",
            State::Suspect => "SUSPECT",
            State::Failed => "FAILED",
        }
    }
}

/// What an event reports. Numeric values are part of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum EventKind {
    /// The node's state changed.
    StateChanged = 0,
    /// The node came back with a higher generation (a new incarnation).
    Restarted = 1,
}

/// One transition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Node id.
    pub node: u64,
    /// What happened.
    pub kind: EventKind,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// phi at `time_ns`.
    pub phi: f64,
    /// Generation of the node after the transition.
    pub generation: u64,
    /// When it happened: the arrival time for arrival-driven transitions, the
    /// instant the deadline passed for silence-driven ones (not the poll time).
    pub time_ns: u64,
}

/// Outcome of offering an arrival to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Counted.
    Accepted,
    /// `(generation, version)` not newer than what was already seen (a gossip
    /// relay of a known version, or an old one arriving late): ignored.
    Duplicate,
    /// Generation lower than the node's: nothing changed. Carries the current generation.
    Stale(u64),
}

/// The most recent local pause the monitor detected (all zero if none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pause {
    /// Last sign of life before the pause, ns.
    pub start_ns: u64,
    /// First sign of life after the pause, ns.
    pub end_ns: u64,
    /// No conviction before this instant, ns.
    pub grace_until_ns: u64,
}

impl Pause {
    /// Whether the interval from `from_ns` to `to_ns` overlaps this pause (never, if none was
    /// detected).
    #[inline]
    fn overlaps(&self, from_ns: u64, to_ns: u64) -> bool {
        self.end_ns > 0 && from_ns < self.end_ns && to_ns > self.start_ns
    }
}

/// Monitor-wide context of an evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The settings.
    pub(crate) s: &'a Settings,
    /// Local-health stretch of every deadline (`1 + score`, >= 1).
    pub stretch: f64,
    /// The last detected local pause.
    pub pause: Pause,
}

/// Constants of the lower bound of a node's deadlines from its window's sums, computed once
/// per monitor ([`Node::silence_due_ns`]). Each deadline is the ceiling of `mean_eff + y * sd`
/// (location-scale models) or `y * mean_eff` (exponential), with `mean_eff >= Σx·1000/n + pause`
/// and `sd >= min_sd` up to roundings of relative size 2^-53, and `y >= 0`; so
/// `Σx · k + c`, with `k = 1000/n` and `c = pause + y·min_sd` (or `k = 1000·y/n`, `c = y·pause`)
/// both shrunk by 2^-20, is below every deadline by far more than any rounding involved.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DueBound {
    /// The window's capacity (`k_full` is for a full window).
    pub(crate) capacity: u32,
    /// Multiplier of the sum of samples (µs) for a full window.
    pub(crate) k_full: f64,
    /// The constant term, ns.
    pub(crate) c: f64,
    /// False when the thresholds leave no such bound (`y < 0` or NaN): deadlines are computed.
    pub(crate) usable: bool,
}

impl DueBound {
    /// The constants for settings `s` and the smaller of a node's two levels, `y`.
    pub(crate) fn new(s: &Settings, y: f64) -> DueBound {
        const SHRINK: f64 = 1.0 - 1.0 / 1_048_576.0;
        let n = f64::from(s.window.max(1));
        let pause = u64_to_f64(s.acceptable_pause_ns);
        let (k, c) = match s.estimator {
            crate::estimator::Estimator::Exponential => (y * 1_000.0 / n, y * pause),
            _ => (1_000.0 / n, pause + y * u64_to_f64(s.min_std_deviation_ns)),
        };
        DueBound {
            capacity: s.window.max(1),
            k_full: k * SHRINK,
            c: c * SHRINK,
            usable: y >= 0.0 && k.is_finite() && c.is_finite(),
        }
    }
}

/// The phi levels a node is judged by: the monitor's thresholds (one value shared by every node
/// that follows them), a node's own, or the levels derived from QoS targets.
#[derive(Debug, Clone)]
pub(crate) struct Levels {
    /// Conviction threshold (phi).
    pub(crate) threshold: f64,
    /// Suspicion threshold (phi).
    pub(crate) suspect_threshold: f64,
    /// `y` at which phi reaches `threshold`.
    pub(crate) y_fail: f64,
    /// `y` at which phi reaches `suspect_threshold`.
    pub(crate) y_suspect: f64,
    /// `min(y_suspect, y_fail)`, for the early test.
    pub(crate) y_min: f64,
    /// Constants of the poll's due instants for these levels.
    pub(crate) due: DueBound,
}

impl Levels {
    /// The levels of thresholds `threshold` and `suspect` under settings `s` (unchecked).
    pub(crate) fn new(s: &Settings, threshold: f64, suspect: f64) -> Levels {
        let y_fail = s.estimator.y_for_phi(threshold);
        let y_suspect = s.estimator.y_for_phi(suspect);
        Levels::from_y(s, threshold, suspect, y_fail, y_suspect)
    }

    /// The levels of the settings' own thresholds.
    pub(crate) fn of_settings(s: &Settings) -> Levels {
        Levels::from_y(s, s.threshold, s.suspect_threshold, s.y_fail, s.y_suspect)
    }

    pub(crate) fn from_y(s: &Settings, threshold: f64, suspect: f64, y_fail: f64, y_suspect: f64) -> Levels {
        let y_min = y_suspect.min(y_fail);
        Levels {
            threshold,
            suspect_threshold: suspect,
            y_fail,
            y_suspect,
            y_min,
            due: DueBound::new(s, y_min),
        }
    }
}

/// Suspicion reports from other peers about this node (Lifeguard's confirmations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    /// Distinct reporters, at most `confirmations_expected` of them (more would not change anything).
    pub reporters: Vec<u64>,
}

/// Per-node record. Kept small: 160 bytes plus the window's samples.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) id: u64,
    pub(crate) generation: u64,
    /// Highest heartbeat version seen in this generation.
    pub(crate) version: u64,
    /// Last arrival, or the registration time before the first heartbeat.
    pub(crate) last_ns: u64,
    /// Effective mean and sd (ns) of the window; valid only while `stale` is false.
    pub(crate) mean: f64,
    pub(crate) sd: f64,
    /// Silence at which phi reaches the suspect threshold and the threshold, ns, before local
    /// health and confirmations; valid only while `stale` is false.
    pub(crate) suspect_base_ns: u64,
    pub(crate) fail_base_ns: u64,
    /// Smoothed time per heartbeat version, ns (see [`Node::heartbeat_interval_ns`]).
    pub(crate) per_version_ns: f64,
    pub(crate) window: Window,
    pub(crate) reports: Option<Box<Reports>>,
    pub(crate) state: State,
    pub(crate) has_arrival: bool,
    /// Heartbeats still needed to leave recovery (0: not recovering).
    pub(crate) recovery_left: u8,
    /// The window changed since `mean`, `sd` and the deadlines were computed. They are
    /// recomputed when first needed ([`Node::freshen`]), not on every heartbeat: a heartbeat
    /// that arrives well before every deadline decides so from the window's integer sums with
    /// multiplications only (see [`Node::surely_before_deadlines`]).
    pub(crate) stale: bool,
    /// The node's tuning is its own (set for this node): monitor-wide retuning passes it by.
    pub(crate) own: bool,
    /// The phi levels in use (shared with the monitor while the node follows its thresholds).
    pub(crate) lv: Arc<Levels>,
    /// QoS targets and the state of their derivation, for a QoS-configured node.
    pub(crate) qos: Option<Box<QosState>>,
}

/// Weight of a new sample in the per-version interval average (1/16: the
/// estimate settles within a few dozen observations and ignores single outliers).
const PER_VERSION_ALPHA: f64 = 1.0 / 16.0;

impl Node {
    /// A node registered at `now_ns` without a heartbeat (UNKNOWN), judged by the settings'
    /// thresholds.
    pub(crate) fn registered(id: u64, generation: u64, now_ns: u64, s: &Settings) -> Node {
        Node::registered_with(id, generation, now_ns, s, Arc::new(Levels::of_settings(s)), None)
    }

    /// A node registered at `now_ns` judged by levels `lv`, and by QoS targets if `qos` is set.
    pub(crate) fn registered_with(
        id: u64,
        generation: u64,
        now_ns: u64,
        s: &Settings,
        lv: Arc<Levels>,
        qos: Option<Box<QosState>>,
    ) -> Node {
        let window = s.seed_window();
        let (mean, sd) = s.effective(&window);
        let mut n = Node {
            id,
            generation,
            version: 0,
            last_ns: now_ns,
            mean,
            sd,
            suspect_base_ns: to_ns(s.estimator.elapsed_for_y(lv.y_suspect, mean, sd)),
            fail_base_ns: to_ns(s.estimator.elapsed_for_y(lv.y_fail, mean, sd)),
            per_version_ns: s.heartbeat_interval_ns as f64,
            window,
            reports: None,
            state: State::Unknown,
            has_arrival: false,
            recovery_left: 0,
            stale: false,
            own: false,
            lv,
            qos,
        };
        if n.qos.is_some() {
            n.stale = true;
            n.freshen(s);
        }
        n
    }

    /// Node id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Current generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Highest heartbeat version seen in the current generation.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Current state (as of the last evaluation).
    pub fn state(&self) -> State {
        self.state
    }

    /// Last arrival time, if any.
    pub fn last_arrival_ns(&self) -> Option<u64> {
        self.has_arrival.then_some(self.last_ns)
    }

    /// The window of learned intervals (between counted arrivals).
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// Effective mean (ns, including the acceptable pause) and sd (ns, floored) of the current
    /// window under settings `s` (the settings the node is monitored with).
    #[inline]
    pub(crate) fn effective_mean_sd(&self, s: &Settings) -> (f64, f64) {
        if self.stale {
            s.effective(&self.window)
        } else {
            (self.mean, self.sd)
        }
    }

    /// The sender's own heartbeat interval, ns: the time between counted
    /// arrivals divided by how many versions they advanced, smoothed
    /// (weight 1/16). With direct heartbeats it tracks the window's mean; with
    /// gossip, where one observation can cover several heartbeats, it stays the
    /// per-heartbeat interval while the window learns the gaps between
    /// observations, which is what phi must judge silence by.
    pub fn heartbeat_interval_ns(&self) -> f64 {
        self.per_version_ns
    }

    /// Distinct peers currently reporting this node as suspect.
    pub fn confirmations(&self) -> u32 {
        self.reports.as_ref().map_or(0, |r| r.reporters.len() as u32)
    }

    /// Marks the statistics out of date after a change of the window (no arithmetic here).
    #[inline]
    fn refresh(&mut self) {
        self.stale = true;
    }

    /// Recomputes the cached mean, sd and deadlines if the window changed since they were
    /// computed. The values are exactly those an eager recomputation would give: the same
    /// functions of the same window.
    #[inline]
    pub(crate) fn freshen(&mut self, s: &Settings) {
        if self.stale {
            let (m, sd) = s.effective(&self.window);
            self.mean = m;
            self.sd = sd;
            if self.qos.as_ref().is_some_and(|q| q.due(self.window.len())) {
                self.rederive(s);
            }
            self.suspect_base_ns = to_ns(s.estimator.elapsed_for_y(self.lv.y_suspect, m, sd));
            self.fail_base_ns = to_ns(s.estimator.elapsed_for_y(self.lv.y_fail, m, sd));
            self.stale = false;
        }
    }

    /// Derives the node's levels from its QoS targets on the current window (`mean` and `sd`
    /// already computed). O(window); called by [`Node::freshen`] when a derivation is due.
    #[cold]
    fn rederive(&mut self, s: &Settings) {
        let Some(q) = self.qos.as_deref_mut() else { return };
        let w = WindowView {
            samples_us: self.window.samples_unordered(),
            mu_ns: self.window.mean_ns(),
            mean_ns: self.mean,
            sd_ns: self.sd,
        };
        let tail = q.log_tail(self.window.len());
        // Watched for at least what the long memory has seen and what the window holds (a node
        // switched to QoS brings its window's history).
        let age = q.log.age_ns().max(self.window.sum().saturating_mul(1_000));
        let d = crate::qos::derive(s, &q.targets, &w, tail.as_ref(), q.ratio, age);
        q.last = Some(d);
        q.since_fit = 0;
        let lv = Levels::from_y(s, d.threshold, d.suspect_threshold, d.y_fail, d.y_suspect);
        *Arc::make_mut(&mut self.lv) = lv;
    }

    /// Judges the node by levels `lv` from now on (history kept); `qos` replaces its QoS state.
    /// The deadlines follow at the next evaluation.
    pub(crate) fn retune(&mut self, lv: Arc<Levels>, qos: Option<Box<QosState>>, s: &Settings) {
        self.lv = lv;
        self.qos = qos;
        self.stale = true;
        if self.qos.is_some() {
            self.freshen(s);
        }
    }

    /// Judges the node by QoS targets `t` from now on, history kept (and what a previous QoS
    /// state measured: loss counters, gap log), starting from a copy of levels `start`; `ratio` is
    /// the suspect / threshold ratio the derived levels keep.
    pub(crate) fn retune_qos(&mut self, t: QosTargets, ratio: f64, start: &Levels, s: &Settings) {
        let mut state = QosState::new(t, ratio);
        if let Some(old) = self.qos.as_deref() {
            state.keep_history(old);
        }
        self.retune(Arc::new(start.clone()), Some(Box::new(state)), s);
    }

    /// The unscaled suspect deadline (silence, ns) of the current window.
    #[inline]
    fn suspect_base(&self, s: &Settings) -> u64 {
        if self.stale {
            self.silence_for_y(self.lv.y_suspect, s)
        } else {
            self.suspect_base_ns
        }
    }

    /// The unscaled failure deadline (silence, ns) of the current window.
    #[inline]
    pub(crate) fn fail_base(&self, s: &Settings) -> u64 {
        if self.stale {
            self.silence_for_y(self.lv.y_fail, s)
        } else {
            self.fail_base_ns
        }
    }

    /// True only if a silence of `elapsed_ns` is certainly shorter than every deadline of the
    /// node (suspect and failure, unscaled and as scaled by `c`), decided from the window's
    /// integer sums with multiplications only: no division, no square root. `false` means
    /// "compute the deadlines and compare exactly" (it is never a wrong "true").
    ///
    /// Why it is sound: each deadline is the ceiling of `mean_eff + y * sd` (location-scale
    /// models) or `y * mean_eff` (exponential), where `mean_eff >= Σx·1000/n + pause` and
    /// `sd >= min_sd`, each up to a few roundings of relative size 2^-53; the test below
    /// compares `elapsed * n` against `n` times that lower bound shrunk by a margin of 2^-30,
    /// which covers every rounding involved. Scaling by the local-health stretch (>= 1) never
    /// shortens a deadline; confirmations can, so a node with reports never takes this path.
    #[inline]
    fn surely_before_deadlines(&self, elapsed_ns: u64, c: &Ctx<'_>) -> bool {
        let s = c.s;
        // Written as `>=` tests so that NaN also answers "no".
        let y = self.lv.y_min;
        let usable = c.stretch >= 1.0 && y >= 0.0;
        if !usable || !self.has_arrival || self.reports.is_some() || self.window.is_empty() {
            return false;
        }
        let n = f64::from(self.window.len());
        let a = u64_to_f64(self.window.sum()) * 1_000.0;
        let pause = u64_to_f64(s.acceptable_pause_ns);
        let bound_times_n = match s.estimator {
            crate::estimator::Estimator::Exponential => y * (a + pause * n),
            _ => a + (pause + y * u64_to_f64(s.min_std_deviation_ns)) * n,
        };
        u64_to_f64(elapsed_ns) * n < bound_times_n * (1.0 - 1.0 / 1_073_741_824.0)
    }

    /// Whether an interval of `interval_ns` is a burst: shorter than `burst_fraction` of the
    /// window's mean. Exactly `interval < burst_fraction * mean`; the division behind the mean
    /// is skipped when a comparison of products with a 2^-30 margin already says "no".
    #[inline]
    fn is_burst(&self, interval_ns: u64, s: &Settings) -> bool {
        let x = u64_to_f64(interval_ns);
        let n = f64::from(self.window.len());
        let a = u64_to_f64(self.window.sum()) * 1_000.0;
        if x * n >= s.burst_fraction * a * (1.0 + 1.0 / 1_073_741_824.0) {
            return false;
        }
        x < s.burst_fraction * self.window.mean_ns()
    }

    /// phi at `now_ns` (the model's value: local health and confirmations
    /// change deadlines, not phi). Before the first heartbeat, phi is computed
    /// from the seed history since registration. Time before the last arrival
    /// counts as zero silence.
    pub(crate) fn phi(&self, now_ns: u64, s: &Settings) -> f64 {
        let elapsed = u64_to_f64(now_ns.saturating_sub(self.last_ns));
        let (mean, sd) = self.effective_mean_sd(s);
        s.estimator.phi(elapsed, mean, sd)
    }

    /// Silence (ns after the last arrival) at which phi reaches the level whose
    /// standardised value is `y`, rounded up to whole nanoseconds.
    pub(crate) fn silence_for_y(&self, y: f64, s: &Settings) -> u64 {
        let (mean, sd) = self.effective_mean_sd(s);
        to_ns(s.estimator.elapsed_for_y(y, mean, sd))
    }

    /// The factor confirmations apply to deadlines: Lifeguard's
    /// `max(min, max - (max - min) * ln(n + 1) / ln(k + 1))` divided by `max`.
    pub(crate) fn confirmation_factor(&self, s: &Settings) -> f64 {
        let n = self.confirmations();
        if n == 0 {
            return 1.0;
        }
        let k = f64::from(s.confirmations_expected);
        let r = s.confirmation_min_ratio;
        let f = 1.0 - (1.0 - r) * (f64::from(n) + 1.0).ln() / (k + 1.0).ln();
        f.max(r)
    }

    fn scaled(&self, base: u64, c: &Ctx<'_>) -> u64 {
        let f = c.stretch * self.confirmation_factor(c.s);
        if f == 1.0 {
            base
        } else {
            to_ns(base as f64 * f)
        }
    }

    /// Silence after which the node is FAILED (for a node without a heartbeat:
    /// after registration, the first-heartbeat timeout), after local health and
    /// confirmations.
    pub fn fail_after_ns(&self, c: &Ctx<'_>) -> u64 {
        let base = if self.has_arrival {
            self.fail_base(c.s)
        } else {
            c.s.first_heartbeat_timeout_ns
        };
        self.scaled(base, c)
    }

    /// Silence after which the node is SUSPECT (nodes without a heartbeat skip SUSPECT).
    pub fn suspect_after_ns(&self, c: &Ctx<'_>) -> u64 {
        let base = if self.has_arrival {
            self.suspect_base(c.s)
        } else {
            c.s.first_heartbeat_timeout_ns
        };
        self.scaled(base, c)
    }

    /// When a conviction due at `deadline_ns` takes effect: at once, unless the
    /// deadline falls inside the last local pause or its grace period, in which
    /// case it waits for the grace period to end.
    fn conviction_at(deadline_ns: u64, p: &Pause) -> u64 {
        if p.grace_until_ns > 0 && deadline_ns >= p.start_ns && deadline_ns < p.grace_until_ns {
            p.grace_until_ns
        } else {
            deadline_ns
        }
    }

    /// The state at `now_ns` by silence alone, without changing anything.
    pub fn state_at(&self, now_ns: u64, c: &Ctx<'_>) -> State {
        if self.state == State::Failed {
            return State::Failed;
        }
        // A deadline beyond the end of the clock never comes.
        let fail_at = self
            .last_ns
            .checked_add(self.fail_after_ns(c))
            .map(|d| Self::conviction_at(d, &c.pause));
        if fail_at.is_some_and(|f| now_ns >= f) {
            State::Failed
        } else if self.has_arrival
            && self.state == State::Alive
            && now_ns.saturating_sub(self.last_ns) >= self.suspect_after_ns(c)
        {
            State::Suspect
        } else {
            self.state
        }
    }

    /// Advances the state to `now_ns` by silence alone (never down), pushing
    /// the transitions with the instants they happened.
    pub fn evaluate(&mut self, now_ns: u64, c: &Ctx<'_>, out: &mut Vec<Event>) {
        if self.state == State::Failed {
            return;
        }
        if self.stale {
            if self.surely_before_deadlines(now_ns.saturating_sub(self.last_ns), c) {
                return;
            }
            self.freshen(c.s);
        }
        let fail_after = self.fail_after_ns(c);
        if self.has_arrival && self.state == State::Alive {
            let suspect_after = self.suspect_after_ns(c);
            if let Some(at) = self.last_ns.checked_add(suspect_after) {
                if now_ns >= at && suspect_after < fail_after {
                    self.transition(EventKind::StateChanged, State::Suspect, at, c.s, out);
                }
            }
        }
        // A deadline beyond the end of the clock never comes.
        if let Some(fail_at) = self
            .last_ns
            .checked_add(fail_after)
            .map(|d| Self::conviction_at(d, &c.pause))
        {
            if now_ns >= fail_at {
                self.transition(EventKind::StateChanged, State::Failed, fail_at, c.s, out);
            }
        }
    }

    fn transition(&mut self, kind: EventKind, to: State, at_ns: u64, s: &Settings, out: &mut Vec<Event>) {
        let from = self.state;
        if from == to && kind == EventKind::StateChanged {
            return;
        }
        self.state = to;
        self.freshen(s);
        out.push(Event {
            node: self.id,
            kind,
            from,
            to,
            phi: self.phi(at_ns, s),
            generation: self.generation,
            time_ns: at_ns,
        });
    }

    /// Records a peer's report that it suspects this node. Duplicate reports
    /// from one reporter count once; at most `confirmations_expected` distinct
    /// reporters are kept (more would not shorten anything further).
    pub(crate) fn report_suspect(&mut self, reporter: u64, s: &Settings) {
        let k = s.confirmations_expected as usize;
        let r = self.reports.get_or_insert_with(Box::default);
        if r.reporters.len() < k && !r.reporters.contains(&reporter) {
            r.reporters.push(reporter);
        }
    }

    /// Records an arrival of `generation` (and heartbeat `version`, if the
    /// sender numbers its heartbeats) at `now_ns`, pushing transitions.
    pub fn arrive(
        &mut self,
        generation: u64,
        version: Option<u64>,
        now_ns: u64,
        c: &Ctx<'_>,
        out: &mut Vec<Event>,
    ) -> Arrival {
        let s = c.s;
        if generation < self.generation {
            return Arrival::Stale(self.generation);
        }
        if generation > self.generation && self.has_arrival {
            // A new incarnation: forget the old history; the gap across the
            // restart is never learned.
            self.generation = generation;
            self.version = version.unwrap_or(0);
            s.seed(&mut self.window);
            self.refresh();
            if let Some(q) = self.qos.as_deref_mut() {
                // A new incarnation: derive again from the seed history.
                q.last = None;
                q.since_fit = 0;
            }
            self.per_version_ns = s.heartbeat_interval_ns as f64;
            self.reports = None;
            self.last_ns = now_ns;
            self.has_arrival = true;
            self.recovery_left = 0;
            self.transition(EventKind::Restarted, State::Alive, now_ns, s, out);
            return Arrival::Accepted;
        }
        if !self.has_arrival {
            // The first heartbeat: a registration's generation was only a guess, so a higher one
            // here is adopted as the first incarnation seen, not reported as a restart.
            self.generation = generation;
            self.has_arrival = true;
            self.version = version.unwrap_or(0);
            self.last_ns = now_ns;
            self.recovery_left = 0;
            self.reports = None;
            self.transition(EventKind::StateChanged, State::Alive, now_ns, s, out);
            return Arrival::Accepted;
        }
        let steps = match version {
            None => 1,
            Some(v) if v > self.version => v - self.version,
            Some(_) => return Arrival::Duplicate,
        };
        self.version = self.version.saturating_add(steps);
        if now_ns < self.last_ns {
            // Time went backwards (or arrivals were recorded out of order): the
            // later arrival already counted; never learn a negative interval.
            return Arrival::Accepted;
        }
        let interval = now_ns - self.last_ns;
        // Catch up with transitions that silence caused since the last poll. When the interval is
        // certainly below every deadline there is none, and it is below the failure deadline.
        let early = self.stale && self.surely_before_deadlines(interval, c);
        if !early {
            self.evaluate(now_ns, c, out);
        }
        let learned = self.learns(interval, now_ns, early, c);
        if learned {
            self.window.push(ns_to_sample(interval));
            self.refresh();
            // Dividing by one is exact: skip the division in the common case of consecutive versions.
            let per_version = if steps == 1 {
                interval as f64
            } else {
                interval as f64 / steps as f64
            };
            self.per_version_ns += (per_version - self.per_version_ns) * PER_VERSION_ALPHA;
        }
        if let Some(q) = self.qos.as_deref_mut() {
            // A QoS node derives its levels again every so many learned intervals, at the arrival
            // that completes them (so the poll's due instant below is computed with the new ones).
            q.note_arrival(steps, learned);
            // The long memory takes every gap between counted arrivals (past the deadline, across
            // lost heartbeats) except one overlapping a local pause of this process.
            if !c.pause.overlaps(self.last_ns, now_ns) {
                q.log.note(interval, now_ns);
            }
            if q.due(self.window.len()) {
                self.freshen(s);
            }
        }
        self.last_ns = now_ns;
        self.reports = None; // a newer heartbeat refutes every suspicion
        match self.state {
            State::Failed => {
                let need = u8::try_from(s.recovery_heartbeats).unwrap_or(u8::MAX);
                if need <= 1 {
                    self.transition(EventKind::StateChanged, State::Alive, now_ns, s, out);
                } else {
                    self.recovery_left = need - 1;
                    self.transition(EventKind::StateChanged, State::Suspect, now_ns, s, out);
                }
            }
            State::Suspect => {
                self.recovery_left = self.recovery_left.saturating_sub(1);
                if self.recovery_left == 0 {
                    self.transition(EventKind::StateChanged, State::Alive, now_ns, s, out);
                }
            }
            State::Alive | State::Unknown => {}
        }
        Arrival::Accepted
    }

    /// Whether the interval ending now is a sample of the sender's behaviour.
    /// Not learned: an interval after which phi had reached the threshold
    /// (Akka's rule, normal models), one longer than the max interval
    /// (Cassandra's rule), one that overlaps a local pause of this process,
    /// and one shorter than `burst_fraction` of the mean (a burst delivered
    /// after a pause somewhere: near-zero intervals would drag the mean down
    /// and inflate the variance).
    /// `early`: the interval is already known to be below every deadline.
    fn learns(&self, interval: u64, now_ns: u64, early: bool, c: &Ctx<'_>) -> bool {
        let s = c.s;
        // A QoS node learns the intervals past its deadline too: they are the wrong declarations
        // its derivation must see (docs/qos.md).
        let below_threshold = match s.estimator {
            crate::estimator::Estimator::Exponential => true,
            _ => early || interval < self.fail_base(s) || self.qos.is_some(),
        };
        let within_max = s.max_interval_ns.is_none_or(|m| interval <= m);
        below_threshold && within_max && !c.pause.overlaps(self.last_ns, now_ns) && !self.is_burst(interval, s)
    }

    /// A lower bound of the instant (ns) at which silence alone could change this node's state:
    /// `evaluate(now)` before it never produces an event and changes nothing a caller can see
    /// (at most it computes cached statistics), so a poll may skip the node without locking it.
    /// `u64::MAX`: never (FAILED, or every deadline beyond the end of the clock).
    ///
    /// Conservative by construction: the local-health stretch (>= 1) and a pause's grace period
    /// only delay a conviction and are left out; confirmations shorten deadlines and are applied
    /// (the same factor, rounded the same way, without the stretch); the earlier of the suspect
    /// and failure deadlines is taken whatever the state; when the statistics are stale, the
    /// deadline is bounded below from the window's integer sums without a square root (see
    /// [`DueBound`]); and the result is lowered by a further 2^-20 relative plus 1 ns to cover
    /// every rounding on the way.
    #[inline]
    pub(crate) fn silence_due_ns(&mut self, s: &Settings) -> u64 {
        if self.state == State::Failed {
            return u64::MAX;
        }
        let d = &self.lv.due;
        // The heartbeat's case, kept short (it runs while the node's lock is held): a full
        // window, no confirmations, statistics not computed: one multiply-add and a conversion.
        if self.stale && self.has_arrival && self.reports.is_none() && d.usable && self.window.len() == d.capacity {
            let b = u64_to_f64(self.window.sum()) * d.k_full + d.c;
            // `as i64` saturates and truncates (a further lowering); NaN gives 0 (evaluate at once).
            let b = (b as i64).max(0) as u64;
            return self.last_ns.saturating_add(b);
        }
        let base = if !self.has_arrival {
            s.first_heartbeat_timeout_ns
        } else if self.stale && d.usable && !self.window.is_empty() {
            let n = f64::from(self.window.len());
            let b = u64_to_f64(self.window.sum()) * (d.k_full * f64::from(d.capacity) / n) + d.c;
            (b as i64).max(0) as u64
        } else {
            self.freshen(s);
            self.suspect_base_ns.min(self.fail_base_ns)
        };
        let f = self.confirmation_factor(s);
        let scaled = if f == 1.0 { base } else { to_ns(base as f64 * f) };
        let margin = (scaled >> 20) + 1;
        self.last_ns.saturating_add(scaled.saturating_sub(margin))
    }

    /// Bytes this node occupies on the heap (its samples and reports).
    pub fn heap_bytes(&self) -> usize {
        self.window.heap_bytes() + self.reports.as_ref().map_or(0, |r| 24 + r.reporters.capacity() * 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::estimator::Estimator;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn settings(est: Estimator, window: u64, min_sd: u64, pause: u64) -> Settings {
        let mut c = Config::new();
        c.set_estimator(est);
        c.set_window(window).unwrap();
        c.set_min_std_deviation_ns(min_sd).unwrap();
        c.set_acceptable_pause_ns(pause).unwrap();
        c.resolve().unwrap()
    }

    /// The lazy statistics (and the division-free early test) must give bit for bit what an
    /// eager recomputation after every change gives: same events (phi bits included), same
    /// windows, same phi and deadlines. The eager twin is freshened after every call, so it
    /// never takes the early path. Intervals are drawn around the mean, far past it, as bursts,
    /// and exactly at the eager twin's deadlines and one nanosecond either side of them.
    #[test]
    fn lazy_statistics_equal_eager_ones_bit_for_bit() {
        let configs = [
            settings(Estimator::Akka, 1000, 100_000_000, 0),
            settings(Estimator::Akka, 5, 1_000_000, 0),
            settings(Estimator::Normal, 50, 10_000_000, 250_000_000),
            settings(Estimator::Exponential, 20, 100_000_000, 30_000_000),
        ];
        for (ci, s) in configs.iter().enumerate() {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (ci as u64 + 1));
            let mut lazy = Node::registered(1, 1, 0, s);
            let mut eager = lazy.clone();
            let (mut ev_l, mut ev_e) = (Vec::new(), Vec::new());
            let mut t = 0u64;
            let mut early_seen = 0u32;
            for step in 0..20_000u32 {
                let stretch = if step % 997 < 50 { 2.0 } else { 1.0 };
                let c = Ctx {
                    s,
                    stretch,
                    pause: Pause::default(),
                };
                let r = rng.next();
                let suspect = eager.suspect_after_ns(&c);
                let fail = eager.fail_after_ns(&c);
                let interval = match r % 10 {
                    0 => suspect.saturating_add(r / 10 % 3).saturating_sub(1),
                    1 => fail.saturating_add(r / 10 % 3).saturating_sub(1),
                    2 => r / 10 % 300_000_000,                   // bursts
                    3 => 1_000_000_000 + r / 10 % 4_000_000_000, // long silences
                    _ => 900_000_000 + r / 10 % 200_000_000,
                };
                t += interval.max(1);
                if r.is_multiple_of(7) {
                    // A poll between heartbeats.
                    let q = t - interval.max(1) / 2;
                    lazy.evaluate(q, &c, &mut ev_l);
                    eager.evaluate(q, &c, &mut ev_e);
                    eager.freshen(s);
                }
                if r.is_multiple_of(101) {
                    lazy.report_suspect(r, s);
                    eager.report_suspect(r, s);
                }
                if lazy.stale && lazy.surely_before_deadlines(interval, &c) {
                    early_seen += 1;
                }
                let gen = if r % 5000 == 3 {
                    lazy.generation + 1
                } else {
                    lazy.generation
                };
                let a = lazy.arrive(gen, None, t, &c, &mut ev_l);
                let b = eager.arrive(gen, None, t, &c, &mut ev_e);
                eager.freshen(s);
                assert_eq!(a, b);
                assert_eq!(
                    lazy.window.samples_oldest_first(),
                    eager.window.samples_oldest_first(),
                    "step {step}"
                );
                assert_eq!(lazy.state, eager.state, "config {ci} step {step}");
                let q = t + r % 3_000_000_000;
                assert_eq!(lazy.phi(q, s).to_bits(), eager.phi(q, s).to_bits());
                assert_eq!(lazy.fail_after_ns(&c), eager.fail_after_ns(&c));
                assert_eq!(lazy.suspect_after_ns(&c), eager.suspect_after_ns(&c));
                assert_eq!(lazy.per_version_ns.to_bits(), eager.per_version_ns.to_bits());
            }
            assert_eq!(ev_l.len(), ev_e.len(), "config {ci}");
            for (x, y) in ev_l.iter().zip(&ev_e) {
                assert_eq!(
                    (x.kind, x.from, x.to, x.time_ns, x.phi.to_bits()),
                    (y.kind, y.from, y.to, y.time_ns, y.phi.to_bits())
                );
            }
            assert!(
                ev_l.len() > 100,
                "the stream must cross deadlines (config {ci}: {} events)",
                ev_l.len()
            );
            assert!(
                early_seen > 1000,
                "the early path must be exercised (config {ci}: {early_seen})"
            );
        }
    }

    #[test]
    fn early_test_never_claims_a_silence_at_or_past_a_deadline() {
        let s = settings(Estimator::Akka, 10, 1_000_000, 0);
        let c = Ctx {
            s: &s,
            stretch: 1.0,
            pause: Pause::default(),
        };
        let mut n = Node::registered(1, 1, 0, &s);
        let mut out = Vec::new();
        let mut t = 0;
        for i in 0..30u64 {
            t += 1_000_000_000 + (i % 3) * 1_000_000;
            n.arrive(1, None, t, &c, &mut out);
        }
        assert!(n.stale);
        let d = n.suspect_base(&s);
        assert!(!n.surely_before_deadlines(d, &c));
        assert!(!n.surely_before_deadlines(d + 1, &c));
        // Far below the deadline (half of it) the early test must answer yes.
        assert!(n.surely_before_deadlines(d / 2, &c));
    }

    /// The poll skips a node while `now < silence_due_ns()`: that is only sound if no evaluation
    /// before that instant produces an event. Checked on irregular streams with confirmations,
    /// restarts, local-health stretches and pauses, for every estimator, at the due instant
    /// minus one and against the instant of the first event silence produces (found by
    /// evaluating a copy far in the future): the due instant is never later than that event.
    #[test]
    fn silence_due_is_never_after_the_first_silence_event() {
        let configs = [
            settings(Estimator::Akka, 1000, 100_000_000, 0),
            settings(Estimator::Akka, 5, 1_000_000, 0),
            settings(Estimator::Normal, 50, 10_000_000, 250_000_000),
            settings(Estimator::Exponential, 20, 100_000_000, 30_000_000),
        ];
        let mut checked_tight = 0u32;
        for (ci, s) in configs.iter().enumerate() {
            let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (ci as u64 + 7));
            let mut n = Node::registered(1, 1, 1_000, s);
            let mut out = Vec::new();
            let mut t = 1_000u64;
            for step in 0..5_000u32 {
                let r = rng.next();
                let c = Ctx {
                    s,
                    stretch: if r % 13 == 0 { 3.0 } else { 1.0 },
                    pause: if r % 17 == 0 {
                        Pause {
                            start_ns: t,
                            end_ns: t + 5_000_000_000,
                            grace_until_ns: t + 9_000_000_000,
                        }
                    } else {
                        Pause::default()
                    },
                };
                // Before the stream starts, and now and then after it, the node is UNKNOWN or
                // silent long enough to be FAILED.
                let due = n.silence_due_ns(s);
                // The same node with its statistics computed: the exact deadlines.
                let mut fresh = n.clone();
                fresh.freshen(s);
                let due_fresh = fresh.silence_due_ns(s);
                assert!(
                    due <= due_fresh,
                    "config {ci} step {step}: the stale bound is the lower one"
                );
                let mut probe = n.clone();
                let mut ev = Vec::new();
                probe.evaluate(u64::MAX - 1, &c, &mut ev);
                if let Some(first) = ev.first() {
                    assert!(
                        due_fresh <= first.time_ns,
                        "config {ci} step {step}: due {due_fresh} after event {first:?}"
                    );
                    let silence = first.time_ns - n.last_ns;
                    if first.time_ns - due_fresh <= silence / 100_000 + 10 {
                        checked_tight += 1;
                    }
                } else {
                    assert_eq!(
                        n.state,
                        State::Failed,
                        "config {ci} step {step}: only FAILED never changes"
                    );
                }
                if due > 0 {
                    let mut probe = n.clone();
                    let mut ev = Vec::new();
                    probe.evaluate(due - 1, &c, &mut ev);
                    assert!(ev.is_empty(), "config {ci} step {step}: event before due: {ev:?}");
                }
                if r % 11 == 0 {
                    n.report_suspect(r >> 8, s);
                }
                let interval = match r % 8 {
                    0 => 20_000_000_000 + r % 1_000_000_000,
                    1 => r % 300_000_000,
                    _ => 900_000_000 + (r >> 16) % 200_000_000,
                };
                t += interval;
                let gen = if r % 997 == 5 { n.generation + 1 } else { n.generation };
                n.arrive(gen, None, t, &c, &mut out);
            }
        }
        assert!(
            checked_tight > 1_000,
            "the bound must be tight when fresh ({checked_tight})"
        );
    }

    #[test]
    fn node_record_is_not_padded_to_16_bytes() {
        // The window's sums are stored as 64-bit halves so that no field needs 16-byte alignment.
        assert_eq!(std::mem::align_of::<Node>(), 8);
        // 144 B before issue 18, plus the levels' pointer and the QoS state's (8 B each).
        assert!(std::mem::size_of::<Node>() <= 160, "{}", std::mem::size_of::<Node>());
    }
}
