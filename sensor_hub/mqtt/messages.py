"""The typed messages of the MQTT layer: what the payloads carry, independent of encoding.

Frozen dataclasses with units in their names; enums are the core's own (:class:`Activity`,
:class:`Band`, :class:`CalibrationStatus`, :class:`Phase`, :class:`Role`, the firmware's
:class:`HapticPattern`) plus the few the MQTT layer adds (:class:`PostureState`,
:class:`EpisodeKind`, :class:`EventType`, and for the alert policy's decisions
:class:`Answer`, :class:`SuppressedWhat`, :class:`SuppressionReason`).  Each message checks
itself on construction and raises :class:`PayloadError`, so a parsed payload and a built one obey
the same rules.  Rounding lives here too (:func:`round_deg`, :func:`round_s`): the payload bytes and
the store's point identity are both taken from the rounded values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum, StrEnum
from typing import Final

from firmware_protocol import HapticPattern
from sensor_hub.mqtt.topics import TopicError, validate_wearer
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus, ForwardAxis
from sensor_hub.processing.config import Role
from sensor_hub.processing.detector import Phase
from sensor_hub.processing.stance import Stance

__all__ = [
    "EPISODE_EVENT_TYPES",
    "EVENT_PHASES",
    "ID_PATTERN",
    "MAX_LEVEL",
    "AlertMessage",
    "Answer",
    "AnswerMessage",
    "Availability",
    "EpisodeKind",
    "EpisodeMessage",
    "EventMessage",
    "EventType",
    "FeedbackMessage",
    "JsonScalar",
    "Message",
    "PayloadError",
    "PostureState",
    "PromptMessage",
    "SensorState",
    "SuppressedMessage",
    "SuppressedWhat",
    "SuppressionReason",
    "Telemetry",
    "label_of",
    "posture_state",
    "round_deg",
    "round_s",
    "sensor_of",
]

JsonScalar = str | int | float | bool | None
#: Prompt, move and reason ids (they become store tags: short, no spaces or line breaks).
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
#: The highest escalation level an alert event may report (the policy caps it at 11).
MAX_LEVEL: Final = 100


class PayloadError(ValueError):
    """A payload that is not a valid v1 message (the message says what and where)."""


class PostureState(IntEnum):
    """The wearer's posture as the state topic reports it (codes for the store)."""

    UNKNOWN = 0  # no data (sensor disconnected, nothing received yet)
    UPRIGHT = 1  # sitting or standing, no open episode
    SLOUCHING = 2  # an episode (sustained lean) is open
    WALKING = 3
    LYING = 4
    PAUSED = 5  # monitoring paused by the wearer

    @property
    def label(self) -> str:
        return self.name.lower()


class EpisodeKind(StrEnum):
    FORWARD_LEAN = "forward_lean"  # lumbar sensor
    PELVIC_TILT = "pelvic_tilt"  # pelvis sensor


class EventType(StrEnum):
    """The ``event_type`` of an events-topic payload (Home Assistant's event key)."""

    EPISODE_STARTED = "episode_started"
    EPISODE_ALERTED = "episode_alerted"
    EPISODE_ENDED = "episode_ended"
    PROMPT = "prompt"
    ALERT = "alert"  # the alert policy buzzed the wearer
    ALERT_SUPPRESSED = "alert_suppressed"  # an alert or prompt was due but not delivered
    PROMPT_ANSWERED = "prompt_answered"
    FEEDBACK = "feedback"  # positive feedback: corrected soon after a buzz


class Answer(StrEnum):
    """The wearer's answer to a prompt (the ``prompt_ack`` command's, and the event's)."""

    DONE = "done"
    SKIP = "skip"
    SNOOZE = "snooze"


class SuppressedWhat(StrEnum):
    """What was not delivered (:class:`sensor_hub.alerts.What`)."""

    ALERT = "alert"
    PROMPT = "prompt"


class SuppressionReason(StrEnum):
    """Why it was not delivered: the codes of :class:`sensor_hub.alerts.Reason` (the tests
    keep the two equal; the MQTT layer does not import the alert policy)."""

    PAUSED = "paused"
    TRACKING = "tracking"
    BASELINE = "baseline"
    LYING = "lying"
    WALKING = "walking"
    SNOOZED = "snoozed"
    QUIET_HOURS = "quiet_hours"
    HOURLY_CAP = "hourly_cap"
    ESCALATION_CAP = "escalation_cap"
    PROMPT_COOLDOWN = "prompt_cooldown"
    NO_MOVE = "no_move"


