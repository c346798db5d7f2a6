"""MqttConfig: parsing, validation errors that name the field, secrets kept out of repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from sensor_hub.mqtt.config import (
    ENV_PASSWORD,
    ENV_USERNAME,
    MqttConfig,
    MqttConfigError,
    MqttProtocol,
)


def test_defaults_use_the_embedded_broker() -> None:
    cfg = MqttConfig()
    assert cfg.url is None
    assert cfg.protocol is MqttProtocol.AUTO
    assert not cfg.clean_start
    with pytest.raises(MqttConfigError, match="url"):
        _ = cfg.host


@pytest.mark.parametrize(
    ("url", "host", "port", "tls"),
    [
        ("mqtt://broker.local", "broker.local", 1883, False),
        ("mqtt://127.0.0.1:1884/", "127.0.0.1", 1884, False),
        ("mqtts://broker.local", "broker.local", 8883, True),
        ("mqtts://[::1]:9000", "::1", 9000, True),
    ],
)
def test_url(url: str, host: str, port: int, tls: bool) -> None:
    cfg = MqttConfig(url=url)
    assert (cfg.host, cfg.port, cfg.tls) == (host, port, tls)


@pytest.mark.parametrize(
    "url",
    ["http://x", "mqtt://", "mqtt://x:70000", "mqtt://x/topic", "mqtt://x?a=1", "x:1883"],
)
def test_bad_url_names_the_field(url: str) -> None:
    with pytest.raises(MqttConfigError) as err:
        MqttConfig(url=url)
    assert err.value.field == "url"
    assert str(err.value).startswith("mqtt.url: ")


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(MqttConfigError) as err:
        MqttConfig(url="mqtt://alice:s3cret@broker:99999")
    assert "s3cret" not in str(err.value)


def test_password_never_in_repr() -> None:
    cfg = MqttConfig(url="mqtt://b", username="alice", password="s3cret")
    assert "s3cret" not in repr(cfg)
    assert "alice" in repr(cfg)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"password": "p"}, "password"),
        ({"username": ""}, "username"),
        ({"client_id": "has space"}, "client_id"),
        ({"client_id": ""}, "client_id"),
        ({"ca_file": Path("ca.pem")}, "ca_file"),
        ({"insecure": True}, "insecure"),
        ({"url": "mqtts://b", "key_file": Path("k.pem")}, "key_file"),
        ({"keepalive_s": 1}, "keepalive_s"),
        ({"reconnect_min_s": 10, "reconnect_max_s": 5}, "reconnect_max_s"),
        ({"max_inflight": 0}, "max_inflight"),
        ({"outbox_max_messages": 0}, "outbox_max_messages"),
        ({"outbox_max_bytes": 10}, "outbox_max_bytes"),
        ({"session_expiry_s": -1}, "session_expiry_s"),
    ],
)
def test_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(MqttConfigError) as err:
        MqttConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_from_mapping_with_env_credentials() -> None:
    cfg = MqttConfig.from_mapping(
        {
            "url": "mqtts://broker:8884",
            "client_id": "hub-1",
            "ca_file": "~/ca.pem",
            "protocol": "3.1.1",
            "keepalive_s": 20,
            "outbox_path": "/var/lib/hub/outbox.db",
            "username": "from-file",
        },
        {ENV_USERNAME: "alice", ENV_PASSWORD: "s3cret"},
    )
    assert cfg.username == "alice"
    assert cfg.password == "s3cret"
    assert cfg.protocol is MqttProtocol.V311
    assert cfg.ca_file == Path("~/ca.pem").expanduser()
    assert cfg.outbox_path == Path("/var/lib/hub/outbox.db")
    assert cfg.keepalive_s == 20


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"nope": 1}, "nope"),
        ({"keepalive_s": "30"}, "keepalive_s"),
        ({"keepalive_s": True}, "keepalive_s"),
        ({"insecure": "yes"}, "insecure"),
        ({"protocol": "4"}, "protocol"),
        ({"url": 5}, "url"),
    ],
)
def test_from_mapping_type_errors(data: dict[str, object], field: str) -> None:
    with pytest.raises(MqttConfigError) as err:
        MqttConfig.from_mapping(data, {})
    assert err.value.field == field
