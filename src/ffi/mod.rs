//! The C ABI. All `unsafe` code of the library lives in this module.
//!
//! Every exported function checks each pointer, converts C values to core
//! types without trusting them (codes arrive as `uint32_t`, never as Rust
//! enums), calls the core inside `catch_unwind`, and reports failures as a
//! status code plus a thread-local message.
#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

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
/// enum code, or a combination of settings that breaks the heartbeat timing rule.
pub const PHIFD_ERR_INVALID_ARG: phifd_status = 2;
/// The node id is not monitored by this monitor.
pub const PHIFD_ERR_UNKNOWN_NODE: phifd_status = 3;
/// A heartbeat carried a generation lower than the node's current one; nothing was changed.
/// Answer the sender with the current generation (see `phifd_node_get_info`).
pub const PHIFD_ERR_STALE_GENERATION: phifd_status = 4;
/// A handle that is not a live object of the expected type (already freed, or not from this library).
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
            set_last_error(function, "internal error (panic caught at the C boundary); the library remains usable");
            PHIFD_ERR_INTERNAL
        }
    }
}

/// `NullArg` naming the parameter.
pub(crate) fn null_arg(name: &str) -> Error {
    Error::new(Status::NullArg, format!("`{name}` is NULL"))
}

/// The out-parameter `ptr` as a reference, or `NullArg` naming it. Call it before any work, and
/// write through it only once the call has succeeded (out-params are written only on success).
pub(crate) fn out_ref<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    // SAFETY: a non-NULL out-pointer must point to writable memory for a T (C API contract).
    unsafe { ptr.as_mut() }.ok_or_else(|| null_arg(name))
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
        None => "PHIFD_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}

/// A description of the most recent failure on the calling thread: which function, which
/// argument and why. Never NULL; `""` if nothing failed yet on this thread. The string is owned
/// by the library and valid until the next failing call on the same thread; copy it to keep it.
/// Successful calls do not clear it.
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
        let statuses = [PHIFD_OK, PHIFD_ERR_NULL_ARG, PHIFD_ERR_INVALID_ARG, PHIFD_ERR_UNKNOWN_NODE,
            PHIFD_ERR_STALE_GENERATION, PHIFD_ERR_INVALID_HANDLE, PHIFD_ERR_INTERNAL, PHIFD_ERR_BUFFER_TOO_SMALL,
            PHIFD_ERR_IO, PHIFD_ERR_CORRUPT, PHIFD_ERR_LOCKED, PHIFD_ERR_MALFORMED];
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
