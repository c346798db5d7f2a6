"""The embedded amqtt broker end to end with our paho adapter (which falls back to 3.1.1)."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path

import pytest

from sensor_hub.mqtt.broker import EmbeddedBroker, EmbeddedBrokerError
from sensor_hub.mqtt.client import InboundMessage, MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol

TIMEOUT_S = 20.0


class Inbox:
    """Messages a handler received, with an event-driven wait."""

    def __init__(self) -> None:
        self.messages: list[InboundMessage] = []
        self._cond = threading.Condition()

    def __call__(self, message: InboundMessage) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def wait_for(self, n: int, timeout_s: float = TIMEOUT_S) -> list[InboundMessage]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= n, timeout_s), self.messages
            return list(self.messages)


def _round_trip(url: str, tmp_path: Path) -> None:
    pub_cfg = MqttConfig(url=url, client_id="pub", outbox_path=tmp_path / "pub.db")
    sub_cfg = MqttConfig(url=url, client_id="sub")
    inbox = Inbox()
    with MqttClient(pub_cfg) as pub, MqttClient(sub_cfg) as sub:
        assert pub.wait_connected(TIMEOUT_S)
        pub.publish("demo/state", b"retained-state", qos=1, retain=True)
        assert pub.flush(TIMEOUT_S)
        sub.subscribe("demo/#", 1, inbox)
        assert sub.wait_subscribed(TIMEOUT_S)
        assert inbox.wait_for(1)[0].payload == b"retained-state"
        assert inbox.messages[0].retain
        pub.publish("demo/telemetry", b"t0", qos=0)
        pub.publish("demo/events", b"e0", qos=1)
        got = inbox.wait_for(3)
        assert {(m.topic, m.payload) for m in got[1:]} == {
            ("demo/telemetry", b"t0"),
            ("demo/events", b"e0"),
        }
        assert pub.stats.protocol is MqttProtocol.V311  # fell back from 5
        assert sub.stats.protocol is MqttProtocol.V311


def test_embedded_broker_round_trip_with_fallback(tmp_path: Path) -> None:
    async def main() -> None:
        async with EmbeddedBroker(port=None) as broker:
            assert broker.url.startswith("mqtt://127.0.0.1:")
            await asyncio.to_thread(_round_trip, broker.url, tmp_path)
        assert not broker.running

    asyncio.run(main())


def test_busy_port_falls_back_to_a_free_one() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        async def main() -> None:
            async with EmbeddedBroker(port=port) as broker:
                assert broker.port != port
                with socket.create_connection(("127.0.0.1", broker.port), timeout=5):
                    pass

        asyncio.run(main())


def test_not_running_has_no_url() -> None:
    with pytest.raises(EmbeddedBrokerError):
        _ = EmbeddedBroker().url
