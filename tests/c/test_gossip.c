/*
 * test_gossip.c — delay awareness and gossip through the C ABI: phifd_heartbeat_version,
 * phifd_node_report_suspect, phifd_monitor_set/get_local_health, the pause/burst/health/
 * confirmation settings, and version 2 of phifd_node_info (120 bytes) and phifd_monitor_stats
 * (88 bytes) next to their first versions (96 and 40 bytes). Bad inputs first, then behaviour
 * with explicit timestamps and numbers derived by hand in the comments. Exits non-zero if any
 * check fails.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

/* Exponential estimator, mean interval 1 s, threshold 8: phi = t / mean / ln 10 reaches 8 after
 * 8 ln 10 s = 18.420680743952367 s, rounded up to whole nanoseconds. */
#define BASE_FAIL_AFTER UINT64_C(18420680744)

/* Lifeguard: ceil(max * max(r, 1 - (1 - r) ln(n + 1) / ln(k + 1))), computed independently. */
static uint64_t lifeguard(uint64_t max, double n, double k, double r) {
    double factor = 1.0 - (1.0 - r) * log(n + 1.0) / log(k + 1.0);
    if (factor < r) factor = r;
    return (uint64_t)ceil((double)max * factor);
}

/* fail_after_ns of `node` at `now` (UINT64_MAX if the query fails). */
static uint64_t fail_after(const phifd_monitor *m, uint64_t node, uint64_t now) {
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    phifd_status s = phifd_node_get_info(m, node, now, &info);
    CHECK_OK(s);
    return s == PHIFD_OK ? info.fail_after_ns : UINT64_MAX;
}

/* The full node info of `node` at `now` (zeroed if the query fails). */
static phifd_node_info get_info(const phifd_monitor *m, uint64_t node, uint64_t now) {
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, node, now, &info));
    return info;
}

/* The full stats (zeroed if the query fails). */
static phifd_monitor_stats get_stats(const phifd_monitor *m) {
    phifd_monitor_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    CHECK_OK(phifd_monitor_get_stats(m, &st));
    return st;
}

/* Polls at `now` and counts transitions to FAILED, recording the last one's node and time. */
static size_t poll_failures(phifd_monitor *m, uint64_t now, uint64_t *node, uint64_t *time_ns) {
    phifd_event ev[64];
    size_t written = 0, failed = 0;
    do {
        CHECK_OK(phifd_monitor_poll(m, now, ev, 64, &written));
        for (size_t i = 0; i < written; i++) {
            if (ev[i].kind == PHIFD_EVENT_STATE_CHANGED && ev[i].to == PHIFD_STATE_FAILED) {
                failed++;
                if (node) *node = ev[i].node;
                if (time_ns) *time_ns = ev[i].time_ns;
            }
        }
    } while (written == 64);
    return failed;
}

/* Exponential estimator, 1 s interval, plus whatever `cfg` already holds; node 1
 * heartbeats at 0..4 s. */
static phifd_monitor *exponential_with_node1(phifd_config *cfg) {
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, SEC(1)));
    phifd_monitor *m = new_monitor(cfg);
    if (m == NULL) return NULL;
    for (uint64_t i = 0; i < 5; i++) CHECK_OK(phifd_heartbeat(m, 1, 1, SEC(i)));
    return m;
}

/* ------------------------------------------------------------------------- bad inputs -- */

