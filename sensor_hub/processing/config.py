"""Parameters of the processing core: one frozen dataclass, units in every name.

Defaults follow ``docs/background.md``: neutral band ±10°, an alert when flexion stays above
20° for 30 s, dips back below the threshold shorter than 5 s tolerated, any time above 60°
logged.  Every field is validated on construction so a bad configuration fails at start-up
with a message that names the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import StrEnum

__all__ = ["ProcessingConfig", "Role"]


class Role(StrEnum):
    """Where the sensor is worn."""

    LUMBAR = "lumbar"  # L1-L3: flexion_deg is lumbar (trunk) inclination
    PELVIS = "pelvis"  # sacrum: flexion_deg is pelvic tilt, anterior positive

    @property
    def episode_kind(self) -> str:
        """The kind of sustained-posture episode this role detects."""
        return "forward_lean" if self is Role.LUMBAR else "pelvic_tilt"


@dataclass(frozen=True, slots=True)
class ProcessingConfig:
    """Everything the core needs to know, with defaults for day wear."""

    role: Role = Role.LUMBAR
    sample_rate_hz: float = 100.0

    # --- calibration ------------------------------------------------------------------------
    #: The neutral window, seconds from the first sample: the still posture that defines zero.
    neutral_start_s: float = 0.0
    neutral_end_s: float = 5.0
    #: A gap in the data longer than this may mean the sensor was taken off: calibration stale.
    calibration_gap_s: float = 60.0
    #: While walking the trunk is near upright: an average tilt from neutral beyond this
    #: (degrees, over this many seconds of walking) means the sensor has moved.
    walking_max_tilt_deg: float = 35.0
    walking_check_s: float = 10.0
    #: Mounting error the forward-axis estimate may correct (the case prints the axes).
    max_mount_yaw_deg: float = 35.0
    #: Tilt from neutral (degrees) between which samples teach the forward direction (up to
    #: just short of horizontal: a bend to 80° or a lying-down transition is the clearest
    #: evidence; lying itself is excluded by its tilt or, after ``lying_on_s``, its activity).
    axis_learn_min_deg: float = 12.0
    axis_learn_max_deg: float = 85.0
    #: Each sample teaches with weight sin(tilt) to this power (on top of the scatter's own
    #: sin² tilt): the direction of a deep bend is nearly pure sagittal even when the wearer
    #: also leans aside, a shallow diagonal reach's is not (see calibration.py).
    axis_learn_tilt_power: float = 6.0
    #: Learning starts after this much bending data (seconds) ...
    axis_learn_min_s: float = 0.5
    #: ... and only while bends are this much more forward/backward than sideways (a strict
    #: ratio: the estimate is then taken from clean sagittal movements and kept through
    #: mixed ones such as lying down onto a side).
    axis_learn_min_anisotropy: float = 12.0
    #: ... and counts in proportion E / (E + this), E the evidence in seconds of a 30° bend
    #: (a 15° tilt weighs 0.5 % as much): the case's axis is the prior.
    axis_prior_weight_s: float = 0.025

    # --- activity ---------------------------------------------------------------------------
    #: Tilt from the neutral "up" beyond which the trunk is lying (degrees) ...
    lying_tilt_deg: float = 55.0
    #: ... for at least this long; back to upright after this long below it.
    lying_on_s: float = 8.0
    lying_off_s: float = 2.0
    #: Walking: RMS of the band-passed acceleration magnitude (m/s^2), held this long.
    walking_rms_mps2: float = 0.9
    walking_step_share: float = 0.5
    #: Walking with a band RMS below this is an ordinary gait (see ``walking_tau_acc_s``).
    steady_gait_max_rms_mps2: float = 4.0
    #: ... and at least this share of the acceleration's band power in its magnitude (gaits
    #: show 0.40–0.94 in the simulator, 0.5–0.6 in published lumbar RMS; an IMU moved by hand
    #: in BROAD 0.05–0.37 at the median, engaging at most 7 % of a trial).
    steady_gait_min_vertical_share: float = 0.3
    walking_on_s: float = 2.5
    walking_off_s: float = 2.0
    #: The orientation filter's accelerometer time constant (s), normally and in a steady gait:
    #: gait, setting off and turning accelerate the trunk, which a 3 s time constant lets
    #: tip the inclination by about 1°; longer lets gyroscope bias errors grow (7 s was the
    #: best on the simulator's walks once turns are compensated, see turns.py).
    tau_acc_s: float = 3.0
    walking_tau_acc_s: float = 7.0
    #: Setting off (:mod:`.onset`): after keeping still for ``quiet_min_s`` (band RMS of the
    #: acceleration below ``quiet_rms_mps2``), the first movement holds the inclination on
    #: the gyroscope (this time constant, s) for ``onset_grace_s``, and on while it looks
    #: like the first steps, for at most ``onset_hold_s``, unless the trunk turns faster than
    #: ``onset_max_gyro_dps``; and when the steps of a steady gait end, the filtered
    #: accelerometer is settled where it is (``onset_hold_s = 0``: neither).
    onset_tau_acc_s: float = 30.0
    onset_hold_s: float = 4.0
    onset_grace_s: float = 0.25
    onset_max_gyro_dps: float = 40.0
    quiet_rms_mps2: float = 0.3
    quiet_min_s: float = 2.0
    #: Walking speed (m/s) assumed for the centripetal acceleration of turns until the turns
    #: themselves have taught it (:mod:`.turns`); a typical adult's preferred speed.  0: none.
    turn_prior_speed_mps: float = 1.3

    # --- sitting / standing (stance.py) -------------------------------------------------------
    #: A postural transition starts as a forward lean this far above the recent flexion
    #: (degrees; the baseline is a low-pass of flexion with this time constant) ...
    stance_lean_deg: float = 12.0
    stance_baseline_tau_s: float = 10.0
    #: ... that lasts between these (seconds: sit-to-stand leans for 1-3 s; a sustained
    #: slouch is longer) and peaks below this (degrees above the baseline; a bend goes further).
    stance_lean_min_s: float = 0.3
    stance_lean_max_s: float = 6.0
    stance_lean_max_deg: float = 60.0
    #: The vertical displacement is integrated from this long before the lean to this long
    #: after it (seconds; the body is at rest at both ends): rising at least this much (m) is
    #: sit-to-stand, sinking as much stand-to-sit (the hip moves 0.3-0.5 m).
    stance_pre_s: float = 0.5
    stance_post_s: float = 1.5
    stance_rise_m: float = 0.15
    #: A window with a longer gap in the data (lost samples, seconds) decides nothing.
    stance_max_gap_s: float = 1.0
    #: Walking this long (seconds of walking activity) means the wearer is standing.
    stance_walking_s: float = 1.0

    # --- sustained-posture detector ----------------------------------------------------------
    threshold_deg: float = 20.0
    #: Re-arm below ``threshold_deg - hysteresis_deg``.
    hysteresis_deg: float = 3.0
    hold_s: float = 30.0
    #: A return below the threshold shorter than this neither ends nor restarts an episode.
    dip_tolerance_s: float = 5.0
    #: Excursions shorter than this are movements (reach, bend), not postures: not reported.
    min_episode_s: float = 10.0
    #: Gaps longer than this (seconds) end an open episode and restart the orientation filter.
    max_gap_s: float = 5.0
    #: Gaps up to this long (seconds) are bridged by interpolation for the orientation filter;
    #: after a longer one its inclination restarts from the accelerometer.
    max_bridge_s: float = 0.25
    #: ... and if the wearer walks on, the inclination before the gap counts as this many
    #: seconds of samples in that restart (a gait's first samples are up to 10° off).
    gap_prior_s: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float | int) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise ValueError(f"{f.name} must be finite, got {value!r}")
                if value < 0 and f.name not in ("neutral_start_s",):
                    raise ValueError(f"{f.name} must not be negative, got {value!r}")
        if not isinstance(self.role, Role):
            raise ValueError(f"role must be a Role, got {self.role!r}")
        if self.sample_rate_hz <= 0:
            raise ValueError("sample_rate_hz must be positive")
        if not 0.0 <= self.neutral_start_s < self.neutral_end_s:
            raise ValueError(
                "neutral window must satisfy 0 <= start < end, got "
                f"{self.neutral_start_s}:{self.neutral_end_s}"
            )
        if self.hysteresis_deg >= self.threshold_deg:
            raise ValueError("hysteresis_deg must be smaller than threshold_deg")
        self._check_stance()
        if self.onset_tau_acc_s <= 0:
            raise ValueError("onset_tau_acc_s must be positive")
        if self.axis_learn_min_deg >= self.axis_learn_max_deg:
            raise ValueError("axis_learn_min_deg must be below axis_learn_max_deg")
        if self.axis_learn_max_deg >= 90.0:
            raise ValueError("axis_learn_max_deg must be below 90 (the horizontal)")

    def _check_stance(self) -> None:
        if self.stance_lean_min_s >= self.stance_lean_max_s:
            raise ValueError("stance_lean_min_s must be below stance_lean_max_s")
        if self.stance_lean_deg >= self.stance_lean_max_deg:
            raise ValueError("stance_lean_deg must be below stance_lean_max_deg")
        for name in ("stance_baseline_tau_s", "stance_rise_m"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    @property
    def sample_period_s(self) -> float:
        return 1.0 / self.sample_rate_hz

    @property
    def exit_deg(self) -> float:
        """The level below which a lean counts as a dip (threshold minus hysteresis)."""
        return self.threshold_deg - self.hysteresis_deg
