"""``posture-hub record`` as a user runs it: a process subscribed to a real mosquitto, writing
to the embedded SQLite store and to VictoriaMetrics (InfluxDB v2 write API), stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

from sensor_hub.mqtt.messages import Telemetry
from sensor_hub.mqtt.payloads import telemetry_payload
from sensor_hub.mqtt.topics import Topics
from sensor_hub.processing import Activity, Band, CalibrationStatus, Role
from sensor_hub.recorder.sqlite_store import SqliteReader
from tests.servers.mosquitto import Mosquitto
from tests.servers.victoria import Victoria

T0 = 1_764_000_000.0


def telemetry(wearer: str, i: int) -> bytes:
    return telemetry_payload(
        Telemetry(
            wearer=wearer,
            sensor=Role.LUMBAR,
            ts_s=T0 + 0.2 * i,
            flexion_deg=float(i % 40),
            lateral_deg=-1.5,
            activity=Activity.UPRIGHT,
            band=Band.NEUTRAL,
            calibration=CalibrationStatus.OK,
        )
    )


def start_recorder(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = os.environ | {
        "POSTURE_HUB_CONFIG_DIR": str(tmp_path / "config"),
        "POSTURE_HUB_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sensor_hub", "record", "--interval", "0.2", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


class Lines:
    """The recorder's status lines (stderr), read in the background."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stderr is not None
        self._thread = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append(line.rstrip())
        stream.close()  # type: ignore[attr-defined]

    def join(self) -> None:
        self._thread.join(10)

    def wait_for(self, text: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in {self.lines}"
            time.sleep(0.05)


def publisher(broker: Mosquitto) -> paho.Client:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def test_record_writes_every_message_to_both_stores_and_drops_bad_ones(
    mosquitto: Mosquitto, victoria: Victoria, tmp_path: Path
) -> None:
    store = tmp_path / "posture.sqlite"
    args = ["--broker", mosquitto.url, "--store", str(store), "--influx-url", victoria.url]
    args += ["--influx-org", "home", "--influx-bucket", "posture"]
    proc = start_recorder(args, tmp_path)
    lines = Lines(proc)
    try:
        lines.wait_for("connected:")
        pub = publisher(mosquitto)
        topics = {w: Topics(w) for w in ("alice", "bob")}
        n = 200
        for i in range(n):
            for wearer, t in topics.items():
                pub.publish(t.telemetry("lumbar"), telemetry(wearer, i), qos=1).wait_for_publish(5)
        # Bad input: not JSON, and a payload whose wearer is not its topic's.
        pub.publish(topics["alice"].telemetry("lumbar"), b"{oops", qos=1).wait_for_publish(5)
        pub.publish(topics["alice"].telemetry("lumbar"), telemetry("bob", 1), qos=1)
        pub.publish(topics["alice"].command, b'{"v":1,"command":"resume"}', qos=1)  # not stored
        pub.loop_stop()
        pub.disconnect()
        lines.wait_for(f"{2 * n + 3} messages")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        lines.join()
    assert proc.returncode == 0
    final = lines.lines[-1]
    assert f"{2 * n + 3} messages" in final
    assert "dropped 2 PayloadError" in final

    reader = SqliteReader(store)
    for wearer in ("alice", "bob"):
        [frame] = reader.query("posture", ["flexion_deg"], wearer=wearer)
        assert len(frame.time_ns) == n
        assert list(frame.values["flexion_deg"][:3]) == [0.0, 1.0, 2.0]
    reader.close()
    series = victoria.export('{__name__="posture_flexion_deg"}')
    assert sorted(s["metric"]["wearer"] for s in series) == ["alice", "bob"]
    assert all(len(s["values"]) == n for s in series)


def test_without_a_broker_it_is_one_clear_line(tmp_path: Path) -> None:
    proc = start_recorder([], tmp_path)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [
        "posture-hub: error: no broker: give --broker URL (or [mqtt] url in the settings file)"
    ]
