/*
 * test_api.c — the contract of every function in phifd.h: versions, status names, the clock,
 * the thread-local error message, NULL and out-of-range arguments, freed handles, the
 * settings validation of phifd_monitor_new, versioned structs, batches and bounded polls.
 * Exits non-zero if any check fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "phifd.h"

static uint64_t clock_monotonic_ns(void) {
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- version, names, clock -- */

static void test_version(void) {
    const char *v = phifd_version();
    CHECK(v != NULL);
    CHECK(strcmp(v, PHIFD_VERSION_STRING) == 0);
    char built[64];
    snprintf(built, sizeof built, "%d.%d.%d", PHIFD_VERSION_MAJOR, PHIFD_VERSION_MINOR, PHIFD_VERSION_PATCH);
    CHECK(strcmp(v, built) == 0);
    CHECK(phifd_version() == v); /* a static string */
}

static void test_status_names(void) {
    static const struct {
        phifd_status code;
        uint32_t value;
        const char *name;
    } all[] = {
        {PHIFD_OK, 0, "PHIFD_OK"},
        {PHIFD_ERR_NULL_ARG, 1, "PHIFD_ERR_NULL_ARG"},
        {PHIFD_ERR_INVALID_ARG, 2, "PHIFD_ERR_INVALID_ARG"},
        {PHIFD_ERR_UNKNOWN_NODE, 3, "PHIFD_ERR_UNKNOWN_NODE"},
        {PHIFD_ERR_STALE_GENERATION, 4, "PHIFD_ERR_STALE_GENERATION"},
        {PHIFD_ERR_INVALID_HANDLE, 5, "PHIFD_ERR_INVALID_HANDLE"},
        {PHIFD_ERR_INTERNAL, 6, "PHIFD_ERR_INTERNAL"},
        {PHIFD_ERR_BUFFER_TOO_SMALL, 7, "PHIFD_ERR_BUFFER_TOO_SMALL"},
        {PHIFD_ERR_IO, 8, "PHIFD_ERR_IO"},
        {PHIFD_ERR_CORRUPT, 9, "PHIFD_ERR_CORRUPT"},
        {PHIFD_ERR_LOCKED, 10, "PHIFD_ERR_LOCKED"},
        {PHIFD_ERR_MALFORMED, 11, "PHIFD_ERR_MALFORMED"},
        {PHIFD_ERR_CAPACITY, 12, "PHIFD_ERR_CAPACITY"},
        {PHIFD_ERR_AUTH, 13, "PHIFD_ERR_AUTH"},
        {PHIFD_ERR_UNKNOWN_KEY, 14, "PHIFD_ERR_UNKNOWN_KEY"},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        CHECK_EQ_U64(all[i].code, all[i].value); /* codes are frozen */
        const char *n = phifd_status_name(all[i].code);
        CHECK(n != NULL);
        CHECK(n != NULL && strcmp(n, all[i].name) == 0);
    }
    const phifd_status unknown[] = {15, 16, 100, 0x7fffffffu, 0xffffffffu};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *n = phifd_status_name(unknown[i]);
        CHECK(n != NULL && strcmp(n, "PHIFD_UNKNOWN_STATUS") == 0);
    }
    /* The other enumerations' codes are part of the ABI too. */
    CHECK_EQ_U64(PHIFD_ESTIMATOR_AKKA, 0);
    CHECK_EQ_U64(PHIFD_ESTIMATOR_NORMAL, 1);
    CHECK_EQ_U64(PHIFD_ESTIMATOR_EXPONENTIAL, 2);
    CHECK_EQ_U64(PHIFD_STATE_UNKNOWN, 0);
    CHECK_EQ_U64(PHIFD_STATE_ALIVE, 1);
    CHECK_EQ_U64(PHIFD_STATE_SUSPECT, 2);
    CHECK_EQ_U64(PHIFD_STATE_FAILED, 3);
    CHECK_EQ_U64(PHIFD_EVENT_STATE_CHANGED, 0);
    CHECK_EQ_U64(PHIFD_EVENT_RESTARTED, 1);
    /* The event layout is frozen at 48 bytes (it is used in arrays). */
    CHECK_EQ_U64(sizeof(phifd_event), 48);
    CHECK_EQ_U64(offsetof(phifd_event, time_ns), 16);
    CHECK_EQ_U64(offsetof(phifd_event, kind), 32);
    CHECK_EQ_U64(offsetof(phifd_node_info, size), 0);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, size), 0);
    /* The QoS report is frozen at 80 bytes; `established` took the place of the reserved word. */
    CHECK_EQ_U64(sizeof(phifd_qos_report), 80);
    CHECK_EQ_U64(offsetof(phifd_qos_report, samples), 72);
    CHECK_EQ_U64(offsetof(phifd_qos_report, established), 76);
    CHECK_EQ_U64(PHIFD_QOS_WARMUP_DEFAULT, UINT64_MAX);
}

static void test_now_ns(void) {
    /* Same clock as clock_gettime(CLOCK_MONOTONIC): a library reading taken between two of
     * ours lies between them (no tolerance is needed when the origin is the same). */
    uint64_t prev = phifd_now_ns();
    for (int i = 0; i < 1000; i++) {
        uint64_t before = clock_monotonic_ns();
        uint64_t lib = phifd_now_ns();
        uint64_t after = clock_monotonic_ns();
        CHECK(lib >= prev); /* never goes backwards */
        CHECK(before <= lib && lib <= after);
        prev = lib;
        if (!(before <= lib && lib <= after)) break;
    }
    /* And, more loosely, the origin is the same: within one second of ours. */
    uint64_t a = clock_monotonic_ns(), b = phifd_now_ns();
    CHECK((a > b ? a - b : b - a) < SEC(1));
}

/* -------------------------------------------------------------- last error message -- */

