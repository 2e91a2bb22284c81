/*
 * test_qos.c — QoS targets and live retuning through the C API, with values derived by hand.
 * The exponential estimator keeps them simple: phi = silence / mean / ln10, so the FAILED
 * deadline of threshold T on a window of 1 s intervals is ceil(T ln10 1e9) ns, and the model's
 * tail is P(X > d) = exp(-d / mean). A QoS node asking for at most one wrong declaration per
 * T_MR on such a window needs exp(-d/mean) = mean/T_MR: d = mean ln(T_MR/mean), i.e. the
 * threshold log10(T_MR/mean). Exits non-zero if any check fails.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

#define MAX_EVENTS 16

static phifd_event events[MAX_EVENTS];

static size_t poll_at(phifd_monitor *m, uint64_t now) {
    size_t n = 12345;
    CHECK_OK(phifd_monitor_poll(m, now, events, MAX_EVENTS, &n));
    CHECK(n <= MAX_EVENTS);
    return n <= MAX_EVENTS ? n : 0;
}

static uint64_t exp_deadline(double level) { return (uint64_t)ceil(level * log(10.0) * 1e9); }

static phifd_node_info info_of(const phifd_monitor *m, uint64_t node, uint64_t now) {
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, node, now, &info));
    return info;
}

/* Window of 10, exponential, threshold 8 (suspect 4); nodes 1 and 2 heartbeat every second
 * from t = 1 s to t = 20 s, so their windows hold only 1 s intervals. No QoS warm-up: these
 * tests check the derivation from the history; the warm-up has a test of its own. */
static phifd_monitor *steady_monitor(const phifd_qos *qos) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_window(cfg, 10));
    CHECK_OK(phifd_config_set_threshold(cfg, 8.0));
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, 0));
    if (qos) CHECK_OK(phifd_config_set_qos(cfg, qos));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    for (uint64_t t = 1; t <= 20; t++) {
        CHECK_OK(phifd_heartbeat(m, 1, 1, SEC(t)));
        CHECK_OK(phifd_heartbeat(m, 2, 1, SEC(t)));
    }
    (void)poll_at(m, SEC(20));
    return m;
}

static void config_round_trip(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    phifd_qos got = {1, 2, 3};
    bool set = true;
    CHECK_OK(phifd_config_get_qos(cfg, &got, &set));
    CHECK(!set);
    CHECK_EQ_U64(got.max_detection_ns + got.min_mistake_recurrence_ns + got.max_mistake_duration_ns, 0);
    phifd_qos q = {SEC(5), SEC(3600), 0};
    CHECK_OK(phifd_config_set_qos(cfg, &q));
    CHECK_OK(phifd_config_get_qos(cfg, &got, &set));
    CHECK(set);
    CHECK_EQ_U64(got.max_detection_ns, SEC(5));
    CHECK_EQ_U64(got.min_mistake_recurrence_ns, SEC(3600));
    /* A refused value keeps the previous one. */
    phifd_qos bad = {0, SEC(3600), 0};
    reset_last_error();
    CHECK_STATUS(phifd_config_set_qos(cfg, &bad), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "max_detection_ns");
    CHECK_OK(phifd_config_get_qos(cfg, &got, &set));
    CHECK(set && got.max_detection_ns == SEC(5));
    CHECK_OK(phifd_config_set_qos(cfg, NULL));
    CHECK_OK(phifd_config_get_qos(cfg, &got, &set));
    CHECK(!set);
    phifd_config_free(cfg);
}

static void retune_thresholds(void) {
    phifd_monitor *m = steady_monitor(NULL);
    CHECK_EQ_U64(info_of(m, 1, SEC(20)).fail_after_ns, exp_deadline(8.0));
    /* Node 2 keeps thresholds of its own through the monitor-wide change. */
    CHECK_OK(phifd_node_set_thresholds(m, 2, 6.0, 3.0));
    CHECK_OK(phifd_monitor_set_thresholds(m, 4.0, 2.0));
    phifd_node_info i1 = info_of(m, 1, SEC(20)), i2 = info_of(m, 2, SEC(20));
    CHECK_EQ_U64(i1.fail_after_ns, exp_deadline(4.0));
    CHECK_EQ_U64(i1.suspect_after_ns, exp_deadline(2.0));
    CHECK_EQ_U64(i2.fail_after_ns, exp_deadline(6.0));
    CHECK_EQ_U64(i1.samples, 10); /* history kept */
    phifd_qos_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_OK(phifd_node_get_qos_report(m, 1, SEC(20), &r));
    CHECK(r.qos == 0 && r.feasible == 1 && r.established == 1);
    CHECK_NEAR(r.threshold, 4.0, 0.0);
    CHECK_EQ_U64(r.deadline_ns, exp_deadline(4.0));
    CHECK_EQ_U64(r.predicted_detection_ns, exp_deadline(4.0));
    /* Model tail at d = 4 ln10 s: exp(-4 ln10) = 1e-4, so T_MR = 1 s / 1e-4 = 1e4 s. */
    CHECK_REL((double)r.predicted_mistake_recurrence_ns, 1e13, 1e-6);
    /* Silence from t = 20 s: node 1 reaches its new deadline at 20 s + 4 ln10 s = 29.21 s, node 2
     * its own at 20 s + 6 ln10 s = 33.8 s. */
    size_t n = poll_at(m, SEC(32));
    int failed1 = 0, failed2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (events[i].to != PHIFD_STATE_FAILED) continue;
        if (events[i].node == 1) {
            failed1++;
            CHECK_EQ_U64(events[i].time_ns, SEC(20) + exp_deadline(4.0));
        }
        if (events[i].node == 2) failed2++;
    }
    CHECK(failed1 == 1 && failed2 == 0);
    /* Clearing node 2's tuning: the monitor's 4 now applies, and it is past that deadline too. */
    CHECK_OK(phifd_node_clear_tuning(m, 2));
    n = poll_at(m, SEC(33));
    CHECK(n == 1 && events[0].node == 2 && events[0].to == PHIFD_STATE_FAILED);
    CHECK_EQ_U64(events[0].time_ns, SEC(20) + exp_deadline(4.0));
    /* Refused values change nothing. */
    CHECK_STATUS(phifd_monitor_set_thresholds(m, 4.0, 5.0), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_monitor_set_thresholds(m, NAN, 2.0), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_node_set_thresholds(m, 99, 4.0, 2.0), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_EQ_U64(info_of(m, 1, SEC(36)).fail_after_ns, exp_deadline(4.0));
    phifd_monitor_free(m);
}

