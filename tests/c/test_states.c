/*
 * test_states.c — node states and the events reported by phifd_monitor_poll, with deadlines
 * computed by hand. The exponential estimator makes them simple: phi = silence / mean / ln10,
 * so a node is SUSPECT after ceil(S ln10 mean) ns and FAILED after ceil(T ln10 mean) ns of
 * silence (S, T the suspect threshold and threshold). Also generations: restarts and stale
 * heartbeats. Exits non-zero if any check fails.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

#define MAX_EVENTS 16

static phifd_event events[MAX_EVENTS];

/* Polls at `now`, returns the number of events (into `events`). */
static size_t poll_at(phifd_monitor *m, uint64_t now) {
    size_t n = 12345;
    memset(events, 0, sizeof events);
    CHECK_OK(phifd_monitor_poll(m, now, events, MAX_EVENTS, &n));
    CHECK(n <= MAX_EVENTS);
    return n <= MAX_EVENTS ? n : 0;
}

/* Checks one event's fields. */
#define CHECK_EVENT(e, node_, gen_, kind_, from_, to_, time_)                                                          \
    do {                                                                                                               \
        CHECK_EQ_U64((e).node, (node_));                                                                               \
        CHECK_EQ_U64((e).generation, (gen_));                                                                          \
        CHECK_EQ_U64((e).kind, (kind_));                                                                               \
        CHECK_EQ_U64((e).from, (from_));                                                                               \
        CHECK_EQ_U64((e).to, (to_));                                                                                   \
        CHECK_EQ_U64((e).time_ns, (time_));                                                                            \
        CHECK_EQ_U64((e).reserved, 0);                                                                                 \
    } while (0)

static phifd_node_info info_at(const phifd_monitor *m, uint64_t node, uint64_t now) {
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, node, now, &info));
    return info;
}

/* ceil(level * ln10 * mean): the silence at which the exponential phi reaches `level`. */
static uint64_t exp_deadline(double level, double mean_ns) { return (uint64_t)ceil(level * log(10.0) * mean_ns); }

static phifd_monitor *exponential_monitor(uint32_t recovery, uint64_t first_timeout_ns) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_window(cfg, 10));
    CHECK_OK(phifd_config_set_threshold(cfg, 8.0)); /* suspect threshold: default 8 / 2 = 4 */
    CHECK_OK(phifd_config_set_recovery_heartbeats(cfg, recovery));
    if (first_timeout_ns) CHECK_OK(phifd_config_set_first_heartbeat_timeout_ns(cfg, first_timeout_ns));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    return m;
}

