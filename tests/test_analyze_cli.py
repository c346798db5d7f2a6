"""``posture-hub analyze``: the contract (files, columns, one row per sample, errors)."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sensor_hub.cli import main
from sensor_hub.recording import write_recording
from tests.processing.synth import lean_block

SAMPLE = str(resources.files("sensor_hub") / "data" / "sample_recording.csv")
COLUMNS = ["timestamp_s", "flexion_deg", "lateral_deg", "activity", "q_w", "q_x", "q_y", "q_z"]


def test_analyze_writes_angles_and_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", SAMPLE, "--out", str(tmp_path / "out")]) == 0
    with (tmp_path / "out" / "angles.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:8] == COLUMNS
    # New columns only ever come after the existing ones.
    assert list(rows[0])[8:] == ["band", "calibration", "stance"]
    assert len(rows) == 3000  # one row per input sample
    # Standing still and leaning: no transition seen, so neither sitting nor standing.
    assert {r["stance"] for r in rows} == {"unknown"}
    assert {r["activity"] for r in rows} == {"upright"}
    q = [float(rows[1500][k]) for k in ("q_w", "q_x", "q_y", "q_z")]
    assert sum(v * v for v in q) == pytest.approx(1.0, abs=1e-5)
    # The sample leans forward to 30° (10 s standing, 4 s down, 30 s held, 4 s back up).
    assert float(rows[1500]["flexion_deg"]) == pytest.approx(30.0, abs=1.0)
    doc = json.loads((tmp_path / "out" / "events.json").read_text())
    (event,) = doc["events"]
    assert event["kind"] == "forward_lean"
    assert set(event) >= {"kind", "start_s", "alert_s", "end_s", "peak_deg", "mean_deg"}
    assert event["alert_s"] == pytest.approx(event["start_s"] + 30.0, abs=0.05)
    assert 10.0 < event["start_s"] < 14.0
    assert event["peak_deg"] == pytest.approx(30.0, abs=1.0)
    out = capsys.readouterr().out
    assert "episodes" in out
    assert "1 (1 alerted)" in out


def test_threshold_hold_and_role_options(tmp_path: Path) -> None:
    args = ["analyze", SAMPLE, "--out", str(tmp_path), "--threshold-deg", "35", "--hold-s", "10"]
    assert main(args) == 0
    assert json.loads((tmp_path / "events.json").read_text())["events"] == []
    args = ["analyze", SAMPLE, "--out", str(tmp_path), "--hold-s", "10", "--role", "pelvis"]
    assert main(args) == 0
    (event,) = json.loads((tmp_path / "events.json").read_text())["events"]
    assert event["kind"] == "pelvic_tilt"
    assert event["alert_s"] == pytest.approx(event["start_s"] + 10.0, abs=0.05)


@pytest.mark.parametrize("bad", ["5", "5:2", "a:b", "-1:3", "1:2:3"])
def test_bad_neutral_window_is_one_clear_line(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["analyze", SAMPLE, "--out", str(tmp_path), "--neutral", bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "START:END" in err or "START < END" in err


def test_bad_recording_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp_s,acc_x_mps2,acc_y_mps2,acc_z_mps2,gyr_x_rads,gyr_y_rads,gyr_z_rads\n"
        "0.00,9.81,0,0,0,0,0\n0.01,9.81,0,zero,0,0,0\n"
    )
    assert main(["analyze", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.csv:3" in err[0]


def test_help_documents_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = capsys.readouterr().out
    for word in ("--neutral", "--threshold-deg", "--hold-s", "--role", "angles.csv", "events.json"):
        assert word in text


def test_a_long_gap_is_reported_as_stale_calibration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = np.concatenate((np.arange(0.0, 20.0, 0.02), np.arange(100.0, 120.0, 0.02)))
    block = lean_block(t, np.zeros_like(t))
    write_recording(tmp_path / "gap.csv", block, {"sensor_role": "lumbar"})
    assert main(["analyze", str(tmp_path / "gap.csv"), "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "events.json").read_text())
    assert doc["calibration_stale_from_s"] == pytest.approx(100.0)
    assert "stale from 100.0 s" in capsys.readouterr().out


@pytest.mark.parametrize(("bend_deg", "axis"), [(0.0, "case"), (60.0, "bends")])
def test_the_summary_says_where_the_forward_axis_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bend_deg: float, axis: str
) -> None:
    t = np.arange(0.0, 40.0, 0.01)
    flex = bend_deg * np.clip(1.0 - np.abs(t - 20.0) / 2.0, 0.0, 1.0)  # a 4 s bend at 20 s
    write_recording(tmp_path / "r.csv", lean_block(t, flex, mount_yaw_deg=12.0), {})
    assert main(["analyze", str(tmp_path / "r.csv"), "--out", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "events.json").read_text())
    assert doc["forward_axis"] == axis
    out = capsys.readouterr().out
    if axis == "bends":
        assert doc["mount_yaw_deg"] == pytest.approx(12.0, abs=1.0)
        assert "learned from bends" in out
    else:
        assert doc["mount_yaw_deg"] == 0.0
        assert "the case's (no bend or walk" in out
