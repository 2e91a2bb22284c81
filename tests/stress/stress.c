/*
 * stress.c — a bounded-time stress run of the phifd C ABI (`make test-stress`).
 *
 * One monitor is shared by many threads for STRESS_SECONDS (default 20) of real time:
 *   - 3 heartbeat threads, each owning 200 stable nodes: heartbeats with the real clock, now and
 *     then a new generation (a restart) followed by a stale heartbeat with the old one;
 *   - 1 churn thread on 64 more nodes: removes, re-registers (phifd_node_add) and heartbeats them,
 *     keeping its own exact record of which are present;
 *   - 1 poller draining the event queue;
 *   - 2 readers: phifd_phi, phifd_node_get_info, phifd_phi_batch, phifd_monitor_snapshot,
 *     phifd_monitor_node_count and phifd_monitor_get_stats on random nodes;
 *   - 1 thread creating and freeing whole monitors (each gets a few heartbeats and a query).
 * Invariants checked while racing: every status is one the header documents for the call (and
 * exactly the expected one where the caller knows it: OK for its own nodes, STALE for an older
 * generation); phi finite and non-negative everywhere; states and event kinds from the documented
 * sets; node counts between the stable set and stable + churn; snapshots sorted. Afterwards:
 * node count = snapshot total = stats.nodes = 600 + the churn thread's own count, and every
 * restart produced exactly one RESTARTED event (unless events were dropped, which is reported).
 *
 * Memory: resident set size is sampled every second. After a 3 s warm-up (allocations reach
 * their working size) it may grow by at most STRESS_RSS_BOUND_KB (default 8192 KiB = 8 MiB) in
 * the rest of the run. The create/free thread frees on the order of 10^5 monitors a second; memory
 * kept per freed handle of even 50 bytes would exceed the bound within a few seconds at that rate,
 * and the program prints the growth per freed monitor and whether this run could have detected
 * that (it says so when fewer monitors were freed than the bound needs).
 *
 * Exits 0 if every check held, 1 otherwise; prints one summary line with the counts.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "phifd.h"

#define HEARTBEATERS 3
#define STABLE_PER_THREAD 200
#define STABLE_NODES (HEARTBEATERS * STABLE_PER_THREAD)
#define CHURN_NODES 64
#define CHURN_BASE 100000u
#define READERS 2
#define WARMUP_SECONDS 3
/* A leak of this many bytes per freed monitor must be caught by the run. */
#define LEAK_TO_CATCH_BYTES 50

static phifd_monitor *mon;
static atomic_bool stop;
static atomic_ulong failures;
static atomic_ulong ops;
static atomic_ulong monitors_freed;
static atomic_ulong restarts_made; /* new generations sent by the heartbeaters */
static atomic_ulong restarts_seen; /* RESTARTED events polled */
static atomic_ulong events_seen;
static atomic_int churn_present; /* the churn thread's own count of its present nodes */

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        if (atomic_fetch_add(&failures, 1) < 20) {                                                                     \
            flockfile(stderr);                                                                                         \
            fprintf(stderr, "stress: %s:%d: ", __FILE__, __LINE__);                                                    \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fprintf(stderr, " (last error: %s)\n", phifd_last_error_message());                                        \
            funlockfile(stderr);                                                                                       \
        }                                                                                                              \
    } while (0)

