//! `phifd_generation`: the server's own durable generation clock.

use std::ffi::{c_char, CStr};

use super::handle::{self, Handle};
use super::status::{CError, PHIFD_ERR_CORRUPT};
use super::{check_array, guard, null_arg, out_ref, phifd_status, slice_in, MAX_OBJECT_BYTES};
use crate::generation::{self as core_gen, GenerationClock};

/// Largest valid generation (2^48), one bound for every path: a clock accepts or adopts nothing
/// above it; heartbeats (`phifd_heartbeat`, `_version`, `_batch`) and `phifd_node_add` refuse a
/// larger generation with `PHIFD_ERR_INVALID_ARG` (counted as `rejected_bad_generation`);
/// `phifd_datagram_encode` refuses a larger generation or term with `PHIFD_ERR_INVALID_ARG` and
/// `phifd_datagram_decode` with `PHIFD_ERR_MALFORMED`. Nothing changes on a refusal. At a thousand
/// new generations a second it takes 8,900 years to reach, so a larger value in a file or a message
/// is damage or forgery, not history: accepting one would make every later real restart look stale.
pub const PHIFD_MAX_GENERATION: u64 = 281_474_976_710_656u64;
const _: () = assert!(PHIFD_MAX_GENERATION == core_gen::MAX_GENERATION);

/// A server's own generation clock (opaque): the term/epoch/incarnation it stamps on everything it
/// sends. Never goes backwards and never hands out the same generation twice, across crashes at
/// any instant (durable clocks write a temporary file, fsync it, rename it over the file and fsync
/// the directory before returning). Thread-safe: any number of threads may use one clock, except
/// `phifd_generation_free`, which must not race with other calls on it.
pub struct phifd_generation {
    _opaque: [u8; 0],
}

impl Handle for phifd_generation {
    type Object = GenerationClock;
    const KIND: u64 = 3;
}

fn clock<'a>(g: *const phifd_generation) -> Result<&'a GenerationClock, CError> {
    handle::get(g, "clock")
}

/// Opens (or creates) the durable generation clock stored in the file `path` (a NUL-terminated
/// path; UTF-8 not required) and starts a new incarnation: the generation becomes the stored value
/// plus one (1 for a new file), durable before this returns. The file is created with owner-only
/// permissions (0600); a lock file `path.lock` is held (an OS lock) until `phifd_generation_free`.
/// Symlinks are followed, once, here: every symlink in `path` (the last component's too, even one
/// pointing to a file not created yet) is resolved, and the file, its lock and its temporary file
/// all live at the resolved path, so every spelling of one file (`g`, a symlink `g2 -> g`, a
/// symlinked directory) shares one lock and the symlink stays a symlink. Two hard links or two
/// mounts of one file are different files to the lock: give a clock one name.
/// On success writes the handle to `*out`.
/// Errors: `PHIFD_ERR_NULL_ARG`; `PHIFD_ERR_INVALID_ARG` (empty path, or the stored generation is
/// already 2^48 and cannot be increased); `PHIFD_ERR_LOCKED` (another
/// live process holds it); `PHIFD_ERR_CORRUPT` (the file is truncated, garbage, fails its checksum
/// or holds a value beyond 2^48: the message names the path and the damage; the file is left as it
/// is, never reset; a file that is too long is reported with its real size); `PHIFD_ERR_IO`
/// (missing directory, read-only filesystem, permissions, a symlink loop, or `path` names a
/// directory or a non-regular file, refused before any lock file is created: the message carries
/// the path and the OS error text).
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_open(path: *const c_char, out: *mut *mut phifd_generation) -> phifd_status {
    guard("phifd_generation_open", || {
        if path.is_null() {
            return Err(null_arg("path"));
        }
        let out = out_ref(out, "out")?;
        // SAFETY: non-NULL and NUL-terminated per the API contract.
        let bytes = unsafe { CStr::from_ptr(path) }.to_bytes();
        let os_path = {
            use std::os::unix::ffi::OsStrExt;
            std::path::Path::new(std::ffi::OsStr::from_bytes(bytes))
        };
        let c = GenerationClock::open(os_path)?;
        *out = handle::new::<phifd_generation>(c)?;
        Ok(())
    })
}