static void test_null_arguments(void) {
    bool counted = true;
    uint32_t h = 99;
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat_version(NULL, 1, 1, 1, SEC(1), &counted), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_heartbeat_version");
    CHECK(counted == true); /* out-parameters are written only on success */
    CHECK_STATUS(phifd_heartbeat_version(NULL, 1, 1, 1, SEC(1), NULL), PHIFD_ERR_NULL_ARG);
    reset_last_error();
    CHECK_STATUS(phifd_node_report_suspect(NULL, 1, 2), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_node_report_suspect");
    reset_last_error();
    CHECK_STATUS(phifd_monitor_set_local_health(NULL, 0), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_monitor_set_local_health");
    CHECK_STATUS(phifd_monitor_get_local_health(NULL, &h), PHIFD_ERR_NULL_ARG);
    CHECK_EQ_U64(h, 99);

    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_get_local_health(m, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "out");
    /* out_counted is optional: NULL is fine, the heartbeat still counts. */
    CHECK_OK(phifd_heartbeat_version(m, 5, 1, 3, SEC(1), NULL));
    phifd_node_info info = get_info(m, 5, SEC(1));
    CHECK_EQ_U64(info.version, 3);
    CHECK_EQ_U64(info.last_arrival_ns, SEC(1));
    CHECK_OK(phifd_heartbeat_version(m, 5, 1, 3, SEC(2), NULL)); /* a duplicate, silently */
    CHECK_EQ_U64(get_stats(m).duplicate_heartbeats, 1);
    phifd_monitor_free(m);

    const char *names[] = {"phifd_config_set_local_pause_threshold_ns", "phifd_config_set_local_pause_grace_ns",
                           "phifd_config_set_burst_fraction",           "phifd_config_set_max_local_health",
                           "phifd_config_set_confirmations_expected",   "phifd_config_set_confirmation_min_ratio"};
    phifd_status got[6];
    reset_last_error();
    got[0] = phifd_config_set_local_pause_threshold_ns(NULL, SEC(1));
    CHECK_CONTAINS(phifd_last_error_message(), names[0]);
    reset_last_error();
    got[1] = phifd_config_set_local_pause_grace_ns(NULL, SEC(1));
    CHECK_CONTAINS(phifd_last_error_message(), names[1]);
    reset_last_error();
    got[2] = phifd_config_set_burst_fraction(NULL, 0.5);
    CHECK_CONTAINS(phifd_last_error_message(), names[2]);
    reset_last_error();
    got[3] = phifd_config_set_max_local_health(NULL, 3);
    CHECK_CONTAINS(phifd_last_error_message(), names[3]);
    reset_last_error();
    got[4] = phifd_config_set_confirmations_expected(NULL, 3);
    CHECK_CONTAINS(phifd_last_error_message(), names[4]);
    reset_last_error();
    got[5] = phifd_config_set_confirmation_min_ratio(NULL, 0.5);
    CHECK_CONTAINS(phifd_last_error_message(), names[5]);
    for (size_t i = 0; i < 6; i++) CHECK_STATUS(got[i], PHIFD_ERR_NULL_ARG);
}

static void test_freed_handles(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    phifd_config_free(cfg);
    CHECK_STATUS(phifd_config_set_local_pause_threshold_ns(cfg, SEC(1)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_local_pause_grace_ns(cfg, SEC(1)), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_burst_fraction(cfg, 0.5), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_max_local_health(cfg, 3), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_confirmations_expected(cfg, 3), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_config_set_confirmation_min_ratio(cfg, 0.5), PHIFD_ERR_INVALID_HANDLE);

    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 1, 1, SEC(1)));
    phifd_monitor_free(m);
    bool counted = true;
    uint32_t h = 42;
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat_version(m, 1, 1, 2, SEC(2), &counted), PHIFD_ERR_INVALID_HANDLE);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_heartbeat_version");
    CHECK(counted == true);
    CHECK_STATUS(phifd_heartbeat_version(m, 1, 1, 2, SEC(2), NULL), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_node_report_suspect(m, 1, 2), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_set_local_health(m, 1), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_get_local_health(m, &h), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(h, 42);
}

/* Each new setter rejects out-of-range values with PHIFD_ERR_INVALID_ARG and a message naming
 * the setting, keeps its previous value, and accepts its boundaries. */
static void expect_rejected(phifd_status s, const char *setting) {
    CHECK_STATUS(s, PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), setting);
}

