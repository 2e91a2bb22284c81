//! How C handles are made, checked and freed.
//!
//! A handle is not an address. It is a 64-bit value naming a slot in one process-wide table plus
//! the slot's generation at the time the handle was made:
//!
//! ```text
//! bit 63      always 1: never NULL, never a user-space address (so a handle that is not one, such
//!             as a pointer to the caller's own data, is recognised without reading it)
//! bits 56..63 the handle's type (config, monitor, generation clock)
//! bits 28..56 the slot's generation (28 bits)
//! bits 0..28  the slot index (28 bits: at most 268,435,455 live handles)
//! ```
//!
//! A slot is 16 bytes: its state (generation and type, or free) and a pointer to the object.
//! Looking a handle up decodes the value, checks the type bits, finds the slot (a fixed array of
//! chunk pointers, so no lock) and compares the slot's state with the handle's generation and type
//! (one atomic load); only then is the object pointer read. Freeing drops the object, bumps the
//! slot's generation and puts the slot at the back of a first-in first-out free list, so every
//! handle ever made to that slot — freed, double-freed, of another type — no longer matches and
//! fails with `PHIFD_ERR_INVALID_HANDLE`, and no call ever reads freed memory.
//!
//! Memory: the table holds as many slots as there were live handles at the peak (16 bytes each,
//! plus 4 bytes in the free list), in chunks that double in size and are never returned. Freed
//! handles cost nothing more. A slot whose generation is exhausted (2^28 reuses) is retired instead
//! of wrapping, so a stale handle can never match a later object: in the worst case (one slot
//! reused forever) that is 16 bytes per 268 million frees.
//!
//! Creating and freeing take one global mutex (the free list); lookups, which every other call
//! makes, take none. Using a handle while another thread frees it is a caller error, as for any
//! object; the lookup itself stays memory-safe (it reads only the table), but the object it
//! returns may be being dropped.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use parking_lot::Mutex;

use super::status::{CError, PHIFD_ERR_INTERNAL, PHIFD_ERR_INVALID_HANDLE};

#[cfg(not(target_pointer_width = "64"))]
compile_error!("phifd's C handles encode a 64-bit value in a pointer: a 64-bit target is required");

/// A type handed to C as an opaque handle, with the Rust object it stands for.
pub trait Handle {
    /// The object behind the handle.
    type Object;
    /// The type code in the handle's bits 56..63: distinct and non-zero per handle type.
    const KIND: u64;
}

const MARKER: u64 = 1 << 63;
const KIND_SHIFT: u32 = 56;
const KIND_MASK: u64 = 0x7F;
const GEN_SHIFT: u32 = 28;
const GEN_BITS: u32 = 28;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
const SLOT_MASK: u64 = (1 << GEN_SHIFT) - 1;
/// Slots available: every slot index below 2^28.
const MAX_SLOTS: u64 = 1 << GEN_SHIFT;

/// Slot state: `generation << 8 | kind`; kind 0 means free. A free slot keeps the generation its
/// next handle will carry; `RETIRED` is never reused.
const RETIRED: u64 = u64::MAX;

/// Slots per chunk: chunk `k` holds `FIRST_CHUNK << k` slots, so 23 chunks cover 2^28 slots.
const FIRST_CHUNK_BITS: u32 = 6;
const CHUNKS: usize = 23;

struct Slot {
    state: AtomicU64,
    object: AtomicPtr<()>,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise the static array
const NO_CHUNK: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
/// The table: chunk pointers, each set once (under `FREE`) and never freed.
static TABLE: [AtomicPtr<Slot>; CHUNKS] = [NO_CHUNK; CHUNKS];

struct FreeList {
    /// Slots ever handed out: indices `0..used`.
    used: u64,
    /// Freed slots, oldest first (reused last-freed-last, which also keeps generations young).
    free: std::collections::VecDeque<u32>,
}

static FREE: Mutex<FreeList> = Mutex::new(FreeList {
    used: 0,
    free: std::collections::VecDeque::new(),
});

/// Chunk number and offset of slot `index`.
#[inline]
fn locate(index: u64) -> (usize, usize) {
    let b = (index >> FIRST_CHUNK_BITS) + 1;
    let chunk = 63 - b.leading_zeros();
    let offset = index - (((1u64 << chunk) - 1) << FIRST_CHUNK_BITS);
    (chunk as usize, offset as usize)
}

/// The slot at `index`, if its chunk exists.
#[inline]
fn slot(index: u64) -> Option<&'static Slot> {
    let (chunk, offset) = locate(index);
    let base = TABLE.get(chunk)?.load(Ordering::Acquire);
    if base.is_null() || offset >= (1usize << (chunk as u32 + FIRST_CHUNK_BITS)) {
        return None;
    }
    // SAFETY: a non-NULL chunk pointer is a leaked allocation of `FIRST_CHUNK << chunk` slots,
    // published with Release after initialisation and never freed; `offset` is within it.
    Some(unsafe { &*base.add(offset) })
}

