"""``posture-hub record``: MQTT in, InfluxDB and the embedded SQLite store out."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich_argparse import RawDescriptionRichHelpFormatter

from sensor_hub.cli import UserError
from sensor_hub.commands import positive_float
from sensor_hub.mqtt.client import MqttClient
from sensor_hub.mqtt.topics import TopicError, validate_wearer
from sensor_hub.recorder.influx import InfluxConfig, InfluxWriter
from sensor_hub.recorder.service import Recorder
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.recorder.writer import PointWriter
from sensor_hub.settings import Settings, SettingsError, load_settings

__all__ = ["register", "run"]

log = logging.getLogger(__name__)

DESCRIPTION = """\
Subscribe to the posture topics of every wearer (posture/v1/+/#) and write what arrives to
the embedded SQLite store (the built-in dashboard reads it) and, when configured, to InfluxDB
or any server speaking its v2 write API (VictoriaMetrics, InfluxDB 2.x/3.x).  Points are
numeric fields and tags named by the schema (sensor_hub/schema.py, docs/mqtt.md); a message
delivered twice overwrites itself.  While the store is down, points spill to disk and are
replayed in order when it returns; a message that cannot be read is counted and dropped.

Settings: --config FILE (default $POSTURE_HUB_CONFIG_DIR/hub.toml), then the environment
(POSTURE_HUB_MQTT_URL, POSTURE_HUB_MQTT_USERNAME/_PASSWORD, POSTURE_HUB_INFLUX_URL/_ORG/_BUCKET,
POSTURE_HUB_INFLUX_TOKEN, POSTURE_HUB_DATA_DIR), then these options.  Ctrl-C stops cleanly
(everything received is flushed).
"""

EPILOG = """\
examples:
  posture-hub record --broker mqtt://localhost:1883
  posture-hub record --broker mqtt://localhost --influx-url http://localhost:8086 \\
      --influx-org home --influx-bucket posture
  posture-hub record --broker mqtt://broker --share-group recorders --client-id rec-2
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "record",
        help="record the posture topics into InfluxDB and the embedded store",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    p.add_argument("--config", type=Path, help="settings file (TOML; default hub.toml)")
    p.add_argument("--broker", metavar="URL", help="mqtt://host[:port] or mqtts://...")
    p.add_argument(
        "--client-id", default="posture-hub-recorder", help="MQTT client id (one per recorder)"
    )
    p.add_argument(
        "--share-group",
        metavar="GROUP",
        help="MQTT 5 shared subscription: recorders of one group split the messages",
    )
    p.add_argument("--wearer", help="record only this wearer (default: every wearer)")
    p.add_argument("--store", type=Path, help="embedded SQLite store (default: data dir)")
    p.add_argument("--no-store", action="store_true", help="do not write the embedded store")
    p.add_argument("--influx-url", metavar="URL", help="InfluxDB (v2 write API) base URL")
    p.add_argument("--influx-org", metavar="ORG", help="InfluxDB organisation")
    p.add_argument("--influx-bucket", metavar="BUCKET", help="InfluxDB bucket")
    p.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    p.add_argument(
        "--interval", type=positive_float, default=10.0, help="seconds between status lines"
    )
    p.set_defaults(handler=run)


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise UserError(str(exc)) from exc
    if args.broker:
        settings = settings.with_mqtt_url(args.broker)
    if settings.mqtt is None or settings.mqtt.url is None:
        raise UserError("no broker: give --broker URL (or [mqtt] url in the settings file)")
    if args.influx_url or args.influx_org or args.influx_bucket:
        base = settings.influx
        try:
            influx = InfluxConfig(
                url=args.influx_url or (base.url if base else ""),
                org=args.influx_org or (base.org if base else ""),
                bucket=args.influx_bucket or (base.bucket if base else ""),
                spill_path=base.spill_path if base else None,
            )
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        settings = replace(settings, influx=influx)
    if settings.influx is not None and settings.influx.spill_path is None:
        spill = settings.data_dir / "influx-spill.sqlite"
        settings = replace(settings, influx=replace(settings.influx, spill_path=spill))
    return settings


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.wearer is not None:
        try:
            validate_wearer(args.wearer)
        except TopicError as exc:
            raise UserError(str(exc)) from exc
    if args.no_store and settings.influx is None:
        raise UserError("nothing to write to: --no-store needs an InfluxDB (--influx-url ...)")
    console = Console(highlight=False, stderr=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    writers: list[PointWriter] = []
    store_path = args.store or settings.store_path
    if not args.no_store:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        writers.append(SqliteStore(store_path, retention_days=settings.retention_days))
    influx = InfluxWriter(settings.influx) if settings.influx is not None else None
    if influx is not None:
        writers.append(influx)
    mqtt = settings.mqtt
    if mqtt is None:  # pragma: no cover - _settings checked it
        raise UserError("no broker configured")
    client = MqttClient(replace(mqtt, client_id=args.client_id))
    recorder = Recorder(
        client,
        writers,
        prefix=settings.prefix,
        share_group=args.share_group,
        wearer=args.wearer,
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    targets = [] if args.no_store else [f"SQLite {store_path}"]
    if settings.influx is not None:
        targets.append(f"InfluxDB {settings.influx.url} bucket {settings.influx.bucket}")
    console.print(
        f"recording {recorder.topic_filter} from {client.host}:{client.port} into "
        + ", ".join(targets),
        soft_wrap=True,
    )
    recorder.start()
    client.start()
    end = None if args.duration is None else time.monotonic() + args.duration
    try:
        while not stop.is_set():
            wait = args.interval if end is None else min(args.interval, end - time.monotonic())
            if wait <= 0 or stop.wait(wait):
                break
            console.print(_status(recorder, client, influx), soft_wrap=True)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        client.stop()
        recorder.flush(10.0)
        recorder.close()
    console.print(_status(recorder, client, influx), soft_wrap=True)
    return 0


def _status(recorder: Recorder, client: MqttClient, influx: InfluxWriter | None) -> str:
    stats = recorder.stats
    line = (
        f"{'connected' if client.connected else 'disconnected'}: {stats.messages} messages, "
        f"{stats.points} points"
    )
    if stats.rejected:
        line += ", dropped " + ", ".join(f"{n} {why}" for why, n in sorted(stats.rejected.items()))
    if influx is not None:
        s = influx.stats
        line += (
            f"; influx {'up' if s.store_up else 'DOWN'}: {s.written + s.replayed} written, "
            f"{s.spill_pending} spilled pending, {s.dropped_total} dropped"
        )
    return line
