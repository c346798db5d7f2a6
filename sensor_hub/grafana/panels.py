"""Grafana panels as plain data, and their JSON (dashboard schema version 39, Grafana 10/11).

A :class:`Panel` is what the generator decides (title, kind, queries, unit, code table); its
JSON (ids, grid positions, targets, value mappings) is laid out by :func:`layout`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sensor_hub.grafana.influxql import Query

__all__ = ["DATASOURCE", "DATASOURCE_UID", "Json", "Panel", "Row", "layout", "value_mappings"]

Json = dict[str, object]

DATASOURCE_UID: Final = "posture-influxdb"
DATASOURCE: Final[Mapping[str, str]] = {"type": "influxdb", "uid": DATASOURCE_UID}
_GRID_WIDTH: Final = 24
_REF_IDS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: Colours of codes, by field; codes without an entry cycle through :data:`_PALETTE`.
_CODE_COLOURS: Final[Mapping[str, Mapping[str, str]]] = {
    "band": {
        "extended": "blue",
        "neutral": "green",
        "mild": "yellow",
        "moderate": "orange",
        "severe": "red",
    },
    "posture": {
        "unknown": "text",
        "upright": "green",
        "slouching": "orange",
        "walking": "blue",
        "lying": "purple",
        "paused": "text",
    },
    "answer": {"done": "green", "skip": "orange", "snooze": "blue"},
    "calibration": {"provisional": "yellow", "ok": "green", "stale": "red"},
    "connected": {"disconnected": "red", "connected": "green"},
}
_PALETTE: Final = ("green", "blue", "purple", "yellow", "orange", "red", "text")


@dataclass(frozen=True, slots=True)
class Panel:
    """One visualisation.  ``kind``: a Grafana panel type (timeseries, stat, piechart,
    state-timeline, table, bargauge); ``codes``: the field's code table (value mappings)."""

    title: str
    kind: str
    queries: Sequence[Query]
    description: str = ""
    unit: str | None = None
    codes: tuple[str, Mapping[int, str]] | None = None
    width: int = 12
    height: int = 8
    stack: bool = False
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def measurements(self) -> frozenset[str]:
        return frozenset(q.measurement for q in self.queries)


@dataclass(frozen=True, slots=True)
class Row:
    """A titled group of panels (``collapsed``: folded until opened)."""

    title: str
    panels: Sequence[Panel]
    collapsed: bool = False


def value_mappings(name: str, codes: Mapping[int, str]) -> list[Json]:
    """Grafana value mappings (code -> label and colour) for a coded field."""
    colours = _CODE_COLOURS.get(name, {})
    options: Json = {
        str(code): {
            "text": label,
            "color": colours.get(label, _PALETTE[i % len(_PALETTE)]),
            "index": i,
        }
        for i, (code, label) in enumerate(sorted(codes.items()))
    }
    return [{"type": "value", "options": options}]


def _target(ref_id: str, query: Query) -> Json:
    target: Json = {
        "refId": ref_id,
        "datasource": dict(DATASOURCE),
        "query": query.text,
        "rawQuery": True,
        "resultFormat": "table" if query.table else "time_series",
    }
    if query.alias is not None:
        target["alias"] = query.alias
    return target


def _defaults(panel: Panel) -> Json:
    defaults: Json = {}
    if panel.unit is not None:
        defaults["unit"] = panel.unit
    if panel.codes is not None:
        name, codes = panel.codes
        defaults["mappings"] = value_mappings(name, codes)
        defaults["color"] = {"mode": "thresholds"}
        defaults["thresholds"] = {"mode": "absolute", "steps": [{"color": "text", "value": None}]}
        defaults["decimals"] = 0
    if panel.stack:
        defaults["custom"] = {"stacking": {"mode": "normal", "group": "A"}, "drawStyle": "bars"}
    return defaults


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> Json:
    out: Json = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "datasource": dict(DATASOURCE),
        "targets": [_target(_REF_IDS[i], q) for i, q in enumerate(panel.queries)],
        "fieldConfig": {"defaults": _defaults(panel), "overrides": []},
        "options": dict(panel.options),
    }
    if panel.description:
        out["description"] = panel.description
    return out


def layout(rows: Sequence[Row]) -> list[Json]:
    """The dashboard's ``panels``: rows and their panels, placed left to right, top to bottom
    (panels of a collapsed row are nested in it, as Grafana stores them)."""
    out: list[Json] = []
    panel_id = 1
    y = 0
    for row in rows:
        row_json: Json = {
            "id": panel_id,
            "type": "row",
            "title": row.title,
            "collapsed": row.collapsed,
            "gridPos": {"h": 1, "w": _GRID_WIDTH, "x": 0, "y": y},
            "panels": [],
        }
        panel_id += 1
        y += 1
        out.append(row_json)
        children: list[Json] = []
        x = 0
        line_height = 0
        for panel in row.panels:
            if x + panel.width > _GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            children.append(_panel_json(panel, panel_id, x, y))
            panel_id += 1
            x += panel.width
            line_height = max(line_height, panel.height)
        y += line_height
        if row.collapsed:
            row_json["panels"] = children
        else:
            out.extend(children)
    return out
