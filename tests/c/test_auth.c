/*
 * test_auth.c — authenticated heartbeat datagrams through the C API: the keyring (key lengths,
 * duplicate ids, the 16-key bound, signing key selection, removal), the 68-byte layout checked
 * against the documented byte table, forged, truncated, every single bit flipped, wrong-key and
 * unauthenticated datagrams, rotation (the old key accepted while the new one signs, then removed
 * and refused), phifd_monitor_receive with replays of the exact same bytes, an older version and
 * an older generation (none counts as an arrival), the rejection counters, and every pointer
 * argument NULL. Expected statuses come from the header's documentation. Exits non-zero if any
 * check fails.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "phifd.h"

static const uint8_t KEY_A[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t KEY_B[24] = "a second key of 24 bytes";

static uint64_t get_le(const uint8_t *b, size_t at, size_t width) {
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++) v |= (uint64_t)b[at + i] << (8 * i);
    return v;
}

static phifd_keyring *new_ring(uint32_t id, const uint8_t *key, size_t len) {
    phifd_keyring *k = NULL;
    CHECK_OK(phifd_keyring_new(&k));
    CHECK_OK(phifd_keyring_add_key(k, id, key, len));
    return k;
}

static phifd_datagram heartbeat(uint64_t node, uint64_t generation, uint64_t version) {
    phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, 0, node, generation, 7, version, 12345};
    return d;
}

static void sign(const phifd_keyring *k, phifd_datagram d, uint8_t out[PHIFD_AUTH_DATAGRAM_SIZE]) {
    size_t written = 0;
    CHECK_OK(phifd_datagram_encode_auth(k, &d, out, PHIFD_AUTH_DATAGRAM_SIZE, &written));
    CHECK_EQ_U64(written, PHIFD_AUTH_DATAGRAM_SIZE);
}

static phifd_monitor_stats stats_of(const phifd_monitor *m) {
    phifd_monitor_stats s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    CHECK_OK(phifd_monitor_get_stats(m, &s));
    return s;
}

static void test_keyring(void) {
    phifd_keyring *k = NULL;
    CHECK_STATUS(phifd_keyring_new(NULL), PHIFD_ERR_NULL_ARG);
    CHECK_OK(phifd_keyring_new(&k));
    uint32_t id = 99;
    CHECK_STATUS(phifd_keyring_get_signing_key(k, &id), PHIFD_ERR_UNKNOWN_KEY);
    CHECK_EQ_U64(id, 99);
    uint8_t buf[PHIFD_AUTH_DATAGRAM_SIZE];
    size_t written = 0;
    phifd_datagram d = heartbeat(1, 1, 1);
    CHECK_STATUS(phifd_datagram_encode_auth(k, &d, buf, sizeof buf, &written), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "no key");

    uint8_t key[PHIFD_KEY_MAX_LEN + 1];
    memset(key, 0x5a, sizeof key);
    CHECK_STATUS(phifd_keyring_add_key(k, 1, key, PHIFD_KEY_MIN_LEN - 1), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "16 to 64 bytes");
    CHECK_STATUS(phifd_keyring_add_key(k, 1, key, PHIFD_KEY_MAX_LEN + 1), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_keyring_add_key(k, 1, key, 0), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_keyring_add_key(k, 1, NULL, 32), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_keyring_add_key(NULL, 1, key, 32), PHIFD_ERR_NULL_ARG);
    CHECK_OK(phifd_keyring_add_key(k, 1, key, PHIFD_KEY_MIN_LEN));
    CHECK_STATUS(phifd_keyring_add_key(k, 1, KEY_A, sizeof KEY_A), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "already in the keyring");
    CHECK_OK(phifd_keyring_get_signing_key(k, &id));
    CHECK_EQ_U64(id, 1);
    for (uint32_t i = 2; i <= PHIFD_KEYRING_MAX_KEYS; i++)
        CHECK_OK(phifd_keyring_add_key(k, i, key, PHIFD_KEY_MAX_LEN));
    CHECK_STATUS(phifd_keyring_add_key(k, 100, key, 32), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_keyring_set_signing_key(k, 100), PHIFD_ERR_UNKNOWN_KEY);
    CHECK_STATUS(phifd_keyring_remove_key(k, 100), PHIFD_ERR_UNKNOWN_KEY);
    CHECK_STATUS(phifd_keyring_remove_key(k, 1), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "signing key");
    CHECK_OK(phifd_keyring_set_signing_key(k, 5));
    CHECK_OK(phifd_keyring_remove_key(k, 1));
    CHECK_OK(phifd_keyring_add_key(k, 100, key, 32));
    phifd_keyring_free(k);
    phifd_keyring_free(k);
    phifd_keyring_free(NULL);
    CHECK_STATUS(phifd_keyring_add_key(k, 101, key, 32), PHIFD_ERR_INVALID_HANDLE);
    /* A monitor handle is not a keyring. */
    phifd_monitor *m = new_monitor(NULL);
    CHECK_STATUS(phifd_keyring_set_signing_key((const phifd_keyring *)m, 1), PHIFD_ERR_INVALID_HANDLE);
    phifd_monitor_free(m);
}

