#!/usr/bin/env python3
"""Decode throughput of the sensor protocol, next to a plain-Python reference decoder.

Run: ``python bench/bench_decode.py [--packets N]``.  Prints samples/s for

- ``reference``: what a straightforward decoder does, ``struct.unpack_from`` per sample and
  scaling in Python floats (the usual hobby-project approach), with the same CRC check;
- ``decode_imu``: our codec, one packet at a time, samples as numpy arrays in m/s^2 and rad/s;
- ``decode_imu_batch``: the vectorised decoder for captures, replays and backfill bursts;
- ``StreamDecoder.feed``: the full per-packet path of the hub (decode, sequence accounting,
  timestamp extension, clock mapping to host time).

All on 19-sample IMU_BLOCK packets (ATT_MTU 247), best of several repeats, one core.
"""

from __future__ import annotations

import argparse
import binascii
import math
import platform
import struct
from collections.abc import Callable

import numpy as np
from _timing import best_seconds

from firmware_protocol import StreamDecoder, decode_imu, encode_imu_block
from firmware_protocol.batch import decode_imu_batch

SAMPLES_PER_PACKET = 19
_HEADER = struct.Struct("<BBHIHBB")
_SAMPLE = struct.Struct("<6h")


def make_packets(n: int) -> list[bytes]:
    rng = np.random.default_rng(0)
    raw = rng.integers(-20000, 20000, size=(n, SAMPLES_PER_PACKET, 6))
    return [
        encode_imu_block(
            sequence=i, t0_us=i * SAMPLES_PER_PACKET * 10_000, period_us=10_000,
            acc_range_code=1, gyro_range_code=1, raw=raw[i],
        )
        for i in range(n)
    ]  # fmt: skip


def reference_decode(data: bytes) -> list[tuple[float, ...]]:
    """Plain Python: unpack each sample with struct, scale in Python floats."""
    if binascii.crc_hqx(data[:-2], 0xFFFF) != int.from_bytes(data[-2:], "little"):
        raise ValueError("crc")
    _, _, _, _, _, count, ranges = _HEADER.unpack_from(data)
    acc = (2 << (ranges & 0xF)) * 9.80665 / 32768
    gyr = (250 << (ranges >> 4)) * math.pi / 180 / 32768
    out = []
    for i in range(count):
        ax, ay, az, gx, gy, gz = _SAMPLE.unpack_from(data, 12 + 12 * i)
        out.append((ax * acc, ay * acc, az * acc, gx * gyr, gy * gyr, gz * gyr))
    return out


def best_rate(fn: Callable[[], object], samples: int, repeats: int) -> float:
    return samples / best_seconds(fn, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    packets = make_packets(args.packets)
    n_samples = args.packets * SAMPLES_PER_PACKET

    def run_reference() -> None:
        for p in packets:
            reference_decode(p)

    def run_codec() -> None:
        for p in packets:
            decode_imu(p).physical()

    def run_batch() -> None:
        for start in range(0, len(packets), 1000):
            decode_imu_batch(packets[start : start + 1000])

    def run_stream() -> None:
        dec = StreamDecoder()
        for i, p in enumerate(packets):
            dec.feed(p, 100.0 + i * 0.19 + 0.01)

    rates = {
        "reference (struct per sample)": best_rate(run_reference, n_samples, args.repeats),
        "decode_imu (numpy per packet)": best_rate(run_codec, n_samples, args.repeats),
        "decode_imu_batch (1000 per call)": best_rate(run_batch, n_samples, args.repeats),
        "StreamDecoder.feed (full path)": best_rate(run_stream, n_samples, args.repeats),
    }
    ref = rates["reference (struct per sample)"]
    print(f"# decode benchmark: {args.packets} packets x {SAMPLES_PER_PACKET} samples, "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    print(f"{'implementation':34} {'samples/s':>14} {'packets/s':>12} {'vs reference':>13}")
    for name, rate in rates.items():
        print(f"{name:34} {rate:14,.0f} {rate / SAMPLES_PER_PACKET:12,.0f} {rate / ref:12.1f}x")


if __name__ == "__main__":
    main()
