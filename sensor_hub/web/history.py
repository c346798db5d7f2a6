"""A wearer's days from the embedded store, as JSON for the dashboard and CSV for export.

Days are local days (``tz``: the wearer's, by default the host's): from one midnight to the
next, 23 or 25 hours across a DST change.  Everything is computed from the store's points as
the recorder wrote them (names from :mod:`sensor_hub.schema`):

* **time** — each telemetry sample (``posture`` measurement) stands for the time until the next
  one, at most :data:`MAX_SAMPLE_S` (a longer gap is time without data);
* **band shares** — time in each band while *upright* (sitting or standing; walking and lying
  are reported separately: their angles are not a sitting posture);
* **posture score** — the share of upright time in the *neutral* or *mild* band (−10° to 20° of
  flexion from the wearer's calibrated neutral), 0–100; ``null`` with less than
  :data:`MIN_SCORE_S` of upright time;
* **episodes** — from the ``episode`` measurement, one per (sensor, kind, start), with whether
  it alerted, its duration and peak;
* **prompts and adherence** — ``prompt`` points and ``adherence`` answers (done/skip/snooze),
  when the store has them; an ``alert`` measurement (the policy's buzzes) is counted if present.

The store is read through :class:`~sensor_hub.recorder.sqlite_store.SqliteReader`, opened on
first use (the recorder may create the file after the dashboard starts); these functions block,
so the web handlers call them in a thread.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.config import Role
from sensor_hub.recorder.sqlite_store import SeriesFrame, SeriesInfo, SqliteReader
from sensor_hub.schema import CODE_TABLES, Measurement, Outcome, Tag

__all__ = [
    "MAX_SAMPLE_S",
    "MIN_SCORE_S",
    "SCORE_DEFINITION",
    "TIMELINE_BUCKET_S",
    "DayWindow",
    "History",
    "HistoryError",
    "day_window",
    "parse_day",
]

JsonObject = dict[str, object]

#: Longest time one telemetry sample stands for; a longer gap is time without data.
MAX_SAMPLE_S: Final = 2.0
#: Upright time a day needs before it gets a score.
MIN_SCORE_S: Final = 300.0
#: Width of one cell of the day timeline.
TIMELINE_BUCKET_S: Final = 60
TREND_DAYS: Final = 7
GOOD_BANDS: Final = (Band.NEUTRAL, Band.MILD)
SCORE_DEFINITION: Final = (
    "share of upright (sitting or standing) time with the lumbar flexion in the neutral or "
    "mild band (-10 to 20 degrees from the calibrated neutral), 0-100"
)
#: Timeline cell codes beyond the band codes (0-4).
NO_DATA: Final = -1
WALKING_CELL: Final = 5
LYING_CELL: Final = 6
_ALERT_MEASUREMENT: Final = "alert"  # the alert policy's buzzes, when the recorder stores them
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_TELEMETRY_FIELDS: Final = (
    "flexion_deg",
    "lateral_deg",
    "relative_flexion_deg",
    "activity",
    "band",
    "calibration",
)
_DAY_FIELDS: Final = ("flexion_deg", "activity", "band")
_EPISODE_FIELDS: Final = ("start_s", "alert_s", "end_s", "duration_s", "peak_deg", "mean_deg")


class HistoryError(ValueError):
    """A request the history cannot answer (bad day, unknown sensor): a client error."""


@dataclass(frozen=True, slots=True)
class DayWindow:
    day: date
    start_s: float  # local midnight, Unix seconds
    end_s: float  # the next local midnight

    @property
    def start_ns(self) -> int:
        return round(self.start_s * 1e9)

    @property
    def end_ns(self) -> int:
        return round(self.end_s * 1e9)


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` -> date; :class:`HistoryError` otherwise."""
    if not _DAY.fullmatch(text):
        raise HistoryError(f"bad day {text[:40]!r}: expected YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise HistoryError(f"bad day {text!r}: {exc}") from None


def day_window(day: date, tz: tzinfo) -> DayWindow:
    """The local day ``day`` in ``tz`` as Unix seconds (wall-clock midnights: DST-safe)."""
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return DayWindow(day, start.timestamp(), end.timestamp())


def _weights(time_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Seconds each sample stands for (until the next one, at most MAX_SAMPLE_S)."""
    if len(time_s) == 0:
        return np.zeros(0)
    gaps = np.diff(time_s)
    typical = float(np.median(gaps)) if len(gaps) else 0.2
    weights: NDArray[np.float64] = np.minimum(np.append(gaps, typical), MAX_SAMPLE_S)
    return weights


def _labels(field: str) -> Mapping[int, str]:
    return CODE_TABLES[field]


@dataclass(frozen=True, slots=True)
class _Samples:
    time_s: NDArray[np.float64]
    weight_s: NDArray[np.float64]
    flexion_deg: NDArray[np.float64]
    activity: NDArray[np.float64]
    band: NDArray[np.float64]

    @classmethod
    def of(cls, frame: SeriesFrame | None) -> _Samples:
        if frame is None:
            empty = np.zeros(0)
            return cls(empty, empty, empty, empty, empty)
        t = frame.time_ns.astype(np.float64) / 1e9
        return cls(
            t,
            _weights(t),
            frame.values["flexion_deg"],
            frame.values["activity"],
            frame.values["band"],
        )

    @property
    def upright(self) -> NDArray[np.bool_]:
        upright: NDArray[np.bool_] = self.activity == int(Activity.UPRIGHT)
        return upright


def _score(samples: _Samples) -> tuple[float | None, float]:
    """The day's posture score and its upright seconds."""
    upright = samples.upright
    upright_s = float(samples.weight_s[upright].sum())
    if upright_s < MIN_SCORE_S:
        return None, upright_s
    good = upright & np.isin(samples.band, [int(b) for b in GOOD_BANDS])
    return round(100.0 * float(samples.weight_s[good].sum()) / upright_s, 1), upright_s


class HistoryReader(Protocol):
    """What the history reads a store through: the embedded store's
    :class:`~sensor_hub.recorder.sqlite_store.SqliteReader` or InfluxDB's
    :class:`~sensor_hub.recorder.influxql.InfluxQLReader`."""

    def series(
        self,
        measurement: str | None = None,
        *,
        field: str | None = None,
        wearer: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesInfo]: ...

    def query(
        self,
        measurement: str,
        fields: str | Sequence[str],
        *,
        wearer: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> list[SeriesFrame]: ...

    def close(self) -> None: ...


class History:
    """Day and trend queries over the store at ``store_path`` (absent: days without data), or
    over ``reader`` when given (InfluxDB through InfluxQL)."""

    def __init__(
        self, store_path: Path, tz: tzinfo, *, reader: HistoryReader | None = None
    ) -> None:
        self.store_path = store_path
        self.tz = tz
        self._reader: HistoryReader | None = reader
        self._lock = threading.Lock()
        self._scores: dict[tuple[str, str, date], tuple[float | None, float]] = {}

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _open(self) -> HistoryReader | None:
        with self._lock:
            if self._reader is None and self.store_path.exists():
                self._reader = SqliteReader(self.store_path)
            return self._reader

    # -- queries ------------------------------------------------------------------------------

    def sensors(self, wearer: str) -> list[str]:
        """Roles with telemetry in the store, lumbar first."""
        reader = self._open()
        if reader is None:
            return []
        found = {
            s.tags.get(Tag.SENSOR.value, "")
            for s in reader.series(Measurement.POSTURE.value, wearer=wearer)
        }
        return [r.value for r in Role if r.value in found]

    def _sensor(self, wearer: str, sensor: str | None) -> str:
        known = self.sensors(wearer)
        if sensor is None:
            return known[0] if known else Role.LUMBAR.value
        if sensor not in {r.value for r in Role}:
            raise HistoryError(f"unknown sensor {sensor[:40]!r}: expected lumbar or pelvis")
        return sensor

    def _frame(
        self, wearer: str, sensor: str, window: DayWindow, fields: tuple[str, ...]
    ) -> SeriesFrame | None:
        reader = self._open()
        if reader is None:
            return None
        frames = reader.query(
            Measurement.POSTURE.value,
            list(fields),
            wearer=wearer,
            start_ns=window.start_ns,
            end_ns=window.end_ns,
            tags={Tag.SENSOR.value: sensor},
        )
        return frames[0] if frames else None

    def day(self, wearer: str, day: date, sensor: str | None = None) -> JsonObject:
        """The day view's data (see the module docstring and docs/dashboard.md)."""
        role = self._sensor(wearer, sensor)
        window = day_window(day, self.tz)
        samples = _Samples.of(self._frame(wearer, role, window, _DAY_FIELDS))
        score, upright_s = _score(samples)
        band_s = {
            label: float(samples.weight_s[samples.upright & (samples.band == code)].sum())
            for code, label in _labels("band").items()
        }
        activity_s = {
            label: float(samples.weight_s[samples.activity == code].sum())
            for code, label in _labels("activity").items()
        }
        return {
            "wearer": wearer,
            "day": day.isoformat(),
            "sensor": role,
            "sensors": self.sensors(wearer),
            "start_s": window.start_s,
            "end_s": window.end_s,
            "recorded_s": round(float(samples.weight_s.sum()), 1),
            "upright_s": round(upright_s, 1),
            "activity_s": {k: round(v, 1) for k, v in activity_s.items()},
            "band_s": {k: round(v, 1) for k, v in band_s.items()},
            "band_share": {
                k: (round(v / upright_s, 4) if upright_s > 0 else None) for k, v in band_s.items()
            },
            "score": score,
            "score_definition": SCORE_DEFINITION,
            "timeline": _timeline(samples, window),
            "episodes": self._episodes(wearer, window),
            "alerts": self._alerts(wearer, window),
            "prompts": self._prompts(wearer, window),
            "trend": self.trend(wearer, day, role),
        }

    def trend(self, wearer: str, day: date, sensor: str | None = None) -> list[JsonObject]:
        """Score and upright time of the :data:`TREND_DAYS` days ending with ``day``."""
        role = self._sensor(wearer, sensor)
        out: list[JsonObject] = []
        for back in range(TREND_DAYS - 1, -1, -1):
            each = day - timedelta(days=back)
            score, upright_s = self._day_score(wearer, role, each)
            out.append({"day": each.isoformat(), "score": score, "upright_s": round(upright_s, 1)})
        return out

    def _day_score(self, wearer: str, sensor: str, day: date) -> tuple[float | None, float]:
        key = (wearer, sensor, day)
        if key in self._scores:
            return self._scores[key]
        window = day_window(day, self.tz)
        result = _score(_Samples.of(self._frame(wearer, sensor, window, _DAY_FIELDS)))
        if window.end_s < datetime.now(self.tz).timestamp() - 3600:  # a closed day: keep it
            self._scores[key] = result
        return result

    def _episodes(self, wearer: str, window: DayWindow) -> JsonObject:
        reader = self._open()
        merged: dict[tuple[str, str, float], JsonObject] = {}
        frames = (
            []
            if reader is None
            else reader.query(
                Measurement.EPISODE.value,
                list(_EPISODE_FIELDS),
                wearer=wearer,
                start_ns=window.start_ns,
                end_ns=window.end_ns,
            )
        )
        for frame in frames:
            sensor = frame.tags.get(Tag.SENSOR.value, "")
            kind = frame.tags.get(Tag.KIND.value, "")
            phase = frame.tags.get(Tag.PHASE.value, "")
            for i in range(len(frame.time_ns)):
                row = {k: _finite(frame.values[k][i]) for k in _EPISODE_FIELDS}
                start = row["start_s"]
                if start is None:
                    continue
                item = merged.setdefault(
                    (sensor, kind, start),
                    {"sensor": sensor, "kind": kind, "start_s": start, "alerted": False},
                )
                item["alerted"] = bool(item["alerted"]) or (
                    phase != "started" and row["alert_s"] is not None
                )
                for key in ("alert_s", "end_s", "duration_s", "peak_deg", "mean_deg"):
                    if row[key] is not None and (phase == "ended" or key not in item):
                        item[key] = row[key]
        items = sorted(merged.values(), key=lambda e: float(str(e["start_s"])))
        durations = [float(str(e["duration_s"])) for e in items if e.get("duration_s") is not None]
        return {
            "count": len(items),
            "alerted": sum(1 for e in items if e["alerted"]),
            "longest_s": max(durations) if durations else None,
            "total_s": round(sum(durations), 1),
            "items": items,
        }

    def _alerts(self, wearer: str, window: DayWindow) -> JsonObject:
        """Buzzes and suppressed alerts (the recorder's ``alert`` points, by ``outcome``)."""
        reader = self._open()
        counts: dict[str, int | None] = {"buzzes": None, "suppressed": None}
        if reader is not None and reader.series(_ALERT_MEASUREMENT, wearer=wearer):
            for key, outcome in (("buzzes", Outcome.BUZZED), ("suppressed", Outcome.SUPPRESSED)):
                frames = reader.query(
                    _ALERT_MEASUREMENT,
                    ["count"],
                    wearer=wearer,
                    start_ns=window.start_ns,
                    end_ns=window.end_ns,
                    tags={Tag.OUTCOME.value: outcome.value},
                )
                counts[key] = sum(len(f.time_ns) for f in frames)
        return dict(counts)

    def _prompts(self, wearer: str, window: DayWindow) -> JsonObject:
        reader = self._open()
        if reader is None:
            return {"shown": 0, "answers": {}, "done_share": None, "moves": {}}
        moves: dict[str, int] = {}
        for frame in reader.query(
            Measurement.PROMPT.value,
            "prompted",
            wearer=wearer,
            start_ns=window.start_ns,
            end_ns=window.end_ns,
        ):
            move = frame.tags.get(Tag.MOVE.value, "?")
            moves[move] = moves.get(move, 0) + len(frame.time_ns)
        answers = dict.fromkeys(_labels("answer").values(), 0)
        for frame in reader.query(
            Measurement.ADHERENCE.value,
            "answer",
            wearer=wearer,
            start_ns=window.start_ns,
            end_ns=window.end_ns,
        ):
            for code in frame.values["answer"]:
                label = _labels("answer").get(int(code)) if np.isfinite(code) else None
                if label is not None:
                    answers[label] += 1
        shown = sum(moves.values())
        done = answers.get("done", 0)
        return {
            "shown": shown,
            "answers": answers,
            "done_share": round(done / shown, 4) if shown else None,
            "moves": moves,
        }

    # -- CSV ----------------------------------------------------------------------------------

    def csv_chunks(self, wearer: str, day: date, rows: int = 20_000) -> Iterator[str]:
        """The day's telemetry of every sensor as CSV text (header first, then ``rows`` lines
        at a time), in time order: local time, Unix seconds, sensor, the ``posture`` fields
        (codes as labels, unknown values empty)."""
        window = day_window(day, self.tz)
        frames = [
            (role, frame)
            for role in self.sensors(wearer)
            if (frame := self._frame(wearer, role, window, _TELEMETRY_FIELDS)) is not None
        ]
        yield ",".join(["time", "ts", "sensor", *_TELEMETRY_FIELDS]) + "\n"
        if not frames:
            return
        time_ns = np.concatenate([f.time_ns for _, f in frames])
        role_index = np.concatenate([np.full(len(f.time_ns), k) for k, (_, f) in enumerate(frames)])
        values = {n: np.concatenate([f.values[n] for _, f in frames]) for n in _TELEMETRY_FIELDS}
        order = np.lexsort((role_index, time_ns))
        names = [role for role, _ in frames]
        for first in range(0, len(order), rows):
            take = order[first : first + rows]
            columns = [
                _local_stamps(time_ns[take], window, self.tz),
                [f"{t / 1e9:.3f}" for t in time_ns[take].tolist()],
                [names[k] for k in role_index[take].tolist()],
                *(_cells(name, values[name][take]) for name in _TELEMETRY_FIELDS),
            ]
            yield "".join(",".join(row) + "\n" for row in zip(*columns, strict=True))


def _cells(name: str, column: NDArray[np.float64]) -> list[str]:
    """One CSV column: labels for coded fields, 2 decimals for numbers, empty when unknown."""
    if name in CODE_TABLES:
        table = CODE_TABLES[name]
        return [table.get(int(v), str(int(v))) if math.isfinite(v) else "" for v in column.tolist()]
    return [f"{v:.2f}" if math.isfinite(v) else "" for v in column.tolist()]


def _local_stamps(time_ns: NDArray[np.int64], window: DayWindow, tz: tzinfo) -> list[str]:
    """ISO 8601 local times with their UTC offset (looked up per minute: DST-safe)."""
    minute = ((time_ns - window.start_ns) // 60_000_000_000).astype(np.int64)
    minutes = int(minute.max()) + 1 if len(minute) else 0
    offsets_s = [
        datetime.fromtimestamp(window.start_s + 60 * m, tz).utcoffset() or timedelta()
        for m in range(minutes)
    ]
    shift_ns = np.array([round(o.total_seconds()) * 1_000_000_000 for o in offsets_s], np.int64)
    suffix = [_offset_text(o) for o in offsets_s]
    local = (time_ns + shift_ns[minute]).astype("datetime64[ns]").astype("datetime64[ms]")
    stamps = np.datetime_as_string(local, unit="ms").tolist()
    return [f"{s}{suffix[m]}" for s, m in zip(stamps, minute.tolist(), strict=True)]


def _offset_text(offset: timedelta) -> str:
    total = round(offset.total_seconds() / 60)
    sign = "-" if total < 0 else "+"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def _finite(value: np.float64) -> float | None:
    return float(value) if np.isfinite(value) else None


def _timeline(samples: _Samples, window: DayWindow) -> JsonObject:
    """Cells of TIMELINE_BUCKET_S over the day: the state that took most of each cell's time
    (band code 0-4 while upright, 5 walking, 6 lying, -1 no data) and the mean flexion."""
    n = int(np.ceil((window.end_s - window.start_s) / TIMELINE_BUCKET_S))
    cells = np.full(n, NO_DATA, dtype=np.int64)
    flexion: list[float | None] = [None] * n
    if len(samples.time_s):
        index = ((samples.time_s - window.start_s) // TIMELINE_BUCKET_S).astype(np.int64)
        index = np.clip(index, 0, n - 1)
        state = np.where(
            samples.activity == int(Activity.WALKING),
            WALKING_CELL,
            np.where(samples.activity == int(Activity.LYING), LYING_CELL, samples.band),
        )
        state = np.where(np.isfinite(state), state, NO_DATA).astype(np.int64)
        valid = state >= 0
        time_in = np.zeros((n, LYING_CELL + 1))
        np.add.at(time_in, (index[valid], state[valid]), samples.weight_s[valid])
        has = time_in.sum(axis=1) > 0
        cells[has] = np.argmax(time_in[has], axis=1)
        finite = np.isfinite(samples.flexion_deg)
        total = np.bincount(index[finite], samples.flexion_deg[finite], minlength=n)
        count = np.bincount(index[finite], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count
        flexion = [round(float(m), 1) if c else None for m, c in zip(mean, count, strict=True)]
    legend = {str(int(b)): b.label for b in Band}
    legend |= {str(WALKING_CELL): "walking", str(LYING_CELL): "lying", str(NO_DATA): "no data"}
    return {
        "bucket_s": TIMELINE_BUCKET_S,
        "cells": cells.tolist(),
        "flexion_deg": flexion,
        "legend": legend,
    }
