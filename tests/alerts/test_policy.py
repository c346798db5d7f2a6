"""Policy scenarios with an injected clock (seconds after T0 = 09:00 UTC)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from firmware_protocol import HapticPattern
from sensor_hub.alerts import (
    AlertConfig,
    AlertPolicy,
    Answered,
    Buzz,
    Corrected,
    Hold,
    HoldChanged,
    PositiveFeedback,
    Posture,
    Prompt,
    Reason,
    StateError,
    Suppressed,
    Trigger,
    UnknownPromptError,
    What,
    state_from_json,
    state_to_json,
)
from sensor_hub.alerts.policy import BASELINE_MIN_SAMPLES
from sensor_hub.mqtt.commands import Answer
from sensor_hub.processing.activity import Activity
from tests.alerts import T0, Wearer, of


def sitting(**changes: object) -> Wearer:
    w = Wearer(**changes)
    w.activity(0.0, Activity.UPRIGHT, Posture.SITTING)
    return w


# -- escalation -----------------------------------------------------------------------------------


def test_escalation_repeats_stronger_then_stops_at_the_cap() -> None:
    w = sitting()
    first = of(w.slouch(100.0), Buzz)
    assert [(b.time_s - T0, b.level, b.haptic.pattern, b.haptic.intensity_pct) for b in first] == [
        (130.0, 0, HapticPattern.DOUBLE, 80)
    ]
    later = w.run(131.0, 1000.0)
    buzzes = of(later, Buzz)
    assert [(b.time_s - T0, b.level, b.haptic.pattern) for b in buzzes] == [
        (250.0, 1, HapticPattern.TRIPLE),
        (370.0, 2, HapticPattern.LONG),
    ]
    assert buzzes[-1].haptic.intensity_pct == 100
    capped = of(later, Suppressed)
    assert [(s.time_s - T0, s.reason) for s in capped] == [(490.0, Reason.ESCALATION_CAP)]


def test_escalation_stops_when_the_episode_ends() -> None:
    w = sitting()
    w.slouch(100.0)
    w.end(200.0, 190.0)
    assert of(w.run(200.0, 2000.0), Buzz) == []


def test_escalation_follows_the_configured_interval_and_cap() -> None:
    w = sitting(repeat_after_s=60, max_escalations=4, prompt_at_level=None)
    w.slouch(0.0)
    times = [b.time_s - T0 for b in of(w.run(31.0, 1000.0), Buzz)]
    assert times == [90.0, 150.0, 210.0, 270.0]
    patterns = [b.haptic.pattern for b in of(w.log, Buzz)]
    assert patterns[-1] is HapticPattern.RAMP  # the strongest pattern repeats past the table


def test_a_prompt_comes_with_the_first_escalation() -> None:
    w = sitting()
    assert of(w.slouch(100.0), Prompt) == []
    prompts = of(w.run(131.0, 250.0), Prompt)
    assert len(prompts) == 1
    assert prompts[0].trigger is Trigger.LEAN_SITTING
    assert prompts[0].time_s - T0 == 250.0


def test_by_default_the_first_alert_comes_with_a_prompt_then_the_cooldown_holds() -> None:
    w = Wearer(AlertConfig())
    w.activity(0.0, Activity.UPRIGHT, Posture.SITTING)
    first = w.slouch(100.0)
    assert len(of(first, Buzz)) == 1
    [prompt] = of(first, Prompt)
    assert prompt.time_s - T0 == 130.0
    assert prompt.trigger is Trigger.LEAN_SITTING
    w.end(150.0, 145.0)
    again = w.slouch(300.0)  # within the 15 min prompt cooldown: a buzz, no prompt
    assert len(of(again, Buzz)) == 1
    assert of(again, Prompt) == []


def test_two_sensors_escalate_independently() -> None:
    w = sitting(prompt_at_level=None)
    w.slouch(0.0, "forward_lean")
    w.slouch(60.0, "pelvic_tilt")
    buzzes = of(w.run(91.0, 400.0), Buzz) + of(w.log, Buzz)
    kinds = {(b.kind, b.role.value, b.level) for b in buzzes}
    assert ("forward_lean", "lumbar", 1) in kinds
    assert ("pelvic_tilt", "pelvis", 1) in kinds


# -- positive feedback ----------------------------------------------------------------------------


def test_positive_feedback_for_a_quick_correction() -> None:
    w = sitting()
    w.slouch(100.0)  # buzz at 130
    out = w.end(150.0, 145.0)
    (fix,) = of(out, Corrected)
    assert fix.time_to_correct_s == 15.0
    assert fix.buzzes == 1
    (good,) = of(out, PositiveFeedback)
    assert good.corrected_after_s == 15.0
    assert good.haptic is not None
    assert good.haptic.pattern is HapticPattern.SINGLE


def test_no_positive_feedback_for_a_slow_correction() -> None:
    w = sitting()
    w.slouch(100.0)
    out = w.end(200.0, 190.0)
    assert of(out, PositiveFeedback) == []
    assert of(out, Corrected)[0].time_to_correct_s == 60.0


def test_positive_feedback_counts_from_the_last_escalation() -> None:
    w = sitting(prompt_at_level=None)
    w.slouch(0.0)
    w.run(31.0, 160.0)  # second buzz at 150
    out = w.end(175.0, 170.0)
    assert of(out, PositiveFeedback)[0].corrected_after_s == 20.0
    assert of(out, Corrected)[0].time_to_correct_s == 140.0


def test_positive_feedback_buzz_can_be_turned_off() -> None:
    w = sitting(positive_feedback_buzz=False)
    w.slouch(100.0)
    assert of(w.end(140.0, 135.0), PositiveFeedback)[0].haptic is None


# -- snooze, pause, resume ------------------------------------------------------------------------


def test_snooze_silences_then_resumes_by_itself() -> None:
    w = sitting(prompt_at_level=None)
    (hold,) = of(w._keep(w.policy.snooze(T0 + 50.0)), HoldChanged)
    assert hold.hold is Hold.SNOOZE
    assert hold.until_s == T0 + 950.0
    w.slouch(100.0)
    during = w.run(131.0, 949.0)
    assert of(during, Buzz) == []
    snoozed = [s for s in of(w.log, Suppressed) if s.reason is Reason.SNOOZED]
    assert len(snoozed) == 1  # recorded once per episode, not every repeat
    after = w.run(950.0, 1100.0)
    resumed = of(after, HoldChanged)
    assert [(r.time_s - T0, r.hold, r.automatic) for r in resumed] == [(950.0, None, True)]
    buzzes = of(after, Buzz)
    assert buzzes
    assert buzzes[0].level == 0  # the wearer was never buzzed for this slouch yet
    assert buzzes[0].time_s - T0 <= 950.0 + 120.0


def test_snooze_for_a_given_time_and_resume_early() -> None:
    w = sitting()
    w._keep(w.policy.snooze(T0, T0 + 3600.0))
    assert w.policy.hold == (Hold.SNOOZE, T0 + 3600.0)
    (resumed,) = of(w._keep(w.policy.resume(T0 + 60.0)), HoldChanged)
    assert resumed.hold is None
    assert not resumed.automatic
    assert of(w.slouch(100.0), Buzz)


def test_until_tomorrow_is_the_next_local_midnight() -> None:
    utc = AlertPolicy()
    assert utc.tomorrow_s(T0) == T0 + 15 * 3600.0
    east = AlertPolicy(tz=timezone(timedelta(hours=10)))  # 19:00 local
    assert east.tomorrow_s(T0) == T0 + 5 * 3600.0


def test_pause_suppresses_with_its_own_reason() -> None:
    w = sitting()
    w._keep(w.policy.pause(T0))
    assert w.policy.hold == (Hold.PAUSE, T0 + 3600.0)
    assert of(w.slouch(100.0), Suppressed)[0].reason is Reason.PAUSED


def test_prompt_answered_snooze_snoozes() -> None:
    w = sitting()
    w.slouch(100.0)
    (prompt,) = of(w.run(131.0, 250.0), Prompt)
    out = w._keep(w.policy.answer(T0 + 260.0, prompt.prompt_id, Answer.SNOOZE))
    (answered,) = of(out, Answered)
    assert answered.response_s == 10.0
    assert of(out, HoldChanged)[0].hold is Hold.SNOOZE
    assert of(w.run(261.0, 1000.0), Buzz) == []


def test_unknown_or_repeated_answers_are_refused() -> None:
    w = sitting()
    with pytest.raises(UnknownPromptError):
        w.policy.answer(T0, "p0-0", Answer.DONE)
    w.slouch(100.0)
    (prompt,) = of(w.run(131.0, 250.0), Prompt)
    w.policy.answer(T0 + 300.0, prompt.prompt_id, Answer.SKIP)
    with pytest.raises(UnknownPromptError):
        w.policy.answer(T0 + 301.0, prompt.prompt_id, Answer.DONE)


# -- quiet hours ----------------------------------------------------------------------------------


def test_quiet_hours_suppress_alerts_at_night() -> None:
    w = sitting()
    night = 13.5 * 3600.0  # 22:30
    assert of(w.slouch(night), Suppressed)[0].reason is Reason.QUIET_HOURS
    assert of(w.run(night + 31, night + 600.0), Buzz) == []
    w.end(night + 700.0)
    morning = 22 * 3600.0 + 60.0  # 07:01 next day
    w.activity(morning - 10.0, Activity.UPRIGHT)
    assert of(w.slouch(morning), Buzz)


def test_quiet_hours_use_the_wearer_time_zone() -> None:
    cfg = AlertConfig()
    policy = AlertPolicy(cfg, tz=timezone(timedelta(hours=14)))  # 23:00 local at T0
    w = Wearer()
    w.policy = policy
    w.activity(0.0)
    assert of(w.slouch(0.0), Suppressed)[0].reason is Reason.QUIET_HOURS


def test_quiet_hours_off() -> None:
    w = sitting(quiet_hours="off")
    assert of(w.slouch(13.5 * 3600.0), Buzz)


# -- the hourly cap -------------------------------------------------------------------------------


def test_alerts_per_hour_are_capped_in_a_sliding_hour() -> None:
    w = sitting(max_alerts_per_hour=3, max_escalations=0, prompt_at_level=None)
    for i in range(6):
        t = i * 300.0
        w.slouch(t)
        w.end(t + 100.0, t + 90.0)
    assert len(of(w.log, Buzz)) == 3
    capped = [s for s in of(w.log, Suppressed) if s.reason is Reason.HOURLY_CAP]
    assert len(capped) == 3
    w.slouch(3600.0 + 10.0)  # the first buzz (at 30 s) has left the hour
    assert len(of(w.log, Buzz)) == 4


# -- activity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activity", "reason"), [(Activity.LYING, Reason.LYING), (Activity.WALKING, Reason.WALKING)]
)
def test_never_alert_while_lying_or_walking(activity: Activity, reason: Reason) -> None:
    w = sitting()
    w.activity(50.0, activity)
    out = w.slouch(100.0) + w.run(131.0, 1000.0)
    assert of(out, Buzz) == []
    assert of(out, Prompt) == []
    assert [s.reason for s in of(out, Suppressed)] == [reason]


def test_an_open_episode_buzzes_again_once_upright() -> None:
    w = sitting(prompt_at_level=None)
    w.slouch(0.0)  # buzz at 30
    w.activity(60.0, Activity.WALKING)
    assert of(w.run(61.0, 200.0), Buzz) == []
    w.activity(200.0, Activity.UPRIGHT)
    assert [b.level for b in of(w.run(201.0, 300.0), Buzz)] == [1]


# -- modes ----------------------------------------------------------------------------------------


def test_tracking_mode_records_but_never_buzzes_or_prompts() -> None:
    w = sitting(mode="tracking")
    out = w.slouch(100.0) + w.run(131.0, 4 * 3600.0, 10.0) + w.end(4 * 3600.0 + 1)
    assert of(out, Buzz) == []
    assert of(out, Prompt) == []
    assert of(out, PositiveFeedback) == []
    assert {s.reason for s in of(out, Suppressed)} == {Reason.TRACKING}
    assert len(of(out, Corrected)) == 1  # the correction is still recorded


def test_baseline_records_only_and_learns_the_neutral() -> None:
    w = sitting(baseline_until_s=T0 + 86_400.0)
    for i in range(BASELINE_MIN_SAMPLES - 1):
        w.policy.observe(T0 + i, 4.6)
    too_few = w.policy.baseline_neutral_deg
    assert too_few is None
    for i in range(20):
        w.policy.observe(T0 + 100.0 + i, 5.2)
    w.policy.observe(T0 + 200.0, 12.0)
    out = w.slouch(300.0)
    for i in range(100):  # slouched samples are never learned as neutral
        w.policy.observe(T0 + 400.0 + i, 35.0)
    w.activity(600.0, Activity.WALKING)
    w.policy.observe(T0 + 601.0, 40.0)
    assert of(out, Buzz) == []
    assert of(out, Suppressed)[0].reason is Reason.BASELINE
    assert w.policy.baseline_neutral_deg == 5.0
    assert w.policy.baseline_samples == BASELINE_MIN_SAMPLES - 1 + 21
    w.policy.observe(T0 + 86_400.0, 5.0)  # after the baseline: not counted
    assert w.policy.baseline_samples == BASELINE_MIN_SAMPLES + 20


def test_after_the_baseline_alerts_begin() -> None:
    w = sitting(baseline_until_s=T0 + 3600.0)
    assert of(w.slouch(100.0), Buzz) == []
    w.end(200.0)
    assert of(w.slouch(3600.0), Buzz)


# -- move timers ----------------------------------------------------------------------------------


def test_prolonged_sitting_prompts_a_move_and_restarts() -> None:
    w = sitting()
    prompts = of(w.run(10.0, 3 * 3600.0 + 1, 10.0), Prompt)
    assert [p.trigger for p in prompts] == [Trigger.PROLONGED_SITTING] * 3
    assert [round(p.time_s - T0) for p in prompts] == [3600, 7200, 10800]
    assert prompts[1].why.startswith("You have been sitting for 120 min.")


def test_long_static_when_the_posture_is_unknown() -> None:
    w = Wearer()
    w.activity(0.0)
    prompts = of(w.run(10.0, 3000.0, 10.0), Prompt)
    assert [(p.trigger, round(p.time_s - T0)) for p in prompts] == [(Trigger.LONG_STATIC, 2700)]


def test_walking_restarts_the_timers() -> None:
    w = sitting()
    w.run(10.0, 3000.0, 10.0)
    w.activity(3000.0, Activity.WALKING)
    w.activity(3200.0, Activity.UPRIGHT, Posture.SITTING)
    prompts = of(w.run(3210.0, 7000.0, 10.0), Prompt)
    assert [round(p.time_s - T0) for p in prompts] == [3200 + 3600]


def test_done_restarts_the_timer() -> None:
    w = sitting()
    (prompt,) = of(w.run(10.0, 3600.0, 10.0), Prompt)
    w._keep(w.policy.answer(T0 + 4000.0, prompt.prompt_id, Answer.DONE))
    prompts = of(w.run(4010.0, 8000.0, 10.0), Prompt)
    assert [round(p.time_s - T0) for p in prompts] == [7600]


def test_a_timer_due_in_the_prompt_cooldown_waits_for_it() -> None:
    w = sitting(prolonged_sitting_s=1200, prompt_cooldown_s=900)
    w.slouch(1000.0)
    (lean,) = of(w.run(1031.0, 1150.0), Prompt)  # at 1150
    w.end(1160.0)
    prompts = of(w.run(1161.0, 2100.0), Prompt)
    assert [(p.trigger, p.time_s - T0) for p in prompts] == [
        (Trigger.PROLONGED_SITTING, lean.time_s - T0 + 900.0)
    ]


def test_timers_are_suppressed_during_a_snooze_once_per_period() -> None:
    w = sitting()
    w._keep(w.policy.snooze(T0, T0 + 5000.0))
    out = w.run(10.0, 4000.0, 10.0)
    assert of(out, Prompt) == []
    sup = of(out, Suppressed)
    assert [(s.what, s.reason, s.trigger) for s in sup] == [
        (What.PROMPT, Reason.SNOOZED, Trigger.PROLONGED_SITTING)
    ]


# -- state ----------------------------------------------------------------------------------------


def test_state_restores_to_the_same_decisions() -> None:
    w = sitting()
    w.slouch(100.0)
    w.run(131.0, 200.0)
    saved = w.policy.get_state()
    restored = AlertPolicy(w.policy.config, state=saved)
    times = [T0 + t for t in range(201, 1000)]
    a = [x for t in times for x in w.policy.tick(t)]
    b = [x for t in times for x in restored.tick(t)]
    assert a == b
    assert a
    assert replace(saved) == saved  # a frozen, comparable value


def test_the_clock_never_runs_backwards() -> None:
    w = sitting()
    w.slouch(100.0)
    assert of(w.tick(50.0), Buzz) == []
    assert w.policy.get_state().now_s == T0 + 130.0


def test_state_survives_json() -> None:
    w = sitting(baseline_until_s=T0 + 60.0)
    w.policy.observe(T0 + 1.0, 3.0)
    w._keep(w.policy.snooze(T0 + 61.0, T0 + 100.0))
    w.slouch(200.0)
    w.run(231.0, 400.0)
    saved = w.policy.get_state()
    assert saved.prompts
    assert saved.episodes
    text = json.dumps(state_to_json(saved))
    assert state_from_json(json.loads(text)) == saved


@pytest.mark.parametrize(
    ("document", "text"),
    [
        ([], "expected an object with v=1"),
        ({"v": 2}, "expected an object"),
        ({"v": 1}, "missing 'history'"),
    ],
)
def test_a_bad_saved_state_raises_one_error(document: object, text: str) -> None:
    with pytest.raises(StateError, match=text):
        state_from_json(document)


def test_no_feedback_pulse_right_after_a_snooze() -> None:
    w = sitting()
    w.slouch(100.0)
    w._keep(w.policy.snooze(T0 + 135.0))
    (good,) = of(w.end(145.0, 140.0), PositiveFeedback)
    assert good.haptic is None