static void test_setter_ranges(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;
    const uint64_t too_long = UINT64_C(1000000000000001); /* just over 11.6 days (10^15 ns) */
    reset_last_error();
    expect_rejected(phifd_config_set_local_pause_threshold_ns(cfg, 0), "local_pause_threshold_ns");
    reset_last_error();
    expect_rejected(phifd_config_set_local_pause_threshold_ns(cfg, UINT64_MAX), "local_pause_threshold_ns");
    reset_last_error();
    expect_rejected(phifd_config_set_local_pause_grace_ns(cfg, UINT64_MAX), "local_pause_grace_ns");
    reset_last_error();
    expect_rejected(phifd_config_set_local_pause_grace_ns(cfg, too_long), "local_pause_grace_ns");
    const double bad_fractions[] = {1.0, 1.5, -0.0001, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_fractions / sizeof bad_fractions[0]; i++) {
        reset_last_error();
        expect_rejected(phifd_config_set_burst_fraction(cfg, bad_fractions[i]), "burst_fraction");
    }
    reset_last_error();
    expect_rejected(phifd_config_set_max_local_health(cfg, 65), "max_local_health");
    reset_last_error();
    expect_rejected(phifd_config_set_max_local_health(cfg, UINT32_MAX), "max_local_health");
    reset_last_error();
    expect_rejected(phifd_config_set_confirmations_expected(cfg, 0), "confirmations_expected");
    reset_last_error();
    expect_rejected(phifd_config_set_confirmations_expected(cfg, 65), "confirmations_expected");
    const double bad_ratios[] = {0.0, -0.5, 1.0000001, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_ratios / sizeof bad_ratios[0]; i++) {
        reset_last_error();
        expect_rejected(phifd_config_set_confirmation_min_ratio(cfg, bad_ratios[i]), "confirmation_min_ratio");
    }
    /* Boundaries. */
    CHECK_OK(phifd_config_set_local_pause_threshold_ns(cfg, 1));
    CHECK_OK(phifd_config_set_local_pause_grace_ns(cfg, 0));
    CHECK_OK(phifd_config_set_local_pause_grace_ns(cfg, UINT64_C(1000000000000000)));
    CHECK_OK(phifd_config_set_burst_fraction(cfg, 0.0));
    CHECK_OK(phifd_config_set_burst_fraction(cfg, 0.999));
    CHECK_OK(phifd_config_set_max_local_health(cfg, 0));
    CHECK_OK(phifd_config_set_max_local_health(cfg, 64));
    CHECK_OK(phifd_config_set_confirmations_expected(cfg, 1));
    CHECK_OK(phifd_config_set_confirmations_expected(cfg, 64));
    CHECK_OK(phifd_config_set_confirmation_min_ratio(cfg, 1.0));
    CHECK_OK(phifd_config_set_confirmation_min_ratio(cfg, 1e-9));
    phifd_monitor *m = new_monitor(cfg);
    phifd_monitor_free(m);

    /* A rejected value keeps the previous one: max_local_health 2, then 65 rejected, so 3 is
     * still above the maximum and 2 is accepted. */
    CHECK_OK(phifd_config_set_max_local_health(cfg, 2));
    CHECK_STATUS(phifd_config_set_max_local_health(cfg, 65), PHIFD_ERR_INVALID_ARG);
    m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_set_local_health(m, 3), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "max_local_health");
    CHECK_OK(phifd_monitor_set_local_health(m, 2));
    uint32_t h = 0;
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 2);
    phifd_monitor_free(m);

    /* Default maximum 7. */
    m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_STATUS(phifd_monitor_set_local_health(m, 8), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_monitor_set_local_health(m, UINT32_MAX), PHIFD_ERR_INVALID_ARG);
    CHECK_OK(phifd_monitor_set_local_health(m, 7));
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 7);
    phifd_monitor_free(m);
}

