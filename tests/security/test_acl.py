"""What deploy/mosquitto/acl guarantees, checked on the shipped configuration.

Wearer A's credentials can neither read nor write wearer B's topics; the recorder reads every
wearer and writes nothing; Home Assistant reads discovery and data and may only send commands;
nobody gets in without a password.  Each test runs under MQTT 5 and 3.1.1.

mosquitto gives no error for what the ACL forbids: a forbidden publish is acknowledged (PUBACK
success in 3.1.1) and dropped, a forbidden subscription is granted and delivers nothing.  So the
tests check *delivery*, with a sentinel: once the forbidden publish has been acknowledged (the
broker has processed it), a permitted message is published; mosquitto handles packets on one
thread and queues each client's messages in order (QoS 1 throughout), so when the sentinel
arrives, anything the forbidden publish would have delivered has already arrived.
"""

from __future__ import annotations

import socket

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from tests.security.conftest import Connect
from tests.servers.mosquitto import SecureMosquitto
from tests.servers.mqtt_probe import Probe, TlsOptions

ALICE = "posture/v1/alice"
BOB = "posture/v1/bob"

#: Every kind of topic a wearer owns (docs/mqtt.md), relative to the wearer's root.
WEARER_TOPICS = (
    "availability",
    "lumbar/telemetry",
    "lumbar/state",
    "pelvis/raw",
    "events",
    "cmd",
    "cmd/reply",
)
DISCOVERY_ALICE = "homeassistant/sensor/posture_alice/flexion/config"
DISCOVERY_BOB = "homeassistant/sensor/posture_bob/flexion/config"


def publish_all(client: Probe, root: str, payload: bytes) -> None:
    """Publish to every wearer topic under ``root``, at QoS 0 and 1, state and availability
    retained; return once the broker has acknowledged the last one (so it processed all)."""
    for sub in WEARER_TOPICS:
        retain = sub in {"availability", "lumbar/state"}
        client.publish(f"{root}/{sub}", payload, qos=0, retain=retain)
        client.publish(f"{root}/{sub}", payload, qos=1, retain=retain)


def sentinel(receiver: Probe, sender: Probe, topic: str) -> None:
    """Publish a sentinel ``sender`` may send and ``receiver`` may read; wait until it arrives."""
    receiver.subscribe(topic)
    sender.publish(topic, b"sentinel")
    receiver.wait_for(topic, b"sentinel")


def foreign(client: Probe, own: tuple[str, ...]) -> list[str]:
    """The topics ``client`` received that lie outside the prefixes it is entitled to."""
    return [t for t in client.topics() if not t.startswith(own)]


def test_wearer_reads_and_writes_own_topics(connect: Connect) -> None:
    alice = connect("alice")
    alice.subscribe(f"{ALICE}/#", "homeassistant/+/posture_alice/#")
    publish_all(alice, ALICE, b"mine")
    alice.publish(DISCOVERY_ALICE, b"{}", retain=True)
    for sub in WEARER_TOPICS:
        alice.wait_for(f"{ALICE}/{sub}", b"mine")
    alice.wait_for(DISCOVERY_ALICE, b"{}")
    # ... and a second connection of alice's (her phone) gets the retained ones.
    phone = connect("alice")
    phone.subscribe(f"{ALICE}/#")
    phone.wait_for(f"{ALICE}/availability", b"mine")
    phone.wait_for(f"{ALICE}/lumbar/state", b"mine")


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_wearer_cannot_read_another_wearer(connect: Connect, tls: bool) -> None:
    bob = connect("bob", tls=tls)
    publish_all(bob, BOB, b"bob-retained")  # retained state/availability exist before alice
    bob.publish(DISCOVERY_BOB, b"{}", retain=True)

    alice = connect("alice", tls=tls)
    # Every way alice might ask for bob's messages: his subtree, wildcards, everything.
    alice.subscribe(
        f"{BOB}/#",
        f"{BOB}/cmd",
        f"{BOB}/cmd/reply",
        "posture/v1/+/#",
        "posture/v1/+/lumbar/state",
        "posture/#",
        "#",
        "homeassistant/#",
        "$share/sneaky/posture/v1/bob/#",
    )
    publish_all(bob, BOB, b"bob-live")
    sentinel(alice, alice, f"{ALICE}/events")
    assert foreign(alice, (f"{ALICE}/",)) == []


