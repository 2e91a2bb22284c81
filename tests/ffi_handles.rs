//! Handles through the C ABI, called from Rust as a C program would: freed, stale, double-freed,
//! wrong-type and foreign handles are rejected with `PHIFD_ERR_INVALID_HANDLE` (never a crash, never
//! a touch of freed memory: Miri checks that part under `make miri`), and creating and freeing
//! handles for the life of a process keeps memory flat.

use std::ffi::CStr;
use std::ptr;

use phifd::ffi::config::*;
use phifd::ffi::generation::*;
use phifd::ffi::monitor::*;
use phifd::ffi::*;

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
    assert!(!m.is_null());
    m
}

fn node_count(m: *const phifd_monitor) -> (phifd_status, u64) {
    let mut n = u64::MAX;
    // SAFETY: `m` is any value a C caller could hold; `n` is writable.
    let st = unsafe { phifd_monitor_node_count(m, &mut n) };
    (st, n)
}

#[test]
fn freed_monitor_is_rejected_and_free_is_idempotent() {
    let m = new_monitor();
    // SAFETY: live monitor.
    assert_eq!(unsafe { phifd_heartbeat(m, 1, 1, 10) }, PHIFD_OK);
    assert_eq!(node_count(m), (PHIFD_OK, 1));
    // SAFETY: freed once; the second free and every later call use a stale handle on purpose.
    unsafe { phifd_monitor_free(m) };
    assert_eq!(node_count(m), (PHIFD_ERR_INVALID_HANDLE, u64::MAX));
    assert!(last_error().contains("`monitor`"), "{}", last_error());
    // SAFETY: as above.
    assert_eq!(unsafe { phifd_heartbeat(m, 1, 1, 20) }, PHIFD_ERR_INVALID_HANDLE);
    // SAFETY: double free is ignored.
    unsafe { phifd_monitor_free(m) };
    // SAFETY: NULL is ignored by free and refused by calls.
    unsafe { phifd_monitor_free(ptr::null_mut()) };
    assert_eq!(node_count(ptr::null()).0, PHIFD_ERR_NULL_ARG);
}

#[test]
fn stale_handle_is_rejected_after_its_slot_is_reused_many_times() {
    let stale = new_monitor();
    // SAFETY: freed once; used only as a stale value afterwards.
    unsafe { phifd_monitor_free(stale) };
    let rounds = if cfg!(miri) { 40 } else { 20_000 };
    let mut seen_same_value = false;
    for i in 0..rounds {
        let m = new_monitor();
        seen_same_value |= m == stale;
        // SAFETY: live monitor.
        assert_eq!(unsafe { phifd_heartbeat(m, i, 1, 10) }, PHIFD_OK);
        assert_eq!(node_count(m), (PHIFD_OK, 1));
        // The stale handle never reaches the live monitor that may occupy its memory or slot.
        assert_eq!(node_count(stale), (PHIFD_ERR_INVALID_HANDLE, u64::MAX), "round {i}");
        // SAFETY: the stale handle must not free the live one.
        unsafe { phifd_monitor_free(stale) };
        assert_eq!(
            node_count(m),
            (PHIFD_OK, 1),
            "round {i}: freeing a stale handle freed a live monitor"
        );
        // SAFETY: freed once.
        unsafe { phifd_monitor_free(m) };
    }
    assert!(
        !seen_same_value,
        "a new monitor got the same handle value as a freed one"
    );
}

