"""WitMotion WT901BLE family (WT901BLECL, BWT901BLECL...): GATT facts, frames, stream adapter.

The sensor streams 20-byte frames on its notify characteristic as soon as notifications are on:
``0x55 0x61`` then nine little-endian int16 (acceleration, angular rate, Euler angles).  Register
reads answer with ``0x55 0x71``, the register address and eight int16 registers.  Frames carry no
checksum and no time; a notification may hold part of a frame or several, so the stream adapter
buffers and resynchronises on ``0x55``.  Commands are 5 bytes, ``FF AA <reg> <lo> <hi>``.
Pure: no bleak, no asyncio, no clock.  Details and wearing: ``docs/devices.md``.
"""

from __future__ import annotations

import math
import struct
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Final

import numpy as np

from sensor_hub.devices.axes import resolve_axes
from sensor_hub.devices.errors import (
    BadHeaderError,
    DeviceFrameError,
    InvalidFrameFieldError,
    TruncatedFrameError,
    UnknownFrameTypeError,
)
from sensor_hub.devices.stream import ArrivalClock, DeviceStreamStats, make_block
from sensor_hub.recording.header import AxesMap
from sensor_hub.samples import STANDARD_GRAVITY_MPS2, SampleBlock

__all__ = [
    "ACC_MPS2_PER_LSB",
    "ANGLE_DEG_PER_LSB",
    "FRAME_SIZE",
    "GYR_RADS_PER_LSB",
    "HEADER",
    "NAME_PREFIX",
    "RATE_CODES",
    "FrameType",
    "Register",
    "Uuids",
    "WitImuFrame",
    "WitMotionStream",
    "WitRegisterReply",
    "decode_frame",
    "read_register_command",
    "save_command",
    "set_rate_commands",
    "unlock_command",
    "write_register_command",
]

_BASE: Final = "-0000-1000-8000-00805f9a34fb"  # note ...9a34fb, not the SIG base ...9b34fb


class Uuids:
    """GATT UUIDs (full 128-bit, lower case).  Some firmwares swap the notify and write roles:
    the BLE layer should subscribe to whichever of the two notifies."""

    SERVICE: Final = f"0000ffe5{_BASE}"
    NOTIFY: Final = f"0000ffe4{_BASE}"
    WRITE: Final = f"0000ffe9{_BASE}"


#: Advertised names start with this (``WT901BLE...``).
NAME_PREFIX: Final = "WT"
#: Every frame starts with this byte.
HEADER: Final = 0x55
#: Every frame on BLE is this long.
FRAME_SIZE: Final = 20


class FrameType(IntEnum):
    """Byte 1 of a frame."""

    IMU = 0x61
    REGISTER_REPLY = 0x71


class Register(IntEnum):
    """Registers the hub uses (``FF AA <reg> <lo> <hi>`` writes, ``FF AA 27 <reg> 00`` reads)."""

    SAVE = 0x00
    RATE = 0x03
    READ = 0x27
    MAGNETOMETER = 0x3A
    TEMPERATURE = 0x40
    QUATERNION = 0x51
    UNLOCK = 0x69
    #: Used by one community driver for the battery; unconfirmed.
    BATTERY_UNCONFIRMED = 0x64


#: Output rate (Hz) -> value of the RATE register.  10 Hz is the factory default.
RATE_CODES: Final = MappingProxyType({10: 0x06, 20: 0x07, 50: 0x08, 100: 0x09, 200: 0x0A})

#: Scales: ±16 g, ±2000 °/s, ±180 ° over the int16 range; quaternion components /32768.
ACC_MPS2_PER_LSB: Final = 16.0 * STANDARD_GRAVITY_MPS2 / 32768.0
GYR_RADS_PER_LSB: Final = math.radians(2000.0) / 32768.0
ANGLE_DEG_PER_LSB: Final = 180.0 / 32768.0
QUAT_PER_LSB: Final = 1.0 / 32768.0
#: Temperature register in hundredths of °C (WitMotion manuals; not checked against a device).
TEMPERATURE_C_PER_LSB: Final = 0.01
#: A reported quaternion must have a norm within this of 1.
QUAT_NORM_TOLERANCE: Final = 0.05

_FRAME: Final = struct.Struct("<BB9h")
_REPLY: Final = struct.Struct("<BBH8h")
_COMMAND: Final = struct.Struct("<BBBBB")
_COMMAND_PREFIX: Final = (0xFF, 0xAA)
_IMU_DTYPE: Final = np.dtype([("head", "u1", (2,)), ("values", "<i2", (9,))])
_FRAME_TYPES: Final = frozenset(int(t) for t in FrameType)


