"""``posture-hub scan``: a table of the BLE devices around, marking the sensors we support."""

from __future__ import annotations

import argparse
import asyncio

from rich.console import Console
from rich.table import Table
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.ble.discovery import KIND_LABELS, RadioUnavailableError, ScanResult, scan
from sensor_hub.cli import UserError
from sensor_hub.commands import positive_float

__all__ = ["register", "run"]

DESCRIPTION = """\
Scan for Bluetooth LE devices for --timeout seconds and list them (name, address, RSSI,
kind), strongest first.  The kind says whether a device is a posture sensor (our Posture
Service) or a third-party IMU the hub supports (WitMotion WT901BLE, Movella DOT, Nordic
Thingy:52), from its advertised service UUIDs or name.  Needs a radio (BlueZ on Linux).
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scan`` subcommand."""
    p = subparsers.add_parser(
        "scan",
        help="list the BLE devices around (posture sensors and supported IMUs)",
        description=DESCRIPTION,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--timeout", type=positive_float, default=5.0, help="seconds (default: 5)")
    p.add_argument("--all", action="store_true", help="also list devices of unknown kind")
    p.set_defaults(handler=run)


def table(results: list[ScanResult], *, show_all: bool) -> Table:
    """The rich table of scan results."""
    t = Table(title="Bluetooth LE devices")
    for column in ("name", "address", "RSSI (dBm)", "kind"):
        t.add_column(column)
    for r in results:
        if r.kind is None and not show_all:
            continue
        kind = KIND_LABELS.get(r.kind, "—") if r.kind else "—"
        t.add_row(r.name or "—", r.address, str(r.rssi_dbm), kind)
    return t


def run(args: argparse.Namespace) -> int:
    try:
        results = asyncio.run(scan(None, args.timeout))
    except RadioUnavailableError as exc:
        raise UserError(str(exc)) from exc
    Console().print(table(results, show_all=args.all))
    return 0
