#!/usr/bin/env python3
"""MQTT publish rate and publish-to-delivery latency of our adapter, next to raw paho-mqtt.

Starts its own mosquitto (Debian's ``mosquitto`` binary) on a free loopback port, then for
QoS 0 (telemetry) and QoS 1 (events/state):

- ``raw paho``: ``paho.Client.publish`` in a loop, MQTT 5, max in-flight 20 (the reference);
- ``adapter, direct``: :class:`~sensor_hub.mqtt.client.MqttClient` without an outbox;
- ``adapter, outbox``: every message through the SQLite outbox (WAL), with an availability
  topic, so QoS 0 rows are deleted only once a later PUBACK confirms them.

Rate: N messages of ~200 bytes, from the first ``publish`` until every message is done
(QoS 0 written, QoS 1 acknowledged: ``flush``), best of several runs.  Latency: one message
every 2 ms, stamped with ``perf_counter_ns`` and received by a plain paho subscriber in the
same process; p50/p99 of publish -> delivery.  mosquitto runs with ``set_tcp_nodelay true``:
with its default (Nagle on) the p99 of every publisher, raw paho included, is ~30 ms of TCP
delayed-ACK stalls, which says nothing about the client.

Run: ``python bench/bench_mqtt.py [--messages N] [--repeats R] [--latency-messages M]``.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import numpy as np
import paho.mqtt.client as paho

from sensor_hub.mqtt.client import Availability, MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol

HOST = "127.0.0.1"
PAYLOAD = b'{"v":1,"ts":1764000000.123,"wearer":"alice","sensor":"lumbar",' + b"x" * 130 + b"}"


@contextlib.contextmanager
def mosquitto(workdir: Path) -> Iterator[int]:
    program = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = int(sock.getsockname()[1])
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\nmax_queued_messages 1000000\n"
        "log_dest none\nset_tcp_nodelay true\n"
    )
    proc = subprocess.Popen([program, "-c", str(conf)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def raw_paho_run(port: int, n: int, qos: int) -> float:
    done = threading.Semaphore(0)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-raw", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(20)
    client.on_publish = lambda *_a: done.release()
    client.connect(HOST, port)
    client.loop_start()
    try:
        start = time.perf_counter()
        for _ in range(n):
            client.publish("bench/raw", PAYLOAD, qos)
        for _ in range(n):
            done.acquire()
        return time.perf_counter() - start
    finally:
        client.disconnect()
        client.loop_stop()


def adapter_run(port: int, n: int, qos: int, outbox: Path | None) -> float:
    if outbox is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{outbox}{suffix}").unlink(missing_ok=True)
    cfg = MqttConfig(
        url=f"mqtt://{HOST}:{port}",
        client_id="bench-adapter",
        protocol=MqttProtocol.V5,
        outbox_path=outbox,
        outbox_max_messages=max(n * 2, 100_000),
        clean_start=True,
    )
    availability = Availability("bench/availability") if outbox is not None else None
    with MqttClient(cfg, availability=availability) as client:
        if not client.wait_connected(10):
            raise RuntimeError("adapter did not connect")
        start = time.perf_counter()
        for _ in range(n):
            client.publish("bench/adapter", PAYLOAD, qos)
        if not client.flush(120):
            raise RuntimeError("adapter did not flush")
        return time.perf_counter() - start


def best(fn: Callable[[], float], repeats: int) -> float:
    return min(fn() for _ in range(repeats))


def latency_ms(port: int, publish: Callable[[bytes], None], m: int) -> np.ndarray:
    """publish -> delivery latency of ``m`` messages sent every 2 ms, in ms."""
    got: list[float] = []
    all_in = threading.Event()
    subscribed = threading.Event()

    def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        got.append((time.perf_counter_ns() - int(msg.payload[:20])) / 1e6)
        if len(got) >= m:
            all_in.set()

    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-sub", protocol=paho.MQTTv5)
    sub.on_message = on_message
    sub.on_subscribe = lambda *_a: subscribed.set()
    sub.connect(HOST, port)
    sub.loop_start()
    try:
        sub.subscribe("bench/lat", 1)
        subscribed.wait(10)
        for _ in range(m):
            publish(b"%020d" % time.perf_counter_ns() + PAYLOAD)
            time.sleep(0.002)
        if not all_in.wait(60):
            raise RuntimeError(f"only {len(got)} of {m} delivered")
    finally:
        sub.disconnect()
        sub.loop_stop()
    return np.array(got)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-messages", type=int, default=2_000)
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp, mosquitto(Path(tmp)) as port:
        outbox = Path(tmp) / "outbox.db"
        print(f"# MQTT benchmark: {n} messages of {len(PAYLOAD)} bytes to mosquitto on loopback, "
              f"Python {platform.python_version()}, paho-mqtt {version('paho-mqtt')}")  # fmt: skip
        print(f"{'publisher':28} {'QoS':>3} {'msgs/s':>10} {'vs raw paho':>12}")
        for qos in (0, 1):
            rates = {
                "raw paho": n / best(lambda q=qos: raw_paho_run(port, n, q), args.repeats),
                "adapter, direct": n
                / best(lambda q=qos: adapter_run(port, n, q, None), args.repeats),
                "adapter, outbox (SQLite)": n
                / best(lambda q=qos: adapter_run(port, n, q, outbox), args.repeats),
            }
            ref = rates["raw paho"]
            for name, rate in rates.items():
                print(f"{name:28} {qos:3d} {rate:10,.0f} {rate / ref:11.2f}x")

        m = args.latency_messages
        print(f"\n# publish -> delivery latency, QoS 1, {m} messages at 500/s")
        print(f"{'publisher':28} {'p50 ms':>8} {'p99 ms':>8}")
        raw = paho.Client(paho.CallbackAPIVersion.VERSION2, "bench-lat-raw", protocol=paho.MQTTv5)
        raw.connect(HOST, port)
        raw.loop_start()
        try:
            lat = {"raw paho": latency_ms(port, lambda p: raw.publish("bench/lat", p, 1), m)}
        finally:
            raw.disconnect()
            raw.loop_stop()
        for name, box in (("adapter, direct", None), ("adapter, outbox (SQLite)", outbox)):
            if box is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{box}{suffix}").unlink(missing_ok=True)
            cfg = MqttConfig(url=f"mqtt://{HOST}:{port}", client_id="bench-lat", outbox_path=box)
            with MqttClient(cfg) as client:
                client.wait_connected(10)
                lat[name] = latency_ms(port, lambda p, c=client: c.publish("bench/lat", p, 1), m)
        for name, values in lat.items():
            p50, p99 = np.percentile(values, [50, 99])
            print(f"{name:28} {p50:8.2f} {p99:8.2f}")


if __name__ == "__main__":
    main()
