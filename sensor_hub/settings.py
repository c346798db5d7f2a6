"""The hub's settings: a TOML file, then the environment, then the command line.

``$POSTURE_HUB_CONFIG_DIR/hub.toml`` (default ``~/.config/posture-hub/hub.toml``; ``--config``
names another) holds one table per part; every key is optional::

    [hub]
    wearer = "alice"              # topic segment: a-z 0-9 _ - (default "me")
    prefix = "posture"            # topic prefix

    [mqtt]                        # sensor_hub.mqtt.config.MqttConfig fields
    url = "mqtts://broker.home:8883"
    username = "alice"            # or POSTURE_HUB_MQTT_USERNAME / _PASSWORD
    ca_file = "/etc/posture-hub/ca.crt"

    [influx]                      # sensor_hub.recorder.influx.InfluxConfig fields
    url = "http://influx.home:8086"
    org = "home"
    bucket = "posture"            # token: POSTURE_HUB_INFLUX_TOKEN

    [store]
    path = "~/.local/share/posture-hub/posture.sqlite"
    retention_days = 90

    [alerts]                      # sensor_hub.alerts.config.AlertConfig fields (docs/alerts.md)
    mode = "training"             # or "tracking": record only, never buzz
    quiet_hours = "22:00-07:00"

    [dashboard]                   # posture-hub dashboard (docs/dashboard.md)
    host = "127.0.0.1"            # any other address needs a token
    port = 8080
    token = "..."                 # or POSTURE_HUB_DASHBOARD_TOKEN

The environment overrides the file: ``POSTURE_HUB_WEARER``, ``POSTURE_HUB_MQTT_URL``,
``POSTURE_HUB_INFLUX_URL`` / ``_ORG`` / ``_BUCKET``, ``POSTURE_HUB_DATA_DIR`` (where the
embedded store, the outbox and the spill live; default ``~/.local/share/posture-hub``), and
``POSTURE_HUB_ALERTS_<KEY>`` any key of the ``[alerts]`` table, upper-case
(``POSTURE_HUB_ALERTS_MODE=tracking``, ``POSTURE_HUB_ALERTS_QUIET_HOURS=off``,
``POSTURE_HUB_ALERTS_MAX_ALERTS_PER_HOUR=4``: strings, read as the file's values would be).
An empty variable counts as unset; a ``POSTURE_HUB_ALERTS_`` variable that names no setting is
an error, so a typo is not silently ignored.
Secrets (passwords, tokens) are best kept in the environment; they never appear in a repr or
a log.  Any problem raises one :class:`SettingsError` naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Final

from sensor_hub.alerts import AlertConfig, AlertConfigError
from sensor_hub.ble.paired import config_dir
from sensor_hub.mqtt.config import MqttConfig, MqttConfigError
from sensor_hub.mqtt.topics import DEFAULT_PREFIX, TopicError, validate_prefix, validate_wearer
from sensor_hub.recorder.influx import InfluxConfig, InfluxConfigError

__all__ = [
    "ALERTS_ENV_PREFIX",
    "DashboardSettings",
    "Settings",
    "SettingsError",
    "data_dir",
    "load_settings",
]

DATA_DIR_ENV: Final = "POSTURE_HUB_DATA_DIR"
_FILE_NAME: Final = "hub.toml"
_TABLES: Final = frozenset({"hub", "mqtt", "influx", "store", "alerts", "dashboard"})
_ENV: Final = {
    "POSTURE_HUB_WEARER": ("hub", "wearer"),
    "POSTURE_HUB_MQTT_URL": ("mqtt", "url"),
    "POSTURE_HUB_INFLUX_URL": ("influx", "url"),
    "POSTURE_HUB_INFLUX_ORG": ("influx", "org"),
    "POSTURE_HUB_INFLUX_BUCKET": ("influx", "bucket"),
}


#: ``POSTURE_HUB_ALERTS_<FIELD>`` overrides ``[alerts] <field>``.
ALERTS_ENV_PREFIX: Final = "POSTURE_HUB_ALERTS_"
_ALERT_KEYS: Final = frozenset(f.name for f in fields(AlertConfig))


class SettingsError(Exception):
    """Unusable settings; the message names the file (or variable) and the key."""


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$POSTURE_HUB_DATA_DIR``, else ``~/.local/share/posture-hub``."""
    env = os.environ if env is None else env
    configured = env.get(DATA_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".local" / "share" / "posture-hub"


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """The ``[dashboard]`` table: where ``posture-hub dashboard`` listens, and its token."""

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the long-running commands (``run``, ``record``, ``demo``) are configured by."""

    wearer: str = "me"
    prefix: str = DEFAULT_PREFIX
    mqtt: MqttConfig | None = None  # None: no broker configured
    influx: InfluxConfig | None = None  # None: no InfluxDB
    store_path: Path = field(default_factory=lambda: data_dir() / "posture.sqlite")
    retention_days: float = 90.0
    data_dir: Path = field(default_factory=data_dir)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)

    def with_mqtt_url(self, url: str) -> Settings:
        """These settings with the broker at ``url`` (the command line's ``--broker``)."""
        base = self.mqtt or MqttConfig()
        return replace(self, mqtt=replace(base, url=url))


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (default ``config_dir()/hub.toml``; a missing default file is fine),
    then apply the environment.  Raises :class:`SettingsError`."""
    env = os.environ if env is None else env
    explicit = path is not None
    path = path if path is not None else config_dir() / _FILE_NAME
    tables: dict[str, dict[str, object]] = {}
    if path.exists() or explicit:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
        for name, table in document.items():
            if name not in _TABLES:
                known = ", ".join(sorted(_TABLES))
                raise SettingsError(f"{path}: unknown table [{name}] (known: {known})")
            if not isinstance(table, dict):
                raise SettingsError(f"{path}: [{name}] must be a table")
            tables[name] = dict(table)
    where = str(path)
    for variable, (table, key) in _ENV.items():
        if env.get(variable):
            tables.setdefault(table, {})[key] = env[variable]
            where = f"{path} (or ${variable})"
    for variable, key in _alert_variables(env).items():
        tables.setdefault("alerts", {})[key] = env[variable]
    return _build(tables, env, where)


def _alert_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The set ``POSTURE_HUB_ALERTS_*`` variables and the ``[alerts]`` key each overrides."""
    found: dict[str, str] = {}
    for variable, value in env.items():
        if not variable.startswith(ALERTS_ENV_PREFIX) or not value:
            continue
        key = variable.removeprefix(ALERTS_ENV_PREFIX).lower()
        if key not in _ALERT_KEYS or variable != ALERTS_ENV_PREFIX + key.upper():
            known = ", ".join(sorted(_ALERT_KEYS))
            raise SettingsError(f"${variable}: no such alert setting (known, upper-case: {known})")
        found[variable] = key
    return found


def _build(tables: dict[str, dict[str, object]], env: Mapping[str, str], where: str) -> Settings:
    hub = tables.get("hub", {})
    store = tables.get("store", {})
    _only(hub, {"wearer", "prefix"}, "hub", where)
    _only(store, {"path", "retention_days"}, "store", where)
    home = data_dir(env)
    try:
        wearer = validate_wearer(str(hub.get("wearer", "me")))
        prefix = validate_prefix(str(hub.get("prefix", DEFAULT_PREFIX)))
    except TopicError as exc:
        raise SettingsError(f"{where}: [hub]: {exc}") from None
    mqtt = None
    if "mqtt" in tables:
        try:
            mqtt = MqttConfig.from_mapping(tables["mqtt"], env)
        except (MqttConfigError, ValueError, TypeError) as exc:
            raise SettingsError(f"{where}: [mqtt]: {exc}") from None
    influx = _influx(tables["influx"], where) if "influx" in tables else None
    try:
        alerts = AlertConfig.from_mapping(tables.get("alerts", {}))
    except AlertConfigError as exc:
        variable = ALERTS_ENV_PREFIX + exc.field.upper()
        if env.get(variable) and exc.field in _ALERT_KEYS:
            raise SettingsError(f"${variable}: {exc}") from None
        raise SettingsError(f"{where}: [alerts]: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{where}: [alerts]: {exc}") from None
    store_path = Path(str(store.get("path", home / "posture.sqlite"))).expanduser()
    retention = store.get("retention_days", 90.0)
    if isinstance(retention, bool) or not isinstance(retention, int | float) or retention <= 0:
        raise SettingsError(f"{where}: [store] retention_days must be a positive number")
    dashboard = _dashboard(tables.get("dashboard", {}), where)
    return Settings(
        wearer, prefix, mqtt, influx, store_path, float(retention), home, alerts, dashboard
    )


def _dashboard(table: Mapping[str, object], where: str) -> DashboardSettings:
    _only(table, {"host", "port", "token"}, "dashboard", where)
    host, port, token = table.get("host", "127.0.0.1"), table.get("port", 8080), table.get("token")
    if not isinstance(host, str) or not host:
        raise SettingsError(f"{where}: [dashboard] host must be an address")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise SettingsError(f"{where}: [dashboard] port must be 0-65535")
    if token is not None and not isinstance(token, str):
        raise SettingsError(f"{where}: [dashboard] token must be a string")
    return DashboardSettings(host, port, token or None)


def _only(table: Mapping[str, object], keys: set[str], name: str, where: str) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        known = ", ".join(sorted(keys))
        raise SettingsError(f"{where}: [{name}] unknown key {unknown[0]!r} (known: {known})")


def _influx(table: Mapping[str, object], where: str) -> InfluxConfig:
    known = {f.name: f for f in fields(InfluxConfig)}
    for key in ("url", "org", "bucket"):
        if key not in table:
            raise SettingsError(f"{where}: [influx] needs {key!r}")
    kwargs: dict[str, object] = {}
    for key, value in table.items():
        if key not in known:
            names = ", ".join(sorted(known))
            raise SettingsError(f"{where}: [influx] unknown key {key!r} (known: {names})")
        kwargs[key] = Path(str(value)).expanduser() if key == "spill_path" else value
    try:
        return InfluxConfig(**kwargs)  # type: ignore[arg-type]
    except (InfluxConfigError, TypeError) as exc:
        raise SettingsError(f"{where}: [influx]: {exc}") from None
