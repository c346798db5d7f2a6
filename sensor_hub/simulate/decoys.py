"""The short scenarios, one per decoy (plus ``dips`` and the pelvis), as lists of steps."""

from __future__ import annotations

from sensor_hub.simulate import actions as act
from sensor_hub.simulate.actions import Rng, Step
from sensor_hub.simulate.actions import uniform as _u
from sensor_hub.simulate.office import split_pair
from sensor_hub.simulate.trajectory import TimelineBuilder

__all__ = [
    "BRIEF_SLOUCHES_STEPS",
    "DIPS_STEPS",
    "FIDGET_STEPS",
    "LYING_STEPS",
    "PELVIS_STANDING_STEPS",
    "REACH_AND_BEND_STEPS",
    "SIT_STAND_STEPS",
    "WALKING_STEPS",
]


def _rest(low_s: float, high_s: float) -> Step:
    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.upright(b, rng, _u(rng, low_s, high_s))

    return step


def _repeat(count: int, *steps: Step) -> tuple[Step, ...]:
    return tuple(step for _ in range(count) for step in steps)


def _sit(b: TimelineBuilder, rng: Rng) -> None:
    act.sit_down(b, rng)


def _stand(b: TimelineBuilder, rng: Rng) -> None:
    act.stand_up(b, rng)


REACH_AND_BEND_STEPS: tuple[Step, ...] = (
    _rest(10.0, 20.0),
    *_repeat(4, act.reach, _rest(5.0, 15.0)),
    act.fidget,
    *_repeat(3, act.bend, _rest(5.0, 15.0)),
    _stand,
    _rest(5.0, 15.0),
    *_repeat(2, act.reach, _rest(5.0, 15.0)),
    *_repeat(3, act.bend, _rest(5.0, 15.0)),
    _sit,
    *_repeat(2, act.reach, _rest(5.0, 15.0)),
)


def _walk(low_s: float, high_s: float) -> Step:
    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.walk(b, rng, _u(rng, low_s, high_s))

    return step


def _turn(b: TimelineBuilder, rng: Rng) -> None:
    act.turn(b, rng, (1 if rng.random() < 0.5 else -1) * _u(rng, 90.0, 180.0))


WALKING_STEPS: tuple[Step, ...] = (
    _rest(5.0, 15.0),
    _walk(120.0, 180.0),
    _rest(10.0, 20.0),
    _turn,
    _walk(60.0, 120.0),
    _rest(5.0, 15.0),
    _walk(20.0, 40.0),
    _rest(10.0, 20.0),
)


def _lie(how: str) -> Step:
    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.lie(b, rng, how, _u(rng, 60.0, 120.0))

    return step


LYING_STEPS: tuple[Step, ...] = (
    _rest(5.0, 15.0),
    _lie("supine"),
    _rest(10.0, 20.0),
    _lie("right"),
    _rest(10.0, 20.0),
    _lie("left"),
    _rest(10.0, 20.0),
    _lie("prone"),
    _rest(10.0, 20.0),
)

FIDGET_STEPS: tuple[Step, ...] = _repeat(12, act.fidget, _rest(5.0, 20.0))


def _episode(low_s: float, high_s: float, dips: int) -> Step:
    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.sustained_lean(
            b, rng, _u(rng, 28.0, 40.0), _u(rng, low_s, high_s), dips, "forward_lean"
        )

    return step


def _long_return(b: TimelineBuilder, rng: Rng) -> None:
    act.upright(b, None, _u(rng, 9.0, 14.0), "return_upright")
    b.last_above_end_s -= act.GAP_S  # the return is the gap


DIPS_STEPS: tuple[Step, ...] = (
    _rest(10.0, 30.0),
    _episode(100.0, 160.0, 3),
    _rest(20.0, 40.0),
    split_pair,
    _rest(20.0, 40.0),
    _episode(60.0, 90.0, 1),
    _long_return,
    _episode(40.0, 70.0, 0),
    _rest(10.0, 20.0),
)


def _brief(b: TimelineBuilder, rng: Rng) -> None:
    act.brief_lean(b, rng, "brief_slouch")


BRIEF_SLOUCHES_STEPS: tuple[Step, ...] = _repeat(8, _rest(5.0, 25.0), _brief)

SIT_STAND_STEPS: tuple[Step, ...] = (
    *_repeat(3, _rest(15.0, 40.0), _stand, _rest(10.0, 40.0), _sit),
    _rest(15.0, 40.0),
    _stand,
    _walk(8.0, 15.0),
    _turn,
    _walk(8.0, 15.0),
    _sit,
    *_repeat(2, _rest(15.0, 40.0), _stand, _rest(10.0, 40.0), _sit),
    _rest(10.0, 20.0),
)


def _tilt(low_s: float, high_s: float, dips: int) -> Step:
    def step(b: TimelineBuilder, rng: Rng) -> None:
        act.sustained_lean(b, rng, _u(rng, 25.0, 32.0), _u(rng, low_s, high_s), dips, "pelvic_tilt")

    return step


def _brief_tilt(b: TimelineBuilder, rng: Rng) -> None:
    act.brief_lean(b, rng, "brief_tilt")


def _tilt_below(b: TimelineBuilder, rng: Rng) -> None:
    act.lean_below(b, rng, _u(rng, 60.0, 120.0))


def _hinge(b: TimelineBuilder, rng: Rng) -> None:
    act.bend(b, rng, 50.0, 80.0)


PELVIS_STANDING_STEPS: tuple[Step, ...] = (
    _rest(10.0, 30.0),
    _tilt(40.0, 120.0, 1),
    _rest(10.0, 30.0),
    act.fidget,
    _rest(5.0, 15.0),
    _brief_tilt,
    _rest(10.0, 20.0),
    act.posterior_tilt,
    _rest(10.0, 20.0),
    _tilt_below,
    _rest(10.0, 20.0),
    _hinge,
    _rest(10.0, 20.0),
    _walk(60.0, 90.0),
    _rest(10.0, 20.0),
    _brief_tilt,
    _rest(10.0, 20.0),
    _tilt(60.0, 150.0, 2),
    _rest(10.0, 20.0),
)
