"""The paho-mqtt 2.x adapter: the only module of the hub that imports paho.

What it adds to paho (all explicit, all tested against a real mosquitto):

- **MQTT 5 with a fallback to 3.1.1.**  With ``protocol=auto`` the first CONNECT is MQTT 5; a
  broker that answers CONNACK "unsupported protocol version" (return code 1 in 3.1.1, reason 132
  in 5; amqtt does this) gets a new paho client speaking 3.1.1 for the rest of this adapter's
  life.  A broker that just closes the socket is retried as 5 (no guessing from a dropped
  connection).
- **Persistent session**: a stable client id, ``clean_start=False`` plus a session expiry in 5,
  ``clean_session=False`` in 3.1.1; subscriptions are made again after every connect anyway
  (in 5 with "retained only if new subscription", so a kept session gets no duplicates).
- **Availability**: a retained last will (``offline``) and a retained ``online`` after every
  connect (the will may have fired during a network blip); ``offline`` again on a clean stop.
- **Reconnect with backoff**: paho's own loop (``reconnect_delay_set(min, max)``: the delay
  starts at min, doubles per failed attempt up to max, resets on a successful CONNACK); our log
  lines mirror that schedule ("reconnecting in N s").  Max in-flight is set before connect.
- **Outbox**: with an :class:`~sensor_hub.mqtt.outbox.Outbox` every publish is a row first;
  the supervisor thread leases rows in order while connected, at most ``max_inflight`` QoS >= 1
  at a time.  A QoS 1 row is deleted on its PUBACK.  A QoS 0 row written to the socket is only
  deleted when a later PUBACK on the same connection proves the broker read it (with an
  availability topic the adapter re-publishes ``online`` as that marker, at most every 1 s,
  when no other QoS 1 is in flight); a disconnect re-sends the unconfirmed ones.  So telemetry
  written into a dying connection is not lost (at-least-once; consumers overwrite by identity).
  After a reconnect nothing new is handed to paho until the QoS >= 1 messages paho re-sends
  are acknowledged, so order holds per topic.
- **What no client can fix** (measured against mosquitto 2.0): mosquitto acknowledges a PUBLISH
  before it forwards or saves it, so a SIGKILL can lose the few messages it acknowledged in
  that instant; and on any stop it drops the QoS 0 messages it holds for connected
  subscribers.  Zero loss across a broker restart needs QoS 1 end to end.
- **Replies**: :meth:`MqttClient.reply` answers a request on its MQTT 5 response topic with its
  correlation data, or on the given reply topic under 3.1.1.

Threads and asyncio: paho's network thread runs callbacks (message handlers included: keep them
short or hand off with :func:`call_in_loop`); one supervisor thread feeds the outbox and swaps
the paho client on a protocol fallback.  Every public method is thread-safe and never waits for
the network, so asyncio code may call ``publish``/``subscribe``/``reply`` directly; the blocking
waits (``wait_connected``, ``wait_subscribed``, ``flush``, ``stop``) belong in
``asyncio.to_thread``.  Logs never contain the password (nor the username).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from sensor_hub.mqtt.outbox import Outbox, OutboxStats

__all__ = [
    "Availability",
    "ClientStats",
    "InboundMessage",
    "MessageHandler",
    "MqttClient",
    "MqttClientError",
    "call_in_loop",
    "topic_matches",
]

_log = logging.getLogger(__name__)

_UNSUPPORTED_PROTOCOL = 132  # CONNACK reason (paho maps the 3.1.1 return code 1 to it)
_DIRECT = -1  # "row id" of a publish that bypassed the outbox
# amqtt (3.1.1 only) neither answers nor closes on an MQTT 5 CONNECT with properties: it reads
# them as the client id length and waits for bytes that never come.
_V5_CONNACK_TIMEOUT_S = 5.0
_MARKER_EVERY_S = 1.0


class _Pending(NamedTuple):
    """A message paho holds: its outbox row (or _DIRECT), QoS, topic and hand-out order."""

    row_id: int
    qos: int
    topic: str
    seq: int


class MqttClientError(ValueError):
    """A bad argument to the adapter (topic, QoS, TLS file), raised before anything is sent."""


@dataclass(frozen=True, slots=True)
class Availability:
    """Retained availability: ``online`` after each connect, ``offline`` as will and on stop."""

    topic: str
    online: bytes = b"online"
    offline: bytes = b"offline"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    response_topic: str | None = None  # MQTT 5 request/response
    correlation_data: bytes | None = None


MessageHandler = Callable[[InboundMessage], None]


@dataclass(frozen=True, slots=True)
class ClientStats:
    connected: bool
    protocol: MqttProtocol | None  # negotiated: V5 or V311
    connects: int
    disconnects: int
    acked: int  # on_publish from paho: PUBACK (QoS 1) or written (QoS 0)
    rejected: int  # PUBACK with a failure reason (MQTT 5), not retried
    dropped_offline: int  # QoS 0 without an outbox while disconnected
    outbox: OutboxStats | None


def call_in_loop(loop: asyncio.AbstractEventLoop, handler: MessageHandler) -> MessageHandler:
    """A handler that runs ``handler`` in ``loop`` (thread-safe hand-off from paho's thread)."""

    def hand_off(message: InboundMessage) -> None:
        loop.call_soon_threadsafe(handler, message)

    return hand_off


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching; a shared subscription ``$share/group/f`` matches like ``f``."""
    if topic_filter.startswith("$share/"):
        topic_filter = topic_filter.split("/", 2)[2]
    return paho.topic_matches_sub(topic_filter, topic)


def _check_topic(topic: str) -> None:
    if not topic or "+" in topic or "#" in topic or "\0" in topic:
        raise MqttClientError(f"bad topic to publish to: {topic!r}")
    if len(topic.encode()) > 65535:
        raise MqttClientError("topic longer than 65535 bytes")


def _check_filter(topic_filter: str) -> None:
    plain = topic_filter
    if topic_filter.startswith("$share/"):
        parts = topic_filter.split("/", 2)
        if len(parts) < 3 or not parts[1] or not parts[2] or "+" in parts[1] or "#" in parts[1]:
            raise MqttClientError(f"bad shared subscription {topic_filter!r}")
        plain = parts[2]
    levels = plain.split("/")
    for i, level in enumerate(levels):
        if ("#" in level and (level != "#" or i != len(levels) - 1)) or (
            "+" in level and level != "+"
        ):
            raise MqttClientError(f"bad topic filter {topic_filter!r}")
    if not plain or "\0" in plain:
        raise MqttClientError(f"bad topic filter {topic_filter!r}")


def _check_qos(qos: int) -> None:
    if qos not in {0, 1, 2}:
        raise MqttClientError(f"QoS must be 0, 1 or 2, not {qos!r}")


def _ssl_context(config: MqttConfig) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        if config.cert_file is not None:
            ctx.load_cert_chain(config.cert_file, config.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise MqttClientError(f"mqtt TLS files: {exc}") from exc
    if config.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class MqttClient:
    """A publishing/subscribing MQTT client with fallback, persistent session and outbox."""

    def __init__(
        self,
        config: MqttConfig,
        *,
        availability: Availability | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.config = config
        self.host, self.port = config.host, config.port  # raises without a url
        self._availability = availability
        self._ssl = _ssl_context(config) if config.tls else None
        self._own_outbox = outbox is None and config.outbox_path is not None
        if outbox is None and config.outbox_path is not None:
            outbox = Outbox(
                config.outbox_path,
                max_messages=config.outbox_max_messages,
                max_bytes=config.outbox_max_bytes,
            )
        self.outbox = outbox
        self._cond = threading.Condition()
        self._speaking = (
            MqttProtocol.V311 if config.protocol is MqttProtocol.V311 else MqttProtocol.V5
        )
        self._paho: paho.Client | None = None
        self._retired: paho.Client | None = None
        self._thread: threading.Thread | None = None
        self._connected = False
        self._negotiated: MqttProtocol | None = None
        self._stopping = False
        self._rebuild = False
        self._dirty = True  # the outbox may hold rows not leased yet
        self._barrier = False  # wait for paho's re-sent QoS>=1 before handing new rows
        self._mids: dict[int, _Pending] = {}
        self._hand_lock = threading.Lock()
        self._seq = 0
        self._confirm_qos0 = availability is not None and self.outbox is not None
        self._unconfirmed: deque[tuple[int, int]] = deque()  # (seq, row id) of QoS 0 written
        self._last_marker_s = 0.0
        self._flushing = 0  # threads inside flush()
        self._to_delete: list[int] = []  # acknowledged rows, deleted by the supervisor
        self._early: set[int] = set()  # on_publish seen before publish() returned the mid
        self._subs: dict[str, tuple[int, MessageHandler]] = {}
        self._pending_subs: dict[int, str] = {}
        self._early_subacks: set[int] = set()
        self._subscribing = 0  # on_connect re-subscriptions not yet sent
        self._delay_s: int | None = None
        self._attempt_s: float | None = None  # monotonic start of the current connect attempt
        self._v5_ok = False
        self._connects = self._disconnects = self._acked = 0
        self._rejected = self._dropped_offline = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (returns at once; see :meth:`wait_connected`)."""
        if self._thread is not None:
            return
        self._connect_new()
        self._thread = threading.Thread(target=self._supervise, name="mqtt-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Publish ``offline`` (when connected), disconnect cleanly, stop the threads."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            connected = self._connected
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        client = self._paho
        if client is not None:
            if connected and self._availability is not None:
                # its PUBACK also confirms the QoS 0 rows written before it
                avail = self._availability
                self._hand(client, avail.topic, avail.offline, 1, True, None)
            with self._cond:  # let what is in flight finish (what is not stays in the outbox)
                self._cond.wait_for(lambda: not self._mids or not self._connected, timeout_s)
            client.disconnect()
            client.loop_stop()
            self._paho = None
        self._delete_acked()
        if self._own_outbox and self.outbox is not None:
            self.outbox.close()

    def __enter__(self) -> MqttClient:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- public API (thread-safe, non-blocking) ---------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False) -> None:
        """Queue one message (outbox) or hand it to paho (no outbox)."""
        self._send(topic, payload, qos, retain, None)

    def reply(
        self, request: InboundMessage, payload: bytes, *, reply_topic: str, qos: int = 1
    ) -> None:
        """Answer ``request``: its response topic + correlation data (5) or ``reply_topic``."""
        if request.response_topic:
            self._send(request.response_topic, payload, qos, False, request.correlation_data)
        else:
            self._send(reply_topic, payload, qos, False, None)

    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None:
        """Subscribe now (if connected) and again after every reconnect."""
        _check_filter(topic_filter)
        _check_qos(qos)
        with self._cond:
            self._subs[topic_filter] = (qos, handler)
            client = self._paho if self._connected else None
        if client is not None:
            self._send_subscribe(client, [topic_filter])

    def unsubscribe(self, topic_filter: str) -> None:
        with self._cond:
            self._subs.pop(topic_filter, None)
            client = self._paho if self._connected else None
        if client is not None:
            client.unsubscribe(topic_filter)

    def wait_connected(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._connected, timeout_s)

    def wait_subscribed(self, timeout_s: float) -> bool:
        """Connected and every SUBSCRIBE answered (SUBACK)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._connected and not self._pending_subs and not self._subscribing,
                timeout_s,
            )

    def flush(self, timeout_s: float) -> bool:
        """Wait until the outbox is empty and paho has nothing unacknowledged."""
        with self._cond:
            self._flushing += 1  # confirm QoS 0 rows now, not at the next marker interval
            self._cond.notify_all()
            try:
                return self._cond.wait_for(
                    lambda: (
                        not self._mids
                        and not self._unconfirmed
                        and (self.outbox is None or len(self.outbox) == 0)
                    ),
                    timeout_s,
                )
            finally:
                self._flushing -= 1

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def stats(self) -> ClientStats:
        with self._cond:
            return ClientStats(
                connected=self._connected,
                protocol=self._negotiated,
                connects=self._connects,
                disconnects=self._disconnects,
                acked=self._acked,
                rejected=self._rejected,
                dropped_offline=self._dropped_offline,
                outbox=self.outbox.stats if self.outbox is not None else None,
            )

    # -- internals --------------------------------------------------------------------------

    def _send(
        self, topic: str, payload: bytes, qos: int, retain: bool, correlation: bytes | None
    ) -> None:
        _check_topic(topic)
        _check_qos(qos)
        if self.outbox is not None:
            self.outbox.put(topic, bytes(payload), qos, retain, correlation)
            with self._cond:
                self._dirty = True
                self._cond.notify_all()
            return
        client = self._paho
        if client is None or not self._hand(client, topic, payload, qos, retain, correlation):
            with self._cond:
                self._dropped_offline += 1

    def _hand(
        self,
        client: paho.Client,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        correlation: bytes | None,
        row_id: int = _DIRECT,
    ) -> bool:
        """paho.publish; True when paho holds the message (sent, or QoS>=1 queued)."""
        props = None
        if correlation is not None and self._speaking is MqttProtocol.V5:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.CorrelationData = correlation
        with self._hand_lock:  # hand order == packet order == seq order
            self._seq += 1
            pending = _Pending(row_id, qos, topic, self._seq)
            info = client.publish(topic, payload, qos, retain, props)
        kept = info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
            qos > 0 and info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN
        )
        if not kept:
            return False
        with self._cond:
            early = info.mid in self._early
            if early:
                self._early.discard(info.mid)
            else:
                self._mids[info.mid] = pending
        if early:
            self._complete(pending)
        return True

    def _complete(self, done: _Pending) -> None:
        """paho is done with a message: delete its row and the QoS 0 rows it confirms."""
        rows: list[int] = []
        with self._cond:
            self._acked += 1
            if done.qos == 0 and done.row_id != _DIRECT and self._confirm_qos0:
                self._unconfirmed.append((done.seq, done.row_id))  # written, not yet confirmed
                self._cond.notify_all()
                return
            if done.qos > 0:  # the broker read everything this connection sent before it
                while self._unconfirmed and self._unconfirmed[0][0] < done.seq:
                    rows.append(self._unconfirmed.popleft()[1])
            if done.row_id != _DIRECT:
                rows.append(done.row_id)
            self._to_delete.extend(rows)  # the supervisor deletes in batches
            if self._barrier and not self._outbox_qos1_pending():
                self._barrier = False
            self._cond.notify_all()

    def _delete_acked(self) -> None:
        with self._cond:
            rows, self._to_delete = self._to_delete, []
        if rows and self.outbox is not None:
            self.outbox.ack(rows)
            with self._cond:
                self._cond.notify_all()

    def _outbox_qos1_pending(self) -> bool:
        return any(p.qos > 0 and p.row_id != _DIRECT for p in self._mids.values())

    def _marker_due(self) -> bool:
        """QoS 0 rows await confirmation and no QoS>=1 PUBACK is coming (lock held)."""
        return (
            self._connected
            and bool(self._unconfirmed)
            and not any(p.qos > 0 for p in self._mids.values())
            and (self._flushing > 0 or time.monotonic() - self._last_marker_s >= _MARKER_EVERY_S)
        )

    def _supervise(self) -> None:
        """Hand outbox rows to paho in order while connected; rebuild paho on fallback."""
        while True:
            self._delete_acked()
            with self._cond:
                want = 0
                marker = False
                while not self._stopping and not self._rebuild and not self._to_delete:
                    inflight = sum(1 for p in self._mids.values() if p.row_id != _DIRECT)
                    free = self.config.max_inflight - inflight
                    ready = self._connected and not self._barrier and self._dirty
                    if self.outbox is not None and ready and free > 0:
                        want = free
                        break
                    if self._marker_due():
                        marker = True
                        self._last_marker_s = time.monotonic()
                        break
                    if self._connack_overdue():
                        _log.info(
                            "MQTT broker %s:%d did not answer an MQTT 5 CONNECT in %.0f s;"
                            " falling back to 3.1.1",
                            self.host,
                            self.port,
                            _V5_CONNACK_TIMEOUT_S,
                        )
                        self._rebuild = True
                        break
                    self._cond.wait(0.1 if self._unconfirmed else 0.5)
                if self._stopping:
                    return
                rebuild, self._rebuild = self._rebuild, False
                client = self._paho
            if rebuild:
                self._fall_back()
                continue
            if marker and client is not None and self._availability is not None:
                avail = self._availability  # its PUBACK confirms the QoS 0 rows written before
                self._hand(client, avail.topic, avail.online, 1, True, None)
                continue
            if self.outbox is None or client is None or want == 0:
                continue
            batch = self.outbox.lease(want)
            if len(batch) < want:
                with self._cond:
                    self._dirty = False
            for i, msg in enumerate(batch):
                kept = self._hand(
                    client, msg.topic, msg.payload, msg.qos, msg.retain, msg.correlation_data,
                    msg.row_id,
                )  # fmt: skip
                if not kept:  # disconnected meanwhile: lease again after the reconnect
                    self.outbox.release(m.row_id for m in batch[i:])
                    break

    def _connack_overdue(self) -> bool:
        """Auto mode, MQTT 5 never worked here, and a CONNECT is unanswered (lock held)."""
        return (
            self.config.protocol is MqttProtocol.AUTO
            and self._speaking is MqttProtocol.V5
            and not self._v5_ok
            and not self._connected
            and self._attempt_s is not None
            and time.monotonic() - self._attempt_s > _V5_CONNACK_TIMEOUT_S
        )

    def _fall_back(self) -> None:
        old = self._paho
        if old is not None:
            self._retired = old
            old.disconnect()
            old.loop_stop()
        with self._cond:
            self._speaking = MqttProtocol.V311
            self._mids.clear()
            self._early.clear()
            self._unconfirmed.clear()
            self._pending_subs.clear()
            self._early_subacks.clear()
            self._barrier = False
            self._dirty = True
            self._attempt_s = None
        if self.outbox is not None:
            self.outbox.release_all()
        self._connect_new()

    def _connect_new(self) -> paho.Client:
        v5 = self._speaking is MqttProtocol.V5
        cfg = self.config
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=None if v5 else cfg.clean_start,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        )
        client.max_inflight_messages_set(cfg.max_inflight)  # paho: only before connect()
        client.max_queued_messages_set(cfg.outbox_max_messages)
        client.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if self._ssl is not None:
            client.tls_set_context(self._ssl)
            client.tls_insecure_set(cfg.insecure)
        if self._availability is not None:
            client.will_set(self._availability.topic, self._availability.offline, 1, retain=True)
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        if v5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = cfg.session_expiry_s
            client.connect_async(
                self.host, self.port, cfg.keepalive_s, clean_start=cfg.clean_start, properties=props
            )
        else:
            client.connect_async(self.host, self.port, cfg.keepalive_s)
        self._paho = client  # before the loop starts: callbacks check which client they are
        client.loop_start()
        return client

    def _next_delay(self) -> int:
        """paho's reconnect delay schedule (min, doubling, capped), for the log line."""
        cfg = self.config
        delay = cfg.reconnect_min_s if self._delay_s is None else self._delay_s * 2
        self._delay_s = min(delay, cfg.reconnect_max_s)
        return self._delay_s

    def _send_subscribe(self, client: paho.Client, filters: list[str]) -> None:
        for topic_filter in filters:
            with self._cond:
                if topic_filter not in self._subs:
                    continue
                qos = self._subs[topic_filter][0]
            if self._speaking is MqttProtocol.V5:
                opts = SubscribeOptions(
                    qos=qos, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB
                )
                rc, mid = client.subscribe(topic_filter, options=opts)
            else:
                rc, mid = client.subscribe(topic_filter, qos)
            if rc == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
                with self._cond:
                    if mid in self._early_subacks:  # SUBACK beat us here
                        self._early_subacks.discard(mid)
                    else:
                        self._pending_subs[mid] = topic_filter

    # -- paho callbacks (paho's network thread) ---------------------------------------------

    def _on_connect(
        self,
        client: paho.Client,
        _userdata: object,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if client is not self._paho:
            return
        where = f"{self.host}:{self.port}"
        if reason.is_failure:
            auto = self.config.protocol is MqttProtocol.AUTO
            if reason.value == _UNSUPPORTED_PROTOCOL and auto and self._speaking is MqttProtocol.V5:
                _log.info("MQTT broker %s refused MQTT 5; falling back to 3.1.1", where)
                self._retired = client
                client.disconnect()  # ends paho's loop; the supervisor builds a 3.1.1 client
                with self._cond:
                    self._rebuild = True
                    self._cond.notify_all()
                return
            _log.warning("MQTT broker %s refused the connection: %s", where, reason)
            return
        version = "5" if self._speaking is MqttProtocol.V5 else "3.1.1"
        _log.info(
            "MQTT connected to %s (MQTT %s, session present: %s)",
            where,
            version,
            flags.session_present,
        )
        if self._availability is not None:
            self._hand(client, self._availability.topic, self._availability.online, 1, True, None)
        with self._cond:
            self._connected = True
            self._negotiated = self._speaking
            self._v5_ok = self._v5_ok or self._speaking is MqttProtocol.V5
            self._attempt_s = None
            self._connects += 1
            self._delay_s = None
            self._dirty = True
            # a QoS 0 registered after the last disconnect died with that connection
            stale = [mid for mid, p in self._mids.items() if p.qos == 0]
            stale_rows = [self._mids.pop(mid).row_id for mid in stale]
            self._barrier = self._outbox_qos1_pending()
            self._pending_subs.clear()
            self._early_subacks.clear()
            filters = list(self._subs)
            self._subscribing += 1  # wait_subscribed must not pass before these are sent
            self._cond.notify_all()
        if self.outbox is not None and stale_rows:
            self.outbox.release(r for r in stale_rows if r != _DIRECT)
        try:
            self._send_subscribe(client, filters)
        finally:
            with self._cond:
                self._subscribing -= 1
                self._cond.notify_all()

    def _on_pre_connect(self, client: paho.Client, _userdata: object) -> None:
        if client is self._paho:
            with self._cond:
                self._attempt_s = time.monotonic()

    def _on_connect_fail(self, client: paho.Client, _userdata: object) -> None:
        if client is not self._paho:
            return
        with self._cond:
            delay = self._next_delay()
        _log.warning("MQTT connect to %s:%d failed; retrying in %d s", self.host, self.port, delay)

    def _on_disconnect(
        self,
        client: paho.Client,
        _userdata: object,
        _flags: paho.DisconnectFlags,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if client is not self._paho or client is self._retired:
            return
        with self._cond:
            was_connected = self._connected
            self._connected = False
            if was_connected:
                self._disconnects += 1
            lost = [mid for mid, p in self._mids.items() if p.qos == 0]
            rows = [self._mids.pop(mid).row_id for mid in lost]
            rows += [row_id for _seq, row_id in self._unconfirmed]  # re-sent: at-least-once
            self._unconfirmed.clear()
            self._barrier = self._outbox_qos1_pending()
            self._dirty = True
            stopping = self._stopping
            delay = self._next_delay()
            self._cond.notify_all()
        if self.outbox is not None:
            self.outbox.release(r for r in rows if r != _DIRECT)
        if not stopping:
            _log.warning(
                "MQTT disconnected from %s:%d (%s); reconnecting in %d s",
                self.host,
                self.port,
                reason,
                delay,
            )

    def _on_publish(
        self,
        client: paho.Client,
        _userdata: object,
        mid: int,
        reason: ReasonCode,
        _props: Properties | None,
    ) -> None:
        if client is not self._paho:
            return
        with self._cond:
            entry = self._mids.pop(mid, None)
            if entry is None:
                self._early.add(mid)
                return
            if reason.is_failure:
                self._rejected += 1
        if reason.is_failure:
            _log.warning("MQTT broker rejected a publish to %s: %s", entry.topic, reason)
        self._complete(entry)

    def _on_subscribe(
        self,
        client: paho.Client,
        _userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        _props: Properties | None,
    ) -> None:
        if client is not self._paho:
            return
        with self._cond:
            topic_filter = self._pending_subs.pop(mid, None)
            if topic_filter is None:
                self._early_subacks.add(mid)
            self._cond.notify_all()
        for reason in reasons:
            if reason.is_failure:
                _log.warning("MQTT subscription to %s refused: %s", topic_filter, reason)

    def _on_message(self, client: paho.Client, _userdata: object, msg: paho.MQTTMessage) -> None:
        if client is not self._paho:
            return
        props = msg.properties
        response_topic = getattr(props, "ResponseTopic", None) if props is not None else None
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        message = InboundMessage(
            topic=msg.topic,
            payload=bytes(msg.payload),
            qos=msg.qos,
            retain=bool(msg.retain),
            response_topic=response_topic,
            correlation_data=bytes(correlation) if correlation is not None else None,
        )
        with self._cond:
            handlers = [h for f, (_q, h) in self._subs.items() if topic_matches(f, msg.topic)]
        for handler in handlers:
            try:
                handler(message)
            except Exception:  # noqa: BLE001 (a handler bug must not stop paho's thread)
                _log.exception("MQTT message handler failed on %s", msg.topic)
