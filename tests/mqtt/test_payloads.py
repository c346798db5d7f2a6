"""Payload builders and parsers: golden bytes, JSON Schemas, round trips, typed errors."""

from __future__ import annotations

import contextlib
import json
import math
from dataclasses import replace

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol import HapticPattern
from sensor_hub.mqtt import SCHEMA_NAMES, load_schema
from sensor_hub.mqtt.messages import (
    AlertMessage,
    Answer,
    AnswerMessage,
    Availability,
    EpisodeKind,
    EpisodeMessage,
    FeedbackMessage,
    PayloadError,
    PostureState,
    PromptMessage,
    SensorState,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
    Telemetry,
    posture_state,
    round_deg,
    round_s,
)
from sensor_hub.mqtt.payloads import (
    MAX_PAYLOAD_BYTES,
    availability_payload,
    decode_message,
    encode,
    event_payload,
    parse_availability,
    parse_event,
    parse_state,
    parse_telemetry,
    state_payload,
    telemetry_payload,
)
from sensor_hub.mqtt.topics import TopicError, Topics
from sensor_hub.processing import Activity, Band, CalibrationStatus, Phase, Role
from sensor_hub.processing.calibration import ForwardAxis
from sensor_hub.processing.stance import Stance
from tests.mqtt import assert_valid, check_golden, schema_errors

T0 = 1_764_000_000.0  # 2025-11-24T16:00:00Z

TELEMETRY = Telemetry(
    wearer="alice", sensor=Role.LUMBAR, ts_s=T0 + 0.2004, flexion_deg=23.456789,
    lateral_deg=-0.004, activity=Activity.UPRIGHT, band=Band.MODERATE,
    calibration=CalibrationStatus.OK, relative_flexion_deg=12.345,
)  # fmt: skip
STATE = SensorState(
    wearer="alice", sensor=Role.LUMBAR, ts_s=T0 + 1.0, posture=PostureState.SLOUCHING,
    connected=True, flexion_deg=24.0, lateral_deg=1.23456, activity=Activity.UPRIGHT,
    band=Band.MODERATE, calibration=CalibrationStatus.OK, battery_pct=87, data_age_s=0.0423,
    gaps=2, lost_samples=17,
)  # fmt: skip
EPISODE = EpisodeMessage(
    wearer="alice", sensor=Role.LUMBAR, ts_s=T0 + 95.0, phase=Phase.ENDED,
    kind=EpisodeKind.FORWARD_LEAN, start_s=T0 + 20.0, alert_s=T0 + 50.0, end_s=T0 + 90.01,
    peak_deg=31.2549, mean_deg=26.5,
)  # fmt: skip
PROMPT = PromptMessage(
    wearer="alice", ts_s=T0 + 51.0, prompt_id="p-0001", move_id="cat_cow",
    reason="forward_lean_alert", sensor=Role.LUMBAR, detail={"repetitions": 5, "note": "slow"},
)  # fmt: skip

ALERT = AlertMessage(
    wearer="alice", ts_s=T0 + 50.0004, sensor=Role.LUMBAR, kind=EpisodeKind.FORWARD_LEAN,
    level=1, pattern=HapticPattern.TRIPLE, intensity_pct=90, episode_start_s=T0 + 20.0,
)  # fmt: skip
SUPPRESSED_ALERT = SuppressedMessage(
    wearer="alice", ts_s=T0 + 170.0, what=SuppressedWhat.ALERT,
    reason=SuppressionReason.SNOOZED, kind=EpisodeKind.PELVIC_TILT, level=2,
)  # fmt: skip
SUPPRESSED_PROMPT = SuppressedMessage(
    wearer="alice", ts_s=T0 + 3600.0, what=SuppressedWhat.PROMPT,
    reason=SuppressionReason.QUIET_HOURS, trigger="prolonged_sitting",
)  # fmt: skip
ANSWERED = AnswerMessage(
    wearer="alice", ts_s=T0 + 80.0, prompt_id="p1764000050-0", move_id="seated_pelvic_tilt",
    answer=Answer.DONE, response_s=29.99951,
)  # fmt: skip
FEEDBACK = FeedbackMessage(
    wearer="alice", ts_s=T0 + 65.0, sensor=Role.LUMBAR, kind=EpisodeKind.FORWARD_LEAN,
    corrected_after_s=14.5, buzz=True,
)  # fmt: skip
DECISIONS = (ALERT, SUPPRESSED_ALERT, SUPPRESSED_PROMPT, ANSWERED, FEEDBACK)


