#!/usr/bin/env python3
"""Generate firmware_protocol/vectors/*.json with an independent packer.

This script packs bytes with ``struct`` and ``binascii`` only, straight from PROTOCOL.md, and does
not import ``firmware_protocol``: the vectors cross-check the codec rather than echo it.  Physical
values are computed here from the spec's scale factors.  Re-run after a spec change:

    python scripts/make_vectors.py
"""

from __future__ import annotations

import binascii
import json
import math
import struct
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "firmware_protocol" / "vectors"
G = 9.80665
ACC_G = {0: 2, 1: 4, 2: 8, 3: 16}
GYRO_DPS = {0: 250, 1: 500, 2: 1000, 3: 2000}
STREAM_START, SATURATED, BACKFILL = 0x01, 0x02, 0x04


def crc(body: bytes) -> bytes:
    return struct.pack("<H", binascii.crc_hqx(body, 0xFFFF))


def block(
    seq: int, t0: int, period: int, acc: int, gyro: int, raw: list[list[int]], flags: int = 0
) -> bytes:
    body = struct.pack("<BBHIHBB", 0x11, flags, seq, t0, period, len(raw), acc | gyro << 4)
    body += b"".join(struct.pack("<6h", *s) for s in raw)
    return body + crc(body)


def compact(seq: int, t10: int, acc: int, gyro: int, sample: list[int], flags: int = 0) -> bytes:
    body = struct.pack("<BBHH6h", 0x12, flags | acc << 4 | gyro << 6, seq, t10, *sample)
    return body + crc(body)


def imu_expect(
    kind: str,
    seq: int,
    t0: int,
    period: int | None,
    acc: int,
    gyro: int,
    raw: list[list[int]],
    flags: int,
) -> dict[str, Any]:
    return {
        "type": kind,
        "flags": flags,
        "sequence": seq,
        "t0_raw": t0,
        "period_us": period,
        "acc_range_g": ACC_G[acc],
        "gyro_range_dps": GYRO_DPS[gyro],
        "raw": raw,
    }


def physical(acc: int, gyro: int, raw: list[list[int]]) -> dict[str, Any]:
    a = ACC_G[acc] * G / 32768
    w = GYRO_DPS[gyro] * math.pi / 180 / 32768
    return {
        "acc_mps2": [[v * a for v in s[:3]] for s in raw],
        "gyr_rads": [[v * w for v in s[3:]] for s in raw],
    }


def v_block(
    name: str,
    desc: str,
    seq: int,
    t0: int,
    period: int,
    acc: int,
    gyro: int,
    raw: list[list[int]],
    flags: int = 0,
) -> dict[str, Any]:
    return {
        "name": name,
        "description": desc,
        "hex": block(seq, t0, period, acc, gyro, raw, flags).hex(),
        "expect": imu_expect("IMU_BLOCK", seq, t0, period, acc, gyro, raw, flags),
        "physical": physical(acc, gyro, raw),
    }