static void test_report_suspect_errors(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    reset_last_error();
    CHECK_STATUS(phifd_node_report_suspect(m, 9, 1), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_CONTAINS(phifd_last_error_message(), "9");
    CHECK_OK(phifd_heartbeat(m, 9, 1, SEC(1)));
    reset_last_error();
    CHECK_STATUS(phifd_node_report_suspect(m, 9, 9), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "itself");
    CHECK_EQ_U64(get_info(m, 9, SEC(1)).confirmations, 0);
    /* A reporter need not be monitored itself. */
    CHECK_OK(phifd_node_report_suspect(m, 9, 12345));
    CHECK_EQ_U64(get_info(m, 9, SEC(1)).confirmations, 1);
    /* A removed node is unknown again. */
    CHECK_OK(phifd_node_remove(m, 9));
    CHECK_STATUS(phifd_node_report_suspect(m, 9, 1), PHIFD_ERR_UNKNOWN_NODE);
    /* A registered node (no heartbeat yet) can be reported. */
    CHECK_OK(phifd_node_add(m, 10, 1, SEC(1)));
    CHECK_OK(phifd_node_report_suspect(m, 10, 1));
    CHECK_EQ_U64(get_info(m, 10, SEC(1)).confirmations, 1);
    phifd_monitor_free(m);
}

/* ---------------------------------------------------------------- versioned structs -- */

static void test_struct_versions(void) {
    CHECK_EQ_U64(sizeof(phifd_node_info), 120);
    CHECK_EQ_U64(sizeof(phifd_monitor_stats), 144);
    CHECK_EQ_U64(offsetof(phifd_node_info, version), 96);
    CHECK_EQ_U64(offsetof(phifd_node_info, heartbeat_interval_ns), 104);
    CHECK_EQ_U64(offsetof(phifd_node_info, confirmations), 112);
    CHECK_EQ_U64(offsetof(phifd_node_info, reserved2), 116);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, duplicate_heartbeats), 40);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, pauses_detected), 48);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, last_pause_start_ns), 56);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, last_pause_end_ns), 64);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, grace_until_ns), 72);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, local_health), 80);
    CHECK_EQ_U64(offsetof(phifd_monitor_stats, reserved2), 84);

    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat_version(m, 1, 2, 5, SEC(1), NULL));
    CHECK_OK(phifd_heartbeat_version(m, 1, 2, 5, SEC(1) + MS(3), NULL)); /* one duplicate */
    CHECK_OK(phifd_node_report_suspect(m, 1, 7));
    CHECK_OK(phifd_monitor_set_local_health(m, 2));

    /* Version 2, every byte overwritten. */
    phifd_node_info info;
    memset(&info, 0xEE, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &info));
    CHECK_EQ_U64(info.size, 120);
    CHECK_EQ_U64(info.version, 5);
    CHECK_EQ_U64(info.confirmations, 1);
    CHECK_EQ_U64(info.reserved2, 0);
    /* Before any interval is observed the per-heartbeat estimate is the configured 1 s. */
    CHECK(isfinite(info.heartbeat_interval_ns) && info.heartbeat_interval_ns > 0);

    /* Version 1 (96 bytes): accepted, exactly 96 bytes written. */
    {
        union {
            phifd_node_info info;
            unsigned char bytes[sizeof(phifd_node_info)];
        } v1;
        memset(&v1, 0xA5, sizeof v1);
        uint32_t sz = 96;
        memcpy(&v1.info.size, &sz, sizeof sz);
        CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &v1.info));
        CHECK_EQ_U64(v1.info.size, 96);
        CHECK_EQ_U64(v1.info.generation, 2);
        CHECK_EQ_U64(v1.info.has_arrival, 1);
        CHECK_EQ_U64(v1.info.reserved, 0);
        size_t untouched = 0;
        for (size_t i = 96; i < sizeof v1; i++) untouched += v1.bytes[i] == 0xA5;
        CHECK_EQ_U64(untouched, sizeof v1 - 96);
    }
    /* Between the versions (e.g. 104: v1 + version): accepted up to the fields that fit;
     * never a byte beyond size. */
    {
        union {
            phifd_node_info info;
            unsigned char bytes[sizeof(phifd_node_info)];
        } mid;
        memset(&mid, 0xA5, sizeof mid);
        uint32_t sz = 104;
        memcpy(&mid.info.size, &sz, sizeof sz);
        phifd_status s = phifd_node_get_info(m, 1, SEC(1), &mid.info);
        CHECK(s == PHIFD_OK);
        CHECK(mid.info.size <= 104);
        for (size_t i = 104; i < sizeof mid; i++) CHECK(mid.bytes[i] == 0xA5);
    }
    {
        phifd_node_info small, before;
        memset(&small, 0x3C, sizeof small);
        small.size = 95;
        before = small;
        CHECK_STATUS(phifd_node_get_info(m, 1, SEC(1), &small), PHIFD_ERR_BUFFER_TOO_SMALL);
        CHECK(memcmp(&small, &before, sizeof small) == 0);
    }

    /* Stats version 2 (since grown to version 3, 144 bytes). */
    phifd_monitor_stats st;
    memset(&st, 0xEE, sizeof st);
    st.size = sizeof st;
    CHECK_OK(phifd_monitor_get_stats(m, &st));
    CHECK_EQ_U64(st.size, 144);
    CHECK_EQ_U64(st.duplicate_heartbeats, 1);
    CHECK_EQ_U64(st.pauses_detected, 0);
    CHECK_EQ_U64(st.last_pause_start_ns, 0);
    CHECK_EQ_U64(st.last_pause_end_ns, 0);
    CHECK_EQ_U64(st.grace_until_ns, 0);
    CHECK_EQ_U64(st.local_health, 2);
    CHECK_EQ_U64(st.reserved2, 0);
    /* Stats version 1 (40 bytes): accepted, exactly 40 bytes written. */
    {
        union {
            phifd_monitor_stats stats;
            unsigned char bytes[sizeof(phifd_monitor_stats)];
        } v1;
        memset(&v1, 0xA5, sizeof v1);
        uint32_t sz = 40;
        memcpy(&v1.stats.size, &sz, sizeof sz);
        CHECK_OK(phifd_monitor_get_stats(m, &v1.stats));
        CHECK_EQ_U64(v1.stats.size, 40);
        CHECK_EQ_U64(v1.stats.nodes, 1);
        CHECK_EQ_U64(v1.stats.stale_heartbeats, 0);
        size_t untouched = 0;
        for (size_t i = 40; i < sizeof v1; i++) untouched += v1.bytes[i] == 0xA5;
        CHECK_EQ_U64(untouched, sizeof v1 - 40);
    }
    {
        phifd_monitor_stats small, before;
        memset(&small, 0x3C, sizeof small);
        small.size = 39;
        before = small;
        CHECK_STATUS(phifd_monitor_get_stats(m, &small), PHIFD_ERR_BUFFER_TOO_SMALL);
        CHECK(memcmp(&small, &before, sizeof small) == 0);
    }
    phifd_monitor_free(m);
}

