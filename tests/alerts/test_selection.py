"""Prompt selection: place, variety, progression, cooldowns, and a reason on every prompt."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from sensor_hub.alerts import (
    Place,
    Posture,
    Prompt,
    SelectionHistory,
    Trigger,
    load_catalog,
    select_move,
)
from sensor_hub.alerts.selection import TRIGGER_TEXT, places_for, trigger_for_episode
from sensor_hub.mqtt.messages import ID_PATTERN
from sensor_hub.processing.activity import Activity
from tests.alerts import T0, Wearer, of

CAT = load_catalog()
DESK = places_for(Posture.SITTING)


def pick(
    trigger: Trigger,
    places: frozenset[Place] = DESK,
    history: SelectionHistory | None = None,
    now_s: float = T0,
    cooldown_s: float = 1800.0,
) -> str | None:
    chosen = select_move(
        CAT,
        trigger,
        places,
        history or SelectionHistory(),
        now_s,
        move_cooldown_s=cooldown_s,
        progress_after_done=3,
    )
    return None if chosen is None else chosen.move.id


def test_places_follow_the_posture() -> None:
    assert Place.FLOOR not in places_for(Posture.SITTING)
    assert Place.FLOOR not in places_for(Posture.UNKNOWN)
    assert Place.FLOOR in places_for(Posture.STANDING)
    assert Place.FLOOR not in places_for(Posture.STANDING, floor_when_standing=False)


@pytest.mark.parametrize("trigger", list(Trigger))
def test_no_floor_move_at_a_desk(trigger: Trigger) -> None:
    history = SelectionHistory()
    for i in range(20):
        chosen = select_move(
            CAT, trigger, DESK, history, T0 + i, move_cooldown_s=0.0, progress_after_done=1
        )
        assert chosen is not None
        assert chosen.move.where & DESK
        history = history.with_shown(chosen.family, T0 + i).with_done(chosen.move.id)


def test_floor_moves_when_standing_away_from_the_desk() -> None:
    standing = places_for(Posture.STANDING)
    history, seen = SelectionHistory(), set()
    for i in range(10):
        chosen = select_move(
            CAT, Trigger.PELVIC_TILT_STANDING, standing, history, T0 + i,
            move_cooldown_s=0.0, progress_after_done=3,
        )  # fmt: skip
        assert chosen is not None
        seen.add(chosen.move.id)
        history = history.with_shown(chosen.family, T0 + i)
    assert any(Place.FLOOR in CAT[m].where for m in seen)


def test_rotation_and_cooldown() -> None:
    history = SelectionHistory()
    picks = []
    for i in range(4):
        move = pick(Trigger.LEAN_SITTING, history=history, now_s=T0 + 60.0 * i)
        assert move is not None
        picks.append(move)
        history = history.with_shown(CAT.family(move), T0 + 60.0 * i)
    assert len(set(picks)) == 4  # every suitable family once before any repeats
    assert pick(Trigger.LEAN_SITTING, history=history, now_s=T0 + 300.0) is None  # all cooling
    later = pick(Trigger.LEAN_SITTING, history=history, now_s=T0 + 1800.0)
    assert later == picks[0]  # the least recently shown comes back first


def test_progression_after_enough_done() -> None:
    standing = places_for(Posture.STANDING)
    history = SelectionHistory()
    for _ in range(3):
        history = history.with_done("lunge_stretch_standing")
    assert pick(Trigger.PROLONGED_SITTING, history=history) == "lunge_stretch_standing"  # desk
    chosen = select_move(
        CAT, Trigger.PROLONGED_SITTING, standing, history, T0,
        move_cooldown_s=0.0, progress_after_done=3,
    )  # fmt: skip
    assert chosen is not None
    assert chosen.move.id == "lunge_stretch_kneeling"
    assert chosen.family == "lunge_stretch_standing"
    assert "harder variant" in chosen.why
    assert "progressed" in chosen.chosen_because


def test_progression_follows_the_chain() -> None:
    history = SelectionHistory()
    for move in ("plank_knees", "plank"):
        for _ in range(3):
            history = history.with_done(move)
    for other in CAT.for_trigger(Trigger.LONG_STATIC):
        if other.id != "plank_knees":  # the others were just shown: on their cooldown
            history = history.with_shown(other.id, T0)
    chosen = select_move(
        CAT, Trigger.LONG_STATIC, frozenset({Place.FLOOR}), history, T0,
        move_cooldown_s=60.0, progress_after_done=3,
    )  # fmt: skip
    assert chosen is not None
    assert chosen.move.id == "plank_leg_lift"


def test_the_same_history_gives_the_same_move() -> None:
    history = SelectionHistory().with_shown("neutral_spine_sitting", T0 - 4000.0)
    assert {pick(Trigger.LEAN_SITTING, history=history) for _ in range(5)} == {
        pick(Trigger.LEAN_SITTING, history=history)
    }


def test_episode_triggers() -> None:
    assert trigger_for_episode("forward_lean", Posture.SITTING) is Trigger.LEAN_SITTING
    assert trigger_for_episode("pelvic_tilt", Posture.STANDING) is Trigger.PELVIC_TILT_STANDING
    assert trigger_for_episode("forward_lean", Posture.UNKNOWN) is Trigger.LEAN


def test_a_day_of_prompts_is_varied_and_every_prompt_says_why() -> None:
    w = Wearer(prolonged_sitting_s=1800)
    w.activity(0.0, Activity.UPRIGHT, Posture.SITTING)
    for hour in range(8):  # a slouch every hour on top of the sitting timer
        t = hour * 3600.0 + 600.0
        w.slouch(t)
        w.run(t + 31.0, t + 400.0, 1.0)
        w.end(t + 401.0)
    w.run(8 * 3600.0, 12 * 3600.0, 10.0)
    prompts = of(w.log, Prompt)
    assert len(prompts) >= 12
    moves = Counter(p.move.id for p in prompts)
    assert len(moves) >= 4
    assert max(moves.values()) <= len(prompts) // 2
    for a, b in itertools.pairwise(prompts):
        assert b.time_s - a.time_s >= 900.0  # the prompt cooldown
    for p in prompts:
        assert Place.FLOOR not in p.move.where or p.move.where & DESK
        assert ID_PATTERN.fullmatch(p.trigger.value)
        lead = TRIGGER_TEXT[p.trigger].split("{")[0]
        assert p.why.startswith(lead)
        assert p.move.why in p.why
        msg = p.to_message("alice")
        assert msg.reason == p.trigger.value
        assert msg.move_id == p.move.id
        assert msg.detail["why"] == p.why
        assert "pain" in str(msg.detail["safety"])