static void test_last_error(void) {
    /* Nothing has failed yet on this thread (this runs first). */
    const char *msg = phifd_last_error_message();
    CHECK(msg != NULL);
    CHECK(msg != NULL && msg[0] == '\0');

    CHECK_STATUS(phifd_config_new(NULL), PHIFD_ERR_NULL_ARG);
    msg = phifd_last_error_message();
    CHECK(msg != NULL && msg[0] != '\0');
    CHECK_CONTAINS(msg, "phifd_config_new");
    CHECK_CONTAINS(msg, "out");

    /* Successful calls do not clear it. */
    const char *v = phifd_version();
    (void)v;
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_config_new");
    phifd_config_free(cfg);
}

/* ------------------------------------------------------------------------ config -- */

typedef phifd_status (*set_f64_fn)(phifd_config *, double);
typedef phifd_status (*set_u64_fn)(phifd_config *, uint64_t);

/* Expects `status` to be PHIFD_ERR_INVALID_ARG with a message naming `function` and `setting`. */
#define CHECK_INVALID(expr, function, setting)                                                                         \
    do {                                                                                                               \
        reset_last_error();                                                                                            \
        CHECK_STATUS(expr, PHIFD_ERR_INVALID_ARG);                                                                     \
        CHECK_CONTAINS(phifd_last_error_message(), function);                                                          \
        CHECK_CONTAINS(phifd_last_error_message(), setting);                                                           \
    } while (0)

static void test_config_setters(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK(cfg != NULL);
    if (cfg == NULL) return;

    /* Estimator: the three codes, then unknown ones. */
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_AKKA));
    CHECK_INVALID(phifd_config_set_estimator(cfg, 3), "phifd_config_set_estimator", "estimator");
    CHECK_INVALID(phifd_config_set_estimator(cfg, 0xffffffffu), "phifd_config_set_estimator", "estimator");

    /* The two phi thresholds: finite, > 0, <= 1e6. */
    const double bad_phi[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, -1.0, -1e-300, 1e6 * 1.0000001, 1e300};
    const struct {
        set_f64_fn set;
        const char *function, *setting;
    } phis[] = {
        {phifd_config_set_threshold, "phifd_config_set_threshold", "threshold"},
        {phifd_config_set_suspect_threshold, "phifd_config_set_suspect_threshold", "suspect_threshold"},
    };
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < sizeof bad_phi / sizeof bad_phi[0]; i++)
            CHECK_INVALID(phis[s].set(cfg, bad_phi[i]), phis[s].function, phis[s].setting);
        CHECK_STATUS(phis[s].set(NULL, 1.0), PHIFD_ERR_NULL_ARG);
        CHECK_OK(phis[s].set(cfg, 1e6));
        CHECK_OK(phis[s].set(cfg, 1e-9));
    }
    CHECK_OK(phifd_config_set_threshold(cfg, 8.0));
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 4.0));

    /* Window: 1 ..= 1,048,576 samples. */
    CHECK_INVALID(phifd_config_set_window(cfg, 0), "phifd_config_set_window", "window");
    CHECK_INVALID(phifd_config_set_window(cfg, 1048577), "phifd_config_set_window", "window");
    CHECK_INVALID(phifd_config_set_window(cfg, UINT64_MAX), "phifd_config_set_window", "window");
    CHECK_OK(phifd_config_set_window(cfg, 1));
    CHECK_OK(phifd_config_set_window(cfg, 1048576));
    CHECK_OK(phifd_config_set_window(cfg, 1000));

    /* Durations: zero where meaningless, and absurdly long values (over ~11.6 days). */
    const uint64_t too_long = UINT64_C(1000000000000000) + 1;
    const struct {
        set_u64_fn set;
        const char *function, *setting;
        int zero_ok;
        uint64_t good;
    } durations[] = {
        {phifd_config_set_heartbeat_interval_ns, "phifd_config_set_heartbeat_interval_ns", "heartbeat_interval_ns", 0,
         SEC(1)},
        {phifd_config_set_min_std_deviation_ns, "phifd_config_set_min_std_deviation_ns", "min_std_deviation_ns", 0,
         MS(100)},
        {phifd_config_set_acceptable_pause_ns, "phifd_config_set_acceptable_pause_ns", "acceptable_pause_ns", 1, 0},
        {phifd_config_set_max_interval_ns, "phifd_config_set_max_interval_ns", "max_interval_ns", 0, SEC(5)},
        {phifd_config_set_round_trip_ns, "phifd_config_set_round_trip_ns", "round_trip_ns", 0, MS(10)},
        {phifd_config_set_first_heartbeat_timeout_ns, "phifd_config_set_first_heartbeat_timeout_ns",
         "first_heartbeat_timeout_ns", 0, SEC(10)},
    };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        if (durations[i].zero_ok)
            CHECK_OK(durations[i].set(cfg, 0));
        else
            CHECK_INVALID(durations[i].set(cfg, 0), durations[i].function, durations[i].setting);
        CHECK_INVALID(durations[i].set(cfg, too_long), durations[i].function, durations[i].setting);
        CHECK_INVALID(durations[i].set(cfg, UINT64_MAX), durations[i].function, durations[i].setting);
        CHECK_STATUS(durations[i].set(NULL, durations[i].good), PHIFD_ERR_NULL_ARG);
        CHECK_OK(durations[i].set(cfg, durations[i].good));
    }
    /* The heartbeat interval must be at least 1 µs. */
    CHECK_INVALID(phifd_config_set_heartbeat_interval_ns(cfg, 999), "phifd_config_set_heartbeat_interval_ns",
                  "heartbeat_interval_ns");
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, 1000));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, SEC(1)));

    /* Recovery heartbeats: 1 ..= 255. */
    CHECK_INVALID(phifd_config_set_recovery_heartbeats(cfg, 0), "phifd_config_set_recovery_heartbeats",
                  "recovery_heartbeats");
    CHECK_INVALID(phifd_config_set_recovery_heartbeats(cfg, 256), "phifd_config_set_recovery_heartbeats",
                  "recovery_heartbeats");
    CHECK_INVALID(phifd_config_set_recovery_heartbeats(cfg, 0xffffffffu), "phifd_config_set_recovery_heartbeats",
                  "recovery_heartbeats");
    CHECK_OK(phifd_config_set_recovery_heartbeats(cfg, 1));
    CHECK_OK(phifd_config_set_recovery_heartbeats(cfg, 255));
    CHECK_OK(phifd_config_set_recovery_heartbeats(cfg, 2));

    /* NULL config for the remaining setters. */
    CHECK_STATUS(phifd_config_set_estimator(NULL, PHIFD_ESTIMATOR_AKKA), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_config_set_window(NULL, 10), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_config_set_recovery_heartbeats(NULL, 2), PHIFD_ERR_NULL_ARG);
    reset_last_error();
    CHECK_STATUS(phifd_config_set_window(NULL, 10), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "cfg");

    /* After all those rejected values the configuration is still the valid one set last. */
    phifd_monitor *m = new_monitor(cfg);
    phifd_monitor_free(m);
    phifd_config_free(cfg);
}

