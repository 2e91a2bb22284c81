/*
 * The bad-input battery: calls every function of include/phifd.h with NULL for each pointer,
 * NaN, +/-infinity, zero, UINT64_MAX, freed handles, handles of the wrong type, buffers of
 * size 0 and 1, lengths no buffer can have (SIZE_MAX, PTRDIFF_MAX + 1) and misaligned typed
 * pointers, checks that each returns the status the header documents, and that the library
 * stays usable after every call (a sentinel monitor keeps answering).
 *
 * Prints a Markdown table (function x input -> status) on stdout; docs/bad-inputs.md is this
 * output, and `make test-bad-inputs` fails if they differ. Exits 1 (after printing the table) if
 * any status differs from the documented one; mismatches are listed on stderr.
 *
 * Where the header documents no bound (e.g. UINT64_MAX for a duration that must be "> 0"), the
 * battery accepts either PHIFD_OK or PHIFD_ERR_INVALID_ARG, and the row says "(bound not
 * documented)": the point there is that the call answers instead of crashing.
 *
 * Build: see mk/hardening.mk (links the static library).
 */
#include <math.h>
#include <stdbool.h>
#include <phifd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MASK(s) (1u << (s))
#define UNDOC (MASK(PHIFD_OK) | MASK(PHIFD_ERR_INVALID_ARG))

static int failures = 0;
static int rows = 0;
static phifd_monitor *sentinel = NULL;

/* The library still works: a fresh config and monitor can be made, and the sentinel answers. */
static void usable(const char *after) {
    phifd_config *c = NULL;
    phifd_monitor *m = NULL;
    double phi = -1.0;
    int ok = phifd_config_new(&c) == PHIFD_OK && phifd_monitor_new(c, &m) == PHIFD_OK &&
             phifd_heartbeat(sentinel, 1, 1, 1000000000ull) == PHIFD_OK &&
             phifd_phi(sentinel, 1, 1500000000ull, &phi) == PHIFD_OK && phi >= 0.0 && phi < 1.0;
    phifd_monitor_free(m);
    phifd_config_free(c);
    if (!ok) {
        fprintf(stderr, "FAIL: library unusable after %s\n", after);
        failures++;
    }
}

static void row_mask(const char *fn, const char *input, unsigned expect_mask, const char *note, phifd_status got) {
    rows++;
    printf("| `%s` | %s | `%s`%s |\n", fn, input, phifd_status_name(got), note);
    if (got > 31 || !(expect_mask & MASK(got))) {
        fprintf(stderr, "FAIL: %s with %s gave %s: %s\n", fn, input, phifd_status_name(got),
                phifd_last_error_message());
        failures++;
    }
    usable(fn);
}

#define ROW(fn, input, expect, call) row_mask(#fn, input, MASK(expect), "", (call))
#define ROW_UNDOC(fn, input, call) row_mask(#fn, input, UNDOC, " (bound not documented)", (call))

/* A row for a function without a status: `ok` says whether it behaved as documented. */
static void row_void(const char *fn, const char *input, int ok, const char *result) {
    rows++;
    printf("| `%s` | %s | %s |\n", fn, input, result);
    if (!ok) {
        fprintf(stderr, "FAIL: %s with %s: %s\n", fn, input, result);
        failures++;
    }
    usable(fn);
}

static phifd_config *fresh_config(void) {
    phifd_config *c = NULL;
    if (phifd_config_new(&c) != PHIFD_OK) abort();
    return c;
}

static phifd_monitor *fresh_monitor(void) {
    phifd_monitor *m = NULL;
    if (phifd_monitor_new(NULL, &m) != PHIFD_OK) abort();
    return m;
}

static void u64_setter(const char *name, phifd_status (*set)(phifd_config *, uint64_t), phifd_config *freed,
                       int zero_ok, int max_documented_bad) {
    phifd_config *c = fresh_config();
    row_mask(name, "`cfg` NULL", MASK(PHIFD_ERR_NULL_ARG), "", set(NULL, 1000000));
    row_mask(name, "freed `cfg`", MASK(PHIFD_ERR_INVALID_HANDLE), "", set(freed, 1000000));
    row_mask(name, "0", MASK(zero_ok ? PHIFD_OK : PHIFD_ERR_INVALID_ARG), "", set(c, 0));
    if (max_documented_bad)
        row_mask(name, "UINT64_MAX", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, UINT64_MAX));
    else
        row_mask(name, "UINT64_MAX", UNDOC, " (bound not documented)", set(c, UINT64_MAX));
    phifd_config_free(c);
}

static void f64_setter(const char *name, phifd_status (*set)(phifd_config *, double), phifd_config *freed, int zero_ok,
                       double good) {
    phifd_config *c = fresh_config();
    row_mask(name, "`cfg` NULL", MASK(PHIFD_ERR_NULL_ARG), "", set(NULL, good));
    row_mask(name, "freed `cfg`", MASK(PHIFD_ERR_INVALID_HANDLE), "", set(freed, good));
    row_mask(name, "NaN", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, NAN));
    row_mask(name, "+infinity", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, INFINITY));
    row_mask(name, "-infinity", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, -INFINITY));
    row_mask(name, "-1", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, -1.0));
    row_mask(name, "0", MASK(zero_ok ? PHIFD_OK : PHIFD_ERR_INVALID_ARG), "", set(c, 0.0));
    phifd_config_free(c);
}

static void u32_setter(const char *name, phifd_status (*set)(phifd_config *, uint32_t), phifd_config *freed,
                       int zero_ok, uint32_t max_ok) {
    phifd_config *c = fresh_config();
    row_mask(name, "`cfg` NULL", MASK(PHIFD_ERR_NULL_ARG), "", set(NULL, 1));
    row_mask(name, "freed `cfg`", MASK(PHIFD_ERR_INVALID_HANDLE), "", set(freed, 1));
    row_mask(name, "0", MASK(zero_ok ? PHIFD_OK : PHIFD_ERR_INVALID_ARG), "", set(c, 0));
    char buf[64];
    snprintf(buf, sizeof buf, "%u (largest allowed)", (unsigned)max_ok);
    row_mask(name, buf, MASK(PHIFD_OK), "", set(c, max_ok));
    snprintf(buf, sizeof buf, "%u", (unsigned)max_ok + 1u);
    row_mask(name, buf, MASK(PHIFD_ERR_INVALID_ARG), "", set(c, max_ok + 1u));
    row_mask(name, "UINT32_MAX", MASK(PHIFD_ERR_INVALID_ARG), "", set(c, UINT32_MAX));
    phifd_config_free(c);
}

static const uint8_t *valid_datagram(uint8_t *buf) {
    phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, 0, 7, 3, 5, 99, 123};
    size_t w = 0;
    if (phifd_datagram_encode(&d, buf, PHIFD_DATAGRAM_SIZE, &w) != PHIFD_OK) abort();
    return buf;
}

/* A valid generation file for generation `g`, built from the documented layout: magic
 * `PHIFDGEN`, format version 1 (u32 LE), reserved 0 (u32), generation (u64 LE), FNV-1a 64 of
 * bytes 0..24 (u64 LE). */
static void generation_file(uint8_t b[32], uint64_t g) {
    memset(b, 0, 32);
    memcpy(b, "PHIFDGEN", 8);
    b[8] = 1;
    for (int i = 0; i < 8; i++) b[16 + i] = (uint8_t)(g >> (8 * i));
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 24; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    for (int i = 0; i < 8; i++) b[24 + i] = (uint8_t)(h >> (8 * i));
}

/* One byte past `p`: a pointer into real storage that is misaligned for every type wider than a
 * byte (the storage is 16-byte aligned). */
static void *odd(void *p) { return (unsigned char *)p + 1; }

/* The rows of one config getter: NULL and dead handles, NULL and misaligned `out`; `*out`
 * must stay untouched by every refused call. */
