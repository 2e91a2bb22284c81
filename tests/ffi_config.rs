//! The configuration getters, the state and event-kind names and the per-thread error message,
//! called through the C ABI as a C program would.

use std::ffi::{c_char, CStr};
use std::ptr;

use phifd::ffi::config::*;
use phifd::ffi::monitor::*;
use phifd::ffi::qos::{phifd_config_get_qos_warmup_ns, phifd_config_set_qos_warmup_ns, PHIFD_QOS_WARMUP_DEFAULT};
use phifd::ffi::*;

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the library returns valid NUL-terminated strings (checked non-NULL above).
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn last_error() -> String {
    text(phifd_last_error_message())
}

fn new_config() -> *mut phifd_config {
    let mut c = ptr::null_mut();
    // SAFETY: `c` is a writable out-pointer.
    assert_eq!(unsafe { phifd_config_new(&mut c) }, PHIFD_OK);
    c
}

type Getter<T> = unsafe extern "C" fn(*const phifd_config, *mut T) -> phifd_status;

/// Calls a getter and returns its value, asserting success.
fn get<T: Copy + Default>(cfg: *const phifd_config, getter: Getter<T>) -> T {
    let mut v = T::default();
    // SAFETY: `cfg` is a live config, `v` is writable.
    let st = unsafe { getter(cfg, &mut v) };
    assert_eq!(st, PHIFD_OK, "{}", last_error());
    v
}

/// The steady timeout of the default configuration, derived by hand: Akka's logistic tail
/// `e = exp(-y (1.5976 + 0.070566 y^2))`, phi = -log10(e / (1 + e)) = 8 solves (bisection) to
/// y = 5.2259866; the seeded history has mean 1 s and sd 0.25 s (= the floor, interval / 4), so
/// phi reaches 8 after 1 s + 5.2259866 x 0.25 s = 2,306,496,661 ns of silence.
const DEFAULT_STEADY_NS: f64 = 2_306_496_661.0;

fn near(got: u64, want: f64) -> bool {
    (got as f64 - want).abs() <= 1_000.0
}

#[test]
fn getters_give_the_defaults() {
    let c = new_config();
    assert_eq!(get(c, phifd_config_get_estimator), PHIFD_ESTIMATOR_AKKA);
    assert_eq!(get(c, phifd_config_get_threshold), 8.0);
    assert_eq!(get(c, phifd_config_get_suspect_threshold), 4.0);
    assert_eq!(get(c, phifd_config_get_window), 1000);
    assert_eq!(get(c, phifd_config_get_heartbeat_interval_ns), 1_000_000_000);
    assert_eq!(get(c, phifd_config_get_min_std_deviation_ns), 250_000_000);
    assert_eq!(get(c, phifd_config_get_acceptable_pause_ns), 0);
    assert_eq!(
        get(c, phifd_config_get_max_interval_ns),
        0,
        "no limit with the Akka estimator"
    );
    assert_eq!(get(c, phifd_config_get_round_trip_ns), 0, "none declared");
    assert_eq!(get(c, phifd_config_get_recovery_heartbeats), 2);
    assert_eq!(get(c, phifd_config_get_burst_fraction), 0.25);
    assert_eq!(get(c, phifd_config_get_max_local_health), 7);
    assert_eq!(get(c, phifd_config_get_confirmations_expected), 3);
    assert_eq!(get(c, phifd_config_get_confirmation_min_ratio), 0.5);
    assert_eq!(get(c, phifd_config_get_max_nodes), 65_536);
    assert_eq!(get(c, phifd_config_get_membership), PHIFD_MEMBERSHIP_OPEN);
    assert_eq!(
        get(c, phifd_config_get_qos_warmup_ns),
        u64::MAX,
        "the default warm-up, min(T_MR, 1 h), reads as PHIFD_QOS_WARMUP_DEFAULT"
    );
    let first = get(c, phifd_config_get_first_heartbeat_timeout_ns);
    let pause = get(c, phifd_config_get_local_pause_threshold_ns);
    let grace = get(c, phifd_config_get_local_pause_grace_ns);
    assert!(near(first, DEFAULT_STEADY_NS), "first-heartbeat timeout {first}");
    assert!(near(pause, DEFAULT_STEADY_NS / 2.0), "pause threshold {pause}");
    assert!(near(grace, DEFAULT_STEADY_NS * 2.0), "pause grace {grace}");
    // SAFETY: live config, freed once.
    unsafe { phifd_config_free(c) };
}

