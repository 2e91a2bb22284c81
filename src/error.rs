//! Status codes and the error type of the core.

use std::fmt;

/// Outcome codes. The numeric values are part of the C ABI: append-only,
/// never renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArg = 1,
    /// An argument was out of range (NaN, infinite, zero or negative where meaningless, unknown enum code).
    InvalidArg = 2,
    /// The node id is not monitored.
    UnknownNode = 3,
    /// A heartbeat carried a generation lower than the node's current one.
    StaleGeneration = 4,
    /// A handle was NULL-free but not a live object of the expected type (freed or foreign).
    InvalidHandle = 5,
    /// A bug in the library (a caught panic). Please report it.
    Internal = 6,
    /// A caller-provided buffer or struct is too small.
    BufferTooSmall = 7,
    /// An operating-system I/O error (the message carries the path and the OS error text).
    Io = 8,
    /// Stored data is damaged (the message names the path and the damage).
    Corrupt = 9,
    /// A resource is held by another live process (an OS lock).
    Locked = 10,
    /// Untrusted bytes are not a valid message (the message names the defect).
    Malformed = 11,
    /// The monitor already holds `max_nodes` nodes; a new id is refused (counted in the stats).
    Capacity = 12,
    /// The datagram's MAC does not verify.
    Auth = 13,
    /// The datagram names a key id the keyring does not hold.
    UnknownKey = 14,
}

impl Status {
    /// Every status, in code order.
    pub fn all() -> [Status; 15] {
        [
            Status::Ok,
            Status::NullArg,
            Status::InvalidArg,
            Status::UnknownNode,
            Status::StaleGeneration,
            Status::InvalidHandle,
            Status::Internal,
            Status::BufferTooSmall,
            Status::Io,
            Status::Corrupt,
            Status::Locked,
            Status::Malformed,
            Status::Capacity,
            Status::Auth,
            Status::UnknownKey,
        ]
    }

    /// The stable C name of the code, e.g. `"PHIFD_ERR_UNKNOWN_NODE"`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "PHIFD_OK",
            Status::NullArg => "PHIFD_ERR_NULL_ARG",
            Status::InvalidArg => "PHIFD_ERR_INVALID_ARG",
            Status::UnknownNode => "PHIFD_ERR_UNKNOWN_NODE",
            Status::StaleGeneration => "PHIFD_ERR_STALE_GENERATION",
            Status::InvalidHandle => "PHIFD_ERR_INVALID_HANDLE",
            Status::Internal => "PHIFD_ERR_INTERNAL",
            Status::BufferTooSmall => "PHIFD_ERR_BUFFER_TOO_SMALL",
            Status::Io => "PHIFD_ERR_IO",
            Status::Corrupt => "PHIFD_ERR_CORRUPT",
            Status::Locked => "PHIFD_ERR_LOCKED",
            Status::Malformed => "PHIFD_ERR_MALFORMED",
            Status::Capacity => "PHIFD_ERR_CAPACITY",
            Status::Auth => "PHIFD_ERR_AUTH",
            Status::UnknownKey => "PHIFD_ERR_UNKNOWN_KEY",
        }
    }

    /// The status for a numeric code, if the code is defined.
    pub fn from_code(code: u32) -> Option<Status> {
        Status::all().get(code as usize).copied()
    }
}

/// An error: a status plus a message naming the argument and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The status code.
    pub status: Status,
    /// Human-readable detail.
    pub message: String,
}

impl Error {
    /// A new error.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }

    /// `InvalidArg` naming a setting.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(Status::InvalidArg, message)
    }

    /// `UnknownNode` for `node`.
    pub fn unknown_node(node: u64) -> Self {
        Error::new(Status::UnknownNode, format!("node {node} is not monitored"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;
