"""``DashboardServer``: the dashboard as one component with a start and a stop.

It owns its MQTT client (client id ``posture-hub-dashboard-{wearer}``, a clean session: a
dashboard wants the present, not a backlog), the history reader and the web server.  It binds
to 127.0.0.1 by default; any other address needs a token (:mod:`sensor_hub.web.auth`).  When
the port is busy (or ``port=None``) it takes a free one, as the embedded broker does, and
:attr:`DashboardServer.url` says where.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Final

from aiohttp import web

from sensor_hub.mqtt.client import MqttClient
from sensor_hub.mqtt.config import MqttConfig
from sensor_hub.mqtt.topics import Topics
from sensor_hub.web.app import create_app
from sensor_hub.web.auth import check_binding
from sensor_hub.web.history import History, HistoryReader
from sensor_hub.web.live import LiveFeed

__all__ = ["DEFAULT_PORT", "DashboardError", "DashboardServer"]

_log = logging.getLogger(__name__)

DEFAULT_PORT: Final = 8080
_ATTEMPTS: Final = 5
_SHUTDOWN_S: Final = 2.0


class DashboardError(RuntimeError):
    """The dashboard cannot start (refused binding, no port)."""


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _local_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


class DashboardServer:
    """The built-in web dashboard of one wearer.

    ``mqtt`` is the broker to read live data from and send commands to (its ``url`` must be
    set); ``store_path`` the embedded store the recorder writes; ``tz`` the wearer's time zone
    for days (default: the host's); ``history_reader`` reads the history from another store
    instead (InfluxDB through :class:`~sensor_hub.recorder.influxql.InfluxQLReader`).
    """

    def __init__(
        self,
        *,
        store_path: Path,
        mqtt: MqttConfig,
        topics: Topics,
        host: str = "127.0.0.1",
        port: int | None = DEFAULT_PORT,
        token: str | None = None,
        tz: tzinfo | None = None,
        history_reader: HistoryReader | None = None,
    ) -> None:
        try:
            check_binding(host, token)
        except ValueError as exc:
            raise DashboardError(str(exc)) from None
        if mqtt.url is None:
            raise DashboardError("the dashboard needs a broker url")
        if mqtt.client_id == MqttConfig().client_id:
            mqtt = replace(mqtt, client_id=f"posture-hub-dashboard-{topics.wearer}")
        # the present, not a backlog: no persistent session, no outbox
        self.mqtt = replace(mqtt, clean_start=True, session_expiry_s=0, outbox_path=None)
        self.topics = topics
        self.host = host
        self.token = token
        self.tz = tz or _local_tz()
        self.store_path = store_path
        self.history_reader = history_reader
        self._wanted = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._client: MqttClient | None = None
        self._history: History | None = None
        self.live: LiveFeed | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise DashboardError("the dashboard is not running")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> str:
        """Start serving and connecting to the broker (in the background: it returns at once,
        and the page says when the broker is reachable); the page's URL."""
        if self._runner is not None:
            return self.url
        client = MqttClient(self.mqtt)
        live = LiveFeed(client, self.topics)
        live.attach(asyncio.get_running_loop())
        history = History(self.store_path, self.tz, reader=self.history_reader)
        app = create_app(
            live=live,
            history=history,
            tz=self.tz,
            broker=f"{self.mqtt.host}:{self.mqtt.port}",
            token=self.token,
        )
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=_SHUTDOWN_S
        )
        await runner.setup()
        try:
            self._port = await self._bind(runner)
        except BaseException:
            await runner.cleanup()
            history.close()
            raise
        self._runner, self._client, self._history, self.live = runner, client, history, live
        client.start()  # connects in the background; the page shows when it is live
        _log.info("dashboard listening on %s", self.url)
        return self.url

    async def _bind(self, runner: web.AppRunner) -> int:
        last: OSError | None = None
        for attempt in range(_ATTEMPTS):
            port = self._wanted if attempt == 0 else None
            if port is not None and not _port_free(self.host, port):
                _log.info("port %d on %s is busy; the dashboard takes another", port, self.host)
                port = None
            if port is None:
                port = _free_port(self.host)
            site = web.TCPSite(runner, self.host, port)
            try:
                await site.start()
            except OSError as exc:  # lost a race for the port: try another
                last = exc
                continue
            return port
        raise DashboardError(f"the dashboard could not listen on {self.host}: {last}")

    async def stop(self) -> None:
        """Close the browsers' connections, the web server, the MQTT client and the store."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.stop)
        history, self._history = self._history, None
        if history is not None:
            history.close()
        self._port = None

    async def __aenter__(self) -> DashboardServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()
