"""Payloads v1: pure builders (typed message -> ``bytes``) and parsers (``bytes`` -> typed message).

Every JSON payload is compact, keys sorted, with ``"v": 1``, ``"ts"`` (Unix seconds) and
``"wearer"``; angles are rounded to 0.01°, times to the millisecond, so equal inputs give equal
bytes (golden tests, deduplication) and a parsed message maps to a store point of the same
identity as the original (idempotent replays).  Enums travel as their lower-case labels; the
store uses codes (:mod:`sensor_hub.schema`).  A value that is not known is ``null``, never
``NaN``.

Parsers raise only :class:`PayloadError` (bad JSON, wrong version, missing or mistyped field)
and ignore unknown keys, so an older recorder reads a newer hub's additive changes.
The JSON Schemas in ``sensor_hub/mqtt/schemas`` describe the same payloads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import Enum
from typing import Final, TypeVar

from firmware_protocol import HapticPattern
from sensor_hub.mqtt.messages import (
    EVENT_PHASES,
    AlertMessage,
    Answer,
    AnswerMessage,
    Availability,
    EpisodeKind,
    EpisodeMessage,
    EventMessage,
    EventType,
    FeedbackMessage,
    Message,
    PayloadError,
    PostureState,
    PromptMessage,
    SensorState,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
    Telemetry,
    label_of,
    round_deg,
    round_s,
)
from sensor_hub.mqtt.topics import DEFAULT_PREFIX, TopicKind, parse_topic
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus, ForwardAxis
from sensor_hub.processing.config import Role
from sensor_hub.processing.stance import Stance

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "OFFLINE",
    "ONLINE",
    "PAYLOAD_VERSION",
    "PayloadError",
    "availability_payload",
    "decode_message",
    "dump_json",
    "encode",
    "event_payload",
    "load_json",
    "parse_availability",
    "parse_event",
    "parse_state",
    "parse_telemetry",
    "state_payload",
    "telemetry_payload",
]

PAYLOAD_VERSION: Final = 1
ONLINE: Final = b"online"
OFFLINE: Final = b"offline"
#: Larger payloads are refused unread (a state message is about 400 bytes).
MAX_PAYLOAD_BYTES: Final = 16_384

E = TypeVar("E", bound=Enum)


# -- builders ---------------------------------------------------------------------------------


def dump_json(obj: Mapping[str, object]) -> bytes:
    """Compact, key-sorted UTF-8 JSON; ``NaN`` is refused."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _head(wearer: str, ts_s: float, sensor: Role | None) -> dict[str, object]:
    head: dict[str, object] = {"v": PAYLOAD_VERSION, "ts": round_s(ts_s), "wearer": wearer}
    if sensor is not None:
        head["sensor"] = sensor.value
    return head


def _label(member: Enum | None) -> str | None:
    return None if member is None else label_of(member)


def telemetry_payload(msg: Telemetry) -> bytes:
    obj = _head(msg.wearer, msg.ts_s, msg.sensor) | {
        "flexion_deg": round_deg(msg.flexion_deg),
        "lateral_deg": round_deg(msg.lateral_deg),
        "activity": label_of(msg.activity),
        "band": label_of(msg.band),
        "calibration": label_of(msg.calibration),
    }
    relative = round_deg(msg.relative_flexion_deg)
    if relative is not None:
        obj["relative_flexion_deg"] = relative
    if msg.stance is not None:
        obj["stance"] = label_of(msg.stance)
    return dump_json(obj)


def state_payload(msg: SensorState) -> bytes:
    return dump_json(
        _head(msg.wearer, msg.ts_s, msg.sensor)
        | {
            "posture": msg.posture.label,
            "connected": msg.connected,
            "flexion_deg": round_deg(msg.flexion_deg),
            "lateral_deg": round_deg(msg.lateral_deg),
            "activity": _label(msg.activity),
            "band": _label(msg.band),
            "calibration": _label(msg.calibration),
            "battery_pct": msg.battery_pct,
            "data_age_s": round_s(msg.data_age_s),
            "paused_until": round_s(msg.paused_until_s),
            "gaps": msg.gaps,
            "lost_samples": msg.lost_samples,
        }
        | ({} if msg.stance is None else {"stance": label_of(msg.stance)})
        | _forward_axis_fields(msg)
    )


