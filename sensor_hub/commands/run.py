"""``posture-hub run``: connect to the sensors, run the pipeline, print status lines.

Sensors come from ``--sensor [KIND/]NAME_OR_ADDRESS[=role]`` (repeatable), else the remembered
sensors (``sensor_hub.ble.paired``), else the first posture sensor found (lumbar).
``--virtual SCENARIO`` puts a virtual sensor replaying a simulated wearer on Bumble's
in-process link instead of the radio, to try the hub without hardware; ``--pelvis [SCENARIO]``
adds a second, pelvis, virtual sensor (default scenario ``pelvis_standing``), so the status
lines show the lumbar − pelvis angle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import math
from pathlib import Path

from rich.console import Console
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.discovery import KINDS, RadioUnavailableError, scan
from sensor_hub.ble.hub import DEFAULT_ALERT_HAPTIC, SensorHub, SensorSpec
from sensor_hub.ble.link import BleTransport, LinkConfig, SensorTarget
from sensor_hub.ble.paired import PairedConfigError, PairedSensor, PairedStore
from sensor_hub.cli import UserError
from sensor_hub.commands import positive_float
from sensor_hub.mqtt.discovery import DEFAULT_DISCOVERY_PREFIX
from sensor_hub.mqtt.sampling import DEFAULT_TELEMETRY_HZ
from sensor_hub.mqtt.topics import TopicError, validate_wearer
from sensor_hub.processing import Activity, Band, Role
from sensor_hub.service.bridge import BridgeConfig
from sensor_hub.service.session import hub_on_mqtt
from sensor_hub.settings import Settings, SettingsError, load_settings
from sensor_hub.simulate import SCENARIOS, simulate
from sensor_hub.virtual import VirtualSensor

__all__ = ["parse_sensor", "register", "run", "status_line"]

log = logging.getLogger(__name__)

#: Seconds of scanning that prove the radio works before the hub starts.
_RADIO_PROBE_S = 0.5
#: The virtual pelvis sensor's scenario when ``--pelvis`` names none: a sacral sensor.
_PELVIS_SCENARIO = "pelvis_standing"
#: Host seconds a pelvis angle is held for the lumbar − pelvis difference (the hub's default,
#: 0.1 s); in accelerated replay the arrival jitter between the sensors is multiplied by the
#: speed in device time, so the virtual run holds it ``speed`` times longer.
_PELVIS_HOLD_S = 0.1

DESCRIPTION = """\
Connect to the posture sensors, stream, estimate angles and activity, detect sustained
leans (the sensor buzzes on an alert), and print one status line per sensor every
--interval seconds: flexion angle (and lumbar - pelvis with two sensors), activity, posture
band, episode state, data age, battery, lost and rejected counts.  Ctrl-C stops cleanly
(streaming stopped, sensors disconnected).

Sensors: --sensor [KIND/]NAME_OR_ADDRESS[=lumbar|pelvis] (repeatable; KIND is ops, our
sensor, the default, or a third-party IMU: witmotion, movella_dot, thingy52); else the
remembered sensors ($POSTURE_HUB_CONFIG_DIR/sensors.json, with their kinds); else the first
posture sensor found, as lumbar.
--virtual SCENARIO replays a simulated wearer from a virtual sensor on an in-process link
(no radio needed); add --pelvis [SCENARIO] for a second, pelvis, virtual sensor (default
pelvis_standing) and the lumbar - pelvis angle.  See docs/ble.md.
"""

EPILOG = """\
examples:
  posture-hub run
  posture-hub run --sensor OPS-1A2B=lumbar --sensor F0:4F:50:53:00:02=pelvis --remember
  posture-hub run --sensor witmotion/WT901BLE68 --sensor movella_dot/D4:22:CD:00:12:34=pelvis
  posture-hub run --virtual dips --speed 20 --duration 30
  posture-hub run --virtual dips --pelvis --speed 20 --duration 30