#[cold]
fn invalid(name: &str) -> CError {
    CError::new(
        PHIFD_ERR_INVALID_HANDLE,
        format!("`{name}` is not a live handle of this type (freed, or not from phifd)"),
    )
}

/// Decodes a handle value into (slot index, expected slot state) if its marker and type bits are
/// those of a handle of type `H`.
#[inline]
fn decode<H: Handle>(value: usize) -> Option<(u64, u64)> {
    let v = value as u64;
    if v & MARKER == 0 || (v >> KIND_SHIFT) & KIND_MASK != H::KIND {
        return None;
    }
    let generation = (v >> GEN_SHIFT) & GEN_MASK;
    Some((v & SLOT_MASK, generation << 8 | H::KIND))
}

/// Takes a free slot (or a new one), stores `object` in it and returns the handle's value.
fn insert(kind: u64, object: *mut ()) -> Result<u64, CError> {
    let mut list = FREE.lock();
    let (index, s) = loop {
        let index = match list.free.pop_front() {
            Some(i) => u64::from(i),
            None => {
                if list.used >= MAX_SLOTS {
                    return Err(CError::new(
                        PHIFD_ERR_INTERNAL,
                        format!(
                            "more than {} live handles: free some before creating more",
                            MAX_SLOTS - 1
                        ),
                    ));
                }
                let index = list.used;
                let (chunk, offset) = locate(index);
                if offset == 0 {
                    let len = 1usize << (chunk as u32 + FIRST_CHUNK_BITS);
                    let fresh: Box<[Slot]> = (0..len)
                        .map(|_| Slot {
                            state: AtomicU64::new(0),
                            object: AtomicPtr::new(std::ptr::null_mut()),
                        })
                        .collect();
                    let base = Box::leak(fresh).as_mut_ptr();
                    if let Some(c) = TABLE.get(chunk) {
                        c.store(base, Ordering::Release);
                    }
                }
                list.used += 1;
                index
            }
        };
        if let Some(s) = slot(index) {
            if s.state.load(Ordering::Relaxed) != RETIRED {
                break (index, s);
            }
        }
    };
    let generation = s.state.load(Ordering::Relaxed) >> 8;
    s.object.store(object, Ordering::Relaxed);
    // Publishes the object: a lookup that sees this state sees the pointer.
    s.state.store(generation << 8 | kind, Ordering::Release);
    Ok(MARKER | kind << KIND_SHIFT | generation << GEN_SHIFT | index)
}

/// Boxes `object` into a new handle of type `H`.
pub(crate) fn new<H: Handle>(object: H::Object) -> Result<*mut H, CError> {
    let raw = Box::into_raw(Box::new(object)).cast::<()>();
    match insert(H::KIND, raw) {
        Ok(value) => Ok(std::ptr::without_provenance_mut(value as usize)),
        Err(e) => {
            // SAFETY: `raw` came from Box::into_raw just above and was not stored anywhere.
            drop(unsafe { Box::from_raw(raw.cast::<H::Object>()) });
            Err(e)
        }
    }
}

/// The object behind `ptr`, as the raw pointer the table owns; errors as [`get`].
#[inline]
fn lookup<H: Handle>(ptr: *const H, name: &str) -> Result<*mut H::Object, CError> {
    if ptr.is_null() {
        return Err(super::null_arg(name));
    }
    let (index, expected) = decode::<H>(ptr.addr()).ok_or_else(|| invalid(name))?;
    let s = slot(index).ok_or_else(|| invalid(name))?;
    if s.state.load(Ordering::Acquire) != expected {
        return Err(invalid(name));
    }
    let obj = s.object.load(Ordering::Relaxed).cast::<H::Object>();
    if obj.is_null() {
        return Err(invalid(name));
    }
    Ok(obj)
}

