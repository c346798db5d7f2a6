"""The scenarios: a neutral start, then a list of steps played once or cycled to a duration.

Every scenario starts with :func:`~.actions.calibrate` (8 s still in its neutral posture, which
covers the 5 s neutral window).  Without a duration a scenario plays its steps once (the
decoys) or fills its default duration (``office_day``); with one, it cycles through its steps,
skipping any step that would run past the end, and fills the rest upright.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sensor_hub.simulate import actions as act
from sensor_hub.simulate import decoys, office
from sensor_hub.simulate.actions import Rng, Step
from sensor_hub.simulate.actions import uniform as _u
from sensor_hub.simulate.trajectory import Timeline, TimelineBuilder, Wearer

__all__ = ["SCENARIOS", "ScenarioSpec", "build_timeline", "draw_wearer", "scenario_spec"]


#: Seconds of upright posture that end every scenario.
FINAL_S = 10.0


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A scenario: who, in which neutral posture, doing what."""

    name: str
    description: str
    role: Literal["lumbar", "pelvis"]
    neutral_posture: Literal["sitting", "standing"]
    default_duration_min: float | None
    steps: tuple[Step, ...]


def draw_wearer(rng: Rng, spec: ScenarioSpec) -> Wearer:
    """The wearer's upright inclinations (absolute, deg) and walking speed."""
    if spec.role == "pelvis":
        standing = _u(rng, -5.0, 5.0)
        sitting = standing - _u(rng, 15.0, 25.0)  # the pelvis tilts back when sitting
    else:
        standing = _u(rng, -6.0, 0.0)
        sitting = standing + _u(rng, 3.0, 8.0)
    return Wearer(sitting, standing, spec.neutral_posture, _u(rng, 1.2, 1.4))


def build_timeline(
    spec: ScenarioSpec, wearer: Wearer, rng: Rng, duration_s: float | None
) -> Timeline:
    """Play ``spec``'s steps (see the module docstring)."""
    b = TimelineBuilder(wearer)
    act.calibrate(b)
    if duration_s is None and spec.default_duration_min is not None:
        duration_s = spec.default_duration_min * 60.0
    if duration_s is None:
        for step in spec.steps:
            step(b, rng)
        act.upright(b, None, FINAL_S)
        return b.build()
    i = skipped = 0
    while skipped < len(spec.steps):
        mark = b.mark()
        spec.steps[i % len(spec.steps)](b, rng)
        i += 1
        if b.now_s > duration_s - FINAL_S:
            b.rewind(mark)
        skipped = 0 if b.now_s > mark.now_s else skipped + 1  # a no-op step does not count
    if b.posture == "standing" and spec.neutral_posture == "sitting":
        mark = b.mark()
        act.sit_down(b, rng)
        if b.now_s > duration_s - 1.0:
            b.rewind(mark)
    act.upright(b, rng, max(1.0, duration_s - b.now_s))
    return b.build()


def _spec(
    name: str,
    description: str,
    steps: tuple[Step, ...],
    neutral: Literal["sitting", "standing"] = "sitting",
    role: Literal["lumbar", "pelvis"] = "lumbar",
    default_duration_min: float | None = None,
) -> ScenarioSpec:
    return ScenarioSpec(name, description, role, neutral, default_duration_min, steps)


_SPECS: tuple[ScenarioSpec, ...] = (
    _spec(
        "office_day",
        "a condensed office day (60 min): slouches, dips, reaches, bends, walking, lying",
        office.OFFICE_STEPS,
        default_duration_min=60.0,
    ),
    _spec(
        "reach_and_bend",
        "reaches (30-50 deg, 1-4 s) and bends (60-100 deg) seated and standing: no alert",
        decoys.REACH_AND_BEND_STEPS,
    ),
    _spec(
        "walking",
        "standing, then walking with turns and stops: no alert",
        decoys.WALKING_STEPS,
        neutral="standing",
    ),
    _spec(
        "lying",
        "from sitting, lying supine, on each side and prone for minutes: no alert",
        decoys.LYING_STEPS,
    ),
    _spec(
        "fidget",
        "sitting with fidgets: weight shifts, swivels, stretches: no alert",
        decoys.FIDGET_STEPS,
    ),
    _spec(
        "dips",
        "sustained slouches with brief dips (must not split) and long returns (must split)",
        decoys.DIPS_STEPS,
    ),
    _spec(
        "brief_slouches",
        "slouches above the threshold but shorter than the hold time: no alert",
        decoys.BRIEF_SLOUCHES_STEPS,
    ),
    _spec(
        "sit_stand",
        "standing up and sitting down (trunk lean 30-40 deg for ~1 s): no alert",
        decoys.SIT_STAND_STEPS,
    ),
    _spec(
        "pelvis_standing",
        "sacral sensor, standing: sustained anterior pelvic tilt episodes among decoys",
        decoys.PELVIS_STANDING_STEPS,
        neutral="standing",
        role="pelvis",
    ),
)

#: Scenario name → one-line description.
SCENARIOS: dict[str, str] = {spec.name: spec.description for spec in _SPECS}


def scenario_spec(name: str) -> ScenarioSpec:
    """The scenario called ``name``; ``KeyError`` naming the known ones if there is none."""
    for spec in _SPECS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
