"""``office_day``: a condensed office day at the desk, as a list of steps.

One pass (about 50–60 minutes) has sustained slouches (one with two brief dips, a pair split
by an upright return), brief slouches, reaches and fidgets while working, a bend to the floor,
minutes of leaning just below the threshold, a walk with a standing bend, and a rest with
lying supine and on the right side.  Longer days cycle through the steps again.
"""

from __future__ import annotations

from sensor_hub.simulate import actions as act
from sensor_hub.simulate.actions import Rng, Step
from sensor_hub.simulate.actions import uniform as _u
from sensor_hub.simulate.trajectory import TimelineBuilder

__all__ = ["OFFICE_STEPS", "split_pair"]


def _work(low_s: float, high_s: float) -> Step:
    """Upright sitting at the desk with fidgets and reaches now and then."""

    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.sit_down(b, rng)
        end = b.now_s + _u(rng, low_s, high_s)
        while b.now_s < end - 15.0:
            act.upright(b, rng, min(_u(rng, 15.0, 60.0), end - b.now_s))
            if b.now_s < end - 15.0:
                (act.fidget if rng.random() < 0.6 else act.reach)(b, rng)

    return step


def _slouch(
    low_deg: float, high_deg: float, low_s: float, high_s: float, dips: tuple[int, int]
) -> Step:
    """A sustained slouch (an episode) with a number of brief dips in ``dips``."""

    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.sit_down(b, rng)
        hold = _u(rng, low_s, high_s)
        n = int(rng.integers(dips[0], dips[1] + 1))
        act.sustained_lean(b, rng, _u(rng, low_deg, high_deg), hold, n, "forward_lean")

    return step


def split_pair(b: TimelineBuilder, rng: Rng) -> None:
    """Two episodes separated by an upright return of 9–15 s: they must not merge."""
    act.sustained_lean(b, rng, _u(rng, 28.0, 40.0), _u(rng, 60.0, 150.0), 1, "forward_lean")
    act.upright(b, None, _u(rng, 9.0, 15.0), "return_upright")
    b.last_above_end_s -= act.GAP_S  # the return is the gap
    act.sustained_lean(b, rng, _u(rng, 26.0, 35.0), _u(rng, 40.0, 80.0), 0, "forward_lean")


def _brief(b: TimelineBuilder, rng: Rng) -> None:
    act.brief_lean(b, rng, "brief_slouch")


def _seated_bend(b: TimelineBuilder, rng: Rng) -> None:
    act.sit_down(b, rng)
    act.bend(b, rng)


def _lean_below(b: TimelineBuilder, rng: Rng) -> None:
    act.lean_below(b, rng, _u(rng, 150.0, 300.0))


def _walk_break(b: TimelineBuilder, rng: Rng) -> None:
    act.stand_up(b, rng)
    act.upright(b, rng, _u(rng, 15.0, 30.0))
    act.bend(b, rng)
    act.upright(b, rng, _u(rng, 10.0, 20.0))
    act.walk(b, rng, _u(rng, 180.0, 300.0))
    act.turn(b, rng, 180.0)
    act.upright(b, rng, _u(rng, 10.0, 20.0))
    act.sit_down(b, rng)


def _rest_break(b: TimelineBuilder, rng: Rng) -> None:
    act.walk(b, rng, _u(rng, 30.0, 60.0))
    act.sit_down(b, rng)
    act.upright(b, rng, _u(rng, 5.0, 15.0), "sit_on_sofa")
    act.lie(b, rng, "supine", _u(rng, 120.0, 200.0))
    act.upright(b, rng, _u(rng, 5.0, 10.0), "sit_on_sofa")
    act.lie(b, rng, "right", _u(rng, 60.0, 120.0))
    act.walk(b, rng, _u(rng, 30.0, 60.0))
    act.sit_down(b, rng)


def _fidgets(b: TimelineBuilder, rng: Rng) -> None:
    for _ in range(3):
        act.fidget(b, rng)
        act.upright(b, rng, _u(rng, 5.0, 20.0))


OFFICE_STEPS: tuple[Step, ...] = (
    _work(150.0, 300.0),
    _slouch(28.0, 40.0, 60.0, 150.0, (0, 1)),
    _work(90.0, 200.0),
    _brief,
    _work(90.0, 200.0),
    _seated_bend,
    _work(60.0, 150.0),
    _lean_below,
    _work(90.0, 200.0),
    _slouch(30.0, 45.0, 100.0, 180.0, (2, 2)),
    _work(60.0, 150.0),
    _walk_break,
    _work(90.0, 200.0),
    split_pair,
    _work(60.0, 150.0),
    _brief,
    _fidgets,
    _rest_break,
    _work(90.0, 200.0),
    _slouch(25.0, 35.0, 40.0, 70.0, (0, 0)),
    _work(150.0, 300.0),
)
