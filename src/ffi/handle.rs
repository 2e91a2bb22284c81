//! How C handles are made, checked and freed.
//!
//! A handle points to a small shell `{ tag, object pointer }`. The shell is
//! never returned to the allocator: freeing drops the object, marks the shell
//! dead and parks it in a global list, so a later call through the stale
//! pointer reads valid memory, sees the dead tag and fails with
//! `PHIFD_ERR_INVALID_HANDLE` instead of touching freed memory. The price is
//! 16 bytes per freed handle for the life of the process. A pointer that never
//! came from this library is detected by its tag when it points to readable
//! memory (what is cheap to promise); anything else is the caller's bug.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Status};

const DEAD: u64 = 0xDEAD_0FF1_FDDE_AD00;

/// The tagged shell inside every opaque handle type.
pub struct Shell<T> {
    tag: AtomicU64,
    object: AtomicPtr<T>,
}

/// Dead handles (addresses), kept reachable and never reused.
static GRAVEYARD: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn invalid(name: &str) -> Error {
    Error::new(Status::InvalidHandle, format!("`{name}` is not a live handle of this type (freed, or not from phifd)"))
}

impl<T> Shell<T> {
    /// A live shell owning `object`, tagged `tag`.
    pub fn new(object: T, tag: u64) -> Self {
        Shell { tag: AtomicU64::new(tag), object: AtomicPtr::new(Box::into_raw(Box::new(object))) }
    }

    /// The live object, or `InvalidHandle`.
    pub fn object(&self, tag: u64, name: &str) -> Result<&T, Error> {
        if self.tag.load(Ordering::Acquire) != tag {
            return Err(invalid(name));
        }
        let obj = self.object.load(Ordering::Acquire);
        // SAFETY: while the tag is live, `object` is the Box allocation made in `new`, freed only
        // by `release`, which first kills the tag. Using a handle concurrently with its `_free` is
        // a documented caller error.
        unsafe { obj.as_ref() }.ok_or_else(|| invalid(name))
    }

    /// The live object, mutably.
    ///
    /// # Safety
    /// No other reference to the object may be in use (the C API documents
    /// builders as not thread-safe while being modified).
    // A `&mut` from `&self` is the point of this accessor: the shell is shared through a raw
    // pointer by C callers, and exclusivity is the documented caller contract above.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn object_mut(&self, tag: u64, name: &str) -> Result<&mut T, Error> {
        if self.tag.load(Ordering::Acquire) != tag {
            return Err(invalid(name));
        }
        let obj = self.object.load(Ordering::Acquire);
        // SAFETY: as in `object`; exclusivity is the caller's contract.
        unsafe { obj.as_mut() }.ok_or_else(|| invalid(name))
    }

    /// Drops the object and kills the tag. Returns false (and does nothing)
    /// if the shell was not live with `tag` (double free, wrong type).
    pub fn release(&self, tag: u64) -> bool {
        if self.tag.compare_exchange(tag, DEAD, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        let obj = self.object.swap(std::ptr::null_mut(), Ordering::AcqRel);
        if !obj.is_null() {
            // SAFETY: from Box::into_raw in `new`; the tag swap makes this the only release.
            drop(unsafe { Box::from_raw(obj) });
        }
        true
    }
}

/// Boxes a handle and returns the pointer handed to C.
pub fn into_raw<H>(handle: H) -> *mut H {
    Box::into_raw(Box::new(handle))
}

/// Keeps a released handle's memory forever (see the module docs).
pub fn bury<H>(ptr: *const H) {
    GRAVEYARD.lock().push(ptr as usize);
}

/// Dereferences a handle pointer, or `NullArg` naming it.
///
/// # Safety
/// `ptr` is NULL or points to readable memory of at least `size_of::<H>()` bytes.
pub unsafe fn deref<'a, H>(ptr: *const H, name: &str) -> Result<&'a H, Error> {
    // SAFETY: per the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| super::null_arg(name))
}