static void qos_derivation(void) {
    /* T_MR = 1000 s on 1 s intervals: threshold log10(1000) = 3, deadline 3 ln10 s = 6.91 s. */
    phifd_qos q = {SEC(10), SEC(1000), 0};
    phifd_monitor *m = steady_monitor(&q);
    phifd_qos_report r;
    CHECK_OK(phifd_node_get_qos_report(m, 1, SEC(20), &r));
    CHECK(r.qos == 1 && r.feasible == 1);
    CHECK_REL(r.threshold, 3.0, 1e-9);
    CHECK_REL(r.suspect_threshold, 1.5, 1e-9); /* the configured ratio 4/8 */
    CHECK_NEAR((double)r.deadline_ns, 3.0 * log(10.0) * 1e9, 2.0);
    CHECK_EQ_U64(r.best_detection_ns, r.predicted_detection_ns);
    CHECK_REL((double)r.predicted_mistake_recurrence_ns, 1e12, 1e-6);
    CHECK_REL((double)r.predicted_mistake_duration_ns, 1e9, 1e-9); /* exponential: the mean */
    CHECK_EQ_U64(r.samples, 10);
    /* A 5 s bound on T_D is out of reach at this mistake rate: reported, deadline kept. */
    phifd_qos tight = {SEC(5), SEC(1000), 0};
    CHECK_OK(phifd_node_set_qos(m, 2, &tight));
    CHECK_OK(phifd_node_get_qos_report(m, 2, SEC(20), &r));
    CHECK(r.qos == 1 && r.feasible == 0);
    CHECK_NEAR((double)r.best_detection_ns, 3.0 * log(10.0) * 1e9, 2.0);
    /* A bound on T_M below the mean interval is out of reach too. */
    phifd_qos short_tm = {SEC(10), SEC(1000), MS(500)};
    CHECK_OK(phifd_node_set_qos(m, 2, &short_tm));
    CHECK_OK(phifd_node_get_qos_report(m, 2, SEC(20), &r));
    CHECK(r.feasible == 0);
    /* Back to thresholds monitor-wide: node 1 uses 8 again; node 2 keeps its own QoS. */
    CHECK_OK(phifd_monitor_set_qos(m, NULL));
    CHECK_OK(phifd_node_get_qos_report(m, 1, SEC(20), &r));
    CHECK(r.qos == 0);
    CHECK_NEAR(r.threshold, 8.0, 0.0);
    CHECK_OK(phifd_node_get_qos_report(m, 2, SEC(20), &r));
    CHECK(r.qos == 1);
    /* NULL for a node: the monitor's thresholds as its own. */
    CHECK_OK(phifd_node_set_qos(m, 2, NULL));
    CHECK_OK(phifd_node_get_qos_report(m, 2, SEC(20), &r));
    CHECK(r.qos == 0 && r.threshold == 8.0);
    phifd_qos zero = {0, 0, 0};
    CHECK_STATUS(phifd_monitor_set_qos(m, &zero), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_node_get_qos_report(m, 77, 0, &r), PHIFD_ERR_UNKNOWN_NODE);
    phifd_monitor_free(m);
}

