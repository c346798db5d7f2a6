"""Every vector in tests/devices/vectors decodes to its expected fields (or its error kind), every
command builder gives back the vector's bytes, and every at-rest frame reads 1 g and 0 rad/s."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sensor_hub.devices import DeviceFrameError, movella_dot, thingy52, witmotion

VECTOR_DIR = Path(__file__).parent / "vectors"
G = 9.80665


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(VECTOR_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        out.extend((doc["device"], v) for v in doc["vectors"])
    return out


VECTORS = _load()
DECODE_VECTORS = [(d, v) for d, v in VECTORS if "decoder" in v]
COMMAND_VECTORS = [(d, v) for d, v in VECTORS if "command" in v]
AT_REST = [(d, v) for d, v in DECODE_VECTORS if v.get("at_rest")]

DECODERS: dict[tuple[str, str], Callable[[dict[str, Any], bytes], object]] = {
    ("witmotion", "frame"): lambda v, b: witmotion.decode_frame(b),
    ("movella_dot", "payload"): lambda v, b: movella_dot.decode_payload(v["mode"], b),
    ("movella_dot", "battery"): lambda v, b: movella_dot.decode_battery(b),
    ("movella_dot", "device_control"): lambda v, b: movella_dot.decode_device_control(b),
    ("thingy52", "raw"): lambda v, b: thingy52.decode_raw(b),
    ("thingy52", "quaternion"): lambda v, b: thingy52.decode_quaternion(b),
    ("thingy52", "euler"): lambda v, b: thingy52.decode_euler(b),
    ("thingy52", "gravity"): lambda v, b: thingy52.decode_gravity(b),
    ("thingy52", "motion_config"): lambda v, b: thingy52.decode_motion_config(b),
}
FRAME_TYPES = {"imu": witmotion.WitImuFrame, "register_reply": witmotion.WitRegisterReply}


def _decode(device: str, vector: dict[str, Any]) -> object:
    return DECODERS[device, vector["decoder"]](vector, bytes.fromhex(vector["hex"]))


def _same(got: object, want: object) -> bool:
    if want is None or isinstance(want, (str, bool)):
        return got == want
    if isinstance(want, (int, float)):
        return isinstance(got, (int, float)) and math.isclose(
            got, want, rel_tol=1e-9, abs_tol=1e-12
        )
    assert isinstance(want, list)
    return isinstance(got, tuple) and len(got) == len(want) and all(map(_same, got, want))


def test_vector_files_are_shipped() -> None:
    devices = {d for d, _ in VECTORS}
    assert devices == {"witmotion", "movella_dot", "thingy52"}
    assert len(VECTORS) >= 50
    assert {d for d, _ in AT_REST} == devices


@pytest.mark.parametrize(
    ("device", "vector"), DECODE_VECTORS, ids=[f"{d}:{v['name']}" for d, v in DECODE_VECTORS]
)
def test_decode_vector(device: str, vector: dict[str, Any]) -> None:
    if "error" in vector:
        with pytest.raises(DeviceFrameError) as info:
            _decode(device, vector)
        assert info.value.kind == vector["error"]
        return
    decoded = _decode(device, vector)
    problems = []
    for key, want in vector["expect"].items():
        if key == "type":
            if not isinstance(decoded, FRAME_TYPES[want]):
                problems.append(f"type {type(decoded).__name__}, want {want}")
            continue
        got = getattr(decoded, key)
        if not _same(got, want):
            problems.append(f"{key}: got {got}, want {want}")
    assert not problems, "\n".join(problems)


COMMANDS: dict[tuple[str, str], Callable[..., bytes | tuple[bytes, ...]]] = {
    ("witmotion", "set_rate_commands"): witmotion.set_rate_commands,
    ("witmotion", "read_register_command"): witmotion.read_register_command,
    ("movella_dot", "start_streaming_command"): movella_dot.start_streaming_command,
    ("movella_dot", "stop_streaming_command"): movella_dot.stop_streaming_command,
    ("movella_dot", "set_output_rate_command"): movella_dot.set_output_rate_command,
    ("thingy52", "set_rate_command"): thingy52.set_rate_command,
}


@pytest.mark.parametrize(
    ("device", "vector"), COMMAND_VECTORS, ids=[f"{d}:{v['name']}" for d, v in COMMAND_VECTORS]
)
def test_command_vector(device: str, vector: dict[str, Any]) -> None:
    args = {k: bytes.fromhex(v) if k == "current" else v for k, v in vector["args"].items()}
    out = COMMANDS[device, vector["command"]](**args)
    writes = out if isinstance(out, tuple) else (out,)
    assert [w.hex() for w in writes] == vector["hex"]


@pytest.mark.parametrize(
    ("device", "vector"), AT_REST, ids=[f"{d}:{v['name']}" for d, v in AT_REST]
)
def test_still_sensor_reads_one_g_and_no_rotation(device: str, vector: dict[str, Any]) -> None:
    decoded = _decode(device, vector)
    acc = getattr(decoded, "acc_mps2")  # noqa: B009 (every at-rest frame type has it)
    gyr = getattr(decoded, "gyr_rads")  # noqa: B009
    assert math.hypot(*acc) == pytest.approx(G, rel=0.02)
    assert max(abs(g) for g in gyr) < 0.02  # rad/s: about 1 deg/s


def test_thingy_scale_misreading_is_ruled_out_by_one_g() -> None:
    # The alternative scale some clients publish (divide by 2**6) reads a still Thingy as ~16 g.
    counts = 1024
    assert counts / 2**6 * G == pytest.approx(16 * G)
    frame = thingy52.decode_raw(bytes.fromhex("0000" * 2 + "0004" + "0000" * 6))
    assert frame.acc_mps2[2] == pytest.approx(G)