/* ------------------------------------------------------------------------- behaviour -- */

/* Peers 1..20 heartbeat every 100 ms; peer 21 crashes at 5 s; peer 22 at 12 s, during a 10 s
 * pause of the monitor (no call from 9.95 s to 20 s). At 20 s the queued heartbeats are drained
 * stamped with the processing time (no socket timestamps: the worst case). Grace 2 s. */
static void beat(phifd_monitor *m, uint64_t t) {
    for (uint64_t node = 1; node <= 22; node++) {
        bool crashed = (node == 21 && t >= SEC(5)) || (node == 22 && t >= SEC(12));
        if (!crashed) CHECK_OK(phifd_heartbeat(m, node, 1, t));
    }
}

static void test_monitor_pause(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, MS(100)));
    CHECK_OK(phifd_config_set_local_pause_grace_ns(cfg, SEC(2)));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    size_t failed = 0;
    uint64_t node = 0, when = 0;
    for (uint64_t t = SEC(1); t < SEC(10); t += MS(100)) {
        beat(m, t);
        failed += poll_failures(m, t + MS(50), &node, &when);
    }
    CHECK_EQ_U64(failed, 1);
    CHECK_EQ_U64(node, 21);
    CHECK(when > MS(4900) && when < SEC(10));
    CHECK_EQ_U64(get_stats(m).pauses_detected, 0);

    const uint64_t resume = SEC(20);
    for (uint64_t i = 0; i < 100; i++)
        for (uint64_t n = 1; n <= 20; n++) CHECK_OK(phifd_heartbeat(m, n, 1, resume + i * 100000));
    size_t failed_after = 0;
    for (uint64_t t = resume + MS(10); t < SEC(30); t += MS(100)) {
        failed_after += poll_failures(m, t, &node, &when);
        beat(m, t + MS(50));
    }
    CHECK_EQ_U64(failed_after, 1); /* only peer 22: zero FAILED for the 20 healthy peers */
    CHECK_EQ_U64(node, 22);
    CHECK_EQ_U64(when, SEC(22)); /* convicted when the grace ends: 20 s + 2 s */
    phifd_monitor_stats st = get_stats(m);
    CHECK_EQ_U64(st.pauses_detected, 1);
    CHECK_EQ_U64(st.last_pause_start_ns, MS(9950)); /* the last poll before: 9.9 s + 50 ms */
    CHECK_EQ_U64(st.last_pause_end_ns, resume);
    CHECK_EQ_U64(st.grace_until_ns, SEC(22));
    for (uint64_t n = 1; n <= 20; n++) {
        phifd_node_info info = get_info(m, n, SEC(30));
        CHECK_EQ_U64(info.state, PHIFD_STATE_ALIVE);
        CHECK_NEAR(info.mean_ns, 1e8, 1e6); /* neither the 10 s gap nor the burst was learned */
    }
    phifd_monitor_free(m);
}

