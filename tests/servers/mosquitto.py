"""mosquitto, anonymous on a free loopback port (Debian's ``mosquitto`` binary)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.servers.process import HOST, ServerProcess, free_port, require_program


@dataclass
class Mosquitto:
    server: ServerProcess
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"


def start_mosquitto(workdir: Path, extra_config: str = "") -> Mosquitto:
    """Start mosquitto with its own config, persistence and log under ``workdir``."""
    program = require_program("mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} {HOST}\n"
        "allow_anonymous true\n"
        "persistence true\n"
        f"persistence_location {workdir}/\n"
        "log_dest stdout\n"
        "log_type error\nlog_type warning\nlog_type notice\n"
        "max_queued_messages 100000\n" + extra_config
    )
    server = ServerProcess([program, "-c", str(conf)], port, workdir / "mosquitto.log")
    server.start()
    return Mosquitto(server, HOST, port)
