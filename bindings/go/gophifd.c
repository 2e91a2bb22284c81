/* Wrappers around the library's fallible functions for the Go binding; see gophifd.h. */
#include <stdlib.h>
#include <string.h>
#include "gophifd.h"

/* A malloc'ed copy of the calling thread's last error message for a failed call, else NULL. */
static char *gophifd_msg(phifd_status s) {
	if (s == PHIFD_OK) return NULL;
	const char *msg = phifd_last_error_message();
	size_t n = strlen(msg) + 1;
	char *copy = malloc(n);
	if (copy != NULL) memcpy(copy, msg, n);
	return copy;
}

gophifd_res gophifd_heartbeat(phifd_monitor *m, uint64_t node, uint64_t gen, uint64_t now) {
	gophifd_res r;
	r.status = phifd_heartbeat(m, node, gen, now);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_node_add(phifd_monitor *m, uint64_t node, uint64_t gen, uint64_t now) {
	gophifd_res r;
	r.status = phifd_node_add(m, node, gen, now);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_node_remove(phifd_monitor *m, uint64_t node) {
	gophifd_res r;
	r.status = phifd_node_remove(m, node);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_phi_res gophifd_phi(const phifd_monitor *m, uint64_t node, uint64_t now) {
	gophifd_phi_res r;
	r.phi = 0;
	r.status = phifd_phi(m, node, now, &r.phi);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_info_res gophifd_info(const phifd_monitor *m, uint64_t node, uint64_t now) {
	gophifd_info_res r;
	memset(&r, 0, sizeof r);
	r.info.size = (uint32_t)sizeof(phifd_node_info);
	r.status = phifd_node_get_info(m, node, now, &r.info);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_time_until_phi(const phifd_monitor *m, uint64_t node, double phi) {
	gophifd_u64_res r;
	r.value = 0;
	r.status = phifd_node_time_until_phi(m, node, phi, &r.value);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_node_count(const phifd_monitor *m) {
	gophifd_u64_res r;
	r.value = 0;
	r.status = phifd_monitor_node_count(m, &r.value);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_poll(phifd_monitor *m, uint64_t now, phifd_event *events, size_t cap) {
	gophifd_u64_res r;
	size_t written = 0;
	r.status = phifd_monitor_poll(m, now, events, cap, &written);
	r.value = (uint64_t)written;
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_stats_res gophifd_stats(const phifd_monitor *m) {
	gophifd_stats_res r;
	memset(&r, 0, sizeof r);
	r.stats.size = (uint32_t)sizeof(phifd_monitor_stats);
	r.status = phifd_monitor_get_stats(m, &r.stats);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_heartbeat_batch(phifd_monitor *m, const uint64_t *nodes,
		const uint64_t *gens, const uint64_t *times, size_t count, phifd_status *statuses) {
	gophifd_res r;
	r.status = phifd_heartbeat_batch(m, nodes, gens, times, count, statuses);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_counted_res gophifd_heartbeat_version(phifd_monitor *m, uint64_t node, uint64_t gen,
		uint64_t version, uint64_t now) {
	gophifd_counted_res r;
	r.counted = false;
	r.status = phifd_heartbeat_version(m, node, gen, version, now, &r.counted);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_report_suspect(phifd_monitor *m, uint64_t node, uint64_t reporter) {
	gophifd_res r;
	r.status = phifd_node_report_suspect(m, node, reporter);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_set_local_health(phifd_monitor *m, uint32_t score) {
	gophifd_res r;
	r.status = phifd_monitor_set_local_health(m, score);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_get_local_health(const phifd_monitor *m) {
	gophifd_u64_res r;
	uint32_t score = 0;
	r.status = phifd_monitor_get_local_health(m, &score);
	r.value = score;
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_res gophifd_phi_batch(const phifd_monitor *m, const uint64_t *nodes, size_t count,
		uint64_t now, double *out, phifd_status *statuses) {
	gophifd_res r;
	r.status = phifd_phi_batch(m, nodes, count, now, out, statuses);
	r.msg = gophifd_msg(r.status);
	return r;
}

/* value = the number of nodes (entries written: min(value, cap)). */
gophifd_u64_res gophifd_snapshot(const phifd_monitor *m, uint64_t now, phifd_snapshot_entry *entries,
		size_t cap) {
	gophifd_u64_res r;
	size_t total = 0;
	r.status = phifd_monitor_snapshot(m, now, entries, cap, &total);
	r.value = (uint64_t)total;
	r.msg = gophifd_msg(r.status);
	return r;
}

/* value = the text's length without the NUL, also with PHIFD_ERR_BUFFER_TOO_SMALL. */
gophifd_u64_res gophifd_prometheus(const phifd_monitor *m, uint64_t now, char *buf, size_t cap) {
	gophifd_u64_res r;
	size_t needed = 0;
	r.status = phifd_monitor_render_prometheus(m, now, buf, cap, &needed);
	r.value = (uint64_t)needed;
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_encode_res gophifd_datagram_encode(phifd_datagram d) {
	gophifd_encode_res r;
	size_t written = 0;
	memset(&r, 0, sizeof r);
	r.status = phifd_datagram_encode(&d, r.bytes, sizeof r.bytes, &written);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_decode_res gophifd_datagram_decode(const uint8_t *buf, size_t len) {
	gophifd_decode_res r;
	memset(&r, 0, sizeof r);
	r.status = phifd_datagram_decode(buf, len, &r.datagram);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_clock_res gophifd_generation_open(const char *path) {
	gophifd_clock_res r;
	r.clock = NULL;
	r.status = phifd_generation_open(path, &r.clock);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_clock_res gophifd_generation_new_in_memory(uint64_t start) {
	gophifd_clock_res r;
	r.clock = NULL;
	r.status = phifd_generation_new_in_memory(start, &r.clock);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_generation_current(const phifd_generation *g) {
	gophifd_u64_res r;
	r.value = 0;
	r.status = phifd_generation_current(g, &r.value);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_generation_advance(phifd_generation *g) {
	gophifd_u64_res r;
	r.value = 0;
	r.status = phifd_generation_advance(g, &r.value);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_observe_res gophifd_generation_observe(phifd_generation *g, uint64_t remote) {
	gophifd_observe_res r;
	r.step_down = false;
	r.status = phifd_generation_observe(g, remote, &r.step_down);
	r.msg = gophifd_msg(r.status);
	return r;
}

gophifd_u64_res gophifd_generation_parse(const uint8_t *bytes, size_t len) {
	gophifd_u64_res r;
	r.value = 0;
	r.status = phifd_generation_parse(bytes, len, &r.value);
	r.msg = gophifd_msg(r.status);
	return r;
}

/* Does nothing: the cost of a bare cgo call, measured by the binding's overhead benchmarks. */
void gophifd_noop(void) {}
