#!/usr/bin/env python3
"""Inclination accuracy and throughput of our orientation estimator on BROAD, next to plain VQF.

Run: ``python bench/bench_orientation.py [--data DIR]`` (default ``bench/data/broad``; the data's
attribution and licence are in its README.md).  Prints, per trial, the inclination RMSE in degrees
of

- ``ours``: :func:`sensor_hub.processing.orientation.estimate_orientation`, default parameters;
- ``vqf``: ``vqf.VQF(Ts).updateBatch`` with default parameters (6D, causal), the reference;

then the means over trials, and throughput in samples/s (one core, best of several repeats): ours
in one batch call, VQF in one batch call, ours streaming in 20-sample blocks.

Metric (BROAD's own): ``e = q_est (x) q_opt^-1``, inclination error ``2 acos(sqrt(e_w^2 + e_z^2))``,
RMSE over the ``movement`` samples with finite ground truth.
"""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import vqf
from _timing import best_seconds
from rich.console import Console
from rich.table import Table

from sensor_hub.evaluation import inclination_error_deg
from sensor_hub.processing.orientation import OrientationEstimator, estimate_orientation
from sensor_hub.samples import FloatArray

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "broad"


def load_trial(path: Path) -> tuple[float, FloatArray, FloatArray, FloatArray, np.ndarray]:
    """Sample period, gyr (rad/s), acc (m/s^2), ground truth quaternions, scored-sample mask."""
    with np.load(path) as d:
        ts = 1.0 / float(d["sampling_rate_hz"])
        gyr = np.ascontiguousarray(d["gyr_rads"], dtype=np.float64)
        acc = np.ascontiguousarray(d["acc_mps2"], dtype=np.float64)
        q_opt = np.asarray(d["opt_quat_wxyz"], dtype=np.float64)
        mask = np.asarray(d["movement"], dtype=bool) & np.all(np.isfinite(q_opt), axis=1)
    return ts, gyr, acc, q_opt, mask


def rmse(q: FloatArray, q_opt: FloatArray, mask: np.ndarray) -> float:
    e = inclination_error_deg(q[mask], q_opt[mask])
    return float(np.sqrt(np.mean(e**2)))


def vqf_default(gyr: FloatArray, acc: FloatArray, ts: float) -> FloatArray:
    return np.asarray(vqf.VQF(ts).updateBatch(gyr, acc)["quat6D"], dtype=np.float64)


def stream(gyr: FloatArray, acc: FloatArray, ts: float, block: int) -> FloatArray:
    est = OrientationEstimator(ts)
    parts = [est.update(gyr[i : i + block], acc[i : i + block]) for i in range(0, len(gyr), block)]
    return np.concatenate(parts)


def best_rate(fn: Callable[[], object], samples: int, repeats: int) -> float:
    return samples / best_seconds(fn, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BROAD .npz directory")
    parser.add_argument("--repeats", type=int, default=5, help="throughput repeats (best taken)")
    args = parser.parse_args()
    files = sorted(args.data.glob("*.npz"))
    if not files:
        raise SystemExit(f"no .npz trials in {args.data}")
    info_path = args.data / "trials.json"
    trial_info: dict[str, dict[str, Any]] = {}
    if info_path.exists():
        trial_info = json.loads(info_path.read_text()).get("trials", {})

    console = Console(width=110)
    table = Table(title=f"BROAD inclination RMSE (deg), {len(files)} trials, causal 6D")
    table.add_column("trial", no_wrap=True)
    table.add_column("samples", justify="right")
    table.add_column("ours", justify="right")
    table.add_column("vqf default", justify="right")
    table.add_column("ours - vqf", justify="right")
    ours_all, ref_all = [], []
    trials = []
    for path in files:
        ts, gyr, acc, q_opt, mask = load_trial(path)
        trials.append((ts, gyr, acc))
        ours = rmse(estimate_orientation(gyr, acc, ts), q_opt, mask)
        ref = rmse(vqf_default(gyr, acc, ts), q_opt, mask)
        ours_all.append(ours)
        ref_all.append(ref)
        groups: list[str] = trial_info.get(path.stem, {}).get("groups", [])
        label = path.stem[:2] + " " + " ".join(str(g) for g in groups if g != "all_trials")
        diff = ours - ref
        style = "green" if diff < 0 else "red"
        table.add_row(
            label,
            f"{len(gyr):,}",
            f"{ours:.3f}",
            f"{ref:.3f}",
            f"[{style}]{diff:+.3f}[/]",
        )
    mean_ours, mean_ref = float(np.mean(ours_all)), float(np.mean(ref_all))
    table.add_section()
    table.add_row(
        "mean",
        "",
        f"[bold]{mean_ours:.3f}[/]",
        f"{mean_ref:.3f}",
        f"{mean_ours - mean_ref:+.3f}",
    )
    console.print(table)

    # Throughput on the longest trial repeated to ~1 M samples (one core).
    ts, gyr, acc = max(trials, key=lambda t: len(t[1]))
    reps = max(1, 1_000_000 // len(gyr))
    gyr_l, acc_l = np.tile(gyr, (reps, 1)), np.tile(acc, (reps, 1))
    n = len(gyr_l)
    rates = {
        "ours, batch (one call)": best_rate(
            lambda: estimate_orientation(gyr_l, acc_l, ts), n, args.repeats
        ),
        "vqf default, batch (one call)": best_rate(
            lambda: vqf_default(gyr_l, acc_l, ts), n, args.repeats
        ),
        "ours, streaming 20-sample blocks": best_rate(
            lambda: stream(gyr_l, acc_l, ts, 20), n, max(1, args.repeats // 2)
        ),
    }
    console.print(
        f"# throughput: {n:,} samples, Python {platform.python_version()}, "
        f"numpy {np.__version__}, vqf {metadata.version('vqf')}"
    )
    tput = Table()
    tput.add_column("implementation")
    tput.add_column("samples/s", justify="right")
    tput.add_column("vs vqf batch", justify="right")
    ref_rate = rates["vqf default, batch (one call)"]
    for name, rate in rates.items():
        tput.add_row(name, f"{rate:,.0f}", f"{rate / ref_rate:.2f}x")
    console.print(tput)


if __name__ == "__main__":
    main()
