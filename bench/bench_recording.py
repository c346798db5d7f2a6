"""Benchmark recording format v1: writer and reader against the stdlib ``csv`` module.

Writes and reads the same samples (default 2,000,000 rows, 100 Hz timestamps) with
:class:`~sensor_hub.recording.RecordingWriter` / :class:`~sensor_hub.recording.RecordingReader`
and with a straightforward ``csv.writer`` / ``csv.reader`` implementation, in the same run,
then measures the peak traced memory (tracemalloc, which sees numpy's buffers too) of:

* streaming the file with ``RecordingReader.blocks()`` at two file sizes (constant = streams);
* ``read_recording`` (the whole recording in memory, for comparison) on the smaller file;
* the ``csv`` reference, which holds every row as Python objects, on the smaller file
  (tracemalloc makes it very slow on the big one).

Usage: ``python bench/bench_recording.py [--rows N] [--dir DIR]``
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sensor_hub.recording import REQUIRED_COLUMNS, RecordingReader, read_recording, write_recording
from sensor_hub.samples import SampleBlock


def make_samples(rows: int, seed: int = 1) -> SampleBlock:
    """Plausible samples: 100 Hz from a Unix-epoch start, gravity along x plus noise."""
    rng = np.random.default_rng(seed)
    return SampleBlock(
        1.7e9 + np.arange(rows) / 100.0,
        rng.normal(0.0, 1.0, (rows, 3)) + np.array([9.81, 0.0, 0.0]),
        rng.normal(0.0, 0.5, (rows, 3)),
    )


def csv_write(path: Path, samples: SampleBlock) -> None:
    """Reference writer: csv.writer, one formatted list per row, same precision."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(REQUIRED_COLUMNS)
        for t, acc, gyr in zip(
            samples.timestamp_s.tolist(),
            samples.acc_mps2.tolist(),
            samples.gyr_rads.tolist(),
            strict=True,
        ):
            writer.writerow([f"{t:.6f}", *(f"{v:.5f}" for v in acc), *(f"{v:.6f}" for v in gyr)])


def csv_read(path: Path) -> SampleBlock:
    """Reference reader: csv.reader and float() into lists, then numpy (no validation)."""
    with path.open(newline="", encoding="utf-8") as file:
        lines = (line for line in file if not line.startswith("#"))
        reader = csv.reader(lines)
        header = next(reader)
        index = [header.index(name) for name in REQUIRED_COLUMNS]
        table = [[float(row[i]) for i in index] for row in reader]
    values = np.array(table, dtype=np.float64).reshape(-1, len(REQUIRED_COLUMNS))
    return SampleBlock(values[:, 0].copy(), values[:, 1:4].copy(), values[:, 4:7].copy())


def stream(path: Path) -> int:
    """Read every block and drop it; returns the number of samples."""
    with RecordingReader(path) as reader:
        return sum(len(block) for block in reader.blocks())


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def peak_mib(function: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="default: %(default)s")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    args = parser.parse_args()
    rows: int = args.rows
    samples = make_samples(rows)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        ours, ref = Path(scratch) / "ours.csv", Path(scratch) / "ref.csv"
        results = {
            "write  RecordingWriter": timed(lambda: write_recording(ours, samples)),
            "write  csv.writer (ref)": timed(lambda: csv_write(ref, samples)),
            "read   RecordingReader": timed(lambda: stream(ours)),
            "read   csv.reader (ref)": timed(lambda: csv_read(ours)),
        }
        size_mb = ours.stat().st_size / 1e6
        print(f"{rows:,} rows, {size_mb:.1f} MB ({size_mb * 1e6 / rows:.0f} bytes/row)")
        for name, seconds in results.items():
            print(f"{name:<25} {rows / seconds:>12,.0f} rows/s  {seconds:6.2f} s")
        quarter = Path(scratch) / "quarter.csv"
        write_recording(quarter, samples.slice(0, rows // 4))
        print("peak traced memory while reading:")
        memory = (
            (f"RecordingReader.blocks, {rows // 4:>9,} rows", lambda: stream(quarter)),
            (f"RecordingReader.blocks, {rows:>9,} rows", lambda: stream(ours)),
            (f"read_recording,         {rows // 4:>9,} rows", lambda: read_recording(quarter)),
            (f"csv.reader (ref),       {rows // 4:>9,} rows", lambda: csv_read(quarter)),
        )
        for label, function in memory:
            print(f"  {label}: {peak_mib(function):7.1f} MiB")


if __name__ == "__main__":
    main()
