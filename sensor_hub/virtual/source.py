"""What the virtual sensor's IMU "measures": a :class:`SampleBlock` replayed on its sample grid.

Pure (no clock, no I/O).  The source is treated as regularly sampled at its nominal period (the
median interval of its timestamps, rounded to whole microseconds); device sample *k* at period
``P`` takes the source at source time ``k·P``, interpolating linearly between source samples.
When the configured rate equals the source's, every device sample *is* a source sample
(bit-exact before quantisation); gaps in the source's timestamps are not reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from firmware_protocol.constants import acc_scale_mps2_per_lsb, gyro_scale_rads_per_lsb
from sensor_hub.samples import SampleBlock

__all__ = ["SampleSource", "quantize"]

_INT16_MIN: Final = -32768
_INT16_MAX: Final = 32767


def quantize(
    acc_mps2: NDArray[np.float64],
    gyr_rads: NDArray[np.float64],
    acc_range_code: int,
    gyro_range_code: int,
) -> NDArray[np.int16]:
    """Physical samples -> raw int16 ``(n, 6)`` at the given range codes (rounded, clipped)."""
    acc = np.rint(acc_mps2 / acc_scale_mps2_per_lsb(acc_range_code))
    gyr = np.rint(gyr_rads / gyro_scale_rads_per_lsb(gyro_range_code))
    raw: NDArray[np.int16] = np.clip(np.hstack([acc, gyr]), _INT16_MIN, _INT16_MAX).astype(np.int16)
    return raw


@dataclass(frozen=True, slots=True)
class _Interpolated:
    acc_mps2: NDArray[np.float64]
    gyr_rads: NDArray[np.float64]


class SampleSource:
    """A cursor over ``block`` in source microseconds.

    Args:
        block: the samples to replay (at least two).
        loop: start again from the beginning when the block is exhausted.
    """

    def __init__(self, block: SampleBlock, *, loop: bool = False) -> None:
        if len(block) < 2:
            raise ValueError("a sample source needs at least two samples")
        period_s = float(np.median(np.diff(block.timestamp_s)))
        if not period_s > 0:
            raise ValueError("source timestamps must increase")
        self.block = block
        self.loop = loop
        #: Nominal source period, whole microseconds.
        self.period_us = max(1, round(period_s * 1e6))
        self._values = np.hstack([block.acc_mps2, block.gyr_rads])
        self._cursor_us = 0

    @property
    def duration_us(self) -> int:
        """Source time covered by the block at its nominal period."""
        return (len(self.block) - 1) * self.period_us

    @property
    def exhausted(self) -> bool:
        """No sample left (never, when looping)."""
        return not self.loop and self._cursor_us > self.duration_us

    def remaining(self, period_us: int) -> int:
        """Samples at ``period_us`` still available (a large number when looping)."""
        if self.loop:
            return 1 << 30
        left = self.duration_us - self._cursor_us
        return 0 if left < 0 else left // period_us + 1

    def take(self, count: int, period_us: int) -> _Interpolated:
        """The next ``count`` samples on a grid of ``period_us`` (fewer when exhausted)."""
        count = min(count, self.remaining(period_us))
        t_us = self._cursor_us + np.arange(count, dtype=np.int64) * period_us
        self._cursor_us += count * period_us
        if self.loop:
            span = self.duration_us + self.period_us
            t_us %= span
            self._cursor_us %= span
        index, rest = np.divmod(t_us, self.period_us)
        frac = (rest / self.period_us)[:, None]
        last = len(self.block) - 1
        lo = self._values[np.minimum(index, last)]
        hi = self._values[
            np.minimum(index + 1, last) if not self.loop else (index + 1) % (last + 1)
        ]
        values = np.where(frac == 0.0, lo, lo + (hi - lo) * frac)
        return _Interpolated(values[:, 0:3], values[:, 3:6])
