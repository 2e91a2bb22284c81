//! The C ABI. All `unsafe` code of the library lives in this module.
//!
//! Every exported function checks each pointer, converts C values to core
//! types without trusting them (codes arrive as `uint32_t`, never as Rust
//! enums), calls the core inside `catch_unwind`, and reports failures as a
//! status code plus a thread-local message.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod auth;
pub mod clock;
pub mod config;
pub mod generation;
pub mod handle;
pub mod monitor;
pub mod wire;

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Status};

/// Status code returned by every fallible function. `PHIFD_OK` (0) is
/// success; other values are append-only and never renumbered.
pub type phifd_status = u32;

/// Success.
pub const PHIFD_OK: phifd_status = 0;
/// A required pointer argument was NULL.
pub const PHIFD_ERR_NULL_ARG: phifd_status = 1;
/// An argument was out of range: NaN, infinite, zero or negative where meaningless, an unknown
/// enum code, or a combination of settings that breaks the heartbeat timing rule. Also a pointer
/// that no buffer can satisfy, checked before anything is read or written: a length (`len`,
/// `count`, `cap`) whose bytes exceed `PTRDIFF_MAX` (often a negative value converted to `size_t`)
/// or a documented maximum, or a pointer not aligned for its element type.
pub const PHIFD_ERR_INVALID_ARG: phifd_status = 2;
/// The node id is not monitored by this monitor.
pub const PHIFD_ERR_UNKNOWN_NODE: phifd_status = 3;
/// A heartbeat carried a generation lower than the node's current one; nothing was changed.
/// Answer the sender with the current generation (see `phifd_node_get_info`).
pub const PHIFD_ERR_STALE_GENERATION: phifd_status = 4;
/// A handle that is not a live object of the expected type (already freed, of another type, or not
/// from this library). Handles (`phifd_config *`, `phifd_monitor *`, `phifd_generation *`) are
/// opaque values naming a slot of the library's handle table and the slot's generation, not
/// addresses: never dereference them. A freed, stale, wrong-type or foreign handle is recognised
/// without reading memory through it, even after its slot has been reused; freed handles keep no
/// memory (the table holds 16 bytes per handle live at the peak).
pub const PHIFD_ERR_INVALID_HANDLE: phifd_status = 5;
/// A bug inside the library (a caught panic). The library stays usable; please report it.
pub const PHIFD_ERR_INTERNAL: phifd_status = 6;
/// A caller-provided struct is too small (its `size` field is below the first version's size).
pub const PHIFD_ERR_BUFFER_TOO_SMALL: phifd_status = 7;
/// An operating-system I/O error: the message carries the path and the OS error text (missing
/// directory, read-only filesystem, permission denied, disk full).
pub const PHIFD_ERR_IO: phifd_status = 8;
/// Stored data is damaged (truncated, garbage, checksum mismatch, a value beyond the sane bound):
/// the message names the path and the damage. Nothing is reset silently.
pub const PHIFD_ERR_CORRUPT: phifd_status = 9;
/// The resource is held by another live process (an OS lock), e.g. a generation file.
pub const PHIFD_ERR_LOCKED: phifd_status = 10;
/// Untrusted bytes are not a valid message (e.g. a heartbeat datagram): the message names the
/// defect (wrong length, bad magic, unsupported version, checksum mismatch, ...).
pub const PHIFD_ERR_MALFORMED: phifd_status = 11;
/// The monitor already holds `max_nodes` nodes (`phifd_config_set_max_nodes`): a heartbeat or
/// registration of a new id is refused and counted (`rejected_over_capacity`); nothing changes.
/// Known nodes are unaffected. Remove nodes or raise `max_nodes`.
pub const PHIFD_ERR_CAPACITY: phifd_status = 12;
/// The datagram's MAC does not verify (forged, damaged or signed with another key); counted.
pub const PHIFD_ERR_AUTH: phifd_status = 13;
/// The datagram names a key id the keyring does not hold; counted.
pub const PHIFD_ERR_UNKNOWN_KEY: phifd_status = 14;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(function: &str, message: &str) {
    let text = format!("{function}: {message}").replace('\0', " ");
    let c = CString::new(text).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

/// Runs `f` for the exported function `function`, turning errors and panics
/// into status codes and the thread-local message.
pub(crate) fn guard(function: &str, f: impl FnOnce() -> Result<(), Error>) -> phifd_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => PHIFD_OK,
        Ok(Err(e)) => {
            set_last_error(function, &e.message);
            e.status as u32
        }
        Err(_) => {
            set_last_error(
                function,
                "internal error (panic caught at the C boundary); the library remains usable",
            );
            PHIFD_ERR_INTERNAL
        }
    }
}

