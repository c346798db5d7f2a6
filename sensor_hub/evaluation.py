"""Scoring the processing core against a simulator's ground truth (pure functions).

Used by ``bench/bench_scenarios.py`` and the tests; the same rules an independent check would
apply to ``posture-hub analyze`` output:

* **flexion RMSE**: over every sample (and separately over upright samples);
* **recall**: a true episode counts as found when an alerted episode overlaps it;
* **false alerts**: alerted episodes that overlap no true episode, per hour of data;
* **alert latency**: alert time minus the truth's ``start + hold``, per found episode;
* **inclination error** of an orientation against a reference (BROAD's metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sensor_hub.samples import FloatArray

__all__ = ["EpisodeSpan", "Score", "inclination_error_deg", "score"]


def inclination_error_deg(q_est: FloatArray, q_ref: FloatArray) -> FloatArray:
    """BROAD's metric, per sample: the tilt part of ``q_est ⊗ q_ref⁻¹`` (both w,x,y,z,
    sensor-to-Earth, z up), ``2·acos(√(e_w² + e_z²))`` in degrees, independent of heading."""
    w1, x1, y1, z1 = np.moveaxis(np.asarray(q_est, dtype=np.float64), -1, 0)
    w2, x2, y2, z2 = np.moveaxis(np.asarray(q_ref, dtype=np.float64), -1, 0)
    e_w = w1 * w2 + x1 * x2 + y1 * y2 + z1 * z2
    e_z = -w1 * z2 - x1 * y2 + y1 * x2 + z1 * w2
    return np.asarray(np.degrees(2.0 * np.arccos(np.clip(np.hypot(e_w, e_z), 0.0, 1.0))))


@dataclass(frozen=True, slots=True)
class EpisodeSpan:
    start_s: float
    end_s: float
    alert_s: float | None  # detected: when the alert fired; truth: when it is due


@dataclass(frozen=True, slots=True)
class Score:
    samples: int
    hours: float
    flexion_rmse_deg: float
    flexion_rmse_upright_deg: float
    lateral_rmse_upright_deg: float
    true_episodes: int
    found: int
    false_alerts: int
    latencies_s: tuple[float, ...]

    @property
    def recall(self) -> float:
        return self.found / self.true_episodes if self.true_episodes else 1.0

    @property
    def false_alerts_per_hour(self) -> float:
        return self.false_alerts / self.hours if self.hours else 0.0

    @property
    def max_latency_s(self) -> float:
        return max(self.latencies_s, default=0.0)


def _overlaps(a: EpisodeSpan, b: EpisodeSpan) -> bool:
    return a.start_s < b.end_s and b.start_s < a.end_s


def score(
    flexion_deg: FloatArray,
    lateral_deg: FloatArray,
    true_flexion_deg: FloatArray,
    true_lateral_deg: FloatArray,
    upright: np.ndarray,
    duration_s: float,
    detected: Sequence[EpisodeSpan],
    truth: Sequence[EpisodeSpan],
) -> Score:
    """Compare per-sample angles and episodes with the truth."""
    err = flexion_deg - true_flexion_deg
    lat_err = lateral_deg - true_lateral_deg
    alerted = [d for d in detected if d.alert_s is not None]
    latencies: list[float] = []
    found = 0
    for t in truth:
        hits = [d for d in alerted if _overlaps(d, t)]
        if hits:
            found += 1
            if t.alert_s is not None and hits[0].alert_s is not None:
                latencies.append(hits[0].alert_s - t.alert_s)
    false = sum(1 for d in alerted if not any(_overlaps(d, t) for t in truth))
    return Score(
        samples=int(err.shape[0]),
        hours=duration_s / 3600.0,
        flexion_rmse_deg=float(np.sqrt(np.mean(err**2))),
        flexion_rmse_upright_deg=float(np.sqrt(np.mean(err[upright] ** 2))),
        lateral_rmse_upright_deg=float(np.sqrt(np.mean(lat_err[upright] ** 2))),
        true_episodes=len(truth),
        found=found,
        false_alerts=false,
        latencies_s=tuple(latencies),
    )
