/*
 * test_numbers.c — phi values checked against independent computations: Akka's published spec
 * values and its logistic formula, the exact normal tail from libm's erfc, the exponential model
 * by hand, the inverse query against a bisection over phifd_phi, and time going backwards.
 * Exits non-zero if any check fails.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

/* A monitor with `estimator`, window 2, min sd 1 ms, threshold 16, heartbeat interval 1 s. */
static phifd_monitor *window2_monitor(phifd_estimator estimator) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, estimator));
    CHECK_OK(phifd_config_set_window(cfg, 2));
    CHECK_OK(phifd_config_set_min_std_deviation_ns(cfg, MS(1)));
    CHECK_OK(phifd_config_set_threshold(cfg, 16.0));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    return m;
}

/* Heartbeats at 0, 900 ms and 2000 ms: the window (2) holds 900 ms and 1100 ms, so the mean is
 * 1000 ms and the population sd 100 ms. The seed history (750 ms, 1250 ms) is pushed out. */
static void feed_akka_spec_history(phifd_monitor *m, uint64_t node) {
    CHECK_OK(phifd_heartbeat(m, node, 0, 0));
    CHECK_OK(phifd_heartbeat(m, node, 0, MS(900)));
    CHECK_OK(phifd_heartbeat(m, node, 0, MS(2000)));
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, node, MS(2000), &info));
    CHECK_EQ_U64(info.samples, 2);
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3);
    CHECK_NEAR(info.sd_ns, 1e8, 1e-3);
    CHECK_EQ_U64(info.last_arrival_ns, MS(2000));
}

static double phi_at(const phifd_monitor *m, uint64_t node, uint64_t t) {
    double phi = NAN;
    CHECK_OK(phifd_phi(m, node, t, &phi));
    return phi;
}

/* Akka's logistic formula exactly as Akka writes it (finite for moderate y). */
static double akka_reference(double y) {
    double e = exp(-y * (1.5976 + 0.070566 * y * y));
    return -log10(e / (1.0 + e));
}

/* The exact normal tail from libm: -log10(Q(y)), Q(y) = erfc(y / sqrt 2) / 2. */
static double normal_reference(double y) { return -log10(0.5 * erfc(y / sqrt(2.0))); }

static void test_akka_spec_values(void) {
    phifd_monitor *m = window2_monitor(PHIFD_ESTIMATOR_AKKA);
    if (m == NULL) return;
    feed_akka_spec_history(m, 1);
    const uint64_t last = MS(2000);
    /* Akka's PhiAccrualFailureDetectorSpec: mean 1000 ms, sd 100 ms. */
    CHECK_NEAR(phi_at(m, 1, last + MS(1200)), 1.6, 0.1);
    CHECK_NEAR(phi_at(m, 1, last + MS(1400)), 4.7, 0.1);
    CHECK_NEAR(phi_at(m, 1, last + MS(1600)), 10.8, 0.1);
    CHECK_NEAR(phi_at(m, 1, last + MS(1700)), 15.3, 0.1);
    /* And the formula itself, across the range where Akka's own expression is finite. */
    for (int k = -40; k <= 100; k++) {
        double y = k / 10.0; /* elapsed = 1000 ms + y * 100 ms, exactly k * 10 ms */
        uint64_t t = (uint64_t)((int64_t)last + MS(1000) + (int64_t)k * (int64_t)MS(10));
        CHECK_REL(phi_at(m, 1, t), akka_reference(y), 1e-9);
    }
    phifd_monitor_free(m);
}

static void test_normal_against_erfc(void) {
    phifd_monitor *m = window2_monitor(PHIFD_ESTIMATOR_NORMAL);
    if (m == NULL) return;
    feed_akka_spec_history(m, 1);
    const uint64_t last = MS(2000);
    for (int k = 0; k <= 140; k++) {
        double y = k / 20.0; /* 0 ..= 7 in steps of 0.05: elapsed 1000 ms + k * 5 ms */
        uint64_t t = last + MS(1000) + (uint64_t)k * MS(5);
        CHECK_REL(phi_at(m, 1, t), normal_reference(y), 1e-12);
    }
    /* Published comparison (mean 1000 ms, sd 100 ms): 1600 ms -> 9.01, 1700 ms -> 11.89. */
    CHECK_NEAR(phi_at(m, 1, last + MS(1600)), 9.01, 0.005);
    CHECK_NEAR(phi_at(m, 1, last + MS(1700)), 11.89, 0.005);
    /* Far out, where the naive formula saturates to +inf (y ~ 38 and beyond): still finite,
     * and growing like y^2 / (2 ln 10). */
    double prev = 0.0;
    for (int y = 8; y <= 4000; y *= 2) {
        double phi = phi_at(m, 1, last + MS(1000) + (uint64_t)y * MS(100));
        CHECK(isfinite(phi));
        CHECK(phi > prev);
        double lead = (double)y * y / 2.0 / log(10.0);
        CHECK(phi > lead && phi < lead * 1.1 + 5.0);
        prev = phi;
    }
    phifd_monitor_free(m);
}

