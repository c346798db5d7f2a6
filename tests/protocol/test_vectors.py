"""Every shipped test vector decodes to its expected fields and re-encodes to its bytes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from firmware_protocol.crc import crc16_ccitt_false
from firmware_protocol.testvectors import VectorResult, check_file, default_vector_files

RESULTS = [r for path in default_vector_files() for r in check_file(path)]


def test_vector_files_are_shipped() -> None:
    names = {p.name for p in default_vector_files()}
    assert {"imu_block.json", "imu_compact.json", "status.json", "control.json"} <= names
    assert {"features.json", "errors.json", "streams.json"} <= names
    assert len(RESULTS) >= 45


@pytest.mark.parametrize("result", RESULTS, ids=[f"{r.file}:{r.name}" for r in RESULTS])
def test_vector(result: VectorResult) -> None:
    assert result.ok, "\n".join(result.problems)


def test_crc_check_value() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_cli_runs_every_vector() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "firmware_protocol", "vectors"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(RESULTS)} passed, 0 failed" in out.stdout


def test_cli_decode_reports_errors_as_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "firmware_protocol", "decode", "1100", "16 0f 0f 0f 1f 0f 60 ea"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert '"error": "truncated"' in lines[0]
    assert '"error": "truncated"' in lines[1]