#define EXPECT_STATUS(call, want)                                                                                      \
    do {                                                                                                               \
        phifd_status s_ = (call);                                                                                      \
        if (s_ != (want)) FAIL("%s returned %s, expected %s", #call, phifd_status_name(s_), phifd_status_name(want));  \
    } while (0)

static bool phi_ok(double phi) { return isfinite(phi) && phi >= 0.0; }
static bool state_ok(uint32_t s) { return s <= PHIFD_STATE_FAILED; }
static bool is_stable(uint64_t n) { return n >= 1 && n <= STABLE_NODES; }
static bool is_churn(uint64_t n) { return n >= CHURN_BASE && n < CHURN_BASE + CHURN_NODES; }

static uint64_t xorshift(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
}

static void *heartbeater(void *arg) {
    const uint64_t first = 1 + (uint64_t)(uintptr_t)arg * STABLE_PER_THREAD;
    uint64_t gen[STABLE_PER_THREAD];
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ first;
    for (int i = 0; i < STABLE_PER_THREAD; i++) gen[i] = 1;
    while (!atomic_load(&stop)) {
        for (int i = 0; i < STABLE_PER_THREAD; i++) {
            const uint64_t node = first + (uint64_t)i;
            if (xorshift(&rng) % 5000 == 0) {
                gen[i]++;
                atomic_fetch_add(&restarts_made, 1);
                EXPECT_STATUS(phifd_heartbeat(mon, node, gen[i], phifd_now_ns()), PHIFD_OK);
                EXPECT_STATUS(phifd_heartbeat(mon, node, gen[i] - 1, phifd_now_ns()), PHIFD_ERR_STALE_GENERATION);
            } else {
                EXPECT_STATUS(phifd_heartbeat(mon, node, gen[i], phifd_now_ns()), PHIFD_OK);
            }
        }
        atomic_fetch_add(&ops, STABLE_PER_THREAD);
        pause_us(500);
    }
    return NULL;
}

static void *churner(void *arg) {
    (void)arg;
    bool present[CHURN_NODES] = {false};
    uint64_t rng = 0xD1B54A32D192ED03ull;
    while (!atomic_load(&stop)) {
        const int i = (int)(xorshift(&rng) % CHURN_NODES);
        const uint64_t node = CHURN_BASE + (uint64_t)i;
        switch (xorshift(&rng) % 3) {
        case 0: /* remove: OK exactly when present */
            EXPECT_STATUS(phifd_node_remove(mon, node), present[i] ? PHIFD_OK : PHIFD_ERR_UNKNOWN_NODE);
            if (present[i]) atomic_fetch_sub(&churn_present, 1);
            present[i] = false;
            break;
        case 1: /* re-add: always OK, a no-op when present */
            EXPECT_STATUS(phifd_node_add(mon, node, 1, phifd_now_ns()), PHIFD_OK);
            if (!present[i]) atomic_fetch_add(&churn_present, 1);
            present[i] = true;
            break;
        default: /* heartbeat: registers an absent node (its generation was forgotten) */
            EXPECT_STATUS(phifd_heartbeat(mon, node, 1, phifd_now_ns()), PHIFD_OK);
            if (!present[i]) atomic_fetch_add(&churn_present, 1);
            present[i] = true;
            break;
        }
        atomic_fetch_add(&ops, 1);
        if ((xorshift(&rng) & 63) == 0) pause_us(100);
    }
    return NULL;
}

static void check_event(const phifd_event *e) {
    if (!is_stable(e->node) && !is_churn(e->node)) FAIL("event about unknown node %llu", (unsigned long long)e->node);
    if (!phi_ok(e->phi)) FAIL("event phi %g", e->phi);
    if (!state_ok(e->from) || !state_ok(e->to)) FAIL("event states %u -> %u", e->from, e->to);
    if (e->kind == PHIFD_EVENT_STATE_CHANGED) {
        if (e->from == e->to) FAIL("state change %u -> %u changes nothing", e->from, e->to);
    } else if (e->kind == PHIFD_EVENT_RESTARTED) {
        if (!is_stable(e->node))
            FAIL("RESTARTED for churn node %llu (always generation 1)", (unsigned long long)e->node);
        atomic_fetch_add(&restarts_seen, 1);
    } else {
        FAIL("undocumented event kind %u", e->kind);
    }
}

static size_t drain(void) {
    phifd_event ev[64];
    size_t n = 0, total = 0;
    do {
        EXPECT_STATUS(phifd_monitor_poll(mon, phifd_now_ns(), ev, 64, &n), PHIFD_OK);
        if (n > 64) {
            FAIL("poll wrote %zu events into 64 slots", n);
            break;
        }
        for (size_t i = 0; i < n; i++) check_event(&ev[i]);
        total += n;
    } while (n == 64);
    atomic_fetch_add(&events_seen, total);
    return total;
}

static void *poller(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        drain();
        atomic_fetch_add(&ops, 1);
        pause_us(1000);
    }
    return NULL;
}