/// Creates an in-memory generation clock starting at `start` (for tests, and for callers who
/// persist the generation elsewhere). Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_ARG`
/// (`start` beyond 2^48).
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_new_in_memory(start: u64, out: *mut *mut phifd_generation) -> phifd_status {
    guard("phifd_generation_new_in_memory", || {
        let out = out_ref(out, "out")?;
        let c = GenerationClock::in_memory(start)?;
        *out = handle::new::<phifd_generation>(c)?;
        Ok(())
    })
}

/// Closes a clock and releases its file lock. NULL and an already-freed handle are ignored.
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_free(g: *mut phifd_generation) {
    let _ = guard("phifd_generation_free", || {
        handle::free(g);
        Ok(())
    });
}

/// Writes the current generation to `*out`. Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_current(g: *const phifd_generation, out: *mut u64) -> phifd_status {
    guard("phifd_generation_current", || {
        let out = out_ref(out, "out")?;
        let v = clock(g)?.current();
        *out = v;
        Ok(())
    })
}

/// Moves to a new generation (a new term or epoch, e.g. when starting an election), durable before
/// it returns, and writes it to `*out`.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_IO` (the generation is
/// unchanged), `PHIFD_ERR_INVALID_ARG` (the sane bound 2^48 is reached).
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_advance(g: *mut phifd_generation, out: *mut u64) -> phifd_status {
    guard("phifd_generation_advance", || {
        let out = out_ref(out, "out")?;
        *out = clock(g)?.advance()?;
        Ok(())
    })
}

/// Adopts a generation seen in a message from a peer (any heartbeat, reply or request). If `remote`
/// is higher than the current generation it is stored (durably) and `*out_step_down` is set to
/// true: someone newer exists, and a leader must step down to follower. Otherwise nothing changes
/// and `*out_step_down` is false.
/// Errors: `PHIFD_ERR_NULL_ARG`, `PHIFD_ERR_INVALID_HANDLE`, `PHIFD_ERR_INVALID_ARG` (`remote`
/// beyond 2^48: damage or an attack, not a term), `PHIFD_ERR_IO` (unchanged).
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_observe(
    g: *mut phifd_generation,
    remote: u64,
    out_step_down: *mut bool,
) -> phifd_status {
    guard("phifd_generation_observe", || {
        let out_step_down = out_ref(out_step_down, "out_step_down")?;
        *out_step_down = clock(g)?.observe(remote)?;
        Ok(())
    })
}

/// Parses the contents of a generation file (`len` bytes at `bytes`) without touching any file:
/// for tools that inspect or repair clocks, and for fuzzing. Writes the stored generation to `*out`.
/// A file is exactly 32 bytes: a longer `len` is reported as damage ("too long") before any byte is
/// read, so `bytes` need only hold `min(len, 32)` bytes.
/// Errors: `PHIFD_ERR_NULL_ARG` (`bytes` NULL with `len` > 0, or `out` NULL), `PHIFD_ERR_CORRUPT`
/// (the message names the damage), `PHIFD_ERR_INVALID_ARG` (`len` above `PTRDIFF_MAX`: no buffer
/// is that large; or `out` misaligned).
#[no_mangle]
pub unsafe extern "C" fn phifd_generation_parse(bytes: *const u8, len: usize, out: *mut u64) -> phifd_status {
    guard("phifd_generation_parse", || {
        let out = out_ref(out, "out")?;
        check_array(bytes, len, "bytes", "len", MAX_OBJECT_BYTES)?;
        let corrupt = |d: core_gen::Damage| CError::new(PHIFD_ERR_CORRUPT, d.to_string());
        // A generation file is exactly FILE_SIZE bytes: a longer `len` is refused before a slice
        // exists, so a wrong `len` never makes the library read past the caller's buffer.
        if len > core_gen::FILE_SIZE {
            return Err(corrupt(core_gen::Damage::TrailingBytes(len)));
        }
        // SAFETY: checked pair of `len` (at most 32) readable bytes (API contract).
        let data = unsafe { slice_in(bytes, len, "bytes", "len", core_gen::FILE_SIZE) }?;
        *out = core_gen::parse(data).map_err(corrupt)?;
        Ok(())
    })
}
