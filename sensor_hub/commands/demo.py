"""``posture-hub demo``: the whole system in one process, on embedded defaults, no servers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.alerts import AlertConfig
from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.hub import SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, SensorTarget
from sensor_hub.cli import UserError
from sensor_hub.commands import positive_float
from sensor_hub.commands.run import status_line
from sensor_hub.mqtt.broker import EmbeddedBroker
from sensor_hub.mqtt.client import MqttClient
from sensor_hub.mqtt.config import MqttConfig, MqttProtocol
from sensor_hub.mqtt.topics import Topics
from sensor_hub.recorder.service import Recorder
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.service.session import hub_on_mqtt
from sensor_hub.settings import Settings
from sensor_hub.simulate import SCENARIOS, simulate
from sensor_hub.virtual import VirtualSensor
from sensor_hub.web.server import DashboardServer

__all__ = ["register", "run"]

log = logging.getLogger(__name__)

#: The demo's wearer id in the topics.
WEARER = "demo"

DESCRIPTION = """\
The whole system in one process, with nothing to install: an embedded MQTT broker, a virtual
sensor (Bumble, in-process link) streaming a simulated wearer's day through bleak, the hub
(orientation, angles, activity, the sustained-lean detector), the alert policy with its
corrective-move prompts, the recorder into an embedded SQLite store, and the web dashboard at
the printed URL.  Everything the demo writes lands in --dir (default ./posture-hub-demo); your
own settings are not read.  --speed replays faster than real time (default 10: an 8-hour day
in under an hour); --duration stops after that many seconds; Ctrl-C stops cleanly.
"""

EPILOG = """\
examples:
  posture-hub demo
  posture-hub demo --speed 60 --duration 120 --dir /tmp/demo
  posture-hub demo --scenario dips --speed 20
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="the whole system in one process: virtual sensor, hub, broker, recorder, dashboard",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--dir", type=Path, default=Path("posture-hub-demo"), help="the demo's data")
    p.add_argument(
        "--scenario",
        choices=list(SCENARIOS),
        default="office_day",
        help="the simulated wearer (default office_day)",
    )
    p.add_argument(
        "--minutes",
        type=positive_float,
        default=60.0,
        help="office_day length in minutes (default 60, looped; 480 takes ~25 s to simulate)",
    )
    p.add_argument("--seed", type=int, default=0, help="the simulated wearer's seed")
    p.add_argument("--speed", type=positive_float, default=10.0, help="replay speed (default 10)")
    p.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    p.add_argument("--port", type=int, default=8080, help="dashboard port (a free one if busy)")
    p.add_argument(
        "--interval", type=positive_float, default=5.0, help="seconds between status lines"
    )
    p.add_argument("--no-dashboard", action="store_true", help="do not serve the dashboard")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        args.dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{args.dir}: cannot create the demo directory: {exc}") from exc
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    console = Console(highlight=False)

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    if args.verbose < 2:  # Bumble warns about notifications racing an unsubscription
        logging.getLogger("bumble").setLevel(logging.ERROR)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    minutes = min(args.minutes, 60.0 * 24)
    duration = None if args.scenario != "office_day" else minutes
    say(f"simulating {args.scenario} (seed {args.seed}) ...")
    simulation = await asyncio.to_thread(
        simulate, args.scenario, seed=args.seed, duration_min=duration
    )
    block = simulation.block
    directory: Path = args.dir.resolve()
    topics = Topics(WEARER)
    async with contextlib.AsyncExitStack() as stack:
        broker = EmbeddedBroker()
        url = await broker.start()
        stack.push_async_callback(broker.stop)
        say(f"embedded MQTT broker (3.1.1) on {url}")
        mqtt = MqttConfig(url=url, protocol=MqttProtocol.V311)
        settings = Settings(
            wearer=WEARER,
            mqtt=mqtt,
            store_path=directory / "posture.sqlite",
            data_dir=directory,
            alerts=replace(AlertConfig(), quiet_hours=None),  # a demo day runs at any hour
        )
        await _start_recorder(stack, mqtt, settings)
        air = await stack.enter_async_context(VirtualAir())
        sensor = VirtualSensor(block, speed=args.speed, loop=True)
        await sensor.start(air)
        stack.push_async_callback(sensor.stop)
        hub = SensorHub(
            [SensorSpec(SensorTarget(address=sensor.address))],
            transport=BleTransport(scanner_backend(air), client_backend(air)),
            alert_haptic=None,  # the alert policy decides
        )
        await stack.enter_async_context(hub_on_mqtt(hub, settings, announce=say))
        await stack.enter_async_context(hub)
        say(f"virtual sensor {sensor.name} streaming at {args.speed:g}x; data in {directory}")
        if not args.no_dashboard:
            dashboard = await _dashboard(settings, topics, args.port)
            stack.push_async_callback(dashboard.stop)
            say(f"dashboard: {dashboard.url}")
        end = None if args.duration is None else loop.time() + args.duration
        while not stop.is_set() and (end is None or loop.time() < end):
            wait = args.interval if end is None else min(args.interval, end - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(wait, 0.0))
            for role in hub.links:
                say(status_line(hub, role))
    say(f"data of this run: {directory}")
    return 0


async def _start_recorder(
    stack: contextlib.AsyncExitStack, mqtt: MqttConfig, settings: Settings
) -> Recorder:
    """The recorder: every message of the demo wearer into the store the dashboard reads."""
    store = SqliteStore(settings.store_path, retention_days=settings.retention_days)
    client = MqttClient(replace(mqtt, client_id="posture-hub-demo-recorder"))
    recorder = Recorder(client, [store], wearer=WEARER)
    recorder.start()
    client.start()

    async def stop() -> None:
        await asyncio.to_thread(client.stop)
        recorder.flush(10.0)
        recorder.close()
        stats = recorder.stats
        log.info("recorded %d points from %d messages", stats.points, stats.messages)

    stack.push_async_callback(stop)
    return recorder


async def _dashboard(settings: Settings, topics: Topics, port: int) -> DashboardServer:
    """The web dashboard on 127.0.0.1 (a free port when ``port`` is taken)."""
    mqtt = settings.mqtt or MqttConfig()
    server = DashboardServer(
        store_path=settings.store_path,
        mqtt=replace(mqtt, client_id="posture-hub-demo-dashboard"),
        topics=topics,
        port=port,
    )
    await server.start()
    return server
