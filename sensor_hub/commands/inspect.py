"""``posture-hub inspect``: validate a recording file and summarise it."""

from __future__ import annotations

import argparse
import json
import math
import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.recording import RecordingError, RecordingReader
from sensor_hub.recording.summary import GAP_FACTOR, RecordingSummary, summarize

__all__ = ["register", "run"]

#: In ``--progress auto`` mode, files at least this big get a progress bar (on a terminal).
PROGRESS_MIN_BYTES = 16 * 1024 * 1024

DESCRIPTION = f"""\
Validate a recording (format v1: CSV with timestamp_s, acc_*_mps2, gyr_*_rads columns)
from end to end and print a summary: metadata, extra columns, number of samples, duration,
median sampling rate, gaps (intervals longer than {GAP_FACTOR:g}x the median period), median
accelerometer magnitude (about 9.81 m/s^2 when mostly still) and the largest rotation rate.

Exits with status 0 when the file is valid, 2 with a one-line "file:line: problem" message
when it is not.
"""

EPILOG = """\
examples:
  posture-hub inspect sensor_hub/data/sample_recording.csv
  posture-hub inspect --json day.csv > day-summary.json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` subcommand."""
    parser = subparsers.add_parser(
        "inspect",
        help="validate a recording file and summarise it",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument("recording", metavar="RECORDING.csv", help="the recording file to check")
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON instead of a table"
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr: auto = for files over 16 MiB when stderr is a terminal "
        "(default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.recording``, print its summary; bad content raises UserError."""
    try:
        with RecordingReader(args.recording) as reader:
            summary = _summarize(reader, args.progress)
    except RecordingError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=2) + "\n")
    else:
        Console().print(summary_table(summary))
    return 0


def _summarize(reader: RecordingReader, progress_mode: str) -> RecordingSummary:
    show = progress_mode == "always" or (
        progress_mode == "auto" and reader.size_bytes >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    )
    if not show:
        return summarize(reader)
    columns = (
        TextColumn("checking"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("read", total=reader.size_bytes)
        summary = summarize(
            reader, on_block=lambda: progress.update(task, completed=reader.bytes_read)
        )
        progress.update(task, completed=reader.size_bytes)
    return summary


def _number(value: float | None, unit: str, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f} {unit}".rstrip()


def summary_table(summary: RecordingSummary) -> Table:
    """The summary as a two-column rich table."""
    table = Table(title=Text(summary.path), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")

    def row(field: str, value: str) -> None:
        table.add_row(field, Text(value))

    row("size", f"{summary.size_bytes:,} bytes")
    for key, value in summary.metadata.items():
        row(f"# {key}", value)
    row("extra columns", ", ".join(summary.extra_columns) or "none")
    row("samples", f"{summary.samples:,}")
    row("start", _number(summary.start_s, "s", 6))
    row("end", _number(summary.end_s, "s", 6))
    row("duration", _number(summary.duration_s, "s"))
    row("median rate", _number(summary.median_rate_hz, "Hz"))
    gaps = f"{summary.gap_count:,} (> {GAP_FACTOR:g}x median period)"
    if summary.gap_count:
        gaps += f", ~{summary.missing_samples:,} samples missing"
    row("gaps", gaps)
    if summary.longest_gap_s is not None:
        where = _number(summary.longest_gap_start_s, "s", 6)
        row("longest gap", f"{_number(summary.longest_gap_s, 's')} after t = {where}")
    row("|acc| median", _number(summary.acc_norm_median_mps2, "m/s^2"))
    if summary.acc_mean_mps2 is not None:
        row("acc mean (x,y,z)", ", ".join(f"{v:.3f}" for v in summary.acc_mean_mps2) + " m/s^2")
    row("max |gyro|", _number(summary.gyr_abs_max_rads, "rad/s"))
    return table