static void test_exponential_by_hand(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_window(cfg, 4));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    const double ln10 = log(10.0);
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;

    /* Seed: one interval of 1 s. Arrivals at 0, 700 ms, 1600 ms: window {1000, 700, 900} ms. */
    CHECK_OK(phifd_heartbeat(m, 3, 0, 0));
    CHECK_REL(phi_at(m, 3, MS(500)), 0.5e9 / 1e9 / ln10, 1e-12);
    CHECK_OK(phifd_heartbeat(m, 3, 0, MS(700)));
    CHECK_OK(phifd_heartbeat(m, 3, 0, MS(1600)));
    double mean = (1000.0 + 700.0 + 900.0) / 3.0 * 1e6;
    const uint64_t silences[] = {0, 1, MS(1), MS(250), MS(866), SEC(1), SEC(7) + 123, SEC(60)};
    for (size_t i = 0; i < sizeof silences / sizeof silences[0]; i++) {
        double want = (double)silences[i] / mean / ln10;
        double got = phi_at(m, 3, MS(1600) + silences[i]);
        if (silences[i] == 0)
            CHECK(got == 0.0);
        else
            CHECK_REL(got, want, 1e-12);
    }

    /* An interval over the max interval (default 2 x 1 s) is dropped, not clamped. */
    CHECK_OK(phifd_heartbeat(m, 3, 0, MS(4100))); /* 2500 ms */
    CHECK_OK(phifd_node_get_info(m, 3, MS(4100), &info));
    CHECK_EQ_U64(info.samples, 3);
    CHECK_NEAR(info.mean_ns, mean, 1e-3);
    CHECK_REL(phi_at(m, 3, MS(5100)), 1e9 / mean / ln10, 1e-12);
    /* Exactly the max interval is learned. */
    CHECK_OK(phifd_heartbeat(m, 3, 0, MS(6100))); /* 2000 ms */
    CHECK_OK(phifd_node_get_info(m, 3, MS(6100), &info));
    CHECK_EQ_U64(info.samples, 4);
    CHECK_NEAR(info.mean_ns, 1150e6, 1e-3); /* (1000 + 700 + 900 + 2000) / 4 */
    /* The window is full: the next interval evicts the seed. */
    CHECK_OK(phifd_heartbeat(m, 3, 0, MS(7500))); /* 1400 ms */
    CHECK_OK(phifd_node_get_info(m, 3, MS(7500), &info));
    CHECK_EQ_U64(info.samples, 4);
    CHECK_NEAR(info.mean_ns, 1250e6, 1e-3); /* (700 + 900 + 2000 + 1400) / 4 */
    CHECK_REL(phi_at(m, 3, MS(7500) + SEC(3)), 3e9 / 1250e6 / ln10, 1e-12);
    phifd_monitor_free(m);
}

/* The smallest silence (ns after `last`) at which phifd_phi reaches `level`, by bisection. */
static uint64_t bisect_time_until(const phifd_monitor *m, uint64_t node, uint64_t last, double level) {
    if (phi_at(m, node, last) >= level) return 0;
    uint64_t lo = 0, hi = MS(1);
    while (phi_at(m, node, last + hi) < level) {
        lo = hi;
        hi *= 2;
        if (hi > SEC(1000000)) return UINT64_MAX;
    }
    /* phi(lo) < level <= phi(hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (phi_at(m, node, last + mid) >= level)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static void check_inverse(const phifd_monitor *m, uint64_t node, uint64_t last) {
    const double levels[] = {0.1, 0.5, 1.0, 2.0, 3.0, 8.0, 12.5, 15.9, 16.0, 40.0};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        uint64_t got = UINT64_MAX;
        CHECK_OK(phifd_node_time_until_phi(m, node, levels[i], &got));
        uint64_t want = bisect_time_until(m, node, last, levels[i]);
        uint64_t diff = got > want ? got - want : want - got;
        if (diff > 1) {
            fprintf(stderr, "level %g: time_until_phi %" PRIu64 " ns, bisection %" PRIu64 " ns\n", levels[i], got,
                    want);
        }
        CHECK(diff <= 1); /* rounding of the last nanosecond only */
    }
}

static void test_time_until_phi(void) {
    const phifd_estimator estimators[] = {PHIFD_ESTIMATOR_AKKA, PHIFD_ESTIMATOR_NORMAL};
    for (size_t e = 0; e < 2; e++) {
        phifd_monitor *m = window2_monitor(estimators[e]);
        if (m == NULL) return;
        feed_akka_spec_history(m, 1);
        check_inverse(m, 1, MS(2000));
        /* With phi = the threshold it is the FAILED deadline of the node's info. */
        uint64_t t16 = 0;
        CHECK_OK(phifd_node_time_until_phi(m, 1, 16.0, &t16));
        phifd_node_info info;
        memset(&info, 0, sizeof info);
        info.size = sizeof info;
        CHECK_OK(phifd_node_get_info(m, 1, MS(2000), &info));
        CHECK_EQ_U64(info.fail_after_ns, t16);
        phifd_monitor_free(m);
    }
    /* Exponential: the inverse is level * ln10 * mean, by hand too. */
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 2, 0, SEC(10)));
    CHECK_OK(phifd_heartbeat(m, 2, 0, SEC(10) + MS(1500))); /* window {1 s, 1.5 s} */
    check_inverse(m, 2, SEC(10) + MS(1500));
    uint64_t t = 0;
    CHECK_OK(phifd_node_time_until_phi(m, 2, 3.0, &t));
    CHECK_EQ_U64(t, (uint64_t)ceil(3.0 * log(10.0) * 1.25e9));
    phifd_monitor_free(m);
}