def _forward_axis_fields(msg: SensorState) -> dict[str, object]:
    """The state's optional ``forward_axis`` and ``mount_yaw_deg`` (each absent when unknown)."""
    out: dict[str, object] = {}
    if msg.forward_axis is not None:
        out["forward_axis"] = label_of(msg.forward_axis)
    yaw = round_deg(msg.mount_yaw_deg)
    if yaw is not None:
        out["mount_yaw_deg"] = yaw
    return out


def event_payload(msg: EventMessage) -> bytes:
    """The events topic's payload of an episode event, a prompt or an alert decision."""
    sensor = None if isinstance(msg, AnswerMessage) else msg.sensor
    obj = _head(msg.wearer, msg.ts_s, sensor) | {"event_type": msg.event_type.value}
    if isinstance(msg, EpisodeMessage):
        obj |= {
            "kind": msg.kind.value,
            "start_s": round_s(msg.start_s),
            "alert_s": round_s(msg.alert_s),
            "end_s": round_s(msg.end_s),
            "duration_s": msg.duration_s,
            "peak_deg": round_deg(msg.peak_deg),
            "mean_deg": round_deg(msg.mean_deg),
        }
    elif isinstance(msg, PromptMessage):
        obj |= {
            "prompt_id": msg.prompt_id,
            "move_id": msg.move_id,
            "reason": msg.reason,
            "detail": dict(msg.detail),
        }
    else:
        obj |= _decision_fields(msg)
    return dump_json(obj)


def _decision_fields(
    msg: AlertMessage | SuppressedMessage | AnswerMessage | FeedbackMessage,
) -> dict[str, object]:
    if isinstance(msg, AlertMessage):
        return {
            "kind": msg.kind.value,
            "level": msg.level,
            "pattern": label_of(msg.pattern),
            "intensity_pct": msg.intensity_pct,
            "episode_start_s": round_s(msg.episode_start_s),
        }
    if isinstance(msg, SuppressedMessage):
        return {
            "what": msg.what.value,
            "reason": msg.reason.value,
            "kind": _label(msg.kind),
            "level": msg.level,
            "trigger": msg.trigger,
        }
    if isinstance(msg, AnswerMessage):
        return {
            "prompt_id": msg.prompt_id,
            "move_id": msg.move_id,
            "answer": msg.answer.value,
            "response_s": round_s(msg.response_s),
        }
    return {
        "kind": msg.kind.value,
        "corrected_after_s": round_s(msg.corrected_after_s),
        "buzz": msg.buzz,
    }


def availability_payload(online: bool) -> bytes:
    """``online`` (published retained on connect) or ``offline`` (the last will)."""
    return ONLINE if online else OFFLINE


def encode(msg: Message) -> bytes:
    """The payload of any message (its topic: :class:`~sensor_hub.mqtt.topics.Topics`)."""
    if isinstance(msg, Telemetry):
        return telemetry_payload(msg)
    if isinstance(msg, SensorState):
        return state_payload(msg)
    if isinstance(msg, Availability):
        return availability_payload(msg.online)
    return event_payload(msg)


