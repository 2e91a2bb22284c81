"""Authenticated heartbeats: the keyring, the 68-byte signed datagram and the monitor's receive path.

See ``docs/security.md`` for the threat model, the format and the rotation procedure.
"""

from __future__ import annotations

from contextlib import nullcontext
from ctypes import byref, c_bool, c_size_t, c_uint8, c_uint32
from typing import TYPE_CHECKING, Mapping, NamedTuple, Optional, Union

from . import _cdefs
from ._datagram import Datagram
from ._errors import InvalidArgumentError, StaleGenerationError, Status, error_for_status
from ._ffi import DATAGRAM_FLAG_LEADER, DatagramStruct, check, last_error_message, lib
from ._handle import OwnedHandle
from ._types import DatagramKind

if TYPE_CHECKING:  # the monitor module imports this one
    from ._monitor import Monitor

__all__ = [
    "AUTH_DATAGRAM_SIZE",
    "KEYRING_MAX_KEYS",
    "KEY_MIN_LEN",
    "KEY_MAX_LEN",
    "Keyring",
    "Received",
    "encode_auth",
    "decode_auth",
    "receive",
]

#: Size of an authenticated datagram, bytes (``PHIFD_AUTH_DATAGRAM_SIZE``): the 48 bytes of the
#: fields, a 4-byte key id and a 16-byte HMAC-SHA-256 tag.
AUTH_DATAGRAM_SIZE: int = _cdefs.PHIFD_AUTH_DATAGRAM_SIZE
#: Most keys a :class:`Keyring` holds at once (``PHIFD_KEYRING_MAX_KEYS``).
KEYRING_MAX_KEYS: int = _cdefs.PHIFD_KEYRING_MAX_KEYS
#: Shortest key accepted, bytes (``PHIFD_KEY_MIN_LEN``).
KEY_MIN_LEN: int = _cdefs.PHIFD_KEY_MIN_LEN
#: Longest key accepted, bytes (``PHIFD_KEY_MAX_LEN``).
KEY_MAX_LEN: int = _cdefs.PHIFD_KEY_MAX_LEN

BytesLike = Union[bytes, bytearray, memoryview]


def _check_key_id(function: str, key_id: int) -> None:
    if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id < 1 << 32:
        raise InvalidArgumentError(
            Status.INVALID_ARG, f"{function}: `key_id` must be an int in [0, 2**32), got {key_id!r}"
        )


def _as_bytes(function: str, name: str, data: BytesLike) -> bytes:
    try:
        return memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"{function}: `{name}` must be bytes-like, got {type(data).__name__}") from None


class Keyring(OwnedHandle):
    """A set of shared secret keys by id (a C ``phifd_keyring``), one of them the signing key.

    :func:`Datagram.encode_auth` signs with the signing key; :func:`Datagram.decode_auth` and
    :meth:`phifd.Monitor.receive` accept a datagram signed with any key in the ring, so keys
    rotate without downtime: add the new key on every node, then make it the signing key on
    every node (:meth:`set_signing_key`), then remove the old key everywhere (:meth:`remove_key`).

    Keys are :data:`KEY_MIN_LEN` (16) to :data:`KEY_MAX_LEN` (64) bytes of random data (use 32,
    e.g. ``os.urandom(32)``); ids are ints in ``[0, 2**32)``, and one id names one key for its
    whole life. The library copies the key bytes and overwrites its copy with zeros when the key
    is removed or the keyring is closed; the ``bytes`` objects you passed in are yours (Python
    cannot wipe them). No method ever returns key bytes.

    ``Keyring({1: key})`` adds the keys of a mapping in its order (the first signs unless
    ``signing_key`` names another). Use it as a context manager or call :meth:`close`
    (idempotent). Thread-safe: any number of threads may sign and verify with one keyring while
    another adds, removes or switches keys; :meth:`close` waits for calls in progress.
    """

    _free = lib.phifd_keyring_free
    _name = "Keyring"

    def __init__(self, keys: Optional[Mapping[int, BytesLike]] = None, *, signing_key: Optional[int] = None) -> None:
        """Creates a keyring holding ``keys`` (id -> key bytes; none by default).

        Raises :class:`InvalidArgumentError` for a key of the wrong length, a repeated id, more
        than :data:`KEYRING_MAX_KEYS` keys, or a ``signing_key`` not among ``keys``.
        """
        self._create(lib.phifd_keyring_new)
        try:
            for key_id, key in (keys or {}).items():
                self.add_key(key_id, key)
            if signing_key is not None:
                if keys is None or signing_key not in keys:
                    raise InvalidArgumentError(
                        Status.INVALID_ARG,
                        f"Keyring: `signing_key` {signing_key!r} is not one of the ids in `keys`; add the key it names",
                    )
                self.set_signing_key(signing_key)
        except BaseException:
            self.close()
            raise

    def add_key(self, key_id: int, key: BytesLike) -> None:
        """Adds ``key`` (copied) under ``key_id``. The first key added becomes the signing key;
        later keys only verify until :meth:`set_signing_key` selects them.

        Raises :class:`InvalidArgumentError` (nothing changes) when ``key`` is not 16 to 64
        bytes long, ``key_id`` is already in the ring or the ring already holds 16 keys;
        :class:`TypeError` when ``key`` is not bytes-like.
        """
        _check_key_id("Keyring.add_key", key_id)
        raw = _as_bytes("Keyring.add_key", "key", key)
        self._call("add_key", lib.phifd_keyring_add_key, key_id, raw or None, len(raw))

    def remove_key(self, key_id: int) -> None:
        """Removes the key ``key_id`` (and wipes the library's copy): datagrams signed with it
        are refused from now on with :class:`UnknownKeyError`.

        Raises :class:`UnknownKeyError` (no such id) or :class:`InvalidArgumentError` (it is the
        signing key: select another one first, so the node never stops signing).
        """
        _check_key_id("Keyring.remove_key", key_id)
        self._call("remove_key", lib.phifd_keyring_remove_key, key_id)

    def set_signing_key(self, key_id: int) -> None:
        """Makes the key ``key_id`` the one :meth:`Datagram.encode_auth` signs with.
        Raises :class:`UnknownKeyError` if the ring does not hold it."""
        _check_key_id("Keyring.set_signing_key", key_id)
        self._call("set_signing_key", lib.phifd_keyring_set_signing_key, key_id)

    @property
    def signing_key(self) -> int:
        """The id of the signing key. Raises :class:`UnknownKeyError` while the ring holds no
        key. Assigning sets it (as :meth:`set_signing_key`)."""
        out = c_uint32()
        self._call("signing_key", lib.phifd_keyring_get_signing_key, byref(out))
        return out.value

    @signing_key.setter
    def signing_key(self, key_id: int) -> None:
        self.set_signing_key(key_id)

    def __repr__(self) -> str:
        if self._ptr is None:
            return "Keyring(closed)"
        out = c_uint32()
        status = self._call_status("__repr__", lib.phifd_keyring_get_signing_key, byref(out))
        return f"Keyring(signing_key={out.value})" if status == 0 else "Keyring(empty)"


