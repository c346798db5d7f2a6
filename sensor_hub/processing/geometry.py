"""Quaternion and vector helpers for the processing core (vectorised numpy, no state).

Quaternions are ``w, x, y, z`` arrays of shape ``(n, 4)`` (or ``(4,)``), unit norm, and rotate
sensor-frame vectors into the Earth frame (z up): ``v_earth = q ⊗ v_sensor ⊗ q*``.
"""

from __future__ import annotations

import numpy as np

from sensor_hub.samples import FloatArray

__all__ = [
    "normalize_rows",
    "quat_from_axis_angle",
    "quat_multiply",
    "quat_rotate",
    "rotation_matrix_from_quat",
    "up_in_sensor_frame",
]


def normalize_rows(v: FloatArray) -> FloatArray:
    """Each row of ``v`` (shape ``(n, k)`` or ``(k,)``) scaled to unit length."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.where(norm > 0.0, norm, 1.0), dtype=np.float64)


def up_in_sensor_frame(quat_wxyz: FloatArray) -> FloatArray:
    """Earth's up direction (0, 0, 1) expressed in the sensor frame, shape ``(n, 3)``.

    The third row of the rotation matrix of ``q`` (sensor to Earth), i.e. ``R(q)^T e_z``.
    """
    q = np.atleast_2d(quat_wxyz)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        (2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)), axis=1
    )


def quat_multiply(a: FloatArray, b: FloatArray) -> FloatArray:
    """Hamilton product ``a ⊗ b`` of quaternion arrays (broadcasting over leading axes)."""
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack(
        (
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ),
        axis=-1,
    )


def quat_from_axis_angle(axis: FloatArray, angle_rad: FloatArray | float) -> FloatArray:
    """Quaternions rotating by ``angle_rad`` about unit ``axis`` (broadcasting)."""
    half = 0.5 * np.asarray(angle_rad, dtype=np.float64)[..., None]
    ax = normalize_rows(np.asarray(axis, dtype=np.float64))
    xyz = ax * np.sin(half)
    w = np.broadcast_to(np.cos(half), (*xyz.shape[:-1], 1))
    return np.concatenate((w, xyz), axis=-1)


def rotation_matrix_from_quat(quat_wxyz: FloatArray) -> FloatArray:
    """Rotation matrices ``(n, 3, 3)`` (sensor to Earth) of quaternions ``(n, 4)``."""
    q = np.atleast_2d(quat_wxyz)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack(
        (
            np.stack((1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)), axis=1),
            np.stack((2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)), axis=1),
            np.stack((2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)), axis=1),
        ),
        axis=1,
    )


def quat_rotate(quat_wxyz: FloatArray, v: FloatArray) -> FloatArray:
    """Rotate sensor-frame vectors ``v`` ``(n, 3)`` into the Earth frame."""
    out = np.einsum("nij,nj->ni", rotation_matrix_from_quat(quat_wxyz), np.atleast_2d(v))
    return np.asarray(out, dtype=np.float64)
