/*
 * phifd demo: five simulated peers heartbeating every 100 ms, replayed with explicit timestamps
 * (no sleeping: the whole minute of simulated time runs instantly and the output is deterministic).
 *
 *   node 1  steady all along
 *   node 2  crashes at t = 10 s                         -> SUSPECT, then FAILED
 *   node 3  pauses (GC) from t = 15 s to t = 16.2 s     -> suspected, recovers after two heartbeats
 *   node 4  restarts at t = 25 s with generation 2      -> RESTARTED, history starts afresh
 *   node 5  old leader, generation 7; the cluster moved to generation 8 at t = 30 s (node 5
 *           was replaced by an incarnation with generation 8); at t = 35 s the old process
 *           wakes and sends generation 7 -> PHIFD_ERR_STALE_GENERATION: answer it with 8
 *   node 6  was expected (registered) but never sends a heartbeat -> FAILED after the timeout
 *
 * Build and run: make demo
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "phifd.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static const char *state_name(phifd_state s) {
    switch (s) {
    case PHIFD_STATE_UNKNOWN:
        return "UNKNOWN";
    case PHIFD_STATE_ALIVE:
        return "ALIVE";
    case PHIFD_STATE_SUSPECT:
        return "SUSPECT";
    case PHIFD_STATE_FAILED:
        return "FAILED";
    default:
        return "?";
    }
}

static void check(phifd_status st, const char *what) {
    if (st != PHIFD_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, phifd_status_name(st), phifd_last_error_message());
        exit(1);
    }
}

static void print_events(phifd_monitor *m, uint64_t now) {
    phifd_event ev[32];
    size_t n = 0;
    do {
        check(phifd_monitor_poll(m, now, ev, 32, &n), "phifd_monitor_poll");
        for (size_t i = 0; i < n; i++) {
            printf("  t=%7.3fs  node %" PRIu64 "  %-8s -> %-8s phi=%6.2f  gen %" PRIu64 "%s\n",
                   (double)ev[i].time_ns / SEC, ev[i].node, state_name(ev[i].from), state_name(ev[i].to), ev[i].phi,
                   ev[i].generation, ev[i].kind == PHIFD_EVENT_RESTARTED ? "  (RESTARTED)" : "");
        }
    } while (n == 32);
}

static void print_table(phifd_monitor *m, uint64_t now) {
    printf("  ---- t=%.1fs ----------------------------------------------------------\n", (double)now / SEC);
    printf("  node  state     phi     gen  mean(ms)  sd(ms)  declared dead after(ms)\n");
    for (uint64_t node = 1; node <= 6; node++) {
        phifd_node_info info = {0};
        info.size = sizeof info;
        if (phifd_node_get_info(m, node, now, &info) != PHIFD_OK) continue;
        printf("  %4" PRIu64 "  %-8s %6.2f  %4" PRIu64 "  %8.1f  %6.1f  %10.1f\n", node, state_name(info.state),
               info.phi, info.generation, info.mean_ns / MS, info.sd_ns / MS, (double)info.fail_after_ns / MS);
    }
}

int main(void) {
    phifd_config *cfg = NULL;
    check(phifd_config_new(&cfg), "phifd_config_new");
    check(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_NORMAL), "set_estimator");
    check(phifd_config_set_heartbeat_interval_ns(cfg, 100 * MS), "set_heartbeat_interval_ns");
    check(phifd_config_set_min_std_deviation_ns(cfg, 20 * MS), "set_min_std_deviation_ns");
    check(phifd_config_set_acceptable_pause_ns(cfg, 200 * MS), "set_acceptable_pause_ns");
    check(phifd_config_set_threshold(cfg, 8.0), "set_threshold");
    check(phifd_config_set_suspect_threshold(cfg, 3.0), "set_suspect_threshold");
    check(phifd_config_set_first_heartbeat_timeout_ns(cfg, 5 * SEC), "set_first_heartbeat_timeout_ns");
    phifd_monitor *m = NULL;
    check(phifd_monitor_new(cfg, &m), "phifd_monitor_new");
    phifd_config_free(cfg);

    printf("phifd %s demo: 6 peers, 100 ms heartbeats, exact normal estimator, threshold 8\n\n", phifd_version());
    const uint64_t start = 1 * SEC;
    check(phifd_node_add(m, 6, 1, start), "phifd_node_add");
    uint64_t node5_gen = 7;
    unsigned seed = 12345;
    for (uint64_t t = start; t <= 40 * SEC; t += 100 * MS) {
        for (uint64_t node = 1; node <= 5; node++) {
            seed = seed * 1103515245u + 12345u;
            uint64_t jitter = (seed >> 16) % (8 * MS); /* 0-8 ms of network jitter */
            uint64_t at = t + jitter;
            if (node == 2 && t >= 10 * SEC) continue;                   /* crashed */
            if (node == 3 && t >= 15 * SEC && t < 16200 * MS) continue; /* paused */
            uint64_t gen = 1;
            if (node == 4 && t >= 25 * SEC) gen = 2; /* restarted */
            if (node == 5) gen = node5_gen;
            if (node == 5 && t == 30 * SEC) {
                node5_gen = 8;
                gen = 8;
            } /* new incarnation took over */
            check(phifd_heartbeat(m, node, gen, at), "phifd_heartbeat");
        }
        if (t == 35 * SEC) {
            phifd_status st = phifd_heartbeat(m, 5, 7, t + 50 * MS); /* the old process wakes up */
            phifd_node_info info = {0};
            info.size = sizeof info;
            check(phifd_node_get_info(m, 5, t, &info), "phifd_node_get_info");
            printf("  t=%7.3fs  node 5 (old process) sent generation 7: %s -> reply \"current generation is %" PRIu64
                   "\" so it steps down\n",
                   (double)(t + 50 * MS) / SEC, phifd_status_name(st), info.generation);
        }
        print_events(m, t + 50 * MS);
        if (t % (10 * SEC) == 0) print_table(m, t + 50 * MS);
    }
    double phi = 0;
    uint64_t dead_after = 0;
    check(phifd_phi(m, 2, 40 * SEC, &phi), "phifd_phi");
    check(phifd_node_time_until_phi(m, 1, 8.0, &dead_after), "phifd_node_time_until_phi");
    printf("\nnode 2 has been silent for 30 s: phi = %.1f (still finite, still rising)\n", phi);
    printf("node 1 would be declared dead %.0f ms after its last heartbeat\n", (double)dead_after / MS);
    phifd_monitor_free(m);
    return 0;
}
