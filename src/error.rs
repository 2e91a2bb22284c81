//! The error type of the core: a kind ([`Status`]) and a message naming the argument and the reason.

use std::fmt;

/// What kind of failure an [`Error`] is. The C ABI gives each kind its own status code
/// (`src/ffi/status.rs`); here they are only names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// An argument was out of range (NaN, infinite, zero or negative where meaningless), or
    /// settings that do not combine.
    InvalidArg,
    /// The node id is not monitored.
    UnknownNode,
    /// A heartbeat carried a generation lower than the node's current one.
    StaleGeneration,
    /// An operating-system I/O error (the message carries the path and the OS error text).
    Io,
    /// Stored data is damaged (the message names the path and the damage).
    Corrupt,
    /// A resource is held by another live process (an OS lock).
    Locked,
    /// Untrusted bytes are not a valid message (the message names the defect).
    Malformed,
    /// The monitor already holds `max_nodes` nodes; a new id is refused (counted in the stats).
    Capacity,
    /// The datagram's MAC does not verify.
    Auth,
    /// The datagram names a key id the keyring does not hold.
    UnknownKey,
}

impl Status {
    /// A short lowercase description, e.g. `"unknown node"`.
    pub fn description(self) -> &'static str {
        match self {
            Status::InvalidArg => "invalid argument",
            Status::UnknownNode => "unknown node",
            Status::StaleGeneration => "stale generation",
            Status::Io => "I/O error",
            Status::Corrupt => "corrupt data",
            Status::Locked => "locked by another process",
            Status::Malformed => "malformed message",
            Status::Capacity => "at capacity",
            Status::Auth => "authentication failed",
            Status::UnknownKey => "unknown key",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
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
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias of the core.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind_in_words_and_the_message() {
        assert_eq!(
            Error::unknown_node(7).to_string(),
            "unknown node: node 7 is not monitored"
        );
        assert_eq!(
            Error::invalid("window must be > 0").to_string(),
            "invalid argument: window must be > 0"
        );
        assert_eq!(
            Error::new(Status::Locked, "gen.file").to_string(),
            "locked by another process: gen.file"
        );
    }
}