def test_wearer_cannot_write_another_wearers_topics(connect: Connect) -> None:
    bob = connect("bob")
    bob.publish(f"{BOB}/availability", b"online", retain=True)
    bob.subscribe(f"{BOB}/#")

    alice = connect("alice")
    publish_all(alice, BOB, b"forged-by-alice")  # commands, telemetry, state, availability...
    alice.publish(DISCOVERY_BOB, b'{"forged": 1}', retain=True)

    bob_phone = connect("bob")
    sentinel(bob, bob_phone, f"{BOB}/cmd")
    assert b"forged-by-alice" not in {m.payload for m in bob.messages}
    assert set(bob.payloads(f"{BOB}/cmd")) == {b"sentinel"}  # MQTT 5: a copy per subscription

    # Nothing forged was retained either: a new subscriber sees bob's own availability only.
    later = connect("bob")
    later.subscribe(f"{BOB}/#", "homeassistant/+/posture_bob/#")
    sentinel(later, bob_phone, f"{BOB}/events")
    assert later.payloads(f"{BOB}/availability") == [b"online"]
    assert later.payloads(DISCOVERY_BOB) == []
    assert later.payloads(f"{BOB}/lumbar/state") == []


def test_only_mqtt5_tells_the_publisher(connect: Connect, protocol: MQTTProtocolVersion) -> None:
    """For the record (clients may log it; the tests above do not rely on it): mosquitto answers
    a forbidden QoS 1 publish with PUBACK 0x87 "Not authorized" under MQTT 5, success under
    3.1.1, and grants a forbidden subscription in both."""
    alice = connect("alice")
    rc = alice.publish(f"{BOB}/cmd", b"{}")
    assert rc is not None
    if protocol == MQTTProtocolVersion.MQTTv5:
        assert rc.getName() == "Not authorized"
    else:
        assert not rc.is_failure
    assert [code.is_failure for code in alice.subscribe(f"{BOB}/#")] == [False]


def test_recorder_reads_every_wearer(connect: Connect, protocol: MQTTProtocolVersion) -> None:
    recorder = connect("recorder")
    topics = ["posture/v1/+/#"]
    if protocol == MQTTProtocolVersion.MQTTv5:
        topics.append("$share/recorders/posture/v1/+/#")  # several recorders split the load
    recorder.subscribe(*topics)
    alice, bob = connect("alice"), connect("bob")
    publish_all(alice, ALICE, b"a")
    publish_all(bob, BOB, b"b")
    for root, payload in ((ALICE, b"a"), (BOB, b"b")):
        for sub in WEARER_TOPICS:
            recorder.wait_for(f"{root}/{sub}", payload)
    if protocol == MQTTProtocolVersion.MQTTv5:  # one copy per subscription: plain and shared
        assert len(recorder.payloads(f"{ALICE}/events")) == 4


def test_recorder_cannot_publish(connect: Connect) -> None:
    alice = connect("alice")
    alice.subscribe(f"{ALICE}/#", "homeassistant/+/posture_alice/#")
    recorder = connect("recorder")
    publish_all(recorder, ALICE, b"forged-by-recorder")
    recorder.publish(DISCOVERY_ALICE, b"forged-by-recorder", retain=True)
    sentinel(alice, connect("alice"), f"{ALICE}/cmd")
    assert b"forged-by-recorder" not in {m.payload for m in alice.messages}


def test_homeassistant_reads_discovery_and_data_and_sends_commands(connect: Connect) -> None:
    ha = connect("homeassistant")
    ha.subscribe("homeassistant/#", "posture/v1/+/#")
    alice = connect("alice")
    alice.subscribe(f"{ALICE}/cmd")
    alice.publish(DISCOVERY_ALICE, b'{"name": "flexion"}', retain=True)
    alice.publish(f"{ALICE}/lumbar/state", b"{}", retain=True)
    ha.wait_for(DISCOVERY_ALICE, b'{"name": "flexion"}')
    ha.wait_for(f"{ALICE}/lumbar/state", b"{}")
    # Buttons publish commands ...
    ha.publish(f"{ALICE}/cmd", b'{"cmd": "calibrate"}')
    alice.wait_for(f"{ALICE}/cmd", b'{"cmd": "calibrate"}')
    # ... but Home Assistant cannot forge a wearer's data or discovery entries.
    alice.subscribe(f"{ALICE}/#", "homeassistant/+/posture_alice/#")
    ha.publish(f"{ALICE}/lumbar/state", b"forged-by-ha", retain=True)
    ha.publish(f"{ALICE}/availability", b"forged-by-ha", retain=True)
    ha.publish(DISCOVERY_ALICE, b"forged-by-ha", retain=True)
    sentinel(alice, alice, f"{ALICE}/events")
    assert b"forged-by-ha" not in {m.payload for m in alice.messages}


