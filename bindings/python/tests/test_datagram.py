"""The heartbeat datagram: round trip, the byte layout built by hand, every defect, random bytes."""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

import phifd
import pytest

# The layout documented in src/wire.rs: magic, format version, kind, flags, five u64, checksum.
HEAD = struct.Struct("<4sBBHQQQQQ")
assert HEAD.size == 48


def fnv1a64(data: bytes) -> int:
    """FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3), written from its definition."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def by_hand(
    kind: int,
    flags: int,
    node: int,
    gen: int,
    term: int,
    version: int,
    send_ns: int,
    magic: bytes = b"PHHB",
    fmt: int = 1,
) -> bytes:
    head = HEAD.pack(magic, fmt, kind, flags, node, gen, term, version, send_ns)
    return head + struct.pack("<Q", fnv1a64(head))


def test_fnv1a64_matches_published_vectors() -> None:
    # Published FNV-1a 64 test values (Fowler/Noll/Vo): "" and "a".
    assert fnv1a64(b"") == 0xCBF29CE484222325
    assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a64(b"foobar") == 0x85944171F73967E8


def test_constants_match_the_header(root: Path) -> None:
    header = (root / "include" / "phifd.h").read_text()

    def define(name: str) -> int:
        return int(re.search(rf"#define {name} (\d+)", header).group(1))

    assert phifd.DATAGRAM_SIZE == define("PHIFD_DATAGRAM_SIZE") == 56
    assert phifd.DatagramKind.HEARTBEAT == define("PHIFD_DATAGRAM_HEARTBEAT")
    assert phifd.DatagramKind.STALE_REPLY == define("PHIFD_DATAGRAM_STALE_REPLY")
    assert define("PHIFD_DATAGRAM_FLAG_LEADER") == 1
    assert phifd.Status.MALFORMED == define("PHIFD_ERR_MALFORMED") == 11


@pytest.mark.parametrize(
    "d",
    [
        phifd.Datagram.heartbeat(7, 3, 5, 99, 123_456, leader=True),
        phifd.Datagram.heartbeat(1, 1, 1, 1, 0),
        phifd.Datagram.stale_reply(3, term=2),
        # the largest values: 2**48 for generation and term (the bound), 2**64 - 1 for the rest
        phifd.Datagram(phifd.DatagramKind.HEARTBEAT, False, 2**64 - 1, 2**48, 2**48, 2**64 - 1, 2**64 - 1),
        phifd.Datagram(phifd.DatagramKind.STALE_REPLY, True, 0, 0, 0, 0, 0),
    ],
)
def test_round_trip_and_layout_built_by_hand(d: phifd.Datagram) -> None:
    wire = d.encode()
    assert isinstance(wire, bytes) and len(wire) == phifd.DATAGRAM_SIZE
    want = by_hand(int(d.kind), 1 if d.leader else 0, d.node, d.generation, d.term, d.version, d.send_ns)
    assert wire == want
    assert phifd.Datagram.decode(wire) == d
    assert phifd.Datagram.decode(bytearray(wire)) == d
    assert phifd.Datagram.decode(memoryview(wire)) == d


def test_decode_of_hand_built_bytes() -> None:
    wire = by_hand(1, 0, 42, 7, 9, 0, 555)
    d = phifd.Datagram.decode(wire)
    assert d.kind is phifd.DatagramKind.STALE_REPLY
    assert (d.leader, d.node, d.generation, d.term, d.version, d.send_ns) == (False, 42, 7, 9, 0, 555)
    # Fields sit at their documented offsets.
    assert wire[:4] == b"PHHB" and wire[4] == 1 and wire[5] == 1
    assert struct.unpack_from("<Q", wire, 8)[0] == 42
    assert struct.unpack_from("<Q", wire, 24)[0] == 9


GOOD = by_hand(0, 1, 5, 6, 7, 8, 9)


def patched(offset: int, value: bytes, rechecksum: bool = True) -> bytes:
    """GOOD with ``value`` written at ``offset``; the checksum recomputed unless told not to, so
    that only the intended defect is present."""
    b = bytearray(GOOD)
    b[offset : offset + len(value)] = value
    if rechecksum:
        b[48:56] = struct.pack("<Q", fnv1a64(bytes(b[:48])))
    return bytes(b)


@pytest.mark.parametrize(
    "data,pattern",
    [
        (b"", r"wrong length: 0 bytes, expected 56"),
        (GOOD[:55], r"wrong length: 55 bytes"),
        (GOOD + b"\0", r"wrong length: 57 bytes"),
        (GOOD[:48], r"wrong length: 48 bytes"),
        (patched(0, b"XHHB"), r"bad magic"),
        (patched(4, b"\x02"), r"unsupported format version 2"),
        (patched(4, b"\x00"), r"unsupported format version 0"),
        (patched(5, b"\x02"), r"unknown kind 2"),
        (patched(5, b"\xff"), r"unknown kind 255"),
        (patched(6, struct.pack("<H", 0x0002)), r"undefined flag bits 0x0002"),
        (patched(6, struct.pack("<H", 0x8001)), r"undefined flag bits 0x8001"),
        (patched(20, b"\x01", rechecksum=False), r"checksum mismatch"),
        (patched(50, b"\x00\x00", rechecksum=False), r"checksum mismatch"),
    ],
    ids=[
        "empty",
        "short",
        "long",
        "no-checksum",
        "magic",
        "version2",
        "version0",
        "kind2",
        "kind255",
        "flags2",
        "flags8001",
        "payload-flip",
        "checksum-flip",
    ],
)
def test_every_defect_is_malformed_with_a_message(data: bytes, pattern: str) -> None:
    with pytest.raises(phifd.MalformedError) as info:
        phifd.Datagram.decode(data)
    e = info.value
    assert e.status == phifd.Status.MALFORMED
    assert isinstance(e, ValueError) and isinstance(e, phifd.PhifdError)
    assert re.search(pattern, e.message), e.message
    assert "phifd_datagram_decode" in e.message


def test_invalid_datagrams_cannot_be_built() -> None:
    with pytest.raises(phifd.InvalidArgumentError, match="kind"):
        phifd.Datagram(7, False, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(phifd.InvalidArgumentError, match="node"):
        phifd.Datagram.heartbeat(-1, 1, 1, 1, 1)
    with pytest.raises(phifd.InvalidArgumentError, match="term"):
        phifd.Datagram.heartbeat(1, 1, 2**64, 1, 1)
    with pytest.raises(TypeError, match="version"):
        phifd.Datagram.heartbeat(1, 1, 1, 1.5, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phifd.Datagram.decode(56)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        phifd.Datagram.decode("PHHB")  # type: ignore[arg-type]


def test_random_bytes_never_crash() -> None:
    rng = random.Random(20240601)
    accepted = 0
    for i in range(3000):
        if i % 3 == 0:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 120)))
        elif i % 3 == 1:  # right length and header, random rest
            data = b"PHHB\x01" + bytes(rng.getrandbits(8) for _ in range(51))
        else:  # a valid datagram with a few random bytes changed
            # generation and term at most 2**48, the bound every receiver enforces
            fields = (
                rng.getrandbits(64),
                rng.getrandbits(48),
                rng.getrandbits(48),
                rng.getrandbits(64),
                rng.getrandbits(64),
            )
            b = bytearray(by_hand(rng.randrange(2), rng.randrange(2), *fields))
            for _ in range(rng.randrange(0, 4)):  # sometimes none: a valid datagram
                b[rng.randrange(56)] = rng.getrandbits(8)
            data = bytes(b)
        try:
            d = phifd.Datagram.decode(data)
        except phifd.MalformedError as e:
            assert e.message
            continue
        # Whatever decodes re-encodes to the same bytes, and is valid by the hand-written rules.
        accepted += 1
        assert d.encode() == data
        assert data[:5] == b"PHHB\x01" and fnv1a64(data[:48]) == struct.unpack_from("<Q", data, 48)[0]
        assert struct.unpack_from("<Q", data, 16)[0] <= 2**48 and struct.unpack_from("<Q", data, 24)[0] <= 2**48
    # The unchanged datagrams (about a quarter of the third kind) must have decoded.
    assert accepted >= 100
