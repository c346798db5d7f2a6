"""Nordic Thingy:52 (stock firmware) motion service: GATT facts, decoding, stream adapter.

UUIDs share the base ``ef68xxxx-9b35-4933-9b10-52ffa9740042``; the motion service is ``0x0400``.
Each motion characteristic streams while its notifications are enabled (there is no start/stop
command); the motion processing rate is a field of the configuration characteristic, changed by
read-modify-write.  Raw notifications are nine int16 in fixed point: acceleration Q6.10 (g),
angular rate Q11.5 (°/s), magnetic field Q12.4 (µT), i.e. the firmware shifts its Q16.16 values
right by the number of integer bits.  (Some published clients divide by 2^6, 2^11, 2^12 instead:
that reads 16 g at rest, which the 1 g test rules out.)  No checksum, no time in any
notification.  Pure: no bleak, no asyncio, no clock.  Details and wearing: ``docs/devices.md``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from sensor_hub.devices.axes import resolve_axes
from sensor_hub.devices.errors import (
    DeviceFrameError,
    InvalidFrameFieldError,
    TruncatedFrameError,
)
from sensor_hub.devices.stream import ArrivalClock, DeviceStreamStats, make_block
from sensor_hub.recording.header import AxesMap
from sensor_hub.samples import STANDARD_GRAVITY_MPS2, SampleBlock

__all__ = [
    "ACC_MPS2_PER_LSB",
    "GYR_RADS_PER_LSB",
    "MAG_UT_PER_LSB",
    "MOTION_RATE_RANGE_HZ",
    "ThingyEuler",
    "ThingyGravity",
    "ThingyMotionConfig",
    "ThingyQuaternion",
    "ThingyRawFrame",
    "ThingyRawStream",
    "Uuids",
    "decode_euler",
    "decode_gravity",
    "decode_motion_config",
    "decode_quaternion",
    "decode_raw",
    "encode_motion_config",
    "set_rate_command",
]

_BASE: Final = "-9b35-4933-9b10-52ffa9740042"


class Uuids:
    """GATT UUIDs of the motion service (full 128-bit, lower case)."""

    MOTION_SERVICE: Final = f"ef680400{_BASE}"
    MOTION_CONFIG: Final = f"ef680401{_BASE}"
    QUATERNION: Final = f"ef680404{_BASE}"
    RAW: Final = f"ef680406{_BASE}"
    EULER: Final = f"ef680407{_BASE}"
    GRAVITY: Final = f"ef68040a{_BASE}"


#: Fixed-point scales of the raw characteristic (fraction bits 10, 5 and 4).
ACC_MPS2_PER_LSB: Final = STANDARD_GRAVITY_MPS2 / (1 << 10)
GYR_RADS_PER_LSB: Final = math.radians(1.0) / (1 << 5)
MAG_UT_PER_LSB: Final = 1.0 / (1 << 4)
#: Quaternion components are Q2.30; Euler angles are degrees in Q16.16.
QUAT_PER_LSB: Final = 1.0 / (1 << 30)
EULER_DEG_PER_LSB: Final = 1.0 / (1 << 16)
#: Motion processing rates the firmware documentation allows, Hz (inclusive).
MOTION_RATE_RANGE_HZ: Final = (5, 200)
#: A reported quaternion must have a norm within this of 1.
QUAT_NORM_TOLERANCE: Final = 0.05
#: A gravity vector component beyond this is corrupt, m/s² (it should be about 9.81 long).
MAX_GRAVITY_MPS2: Final = 4.0 * STANDARD_GRAVITY_MPS2

_CONFIG: Final = struct.Struct("<HHHHB")
_RAW: Final = struct.Struct("<9h")
_RAW_DTYPE: Final = np.dtype("<i2")
_QUAT: Final = struct.Struct("<4i")
_EULER: Final = struct.Struct("<3i")
_GRAVITY: Final = struct.Struct("<3f")

Buffer = bytes | bytearray | memoryview
Vec3 = tuple[float, float, float]


def _check_length(data: Buffer, layout: struct.Struct, what: str) -> None:
    if len(data) < layout.size:
        raise TruncatedFrameError(f"Thingy:52 {what}: {len(data)} bytes, needs {layout.size}")
    if len(data) > layout.size:
        raise InvalidFrameFieldError(f"Thingy:52 {what}: {len(data) - layout.size} extra bytes")


# --- configuration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThingyMotionConfig:
    """The motion configuration characteristic."""

    pedometer_interval_ms: int
    temperature_compensation_interval_ms: int
    compass_compensation_interval_ms: int
    motion_rate_hz: int
    wake_on_motion: bool


def decode_motion_config(data: Buffer) -> ThingyMotionConfig:
    """Decode a read of :attr:`Uuids.MOTION_CONFIG`."""
    _check_length(data, _CONFIG, "motion config")
    pedometer, temperature, compass, rate, wake = _CONFIG.unpack_from(data)
    return ThingyMotionConfig(pedometer, temperature, compass, rate, bool(wake))


def encode_motion_config(config: ThingyMotionConfig) -> bytes:
    """The bytes to write to :attr:`Uuids.MOTION_CONFIG`."""
    low, high = MOTION_RATE_RANGE_HZ
    if not low <= config.motion_rate_hz <= high:
        raise ValueError(f"motion rate {config.motion_rate_hz} Hz outside {low}..{high}")
    return _CONFIG.pack(
        config.pedometer_interval_ms,
        config.temperature_compensation_interval_ms,
        config.compass_compensation_interval_ms,
        config.motion_rate_hz,
        int(config.wake_on_motion),
    )


def set_rate_command(current: Buffer, rate_hz: int) -> bytes:
    """The configuration to write back to set the motion rate, from a read of it."""
    return encode_motion_config(replace(decode_motion_config(current), motion_rate_hz=rate_hz))


# --- notifications ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThingyRawFrame:
    """A raw motion notification, device axes.

    Attributes:
        acc_mps2: specific force, m/s².
        gyr_rads: angular rate, rad/s.
        mag_ut: magnetic field, µT (not used by the hub).
    """

    acc_mps2: Vec3
    gyr_rads: Vec3
    mag_ut: Vec3


@dataclass(frozen=True, slots=True)
class ThingyQuaternion:
    """On-board fused orientation (w, x, y, z), unit quaternion, device frame."""

    quat_wxyz: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ThingyEuler:
    """On-board fused Euler angles, degrees."""

    roll_deg: float
    pitch_deg: float
    yaw_deg: float


@dataclass(frozen=True, slots=True)
class ThingyGravity:
    """On-board estimate of gravity in the device frame, m/s²."""

    gravity_mps2: Vec3


def _scaled(values: tuple[int, ...], start: int, scale: float) -> Vec3:
    return (values[start] * scale, values[start + 1] * scale, values[start + 2] * scale)


def decode_raw(data: Buffer) -> ThingyRawFrame:
    """Decode a notification of :attr:`Uuids.RAW`."""
    _check_length(data, _RAW, "raw motion")
    values = _RAW.unpack_from(data)
    return ThingyRawFrame(
        _scaled(values, 0, ACC_MPS2_PER_LSB),
        _scaled(values, 3, GYR_RADS_PER_LSB),
        _scaled(values, 6, MAG_UT_PER_LSB),
    )


def decode_quaternion(data: Buffer) -> ThingyQuaternion:
    """Decode a notification of :attr:`Uuids.QUATERNION`."""
    _check_length(data, _QUAT, "quaternion")
    w, x, y, z = (v * QUAT_PER_LSB for v in _QUAT.unpack_from(data))
    norm = math.sqrt(w * w + x * x + y * y + z * z)
    if abs(norm - 1.0) > QUAT_NORM_TOLERANCE:
        raise InvalidFrameFieldError(f"Thingy:52 quaternion norm {norm:.3f}")
    return ThingyQuaternion((w, x, y, z))


def decode_euler(data: Buffer) -> ThingyEuler:
    """Decode a notification of :attr:`Uuids.EULER`."""
    _check_length(data, _EULER, "Euler angles")
    roll, pitch, yaw = (v * EULER_DEG_PER_LSB for v in _EULER.unpack_from(data))
    if max(abs(roll), abs(pitch), abs(yaw)) > 360.0:
        raise InvalidFrameFieldError(f"Thingy:52 Euler angles {roll}, {pitch}, {yaw} deg")
    return ThingyEuler(roll, pitch, yaw)


def decode_gravity(data: Buffer) -> ThingyGravity:
    """Decode a notification of :attr:`Uuids.GRAVITY`."""
    _check_length(data, _GRAVITY, "gravity vector")
    x, y, z = _GRAVITY.unpack_from(data)
    if not all(math.isfinite(v) and abs(v) <= MAX_GRAVITY_MPS2 for v in (x, y, z)):
        raise InvalidFrameFieldError(f"Thingy:52 gravity vector {x}, {y}, {z}")
    return ThingyGravity((x, y, z))


# --- stream -------------------------------------------------------------------------------


class ThingyRawStream:
    """Raw motion notifications -> :class:`SampleBlock` in body axes.

    One sample per notification, stamped from host arrival time at the configured motion rate
    (:class:`ArrivalClock`): the firmware sends no time.  Malformed notifications are counted
    in :attr:`stats` and dropped.

    Args:
        axes: device axes giving body x, y, z (``"+y,-x,+z"`` when worn as in docs/devices.md).
        rate_hz: the motion rate written to the configuration characteristic.
        max_lead_s: see :class:`ArrivalClock`.
    """

    def __init__(
        self, axes: str | AxesMap = "+x,+y,+z", *, rate_hz: float, max_lead_s: float = 0.25
    ) -> None:
        self.axes = resolve_axes(axes)
        self.clock = ArrivalClock(rate_hz, max_lead_s=max_lead_s)
        self.stats = DeviceStreamStats()

    def feed(self, data: Buffer, host_time_s: float) -> SampleBlock | None:
        """Take one notification; returns its sample (``None`` when it was dropped)."""
        stats = self.stats
        stats.notifications += 1
        try:
            _check_length(data, _RAW, "raw motion")
        except DeviceFrameError as exc:
            stats.reject(exc.kind)
            return None
        values = np.frombuffer(bytes(data), _RAW_DTYPE).astype(np.float64).reshape(1, 9)
        stats.frames += 1
        stats.samples += 1
        times = self.clock.stamp(1, host_time_s)
        stats.clock_compressions = self.clock.compressions
        return make_block(
            times, values[:, 0:3] * ACC_MPS2_PER_LSB, values[:, 3:6] * GYR_RADS_PER_LSB, self.axes
        )
