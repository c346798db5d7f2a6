"""Plumbing shared by the device stream adapters: stats, the two ways to time samples, blocks.

* :class:`ArrivalClock` for devices without a clock in their frames (WitMotion, Thingy:52):
  samples completed by a notification are spread back from its host arrival time at the nominal
  period, never before the previous sample.
* :class:`DeviceClock` for devices that stamp samples (Movella DOT, a wrapping u32 µs counter):
  the counter is extended past its wrap and mapped to host time by
  :class:`firmware_protocol.clock.ClockMapper` (lower envelope of arrival latencies, drift fit).

Pure and deterministic: host time is always an argument, nothing reads a clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from firmware_protocol.clock import ClockMapper
from sensor_hub.recording.header import AxesMap
from sensor_hub.samples import FloatArray, SampleBlock

__all__ = ["ArrivalClock", "DeviceClock", "DeviceStreamStats", "make_block"]

#: Host timestamps strictly increase: the smallest step forced between two samples, s.
MIN_STEP_S: Final = 1e-6


@dataclass(slots=True)
class DeviceStreamStats:
    """Counters of one device stream (they only ever grow).

    Attributes:
        notifications: notifications fed.
        frames: frames decoded and accepted (IMU and other).
        samples: samples returned in blocks.
        dropped_frames: frames (or notifications) rejected, for any reason.
        discarded_bytes: bytes skipped while looking for a frame header (framed protocols).
        lost_samples: samples missing by the device's own clock (devices with a clock).
        clock_compressions: times an arrival-timed device ran ahead of its nominal rate and
            samples were squeezed into the time since the previous one.
        errors: rejections by :attr:`~sensor_hub.devices.errors.DeviceFrameError.kind`
            (and ``duplicate`` / ``out_of_order`` for stamped devices).
    """

    notifications: int = 0
    frames: int = 0
    samples: int = 0
    dropped_frames: int = 0
    discarded_bytes: int = 0
    lost_samples: int = 0
    clock_compressions: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def reject(self, kind: str) -> None:
        """Count one dropped frame of this error kind."""
        self.dropped_frames += 1
        self.errors[kind] += 1


class ArrivalClock:
    """Host timestamps for a device whose frames carry no time.

    The ``n`` samples completed by a notification that arrived at ``h`` get
    ``h - (n - 1 - i) * period`` (the last sample is the newest), moved later where needed so that
    each is at least one period after the previous sample.  When that would put the newest sample
    more than ``max_lead_s`` after ``h`` (the device runs faster than its nominal rate, or
    notifications came in a burst), the samples are instead spread evenly between the previous
    sample and ``h``.

    Args:
        rate_hz: the rate the device was configured to.
        max_lead_s: how far ahead of the host arrival time a sample may be stamped.
    """

    def __init__(self, rate_hz: float, *, max_lead_s: float = 0.25) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        self.period_s = 1.0 / rate_hz
        self.max_lead_s = max_lead_s
        self._last_s = -np.inf
        self.compressions = 0

    def stamp(self, n: int, host_time_s: float) -> FloatArray:
        """Timestamps of ``n`` samples completed at ``host_time_s``, shape ``(n,)``."""
        steps = np.arange(n, dtype=np.float64)
        start = max(host_time_s - (n - 1) * self.period_s, self._last_s + self.period_s)
        times: FloatArray = start + steps * self.period_s
        if n and times[-1] > host_time_s + self.max_lead_s:
            self.compressions += 1
            step = max((host_time_s - self._last_s) / n, MIN_STEP_S)
            times = self._last_s + (steps + 1.0) * step
        if n:
            self._last_s = float(times[-1])
        return times


class DeviceClock:
    """Extends a wrapping device counter (µs) and maps it to host time.

    Args:
        modulus_us: the counter wraps at this value (``2**32`` for a u32 µs counter).
        nominal_period_us: the expected time between samples, used to count lost samples.
    """

    def __init__(self, modulus_us: int, nominal_period_us: float) -> None:
        self.modulus_us = modulus_us
        self.nominal_period_us = nominal_period_us
        self.mapper = ClockMapper()
        self._last_device_us: int | None = None
        self._last_host_s = -np.inf

    def extend(self, wrapped_us: int) -> tuple[int, int]:
        """The continuous device time of ``wrapped_us`` and the samples lost before it.

        Returns ``(device_us, lost)``; ``lost`` is ``-1`` for a duplicate (same time as the last
        sample) and ``-2`` for a stale sample (older than the last one, by under half a wrap).
        Nothing is updated: call :meth:`accept` for a sample that is kept.
        """
        last = self._last_device_us
        if last is None:
            return wrapped_us, 0
        delta = (wrapped_us - last) % self.modulus_us
        if delta == 0:
            return last, -1
        if delta > self.modulus_us // 2:
            return last, -2
        lost = max(0, round(delta / self.nominal_period_us) - 1)
        return last + delta, lost

    def accept(self, device_us: int, host_time_s: float) -> float:
        """Record a kept sample's device time (which arrived by ``host_time_s``); returns its
        host time, strictly after the previous one."""
        self._last_device_us = device_us
        self.mapper.observe(device_us, host_time_s)
        mapped = float(self.mapper.to_host_s(np.array([device_us], dtype=np.int64))[0])
        host = max(mapped, self._last_host_s + MIN_STEP_S)
        self._last_host_s = host
        return host


def make_block(
    times_s: FloatArray, acc_mps2: FloatArray, gyr_rads: FloatArray, axes: AxesMap
) -> SampleBlock:
    """A :class:`SampleBlock` in body axes from device-frame ``(n, 3)`` arrays."""
    return SampleBlock(
        np.ascontiguousarray(times_s, dtype=np.float64),
        np.ascontiguousarray(axes.apply(acc_mps2), dtype=np.float64),
        np.ascontiguousarray(axes.apply(gyr_rads), dtype=np.float64),
    )
