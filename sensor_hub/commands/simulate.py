"""``posture-hub simulate``: write a simulated recording and its ground truth."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.simulate import (
    RATES_HZ,
    SCENARIOS,
    Simulation,
    simulate,
    write_simulation,
)
from sensor_hub.simulate.scenarios import scenario_spec

__all__ = ["register", "run"]

DESCRIPTION = """\
Simulate a wearer with a lower-back IMU and write DIR/recording.csv (recording format v1)
and DIR/truth.json (ground truth, format posture-truth/1: per-sample flexion and lateral
angles, activity, the episodes that must alert and the decoys that must not).

The physics is exact (trajectories on a 1 kHz grid, lever arm, mounting error, averaging to
the output rate); the IMU's errors (noise, bias and drift, scale, int16 quantisation at
+-8 g and +-1000 deg/s), dropped samples and timestamp jitter are then added.  Every scenario
starts with >= 6 s of still neutral posture (the neutral window is the first 5 s).
Deterministic for a seed.  See docs/simulator.md.
"""

EPILOG = """\
examples:
  posture-hub simulate --list
  posture-hub simulate --scenario office_day --out /tmp/sim
  posture-hub simulate --scenario dips --out /tmp/dips --seed 7 --rate-hz 50
  posture-hub simulate --scenario office_day --duration-min 480 --out /tmp/day
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="write a simulated recording and its ground truth",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument("--scenario", metavar="NAME", help="the scenario (see --list)")
    parser.add_argument("--out", metavar="DIR", help="output directory (created if missing)")
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="random seed (default: %(default)s)"
    )
    parser.add_argument(
        "--rate-hz",
        type=float,
        default=100.0,
        metavar="HZ",
        help="output rate: 25, 50, 100 or 200 Hz (default: %(default)g)",
    )
    parser.add_argument(
        "--mount-error-deg",
        type=float,
        default=20.0,
        metavar="DEG",
        help="largest mounting error about each body axis, deg (default: %(default)g)",
    )
    parser.add_argument(
        "--duration-min",
        type=float,
        default=None,
        metavar="MIN",
        help="scale the scenario to about this many minutes (default: office_day 60, "
        "the others one pass of a few minutes)",
    )
    parser.add_argument(
        "--no-imu-errors",
        action="store_true",
        help="ideal signals: no noise, bias, quantisation, dropped samples or jitter",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr: auto = when stderr is a terminal (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Simulate and write; bad arguments raise UserError."""
    if args.list:
        for name, description in SCENARIOS.items():
            spec = scenario_spec(name)
            sys.stdout.write(
                f"{name:<16} {description} [{spec.role}, neutral {spec.neutral_posture}]\n"
            )
        return 0
    if args.scenario is None or args.out is None:
        raise UserError("simulate needs --scenario NAME and --out DIR (or --list)")
    if args.scenario not in SCENARIOS:
        raise UserError(
            f"unknown scenario {args.scenario!r}; choose one of: {', '.join(SCENARIOS)}"
        )
    if args.rate_hz not in RATES_HZ:
        rates = ", ".join(f"{r:g}" for r in RATES_HZ)
        raise UserError(f"--rate-hz must be one of {rates}, got {args.rate_hz:g}")
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    with _progress(show) as progress:
        try:
            sim = simulate(
                args.scenario,
                seed=args.seed,
                rate_hz=args.rate_hz,
                mount_error_deg=args.mount_error_deg,
                duration_min=args.duration_min,
                imu_errors=not args.no_imu_errors,
                on_progress=progress("simulating"),
            )
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        try:
            recording, truth = write_simulation(sim, args.out, on_progress=progress("writing"))
        except OSError as exc:
            raise UserError(f"cannot write to {args.out}: {exc.strerror or exc}") from exc
    Console().print(_summary(sim, str(recording), str(truth)))
    return 0


class _Reporter:
    """Makes per-stage progress callbacks for one rich progress display (or none)."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def __call__(self, stage: str) -> _Callback | None:
        if self._progress is None:
            return None
        return _Callback(self._progress, self._progress.add_task(stage, total=1.0))


class _Callback:
    def __init__(self, progress: Progress, task: object) -> None:
        self._progress, self._task = progress, task

    def __call__(self, fraction: float) -> None:
        self._progress.update(self._task, completed=fraction)  # type: ignore[arg-type]


@contextmanager
def _progress(show: bool) -> Iterator[_Reporter]:
    if not show:
        yield _Reporter(None)
        return
    columns = (
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield _Reporter(progress)


def _summary(sim: Simulation, recording: str, truth_path: str) -> Table:
    truth = sim.truth
    p = truth.parameters
    table = Table(
        title=Text(f"simulated {truth.scenario}"), show_header=False, title_justify="left"
    )
    table.add_column("field", style="bold")
    table.add_column("value")
    rows = (
        ("recording", recording),
        ("truth", truth_path),
        ("role", f"{truth.role} (neutral: {truth.neutral_posture}, first 5 s)"),
        ("duration", f"{p.duration_s / 60.0:.1f} min at {truth.sample_rate_hz:g} Hz"),
        ("samples", f"{len(sim.block):,} ({p.dropped_samples:,} dropped)"),
        ("episodes", f"{len(truth.episodes)} (must alert)"),
        ("decoys", f"{len(truth.non_episodes)} (must not alert)"),
        ("mounting", ", ".join(f"{a:+.1f}" for a in p.mounting_rotation_deg) + " deg (x, y, z)"),
    )
    for field, value in rows:
        table.add_row(field, Text(value))
    return table
