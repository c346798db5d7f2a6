"""Activity from one trunk sensor: upright, walking or lying — causal and block-invariant.

* **lying**: the segment's axis is tilted more than ``lying_tilt_deg`` from the neutral "up" for
  at least ``lying_on_s`` (a bend to pick something up is over sooner), and back to upright
  after ``lying_off_s`` below it.
* **walking**: gait shakes the trunk at the step frequency.  The accelerometer magnitude is
  band-passed (0.7–5 Hz, 2nd-order Butterworth), squared and smoothed (1.5 s time constant);
  walking while its RMS exceeds ``walking_rms_mps2`` for ``walking_on_s`` (a fidget or a
  sit-to-stand is shorter) and until it stays below for ``walking_off_s``.
* **upright** otherwise: sitting or standing — the postures the lean detector watches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter

from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.signals import DebounceState, IirState, debounce, iir
from sensor_hub.samples import FloatArray

__all__ = ["Activity", "ActivityClassifier", "ActivityState"]

_BAND_HZ = (0.7, 5.0)
_SMOOTH_TAU_S = 1.5


class Activity(IntEnum):
    """Activity codes (``uint8`` arrays in blocks; ``.label`` in files)."""

    UPRIGHT = 0
    WALKING = 1
    LYING = 2

    @property
    def label(self) -> str:
        return self.name.lower()


_NO_FILTER = IirState()
_OFF = DebounceState()


@dataclass(frozen=True, slots=True)
class ActivityState:
    band: IirState = _NO_FILTER
    smooth: IirState = _NO_FILTER
    lying: DebounceState = _OFF
    walking: DebounceState = _OFF


class ActivityClassifier:
    """Streaming classifier; ``update`` takes any block size, results do not depend on it."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._config = config
        fs = config.sample_rate_hz
        high = min(_BAND_HZ[1], 0.45 * fs)
        b, a = butter(2, (_BAND_HZ[0], high), btype="bandpass", fs=fs)
        self._band = (np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64))
        alpha = 1.0 - float(np.exp(-1.0 / (fs * _SMOOTH_TAU_S)))
        self._smooth = (np.array([alpha]), np.array([1.0, alpha - 1.0]))
        self._cos_lying = float(np.cos(np.radians(config.lying_tilt_deg)))
        self._state = ActivityState()

    def get_state(self) -> ActivityState:
        return self._state

    def set_state(self, state: ActivityState) -> None:
        self._state = state

    def update(
        self, t_s: FloatArray, acc_mps2: FloatArray, cos_tilt: FloatArray
    ) -> NDArray[np.uint8]:
        """Activity codes for a block.

        Args:
            t_s: ``(n,)`` timestamps, seconds.
            acc_mps2: ``(n, 3)`` accelerometer, m/s^2.
            cos_tilt: ``(n,)`` cosine of the angle between Earth's up and the neutral up.
        """
        cfg, st = self._config, self._state
        magnitude = np.linalg.norm(acc_mps2, axis=1)[:, None]
        band, band_state = iir(*self._band, magnitude, st.band)
        power, smooth_state = iir(*self._smooth, band * band, st.smooth)
        rms = np.sqrt(np.maximum(power[:, 0], 0.0))
        lying_raw = cos_tilt < self._cos_lying
        lying, lying_state = debounce(lying_raw, t_s, cfg.lying_on_s, cfg.lying_off_s, st.lying)
        walking_raw = (rms > cfg.walking_rms_mps2) & ~lying_raw
        walking, walking_state = debounce(
            walking_raw, t_s, cfg.walking_on_s, cfg.walking_off_s, st.walking
        )
        self._state = ActivityState(band_state, smooth_state, lying_state, walking_state)
        codes = np.full(t_s.shape[0], Activity.UPRIGHT, dtype=np.uint8)
        codes[walking] = Activity.WALKING
        codes[lying] = Activity.LYING
        return codes
