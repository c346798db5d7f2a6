"""MQTT in, browsers out: the dashboard's live feed and its commands.

:class:`LiveFeed` subscribes to one wearer's telemetry, state, events, availability and command
replies through the MQTT adapter, checks every payload with the MQTT layer's own parsers
(:func:`~sensor_hub.mqtt.payloads.decode_message`; a bad one is counted and dropped), keeps a
snapshot (the newest state of each sensor, the last few minutes of telemetry, the open prompt,
recent events) and fans each message out to every connected browser through a bounded queue
(a slow browser loses its oldest updates, never blocks the others).

Commands from the browser become the hub's real commands: a JSON object checked in full by
:func:`~sensor_hub.mqtt.commands.parse_command` (so nothing the hub would refuse is sent),
given an ``id``, published on the wearer's command topic; the hub's answer on the reply topic
is matched by that ``id``.

Everything here runs in the event loop; paho's thread only hands messages over
(:func:`~sensor_hub.mqtt.client.call_in_loop`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sensor_hub.mqtt.client import InboundMessage, MqttClient, call_in_loop
from sensor_hub.mqtt.commands import MAX_COMMAND_BYTES, CommandError, parse_command
from sensor_hub.mqtt.messages import (
    Availability,
    EventType,
    PayloadError,
    PromptMessage,
    SensorState,
    Telemetry,
)
from sensor_hub.mqtt.payloads import decode_message, dump_json, load_json
from sensor_hub.mqtt.topics import TOPIC_POLICY, TopicError, TopicKind, Topics

__all__ = ["CommandRefusedError", "JsonObject", "LiveFeed", "NotConnectedError"]

_log = logging.getLogger(__name__)

JsonObject = dict[str, object]

#: Telemetry kept for a browser that connects (the live timeline's span).
HISTORY_S: Final = 300.0
_MAX_TELEMETRY: Final = 20 * 300  # per sensor, whatever the rate
_MAX_EVENTS: Final = 50
_QUEUE: Final = 1000  # updates waiting for one browser before the oldest are dropped
#: How long a command waits for the hub's reply before it answers without one.
REPLY_WAIT_S: Final = 5.0


class CommandRefusedError(ValueError):
    """A command the hub would refuse (the message says why); nothing was sent."""


class NotConnectedError(RuntimeError):
    """The dashboard is not connected to the broker: a command cannot be sent now."""


@dataclass(frozen=True, slots=True)
class _Subscription:
    topic_filter: str
    kind: TopicKind


class LiveFeed:
    """One wearer's live data for the browsers, and the way their commands go to the hub."""

    def __init__(
        self,
        client: MqttClient,
        topics: Topics,
        *,
        history_s: float = HISTORY_S,
        reply_wait_s: float = REPLY_WAIT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.topics = topics
        self.history_s = history_s
        self.reply_wait_s = reply_wait_s
        self._clock = clock
        self._states: dict[str, JsonObject] = {}
        self._telemetry: dict[str, deque[JsonObject]] = {}
        self._events: deque[JsonObject] = deque(maxlen=_MAX_EVENTS)
        self._prompt: JsonObject | None = None
        self._online: bool | None = None
        self._queues: set[asyncio.Queue[str]] = set()
        self._replies: dict[str, asyncio.Future[JsonObject]] = {}
        self._ids = itertools.count(1)
        self._session = secrets.token_hex(4)
        self.messages = 0
        self.rejected = 0

    # -- MQTT side ----------------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Subscribe (now and after every reconnect); messages are handled in ``loop``."""
        base = self.topics.base
        subs = (
            _Subscription(f"{base}/+/{TopicKind.TELEMETRY}", TopicKind.TELEMETRY),
            _Subscription(f"{base}/+/{TopicKind.STATE}", TopicKind.STATE),
            _Subscription(self.topics.events, TopicKind.EVENTS),
            _Subscription(self.topics.availability, TopicKind.AVAILABILITY),
            _Subscription(self.topics.reply, TopicKind.REPLY),
        )
        for sub in subs:
            qos = TOPIC_POLICY[sub.kind].qos
            self.client.subscribe(sub.topic_filter, qos, call_in_loop(loop, self.on_message))

    def on_message(self, message: InboundMessage) -> None:
        """Take one message (in the event loop): check it, remember it, fan it out."""
        try:
            if message.topic == self.topics.reply:
                self._on_reply(message.payload)
                return
            decoded = decode_message(message.topic, message.payload, self.topics.prefix)
        except (PayloadError, TopicError) as exc:
            self.rejected += 1
            _log.debug("dashboard dropped a message on %s: %s", message.topic, exc)
            return
        if decoded is None:
            return
        self.messages += 1
        if isinstance(decoded, Availability):
            self._online = decoded.online
            self._publish({"type": "availability", "online": decoded.online})
            return
        data = load_json(message.payload, "message")
        if isinstance(decoded, Telemetry):
            self._add_telemetry(decoded.sensor.value, data)
            self._publish({"type": "telemetry", "data": data})
        elif isinstance(decoded, SensorState):
            self._states[decoded.sensor.value] = data
            self._publish({"type": "state", "data": data})
        else:
            self._on_event(data, decoded)

    def _add_telemetry(self, sensor: str, data: JsonObject) -> None:
        buffer = self._telemetry.setdefault(sensor, deque(maxlen=_MAX_TELEMETRY))
        buffer.append(data)
        newest = data.get("ts")
        if isinstance(newest, int | float):
            while buffer and _ts(buffer[0]) < newest - self.history_s:
                buffer.popleft()

    def _on_event(self, data: JsonObject, decoded: object) -> None:
        self._events.append(data)
        if isinstance(decoded, PromptMessage):
            self._prompt = data
        elif data.get("event_type") == EventType.PROMPT_ANSWERED.value:
            self._close_prompt(data.get("prompt_id"))
        self._publish({"type": "event", "data": data})

    def _close_prompt(self, prompt_id: object) -> None:
        if self._prompt is not None and self._prompt.get("prompt_id") == prompt_id:
            self._prompt = None

    def _on_reply(self, payload: bytes) -> None:
        data = load_json(payload, "reply")
        request_id = data.get("id")
        self._publish({"type": "reply", "data": data})
        if isinstance(request_id, str):
            future = self._replies.pop(request_id, None)
            if future is not None and not future.done():
                future.set_result(data)

    # -- browser side -------------------------------------------------------------------------

    def snapshot(self) -> JsonObject:
        """Everything a browser needs to draw the live view at once."""
        return {
            "type": "snapshot",
            "wearer": self.topics.wearer,
            "server_time": self._clock(),
            "mqtt_connected": self.client.connected,
            "online": self._online,
            "states": dict(self._states),
            "telemetry": {k: list(v) for k, v in self._telemetry.items()},
            "events": list(self._events),
            "prompt": self._prompt,
        }

    def listen(self) -> asyncio.Queue[str]:
        """A queue of JSON updates for one browser (call :meth:`unlisten` when it leaves)."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=_QUEUE)
        self._queues.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[str]) -> None:
        self._queues.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def _publish(self, update: JsonObject) -> None:
        text = json.dumps(update, separators=(",", ":"))
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()  # drop the oldest: the browser is behind anyway
            queue.put_nowait(text)

    # -- commands -----------------------------------------------------------------------------

    async def command(self, request: JsonObject) -> JsonObject:
        """Send the command ``request`` (fields as in docs/mqtt.md, without ``v`` and ``id``);
        return ``{"id", "sent": true, "reply": <the hub's reply or null>}``.

        Raises:
            CommandRefusedError: the hub would refuse it (nothing was sent).
            NotConnectedError: the dashboard has no broker connection.
        """
        request_id = f"dash-{self._session}-{next(self._ids)}"
        body = {k: v for k, v in request.items() if k not in {"v", "id"}}
        payload = dump_json({"v": 1, "id": request_id, **body})
        if len(payload) > MAX_COMMAND_BYTES:
            raise CommandRefusedError(f"command larger than {MAX_COMMAND_BYTES} bytes")
        try:
            parse_command(payload)
        except CommandError as exc:
            raise CommandRefusedError(f"{exc.code.value}: {exc.message}") from None
        if not self.client.connected:
            raise NotConnectedError("not connected to the MQTT broker; try again in a moment")
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        qos = TOPIC_POLICY[TopicKind.COMMAND].qos
        self.client.publish(self.topics.command, payload, qos=qos)
        if request.get("command") == "prompt_ack":
            self._close_prompt(request.get("prompt_id"))
        try:
            reply: JsonObject | None = await asyncio.wait_for(future, self.reply_wait_s)
        except TimeoutError:
            reply = None
        finally:
            self._replies.pop(request_id, None)
        return {"id": request_id, "sent": True, "reply": reply}


def _ts(data: JsonObject) -> float:
    value = data.get("ts")
    return float(value) if isinstance(value, int | float) else 0.0