static void warmup_setting(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    uint64_t w = 12345;
    CHECK_OK(phifd_config_get_qos_warmup_ns(cfg, &w));
    CHECK_EQ_U64(w, UINT64_MAX); /* the default is reported as PHIFD_QOS_WARMUP_DEFAULT */
    CHECK_EQ_U64(PHIFD_QOS_WARMUP_DEFAULT, UINT64_MAX);
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, 0));
    CHECK_OK(phifd_config_get_qos_warmup_ns(cfg, &w));
    CHECK_EQ_U64(w, 0);
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, SEC(600)));
    CHECK_OK(phifd_config_get_qos_warmup_ns(cfg, &w));
    CHECK_EQ_U64(w, SEC(600));
    /* The largest duration accepted is 10^15 ns; one more is refused, naming the setting, and
     * the previous value is kept. */
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, 1000000000000000ULL));
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, SEC(600)));
    reset_last_error();
    CHECK_STATUS(phifd_config_set_qos_warmup_ns(cfg, 1000000000000001ULL), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "qos_warmup_ns");
    CHECK_OK(phifd_config_get_qos_warmup_ns(cfg, &w));
    CHECK_EQ_U64(w, SEC(600));
    /* PHIFD_QOS_WARMUP_DEFAULT brings the default back. */
    CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, PHIFD_QOS_WARMUP_DEFAULT));
    CHECK_OK(phifd_config_get_qos_warmup_ns(cfg, &w));
    CHECK_EQ_U64(w, PHIFD_QOS_WARMUP_DEFAULT);
    /* Outputs are untouched on failure. */
    w = 777;
    CHECK_STATUS(phifd_config_get_qos_warmup_ns(NULL, &w), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_config_get_qos_warmup_ns(cfg, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_config_set_qos_warmup_ns(NULL, 0), PHIFD_ERR_NULL_ARG);
    CHECK_EQ_U64(w, 777);
    phifd_config_free(cfg);
}

/* Exponential, window 100, max interval 1000 s, no burst rule; node 1 sends 101 heartbeats 1 s
 * apart (100 intervals of 1 s, t = 1 s .. 101 s). `warmup` is passed to the config unless it
 * is PHIFD_QOS_WARMUP_DEFAULT. */
static phifd_monitor *warmup_monitor(uint64_t warmup) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_window(cfg, 100));
    CHECK_OK(phifd_config_set_max_interval_ns(cfg, SEC(1000)));
    CHECK_OK(phifd_config_set_burst_fraction(cfg, 0.0));
    if (warmup != PHIFD_QOS_WARMUP_DEFAULT) CHECK_OK(phifd_config_set_qos_warmup_ns(cfg, warmup));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    for (uint64_t t = 1; t <= 101; t++) CHECK_OK(phifd_heartbeat(m, 1, 1, SEC(t)));
    return m;
}

static void warmup_holds_the_deadline(void) {
    /* Switched to QoS with T_D = 20 s, T_MR = 1000 s: the default warm-up is
     * W = min(T_MR, 1 h) = 1000 s and the window spans 100 s, so watched = 100 s and the deadline
     * is held at T_D (1 - watched / W) = 20 s x 0.9 = 18 s. The history alone supports the
     * exponential model's mu ln(T_MR / mu) = ln(1000) s with mu = 1 s. */
    const double td = 20e9, tmr = 1000e9, mu = 1e9, watched = 100e9;
    const double w = tmr < 3600e9 ? tmr : 3600e9;
    const double held = td * (1.0 - watched / w);
    const double best = mu * log(tmr / mu);
    phifd_qos q = {SEC(20), SEC(1000), 0};
    phifd_monitor *m = warmup_monitor(PHIFD_QOS_WARMUP_DEFAULT);
    CHECK_OK(phifd_node_set_qos(m, 1, &q));
    phifd_qos_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_OK(phifd_node_get_qos_report(m, 1, SEC(101), &r));
    CHECK(r.qos == 1 && r.feasible == 1 && r.established == 0);
    CHECK_NEAR((double)r.deadline_ns, held, 2.0);
    CHECK_NEAR((double)r.deadline_ns, 18e9, 2.0);
    CHECK_NEAR((double)r.best_detection_ns, best, 2.0);
    CHECK_NEAR((double)r.best_detection_ns, 6.9077552790e9, 2.0);
    CHECK(r.best_detection_ns < r.predicted_detection_ns);
    /* The node is judged by the held deadline: not FAILED after 17 s of silence, FAILED after 18 s. */
    CHECK(info_of(m, 1, SEC(101 + 17)).state != PHIFD_STATE_FAILED);
    CHECK(info_of(m, 1, SEC(101 + 18) + 1).state == PHIFD_STATE_FAILED);
    phifd_monitor_free(m);
    /* Warm-up 0: established at once, the deadline is the history's own. */
    m = warmup_monitor(0);
    CHECK_OK(phifd_node_set_qos(m, 1, &q));
    memset(&r, 0xff, sizeof r);
    CHECK_OK(phifd_node_get_qos_report(m, 1, SEC(101), &r));
    CHECK(r.qos == 1 && r.feasible == 1 && r.established == 1);
    CHECK_NEAR((double)r.deadline_ns, best, 2.0);
    CHECK_EQ_U64(r.best_detection_ns, r.predicted_detection_ns);
    phifd_monitor_free(m);
}

int main(void) {
    config_round_trip();
    warmup_setting();
    retune_thresholds();
    qos_derivation();
    warmup_holds_the_deadline();
    return check_finish("test_qos");
}
