//! The monitor: many nodes, each behind its own lock, found through an index that lookups
//! only read.
//!
//! Nodes live in `SHARDS` shards chosen by a hash of the node id (computed once per call).
//! Each shard (`crate::shard`) keeps its node records in an arena of slots that never move,
//! each slot its own mutex, and an open-addressing id index of atomic entries that only
//! registrations and removals write (under the shard's writer mutex). A heartbeat, phi, node
//! info or suspicion report therefore loads a few read-mostly words and locks only its node's
//! record: two threads working on different nodes write no common cache line, and no reader
//! makes a writer of another node wait. Every operation on one node is O(1) (the window keeps
//! running sums).
//!
//! A poll walks the slots and reads each one's "due" instant without locking (the earliest
//! time silence could change the node's state, kept conservative, see
//! `Node::silence_due_ns`); it locks a node, for that node's evaluation only, once the
//! instant has come. So a heartbeat never waits behind other nodes' evaluations.
//!
//! Transitions go to one event queue (a separate mutex, touched only when a transition
//! happens), drained by [`Monitor::poll`]. They are queued while the node's lock is held, so
//! the events of one node enter the queue in the order they happened to it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::config::{Config, Membership, Settings};
use crate::error::{Error, Result, Status};
use crate::generation::MAX_GENERATION;
use crate::node::{Arrival, Ctx, Event, Levels, Node, Pause, State};
use crate::qos::{QosReport, QosState, QosTargets, TailFit, WindowView};
use crate::selfwatch::SelfWatch;
use crate::shard::{Shard, Slot};

/// Number of shards (a power of two). Shards spread registrations (each has its own writer
/// mutex) and keep each index small; lookups and node operations never lock a shard.
pub const SHARDS: usize = 64;
pub use crate::selfwatch::CADENCE_POLLS;
/// Most events kept between polls; beyond it the oldest are dropped and counted.
pub const EVENT_QUEUE_CAPACITY: usize = 1 << 20;

/// The id hash: a multiply-xorshift mixer (splitmix64's finaliser), so sequential ids spread
/// evenly. Its top 6 bits choose the shard, the next 26 the index position within it.
#[inline]
pub(crate) fn mix(id: u64) -> u64 {
    let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A shard on its own cache lines (its writer mutex is written by registrations only).
#[repr(align(64))]
#[derive(Default)]
struct PaddedShard(Shard);

struct EventQueue {
    events: VecDeque<Event>,
    dropped: u64,
}

/// A snapshot of one node's statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeInfo {
    /// Node id.
    pub node: u64,
    /// State after evaluating at the query time.
    pub state: State,
    /// phi at the query time.
    pub phi: f64,
    /// Current generation.
    pub generation: u64,
    /// Last arrival (ns), or `None` before the first heartbeat.
    pub last_arrival_ns: Option<u64>,
    /// Registration time or last arrival (what silence is measured from), ns.
    pub silence_origin_ns: u64,
    /// Samples in the window (including the seed samples).
    pub samples: u32,
    /// Mean of the window, ns (without the acceptable pause).
    pub mean_ns: f64,
    /// Standard deviation of the window, ns (population, before the floor).
    pub sd_ns: f64,
    /// Silence after the last arrival at which the node becomes SUSPECT, ns.
    pub suspect_after_ns: u64,
    /// Silence after the last arrival at which the node becomes FAILED, ns
    /// (after local health and confirmations).
    pub fail_after_ns: u64,
    /// Highest heartbeat version seen in the current generation.
    pub version: u64,
    /// The sender's own heartbeat interval estimate, ns (smoothed time between counted arrivals per heartbeat version).
    pub heartbeat_interval_ns: f64,
    /// Distinct peers currently reporting the node as suspect.
    pub confirmations: u32,
}

impl NodeInfo {
    /// Time left at `now_ns` before the node is FAILED if no heartbeat arrives,
    /// ns (0 once the deadline has passed). Ignores a grace period after a local pause.
    pub fn time_until_failure_ns(&self, now_ns: u64) -> u64 {
        self.silence_origin_ns
            .saturating_add(self.fail_after_ns)
            .saturating_sub(now_ns)
    }
}

