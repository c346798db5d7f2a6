"""The header row of a recording: required columns, their units, and what to do when wrong.

Column names carry their unit as a suffix (``acc_x_mps2``: m/s^2, ``gyr_x_rads``: rad/s,
``timestamp_s``: seconds).  A header that names a required quantity in another unit
(``acc_x_g``, ``gyr_x_dps``, ...) is rejected with the conversion to apply, rather than
silently read as the wrong unit.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass

from sensor_hub.recording.errors import quote_value

__all__ = ["REQUIRED_COLUMNS", "ColumnLayout", "HeaderError", "parse_header_row", "split_fields"]

#: The columns every recording has (in any order in the file); the writer writes exactly these.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "timestamp_s",
    "acc_x_mps2",
    "acc_y_mps2",
    "acc_z_mps2",
    "gyr_x_rads",
    "gyr_y_rads",
    "gyr_z_rads",
)


@dataclass(frozen=True, slots=True)
class _Quantity:
    """A required quantity: its column prefix, the expected unit and known wrong units."""

    prefix: str
    unit: str
    unit_text: str
    #: unit suffix found -> (human name of that unit, what to do).
    known: dict[str, tuple[str, str]]


_RENAME = "same unit, rename the column"
_TIME = _Quantity(
    "timestamp",
    "s",
    "seconds",
    {
        "ms": ("milliseconds", "multiply by 0.001"),
        "us": ("microseconds", "multiply by 1e-6"),
        "ns": ("nanoseconds", "multiply by 1e-9"),
        "sec": ("seconds", _RENAME),
    },
)
_ACC = {
    "g": ("g", "multiply by 9.80665"),
    "mg": ("milli-g", "multiply by 0.00980665"),
    "ms2": ("m/s^2", _RENAME),
    "m_s2": ("m/s^2", _RENAME),
}
_DEG = ("deg/s", "multiply by pi/180")
_GYR = {
    "dps": _DEG,
    "degs": _DEG,
    "deg_s": _DEG,
    "degps": _DEG,
    "deg": _DEG,
    "mdps": ("milli-deg/s", "multiply by pi/180000"),
    "rad_s": ("rad/s", _RENAME),
    "radps": ("rad/s", _RENAME),
}
_QUANTITIES: tuple[_Quantity, ...] = (
    _TIME,
    *(_Quantity(f"acc_{axis}", "mps2", "m/s^2", _ACC) for axis in "xyz"),
    *(_Quantity(f"gyr_{axis}", "rads", "rad/s", _GYR) for axis in "xyz"),
)


class HeaderError(ValueError):
    """The header row is unusable; the message is one line (the reader adds file and line)."""


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """Where the required columns are in a recording's rows.

    Attributes:
        columns: every column name, in file order.
        usecols: index in ``columns`` of each of :data:`REQUIRED_COLUMNS`, in that order.
        extra_columns: names of the columns that are not required (ignored), in file order.
    """

    columns: tuple[str, ...]
    usecols: tuple[int, ...]
    extra_columns: tuple[str, ...]


def split_fields(text: str) -> list[str]:
    """The comma-separated fields of one line (CSV quoting honoured when present).

    Raises:
        ValueError: quoting the csv module cannot read (a field over its size limit, say).
    """
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader([text]))
    except csv.Error as exc:
        raise ValueError(f"unreadable CSV quoting: {exc}") from None


def parse_header_row(text: str) -> ColumnLayout:
    """Parse a header row (without its line ending) into a :class:`ColumnLayout`.

    Raises:
        HeaderError: empty or duplicate names, a required quantity in another unit, or
            missing required columns.
    """
    try:
        names = tuple(name.strip() for name in split_fields(text))
    except ValueError as exc:
        raise HeaderError(str(exc)) from None
    if all(_looks_numeric(name) for name in names):
        raise HeaderError(
            f"no header row: this line looks like data; the first line that is not a '#' "
            f"comment must name the columns, e.g. {','.join(REQUIRED_COLUMNS)}"
        )
    for position, name in enumerate(names, start=1):
        if not name:
            raise HeaderError(f"header column {position} has an empty name")
    _check_duplicates(names)
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        _check_units(names)
        raise HeaderError(
            f"missing required column(s) {', '.join(missing)}; "
            f"a recording needs {','.join(REQUIRED_COLUMNS)} (any order)"
        )
    index = {name: position for position, name in enumerate(names)}
    required = set(REQUIRED_COLUMNS)
    return ColumnLayout(
        columns=names,
        usecols=tuple(index[name] for name in REQUIRED_COLUMNS),
        extra_columns=tuple(name for name in names if name not in required),
    )


def _looks_numeric(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


def _check_duplicates(names: Sequence[str]) -> None:
    first_position: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in first_position:
            raise HeaderError(
                f"duplicate column name {quote_value(name)} "
                f"(columns {first_position[name]} and {position})"
            )
        first_position[name] = position


def _check_units(names: Sequence[str]) -> None:
    """Raise when a missing required quantity is present under another unit suffix."""
    # (unit found, expected unit, fix) -> [(column found, column expected)]
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for quantity in _QUANTITIES:
        expected = f"{quantity.prefix}_{quantity.unit}"
        if expected in names:
            continue
        for name in names:
            if name == quantity.prefix:
                found, fix = "an unstated unit", "check the unit, convert if needed, rename"
            elif name.startswith(quantity.prefix + "_"):
                suffix = name[len(quantity.prefix) + 1 :]
                found, fix = quantity.known.get(
                    suffix, (f"unrecognised unit {quote_value(suffix)}", "convert and rename")
                )
            else:
                continue
            key = (found, quantity.unit_text, fix)
            groups.setdefault(key, []).append((name, expected))
    if not groups:
        return
    parts = []
    for (found, unit_text, fix), pairs in groups.items():
        have = ", ".join(name for name, _ in pairs)
        want = ", ".join(name for _, name in pairs)
        verb = "is" if len(pairs) == 1 else "are"
        parts.append(f"{have} {verb} in {found}, expected {unit_text} as {want}: {fix}")
    raise HeaderError("wrong unit: " + "; ".join(parts))
