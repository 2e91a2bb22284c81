"""Static typing checks, run by mypy --strict (make test-python-typing), never executed.

`with X(...) as x` must give `x` the type X itself, not Any: a misspelt method name on the
object is then a type error, and editors complete the methods.
"""

from pathlib import Path
from typing import List

import phifd
from typing_extensions import assert_type


def enter_types(path: Path) -> None:
    with phifd.Config(threshold=8.0) as config:
        assert_type(config, phifd.Config)
        with phifd.Monitor(config) as monitor:
            assert_type(monitor, phifd.Monitor)
            assert_type(monitor.phi(7, now_ns=0), float)
            assert_type(monitor.poll(now_ns=0), List[phifd.Event])
    with phifd.GenerationClock.open(str(path)) as clock:
        assert_type(clock, phifd.GenerationClock)
        assert_type(clock.current, int)
    with phifd.Keyring({1: bytes(32)}) as ring:
        assert_type(ring, phifd.Keyring)
        wire = phifd.Datagram.heartbeat(1, 1, 1, 1, 0).encode_auth(ring)
        assert_type(wire, bytes)
        with phifd.Monitor() as m:
            got = m.receive(wire, 0, ring)
            assert_type(got, phifd.Received)
            assert_type(got.counted, bool)
            assert_type(got.datagram, phifd.Datagram)


class MyMonitor(phifd.Monitor):
    """A subclass keeps its own type in a with block."""


def subclass_enter(config: phifd.Config) -> None:
    with MyMonitor(config) as monitor:
        assert_type(monitor, MyMonitor)
