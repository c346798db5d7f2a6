"""Sitting/standing in the store: telemetry and state messages with a ``stance`` go through the
recorder into the embedded SQLite store and, as line protocol, into VictoriaMetrics and
InfluxDB 1.x, and come back as the codes of ``CODE_TABLES["stance"]``; a message without one
(an older hub) stores no ``stance`` field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sensor_hub.mqtt.client import InboundMessage
from sensor_hub.mqtt.messages import Message, SensorState, Telemetry
from sensor_hub.mqtt.payloads import encode
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Role
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.influx import InfluxWriter
from sensor_hub.recorder.point import to_line_protocol
from sensor_hub.recorder.service import Recorder
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.schema import CODE_TABLES, Measurement, points_for, time_ns
from tests.mqtt.test_payloads import STATE, TELEMETRY
from tests.recorder.test_alert_points import NoClient
from tests.recorder.test_influx import _config
from tests.servers.influxdb import InfluxDB1
from tests.servers.victoria import Victoria

STANCES = (Stance.SITTING, Stance.SITTING, Stance.STANDING, Stance.UNKNOWN, None)


def _messages() -> list[Telemetry | SensorState]:
    """Telemetry 0.2 s apart with the stances above, and a state with each."""
    out: list[Telemetry | SensorState] = []
    for i, stance in enumerate(STANCES):
        out.append(replace(TELEMETRY, ts_s=TELEMETRY.ts_s + 0.2 * i, stance=stance))
        out.append(replace(STATE, ts_s=STATE.ts_s + 10.0 * i, stance=stance))
    return out


def _inbound(msg: Message) -> InboundMessage:
    t = Topics("alice")
    topic = t.telemetry(Role.LUMBAR) if isinstance(msg, Telemetry) else t.state(Role.LUMBAR)
    return InboundMessage(topic, encode(msg), 1, False)


def _expected(kind: type) -> list[tuple[int, int | None]]:
    return [(time_ns(m.ts_s), None if m.stance is None else int(m.stance))
            for m in _messages() if isinstance(m, kind)]  # fmt: skip


def test_stance_round_trips_through_the_embedded_store(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "store.db", retention_days=None) as store:
        recorder = Recorder(NoClient(), [store])
        for msg in _messages():
            recorder.handle(_inbound(msg))
        assert recorder.stats.rejected == {}
        for measurement, kind in (
            (Measurement.POSTURE, Telemetry),
            (Measurement.POSTURE_STATE, SensorState),
        ):
            (frame,) = store.query(measurement.value, ["stance", "flexion_deg"], wearer="alice")
            stored = [
                (int(t), None if v != v else int(v))  # NaN: no stance field at that time
                for t, v in zip(
                    frame.time_ns.tolist(), frame.values["stance"].tolist(), strict=True
                )
            ]
            assert stored == _expected(kind)
        (frame,) = store.query(Measurement.POSTURE.value, "stance", wearer="alice")
        labels = [CODE_TABLES["stance"][int(v)] for v in frame.values["stance"] if v == v]
        assert labels == ["sitting", "sitting", "standing", "unknown"]


def test_stance_round_trips_through_victoria_metrics(victoria: Victoria, tmp_path: Path) -> None:
    with InfluxWriter(_config(victoria, tmp_path)) as writer:
        writer.write([p for m in _messages() for p in points_for(m)])
        assert writer.flush(timeout_s=30)
    for measurement, kind in (("posture", Telemetry), ("posture_state", SensorState)):
        (series,) = victoria.export(f'{{__name__="{measurement}_stance"}}')
        assert series["metric"]["wearer"] == "alice"
        pairs = sorted(zip(series["timestamps"], series["values"], strict=True))
        want = [(t // 1_000_000, float(c)) for t, c in _expected(kind) if c is not None]
        assert pairs == want


def test_stance_is_an_integer_field_for_influxql(influxdb1: InfluxDB1) -> None:
    lines = [to_line_protocol(p) for m in _messages() for p in points_for(m)]
    influxdb1.write(None, "\n".join(lines))
    rows = influxdb1.rows(
        "SELECT stance FROM posture WHERE wearer = 'alice' AND stance = 1 ORDER BY time"
    )
    assert [r["time"] for r in rows] == [t for t, c in _expected(Telemetry) if c == 1]
    assert all(r["stance"] == 1 for r in rows)
    (row,) = influxdb1.rows("SELECT count(stance) FROM posture_state WHERE wearer = 'alice'")
    assert row["count"] == len(STANCES) - 1
