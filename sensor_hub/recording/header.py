"""The start of a recording file: ``# key=value`` metadata lines, then the header row.

Also the ``axes`` metadata (how the recording's axes map onto the body convention) and the
line decoding shared with the data rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import BinaryIO

import numpy as np

from sensor_hub.recording.columns import ColumnLayout, HeaderError, parse_header_row
from sensor_hub.recording.errors import RecordingError, quote_value
from sensor_hub.samples import FloatArray

__all__ = [
    "AXES_KEY",
    "FORMAT_KEY",
    "FORMAT_V1",
    "IDENTITY_AXES",
    "LONE_CR_PROBLEM",
    "METADATA_KEY_PATTERN",
    "AxesMap",
    "RecordingHeader",
    "decode_line",
    "parse_axes",
    "read_header",
]

#: Metadata key naming the format; when present its value must be :data:`FORMAT_V1`.
FORMAT_KEY = "format"
FORMAT_V1 = "posture-recording/1"
#: Metadata key giving the recording axes that make up body x, y, z (see :func:`parse_axes`).
AXES_KEY = "axes"
IDENTITY_AXES = "+x,+y,+z"
#: What a metadata key may consist of.
METADATA_KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")

#: The problem reported for a carriage return that does not end a line (old Mac files).
LONE_CR_PROBLEM = "carriage return inside the line: lines must end in \\n or \\r\\n"

_UTF8_BOM = b"\xef\xbb\xbf"
#: Longest comment or header line accepted (guards against reading a binary file whole).
_MAX_HEADER_LINE_BYTES = 1 << 20
_AXIS_PATTERN = re.compile(r"([+-])([xyz])")


@dataclass(frozen=True, slots=True)
class AxesMap:
    """A signed permutation: body axis ``i`` = ``signs[i]`` x recording axis ``perm[i]``."""

    perm: tuple[int, int, int]
    signs: tuple[float, float, float]

    @property
    def is_identity(self) -> bool:
        """True when the recording already uses the body convention."""
        return self.perm == (0, 1, 2) and self.signs == (1.0, 1.0, 1.0)

    def apply(self, xyz: FloatArray) -> FloatArray:
        """Vectors ``(n, 3)`` in recording axes -> the same vectors in body axes."""
        if self.is_identity:
            return xyz
        body: FloatArray = xyz[:, list(self.perm)] * np.asarray(self.signs)
        return body


def parse_axes(text: str) -> AxesMap:
    """Parse an ``axes`` value such as ``"+y,-x,+z"`` (body x = recording +y, ...).

    Raises:
        ValueError: not three signed axes using each of x, y, z once, or left-handed
            (determinant -1: that would mirror the data, no rotation of a sensor does that).
    """
    items = [item.strip() for item in text.split(",")]
    matches = [_AXIS_PATTERN.fullmatch(item) for item in items]
    if len(items) != 3 or not all(matches):
        raise ValueError(
            f"invalid axes {quote_value(text)}: expected three signed recording axes "
            "for body x,y,z such as +x,+y,+z or +y,-x,+z"
        )
    perm = tuple("xyz".index(m.group(2)) for m in matches if m)
    signs = tuple(1.0 if m.group(1) == "+" else -1.0 for m in matches if m)
    if sorted(perm) != [0, 1, 2]:
        raise ValueError(f"invalid axes {quote_value(text)}: must use each of x, y, z once")
    matrix = np.zeros((3, 3))
    matrix[[0, 1, 2], list(perm)] = signs
    if np.linalg.det(matrix) < 0:
        raise ValueError(
            f"invalid axes {quote_value(text)}: left-handed (determinant -1); "
            "a sensor frame is right-handed, flip one sign"
        )
    return AxesMap((perm[0], perm[1], perm[2]), (signs[0], signs[1], signs[2]))


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    """Everything before the data rows.

    Attributes:
        metadata: ``# key=value`` pairs, verbatim (values stripped of surrounding blanks).
        layout: the header row's columns.
        axes: recording -> body axes (from ``axes`` metadata; identity when absent).
        header_line: 1-based line of the header row.
        data_offset_bytes: byte offset of the first data row.
    """

    metadata: Mapping[str, str]
    layout: ColumnLayout
    axes: AxesMap
    header_line: int
    data_offset_bytes: int


def decode_line(raw: bytes, path: str, line: int) -> str:
    """A raw line as text without its line ending (``\\n`` or ``\\r\\n``)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordingError(
            path, line, f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
        ) from None
    return text.removesuffix("\n").removesuffix("\r")


def read_header(file: BinaryIO, path: str) -> RecordingHeader:
    """Read metadata lines and the header row from ``file`` (binary, at its start).

    Raises:
        RecordingError: empty file, no header row, malformed metadata, bad header row.
    """
    metadata: dict[str, str] = {}
    key_lines: dict[str, int] = {}
    line = 0
    while True:
        raw = file.readline(_MAX_HEADER_LINE_BYTES)
        line += 1
        if line == 1:
            raw = raw.removeprefix(_UTF8_BOM)
        if not raw:
            if line == 1:
                raise RecordingError(
                    path, 1, "file is empty: expected '# key=value' lines and a header row"
                )
            raise RecordingError(
                path, line - 1, f"file ends after {line - 1} comment line(s): no header row"
            )
        if len(raw) == _MAX_HEADER_LINE_BYTES and not raw.endswith(b"\n"):
            raise RecordingError(path, line, "line longer than 1 MiB before the data rows")
        text = decode_line(raw, path, line)
        if "\r" in text:
            raise RecordingError(path, line, LONE_CR_PROBLEM)
        if not text.startswith("#"):
            break
        _add_metadata(text, path, line, metadata, key_lines)
    if not text.strip():
        raise RecordingError(path, line, "blank line where the header row was expected")
    try:
        layout = parse_header_row(text)
    except HeaderError as exc:
        raise RecordingError(path, line, str(exc)) from None
    axes = AxesMap((0, 1, 2), (1.0, 1.0, 1.0))
    if AXES_KEY in metadata:
        try:
            axes = parse_axes(metadata[AXES_KEY])
        except ValueError as exc:
            raise RecordingError(path, key_lines[AXES_KEY], str(exc)) from None
    return RecordingHeader(MappingProxyType(metadata), layout, axes, line, file.tell())


def _add_metadata(
    text: str, path: str, line: int, metadata: dict[str, str], key_lines: dict[str, int]
) -> None:
    """Record a ``# key=value`` line; any other ``#`` line (no ``=``, or text before the ``=``
    that is not a key of ``[A-Za-z0-9_.-]+``, as in ``# see http://x?a=b``) is a plain comment."""
    body = text[1:].strip()
    if "=" not in body:
        return
    key, value = (part.strip() for part in body.split("=", 1))
    if not METADATA_KEY_PATTERN.fullmatch(key):
        return
    if key in metadata:
        first = key_lines[key]
        problem = f"duplicate metadata key {quote_value(key)} (first on line {first})"
        raise RecordingError(path, line, problem)
    if key == FORMAT_KEY and value != FORMAT_V1:
        raise RecordingError(
            path, line, f"unsupported format {quote_value(value)}: this reader reads {FORMAT_V1}"
        )
    metadata[key] = value
    key_lines[key] = line
