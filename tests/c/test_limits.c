/*
 * test_limits.c — one generation bound everywhere (PHIFD_MAX_GENERATION), bounded state
 * (max_nodes, PHIFD_ERR_CAPACITY, fixed membership) and the rejection counters of
 * phifd_monitor_stats and the Prometheus text. Exits non-zero if any check fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

/* 2^48, written out independently of the header. */
#define BOUND UINT64_C(281474976710656)

static void test_codes(void) {
    CHECK_EQ_U64(PHIFD_MAX_GENERATION, BOUND);
    CHECK_EQ_U64(PHIFD_ERR_CAPACITY, 12);
    CHECK_EQ_U64(PHIFD_ERR_AUTH, 13);
    CHECK_EQ_U64(PHIFD_ERR_UNKNOWN_KEY, 14);
    CHECK(strcmp(phifd_status_name(PHIFD_ERR_CAPACITY), "PHIFD_ERR_CAPACITY") == 0);
    CHECK(strcmp(phifd_status_name(PHIFD_ERR_AUTH), "PHIFD_ERR_AUTH") == 0);
    CHECK(strcmp(phifd_status_name(PHIFD_ERR_UNKNOWN_KEY), "PHIFD_ERR_UNKNOWN_KEY") == 0);
    CHECK_EQ_U64(PHIFD_MEMBERSHIP_OPEN, 0);
    CHECK_EQ_U64(PHIFD_MEMBERSHIP_FIXED, 1);
    CHECK_EQ_U64(sizeof(phifd_monitor_stats), 144);
}

static phifd_monitor_stats stats_of(const phifd_monitor *m) {
    phifd_monitor_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    CHECK_OK(phifd_monitor_get_stats(m, &s));
    return s;
}

static void test_forged_generation_then_real_restart(void) {
    phifd_monitor *m = new_monitor(NULL);
    CHECK_OK(phifd_heartbeat(m, 7, 3, SEC(1)));
    reset_last_error();
    CHECK_STATUS(phifd_heartbeat(m, 7, UINT64_MAX, SEC(2)), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "281474976710656");
    CHECK_STATUS(phifd_heartbeat_version(m, 7, BOUND + 1, 1, SEC(2), NULL), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_node_add(m, 8, UINT64_MAX, SEC(2)), PHIFD_ERR_INVALID_ARG);
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 7, SEC(2), &info));
    CHECK_EQ_U64(info.generation, 3); /* nothing changed */
    CHECK_STATUS(phifd_node_get_info(m, 8, SEC(2), &info), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_OK(phifd_heartbeat(m, 7, 4, SEC(3))); /* the real restart */
    CHECK_OK(phifd_node_get_info(m, 7, SEC(3), &info));
    CHECK_EQ_U64(info.generation, 4);
    CHECK_OK(phifd_node_add(m, 9, BOUND, SEC(3))); /* the bound itself is valid */
    phifd_monitor_stats s = stats_of(m);
    CHECK_EQ_U64(s.rejected_bad_generation, 3);
    CHECK_EQ_U64(s.stale_heartbeats, 0);
    CHECK_EQ_U64(s.nodes, 2);
    phifd_monitor_free(m);
}

static void test_datagram_bounds(void) {
    phifd_datagram d;
    memset(&d, 0, sizeof d);
    d.kind = PHIFD_DATAGRAM_HEARTBEAT;
    d.node = 1;
    d.generation = UINT64_MAX;
    uint8_t buf[PHIFD_DATAGRAM_SIZE];
    memset(buf, 0xAA, sizeof buf);
    size_t written = 0;
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "281474976710656");
    CHECK_EQ_U64(written, 0);
    CHECK(buf[0] == 0xAA && buf[PHIFD_DATAGRAM_SIZE - 1] == 0xAA);
    d.generation = BOUND;
    d.term = BOUND + 1;
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "term");
    d.term = BOUND;
    CHECK_OK(phifd_datagram_encode(&d, buf, sizeof buf, &written));
    /* Forge generation 2^48 + 1 in the bytes (offset 16, little-endian) with a valid checksum:
     * the receiver reports it as malformed. FNV-1a 64 over bytes 0..48, computed here. */
    buf[16 + 6] = 2; /* the generation's byte 6: 2^49 */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (int i = 0; i < 48; i++) h = (h ^ buf[i]) * UINT64_C(0x100000001b3);
    for (int i = 0; i < 8; i++) buf[48 + i] = (uint8_t)(h >> (8 * i));
    phifd_datagram out;
    CHECK_STATUS(phifd_datagram_decode(buf, sizeof buf, &out), PHIFD_ERR_MALFORMED);
    CHECK_CONTAINS(phifd_last_error_message(), "generation 562949953421312 exceeds");
}

