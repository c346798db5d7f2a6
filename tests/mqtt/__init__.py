"""Tests of the pure MQTT message layer, and their shared helpers.

Golden files: ``tests/mqtt/golden/{name}.json`` map a case name to the expected payload as a
JSON value; the builder's bytes must equal that value re-encoded canonically (compact, keys
sorted), so a golden file is both readable and exact.  After an intended change of a payload,
regenerate them with ``UPDATE_GOLDEN=1 python -m pytest tests/mqtt`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import jsonschema

from sensor_hub.mqtt import load_schema

GOLDEN_DIR = Path(__file__).parent / "golden"


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_golden(name: str, cases: Mapping[str, bytes]) -> None:
    """Compare payloads to ``golden/{name}.json`` (or rewrite it when ``UPDATE_GOLDEN=1``)."""
    path = GOLDEN_DIR / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        actual = {key: json.loads(payload) for key, payload in cases.items()}
        text = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(expected) == sorted(cases), f"{path.name}: cases differ (UPDATE_GOLDEN=1?)"
    for key, payload in cases.items():
        assert payload == canonical(expected[key]), f"{path.name}: {key}"


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(name: str, payload: bytes | object) -> list[str]:
    """Messages of every violation of schema ``name`` (empty: valid)."""
    obj = json.loads(payload) if isinstance(payload, bytes) else payload
    return [e.message for e in _validator(name).iter_errors(obj)]


def assert_valid(name: str, payload: bytes | object) -> None:
    errors = schema_errors(name, payload)
    assert not errors, f"{name}: {errors}"
