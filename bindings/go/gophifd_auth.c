/* Wrappers around the keyring and authenticated datagram functions; see gophifd_auth.h. */
#include <stdlib.h>
#include <string.h>
#include "gophifd_auth.h"

/* A malloc'ed copy of the calling thread's last error message for a failed call, else NULL. */
static char *gophifd_auth_msg(phifd_status s) {
	if (s == PHIFD_OK) return NULL;
	const char *msg = phifd_last_error_message();
	size_t n = strlen(msg) + 1;
	char *copy = malloc(n);
	if (copy != NULL) memcpy(copy, msg, n);
	return copy;
}

gophifd_keyring_res gophifd_keyring_new(void) {
	gophifd_keyring_res r;
	r.keyring = NULL;
	r.status = phifd_keyring_new(&r.keyring);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_res gophifd_keyring_add_key(const phifd_keyring *k, uint32_t key_id, const uint8_t *key, size_t len) {
	gophifd_res r;
	r.status = phifd_keyring_add_key(k, key_id, key, len);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_res gophifd_keyring_remove_key(const phifd_keyring *k, uint32_t key_id) {
	gophifd_res r;
	r.status = phifd_keyring_remove_key(k, key_id);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_res gophifd_keyring_set_signing_key(const phifd_keyring *k, uint32_t key_id) {
	gophifd_res r;
	r.status = phifd_keyring_set_signing_key(k, key_id);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_key_id_res gophifd_keyring_get_signing_key(const phifd_keyring *k) {
	gophifd_key_id_res r;
	r.key_id = 0;
	r.status = phifd_keyring_get_signing_key(k, &r.key_id);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_encode_auth_res gophifd_datagram_encode_auth(const phifd_keyring *k, phifd_datagram d) {
	gophifd_encode_auth_res r;
	size_t written = 0;
	memset(&r, 0, sizeof r);
	r.status = phifd_datagram_encode_auth(k, &d, r.bytes, sizeof r.bytes, &written);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_decode_res gophifd_datagram_decode_auth(const phifd_keyring *k, const uint8_t *buf, size_t len) {
	gophifd_decode_res r;
	memset(&r, 0, sizeof r);
	r.status = phifd_datagram_decode_auth(k, buf, len, &r.datagram);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}

gophifd_receive_res gophifd_monitor_receive(phifd_monitor *m, const phifd_keyring *k, const uint8_t *buf,
		size_t len, uint64_t now) {
	gophifd_receive_res r;
	memset(&r, 0, sizeof r);
	r.status = phifd_monitor_receive(m, k, buf, len, now, &r.datagram, &r.counted);
	r.msg = gophifd_auth_msg(r.status);
	return r;
}