def golden_cases() -> dict[str, dict[str, bytes]]:
    return {
        "telemetry": {
            "lumbar_with_pelvis": telemetry_payload(TELEMETRY),
            "pelvis_unknown_angles": telemetry_payload(
                Telemetry(
                    "bob",
                    Role.PELVIS,
                    T0,
                    math.nan,
                    None,
                    Activity.WALKING,
                    Band.NEUTRAL,
                    CalibrationStatus.PROVISIONAL,
                )
            ),
            "lumbar_sitting": telemetry_payload(replace(TELEMETRY, stance=Stance.SITTING)),
        },
        "state": {
            "slouching": state_payload(STATE),
            "disconnected_nothing_known": state_payload(
                SensorState("bob", Role.PELVIS, T0, PostureState.UNKNOWN, connected=False)
            ),
            "paused": state_payload(
                SensorState(
                    "alice",
                    Role.LUMBAR,
                    T0,
                    PostureState.PAUSED,
                    connected=True,
                    activity=Activity.LYING,
                    paused_until_s=T0 + 900.0,
                )
            ),
            "standing": state_payload(
                replace(STATE, posture=PostureState.UPRIGHT, stance=Stance.STANDING)
            ),
            "forward_axis_from_bends": state_payload(
                replace(STATE, forward_axis=ForwardAxis.BENDS, mount_yaw_deg=12.3456)
            ),
            "forward_axis_not_learned": state_payload(
                replace(
                    STATE,
                    posture=PostureState.UPRIGHT,
                    stance=Stance.SITTING,
                    forward_axis=ForwardAxis.CASE,
                    mount_yaw_deg=0.0,
                )
            ),
        },
        "event": {
            "episode_started": event_payload(
                EpisodeMessage(
                    "alice",
                    Role.LUMBAR,
                    T0 + 30.0,
                    Phase.STARTED,
                    EpisodeKind.FORWARD_LEAN,
                    T0 + 20.0,
                    None,
                    None,
                    25.0,
                    24.123,
                )
            ),
            "episode_alerted": event_payload(
                EpisodeMessage(
                    "alice",
                    Role.PELVIS,
                    T0 + 50.0,
                    Phase.ALERTED,
                    EpisodeKind.PELVIC_TILT,
                    T0 + 20.0,
                    T0 + 50.0,
                    None,
                    25.0,
                    24.0,
                )
            ),
            "episode_ended": event_payload(EPISODE),
            "prompt": event_payload(PROMPT),
            "prompt_minimal": event_payload(
                PromptMessage("alice", T0, "p2", "chin_tuck", "reminder")
            ),
            "alert": event_payload(ALERT),
            "alert_suppressed": event_payload(SUPPRESSED_ALERT),
            "alert_suppressed_prompt": event_payload(SUPPRESSED_PROMPT),
            "prompt_answered": event_payload(ANSWERED),
            "feedback": event_payload(FEEDBACK),
            "feedback_without_buzz": event_payload(
                FeedbackMessage("bob", T0, Role.PELVIS, EpisodeKind.PELVIC_TILT, -0.25, False)
            ),
        },
    }


@pytest.mark.parametrize("name", ["telemetry", "state", "event"])
def test_builders_match_golden_files_and_schemas(name: str) -> None:
    cases = golden_cases()[name]
    check_golden(name, cases)
    for payload in cases.values():
        assert_valid(name, payload)


def test_payloads_are_compact_sorted_and_rounded() -> None:
    text = telemetry_payload(TELEMETRY).decode()
    assert " " not in text
    obj = json.loads(text)
    assert list(obj) == sorted(obj)
    assert obj["ts"] == 1764000000.2
    assert obj["flexion_deg"] == 23.46
    assert obj["lateral_deg"] == 0.0
    assert "-0.0" not in text
    assert obj["v"] == 1
    assert obj["wearer"] == "alice"
    assert obj["sensor"] == "lumbar"


