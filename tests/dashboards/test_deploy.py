"""The deployment files (deploy/compose, deploy/systemd): what can be checked without Docker.

The compose file parses, mounts files that exist at the paths their programs read, runs only
commands and options the CLI has, and takes every ``${VAR}`` from ``env.example``; the units
pass ``systemd-analyze verify`` with no warning, are hardened, and run real CLI options.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sensor_hub.cli import build_parser
from sensor_hub.grafana.provisioning import DASHBOARDS_PATH
from tests.dashboards.grafana_json import GRAFANA_DIR, REPO

COMPOSE_DIR = REPO / "deploy" / "compose"
SYSTEMD_DIR = REPO / "deploy" / "systemd"
UNITS = ("posture-hub-run", "posture-hub-record", "posture-hub-dashboard")
HUB_SERVICES = {"hub-run": "run", "hub-record": "record", "hub-dashboard": "dashboard"}
#: Made by the user from docs/deploy.md (secrets are never in the repository).
USER_MADE = ("./secrets/",)
#: The host's own, and the directories docs/deploy.md has the user create.
HOST_PATHS = (
    "/dev/log",
    "/run/dbus/system_bus_socket",
    "/etc/posture-hub",
    "/var/lib/posture-hub",
)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _check_cli(argv: list[str]) -> None:
    """``posture-hub SUB --opt ...``: the subcommand exists and every option is its own."""
    assert argv[0].endswith("posture-hub"), argv
    commands = _subcommands()
    assert argv[1] in commands, f"no subcommand {argv[1]!r}"
    options = {s for a in commands[argv[1]]._actions for s in a.option_strings}
    for token in argv[2:]:
        if token.startswith("--"):
            assert token in options, f"posture-hub {argv[1]} has no option {token}"


def _binds(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path of the bind mounts (named volumes left out)."""
    out = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith(("/", ".")):
            out[container] = host
    return out


def test_compose_services_and_bind_mounts() -> None:
    services = _compose()["services"]
    assert set(services) == {"mosquitto", "influxdb", "grafana", *HUB_SERVICES}
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        for host in _binds(service).values():
            if host.startswith(USER_MADE) or host in HOST_PATHS:
                continue
            assert (COMPOSE_DIR / host).exists(), f"{name}: {host} does not exist"


def test_mosquitto_gets_the_repository_configuration() -> None:
    binds = _binds(_compose()["services"]["mosquitto"])
    conf_host = binds["/mosquitto/config/mosquitto.conf"]
    assert (COMPOSE_DIR / conf_host).resolve() == REPO / "deploy/mosquitto/mosquitto.conf"
    assert (COMPOSE_DIR / binds["/etc/mosquitto/posture/acl"]).resolve() == (
        REPO / "deploy/mosquitto/acl"
    )
    conf = (REPO / "deploy/mosquitto/mosquitto.conf").read_text()
    paths = re.findall(
        r"^(?:password_file|acl_file|cafile|certfile|keyfile|persistence_location)"
        r"\s+(\S+)",
        conf,
        re.MULTILINE,
    )
    mounted = [*binds, *(v.split(":")[1] for v in _compose()["services"]["mosquitto"]["volumes"])]
    assert paths
    for path in paths:
        assert any(path.rstrip("/").startswith(m.rstrip("/")) for m in mounted), path
    assert "listener 1883 127.0.0.1" in conf  # why every service shares the host's network


def test_grafana_gets_the_generated_provisioning() -> None:
    grafana = _compose()["services"]["grafana"]
    binds = _binds(grafana)
    assert (COMPOSE_DIR / binds[DASHBOARDS_PATH]).resolve() == GRAFANA_DIR / "dashboards"
    for kind in ("datasources", "dashboards"):
        host = binds[f"/etc/grafana/provisioning/{kind}"]
        assert (COMPOSE_DIR / host).resolve() == GRAFANA_DIR / "provisioning" / kind
    source = (GRAFANA_DIR / "provisioning/datasources/posture-influxdb.yaml").read_text()
    needed = set(re.findall(r"\$\{(\w+)\}", source))
    assert needed == {"POSTURE_INFLUX_URL", "POSTURE_INFLUX_DB", "POSTURE_INFLUX_AUTH"}
    assert needed <= set(grafana["environment"])


def test_hub_services_run_real_cli_options() -> None:
    services = _compose()["services"]
    for name, sub in HUB_SERVICES.items():
        command = services[name]["command"]
        assert command[1] == sub
        _check_cli(command)
        assert services[name]["build"]["dockerfile"] == "deploy/compose/Dockerfile"
    dockerfile = (COMPOSE_DIR / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), path


def test_every_compose_variable_is_in_env_example() -> None:
    text = (COMPOSE_DIR / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = (COMPOSE_DIR / "env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert used <= defined, used - defined
    assert ".env" in (COMPOSE_DIR / ".gitignore").read_text().split()


def _unit(name: str) -> dict[str, list[str]]:
    """``Section.Key`` -> values (systemd keys may repeat)."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in (SYSTEMD_DIR / f"{name}.service").read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(f"{section}.{key}", []).append(value)
    return out


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_is_hardened_and_runs_real_options(name: str) -> None:
    unit = _unit(name)
    (exec_start,) = unit["Service.ExecStart"]
    argv = exec_start.split()
    _check_cli(argv)
    assert argv[1] == name.removeprefix("posture-hub-")
    files = unit["Service.EnvironmentFile"]
    assert "/etc/posture-hub/posture-hub.env" in files
    for path in files:
        assert (SYSTEMD_DIR / f"{Path(path).name}.example").exists(), path
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "StateDirectory": "posture-hub",
        "User": "posture-hub",
    }.items():
        assert unit[f"Service.{key}"] == [value], key
    assert "@system-service" in unit["Service.SystemCallFilter"]


def test_systemd_analyze_verify_is_silent(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:  # scripts/test installs Debian's systemd
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (scripts/test installs systemd)")
        pytest.skip("systemd-analyze is not installed")
    posture_hub = shutil.which("posture-hub") or str(Path(sys.executable).with_name("posture-hub"))
    assert Path(posture_hub).exists()
    for name in UNITS:
        text = (SYSTEMD_DIR / f"{name}.service").read_text()
        # the one thing that differs here: where the program is installed
        text = text.replace("/opt/posture-hub/venv/bin/posture-hub", posture_hub)
        (tmp_path / f"{name}.service").write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / f"{n}.service") for n in UNITS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""
