"""Acceptance, the way an independent check runs it: ``posture-hub simulate`` writes a
recording and its truth; ``posture-hub analyze`` (as a user would call it) reads the recording
only; its ``angles.csv`` and ``events.json`` are scored against ``truth.json``."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from vqf import VQF

from sensor_hub.cli import main
from sensor_hub.evaluation import EpisodeSpan, inclination_error_deg, score
from sensor_hub.evaluation_stance import score_stance
from sensor_hub.recording import write_recording
from sensor_hub.samples import SampleBlock


def simulate_and_analyze(tmp_path: Path, scenario: str, seed: int) -> tuple[dict, dict, dict]:
    sim_dir, out_dir = tmp_path / "sim", tmp_path / "out"
    args = ["simulate", "--scenario", scenario, "--seed", str(seed), "--out", str(sim_dir)]
    assert main([*args, "--progress", "never"]) == 0
    assert main(["analyze", str(sim_dir / "recording.csv"), "--out", str(out_dir)]) == 0
    truth = json.loads((sim_dir / "truth.json").read_text())
    with (out_dir / "angles.csv").open() as f:
        rows = list(csv.DictReader(f))
    keys = ("timestamp_s", "flexion_deg", "activity", "stance")
    angles = {k: np.array([r[k] for r in rows]) for k in keys}
    events = json.loads((out_dir / "events.json").read_text())
    return truth, angles, events


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "seed"), [("dips", 11), ("reach_and_bend", 12)])
def test_simulated_recording_meets_the_targets(tmp_path: Path, scenario: str, seed: int) -> None:
    truth, angles, events = simulate_and_analyze(tmp_path, scenario, seed)
    samples = truth["samples"]
    t = angles["timestamp_s"].astype(float)
    assert np.allclose(t, samples["timestamp_s"], atol=1e-6)  # one row per sample
    flexion = angles["flexion_deg"].astype(float)
    true_flexion = np.asarray(samples["flexion_deg"], dtype=float)
    upright = np.asarray(samples["activity"]) == "upright"
    detected = [EpisodeSpan(e["start_s"], e["end_s"], e["alert_s"]) for e in events["events"]]
    expected = [EpisodeSpan(e["start_s"], e["end_s"], e["alert_due_s"]) for e in truth["episodes"]]
    s = score(
        flexion, flexion, true_flexion, true_flexion, upright, float(t[-1] - t[0]), detected,
        expected,
    )  # fmt: skip
    assert s.flexion_rmse_deg < 0.8
    assert s.recall == 1.0
    assert s.false_alerts == 0
    assert s.max_latency_s <= 2.0
    # One reported episode per true episode (dips inside an episode do not split it).
    for e in expected:
        overlapping = [d for d in detected if d.start_s < e.end_s and e.start_s < d.end_s]
        assert len(overlapping) == 1


def test_sitting_and_standing_in_angles_csv_match_the_truth(tmp_path: Path) -> None:
    truth, angles, _ = simulate_and_analyze(tmp_path, "sit_stand", 0)
    codes = {"unknown": 0, "sitting": 1, "standing": 2}
    stance = np.array([codes[s] for s in angles["stance"]], dtype=np.uint8)
    segments = [SimpleNamespace(**s) for s in truth["segments"]]
    posture = np.asarray(truth["samples"]["posture"])
    t = angles["timestamp_s"].astype(float)
    s = score_stance(t, stance, posture, segments)
    assert s.transitions == 12
    assert s.missed == 0
    assert s.spurious_flips == 0
    assert s.settled_accuracy >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize(
    "trial", ["28_disturbed_stationary_magnet_A", "15_undisturbed_fast_translation_A"]
)
def test_real_imu_data_through_analyze_beats_vqf(tmp_path: Path, trial: str) -> None:
    """A BROAD trial (optical ground truth) converted to format v1 and run through
    ``posture-hub analyze``: its ``q_*`` columns are scored with BROAD's metric."""
    data = np.load(Path(__file__).parents[1] / f"bench/data/broad/{trial}.npz")
    n = 30_000
    acc = data["acc_mps2"][:n].astype(float)
    gyr = data["gyr_rads"][:n].astype(float)
    fs = float(data["sampling_rate_hz"])
    write_recording(tmp_path / "broad.csv", SampleBlock(np.arange(n) / fs, acc, gyr))
    assert main(["analyze", str(tmp_path / "broad.csv"), "--out", str(tmp_path / "o")]) == 0
    q = np.loadtxt(tmp_path / "o" / "angles.csv", delimiter=",", skiprows=1, usecols=(4, 5, 6, 7))
    ref = data["opt_quat_wxyz"][:n].astype(float)
    scored = data["movement"][:n].astype(bool) & np.isfinite(ref).all(axis=1)
    ours = np.sqrt(np.mean(inclination_error_deg(q[scored], ref[scored]) ** 2))
    q_vqf = VQF(1.0 / fs).updateBatch(np.ascontiguousarray(gyr), np.ascontiguousarray(acc))
    theirs = np.sqrt(np.mean(inclination_error_deg(q_vqf["quat6D"][scored], ref[scored]) ** 2))
    assert ours < theirs
    assert ours < 1.0