static void check_count(uint64_t n, const char *what) {
    if (n < STABLE_NODES || n > STABLE_NODES + CHURN_NODES)
        FAIL("%s = %llu, outside [%d, %d]", what, (unsigned long long)n, STABLE_NODES, STABLE_NODES + CHURN_NODES);
}

static void *reader(void *arg) {
    uint64_t rng = 0xA0761D6478BD642Full + (uint64_t)(uintptr_t)arg;
    phifd_snapshot_entry *snap = calloc(STABLE_NODES + CHURN_NODES, sizeof *snap);
    if (snap == NULL) {
        FAIL("out of memory");
        return NULL;
    }
    while (!atomic_load(&stop)) {
        const bool churn = xorshift(&rng) % 4 == 0;
        const uint64_t node = churn ? CHURN_BASE + xorshift(&rng) % CHURN_NODES : 1 + xorshift(&rng) % STABLE_NODES;
        const phifd_status absent_ok = churn ? PHIFD_ERR_UNKNOWN_NODE : PHIFD_OK;
        const uint64_t now = phifd_now_ns();
        double phi = -1.0;
        phifd_status s = phifd_phi(mon, node, now, &phi);
        if (s == PHIFD_OK) {
            if (!phi_ok(phi)) FAIL("phi(%llu) = %g", (unsigned long long)node, phi);
        } else if (s != absent_ok) {
            FAIL("phifd_phi(%llu): %s", (unsigned long long)node, phifd_status_name(s));
        }
        phifd_node_info info;
        memset(&info, 0, sizeof info);
        info.size = sizeof info;
        s = phifd_node_get_info(mon, node, now, &info);
        if (s == PHIFD_OK) {
            if (info.node != node)
                FAIL("info.node %llu for %llu", (unsigned long long)info.node, (unsigned long long)node);
            if (!phi_ok(info.phi) || !state_ok(info.state)) FAIL("info phi %g state %u", info.phi, info.state);
            if (info.generation < 1) FAIL("info.generation %llu", (unsigned long long)info.generation);
            if (!(info.mean_ns >= 0.0) || !(info.sd_ns >= 0.0)) FAIL("info mean %g sd %g", info.mean_ns, info.sd_ns);
        } else if (s != absent_ok) {
            FAIL("phifd_node_get_info(%llu): %s", (unsigned long long)node, phifd_status_name(s));
        }
        if (xorshift(&rng) % 16 == 0) {
            uint64_t nodes[8];
            double phis[8];
            phifd_status st[8];
            for (int i = 0; i < 8; i++) nodes[i] = 1 + xorshift(&rng) % STABLE_NODES;
            EXPECT_STATUS(phifd_phi_batch(mon, nodes, 8, now, phis, st), PHIFD_OK);
            for (int i = 0; i < 8; i++)
                if (st[i] != PHIFD_OK || !phi_ok(phis[i]))
                    FAIL("batch entry %d: %s, phi %g", i, phifd_status_name(st[i]), phis[i]);
        }
        if (xorshift(&rng) % 64 == 0) {
            size_t total = 0;
            EXPECT_STATUS(phifd_monitor_snapshot(mon, now, snap, STABLE_NODES + CHURN_NODES, &total), PHIFD_OK);
            check_count(total, "snapshot total");
            const size_t n = total < STABLE_NODES + CHURN_NODES ? total : STABLE_NODES + CHURN_NODES;
            for (size_t i = 0; i < n; i++) {
                if (i > 0 && snap[i].node <= snap[i - 1].node) FAIL("snapshot not sorted at %zu", i);
                if (!phi_ok(snap[i].phi)) FAIL("snapshot phi %g", snap[i].phi);
                if (!is_stable(snap[i].node) && !is_churn(snap[i].node))
                    FAIL("snapshot node %llu", (unsigned long long)snap[i].node);
            }
            uint64_t count = 0;
            EXPECT_STATUS(phifd_monitor_node_count(mon, &count), PHIFD_OK);
            check_count(count, "node count");
            phifd_monitor_stats stats;
            memset(&stats, 0, sizeof stats);
            stats.size = sizeof stats;
            EXPECT_STATUS(phifd_monitor_get_stats(mon, &stats), PHIFD_OK);
            check_count(stats.nodes, "stats.nodes");
        }
        atomic_fetch_add(&ops, 1);
    }
    free(snap);
    return NULL;
}

