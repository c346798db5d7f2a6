"""Scenario timelines as data: channels of minimum-jerk moves, labelled segments and items.

A wearer's slow motion is described by seven channels, each a :class:`Track` of knots joined
by minimum-jerk moves (``s = 10u³ − 15u⁴ + 6u⁵``: zero velocity and acceleration at both
ends, so every transition is smooth): the segment's inclination ``theta_deg`` (forward
positive), lateral bend ``phi_deg`` (toward the right positive) and ``heading_deg`` (about
world up, counter-clockwise seen from above), the hip's local displacement ``hip_*_m`` (world
axes: x forward at heading 0, y left, z up) and the walking speed ``speed_mps``.  Walking's
progression, gait oscillations and postural sway are added on top by :mod:`.body`.

:class:`TimelineBuilder` assembles a timeline action by action: ``move`` schedules a channel's
transition, ``advance`` closes a labelled segment, ``item`` records a span that must or must
not alert.  Angles given to the builder as *relative* are relative to the neutral posture's
inclination (what the truth's flexion measures); ``theta_abs`` values are absolute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sensor_hub.samples import FloatArray

__all__ = [
    "CHANNELS",
    "BuilderMark",
    "PlannedItem",
    "Posture",
    "Segment",
    "Timeline",
    "TimelineBuilder",
    "Track",
    "Wearer",
]

Posture = Literal["sitting", "standing", "lying", "walking", "transition"]
Activity = Literal["upright", "walking", "lying"]

#: The channels of a timeline, with their units in the names.
CHANNELS: tuple[str, ...] = (
    "theta_deg",
    "phi_deg",
    "heading_deg",
    "hip_x_m",
    "hip_y_m",
    "hip_z_m",
    "speed_mps",
)


@dataclass(frozen=True, eq=False, slots=True)
class Track:
    """One channel: knots ``(time_s, value)`` joined by minimum-jerk moves, constant outside."""

    time_s: FloatArray
    value: FloatArray

    def evaluate(self, t_s: FloatArray) -> FloatArray:
        """The channel at times ``t_s`` (any shape)."""
        if len(self.time_s) == 1:
            return np.full(np.shape(t_s), float(self.value[0]))
        i = np.clip(np.searchsorted(self.time_s, t_s, side="right") - 1, 0, len(self.time_s) - 2)
        t0, t1 = self.time_s[i], self.time_s[i + 1]
        v0, v1 = self.value[i], self.value[i + 1]
        span = t1 - t0
        u = np.clip((t_s - t0) / np.where(span > 0.0, span, 1.0), 0.0, 1.0)
        s = u * u * u * (10.0 + u * (-15.0 + 6.0 * u))
        return np.asarray(v0 + (v1 - v0) * s, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Segment:
    """A labelled span of the timeline (the segments tile it without gaps)."""

    label: str
    start_s: float
    end_s: float
    activity: Activity
    posture: Posture


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A span that must alert (``episode``) or must not (a decoy of some ``kind``)."""

    kind: str
    start_s: float
    end_s: float
    episode: bool


@dataclass(frozen=True, slots=True)
class Wearer:
    """The wearer: absolute inclinations (deg, forward positive) of the segment when upright
    in each posture, the neutral posture and the walking speed."""

    sitting_deg: float
    standing_deg: float
    neutral_posture: Literal["sitting", "standing"]
    walking_speed_mps: float

    @property
    def neutral_deg(self) -> float:
        """Inclination of the neutral posture, the zero of the truth's flexion."""
        return self.sitting_deg if self.neutral_posture == "sitting" else self.standing_deg

    def upright_rel_deg(self, posture: str) -> float:
        """Upright inclination in ``posture`` relative to neutral."""
        absolute = self.sitting_deg if posture == "sitting" else self.standing_deg
        return absolute - self.neutral_deg


@dataclass(frozen=True, eq=False, slots=True)
class Timeline:
    """A finished scenario timeline."""

    tracks: dict[str, Track]
    segments: tuple[Segment, ...]
    items: tuple[PlannedItem, ...]
    duration_s: float


@dataclass(frozen=True, slots=True)
class BuilderMark:
    """Where a :class:`TimelineBuilder` stood (see :meth:`TimelineBuilder.mark`)."""

    now_s: float
    posture: Posture
    last_above: float
    knots: dict[str, int]
    segments: int
    items: int


