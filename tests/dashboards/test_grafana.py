"""The Grafana dashboard: generated from the schema, checked in unchanged, and every panel's
InfluxQL run against a real InfluxDB 1.x loaded with a simulated day of recorder output."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from sensor_hub.grafana import generated_files
from sensor_hub.grafana.__main__ import main as grafana_main
from sensor_hub.grafana.influxql import SchemaMismatchError, code_of, field_ref, tag_ref
from sensor_hub.grafana.panels import DATASOURCE_UID
from sensor_hub.grafana.provisioning import DASHBOARDS_PATH
from sensor_hub.processing import Band
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.point import Point, to_line_protocol
from sensor_hub.schema import CODE_TABLES, MEASUREMENTS, Tag
from tests.dashboards.grafana_json import (
    GRAFANA_DIR,
    load_dashboard,
    measurement_of,
    panel,
    panels,
    render,
)
from tests.report.simday import OTHER, START_S, WEARER, SimDay, sim_day
from tests.servers.influxdb import InfluxDB1

NS = 1_000_000_000


@pytest.fixture(scope="module")
def day() -> SimDay:
    return sim_day()


@pytest.fixture
def loaded(influxdb1: InfluxDB1, day: SimDay) -> InfluxDB1:
    points = day.points()
    for k in range(0, len(points), 5000):
        influxdb1.write(None, "\n".join(to_line_protocol(p) for p in points[k : k + 5000]))
    return influxdb1


def _range() -> tuple[int, int]:
    day = sim_day()
    return int((START_S - 60) * NS), int((day.end_s + 60) * NS)


def _rows(db: InfluxDB1, query: str, **kw: str) -> list[dict[str, Any]]:
    start, end = _range()
    return db.rows(render(query, start, end, **kw))


def _targets(title: str) -> list[str]:
    return [t["query"] for t in panel(load_dashboard(), title)["targets"]]


def _alice(day: SimDay, measurement: str) -> list[Point]:
    return [p for p in day.points() if p.measurement == measurement and p.tags["wearer"] == WEARER]


# -- generated, checked in, covering the schema ---------------------------------------------


def test_checked_in_files_equal_the_generator() -> None:
    for name, text in generated_files().items():
        path = GRAFANA_DIR / name
        assert path.exists(), f"{path} missing: run python -m sensor_hub.grafana"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} differs from the generator: run python -m sensor_hub.grafana"
        )


def test_every_measurement_and_field_has_a_panel() -> None:
    queries = [t["query"] for p in panels(load_dashboard()) for t in p["targets"]]
    for measurement, spec in MEASUREMENTS.items():
        mine = [q for q in queries if measurement_of(q) == measurement.value]
        assert mine, f"no panel reads {measurement.value}"
        for field in spec.fields:
            assert any(f'"{field}"' in q for q in mine), f"{measurement.value}.{field}"


def test_value_mappings_come_from_the_code_tables() -> None:
    mapped = 0
    for p in panels(load_dashboard()):
        for mapping in p["fieldConfig"]["defaults"].get("mappings", []):
            field = p["targets"][0]["query"].split('"')[1]
            labels = {int(k): v["text"] for k, v in mapping["options"].items()}
            expected = CODE_TABLES.get(field, {0: "disconnected", 1: "connected"})
            assert labels == dict(expected), p["title"]
            mapped += 1
    assert mapped >= len(CODE_TABLES)


def test_provisioning_files_parse_and_agree() -> None:
    source = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/datasources/posture-influxdb.yaml").read_text()
    )
    (ds,) = source["datasources"]
    assert ds["type"] == "influxdb"
    assert ds["uid"] == DATASOURCE_UID
    assert ds["jsonData"]["version"] == "InfluxQL"
    assert ds["jsonData"]["httpHeaderName1"] == "Authorization"
    provider = yaml.safe_load(
        (GRAFANA_DIR / "provisioning/dashboards/posture-hub.yaml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == DASHBOARDS_PATH
    dashboard = load_dashboard()
    uids = {p["datasource"]["uid"] for p in panels(dashboard)}
    uids |= {v["datasource"]["uid"] for v in dashboard["templating"]["list"]}
    assert uids == {DATASOURCE_UID}
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names == ["wearer", "sensor"]
    assert dashboard["templating"]["list"][0]["query"] == 'SHOW TAG VALUES WITH KEY = "wearer"'


# -- every query against InfluxDB 1.x ----------------------------------------------------------


def test_every_panel_query_returns_data(loaded: InfluxDB1, day: SimDay) -> None:
    written = {p.measurement for p in day.points()}
    # Measurements the simulated day has no points of may come back empty (none today: the
    # day carries every measurement of the schema; a new one shows up here until it does).
    missing = {m.value for m in MEASUREMENTS} - written
    by_panel: dict[tuple[int, str], bool] = {}
    for p in panels(load_dashboard()):
        for t in p["targets"]:
            rows = _rows(loaded, t["query"])
            values = [v for r in rows for k, v in r.items() if k != "time" and v is not None]
            key = (p["id"], p["title"])
            by_panel[key] = by_panel.get(key, False) or bool(values)
            if measurement_of(t["query"]) in missing:
                by_panel[key] = True
    empty_panels = [title for (_, title), ok in by_panel.items() if not ok]
    assert not empty_panels, f"panels with no data: {empty_panels} (missing: {missing})"
    assert len(by_panel) >= 40


def test_wearer_and_sensor_variables(loaded: InfluxDB1) -> None:
    variables = {v["name"]: v["query"] for v in load_dashboard()["templating"]["list"]}
    wearers = {r["value"] for r in _rows(loaded, variables["wearer"])}
    assert wearers == {WEARER, OTHER}
    sensors = {r["value"] for r in _rows(loaded, variables["sensor"])}
    assert sensors == {"lumbar"}


def test_flexion_means_match_numpy(loaded: InfluxDB1, day: SimDay) -> None:
    points = [p for p in _alice(day, "posture") if "flexion_deg" in p.fields]
    t = np.array([p.time_ns for p in points])
    flexion = np.array([p.fields["flexion_deg"] for p in points], dtype=float)
    minute = t // (60 * NS)
    (query,) = _targets("Flexion")
    rows = _rows(loaded, query, interval="1m")
    assert len(rows) == len(np.unique(minute))
    for row in rows:
        expected = flexion[minute == row["time"] // (60 * NS)].mean()
        assert row["flexion_deg"] == pytest.approx(expected, abs=1e-9)
    # bob's telemetry (30° more) never leaks into alice's
    bob = _rows(loaded, query, interval="1m", wearer=OTHER)
    assert bob
    assert bob[0]["flexion_deg"] == pytest.approx(rows[0]["flexion_deg"] + 30.0, abs=1e-6)


def test_band_shares_and_score_match_numpy(loaded: InfluxDB1, day: SimDay) -> None:
    points = _alice(day, "posture")
    upright = [int(p.fields["band"]) for p in points if p.fields["activity"] == 0]
    expected = Counter(upright)
    counts = {}
    for query in _targets("Share of upright time per band"):
        for row in _rows(loaded, query):
            ((label, n),) = [(k, v) for k, v in row.items() if k != "time"]
            counts[label] = n
    assert counts == {Band(code).label: n for code, n in expected.items()}
    shares = {label: 100 * n / sum(counts.values()) for label, n in counts.items()}
    assert sum(shares.values()) == pytest.approx(100.0)
    good = expected[Band.NEUTRAL] + expected[Band.MILD]
    (score_query,) = _targets("Posture score")
    (row,) = _rows(loaded, score_query)
    assert row["score"] == pytest.approx(100 * good / len(upright), abs=1e-9)
    assert row["score"] == pytest.approx(shares["neutral"] + shares["mild"])
    (trend_query,) = _targets("Posture score per interval")
    trend = _rows(loaded, trend_query, interval="5m")
    assert 3 <= len(trend) <= 6
    assert all(0 <= r["score"] <= 100 for r in trend)


def test_time_sitting_and_standing_matches_numpy(loaded: InfluxDB1, day: SimDay) -> None:
    stances = Counter(int(p.fields["stance"]) for p in _alice(day, "posture"))
    expected = {Stance(c).label: n for c, n in stances.items() if c != Stance.UNKNOWN}
    assert set(expected) == {"sitting", "standing"}  # the simulated day has both, and unknown
    assert stances[Stance.UNKNOWN] > 0
    counts = {}
    for query in _targets("Time sitting and standing"):
        for row in _rows(loaded, query):
            ((label, n),) = [(k, v) for k, v in row.items() if k != "time"]
            counts[label] = n
    assert counts == expected
    # bob's samples never count for alice
    bob = Counter(int(m.stance or 0) for m in day.other)
    got_bob = {}
    for query in _targets("Time sitting and standing"):
        for row in _rows(loaded, query, wearer=OTHER):
            got_bob.update({k: v for k, v in row.items() if k != "time"})
    assert got_bob == {Stance(c).label: n for c, n in bob.items() if c != Stance.UNKNOWN}


def test_episode_panels_match_the_events(loaded: InfluxDB1, day: SimDay) -> None:
    phases = Counter(e.phase.value for e in day.episodes)
    ended = [e for e in day.episodes if e.phase.value == "ended"]

    def stat(title: str) -> Any:
        (query,) = _targets(title)
        (row,) = _rows(loaded, query)
        return next(v for k, v in row.items() if k != "time")

    assert stat("Episodes") == phases["started"] >= 2
    assert stat("Alerted") == phases["alerted"] >= 1
    assert stat("Longest episode") == pytest.approx(max(e.duration_s or 0 for e in ended))
    (table_query,) = _targets("Ended episodes")
    table = _rows(loaded, table_query)
    assert sorted(r["start_s"] for r in table) == pytest.approx(sorted(e.start_s for e in ended))
    (per_interval,) = _targets("Episodes per interval")
    assert sum(r["count"] for r in _rows(loaded, per_interval)) == phases["started"]


def test_alert_prompt_and_adherence_panels(loaded: InfluxDB1, day: SimDay) -> None:
    kinds = Counter(type(m).__name__ for m in day.events)
    (alerts,) = _targets("Alerts")
    by_outcome = Counter()
    for row in _rows(loaded, alerts):
        by_outcome[row["outcome"]] += row["count"]
    assert by_outcome == {
        "buzzed": kinds["AlertMessage"],
        "suppressed": kinds["SuppressedMessage"],
    }
    (prompts,) = _targets("Prompts")
    assert sum(r["count"] for r in _rows(loaded, prompts)) == kinds["PromptMessage"]
    answers = Counter(m.answer.value for m in day.events if type(m).__name__ == "AnswerMessage")
    got: Counter[str] = Counter()
    for query in _targets("Answers to prompts"):
        for row in _rows(loaded, query):
            got.update({k: v for k, v in row.items() if k != "time"})
    assert got == answers


def test_link_panels(loaded: InfluxDB1, day: SimDay) -> None:
    (battery,) = _targets("Battery")
    rows = _rows(loaded, battery, interval="1h")
    assert [r["battery_pct"] for r in rows] == [day.states[-1].battery_pct]
    (age,) = _targets("Data age")
    (row,) = _rows(loaded, age, interval="1h")
    assert row["data_age_s"] == pytest.approx(max(s.data_age_s or 0 for s in day.states))
    (connected,) = _targets("Connected")
    assert {r["connected"] for r in _rows(loaded, connected)} == {1}


# -- the generator itself -----------------------------------------------------------------------


def test_generator_cli_writes_and_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert grafana_main(["--check", str(GRAFANA_DIR)]) == 0
    assert grafana_main(["--check", str(tmp_path)]) == 1
    assert "differ from the generator" in capsys.readouterr().out
    assert grafana_main([str(tmp_path)]) == 0
    assert grafana_main(["--check", str(tmp_path)]) == 0
    for name in generated_files():
        assert (tmp_path / name).read_bytes() == (GRAFANA_DIR / name).read_bytes()


def test_queries_are_checked_against_the_schema() -> None:
    with pytest.raises(SchemaMismatchError, match="no field 'slouch_deg'"):
        field_ref("posture", "slouch_deg")
    with pytest.raises(SchemaMismatchError, match="no tag 'move'"):
        tag_ref("posture", Tag.MOVE)
    with pytest.raises(SchemaMismatchError, match="no code labelled 'great'"):
        code_of("band", "great")
    assert generated_files() == generated_files()  # pure and deterministic