def test_rounding_helpers() -> None:
    assert round_deg(1.005) in (1.0, 1.01)
    assert round_deg(math.inf) is None
    assert round_deg(math.nan) is None
    assert round_deg(None) is None
    assert round_s(T0 + 0.0004) == T0
    assert str(round_s(-0.0001)) == "0.0"


@pytest.mark.parametrize(
    ("msg", "parse"),
    [
        (TELEMETRY, parse_telemetry),
        (replace(TELEMETRY, stance=Stance.STANDING), parse_telemetry),
        (STATE, parse_state),
        (replace(STATE, stance=Stance.UNKNOWN), parse_state),
        (replace(STATE, forward_axis=ForwardAxis.WALKING, mount_yaw_deg=-7.891), parse_state),
        (replace(STATE, forward_axis=ForwardAxis.CASE, mount_yaw_deg=-0.0001), parse_state),
        (EPISODE, parse_event),
        (PROMPT, parse_event),
        *((msg, parse_event) for msg in DECISIONS),
    ],
)
def test_parse_gives_back_the_message_and_the_same_bytes(msg: object, parse: object) -> None:
    payload = encode(msg)  # type: ignore[arg-type]
    parsed = parse(payload)  # type: ignore[operator]
    assert type(parsed) is type(msg)
    assert encode(parsed) == payload


def test_episode_round_trip_keeps_times_to_the_millisecond() -> None:
    parsed = parse_event(event_payload(EPISODE))
    assert isinstance(parsed, EpisodeMessage)
    assert parsed.phase is Phase.ENDED
    assert parsed.kind is EpisodeKind.FORWARD_LEAN
    assert parsed.start_s == T0 + 20.0
    assert parsed.end_s == round_s(T0 + 90.01)
    assert parsed.duration_s == 70.01
    assert parsed.peak_deg == 31.25


finite = st.floats(-179.0, 179.0, allow_nan=False)
maybe_angle = st.one_of(st.none(), finite, st.just(math.nan))


@given(
    ts=st.floats(0, 4e9, allow_nan=False), flex=maybe_angle, lat=maybe_angle, rel=maybe_angle,
    activity=st.sampled_from(list(Activity)), band=st.sampled_from(list(Band)),
    cal=st.sampled_from(list(CalibrationStatus)), role=st.sampled_from(list(Role)),
)  # fmt: skip
def test_telemetry_build_parse_build_is_stable(
    ts: float, flex: float | None, lat: float | None, rel: float | None,
    activity: Activity, band: Band, cal: CalibrationStatus, role: Role,
) -> None:  # fmt: skip
    payload = telemetry_payload(Telemetry("w", role, ts, flex, lat, activity, band, cal, rel))
    assert not schema_errors("telemetry", payload)
    assert telemetry_payload(parse_telemetry(payload)) == payload


@given(
    battery=st.one_of(st.none(), st.integers(0, 100)),
    age=st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
    posture=st.sampled_from(list(PostureState)), connected=st.booleans(),
    gaps=st.integers(0, 2**40),
)  # fmt: skip
def test_state_build_parse_build_is_stable(
    battery: int | None, age: float | None, posture: PostureState, connected: bool, gaps: int
) -> None:
    msg = SensorState("w", Role.PELVIS, T0, posture, connected, battery_pct=battery,
                      data_age_s=age, gaps=gaps)  # fmt: skip
    payload = state_payload(msg)
    assert not schema_errors("state", payload)
    assert state_payload(parse_state(payload)) == payload


def test_availability() -> None:
    assert availability_payload(True) == b"online"
    assert availability_payload(False) == b"offline"
    assert parse_availability(b"online") is True
    assert parse_availability(b"offline") is False
    with pytest.raises(PayloadError, match="availability"):
        parse_availability(b"Online")