/// The live object behind `ptr`: `NullArg` for NULL, `InvalidHandle` for anything that is not a
/// live handle of type `H` (freed, of another type, or not from phifd). Never reads through `ptr`.
#[inline]
pub(crate) fn get<'a, H: Handle>(ptr: *const H, name: &str) -> Result<&'a H::Object, CError> {
    let obj = lookup(ptr, name)?;
    // SAFETY: the state matched, so `obj` is the Box made by `new::<H>` for this handle (the
    // Acquire load of the state pairs with the Release that published it) and stays alive until
    // `free` of this handle, which must not race with its use (C API contract).
    Ok(unsafe { &*obj })
}

/// The live object behind `ptr`, mutably; errors as [`get`].
///
/// # Safety
/// No other reference to the object may be in use (the C API documents builders as not
/// thread-safe while being modified).
pub(crate) unsafe fn get_mut<'a, H: Handle>(ptr: *mut H, name: &str) -> Result<&'a mut H::Object, CError> {
    let obj = lookup(ptr.cast_const(), name)?;
    // SAFETY: as in `get`; exclusivity is the caller's contract.
    Ok(unsafe { &mut *obj })
}

/// Frees the object behind `ptr` and invalidates every copy of the handle. NULL, freed handles,
/// handles of another type and foreign values are ignored (returns false).
pub fn free<H: Handle>(ptr: *mut H) -> bool {
    let Some((index, expected)) = decode::<H>(ptr.addr()) else {
        return false;
    };
    let Some(s) = slot(index) else { return false };
    let generation = expected >> 8;
    let next = if generation == GEN_MASK {
        RETIRED
    } else {
        (generation + 1) << 8
    };
    // The lock orders this free with `insert` reusing the slot.
    let mut list = FREE.lock();
    if s.state
        .compare_exchange(expected, next, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return false;
    }
    let obj = s
        .object
        .swap(std::ptr::null_mut(), Ordering::AcqRel)
        .cast::<H::Object>();
    if next != RETIRED {
        if let Ok(i) = u32::try_from(index) {
            list.free.push_back(i);
        }
    }
    drop(list);
    if !obj.is_null() {
        // SAFETY: from Box::into_raw in `new::<H>`; the state swap makes this the only release.
        drop(unsafe { Box::from_raw(obj) });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_map_onto_doubling_chunks() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        // The last slot index lies in the last chunk.
        let (chunk, offset) = locate(MAX_SLOTS - 1);
        assert_eq!(chunk, CHUNKS - 1);
        assert!(offset < 1 << (chunk as u32 + FIRST_CHUNK_BITS));
    }

    struct Probe;
    impl Handle for Probe {
        type Object = u32;
        const KIND: u64 = 0x71;
    }
    struct Other;
    impl Handle for Other {
        type Object = u32;
        const KIND: u64 = 0x72;
    }

    #[test]
    fn generations_advance_and_exhausted_slots_retire() {
        let h = new::<Probe>(7).unwrap();
        assert_eq!(*get::<Probe>(h, "h").unwrap(), 7);
        assert!(get::<Other>(h.cast(), "h").is_err());
        assert!(free::<Probe>(h));
        assert!(!free::<Probe>(h));
        assert!(get::<Probe>(h, "h").is_err());
        // A slot at its last generation is retired when freed, never handed out again.
        let index = h.addr() as u64 & SLOT_MASK;
        let s = slot(index).unwrap();
        let h2 = {
            let _list = FREE.lock();
            s.state.store(GEN_MASK << 8, Ordering::Release);
            std::ptr::without_provenance_mut::<Probe>(
                (MARKER | Probe::KIND << KIND_SHIFT | GEN_MASK << GEN_SHIFT | index) as usize,
            )
        };
        // Nothing lives there yet: the forged handle is refused.
        assert!(get::<Probe>(h2, "h").is_err());
        // Let `insert` hand the slot out (it is in the free list), then free it at generation 2^28-1.
        let mut made = Vec::new();
        let target = loop {
            let x = new::<Probe>(1).unwrap();
            if x.addr() as u64 & SLOT_MASK == index {
                break x;
            }
            made.push(x);
        };
        assert_eq!((target.addr() as u64 >> GEN_SHIFT) & GEN_MASK, GEN_MASK);
        assert!(free::<Probe>(target));
        assert_eq!(s.state.load(Ordering::Acquire), RETIRED);
        for x in made {
            assert!(free::<Probe>(x));
        }
        // No new handle ever lands in the retired slot.
        let again: Vec<_> = (0..200).map(|_| new::<Probe>(2).unwrap()).collect();
        assert!(again.iter().all(|x| x.addr() as u64 & SLOT_MASK != index));
        for x in again {
            assert!(free::<Probe>(x));
        }
    }
}
