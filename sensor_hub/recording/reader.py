"""Stream a recording file as :class:`~sensor_hub.samples.SampleBlock` s, validating as it goes."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import Self

import numpy as np

from sensor_hub.recording.columns import REQUIRED_COLUMNS
from sensor_hub.recording.errors import RecordingError
from sensor_hub.recording.header import RecordingHeader, read_header
from sensor_hub.recording.parse import ChunkParser, PreviousSample, check_time_increasing
from sensor_hub.samples import FloatArray, SampleBlock

__all__ = [
    "ACC_MEDIAN_MIN_MPS2",
    "CHUNK_ROWS",
    "GYR_ABS_MAX_RADS",
    "Recording",
    "RecordingReader",
    "read_recording",
]

#: Data lines parsed at a time (bounds memory); the first chunk is the unit-check window.
CHUNK_ROWS = 65536
#: Median |acc| below this in the first chunk means the file is in g, not m/s^2.
ACC_MEDIAN_MIN_MPS2 = 2.5
#: |gyro| above this (~2300 deg/s, beyond any IMU's range) means deg/s, not rad/s.
GYR_ABS_MAX_RADS = 40.0


class RecordingReader:
    """Read a recording (format v1) block by block, never holding the whole file.

    Opening parses the metadata and the header row (errors are raised then); :meth:`blocks`
    then parses the data rows in chunks of :data:`CHUNK_ROWS` lines and yields blocks of at
    most ``rows_per_block`` samples, in the body axis convention (``axes`` metadata applied).

    Any problem with the content raises :class:`RecordingError` (so does a file that cannot be
    opened).  Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], *, rows_per_block: int = 65536) -> None:
        if rows_per_block < 1:
            raise ValueError(f"rows_per_block must be at least 1, got {rows_per_block}")
        self._path = os.fspath(path)
        self._rows_per_block = rows_per_block
        try:
            self._file = open(self._path, "rb")  # noqa: SIM115 (closed by close())
            self._size_bytes = os.fstat(self._file.fileno()).st_size
        except OSError as exc:
            raise RecordingError(self._path, None, f"cannot open: {exc.strerror}") from None
        try:
            self._header: RecordingHeader = read_header(self._file, self._path)
        except BaseException:
            self._file.close()
            raise
        self._bytes_read = self._header.data_offset_bytes
        self._parser = ChunkParser(self._path, self._header.layout)

    @property
    def path(self) -> str:
        """The file being read."""
        return self._path

    @property
    def metadata(self) -> Mapping[str, str]:
        """The ``# key=value`` metadata, verbatim (including ``format`` and ``axes``)."""
        return self._header.metadata

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of the header row, in file order."""
        return self._header.layout.columns

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns beyond :data:`REQUIRED_COLUMNS` (ignored), in file order."""
        return self._header.layout.extra_columns

    @property
    def size_bytes(self) -> int:
        """Size of the file when opened, in bytes."""
        return self._size_bytes

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (for a progress bar against :attr:`size_bytes`)."""
        return self._bytes_read

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._file.close()

    def blocks(self) -> Iterator[SampleBlock]:
        """Yield the samples in blocks of at most ``rows_per_block``, in file order.

        Each call starts again from the first data row.  A header with no data rows is a
        valid empty recording: nothing is yielded.

        Raises:
            RecordingError: at the first bad row (earlier rows may have been yielded).
        """
        size = self._rows_per_block
        pending: list[SampleBlock] = []
        pending_rows = 0
        for chunk in self._chunks():
            pending.append(chunk)
            pending_rows += len(chunk)
            if pending_rows < size:
                continue
            joined = SampleBlock.concat(pending) if len(pending) > 1 else chunk
            full = pending_rows - pending_rows % size
            for start in range(0, full, size):
                yield joined.slice(start, start + size)
            pending = [joined.slice(full, pending_rows)] if full < pending_rows else []
            pending_rows -= full
        if pending_rows:
            yield SampleBlock.concat(pending)

    def _chunks(self) -> Iterator[SampleBlock]:
        """Parse and check :data:`CHUNK_ROWS` lines at a time."""
        if self._file.closed:
            raise ValueError(f"reader of {self._path} is closed")
        self._file.seek(self._header.data_offset_bytes)
        self._bytes_read = self._header.data_offset_bytes
        line = self._header.header_line + 1
        previous: PreviousSample | None = None
        while lines := list(islice(self._file, CHUNK_ROWS)):
            values = self._parser.parse(lines, line, previous)
            check_time_increasing(self._path, values[:, 0], line, previous)
            if previous is None:
                _check_units_plausible(self._path, values, line)
            line += len(lines)
            previous = PreviousSample(float(values[-1, 0]), line - 1)
            self._bytes_read = self._file.tell()
            axes = self._header.axes
            yield SampleBlock(
                np.ascontiguousarray(values[:, 0]),
                np.ascontiguousarray(axes.apply(values[:, 1:4])),
                np.ascontiguousarray(axes.apply(values[:, 4:7])),
            )


def _check_units_plausible(path: str, values: FloatArray, first_line: int) -> None:
    """Catch g-for-m/s^2 and deg/s-for-rad/s files by their values (first chunk only)."""
    acc_norm_mps2 = np.linalg.norm(values[:, 1:4], axis=1)
    median_mps2 = float(np.median(acc_norm_mps2))
    if median_mps2 < ACC_MEDIAN_MIN_MPS2:
        raise RecordingError(
            path,
            first_line,
            f"accelerometer looks like g, not m/s^2: median |acc| of the first "
            f"{len(values)} samples is {median_mps2:.3g} (about 9.81 expected at rest); "
            "multiply by 9.80665",
        )
    gyr_abs_rads = np.abs(values[:, 4:7])
    over = np.flatnonzero((gyr_abs_rads > GYR_ABS_MAX_RADS).any(axis=1))
    if over.size:
        row = int(over[0])
        axis = int(np.argmax(gyr_abs_rads[row]))
        name = REQUIRED_COLUMNS[4 + axis]
        raise RecordingError(
            path,
            first_line + row,
            f"gyroscope looks like deg/s, not rad/s: {name} = {values[row, 4 + axis]:.6g} "
            f"exceeds {GYR_ABS_MAX_RADS:g} rad/s (~2300 deg/s, beyond any IMU range); "
            "multiply by pi/180",
        )


@dataclass(frozen=True, eq=False, slots=True)
class Recording:
    """A whole recording in memory (small files; stream big ones with :class:`RecordingReader`).

    Attributes:
        samples: every sample, body axes.
        metadata: the ``# key=value`` metadata, verbatim.
        extra_columns: columns beyond :data:`REQUIRED_COLUMNS` (their values are not kept).
    """

    samples: SampleBlock
    metadata: Mapping[str, str]
    extra_columns: tuple[str, ...]


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a whole recording into memory.

    Raises:
        RecordingError: the file cannot be opened or is not a valid recording.
    """
    with RecordingReader(path) as reader:
        samples = SampleBlock.concat(list(reader.blocks()))
        return Recording(samples, reader.metadata, reader.extra_columns)