EPISODE_EVENT_TYPES: Final = {
    Phase.STARTED: EventType.EPISODE_STARTED,
    Phase.ALERTED: EventType.EPISODE_ALERTED,
    Phase.ENDED: EventType.EPISODE_ENDED,
}
EVENT_PHASES: Final = {v: k for k, v in EPISODE_EVENT_TYPES.items()}


def label_of(member: Enum) -> str:
    """The JSON label of an enum member: its lower-case name (IntEnum) or value (StrEnum)."""
    return member.value if isinstance(member, StrEnum) else member.name.lower()


def round_deg(value: float | None) -> float | None:
    """An angle rounded to 0.01° (``None`` for unknown or non-finite; no ``-0.0``)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 2) + 0.0


def round_s(value: float | None) -> float | None:
    """A time or duration rounded to the millisecond (``None`` for unknown or non-finite)."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 3) + 0.0


def _check(wearer: str, ts_s: float) -> None:
    try:
        validate_wearer(wearer)
    except TopicError as exc:
        raise PayloadError(str(exc)) from None
    if not math.isfinite(ts_s) or ts_s < 0:
        raise PayloadError(f"ts must be a finite time >= 0, got {ts_s!r}")


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise PayloadError(f"{name} must be 1-64 of A-Z a-z 0-9 _ . : -, got {value!r}")


def _check_level(level: object) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_LEVEL:
        raise PayloadError(f"level must be an integer 0-{MAX_LEVEL}, got {level!r}")


def _check_finite(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PayloadError(f"{name} must be a finite number, got {value!r}")


# -- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Telemetry:
    """One decimated sample of one sensor (``ts_s``: the sample's time)."""

    wearer: str
    sensor: Role
    ts_s: float
    flexion_deg: float | None
    lateral_deg: float | None
    activity: Activity
    band: Band
    calibration: CalibrationStatus
    relative_flexion_deg: float | None = None  # lumbar - pelvis, when both are worn
    stance: Stance | None = None  # sitting/standing (None: not sent, an older hub)

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)


@dataclass(frozen=True, slots=True)
class SensorState:
    """One sensor's present state (retained).  Counters are cumulative since the hub started."""

    wearer: str
    sensor: Role
    ts_s: float
    posture: PostureState
    connected: bool
    flexion_deg: float | None = None
    lateral_deg: float | None = None
    activity: Activity | None = None
    band: Band | None = None
    calibration: CalibrationStatus | None = None
    battery_pct: int | None = None
    data_age_s: float | None = None
    paused_until_s: float | None = None
    gaps: int = 0
    lost_samples: int = 0
    stance: Stance | None = None  # sitting/standing at the newest sample (None: not sent)
    # Where the forward axis in use comes from ("case": nothing learned yet) and its turn from
    # the case's axes, degrees (None: not sent, an older hub).
    forward_axis: ForwardAxis | None = None
    mount_yaw_deg: float | None = None

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        if self.battery_pct is not None and not 0 <= self.battery_pct <= 100:
            raise PayloadError(f"battery_pct must be 0-100, got {self.battery_pct}")
        if self.gaps < 0 or self.lost_samples < 0:
            raise PayloadError("gaps and lost_samples must not be negative")
        if self.mount_yaw_deg is not None and abs(self.mount_yaw_deg) > 180.0:  # NaN: unknown
            raise PayloadError(f"mount_yaw_deg must be -180 to 180, got {self.mount_yaw_deg}")


@dataclass(frozen=True, slots=True)
class EpisodeMessage:
    """An episode event: ``ts_s`` is when the hub knew it; the times are sample times."""

    wearer: str
    sensor: Role
    ts_s: float
    phase: Phase
    kind: EpisodeKind
    start_s: float
    alert_s: float | None
    end_s: float | None
    peak_deg: float | None
    mean_deg: float | None

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        if not math.isfinite(self.start_s):
            raise PayloadError(f"start_s must be finite, got {self.start_s!r}")

    @property
    def event_type(self) -> EventType:
        return EPISODE_EVENT_TYPES[self.phase]

    @property
    def duration_s(self) -> float | None:
        start, end = round_s(self.start_s), round_s(self.end_s)
        return None if start is None or end is None else round_s(end - start)


