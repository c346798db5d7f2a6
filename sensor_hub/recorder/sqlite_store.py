"""The embedded store: points in one SQLite file, no server; what the built-in dashboard reads.

Schema (generic: it knows points, not posture):

- ``series(id, measurement, field, wearer, tags_json)``: one row per measurement, tag set and
  field (``tags_json`` is the canonical, key-sorted JSON of all tags; ``wearer`` is copied out of
  the ``wearer`` tag so the day/week queries find a wearer's series through an index);
- ``points(series_id, time_ns, value)``, ``PRIMARY KEY (series_id, time_ns)`` in a
  ``WITHOUT ROWID`` table: the key *is* the clustered index a time-range query of one series
  scans, and ``INSERT OR REPLACE`` on it makes every replay an idempotent overwrite.

Writes are batched, one transaction per :meth:`SqliteStore.write`, in WAL mode, so readers
never block the writer and see whole batches.  Retention: points older than
``retention_days`` are deleted on open and then at most every ``prune_interval_s`` during
writes (per series, along the primary key).

Threads: a :class:`SqliteStore` belongs to the recorder's writing thread (its methods are
serialised by a lock, so an occasional query from elsewhere is safe).  The dashboard reads
through its own :class:`SqliteReader` — a separate connection that only queries — which WAL
lets run while the recorder writes.  Each object's calls are serialised by its own lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from sensor_hub.recorder.point import FieldValue, Point

__all__ = [
    "DAY_NS",
    "HOUR_NS",
    "BucketSummary",
    "LatestValue",
    "SeriesFrame",
    "SeriesInfo",
    "SqliteReader",
    "SqliteStore",
    "StoreError",
]

HOUR_NS: Final = 3_600_000_000_000
DAY_NS: Final = 24 * HOUR_NS

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, "
    "field TEXT NOT NULL, wearer TEXT NOT NULL, tags_json TEXT NOT NULL, "
    "UNIQUE (measurement, field, tags_json))",
    "CREATE INDEX IF NOT EXISTS series_by_wearer ON series (wearer, measurement, field)",
    "CREATE TABLE IF NOT EXISTS points (series_id INTEGER NOT NULL, time_ns INTEGER NOT NULL, "
    "value NOT NULL, PRIMARY KEY (series_id, time_ns)) WITHOUT ROWID",
)


_CACHE_MAX: Final = 100_000
_ROW: Final = np.dtype([("time_ns", np.int64), ("value", np.float64)])


class StoreError(Exception):
    """The store file cannot be opened, read or written."""


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    series_id: int
    measurement: str
    field: str
    wearer: str
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SeriesFrame:
    """One tag set's fields on a common time axis (NaN where a field has no value then)."""

    measurement: str
    tags: Mapping[str, str]
    time_ns: NDArray[np.int64]
    values: Mapping[str, NDArray[np.float64]]


@dataclass(frozen=True, slots=True)
class LatestValue:
    tags: Mapping[str, str]
    time_ns: int
    value: float


@dataclass(frozen=True, slots=True)
class BucketSummary:
    """Per bucket ``[start_ns[i], start_ns[i] + bucket_ns)`` over all matching series:
    point count, mean/min/max (NaN when empty) and, per code, the share of points equal to it."""

    start_ns: NDArray[np.int64]
    bucket_ns: int
    count: NDArray[np.int64]
    mean: NDArray[np.float64]
    minimum: NDArray[np.float64]
    maximum: NDArray[np.float64]
    share: Mapping[float, NDArray[np.float64]]


def _tags_json(tags: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(tags.items())), separators=(",", ":"))


def _number(value: FieldValue) -> float | int:
    return int(value) if isinstance(value, bool) else value