class TimelineBuilder:
    """Build a :class:`Timeline` action by action (see the module docstring)."""

    def __init__(self, wearer: Wearer) -> None:
        self.wearer = wearer
        self.now_s = 0.0
        self.posture: Posture = wearer.neutral_posture
        self.last_above_end_s = -math.inf
        initial = dict.fromkeys(CHANNELS, 0.0)
        initial["theta_deg"] = wearer.neutral_deg
        self._knots: dict[str, tuple[list[float], list[float]]] = {
            name: ([0.0], [value]) for name, value in initial.items()
        }
        self.segments: list[Segment] = []
        self.items: list[PlannedItem] = []

    # -- channels ----------------------------------------------------------------------------

    def value(self, channel: str) -> float:
        """The channel's value after its last scheduled move."""
        return self._knots[channel][1][-1]

    def rel_deg(self) -> float:
        """Current inclination relative to neutral."""
        return self.value("theta_deg") - self.wearer.neutral_deg

    def move(self, channel: str, start_s: float, end_s: float, target: float) -> None:
        """Move ``channel`` to ``target`` over ``[start_s, end_s]`` (absolute times)."""
        times, values = self._knots[channel]
        if start_s < times[-1] - 1e-9 or end_s <= start_s:
            raise ValueError(
                f"{channel}: move [{start_s:.3f}, {end_s:.3f}] overlaps the last knot "
                f"at {times[-1]:.3f} or is empty"
            )
        if start_s > times[-1]:
            times.append(start_s)
            values.append(values[-1])
        times.append(end_s)
        values.append(float(target))

    def lean(self, start_s: float, end_s: float, rel_deg: float) -> None:
        """Move the inclination to ``rel_deg`` relative to neutral."""
        self.move("theta_deg", start_s, end_s, self.wearer.neutral_deg + rel_deg)

    def hip_shift(self, start_s: float, end_s: float, forward_m: float, up_m: float) -> None:
        """Shift the hip ``forward_m`` along the current heading and ``up_m`` up."""
        heading = math.radians(self.value("heading_deg"))
        self.move("hip_x_m", start_s, end_s, self.value("hip_x_m") + forward_m * math.cos(heading))
        self.move("hip_y_m", start_s, end_s, self.value("hip_y_m") + forward_m * math.sin(heading))
        self.move("hip_z_m", start_s, end_s, self.value("hip_z_m") + up_m)

    # -- labels ------------------------------------------------------------------------------

    def advance(
        self, label: str, duration_s: float, activity: Activity, posture: Posture | None = None
    ) -> float:
        """Close a segment of ``duration_s`` starting now; returns its start time."""
        if duration_s <= 0.0:
            raise ValueError(f"segment {label!r} needs a positive duration, got {duration_s}")
        start = self.now_s
        self.now_s = start + duration_s
        self.segments.append(Segment(label, start, self.now_s, activity, posture or self.posture))
        return start

    def item(self, kind: str, start_s: float, *, episode: bool = False) -> None:
        """Record an item from ``start_s`` to now."""
        self.items.append(PlannedItem(kind, start_s, self.now_s, episode))

    # -- snapshots and result ----------------------------------------------------------------

    def mark(self) -> BuilderMark:
        """A cheap bookmark to :meth:`rewind` to when an action must be undone."""
        return BuilderMark(
            self.now_s,
            self.posture,
            self.last_above_end_s,
            {name: len(times) for name, (times, _) in self._knots.items()},
            len(self.segments),
            len(self.items),
        )

    def rewind(self, mark: BuilderMark) -> None:
        """Undo everything added since ``mark`` (everything is append-only)."""
        self.now_s, self.posture, self.last_above_end_s = mark.now_s, mark.posture, mark.last_above
        for name, (times, values) in self._knots.items():
            del times[mark.knots[name] :], values[mark.knots[name] :]
        del self.segments[mark.segments :], self.items[mark.items :]

    def build(self) -> Timeline:
        """The finished timeline, ending now."""
        tracks = {
            name: Track(np.array(times, dtype=np.float64), np.array(values, dtype=np.float64))
            for name, (times, values) in self._knots.items()
        }
        for name, track in tracks.items():
            if track.time_s[-1] > self.now_s + 1e-9:
                raise ValueError(f"{name} moves past the end of the timeline")
        return Timeline(tracks, tuple(self.segments), tuple(self.items), self.now_s)
