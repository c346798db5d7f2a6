"""The sample block: the one data type every stage after decoding reads.

Axes follow the convention printed on the reference sensor's case (see
``firmware_protocol/PROTOCOL.md``): **x up the spine, y to the wearer's left, z backward out of
the back** (right-handed).  A block is a run of consecutive samples of one sensor; gaps between
blocks (dropped samples) are allowed, so a consumer must look at ``timestamp_s`` rather than assume
a fixed rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["STANDARD_GRAVITY_MPS2", "FloatArray", "SampleBlock"]

#: Standard gravity (CGPM 1901), used for every g <-> m/s^2 conversion in the project.
STANDARD_GRAVITY_MPS2 = 9.80665

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False, slots=True)
class SampleBlock:
    """Consecutive IMU samples of one sensor, in the sensor frame.

    Attributes:
        timestamp_s: shape ``(n,)``, seconds, strictly increasing; any origin (host time for
            live data, the recording's own scale for files).
        acc_mps2: shape ``(n, 3)``, specific force (accelerometer), m/s^2: about +9.81 along
            the axis pointing up when still.
        gyr_rads: shape ``(n, 3)``, angular rate, rad/s.
    """

    timestamp_s: FloatArray
    acc_mps2: FloatArray
    gyr_rads: FloatArray

    def __post_init__(self) -> None:
        n = self.timestamp_s.shape[0] if self.timestamp_s.ndim == 1 else -1
        if n < 0 or self.acc_mps2.shape != (n, 3) or self.gyr_rads.shape != (n, 3):
            raise ValueError(
                "SampleBlock shapes must be (n,), (n, 3), (n, 3); got "
                f"{self.timestamp_s.shape}, {self.acc_mps2.shape}, {self.gyr_rads.shape}"
            )

    def __len__(self) -> int:
        return int(self.timestamp_s.shape[0])

    @classmethod
    def empty(cls) -> SampleBlock:
        """A block with no samples."""
        return cls(np.empty(0), np.empty((0, 3)), np.empty((0, 3)))

    @classmethod
    def concat(cls, blocks: Sequence[SampleBlock]) -> SampleBlock:
        """Join blocks end to end (no check that time keeps increasing across them)."""
        if not blocks:
            return cls.empty()
        return cls(
            np.concatenate([b.timestamp_s for b in blocks]),
            np.concatenate([b.acc_mps2 for b in blocks]),
            np.concatenate([b.gyr_rads for b in blocks]),
        )

    def slice(self, start: int, stop: int) -> SampleBlock:
        """Samples ``start`` to ``stop`` (Python slice semantics)."""
        return SampleBlock(
            self.timestamp_s[start:stop], self.acc_mps2[start:stop], self.gyr_rads[start:stop]
        )

    def equals(self, other: SampleBlock, *, atol: float = 0.0) -> bool:
        """True when both blocks hold the same samples (within ``atol``)."""
        return (
            len(self) == len(other)
            and bool(np.allclose(self.timestamp_s, other.timestamp_s, rtol=0.0, atol=atol))
            and bool(np.allclose(self.acc_mps2, other.acc_mps2, rtol=0.0, atol=atol))
            and bool(np.allclose(self.gyr_rads, other.gyr_rads, rtol=0.0, atol=atol))
        )
