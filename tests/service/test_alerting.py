"""Alerts end to end: a slouching wearer replayed from a virtual sensor through bleak, the hub,
the alert policy and the bridge on a real mosquitto.  The first alert buzzes the sensor and
comes with a move prompt; a snooze sent over MQTT silences the next alert (still reported as an
event); the wearer's answer to the prompt is accepted."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import jsonschema
import paho.mqtt.client as paho

from sensor_hub.alerts import AlertConfig
from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.hub import SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, SensorTarget
from sensor_hub.mqtt import load_schema
from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.topics import Topics
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
                async with hub_on_mqtt(hub, settings), hub:
                    await until(lambda: bool(seen("prompt")))
                    await sensor.wait_for(lambda: len(sensor.firmware.haptics) == 1, timeout=10)
                    prompt = seen("prompt")[0]
                    watcher.publish(
                        topics.command,
                        json.dumps({"v": 1, "command": "snooze", "duration_s": 600, "id": "s"}),
                        qos=1,
                    )
                    await until(lambda: any(r.get("id") == "s" for r in replies))
                    await until(lambda: len(seen("episode_alerted")) >= 2)
                    await asyncio.sleep(0.5)  # a buzz would have been sent by now
                    assert len(sensor.firmware.haptics) == 1  # snoozed: no second buzz
                    answer = {"v": 1, "command": "prompt_ack", "id": "a"}
                    answer |= {"prompt_id": prompt["prompt_id"], "answer": "done"}
                    watcher.publish(topics.command, json.dumps(answer), qos=1)
                    await until(lambda: any(r.get("id") == "a" for r in replies))
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
    by_id = {r["id"]: r for r in replies}
    assert by_id["s"]["ok"] is True
    assert by_id["a"]["ok"] is True
    assert (tmp_path / "alerts-alice.json").exists()  # the policy's state survives the run
