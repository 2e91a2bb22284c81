#ifndef GOPHIFD_AUTH_H
#define GOPHIFD_AUTH_H

/*
 * Wrappers for the keyring and the authenticated datagram functions, for the same reason and
 * with the same conventions as those of gophifd.h: the message of a failure is copied on the
 * thread of the failing call (malloc, freed by the binding with C.free) and results come back by
 * value. Key bytes and received datagrams are passed as pointers into Go byte slices, which hold
 * no Go pointers; the library copies what it keeps.
 */

#include "gophifd.h"

typedef struct { phifd_status status; char *msg; phifd_keyring *keyring; } gophifd_keyring_res;
typedef struct { phifd_status status; char *msg; uint32_t key_id; } gophifd_key_id_res;
typedef struct { phifd_status status; char *msg; uint8_t bytes[PHIFD_AUTH_DATAGRAM_SIZE]; } gophifd_encode_auth_res;
typedef struct { phifd_status status; char *msg; phifd_datagram datagram; bool counted; } gophifd_receive_res;

gophifd_keyring_res gophifd_keyring_new(void);
gophifd_res gophifd_keyring_add_key(const phifd_keyring *k, uint32_t key_id, const uint8_t *key, size_t len);
gophifd_res gophifd_keyring_remove_key(const phifd_keyring *k, uint32_t key_id);
gophifd_res gophifd_keyring_set_signing_key(const phifd_keyring *k, uint32_t key_id);
gophifd_key_id_res gophifd_keyring_get_signing_key(const phifd_keyring *k);
gophifd_encode_auth_res gophifd_datagram_encode_auth(const phifd_keyring *k, phifd_datagram d);
gophifd_decode_res gophifd_datagram_decode_auth(const phifd_keyring *k, const uint8_t *buf, size_t len);
/* r.datagram is also valid when r.status is PHIFD_ERR_STALE_GENERATION. */
gophifd_receive_res gophifd_monitor_receive(phifd_monitor *m, const phifd_keyring *k, const uint8_t *buf,
		size_t len, uint64_t now);

#endif