static void test_fifty_relays(void) {
    phifd_monitor *m = new_monitor(NULL);
    if (m == NULL) return;
    bool counted = false;
    CHECK_OK(phifd_heartbeat_version(m, 7, 1, 10, SEC(1), &counted));
    CHECK(counted);
    size_t counted_relays = 0;
    for (uint64_t relay = 0; relay < 49; relay++) {
        counted = true;
        CHECK_OK(phifd_heartbeat_version(m, 7, 1, 10, SEC(1) + relay * MS(1), &counted));
        counted_relays += counted;
    }
    CHECK_EQ_U64(counted_relays, 0);
    counted = true;
    CHECK_OK(phifd_heartbeat_version(m, 7, 1, 9, SEC(1) + MS(60), &counted)); /* old, late */
    CHECK(!counted);
    phifd_node_info info = get_info(m, 7, SEC(2));
    CHECK_EQ_U64(info.version, 10);
    CHECK_EQ_U64(info.last_arrival_ns, SEC(1)); /* duplicates do not refresh the arrival */
    CHECK_EQ_U64(get_stats(m).duplicate_heartbeats, 50);
    CHECK_OK(phifd_heartbeat_version(m, 7, 1, 11, SEC(2), &counted));
    CHECK(counted);
    CHECK_OK(phifd_heartbeat_version(m, 7, 2, 1, SEC(3), &counted)); /* a restart */
    CHECK(counted);
    CHECK_EQ_U64(get_info(m, 7, SEC(3)).version, 1);
    counted = true;
    CHECK_STATUS(phifd_heartbeat_version(m, 7, 1, 100, SEC(4), &counted), PHIFD_ERR_STALE_GENERATION);
    CHECK(counted); /* untouched on failure */
    phifd_monitor_stats st = get_stats(m);
    CHECK_EQ_U64(st.duplicate_heartbeats, 50);
    CHECK_EQ_U64(st.stale_heartbeats, 1);
    phifd_monitor_free(m);
}

