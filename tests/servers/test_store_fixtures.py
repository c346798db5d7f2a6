"""The store fixtures run real servers that keep what is written (and survive a restart)."""

from __future__ import annotations

from tests.servers.influxdb import InfluxDB1
from tests.servers.victoria import Victoria

LINES = (
    'posture,wearer=alice,sensor=lumbar flexion_deg=12.5,state="upright" 1700000000123456789\n'
    "posture,wearer=alice,sensor=lumbar flexion_deg=14.0 1700000001123456789\n"
)


def test_victoria_line_protocol_round_trip(victoria: Victoria) -> None:
    victoria.write(LINES)
    series = {s["metric"]["__name__"]: s for s in victoria.export('{__name__=~"posture_.*"}')}
    flexion = series["posture_flexion_deg"]
    assert flexion["metric"] == {
        "__name__": "posture_flexion_deg",
        "wearer": "alice",
        "sensor": "lumbar",
    }
    assert flexion["values"] == [12.5, 14.0]
    assert flexion["timestamps"] == [1700000000123, 1700000001123]  # milliseconds
    assert series["posture_state"]["values"] == [0]  # strings become 0


def test_victoria_keeps_data_across_clean_restart(victoria: Victoria) -> None:
    # Only a clean stop: VictoriaMetrics 1.79 keeps recent samples in memory for a few seconds
    # even after /internal/force_flush, and SIGKILL loses them (see tests/servers/victoria.py).
    victoria.write(LINES)
    victoria.server.restart()
    assert victoria.sample_count('{__name__="posture_flexion_deg"}') == 2


def test_influxdb1_write_and_influxql(influxdb1: InfluxDB1) -> None:
    influxdb1.write(influxdb1.db, LINES)
    rows = influxdb1.rows("SELECT flexion_deg, state FROM posture WHERE wearer = 'alice'")
    assert [(r["time"], r["flexion_deg"], r["state"]) for r in rows] == [
        (1700000000123456789, 12.5, "upright"),
        (1700000001123456789, 14.0, None),
    ]
    mean = influxdb1.rows("SELECT mean(flexion_deg) FROM posture GROUP BY wearer")
    assert mean[0]["wearer"] == "alice"
    assert mean[0]["mean"] == 13.25


def test_influxdb1_same_series_and_time_overwrites(influxdb1: InfluxDB1) -> None:
    influxdb1.write(None, LINES)
    influxdb1.write(None, "posture,wearer=alice,sensor=lumbar flexion_deg=99 1700000000123456789")
    rows = influxdb1.rows("SELECT count(flexion_deg), max(flexion_deg) FROM posture")
    assert (rows[0]["count"], rows[0]["max"]) == (2, 99)


def test_influxdb1_keeps_data_across_restart(influxdb1: InfluxDB1) -> None:
    influxdb1.write(None, LINES)
    influxdb1.server.stop(kill=True)
    influxdb1.server.start()
    assert influxdb1.rows("SELECT count(flexion_deg) FROM posture")[0]["count"] == 2