/* A rejected setting leaves the previous value in place. */
static void test_rejected_setting_keeps_previous(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_STATUS(phifd_config_set_estimator(cfg, 7), PHIFD_ERR_INVALID_ARG);
    CHECK_OK(phifd_config_set_threshold(cfg, 4.0));
    CHECK_STATUS(phifd_config_set_threshold(cfg, NAN), PHIFD_ERR_INVALID_ARG);
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    /* Exponential, threshold 4, suspect 2, seed mean 1 s: FAILED after ceil(4 ln10 1e9) ns. */
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &info));
    CHECK_EQ_U64(info.fail_after_ns, (uint64_t)ceil(4.0 * log(10.0) * 1e9));
    CHECK_EQ_U64(info.suspect_after_ns, (uint64_t)ceil(2.0 * log(10.0) * 1e9));
    phifd_monitor_free(m);
}

/* ---------------------------------------------------------- monitor_new validation -- */

static void expect_monitor_rejected(phifd_config *cfg, const char *needle) {
    phifd_monitor *const sentinel = (phifd_monitor *)(uintptr_t)0x1234;
    phifd_monitor *m = sentinel;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_new(cfg, &m), PHIFD_ERR_INVALID_ARG);
    CHECK(m == sentinel); /* out-param untouched on failure */
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_monitor_new");
    CHECK_CONTAINS(phifd_last_error_message(), needle);
}