static void test_alive_suspect_failed_recovery_restart(void) {
    phifd_monitor *m = exponential_monitor(2, 0);
    if (m == NULL) return;
    const uint64_t t0 = SEC(100);
    CHECK_OK(phifd_heartbeat(m, 7, 1, t0));
    CHECK_OK(phifd_heartbeat(m, 7, 1, t0 + SEC(1)));
    CHECK_OK(phifd_heartbeat(m, 7, 1, t0 + MS(1500)));
    const uint64_t last = t0 + MS(1500);
    /* Window: seed 1 s, 1 s, 0.5 s. */
    const double mean = 2500e6 / 3.0;
    const uint64_t S = exp_deadline(4.0, mean), F = exp_deadline(8.0, mean);
    CHECK(S > 0 && S < F);

    phifd_node_info info = info_at(m, 7, last);
    CHECK_EQ_U64(info.samples, 3);
    CHECK_NEAR(info.mean_ns, mean, 1e-3);
    CHECK_EQ_U64(info.suspect_after_ns, S);
    CHECK_EQ_U64(info.fail_after_ns, F);
    CHECK_EQ_U64(info.state, PHIFD_STATE_ALIVE);
    /* The info's state is the one silence implies, without producing events. */
    CHECK_EQ_U64(info_at(m, 7, last + S - 1).state, PHIFD_STATE_ALIVE);
    CHECK_EQ_U64(info_at(m, 7, last + S).state, PHIFD_STATE_SUSPECT);
    CHECK_EQ_U64(info_at(m, 7, last + F - 1).state, PHIFD_STATE_SUSPECT);
    CHECK_EQ_U64(info_at(m, 7, last + F).state, PHIFD_STATE_FAILED);

    /* Only the first heartbeat's event so far. */
    size_t n = poll_at(m, last + S - 1);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 7, 1, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_ALIVE, t0);
    CHECK(events[0].phi == 0.0);

    /* SUSPECT exactly at the deadline, stamped with it. */
    n = poll_at(m, last + S);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 7, 1, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_ALIVE, PHIFD_STATE_SUSPECT, last + S);
    CHECK_NEAR(events[0].phi, 4.0, 1e-9);

    /* A late poll: FAILED stamped with the instant the silence reached the threshold. */
    CHECK_EQ_U64(poll_at(m, last + F - 1), 0);
    n = poll_at(m, last + F + SEC(5));
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 7, 1, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_SUSPECT, PHIFD_STATE_FAILED, last + F);
    CHECK_NEAR(events[0].phi, 8.0, 1e-9);
    CHECK_EQ_U64(poll_at(m, last + F + SEC(500)), 0); /* FAILED stays, no repeats */

    /* Recovery takes two heartbeats: FAILED -> SUSPECT -> ALIVE. The long gap is over the max
     * interval (2 s) and is not learned; the next 1 s interval is. */
    const uint64_t r1 = last + F + SEC(10);
    CHECK_OK(phifd_heartbeat(m, 7, 1, r1));
    info = info_at(m, 7, r1);
    CHECK_EQ_U64(info.state, PHIFD_STATE_SUSPECT);
    CHECK_EQ_U64(info.samples, 3);
    CHECK_OK(phifd_heartbeat(m, 7, 1, r1 + SEC(1)));
    info = info_at(m, 7, r1 + SEC(1));
    CHECK_EQ_U64(info.state, PHIFD_STATE_ALIVE);
    CHECK_EQ_U64(info.samples, 4);
    CHECK_NEAR(info.mean_ns, 3500e6 / 4.0, 1e-3);
    n = poll_at(m, r1 + SEC(1));
    CHECK_EQ_U64(n, 2);
    CHECK_EVENT(events[0], 7, 1, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_FAILED, PHIFD_STATE_SUSPECT, r1);
    CHECK_EVENT(events[1], 7, 1, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_SUSPECT, PHIFD_STATE_ALIVE, r1 + SEC(1));

    /* A higher generation: RESTARTED, history back to the seed (one 1 s interval). */
    const uint64_t r2 = r1 + MS(1500);
    CHECK_OK(phifd_heartbeat(m, 7, 2, r2));
    n = poll_at(m, r2);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 7, 2, PHIFD_EVENT_RESTARTED, PHIFD_STATE_ALIVE, PHIFD_STATE_ALIVE, r2);
    info = info_at(m, 7, r2);
    CHECK_EQ_U64(info.generation, 2);
    CHECK_EQ_U64(info.samples, 1);
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3);
    CHECK_EQ_U64(info.last_arrival_ns, r2);
    CHECK_EQ_U64(info.fail_after_ns, exp_deadline(8.0, 1e9));

    /* A lower generation is stale: rejected, nothing changes, no event, counted. */
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat(m, 7, 1, r2 + SEC(1)), PHIFD_ERR_STALE_GENERATION);
    CHECK_CONTAINS(phifd_last_error_message(), "generation");
    CHECK_CONTAINS(phifd_last_error_message(), "2"); /* names the current generation */
    info = info_at(m, 7, r2 + SEC(1));
    CHECK_EQ_U64(info.generation, 2);
    CHECK_EQ_U64(info.samples, 1);
    CHECK_EQ_U64(info.last_arrival_ns, r2);
    CHECK_NEAR(info.mean_ns, 1e9, 1e-3);
    CHECK_EQ_U64(poll_at(m, r2 + SEC(1)), 0);
    phifd_monitor_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    CHECK_OK(phifd_monitor_get_stats(m, &stats));
    CHECK_EQ_U64(stats.stale_heartbeats, 1);
    CHECK_EQ_U64(stats.pending_events, 0);
    CHECK_EQ_U64(stats.nodes, 1);
    /* Same generation again is fine. */
    CHECK_OK(phifd_heartbeat(m, 7, 2, r2 + SEC(1)));
    CHECK_EQ_U64(info_at(m, 7, r2 + SEC(1)).samples, 2);
    phifd_monitor_free(m);
}