static void test_confirmations(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;
    phifd_monitor *m = exponential_with_node1(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    /* By hand (k = 3, r = 0.5): n = 1: 1 - 0.5 ln2/ln4 = 0.75 -> 13,815,510,558 ns;
     * n = 2: 1 - 0.5 ln3/ln4 = 0.603759374819711 -> 11,121,658,690 ns; n = 3: 0.5 -> 9,210,340,372. */
    CHECK_EQ_U64(lifeguard(BASE_FAIL_AFTER, 1, 3, 0.5), UINT64_C(13815510558));
    CHECK_EQ_U64(lifeguard(BASE_FAIL_AFTER, 2, 3, 0.5), UINT64_C(11121658690));
    CHECK_EQ_U64(lifeguard(BASE_FAIL_AFTER, 3, 3, 0.5), UINT64_C(9210340372));
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), BASE_FAIL_AFTER);
    CHECK_OK(phifd_node_report_suspect(m, 1, 100));
    CHECK_OK(phifd_node_report_suspect(m, 1, 100)); /* the same reporter counts once */
    CHECK_EQ_U64(get_info(m, 1, SEC(4)).confirmations, 1);
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), UINT64_C(13815510558));
    CHECK_OK(phifd_node_report_suspect(m, 1, 101));
    CHECK_EQ_U64(get_info(m, 1, SEC(4)).confirmations, 2);
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), UINT64_C(11121658690));
    for (uint64_t reporter = 102; reporter < 2000; reporter++) CHECK_OK(phifd_node_report_suspect(m, 1, reporter));
    phifd_node_info info = get_info(m, 1, SEC(4));
    CHECK_EQ_U64(info.confirmations, 3); /* the flood is bounded at k */
    CHECK_EQ_U64(info.fail_after_ns, UINT64_C(9210340372));
    /* Convicted exactly at the shortened deadline. */
    const uint64_t deadline = SEC(4) + UINT64_C(9210340372);
    uint64_t node = 0, when = 0;
    CHECK_EQ_U64(poll_failures(m, deadline - 1, &node, &when), 0);
    CHECK_EQ_U64(poll_failures(m, deadline, &node, &when), 1);
    CHECK_EQ_U64(node, 1);
    CHECK_EQ_U64(when, deadline);
    /* Refutation: a counted heartbeat clears the reports and restores the full deadline (the 16 s
     * gap is above the exponential model's 2 s max interval, so the mean stays 1 s). */
    CHECK_OK(phifd_heartbeat(m, 1, 1, SEC(20)));
    CHECK_EQ_U64(get_info(m, 1, SEC(20)).confirmations, 0);
    CHECK_EQ_U64(fail_after(m, 1, SEC(20)), BASE_FAIL_AFTER);
    /* A duplicate versioned heartbeat does not refute; a newer version does. */
    CHECK_OK(phifd_node_report_suspect(m, 1, 100));
    bool counted = true;
    CHECK_OK(phifd_heartbeat_version(m, 1, 1, 0, SEC(20) + 1, &counted));
    CHECK(!counted);
    CHECK_EQ_U64(get_info(m, 1, SEC(20)).confirmations, 1);
    uint64_t v = get_info(m, 1, SEC(20)).version;
    CHECK_OK(phifd_heartbeat_version(m, 1, 1, v + 1, SEC(21), &counted));
    CHECK(counted);
    CHECK_EQ_U64(get_info(m, 1, SEC(21)).confirmations, 0);
    phifd_monitor_free(m);

    /* k = 1, r = 0.25: one reporter is all of them: factor max(0.25, 1 - 0.75 ln2/ln2) = 0.25,
     * ceil(18,420,680,744 / 4) = 4,605,170,186. */
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;
    CHECK_OK(phifd_config_set_confirmations_expected(cfg, 1));
    CHECK_OK(phifd_config_set_confirmation_min_ratio(cfg, 0.25));
    m = exponential_with_node1(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    CHECK_EQ_U64(lifeguard(BASE_FAIL_AFTER, 1, 1, 0.25), UINT64_C(4605170186));
    CHECK_OK(phifd_node_report_suspect(m, 1, 50));
    CHECK_OK(phifd_node_report_suspect(m, 1, 51));
    info = get_info(m, 1, SEC(4));
    CHECK_EQ_U64(info.confirmations, 1);
    CHECK_EQ_U64(info.fail_after_ns, UINT64_C(4605170186));
    phifd_monitor_free(m);
}

