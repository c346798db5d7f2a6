"""``posture-hub analyze``: run the processing core over a recording, as the live hub would.

A contract other tools rely on (keep it exactly)::

    posture-hub analyze RECORDING.csv --out DIR [--neutral START:END] [--threshold-deg D]
                        [--hold-s S] [--role lumbar|pelvis]

writes ``DIR/angles.csv`` and ``DIR/events.json`` (formats in :mod:`sensor_hub.analysis`) and
prints a summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.analysis import ANGLES_HEADER, angles_csv_rows, events_document
from sensor_hub.cli import UserError
from sensor_hub.commands import positive_float
from sensor_hub.processing.calibration import ForwardAxis
from sensor_hub.processing.config import ProcessingConfig, Role
from sensor_hub.processing.pipeline import PostureProcessor
from sensor_hub.processing.summary import PostureSummary, SummaryAccumulator
from sensor_hub.recording import RecordingError, RecordingReader

__all__ = ["parse_window", "register", "run"]

log = logging.getLogger(__name__)

#: Rates the sensor supports; a measured rate within 10 % of one of them snaps to it.
_NOMINAL_RATES_HZ = (25.0, 50.0, 100.0, 200.0)

DESCRIPTION = """\
Estimate lumbar or pelvic angles, activity and sustained forward-lean episodes from a
recording (format v1), exactly as the live hub would: every output at a sample uses only the
samples up to it.

Writes DIR/angles.csv (one row per input sample: timestamp_s, flexion_deg, lateral_deg,
activity, q_w, q_x, q_y, q_z, band, calibration, stance) and DIR/events.json (one entry per episode:
kind, start_s, alert_s, end_s, peak_deg, mean_deg), then prints the time in each activity and
posture band and the episodes.  flexion_deg is forward positive relative to the neutral
posture held during --neutral; for --role pelvis it is the pelvic tilt (anterior positive) and
episodes are of kind pelvic_tilt.
"""

EPILOG = """\
examples:
  posture-hub analyze day.csv --out day-analysis
  posture-hub analyze day.csv --out out --neutral 12:17 --threshold-deg 25 --hold-s 60
  posture-hub analyze sacrum.csv --out out --role pelvis
"""


def parse_window(text: str) -> tuple[float, float]:
    """``START:END`` seconds (``0:5``) -> (start, end); argparse type."""
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = float(parts[0]), float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:END in seconds, e.g. 0:5; got {text!r}"
        ) from None
    if not (np.isfinite(start) and np.isfinite(end) and 0.0 <= start < end):
        raise argparse.ArgumentTypeError(f"need 0 <= START < END, got {text!r}")
    return start, end


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``analyze`` subcommand."""
    p = subparsers.add_parser(
        "analyze",
        help="angles, activity and sustained-lean episodes of a recording",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("recording", metavar="RECORDING.csv", help="a recording (format v1)")
    p.add_argument("--out", metavar="DIR", required=True, help="output directory (created)")
    p.add_argument(
        "--neutral",
        metavar="START:END",
        type=parse_window,
        default=(0.0, 5.0),
        help="still neutral posture, seconds from the first sample (default: 0:5)",
    )
    p.add_argument(
        "--threshold-deg",
        type=positive_float,
        default=20.0,
        help="episode threshold, degrees above neutral (default: 20)",
    )
    p.add_argument(
        "--hold-s",
        type=positive_float,
        default=30.0,
        help="seconds above threshold before the alert (default: 30)",
    )
    p.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=None,
        help="where the sensor is worn (default: the recording's sensor_role, else lumbar)",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal)",
    )
    p.set_defaults(handler=run)


def _nominal_rate(dt_s: np.ndarray) -> float:
    if dt_s.size == 0:
        return 100.0
    rate = 1.0 / float(np.median(dt_s))
    for nominal in _NOMINAL_RATES_HZ:
        if abs(rate / nominal - 1.0) < 0.1:
            return nominal
    return rate


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output directory {out}: {exc.strerror}") from exc
    try:
        with RecordingReader(args.recording) as reader:
            summary = _analyze(reader, args, out)
    except RecordingError as exc:
        raise UserError(str(exc)) from exc
    except ValueError as exc:  # a configuration the core rejects
        raise UserError(str(exc)) from exc
    Console().print(summary_table(summary, Path(args.recording).name))
    return 0


