"""Config: every setting by keyword and property, validation errors, and their effect."""

from __future__ import annotations

import math

import phifd
import pytest
from conftest import SECOND
from phifd import _ffi

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


def akka_phi(silence_ns: float, mean_ns: float, sd_ns: float) -> float:
    """Akka's logistic approximation of the normal tail, written from its published formula."""
    y = (silence_ns - mean_ns) / sd_ns
    e = math.exp(-y * (1.5976 + 0.070566 * y * y))
    return -math.log10(e / (1.0 + e))


def test_defaults_are_the_librarys() -> None:
    # Reading an unset setting gives the value the library will use (header: "Default ...").
    with phifd.Config() as cfg:
        assert cfg.estimator is phifd.Estimator.AKKA
        assert cfg.threshold == 8.0
        assert cfg.suspect_threshold == 4.0  # threshold / 2
        assert cfg.window == 1000
        assert cfg.heartbeat_interval_ns == SECOND
        assert cfg.min_std_deviation_ns == SECOND // 4  # heartbeat interval / 4
        assert cfg.acceptable_pause_ns == 0
        assert cfg.max_interval_ns is None  # no limit with the Akka estimator
        assert cfg.round_trip_ns is None  # none declared
        assert cfg.recovery_heartbeats == 2
        assert cfg.burst_fraction == 0.25
        assert cfg.max_local_health == 7
        assert cfg.confirmations_expected == 3
        assert cfg.confirmation_min_ratio == 0.5
        assert cfg.max_nodes == 65_536
        assert cfg.membership is phifd.Membership.OPEN
        # The seeded history (mean 1 s, sd 250 ms) reaches phi 8 after the first-heartbeat
        # timeout; the pause guard's defaults are half and twice that steady timeout.
        timeout = cfg.first_heartbeat_timeout_ns
        assert akka_phi(timeout - 1, SECOND, SECOND / 4) < 8.0 <= akka_phi(timeout + 1, SECOND, SECOND / 4)
        assert abs(cfg.local_pause_threshold_ns - timeout / 2) <= 1
        assert abs(cfg.local_pause_grace_ns - 2 * timeout) <= 2
        text = repr(cfg)
        assert text.startswith("Config(estimator=Estimator.AKKA, threshold=8.0, suspect_threshold=4.0,")
        assert "membership=Membership.OPEN)" in text


def test_derived_defaults_follow_the_settings_they_derive_from() -> None:
    with phifd.Config(estimator="exponential", threshold=6.0) as cfg:
        assert cfg.suspect_threshold == 3.0
        assert cfg.max_interval_ns == 2 * SECOND  # 2 x the interval for the exponential model
        steady = 6.0 * LN10 * SECOND  # exponential: phi = silence / mean / ln 10
        assert abs(cfg.first_heartbeat_timeout_ns - steady) <= 2
        assert abs(cfg.local_pause_threshold_ns - steady / 2) <= 2
        assert abs(cfg.local_pause_grace_ns - 2 * steady) <= 2
        cfg.heartbeat_interval_ns = 2 * SECOND
        assert cfg.min_std_deviation_ns == SECOND // 2
        assert cfg.max_interval_ns == 4 * SECOND
        cfg.suspect_threshold = 5.0  # once set, it no longer follows the threshold
        cfg.threshold = 12.0
        assert cfg.suspect_threshold == 5.0


def test_properties_read_the_library_not_a_copy() -> None:
    # A value written past the binding, through the C setter itself, is what the property reads.
    with phifd.Config() as cfg:
        assert _ffi.lib.phifd_config_set_threshold(cfg._ptr, 6.5) == 0
        assert _ffi.lib.phifd_config_set_window(cfg._ptr, 77) == 0
        assert cfg.threshold == 6.5 and cfg.window == 77
        assert "threshold=6.5" in repr(cfg) and "window=77" in repr(cfg)


def test_a_default_that_cannot_be_derived_fails_when_read() -> None:
    with phifd.Config(threshold=4.0, suspect_threshold=6.0) as cfg:
        with pytest.raises(phifd.InvalidArgumentError, match="suspect"):
            cfg.first_heartbeat_timeout_ns
        # repr leaves the underivable values out instead of failing
        text = repr(cfg)
        assert "threshold=4.0" in text and "first_heartbeat_timeout_ns" not in text
        cfg.first_heartbeat_timeout_ns = 3 * SECOND
        assert cfg.first_heartbeat_timeout_ns == 3 * SECOND


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
        before = getattr(cfg, key)
        with pytest.raises(phifd.InvalidArgumentError) as info:
            setattr(cfg, key, value)
        assert info.value.status is phifd.Status.INVALID_ARG
        assert fragment in info.value.message
        assert isinstance(info.value, ValueError)
        assert getattr(cfg, key) == before  # unchanged


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
    with pytest.raises(phifd.InvalidHandleError):
        cfg.threshold
    assert repr(cfg) == "Config(closed)"


def test_monitor_copies_the_config() -> None:
    # Exponential model with steady 1 s heartbeats: FAILED after threshold * ln 10 seconds of
    # silence. Changing or closing the config afterwards must not change the monitor.
    cfg = phifd.Config(
        estimator=phifd.Estimator.EXPONENTIAL, heartbeat_interval_ns=SECOND, threshold=2.0, suspect_threshold=1.0
    )
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
