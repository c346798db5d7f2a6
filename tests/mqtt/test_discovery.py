"""Home Assistant discovery payloads: golden, schema, and consistency with the real topics."""

from __future__ import annotations

import json
import re

import pytest

from sensor_hub import __version__
from sensor_hub.mqtt import load_schema
from sensor_hub.mqtt.commands import parse_command
from sensor_hub.mqtt.discovery import discovery_messages, removal_messages
from sensor_hub.mqtt.messages import EventType
from sensor_hub.mqtt.topics import TopicError, Topics, parse_topic
from sensor_hub.processing import Role
from tests.mqtt import assert_valid, check_golden

ALICE = Topics("alice")
BOTH = (Role.LUMBAR, Role.PELVIS)


def configs(topics: Topics = ALICE, sensors: tuple[Role, ...] = BOTH) -> dict[str, dict]:
    return {m.topic: json.loads(m.payload) for m in discovery_messages(topics, sensors)}


@pytest.mark.parametrize(
    ("name", "sensors"), [("discovery_both", BOTH), ("discovery_pelvis_only", (Role.PELVIS,))]
)
def test_discovery_matches_golden_file_and_schema(name: str, sensors: tuple[Role, ...]) -> None:
    messages = discovery_messages(ALICE, sensors)
    version = f'"sw_version":"{__version__}"'.encode()
    unversioned = {
        m.topic: m.payload.replace(version, b'"sw_version":"<version>"') for m in messages
    }
    check_golden(name, unversioned)  # a release does not change the golden files
    for m in messages:
        assert_valid("discovery", m.payload)


def test_entities_the_issue_asks_for() -> None:
    ids = {(m.component, m.object_id) for m in discovery_messages(ALICE, BOTH)}
    assert {
        ("sensor", "lumbar_flexion"), ("sensor", "pelvis_flexion"), ("sensor", "activity"),
        ("sensor", "lumbar_battery"), ("sensor", "pelvis_battery"),
        ("sensor", "lumbar_data_age"), ("binary_sensor", "slouching"), ("event", "events"),
        ("button", "calibrate"), ("button", "snooze"),
    } <= ids  # fmt: skip


def test_stance_sensor_reads_the_primary_state() -> None:
    stance = configs()["homeassistant/sensor/posture_alice/stance/config"]
    assert stance["name"] == "Stance"
    assert stance["state_topic"] == ALICE.state(Role.LUMBAR)
    assert stance["device_class"] == "enum"
    assert stance["options"] == ["unknown", "sitting", "standing"]
    assert stance["options"] == load_schema("state")["properties"]["stance"]["enum"]  # type: ignore[index]
    assert stance["value_template"] == "{{ value_json.stance | default(None) }}"
    pelvis = configs(sensors=(Role.PELVIS,))
    assert pelvis["homeassistant/sensor/posture_alice/stance/config"]["state_topic"] == (
        ALICE.state(Role.PELVIS)
    )


def test_topics_unique_ids_and_device() -> None:
    cfg = configs()
    for topic, c in cfg.items():
        assert re.fullmatch(r"homeassistant/[a-z_]+/posture_alice/[a-z_]+/config", topic)
        assert c["availability"] == [
            {"topic": ALICE.availability, "payload_available": "online",
             "payload_not_available": "offline"}
        ]  # fmt: skip
        assert c["device"]["identifiers"] == ["posture_hub_alice"]
        assert c["device"]["sw_version"] == __version__
        assert c["origin"]["name"] == "posture-hub"
    unique = [c["unique_id"] for c in cfg.values()]
    assert len(set(unique)) == len(unique)
    other = configs(Topics("bob"))
    assert not set(unique) & {c["unique_id"] for c in other.values()}


def test_prefix_is_configurable() -> None:
    messages = discovery_messages(ALICE, BOTH, discovery_prefix="ha/disc")
    assert all(m.topic.startswith("ha/disc/") for m in messages)
    with pytest.raises(TopicError):
        discovery_messages(ALICE, BOTH, discovery_prefix="ha/+")


def test_entity_ids_are_valid_for_hyphenated_wearers() -> None:
    for c in configs(Topics("mary-jo")).values():
        assert re.fullmatch(r"[a-z_]+\.posture_mary_jo_[a-z_]+", c["default_entity_id"])


def test_templates_read_fields_of_the_topic_they_subscribe() -> None:
    fields = {
        "state": set(load_schema("state")["properties"]),  # type: ignore[arg-type]
    }
    for c in configs().values():
        if "value_template" not in c:
            continue
        kind = parse_topic(c["state_topic"]).kind.value
        for name in re.findall(r"value_json\.(\w+)", c["value_template"]):
            assert name in fields[kind], (c["unique_id"], name)


def test_buttons_send_valid_commands_to_the_command_topic() -> None:
    buttons = [c for c in configs().values() if "payload_press" in c]
    assert len(buttons) == 3
    for c in buttons:
        assert c["command_topic"] == ALICE.command
        parse_command(c["payload_press"].encode())


def test_event_entity_lists_every_event_type() -> None:
    (event,) = [c for t, c in configs().items() if "/event/" in t]
    assert event["state_topic"] == ALICE.events
    assert event["event_types"] == [e.value for e in EventType]


def test_primary_sensor_is_lumbar_when_worn() -> None:
    slouch = configs()["homeassistant/binary_sensor/posture_alice/slouching/config"]
    assert slouch["state_topic"] == ALICE.state(Role.LUMBAR)
    pelvis = configs(sensors=(Role.PELVIS,))
    assert pelvis["homeassistant/sensor/posture_alice/activity/config"]["state_topic"] == (
        ALICE.state(Role.PELVIS)
    )


def test_removal_empties_every_config_topic() -> None:
    removal = removal_messages(ALICE, BOTH)
    assert [m.topic for m in removal] == [m.topic for m in discovery_messages(ALICE, BOTH)]
    assert all(m.payload == b"" for m in removal)


@pytest.mark.parametrize("sensors", [(), (Role.LUMBAR, Role.LUMBAR)])
def test_sensors_must_be_given_once(sensors: tuple[Role, ...]) -> None:
    with pytest.raises(TopicError, match="sensors"):
        discovery_messages(ALICE, sensors)
