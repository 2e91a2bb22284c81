//! One shard of the monitor's node table: records with a lock each, and an id index that
//! lookups only read.
//!
//! - **Records** live in a segmented arena: segment `k` holds `SEG0 << k` slots and, once
//!   allocated, never moves, so a slot is reachable without any lock on the table. Each slot is
//!   its own mutex over `Option<Node>` plus an atomic "due" instant (the earliest time silence
//!   could change the node's state, [`Node::silence_due_ns`]) that a poll reads without locking.
//!   Freed slots are reused (a free list under the shard's writer mutex).
//! - **The index** maps an id to its slot: open addressing with linear probing over a table of
//!   `AtomicU64` entries (0 empty, 1 tombstone, else the upper 32 bits of the id's hash beside
//!   the slot number + 2). Lookups only load entries; registrations and removals write them
//!   under the writer mutex. A full table moves to the next, twice larger level (levels are
//!   allocated once and kept until the shard is dropped, so the older ones together are smaller
//!   than the current one: memory at most 2x); a table full of tombstones is rehashed in place.
//! - **Correctness of a lookup**: an entry only names a candidate slot; the lookup locks it and
//!   accepts it only if the slot holds a node with the id it looks for (under that lock), so a
//!   stale entry, a reused slot (ABA) or a 32-bit tag collision is never taken for the node. A
//!   positive answer is therefore always right; a negative one is accepted only if the shard's
//!   sequence counter (odd while entries move, advanced by every rehash and level change) was
//!   even and unchanged around the probe, otherwise the lookup runs again.
//!
//! Lock order: writer mutex, then a slot lock, then the monitor's event queue. Nothing holding a
//! slot lock takes the writer mutex.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use once_cell::sync::OnceCell;
use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};

use crate::error::Result;
use crate::node::Node;

/// Slots in segment 0; segment `k` has `SEG0 << k`.
const SEG0: usize = 16;
/// Segments: `SEG0 * (2^SEGMENTS - 1)` slots, more than the `u32` slot numbers can name.
const SEGMENTS: usize = 28;
/// Entries of index level 0; level `k` has `LEVEL0 << k`.
const LEVEL0: usize = 16;
/// Index levels: the last holds 2^31 entries, enough for 2^30 nodes in one shard.
const LEVELS: usize = 28;
/// An index entry never used.
const EMPTY: u64 = 0;
/// An index entry whose node was removed (probing continues past it).
const TOMB: u64 = 1;

/// One node record: its lock, its node, and when a poll must next look at it.
pub(crate) struct Slot {
    /// Earliest instant (ns) at which silence could change the node's state; `u64::MAX` for an
    /// empty slot or a node silence can no longer change. Written under the slot's lock.
    due: AtomicU64,
    node: Mutex<Option<Node>>,
}

impl Slot {
    fn empty() -> Slot {
        Slot {
            due: AtomicU64::new(u64::MAX),
            node: Mutex::new(None),
        }
    }

    /// The instant recorded for the poll's skip test.
    #[inline]
    pub(crate) fn due(&self) -> u64 {
        self.due.load(Ordering::Acquire)
    }

    /// Locks the record.
    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<Node>> {
        self.node.lock()
    }

    /// Records the node's next due instant (call with the slot locked, after any change).
    #[inline]
    pub(crate) fn set_due(&self, due: u64) {
        self.due.store(due, Ordering::Release);
    }
}

/// What only the writer mutex's holder touches.
struct Writer {
    /// Slots freed by removals, reused first.
    free: Vec<u32>,
    /// Live entries in the current index level.
    live: usize,
    /// Live entries plus tombstones in the current index level.
    used: usize,
}

/// A shard: an arena of node slots and the id index over them, allocated at the shard's first
/// registration (a monitor's 64 shards cost a few cache lines until they hold nodes).
#[derive(Default)]
pub(crate) struct Shard {
    inner: OnceCell<Box<Inner>>,
}

