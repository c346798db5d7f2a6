"""The ``posture-hub`` command line.

Each subcommand lives in ``sensor_hub/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``handler`` (a function of the parsed arguments returning an exit
code).  Errors from bad input are reported here, at one boundary, as a single clear line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub import __version__

__all__ = ["UserError", "build_parser", "main"]

log = logging.getLogger("sensor_hub")

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "inspect",
    "analyze",
    "simulate",
    "virtual_sensor",
    "scan",
    "run",
    "record",
    "report",
    "dashboard",
    "demo",
)

DESCRIPTION = """\
Open wearable posture monitor hub.

A lower-back IMU streams over Bluetooth LE; the hub estimates lumbar and pelvic angles in real
time, notices sustained forward leans, alerts the wearer with a corrective move, and publishes
everything over MQTT to a time-series store and dashboards.
"""

EPILOG = """\
Axis convention (printed on the sensor case): x up the spine, y to the wearer's left,
z backward out of the back.  Recording format v1 and the BLE protocol are documented in
README.md and firmware_protocol/PROTOCOL.md.
"""


class UserError(Exception):
    """Bad input from the user (a file, an argument): reported as one line, exit status 2."""


Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="posture-hub",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = import_module(f"sensor_hub.commands.{name}")
        module.register(sub)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``posture-hub``; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except UserError as exc:
        print(f"posture-hub: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("posture-hub: interrupted", file=sys.stderr)
        return 130
