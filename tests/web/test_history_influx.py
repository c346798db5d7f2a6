"""The dashboard's history read from InfluxDB with InfluxQL (a real Debian InfluxDB 1.x) equals
the history read from the embedded store, for the same recorded day."""

from __future__ import annotations

from datetime import UTC

import pytest

from sensor_hub.recorder.influxql import InfluxQLReader, quote_string
from sensor_hub.recorder.point import Point, to_line_protocol
from sensor_hub.recorder.sqlite_store import SqliteReader, StoreError
from sensor_hub.web.history import History
from tests.servers.influxdb import InfluxDB1
from tests.web.conftest import DAY, WEARER, RecordedDay


def copy_store_to_influx(day: RecordedDay, influx: InfluxDB1) -> None:
    """Every point of the embedded store, as line protocol into InfluxDB (what the recorder
    writes to both)."""
    reader = SqliteReader(day.store_path)
    lines: list[str] = []
    for info in {(s.measurement, tuple(sorted(s.tags.items()))) for s in reader.series()}:
        measurement, tags = info[0], dict(info[1])
        fields = sorted({s.field for s in reader.series(measurement, tags=tags)})
        for frame in reader.query(measurement, fields, tags=tags):
            for i, t in enumerate(frame.time_ns):
                values = {f: float(v[i]) for f, v in frame.values.items() if v[i] == v[i]}
                if values:
                    lines.append(to_line_protocol(Point(measurement, tags, values, int(t))))
    reader.close()
    for start in range(0, len(lines), 5000):
        influx.write(None, "\n".join(lines[start : start + 5000]))


def test_the_same_day_from_either_store(recorded_day: RecordedDay, influxdb1: InfluxDB1) -> None:
    copy_store_to_influx(recorded_day, influxdb1)
    from_sqlite = History(recorded_day.store_path, UTC).day(WEARER, DAY)
    reader = InfluxQLReader(influxdb1.url, influxdb1.db)
    from_influx = History(recorded_day.store_path, UTC, reader=reader).day(WEARER, DAY)
    assert from_influx["score"] == from_sqlite["score"]
    assert from_influx["band_share"] == pytest.approx(from_sqlite["band_share"])
    assert from_influx["episodes"] == from_sqlite["episodes"]
    assert from_influx["prompts"] == from_sqlite["prompts"]
    assert from_influx["timeline"] == from_sqlite["timeline"]
    assert from_influx == from_sqlite


def test_values_are_quoted_and_errors_are_store_errors(influxdb1: InfluxDB1) -> None:
    assert quote_string("a'b\\c") == "'a\\'b\\\\c'"
    reader = InfluxQLReader(influxdb1.url, influxdb1.db)
    assert reader.query("posture", ["flexion_deg"], wearer="x' OR '1'='1") == []
    with pytest.raises(StoreError, match="unreachable"):
        InfluxQLReader("http://127.0.0.1:9", "db", timeout_s=1.0).query("posture", "flexion_deg")
    assert "s3cret" not in repr(InfluxQLReader(influxdb1.url, "db", token="s3cret-token"))