/// The arena and index of a shard that holds (or held) nodes.
pub(crate) struct Inner {
    segments: [OnceCell<Box<[Slot]>>; SEGMENTS],
    /// Slots handed out so far (every slot below it is allocated); the poll's bound.
    high: AtomicU32,
    levels: [OnceCell<Box<[AtomicU64]>>; LEVELS],
    /// The current index level.
    level: AtomicUsize,
    /// Odd while entries move (in-place rehash); advanced by every rehash and level change.
    seq: AtomicU64,
    writer: Mutex<Writer>,
}

/// A located node: its record locked, its slot number and its index position.
pub(crate) struct Found<'a> {
    pub(crate) slot: &'a Slot,
    pub(crate) node: MappedMutexGuard<'a, Node>,
    slot_no: u32,
    pos: usize,
}

/// The index entry of slot `slot` for a node whose hash is `hash`.
#[inline]
fn entry(hash: u64, slot: u32) -> u64 {
    (hash & !0xFFFF_FFFF) | (u64::from(slot) + 2)
}

/// The first probe position of a hash (or of an entry, which keeps the same upper 32 bits), so
/// that a table can be rebuilt from its entries alone. The top 6 bits choose the shard, so 26
/// bits vary within a shard: enough for 2^26 positions (the monitor holds at most 2^26 nodes).
#[inline]
fn home(hash: u64, mask: usize) -> usize {
    (hash >> 32) as usize & mask
}

#[inline]
fn segment_of(slot: u32) -> (usize, usize) {
    // Segment k starts at SEG0 * (2^k - 1): with x = slot + SEG0, k = log2(x / SEG0).
    let x = slot as usize + SEG0;
    let k = (usize::BITS - 1 - x.leading_zeros()) as usize - SEG0.trailing_zeros() as usize;
    (k, x - (SEG0 << k))
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            segments: std::array::from_fn(|_| OnceCell::new()),
            high: AtomicU32::new(0),
            levels: std::array::from_fn(|_| OnceCell::new()),
            level: AtomicUsize::new(0),
            seq: AtomicU64::new(0),
            writer: Mutex::new(Writer {
                free: Vec::new(),
                live: 0,
                used: 0,
            }),
        }
    }
}

impl Shard {
    /// The arena and index, if any node was ever registered here.
    #[inline]
    fn inner(&self) -> Option<&Inner> {
        self.inner.get().map(|b| &**b)
    }

    /// The arena and index, allocated on first use.
    fn inner_or_init(&self) -> &Inner {
        self.inner.get_or_init(|| Box::new(Inner::default()))
    }

    /// Finds `id` (hash `h`) and locks its record; see [`Inner::find`].
    #[inline]
    pub(crate) fn find(&self, id: u64, h: u64) -> Option<Found<'_>> {
        self.inner()?.find(id, h)
    }

    /// Calls `f` with every slot handed out so far; see [`Inner::for_each_slot`].
    pub(crate) fn for_each_slot(&self, f: impl FnMut(&Slot)) {
        if let Some(i) = self.inner() {
            i.for_each_slot(f);
        }
    }

    /// As [`Shard::for_each_slot`], holding the writer mutex throughout (the arena is allocated
    /// first, so that no registration can slip past the walk); for monitor-wide retuning.
    pub(crate) fn for_each_slot_exclusive(&self, f: impl FnMut(&Slot)) {
        self.inner_or_init().for_each_slot_exclusive(f);
    }

    /// Inserts a node unless its id is present; see [`Inner::find_or_insert`].
    pub(crate) fn find_or_insert<R>(
        &self,
        id: u64,
        h: u64,
        make: impl FnOnce() -> Result<Node>,
        with: impl FnOnce(&Slot, &mut Node) -> R,
    ) -> Result<Option<R>> {
        self.inner_or_init().find_or_insert(id, h, make, with)
    }

    /// Removes `id`; returns whether it was present.
    pub(crate) fn remove(&self, id: u64, h: u64) -> bool {
        self.inner().is_some_and(|i| i.remove(id, h))
    }
}

