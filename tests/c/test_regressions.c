/*
 * test_regressions.c — checks of library bugs that were found and fixed, kept so they stay fixed.
 * Exits non-zero if any check fails.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

/* A rejected setter must leave the previous value in place (phifd_config_set_heartbeat_interval_ns
 * once stored a value below 1000 ns before rejecting it). */
static void test_rejected_heartbeat_interval_is_not_stored(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, SEC(2)));
    CHECK_STATUS(phifd_config_set_heartbeat_interval_ns(cfg, 999), PHIFD_ERR_INVALID_ARG);
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    if (m == NULL) return;
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 1, SEC(1), &info));
    /* The seed history comes from the heartbeat interval: 1.5 s and 2.5 s, mean 2 s. */
    CHECK_NEAR(info.mean_ns, 2e9, 1e-3);
    phifd_monitor_free(m);
}

int main(void) {
    test_rejected_heartbeat_interval_is_not_stored();
    return check_finish("test_regressions");
}
