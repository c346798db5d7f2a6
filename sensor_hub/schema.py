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

The alert policy's decisions (issue 6): an ``alert`` point for every buzz and every
suppressed alert or prompt (``outcome`` buzzed/suppressed, ``reason``), an ``adherence`` point
for every answer to a prompt, a ``feedback`` point for every "well done".  Tags that do not
apply hold :data:`NO_TAG` (a point always has all of its measurement's tags).  Two decisions
at the same millisecond are always distinct series: alerts differ by ``kind`` (one episode per
kind), ``what`` or ``trigger``; answers by ``prompt`` (the prompt id: one series per prompt, a
few dozen a day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from sensor_hub.mqtt.messages import (
    AlertMessage,
    Answer,
    AnswerMessage,
    EpisodeMessage,
    FeedbackMessage,
    Message,
    PostureState,
    PromptMessage,
    SensorState,
    SuppressedMessage,
    SuppressedWhat,
    Telemetry,
    label_of,
    round_deg,
    round_s,
)
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.point import FieldValue, Point

__all__ = [
    "ANSWER_CODES",
    "CODE_TABLES",
    "MEASUREMENTS",
    "NO_TAG",
    "Measurement",
    "MeasurementSpec",
    "Outcome",
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
    ADHERENCE = "adherence"  # answers to prompts
    ALERT = "alert"  # the alert policy's buzzes and suppressed alerts and prompts
    FEEDBACK = "feedback"  # positive feedback ("well done")


class Tag(StrEnum):
    WEARER = "wearer"
    SENSOR = "sensor"  # the role: lumbar, pelvis
    KIND = "kind"  # episode kind: forward_lean, pelvic_tilt
    PHASE = "phase"  # episode phase: started, alerted, ended
    MOVE = "move"  # a prompt's move id
    REASON = "reason"  # why a prompt was shown; why an alert or prompt was suppressed
    WHAT = "what"  # alert: alert or prompt
    OUTCOME = "outcome"  # alert: buzzed or suppressed
    TRIGGER = "trigger"  # alert: a suppressed prompt's reason code
    PROMPT = "prompt"  # adherence: the prompt id answered


class Outcome(StrEnum):
    """The ``outcome`` tag of an ``alert`` point."""

    BUZZED = "buzzed"
    SUPPRESSED = "suppressed"


#: The value of a tag that does not apply (a buzz's reason, a prompt's kind).
NO_TAG: Final = "none"


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
                "stance",
            ),
        ),
        Measurement.POSTURE_STATE: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR),
            (
                "posture",
                "flexion_deg",
                "lateral_deg",
                "activity",
                "band",
                "calibration",
                "paused",
                "stance",
            ),
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
        Measurement.ADHERENCE: MeasurementSpec(
            (Tag.WEARER, Tag.MOVE, Tag.PROMPT), ("answer", "response_s")
        ),
        Measurement.ALERT: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR, Tag.KIND, Tag.WHAT, Tag.OUTCOME, Tag.REASON, Tag.TRIGGER),
            ("level", "count"),
        ),
        Measurement.FEEDBACK: MeasurementSpec(
            (Tag.WEARER, Tag.SENSOR, Tag.KIND), ("corrected_after_s", "buzz", "count")
        ),
    }
)


#: Codes of the answers to a prompt (``adherence.answer``).
ANSWER_CODES: Final[Mapping[int, str]] = MappingProxyType(
    {0: Answer.DONE.value, 1: Answer.SKIP.value, 2: Answer.SNOOZE.value}
)
_ANSWER_CODE: Final = {Answer(label): code for code, label in ANSWER_CODES.items()}

#: Field name -> code -> label, for every coded field (dashboards label values with these).
CODE_TABLES: Final[Mapping[str, Mapping[int, str]]] = MappingProxyType(
    {
        "activity": MappingProxyType({int(a): a.label for a in Activity}),
        "band": MappingProxyType({int(b): b.label for b in Band}),
        "calibration": MappingProxyType({int(c): label_of(c) for c in CalibrationStatus}),
        "posture": MappingProxyType({int(p): p.label for p in PostureState}),
        "stance": MappingProxyType({int(s): s.label for s in Stance}),
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
        stance=None if msg.stance is None else int(msg.stance),
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
        stance=None if msg.stance is None else int(msg.stance),
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


def _alert(msg: AlertMessage | SuppressedMessage) -> list[Point]:
    sensor, kind = msg.sensor, msg.kind
    if isinstance(msg, AlertMessage):
        what, outcome, reason, trigger = SuppressedWhat.ALERT, Outcome.BUZZED, NO_TAG, NO_TAG
    else:
        what, outcome = msg.what, Outcome.SUPPRESSED
        reason, trigger = msg.reason.value, msg.trigger or NO_TAG
    tags = {
        Tag.WEARER.value: msg.wearer,
        Tag.SENSOR.value: NO_TAG if sensor is None else sensor.value,
        Tag.KIND.value: NO_TAG if kind is None else kind.value,
        Tag.WHAT.value: what.value,
        Tag.OUTCOME.value: outcome.value,
        Tag.REASON.value: reason,
        Tag.TRIGGER.value: trigger,
    }
    fields = _fields(level=msg.level, count=1)
    return [Point(Measurement.ALERT.value, tags, fields, time_ns(msg.ts_s))]


def _answer(msg: AnswerMessage) -> list[Point]:
    tags = {
        Tag.WEARER.value: msg.wearer,
        Tag.MOVE.value: msg.move_id,
        Tag.PROMPT.value: msg.prompt_id,
    }
    fields = _fields(answer=_ANSWER_CODE[msg.answer], response_s=round_s(msg.response_s))
    return [Point(Measurement.ADHERENCE.value, tags, fields, time_ns(msg.ts_s))]


def _feedback(msg: FeedbackMessage) -> list[Point]:
    tags = {
        Tag.WEARER.value: msg.wearer,
        Tag.SENSOR.value: msg.sensor.value,
        Tag.KIND.value: msg.kind.value,
    }
    fields = _fields(corrected_after_s=round_s(msg.corrected_after_s), buzz=int(msg.buzz), count=1)
    return [Point(Measurement.FEEDBACK.value, tags, fields, time_ns(msg.ts_s))]


def points_for(msg: Message) -> list[Point]:  # noqa: PLR0911 - one branch per message type
    """The store points of one message (none for availability)."""
    if isinstance(msg, Telemetry):
        return _telemetry(msg)
    if isinstance(msg, SensorState):
        return _state(msg)
    if isinstance(msg, EpisodeMessage):
        return _episode(msg)
    if isinstance(msg, PromptMessage):
        return _prompt(msg)
    if isinstance(msg, AlertMessage | SuppressedMessage):
        return _alert(msg)
    if isinstance(msg, AnswerMessage):
        return _answer(msg)
    if isinstance(msg, FeedbackMessage):
        return _feedback(msg)
    return []