static void test_local_health(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    if (cfg == NULL) return;
    phifd_monitor *m = exponential_with_node1(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    uint32_t h = 99;
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 0);
    CHECK_OK(phifd_monitor_set_local_health(m, 3));
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 3);
    CHECK_EQ_U64(get_stats(m).local_health, 3);
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), UINT64_C(73682722976)); /* (1 + 3) x base */
    CHECK_OK(phifd_monitor_set_local_health(m, 7));
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), UINT64_C(147365445952)); /* 8 x base */
    CHECK_OK(phifd_monitor_set_local_health(m, 0));
    CHECK_EQ_U64(fail_after(m, 1, SEC(4)), BASE_FAIL_AFTER);

    /* The monitor's own score: 20 polls 100 ms apart, one 300 ms late, then a timely one. */
    uint64_t t = SEC(5);
    for (int i = 0; i < 20; i++) {
        poll_failures(m, t, NULL, NULL);
        t += MS(100);
    }
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 0);
    t += MS(200);
    poll_failures(m, t, NULL, NULL);
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 1);
    CHECK_EQ_U64(fail_after(m, 1, t), UINT64_C(36841361488)); /* 2 x base */
    poll_failures(m, t + MS(100), NULL, NULL);
    CHECK_OK(phifd_monitor_get_local_health(m, &h));
    CHECK_EQ_U64(h, 0);
    phifd_monitor_stats st = get_stats(m);
    CHECK_EQ_U64(st.pauses_detected, 0);
    CHECK_EQ_U64(st.grace_until_ns, 0);
    phifd_monitor_free(m);
}

static void test_burst_fraction(void) {
    /* Default 0.25: ten arrivals 1 ms apart after steady 100 ms ones are not learned. With 0,
     * they are: the mean drops. */
    for (int learn_all = 0; learn_all <= 1; learn_all++) {
        phifd_config *cfg = NULL;
        CHECK_OK(phifd_config_new(&cfg));
        if (cfg == NULL) return;
        CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL));
        CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, MS(100)));
        if (learn_all) CHECK_OK(phifd_config_set_burst_fraction(cfg, 0.0));
        phifd_monitor *m = new_monitor(cfg);
        phifd_config_free(cfg);
        if (m == NULL) return;
        uint64_t t = SEC(1);
        for (int i = 0; i < 20; i++) {
            CHECK_OK(phifd_heartbeat(m, 1, 1, t));
            t += MS(100);
        }
        CHECK_OK(phifd_heartbeat(m, 1, 1, t));
        phifd_node_info before = get_info(m, 1, t);
        CHECK_NEAR(before.mean_ns, 1e8, 1.0);
        for (int i = 0; i < 10; i++) {
            t += MS(1);
            CHECK_OK(phifd_heartbeat(m, 1, 1, t));
        }
        phifd_node_info after = get_info(m, 1, t);
        if (learn_all) {
            CHECK_EQ_U64(after.samples, before.samples + 10);
            CHECK(after.mean_ns < 0.9 * before.mean_ns);
        } else {
            CHECK_EQ_U64(after.samples, before.samples);
            CHECK(after.mean_ns == before.mean_ns);
        }
        phifd_monitor_free(m);
    }
}

int main(void) {
    test_null_arguments();
    test_freed_handles();
    test_setter_ranges();
    test_report_suspect_errors();
    test_struct_versions();
    test_monitor_pause();
    test_fifty_relays();
    test_confirmations();
    test_local_health();
    test_burst_fraction();
    return check_finish("test_gossip");
}