def _to_struct(d: Datagram) -> DatagramStruct:
    return DatagramStruct(
        kind=int(d.kind),
        flags=DATAGRAM_FLAG_LEADER if d.leader else 0,
        node=d.node,
        generation=d.generation,
        term=d.term,
        version=d.version,
        send_ns=d.send_ns,
    )


def _from_struct(out: DatagramStruct) -> Datagram:
    return Datagram(
        kind=DatagramKind(out.kind),
        leader=bool(out.flags & DATAGRAM_FLAG_LEADER),
        node=out.node,
        generation=out.generation,
        term=out.term,
        version=out.version,
        send_ns=out.send_ns,
    )


def _check_keyring(function: str, keyring: object) -> "Keyring":
    if not isinstance(keyring, Keyring):
        raise TypeError(f"{function}: `keyring` must be a phifd.Keyring, got {type(keyring).__name__}")
    return keyring


def encode_auth(datagram: Datagram, keyring: Keyring) -> bytes:
    """The :data:`AUTH_DATAGRAM_SIZE` (68) byte authenticated wire form of ``datagram``, signed
    with the signing key of ``keyring`` (``phifd_datagram_encode_auth``).

    Raises :class:`InvalidArgumentError` when the keyring holds no key, or a generation or term
    exceeds :data:`phifd.MAX_GENERATION`; :class:`InvalidHandleError` for a closed keyring.
    """
    ring = _check_keyring("Datagram.encode_auth", keyring)
    raw = _to_struct(datagram)
    buf = (c_uint8 * AUTH_DATAGRAM_SIZE)()
    written = c_size_t()
    ring._call("encode_auth", lib.phifd_datagram_encode_auth, byref(raw), buf, AUTH_DATAGRAM_SIZE, byref(written))
    return bytes(buf[: written.value])


def decode_auth(data: BytesLike, keyring: Keyring) -> Datagram:
    """Verifies and decodes untrusted bytes with ``keyring`` (``phifd_datagram_decode_auth``).

    Checks, in this order: the length (exactly 68), magic and format version
    (:class:`MalformedError`; an unauthenticated 56-byte datagram is malformed here), the key id
    (:class:`UnknownKeyError`), the MAC, compared in constant time (:class:`AuthError`), then the
    fields (:class:`MalformedError`). A key of any id in the ring is accepted. All three errors
    are :class:`ValueError` subclasses. Nothing of an unverified datagram is returned.
    """
    ring = _check_keyring("Datagram.decode_auth", keyring)
    raw = _as_bytes("Datagram.decode_auth", "data", data)
    out = DatagramStruct()
    ring._call("decode_auth", lib.phifd_datagram_decode_auth, raw or None, len(raw), byref(out))
    return _from_struct(out)


class Received(NamedTuple):
    """What :meth:`phifd.Monitor.receive` returns."""

    datagram: Datagram
    """The decoded (and, with a keyring, verified) datagram."""
    counted: bool
    """True if it counted as a heartbeat arrival; False for a stale reply and for a heartbeat
    whose ``(generation, version)`` is not newer than what the node has shown (a replay, a
    duplicate or a reordered old datagram)."""


def receive(monitor: "Monitor", data: BytesLike, now_ns: int, keyring: Optional[Keyring]) -> Received:
    """The implementation of :meth:`phifd.Monitor.receive` (see there)."""
    raw = _as_bytes("Monitor.receive", "data", data)
    if isinstance(now_ns, bool) or not isinstance(now_ns, int) or not 0 <= now_ns < 1 << 64:
        raise InvalidArgumentError(
            Status.INVALID_ARG, f"Monitor.receive: `now_ns` must be an int in [0, 2**64), got {now_ns!r}"
        )
    ring = None if keyring is None else _check_keyring("Monitor.receive", keyring)
    out = DatagramStruct()
    counted = c_bool()
    ring_borrow = nullcontext(None) if ring is None else ring._borrow("receive (as the keyring of Monitor.receive)")
    with monitor._borrow("receive") as ptr, ring_borrow as ring_ptr:
        status = lib.phifd_monitor_receive(ptr, ring_ptr, raw or None, len(raw), now_ns, byref(out), byref(counted))
    if status == Status.STALE_GENERATION:
        err = error_for_status(status, last_error_message())
        assert isinstance(err, StaleGenerationError)
        err.datagram = _from_struct(out)
        raise err
    check(status)
    return Received(_from_struct(out), bool(counted.value))
