/*
 * phifd benchmarks through the C ABI (single thread).
 *
 * Measures, for each estimator (akka, normal, exponential):
 *   - phifd_heartbeat and phifd_phi, ns per call, on monitors whose nodes all have full windows
 *     (1 hot node, 1,000 nodes, 100,000 nodes by default);
 *   - phifd_monitor_poll, ns per node, at 100,000 nodes with every node ALIVE (no events), and in a
 *     steady state where about 1 % of the nodes go silent before each poll (SUSPECT/FAILED events);
 *   - the memory a 100,000-node monitor with full windows really takes: growth of the process's
 *     resident set (/proc/self/statm) and of the malloc heap (mallinfo2: uordblks + hblkhd);
 *   - the cost of authentication: ns per phifd_datagram_encode / _decode (56 bytes, checksum) and
 *     per phifd_datagram_encode_auth / _decode_auth (68 bytes, HMAC-SHA-256 with a 32-byte key),
 *     and per phifd_monitor_receive with a keyring (verify + heartbeat_version on 1,000 nodes).
 *
 * Timings use clock_gettime(CLOCK_MONOTONIC). A measurement is repeated `--runs` times. Heartbeat
 * and phi runs are timed in slices of 1,000 consecutive calls (tens of microseconds each, so most
 * slices are not preempted on a shared machine); polls are timed one call (all nodes) at a time.
 * Each figure is the median with the 10th and 90th percentiles over all timed slices or polls.
 * Timestamps given to the library are explicit and steady: each node heartbeats every 1 s with a
 * deterministic jitter in [0, 40) ms, so windows hold realistic, non-constant intervals.
 *
 *   - the plain loop (--plain-loop): 2,000,000 heartbeats to one node of a default monitor, timed
 *     as a whole by the wall clock and by this thread's CPU clock, under four arrival patterns
 *     (1 s +/- 10 ms alternating, 1 s +/- 10 ms random, the harness's jitter table, exactly 1 s),
 *     and the same loop timed in slices as below: it shows what a whole-loop figure adds to the
 *     per-slice median (time spent waiting for a CPU on a loaded machine);
 *   - the machine's two-thread ceiling (--ceiling): increments per second of one thread and of two
 *     threads on private counters on separate cache lines, and of two threads on one shared line,
 *     both per wall-clock second and per CPU-second the threads got.
 *
 * Usage: bench [--nodes N] [--window W] [--runs R] [--smoke] [--auth-only] [--plain-loop] [--ceiling]
 *   --auth-only  only the datagram and authentication figures (seconds instead of minutes)
 *   --plain-loop only the plain loop (about 15 s); --ceiling only the ceiling (about 10 s); both
 *                together run both. A full run does both first.
 *   --nodes   size of the large monitor (default 100000)
 *   --window  window size (default 1000)
 *   --runs    repetitions of each timing (default 21, at least 15 is recommended)
 *   --smoke   tiny sizes and few runs: checks that the harness works (windows full, no events on an
 *             all-alive poll, transitions seen), exits non-zero on a functional failure. Never judges
 *             a timing.
 * Exit status: 0 on success, 1 on a functional failure (a call failed, a window was not full, an
 * expected event was missing or an unexpected one appeared), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "phifd.h"

#define NS_PER_S 1000000000ULL
#define PERIOD_NS NS_PER_S         /* heartbeat interval of every simulated node */
#define JITTER_NS 40000000ULL      /* arrival jitter, [0, 40 ms) */
#define JITTER_TABLE 4096          /* power of two */
#define T0_NS (1000ULL * NS_PER_S) /* first arrival time */
#define CALLS_PER_BATCH 100000ULL  /* calls per run for the small monitors */
#define MAX_RUNS 1001

static uint64_t jitter[JITTER_TABLE];
static int failures = 0;

/* ----- small utilities ----------------------------------------------------------------------- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, phifd_status st) {
    fprintf(stderr, "FAIL: %s: %s (%s)\n", what, phifd_status_name(st), phifd_last_error_message());
    failures++;
}

static void check(phifd_status st, const char *what) {
    if (st != PHIFD_OK) {
        fail(what, st);
        exit(1);
    }
}

static void init_jitter(void) {
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < JITTER_TABLE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        jitter[i] = x % JITTER_NS;
    }
}

/* Arrival time of round `k` for node `i`: steady 1 s period plus a deterministic jitter. */
static inline uint64_t arrival(uint64_t i, uint64_t k) {
    return T0_NS + k * PERIOD_NS + jitter[(i * 31 + k) & (JITTER_TABLE - 1)];
}

/* Silence at which phi is queried for call `i`: cycles through 0.2 s .. 1.6 s after the round's
 * base time, so every branch of each estimator's tail (below, around and above the mean) is hit. */
