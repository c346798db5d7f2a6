"""MQTT: the hub's outputs as messages, commands in, Home Assistant discovery.

Pure message layer (no network, no clock): :mod:`.topics` (the topic scheme v1 and its
QoS/retain table), :mod:`.messages` (typed messages), :mod:`.payloads` (bytes <-> messages),
:mod:`.sampling` (core outputs -> messages, telemetry decimation), :mod:`.alert_messages` (the
alert policy's decisions -> events), :mod:`.raw` (binary raw IMU blocks), :mod:`.commands`
(commands in, replies out), :mod:`.discovery` (Home Assistant).  The JSON Schemas of every JSON
payload ship in ``schemas/`` (:func:`load_schema`).  Only :mod:`.client` imports paho-mqtt; only
:mod:`.broker` imports amqtt.  See ``docs/mqtt.md``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Final

__all__ = ["SCHEMA_NAMES", "load_schema"]

#: The JSON Schemas (draft 2020-12) in ``sensor_hub/mqtt/schemas``, by payload.
SCHEMA_NAMES: Final = ("telemetry", "state", "event", "command", "reply", "discovery")


def load_schema(name: str) -> dict[str, object]:
    """The JSON Schema of payload ``name`` (one of :data:`SCHEMA_NAMES`)."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"no schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    text = resources.files(__name__).joinpath("schemas", f"{name}.json").read_text("utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema
