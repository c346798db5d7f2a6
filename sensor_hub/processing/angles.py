"""Posture angles from the direction of gravity: the definition every stage shares.

The body frame of a worn sensor is the frame of its segment (lumbar spine or sacrum) at the
wearer's *neutral* posture, described by three orthonormal axes expressed in the sensor frame:

* ``up``: Earth's up as the sensor saw it at neutral (the calibrated still posture);
* ``backward``: the wearer's backward direction, perpendicular to ``up`` (the case prints
  z backward; the true direction is learned from the data, see :mod:`.calibration`);
* ``left = backward × up``: the wearer's left.

Given Earth's up ``g`` in the sensor frame at some later instant (from the orientation
estimate), with components ``g_u, g_l, g_b`` on those axes:

* ``flexion_deg = atan2(g_b, hypot(g_u, g_l))`` — forward positive (leaning forward tips the
  segment's top forward, so Earth's up moves toward the back of the sensor);
* ``lateral_deg = atan2(g_l, g_u)`` — toward the wearer's right positive.

For a body orientation ``Rz(heading) · Ry(flexion) · Rx(lateral)`` relative to neutral (world
axes: x forward, y left, z up) this returns exactly ``(flexion, lateral)``: the lateral bend is
applied first, then the forward lean, then any turn about the vertical, which never changes
either angle.  The simulator's ground truth uses the same definition, so the estimation error
is the only difference between truth and output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensor_hub.processing.geometry import normalize_rows
from sensor_hub.samples import FloatArray

__all__ = ["CASE_BACKWARD", "BodyFrame", "body_angles_deg"]

#: The backward direction printed on the case: z out of the back.
CASE_BACKWARD: tuple[float, float, float] = (0.0, 0.0, 1.0)

_MIN_HINT_NORM = 1e-6


@dataclass(frozen=True, slots=True)
class BodyFrame:
    """The neutral body axes, unit vectors in the sensor frame (see module docstring)."""

    up: tuple[float, float, float]
    backward: tuple[float, float, float]

    @classmethod
    def from_vectors(
        cls, up: FloatArray, backward_hint: FloatArray | tuple[float, float, float] = CASE_BACKWARD
    ) -> BodyFrame:
        """Frame with ``up`` (normalised) and ``backward_hint`` made perpendicular to it.

        Raises ``ValueError`` when the hint is (nearly) parallel to ``up``.
        """
        u = normalize_rows(np.asarray(up, dtype=np.float64).reshape(3))
        hint = np.asarray(backward_hint, dtype=np.float64).reshape(3)
        b = hint - float(hint @ u) * u
        norm = float(np.linalg.norm(b))
        if norm < _MIN_HINT_NORM:
            raise ValueError("backward direction is parallel to up; cannot build a body frame")
        b = b / norm
        return cls(
            up=(float(u[0]), float(u[1]), float(u[2])),
            backward=(float(b[0]), float(b[1]), float(b[2])),
        )

    @property
    def left(self) -> tuple[float, float, float]:
        """The wearer's left, ``backward × up``."""
        c = np.cross(np.asarray(self.backward), np.asarray(self.up))
        return (float(c[0]), float(c[1]), float(c[2]))

    def matrix(self) -> FloatArray:
        """Rows ``up, left, backward``: maps sensor-frame vectors to body components."""
        return np.array((self.up, self.left, self.backward), dtype=np.float64)


def body_angles_deg(up_sensor: FloatArray, frame: BodyFrame) -> tuple[FloatArray, FloatArray]:
    """``(flexion_deg, lateral_deg)`` of Earth's up ``(n, 3)`` (sensor frame) in ``frame``."""
    g = np.atleast_2d(up_sensor) @ frame.matrix().T
    g_u, g_l, g_b = g[:, 0], g[:, 1], g[:, 2]
    flexion = np.degrees(np.arctan2(g_b, np.hypot(g_u, g_l)))
    lateral = np.degrees(np.arctan2(g_l, g_u))
    return flexion, lateral
