"""InfluxWriter against a real VictoriaMetrics: exact round trip, outage, restart, full spill.

Outages are short (``POSTURE_HUB_TEST_OUTAGE_S``, default 6 s; the issue's 60 s works too) with
short backoffs, so one outage spans several retry rounds and probes while the suite stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from sensor_hub.recorder.influx import (
    TOKEN_ENV,
    DropReason,
    InfluxConfig,
    InfluxConfigError,
    InfluxWriter,
    WriterClosedError,
)
from sensor_hub.recorder.point import Point
from sensor_hub.recorder.writer import PointWriter
from tests.recorder.helpers import BASE_NS, STEP_NS, flexion_of, make_points, wait_until
from tests.servers.influxdb import InfluxDB1
from tests.servers.victoria import Victoria

OUTAGE_S = float(os.environ.get("POSTURE_HUB_TEST_OUTAGE_S", "6"))
FIELDS = ("flexion_deg", "state", "slouching")


def _config(victoria: Victoria, tmp_path: Path, **overrides: Any) -> InfluxConfig:
    settings: dict[str, Any] = {
        "url": victoria.url,
        "org": "posture",
        "bucket": "posture",
        "token": "test-token",
        "batch_size": 500,
        "flush_interval_s": 0.1,
        "timeout_s": 2.0,
        "max_retries": 2,
        "backoff_initial_s": 0.1,
        "backoff_max_s": 0.4,
        "probe_interval_s": 0.5,
        "spill_path": tmp_path / "spill.db",
    }
    settings.update(overrides)
    return InfluxConfig(**settings)


def _by_field(victoria: Victoria) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for series in victoria.export('{__name__=~"posture_.*"}'):
        out.setdefault(series["metric"]["__name__"].removeprefix("posture_"), []).append(series)
    return out


def _assert_exactly(victoria: Victoria, indices: list[int], sensor: str = "lumbar") -> None:
    """Every field of exactly these points, once each (no loss, no duplicates), exact values."""
    stored = _by_field(victoria)
    assert sorted(stored) == sorted(FIELDS)
    want_ms = [(BASE_NS + i * STEP_NS) // 1_000_000 for i in indices]
    for name in FIELDS:
        (series,) = [s for s in stored[name] if s["metric"]["sensor"] == sensor]
        assert series["metric"]["wearer"] == "w1"
        pairs = sorted(zip(series["timestamps"], series["values"], strict=True))
        assert len(pairs) == len(indices), f"{name}: {len(pairs)} samples for {len(indices)}"
        assert [t for t, _ in pairs] == want_ms
        expected = {
            "flexion_deg": [flexion_of(i) for i in indices],
            "state": [float(i % 3) for i in indices],
            "slouching": [1.0 if i % 2 == 0 else 0.0 for i in indices],
        }[name]
        assert [v for _, v in pairs] == expected


def test_round_trip_exact_values(victoria: Victoria, tmp_path: Path) -> None:
    n = 5000
    with InfluxWriter(_config(victoria, tmp_path, batch_size=700)) as writer:
        assert isinstance(writer, PointWriter)
        points = make_points(n)
        for k in range(0, n, 333):
            writer.write(points[k : k + 333])
        assert writer.flush(timeout_s=30)
        stats = writer.stats
    assert stats.written == n
    assert (stats.spilled, stats.replayed, stats.dropped_total, stats.retried) == (0, 0, 0, 0)
    assert stats.store_up
    _assert_exactly(victoria, list(range(n)))


def test_outage_loses_nothing_and_duplicates_nothing(victoria: Victoria, tmp_path: Path) -> None:
    writer = InfluxWriter(_config(victoria, tmp_path))
    produced = 0
    stop = threading.Event()

    def produce() -> None:
        nonlocal produced
        while not stop.is_set():
            writer.write(make_points(40, start=produced))
            produced += 40
            stop.wait(0.02)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        wait_until(lambda: writer.stats.written >= 2000, 20, "writes before the outage")
        victoria.server.stop()
        wait_until(lambda: writer.stats.spilled > 0, 20, "the writer to spill")
        stop.wait(OUTAGE_S)
        assert not writer.stats.store_up
        victoria.server.start()
        wait_until(lambda: writer.stats.replayed > 0, 30, "replay after the store returned")
        stop.wait(1.0)  # keep writing after recovery too
    finally:
        stop.set()
        producer.join()
    assert writer.flush(timeout_s=30)
    wait_until(lambda: writer.stats.spill_pending == 0, 60, "the spill to drain")
    writer.close()
    stats = writer.stats
    assert stats.retried > 0
    assert stats.spilled > 0
    assert stats.replayed == stats.spilled
    assert stats.dropped_total == 0
    assert stats.written + stats.replayed == produced
    _assert_exactly(victoria, list(range(produced)))


def test_spill_left_by_a_closed_writer_is_replayed(victoria: Victoria, tmp_path: Path) -> None:
    writer = InfluxWriter(_config(victoria, tmp_path))
    writer.write(make_points(1000))
    assert writer.flush(timeout_s=30)
    victoria.server.stop()
    writer.write(make_points(1500, start=1000))
    writer.close(timeout_s=1.0)
    assert writer.stats.spill_pending == 1500
    assert writer.stats.written == 1000
    victoria.server.start()
    with InfluxWriter(_config(victoria, tmp_path)) as again:
        wait_until(lambda: again.stats.spill_pending == 0, 30, "the replay")
        assert again.stats.replayed == 1500
    _assert_exactly(victoria, list(range(2500)))


def test_spill_left_by_a_killed_writer_is_replayed(victoria: Victoria, tmp_path: Path) -> None:
    config = _config(victoria, tmp_path)
    victoria.server.stop()
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from sensor_hub.recorder.influx import InfluxConfig, InfluxWriter
        from tests.recorder.helpers import make_points
        writer = InfluxWriter(InfluxConfig(
            url={config.url!r}, org="o", bucket="b", batch_size=500, flush_interval_s=0.1,
            max_retries=1, backoff_initial_s=0.05, backoff_max_s=0.1,
            spill_path=Path({str(config.spill_path)!r})))
        writer.write(make_points(2000))
        assert writer.flush(timeout_s=30)
        assert writer.stats.spill_pending == 2000, writer.stats
        os._exit(9)  # no close(): a crash
        """
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", script], cwd=root, check=False)
    assert proc.returncode == 9
    victoria.server.start()
    with InfluxWriter(config) as writer:
        wait_until(lambda: writer.stats.spill_pending == 0, 30, "the replay")
        assert writer.stats.replayed == 2000
    _assert_exactly(victoria, list(range(2000)))


