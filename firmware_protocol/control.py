"""Control point commands and responses, described as a table.

A request is ``[ver|type][opcode][token][params...][crc16]``; the sensor answers each write with
an indication ``[ver|type][opcode][token][result][reply params...][crc16]``.  Each command is a
frozen dataclass whose fields, in order, are packed by the ``struct.Struct`` in ``COMMANDS``; the
same table drives encoding and decoding, and :func:`validate_command` gives the firmware's
semantic checks (shared by the virtual sensor and real firmware tests).
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from firmware_protocol.constants import (
    ACC_RANGE_G,
    GYRO_RANGE_DPS,
    RATE_HZ_TO_PERIOD_US,
    HapticPattern,
    Opcode,
    ResultCode,
)

__all__ = [
    "COMMANDS",
    "REPLIES",
    "Command",
    "ConfigReply",
    "ControlRequest",
    "ControlResponse",
    "GetConfig",
    "HapticPulse",
    "Identify",
    "Reply",
    "SetRanges",
    "SetRate",
    "StartStreaming",
    "StopStreaming",
    "TimeSync",
    "TimeSyncReply",
    "opcode_of",
    "validate_command",
]


@dataclass(frozen=True, slots=True)
class StartStreaming:
    """Start IMU notifications (the first packet carries STREAM_START)."""


@dataclass(frozen=True, slots=True)
class StopStreaming:
    """Stop IMU notifications."""


@dataclass(frozen=True, slots=True)
class SetRate:
    """Set the output data rate: 25, 50, 100 or 200 Hz."""

    rate_hz: int


@dataclass(frozen=True, slots=True)
class SetRanges:
    """Set the full-scale ranges by code (see ``ACC_RANGE_G`` and ``GYRO_RANGE_DPS``)."""

    acc_range_code: int
    gyro_range_code: int


@dataclass(frozen=True, slots=True)
class HapticPulse:
    """Vibrate: pattern (:class:`HapticPattern`), intensity 1-100 %, duration 10-5000 ms."""

    pattern: int
    intensity_pct: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class TimeSync:
    """Ask for the device clock; carries the host clock (µs) when sent, for the log."""

    host_time_us: int


@dataclass(frozen=True, slots=True)
class Identify:
    """Blink the LED and buzz briefly for ``duration_ms`` (0-30000) so the wearer finds it."""

    duration_ms: int


@dataclass(frozen=True, slots=True)
class GetConfig:
    """Read the current rate, ranges and streaming state."""


Command = (
    StartStreaming
    | StopStreaming
    | SetRate
    | SetRanges
    | HapticPulse
    | TimeSync
    | Identify
    | GetConfig
)


@dataclass(frozen=True, slots=True)
class TimeSyncReply:
    """Device clock (µs since boot, 64 bits) when the TIME_SYNC request was received."""

    device_time_us: int


@dataclass(frozen=True, slots=True)
class ConfigReply:
    """Current configuration; ``block_samples`` is 0 when the sensor sends IMU_COMPACT."""

    rate_hz: int
    acc_range_code: int
    gyro_range_code: int
    streaming: int
    block_samples: int


Reply = TimeSyncReply | ConfigReply

#: Opcode -> (command class, parameter layout).
COMMANDS: Final = MappingProxyType(
    {
        Opcode.START_STREAMING: (StartStreaming, struct.Struct("<")),
        Opcode.STOP_STREAMING: (StopStreaming, struct.Struct("<")),
        Opcode.SET_RATE: (SetRate, struct.Struct("<H")),
        Opcode.SET_RANGES: (SetRanges, struct.Struct("<BB")),
        Opcode.HAPTIC_PULSE: (HapticPulse, struct.Struct("<BBH")),
        Opcode.TIME_SYNC: (TimeSync, struct.Struct("<Q")),
        Opcode.IDENTIFY: (Identify, struct.Struct("<H")),
        Opcode.GET_CONFIG: (GetConfig, struct.Struct("<")),
    }
)

#: Opcode -> (reply class, layout) for the opcodes whose successful response carries data.
REPLIES: Final = MappingProxyType(
    {
        Opcode.TIME_SYNC: (TimeSyncReply, struct.Struct("<Q")),
        Opcode.GET_CONFIG: (ConfigReply, struct.Struct("<HBBBB")),
    }
)

_OPCODE_OF_CLASS: Final = MappingProxyType({cls: op for op, (cls, _) in COMMANDS.items()})


def opcode_of(command: Command) -> Opcode:
    """The opcode of a command object."""
    return _OPCODE_OF_CLASS[type(command)]


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A control point write: ``token`` (0-255) is echoed in the response to match them."""

    token: int
    command: Command

    @property
    def opcode(self) -> Opcode:
        """The command's opcode."""
        return opcode_of(self.command)


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """A control point indication answering the request with the same opcode and token.

    ``opcode`` is an ``int`` because the sensor echoes opcodes it does not know.
    """

    opcode: int
    token: int
    result: ResultCode
    reply: Reply | None = None


# Haptic and identify limits (firmware rejects others with INVALID_PARAMETER).
HAPTIC_INTENSITY_PCT: Final = range(1, 101)
HAPTIC_DURATION_MS: Final = range(10, 5001)
IDENTIFY_DURATION_MS: Final = range(30_001)


def validate_command(command: Command) -> ResultCode:
    """What a compliant sensor answers to ``command`` (before trying to carry it out)."""
    ok = True
    if isinstance(command, SetRate):
        ok = command.rate_hz in RATE_HZ_TO_PERIOD_US
    elif isinstance(command, SetRanges):
        ok = command.acc_range_code in ACC_RANGE_G and command.gyro_range_code in GYRO_RANGE_DPS
    elif isinstance(command, HapticPulse):
        ok = (
            command.pattern in HapticPattern._value2member_map_
            and command.intensity_pct in HAPTIC_INTENSITY_PCT
            and command.duration_ms in HAPTIC_DURATION_MS
        )
    elif isinstance(command, Identify):
        ok = command.duration_ms in IDENTIFY_DURATION_MS
    return ResultCode.SUCCESS if ok else ResultCode.INVALID_PARAMETER


def command_fields(command: Command) -> tuple[int, ...]:
    """The command's parameters in wire order."""
    return tuple(int(v) for v in dataclasses.astuple(command))
