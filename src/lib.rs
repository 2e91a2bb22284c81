//! # phifd — a phi-accrual failure detector
//!
//! phifd records when heartbeats from peers arrive, learns each peer's arrival
//! pattern over a sliding window, and turns silence into a suspicion level,
//! phi, instead of a yes/no timeout. It tracks each peer's generation
//! (term, epoch, incarnation) so restarts and stale senders are recognised.
//!
//! The core (this crate outside [`ffi`]) is safe Rust with its own API (its one `unsafe` call
//! reads the monotonic clock, in [`clock`]); the C ABI in `src/ffi` is a thin layer over it,
//! declared in `include/phifd.h`. The core never calls into `src/ffi`.
//!
//! ```
//! use phifd::{Config, Monitor, State};
//! let mut cfg = Config::new();
//! cfg.set_heartbeat_interval_ns(100_000_000).unwrap(); // 100 ms
//! let m = Monitor::new(&cfg).unwrap();
//! let mut t = 1_000_000_000u64;
//! for _ in 0..50 {
//!     m.heartbeat(7, 1, t).unwrap();
//!     t += 100_000_000;
//! }
//! assert!(m.phi(7, t).unwrap() < 1.0);
//! // After 5 s of silence node 7 is convicted.
//! let mut events = Vec::new();
//! m.poll(t + 5_000_000_000, &mut events, 16);
//! assert_eq!(events.last().unwrap().to, State::Failed);
//! ```
#![deny(unsafe_code)]
// No panics in the library: outside tests, unwrap/expect/panic and unchecked indexing are
// compile errors under clippy (`make clippy`). The few proven-unreachable cases carry an
// `#[allow]` with the proof next to it.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]
#![warn(missing_docs)]

pub mod auth;
mod bytes;
pub mod clock;
pub mod config;
pub mod error;
pub mod estimator;
pub mod generation;
pub mod monitor;
pub(crate) mod node;
mod num;
pub mod prometheus;
pub mod qos;
pub mod replay;
mod selfwatch;
mod shard;
pub(crate) mod window;
pub mod wire;

#[allow(unsafe_code)]
pub mod ffi;

pub use config::Config;
pub use error::{Error, Result, Status};
pub use estimator::Estimator;
pub use generation::GenerationClock;
pub use monitor::{Monitor, MonitorStats, NodeInfo};
pub use node::{Event, EventKind, State};
pub use qos::{QosReport, QosTargets};

/// The library version (Cargo's), e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Nanoseconds of the system's monotonic clock (`CLOCK_MONOTONIC`), the same
/// clock as C's `clock_gettime(CLOCK_MONOTONIC)` and Python's `time.monotonic_ns()`.
pub fn now_ns() -> u64 {
    clock::monotonic_ns()
}
