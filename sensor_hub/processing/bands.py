"""Posture bands (RULA/REBA/ISO 11226 trunk bands around the calibrated neutral)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from sensor_hub.samples import FloatArray

__all__ = ["BAND_EDGES_DEG", "Band", "band_of"]

#: Upper edges of the bands below the last, degrees of flexion from neutral.
BAND_EDGES_DEG: tuple[float, ...] = (-10.0, 10.0, 20.0, 60.0)


class Band(IntEnum):
    EXTENDED = 0  # below -10°: leaning back / extended
    NEUTRAL = 1  # -10° to 10°: the neutral band
    MILD = 2  # 10° to 20°: flexed, acceptable
    MODERATE = 3  # 20° to 60°: acceptable only briefly or supported
    SEVERE = 4  # 60° and beyond: logged whenever it happens

    @property
    def label(self) -> str:
        return self.name.lower()


def band_of(flexion_deg: FloatArray) -> NDArray[np.uint8]:
    """Band codes of flexion angles (edges belong to the band above)."""
    return np.digitize(flexion_deg, BAND_EDGES_DEG).astype(np.uint8)