def _analyze(reader: RecordingReader, args: argparse.Namespace, out: Path) -> PostureSummary:
    role_name = args.role or reader.metadata.get("sensor_role", Role.LUMBAR.value)
    try:
        role = Role(role_name)
    except ValueError:
        raise UserError(
            f"{reader.path}: sensor_role={role_name!r} is not one of lumbar, pelvis; pass --role"
        ) from None
    blocks = reader.blocks()
    first = next(blocks, None)
    rate = _nominal_rate(np.diff(first.timestamp_s) if first is not None else np.empty(0))
    config = ProcessingConfig(
        role=role,
        sample_rate_hz=rate,
        neutral_start_s=args.neutral[0],
        neutral_end_s=args.neutral[1],
        threshold_deg=args.threshold_deg,
        hold_s=args.hold_s,
    )
    log.info(
        "%s: role %s, %g Hz, neutral %g-%g s, threshold %g deg, hold %g s",
        reader.path, role.value, rate, *args.neutral, config.threshold_deg, config.hold_s,
    )  # fmt: skip
    processor = PostureProcessor(config)
    summary = SummaryAccumulator(config.sample_period_s)
    angles_tmp = out / ".angles.csv.partial"
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    progress = Progress(
        TextColumn("analyzing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not show,
    )
    with progress, angles_tmp.open("w", encoding="utf-8", newline="") as f:
        task = progress.add_task("analyze", total=max(reader.size_bytes, 1))
        f.write(ANGLES_HEADER)
        block = first
        while block is not None:
            result = processor.process(block)
            f.write(angles_csv_rows(result))
            summary.add(result)
            progress.update(task, completed=reader.bytes_read)
            block = next(blocks, None)
        summary.add_events(processor.finish())
    os.replace(angles_tmp, out / "angles.csv")
    result_summary = dataclasses.replace(
        summary.result(),
        forward_axis=processor.forward_axis.value,
        mount_yaw_deg=processor.mount_yaw_deg,
    )
    log.info(
        "%d samples, %d episodes (%d alerted), mounting yaw learned %.1f deg; wrote %s",
        result_summary.samples, len(result_summary.episodes), result_summary.alerts,
        processor.mount_yaw_deg, out,
    )  # fmt: skip
    if result_summary.stale_from_s is not None:
        log.warning("calibration stale from %.1f s: recalibrate", result_summary.stale_from_s)
    doc = events_document(result_summary.episodes)
    doc["role"] = role.value
    doc["config"] = {
        "neutral_s": list(args.neutral),
        "threshold_deg": config.threshold_deg,
        "hold_s": config.hold_s,
        "dip_tolerance_s": config.dip_tolerance_s,
        "sample_rate_hz": config.sample_rate_hz,
    }
    doc["mount_yaw_deg"] = round(processor.mount_yaw_deg, 2)
    doc["forward_axis"] = processor.forward_axis.value
    doc["calibration_stale_from_s"] = result_summary.stale_from_s
    (out / "events.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return result_summary


_FORWARD_AXIS_TEXT = {
    ForwardAxis.BENDS.value: "learned from bends",
    ForwardAxis.WALKING.value: "learned from walking",
}


def _forward_axis_text(summary: PostureSummary) -> str:
    learned = _FORWARD_AXIS_TEXT.get(summary.forward_axis or "")
    if learned is not None:
        return f"{learned}, {summary.mount_yaw_deg:+.1f}° from the case's"
    return (
        "the case's (no bend or walk to learn it from: if the sensor sits turned, sideways "
        "movements read as a little flexion)"
    )


def summary_table(summary: PostureSummary, title: str) -> Table:
    """Episodes and time in activities and bands as a rich table."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("samples", f"{summary.samples:,} ({summary.duration_s / 60:.1f} min)")
    for name, seconds in summary.activity_s.items():
        share = seconds / summary.duration_s if summary.duration_s else 0.0
        table.add_row(f"time {name}", f"{seconds / 60:.1f} min ({share:.0%})")
    for name, share in summary.band_share().items():
        table.add_row(f"band {name}", f"{share:.1%} of upright time")
    if summary.stale_from_s is not None:
        table.add_row(
            "calibration",
            f"[bold red]stale from {summary.stale_from_s:.1f} s[/]: the sensor moved or was "
            "off for long; episodes after it are not detected — recalibrate",
        )
    if summary.forward_axis is not None:
        table.add_row("forward axis", _forward_axis_text(summary))
    table.add_row("episodes", f"{len(summary.episodes)} ({summary.alerts} alerted)")
    for e in summary.episodes:
        alert = "-" if e.alert_s is None else f"{e.alert_s:.1f}"
        end = "-" if e.end_s is None else f"{e.end_s:.1f}"
        table.add_row(
            f"  {e.kind}",
            f"{e.start_s:.1f}-{end} s, alert {alert}, peak {e.peak_deg:.1f}°, "
            f"mean {e.mean_deg:.1f}°",
        )
    return table
