"""Config: every setting by keyword and property, validation errors, and their effect."""

from __future__ import annotations

import math

import pytest

import phifd
from phifd import _ffi
from conftest import SECOND

LN10 = math.log(10)

ALL_SETTINGS = dict(
    estimator=phifd.Estimator.NORMAL,
    threshold=10.0,
    suspect_threshold=3.0,
    window=50,
    heartbeat_interval_ns=SECOND // 2,
    min_std_deviation_ns=SECOND // 20,
    acceptable_pause_ns=SECOND // 10,
    max_interval_ns=5 * SECOND,
    round_trip_ns=SECOND // 100,
    first_heartbeat_timeout_ns=7 * SECOND,
    recovery_heartbeats=3,
    local_pause_threshold_ns=SECOND,
    local_pause_grace_ns=3 * SECOND,
    burst_fraction=0.1,
    max_local_health=4,
    confirmations_expected=5,
    confirmation_min_ratio=0.75,
)


def test_defaults_are_none() -> None:
    with phifd.Config() as cfg:
        for key in ALL_SETTINGS:
            assert getattr(cfg, key) is None
        assert repr(cfg) == "Config()"


def test_every_setting_by_keyword_and_property() -> None:
    with phifd.Config(**ALL_SETTINGS) as cfg:
        for key, value in ALL_SETTINGS.items():
            assert getattr(cfg, key) == value
        with phifd.Monitor(cfg) as m:
            m.heartbeat(1, 1, 0)
    with phifd.Config() as cfg:
        for key, value in ALL_SETTINGS.items():
            setattr(cfg, key, value)
            assert getattr(cfg, key) == value
        assert "threshold=10.0" in repr(cfg)
        phifd.Monitor(cfg).close()


def test_estimator_by_name_or_code() -> None:
    with phifd.Config(estimator="exponential") as cfg:
        assert cfg.estimator is phifd.Estimator.EXPONENTIAL
        cfg.estimator = 1
        assert cfg.estimator is phifd.Estimator.NORMAL
        with pytest.raises(phifd.InvalidArgumentError):
            cfg.estimator = "gaussian"
        with pytest.raises(phifd.InvalidArgumentError):
            cfg.estimator = 7
        assert cfg.estimator is phifd.Estimator.NORMAL  # unchanged after a failed set


def test_library_rejects_unknown_estimator_code() -> None:
    with phifd.Config() as cfg:
        st = _ffi.lib.phifd_config_set_estimator(cfg._ptr, 7)
        assert st == phifd.Status.INVALID_ARG
        assert "estimator" in _ffi.last_error_message()


@pytest.mark.parametrize(
    "key,value,fragment",
    [
        ("threshold", float("nan"), "phifd_config_set_threshold"),
        ("threshold", 0.0, "phifd_config_set_threshold"),
        ("threshold", float("inf"), "phifd_config_set_threshold"),
        ("threshold", 2e6, "phifd_config_set_threshold"),
        ("suspect_threshold", -1.0, "phifd_config_set_suspect_threshold"),
        ("window", 0, "phifd_config_set_window"),
        ("window", (1 << 20) + 1, "phifd_config_set_window"),
        ("heartbeat_interval_ns", 999, "phifd_config_set_heartbeat_interval_ns"),
        ("min_std_deviation_ns", 0, "phifd_config_set_min_std_deviation_ns"),
        ("acceptable_pause_ns", 12 * 86_400 * SECOND, "phifd_config_set_acceptable_pause_ns"),
        ("max_interval_ns", 0, "phifd_config_set_max_interval_ns"),
        ("round_trip_ns", 0, "phifd_config_set_round_trip_ns"),
        ("first_heartbeat_timeout_ns", 0, "phifd_config_set_first_heartbeat_timeout_ns"),
        ("recovery_heartbeats", 0, "phifd_config_set_recovery_heartbeats"),
        ("recovery_heartbeats", 256, "phifd_config_set_recovery_heartbeats"),
        ("local_pause_threshold_ns", 0, "phifd_config_set_local_pause_threshold_ns"),
        ("local_pause_threshold_ns", 12 * 86_400 * SECOND, "phifd_config_set_local_pause_threshold_ns"),
        ("local_pause_grace_ns", 12 * 86_400 * SECOND, "phifd_config_set_local_pause_grace_ns"),
        ("burst_fraction", 1.0, "phifd_config_set_burst_fraction"),
        ("burst_fraction", -0.01, "phifd_config_set_burst_fraction"),
        ("burst_fraction", float("nan"), "phifd_config_set_burst_fraction"),
        ("burst_fraction", float("inf"), "phifd_config_set_burst_fraction"),
        ("max_local_health", 65, "phifd_config_set_max_local_health"),
        ("confirmations_expected", 0, "phifd_config_set_confirmations_expected"),
        ("confirmations_expected", 65, "phifd_config_set_confirmations_expected"),
        ("confirmation_min_ratio", 0.0, "phifd_config_set_confirmation_min_ratio"),
        ("confirmation_min_ratio", 1.0000001, "phifd_config_set_confirmation_min_ratio"),
        ("confirmation_min_ratio", -0.5, "phifd_config_set_confirmation_min_ratio"),
        ("confirmation_min_ratio", float("nan"), "phifd_config_set_confirmation_min_ratio"),
    ],
)
def test_invalid_values_raise_library_errors(key: str, value: object, fragment: str) -> None:
    with phifd.Config() as cfg:
        with pytest.raises(phifd.InvalidArgumentError) as info:
            setattr(cfg, key, value)
        assert info.value.status is phifd.Status.INVALID_ARG
        assert fragment in info.value.message
        assert isinstance(info.value, ValueError)
        assert getattr(cfg, key) is None