#define GETTER_ROWS(fn, T)                                                                                             \
    do {                                                                                                               \
        phifd_config *c_ = fresh_config();                                                                             \
        _Alignas(8) unsigned char raw_[2 * sizeof(T)];                                                                 \
        T v_;                                                                                                          \
        memset(&v_, 0x5a, sizeof v_);                                                                                  \
        T before_ = v_;                                                                                                \
        ROW(fn, "`cfg` NULL", PHIFD_ERR_NULL_ARG, fn(NULL, &v_));                                                      \
        ROW(fn, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE, fn(freed_cfg, &v_));                                          \
        ROW(fn, "a monitor handle", PHIFD_ERR_INVALID_HANDLE, fn((const phifd_config *)sentinel, &v_));                \
        ROW(fn, "`out` NULL", PHIFD_ERR_NULL_ARG, fn(c_, NULL));                                                       \
        ROW(fn, "`out` misaligned", PHIFD_ERR_INVALID_ARG, fn(c_, (T *)odd(raw_)));                                    \
        row_void(#fn, "the same five: `*out`", memcmp(&v_, &before_, sizeof v_) == 0, "untouched");                    \
        phifd_config_free(c_);                                                                                         \
    } while (0)

int main(void) {
    sentinel = fresh_monitor();
    const uint64_t T = 1000000000ull; /* 1 s */

    phifd_config *freed_cfg = fresh_config();
    phifd_config_free(freed_cfg);
    phifd_monitor *freed_mon = fresh_monitor();
    phifd_monitor_free(freed_mon);
    phifd_generation *freed_gen = NULL;
    if (phifd_generation_new_in_memory(1, &freed_gen) != PHIFD_OK) abort();
    phifd_generation_free(freed_gen);

    printf("<!-- Generated by tests/bad_inputs/bad_inputs.c (make bad-inputs-doc); checked by make test-bad-inputs. "
           "-->\n");
    printf("# Bad inputs: what every function returns\n\n");
    printf("Every function of `include/phifd.h` called with NULL for each pointer, NaN, infinities, zero,\n");
    printf("`UINT64_MAX`, freed handles, handles of the wrong type, buffers of size 0 and 1, lengths no\n");
    printf("buffer can have (`SIZE_MAX`, `PTRDIFF_MAX + 1`) and typed pointers that are not aligned for\n");
    printf("their type (real buffers throughout: only the length or the alignment lies). Each status\n");
    printf("is the one the header documents (the battery fails otherwise), and after every call the\n");
    printf("library is checked to be still usable. \"(bound not documented)\" marks values for which the\n");
    printf("header states no limit: the battery then accepts `PHIFD_OK` or `PHIFD_ERR_INVALID_ARG`.\n\n");
    printf("| function | input | result |\n| --- | --- | --- |\n");

    /* Plain functions. */
    row_void("phifd_version", "(none)", phifd_version() != NULL && strcmp(phifd_version(), PHIFD_VERSION_STRING) == 0,
             "the header's version string");
    row_void("phifd_now_ns", "(none)", phifd_now_ns() > 0, "a positive time");
    row_void("phifd_status_name", "UINT32_MAX", strcmp(phifd_status_name(UINT32_MAX), "PHIFD_UNKNOWN_STATUS") == 0,
             "`\"PHIFD_UNKNOWN_STATUS\"`");
    row_void("phifd_last_error_message", "(none)", phifd_last_error_message() != NULL, "a non-NULL string");
    row_void("phifd_state_name", "4 (past the last state)", strcmp(phifd_state_name(4), "INVALID") == 0,
             "`\"INVALID\"`");
    row_void("phifd_state_name", "UINT32_MAX", strcmp(phifd_state_name(UINT32_MAX), "INVALID") == 0, "`\"INVALID\"`");
    row_void("phifd_event_kind_name", "2 (past the last kind)", strcmp(phifd_event_kind_name(2), "INVALID") == 0,
             "`\"INVALID\"`");
    row_void("phifd_event_kind_name", "UINT32_MAX", strcmp(phifd_event_kind_name(UINT32_MAX), "INVALID") == 0,
             "`\"INVALID\"`");

    /* Configuration. */
    ROW(phifd_config_new, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_config_new(NULL));
    phifd_config_free(NULL);
    row_void("phifd_config_free", "NULL", 1, "ignored");
    phifd_config_free(freed_cfg);
    row_void("phifd_config_free", "freed `cfg`", 1, "ignored");
    phifd_config_free((phifd_config *)sentinel);
    row_void("phifd_config_free", "a monitor handle", 1, "ignored");
    {
        phifd_config *c = fresh_config();
        ROW(phifd_config_set_estimator, "`cfg` NULL", PHIFD_ERR_NULL_ARG, phifd_config_set_estimator(NULL, 0));
        ROW(phifd_config_set_estimator, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_set_estimator(freed_cfg, 0));
        ROW(phifd_config_set_estimator, "a monitor handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_set_estimator((phifd_config *)sentinel, 0));
        ROW(phifd_config_set_estimator, "3 (unknown code)", PHIFD_ERR_INVALID_ARG, phifd_config_set_estimator(c, 3));
        ROW(phifd_config_set_estimator, "UINT32_MAX", PHIFD_ERR_INVALID_ARG, phifd_config_set_estimator(c, UINT32_MAX));
        ROW(phifd_config_set_threshold, "1e6 (largest allowed)", PHIFD_OK, phifd_config_set_threshold(c, 1e6));
        ROW(phifd_config_set_threshold, "2e6", PHIFD_ERR_INVALID_ARG, phifd_config_set_threshold(c, 2e6));
        ROW(phifd_config_set_threshold, "DBL_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_threshold(c, 1.7976931348623157e308));
        ROW(phifd_config_set_window, "1", PHIFD_OK, phifd_config_set_window(c, 1));
        ROW(phifd_config_set_window, "1048576 (largest allowed)", PHIFD_OK, phifd_config_set_window(c, 1048576));
        ROW(phifd_config_set_window, "1048577", PHIFD_ERR_INVALID_ARG, phifd_config_set_window(c, 1048577));
        ROW(phifd_config_set_heartbeat_interval_ns, "999", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_heartbeat_interval_ns(c, 999));
        ROW(phifd_config_set_heartbeat_interval_ns, "1000 (smallest allowed)", PHIFD_OK,
            phifd_config_set_heartbeat_interval_ns(c, 1000));
        ROW(phifd_config_set_burst_fraction, "1 (excluded)", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_burst_fraction(c, 1.0));
        ROW(phifd_config_set_confirmation_min_ratio, "1 (largest allowed)", PHIFD_OK,
            phifd_config_set_confirmation_min_ratio(c, 1.0));
        ROW(phifd_config_set_confirmation_min_ratio, "1.0000001", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_confirmation_min_ratio(c, 1.0000001));
        phifd_config_free(c);
    }
    f64_setter("phifd_config_set_threshold", phifd_config_set_threshold, freed_cfg, 0, 8.0);
    f64_setter("phifd_config_set_suspect_threshold", phifd_config_set_suspect_threshold, freed_cfg, 0, 4.0);
    f64_setter("phifd_config_set_burst_fraction", phifd_config_set_burst_fraction, freed_cfg, 1, 0.25);
    f64_setter("phifd_config_set_confirmation_min_ratio", phifd_config_set_confirmation_min_ratio, freed_cfg, 0, 0.5);
    u64_setter("phifd_config_set_window", phifd_config_set_window, freed_cfg, 0, 1);
    u64_setter("phifd_config_set_heartbeat_interval_ns", phifd_config_set_heartbeat_interval_ns, freed_cfg, 0, 0);
    u64_setter("phifd_config_set_min_std_deviation_ns", phifd_config_set_min_std_deviation_ns, freed_cfg, 0, 0);
    u64_setter("phifd_config_set_acceptable_pause_ns", phifd_config_set_acceptable_pause_ns, freed_cfg, 1, 1);
    u64_setter("phifd_config_set_max_interval_ns", phifd_config_set_max_interval_ns, freed_cfg, 0, 0);
    u64_setter("phifd_config_set_round_trip_ns", phifd_config_set_round_trip_ns, freed_cfg, 0, 0);
    u64_setter("phifd_config_set_first_heartbeat_timeout_ns", phifd_config_set_first_heartbeat_timeout_ns, freed_cfg, 0,
               0);
    u64_setter("phifd_config_set_local_pause_threshold_ns", phifd_config_set_local_pause_threshold_ns, freed_cfg, 0, 0);
    u64_setter("phifd_config_set_local_pause_grace_ns", phifd_config_set_local_pause_grace_ns, freed_cfg, 1, 0);
    u32_setter("phifd_config_set_recovery_heartbeats", phifd_config_set_recovery_heartbeats, freed_cfg, 0, 255);
    u32_setter("phifd_config_set_max_local_health", phifd_config_set_max_local_health, freed_cfg, 1, 64);
    u32_setter("phifd_config_set_confirmations_expected", phifd_config_set_confirmations_expected, freed_cfg, 0, 64);
    u64_setter("phifd_config_set_max_nodes", phifd_config_set_max_nodes, freed_cfg, 0, 1);
    u32_setter("phifd_config_set_membership", phifd_config_set_membership, freed_cfg, 1, PHIFD_MEMBERSHIP_FIXED);

    /* Configuration getters. */
    GETTER_ROWS(phifd_config_get_estimator, phifd_estimator);
    GETTER_ROWS(phifd_config_get_threshold, double);
    GETTER_ROWS(phifd_config_get_suspect_threshold, double);
    GETTER_ROWS(phifd_config_get_window, uint64_t);
    GETTER_ROWS(phifd_config_get_heartbeat_interval_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_min_std_deviation_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_acceptable_pause_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_max_interval_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_round_trip_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_first_heartbeat_timeout_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_recovery_heartbeats, uint32_t);
    GETTER_ROWS(phifd_config_get_local_pause_threshold_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_local_pause_grace_ns, uint64_t);
    GETTER_ROWS(phifd_config_get_burst_fraction, double);
    GETTER_ROWS(phifd_config_get_max_local_health, uint32_t);
    GETTER_ROWS(phifd_config_get_confirmations_expected, uint32_t);
    GETTER_ROWS(phifd_config_get_confirmation_min_ratio, double);
    GETTER_ROWS(phifd_config_get_max_nodes, uint64_t);
    GETTER_ROWS(phifd_config_get_membership, phifd_membership);
    {
        /* A derived default of settings that do not combine (suspect threshold above the threshold). */
        phifd_config *c = fresh_config();
        phifd_config_set_suspect_threshold(c, 9.0);
        uint64_t v = 55;
        ROW(phifd_config_get_first_heartbeat_timeout_ns, "not set, suspect threshold 9 >= threshold 8",
            PHIFD_ERR_INVALID_ARG, phifd_config_get_first_heartbeat_timeout_ns(c, &v));
        ROW(phifd_config_get_local_pause_threshold_ns, "not set, suspect threshold 9 >= threshold 8",
            PHIFD_ERR_INVALID_ARG, phifd_config_get_local_pause_threshold_ns(c, &v));
        ROW(phifd_config_get_local_pause_grace_ns, "not set, suspect threshold 9 >= threshold 8", PHIFD_ERR_INVALID_ARG,
            phifd_config_get_local_pause_grace_ns(c, &v));
        row_void("phifd_config_get_local_pause_grace_ns", "the same three: `*out`", v == 55, "untouched");
        phifd_config_free(c);
    }

    /* Monitor creation. */
    {
        phifd_monitor *m = NULL;
        phifd_config *c = fresh_config();
        ROW(phifd_monitor_new, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_new(NULL, NULL));
        ROW(phifd_monitor_new, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE, phifd_monitor_new(freed_cfg, &m));
        ROW(phifd_monitor_new, "a monitor handle as `cfg`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_new((const phifd_config *)sentinel, &m));
        phifd_config_set_threshold(c, 4.0);
        phifd_config_set_suspect_threshold(c, 4.0);
        ROW(phifd_monitor_new, "suspect threshold = threshold", PHIFD_ERR_INVALID_ARG, phifd_monitor_new(c, &m));
        phifd_config_free(c);
        c = fresh_config();
        phifd_config_set_max_interval_ns(c, T);
        ROW(phifd_monitor_new, "max interval = heartbeat interval", PHIFD_ERR_INVALID_ARG, phifd_monitor_new(c, &m));
        phifd_config_free(c);
        c = fresh_config();
        phifd_config_set_round_trip_ns(c, 2 * T);
        ROW(phifd_monitor_new, "round trip > heartbeat interval", PHIFD_ERR_INVALID_ARG, phifd_monitor_new(c, &m));
        phifd_config_free(c);
        ROW(phifd_monitor_new, "`cfg` NULL (defaults)", PHIFD_OK, phifd_monitor_new(NULL, &m));
        phifd_monitor_free(m);
        phifd_monitor_free(NULL);
        row_void("phifd_monitor_free", "NULL", 1, "ignored");
        phifd_monitor_free(freed_mon);
        row_void("phifd_monitor_free", "freed `m`", 1, "ignored");
    }

    /* Monitor calls. */
    {
        phifd_monitor *m = fresh_monitor();
        phifd_monitor *cfg_as_mon = (phifd_monitor *)fresh_config();
        bool counted = false;
        double phi = 0.0;
        uint64_t u = 0;
        uint32_t h = 0;
        size_t n = 0;

        ROW(phifd_heartbeat, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_heartbeat(NULL, 1, 1, T));
        ROW(phifd_heartbeat, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_heartbeat(freed_mon, 1, 1, T));
        ROW(phifd_heartbeat, "a config handle as `m`", PHIFD_ERR_INVALID_HANDLE, phifd_heartbeat(cfg_as_mon, 1, 1, T));
        ROW(phifd_heartbeat, "`now_ns` 0", PHIFD_OK, phifd_heartbeat(m, 1, 1, 0));
        ROW(phifd_heartbeat, "`now_ns` UINT64_MAX", PHIFD_OK, phifd_heartbeat(m, 2, 1, UINT64_MAX));
        ROW(phifd_heartbeat, "time going backwards", PHIFD_OK, phifd_heartbeat(m, 2, 1, T));
        ROW(phifd_heartbeat, "generation UINT64_MAX (above 2^48)", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat(m, UINT64_MAX, UINT64_MAX, T));
        ROW(phifd_heartbeat, "generation 2^48 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat(m, UINT64_MAX, PHIFD_MAX_GENERATION + 1, T));
        ROW(phifd_heartbeat, "node UINT64_MAX, generation 2^48 (the bound)", PHIFD_OK,
            phifd_heartbeat(m, UINT64_MAX, PHIFD_MAX_GENERATION, T));
        ROW(phifd_heartbeat, "generation lower than the node's", PHIFD_ERR_STALE_GENERATION,
            phifd_heartbeat(m, UINT64_MAX, 0, T));
        ROW(phifd_heartbeat_version, "`m` NULL", PHIFD_ERR_NULL_ARG,
            phifd_heartbeat_version(NULL, 1, 1, 1, T, &counted));
        ROW(phifd_heartbeat_version, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_heartbeat_version(freed_mon, 1, 1, 1, T, &counted));
        ROW(phifd_heartbeat_version, "`out_counted` NULL", PHIFD_OK, phifd_heartbeat_version(m, 3, 1, 1, T, NULL));
        ROW(phifd_heartbeat_version, "version UINT64_MAX", PHIFD_OK,
            phifd_heartbeat_version(m, 3, 1, UINT64_MAX, 2 * T, &counted));
        ROW(phifd_heartbeat_version, "version 0 after UINT64_MAX (duplicate)", PHIFD_OK,
            phifd_heartbeat_version(m, 3, 1, 0, 3 * T, &counted));
        row_void("phifd_heartbeat_version", "the same: `*out_counted`", !counted, "false");
        ROW(phifd_heartbeat_version, "generation lower than the node's", PHIFD_ERR_STALE_GENERATION,
            phifd_heartbeat_version(m, 3, 0, 5, 3 * T, &counted));
        ROW(phifd_heartbeat_version, "generation UINT64_MAX (above 2^48)", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_version(m, 3, UINT64_MAX, 6, 3 * T, &counted));

        ROW(phifd_node_report_suspect, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_report_suspect(NULL, 1, 2));
        ROW(phifd_node_report_suspect, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_node_report_suspect(freed_mon, 1, 2));
        ROW(phifd_node_report_suspect, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_report_suspect(m, 77, 2));
        ROW(phifd_node_report_suspect, "`reporter` = `node`", PHIFD_ERR_INVALID_ARG,
            phifd_node_report_suspect(m, 1, 1));
        ROW(phifd_node_report_suspect, "reporter UINT64_MAX", PHIFD_OK, phifd_node_report_suspect(m, 1, UINT64_MAX));

        ROW(phifd_monitor_set_local_health, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_set_local_health(NULL, 0));
        ROW(phifd_monitor_set_local_health, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_set_local_health(freed_mon, 0));
        ROW(phifd_monitor_set_local_health, "8 (above the default maximum 7)", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_local_health(m, 8));
        ROW(phifd_monitor_set_local_health, "UINT32_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_local_health(m, UINT32_MAX));
        ROW(phifd_monitor_set_local_health, "0", PHIFD_OK, phifd_monitor_set_local_health(m, 0));
        ROW(phifd_monitor_get_local_health, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_get_local_health(NULL, &h));
        ROW(phifd_monitor_get_local_health, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_get_local_health(m, NULL));
        ROW(phifd_monitor_get_local_health, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_get_local_health(freed_mon, &h));

        ROW(phifd_node_add, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_add(NULL, 5, 1, T));
        ROW(phifd_node_add, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_node_add(freed_mon, 5, 1, T));
        ROW(phifd_node_add, "generation UINT64_MAX (above 2^48)", PHIFD_ERR_INVALID_ARG,
            phifd_node_add(m, UINT64_MAX - 1, UINT64_MAX, T));
        ROW(phifd_node_add, "node, time UINT64_MAX, generation 2^48", PHIFD_OK,
            phifd_node_add(m, UINT64_MAX - 1, PHIFD_MAX_GENERATION, UINT64_MAX));
        ROW(phifd_node_add, "already monitored", PHIFD_OK, phifd_node_add(m, 1, 1, T));
        ROW(phifd_node_remove, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_remove(NULL, 1));
        ROW(phifd_node_remove, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_node_remove(freed_mon, 1));
        ROW(phifd_node_remove, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_remove(m, 77));
        ROW(phifd_node_remove, "node UINT64_MAX - 1", PHIFD_OK, phifd_node_remove(m, UINT64_MAX - 1));
        ROW(phifd_node_remove, "the same again", PHIFD_ERR_UNKNOWN_NODE, phifd_node_remove(m, UINT64_MAX - 1));

        ROW(phifd_phi, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_phi(NULL, 1, T, &phi));
        ROW(phifd_phi, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_phi(m, 1, T, NULL));
        ROW(phifd_phi, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_phi(freed_mon, 1, T, &phi));
        ROW(phifd_phi, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_phi(m, 77, T, &phi));
        ROW(phifd_phi, "`now_ns` 0 (before the arrival)", PHIFD_OK, phifd_phi(m, 2, 0, &phi));
        row_void("phifd_phi", "the same: `*out`", phi >= 0.0 && isfinite(phi), "finite, >= 0");
        ROW(phifd_phi, "`now_ns` UINT64_MAX", PHIFD_OK, phifd_phi(m, 1, UINT64_MAX, &phi));
        row_void("phifd_phi", "the same: `*out`", phi >= 0.0 && isfinite(phi), "finite, >= 0");

        phifd_node_info info;
        memset(&info, 0, sizeof info);
        ROW(phifd_node_get_info, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_get_info(NULL, 1, T, &info));
        ROW(phifd_node_get_info, "`info` NULL", PHIFD_ERR_NULL_ARG, phifd_node_get_info(m, 1, T, NULL));
        info.size = sizeof info;
        ROW(phifd_node_get_info, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_node_get_info(freed_mon, 1, T, &info));
        ROW(phifd_node_get_info, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_get_info(m, 77, T, &info));
        info.size = 0;
        ROW(phifd_node_get_info, "`size` 0", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_node_get_info(m, 1, T, &info));
        info.size = 1;
        ROW(phifd_node_get_info, "`size` 1", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_node_get_info(m, 1, T, &info));
        info.size = 95;
        ROW(phifd_node_get_info, "`size` 95", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_node_get_info(m, 1, T, &info));
        info.size = 96;
        ROW(phifd_node_get_info, "`size` 96 (version 1)", PHIFD_OK, phifd_node_get_info(m, 1, T, &info));
        row_void("phifd_node_get_info", "the same: `size` out", info.size == 96, "96");
        info.size = UINT32_MAX;
        ROW(phifd_node_get_info, "`size` UINT32_MAX", PHIFD_OK, phifd_node_get_info(m, 1, UINT64_MAX, &info));
        row_void("phifd_node_get_info", "the same: `size` out", info.size == sizeof info, "sizeof(phifd_node_info)");

        ROW(phifd_node_time_until_phi, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_time_until_phi(NULL, 1, 8.0, &u));
        ROW(phifd_node_time_until_phi, "`out_ns` NULL", PHIFD_ERR_NULL_ARG, phifd_node_time_until_phi(m, 1, 8.0, NULL));
        ROW(phifd_node_time_until_phi, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_node_time_until_phi(freed_mon, 1, 8.0, &u));
        ROW(phifd_node_time_until_phi, "unknown node", PHIFD_ERR_UNKNOWN_NODE,
            phifd_node_time_until_phi(m, 77, 8.0, &u));
        ROW(phifd_node_time_until_phi, "`phi` NaN", PHIFD_ERR_INVALID_ARG, phifd_node_time_until_phi(m, 1, NAN, &u));
        ROW(phifd_node_time_until_phi, "`phi` +infinity", PHIFD_ERR_INVALID_ARG,
            phifd_node_time_until_phi(m, 1, INFINITY, &u));
        ROW(phifd_node_time_until_phi, "`phi` -infinity", PHIFD_ERR_INVALID_ARG,
            phifd_node_time_until_phi(m, 1, -INFINITY, &u));
        ROW(phifd_node_time_until_phi, "`phi` -1", PHIFD_ERR_INVALID_ARG, phifd_node_time_until_phi(m, 1, -1.0, &u));
        ROW(phifd_node_time_until_phi, "`phi` 0", PHIFD_OK, phifd_node_time_until_phi(m, 1, 0.0, &u));
        row_void("phifd_node_time_until_phi", "the same: `*out_ns`", u == 0, "0");
        ROW(phifd_node_time_until_phi, "`phi` DBL_MAX", PHIFD_OK,
            phifd_node_time_until_phi(m, 1, 1.7976931348623157e308, &u));

        phifd_event ev[2];
        ROW(phifd_monitor_poll, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_poll(NULL, T, ev, 2, &n));
        ROW(phifd_monitor_poll, "`written` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_poll(m, T, ev, 2, NULL));
        ROW(phifd_monitor_poll, "`events` NULL, `cap` 1", PHIFD_ERR_NULL_ARG, phifd_monitor_poll(m, T, NULL, 1, &n));
        ROW(phifd_monitor_poll, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_monitor_poll(freed_mon, T, ev, 2, &n));
        ROW(phifd_monitor_poll, "`events` NULL, `cap` 0", PHIFD_OK, phifd_monitor_poll(m, T, NULL, 0, &n));
        row_void("phifd_monitor_poll", "the same: `*written`", n == 0, "0");
        ROW(phifd_monitor_poll, "`cap` 1", PHIFD_OK, phifd_monitor_poll(m, T, ev, 1, &n));
        row_void("phifd_monitor_poll", "the same: `*written`", n == 1, "1 (more stay queued)");
        ROW(phifd_monitor_poll, "`now_ns` UINT64_MAX", PHIFD_OK, phifd_monitor_poll(m, UINT64_MAX, ev, 2, &n));

        ROW(phifd_monitor_node_count, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_node_count(NULL, &u));
        ROW(phifd_monitor_node_count, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_node_count(m, NULL));
        ROW(phifd_monitor_node_count, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_monitor_node_count(freed_mon, &u));

        phifd_monitor_stats st;
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        ROW(phifd_monitor_get_stats, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_get_stats(NULL, &st));
        ROW(phifd_monitor_get_stats, "`stats` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_get_stats(m, NULL));
        ROW(phifd_monitor_get_stats, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_monitor_get_stats(freed_mon, &st));
        st.size = 0;
        ROW(phifd_monitor_get_stats, "`size` 0", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_monitor_get_stats(m, &st));
        st.size = 1;
        ROW(phifd_monitor_get_stats, "`size` 1", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_monitor_get_stats(m, &st));
        st.size = 39;
        ROW(phifd_monitor_get_stats, "`size` 39", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_monitor_get_stats(m, &st));
        st.size = 40;
        ROW(phifd_monitor_get_stats, "`size` 40 (version 1)", PHIFD_OK, phifd_monitor_get_stats(m, &st));

        uint64_t nodes[2] = {1, 2}, gens[2] = {1, 1}, times[2] = {5 * T, 5 * T};
        phifd_status sts[2];
        ROW(phifd_heartbeat_batch, "`m` NULL", PHIFD_ERR_NULL_ARG,
            phifd_heartbeat_batch(NULL, nodes, gens, times, 2, sts));
        ROW(phifd_heartbeat_batch, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_heartbeat_batch(freed_mon, nodes, gens, times, 2, sts));
        ROW(phifd_heartbeat_batch, "`nodes` NULL", PHIFD_ERR_NULL_ARG,
            phifd_heartbeat_batch(m, NULL, gens, times, 2, sts));
        ROW(phifd_heartbeat_batch, "`generations` NULL", PHIFD_ERR_NULL_ARG,
            phifd_heartbeat_batch(m, nodes, NULL, times, 2, sts));
        ROW(phifd_heartbeat_batch, "`times_ns` NULL", PHIFD_ERR_NULL_ARG,
            phifd_heartbeat_batch(m, nodes, gens, NULL, 2, sts));
        ROW(phifd_heartbeat_batch, "`count` 0, all NULL", PHIFD_OK,
            phifd_heartbeat_batch(m, NULL, NULL, NULL, 0, NULL));
        ROW(phifd_heartbeat_batch, "`statuses` NULL", PHIFD_OK, phifd_heartbeat_batch(m, nodes, gens, times, 2, NULL));
        gens[1] = 0;
        ROW(phifd_heartbeat_batch, "second record stale", PHIFD_ERR_STALE_GENERATION,
            phifd_heartbeat_batch(m, nodes, gens, times, 2, sts));
        row_void("phifd_heartbeat_batch", "the same: `statuses`",
                 sts[0] == PHIFD_OK && sts[1] == PHIFD_ERR_STALE_GENERATION,
                 "`PHIFD_OK`, `PHIFD_ERR_STALE_GENERATION`");

        double phis[2];
        uint64_t ids[2] = {1, 77};
        ROW(phifd_phi_batch, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_phi_batch(NULL, ids, 2, T, phis, sts));
        ROW(phifd_phi_batch, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_phi_batch(freed_mon, ids, 2, T, phis, sts));
        ROW(phifd_phi_batch, "`nodes` NULL", PHIFD_ERR_NULL_ARG, phifd_phi_batch(m, NULL, 2, T, phis, sts));
        ROW(phifd_phi_batch, "`out_phi` NULL", PHIFD_ERR_NULL_ARG, phifd_phi_batch(m, ids, 2, T, NULL, sts));
        ROW(phifd_phi_batch, "`count` 0, all NULL", PHIFD_OK, phifd_phi_batch(m, NULL, 0, T, NULL, NULL));
        ROW(phifd_phi_batch, "an unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_phi_batch(m, ids, 2, T, phis, NULL));
        row_void("phifd_phi_batch", "the same: its `out_phi` entry", isnan(phis[1]) && !isnan(phis[0]), "NaN");

        phifd_snapshot_entry ent[2];
        ROW(phifd_monitor_snapshot, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_snapshot(NULL, T, ent, 2, &n));
        ROW(phifd_monitor_snapshot, "`total` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_snapshot(m, T, ent, 2, NULL));
        ROW(phifd_monitor_snapshot, "`entries` NULL, `cap` 1", PHIFD_ERR_NULL_ARG,
            phifd_monitor_snapshot(m, T, NULL, 1, &n));
        ROW(phifd_monitor_snapshot, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_snapshot(freed_mon, T, ent, 2, &n));
        ROW(phifd_monitor_snapshot, "`entries` NULL, `cap` 0", PHIFD_OK, phifd_monitor_snapshot(m, T, NULL, 0, &n));
        ROW(phifd_monitor_snapshot, "`cap` 1", PHIFD_OK, phifd_monitor_snapshot(m, UINT64_MAX, ent, 1, &n));
        row_void("phifd_monitor_snapshot", "the same: `*total`", n == 4, "4 (all nodes, more than `cap`)");

        char text[1 << 16];
        ROW(phifd_monitor_render_prometheus, "`m` NULL", PHIFD_ERR_NULL_ARG,
            phifd_monitor_render_prometheus(NULL, T, text, sizeof text, &n));
        ROW(phifd_monitor_render_prometheus, "`needed` NULL", PHIFD_ERR_NULL_ARG,
            phifd_monitor_render_prometheus(m, T, text, sizeof text, NULL));
        ROW(phifd_monitor_render_prometheus, "`buf` NULL, `cap` 1", PHIFD_ERR_NULL_ARG,
            phifd_monitor_render_prometheus(m, T, NULL, 1, &n));
        ROW(phifd_monitor_render_prometheus, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_render_prometheus(freed_mon, T, text, sizeof text, &n));
        n = 0;
        ROW(phifd_monitor_render_prometheus, "`buf` NULL, `cap` 0", PHIFD_ERR_BUFFER_TOO_SMALL,
            phifd_monitor_render_prometheus(m, T, NULL, 0, &n));
        row_void("phifd_monitor_render_prometheus", "the same: `*needed`", n > 0, "the text's length");
        text[0] = 'x';
        ROW(phifd_monitor_render_prometheus, "`cap` 1", PHIFD_ERR_BUFFER_TOO_SMALL,
            phifd_monitor_render_prometheus(m, T, text, 1, &n));
        row_void("phifd_monitor_render_prometheus", "the same: `buf`", text[0] == 'x', "untouched");
        ROW(phifd_monitor_render_prometheus, "`now_ns` UINT64_MAX", PHIFD_OK,
            phifd_monitor_render_prometheus(m, UINT64_MAX, text, sizeof text, &n));
        row_void("phifd_monitor_render_prometheus", "the same: text", strlen(text) == n && strstr(text, "NaN") == NULL,
                 "NUL-terminated, no NaN");

        phifd_monitor_free(m);
        phifd_config_free((phifd_config *)cfg_as_mon);
    }

    /* Bounded state: max_nodes and fixed membership. */
    {
        phifd_config *c = fresh_config();
        phifd_monitor *m = NULL;
        phifd_config_set_max_nodes(c, 1);
        if (phifd_monitor_new(c, &m) != PHIFD_OK) abort();
        ROW(phifd_heartbeat, "max_nodes 1: the first node", PHIFD_OK, phifd_heartbeat(m, 1, 0, T));
        ROW(phifd_heartbeat, "max_nodes 1: a second node", PHIFD_ERR_CAPACITY, phifd_heartbeat(m, 2, 0, T));
        ROW(phifd_node_add, "max_nodes 1: a second node", PHIFD_ERR_CAPACITY, phifd_node_add(m, 2, 0, T));
        ROW(phifd_heartbeat, "max_nodes 1: the first node again", PHIFD_OK, phifd_heartbeat(m, 1, 0, 2 * T));
        phifd_monitor_free(m);
        phifd_config_free(c);
        c = fresh_config();
        phifd_config_set_membership(c, PHIFD_MEMBERSHIP_FIXED);
        if (phifd_monitor_new(c, &m) != PHIFD_OK) abort();
        ROW(phifd_heartbeat, "fixed membership: unregistered node", PHIFD_ERR_UNKNOWN_NODE,
            phifd_heartbeat(m, 1, 0, T));
        ROW(phifd_heartbeat_version, "fixed membership: unregistered node", PHIFD_ERR_UNKNOWN_NODE,
            phifd_heartbeat_version(m, 1, 0, 1, T, NULL));
        ROW(phifd_node_add, "fixed membership: registration", PHIFD_OK, phifd_node_add(m, 1, 0, T));
        ROW(phifd_heartbeat, "fixed membership: registered node", PHIFD_OK, phifd_heartbeat(m, 1, 0, 2 * T));
        phifd_monitor_free(m);
        phifd_config_free(c);
    }

    /* Datagrams. */
    {
        uint8_t buf[64], good[PHIFD_DATAGRAM_SIZE];
        phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT,
                            PHIFD_DATAGRAM_FLAG_LEADER,
                            UINT64_MAX,
                            UINT64_MAX,
                            UINT64_MAX,
                            UINT64_MAX,
                            UINT64_MAX};
        size_t w = 0;
        valid_datagram(good);
        ROW(phifd_datagram_encode, "`datagram` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode(NULL, buf, sizeof buf, &w));
        ROW(phifd_datagram_encode, "`buf` NULL", PHIFD_ERR_NULL_ARG, phifd_datagram_encode(&d, NULL, sizeof buf, &w));
        ROW(phifd_datagram_encode, "`written` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode(&d, buf, sizeof buf, NULL));
        ROW(phifd_datagram_encode, "`cap` 0", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_datagram_encode(&d, buf, 0, &w));
        ROW(phifd_datagram_encode, "`cap` 1", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_datagram_encode(&d, buf, 1, &w));
        ROW(phifd_datagram_encode, "`cap` 55", PHIFD_ERR_BUFFER_TOO_SMALL, phifd_datagram_encode(&d, buf, 55, &w));
        ROW(phifd_datagram_encode, "all fields UINT64_MAX (generation above 2^48)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode(&d, buf, 56, &w));
        d.generation = PHIFD_MAX_GENERATION;
        ROW(phifd_datagram_encode, "term UINT64_MAX (above 2^48)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode(&d, buf, 56, &w));
        d.term = PHIFD_MAX_GENERATION;
        ROW(phifd_datagram_encode, "generation, term 2^48, other fields UINT64_MAX, `cap` 56", PHIFD_OK,
            phifd_datagram_encode(&d, buf, 56, &w));
        {
            phifd_datagram big = {PHIFD_DATAGRAM_HEARTBEAT, 0, 1, PHIFD_MAX_GENERATION, 0, 1, 0};
            uint8_t forged[PHIFD_DATAGRAM_SIZE];
            if (phifd_datagram_encode(&big, forged, sizeof forged, &w) != PHIFD_OK) abort();
            forged[22] = 2; /* generation 2^49, resealed: FNV-1a 64 of bytes 0..48 */
            uint64_t hash = 0xcbf29ce484222325ull;
            for (int i = 0; i < 48; i++) hash = (hash ^ forged[i]) * 0x100000001b3ull;
            for (int i = 0; i < 8; i++) forged[48 + i] = (uint8_t)(hash >> (8 * i));
            ROW(phifd_datagram_decode, "checksum valid, generation 2^49", PHIFD_ERR_MALFORMED,
                phifd_datagram_decode(forged, sizeof forged, &big));
        }
        d.kind = 2;
        ROW(phifd_datagram_encode, "`kind` 2 (unknown)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode(&d, buf, sizeof buf, &w));
        d.kind = PHIFD_DATAGRAM_HEARTBEAT;
        d.flags = 2;
        ROW(phifd_datagram_encode, "`flags` 2 (undefined bit)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode(&d, buf, sizeof buf, &w));
        ROW(phifd_datagram_decode, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_datagram_decode(good, sizeof good, NULL));
        ROW(phifd_datagram_decode, "`buf` NULL, `len` 56", PHIFD_ERR_NULL_ARG, phifd_datagram_decode(NULL, 56, &d));
        ROW(phifd_datagram_decode, "`buf` NULL, `len` 0", PHIFD_ERR_MALFORMED, phifd_datagram_decode(NULL, 0, &d));
        ROW(phifd_datagram_decode, "`len` 0", PHIFD_ERR_MALFORMED, phifd_datagram_decode(good, 0, &d));
        ROW(phifd_datagram_decode, "`len` 1", PHIFD_ERR_MALFORMED, phifd_datagram_decode(good, 1, &d));
        ROW(phifd_datagram_decode, "`len` 55", PHIFD_ERR_MALFORMED, phifd_datagram_decode(good, 55, &d));
        memcpy(buf, good, sizeof good);
        buf[56] = 0;
        ROW(phifd_datagram_decode, "`len` 57", PHIFD_ERR_MALFORMED, phifd_datagram_decode(buf, 57, &d));
        buf[20] ^= 1;
        ROW(phifd_datagram_decode, "one bit flipped", PHIFD_ERR_MALFORMED, phifd_datagram_decode(buf, 56, &d));
        memset(buf, 0xff, sizeof buf);
        ROW(phifd_datagram_decode, "56 bytes 0xff", PHIFD_ERR_MALFORMED, phifd_datagram_decode(buf, 56, &d));
        ROW(phifd_datagram_decode, "a valid datagram", PHIFD_OK, phifd_datagram_decode(good, sizeof good, &d));
    }

    /* Keyrings and authenticated datagrams. */
    {
        static const uint8_t key[65] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        phifd_keyring *k = NULL, *freed_ring = NULL, *empty = NULL;
        uint32_t id = 0;
        size_t w = 0;
        bool counted = false;
        uint8_t buf[PHIFD_AUTH_DATAGRAM_SIZE + 1], good[PHIFD_AUTH_DATAGRAM_SIZE], plain[PHIFD_DATAGRAM_SIZE];
        phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, 0, 7, 3, 5, 99, 123};
        phifd_datagram out;
        if (phifd_keyring_new(&freed_ring) != PHIFD_OK) abort();
        phifd_keyring_free(freed_ring);
        if (phifd_keyring_new(&empty) != PHIFD_OK) abort();
        ROW(phifd_keyring_new, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_keyring_new(NULL));
        ROW(phifd_keyring_new, "valid", PHIFD_OK, phifd_keyring_new(&k));
        ROW(phifd_keyring_add_key, "`k` NULL", PHIFD_ERR_NULL_ARG, phifd_keyring_add_key(NULL, 1, key, 32));
        ROW(phifd_keyring_add_key, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_keyring_add_key(freed_ring, 1, key, 32));
        ROW(phifd_keyring_add_key, "a monitor handle as `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_keyring_add_key((const phifd_keyring *)sentinel, 1, key, 32));
        ROW(phifd_keyring_add_key, "`key` NULL, `key_len` 32", PHIFD_ERR_NULL_ARG,
            phifd_keyring_add_key(k, 1, NULL, 32));
        ROW(phifd_keyring_add_key, "`key` NULL, `key_len` 0", PHIFD_ERR_INVALID_ARG,
            phifd_keyring_add_key(k, 1, NULL, 0));
        ROW(phifd_keyring_add_key, "`key_len` 1", PHIFD_ERR_INVALID_ARG, phifd_keyring_add_key(k, 1, key, 1));
        ROW(phifd_keyring_add_key, "`key_len` 15", PHIFD_ERR_INVALID_ARG, phifd_keyring_add_key(k, 1, key, 15));
        ROW(phifd_keyring_add_key, "`key_len` 65", PHIFD_ERR_INVALID_ARG, phifd_keyring_add_key(k, 1, key, 65));
        ROW(phifd_keyring_add_key, "`key_len` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_keyring_add_key(k, 1, key, SIZE_MAX));
        ROW(phifd_keyring_add_key, "`key_id` UINT32_MAX, `key_len` 16", PHIFD_OK,
            phifd_keyring_add_key(k, UINT32_MAX, key, 16));
        ROW(phifd_keyring_add_key, "the same `key_id` again", PHIFD_ERR_INVALID_ARG,
            phifd_keyring_add_key(k, UINT32_MAX, key, 32));
        ROW(phifd_keyring_add_key, "`key_id` 0, `key_len` 64", PHIFD_OK, phifd_keyring_add_key(k, 0, key, 64));
        for (uint32_t i = 1; i < PHIFD_KEYRING_MAX_KEYS - 1; i++)
            if (phifd_keyring_add_key(k, i, key, 32) != PHIFD_OK) abort();
        ROW(phifd_keyring_add_key, "a 17th key", PHIFD_ERR_INVALID_ARG, phifd_keyring_add_key(k, 1000, key, 32));
        ROW(phifd_keyring_set_signing_key, "`k` NULL", PHIFD_ERR_NULL_ARG, phifd_keyring_set_signing_key(NULL, 0));
        ROW(phifd_keyring_set_signing_key, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_keyring_set_signing_key(freed_ring, 0));
        ROW(phifd_keyring_set_signing_key, "an id not in the ring", PHIFD_ERR_UNKNOWN_KEY,
            phifd_keyring_set_signing_key(k, 1000));
        ROW(phifd_keyring_set_signing_key, "`key_id` 0", PHIFD_OK, phifd_keyring_set_signing_key(k, 0));
        ROW(phifd_keyring_get_signing_key, "`k` NULL", PHIFD_ERR_NULL_ARG, phifd_keyring_get_signing_key(NULL, &id));
        ROW(phifd_keyring_get_signing_key, "`out_key_id` NULL", PHIFD_ERR_NULL_ARG,
            phifd_keyring_get_signing_key(k, NULL));
        ROW(phifd_keyring_get_signing_key, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_keyring_get_signing_key(freed_ring, &id));
        ROW(phifd_keyring_get_signing_key, "an empty keyring", PHIFD_ERR_UNKNOWN_KEY,
            phifd_keyring_get_signing_key(empty, &id));
        ROW(phifd_keyring_remove_key, "`k` NULL", PHIFD_ERR_NULL_ARG, phifd_keyring_remove_key(NULL, 1));
        ROW(phifd_keyring_remove_key, "freed `k`", PHIFD_ERR_INVALID_HANDLE, phifd_keyring_remove_key(freed_ring, 1));
        ROW(phifd_keyring_remove_key, "an id not in the ring", PHIFD_ERR_UNKNOWN_KEY,
            phifd_keyring_remove_key(k, 1000));
        ROW(phifd_keyring_remove_key, "the signing key", PHIFD_ERR_INVALID_ARG, phifd_keyring_remove_key(k, 0));
        ROW(phifd_keyring_remove_key, "another key", PHIFD_OK, phifd_keyring_remove_key(k, 1));

        ROW(phifd_datagram_encode_auth, "`k` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode_auth(NULL, &d, buf, sizeof buf, &w));
        ROW(phifd_datagram_encode_auth, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_datagram_encode_auth(freed_ring, &d, buf, sizeof buf, &w));
        ROW(phifd_datagram_encode_auth, "an empty keyring", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode_auth(empty, &d, buf, sizeof buf, &w));
        ROW(phifd_datagram_encode_auth, "`datagram` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode_auth(k, NULL, buf, sizeof buf, &w));
        ROW(phifd_datagram_encode_auth, "`buf` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode_auth(k, &d, NULL, sizeof buf, &w));
        ROW(phifd_datagram_encode_auth, "`written` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_encode_auth(k, &d, buf, sizeof buf, NULL));
        ROW(phifd_datagram_encode_auth, "`cap` 0", PHIFD_ERR_BUFFER_TOO_SMALL,
            phifd_datagram_encode_auth(k, &d, buf, 0, &w));
        ROW(phifd_datagram_encode_auth, "`cap` 67", PHIFD_ERR_BUFFER_TOO_SMALL,
            phifd_datagram_encode_auth(k, &d, buf, 67, &w));
        ROW(phifd_datagram_encode_auth, "`cap` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode_auth(k, &d, buf, SIZE_MAX, &w));
        d.kind = 2;
        ROW(phifd_datagram_encode_auth, "`kind` 2 (unknown)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode_auth(k, &d, buf, sizeof buf, &w));
        d.kind = PHIFD_DATAGRAM_HEARTBEAT;
        d.generation = UINT64_MAX;
        ROW(phifd_datagram_encode_auth, "`generation` UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_encode_auth(k, &d, buf, sizeof buf, &w));
        d.generation = 3;
        ROW(phifd_datagram_encode_auth, "valid, `cap` 68", PHIFD_OK,
            phifd_datagram_encode_auth(k, &d, good, sizeof good, &w));
        if (phifd_datagram_encode(&d, plain, sizeof plain, &w) != PHIFD_OK) abort();

        ROW(phifd_datagram_decode_auth, "`k` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_decode_auth(NULL, good, 68, &out));
        ROW(phifd_datagram_decode_auth, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_datagram_decode_auth(freed_ring, good, 68, &out));
        ROW(phifd_datagram_decode_auth, "`out` NULL", PHIFD_ERR_NULL_ARG,
            phifd_datagram_decode_auth(k, good, 68, NULL));
        ROW(phifd_datagram_decode_auth, "`buf` NULL, `len` 68", PHIFD_ERR_NULL_ARG,
            phifd_datagram_decode_auth(k, NULL, 68, &out));
        ROW(phifd_datagram_decode_auth, "`buf` NULL, `len` 0", PHIFD_ERR_MALFORMED,
            phifd_datagram_decode_auth(k, NULL, 0, &out));
        ROW(phifd_datagram_decode_auth, "`len` 1", PHIFD_ERR_MALFORMED, phifd_datagram_decode_auth(k, good, 1, &out));
        ROW(phifd_datagram_decode_auth, "`len` 67", PHIFD_ERR_MALFORMED, phifd_datagram_decode_auth(k, good, 67, &out));
        memcpy(buf, good, sizeof good);
        buf[68] = 0;
        ROW(phifd_datagram_decode_auth, "`len` 69", PHIFD_ERR_MALFORMED, phifd_datagram_decode_auth(k, buf, 69, &out));
        ROW(phifd_datagram_decode_auth, "`len` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_decode_auth(k, good, SIZE_MAX, &out));
        ROW(phifd_datagram_decode_auth, "an unauthenticated 56-byte datagram", PHIFD_ERR_MALFORMED,
            phifd_datagram_decode_auth(k, plain, sizeof plain, &out));
        memset(buf, 0xff, sizeof buf);
        ROW(phifd_datagram_decode_auth, "68 bytes 0xff", PHIFD_ERR_MALFORMED,
            phifd_datagram_decode_auth(k, buf, 68, &out));
        memcpy(buf, good, sizeof good);
        buf[48] ^= 0x40;
        ROW(phifd_datagram_decode_auth, "key id not in the ring", PHIFD_ERR_UNKNOWN_KEY,
            phifd_datagram_decode_auth(k, buf, 68, &out));
        memcpy(buf, good, sizeof good);
        buf[20] ^= 1;
        ROW(phifd_datagram_decode_auth, "one field bit flipped", PHIFD_ERR_AUTH,
            phifd_datagram_decode_auth(k, buf, 68, &out));
        memcpy(buf, good, sizeof good);
        memset(buf + 52, 0, 16);
        ROW(phifd_datagram_decode_auth, "a zero tag", PHIFD_ERR_AUTH, phifd_datagram_decode_auth(k, buf, 68, &out));
        ROW(phifd_datagram_decode_auth, "another keyring (no key 0)", PHIFD_ERR_UNKNOWN_KEY,
            phifd_datagram_decode_auth(empty, good, 68, &out));
        ROW(phifd_datagram_decode_auth, "a valid datagram", PHIFD_OK, phifd_datagram_decode_auth(k, good, 68, &out));

        phifd_monitor *m = fresh_monitor();
        ROW(phifd_monitor_receive, "`m` NULL", PHIFD_ERR_NULL_ARG,
            phifd_monitor_receive(NULL, k, good, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_receive(freed_mon, k, good, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "freed `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_receive(m, freed_ring, good, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "a monitor handle as `k`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_receive(m, (const phifd_keyring *)sentinel, good, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "`out` NULL", PHIFD_ERR_NULL_ARG,
            phifd_monitor_receive(m, k, good, 68, 1, NULL, &counted));
        ROW(phifd_monitor_receive, "`buf` NULL, `len` 68", PHIFD_ERR_NULL_ARG,
            phifd_monitor_receive(m, k, NULL, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "`buf` NULL, `len` 0", PHIFD_ERR_MALFORMED,
            phifd_monitor_receive(m, k, NULL, 0, 1, &out, &counted));
        ROW(phifd_monitor_receive, "`len` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_receive(m, k, good, SIZE_MAX, 1, &out, &counted));
        ROW(phifd_monitor_receive, "keyring, 56-byte datagram", PHIFD_ERR_MALFORMED,
            phifd_monitor_receive(m, k, plain, sizeof plain, 1, &out, &counted));
        ROW(phifd_monitor_receive, "no keyring, 68-byte datagram", PHIFD_ERR_MALFORMED,
            phifd_monitor_receive(m, NULL, good, 68, 1, &out, &counted));
        memcpy(buf, good, sizeof good);
        buf[60] ^= 1;
        ROW(phifd_monitor_receive, "tag bit flipped", PHIFD_ERR_AUTH,
            phifd_monitor_receive(m, k, buf, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "keyring without the key", PHIFD_ERR_UNKNOWN_KEY,
            phifd_monitor_receive(m, empty, good, 68, 1, &out, &counted));
        ROW(phifd_monitor_receive, "valid, `out_counted` NULL", PHIFD_OK,
            phifd_monitor_receive(m, k, good, 68, 1, &out, NULL));
        counted = true;
        ROW(phifd_monitor_receive, "the same bytes again", PHIFD_OK,
            phifd_monitor_receive(m, k, good, 68, 2, &out, &counted));
        row_void("phifd_monitor_receive", "the same bytes again: `*out_counted`", !counted, "false");
        phifd_monitor_free(m);

        phifd_keyring_free(k);
        phifd_keyring_free(empty);
        phifd_keyring_free(NULL);
        row_void("phifd_keyring_free", "NULL", 1, "ignored");
        phifd_keyring_free(freed_ring);
        row_void("phifd_keyring_free", "freed `k`", 1, "ignored");
        phifd_keyring_free((phifd_keyring *)sentinel);
        double phi = -1.0;
        row_void("phifd_keyring_free", "a monitor handle", phifd_phi(sentinel, 1, 1500000000ull, &phi) == PHIFD_OK,
                 "ignored (the monitor lives on)");
    }

    /* Generation clocks. */
    {
        char dir[] = "/tmp/phifd-bad-inputs-XXXXXX";
        if (!mkdtemp(dir)) abort();
        char path[256], missing[256], corrupt[256];
        snprintf(path, sizeof path, "%s/gen", dir);
        snprintf(missing, sizeof missing, "%s/no/such/dir/gen", dir);
        snprintf(corrupt, sizeof corrupt, "%s/corrupt", dir);
        FILE *f = fopen(corrupt, "wb");
        if (!f) abort();
        fputs("not a generation file, but 32 b\n", f);
        fclose(f);
        phifd_generation *g = NULL, *g2 = NULL;
        uint64_t u = 0;
        bool down = false;
        ROW(phifd_generation_open, "`path` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_open(NULL, &g));
        ROW(phifd_generation_open, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_open(path, NULL));
        ROW(phifd_generation_open, "empty path", PHIFD_ERR_INVALID_ARG, phifd_generation_open("", &g));
        ROW(phifd_generation_open, "missing directory", PHIFD_ERR_IO, phifd_generation_open(missing, &g));
        ROW(phifd_generation_open, "a garbage file", PHIFD_ERR_CORRUPT, phifd_generation_open(corrupt, &g));
        ROW(phifd_generation_open, "a new file", PHIFD_OK, phifd_generation_open(path, &g));
        row_mask("phifd_generation_open", "the same file, still open", MASK(PHIFD_ERR_LOCKED), "",
                 phifd_generation_open(path, &g2));
        phifd_generation_free(g);
        phifd_generation_free(g2);
        ROW(phifd_generation_new_in_memory, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_new_in_memory(1, NULL));
        ROW(phifd_generation_new_in_memory, "2^48 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_generation_new_in_memory(PHIFD_MAX_GENERATION + 1, &g));
        ROW(phifd_generation_new_in_memory, "UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_generation_new_in_memory(UINT64_MAX, &g));
        ROW(phifd_generation_new_in_memory, "2^48", PHIFD_OK, phifd_generation_new_in_memory(PHIFD_MAX_GENERATION, &g));
        ROW(phifd_generation_advance, "at 2^48", PHIFD_ERR_INVALID_ARG, phifd_generation_advance(g, &u));
        phifd_generation_free(g);
        ROW(phifd_generation_new_in_memory, "0", PHIFD_OK, phifd_generation_new_in_memory(0, &g));
        ROW(phifd_generation_current, "`g` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_current(NULL, &u));
        ROW(phifd_generation_current, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_current(g, NULL));
        ROW(phifd_generation_current, "freed `g`", PHIFD_ERR_INVALID_HANDLE, phifd_generation_current(freed_gen, &u));
        ROW(phifd_generation_current, "a monitor handle as `g`", PHIFD_ERR_INVALID_HANDLE,
            phifd_generation_current((const phifd_generation *)sentinel, &u));
        ROW(phifd_generation_advance, "`g` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_advance(NULL, &u));
        ROW(phifd_generation_advance, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_advance(g, NULL));
        ROW(phifd_generation_advance, "freed `g`", PHIFD_ERR_INVALID_HANDLE, phifd_generation_advance(freed_gen, &u));
        ROW(phifd_generation_observe, "`g` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_observe(NULL, 1, &down));
        ROW(phifd_generation_observe, "`out_step_down` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_observe(g, 1, NULL));
        ROW(phifd_generation_observe, "freed `g`", PHIFD_ERR_INVALID_HANDLE,
            phifd_generation_observe(freed_gen, 1, &down));
        ROW(phifd_generation_observe, "`remote` UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_generation_observe(g, UINT64_MAX, &down));
        ROW(phifd_generation_observe, "`remote` 2^48 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_generation_observe(g, PHIFD_MAX_GENERATION + 1, &down));
        ROW(phifd_generation_observe, "`remote` 0", PHIFD_OK, phifd_generation_observe(g, 0, &down));
        row_void("phifd_generation_observe", "the same: `*out_step_down`", !down, "false");
        phifd_generation_free(g);
        phifd_generation_free(NULL);
        row_void("phifd_generation_free", "NULL", 1, "ignored");
        phifd_generation_free(freed_gen);
        row_void("phifd_generation_free", "freed `g`", 1, "ignored");

        uint8_t bytes[33] = {0};
        ROW(phifd_generation_parse, "`bytes` NULL, `len` 32", PHIFD_ERR_NULL_ARG, phifd_generation_parse(NULL, 32, &u));
        ROW(phifd_generation_parse, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_generation_parse(bytes, 32, NULL));
        ROW(phifd_generation_parse, "`bytes` NULL, `len` 0", PHIFD_ERR_CORRUPT, phifd_generation_parse(NULL, 0, &u));
        ROW(phifd_generation_parse, "`len` 1", PHIFD_ERR_CORRUPT, phifd_generation_parse(bytes, 1, &u));
        ROW(phifd_generation_parse, "32 zero bytes", PHIFD_ERR_CORRUPT, phifd_generation_parse(bytes, 32, &u));
        ROW(phifd_generation_parse, "33 bytes", PHIFD_ERR_CORRUPT, phifd_generation_parse(bytes, 33, &u));

        unlink(path);
        char lock[300];
        snprintf(lock, sizeof lock, "%s.lock", path);
        unlink(lock);
        unlink(corrupt);
        rmdir(dir);
    }

    /* Huge lengths and misaligned typed pointers for every pointer+length function. The buffers
     * are real and valid for their true size: only the length (SIZE_MAX, PTRDIFF_MAX + 1, or the
     * smallest count whose bytes exceed PTRDIFF_MAX) or the alignment lies, so a missing check
     * shows as a wrong status, not as a read out of bounds. */
    {
        const size_t P1 = (size_t)PTRDIFF_MAX + 1u;
        _Alignas(16) unsigned char raw[512];
        memset(raw, 0x5a, sizeof raw);
        phifd_monitor *m = fresh_monitor();
        if (phifd_heartbeat(m, 4, 1, T) != PHIFD_OK) abort();
        uint8_t dg[PHIFD_DATAGRAM_SIZE];
        valid_datagram(dg);
        const phifd_datagram keep = {77, 77, 77, 77, 77, 77, 77};
        phifd_datagram d = keep;

        ROW(phifd_datagram_decode, "`len` SIZE_MAX", PHIFD_ERR_INVALID_ARG, phifd_datagram_decode(dg, SIZE_MAX, &d));
        ROW(phifd_datagram_decode, "`len` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG, phifd_datagram_decode(dg, P1, &d));
        ROW(phifd_datagram_decode, "`len` PTRDIFF_MAX (56-byte buffer)", PHIFD_ERR_MALFORMED,
            phifd_datagram_decode(dg, PTRDIFF_MAX, &d));
        ROW(phifd_datagram_decode, "`out` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_decode(dg, sizeof dg, odd(raw)));
        row_void("phifd_datagram_decode", "the same four: `*out`", memcmp(&d, &keep, sizeof d) == 0, "untouched");

        uint8_t key[32];
        for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(3 * i + 1);
        phifd_keyring *k = NULL;
        uint8_t signed_dg[PHIFD_AUTH_DATAGRAM_SIZE];
        size_t w = 0;
        if (phifd_keyring_new(&k) != PHIFD_OK || phifd_keyring_add_key(k, 1, key, sizeof key) != PHIFD_OK) abort();
        phifd_datagram src = {PHIFD_DATAGRAM_HEARTBEAT, 0, 7, 3, 5, 99, 123};
        if (phifd_datagram_encode_auth(k, &src, signed_dg, sizeof signed_dg, &w) != PHIFD_OK) abort();
        ROW(phifd_datagram_decode_auth, "`len` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_decode_auth(k, signed_dg, P1, &d));
        ROW(phifd_datagram_decode_auth, "`len` PTRDIFF_MAX (68-byte buffer)", PHIFD_ERR_MALFORMED,
            phifd_datagram_decode_auth(k, signed_dg, PTRDIFF_MAX, &d));
        ROW(phifd_datagram_decode_auth, "`out` misaligned (valid datagram)", PHIFD_ERR_INVALID_ARG,
            phifd_datagram_decode_auth(k, signed_dg, sizeof signed_dg, odd(raw)));
        row_void("phifd_datagram_decode_auth", "the same three: `*out`", memcmp(&d, &keep, sizeof d) == 0, "untouched");
        bool counted = false;
        ROW(phifd_monitor_receive, "`len` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_receive(m, k, signed_dg, P1, T, &d, &counted));
        ROW(phifd_monitor_receive, "`out` misaligned (valid datagram)", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_receive(m, k, signed_dg, sizeof signed_dg, T, odd(raw), &counted));
        {
            uint64_t nodes_now = 0;
            int same = phifd_monitor_node_count(m, &nodes_now) == PHIFD_OK && nodes_now == 1 &&
                       memcmp(&d, &keep, sizeof d) == 0;
            row_void("phifd_monitor_receive", "the same two: `*out`, the monitor", same, "untouched, node 7 not added");
        }
        phifd_keyring_free(k);

        uint8_t file[32];
        uint64_t u = 99;
        generation_file(file, 41);
        ROW(phifd_generation_parse, "`len` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_generation_parse(file, SIZE_MAX, &u));
        ROW(phifd_generation_parse, "`len` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_generation_parse(file, P1, &u));
        ROW(phifd_generation_parse, "`len` PTRDIFF_MAX (32-byte buffer)", PHIFD_ERR_CORRUPT,
            phifd_generation_parse(file, PTRDIFF_MAX, &u));
        ROW(phifd_generation_parse, "`out` misaligned (valid file)", PHIFD_ERR_INVALID_ARG,
            phifd_generation_parse(file, sizeof file, odd(raw)));
        row_void("phifd_generation_parse", "the same four: `*out`", u == 99, "untouched");
        ROW(phifd_generation_parse, "the valid file", PHIFD_OK, phifd_generation_parse(file, sizeof file, &u));
        row_void("phifd_generation_parse", "the same: `*out`", u == 41, "41");

        /* Batches: three real elements per array. */
        const uint64_t nodes[3] = {10, 11, 12}, gens[3] = {1, 1, 1}, times[3] = {T, T, T};
        phifd_status sts[3] = {1234, 1234, 1234};
        const size_t huge_u64 = (size_t)PTRDIFF_MAX / sizeof(uint64_t) + 1u;
        ROW(phifd_heartbeat_batch, "`count` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, gens, times, SIZE_MAX, sts));
        ROW(phifd_heartbeat_batch, "`count` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, gens, times, P1, sts));
        ROW(phifd_heartbeat_batch, "`count` PTRDIFF_MAX / 8 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, gens, times, huge_u64, sts));
        ROW(phifd_heartbeat_batch, "`nodes` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, odd(raw), gens, times, 3, sts));
        ROW(phifd_heartbeat_batch, "`generations` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, odd(raw), times, 3, sts));
        ROW(phifd_heartbeat_batch, "`times_ns` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, gens, odd(raw), 3, sts));
        ROW(phifd_heartbeat_batch, "`statuses` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_heartbeat_batch(m, nodes, gens, times, 3, odd(raw)));
        {
            uint64_t nodes_now = 0;
            int same = phifd_monitor_node_count(m, &nodes_now) == PHIFD_OK && nodes_now == 1 && sts[0] == 1234 &&
                       sts[1] == 1234 && sts[2] == 1234;
            row_void("phifd_heartbeat_batch", "the same seven: the monitor, `statuses`", same,
                     "nothing recorded, untouched");
        }

        double phis[3] = {-1.0, -1.0, -1.0};
        const uint64_t ids[3] = {4, 4, 4};
        ROW(phifd_phi_batch, "`count` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, ids, SIZE_MAX, T, phis, sts));
        ROW(phifd_phi_batch, "`count` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, ids, P1, T, phis, sts));
        ROW(phifd_phi_batch, "`count` PTRDIFF_MAX / 8 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, ids, huge_u64, T, phis, sts));
        ROW(phifd_phi_batch, "`nodes` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, odd(raw), 3, T, phis, sts));
        ROW(phifd_phi_batch, "`out_phi` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, ids, 3, T, odd(raw), sts));
        ROW(phifd_phi_batch, "`statuses` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_phi_batch(m, ids, 3, T, phis, odd(raw)));
        row_void("phifd_phi_batch", "the same six: `out_phi`, `statuses`",
                 phis[0] == -1.0 && phis[1] == -1.0 && phis[2] == -1.0 && sts[0] == 1234, "untouched");

        /* Poll: the monitor holds one pending event (node 4 UNKNOWN -> ALIVE). */
        phifd_event ev[2];
        size_t n = 55;
        const size_t huge_ev = (size_t)PTRDIFF_MAX / sizeof(phifd_event) + 1u;
        ROW(phifd_monitor_poll, "`cap` SIZE_MAX", PHIFD_ERR_INVALID_ARG, phifd_monitor_poll(m, T, ev, SIZE_MAX, &n));
        ROW(phifd_monitor_poll, "`cap` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG, phifd_monitor_poll(m, T, ev, P1, &n));
        ROW(phifd_monitor_poll, "`cap` PTRDIFF_MAX / sizeof(phifd_event) + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_poll(m, T, ev, huge_ev, &n));
        ROW(phifd_monitor_poll, "`events` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_poll(m, T, odd(raw), 1, &n));
        ROW(phifd_monitor_poll, "`written` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_poll(m, T, ev, 2, odd(raw)));
        row_void("phifd_monitor_poll", "the same five: `*written`", n == 55, "untouched");
        ROW(phifd_monitor_poll, "`cap` 2 after the five", PHIFD_OK, phifd_monitor_poll(m, T, ev, 2, &n));
        row_void("phifd_monitor_poll", "the same: the event",
                 n == 1 && ev[0].node == 4 && ev[0].to == PHIFD_STATE_ALIVE, "still queued: node 4 UNKNOWN -> ALIVE");

        phifd_snapshot_entry ent[1];
        size_t total = 55;
        const size_t huge_ent = (size_t)PTRDIFF_MAX / sizeof(phifd_snapshot_entry) + 1u;
        ROW(phifd_monitor_snapshot, "`cap` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_snapshot(m, T, ent, SIZE_MAX, &total));
        ROW(phifd_monitor_snapshot, "`cap` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_snapshot(m, T, ent, P1, &total));
        ROW(phifd_monitor_snapshot, "`cap` PTRDIFF_MAX / sizeof(phifd_snapshot_entry) + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_snapshot(m, T, ent, huge_ent, &total));
        ROW(phifd_monitor_snapshot, "`entries` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_snapshot(m, T, odd(raw), 1, &total));
        ROW(phifd_monitor_snapshot, "`total` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_snapshot(m, T, ent, 1, odd(raw)));
        row_void("phifd_monitor_snapshot", "the same five: `*total`", total == 55, "untouched");

        char text[64];
        memset(text, 'x', sizeof text);
        size_t needed = 55;
        ROW(phifd_monitor_render_prometheus, "`cap` SIZE_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_render_prometheus(m, T, text, SIZE_MAX, &needed));
        ROW(phifd_monitor_render_prometheus, "`cap` PTRDIFF_MAX + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_render_prometheus(m, T, text, P1, &needed));
        ROW(phifd_monitor_render_prometheus, "`needed` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_render_prometheus(m, T, text, sizeof text, odd(raw)));
        row_void("phifd_monitor_render_prometheus", "the same three: `buf`, `*needed`", text[0] == 'x' && needed == 55,
                 "untouched");
        phifd_monitor_free(m);
    }

    /* QoS targets and live retuning. */
    {
        const phifd_qos good = {5 * T, 3600 * T, 0};
        const phifd_qos zero_td = {0, 3600 * T, 0};
        const phifd_qos zero_tmr = {5 * T, 0, 0};
        const phifd_qos zeros = {0, 0, 0};
        const phifd_qos huge_td = {UINT64_MAX, 3600 * T, 0};
        const phifd_qos huge_tm = {5 * T, 3600 * T, UINT64_MAX};
        const phifd_qos max_tmr = {5 * T, UINT64_MAX, 0};
        _Alignas(8) unsigned char raw[2 * sizeof(phifd_qos_report)];
        phifd_config *c = fresh_config();
        ROW(phifd_config_set_qos, "`cfg` NULL", PHIFD_ERR_NULL_ARG, phifd_config_set_qos(NULL, &good));
        ROW(phifd_config_set_qos, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE, phifd_config_set_qos(freed_cfg, &good));
        ROW(phifd_config_set_qos, "a monitor handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_set_qos((phifd_config *)sentinel, &good));
        ROW(phifd_config_set_qos, "`qos` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos(c, (const phifd_qos *)odd(raw)));
        ROW(phifd_config_set_qos, "`max_detection_ns` 0", PHIFD_ERR_INVALID_ARG, phifd_config_set_qos(c, &zero_td));
        ROW(phifd_config_set_qos, "`min_mistake_recurrence_ns` 0", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos(c, &zero_tmr));
        ROW(phifd_config_set_qos, "all targets 0", PHIFD_ERR_INVALID_ARG, phifd_config_set_qos(c, &zeros));
        ROW(phifd_config_set_qos, "`max_detection_ns` UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos(c, &huge_td));
        ROW(phifd_config_set_qos, "`max_mistake_duration_ns` UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos(c, &huge_tm));
        ROW(phifd_config_set_qos, "`min_mistake_recurrence_ns` UINT64_MAX", PHIFD_OK,
            phifd_config_set_qos(c, &max_tmr));
        ROW(phifd_config_set_qos, "`qos` NULL (clears)", PHIFD_OK, phifd_config_set_qos(c, NULL));

        phifd_qos q;
        bool set = false;
        memset(&q, 0x5a, sizeof q);
        ROW(phifd_config_get_qos, "`cfg` NULL", PHIFD_ERR_NULL_ARG, phifd_config_get_qos(NULL, &q, &set));
        ROW(phifd_config_get_qos, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE, phifd_config_get_qos(freed_cfg, &q, &set));
        ROW(phifd_config_get_qos, "a monitor handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_get_qos((const phifd_config *)sentinel, &q, &set));
        ROW(phifd_config_get_qos, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_config_get_qos(c, NULL, &set));
        ROW(phifd_config_get_qos, "`is_set` NULL", PHIFD_ERR_NULL_ARG, phifd_config_get_qos(c, &q, NULL));
        ROW(phifd_config_get_qos, "`out` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_config_get_qos(c, (phifd_qos *)odd(raw), &set));
        row_void("phifd_config_get_qos", "the same six: `*out`, `*is_set`",
                 q.max_detection_ns == 0x5a5a5a5a5a5a5a5aull && !set, "untouched");
        ROW(phifd_config_get_qos, "unset", PHIFD_OK, phifd_config_get_qos(c, &q, &set));
        row_void("phifd_config_get_qos", "the same: `*out`, `*is_set`", !set && q.max_detection_ns == 0,
                 "zeros, false");

        ROW(phifd_config_set_qos_warmup_ns, "`cfg` NULL", PHIFD_ERR_NULL_ARG, phifd_config_set_qos_warmup_ns(NULL, T));
        ROW(phifd_config_set_qos_warmup_ns, "freed `cfg`", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_set_qos_warmup_ns(freed_cfg, T));
        ROW(phifd_config_set_qos_warmup_ns, "a monitor handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_config_set_qos_warmup_ns((phifd_config *)sentinel, T));
        ROW(phifd_config_set_qos_warmup_ns, "0 (no warm-up)", PHIFD_OK, phifd_config_set_qos_warmup_ns(c, 0));
        ROW(phifd_config_set_qos_warmup_ns, "10^15 (largest allowed)", PHIFD_OK,
            phifd_config_set_qos_warmup_ns(c, 1000000000000000ull));
        ROW(phifd_config_set_qos_warmup_ns, "10^15 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos_warmup_ns(c, 1000000000000001ull));
        ROW(phifd_config_set_qos_warmup_ns, "UINT64_MAX - 1", PHIFD_ERR_INVALID_ARG,
            phifd_config_set_qos_warmup_ns(c, UINT64_MAX - 1));
        uint64_t w = 0;
        row_void("phifd_config_get_qos_warmup_ns", "after the two refused values",
                 phifd_config_get_qos_warmup_ns(c, &w) == PHIFD_OK && w == 1000000000000000ull, "10^15 (kept)");
        ROW(phifd_config_set_qos_warmup_ns, "UINT64_MAX (`PHIFD_QOS_WARMUP_DEFAULT`)", PHIFD_OK,
            phifd_config_set_qos_warmup_ns(c, PHIFD_QOS_WARMUP_DEFAULT));
        phifd_config_free(c);
        GETTER_ROWS(phifd_config_get_qos_warmup_ns, uint64_t);

        phifd_monitor *m = fresh_monitor();
        if (phifd_heartbeat(m, 1, 1, T) != PHIFD_OK) abort();
        ROW(phifd_monitor_set_thresholds, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_set_thresholds(NULL, 8.0, 4.0));
        ROW(phifd_monitor_set_thresholds, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_set_thresholds(freed_mon, 8.0, 4.0));
        phifd_config *wrong = fresh_config();
        ROW(phifd_monitor_set_thresholds, "a config handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_monitor_set_thresholds((phifd_monitor *)wrong, 8.0, 4.0));
        ROW(phifd_node_get_qos_report, "a config handle", PHIFD_ERR_INVALID_HANDLE,
            phifd_node_get_qos_report((const phifd_monitor *)wrong, 1, T, &(phifd_qos_report){0}));
        phifd_config_free(wrong);
        ROW(phifd_monitor_set_thresholds, "`threshold` NaN", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, NAN, 4.0));
        ROW(phifd_monitor_set_thresholds, "`threshold` +infinity", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, INFINITY, 4.0));
        ROW(phifd_monitor_set_thresholds, "`threshold` -1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, -1.0, 0.5));
        ROW(phifd_monitor_set_thresholds, "`threshold` 0", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 0.0, 0.0));
        ROW(phifd_monitor_set_thresholds, "`suspect_threshold` NaN", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 8.0, NAN));
        ROW(phifd_monitor_set_thresholds, "`suspect_threshold` -1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 8.0, -1.0));
        ROW(phifd_monitor_set_thresholds, "`suspect_threshold` > `threshold`", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 8.0, 9.0));
        ROW(phifd_monitor_set_thresholds, "`suspect_threshold` = `threshold`", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 8.0, 8.0));
        ROW(phifd_monitor_set_thresholds, "`threshold` 0.2 (timing rule)", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 0.2, 0.1));
        ROW(phifd_monitor_set_thresholds, "`threshold` 1e6 + 1", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_thresholds(m, 1000001.0, 4.0));
        ROW(phifd_monitor_set_thresholds, "12, 6", PHIFD_OK, phifd_monitor_set_thresholds(m, 12.0, 6.0));

        ROW(phifd_monitor_set_qos, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_monitor_set_qos(NULL, &good));
        ROW(phifd_monitor_set_qos, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_monitor_set_qos(freed_mon, &good));
        ROW(phifd_monitor_set_qos, "`qos` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_qos(m, (const phifd_qos *)odd(raw)));
        ROW(phifd_monitor_set_qos, "all targets 0", PHIFD_ERR_INVALID_ARG, phifd_monitor_set_qos(m, &zeros));
        ROW(phifd_monitor_set_qos, "`max_detection_ns` UINT64_MAX", PHIFD_ERR_INVALID_ARG,
            phifd_monitor_set_qos(m, &huge_td));
        ROW(phifd_monitor_set_qos, "valid", PHIFD_OK, phifd_monitor_set_qos(m, &good));
        ROW(phifd_monitor_set_qos, "`qos` NULL (back to thresholds)", PHIFD_OK, phifd_monitor_set_qos(m, NULL));

        ROW(phifd_node_set_thresholds, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_set_thresholds(NULL, 1, 8.0, 4.0));
        ROW(phifd_node_set_thresholds, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_node_set_thresholds(freed_mon, 1, 8.0, 4.0));
        ROW(phifd_node_set_thresholds, "unknown node", PHIFD_ERR_UNKNOWN_NODE,
            phifd_node_set_thresholds(m, 77, 8.0, 4.0));
        ROW(phifd_node_set_thresholds, "`threshold` NaN", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_thresholds(m, 1, NAN, 4.0));
        ROW(phifd_node_set_thresholds, "`threshold` -infinity", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_thresholds(m, 1, -INFINITY, 4.0));
        ROW(phifd_node_set_thresholds, "`suspect_threshold` 0", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_thresholds(m, 1, 8.0, 0.0));
        ROW(phifd_node_set_thresholds, "`suspect_threshold` > `threshold`", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_thresholds(m, 1, 4.0, 8.0));
        ROW(phifd_node_set_thresholds, "6, 3", PHIFD_OK, phifd_node_set_thresholds(m, 1, 6.0, 3.0));

        ROW(phifd_node_set_qos, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_set_qos(NULL, 1, &good));
        ROW(phifd_node_set_qos, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_node_set_qos(freed_mon, 1, &good));
        ROW(phifd_node_set_qos, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_set_qos(m, 77, &good));
        ROW(phifd_node_set_qos, "`qos` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_qos(m, 1, (const phifd_qos *)odd(raw)));
        ROW(phifd_node_set_qos, "`min_mistake_recurrence_ns` 0", PHIFD_ERR_INVALID_ARG,
            phifd_node_set_qos(m, 1, &zero_tmr));
        ROW(phifd_node_set_qos, "valid", PHIFD_OK, phifd_node_set_qos(m, 1, &good));
        ROW(phifd_node_set_qos, "`qos` NULL (the monitor's thresholds)", PHIFD_OK, phifd_node_set_qos(m, 1, NULL));

        ROW(phifd_node_clear_tuning, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_clear_tuning(NULL, 1));
        ROW(phifd_node_clear_tuning, "freed `m`", PHIFD_ERR_INVALID_HANDLE, phifd_node_clear_tuning(freed_mon, 1));
        ROW(phifd_node_clear_tuning, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_clear_tuning(m, 77));
        ROW(phifd_node_clear_tuning, "a node without its own tuning", PHIFD_OK, phifd_node_clear_tuning(m, 1));

        phifd_qos_report r;
        memset(&r, 0x5a, sizeof r);
        ROW(phifd_node_get_qos_report, "`m` NULL", PHIFD_ERR_NULL_ARG, phifd_node_get_qos_report(NULL, 1, T, &r));
        ROW(phifd_node_get_qos_report, "freed `m`", PHIFD_ERR_INVALID_HANDLE,
            phifd_node_get_qos_report(freed_mon, 1, T, &r));
        ROW(phifd_node_get_qos_report, "`out` NULL", PHIFD_ERR_NULL_ARG, phifd_node_get_qos_report(m, 1, T, NULL));
        ROW(phifd_node_get_qos_report, "`out` misaligned", PHIFD_ERR_INVALID_ARG,
            phifd_node_get_qos_report(m, 1, T, (phifd_qos_report *)odd(raw)));
        ROW(phifd_node_get_qos_report, "unknown node", PHIFD_ERR_UNKNOWN_NODE, phifd_node_get_qos_report(m, 77, T, &r));
        row_void("phifd_node_get_qos_report", "the same five: `*out`", r.qos == 0x5a5a5a5au, "untouched");
        ROW(phifd_node_get_qos_report, "`now_ns` UINT64_MAX", PHIFD_OK,
            phifd_node_get_qos_report(m, 1, UINT64_MAX, &r));
        row_void("phifd_node_get_qos_report", "the same: `qos`, `established`", r.qos == 0 && r.established == 1,
                 "0, 1");
        phifd_monitor_free(m);
    }

    phifd_monitor_free(sentinel);
    printf("\n%d rows.\n", rows);
    if (failures) {
        fprintf(stderr, "bad-inputs: %d of %d rows differ from the documented behaviour\n", failures, rows);
        return 1;
    }
    fprintf(stderr, "bad-inputs: %d passed, 0 failed\n", rows);
    return 0;
}
