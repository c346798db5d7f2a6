"""THE store schema: every measurement, tag and field name, the enum code tables, and the pure
builders from MQTT messages to :class:`~sensor_hub.recorder.point.Point`.

The writers (InfluxDB, SQLite), the dashboards and the tests all take names from here.
Fields are numeric only — enums as the integer codes of :data:`CODE_TABLES`, flags as 0/1 —
so stores that drop or zero string fields (VictoriaMetrics) keep everything; tags are the few
low-cardinality strings a query groups by.

Idempotent replays: a point's identity is its measurement, tags and time, and the time comes
from the message (the sample time, the state's or the event's ``ts``, rounded to the
millisecond exactly as in the payload), never from the clock of the recorder.  Delivering a
message twice, replaying a spill, or a second recorder reading the same retained state writes
the same points again, which the stores overwrite.

Availability (``online``/``offline``) carries no timestamp and is not stored; the state's
``connected`` flag records the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from sensor_hub.mqtt.commands import Answer
from sensor_hub.mqtt.messages import (
    EpisodeMessage,
    Message,
    PostureState,
    PromptMessage,
    SensorState,
    Telemetry,
    label_of,
    round_deg,
    round_s,
)
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus
from sensor_hub.recorder.point import FieldValue, Point

__all__ = [
    "ANSWER_CODES",
    "CODE_TABLES",
    "MEASUREMENTS",
    "Measurement",
    "MeasurementSpec",
    "Tag",
    "points_for",
    "time_ns",
]


class Measurement(StrEnum):
    POSTURE = "posture"  # telemetry samples (decimated angles)
    POSTURE_STATE = "posture_state"  # the state topic: posture, angles, calibration
    LINK = "link"  # the state topic: battery, data age, connection, gaps
    EPISODE = "episode"  # episode events, one point per phase
    PROMPT = "prompt"  # corrective-move prompts shown
    ADHERENCE = "adherence"  # answers to prompts (issue 6)


class Tag(StrEnum):
    WEARER = "wearer"
    SENSOR = "sensor"  # the role: lumbar, pelvis
    KIND = "kind"  # episode kind: forward_lean, pelvic_tilt
    PHASE = "phase"  # episode phase: started, alerted, ended
    MOVE = "move"  # a prompt's move id
    REASON = "reason"  # why a prompt was shown


@dataclass(frozen=True, slots=True)
class MeasurementSpec:
    """The tags a point of the measurement always has, and the fields it may have."""

    tags: tuple[Tag, ...]
    fields: tuple[str, ...]


#: Every measurement with its tags and fields (fields of unknown values are left out of a point).
MEASUREMENTS: Final[Mapping[Measurement, MeasurementSpec]] = MappingProxyType(
    {
        Measurement.POSTURE: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR),
            (
                "flexion_deg",
                "lateral_deg",
                "relative_flexion_deg",
                "activity",
                "band",
                "calibration",
            ),
        ),
        Measurement.POSTURE_STATE: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR),
            ("posture", "flexion_deg", "lateral_deg", "activity", "band", "calibration", "paused"),
        ),
        Measurement.LINK: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR),
            ("connected", "battery_pct", "data_age_s", "gaps", "lost_samples"),
        ),
        Measurement.EPISODE: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR, Tag.KIND, Tag.PHASE),
            ("start_s", "alert_s", "end_s", "duration_s", "peak_deg", "mean_deg"),
        ),
        Measurement.PROMPT: MeasurementSpec((Tag.WEARER, Tag.MOVE, Tag.REASON), ("prompted",)),
        Measurement.ADHERENCE: MeasurementSpec((Tag.WEARER, Tag.MOVE), ("answer", "response_s")),
    }
)


#: Codes of the answers to a prompt (``adherence.answer``; issue 6 writes them).
ANSWER_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {0: Answer.DONE.value, 1: Answer.SKIP.value, 2: Answer.SNOOZE.value}
)

#: Field name -> code -> label, for every coded field (dashboards label values with these).
CODE_TABLES: Final[Mapping[str, Mapping[int, str]]] = MappingProxyType(
    {
        "activity": MappingProxyType({int(a): a.label for a in Activity}),
        "band": MappingProxyType({int(b): b.label for b in Band}),
        "calibration": MappingProxyType({int(c): label_of(c) for c in CalibrationStatus}),
        "posture": MappingProxyType({int(p): p.label for p in PostureState}),
        "answer": ANSWER_CODES,
    }
)


def time_ns(ts_s: float) -> int:
    """A message time as the store's timestamp: whole milliseconds, in nanoseconds."""
    rounded = round_s(ts_s)
    if rounded is None:
        raise ValueError(f"time must be finite, got {ts_s!r}")
    return round(rounded * 1000) * 1_000_000


