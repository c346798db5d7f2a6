"""The hub on MQTT, end to end: a virtual sensor through bleak, the hub, the bridge, the paho
adapter, a real mosquitto, and a test subscriber that checks every payload against its schema."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import jsonschema
import numpy as np
import paho.mqtt.client as paho
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.hub import SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, SensorTarget
from sensor_hub.mqtt import load_schema
from sensor_hub.mqtt.client import Availability, MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from sensor_hub.mqtt.messages import PostureState, SensorState
from sensor_hub.mqtt.raw import decode_raw
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Role
from sensor_hub.processing.calibration import ForwardAxis
from sensor_hub.service.bridge import BridgeConfig, HubBridge, _state_key
from sensor_hub.simulate import simulate
from sensor_hub.virtual import VirtualSensor
from tests.ble.conftest import FAST_ADVERTISING, run
from tests.servers.mosquitto import Mosquitto

WEARER = "alice"
SPEED = 20.0  # the dips scenario's first alert (~63 s in) comes after ~3 s


@dataclass
class Inbox:
    """What the test subscriber received, thread-safe."""

    messages: list[paho.MQTTMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.messages.append(message)

    def on(self, topic: str) -> list[dict[str, object]]:
        with self.lock:
            return [json.loads(m.payload) for m in self.messages if m.topic == topic]

    def raw(self, topic_prefix: str) -> list[paho.MQTTMessage]:
        with self.lock:
            return [m for m in self.messages if m.topic.startswith(topic_prefix)]


def subscriber(broker: Mosquitto, inbox: Inbox, *filters: str) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.on_message = lambda _c, _u, msg: inbox.add(msg)
    subscribed = threading.Event()
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.subscribe([(f, 1) for f in filters])
    assert subscribed.wait(5)
    return client


async def until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def command(
    client: paho.Client, topics: Topics, body: dict[str, object] | bytes, *, v5_reply: bool
) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    props = None
    if v5_reply:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{topics.base}/test/replies"
        props.CorrelationData = b"corr-1"
    client.publish(topics.command, payload, qos=1, properties=props)


@pytest.mark.parametrize("protocol", [MqttProtocol.V5, MqttProtocol.V311])
def test_hub_publishes_and_answers_commands(mosquitto: Mosquitto, protocol: MqttProtocol) -> None:
    topics = Topics(WEARER)
    inbox = Inbox()
    watcher = subscriber(mosquitto, inbox, "posture/v1/#", "homeassistant/#")
    schemas = {name: load_schema(name) for name in ("telemetry", "state", "event", "reply")}

    async def body() -> None:
        block = simulate("dips", seed=1, imu_errors=False).block
        async with VirtualAir() as air:
            sensor = VirtualSensor(block, speed=SPEED, advertising=FAST_ADVERTISING)
            await sensor.start(air)
            hub = SensorHub(
                [SensorSpec(SensorTarget(name=sensor.name))],
                transport=BleTransport(scanner_backend(air), client_backend(air)),
            )
            config = MqttConfig(url=mosquitto.url, client_id="hub-alice", protocol=protocol)
            client = MqttClient(config, availability=Availability(topics.availability))
            client.start()
            bridge = HubBridge(hub, client, topics, BridgeConfig(state_interval_s=1.0, raw=True))
            try:
                assert await asyncio.to_thread(client.wait_connected, 10.0)
                async with hub:
                    bridge.start()
                    assert await asyncio.to_thread(client.wait_subscribed, 10.0)
                    await hub.wait_connected(5.0)
                    await until(
                        lambda: any(
                            e["event_type"] == "episode_alerted" for e in inbox.on(topics.events)
                        )
                    )
                    # A good command, a malformed one, an out-of-range one, then snooze/resume.
                    v5 = protocol is MqttProtocol.V5
                    command(
                        watcher, topics, {"v": 1, "command": "calibrate", "id": "c1"}, v5_reply=v5
                    )
                    command(watcher, topics, b"{not json", v5_reply=v5)
                    command(
                        watcher,
                        topics,
                        {"v": 1, "command": "set_thresholds", "threshold_deg": 500, "id": "t1"},
                        v5_reply=v5,
                    )
                    command(
                        watcher,
                        topics,
                        {"v": 1, "command": "snooze", "duration_s": 600, "id": "s1"},
                        v5_reply=v5,
                    )
                    reply_topic = f"{topics.base}/test/replies" if v5 else topics.reply
                    await until(lambda: len(inbox.on(reply_topic)) >= 4)
                    assert hub.paused
                    threshold = hub.processors[next(iter(hub.processors))].config.threshold_deg
                    assert threshold == 20.0  # the refused command changed nothing
                    await bridge.stop()
            finally:
                await asyncio.to_thread(client.stop)
                await sensor.stop()

    try:
        run(body)
        time.sleep(0.3)  # the retained offline after the clean stop
    finally:
        watcher.loop_stop()
        watcher.disconnect()

    telemetry = inbox.on(topics.telemetry("lumbar"))
    assert len(telemetry) > 20
    for payload in telemetry[:50]:
        jsonschema.validate(payload, schemas["telemetry"])
    states = inbox.on(topics.state("lumbar"))
    assert states
    for payload in states:
        jsonschema.validate(payload, schemas["state"])
    assert {s["posture"] for s in states} >= {"slouching"}
    raw = inbox.raw(topics.raw("lumbar"))
    assert raw
    blocks = [decode_raw(m.payload) for m in raw]
    times = np.concatenate([b.timestamp_s for b in blocks])
    assert len(times) > 100
    assert np.all(np.diff(times) > 0)  # every sample once, in order
    assert np.allclose(np.linalg.norm(blocks[0].acc_mps2, axis=1), 9.81, atol=0.5)  # at rest
    events = inbox.on(topics.events)
    for payload in events:
        jsonschema.validate(payload, schemas["event"])
    assert [e["event_type"] for e in events][:2] == ["episode_started", "episode_alerted"]

    replies = inbox.on(
        f"{topics.base}/test/replies" if protocol is MqttProtocol.V5 else topics.reply
    )
    for payload in replies:
        jsonschema.validate(payload, schemas["reply"])
    by_id = {r.get("id"): r for r in replies}
    assert by_id["c1"]["ok"] is True
    assert by_id["t1"]["ok"] is False
    assert by_id["t1"]["error"]["code"] == "out_of_range"  # type: ignore[index]
    assert by_id["s1"]["ok"] is True
    bad = [r for r in replies if r["ok"] is False and r.get("id") is None]
    assert bad[0]["error"]["code"] == "bad_json"  # type: ignore[index]
    if protocol is MqttProtocol.V5:
        corr = {m.properties.CorrelationData for m in inbox.raw(f"{topics.base}/test/replies")}
        assert corr == {b"corr-1"}

    # What a newcomer finds retained: the discovery configs and the hub's last word.
    later = Inbox()
    newcomer = subscriber(mosquitto, later, "homeassistant/#", topics.availability)
    time.sleep(0.5)
    newcomer.loop_stop()
    newcomer.disconnect()
    discovery = later.raw("homeassistant/")
    assert len(discovery) >= 8
    assert all(m.retain for m in discovery)
    assert [m.payload for m in later.raw(topics.availability)] == [b"offline"]
    assert next(m.payload for m in inbox.raw(topics.availability)) == b"online"


def test_a_forward_axis_change_republishes_the_state_at_once() -> None:
    case = SensorState(
        WEARER, Role.LUMBAR, 1e9, PostureState.UPRIGHT, True,
        forward_axis=ForwardAxis.CASE, mount_yaw_deg=0.0,
    )  # fmt: skip
    learned = replace(case, forward_axis=ForwardAxis.BENDS, mount_yaw_deg=12.0)
    assert _state_key(learned) != _state_key(case)
    assert _state_key(replace(case, forward_axis=None)) != _state_key(case)  # first known
    # the yaw alone refines with every bend: it waits for the periodic state
    assert _state_key(replace(learned, mount_yaw_deg=12.5)) == _state_key(learned)