static void test_monitor_new_validation(void) {
    phifd_config *cfg = NULL;

    /* Akka's phi at zero y is log10(2) ~ 0.30: threshold 0.2 is reached before the heartbeat
     * interval on a steady history, which breaks "timeout > heartbeat interval". */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_threshold(cfg, 0.2));
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 0.1));
    expect_monitor_rejected(cfg, "threshold");
    expect_monitor_rejected(cfg, "timing rule");
    phifd_config_free(cfg);

    /* Same with the exact normal tail (phi at the mean is also log10 2). */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL));
    CHECK_OK(phifd_config_set_threshold(cfg, 0.25));
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 0.1));
    expect_monitor_rejected(cfg, "timing rule");
    phifd_config_free(cfg);

    /* Exponential: phi at one mean of silence is 1/ln10 ~ 0.434; threshold 0.4 times out first. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_threshold(cfg, 0.4));
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 0.2));
    expect_monitor_rejected(cfg, "timing rule");
    CHECK_OK(phifd_config_set_threshold(cfg, 0.45)); /* 0.45 ln10 = 1.036 intervals: allowed */
    phifd_monitor *m = new_monitor(cfg);
    phifd_monitor_free(m);
    phifd_config_free(cfg);

    /* Round trip must be below the heartbeat interval. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, SEC(1)));
    CHECK_OK(phifd_config_set_round_trip_ns(cfg, SEC(1)));
    expect_monitor_rejected(cfg, "round_trip_ns");
    CHECK_OK(phifd_config_set_round_trip_ns(cfg, SEC(2)));
    expect_monitor_rejected(cfg, "round_trip_ns");
    CHECK_OK(phifd_config_set_round_trip_ns(cfg, SEC(1) - 1));
    m = new_monitor(cfg);
    phifd_monitor_free(m);
    phifd_config_free(cfg);

    /* Suspect threshold must be below the threshold. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 8.0)); /* == default threshold */
    expect_monitor_rejected(cfg, "suspect_threshold");
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 9.0));
    expect_monitor_rejected(cfg, "suspect_threshold");
    CHECK_OK(phifd_config_set_threshold(cfg, 10.0));
    m = new_monitor(cfg);
    phifd_monitor_free(m);
    phifd_config_free(cfg);

    /* The max interval must exceed the heartbeat interval. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_max_interval_ns(cfg, SEC(1)));
    expect_monitor_rejected(cfg, "max_interval_ns");
    CHECK_OK(phifd_config_set_max_interval_ns(cfg, SEC(1) + 1));
    m = new_monitor(cfg);
    phifd_monitor_free(m);
    phifd_config_free(cfg);

    /* The configuration is copied: freeing it does not affect the monitor. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m != NULL) {
        double phi = -1;
        CHECK_OK(phifd_heartbeat(m, 5, 0, SEC(10)));
        CHECK_OK(phifd_phi(m, 5, SEC(12), &phi));
        CHECK_REL(phi, 2e9 / 1e9 / log(10.0), 1e-12); /* exponential on the 1 s seed */
        phifd_monitor_free(m);
    }

    /* NULL configuration: defaults. NULL out: rejected. */
    m = NULL;
    CHECK_OK(phifd_monitor_new(NULL, &m));
    CHECK(m != NULL);
    phifd_monitor_free(m);
    CHECK_OK(phifd_config_new(&cfg));
    reset_last_error();
    CHECK_STATUS(phifd_monitor_new(cfg, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_monitor_new");
    CHECK_STATUS(phifd_monitor_new(NULL, NULL), PHIFD_ERR_NULL_ARG);
    phifd_config_free(cfg);
}

/* ------------------------------------------------------------------- NULL arguments -- */

static void test_null_arguments(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    double d = 0;
    uint64_t u = 0;
    size_t n = 0;
    phifd_event ev[2];
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    phifd_monitor_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    const uint64_t nodes[1] = {1}, gens[1] = {0}, times[1] = {SEC(2)};
    phifd_status st[1];

    CHECK_STATUS(phifd_heartbeat(NULL, 1, 0, SEC(1)), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_add(NULL, 1, 0, SEC(1)), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_remove(NULL, 1), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi(NULL, 1, SEC(1), &d), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi(m, 1, SEC(1), NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_get_info(NULL, 1, SEC(1), &info), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_get_info(m, 1, SEC(1), NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_time_until_phi(NULL, 1, 8.0, &u), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_node_time_until_phi(m, 1, 8.0, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_poll(NULL, SEC(1), ev, 2, &n), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_poll(m, SEC(1), ev, 2, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_poll(m, SEC(1), NULL, 1, &n), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_node_count(NULL, &u), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_node_count(m, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_get_stats(NULL, &stats), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_get_stats(m, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_heartbeat_batch(NULL, nodes, gens, times, 1, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_heartbeat_batch(NULL, NULL, NULL, NULL, 0, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_heartbeat_batch(m, NULL, gens, times, 1, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, NULL, times, 1, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, gens, NULL, 1, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi_batch(NULL, nodes, 1, SEC(1), &d, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi_batch(NULL, NULL, 0, SEC(1), NULL, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi_batch(m, NULL, 1, SEC(1), &d, st), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_phi_batch(m, nodes, 1, SEC(1), NULL, st), PHIFD_ERR_NULL_ARG);

    /* The messages name the NULL parameter. */
    reset_last_error();
    CHECK_STATUS(phifd_phi(m, 1, SEC(1), NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_phi");
    CHECK_CONTAINS(phifd_last_error_message(), "out");
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, gens, NULL, 1, st), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "times_ns");
    reset_last_error();
    CHECK_STATUS(phifd_monitor_poll(m, SEC(1), NULL, 1, &n), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "events");
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat(NULL, 1, 0, SEC(1)), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "monitor");

    /* None of the rejected calls changed anything: still one node, one arrival, no learning. */
    CHECK_OK(phifd_monitor_node_count(m, &u));
    CHECK_EQ_U64(u, 1);
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &info));
    CHECK_EQ_U64(info.last_arrival_ns, SEC(1));
    CHECK_EQ_U64(info.samples, 2); /* the seed history only */

    /* _free(NULL) is a no-op. */
    phifd_monitor_free(NULL);
    phifd_config_free(NULL);
    phifd_monitor_free(m);
}

/* --------------------------------------------------------------------- freed handles -- */

static void test_freed_handles(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    phifd_config_free(cfg);
    reset_last_error();
    CHECK_STATUS(phifd_config_set_threshold(cfg, 8.0), PHIFD_ERR_INVALID_HANDLE);
    CHECK_CONTAINS(phifd_last_error_message(), "cfg");
    CHECK_STATUS(phifd_config_set_estimator(cfg, 0), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_suspect_threshold(cfg, 1.0), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_window(cfg, 10), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_heartbeat_interval_ns(cfg, SEC(1)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_min_std_deviation_ns(cfg, MS(1)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_acceptable_pause_ns(cfg, 0), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_max_interval_ns(cfg, SEC(3)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_round_trip_ns(cfg, MS(1)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_first_heartbeat_timeout_ns(cfg, SEC(3)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_recovery_heartbeats(cfg, 2), PHIFD_ERR_INVALID_HANDLE);
    phifd_monitor *const sentinel = (phifd_monitor *)(uintptr_t)0x5678;
    phifd_monitor *m = sentinel;
    CHECK_STATUS(phifd_monitor_new(cfg, &m), PHIFD_ERR_INVALID_HANDLE);
    CHECK(m == sentinel);
    phifd_config_free(cfg); /* a second free is ignored */

    m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    phifd_monitor_free(m);

    double d = -7.0;
    uint64_t u = 77;
    size_t n = 99;
    phifd_event ev[1];
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    phifd_monitor_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    const uint64_t nodes[1] = {1}, gens[1] = {0}, times[1] = {SEC(2)};
    phifd_status st[1] = {12345};

    reset_last_error();
    CHECK_STATUS(phifd_heartbeat(m, 1, 0, SEC(2)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_CONTAINS(phifd_last_error_message(), "monitor");
    CHECK_STATUS(phifd_node_add(m, 2, 0, SEC(2)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_node_remove(m, 1), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_phi(m, 1, SEC(2), &d), PHIFD_ERR_INVALID_HANDLE);
    CHECK(d == -7.0);
    CHECK_STATUS(phifd_node_get_info(m, 1, SEC(2), &info), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_node_time_until_phi(m, 1, 8.0, &u), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_poll(m, SEC(2), ev, 1, &n), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_node_count(m, &u), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(u, 77);
    CHECK_EQ_U64(n, 99);
    CHECK_STATUS(phifd_monitor_get_stats(m, &stats), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, gens, times, 1, st), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_heartbeat_batch(m, NULL, NULL, NULL, 0, NULL), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_phi_batch(m, nodes, 1, SEC(2), &d, st), PHIFD_ERR_INVALID_HANDLE);
    CHECK(d == -7.0);
    CHECK_EQ_U64(st[0], 12345);
    phifd_monitor_free(m); /* a second free is ignored */

    /* A handle of the other type is not accepted either. */
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_STATUS(phifd_heartbeat((phifd_monitor *)(void *)cfg, 1, 0, SEC(1)), PHIFD_ERR_INVALID_HANDLE);
    phifd_monitor_free((phifd_monitor *)(void *)cfg); /* ignored: not a monitor */
    CHECK_OK(phifd_config_set_window(cfg, 5));        /* still a live config */
    phifd_config_free(cfg);
}

/* -------------------------------------------------- unknown nodes, out-params untouched -- */

static void test_unknown_node_and_out_params(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    double d = -3.0;
    uint64_t u = 4242;

    reset_last_error();
    CHECK_STATUS(phifd_phi(m, 99, SEC(1), &d), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_CONTAINS(phifd_last_error_message(), "99");
    CHECK(d == -3.0);
    CHECK_STATUS(phifd_node_time_until_phi(m, 99, 8.0, &u), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_EQ_U64(u, 4242);
    CHECK_STATUS(phifd_node_remove(m, 99), PHIFD_ERR_UNKNOWN_NODE);

    phifd_node_info info, pattern;
    memset(&pattern, 0xA5, sizeof pattern);
    pattern.size = sizeof pattern;
    info = pattern;
    CHECK_STATUS(phifd_node_get_info(m, 99, SEC(1), &info), PHIFD_ERR_UNKNOWN_NODE);
    CHECK(memcmp(&info, &pattern, sizeof info) == 0);

    /* time_until_phi rejects levels that are not finite non-negative numbers. */
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    const double bad[] = {NAN, INFINITY, -INFINITY, -1.0, -1e-300};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset_last_error();
        CHECK_STATUS(phifd_node_time_until_phi(m, 1, bad[i], &u), PHIFD_ERR_INVALID_ARG);
        CHECK_CONTAINS(phifd_last_error_message(), "phi");
        CHECK_EQ_U64(u, 4242);
    }
    CHECK_OK(phifd_node_time_until_phi(m, 1, 0.0, &u));
    CHECK_EQ_U64(u, 0); /* phi >= 0 already at zero silence */

    /* Add, remove, and the node is unknown again; the generation is forgotten. */
    CHECK_OK(phifd_node_add(m, 2, 9, SEC(1)));
    CHECK_OK(phifd_node_add(m, 2, 3, SEC(5))); /* already monitored: changes nothing */
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 2, SEC(1), &info));
    CHECK_EQ_U64(info.generation, 9);
    CHECK_EQ_U64(info.silence_origin_ns, SEC(1));
    CHECK_EQ_U64(info.state, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(info.has_arrival, 0);
    CHECK_EQ_U64(info.last_arrival_ns, 0);
    CHECK_OK(phifd_monitor_node_count(m, &u));
    CHECK_EQ_U64(u, 2);
    CHECK_OK(phifd_node_remove(m, 2));
    CHECK_STATUS(phifd_node_remove(m, 2), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_STATUS(phifd_phi(m, 2, SEC(5), &d), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_OK(phifd_monitor_node_count(m, &u));
    CHECK_EQ_U64(u, 1);
    CHECK_OK(phifd_heartbeat(m, 2, 1, SEC(6))); /* a lower generation is fine after removal */
    CHECK_OK(phifd_node_get_info(m, 2, SEC(6), &info));
    CHECK_EQ_U64(info.generation, 1);
    phifd_monitor_free(m);
}

/* ------------------------------------------------------------------- versioned structs -- */

static void test_versioned_structs(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 1, 4, SEC(1)));

    /* The full struct: every field written, size echoed. */
    phifd_node_info info;
    memset(&info, 0xEE, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &info));
    CHECK_EQ_U64(info.size, sizeof info);
    CHECK_EQ_U64(info.node, 1);
    CHECK_EQ_U64(info.generation, 4);
    CHECK_EQ_U64(info.state, PHIFD_STATE_ALIVE);
    CHECK_EQ_U64(info.has_arrival, 1);
    CHECK_EQ_U64(info.reserved, 0);
    CHECK_EQ_U64(info.last_arrival_ns, SEC(1));
    CHECK_EQ_U64(info.silence_origin_ns, SEC(1));
    CHECK_EQ_U64(info.samples, 2);
    /* Seed history 750 ms and 1250 ms: mean 1 s, population sd 250 ms. */
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3);
    CHECK_NEAR(info.sd_ns, 2.5e8, 1e-3);
    CHECK(info.suspect_after_ns < info.fail_after_ns);

    /* A caller struct larger than the library's (a newer header): only sizeof is written,
     * the bytes past it are untouched, and size reports what was written. */
    union {
        phifd_node_info info;
        unsigned char bytes[sizeof(phifd_node_info) + 24];
    } big;
    memset(&big, 0x5C, sizeof big);
    uint32_t big_size = (uint32_t)sizeof big;
    memcpy(&big.info.size, &big_size, sizeof big_size);
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &big.info));
    CHECK_EQ_U64(big.info.size, sizeof(phifd_node_info));
    CHECK_EQ_U64(big.info.generation, 4);
    for (size_t i = sizeof(phifd_node_info); i < sizeof big; i++) CHECK(big.bytes[i] == 0x5C);

    /* Too small for the first version of the struct (96 bytes, which ended at `version`):
     * rejected, nothing written. */
    CHECK_EQ_U64(offsetof(phifd_node_info, version), 96);
    const uint32_t small_sizes[] = {0,
                                    4,
                                    8,
                                    64,
                                    (uint32_t)offsetof(phifd_node_info, has_arrival),
                                    (uint32_t)offsetof(phifd_node_info, version) - 1};
    for (size_t k = 0; k < sizeof small_sizes / sizeof small_sizes[0]; k++) {
        union {
            phifd_node_info info;
            unsigned char bytes[sizeof(phifd_node_info)];
        } small, before;
        memset(&small, 0x3C, sizeof small);
        memcpy(&small.info.size, &small_sizes[k], sizeof small_sizes[k]);
        before = small;
        reset_last_error();
        CHECK_STATUS(phifd_node_get_info(m, 1, SEC(1), &small.info), PHIFD_ERR_BUFFER_TOO_SMALL);
        CHECK_CONTAINS(phifd_last_error_message(), "info");
        CHECK(memcmp(small.bytes, before.bytes, sizeof small) == 0);
    }

    /* A caller built against the first version (96 bytes): accepted, exactly 96 bytes written. */
    {
        union {
            phifd_node_info info;
            unsigned char bytes[sizeof(phifd_node_info)];
        } v1;
        memset(&v1, 0x66, sizeof v1);
        uint32_t sz = (uint32_t)offsetof(phifd_node_info, version);
        memcpy(&v1.info.size, &sz, sizeof sz);
        CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &v1.info));
        CHECK_EQ_U64(v1.info.size, 96);
        CHECK_EQ_U64(v1.info.generation, 4);
        for (size_t i = 96; i < sizeof v1; i++) CHECK(v1.bytes[i] == 0x66);
    }

    /* An "older, smaller" caller: a struct that ends early. The library must never write
     * beyond `size`, even when it refuses; a canary right after the struct stays intact. */
    {
        union {
            phifd_node_info info;
            unsigned char bytes[sizeof(phifd_node_info) + 16];
        } older;
        memset(&older, 0x77, sizeof older);
        uint32_t sz = (uint32_t)offsetof(phifd_node_info, sd_ns);
        memcpy(&older.info.size, &sz, sizeof sz);
        phifd_status s = phifd_node_get_info(m, 1, SEC(1), &older.info);
        CHECK(s == PHIFD_OK || s == PHIFD_ERR_BUFFER_TOO_SMALL);
        for (size_t i = sz; i < sizeof older; i++) CHECK(older.bytes[i] == 0x77);
        if (s == PHIFD_OK) {
            CHECK_EQ_U64(older.info.size, sz);
            CHECK_EQ_U64(older.info.generation, 4);
        }
    }

    /* Stats: the same rules. */
    phifd_monitor_stats stats;
    memset(&stats, 0xEE, sizeof stats);
    stats.size = sizeof stats;
    CHECK_OK(phifd_monitor_get_stats(m, &stats));
    CHECK_EQ_U64(stats.size, sizeof stats);
    CHECK_EQ_U64(stats.reserved, 0);
    CHECK_EQ_U64(stats.nodes, 1);
    CHECK_EQ_U64(stats.pending_events, 1); /* UNKNOWN -> ALIVE of node 1 */
    CHECK_EQ_U64(stats.dropped_events, 0);
    CHECK_EQ_U64(stats.stale_heartbeats, 0);
    union {
        phifd_monitor_stats stats;
        unsigned char bytes[sizeof(phifd_monitor_stats) + 16];
    } bigs;
    memset(&bigs, 0x5C, sizeof bigs);
    uint32_t bigs_size = (uint32_t)sizeof bigs;
    memcpy(&bigs.stats.size, &bigs_size, sizeof bigs_size);
    CHECK_OK(phifd_monitor_get_stats(m, &bigs.stats));
    CHECK_EQ_U64(bigs.stats.size, sizeof(phifd_monitor_stats));
    CHECK_EQ_U64(bigs.stats.nodes, 1);
    for (size_t i = sizeof(phifd_monitor_stats); i < sizeof bigs; i++) CHECK(bigs.bytes[i] == 0x5C);
    phifd_monitor_stats small_stats, before_stats;
    memset(&small_stats, 0x3C, sizeof small_stats);
    small_stats.size = 8;
    before_stats = small_stats;
    CHECK_STATUS(phifd_monitor_get_stats(m, &small_stats), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK(memcmp(&small_stats, &before_stats, sizeof small_stats) == 0);
    phifd_monitor_free(m);
}

/* ---------------------------------------------------------------------------- batches -- */

static void test_batches(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;

    /* count 0 with NULL arrays. */
    CHECK_OK(phifd_heartbeat_batch(m, NULL, NULL, NULL, 0, NULL));
    CHECK_OK(phifd_phi_batch(m, NULL, 0, SEC(1), NULL, NULL));
    uint64_t count = 1;
    CHECK_OK(phifd_monitor_node_count(m, &count));
    CHECK_EQ_U64(count, 0);

    /* Records are processed in order; a stale one fails alone. */
    const uint64_t nodes[5] = {10, 11, 10, 11, 10};
    const uint64_t gens[5] = {2, 0, 2, 0, 1};
    const uint64_t times[5] = {SEC(1), SEC(1), SEC(2), SEC(2) + MS(500), SEC(3)};
    phifd_status st[5] = {99, 99, 99, 99, 99};
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, gens, times, 5, st), PHIFD_ERR_STALE_GENERATION);
    CHECK_CONTAINS(phifd_last_error_message(), "record 4");
    CHECK_EQ_U64(st[0], PHIFD_OK);
    CHECK_EQ_U64(st[1], PHIFD_OK);
    CHECK_EQ_U64(st[2], PHIFD_OK);
    CHECK_EQ_U64(st[3], PHIFD_OK);
    CHECK_EQ_U64(st[4], PHIFD_ERR_STALE_GENERATION);
    CHECK_OK(phifd_monitor_node_count(m, &count));
    CHECK_EQ_U64(count, 2);
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 10, SEC(3), &info));
    CHECK_EQ_U64(info.generation, 2);
    CHECK_EQ_U64(info.last_arrival_ns, SEC(2)); /* the stale record changed nothing */
    CHECK_EQ_U64(info.samples, 2);              /* seed 1 s + the 1 s interval */
    CHECK_OK(phifd_node_get_info(m, 11, SEC(3), &info));
    CHECK_EQ_U64(info.last_arrival_ns, SEC(2) + MS(500));
    CHECK_NEAR(info.mean_ns, 1.25e9, 1e-3); /* (1 s + 1.5 s) / 2 */

    /* All good: OK, statuses all OK; statuses may be NULL. */
    const uint64_t n2[2] = {10, 12}, g2[2] = {2, 0}, t2[2] = {SEC(4), SEC(4)};
    phifd_status st2[2] = {99, 99};
    CHECK_OK(phifd_heartbeat_batch(m, n2, g2, t2, 2, st2));
    CHECK_EQ_U64(st2[0], PHIFD_OK);
    CHECK_EQ_U64(st2[1], PHIFD_OK);
    const uint64_t n3[1] = {13}, g3[1] = {0}, t3[1] = {SEC(4)};
    CHECK_OK(phifd_heartbeat_batch(m, n3, g3, t3, 1, NULL));
    CHECK_OK(phifd_monitor_node_count(m, &count));
    CHECK_EQ_U64(count, 4);

    /* phi_batch: unknown nodes get NaN and their own status; known ones equal phifd_phi. */
    const uint64_t q[4] = {10, 404, 11, 405};
    double phi[4] = {-1, -1, -1, -1};
    phifd_status qs[4] = {99, 99, 99, 99};
    const uint64_t at = SEC(5);
    reset_last_error();
    CHECK_STATUS(phifd_phi_batch(m, q, 4, at, phi, qs), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_CONTAINS(phifd_last_error_message(), "index 1");
    CHECK(isnan(phi[1]));
    CHECK(isnan(phi[3]));
    CHECK_EQ_U64(qs[0], PHIFD_OK);
    CHECK_EQ_U64(qs[1], PHIFD_ERR_UNKNOWN_NODE);
    CHECK_EQ_U64(qs[2], PHIFD_OK);
    CHECK_EQ_U64(qs[3], PHIFD_ERR_UNKNOWN_NODE);
    double single = -1;
    CHECK_OK(phifd_phi(m, 10, at, &single));
    CHECK(phi[0] == single);
    CHECK_OK(phifd_phi(m, 11, at, &single));
    CHECK(phi[2] == single);
    /* Node 10: window {1 s seed, 1 s, 2 s} mean 4/3 s, silence 1 s. Node 11: mean 1.25 s,
     * silence 2.5 s. */
    CHECK_REL(phi[0], 1e9 / (4e9 / 3.0) / log(10.0), 1e-12);
    CHECK_REL(phi[2], 2.5e9 / 1.25e9 / log(10.0), 1e-12);
    /* statuses may be NULL. */
    double phi2[2] = {-1, -1};
    const uint64_t q2[2] = {12, 13};
    CHECK_OK(phifd_phi_batch(m, q2, 2, at, phi2, NULL));
    CHECK_REL(phi2[0], 1e9 / 1e9 / log(10.0), 1e-12);
    CHECK_REL(phi2[1], 1e9 / 1e9 / log(10.0), 1e-12);
    CHECK_STATUS(phifd_phi_batch(m, q, 2, at, phi2, NULL), PHIFD_ERR_UNKNOWN_NODE);
    CHECK(isnan(phi2[1]));
    phifd_monitor_free(m);
}

/* ----------------------------------------------------------------------- bounded poll -- */

static void test_poll_caps(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 101, 0, SEC(1)));
    CHECK_OK(phifd_heartbeat(m, 102, 0, SEC(1) + 1));
    CHECK_OK(phifd_heartbeat(m, 103, 0, SEC(1) + 2));

    phifd_monitor_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    size_t written = 777;

    /* cap 0 with NULL events: nothing taken. */
    CHECK_OK(phifd_monitor_poll(m, SEC(1) + 2, NULL, 0, &written));
    CHECK_EQ_U64(written, 0);
    CHECK_OK(phifd_monitor_get_stats(m, &stats));
    CHECK_EQ_U64(stats.pending_events, 3);

    /* cap 1: the oldest, one at a time; the rest stay queued. */
    phifd_event ev[4];
    memset(ev, 0xAB, sizeof ev);
    phifd_event untouched;
    memcpy(&untouched, &ev[1], sizeof untouched);
    CHECK_OK(phifd_monitor_poll(m, SEC(1) + 2, ev, 1, &written));
    CHECK_EQ_U64(written, 1);
    CHECK_EQ_U64(ev[0].node, 101);
    CHECK_EQ_U64(ev[0].kind, PHIFD_EVENT_STATE_CHANGED);
    CHECK_EQ_U64(ev[0].from, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(ev[0].to, PHIFD_STATE_ALIVE);
    CHECK_EQ_U64(ev[0].time_ns, SEC(1));
    CHECK_EQ_U64(ev[0].generation, 0);
    CHECK_EQ_U64(ev[0].reserved, 0);
    CHECK(memcmp(&ev[1], &untouched, sizeof untouched) == 0); /* nothing past cap */
    CHECK_OK(phifd_monitor_get_stats(m, &stats));
    CHECK_EQ_U64(stats.pending_events, 2);

    /* The remaining two come out in order with a larger cap. */
    memset(ev, 0xAB, sizeof ev);
    CHECK_OK(phifd_monitor_poll(m, SEC(1) + 2, ev, 4, &written));
    CHECK_EQ_U64(written, 2);
    CHECK_EQ_U64(ev[0].node, 102);
    CHECK_EQ_U64(ev[0].time_ns, SEC(1) + 1);
    CHECK_EQ_U64(ev[1].node, 103);
    CHECK_EQ_U64(ev[1].time_ns, SEC(1) + 2);
    CHECK(memcmp(&ev[2], &untouched, sizeof untouched) == 0);
    CHECK_OK(phifd_monitor_poll(m, SEC(1) + 2, ev, 4, &written));
    CHECK_EQ_U64(written, 0);
    CHECK_OK(phifd_monitor_get_stats(m, &stats));
    CHECK_EQ_U64(stats.pending_events, 0);
    phifd_monitor_free(m);
}

/* ------------------------------------------------------------------ config getters -- */

typedef phifd_status (*get_u64_fn)(const phifd_config *, uint64_t *);
typedef phifd_status (*get_u32_fn)(const phifd_config *, uint32_t *);
typedef phifd_status (*get_f64_fn)(const phifd_config *, double *);

/* Reads a setting through `get`, recording a failure if the call fails. */
static uint64_t get_u64(const phifd_config *cfg, get_u64_fn get) {
    uint64_t v = UINT64_MAX;
    CHECK_OK(get(cfg, &v));
    return v;
}
static uint32_t get_u32(const phifd_config *cfg, get_u32_fn get) {
    uint32_t v = UINT32_MAX;
    CHECK_OK(get(cfg, &v));
    return v;
}
static double get_f64(const phifd_config *cfg, get_f64_fn get) {
    double v = NAN;
    CHECK_OK(get(cfg, &v));
    return v;
}

static void test_config_getters(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;

    /* The defaults (README's settings table). */
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_estimator), PHIFD_ESTIMATOR_AKKA);
    CHECK(get_f64(cfg, phifd_config_get_threshold) == 8.0);
    CHECK(get_f64(cfg, phifd_config_get_suspect_threshold) == 4.0);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_window), 1000);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_heartbeat_interval_ns), SEC(1));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_min_std_deviation_ns), MS(250));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_acceptable_pause_ns), 0);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_max_interval_ns), 0); /* no limit */
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_round_trip_ns), 0);   /* none declared */
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_recovery_heartbeats), 2);
    CHECK(get_f64(cfg, phifd_config_get_burst_fraction) == 0.25);
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_max_local_health), 7);
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_confirmations_expected), 3);
    CHECK(get_f64(cfg, phifd_config_get_confirmation_min_ratio) == 0.5);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_max_nodes), 65536);
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_membership), PHIFD_MEMBERSHIP_OPEN);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_qos_warmup_ns), PHIFD_QOS_WARMUP_DEFAULT); /* min(T_MR, 1 h) */
    /* Derived from the steady timeout of the defaults, 2,306,496,661 ns by hand (Akka's tail at
     * phi 8 is y = 5.2259866; mean 1 s + y x sd 0.25 s). */
    CHECK_NEAR((double)get_u64(cfg, phifd_config_get_first_heartbeat_timeout_ns), 2306496661.0, 1e3);
    CHECK_NEAR((double)get_u64(cfg, phifd_config_get_local_pause_threshold_ns), 2306496661.0 / 2, 1e3);
    CHECK_NEAR((double)get_u64(cfg, phifd_config_get_local_pause_grace_ns), 2306496661.0 * 2, 1e3);

    /* What the setters store comes back; derived defaults follow their inputs. */
    CHECK_OK(phifd_config_set_threshold(cfg, 10.0));
    CHECK(get_f64(cfg, phifd_config_get_suspect_threshold) == 5.0);
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, MS(100)));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_min_std_deviation_ns), MS(25));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_estimator), PHIFD_ESTIMATOR_EXPONENTIAL);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_max_interval_ns), MS(200));
    CHECK_OK(phifd_config_set_max_interval_ns(cfg, MS(350)));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_max_interval_ns), MS(350));
    CHECK_OK(phifd_config_set_round_trip_ns(cfg, MS(3)));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_round_trip_ns), MS(3));
    CHECK_OK(phifd_config_set_window(cfg, 64));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_window), 64);
    CHECK_OK(phifd_config_set_local_pause_grace_ns(cfg, 0));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_local_pause_grace_ns), 0);
    CHECK_OK(phifd_config_set_confirmation_min_ratio(cfg, 0.75));
    CHECK(get_f64(cfg, phifd_config_get_confirmation_min_ratio) == 0.75);
    CHECK_OK(phifd_config_set_membership(cfg, PHIFD_MEMBERSHIP_FIXED));
    CHECK_EQ_U64(get_u32(cfg, phifd_config_get_membership), PHIFD_MEMBERSHIP_FIXED);
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, SEC(90)));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_qos_warmup_ns), SEC(90));
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, PHIFD_QOS_WARMUP_DEFAULT));
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_qos_warmup_ns), PHIFD_QOS_WARMUP_DEFAULT);
    /* A refused value leaves the stored one. */
    CHECK_STATUS(phifd_config_set_window(cfg, 0), PHIFD_ERR_INVALID_ARG);
    CHECK_EQ_U64(get_u64(cfg, phifd_config_get_window), 64);

    /* A default that cannot be derived (suspect >= threshold) is an error; out is untouched. */
    CHECK_OK(phifd_config_set_suspect_threshold(cfg, 20.0));
    uint64_t v = 77;
    reset_last_error();
    CHECK_STATUS(phifd_config_get_first_heartbeat_timeout_ns(cfg, &v), PHIFD_ERR_INVALID_ARG);
    CHECK_EQ_U64(v, 77);
    CHECK_CONTAINS(phifd_last_error_message(), "first_heartbeat_timeout_ns");
    CHECK_CONTAINS(phifd_last_error_message(), "suspect_threshold");

    /* NULL arguments and dead handles. */
    CHECK_STATUS(phifd_config_get_window(NULL, &v), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_config_get_window(cfg, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "out");
    phifd_config_free(cfg);
    CHECK_STATUS(phifd_config_get_window(cfg, &v), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(v, 77);
}

/* ------------------------------------------------------------ state and event names -- */

static void test_state_and_event_names(void) {
    CHECK(strcmp(phifd_state_name(PHIFD_STATE_UNKNOWN), "UNKNOWN") == 0);
    CHECK(strcmp(phifd_state_name(PHIFD_STATE_ALIVE), "ALIVE") == 0);
    CHECK(strcmp(phifd_state_name(PHIFD_STATE_SUSPECT), "SUSPECT") == 0);
    CHECK(strcmp(phifd_state_name(PHIFD_STATE_FAILED), "FAILED") == 0);
    CHECK(strcmp(phifd_state_name(4), "INVALID") == 0);
    CHECK(strcmp(phifd_state_name(UINT32_MAX), "INVALID") == 0);
    CHECK(strcmp(phifd_event_kind_name(PHIFD_EVENT_STATE_CHANGED), "STATE_CHANGED") == 0);
    CHECK(strcmp(phifd_event_kind_name(PHIFD_EVENT_RESTARTED), "RESTARTED") == 0);
    CHECK(strcmp(phifd_event_kind_name(2), "INVALID") == 0);
    CHECK(strcmp(phifd_event_kind_name(UINT32_MAX), "INVALID") == 0);
    /* Static: the same pointer each time, valid after later calls. */
    const char *alive = phifd_state_name(PHIFD_STATE_ALIVE);
    (void)phifd_state_name(PHIFD_STATE_FAILED);
    CHECK(alive == phifd_state_name(PHIFD_STATE_ALIVE));
    CHECK(strcmp(alive, "ALIVE") == 0);
}

int main(void) {
    test_last_error(); /* first: relies on no failure having happened on this thread */
    test_version();
    test_status_names();
    test_now_ns();
    test_config_setters();
    test_rejected_setting_keeps_previous();
    test_monitor_new_validation();
    test_null_arguments();
    test_freed_handles();
    test_unknown_node_and_out_params();
    test_versioned_structs();
    test_batches();
    test_poll_caps();
    test_config_getters();
    test_state_and_event_names();
    return check_finish("test_api");
}
