"""``posture-hub simulate``: writes a readable recording and its truth; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sensor_hub.cli import main
from sensor_hub.recording import read_recording
from sensor_hub.simulate import SCENARIOS


def test_writes_a_recording_that_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    status = main(
        [
            "simulate",
            "--scenario",
            "brief_slouches",
            "--out",
            str(out),
            "--seed",
            "5",
            "--progress",
            "never",
        ]
    )
    assert status == 0
    recording = read_recording(out / "recording.csv")
    meta = recording.metadata
    assert meta["sensor_role"] == "lumbar"
    assert meta["source"] == "posture-hub simulate"
    assert meta["scenario"] == "brief_slouches"
    assert meta["seed"] == "5"
    assert meta["sample_rate_hz"] == "100"
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["samples"]["timestamp_s"] == recording.samples.timestamp_s.tolist()
    assert truth["seed"] == 5
    assert "brief_slouches" in capsys.readouterr().out


def test_rate_and_ideal_options(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    args = [
        "simulate",
        "--scenario",
        "walking",
        "--out",
        str(out),
        "--rate-hz",
        "25",
        "--no-imu-errors",
    ]
    assert main([*args, "--mount-error-deg", "0", "--progress", "never"]) == 0
    recording = read_recording(out / "recording.csv")
    assert recording.metadata["imu_errors"] == "off"
    period = recording.samples.timestamp_s[1] - recording.samples.timestamp_s[0]
    assert period == pytest.approx(0.04)


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--scenario", "--out", "--seed", "--rate-hz", "--duration-min", "--list"):
        assert option in out


def test_list_prints_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(SCENARIOS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "no_such", "--out", "x"], "unknown scenario 'no_such'"),
        (["--scenario", "walking"], "--out"),
        (["--scenario", "walking", "--out", "x", "--rate-hz", "60"], "--rate-hz"),
        (["--scenario", "walking", "--out", "x", "--duration-min", "0"], "duration"),
    ],
)
def test_user_errors_are_one_line_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    args = [str(tmp_path / a) if a == "x" else a for a in args]
    assert main(["simulate", *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("posture-hub: error: ")
    assert message in lines[0]
    assert not (tmp_path / "x").exists()


def test_an_unwritable_output_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    assert main(["simulate", "--scenario", "fidget", "--out", str(blocker / "sub")]) == 2
    assert "cannot write" in capsys.readouterr().err
