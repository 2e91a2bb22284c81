/*
 * check.h — the assertion helpers shared by the C tests of the phifd C API.
 *
 * Every CHECK* macro records a failure (printing file:line, the failed expression and the
 * library's last error message on the calling thread) and lets the test continue, so one run
 * reports every broken expectation. A test program ends with `return check_finish(name);`,
 * which prints a summary and returns a non-zero exit code if anything failed.
 *
 * Thread safety: the failure and check counters are atomics, so CHECK* may be used from any
 * thread. Output lines from different threads may interleave.
 */
#ifndef PHIFD_TESTS_CHECK_H
#define PHIFD_TESTS_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "phifd.h"

/* Number of failed checks so far (all threads). */
static atomic_ulong check_failures;
/* Number of checks evaluated so far (all threads). */
static atomic_ulong check_count;

/* Records one failed check: prints file:line, the description (printf-style) and what the
 * library last reported on this thread. */
static inline void check_fail(const char *file, int line, const char *fmt, ...) {
    atomic_fetch_add(&check_failures, 1);
    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n    last error: \"%s\"\n", phifd_last_error_message());
    funlockfile(stderr);
    va_end(ap);
}

/* Prints the summary line and returns the process exit code (0 only if no check failed). */
static inline int check_finish(const char *program) {
    unsigned long failed = atomic_load(&check_failures);
    unsigned long total = atomic_load(&check_count);
    printf("%s: %lu checks, %lu failed\n", program, total, failed);
    if (total == 0) {
        fprintf(stderr, "%s: no check was evaluated\n", program);
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

/* Fails unless `cond` is true. */
#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (!(cond)) check_fail(__FILE__, __LINE__, "%s", #cond);                                                      \
    } while (0)

/* Fails unless `expr` (a phifd call) returns the status `want`; prints both names. */
#define CHECK_STATUS(expr, want)                                                                                       \
    do {                                                                                                               \
        phifd_status check_got_ = (expr);                                                                              \
        phifd_status check_want_ = (want);                                                                             \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (check_got_ != check_want_)                                                                                 \
            check_fail(__FILE__, __LINE__, "%s returned %s, expected %s", #expr, phifd_status_name(check_got_),        \
                       phifd_status_name(check_want_));                                                                \
    } while (0)

/* Fails unless `expr` returns PHIFD_OK. */
#define CHECK_OK(expr) CHECK_STATUS(expr, PHIFD_OK)

/* Fails unless the two unsigned 64-bit values are equal; prints both. */
#define CHECK_EQ_U64(a, b)                                                                                             \
    do {                                                                                                               \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                                                   \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (check_a_ != check_b_)                                                                                      \
            check_fail(__FILE__, __LINE__, "%s == %s (%" PRIu64 " vs %" PRIu64 ")", #a, #b, check_a_, check_b_);       \
    } while (0)

/* Fails unless |a - b| <= tol (absolute); NaN never passes. Prints both values. */
#define CHECK_NEAR(a, b, tol)                                                                                          \
    do {                                                                                                               \
        double check_a_ = (a), check_b_ = (b), check_t_ = (tol);                                                       \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (!(fabs(check_a_ - check_b_) <= check_t_))                                                                  \
            check_fail(__FILE__, __LINE__, "%s ~= %s (%.17g vs %.17g, tol %g)", #a, #b, check_a_, check_b_, check_t_); \
    } while (0)

/* Fails unless |a - b| <= rel * |b| (relative to the expected value `b`). */
#define CHECK_REL(a, b, rel) CHECK_NEAR(a, b, (rel)*fabs(b))

/* Fails unless the C string `hay` contains `needle`. */
#define CHECK_CONTAINS(hay, needle)                                                                                    \
    do {                                                                                                               \
        const char *check_h_ = (hay), *check_n_ = (needle);                                                            \
        atomic_fetch_add(&check_count, 1);                                                                             \
        if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL)                                                    \
            check_fail(__FILE__, __LINE__, "\"%s\" contains \"%s\"", check_h_ ? check_h_ : "(null)", check_n_);        \
    } while (0)

/*
 * Replaces the calling thread's last error message with a known one (from a deliberately
 * failing call), so that a following check of the message proves the next call set it.
 */
static inline void reset_last_error(void) { (void)phifd_config_new(NULL); }

/* Creates a monitor from `cfg` (NULL: defaults), recording a failure if that fails. */
static inline phifd_monitor *new_monitor(const phifd_config *cfg) {
    phifd_monitor *m = NULL;
    CHECK_OK(phifd_monitor_new(cfg, &m));
    CHECK(m != NULL);
    return m;
}

/* Milliseconds and seconds as nanoseconds. */
#define MS(x) ((uint64_t)(x)*UINT64_C(1000000))
#define SEC(x) ((uint64_t)(x)*UINT64_C(1000000000))

#endif /* PHIFD_TESTS_CHECK_H */
