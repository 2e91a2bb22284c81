//! Pointer+length pairs through the C ABI, called from Rust exactly as a C program would.
//!
//! Every C function that takes a buffer or an array with its length must validate the pair before
//! any Rust slice of it exists: NULL with a non-zero length, a length no object can have
//! (`SIZE_MAX`, `2^63`, `PTRDIFF_MAX`, or beyond the function's documented maximum), and a typed
//! pointer that is not aligned for its element type. Under Miri (`make miri`) building a slice from
//! such a pair is reported as undefined behaviour, so these tests fail there unless the checks come
//! first; in a debug build `slice::from_raw_parts` aborts the process on the same inputs.
//!
//! The buffers are real and valid for their true size: only the length (or the alignment) lies.

use std::ffi::CStr;
use std::ptr;

use phifd::ffi::generation::phifd_generation_parse;
use phifd::ffi::monitor::*;
use phifd::ffi::prometheus::*;
use phifd::ffi::snapshot::*;
use phifd::ffi::wire::*;
use phifd::ffi::*;

/// Lengths no buffer can have: `SIZE_MAX`, `2^63` and `PTRDIFF_MAX`.
const HUGE: [usize; 3] = [usize::MAX, 1 << 63, isize::MAX as usize];

fn last_error() -> String {
    // SAFETY: the library returns a valid NUL-terminated string, never NULL.
    unsafe { CStr::from_ptr(phifd_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

fn new_monitor() -> *mut phifd_monitor {
    let mut m = ptr::null_mut();
    // SAFETY: NULL config means defaults; `m` is a writable out-pointer.
    assert_eq!(unsafe { phifd_monitor_new(ptr::null(), &mut m) }, PHIFD_OK);
    m
}

/// A valid encoded heartbeat (56 bytes) in a buffer of exactly that size.
fn datagram_bytes() -> [u8; PHIFD_DATAGRAM_SIZE] {
    let d = phifd_datagram {
        kind: PHIFD_DATAGRAM_HEARTBEAT,
        flags: 0,
        node: 7,
        generation: 3,
        term: 2,
        version: 9,
        send_ns: 5,
    };
    let mut buf = [0u8; PHIFD_DATAGRAM_SIZE];
    let mut written = 0usize;
    // SAFETY: valid datagram, 56 writable bytes, writable `written`.
    let st = unsafe { phifd_datagram_encode(&d, buf.as_mut_ptr(), buf.len(), &mut written) };
    assert_eq!((st, written), (PHIFD_OK, 56));
    buf
}

/// A valid generation file (32 bytes) for generation 41, built by hand from the documented layout:
/// magic `PHIFDGEN`, format version 1 (u32 LE), reserved 0 (u32), generation (u64 LE), FNV-1a 64 of
/// bytes 0..24 (u64 LE).
fn generation_file() -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..8].copy_from_slice(b"PHIFDGEN");
    b[8..12].copy_from_slice(&1u32.to_le_bytes());
    b[16..24].copy_from_slice(&41u64.to_le_bytes());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &x in &b[..24] {
        h ^= u64::from(x);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    b[24..].copy_from_slice(&h.to_le_bytes());
    b
}

#[test]
fn datagram_decode_accepts_the_true_length() {
    let buf = datagram_bytes();
    let mut out = phifd_datagram::default();
    // SAFETY: 56 readable bytes.
    assert_eq!(
        unsafe { phifd_datagram_decode(buf.as_ptr(), buf.len(), &mut out) },
        PHIFD_OK
    );
    assert_eq!(
        (out.node, out.generation, out.term, out.version, out.send_ns),
        (7, 3, 2, 9, 5)
    );
}

#[test]
fn datagram_decode_rejects_impossible_lengths_without_reading() {
    let buf = datagram_bytes();
    for len in HUGE {
        let mut out = phifd_datagram {
            node: 99,
            ..Default::default()
        };
        // SAFETY: the library must not read past the 56 bytes whatever `len` claims.
        let st = unsafe { phifd_datagram_decode(buf.as_ptr(), len, &mut out) };
        assert_ne!(st, PHIFD_OK, "len {len}");
        assert_eq!(out.node, 99, "out written on failure (len {len})");
        let msg = last_error();
        if len > isize::MAX as usize {
            assert_eq!(st, PHIFD_ERR_INVALID_ARG, "len {len}: {msg}");
            assert!(msg.contains("`len`") && msg.contains(&len.to_string()), "{msg}");
        } else {
            // PTRDIFF_MAX could be a size; it is simply not a datagram's, and nothing is read.
            assert_eq!(st, PHIFD_ERR_MALFORMED, "len {len}: {msg}");
            assert!(msg.contains("wrong length") && msg.contains(&len.to_string()), "{msg}");
        }
    }
}

#[test]
fn datagram_decode_null_buffer() {
    let mut out = phifd_datagram::default();
    // SAFETY: NULL with a length is the case under test.
    assert_eq!(
        unsafe { phifd_datagram_decode(ptr::null(), 56, &mut out) },
        PHIFD_ERR_NULL_ARG
    );
    assert!(last_error().contains("`buf`"), "{}", last_error());
    // SAFETY: NULL with length 0 is an empty input: malformed, not a NULL error.
    assert_eq!(
        unsafe { phifd_datagram_decode(ptr::null(), 0, &mut out) },
        PHIFD_ERR_MALFORMED
    );
}

#[test]
fn datagram_encode_rejects_impossible_capacity() {
    let d = phifd_datagram::default();
    let mut buf = [0u8; PHIFD_DATAGRAM_SIZE];
    let mut written = 77usize;
    for cap in [usize::MAX, 1 << 63] {
        // SAFETY: 56 writable bytes; the capacity lies.
        let st = unsafe { phifd_datagram_encode(&d, buf.as_mut_ptr(), cap, &mut written) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "cap {cap}: {}", last_error());
        assert!(last_error().contains("`cap`"), "{}", last_error());
        assert_eq!(written, 77);
    }
}

#[test]
fn generation_parse_accepts_the_true_length() {
    let file = generation_file();
    let mut g = 0u64;
    // SAFETY: 32 readable bytes.
    assert_eq!(
        unsafe { phifd_generation_parse(file.as_ptr(), file.len(), &mut g) },
        PHIFD_OK,
        "{}",
        last_error()
    );
    assert_eq!(g, 41);
}

#[test]
fn generation_parse_rejects_impossible_lengths_without_reading() {
    let file = generation_file();
    for len in HUGE {
        let mut g = 5u64;
        // SAFETY: the library must not read past the 32 bytes whatever `len` claims.
        let st = unsafe { phifd_generation_parse(file.as_ptr(), len, &mut g) };
        let msg = last_error();
        assert_eq!(g, 5, "out written on failure (len {len})");
        if len > isize::MAX as usize {
            assert_eq!(st, PHIFD_ERR_INVALID_ARG, "len {len}: {msg}");
            assert!(msg.contains("`len`") && msg.contains(&len.to_string()), "{msg}");
        } else {
            assert_eq!(st, PHIFD_ERR_CORRUPT, "len {len}: {msg}");
            assert!(msg.contains("too long") && msg.contains(&len.to_string()), "{msg}");
        }
    }
    // One byte too many is "too long" too, and still nothing past byte 32 is needed.
    let mut g = 5u64;
    // SAFETY: as above.
    assert_eq!(
        unsafe { phifd_generation_parse(file.as_ptr(), 33, &mut g) },
        PHIFD_ERR_CORRUPT
    );
    // SAFETY: NULL with a length.
    assert_eq!(
        unsafe { phifd_generation_parse(ptr::null(), 32, &mut g) },
        PHIFD_ERR_NULL_ARG
    );
    assert!(last_error().contains("`bytes`"), "{}", last_error());
}

#[test]
fn heartbeat_batch_rejects_impossible_counts() {
    let m = new_monitor();
    let nodes = [1u64, 2, 3];
    let gens = [1u64, 1, 1];
    let times = [10u64, 20, 30];
    for count in HUGE {
        let mut statuses = [1234u32; 3];
        // SAFETY: three elements per array; the count lies.
        let st = unsafe {
            phifd_heartbeat_batch(
                m,
                nodes.as_ptr(),
                gens.as_ptr(),
                times.as_ptr(),
                count,
                statuses.as_mut_ptr(),
            )
        };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "count {count}: {}", last_error());
        assert!(last_error().contains("`count`"), "{}", last_error());
        assert_eq!(statuses, [1234; 3], "statuses written although the call was refused");
    }
    let mut n = 99u64;
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_monitor_node_count(m, &mut n) }, PHIFD_OK);
    assert_eq!(n, 0, "a refused batch must not record anything");
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}

