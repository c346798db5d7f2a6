"""A recorded day for the dashboard's tests: a simulated office day run offline through the
processing core and the MQTT layer's message builders, written to a real SQLite store with the
schema's points (as ``posture-hub record`` would have written it)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import sleep
from time import time as time_s
from typing import Any

import numpy as np
import paho.mqtt.client as paho
import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright import sync_api

from sensor_hub.mqtt.client import InboundMessage
from sensor_hub.mqtt.commands import ok_reply, parse_command
from sensor_hub.mqtt.messages import (
    EpisodeMessage,
    EventMessage,
    Message,
    PostureState,
    PromptMessage,
    SensorState,
    Telemetry,
)
from sensor_hub.mqtt.payloads import (
    availability_payload,
    event_payload,
    state_payload,
    telemetry_payload,
)
from sensor_hub.mqtt.sampling import DecimatorState, episode_message, telemetry_samples
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import (
    Activity,
    Band,
    CalibrationStatus,
    Phase,
    PostureProcessor,
    Role,
)
from sensor_hub.processing.bands import band_of
from sensor_hub.processing.calibration import ForwardAxis
from sensor_hub.recorder.point import Point
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.samples import SampleBlock
from sensor_hub.schema import Measurement, points_for
from sensor_hub.simulate import simulate
from sensor_hub.web import DashboardServer
from sensor_hub.web.app import create_app
from sensor_hub.web.history import History
from sensor_hub.web.live import LiveFeed

WEARER = "alice"
DAY = date(2026, 11, 20)
DAY_START_S = datetime.combine(DAY, time(9, 0), UTC).timestamp()  # the day starts at 09:00
SIM_MINUTES = 20.0
_CHUNK = 500


@dataclass(frozen=True)
class RecordedDay:
    store_path: Path
    telemetry: list[Telemetry]
    episodes: list[EpisodeMessage]
    prompts: list[PromptMessage]
    answers: list[str]  # the adherence answers written, in prompt order


def _messages() -> tuple[list[Telemetry], list[EpisodeMessage]]:
    block = simulate("office_day", seed=3, duration_min=SIM_MINUTES).block
    shifted = SampleBlock(block.timestamp_s + DAY_START_S, block.acc_mps2, block.gyr_rads)
    processor = PostureProcessor()
    state = DecimatorState()
    telemetry: list[Telemetry] = []
    episodes: list[EpisodeMessage] = []
    for start in range(0, len(shifted), _CHUNK):
        out = processor.process(shifted.slice(start, start + _CHUNK))
        samples, state = telemetry_samples(WEARER, Role.LUMBAR, out, state)
        telemetry += samples
        episodes += [episode_message(WEARER, Role.LUMBAR, e) for e in out.events]
    episodes += [episode_message(WEARER, Role.LUMBAR, e) for e in processor.finish()]
    return telemetry, episodes


def _prompt(episode: EpisodeMessage, n: int) -> PromptMessage:
    return PromptMessage(
        wearer=WEARER,
        ts_s=episode.ts_s + 0.5,
        prompt_id=f"p-{n}",
        move_id="seated_knee_hug",
        reason="lean_sitting",
        sensor=Role.LUMBAR,
        detail={"name": "Seated knee hug", "why": "You leaned forward.", "steps": "Hug.\nHold."},
    )


@pytest.fixture(scope="session")
def recorded_day(tmp_path_factory: pytest.TempPathFactory) -> RecordedDay:
    telemetry, episodes = _messages()
    alerted = [e for e in episodes if e.phase is Phase.ALERTED]
    prompts = [_prompt(e, n) for n, e in enumerate(alerted)]
    answers = ["done", "skip"][: len(prompts)]
    # the previous day: the first five minutes again, for the trend
    earlier = [
        Telemetry(
            WEARER,
            t.sensor,
            t.ts_s - 86_400.0,
            t.flexion_deg,
            t.lateral_deg,
            t.activity,
            t.band,
            t.calibration,
        )
        for t in telemetry[: 5 * 60 * 5]
    ]
    path = tmp_path_factory.mktemp("store") / "posture.sqlite"
    messages: list[Message] = [*telemetry, *episodes, *prompts, *earlier]
    with SqliteStore(path, retention_days=None) as store:
        store.write(p for m in messages for p in points_for(m))
        store.write(
            Point(
                Measurement.ADHERENCE.value,
                {"wearer": WEARER, "move": p.move_id},
                {"answer": ["done", "skip", "snooze"].index(a), "response_s": 12.0},
                round((p.ts_s + 12.0) * 1000) * 1_000_000,
            )
            for p, a in zip(prompts, answers, strict=False)
        )
    return RecordedDay(path, telemetry, episodes, prompts, answers)


class FakeClient:
    """Stands in for the MQTT adapter in API tests (the live path is tested on mosquitto)."""

    def __init__(self, topics: Topics) -> None:
        self.connected = True
        self.published: list[tuple[str, bytes, int]] = []
        self.topics = topics
        self.hub_answers = True
        self.live: LiveFeed | None = None

    def subscribe(self, *_args: object) -> None:
        pass

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        self.published.append((topic, payload, qos))
        if self.hub_answers and self.live is not None:  # answer as the hub would
            reply = ok_reply(WEARER, 1.0, parse_command(payload))
            message = InboundMessage(self.topics.reply, reply, 1, False)
            asyncio.get_running_loop().call_soon(self.live.on_message, message)


def run_async(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 60))


@dataclass
class Api:
    client: TestClient[Any, Any]
    mqtt: FakeClient
    live: LiveFeed


def api_client(
    store_path: Path, *, token: str | None = None
) -> Callable[[], Coroutine[Any, Any, Api]]:
    """An aiohttp test client of the dashboard app on ``store_path`` (call inside a loop)."""

    async def make() -> Api:
        mqtt = FakeClient(Topics(WEARER))
        live = LiveFeed(mqtt, Topics(WEARER), reply_wait_s=0.3)  # type: ignore[arg-type]
        mqtt.live = live
        app = create_app(
            live=live, history=History(store_path, UTC), tz=UTC, broker="test", token=token
        )
        client: TestClient[Any, Any] = TestClient(TestServer(app))
        await client.start_server()
        return Api(client, mqtt, live)

    return make


@pytest.fixture
def shares_by_count(recorded_day: RecordedDay) -> dict[str, float]:
    """Band shares of the day's upright telemetry, by sample count (the rate is fixed)."""
    upright = [t for t in recorded_day.telemetry if t.activity.label == "upright"]
    bands = np.array([t.band.label for t in upright])
    return {label: float(np.mean(bands == label)) for label in set(bands.tolist())}


