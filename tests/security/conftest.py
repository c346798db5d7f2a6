"""Connections to the secure broker for the ACL tests, closed at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from tests.servers.mosquitto import SecureMosquitto
from tests.servers.mqtt_probe import PROTOCOLS, Probe, TlsOptions

Connect = Callable[..., Probe]


@pytest.fixture(params=PROTOCOLS.values(), ids=PROTOCOLS.keys())
def protocol(request: pytest.FixtureRequest) -> MQTTProtocolVersion:
    """Each ACL test runs under MQTT 5 and under MQTT 3.1.1."""
    value: MQTTProtocolVersion = request.param
    return value


@pytest.fixture
def connect(mosquitto_secure: SecureMosquitto, protocol: MQTTProtocolVersion) -> Iterator[Connect]:
    """``connect("alice")``: a connected client logged in as that user (plain port by default).

    ``tls=True`` goes through the TLS listener (server verified against the test CA).
    """
    probes: list[Probe] = []

    def _connect(user: str, *, tls: bool = False, client_id: str | None = None) -> Probe:
        m = mosquitto_secure
        probe = Probe(
            m.host,
            m.tls_port if tls else m.plain_port,
            username=user,
            password=m.users[user],
            protocol=protocol,
            tls=TlsOptions(m.ca_file) if tls else None,
            client_id=client_id,
        )
        probes.append(probe)
        return probe.connected()

    yield _connect
    for probe in probes:
        probe.close()
