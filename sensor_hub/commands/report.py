"""``posture-hub report``: a day's or a week's posture from the embedded store."""

from __future__ import annotations

import argparse
from datetime import date, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.table import Table
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.mqtt.topics import TopicError, validate_wearer
from sensor_hub.recorder.sqlite_store import SqliteReader, StoreError
from sensor_hub.report import Report, day_report, wearers, week_report
from sensor_hub.settings import SettingsError, load_settings

__all__ = ["register", "run"]

DESCRIPTION = """\
Summarise a wearer's day (--day) or the seven days from a date (--week) from the embedded
store that `posture-hub record` writes: time per activity, share of upright time per band,
the posture score (share of upright time in the neutral and mild bands), episodes (count,
longest, alerted), alerts, prompts and adherence.  Prints a table and writes PNG charts (a day
timeline coloured by band, band shares; for a week the daily score) and a standalone HTML
report (charts embedded, no external assets) into --out.  Days are local days of --tz.
See docs/report.md.
"""

EPILOG = """\
examples:
  posture-hub report --day 2026-03-02
  posture-hub report --week 2026-03-02 --wearer alice --out reports/
  posture-hub report --day 2026-03-02 --store /var/lib/posture-hub/posture.sqlite --tz UTC
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "report",
        help="a day's or a week's posture: table, PNG charts and an HTML report",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--day", metavar="YYYY-MM-DD", help="report this local day")
    which.add_argument("--week", metavar="YYYY-MM-DD", help="report the 7 days from this date")
    p.add_argument("--config", type=Path, help="settings file (TOML; default hub.toml)")
    p.add_argument("--store", type=Path, help="the embedded SQLite store (default: settings)")
    p.add_argument(
        "--wearer", help="whose report (default: settings; else the store's only wearer)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("posture-report"),
        help="directory for the PNG and HTML files (default: ./posture-report)",
    )
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone of the days (default: local)")
    p.set_defaults(handler=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"bad date {text!r}: expected YYYY-MM-DD") from None


def _tz(name: str | None) -> tzinfo:
    if name is None:
        local = datetime.now().astimezone().tzinfo
        return ZoneInfo("UTC") if local is None else local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {name!r} (an IANA name such as Europe/Paris)") from None


def _wearer(reader: SqliteReader, asked: str | None, configured: str) -> str:
    known = wearers(reader)
    if asked is not None:
        try:
            return validate_wearer(asked)
        except TopicError as exc:
            raise UserError(str(exc)) from exc
    if configured in known or not known:
        return configured
    if len(known) == 1:
        return known[0]
    raise UserError(
        f"no data for wearer {configured!r}; give --wearer (the store has: {', '.join(known)})"
    )


def _print(console: Console, report: Report) -> None:
    table = Table(title=report.title, caption=report.meta, show_header=False)
    table.add_column("section", style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right")
    section = None
    for line in report.lines:
        table.add_row(line.section if line.section != section else "", line.label, line.value)
        section = line.section
    console.print(table)
    for heading, (header, rows) in report.tables.items():
        if not rows:
            continue
        extra = Table(title=heading)
        for name in header:
            extra.add_column(name, justify="right")
        for row in rows:
            extra.add_row(*row)
        console.print(extra)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    first = _date(args.day or args.week)
    tz = _tz(args.tz)
    store = args.store or settings.store_path
    if not store.is_file():
        raise UserError(f"no store at {store} (posture-hub record writes it; or give --store)")
    try:
        with SqliteReader(store) as reader:
            wearer = _wearer(reader, args.wearer, settings.wearer)
            build = day_report if args.day else week_report
            report = build(reader, wearer, first, tz)
    except StoreError as exc:
        raise UserError(str(exc)) from exc
    if report is None:
        span = "on" if args.day else "in the week from"
        raise UserError(f"no data for wearer {wearer!r} {span} {first.isoformat()} in {store}")
    console = Console(highlight=False, soft_wrap=True)
    _print(console, report)
    try:
        written = report.write(args.out)
    except OSError as exc:
        raise UserError(f"cannot write the report into {args.out}: {exc.strerror or exc}") from exc
    for path in written:
        console.print(f"wrote {path}")
    return 0
