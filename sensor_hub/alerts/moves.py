"""The corrective-move catalog: data in ``alerts/data/moves.json``, typed here.

The moves are the ones the project's source prescribes for low-back pain from muscle imbalance
(weak abdominals, glutes and hamstrings; short hip flexors and back extensors; an anteriorly
tilted pelvis).  They are data, not code, so a physiotherapist can edit the catalog without
touching the policy; ``moves.schema.json`` beside it describes the format and the tests check
the shipped file against it.  At run time the loader checks the same rules in plain Python (the
schema validator is a development tool) plus what a schema cannot say — unique ids, a
``progression`` that names an existing, not easier move, no progression cycles — and raises one
:class:`CatalogError` naming the file and the move.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Final, TypeVar

__all__ = [
    "CATALOG_RESOURCE",
    "Catalog",
    "CatalogError",
    "Move",
    "Place",
    "Sides",
    "Trigger",
    "load_catalog",
    "parse_catalog",
]

CATALOG_RESOURCE: Final = "moves.json"
_MAX_DIFFICULTY: Final = 3
E = TypeVar("E", bound=StrEnum)


class CatalogError(ValueError):
    """A move catalog that cannot be used; the message names the source and the move."""


class Trigger(StrEnum):
    """What was detected: the reason code a prompt carries (a store tag and MQTT ``reason``)."""

    LEAN_SITTING = "lean_sitting"  # sustained forward lean while sitting
    LEAN_STANDING = "lean_standing"
    LEAN = "lean"  # sustained forward lean, posture unknown
    PELVIC_TILT_STANDING = "pelvic_tilt_standing"  # sustained anterior pelvic tilt, standing
    PELVIC_TILT_SITTING = "pelvic_tilt_sitting"
    PELVIC_TILT = "pelvic_tilt"
    LONG_STATIC = "long_static"  # upright without walking for a long time
    PROLONGED_SITTING = "prolonged_sitting"


class Place(StrEnum):
    """Where a move can be done.  A desk allows ``chair`` and ``standing``, never ``floor``."""

    CHAIR = "chair"
    STANDING = "standing"
    FLOOR = "floor"


class Sides(StrEnum):
    NONE = "none"  # symmetric
    BOTH = "both"  # do it on one side, then the other (duration/reps are per side)
    ALTERNATING = "alternating"  # left, right, left ... (reps count both)


@dataclass(frozen=True, slots=True)
class Move:
    """One move.  Exactly one of ``duration_s`` (hold) and ``reps`` is set."""

    id: str
    name: str
    why: str
    steps: tuple[str, ...]
    duration_s: int | None
    reps: int | None
    sides: Sides
    where: frozenset[Place]
    difficulty: int
    progression: str | None
    triggers: tuple[Trigger, ...]
    safety: tuple[str, ...]

    @property
    def dose(self) -> str:
        """``"30 s each side"``, ``"10 reps"``: the amount in words."""
        amount = f"{self.duration_s} s" if self.duration_s is not None else f"{self.reps} reps"
        if self.sides is Sides.BOTH:
            return f"{amount} each side"
        if self.sides is Sides.ALTERNATING:
            return f"{amount}, alternating sides"
        return amount


@dataclass(frozen=True, slots=True)
class Catalog:
    """The moves in file order, by id, and the notes shown with every move."""

    moves: tuple[Move, ...]
    safety: tuple[str, ...]
    by_id: Mapping[str, Move]

    def __getitem__(self, move_id: str) -> Move:
        return self.by_id[move_id]

    def family(self, move_id: str) -> str:
        """The entry move whose progression chain leads to ``move_id`` (itself if none)."""
        parents = {m.progression: m.id for m in self.moves if m.progression}
        current = move_id
        while current in parents:
            current = parents[current]
        return current

    def for_trigger(self, trigger: Trigger) -> tuple[Move, ...]:
        """The entry moves suggested for ``trigger``, in file order."""
        return tuple(m for m in self.moves if trigger in m.triggers)


def _str(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{what} must be a non-empty string")
    return value


def _strs(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise CatalogError(f"{what} must be a non-empty list of strings")
    return tuple(_str(v, what) for v in value)


def _int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CatalogError(f"{what} must be an integer {low}-{high}, got {value!r}")
    return value


def _enums(value: object, cls: type[E], what: str) -> tuple[E, ...]:
    if not isinstance(value, list):
        raise CatalogError(f"{what} must be a list")
    out: list[E] = []
    for item in value:
        try:
            out.append(cls(item))
        except ValueError:
            known = ", ".join(m.value for m in cls)
            raise CatalogError(f"{what}: {item!r} is not one of {known}") from None
    return tuple(out)


_KEYS: Final = frozenset(
    {"id", "name", "why", "steps", "duration_s", "reps", "sides", "where", "difficulty"}
    | {"progression", "triggers", "safety"}
)


def _move(obj: object, index: int) -> Move:
    if not isinstance(obj, dict):
        raise CatalogError(f"moves[{index}] must be an object")
    where = f"moves[{index}]"
    move_id = _str(obj.get("id"), f"{where}.id")
    where = f"move {move_id!r}"
    unknown = sorted(set(obj) - _KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown field {unknown[0]!r}")
    duration = obj.get("duration_s")
    reps = obj.get("reps")
    if (duration is None) == (reps is None):
        raise CatalogError(f"{where}: give exactly one of duration_s and reps")
    progression = obj.get("progression")
    sides = _enums([obj.get("sides")], Sides, f"{where}.sides")[0]
    places = _enums(obj.get("where"), Place, f"{where}.where")
    if not places:
        raise CatalogError(f"{where}.where must name at least one place")
    return Move(
        id=move_id,
        name=_str(obj.get("name"), f"{where}.name"),
        why=_str(obj.get("why"), f"{where}.why"),
        steps=_strs(obj.get("steps"), f"{where}.steps"),
        duration_s=None if duration is None else _int(duration, f"{where}.duration_s", 5, 600),
        reps=None if reps is None else _int(reps, f"{where}.reps", 1, 50),
        sides=sides,
        where=frozenset(places),
        difficulty=_int(obj.get("difficulty"), f"{where}.difficulty", 1, _MAX_DIFFICULTY),
        progression=None if progression is None else _str(progression, f"{where}.progression"),
        triggers=_enums(obj.get("triggers"), Trigger, f"{where}.triggers"),
        safety=_strs(obj["safety"], f"{where}.safety") if "safety" in obj else (),
    )


def _check_links(moves: Sequence[Move], by_id: Mapping[str, Move]) -> None:
    for move in moves:
        if move.progression is None:
            continue
        nxt = by_id.get(move.progression)
        if nxt is None:
            raise CatalogError(f"move {move.id!r}: progression {move.progression!r} is no move")
        if nxt.difficulty < move.difficulty:
            raise CatalogError(f"move {move.id!r}: progression {nxt.id!r} is easier")
        seen = {move.id}
        current: Move | None = nxt
        while current is not None:
            if current.id in seen:
                raise CatalogError(f"move {move.id!r}: progression loops back to {current.id!r}")
            seen.add(current.id)
            current = by_id.get(current.progression) if current.progression else None


def parse_catalog(document: object, source: str = CATALOG_RESOURCE) -> Catalog:
    """A catalog from a parsed JSON document.  Raises :class:`CatalogError` (with ``source``)."""
    try:
        if not isinstance(document, dict):
            raise CatalogError("the catalog must be a JSON object")
        if document.get("version") != 1:
            raise CatalogError(f"unsupported version {document.get('version')!r} (expected 1)")
        raw = document.get("moves")
        if not isinstance(raw, list) or not raw:
            raise CatalogError("moves must be a non-empty list")
        moves = tuple(_move(obj, i) for i, obj in enumerate(raw))
        by_id: dict[str, Move] = {}
        for move in moves:
            if move.id in by_id:
                raise CatalogError(f"move {move.id!r} appears twice")
            by_id[move.id] = move
        _check_links(moves, by_id)
        return Catalog(moves, _strs(document.get("safety"), "safety"), MappingProxyType(by_id))
    except CatalogError as exc:
        raise CatalogError(f"{source}: {exc}") from None


def load_catalog(text: str | None = None) -> Catalog:
    """The shipped catalog (or one given as JSON ``text``).  Raises :class:`CatalogError`."""
    source = "<text>" if text is not None else f"sensor_hub.alerts/data/{CATALOG_RESOURCE}"
    if text is None:
        text = (
            resources.files("sensor_hub.alerts")
            .joinpath("data", CATALOG_RESOURCE)
            .read_text(encoding="utf-8")
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{source}: not valid JSON: {exc}") from None
    return parse_catalog(document, source)