static inline uint64_t query_offset(uint64_t i) { return 200000000ULL + ((i * 7) & 15) * 87500000ULL; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile `p` (0..1) of sorted `v[n]`, linear interpolation between closest ranks. */
static double percentile(const double *v, int n, double p) {
    if (n == 1) return v[0];
    double pos = p * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    double f = pos - lo;
    return v[lo] + (v[hi] - v[lo]) * f;
}

typedef struct {
    double median, p10, p90;
} summary;

static summary summarize(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    summary s = {percentile(v, n, 0.5), percentile(v, n, 0.1), percentile(v, n, 0.9)};
    return s;
}

static const char *estimator_name(phifd_estimator e) {
    switch (e) {
    case PHIFD_ESTIMATOR_AKKA:
        return "akka";
    case PHIFD_ESTIMATOR_NORMAL:
        return "normal";
    case PHIFD_ESTIMATOR_EXPONENTIAL:
        return "exponential";
    default:
        return "-";
    }
}

/* ----- results table ------------------------------------------------------------------------- */

typedef struct {
    char what[40];
    char estimator[16];
    uint64_t nodes;
    char unit[16];
    summary s;
    char note[64];
} row;

static row rows[64];
static int nrows = 0;

static void add_row(const char *what, phifd_estimator e, uint64_t nodes, const char *unit, summary s,
                    const char *note) {
    if (nrows >= (int)(sizeof rows / sizeof rows[0])) return;
    row *r = &rows[nrows++];
    snprintf(r->what, sizeof r->what, "%s", what);
    snprintf(r->estimator, sizeof r->estimator, "%s", estimator_name(e));
    r->nodes = nodes;
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    r->s = s;
    snprintf(r->note, sizeof r->note, "%s", note ? note : "");
    printf("  %-28s %-12s %7llu nodes: median %8.1f %s  (p10 %.1f, p90 %.1f) %s\n", what, r->estimator,
           (unsigned long long)nodes, s.median, unit, s.p10, s.p90, r->note);
    fflush(stdout);
}

/* ----- memory -------------------------------------------------------------------------------- */

typedef struct {
    long long rss;  /* resident set, bytes */
    long long heap; /* bytes in use by malloc, arena + mmapped chunks */
} mem_snapshot;

static mem_snapshot mem_now(void) {
    mem_snapshot m = {-1, -1};
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long long size, resident;
        if (fscanf(f, "%lld %lld", &size, &resident) == 2) m.rss = resident * sysconf(_SC_PAGESIZE);
        fclose(f);
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    m.heap = (long long)(mi.uordblks + mi.hblkhd);
#endif
    return m;
}

/* ----- monitors ------------------------------------------------------------------------------ */

static phifd_monitor *make_monitor(phifd_estimator e, uint64_t window) {
    phifd_config *cfg = NULL;
    phifd_monitor *m = NULL;
    check(phifd_config_new(&cfg), "phifd_config_new");
    check(phifd_config_set_estimator(cfg, e), "phifd_config_set_estimator");
    check(phifd_config_set_window(cfg, window), "phifd_config_set_window");
    check(phifd_config_set_heartbeat_interval_ns(cfg, PERIOD_NS), "phifd_config_set_heartbeat_interval_ns");
    /* Room for --nodes up to 2^22 (the default bound, 65,536, would refuse the large monitor). */
    check(phifd_config_set_max_nodes(cfg, 1ULL << 22), "phifd_config_set_max_nodes");
    check(phifd_monitor_new(cfg, &m), "phifd_monitor_new");
    phifd_config_free(cfg);
    return m;
}

static phifd_event *events_buf;
static size_t events_cap;

/* Drains every pending event at `t`; returns how many there were. */
static uint64_t drain(phifd_monitor *m, uint64_t t) {
    uint64_t total = 0;
    size_t got;
    do {
        check(phifd_monitor_poll(m, t, events_buf, events_cap, &got), "phifd_monitor_poll");
        total += got;
    } while (got == events_cap);
    return total;
}

/* Heartbeats rounds 0..rounds-1 for nodes 0..n-1, round-robin (every node once per second, as a
 * real cluster does, so windows grow side by side). Polls between rounds like an application. */
static void fill(phifd_monitor *m, uint64_t n, uint64_t rounds) {
    for (uint64_t k = 0; k < rounds; k++) {
        for (uint64_t i = 0; i < n; i++) {
            phifd_status st = phifd_heartbeat(m, i, 1, arrival(i, k));
            if (st != PHIFD_OK) {
                fail("phifd_heartbeat (fill)", st);
                exit(1);
            }
            if (k == 0 && (i & 4095) == 4095) drain(m, arrival(i, k));
        }
        drain(m, T0_NS + k * PERIOD_NS + JITTER_NS);
    }
}

/* Checks that every node holds `window` samples (the seed history pushed out). */
static void check_full(phifd_monitor *m, uint64_t n, uint64_t window, uint64_t t) {
    uint64_t bad = 0;
    for (uint64_t i = 0; i < n; i++) {
        phifd_node_info info;
        memset(&info, 0, sizeof info);
        info.size = sizeof info;
        check(phifd_node_get_info(m, i, t, &info), "phifd_node_get_info");
        if (info.samples != window || info.state != PHIFD_STATE_ALIVE) bad++;
    }
    if (bad) {
        fprintf(stderr, "FAIL: %llu of %llu nodes without a full window of %llu samples or not ALIVE\n",
                (unsigned long long)bad, (unsigned long long)n, (unsigned long long)window);
        failures++;
    }
}

/* ----- timed measurements -------------------------------------------------------------------- */

/* Heartbeat and phi timings are taken over slices of SLICE consecutive calls, each timed on its
 * own: a slice lasts tens of microseconds, so on a shared machine most slices run without being
 * preempted, and the median over slices is the cost of the call itself (p90 shows the noise). */
#define SLICE 1000ULL

typedef struct {
    double *v;
    size_t n, cap;
} samples;

static void samples_init(samples *s, size_t cap) {
    s->v = malloc(cap * sizeof *s->v);
    s->n = 0;
    s->cap = s->v ? cap : 0;
    if (!s->v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
}

static void samples_add(samples *s, double x) {
    if (s->n < s->cap) s->v[s->n++] = x;
}

static summary samples_done(samples *s) {
    summary r = summarize(s->v, (int)s->n);
    free(s->v);
    return r;
}

/* Heartbeats: each run is `per_run` rounds over `n` nodes starting at round `*k`, timed in slices. */
static summary time_heartbeats(phifd_monitor *m, uint64_t n, uint64_t *k, uint64_t per_run, int runs) {
    uint64_t calls = per_run * n;
    samples v;
    samples_init(&v, (size_t)runs * (size_t)((calls + SLICE - 1) / SLICE));
    for (int r = 0; r < runs; r++) {
        uint64_t i = 0, j = *k, c = 0;
        while (c < calls) {
            uint64_t end = c + SLICE < calls ? c + SLICE : calls, first = c;
            phifd_status bad = PHIFD_OK;
            uint64_t t0 = now_ns();
            for (; c < end; c++) {
                bad |= phifd_heartbeat(m, i, 1, arrival(i, j));
                if (++i == n) {
                    i = 0;
                    j++;
                }
            }
            uint64_t t1 = now_ns();
            if (bad != PHIFD_OK) fail("phifd_heartbeat (timed)", bad);
            samples_add(&v, (double)(t1 - t0) / (double)(end - first));
        }
        *k += per_run;
    }
    return samples_done(&v);
}

/* phi: each run makes `per_run` x `n` calls at silences 0.2 s .. 1.6 s after round `k - 1`. */
static summary time_phi(phifd_monitor *m, uint64_t n, uint64_t k, uint64_t per_run, int runs, double *checksum) {
    uint64_t calls = per_run * n;
    uint64_t base = T0_NS + (k - 1) * PERIOD_NS + JITTER_NS;
    samples v;
    samples_init(&v, (size_t)runs * (size_t)((calls + SLICE - 1) / SLICE));
    for (int r = 0; r < runs; r++) {
        uint64_t i = 0, j = 0, c = 0;
        double sum = 0.0;
        while (c < calls) {
            uint64_t end = c + SLICE < calls ? c + SLICE : calls, first = c;
            phifd_status bad = PHIFD_OK;
            uint64_t t0 = now_ns();
            for (; c < end; c++) {
                double phi;
                bad |= phifd_phi(m, i, base + query_offset(i + j), &phi);
                sum += phi;
                if (++i == n) {
                    i = 0;
                    j++;
                }
            }
            uint64_t t1 = now_ns();
            if (bad != PHIFD_OK) fail("phifd_phi (timed)", bad);
            samples_add(&v, (double)(t1 - t0) / (double)(end - first));
        }
        if (!isfinite(sum)) {
            fprintf(stderr, "FAIL: phi not finite\n");
            failures++;
        }
        *checksum += sum;
    }
    return samples_done(&v);
}

/* Polls with every node ALIVE: one poll per run, 0.6 s after round `k - 1`'s base time. */
static summary time_poll_alive(phifd_monitor *m, uint64_t n, uint64_t k, int runs) {
    double v[MAX_RUNS];
    uint64_t t = T0_NS + (k - 1) * PERIOD_NS + 600000000ULL;
    for (int r = 0; r < runs; r++) {
        size_t got = 0;
        uint64_t t0 = now_ns();
        phifd_status st = phifd_monitor_poll(m, t, events_buf, events_cap, &got);
        uint64_t t1 = now_ns();
        if (st != PHIFD_OK) fail("phifd_monitor_poll (alive)", st);
        if (got != 0) {
            fprintf(stderr, "FAIL: %zu events from an all-ALIVE poll\n", got);
            failures++;
        }
        v[r] = (double)(t1 - t0) / (double)n;
    }
    return summarize(v, runs);
}

/* Steady-state churn: before each poll one more group of 1 % of the nodes (i % 100 == group) falls
 * silent while the rest heartbeat; the poll, 0.6 s after the round, reports the silent nodes'
 * ALIVE -> SUSPECT -> FAILED transitions. `warmup` untimed rounds first, so that every estimator
 * (the exponential one convicts only after about 18 s) reaches the steady state of about 1 % of
 * the nodes crossing each threshold per poll. Returns ns per node; `*events_median` receives the
 * median number of events per timed poll. */
static summary time_poll_churn(phifd_monitor *m, uint64_t n, uint64_t *k, int warmup, int runs, double *events_median) {
    double v[MAX_RUNS], ev[MAX_RUNS];
    int groups = 0;
    for (int r = -warmup; r < runs; r++, (*k)++) {
        groups++; /* groups 0 .. groups-1 are silent from this round on */
        for (uint64_t i = 0; i < n; i++) {
            if ((i % 100) < (uint64_t)groups) continue;
            phifd_status st = phifd_heartbeat(m, i, 1, arrival(i, *k));
            if (st != PHIFD_OK) fail("phifd_heartbeat (churn)", st);
        }
        uint64_t t = T0_NS + *k * PERIOD_NS + 600000000ULL;
        size_t got = 0;
        uint64_t t0 = now_ns();
        phifd_status st = phifd_monitor_poll(m, t, events_buf, events_cap, &got);
        uint64_t t1 = now_ns();
        if (st != PHIFD_OK) fail("phifd_monitor_poll (churn)", st);
        uint64_t more = got == events_cap ? drain(m, t) : 0;
        if (r >= 0) {
            v[r] = (double)(t1 - t0) / (double)n;
            ev[r] = (double)(got + more);
        }
    }
    summary e = summarize(ev, runs);
    *events_median = e.median;
    if (e.p10 <= 0.0) {
        fprintf(stderr, "FAIL: churn polls reported no transitions\n");
        failures++;
    }
    return summarize(v, runs);
}

/* ----- scenarios ----------------------------------------------------------------------------- */

typedef struct {
    uint64_t big_nodes;
    uint64_t window;
    int runs;
    int smoke;
    int auth_only;
    int plain_only;   /* --plain-loop */
    int ceiling_only; /* --ceiling */
} options;

/* Hot node or the 1,000-node monitor: heartbeat and phi, CALLS_PER_BATCH calls per run. */
static void bench_small(phifd_estimator e, uint64_t n, const options *o, const char *label, double *checksum) {
    phifd_monitor *m = make_monitor(e, o->window);
    uint64_t rounds = o->window + 1;
    fill(m, n, rounds);
    check_full(m, n, o->window, arrival(0, rounds - 1));
    uint64_t k = rounds;
    uint64_t per_run = (o->smoke ? 2000 : CALLS_PER_BATCH) / n;
    if (per_run == 0) per_run = 1;
    char what[40];
    snprintf(what, sizeof what, "phifd_heartbeat, %s", label);
    add_row(what, e, n, "ns/call", time_heartbeats(m, n, &k, per_run, o->runs), "");
    snprintf(what, sizeof what, "phifd_phi, %s", label);
    add_row(what, e, n, "ns/call", time_phi(m, n, k, per_run, o->runs, checksum), "");
    drain(m, T0_NS + k * PERIOD_NS);
    phifd_monitor_free(m);
}

/* The large monitor: memory, heartbeat, phi, polls. Returns memory growth per node (bytes). */
static void bench_big(phifd_estimator e, const options *o, double *checksum, double *rss_per_node,
                      double *heap_per_node) {
    uint64_t n = o->big_nodes;
    mem_snapshot before = mem_now();
    phifd_monitor *m = make_monitor(e, o->window);
    uint64_t rounds = o->window + 1;
    fill(m, n, rounds);
    mem_snapshot after = mem_now();
    *rss_per_node = (double)(after.rss - before.rss) / (double)n;
    *heap_per_node = (double)(after.heap - before.heap) / (double)n;
    check_full(m, n, o->window, arrival(0, rounds - 1));

    uint64_t k = rounds;
    add_row("phifd_heartbeat, many nodes", e, n, "ns/call", time_heartbeats(m, n, &k, 1, o->runs), "");
    add_row("phifd_phi, many nodes", e, n, "ns/call", time_phi(m, n, k, 1, o->runs, checksum), "");
    drain(m, T0_NS + k * PERIOD_NS);
    add_row("phifd_monitor_poll, all ALIVE", e, n, "ns/node", time_poll_alive(m, n, k, o->runs), "0 events");

    /* Warm-up: enough silent rounds for the slowest conviction (the exponential model needs
     * threshold * ln 10 = 18.4 mean intervals) plus one. */
    uint64_t fail_after = 0;
    check(phifd_node_time_until_phi(m, 0, 8.0, &fail_after), "phifd_node_time_until_phi");
    int warmup = (int)(fail_after / PERIOD_NS) + 2;
    double ev = 0;
    summary s = time_poll_churn(m, n, &k, warmup, o->runs, &ev);
    char note[64];
    snprintf(note, sizeof note, "%.0f events/poll (median)", ev);
    add_row("phifd_monitor_poll, 1% churn", e, n, "ns/node", s, note);
    phifd_monitor_free(m);
}

/* Memory of an akka monitor of `n` nodes with full windows of `window` samples: with a second
 * window size it splits bytes per node into a per-sample and a fixed part. */
static void bench_memory_window(uint64_t n, uint64_t window, double *rss_per_node, double *heap_per_node) {
    mem_snapshot before = mem_now();
    phifd_monitor *m = make_monitor(PHIFD_ESTIMATOR_AKKA, window);
    fill(m, n, window + 1);
    mem_snapshot after = mem_now();
    check_full(m, n, window, arrival(0, window));
    *rss_per_node = (double)(after.rss - before.rss) / (double)n;
    *heap_per_node = (double)(after.heap - before.heap) / (double)n;
    phifd_monitor_free(m);
}

/* Reference: latency of one dependent load from a random place in a `bytes`-sized buffer (a
 * pointer chase over a single random cycle, Sattolo's shuffle), ns per load. A heartbeat to one of
 * many nodes whose windows do not fit in the caches cannot be faster than about one such load: it
 * must read the oldest sample of that node's ring to update the running sums. */
static double memory_latency_ns(size_t bytes, uint64_t steps) {
    size_t n = bytes / sizeof(uint32_t);
    uint32_t *next = malloc(n * sizeof *next);
    if (!next) return NAN;
    for (size_t i = 0; i < n; i++) next[i] = (uint32_t)i;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % i); /* j < i: one cycle through every slot */
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    uint32_t p = 0;
    uint64_t t0 = now_ns();
    for (uint64_t s = 0; s < steps; s++) p = next[p];
    uint64_t t1 = now_ns();
    free(next);
    if (p == UINT32_MAX) printf(" ");
    return (double)(t1 - t0) / (double)steps;
}

static void print_machine(void) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        }
        fclose(f);
    }
    char kernel[256] = "unknown";
    f = fopen("/proc/sys/kernel/osrelease", "r");
    if (f) {
        if (fgets(kernel, sizeof kernel, f)) kernel[strcspn(kernel, "\n")] = 0;
        fclose(f);
    }
    printf("phifd %s, %ld CPUs online, CPU \"%s\", kernel %s\n", phifd_version(), cpus, model, kernel);
}