"""


def parse_sensor(text: str) -> SensorSpec:
    """``[KIND/]NAME_OR_ADDRESS[=role]`` -> SensorSpec; argparse type."""
    kind, slash, rest = text.partition("/")
    if not slash:
        kind, rest = "ops", text
    target, _, role = rest.partition("=")
    if not target:
        raise argparse.ArgumentTypeError(f"expected [KIND/]NAME_OR_ADDRESS[=role], got {text!r}")
    if kind not in KINDS:
        kinds = ", ".join(KINDS)
        raise argparse.ArgumentTypeError(f"unknown sensor kind {kind!r} (one of {kinds})")
    try:
        parsed = SensorTarget.parse(target)
        return SensorSpec(dataclasses.replace(parsed, kind=kind), Role(role or "lumbar"))
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise argparse.ArgumentTypeError(f"unknown role {role!r} (one of {roles})") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` subcommand."""
    p = subparsers.add_parser(
        "run",
        help="connect to the sensors and run the live pipeline",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument(
        "--sensor",
        metavar="[KIND/]NAME_OR_ADDRESS[=ROLE]",
        type=parse_sensor,
        action="append",
        default=[],
        help="a sensor to use, with its kind (default: ops, our sensor) and role (default: "
        "lumbar); repeatable",
    )
    p.add_argument(
        "--virtual",
        metavar="SCENARIO",
        choices=list(SCENARIOS),
        help=f"use a virtual sensor replaying this scenario ({', '.join(SCENARIOS)})",
    )
    p.add_argument(
        "--pelvis",
        metavar="SCENARIO",
        nargs="?",
        const=_PELVIS_SCENARIO,
        choices=list(SCENARIOS),
        help=f"with --virtual: add a pelvis virtual sensor replaying this scenario "
        f"(default: {_PELVIS_SCENARIO}); the status lines show lumbar - pelvis",
    )
    p.add_argument(
        "--speed", type=positive_float, default=1.0, help="virtual replay speed (default: 1)"
    )
    p.add_argument("--rate", type=int, choices=(25, 50, 100, 200), default=100, help="Hz")
    p.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    p.add_argument(
        "--interval", type=positive_float, default=1.0, help="seconds between status lines"
    )
    p.add_argument(
        "--remember", action="store_true", help="remember the connected sensors (sensors.json)"
    )
    mqtt = p.add_argument_group("MQTT (docs/mqtt.md)")
    mqtt.add_argument("--config", type=Path, help="settings file (TOML; default hub.toml)")
    mqtt.add_argument(
        "--broker",
        metavar="URL",
        help="publish to this broker (mqtt://host[:port], mqtts://...); default: the settings, "
        "else an embedded broker on 127.0.0.1",
    )
    mqtt.add_argument("--wearer", help="the wearer's id in the topics (default: settings, 'me')")
    mqtt.add_argument(
        "--telemetry-hz",
        type=positive_float,
        default=DEFAULT_TELEMETRY_HZ,
        help=f"telemetry rate (default {DEFAULT_TELEMETRY_HZ:g})",
    )
    mqtt.add_argument(
        "--no-discovery", action="store_true", help="do not publish Home Assistant discovery"
    )
    mqtt.add_argument(
        "--raw", action="store_true", help="also publish the raw IMU samples (binary, raw topic)"
    )
    mqtt.add_argument(
        "--desktop-notify",
        action="store_true",
        help="also show alerts and move prompts as desktop notifications (notify-send)",
    )
    mqtt.add_argument("--no-mqtt", action="store_true", help="do not publish at all")
    p.set_defaults(handler=run)


def status_line(hub: SensorHub, role: Role) -> str:
    """One sensor's state as a line of text."""
    status = hub.links[role].status()
    parts = [f"{role.value:<6} {status.name or status.target}"]
    update = hub.latest.get(role)
    if update is not None and len(update.block):
        block = update.block
        parts.append(f"flexion {block.flexion_deg[-1]:+6.1f}°")
        relative = update.relative_flexion_deg
        if relative is not None and math.isfinite(relative[-1]):
            parts.append(f"lumbar-pelvis {relative[-1]:+6.1f}°")
        parts.append(Activity(int(block.activity[-1])).name.lower())
        parts.append(f"band {Band(int(block.band[-1])).name.lower()}")
        event = hub.last_event.get(role)
        if event is not None:
            parts.append(f"episode {event.phase.value}")
    else:
        parts.append("no data yet")
    if not status.connected:
        parts.append("DISCONNECTED")
    age = status.data_age_s
    parts.append("age —" if age is None else f"age {age:.2f} s")
    battery = status.battery_pct
    parts.append("battery —" if battery is None else f"battery {battery}%")
    rejected = sum(status.rejected.values())
    parts.append(f"lost {status.lost_samples} bad {rejected} gaps {status.gaps}")
    return "  ".join(parts)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_main(args))


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    if args.broker:
        settings = settings.with_mqtt_url(args.broker)
    if args.wearer:
        try:
            settings = dataclasses.replace(settings, wearer=validate_wearer(args.wearer))
        except TopicError as exc:
            raise UserError(str(exc)) from exc
    return settings