static void *creator(void *arg) {
    (void)arg;
    phifd_config *cfg = NULL;
    if (phifd_config_new(&cfg) != PHIFD_OK) {
        FAIL("phifd_config_new");
        return NULL;
    }
    while (!atomic_load(&stop)) {
        phifd_monitor *m = NULL;
        EXPECT_STATUS(phifd_monitor_new(cfg, &m), PHIFD_OK);
        if (m == NULL) break;
        const uint64_t t = phifd_now_ns();
        EXPECT_STATUS(phifd_heartbeat(m, 1, 1, t), PHIFD_OK);
        EXPECT_STATUS(phifd_heartbeat(m, 1, 1, t + 1000000), PHIFD_OK);
        double phi = -1.0;
        EXPECT_STATUS(phifd_phi(m, 1, t + 2000000, &phi), PHIFD_OK);
        if (!phi_ok(phi)) FAIL("fresh monitor phi %g", phi);
        phifd_monitor_free(m);
        /* The freed handle is detected, never touched as live memory. */
        EXPECT_STATUS(phifd_phi(m, 1, t, &phi), PHIFD_ERR_INVALID_HANDLE);
        atomic_fetch_add(&monitors_freed, 1);
    }
    phifd_config_free(cfg);
    return NULL;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long env_long(const char *name, long dflt) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') return dflt;
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (*end != '\0' || x <= 0) {
        fprintf(stderr, "stress: %s=%s is not a positive integer; using %ld\n", name, v, dflt);
        return dflt;
    }
    return x;
}

