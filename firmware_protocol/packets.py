"""Decoded packets: frozen dataclasses holding the wire fields, with unit conversions.

Wire fields keep their wire meaning (``t0_raw`` is the device clock as transmitted, wrapped);
physical values are computed by methods whose names carry the unit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from firmware_protocol.constants import (
    ACC_RANGE_G,
    COMPACT_TIME_UNIT_US,
    GYRO_RANGE_DPS,
    DataFlags,
    ErrorFlags,
    FeatureFlags,
    HapticPattern,
    PacketType,
    StatusFlags,
    acc_scale_mps2_per_lsb,
    gyro_scale_rads_per_lsb,
)

__all__ = [
    "BATTERY_UNKNOWN",
    "TEMPERATURE_UNKNOWN",
    "FeaturesPacket",
    "ImuPacket",
    "StatusPacket",
]

#: ``battery_pct`` value meaning "not known".
BATTERY_UNKNOWN = 0xFF
#: ``temperature_cdeg`` value meaning "not known".
TEMPERATURE_UNKNOWN = -32768


@functools.cache
def _scales(acc_range_code: int, gyro_range_code: int) -> NDArray[np.float64]:
    acc = acc_scale_mps2_per_lsb(acc_range_code)
    gyr = gyro_scale_rads_per_lsb(gyro_range_code)
    scales = np.array([acc, acc, acc, gyr, gyr, gyr], dtype=np.float64)
    scales.flags.writeable = False
    return scales


@dataclass(frozen=True, eq=False, slots=True)
class ImuPacket:
    """One IMU data notification (IMU_BLOCK or IMU_COMPACT).

    Attributes:
        packet_type: ``PacketType.IMU_BLOCK`` or ``PacketType.IMU_COMPACT``.
        flags: :class:`DataFlags`.
        sequence: u16 packet counter, +1 per IMU packet, wraps 65535 -> 0.
        t0_raw: device time of the first sample as transmitted: microseconds modulo 2**32
            (IMU_BLOCK) or units of 10 microseconds modulo 2**16 (IMU_COMPACT).
        period_us: sample period in microseconds (IMU_BLOCK); ``None`` for IMU_COMPACT.
        acc_range_code, gyro_range_code: full-scale range codes (see ``ACC_RANGE_G``...).
        raw: int16 samples, shape ``(count, 6)``: ax ay az gx gy gz in LSB, sensor axes
            x up the spine, y to the wearer's left, z backward out of the back.
    """

    packet_type: PacketType
    flags: DataFlags
    sequence: int
    t0_raw: int
    period_us: int | None
    acc_range_code: int
    gyro_range_code: int
    raw: NDArray[np.int16] = field(repr=False)

    @property
    def count(self) -> int:
        """Number of samples."""
        return int(self.raw.shape[0])

    @property
    def time_unit_us(self) -> int:
        """Microseconds per unit of ``t0_raw``."""
        return COMPACT_TIME_UNIT_US if self.packet_type is PacketType.IMU_COMPACT else 1

    @property
    def time_modulus_us(self) -> int:
        """Microseconds after which ``t0_raw`` wraps."""
        if self.packet_type is PacketType.IMU_COMPACT:
            return (1 << 16) * COMPACT_TIME_UNIT_US
        return 1 << 32

    @property
    def t0_wrapped_us(self) -> int:
        """Device time of the first sample in microseconds, modulo ``time_modulus_us``."""
        return self.t0_raw * self.time_unit_us

    @property
    def acc_range_g(self) -> int:
        """Accelerometer full scale, +/- g."""
        return ACC_RANGE_G[self.acc_range_code]

    @property
    def gyro_range_dps(self) -> int:
        """Gyroscope full scale, +/- degrees per second."""
        return GYRO_RANGE_DPS[self.gyro_range_code]

    def physical(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(acc_mps2, gyr_rads)``, each shape ``(count, 3)``, from one multiplication."""
        values = self.raw * _scales(self.acc_range_code, self.gyro_range_code)
        return values[:, 0:3], values[:, 3:6]

    def acc_mps2(self) -> NDArray[np.float64]:
        """Accelerometer samples, m/s^2, shape ``(count, 3)``."""
        scale = acc_scale_mps2_per_lsb(self.acc_range_code)
        return np.multiply(self.raw[:, 0:3], scale, dtype=np.float64)

    def gyr_rads(self) -> NDArray[np.float64]:
        """Gyroscope samples, rad/s, shape ``(count, 3)``."""
        scale = gyro_scale_rads_per_lsb(self.gyro_range_code)
        return np.multiply(self.raw[:, 3:6], scale, dtype=np.float64)

    def to_fields(self) -> dict[str, object]:
        """Wire fields as plain JSON-able values (used by the test vectors and the CLI)."""
        return {
            "type": self.packet_type.name,
            "flags": int(self.flags),
            "sequence": self.sequence,
            "t0_raw": self.t0_raw,
            "period_us": self.period_us,
            "acc_range_g": self.acc_range_g,
            "gyro_range_dps": self.gyro_range_dps,
            "raw": self.raw.tolist(),
        }


@dataclass(frozen=True, slots=True)
class StatusPacket:
    """A STATUS notification.

    Attributes:
        flags: :class:`StatusFlags`.
        battery_pct: 0-100, or ``BATTERY_UNKNOWN`` (255).
        temperature_cdeg: hundredths of a degree Celsius, or ``TEMPERATURE_UNKNOWN``.
        error_flags: :class:`ErrorFlags`.
        device_time_us: the device clock (full 64 bits) when the status was sent.
    """

    flags: StatusFlags
    battery_pct: int
    temperature_cdeg: int
    error_flags: ErrorFlags
    device_time_us: int

    @property
    def battery_known(self) -> bool:
        """Whether ``battery_pct`` holds a level."""
        return self.battery_pct != BATTERY_UNKNOWN

    @property
    def temperature_c(self) -> float | None:
        """Temperature in degrees Celsius, ``None`` when unknown."""
        if self.temperature_cdeg == TEMPERATURE_UNKNOWN:
            return None
        return self.temperature_cdeg / 100.0

    def to_fields(self) -> dict[str, object]:
        """Wire fields as plain JSON-able values."""
        return {
            "type": PacketType.STATUS.name,
            "flags": int(self.flags),
            "battery_pct": self.battery_pct,
            "temperature_cdeg": self.temperature_cdeg,
            "error_flags": int(self.error_flags),
            "device_time_us": self.device_time_us,
        }


@dataclass(frozen=True, slots=True)
class FeaturesPacket:
    """The FEATURES characteristic: what this sensor supports."""

    rates_hz: tuple[int, ...]
    acc_ranges_g: tuple[int, ...]
    gyro_ranges_dps: tuple[int, ...]
    haptic_patterns: tuple[HapticPattern, ...]
    feature_flags: FeatureFlags
    buffer_capacity_samples: int

    def to_fields(self) -> dict[str, object]:
        """Wire fields as plain JSON-able values."""
        return {
            "type": PacketType.FEATURES.name,
            "rates_hz": list(self.rates_hz),
            "acc_ranges_g": list(self.acc_ranges_g),
            "gyro_ranges_dps": list(self.gyro_ranges_dps),
            "haptic_patterns": [int(p) for p in self.haptic_patterns],
            "feature_flags": int(self.feature_flags),
            "buffer_capacity_samples": self.buffer_capacity_samples,
        }