@dataclass(frozen=True, slots=True)
class PromptMessage:
    """A corrective-move prompt (issue 6 fills ``detail``: scalar values only)."""

    wearer: str
    ts_s: float
    prompt_id: str
    move_id: str
    reason: str
    sensor: Role | None = None
    detail: Mapping[str, JsonScalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        for name in ("prompt_id", "move_id", "reason"):
            _check_id(name, getattr(self, name))
        for key, item in self.detail.items():
            if not isinstance(key, str) or not isinstance(item, JsonScalar):
                raise PayloadError(f"detail must map strings to scalars, got {key!r}: {item!r}")
            if isinstance(item, float) and not math.isfinite(item):
                raise PayloadError(f"detail {key!r} is {item}")

    @property
    def event_type(self) -> EventType:
        return EventType.PROMPT


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """The alert policy buzzed the wearer for an open episode of ``kind``: ``level`` 0 is the
    first alert, each escalation adds one (and a stronger ``pattern``)."""

    wearer: str
    ts_s: float
    sensor: Role
    kind: EpisodeKind
    level: int
    pattern: HapticPattern
    intensity_pct: int
    episode_start_s: float

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        _check_level(self.level)
        if not 0 <= self.intensity_pct <= 100:
            raise PayloadError(f"intensity_pct must be 0-100, got {self.intensity_pct}")
        _check_finite("episode_start_s", self.episode_start_s)

    @property
    def event_type(self) -> EventType:
        return EventType.ALERT


@dataclass(frozen=True, slots=True)
class SuppressedMessage:
    """An alert or a prompt that was due but not delivered, and why.  ``kind`` (and ``sensor``)
    for an episode's alert, ``level`` for an alert's escalation level, ``trigger`` (a prompt's
    reason code) for a prompt — each when known."""

    wearer: str
    ts_s: float
    what: SuppressedWhat
    reason: SuppressionReason
    kind: EpisodeKind | None = None
    level: int | None = None
    trigger: str | None = None

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        if self.level is not None:
            _check_level(self.level)
        if self.trigger is not None:
            _check_id("trigger", self.trigger)

    @property
    def sensor(self) -> Role | None:
        """The sensor whose episode it was (from ``kind``)."""
        return None if self.kind is None else sensor_of(self.kind)

    @property
    def event_type(self) -> EventType:
        return EventType.ALERT_SUPPRESSED


@dataclass(frozen=True, slots=True)
class AnswerMessage:
    """The wearer answered prompt ``prompt_id`` (of ``move_id``) ``response_s`` after it was
    shown."""

    wearer: str
    ts_s: float
    prompt_id: str
    move_id: str
    answer: Answer
    response_s: float

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        _check_id("prompt_id", self.prompt_id)
        _check_id("move_id", self.move_id)
        _check_finite("response_s", self.response_s)

    @property
    def event_type(self) -> EventType:
        return EventType.PROMPT_ANSWERED


@dataclass(frozen=True, slots=True)
class FeedbackMessage:
    """Positive feedback: an episode of ``kind`` ended ``corrected_after_s`` after its last
    buzz (sample times: may be slightly negative when the lean ended just before the buzz);
    ``buzz`` when it came with a soft pulse."""

    wearer: str
    ts_s: float
    sensor: Role
    kind: EpisodeKind
    corrected_after_s: float
    buzz: bool

    def __post_init__(self) -> None:
        _check(self.wearer, self.ts_s)
        _check_finite("corrected_after_s", self.corrected_after_s)

    @property
    def event_type(self) -> EventType:
        return EventType.FEEDBACK


def sensor_of(kind: EpisodeKind) -> Role:
    """The sensor that measures episodes of ``kind``."""
    return Role.LUMBAR if kind is EpisodeKind.FORWARD_LEAN else Role.PELVIS


@dataclass(frozen=True, slots=True)
class Availability:
    """The wearer's hub is online (retained) or offline (the last will)."""

    wearer: str
    online: bool


#: What the events topic carries.
EventMessage = (
    EpisodeMessage
    | PromptMessage
    | AlertMessage
    | SuppressedMessage
    | AnswerMessage
    | FeedbackMessage
)
Message = Telemetry | SensorState | EventMessage | Availability


def posture_state(
    activity: Activity | None, *, slouching: bool, paused: bool, connected: bool
) -> PostureState:
    """The state topic's ``posture`` from what the hub knows (pause wins, then no data)."""
    if paused:
        return PostureState.PAUSED
    if not connected or activity is None:
        return PostureState.UNKNOWN
    if activity is Activity.WALKING:
        return PostureState.WALKING
    if activity is Activity.LYING:
        return PostureState.LYING
    return PostureState.SLOUCHING if slouching else PostureState.UPRIGHT
