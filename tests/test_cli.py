"""The installed command line: ``posture-hub`` and ``python -m sensor_hub``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sensor_hub
from sensor_hub.cli import COMMANDS, build_parser, main


def _console_script() -> str:
    found = shutil.which("posture-hub", path=str(Path(sys.executable).parent))
    assert found is not None, "posture-hub console script is not installed beside this Python"
    return found


def test_console_script_help_and_version() -> None:
    exe = _console_script()
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "posture monitor" in out.stdout
    assert "x up the spine" in out.stdout
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"posture-hub {sensor_hub.__version__}"


def test_python_dash_m_sensor_hub() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sensor_hub", "--version"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert sensor_hub.__version__ in out.stdout


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "Usage" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {action.dest: action.help for action in sub._choices_actions}


def test_top_level_help_lists_every_command_without_importing_them() -> None:
    # The help listed without importing a command is the help the command registers itself.
    assert _subcommands(build_parser("")) == _subcommands(build_parser())
    assert list(_subcommands(build_parser(""))) == [name for name, _, _ in COMMANDS]
    # ... and listing them imports none of their stages (a fresh interpreter).
    code = (
        "import sys; from sensor_hub.cli import build_parser; build_parser('').format_help(); "
        "print(sorted(m for m in sys.modules if m.startswith(('sensor_hub.commands.', 'bleak', "
        "'numpy', 'paho'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_command_is_parsed_with_only_its_module_registered() -> None:
    parser = build_parser("inspect")
    args = parser.parse_args(["inspect", "--json", "x.csv"])
    assert args.json is True
    assert callable(args.handler)