static void test_layout_and_decode(void) {
    phifd_keyring *k = new_ring(0xA1B2C3D4u, KEY_A, sizeof KEY_A);
    phifd_datagram d = {PHIFD_DATAGRAM_HEARTBEAT, PHIFD_DATAGRAM_FLAG_LEADER, 42, 3, 9, 100, 5000};
    uint8_t b[PHIFD_AUTH_DATAGRAM_SIZE + 4];
    memset(b, 0xEE, sizeof b);
    size_t written = 0;
    CHECK_STATUS(phifd_datagram_encode_auth(k, &d, b, PHIFD_AUTH_DATAGRAM_SIZE - 1, &written),
                 PHIFD_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_U64(written, 0);
    CHECK_OK(phifd_datagram_encode_auth(k, &d, b, sizeof b, &written));
    CHECK_EQ_U64(written, 68);
    CHECK(memcmp(b, "PHHB", 4) == 0);
    CHECK_EQ_U64(b[4], 2);
    CHECK_EQ_U64(b[5], 0);
    CHECK_EQ_U64(get_le(b, 6, 2), 1);
    CHECK_EQ_U64(get_le(b, 8, 8), 42);
    CHECK_EQ_U64(get_le(b, 16, 8), 3);
    CHECK_EQ_U64(get_le(b, 24, 8), 9);
    CHECK_EQ_U64(get_le(b, 32, 8), 100);
    CHECK_EQ_U64(get_le(b, 40, 8), 5000);
    CHECK_EQ_U64(get_le(b, 48, 4), 0xA1B2C3D4u);
    CHECK(b[68] == 0xEE && b[71] == 0xEE); /* only 68 bytes written */

    phifd_datagram out;
    memset(&out, 0, sizeof out);
    CHECK_OK(phifd_datagram_decode_auth(k, b, 68, &out));
    CHECK(out.kind == d.kind && out.flags == d.flags && out.node == 42 && out.generation == 3 && out.term == 9 &&
          out.version == 100 && out.send_ns == 5000);

    /* Truncated and extended: malformed, whatever the length. */
    for (size_t len = 0; len < sizeof b; len++) {
        if (len == 68) continue;
        CHECK_STATUS(phifd_datagram_decode_auth(k, b, len, &out), PHIFD_ERR_MALFORMED);
    }
    CHECK_CONTAINS(phifd_last_error_message(), "expected 68");
    /* Every single bit flipped: refused; the class follows the byte table. */
    for (size_t bit = 0; bit < 68 * 8; bit++) {
        uint8_t c[68];
        memcpy(c, b, 68);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        phifd_datagram sentinel = {77, 77, 77, 77, 77, 77, 77};
        phifd_status want = bit / 8 < 5                       ? PHIFD_ERR_MALFORMED
                            : (bit / 8 >= 48 && bit / 8 < 52) ? PHIFD_ERR_UNKNOWN_KEY
                                                              : PHIFD_ERR_AUTH;
        CHECK_STATUS(phifd_datagram_decode_auth(k, c, 68, &sentinel), want);
        CHECK(sentinel.node == 77 && sentinel.kind == 77); /* out untouched on failure */
    }
    /* A forged datagram: right layout, key id, garbage tag. */
    uint8_t forged[68];
    memcpy(forged, b, 68);
    memset(forged + 52, 0, 16);
    CHECK_STATUS(phifd_datagram_decode_auth(k, forged, 68, &out), PHIFD_ERR_AUTH);
    CHECK_CONTAINS(phifd_last_error_message(), "MAC does not verify");
    /* Wrong key under the same id. */
    phifd_keyring *other = new_ring(0xA1B2C3D4u, KEY_B, sizeof KEY_B);
    CHECK_STATUS(phifd_datagram_decode_auth(other, b, 68, &out), PHIFD_ERR_AUTH);
    /* An unauthenticated datagram is malformed for the keyring. */
    uint8_t plain[PHIFD_DATAGRAM_SIZE];
    CHECK_OK(phifd_datagram_encode(&d, plain, sizeof plain, &written));
    CHECK_STATUS(phifd_datagram_decode_auth(k, plain, sizeof plain, &out), PHIFD_ERR_MALFORMED);
    /* And the authenticated one is malformed for the unauthenticated decoder. */
    CHECK_STATUS(phifd_datagram_decode(b, 68, &out), PHIFD_ERR_MALFORMED);
    /* Bad arguments. */
    CHECK_STATUS(phifd_datagram_decode_auth(NULL, b, 68, &out), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_datagram_decode_auth(k, NULL, 68, &out), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_datagram_decode_auth(k, b, 68, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_datagram_decode_auth(k, b, (size_t)-1, &out), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_datagram_encode_auth(k, NULL, b, 68, &written), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_datagram_encode_auth(k, &d, NULL, 68, &written), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_datagram_encode_auth(k, &d, b, 68, NULL), PHIFD_ERR_NULL_ARG);
    phifd_datagram bad = d;
    bad.kind = 5;
    CHECK_STATUS(phifd_datagram_encode_auth(k, &bad, b, 68, &written), PHIFD_ERR_INVALID_ARG);
    bad = d;
    bad.generation = UINT64_MAX;
    CHECK_STATUS(phifd_datagram_encode_auth(k, &bad, b, 68, &written), PHIFD_ERR_INVALID_ARG);
    phifd_keyring_free(other);
    phifd_keyring_free(k);
}

static void test_rotation(void) {
    phifd_keyring *sender = new_ring(1, KEY_A, sizeof KEY_A);
    phifd_keyring *receiver = new_ring(1, KEY_A, sizeof KEY_A);
    uint8_t old_signed[68], new_signed[68];
    phifd_datagram out;
    sign(sender, heartbeat(1, 1, 1), old_signed);
    /* Step 1: the new key everywhere. Step 2: the sender switches. */
    CHECK_OK(phifd_keyring_add_key(receiver, 2, KEY_B, sizeof KEY_B));
    CHECK_OK(phifd_keyring_add_key(sender, 2, KEY_B, sizeof KEY_B));
    CHECK_OK(phifd_keyring_set_signing_key(sender, 2));
    sign(sender, heartbeat(1, 1, 2), new_signed);
    CHECK_EQ_U64(get_le(new_signed, 48, 4), 2);
    CHECK_OK(phifd_datagram_decode_auth(receiver, old_signed, 68, &out));
    CHECK_OK(phifd_datagram_decode_auth(receiver, new_signed, 68, &out));
    /* Step 3: the old key removed: refused as unknown. */
    CHECK_OK(phifd_keyring_set_signing_key(receiver, 2));
    CHECK_OK(phifd_keyring_remove_key(receiver, 1));
    CHECK_STATUS(phifd_datagram_decode_auth(receiver, old_signed, 68, &out), PHIFD_ERR_UNKNOWN_KEY);
    CHECK_CONTAINS(phifd_last_error_message(), "key id 1");
    CHECK_OK(phifd_datagram_decode_auth(receiver, new_signed, 68, &out));
    phifd_keyring_free(sender);
    phifd_keyring_free(receiver);
}

static void test_receive(void) {
    phifd_monitor *m = new_monitor(NULL);
    phifd_keyring *k = new_ring(3, KEY_A, sizeof KEY_A);
    phifd_datagram out;
    bool counted = false;
    uint8_t first[68], b[68];
    uint64_t t = SEC(10);
    sign(k, heartbeat(9, 2, 10), first);
    CHECK_OK(phifd_monitor_receive(m, k, first, 68, t, &out, &counted));
    CHECK(counted);
    CHECK_EQ_U64(out.node, 9);
    /* The exact same bytes: authentic, not counted. */
    counted = true;
    CHECK_OK(phifd_monitor_receive(m, k, first, 68, t + MS(100), &out, &counted));
    CHECK(!counted);
    /* An older version. */
    sign(k, heartbeat(9, 2, 9), b);
    counted = true;
    CHECK_OK(phifd_monitor_receive(m, k, b, 68, t + MS(200), &out, &counted));
    CHECK(!counted);
    /* An older generation: stale, and `out` carries the datagram for the stale reply. */
    sign(k, heartbeat(9, 1, 500), b);
    memset(&out, 0, sizeof out);
    CHECK_STATUS(phifd_monitor_receive(m, k, b, 68, t + MS(300), &out, &counted), PHIFD_ERR_STALE_GENERATION);
    CHECK_EQ_U64(out.generation, 1);
    CHECK_EQ_U64(out.node, 9);
    /* None of them moved the arrival. */
    phifd_node_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    CHECK_OK(phifd_node_get_info(m, 9, t + MS(400), &info));
    CHECK_EQ_U64(info.last_arrival_ns, t);
    CHECK_EQ_U64(info.version, 10);
    /* A newer version counts; out_counted may be NULL. */
    sign(k, heartbeat(9, 2, 11), b);
    CHECK_OK(phifd_monitor_receive(m, k, b, 68, t + MS(500), &out, NULL));
    CHECK_OK(phifd_node_get_info(m, 9, t + MS(500), &info));
    CHECK_EQ_U64(info.last_arrival_ns, t + MS(500));
    /* A stale reply is decoded, not applied. */
    phifd_datagram reply = heartbeat(9, 2, 12);
    reply.kind = PHIFD_DATAGRAM_STALE_REPLY;
    sign(k, reply, b);
    counted = true;
    CHECK_OK(phifd_monitor_receive(m, k, b, 68, t + MS(600), &out, &counted));
    CHECK(!counted);
    CHECK_EQ_U64(out.kind, PHIFD_DATAGRAM_STALE_REPLY);
    /* Rejections: bad MAC, unknown key, truncated, unauthenticated with a keyring. */
    sign(k, heartbeat(9, 2, 50), b);
    b[20] ^= 4;
    CHECK_STATUS(phifd_monitor_receive(m, k, b, 68, t, &out, &counted), PHIFD_ERR_AUTH);
    phifd_keyring *other = new_ring(4, KEY_A, sizeof KEY_A);
    sign(other, heartbeat(9, 2, 51), b);
    CHECK_STATUS(phifd_monitor_receive(m, k, b, 68, t, &out, &counted), PHIFD_ERR_UNKNOWN_KEY);
    CHECK_STATUS(phifd_monitor_receive(m, k, first, 67, t, &out, &counted), PHIFD_ERR_MALFORMED);
    uint8_t plain[PHIFD_DATAGRAM_SIZE];
    size_t written = 0;
    phifd_datagram p = heartbeat(9, 2, 52);
    CHECK_OK(phifd_datagram_encode(&p, plain, sizeof plain, &written));
    CHECK_STATUS(phifd_monitor_receive(m, k, plain, sizeof plain, t, &out, &counted), PHIFD_ERR_MALFORMED);
    CHECK_CONTAINS(phifd_last_error_message(), "expected 68");
    CHECK_OK(phifd_node_get_info(m, 9, t + MS(700), &info));
    CHECK_EQ_U64(info.last_arrival_ns, t + MS(500));
    phifd_monitor_stats s = stats_of(m);
    CHECK_EQ_U64(s.rejected_bad_mac, 1);
    CHECK_EQ_U64(s.rejected_unknown_key, 1);
    CHECK_EQ_U64(s.rejected_malformed, 2);
    CHECK_EQ_U64(s.rejected_replayed, 3);
    CHECK_EQ_U64(s.stale_heartbeats, 1);
    /* Without a keyring: the 56-byte datagram only; replays not counted either. */
    p = heartbeat(20, 1, 1);
    CHECK_OK(phifd_datagram_encode(&p, plain, sizeof plain, &written));
    CHECK_OK(phifd_monitor_receive(m, NULL, plain, sizeof plain, t, &out, &counted));
    CHECK(counted);
    CHECK_OK(phifd_monitor_receive(m, NULL, plain, sizeof plain, t + 1, &out, &counted));
    CHECK(!counted);
    CHECK_STATUS(phifd_monitor_receive(m, NULL, first, 68, t, &out, &counted), PHIFD_ERR_MALFORMED);
    CHECK_EQ_U64(stats_of(m).rejected_malformed, 3);
    /* Bad arguments: nothing is counted. */
    CHECK_STATUS(phifd_monitor_receive(NULL, k, first, 68, t, &out, &counted), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_receive(m, k, NULL, 68, t, &out, &counted), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_receive(m, k, first, 68, t, NULL, &counted), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_monitor_receive(m, k, first, (size_t)-1, t, &out, &counted), PHIFD_ERR_INVALID_ARG);
    CHECK_STATUS(phifd_monitor_receive(m, (const phifd_keyring *)m, first, 68, t, &out, &counted),
                 PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(stats_of(m).rejected_malformed, 3);
    phifd_keyring_free(other);
    phifd_keyring_free(k);
    /* A freed keyring is refused, not used. */
    CHECK_STATUS(phifd_monitor_receive(m, k, first, 68, t, &out, &counted), PHIFD_ERR_INVALID_HANDLE);
    phifd_monitor_free(m);
}

int main(void) {
    test_keyring();
    test_layout_and_decode();
    test_rotation();
    test_receive();
    return check_finish("test_auth");
}