/* Prints the system's load averages (the machine may be shared: a load above the CPU count means
 * the figures include time the benchmark spent waiting for a CPU or a shared cache). */
static void print_load(const char *when) {
    char load[128] = "unknown";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fgets(load, sizeof load, f)) load[strcspn(load, "\n")] = 0;
        fclose(f);
    }
    printf("load average %s: %s\n", when, load);
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) return 0;
    *out = v;
    return 1;
}

/* Runs bench_memory_window in a fresh process (this program re-executed with --memory-only), so
 * that pages freed by earlier measurements cannot be reused and hide part of the growth. */
static void memory_in_fresh_process(uint64_t n, uint64_t window, double *rss_per_node, double *heap_per_node) {
    char exe[4096], cmd[4200];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0 || strchr(exe, '\'') != NULL) len = 0;
    exe[len] = 0;
    snprintf(cmd, sizeof cmd, "'%s' --memory-only %llu %llu", exe, (unsigned long long)n, (unsigned long long)window);
    *rss_per_node = *heap_per_node = NAN;
    FILE *f = popen(cmd, "r");
    if (!f || fscanf(f, "%lf %lf", rss_per_node, heap_per_node) != 2 || pclose(f) != 0) {
        fprintf(stderr, "FAIL: memory measurement in a child process (%s)\n", cmd);
        failures++;
    }
}

