//! The local generation clock: the number a server stamps on everything it
//! sends (its term, epoch or incarnation).
//!
//! A [`GenerationClock`] never goes backwards and never hands out the same
//! generation twice, across crashes at any instant, when it is durable:
//! every new value is written to `PATH.tmp`, fsynced, renamed over `PATH`,
//! and the directory is fsynced, all before the value is returned. Opening the
//! clock is itself a new incarnation (the stored value plus one, made durable
//! before `open` returns), so a process that crashed after handing out `g`
//! restarts at `g + 1` or more. An OS lock on `PATH.lock` (held while the clock
//! is open) keeps two live processes from sharing one file.
//!
//! ## One file, one clock, whatever the spelling
//! The lock must follow the file, not the spelling of its path: `g` and a
//! symlink `g2 -> g` opened by two processes would otherwise take two different
//! lock files, and both would hand out the same generations. So `open` resolves
//! the path once, following every symlink in it (the last component's too, even
//! one that points to a file not created yet), and from then on the lock file,
//! the temporary file and the rename all use the resolved path: the symlink stays
//! a symlink, and every spelling of one file shares one lock. Symlinks are
//! followed rather than refused because state directories are routinely
//! symlinks (`/var/lib/app -> /data/app`) and refusing them would break those
//! deployments for no gain in safety. What remains outside the rule: two hard
//! links to one file, or one file seen through two different mounts (bind
//! mounts, network filesystems), are different paths to the OS too; do not
//! give one clock two such names.
//!
//! A path naming a directory or something other than a regular file (a FIFO, a
//! device, a socket) is refused before any lock file is created.
//!
//! ## File format (32 bytes, little-endian)
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `PHIFDGEN` |
//! | 8 | 4 | format version, 1 |
//! | 12 | 4 | reserved, 0 |
//! | 16 | 8 | generation |
//! | 24 | 8 | FNV-1a 64 checksum of bytes 0..24 |
//!
//! A damaged file is an error naming the path and the damage, never a silent
//! reset: a reset to zero would make every peer reject the node as stale, or
//! worse, reuse terms that were already handed out.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::bytes::{fnv1a64, put, u32_at, u64_at};
use crate::error::{Error, Result, Status};

/// Size of the file.
pub const FILE_SIZE: usize = 32;
const MAGIC: &[u8; 8] = b"PHIFDGEN";
const FORMAT_VERSION: u32 = 1;
/// Largest generation accepted (2^48): at a thousand new generations a second it takes 8,900
/// years to reach, so a larger value in a file or a message is damage, not history.
pub const MAX_GENERATION: u64 = 1 << 48;

/// What is wrong with a generation file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// Shorter than 32 bytes (e.g. 0 bytes: created but never written).
    Truncated(usize),
    /// Longer than 32 bytes.
    TrailingBytes(usize),
    /// The first 8 bytes are not `PHIFDGEN`.
    BadMagic,
    /// A format version this library does not know.
    UnsupportedVersion(u32),
    /// The reserved field is not zero.
    BadReserved,
    /// The checksum does not match the contents.
    ChecksumMismatch,
    /// The generation is beyond [`MAX_GENERATION`].
    FromTheFuture(u64),
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Truncated(n) => write!(f, "truncated: {n} bytes, expected {FILE_SIZE}"),
            Damage::TrailingBytes(n) => write!(f, "too long: {n} bytes, expected {FILE_SIZE}"),
            Damage::BadMagic => write!(f, "not a phifd generation file (bad magic)"),
            Damage::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Damage::BadReserved => write!(f, "reserved field is not zero"),
            Damage::ChecksumMismatch => write!(f, "checksum mismatch"),
            Damage::FromTheFuture(g) => write!(f, "generation {g} is beyond the sane bound {MAX_GENERATION}"),
        }
    }
}

/// Encodes a generation as the 32-byte file contents.
pub fn encode(generation: u64) -> [u8; FILE_SIZE] {
    let mut b = [0u8; FILE_SIZE];
    let (head, tail) = b.split_at_mut(24);
    put(head, 0, MAGIC);
    put(head, 8, &FORMAT_VERSION.to_le_bytes());
    put(head, 16, &generation.to_le_bytes());
    let sum = fnv1a64(head);
    tail.copy_from_slice(&sum.to_le_bytes());
    b
}

