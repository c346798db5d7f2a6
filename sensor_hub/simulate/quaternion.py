"""Quaternion helpers of the simulator (vectorised numpy, ``w, x, y, z``, unit norm).

A quaternion ``q`` maps vectors of a moving frame into the fixed frame:
``v_fixed = q ⊗ v ⊗ q*``.  The simulator keeps its own few helpers rather than borrowing the
processing core's, so that a sign error there cannot cancel out against the ground truth.
"""

from __future__ import annotations

import numpy as np

from sensor_hub.samples import FloatArray

__all__ = [
    "conjugate",
    "exp_map",
    "from_euler_zyx",
    "from_mounting_angles",
    "log_map",
    "multiply",
    "rotate",
    "to_matrix",
]

#: Below this vector-part norm the log/exp maps use their series expansion.
_SMALL = 1e-12


def multiply(a: FloatArray, b: FloatArray) -> FloatArray:
    """Hamilton product ``a ⊗ b`` (broadcasting over leading axes)."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        (
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ),
        axis=-1,
    )


def conjugate(q: FloatArray) -> FloatArray:
    """``q*``: the inverse rotation of a unit quaternion."""
    return np.asarray(q * np.array((1.0, -1.0, -1.0, -1.0)), dtype=np.float64)


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    a0, a1, a2 = np.moveaxis(a, -1, 0)
    b0, b1, b2 = np.moveaxis(b, -1, 0)
    return np.stack((a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), axis=-1)


def rotate(q: FloatArray, v: FloatArray) -> FloatArray:
    """``q ⊗ v ⊗ q*`` for vectors ``v`` (``(..., 4)`` broadcast against ``(..., 3)``)."""
    shape = np.broadcast_shapes((*q.shape[:-1], 3), np.shape(v))
    w = q[..., :1]
    u = np.broadcast_to(q[..., 1:], shape)
    t = 2.0 * _cross(u, np.broadcast_to(v, shape))
    return np.asarray(v + w * t + _cross(u, t), dtype=np.float64)


def to_matrix(q: FloatArray) -> FloatArray:
    """Rotation matrices ``(..., 3, 3)`` (columns: the moving frame's axes in the fixed frame)."""
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        (
            np.stack((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)), -1),
            np.stack((2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)), -1),
            np.stack((2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)), -1),
        ),
        axis=-2,
    )


def from_euler_zyx(z_rad: FloatArray, y_rad: FloatArray, x_rad: FloatArray) -> FloatArray:
    """Quaternions of ``Rz(z) · Ry(y) · Rx(x)`` (rotations about the fixed axes, x first)."""
    cz, sz = np.cos(0.5 * z_rad), np.sin(0.5 * z_rad)
    cy, sy = np.cos(0.5 * y_rad), np.sin(0.5 * y_rad)
    cx, sx = np.cos(0.5 * x_rad), np.sin(0.5 * x_rad)
    return np.stack(
        (
            cx * cy * cz + sx * sy * sz,
            sx * cy * cz - cx * sy * sz,
            cx * sy * cz + sx * cy * sz,
            cx * cy * sz - sx * sy * cz,
        ),
        axis=-1,
    )


def from_mounting_angles(angles_rad: FloatArray) -> FloatArray:
    """Quaternion of ``Rx(a) · Ry(b) · Rz(c)`` for ``angles_rad = (a, b, c)``, shape ``(4,)``.

    Read right to left as rotations about the frame's own (moving) axes: first ``a`` about x,
    then ``b`` about the new y, then ``c`` about the newest z.
    """
    a, b, c = (float(v) for v in angles_rad)
    qx = np.array((np.cos(a / 2), np.sin(a / 2), 0.0, 0.0))
    qy = np.array((np.cos(b / 2), 0.0, np.sin(b / 2), 0.0))
    qz = np.array((np.cos(c / 2), 0.0, 0.0, np.sin(c / 2)))
    return multiply(multiply(qx, qy), qz)


def log_map(q: FloatArray) -> FloatArray:
    """Rotation vectors ``(..., 3)`` (axis × angle, rad, angle in [0, π]) of unit quaternions."""
    q = np.where(q[..., :1] < 0.0, -q, q)
    w = q[..., 0]
    v = q[..., 1:]
    n = np.sqrt(np.sum(v * v, axis=-1))
    safe_n = np.where(n > _SMALL, n, 1.0)
    factor = np.where(n > _SMALL, 2.0 * np.arctan2(n, w) / safe_n, 2.0 / w)
    return np.asarray(v * factor[..., None], dtype=np.float64)


def exp_map(rotvec: FloatArray) -> FloatArray:
    """Unit quaternions of rotation vectors ``(..., 3)`` (inverse of :func:`log_map`)."""
    angle = np.sqrt(np.sum(rotvec * rotvec, axis=-1))
    half = 0.5 * angle
    safe = np.where(angle > _SMALL, angle, 1.0)
    factor = np.where(angle > _SMALL, np.sin(half) / safe, 0.5)
    return np.concatenate((np.cos(half)[..., None], rotvec * factor[..., None]), axis=-1)
