#!/usr/bin/env python3
"""Generate tests/devices/vectors/*.json with an independent packer.

Bytes are packed here with ``struct`` only, straight from the protocol facts in docs/devices.md,
and this script does not import ``sensor_hub``: the vectors cross-check the decoders rather than
echo them.  Expected physical values are computed here from the documented scale factors.  The
``at_rest`` frames model a still sensor (gravity along a tilted axis plus a few counts of noise),
so the tests can check every scale against 1 g and 0 rad/s.  Re-run after a change:

    python scripts/make_device_vectors.py
"""

from __future__ import annotations

import json
import math
import random
import struct
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "devices" / "vectors"
G = 9.80665
RNG = random.Random(20240601)


def f32(value: float) -> float:
    """``value`` as the float32 a device would send."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def gravity_dir(tilt_deg: float, axis: int) -> list[float]:
    """A unit vector mostly along ``axis``, tilted by ``tilt_deg`` toward the next axis."""
    v = [0.0, 0.0, 0.0]
    v[axis] = math.cos(math.radians(tilt_deg))
    v[(axis + 1) % 3] = math.sin(math.radians(tilt_deg))
    return v


def noise(counts: int) -> int:
    return RNG.randint(-counts, counts)


# --- WitMotion: 0x55 0x61 + 9 int16; 16 g, 2000 deg/s, 180 deg full scale -------------------

WIT_ACC = 16.0 * G / 32768
WIT_GYR = math.radians(2000.0) / 32768
WIT_ANG = 180.0 / 32768


def wit_imu(acc: list[int], gyr: list[int], ang: list[int]) -> bytes:
    return struct.pack("<BB9h", 0x55, 0x61, *acc, *gyr, *ang)


def wit_reply(register: int, regs: list[int]) -> bytes:
    return struct.pack("<BBH8h", 0x55, 0x71, register, *regs)


def wit_imu_vector(
    name: str, acc: list[int], gyr: list[int], ang: list[int], **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "decoder": "frame",
        "hex": wit_imu(acc, gyr, ang).hex(),
        "expect": {
            "type": "imu",
            "acc_mps2": [a * WIT_ACC for a in acc],
            "gyr_rads": [g * WIT_GYR for g in gyr],
            "euler_deg": [a * WIT_ANG for a in ang],
        },
        **extra,
    }


def witmotion() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    per_g = 32768 / 16  # 2048 counts per g
    for i, (tilt, axis) in enumerate([(0.0, 2), (7.0, 2), (25.0, 0), (180.0, 1)]):
        d = gravity_dir(tilt, axis)
        acc = [round(c * per_g) + noise(3) for c in d]
        gyr = [noise(2) for _ in range(3)]
        vectors.append(
            wit_imu_vector(f"at_rest_{i}", acc, gyr, [noise(50) for _ in range(3)], at_rest=True)
        )
    vectors.append(wit_imu_vector("full_scale_negative", [-32768] * 3, [-32768] * 3, [-32768] * 3))
    vectors.append(wit_imu_vector("full_scale_positive", [32767] * 3, [32767] * 3, [32767] * 3))
    # 90 deg/s about z: 90 * 32768 / 2000 = 1474.56 counts -> 1475.
    vectors.append(wit_imu_vector("turning_z_90dps", [0, 0, 2048], [0, 0, 1475], [0, 0, 8192]))
    half = math.sqrt(0.5)
    q = [round(half * 32768), 0, 0, round(half * 32767)]
    vectors.append(
        {
            "name": "quaternion_reply",
            "decoder": "frame",
            "hex": wit_reply(0x51, [*q, 0, 0, 0, 0]).hex(),
            "expect": {
                "type": "register_reply",
                "register": 0x51,
                "values_raw": [*q, 0, 0, 0, 0],
                "quat_wxyz": [v / 32768 for v in q],
            },
        }
    )
    vectors.append(
        {
            "name": "temperature_reply",
            "decoder": "frame",
            "hex": wit_reply(0x40, [2531, 0, 0, 0, 0, 0, 0, 0]).hex(),
            "expect": {
                "type": "register_reply",
                "register": 0x40,
                "values_raw": [2531, 0, 0, 0, 0, 0, 0, 0],
                "temperature_c": 25.31,
            },
        }
    )
    good = wit_imu([0, 0, 2048], [0, 0, 0], [0, 0, 0])
    errors = [
        ("empty", b"", "truncated"),
        ("short", good[:19], "truncated"),
        ("long", good + b"\x00", "invalid_field"),
        ("bad_header", b"\x54" + good[1:], "bad_header"),
        ("unknown_type", b"\x55\x62" + good[2:], "unknown_type"),
        ("quaternion_not_unit", wit_reply(0x51, [100, 0, 0, 0, 0, 0, 0, 0]), "invalid_field"),
    ]
    for name, data, kind in errors:
        vectors.append({"name": name, "decoder": "frame", "hex": data.hex(), "error": kind})
    commands = [
        ("set_rate_100", {"rate_hz": 100}, ["ffaa6988b5", "ffaa030900"]),
        (
            "set_rate_10_persist",
            {"rate_hz": 10, "persist": True},
            ["ffaa6988b5", "ffaa030600", "ffaa000000"],
        ),
        ("read_quaternion", {"register": 0x51}, ["ffaa275100"]),
    ]
    for name, args, hexes in commands:
        call = "read_register_command" if "register" in args else "set_rate_commands"
        vectors.append({"name": name, "command": call, "args": args, "hex": hexes})
    return {"device": "witmotion", "vectors": vectors}


# --- Movella DOT: u32 us + float32 fields; angular rate in deg/s -----------------------------

DOT_LAYOUT = {
    3: ("quat", "free_acc"),
    5: ("quat",),
    20: ("acc", "gyr", "mag"),
    21: ("acc", "gyr"),
    26: ("quat", "acc", "gyr"),
}


def dot_payload(
    mode: int, t_us: int, fields: dict[str, list[float]]
) -> tuple[bytes, dict[str, Any]]:
    data = struct.pack("<I", t_us)
    expect: dict[str, Any] = {"timestamp_us": t_us}
    names = {
        "quat": "quat_wxyz",
        "acc": "acc_mps2",
        "gyr": "gyr_rads",
        "free_acc": "free_acc_mps2",
        "mag": "mag_au",
    }
    for group in DOT_LAYOUT[mode]:
        values = fields[group]
        if group == "mag":
            data += struct.pack("<3h", *values)
            expect[names[group]] = values
            continue
        data += struct.pack(f"<{len(values)}f", *values)
        sent = [f32(v) for v in values]
        expect[names[group]] = [math.radians(v) for v in sent] if group == "gyr" else sent
    for group, name in names.items():
        if group not in DOT_LAYOUT[mode]:
            expect[name] = None
    return data, expect


def movella_dot() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    half = math.sqrt(0.5)

    def add(name: str, mode: int, t_us: int, fields: dict[str, list[float]], **extra: Any) -> bytes:
        data, expect = dot_payload(mode, t_us, fields)
        vectors.append(
            {
                "name": name,
                "decoder": "payload",
                "mode": mode,
                "hex": data.hex(),
                "expect": expect,
                **extra,
            }
        )
        return data

    for i, (tilt, axis) in enumerate([(0.0, 2), (12.0, 0), (40.0, 1)]):
        acc = [c * G + RNG.uniform(-0.02, 0.02) for c in gravity_dir(tilt, axis)]
        gyr = [RNG.uniform(-0.3, 0.3) for _ in range(3)]  # deg/s of noise
        quat = [1.0, 0.0, 0.0, 0.0]
        add(
            f"custom5_at_rest_{i}",
            26,
            1_000_000 + i * 16_667,
            {"quat": quat, "acc": acc, "gyr": gyr},
            at_rest=True,
        )
        add(
            f"rate_quantities_at_rest_{i}",
            21,
            4_294_960_000 + i,
            {"acc": acc, "gyr": gyr},
            at_rest=True,
        )
    add(
        "rate_quantities_with_mag",
        20,
        123_456,
        {"acc": [0.1, -9.8, 0.3], "gyr": [90.0, -45.0, 0.5], "mag": [1200, -300, 45]},
    )
    add(
        "complete_quaternion",
        3,
        777,
        {"quat": [half, half, 0.0, 0.0], "free_acc": [0.01, -0.02, 0.5]},
    )
    add("orientation_quaternion", 5, 2**32 - 1, {"quat": [half, 0.0, 0.0, -half]})
    padded, expect = dot_payload(21, 42, {"acc": [0.0, 0.0, G], "gyr": [0.0, 0.0, 0.0]})
    vectors.append(
        {
            "name": "rate_quantities_zero_padded_to_40",
            "decoder": "payload",
            "mode": 21,
            "hex": (padded + bytes(40 - len(padded))).hex(),
            "expect": expect,
        }
    )
    good, _ = dot_payload(
        26, 5, {"quat": [1.0, 0.0, 0.0, 0.0], "acc": [0.0, 0.0, G], "gyr": [0.0] * 3}
    )
    nan_acc, _ = dot_payload(21, 5, {"acc": [math.nan, 0.0, G], "gyr": [0.0] * 3})
    huge_gyr, _ = dot_payload(21, 5, {"acc": [0.0, 0.0, G], "gyr": [1e30, 0.0, 0.0]})
    bad_quat, _ = dot_payload(5, 5, {"quat": [2.0, 0.0, 0.0, 0.0]})
    errors = [
        ("custom5_short", 26, good[:43], "truncated"),
        ("custom5_too_long", 26, good + bytes(20), "invalid_field"),
        ("unknown_mode", 2, good, "unknown_type"),
        ("nan_acceleration", 21, nan_acc, "invalid_field"),
        ("absurd_rate", 21, huge_gyr, "invalid_field"),
        ("quaternion_not_unit", 5, bad_quat, "invalid_field"),
    ]
    for name, mode, data, kind in errors:
        vectors.append(
            {"name": name, "decoder": "payload", "mode": mode, "hex": data.hex(), "error": kind}
        )
    vectors.append(
        {
            "name": "battery",
            "decoder": "battery",
            "hex": "5701",
            "expect": {"level_pct": 87, "charging": True},
        }
    )
    vectors.append(
        {"name": "battery_bad_level", "decoder": "battery", "hex": "c800", "error": "invalid_field"}
    )
    tag = b"Movella DOT"
    control = struct.pack(
        "<BBB4BB16sHB5s", 0, 0, 0, 0, 0, 0, 0, len(tag), tag.ljust(16, b"\0"), 60, 0, bytes(5)
    )
    vectors.append(
        {
            "name": "device_control",
            "decoder": "device_control",
            "hex": control.hex(),
            "expect": {"tag": "Movella DOT", "output_rate_hz": 60, "filter_profile_index": 0},
        }
    )
    set30 = struct.pack(
        "<BBB4BB16sHB5s", 0x10, 0, 0, 0, 0, 0, 0, len(tag), tag.ljust(16, b"\0"), 30, 0, bytes(5)
    )
    vectors.append(
        {
            "name": "set_output_rate_30",
            "command": "set_output_rate_command",
            "args": {"current": control.hex(), "rate_hz": 30},
            "hex": [set30.hex()],
        }
    )
    vectors.append(
        {
            "name": "start_custom5",
            "command": "start_streaming_command",
            "args": {"mode": 26},
            "hex": ["01011a"],
        }
    )
    vectors.append(
        {
            "name": "stop_custom5",
            "command": "stop_streaming_command",
            "args": {"mode": 26},
            "hex": ["01001a"],
        }
    )
    return {"device": "movella_dot", "vectors": vectors}


# --- Thingy:52: raw Q6.10 g, Q11.5 deg/s, Q12.4 uT; quaternion Q2.30; Euler Q16.16 deg -----


def thingy52() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    acc_scale, gyr_scale, mag_scale = G / 1024, math.radians(1 / 32), 1 / 16
    for i, (tilt, axis) in enumerate([(0.0, 2), (15.0, 1), (60.0, 0)]):
        acc = [round(c * 1024) + noise(4) for c in gravity_dir(tilt, axis)]
        gyr = [noise(3) for _ in range(3)]
        mag = [round(v * 16) for v in (20.0, -5.0, 42.0)]
        vectors.append(
            {
                "name": f"raw_at_rest_{i}",
                "decoder": "raw",
                "at_rest": True,
                "hex": struct.pack("<9h", *acc, *gyr, *mag).hex(),
                "expect": {
                    "acc_mps2": [a * acc_scale for a in acc],
                    "gyr_rads": [g * gyr_scale for g in gyr],
                    "mag_ut": [m * mag_scale for m in mag],
                },
            }
        )
    raw = [0, 0, -1024, 32 * 90, -32 * 45, 16, 0, 0, 0]
    vectors.append(
        {
            "name": "raw_upside_down_turning",
            "decoder": "raw",
            "hex": struct.pack("<9h", *raw).hex(),
            "expect": {
                "acc_mps2": [0.0, 0.0, -G],
                "gyr_rads": [math.radians(90), math.radians(-45), math.radians(0.5)],
                "mag_ut": [0.0, 0.0, 0.0],
            },
        }
    )
    half = math.sqrt(0.5)
    q = [round(half * 2**30), 0, round(half * 2**30), 0]
    vectors.append(
        {
            "name": "quaternion",
            "decoder": "quaternion",
            "hex": struct.pack("<4i", *q).hex(),
            "expect": {"quat_wxyz": [v / 2**30 for v in q]},
        }
    )
    e = [round(12.5 * 65536), round(-3.25 * 65536), round(179.0 * 65536)]
    vectors.append(
        {
            "name": "euler",
            "decoder": "euler",
            "hex": struct.pack("<3i", *e).hex(),
            "expect": {"roll_deg": 12.5, "pitch_deg": -3.25, "yaw_deg": 179.0},
        }
    )
    gv = [0.5, -0.25, 9.75]
    vectors.append(
        {
            "name": "gravity",
            "decoder": "gravity",
            "hex": struct.pack("<3f", *gv).hex(),
            "expect": {"gravity_mps2": [f32(v) for v in gv]},
        }
    )
    config = struct.pack("<HHHHB", 1000, 500, 500, 10, 1)
    vectors.append(
        {
            "name": "motion_config",
            "decoder": "motion_config",
            "hex": config.hex(),
            "expect": {
                "pedometer_interval_ms": 1000,
                "temperature_compensation_interval_ms": 500,
                "compass_compensation_interval_ms": 500,
                "motion_rate_hz": 10,
                "wake_on_motion": True,
            },
        }
    )
    vectors.append(
        {
            "name": "set_rate_100",
            "command": "set_rate_command",
            "args": {"current": config.hex(), "rate_hz": 100},
            "hex": [struct.pack("<HHHHB", 1000, 500, 500, 100, 1).hex()],
        }
    )
    errors = [
        ("raw_short", "raw", bytes(17), "truncated"),
        ("raw_long", "raw", bytes(19), "invalid_field"),
        ("quaternion_zero", "quaternion", bytes(16), "invalid_field"),
        ("euler_out_of_range", "euler", struct.pack("<3i", 400 * 65536, 0, 0), "invalid_field"),
        ("gravity_nan", "gravity", struct.pack("<3f", math.nan, 0.0, 9.8), "invalid_field"),
        ("config_short", "motion_config", bytes(8), "truncated"),
    ]
    for name, decoder, data, kind in errors:
        vectors.append({"name": name, "decoder": decoder, "hex": data.hex(), "error": kind})
    return {"device": "thingy52", "vectors": vectors}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for doc in (witmotion(), movella_dot(), thingy52()):
        path = OUT / f"{doc['device']}.json"
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"{path.relative_to(OUT.parent.parent.parent)}: {len(doc['vectors'])} vectors")


if __name__ == "__main__":
    main()