static void test_catch_up_on_heartbeat(void) {
    /* No poll in between: the next heartbeat reports what the silence did first, with the
     * instants it happened, then its own transition. */
    phifd_monitor *m = exponential_monitor(2, 0);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 9, 0, SEC(1)));
    CHECK_OK(phifd_heartbeat(m, 9, 0, SEC(2))); /* window {1 s, 1 s} */
    const uint64_t S = exp_deadline(4.0, 1e9), F = exp_deadline(8.0, 1e9);
    const uint64_t back = SEC(2) + F + SEC(1);
    CHECK_OK(phifd_heartbeat(m, 9, 0, back));
    size_t n = poll_at(m, back);
    CHECK_EQ_U64(n, 4);
    CHECK_EVENT(events[0], 9, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_ALIVE, SEC(1));
    CHECK_EVENT(events[1], 9, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_ALIVE, PHIFD_STATE_SUSPECT, SEC(2) + S);
    CHECK_EVENT(events[2], 9, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_SUSPECT, PHIFD_STATE_FAILED, SEC(2) + F);
    CHECK_EVENT(events[3], 9, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_FAILED, PHIFD_STATE_SUSPECT, back);
    phifd_monitor_free(m);
}

static void test_recovery_one_heartbeat(void) {
    phifd_monitor *m = exponential_monitor(1, 0);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 4, 0, SEC(1)));
    const uint64_t S = exp_deadline(4.0, 1e9), F = exp_deadline(8.0, 1e9);
    CHECK_EQ_U64(poll_at(m, SEC(1) + S), 2); /* UNKNOWN->ALIVE, ALIVE->SUSPECT */
    CHECK_EVENT(events[1], 4, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_ALIVE, PHIFD_STATE_SUSPECT, SEC(1) + S);
    CHECK_EQ_U64(poll_at(m, SEC(1) + S), 0);
    CHECK_OK(phifd_heartbeat(m, 4, 0, SEC(1) + 2 * F));
    CHECK_EQ_U64(poll_at(m, SEC(1) + 2 * F), 2); /* SUSPECT->FAILED (catch-up), FAILED->ALIVE */
    CHECK_EVENT(events[0], 4, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_SUSPECT, PHIFD_STATE_FAILED, SEC(1) + F);
    CHECK_EVENT(events[1], 4, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_FAILED, PHIFD_STATE_ALIVE, SEC(1) + 2 * F);
    phifd_monitor_free(m);
}

