"""Per-wearer alert settings: one frozen, validated :class:`AlertConfig`.

The defaults follow what wearers of posture trainers ask for (see ``docs/alerts.md``): alerts
on sustained postures only, an escalation that stops after a couple of reminders, a cap per
hour so a bad day does not become a nagging one, positive feedback for a quick correction,
quiet hours at night and move prompts after long static or seated stretches.  Every value is
checked on construction; a bad one raises :class:`AlertConfigError` naming the field as it is
spelled in the ``[alerts]`` table of the settings file, so the CLI and an MQTT reply can say
exactly what to fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from enum import StrEnum
from typing import Final

__all__ = ["AlertConfig", "AlertConfigError", "AlertMode", "QuietHours", "parse_quiet_hours"]

_DAY_S: Final = 86_400.0
_HHMM: Final = re.compile(r"(\d{1,2}):(\d{2})")


class AlertConfigError(ValueError):
    """An invalid alert setting; ``field`` names it (``alerts.<field>`` in the message)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"alerts.{field_name}: {message}")
        self.field = field_name


class AlertMode(StrEnum):
    TRAINING = "training"  # buzz and prompt
    TRACKING = "tracking"  # silent: record only


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A local-time window without alerts or prompts; ``start > end`` wraps past midnight."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _hhmm(text: str, name: str) -> time:
    match = _HHMM.fullmatch(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise AlertConfigError(name, f"{text!r} is not a time HH:MM")
    return time(int(match[1]), int(match[2]))


def parse_quiet_hours(value: object, name: str = "quiet_hours") -> QuietHours | None:
    """``"22:00-07:00"`` → :class:`QuietHours`; ``"off"``, ``""``, ``false`` or ``None`` → none."""
    if value is None or value is False or (isinstance(value, str) and value.strip() in ("", "off")):
        return None
    if isinstance(value, QuietHours):
        return value
    if not isinstance(value, str) or value.count("-") != 1:
        raise AlertConfigError(name, f"expected 'HH:MM-HH:MM' or 'off', got {value!r}")
    start, end = value.split("-")
    return QuietHours(_hhmm(start, name), _hhmm(end, name))


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """How one wearer is alerted and prompted.  Times are seconds; ``None`` turns a feature off
    where noted."""

    mode: AlertMode = AlertMode.TRAINING
    #: Until this Unix time only record and learn the wearer's neutral (``None``: no baseline).
    baseline_until_s: float | None = None
    #: While an alerted episode stays open, buzz again after this long ...
    repeat_after_s: float = 120.0
    #: ... at most this many times (each stronger), then stay silent until it ends.
    max_escalations: int = 2
    #: Buzzes (first alerts and escalations) in any sliding hour; more are suppressed.
    max_alerts_per_hour: int = 6
    #: An episode that ends this soon after a buzz earns a "well done".
    positive_feedback_within_s: float = 30.0
    #: Whether the "well done" is also a short, soft buzz (distinct from the alert patterns).
    positive_feedback_buzz: bool = True
    quiet_hours: QuietHours | None = field(
        default_factory=lambda: QuietHours(time(22, 0), time(7, 0))
    )
    #: At least this long between two prompts of any kind.
    prompt_cooldown_s: float = 900.0
    #: The same move (family) is not suggested again within this long.
    move_cooldown_s: float = 1800.0
    #: A sustained episode prompts a move at this escalation level (0: with the first alert —
    #: the buzz says "you slouch", the prompt what to do about it; 1: only when the slouch
    #: outlasts the first buzz; ``None``: episodes never prompt).  The prompt cooldown keeps
    #: this from nagging: at most one prompt per ``prompt_cooldown_s``.
    prompt_at_level: int | None = 0
    #: Upright without walking this long → a move prompt (``None``: off).
    long_static_s: float | None = 2700.0
    #: Sitting this long → a move prompt (``None``: off; needs the posture to be known).
    prolonged_sitting_s: float | None = 3600.0
    #: A prompt answered "done" this many times is replaced by its harder variant.
    progress_after_done: int = 3
    #: Floor moves may be suggested while the wearer stands (never while sitting at a desk).
    floor_when_standing: bool = True
    #: Default lengths of a snooze (also the "snooze" answer to a prompt) and of a pause.
    snooze_s: float = 900.0
    pause_s: float = 3600.0
    #: The first alert's pulse strength and length; each escalation adds ``haptic_step_pct``.
    haptic_intensity_pct: int = 80
    haptic_step_pct: int = 10
    haptic_duration_ms: int = 300

    def __post_init__(self) -> None:
        if not isinstance(self.mode, AlertMode):
            raise AlertConfigError("mode", f"expected training or tracking, got {self.mode!r}")
        if self.baseline_until_s is not None:
            _number(self, "baseline_until_s", 0.0, math.inf)
        _number(self, "repeat_after_s", 10.0, _DAY_S)
        _integer(self, "max_escalations", 0, 10)
        _integer(self, "max_alerts_per_hour", 1, 120)
        _number(self, "positive_feedback_within_s", 0.0, 600.0)
        _number(self, "prompt_cooldown_s", 0.0, _DAY_S)
        _number(self, "move_cooldown_s", 0.0, 7 * _DAY_S)
        if self.prompt_at_level is not None:
            _integer(self, "prompt_at_level", 0, self.max_escalations)
        for name in ("long_static_s", "prolonged_sitting_s"):
            if getattr(self, name) is not None:
                _number(self, name, 60.0, _DAY_S)
        _integer(self, "progress_after_done", 1, 100)
        _number(self, "snooze_s", 60.0, _DAY_S)
        _number(self, "pause_s", 60.0, _DAY_S)
        _integer(self, "haptic_intensity_pct", 1, 100)
        _integer(self, "haptic_step_pct", 0, 100)
        _integer(self, "haptic_duration_ms", 10, 5000)
        for name in ("positive_feedback_buzz", "floor_when_standing"):
            if not isinstance(getattr(self, name), bool):
                raise AlertConfigError(name, f"expected true/false, got {getattr(self, name)!r}")
        if self.quiet_hours is not None and not isinstance(self.quiet_hours, QuietHours):
            raise AlertConfigError("quiet_hours", "expected QuietHours or None")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> AlertConfig:
        """Build from the ``[alerts]`` table (keys = field names; pure).  Numbers may also be
        given as strings (so environment variables work); ``quiet_hours`` is
        ``"HH:MM-HH:MM"`` or ``"off"``; ``"off"``/``"none"`` turns an optional time off."""
        return cls().updated(**data)

    def updated(self, **changes: object) -> AlertConfig:
        """A copy with ``changes`` (raw values as in :meth:`from_mapping`), validated — for
        settings changed over MQTT.  Raises :class:`AlertConfigError` and changes nothing."""
        known = _FIELDS
        kwargs: dict[str, object] = {}
        for key, value in changes.items():
            if key not in known:
                names = ", ".join(sorted(known))
                raise AlertConfigError(key, f"unknown setting (known: {names})")
            kwargs[key] = _coerce(key, value)
        return replace(self, **kwargs)  # type: ignore[arg-type]

    def as_mapping(self) -> dict[str, str | float | int | bool | None]:
        """The settings as file values (``from_mapping(c.as_mapping()) == c``)."""
        out: dict[str, str | float | int | bool | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, QuietHours | AlertMode) else value
        if self.quiet_hours is None:
            out["quiet_hours"] = "off"
        return out


_FIELDS: Final = frozenset(f.name for f in fields(AlertConfig))
_BOOL: Final = frozenset({"positive_feedback_buzz", "floor_when_standing"})
_INT: Final = frozenset(
    {"max_escalations", "max_alerts_per_hour", "prompt_at_level", "progress_after_done"}
    | {"haptic_intensity_pct", "haptic_step_pct", "haptic_duration_ms"}
)
_OPTIONAL: Final = frozenset(
    {"baseline_until_s", "prompt_at_level", "long_static_s", "prolonged_sitting_s"}
)
_OFF: Final = frozenset({"off", "none", ""})


def _coerce(key: str, value: object) -> object:  # noqa: PLR0911 - one branch per value type
    if key == "mode":
        try:
            return AlertMode(str(value).strip().lower())
        except ValueError:
            raise AlertConfigError(key, f"expected training or tracking, got {value!r}") from None
    if key == "quiet_hours":
        return parse_quiet_hours(value, key)
    if key in _OPTIONAL and (value is None or (isinstance(value, str) and value.strip() in _OFF)):
        return None
    if key in _BOOL:
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        if not isinstance(value, bool):
            raise AlertConfigError(key, f"expected true/false, got {value!r}")
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise AlertConfigError(key, f"expected a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlertConfigError(key, f"expected a number, got {type(value).__name__}")
    if key in _INT:
        if not float(value).is_integer():
            raise AlertConfigError(key, f"expected an integer, got {value!r}")
        return int(value)
    return float(value)


def _number(cfg: AlertConfig, name: str, low: float, high: float) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AlertConfigError(name, f"expected a number, got {value!r}")
    if not (low <= value <= high):  # NaN fails too
        raise AlertConfigError(name, f"{value!r} is outside {low:g}-{high:g}")


def _integer(cfg: AlertConfig, name: str, low: int, high: int) -> None:
    value = getattr(cfg, name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AlertConfigError(name, f"{value!r} is not an integer {low}-{high}")
