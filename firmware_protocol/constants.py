"""Protocol constants as tables: UUIDs, packet types, flags, range and rate codes.

Everything a firmware engineer and the hub must agree on lives here and in ``PROTOCOL.md``;
the codec only reads these tables.
"""

from __future__ import annotations

import math
from enum import IntEnum, IntFlag
from types import MappingProxyType
from typing import Final

__all__ = [
    "ACC_RANGE_G",
    "COMPACT_PACKET_SIZE",
    "GYRO_RANGE_DPS",
    "HAPTIC_GAP_MS",
    "HAPTIC_SHAPES",
    "IMU_BLOCK_HEADER_SIZE",
    "PROTOCOL_VERSION",
    "RATE_HZ_TO_PERIOD_US",
    "SAMPLE_SIZE",
    "STANDARD_GRAVITY_MPS2",
    "DataFlags",
    "ErrorFlags",
    "FeatureFlags",
    "HapticPattern",
    "Opcode",
    "PacketType",
    "ResultCode",
    "StatusFlags",
    "Uuids",
    "acc_scale_mps2_per_lsb",
    "gyro_scale_rads_per_lsb",
    "haptic_pattern_ms",
    "max_block_samples",
]

#: The version nibble every packet of this spec carries.
PROTOCOL_VERSION: Final = 1

#: Standard gravity, for g <-> m/s^2.
STANDARD_GRAVITY_MPS2: Final = 9.80665

_BASE = "-7f3c-4e0a-9d61-2c8e4f1a6b03"


class Uuids:
    """GATT UUIDs (full 128-bit, lower case, as bleak reports them)."""

    POSTURE_SERVICE: Final = f"b5a20001{_BASE}"
    IMU_DATA: Final = f"b5a20002{_BASE}"
    STATUS: Final = f"b5a20003{_BASE}"
    CONTROL_POINT: Final = f"b5a20004{_BASE}"
    FEATURES: Final = f"b5a20005{_BASE}"
    # Standard SIG services alongside (Bluetooth base UUID).
    DEVICE_INFORMATION_SERVICE: Final = "0000180a-0000-1000-8000-00805f9b34fb"
    MANUFACTURER_NAME: Final = "00002a29-0000-1000-8000-00805f9b34fb"
    MODEL_NUMBER: Final = "00002a24-0000-1000-8000-00805f9b34fb"
    SERIAL_NUMBER: Final = "00002a25-0000-1000-8000-00805f9b34fb"
    FIRMWARE_REVISION: Final = "00002a26-0000-1000-8000-00805f9b34fb"
    HARDWARE_REVISION: Final = "00002a27-0000-1000-8000-00805f9b34fb"
    BATTERY_SERVICE: Final = "0000180f-0000-1000-8000-00805f9b34fb"
    BATTERY_LEVEL: Final = "00002a19-0000-1000-8000-00805f9b34fb"


#: Advertised complete local name prefix: ``OPS-`` + 4 hex digits of the device address.
ADVERTISED_NAME_PREFIX: Final = "OPS-"


class PacketType(IntEnum):
    """Low nibble of byte 0 of every packet (the high nibble is the protocol version)."""

    IMU_BLOCK = 0x1
    IMU_COMPACT = 0x2
    STATUS = 0x3
    CONTROL_REQUEST = 0x4
    CONTROL_RESPONSE = 0x5
    FEATURES = 0x6


class DataFlags(IntFlag):
    """Flags of an IMU packet (byte 1 of IMU_BLOCK; bits 0-2 of byte 1 of IMU_COMPACT)."""

    NONE = 0
    #: First packet after streaming (re)started or after boot: sequence and device time need
    #: not continue from the previous packet, so no loss is counted across it.
    STREAM_START = 0x01
    #: At least one value in the packet is at full scale (clipped).
    SATURATED = 0x02
    #: Sent late from the device's buffer (backfill after a reconnection), not live.
    BACKFILL = 0x04


#: Flag bits an IMU_COMPACT packet can carry (it has three flag bits).
COMPACT_FLAG_MASK: Final = 0x07


class StatusFlags(IntFlag):
    """Byte 1 of a STATUS packet."""

    NONE = 0
    STREAMING = 0x01
    CHARGING = 0x02
    EXTERNAL_POWER = 0x04
    TIME_SYNCED = 0x08


class ErrorFlags(IntFlag):
    """Error bits of a STATUS packet (u16)."""

    NONE = 0
    IMU_FAULT = 0x0001
    FIFO_OVERFLOW = 0x0002
    LOW_BATTERY = 0x0004
    BUFFER_FULL = 0x0008
    HAPTIC_FAULT = 0x0010
    CLOCK_FAULT = 0x0020
    OVER_TEMPERATURE = 0x0040
    SELF_TEST_FAILED = 0x0080