/// `NullArg` naming the parameter.
pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(Status::NullArg, format!("`{name}` is NULL"))
}

/// The largest size in bytes of any object: `PTRDIFF_MAX`. A length whose bytes exceed it cannot
/// describe a real buffer (typically a negative `ssize_t`, such as `recvfrom`'s -1, converted to
/// `size_t`).
pub(crate) const MAX_OBJECT_BYTES: usize = isize::MAX as usize;

/// `InvalidArg` for a pointer that is not aligned for its element type.
fn misaligned<T>(ptr: *const T, name: &str) -> Error {
    Error::invalid(format!(
        "`{name}` ({ptr:p}) is not aligned to {} bytes, as its element type requires",
        std::mem::align_of::<T>()
    ))
}

/// Checks a C pointer+length pair (`len` elements of `T` at `ptr`; `ptr_name` and `len_name` are
/// the C parameter names used in messages) before any slice of it exists. `len` 0 is always valid
/// (the pointer is then not used). Otherwise, in this order: `ptr` NULL gives `NullArg`; `len`
/// elements taking more than `PTRDIFF_MAX` bytes, or `len` above `max_len`, gives `InvalidArg`
/// naming the length and the bound; `ptr` not aligned for `T`, or a range that would wrap around
/// the address space, gives `InvalidArg` naming the pointer. A pair that passes may still lie about
/// its memory; that part is the caller's contract.
pub(crate) fn check_array<T>(
    ptr: *const T,
    len: usize,
    ptr_name: &str,
    len_name: &str,
    max_len: usize,
) -> Result<(), Error> {
    if len == 0 {
        return Ok(());
    }
    if ptr.is_null() {
        return Err(Error::new(
            Status::NullArg,
            format!("`{ptr_name}` is NULL while `{len_name}` is {len}"),
        ));
    }
    let size = std::mem::size_of::<T>().max(1);
    let bytes = match len.checked_mul(size) {
        Some(b) if b <= MAX_OBJECT_BYTES => b,
        _ => {
            return Err(Error::invalid(format!(
                "`{len_name}` is {len}: {len} elements of {size} bytes exceed the largest possible object \
                 (PTRDIFF_MAX = {MAX_OBJECT_BYTES} bytes); a negative value converted to size_t?"
            )))
        }
    };
    if len > max_len {
        return Err(Error::invalid(format!(
            "`{len_name}` is {len}; at most {max_len} is accepted"
        )));
    }
    if !ptr.is_aligned() {
        return Err(misaligned(ptr, ptr_name));
    }
    if ptr.addr().checked_add(bytes).is_none() {
        return Err(Error::invalid(format!(
            "`{ptr_name}` ({ptr:p}) plus {bytes} bytes wraps around the address space: `{len_name}` ({len}) is wrong"
        )));
    }
    Ok(())
}