/* ----- datagrams and authentication --------------------------------------------------------- */

#define AUTH_NODES 1000

/* ns per call of each datagram function, timed in slices of SLICE calls; every result is checked
 * (a decode must give back what was encoded). Rows use the estimator column "-". */
static void bench_auth(const options *o) {
    static const uint8_t key[32] = "bench key: 32 bytes of key data.";
    phifd_keyring *k = NULL;
    check(phifd_keyring_new(&k), "phifd_keyring_new");
    check(phifd_keyring_add_key(k, 1, key, sizeof key), "phifd_keyring_add_key");
    uint64_t calls = o->smoke ? 2000 : CALLS_PER_BATCH;
    size_t slices = (size_t)o->runs * (size_t)((calls + SLICE - 1) / SLICE);
    samples enc, dec, enc_a, dec_a, recv;
    samples_init(&enc, slices);
    samples_init(&dec, slices);
    samples_init(&enc_a, slices);
    samples_init(&dec_a, slices);
    samples_init(&recv, slices);
    /* The receive path gets SLICE heartbeats signed before each timed slice (untimed): node
     * `i % AUTH_NODES`, versions increasing, so every one counts. */
    static uint8_t signed_hb[SLICE][PHIFD_AUTH_DATAGRAM_SIZE];
    uint64_t next_hb = 0;
    size_t written = 0;
    phifd_monitor *m = make_monitor(PHIFD_ESTIMATOR_AKKA, o->window);
    uint8_t buf[PHIFD_AUTH_DATAGRAM_SIZE];
    uint8_t plain[PHIFD_DATAGRAM_SIZE];
    phifd_datagram in = {PHIFD_DATAGRAM_HEARTBEAT, PHIFD_DATAGRAM_FLAG_LEADER, 7, 3, 5, 0, T0_NS};
    phifd_datagram out;
    check(phifd_datagram_encode(&in, plain, sizeof plain, &written), "phifd_datagram_encode");
    check(phifd_datagram_encode_auth(k, &in, buf, sizeof buf, &written), "phifd_datagram_encode_auth");
    uint64_t t = T0_NS;
    for (int r = 0; r < o->runs; r++) {
        for (uint64_t c = 0; c < calls; c += SLICE) {
            uint64_t n = c + SLICE < calls ? SLICE : calls - c;
            phifd_status bad = PHIFD_OK;
            for (uint64_t i = 0; i < n; i++) {
                uint64_t h = next_hb + i;
                phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, 0, h % AUTH_NODES, 1, 1, h / AUTH_NODES + 1, T0_NS};
                bad |= phifd_datagram_encode_auth(k, &d, signed_hb[i], PHIFD_AUTH_DATAGRAM_SIZE, &written);
            }
            uint64_t t0 = now_ns();
            for (uint64_t i = 0; i < n; i++) {
                in.version = c + i;
                bad |= phifd_datagram_encode(&in, plain, sizeof plain, &written);
            }
            uint64_t t1 = now_ns();
            for (uint64_t i = 0; i < n; i++) bad |= phifd_datagram_decode(plain, sizeof plain, &out);
            uint64_t t2 = now_ns();
            for (uint64_t i = 0; i < n; i++) {
                in.version = c + i;
                bad |= phifd_datagram_encode_auth(k, &in, buf, sizeof buf, &written);
            }
            uint64_t t3 = now_ns();
            for (uint64_t i = 0; i < n; i++) bad |= phifd_datagram_decode_auth(k, buf, sizeof buf, &out);
            uint64_t t4 = now_ns();
            bool counted = true, all_counted = true;
            for (uint64_t i = 0; i < n; i++) {
                t += PERIOD_NS / AUTH_NODES;
                bad |= phifd_monitor_receive(m, k, signed_hb[i], PHIFD_AUTH_DATAGRAM_SIZE, t, &out, &counted);
                all_counted &= counted;
            }
            uint64_t t5 = now_ns();
            if (bad != PHIFD_OK) fail("datagram functions (timed)", bad);
            if (!all_counted) fail("phifd_monitor_receive: a new heartbeat did not count", PHIFD_ERR_INTERNAL);
            next_hb += n;
            if (out.version != (next_hb - 1) / AUTH_NODES + 1)
                fail("phifd_monitor_receive: wrong datagram", PHIFD_ERR_INTERNAL);
            samples_add(&enc, (double)(t1 - t0) / (double)n);
            samples_add(&dec, (double)(t2 - t1) / (double)n);
            samples_add(&enc_a, (double)(t3 - t2) / (double)n);
            samples_add(&dec_a, (double)(t4 - t3) / (double)n);
            samples_add(&recv, (double)(t5 - t4) / (double)n);
        }
    }
    /* The last authenticated datagram decodes to what was encoded. */
    check(phifd_datagram_decode_auth(k, buf, sizeof buf, &out), "phifd_datagram_decode_auth");
    if (out.version != in.version || out.node != in.node)
        fail("phifd_datagram_decode_auth: wrong fields", PHIFD_ERR_INTERNAL);
    printf("datagrams (one thread):\n");
    add_row("datagram encode (56 B)", (phifd_estimator)99, 1, "ns/call", samples_done(&enc), "FNV checksum");
    add_row("datagram decode (56 B)", (phifd_estimator)99, 1, "ns/call", samples_done(&dec), "FNV checksum");
    add_row("datagram encode_auth (68 B)", (phifd_estimator)99, 1, "ns/call", samples_done(&enc_a), "HMAC-SHA-256");
    add_row("datagram decode_auth (68 B)", (phifd_estimator)99, 1, "ns/call", samples_done(&dec_a), "HMAC-SHA-256");
    add_row("monitor_receive, keyring", (phifd_estimator)99, AUTH_NODES, "ns/call", samples_done(&recv),
            "verify + heartbeat");
    phifd_monitor_free(m);
    phifd_keyring_free(k);
}