def test_full_spill_keeps_the_newest(victoria: Victoria, tmp_path: Path) -> None:
    config = _config(victoria, tmp_path, batch_size=100, spill_max_bytes=40_000, max_retries=0)
    victoria.server.stop()
    writer = InfluxWriter(config)
    n = 3000
    for k in range(0, n, 100):
        writer.write(make_points(100, start=k))
    assert writer.flush(timeout_s=30)
    stats = writer.stats
    kept = stats.spill_pending
    assert stats.dropped[DropReason.SPILL_FULL] == n - kept > 0
    victoria.server.start()
    wait_until(lambda: writer.stats.spill_pending == 0, 30, "the replay")
    writer.close()
    _assert_exactly(victoria, list(range(n - kept, n)))


def test_token_from_environment_is_never_shown(
    victoria: Victoria, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    config = _config(victoria, tmp_path, token=None)
    assert config.resolved_token() == "s3cret-token"
    assert "s3cret" not in repr(config)
    assert "s3cret" not in repr(_config(victoria, tmp_path, token="s3cret-token"))
    with InfluxWriter(config) as writer:
        writer.write(make_points(10))
        assert writer.flush(timeout_s=10)
    assert "s3cret" not in repr(writer.stats)


def test_write_after_close_raises(victoria: Victoria, tmp_path: Path) -> None:
    writer = InfluxWriter(_config(victoria, tmp_path))
    writer.close()
    with pytest.raises(WriterClosedError):
        writer.write(make_points(1))
    writer.write([])  # nothing to write is not an error


@pytest.mark.parametrize(
    "overrides",
    [
        {"url": "localhost:8086"},
        {"bucket": ""},
        {"batch_size": 0},
        {"flush_interval_s": 0.0},
        {"max_retries": -1},
        {"spill_max_bytes": 0},
    ],
)
def test_bad_config_is_rejected(overrides: dict[str, Any], tmp_path: Path) -> None:
    settings: dict[str, Any] = {"url": "http://127.0.0.1:1", "org": "o", "bucket": "b"}
    settings.update(overrides)
    with pytest.raises(InfluxConfigError):
        InfluxConfig(**settings)


def test_points_are_not_given_random_tags(victoria: Victoria, tmp_path: Path) -> None:
    point = Point("posture", {"wearer": "w1", "sensor": "lumbar"}, {"flexion_deg": 1.5}, BASE_NS)
    with InfluxWriter(_config(victoria, tmp_path)) as writer:
        writer.write([point])
        assert writer.flush(timeout_s=10)
    (series,) = victoria.export('{__name__="posture_flexion_deg"}')
    assert series["metric"] == {
        "__name__": "posture_flexion_deg",
        "wearer": "w1",
        "sensor": "lumbar",
    }


def test_an_http_error_status_keeps_the_points(influxdb1: InfluxDB1, tmp_path: Path) -> None:
    """InfluxDB 1.6 has no ``/api/v2/write`` (404, as for a missing bucket): retried, then
    spilled — kept for when the configuration is fixed, not dropped."""
    config = InfluxConfig(
        url=influxdb1.url,
        org="o",
        bucket="b",
        max_retries=2,
        backoff_initial_s=0.05,
        backoff_max_s=0.1,
        probe_interval_s=60,
        spill_path=tmp_path / "spill.db",
    )
    with InfluxWriter(config) as writer:
        writer.write(make_points(100))
        assert writer.flush(timeout_s=30)
        stats = writer.stats
    assert (stats.written, stats.retried, stats.spilled, stats.dropped_total) == (0, 2, 100, 0)
    assert not stats.store_up


def test_buffer_bound_moves_points_to_disk(victoria: Victoria, tmp_path: Path) -> None:
    """While a batch waits out a long backoff, a buffer past ``max_buffer_points`` ends the
    retries: the batch and the backlog go to disk instead of growing in memory."""
    config = _config(
        victoria,
        tmp_path,
        batch_size=200,
        max_retries=10,
        backoff_initial_s=30.0,
        backoff_max_s=30.0,
        max_buffer_points=1000,
    )
    victoria.server.stop()
    writer = InfluxWriter(config)
    n = 5000
    writer.write(make_points(200))
    wait_until(lambda: writer.stats.retried == 1, 10, "the first retry's backoff")
    for k in range(200, n, 100):
        writer.write(make_points(100, start=k))
    assert writer.flush(timeout_s=20)  # long before the 30 s backoff would end
    stats = writer.stats
    assert (stats.spilled, stats.spill_pending, stats.buffered) == (n, n, 0)
    assert stats.retried == 1
    victoria.server.start()
    wait_until(lambda: writer.stats.spill_pending == 0, 30, "the replay")
    writer.close()
    _assert_exactly(victoria, list(range(n)))
