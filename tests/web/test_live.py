"""The live path without a browser: a hub stand-in on a real mosquitto, the dashboard server,
and a WebSocket client: the snapshot, live updates, a command that reaches the hub and its
reply; a busy port is replaced by a free one."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC

import aiohttp

from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.messages import PromptMessage
from sensor_hub.mqtt.topics import Topics
from sensor_hub.web import DashboardServer
from tests.servers.mosquitto import Mosquitto
from tests.web.conftest import WEARER, HubStandIn, RecordedDay, run_async


def test_live_updates_and_commands_through_a_real_broker(
    mosquitto: Mosquitto, recorded_day: RecordedDay
) -> None:
    topics = Topics(WEARER)
    hub = HubStandIn(mosquitto.url, topics)
    hub.start()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]

    async def body() -> None:
        server = DashboardServer(
            store_path=recorded_day.store_path,
            mqtt=MqttConfig(url=mosquitto.url),
            topics=topics,
            port=taken,
            tz=UTC,
        )
        url = await server.start()
        try:
            assert server.port != taken
            assert url == f"http://127.0.0.1:{server.port}/"
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"{url}api/ws") as ws:
                    kinds: set[str] = set()
                    snapshot = json.loads(await ws.receive_str(timeout=10))
                    assert snapshot["type"] == "snapshot"
                    assert snapshot["wearer"] == WEARER
                    while not {"telemetry", "state"} <= kinds:
                        kinds.add(json.loads(await ws.receive_str(timeout=10))["type"])
                    prompt = PromptMessage(WEARER, 1.0, "p-9", "glute_bridge", "lean_sitting")
                    await asyncio.to_thread(hub.publish_event, prompt)
                    while True:
                        update = json.loads(await ws.receive_str(timeout=10))
                        if update["type"] == "event":
                            assert update["data"]["prompt_id"] == "p-9"
                            break
                async with session.get(f"{url}api/live") as response:
                    live = await response.json()
                    assert live["online"] is True
                    assert live["states"]["lumbar"]["battery_pct"] == 87
                    assert live["prompt"]["prompt_id"] == "p-9"
                    assert len(live["telemetry"]["lumbar"]) > 0
                command = {"command": "snooze", "duration_s": 600}
                async with session.post(f"{url}api/command", json=command) as response:
                    result = await response.json()
            assert result["reply"]["ok"] is True
            assert result["reply"]["command"] == "snooze"
            [sent] = hub.commands_named("snooze")
            assert sent["duration_s"] == 600
            assert sent["id"] == result["id"]
        finally:
            await server.stop()

    try:
        run_async(body)
    finally:
        hub.stop()
        busy.close()