/* ----- the plain loop: 2,000,000 heartbeats to one node, timed as a whole ----------------------- */

/* Arrival patterns of the plain loop: each interval is 1 s plus a jitter that depends on `k`. */
typedef enum { PAT_ALTERNATE, PAT_RANDOM, PAT_TABLE, PAT_CONSTANT } pattern;

static const char *pattern_name(pattern p) {
    switch (p) {
    case PAT_ALTERNATE:
        return "1 s +/- 10 ms alternating";
    case PAT_RANDOM:
        return "1 s +/- 10 ms uniform random";
    case PAT_TABLE:
        return "harness: 1 s + table [0, 40 ms)";
    default:
        return "exactly 1 s";
    }
}

static uint64_t cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

typedef struct {
    double wall_ns;                  /* whole loop, CLOCK_MONOTONIC, per heartbeat */
    double cpu_ns;                   /* whole loop, CLOCK_THREAD_CPUTIME_ID, per heartbeat */
    double slice_median, slice_mean; /* slices of SLICE heartbeats (only when sliced) */
} plain_result;

/* One plain loop on a fresh monitor of the default configuration (phifd_config_new, nothing set):
 * `count` heartbeats to node 1, generation 1, arrivals following `p`, nothing else in the loop
 * (no poll, no drain). With `sliced`, the same loop also reads the clock every SLICE heartbeats,
 * as the harness does, and the slices' median and mean are reported beside the whole-loop time. */
