"""Alerts end to end: a slouching wearer replayed from a virtual sensor through bleak, the hub,
the alert policy and the bridge on a real mosquitto.  The first alert buzzes the sensor and
comes with a move prompt (events ``alert`` and ``prompt``); a snooze sent over MQTT silences
the next alert (still reported: ``episode_alerted``, ``alert_suppressed`` snoozed); the
wearer's answer to the prompt is accepted (``prompt_answered``); ``set_alerts`` changes the
running policy, and a bad value is refused naming the setting."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import jsonschema
import paho.mqtt.client as paho

from sensor_hub.alerts import AlertConfig, AlertMode, AlertPolicy
from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.hub import SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, SensorTarget
from sensor_hub.mqtt import load_schema
from sensor_hub.mqtt.client import InboundMessage, MessageHandler
from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.topics import Topics
from sensor_hub.service.alerting import AlertService
from sensor_hub.service.bridge import HubBridge
from sensor_hub.service.session import hub_on_mqtt
from sensor_hub.settings import Settings
from sensor_hub.simulate import simulate
from sensor_hub.virtual import VirtualSensor
from tests.ble.conftest import FAST_ADVERTISING, run
from tests.servers.mosquitto import Mosquitto

SPEED = 20.0  # dips: alerts ~63 s, ~225 s, ~331 s into the source -> ~3 s, ~11 s, ~17 s


def test_alert_buzzes_and_prompts_and_a_snooze_over_mqtt_silences_the_next(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    topics = Topics("alice")
    lock = threading.Lock()
    events: list[dict[str, object]] = []
    replies: list[dict[str, object]] = []

    def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with lock:
            (events if msg.topic == topics.events else replies).append(json.loads(msg.payload))

    watcher = paho.Client(paho.CallbackAPIVersion.VERSION2)
    watcher.on_message = on_message
    watcher.connect(mosquitto.host, mosquitto.port)
    watcher.subscribe([(topics.events, 1), (topics.reply, 1)])
    watcher.loop_start()

    def seen(kind: str) -> list[dict[str, object]]:
        with lock:
            return [e for e in events if e["event_type"] == kind]

    async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)

    settings = Settings(
        wearer="alice",
        mqtt=MqttConfig(url=mosquitto.url, client_id="hub-alice"),
        data_dir=tmp_path,
        alerts=replace(AlertConfig(), quiet_hours=None),
    )

    async def body() -> None:
        block = simulate("dips", seed=1, imu_errors=False).block
        async with VirtualAir() as air:
            sensor = VirtualSensor(block, speed=SPEED, advertising=FAST_ADVERTISING)
            await sensor.start(air)
            hub = SensorHub(
                [SensorSpec(SensorTarget(name=sensor.name))],
                transport=BleTransport(scanner_backend(air), client_backend(air)),
                alert_haptic=None,  # the policy decides
            )
            try:
                async with hub_on_mqtt(hub, settings) as bridge, hub:
                    await until(lambda: bool(seen("prompt")))
                    await sensor.wait_for(lambda: len(sensor.firmware.haptics) == 1, timeout=10)
                    await until(lambda: bool(seen("alert")))
                    prompt = seen("prompt")[0]
                    watcher.publish(
                        topics.command,
                        json.dumps({"v": 1, "command": "snooze", "duration_s": 200, "id": "s"}),
                        qos=1,
                    )
                    await until(lambda: any(r.get("id") == "s" for r in replies))
                    await until(lambda: len(seen("episode_alerted")) >= 2)
                    await until(
                        lambda: any(e["reason"] == "snoozed" for e in seen("alert_suppressed"))
                    )
                    await asyncio.sleep(0.5)  # a buzz would have been sent by now
                    assert len(sensor.firmware.haptics) == 1  # snoozed: no second buzz
                    answer = {"v": 1, "command": "prompt_ack", "id": "a"}
                    answer |= {"prompt_id": prompt["prompt_id"], "answer": "done"}
                    watcher.publish(topics.command, json.dumps(answer), qos=1)
                    await until(lambda: any(r.get("id") == "a" for r in replies))
                    await until(lambda: bool(seen("prompt_answered")))
                    # The snooze (200 s of the replayed day) runs out: the next alert buzzes.
                    await until(lambda: len(seen("alert")) >= 2)
                    for rid, change in (("t", {"mode": "tracking"}), ("x", {"mode": "loud"})):
                        command = {"v": 1, "command": "set_alerts", "id": rid, "settings": change}
                        watcher.publish(topics.command, json.dumps(command), qos=1)
                        await until(lambda rid=rid: any(r.get("id") == rid for r in replies))
                    assert bridge.alerts is not None
                    assert bridge.alerts.policy.config.mode is AlertMode.TRACKING
            finally:
                await sensor.stop()

    try:
        run(body)
    finally:
        watcher.loop_stop()
        watcher.disconnect()

    schema = load_schema("event")
    for event in events:
        jsonschema.validate(event, schema)
    [prompt] = seen("prompt")
    assert prompt["reason"]
    assert prompt["detail"]["steps"]  # type: ignore[index]
    assert prompt["detail"]["safety"]  # type: ignore[index]
    [alert, after_snooze, *_] = seen("alert")
    snooze_end = {r["id"]: r for r in replies}["s"]["result"]["paused_until_s"]  # type: ignore[index]
    assert after_snooze["ts"] >= snooze_end  # type: ignore[operator]
    assert (alert["kind"], alert["level"], alert["sensor"]) == ("forward_lean", 0, "lumbar")
    assert alert["ts"] <= prompt["ts"]  # type: ignore[operator]
    snoozed = [e for e in seen("alert_suppressed") if e["reason"] == "snoozed"]
    # The snooze held the next alert back, and said so; the one after it buzzed again.
    assert alert["ts"] < snoozed[0]["ts"] < snooze_end <= after_snooze["ts"]  # type: ignore[operator]
    assert snoozed[0]["what"] == "alert"  # ... and said so
    assert snoozed[0]["kind"] == "forward_lean"
    [answered] = seen("prompt_answered")
    assert (answered["prompt_id"], answered["answer"]) == (prompt["prompt_id"], "done")
    assert answered["move_id"] == prompt["move_id"]
    by_id = {r["id"]: r for r in replies}
    assert by_id["s"]["ok"] is True
    assert by_id["a"]["ok"] is True
    assert by_id["t"]["ok"] is True
    assert by_id["t"]["result"] == {"mode": "tracking"}
    assert by_id["x"]["ok"] is False
    assert by_id["x"]["error"]["code"] == "bad_type"  # type: ignore[index]
    assert "alerts.mode" in by_id["x"]["error"]["message"]  # type: ignore[index]
    assert (tmp_path / "alerts-alice.json").exists()  # the policy's state survives the run


class _Replies:
    """A publisher that keeps the replies (no broker: the command path is pure)."""

    def __init__(self) -> None:
        self.replies: list[dict[str, object]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        raise AssertionError(f"nothing is published here, got {topic}")

    def reply(
        self, request: InboundMessage, payload: bytes, *, reply_topic: str, qos: int = 1
    ) -> None:
        self.replies.append(json.loads(payload))

    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None:
        raise AssertionError("not started")


def test_set_alerts_applies_all_settings_or_none() -> None:
    topics = Topics("alice")
    policy = AlertPolicy(AlertConfig(prompt_at_level=2))
    hub = cast("SensorHub", SimpleNamespace(links={}, processors={}, latest={}))
    alerts = cast("AlertService", SimpleNamespace(policy=policy))
    client = _Replies()
    on = HubBridge(hub, client, topics, alerts=alerts, clock=lambda: 1e9)
    off = HubBridge(hub, client, topics, alerts=None, clock=lambda: 1e9)

    def send(bridge: HubBridge, settings: dict[str, object]) -> dict[str, object]:
        body = {"command": "set_alerts", "settings": settings}
        bridge._on_command(InboundMessage(topics.command, json.dumps(body).encode(), 1, False))
        return client.replies[-1]

    ok = send(on, {"quiet_hours": "off", "max_alerts_per_hour": 3, "long_static_s": "off"})
    assert ok["ok"] is True
    assert ok["result"] == {"long_static_s": None, "max_alerts_per_hour": 3, "quiet_hours": "off"}
    assert policy.config.max_alerts_per_hour == 3
    assert policy.config.quiet_hours is None
    before = policy.config
    for settings, code in (
        ({"max_alerts_per_hour": 500, "mode": "tracking"}, "out_of_range"),
        ({"mode": "tracking", "repeat_after_s": "soon"}, "bad_type"),
        ({"quiet_hours": 2200}, "bad_type"),
        ({"max_alerts_per_hour": "500"}, "out_of_range"),  # numbers may be strings
        ({"max_escalations": 0, "prompt_at_level": 1}, "out_of_range"),  # in conflict
        ({"max_escalations": 1}, "out_of_range"),  # ... with prompt_at_level left at 2
    ):
        refused = send(on, settings)
        assert refused["ok"] is False
        assert refused["error"]["code"] == code  # type: ignore[index]
        assert policy.config == before  # nothing applied
    error = send(on, {"max_alerts_per_hour": 0})["error"]
    assert "alerts.max_alerts_per_hour" in error["message"]  # type: ignore[index]
    assert send(off, {"mode": "tracking"})["error"] == {
        "code": "failed",
        "message": "alerts are off",
    }
