"""The recorder: every wearer's MQTT messages in, points out to the stores.

:class:`Recorder` subscribes to ``posture/v1/+/#`` (or, with ``share_group``, to the MQTT 5
shared subscription ``$share/{group}/posture/v1/+/#`` so that several recorders split the
load), turns each message into points through the one schema module
(:func:`sensor_hub.schema.points_for`) and hands them to its writers
(:class:`~sensor_hub.recorder.influx.InfluxWriter`,
:class:`~sensor_hub.recorder.sqlite_store.SqliteStore`).

A message that is not ours or cannot be read (a foreign topic, bad JSON, a wearer that does
not match its topic) is counted by reason, logged with its topic and first bytes, and dropped:
the recorder never stops on input.  Points carry the message's own timestamp, so a message
delivered twice (QoS 1 after a reconnect, a replayed outbox, a restarted recorder) overwrites
itself in both stores.

Threads: messages arrive on the MQTT adapter's network thread; ``write`` on both writers only
queues or commits locally, so the handler stays short.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sensor_hub.mqtt.client import InboundMessage, MessageHandler
from sensor_hub.mqtt.messages import PayloadError
from sensor_hub.mqtt.payloads import decode_message
from sensor_hub.mqtt.topics import DEFAULT_PREFIX, TopicError, subscription
from sensor_hub.recorder.point import PointError
from sensor_hub.recorder.writer import PointWriter
from sensor_hub.schema import points_for

__all__ = ["Recorder", "RecorderStats", "Subscriber"]

log = logging.getLogger(__name__)

#: Bytes of a bad payload shown in the log.
_SHOWN_BYTES = 80


class Subscriber(Protocol):
    """What the recorder needs of an MQTT client (:class:`~sensor_hub.mqtt.client.MqttClient`)."""

    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None: ...


@dataclass(frozen=True, slots=True)
class RecorderStats:
    messages: int
    points: int
    ignored: int  # commands, replies, raw blocks, availability: nothing to store
    rejected: dict[str, int]  # reason -> count


class Recorder:
    """Subscribe, convert, write (see the module docstring).

    Args:
        client: the MQTT client (subscriptions survive its reconnects).
        writers: where points go (each gets every point).
        prefix: the topic prefix (default ``posture``).
        share_group: MQTT 5 shared-subscription group; ``None``: an ordinary subscription.
        wearer: record only this wearer (default: all).
    """

    def __init__(
        self,
        client: Subscriber,
        writers: Sequence[PointWriter],
        *,
        prefix: str = DEFAULT_PREFIX,
        share_group: str | None = None,
        wearer: str | None = None,
    ) -> None:
        if not writers:
            raise ValueError("the recorder needs at least one writer")
        self.client = client
        self.writers = tuple(writers)
        self.prefix = prefix
        self.topic_filter = subscription(prefix, wearer=wearer, share_group=share_group)
        self._lock = threading.Lock()
        self._messages = 0
        self._points = 0
        self._ignored = 0
        self._rejected: Counter[str] = Counter()

    def start(self) -> None:
        """Subscribe (QoS 1: events and state must not be lost)."""
        self.client.subscribe(self.topic_filter, 1, self.handle)
        log.info("recording %s", self.topic_filter)

    @property
    def stats(self) -> RecorderStats:
        with self._lock:
            return RecorderStats(self._messages, self._points, self._ignored, dict(self._rejected))

    def flush(self, timeout_s: float | None = None) -> bool:
        """Flush every writer; False if one timed out."""
        results = [writer.flush(timeout_s) for writer in self.writers]  # flush them all
        return all(results)

    def close(self) -> None:
        for writer in self.writers:
            writer.close()

    def handle(self, message: InboundMessage) -> None:
        """One MQTT message: to points, to every writer; bad input is counted and dropped."""
        try:
            decoded = decode_message(message.topic, message.payload, self.prefix)
            points = [] if decoded is None else points_for(decoded)
        except (TopicError, PayloadError, PointError) as exc:
            reason = type(exc).__name__
            with self._lock:
                self._messages += 1
                self._rejected[reason] += 1
            log.warning(
                "dropped a message on %s (%s: %s): %r",
                message.topic,
                reason,
                exc,
                message.payload[:_SHOWN_BYTES],
            )
            return
        with self._lock:
            self._messages += 1
            if not points:
                self._ignored += 1
            self._points += len(points)
        if points:
            for writer in self.writers:
                writer.write(points)
