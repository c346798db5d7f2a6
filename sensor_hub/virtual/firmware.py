"""The virtual sensor's firmware logic, as PROTOCOL.md specifies it; pure (device time is an
argument, no clock, no I/O, no Bluetooth).

:class:`Firmware` answers control point writes (decoded with :mod:`firmware_protocol`), keeps
the configuration and the status, and turns the sample source into IMU packets sized to the
ATT_MTU (§5.4), sent when full or when their first sample is 100 ms old (§5.1).  The Bumble
layer (:mod:`.sensor`) only moves its bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from firmware_protocol import (
    RATE_HZ_TO_PERIOD_US,
    ConfigReply,
    ControlRequest,
    ControlResponse,
    DataFlags,
    ErrorFlags,
    FeatureFlags,
    FeaturesPacket,
    GetConfig,
    HapticPattern,
    HapticPulse,
    Identify,
    Opcode,
    ProtocolError,
    ResultCode,
    SetRanges,
    SetRate,
    StartStreaming,
    StatusFlags,
    StatusPacket,
    StopStreaming,
    TimeSync,
    TimeSyncReply,
    decode_control_request,
    encode_imu_block,
    encode_imu_compact,
    haptic_pattern_ms,
    max_block_samples,
    validate_command,
)
from firmware_protocol.codec import frame_byte
from firmware_protocol.constants import COMPACT_TIME_UNIT_US, PacketType
from firmware_protocol.crc import crc16_ccitt_false
from sensor_hub.virtual.source import SampleSource, quantize

__all__ = [
    "DEFAULT_FEATURES",
    "LATENCY_US",
    "ControlExchange",
    "Firmware",
    "HapticEvent",
    "IdentifyEvent",
    "TimeSyncEvent",
]

#: §5.1: a packet is sent at the latest when its first sample is this old.
LATENCY_US: Final = 100_000
#: Battery level at or below which haptic pulses are refused (NOT_PERMITTED) unless charging.
CRITICAL_BATTERY_PCT: Final = 2
_FULL_SCALE: Final = (-32768, 32767)
_REQUEST_FRAME: Final = frame_byte(PacketType.CONTROL_REQUEST)
_CRC: Final = struct.Struct("<H")

#: What the virtual sensor supports: every rate, range and pattern; no backfill.
DEFAULT_FEATURES: Final = FeaturesPacket(
    rates_hz=tuple(sorted(RATE_HZ_TO_PERIOD_US)),
    acc_ranges_g=(2, 4, 8, 16),
    gyro_ranges_dps=(250, 500, 1000, 2000),
    haptic_patterns=tuple(HapticPattern),
    feature_flags=FeatureFlags.TEMPERATURE | FeatureFlags.LED | FeatureFlags.HAPTIC,
    buffer_capacity_samples=0,
)


@dataclass(frozen=True, slots=True)
class HapticEvent:
    """A haptic pulse the sensor carried out (the hub asked for it)."""

    device_time_us: int
    pattern: HapticPattern
    intensity_pct: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class TimeSyncEvent:
    """A TIME_SYNC the sensor answered."""

    device_time_us: int
    host_time_us: int


@dataclass(frozen=True, slots=True)
class IdentifyEvent:
    """An IDENTIFY the sensor carried out."""

    device_time_us: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class ControlExchange:
    """One control point write and the response the sensor indicated."""

    device_time_us: int
    data: bytes
    request: ControlRequest | None
    response: ControlResponse


class Firmware:
    """The sensor's state machine.  ``device_time_us`` arguments must never decrease.

    Args:
        source: the samples the IMU "measures".
        initial_sequence: sequence number of the first IMU packet after boot.
        features: what the FEATURES characteristic reports.
        latency_us: §5.1's bound on the age of a packet's first sample when it is sent.
    """

    def __init__(
        self,
        source: SampleSource,
        *,
        initial_sequence: int = 0,
        features: FeaturesPacket = DEFAULT_FEATURES,
        latency_us: int = LATENCY_US,
    ) -> None:
        self.source = source
        self.latency_us = latency_us
        self.features = features
        self.rate_hz = 100
        self.acc_range_code = 1
        self.gyro_range_code = 1
        self.streaming = False
        self.time_synced = False
        self.battery_pct = 87
        self.charging = False
        self.external_power = False
        self.temperature_cdeg = 3150
        self.error_flags = ErrorFlags.NONE
        #: START_STREAMING fails with OPERATION_FAILED while set (fault injection).
        self.imu_fault = False
        self.exchanges: list[ControlExchange] = []
        self.haptics: list[HapticEvent] = []
        self.time_syncs: list[TimeSyncEvent] = []
        self.identifies: list[IdentifyEvent] = []
        #: Set when the status changed and should be notified; cleared by the sender.
        self.status_dirty = False
        self._sequence = initial_sequence & 0xFFFF
        self._haptic_busy_until_us = 0
        self._next_sample_us = 0
        self._stream_start = False
        self._pending: list[NDArray[np.int16]] = []
        self._pending_count = 0
        self._pending_t0_us = 0
        self._outbox: list[bytes] = []

    # -- configuration and status -----------------------------------------------------------

    @property
    def period_us(self) -> int:
        """Sample period at the configured rate."""
        return RATE_HZ_TO_PERIOD_US[self.rate_hz]

    @property
    def sequence(self) -> int:
        """Sequence number of the next IMU packet."""
        return self._sequence

    def status(self, device_time_us: int) -> StatusPacket:
        """The STATUS packet as of ``device_time_us``."""
        flags = StatusFlags.NONE
        if self.streaming:
            flags |= StatusFlags.STREAMING
        if self.charging:
            flags |= StatusFlags.CHARGING
        if self.external_power:
            flags |= StatusFlags.EXTERNAL_POWER
        if self.time_synced:
            flags |= StatusFlags.TIME_SYNCED
        return StatusPacket(
            flags, self.battery_pct, self.temperature_cdeg, self.error_flags, device_time_us
        )

    def on_disconnected(self) -> None:
        """The link dropped: streaming stops, the time sync is forgotten (per connection)."""
        self.streaming = False
        self.time_synced = False
        self._discard_pending()

    # -- control point ----------------------------------------------------------------------

    def handle_control(self, data: bytes, device_time_us: int, att_mtu: int) -> ControlResponse:
        """Carry out one control point write and return the response to indicate."""
        try:
            request = decode_control_request(data)
        except ProtocolError:
            response = _reject_undecodable(data)
            self.exchanges.append(ControlExchange(device_time_us, data, None, response))
            return response
        result = validate_command(request.command)
        reply: TimeSyncReply | ConfigReply | None = None
        if result is ResultCode.SUCCESS:
            result, reply = self._execute(request.command, device_time_us, att_mtu)
        response = ControlResponse(
            request.opcode, request.token, result, reply if result is ResultCode.SUCCESS else None
        )
        self.exchanges.append(ControlExchange(device_time_us, data, request, response))
        return response

    def _execute(
        self, command: object, now_us: int, att_mtu: int
    ) -> tuple[ResultCode, TimeSyncReply | ConfigReply | None]:
        result = ResultCode.SUCCESS
        reply: TimeSyncReply | ConfigReply | None = None
        match command:
            case StartStreaming():
                result = self._start_streaming(now_us)
            case StopStreaming():
                if self.streaming:
                    self.streaming = False
                    self.status_dirty = True
                self._discard_pending()
            case SetRate(rate_hz=rate_hz):
                self._flush_pending(att_mtu)
                last_sample_us = self._next_sample_us - self.period_us
                self.rate_hz = rate_hz
                self._next_sample_us = max(last_sample_us + self.period_us, 0)
            case SetRanges(acc_range_code=acc, gyro_range_code=gyro):
                self._flush_pending(att_mtu)
                self.acc_range_code, self.gyro_range_code = acc, gyro
            case HapticPulse():
                result = self._haptic(command, now_us)
            case TimeSync(host_time_us=host_time_us):
                self.time_syncs.append(TimeSyncEvent(now_us, host_time_us))
                if not self.time_synced:
                    self.time_synced = True
                    self.status_dirty = True
                reply = TimeSyncReply(now_us)
            case Identify(duration_ms=duration_ms):
                self.identifies.append(IdentifyEvent(now_us, duration_ms))
            case GetConfig():
                reply = ConfigReply(
                    self.rate_hz,
                    self.acc_range_code,
                    self.gyro_range_code,
                    int(self.streaming),
                    max_block_samples(att_mtu),
                )
        return result, reply

    def _start_streaming(self, now_us: int) -> ResultCode:
        if self.imu_fault:
            self.error_flags |= ErrorFlags.IMU_FAULT
            self.status_dirty = True
            return ResultCode.OPERATION_FAILED
        if self.streaming:
            return ResultCode.SUCCESS
        self.streaming = True
        self.status_dirty = True  # §5.1: a STATUS goes out before the first IMU packet
        self._stream_start = True
        self._next_sample_us = now_us
        self._discard_pending()
        return ResultCode.SUCCESS

    def _haptic(self, command: HapticPulse, now_us: int) -> ResultCode:
        if self.battery_pct <= CRITICAL_BATTERY_PCT and not self.charging:
            return ResultCode.NOT_PERMITTED
        if now_us < self._haptic_busy_until_us:
            return ResultCode.BUSY
        pattern = HapticPattern(command.pattern)
        total_ms = haptic_pattern_ms(pattern, command.duration_ms)
        self._haptic_busy_until_us = now_us + total_ms * 1000
        self.haptics.append(
            HapticEvent(now_us, pattern, command.intensity_pct, command.duration_ms)
        )
        return ResultCode.SUCCESS

    # -- IMU data ---------------------------------------------------------------------------

    def poll_imu(self, device_time_us: int, att_mtu: int) -> list[bytes]:
        """Take the samples due by ``device_time_us`` and return the packets due to be sent."""
        if not self.streaming:
            self._outbox.clear()
            return []
        per_packet = max_block_samples(att_mtu)
        self._sample_until(device_time_us)
        packets, self._outbox = self._outbox, []
        size = self._packet_size(att_mtu)
        while self._pending_count >= size:
            packets.append(self._emit(size, compact=per_packet == 0))
        if self._pending_count and self.source.exhausted:
            packets.append(self._emit(self._pending_count, compact=per_packet == 0))
        return packets

    def _packet_size(self, att_mtu: int) -> int:
        """Samples per packet: as many as the MTU allows (§5.4), but no sample later than
        ``latency_us`` after the first (§5.1), so packet boundaries depend only on the sample
        grid, never on when the firmware got to run."""
        by_latency = self.latency_us // self.period_us + 1
        return max(1, min(max_block_samples(att_mtu), by_latency))

    def next_due_us(self, att_mtu: int) -> int | None:
        """Device time at which :meth:`poll_imu` will next have a packet (``None``: never)."""
        if self._outbox:
            return self._next_sample_us - self.period_us
        if not self.streaming or (self.source.exhausted and not self._pending_count):
            return None
        size = self._packet_size(att_mtu)
        return self._next_sample_us + max(0, size - self._pending_count - 1) * self.period_us

    def _sample_until(self, now_us: int) -> None:
        if now_us < self._next_sample_us:
            return
        due = (now_us - self._next_sample_us) // self.period_us + 1
        samples = self.source.take(due, self.period_us)
        taken = samples.acc_mps2.shape[0]
        if taken == 0:
            return
        raw = quantize(
            samples.acc_mps2, samples.gyr_rads, self.acc_range_code, self.gyro_range_code
        )
        if not self._pending_count:
            self._pending_t0_us = self._next_sample_us
        self._pending.append(raw)
        self._pending_count += taken
        self._next_sample_us += taken * self.period_us

    def _emit(self, count: int, *, compact: bool) -> bytes:
        pending = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        raw, rest = pending[:count], pending[count:]
        self._pending = [rest] if len(rest) else []
        t0_us = self._pending_t0_us
        self._pending_count -= count
        self._pending_t0_us = t0_us + count * self.period_us
        flags = DataFlags.NONE
        if self._stream_start:
            flags |= DataFlags.STREAM_START
            self._stream_start = False
        if np.isin(raw, _FULL_SCALE).any():
            flags |= DataFlags.SATURATED
        sequence, self._sequence = self._sequence, (self._sequence + 1) & 0xFFFF
        if compact:
            return encode_imu_compact(
                sequence=sequence,
                t_10us=t0_us // COMPACT_TIME_UNIT_US,
                acc_range_code=self.acc_range_code,
                gyro_range_code=self.gyro_range_code,
                raw=raw,
                flags=flags,
            )
        return encode_imu_block(
            sequence=sequence,
            t0_us=t0_us,
            period_us=self.period_us,
            acc_range_code=self.acc_range_code,
            gyro_range_code=self.gyro_range_code,
            raw=raw,
            flags=flags,
        )

    def _flush_pending(self, att_mtu: int) -> None:
        """Samples taken under the old rate/ranges go out as they are (§7.2): one packet of
        them (several at a small MTU) is queued for the next :meth:`poll_imu`."""
        per_packet = max_block_samples(att_mtu)
        while self._pending_count:
            count = min(self._pending_count, max(1, per_packet))
            self._outbox.append(self._emit(count, compact=per_packet == 0))

    def _discard_pending(self) -> None:
        self._pending = []
        self._pending_count = 0


def _reject_undecodable(data: bytes) -> ControlResponse:
    """§7.1: OPCODE_NOT_SUPPORTED for a well-formed request with an unknown opcode, else
    MALFORMED_REQUEST, echoing opcode and token when the bytes hold them (else 0)."""
    opcode, token = (data[1], data[2]) if len(data) >= 3 else (0, 0)
    well_framed = len(data) >= 5 and data[0] == _REQUEST_FRAME
    if well_framed and opcode not in Opcode._value2member_map_:
        (sent,) = _CRC.unpack_from(data, len(data) - 2)
        if sent == crc16_ccitt_false(data[:-2]):
            return ControlResponse(opcode, token, ResultCode.OPCODE_NOT_SUPPORTED)
    return ControlResponse(opcode, token, ResultCode.MALFORMED_REQUEST)
