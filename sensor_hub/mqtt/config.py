"""MQTT connection settings: one frozen, validated value built from a config mapping and the env.

Why a separate module: the CLI, the config file and the tests all build the same ``MqttConfig``
through the pure :func:`MqttConfig.from_mapping`, so validation (and its error messages, which
name the offending field) lives in one place, and the paho adapter only ever sees valid values.

Secrets: the password is never part of ``repr`` (so never in a log line or a traceback), and
credentials are refused inside the broker URL, where they would leak into logs.  Username and
password may come from the environment (``POSTURE_HUB_MQTT_USERNAME`` /
``POSTURE_HUB_MQTT_PASSWORD``), which wins over the config file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "ENV_PASSWORD",
    "ENV_USERNAME",
    "MqttConfig",
    "MqttConfigError",
    "MqttProtocol",
]

ENV_USERNAME: Final = "POSTURE_HUB_MQTT_USERNAME"
ENV_PASSWORD: Final = "POSTURE_HUB_MQTT_PASSWORD"  # noqa: S105 (a variable name)

_DEFAULT_PORTS: Final = {"mqtt": 1883, "mqtts": 8883}
_CLIENT_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class MqttConfigError(ValueError):
    """An invalid MQTT setting; ``field`` names it (as spelled in the config file)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"mqtt.{field_name}: {message}")
        self.field = field_name


class MqttProtocol(Enum):
    """Which MQTT version to speak: 5 with a fallback to 3.1.1, or one forced."""

    AUTO = "auto"
    V5 = "5"
    V311 = "3.1.1"


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Everything the adapter needs to reach a broker (``url=None``: the embedded broker).

    ``keepalive_s``, reconnect backoff (``reconnect_min_s`` doubling up to ``reconnect_max_s``)
    and ``session_expiry_s`` (MQTT 5; 3.1.1 sessions live until the broker drops them) are in
    seconds.  ``outbox_path=None`` publishes straight through paho (its in-memory queue, QoS 0
    dropped while offline); with a path every publish goes through the disk outbox.
    """

    url: str | None = None
    client_id: str = "posture-hub"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = False
    protocol: MqttProtocol = MqttProtocol.AUTO
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    clean_start: bool = False
    session_expiry_s: int = 3600
    outbox_path: Path | None = None
    outbox_max_messages: int = 100_000
    outbox_max_bytes: int = 64 * 1024 * 1024
    max_inflight: int = 20

    def __post_init__(self) -> None:
        if self.url is not None:
            _parse_url(self.url)
        if not _CLIENT_ID.match(self.client_id):
            raise MqttConfigError(
                "client_id", f"{self.client_id!r}: 1-128 characters of A-Z a-z 0-9 _ . : -"
            )
        if self.password is not None and not self.username:
            raise MqttConfigError("password", "a password needs a username")
        if self.username is not None and not self.username:
            raise MqttConfigError("username", "empty username (leave it out instead)")
        tls_fields = {
            "ca_file": self.ca_file,
            "cert_file": self.cert_file,
            "key_file": self.key_file,
        }
        for name, value in tls_fields.items():
            if value is not None and not self.tls:
                raise MqttConfigError(name, "TLS files need an mqtts:// url")
        if self.insecure and not self.tls:
            raise MqttConfigError("insecure", "only meaningful with an mqtts:// url")
        if self.key_file is not None and self.cert_file is None:
            raise MqttConfigError("key_file", "a client key needs cert_file")
        _check_range("keepalive_s", self.keepalive_s, 5, 65535)
        _check_range("reconnect_min_s", self.reconnect_min_s, 1, 3600)
        _check_range("reconnect_max_s", self.reconnect_max_s, self.reconnect_min_s, 3600)
        _check_range("session_expiry_s", self.session_expiry_s, 0, 0xFFFFFFFF)
        _check_range("max_inflight", self.max_inflight, 1, 65535)
        _check_range("outbox_max_messages", self.outbox_max_messages, 1, 1 << 40)
        _check_range("outbox_max_bytes", self.outbox_max_bytes, 1024, 1 << 50)

    @property
    def tls(self) -> bool:
        return self.url is not None and _parse_url(self.url)[0] == "mqtts"

    @property
    def host(self) -> str:
        if self.url is None:
            raise MqttConfigError("url", "no broker url (the embedded broker gives one)")
        return _parse_url(self.url)[1]

    @property
    def port(self) -> int:
        if self.url is None:
            raise MqttConfigError("url", "no broker url (the embedded broker gives one)")
        return _parse_url(self.url)[2]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], env: Mapping[str, str]) -> MqttConfig:
        """Build from a config-file table (keys = field names) and the environment (pure)."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for key, value in data.items():
            if key not in known:
                raise MqttConfigError(key, f"unknown setting (known: {', '.join(sorted(known))})")
            kwargs[key] = _coerce(key, value)
        if env.get(ENV_USERNAME):
            kwargs["username"] = env[ENV_USERNAME]
        if env.get(ENV_PASSWORD):
            kwargs["password"] = env[ENV_PASSWORD]
        return cls(**kwargs)  # type: ignore[arg-type]


_BOOL: Final = {"insecure", "clean_start"}
_INT: Final = {
    "keepalive_s",
    "reconnect_min_s",
    "reconnect_max_s",
    "session_expiry_s",
    "outbox_max_messages",
    "outbox_max_bytes",
    "max_inflight",
}
_PATH: Final = {"ca_file", "cert_file", "key_file", "outbox_path"}
_STR: Final = {"url", "client_id", "username", "password"}


def _coerce(key: str, value: object) -> object:
    if value is None and key in _PATH | _STR - {"client_id"}:
        return None
    if key in _BOOL:
        if not isinstance(value, bool):
            raise MqttConfigError(key, f"expected true/false, got {type(value).__name__}")
        return value
    if key in _INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise MqttConfigError(key, f"expected an integer, got {type(value).__name__}")
        return value
    if key == "protocol":
        try:
            return MqttProtocol(str(value))
        except ValueError:
            choices = ", ".join(p.value for p in MqttProtocol)
            raise MqttConfigError(key, f"{value!r}: expected one of {choices}") from None
    if not isinstance(value, str):
        raise MqttConfigError(key, f"expected a string, got {type(value).__name__}")
    return Path(value).expanduser() if key in _PATH else value


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MqttConfigError(name, f"{value!r} is not an integer in [{low}, {high}]")


def _parse_url(url: str) -> tuple[str, str, int]:
    """``mqtt://host[:port]`` / ``mqtts://host[:port]`` -> (scheme, host, port)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise MqttConfigError("url", f"not a url: {exc}") from None
    if "@" in parts.netloc:  # checked first: never echo a url that may hold a password
        raise MqttConfigError("url", "credentials go in username/password or the env, not the url")
    try:
        port = parts.port
    except ValueError as exc:
        raise MqttConfigError("url", f"{url!r}: {exc}") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise MqttConfigError("url", f"{url!r}: the scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise MqttConfigError("url", f"{url!r}: no host")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise MqttConfigError("url", f"{url!r}: no path, query or fragment allowed")
    return parts.scheme, parts.hostname, port if port is not None else _DEFAULT_PORTS[parts.scheme]