class _Queries:
    """The read API, shared by the store and the reader (``self._conn`` under ``self._lock``)."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _fetch(self, sql: str, params: Sequence[object]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                msg = f"store query failed: {exc}"
                raise StoreError(msg) from exc

    def series(
        self,
        measurement: str | None = None,
        *,
        field: str | None = None,
        wearer: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesInfo]:
        """Series matching every given filter (``tags``: these pairs among the series' tags)."""
        where: list[str] = []
        params: list[object] = []
        for column, value in (("measurement", measurement), ("field", field), ("wearer", wearer)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        for key, value in (tags or {}).items():
            where.append("json_extract(tags_json, ?) = ?")
            params += [f'$."{key}"', value]
        sql = "SELECT id, measurement, field, wearer, tags_json FROM series"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [
            SeriesInfo(
                int(str(r[0])),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                MappingProxyType(json.loads(str(r[4]))),
            )
            for r in self._fetch(sql + " ORDER BY id", params)
        ]

    def query(
        self,
        measurement: str,
        fields: str | Sequence[str],
        *,
        wearer: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesFrame]:
        """Points in ``[start_ns, end_ns)``, one frame per tag set, fields as columns."""
        wanted = [fields] if isinstance(fields, str) else list(fields)
        by_tags: dict[str, list[SeriesInfo]] = {}
        for info in self.series(measurement, wearer=wearer, tags=tags):
            if info.field in wanted:
                by_tags.setdefault(_tags_json(info.tags), []).append(info)
        frames = []
        for infos in by_tags.values():
            columns = {i.field: self._points(i.series_id, start_ns, end_ns) for i in infos}
            axes = [t for t, _ in columns.values()]
            same = all(np.array_equal(axes[0], t) for t in axes[1:])
            time_ns = axes[0] if same else np.unique(np.concatenate(axes))
            values: dict[str, NDArray[np.float64]] = {}
            for name in wanted:
                column = np.full(len(time_ns), np.nan)
                if name in columns:
                    t, v = columns[name]
                    column[np.searchsorted(time_ns, t)] = v
                values[name] = column
            frames.append(
                SeriesFrame(measurement, infos[0].tags, time_ns, MappingProxyType(values))
            )
        return frames

    def latest(
        self,
        measurement: str,
        field: str,
        *,
        wearer: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[LatestValue]:
        """The newest point of each matching series."""
        out = []
        for info in self.series(measurement, field=field, wearer=wearer, tags=tags):
            rows = self._fetch(
                "SELECT time_ns, value FROM points WHERE series_id = ? "
                "ORDER BY time_ns DESC LIMIT 1",
                (info.series_id,),
            )
            if rows:
                out.append(LatestValue(info.tags, int(str(rows[0][0])), float(str(rows[0][1]))))
        return out

    def summary(
        self,
        measurement: str,
        field: str,
        *,
        start_ns: int,
        end_ns: int,
        bucket_ns: int,
        wearer: str | None = None,
        tags: Mapping[str, str] | None = None,
        codes: Iterable[float] = (),
    ) -> BucketSummary:
        """Aggregates of one field in buckets of ``bucket_ns`` from ``start_ns`` to ``end_ns``."""
        if bucket_ns <= 0 or end_ns <= start_ns:
            msg = f"bad summary range [{start_ns}, {end_ns}) / {bucket_ns}"
            raise ValueError(msg)
        code_list = [float(c) for c in codes]
        n = -(-(end_ns - start_ns) // bucket_ns)
        count = np.zeros(n, np.int64)
        mean, low, high = (np.full(n, np.nan) for _ in range(3))
        hits = np.zeros((len(code_list), n))
        ids = [i.series_id for i in self.series(measurement, field=field, wearer=wearer, tags=tags)]
        if ids:
            code_sql = "".join(", SUM(value = ?)" for _ in code_list)
            marks = ",".join("?" * len(ids))
            rows = self._fetch(
                f"SELECT (time_ns - ?) / ? AS b, COUNT(*), AVG(value), MIN(value), MAX(value)"  # noqa: S608
                f"{code_sql} FROM points WHERE series_id IN ({marks}) AND time_ns >= ? "
                "AND time_ns < ? GROUP BY b",
                [start_ns, bucket_ns, *code_list, *ids, start_ns, end_ns],
            )
            for row in rows:
                b = int(str(row[0]))
                count[b] = int(str(row[1]))
                mean[b], low[b], high[b] = (float(str(v)) for v in row[2:5])
                hits[:, b] = [float(str(v)) for v in row[5:]]
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = {
                c: np.where(count > 0, hits[k] / count, np.nan) for k, c in enumerate(code_list)
            }
        starts = start_ns + bucket_ns * np.arange(n, dtype=np.int64)
        return BucketSummary(starts, bucket_ns, count, mean, low, high, MappingProxyType(shares))

    def day_summary(
        self,
        measurement: str,
        field: str,
        *,
        wearer: str,
        day_start_ns: int,
        bucket_ns: int = HOUR_NS,
        tags: Mapping[str, str] | None = None,
        codes: Iterable[float] = (),
    ) -> BucketSummary:
        """One day from ``day_start_ns`` (the caller's local midnight), hourly by default."""
        return self.summary(
            measurement,
            field,
            start_ns=day_start_ns,
            end_ns=day_start_ns + DAY_NS,
            bucket_ns=bucket_ns,
            wearer=wearer,
            tags=tags,
            codes=codes,
        )

    def week_summary(
        self,
        measurement: str,
        field: str,
        *,
        wearer: str,
        week_start_ns: int,
        bucket_ns: int = DAY_NS,
        tags: Mapping[str, str] | None = None,
        codes: Iterable[float] = (),
    ) -> BucketSummary:
        """Seven days from ``week_start_ns``, daily by default."""
        return self.summary(
            measurement,
            field,
            start_ns=week_start_ns,
            end_ns=week_start_ns + 7 * DAY_NS,
            bucket_ns=bucket_ns,
            wearer=wearer,
            tags=tags,
            codes=codes,
        )

    def _points(
        self, series_id: int, start_ns: int | None, end_ns: int | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        params = (
            series_id,
            -(2**63) if start_ns is None else start_ns,
            2**63 - 1 if end_ns is None else end_ns,
        )
        with self._lock:
            try:
                cursor = self._conn.execute(
                    "SELECT time_ns, value FROM points WHERE series_id = ? AND time_ns >= ? "
                    "AND time_ns < ? ORDER BY time_ns",
                    params,
                )
                rows = np.fromiter(cursor, dtype=_ROW)
            except sqlite3.Error as exc:
                msg = f"store query failed: {exc}"
                raise StoreError(msg) from exc
        return rows["time_ns"].copy(), rows["value"].copy()


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=5000")
    except (sqlite3.Error, OSError) as exc:
        msg = f"cannot open store {path}: {exc}"
        raise StoreError(msg) from exc
    return conn


class SqliteStore(_Queries):
    """The writing side (one per file and process); also answers queries."""

    def __init__(
        self,
        path: Path,
        *,
        retention_days: float | None = 90.0,
        prune_interval_s: float = 3600.0,
        wearer_tag: str = "wearer",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_days is not None and retention_days <= 0:
            msg = f"retention_days must be positive, got {retention_days}"
            raise ValueError(msg)
        self.path = path
        self.retention_days = retention_days
        self.prune_interval_s = prune_interval_s
        self.wearer_tag = wearer_tag
        self.points_written = 0
        self.points_pruned = 0
        self._clock = clock
        self._lock = threading.RLock()
        self._conn = _connect(path)
        self._series_ids: dict[tuple[str, str, str], int] = {}
        self._tags_cache: dict[tuple[tuple[str, str], ...], str] = {}
        self._closed = False
        try:
            self._conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._conn.execute(statement)
        except sqlite3.Error as exc:
            msg = f"cannot create the schema in {path}: {exc}"
            raise StoreError(msg) from exc
        self._last_prune = -float("inf")
        self.prune()

    def write(self, points: Iterable[Point]) -> None:
        """Upsert the points in one transaction (same series, field and time: overwrite)."""
        with self._lock:
            if self._closed:
                msg = f"write on a closed store {self.path}"
                raise StoreError(msg)
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    rows = []
                    for p in points:
                        tags_json = self._tags_json(p.tags)
                        rows += [
                            (self._series_id(p, tags_json, name), p.time_ns, _number(v))
                            for name, v in p.fields.items()
                        ]
                    self._conn.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?)", rows)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    self._series_ids.clear()  # ids created in the rolled-back transaction
                    raise
            except sqlite3.Error as exc:
                msg = f"cannot write to store {self.path}: {exc}"
                raise StoreError(msg) from exc
            self.points_written += len(rows)
            if self._clock() - self._last_prune >= self.prune_interval_s:
                self.prune()

    def prune(self) -> int:
        """Delete points older than the retention; return how many values went."""
        with self._lock:
            now_s = self._clock()
            self._last_prune = now_s
            if self.retention_days is None:
                return 0
            cutoff_ns = int((now_s - self.retention_days * 86400.0) * 1e9)
            try:
                ids = [r[0] for r in self._conn.execute("SELECT id FROM series").fetchall()]
                before = self._conn.total_changes
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "DELETE FROM points WHERE series_id = ? AND time_ns < ?",
                    [(i, cutoff_ns) for i in ids],
                )
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                msg = f"cannot prune store {self.path}: {exc}"
                raise StoreError(msg) from exc
            removed = self._conn.total_changes - before
            self.points_pruned += removed
            return removed

    def flush(self, timeout_s: float | None = None) -> bool:
        """Writes are synchronous: nothing to wait for."""
        return True

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _tags_json(self, tags: Mapping[str, str]) -> str:
        key = tuple(tags.items())
        found = self._tags_cache.get(key)
        if found is None:
            if len(self._tags_cache) >= _CACHE_MAX:
                self._tags_cache.clear()
            found = self._tags_cache[key] = _tags_json(tags)
        return found

    def _series_id(self, point: Point, tags_json: str, field: str) -> int:
        key = (point.measurement, field, tags_json)
        found = self._series_ids.get(key)
        if found is not None:
            return found
        wearer = point.tags.get(self.wearer_tag, "")
        self._conn.execute(
            "INSERT OR IGNORE INTO series (measurement, field, wearer, tags_json) "
            "VALUES (?, ?, ?, ?)",
            (point.measurement, field, wearer, tags_json),
        )
        row = self._conn.execute(
            "SELECT id FROM series WHERE measurement = ? AND field = ? AND tags_json = ?", key
        ).fetchone()
        self._series_ids[key] = int(row[0])
        return int(row[0])


class SqliteReader(_Queries):
    """A query-only connection for another thread (the dashboard)."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            msg = f"no store at {path}"
            raise StoreError(msg)
        self.path = path
        self._lock = threading.RLock()
        self._conn = _connect(path)
        self._conn.execute("PRAGMA query_only=ON")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