/// Parses the file contents. A pure function over bytes: total, never panics.
pub fn parse(bytes: &[u8]) -> std::result::Result<u64, Damage> {
    if bytes.len() < FILE_SIZE {
        return Err(Damage::Truncated(bytes.len()));
    }
    if bytes.len() > FILE_SIZE {
        return Err(Damage::TrailingBytes(bytes.len()));
    }
    if bytes.get(..8) != Some(MAGIC.as_slice()) {
        return Err(Damage::BadMagic);
    }
    let version = u32_at(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(Damage::UnsupportedVersion(version));
    }
    if u32_at(bytes, 12) != 0 {
        return Err(Damage::BadReserved);
    }
    if fnv1a64(bytes.get(..24).unwrap_or(&[])) != u64_at(bytes, 24) {
        return Err(Damage::ChecksumMismatch);
    }
    let g = u64_at(bytes, 16);
    if g > MAX_GENERATION {
        return Err(Damage::FromTheFuture(g));
    }
    Ok(g)
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> Error {
    Error::new(Status::Io, format!("{what} {}: {e}", path.display()))
}

struct Durable {
    path: PathBuf,
    dir: PathBuf,
    /// Held open (and locked) for the life of the clock.
    _lock: File,
}

impl Durable {
    fn store(&self, generation: u64) -> Result<()> {
        let mut tmp_name = self.path.clone().into_os_string();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let mut f = owner_only(OpenOptions::new().write(true).create(true).truncate(true))
            .open(&tmp)
            .map_err(|e| io_error("cannot create", &tmp, &e))?;
        f.write_all(&encode(generation))
            .map_err(|e| io_error("cannot write", &tmp, &e))?;
        f.sync_all().map_err(|e| io_error("cannot fsync", &tmp, &e))?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(|e| io_error("cannot rename over", &self.path, &e))?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("cannot fsync directory", &self.dir, &e))?;
        Ok(())
    }
}

#[cfg(unix)]
fn owner_only(o: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(0o600)
}

#[cfg(not(unix))]
fn owner_only(o: &mut OpenOptions) -> &mut OpenOptions {
    o
}

/// A server's own generation clock. Thread-safe (`Send + Sync`).
pub struct GenerationClock {
    value: Mutex<u64>,
    durable: Option<Durable>,
}

impl std::fmt::Debug for GenerationClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerationClock")
            .field("current", &*self.value.lock())
            .field("path", &self.durable.as_ref().map(|d| d.path.clone()))
            .finish()
    }
}

impl GenerationClock {
    /// Opens (or creates) the durable clock at `path` and starts a new
    /// incarnation: the stored generation plus one (1 for a new file), made
    /// durable before this returns.
    ///
    /// Symlinks in `path` are followed once, here (see the module documentation):
    /// the clock lives at the resolved path, which [`GenerationClock::path`]
    /// returns, and every spelling of one file shares one lock.
    ///
    /// Errors: `InvalidArg` for an empty path; `Locked` if another live process
    /// holds the clock (through any spelling of its path); `Corrupt` if the file
    /// is damaged (the message names the path and the damage, e.g. its real size
    /// when it is too long); `Io` with the OS error for a missing directory, a
    /// read-only filesystem, permissions, a symlink loop, and for a path that
    /// names a directory or a non-regular file (refused before any lock file is
    /// created).
    pub fn open(path: impl AsRef<Path>) -> Result<GenerationClock> {
        let given = path.as_ref();
        if given.as_os_str().is_empty() {
            return Err(Error::invalid("path is empty"));
        }
        let (dir, path) = resolve(given)?;
        let mut lock_name = path.clone().into_os_string();
        lock_name.push(".lock");
        let lock_path = PathBuf::from(lock_name);
        let lock = owner_only(OpenOptions::new().read(true).write(true).create(true).truncate(false))
            .open(&lock_path)
            .map_err(|e| io_error("cannot open lock file", &lock_path, &e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    Status::Locked,
                    format!(
                    "{} is held by another live process (lock {}); close it there, or give this process its own file",
                    shown(given, &path),
                    lock_path.display()
                ),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error("cannot lock", &lock_path, &e)),
        }
        let stored = match File::open(&path) {
            Ok(f) => read_stored(f, given, &path)?,
            Err(e) if e.kind() == ErrorKind::NotFound => 0,
            Err(e) => return Err(io_error("cannot open", &path, &e)),
        };
        let next = next_generation(stored)?;
        let durable = Durable { path, dir, _lock: lock };
        durable.store(next)?;
        Ok(GenerationClock {
            value: Mutex::new(next),
            durable: Some(durable),
        })
    }

