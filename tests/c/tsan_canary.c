/*
 * tsan_canary.c — a deliberate data race, for `make tsan` only (not a ctest program). Two threads
 * modify one phifd_config at once, which the header forbids ("a config must not be modified from
 * two threads at once"). The race is inside the library, so ThreadSanitizer reports it only if
 * the static library really is instrumented: `make tsan` requires this program to FAIL with a
 * data-race report, which proves the other runs would have seen a race too.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "phifd.h"

static phifd_config *cfg;
/* Progress of each writer. Relaxed atomics: they create no happens-before edge, so TSan sees the
 * two threads' writes to the config as concurrent, while the loop below makes sure they really do
 * overlap in time (each keeps writing until it has seen the other write 20 times). */
static atomic_ulong progress[2];

static void *writer(void *arg) {
    const int me = (int)(uintptr_t)arg;
    const uint64_t base = 1000000u * (uint64_t)(me + 1);
    for (uint64_t i = 1; i <= 10000000u; i++) {
        phifd_config_set_heartbeat_interval_ns(cfg, base + i);
        atomic_fetch_add_explicit(&progress[me], 1, memory_order_relaxed);
        if (i >= 20 && atomic_load_explicit(&progress[1 - me], memory_order_relaxed) >= 20) break;
    }
    return NULL;
}

int main(void) {
    /* TSan reports a race only when it can still restore the earlier access's stack, which a
     * busy thread may have pushed out of its history; a single round is caught about 3 times in
     * 4, so the race is repeated (halt_on_error stops at the first report). */
    for (int round = 0; round < 40; round++) {
        if (phifd_config_new(&cfg) != PHIFD_OK) return 1;
        atomic_store(&progress[0], 0);
        atomic_store(&progress[1], 0);
        pthread_t a, b;
        pthread_create(&a, NULL, writer, (void *)(uintptr_t)0);
        pthread_create(&b, NULL, writer, (void *)(uintptr_t)1);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        phifd_config_free(cfg);
    }
    puts("tsan_canary: finished without a report");
    return 0;
}
