"""Fixtures shared by the whole suite: the real servers (see ``tests/servers``).

Each server fixture starts a real program on free loopback ports with its files and log under
the test's ``tmp_path``, and kills it at teardown (nothing of it is kept, so no clean shutdown
to wait for).  ``fixture.server`` is the ``ServerProcess``:
``stop(kill=True)`` / ``start()`` / ``restart()`` keep the same port (outage tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.influxdb import InfluxDB1, start_influxdb1
from tests.servers.mosquitto import (
    Mosquitto,
    SecureMaterial,
    SecureMosquitto,
    make_secure_material,
    start_mosquitto,
    start_secure_mosquitto,
)
from tests.servers.victoria import Victoria, start_victoria


@pytest.fixture(autouse=True)
def _private_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settings, remembered sensors, outboxes and stores of every test stay in its own temp
    directories, never in the user's home."""
    base = tmp_path_factory.mktemp("posture-hub")
    monkeypatch.setenv("POSTURE_HUB_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("POSTURE_HUB_DATA_DIR", str(base / "data"))
    for name in ("POSTURE_HUB_MQTT_URL", "POSTURE_HUB_WEARER", "POSTURE_HUB_INFLUX_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A fresh anonymous mosquitto for one test (restartable: ``mosquitto.server.restart()``)."""
    broker = start_mosquitto(tmp_path / "mosquitto")
    try:
        yield broker
    finally:
        broker.server.stop(kill=True)


@pytest.fixture(scope="session")
def mosquitto_secure_material(tmp_path_factory: pytest.TempPathFactory) -> SecureMaterial:
    """Certificates (CA, server, client) and a password file, made once per session."""
    return make_secure_material(tmp_path_factory.mktemp("mosquitto-secure-material"))


@pytest.fixture
def mosquitto_secure(
    mosquitto_secure_material: SecureMaterial, tmp_path: Path
) -> Iterator[SecureMosquitto]:
    """mosquitto on deploy/mosquitto's configuration: passwords + ACL on a plain and TLS ports.

    Attributes: host, plain_port, tls_port, mtls_port (client certificate required), ca_file,
    client_cert, client_key, users (name -> password: alice, bob, recorder, homeassistant),
    server.
    """
    broker = start_secure_mosquitto(mosquitto_secure_material, tmp_path / "mosquitto-secure")
    try:
        yield broker
    finally:
        broker.server.stop(kill=True)


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[Victoria]:
    """A fresh VictoriaMetrics (empty storage): ``url``, ``write()``, ``flush()``, ``export()``."""
    store = start_victoria(tmp_path / "victoria")
    try:
        yield store
    finally:
        store.server.stop(kill=True)


@pytest.fixture
def influxdb1(tmp_path: Path) -> Iterator[InfluxDB1]:
    """A fresh InfluxDB 1.x with one empty database ``influxdb1.db``: ``query()``, ``write()``."""
    store = start_influxdb1(tmp_path / "influxdb1")
    try:
        yield store
    finally:
        store.server.stop(kill=True)
