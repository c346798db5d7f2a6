#!/usr/bin/env python3
"""Sitting/standing from one lumbar sensor, on the wearer simulator's scenarios, with truth.

Run: ``python bench/bench_stance.py [--seeds N] [--scenarios a,b] [--mount-error-deg D]``.
For each scenario and seed it simulates a recording (mounting error up to ±D°, IMU noise, bias,
quantisation, dropped samples and bursts, jitter), runs the core exactly as ``posture-hub
analyze`` does and scores its ``stance`` (``sensor_hub.evaluation_stance``): share of the
upright time after the first transition classified right (and the same leaving out 3 s after
each transition), true transitions, stance flips and spurious ones, transitions missed, and
the detection delay after each transition's end.  As a reference it scores, in the same run,
a naive inclination threshold on the same flexion (standing when the trunk is more than 4°
behind the sitting neutral, held 2 s; walking is standing, lying unknown).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sensor_hub.evaluation_stance import StanceScore, score_stance
from sensor_hub.processing import Activity, PostureBlock, PostureProcessor, ProcessingConfig, Role
from sensor_hub.processing.signals import DebounceState, debounce
from sensor_hub.processing.stance import Stance
from sensor_hub.simulate import simulate

NAIVE_STANDING_DEG = -4.0
NAIVE_HOLD_S = 2.0


def naive_stance(out: PostureBlock) -> np.ndarray:
    t = out.timestamp_s
    standing, _ = debounce(
        out.flexion_deg < NAIVE_STANDING_DEG, t, NAIVE_HOLD_S, NAIVE_HOLD_S, DebounceState()
    )
    codes = np.where(standing, Stance.STANDING, Stance.SITTING).astype(np.uint8)
    codes[out.activity == Activity.WALKING] = Stance.STANDING
    codes[out.activity == Activity.LYING] = Stance.UNKNOWN
    return codes


def evaluate(name: str, seed: int, mount: float) -> tuple[StanceScore, StanceScore, float]:
    sim = simulate(name, seed=seed, mount_error_deg=mount)
    truth = sim.truth
    config = ProcessingConfig(role=Role(truth.role), sample_rate_hz=truth.sample_rate_hz)
    start = time.perf_counter()
    out = PostureProcessor(config).process(sim.block)
    elapsed = time.perf_counter() - start
    posture = np.asarray(truth.samples.posture)
    core = score_stance(out.timestamp_s, out.stance, posture, truth.segments)
    naive = score_stance(out.timestamp_s, naive_stance(out), posture, truth.segments)
    return core, naive, elapsed


def _row(name: str, seed: int, label: str, s: StanceScore) -> str:
    found = [d for d in s.delays_s if d is not None]
    delay = f"{np.median(found):>7.2f}{max(found):>7.2f}" if found else f"{'-':>7}{'-':>7}"
    return (
        f"{name:<12}{seed:>5}  {label:<6}{s.accuracy:>8.1%}{s.settled_accuracy:>9.1%}"
        f"{s.transitions:>7}{s.flips:>7}{s.spurious_flips:>6}{s.missed:>7}{delay}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per scenario (default 5)")
    parser.add_argument("--scenarios", default="sit_stand,office_day", help="comma-separated")
    parser.add_argument("--mount-error-deg", type=float, default=20.0)
    args = parser.parse_args()
    names = [s for s in args.scenarios.split(",") if s]
    print(f"# stance benchmark: mounting error up to ±{args.mount_error_deg:g}°")
    print(
        f"{'scenario':<12}{'seed':>5}  {'method':<6}{'right':>8}{'settled':>9}{'trans':>7}"
        f"{'flips':>7}{'spur':>6}{'missed':>7}{'dly med':>7}{'max':>7}"
    )
    totals: dict[str, list[StanceScore]] = {"core": [], "naive": []}
    seconds = 0.0
    for name in names:
        for seed in range(args.seeds):
            core, naive, elapsed = evaluate(name, seed, args.mount_error_deg)
            seconds += elapsed
            for label, s in (("core", core), ("naive", naive)):
                totals[label].append(s)
                print(_row(name, seed, label, s))
    for label, scores in totals.items():
        time_s = sum(s.scored_s for s in scores)
        right = sum(s.accuracy * s.scored_s for s in scores) / time_s
        settled = np.mean([s.settled_accuracy for s in scores])
        delays = [d for s in scores for d in s.delays_s if d is not None]
        print(
            f"TOTAL {label:<6} {time_s / 3600:.2f} h upright: right {right:.1%} (settled, mean "
            f"{settled:.1%}), transitions {sum(s.transitions for s in scores)}, flips "
            f"{sum(s.flips for s in scores)}, spurious {sum(s.spurious_flips for s in scores)}, "
            f"missed {sum(s.missed for s in scores)}, delay median "
            f"{np.median(delays) if delays else float('nan'):.2f} s, max "
            f"{max(delays, default=float('nan')):.2f} s"
        )
    print(f"# core time {seconds:.1f} s")


if __name__ == "__main__":
    main()
