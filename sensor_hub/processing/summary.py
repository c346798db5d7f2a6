"""Time spent in each activity and band, and the episode count: a streaming accumulator.

Each sample stands for the time until the next one, capped at two sample periods so that a gap
in the data (sensor out of range) is not counted as posture.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus
from sensor_hub.processing.detector import Episode, EpisodeEvent, Phase
from sensor_hub.processing.pipeline import PostureBlock

__all__ = ["PostureSummary", "SummaryAccumulator"]


@dataclass(frozen=True, slots=True)
class PostureSummary:
    samples: int
    duration_s: float
    activity_s: dict[str, float]
    band_s: dict[str, float]  # upright time only
    episodes: tuple[Episode, ...]
    stale_from_s: float | None = None  # when the calibration stopped fitting (recalibrate)
    forward_axis: str | None = None  # where the forward axis came from (ForwardAxis value)
    mount_yaw_deg: float = 0.0  # the forward axis's turn from the case's, degrees

    @property
    def alerts(self) -> int:
        return sum(1 for e in self.episodes if e.alert_s is not None)

    def band_share(self) -> dict[str, float]:
        total = sum(self.band_s.values())
        return {k: (v / total if total > 0 else 0.0) for k, v in self.band_s.items()}


@dataclass(slots=True)
class SummaryAccumulator:
    sample_period_s: float
    samples: int = 0
    last_s: float | None = None
    activity_s: np.ndarray = field(default_factory=lambda: np.zeros(len(Activity)))
    band_s: np.ndarray = field(default_factory=lambda: np.zeros(len(Band)))
    episodes: list[Episode] = field(default_factory=list)
    stale_from_s: float | None = None

    def add(self, block: PostureBlock) -> None:
        n = len(block)
        if n:
            t = block.timestamp_s
            prev = np.concatenate(
                ([t[0] - self.sample_period_s if self.last_s is None else self.last_s], t[:-1])
            )
            dt = np.minimum(t - prev, 2.0 * self.sample_period_s)
            self.activity_s += np.bincount(block.activity, weights=dt, minlength=len(Activity))
            upright = block.activity == Activity.UPRIGHT
            self.band_s += np.bincount(
                block.band[upright], weights=dt[upright], minlength=len(Band)
            )
            self.samples += n
            stale = block.calibration == CalibrationStatus.STALE
            if self.stale_from_s is None and stale.any():
                self.stale_from_s = float(t[int(np.argmax(stale))])
            self.last_s = float(t[-1])
        self.add_events(block.events)

    def add_events(self, events: tuple[EpisodeEvent, ...]) -> None:
        self.episodes.extend(e.episode for e in events if e.phase is Phase.ENDED)

    def result(self) -> PostureSummary:
        return PostureSummary(
            samples=self.samples,
            duration_s=float(self.activity_s.sum()),
            activity_s={a.label: float(self.activity_s[a]) for a in Activity},
            band_s={b.label: float(self.band_s[b]) for b in Band},
            episodes=tuple(self.episodes),
            stale_from_s=self.stale_from_s,
        )