impl Inner {
    /// Slot `i`, if allocated.
    #[inline]
    fn slot(&self, i: u32) -> Option<&Slot> {
        let (k, off) = segment_of(i);
        self.segments.get(k)?.get()?.get(off)
    }

    /// Index level `k`, if allocated.
    #[inline]
    fn table(&self, k: usize) -> Option<&[AtomicU64]> {
        self.levels.get(k)?.get().map(|b| &**b)
    }

    /// Probes one table for `id` (hash `h`); the slot found is locked and holds the node.
    #[inline]
    fn probe<'a>(&'a self, table: &[AtomicU64], id: u64, h: u64) -> Option<Found<'a>> {
        let mask = table.len().wrapping_sub(1);
        let mut pos = home(h, mask);
        for _ in 0..table.len() {
            let e = table.get(pos)?.load(Ordering::Acquire);
            if e == EMPTY {
                return None;
            }
            if e != TOMB && (e ^ h) >> 32 == 0 {
                let slot_no = (e as u32).wrapping_sub(2);
                if let Some(slot) = self.slot(slot_no) {
                    if let Ok(node) = MutexGuard::try_map(slot.lock(), |n| n.as_mut().filter(|n| n.id == id)) {
                        return Some(Found {
                            slot,
                            node,
                            slot_no,
                            pos,
                        });
                    }
                }
            }
            pos = (pos + 1) & mask;
        }
        None
    }

    /// Finds `id` (whose [`crate::monitor`] hash is `h`) and locks its record. Never blocks on
    /// a writer: a miss seen while entries moved is retried.
    #[inline]
    pub(crate) fn find(&self, id: u64, h: u64) -> Option<Found<'_>> {
        loop {
            let seq = self.seq.load(Ordering::Acquire);
            let table = self.table(self.level.load(Ordering::Acquire))?;
            if let Some(f) = self.probe(table, id, h) {
                return Some(f);
            }
            // The entry loads above are Acquire, so this load is not moved before them.
            if seq & 1 == 0 && self.seq.load(Ordering::Acquire) == seq {
                return None;
            }
            std::hint::spin_loop();
        }
    }

    /// Calls `f` with every slot handed out so far (locked by `f` as needed), in slot order.
    pub(crate) fn for_each_slot(&self, mut f: impl FnMut(&Slot)) {
        let high = self.high.load(Ordering::Acquire);
        let mut done = 0u32;
        for seg in &self.segments {
            if done >= high {
                break;
            }
            let Some(seg) = seg.get() else { break };
            for slot in seg.iter().take((high - done) as usize) {
                f(slot);
            }
            done = done.saturating_add(seg.len() as u32);
        }
    }

    /// As [`Inner::for_each_slot`], holding the writer mutex throughout: no node is registered
    /// or removed in this shard meanwhile (for monitor-wide retuning).
    pub(crate) fn for_each_slot_exclusive(&self, f: impl FnMut(&Slot)) {
        let _w = self.writer.lock();
        self.for_each_slot(f);
    }

    /// Inserts a node unless its id is present. `make` is called (under the writer mutex) only
    /// when the id is absent; it returns the node to insert, or an error that is passed back.
    /// `with` is then called with the record locked, found or new, and the value it returns is
    /// returned. A new node becomes visible to lookups only after `with` returns. `Ok(None)`:
    /// no slot could be allocated (more than 2^32 slots: unreachable under `max_nodes`); the
    /// node made was dropped.
    pub(crate) fn find_or_insert<R>(
        &self,
        id: u64,
        h: u64,
        make: impl FnOnce() -> Result<Node>,
        with: impl FnOnce(&Slot, &mut Node) -> R,
    ) -> Result<Option<R>> {
        let mut w = self.writer.lock();
        if let Some(mut f) = self.find(id, h) {
            drop(w);
            return Ok(Some(with(f.slot, &mut f.node)));
        }
        let node = make()?;
        self.make_room(&mut w);
        let slot_no = match w.free.pop() {
            Some(i) => i,
            None => self.new_slot(),
        };
        let Some(slot) = self.slot(slot_no) else {
            // Unreachable: new_slot allocates the segment before handing the slot out, and the
            // monitor holds far fewer nodes than the segments can. Refuse rather than panic.
            return Ok(None);
        };
        let r = {
            let mut g = slot.lock();
            let n = g.insert(node);
            with(slot, n)
        };
        self.place(slot_no, h);
        w.live += 1;
        w.used += 1;
        Ok(Some(r))
    }

    /// Removes `id`; returns whether it was present.
    pub(crate) fn remove(&self, id: u64, h: u64) -> bool {
        let mut w = self.writer.lock();
        let Some(f) = self.find(id, h) else { return false };
        drop(f.node);
        // Only the writer mutex's holder empties or fills a slot, so it still holds the node.
        *f.slot.lock() = None;
        f.slot.set_due(u64::MAX);
        // Under the writer mutex the current level is the one `find` probed, and entries do not move.
        if let Some(e) = self
            .table(self.level.load(Ordering::Relaxed))
            .and_then(|t| t.get(f.pos))
        {
            e.store(TOMB, Ordering::Release);
        }
        w.free.push(f.slot_no);
        w.live = w.live.saturating_sub(1);
        true
    }

    /// Hands out a never-used slot, allocating its segment on first use.
    fn new_slot(&self) -> u32 {
        let i = self.high.load(Ordering::Relaxed);
        let (k, _) = segment_of(i);
        if let Some(cell) = self.segments.get(k) {
            cell.get_or_init(|| (0..SEG0 << k).map(|_| Slot::empty()).collect());
        }
        self.high.store(i + 1, Ordering::Release);
        i
    }

    /// Writes the entry of a new node into the current level (writer mutex held, room made).
    fn place(&self, slot_no: u32, h: u64) {
        let Some(table) = self.table(self.level.load(Ordering::Relaxed)) else {
            return;
        };
        insert_entry(table, entry(h, slot_no));
    }

    /// Makes room for one more entry: the first level on first use, the next level when more
    /// than half the entries would be live, an in-place rehash when live entries and tombstones
    /// would fill three quarters.
    fn make_room(&self, w: &mut Writer) {
        let cur = self.level.load(Ordering::Relaxed);
        let Some(table) = self.table(cur) else {
            if let Some(cell) = self.levels.get(cur) {
                cell.get_or_init(|| (0..LEVEL0 << cur).map(|_| AtomicU64::new(EMPTY)).collect());
            }
            return;
        };
        let cap = table.len();
        if (w.live + 1) * 2 > cap {
            let next = cur + 1;
            let Some(cell) = self.levels.get(next) else { return };
            let bigger = cell.get_or_init(|| (0..LEVEL0 << next).map(|_| AtomicU64::new(EMPTY)).collect());
            for e in table.iter() {
                let v = e.load(Ordering::Relaxed);
                if v != EMPTY && v != TOMB {
                    insert_entry(bigger, v);
                }
            }
            self.level.store(next, Ordering::Release);
            self.seq.fetch_add(2, Ordering::Release);
            w.used = w.live;
        } else if (w.used + 1) * 4 > cap * 3 {
            let live: Vec<u64> = table
                .iter()
                .map(|e| e.load(Ordering::Relaxed))
                .filter(|&v| v != EMPTY && v != TOMB)
                .collect();
            self.seq.fetch_add(1, Ordering::Release); // odd: misses are retried
            for e in table {
                e.store(EMPTY, Ordering::Release);
            }
            for v in live {
                insert_entry(table, v);
            }
            self.seq.fetch_add(1, Ordering::Release);
            w.used = w.live;
        }
    }
}

