//! Capturing a real trace from UDP heartbeat datagrams.
//!
//! The datagrams are the library's own heartbeat format ([`phifd::wire`],
//! 56 bytes, little-endian, checksummed: the format every phifd server,
//! including the demo's, sends), so `record` can capture a running cluster.
//! Only heartbeats count (stale replies and malformed datagrams are counted
//! and ignored); the sequence number is the heartbeat version.
//!
//! The receive time is read from the monotonic clock ([`phifd::now_ns`]) as
//! soon as `recv_from` returns, on a thread that does nothing else; lost
//! heartbeats are inferred from gaps in the sequence numbers and written with
//! empty `send_ns` and `recv_ns`.
//!
//! With a key ([`read_key_file`], `--key-file`), `send` signs every datagram
//! (the 68-byte authenticated format, version 2: HMAC-SHA-256 under the key,
//! see `docs/security.md`) and `record` accepts only datagrams that verify
//! under it; everything else is counted by class ([`Recording`]) and left
//! out of the trace.

use crate::trace::{Heartbeat, Trace, NONE};
use phifd::auth::{AuthFailure, Keyring, MAX_KEY_LEN, MIN_KEY_LEN};
use phifd::wire::{Datagram, Kind, DATAGRAM_SIZE};
use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

/// Key id used by `--key-id` when none is given.
pub const DEFAULT_KEY_ID: u32 = 1;

/// Reads a shared key from `path`: the file's bytes, exactly as they are
/// (raw bytes, no decoding and no trimming: a trailing newline is part of
/// the key), 16 to 64 of them. Make one with
/// `head -c 32 /dev/urandom > cluster.key`; every node of the cluster and
/// the tool read the same file format.
///
/// Errors: the file cannot be read, or holds fewer than 16 or more than 64
/// bytes (the message names the path and how to make a valid key).
pub fn read_key_file(path: &Path) -> Result<Vec<u8>, String> {
    let key = std::fs::read(path).map_err(|e| format!("--key-file {}: {e}", path.display()))?;
    if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
        return Err(format!(
            "--key-file {}: holds {} bytes; a key is {MIN_KEY_LEN} to {MAX_KEY_LEN} raw bytes \
             (make one with: head -c 32 /dev/urandom > {})",
            path.display(),
            key.len(),
            path.display()
        ));
    }
    Ok(key)
}

/// A keyring holding `key` under `id`, which is also its signing key.
///
/// Errors: the key length is out of bounds (see [`read_key_file`]).
pub fn keyring(id: u32, key: &[u8]) -> Result<Keyring, String> {
    let k = Keyring::new();
    k.add_key(id, key).map_err(|e| e.to_string())?;
    Ok(k)
}

/// Encodes a heartbeat datagram (generation 1, term 1, not leader) as an
/// authenticated 68-byte datagram signed with `keyring`'s signing key.
///
/// Errors: the keyring holds no key.
pub fn encode_auth(keyring: &Keyring, node: u64, seq: u64, send_ns: u64) -> Result<Vec<u8>, String> {
    keyring
        .sign(&Datagram::heartbeat(node, 1, 1, seq, send_ns, false))
        .map(|b| b.to_vec())
        .map_err(|e| e.to_string())
}

/// Datagram length, bytes.
pub const LEN: usize = DATAGRAM_SIZE;

/// Encodes a heartbeat datagram (generation 1, term 1, not leader).
pub fn encode(node: u64, seq: u64, send_ns: u64) -> [u8; LEN] {
    Datagram::heartbeat(node, 1, 1, seq, send_ns, false).encode()
}

/// Decodes `(node, seq, send_ns)` of a heartbeat, or `None` for anything
/// else (malformed bytes, a stale reply).
pub fn decode(b: &[u8]) -> Option<(u64, u64, u64)> {
    match Datagram::decode(b) {
        Ok(d) if d.kind == Kind::Heartbeat => Some((d.node, d.version, d.send_ns)),
        _ => None,
    }
}

/// When recording stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bounds {
    /// Stop after this many valid heartbeats.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

/// What a recording produced.
#[derive(Debug)]
pub struct Recording {
    /// The trace (rows per node in sequence order, gaps filled as lost).
    pub trace: Trace,
    /// Datagrams ignored (wrong size, magic or version, a stale reply; with
    /// a key, also every unauthenticated 56-byte datagram).
    pub ignored: u64,
    /// Duplicated sequence numbers ignored.
    pub duplicates: u64,
    /// With a key: datagrams whose MAC did not verify (forged, damaged, or
    /// signed with another key under the same id).
    pub bad_mac: u64,
    /// With a key: datagrams signed under a key id the tool was not given.
    pub unknown_key: u64,
}

impl Recording {
    /// Datagrams refused because they were not authentic (bad MAC or unknown
    /// key id); zero without a key.
    pub fn rejected_auth(&self) -> u64 {
        self.bad_mac + self.unknown_key
    }
}

/// Records from `sock` until a bound is reached (at least one bound is
/// required, so the recording always ends). `progress` is called about
/// every 0.2 s with the number of heartbeats so far.
///
/// Errors: no bound given, or a socket error other than a timeout.
pub fn record(sock: &UdpSocket, b: Bounds, progress: impl FnMut(u64)) -> io::Result<Recording> {
    record_with(sock, b, None, progress)
}