class HubStandIn:
    """A hub on a real broker, as far as the dashboard can tell: it publishes the wearer's
    availability, state and telemetry (a slow sway through the bands, 10 Hz) with the payload
    builders, publishes events on demand, records every command and answers it."""

    def __init__(self, broker_url: str, topics: Topics) -> None:
        self.topics = topics
        self.commands: list[dict[str, object]] = []
        self._forward: tuple[ForwardAxis, float] | None = None  # None: an older hub's state
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="hub-stand-in")
        self._client.will_set(topics.availability, availability_payload(False), 1, True)
        self._client.on_message = self._on_command
        host, port = broker_url.removeprefix("mqtt://").split(":")
        self._client.connect(host, int(port))
        self._client.subscribe(topics.command, 1)
        self._client.loop_start()
        self._thread = threading.Thread(target=self._stream, daemon=True)

    def start(self) -> None:
        self._client.publish(self.topics.availability, availability_payload(True), 1, True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._client.loop_stop()
        self._client.disconnect()

    def publish_event(self, message: EventMessage) -> None:
        self._client.publish(self.topics.events, event_payload(message), 1).wait_for_publish(5)

    def set_forward_axis(self, axis: ForwardAxis, mount_yaw_deg: float) -> None:
        """From the next state on, say where the forward axis comes from."""
        with self._lock:
            self._forward = (axis, mount_yaw_deg)

    def commands_named(self, name: str) -> list[dict[str, object]]:
        with self._lock:
            return [c for c in self.commands if c.get("command") == name]

    def _on_command(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        command = parse_command(msg.payload)
        with self._lock:
            self.commands.append(json.loads(msg.payload))
        self._client.publish(self.topics.reply, ok_reply(WEARER, time_s(), command), 1)

    def _stream(self) -> None:
        n = 0
        while not self._stop.wait(0.1):
            now = time_s()
            flexion = 15.0 + 20.0 * math.sin(now / 3.0)
            band = Band(int(band_of(np.array([flexion]))[0]))
            telemetry = Telemetry(
                WEARER,
                Role.LUMBAR,
                now,
                flexion,
                1.0,
                Activity.UPRIGHT,
                band,
                CalibrationStatus.OK,
            )
            self._client.publish(
                self.topics.telemetry(Role.LUMBAR), telemetry_payload(telemetry), 1
            )
            if n % 10 == 0:
                with self._lock:
                    forward = self._forward
                state = SensorState(
                    WEARER,
                    Role.LUMBAR,
                    now,
                    PostureState.UPRIGHT,
                    True,
                    flexion_deg=flexion,
                    activity=Activity.UPRIGHT,
                    band=band,
                    calibration=CalibrationStatus.OK,
                    battery_pct=87,
                    data_age_s=0.05,
                    forward_axis=None if forward is None else forward[0],
                    mount_yaw_deg=None if forward is None else forward[1],
                )
                self._client.publish(self.topics.state(Role.LUMBAR), state_payload(state), 1, True)
            n += 1


@contextmanager
def serving(server: DashboardServer) -> Iterator[str]:
    """Run ``server`` in an event loop of its own thread (the test's thread stays free for a
    synchronous browser driver); yields its URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="dashboard", daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(server.start(), loop).result(30)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def wait_until(condition: Callable[[], object], timeout_s: float = 10.0) -> None:
    deadline = time_s() + timeout_s
    while not condition():
        assert time_s() < deadline, "timed out"
        sleep(0.05)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Playwright and Debian's chromium (skipped locally, a failure under CI, when missing)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (scripts/test installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
