#!/usr/bin/env python3
"""The MQTT pipeline end to end: detector event -> MQTT subscriber latency, and recorder ingest.

Starts its own mosquitto (Debian's ``mosquitto`` binary, ``set_tcp_nodelay true``) on a free
loopback port (the helper of ``bench_mqtt.py``), then:

- **Latency, event -> delivery**: a :class:`~sensor_hub.ble.hub.SensorHub` (not started: no
  radio) with a :class:`~sensor_hub.service.bridge.HubBridge` on its event loop; ``M`` episode
  events (:class:`~sensor_hub.ble.hub.EpisodeUpdate`) are emitted through the hub's own emission
  path, one every 2 ms, each stamped with ``perf_counter_ns`` at emission; a plain paho
  subscriber in the same process stamps its arrival on the events topic.  The bridge builds the
  message, its payload and a forced state message, and publishes through the paho adapter,
  either direct or through the disk outbox with an availability topic (what the hub runs).
  Reference: raw ``paho.Client.publish`` of the same pre-built payload bytes, QoS 1, same pace.
- **Recorder ingest, MQTT -> SQLite**: ``N`` telemetry messages (one point, six fields each)
  published at QoS 1 by raw paho as fast as it goes; timed from the first publish until the
  :class:`~sensor_hub.recorder.service.Recorder` has written them all into a
  :class:`~sensor_hub.recorder.sqlite_store.SqliteStore`.  Next to it: the same points written
  by ``SqliteStore.write`` alone, one message per call (what the recorder does) and in batches
  of 1,000; and the delivery ceiling, raw paho publisher -> raw paho subscriber doing nothing.

Run: ``python bench/bench_pipeline_mqtt.py [--latency-messages M] [--messages N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np
import paho.mqtt.client as paho
from _timing import best_seconds
from bench_mqtt import HOST, mosquitto

from sensor_hub.ble.hub import EpisodeUpdate, SensorHub, SensorSpec
from sensor_hub.ble.link import SensorTarget
from sensor_hub.mqtt.client import Availability, MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from sensor_hub.mqtt.messages import Telemetry
from sensor_hub.mqtt.payloads import decode_message, encode, telemetry_payload
from sensor_hub.mqtt.sampling import episode_message
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Activity, Band, CalibrationStatus, Role
from sensor_hub.processing.detector import Episode, EpisodeEvent, Phase
from sensor_hub.recorder.point import Point
from sensor_hub.recorder.service import Recorder
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.schema import points_for
from sensor_hub.service.bridge import BridgeConfig, HubBridge

WEARER = "alice"
TOPICS = Topics(WEARER)
T0 = 1_764_000_000.0
PERIOD_S = 0.002


def episode_event(k: int) -> EpisodeEvent:
    """The k-th event: its ``time_s`` (ms resolution on the wire) identifies it."""
    phase = (Phase.STARTED, Phase.ALERTED, Phase.ENDED)[k % 3]
    start = T0 + k * 0.001 - 20.0
    episode = Episode(
        kind="forward_lean",
        start_s=start,
        alert_s=None if phase is Phase.STARTED else start + 10.0,
        end_s=start + 18.0 if phase is Phase.ENDED else None,
        peak_deg=31.25,
        mean_deg=24.5,
    )
    return EpisodeEvent(phase, T0 + k * 0.001, episode)


def index_of(payload: bytes) -> int:
    return round((json.loads(payload)["ts"] - T0) * 1000)


class Arrivals:
    """A paho subscriber on one topic that stamps each message's arrival."""

    def __init__(self, port: int, topic: str, expected: int) -> None:
        self.at: dict[int, int] = {}
        self.expected = expected
        self.done = threading.Event()
        subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.connect(HOST, port)
        self.client.loop_start()
        self.client.subscribe(topic, 1)
        if not subscribed.wait(10):
            raise RuntimeError("subscriber: no SUBACK")

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        self.at[index_of(msg.payload)] = time.perf_counter_ns()
        if len(self.at) >= self.expected:
            self.done.set()

    def latency_ms(self, sent_at: list[int]) -> np.ndarray:
        if not self.done.wait(60):
            raise RuntimeError(f"only {len(self.at)} of {self.expected} delivered")
        return np.array([(self.at[k] - t) / 1e6 for k, t in enumerate(sent_at)])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def bridge_latency(port: int, m: int, outbox: Path | None) -> np.ndarray:
    """Hub emits an EpisodeUpdate -> bridge -> adapter -> mosquitto -> subscriber, in ms."""
    if outbox is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{outbox}{suffix}").unlink(missing_ok=True)
    config = MqttConfig(
        url=f"mqtt://{HOST}:{port}",
        client_id="bench-hub",
        protocol=MqttProtocol.V5,
        clean_start=True,
        outbox_path=outbox,
    )
    availability = Availability(TOPICS.availability) if outbox is not None else None
    client = MqttClient(config, availability=availability)
    client.start()
    if not client.wait_connected(10):
        raise RuntimeError("adapter did not connect")
    hub = SensorHub([SensorSpec(SensorTarget(name="OPS-BENCH"))])  # never started: no radio
    arrivals = Arrivals(port, TOPICS.events, m)
    sent_at: list[int] = []

    async def emit() -> None:
        bridge = HubBridge(
            hub, client, TOPICS, BridgeConfig(state_interval_s=3600.0, discovery_prefix=None)
        )
        bridge.start()
        try:
            for k in range(m):
                update = EpisodeUpdate(Role.LUMBAR, "OPS-BENCH", episode_event(k))
                sent_at.append(time.perf_counter_ns())
                hub._emit(update)
                await asyncio.sleep(PERIOD_S)
            await asyncio.to_thread(arrivals.done.wait, 60)
        finally:
            await bridge.stop()

    try:
        asyncio.run(emit())
        return arrivals.latency_ms(sent_at)
    finally:
        arrivals.close()
        client.stop()


