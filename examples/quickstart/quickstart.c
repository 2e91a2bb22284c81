#include <phifd.h>
#include <stdio.h>

#define MS 1000000ull /* times are nanoseconds of the monotonic clock */

int main(void) {
    static const char *state[] = {"UNKNOWN", "ALIVE", "SUSPECT", "FAILED"};
    phifd_config *cfg;
    phifd_monitor *mon;
    phifd_config_new(&cfg);
    phifd_config_set_heartbeat_interval_ns(cfg, 100 * MS); /* peers beat every 100 ms */
    if (phifd_monitor_new(cfg, &mon) != PHIFD_OK) {
        fprintf(stderr, "phifd: %s\n", phifd_last_error_message());
        return 1;
    }
    phifd_config_free(cfg); /* the monitor keeps a copy */
    uint64_t start = phifd_now_ns(), last = start + 900 * MS;
    for (uint64_t t = start; t <= last; t += 100 * MS) /* node 7 (generation 1) beats */
        phifd_heartbeat(mon, 7, 1, t);
    double phi;
    phifd_phi(mon, 7, last + 150 * MS, &phi); /* then falls silent */
    printf("phi after 150 ms of silence: %.2f\n", phi);
    phifd_event ev[16];
    size_t n;
    phifd_monitor_poll(mon, last + 2000 * MS, ev, 16, &n); /* transitions, oldest first */
    for (size_t i = 0; i < n; i++)
        printf("node %llu: %s -> %s at +%llu ms\n", (unsigned long long)ev[i].node, state[ev[i].from], state[ev[i].to],
               (unsigned long long)((ev[i].time_ns - start) / MS));
    phifd_monitor_free(mon);
}
