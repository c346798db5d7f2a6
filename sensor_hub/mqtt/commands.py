"""Commands in and replies out: parsing, validation, authorisation and reply payloads (pure).

A command is a JSON object on ``{prefix}/v1/{wearer}/cmd``::

    {"v": 1, "command": "snooze", "id": "req-7", "duration_s": 900}

Every command is checked in full before anything happens — unknown command, unknown or missing
field, wrong type, value out of range, another wearer's topic — and a bad one raises
:class:`CommandError` with a stable ``code``; the hub answers it with an error reply and changes
nothing.  The request ``id`` (string or integer, optional) is echoed in the reply, as is the
command name, so a client can match replies even over MQTT 3.1.1, which has no correlation data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar, Final, TypeVar

from sensor_hub.mqtt.messages import Answer, JsonScalar, PayloadError, round_s
from sensor_hub.mqtt.payloads import PAYLOAD_VERSION, dump_json, load_json
from sensor_hub.mqtt.topics import TopicError, TopicKind, Topics, parse_topic

__all__ = [
    "ALERT_SETTINGS",
    "COMMAND_RANGES",
    "DEFAULT_PAUSE_S",
    "DEFAULT_SNOOZE_S",
    "MAX_ALERT_SETTINGS",
    "MAX_COMMAND_BYTES",
    "Answer",
    "Calibrate",
    "Command",
    "CommandError",
    "CommandName",
    "ErrorCode",
    "Pause",
    "PromptAck",
    "Resume",
    "SetAlerts",
    "SetThresholds",
    "Snooze",
    "Until",
    "decode_command",
    "error_reply",
    "ok_reply",
    "parse_command",
    "reply_payload",
    "reply_topic",
]

MAX_COMMAND_BYTES: Final = 4096
DEFAULT_SNOOZE_S: Final = 900.0
DEFAULT_PAUSE_S: Final = 3600.0
_DAY_S: Final = 86_400.0

#: Accepted range (inclusive) of every numeric command field.
COMMAND_RANGES: Final = {
    "window_s": (1.0, 60.0),
    "duration_s": (1.0, _DAY_S),
    "threshold_deg": (5.0, 60.0),
    "hold_s": (5.0, 600.0),
    "dip_s": (0.0, 60.0),
}


#: The settings ``set_alerts`` may change: the fields of
#: :class:`sensor_hub.alerts.config.AlertConfig` (the tests keep the two equal; this layer does
#: not import the alert policy).  Their values are checked when the hub applies them.
ALERT_SETTINGS: Final = frozenset(
    {
        "mode", "baseline_until_s", "repeat_after_s", "max_escalations", "max_alerts_per_hour",
        "positive_feedback_within_s", "positive_feedback_buzz", "quiet_hours",
        "prompt_cooldown_s", "move_cooldown_s", "prompt_at_level", "long_static_s",
        "prolonged_sitting_s", "progress_after_done", "floor_when_standing", "snooze_s",
        "pause_s", "haptic_intensity_pct", "haptic_step_pct", "haptic_duration_ms",
    }
)  # fmt: skip
#: At most this many settings in one ``set_alerts``.
MAX_ALERT_SETTINGS: Final = 32


class ErrorCode(StrEnum):
    BAD_JSON = "bad_json"  # not JSON, not an object, too large
    BAD_VERSION = "bad_version"
    UNKNOWN_COMMAND = "unknown_command"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    BAD_TYPE = "bad_type"
    OUT_OF_RANGE = "out_of_range"
    FORBIDDEN = "forbidden"  # another wearer's command topic
    FAILED = "failed"  # valid, but carrying it out failed (set by the hub)


class CommandName(StrEnum):
    CALIBRATE = "calibrate"
    SNOOZE = "snooze"
    PAUSE = "pause"
    RESUME = "resume"
    PROMPT_ACK = "prompt_ack"
    SET_THRESHOLDS = "set_thresholds"
    SET_ALERTS = "set_alerts"


class Until(StrEnum):
    TOMORROW = "tomorrow"  # the start of the next local day


RequestId = str | int
S = TypeVar("S", bound=StrEnum)


class CommandError(ValueError):
    """A command that must be refused; ``command`` and ``request_id`` as far as they were read."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        command: str | None = None,
        request_id: RequestId | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.command = command
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Calibrate:
    """Take the next ``window_s`` seconds of still posture as neutral (``None``: the default)."""

    window_s: float | None = None
    request_id: RequestId | None = None
    name: ClassVar[CommandName] = CommandName.CALIBRATE