def imu_vectors() -> dict[str, Any]:
    one_g_4 = 8192  # 1 g at +/-4 g
    rad_250 = round(math.degrees(1.0) * 32768 / 250)  # ~1 rad/s at +/-250 dps
    ramp = [[i, -i, 2 * i, 3 * i, -3 * i, 100 + i] for i in range(19)]
    return {
        "description": "IMU_BLOCK packets (PROTOCOL.md, 'IMU data').",
        "vectors": [
            v_block(
                "upright_1g_on_x",
                "Sensor upright and still: +1 g on x (up the spine), "
                "+/-4 g, +/-500 dps, first packet of a stream.",
                0,
                0,
                10_000,
                1,
                1,
                [[one_g_4, 0, 0, 0, 0, 0]],
                STREAM_START,
            ),
            v_block(
                "leaning_45deg_forward",
                "Trunk flexed 45 deg forward: gravity splits between "
                "+x and +z (z points backward out of the back).",
                42,
                123_456,
                10_000,
                1,
                1,
                [[5793, 0, 5793, 0, 0, 0], [5793, 0, 5793, 0, rad_250 // 4, 0]],
            ),
            v_block(
                "full_scale_saturated",
                "Extremes at +/-16 g and +/-2000 dps with SATURATED.",
                7,
                1_000_000,
                5_000,
                3,
                3,
                [[32767, -32768, 0, 32767, -32768, 0], [-1, 1, -1, 1, -1, 1]],
                SATURATED,
            ),
            v_block(
                "gyro_1_rads_at_250dps",
                "About 1 rad/s about y at +/-250 dps.",
                300,
                40_000,
                40_000,
                0,
                0,
                [[16384, 0, 0, 0, rad_250, 0]],
            ),
            v_block(
                "max_block_mtu247",
                "19 samples: 242 bytes, the most that fits ATT_MTU 247.",
                1234,
                987_654_321,
                20_000,
                2,
                2,
                ramp,
            ),
            v_block(
                "wrap_values",
                "Sequence and device time at their last values before wrapping, backfill.",
                0xFFFF,
                0xFFFF_FFF0,
                10_000,
                1,
                1,
                [[0, 0, one_g_4, 0, 0, 0]],
                BACKFILL,
            ),
        ],
    }


def compact_vectors() -> dict[str, Any]:
    s1 = [16384, 0, 0, 0, 0, 0]
    s2 = [0, -16384, 0, 100, 200, -300]
    out = []
    for name, desc, seq, t10, acc, gyro, sample, flags in [
        (
            "compact_upright",
            "ATT_MTU 23: one sample, 1 g on x at +/-2 g.",
            5,
            100,
            0,
            0,
            s1,
            STREAM_START,
        ),
        (
            "compact_wrap",
            "Timestamp at its last value (655.35 ms), +/-8 g, +/-1000 dps, backfill.",
            0xFFFF,
            0xFFFF,
            2,
            2,
            s2,
            BACKFILL | SATURATED,
        ),
    ]:
        out.append(
            {
                "name": name,
                "description": desc,
                "hex": compact(seq, t10, acc, gyro, sample, flags).hex(),
                "expect": imu_expect("IMU_COMPACT", seq, t10, None, acc, gyro, [sample], flags),
                "physical": physical(acc, gyro, [sample]),
            }
        )
    return {"description": "IMU_COMPACT packets: exactly 20 bytes, for ATT_MTU 23.", "vectors": out}


def status_vectors() -> dict[str, Any]:
    out = []
    for name, flags, batt, temp, err, dev in [
        ("streaming_on_battery", 0x01 | 0x08, 87, 3312, 0, 5_000_000),
        ("charging_unknown_temperature", 0x02 | 0x04, 40, -32768, 0, 2**40 + 7),
        ("faults", 0x00, 3, -512, 0x0001 | 0x0004 | 0x0080, 2**64 - 1),
        ("battery_unknown", 0x00, 0xFF, 2500, 0x0002, 0),
    ]:
        body = struct.pack("<BBBhHQ", 0x13, flags, batt, temp, err, dev)
        out.append(
            {
                "name": name,
                "hex": (body + crc(body)).hex(),
                "expect": {
                    "type": "STATUS",
                    "flags": flags,
                    "battery_pct": batt,
                    "temperature_cdeg": temp,
                    "error_flags": err,
                    "device_time_us": dev,
                },
            }
        )
    return {"description": "STATUS notifications.", "vectors": out}


def features_vectors() -> dict[str, Any]:
    body = struct.pack("<BBBBBBH", 0x16, 0x0F, 0x0F, 0x0F, 0x1F, 0x0F, 60_000)
    body2 = struct.pack("<BBBBBBH", 0x16, 0x06, 0x02, 0x03, 0x01, 0x00, 0)
    return {
        "description": "FEATURES characteristic.",
        "vectors": [
            {
                "name": "reference_sensor",
                "hex": (body + crc(body)).hex(),
                "expect": {
                    "type": "FEATURES",
                    "rates_hz": [25, 50, 100, 200],
                    "acc_ranges_g": [2, 4, 8, 16],
                    "gyro_ranges_dps": [250, 500, 1000, 2000],
                    "haptic_patterns": [0, 1, 2, 3, 4],
                    "feature_flags": 15,
                    "buffer_capacity_samples": 60_000,
                },
            },
            {
                "name": "minimal_sensor",
                "hex": (body2 + crc(body2)).hex(),
                "expect": {
                    "type": "FEATURES",
                    "rates_hz": [50, 100],
                    "acc_ranges_g": [4],
                    "gyro_ranges_dps": [250, 500],
                    "haptic_patterns": [0],
                    "feature_flags": 0,
                    "buffer_capacity_samples": 0,
                },
            },
        ],
    }


def request(
    name: str, opcode_name: str, opcode: int, token: int, fmt: str, params: dict[str, int]
) -> dict[str, Any]:
    body = struct.pack("<BBB", 0x14, opcode, token) + struct.pack("<" + fmt, *params.values())
    return {
        "name": name,
        "hex": (body + crc(body)).hex(),
        "expect": {
            "type": "CONTROL_REQUEST",
            "opcode": opcode_name,
            "token": token,
            "params": params,
        },
    }


def response(
    name: str,
    opcode: int,
    token: int,
    result: str,
    result_code: int,
    fmt: str = "",
    reply: dict[str, int] | None = None,
) -> dict[str, Any]:
    body = struct.pack("<BBBB", 0x15, opcode, token, result_code)
    if reply is not None:
        body += struct.pack("<" + fmt, *reply.values())
    return {
        "name": name,
        "hex": (body + crc(body)).hex(),
        "expect": {
            "type": "CONTROL_RESPONSE",
            "opcode": opcode,
            "token": token,
            "result": result,
            "reply": reply,
        },
    }


def control_vectors() -> dict[str, Any]:
    return {
        "description": "Control point requests (writes) and responses (indications).",
        "vectors": [
            request("start_streaming", "START_STREAMING", 0x01, 1, "", {}),
            request("stop_streaming", "STOP_STREAMING", 0x02, 2, "", {}),
            request("set_rate_100hz", "SET_RATE", 0x03, 3, "H", {"rate_hz": 100}),
            request(
                "set_ranges_4g_500dps",
                "SET_RANGES",
                0x04,
                4,
                "BB",
                {"acc_range_code": 1, "gyro_range_code": 1},
            ),
            request(
                "haptic_double_80pct_300ms",
                "HAPTIC_PULSE",
                0x05,
                5,
                "BBH",
                {"pattern": 1, "intensity_pct": 80, "duration_ms": 300},
            ),
            request(
                "time_sync", "TIME_SYNC", 0x06, 6, "Q", {"host_time_us": 1_763_900_000_123_456}
            ),
            request("identify_3s", "IDENTIFY", 0x07, 7, "H", {"duration_ms": 3000}),
            request("get_config", "GET_CONFIG", 0x08, 255, "", {}),
            response("start_ok", 0x01, 1, "SUCCESS", 0x00),
            response("rate_invalid", 0x03, 3, "INVALID_PARAMETER", 0x02),
            response(
                "time_sync_reply", 0x06, 6, "SUCCESS", 0x00, "Q", {"device_time_us": 12_345_678_901}
            ),
            response(
                "config_reply",
                0x08,
                255,
                "SUCCESS",
                0x00,
                "HBBBB",
                {
                    "rate_hz": 100,
                    "acc_range_code": 1,
                    "gyro_range_code": 1,
                    "streaming": 1,
                    "block_samples": 19,
                },
            ),
            response("time_sync_busy_no_reply", 0x06, 9, "BUSY", 0x04),
            response("unknown_opcode_echoed", 0x7F, 10, "OPCODE_NOT_SUPPORTED", 0x01),
            response("malformed_request", 0x00, 0, "MALFORMED_REQUEST", 0x05),
        ],
    }


def error_vectors() -> dict[str, Any]:
    good = block(1, 0, 10_000, 1, 1, [[8192, 0, 0, 0, 0, 0]] * 2)
    flipped = bytearray(good)
    flipped[20] ^= 0x10
    zero_count = struct.pack("<BBHIHBB", 0x11, 0, 1, 0, 10_000, 0, 0x11)
    bad_range = struct.pack("<BBHIHBB", 0x11, 0, 1, 0, 10_000, 1, 0x15) + bytes(12)
    bad_period = struct.pack("<BBHIHBB", 0x11, 0, 1, 0, 999, 1, 0x11) + bytes(12)
    status_150 = struct.pack("<BBBhHQ", 0x13, 0, 150, 0, 0, 0)
    req_unknown = struct.pack("<BBB", 0x14, 0x42, 1)
    req_short = struct.pack("<BBB", 0x14, 0x03, 1) + b"\x64"
    resp_bad_result = struct.pack("<BBBB", 0x15, 0x01, 1, 0x99)
    cases = [
        ("empty", b"", "truncated"),
        ("block_header_only", good[:10], "truncated"),
        ("block_cut_in_samples", good[:-5], "truncated"),
        ("block_bit_flip", bytes(flipped), "bad_crc"),
        ("block_crc_swapped", good[:-2] + good[-1:] + good[-2:-1], "bad_crc"),
        ("block_trailing_byte", good + b"\x00", "invalid_field"),
        ("version_2", bytes([0x21]) + good[1:], "unknown_version"),
        ("version_0", bytes([0x01]) + good[1:], "unknown_version"),
        ("type_15", bytes([0x1F]) + good[1:], "unknown_type"),
        ("type_0", bytes([0x10]) + good[1:], "unknown_type"),
        ("block_zero_samples", zero_count + crc(zero_count), "invalid_field"),
        ("block_range_code_5", bad_range + crc(bad_range), "invalid_field"),
        ("block_period_999us", bad_period + crc(bad_period), "invalid_field"),
        ("compact_19_bytes", compact(1, 1, 0, 0, [0] * 6)[:19], "truncated"),
        ("status_battery_150", status_150 + crc(status_150), "invalid_field"),
        ("request_unknown_opcode", req_unknown + crc(req_unknown), "invalid_field"),
        ("request_params_short", req_short + crc(req_short), "truncated"),
        ("response_unknown_result", resp_bad_result + crc(resp_bad_result), "invalid_field"),
    ]
    return {
        "description": "Bytes every decoder must reject with the given typed error kind.",
        "vectors": [{"name": n, "hex": b.hex(), "error": e} for n, b, e in cases],
    }


def stream_vectors() -> dict[str, Any]:
    streams = []

    def blk(seq: int, t_true: int, flags: int = 0, n: int = 5, period: int = 10_000) -> str:
        return block(
            seq % 65536, t_true % 2**32, period, 1, 1, [[8192, 0, 0, 0, 0, 0]] * n, flags
        ).hex()

    # 1. sequence wraps 65535 -> 0, device time wraps 2^32, one packet (5 samples) lost.
    t0 = 2**32 - 120_000
    steps = []
    seqs = [65533, 65534, 65535, 1, 2]  # seq 0 lost
    for k, seq in enumerate(seqs):
        idx = k if k < 3 else k + 1
        t = t0 + idx * 50_000
        steps.append(
            {
                "hex": blk(seq, t, STREAM_START if k == 0 else 0),
                "host_time_s": 100 + idx * 0.05 + 0.012,
                "expect": {
                    "device_time_us": [t0 % 2**32 + (t - t0) + i * 10_000 for i in range(5)],
                    "lost_samples_before": 5 if seq == 1 else 0,
                    "restarted": k == 0,
                },
            }
        )
    streams.append(
        {
            "name": "sequence_and_time_wrap_with_one_lost_packet",
            "packets": steps,
            "stats": {
                "packets": 5,
                "samples": 25,
                "lost_packets": 1,
                "lost_samples": 5,
                "restarts": 0,
            },
        }
    )
    # 2. duplicate and late packets are rejected and counted; the stream continues.
    base = 10_000_000
    steps = [
        {"hex": blk(10, base), "host_time_s": 10.06, "expect": {"lost_samples_before": 0}},
        {"hex": blk(11, base + 50_000), "host_time_s": 10.11, "expect": {"lost_samples_before": 0}},
        {"hex": blk(11, base + 50_000), "host_time_s": 10.12, "error": "duplicate"},
        {"hex": blk(10, base), "host_time_s": 10.13, "error": "out_of_order"},
        {
            "hex": blk(12, base + 100_000),
            "host_time_s": 10.16,
            "expect": {"device_time_us": [base + 100_000 + i * 10_000 for i in range(5)]},
        },
    ]
    streams.append(
        {
            "name": "duplicate_and_out_of_order",
            "packets": steps,
            "stats": {"packets": 3, "duplicate": 1, "out_of_order": 1, "lost_packets": 0},
        }
    )
    # 3. the sensor reboots: STREAM_START with a small clock and sequence 0; no loss counted.
    steps = [
        {"hex": blk(500, 900_000_000), "host_time_s": 50.0, "expect": {"restarted": True}},
        {"hex": blk(501, 900_050_000), "host_time_s": 50.05, "expect": {"restarted": False}},
        {
            "hex": blk(0, 20_000, STREAM_START),
            "host_time_s": 53.0,
            "expect": {
                "restarted": True,
                "lost_samples_before": 0,
                "device_time_us": [20_000 + i * 10_000 for i in range(5)],
            },
        },
        {"hex": blk(1, 70_000), "host_time_s": 53.05, "expect": {"lost_samples_before": 0}},
    ]
    streams.append(
        {
            "name": "reboot_restart",
            "packets": steps,
            "stats": {"packets": 4, "lost_packets": 0, "lost_samples": 0, "restarts": 1},
        }
    )
    # 4. IMU_COMPACT at 25 Hz: 16-bit timestamps in 10 us units wrap every 655.36 ms; a gap of
    #    20 lost samples (800 ms) spans a wrap and is resolved from the sequence numbers.
    period = 40_000
    steps = []
    true = [1_000_000 + i * period for i in range(3)] + [
        1_000_000 + i * period for i in range(23, 25)
    ]
    seqs = [0, 1, 2, 23, 24]
    first = (true[0] // 10 % 65536) * 10
    for seq, t in zip(seqs, true, strict=True):
        steps.append(
            {
                "hex": compact(seq, t // 10 % 65536, 1, 1, [8192, 0, 0, 0, 0, 0]).hex(),
                "host_time_s": 5 + t * 1e-6,
                "expect": {
                    "device_time_us": [first + t - true[0]],
                    "lost_samples_before": 20 if seq == 23 else 0,
                },
            }
        )
    streams.append(
        {
            "name": "compact_gap_across_timestamp_wrap",
            "nominal_period_us": period,
            "packets": steps,
            "stats": {"packets": 5, "lost_packets": 20, "lost_samples": 20},
        }
    )
    return {
        "description": "Packet sequences: wraparound, gaps, duplicates, reboots.",
        "vectors": [],
        "streams": streams,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "imu_block.json": imu_vectors(),
        "imu_compact.json": compact_vectors(),
        "status.json": status_vectors(),
        "features.json": features_vectors(),
        "control.json": control_vectors(),
        "errors.json": error_vectors(),
        "streams.json": stream_vectors(),
    }
    for name, content in files.items():
        (OUT / name).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
