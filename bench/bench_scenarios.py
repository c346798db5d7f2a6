#!/usr/bin/env python3
"""Accuracy of the processing core on the wearer simulator's scenarios, with ground truth.

Run: ``python bench/bench_scenarios.py [--seeds N] [--scenarios a,b,...] [--mount-error-deg D]``.
For each scenario and seed it simulates a recording (mounting error up to ±D°, IMU noise, gyro
bias and drift, quantisation, dropped samples, timestamp jitter), runs the core exactly as
``posture-hub analyze`` does, and prints flexion RMSE (all samples and upright only), episode
recall, false alerts per hour and alert latency after onset + hold.  As a reference it also
scores a naive accelerometer-tilt pipeline (the usual hobby approach: the angle of the raw
accelerometer, neutral from the first 5 s, case axes, no activity gating) through the same
detector.

Targets (issue #3): flexion RMSE ≤ 0.5° with ±20° mounting error, recall 100 %, false alerts
≤ 0.5 per hour, alert latency ≤ 2 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sensor_hub.evaluation import EpisodeSpan, Score, score
from sensor_hub.processing import Activity, Phase, PostureProcessor, ProcessingConfig, Role
from sensor_hub.processing.angles import BodyFrame, body_angles_deg
from sensor_hub.processing.detector import EpisodeDetector
from sensor_hub.simulate import SCENARIOS, simulate


def run_core(sim_block, config: ProcessingConfig):  # type: ignore[no-untyped-def]
    proc = PostureProcessor(config)
    out = proc.process(sim_block)
    events = list(out.events) + list(proc.finish())
    spans = [
        EpisodeSpan(e.episode.start_s, e.episode.end_s or 0.0, e.episode.alert_s)
        for e in events
        if e.phase is Phase.ENDED
    ]
    return out.flexion_deg, out.lateral_deg, spans


def run_naive(sim_block, config: ProcessingConfig):  # type: ignore[no-untyped-def]
    t = sim_block.timestamp_s
    up = sim_block.acc_mps2 / np.linalg.norm(sim_block.acc_mps2, axis=1, keepdims=True)
    frame = BodyFrame.from_vectors(up[t - t[0] <= 5.0].mean(axis=0))
    flex, lat = body_angles_deg(up, frame)
    det = EpisodeDetector(config)
    events = det.update(t, flex, np.ones(t.shape, dtype=bool)) + det.finish()
    spans = [
        EpisodeSpan(e.episode.start_s, e.episode.end_s or 0.0, e.episode.alert_s)
        for e in events
        if e.phase is Phase.ENDED
    ]
    return flex, lat, spans


def evaluate(name: str, seed: int, mount: float, naive: bool) -> tuple[Score, float]:
    sim = simulate(name, seed=seed, mount_error_deg=mount)
    truth = sim.truth
    config = ProcessingConfig(
        role=Role(truth.role), sample_rate_hz=truth.sample_rate_hz,
    )  # fmt: skip
    start = time.perf_counter()
    flex, lat, spans = (run_naive if naive else run_core)(sim.block, config)
    elapsed = time.perf_counter() - start
    ts = truth.samples
    upright = np.asarray(ts.activity) == Activity.UPRIGHT.label
    true_spans = [EpisodeSpan(e.start_s, e.end_s, e.alert_due_s) for e in truth.episodes]
    duration = float(ts.timestamp_s[-1] - ts.timestamp_s[0])
    result = score(flex, lat, ts.flexion_deg, ts.lateral_deg, upright, duration, spans, true_spans)
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario (default 3)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--mount-error-deg", type=float, default=20.0)
    parser.add_argument("--no-reference", action="store_true", help="skip the naive pipeline")
    args = parser.parse_args()
    names = [s for s in args.scenarios.split(",") if s]
    head = (
        f"{'scenario':<16}{'seed':>5}  {'pipeline':<8}{'rmse':>7}{'upright':>9}{'episodes':>10}"
        f"{'recall':>8}{'false/h':>9}{'lat max':>9}"
    )
    print(f"# scenario benchmark: mounting error up to ±{args.mount_error_deg:g}°")
    print(head)
    totals: dict[str, list[Score]] = {"core": [], "naive": []}
    for name in names:
        for seed in range(args.seeds):
            for naive in (False, True) if not args.no_reference else (False,):
                s, _ = evaluate(name, seed, args.mount_error_deg, naive)
                label = "naive" if naive else "core"
                totals[label].append(s)
                print(
                    f"{name:<16}{seed:>5}  {label:<8}{s.flexion_rmse_deg:>7.2f}"
                    f"{s.flexion_rmse_upright_deg:>9.2f}{s.true_episodes:>10}"
                    f"{s.recall:>8.0%}{s.false_alerts_per_hour:>9.2f}{s.max_latency_s:>9.2f}"
                )
    for label, scores in totals.items():
        if not scores:
            continue
        hours = sum(s.hours for s in scores)
        n_true = sum(s.true_episodes for s in scores)
        found = sum(s.found for s in scores)
        false = sum(s.false_alerts for s in scores)
        lat = [x for s in scores for x in s.latencies_s]
        rmse = np.sqrt(
            sum(s.flexion_rmse_deg**2 * s.samples for s in scores) / sum(s.samples for s in scores)
        )
        print(
            f"TOTAL {label:<6} {hours:.2f} h: flexion RMSE {rmse:.2f}°, recall {found}/{n_true}"
            f", false alerts {false} ({false / hours:.2f}/h), latency max "
            f"{max(lat, default=0):.2f} s, mean {np.mean(lat) if lat else 0:.2f} s"
        )


if __name__ == "__main__":
    main()