def _fields(**values: FieldValue | None) -> dict[str, FieldValue]:
    return {k: v for k, v in values.items() if v is not None}


def _telemetry(msg: Telemetry) -> list[Point]:
    fields = _fields(
        flexion_deg=round_deg(msg.flexion_deg),
        lateral_deg=round_deg(msg.lateral_deg),
        relative_flexion_deg=round_deg(msg.relative_flexion_deg),
        activity=int(msg.activity),
        band=int(msg.band),
        calibration=int(msg.calibration),
    )
    tags = {Tag.WEARER.value: msg.wearer, Tag.SENSOR.value: msg.sensor.value}
    return [Point(Measurement.POSTURE.value, tags, fields, time_ns(msg.ts_s))]


def _state(msg: SensorState) -> list[Point]:
    tags = {Tag.WEARER.value: msg.wearer, Tag.SENSOR.value: msg.sensor.value}
    when = time_ns(msg.ts_s)
    state = _fields(
        posture=int(msg.posture),
        flexion_deg=round_deg(msg.flexion_deg),
        lateral_deg=round_deg(msg.lateral_deg),
        activity=None if msg.activity is None else int(msg.activity),
        band=None if msg.band is None else int(msg.band),
        calibration=None if msg.calibration is None else int(msg.calibration),
        paused=int(msg.posture is PostureState.PAUSED),
    )
    link = _fields(
        connected=int(msg.connected),
        battery_pct=msg.battery_pct,
        data_age_s=round_s(msg.data_age_s),
        gaps=msg.gaps,
        lost_samples=msg.lost_samples,
    )
    return [
        Point(Measurement.POSTURE_STATE.value, tags, state, when),
        Point(Measurement.LINK.value, tags, link, when),
    ]


def _episode(msg: EpisodeMessage) -> list[Point]:
    tags = {
        Tag.WEARER.value: msg.wearer,
        Tag.SENSOR.value: msg.sensor.value,
        Tag.KIND.value: msg.kind.value,
        Tag.PHASE.value: msg.phase.value,
    }
    fields = _fields(
        start_s=round_s(msg.start_s),
        alert_s=round_s(msg.alert_s),
        end_s=round_s(msg.end_s),
        duration_s=msg.duration_s,
        peak_deg=round_deg(msg.peak_deg),
        mean_deg=round_deg(msg.mean_deg),
    )
    return [Point(Measurement.EPISODE.value, tags, fields, time_ns(msg.ts_s))]


def _prompt(msg: PromptMessage) -> list[Point]:
    tags = {Tag.WEARER.value: msg.wearer, Tag.MOVE.value: msg.move_id, Tag.REASON.value: msg.reason}
    return [Point(Measurement.PROMPT.value, tags, {"prompted": 1}, time_ns(msg.ts_s))]


def points_for(msg: Message) -> list[Point]:
    """The store points of one message (none for availability)."""
    if isinstance(msg, Telemetry):
        return _telemetry(msg)
    if isinstance(msg, SensorState):
        return _state(msg)
    if isinstance(msg, EpisodeMessage):
        return _episode(msg)
    if isinstance(msg, PromptMessage):
        return _prompt(msg)
    return []
