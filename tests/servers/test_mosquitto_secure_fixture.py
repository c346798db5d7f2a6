"""The secure mosquitto fixture: TLS verified against our CA, passwords enforced."""

from __future__ import annotations

import ssl

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from tests.servers.mosquitto import SecureMaterial, SecureMosquitto
from tests.servers.mqtt_probe import PROTOCOLS, Probe, TlsOptions


@pytest.mark.parametrize("protocol", PROTOCOLS.values(), ids=PROTOCOLS.keys())
def test_tls_with_ca_verification_and_password(
    mosquitto_secure: SecureMosquitto, protocol: MQTTProtocolVersion
) -> None:
    m = mosquitto_secure
    tls = TlsOptions(m.ca_file)
    with Probe(
        m.host, m.tls_port, username="alice", password=m.users["alice"], protocol=protocol, tls=tls
    ) as alice:
        assert not alice.connect().is_failure
        alice.subscribe("posture/v1/alice/#")
        alice.publish("posture/v1/alice/events", b"hello")
        alice.wait_for("posture/v1/alice/events", b"hello")


def test_tls_host_name_is_verified(mosquitto_secure: SecureMosquitto) -> None:
    m = mosquitto_secure
    tls = TlsOptions(m.ca_file)
    with (
        Probe("localhost", m.tls_port, username="alice", password=m.users["alice"], tls=tls) as p,
    ):
        assert not p.connect().is_failure


def test_tls_unknown_ca_is_refused(
    mosquitto_secure: SecureMosquitto, mosquitto_secure_material: SecureMaterial
) -> None:
    m = mosquitto_secure
    other_ca = mosquitto_secure_material.tls.other_ca_file
    probe = Probe(
        m.host, m.tls_port, username="alice", password=m.users["alice"], tls=TlsOptions(other_ca)
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        probe.connect()


def test_client_certificate_listener(mosquitto_secure: SecureMosquitto) -> None:
    m = mosquitto_secure
    with_cert = TlsOptions(m.ca_file, m.client_cert, m.client_key)
    with Probe(
        m.host, m.mtls_port, username="alice", password=m.users["alice"], tls=with_cert
    ) as p:
        assert not p.connect().is_failure
    without = Probe(
        m.host, m.mtls_port, username="alice", password=m.users["alice"], tls=TlsOptions(m.ca_file)
    )
    # With TLS 1.3 the client's handshake may complete before the server checks for the
    # missing certificate: then the refusal is the connection closing before any CONNACK.
    try:
        rc = without.connect()
    except (ssl.SSLError, OSError):
        pass
    else:
        assert rc.is_failure
    finally:
        without.close()


@pytest.mark.parametrize("protocol", PROTOCOLS.values(), ids=PROTOCOLS.keys())
@pytest.mark.parametrize("port_name", ["plain_port", "tls_port"])
def test_wrong_password_is_refused(
    mosquitto_secure: SecureMosquitto, protocol: MQTTProtocolVersion, port_name: str
) -> None:
    m = mosquitto_secure
    tls = TlsOptions(m.ca_file) if port_name == "tls_port" else None
    with Probe(
        m.host,
        getattr(m, port_name),
        username="alice",
        password="wrong",
        protocol=protocol,
        tls=tls,
    ) as p:
        assert p.connect().is_failure


def test_restart_keeps_ports_and_retained(mosquitto_secure: SecureMosquitto) -> None:
    m = mosquitto_secure
    with Probe(m.host, m.plain_port, username="alice", password=m.users["alice"]) as alice:
        alice.connected()
        alice.publish("posture/v1/alice/availability", b"online", retain=True)
    m.server.restart()
    with Probe(
        m.host, m.tls_port, username="alice", password=m.users["alice"], tls=TlsOptions(m.ca_file)
    ) as alice:
        alice.connected()
        alice.subscribe("posture/v1/alice/availability")
        alice.wait_for("posture/v1/alice/availability", b"online")