/// A class of rejected input, each with its own counter in [`MonitorStats`] (so an operator
/// can tell a flood or a forgery from ordinary loss).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Rejection {
    /// A heartbeat or registration of an unknown id while `max_nodes` nodes were monitored.
    OverCapacity = 0,
    /// A heartbeat from an id not registered with `add_node` under fixed membership.
    UnknownNode = 1,
    /// A generation (or datagram term) above [`crate::generation::MAX_GENERATION`].
    BadGeneration = 2,
    /// Bytes that are not a valid datagram.
    Malformed = 3,
    /// An authenticated datagram whose MAC does not verify.
    BadMac = 4,
    /// An authenticated datagram naming a key id the keyring does not hold.
    UnknownKey = 5,
    /// An authenticated datagram that verified but was not newer than what was seen (a replay
    /// or a reordered old datagram).
    Replayed = 6,
}

/// Number of [`Rejection`] classes.
const REJECTIONS: usize = 7;

/// Counters of a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonitorStats {
    /// Nodes currently monitored.
    pub nodes: u64,
    /// Events waiting to be polled.
    pub pending_events: u64,
    /// Events dropped because the queue was full (oldest first).
    pub dropped_events: u64,
    /// Heartbeats rejected as stale generations.
    pub stale_heartbeats: u64,
    /// Heartbeats ignored because their `(generation, version)` was not new.
    pub duplicate_heartbeats: u64,
    /// Local pauses detected.
    pub pauses_detected: u64,
    /// The last detected local pause.
    pub last_pause: Pause,
    /// Effective local health score (host's plus the monitor's own).
    pub local_health: u32,
    /// Heartbeats/registrations of unknown ids rejected because `max_nodes` were monitored.
    pub rejected_over_capacity: u64,
    /// Heartbeats from unregistered ids rejected under fixed membership.
    pub rejected_unknown_node: u64,
    /// Heartbeats, registrations and datagrams rejected for a generation above the bound.
    pub rejected_bad_generation: u64,
    /// Datagrams rejected as malformed.
    pub rejected_malformed: u64,
    /// Authenticated datagrams whose MAC did not verify.
    pub rejected_bad_mac: u64,
    /// Authenticated datagrams naming a key id the keyring does not hold.
    pub rejected_unknown_key: u64,
    /// Authenticated datagrams that verified but were replayed or older than what was seen.
    pub rejected_replayed: u64,
}

/// The monitor-wide tuning: the thresholds' levels (shared by every node that follows them) and
/// the QoS targets, if the monitor is QoS-configured.
struct Tuning {
    levels: Arc<Levels>,
    qos: Option<QosTargets>,
}

/// A failure detector for many peers. `Send + Sync`: share it by reference
/// or `Arc` between any number of threads.
pub struct Monitor {
    settings: Settings,
    /// How nodes without a tuning of their own are judged now (read when a node is created,
    /// written by monitor-wide retuning).
    tuning: Mutex<Tuning>,
    /// Serialises retuning operations (held for a whole walk over the nodes).
    retune_lock: Mutex<()>,
    shards: Box<[PaddedShard; SHARDS]>,
    events: Mutex<EventQueue>,
    count: AtomicUsize,
    stale: AtomicU64,
    duplicates: AtomicU64,
    /// Pauses of this process and its own health score.
    watch: SelfWatch,
    /// One counter per [`Rejection`] class.
    rejections: [AtomicU64; REJECTIONS],
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("settings", &self.settings)
            .field("nodes", &self.node_count())
            .finish()
    }
}

