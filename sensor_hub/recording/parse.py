"""Parse a chunk of data lines into numbers: vectorised first, line by line only on failure.

The fast path hands the whole chunk to :func:`numpy.loadtxt` (C code, no Python object per
value).  It refuses anything unusual (invalid UTF-8, quotes, a wrong number of fields, a value
numpy cannot parse, NaN or infinity); the chunk is then scanned line by line, which finds the
first bad line and says what is wrong with it.  Both paths accept the same number syntax, so
whether a file is valid never depends on how it was cut into chunks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from sensor_hub.recording.columns import REQUIRED_COLUMNS, ColumnLayout, split_fields
from sensor_hub.recording.errors import RecordingError, quote_value
from sensor_hub.recording.header import LONE_CR_PROBLEM, decode_line
from sensor_hub.samples import FloatArray

__all__ = ["ChunkParser", "PreviousSample", "check_time_increasing"]

# numpy.loadtxt's syntax: ASCII digits, surrounding (Unicode) whitespace allowed.
_NUMBER = re.compile(r"\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*")
_NON_FINITE = re.compile(r"\s*[+-]?(?:nan|inf|infinity)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PreviousSample:
    """The last sample before a chunk: its timestamp (s) and its line."""

    timestamp_s: float
    line: int


def _time_problem(timestamp_s: float, previous: PreviousSample) -> str:
    return (
        f"timestamp_s {timestamp_s:.6f} is not after the previous sample's "
        f"{previous.timestamp_s:.6f} (line {previous.line})"
    )


def check_time_increasing(
    path: str, timestamp_s: FloatArray, first_line: int, previous: PreviousSample | None
) -> None:
    """Raise :class:`RecordingError` at the first sample not after the one before it.

    ``timestamp_s[i]`` is on line ``first_line + i``; ``previous`` is the sample before the
    chunk (``None`` at the start of the file).
    """
    if previous is not None:
        timestamp_s = np.concatenate(([previous.timestamp_s], timestamp_s))
        first_line -= 1
    bad = np.flatnonzero(~(np.diff(timestamp_s) > 0.0))
    if bad.size:
        i = int(bad[0])
        before = PreviousSample(float(timestamp_s[i]), first_line + i)
        raise RecordingError(
            path, first_line + i + 1, _time_problem(float(timestamp_s[i + 1]), before)
        )


@dataclass(frozen=True, slots=True)
class ChunkParser:
    """Turns data lines of one file into an ``(n, 7)`` array in :data:`REQUIRED_COLUMNS` order.

    Attributes:
        path: the file (for error messages).
        layout: the header row's columns.
    """

    path: str
    layout: ColumnLayout

    def parse(
        self, lines: list[bytes], first_line: int, previous: PreviousSample | None
    ) -> FloatArray:
        """Parse ``lines`` (raw, with line endings); ``lines[0]`` is line ``first_line``.

        Values are as written (recording axes); time order is checked only when the chunk
        falls back to the line-by-line scan (use :func:`check_time_increasing` after).

        Raises:
            RecordingError: at the first line that is not a valid data row.
        """
        values = self._parse_fast(lines)
        if values is None:
            values = self._scan(lines, first_line, previous)
        return values

    def _parse_fast(self, lines: list[bytes]) -> FloatArray | None:
        """The whole chunk in one vectorised parse, or ``None`` if anything is unusual."""
        chunk = b"".join(lines)
        if not chunk.isascii():
            try:
                chunk.decode("utf-8")
            except UnicodeDecodeError:
                return None
        if b'"' in chunk:
            return None
        commas = np.fromiter(map(bytes.count, lines, repeat(b",")), np.int64, len(lines))
        if np.any(commas != len(self.layout.columns) - 1):
            return None
        try:
            values: FloatArray = np.loadtxt(
                lines,
                dtype=np.float64,
                delimiter=",",
                comments=None,
                usecols=self.layout.usecols,
                ndmin=2,
                encoding="utf-8",
                quotechar=None,
            )
        except ValueError:
            return None
        if values.shape != (len(lines), len(REQUIRED_COLUMNS)) or not np.isfinite(values).all():
            return None
        return values

    def _scan(
        self, lines: list[bytes], first_line: int, previous: PreviousSample | None
    ) -> FloatArray:
        """Parse line by line, raising at the first bad line (the slow, precise path)."""
        values = np.empty((len(lines), len(REQUIRED_COLUMNS)))
        for i, raw in enumerate(lines):
            line = first_line + i
            values[i] = self._parse_line(raw, line)
            timestamp_s = float(values[i, 0])
            if previous is not None and not timestamp_s > previous.timestamp_s:
                raise RecordingError(self.path, line, _time_problem(timestamp_s, previous))
            previous = PreviousSample(timestamp_s, line)
        return values

    def _parse_line(self, raw: bytes, line: int) -> list[float]:
        text = decode_line(raw, self.path, line)
        if not text.strip():
            raise RecordingError(
                self.path, line, "blank line: every line after the header must be a data row"
            )
        if "\r" in text:
            raise RecordingError(self.path, line, LONE_CR_PROBLEM)
        try:
            fields = split_fields(text)
        except ValueError as exc:
            raise RecordingError(self.path, line, str(exc)) from None
        columns = self.layout.columns
        if len(fields) != len(columns):
            raise RecordingError(
                self.path,
                line,
                f"expected {len(columns)} fields (as in the header row), found {len(fields)}",
            )
        return [self._number(fields[i], columns[i], line) for i in self.layout.usecols]

    def _number(self, field: str, column: str, line: int) -> float:
        if not field.strip():
            raise RecordingError(self.path, line, f"column {column} is empty")
        if _NON_FINITE.fullmatch(field):
            problem = f"column {column}: {quote_value(field)} is not a finite number"
            raise RecordingError(self.path, line, problem)
        number = _NUMBER.fullmatch(field)
        if number is None:
            raise RecordingError(
                self.path, line, f"column {column}: {quote_value(field)} is not a number"
            )
        value = float(number.group(1))
        if not math.isfinite(value):
            raise RecordingError(
                self.path, line, f"column {column}: {quote_value(field)} overflows a float64"
            )
        return value