def raw_latency(port: int, m: int) -> np.ndarray:
    """Reference: raw paho publish of the same payload bytes -> subscriber, in ms."""
    payloads = [encode(episode_message(WEARER, Role.LUMBAR, episode_event(k))) for k in range(m)]
    raw = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-raw", protocol=paho.MQTTv5)
    raw.connect(HOST, port)
    raw.loop_start()
    arrivals = Arrivals(port, TOPICS.events, m)
    sent_at: list[int] = []
    try:
        for payload in payloads:
            sent_at.append(time.perf_counter_ns())
            raw.publish(TOPICS.events, payload, 1)
            time.sleep(PERIOD_S)
        return arrivals.latency_ms(sent_at)
    finally:
        arrivals.close()
        raw.disconnect()
        raw.loop_stop()


# -- recorder ingest ------------------------------------------------------------------------------


def telemetry_payloads(n: int) -> list[bytes]:
    return [
        telemetry_payload(
            Telemetry(
                wearer=WEARER,
                sensor=Role.LUMBAR,
                ts_s=T0 + 0.2 * i,
                flexion_deg=float(i % 40) + 0.25,
                lateral_deg=-1.5,
                relative_flexion_deg=3.5,
                activity=Activity.UPRIGHT,
                band=Band.MILD,
                calibration=CalibrationStatus.OK,
            )
        )
        for i in range(n)
    ]


def publish_all(port: int, payloads: list[bytes]) -> None:
    """Raw paho, QoS 1, max in-flight 100, as fast as it goes; returns when all are PUBACKed."""
    done = threading.Semaphore(0)
    pub = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-pub", protocol=paho.MQTTv5)
    pub.max_inflight_messages_set(100)
    pub.on_publish = lambda *_a: done.release()
    pub.connect(HOST, port)
    pub.loop_start()
    try:
        topic = TOPICS.telemetry(Role.LUMBAR)
        for payload in payloads:
            pub.publish(topic, payload, 1)
        for _ in payloads:
            done.acquire()
    finally:
        pub.disconnect()
        pub.loop_stop()


