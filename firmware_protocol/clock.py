"""Mapping the sensor's clock to the host's, with drift correction.

The sensor stamps samples with its own free-running microsecond clock; the host needs them on its
own time scale.  Every packet gives an *upper bound*: when it arrives at host time ``h``, its last
sample was taken at device time ``d`` no later than ``h`` (radio and stack latency are never
negative).  So the mapping is the **lower envelope** of the points ``(d, h - d)``: per bucket of
device time we keep the observation with the least apparent latency, fit a line through those
minima (offset and drift), and lower it onto the lowest point.  The result is the host time of each
sample, late by the link's minimum latency (a constant of a few milliseconds, the same for every
sample), with crystal drift (tens of ppm) removed.  Pure and deterministic: no clock is read here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ClockMapper", "ClockModel"]


@dataclass(frozen=True, slots=True)
class ClockModel:
    """``host_s = device_s + offset_s + drift * (device_s - ref_device_s)``."""

    offset_s: float
    drift: float
    ref_device_s: float

    @property
    def drift_ppm(self) -> float:
        """Device clock error relative to the host, parts per million (host - device rate)."""
        return self.drift * 1e6


class ClockMapper:
    """Estimates host time from device time, causally, from arrival observations.

    Args:
        bucket_s: device seconds per bucket; one minimum-latency observation is kept per bucket.
        horizon_s: how far back (device seconds) observations count; longer averages out
            jitter better, shorter follows temperature-driven drift faster.
        min_span_s: below this span of buckets the drift is taken as 0 (offset only).
        max_drift_ppm: drift estimates are clamped to this (crystals are within +/-50 ppm).
    """

    def __init__(
        self,
        *,
        bucket_s: float = 1.0,
        horizon_s: float = 300.0,
        min_span_s: float = 10.0,
        max_drift_ppm: float = 500.0,
    ) -> None:
        self.bucket_s = bucket_s
        self.horizon_s = horizon_s
        self.min_span_s = min_span_s
        self.max_drift = max_drift_ppm * 1e-6
        # Per bucket, the observation with the lowest offset_s = host_s - device_s: the closed
        # buckets in ring buffers (slot = bucket index mod size; the drift is refitted when one
        # closes, once per bucket_s) and the current one (it only lowers the offset, in O(1)).
        self._size = math.ceil(horizon_s / bucket_s) + 1
        self._index = np.full(self._size, np.iinfo(np.int64).min, dtype=np.int64)
        self._device_s = np.zeros(self._size)
        self._offset_s = np.zeros(self._size)
        self._current: tuple[int, float, float] | None = None
        self._drift = 0.0
        self._ref_device_s = 0.0
        self._closed_offset_s = math.inf
        self._model = ClockModel(0.0, 0.0, 0.0)
        self._observed = False

    @property
    def model(self) -> ClockModel | None:
        """The current fit, ``None`` before the first observation."""
        return self._model if self._observed else None

    def reset(self) -> None:
        """Forget everything (the device rebooted: its clock started again)."""
        self._index.fill(np.iinfo(np.int64).min)
        self._current = None
        self._drift, self._ref_device_s, self._closed_offset_s = 0.0, 0.0, math.inf
        self._observed = False

    def observe(self, device_us: int, host_s: float) -> ClockModel:
        """The device clock had reached ``device_us`` by host time ``host_s``; returns the
        updated model."""
        device_s = device_us * 1e-6
        offset = host_s - device_s
        index = math.floor(device_s / self.bucket_s)
        current = self._current
        if current is not None:
            if index < current[0] or (index == current[0] and offset >= current[2]):
                return self._model  # nothing lower than what the estimate rests on
            if index > current[0]:
                self._close(current, index)
        self._current = (index, device_s, offset)
        candidate = offset - self._drift * (device_s - self._ref_device_s)
        self._model = ClockModel(
            min(self._closed_offset_s, candidate), self._drift, self._ref_device_s
        )
        self._observed = True
        return self._model

    def _close(self, bucket: tuple[int, float, float], new_index: int) -> None:
        slot = bucket[0] % self._size
        self._index[slot], self._device_s[slot], self._offset_s[slot] = bucket
        valid = self._index >= new_index - math.ceil(self.horizon_s / self.bucket_s)
        d, off = self._device_s[valid], self._offset_s[valid]
        ref = bucket[1]
        if len(d) == 0:
            # The device clock jumped past the whole horizon (a long gap, or a replay far faster
            # than real time): nothing closed is recent enough; the current bucket stands alone.
            self._ref_device_s, self._closed_offset_s = ref, math.inf
            return
        drift = 0.0
        if len(d) >= 3 and ref - float(d.min()) >= self.min_span_s:
            xc = d - d.mean()
            drift = float(np.dot(xc, off - off.mean()) / np.dot(xc, xc))
            drift = min(max(drift, -self.max_drift), self.max_drift)
        self._drift, self._ref_device_s = drift, ref
        self._closed_offset_s = float(np.min(off - drift * (d - ref)))

    def to_host_s(self, device_us: NDArray[np.int64]) -> NDArray[np.float64]:
        """Host times of the given device times (call :meth:`observe` first)."""
        if not self._observed:
            raise RuntimeError("ClockMapper has no observation yet")
        m = self._model
        device_s = device_us.astype(np.float64) * 1e-6
        return device_s + m.offset_s + m.drift * (device_s - m.ref_device_s)