/// [`record`], accepting with a `keyring` only authenticated datagrams that
/// verify under one of its keys ([`Keyring::verify`]: constant-time MAC
/// check before any field is read). Refusals are counted in
/// [`Recording::bad_mac`], [`Recording::unknown_key`] and
/// [`Recording::ignored`]; a refused datagram never reaches the trace and
/// does not count towards `count`.
pub fn record_with(
    sock: &UdpSocket,
    b: Bounds,
    keyring: Option<&Keyring>,
    mut progress: impl FnMut(u64),
) -> io::Result<Recording> {
    if b.count.is_none() && b.duration.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "give --count or --duration so the recording ends",
        ));
    }
    let start = Instant::now();
    let mut raw: Vec<(u64, u64, u64, u64)> = Vec::new();
    let mut ignored = 0u64;
    let (mut bad_mac, mut unknown_key) = (0u64, 0u64);
    let mut buf = [0u8; 2048];
    let mut last_progress = Instant::now();
    loop {
        if b.count.is_some_and(|c| raw.len() as u64 >= c) {
            break;
        }
        let left = match b.duration {
            Some(d) => match d.checked_sub(start.elapsed()) {
                Some(l) if !l.is_zero() => l,
                _ => break,
            },
            None => Duration::from_millis(200),
        };
        sock.set_read_timeout(Some(left.min(Duration::from_millis(200))))?;
        match sock.recv_from(&mut buf) {
            Ok((n, _from)) => {
                let now = phifd::now_ns();
                let bytes = buf.get(..n).unwrap_or(&[]);
                match keyring {
                    None => match decode(bytes) {
                        Some((node, seq, send)) => raw.push((node, seq, send, now)),
                        None => ignored += 1,
                    },
                    Some(k) => match k.verify(bytes) {
                        Ok(d) if d.kind == Kind::Heartbeat => raw.push((d.node, d.version, d.send_ns, now)),
                        Ok(_) | Err(AuthFailure::Malformed(_)) => ignored += 1,
                        Err(AuthFailure::BadMac(_)) => bad_mac += 1,
                        Err(AuthFailure::UnknownKey(_)) => unknown_key += 1,
                    },
                }
            }
            // Timeouts bound the wait; a signal (EINTR) just restarts it.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
        if last_progress.elapsed() >= Duration::from_millis(200) {
            progress(raw.len() as u64);
            last_progress = Instant::now();
        }
    }
    let (trace, duplicates) = to_trace(raw);
    Ok(Recording {
        trace,
        ignored,
        duplicates,
        bad_mac,
        unknown_key,
    })
}

/// Builds a trace from `(node, seq, send_ns, recv_ns)` receptions: per node
/// in sequence order, missing sequence numbers between the first and the
/// last seen become lost rows, duplicates are dropped (first kept).
pub fn to_trace(raw: Vec<(u64, u64, u64, u64)>) -> (Trace, u64) {
    let mut by: BTreeMap<u64, BTreeMap<u64, (u64, u64)>> = BTreeMap::new();
    let mut dup = 0;
    for (node, seq, send, recv) in raw {
        let e = by.entry(node).or_default();
        if e.contains_key(&seq) {
            dup += 1;
        } else {
            e.insert(seq, (send, recv));
        }
    }
    let mut t = Trace {
        multi_node: by.len() > 1 || by.keys().any(|&n| n != 0),
        ..Trace::default()
    };
    for (node, seqs) in by {
        let mut next: Option<u64> = None;
        for (seq, (send, recv)) in seqs {
            if let Some(n) = next {
                for s in n..seq {
                    t.rows.push(Heartbeat {
                        node,
                        seq: s,
                        send_ns: NONE,
                        recv_ns: NONE,
                    });
                }
            }
            t.rows.push(Heartbeat {
                node,
                seq,
                send_ns: send,
                recv_ns: recv,
            });
            next = Some(seq + 1);
        }
    }
    (t, dup)
}

/// Sends `count` heartbeats for `node` to `to`, one every `interval`,
/// stamped with [`phifd::now_ns`]. Used by `phifd send` and the tests.
pub fn send(to: SocketAddr, node: u64, count: u64, interval: Duration) -> io::Result<()> {
    send_with(to, node, count, interval, None)
}

/// [`send`], signing every datagram with `keyring`'s signing key when one is
/// given (68-byte authenticated datagrams), else 56-byte unauthenticated ones.
///
/// Errors: a socket error, or a keyring without a key.
pub fn send_with(
    to: SocketAddr,
    node: u64,
    count: u64,
    interval: Duration,
    keyring: Option<&Keyring>,
) -> io::Result<()> {
    let sock = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
    let t0 = Instant::now();
    for seq in 0..count {
        let due = t0 + interval * seq as u32;
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        let now = phifd::now_ns();
        match keyring {
            None => sock.send_to(&encode(node, seq, now), to)?,
            Some(k) => sock.send_to(
                &encode_auth(k, node, seq, now).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
                to,
            )?,
        };
    }
    Ok(())
}