/// Puts entry `e` at the first empty or tombstone position of its probe sequence.
fn insert_entry(table: &[AtomicU64], e: u64) {
    let mask = table.len().wrapping_sub(1);
    let mut pos = home(e, mask);
    for _ in 0..table.len() {
        if let Some(a) = table.get(pos) {
            let v = a.load(Ordering::Relaxed);
            if v == EMPTY || v == TOMB {
                a.store(e, Ordering::Release);
                return;
            }
        }
        pos = (pos + 1) & mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_the_slot_numbers_without_gaps() {
        let mut expect = (0usize, 0usize);
        for i in 0..10_000u32 {
            assert_eq!(segment_of(i), expect, "slot {i}");
            expect.1 += 1;
            if expect.1 == SEG0 << expect.0 {
                expect = (expect.0 + 1, 0);
            }
        }
        // Every slot number the monitor can hand out (at most 2^26 nodes) has a segment.
        assert!(segment_of(1 << 31).0 < SEGMENTS);
    }

    #[test]
    fn a_slot_is_the_node_record_plus_its_lock_and_due_instant() {
        // 160 B of node, the lock byte padded to 8, the due instant: 176 B.
        assert!(std::mem::size_of::<Slot>() <= 176, "{}", std::mem::size_of::<Slot>());
    }

    #[test]
    fn removals_and_reinsertions_reuse_slots_and_keep_every_id_findable() {
        use crate::config::Config;
        let s = Config::new().resolve().unwrap();
        let shard = Inner::default();
        let h = |id: u64| crate::monitor::mix(id) & !(63 << 58); // all in this shard
        let add = |id: u64| {
            shard
                .find_or_insert(
                    id,
                    h(id),
                    || Ok(Node::registered(id, id + 1, 0, &s)),
                    |_, n| n.generation,
                )
                .unwrap()
                .unwrap()
        };
        for id in 0..1_000u64 {
            assert_eq!(add(id), id + 1);
        }
        let high = shard.high.load(Ordering::Relaxed);
        // Churn: remove and re-add every other id many times (tombstones, in-place rehashes).
        for round in 0..50u64 {
            for id in (round % 2..1_000).step_by(2) {
                assert!(shard.remove(id, h(id)), "round {round} id {id}");
                assert!(!shard.remove(id, h(id)));
                assert!(shard.find(id, h(id)).is_none());
            }
            for id in (round % 2..1_000).step_by(2) {
                assert_eq!(add(id), id + 1);
            }
        }
        assert_eq!(shard.high.load(Ordering::Relaxed), high, "freed slots were reused");
        for id in 0..1_000u64 {
            let f = shard.find(id, h(id)).expect("present");
            assert_eq!((f.node.id, f.node.generation), (id, id + 1));
        }
        assert!(shard.find(5_000, h(5_000)).is_none());
    }

    #[test]
    fn a_lookup_takes_only_the_node_with_its_id_never_a_tag_twin_or_a_slot_reused() {
        use crate::config::Config;
        let s = Config::new().resolve().unwrap();
        let shard = Inner::default();
        // Ids 1 and 2 given the same hash: same tag, same home position (a 32-bit tag collision).
        let h = 0x0123_4567_0000_0000u64;
        let add = |id: u64, gen: u64| {
            shard
                .find_or_insert(id, h, || Ok(Node::registered(id, gen, 0, &s)), |_, n| n.generation)
                .unwrap()
                .unwrap()
        };
        assert_eq!(add(1, 10), 10);
        assert!(
            shard.find(2, h).is_none(),
            "the entry of node 1 must not answer for node 2"
        );
        assert_eq!(add(2, 20), 20, "node 2 is new, not node 1");
        assert_eq!(shard.find(1, h).map(|f| f.node.generation), Some(10));
        assert_eq!(shard.find(2, h).map(|f| f.node.generation), Some(20));
        // Node 1 removed, its slot reused by node 3 (same hash again): 1 is gone, 3 is itself.
        assert!(shard.remove(1, h));
        assert_eq!(add(3, 30), 30);
        assert!(shard.find(1, h).is_none());
        assert_eq!(shard.find(3, h).map(|f| f.node.generation), Some(30));
        assert_eq!(shard.find(2, h).map(|f| f.node.generation), Some(20));
    }
}