@dataclass(frozen=True, slots=True)
class _Hold:
    duration_s: float | None = None
    until: Until | None = None
    request_id: RequestId | None = None
    default_s: ClassVar[float] = DEFAULT_SNOOZE_S

    def end_s(self, now_s: float, tz: tzinfo | None = None) -> float:
        """When the hold ends, for a command received at ``now_s`` (Unix seconds); ``tz``: the
        wearer's time zone for ``until`` (default: the host's)."""
        if self.until is Until.TOMORROW:
            local = datetime.fromtimestamp(now_s, tz) if tz else datetime.fromtimestamp(now_s)
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            return (start + timedelta(days=1)).timestamp()  # wall-clock arithmetic: DST-safe
        return now_s + (self.default_s if self.duration_s is None else self.duration_s)


@dataclass(frozen=True, slots=True)
class Snooze(_Hold):
    """Mute alerts and prompts (monitoring and recording go on)."""

    name: ClassVar[CommandName] = CommandName.SNOOZE


@dataclass(frozen=True, slots=True)
class Pause(_Hold):
    """Pause monitoring: no episodes, alerts or prompts (state says ``paused``)."""

    name: ClassVar[CommandName] = CommandName.PAUSE
    default_s: ClassVar[float] = DEFAULT_PAUSE_S


@dataclass(frozen=True, slots=True)
class Resume:
    """End a snooze or a pause now."""

    request_id: RequestId | None = None
    name: ClassVar[CommandName] = CommandName.RESUME


@dataclass(frozen=True, slots=True)
class PromptAck:
    prompt_id: str
    answer: Answer
    request_id: RequestId | None = None
    name: ClassVar[CommandName] = CommandName.PROMPT_ACK


@dataclass(frozen=True, slots=True)
class SetThresholds:
    """New detector settings; ``None`` keeps the current value (at least one is given)."""

    threshold_deg: float | None = None
    hold_s: float | None = None
    dip_s: float | None = None
    request_id: RequestId | None = None
    name: ClassVar[CommandName] = CommandName.SET_THRESHOLDS


@dataclass(frozen=True, slots=True)
class SetAlerts:
    """New alert settings (``AlertConfig`` field -> value as in the ``[alerts]`` table; at
    least one).  Only the shape is checked here; the hub validates the values when it applies
    them, all or nothing."""

    settings: Mapping[str, JsonScalar] = field(default_factory=dict)
    request_id: RequestId | None = None
    name: ClassVar[CommandName] = CommandName.SET_ALERTS


Command = Calibrate | Snooze | Pause | Resume | PromptAck | SetThresholds | SetAlerts

#: The fields each command may carry besides ``v``, ``command`` and ``id``.
_FIELDS: Final[dict[CommandName, frozenset[str]]] = {
    CommandName.CALIBRATE: frozenset({"window_s"}),
    CommandName.SNOOZE: frozenset({"duration_s", "until"}),
    CommandName.PAUSE: frozenset({"duration_s", "until"}),
    CommandName.RESUME: frozenset(),
    CommandName.PROMPT_ACK: frozenset({"prompt_id", "answer"}),
    CommandName.SET_THRESHOLDS: frozenset({"threshold_deg", "hold_s", "dip_s"}),
    CommandName.SET_ALERTS: frozenset({"settings"}),
}