static plain_result plain_loop(pattern p, uint64_t count, int sliced) {
    phifd_config *cfg = NULL;
    phifd_monitor *m = NULL;
    check(phifd_config_new(&cfg), "phifd_config_new");
    check(phifd_monitor_new(cfg, &m), "phifd_monitor_new");
    phifd_config_free(cfg);
    samples v;
    samples_init(&v, sliced ? (size_t)(count / SLICE + 1) : 1);
    uint64_t x = 0x9E3779B97F4A7C15ULL, t = T0_NS;
    phifd_status bad = PHIFD_OK;
    uint64_t w0 = now_ns(), c0 = cpu_ns(), s0 = w0;
    for (uint64_t k = 0; k < count; k++) {
        switch (p) {
        case PAT_ALTERNATE:
            t += (k & 1) ? PERIOD_NS + 10000000ULL : PERIOD_NS - 10000000ULL;
            break;
        case PAT_RANDOM:
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t += PERIOD_NS - 10000000ULL + (x >> 44) * 20000000ULL / (1ULL << 20);
            break;
        case PAT_TABLE:
            t = arrival(0, k);
            break;
        default:
            t += PERIOD_NS;
            break;
        }
        bad |= phifd_heartbeat(m, 1, 1, t);
        if (sliced && (k + 1) % SLICE == 0) {
            uint64_t s1 = now_ns();
            samples_add(&v, (double)(s1 - s0) / (double)SLICE);
            s0 = s1;
        }
    }
    uint64_t c1 = cpu_ns(), w1 = now_ns();
    if (bad != PHIFD_OK) fail("phifd_heartbeat (plain loop)", bad);
    plain_result r = {(double)(w1 - w0) / (double)count, (double)(c1 - c0) / (double)count, NAN, NAN};
    if (sliced && v.n > 0) {
        double sum = 0;
        for (size_t i = 0; i < v.n; i++) sum += v.v[i];
        r.slice_mean = sum / (double)v.n;
        r.slice_median = samples_done(&v).median;
    } else {
        free(v.v);
    }
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    check(phifd_node_get_info(m, 1, t, &info), "phifd_node_get_info (plain loop)");
    if (count > 1000 && info.samples != 1000) {
        fprintf(stderr, "FAIL: plain loop: the window holds %llu samples, expected 1000\n",
                (unsigned long long)info.samples);
        failures++;
    }
    phifd_monitor_free(m);
    return r;
}

/* --plain-loop: the loop of issue 15 under each arrival pattern, timed as a whole (wall clock and
 * this thread's CPU time) and, in a second pass, in slices like the harness. Each figure is the
 * median over `runs` loops (loops run pattern after pattern, so load falls on all of them). */
static void bench_plain_loop(const options *o) {
    uint64_t count = o->smoke ? 20000 : 2000000;
    int runs = o->smoke ? 1 : (o->runs < 5 ? o->runs : 5);
    const pattern pats[4] = {PAT_ALTERNATE, PAT_RANDOM, PAT_TABLE, PAT_CONSTANT};
    double wall[4][MAX_RUNS], cpu[4][MAX_RUNS], smed[4][MAX_RUNS], smean[4][MAX_RUNS];
    plain_loop(PAT_ALTERNATE, count / 4, 0); /* warm-up: page faults, frequency, the allocator */
    for (int r = 0; r < runs; r++) {
        for (int i = 0; i < 4; i++) {
            plain_result a = plain_loop(pats[i], count, 0);
            plain_result b = plain_loop(pats[i], count, 1);
            wall[i][r] = a.wall_ns;
            cpu[i][r] = a.cpu_ns;
            smed[i][r] = b.slice_median;
            smean[i][r] = b.slice_mean;
        }
    }
    printf("plain loop: %llu heartbeats to one node, default configuration, timed as a whole; median of %d loops\n",
           (unsigned long long)count, runs);
    printf("| arrivals | whole loop, wall ns/hb | whole loop, CPU ns/hb | slices of %llu: median ns/hb | slices: mean "
           "ns/hb |\n",
           (unsigned long long)SLICE);
    printf("|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < 4; i++) {
        printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", pattern_name(pats[i]), summarize(wall[i], runs).median,
               summarize(cpu[i], runs).median, summarize(smed[i], runs).median, summarize(smean[i], runs).median);
    }
    fflush(stdout);
}

/* ----- the machine's own two-thread ceiling ------------------------------------------------------ */

/* Each thread increments its own counter (a volatile store per increment, so the loop really
 * writes memory) until told to stop. Counters either sit on separate 64-byte cache lines (the
 * ceiling: nothing shared is written) or side by side on one line (false sharing: every increment
 * moves the line between cores, the cost a shared lock word or sequence counter puts on a
 * heartbeat). */
typedef struct {
    _Alignas(64) volatile uint64_t count;
    char pad[64 - sizeof(uint64_t)];
} padded_counter;

static padded_counter private_counters[2];
static struct { _Alignas(64) volatile uint64_t count[2]; } shared_line;
static atomic_int ceiling_go, ceiling_stop;
static uint64_t ceiling_cpu[2]; /* CPU time each thread got, ns */

