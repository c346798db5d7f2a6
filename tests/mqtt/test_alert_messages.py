"""The alert policy's decisions as events: every record a real policy makes converts, valid
against the event schema, parses back equal, and gives store points of its own series."""

from __future__ import annotations

import pytest

from sensor_hub.alerts import (
    Action,
    Answered,
    Buzz,
    Corrected,
    HoldChanged,
    PositiveFeedback,
    Prompt,
    Reason,
    Suppressed,
    What,
)
from sensor_hub.mqtt.alert_messages import decision_message
from sensor_hub.mqtt.commands import Answer
from sensor_hub.mqtt.messages import (
    AlertMessage,
    AnswerMessage,
    EpisodeKind,
    FeedbackMessage,
    PayloadError,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
)
from sensor_hub.mqtt.payloads import decode_message, encode
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Role
from sensor_hub.schema import points_for
from tests.alerts import T0, of
from tests.alerts.test_policy import sitting
from tests.mqtt import assert_valid


def a_day() -> list[Action]:
    """A slouch that buzzes and prompts, escalates under a snooze, a quick correction, an
    answer: every kind of record."""
    w = sitting()
    w.slouch(100.0)  # buzz at 130
    w.end(150.0, 145.0)  # corrected quickly: positive feedback
    w.slouch(300.0, "pelvic_tilt")  # buzz at 330
    (prompt,) = of(w.run(331.0, 450.0), Prompt)  # the first escalation prompts
    w._keep(w.policy.snooze(T0 + 460.0))
    w.run(461.0, 700.0)  # the next escalation is snoozed
    w._keep(w.policy.answer(T0 + 710.0, prompt.prompt_id, Answer.DONE))
    return w.log


def test_every_record_of_a_day_converts_to_a_valid_event() -> None:
    log = a_day()
    for cls in (Buzz, Suppressed, Answered, PositiveFeedback, Prompt, Corrected, HoldChanged):
        assert of(log, cls), cls  # the scenario covers every record type
    topic = Topics("alice").events
    published = 0
    for action in log:
        msg = decision_message("alice", action)
        if isinstance(action, Corrected | HoldChanged):
            assert msg is None
            continue
        assert msg is not None
        payload = encode(msg)
        assert_valid("event", payload)
        decoded = decode_message(topic, payload)
        assert decoded is not None
        assert type(decoded) is type(msg)
        assert encode(decoded) == payload
        assert points_for(decoded) == points_for(msg)
        published += 1
    assert published >= 6


def test_a_buzz_is_an_alert_event() -> None:
    (buzz,) = of(sitting().slouch(100.0), Buzz)
    msg = decision_message("alice", buzz)
    assert msg == AlertMessage(
        "alice",
        T0 + 130.0,
        Role.LUMBAR,
        EpisodeKind.FORWARD_LEAN,
        0,
        buzz.haptic.pattern,
        80,
        T0 + 100.0,
    )


def test_a_snoozed_alert_is_a_suppression_with_its_reason() -> None:
    w = sitting(prompt_at_level=None)
    w._keep(w.policy.snooze(T0))
    (suppressed,) = of(w.slouch(100.0), Suppressed)
    msg = decision_message("alice", suppressed)
    assert msg == SuppressedMessage(
        "alice",
        T0 + 130.0,
        SuppressedWhat.ALERT,
        SuppressionReason.SNOOZED,
        EpisodeKind.FORWARD_LEAN,
        0,
    )


def test_answers_and_feedback() -> None:
    answered = Answered(T0, "p1-0", "glute_bridge", Answer.SKIP, 12.5)
    assert decision_message("a", answered) == AnswerMessage(
        "a", T0, "p1-0", "glute_bridge", Answer.SKIP, 12.5
    )
    feedback = PositiveFeedback(T0, Role.PELVIS, "pelvic_tilt", 4.0, None)
    assert decision_message("a", feedback) == FeedbackMessage(
        "a", T0, Role.PELVIS, EpisodeKind.PELVIC_TILT, 4.0, buzz=False
    )


def test_an_unknown_episode_kind_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="kind"):
        decision_message("a", PositiveFeedback(T0, Role.LUMBAR, "slump", 1.0, None))


def test_the_mqtt_enums_mirror_the_policy_s() -> None:
    assert [r.value for r in SuppressionReason] == [r.value for r in Reason]
    assert [w.value for w in SuppressedWhat] == [w.value for w in What]
