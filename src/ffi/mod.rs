//! The C ABI. All `unsafe` code of the library lives in this module.
//!
//! Every exported function checks each pointer, converts C values to core
//! types without trusting them (codes arrive as `uint32_t`, never as Rust
//! enums), calls the core inside `catch_unwind`, and reports failures as a
//! status code plus a thread-local message.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

// `status` first: its items open the header, as the C conventions do.
pub mod status;

pub mod auth;
pub mod config;
pub mod generation;
pub mod handle;
pub mod monitor;
pub mod wire;
// After `wire`, in the order the header has always listed them.
pub mod prometheus;
pub mod snapshot;
// QoS targets and live retuning (issue 18), after everything that was already in the header.
pub mod qos;

pub use status::*;

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use status::CError;

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
pub(crate) fn guard(function: &str, f: impl FnOnce() -> Result<(), CError>) -> phifd_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => PHIFD_OK,
        Ok(Err(e)) => {
            set_last_error(function, &e.message);
            e.status
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
pub(crate) fn null_arg(name: &str) -> CError {
    CError::new(PHIFD_ERR_NULL_ARG, format!("`{name}` is NULL"))
}

/// The largest size in bytes of any object: `PTRDIFF_MAX`. A length whose bytes exceed it cannot
/// describe a real buffer (typically a negative `ssize_t`, such as `recvfrom`'s -1, converted to
/// `size_t`).
pub(crate) const MAX_OBJECT_BYTES: usize = isize::MAX as usize;

/// `InvalidArg` for a pointer that is not aligned for its element type.
fn misaligned<T>(ptr: *const T, name: &str) -> CError {
    CError::invalid(format!(
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
) -> Result<(), CError> {
    if len == 0 {
        return Ok(());
    }
    if ptr.is_null() {
        return Err(CError::new(
            PHIFD_ERR_NULL_ARG,
            format!("`{ptr_name}` is NULL while `{len_name}` is {len}"),
        ));
    }
    let size = std::mem::size_of::<T>().max(1);
    let bytes = match len.checked_mul(size) {
        Some(b) if b <= MAX_OBJECT_BYTES => b,
        _ => {
            return Err(CError::invalid(format!(
                "`{len_name}` is {len}: {len} elements of {size} bytes exceed the largest possible object \
                 (PTRDIFF_MAX = {MAX_OBJECT_BYTES} bytes); a negative value converted to size_t?"
            )))
        }
    };
    if len > max_len {
        return Err(CError::invalid(format!(
            "`{len_name}` is {len}; at most {max_len} is accepted"
        )));
    }
    if !ptr.is_aligned() {
        return Err(misaligned(ptr, ptr_name));
    }
    if ptr.addr().checked_add(bytes).is_none() {
        return Err(CError::invalid(format!(
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
) -> Result<&'a [T], CError> {
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
) -> Result<&'a mut [std::mem::MaybeUninit<T>], CError> {
    check_array(ptr.cast_const(), cap, ptr_name, cap_name, usize::MAX)?;
    if used > cap {
        return Err(CError::new(
            PHIFD_ERR_INTERNAL,
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
pub(crate) fn out_ref<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, CError> {
    if !ptr.is_null() && !ptr.is_aligned() {
        return Err(misaligned(ptr.cast_const(), name));
    }
    // SAFETY: non-NULL out-pointers are aligned (checked) and point to writable memory for a T
    // (C API contract).
    unsafe { ptr.as_mut() }.ok_or_else(|| null_arg(name))
}

/// The input `ptr` as a shared reference, or `NullArg` naming it (`InvalidArg` if misaligned).
pub(crate) fn in_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, CError> {
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
    crate::clock::monotonic_ns()
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

    /// The C codes of the core's enums are literals (so the header shows numbers); they must
    /// equal the core's discriminants, which the C layer converts with `as u32`.
    #[test]
    fn c_codes_equal_core_codes() {
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
