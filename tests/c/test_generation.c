/*
 * test_generation.c — the server's own generation clock: in-memory and durable clocks, the
 * 2^48 bound, adopting a peer's generation, the file format (encoded here independently from its
 * documented layout: magic "PHIFDGEN", version 1, reserved 0, little-endian generation, FNV-1a 64
 * of bytes 0..24), damage detection, the OS lock, and bad arguments.
 * Exits non-zero if any check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "phifd.h"

/* The documented bound, 2^48 (the header's macro is an `int` shift, not usable in C). */
#define BOUND (UINT64_C(1) << 48)

/* ------------------------------------------------------------------ file format by hand -- */

static uint64_t fnv1a64(const uint8_t *p, size_t n) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* The 32-byte file for `generation`, with the checksum recomputed over what is there. */
static void encode(uint8_t out[32], uint64_t generation, uint32_t version, uint32_t reserved) {
    memcpy(out, "PHIFDGEN", 8);
    put_le32(out + 8, version);
    put_le32(out + 12, reserved);
    put_le64(out + 16, generation);
    put_le64(out + 24, fnv1a64(out, 24));
}

/* Reads a whole small file; returns its length or -1. */
static long read_file(const char *path, uint8_t *buf, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static int write_file(const char *path, const uint8_t *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    size_t w = fwrite(buf, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* The generation stored in the file at `path`, checked by hand; UINT64_MAX if unreadable. */
static uint64_t stored_generation(const char *path) {
    uint8_t b[64];
    long n = read_file(path, b, sizeof b);
    CHECK(n == 32);
    if (n != 32) return UINT64_MAX;
    CHECK(memcmp(b, "PHIFDGEN", 8) == 0);
    CHECK(get_le64(b + 24) == fnv1a64(b, 24));
    uint64_t via_lib = 0;
    CHECK_OK(phifd_generation_parse(b, 32, &via_lib));
    CHECK_EQ_U64(via_lib, get_le64(b + 16));
    return get_le64(b + 16);
}

/* ------------------------------------------------------------------------------- parse -- */

static void expect_corrupt(const uint8_t *bytes, size_t len, const char *damage) {
    uint64_t out = 4242;
    reset_last_error();
    CHECK_STATUS(phifd_generation_parse(bytes, len, &out), PHIFD_ERR_CORRUPT);
    CHECK_EQ_U64(out, 4242);
    CHECK_CONTAINS(phifd_last_error_message(), damage);
}

static void test_parse(void) {
    uint8_t b[40];
    const uint64_t good[] = {0, 1, 42, UINT64_C(0x0102030405), BOUND};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        encode(b, good[i], 1, 0);
        uint64_t out = 7;
        CHECK_OK(phifd_generation_parse(b, 32, &out));
        CHECK_EQ_U64(out, good[i]);
    }
    encode(b, 5, 1, 0);
    expect_corrupt(NULL, 0, "truncated");
    expect_corrupt(b, 0, "truncated");
    expect_corrupt(b, 31, "truncated");
    b[32] = 0;
    expect_corrupt(b, 33, "long");
    uint8_t d[32];
    memcpy(d, b, 32);
    d[0] = 'X';
    expect_corrupt(d, 32, "magic");
    encode(d, 5, 2, 0);
    expect_corrupt(d, 32, "version");
    encode(d, 5, 1, 1);
    expect_corrupt(d, 32, "reserved");
    memcpy(d, b, 32);
    d[16] ^= 1; /* generation 4 under the checksum of 5 */
    expect_corrupt(d, 32, "checksum");
    memcpy(d, b, 32);
    d[31] ^= 0x80;
    expect_corrupt(d, 32, "checksum");
    encode(d, BOUND + 1, 1, 0);
    expect_corrupt(d, 32, "bound");
    encode(d, UINT64_MAX, 1, 0);
    expect_corrupt(d, 32, "bound");

    uint64_t out = 1;
    CHECK_STATUS(phifd_generation_parse(NULL, 32, &out), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_parse(b, 32, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_EQ_U64(out, 1);
}

/* --------------------------------------------------------------------------- in memory -- */

static void test_in_memory(void) {
    phifd_generation *g = NULL;
    CHECK_STATUS(phifd_generation_new_in_memory(1, NULL), PHIFD_ERR_NULL_ARG);
    phifd_generation *const sentinel = (phifd_generation *)(uintptr_t)0x99;
    g = sentinel;
    reset_last_error();
    CHECK_STATUS(phifd_generation_new_in_memory(BOUND + 1, &g), PHIFD_ERR_INVALID_ARG);
    CHECK(g == sentinel);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_generation_new_in_memory");
    g = NULL;
    CHECK_OK(phifd_generation_new_in_memory(5, &g));
    CHECK(g != NULL);
    if (g == NULL) return;

    uint64_t v = 0;
    bool down = true;
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 5);
    CHECK_OK(phifd_generation_advance(g, &v));
    CHECK_EQ_U64(v, 6);
    /* Older or equal generations from peers change nothing. */
    CHECK_OK(phifd_generation_observe(g, 3, &down));
    CHECK(down == false);
    down = true;
    CHECK_OK(phifd_generation_observe(g, 6, &down));
    CHECK(down == false);
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 6);
    /* A newer one is adopted: step down. */
    CHECK_OK(phifd_generation_observe(g, 40, &down));
    CHECK(down == true);
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 40);
    CHECK_OK(phifd_generation_advance(g, &v));
    CHECK_EQ_U64(v, 41);
    /* Beyond the bound: rejected, unchanged, out-param untouched. */
    down = true;
    reset_last_error();
    CHECK_STATUS(phifd_generation_observe(g, BOUND + 1, &down), PHIFD_ERR_INVALID_ARG);
    CHECK_CONTAINS(phifd_last_error_message(), "phifd_generation_observe");
    CHECK(down == true);
    CHECK_STATUS(phifd_generation_observe(g, UINT64_MAX, &down), PHIFD_ERR_INVALID_ARG);
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 41);
    /* Up to the bound itself, then advancing is refused. */
    CHECK_OK(phifd_generation_observe(g, BOUND, &down));
    CHECK(down == true);
    v = 77;
    CHECK_STATUS(phifd_generation_advance(g, &v), PHIFD_ERR_INVALID_ARG);
    CHECK_EQ_U64(v, 77);
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, BOUND);

    /* NULL arguments. */
    CHECK_STATUS(phifd_generation_current(NULL, &v), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_current(g, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_advance(NULL, &v), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_advance(g, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_observe(NULL, 1, &down), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_observe(g, 1, NULL), PHIFD_ERR_NULL_ARG);
    phifd_generation_free(NULL);

    /* Freed: every call says so; freeing again is ignored. */
    phifd_generation_free(g);
    v = 99;
    down = false;
    CHECK_STATUS(phifd_generation_current(g, &v), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_generation_advance(g, &v), PHIFD_ERR_INVALID_HANDLE);
    CHECK_STATUS(phifd_generation_observe(g, 1, &down), PHIFD_ERR_INVALID_HANDLE);
    CHECK_EQ_U64(v, 99);
    CHECK(down == false);
    phifd_generation_free(g);

    /* A handle of another type is not a clock. */
    phifd_config *cfg = NULL;
    CHECK_OK(phifd_config_new(&cfg));
    CHECK_STATUS(phifd_generation_current((const phifd_generation *)(const void *)cfg, &v), PHIFD_ERR_INVALID_HANDLE);
    phifd_config_free(cfg);
}

/* ----------------------------------------------------------------------------- durable -- */

static void test_durable(const char *dir) {
    char path[512], lock[520], bad[600];
    snprintf(path, sizeof path, "%s/gen", dir);
    snprintf(lock, sizeof lock, "%s.lock", path);

    phifd_generation *g = NULL;
    CHECK_STATUS(phifd_generation_open(NULL, &g), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_open(path, NULL), PHIFD_ERR_NULL_ARG);
    CHECK_STATUS(phifd_generation_open("", &g), PHIFD_ERR_INVALID_ARG);
    CHECK(g == NULL);

    /* A new file starts at 1, durable before open returns, owner-only. */
    CHECK_OK(phifd_generation_open(path, &g));
    if (g == NULL) return;
    uint64_t v = 0;
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 1);
    CHECK_EQ_U64(stored_generation(path), 1);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    /* Held: a second open (another open file description) is refused. */
    phifd_generation *g2 = (phifd_generation *)(uintptr_t)0x42;
    reset_last_error();
    CHECK_STATUS(phifd_generation_open(path, &g2), PHIFD_ERR_LOCKED);
    CHECK(g2 == (phifd_generation *)(uintptr_t)0x42);
    CHECK_CONTAINS(phifd_last_error_message(), path);

    /* advance and observe are durable. */
    CHECK_OK(phifd_generation_advance(g, &v));
    CHECK_EQ_U64(v, 2);
    CHECK_EQ_U64(stored_generation(path), 2);
    bool down = false;
    CHECK_OK(phifd_generation_observe(g, 10, &down));
    CHECK(down);
    CHECK_EQ_U64(stored_generation(path), 10);
    CHECK_OK(phifd_generation_observe(g, 9, &down));
    CHECK(!down);
    CHECK_EQ_U64(stored_generation(path), 10);
    phifd_generation_free(g);

    /* Reopening is a new incarnation: stored + 1. */
    g = NULL;
    CHECK_OK(phifd_generation_open(path, &g));
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 11);
    CHECK_EQ_U64(stored_generation(path), 11);
    phifd_generation_free(g);

    /* A file written by hand in the documented format is read back. */
    uint8_t b[32];
    encode(b, 500, 1, 0);
    CHECK(write_file(path, b, 32) == 0);
    g = NULL;
    CHECK_OK(phifd_generation_open(path, &g));
    CHECK_OK(phifd_generation_current(g, &v));
    CHECK_EQ_U64(v, 501);
    phifd_generation_free(g);

    /* Damage is reported, naming the path, and the file is left as it is. */
    uint8_t garbage[32];
    memcpy(garbage, b, 32);
    garbage[20] ^= 0x10;
    CHECK(write_file(path, garbage, 32) == 0);
    g = NULL;
    reset_last_error();
    CHECK_STATUS(phifd_generation_open(path, &g), PHIFD_ERR_CORRUPT);
    CHECK(g == NULL);
    CHECK_CONTAINS(phifd_last_error_message(), path);
    CHECK_CONTAINS(phifd_last_error_message(), "checksum");
    uint8_t after[64];
    CHECK(read_file(path, after, sizeof after) == 32 && memcmp(after, garbage, 32) == 0);
    CHECK(write_file(path, garbage, 0) == 0); /* created but never written */
    CHECK_STATUS(phifd_generation_open(path, &g), PHIFD_ERR_CORRUPT);
    CHECK_CONTAINS(phifd_last_error_message(), "truncated");
    CHECK(read_file(path, after, sizeof after) == 0);

    /* A missing directory is an I/O error naming the path. */
    snprintf(bad, sizeof bad, "%s/no/such/dir/gen", dir);
    reset_last_error();
    CHECK_STATUS(phifd_generation_open(bad, &g), PHIFD_ERR_IO);
    CHECK(g == NULL);
    CHECK_CONTAINS(phifd_last_error_message(), "no/such/dir");

    unlink(path);
    unlink(lock);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
}

int main(void) {
    test_parse();
    test_in_memory();
    char dir[] = "/tmp/phifd-c-test-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_durable(dir);
    if (rmdir(dir) != 0) fprintf(stderr, "rmdir %s: %s\n", dir, strerror(errno));
    CHECK_EQ_U64(PHIFD_ERR_IO, 8);
    CHECK_EQ_U64(PHIFD_ERR_CORRUPT, 9);
    CHECK_EQ_U64(PHIFD_ERR_LOCKED, 10);
    return check_finish("test_generation");
}