/// An input array from C as a slice, after [`check_array`] (NULL is allowed only with `len` 0).
///
/// # Safety
/// If the pair passes the checks, `ptr` must point to `len` initialised elements that are not
/// written during the call (C API contract).
pub(crate) unsafe fn slice_in<'a, T>(
    ptr: *const T,
    len: usize,
    ptr_name: &str,
    len_name: &str,
    max_len: usize,
) -> Result<&'a [T], Error> {
    check_array(ptr, len, ptr_name, len_name, max_len)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: non-NULL, aligned, at most PTRDIFF_MAX bytes without wrapping (checked above); the
    // memory itself is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The first `used` elements of an output array from C (`cap` elements of `T` at `ptr`), as
/// possibly uninitialised slots, after [`check_array`] on the whole (`ptr`, `cap`) pair: the
/// function validates the capacity it was given but views only what it writes. `used` must not
/// exceed `cap` (an `Internal` error otherwise).
///
/// # Safety
/// If the pair passes the checks, `ptr` must point to `cap` writable elements that no other
/// argument of the call overlaps (C API contract).
pub(crate) unsafe fn slice_out<'a, T>(
    ptr: *mut T,
    cap: usize,
    used: usize,
    ptr_name: &str,
    cap_name: &str,
) -> Result<&'a mut [std::mem::MaybeUninit<T>], Error> {
    check_array(ptr.cast_const(), cap, ptr_name, cap_name, usize::MAX)?;
    if used > cap {
        return Err(Error::new(
            Status::Internal,
            format!("{used} elements do not fit `{cap_name}` {cap}"),
        ));
    }
    if used == 0 {
        return Ok(&mut []);
    }
    // SAFETY: checked as above and `used <= cap`; MaybeUninit<T> has T's layout and needs no
    // initialised memory.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<std::mem::MaybeUninit<T>>(), used) })
}

/// The out-parameter `ptr` as a reference, or `NullArg` naming it (`InvalidArg` if it is not
/// aligned for `T`). Call it before any work, and write through it only once the call has
/// succeeded (out-params are written only on success).
pub(crate) fn out_ref<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    if !ptr.is_null() && !ptr.is_aligned() {
        return Err(misaligned(ptr.cast_const(), name));
    }
    // SAFETY: non-NULL out-pointers are aligned (checked) and point to writable memory for a T
    // (C API contract).
    unsafe { ptr.as_mut() }.ok_or_else(|| null_arg(name))
}

/// The input `ptr` as a shared reference, or `NullArg` naming it (`InvalidArg` if misaligned).
pub(crate) fn in_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    if !ptr.is_null() && !ptr.is_aligned() {
        return Err(misaligned(ptr, name));
    }
    // SAFETY: non-NULL inputs are aligned (checked) and point to a readable, initialised T (C API
    // contract).
    unsafe { ptr.as_ref() }.ok_or_else(|| null_arg(name))
}

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string, never NULL.
/// Equal to `PHIFD_VERSION_MAJOR.PHIFD_VERSION_MINOR.PHIFD_VERSION_PATCH` of the header
/// the library was built with. Thread-safe.
#[no_mangle]
pub extern "C" fn phifd_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Nanoseconds of the system's monotonic clock (`CLOCK_MONOTONIC`): the same clock as
/// `clock_gettime(CLOCK_MONOTONIC)` in C and `time.monotonic_ns()` in Python, so times taken
/// by the caller (for example where a datagram is received) can be mixed with it. Never goes
/// backwards; ignores wall-clock changes. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn phifd_now_ns() -> u64 {
    clock::monotonic_ns()
}

/// The name of a status code, e.g. `"PHIFD_ERR_UNKNOWN_NODE"`, as a static NUL-terminated string.
/// Unknown codes give `"PHIFD_UNKNOWN_STATUS"`. Never NULL; thread-safe.
#[no_mangle]
pub extern "C" fn phifd_status_name(status: phifd_status) -> *const c_char {
    let name: &'static str = match Status::from_code(status) {
        Some(Status::Ok) => "PHIFD_OK\0",
        Some(Status::NullArg) => "PHIFD_ERR_NULL_ARG\0",
        Some(Status::InvalidArg) => "PHIFD_ERR_INVALID_ARG\0",
        Some(Status::UnknownNode) => "PHIFD_ERR_UNKNOWN_NODE\0",
        Some(Status::StaleGeneration) => "PHIFD_ERR_STALE_GENERATION\0",
        Some(Status::InvalidHandle) => "PHIFD_ERR_INVALID_HANDLE\0",
        Some(Status::Internal) => "PHIFD_ERR_INTERNAL\0",
        Some(Status::BufferTooSmall) => "PHIFD_ERR_BUFFER_TOO_SMALL\0",
        Some(Status::Io) => "PHIFD_ERR_IO\0",
        Some(Status::Corrupt) => "PHIFD_ERR_CORRUPT\0",
        Some(Status::Locked) => "PHIFD_ERR_LOCKED\0",
        Some(Status::Malformed) => "PHIFD_ERR_MALFORMED\0",
        Some(Status::Capacity) => "PHIFD_ERR_CAPACITY\0",
        Some(Status::Auth) => "PHIFD_ERR_AUTH\0",
        Some(Status::UnknownKey) => "PHIFD_ERR_UNKNOWN_KEY\0",
        None => "PHIFD_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}

/// A description of the most recent failure on the calling thread: which function, which
/// argument and why. Never NULL; `""` if nothing failed yet on this thread. Each thread has its
/// own message: a failure on another thread never changes it, so read it on the thread that made
/// the failing call (a binding whose calls may move between OS threads must read it before its
/// call can move, e.g. a Go goroutine locked to its thread for the call and the read). The string
/// is owned by the library (never free it) and stays valid until the next failing call on the
/// same thread or until the thread exits, whichever comes first; copy it to keep it longer.
/// Successful calls neither clear nor change it. Thread-safe.
#[no_mangle]
pub extern "C" fn phifd_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimator::Estimator;
    use crate::node::{EventKind, State};

    /// The C constants are literals (so the header shows numbers); they must equal the core's codes.
    #[test]
    fn c_codes_equal_core_codes() {
        let statuses = [
            PHIFD_OK,
            PHIFD_ERR_NULL_ARG,
            PHIFD_ERR_INVALID_ARG,
            PHIFD_ERR_UNKNOWN_NODE,
            PHIFD_ERR_STALE_GENERATION,
            PHIFD_ERR_INVALID_HANDLE,
            PHIFD_ERR_INTERNAL,
            PHIFD_ERR_BUFFER_TOO_SMALL,
            PHIFD_ERR_IO,
            PHIFD_ERR_CORRUPT,
            PHIFD_ERR_LOCKED,
            PHIFD_ERR_MALFORMED,
            PHIFD_ERR_CAPACITY,
            PHIFD_ERR_AUTH,
            PHIFD_ERR_UNKNOWN_KEY,
        ];
        assert_eq!(statuses.len(), Status::all().len());
        for (c, s) in statuses.iter().zip(Status::all()) {
            assert_eq!(*c, s as u32);
        }
        assert_eq!(config::PHIFD_ESTIMATOR_AKKA, Estimator::Akka as u32);
        assert_eq!(config::PHIFD_ESTIMATOR_NORMAL, Estimator::Normal as u32);
        assert_eq!(config::PHIFD_ESTIMATOR_EXPONENTIAL, Estimator::Exponential as u32);
        assert_eq!(monitor::PHIFD_STATE_UNKNOWN, State::Unknown as u32);
        assert_eq!(monitor::PHIFD_STATE_ALIVE, State::Alive as u32);
        assert_eq!(monitor::PHIFD_STATE_SUSPECT, State::Suspect as u32);
        assert_eq!(monitor::PHIFD_STATE_FAILED, State::Failed as u32);
        assert_eq!(monitor::PHIFD_EVENT_STATE_CHANGED, EventKind::StateChanged as u32);
        assert_eq!(monitor::PHIFD_EVENT_RESTARTED, EventKind::Restarted as u32);
    }
}
