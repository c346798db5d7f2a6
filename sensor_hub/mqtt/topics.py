"""The MQTT topic scheme v1: one place builds, parses and validates every topic.

``{prefix}/v1/{wearer}/...`` (prefix default ``posture``).  Topics are per wearer so a broker ACL
``pattern readwrite posture/v1/%u/#`` confines each wearer's credentials to their own tree; the
sensor's *role* (``lumbar``, ``pelvis``) rather than its address names the per-sensor topics, so a
replaced sensor keeps its history.  The version is a topic level: a breaking change of the
payloads moves to ``v2`` and both trees can be served side by side.

How each kind of topic is delivered (QoS, retain) is data, :data:`TOPIC_POLICY`, which the
adapter reads; nothing else decides it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from sensor_hub.processing.config import Role

__all__ = [
    "DEFAULT_PREFIX",
    "SCHEME_VERSION",
    "TOPIC_POLICY",
    "WEARER_PATTERN",
    "Delivery",
    "TopicError",
    "TopicInfo",
    "TopicKind",
    "Topics",
    "parse_topic",
    "subscription",
    "validate_prefix",
    "validate_sensor",
    "validate_wearer",
]

DEFAULT_PREFIX: Final = "posture"
#: The topic level that names the scheme's version.
SCHEME_VERSION: Final = "v1"
#: A wearer id: lower-case letters, digits, ``_`` and ``-``, 1 to 32 characters, starting with a
#: letter or digit (it doubles as a broker user name and as part of Home Assistant ids).
WEARER_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


class TopicError(ValueError):
    """A topic, prefix, wearer or sensor that is not part of the scheme."""


class TopicKind(StrEnum):
    """Every kind of topic in the scheme; the value is the topic's tail after the wearer (or
    after the sensor for per-sensor kinds)."""

    AVAILABILITY = "availability"
    TELEMETRY = "telemetry"
    STATE = "state"
    EVENTS = "events"
    RAW = "raw"
    COMMAND = "cmd"
    REPLY = "cmd/reply"
    DISCOVERY = "discovery"  # Home Assistant's tree, outside the prefix

    @property
    def per_sensor(self) -> bool:
        """Whether the topic has a ``{sensor}`` level."""
        return self in _PER_SENSOR


_PER_SENSOR: Final = frozenset({TopicKind.TELEMETRY, TopicKind.STATE, TopicKind.RAW})


@dataclass(frozen=True, slots=True)
class Delivery:
    """How messages of one kind of topic are published."""

    qos: int
    retain: bool


#: QoS and retain of each kind of topic (the one table the adapter reads).  Telemetry and raw
#: blocks are frequent and superseded by the next one: QoS 0.  Events, commands and replies are
#: each meaningful once: QoS 1 (at least once; consumers dedupe by the payload's identity).  State,
#: availability and discovery are retained so a late subscriber sees the present at once.
TOPIC_POLICY: Final[Mapping[TopicKind, Delivery]] = MappingProxyType(
    {
        TopicKind.AVAILABILITY: Delivery(qos=1, retain=True),
        TopicKind.TELEMETRY: Delivery(qos=1, retain=False),
        TopicKind.STATE: Delivery(qos=1, retain=True),
        TopicKind.EVENTS: Delivery(qos=1, retain=False),
        TopicKind.RAW: Delivery(qos=0, retain=False),
        TopicKind.COMMAND: Delivery(qos=1, retain=False),
        TopicKind.REPLY: Delivery(qos=1, retain=False),
        TopicKind.DISCOVERY: Delivery(qos=1, retain=True),
    }
)


def validate_wearer(wearer: str) -> str:
    """``wearer`` if it is a valid wearer id, else :class:`TopicError`."""
    if not isinstance(wearer, str) or not WEARER_PATTERN.fullmatch(wearer):
        raise TopicError(
            f"bad wearer id {wearer!r}: use 1-32 of a-z, 0-9, '_', '-', starting with a-z or 0-9"
        )
    return wearer


def validate_sensor(sensor: str | Role) -> Role:
    """The :class:`Role` named by ``sensor`` (``lumbar``, ``pelvis``), else :class:`TopicError`."""
    try:
        return Role(sensor)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise TopicError(f"bad sensor {sensor!r}: expected one of {names}") from None


def validate_prefix(prefix: str) -> str:
    """``prefix`` if it can start a topic name: non-empty levels, no wildcards, no ``$``."""
    if not isinstance(prefix, str) or not prefix:
        raise TopicError("the topic prefix must not be empty")
    if prefix.startswith("$") or any(c in prefix for c in "+#\x00"):
        raise TopicError(f"bad topic prefix {prefix!r}: no '$' start, '+', '#' or NUL")
    if any(not level for level in prefix.split("/")):
        raise TopicError(f"bad topic prefix {prefix!r}: empty topic level")
    return prefix


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one wearer: ``Topics("alice").state(Role.LUMBAR)``.

    Raises:
        TopicError: on construction, for a bad wearer id or prefix.
    """

    wearer: str
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        validate_wearer(self.wearer)
        validate_prefix(self.prefix)

    @property
    def base(self) -> str:
        """``{prefix}/v1/{wearer}``: every topic of the wearer is below it."""
        return f"{self.prefix}/{SCHEME_VERSION}/{self.wearer}"

    @property
    def availability(self) -> str:
        return f"{self.base}/{TopicKind.AVAILABILITY}"

    @property
    def events(self) -> str:
        return f"{self.base}/{TopicKind.EVENTS}"

    @property
    def command(self) -> str:
        return f"{self.base}/{TopicKind.COMMAND}"

    @property
    def reply(self) -> str:
        """The reply topic for MQTT 3.1.1 (MQTT 5 replies go to the request's response topic)."""
        return f"{self.base}/{TopicKind.REPLY}"

    def telemetry(self, sensor: str | Role) -> str:
        return f"{self.base}/{validate_sensor(sensor)}/{TopicKind.TELEMETRY}"

    def state(self, sensor: str | Role) -> str:
        return f"{self.base}/{validate_sensor(sensor)}/{TopicKind.STATE}"

    def raw(self, sensor: str | Role) -> str:
        return f"{self.base}/{validate_sensor(sensor)}/{TopicKind.RAW}"

    def topic(self, kind: TopicKind, sensor: str | Role | None = None) -> str:
        """The topic of ``kind`` (with ``sensor`` for the per-sensor kinds)."""
        if kind is TopicKind.DISCOVERY:
            raise TopicError("discovery topics are built by sensor_hub.mqtt.discovery")
        if kind.per_sensor:
            if sensor is None:
                raise TopicError(f"a {kind} topic needs a sensor")
            return f"{self.base}/{validate_sensor(sensor)}/{kind}"
        if sensor is not None:
            raise TopicError(f"a {kind} topic has no sensor level")
        return f"{self.base}/{kind}"

    @property
    def all_topics(self) -> str:
        """The filter for everything of this wearer (``{base}/#``)."""
        return f"{self.base}/#"


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What an incoming topic names."""

    wearer: str
    kind: TopicKind
    sensor: Role | None = None


def parse_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> TopicInfo:
    """Wearer, kind and sensor of a topic of the scheme under ``prefix``.

    Raises:
        TopicError: for a topic outside the prefix, of another version, or malformed.
    """
    head = f"{validate_prefix(prefix)}/"
    if not isinstance(topic, str) or not topic.startswith(head):
        raise TopicError(f"topic {topic!r} is not under {prefix!r}")
    levels = topic[len(head) :].split("/")
    if levels[0] != SCHEME_VERSION:
        raise TopicError(f"topic {topic!r}: unsupported scheme version {levels[0]!r}")
    if len(levels) < 3:
        raise TopicError(f"topic {topic!r}: too short")
    wearer, rest = levels[1], levels[2:]
    if not WEARER_PATTERN.fullmatch(wearer):
        raise TopicError(f"topic {topic!r}: bad wearer id {wearer!r}")
    tail = "/".join(rest)
    if tail in _WEARER_KINDS:
        return TopicInfo(wearer, _WEARER_KINDS[tail])
    if len(rest) == 2 and rest[1] in _SENSOR_KINDS:
        try:
            sensor = Role(rest[0])
        except ValueError:
            raise TopicError(f"topic {topic!r}: unknown sensor {rest[0]!r}") from None
        return TopicInfo(wearer, _SENSOR_KINDS[rest[1]], sensor)
    raise TopicError(f"topic {topic!r}: unknown topic {tail!r}")


_WEARER_KINDS: Final = {
    k.value: k for k in TopicKind if not k.per_sensor and k is not TopicKind.DISCOVERY
}
_SENSOR_KINDS: Final = {k.value: k for k in TopicKind if k.per_sensor}


def subscription(
    prefix: str = DEFAULT_PREFIX, *, wearer: str | None = None, share_group: str | None = None
) -> str:
    """The recorder's filter: every wearer's topics (``{prefix}/v1/+/#``) or one wearer's.

    ``share_group`` makes it an MQTT 5 shared subscription (``$share/{group}/...``): the broker
    hands each message to one recorder of the group, so several recorders split the load.
    """
    who = "+" if wearer is None else validate_wearer(wearer)
    filt = f"{validate_prefix(prefix)}/{SCHEME_VERSION}/{who}/#"
    if share_group is None:
        return filt
    if not share_group or any(c in share_group for c in "/+#\x00"):
        raise TopicError(f"bad shared-subscription group {share_group!r}")
    return f"$share/{share_group}/{filt}"
