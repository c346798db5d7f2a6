"""Summarise a recording while streaming it (what ``posture-hub inspect`` prints).

Memory: besides the reader's chunk, the sampling intervals (float64) and the accelerometer
magnitudes (float32) are kept, since their medians need every value: about 110 MB for a day at
100 Hz (the samples themselves are not kept).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

import numpy as np

from sensor_hub.recording.reader import RecordingReader
from sensor_hub.samples import FloatArray, SampleBlock

__all__ = ["GAP_FACTOR", "RecordingSummary", "summarize"]

#: An interval longer than this many median periods is a gap (dropped samples).
GAP_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class RecordingSummary:
    """Facts about one recording; ``None`` where there are too few samples to say.

    Attributes:
        path: the file.
        size_bytes: its size.
        metadata: its ``# key=value`` metadata.
        columns: every column of the header row.
        extra_columns: columns beyond the required ones (ignored by the reader).
        samples: number of samples.
        start_s, end_s: first and last timestamp (the recording's own time scale).
        duration_s: ``end_s - start_s``.
        median_period_s, median_rate_hz: median sampling interval, and its inverse.
        gap_count: intervals longer than ``GAP_FACTOR`` median periods.
        missing_samples: samples the gaps would hold at the median rate (an estimate).
        longest_gap_s, longest_gap_start_s: the longest such interval and the timestamp of
            the sample before it (``None`` without gaps).
        acc_norm_median_mps2: median accelerometer magnitude (about 9.81 when mostly still).
        acc_mean_mps2: mean accelerometer vector, body axes (points up on average).
        gyr_abs_max_rads: largest absolute gyroscope component.
    """

    path: str
    size_bytes: int
    metadata: Mapping[str, str]
    columns: tuple[str, ...]
    extra_columns: tuple[str, ...]
    samples: int
    start_s: float | None
    end_s: float | None
    duration_s: float | None
    median_period_s: float | None
    median_rate_hz: float | None
    gap_count: int
    missing_samples: int
    longest_gap_s: float | None
    longest_gap_start_s: float | None
    acc_norm_median_mps2: float | None
    acc_mean_mps2: tuple[float, float, float] | None
    gyr_abs_max_rads: float | None

    def to_dict(self) -> dict[str, object]:
        """The summary as JSON-ready plain types."""
        result: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        result["metadata"] = dict(self.metadata)
        result["columns"] = list(self.columns)
        result["extra_columns"] = list(self.extra_columns)
        result["acc_mean_mps2"] = None if self.acc_mean_mps2 is None else list(self.acc_mean_mps2)
        return result


class _Accumulator:
    """Running statistics over blocks."""

    def __init__(self) -> None:
        self.samples = 0
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.intervals_s: list[FloatArray] = []
        self.interval_max_s = -np.inf
        self.interval_max_start_s: float | None = None
        self.acc_norms_mps2: list[np.ndarray[tuple[int], np.dtype[np.float32]]] = []
        self.acc_sum_mps2 = np.zeros(3)
        self.gyr_abs_max_rads = 0.0

    def add(self, block: SampleBlock) -> None:
        if len(block) == 0:
            return
        timestamp_s = block.timestamp_s
        if self.end_s is not None:
            timestamp_s = np.concatenate(([self.end_s], timestamp_s))
        intervals_s = np.diff(timestamp_s)
        if intervals_s.size:
            i = int(np.argmax(intervals_s))
            if intervals_s[i] > self.interval_max_s:
                self.interval_max_s = float(intervals_s[i])
                self.interval_max_start_s = float(timestamp_s[i])
            self.intervals_s.append(intervals_s)
        if self.start_s is None:
            self.start_s = float(block.timestamp_s[0])
        self.end_s = float(block.timestamp_s[-1])
        self.samples += len(block)
        norms = np.linalg.norm(block.acc_mps2, axis=1)
        self.acc_norms_mps2.append(norms.astype(np.float32))
        self.acc_sum_mps2 += block.acc_mps2.sum(axis=0)
        self.gyr_abs_max_rads = max(self.gyr_abs_max_rads, float(np.abs(block.gyr_rads).max()))


def summarize(
    reader: RecordingReader, on_block: Callable[[], None] | None = None
) -> RecordingSummary:
    """Read every block of ``reader`` (validating the whole file) and summarise it.

    ``on_block`` is called after each block (to advance a progress bar by
    ``reader.bytes_read``).

    Raises:
        RecordingError: the file is not a valid recording.
    """
    acc = _Accumulator()
    for block in reader.blocks():
        acc.add(block)
        if on_block is not None:
            on_block()
    gaps = _gaps(acc)
    has_samples = acc.samples > 0
    mean = acc.acc_sum_mps2 / acc.samples if has_samples else None
    return RecordingSummary(
        path=reader.path,
        size_bytes=reader.size_bytes,
        metadata=reader.metadata,
        columns=reader.columns,
        extra_columns=reader.extra_columns,
        samples=acc.samples,
        start_s=acc.start_s,
        end_s=acc.end_s,
        duration_s=None if acc.start_s is None or acc.end_s is None else acc.end_s - acc.start_s,
        median_period_s=gaps.median_period_s,
        median_rate_hz=None if gaps.median_period_s is None else 1.0 / gaps.median_period_s,
        gap_count=gaps.count,
        missing_samples=gaps.missing_samples,
        longest_gap_s=acc.interval_max_s if gaps.count else None,
        longest_gap_start_s=acc.interval_max_start_s if gaps.count else None,
        acc_norm_median_mps2=(
            float(np.median(np.concatenate(acc.acc_norms_mps2))) if has_samples else None
        ),
        acc_mean_mps2=None if mean is None else (float(mean[0]), float(mean[1]), float(mean[2])),
        gyr_abs_max_rads=acc.gyr_abs_max_rads if has_samples else None,
    )


@dataclass(frozen=True, slots=True)
class _Gaps:
    median_period_s: float | None
    count: int
    missing_samples: int


def _gaps(acc: _Accumulator) -> _Gaps:
    """Median sampling interval and the intervals longer than GAP_FACTOR times it."""
    if not acc.intervals_s:
        return _Gaps(None, 0, 0)
    intervals_s = np.concatenate(acc.intervals_s)
    acc.intervals_s.clear()
    median_s = float(np.median(intervals_s))
    long_s = intervals_s[intervals_s > GAP_FACTOR * median_s]
    missing = int(np.sum(np.rint(long_s / median_s) - 1.0)) if long_s.size else 0
    return _Gaps(median_s, int(long_s.size), missing)