#[test]
fn heartbeat_batch_rejects_misaligned_arrays() {
    let m = new_monitor();
    // 4 u64 of storage, viewed from byte 1: three records' worth of bytes at an odd address.
    let storage = [0u64; 4];
    let odd = storage.as_ptr().cast::<u8>().wrapping_add(1).cast::<u64>();
    let good = [5u64, 6, 7];
    let times = [10u64, 20, 30];
    for (which, (n, g, t)) in [
        ("nodes", (odd, good.as_ptr(), times.as_ptr())),
        ("generations", (good.as_ptr(), odd, times.as_ptr())),
        ("times_ns", (good.as_ptr(), good.as_ptr(), odd)),
    ] {
        // SAFETY: every array holds 24 readable bytes; one is misaligned.
        let st = unsafe { phifd_heartbeat_batch(m, n, g, t, 3, ptr::null_mut()) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{which}: {}", last_error());
        let msg = last_error();
        assert!(msg.contains(&format!("`{which}`")) && msg.contains("aligned"), "{msg}");
    }
    let mut statuses = [0u32; 4];
    let odd_statuses = statuses.as_mut_ptr().cast::<u8>().wrapping_add(2).cast::<u32>();
    // SAFETY: 12 writable bytes at a misaligned address.
    let st = unsafe { phifd_heartbeat_batch(m, good.as_ptr(), good.as_ptr(), times.as_ptr(), 3, odd_statuses) };
    assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{}", last_error());
    assert!(last_error().contains("`statuses`"), "{}", last_error());
    let mut n = 99u64;
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_monitor_node_count(m, &mut n) }, PHIFD_OK);
    assert_eq!(n, 0);
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}

