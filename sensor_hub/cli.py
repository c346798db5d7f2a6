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

#: Subcommands in the order ``--help`` lists them: (name, module in ``sensor_hub.commands``, help).
#: The help is repeated here so that ``posture-hub --help`` lists every command without importing
#: any of them (each imports its stage: bleak, bumble, scipy, paho…); a test keeps it equal to
#: the help each module registers.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("inspect", "inspect", "validate a recording file and summarise it"),
    ("analyze", "analyze", "angles, activity and sustained-lean episodes of a recording"),
    ("simulate", "simulate", "write a simulated recording and its ground truth"),
    (
        "virtual-sensor",
        "virtual_sensor",
        "run a virtual sensor on a Bluetooth controller (Bumble transport)",
    ),
    ("scan", "scan", "list the BLE devices around (posture sensors and supported IMUs)"),
    ("run", "run", "connect to the sensors and run the live pipeline"),
    ("record", "record", "record the posture topics into InfluxDB and the embedded store"),
    ("report", "report", "a day's or a week's posture: table, PNG charts and an HTML report"),
    ("dashboard", "dashboard", "serve the built-in web dashboard (live view, prompts, history)"),
    (
        "demo",
        "demo",
        "the whole system in one process: virtual sensor, hub, broker, recorder, dashboard",
    ),
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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser.  Every subcommand is registered in full, or only ``command``'s
    (its module alone imported) with the others listed by name and help."""
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
    for name, module, summary in COMMANDS:
        if command is None or name == command:
            import_module(f"sensor_hub.commands.{module}").register(sub)
        else:
            sub.add_parser(name, help=summary)
    return parser


def _command_in(argv: Sequence[str]) -> str:
    """The subcommand named on the command line ("" if none): the first word that is not an
    option (the top-level options take no value)."""
    return next((word for word in argv if not word.startswith("-")), "")


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``posture-hub``; returns the process exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_in(words))
    args = parser.parse_args(words)
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
