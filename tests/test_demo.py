"""``posture-hub demo``: the whole system in one process exits 0 with data recorded, and keeps
everything it writes in the directory it names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sensor_hub.cli import main
from sensor_hub.recorder.sqlite_store import SqliteReader


def test_demo_runs_headless_and_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    demo = tmp_path / "demo"
    argv = ["demo", "--dir", str(demo), "--speed", "40", "--duration", "6", "--minutes", "10"]
    assert main([*argv, "--interval", "2"]) == 0
    out = capsys.readouterr().out
    assert "embedded MQTT broker (3.1.1) on mqtt://127.0.0.1:" in out
    assert "dashboard: http://127.0.0.1:" in out
    assert out.count("lumbar OPS-") >= 2

    reader = SqliteReader(demo / "posture.sqlite")
    frames = reader.query("posture", ["flexion_deg"], wearer="demo")
    assert frames
    assert len(frames[0].time_ns) > 50  # 5 Hz telemetry of minutes of the replayed day
    states = reader.query("posture_state", ["posture"], wearer="demo")
    assert states
    reader.close()
    # Nothing outside the demo directory: not in the working directory, not in the home.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "home"]
    assert list(os.scandir(home)) == []