@pytest.mark.parametrize(
    "key,value",
    [
        ("local_pause_threshold_ns", 1),
        ("local_pause_grace_ns", 0),
        ("burst_fraction", 0.0),
        ("burst_fraction", 0.999),
        ("max_local_health", 0),
        ("max_local_health", 64),
        ("confirmations_expected", 1),
        ("confirmations_expected", 64),
        ("confirmation_min_ratio", 1e-9),
        ("confirmation_min_ratio", 1),
    ],
)
def test_boundary_values_of_the_delay_settings_are_accepted(key: str, value: object) -> None:
    with phifd.Config(**{key: value}) as cfg:
        assert getattr(cfg, key) == value
        phifd.Monitor(cfg).close()


def test_out_of_range_ints_are_rejected_before_the_library() -> None:
    with phifd.Config() as cfg:
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.window = -1
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.heartbeat_interval_ns = 1 << 64
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.recovery_heartbeats = 1 << 32
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.max_local_health = -1
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.confirmations_expected = 1 << 32
        with pytest.raises(phifd.InvalidArgumentError, match="out of range"):
            cfg.local_pause_grace_ns = -1
        with pytest.raises(TypeError):
            cfg.burst_fraction = "0.1"  # type: ignore[assignment]
        with pytest.raises(TypeError):
            cfg.confirmations_expected = 2.0  # type: ignore[assignment]
        with pytest.raises(TypeError):
            cfg.window = 2.5  # type: ignore[assignment]
        with pytest.raises(TypeError):
            cfg.threshold = "8"  # type: ignore[assignment]
        with pytest.raises(TypeError):
            cfg.window = True
        with pytest.raises(TypeError):
            cfg.window = None  # type: ignore[assignment]


def test_keyword_errors_raise_from_constructor() -> None:
    with pytest.raises(phifd.InvalidArgumentError):
        phifd.Config(threshold=-3.0)
    with pytest.raises(TypeError):
        phifd.Config(thresold=3.0)  # type: ignore[call-arg]


def test_inconsistent_settings_fail_at_monitor_creation() -> None:
    with phifd.Config(threshold=4.0, suspect_threshold=6.0) as cfg:
        with pytest.raises(phifd.InvalidArgumentError) as info:
            phifd.Monitor(cfg)
        assert "phifd_monitor_new" in info.value.message
        assert "suspect" in info.value.message
    # heartbeat timing rule: a round trip longer than the heartbeat interval
    with phifd.Config(heartbeat_interval_ns=SECOND, round_trip_ns=2 * SECOND) as cfg:
        with pytest.raises(phifd.InvalidArgumentError, match="round"):
            phifd.Monitor(cfg)


def test_closed_config() -> None:
    cfg = phifd.Config()
    cfg.close()
    cfg.close()  # idempotent
    assert cfg.closed
    with pytest.raises(phifd.InvalidHandleError) as info:
        cfg.threshold = 3.0
    assert info.value.status is phifd.Status.INVALID_HANDLE
    assert "closed" in info.value.message
    with pytest.raises(phifd.InvalidHandleError):
        phifd.Monitor(cfg)


def test_monitor_copies_the_config() -> None:
    # Exponential model with steady 1 s heartbeats: FAILED after threshold * ln 10 seconds of
    # silence. Changing or closing the config afterwards must not change the monitor.
    cfg = phifd.Config(estimator=phifd.Estimator.EXPONENTIAL, heartbeat_interval_ns=SECOND,
                       threshold=2.0, suspect_threshold=1.0)
    m = phifd.Monitor(cfg)
    cfg.threshold = 9.0
    cfg.close()
    with m:
        for i in range(5):
            m.heartbeat(1, 1, i * SECOND)
        info = m.info(1, 4 * SECOND)
        assert abs(info.fail_after_ns - 2 * LN10 * SECOND) <= 2
        assert abs(info.suspect_after_ns - 1 * LN10 * SECOND) <= 2


def test_window_setting_takes_effect() -> None:
    with phifd.Config(window=3, heartbeat_interval_ns=SECOND) as cfg, phifd.Monitor(cfg) as m:
        for i in range(10):
            m.heartbeat(1, 1, i * SECOND)
        assert m.info(1, 9 * SECOND).samples == 3
