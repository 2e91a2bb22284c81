/*
 * test_wire.c — the heartbeat datagram, the monitor snapshot and the Prometheus rendering:
 * every new function with bad inputs (NULL for each pointer, capacities too small, zero-length
 * and garbage buffers, undefined kinds and flags, a freed monitor), the 56-byte layout built
 * here by hand from the documented format with an independent FNV-1a 64, snapshots with a
 * capacity of 0 and smaller than the count, and Prometheus buffers of 0, too small and exact
 * size. Numbers are derived by hand from the exponential model (phi = silence / mean / ln 10).
 * Exits non-zero if any check fails.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

/* FNV-1a 64 as published: offset basis 14695981039346656037, prime 1099511628211. */
static uint64_t fnv1a64(const uint8_t *p, size_t n) {
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static void put_le(uint8_t *b, size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; i++) b[at + i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *b) { put_le(b, 48, fnv1a64(b, 48), 8); }

/* The documented layout: "PHHB", u8 format 1, u8 kind, u16 flags, u64 node, generation, term,
 * version, send_ns, u64 FNV-1a 64 of bytes 0..48; little-endian. */
static void by_hand(uint8_t b[56], uint8_t kind, uint16_t flags, uint64_t node, uint64_t generation, uint64_t term,
                    uint64_t version, uint64_t send_ns) {
    memset(b, 0, 56);
    b[0] = 'P';
    b[1] = 'H';
    b[2] = 'H';
    b[3] = 'B';
    b[4] = 1;
    b[5] = kind;
    put_le(b, 6, flags, 2);
    put_le(b, 8, node, 8);
    put_le(b, 16, generation, 8);
    put_le(b, 24, term, 8);
    put_le(b, 32, version, 8);
    put_le(b, 40, send_ns, 8);
    reseal(b);
}

static int datagram_equal(const phifd_datagram *a, const phifd_datagram *b) {
    return a->kind == b->kind && a->flags == b->flags && a->node == b->node && a->generation == b->generation &&
           a->term == b->term && a->version == b->version && a->send_ns == b->send_ns;
}

/* Decodes `len` bytes expecting PHIFD_ERR_MALFORMED with `word` in the message and `*out`
 * untouched. */
static void expect_malformed(const uint8_t *buf, size_t len, const char *word, int line) {
    phifd_datagram out;
    memset(&out, 0xAB, sizeof out);
    reset_last_error();
    phifd_status s = phifd_datagram_decode(buf, len, &out);
    CHECK_EQ_U64(s, PHIFD_ERR_MALFORMED);
    if (s != PHIFD_ERR_MALFORMED || strstr(phifd_last_error_message(), word) == NULL)
        fprintf(stderr, "  (from line %d, message \"%s\", wanted \"%s\")\n", line, phifd_last_error_message(), word);
    CHECK_CONTAINS(phifd_last_error_message(), word);
    CHECK_EQ_U64(out.node, UINT64_C(0xABABABABABABABAB)); /* written only on success */
}

/* ------------------------------------------------------------------------ constants -- */

static void test_constants(void) {
    CHECK_EQ_U64(PHIFD_DATAGRAM_SIZE, 56);
    CHECK_EQ_U64(PHIFD_DATAGRAM_HEARTBEAT, 0);
    CHECK_EQ_U64(PHIFD_DATAGRAM_STALE_REPLY, 1);
    CHECK_EQ_U64(PHIFD_DATAGRAM_FLAG_LEADER, 1);
    CHECK_EQ_U64(PHIFD_ERR_MALFORMED, 11);
    CHECK(strcmp(phifd_status_name(PHIFD_ERR_MALFORMED), "PHIFD_ERR_MALFORMED") == 0);
    /* The structs' layouts are frozen. */
    CHECK_EQ_U64(sizeof(phifd_datagram), 48);
    CHECK_EQ_U64(offsetof(phifd_datagram, node), 8);
    CHECK_EQ_U64(offsetof(phifd_datagram, send_ns), 40);
    CHECK_EQ_U64(sizeof(phifd_snapshot_entry), 80);
    CHECK_EQ_U64(offsetof(phifd_snapshot_entry, phi), 24);
    CHECK_EQ_U64(offsetof(phifd_snapshot_entry, state), 64);
    CHECK_EQ_U64(offsetof(phifd_snapshot_entry, reserved), 72);
}

/* ------------------------------------------------------------------------- datagram -- */

static void test_layout_by_hand(void) {
    const uint8_t a = 'a'; /* the published FNV-1a 64 of "a" */
    CHECK_EQ_U64(fnv1a64(&a, 1), UINT64_C(0xaf63dc4c8601ec8c));

    phifd_datagram d = {
        PHIFD_DATAGRAM_HEARTBEAT,    PHIFD_DATAGRAM_FLAG_LEADER, UINT64_C(0x0102030405060708), 4, 2, 1000,
        UINT64_C(0xA1B2C3D4E5F60718)};
    uint8_t got[64], want[56];
    memset(got, 0xEE, sizeof got);
    size_t written = 0;
    CHECK_OK(phifd_datagram_encode(&d, got, sizeof got, &written));
    CHECK_EQ_U64(written, 56);
    by_hand(want, 0, 1, UINT64_C(0x0102030405060708), 4, 2, 1000, UINT64_C(0xA1B2C3D4E5F60718));
    CHECK(memcmp(got, want, 56) == 0);
    CHECK(got[56] == 0xEE && got[63] == 0xEE); /* nothing beyond 56 bytes */
    CHECK(got[8] == 0x08 && got[15] == 0x01);  /* little-endian node id */

    /* Bytes built by hand decode to their fields. */
    uint8_t stale[56];
    by_hand(stale, 1, 0, 9, 8, UINT64_C(281474976710656), UINT64_MAX, 5);
    phifd_datagram out;
    CHECK_OK(phifd_datagram_decode(stale, sizeof stale, &out));
    phifd_datagram expect = {PHIFD_DATAGRAM_STALE_REPLY, 0, 9, 8, UINT64_C(281474976710656), UINT64_MAX, 5};
    CHECK(datagram_equal(&out, &expect));

    /* Round trip, with an exactly sized buffer. */
    uint8_t exact[PHIFD_DATAGRAM_SIZE];
    CHECK_OK(phifd_datagram_encode(&expect, exact, sizeof exact, &written));
    CHECK(memcmp(exact, stale, 56) == 0);
}

static void test_encode_bad_inputs(void) {
    phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, 0, 1, 2, 3, 4, 5};
    uint8_t buf[56];
    size_t written = 77;
    memset(buf, 0x11, sizeof buf);
    reset_last_error();
    CHECK_STATUS(phifd_datagram_encode(NULL, buf, sizeof buf, &written), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "datagram");
    CHECK_STATUS(phifd_datagram_encode(&d, NULL, sizeof buf, &written), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "buf");
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "written");
    CHECK_STATUS(phifd_datagram_encode(&d, buf, 55, &written), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(phifd_datagram_encode(&d, buf, 48, &written), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK_STATUS(phifd_datagram_encode(&d, buf, 0, &written), PHIFD_ERR_BUFFER_TOO_SMALL);
    d.kind = 2;
    reset_last_error();
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "kind");
    d.kind = UINT32_MAX;
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    d.kind = PHIFD_DATAGRAM_STALE_REPLY;
    d.flags = 2;
    reset_last_error();
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "flags");
    d.flags = 0x10000u | PHIFD_DATAGRAM_FLAG_LEADER; /* beyond the wire's 16 bits */
    CHECK_STATUS(phifd_datagram_encode(&d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    /* Out-parameters untouched by every failure. */
    CHECK_EQ_U64(written, 77);
    for (size_t i = 0; i < sizeof buf; i++) CHECK(buf[i] == 0x11);
}

static void test_decode_defects(void) {
    uint8_t good[56];
    by_hand(good, 0, 1, 1, 2, 3, 4, 5);
    phifd_datagram out;
    CHECK_OK(phifd_datagram_decode(good, sizeof good, &out));
    CHECK_EQ_U64(out.flags, PHIFD_DATAGRAM_FLAG_LEADER);

    /* NULL pointers. */
    reset_last_error();
    CHECK_STATUS(phifd_datagram_decode(good, sizeof good, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "out");
    CHECK_STATUS(phifd_datagram_decode(NULL, 56, &out), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "buf");
    /* Zero-length buffers, with and without a pointer. */
    expect_malformed(NULL, 0, "length", __LINE__);
    expect_malformed(good, 0, "length", __LINE__);
    /* Wrong lengths. */
    uint8_t longer[57];
    memcpy(longer, good, 56);
    longer[56] = 0;
    expect_malformed(good, 55, "length", __LINE__);
    expect_malformed(longer, 57, "length", __LINE__);
    expect_malformed(good, 1, "length", __LINE__);

    /* Each header defect, with a valid checksum so the check itself is what rejects it. */
    uint8_t b[56];
    memcpy(b, good, 56);
    b[3] = 'C';
    reseal(b);
    expect_malformed(b, 56, "magic", __LINE__);
    memcpy(b, good, 56);
    b[4] = 2;
    reseal(b);
    expect_malformed(b, 56, "version", __LINE__);
    memcpy(b, good, 56);
    b[4] = 0;
    reseal(b);
    expect_malformed(b, 56, "version", __LINE__);
    by_hand(b, 2, 0, 1, 2, 3, 4, 5);
    expect_malformed(b, 56, "kind", __LINE__);
    by_hand(b, 255, 0, 1, 2, 3, 4, 5);
    expect_malformed(b, 56, "kind", __LINE__);
    by_hand(b, 0, 2, 1, 2, 3, 4, 5);
    expect_malformed(b, 56, "flag", __LINE__);
    by_hand(b, 0, 0x8000, 1, 2, 3, 4, 5);
    expect_malformed(b, 56, "flag", __LINE__);
    /* Any flipped bit in the fields or the checksum. */
    for (size_t i = 8; i < 56; i++) {
        memcpy(b, good, 56);
        b[i] ^= (uint8_t)(1u << (i % 8));
        expect_malformed(b, 56, "checksum", __LINE__);
    }
}

static void test_decode_garbage(void) {
    uint64_t x = UINT64_C(0x2545F4914F6CDD1D);
    int accepted = 0;
    for (int round = 0; round < 4000; round++) {
        size_t len = round % 2 == 0 ? 56 : (size_t)(round % 131);
        uint8_t *b = malloc(len == 0 ? 1 : len); /* exact size: ASan catches any overread */
        CHECK(b != NULL);
        if (b == NULL) return;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = (uint8_t)x;
        }
        int valid = 0;
        if (len == 56 && round % 4 == 0) { /* a valid header and checksum over random fields */
            memcpy(b, "PHHB", 4);
            b[4] = 1;
            b[5] &= 1;
            b[6] &= 1;
            b[7] = 0;
            b[22] = b[23] = 0; /* generation and term within 2^48, as valid ones are */
            b[30] = b[31] = 0;
            reseal(b);
            valid = 1;
        }
        phifd_datagram out;
        phifd_status s = phifd_datagram_decode(b, len, &out);
        if (valid) {
            CHECK_OK(s);
            if (s == PHIFD_OK) {
                accepted++;
                uint64_t node = 0;
                for (int i = 7; i >= 0; i--) node = (node << 8) | b[8 + i];
                CHECK_EQ_U64(out.node, node);
                CHECK_EQ_U64(out.kind, b[5]);
            }
        } else {
            CHECK_EQ_U64(s, PHIFD_ERR_MALFORMED);
        }
        free(b);
    }
    CHECK_EQ_U64(accepted, 1000);
}

/* ------------------------------------------------------------------------- snapshot -- */

/* Exponential model, 1 s interval: phi = silence / 1 s / ln 10; FAILED at 8 ln 10 s. */
static phifd_monitor *exponential_monitor(void) {
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_OK(phifd_config_set_estimator(cfg, PHIFD_ESTIMATOR_EXPONENTIAL));
    CHECK_OK(phifd_config_set_heartbeat_interval_ns(cfg, SEC(1)));
    phifd_monitor *m = new_monitor(cfg);
    phifd_config_free(cfg);
    return m;
}

static void test_snapshot(void) {
    phifd_monitor *m = exponential_monitor();
    if (m == NULL) return;
    size_t total = 99;
    CHECK_OK(phifd_monitor_snapshot(m, 0, NULL, 0, &total));
    CHECK_EQ_U64(total, 0);
    for (uint64_t t = 0; t <= 4; t++) {
        CHECK_OK(phifd_heartbeat_version(m, 30, 2, t + 1, SEC(t), NULL));
        CHECK_OK(phifd_heartbeat(m, 10, 1, SEC(t)));
    }
    CHECK_OK(phifd_node_add(m, 20, 0, SEC(4)));

    /* cap 0: the count only (entries may be NULL). */
    total = 0;
    CHECK_OK(phifd_monitor_snapshot(m, SEC(6), NULL, 0, &total));
    CHECK_EQ_U64(total, 3);

    /* cap smaller than the count: the first entries by node id, nothing beyond cap. */
    phifd_snapshot_entry e[4];
    memset(e, 0x5A, sizeof e);
    total = 0;
    CHECK_OK(phifd_monitor_snapshot(m, SEC(6), e, 2, &total));
    CHECK_EQ_U64(total, 3);
    CHECK_EQ_U64(e[0].node, 10);
    CHECK_EQ_U64(e[1].node, 20);
    CHECK_EQ_U64(e[2].node, UINT64_C(0x5A5A5A5A5A5A5A5A));

    /* Everything, with hand-derived numbers. */
    memset(e, 0x5A, sizeof e);
    CHECK_OK(phifd_monitor_snapshot(m, SEC(6), e, 4, &total));
    CHECK_EQ_U64(total, 3);
    CHECK_EQ_U64(e[0].node, 10);
    CHECK_EQ_U64(e[1].node, 20);
    CHECK_EQ_U64(e[2].node, 30);
    CHECK_EQ_U64(e[3].node, UINT64_C(0x5A5A5A5A5A5A5A5A));
    CHECK_EQ_U64(e[2].generation, 2);
    CHECK_EQ_U64(e[2].version, 5);
    CHECK_EQ_U64(e[2].last_arrival_ns, SEC(4));
    CHECK_EQ_U64(e[2].state, PHIFD_STATE_ALIVE);
    CHECK_NEAR(e[2].phi, 2.0 / log(10.0), 1e-12);
    CHECK_NEAR(e[2].mean_ns, 1e9, 1e-3);
    CHECK_NEAR((double)e[2].time_until_failure_ns, (8.0 * log(10.0) - 2.0) * 1e9, 2.0);
    CHECK_EQ_U64(e[2].confirmations, 0);
    CHECK_EQ_U64(e[2].reserved, 0);
    CHECK_EQ_U64(e[1].state, PHIFD_STATE_UNKNOWN);
    CHECK_EQ_U64(e[1].last_arrival_ns, 0);
    CHECK_EQ_U64(e[0].generation, 1);

    /* Past the deadline: FAILED, no time left. */
    CHECK_OK(phifd_monitor_snapshot(m, SEC(23), e, 3, &total));
    CHECK_EQ_U64(e[2].state, PHIFD_STATE_FAILED);
    CHECK_EQ_U64(e[2].time_until_failure_ns, 0);
    CHECK_NEAR(e[2].phi, 19.0 / log(10.0), 1e-12);

    /* Bad inputs: NULL total, NULL entries with cap > 0, NULL and freed monitors. */
    total = 77;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_snapshot(m, SEC(6), e, 3, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "total");
    CHECK_STATUS(phifd_monitor_snapshot(m, SEC(6), NULL, 1, &total), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "entries");
    CHECK_STATUS(phifd_monitor_snapshot(NULL, SEC(6), e, 3, &total), PHIFD_ERR_NULL_ARG);
    phifd_monitor_free(m);
    memset(e, 0x5A, sizeof e);
    CHECK_STATUS(phifd_monitor_snapshot(m, SEC(6), e, 3, &total), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_snapshot(m, SEC(6), NULL, 0, &total), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(total, 77);
    CHECK_EQ_U64(e[0].node, UINT64_C(0x5A5A5A5A5A5A5A5A));
}

/* ----------------------------------------------------------------------- prometheus -- */

/* The value of the sample line starting with `series` followed by a space, or NaN. */
static double sample(const char *text, const char *series) {
    size_t n = strlen(series);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') return strtod(line + n + 1, NULL);
        line = strchr(line, '\n');
        if (line != NULL) line++;
    }
    return NAN;
}

static void test_prometheus(void) {
    phifd_monitor *m = exponential_monitor();
    if (m == NULL) return;
    for (uint64_t t = 0; t <= 4; t++) {
        CHECK_OK(phifd_heartbeat(m, 1, 2, SEC(t)));
        CHECK_OK(phifd_heartbeat(m, 7, 1, SEC(t)));
    }

    /* cap 0 (buf NULL): only the length. */
    size_t needed = 0;
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), NULL, 0, &needed), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK(needed > 500);
    size_t len = needed;

    /* Too small (one byte short of the NUL, and tiny): needed set, nothing written. */
    char *buf = malloc(len + 1);
    CHECK(buf != NULL);
    if (buf == NULL) return;
    memset(buf, 'Z', len + 1);
    needed = 0;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), buf, len, &needed), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_U64(needed, len);
    CHECK_CONTAINS(phifd_last_error_message(), "cap");
    needed = 0;
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), buf, 1, &needed), PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_U64(needed, len);
    size_t untouched = 0;
    for (size_t i = 0; i <= len; i++) untouched += buf[i] == 'Z';
    CHECK_EQ_U64(untouched, len + 1);

    /* Exact: len + 1 bytes hold the text and its NUL. */
    needed = 0;
    CHECK_OK(phifd_monitor_render_prometheus(m, SEC(6), buf, len + 1, &needed));
    CHECK_EQ_U64(needed, len);
    CHECK(buf[len] == '\0');
    CHECK_EQ_U64(strlen(buf), len);
    CHECK(len > 0 && buf[len - 1] == '\n');
    CHECK_NEAR(sample(buf, "phifd_node_phi{node=\"1\"}"), 2.0 / log(10.0), 1e-12);
    CHECK_NEAR(sample(buf, "phifd_node_generation{node=\"1\"}"), 2.0, 0.0);
    CHECK_NEAR(sample(buf, "phifd_node_silence_seconds{node=\"7\"}"), 2.0, 1e-12);
    CHECK_NEAR(sample(buf, "phifd_node_mean_interval_seconds{node=\"7\"}"), 1.0, 1e-9);
    CHECK_NEAR(sample(buf, "phifd_node_time_until_conviction_seconds{node=\"7\"}"), 8.0 * log(10.0) - 2.0, 1e-8);
    CHECK_NEAR(sample(buf, "phifd_node_state{node=\"7\",state=\"alive\"}"), 1.0, 0.0);
    CHECK_NEAR(sample(buf, "phifd_node_state{node=\"7\",state=\"suspect\"}"), 0.0, 0.0);
    CHECK_NEAR(sample(buf, "phifd_monitor_nodes"), 2.0, 0.0);
    CHECK_CONTAINS(buf, "# TYPE phifd_monitor_stale_heartbeats_total counter\n");

    /* A larger buffer works too; the length is the same. */
    char big[65536];
    CHECK_OK(phifd_monitor_render_prometheus(m, SEC(6), big, sizeof big, &needed));
    CHECK_EQ_U64(needed, len);
    CHECK(strcmp(big, buf) == 0);

    /* Bad inputs. */
    needed = 77;
    reset_last_error();
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), buf, len + 1, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "needed");
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), NULL, 10, &needed), PHIFD_ERR_NULL_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "buf");
    CHECK_STATUS(phifd_monitor_render_prometheus(NULL, SEC(6), buf, len + 1, &needed), PHIFD_ERR_NULL_ARG);
    CHECK_EQ_U64(needed, 77);
    phifd_monitor_free(m);
    memset(buf, 'Z', len + 1);
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), buf, len + 1, &needed), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_monitor_render_prometheus(m, SEC(6), NULL, 0, &needed), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(needed, 77);
    CHECK(buf[0] == 'Z');
    free(buf);

    /* An empty monitor still renders the monitor families. */
    m = exponential_monitor();
    if (m == NULL) return;
    CHECK_OK(phifd_monitor_render_prometheus(m, 0, big, sizeof big, &needed));
    CHECK_NEAR(sample(big, "phifd_monitor_nodes"), 0.0, 0.0);
    CHECK(strstr(big, "phifd_node_phi{") == NULL);
    phifd_monitor_free(m);
}

int main(void) {
    test_constants();
    test_layout_by_hand();
    test_encode_bad_inputs();
    test_decode_defects();
    test_decode_garbage();
    test_snapshot();
    test_prometheus();
    return check_finish("test_wire");
}
