"""``posture-hub virtual-sensor``: a virtual sensor on a real Bluetooth controller (Bumble HCI)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math

from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.recording import RecordingError, RecordingReader
from sensor_hub.samples import SampleBlock
from sensor_hub.simulate import SCENARIOS, simulate

__all__ = ["register", "run"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
Run a virtual Open Posture Sensor (firmware_protocol/PROTOCOL.md) on a Bluetooth controller
that Bumble drives over HCI, e.g. a USB dongle (usb:0), so that a hub on another machine (or
this one, through its own adapter) can scan, connect and stream from it.  It replays a
recording (--recording) or a simulated wearer (--scenario, --seed) at real pace or faster
(--speed), and logs what the hub asks (haptic pulses, time syncs...).  Ctrl-C stops it.

The transport is a Bumble transport spec: usb:0 (first USB dongle; it must not be in use by
the OS stack: `sudo hciconfig hci0 down` or unbind it), usb:2fe3:000b, serial:/dev/ttyACM0,
tcp-client:127.0.0.1:1234, android-netsim...  The tests and the demo do not use this
command: they put virtual sensors and the hub on Bumble's in-process link
(sensor_hub.ble.VirtualAir).  See docs/virtual-sensor.md.
"""

EPILOG = """\
examples:
  posture-hub virtual-sensor --transport usb:0 --scenario office_day --seed 1
  posture-hub virtual-sensor --transport usb:0 --recording day.csv --speed 10 --name OPS-TEST
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``virtual-sensor`` subcommand."""
    parser = subparsers.add_parser(
        "virtual-sensor",
        help="run a virtual sensor on a Bluetooth controller (Bumble transport)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument(
        "--transport", required=True, metavar="SPEC", help="Bumble transport spec, e.g. usb:0"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--recording", metavar="FILE", help="replay this recording (format v1)")
    source.add_argument(
        "--scenario", metavar="NAME", help=f"simulate this wearer scenario ({', '.join(SCENARIOS)})"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="simulator seed (default: %(default)s)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="replay speed; the device clock runs X times faster (default: %(default)g)",
    )
    parser.add_argument("--name", help="advertised name (default: OPS- + address bytes)")
    parser.add_argument(
        "--address",
        default="F0:4F:50:53:00:01",
        help="random static address to advertise with (default: %(default)s)",
    )
    parser.add_argument(
        "--once", action="store_true", help="stop streaming at the end of the source (no loop)"
    )
    parser.set_defaults(handler=run)


def load_source(args: argparse.Namespace) -> SampleBlock:
    """The samples to replay, from ``--recording`` or ``--scenario``/``--seed``."""
    if args.recording is not None:
        try:
            with RecordingReader(args.recording) as reader:
                block = SampleBlock.concat(list(reader.blocks()))
        except RecordingError as exc:
            raise UserError(str(exc)) from exc
    else:
        if args.scenario not in SCENARIOS:
            raise UserError(f"unknown scenario {args.scenario!r} (one of {', '.join(SCENARIOS)})")
        block = simulate(args.scenario, seed=args.seed).block
    if len(block) < 2:
        raise UserError("the source holds fewer than two samples")
    return block


def run(args: argparse.Namespace) -> int:
    """Run the sensor until Ctrl-C."""
    if not (args.speed > 0 and math.isfinite(args.speed)):
        raise UserError(f"--speed must be a positive number, got {args.speed}")
    block = load_source(args)
    try:
        asyncio.run(_serve(args, block))
    except KeyboardInterrupt:
        log.info("stopped")
    return 0


async def _serve(args: argparse.Namespace, block: SampleBlock) -> None:
    from bumble.transport import open_transport  # noqa: PLC0415 - only this command needs it

    from sensor_hub.virtual import VirtualSensor  # noqa: PLC0415

    try:
        transport = await open_transport(args.transport)
    except Exception as exc:
        raise UserError(f"cannot open transport {args.transport!r}: {exc}") from exc
    sensor = VirtualSensor(
        block, speed=args.speed, name=args.name, address=args.address, loop=not args.once
    )
    try:
        await sensor.start_on_hci(transport.source, transport.sink)
        log.warning(
            "%s (%s) advertising on %s; Ctrl-C to stop", sensor.name, sensor.address, args.transport
        )
        await asyncio.Event().wait()  # until cancelled (Ctrl-C)
    finally:
        await sensor.stop()
        await transport.close()
        fw = sensor.firmware
        log.warning(
            "%s: %d connections, %d IMU notifications, %d control requests, %d haptic pulses",
            sensor.name,
            sensor.connections,
            sensor.imu_notifications,
            len(fw.exchanges),
            len(fw.haptics),
        )
