"""Activity from one trunk sensor: upright, walking or lying — causal and block-invariant.

* **lying**: the segment's axis is tilted more than ``lying_tilt_deg`` from the neutral "up" for
  at least ``lying_on_s`` (a bend to pick something up is over sooner), and back to upright
  after ``lying_off_s`` below it.
* **walking**: gait shakes the trunk at the step frequency.  The accelerometer magnitude is
  band-passed (0.7–5 Hz, 2nd-order Butterworth), squared and smoothed (1.5 s time constant);
  walking while its RMS exceeds ``walking_rms_mps2`` with at least ``walking_step_share`` of
  that power at step frequencies (1.4–2.6 Hz: waving the sensor about is not walking), held
  for ``walking_on_s`` (a fidget or a sit-to-stand is shorter) and until it fails for
  ``walking_off_s``.  This needs the
  accelerometer only, so it runs first: the orientation filter trusts the accelerometer less
  while walking.
* **upright** otherwise: sitting or standing — the postures the lean detector watches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter

from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.processing.signals import DebounceState, IirState, debounce, iir
from sensor_hub.samples import FloatArray

__all__ = ["Activity", "ActivityClassifier", "ActivityState", "Gait"]

_BAND_HZ = (0.7, 5.0)
#: Steps: the accelerometer magnitude of a walking trunk beats at the step frequency.
_STEP_BAND_HZ = (1.4, 2.6)
_SMOOTH_TAU_S = 1.5


class Activity(IntEnum):
    """Activity codes (``uint8`` arrays in blocks; ``.label`` in files)."""

    UPRIGHT = 0
    WALKING = 1
    LYING = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, eq=False)
class Gait:
    """What the accelerometer alone says per sample (all ``(n,)`` booleans)."""

    walking: NDArray[np.bool_]  # walking, debounced
    steady: NDArray[np.bool_]  # an ordinary gait: the filter may trust the accelerometer less
    candidate: NDArray[np.bool_]  # step-frequency shaking now (walking before its debounce)
    quiet: NDArray[np.bool_]  # keeping still: band RMS of all axes below quiet_rms_mps2


_NO_FILTER = IirState()
_OFF = DebounceState()


@dataclass(frozen=True, slots=True)
class ActivityState:
    band: IirState = _NO_FILTER
    smooth: IirState = _NO_FILTER
    step_band: IirState = _NO_FILTER
    step_smooth: IirState = _NO_FILTER
    lying: DebounceState = _OFF
    walking: DebounceState = _OFF
    axes_band: IirState = _NO_FILTER
    axes_smooth: IirState = _NO_FILTER
    steady: DebounceState = _OFF


class ActivityClassifier:
    """Streaming classifier; ``update`` takes any block size, results do not depend on it."""

    def __init__(self, config: ProcessingConfig) -> None:
        self._config = config
        fs = config.sample_rate_hz
        high = min(_BAND_HZ[1], 0.45 * fs)
        b, a = butter(2, (_BAND_HZ[0], high), btype="bandpass", fs=fs)
        self._band = (np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64))
        b, a = butter(2, _STEP_BAND_HZ, btype="bandpass", fs=fs)
        self._step_band = (np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64))
        alpha = 1.0 - float(np.exp(-1.0 / (fs * _SMOOTH_TAU_S)))
        self._smooth = (np.array([alpha]), np.array([1.0, alpha - 1.0]))
        self._cos_lying = float(np.cos(np.radians(config.lying_tilt_deg)))
        self._state = ActivityState()

    def get_state(self) -> ActivityState:
        return self._state

    def set_state(self, state: ActivityState) -> None:
        self._state = state

    def gait(self, t_s: FloatArray, acc_mps2: FloatArray) -> Gait:
        """Whether the wearer is walking, from the accelerometer alone (it runs before the
        orientation filter), and where that walking is an ordinary gait — band RMS below
        ``steady_gait_max_rms_mps2`` (not running or jumping) and oscillating mostly along
        the trunk (not a sensor shaken in a hand) — during which the orientation filter may
        trust the accelerometer less; also the raw walking candidate and stillness, which
        tell the filter when the wearer sets off (:mod:`.onset`)."""
        cfg, st = self._config, self._state
        magnitude = np.linalg.norm(acc_mps2, axis=1)[:, None]
        band, band_state = iir(*self._band, magnitude, st.band)
        power, smooth_state = iir(*self._smooth, band * band, st.smooth)
        steps, step_band_state = iir(*self._step_band, magnitude, st.step_band)
        step_power, step_smooth_state = iir(*self._smooth, steps * steps, st.step_smooth)
        power, step_power = power[:, 0], step_power[:, 0]
        raw = (power > cfg.walking_rms_mps2**2) & (step_power > cfg.walking_step_share * power)
        walking, walking_state = debounce(raw, t_s, cfg.walking_on_s, cfg.walking_off_s, st.walking)
        self._state = ActivityState(
            band_state, smooth_state, step_band_state, step_smooth_state, st.lying, walking_state
        )
        # In a gait the trunk's oscillation is mostly along its long axis, so most of the
        # band power of the acceleration vector shows in its magnitude; shaking the sensor
        # sideways (or a hand-held IMU waved about) puts it in the other components.
        axes, axes_state = iir(*self._band, acc_mps2, st.axes_band)
        axes_power, axes_smooth_state = iir(*self._smooth, axes * axes, st.axes_smooth)
        gait_like = (power < cfg.steady_gait_max_rms_mps2**2) & (
            power > cfg.steady_gait_min_vertical_share * axes_power.sum(axis=1)
        )
        # Held like walking itself, so the filter's time constant does not flicker.
        steady, steady_state = debounce(
            walking & gait_like, t_s, cfg.walking_on_s, cfg.walking_off_s, st.steady
        )
        self._state = replace(
            self._state, axes_band=axes_state, axes_smooth=axes_smooth_state, steady=steady_state
        )
        quiet = axes_power.sum(axis=1) < cfg.quiet_rms_mps2**2
        return Gait(walking, steady, raw, quiet)

    def classify(
        self, t_s: FloatArray, cos_tilt: FloatArray, walking: NDArray[np.bool_]
    ) -> NDArray[np.uint8]:
        """Activity codes for a block.

        Args:
            t_s: ``(n,)`` timestamps, seconds.
            cos_tilt: ``(n,)`` cosine of the angle between Earth's up and the neutral up.
            walking: ``(n,)`` from :meth:`gait` on the same samples.
        """
        cfg, st = self._config, self._state
        lying, lying_state = debounce(
            cos_tilt < self._cos_lying, t_s, cfg.lying_on_s, cfg.lying_off_s, st.lying
        )
        self._state = replace(st, lying=lying_state)
        codes = np.full(t_s.shape[0], Activity.UPRIGHT, dtype=np.uint8)
        codes[walking] = Activity.WALKING
        codes[lying] = Activity.LYING
        return codes