    /// An in-memory clock starting at `start` (for tests, and for callers who
    /// persist the generation elsewhere). `start` must be at most [`MAX_GENERATION`].
    pub fn in_memory(start: u64) -> Result<GenerationClock> {
        if start > MAX_GENERATION {
            return Err(Error::invalid(format!(
                "start {start} is beyond the sane bound {MAX_GENERATION}"
            )));
        }
        Ok(GenerationClock {
            value: Mutex::new(start),
            durable: None,
        })
    }

    /// The current generation.
    pub fn current(&self) -> u64 {
        *self.value.lock()
    }

    /// Moves to a new generation (a new term or epoch, e.g. when starting an
    /// election), durable before it returns, and returns it.
    pub fn advance(&self) -> Result<u64> {
        let mut v = self.value.lock();
        let next = next_generation(*v)?;
        if let Some(d) = &self.durable {
            d.store(next)?;
        }
        *v = next;
        Ok(next)
    }

    /// Adopts a generation seen in a message from a peer. If `remote` is higher
    /// than the current one it is stored durably and `true` is returned: someone
    /// newer exists, and a leader must step down. Otherwise nothing changes and
    /// `false` is returned. A `remote` beyond [`MAX_GENERATION`] is rejected
    /// (`InvalidArg`): it is damage or an attack, not a term.
    pub fn observe(&self, remote: u64) -> Result<bool> {
        if remote > MAX_GENERATION {
            return Err(Error::invalid(format!(
                "remote generation {remote} is beyond the sane bound {MAX_GENERATION}"
            )));
        }
        let mut v = self.value.lock();
        if remote <= *v {
            return Ok(false);
        }
        if let Some(d) = &self.durable {
            d.store(remote)?;
        }
        *v = remote;
        Ok(true)
    }

    /// The file, for a durable clock: the path given to [`GenerationClock::open`]
    /// with every symlink resolved (an absolute path).
    pub fn path(&self) -> Option<&Path> {
        self.durable.as_ref().map(|d| d.path.as_path())
    }
}

/// How many symlinks `resolve` follows before it calls the path a loop (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Resolves `given` to the file it names: returns the canonical directory and the
/// absolute path of the file in it, with every symlink followed (the last
/// component's too, even when it points to a file that does not exist yet).
/// A path naming a directory or a non-regular file is an `Io` error.
fn resolve(given: &Path) -> Result<(PathBuf, PathBuf)> {
    let mut p = given.to_path_buf();
    for _ in 0..MAX_SYMLINKS {
        let Some(name) = p.file_name().map(|n| n.to_os_string()) else {
            return Err(Error::new(
                Status::Io,
                format!(
                    "{} names a directory, not a generation file: pass the path of a file in it",
                    given.display()
                ),
            ));
        };
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = std::fs::canonicalize(&parent).map_err(|e| io_error("cannot open the directory of", given, &e))?;
        let file = dir.join(&name);
        match std::fs::symlink_metadata(&file) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&file).map_err(|e| io_error("cannot read the symlink", &file, &e))?;
                p = dir.join(target); // an absolute target replaces `dir`
            }
            Ok(m) if m.is_dir() => {
                return Err(Error::new(
                    Status::Io,
                    format!(
                        "{} is a directory, not a generation file: pass the path of a file in it (e.g. {})",
                        shown(given, &file),
                        given.join("generation").display()
                    ),
                ))
            }
            Ok(m) if !m.is_file() => {
                return Err(Error::new(
                    Status::Io,
                    format!(
                        "{} is not a regular file (a FIFO, socket or device): pass the path of a plain file",
                        shown(given, &file)
                    ),
                ))
            }
            Ok(_) => return Ok((dir, file)),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok((dir, file)),
            Err(e) => return Err(io_error("cannot inspect", &file, &e)),
        }
    }
    Err(Error::new(
        Status::Io,
        format!(
            "{}: more than {MAX_SYMLINKS} levels of symbolic links (a loop?)",
            given.display()
        ),
    ))
}

