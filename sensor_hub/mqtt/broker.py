"""The embedded MQTT broker (amqtt, in-process, MQTT 3.1.1 only): the demo needs no server.

Why amqtt: pure Python and asyncio, so ``posture-hub`` can run a broker in its own event loop
when no broker URL is configured.  It speaks MQTT 3.1.1 only: it answers an MQTT 5 CONNECT with
"unsupported protocol version", which is exactly what the adapter's fallback handles.  It binds
to loopback only (no authentication is configured), on the usual 1883 when that is free and on
a free port otherwise; :attr:`EmbeddedBroker.url` says where.  This is the only module that
imports amqtt.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from types import TracebackType
from typing import Any, Final

from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.errors import BrokerError  # type: ignore[import-untyped]

__all__ = ["DEFAULT_PORT", "EmbeddedBroker", "EmbeddedBrokerError"]

_log = logging.getLogger(__name__)

DEFAULT_PORT: Final = 1883
_ATTEMPTS: Final = 5


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not start (no port to bind, amqtt failure)."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class _Broker(Broker):  # type: ignore[misc]
    """amqtt's broker, closing the socket of a connection whose handler failed.

    amqtt 0.12 leaves the transport open when a client goes away during CONNECT (an MQTT 5
    CONNECT it cannot parse, a port probe): the socket leaks and asyncio logs an error.
    """

    async def stream_connected(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
    ) -> None:
        try:
            await super().stream_connected(reader, writer, listener_name)
        except Exception as exc:  # noqa: BLE001 (one client's failure must not reach asyncio)
            _log.debug("embedded broker dropped a connection: %r", exc)
        finally:
            writer.close()


def _amqtt_config(host: str, port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    """An amqtt broker on ``host``; ``port=None`` (or a busy port) picks a free one.

    Use inside a running event loop: ``async with EmbeddedBroker() as broker: broker.url``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = DEFAULT_PORT) -> None:
        self.host = host
        self._wanted = port
        self._port: int | None = None
        self._broker: Any = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedBrokerError("the embedded broker is not running")
        return self._port

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._broker is not None

    async def start(self) -> str:
        """Start listening; the broker URL (``mqtt://host:port``)."""
        if self._broker is not None:
            return self.url
        last: Exception | None = None
        for attempt in range(_ATTEMPTS):
            port = self._wanted if attempt == 0 and self._wanted is not None else None
            if port is not None and not _port_free(self.host, port):
                _log.info(
                    "port %d on %s is busy; the embedded broker takes another", port, self.host
                )
                port = None
            if port is None:
                port = _free_port(self.host)
            broker = _Broker(_amqtt_config(self.host, port))
            try:
                await broker.start()
            except BrokerError as exc:  # lost a race for the port: try another
                last = exc
                continue
            self._broker, self._port = broker, port
            _log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) listening on %s", self.url)
            return self.url
        raise EmbeddedBrokerError(f"embedded broker did not start: {last}")

    async def stop(self) -> None:
        """Close every session and the listener."""
        broker, self._broker = self._broker, None
        if broker is None:
            return
        await broker.shutdown()
        _log.info("embedded MQTT broker on %s:%s stopped", self.host, self._port)
        self._port = None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        await self.stop()
