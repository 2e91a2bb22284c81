"""Forged heartbeat datagrams, written independently of the library (Python standard library only),
for checking that the demo's nodes refuse them.

The layout is the one in README.md ("Wire format") and docs/security.md: bytes 0..48 carry the
magic `PHHB`, the format version, kind, flags, node, generation, term, version and send time
(little-endian); the unauthenticated datagram (version 1, 56 bytes) ends with an FNV-1a 64
checksum of bytes 0..48, the authenticated one (version 2, 68 bytes) with a key id and the first
16 bytes of HMAC-SHA-256 over bytes 0..52.

A forged datagram here is well formed in every other respect, so a node that accepted it would act
on it: it claims to come from a real peer, with a far higher incarnation and term and the leader
flag (accepted, it would make the peer look RESTARTED with generation FORGED_GENERATION).
"""

import hashlib
import hmac
import struct

FORGED_GENERATION = 777_000_000  # far above any real incarnation, below the 2^48 bound
FORGED_TERM = 777
KEY_ID = 1  # the id every demo node gives the --key-file key


def _fields(version, node, generation, term, seq, send_ns, leader):
    return struct.pack("<4sBBHQQQQQ", b"PHHB", version, 0, 1 if leader else 0, node, generation, term, seq, send_ns)


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def unsigned(node, seq, send_ns, generation=FORGED_GENERATION, term=FORGED_TERM, leader=True):
    """A valid 56-byte unauthenticated heartbeat (format version 1, correct checksum)."""
    head = _fields(1, node, generation, term, seq, send_ns, leader)
    return head + struct.pack("<Q", fnv1a64(head))


def signed(key, key_id, node, seq, send_ns, generation=FORGED_GENERATION, term=FORGED_TERM, leader=True):
    """A 68-byte authenticated heartbeat (format version 2) signed with `key` under `key_id`."""
    head = _fields(2, node, generation, term, seq, send_ns, leader) + struct.pack("<I", key_id)
    return head + hmac.new(key, head, hashlib.sha256).digest()[:16]