/// `given`, followed by the resolved path when the two differ.
fn shown(given: &Path, resolved: &Path) -> String {
    if given == resolved {
        given.display().to_string()
    } else {
        format!("{} (resolved to {})", given.display(), resolved.display())
    }
}

/// Reads and parses an open generation file. At most 33 bytes are read: a longer
/// file is reported with its real size (from its metadata), however large.
fn read_stored(f: File, given: &Path, path: &Path) -> Result<u64> {
    let mut bytes = Vec::with_capacity(FILE_SIZE + 1);
    let limit = FILE_SIZE as u64 + 1;
    (&f).take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error("cannot read", path, &e))?;
    let damage = if bytes.len() > FILE_SIZE {
        let size = f.metadata().map(|m| m.len()).unwrap_or(0).max(limit);
        Damage::TrailingBytes(usize::try_from(size).unwrap_or(usize::MAX))
    } else {
        match parse(&bytes) {
            Ok(g) => return Ok(g),
            Err(d) => d,
        }
    };
    Err(Error::new(Status::Corrupt, format!("{}: {damage}", shown(given, path))))
}

fn next_generation(g: u64) -> Result<u64> {
    if g >= MAX_GENERATION {
        return Err(Error::invalid(format!(
            "generation {g} has reached the sane bound {MAX_GENERATION}"
        )));
    }
    Ok(g + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for g in [0, 1, 42, MAX_GENERATION] {
            assert_eq!(parse(&encode(g)), Ok(g));
        }
    }

    #[test]
    fn every_damage_is_named() {
        let good = encode(7);
        assert_eq!(parse(&[]), Err(Damage::Truncated(0)));
        assert_eq!(parse(&good[..31]), Err(Damage::Truncated(31)));
        let mut long = good.to_vec();
        long.push(0);
        assert_eq!(parse(&long), Err(Damage::TrailingBytes(33)));
        let mut b = good;
        b[0] = b'X';
        assert_eq!(parse(&b), Err(Damage::BadMagic));
        let mut b = good;
        b[8] = 2;
        assert_eq!(parse(&b), Err(Damage::UnsupportedVersion(2)));
        let mut b = good;
        b[13] = 1;
        assert_eq!(parse(&b), Err(Damage::BadReserved));
        let mut b = good;
        b[16] ^= 1; // generation 6 with 7's checksum
        assert_eq!(parse(&b), Err(Damage::ChecksumMismatch));
        let mut b = good;
        b[24] ^= 0x80;
        assert_eq!(parse(&b), Err(Damage::ChecksumMismatch));
        // A well-formed file whose value is beyond the bound.
        assert_eq!(
            parse(&encode(MAX_GENERATION + 1)),
            Err(Damage::FromTheFuture(MAX_GENERATION + 1))
        );
        assert_eq!(parse(&[0xff; 32]), Err(Damage::BadMagic));
    }

    #[test]
    fn in_memory_clock_rules() {
        let c = GenerationClock::in_memory(5).unwrap();
        assert_eq!(c.advance().unwrap(), 6);
        assert!(!c.observe(6).unwrap());
        assert!(!c.observe(3).unwrap());
        assert!(c.observe(10).unwrap());
        assert_eq!(c.current(), 10);
        assert!(c.observe(MAX_GENERATION + 1).is_err());
        assert_eq!(c.current(), 10);
        assert!(GenerationClock::in_memory(MAX_GENERATION).unwrap().advance().is_err());
    }
}
