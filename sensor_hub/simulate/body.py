"""The wearer's body motion: timeline channels plus gait, sway and breathing, at any time.

Body orientation (body → world): ``R_WB = Rz(heading) · Ry(theta) · Rx(phi) · R0`` with
``R0 = Ry(−90°)`` (columns x_B up, y_B left, z_B backward, in world x forward, y left, z up).

While walking (``speed > 0``) an envelope ``e = speed / nominal speed`` scales the gait:
the hip bobs ``vertical_m · cos(2π f t)`` at the step frequency ``f``, sways
``lateral_m · sin(π f t)`` sideways at the stride frequency, surges ``surge_m · sin(2π f t)``
along the path, and the trunk pitches at the step frequency and rolls and twists at the stride
frequency.  Sway (a few slow sinusoids) and breathing are always on, a fraction of a degree.
The hip's progression along the path (speed × heading) is returned as a velocity, never
integrated: only its derivative matters to the accelerometer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sensor_hub.samples import FloatArray
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.trajectory import Timeline

__all__ = ["NEUTRAL_QUAT_WXYZ", "BodyMotion", "BodyState", "GaitParameters", "SwayParameters"]

#: ``R0 = Ry(−90°)``: the standing-vertical body orientation (body → world).
NEUTRAL_QUAT_WXYZ: FloatArray = np.array((math.sqrt(0.5), 0.0, -math.sqrt(0.5), 0.0))


@dataclass(frozen=True, slots=True)
class GaitParameters:
    """Walking: cadence, speed, hip oscillation amplitudes and trunk oscillations."""

    step_frequency_hz: float
    speed_mps: float
    vertical_m: float
    lateral_m: float
    surge_m: float
    pitch_deg: float
    roll_deg: float
    yaw_deg: float
    lean_deg: float
    phases_rad: tuple[float, float, float, float]

    @classmethod
    def draw(cls, rng: np.random.Generator, role: str, speed_mps: float) -> GaitParameters:
        """A plausible gait at ``speed_mps`` for a lumbar or sacral (``pelvis``) sensor."""
        pelvis = role == "pelvis"
        p = rng.uniform(0.0, 2 * math.pi, 4)
        return cls(
            step_frequency_hz=float(rng.uniform(1.8, 2.0)),
            speed_mps=speed_mps,
            vertical_m=float(rng.uniform(0.015, 0.025)),
            lateral_m=float(rng.uniform(0.008, 0.012)),
            surge_m=float(rng.uniform(0.006, 0.012)),
            pitch_deg=float(rng.uniform(1.5, 2.5) if pelvis else rng.uniform(1.0, 2.0)),
            roll_deg=float(rng.uniform(3.0, 5.0) if pelvis else rng.uniform(2.0, 3.5)),
            yaw_deg=float(rng.uniform(4.0, 6.0) if pelvis else rng.uniform(2.0, 4.0)),
            lean_deg=float(rng.uniform(0.5, 2.0) if pelvis else rng.uniform(3.0, 5.0)),
            phases_rad=(float(p[0]), float(p[1]), float(p[2]), float(p[3])),
        )


@dataclass(frozen=True, slots=True)
class SwayParameters:
    """Postural sway (three sinusoids per angle) and breathing."""

    frequencies_hz: tuple[tuple[float, ...], ...]
    amplitudes_deg: tuple[tuple[float, ...], ...]
    phases_rad: tuple[tuple[float, ...], ...]
    breathing_hz: float
    breathing_deg: float
    breathing_m: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> SwayParameters:
        """Sway of about 0.2–0.4° per angle (theta, phi, heading) and 0.1–0.2° of breathing."""
        shape = (3, 3)
        freqs = rng.uniform(0.03, 0.35, shape)
        amps = rng.uniform(0.05, 0.15, shape)
        phases = rng.uniform(0.0, 2 * math.pi, shape)
        return cls(
            frequencies_hz=tuple(tuple(float(v) for v in row) for row in freqs),
            amplitudes_deg=tuple(tuple(float(v) for v in row) for row in amps),
            phases_rad=tuple(tuple(float(v) for v in row) for row in phases),
            breathing_hz=float(rng.uniform(0.2, 0.3)),
            breathing_deg=float(rng.uniform(0.1, 0.2)),
            breathing_m=float(rng.uniform(0.001, 0.002)),
        )

    def angles_deg(self, t_s: FloatArray) -> FloatArray:
        """Sway of theta, phi, heading, shape ``(n, 3)`` (breathing added to theta)."""
        out = np.zeros((len(t_s), 3))
        for axis in range(3):
            for f, a, p in zip(
                self.frequencies_hz[axis],
                self.amplitudes_deg[axis],
                self.phases_rad[axis],
                strict=True,
            ):
                out[:, axis] += a * np.sin(2 * math.pi * f * t_s + p)
        out[:, 0] += self.breathing_deg * np.sin(2 * math.pi * self.breathing_hz * t_s)
        return out


@dataclass(frozen=True, eq=False, slots=True)
class BodyState:
    """The body at a run of instants (world frame: x forward, y left, z up)."""

    quat_wxyz: FloatArray  # (n, 4) body → world
    hip_m: FloatArray  # (n, 3) local hip displacement (bounded; excludes the progression)
    progression_mps: FloatArray  # (n, 3) velocity of the progression along the path


@dataclass(frozen=True, eq=False, slots=True)
class BodyMotion:
    """Everything the body does: a timeline plus gait and sway."""

    timeline: Timeline
    gait: GaitParameters
    sway: SwayParameters

    def evaluate(self, t_s: FloatArray) -> BodyState:
        """The body's orientation, local hip displacement and progression velocity."""
        tracks = self.timeline.tracks
        g = self.gait
        speed = tracks["speed_mps"].evaluate(t_s)
        envelope = np.clip(speed / g.speed_mps, 0.0, 1.5)
        step = 2 * math.pi * g.step_frequency_hz * t_s
        stride = 0.5 * step
        p0, p1, p2, p3 = g.phases_rad
        sway = self.sway.angles_deg(t_s)
        path = np.radians(tracks["heading_deg"].evaluate(t_s))

        theta = tracks["theta_deg"].evaluate(t_s) + sway[:, 0]
        theta += envelope * (g.lean_deg + g.pitch_deg * np.sin(step + p0))
        phi = (
            tracks["phi_deg"].evaluate(t_s)
            + sway[:, 1]
            + envelope * g.roll_deg * np.sin(stride + p1)
        )
        twist = sway[:, 2] + envelope * g.yaw_deg * np.sin(stride + p2)
        q = quat.from_euler_zyx(path + np.radians(twist), np.radians(theta), np.radians(phi))
        q = quat.multiply(q, NEUTRAL_QUAT_WXYZ)

        forward = np.stack((np.cos(path), np.sin(path), np.zeros_like(path)), axis=1)
        left = np.stack((-np.sin(path), np.cos(path), np.zeros_like(path)), axis=1)
        hip = np.stack(
            (
                tracks["hip_x_m"].evaluate(t_s),
                tracks["hip_y_m"].evaluate(t_s),
                tracks["hip_z_m"].evaluate(t_s),
            ),
            axis=1,
        )
        hip[:, 2] += envelope * g.vertical_m * np.cos(step)
        hip[:, 2] += self.sway.breathing_m * np.sin(2 * math.pi * self.sway.breathing_hz * t_s)
        hip += (envelope * g.lateral_m * np.sin(stride + p3))[:, None] * left
        hip += (envelope * g.surge_m * np.sin(step + p3))[:, None] * forward
        return BodyState(q, hip, speed[:, None] * forward)