#[test]
fn handles_of_the_wrong_type_are_rejected() {
    let m = new_monitor();
    let mut cfg = ptr::null_mut();
    let mut g = ptr::null_mut();
    // SAFETY: writable out-pointers.
    assert_eq!(unsafe { phifd_config_new(&mut cfg) }, PHIFD_OK);
    // SAFETY: as above.
    assert_eq!(unsafe { phifd_generation_new_in_memory(5, &mut g) }, PHIFD_OK);

    // A monitor and a clock passed as a config; a config and a clock passed as a monitor.
    // SAFETY: every value is one a C caller could pass by mistake; the library must refuse it.
    unsafe {
        assert_eq!(phifd_config_set_threshold(m.cast(), 9.0), PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(phifd_config_set_threshold(g.cast(), 9.0), PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(node_count(cfg.cast()).0, PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(node_count(g.cast()).0, PHIFD_ERR_INVALID_HANDLE);
        let mut cur = 0u64;
        assert_eq!(phifd_generation_current(m.cast(), &mut cur), PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(phifd_generation_current(g, &mut cur), PHIFD_OK);
        assert_eq!(cur, 5);
        let mut m2 = ptr::null_mut();
        assert_eq!(phifd_monitor_new(m.cast(), &mut m2), PHIFD_ERR_INVALID_HANDLE);
        assert!(m2.is_null());
        // Freeing through the wrong destructor is ignored: every object stays live.
        phifd_config_free(m.cast());
        phifd_monitor_free(cfg.cast());
        phifd_generation_free(m.cast());
        phifd_monitor_free(g.cast());
        assert_eq!(node_count(m), (PHIFD_OK, 0));
        assert_eq!(phifd_config_set_threshold(cfg, 9.0), PHIFD_OK);
        assert_eq!(phifd_generation_current(g, &mut cur), PHIFD_OK);
        phifd_monitor_free(m);
        phifd_config_free(cfg);
        phifd_generation_free(g);
        assert_eq!(phifd_generation_current(g, &mut cur), PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(phifd_config_set_threshold(cfg, 9.0), PHIFD_ERR_INVALID_HANDLE);
    }
}

#[test]
fn foreign_values_are_rejected_without_being_read() {
    // Values a confused caller could pass: small integers, a pointer to its own data, the address
    // of a function, all-ones. None of them may be dereferenced as a monitor.
    let local = [0x5048_4946_444D_4F4Eu64, 0x1000];
    let values: [usize; 6] = [
        1,
        8,
        0x1000,
        local.as_ptr().addr(),
        new_monitor as fn() -> *mut phifd_monitor as usize,
        usize::MAX,
    ];
    for v in values {
        let p = ptr::without_provenance_mut::<phifd_monitor>(v);
        assert_eq!(node_count(p).0, PHIFD_ERR_INVALID_HANDLE, "value {v:#x}");
        // SAFETY: the library must ignore a value that is not its handle.
        unsafe { phifd_monitor_free(p) };
    }
}

#[test]
fn many_live_handles_at_once() {
    // More than one table chunk's worth, freed in an interleaved order, then reused.
    let n = if cfg!(miri) { 100 } else { 5_000 };
    let mut live: Vec<*mut phifd_monitor> = (0..n).map(|_| new_monitor()).collect();
    for (i, &m) in live.iter().enumerate() {
        // SAFETY: live monitors.
        assert_eq!(unsafe { phifd_heartbeat(m, i as u64, 1, 10) }, PHIFD_OK);
    }
    let (even, odd): (Vec<_>, Vec<_>) = live.drain(..).enumerate().partition(|(i, _)| i % 2 == 0);
    for &(_, m) in &even {
        // SAFETY: freed once.
        unsafe { phifd_monitor_free(m) };
    }
    let fresh: Vec<_> = (0..even.len()).map(|_| new_monitor()).collect();
    for &(_, m) in &even {
        assert_eq!(node_count(m).0, PHIFD_ERR_INVALID_HANDLE);
    }
    for &(i, m) in &odd {
        assert_eq!(node_count(m), (PHIFD_OK, 1), "monitor {i} lost its node");
        // SAFETY: live monitor.
        let mut phi = -1.0;
        assert_eq!(unsafe { phifd_phi(m, i as u64, 20, &mut phi) }, PHIFD_OK);
    }
    for &m in &fresh {
        assert_eq!(node_count(m), (PHIFD_OK, 0));
    }
    for m in odd.into_iter().map(|(_, m)| m).chain(fresh) {
        // SAFETY: freed once.
        unsafe { phifd_monitor_free(m) };
    }
}

#[test]
fn handles_from_many_threads() {
    let threads = if cfg!(miri) { 3 } else { 8 };
    let rounds = if cfg!(miri) { 10 } else { 20_000 };
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut prev: *mut phifd_monitor = ptr::null_mut();
                for i in 0..rounds {
                    let m = new_monitor();
                    // SAFETY: live monitor owned by this thread.
                    assert_eq!(unsafe { phifd_heartbeat(m, t, 1, i + 1) }, PHIFD_OK);
                    assert_eq!(node_count(m), (PHIFD_OK, 1));
                    if !prev.is_null() {
                        assert_eq!(node_count(prev).0, PHIFD_ERR_INVALID_HANDLE);
                    }
                    // SAFETY: freed once.
                    unsafe { phifd_monitor_free(m) };
                    prev = m;
                }
            });
        }
    });
}
