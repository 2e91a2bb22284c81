//! One monitored peer: its history, generation and state machine.
//!
//! States move up (ALIVE → SUSPECT → FAILED) when the silence since the last
//! arrival reaches the deadline of a threshold, and down only on arrivals:
//! a SUSPECT node is ALIVE again at its next heartbeat; a FAILED node is
//! SUSPECT at its first heartbeat and ALIVE after `recovery_heartbeats`
//! consecutive ones (the hysteresis that stops flapping). A new generation is
//! a new incarnation: the history restarts and the node is ALIVE at once.

use crate::config::Settings;
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
    /// Generation lower than the node's: nothing changed. Carries the current generation.
    Stale(u64),
}

/// Per-node record. Kept small: about 128 bytes plus the window's samples.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) id: u64,
    pub(crate) generation: u64,
    /// Last arrival, or the registration time while `state == Unknown` / no arrival yet.
    pub(crate) last_ns: u64,
    /// Effective mean and sd (ns) of the current window; cached at each change.
    pub(crate) mean: f64,
    pub(crate) sd: f64,
    pub(crate) window: Window,
    pub(crate) state: State,
    pub(crate) has_arrival: bool,
    /// Heartbeats still needed to leave recovery (0: not recovering).
    pub(crate) recovery_left: u8,
}

impl Node {
    /// A node registered at `now_ns` without a heartbeat (UNKNOWN).
    pub fn registered(id: u64, generation: u64, now_ns: u64, s: &Settings) -> Node {
        let window = s.seed_window();
        let (mean, sd) = s.effective(&window);
        Node { id, generation, last_ns: now_ns, mean, sd, window, state: State::Unknown, has_arrival: false, recovery_left: 0 }
    }

    /// Node id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Current generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Current state (as of the last evaluation).
    pub fn state(&self) -> State {
        self.state
    }

    /// Last arrival time, if any.
    pub fn last_arrival_ns(&self) -> Option<u64> {
        self.has_arrival.then_some(self.last_ns)
    }

    /// The window of learned intervals.
    pub fn window(&self) -> &Window {
        &self.window
    }

    /// Effective mean (ns, including the acceptable pause) and sd (ns, floored).
    pub fn effective_mean_sd(&self) -> (f64, f64) {
        (self.mean, self.sd)
    }

    fn refresh(&mut self, s: &Settings) {
        let (m, sd) = s.effective(&self.window);
        self.mean = m;
        self.sd = sd;
    }

    /// phi at `now_ns`. Before the first heartbeat, phi is computed from the
    /// seed history as if the registration were an arrival. Time before the
    /// last arrival counts as zero silence.
    pub fn phi(&self, now_ns: u64, s: &Settings) -> f64 {
        let elapsed = now_ns.saturating_sub(self.last_ns) as f64;
        s.estimator.phi(elapsed, self.mean, self.sd)
    }

    /// Silence (ns after the last arrival) at which phi reaches the level whose
    /// standardised value is `y`, rounded up to whole nanoseconds.
    pub fn silence_for_y(&self, y: f64, s: &Settings) -> u64 {
        let e = s.estimator.elapsed_for_y(y, self.mean, self.sd).ceil();
        if e.is_nan() || e <= 0.0 {
            0
        } else if e >= u64::MAX as f64 {
            u64::MAX
        } else {
            e as u64
        }
    }

    /// Silence after which the node is FAILED (for an UNKNOWN node: after
    /// registration, the first-heartbeat timeout).
    pub fn fail_after_ns(&self, s: &Settings) -> u64 {
        if self.has_arrival {
            self.silence_for_y(s.y_fail, s)
        } else {
            s.first_heartbeat_timeout_ns
        }
    }

    /// Silence after which the node is SUSPECT (UNKNOWN nodes skip SUSPECT).
    pub fn suspect_after_ns(&self, s: &Settings) -> u64 {
        if self.has_arrival {
            self.silence_for_y(s.y_suspect, s)
        } else {
            s.first_heartbeat_timeout_ns
        }
    }

    /// The state at `now_ns` by silence alone, without changing anything.
    pub fn state_at(&self, now_ns: u64, s: &Settings) -> State {
        if self.state == State::Failed {
            return State::Failed;
        }
        let silence = now_ns.saturating_sub(self.last_ns);
        if silence >= self.fail_after_ns(s) {
            State::Failed
        } else if self.has_arrival && self.state == State::Alive && silence >= self.suspect_after_ns(s) {
            State::Suspect
        } else {
            self.state
        }
    }

    /// Advances the state to `now_ns` by silence alone (never down), pushing
    /// the transitions with the instants they happened.
    pub fn evaluate(&mut self, now_ns: u64, s: &Settings, out: &mut Vec<Event>) {
        if self.state == State::Failed {
            return;
        }
        let silence = now_ns.saturating_sub(self.last_ns);
        let fail_after = self.fail_after_ns(s);
        if self.has_arrival && self.state == State::Alive {
            let suspect_after = self.suspect_after_ns(s);
            if silence >= suspect_after && suspect_after < fail_after {
                self.transition(EventKind::StateChanged, State::Suspect, self.last_ns.saturating_add(suspect_after), s, out);
            }
        }
        if silence >= fail_after {
            self.transition(EventKind::StateChanged, State::Failed, self.last_ns.saturating_add(fail_after), s, out);
        }
    }

    fn transition(&mut self, kind: EventKind, to: State, at_ns: u64, s: &Settings, out: &mut Vec<Event>) {
        let from = self.state;
        if from == to && kind == EventKind::StateChanged {
            return;
        }
        self.state = to;
        out.push(Event { node: self.id, kind, from, to, phi: self.phi(at_ns, s), generation: self.generation, time_ns: at_ns });
    }

    /// Records an arrival of `generation` at `now_ns`, pushing transitions.
    pub fn arrive(&mut self, generation: u64, now_ns: u64, s: &Settings, out: &mut Vec<Event>) -> Arrival {
        if generation < self.generation {
            return Arrival::Stale(self.generation);
        }
        if generation > self.generation {
            // A new incarnation: forget the old history; the gap across the
            // restart is never learned.
            self.generation = generation;
            s.seed(&mut self.window);
            self.refresh(s);
            self.last_ns = now_ns;
            self.has_arrival = true;
            self.recovery_left = 0;
            self.transition(EventKind::Restarted, State::Alive, now_ns, s, out);
            return Arrival::Accepted;
        }
        if !self.has_arrival {
            self.has_arrival = true;
            self.last_ns = now_ns;
            self.recovery_left = 0;
            self.transition(EventKind::StateChanged, State::Alive, now_ns, s, out);
            return Arrival::Accepted;
        }
        if now_ns < self.last_ns {
            // Time went backwards (or arrivals were recorded out of order): the
            // later arrival already counted; never learn a negative interval.
            return Arrival::Accepted;
        }
        // Catch up with transitions that silence caused since the last poll.
        self.evaluate(now_ns, s, out);
        let interval = now_ns - self.last_ns;
        let below_threshold = interval < self.fail_after_ns(s);
        let learn = match s.estimator {
            crate::estimator::Estimator::Exponential => true,
            _ => below_threshold,
        } && s.max_interval_ns.map_or(true, |m| interval <= m);
        if learn {
            self.window.push(ns_to_sample(interval));
            self.refresh(s);
        }
        self.last_ns = now_ns;
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

    /// Bytes this node occupies on the heap (its samples).
    pub fn heap_bytes(&self) -> usize {
        self.window.heap_bytes()
    }
}
