"""``posture-hub dashboard``: the built-in web dashboard next to ``run`` / ``record``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from pathlib import Path

from rich.console import Console
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.mqtt.topics import TopicError, Topics, validate_wearer
from sensor_hub.recorder.influx import TOKEN_ENV as TOKEN_ENV_INFLUX
from sensor_hub.recorder.influxql import InfluxQLReader
from sensor_hub.settings import Settings, SettingsError, load_settings
from sensor_hub.web import DEFAULT_PORT, TOKEN_ENV, DashboardError, DashboardServer

__all__ = ["register", "run"]

DESCRIPTION = f"""\
Serve the built-in web dashboard of one wearer: live posture (flexion gauge and timeline,
activity, posture state, data age, connection, battery) from the MQTT broker, prompts with
done / skip / snooze, actions (calibrate, snooze, pause, resume, thresholds) sent as the hub's
commands, and the history of any day from the embedded store that `posture-hub record` writes
(band timeline and shares, episodes, prompts, a posture score and its 7-day trend, CSV export).

It listens on 127.0.0.1 by default.  Any other address needs a token (--token or
${TOKEN_ENV}); browsers then open the printed URL with ?token=... .  See docs/dashboard.md.
Ctrl-C stops it.
"""

EPILOG = """\
examples:
  posture-hub dashboard --broker mqtt://localhost --wearer alice
  POSTURE_HUB_DASHBOARD_TOKEN=$(openssl rand -hex 16) \\
      posture-hub dashboard --broker mqtt://broker.home --host 0.0.0.0 --port 8080
"""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "dashboard",
        help="serve the built-in web dashboard (live view, prompts, history)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="settings file (TOML; default hub.toml)")
    p.add_argument("--broker", metavar="URL", help="mqtt://host[:port] or mqtts://...")
    p.add_argument("--wearer", help="whose dashboard (default: [hub] wearer, else 'me')")
    p.add_argument("--store", type=Path, help="embedded SQLite store (default: data dir)")
    p.add_argument(
        "--host", help="address to listen on (default: [dashboard] host, else 127.0.0.1)"
    )
    p.add_argument(
        "--port",
        type=_port,
        help=f"port (default: [dashboard] port, else {DEFAULT_PORT}; a free one if busy, "
        "0: any free one)",
    )
    p.add_argument("--token", help=f"access token (or ${TOKEN_ENV}); required off loopback")
    p.add_argument(
        "--influx-url",
        metavar="URL",
        help="read the history from InfluxDB with InfluxQL instead of the embedded store "
        "(default: [influx] url of the settings when --influx-db is given)",
    )
    p.add_argument(
        "--influx-db",
        metavar="DB",
        help="the InfluxQL database (1.x db; 2.x: the bucket's DBRP-mapped database); "
        "token: POSTURE_HUB_INFLUX_TOKEN",
    )
    p.set_defaults(handler=run)


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    if args.broker:
        try:
            settings = settings.with_mqtt_url(args.broker)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    if settings.mqtt is None or settings.mqtt.url is None:
        raise UserError("no broker: give --broker URL (or [mqtt] url in the settings file)")
    return settings


def _server(args: argparse.Namespace) -> DashboardServer:
    settings = _settings(args)
    wearer = args.wearer or settings.wearer
    try:
        topics = Topics(validate_wearer(wearer), settings.prefix)
    except TopicError as exc:
        raise UserError(str(exc)) from exc
    token = args.token or os.environ.get(TOKEN_ENV) or settings.dashboard.token
    mqtt = settings.mqtt
    if mqtt is None:  # pragma: no cover - _settings checked it
        raise UserError("no broker configured")
    reader = _influx_reader(args, settings)
    try:
        return DashboardServer(
            store_path=args.store or settings.store_path,
            mqtt=mqtt,
            topics=topics,
            host=args.host or settings.dashboard.host,
            port=(settings.dashboard.port if args.port is None else args.port) or None,
            token=token,
            history_reader=reader,
        )
    except DashboardError as exc:
        raise UserError(str(exc)) from exc


def _influx_reader(args: argparse.Namespace, settings: Settings) -> InfluxQLReader | None:
    if args.influx_db is None:
        if args.influx_url:
            raise UserError("--influx-url needs --influx-db (the InfluxQL database)")
        return None
    url = args.influx_url or (settings.influx.url if settings.influx else None)
    if url is None:
        raise UserError("--influx-db needs --influx-url (or [influx] url in the settings file)")
    influx = settings.influx
    token = influx.resolved_token() if influx else os.environ.get(TOKEN_ENV_INFLUX)
    try:
        return InfluxQLReader(url, args.influx_db, token=token)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    server = _server(args)
    console = Console(highlight=False)
    return asyncio.run(_serve(server, console))


async def _serve(server: DashboardServer, console: Console) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        url = await server.start()
    except (DashboardError, OSError) as exc:
        raise UserError(f"the dashboard did not start: {exc}") from exc
    try:
        hint = "?token=..." if server.token else ""
        console.print(f"dashboard of {server.topics.wearer!r}: {url}{hint}", soft_wrap=True)
        console.print(
            f"live data from {server.mqtt.url}, history from "
            f"{server.history_reader or server.store_path}; Ctrl-C stops",
            soft_wrap=True,
        )
        await stop.wait()
    finally:
        await server.stop()
    return 0