def good_state() -> dict[str, object]:
    return json.loads(state_payload(STATE))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1]", "expected a JSON object"),
        (b'{"v":1,"ts":NaN}', "not valid JSON"),
        (b'{"v":2}', "unsupported version 2"),
        (b'{"v":"1"}', "unsupported version '1'"),
        (b'{"v":true}', "unsupported version True"),
        (b'{"ts":1}', "unsupported version None"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "exceeds"),
        (b"[" * 10_000, "nested too deeply"),
        (b'{"v":1,"ts":1e999}', "out of range"),
    ],
)
def test_bad_json_or_version_raise_payload_error(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_state(payload)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"posture": None}, "field 'posture' must not be null"),
        ({"posture": "hunched"}, "field 'posture' must be one of"),
        ({"connected": 1}, "field 'connected' must be true or false"),
        ({"flexion_deg": "12"}, "field 'flexion_deg' must be a number"),
        ({"flexion_deg": True}, "field 'flexion_deg' must be a number"),
        ({"battery_pct": 101}, "battery_pct must be 0-100"),
        ({"battery_pct": 5.5}, "field 'battery_pct' must be an integer"),
        ({"gaps": -1}, "field 'gaps' must be an integer >= 0"),
        ({"ts": -1}, "field 'ts' must be a time >= 0"),
        ({"wearer": "Alice"}, "bad wearer id"),
        ({"wearer": 7}, "field 'wearer' must be a string"),
        ({"sensor": "thigh"}, "field 'sensor' must be one of lumbar, pelvis"),
        ({"forward_axis": "sideways"}, "field 'forward_axis' must be one of case, walking, bends"),
        ({"forward_axis": None}, "field 'forward_axis' must not be null"),
        ({"mount_yaw_deg": "12"}, "field 'mount_yaw_deg' must be a number"),
        ({"mount_yaw_deg": None}, "field 'mount_yaw_deg' must not be null"),
        ({"mount_yaw_deg": 181}, "mount_yaw_deg must be -180 to 180"),
    ],
)
def test_bad_fields_raise_payload_error_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    obj = good_state() | change
    assert schema_errors("state", obj)  # the schema refuses it too
    with pytest.raises(PayloadError, match=message):
        parse_state(json.dumps(obj).encode())


@pytest.mark.parametrize("field", ["posture", "connected", "flexion_deg", "gaps", "ts", "wearer"])
def test_missing_fields_raise_payload_error(field: str) -> None:
    obj = good_state()
    del obj[field]
    assert schema_errors("state", obj)
    with pytest.raises(PayloadError, match=f"state: missing field '{field}'"):
        parse_state(json.dumps(obj).encode())


def test_an_older_hubs_state_has_no_forward_axis() -> None:
    obj = good_state()
    assert "forward_axis" not in obj
    assert "mount_yaw_deg" not in obj
    parsed = parse_state(json.dumps(obj).encode())
    assert (parsed.forward_axis, parsed.mount_yaw_deg) == (None, None)


def test_forward_axis_and_mount_yaw_travel_as_label_and_rounded_degrees() -> None:
    msg = replace(STATE, forward_axis=ForwardAxis.BENDS, mount_yaw_deg=12.3456)
    obj = json.loads(state_payload(msg))
    assert (obj["forward_axis"], obj["mount_yaw_deg"]) == ("bends", 12.35)
    parsed = parse_state(state_payload(msg))
    assert parsed.forward_axis is ForwardAxis.BENDS
    assert parsed.mount_yaw_deg == 12.35
    unknown_yaw = json.loads(state_payload(replace(msg, mount_yaw_deg=math.nan)))
    assert "mount_yaw_deg" not in unknown_yaw  # never NaN nor null
    assert unknown_yaw["forward_axis"] == "bends"


def test_unknown_fields_are_ignored_by_the_parser() -> None:
    obj = good_state() | {"future_field": 1}
    assert parse_state(json.dumps(obj).encode()) == parse_state(state_payload(STATE))


@pytest.mark.parametrize(
    "change",
    [{"event_type": "episode_paused"}, {"kind": "slump"}, {"sensor": None}, {"start_s": None}],
)
def test_bad_episode_events_raise(change: dict[str, object]) -> None:
    obj = json.loads(event_payload(EPISODE)) | change
    assert schema_errors("event", obj)
    with pytest.raises(PayloadError, match="event"):
        parse_event(json.dumps(obj).encode())


@pytest.mark.parametrize(
    "change",
    [
        {"prompt_id": ""},
        {"move_id": "two words"},
        {"reason": None},
        {"detail": {"a": [1]}},
        {"detail": []},
    ],
)
def test_bad_prompts_raise(change: dict[str, object]) -> None:
    obj = json.loads(event_payload(PROMPT)) | change
    assert schema_errors("event", obj)
    with pytest.raises(PayloadError, match="event"):
        parse_event(json.dumps(obj).encode())


