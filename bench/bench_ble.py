#!/usr/bin/env python3
"""The hub's BLE path end to end, next to the decoder alone, in the same run.

Run: ``python bench/bench_ble.py [--minutes M] [--speed X]``.  A virtual sensor replays a
simulated wearer (100 Hz, ATT_MTU 247: 11 samples per notification) as fast as it can over
Bumble's in-process link; the hub's :class:`~sensor_hub.ble.hub.SensorHub` (bleak API, one
SensorLink, one PostureProcessor) receives it.  Everything runs in one process on one core,
so the figures include the virtual sensor's and Bumble's own cost: the hub alone does better.

- **latency**: from the moment the link's notification callback reads the host clock to the
  end of ``PostureProcessor.process`` for that block (decode → SampleBlock → core), p50/p99;
- **throughput**: notifications/s (and samples/s) the whole process sustained, and the CPU
  seconds it used;
- **reference**: ``firmware_protocol.StreamDecoder.feed`` alone over the same packets.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time

import numpy as np
from _timing import best_seconds

from firmware_protocol import StreamDecoder, encode_imu_block
from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.hub import PostureUpdate, SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, SensorTarget
from sensor_hub.samples import SampleBlock
from sensor_hub.simulate import simulate
from sensor_hub.virtual import AdvertisingTiming, VirtualSensor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0, help="of simulated wearer")
    parser.add_argument("--speed", type=float, default=20000.0, help="replay speed")
    args = parser.parse_args()
    block = simulate("office_day", seed=1, duration_min=args.minutes, imu_errors=False).block
    figures = asyncio.run(_hub_run(block, args.speed))
    packets = figures.pop("packets")
    decoder_s = best_seconds(lambda: _decode_all(packets), 3)
    n = len(packets)
    samples = 11 * n
    print(f"python {platform.python_version()} on {platform.machine()}, {len(block)} samples")
    print(
        f"hub end to end: {figures['notifications']:.0f} notifications, "
        f"{figures['notif_per_s']:.0f} notifications/s ({figures['samples_per_s']:.0f} samples/s), "
        f"CPU {figures['cpu_s']:.2f} s, stream {figures['wall_s']:.2f} s wall"
    )
    print(
        f"  notification -> decoded -> core latency: p50 {figures['p50_ms']:.3f} ms, "
        f"p99 {figures['p99_ms']:.3f} ms, max {figures['max_ms']:.3f} ms"
    )
    print(
        f"reference, StreamDecoder.feed alone: {n / decoder_s:.0f} notifications/s "
        f"({samples / decoder_s:.0f} samples/s), {decoder_s / n * 1e6:.1f} us each"
    )


async def _hub_run(block: SampleBlock, speed: float) -> dict[str, object]:
    latencies: list[float] = []
    window: list[tuple[float, int]] = []
    arrival = [0.0]

    def clock() -> float:
        arrival[0] = time.perf_counter()
        return arrival[0]

    async with VirtualAir() as air:
        sensor = VirtualSensor(block, speed=speed, advertising=AdvertisingTiming(20, 20))
        await sensor.start(air)
        hub = SensorHub(
            [SensorSpec(SensorTarget(name=sensor.name))],
            transport=BleTransport(scanner_backend(air), client_backend(air)),
            clock=clock,
        )

        def on_output(output: object) -> None:
            if isinstance(output, PostureUpdate):
                now = time.perf_counter()
                latencies.append(now - arrival[0])
                window.append((now, len(output.block)))

        hub.add_listener(on_output)
        async with hub:
            await hub.wait_connected(10.0)
            cpu0 = time.process_time()
            await sensor.wait_for(lambda: sensor.replay_finished, timeout=600.0)
            await asyncio.sleep(0.05)
            cpu = time.process_time() - cpu0
            status = next(iter(hub.status().values()))
        await sensor.stop()
    # Throughput over the stream: first to last processed notification.
    wall = window[-1][0] - window[0][0]
    streamed = sum(n for _, n in window[1:])
    lat = np.array(latencies) * 1e3
    notifications = len(latencies)
    # Packets for the reference: the same samples, packed as the sensor packs them.
    packets = _packets(status.samples)
    return {
        "notifications": notifications,
        "notif_per_s": (notifications - 1) / wall,
        "samples_per_s": streamed / wall,
        "cpu_s": cpu,
        "wall_s": wall,
        "p50_ms": float(np.percentile(lat, 50)),
        "p99_ms": float(np.percentile(lat, 99)),
        "max_ms": float(lat.max()),
        "packets": packets,
    }


def _packets(samples: int) -> list[bytes]:
    rng = np.random.default_rng(0)
    out = []
    t0, count = 5_000_000, 11
    for seq in range(samples // count):
        raw = rng.integers(-2000, 2000, size=(count, 6), dtype=np.int16)
        out.append(
            encode_imu_block(
                sequence=seq,
                t0_us=t0 + seq * count * 10_000,
                period_us=10_000,
                acc_range_code=1,
                gyro_range_code=1,
                raw=raw,
            )
        )
    return out


def _decode_all(packets: list[bytes]) -> None:
    decoder = StreamDecoder()
    for i, data in enumerate(packets):
        decoder.feed(data, 10.0 + i * 0.11)


if __name__ == "__main__":
    main()