class FeatureFlags(IntFlag):
    """Byte 5 of the FEATURES packet."""

    NONE = 0
    BACKFILL = 0x01
    TEMPERATURE = 0x02
    LED = 0x04
    HAPTIC = 0x08


class Opcode(IntEnum):
    """Control point operations."""

    START_STREAMING = 0x01
    STOP_STREAMING = 0x02
    SET_RATE = 0x03
    SET_RANGES = 0x04
    HAPTIC_PULSE = 0x05
    TIME_SYNC = 0x06
    IDENTIFY = 0x07
    GET_CONFIG = 0x08


class ResultCode(IntEnum):
    """Result of a control point request, in its CONTROL_RESPONSE."""

    SUCCESS = 0x00
    OPCODE_NOT_SUPPORTED = 0x01
    INVALID_PARAMETER = 0x02
    OPERATION_FAILED = 0x03
    BUSY = 0x04
    MALFORMED_REQUEST = 0x05
    NOT_PERMITTED = 0x06


class HapticPattern(IntEnum):
    """Vibration patterns of the HAPTIC_PULSE command (severity grows with the value)."""

    SINGLE = 0
    DOUBLE = 1
    TRIPLE = 2
    LONG = 3
    RAMP = 4


#: Pause between the pulses of a haptic pattern (§7.1).
HAPTIC_GAP_MS: Final = 100
#: Pattern -> (number of pulses, duration multiplier of each pulse) (§7.1).
HAPTIC_SHAPES: Final = MappingProxyType(
    {
        HapticPattern.SINGLE: (1, 1),
        HapticPattern.DOUBLE: (2, 1),
        HapticPattern.TRIPLE: (3, 1),
        HapticPattern.LONG: (1, 3),
        HapticPattern.RAMP: (4, 1),
    }
)


def haptic_pattern_ms(pattern: HapticPattern, duration_ms: int) -> int:
    """How long a HAPTIC_PULSE keeps the motor busy (§7.1): pulses, stretch and gaps."""
    pulses, stretch = HAPTIC_SHAPES[pattern]
    return pulses * duration_ms * stretch + (pulses - 1) * HAPTIC_GAP_MS


#: Accelerometer full-scale range code -> +/- g.
ACC_RANGE_G: Final = MappingProxyType({0: 2, 1: 4, 2: 8, 3: 16})
#: Gyroscope full-scale range code -> +/- degrees per second.
GYRO_RANGE_DPS: Final = MappingProxyType({0: 250, 1: 500, 2: 1000, 3: 2000})
#: Supported output data rates and their sample periods.
RATE_HZ_TO_PERIOD_US: Final = MappingProxyType({25: 40_000, 50: 20_000, 100: 10_000, 200: 5_000})

#: Bytes of one sample: ax ay az gx gy gz, int16 little-endian.
SAMPLE_SIZE: Final = 12
#: Bytes of the IMU_BLOCK header (before the samples).
IMU_BLOCK_HEADER_SIZE: Final = 12
#: Bytes of the CRC that ends every packet.
CRC_SIZE: Final = 2
#: An IMU_COMPACT packet is exactly this long: fits the 20-byte payload of ATT_MTU 23.
COMPACT_PACKET_SIZE: Final = 20
#: IMU_COMPACT timestamps count in units of this many microseconds (16 bits, wrap 655.36 ms).
COMPACT_TIME_UNIT_US: Final = 10
#: ATT notification header: payload = ATT_MTU - 3.
ATT_NOTIFY_OVERHEAD: Final = 3
#: Largest sample count an IMU_BLOCK may declare (at ATT_MTU 247 and above).
MAX_BLOCK_SAMPLES: Final = 19


def max_block_samples(att_mtu: int) -> int:
    """Most samples an IMU_BLOCK can carry at ``att_mtu`` (0: use IMU_COMPACT instead)."""
    payload = att_mtu - ATT_NOTIFY_OVERHEAD - IMU_BLOCK_HEADER_SIZE - CRC_SIZE
    return max(0, min(MAX_BLOCK_SAMPLES, payload // SAMPLE_SIZE))


def acc_scale_mps2_per_lsb(range_code: int) -> float:
    """m/s^2 per LSB of an accelerometer sample at ``range_code``."""
    return ACC_RANGE_G[range_code] * STANDARD_GRAVITY_MPS2 / 32768.0


def gyro_scale_rads_per_lsb(range_code: int) -> float:
    """rad/s per LSB of a gyroscope sample at ``range_code``."""
    return GYRO_RANGE_DPS[range_code] * math.pi / 180.0 / 32768.0
