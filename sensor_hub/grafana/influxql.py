"""InfluxQL for the Grafana dashboard, built from the store schema (:mod:`sensor_hub.schema`).

Every measurement, field and tag a query names is looked up in
:data:`~sensor_hub.schema.MEASUREMENTS` (a name the schema does not have raises
:class:`SchemaMismatchError`), so a renamed field breaks the generator, not a panel at runtime.

The queries use Grafana's macros and the dashboard's variables: ``$timeFilter``,
``$__interval``, ``$wearer`` and ``$sensor`` (regex-matched, so "All" and multi-value
selections work).  Only InfluxQL that InfluxDB 1.x, 2.x (through the
DBRP mapping) and 3.x all run: ``SELECT`` with aggregates, ``WHERE`` on tags, fields and time,
``GROUP BY time(), tag``, ``fill()``, one level of subquery, ``SHOW TAG VALUES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from sensor_hub.schema import CODE_TABLES, MEASUREMENTS, Measurement, Tag

__all__ = [
    "INTERVAL",
    "SENSOR_VARIABLE_QUERY",
    "TIME_FILTER",
    "WEARER_VARIABLE_QUERY",
    "Query",
    "SchemaMismatchError",
    "code_count",
    "field_ref",
    "select",
    "tag_filters",
    "tag_ref",
]

TIME_FILTER: Final = "$timeFilter"
INTERVAL: Final = "$__interval"
#: The ``wearer`` variable: every wearer the store has seen.
WEARER_VARIABLE_QUERY: Final = f'SHOW TAG VALUES WITH KEY = "{Tag.WEARER.value}"'
#: The ``sensor`` variable: the sensors (roles) of the chosen wearer.
SENSOR_VARIABLE_QUERY: Final = (
    f'SHOW TAG VALUES FROM "{Measurement.POSTURE.value}" WITH KEY = "{Tag.SENSOR.value}" '
    f'WHERE "{Tag.WEARER.value}" =~ /^$wearer$/'
)


class SchemaMismatchError(ValueError):
    """A query names a measurement, field, tag or code the schema does not have."""


@dataclass(frozen=True, slots=True)
class Query:
    """One panel target: raw InfluxQL with the dashboard's macros and variables."""

    measurement: str
    text: str
    alias: str | None = None
    table: bool = False


def field_ref(measurement: str, name: str) -> str:
    """``"name"``, after checking that ``measurement`` has the field."""
    spec = MEASUREMENTS.get(Measurement(measurement))
    if spec is None or name not in spec.fields:
        raise SchemaMismatchError(f"measurement {measurement!r} has no field {name!r}")
    return f'"{name}"'


def tag_ref(measurement: str, tag: Tag) -> str:
    """``"tag"``, after checking that ``measurement`` has the tag."""
    if tag not in MEASUREMENTS[Measurement(measurement)].tags:
        raise SchemaMismatchError(f"measurement {measurement!r} has no tag {tag.value!r}")
    return f'"{tag.value}"'


def code_of(field: str, label: str) -> int:
    """The code of ``label`` in the field's code table."""
    table = CODE_TABLES.get(field)
    for code, text in (table or {}).items():
        if text == label:
            return code
    raise SchemaMismatchError(f"field {field!r} has no code labelled {label!r}")


def tag_filters(measurement: str, *, sensor: bool = False) -> list[str]:
    """The wearer filter (and the sensor filter) for a measurement that has those tags."""
    tags = MEASUREMENTS[Measurement(measurement)].tags
    out = []
    if Tag.WEARER in tags:
        out.append(f"{tag_ref(measurement, Tag.WEARER)} =~ /^$wearer$/")
    if sensor and Tag.SENSOR in tags:
        out.append(f"{tag_ref(measurement, Tag.SENSOR)} =~ /^$sensor$/")
    return out


def select(
    measurement: str,
    exprs: Sequence[str],
    *,
    where: Iterable[str] = (),
    sensor: bool = False,
    by_time: bool = True,
    group_tags: Iterable[Tag] = (),
    fill: str | None = "none",
    source: str | None = None,
    filters: bool = True,
) -> str:
    """``SELECT exprs FROM "measurement" WHERE $timeFilter AND wearer [AND sensor] AND where
    [GROUP BY time($__interval), tags] [fill(...)]`` (``source``: a subquery instead, and
    ``filters=False`` leaves the wearer and sensor out: the subquery has them)."""
    tags = tag_filters(measurement, sensor=sensor) if filters else []
    conditions = [TIME_FILTER, *tags, *where]
    origin = source if source is not None else f'"{measurement}"'
    text = f"SELECT {', '.join(exprs)} FROM {origin}"  # noqa: S608 - names from the schema
    text += " WHERE " + " AND ".join(conditions)
    groups = [f"time({INTERVAL})"] if by_time else []
    groups += [tag_ref(measurement, t) for t in group_tags]
    if groups:
        text += " GROUP BY " + ", ".join(groups)
    if by_time and fill is not None:
        text += f" fill({fill})"
    return text


def code_count(measurement: str, field: str, code: int, *, where: Iterable[str] = ()) -> Query:
    """How many points of ``field`` equal ``code`` in the time range (aliased by its label)."""
    label = CODE_TABLES[field][code]
    ref = field_ref(measurement, field)
    text = select(
        measurement,
        [f'count({ref}) AS "{label}"'],
        where=[*where, f"{ref} = {code}"],
        sensor=True,
        by_time=False,
    )
    return Query(measurement, text, alias=label)
