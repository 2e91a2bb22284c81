"""The heartbeat datagram: the fixed 56-byte wire message every phifd node sends and receives."""

from __future__ import annotations

from ctypes import byref, c_size_t, c_uint8
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from ._errors import InvalidArgumentError, Status
from ._ffi import DATAGRAM_FLAG_LEADER, DATAGRAM_SIZE, DatagramStruct, check, lib
from ._types import DatagramKind

if TYPE_CHECKING:  # the keyring module imports this one
    from ._auth import Keyring

__all__ = ["Datagram", "DATAGRAM_SIZE"]

_U64_FIELDS = ("node", "generation", "term", "version", "send_ns")


@dataclass(frozen=True)
class Datagram:
    """A heartbeat datagram (``struct phifd_datagram``): what a node sends to its peers.

    The wire form (:meth:`encode`, :meth:`decode`) is :data:`DATAGRAM_SIZE` (56) bytes,
    little-endian, with a magic, a format version and a checksum; it is produced and checked by
    the library, so every language reads and writes the same bytes.

    Attributes:
        kind: :class:`DatagramKind` (``HEARTBEAT`` or ``STALE_REPLY``).
        leader: True if the sender believes it is the leader (``PHIFD_DATAGRAM_FLAG_LEADER``).
        node: the sender's node id.
        generation: the sender's incarnation (increases when it restarts): pass it to
            :meth:`phifd.Monitor.heartbeat` / :meth:`~phifd.Monitor.heartbeat_version`.
        term: the sender's term (cluster epoch; a new leader increases it). A stale reply
            carries the receiver's newer term here.
        version: heartbeat sequence number, incremented by the sender per heartbeat.
        send_ns: send time on the sender's monotonic clock, ns (informational: never use it as
            the arrival time).

    Every integer is in ``[0, 2**64)``; construction raises :class:`InvalidArgumentError`
    otherwise (and for an unknown ``kind``). Immutable, hence thread-safe.
    """

    kind: DatagramKind
    leader: bool
    node: int
    generation: int
    term: int
    version: int = 0
    send_ns: int = 0

    def __post_init__(self) -> None:
        try:
            kind = DatagramKind(self.kind)
        except ValueError:
            raise InvalidArgumentError(Status.INVALID_ARG, f"Datagram: unknown kind {self.kind!r}") from None
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "leader", bool(self.leader))
        for name in _U64_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Datagram: `{name}` must be an int, got {type(value).__name__}")
            if not 0 <= value < 1 << 64:
                raise InvalidArgumentError(
                    Status.INVALID_ARG, f"Datagram: `{name}` is {value}; it must be in [0, 2**64)"
                )

    @classmethod
    def heartbeat(
        cls, node: int, generation: int, term: int, version: int, send_ns: int, *, leader: bool = False
    ) -> "Datagram":
        """A ``HEARTBEAT`` from ``node`` (see the attributes)."""
        return cls(DatagramKind.HEARTBEAT, leader, node, generation, term, version, send_ns)

    @classmethod
    def stale_reply(cls, node: int, term: int, generation: int = 0, send_ns: int = 0) -> "Datagram":
        """A ``STALE_REPLY`` from ``node`` telling a stale leader the newer ``term``."""
        return cls(DatagramKind.STALE_REPLY, False, node, generation, term, 0, send_ns)

    def encode(self) -> bytes:
        """The 56-byte wire form (``phifd_datagram_encode``). Thread-safe."""
        raw = DatagramStruct(
            kind=int(self.kind),
            flags=DATAGRAM_FLAG_LEADER if self.leader else 0,
            node=self.node,
            generation=self.generation,
            term=self.term,
            version=self.version,
            send_ns=self.send_ns,
        )
        buf = (c_uint8 * DATAGRAM_SIZE)()
        written = c_size_t()
        check(lib.phifd_datagram_encode(byref(raw), buf, DATAGRAM_SIZE, byref(written)))
        return bytes(buf[: written.value])

    @classmethod
    def decode(cls, data: Union[bytes, bytearray, memoryview]) -> "Datagram":
        """Decodes untrusted bytes (``phifd_datagram_decode``), e.g. what ``recvfrom`` returned.

        Raises :class:`phifd.MalformedError` (also a :class:`ValueError`), whose message names
        the defect, for anything that is not exactly one valid datagram: wrong length, bad
        magic, unsupported format version, unknown kind, undefined flag bits, checksum
        mismatch. Never crashes, whatever the bytes. Thread-safe.
        """
        raw = memoryview(data).tobytes()  # TypeError for anything that is not bytes-like
        out = DatagramStruct()
        check(lib.phifd_datagram_decode(raw or None, len(raw), byref(out)))
        return cls(
            kind=DatagramKind(out.kind),
            leader=bool(out.flags & DATAGRAM_FLAG_LEADER),
            node=out.node,
            generation=out.generation,
            term=out.term,
            version=out.version,
            send_ns=out.send_ns,
        )

    def encode_auth(self, keyring: "Keyring") -> bytes:
        """The 68-byte authenticated wire form (``phifd_datagram_encode_auth``), signed with the
        signing key of ``keyring``: see :func:`phifd.Keyring` and ``docs/security.md``.

        Raises :class:`phifd.InvalidArgumentError` when the keyring holds no key or a
        generation or term exceeds :data:`phifd.MAX_GENERATION`, :class:`TypeError` when
        ``keyring`` is not a :class:`phifd.Keyring`. Thread-safe.
        """
        from ._auth import encode_auth

        return encode_auth(self, keyring)

    @classmethod
    def decode_auth(cls, data: Union[bytes, bytearray, memoryview], keyring: "Keyring") -> "Datagram":
        """Verifies and decodes an authenticated datagram (``phifd_datagram_decode_auth``) with
        any key of ``keyring``. Raises, in the order checked: :class:`phifd.MalformedError`
        (not 68 bytes, bad magic or format version), :class:`phifd.UnknownKeyError` (the key id
        is not in the ring), :class:`phifd.AuthError` (the MAC does not verify),
        :class:`phifd.MalformedError` (unknown kind, undefined flags, a generation or term
        above :data:`phifd.MAX_GENERATION`); all three are :class:`ValueError` subclasses. Never crashes,
        whatever the bytes. Thread-safe.
        """
        from ._auth import decode_auth

        return decode_auth(data, keyring)
