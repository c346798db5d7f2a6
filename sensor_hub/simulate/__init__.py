"""A physically correct simulator of a lower-back IMU on a wearer, with exact ground truth.

``simulate(scenario, seed=...)`` plays a scenario (a neutral start, then postures and
movements: slouches, dips, reaches, bends, fidgets, standing up, walking, lying), computes what
an IMU mounted (slightly askew) on the lumbar spine or the sacrum measures, adds the errors of a
consumer IMU and of the BLE link, and returns a :class:`Simulation`: the samples (what goes into
``recording.csv``), the recording's metadata and the ground truth (``truth.json``, format
``posture-truth/1``, described in :mod:`.truth`).  Deterministic for a seed.

Conventions
-----------
* Sensor axes (printed on the case): x up the spine, y left, z backward out of the back.
* World: x forward (of the wearer at heading 0), y left, z up.  Body frame of the segment
  (lumbar L1–L3, or sacrum for ``role = pelvis``): x_B up the spine, y_B left, z_B backward;
  neutral standing-vertical orientation ``R0 = [[0, 0, −1], [0, 1, 0], [1, 0, 0]]``.
* ``R_WB = Rz(heading) · Ry(θ) · Rx(φ) · R0`` (θ forward inclination, φ lateral bend toward the
  right); ``R_WS = R_WB · R_BS`` with the mounting rotation ``R_BS = Rx(a) · Ry(b) · Rz(c)``
  (body axes; ``|a|, |b| ≤ mount_error_deg`` uniform, ``|c|`` uniform in ½…1 × that, either
  sign: the in-plane yaw on the back always matters).
* Truth flexion/lateral: :mod:`sensor_hub.processing.angles` applied to ``g_B = R_WB^T e_z``
  with the neutral frame of the first 5 s (see :mod:`.labels`).

Modules: :mod:`.trajectory` (timelines as data), :mod:`.actions` (the wearer's repertoire),
:mod:`.office` and :mod:`.decoys` (the scenarios' steps), :mod:`.scenarios` (the registry),
:mod:`.body` (gait and sway), :mod:`.kinematics` (motion → ideal signals), :mod:`.imu` (errors
and link losses), :mod:`.labels` and :mod:`.truth` (ground truth).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensor_hub import __version__
from sensor_hub.recording import RecordingWriter
from sensor_hub.samples import FloatArray, SampleBlock
from sensor_hub.simulate import imu, labels
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.body import BodyMotion, GaitParameters, SwayParameters
from sensor_hub.simulate.kinematics import ideal_signals, oversample_factor
from sensor_hub.simulate.scenarios import SCENARIOS, ScenarioSpec, build_timeline, draw_wearer
from sensor_hub.simulate.scenarios import scenario_spec as _scenario_spec
from sensor_hub.simulate.trajectory import Wearer
from sensor_hub.simulate.truth import (
    TRUTH_FORMAT,
    DetectorDefaults,
    Episode,
    NonEpisode,
    SimulationParameters,
    Truth,
    TruthSamples,
    truth_json_chunks,
)

__all__ = [
    "RATES_HZ",
    "SCENARIOS",
    "TRUTH_FORMAT",
    "DetectorDefaults",
    "Episode",
    "NonEpisode",
    "Simulation",
    "SimulationPlan",
    "Truth",
    "TruthSamples",
    "plan",
    "simulate",
    "write_simulation",
]

#: Output rates the sensor supports (PROTOCOL.md).
RATES_HZ = (25.0, 50.0, 100.0, 200.0)
NEUTRAL_WINDOW_S = (0.0, 5.0)
MAX_MOUNT_ERROR_DEG = 45.0
DURATION_RANGE_MIN = (0.5, 720.0)
#: Lever arm from the hip joint to the sensor, body axes (x up, y left, z backward), m.
LEVER_ARM_M: dict[str, tuple[float, float, float]] = {
    "lumbar": (0.20, 0.0, 0.08),
    "pelvis": (0.08, 0.0, 0.10),
}
WRITE_ROWS = 100_000

Progress = Callable[[float], None]


@dataclass(frozen=True, eq=False, slots=True)
class Simulation:
    """One simulated recording and its ground truth."""

    block: SampleBlock
    metadata: dict[str, str]
    truth: Truth


def simulate(
    scenario: str,
    *,
    seed: int = 0,
    rate_hz: float = 100.0,
    mount_error_deg: float = 20.0,
    duration_min: float | None = None,
    imu_errors: bool = True,
    on_progress: Progress | None = None,
) -> Simulation:
    """Simulate ``scenario`` (a key of :data:`SCENARIOS`); see the module docstring.

    ``duration_min`` scales the scenario (default: ``office_day`` 60 min, the others one pass
    of a few minutes); ``imu_errors=False`` gives ideal signals (no noise, bias, quantisation,
    drops or jitter).  ``on_progress`` receives the fraction done.

    Raises:
        ValueError: an unknown scenario or a parameter out of range.
    """
    p = plan(
        scenario,
        seed=seed,
        rate_hz=rate_hz,
        mount_error_deg=mount_error_deg,
        duration_min=duration_min,
    )
    spec, motion, mount_q, n = p.spec, p.motion, p.mount_quat_wxyz, p.n_samples
    imu_rng, link_rng = p.imu_rng, p.link_rng
    report = (lambda f: on_progress(0.9 * f)) if on_progress is not None else None
    ideal = ideal_signals(motion, mount_q, np.array(p.lever_arm_m), rate_hz, n, report)

    up_body = labels.up_in_body(ideal.body_quat_wxyz)
    frame = labels.neutral_frame(up_body, ideal.time_s, NEUTRAL_WINDOW_S)
    flexion, lateral = labels.truth_angles_deg(up_body, frame)
    activity, posture = labels.segment_labels(ideal.time_s, motion.timeline.segments)
    defaults = DetectorDefaults()
    episodes, non_episodes, problems = labels.find_episodes(
        ideal.time_s, flexion, activity, motion.timeline.items, defaults
    )
    if problems:
        raise RuntimeError(f"scenario {scenario} seed {seed}: ambiguous labels: {problems[0]}")

    acc, gyr, time_s = ideal.acc_mps2, ideal.gyr_rads, ideal.time_s
    errors: imu.ImuErrors | None = None
    bias_end = (0.0, 0.0, 0.0)
    dropouts = imu.Dropouts(np.ones(n, dtype=np.bool_), 0, ())
    if imu_errors:
        errors = imu.ImuErrors.draw(imu_rng, rate_hz)
        acc, gyr, bias = imu.apply_errors(acc, gyr, errors, imu_rng, rate_hz)
        bias_end = (float(bias[-1, 0]), float(bias[-1, 1]), float(bias[-1, 2]))
        dropouts = imu.draw_dropouts(link_rng, n, rate_hz)
        time_s = imu.jitter_timestamps(link_rng, time_s)
    keep = dropouts.keep
    time_s = np.round(time_s[keep], 6)
    up_sensor = quat.rotate(quat.conjugate(mount_q), up_body[keep])
    parameters = SimulationParameters(
        duration_s=motion.timeline.duration_s,
        internal_rate_hz=rate_hz * oversample_factor(rate_hz),
        mount_error_deg=mount_error_deg,
        mounting_rotation_deg=p.mount_deg,
        mounting_quat_wxyz=(
            float(mount_q[0]),
            float(mount_q[1]),
            float(mount_q[2]),
            float(mount_q[3]),
        ),
        lever_arm_m=p.lever_arm_m,
        sitting_inclination_deg=p.wearer.sitting_deg,
        standing_inclination_deg=p.wearer.standing_deg,
        neutral_up_body=frame.up,
        gait=motion.gait,
        sway=motion.sway,
        imu=errors,
        gyro_bias_end_rads=bias_end,
        samples_nominal=n,
        dropped_samples=dropouts.dropped,
        single_drops=dropouts.single_drops,
        drop_bursts_s=dropouts.bursts_s,
        timestamp_jitter_s=imu.TIMESTAMP_JITTER_S if imu_errors else 0.0,
    )
    truth = Truth(
        scenario=spec.name,
        description=spec.description,
        seed=seed,
        role=spec.role,
        sample_rate_hz=rate_hz,
        neutral_window_s=NEUTRAL_WINDOW_S,
        neutral_posture=spec.neutral_posture,
        detector_defaults=defaults,
        parameters=parameters,
        samples=TruthSamples(
            time_s, flexion[keep], lateral[keep], activity[keep], posture[keep], up_sensor
        ),
        episodes=episodes,
        non_episodes=non_episodes,
        segments=motion.timeline.segments,
    )
    block = SampleBlock(time_s, acc[keep], gyr[keep])
    if on_progress is not None:
        on_progress(1.0)
    return Simulation(
        block,
        _metadata(spec, seed, rate_hz, mount_error_deg, motion.timeline.duration_s, imu_errors),
        truth,
    )


@dataclass(frozen=True, eq=False, slots=True)
class SimulationPlan:
    """What :func:`simulate` draws before computing any signal (seeded)."""

    spec: ScenarioSpec
    wearer: Wearer
    motion: BodyMotion
    mount_deg: tuple[float, float, float]
    mount_quat_wxyz: FloatArray
    lever_arm_m: tuple[float, float, float]
    n_samples: int
    imu_rng: np.random.Generator
    link_rng: np.random.Generator


def plan(
    scenario: str,
    *,
    seed: int = 0,
    rate_hz: float = 100.0,
    mount_error_deg: float = 20.0,
    duration_min: float | None = None,
) -> SimulationPlan:
    """The wearer, motion and mounting of :func:`simulate` (same arguments, same draws)."""
    spec = _check_arguments(scenario, seed, rate_hz, mount_error_deg, duration_min)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]
    timeline_rng, body_rng, mount_rng, imu_rng, link_rng = streams
    wearer = draw_wearer(body_rng, spec)
    gait = GaitParameters.draw(body_rng, spec.role, wearer.walking_speed_mps)
    duration_s = None if duration_min is None else 60.0 * duration_min
    timeline = build_timeline(spec, wearer, timeline_rng, duration_s)
    motion = BodyMotion(timeline, gait, SwayParameters.draw(body_rng))
    mount_deg = _draw_mounting_deg(mount_rng, mount_error_deg)
    n = math.floor(timeline.duration_s * rate_hz + 1e-9) + 1
    return SimulationPlan(
        spec,
        wearer,
        motion,
        mount_deg,
        quat.from_mounting_angles(np.radians(mount_deg)),
        LEVER_ARM_M[spec.role],
        n,
        imu_rng,
        link_rng,
    )


def _check_arguments(
    scenario: str, seed: int, rate_hz: float, mount_error_deg: float, duration_min: float | None
) -> ScenarioSpec:
    try:
        spec = _scenario_spec(scenario)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if rate_hz not in RATES_HZ:
        raise ValueError(
            f"rate must be one of {', '.join(f'{r:g}' for r in RATES_HZ)} Hz, got {rate_hz:g}"
        )
    if not 0.0 <= mount_error_deg <= MAX_MOUNT_ERROR_DEG:
        raise ValueError(
            f"mounting error must be 0-{MAX_MOUNT_ERROR_DEG:g} deg, got {mount_error_deg:g}"
        )
    low, high = DURATION_RANGE_MIN
    if duration_min is not None and not low <= duration_min <= high:
        raise ValueError(f"duration must be {low:g}-{high:g} min, got {duration_min:g}")
    return spec


def _draw_mounting_deg(rng: np.random.Generator, max_deg: float) -> tuple[float, float, float]:
    """Angles about body x, y (uniform ±max) and z (|c| uniform in ½…1 × max, either sign)."""
    a, b = rng.uniform(-max_deg, max_deg, 2)
    c = (1.0 if rng.random() < 0.5 else -1.0) * rng.uniform(0.5 * max_deg, max_deg)
    return (float(a), float(b), float(c))


def _metadata(
    spec: ScenarioSpec,
    seed: int,
    rate_hz: float,
    mount_error_deg: float,
    duration_s: float,
    errors: bool,
) -> dict[str, str]:
    return {
        "sensor_role": spec.role,
        "source": "posture-hub simulate",
        "simulator_version": __version__,
        "scenario": spec.name,
        "description": spec.description,
        "seed": str(seed),
        "sample_rate_hz": f"{rate_hz:g}",
        "mount_error_deg": f"{mount_error_deg:g}",
        "duration_s": f"{duration_s:.3f}",
        "imu_errors": "on" if errors else "off",
        "neutral_posture": spec.neutral_posture,
        "neutral_window_s": f"{NEUTRAL_WINDOW_S[0]:g},{NEUTRAL_WINDOW_S[1]:g}",
        "truth": "truth.json",
    }


def write_simulation(
    sim: Simulation, out_dir: str | os.PathLike[str], on_progress: Progress | None = None
) -> tuple[Path, Path]:
    """Write ``out_dir/recording.csv`` and ``out_dir/truth.json`` (creating ``out_dir``).

    Both files appear atomically (written to a temporary name, then renamed).  Returns their
    paths.  ``on_progress`` receives the fraction done.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    recording, truth_path = out / "recording.csv", out / "truth.json"
    n = len(sim.block)
    with RecordingWriter(recording, metadata=sim.metadata) as writer:
        for start in range(0, n, WRITE_ROWS):
            writer.write_block(sim.block.slice(start, start + WRITE_ROWS))
            if on_progress is not None:
                on_progress(0.8 * min(n, start + WRITE_ROWS) / n)
    temp = out / f".truth.json.{os.getpid()}.tmp"
    try:
        with temp.open("w", encoding="utf-8") as file:
            file.writelines(truth_json_chunks(sim.truth))
        os.replace(temp, truth_path)
    finally:
        temp.unlink(missing_ok=True)
    if on_progress is not None:
        on_progress(1.0)
    return recording, truth_path