impl Monitor {
    /// A monitor with validated settings.
    pub fn new(config: &Config) -> Result<Monitor> {
        let settings = config.resolve()?;
        let shards = Box::new(std::array::from_fn(|_| PaddedShard::default()));
        let tuning = Tuning {
            levels: Arc::new(Levels::of_settings(&settings)),
            qos: settings.qos,
        };
        Ok(Monitor {
            settings,
            tuning: Mutex::new(tuning),
            retune_lock: Mutex::new(()),
            shards,
            events: Mutex::new(EventQueue {
                events: VecDeque::new(),
                dropped: 0,
            }),
            count: AtomicUsize::new(0),
            stale: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            watch: SelfWatch::default(),
            rejections: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    /// The shard of a node whose [`mix`] hash is `h` (its top 6 bits).
    #[inline]
    fn shard(&self, h: u64) -> &Shard {
        let i = (h >> 58) as usize & (SHARDS - 1);
        #[allow(clippy::indexing_slicing)] // i < SHARDS by the mask: the array index cannot fail
        &self.shards[i].0
    }

    /// After any change to a node (its record locked as `slot`): records when a poll must look
    /// at it next and queues its events while the lock is still held, so one node's events
    /// enter the queue in the order they happened.
    #[inline]
    fn settle(&self, slot: &Slot, n: &mut Node, events: &mut Vec<Event>) {
        slot.set_due(n.silence_due_ns(&self.settings));
        self.publish(events);
    }

    fn publish(&self, events: &mut Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut q = self.events.lock();
        for e in events.drain(..) {
            if q.events.len() >= EVENT_QUEUE_CAPACITY {
                q.events.pop_front();
                q.dropped += 1;
            }
            q.events.push_back(e);
        }
    }

    /// Refuses a generation above [`MAX_GENERATION`] (counted): one forged huge generation would
    /// otherwise make every later real restart of the node look stale.
    fn check_generation(&self, what: &str, node: u64, generation: u64) -> Result<()> {
        if generation > MAX_GENERATION {
            self.note_rejection(Rejection::BadGeneration);
            return Err(Error::invalid(format!(
                "{what} of node {node}: generation {generation} exceeds the largest valid generation \
                 {MAX_GENERATION} (2^48); nothing was changed"
            )));
        }
        Ok(())
    }

    /// Takes one of the `max_nodes` places for a new node, or refuses (counted).
    fn reserve_place(&self, node: u64) -> Result<()> {
        let max = usize::try_from(self.settings.max_nodes).unwrap_or(usize::MAX);
        if self
            .count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| (c < max).then_some(c + 1))
            .is_err()
        {
            self.note_rejection(Rejection::OverCapacity);
            return Err(Error::new(
                Status::Capacity,
                format!(
                    "node {node} is new but the monitor already holds max_nodes = {max} nodes; \
                     remove nodes or raise max_nodes"
                ),
            ));
        }
        Ok(())
    }

    /// Records a heartbeat from `node` of `generation` received at `now_ns`.
    /// An unknown node is added (under open membership, up to `max_nodes`:
    /// beyond it `Capacity`; under fixed membership `UnknownNode`). A
    /// generation above [`MAX_GENERATION`] is `InvalidArg`. A lower generation
    /// than the node's current one returns `StaleGeneration` (the message
    /// carries the current one). Every refusal changes nothing; a higher
    /// generation restarts the node's history.
    pub fn heartbeat(&self, node: u64, generation: u64, now_ns: u64) -> Result<()> {
        self.arrival(node, generation, None, now_ns).map(drop)
    }

    /// Records a heartbeat that carries a version (a counter the sender
    /// increments with every heartbeat, as gossip protocols spread it). It
    /// counts only when `(generation, version)` is newer than anything seen for
    /// the node: the same version relayed by many peers is one arrival, an old
    /// one arriving late is ignored. Returns whether it counted. When versions
    /// jump, the window learns the gap between observations (what silence is
    /// judged by) and the per-heartbeat interval is estimated separately.
    pub fn heartbeat_version(&self, node: u64, generation: u64, version: u64, now_ns: u64) -> Result<bool> {
        self.arrival(node, generation, Some(version), now_ns)
    }

    fn arrival(&self, node: u64, generation: u64, version: Option<u64>, now_ns: u64) -> Result<bool> {
        self.check_generation("heartbeat", node, generation)?;
        self.observe_time(now_ns, false);
        let ctx = self.ctx();
        let mut events = Vec::new();
        let h = mix(node);
        let shard = self.shard(h);
        let outcome = match shard.find(node, h) {
            Some(mut f) => {
                let a = f.node.arrive(generation, version, now_ns, &ctx, &mut events);
                self.settle(f.slot, &mut f.node, &mut events);
                a
            }
            None => {
                if self.settings.membership == Membership::Fixed {
                    self.note_rejection(Rejection::UnknownNode);
                    return Err(Error::new(
                        Status::UnknownNode,
                        format!(
                            "node {node} is not registered and membership is fixed: register it with \
                             add_node (phifd_node_add) first; nothing was changed"
                        ),
                    ));
                }
                let made = shard.find_or_insert(
                    node,
                    h,
                    || {
                        self.reserve_place(node)?;
                        Ok(self.new_node(node, generation, now_ns))
                    },
                    |slot, n| {
                        let a = n.arrive(generation, version, now_ns, &ctx, &mut events);
                        self.settle(slot, n, &mut events);
                        a
                    },
                )?;
                match made {
                    Some(a) => a,
                    None => return Err(self.no_slot(node)),
                }
            }
        };
        match outcome {
            Arrival::Accepted => Ok(true),
            Arrival::Duplicate => {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
                Ok(false)
            }
            Arrival::Stale(current) => {
                self.stale.fetch_add(1, Ordering::Relaxed);
                Err(Error::new(
                    Status::StaleGeneration,
                    format!("node {node}: generation {generation} is older than the current generation {current}"),
                ))
            }
        }
    }

    /// Records that peer `reporter` suspects `node` (gossiped suspicion).
    /// Independent confirmations from distinct reporters shorten the silence
    /// needed to convict `node` by Lifeguard's formula; duplicates count once;
    /// the next counted heartbeat of `node` clears them.
    /// Errors: `UnknownNode`; `InvalidArg` if a node reports itself.
    pub fn report_suspect(&self, node: u64, reporter: u64) -> Result<()> {
        if node == reporter {
            return Err(Error::invalid(format!("node {node} cannot report itself")));
        }
        let h = mix(node);
        let mut f = self.shard(h).find(node, h).ok_or_else(|| Error::unknown_node(node))?;
        f.node.report_suspect(reporter, &self.settings);
        // Confirmations shorten the deadlines: the poll must look at the node sooner.
        f.slot.set_due(f.node.silence_due_ns(&self.settings));
        Ok(())
    }

    /// Sets the host's own health score (0 = healthy ..= `max_local_health`):
    /// raise it on probe failures, event-loop lag or deep queues; convicting
    /// takes `1 + score` times longer (together with the monitor's own score).
    pub fn set_local_health(&self, score: u32) -> Result<()> {
        self.watch.set_host_health(score, &self.settings)
    }

    /// The effective local health score: the host's plus the monitor's own
    /// (raised by late polls and detected pauses), capped at `max_local_health`.
    pub fn local_health(&self) -> u32 {
        self.watch.health(&self.settings)
    }

    fn pause(&self) -> Pause {
        self.watch.pause()
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            s: &self.settings,
            stretch: 1.0 + f64::from(self.local_health()),
            pause: self.pause(),
        }
    }

    /// Pause detection and the monitor's own health (src/selfwatch.rs): every call reports its time.
    #[inline]
    fn observe_time(&self, now_ns: u64, from_poll: bool) {
        self.watch.observe(now_ns, from_poll, &self.settings);
    }

    /// Registers `node` as expected at `now_ns` without a heartbeat (UNKNOWN).
    /// It becomes FAILED if no heartbeat arrives within the first-heartbeat
    /// timeout. Registering a node that is already monitored changes nothing.
    /// Errors: `InvalidArg` for a generation above [`MAX_GENERATION`];
    /// `Capacity` for a new node when `max_nodes` nodes are monitored.
    pub fn add_node(&self, node: u64, generation: u64, now_ns: u64) -> Result<()> {
        self.check_generation("registration", node, generation)?;
        let h = mix(node);
        let shard = self.shard(h);
        if shard.find(node, h).is_some() {
            return Ok(());
        }
        let made = shard.find_or_insert(
            node,
            h,
            || {
                self.reserve_place(node)?;
                Ok(self.new_node(node, generation, now_ns))
            },
            |slot, n| slot.set_due(n.silence_due_ns(&self.settings)),
        )?;
        match made {
            Some(()) => Ok(()),
            None => Err(self.no_slot(node)),
        }
    }

    /// The refusal for the (unreachable under `max_nodes`) case of a shard without a free slot:
    /// gives back the place taken.
    #[cold]
    fn no_slot(&self, node: u64) -> Error {
        self.count.fetch_sub(1, Ordering::Relaxed);
        Error::new(
            Status::Capacity,
            format!("node {node}: no record could be allocated in its shard; nothing was changed"),
        )
    }

    /// Stops monitoring `node`. `UnknownNode` if it was not monitored.
    pub fn remove(&self, node: u64) -> Result<()> {
        let h = mix(node);
        if self.shard(h).remove(node, h) {
            self.count.fetch_sub(1, Ordering::Relaxed);
            Ok(())
        } else {
            Err(Error::unknown_node(node))
        }
    }

    /// phi of `node` at `now_ns`. Never NaN, never negative, finite for every
    /// estimator, non-decreasing in `now_ns` between arrivals.
    pub fn phi(&self, node: u64, now_ns: u64) -> Result<f64> {
        let h = mix(node);
        match self.shard(h).find(node, h) {
            Some(mut f) => {
                // Computes mean and sd only if a heartbeat changed the window since last time.
                f.node.freshen(&self.settings);
                Ok(f.node.phi(now_ns, &self.settings))
            }
            None => Err(Error::unknown_node(node)),
        }
    }

    /// Statistics of `node` as of `now_ns`. Read-only: the state reported is
    /// the one silence implies at `now_ns`; transitions are queued by polls and heartbeats.
    pub fn info(&self, node: u64, now_ns: u64) -> Result<NodeInfo> {
        let ctx = self.ctx();
        let h = mix(node);
        let mut f = self.shard(h).find(node, h).ok_or_else(|| Error::unknown_node(node))?;
        let n = &mut *f.node;
        n.freshen(&self.settings);
        let w = n.window();
        Ok(NodeInfo {
            node,
            state: n.state_at(now_ns, &ctx),
            phi: n.phi(now_ns, &self.settings),
            generation: n.generation(),
            last_arrival_ns: n.last_arrival_ns(),
            silence_origin_ns: n.last_ns,
            samples: w.len(),
            mean_ns: w.mean_ns(),
            sd_ns: w.variance_ns2().sqrt(),
            suspect_after_ns: n.suspect_after_ns(&ctx),
            fail_after_ns: n.fail_after_ns(&ctx),
            version: n.version(),
            heartbeat_interval_ns: n.heartbeat_interval_ns(),
            confirmations: n.confirmations(),
        })
    }

    /// Silence after the last arrival (ns) at which `node`'s phi first reaches
    /// `phi`, on its current history: "how long until this node is declared
    /// dead" for `phi = threshold`. 0 if phi is already there at zero silence.
    pub fn time_until_phi(&self, node: u64, phi: f64) -> Result<u64> {
        if !phi.is_finite() || phi < 0.0 {
            return Err(Error::invalid(format!("phi must be finite and >= 0, got {phi}")));
        }
        let y = self.settings.estimator.y_for_phi(phi);
        let h = mix(node);
        match self.shard(h).find(node, h) {
            Some(mut f) => {
                f.node.freshen(&self.settings);
                Ok(f.node.silence_for_y(y, &self.settings))
            }
            None => Err(Error::unknown_node(node)),
        }
    }

    /// Evaluates every node at `now_ns` and moves up to `max` pending
    /// transitions, oldest first, into `out`. Returns how many were moved;
    /// events beyond `max` stay queued for the next call.
    pub fn poll(&self, now_ns: u64, out: &mut Vec<Event>, max: usize) -> usize {
        self.observe_time(now_ns, true);
        let ctx = self.ctx();
        let mut events = Vec::new();
        for shard in self.shards.iter() {
            shard.0.for_each_slot(|slot| {
                // Before its due instant silence cannot change the node: no lock, no evaluation.
                if now_ns < slot.due() {
                    return;
                }
                let mut g = slot.lock();
                if let Some(n) = g.as_mut() {
                    n.evaluate(now_ns, &ctx, &mut events);
                    self.settle(slot, n, &mut events);
                }
            });
        }
        let mut q = self.events.lock();
        let k = max.min(q.events.len());
        out.extend(q.events.drain(..k));
        k
    }

    /// Counts one rejected input of class `r` (a relaxed atomic increment, no lock): for the
    /// paths that reject input before it reaches a node, such as datagram verification.
    pub(crate) fn note_rejection(&self, r: Rejection) {
        if let Some(c) = self.rejections.get(r as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn rejected(&self, r: Rejection) -> u64 {
        self.rejections.get(r as usize).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Number of monitored nodes.
    pub fn node_count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Counters.
    pub fn stats(&self) -> MonitorStats {
        let q = self.events.lock();
        MonitorStats {
            nodes: self.node_count() as u64,
            pending_events: q.events.len() as u64,
            dropped_events: q.dropped,
            stale_heartbeats: self.stale.load(Ordering::Relaxed),
            duplicate_heartbeats: self.duplicates.load(Ordering::Relaxed),
            pauses_detected: self.watch.pauses(),
            last_pause: self.pause(),
            local_health: self.local_health(),
            rejected_over_capacity: self.rejected(Rejection::OverCapacity),
            rejected_unknown_node: self.rejected(Rejection::UnknownNode),
            rejected_bad_generation: self.rejected(Rejection::BadGeneration),
            rejected_malformed: self.rejected(Rejection::Malformed),
            rejected_bad_mac: self.rejected(Rejection::BadMac),
            rejected_unknown_key: self.rejected(Rejection::UnknownKey),
            rejected_replayed: self.rejected(Rejection::Replayed),
        }
    }

    /// Every node's statistics as of `now_ns`, sorted by node id. Read-only;
    /// locks one node at a time.
    pub fn snapshot(&self, now_ns: u64) -> Vec<NodeInfo> {
        let mut ids = Vec::with_capacity(self.node_count());
        self.for_each_node(|n| ids.push(n.id()));
        ids.sort_unstable();
        // A node removed and registered again while the walk ran can sit in two records the walk
        // visited (its old one before, its new one after): each id once.
        ids.dedup();
        ids.into_iter().filter_map(|id| self.info(id, now_ns).ok()).collect()
    }

    /// A new node record, judged by the monitor's tuning as it is now.
    fn new_node(&self, node: u64, generation: u64, now_ns: u64) -> Node {
        let (lv, qos) = {
            let t = self.tuning.lock();
            (Arc::clone(&t.levels), t.qos)
        };
        match qos {
            None => Node::registered_with(node, generation, now_ns, &self.settings, lv, None),
            Some(q) => {
                let state = Box::new(QosState::new(q, lv.suspect_threshold / lv.threshold));
                let own = Arc::new(Levels::clone(&lv));
                Node::registered_with(node, generation, now_ns, &self.settings, own, Some(state))
            }
        }
    }

    /// Judges node `n` by the monitor-wide tuning (`levels`, `qos`). Its QoS loss counters are
    /// kept when it stays QoS-configured.
    fn follow(&self, n: &mut Node, levels: &Arc<Levels>, qos: Option<QosTargets>) {
        match qos {
            None => n.retune(Arc::clone(levels), None, &self.settings),
            Some(t) => n.retune_qos(t, levels.suspect_threshold / levels.threshold, levels, &self.settings),
        }
    }

    /// Sets the monitor-wide tuning and applies it to every node without a tuning of its own.
    /// Nodes registered meanwhile see either the old tuning and are then updated by the walk, or
    /// the new one (the walk holds each shard's writer mutex, which registration holds too).
    fn retune_all(&self, levels: Arc<Levels>, qos: Option<QosTargets>) {
        let _r = self.retune_lock.lock();
        {
            let mut t = self.tuning.lock();
            t.levels = Arc::clone(&levels);
            t.qos = qos;
        }
        for shard in self.shards.iter() {
            shard.0.for_each_slot_exclusive(|slot| {
                let mut g = slot.lock();
                if let Some(n) = g.as_mut() {
                    if !n.own {
                        self.follow(n, &levels, qos);
                        slot.set_due(n.silence_due_ns(&self.settings));
                    }
                }
            });
        }
    }

    /// Changes the thresholds of every node that has no tuning of its own, on the running monitor:
    /// windows, states and generations are kept, and each node's state follows its new deadlines at
    /// its next evaluation (a node already past its new deadline is declared FAILED at the next
    /// poll, with the event time the instant its new deadline passed). Nodes registered later get
    /// these thresholds. A monitor-wide QoS configuration is replaced by these thresholds. The
    /// first-heartbeat timeout and the pause defaults derived from the threshold at creation stay.
    /// Errors (nothing changed): `InvalidArg` when a value is not a finite number in
    /// `[DBL_MIN, 1e6]`, when `suspect_threshold >= threshold`, or when the threshold breaks the
    /// timing rule (a steady sender would be declared within one heartbeat interval).
    pub fn set_thresholds(&self, threshold: f64, suspect_threshold: f64) -> Result<()> {
        crate::config::check_thresholds(&self.settings, threshold, suspect_threshold)?;
        let levels = Arc::new(Levels::new(&self.settings, threshold, suspect_threshold));
        self.retune_all(levels, None);
        Ok(())
    }

    /// Configures every node without a tuning of its own by QoS targets (`None`: back to the
    /// monitor's thresholds), on the running monitor, history kept: each node derives its phi
    /// levels from its window at once and again as its window moves (docs/qos.md). Nodes
    /// registered later are QoS-configured too. The suspect level keeps the ratio
    /// `suspect_threshold / threshold` of the monitor's thresholds.
    /// Errors (nothing changed): `InvalidArg` naming the field at fault ([`QosTargets::validate`]).
    pub fn set_qos(&self, t: Option<QosTargets>) -> Result<()> {
        if let Some(t) = &t {
            t.validate()?;
        }
        let levels = Arc::clone(&self.tuning.lock().levels);
        self.retune_all(levels, t);
        Ok(())
    }

    /// The monitor-wide thresholds `(threshold, suspect_threshold)` now (the configured ones until
    /// [`Monitor::set_thresholds`] changes them).
    pub fn thresholds(&self) -> (f64, f64) {
        let t = self.tuning.lock();
        (t.levels.threshold, t.levels.suspect_threshold)
    }

    /// The monitor-wide QoS targets now, or `None`.
    pub fn qos(&self) -> Option<QosTargets> {
        self.tuning.lock().qos
    }

    /// Runs `f` on `node` under its lock, then records its due instant again.
    fn with_node<R>(&self, node: u64, f: impl FnOnce(&mut Node) -> R) -> Result<R> {
        let h = mix(node);
        let mut found = self.shard(h).find(node, h).ok_or_else(|| Error::unknown_node(node))?;
        let r = f(&mut found.node);
        found.slot.set_due(found.node.silence_due_ns(&self.settings));
        Ok(r)
    }

    /// Gives `node` thresholds of its own (monitor-wide retuning then passes it by), history kept;
    /// as [`Monitor::set_thresholds`] otherwise. Errors: those of `set_thresholds`, and
    /// `UnknownNode`.
    pub fn set_node_thresholds(&self, node: u64, threshold: f64, suspect_threshold: f64) -> Result<()> {
        crate::config::check_thresholds(&self.settings, threshold, suspect_threshold)?;
        let levels = Arc::new(Levels::new(&self.settings, threshold, suspect_threshold));
        self.with_node(node, |n| {
            n.own = true;
            n.retune(levels, None, &self.settings);
        })
    }

    /// Gives `node` QoS targets of its own (monitor-wide retuning then passes it by), history
    /// kept. `None`: the node keeps to the monitor's thresholds as they are now, as its own tuning,
    /// even if the monitor is QoS-configured. The suspect level keeps the ratio of the thresholds
    /// the node was judged by. Errors: `InvalidArg` ([`QosTargets::validate`]), `UnknownNode`.
    pub fn set_node_qos(&self, node: u64, t: Option<QosTargets>) -> Result<()> {
        if let Some(t) = &t {
            t.validate()?;
        }
        let monitor_levels = Arc::clone(&self.tuning.lock().levels);
        self.with_node(node, |n| {
            n.own = true;
            match t {
                None => n.retune(monitor_levels, None, &self.settings),
                Some(t) => {
                    let ratio = n
                        .qos
                        .as_deref()
                        .map_or(n.lv.suspect_threshold / n.lv.threshold, |q| q.ratio);
                    let start = Arc::clone(&n.lv);
                    n.retune_qos(t, ratio, &start, &self.settings);
                }
            }
        })
    }

    /// Drops `node`'s own tuning: it is judged by the monitor's thresholds or QoS targets again,
    /// history kept. Errors: `UnknownNode`.
    pub fn clear_node_tuning(&self, node: u64) -> Result<()> {
        self.with_node(node, |n| {
            // Read under the node's lock: a monitor-wide retune stores its tuning before it walks
            // the nodes, so either this read sees it or the walk reaches this node afterwards.
            let (levels, qos) = {
                let t = self.tuning.lock();
                (Arc::clone(&t.levels), t.qos)
            };
            n.own = false;
            self.follow(n, &levels, qos);
        })
    }

    /// What the node's window predicts of its detection quality at its deadline in use: the
    /// deadline, the predicted T_D, T_MR and T_M, whether its QoS targets are met on the current
    /// estimate and the shortest T_D that meets its mistake-rate bound (docs/qos.md). For a
    /// QoS-configured node the predictions are those of its last derivation (made every
    /// `max(64, window/16)` learned intervals); for another node they are computed now (O(window)).
    /// `now_ns` is the query time; the report depends on the history only. Read-only.
    /// Errors: `UnknownNode`.
    pub fn qos_report(&self, node: u64, now_ns: u64) -> Result<QosReport> {
        let _ = now_ns;
        let s = &self.settings;
        self.with_node(node, |n| {
            n.freshen(s);
            let deadline = n.fail_base(s);
            let detection = deadline.saturating_add(crate::qos::one_way_ns(s));
            if let Some((d, loss)) = n.qos.as_deref().and_then(|q| Some((q.last?, q.loss_rate()))) {
                return QosReport {
                    qos: true,
                    feasible: d.feasible,
                    threshold: n.lv.threshold,
                    suspect_threshold: n.lv.suspect_threshold,
                    deadline_ns: deadline,
                    predicted_detection_ns: d.detection_ns,
                    predicted_mistake_recurrence_ns: d.recurrence_ns,
                    predicted_mistake_duration_ns: d.duration_ns,
                    best_detection_ns: d.best_detection_ns,
                    loss_rate: loss,
                    samples: d.samples,
                    established: d.established,
                };
            }
            let (mean, sd) = n.effective_mean_sd(s);
            let samples = n.window.samples_unordered();
            let w = WindowView {
                samples_us: samples,
                mu_ns: n.window.mean_ns(),
                mean_ns: mean,
                sd_ns: sd,
            };
            let fit = TailFit::fit(samples);
            let (tmr, tm) = crate::qos::predict(s, &w, fit.as_ref(), None, deadline as f64);
            QosReport {
                qos: false,
                feasible: true,
                threshold: n.lv.threshold,
                suspect_threshold: n.lv.suspect_threshold,
                deadline_ns: deadline,
                predicted_detection_ns: detection,
                predicted_mistake_recurrence_ns: tmr,
                predicted_mistake_duration_ns: tm,
                best_detection_ns: detection,
                loss_rate: 0.0,
                samples: n.window.len(),
                established: true,
            }
        })
    }

    /// Calls `f` with each node, under that node's lock (one node at a time).
    pub fn for_each_node(&self, mut f: impl FnMut(&Node)) {
        for shard in self.shards.iter() {
            shard.0.for_each_slot(|slot| {
                if let Some(n) = slot.lock().as_mut() {
                    n.freshen(&self.settings);
                    f(n);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rejection_class_has_its_own_counter() {
        let m = Monitor::new(&Config::new()).unwrap();
        let classes = [
            Rejection::OverCapacity,
            Rejection::UnknownNode,
            Rejection::BadGeneration,
            Rejection::Malformed,
            Rejection::BadMac,
            Rejection::UnknownKey,
            Rejection::Replayed,
        ];
        // Class i is noted i + 1 times, so a swapped field shows as a wrong count.
        for (i, r) in classes.iter().enumerate() {
            for _ in 0..=i {
                m.note_rejection(*r);
            }
        }
        let s = m.stats();
        let got = [
            s.rejected_over_capacity,
            s.rejected_unknown_node,
            s.rejected_bad_generation,
            s.rejected_malformed,
            s.rejected_bad_mac,
            s.rejected_unknown_key,
            s.rejected_replayed,
        ];
        assert_eq!(got, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(s.nodes, 0);
    }
}
