"""A paho-mqtt client driven step by step, for tests that check what a broker delivers.

Each call blocks until the broker has answered (CONNACK, SUBACK, PUBACK) or a timeout passes,
so a test reads as a sequence: connect, subscribe, publish, then ``wait_for`` a message.  The
security tests use it to prove that a message was *not* delivered: after the forbidden publish
has been acknowledged, a sentinel published later arrives, and mosquitto (one thread, one
ordered queue per client, QoS 1) would have delivered the forbidden message before it.
"""

from __future__ import annotations

import socket
import ssl
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

__all__ = ["PROTOCOLS", "Probe", "ProbeError", "Received", "TlsOptions"]

#: The protocol versions the tests run under: MQTT 5 and 3.1.1.
PROTOCOLS = {"v5": MQTTProtocolVersion.MQTTv5, "v311": MQTTProtocolVersion.MQTTv311}

TIMEOUT_S = 5.0


class ProbeError(RuntimeError):
    """The broker did not answer in time, or refused."""


@dataclass(frozen=True)
class TlsOptions:
    ca_file: Path
    certfile: Path | None = None
    keyfile: Path | None = None


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int


def _close_sockets_of(exc: BaseException) -> None:
    """Close the socket paho leaves open when a TLS handshake fails (paho-mqtt 2.1/2.2).

    ``Client._ssl_wrap_socket`` lets the handshake's exception escape without closing the
    socket, and its ``ResourceWarning`` would turn into an error under the suite's
    ``filterwarnings = error``.  The socket is still referenced from the traceback's frames.
    """
    tb = exc.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            if isinstance(value, socket.socket):
                value.close()
        tb = tb.tb_next


class Probe:
    """One MQTT client connection: ``connect()`` returns the CONNACK reason code."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
        tls: TlsOptions | None = None,
        client_id: str | None = None,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.protocol = protocol
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"probe-{uuid.uuid4().hex[:12]}",
            protocol=protocol,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            self.client.tls_set(
                ca_certs=str(tls.ca_file),
                certfile=None if tls.certfile is None else str(tls.certfile),
                keyfile=None if tls.keyfile is None else str(tls.keyfile),
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1)
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._connack: ReasonCode | None = None
        self._disconnected = threading.Event()
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._pubacks: dict[int, ReasonCode] = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish

    # --- paho callbacks (network thread) ---
    def _on_connect(
        self, _c: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        if rc.is_failure:
            # Refused: stop here (paho would otherwise retry, and loop_stop() wait for it).
            self.client.disconnect()
        with self._cond:
            self._connack = rc
            self._cond.notify_all()

    def _on_disconnect(
        self, _c: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Properties | None
    ) -> None:
        with self._cond:
            if self._connack is None:
                self._connack = rc
            self._disconnected.set()
            self._cond.notify_all()

    def _on_subscribe(
        self, _c: mqtt.Client, _u: Any, mid: int, rcs: list[ReasonCode], _p: Properties | None
    ) -> None:
        with self._cond:
            self._subacks[mid] = list(rcs)
            self._cond.notify_all()

    def _on_publish(
        self, _c: mqtt.Client, _u: Any, mid: int, rc: ReasonCode, _p: Properties | None
    ) -> None:
        with self._cond:
            self._pubacks[mid] = rc
            self._cond.notify_all()

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), msg.retain, msg.qos))
            self._cond.notify_all()

    # --- steps ---
    def connect(self) -> ReasonCode:
        """Connect and wait for the CONNACK (or the refusal); return its reason code.

        TLS handshake failures (unknown CA, wrong host name) raise ``ssl.SSLError`` here.
        """
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except (ssl.SSLError, OSError) as exc:
            _close_sockets_of(exc)
            raise
        sock = self.client.socket()
        if sock is not None:  # small packets go out at once, not after the peer's delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.loop_start()
        with self._cond:
            if not self._cond.wait_for(lambda: self._connack is not None, TIMEOUT_S):
                msg = f"no CONNACK from {self.host}:{self.port}"
                raise ProbeError(msg)
            assert self._connack is not None
            return self._connack

    def connected(self) -> Probe:
        """``connect()`` that must succeed."""
        rc = self.connect()
        if rc.is_failure:
            self.close()
            msg = f"connection refused: {rc}"
            raise ProbeError(msg)
        return self

    def subscribe(self, *topics: str, qos: int = 1) -> list[ReasonCode]:
        """Subscribe and wait for the SUBACK; return its reason codes (one per topic)."""
        result, mid = self.client.subscribe([(t, qos) for t in topics])
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            msg = f"subscribe failed: {mqtt.error_string(result)}"
            raise ProbeError(msg)
        with self._cond:
            if not self._cond.wait_for(lambda: mid in self._subacks, TIMEOUT_S):
                msg = f"no SUBACK for {topics}"
                raise ProbeError(msg)
            return self._subacks[mid]

    def publish(
        self, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False
    ) -> ReasonCode | None:
        """Publish and, at QoS 1, wait until the broker has acknowledged (i.e. processed) it.

        Returns the PUBACK's reason code at QoS 1 (MQTT 3.1.1: always success), else None.
        """
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(TIMEOUT_S)
        if qos == 0:
            return None
        with self._cond:
            if not self._cond.wait_for(lambda: info.mid in self._pubacks, TIMEOUT_S):
                msg = f"no PUBACK for {topic}"
                raise ProbeError(msg)
            return self._pubacks.pop(info.mid)

    def wait_for(self, topic: str, payload: bytes | str, timeout_s: float = TIMEOUT_S) -> None:
        """Block until a message with this topic and payload has arrived."""
        want = payload.encode() if isinstance(payload, str) else payload
        with self._cond:
            ok = self._cond.wait_for(
                lambda: any(m.topic == topic and m.payload == want for m in self.messages),
                timeout_s,
            )
        if not ok:
            msg = f"{topic!r} {want!r} not received; got {self.topics()}"
            raise ProbeError(msg)

    def topics(self) -> list[str]:
        with self._cond:
            return [m.topic for m in self.messages]

    def payloads(self, topic: str) -> list[bytes]:
        with self._cond:
            return [m.payload for m in self.messages if m.topic == topic]

    def was_disconnected(self) -> bool:
        return self._disconnected.is_set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
