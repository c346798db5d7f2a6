#!/usr/bin/env python3
"""Recorder ingest: InfluxWriter into VictoriaMetrics, and the embedded SQLite store.

Run: ``python bench/bench_recorder.py [--points N] [--batch B]``.  Starts its own
VictoriaMetrics (Debian ``victoria-metrics``) on a free loopback port in a temporary directory.

- **InfluxWriter**: ``N`` pre-built points (3 fields, 2 tags, like the posture telemetry) handed
  to :class:`~sensor_hub.recorder.influx.InfluxWriter` in chunks of 100 from the calling thread,
  timed until ``flush()`` returns (every point acknowledged), then counted back from the store.
  Points/s of wall time, and the CPU seconds of this process (one core: the GIL) and of the
  server.
- **references**: the same points' line protocol, pre-built, POSTed raw in batches of the same
  size over one keep-alive ``http.client`` connection (the store's and HTTP's own ceiling); and
  given to influxdb-client's batching ``WriteApi`` with its default options.
- **SQLite store**: a day of 5 Hz telemetry for two sensors (864,000 points, 3 fields) written in
  batches of 5,000, next to a raw ``executemany`` of pre-built rows into the same table; then a
  day summary (hourly buckets) and a whole-day ``query`` of one sensor's field.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from _timing import best_seconds

from sensor_hub.recorder.influx import InfluxConfig, InfluxWriter
from sensor_hub.recorder.point import Point, to_line_protocol
from sensor_hub.recorder.sqlite_store import DAY_NS, SqliteStore

BASE_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-recorder-") as tmp:
        with _Victoria(Path(tmp)) as (url, pid):
            _bench_influx(url, pid, args.points, args.batch, Path(tmp))
        _bench_sqlite(Path(tmp) / "store.db")


def _points(measurement: str, n: int) -> list[Point]:
    return [
        Point(
            measurement,
            {"wearer": "w1", "sensor": "lumbar" if i % 2 else "pelvis"},
            {"flexion_deg": (i % 1000) * 0.125, "state": i % 3, "slouching": i % 2 == 0},
            BASE_NS + i * 1_000_000,  # 1 ms apart: distinct in VictoriaMetrics
        )
        for i in range(n)
    ]


def _bench_influx(url: str, pid: int, n: int, batch: int, tmp: Path) -> None:
    points = _points("bench_writer", n)
    config = InfluxConfig(
        url=url, org="bench", bucket="bench", batch_size=batch, spill_path=tmp / "spill.db"
    )
    writer = InfluxWriter(config)
    cpu0, server0, wall0 = time.process_time(), _cpu_s(pid), time.perf_counter()
    for k in range(0, n, 100):
        writer.write(points[k : k + 100])
    writer.flush()
    wall = time.perf_counter() - wall0
    cpu, server = time.process_time() - cpu0, _cpu_s(pid) - server0
    writer.close()
    stored = _count(url, "bench_writer_flexion_deg")
    print(
        f"InfluxWriter -> VictoriaMetrics: {n / wall:,.0f} points/s ({n} points, batch {batch}, "
        f"{wall:.2f} s wall, CPU {cpu:.2f} s here + {server:.2f} s server); "
        f"stored {stored}, stats {writer.stats.written} written, "
        f"{writer.stats.dropped_total} dropped"
    )
    encode_s = best_seconds(lambda: [to_line_protocol(p) for p in points], 1)
    print(f"  of which to_line_protocol alone: {n / encode_s:,.0f} points/s")

    raw_lines = [to_line_protocol(p) for p in _points("bench_raw", n)]
    body = ["\n".join(raw_lines[k : k + batch]).encode() for k in range(0, n, batch)]
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port)
    server0, wall0 = _cpu_s(pid), time.perf_counter()
    for chunk in body:
        conn.request("POST", "/api/v2/write?org=bench&bucket=bench&precision=ns", chunk)
        response = conn.getresponse()
        response.read()
        if response.status != 204:
            raise RuntimeError(f"raw POST -> {response.status}")
    wall = time.perf_counter() - wall0
    server = _cpu_s(pid) - server0
    conn.close()
    stored = _count(url, "bench_raw_flexion_deg")
    print(
        f"reference, raw POST of pre-built line protocol: {n / wall:,.0f} points/s "
        f"({wall:.2f} s wall, CPU {server:.2f} s server); stored {stored}"
    )

    # reference 2: influxdb-client's own batching WriteApi with its defaults (batches of 1000,
    # flushed every second, on its reactivex scheduler), given the same line protocol.
    from influxdb_client import InfluxDBClient  # noqa: PLC0415 - reference only

    lines = [to_line_protocol(p) for p in _points("bench_client", n)]
    with InfluxDBClient(url=url, token="", org="bench") as client:
        wall0 = time.perf_counter()
        cpu0, server0 = time.process_time(), _cpu_s(pid)
        with client.write_api() as api:
            for k in range(0, n, 100):
                api.write("bench", "bench", lines[k : k + 100])
        wall = time.perf_counter() - wall0
        cpu, server = time.process_time() - cpu0, _cpu_s(pid) - server0
    stored = _count(url, "bench_client_flexion_deg")
    print(
        f"reference, influxdb-client batching WriteApi, defaults: {n / wall:,.0f} points/s "
        f"({wall:.2f} s wall incl. its final flush, CPU {cpu:.2f} s here + {server:.2f} s "
        f"server); stored {stored}"
    )


def _bench_sqlite(path: Path) -> None:
    day = 86_400 * 5  # 5 Hz for a day
    points = [
        Point(
            "posture",
            {"wearer": "w1", "sensor": sensor},
            {"flexion_deg": (i % 1000) * 0.125, "state": i % 3, "slouching": i % 2 == 0},
            BASE_NS + i * 200_000_000,
        )
        for i in range(day)
        for sensor in ("lumbar", "pelvis")
    ]
    store = SqliteStore(path, retention_days=None)
    start = time.perf_counter()
    for k in range(0, len(points), 5000):
        store.write(points[k : k + 5000])
    wall = time.perf_counter() - start
    size_mb = path.stat().st_size / 1e6
    print(
        f"SQLite store: {len(points) / wall:,.0f} points/s "
        f"({3 * len(points) / wall:,.0f} values/s; {len(points)} points in {wall:.2f} s, "
        f"{size_mb:.0f} MB)"
    )
    rows = [(1000 + s, p.time_ns, 1.0) for p in points for s in range(3)]
    conn = store._conn  # reference: the same table, rows pre-built, one transaction each
    start = time.perf_counter()
    for k in range(0, len(rows), 15000):
        conn.execute("BEGIN")
        conn.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?)", rows[k : k + 15000])
        conn.execute("COMMIT")
    wall = time.perf_counter() - start
    print(f"reference, raw executemany of pre-built rows: {len(points) / wall:,.0f} points/s")
    summary_s = best_seconds(
        lambda: store.day_summary(
            "posture", "state", wearer="w1", day_start_ns=BASE_NS, codes=[0, 1, 2]
        ),
        5,
    )
    query_s = best_seconds(
        lambda: store.query(
            "posture",
            ["flexion_deg", "state"],
            wearer="w1",
            tags={"sensor": "lumbar"},
            start_ns=BASE_NS,
            end_ns=BASE_NS + DAY_NS,
        ),
        5,
    )
    print(
        f"  day summary (hourly, both sensors, 3 codes): {summary_s * 1e3:.1f} ms; "
        f"whole-day query of 2 fields of one sensor ({day} points): {query_s * 1e3:.1f} ms"
    )
    store.close()


class _Victoria:
    """VictoriaMetrics in ``workdir`` on a free port: ``(url, pid)`` while in the block."""

    def __init__(self, workdir: Path) -> None:
        program = shutil.which("victoria-metrics")
        if program is None:
            raise SystemExit("victoria-metrics is not installed (apt install victoria-metrics)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.log = (workdir / "victoria.log").open("wb")
        self.proc = subprocess.Popen(
            [
                program,
                f"-storageDataPath={workdir / 'vm'}",
                f"-httpListenAddr=127.0.0.1:{port}",
                "-search.latencyOffset=0s",
                "-retentionPeriod=100y",
                "-loggerLevel=WARN",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> tuple[str, int]:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1):
                    return self.url, self.proc.pid
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count(url: str, metric: str) -> int:
    urllib.request.urlopen(f"{url}/internal/force_flush").read()
    query = urllib.parse.urlencode({"match[]": metric})
    with urllib.request.urlopen(f"{url}/api/v1/export?{query}") as resp:
        return sum(len(json.loads(line)["values"]) for line in resp if line.strip())


if __name__ == "__main__":
    main()
