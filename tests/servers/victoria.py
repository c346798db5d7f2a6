"""VictoriaMetrics (Debian ``victoria-metrics``), on a free loopback port: the line-protocol store.

It accepts InfluxDB line protocol on ``/api/v2/write`` (what influxdb-client sends) and gives the
samples back through ``/api/v1/export``.  What it does with line protocol (checked by the tests in
``test_store_fixtures.py``): measurement + field become the metric ``measurement_field``, tags
become labels, string fields become 0, timestamps are kept in milliseconds.

``-dedup.minScrapeInterval=1ms`` makes a sample written twice (same series, same millisecond)
count once, as InfluxDB overwrites it; deployments should set it too (docs/mqtt.md).
Two flags make reads deterministic: ``-search.latencyOffset=0s`` (otherwise the last 30 s are
hidden from queries) and a call to ``/internal/force_flush`` before each read (``flush()``; the
helpers here do it for you).  ``-retentionPeriod=100y`` so tests may use fixed timestamps years in
the past without the samples being dropped as out of retention.

Crashes: ``force_flush`` makes samples searchable, not durable.  VictoriaMetrics 1.79 writes
recent samples to disk only every few seconds, so ``server.stop(kill=True)`` loses what was
written in the last ~5 s (measured here: lost 3 s after the write, kept after 6 s); a clean
``server.stop()`` / ``restart()`` (SIGTERM) keeps everything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers.http import request, wait_http_ok
from tests.servers.process import HOST, ServerProcess, free_port, require_program

__all__ = ["Victoria", "start_victoria"]


@dataclass
class Victoria:
    server: ServerProcess
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def flush(self) -> None:
        """Make everything written so far visible to queries."""
        request("GET", f"{self.url}/internal/force_flush")

    def write(self, line_protocol: str, precision: str = "ns") -> None:
        """POST line protocol to ``/api/v2/write`` (the InfluxDB 2 write endpoint)."""
        request(
            "POST",
            f"{self.url}/api/v2/write",
            {"precision": precision},
            data=line_protocol.encode(),
        )

    def export(self, match: str, *, flush: bool = True) -> list[dict[str, Any]]:
        """The series matching a selector (``'{__name__=~"posture_.*"}'``), one dict per series.

        Each dict has ``metric`` (labels, with ``__name__``), ``values`` and ``timestamps`` (ms).
        """
        if flush:
            self.flush()
        body = request("GET", f"{self.url}/api/v1/export", [("match[]", match)])
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    def sample_count(self, match: str) -> int:
        """How many samples the matching series hold in total."""
        return sum(len(series["values"]) for series in self.export(match))


def start_victoria(workdir: Path) -> Victoria:
    """Start VictoriaMetrics with its data and log under ``workdir``; wait until /health is OK."""
    program = require_program("victoria-metrics")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://{HOST}:{port}"
    argv = [
        program,
        f"-storageDataPath={workdir / 'data'}",
        f"-httpListenAddr={HOST}:{port}",
        "-search.latencyOffset=0s",
        # Same series + same timestamp = one sample, as InfluxDB overwrites: a message the
        # recorder gets twice (redelivery after a restart) must not count twice.
        "-dedup.minScrapeInterval=1ms",
        "-retentionPeriod=100y",
        "-loggerLevel=WARN",
        "-search.disableCache",
        "-http.shutdownDelay=0s",
        "-memory.allowedPercent=20",
    ]
    server = ServerProcess(argv, port, workdir / "victoria-metrics.log")
    server.ready = lambda: wait_http_ok(f"{url}/health", 20.0, lambda: server.running)
    server.start()
    return Victoria(server, HOST, port)