def test_decision_events_round_trip_to_equal_messages() -> None:
    assert parse_event(event_payload(SUPPRESSED_ALERT)) == SUPPRESSED_ALERT
    assert parse_event(event_payload(SUPPRESSED_PROMPT)) == SUPPRESSED_PROMPT
    assert parse_event(event_payload(FEEDBACK)) == FEEDBACK
    answered = parse_event(event_payload(ANSWERED))
    assert isinstance(answered, AnswerMessage)
    assert answered.response_s == 30.0  # rounded to the millisecond
    assert SUPPRESSED_ALERT.sensor is Role.PELVIS  # from the kind
    assert SUPPRESSED_PROMPT.sensor is None
    assert "sensor" not in json.loads(event_payload(SUPPRESSED_PROMPT))


@pytest.mark.parametrize(
    ("base", "change"),
    [
        (ALERT, {"level": -1}),
        (ALERT, {"level": 1.5}),
        (ALERT, {"pattern": "buzz"}),
        (ALERT, {"intensity_pct": 101}),
        (ALERT, {"sensor": None}),
        (ALERT, {"episode_start_s": None}),
        (SUPPRESSED_ALERT, {"reason": "bored"}),
        (SUPPRESSED_ALERT, {"what": "buzz"}),
        (SUPPRESSED_ALERT, {"sensor": "lumbar"}),  # a pelvic tilt is measured at the pelvis
        (SUPPRESSED_PROMPT, {"trigger": "two words"}),
        (SUPPRESSED_PROMPT, {"trigger": 3}),
        (ANSWERED, {"answer": "later"}),
        (ANSWERED, {"response_s": None}),
        (ANSWERED, {"move_id": ""}),
        (FEEDBACK, {"buzz": 1}),
        (FEEDBACK, {"kind": "slump"}),
    ],
)
def test_bad_decision_events_raise(base: object, change: dict[str, object]) -> None:
    obj = json.loads(encode(base)) | change  # type: ignore[arg-type]
    assert schema_errors("event", obj)
    with pytest.raises(PayloadError, match="event"):
        parse_event(json.dumps(obj).encode())


@pytest.mark.parametrize("field", ["what", "reason", "kind", "level", "trigger"])
def test_a_suppression_names_every_field_even_when_null(field: str) -> None:
    obj = json.loads(event_payload(SUPPRESSED_PROMPT))
    del obj[field]
    assert schema_errors("event", obj)
    with pytest.raises(PayloadError, match=f"missing field '{field}'"):
        parse_event(json.dumps(obj).encode())


def test_messages_check_themselves() -> None:
    with pytest.raises(PayloadError, match="wearer"):
        Telemetry("Bad", Role.LUMBAR, T0, 0.0, 0.0, Activity.UPRIGHT, Band.NEUTRAL,
                  CalibrationStatus.OK)  # fmt: skip
    with pytest.raises(PayloadError, match="ts"):
        SensorState("a", Role.LUMBAR, math.nan, PostureState.UNKNOWN, False)
    with pytest.raises(PayloadError, match="start_s"):
        EpisodeMessage("a", Role.LUMBAR, T0, Phase.STARTED, EpisodeKind.FORWARD_LEAN, math.inf,
                       None, None, None, None)  # fmt: skip
    with pytest.raises(PayloadError, match="prompt_id"):
        PromptMessage("a", T0, "x\ny", "m", "r")
    with pytest.raises(PayloadError, match="detail"):
        PromptMessage("a", T0, "x", "m", "r", detail={"n": math.nan})
    with pytest.raises(PayloadError, match="detail"):
        PromptMessage("a", T0, "x", "m", "r", detail={"n": [1]})  # type: ignore[dict-item]
    with pytest.raises(PayloadError, match="level"):
        SuppressedMessage("a", T0, SuppressedWhat.ALERT, SuppressionReason.LYING, level=-1)
    with pytest.raises(PayloadError, match="trigger"):
        SuppressedMessage("a", T0, SuppressedWhat.PROMPT, SuppressionReason.LYING, trigger="")
    with pytest.raises(PayloadError, match="response_s"):
        AnswerMessage("a", T0, "p", "m", Answer.SKIP, math.inf)
    with pytest.raises(PayloadError, match="intensity_pct"):
        AlertMessage("a", T0, Role.LUMBAR, EpisodeKind.FORWARD_LEAN, 0, HapticPattern.DOUBLE,
                     120, T0)  # fmt: skip


