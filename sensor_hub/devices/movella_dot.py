"""Movella (Xsens) DOT: GATT facts, payload decoding, stream adapter.

All UUIDs share the base ``1517xxxx-4947-11e9-8646-d663bd873d93``; everything is little-endian.
The hub enables notifications on the payload characteristic of the chosen *payload mode*, then
writes ``[0x01, 0x01, mode]`` to the measurement control characteristic (``[0x01, 0x00, mode]``
stops).  Each notification is one sample: a u32 device timestamp in µs, then the mode's fields
as float32 (angular rate in °/s, converted here to rad/s).  The output rate lives in the 32-byte
device control characteristic, changed by read-modify-write.  Pure: no bleak, no asyncio, no
clock.  Details and wearing: ``docs/devices.md``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import numpy as np

from sensor_hub.devices.axes import resolve_axes
from sensor_hub.devices.errors import (
    DeviceFrameError,
    InvalidFrameFieldError,
    TruncatedFrameError,
    UnknownFrameTypeError,
)
from sensor_hub.devices.stream import DeviceClock, DeviceStreamStats, make_block
from sensor_hub.recording.header import AxesMap
from sensor_hub.samples import STANDARD_GRAVITY_MPS2, SampleBlock

__all__ = [
    "ADVERTISED_NAMES",
    "COMPANY_ID",
    "OUTPUT_RATES_HZ",
    "PAYLOADS",
    "DotBattery",
    "DotDeviceControl",
    "DotFrame",
    "DotStream",
    "PayloadMode",
    "PayloadSpec",
    "Uuids",
    "decode_battery",
    "decode_device_control",
    "decode_payload",
    "set_output_rate_command",
    "start_streaming_command",
    "stop_streaming_command",
]

_BASE: Final = "-4947-11e9-8646-d663bd873d93"


class Uuids:
    """GATT UUIDs (full 128-bit, lower case)."""

    CONFIGURATION_SERVICE: Final = f"15171000{_BASE}"
    DEVICE_CONTROL: Final = f"15171002{_BASE}"
    MEASUREMENT_SERVICE: Final = f"15172000{_BASE}"
    MEASUREMENT_CONTROL: Final = f"15172001{_BASE}"
    LONG_PAYLOAD: Final = f"15172002{_BASE}"
    MEDIUM_PAYLOAD: Final = f"15172003{_BASE}"
    SHORT_PAYLOAD: Final = f"15172004{_BASE}"
    BATTERY_SERVICE: Final = f"15173000{_BASE}"
    BATTERY: Final = f"15173001{_BASE}"


#: Advertised names (current, and older units).
ADVERTISED_NAMES: Final = ("Movella DOT", "Xsens DOT")
#: Bluetooth SIG company identifier in the manufacturer data.
COMPANY_ID: Final = 0x0886
#: Output rates the device control accepts, Hz (60 is the default).
OUTPUT_RATES_HZ: Final = (1, 4, 10, 12, 15, 20, 30, 60)
#: The device timestamp is a u32 count of µs: it wraps every ~71.6 min.
TIMESTAMP_MODULUS_US: Final = 1 << 32
#: Values beyond twice the sensor's full scale (±16 g, ±2000 °/s) are taken as corrupt.
MAX_ACC_MPS2: Final = 32.0 * STANDARD_GRAVITY_MPS2
MAX_GYR_RADS: Final = math.radians(4000.0)
#: A reported quaternion must have a norm within this of 1.
QUAT_NORM_TOLERANCE: Final = 0.05

#: Largest notification of each payload characteristic, bytes (shorter payloads may be padded).
_CHARACTERISTIC_MAX: Final = MappingProxyType(
    {Uuids.LONG_PAYLOAD: 63, Uuids.MEDIUM_PAYLOAD: 40, Uuids.SHORT_PAYLOAD: 20}
)


class PayloadMode(IntEnum):
    """Payload modes the hub knows (the third byte of the start command)."""

    COMPLETE_QUATERNION = 3
    ORIENTATION_QUATERNION = 5
    RATE_QUANTITIES_WITH_MAG = 20
    RATE_QUANTITIES = 21
    CUSTOM_5 = 26


class PayloadSpec(NamedTuple):
    """One row of the payload table: layout after the timestamp, where it arrives, what it has."""

    characteristic: str
    layout: struct.Struct
    fields: tuple[str, ...]


def _spec(characteristic: str, *fields: str) -> PayloadSpec:
    codes = {"quat": "4f", "acc": "3f", "gyr": "3f", "free_acc": "3f", "mag": "3h"}
    return PayloadSpec(
        characteristic, struct.Struct("<I" + "".join(codes[f] for f in fields)), fields
    )


#: Payload mode -> (characteristic, layout, field groups), in the order they are sent.
PAYLOADS: Final = MappingProxyType(
    {
        PayloadMode.COMPLETE_QUATERNION: _spec(Uuids.MEDIUM_PAYLOAD, "quat", "free_acc"),
        PayloadMode.ORIENTATION_QUATERNION: _spec(Uuids.SHORT_PAYLOAD, "quat"),
        PayloadMode.RATE_QUANTITIES_WITH_MAG: _spec(Uuids.MEDIUM_PAYLOAD, "acc", "gyr", "mag"),
        PayloadMode.RATE_QUANTITIES: _spec(Uuids.MEDIUM_PAYLOAD, "acc", "gyr"),
        PayloadMode.CUSTOM_5: _spec(Uuids.LONG_PAYLOAD, "quat", "acc", "gyr"),
    }
)
_GROUP_SIZE: Final = MappingProxyType({"quat": 4, "acc": 3, "gyr": 3, "free_acc": 3, "mag": 3})

_DEVICE_CONTROL: Final = struct.Struct("<BBB4BB16sHB5s")  # 32 bytes
_VISIT_OUTPUT_RATE: Final = 0x10
_BATTERY: Final = struct.Struct("<BB")


# --- commands -----------------------------------------------------------------------------


def _mode(mode: int) -> PayloadMode:
    if mode not in PayloadMode._value2member_map_:
        raise UnknownFrameTypeError(f"DOT payload mode {mode} is not one the hub decodes")
    return PayloadMode(mode)


def start_streaming_command(mode: int) -> bytes:
    """Write to :attr:`Uuids.MEASUREMENT_CONTROL` (after enabling notifications) to start."""
    return bytes((0x01, 0x01, _mode(mode)))


def stop_streaming_command(mode: int) -> bytes:
    """Write to :attr:`Uuids.MEASUREMENT_CONTROL` to stop."""
    return bytes((0x01, 0x00, _mode(mode)))


@dataclass(frozen=True, slots=True)
class DotDeviceControl:
    """The parts of the device control characteristic the hub reads."""

    tag: str
    output_rate_hz: int
    filter_profile_index: int


def _unpack_device_control(data: bytes | bytearray | memoryview) -> tuple[Any, ...]:
    if len(data) < _DEVICE_CONTROL.size:
        raise TruncatedFrameError(f"DOT device control: {len(data)} bytes, needs 32")
    return _DEVICE_CONTROL.unpack_from(data)


def decode_device_control(data: bytes | bytearray | memoryview) -> DotDeviceControl:
    """Decode a read of :attr:`Uuids.DEVICE_CONTROL`."""
    *_, tag_len, tag, rate, profile, _reserved = _unpack_device_control(data)
    return DotDeviceControl(tag[: min(tag_len, 16)].decode("utf-8", "replace"), rate, profile)


def set_output_rate_command(current: bytes | bytearray | memoryview, rate_hz: int) -> bytes:
    """The device control value to write back to set ``rate_hz``, from a read of it
    (read-modify-write: the other fields are sent back unchanged)."""
    if rate_hz not in OUTPUT_RATES_HZ:
        raise ValueError(f"DOT output rate {rate_hz} Hz not supported (one of {OUTPUT_RATES_HZ})")
    fields = list(_unpack_device_control(current))
    fields[0], fields[9] = _VISIT_OUTPUT_RATE, rate_hz
    return _DEVICE_CONTROL.pack(*fields)


# --- payloads -----------------------------------------------------------------------------

Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class DotFrame:
    """One payload notification: the fields its mode carries, the others ``None``.

    Attributes:
        mode: the payload mode it was decoded as.
        timestamp_us: the device's clock, µs, wrapping at 2**32.
        quat_wxyz: on-board fused orientation (sensor -> local earth frame), unit quaternion.
        acc_mps2: calibrated acceleration in the sensor frame: specific force, m/s².
        gyr_rads: angular rate in the sensor frame, rad/s (sent as °/s).
        free_acc_mps2: acceleration in the local earth frame with gravity removed, m/s².
        mag_au: magnetometer, sensor frame, raw int16 in arbitrary units (not used by the hub).
    """

    mode: PayloadMode
    timestamp_us: int
    quat_wxyz: tuple[float, float, float, float] | None = None
    acc_mps2: Vec3 | None = None
    gyr_rads: Vec3 | None = None
    free_acc_mps2: Vec3 | None = None
    mag_au: tuple[int, int, int] | None = None


def _check_vector(values: tuple[float, ...], limit: float, what: str) -> None:
    if not all(math.isfinite(v) and abs(v) <= limit for v in values):
        raise InvalidFrameFieldError(f"DOT {what} {values} not finite or beyond {limit:.4g}")


def decode_payload(mode: int, data: bytes | bytearray | memoryview) -> DotFrame:
    """Decode a notification of the payload characteristic for ``mode``."""
    payload_mode = _mode(mode)
    spec = PAYLOADS[payload_mode]
    if len(data) < spec.layout.size:
        raise TruncatedFrameError(f"DOT mode {mode}: {len(data)} bytes, needs {spec.layout.size}")
    if len(data) > _CHARACTERISTIC_MAX[spec.characteristic]:
        raise InvalidFrameFieldError(f"DOT mode {mode}: {len(data)} bytes is too long")
    timestamp_us, *values = spec.layout.unpack_from(data)
    groups: dict[str, tuple[float, ...]] = {}
    i = 0
    for name in spec.fields:
        groups[name] = tuple(values[i : i + _GROUP_SIZE[name]])
        i += _GROUP_SIZE[name]
    quat = groups.get("quat")
    if quat is not None:
        _check_vector(quat, 1.0 + QUAT_NORM_TOLERANCE, "quaternion")
        if abs(math.sqrt(sum(q * q for q in quat)) - 1.0) > QUAT_NORM_TOLERANCE:
            raise InvalidFrameFieldError(f"DOT quaternion {quat} is not a unit quaternion")
    for name in ("acc", "free_acc"):
        if name in groups:
            _check_vector(groups[name], MAX_ACC_MPS2, name)
    gyr = groups.get("gyr")
    if gyr is not None:
        gyr = tuple(math.radians(g) for g in gyr)
        _check_vector(gyr, MAX_GYR_RADS, "angular rate")
    return DotFrame(
        payload_mode,
        timestamp_us,
        quat_wxyz=_as4(quat),
        acc_mps2=_as3(groups.get("acc")),
        gyr_rads=_as3(gyr),
        free_acc_mps2=_as3(groups.get("free_acc")),
        mag_au=_as3i(groups.get("mag")),
    )


def _as3(v: tuple[float, ...] | None) -> Vec3 | None:
    return None if v is None else (float(v[0]), float(v[1]), float(v[2]))


def _as3i(v: tuple[float, ...] | None) -> tuple[int, int, int] | None:
    return None if v is None else (int(v[0]), int(v[1]), int(v[2]))


def _as4(v: tuple[float, ...] | None) -> tuple[float, float, float, float] | None:
    return None if v is None else (float(v[0]), float(v[1]), float(v[2]), float(v[3]))


@dataclass(frozen=True, slots=True)
class DotBattery:
    """The battery characteristic."""

    level_pct: int
    charging: bool


def decode_battery(data: bytes | bytearray | memoryview) -> DotBattery:
    """Decode :attr:`Uuids.BATTERY` (``[level %, charging]``)."""
    if len(data) < _BATTERY.size:
        raise TruncatedFrameError(f"DOT battery: {len(data)} bytes, needs 2")
    level, charging = _BATTERY.unpack_from(data)
    if level > 100 or charging > 1:
        raise InvalidFrameFieldError(f"DOT battery level {level} %, charging {charging}")
    return DotBattery(level, bool(charging))


# --- stream -------------------------------------------------------------------------------

#: Modes that carry calibrated acceleration and angular rate, i.e. can feed a SampleBlock.
SAMPLE_MODES: Final = frozenset(
    m for m, spec in PAYLOADS.items() if {"acc", "gyr"} <= set(spec.fields)
)


class DotStream:
    """Payload notifications -> :class:`SampleBlock` in body axes, timed by the device clock.

    The wrapping µs timestamp is extended and mapped to host time (lower envelope of arrival
    latency, with drift).  Duplicates and stale notifications are dropped and counted; gaps in
    device time count as lost samples.  For :attr:`PayloadMode.CUSTOM_5` the on-board quaternion
    of the newest sample is kept in :attr:`last_quat_wxyz` (device frame).

    Args:
        mode: a payload mode with acceleration and angular rate (see :data:`SAMPLE_MODES`).
        axes: device axes giving body x, y, z (``"-y,+x,+z"`` when worn as in docs/devices.md).
        rate_hz: the configured output rate (60 Hz by default), to count lost samples.
    """

    def __init__(
        self,
        mode: PayloadMode = PayloadMode.CUSTOM_5,
        axes: str | AxesMap = "+x,+y,+z",
        *,
        rate_hz: float = 60.0,
    ) -> None:
        if mode not in SAMPLE_MODES:
            raise ValueError(f"payload mode {mode!r} carries no acceleration and angular rate")
        self.mode = mode
        self.characteristic = PAYLOADS[mode].characteristic
        self.axes = resolve_axes(axes)
        self.clock = DeviceClock(TIMESTAMP_MODULUS_US, 1e6 / rate_hz)
        self.stats = DeviceStreamStats()
        self.last_quat_wxyz: tuple[float, float, float, float] | None = None

    def feed(self, data: bytes | bytearray | memoryview, host_time_s: float) -> SampleBlock | None:
        """Take one notification; returns its sample (``None`` when it was dropped)."""
        stats = self.stats
        stats.notifications += 1
        try:
            frame = decode_payload(self.mode, data)
        except DeviceFrameError as exc:
            stats.reject(exc.kind)
            return None
        device_us, lost = self.clock.extend(frame.timestamp_us)
        if lost < 0:
            stats.reject("duplicate" if lost == -1 else "out_of_order")
            return None
        stats.lost_samples += lost
        stats.frames += 1
        stats.samples += 1
        if frame.quat_wxyz is not None:
            self.last_quat_wxyz = frame.quat_wxyz
        host_s = self.clock.accept(device_us, host_time_s)
        acc = np.array([frame.acc_mps2], dtype=np.float64)
        gyr = np.array([frame.gyr_rads], dtype=np.float64)
        return make_block(np.array([host_s]), acc, gyr, self.axes)
