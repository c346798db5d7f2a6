"""Choosing a move for what was detected and where the wearer is (pure and deterministic).

* **Where**: the wearer's posture decides the places a move may need (:func:`places_for`):
  sitting means a desk — chair and standing moves only, never the floor; standing allows the
  floor too (if the wearer's settings do); unknown is treated like sitting.
* **What**: the catalog lists the entry moves for each :class:`Trigger`.
* **Progression**: a move marked "done" ``progress_after_done`` times is replaced by its harder
  variant (following the chain as far as the counts go), if that variant fits the place.
* **Variety and cooldowns**: a move family (an entry move and its harder variants) is not
  offered again within ``move_cooldown_s``; among the rest the least recently shown wins, ties
  in catalog order — so a day cycles through the suitable moves instead of repeating one.  No
  randomness: the same history always gives the same move.

Every :class:`Selection` carries the reason it was chosen, as a code (the trigger) and as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sensor_hub.alerts.moves import Catalog, Move, Place, Trigger

__all__ = [
    "TRIGGER_TEXT",
    "Posture",
    "Selection",
    "SelectionHistory",
    "places_for",
    "select_move",
    "trigger_for_episode",
]


class Posture(StrEnum):
    """Sitting or standing, when the hub knows it (a pelvis sensor or a posture classifier)."""

    SITTING = "sitting"
    STANDING = "standing"
    UNKNOWN = "unknown"


#: What each trigger means, for the prompt's text (``{minutes}``: how long it lasted).
TRIGGER_TEXT: Final[Mapping[Trigger, str]] = {
    Trigger.LEAN_SITTING: "You have been leaning forward in your seat for {minutes} min.",
    Trigger.LEAN_STANDING: "You have been leaning forward while standing for {minutes} min.",
    Trigger.LEAN: "You have been leaning forward for {minutes} min.",
    Trigger.PELVIC_TILT_STANDING: (
        "Your pelvis has been tipped forward (an arched lower back) while standing "
        "for {minutes} min."
    ),
    Trigger.PELVIC_TILT_SITTING: (
        "Your pelvis has been tipped forward (an arched lower back) while sitting "
        "for {minutes} min."
    ),
    Trigger.PELVIC_TILT: "Your pelvis has been tipped forward for {minutes} min.",
    Trigger.LONG_STATIC: "You have held a still posture for {minutes} min.",
    Trigger.PROLONGED_SITTING: "You have been sitting for {minutes} min.",
}


def trigger_for_episode(kind: str, posture: Posture) -> Trigger:
    """The trigger of a sustained episode of ``kind`` (``forward_lean``/``pelvic_tilt``)."""
    lean = kind == "forward_lean"
    if posture is Posture.SITTING:
        return Trigger.LEAN_SITTING if lean else Trigger.PELVIC_TILT_SITTING
    if posture is Posture.STANDING:
        return Trigger.LEAN_STANDING if lean else Trigger.PELVIC_TILT_STANDING
    return Trigger.LEAN if lean else Trigger.PELVIC_TILT


def places_for(posture: Posture, *, floor_when_standing: bool = True) -> frozenset[Place]:
    """Where a move may be done now: never on the floor at a desk (sitting or unknown)."""
    if posture is Posture.STANDING and floor_when_standing:
        return frozenset(Place)
    return frozenset({Place.CHAIR, Place.STANDING})


@dataclass(frozen=True, slots=True)
class SelectionHistory:
    """What selection remembers (saved with the policy state): when each move family was last
    shown, and how often each move was marked done.  Tuples of pairs, so it is hashable and
    maps directly to JSON."""

    shown_s: tuple[tuple[str, float], ...] = ()
    done: tuple[tuple[str, int], ...] = ()

    def last_shown_s(self, family: str) -> float | None:
        return dict(self.shown_s).get(family)

    def done_count(self, move_id: str) -> int:
        return dict(self.done).get(move_id, 0)

    def with_shown(self, family: str, time_s: float) -> SelectionHistory:
        shown = dict(self.shown_s)
        shown[family] = time_s
        return SelectionHistory(tuple(sorted(shown.items())), self.done)

    def with_done(self, move_id: str) -> SelectionHistory:
        done = dict(self.done)
        done[move_id] = done.get(move_id, 0) + 1
        return SelectionHistory(self.shown_s, tuple(sorted(done.items())))


@dataclass(frozen=True, slots=True)
class Selection:
    """A chosen move and why: ``trigger`` is the reason code, ``why`` the text for the wearer,
    ``chosen_because`` how selection picked it (variety, progression) for the log."""

    move: Move
    family: str
    trigger: Trigger
    why: str
    chosen_because: str


def _progressed(
    catalog: Catalog,
    entry: Move,
    places: frozenset[Place],
    history: SelectionHistory,
    progress_after_done: int,
) -> tuple[Move, str]:
    move, note = entry, ""
    while move.progression is not None and history.done_count(move.id) >= progress_after_done:
        harder = catalog[move.progression]
        if not harder.where & places:
            break
        done = history.done_count(move.id)
        note = f" A harder variant: you marked {move.name.lower()} done {done} times."
        move = harder
    return move, note


def select_move(
    catalog: Catalog,
    trigger: Trigger,
    places: frozenset[Place],
    history: SelectionHistory,
    now_s: float,
    *,
    move_cooldown_s: float,
    progress_after_done: int,
    lasted_s: float = 0.0,
) -> Selection | None:
    """The move to suggest for ``trigger`` at ``places``, or ``None`` when every suitable move
    is on its cooldown (or none fits the place).  ``lasted_s``: how long the detected posture
    lasted, for the text."""
    candidates: list[tuple[float, int, Move, str, str]] = []
    for order, entry in enumerate(catalog.for_trigger(trigger)):
        if not entry.where & places:
            continue
        last = history.last_shown_s(entry.id)
        if last is not None and now_s - last < move_cooldown_s:
            continue
        move, note = _progressed(catalog, entry, places, history, progress_after_done)
        candidates.append((-1.0 if last is None else last, order, move, entry.id, note))
    if not candidates:
        return None
    last, _, move, family, note = min(candidates, key=lambda c: (c[0], c[1]))
    minutes = max(1, round(lasted_s / 60.0))
    why = f"{TRIGGER_TEXT[trigger].format(minutes=minutes)} {move.name}: {move.why}{note}"
    because = "never suggested before" if last < 0 else "least recently suggested"
    return Selection(move, family, trigger, why, because + (" (progressed)" if note else ""))