static void test_time_going_backwards(void) {
    phifd_monitor *m = window2_monitor(PHIFD_ESTIMATOR_AKKA);
    if (m == NULL) return;
    feed_akka_spec_history(m, 1);
    const uint64_t last = MS(2000);
    const double at_zero = phi_at(m, 1, last);
    /* y = (0 - 1000) / 100 = -10: log10(1 + e^-86.5), about 1e-38 (Akka's own expression
     * rounds it to 0). */
    CHECK(at_zero > 0.0 && at_zero < 1e-30);
    /* A query before the last arrival is zero silence. */
    CHECK(phi_at(m, 1, MS(1000)) == at_zero);
    CHECK(phi_at(m, 1, 0) == at_zero);

    /* A heartbeat from the past is accepted and learns nothing. */
    CHECK_OK(phifd_heartbeat(m, 1, 0, MS(1500)));
    CHECK_OK(phifd_heartbeat(m, 1, 0, 0));
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, MS(1500), &info));
    CHECK_EQ_U64(info.samples, 2);
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3);
    CHECK_NEAR(info.sd_ns, 1e8, 1e-3);
    CHECK_EQ_U64(info.last_arrival_ns, last);
    CHECK_EQ_U64(info.state, PHIFD_STATE_ALIVE);
    CHECK(info.phi == at_zero);
    CHECK_NEAR(phi_at(m, 1, last + MS(1600)), 10.8, 0.1); /* unchanged history */

    /* The next forward heartbeat measures from the real last arrival: 1000 ms. Window {1100,
     * 1000} ms: mean 1050 ms, sd 50 ms. */
    CHECK_OK(phifd_heartbeat(m, 1, 0, MS(3000)));
    CHECK_OK(phifd_node_get_info(m, 1, MS(3000), &info));
    CHECK_NEAR(info.mean_ns, 1050e6, 1e-3);
    CHECK_NEAR(info.sd_ns, 50e6, 1e-3);
    CHECK_REL(phi_at(m, 1, MS(3000) + MS(1150)), akka_reference(2.0), 1e-9);

    /* phi never decreases with time between heartbeats, is never negative or NaN. */
    double prev = -1.0;
    for (uint64_t s = 0; s <= SEC(30); s += MS(37)) {
        double p = phi_at(m, 1, MS(3000) + s);
        CHECK(!isnan(p) && p >= 0.0 && p >= prev);
        prev = p;
    }
    phifd_monitor_free(m);
}

/* The acceptable pause is added to the mean; the sd is floored at min_std_deviation (default:
 * heartbeat interval / 4). Steady 1 s heartbeats with window 2 leave a learned sd of 0. */
static void test_effective_mean_and_sd(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_window(cfg, 2));
    CHECK_OK(phifd_config_set_acceptable_pause_ns(cfg, MS(500)));
    CHECK_OK(phifd_config_set_threshold(cfg, 16.0));
    phifd_monitor *m = new_monitor(cfg);
    CHECK_OK(phifd_config_set_acceptable_pause_ns(cfg, 0));
    CHECK_OK(phifd_config_set_min_std_deviation_ns(cfg, MS(50)));
    phifd_monitor *floor50 = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL || floor50 == NULL) return;
    for (uint64_t t = 0; t <= SEC(3); t += SEC(1)) {
        CHECK_OK(phifd_heartbeat(m, 1, 0, t));
        CHECK_OK(phifd_heartbeat(floor50, 1, 0, t));
    }
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, SEC(3), &info));
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3); /* reported without the pause */
    CHECK(info.sd_ns == 0.0);
    for (int k = -3; k <= 10; k++) {
        /* Pause 500 ms, default floor 250 ms: y = (elapsed - 1500 ms) / 250 ms. */
        uint64_t t = (uint64_t)((int64_t)SEC(3) + (int64_t)MS(1500) + k * (int64_t)MS(250));
        CHECK_REL(phi_at(m, 1, t), akka_reference(k), 1e-9);
        /* No pause, floor 50 ms: y = (elapsed - 1000 ms) / 50 ms. */
        t = (uint64_t)((int64_t)SEC(3) + (int64_t)MS(1000) + k * (int64_t)MS(50));
        CHECK_REL(phi_at(floor50, 1, t), akka_reference(k), 1e-9);
    }
    phifd_monitor_free(m);
    phifd_monitor_free(floor50);
}

int main(void) {
    test_akka_spec_values();
    test_normal_against_erfc();
    test_exponential_by_hand();
    test_time_until_phi();
    test_time_going_backwards();
    test_effective_mean_and_sd();
    return check_finish("test_numbers");
}
