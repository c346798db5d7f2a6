"""A day's adherence numbers from the policy's records."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from firmware_protocol import HapticPattern
from sensor_hub.alerts import Answered, Prompt, Reason, day_bounds, summarize
from sensor_hub.alerts.actions import Action, Buzz, Corrected, Haptic, Suppressed, What
from sensor_hub.mqtt.commands import Answer
from sensor_hub.processing.config import Role
from tests.alerts import T0, Wearer, of


def test_a_simulated_day() -> None:
    w = Wearer(max_escalations=1)
    w.activity(0.0)
    w.slouch(0.0)  # buzz at 30, corrected at 40: feedback
    w.end(45.0, 40.0)
    w.slouch(600.0)  # buzz at 630, escalation + prompt at 750, corrected at 800
    w.run(631.0, 760.0)
    w.end(810.0, 800.0)
    (prompt,) = of(w.log, Prompt)
    w._keep(w.policy.answer(T0 + 900.0, prompt.prompt_id, Answer.DONE))
    start, end = day_bounds(T0, UTC)
    day = summarize(w.log, start, end, monitored_s=8 * 3600.0)
    assert day.alerts == 2
    assert day.escalations == 1
    assert day.alerts_per_hour == 3 / 8
    assert day.max_alerts_in_an_hour == 3
    assert day.corrections == 2
    assert day.time_to_correct_median_s == (10.0 + 170.0) / 2
    assert day.positive_feedback == 1
    assert day.prompts_shown == 1
    assert day.prompts_done == 1
    assert day.prompts_unanswered == 0
    assert day.done_share == 1.0


def test_answers_suppressions_and_the_window() -> None:
    haptic = Haptic(HapticPattern.DOUBLE, 80, 300)
    records: list[Action] = [
        Buzz(T0, Role.LUMBAR, "forward_lean", 0, haptic, T0 - 30.0),
        Buzz(T0 + 3000.0, Role.LUMBAR, "forward_lean", 0, haptic, T0),
        Buzz(T0 + 6000.0, Role.LUMBAR, "forward_lean", 0, haptic, T0),
        Buzz(T0 + 90_000.0, Role.LUMBAR, "forward_lean", 0, haptic, T0),  # tomorrow
        Answered(T0 + 10.0, "p1", "plank", Answer.SKIP, 10.0),
        Answered(T0 + 20.0, "p2", "plank", Answer.SNOOZE, 10.0),
        Suppressed(T0, What.ALERT, Reason.WALKING),
        Suppressed(T0, What.ALERT, Reason.SNOOZED),
        Suppressed(T0, What.PROMPT, Reason.SNOOZED),
        Corrected(T0, Role.LUMBAR, "forward_lean", T0, T0 + 5.0, 5.0, 1),
    ]
    start, end = day_bounds(T0, timezone(timedelta(hours=-5)))  # 04:00 local
    assert end - start == 86_400.0
    day = summarize(records, start, end)
    assert day.alerts == 3
    assert day.max_alerts_in_an_hour == 2
    assert day.alerts_per_hour == 3 / 24
    assert day.prompts_skipped == 1
    assert day.prompts_snoozed == 1
    assert day.prompts_shown == 0
    assert day.prompts_unanswered == 0
    assert day.done_share is None
    assert day.suppressed == ((Reason.SNOOZED, 2), (Reason.WALKING, 1))
    assert day.time_to_correct_mean_s == 5.0


def test_an_empty_day() -> None:
    day = summarize([], T0, T0 + 86_400.0)
    assert day.alerts == 0
    assert day.time_to_correct_median_s is None
    assert day.suppressed == ()
