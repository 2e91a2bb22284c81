"""Authenticated heartbeats: Keyring, Datagram.encode_auth/decode_auth, Monitor.receive.

The expected bytes and tags are computed here independently of the library, with ``struct``,
``hmac`` and ``hashlib``, from the layout in docs/security.md: bytes 0..48 as in the 56-byte
datagram with format version 2, a little-endian u32 key id at 48, and at 52 the leftmost 16
bytes of HMAC-SHA-256 over bytes 0..52.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import subprocess
import sys
import threading
from typing import Dict, List

import phifd
import pytest

KEY_A = bytes(range(32))  # id 1
KEY_B = bytes(range(100, 132))  # id 2
SECOND = 1_000_000_000


def signed(
    key_id: int,
    key: bytes,
    node: int,
    generation: int,
    term: int,
    version: int,
    send_ns: int,
    kind: int = 0,
    flags: int = 0,
) -> bytes:
    """An authenticated datagram built without the library."""
    body = struct.pack("<4sBBHQQQQQI", b"PHHB", 2, kind, flags, node, generation, term, version, send_ns, key_id)
    assert len(body) == 52
    return body + hmac.new(key, body, hashlib.sha256).digest()[:16]


def ring_a() -> phifd.Keyring:
    return phifd.Keyring({1: KEY_A})


def test_constants_match_the_format() -> None:
    assert phifd.AUTH_DATAGRAM_SIZE == 68
    assert (phifd.KEY_MIN_LEN, phifd.KEY_MAX_LEN, phifd.KEYRING_MAX_KEYS) == (16, 64, 16)


def test_round_trip_and_tag_equals_an_independent_hmac() -> None:
    d = phifd.Datagram.heartbeat(
        node=0x0102030405060708, generation=3, term=9, version=42, send_ns=123_456_789, leader=True
    )
    with ring_a() as ring:
        wire = d.encode_auth(ring)
        assert len(wire) == phifd.AUTH_DATAGRAM_SIZE
        assert wire == signed(1, KEY_A, 0x0102030405060708, 3, 9, 42, 123_456_789, flags=1)
        assert wire[48:52] == (1).to_bytes(4, "little")
        assert wire[52:] == hmac.new(KEY_A, wire[:52], hashlib.sha256).digest()[:16]
        assert phifd.Datagram.decode_auth(wire, ring) == d
        assert phifd.Datagram.decode_auth(bytearray(wire), ring) == d
        assert phifd.Datagram.decode_auth(memoryview(wire), ring) == d
        stale = phifd.Datagram.stale_reply(node=5, term=77)
        assert phifd.Datagram.decode_auth(stale.encode_auth(ring), ring) == stale


def test_a_datagram_signed_outside_the_library_is_accepted() -> None:
    wire = signed(1, KEY_A, node=11, generation=2, term=1, version=5, send_ns=99)
    with ring_a() as ring, phifd.Monitor() as m:
        got = m.receive(wire, 10 * SECOND, ring)
        assert got == phifd.Received(phifd.Datagram.heartbeat(11, 2, 1, 5, 99), True)
        assert got.counted and m.info(11, 10 * SECOND).generation == 2


def test_the_signing_key_signs_and_its_id_is_on_the_wire() -> None:
    d = phifd.Datagram.heartbeat(1, 1, 1, 1, 1)
    with phifd.Keyring({1: KEY_A, 2: KEY_B}, signing_key=2) as ring:
        assert ring.signing_key == 2
        assert d.encode_auth(ring) == signed(2, KEY_B, 1, 1, 1, 1, 1)
        ring.signing_key = 1
        assert d.encode_auth(ring) == signed(1, KEY_A, 1, 1, 1, 1, 1)


def stats(m: phifd.Monitor) -> Dict[str, int]:
    s = m.stats()
    return {
        name: getattr(s, name)
        for name in (
            "rejected_malformed",
            "rejected_bad_generation",
            "rejected_unknown_key",
            "rejected_bad_mac",
            "rejected_replayed",
        )
    }


def test_forged_datagrams_are_refused_and_counted() -> None:
    forged = [
        # right header and key id, made-up tag
        signed(1, KEY_A, 7, 1, 1, 1, 1)[:52] + bytes(16),
        signed(1, KEY_A, 7, 1, 1, 1, 1)[:52] + os.urandom(16),
        # signed with a key the receiver does not share, under the receiver's id
        signed(1, b"x" * 32, 7, 1, 1, 1, 1),
        # a valid tag moved onto other fields
        signed(1, KEY_A, 7, 9, 1, 1, 1)[:52] + signed(1, KEY_A, 7, 1, 1, 1, 1)[52:],
    ]
    with ring_a() as ring, phifd.Monitor() as m:
        for wire in forged:
            with pytest.raises(phifd.AuthError, match="MAC") as exc:
                m.receive(wire, SECOND, ring)
            assert exc.value.status == phifd.Status.AUTH
            with pytest.raises(phifd.AuthError):
                phifd.Datagram.decode_auth(wire, ring)
        assert stats(m)["rejected_bad_mac"] == len(forged)
        assert len(m) == 0  # nothing of a forged datagram was stored


def test_truncated_and_extended_datagrams_are_refused_and_counted() -> None:
    good = signed(1, KEY_A, 7, 1, 1, 1, 1)
    with ring_a() as ring, phifd.Monitor() as m:
        bad = [good[:n] for n in range(len(good))] + [good + b"\0", good + good]
        for wire in bad:
            with pytest.raises(phifd.MalformedError, match="68|length|bytes"):
                m.receive(wire, SECOND, ring)
            with pytest.raises(phifd.MalformedError):
                phifd.Datagram.decode_auth(wire, ring)
        assert stats(m)["rejected_malformed"] == len(bad)
        assert len(m) == 0


def expected_error_for_flipped_byte(offset: int) -> type:
    """Which check catches a bit flip at ``offset`` (the order of docs/security.md)."""
    if offset < 5:  # magic and format version
        return phifd.MalformedError
    if 48 <= offset < 52:  # the key id: every flip names an id the ring does not hold
        return phifd.UnknownKeyError
    return phifd.AuthError  # everything else, tag included, fails the MAC


def test_every_single_bit_flip_is_refused_and_counted_by_class() -> None:
    good = signed(1, KEY_A, 7, 3, 2, 10, 555)
    want = {phifd.MalformedError: 0, phifd.UnknownKeyError: 0, phifd.AuthError: 0}
    with ring_a() as ring, phifd.Monitor() as m:
        for bit in range(len(good) * 8):
            wire = bytearray(good)
            wire[bit // 8] ^= 1 << (bit % 8)
            cls = expected_error_for_flipped_byte(bit // 8)
            want[cls] += 1
            with pytest.raises(cls):
                m.receive(bytes(wire), SECOND, ring)
            with pytest.raises(cls):
                phifd.Datagram.decode_auth(wire, ring)
        assert want == {phifd.MalformedError: 40, phifd.UnknownKeyError: 32, phifd.AuthError: 472}
        got = stats(m)
        assert got["rejected_malformed"] == 40
        assert got["rejected_unknown_key"] == 32
        assert got["rejected_bad_mac"] == 472
        assert len(m) == 0
        # the unflipped datagram still counts: nothing above changed the monitor
        assert m.receive(good, 2 * SECOND, ring).counted


def test_wrong_key_and_unknown_key_id() -> None:
    wire = phifd.Datagram.heartbeat(7, 1, 1, 1, 1).encode_auth(phifd.Keyring({1: KEY_A}))
    with phifd.Keyring({1: KEY_B}) as same_id_other_key, phifd.Keyring({2: KEY_A}) as other_id, phifd.Monitor() as m:
        with pytest.raises(phifd.AuthError):
            m.receive(wire, SECOND, same_id_other_key)
        with pytest.raises(phifd.UnknownKeyError, match="1") as exc:
            m.receive(wire, SECOND, other_id)
        assert exc.value.status == phifd.Status.UNKNOWN_KEY
        assert isinstance(exc.value, ValueError)
        assert stats(m)["rejected_bad_mac"] == 1 and stats(m)["rejected_unknown_key"] == 1
        assert len(m) == 0


def test_replays_never_count() -> None:
    with ring_a() as ring, phifd.Monitor() as m:
        v1 = signed(1, KEY_A, 7, 5, 1, 1, 0)
        v2 = signed(1, KEY_A, 7, 5, 1, 2, 0)
        assert m.receive(v1, 1 * SECOND, ring).counted
        assert m.receive(v2, 2 * SECOND, ring).counted
        # the same bytes again, and an older version of the same generation
        for wire, t in ((v2, 3), (v1, 4), (v2, 5)):
            got = m.receive(wire, t * SECOND, ring)
            assert not got.counted and got.datagram.node == 7
        assert stats(m)["rejected_replayed"] == 3
        assert m.info(7, 5 * SECOND).last_arrival_ns == 2 * SECOND
        # a datagram of an older generation is refused, and carries the datagram for the answer
        old_gen = signed(1, KEY_A, 7, 4, 1, 99, 0)
        with pytest.raises(phifd.StaleGenerationError) as exc:
            m.receive(old_gen, 6 * SECOND, ring)
        assert exc.value.datagram == phifd.Datagram.heartbeat(7, 4, 1, 99, 0)
        assert m.info(7, 6 * SECOND).generation == 5
        assert m.stats().stale_heartbeats == 1
        # a newer version counts again
        assert m.receive(signed(1, KEY_A, 7, 5, 1, 3, 0), 7 * SECOND, ring).counted


def test_a_signed_stale_reply_is_decoded_but_never_applied() -> None:
    with ring_a() as ring, phifd.Monitor() as m:
        got = m.receive(signed(1, KEY_A, 7, 1, 8, 0, 0, kind=1), SECOND, ring)
        assert got.datagram.kind == phifd.DatagramKind.STALE_REPLY and not got.counted
        assert len(m) == 0


def test_a_signed_generation_above_the_bound_is_refused_and_counted() -> None:
    with ring_a() as ring, phifd.Monitor() as m:
        for gen, term in ((phifd.MAX_GENERATION + 1, 1), (2**64 - 1, 1), (1, 2**64 - 1)):
            with pytest.raises(phifd.MalformedError, match="281474976710656"):
                m.receive(signed(1, KEY_A, 7, gen, term, 1, 0), SECOND, ring)
        assert stats(m)["rejected_bad_generation"] == 3
        assert len(m) == 0
        # the bound itself is valid
        assert m.receive(signed(1, KEY_A, 7, phifd.MAX_GENERATION, 1, 1, 0), SECOND, ring).counted
        with pytest.raises(phifd.InvalidArgumentError, match="281474976710656"):
            phifd.Datagram.heartbeat(7, phifd.MAX_GENERATION + 1, 1, 1, 0).encode_auth(ring)


def test_modes_do_not_mix() -> None:
    plain = phifd.Datagram.heartbeat(7, 1, 1, 1, 0)
    with ring_a() as ring, phifd.Monitor() as m:
        with pytest.raises(phifd.MalformedError):  # a receiver with a key refuses unsigned datagrams
            m.receive(plain.encode(), SECOND, ring)
        with pytest.raises(phifd.MalformedError):  # and one without a key refuses signed ones
            m.receive(plain.encode_auth(ring), SECOND)
        with pytest.raises(phifd.MalformedError):
            phifd.Datagram.decode(plain.encode_auth(ring))
        assert stats(m)["rejected_malformed"] == 2
        assert m.receive(plain.encode(), SECOND) == phifd.Received(plain, True)


SENDER = r"""
import sys, phifd
# key 1 signs, then key 2 (added and switched to, as the rotation procedure says)
ring = phifd.Keyring({1: bytes(range(32))})
d = phifd.Datagram.heartbeat(node=int(sys.argv[1]), generation=1, term=1, version=1, send_ns=0)
print(d.encode_auth(ring).hex())
ring.add_key(2, bytes(range(100, 132)))
ring.signing_key = 2
ring.remove_key(1)
d = phifd.Datagram.heartbeat(node=int(sys.argv[1]), generation=1, term=1, version=2, send_ns=0)
print(d.encode_auth(ring).hex())
"""


def sender_process(node: int) -> List[bytes]:
    """Datagrams of another process: one signed with key 1, then one signed with key 2."""
    out = subprocess.run(
        [sys.executable, "-c", SENDER, str(node)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    ).stdout.split()
    return [bytes.fromhex(line) for line in out]


def test_rotation_across_two_processes() -> None:
    old_a, new_a = sender_process(1)  # a node that already switched to key 2
    assert old_a[48:52] == (1).to_bytes(4, "little") and new_a[48:52] == (2).to_bytes(4, "little")
    old_b, new_b = sender_process(2)
    with phifd.Keyring({1: KEY_A}) as ring, phifd.Monitor() as m:
        assert m.receive(old_a, 1 * SECOND, ring).counted
        with pytest.raises(phifd.UnknownKeyError):  # step 1 not done yet on the receiver
            m.receive(new_a, 2 * SECOND, ring)
        ring.add_key(2, KEY_B)  # step 1: accept both
        assert ring.signing_key == 1
        assert m.receive(new_a, 3 * SECOND, ring).counted  # new key accepted
        assert m.receive(old_b, 4 * SECOND, ring).counted  # old key still accepted
        ring.set_signing_key(2)  # step 2
        with pytest.raises(phifd.InvalidArgumentError, match="signing"):
            ring.remove_key(2)  # the signing key cannot be removed
        ring.remove_key(1)  # step 3
        with pytest.raises(phifd.UnknownKeyError):
            m.receive(old_b, 5 * SECOND, ring)  # (old_b is also a replay; the key check comes first)
        with pytest.raises(phifd.UnknownKeyError):
            ring.remove_key(1)
        assert m.receive(new_b, 6 * SECOND, ring).counted
        assert stats(m)["rejected_unknown_key"] == 2
        assert phifd.Datagram.heartbeat(3, 1, 1, 1, 0).encode_auth(ring)[48:52] == (2).to_bytes(4, "little")


def test_keyring_errors_are_clear() -> None:
    with pytest.raises(phifd.InvalidArgumentError, match="16"):
        phifd.Keyring({1: b"short"})
    with pytest.raises(phifd.InvalidArgumentError, match="64"):
        phifd.Keyring({1: bytes(65)})
    with pytest.raises(phifd.InvalidArgumentError, match=r"2\*\*32"):
        phifd.Keyring({2**32: KEY_A})
    with pytest.raises(phifd.InvalidArgumentError, match="signing_key"):
        phifd.Keyring({1: KEY_A}, signing_key=2)
    with pytest.raises(TypeError, match="bytes-like"):
        phifd.Keyring({1: "a string key, not bytes"})  # type: ignore[dict-item]
    ring = phifd.Keyring()
    assert repr(ring) == "Keyring(empty)"
    with pytest.raises(phifd.UnknownKeyError):
        ring.signing_key
    with pytest.raises(phifd.InvalidArgumentError):  # no key to sign with
        phifd.Datagram.heartbeat(1, 1, 1, 1, 1).encode_auth(ring)
    with pytest.raises(phifd.UnknownKeyError):
        ring.set_signing_key(3)
    for i in range(phifd.KEYRING_MAX_KEYS):
        ring.add_key(i, bytes([i]) * 16)
    assert ring.signing_key == 0 and repr(ring) == "Keyring(signing_key=0)"
    with pytest.raises(phifd.InvalidArgumentError, match="16"):
        ring.add_key(100, KEY_A)
    with pytest.raises(phifd.InvalidArgumentError, match="3"):
        ring.add_key(3, KEY_A)  # the id is taken
    ring.close()
    ring.close()
    assert ring.closed and repr(ring) == "Keyring(closed)"
    with pytest.raises(phifd.InvalidHandleError, match="closed"):
        ring.add_key(200, KEY_A)
    with pytest.raises(phifd.InvalidHandleError, match="closed"):
        phifd.Datagram.heartbeat(1, 1, 1, 1, 1).encode_auth(ring)
    with pytest.raises(TypeError, match="Keyring"):
        phifd.Datagram.decode_auth(bytes(68), KEY_A)  # type: ignore[arg-type]
    with phifd.Monitor() as m, pytest.raises(phifd.InvalidHandleError):
        m.receive(bytes(68), 1, ring)


def test_key_bytes_are_not_kept_by_the_binding() -> None:
    key = bytearray(KEY_A)
    with phifd.Keyring({1: key}) as ring:
        key[:] = bytes(32)  # the caller wipes its copy; the keyring kept its own
        assert phifd.Datagram.heartbeat(1, 1, 1, 1, 1).encode_auth(ring) == signed(1, KEY_A, 1, 1, 1, 1, 1)
        assert KEY_A.hex() not in repr(ring) and "1" in repr(ring)


def test_threads_sign_and_verify_while_keys_rotate() -> None:
    ring = phifd.Keyring({1: KEY_A, 2: KEY_B})
    errors: List[BaseException] = []
    stop = threading.Event()

    def worker(node: int) -> None:
        try:
            for v in range(300):
                wire = phifd.Datagram.heartbeat(node, 1, 1, v, 0).encode_auth(ring)
                key_id = int.from_bytes(wire[48:52], "little")
                assert wire == signed(key_id, KEY_A if key_id == 1 else KEY_B, node, 1, 1, v, 0)
                assert phifd.Datagram.decode_auth(wire, ring).version == v
        except BaseException as e:  # reported to the main thread
            errors.append(e)

    def rotator() -> None:
        i = 0
        while not stop.is_set():
            ring.signing_key = 1 + i % 2
            i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    rot = threading.Thread(target=rotator)
    rot.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    rot.join()
    ring.close()
    assert errors == []