# --- commands -----------------------------------------------------------------------------


def write_register_command(register: int, value: int) -> bytes:
    """``FF AA <reg> <lo> <hi>``: write a 16-bit register."""
    if not 0 <= register <= 0xFF or not -0x8000 <= value <= 0xFFFF:
        raise ValueError(f"register 0x{register:x} / value {value} out of range")
    value &= 0xFFFF
    return _COMMAND.pack(*_COMMAND_PREFIX, register, value & 0xFF, value >> 8)


def read_register_command(register: int) -> bytes:
    """``FF AA 27 <reg> 00``: ask for registers ``reg..reg+7`` (answered by a 0x71 frame)."""
    if not 0 <= register <= 0xFF:
        raise ValueError(f"register 0x{register:x} out of range")
    return write_register_command(Register.READ, register)


def unlock_command() -> bytes:
    """Unlock register writes (``FF AA 69 88 B5``)."""
    return write_register_command(Register.UNLOCK, 0xB588)


def save_command() -> bytes:
    """Persist the configuration (``FF AA 00 00 00``)."""
    return write_register_command(Register.SAVE, 0)


def set_rate_commands(rate_hz: int, *, persist: bool = False) -> tuple[bytes, ...]:
    """The writes that set the output rate: unlock, rate (and save when ``persist``).

    The sensor streams whenever notifications are enabled: there is no start/stop command.
    """
    if rate_hz not in RATE_CODES:
        raise ValueError(f"rate {rate_hz} Hz not supported (one of {sorted(RATE_CODES)})")
    writes = (unlock_command(), write_register_command(Register.RATE, RATE_CODES[rate_hz]))
    return (*writes, save_command()) if persist else writes


# --- frames -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WitImuFrame:
    """A ``0x55 0x61`` frame, device axes.

    Attributes:
        acc_mps2: specific force (x, y, z), m/s².
        gyr_rads: angular rate (x, y, z), rad/s.
        euler_deg: the sensor's own fused roll, pitch, yaw, degrees (yaw needs the magnetometer:
            do not rely on it).
    """

    acc_mps2: tuple[float, float, float]
    gyr_rads: tuple[float, float, float]
    euler_deg: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class WitRegisterReply:
    """A ``0x55 0x71`` reply: eight consecutive registers from ``register``.

    Attributes:
        register: the first register's address.
        values_raw: the eight registers as int16.
    """

    register: int
    values_raw: tuple[int, int, int, int, int, int, int, int]

    @property
    def quat_wxyz(self) -> tuple[float, float, float, float] | None:
        """The on-board orientation quaternion (w, x, y, z) when this answers a read of 0x51."""
        if self.register != Register.QUATERNION:
            return None
        w, x, y, z = (v * QUAT_PER_LSB for v in self.values_raw[:4])
        return (w, x, y, z)

    @property
    def temperature_c(self) -> float | None:
        """Temperature, °C, when this answers a read of 0x40."""
        if self.register != Register.TEMPERATURE:
            return None
        return self.values_raw[0] * TEMPERATURE_C_PER_LSB

    @property
    def mag_raw(self) -> tuple[int, int, int] | None:
        """Magnetometer counts (x, y, z; unit undocumented) when this answers a read of 0x3A."""
        if self.register != Register.MAGNETOMETER:
            return None
        return (self.values_raw[0], self.values_raw[1], self.values_raw[2])


WitFrame = WitImuFrame | WitRegisterReply


def _triple(values: tuple[int, ...], start: int, scale: float) -> tuple[float, float, float]:
    return (values[start] * scale, values[start + 1] * scale, values[start + 2] * scale)


def decode_frame(data: bytes | bytearray | memoryview) -> WitFrame:
    """Decode one 20-byte frame (IMU data or a register reply)."""
    if len(data) < 2:
        raise TruncatedFrameError(f"WitMotion frame: {len(data)} bytes, needs {FRAME_SIZE}")
    if data[0] != HEADER:
        raise BadHeaderError(f"WitMotion frame starts 0x{data[0]:02x}, not 0x55")
    if data[1] not in _FRAME_TYPES:
        raise UnknownFrameTypeError(f"WitMotion frame type 0x{data[1]:02x}")
    if len(data) < FRAME_SIZE:
        raise TruncatedFrameError(f"WitMotion frame: {len(data)} bytes, needs {FRAME_SIZE}")
    if len(data) > FRAME_SIZE:
        raise InvalidFrameFieldError(f"WitMotion frame: {len(data) - FRAME_SIZE} trailing bytes")
    if data[1] == FrameType.IMU:
        _, _, *values = _FRAME.unpack_from(data)
        raw = tuple(values)
        return WitImuFrame(
            _triple(raw, 0, ACC_MPS2_PER_LSB),
            _triple(raw, 3, GYR_RADS_PER_LSB),
            _triple(raw, 6, ANGLE_DEG_PER_LSB),
        )
    _, _, register, *regs = _REPLY.unpack_from(data)
    reply = WitRegisterReply(
        register, (regs[0], regs[1], regs[2], regs[3], regs[4], regs[5], regs[6], regs[7])
    )
    quat = reply.quat_wxyz
    if quat is not None and abs(math.hypot(*quat) - 1.0) > QUAT_NORM_TOLERANCE:
        raise InvalidFrameFieldError(f"WitMotion quaternion norm {math.hypot(*quat):.3f}")
    return reply


