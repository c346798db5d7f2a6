"""Activity from the accelerometer: walking, and the steady gait the filter may trust less."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sensor_hub.processing.activity import ActivityClassifier
from sensor_hub.processing.config import ProcessingConfig
from sensor_hub.simulate import simulate

BROAD = Path(__file__).parents[2] / "bench" / "data" / "broad"


# seed 13: a gait with much sway and sway-yaw, whose magnitude holds only 40 % of the band power
@pytest.mark.parametrize("seed", [2, 13])
def test_simulated_walking_is_walking_and_a_steady_gait(seed: int) -> None:
    sim = simulate("walking", seed=seed)
    truth = np.asarray(sim.truth.samples.activity) == "walking"
    gait = ActivityClassifier(ProcessingConfig()).gait(sim.block.timestamp_s, sim.block.acc_mps2)
    assert gait.walking[truth].mean() > 0.9
    assert gait.walking[~truth].mean() < 0.2  # the off-delay runs into the short stops
    assert gait.steady[truth].mean() > 0.8


def test_a_sensor_shaken_to_and_fro_is_not_a_steady_gait() -> None:
    # BROAD trial 15: an IMU translated back and forth by hand at about 2 Hz.
    with np.load(BROAD / "15_undisturbed_fast_translation_A.npz") as d:
        fs = float(d["sampling_rate_hz"])
        acc = np.asarray(d["acc_mps2"], dtype=np.float64)
    t = np.arange(acc.shape[0]) / fs
    steady = ActivityClassifier(ProcessingConfig(sample_rate_hz=fs)).gait(t, acc).steady
    assert steady.mean() < 0.02
