"""The paho adapter against a real mosquitto: versions, will, outage, restart, replies.

Waits are event-driven (a condition on what the subscriber received) with generous timeouts;
nothing here asserts on time.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sensor_hub.mqtt.client import Availability, InboundMessage, MqttClient, MqttClientError
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from tests.servers.mosquitto import Mosquitto, SecureMosquitto, start_mosquitto

TIMEOUT_S = 30.0
ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """What a handler received, with event-driven waits."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self._cond = threading.Condition()

    def __call__(self, message: InboundMessage) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def wait(
        self, done: Callable[[list[InboundMessage]], bool], timeout_s: float = TIMEOUT_S
    ) -> list[InboundMessage]:
        with self._cond:
            self._cond.wait_for(lambda: done(self.messages), timeout_s)
            return list(self.messages)

    def wait_count(self, n: int) -> list[InboundMessage]:
        got = self.wait(lambda m: len(m) >= n)
        assert len(got) >= n, [m.payload for m in got]
        return got

    def payloads(self) -> set[bytes]:
        with self._cond:
            return {m.payload for m in self.messages}


def _wait_until(predicate: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _cfg(broker: Mosquitto, client_id: str, **kw: object) -> MqttConfig:
    return MqttConfig(url=broker.url, client_id=client_id, reconnect_max_s=2, **kw)  # type: ignore[arg-type]


@pytest.fixture
def durable_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """mosquitto that saves sessions and queues on every change (survives SIGKILL) and queues
    QoS 0 for offline persistent sessions: what a recorder's broker should run."""
    broker = start_mosquitto(
        tmp_path / "durable",
        "autosave_interval 1\nautosave_on_changes true\nqueue_qos0_messages true\n",
    )
    try:
        yield broker
    finally:
        broker.server.stop()


@pytest.mark.parametrize("protocol", [MqttProtocol.V5, MqttProtocol.V311, MqttProtocol.AUTO])
def test_publish_subscribe(mosquitto: Mosquitto, tmp_path: Path, protocol: MqttProtocol) -> None:
    inbox = Inbox()
    pub_cfg = _cfg(mosquitto, "pub", protocol=protocol, outbox_path=tmp_path / "o.db")
    with MqttClient(pub_cfg) as pub, MqttClient(_cfg(mosquitto, "sub", protocol=protocol)) as sub:
        pub.publish("w/a/state", b"retained", qos=1, retain=True)
        assert pub.flush(TIMEOUT_S)
        sub.subscribe("w/#", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        first = inbox.wait_count(1)[0]
        assert (first.topic, first.payload, first.retain) == ("w/a/state", b"retained", True)
        for i in range(20):
            pub.publish("w/a/telemetry", b"t%d" % i, qos=0)
            pub.publish("w/a/events", b"e%d" % i, qos=1)
        got = inbox.wait_count(41)[1:]
        expected = {b"t%d" % i for i in range(20)} | {b"e%d" % i for i in range(20)}
        assert {m.payload for m in got} == expected
        events = [m.payload for m in got if m.topic == "w/a/events"]
        assert events == [b"e%d" % i for i in range(20)]  # in order
        negotiated = MqttProtocol.V311 if protocol is MqttProtocol.V311 else MqttProtocol.V5
        assert pub.stats.protocol is negotiated
        assert pub.flush(TIMEOUT_S)
        assert pub.stats.outbox is not None
        assert pub.stats.outbox.messages == 0


def test_qos0_rows_are_confirmed_by_an_availability_marker(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    """Telemetry only: the adapter's own QoS 1 ``online`` marker confirms the written rows."""
    inbox = Inbox()
    cfg = _cfg(mosquitto, "pub", outbox_path=tmp_path / "o.db")
    with (
        MqttClient(_cfg(mosquitto, "sub")) as sub,
        MqttClient(cfg, availability=Availability("w/a/availability")) as pub,
    ):
        sub.subscribe("w/a/telemetry", 0, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        for i in range(50):
            pub.publish("w/a/telemetry", b"t%d" % i, qos=0)
        assert pub.flush(TIMEOUT_S)
        assert pub.outbox is not None
        assert len(pub.outbox) == 0
        assert [m.payload for m in inbox.wait_count(50)] == [b"t%d" % i for i in range(50)]


def test_bad_arguments_raise_before_sending(mosquitto: Mosquitto) -> None:
    client = MqttClient(_cfg(mosquitto, "bad"))
    with pytest.raises(MqttClientError):
        client.publish("w/+/x", b"", qos=0)
    with pytest.raises(MqttClientError):
        client.publish("w/x", b"", qos=3)
    with pytest.raises(MqttClientError):
        client.subscribe("w/#/x", 0, Inbox())
    with pytest.raises(MqttClientError):
        client.subscribe("$share//w/#", 0, Inbox())


_CHILD = """
import sys, time
from pathlib import Path
from sensor_hub.mqtt.client import Availability, MqttClient
from sensor_hub.mqtt.config import MqttConfig
url, outbox, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = MqttConfig(url=url, client_id="child", reconnect_max_s=2,
                 outbox_path=None if outbox == "-" else Path(outbox))
client = MqttClient(cfg, availability=Availability("w/child/availability"))
client.start()
if outbox == "-":
    client.wait_connected(30)
for i in range(n):
    client.publish("w/child/events", b"e%d" % i, qos=1)
print("ready", flush=True)
time.sleep(600)
"""


def _child(url: str, outbox: str, n: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, outbox, str(n)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(TIMEOUT_S)
    assert proc.stdout is not None
    proc.stdout.close()


def test_last_will_is_retained_offline_when_the_process_dies(mosquitto: Mosquitto) -> None:
    inbox = Inbox()
    with MqttClient(_cfg(mosquitto, "watcher")) as watcher:
        watcher.subscribe("w/child/availability", 1, inbox)
        assert watcher.wait_subscribed(TIMEOUT_S)
        child = _child(mosquitto.url, "-", 0)
        try:
            assert inbox.wait_count(1)[0].payload == b"online"
        finally:
            _kill(child)
        assert inbox.wait_count(2)[1].payload == b"offline"
    late = Inbox()  # a later subscriber gets the retained will
    with MqttClient(_cfg(mosquitto, "late")) as client:
        client.subscribe("w/child/availability", 1, late)
        got = late.wait_count(1)[0]
        assert (got.payload, got.retain) == (b"offline", True)


def test_clean_stop_publishes_offline(mosquitto: Mosquitto) -> None:
    inbox = Inbox()
    with MqttClient(_cfg(mosquitto, "watcher")) as watcher:
        watcher.subscribe("w/a/availability", 1, inbox)
        assert watcher.wait_subscribed(TIMEOUT_S)
        client = MqttClient(_cfg(mosquitto, "a"), availability=Availability("w/a/availability"))
        client.start()
        assert inbox.wait_count(1)[0].payload == b"online"
        client.stop()
        assert inbox.wait_count(2)[1].payload == b"offline"


@pytest.mark.parametrize("kill", [False, True], ids=["terminated", "killed"])
def test_broker_down_mid_stream_loses_nothing(
    durable_mosquitto: Mosquitto, tmp_path: Path, kill: bool
) -> None:
    """Events and telemetry streamed across a broker outage, plus a burst of events (QoS 1)
    and telemetry (QoS 0) published while it is down: a persistent subscriber gets them all.

    The stream publishes telemetry at QoS 1: mosquitto drops the QoS 0 messages it holds for a
    connected subscriber when it stops (observed: 2 of 444 in one SIGTERM run), so only QoS 1
    survives a broker restart mid-flight.  Terminated (SIGTERM, mosquitto saves its state):
    nothing may be lost.  Killed (SIGKILL): mosquitto acknowledges a PUBLISH before it forwards
    or saves it, so what it acknowledged in the instant before the kill dies with it -- no
    client can resend what the broker confirmed.  There we assert zero loss of everything
    published from the kill on, and that any loss is a few messages from just before the kill.
    """
    broker = durable_mosquitto
    inbox = Inbox()
    sub = MqttClient(_cfg(broker, "recorder", session_expiry_s=3600))
    pub = MqttClient(
        _cfg(broker, "wearer", outbox_path=tmp_path / "outbox.db"),
        availability=Availability("w/a/availability"),  # also confirms QoS 0 (see client.py)
    )
    sent: dict[bytes, float] = {}  # payload -> monotonic publish time
    stop_stream = threading.Event()

    def stream() -> None:
        i = 0
        while not stop_stream.is_set():
            for kind, topic in ((b"e", "w/a/events"), (b"t", "w/a/telemetry")):
                payload = b"%s%d" % (kind, i)
                pub.publish(topic, payload, qos=1)
                sent[payload] = time.monotonic()
            i += 1
            time.sleep(0.002)  # ~500 messages/s of each kind: pacing, not a measurement

    with sub, pub:
        sub.subscribe("w/a/events", 1, inbox)
        sub.subscribe("w/a/telemetry", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        assert pub.wait_connected(TIMEOUT_S)
        streamer = threading.Thread(target=stream)
        streamer.start()
        try:
            inbox.wait_count(100)
            stopped_at = time.monotonic()
            broker.server.stop(kill=kill)  # mid-stream
            assert _wait_until(lambda: not pub.connected)
        finally:
            stop_stream.set()
            streamer.join()
        outage = [b"oe%d" % i for i in range(100)] + [b"ot%d" % i for i in range(200)]
        for payload in outage:
            if payload.startswith(b"oe"):
                pub.publish("w/a/events", payload, qos=1)
            else:
                pub.publish("w/a/telemetry", payload, qos=0)
            sent[payload] = time.monotonic()
        assert pub.stats.outbox is not None
        assert pub.stats.outbox.messages >= len(outage)
        broker.server.start()
        assert pub.flush(TIMEOUT_S)
        after_stop = {p for p, t in sent.items() if t > stopped_at}
        inbox.wait(lambda m: after_stop <= {x.payload for x in m})
        inbox.wait(lambda m: set(sent) <= {x.payload for x in m}, timeout_s=3)
        received = [m.payload for m in inbox.messages]
    missing = set(sent) - set(received)
    assert sum(p.startswith(b"e") for p in sent) >= 50  # really mid-stream
    assert len(after_stop) >= len(outage)
    assert not missing & after_stop
    if kill:
        late = [stopped_at - sent[p] for p in missing]
        assert len(missing) <= 4, f"lost {sorted(missing)}"
        assert all(age < 0.5 for age in late), late
    else:
        assert not missing, f"{len(missing)} of {len(sent)} lost: {sorted(missing)[:20]}"
    assert sub.stats.disconnects >= 1
    assert pub.stats.disconnects >= 1


def test_restarted_publisher_delivers_the_leftover_outbox(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    outbox = tmp_path / "child-outbox.db"
    mosquitto.server.stop()
    child = _child(mosquitto.url, str(outbox), 50)  # broker down: all 50 stay in the outbox
    _kill(child)
    mosquitto.server.start()
    inbox = Inbox()
    with MqttClient(_cfg(mosquitto, "sub")) as sub:
        sub.subscribe("w/child/events", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        with MqttClient(_cfg(mosquitto, "child", outbox_path=outbox)) as again:
            assert again.flush(TIMEOUT_S)
        got = inbox.wait_count(50)
    assert [m.payload for m in got] == [b"e%d" % i for i in range(50)]


def test_outbox_full_policy_end_to_end(mosquitto: Mosquitto, tmp_path: Path) -> None:
    inbox = Inbox()
    with MqttClient(_cfg(mosquitto, "sub", session_expiry_s=3600)) as sub:
        sub.subscribe("w/#", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
    mosquitto.server.stop()  # clean stop: the persistent session is saved
    cfg = _cfg(mosquitto, "pub", outbox_path=tmp_path / "o.db", outbox_max_messages=10)
    pub = MqttClient(cfg)
    for i in range(5):
        pub.publish("w/a/events", b"e%d" % i, qos=1)
    for i in range(20):
        pub.publish("w/a/telemetry", b"t%d" % i, qos=0)
    stats = pub.outbox.stats if pub.outbox is not None else None
    assert stats is not None
    assert (stats.messages, stats.dropped_qos0, stats.dropped_qos1) == (10, 15, 0)
    mosquitto.server.start()
    with MqttClient(_cfg(mosquitto, "sub", session_expiry_s=3600)) as sub, pub:
        sub.subscribe("w/#", 1, inbox)
        assert pub.flush(TIMEOUT_S)
        got = inbox.wait_count(10)
    expected = [b"e%d" % i for i in range(5)] + [b"t%d" % i for i in range(15, 20)]
    assert sorted(m.payload for m in got) == sorted(expected)


def test_resubscribes_after_a_broker_restart_and_hides_secrets(
    mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sensor_hub.mqtt")
    inbox = Inbox()
    cfg = _cfg(mosquitto, "sub", clean_start=True, username="alice", password="s3cret-pw")
    with MqttClient(cfg) as sub, MqttClient(_cfg(mosquitto, "pub")) as pub:
        sub.subscribe("w/a/events", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        mosquitto.server.restart()  # forgets everything: only our re-subscribe brings it back
        assert _wait_until(lambda: sub.stats.connects >= 2)
        assert sub.wait_subscribed(TIMEOUT_S)
        assert pub.wait_connected(TIMEOUT_S)
        pub.publish("w/a/events", b"after-restart", qos=1)
        assert inbox.wait_count(1)[0].payload == b"after-restart"
    assert "reconnecting in" in caplog.text
    assert "MQTT connected" in caplog.text
    assert "s3cret-pw" not in caplog.text
    assert "alice" not in caplog.text


def test_shared_subscription_splits_the_load(mosquitto: Mosquitto) -> None:
    a, b = Inbox(), Inbox()
    with (
        MqttClient(_cfg(mosquitto, "rec-a")) as rec_a,
        MqttClient(_cfg(mosquitto, "rec-b")) as rec_b,
        MqttClient(_cfg(mosquitto, "pub")) as pub,
    ):
        rec_a.subscribe("$share/recorders/w/+/events", 1, a)
        rec_b.subscribe("$share/recorders/w/+/events", 1, b)
        assert rec_a.wait_subscribed(TIMEOUT_S)
        assert rec_b.wait_subscribed(TIMEOUT_S)
        assert pub.wait_connected(TIMEOUT_S)
        for i in range(40):
            pub.publish("w/a/events", b"e%d" % i, qos=1)
        assert _wait_until(lambda: len(a.messages) + len(b.messages) >= 40)
    got = [m.payload for m in a.messages + b.messages]
    assert sorted(got) == sorted(b"e%d" % i for i in range(40))
    assert a.messages
    assert b.messages


def _requester(broker: Mosquitto, inbox: Inbox) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, "requester", protocol=paho.MQTTv5)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_a: subscribed.set()

    def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        inbox(InboundMessage(msg.topic, msg.payload, msg.qos, msg.retain, None, corr))

    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe("app/replies/#", 1)
    assert subscribed.wait(TIMEOUT_S)
    return client


@pytest.mark.parametrize("protocol", [MqttProtocol.V5, MqttProtocol.V311])
def test_reply_uses_response_topic_or_reply_topic(
    mosquitto: Mosquitto, protocol: MqttProtocol
) -> None:
    replies = Inbox()
    requester = _requester(mosquitto, replies)
    try:
        with MqttClient(_cfg(mosquitto, "hub", protocol=protocol)) as hub:

            def on_command(msg: InboundMessage) -> None:
                hub.reply(msg, b"ok:" + msg.payload, reply_topic="app/replies/fallback")

            hub.subscribe("w/a/cmd", 1, on_command)
            assert hub.wait_subscribed(TIMEOUT_S)
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.ResponseTopic = "app/replies/r1"
            props.CorrelationData = b"corr-42"
            requester.publish("w/a/cmd", b"calibrate", qos=1, properties=props)
            got = replies.wait_count(1)[0]
    finally:
        requester.disconnect()
        requester.loop_stop()
    assert got.payload == b"ok:calibrate"
    if protocol is MqttProtocol.V5:
        assert (got.topic, got.correlation_data) == ("app/replies/r1", b"corr-42")
    else:  # 3.1.1 carries neither: the documented reply topic
        assert (got.topic, got.correlation_data) == ("app/replies/fallback", None)


def test_tls_with_credentials_and_client_certificate(
    mosquitto_secure: SecureMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """Server verified against our CA, users and ACL enforced, mTLS port with a client cert."""
    caplog.set_level(logging.DEBUG, logger="sensor_hub.mqtt")
    broker = mosquitto_secure
    inbox = Inbox()
    tls = {"ca_file": broker.ca_file}
    mtls = {**tls, "cert_file": broker.client_cert, "key_file": broker.client_key}
    alice_pw = broker.users["alice"]
    recorder = MqttConfig(
        url=f"mqtts://{broker.host}:{broker.mtls_port}",
        client_id="recorder-1",
        username="recorder",
        password=broker.users["recorder"],
        **mtls,  # type: ignore[arg-type]
    )
    alice = MqttConfig(
        url=broker.tls_url,
        client_id="alice-hub",
        username="alice",
        password=alice_pw,
        **tls,  # type: ignore[arg-type]
    )
    with MqttClient(recorder) as rec:
        rec.subscribe("posture/v1/+/events", 1, inbox)
        assert rec.wait_subscribed(TIMEOUT_S)
        with MqttClient(alice, availability=Availability("posture/v1/alice/availability")) as hub:
            assert hub.wait_connected(TIMEOUT_S)
            hub.publish("posture/v1/alice/events", b"over-tls", qos=1)
            assert hub.flush(TIMEOUT_S)
            assert inbox.wait_count(1)[0].payload == b"over-tls"
    assert alice_pw not in caplog.text


def test_wrong_password_is_refused_and_not_logged(
    mosquitto_secure: SecureMosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sensor_hub.mqtt")
    cfg = MqttConfig(
        url=mosquitto_secure.url, client_id="alice-hub", username="alice", password="wrong-pw-1"
    )
    with MqttClient(cfg) as client:
        assert _wait_until(lambda: "refused the connection" in caplog.text)
        assert not client.connected
    assert "wrong-pw-1" not in caplog.text
