"""InfluxDB 1.x (Debian ``influxdb`` 1.6.7, ``influxd``) on free loopback ports.

It speaks InfluxQL, which the dashboards' queries are written in, and loads the same line protocol
through its ``/write`` endpoint (it has no v2 API).  The generated config binds every listener to
loopback on a free port: the HTTP API and also the RPC service (``bind-address``, 8088 by
default), which would otherwise clash with any other influxd on the machine.  Usage reporting,
the ``_internal`` monitor database and the HTTP request log are off.

It starts in well under a second from an empty directory, so each test gets its own server
(restartable for outage tests) with one empty database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers.http import request, wait_http_ok
from tests.servers.process import HOST, ServerProcess, free_ports, require_program

__all__ = ["InfluxDB1", "start_influxdb1"]


def _config(workdir: Path, http_port: int, rpc_port: int) -> str:
    return f"""\
reporting-disabled = true
bind-address = "{HOST}:{rpc_port}"

[meta]
  dir = "{workdir / "meta"}"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{workdir / "data"}"
  wal-dir = "{workdir / "wal"}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-max-memory-size = 268435456

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "{HOST}:{http_port}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false

[continuous_queries]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


@dataclass
class InfluxDB1:
    """The running ``influxd`` and this test's database ``db`` (created empty).

    ``server.restart()`` keeps the port and the data (outage tests).
    """

    server: ServerProcess
    host: str
    port: int
    rpc_port: int
    db: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def query(self, q: str, db: str | None = None) -> dict[str, Any]:
        """Run InfluxQL through ``GET /query`` against ``db`` (default: this test's database).

        Timestamps come back as integer nanoseconds; a statement error raises ``RuntimeError``.
        """
        params = {"q": q, "epoch": "ns", "db": self.db if db is None else db}
        answer: dict[str, Any] = json.loads(request("GET", f"{self.url}/query", params))
        errors = [r["error"] for r in answer.get("results", []) if "error" in r]
        if "error" in answer or errors:
            msg = f"InfluxQL {q!r} failed: {answer.get('error') or errors}"
            raise RuntimeError(msg)
        return answer

    def rows(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts (tags and columns -> value), all series together."""
        out: list[dict[str, Any]] = []
        for result in self.query(q, db)["results"]:
            for series in result.get("series", []):
                tags = series.get("tags", {})
                out.extend(
                    {**tags, **dict(zip(series["columns"], values, strict=True))}
                    for values in series["values"]
                )
        return out

    def write(self, db: str | None, line_protocol: str, precision: str = "ns") -> None:
        """Load line protocol through ``POST /write`` (``db=None``: this test's database)."""
        request(
            "POST",
            f"{self.url}/write",
            {"db": self.db if db is None else db, "precision": precision},
            data=line_protocol.encode(),
        )

    def create_database(self, name: str) -> None:
        request("POST", f"{self.url}/query", {"q": f'CREATE DATABASE "{name}"'})


def start_influxdb1(workdir: Path, db: str = "posture") -> InfluxDB1:
    """Start ``influxd`` with config, data and log under ``workdir``; create the database ``db``."""
    program = require_program("influxd")
    workdir.mkdir(parents=True, exist_ok=True)
    port, rpc_port = free_ports(2)
    conf = workdir / "influxdb.conf"
    conf.write_text(_config(workdir, port, rpc_port))
    url = f"http://{HOST}:{port}"
    server = ServerProcess([program, "-config", str(conf)], port, workdir / "influxd.log")
    server.startup_timeout_s = 60.0
    server.ready = lambda: wait_http_ok(f"{url}/ping", 60.0, lambda: server.running)
    server.start()
    influx = InfluxDB1(server, HOST, port, rpc_port, db)
    influx.create_database(db)
    return influx