class TestDecodeMessage:
    topics = Topics("alice")

    def test_each_data_topic_decodes_to_its_message(self) -> None:
        t = self.topics
        payload = telemetry_payload(TELEMETRY)
        assert decode_message(t.telemetry(Role.LUMBAR), payload) == parse_telemetry(payload)
        assert isinstance(decode_message(t.state(Role.LUMBAR), state_payload(STATE)), SensorState)
        assert isinstance(decode_message(t.events, event_payload(EPISODE)), EpisodeMessage)
        assert isinstance(decode_message(t.events, event_payload(PROMPT)), PromptMessage)
        for msg in DECISIONS:
            assert decode_message(t.events, event_payload(msg)) == parse_event(encode(msg))
        assert decode_message(t.availability, b"offline") == Availability("alice", False)

    def test_commands_replies_and_raw_blocks_are_not_data(self) -> None:
        t = self.topics
        for topic in (t.command, t.reply, t.raw(Role.LUMBAR)):
            assert decode_message(topic, b"\x00anything") is None

    def test_a_payload_may_not_claim_another_wearer_or_sensor(self) -> None:
        with pytest.raises(PayloadError, match="wearer"):
            decode_message(Topics("mallory").telemetry(Role.LUMBAR), telemetry_payload(TELEMETRY))
        with pytest.raises(PayloadError, match="sensor"):
            decode_message(self.topics.state(Role.PELVIS), state_payload(STATE))

    def test_foreign_topics_raise_topic_error(self) -> None:
        with pytest.raises(TopicError):
            decode_message("other/v1/alice/events", event_payload(EPISODE))
        assert decode_message("home/v1/alice/events", event_payload(EPISODE), prefix="home")


@pytest.mark.parametrize(
    ("activity", "slouching", "paused", "connected", "expected"),
    [
        (Activity.UPRIGHT, False, False, True, PostureState.UPRIGHT),
        (Activity.UPRIGHT, True, False, True, PostureState.SLOUCHING),
        (Activity.WALKING, True, False, True, PostureState.WALKING),
        (Activity.LYING, False, False, True, PostureState.LYING),
        (Activity.UPRIGHT, True, True, True, PostureState.PAUSED),
        (None, False, True, False, PostureState.PAUSED),
        (Activity.UPRIGHT, True, False, False, PostureState.UNKNOWN),
        (None, False, False, True, PostureState.UNKNOWN),
    ],
)
def test_posture_state(
    activity: Activity | None, slouching: bool, paused: bool, connected: bool,
    expected: PostureState,
) -> None:  # fmt: skip
    got = posture_state(activity, slouching=slouching, paused=paused, connected=connected)
    assert got is expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
FIELDS = ["v", "ts", "wearer", "sensor", "event_type", "kind", "start_s", "posture", "activity",
          "level", "what", "reason", "trigger", "answer", "response_s", "buzz"]  # fmt: skip


@given(
    data=st.one_of(
        st.binary(max_size=64),
        st.dictionaries(st.sampled_from(FIELDS), json_values).map(
            lambda d: json.dumps({"v": 1, **d}).encode()
        ),
    ),
    topic=st.sampled_from(
        ["posture/v1/a/events", "posture/v1/a/lumbar/state", "posture/v1/a/pelvis/telemetry",
         "posture/v1/a/availability", "posture/v1/a/cmd", "posture/v9/a/events", "x"]
    ),
)  # fmt: skip
def test_no_input_makes_the_parser_raise_anything_but_its_errors(data: bytes, topic: str) -> None:
    with contextlib.suppress(PayloadError, TopicError):
        decode_message(topic, data)


def test_every_schema_loads_and_is_a_valid_draft_2020_12_schema() -> None:
    for name in SCHEMA_NAMES:
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
    with pytest.raises(ValueError, match="no schema"):
        load_schema("availability")