class _Fields:
    def __init__(self, obj: dict[str, object], name: str, request_id: RequestId | None) -> None:
        self.obj, self.name, self.request_id = obj, name, request_id

    def error(self, code: ErrorCode, message: str) -> CommandError:
        return CommandError(code, message, command=self.name, request_id=self.request_id)

    def number(self, key: str) -> float | None:
        """An optional number in its range (absent: ``None``; ``null`` is not a number)."""
        if key not in self.obj:
            return None
        value = self.obj[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(ErrorCode.BAD_TYPE, f"{key} must be a number, got {value!r}")
        low, high = COMMAND_RANGES[key]
        if not low <= value <= high or (isinstance(value, float) and math.isnan(value)):
            raise self.error(ErrorCode.OUT_OF_RANGE, f"{key} must be {low:g} to {high:g}")
        return float(value)

    def choice(self, key: str, cls: type[S], *, required: bool) -> S | None:
        if key not in self.obj:
            if required:
                raise self.error(ErrorCode.MISSING_FIELD, f"{self.name} needs {key}")
            return None
        value = self.obj[key]
        for member in cls:
            if isinstance(value, str) and member.value == value:
                return member
        names = ", ".join(m.value for m in cls)
        raise self.error(ErrorCode.BAD_TYPE, f"{key} must be one of {names}, got {value!r}")


def _request_id(obj: dict[str, object]) -> RequestId | None:
    if "id" not in obj:
        return None
    value = obj["id"]
    if isinstance(value, str) and 0 < len(value) <= 128:
        return value
    if isinstance(value, float) and value.is_integer():  # JSON has one number type
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        return value
    raise CommandError(ErrorCode.BAD_TYPE, "id must be a string of 1-128 characters or an integer")


def parse_command(data: bytes) -> Command:
    """The command in ``data``.

    Raises:
        CommandError: anything wrong with it (see :class:`ErrorCode`).
    """
    if len(data) > MAX_COMMAND_BYTES:
        raise CommandError(ErrorCode.BAD_JSON, f"command larger than {MAX_COMMAND_BYTES} bytes")
    try:
        obj = load_json(data, "command")
    except PayloadError as exc:
        raise CommandError(ErrorCode.BAD_JSON, str(exc)) from None
    request_id = _request_id(obj)
    raw_name = obj.get("command")
    shown = raw_name[:64] if isinstance(raw_name, str) else None
    if "v" in obj and (obj["v"] != PAYLOAD_VERSION or isinstance(obj["v"], bool)):
        raise CommandError(
            ErrorCode.BAD_VERSION,
            f"unsupported version {obj['v']!r} (expected 1)",
            command=shown,
            request_id=request_id,
        )
    if raw_name is None:
        raise CommandError(
            ErrorCode.MISSING_FIELD, "missing field 'command'", request_id=request_id
        )
    name = next((c for c in CommandName if c.value == raw_name), None)
    if name is None:
        known = ", ".join(c.value for c in CommandName)
        raise CommandError(
            ErrorCode.UNKNOWN_COMMAND,
            f"unknown command {raw_name!r}; known: {known}",
            command=shown,
            request_id=request_id,
        )
    f = _Fields(obj, name.value, request_id)
    extra = sorted(set(obj) - {"v", "command", "id"} - _FIELDS[name])
    if extra:
        raise f.error(ErrorCode.UNKNOWN_FIELD, f"{name} takes no field {', '.join(extra)}")
    return _build(name, f)


def _build(name: CommandName, f: _Fields) -> Command:
    rid = f.request_id
    if name is CommandName.CALIBRATE:
        return Calibrate(f.number("window_s"), rid)
    if name in (CommandName.SNOOZE, CommandName.PAUSE):
        duration, until = f.number("duration_s"), f.choice("until", Until, required=False)
        if duration is not None and until is not None:
            raise f.error(ErrorCode.BAD_TYPE, f"{name} takes duration_s or until, not both")
        return (Snooze if name is CommandName.SNOOZE else Pause)(duration, until, rid)
    if name is CommandName.RESUME:
        return Resume(rid)
    if name is CommandName.PROMPT_ACK:
        if "prompt_id" not in f.obj:
            raise f.error(ErrorCode.MISSING_FIELD, "prompt_ack needs prompt_id")
        prompt_id = f.obj["prompt_id"]
        if not isinstance(prompt_id, str) or not 0 < len(prompt_id) <= 64:
            raise f.error(ErrorCode.BAD_TYPE, "prompt_id must be a string of 1-64 characters")
        answer = f.choice("answer", Answer, required=True)
        if answer is None:  # pragma: no cover - required=True raises first
            raise f.error(ErrorCode.MISSING_FIELD, "prompt_ack needs answer")
        return PromptAck(prompt_id, answer, rid)
    if name is CommandName.SET_ALERTS:
        return SetAlerts(_alert_settings(f), rid)
    values = SetThresholds(f.number("threshold_deg"), f.number("hold_s"), f.number("dip_s"), rid)
    if values.threshold_deg is None and values.hold_s is None and values.dip_s is None:
        raise f.error(
            ErrorCode.MISSING_FIELD, "set_thresholds needs threshold_deg, hold_s or dip_s"
        )
    return values


def _alert_settings(f: _Fields) -> Mapping[str, JsonScalar]:
    if "settings" not in f.obj:
        raise f.error(ErrorCode.MISSING_FIELD, "set_alerts needs settings")
    settings = f.obj["settings"]
    if not isinstance(settings, dict):
        raise f.error(ErrorCode.BAD_TYPE, "settings must be an object of setting: value")
    if not settings:
        raise f.error(ErrorCode.MISSING_FIELD, "set_alerts needs at least one setting")
    if len(settings) > MAX_ALERT_SETTINGS:
        raise f.error(ErrorCode.OUT_OF_RANGE, f"at most {MAX_ALERT_SETTINGS} settings at once")
    unknown = sorted(str(k)[:64] for k in settings if k not in ALERT_SETTINGS)
    if unknown:
        known = ", ".join(sorted(ALERT_SETTINGS))
        raise f.error(ErrorCode.UNKNOWN_FIELD, f"unknown setting {unknown[0]!r} (known: {known})")
    for key, value in settings.items():
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise f.error(ErrorCode.BAD_TYPE, f"settings.{key} must be a scalar value")
    return MappingProxyType(dict(settings))


def decode_command(topic: str, data: bytes, topics: Topics) -> Command:
    """A command received on ``topic`` by the hub of ``topics.wearer``: authorised, then parsed.

    Raises:
        CommandError: ``forbidden`` for any topic but this wearer's command topic (a broker
            without ACLs may deliver another wearer's commands), else as :func:`parse_command`.
    """
    try:
        info = parse_topic(topic, topics.prefix)
    except TopicError as exc:
        raise CommandError(ErrorCode.FORBIDDEN, str(exc)) from None
    if info.kind is not TopicKind.COMMAND or info.wearer != topics.wearer:
        raise CommandError(
            ErrorCode.FORBIDDEN, f"{topic!r} is not the command topic of {topics.wearer!r}"
        )
    return parse_command(data)


def reply_topic(topics: Topics, response_topic: str | None) -> str:
    """Where to reply: the request's MQTT 5 response topic if it is a valid topic name, else
    the wearer's 3.1.1 reply topic (the broker's ACL decides whether the reply is delivered)."""
    if (
        response_topic
        and not response_topic.startswith("$")
        and not any(c in response_topic for c in "+#\x00")
        and len(response_topic.encode()) <= 65535
    ):
        return response_topic
    return topics.reply


def reply_payload(
    wearer: str,
    ts_s: float,
    command: str | None,
    request_id: RequestId | None,
    *,
    error: CommandError | None = None,
    result: dict[str, JsonScalar] | None = None,
) -> bytes:
    """``{"v":1,"ok":...,"command":...,"id":...,"ts":...,"wearer":...}`` plus ``error`` (code,
    message) when refused or failed, or ``result`` (scalars) when done."""
    obj: dict[str, object] = {
        "v": PAYLOAD_VERSION,
        "ts": round_s(ts_s),
        "wearer": wearer,
        "ok": error is None,
        "command": command,
    }
    if request_id is not None:
        obj["id"] = request_id
    if error is not None:
        obj["error"] = {"code": error.code.value, "message": error.message}
    elif result:
        obj["result"] = dict(result)
    return dump_json(obj)


def ok_reply(
    wearer: str, ts_s: float, command: Command, result: dict[str, JsonScalar] | None = None
) -> bytes:
    """The success reply to ``command``."""
    return reply_payload(wearer, ts_s, command.name.value, command.request_id, result=result)


def error_reply(wearer: str, ts_s: float, error: CommandError) -> bytes:
    """The error reply to a refused (or failed) command."""
    return reply_payload(wearer, ts_s, error.command, error.request_id, error=error)
