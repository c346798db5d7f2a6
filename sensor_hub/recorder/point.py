"""One time-series point, store-neutral: the unit the writers batch, spill and replay.

Only numeric fields (``float``, ``int``, ``bool``) and string tags: stores that drop string
fields (VictoriaMetrics keeps them as 0) keep everything.  A point is identified by its
measurement, tag set and timestamp, so writing it twice overwrites (idempotent replay).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["FieldValue", "Point", "PointError", "to_line_protocol"]

FieldValue = float | int | bool

_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PointError(ValueError):
    """A point that no store could accept (bad name, empty fields, non-finite value)."""


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int

    def __post_init__(self) -> None:
        if not _NAME.match(self.measurement):
            raise PointError(f"bad measurement name {self.measurement!r}")
        if not self.fields:
            raise PointError(f"{self.measurement}: a point needs at least one field")
        for key in (*self.tags, *self.fields):
            if not _NAME.match(key):
                raise PointError(f"{self.measurement}: bad tag or field name {key!r}")
        for key, value in self.tags.items():
            if not value or any(c in value for c in "\n\r"):
                raise PointError(f"{self.measurement}: bad value for tag {key!r}: {value!r}")
        for key, number in self.fields.items():
            if isinstance(number, float) and not math.isfinite(number):
                raise PointError(f"{self.measurement}: field {key!r} is {number}")

    @property
    def series_key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Measurement and sorted tags: what, with the timestamp, identifies the point."""
        return self.measurement, tuple(sorted(self.tags.items()))


def _escape_key(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    return repr(float(value))


def to_line_protocol(point: Point) -> str:
    """InfluxDB line protocol, nanosecond precision, tags and fields sorted by key."""
    tags = "".join(f",{_escape_key(k)}={_escape_key(v)}" for k, v in sorted(point.tags.items()))
    fields = ",".join(f"{_escape_key(k)}={_field(v)}" for k, v in sorted(point.fields.items()))
    return f"{_escape_key(point.measurement)}{tags} {fields} {point.time_ns}"
