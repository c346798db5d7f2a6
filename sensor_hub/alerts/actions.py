"""What the alert policy decides: frozen records, one per decision, with the time it was made.

The hub carries out :class:`Buzz`, :class:`Prompt`, :class:`PositiveFeedback` and
:class:`HoldChanged`; the others are records (:class:`Suppressed`, :class:`Corrected`,
:class:`Answered`) so that every decision — including each *silent* one — can be explained,
stored and summarised (:mod:`sensor_hub.alerts.adherence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firmware_protocol import HapticPattern
from sensor_hub.alerts.moves import Move, Trigger
from sensor_hub.mqtt.commands import Answer
from sensor_hub.mqtt.messages import JsonScalar, PromptMessage
from sensor_hub.processing.config import Role

__all__ = [
    "Action",
    "Answered",
    "Buzz",
    "Corrected",
    "Haptic",
    "Hold",
    "HoldChanged",
    "PositiveFeedback",
    "Prompt",
    "Reason",
    "Suppressed",
    "What",
]


class Reason(StrEnum):
    """Why something was not delivered."""

    PAUSED = "paused"  # the wearer paused monitoring
    TRACKING = "tracking"  # tracking mode: silent by choice
    BASELINE = "baseline"  # the baseline period records only
    LYING = "lying"  # never alert while lying down
    WALKING = "walking"  # ... or walking
    SNOOZED = "snoozed"
    QUIET_HOURS = "quiet_hours"
    HOURLY_CAP = "hourly_cap"  # max_alerts_per_hour reached
    ESCALATION_CAP = "escalation_cap"  # max_escalations reached for this episode
    PROMPT_COOLDOWN = "prompt_cooldown"  # another prompt was shown too recently
    NO_MOVE = "no_move"  # every suitable move is on its cooldown


class What(StrEnum):
    ALERT = "alert"
    PROMPT = "prompt"


class Hold(StrEnum):
    SNOOZE = "snooze"  # alerts and prompts muted
    PAUSE = "pause"  # monitoring paused


@dataclass(frozen=True, slots=True)
class Haptic:
    """HAPTIC_PULSE parameters (the hub wraps them in its ``AlertHaptic``)."""

    pattern: HapticPattern
    intensity_pct: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Buzz:
    """Vibrate for an episode of ``kind`` measured by ``role``: ``level`` 0 is the first alert,
    each escalation adds one and a stronger pattern."""

    time_s: float
    role: Role
    kind: str
    level: int
    haptic: Haptic
    episode_start_s: float


@dataclass(frozen=True, slots=True)
class Prompt:
    """Suggest ``move``; ``trigger`` is the reason code, ``why`` the text shown to the wearer."""

    time_s: float
    prompt_id: str
    move: Move
    trigger: Trigger
    why: str
    chosen_because: str
    role: Role | None = None
    safety: tuple[str, ...] = ()

    @property
    def move_id(self) -> str:
        return self.move.id

    def to_message(self, wearer: str) -> PromptMessage:
        """The MQTT prompt event (``detail``: how to do the move and why, scalars only)."""
        move = self.move
        detail: dict[str, JsonScalar] = {
            "name": move.name,
            "why": self.why,
            "steps": "\n".join(move.steps),
            "dose": move.dose,
            "duration_s": move.duration_s,
            "reps": move.reps,
            "sides": move.sides.value,
            "where": ",".join(sorted(p.value for p in move.where)),
            "difficulty": move.difficulty,
            "safety": "\n".join(self.safety + move.safety),
            "chosen_because": self.chosen_because,
        }
        return PromptMessage(
            wearer, self.time_s, self.prompt_id, move.id, self.trigger.value, self.role, detail
        )


@dataclass(frozen=True, slots=True)
class PositiveFeedback:
    """The wearer corrected within ``positive_feedback_within_s`` of a buzz ("well done");
    ``haptic`` is a soft single pulse unless turned off."""

    time_s: float
    role: Role
    kind: str
    corrected_after_s: float
    haptic: Haptic | None


@dataclass(frozen=True, slots=True)
class Suppressed:
    """An alert or prompt that was due but not delivered, and why."""

    time_s: float
    what: What
    reason: Reason
    kind: str | None = None
    trigger: Trigger | None = None
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Corrected:
    """An alerted episode ended: ``time_to_correct_s`` from its first alert to its end."""

    time_s: float
    role: Role
    kind: str
    alert_s: float
    end_s: float
    time_to_correct_s: float
    buzzes: int


@dataclass(frozen=True, slots=True)
class Answered:
    """The wearer answered a prompt ``response_s`` after it was shown."""

    time_s: float
    prompt_id: str
    move_id: str
    answer: Answer
    response_s: float


@dataclass(frozen=True, slots=True)
class HoldChanged:
    """A snooze or pause began (``hold``, ``until_s``) or ended (``hold`` None); ``automatic``
    when it ended because its time was up."""

    time_s: float
    hold: Hold | None
    until_s: float | None
    automatic: bool = False


Action = Buzz | Prompt | PositiveFeedback | Suppressed | Corrected | Answered | HoldChanged