# --- stream -------------------------------------------------------------------------------


class WitMotionStream:
    """Notifications of the notify characteristic -> :class:`SampleBlock` in body axes.

    Frames may be split across notifications or joined in one; bytes before a header are
    skipped (counted as ``bad_header``).  A frame followed in the buffer by anything but a new
    header is taken as cut short (a lost notification) and dropped (``truncated``).  Register
    replies are kept in :attr:`register_replies` (newest last).  Frames carry no time: samples
    are stamped from host arrival time at the nominal rate (:class:`ArrivalClock`).

    Args:
        axes: device axes giving body x, y, z (``"+y,-x,+z"`` when worn as in docs/devices.md).
        rate_hz: the configured output rate (10 Hz out of the box).
        max_lead_s: see :class:`ArrivalClock`.
    """

    def __init__(
        self, axes: str | AxesMap = "+x,+y,+z", *, rate_hz: float = 10.0, max_lead_s: float = 0.25
    ) -> None:
        self.axes = resolve_axes(axes)
        self.clock = ArrivalClock(rate_hz, max_lead_s=max_lead_s)
        self.stats = DeviceStreamStats()
        self.register_replies: deque[WitRegisterReply] = deque(maxlen=32)
        self.last_euler_deg: tuple[float, float, float] | None = None
        self._buffer = bytearray()

    def feed(self, data: bytes | bytearray | memoryview, host_time_s: float) -> SampleBlock | None:
        """Take one notification; returns the samples it completed (``None`` when none)."""
        stats = self.stats
        stats.notifications += 1
        buf = self._buffer
        buf += data
        imu = bytearray()
        pos = 0
        while pos < len(buf):
            start = buf.find(HEADER, pos)
            if start != pos:
                skipped = (len(buf) if start < 0 else start) - pos
                stats.discarded_bytes += skipped
                stats.reject(BadHeaderError.kind)
                if start < 0:
                    pos = len(buf)
                    break
            if len(buf) - start < 2:
                pos = start
                break
            if buf[start + 1] not in _FRAME_TYPES:
                stats.reject(UnknownFrameTypeError.kind)
                pos = self._skip_from(start)
                continue
            end = start + FRAME_SIZE
            if len(buf) < end:
                pos = start
                break
            if len(buf) > end and buf[end] != HEADER:
                stats.reject(TruncatedFrameError.kind)
                pos = self._skip_from(start)
                continue
            pos = end
            if buf[start + 1] == FrameType.IMU:
                imu += buf[start:end]
                continue
            try:
                reply = decode_frame(buf[start:end])
            except DeviceFrameError as exc:
                stats.reject(exc.kind)
                continue
            stats.frames += 1
            if isinstance(reply, WitRegisterReply):
                self.register_replies.append(reply)
        del buf[:pos]
        return self._block(bytes(imu), host_time_s) if imu else None

    def _skip_from(self, start: int) -> int:
        """Drop the rejected frame starting at ``start`` up to the next header (one error)."""
        found = self._buffer.find(HEADER, start + 1)
        stop = len(self._buffer) if found < 0 else found
        self.stats.discarded_bytes += stop - start
        return stop

    def _block(self, frames: bytes, host_time_s: float) -> SampleBlock:
        values = np.frombuffer(frames, _IMU_DTYPE)["values"].astype(np.float64)
        n = values.shape[0]
        self.stats.frames += n
        self.stats.samples += n
        self.last_euler_deg = _triple(tuple(int(v) for v in values[-1]), 6, ANGLE_DEG_PER_LSB)
        times = self.clock.stamp(n, host_time_s)
        self.stats.clock_compressions = self.clock.compressions
        return make_block(
            times, values[:, 0:3] * ACC_MPS2_PER_LSB, values[:, 3:6] * GYR_RADS_PER_LSB, self.axes
        )