static void test_first_heartbeat_timeout(void) {
    /* Default: the time the seed history (one 1 s interval) takes to reach the threshold. */
    phifd_monitor *m = exponential_monitor(2, 0);
    if (m == NULL) return;
    const uint64_t FH = exp_deadline(8.0, 1e9);
    const uint64_t a = SEC(50);
    CHECK_OK(phifd_node_add(m, 8, 3, a));
    phifd_node_info info = info_at(m, 8, a);
    CHECK_EQ_U64(info.state, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(info.generation, 3);
    CHECK_EQ_U64(info.has_arrival, 0);
    CHECK_EQ_U64(info.silence_origin_ns, a);
    CHECK_EQ_U64(info.fail_after_ns, FH);
    CHECK_EQ_U64(info.suspect_after_ns, FH); /* UNKNOWN skips SUSPECT */
    CHECK_EQ_U64(info_at(m, 8, a + FH - 1).state, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(info_at(m, 8, a + FH).state, PHIFD_STATE_FAILED);
    /* phi before the first heartbeat: the seed history since registration. */
    double phi = -1;
    CHECK_OK(phifd_phi(m, 8, a + SEC(3), &phi));
    CHECK_REL(phi, 3.0 / log(10.0), 1e-12);

    CHECK_EQ_U64(poll_at(m, a + FH - 1), 0); /* no event: registering is not a transition */
    size_t n = poll_at(m, a + FH + SEC(7));
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 8, 3, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_FAILED, a + FH);
    CHECK_NEAR(events[0].phi, 8.0, 1e-9);
    CHECK_EQ_U64(poll_at(m, a + FH + SEC(60)), 0);

    /* The first heartbeat brings it back (not FAILED any more). */
    CHECK_OK(phifd_heartbeat(m, 8, 3, a + FH + SEC(61)));
    n = poll_at(m, a + FH + SEC(61));
    CHECK_EQ_U64(n, 1);
    CHECK_EQ_U64(events[0].from, PHIFD_STATE_FAILED);
    CHECK(events[0].to == PHIFD_STATE_ALIVE || events[0].to == PHIFD_STATE_SUSPECT);
    CHECK_EQ_U64(events[0].time_ns, a + FH + SEC(61));
    info = info_at(m, 8, a + FH + SEC(61));
    CHECK_EQ_U64(info.has_arrival, 1);
    CHECK_EQ_U64(info.last_arrival_ns, a + FH + SEC(61));
    phifd_monitor_free(m);

    /* An explicit timeout, with the Akka estimator; a heartbeat in time gives UNKNOWN->ALIVE. */
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_first_heartbeat_timeout_ns(cfg, SEC(3)));
    m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    CHECK_OK(phifd_node_add(m, 1, 0, 1000));
    CHECK_OK(phifd_node_add(m, 2, 0, 1000));
    CHECK_OK(phifd_heartbeat(m, 2, 0, SEC(2)));
    CHECK_EQ_U64(info_at(m, 1, 1000).fail_after_ns, SEC(3));
    n = poll_at(m, 1000 + SEC(3) - 1);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 2, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_ALIVE, SEC(2));
    const uint64_t t = 1000 + SEC(3); /* node 2 is 1 s silent then: still ALIVE */
    n = poll_at(m, t);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 1, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_FAILED, t);
    /* A registered node's first heartbeat may carry a higher generation than the registration
     * guessed: it is adopted as the first incarnation (a state change, not a restart). */
    CHECK_OK(phifd_heartbeat(m, 1, 5, t + 1));
    n = poll_at(m, t + 1);
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 1, 5, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_FAILED, PHIFD_STATE_ALIVE, t + 1);
    CHECK_EQ_U64(info_at(m, 1, t + 1).generation, 5);
    /* A stale heartbeat for a registered node that never heartbeated changes nothing. */
    CHECK_OK(phifd_node_add(m, 3, 10, t + 1));
    CHECK_STATUS(phifd_heartbeat(m, 3, 9, t + 2), PHIFD_ERR_STALE_GENERATION);
    phifd_node_info i3 = info_at(m, 3, t + 2);
    CHECK_EQ_U64(i3.generation, 10);
    CHECK_EQ_U64(i3.has_arrival, 0);
    CHECK_EQ_U64(i3.state, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(i3.samples, 2);
    CHECK_EQ_U64(i3.silence_origin_ns, t + 1);
    CHECK_EQ_U64(poll_at(m, t + 2), 0);
    phifd_monitor_free(m);
}

static void test_removed_node_events_stay_queued(void) {
    phifd_monitor *m = exponential_monitor(2, 0);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 20, 0, SEC(1)));
    CHECK_OK(phifd_node_remove(m, 20));
    size_t n = poll_at(m, SEC(100));
    CHECK_EQ_U64(n, 1);
    CHECK_EVENT(events[0], 20, 0, PHIFD_EVENT_STATE_CHANGED, PHIFD_STATE_UNKNOWN, PHIFD_STATE_ALIVE, SEC(1));
    phifd_monitor_free(m);
}

int main(void) {
    test_alive_suspect_failed_recovery_restart();
    test_catch_up_on_heartbeat();
    test_recovery_one_heartbeat();
    test_first_heartbeat_timeout();
    test_removed_node_events_stay_queued();
    return check_finish("test_states");
}