typedef struct {
    volatile uint64_t *counter;
    uint64_t *cpu;
} ceiling_arg;

static void *ceiling_thread(void *arg) {
    const ceiling_arg *a = (const ceiling_arg *)arg;
    volatile uint64_t *c = a->counter;
    while (!atomic_load_explicit(&ceiling_go, memory_order_acquire)) {
    }
    uint64_t c0 = cpu_ns();
    while (!atomic_load_explicit(&ceiling_stop, memory_order_relaxed)) {
        for (int i = 0; i < 1024; i++) *c = *c + 1;
    }
    *a->cpu = cpu_ns() - c0;
    return NULL;
}

/* Increments per second of `threads` threads (1 or 2) on counters `c[0..threads)`, for `ms` ms;
 * `*per_cpu_s` receives the increments per second of CPU time the threads actually got (with
 * fewer idle CPUs than threads, the wall-clock rate falls but this one does not). */
static double ceiling_rate(int threads, volatile uint64_t *c[2], int ms, double *per_cpu_s) {
    pthread_t th[2];
    ceiling_arg args[2] = {{c[0], &ceiling_cpu[0]}, {c[1], &ceiling_cpu[1]}};
    atomic_store(&ceiling_go, 0);
    atomic_store(&ceiling_stop, 0);
    for (int i = 0; i < threads; i++) {
        *c[i] = 0;
        if (pthread_create(&th[i], NULL, ceiling_thread, &args[i]) != 0) {
            fprintf(stderr, "FAIL: pthread_create\n");
            failures++;
            return NAN;
        }
    }
    uint64_t t0 = now_ns();
    atomic_store_explicit(&ceiling_go, 1, memory_order_release);
    struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&d, NULL);
    atomic_store_explicit(&ceiling_stop, 1, memory_order_relaxed);
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    uint64_t t1 = now_ns();
    uint64_t cpu = 0;
    for (int i = 0; i < threads; i++) {
        total += *c[i];
        cpu += ceiling_cpu[i];
    }
    *per_cpu_s = cpu ? (double)total / ((double)cpu / 1e9) : NAN;
    return (double)total / ((double)(t1 - t0) / 1e9);
}

/* --ceiling: 1 thread vs 2 threads on private, line-separated counters, and 2 threads on one line,
 * rounds of 300 ms each, the three in turn within a round; medians over rounds, and the ratios of
 * each round's figures (so a change of load between rounds does not enter a ratio). */
static void bench_ceiling(const options *o) {
    int rounds = o->smoke ? 1 : (o->runs < 9 ? o->runs : 9), ms = o->smoke ? 20 : 300;
    double one[MAX_RUNS], two[MAX_RUNS], same[MAX_RUNS], r_two[MAX_RUNS], r_same[MAX_RUNS];
    double cpu_one[MAX_RUNS], cpu_two[MAX_RUNS], cpu_same[MAX_RUNS];
    volatile uint64_t *priv[2] = {&private_counters[0].count, &private_counters[1].count};
    volatile uint64_t *shared[2] = {&shared_line.count[0], &shared_line.count[1]};
    for (int r = 0; r < rounds; r++) {
        one[r] = ceiling_rate(1, priv, ms, &cpu_one[r]);
        two[r] = ceiling_rate(2, priv, ms, &cpu_two[r]);
        same[r] = ceiling_rate(2, shared, ms, &cpu_same[r]);
        r_two[r] = two[r] / one[r];
        r_same[r] = same[r] / one[r];
    }
    double lo = summarize(r_two, rounds).p10, hi = summarize(r_two, rounds).p90;
    printf("two-thread ceiling of this machine (%d rounds of %d ms; median, ratios per round):\n", rounds, ms);
    printf("| counters | threads | Mincrements/s (wall) | / 1 thread | Mincrements per CPU-second |\n"
           "|---|---:|---:|---:|---:|\n");
    printf("| private, own cache line | 1 | %.0f | 1.00x | %.0f |\n", summarize(one, rounds).median / 1e6,
           summarize(cpu_one, rounds).median / 1e6);
    printf("| private, own cache line | 2 | %.0f | %.2fx (p10 %.2fx, p90 %.2fx) | %.0f |\n",
           summarize(two, rounds).median / 1e6, summarize(r_two, rounds).median, lo, hi,
           summarize(cpu_two, rounds).median / 1e6);
    printf("| private, one shared cache line | 2 | %.0f | %.2fx | %.0f |\n", summarize(same, rounds).median / 1e6,
           summarize(r_same, rounds).median, summarize(cpu_same, rounds).median / 1e6);
    fflush(stdout);
}

