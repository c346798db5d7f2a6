"""Commands: parsing, validation (agreeing with the JSON Schema), authorisation, replies."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensor_hub.alerts import AlertConfig
from sensor_hub.mqtt.commands import (
    ALERT_SETTINGS,
    MAX_COMMAND_BYTES,
    Answer,
    Calibrate,
    Command,
    CommandError,
    ErrorCode,
    Pause,
    PromptAck,
    Resume,
    SetAlerts,
    SetThresholds,
    Snooze,
    Until,
    decode_command,
    error_reply,
    ok_reply,
    parse_command,
    reply_payload,
    reply_topic,
)
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Role
from tests.mqtt import assert_valid, check_golden, schema_errors

T0 = 1_764_000_000.0
TOPICS = Topics("alice")

VALID: list[tuple[object, Command]] = [
    ({"command": "calibrate"}, Calibrate()),
    ({"v": 1, "command": "calibrate", "window_s": 5, "id": "r1"}, Calibrate(5.0, "r1")),
    ({"command": "snooze", "duration_s": 900, "id": 7}, Snooze(900.0, None, 7)),
    ({"command": "snooze"}, Snooze()),
    ({"command": "pause", "until": "tomorrow"}, Pause(None, Until.TOMORROW)),
    ({"command": "pause", "duration_s": 86400}, Pause(86400.0)),
    ({"command": "resume", "id": "x"}, Resume("x")),
    ({"command": "prompt_ack", "prompt_id": "p-1", "answer": "done"},
     PromptAck("p-1", Answer.DONE)),
    ({"command": "prompt_ack", "prompt_id": "p-1", "answer": "snooze"},
     PromptAck("p-1", Answer.SNOOZE)),
    ({"command": "set_thresholds", "threshold_deg": 25}, SetThresholds(25.0)),
    ({"command": "set_thresholds", "hold_s": 60, "dip_s": 0},
     SetThresholds(None, 60.0, 0.0)),
    ({"command": "set_alerts", "settings": {"mode": "tracking"}, "id": "c"},
     SetAlerts({"mode": "tracking"}, "c")),
    ({"command": "set_alerts", "settings": {"quiet_hours": "off", "max_alerts_per_hour": 4,
                                            "long_static_s": None, "floor_when_standing": False}},
     SetAlerts({"quiet_hours": "off", "max_alerts_per_hour": 4, "long_static_s": None,
                "floor_when_standing": False})),
    # values are checked when applied (AlertConfig), not here
    ({"command": "set_alerts", "settings": {"mode": "loud"}}, SetAlerts({"mode": "loud"})),
]  # fmt: skip

INVALID: list[tuple[object, ErrorCode]] = [
    ({"v": 2, "command": "resume"}, ErrorCode.BAD_VERSION),
    ({"v": True, "command": "resume"}, ErrorCode.BAD_VERSION),
    ({"id": "x"}, ErrorCode.MISSING_FIELD),
    ({"command": "reboot"}, ErrorCode.UNKNOWN_COMMAND),
    ({"command": 3}, ErrorCode.UNKNOWN_COMMAND),
    ({"command": "resume", "force": True}, ErrorCode.UNKNOWN_FIELD),
    ({"command": "snooze", "duraton_s": 60}, ErrorCode.UNKNOWN_FIELD),
    ({"command": "calibrate", "window_s": 0.5}, ErrorCode.OUT_OF_RANGE),
    ({"command": "calibrate", "window_s": "5"}, ErrorCode.BAD_TYPE),
    ({"command": "calibrate", "window_s": True}, ErrorCode.BAD_TYPE),
    ({"command": "snooze", "duration_s": 0}, ErrorCode.OUT_OF_RANGE),
    ({"command": "snooze", "duration_s": 86401}, ErrorCode.OUT_OF_RANGE),
    ({"command": "snooze", "duration_s": 60, "until": "tomorrow"}, ErrorCode.BAD_TYPE),
    ({"command": "pause", "until": "monday"}, ErrorCode.BAD_TYPE),
    ({"command": "pause", "until": 1}, ErrorCode.BAD_TYPE),
    ({"command": "prompt_ack", "answer": "done"}, ErrorCode.MISSING_FIELD),
    ({"command": "prompt_ack", "prompt_id": "p"}, ErrorCode.MISSING_FIELD),
    ({"command": "prompt_ack", "prompt_id": "p", "answer": "later"}, ErrorCode.BAD_TYPE),
    ({"command": "prompt_ack", "prompt_id": "", "answer": "done"}, ErrorCode.BAD_TYPE),
    ({"command": "prompt_ack", "prompt_id": 5, "answer": "done"}, ErrorCode.BAD_TYPE),
    ({"command": "set_thresholds"}, ErrorCode.MISSING_FIELD),
    ({"command": "set_thresholds", "threshold_deg": 4.9}, ErrorCode.OUT_OF_RANGE),
    ({"command": "set_thresholds", "threshold_deg": 61}, ErrorCode.OUT_OF_RANGE),
    ({"command": "set_thresholds", "hold_s": 601}, ErrorCode.OUT_OF_RANGE),
    ({"command": "set_thresholds", "dip_s": -1}, ErrorCode.OUT_OF_RANGE),
    ({"command": "set_alerts"}, ErrorCode.MISSING_FIELD),
    ({"command": "set_alerts", "settings": {}}, ErrorCode.MISSING_FIELD),
    ({"command": "set_alerts", "settings": "mode=tracking"}, ErrorCode.BAD_TYPE),
    ({"command": "set_alerts", "settings": {"mood": "calm"}}, ErrorCode.UNKNOWN_FIELD),
    ({"command": "set_alerts", "settings": {"mode": ["tracking"]}}, ErrorCode.BAD_TYPE),
    ({"command": "set_alerts", "settings": {"snooze_s": {"min": 5}}}, ErrorCode.BAD_TYPE),
    (
        {"command": "set_alerts", "settings": {"mode": "tracking"}, "mode": "x"},
        ErrorCode.UNKNOWN_FIELD,
    ),
    (
        {"command": "set_alerts", "settings": {f"k{i}": 1 for i in range(33)}},
        ErrorCode.OUT_OF_RANGE,
    ),
    ({"command": "resume", "id": ""}, ErrorCode.BAD_TYPE),
    ({"command": "resume", "id": 1.5}, ErrorCode.BAD_TYPE),
    ({"command": "resume", "id": "x" * 129}, ErrorCode.BAD_TYPE),
    ({"command": "resume", "id": 2**53}, ErrorCode.BAD_TYPE),
    ([], ErrorCode.BAD_JSON),
    ("resume", ErrorCode.BAD_JSON),
]


def encode(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(("obj", "expected"), VALID)
def test_valid_commands_parse_and_satisfy_the_schema(obj: object, expected: Command) -> None:
    assert parse_command(encode(obj)) == expected
    assert_valid("command", obj)


@pytest.mark.parametrize(("obj", "code"), INVALID)
def test_invalid_commands_raise_with_a_code_and_fail_the_schema(
    obj: object, code: ErrorCode
) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(encode(obj))
    assert info.value.code is code
    assert info.value.message
    assert schema_errors("command", obj)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"\xff",
        b'{"command":"resume","x":NaN}',
        b'{"command":"calibrate","window_s":1e999}',
        b"[" * 4000,
        b" " * (MAX_COMMAND_BYTES + 1),
    ],
)
def test_unreadable_commands_are_bad_json(data: bytes) -> None:
    with pytest.raises(CommandError) as info:
        parse_command(data)
    assert info.value.code is ErrorCode.BAD_JSON


def test_errors_carry_command_name_and_request_id_when_readable() -> None:
    with pytest.raises(CommandError) as info:
        parse_command(b'{"command":"snooze","id":"q7","duration_s":-5}')
    assert (info.value.command, info.value.request_id) == ("snooze", "q7")
    with pytest.raises(CommandError) as info:
        parse_command(b'{"command":"reboot","id":3}')
    assert (info.value.command, info.value.request_id) == ("reboot", 3)


class TestAuthorisation:
    def test_own_command_topic_is_accepted(self) -> None:
        assert decode_command(TOPICS.command, b'{"command":"resume"}', TOPICS) == Resume()

    @pytest.mark.parametrize(
        "topic",
        [
            Topics("bob").command,  # another wearer's commands
            TOPICS.reply,
            TOPICS.state(Role.LUMBAR),
            Topics("alice", prefix="other").command,  # another tree
            "posture/v1/alice/cmd/extra",
        ],
    )
    def test_any_other_topic_is_forbidden(self, topic: str) -> None:
        with pytest.raises(CommandError) as info:
            decode_command(topic, b'{"command":"resume"}', TOPICS)
        assert info.value.code is ErrorCode.FORBIDDEN

    def test_forbidden_before_parsing(self) -> None:
        with pytest.raises(CommandError) as info:
            decode_command(Topics("bob").command, b"not json", TOPICS)
        assert info.value.code is ErrorCode.FORBIDDEN


def test_reply_topic_prefers_a_valid_response_topic() -> None:
    assert reply_topic(TOPICS, "clients/phone-1/replies") == "clients/phone-1/replies"
    for bad in (None, "", "a/+/b", "a/#", "$SYS/x", "a\x00"):
        assert reply_topic(TOPICS, bad) == TOPICS.reply


def reply_cases() -> dict[str, bytes]:
    refused = CommandError(
        ErrorCode.OUT_OF_RANGE, "duration_s must be 1 to 86400", command="snooze", request_id=7
    )
    return {
        "ok_with_id": ok_reply("alice", T0, Calibrate(request_id="r1")),
        "ok_without_id": ok_reply("alice", T0 + 0.0005, Resume()),
        "ok_with_result": ok_reply("alice", T0, Snooze(60.0), {"until": T0 + 60}),
        "error": error_reply("alice", T0, refused),
        "error_unreadable": error_reply(
            "alice", T0, CommandError(ErrorCode.BAD_JSON, "command: not valid JSON")
        ),
    }


def test_replies_match_golden_file_and_schema() -> None:
    cases = reply_cases()
    check_golden("reply", cases)
    for payload in cases.values():
        assert_valid("reply", payload)


def test_reply_shape() -> None:
    obj = json.loads(reply_cases()["error"])
    assert obj["ok"] is False
    assert obj["command"] == "snooze"
    assert obj["id"] == 7
    assert obj["error"] == {"code": "out_of_range", "message": "duration_s must be 1 to 86400"}
    ok = json.loads(reply_cases()["ok_with_id"])
    assert ok["ok"] is True
    assert "error" not in ok
    assert ok["id"] == "r1"


def test_reply_schema_refuses_inconsistent_replies() -> None:
    ok = json.loads(reply_payload("alice", T0, "resume", None))
    assert schema_errors("reply", ok | {"ok": False})  # refused without an error
    err = json.loads(reply_cases()["error"])
    assert schema_errors("reply", err | {"ok": True})
    assert schema_errors("reply", err | {"error": {"code": "oops", "message": "x"}})


class TestHoldEnd:
    def test_duration_and_defaults(self) -> None:
        assert Snooze(60.0).end_s(T0) == T0 + 60
        assert Snooze().end_s(T0) == T0 + 900
        assert Pause().end_s(T0) == T0 + 3600

    def test_tomorrow_is_the_next_local_midnight(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        now = datetime(2026, 3, 28, 22, 30, tzinfo=berlin).timestamp()  # night before DST
        end = Pause(until=Until.TOMORROW).end_s(now, berlin)
        assert datetime.fromtimestamp(end, berlin) == datetime(2026, 3, 29, tzinfo=berlin)
        utc = ZoneInfo("UTC")
        assert Snooze(until=Until.TOMORROW).end_s(T0, utc) == 1_764_028_800.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
KEYS = ["v", "id", "command", "window_s", "duration_s", "until", "prompt_id", "answer",
        "threshold_deg", "hold_s", "dip_s", "settings"]  # fmt: skip


NAMES = ["calibrate", "snooze", "pause", "resume", "prompt_ack", "set_thresholds", "set_alerts"]


@given(obj=st.dictionaries(st.sampled_from(KEYS), json_values), name=st.sampled_from(NAMES))
def test_parser_and_schema_agree_on_any_command(obj: dict[str, object], name: str) -> None:
    obj = {**obj, "command": name} if "command" not in obj else obj
    data = json.dumps(obj).encode()  # NaN and Infinity become non-JSON literals: bad_json
    code = None
    try:
        parse_command(data)
    except CommandError as exc:
        code = exc.code
    if code is None:
        assert not schema_errors("command", obj), obj
    elif code is not ErrorCode.BAD_JSON:
        assert schema_errors("command", obj), (obj, code)


def test_set_alerts_knows_exactly_the_alert_settings() -> None:
    assert {f.name for f in fields(AlertConfig)} == ALERT_SETTINGS


SETTING_KEYS = [*sorted(ALERT_SETTINGS), "mood", "MODE", ""]


@given(
    settings=st.one_of(
        st.dictionaries(st.sampled_from(SETTING_KEYS), json_values, max_size=6),
        json_values,
    ),
    extra=st.dictionaries(st.sampled_from(["v", "id", "mode"]), json_values, max_size=2),
)
def test_parser_and_schema_agree_on_any_set_alerts(
    settings: object, extra: dict[str, object]
) -> None:
    obj = {**extra, "command": "set_alerts", "settings": settings}
    data = json.dumps(obj).encode()
    code = None
    try:
        command = parse_command(data)
    except CommandError as exc:
        code = exc.code
    if code is None:
        assert not schema_errors("command", obj), obj
        assert isinstance(command, SetAlerts)
        assert dict(command.settings) == settings
    elif code is not ErrorCode.BAD_JSON:
        assert schema_errors("command", obj), (obj, code)