#[test]
fn heartbeat_batch_valid_and_null() {
    let m = new_monitor();
    let nodes = [1u64, 2, 1];
    let gens = [1u64, 1, 0];
    let times = [10u64, 20, 30];
    let mut statuses = [77u32; 3];
    // SAFETY: three valid elements per array.
    let st = unsafe {
        phifd_heartbeat_batch(
            m,
            nodes.as_ptr(),
            gens.as_ptr(),
            times.as_ptr(),
            3,
            statuses.as_mut_ptr(),
        )
    };
    // Record 2 goes back from generation 1 to 0 for node 1: stale.
    assert_eq!(st, PHIFD_ERR_STALE_GENERATION);
    assert_eq!(statuses, [PHIFD_OK, PHIFD_OK, PHIFD_ERR_STALE_GENERATION]);
    // SAFETY: NULL arrays with a count.
    let st = unsafe { phifd_heartbeat_batch(m, ptr::null(), gens.as_ptr(), times.as_ptr(), 3, ptr::null_mut()) };
    assert_eq!(st, PHIFD_ERR_NULL_ARG);
    assert!(last_error().contains("`nodes`"), "{}", last_error());
    // SAFETY: count 0: the arrays may be NULL.
    assert_eq!(
        unsafe { phifd_heartbeat_batch(m, ptr::null(), ptr::null(), ptr::null(), 0, ptr::null_mut()) },
        PHIFD_OK
    );
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}

#[test]
fn phi_batch_rejects_impossible_counts_and_misalignment() {
    let m = new_monitor();
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_heartbeat(m, 4, 1, 100) }, PHIFD_OK);
    let nodes = [4u64, 5];
    let mut phi = [-1.0f64; 2];
    for count in HUGE {
        // SAFETY: two elements; the count lies.
        let st = unsafe { phifd_phi_batch(m, nodes.as_ptr(), count, 200, phi.as_mut_ptr(), ptr::null_mut()) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "count {count}: {}", last_error());
        assert!(last_error().contains("`count`"), "{}", last_error());
    }
    assert_eq!(phi, [-1.0; 2], "out_phi written although the call was refused");
    let mut storage = [0f64; 3];
    let odd = storage.as_mut_ptr().cast::<u8>().wrapping_add(4).cast::<f64>();
    // SAFETY: 16 writable bytes at a misaligned address.
    let st = unsafe { phifd_phi_batch(m, nodes.as_ptr(), 2, 200, odd, ptr::null_mut()) };
    assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{}", last_error());
    assert!(
        last_error().contains("`out_phi`") && last_error().contains("aligned"),
        "{}",
        last_error()
    );
    // The valid call: node 4 known (phi finite, >= 0), node 5 unknown (NaN, UNKNOWN_NODE).
    let mut statuses = [0u32; 2];
    // SAFETY: two elements everywhere.
    let st = unsafe { phifd_phi_batch(m, nodes.as_ptr(), 2, 200, phi.as_mut_ptr(), statuses.as_mut_ptr()) };
    assert_eq!(st, PHIFD_ERR_UNKNOWN_NODE);
    assert!(phi[0].is_finite() && phi[0] >= 0.0 && phi[1].is_nan(), "{phi:?}");
    assert_eq!(statuses, [PHIFD_OK, PHIFD_ERR_UNKNOWN_NODE]);
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}

