"""The store schema (sensor_hub.schema): names, code tables, and idempotent points."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensor_hub.mqtt.commands import Answer
from sensor_hub.mqtt.messages import (
    AlertMessage,
    AnswerMessage,
    Availability,
    EpisodeKind,
    EpisodeMessage,
    FeedbackMessage,
    PostureState,
    PromptMessage,
    SensorState,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
    Telemetry,
)
from sensor_hub.mqtt.payloads import decode_message, encode
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Activity, Band, CalibrationStatus, Phase, Role
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.point import to_line_protocol
from sensor_hub.schema import (
    ANSWER_CODES,
    CODE_TABLES,
    MEASUREMENTS,
    NO_TAG,
    Measurement,
    points_for,
    time_ns,
)
from tests.mqtt.test_payloads import (
    ALERT,
    ANSWERED,
    DECISIONS,
    EPISODE,
    FEEDBACK,
    PROMPT,
    STATE,
    SUPPRESSED_ALERT,
    SUPPRESSED_PROMPT,
    TELEMETRY,
)

T0 = 1_764_000_000.0
WITH_STANCE = (replace(TELEMETRY, stance=Stance.STANDING), replace(STATE, stance=Stance.SITTING))
ALL = (TELEMETRY, STATE, EPISODE, PROMPT, *DECISIONS, *WITH_STANCE)


def test_time_is_whole_milliseconds() -> None:
    assert time_ns(T0 + 0.2004) == 1_764_000_000_200_000_000
    assert time_ns(T0 + 0.2006) == 1_764_000_000_201_000_000
    assert time_ns(0.0) == 0
    with pytest.raises(ValueError, match="finite"):
        time_ns(math.nan)


def test_telemetry_point() -> None:
    (p,) = points_for(TELEMETRY)
    assert p.measurement == "posture"
    assert p.tags == {"wearer": "alice", "sensor": "lumbar"}
    assert p.fields == {
        "flexion_deg": 23.46, "lateral_deg": 0.0, "relative_flexion_deg": 12.35,
        "activity": 0, "band": 3, "calibration": 1,
    }  # fmt: skip
    assert p.time_ns == time_ns(TELEMETRY.ts_s)


def test_state_gives_a_posture_state_and_a_link_point_at_the_same_time() -> None:
    state, link = points_for(STATE)
    assert state.measurement == "posture_state"
    assert link.measurement == "link"
    assert state.fields["posture"] == PostureState.SLOUCHING
    assert state.fields["paused"] == 0
    assert link.fields == {
        "connected": 1, "battery_pct": 87, "data_age_s": 0.042, "gaps": 2, "lost_samples": 17
    }  # fmt: skip
    assert state.time_ns == link.time_ns == time_ns(STATE.ts_s)


def test_unknown_values_are_left_out() -> None:
    bare = SensorState("bob", Role.PELVIS, T0, PostureState.UNKNOWN, connected=False)
    state, link = points_for(bare)
    assert state.fields == {"posture": 0, "paused": 0}
    assert link.fields == {"connected": 0, "gaps": 0, "lost_samples": 0}


def test_stance_is_a_coded_field_when_sent() -> None:
    (p,) = points_for(replace(TELEMETRY, stance=Stance.SITTING))
    assert p.fields["stance"] == 1
    assert {k: v for k, v in p.fields.items() if k != "stance"} == points_for(TELEMETRY)[0].fields
    state, link = points_for(replace(STATE, stance=Stance.STANDING))
    assert state.fields["stance"] == 2
    assert link == points_for(STATE)[1]
    (unknown,) = points_for(replace(TELEMETRY, stance=Stance.UNKNOWN))
    assert unknown.fields["stance"] == 0  # unknown is a value, stored like the others
    # not sent (an older hub): the field is left out, as for every optional field
    assert "stance" not in points_for(TELEMETRY)[0].fields
    assert "stance" not in points_for(STATE)[0].fields
    assert "stance" in MEASUREMENTS[Measurement.POSTURE].fields
    assert "stance" in MEASUREMENTS[Measurement.POSTURE_STATE].fields


def test_episode_phases_are_distinct_series_even_at_the_same_time() -> None:
    def at(phase: Phase) -> EpisodeMessage:
        return EpisodeMessage("a", Role.LUMBAR, T0 + 25, phase, EpisodeKind.FORWARD_LEAN,
                              T0 + 20, T0 + 25, None, 30.0, 28.0)  # fmt: skip

    started, alerted = points_for(at(Phase.STARTED))[0], points_for(at(Phase.ALERTED))[0]
    assert started.time_ns == alerted.time_ns
    assert started.series_key != alerted.series_key
    assert started.tags["kind"] == "forward_lean"
    assert alerted.tags["phase"] == "alerted"
    (ended,) = points_for(EPISODE)
    assert ended.fields["duration_s"] == 70.01
    assert ended.fields["end_s"] == T0 + 90.01


def test_prompt_point_and_availability_is_not_stored() -> None:
    (p,) = points_for(PROMPT)
    assert p.measurement == "prompt"
    assert p.tags == {"wearer": "alice", "move": "cat_cow", "reason": "forward_lean_alert"}
    assert p.fields == {"prompted": 1}
    assert points_for(Availability("alice", True)) == []


def test_alert_points_buzzed_and_suppressed() -> None:
    (buzz,) = points_for(ALERT)
    assert buzz.measurement == "alert"
    assert buzz.tags == {
        "wearer": "alice", "sensor": "lumbar", "kind": "forward_lean", "what": "alert",
        "outcome": "buzzed", "reason": NO_TAG, "trigger": NO_TAG,
    }  # fmt: skip
    assert buzz.fields == {"level": 1, "count": 1}
    assert buzz.time_ns == time_ns(T0 + 50.0)
    (alert,) = points_for(SUPPRESSED_ALERT)
    assert alert.tags["outcome"] == "suppressed"
    assert (alert.tags["reason"], alert.tags["sensor"], alert.tags["kind"]) == (
        "snoozed", "pelvis", "pelvic_tilt",
    )  # fmt: skip
    assert alert.fields == {"level": 2, "count": 1}
    (prompt,) = points_for(SUPPRESSED_PROMPT)
    assert prompt.tags == {
        "wearer": "alice", "sensor": NO_TAG, "kind": NO_TAG, "what": "prompt",
        "outcome": "suppressed", "reason": "quiet_hours", "trigger": "prolonged_sitting",
    }  # fmt: skip
    assert prompt.fields == {"count": 1}


def test_adherence_and_feedback_points() -> None:
    (answer,) = points_for(ANSWERED)
    assert answer.measurement == "adherence"
    assert answer.tags == {
        "wearer": "alice",
        "move": "seated_pelvic_tilt",
        "prompt": "p1764000050-0",
    }
    assert answer.fields == {"answer": 0, "response_s": 30.0}
    assert ANSWER_CODES[int(answer.fields["answer"])] == "done"
    (feedback,) = points_for(FEEDBACK)
    assert feedback.measurement == "feedback"
    assert feedback.tags == {"wearer": "alice", "sensor": "lumbar", "kind": "forward_lean"}
    assert feedback.fields == {"corrected_after_s": 14.5, "buzz": 1, "count": 1}


def test_decisions_at_the_same_millisecond_are_distinct_points() -> None:
    """Whatever the policy can decide in one call stays apart in the store."""
    t = T0 + 100.0
    same_time = [
        # both episodes buzz in one tick
        AlertMessage("a", t, Role.LUMBAR, EpisodeKind.FORWARD_LEAN, 0, ALERT.pattern, 80, T0),
        AlertMessage("a", t, Role.PELVIS, EpisodeKind.PELVIC_TILT, 0, ALERT.pattern, 80, T0),
        # both suppressed (snoozed), and their prompts in the prompt cooldown
        SuppressedMessage("a", t, SuppressedWhat.ALERT, SuppressionReason.SNOOZED,
                          EpisodeKind.FORWARD_LEAN, 1),
        SuppressedMessage("a", t, SuppressedWhat.ALERT, SuppressionReason.SNOOZED,
                          EpisodeKind.PELVIC_TILT, 1),
        SuppressedMessage("a", t, SuppressedWhat.PROMPT, SuppressionReason.PROMPT_COOLDOWN,
                          trigger="lean_sitting"),
        SuppressedMessage("a", t, SuppressedWhat.PROMPT, SuppressionReason.PROMPT_COOLDOWN,
                          trigger="pelvic_tilt_sitting"),
        SuppressedMessage("a", t, SuppressedWhat.ALERT, SuppressionReason.ESCALATION_CAP,
                          EpisodeKind.FORWARD_LEAN),
        # two prompts of the same move answered at once
        AnswerMessage("a", t, "p1-0", "plank", Answer.SKIP, 10.0),
        AnswerMessage("a", t, "p2-1", "plank", Answer.SKIP, 5.0),
        FeedbackMessage("a", t, Role.LUMBAR, EpisodeKind.FORWARD_LEAN, 3.0, True),
        FeedbackMessage("a", t, Role.PELVIS, EpisodeKind.PELVIC_TILT, 3.0, True),
    ]  # fmt: skip
    points = [p for msg in same_time for p in points_for(msg)]
    assert len({(p.series_key, p.time_ns) for p in points}) == len(points) == len(same_time)


@pytest.mark.parametrize("msg", ALL)
def test_points_use_only_declared_names_and_numeric_fields(msg: object) -> None:
    for p in points_for(msg):  # type: ignore[arg-type]
        spec = MEASUREMENTS[Measurement(p.measurement)]
        assert set(p.tags) == {t.value for t in spec.tags}
        assert set(p.fields) <= set(spec.fields)
        assert all(isinstance(v, int | float) for v in p.fields.values())


@pytest.mark.parametrize("msg", ALL)
def test_a_message_through_mqtt_gives_the_same_points(msg: object) -> None:
    """Replay idempotency: the recorder's points (from the payload) equal the hub's own."""
    t = Topics("alice")
    topic = {
        Telemetry: t.telemetry(Role.LUMBAR),
        SensorState: t.state(Role.LUMBAR),
        EpisodeMessage: t.events,
        PromptMessage: t.events,
        AlertMessage: t.events,
        SuppressedMessage: t.events,
        AnswerMessage: t.events,
        FeedbackMessage: t.events,
    }[type(msg)]
    decoded = decode_message(topic, encode(msg))  # type: ignore[arg-type]
    assert decoded is not None
    again = decode_message(topic, encode(decoded))
    assert again is not None
    direct = [to_line_protocol(p) for p in points_for(msg)]  # type: ignore[arg-type]
    assert [to_line_protocol(p) for p in points_for(decoded)] == direct
    assert [to_line_protocol(p) for p in points_for(again)] == direct


@given(
    ts=st.floats(0, 4e9, allow_nan=False),
    flex=st.one_of(st.none(), st.floats(-179, 179, allow_nan=False)),
)
def test_telemetry_points_survive_the_round_trip(ts: float, flex: float | None) -> None:
    msg = Telemetry("w", Role.PELVIS, ts, flex, 1.0, Activity.LYING, Band.SEVERE,
                    CalibrationStatus.STALE)  # fmt: skip
    decoded = decode_message(Topics("w").telemetry(Role.PELVIS), encode(msg))
    assert decoded is not None
    assert points_for(decoded) == points_for(msg)


def test_code_tables_label_every_code() -> None:
    assert CODE_TABLES["activity"] == {0: "upright", 1: "walking", 2: "lying"}
    assert CODE_TABLES["band"][Band.SEVERE] == "severe"
    assert CODE_TABLES["calibration"] == {0: "provisional", 1: "ok", 2: "stale"}
    assert set(CODE_TABLES["posture"].values()) == {p.label for p in PostureState}
    assert set(ANSWER_CODES.values()) == {a.value for a in Answer}
    assert CODE_TABLES["stance"] == {0: "unknown", 1: "sitting", 2: "standing"}
    coded = {f for spec in MEASUREMENTS.values() for f in spec.fields}
    assert set(CODE_TABLES) <= coded
