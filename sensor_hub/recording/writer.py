"""Write recordings (format v1), atomically: a temporary file renamed into place on success.

Precision written: ``timestamp_s`` with 6 decimals (1 us), accelerometer with 5 decimals
(1e-5 m/s^2), gyroscope with 6 decimals (1e-6 rad/s).  That is finer than the sensors resolve:
an int16 accelerometer at +-16 g has 4.8e-3 m/s^2 per count, an int16 gyroscope at
+-2000 deg/s has 1.1e-3 rad/s per count.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from types import TracebackType
from typing import Self

import numpy as np

from sensor_hub.recording.columns import REQUIRED_COLUMNS
from sensor_hub.recording.header import (
    AXES_KEY,
    FORMAT_KEY,
    FORMAT_V1,
    IDENTITY_AXES,
    METADATA_KEY_PATTERN,
)
from sensor_hub.samples import SampleBlock

__all__ = ["RecordingWriter", "write_recording"]

#: One data row; the decimals are the precision of the format (see the module docstring).
_ROW_FORMAT = "%.6f,%.5f,%.5f,%.5f,%.6f,%.6f,%.6f\n"
#: Rows formatted per string (bounds memory for huge blocks).
_FORMAT_ROWS = 65536
#: Timestamps this close (s) are compared as written (rounded to 1 us) rather than as floats.
_TIMESTAMP_CHECK_S = 2e-6


class RecordingWriter:
    """Write a recording block by block; the file appears only when closed successfully.

    Writes ``# format=posture-recording/1``, ``# axes=+x,+y,+z``, the other metadata as
    ``# key=value`` lines, the header row (exactly :data:`REQUIRED_COLUMNS`) and one row per
    sample, into a temporary file next to ``path``.  :meth:`close` (or leaving the ``with``
    block normally) renames it to ``path``; an exception inside the ``with`` block, or
    :meth:`abort`, deletes it, so a half-written file never poses as a complete recording.
    (Used without ``with``, call :meth:`close` or :meth:`abort`, or the temporary file stays.)

    Values must be finite; timestamps strictly increasing as written (1 us resolution).

    Raises:
        ValueError: bad metadata (keys must match ``[A-Za-z0-9_.-]+``; values must be one line
            without surrounding blanks; ``format``/``axes`` may only repeat the defaults).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, metadata: Mapping[str, str] | None = None
    ) -> None:
        self._path = os.fspath(path)
        preamble = _preamble(metadata or {})
        self._temp_path, descriptor = _create_temp(self._path)
        self._file = os.fdopen(descriptor, "wb")
        try:
            self._file.write(preamble.encode("utf-8"))
        except BaseException:
            self.abort()
            raise
        self._last_timestamp_s: float | None = None
        self._rows_written = 0

    @property
    def path(self) -> str:
        """Where the recording appears on :meth:`close`."""
        return self._path

    @property
    def rows_written(self) -> int:
        """Samples written so far."""
        return self._rows_written

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write_block(self, block: SampleBlock) -> None:
        """Append ``block`` (body axes, SI units).

        Raises:
            ValueError: a non-finite value, or a timestamp not after the previous one (within
                the block or across blocks) as written, i.e. at 1 us resolution.
        """
        if self._file.closed:
            raise ValueError(f"writer of {self._path} is closed")
        if len(block) == 0:
            return
        _check_block(block, self._last_timestamp_s)
        table = np.column_stack((block.timestamp_s, block.acc_mps2, block.gyr_rads))
        for start in range(0, len(table), _FORMAT_ROWS):
            rows = table[start : start + _FORMAT_ROWS]
            text = (_ROW_FORMAT * len(rows)) % tuple(rows.ravel().tolist())
            self._file.write(text.encode("ascii"))
        self._last_timestamp_s = float(block.timestamp_s[-1])
        self._rows_written += len(block)

    def close(self) -> None:
        """Finish the file: flush, sync to disk and rename into place (idempotent)."""
        if self._file.closed:
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp_path, self._path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Discard everything written: close and delete the temporary file (idempotent)."""
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp_path)


def write_recording(
    path: str | os.PathLike[str],
    samples: SampleBlock,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``samples`` as a whole recording (see :class:`RecordingWriter`)."""
    with RecordingWriter(path, metadata=metadata) as writer:
        writer.write_block(samples)


def _preamble(metadata: Mapping[str, str]) -> str:
    """Metadata lines and header row; raises ValueError/TypeError for bad metadata."""
    items = {FORMAT_KEY: FORMAT_V1, AXES_KEY: IDENTITY_AXES}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata keys and values must be str, got {key!r}: {value!r}")
        if not METADATA_KEY_PATTERN.fullmatch(key):
            raise ValueError(f"metadata key {key!r} must match [A-Za-z0-9_.-]+")
        if value.splitlines() not in ([], [value]):
            raise ValueError(f"metadata value of {key!r} must be one line, got {value!r}")
        if value != value.strip():
            raise ValueError(f"metadata value of {key!r} has surrounding blanks: {value!r}")
        if key in items and value != items[key]:
            raise ValueError(
                f"metadata {key!r} is always {items[key]!r} when written (samples are "
                f"in the body convention), got {value!r}"
            )
        items[key] = value
    lines = [f"# {key}={value}\n" for key, value in items.items()]
    return "".join(lines) + ",".join(REQUIRED_COLUMNS) + "\n"


def _check_block(block: SampleBlock, last_timestamp_s: float | None) -> None:
    """Raise ValueError for non-finite values or timestamps not increasing as written."""
    for name, values in (
        ("timestamp_s", block.timestamp_s),
        ("acc_mps2", block.acc_mps2),
        ("gyr_rads", block.gyr_rads),
    ):
        finite = np.isfinite(values).reshape(len(block), -1).all(axis=1)
        if not finite.all():
            row = int(np.argmin(finite))
            raise ValueError(f"{name} of sample {row} is not finite: {values[row]}")
    timestamp_s = block.timestamp_s
    offset = 0
    if last_timestamp_s is not None:
        timestamp_s = np.concatenate(([last_timestamp_s], timestamp_s))
        offset = 1
    # A float difference >= 2 us survives rounding to 1 us; closer pairs are compared as
    # written (Python's round() rounds exactly like the "%.6f" formatting).
    for i in np.flatnonzero(np.diff(timestamp_s) < _TIMESTAMP_CHECK_S).tolist():
        before, after = float(timestamp_s[i]), float(timestamp_s[i + 1])
        if round(after, 6) <= round(before, 6):
            what = "the previous block's last sample" if i < offset else f"sample {i - offset}"
            raise ValueError(
                f"timestamp_s of sample {i + 1 - offset} ({after:.6f}) is not after {what} "
                f"({before:.6f}) at the written resolution of 1 us"
            )


def _create_temp(path: str) -> tuple[str, int]:
    """Create a new, empty temporary file next to ``path`` (mode 0o666 less the umask)."""
    directory, name = os.path.split(os.path.abspath(path))
    for _ in range(100):
        temp_path = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return temp_path, os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file next to {path}")
