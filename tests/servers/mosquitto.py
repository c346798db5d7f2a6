"""mosquitto (Debian's ``mosquitto`` binary) on free loopback ports.

Two flavours: anonymous (``start_mosquitto``), for tests of our MQTT code, and secure
(``start_secure_mosquitto``): the production configuration from ``deploy/mosquitto`` -- password
file, ACL, TLS -- with only paths and ports changed, so the security tests check what we ship.
"""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.servers.process import (
    HOST,
    ServerProcess,
    free_port,
    free_ports,
    require_program,
    wait_listening,
)
from tests.servers.tls import TlsFiles, make_tls_files

__all__ = [
    "SECURE_USERS",
    "Mosquitto",
    "SecureMaterial",
    "SecureMosquitto",
    "make_secure_material",
    "start_mosquitto",
    "start_secure_mosquitto",
]


def _run_as_me() -> str:
    """``user`` line: run as the current user.

    Started as root, mosquitto otherwise switches to the ``mosquitto`` user, which can read
    neither the test's files nor write its persistence under pytest's private ``tmp_path``
    (retained messages and sessions would silently not survive a restart).  For any other
    user the option changes nothing.
    """
    return f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"


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
    lines = [
        f"listener {port} {HOST}",
        _run_as_me().strip(),
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {workdir}/",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "max_queued_messages 100000",
        "set_tcp_nodelay true",
    ]
    conf.write_text("\n".join(lines) + "\n" + extra_config)
    server = ServerProcess([program, "-c", str(conf)], port, workdir / "mosquitto.log")
    server.start()
    return Mosquitto(server, HOST, port)


# --- password + ACL + TLS: the configuration we ship, on free loopback ports -------------------

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"

#: The users of the secure broker: two wearers and the two service accounts of deploy/mosquitto/acl.
SECURE_USERS = ("alice", "bob", "recorder", "homeassistant")


@dataclass(frozen=True)
class SecureMaterial:
    """What a secure broker needs and the session makes once: certificates and a password file."""

    tls: TlsFiles
    password_file: Path
    users: dict[str, str]


def make_secure_material(directory: Path) -> SecureMaterial:
    """A CA with server/client certificates and a mosquitto password file for ``SECURE_USERS``.

    The passwords are random for each session; the file is built by ``mosquitto_passwd -b``
    exactly as docs/security.md tells an operator to.
    """
    passwd_program = require_program("mosquitto_passwd")
    directory.mkdir(parents=True, exist_ok=True)
    tls = make_tls_files(directory / "certs")
    password_file = directory / "passwd"
    users = {name: secrets.token_urlsafe(12) for name in SECURE_USERS}
    for i, (name, password) in enumerate(users.items()):
        create = ["-c"] if i == 0 else []
        subprocess.run(
            [passwd_program, *create, "-b", str(password_file), name, password],
            check=True,
            capture_output=True,
        )
    return SecureMaterial(tls, password_file, users)


@dataclass
class SecureMosquitto:
    """mosquitto running deploy/mosquitto's configuration (passwords, ACL, TLS) on free ports.

    ``plain_port``: MQTT without TLS (same passwords and ACL); ``tls_port``: TLS, the server
    verified against ``ca_file``; ``mtls_port``: TLS that also requires a client certificate
    (``client_cert``/``client_key``).  ``server.restart()`` keeps all ports.
    """

    server: ServerProcess
    host: str
    plain_port: int
    tls_port: int
    mtls_port: int
    ca_file: Path
    client_cert: Path
    client_key: Path
    users: dict[str, str]
    config_file: Path

    @property
    def port(self) -> int:
        """The plain port (so code written for the anonymous fixture finds a port here too)."""
        return self.plain_port

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.plain_port}"

    @property
    def tls_url(self) -> str:
        return f"mqtts://{self.host}:{self.tls_port}"


def _substitute(text: str, replacements: dict[str, str]) -> str:
    """Replace each key once or more; fail loudly when the shipped config no longer has it."""
    for old, new in replacements.items():
        if old not in text:
            msg = f"deploy/mosquitto/mosquitto.conf no longer contains {old!r}; update the fixture"
            raise RuntimeError(msg)
        text = text.replace(old, new)
    return text


def secure_config(
    material: SecureMaterial, workdir: Path, plain_port: int, tls_port: int, mtls_port: int
) -> str:
    """deploy/mosquitto/mosquitto.conf with only its paths, ports and log destination changed.

    The ACL is the shipped file itself (``deploy/mosquitto/acl``), not a copy.
    """
    shipped = (DEPLOY_DIR / "mosquitto.conf").read_text()
    certs = material.tls.ca_file.parent
    return _substitute(
        shipped,
        {
            "/etc/mosquitto/posture/certs/": f"{certs}/",
            "/etc/mosquitto/posture/passwd": str(material.password_file),
            "/etc/mosquitto/posture/acl": str(DEPLOY_DIR / "acl"),
            "/var/lib/mosquitto/": f"{workdir}/",
            "listener 1883 127.0.0.1\n": f"listener {plain_port} {HOST}\n",
            "listener 8883\n": f"listener {tls_port} {HOST}\n",
            "listener 8884\n": f"listener {mtls_port} {HOST}\n",
            "log_dest syslog\n": "log_dest stdout\n",
        },
    )


def start_secure_mosquitto(material: SecureMaterial, workdir: Path) -> SecureMosquitto:
    """Start mosquitto on the shipped secure configuration, with its state under ``workdir``."""
    program = require_program("mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    plain_port, tls_port, mtls_port = free_ports(3)
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        _run_as_me() + secure_config(material, workdir, plain_port, tls_port, mtls_port)
    )
    log = workdir / "mosquitto.log"
    server = ServerProcess([program, "-c", str(conf)], plain_port, log)

    def ready() -> None:  # all listeners open together; wait for the TLS ones too
        for port in (tls_port, mtls_port):
            if server.proc is None:
                msg = "mosquitto is not running"
                raise RuntimeError(msg)
            wait_listening(port, server.proc, log, server.startup_timeout_s)

    server.ready = ready
    server.start()
    return SecureMosquitto(
        server=server,
        host=HOST,
        plain_port=plain_port,
        tls_port=tls_port,
        mtls_port=mtls_port,
        ca_file=material.tls.ca_file,
        client_cert=material.tls.client_cert,
        client_key=material.tls.client_key,
        users=dict(material.users),
        config_file=conf,
    )