int main(int argc, char **argv) {
    options o = {100000, 1000, 21, 0, 0, 0, 0};
    if (argc == 4 && strcmp(argv[1], "--memory-only") == 0) {
        uint64_t n, w;
        if (!parse_u64(argv[2], &n) || !parse_u64(argv[3], &w) || n == 0 || w == 0) return 2;
        init_jitter();
        events_cap = 4096;
        events_buf = calloc(events_cap, sizeof *events_buf);
        if (!events_buf) return 1;
        double rss, heap;
        bench_memory_window(n, w, &rss, &heap);
        printf("%.3f %.3f\n", rss, heap);
        return failures ? 1 : 0;
    }
    for (int a = 1; a < argc; a++) {
        uint64_t v;
        if (strcmp(argv[a], "--auth-only") == 0) {
            o.auth_only = 1;
        } else if (strcmp(argv[a], "--plain-loop") == 0) {
            o.plain_only = 1;
        } else if (strcmp(argv[a], "--ceiling") == 0) {
            o.ceiling_only = 1;
        } else if (strcmp(argv[a], "--smoke") == 0) {
            o.smoke = 1;
            o.big_nodes = 2000;
            o.window = 50;
            o.runs = 3;
        } else if (a + 1 < argc && strcmp(argv[a], "--nodes") == 0 && parse_u64(argv[a + 1], &v) && v >= 200 &&
                   v <= (1ULL << 22)) {
            o.big_nodes = v;
            a++;
        } else if (a + 1 < argc && strcmp(argv[a], "--window") == 0 && parse_u64(argv[a + 1], &v) && v >= 4) {
            o.window = v;
            a++;
        } else if (a + 1 < argc && strcmp(argv[a], "--runs") == 0 && parse_u64(argv[a + 1], &v) && v >= 1 &&
                   v <= MAX_RUNS) {
            o.runs = (int)v;
            a++;
        } else {
            fprintf(stderr,
                    "usage: %s [--nodes 200..4194304] [--window W>=4] [--runs 1..%d] [--smoke] [--auth-only] "
                    "[--plain-loop] [--ceiling]\n",
                    argv[0], MAX_RUNS);
            return 2;
        }
    }
    init_jitter();
    events_cap = (size_t)o.big_nodes;
    events_buf = calloc(events_cap, sizeof *events_buf);
    if (!events_buf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    print_machine();
    print_load("at start");
    printf("window %llu, large monitor %llu nodes, %d runs per measurement%s\n\n", (unsigned long long)o.window,
           (unsigned long long)o.big_nodes, o.runs, o.smoke ? " (smoke: sizes too small for real figures)" : "");

    const phifd_estimator est[3] = {PHIFD_ESTIMATOR_AKKA, PHIFD_ESTIMATOR_NORMAL, PHIFD_ESTIMATOR_EXPONENTIAL};
    double checksum = 0.0;
    double rss[3], heap[3];
    uint64_t mid_nodes = o.smoke ? 100 : 1000;
    uint64_t t_start = now_ns();
    if (o.plain_only || o.ceiling_only) {
        if (o.plain_only) bench_plain_loop(&o);
        if (o.ceiling_only) bench_ceiling(&o);
        print_load("at end");
        free(events_buf);
        return failures ? 1 : 0;
    }
    bench_ceiling(&o);
    bench_plain_loop(&o);
    bench_auth(&o);
    if (o.auth_only) {
        print_load("at end");
        free(events_buf);
        return failures ? 1 : 0;
    }
    for (int i = 0; i < 3; i++) {
        printf("%s:\n", estimator_name(est[i]));
        bench_small(est[i], 1, &o, "hot node", &checksum);
        bench_small(est[i], mid_nodes, &o, "many nodes", &checksum);
        bench_big(est[i], &o, &checksum, &rss[i], &heap[i]);
    }
    uint64_t small_window = o.window / 10 > 0 ? o.window / 10 : 1;
    double rss_small, heap_small;
    memory_in_fresh_process(o.big_nodes, small_window, &rss_small, &heap_small);
    /* 70 % of the node count: with 64 shards, 70,000 nodes put about 1,094 nodes in each shard,
     * just past a doubling of the shards' node arrays (capacity 2,048), the least favourable
     * point for the fixed part. */
    uint64_t odd_nodes = o.big_nodes * 7 / 10;
    double rss_odd, heap_odd;
    memory_in_fresh_process(odd_nodes, o.window, &rss_odd, &heap_odd);
    double lat_big = memory_latency_ns(o.smoke ? ((size_t)1 << 22) : ((size_t)1 << 28), o.smoke ? 100000 : 5000000);
    double lat_small = memory_latency_ns((size_t)1 << 16, o.smoke ? 100000 : 5000000);

    double target = 4.0 * (double)o.window + 256.0;
    printf("\nmemory, %llu nodes with full windows (growth of the process, per node; the normal and\n"
           "exponential monitors are built after earlier ones were freed, so their RSS can miss reused\n"
           "pages: their heap figure is the reliable one; the other rows come from fresh processes):\n",
           (unsigned long long)o.big_nodes);
    for (int i = 0; i < 3; i++) {
        printf("  window %5llu %-12s RSS %8.1f B/node, heap %8.1f B/node  (target %.0f B/node)\n",
               (unsigned long long)o.window, estimator_name(est[i]), rss[i], heap[i], target);
    }
    printf("  window %5llu %-12s RSS %8.1f B/node, heap %8.1f B/node  (target %.0f B/node)\n",
           (unsigned long long)small_window, "akka", rss_small, heap_small, 4.0 * (double)small_window + 256.0);
    printf("  window %5llu %-12s RSS %8.1f B/node, heap %8.1f B/node  (target %.0f B/node; %llu nodes)\n",
           (unsigned long long)o.window, "akka", rss_odd, heap_odd, target, (unsigned long long)odd_nodes);
    double dw = (double)(o.window - small_window);
    double rss_per_sample = (rss[0] - rss_small) / dw, heap_per_sample = (heap[0] - heap_small) / dw;
    printf("  two-window fit (akka): RSS %.2f B/sample + %.1f B/node; heap %.2f B/sample + %.1f B/node"
           "  (target 4 B/sample + 256 B/node)\n",
           rss_per_sample, rss_small - rss_per_sample * (double)small_window, heap_per_sample,
           heap_small - heap_per_sample * (double)small_window);

    printf("\nreference: one dependent random load: %.1f ns in a %s buffer, %.1f ns in a 64 KiB buffer\n", lat_big,
           o.smoke ? "4 MiB" : "256 MiB", lat_small);

    printf("\n| measurement | estimator | nodes | unit | median | p10 | p90 | note |\n");
    printf("|---|---|---:|---|---:|---:|---:|---|\n");
    for (int i = 0; i < nrows; i++) {
        row *r = &rows[i];
        printf("| %s | %s | %llu | %s | %.1f | %.1f | %.1f | %s |\n", r->what, r->estimator,
               (unsigned long long)r->nodes, r->unit, r->s.median, r->s.p10, r->s.p90, r->note);
    }
    print_load("at end");
    printf("\ntotal %.1f s, phi checksum %.6g\n", (double)(now_ns() - t_start) / 1e9, checksum);
    free(events_buf);
    if (failures) {
        fprintf(stderr, "%d functional failure(s)\n", failures);
        return 1;
    }
    return 0;
}