static void test_capacity(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_STATUS(phifd_config_set_max_nodes(cfg, 0), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "max_nodes");
    CHECK_STATUS(phifd_config_set_max_nodes(cfg, (UINT64_C(1) << 26) + 1), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_config_set_max_nodes(NULL, 3), PHIFD_ERR_NULL_ARG);
    CHECK_OK(phifd_config_set_max_nodes(cfg, 3));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    for (uint64_t id = 1; id <= 3; id++) CHECK_OK(phifd_heartbeat(m, id, 1, SEC(1)));
    CHECK_STATUS(phifd_heartbeat(m, 4, 1, SEC(1)), PHIFD_ERR_CAPACITY);
    CHECK_CONTAINS(phifd_last_error_message(), "max_nodes");
    CHECK_STATUS(phifd_node_add(m, 5, 1, SEC(1)), PHIFD_ERR_CAPACITY);
    CHECK_OK(phifd_heartbeat(m, 2, 1, SEC(2))); /* known nodes unaffected */
    uint64_t n = 0;
    CHECK_OK(phifd_monitor_node_count(m, &n));
    CHECK_EQ_U64(n, 3);
    /* A flood of 100,000 ids costs nothing: every one refused and counted. */
    uint64_t refused = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        uint64_t id = (i + 100) * UINT64_C(0x9E3779B97F4A7C15);
        if (phifd_heartbeat(m, id, 1, SEC(3)) == PHIFD_ERR_CAPACITY) refused++;
    }
    CHECK_EQ_U64(refused, 100000);
    phifd_monitor_stats s = stats_of(m);
    CHECK_EQ_U64(s.nodes, 3);
    CHECK_EQ_U64(s.rejected_over_capacity, 100002);
    char text[16384];
    size_t needed = 0;
    CHECK_OK(phifd_monitor_render_prometheus(m, SEC(3), text, sizeof text, &needed));
    CHECK_CONTAINS(text, "# TYPE phifd_monitor_rejected_over_capacity_total counter\n");
    CHECK_CONTAINS(text, "\nphifd_monitor_rejected_over_capacity_total 100002\n");
    CHECK_CONTAINS(text, "\nphifd_monitor_rejected_bad_mac_total 0\n");
    CHECK_OK(phifd_node_remove(m, 1));
    CHECK_OK(phifd_heartbeat(m, 4, 1, SEC(4))); /* a freed place is usable */
    phifd_monitor_free(m);
}

static void test_fixed_membership(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_STATUS(phifd_config_set_membership(cfg, 2), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "membership");
    CHECK_OK(phifd_config_set_membership(cfg, PHIFD_MEMBERSHIP_FIXED));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    CHECK_OK(phifd_node_add(m, 1, 0, 0));
    CHECK_OK(phifd_heartbeat(m, 1, 0, SEC(1)));
    CHECK_STATUS(phifd_heartbeat(m, 2, 0, SEC(1)), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_node_add");
    uint64_t nodes[3] = {1, 3, 4};
    uint64_t gens[3] = {0, 0, 0};
    uint64_t times[3] = {SEC(2), SEC(2), SEC(2)};
    phifd_status st[3] = {99, 99, 99};
    CHECK_STATUS(phifd_heartbeat_batch(m, nodes, gens, times, 3, st), PHIFD_ERR_UNKNOWN_NODE);
    CHECK_EQ_U64(st[0], PHIFD_OK);
    CHECK_EQ_U64(st[1], PHIFD_ERR_UNKNOWN_NODE);
    CHECK_EQ_U64(st[2], PHIFD_ERR_UNKNOWN_NODE);
    phifd_monitor_stats s = stats_of(m);
    CHECK_EQ_U64(s.nodes, 1);
    CHECK_EQ_U64(s.rejected_unknown_node, 3);
    CHECK_EQ_U64(s.rejected_over_capacity, 0);
    CHECK_OK(phifd_node_add(m, 2, 0, SEC(3)));
    CHECK_OK(phifd_heartbeat(m, 2, 0, SEC(4)));
    /* An older caller's struct (version 2, 88 bytes) is filled up to its size only. */
    phifd_monitor_stats old;
    memset(&old, 0x5A, sizeof old);
    old.size = 88;
    CHECK_OK(phifd_monitor_get_stats(m, &old));
    CHECK_EQ_U64(old.size, 88);
    CHECK_EQ_U64(old.rejected_unknown_node, UINT64_C(0x5A5A5A5A5A5A5A5A));
    phifd_monitor_free(m);
}

int main(void) {
    test_codes();
    test_forged_generation_then_real_restart();
    test_datagram_bounds();
    test_capacity();
    test_fixed_membership();
    return check_finish("test_limits");
}
