"""phifd: a phi-accrual failure detector (Python binding of the ``libphifd`` C library).

A :class:`Monitor` tracks the heartbeats of many nodes and tells, for each, a suspicion level
phi (``-log10`` of the probability that a heartbeat is still coming), a state
(:class:`State`) and the transitions between states (:meth:`Monitor.poll`). Times are integer
nanoseconds of the monotonic clock (:func:`now_ns`, the clock of :func:`time.monotonic_ns`).

Example::

    import phifd

    with phifd.Monitor(phifd.Config(threshold=8.0)) as m:
        m.heartbeat(node=7, generation=1)
        print(m.phi(7), m.info(7).state)

The shared library is bundled in the package; set ``PHIFD_LIBRARY`` to the path of another
``libphifd.so`` (for example a development build) to load that one instead. Its version must
equal the version this package was written for, or the import fails.
"""

from ._auth import AUTH_DATAGRAM_SIZE, KEY_MAX_LEN, KEY_MIN_LEN, KEYRING_MAX_KEYS, Keyring, Received
from ._config import Config
from ._datagram import DATAGRAM_SIZE, Datagram
from ._errors import (
    AuthError,
    BufferTooSmallError,
    CapacityError,
    CorruptError,
    InternalError,
    InvalidArgumentError,
    InvalidHandleError,
    IoError,
    LockedError,
    MalformedError,
    NullArgumentError,
    PhifdError,
    StaleGenerationError,
    Status,
    UnknownKeyError,
    UnknownNodeError,
)
from ._generation import MAX_GENERATION, GenerationClock, parse_generation
from ._library import library_path, now_ns, status_name, to_ns, version
from ._monitor import Monitor
from ._types import (
    DatagramKind,
    Estimator,
    Event,
    EventKind,
    Membership,
    MonitorStats,
    NodeInfo,
    QosReport,
    QosTargets,
    SnapshotEntry,
    State,
    ns_to_timedelta,
)
from ._version import VERSION as __version__

__all__ = [
    "__version__",
    "Config",
    "Monitor",
    "Estimator",
    "State",
    "EventKind",
    "Status",
    "Event",
    "NodeInfo",
    "MonitorStats",
    "SnapshotEntry",
    "QosTargets",
    "QosReport",
    "Datagram",
    "DatagramKind",
    "DATAGRAM_SIZE",
    "Keyring",
    "Received",
    "AUTH_DATAGRAM_SIZE",
    "KEYRING_MAX_KEYS",
    "KEY_MIN_LEN",
    "KEY_MAX_LEN",
    "PhifdError",
    "NullArgumentError",
    "InvalidArgumentError",
    "UnknownNodeError",
    "StaleGenerationError",
    "InvalidHandleError",
    "InternalError",
    "BufferTooSmallError",
    "IoError",
    "CorruptError",
    "LockedError",
    "MalformedError",
    "CapacityError",
    "AuthError",
    "UnknownKeyError",
    "Membership",
    "GenerationClock",
    "parse_generation",
    "MAX_GENERATION",
    "now_ns",
    "to_ns",
    "ns_to_timedelta",
    "version",
    "status_name",
    "library_path",
]
