"""Ground truth and labels: determinism, consistency, margins, IMU errors, the truth file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sensor_hub.recording import read_recording
from sensor_hub.simulate import SCENARIOS, Simulation, simulate, write_simulation
from sensor_hub.simulate.imu import ACC_LSB_MPS2, GYRO_LSB_RADS
from sensor_hub.simulate.labels import find_episodes
from sensor_hub.simulate.trajectory import PlannedItem
from sensor_hub.simulate.truth import DetectorDefaults

DEFAULTS = DetectorDefaults()
DECOY_KINDS = {
    "reach",
    "bend",
    "fidget",
    "brief_slouch",
    "brief_tilt",
    "posterior_tilt",
    "walking",
    "lying",
    "sit_stand",
    "lean_below_threshold",
}


@pytest.fixture(scope="module")
def office() -> Simulation:
    return simulate("office_day", seed=11, rate_hz=25.0)


def _reference_episodes(sim: Simulation) -> list[tuple[float, float]]:
    """A naive detector on the truth: above the threshold while upright, dips < 5 s merged."""
    s = sim.truth.samples
    above = (s.flexion_deg > DEFAULTS.threshold_deg) & (s.activity == "upright")
    t = s.timestamp_s
    runs: list[list[float]] = []
    edges = np.diff(np.concatenate(([0], above.astype(np.int8), [0])))
    for i0, i1 in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if runs and t[i0] - runs[-1][1] < DEFAULTS.dip_tolerance_s:
            runs[-1][1] = float(t[i1 - 1])
        else:
            runs.append([float(t[i0]), float(t[i1 - 1])])
    return [(a, b) for a, b in runs if b - a >= DEFAULTS.hold_s]


def test_same_seed_same_simulation_other_seed_other() -> None:
    a = simulate("brief_slouches", seed=3)
    b = simulate("brief_slouches", seed=3)
    c = simulate("brief_slouches", seed=4)
    assert a.block.equals(b.block)
    assert a.truth.to_json() == b.truth.to_json()
    assert a.metadata == b.metadata
    assert not (len(a.block) == len(c.block) and a.block.equals(c.block))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_labels_are_consistent(scenario: str) -> None:
    duration = 20.0 if scenario == "office_day" else None
    sim = simulate(scenario, seed=1, rate_hz=50.0, imu_errors=False, duration_min=duration)
    truth, s = sim.truth, sim.truth.samples
    n = len(sim.block)
    assert n == len(s.flexion_deg) == len(s.activity) == len(s.up_sensor)
    np.testing.assert_array_equal(s.timestamp_s, sim.block.timestamp_s)
    assert set(np.unique(s.activity)) <= {"upright", "walking", "lying"}
    # segments tile the timeline
    assert truth.segments[0].start_s == 0.0
    for before, after in zip(truth.segments, truth.segments[1:], strict=False):
        assert before.end_s == after.start_s
    assert truth.segments[0].label == "neutral"
    assert truth.segments[0].end_s >= 6.0
    for e in truth.episodes:
        assert e.kind == ("pelvic_tilt" if truth.role == "pelvis" else "forward_lean")
        assert e.end_s - e.start_s > DEFAULTS.hold_s + 10.0
        assert e.alert_due_s == e.start_s + DEFAULTS.hold_s
        assert DEFAULTS.threshold_deg + 3.0 < e.mean_deg <= e.peak_deg < 60.0
    assert {e.kind for e in truth.non_episodes} <= DECOY_KINDS
    # an independent naive detector on the truth finds exactly the episodes
    reference = _reference_episodes(sim)
    assert len(reference) == len(truth.episodes)
    for (start, end), e in zip(reference, truth.episodes, strict=True):
        assert start == pytest.approx(e.start_s, abs=0.05)
        assert end == pytest.approx(e.end_s, abs=0.05)
    decoy_scenarios = {
        "reach_and_bend",
        "walking",
        "lying",
        "fidget",
        "brief_slouches",
        "sit_stand",
    }
    assert (len(truth.episodes) == 0) == (scenario in decoy_scenarios)


def test_brief_slouches_stay_shorter_than_the_hold() -> None:
    sim = simulate("brief_slouches", seed=6, imu_errors=False)
    s = sim.truth.samples
    briefs = [e for e in sim.truth.non_episodes if e.kind == "brief_slouch"]
    assert len(briefs) == 8
    for e in briefs:
        inside = (s.timestamp_s >= e.start_s) & (s.timestamp_s <= e.end_s)
        above = inside & (s.flexion_deg > DEFAULTS.threshold_deg)
        duration = s.timestamp_s[above][-1] - s.timestamp_s[above][0]
        assert 3.0 < duration <= 20.0


def test_dips_do_not_split_and_long_returns_do() -> None:
    sim = simulate("dips", seed=8, imu_errors=False)
    truth, s = sim.truth, sim.truth.samples
    assert len(truth.episodes) == 5
    dips = 0
    for e in truth.episodes:
        inside = (s.timestamp_s > e.start_s) & (s.timestamp_s < e.end_s)
        below = (inside & (s.flexion_deg <= DEFAULTS.threshold_deg)).astype(np.int8)
        edges = np.diff(np.concatenate(([0], below, [0])))
        lengths_s = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) / 100.0
        dips += len(lengths_s)
        assert all(length < 3.0 for length in lengths_s)
    assert dips >= 3
    gaps = [b.start_s - a.end_s for a, b in zip(truth.episodes, truth.episodes[1:], strict=False)]
    assert min(gaps) >= 8.0
    assert sum(g < 20.0 for g in gaps) >= 2  # the split pairs


def test_office_day_has_everything(office: Simulation) -> None:
    truth = office.truth
    assert truth.parameters.duration_s == pytest.approx(3600.0, abs=1.0)
    assert truth.neutral_posture == "sitting"
    kinds = {e.kind for e in truth.non_episodes}
    assert DECOY_KINDS - {"brief_tilt", "posterior_tilt"} <= kinds
    assert len(truth.episodes) >= 5
    labels = {seg.label for seg in truth.segments}
    assert {"dip", "return_upright", "lying_supine", "lying_right", "walk"} <= labels
    assert min(e.mean_deg for e in truth.episodes) >= 25.0


@pytest.mark.parametrize("scenario", ["fidget", "reach_and_bend", "sit_stand"])
def test_durations_scale(scenario: str) -> None:
    sim = simulate(scenario, seed=2, duration_min=2.0, rate_hz=25.0)
    assert sim.truth.parameters.duration_s == pytest.approx(120.0, abs=0.5)
    assert sim.truth.segments[-1].end_s == sim.truth.parameters.duration_s


def test_a_design_without_margins_is_reported() -> None:
    t = np.arange(0, 100.0, 0.01)
    flexion = np.where((t > 10.0) & (t < 35.0), 30.0, 0.0)  # 25 s: too short for an episode
    activity = np.full(len(t), "upright")
    items = [PlannedItem("forward_lean", 9.0, 36.0, episode=True)]
    _, _, problems = find_episodes(t, flexion, activity, items, DEFAULTS)
    assert any("lasts only" in p for p in problems)
    _, _, problems = find_episodes(t, flexion, activity, [], DEFAULTS)
    assert any("outside any episode" in p for p in problems)
    items = [PlannedItem("reach", 9.0, 36.0, episode=False)]
    _, _, problems = find_episodes(t, flexion, activity, items, DEFAULTS)
    assert any("reach" in p for p in problems)


def test_imu_errors_quantisation_drops_and_jitter() -> None:
    sim = simulate("sit_stand", seed=9)
    ideal = simulate("sit_stand", seed=9, imu_errors=False)
    block, p = sim.block, sim.truth.parameters
    counts = block.acc_mps2 / ACC_LSB_MPS2
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    counts = block.gyr_rads / GYRO_LSB_RADS
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    assert np.all(np.diff(block.timestamp_s) > 0.0)
    assert p.samples_nominal == len(ideal.block) == len(block) + p.dropped_samples
    assert 0.001 < p.dropped_samples / p.samples_nominal < 0.05
    assert p.imu is not None
    assert max(abs(b) for b in p.imu.gyro_bias_rads) <= np.radians(1.0)
    jitter = block.timestamp_s - np.round(block.timestamp_s * 100.0) / 100.0
    assert np.abs(jitter).max() <= 0.001 + 1e-9
    assert np.abs(jitter).max() > 0.0005
    # errors are small: the noisy gyro stays within bias + noise of the ideal one
    kept = np.isin(np.round(ideal.block.timestamp_s * 100), np.round(block.timestamp_s * 100))
    diff = block.gyr_rads - ideal.block.gyr_rads[kept]
    assert np.abs(diff.mean(axis=0) - np.asarray(p.imu.gyro_bias_rads)).max() < 0.002


def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        simulate("no_such_scenario")
    with pytest.raises(ValueError, match="rate"):
        simulate("fidget", rate_hz=60.0)
    with pytest.raises(ValueError, match="duration"):
        simulate("fidget", duration_min=10000.0)
    with pytest.raises(ValueError, match="seed"):
        simulate("fidget", seed=-1)


def test_written_files_match_the_simulation(tmp_path: Path) -> None:
    sim = simulate("pelvis_standing", seed=3, rate_hz=50.0)
    recording_path, truth_path = write_simulation(sim, tmp_path / "out")
    recording = read_recording(recording_path)
    assert recording.metadata["sensor_role"] == "pelvis"
    assert recording.metadata["source"] == "posture-hub simulate"
    assert recording.metadata["scenario"] == "pelvis_standing"
    assert recording.samples.equals(sim.block, atol=1e-5)
    doc = json.loads(truth_path.read_text(encoding="utf-8"))
    assert doc == sim.truth.to_json()
    assert doc["format"] == "posture-truth/1"
    assert doc["role"] == "pelvis"
    assert doc["neutral_window_s"] == [0.0, 5.0]
    assert doc["detector_defaults"] == {
        "threshold_deg": 20.0,
        "hold_s": 30.0,
        "dip_tolerance_s": 5.0,
    }
    samples = doc["samples"]
    assert samples["timestamp_s"] == recording.samples.timestamp_s.tolist()
    assert len(samples["flexion_deg"]) == len(samples["activity"]) == len(recording.samples)
    assert [e["kind"] for e in doc["episodes"]] == ["pelvic_tilt"] * len(sim.truth.episodes)
    assert doc["parameters"]["mounting_rotation_deg"] == list(
        sim.truth.parameters.mounting_rotation_deg
    )
    assert set(doc) == {
        "format",
        "scenario",
        "description",
        "seed",
        "role",
        "sample_rate_hz",
        "neutral_window_s",
        "neutral_posture",
        "detector_defaults",
        "parameters",
        "samples",
        "episodes",
        "non_episodes",
        "segments",
    }