# -- parsers ----------------------------------------------------------------------------------


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def load_json(data: bytes, what: str) -> dict[str, object]:
    """A JSON object from ``data`` (``what`` names it in errors); no version check."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"{what}: payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        obj = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise PayloadError(f"{what}: not valid JSON (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"{what}: not valid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise PayloadError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    return obj


class _Reader:
    """Typed access to a parsed payload's fields, each error naming the payload and field."""

    def __init__(self, data: bytes, what: str) -> None:
        self.what = what
        self.obj = load_json(data, what)
        version = self.obj.get("v")
        if version != PAYLOAD_VERSION or isinstance(version, bool):
            raise PayloadError(f"{what}: unsupported version {version!r} (expected 1)")

    def error(self, key: str, expected: str) -> PayloadError:
        return PayloadError(f"{self.what}: field {key!r} must be {expected}, got {self.obj[key]!r}")

    def _get(self, key: str) -> object:
        if key not in self.obj:
            raise PayloadError(f"{self.what}: missing field {key!r}")
        return self.obj[key]

    def _required(self, key: str) -> object:
        value = self._get(key)
        if value is None:
            raise PayloadError(f"{self.what}: field {key!r} must not be null")
        return value

    def number_or_none(self, key: str) -> float | None:
        value = self._get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, "a number")
        return float(value)

    def number(self, key: str) -> float:
        self._required(key)
        value = self.number_or_none(key)
        return 0.0 if value is None else value

    def time(self, key: str) -> float:
        value = self.number(key)
        if value < 0:
            raise self.error(key, "a time >= 0")
        return value

    def time_or_none(self, key: str) -> float | None:
        return None if self._get(key) is None else self.time(key)

    def integer_or_none(self, key: str) -> int | None:
        value = self._get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.error(key, "an integer")
        return value

    def count(self, key: str) -> int:
        value = self._required(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, "an integer >= 0")
        return value

    def text(self, key: str) -> str:
        value = self._required(key)
        if not isinstance(value, str):
            raise self.error(key, "a string")
        return value

    def text_or_none(self, key: str) -> str | None:
        return None if self._get(key) is None else self.text(key)

    def flag(self, key: str) -> bool:
        value = self._required(key)
        if not isinstance(value, bool):
            raise self.error(key, "true or false")
        return value

    def enum(self, key: str, cls: type[E]) -> E:
        value = self.text(key)
        for member in cls:
            if label_of(member) == value:
                return member
        raise self.error(key, "one of " + ", ".join(label_of(m) for m in cls))

    def enum_or_none(self, key: str, cls: type[E]) -> E | None:
        return None if self._get(key) is None else self.enum(key, cls)

    @contextmanager
    def building(self) -> Iterator[None]:
        """Name the payload in the errors of the message's own checks."""
        try:
            yield
        except PayloadError as exc:
            raise PayloadError(f"{self.what}: {exc}") from None


def parse_telemetry(data: bytes) -> Telemetry:
    r = _Reader(data, "telemetry")
    relative = r.number_or_none("relative_flexion_deg") if "relative_flexion_deg" in r.obj else None
    with r.building():
        return Telemetry(
            wearer=r.text("wearer"),
            sensor=r.enum("sensor", Role),
            ts_s=r.time("ts"),
            flexion_deg=r.number_or_none("flexion_deg"),
            lateral_deg=r.number_or_none("lateral_deg"),
            activity=r.enum("activity", Activity),
            band=r.enum("band", Band),
            calibration=r.enum("calibration", CalibrationStatus),
            relative_flexion_deg=relative,
            stance=r.enum("stance", Stance) if "stance" in r.obj else None,
        )


def parse_state(data: bytes) -> SensorState:
    r = _Reader(data, "state")
    with r.building():
        return SensorState(
            wearer=r.text("wearer"),
            sensor=r.enum("sensor", Role),
            ts_s=r.time("ts"),
            posture=r.enum("posture", PostureState),
            connected=r.flag("connected"),
            flexion_deg=r.number_or_none("flexion_deg"),
            lateral_deg=r.number_or_none("lateral_deg"),
            activity=r.enum_or_none("activity", Activity),
            band=r.enum_or_none("band", Band),
            calibration=r.enum_or_none("calibration", CalibrationStatus),
            battery_pct=r.integer_or_none("battery_pct"),
            data_age_s=r.number_or_none("data_age_s"),
            paused_until_s=r.time_or_none("paused_until"),
            gaps=r.count("gaps"),
            lost_samples=r.count("lost_samples"),
            stance=r.enum("stance", Stance) if "stance" in r.obj else None,
            forward_axis=r.enum("forward_axis", ForwardAxis) if "forward_axis" in r.obj else None,
            mount_yaw_deg=r.number("mount_yaw_deg") if "mount_yaw_deg" in r.obj else None,
        )


