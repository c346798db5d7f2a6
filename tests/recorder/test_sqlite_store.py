"""The embedded SQLite store: round trip, idempotent replay, retention, day/week queries,
a reader on another thread while the recorder writes."""

from __future__ import annotations

import math
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from sensor_hub.recorder.point import Point
from sensor_hub.recorder.sqlite_store import (
    DAY_NS,
    HOUR_NS,
    SqliteReader,
    SqliteStore,
    StoreError,
)
from sensor_hub.recorder.writer import PointWriter
from tests.recorder.helpers import BASE_NS, STEP_NS, flexion_of, make_points

BASE_S = BASE_NS / 1e9


def _store(tmp_path: Path, now_s: float = BASE_S + 3600, **kw: object) -> SqliteStore:
    return SqliteStore(tmp_path / "store.db", clock=lambda: now_s, **kw)  # type: ignore[arg-type]


def test_round_trip_and_series(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        assert isinstance(store, PointWriter)
        store.write(make_points(500))
        store.write(make_points(200, sensor="pelvis"))
        assert store.points_written == 3 * 700
        (frame,) = store.query(
            "posture", ["flexion_deg", "state"], wearer="w1", tags={"sensor": "lumbar"}
        )
        assert dict(frame.tags) == {"wearer": "w1", "sensor": "lumbar"}
        assert frame.time_ns.tolist() == [BASE_NS + i * STEP_NS for i in range(500)]
        assert frame.values["flexion_deg"].tolist() == [flexion_of(i) for i in range(500)]
        assert frame.values["state"].tolist() == [i % 3 for i in range(500)]
        frames = store.query(
            "posture", "slouching", start_ns=BASE_NS + 100 * STEP_NS, end_ns=BASE_NS + 150 * STEP_NS
        )
        assert sorted(f.tags["sensor"] for f in frames) == ["lumbar", "pelvis"]
        assert all(len(f.time_ns) == 50 for f in frames)
        assert {s.field for s in store.series("posture", wearer="w1")} == {
            "flexion_deg",
            "state",
            "slouching",
        }
        assert store.series("posture", wearer="nobody") == []


def test_fields_are_aligned_with_nan_gaps(tmp_path: Path) -> None:
    tags = {"wearer": "w1"}
    with _store(tmp_path) as store:
        store.write(
            [
                Point("m", tags, {"a": 1.0, "b": 2}, BASE_NS),
                Point("m", tags, {"a": 3.0}, BASE_NS + 1),
            ]
        )
        (frame,) = store.query("m", ["a", "b", "missing"])
        assert frame.time_ns.tolist() == [BASE_NS, BASE_NS + 1]
        assert frame.values["a"].tolist() == [1.0, 3.0]
        assert frame.values["b"][0] == 2.0
        assert math.isnan(frame.values["b"][1])
        assert np.isnan(frame.values["missing"]).all()


def test_replay_overwrites(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        points = make_points(300)
        store.write(points)
        store.write(points)  # a replay
        newer = [
            Point(p.measurement, p.tags, {**p.fields, "flexion_deg": 99.0}, p.time_ns)
            for p in points[:10]
        ]
        store.write(newer)
        (frame,) = store.query("posture", "flexion_deg")
        assert len(frame.time_ns) == 300
        assert frame.values["flexion_deg"][:10].tolist() == [99.0] * 10
        assert frame.values["flexion_deg"][10:].tolist() == [flexion_of(i) for i in range(10, 300)]


def test_retention_on_open_and_during_writes(tmp_path: Path) -> None:
    now = [BASE_S + 10 * 86400]
    old = Point("m", {"wearer": "w1"}, {"v": 1.0}, BASE_NS)  # 10 days old
    recent = Point("m", {"wearer": "w1"}, {"v": 2.0}, BASE_NS + 9 * DAY_NS)
    store = SqliteStore(tmp_path / "s.db", retention_days=None, clock=lambda: now[0])
    store.write([old, recent])
    store.close()
    store = SqliteStore(
        tmp_path / "s.db", retention_days=7, prune_interval_s=60, clock=lambda: now[0]
    )
    assert store.points_pruned == 1  # on open
    assert [v.value for v in store.latest("m", "v")] == [2.0]
    now[0] += 3 * 86400  # day 13: "recent" (day 9) is 4 days old, kept
    store.write([Point("m", {"wearer": "w1"}, {"v": 3.0}, BASE_NS + 13 * DAY_NS)])
    now[0] += 5 * 86400  # day 18: "recent" is 9 days old, pruned by the next write
    store.write([Point("m", {"wearer": "w1"}, {"v": 4.0}, BASE_NS + 18 * DAY_NS)])
    (frame,) = store.query("m", "v")
    assert frame.values["v"].tolist() == [3.0, 4.0]
    assert store.points_pruned == 2
    store.close()


def test_day_and_week_summaries(tmp_path: Path) -> None:
    points = []
    for hour in range(24):
        for k in range(10):  # 10 points an hour, state 2 in the first 3 of each
            t = BASE_NS + hour * HOUR_NS + k * 60_000_000_000
            points.append(
                Point(
                    "posture",
                    {"wearer": "w1", "sensor": "lumbar"},
                    {"flexion_deg": float(hour), "state": 2 if k < 3 else 0},
                    t,
                )
            )
    points.append(
        Point(
            "posture",
            {"wearer": "w2", "sensor": "lumbar"},
            {"flexion_deg": 50.0, "state": 2},
            BASE_NS,
        )
    )
    with _store(tmp_path) as store:
        store.write(points)
        day = store.day_summary("posture", "flexion_deg", wearer="w1", day_start_ns=BASE_NS)
        assert day.start_ns.tolist() == [BASE_NS + h * HOUR_NS for h in range(24)]
        assert day.count.tolist() == [10] * 24
        assert day.mean.tolist() == [float(h) for h in range(24)]
        state = store.day_summary(
            "posture", "state", wearer="w1", day_start_ns=BASE_NS, codes=[2, 0]
        )
        assert state.share[2.0].tolist() == [0.3] * 24
        assert state.share[0.0].tolist() == [0.7] * 24
        week = store.week_summary(
            "posture",
            "state",
            wearer="w1",
            week_start_ns=BASE_NS,
            codes=[2],
            tags={"sensor": "lumbar"},
        )
        assert week.count.tolist() == [240, 0, 0, 0, 0, 0, 0]
        assert week.share[2.0][0] == pytest.approx(0.3)
        assert np.isnan(week.share[2.0][1:]).all()
        assert np.isnan(week.mean[1:]).all()
        assert week.maximum[0] == 2.0
        assert week.minimum[0] == 0.0


def test_reader_on_another_thread_sees_whole_batches(tmp_path: Path) -> None:
    store = _store(tmp_path, retention_days=None)
    store.write(make_points(1))
    reader = SqliteReader(tmp_path / "store.db")
    batches, batch = 60, 250
    errors: list[BaseException] = []

    def record() -> None:
        try:
            for b in range(batches):
                store.write(make_points(batch, start=1 + b * batch))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=record)
    writer.start()
    seen = []
    while writer.is_alive() or not seen:
        frames = reader.query("posture", "flexion_deg")
        seen.append(len(frames[0].time_ns))
    writer.join()
    assert errors == []
    assert all((n - 1) % batch == 0 for n in seen), "a reader saw part of a transaction"
    (frame,) = reader.query("posture", "flexion_deg")
    assert len(frame.time_ns) == 1 + batches * batch
    with pytest.raises(sqlite3.OperationalError):
        reader._conn.execute("DELETE FROM points")  # a query-only connection
    reader.close()
    store.close()


def test_errors_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SqliteReader(tmp_path / "missing.db")
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError):
        SqliteStore(tmp_path / "file" / "store.db")
    store = _store(tmp_path)
    store.close()
    with pytest.raises(StoreError):
        store.write(make_points(1))
    with pytest.raises(ValueError, match="summary"):
        _store(tmp_path).summary("m", "v", start_ns=1, end_ns=1, bucket_ns=1)
