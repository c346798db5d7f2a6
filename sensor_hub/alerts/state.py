"""The alert policy's memory: frozen dataclasses, and their JSON form for the hub to persist.

:class:`PolicyState` is everything :class:`~sensor_hub.alerts.policy.AlertPolicy` needs to go on
after a restart as if it had not stopped: open episodes and their escalation, the timers, a
snooze or pause, the last hour's buzzes (for the cap), open prompts (so a late answer still
counts), the selection history (variety and progression) and the baseline histogram.
:func:`state_to_json` / :func:`state_from_json` map it to plain JSON values and back; a document
that does not fit raises one :class:`StateError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any, Final

from sensor_hub.alerts.actions import Hold, Reason
from sensor_hub.alerts.selection import Posture, SelectionHistory
from sensor_hub.processing.activity import Activity

__all__ = [
    "BASELINE_BINS",
    "BASELINE_LOW_DEG",
    "STATE_VERSION",
    "OpenEpisode",
    "OpenPrompt",
    "PolicyState",
    "StateError",
    "state_from_json",
    "state_to_json",
]

STATE_VERSION: Final = 1
#: Baseline histogram: 1° bins from this flexion on (values outside are clipped to the ends).
BASELINE_LOW_DEG: Final = -45
BASELINE_BINS: Final = 136  # -45 .. +90


class StateError(ValueError):
    """A saved policy state that cannot be restored."""


@dataclass(frozen=True, slots=True)
class OpenEpisode:
    """An episode the detector reported and has not ended.  ``level``: buzzes delivered."""

    kind: str
    start_s: float
    alert_s: float | None = None
    level: int = 0
    next_s: float | None = None  # when the next (escalated) alert is due
    last_buzz_s: float | None = None
    prompted: bool = False
    capped: bool = False
    last_reason: Reason | None = None  # the last suppression recorded (not repeated)


@dataclass(frozen=True, slots=True)
class OpenPrompt:
    prompt_id: str
    move_id: str
    time_s: float


@dataclass(frozen=True, slots=True)
class PolicyState:
    """Everything the policy remembers: save it, restore it with :meth:`AlertPolicy.set_state`."""

    now_s: float | None = None
    activity: Activity = Activity.UPRIGHT
    posture: Posture = Posture.UNKNOWN
    episodes: tuple[OpenEpisode, ...] = ()
    static_since_s: float | None = None  # upright without walking since
    static_anchor_s: float | None = None  # ... counted for the next prompt from
    sitting_since_s: float | None = None
    sitting_anchor_s: float | None = None
    hold: Hold | None = None
    hold_until_s: float | None = None
    buzz_times_s: tuple[float, ...] = ()  # the last hour's
    last_prompt_s: float | None = None
    prompts: tuple[OpenPrompt, ...] = ()  # shown, not yet answered (the last few)
    history: SelectionHistory = field(default_factory=SelectionHistory)
    prompt_seq: int = 0
    baseline_counts: tuple[int, ...] = (0,) * BASELINE_BINS


def _plain(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def state_to_json(state: PolicyState) -> dict[str, object]:
    """Plain JSON values (``json.dumps`` ready), with a version."""
    out = _plain(state)
    assert isinstance(out, dict)
    return {"v": STATE_VERSION, **out}


def _opt(d: Mapping[str, Any], key: str) -> float | None:
    value = d.get(key)
    return None if value is None else float(value)


def _episode(d: Mapping[str, Any]) -> OpenEpisode:
    reason = d.get("last_reason")
    return OpenEpisode(
        kind=str(d["kind"]),
        start_s=float(d["start_s"]),
        alert_s=_opt(d, "alert_s"),
        level=int(d["level"]),
        next_s=_opt(d, "next_s"),
        last_buzz_s=_opt(d, "last_buzz_s"),
        prompted=bool(d["prompted"]),
        capped=bool(d["capped"]),
        last_reason=None if reason is None else Reason(reason),
    )


def state_from_json(document: object) -> PolicyState:
    """The state saved by :func:`state_to_json`.  Raises :class:`StateError`."""
    if not isinstance(document, dict) or document.get("v") != STATE_VERSION:
        raise StateError(f"policy state: expected an object with v={STATE_VERSION}")
    d: dict[str, Any] = document
    try:
        history = d["history"]
        counts = tuple(int(c) for c in d["baseline_counts"])
        if len(counts) != BASELINE_BINS:
            raise ValueError(f"baseline_counts needs {BASELINE_BINS} bins, got {len(counts)}")
        hold = d.get("hold")
        return PolicyState(
            now_s=_opt(d, "now_s"),
            activity=Activity(int(d["activity"])),
            posture=Posture(d["posture"]),
            episodes=tuple(_episode(e) for e in d["episodes"]),
            static_since_s=_opt(d, "static_since_s"),
            static_anchor_s=_opt(d, "static_anchor_s"),
            sitting_since_s=_opt(d, "sitting_since_s"),
            sitting_anchor_s=_opt(d, "sitting_anchor_s"),
            hold=None if hold is None else Hold(hold),
            hold_until_s=_opt(d, "hold_until_s"),
            buzz_times_s=tuple(float(t) for t in d["buzz_times_s"]),
            last_prompt_s=_opt(d, "last_prompt_s"),
            prompts=tuple(
                OpenPrompt(str(p["prompt_id"]), str(p["move_id"]), float(p["time_s"]))
                for p in d["prompts"]
            ),
            history=SelectionHistory(
                tuple((str(k), float(t)) for k, t in history["shown_s"]),
                tuple((str(k), int(n)) for k, n in history["done"]),
            ),
            prompt_seq=int(d["prompt_seq"]),
            baseline_counts=counts,
        )
    except (KeyError, TypeError, ValueError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise StateError(f"policy state: {what}") from None