def parse_event(data: bytes) -> EventMessage:
    r = _Reader(data, "event")
    event_type = r.enum("event_type", EventType)
    if event_type is EventType.PROMPT:
        detail = r.obj.get("detail", {})
        if not isinstance(detail, dict) or not all(
            isinstance(v, str | int | float | bool) or v is None for v in detail.values()
        ):
            raise PayloadError("event: field 'detail' must be an object of scalar values")
        with r.building():
            return PromptMessage(
                wearer=r.text("wearer"),
                ts_s=r.time("ts"),
                prompt_id=r.text("prompt_id"),
                move_id=r.text("move_id"),
                reason=r.text("reason"),
                sensor=r.enum_or_none("sensor", Role) if "sensor" in r.obj else None,
                detail=detail,
            )
    if event_type in EVENT_PHASES:
        with r.building():
            return EpisodeMessage(
                wearer=r.text("wearer"),
                sensor=r.enum("sensor", Role),
                ts_s=r.time("ts"),
                phase=EVENT_PHASES[event_type],
                kind=r.enum("kind", EpisodeKind),
                start_s=r.number("start_s"),
                alert_s=r.number_or_none("alert_s"),
                end_s=r.number_or_none("end_s"),
                peak_deg=r.number_or_none("peak_deg"),
                mean_deg=r.number_or_none("mean_deg"),
            )
    return _parse_decision(r, event_type)


def _parse_decision(
    r: _Reader, event_type: EventType
) -> AlertMessage | SuppressedMessage | AnswerMessage | FeedbackMessage:
    wearer, ts_s = r.text("wearer"), r.time("ts")
    if event_type is EventType.ALERT:
        sensor, kind = r.enum("sensor", Role), r.enum("kind", EpisodeKind)
        level, pattern = r.count("level"), r.enum("pattern", HapticPattern)
        intensity, start = r.count("intensity_pct"), r.number("episode_start_s")
        with r.building():
            return AlertMessage(wearer, ts_s, sensor, kind, level, pattern, intensity, start)
    if event_type is EventType.ALERT_SUPPRESSED:
        what, reason = r.enum("what", SuppressedWhat), r.enum("reason", SuppressionReason)
        kind_or_none = r.enum_or_none("kind", EpisodeKind)
        level_or_none, trigger = r.integer_or_none("level"), r.text_or_none("trigger")
        with r.building():
            msg = SuppressedMessage(
                wearer, ts_s, what, reason, kind_or_none, level_or_none, trigger
            )
        claimed = r.enum_or_none("sensor", Role) if "sensor" in r.obj else msg.sensor
        if claimed is not msg.sensor:
            raise r.error("sensor", f"the sensor of kind {msg.kind}")
        return msg
    if event_type is EventType.PROMPT_ANSWERED:
        prompt_id, move_id = r.text("prompt_id"), r.text("move_id")
        answer, response = r.enum("answer", Answer), r.number("response_s")
        with r.building():
            return AnswerMessage(wearer, ts_s, prompt_id, move_id, answer, response)
    sensor, kind = r.enum("sensor", Role), r.enum("kind", EpisodeKind)
    after, buzz = r.number("corrected_after_s"), r.flag("buzz")
    with r.building():
        return FeedbackMessage(wearer, ts_s, sensor, kind, after, buzz)


def parse_availability(data: bytes) -> bool:
    """``True`` for ``online``, ``False`` for ``offline``."""
    if data == ONLINE:
        return True
    if data == OFFLINE:
        return False
    raise PayloadError(f"availability: expected b'online' or b'offline', got {data[:32]!r}")


def decode_message(topic: str, data: bytes, prefix: str = DEFAULT_PREFIX) -> Message | None:
    """The message on ``topic``, checked against it; ``None`` for topics that carry no data
    record (commands, replies, raw blocks).

    Raises:
        TopicError: a topic outside the scheme.
        PayloadError: a bad payload, or one whose wearer or sensor differs from its topic's (a
            wearer's credentials allow publishing only under their own topics; the payload must
            not claim another's).
    """
    info = parse_topic(topic, prefix)
    msg: Message
    if info.kind is TopicKind.AVAILABILITY:
        return Availability(info.wearer, parse_availability(data))
    if info.kind is TopicKind.TELEMETRY:
        msg = parse_telemetry(data)
    elif info.kind is TopicKind.STATE:
        msg = parse_state(data)
    elif info.kind is TopicKind.EVENTS:
        msg = parse_event(data)
    else:
        return None
    if msg.wearer != info.wearer:
        raise PayloadError(f"{topic}: payload wearer {msg.wearer!r} differs from the topic's")
    if info.sensor is not None and getattr(msg, "sensor", None) is not info.sensor:
        raise PayloadError(f"{topic}: payload sensor differs from the topic's {info.sensor}")
    return msg