def timed_delivery(port: int, payloads: list[bytes], received: Callable[[], int]) -> float:
    """Seconds from the first publish until ``received()`` reaches ``len(payloads)``."""
    start = time.perf_counter()
    publisher = threading.Thread(target=publish_all, args=(port, payloads))
    publisher.start()
    deadline = time.monotonic() + 300
    while received() < len(payloads):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {received()} of {len(payloads)} arrived")
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    publisher.join()
    return elapsed


def recorder_run(port: int, payloads: list[bytes], path: Path, run: int) -> float:
    store = SqliteStore(path, retention_days=None)
    client = MqttClient(
        MqttConfig(url=f"mqtt://{HOST}:{port}", client_id=f"bench-rec-{run}", clean_start=True)
    )
    recorder = Recorder(client, [store])
    recorder.start()
    client.start()
    try:
        if not client.wait_subscribed(10):
            raise RuntimeError("recorder did not subscribe")
        return timed_delivery(port, payloads, lambda: recorder.stats.points)
    finally:
        client.stop()
        recorder.close()


def null_subscriber_run(port: int, payloads: list[bytes]) -> float:
    count = [0]
    lock = threading.Lock()

    def on_message(*_a: object) -> None:
        with lock:
            count[0] += 1

    subscribed = threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-null", protocol=paho.MQTTv5)
    sub.on_message = on_message
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect(HOST, port)
    sub.loop_start()
    try:
        sub.subscribe("posture/v1/+/#", 1)
        subscribed.wait(10)
        return timed_delivery(port, payloads, lambda: count[0])
    finally:
        sub.disconnect()
        sub.loop_stop()


def store_only(path: Path, points: list[Point], batch: int) -> None:
    with SqliteStore(path, retention_days=None) as store:
        for k in range(0, len(points), batch):
            store.write(points[k : k + batch])


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-messages", type=int, default=2_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    m, n = args.latency_messages, args.messages
    with tempfile.TemporaryDirectory() as tmp, mosquitto(Path(tmp)) as port:
        print(f"# MQTT pipeline benchmark: mosquitto on loopback, Python "
              f"{platform.python_version()}, paho-mqtt {version('paho-mqtt')}")  # fmt: skip
        print(f"\n# detector event -> MQTT delivery, QoS 1, {m} events at {1 / PERIOD_S:.0f}/s")
        print(f"{'path':44} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        latency = {
            "raw paho, same payload (reference)": raw_latency(port, m),
            "hub -> bridge -> adapter, direct": bridge_latency(port, m, None),
            "hub -> bridge -> adapter, outbox (SQLite)": bridge_latency(
                port, m, Path(tmp) / "outbox.db"
            ),
        }
        for name, values in latency.items():
            p50, p99 = np.percentile(values, [50, 99])
            print(f"{name:44} {p50:8.2f} {p99:8.2f} {values.max():8.2f}")

        payloads = telemetry_payloads(n)
        topic = TOPICS.telemetry(Role.LUMBAR)
        points = [p for payload in payloads for p in points_for(decode_message(topic, payload))]
        values = sum(len(p.fields) for p in points)
        print(f"\n# recorder ingest: {n} telemetry messages (1 point, {values // n} fields each)")
        print(f"{'path':44} {'points/s':>10} {'vs store':>9}")
        db = Path(tmp) / "store.sqlite"
        runs = iter(range(1000))
        rates = {
            "SqliteStore.write, 1 message per call": n
            / best_seconds(lambda: store_only(fresh(db), points, 1), args.repeats),
            "SqliteStore.write, batches of 1,000": n
            / best_seconds(lambda: store_only(fresh(db), points, 1000), args.repeats),
        }
        ref = rates["SqliteStore.write, 1 message per call"]
        rates["MQTT -> Recorder -> SqliteStore"] = n / min(
            recorder_run(port, payloads, fresh(db), next(runs)) for _ in range(args.repeats)
        )
        rates["MQTT -> null subscriber (ceiling)"] = n / min(
            null_subscriber_run(port, payloads) for _ in range(args.repeats)
        )
        for name, rate in rates.items():
            print(f"{name:44} {rate:10,.0f} {rate / ref:8.2f}x")


if __name__ == "__main__":
    main()
