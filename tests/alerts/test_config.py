"""Alert settings: defaults, the [alerts] table, MQTT updates and clear errors."""

from __future__ import annotations

from datetime import time

import pytest

from sensor_hub.alerts import AlertConfig, AlertConfigError, AlertMode, QuietHours
from sensor_hub.alerts.config import parse_quiet_hours


def test_defaults() -> None:
    cfg = AlertConfig()
    assert cfg.mode is AlertMode.TRAINING
    assert cfg.repeat_after_s == 120.0
    assert cfg.max_escalations == 2
    assert cfg.max_alerts_per_hour == 6
    assert cfg.positive_feedback_within_s == 30.0
    assert cfg.quiet_hours == QuietHours(time(22, 0), time(7, 0))
    assert cfg.long_static_s == 2700.0
    assert cfg.prolonged_sitting_s == 3600.0
    assert cfg.baseline_until_s is None


def test_from_a_settings_table() -> None:
    cfg = AlertConfig.from_mapping(
        {
            "mode": "tracking",
            "repeat_after_s": 90,
            "max_escalations": 3,
            "quiet_hours": "23:30-06:15",
            "long_static_s": "off",
            "floor_when_standing": False,
        }
    )
    assert cfg.mode is AlertMode.TRACKING
    assert cfg.repeat_after_s == 90.0
    assert cfg.max_escalations == 3
    assert cfg.quiet_hours == QuietHours(time(23, 30), time(6, 15))
    assert cfg.long_static_s is None
    assert cfg.floor_when_standing is False


def test_environment_strings() -> None:
    cfg = AlertConfig.from_mapping(
        {"max_alerts_per_hour": "4", "snooze_s": "1800", "positive_feedback_buzz": "false"}
    )
    assert cfg.max_alerts_per_hour == 4
    assert cfg.snooze_s == 1800.0
    assert cfg.positive_feedback_buzz is False


def test_updated_validates_and_round_trips() -> None:
    cfg = AlertConfig().updated(quiet_hours="off", prompt_at_level=0)
    assert cfg.quiet_hours is None
    assert cfg.prompt_at_level == 0
    assert AlertConfig.from_mapping(cfg.as_mapping()) == cfg
    assert AlertConfig.from_mapping(AlertConfig().as_mapping()) == AlertConfig()


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"mode": "loud"}, "mode", "training or tracking"),
        ({"repeat_after_s": 1}, "repeat_after_s", "outside 10-86400"),
        ({"repeat_after_s": float("nan")}, "repeat_after_s", "outside"),
        ({"max_escalations": 1.5}, "max_escalations", "integer"),
        ({"max_alerts_per_hour": 0}, "max_alerts_per_hour", "integer 1-120"),
        ({"max_alerts_per_hour": True}, "max_alerts_per_hour", "number"),
        ({"quiet_hours": "22-07"}, "quiet_hours", "not a time HH:MM"),
        ({"quiet_hours": "25:00-07:00"}, "quiet_hours", "not a time"),
        ({"quiet_hours": 22}, "quiet_hours", "HH:MM-HH:MM"),
        ({"snooze_s": "soon"}, "snooze_s", "expected a number"),
        ({"prompt_at_level": 5}, "prompt_at_level", "integer 0-2"),
        ({"floor_when_standing": "yes"}, "floor_when_standing", "true/false"),
        ({"volume": 3}, "volume", "unknown setting"),
    ],
)
def test_errors_name_the_field(changes: dict[str, object], field: str, text: str) -> None:
    with pytest.raises(AlertConfigError, match=text) as info:
        AlertConfig.from_mapping(changes)
    assert info.value.field == field
    assert str(info.value).startswith(f"alerts.{field}: ")


def test_quiet_hours_windows() -> None:
    night = parse_quiet_hours("22:00-07:00")
    assert night is not None
    assert night.contains(time(23, 0))
    assert night.contains(time(6, 59))
    assert not night.contains(time(7, 0))
    assert not night.contains(time(12, 0))
    lunch = parse_quiet_hours("12:00-13:00")
    assert lunch is not None
    assert lunch.contains(time(12, 30))
    assert not lunch.contains(time(13, 0))
    assert str(lunch) == "12:00-13:00"
    assert parse_quiet_hours("off") is None
    same = parse_quiet_hours("08:00-08:00")
    assert same is not None
    assert not same.contains(time(8, 0))