def test_discovery_entries_are_per_wearer(connect: Connect) -> None:
    ha = connect("homeassistant")
    ha.subscribe("homeassistant/#")
    alice, bob = connect("alice"), connect("bob")
    alice.subscribe("homeassistant/#")
    for component in ("sensor", "binary_sensor", "button", "event"):
        alice.publish(f"homeassistant/{component}/posture_alice/x/config", b"a", retain=True)
        bob.publish(f"homeassistant/{component}/posture_bob/x/config", b"b", retain=True)
        # bob may not add entries under alice's device, nor outside the posture_{user} scheme
        bob.publish(f"homeassistant/{component}/posture_alice/y/config", b"bad", retain=True)
        bob.publish(f"homeassistant/{component}/other/config", b"bad", retain=True)
    sentinel(ha, ha, "homeassistant/status")
    assert sorted(set(ha.topics()) - {"homeassistant/status"}) == sorted(
        f"homeassistant/{c}/posture_{w}/x/config"
        for c in ("sensor", "binary_sensor", "button", "event")
        for w in ("alice", "bob")
    )
    sentinel(alice, alice, f"{ALICE}/events")
    assert foreign(alice, ("homeassistant/", f"{ALICE}/")) == []
    assert [t for t in alice.topics() if "posture_bob" in t or "other" in t] == []


def test_will_cannot_mark_another_wearer_offline(
    mosquitto_secure: SecureMosquitto, connect: Connect, protocol: MQTTProtocolVersion
) -> None:
    bob = connect("bob")
    bob.subscribe(f"{BOB}/availability")
    alice = connect("alice")
    alice.subscribe(f"{ALICE}/availability")
    m = mosquitto_secure
    wills = {"alice-hub-good": f"{ALICE}/availability", "alice-hub-bad": f"{BOB}/availability"}
    for client_id, topic in wills.items():
        hub = Probe(
            m.host,
            m.plain_port,
            username="alice",
            password=m.users["alice"],
            protocol=protocol,
            client_id=client_id,
            will=(topic, b"offline"),
        )
        hub.connected()
        crash(hub, connect, client_id)
    # The mechanism works where it is allowed: alice's own will reached her availability ...
    alice.wait_for(f"{ALICE}/availability", b"offline")
    # ... but the will alice's credentials set on bob's availability was dropped.
    sentinel(bob, connect("bob"), f"{BOB}/availability")
    assert bob.payloads(f"{BOB}/availability") == [b"sentinel"]


def crash(probe: Probe, connect: Connect, client_id: str) -> None:
    """Drop the connection without DISCONNECT, so the will fires; return once the broker has
    handled that: a new connection with the same client id is acknowledged only after the old
    one is gone (closed or taken over) and its will published."""
    sock = probe.client.socket()
    assert sock is not None
    sock.shutdown(socket.SHUT_RDWR)  # the network thread sees the loss and ends (no reconnect)
    probe.client.disconnect()
    probe.client.loop_stop()
    connect("alice", client_id=client_id).close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize(
    ("username", "password"),
    [(None, None), ("mallory", "whatever"), ("alice", ""), ("alice", "bob's password")],
    ids=["anonymous", "unknown-user", "empty-password", "wrong-password"],
)
def test_connection_without_valid_credentials_is_refused(
    mosquitto_secure: SecureMosquitto,
    protocol: MQTTProtocolVersion,
    tls: bool,
    username: str | None,
    password: str | None,
) -> None:
    m = mosquitto_secure
    if password == "bob's password":
        password = m.users["bob"]
    probe = Probe(
        m.host,
        m.tls_port if tls else m.plain_port,
        username=username,
        password=password,
        protocol=protocol,
        tls=TlsOptions(m.ca_file) if tls else None,
    )
    try:
        assert probe.connect().is_failure
    finally:
        probe.close()
