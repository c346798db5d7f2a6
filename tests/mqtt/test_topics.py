"""The topic scheme v1: building, parsing, validation, the QoS/retain table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensor_hub.mqtt.topics import (
    TOPIC_POLICY,
    WEARER_PATTERN,
    Delivery,
    TopicError,
    TopicInfo,
    TopicKind,
    Topics,
    parse_topic,
    subscription,
    validate_prefix,
    validate_sensor,
)
from sensor_hub.processing.config import Role

wearers = st.from_regex(WEARER_PATTERN, fullmatch=True)
prefixes = st.sampled_from(["posture", "home/posture", "a", "x-1/y_2/z"])


def test_topics_follow_the_design_table() -> None:
    t = Topics("alice")
    assert t.base == "posture/v1/alice"
    assert t.availability == "posture/v1/alice/availability"
    assert t.telemetry(Role.LUMBAR) == "posture/v1/alice/lumbar/telemetry"
    assert t.state("pelvis") == "posture/v1/alice/pelvis/state"
    assert t.events == "posture/v1/alice/events"
    assert t.raw(Role.PELVIS) == "posture/v1/alice/pelvis/raw"
    assert t.command == "posture/v1/alice/cmd"
    assert t.reply == "posture/v1/alice/cmd/reply"
    assert t.all_topics == "posture/v1/alice/#"


def test_prefix_is_configurable_and_may_have_levels() -> None:
    t = Topics("bob-2", prefix="home/posture")
    assert t.state(Role.LUMBAR) == "home/posture/v1/bob-2/lumbar/state"
    assert parse_topic(t.state(Role.LUMBAR), "home/posture") == TopicInfo(
        "bob-2", TopicKind.STATE, Role.LUMBAR
    )


@pytest.mark.parametrize(
    "wearer", ["", "Alice", "-bob", "_bob", "a" * 33, "al/ice", "al+", "al#", "al ice", "é"]
)
def test_bad_wearer_ids_are_refused(wearer: str) -> None:
    with pytest.raises(TopicError, match="wearer"):
        Topics(wearer)


@pytest.mark.parametrize("prefix", ["", "a//b", "/a", "a/", "a/+/b", "#", "$SYS", "a\x00b"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(TopicError, match="prefix"):
        Topics("alice", prefix=prefix)
    with pytest.raises(TopicError):
        validate_prefix(prefix)


def test_sensor_must_be_a_role() -> None:
    assert validate_sensor("lumbar") is Role.LUMBAR
    with pytest.raises(TopicError, match="thigh"):
        Topics("alice").state("thigh")


def test_generic_topic_builder() -> None:
    t = Topics("alice")
    assert t.topic(TopicKind.STATE, Role.LUMBAR) == t.state(Role.LUMBAR)
    assert t.topic(TopicKind.REPLY) == t.reply
    with pytest.raises(TopicError, match="needs a sensor"):
        t.topic(TopicKind.TELEMETRY)
    with pytest.raises(TopicError, match="no sensor"):
        t.topic(TopicKind.EVENTS, Role.LUMBAR)
    with pytest.raises(TopicError, match="discovery"):
        t.topic(TopicKind.DISCOVERY)


@given(wearer=wearers, prefix=prefixes, role=st.sampled_from(list(Role)))
def test_every_built_topic_parses_back(wearer: str, prefix: str, role: Role) -> None:
    t = Topics(wearer, prefix)
    for kind in TopicKind:
        if kind is TopicKind.DISCOVERY:
            continue
        sensor = role if kind.per_sensor else None
        assert parse_topic(t.topic(kind, sensor), prefix) == TopicInfo(wearer, kind, sensor)


@pytest.mark.parametrize(
    "topic",
    [
        "other/v1/alice/events",  # foreign prefix
        "postures/v1/alice/events",
        "posture/v2/alice/events",  # other version
        "posture/v1/alice",  # too short
        "posture/v1/Alice/events",  # bad wearer
        "posture/v1/alice/thigh/state",  # unknown sensor
        "posture/v1/alice/lumbar/events",  # not a per-sensor kind
        "posture/v1/alice/state",  # per-sensor kind without sensor
        "posture/v1/alice/discovery",
        "posture/v1/alice/lumbar/state/extra",
        "posture/v1/alice/cmd/other",
        "posture/v1/alice/events/",
        "homeassistant/sensor/posture_alice/flexion/config",
    ],
)
def test_foreign_or_malformed_topics_raise(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(topic)


def test_policy_covers_every_kind_as_the_design_says() -> None:
    assert set(TOPIC_POLICY) == set(TopicKind)
    assert TOPIC_POLICY[TopicKind.TELEMETRY] == Delivery(qos=1, retain=False)
    assert TOPIC_POLICY[TopicKind.RAW] == Delivery(qos=0, retain=False)
    assert TOPIC_POLICY[TopicKind.EVENTS] == Delivery(qos=1, retain=False)
    for kind in (TopicKind.STATE, TopicKind.AVAILABILITY, TopicKind.DISCOVERY):
        assert TOPIC_POLICY[kind] == Delivery(qos=1, retain=True)
    for kind in (TopicKind.COMMAND, TopicKind.REPLY):
        assert TOPIC_POLICY[kind] == Delivery(qos=1, retain=False)
    with pytest.raises(TypeError):
        TOPIC_POLICY[TopicKind.RAW] = Delivery(2, True)  # type: ignore[index]


def test_recorder_subscriptions() -> None:
    assert subscription() == "posture/v1/+/#"
    assert subscription("home/p", wearer="alice") == "home/p/v1/alice/#"
    assert subscription(share_group="recorders") == "$share/recorders/posture/v1/+/#"
    for group in ("", "a/b", "a+", "#"):
        with pytest.raises(TopicError, match="group"):
            subscription(share_group=group)
    with pytest.raises(TopicError):
        subscription(wearer="Bad")
