"""The same line protocol into InfluxDB 1.x (``/write``), read back with InfluxQL.

This is the path the dashboards' InfluxQL queries take (issue 7): the points the writers send
are what those queries find, with their types (float, integer, boolean) and tags.
"""

from __future__ import annotations

from sensor_hub.recorder.point import to_line_protocol
from tests.recorder.helpers import BASE_NS, STEP_NS, flexion_of, make_points
from tests.servers.influxdb import InfluxDB1


def _load(influxdb1: InfluxDB1, n: int, sensor: str = "lumbar") -> None:
    lines = "\n".join(to_line_protocol(p) for p in make_points(n, sensor=sensor))
    influxdb1.write(None, lines)


def test_influxql_returns_the_written_points(influxdb1: InfluxDB1) -> None:
    n = 600
    _load(influxdb1, n)
    rows = influxdb1.rows(
        "SELECT flexion_deg, state, slouching FROM posture "
        "WHERE wearer = 'w1' AND sensor = 'lumbar' ORDER BY time"
    )
    assert [r["time"] for r in rows] == [BASE_NS + i * STEP_NS for i in range(n)]
    assert [r["flexion_deg"] for r in rows] == [flexion_of(i) for i in range(n)]
    assert [r["state"] for r in rows] == [i % 3 for i in range(n)]
    assert [r["slouching"] for r in rows] == [i % 2 == 0 for i in range(n)]


def test_influxql_aggregates_by_time_and_tag(influxdb1: InfluxDB1) -> None:
    n = 1200  # 12 s at 100 Hz
    _load(influxdb1, n, sensor="lumbar")
    _load(influxdb1, n, sensor="pelvis")
    start, end = BASE_NS, BASE_NS + n * STEP_NS
    rows = influxdb1.rows(
        f"SELECT mean(flexion_deg) AS mean_deg, count(state) AS n FROM posture "
        f"WHERE wearer = 'w1' AND time >= {start} AND time < {end} "
        "GROUP BY time(6s), sensor"
    )
    assert len(rows) == 4
    per_bucket = [flexion_of(i) for i in range(600)], [flexion_of(i) for i in range(600, 1200)]
    for row in rows:
        k = (row["time"] - start) // 6_000_000_000
        assert row["sensor"] in {"lumbar", "pelvis"}
        assert row["n"] == 600
        assert abs(row["mean_deg"] - sum(per_bucket[k]) / 600) < 1e-9


def test_rewriting_the_same_points_overwrites(influxdb1: InfluxDB1) -> None:
    _load(influxdb1, 300)
    _load(influxdb1, 300)  # a replay: same series and timestamps
    (row,) = influxdb1.rows("SELECT count(flexion_deg) FROM posture")
    assert row["count"] == 300
