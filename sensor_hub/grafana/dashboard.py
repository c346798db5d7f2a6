"""The posture-hub Grafana dashboard, generated from the store schema.

Rows, top to bottom:

* **Posture** — flexion, lateral bend and lumbar − pelvis angles (mean per interval, per
  sensor), the band over time (state timeline coloured by band), the share of upright time per
  band and the posture score (the share of upright time in the neutral and mild bands, the
  definition ``docs/dashboard.md`` and ``posture-hub report`` use), and the time sitting and
  standing (samples of known stance).
* **Episodes, alerts and prompts** — episode counts (started, alerted), the longest, episodes
  per interval by kind, the table of ended episodes; alerts and prompts per interval; answers
  to prompts (adherence) by answer, and the mean response time.
* **Sensor and link** — battery, data age, connection, gaps and lost samples.
* **Store: <measurement>** (collapsed) — one panel per field of *every* measurement in
  :data:`~sensor_hub.schema.MEASUREMENTS` (coded fields as state timelines with value
  mappings from :data:`~sensor_hub.schema.CODE_TABLES`, numbers as mean per interval), so a
  measurement added to the schema gets panels when the dashboard is regenerated.

Curated panels for measurements the schema does not (yet) have are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from sensor_hub.grafana.influxql import (
    SENSOR_VARIABLE_QUERY,
    WEARER_VARIABLE_QUERY,
    Query,
    code_count,
    code_of,
    field_ref,
    select,
    tag_ref,
)
from sensor_hub.grafana.panels import DATASOURCE, Json, Panel, Row, layout
from sensor_hub.schema import CODE_TABLES, MEASUREMENTS, Measurement, Tag

__all__ = [
    "DASHBOARD_UID",
    "GOOD_BANDS",
    "STANCES",
    "UPRIGHT",
    "dashboard",
    "rows",
    "score_query",
]

DASHBOARD_UID: Final = "posture-hub"
#: The bands the posture score counts as good posture.
GOOD_BANDS: Final = ("neutral", "mild")
#: The activity the band shares and the score are taken over.
UPRIGHT: Final = "upright"
#: The stances whose time the dashboard shows (unknown stance is left out).
STANCES: Final = ("sitting", "standing")

_P: Final = Measurement.POSTURE.value
_FLAG_CODES: Final[Mapping[int, str]] = {0: "disconnected", 1: "connected"}


def _has(name: str) -> bool:
    return name in {m.value for m in MEASUREMENTS}


def _upright() -> str:
    return f"{field_ref(_P, 'activity')} = {code_of('activity', UPRIGHT)}"


def _mean(measurement: str, field: str, *, sensor: bool = True, agg: str = "mean") -> Query:
    tags = [t for t in MEASUREMENTS[Measurement(measurement)].tags if t is not Tag.WEARER]
    text = select(
        measurement,
        [f'{agg}({field_ref(measurement, field)}) AS "{field}"'],
        sensor=sensor,
        group_tags=tags,
    )
    alias = " ".join(f"$tag_{t.value}" for t in tags) or field
    return Query(measurement, text, alias=alias)


def score_query(*, by_time: bool) -> Query:
    """The posture score in percent: upright samples in a good band / upright samples.

    The good bands are consecutive codes ``lo..hi``; ``floor((h + 1) / (|band - c| + 1))``
    with centre ``c`` and half-width ``h`` is 1 inside them and 0 outside, and its mean over
    the upright samples is the share (one subquery: InfluxQL has no conditional count).
    """
    codes = sorted(code_of("band", label) for label in GOOD_BANDS)
    if codes != list(range(codes[0], codes[-1] + 1)):
        raise ValueError(f"the good bands must be consecutive codes, got {codes}")
    centre = (codes[0] + codes[-1]) / 2
    half = (codes[-1] - codes[0]) / 2
    band = field_ref(_P, "band")
    inner = select(
        _P,
        [f'floor({half + 1:g} / (abs({band} - {centre:g}) + 1)) AS "good"'],
        where=[_upright()],
        sensor=True,
        by_time=False,
    )
    text = select(
        _P,
        ['100 * mean("good") AS "score"'],
        source=f"({inner})",
        by_time=by_time,
        filters=False,
    )
    return Query(_P, text, alias="score")


def _posture_row() -> Row:
    band_codes = CODE_TABLES["band"]
    panels = [
        Panel(
            "Flexion",
            "timeseries",
            [_mean(_P, "flexion_deg", sensor=False)],
            "Forward flexion from the calibrated neutral (pelvis: anterior tilt), mean per "
            "interval, per sensor.",
            unit="degree",
        ),
        Panel(
            "Lateral bend",
            "timeseries",
            [_mean(_P, "lateral_deg", sensor=False)],
            "Bend toward the wearer's right (positive), mean per interval.",
            unit="degree",
        ),
        Panel(
            "Lumbar − pelvis",
            "timeseries",
            [_mean(_P, "relative_flexion_deg", sensor=False)],
            "Lumbar flexion minus pelvic tilt (with two sensors worn).",
            unit="degree",
        ),
        Panel(
            "Band over time",
            "state-timeline",
            [_mean(_P, "band", agg="mode")],
            "The most frequent band in each interval ($sensor).",
            codes=("band", band_codes),
        ),
        Panel(
            "Share of upright time per band",
            "piechart",
            [code_count(_P, "band", code, where=[_upright()]) for code in sorted(band_codes)],
            "Telemetry samples come at a fixed rate, so sample counts are time.",
            unit="short",
            width=8,
            options={
                "reduceOptions": {"calcs": ["sum"], "fields": "", "values": False},
                "displayLabels": ["percent"],
                "legend": {"displayMode": "table", "placement": "right", "values": ["percent"]},
                "pieType": "donut",
            },
        ),
        Panel(
            "Posture score",
            "stat",
            [score_query(by_time=False)],
            "Share of upright time in the neutral and mild bands.",
            unit="percent",
            width=4,
            options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}},
        ),
        Panel(
            "Posture score per interval",
            "timeseries",
            [score_query(by_time=True)],
            "The score of each interval (zoom out to days for the trend).",
            unit="percent",
        ),
        Panel(
            "Time sitting and standing",
            "piechart",
            [code_count(_P, "stance", code_of("stance", label)) for label in STANCES],
            "Telemetry samples come at a fixed rate, so sample counts are time; samples of "
            "unknown stance (or from a hub that sends none) are in neither.",
            unit="short",
            options={
                "reduceOptions": {"calcs": ["sum"], "fields": "", "values": False},
                "displayLabels": ["percent"],
                "legend": {"displayMode": "table", "placement": "right", "values": ["percent"]},
                "pieType": "donut",
            },
        ),
    ]
    return Row("Posture", panels)


def _episode_count(phase: str) -> Query:
    e = Measurement.EPISODE.value
    text = select(
        e,
        [f'count({field_ref(e, "start_s")}) AS "{phase}"'],
        where=[f"{tag_ref(e, Tag.PHASE)} = '{phase}'"],
        sensor=True,
        by_time=False,
    )
    return Query(e, text, alias=phase)


def _count_per_interval(
    measurement: str, field: str, group: list[Tag], *, where: str = ""
) -> Query:
    text = select(
        measurement,
        [f'count({field_ref(measurement, field)}) AS "count"'],
        where=[where] if where else [],
        group_tags=group,
    )
    alias = " ".join(f"$tag_{t.value}" for t in group) or measurement
    return Query(measurement, text, alias=alias)


def _episodes_panels() -> list[Panel]:
    e = Measurement.EPISODE.value
    ended = f"{tag_ref(e, Tag.PHASE)} = 'ended'"
    stat = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    columns = [field_ref(e, f) for f in ("start_s", "alert_s", "end_s", "duration_s")]
    columns += [field_ref(e, f) for f in ("peak_deg", "mean_deg")]
    longest = select(
        e,
        [f'max({field_ref(e, "duration_s")}) AS "longest"'],
        where=[ended],
        sensor=True,
        by_time=False,
    )
    table = select(
        e,
        columns,
        where=[ended],
        by_time=False,
        group_tags=[Tag.SENSOR, Tag.KIND],
    )
    return [
        Panel("Episodes", "stat", [_episode_count("started")], unit="short", width=4, options=stat),
        Panel("Alerted", "stat", [_episode_count("alerted")], unit="short", width=4, options=stat),
        Panel(
            "Longest episode",
            "stat",
            [Query(e, longest, "longest")],
            unit="s",
            width=4,
            options=stat,
        ),
        Panel(
            "Episodes per interval",
            "timeseries",
            [
                _count_per_interval(
                    e, "start_s", [Tag.KIND], where=f"{tag_ref(e, Tag.PHASE)} = 'started'"
                )
            ],
            "Sustained leans started in each interval, by kind.",
            unit="short",
            stack=True,
        ),
        Panel(
            "Ended episodes",
            "table",
            [Query(e, table, table=True)],
            "Times are the hub's sample times (Unix seconds); durations in seconds.",
            width=24,
        ),
    ]


def _counted_field(measurement: Measurement) -> str:
    """The field every point has: ``count`` (always 1) where the schema has it."""
    fields = MEASUREMENTS[measurement].fields
    return "count" if "count" in fields else fields[0]


def _alert_panels() -> list[Panel]:
    panels = []
    if _has("alert"):
        alert = Measurement("alert")
        tags = MEASUREMENTS[alert].tags
        group = [t for t in tags if t.value in {"what", "outcome"}] or [
            t for t in tags if t is not Tag.WEARER
        ]
        panels.append(
            Panel(
                "Alerts",
                "timeseries",
                [_count_per_interval(alert.value, _counted_field(alert), group)],
                "Buzzes the alert policy sent, and alerts or prompts it held back, per interval.",
                unit="short",
                stack=True,
            )
        )
    if _has("prompt"):
        panels.append(
            Panel(
                "Prompts",
                "timeseries",
                [_count_per_interval("prompt", "prompted", [Tag.MOVE])],
                "Corrective-move prompts shown, per interval and move.",
                unit="short",
                stack=True,
            )
        )
    if _has("adherence"):
        answers = CODE_TABLES["answer"]
        panels.append(
            Panel(
                "Answers to prompts",
                "piechart",
                [code_count("adherence", "answer", code) for code in sorted(answers)],
                "Adherence: how the wearer answered the prompts.",
                unit="short",
                width=8,
                options={
                    "reduceOptions": {"calcs": ["sum"], "fields": "", "values": False},
                    "displayLabels": ["value", "percent"],
                    "pieType": "donut",
                },
            )
        )
        panels.append(
            Panel(
                "Prompt response time",
                "timeseries",
                [_mean("adherence", "response_s")],
                "Seconds from a prompt to its answer, mean per interval.",
                unit="s",
                width=16,
            )
        )
    return panels


def _link_row() -> Row:
    link = Measurement.LINK.value
    return Row(
        "Sensor and link",
        [
            Panel(
                "Battery",
                "timeseries",
                [_mean(link, "battery_pct", agg="last")],
                unit="percent",
                width=8,
            ),
            Panel(
                "Data age",
                "timeseries",
                [_mean(link, "data_age_s", agg="max")],
                "Age of the newest sample when the state was published (max per interval).",
                unit="s",
                width=8,
            ),
            Panel(
                "Connected",
                "state-timeline",
                [_mean(link, "connected", agg="min")],
                codes=("connected", _FLAG_CODES),
                width=8,
            ),
            Panel(
                "Gaps and lost samples",
                "timeseries",
                [_mean(link, "gaps", agg="last"), _mean(link, "lost_samples", agg="last")],
                "Cumulative since the hub started.",
                unit="short",
                width=24,
            ),
        ],
    )


def _generic_panel(measurement: Measurement, name: str) -> Panel:
    codes = CODE_TABLES.get(name)
    if codes is not None:
        query = _mean(measurement.value, name, sensor=False, agg="mode")
        return Panel(name, "state-timeline", [query], codes=(name, codes))
    return Panel(name, "timeseries", [_mean(measurement.value, name, sensor=False)])


def _store_rows() -> list[Row]:
    return [
        Row(
            f"Store: {m.value}",
            [_generic_panel(m, name) for name in spec.fields],
            collapsed=True,
        )
        for m, spec in MEASUREMENTS.items()
    ]


def rows() -> list[Row]:
    """Every row of the dashboard, in order."""
    events = _episodes_panels() + _alert_panels()
    builders: list[Callable[[], Row]] = [
        _posture_row,
        lambda: Row("Episodes, alerts and prompts", events),
        _link_row,
    ]
    return [b() for b in builders] + _store_rows()


def _variable(name: str, label: str, query: str) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": dict(DATASOURCE),
        "query": query,
        "definition": query,
        "refresh": 1,
        "includeAll": False,
        "multi": False,
        "sort": 1,
        "current": {},
        "options": [],
        "hide": 0,
    }


def dashboard() -> Json:
    """The dashboard JSON (a pure function of the schema)."""
    sensor = _variable("sensor", "Sensor", SENSOR_VARIABLE_QUERY)
    sensor["includeAll"] = True
    return {
        "uid": DASHBOARD_UID,
        "title": "Posture hub",
        "description": "Generated by `python -m sensor_hub.grafana` from sensor_hub/schema.py; "
        "do not edit by hand.",
        "tags": ["posture-hub"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": [_variable("wearer", "Wearer", WEARER_VARIABLE_QUERY), sensor]},
        "annotations": {"list": []},
        "links": [],
        "panels": layout(rows()),
    }
