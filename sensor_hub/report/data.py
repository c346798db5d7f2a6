"""What a report reads from the embedded store, for one wearer and one time range.

Only names from :mod:`sensor_hub.schema`.  The primary sensor is the lumbar one when it has
data, else the only one (as on the dashboards).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from sensor_hub.processing import Role
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.sqlite_store import SeriesFrame, SqliteReader
from sensor_hub.schema import CODE_TABLES, Measurement, Tag

__all__ = ["EpisodeRow", "RangeData", "load_range", "wearers"]

_POSTURE_FIELDS = ("flexion_deg", "activity", "band", "stance")
_EPISODE_FIELDS = ("start_s", "alert_s", "end_s", "duration_s", "peak_deg")


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """One ended (or, at the end of the range, still open) episode."""

    kind: str
    start_s: float
    alert_s: float | None
    end_s: float | None
    duration_s: float | None
    peak_deg: float | None

    @property
    def alerted(self) -> bool:
        return self.alert_s is not None


@dataclass(frozen=True, slots=True)
class RangeData:
    """The primary sensor's telemetry and the wearer's events in ``[start_ns, end_ns)``."""

    wearer: str
    sensor: str | None
    start_ns: int
    end_ns: int
    time_s: NDArray[np.float64]
    flexion_deg: NDArray[np.float64]
    activity: NDArray[np.int64]
    band: NDArray[np.int64]
    stance: NDArray[np.int64]  # Stance codes (unknown where the hub sent none)
    episodes: tuple[EpisodeRow, ...]
    alerts: Mapping[str, int] = field(default_factory=dict)  # outcome -> count
    prompts: int = 0
    answers: Mapping[str, int] = field(default_factory=dict)  # answer label -> count
    response_s: tuple[float, ...] = ()

    @property
    def empty(self) -> bool:
        return len(self.time_s) == 0 and not self.episodes


def wearers(reader: SqliteReader) -> list[str]:
    """Every wearer with telemetry in the store."""
    return sorted({s.wearer for s in reader.series(Measurement.POSTURE.value)})


def _primary(frames: Sequence[SeriesFrame]) -> SeriesFrame | None:
    by_sensor = {f.tags.get(Tag.SENSOR.value, ""): f for f in frames if len(f.time_ns)}
    if Role.LUMBAR.value in by_sensor:
        return by_sensor[Role.LUMBAR.value]
    return next(iter(by_sensor.values())) if len(by_sensor) == 1 else None


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _episodes(
    reader: SqliteReader, wearer: str, sensor: str | None, start: int, end: int
) -> tuple[EpisodeRow, ...]:
    frames = reader.query(
        Measurement.EPISODE.value, _EPISODE_FIELDS, wearer=wearer, start_ns=start, end_ns=end
    )
    latest: dict[tuple[str, float], tuple[int, EpisodeRow]] = {}
    order = {"started": 0, "alerted": 1, "ended": 2}
    for frame in frames:
        if sensor is not None and frame.tags.get(Tag.SENSOR.value) != sensor:
            continue
        kind = frame.tags.get(Tag.KIND.value, "")
        rank = order.get(frame.tags.get(Tag.PHASE.value, ""), 0)
        v = frame.values
        for i in range(len(frame.time_ns)):
            row = EpisodeRow(
                kind,
                float(v["start_s"][i]),
                _optional(v["alert_s"][i]),
                _optional(v["end_s"][i]),
                _optional(v["duration_s"][i]),
                _optional(v["peak_deg"][i]),
            )
            key = (kind, row.start_s)
            if key not in latest or latest[key][0] <= rank:
                latest[key] = (rank, row)
    return tuple(sorted((row for _, row in latest.values()), key=lambda r: r.start_s))


def _count_by_tag(
    reader: SqliteReader,
    measurement: str,
    field_name: str,
    tag: str,
    wearer: str,
    start: int,
    end: int,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for frame in reader.query(measurement, field_name, wearer=wearer, start_ns=start, end_ns=end):
        key = frame.tags.get(tag, "")
        counts[key] = counts.get(key, 0) + int(
            np.count_nonzero(~np.isnan(frame.values[field_name]))
        )
    return counts


def load_range(reader: SqliteReader, wearer: str, start_ns: int, end_ns: int) -> RangeData:
    """Everything a report needs about ``wearer`` in ``[start_ns, end_ns)``."""
    frames = reader.query(
        Measurement.POSTURE.value, _POSTURE_FIELDS, wearer=wearer, start_ns=start_ns, end_ns=end_ns
    )
    frame = _primary(frames)
    sensor = None if frame is None else frame.tags.get(Tag.SENSOR.value)
    if frame is None:
        t = np.empty(0)
        flexion = np.empty(0)
        activity = band = stance = np.empty(0, np.int64)
    else:
        ok = ~(np.isnan(frame.values["activity"]) | np.isnan(frame.values["band"]))
        t = frame.time_ns[ok] / 1e9
        flexion = frame.values["flexion_deg"][ok]
        activity = frame.values["activity"][ok].astype(np.int64)
        band = frame.values["band"][ok].astype(np.int64)
        stance = np.nan_to_num(frame.values["stance"][ok], nan=Stance.UNKNOWN).astype(np.int64)
    alerts = _count_by_tag(
        reader, Measurement.ALERT.value, "count", Tag.OUTCOME.value, wearer, start_ns, end_ns
    )
    prompts = sum(
        _count_by_tag(
            reader, Measurement.PROMPT.value, "prompted", Tag.MOVE.value, wearer, start_ns, end_ns
        ).values()
    )
    answer_codes = CODE_TABLES["answer"]
    answers: dict[str, int] = {}
    response: list[float] = []
    for f in reader.query(
        Measurement.ADHERENCE.value,
        ("answer", "response_s"),
        wearer=wearer,
        start_ns=start_ns,
        end_ns=end_ns,
    ):
        for code in f.values["answer"][~np.isnan(f.values["answer"])]:
            label = answer_codes.get(int(code), str(int(code)))
            answers[label] = answers.get(label, 0) + 1
        response += [float(x) for x in f.values["response_s"] if not np.isnan(x)]
    return RangeData(
        wearer=wearer,
        sensor=sensor,
        start_ns=start_ns,
        end_ns=end_ns,
        time_s=t,
        flexion_deg=flexion,
        activity=activity,
        band=band,
        stance=stance,
        episodes=_episodes(reader, wearer, sensor, start_ns, end_ns),
        alerts=MappingProxyType(alerts),
        prompts=prompts,
        answers=MappingProxyType(answers),
        response_s=tuple(response),
    )
