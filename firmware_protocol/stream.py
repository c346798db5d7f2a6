"""From a stream of IMU notifications to time-stamped samples, accounting for every gap.

:class:`StreamDecoder` is the stateful (but pure: no clock, no I/O) part of the codec.  Per packet
it decodes, checks the sequence number (serial-number arithmetic modulo 2**16, so wraparound is
normal), extends the wrapped device timestamp to a continuous 64-bit device time, counts lost
packets and samples, rejects duplicates and late (out-of-order) packets, and maps every sample to
host time through a :class:`~firmware_protocol.clock.ClockMapper`.  Bad packets raise a typed
:class:`~firmware_protocol.errors.ProtocolError` after being counted in :attr:`StreamDecoder.stats`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from firmware_protocol.clock import ClockMapper
from firmware_protocol.codec import Buffer, decode_imu
from firmware_protocol.constants import DataFlags
from firmware_protocol.errors import DuplicatePacketError, OutOfOrderPacketError, ProtocolError
from firmware_protocol.packets import ImuPacket

__all__ = ["DecodedBlock", "StreamDecoder", "StreamStats", "unwrap_forward"]

_SEQ_MODULUS = 1 << 16
_HALF_SEQ = _SEQ_MODULUS // 2
#: Host timestamps must strictly increase; a clock-model update never moves time back by
#: more than this nudge per sample.
_MIN_HOST_STEP_S = 1e-6
_STEPS = np.arange(256, dtype=np.float64)
_STEPS_INT = np.arange(256, dtype=np.int64)


def unwrap_forward(prev_us: int, wrapped_us: int, modulus_us: int, expected_elapsed_us: int) -> int:
    """Extend ``wrapped_us`` (a time modulo ``modulus_us``) to the full time scale of ``prev_us``.

    Picks the value congruent to ``wrapped_us`` that lies after ``prev_us`` by the amount closest
    to ``expected_elapsed_us`` (from the sequence numbers and the sample period).  Unambiguous
    while the device clock's error over the gap stays under half a modulus.
    """
    delta = (wrapped_us - prev_us) % modulus_us
    wraps = max(0, round((expected_elapsed_us - delta) / modulus_us))
    return prev_us + delta + wraps * modulus_us


@dataclass(slots=True)
class StreamStats:
    """Counters of one sensor's stream (they only ever grow)."""

    packets: int = 0
    samples: int = 0
    lost_packets: int = 0
    lost_samples: int = 0
    restarts: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rejected(self) -> int:
        """Packets dropped for any error."""
        return sum(self.errors.values())


@dataclass(frozen=True, eq=False, slots=True)
class DecodedBlock:
    """The samples of one accepted IMU packet, on both time scales.

    Attributes:
        packet: the decoded packet.
        device_time_us: shape ``(n,)``, continuous device time of each sample, µs.
        host_time_s: shape ``(n,)``, host time of each sample, s, strictly increasing.
        acc_mps2, gyr_rads: shape ``(n, 3)``, sensor frame.
        lost_samples_before: samples missing between the previous accepted packet and this one.
        restarted: the stream (re)started at this packet (no continuity with the previous one).
    """

    packet: ImuPacket
    device_time_us: NDArray[np.int64]
    host_time_s: NDArray[np.float64]
    acc_mps2: NDArray[np.float64]
    gyr_rads: NDArray[np.float64]
    lost_samples_before: int
    restarted: bool


