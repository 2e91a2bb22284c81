"""GenerationClock and parse_generation: durability, locking, damage, errors, lifetime."""

from __future__ import annotations

import os
from pathlib import Path

import phifd
import pytest


def test_in_memory_clock() -> None:
    with phifd.GenerationClock.in_memory(41) as clock:
        assert clock.current == 41
        assert clock.advance() == 42
        assert clock.observe(40) is False
        assert clock.current == 42
        assert clock.observe(100) is True
        assert clock.current == 100
        assert clock.observe(100) is False
        assert repr(clock) == "GenerationClock(current=100)"
        with pytest.raises(phifd.InvalidArgumentError) as info:
            clock.observe(phifd.MAX_GENERATION + 1)
        assert "phifd_generation_observe" in info.value.message
        with pytest.raises(phifd.InvalidArgumentError):
            clock.observe(-1)
    assert clock.closed
    with pytest.raises(phifd.InvalidHandleError, match="closed"):
        clock.advance()
    with pytest.raises(phifd.InvalidHandleError):
        clock.current
    with pytest.raises(phifd.InvalidHandleError):
        clock.observe(1)
    clock.close()
    assert repr(clock) == "GenerationClock(closed)"


def test_in_memory_bounds() -> None:
    assert phifd.MAX_GENERATION == 2**48
    with pytest.raises(phifd.InvalidArgumentError):
        phifd.GenerationClock.in_memory(phifd.MAX_GENERATION + 1)
    with pytest.raises(phifd.InvalidArgumentError):
        phifd.GenerationClock.in_memory(-1)
    with pytest.raises(TypeError):
        phifd.GenerationClock()


def test_durable_clock_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "gen"
    with phifd.GenerationClock.open(path) as clock:
        assert clock.current == 1  # a new file starts the first incarnation
        assert clock.advance() == 2
        assert clock.observe(10) is True
    assert path.stat().st_mode & 0o777 == 0o600
    data = path.read_bytes()
    assert phifd.parse_generation(data) == 10
    with phifd.GenerationClock.open(str(path)) as clock:
        assert clock.current == 11  # stored value + 1
    with phifd.GenerationClock.open(os.fsencode(path)) as clock:
        assert clock.current == 12


def test_locked_while_open(tmp_path: Path) -> None:
    path = tmp_path / "gen"
    with phifd.GenerationClock.open(path):
        with pytest.raises(phifd.LockedError) as info:
            phifd.GenerationClock.open(path)
        assert info.value.status is phifd.Status.LOCKED
    with phifd.GenerationClock.open(path) as clock:  # released by close()
        assert clock.current == 2


def test_damage_and_io_errors(tmp_path: Path) -> None:
    path = tmp_path / "gen"
    path.write_bytes(b"garbage, not a generation file")
    with pytest.raises(phifd.CorruptError) as info:
        phifd.GenerationClock.open(path)
    assert info.value.status is phifd.Status.CORRUPT and str(path) in info.value.message
    assert path.read_bytes() == b"garbage, not a generation file"  # never reset
    with pytest.raises(phifd.CorruptError):
        phifd.parse_generation(b"\x00" * 5)
    with pytest.raises(phifd.IoError) as io:
        phifd.GenerationClock.open(tmp_path / "missing-dir" / "gen")
    assert io.value.status is phifd.Status.IO and "missing-dir" in io.value.message
    with pytest.raises(phifd.InvalidArgumentError):
        phifd.GenerationClock.open("")
    with pytest.raises(phifd.InvalidArgumentError, match="NUL"):
        phifd.GenerationClock.open("a\0b")
