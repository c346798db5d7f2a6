"""Scoring a sitting/standing classifier against a simulator's ground truth (pure functions).

Used by ``bench/bench_stance.py`` and the tests.  The truth is the simulator's per-sample
``posture`` (``sitting``/``standing``; ``walking``, ``lying`` and ``transition`` are not scored)
and its segments (``stand_up``/``sit_down`` are the transitions):

* **accuracy**: share of the upright (sitting or standing) samples after the end of the first
  transition whose stance is right; ``settled_accuracy`` leaves out ``grace_s`` after each
  transition (the classifier decides a moment after the movement);
* **flips**: changes of the known stance (``unknown`` in between is skipped); a flip is
  *matched* when it goes the way a true transition went, from its start to ``match_s`` after
  its end, and *spurious* otherwise;
* **delay**: for each true transition, from its end to the first sample with the new stance
  (``None`` when it never comes before the next transition starts: missed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing.stance import Stance
from sensor_hub.samples import FloatArray

__all__ = ["StanceScore", "score_stance"]

TRANSITIONS = {"stand_up": Stance.STANDING, "sit_down": Stance.SITTING}


class SegmentLike(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def start_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class StanceScore:
    accuracy: float  # NaN when nothing is scored
    settled_accuracy: float
    scored_s: float
    transitions: int
    flips: int
    spurious_flips: int
    delays_s: tuple[float | None, ...]  # per true transition; None: missed

    @property
    def missed(self) -> int:
        return sum(d is None for d in self.delays_s)


def score_stance(
    t_s: FloatArray,
    stance: NDArray[np.uint8],
    truth_posture: NDArray[np.str_],
    segments: Sequence[SegmentLike],
    *,
    grace_s: float = 3.0,
    match_s: float = 6.0,
) -> StanceScore:
    """Score ``stance`` codes at ``t_s`` (see the module docstring)."""
    truth = np.full(t_s.shape[0], -1, dtype=np.int64)
    truth[truth_posture == "sitting"] = Stance.SITTING
    truth[truth_posture == "standing"] = Stance.STANDING
    moves = [s for s in segments if s.label in TRANSITIONS]
    first_end = moves[0].end_s if moves else float(t_s[0]) if len(t_s) else 0.0
    scored = (truth >= 0) & (t_s >= first_end)
    right = stance.astype(np.int64) == truth
    settled = scored.copy()
    for m in moves:
        settled &= ~((t_s >= m.end_s) & (t_s < m.end_s + grace_s))
    period = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 0.0

    known = np.flatnonzero(stance != Stance.UNKNOWN)
    changes = known[1:][stance[known[1:]] != stance[known[:-1]]]
    spurious = 0
    for i in changes.tolist():
        to, when = Stance(int(stance[i])), float(t_s[i])
        if not any(
            TRANSITIONS[m.label] is to and m.start_s <= when <= m.end_s + match_s for m in moves
        ):
            spurious += 1
    delays: list[float | None] = []
    for k, m in enumerate(moves):
        until = moves[k + 1].start_s if k + 1 < len(moves) else np.inf
        window = (t_s >= m.start_s) & (t_s < until) & (stance == TRANSITIONS[m.label])
        hits = np.flatnonzero(window)
        delays.append(float(t_s[hits[0]] - m.end_s) if hits.shape[0] else None)
    return StanceScore(
        accuracy=_share(right, scored),
        settled_accuracy=_share(right, settled),
        scored_s=float(scored.sum()) * period,
        transitions=len(moves),
        flips=int(changes.shape[0]),
        spurious_flips=spurious,
        delays_s=tuple(delays),
    )


def _share(right: NDArray[np.bool_], mask: NDArray[np.bool_]) -> float:
    n = int(mask.sum())
    return float(right[mask].sum()) / n if n else float("nan")