class StreamDecoder:
    """Decodes one sensor's IMU notifications into :class:`DecodedBlock` s.

    Args:
        nominal_period_us: the configured sample period, used to predict elapsed time over
            gaps of IMU_COMPACT packets (which carry no period); learned from the data when
            ``None``.
        clock: the device-to-host clock mapper (a new default one when ``None``).
    """

    def __init__(
        self, *, nominal_period_us: int | None = None, clock: ClockMapper | None = None
    ) -> None:
        self.stats = StreamStats()
        self.clock = clock if clock is not None else ClockMapper()
        self._period_us = nominal_period_us
        self._anchor_us: int | None = None
        self._last: ImuPacket | None = None
        self._last_t0_us = 0
        self._last_host_s = -np.inf

    # -- device-time anchors ----------------------------------------------------------------

    def _to_stream_time(self, device_us: int) -> int:
        """A full 64-bit device time expressed on this stream's (possibly unanchored) scale."""
        if self._last is None:
            return device_us
        modulus = self._last.time_modulus_us
        return (
            self._last_t0_us
            + (device_us - self._last_t0_us + modulus // 2) % modulus
            - (modulus // 2)
        )

    def observe_device_time(self, device_time_us: int, host_time_s: float) -> None:
        """A full device time (STATUS packet, TIME_SYNC reply) known to have passed by
        ``host_time_s``: anchors the wrapped timestamps and feeds the clock mapper."""
        if self._last is None:
            self._anchor_us = device_time_us
        self.clock.observe(self._to_stream_time(device_time_us), host_time_s)

    def reset(self) -> None:
        """Forget sequence and clock state (a different device, or a reboot)."""
        self._last = None
        self._anchor_us = None
        self.clock.reset()
        self._last_host_s = -np.inf

    # -- packets ----------------------------------------------------------------------------

    def feed(self, data: Buffer, host_time_s: float) -> DecodedBlock:
        """Decode one notification received at ``host_time_s``; raises ProtocolError subclasses
        (already counted in :attr:`stats`) for packets that must be dropped."""
        try:
            return self._feed(data, host_time_s)
        except ProtocolError as exc:
            self.stats.errors[exc.kind] += 1
            raise

    def _feed(self, data: Buffer, host_time_s: float) -> DecodedBlock:
        packet = decode_imu(data)
        period_us = packet.period_us or self._period_us or 0
        restarted = self._last is None or bool(packet.flags & DataFlags.STREAM_START)
        lost_samples = 0
        if self._last is None or restarted:
            t0_us = self._start_time(packet)
        else:
            t0_us, lost_samples = self._continue(self._last, packet, period_us)
        count = packet.count
        if packet.period_us is None and not restarted and lost_samples == 0:
            self._period_us = t0_us - self._last_t0_us  # learn the compact stream's period
        last_us = t0_us + (count - 1) * period_us
        model = self.clock.observe(last_us, host_time_s)
        t0_s = t0_us * 1e-6
        host0 = t0_s + model.offset_s + model.drift * (t0_s - model.ref_device_s)
        host0 = max(host0, self._last_host_s + _MIN_HOST_STEP_S)
        steps = _STEPS[:count]
        host_s = host0 + steps * (period_us * 1e-6 * (1.0 + model.drift))
        device_us = t0_us + _STEPS_INT[:count] * period_us
        self._last, self._last_t0_us, self._last_host_s = packet, t0_us, float(host_s[-1])
        self.stats.packets += 1
        self.stats.samples += count
        self.stats.lost_samples += lost_samples
        self.stats.restarts += int(restarted and self.stats.packets > 1)
        acc_mps2, gyr_rads = packet.physical()
        return DecodedBlock(packet, device_us, host_s, acc_mps2, gyr_rads, lost_samples, restarted)

    def _start_time(self, packet: ImuPacket) -> int:
        modulus = packet.time_modulus_us
        if self._anchor_us is None:
            return packet.t0_wrapped_us
        base = self._anchor_us - modulus // 2
        return unwrap_forward(base, packet.t0_wrapped_us, modulus, modulus // 2)

    def _continue(self, last: ImuPacket, packet: ImuPacket, period_us: int) -> tuple[int, int]:
        dseq = (packet.sequence - last.sequence) % _SEQ_MODULUS
        if dseq == 0:
            raise DuplicatePacketError(f"sequence {packet.sequence} repeated")
        if dseq >= _HALF_SEQ:
            raise OutOfOrderPacketError(
                f"sequence {packet.sequence} is {_SEQ_MODULUS - dseq} behind {last.sequence}"
            )
        last_period = last.period_us or period_us
        expected = dseq * last.count * last_period
        t0_us = unwrap_forward(
            self._last_t0_us, packet.t0_wrapped_us, packet.time_modulus_us, expected
        )
        next_due = self._last_t0_us + last.count * last_period
        if t0_us < next_due - last_period // 2:
            raise OutOfOrderPacketError(f"device time {t0_us} us overlaps the previous packet")
        self.stats.lost_packets += dseq - 1
        lost = round((t0_us - next_due) / period_us) if period_us > 0 else dseq - 1
        return t0_us, max(0, lost)