def _specs(args: argparse.Namespace, store: PairedStore) -> list[SensorSpec]:
    specs: list[SensorSpec] = list(args.sensor)
    if not specs:
        try:
            remembered = store.load()
        except PairedConfigError as exc:
            raise UserError(str(exc)) from exc
        specs = [
            SensorSpec(SensorTarget(address=s.address, kind=s.kind), s.role) for s in remembered
        ]
    if not specs:
        specs = [SensorSpec(SensorTarget(), Role.LUMBAR)]
    roles = [s.role for s in specs]
    if len(set(roles)) != len(roles):
        raise UserError("each role may be given to one sensor only")
    return specs


async def _main(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    store = PairedStore()
    if args.pelvis is not None and args.virtual is None:
        raise UserError("--pelvis needs --virtual (real sensors: --sensor NAME=pelvis)")
    if args.virtual is None:
        specs = _specs(args, store)
        try:
            await scan(None, _RADIO_PROBE_S)  # fail in one line before anything starts
        except RadioUnavailableError as exc:
            raise UserError(str(exc)) from exc
        return await _run_hub(args, console, specs, BleTransport(), store)
    if args.verbose < 2:  # Bumble warns about notifications racing the unsubscription
        logging.getLogger("bumble").setLevel(logging.ERROR)
    scenarios = {Role.LUMBAR: args.virtual}
    if args.pelvis is not None:
        scenarios[Role.PELVIS] = args.pelvis
    async with VirtualAir() as air:
        sensors: dict[Role, VirtualSensor] = {}
        try:
            for role, scenario in scenarios.items():
                block = simulate(scenario, seed=0, imu_errors=False).block
                sensors[role] = VirtualSensor(block, speed=args.speed, loop=True)
                await sensors[role].start(air)
            specs = [
                SensorSpec(SensorTarget(address=sensor.address), role)
                for role, sensor in sensors.items()
            ]
            transport = BleTransport(scanner_backend(air), client_backend(air))
            hold_s = _PELVIS_HOLD_S * max(1.0, args.speed)
            return await _run_hub(args, console, specs, transport, store, hold_s)
        finally:
            for sensor in sensors.values():
                await sensor.stop()


async def _run_hub(
    args: argparse.Namespace,
    console: Console,
    specs: list[SensorSpec],
    transport: BleTransport,
    store: PairedStore,
    pelvis_max_hold_s: float = _PELVIS_HOLD_S,
) -> int:
    hub = SensorHub(
        specs,
        transport=transport,
        link_config=LinkConfig(rate_hz=args.rate),
        pelvis_max_hold_s=pelvis_max_hold_s,
        # With MQTT the alert policy (docs/alerts.md) decides when to buzz; without, every
        # alert buzzes once.
        alert_haptic=DEFAULT_ALERT_HAPTIC if args.no_mqtt else None,
    )
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        # MQTT first: the broker and client start before the sensors connect, so that the
        # sensors' streams are not held up in between (and nothing published is missed).
        if not args.no_mqtt:
            bridge_config = BridgeConfig(
                telemetry_rate_hz=args.telemetry_hz,
                discovery_prefix=None if args.no_discovery else DEFAULT_DISCOVERY_PREFIX,
                raw=args.raw,
            )
            await stack.enter_async_context(
                hub_on_mqtt(
                    hub,
                    _settings(args),
                    bridge_config=bridge_config,
                    desktop=args.desktop_notify,
                    announce=lambda text: console.print(text, soft_wrap=True),
                )
            )
        await stack.enter_async_context(hub)
        end = None if args.duration is None else loop.time() + args.duration
        while end is None or loop.time() < end:
            wait = args.interval if end is None else min(args.interval, end - loop.time())
            await asyncio.sleep(max(wait, 0.0))
            for role in hub.links:
                console.print(status_line(hub, role), soft_wrap=True)
        if args.remember:
            kinds = {spec.role: spec.target.kind or "ops" for spec in specs}
            for role, link in hub.links.items():
                status = link.status()
                if status.address is not None:
                    name = status.name or status.address
                    store.remember(PairedSensor(status.address, name, kinds[role], role))
    return 0
