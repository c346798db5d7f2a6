"""Pure encoders and decoders for every packet of the protocol.

No bleak, no asyncio, no clock: bytes in, frozen dataclasses out (and back).  Decoders raise only
:class:`~firmware_protocol.errors.ProtocolError` subclasses.  Checks run in this order, so each
fault gets its most specific error: frame byte (version, type) -> length (from the header's own
count) -> CRC -> field values.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray

from firmware_protocol.constants import (
    ACC_RANGE_G,
    COMPACT_FLAG_MASK,
    COMPACT_PACKET_SIZE,
    CRC_SIZE,
    GYRO_RANGE_DPS,
    IMU_BLOCK_HEADER_SIZE,
    MAX_BLOCK_SAMPLES,
    PROTOCOL_VERSION,
    RATE_HZ_TO_PERIOD_US,
    SAMPLE_SIZE,
    DataFlags,
    ErrorFlags,
    FeatureFlags,
    HapticPattern,
    Opcode,
    PacketType,
    ResultCode,
    StatusFlags,
)
from firmware_protocol.control import (
    COMMANDS,
    REPLIES,
    Command,
    ControlRequest,
    ControlResponse,
    command_fields,
    opcode_of,
)
from firmware_protocol.crc import crc16_ccitt_false
from firmware_protocol.errors import (
    BadCrcError,
    InvalidFieldError,
    TruncatedPacketError,
    UnknownPacketTypeError,
    UnknownVersionError,
)
from firmware_protocol.packets import FeaturesPacket, ImuPacket, StatusPacket

__all__ = [
    "MIN_PERIOD_US",
    "Packet",
    "decode_control_request",
    "decode_control_response",
    "decode_features",
    "decode_imu",
    "decode_packet",
    "decode_status",
    "encode_control_request",
    "encode_control_response",
    "encode_features",
    "encode_imu_block",
    "encode_imu_compact",
    "encode_status",
    "frame_byte",
    "packet_type_of",
]

Packet = ImuPacket | StatusPacket | FeaturesPacket | ControlRequest | ControlResponse
Buffer = bytes | bytearray | memoryview

#: Shortest sample period an IMU_BLOCK may declare (1 kHz); longest is the u16 maximum.
MIN_PERIOD_US: Final = 1000

# Layouts (after the frame byte, before the CRC).
_BLOCK_HEADER: Final = struct.Struct("<BBHIHBB")  # frame flags seq t0_us period_us count ranges
_COMPACT_HEADER: Final = struct.Struct("<BBHH")  # frame flags|ranges seq t_10us
_STATUS: Final = struct.Struct("<BBBhHQ")  # frame flags battery temp_cdeg errors device_time_us
_FEATURES: Final = struct.Struct("<BBBBBBH")  # frame rates acc gyro haptic flags capacity
_CONTROL_HEADER: Final = struct.Struct("<BBB")  # frame opcode token
_RESPONSE_HEADER: Final = struct.Struct("<BBBB")  # frame opcode token result
_CRC: Final = struct.Struct("<H")
_SAMPLE_DTYPE: Final = np.dtype("<i2")

_RATES_BY_BIT: Final = tuple(sorted(RATE_HZ_TO_PERIOD_US))  # bit i <-> i-th slowest rate


def frame_byte(packet_type: PacketType) -> int:
    """Byte 0 of a packet: version in the high nibble, type in the low nibble."""
    return (PROTOCOL_VERSION << 4) | int(packet_type)


# Lookup tables instead of enum construction on the hot path.
_TYPE_OF_FRAME: Final = MappingProxyType({(PROTOCOL_VERSION << 4) | int(t): t for t in PacketType})
_DATA_FLAGS: Final = tuple(DataFlags(i) for i in range(256))


def packet_type_of(data: Buffer) -> PacketType:
    """Check byte 0 and return the packet type (raises for empty, unknown version or type)."""
    if len(data) == 0:
        raise TruncatedPacketError("empty packet")
    kind = _TYPE_OF_FRAME.get(data[0])
    if kind is not None:
        return kind
    version, type_code = data[0] >> 4, data[0] & 0x0F
    if version != PROTOCOL_VERSION:
        raise UnknownVersionError(f"protocol version {version} (this decoder speaks 1)")
    raise UnknownPacketTypeError(f"packet type 0x{type_code:x}")


def _check_length(data: Buffer, expected: int, what: str) -> None:
    if len(data) < expected:
        raise TruncatedPacketError(f"{what}: {len(data)} bytes, needs {expected}")
    if len(data) > expected:
        raise InvalidFieldError(f"{what}: {len(data)} bytes, {len(data) - expected} trailing")


def _check_crc(data: Buffer) -> None:
    body = memoryview(data)[:-CRC_SIZE]
    (sent,) = _CRC.unpack_from(data, len(data) - CRC_SIZE)
    computed = crc16_ccitt_false(body)
    if sent != computed:
        raise BadCrcError(f"CRC 0x{sent:04x}, computed 0x{computed:04x}")


def _with_crc(body: bytes) -> bytes:
    return body + _CRC.pack(crc16_ccitt_false(body))


def _expect_type(data: Buffer, wanted: PacketType) -> None:
    got = packet_type_of(data)
    if got is not wanted:
        raise UnknownPacketTypeError(f"expected {wanted.name}, got {got.name}")


# --- IMU data -----------------------------------------------------------------------------


def decode_imu(data: Buffer) -> ImuPacket:
    """Decode an IMU data notification (IMU_BLOCK or IMU_COMPACT)."""
    if type(data) is not bytes:
        data = bytes(data)  # the samples are a read-only view: the bytes must not change
    kind = packet_type_of(data)
    if kind is PacketType.IMU_BLOCK:
        return _decode_block(data)
    if kind is PacketType.IMU_COMPACT:
        return _decode_compact(data)
    raise UnknownPacketTypeError(f"{kind.name} is not an IMU data packet")


def _decode_block(data: Buffer) -> ImuPacket:
    if len(data) < IMU_BLOCK_HEADER_SIZE + CRC_SIZE:
        raise TruncatedPacketError(f"IMU_BLOCK header: {len(data)} bytes")
    _, flags, seq, t0_us, period_us, count, ranges = _BLOCK_HEADER.unpack_from(data)
    _check_length(data, IMU_BLOCK_HEADER_SIZE + count * SAMPLE_SIZE + CRC_SIZE, "IMU_BLOCK")
    _check_crc(data)
    acc_code, gyro_code = ranges & 0x0F, ranges >> 4
    if not 1 <= count <= MAX_BLOCK_SAMPLES:
        raise InvalidFieldError(f"IMU_BLOCK sample count {count} (1..{MAX_BLOCK_SAMPLES})")
    if period_us < MIN_PERIOD_US:
        raise InvalidFieldError(f"IMU_BLOCK sample period {period_us} us")
    if acc_code not in ACC_RANGE_G or gyro_code not in GYRO_RANGE_DPS:
        raise InvalidFieldError(f"IMU_BLOCK range codes acc={acc_code} gyro={gyro_code}")
    raw = np.frombuffer(data, _SAMPLE_DTYPE, count * 6, IMU_BLOCK_HEADER_SIZE).reshape(count, 6)
    return ImuPacket(
        PacketType.IMU_BLOCK, _DATA_FLAGS[flags], seq, t0_us, period_us, acc_code, gyro_code, raw
    )


def _decode_compact(data: Buffer) -> ImuPacket:
    _check_length(data, COMPACT_PACKET_SIZE, "IMU_COMPACT")
    _check_crc(data)
    _, flags_ranges, seq, t_10us = _COMPACT_HEADER.unpack_from(data)
    raw = np.frombuffer(data, _SAMPLE_DTYPE, 6, _COMPACT_HEADER.size).reshape(1, 6)
    return ImuPacket(
        PacketType.IMU_COMPACT,
        _DATA_FLAGS[flags_ranges & COMPACT_FLAG_MASK],
        seq,
        t_10us,
        None,
        (flags_ranges >> 4) & 0x03,
        (flags_ranges >> 6) & 0x03,
        raw,
    )


def _samples_bytes(raw: NDArray[np.integer], count_max: int) -> bytes:
    samples = np.asarray(raw)
    if samples.ndim != 2 or samples.shape[1] != 6 or not 1 <= samples.shape[0] <= count_max:
        raise ValueError(f"samples must have shape (1..{count_max}, 6), got {samples.shape}")
    if samples.min() < -32768 or samples.max() > 32767:
        raise ValueError("samples must fit int16")
    return samples.astype(_SAMPLE_DTYPE).tobytes()


def encode_imu_block(
    *,
    sequence: int,
    t0_us: int,
    period_us: int,
    acc_range_code: int,
    gyro_range_code: int,
    raw: NDArray[np.integer],
    flags: DataFlags = DataFlags.NONE,
) -> bytes:
    """An IMU_BLOCK packet; ``t0_us`` is taken modulo 2**32 and ``sequence`` modulo 2**16."""
    if acc_range_code not in ACC_RANGE_G or gyro_range_code not in GYRO_RANGE_DPS:
        raise ValueError("unknown range code")
    if not MIN_PERIOD_US <= period_us <= 0xFFFF:
        raise ValueError(f"period_us {period_us} out of range")
    samples = _samples_bytes(raw, MAX_BLOCK_SAMPLES)
    header = _BLOCK_HEADER.pack(
        frame_byte(PacketType.IMU_BLOCK), int(flags) & 0xFF, sequence & 0xFFFF,
        t0_us & 0xFFFFFFFF, period_us, len(samples) // SAMPLE_SIZE,
        acc_range_code | (gyro_range_code << 4),
    )  # fmt: skip
    return _with_crc(header + samples)


def encode_imu_compact(
    *,
    sequence: int,
    t_10us: int,
    acc_range_code: int,
    gyro_range_code: int,
    raw: NDArray[np.integer],
    flags: DataFlags = DataFlags.NONE,
) -> bytes:
    """An IMU_COMPACT packet (one sample); ``t_10us`` is taken modulo 2**16."""
    if acc_range_code not in ACC_RANGE_G or gyro_range_code not in GYRO_RANGE_DPS:
        raise ValueError("unknown range code")
    if int(flags) & ~COMPACT_FLAG_MASK:
        raise ValueError("IMU_COMPACT carries only flag bits 0-2")
    flags_ranges = int(flags) | (acc_range_code << 4) | (gyro_range_code << 6)
    header = _COMPACT_HEADER.pack(
        frame_byte(PacketType.IMU_COMPACT), flags_ranges, sequence & 0xFFFF, t_10us & 0xFFFF
    )
    return _with_crc(header + _samples_bytes(raw, 1))


# --- status and features ------------------------------------------------------------------


def decode_status(data: Buffer) -> StatusPacket:
    """Decode a STATUS notification."""
    _expect_type(data, PacketType.STATUS)
    _check_length(data, _STATUS.size + CRC_SIZE, "STATUS")
    _check_crc(data)
    _, flags, battery, temp, errors, device_time = _STATUS.unpack_from(data)
    if battery > 100 and battery != 0xFF:
        raise InvalidFieldError(f"battery level {battery} %")
    return StatusPacket(StatusFlags(flags), battery, temp, ErrorFlags(errors), device_time)


def encode_status(status: StatusPacket) -> bytes:
    """A STATUS packet."""
    return _with_crc(
        _STATUS.pack(
            frame_byte(PacketType.STATUS), int(status.flags), status.battery_pct,
            status.temperature_cdeg, int(status.error_flags), status.device_time_us,
        )
    )  # fmt: skip


def _mask(values: tuple[int, ...], table: tuple[int, ...]) -> int:
    return sum(1 << table.index(v) for v in values)


def _unmask(mask: int, table: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(v for i, v in enumerate(table) if mask & (1 << i))


_ACC_G: Final = tuple(ACC_RANGE_G.values())
_GYRO_DPS: Final = tuple(GYRO_RANGE_DPS.values())
_PATTERNS: Final = tuple(int(p) for p in HapticPattern)


def decode_features(data: Buffer) -> FeaturesPacket:
    """Decode the FEATURES characteristic."""
    _expect_type(data, PacketType.FEATURES)
    _check_length(data, _FEATURES.size + CRC_SIZE, "FEATURES")
    _check_crc(data)
    _, rates, acc, gyro, haptic, flags, capacity = _FEATURES.unpack_from(data)
    return FeaturesPacket(
        _unmask(rates, _RATES_BY_BIT), _unmask(acc, _ACC_G), _unmask(gyro, _GYRO_DPS),
        tuple(HapticPattern(p) for p in _unmask(haptic, _PATTERNS)), FeatureFlags(flags),
        capacity,
    )  # fmt: skip


def encode_features(features: FeaturesPacket) -> bytes:
    """A FEATURES packet."""
    return _with_crc(
        _FEATURES.pack(
            frame_byte(PacketType.FEATURES), _mask(features.rates_hz, _RATES_BY_BIT),
            _mask(features.acc_ranges_g, _ACC_G), _mask(features.gyro_ranges_dps, _GYRO_DPS),
            _mask(tuple(int(p) for p in features.haptic_patterns), _PATTERNS),
            int(features.feature_flags), features.buffer_capacity_samples,
        )
    )  # fmt: skip


# --- control point ------------------------------------------------------------------------


def _opcode(value: int) -> Opcode:
    try:
        return Opcode(value)
    except ValueError:
        raise InvalidFieldError(f"opcode 0x{value:02x}") from None


def decode_control_request(data: Buffer) -> ControlRequest:
    """Decode a control point write (what the sensor receives)."""
    _expect_type(data, PacketType.CONTROL_REQUEST)
    if len(data) < _CONTROL_HEADER.size + CRC_SIZE:
        raise TruncatedPacketError(f"CONTROL_REQUEST: {len(data)} bytes")
    _, opcode_value, token = _CONTROL_HEADER.unpack_from(data)
    opcode = _opcode(opcode_value)
    cls, layout = COMMANDS[opcode]
    _check_length(data, _CONTROL_HEADER.size + layout.size + CRC_SIZE, f"{opcode.name} request")
    _check_crc(data)
    command: Command = cls(*layout.unpack_from(data, _CONTROL_HEADER.size))
    return ControlRequest(token, command)


def encode_control_request(request: ControlRequest) -> bytes:
    """A control point write."""
    opcode = opcode_of(request.command)
    _, layout = COMMANDS[opcode]
    header = _CONTROL_HEADER.pack(frame_byte(PacketType.CONTROL_REQUEST), opcode, request.token)
    return _with_crc(header + layout.pack(*command_fields(request.command)))


def decode_control_response(data: Buffer) -> ControlResponse:
    """Decode a control point indication (what the hub receives)."""
    _expect_type(data, PacketType.CONTROL_RESPONSE)
    if len(data) < _RESPONSE_HEADER.size + CRC_SIZE:
        raise TruncatedPacketError(f"CONTROL_RESPONSE: {len(data)} bytes")
    _, opcode, token, result_value = _RESPONSE_HEADER.unpack_from(data)
    try:
        result = ResultCode(result_value)
    except ValueError:
        raise InvalidFieldError(f"result code 0x{result_value:02x}") from None
    reply_spec = REPLIES.get(Opcode(opcode)) if opcode in Opcode._value2member_map_ else None
    has_reply = reply_spec is not None and result is ResultCode.SUCCESS
    reply_size = reply_spec[1].size if reply_spec is not None and has_reply else 0
    _check_length(data, _RESPONSE_HEADER.size + reply_size + CRC_SIZE, "CONTROL_RESPONSE")
    _check_crc(data)
    if reply_spec is None or not has_reply:
        return ControlResponse(opcode, token, result)
    reply_cls, layout = reply_spec
    return ControlResponse(
        opcode, token, result, reply_cls(*layout.unpack_from(data, _RESPONSE_HEADER.size))
    )


def encode_control_response(response: ControlResponse) -> bytes:
    """A control point indication."""
    header = _RESPONSE_HEADER.pack(
        frame_byte(PacketType.CONTROL_RESPONSE), response.opcode, response.token,
        int(response.result),
    )  # fmt: skip
    if response.reply is None:
        return _with_crc(header)
    _, layout = REPLIES[Opcode(response.opcode)]
    return _with_crc(header + layout.pack(*dataclasses.astuple(response.reply)))


# --- any packet ---------------------------------------------------------------------------

_DECODERS: Final[MappingProxyType[PacketType, Callable[[Buffer], Packet]]] = MappingProxyType(
    {
        PacketType.IMU_BLOCK: _decode_block,
        PacketType.IMU_COMPACT: _decode_compact,
        PacketType.STATUS: decode_status,
        PacketType.CONTROL_REQUEST: decode_control_request,
        PacketType.CONTROL_RESPONSE: decode_control_response,
        PacketType.FEATURES: decode_features,
    }
)


def decode_packet(data: Buffer) -> Packet:
    """Decode any packet of the protocol, dispatching on its type nibble."""
    if type(data) is not bytes:
        data = bytes(data)
    return _DECODERS[packet_type_of(data)](data)
