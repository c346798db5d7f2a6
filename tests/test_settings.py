"""Settings: file, then environment; every problem is one error naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_hub.alerts import AlertConfig, AlertMode
from sensor_hub.settings import SettingsError, load_settings

GOOD = """\
[hub]
wearer = "alice"

[mqtt]
url = "mqtts://broker.home:8883"
username = "alice"
keepalive_s = 20

[influx]
url = "http://influx.home:8086"
org = "home"
bucket = "posture"
batch_size = 1000

[store]
path = "/var/lib/posture-hub/posture.sqlite"
retention_days = 30
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


def test_a_full_file_is_read(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD), env={"POSTURE_HUB_DATA_DIR": str(tmp_path)})
    assert s.wearer == "alice"
    assert s.mqtt is not None
    assert (s.mqtt.url, s.mqtt.username, s.mqtt.keepalive_s, s.mqtt.tls) == (
        "mqtts://broker.home:8883",
        "alice",
        20,
        True,
    )
    assert s.influx is not None
    assert (s.influx.url, s.influx.org, s.influx.bucket, s.influx.batch_size) == (
        "http://influx.home:8086",
        "home",
        "posture",
        1000,
    )
    assert s.store_path == Path("/var/lib/posture-hub/posture.sqlite")
    assert s.retention_days == 30.0
    assert s.data_dir == tmp_path


def test_the_environment_overrides_the_file_and_secrets_stay_hidden(tmp_path: Path) -> None:
    env = {
        "POSTURE_HUB_WEARER": "bob",
        "POSTURE_HUB_MQTT_URL": "mqtt://other:1884",
        "POSTURE_HUB_MQTT_PASSWORD": "s3cret",
    }
    s = load_settings(write(tmp_path, GOOD), env=env)
    assert s.wearer == "bob"
    assert s.mqtt is not None
    assert s.mqtt.url == "mqtt://other:1884"
    assert s.mqtt.password == "s3cret"
    assert "s3cret" not in repr(s)


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    env = {"POSTURE_HUB_CONFIG_DIR": str(tmp_path), "POSTURE_HUB_DATA_DIR": str(tmp_path / "d")}
    s = load_settings(None, env=env)
    assert (s.wearer, s.prefix, s.mqtt, s.influx) == ("me", "posture", None, None)
    assert s.store_path == tmp_path / "d" / "posture.sqlite"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[hub\n", "not valid TOML"),
        ("[mqttt]\n", r"unknown table \[mqttt\]"),
        ('[hub]\nwearer = "Alice Smith"\n', r"\[hub\]"),
        ("[hub]\ncolour = 1\n", "unknown key 'colour'"),
        ('[mqtt]\nurl = "http://x"\n', r"\[mqtt\]"),
        ('[influx]\nurl = "http://x"\n', "needs 'org'"),
        ('[influx]\nurl = "x"\norg = "o"\nbucket = "b"\n', r"\[influx\]"),
        ("[store]\nretention_days = -1\n", "retention_days"),
    ],
)
def test_each_problem_is_one_error_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError, match=message) as raised:
        load_settings(path, env={})
    assert str(path) in str(raised.value)


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.toml", env={})


ALERTS = """\
[alerts]
mode = "training"
quiet_hours = "22:00-07:00"
max_alerts_per_hour = 6
"""


def test_alert_settings_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    env = {
        "POSTURE_HUB_ALERTS_MODE": "tracking",
        "POSTURE_HUB_ALERTS_QUIET_HOURS": "off",
        "POSTURE_HUB_ALERTS_MAX_ALERTS_PER_HOUR": "4",
        "POSTURE_HUB_ALERTS_POSITIVE_FEEDBACK_BUZZ": "false",
        "POSTURE_HUB_ALERTS_LONG_STATIC_S": "off",
        "POSTURE_HUB_ALERTS_SNOOZE_S": "",  # empty: unset
    }
    s = load_settings(write(tmp_path, ALERTS), env=env)
    a = s.alerts
    assert (a.mode, a.quiet_hours, a.max_alerts_per_hour) == (AlertMode.TRACKING, None, 4)
    assert a.positive_feedback_buzz is False
    assert a.long_static_s is None
    assert a.snooze_s == AlertConfig().snooze_s
    no_file = {
        "POSTURE_HUB_CONFIG_DIR": str(tmp_path / "none"),
        "POSTURE_HUB_ALERTS_MODE": "tracking",
    }
    assert load_settings(None, env=no_file).alerts.mode is AlertMode.TRACKING


def test_every_alert_setting_has_its_variable(tmp_path: Path) -> None:
    config = AlertConfig(repeat_after_s=60.0, prompt_at_level=None)
    env = {f"POSTURE_HUB_ALERTS_{k.upper()}": str(v) for k, v in config.as_mapping().items()}
    env = {k: v for k, v in env.items() if v != "None"} | {
        "POSTURE_HUB_ALERTS_PROMPT_AT_LEVEL": "off"
    }
    assert load_settings(write(tmp_path, ""), env=env).alerts == config


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"POSTURE_HUB_ALERTS_MODE": "loud"}, r"\$POSTURE_HUB_ALERTS_MODE: alerts\.mode"),
        (
            {"POSTURE_HUB_ALERTS_MAX_ALERTS_PER_HOUR": "many"},
            r"\$POSTURE_HUB_ALERTS_MAX_ALERTS_PER_HOUR: alerts\.max_alerts_per_hour",
        ),
        ({"POSTURE_HUB_ALERTS_MODEE": "tracking"}, r"\$POSTURE_HUB_ALERTS_MODEE: no such"),
        ({"POSTURE_HUB_ALERTS_mode": "tracking"}, r"\$POSTURE_HUB_ALERTS_mode: no such"),
    ],
)
def test_a_bad_alert_variable_is_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path, ALERTS), env=env)


def test_a_bad_alert_key_in_the_file_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[alerts]\nmode = "loud"\n')
    with pytest.raises(SettingsError, match=r"\[alerts\]: alerts\.mode") as raised:
        load_settings(path, env={})
    assert str(path) in str(raised.value)


def test_the_dashboard_table(tmp_path: Path) -> None:
    text = '[dashboard]\nhost = "0.0.0.0"\nport = 8443\ntoken = "0123456789abcdef0123"\n'
    s = load_settings(write(tmp_path, text), env={})
    assert (s.dashboard.host, s.dashboard.port, s.dashboard.token) == (
        "0.0.0.0",
        8443,
        "0123456789abcdef0123",
    )
    assert "0123456789abcdef0123" not in repr(s)
    with pytest.raises(SettingsError, match=r"\[dashboard\] port"):
        load_settings(write(tmp_path, "[dashboard]\nport = 70000\n"), env={})
