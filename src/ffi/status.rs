//! `phifd_status`: the C status codes, their names, and the one mapping from the core's errors.
//!
//! The core reports what went wrong with [`crate::error::Status`]; the C layer adds the statuses
//! only it can produce (a NULL argument, a dead handle, a caught panic, a struct too small) and
//! gives every status its number and its `PHIFD_*` name, here and nowhere else.

use std::ffi::{c_char, CStr};

use crate::error::Status;

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

/// The names of the codes, indexed by code (append-only, as the codes).
const NAMES: [&CStr; 15] = [
    c"PHIFD_OK",
    c"PHIFD_ERR_NULL_ARG",
    c"PHIFD_ERR_INVALID_ARG",
    c"PHIFD_ERR_UNKNOWN_NODE",
    c"PHIFD_ERR_STALE_GENERATION",
    c"PHIFD_ERR_INVALID_HANDLE",
    c"PHIFD_ERR_INTERNAL",
    c"PHIFD_ERR_BUFFER_TOO_SMALL",
    c"PHIFD_ERR_IO",
    c"PHIFD_ERR_CORRUPT",
    c"PHIFD_ERR_LOCKED",
    c"PHIFD_ERR_MALFORMED",
    c"PHIFD_ERR_CAPACITY",
    c"PHIFD_ERR_AUTH",
    c"PHIFD_ERR_UNKNOWN_KEY",
];

/// The name of an unknown code.
const UNKNOWN: &CStr = c"PHIFD_UNKNOWN_STATUS";

/// The C code of a core error's status: the one mapping from the core to the C ABI.
pub fn code(status: Status) -> phifd_status {
    match status {
        Status::InvalidArg => PHIFD_ERR_INVALID_ARG,
        Status::UnknownNode => PHIFD_ERR_UNKNOWN_NODE,
        Status::StaleGeneration => PHIFD_ERR_STALE_GENERATION,
        Status::Io => PHIFD_ERR_IO,
        Status::Corrupt => PHIFD_ERR_CORRUPT,
        Status::Locked => PHIFD_ERR_LOCKED,
        Status::Malformed => PHIFD_ERR_MALFORMED,
        Status::Capacity => PHIFD_ERR_CAPACITY,
        Status::Auth => PHIFD_ERR_AUTH,
        Status::UnknownKey => PHIFD_ERR_UNKNOWN_KEY,
    }
}

/// The name of a code, e.g. `"PHIFD_ERR_UNKNOWN_NODE"`; `"PHIFD_UNKNOWN_STATUS"` for a code that
/// is not defined.
pub fn name(status: phifd_status) -> &'static CStr {
    NAMES.get(status as usize).copied().unwrap_or(UNKNOWN)
}

/// The name of a code as a Rust string (see [`name`]).
pub fn name_str(status: phifd_status) -> &'static str {
    name(status).to_str().unwrap_or("PHIFD_UNKNOWN_STATUS")
}

/// The name of a status code, e.g. `"PHIFD_ERR_UNKNOWN_NODE"`, as a static NUL-terminated string.
/// Unknown codes give `"PHIFD_UNKNOWN_STATUS"`. Never NULL; thread-safe.
#[no_mangle]
pub extern "C" fn phifd_status_name(status: phifd_status) -> *const c_char {
    name(status).as_ptr()
}

/// A failed C call: the status to return and the message for `phifd_last_error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CError {
    /// The status code (never `PHIFD_OK`).
    pub(crate) status: phifd_status,
    /// What failed and why (the function's name is added by the guard).
    pub(crate) message: String,
}

impl CError {
    /// A failure with `status`.
    pub(crate) fn new(status: phifd_status, message: impl Into<String>) -> Self {
        CError {
            status,
            message: message.into(),
        }
    }

    /// `PHIFD_ERR_INVALID_ARG`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CError::new(PHIFD_ERR_INVALID_ARG, message)
    }
}

impl From<crate::error::Error> for CError {
    fn from(e: crate::error::Error) -> Self {
        CError {
            status: code(e.status),
            message: e.message,
        }
    }
}

impl From<crate::auth::AuthFailure> for CError {
    fn from(f: crate::auth::AuthFailure) -> Self {
        crate::error::Error::from(f).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the ABI: written out here, not taken from the constants.
    #[test]
    fn core_statuses_map_to_their_abi_numbers() {
        let want = [
            (Status::InvalidArg, 2, "PHIFD_ERR_INVALID_ARG"),
            (Status::UnknownNode, 3, "PHIFD_ERR_UNKNOWN_NODE"),
            (Status::StaleGeneration, 4, "PHIFD_ERR_STALE_GENERATION"),
            (Status::Io, 8, "PHIFD_ERR_IO"),
            (Status::Corrupt, 9, "PHIFD_ERR_CORRUPT"),
            (Status::Locked, 10, "PHIFD_ERR_LOCKED"),
            (Status::Malformed, 11, "PHIFD_ERR_MALFORMED"),
            (Status::Capacity, 12, "PHIFD_ERR_CAPACITY"),
            (Status::Auth, 13, "PHIFD_ERR_AUTH"),
            (Status::UnknownKey, 14, "PHIFD_ERR_UNKNOWN_KEY"),
        ];
        for (s, n, text) in want {
            assert_eq!(code(s), n, "{s:?}");
            assert_eq!(name_str(code(s)), text);
        }
        let e = CError::from(crate::error::Error::unknown_node(7));
        assert_eq!((e.status, e.message.as_str()), (3, "node 7 is not monitored"));
    }

    #[test]
    fn c_only_codes_and_names() {
        let want = [
            (PHIFD_OK, 0, "PHIFD_OK"),
            (PHIFD_ERR_NULL_ARG, 1, "PHIFD_ERR_NULL_ARG"),
            (PHIFD_ERR_INVALID_HANDLE, 5, "PHIFD_ERR_INVALID_HANDLE"),
            (PHIFD_ERR_INTERNAL, 6, "PHIFD_ERR_INTERNAL"),
            (PHIFD_ERR_BUFFER_TOO_SMALL, 7, "PHIFD_ERR_BUFFER_TOO_SMALL"),
        ];
        for (c, n, text) in want {
            assert_eq!(c, n);
            assert_eq!(name_str(c), text);
        }
        for unknown in [15, 16, 1000, u32::MAX] {
            assert_eq!(name_str(unknown), "PHIFD_UNKNOWN_STATUS");
        }
    }
}
