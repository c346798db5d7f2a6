"""Prolonged sitting end to end: a simulated wearer's samples through the real processing core
(which finds sitting and standing) and the alert service's wiring into the real policy.

The wearer stands up, sits down and sits past ``prolonged_sitting_s``: a PROLONGED_SITTING
prompt.  Standing up and walking restart the timer; a short sit and a long stand prompt
nothing; a second long sit prompts again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from sensor_hub.alerts import AlertConfig, AlertPolicy, Prompt, Trigger
from sensor_hub.ble.hub import PostureUpdate, SensorHub
from sensor_hub.processing import PostureProcessor, Role
from sensor_hub.service.alerting import AlertService
from sensor_hub.simulate import actions as act
from sensor_hub.simulate.trajectory import TimelineBuilder
from tests.processing.wearer import end_of, play

T0 = 1_764_054_000.0  # 2025-11-25 07:00 UTC
LIMIT_S = 60.0


def _day(b: TimelineBuilder, rng: np.random.Generator) -> None:
    act.upright(b, rng, 10.0)  # sitting, but nothing says so yet
    act.stand_up(b, rng)
    act.upright(b, rng, 10.0)
    act.sit_down(b, rng)
    act.upright(b, rng, 100.0)  # sits past the limit: prompt
    act.walk(b, rng, 30.0)  # stands up and walks: the timer restarts
    act.sit_down(b, rng)
    act.upright(b, rng, 40.0)  # shorter than the limit: nothing
    act.stand_up(b, rng)
    act.upright(b, rng, 80.0)  # standing, however long: nothing (long_static is off)
    act.sit_down(b, rng)
    act.upright(b, rng, 75.0)  # past the limit again: prompt


def test_a_long_sit_prompts_and_standing_or_walking_restarts_the_timer() -> None:
    block, seg = play(_day, seed=5, t0_s=T0)
    config = AlertConfig(
        quiet_hours=None,
        prolonged_sitting_s=LIMIT_S,
        long_static_s=None,
        prompt_cooldown_s=0.0,
        move_cooldown_s=0.0,
    )
    policy = AlertPolicy(config)
    hub = cast("SensorHub", SimpleNamespace(links={}, latest={}))
    service = AlertService(hub, policy)
    proc = PostureProcessor()
    step = 50  # 0.5 s blocks, as notifications arrive
    for a in range(0, len(block), step):
        out = proc.process(block.slice(a, min(a + step, len(block))))
        service._on_output(PostureUpdate(Role.LUMBAR, "lumbar", out, None))
        service._apply(policy.tick(float(out.timestamp_s[-1])))  # the service's ticker
    prompts = [r for r in service.records if isinstance(r, Prompt)]
    assert [p.trigger for p in prompts] == [Trigger.PROLONGED_SITTING] * 2
    first, second = (p.time_s for p in prompts)
    # The sitting is known a moment after sitting down; the timer runs from then.
    sat = end_of(seg, "sit_down", 0)
    assert sat + LIMIT_S <= first <= sat + LIMIT_S + 3.5
    sat = end_of(seg, "sit_down", 2)
    assert sat + LIMIT_S <= second <= sat + LIMIT_S + 3.5
    assert prompts[0].why.startswith("You have been sitting for 1 min")
