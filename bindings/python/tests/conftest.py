"""Shared fixtures: the repository root (for the scenario vectors and the header) and monitors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import phifd
import pytest

SECOND = 1_000_000_000


def repo_root() -> Path:
    """The repository root: $PHIFD_REPO_ROOT, or three levels above this directory."""
    env = os.environ.get("PHIFD_REPO_ROOT")
    root = Path(env) if env else Path(__file__).resolve().parents[3]
    if not (root / "tests" / "vectors").is_dir():
        raise RuntimeError(f"the phifd repository (tests/vectors) was not found at {root}")
    return root


@pytest.fixture(scope="session")
def root() -> Path:
    return repo_root()


@pytest.fixture
def monitor() -> Iterator[phifd.Monitor]:
    """A monitor with the exponential estimator (phi = silence / mean / ln 10, easy to derive by
    hand), 1 s heartbeat interval, threshold 8, suspect threshold 4."""
    cfg = phifd.Config(
        estimator=phifd.Estimator.EXPONENTIAL,
        heartbeat_interval_ns=SECOND,
        threshold=8.0,
        suspect_threshold=4.0,
        max_interval_ns=3600 * SECOND,
    )
    with cfg, phifd.Monitor(cfg) as m:
        yield m
