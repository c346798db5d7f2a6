"""The files ``posture-hub analyze`` writes, built by pure functions (golden-tested).

``angles.csv`` — one row per input sample, what the live pipeline knew at that sample::

    timestamp_s,flexion_deg,lateral_deg,activity,q_w,q_x,q_y,q_z,band,calibration,stance

``q_*`` is the sensor-to-Earth orientation (z up, heading arbitrary); ``activity`` is
``upright``, ``walking`` or ``lying``; ``band`` one of ``extended, neutral, mild, moderate,
severe``; ``calibration`` ``provisional`` (neutral window not complete), ``ok`` or ``stale``;
``stance`` ``unknown``, ``sitting`` or ``standing`` (added last: the columns before it keep
their order).

``events.json`` — ``{"format": "posture-events/1", "events": [...]}``, one entry per
episode: ``kind, start_s, alert_s (null if the alert never fired), end_s, peak_deg, mean_deg,
duration_s``, on the recording's time scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus
from sensor_hub.processing.detector import Episode
from sensor_hub.processing.pipeline import PostureBlock
from sensor_hub.processing.stance import Stance

__all__ = ["ANGLES_HEADER", "EVENTS_FORMAT", "angles_csv_rows", "events_document"]

ANGLES_HEADER = (
    "timestamp_s,flexion_deg,lateral_deg,activity,q_w,q_x,q_y,q_z,band,calibration,stance\n"
)
EVENTS_FORMAT = "posture-events/1"

_ROW = "%.6f,%.3f,%.3f,%s,%.6f,%.6f,%.6f,%.6f,%s,%s,%s\n"
_ACTIVITY = np.array([a.label for a in Activity], dtype=object)
_BAND = np.array([b.label for b in Band], dtype=object)
_CALIBRATION = np.array([c.label for c in CalibrationStatus], dtype=object)
_STANCE = np.array([s.label for s in Stance], dtype=object)


def angles_csv_rows(block: PostureBlock) -> str:
    """The ``angles.csv`` rows of a block (no header)."""
    n = len(block)
    if n == 0:
        return ""
    table = np.empty((n, 11), dtype=object)
    table[:, 0] = block.timestamp_s
    table[:, 1] = block.flexion_deg
    table[:, 2] = block.lateral_deg
    table[:, 3] = _ACTIVITY[block.activity]
    table[:, 4:8] = block.quat_wxyz
    table[:, 8] = _BAND[block.band]
    table[:, 9] = _CALIBRATION[block.calibration]
    table[:, 10] = _STANCE[block.stance]
    return (_ROW * n) % tuple(table.ravel().tolist())


def _num(x: float | None, digits: int) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def episode_record(e: Episode) -> dict[str, Any]:
    """One ``events.json`` entry."""
    return {
        "kind": e.kind,
        "start_s": _num(e.start_s, 6),
        "alert_s": _num(e.alert_s, 6),
        "end_s": _num(e.end_s, 6),
        "peak_deg": _num(e.peak_deg, 3),
        "mean_deg": _num(e.mean_deg, 3),
        "duration_s": _num(e.duration_s, 6),
    }


def events_document(episodes: Iterable[Episode]) -> dict[str, Any]:
    """The whole ``events.json`` document."""
    return {"format": EVENTS_FORMAT, "events": [episode_record(e) for e in episodes]}
