#!/usr/bin/env python3
"""Throughput of the whole processing core, next to ``vqf`` alone, in the same run.

Run: ``python bench/bench_core.py [--minutes M]``.  On a synthetic wearer at 100 Hz (slow
slouches and returns, side bends, sensor noise and gyro bias, 0.3 % dropped samples) it times

- ``vqf.VQF.updateBatch`` alone (the orientation reference: what any pipeline pays at least);
- the core in **batch**: orientation → calibration → activity → angles → bands → detector in
  one ``PostureProcessor.process`` call;
- the core **streaming** in 20-sample blocks (one BLE notification's worth, 0.2 s at 100 Hz):
  samples/s and the per-block latency distribution (p50, p99, max).

Targets (issue #3): batch ≥ 1 M samples/s on one core; streaming p99 < 1 ms per block.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from _timing import best_seconds
from vqf import VQF

from sensor_hub.processing import PostureProcessor, ProcessingConfig
from sensor_hub.samples import SampleBlock

FS = 100.0
G = 9.80665


def synthetic(minutes: float, seed: int = 0) -> SampleBlock:
    """Slouches and side bends as pure rotations with consistent gyro, plus IMU errors."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, minutes * 60.0, 1.0 / FS)
    flex = np.radians(15.0 + 15.0 * np.sin(2 * np.pi * t / 97.0))
    lat = np.radians(8.0 * np.sin(2 * np.pi * t / 41.0))
    up = np.stack((np.cos(flex) * np.cos(lat), np.cos(flex) * np.sin(lat), np.sin(flex)), axis=1)
    acc = G * up + rng.normal(0.0, 0.02, up.shape)
    gyr = np.stack((np.zeros_like(t), np.gradient(flex, t), -np.gradient(lat, t)), axis=1)
    gyr += rng.normal(0.0, 0.002, gyr.shape) + np.array([0.005, -0.004, 0.006])
    keep = rng.random(t.shape) > 0.003
    return SampleBlock(t[keep], acc[keep], gyr[keep])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="synthetic data length")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    block = synthetic(args.minutes)
    n = len(block)
    gyr = np.ascontiguousarray(block.gyr_rads)
    acc = np.ascontiguousarray(block.acc_mps2)
    config = ProcessingConfig(sample_rate_hz=FS)

    t_vqf = best_seconds(lambda: VQF(1.0 / FS).updateBatch(gyr, acc), args.repeats)
    t_batch = best_seconds(lambda: PostureProcessor(config).process(block), args.repeats)

    proc = PostureProcessor(config)
    latencies = []
    start_all = time.perf_counter()
    for i in range(0, n, 20):
        part = block.slice(i, i + 20)
        start = time.perf_counter()
        proc.process(part)
        latencies.append(time.perf_counter() - start)
    t_stream = time.perf_counter() - start_all
    lat_ms = np.array(latencies) * 1e3

    print(
        f"# core benchmark: {n:,} samples ({args.minutes:g} min at {FS:g} Hz), "
        f"Python {platform.python_version()}, numpy {np.__version__}, one core"
    )
    print(f"{'implementation':<40}{'samples/s':>14}{'vs vqf':>10}")
    for name, seconds in (
        ("vqf updateBatch alone (reference)", t_vqf),
        ("core, batch (one call)", t_batch),
        ("core, streaming 20-sample blocks", t_stream),
    ):
        print(f"{name:<40}{n / seconds:>14,.0f}{t_vqf / seconds:>9.2f}x")
    p50, p99 = np.percentile(lat_ms, [50, 99])
    print(
        f"streaming per-block latency: p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
        f"max {lat_ms.max():.3f} ms over {len(lat_ms):,} blocks"
    )


if __name__ == "__main__":
    main()