#[test]
fn getters_give_what_the_setters_stored() {
    let c = new_config();
    // SAFETY: `c` is a live config for every call below.
    unsafe {
        assert_eq!(phifd_config_set_estimator(c, PHIFD_ESTIMATOR_NORMAL), PHIFD_OK);
        assert_eq!(phifd_config_set_threshold(c, 12.5), PHIFD_OK);
        assert_eq!(phifd_config_set_suspect_threshold(c, 3.25), PHIFD_OK);
        assert_eq!(phifd_config_set_window(c, 77), PHIFD_OK);
        assert_eq!(phifd_config_set_heartbeat_interval_ns(c, 200_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_min_std_deviation_ns(c, 7_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_acceptable_pause_ns(c, 30_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_max_interval_ns(c, 900_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_round_trip_ns(c, 5_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_first_heartbeat_timeout_ns(c, 4_000_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_recovery_heartbeats(c, 9), PHIFD_OK);
        assert_eq!(phifd_config_set_local_pause_threshold_ns(c, 600_000_000), PHIFD_OK);
        assert_eq!(phifd_config_set_local_pause_grace_ns(c, 0), PHIFD_OK);
        assert_eq!(phifd_config_set_burst_fraction(c, 0.0), PHIFD_OK);
        assert_eq!(phifd_config_set_max_local_health(c, 64), PHIFD_OK);
        assert_eq!(phifd_config_set_confirmations_expected(c, 1), PHIFD_OK);
        assert_eq!(phifd_config_set_confirmation_min_ratio(c, 1.0), PHIFD_OK);
        assert_eq!(phifd_config_set_max_nodes(c, 3), PHIFD_OK);
        assert_eq!(phifd_config_set_membership(c, PHIFD_MEMBERSHIP_FIXED), PHIFD_OK);
        assert_eq!(phifd_config_set_qos_warmup_ns(c, 45_000_000_000), PHIFD_OK);
        // A refused value leaves the stored one in place.
        assert_eq!(phifd_config_set_window(c, 0), PHIFD_ERR_INVALID_ARG);
        assert_eq!(phifd_config_set_threshold(c, f64::NAN), PHIFD_ERR_INVALID_ARG);
        assert_eq!(
            phifd_config_set_qos_warmup_ns(c, 1_000_000_000_000_001),
            PHIFD_ERR_INVALID_ARG
        );
        assert!(last_error().contains("qos_warmup_ns"), "{}", last_error());
    }
    assert_eq!(get(c, phifd_config_get_estimator), PHIFD_ESTIMATOR_NORMAL);
    assert_eq!(get(c, phifd_config_get_threshold), 12.5);
    assert_eq!(get(c, phifd_config_get_suspect_threshold), 3.25);
    assert_eq!(get(c, phifd_config_get_window), 77);
    assert_eq!(get(c, phifd_config_get_heartbeat_interval_ns), 200_000_000);
    assert_eq!(get(c, phifd_config_get_min_std_deviation_ns), 7_000_000);
    assert_eq!(get(c, phifd_config_get_acceptable_pause_ns), 30_000_000);
    assert_eq!(get(c, phifd_config_get_max_interval_ns), 900_000_000);
    assert_eq!(get(c, phifd_config_get_round_trip_ns), 5_000_000);
    assert_eq!(get(c, phifd_config_get_first_heartbeat_timeout_ns), 4_000_000_000);
    assert_eq!(get(c, phifd_config_get_recovery_heartbeats), 9);
    assert_eq!(get(c, phifd_config_get_local_pause_threshold_ns), 600_000_000);
    assert_eq!(get(c, phifd_config_get_local_pause_grace_ns), 0);
    assert_eq!(get(c, phifd_config_get_burst_fraction), 0.0);
    assert_eq!(get(c, phifd_config_get_max_local_health), 64);
    assert_eq!(get(c, phifd_config_get_confirmations_expected), 1);
    assert_eq!(get(c, phifd_config_get_confirmation_min_ratio), 1.0);
    assert_eq!(get(c, phifd_config_get_max_nodes), 3);
    assert_eq!(get(c, phifd_config_get_membership), PHIFD_MEMBERSHIP_FIXED);
    assert_eq!(get(c, phifd_config_get_qos_warmup_ns), 45_000_000_000);
    // SAFETY: live config, freed once.
    unsafe { phifd_config_free(c) };
}

#[test]
fn qos_warmup_round_trip_zero_limit_and_default() {
    let c = new_config();
    assert_eq!(PHIFD_QOS_WARMUP_DEFAULT, u64::MAX);
    // (value set, value read back): 0 is "no warm-up", distinct from the default; 10^15 ns is
    // the largest duration accepted; the DEFAULT value restores the default.
    for (set, want) in [
        (0, 0),
        (1, 1),
        (1_000_000_000_000_000, 1_000_000_000_000_000),
        (u64::MAX, u64::MAX),
        (3_600_000_000_000, 3_600_000_000_000),
    ] {
        // SAFETY: live config.
        assert_eq!(unsafe { phifd_config_set_qos_warmup_ns(c, set) }, PHIFD_OK, "{set}");
        assert_eq!(get(c, phifd_config_get_qos_warmup_ns), want, "{set}");
    }
    for bad in [1_000_000_000_000_001, u64::MAX - 1] {
        // SAFETY: live config.
        assert_eq!(
            unsafe { phifd_config_set_qos_warmup_ns(c, bad) },
            PHIFD_ERR_INVALID_ARG,
            "{bad}"
        );
        assert!(last_error().contains("qos_warmup_ns"), "{}", last_error());
        assert_eq!(get(c, phifd_config_get_qos_warmup_ns), 3_600_000_000_000, "kept");
    }
    let mut v = 7u64;
    // SAFETY: NULL handle, NULL out and a freed handle are what is under test.
    unsafe {
        assert_eq!(phifd_config_get_qos_warmup_ns(ptr::null(), &mut v), PHIFD_ERR_NULL_ARG);
        assert_eq!(phifd_config_get_qos_warmup_ns(c, ptr::null_mut()), PHIFD_ERR_NULL_ARG);
        assert_eq!(phifd_config_set_qos_warmup_ns(ptr::null_mut(), 0), PHIFD_ERR_NULL_ARG);
        phifd_config_free(c);
        assert_eq!(phifd_config_get_qos_warmup_ns(c, &mut v), PHIFD_ERR_INVALID_HANDLE);
        assert_eq!(phifd_config_set_qos_warmup_ns(c, 0), PHIFD_ERR_INVALID_HANDLE);
    }
    assert_eq!(v, 7, "out untouched on failure");
}

#[test]
fn derived_defaults_follow_the_settings_they_derive_from() {
    let c = new_config();
    // SAFETY: `c` is a live config.
    unsafe {
        assert_eq!(phifd_config_set_threshold(c, 6.0), PHIFD_OK);
        assert_eq!(phifd_config_set_heartbeat_interval_ns(c, 2_000_000_000), PHIFD_OK);
    }
    assert_eq!(get(c, phifd_config_get_suspect_threshold), 3.0);
    assert_eq!(get(c, phifd_config_get_min_std_deviation_ns), 500_000_000);
    assert_eq!(get(c, phifd_config_get_max_interval_ns), 0);
    // SAFETY: as above.
    assert_eq!(
        unsafe { phifd_config_set_estimator(c, PHIFD_ESTIMATOR_EXPONENTIAL) },
        PHIFD_OK
    );
    assert_eq!(get(c, phifd_config_get_max_interval_ns), 4_000_000_000, "2 x interval");
    // SAFETY: as above.
    unsafe { phifd_config_free(c) };
}

#[test]
fn a_derived_default_of_settings_that_do_not_combine_is_an_error_and_out_is_untouched() {
    let c = new_config();
    // SAFETY: `c` is a live config.
    assert_eq!(unsafe { phifd_config_set_suspect_threshold(c, 9.0) }, PHIFD_OK);
    type G = Getter<u64>;
    for (name, getter) in [
        (
            "first_heartbeat_timeout",
            phifd_config_get_first_heartbeat_timeout_ns as G,
        ),
        ("local_pause_threshold", phifd_config_get_local_pause_threshold_ns as G),
        ("local_pause_grace", phifd_config_get_local_pause_grace_ns as G),
    ] {
        let mut v = 12345u64;
        // SAFETY: live config, writable out.
        assert_eq!(unsafe { getter(c, &mut v) }, PHIFD_ERR_INVALID_ARG, "{name}");
        assert_eq!(v, 12345, "{name}");
        let msg = last_error();
        assert!(msg.contains(name) && msg.contains("suspect_threshold"), "{msg}");
    }
    // A value that was set is returned whatever the other settings are.
    // SAFETY: as above.
    assert_eq!(unsafe { phifd_config_set_local_pause_grace_ns(c, 5) }, PHIFD_OK);
    assert_eq!(get(c, phifd_config_get_local_pause_grace_ns), 5);
    // SAFETY: as above.
    unsafe { phifd_config_free(c) };
}

#[test]
fn getters_refuse_null_and_freed_handles_and_leave_out_untouched() {
    let c = new_config();
    let mut v = 99u64;
    // SAFETY: NULL handle and NULL out are what is under test; `v` is writable.
    unsafe {
        assert_eq!(phifd_config_get_window(ptr::null(), &mut v), PHIFD_ERR_NULL_ARG);
        assert!(last_error().contains("phifd_config_get_window"), "{}", last_error());
        assert_eq!(phifd_config_get_window(c, ptr::null_mut()), PHIFD_ERR_NULL_ARG);
        assert!(last_error().contains("`out`"), "{}", last_error());
        phifd_config_free(c);
        assert_eq!(phifd_config_get_window(c, &mut v), PHIFD_ERR_INVALID_HANDLE);
    }
    assert_eq!(v, 99);
    // A monitor handle is not a config.
    let mut m = ptr::null_mut();
    // SAFETY: NULL config means defaults; `m` is writable; the handle is passed as the wrong type
    // on purpose.
    unsafe {
        assert_eq!(phifd_monitor_new(ptr::null(), &mut m), PHIFD_OK);
        assert_eq!(phifd_config_get_window(m.cast(), &mut v), PHIFD_ERR_INVALID_HANDLE);
        phifd_monitor_free(m);
    }
    assert_eq!(v, 99);
}

#[test]
fn state_and_event_kind_names() {
    assert_eq!(text(phifd_state_name(PHIFD_STATE_UNKNOWN)), "UNKNOWN");
    assert_eq!(text(phifd_state_name(PHIFD_STATE_ALIVE)), "ALIVE");
    assert_eq!(text(phifd_state_name(PHIFD_STATE_SUSPECT)), "SUSPECT");
    assert_eq!(text(phifd_state_name(PHIFD_STATE_FAILED)), "FAILED");
    assert_eq!(text(phifd_event_kind_name(PHIFD_EVENT_STATE_CHANGED)), "STATE_CHANGED");
    assert_eq!(text(phifd_event_kind_name(PHIFD_EVENT_RESTARTED)), "RESTARTED");
    for bad in [4, 5, 0x8000_0000, u32::MAX] {
        assert_eq!(text(phifd_state_name(bad)), "INVALID", "state {bad}");
    }
    for bad in [2, u32::MAX] {
        assert_eq!(text(phifd_event_kind_name(bad)), "INVALID", "kind {bad}");
    }
    // Static strings: the same pointer every time.
    assert_eq!(phifd_state_name(1), phifd_state_name(1));
    // The names are the core's.
    assert_eq!(
        text(phifd_state_name(PHIFD_STATE_SUSPECT)),
        phifd::State::Suspect.name()
    );
}

#[test]
fn the_error_message_is_per_thread_and_kept_by_successful_calls() {
    let c = new_config();
    // SAFETY: live config.
    assert_eq!(unsafe { phifd_config_set_window(c, 0) }, PHIFD_ERR_INVALID_ARG);
    let mine = last_error();
    assert!(mine.contains("phifd_config_set_window"), "{mine}");
    let other = std::thread::spawn(|| {
        let before = last_error();
        // SAFETY: NULL handle on purpose.
        let st = unsafe { phifd_config_set_threshold(ptr::null_mut(), 1.0) };
        (before, st, last_error())
    })
    .join()
    .unwrap();
    assert_eq!(other.0, "", "a new thread starts with no message");
    assert_eq!(other.1, PHIFD_ERR_NULL_ARG);
    assert!(other.2.contains("phifd_config_set_threshold"), "{}", other.2);
    assert_eq!(
        last_error(),
        mine,
        "another thread's failure does not change this thread's message"
    );
    // SAFETY: live config.
    assert_eq!(unsafe { phifd_config_set_window(c, 10) }, PHIFD_OK);
    assert_eq!(last_error(), mine, "a successful call keeps the message");
    // SAFETY: live config, freed once.
    unsafe { phifd_config_free(c) };
}