int main(void) {
    const long seconds = env_long("STRESS_SECONDS", 20);
    const long bound_kb = env_long("STRESS_RSS_BOUND_KB", 8192);
    phifd_config *cfg = NULL;
    if (phifd_config_new(&cfg) != PHIFD_OK || phifd_config_set_heartbeat_interval_ns(cfg, 1000000) != PHIFD_OK ||
        phifd_monitor_new(cfg, &mon) != PHIFD_OK) {
        fprintf(stderr, "stress: cannot create the monitor: %s\n", phifd_last_error_message());
        return 1;
    }
    phifd_config_free(cfg);

    /* Every stable node exists before any reader starts: the readers expect them present. */
    for (uint64_t n = 1; n <= STABLE_NODES; n++) {
        if (phifd_heartbeat(mon, n, 1, phifd_now_ns()) != PHIFD_OK) {
            fprintf(stderr, "stress: first heartbeat of node %llu: %s\n", (unsigned long long)n,
                    phifd_last_error_message());
            return 1;
        }
    }

    pthread_t th[HEARTBEATERS + READERS + 3];
    int nt = 0;
    for (int i = 0; i < HEARTBEATERS; i++) pthread_create(&th[nt++], NULL, heartbeater, (void *)(uintptr_t)i);
    pthread_create(&th[nt++], NULL, churner, NULL);
    pthread_create(&th[nt++], NULL, poller, NULL);
    for (int i = 0; i < READERS; i++) pthread_create(&th[nt++], NULL, reader, (void *)(uintptr_t)i);
    pthread_create(&th[nt++], NULL, creator, NULL);

    long warm_kb = 0, peak_kb = 0;
    unsigned long freed_at_warm = 0;
    for (long s = 1; s <= seconds; s++) {
        sleep(1);
        const long kb = rss_kb();
        if (s == WARMUP_SECONDS) {
            warm_kb = kb;
            freed_at_warm = atomic_load(&monitors_freed);
        }
        if (kb > peak_kb) peak_kb = kb;
        if (getenv("STRESS_VERBOSE") != NULL)
            fprintf(stderr, "stress: t=%lds rss=%ld KiB ops=%lu monitors freed=%lu\n", s, kb, atomic_load(&ops),
                    atomic_load(&monitors_freed));
    }
    atomic_store(&stop, true);
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    const long end_kb = rss_kb();

    /* Quiescent checks: every count agrees with the churn thread's own record. */
    drain();
    const uint64_t want = STABLE_NODES + (uint64_t)atomic_load(&churn_present);
    uint64_t count = 0;
    size_t total = 0;
    phifd_monitor_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    EXPECT_STATUS(phifd_monitor_node_count(mon, &count), PHIFD_OK);
    EXPECT_STATUS(phifd_monitor_snapshot(mon, phifd_now_ns(), NULL, 0, &total), PHIFD_OK);
    EXPECT_STATUS(phifd_monitor_get_stats(mon, &stats), PHIFD_OK);
    if (count != want || total != want || stats.nodes != want)
        FAIL("counts: node_count %llu, snapshot %zu, stats %llu, expected %llu", (unsigned long long)count, total,
             (unsigned long long)stats.nodes, (unsigned long long)want);
    if (stats.pending_events != 0)
        FAIL("%llu events still pending after a full drain", (unsigned long long)stats.pending_events);
    if (stats.dropped_events == 0 && atomic_load(&restarts_seen) != atomic_load(&restarts_made))
        FAIL("%lu restarts sent, %lu RESTARTED events polled", atomic_load(&restarts_made),
             atomic_load(&restarts_seen));
    phifd_monitor_free(mon);

    /* Memory: growth after the warm-up. */
    const unsigned long freed = atomic_load(&monitors_freed) - freed_at_warm;
    const long growth_kb = end_kb - warm_kb;
    const double per_monitor = freed ? (double)growth_kb * 1024.0 / (double)freed : 0.0;
    if (warm_kb <= 0 || end_kb <= 0)
        FAIL("cannot read /proc/self/statm");
    else if (growth_kb > bound_kb)
        FAIL("RSS grew by %ld KiB after the warm-up (bound %ld KiB): %.1f bytes per freed monitor", growth_kb, bound_kb,
             per_monitor);
    const bool could_catch = (double)freed * LEAK_TO_CATCH_BYTES > (double)bound_kb * 1024.0;
    printf("stress: %lds, %lu operations, %lu monitors created and freed, %lu events (%lu restarts), "
           "%llu dropped; RSS %ld KiB after warm-up, %ld KiB at the end (peak %ld), growth %ld KiB "
           "(bound %ld KiB, %.2f bytes per freed monitor)%s; %lu failures\n",
           seconds, atomic_load(&ops), atomic_load(&monitors_freed), atomic_load(&events_seen),
           atomic_load(&restarts_seen), (unsigned long long)stats.dropped_events, warm_kb, end_kb, peak_kb, growth_kb,
           bound_kb, per_monitor, could_catch ? "" : " [too few monitors freed to detect a 50-byte-per-handle leak]",
           atomic_load(&failures));
    return atomic_load(&failures) == 0 ? 0 : 1;
}