#[test]
fn poll_and_snapshot_reject_impossible_capacity_and_misalignment() {
    let m = new_monitor();
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_heartbeat(m, 4, 1, 100) }, PHIFD_OK);
    let mut events = [phifd_event::default(); 2];
    let mut written = 55usize;
    for cap in HUGE {
        // SAFETY: two events of storage; the capacity lies.
        let st = unsafe { phifd_monitor_poll(m, 200, events.as_mut_ptr(), cap, &mut written) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "cap {cap}: {}", last_error());
        assert!(last_error().contains("`cap`"), "{}", last_error());
        assert_eq!(written, 55);
    }
    let odd = events.as_mut_ptr().cast::<u8>().wrapping_add(1).cast::<phifd_event>();
    // SAFETY: one event of storage (95 bytes) at an odd address.
    let st = unsafe { phifd_monitor_poll(m, 200, odd, 1, &mut written) };
    assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{}", last_error());
    assert!(
        last_error().contains("`events`") && last_error().contains("aligned"),
        "{}",
        last_error()
    );
    // Nothing was consumed by the refused polls: the UNKNOWN -> ALIVE event is still there.
    // SAFETY: two events of storage.
    assert_eq!(
        unsafe { phifd_monitor_poll(m, 200, events.as_mut_ptr(), 2, &mut written) },
        PHIFD_OK
    );
    assert_eq!(written, 1);
    assert_eq!(
        (events[0].node, events[0].from, events[0].to),
        (4, PHIFD_STATE_UNKNOWN, PHIFD_STATE_ALIVE)
    );

    let mut entries = [phifd_snapshot_entry::default(); 1];
    let mut total = 55usize;
    for cap in HUGE {
        // SAFETY: one entry of storage; the capacity lies.
        let st = unsafe { phifd_monitor_snapshot(m, 200, entries.as_mut_ptr(), cap, &mut total) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "cap {cap}: {}", last_error());
        assert_eq!(total, 55);
    }
    // SAFETY: one entry.
    assert_eq!(
        unsafe { phifd_monitor_snapshot(m, 200, entries.as_mut_ptr(), 1, &mut total) },
        PHIFD_OK
    );
    assert_eq!((total, entries[0].node, entries[0].generation), (1, 4, 1));

    let mut text = [0u8; 8];
    let mut needed = 0usize;
    for cap in [usize::MAX, 1 << 63] {
        // SAFETY: 8 bytes; the capacity lies.
        let st = unsafe { phifd_monitor_render_prometheus(m, 200, text.as_mut_ptr().cast(), cap, &mut needed) };
        assert_eq!(st, PHIFD_ERR_INVALID_ARG, "cap {cap}: {}", last_error());
        assert!(last_error().contains("`cap`"), "{}", last_error());
    }
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}

#[test]
fn misaligned_single_out_parameters_are_refused() {
    let m = new_monitor();
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_heartbeat(m, 4, 1, 100) }, PHIFD_OK);
    let mut storage = [0u64; 2];
    let odd = storage.as_mut_ptr().cast::<u8>().wrapping_add(3);
    // SAFETY: 8 writable bytes at a misaligned address.
    let st = unsafe { phifd_phi(m, 4, 200, odd.cast::<f64>()) };
    assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{}", last_error());
    assert!(
        last_error().contains("`out`") && last_error().contains("aligned"),
        "{}",
        last_error()
    );
    // SAFETY: as above.
    let st = unsafe { phifd_monitor_node_count(m, odd.cast::<u64>()) };
    assert_eq!(st, PHIFD_ERR_INVALID_ARG, "{}", last_error());
    assert_eq!(storage, [0, 0], "nothing may be written through a refused pointer");
    // SAFETY: live monitor, freed once.
    unsafe { phifd_monitor_free(m) };
}
