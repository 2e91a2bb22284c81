#ifndef GOPHIFD_H
#define GOPHIFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The C header comes from an installed phifd, found through pkg-config (phifd-static.pc) or, with
 * the build tag phifd_nopkgconfig, through the caller's CGO_CFLAGS. When it is missing, say what
 * to install instead of "phifd.h: No such file or directory", and stop there.
 */
#if defined(__has_include)
#if !__has_include(<phifd.h>)
#error "phifd: phifd.h not found. Install the phifd C library: the Debian package libphifd-dev (make deb in the phifd repository builds it into build/deb/), or make install PREFIX=/opt/phifd then export PKG_CONFIG_PATH=/opt/phifd/lib/pkgconfig. With -tags phifd_nopkgconfig, set CGO_CFLAGS=-I<directory of phifd.h> and CGO_LDFLAGS=-L<directory of libphifd> instead."
#endif
#endif
#include <phifd.h>

/*
 * The phifd versions this binding works with: the same major version, at least this minor one
 * (a binding test checks these against Cargo.toml). The header's version is checked here, at
 * compile time; the linked library's (phifd_version()) when the package initialises.
 */
#define GOPHIFD_REQUIRED_MAJOR 0
#define GOPHIFD_REQUIRED_MINOR 1
#if defined(PHIFD_VERSION_MAJOR) && \
    (PHIFD_VERSION_MAJOR != GOPHIFD_REQUIRED_MAJOR || PHIFD_VERSION_MINOR < GOPHIFD_REQUIRED_MINOR)
#error "phifd: the installed phifd.h is not a version this Go binding supports (it needs 0.x with x >= 1). Install the phifd C library of the same release as the binding (libphifd-dev, or make install PREFIX=...) and point PKG_CONFIG_PATH at it."
#endif

/*
 * Wrappers the Go binding calls instead of the library's fallible hot-path and
 * generation-clock functions.
 *
 * The library keeps the message of the last failure per OS thread, but a goroutine may move to
 * another thread between two cgo calls. So every such fallible call goes through one of
 * the wrappers below: it calls the library and, on failure, copies the message on the same thread
 * (malloc). The copy belongs to the binding, which frees it with C.free; strings owned by the
 * library are never freed. Results come back by value, so no Go pointer is passed to C and
 * nothing escapes to the Go heap.
 *
 * Each result struct is the status, the copied message (NULL on success or if malloc failed)
 * and the call's output.
 */

typedef struct { phifd_status status; char *msg; } gophifd_res;
typedef struct { phifd_status status; char *msg; double phi; } gophifd_phi_res;
typedef struct { phifd_status status; char *msg; phifd_node_info info; } gophifd_info_res;
typedef struct { phifd_status status; char *msg; uint64_t value; } gophifd_u64_res;
typedef struct { phifd_status status; char *msg; phifd_monitor_stats stats; } gophifd_stats_res;
typedef struct { phifd_status status; char *msg; phifd_generation *clock; } gophifd_clock_res;
typedef struct { phifd_status status; char *msg; bool step_down; } gophifd_observe_res;
typedef struct { phifd_status status; char *msg; bool counted; } gophifd_counted_res;
typedef struct { phifd_status status; char *msg; uint8_t bytes[PHIFD_DATAGRAM_SIZE]; } gophifd_encode_res;
typedef struct { phifd_status status; char *msg; phifd_datagram datagram; } gophifd_decode_res;

gophifd_res gophifd_heartbeat(phifd_monitor *m, uint64_t node, uint64_t gen, uint64_t now);
gophifd_res gophifd_node_add(phifd_monitor *m, uint64_t node, uint64_t gen, uint64_t now);
gophifd_res gophifd_node_remove(phifd_monitor *m, uint64_t node);
gophifd_phi_res gophifd_phi(const phifd_monitor *m, uint64_t node, uint64_t now);
gophifd_info_res gophifd_info(const phifd_monitor *m, uint64_t node, uint64_t now);
gophifd_u64_res gophifd_time_until_phi(const phifd_monitor *m, uint64_t node, double phi);
gophifd_u64_res gophifd_node_count(const phifd_monitor *m);
gophifd_u64_res gophifd_poll(phifd_monitor *m, uint64_t now, phifd_event *events, size_t cap);
gophifd_stats_res gophifd_stats(const phifd_monitor *m);
gophifd_res gophifd_heartbeat_batch(phifd_monitor *m, const uint64_t *nodes,
		const uint64_t *gens, const uint64_t *times, size_t count, phifd_status *statuses);
gophifd_counted_res gophifd_heartbeat_version(phifd_monitor *m, uint64_t node, uint64_t gen,
		uint64_t version, uint64_t now);
gophifd_res gophifd_report_suspect(phifd_monitor *m, uint64_t node, uint64_t reporter);
gophifd_res gophifd_set_local_health(phifd_monitor *m, uint32_t score);
gophifd_u64_res gophifd_get_local_health(const phifd_monitor *m);
gophifd_res gophifd_phi_batch(const phifd_monitor *m, const uint64_t *nodes, size_t count,
		uint64_t now, double *out, phifd_status *statuses);
gophifd_u64_res gophifd_snapshot(const phifd_monitor *m, uint64_t now, phifd_snapshot_entry *entries,
		size_t cap);
gophifd_u64_res gophifd_prometheus(const phifd_monitor *m, uint64_t now, char *buf, size_t cap);

/* Does nothing (the cost of a bare cgo call, for the overhead benchmarks). */
void gophifd_noop(void);

gophifd_encode_res gophifd_datagram_encode(phifd_datagram d);
gophifd_decode_res gophifd_datagram_decode(const uint8_t *buf, size_t len);

gophifd_clock_res gophifd_generation_open(const char *path);
gophifd_clock_res gophifd_generation_new_in_memory(uint64_t start);
gophifd_u64_res gophifd_generation_current(const phifd_generation *g);
gophifd_u64_res gophifd_generation_advance(phifd_generation *g);
gophifd_observe_res gophifd_generation_observe(phifd_generation *g, uint64_t remote);
gophifd_u64_res gophifd_generation_parse(const uint8_t *bytes, size_t len);

#endif
