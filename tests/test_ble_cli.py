"""posture-hub scan / run: help, a virtual run, one clear line without a radio."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from sensor_hub.ble.paired import PairedConfigError, PairedSensor, PairedStore
from sensor_hub.cli import main
from sensor_hub.commands.run import _specs, parse_sensor
from sensor_hub.processing import Role
from tests.servers.mosquitto import Mosquitto


@pytest.mark.parametrize("command", ["scan", "run"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "--timeout" in out if command == "scan" else "--virtual" in out


def test_run_virtual_prints_status_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--virtual", "dips", "--speed", "40", "--duration", "2.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    status = [line for line in lines if line.startswith("lumbar")]
    assert len(status) >= 2
    assert "flexion" in status[-1]
    assert "battery 87%" in status[-1]
    assert "age " in status[-1]


@pytest.mark.parametrize("command", [["scan", "--timeout", "0.5"], ["run"]])
def test_without_a_radio_one_line_and_exit_2(
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POSTURE_HUB_CONFIG_DIR", str(tmp_path))
    assert main(command) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("posture-hub: error: ")


def test_remembered_sensors_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTURE_HUB_CONFIG_DIR", str(tmp_path / "cfg"))
    store = PairedStore()
    assert store.path == tmp_path / "cfg" / "sensors.json"
    assert store.load() == []
    lumbar = PairedSensor("F0:4F:50:53:00:01", "OPS-0001", "ops", Role.LUMBAR)
    pelvis = PairedSensor("F0:4F:50:53:00:02", "OPS-0002", "ops", Role.PELVIS)
    store.remember(lumbar)
    store.remember(pelvis)
    assert PairedStore().load() == [lumbar, pelvis]
    moved = PairedSensor("F0:4F:50:53:00:03", "OPS-0003", "ops", Role.LUMBAR)
    store.remember(moved)  # one sensor per role
    assert store.load() == [pelvis, moved]
    assert store.forget("f0:4f:50:53:00:02")
    assert store.load() == [moved]
    assert [p.name for p in (tmp_path / "cfg").iterdir()] == ["sensors.json"]  # no temp left
    assert json.loads(store.path.read_text())["format"] == "posture-hub-sensors/1"


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"format": "other/1", "sensors": []}',
        '{"format": "posture-hub-sensors/1"}',
        '{"format": "posture-hub-sensors/1", "sensors": [{"address": "x", "name": "y", '
        '"role": "knee"}]}',
    ],
)
def test_a_corrupt_config_file_gives_one_clear_error(
    content: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "sensors.json"
    path.write_text(content)
    with pytest.raises(PairedConfigError, match=r"sensors\.json: not a remembered-sensors file"):
        PairedStore(path).load()
    monkeypatch.setenv("POSTURE_HUB_CONFIG_DIR", str(tmp_path))
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(path) in err[0]


def test_run_virtual_with_a_pelvis_sensor_shows_the_relative_angle(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["run", "--virtual", "dips", "--pelvis", "--speed", "10", "--duration", "4"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    lumbar = [line for line in lines if line.startswith("lumbar")]
    pelvis = [line for line in lines if line.startswith("pelvis")]
    assert len(lumbar) >= 2
    assert len(pelvis) >= 2
    # Under load the pelvis stream may start a status line or two after the lumbar one.
    assert any("lumbar-pelvis" in line for line in lumbar), "\n".join(lines)
    assert "flexion" in pelvis[-1]
    assert not any("lumbar-pelvis" in line for line in pelvis)
    assert lumbar[-1].split()[1] != pelvis[-1].split()[1]  # two sensors


def test_pelvis_without_virtual_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--pelvis"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]]
    assert "--pelvis needs --virtual" in err[0]


@pytest.mark.parametrize(
    ("text", "kind", "address", "name", "role"),
    [
        ("OPS-1A2B", "ops", None, "OPS-1A2B", Role.LUMBAR),
        ("f0:4f:50:53:00:02=pelvis", "ops", "F0:4F:50:53:00:02", None, Role.PELVIS),
        ("witmotion/WT901BLE68", "witmotion", None, "WT901BLE68", Role.LUMBAR),
        (
            "movella_dot/D4:22:CD:00:12:34=pelvis",
            "movella_dot",
            "D4:22:CD:00:12:34",
            None,
            Role.PELVIS,
        ),
        ("thingy52/Thingy=lumbar", "thingy52", None, "Thingy", Role.LUMBAR),
    ],
)
def test_sensor_argument_names_kind_target_and_role(
    text: str, kind: str, address: str | None, name: str | None, role: Role
) -> None:
    spec = parse_sensor(text)
    assert (spec.target.kind, spec.target.address, spec.target.name, spec.role) == (
        kind,
        address,
        name,
        role,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fitbit/X", "unknown sensor kind 'fitbit'"),
        ("OPS-1=hip", "unknown role 'hip'"),
        ("=lumbar", "expected"),
    ],
)
def test_bad_sensor_argument_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_sensor(text)


def test_remembered_third_party_sensors_keep_their_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PairedStore(tmp_path / "sensors.json")
    store.remember(PairedSensor("D4:22:CD:00:12:34", "Xsens DOT", "movella_dot", Role.PELVIS))
    args = argparse.Namespace(sensor=[])
    [spec] = _specs(args, store)
    assert (spec.target.address, spec.target.kind, spec.role) == (
        "D4:22:CD:00:12:34",
        "movella_dot",
        Role.PELVIS,
    )
    assert spec.target.profile is not None


def test_run_publishes_to_the_configured_broker(
    mosquitto: Mosquitto, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[str] = []
    watcher = paho.Client(paho.CallbackAPIVersion.VERSION2)
    watcher.on_message = lambda _c, _u, msg: received.append(msg.topic)
    watcher.connect(mosquitto.host, mosquitto.port)
    watcher.subscribe([("posture/v1/#", 1), ("homeassistant/#", 1)])
    watcher.loop_start()
    try:
        argv = ["run", "--virtual", "dips", "--speed", "40", "--duration", "3"]
        argv += ["--broker", mosquitto.url, "--wearer", "alice"]
        assert main(argv) == 0
        time.sleep(0.3)
    finally:
        watcher.loop_stop()
        watcher.disconnect()
    out = capsys.readouterr().out
    assert f"publishing posture/v1/alice/# to {mosquitto.host}:{mosquitto.port}" in out
    topics = set(received)
    assert "posture/v1/alice/lumbar/telemetry" in topics
    assert "posture/v1/alice/lumbar/state" in topics
    assert "posture/v1/alice/events" in topics
    assert received.count("posture/v1/alice/availability") >= 2  # online, then offline
    assert any(t.startswith("homeassistant/") for t in topics)


def test_run_without_a_broker_starts_the_embedded_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--virtual", "dips", "--speed", "40", "--duration", "1.5"]) == 0
    out = capsys.readouterr().out
    assert "embedded MQTT broker (3.1.1) listening on mqtt://127.0.0.1:" in out
