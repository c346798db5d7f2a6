"""Home Assistant MQTT discovery (pure): the retained config messages that make a wearer's hub
appear in Home Assistant as one device with its entities, without any YAML.

Topic: ``{discovery_prefix}/{component}/posture_{wearer}/{object_id}/config`` (prefix default
``homeassistant``).  Entities read the retained state topics through ``value_template``s, so no
extra topics are published for Home Assistant; a ``null`` field renders as ``None``, which Home
Assistant shows as *unknown* (``stance``, absent from an older hub's state, renders the same
through ``default(None)``).  Buttons publish ordinary commands (:mod:`.commands`).  Every
entity has a unique id (``posture_{wearer}_{object_id}``), the device block, the origin block and
the hub's availability topic (its last will marks everything unavailable).  Publishing the
:func:`removal_messages` (empty retained payloads) removes the entities again.  The suggested
entity id is ``default_entity_id`` (Home Assistant 2025.10 and later; the older ``object_id``
stops working in 2026.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sensor_hub import __version__
from sensor_hub.mqtt.messages import EventType, PostureState
from sensor_hub.mqtt.payloads import OFFLINE, ONLINE, PAYLOAD_VERSION, dump_json
from sensor_hub.mqtt.topics import TopicError, Topics, validate_prefix
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.config import Role
from sensor_hub.processing.stance import Stance

__all__ = [
    "DEFAULT_DISCOVERY_PREFIX",
    "DiscoveryMessage",
    "device_block",
    "discovery_messages",
    "discovery_topic",
    "removal_messages",
]

DEFAULT_DISCOVERY_PREFIX: Final = "homeassistant"
_SNOOZE_S: Final = 900


@dataclass(frozen=True, slots=True)
class DiscoveryMessage:
    """One retained discovery message (an empty ``payload`` removes the entity)."""

    component: str
    object_id: str
    topic: str
    payload: bytes


def discovery_topic(topics: Topics, component: str, object_id: str, prefix: str) -> str:
    return f"{validate_prefix(prefix)}/{component}/posture_{topics.wearer}/{object_id}/config"


def device_block(topics: Topics, sensors: Sequence[Role]) -> dict[str, object]:
    """The device every entity of the wearer belongs to."""
    worn = " + ".join(role.value for role in sensors)
    return {
        "identifiers": [f"posture_hub_{topics.wearer}"],
        "name": f"Posture {topics.wearer}",
        "manufacturer": "posture-hub",
        "model": f"Posture monitor ({worn})",
        "sw_version": __version__,
    }


def _command(name: str, **fields: object) -> str:
    return dump_json({"v": PAYLOAD_VERSION, "command": name, **fields}).decode()


def _entities(topics: Topics, sensors: Sequence[Role]) -> list[tuple[str, str, dict[str, object]]]:
    """(component, object_id, specific config) of every entity."""
    primary = Role.LUMBAR if Role.LUMBAR in sensors else sensors[0]
    state = topics.state(primary)
    out: list[tuple[str, str, dict[str, object]]] = []
    for role in sensors:
        role_state = topics.state(role)
        out.append((
            "sensor", f"{role}_flexion",
            {"name": "Lumbar flexion" if role is Role.LUMBAR else "Pelvic tilt",
             "state_topic": role_state, "value_template": "{{ value_json.flexion_deg }}",
             "unit_of_measurement": "°", "state_class": "measurement",
             "suggested_display_precision": 1, "icon": "mdi:human-handsdown"},
        ))  # fmt: skip
        out.append((
            "sensor", f"{role}_battery",
            {"name": f"{role.value.capitalize()} sensor battery", "state_topic": role_state,
             "value_template": "{{ value_json.battery_pct }}", "device_class": "battery",
             "unit_of_measurement": "%", "state_class": "measurement",
             "entity_category": "diagnostic"},
        ))  # fmt: skip
        out.append((
            "sensor", f"{role}_data_age",
            {"name": f"{role.value.capitalize()} data age", "state_topic": role_state,
             "value_template": "{{ value_json.data_age_s }}", "device_class": "duration",
             "unit_of_measurement": "s", "state_class": "measurement",
             "suggested_display_precision": 1, "entity_category": "diagnostic"},
        ))  # fmt: skip
    out += [
        ("sensor", "activity",
         {"name": "Activity", "state_topic": state, "value_template": "{{ value_json.activity }}",
          "device_class": "enum", "options": [a.label for a in Activity], "icon": "mdi:walk"}),
        ("sensor", "stance",
         {"name": "Stance", "state_topic": state,
          "value_template": "{{ value_json.stance | default(None) }}",
          "device_class": "enum", "options": [s.label for s in Stance],
          "icon": "mdi:seat-recline-normal"}),
        ("sensor", "posture",
         {"name": "Posture", "state_topic": state, "value_template": "{{ value_json.posture }}",
          "device_class": "enum", "options": [p.label for p in PostureState],
          "icon": "mdi:human-male"}),
        ("binary_sensor", "slouching",
         {"name": "Slouching", "state_topic": state,
          "value_template": "{{ 'ON' if value_json.posture == 'slouching' else 'OFF' }}",
          "payload_on": "ON", "payload_off": "OFF", "icon": "mdi:human-handsdown"}),
        ("event", "events",
         {"name": "Posture event", "state_topic": topics.events,
          "event_types": [e.value for e in EventType], "icon": "mdi:bell-ring"}),
        ("button", "calibrate",
         {"name": "Calibrate", "command_topic": topics.command,
          "payload_press": _command("calibrate"), "icon": "mdi:target"}),
        ("button", "snooze",
         {"name": "Snooze alerts", "command_topic": topics.command,
          "payload_press": _command("snooze", duration_s=_SNOOZE_S), "icon": "mdi:bell-sleep"}),
        ("button", "resume",
         {"name": "Resume alerts", "command_topic": topics.command,
          "payload_press": _command("resume"), "icon": "mdi:bell"}),
    ]  # fmt: skip
    return out


def _check_sensors(sensors: Sequence[Role]) -> None:
    if not sensors or len(set(sensors)) != len(sensors):
        raise TopicError(f"discovery needs one or more distinct sensors, got {list(sensors)}")


def discovery_messages(
    topics: Topics,
    sensors: Sequence[Role],
    *,
    discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX,
) -> list[DiscoveryMessage]:
    """The discovery config of every entity of ``topics.wearer`` wearing ``sensors``.

    Raises:
        TopicError: a bad discovery prefix, or no (or repeated) sensors.
    """
    _check_sensors(sensors)
    device = device_block(topics, sensors)
    origin = {"name": "posture-hub", "sw_version": __version__}
    availability = [
        {
            "topic": topics.availability,
            "payload_available": ONLINE.decode(),
            "payload_not_available": OFFLINE.decode(),
        }
    ]
    node = f"posture_{topics.wearer}"
    messages = []
    for component, object_id, specific in _entities(topics, sensors):
        unique_id = f"{node}_{object_id}"
        config: dict[str, object] = {
            "unique_id": unique_id,
            "default_entity_id": f"{component}.{unique_id.replace('-', '_')}",
            "device": device,
            "origin": origin,
            "availability": availability,
            "qos": 1,
            **specific,
        }
        topic = discovery_topic(topics, component, object_id, discovery_prefix)
        messages.append(DiscoveryMessage(component, object_id, topic, dump_json(config)))
    return messages


def removal_messages(
    topics: Topics,
    sensors: Sequence[Role],
    *,
    discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX,
) -> list[DiscoveryMessage]:
    """Empty retained payloads on the same topics: Home Assistant removes the entities."""
    return [
        DiscoveryMessage(m.component, m.object_id, m.topic, b"")
        for m in discovery_messages(topics, sensors, discovery_prefix=discovery_prefix)
    ]
