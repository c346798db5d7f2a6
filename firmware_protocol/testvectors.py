"""Test vectors as data: ``vectors/*.json`` (hex packet -> expected fields), shared by firmware
and hub.  Every vector runs through the decoder, and every valid one is re-encoded from its
expected fields and must give back the same bytes.

File layout::

    {"description": "...",
     "vectors": [
       {"name": "...", "hex": "11...", "expect": {<fields>}, "physical": {<optional>}},
       {"name": "...", "hex": "...", "error": "bad_crc"},              # an error kind
     ],
     "streams": [                                                      # optional
       {"name": "...", "packets": [{"hex": "...", "host_time_s": 1.0,
                                     "expect": {"device_time_us": [...], ...}} | {"error": ...}],
        "stats": {"packets": 3, "lost_packets": 1, ...}}
     ]}
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from firmware_protocol.codec import (
    Packet,
    decode_packet,
    encode_control_request,
    encode_control_response,
    encode_features,
    encode_imu_block,
    encode_imu_compact,
    encode_status,
)
from firmware_protocol.constants import (
    ACC_RANGE_G,
    GYRO_RANGE_DPS,
    DataFlags,
    ErrorFlags,
    FeatureFlags,
    HapticPattern,
    Opcode,
    PacketType,
    ResultCode,
    StatusFlags,
)
from firmware_protocol.control import COMMANDS, REPLIES, ControlRequest, ControlResponse
from firmware_protocol.errors import ProtocolError
from firmware_protocol.packets import FeaturesPacket, ImuPacket, StatusPacket
from firmware_protocol.stream import StreamDecoder

__all__ = [
    "VectorResult",
    "check_file",
    "default_vector_files",
    "encode_fields",
    "packet_fields",
]


def packet_fields(packet: Packet) -> dict[str, Any]:
    """A decoded packet's fields, in the vocabulary of the vector files."""
    if isinstance(packet, ControlRequest):
        return {
            "type": PacketType.CONTROL_REQUEST.name,
            "opcode": packet.opcode.name,
            "token": packet.token,
            "params": asdict(packet.command),
        }
    if isinstance(packet, ControlResponse):
        return {
            "type": PacketType.CONTROL_RESPONSE.name,
            "opcode": packet.opcode,
            "token": packet.token,
            "result": packet.result.name,
            "reply": None if packet.reply is None else asdict(packet.reply),
        }
    return packet.to_fields()


def _code(table: Mapping[int, int], value: int) -> int:
    return next(code for code, v in table.items() if v == value)


def encode_fields(fields: Mapping[str, Any]) -> bytes:
    """Encode a packet from vector fields (the inverse of :func:`packet_fields`)."""
    kind = PacketType[fields["type"]]
    if kind in (PacketType.IMU_BLOCK, PacketType.IMU_COMPACT):
        acc_code = _code(ACC_RANGE_G, fields["acc_range_g"])
        gyro_code = _code(GYRO_RANGE_DPS, fields["gyro_range_dps"])
        raw = np.array(fields["raw"], dtype=np.int64)
        flags = DataFlags(fields["flags"])
        if kind is PacketType.IMU_BLOCK:
            return encode_imu_block(
                sequence=fields["sequence"], t0_us=fields["t0_raw"],
                period_us=fields["period_us"], acc_range_code=acc_code,
                gyro_range_code=gyro_code, raw=raw, flags=flags,
            )  # fmt: skip
        return encode_imu_compact(
            sequence=fields["sequence"], t_10us=fields["t0_raw"], acc_range_code=acc_code,
            gyro_range_code=gyro_code, raw=raw, flags=flags,
        )  # fmt: skip
    if kind is PacketType.STATUS:
        return encode_status(
            StatusPacket(
                StatusFlags(fields["flags"]), fields["battery_pct"], fields["temperature_cdeg"],
                ErrorFlags(fields["error_flags"]), fields["device_time_us"],
            )
        )  # fmt: skip
    if kind is PacketType.FEATURES:
        return encode_features(
            FeaturesPacket(
                tuple(fields["rates_hz"]), tuple(fields["acc_ranges_g"]),
                tuple(fields["gyro_ranges_dps"]),
                tuple(HapticPattern(p) for p in fields["haptic_patterns"]),
                FeatureFlags(fields["feature_flags"]), fields["buffer_capacity_samples"],
            )
        )  # fmt: skip
    if kind is PacketType.CONTROL_REQUEST:
        cls, _ = COMMANDS[Opcode[fields["opcode"]]]
        return encode_control_request(ControlRequest(fields["token"], cls(**fields["params"])))
    reply = None
    if fields["reply"] is not None:
        reply_cls, _ = REPLIES[Opcode(fields["opcode"])]
        reply = reply_cls(**fields["reply"])
    return encode_control_response(
        ControlResponse(fields["opcode"], fields["token"], ResultCode[fields["result"]], reply)
    )


@dataclass(frozen=True, slots=True)
class VectorResult:
    """Outcome of one vector: ``problems`` is empty when it passed."""

    file: str
    name: str
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the vector passed."""
        return not self.problems


def _check_physical(packet: Packet, physical: Mapping[str, Any]) -> list[str]:
    if not physical:
        return []
    if not isinstance(packet, ImuPacket):
        return ["'physical' given for a non-IMU packet"]
    problems = []
    for name, values in physical.items():
        got = packet.acc_mps2() if name == "acc_mps2" else packet.gyr_rads()
        if not np.allclose(got, np.array(values, dtype=np.float64), rtol=0, atol=1e-9):
            problems.append(f"{name}: got {got.tolist()}, expected {values}")
    return problems


def _check_packet_vector(vector: Mapping[str, Any]) -> list[str]:
    data = bytes.fromhex(vector["hex"])
    try:
        packet = decode_packet(data)
    except ProtocolError as exc:
        if vector.get("error") == exc.kind:
            return []
        return [f"decode raised {exc.kind} ({exc}), expected {vector.get('error', 'success')}"]
    if "error" in vector:
        return [f"decoded successfully, expected error {vector['error']}"]
    problems = []
    got = packet_fields(packet)
    for key, want in vector["expect"].items():
        if got.get(key) != want:
            problems.append(f"{key}: decoded {got.get(key)!r}, expected {want!r}")
    problems += _check_physical(packet, vector.get("physical", {}))
    encoded = encode_fields(vector["expect"]).hex()
    if encoded != vector["hex"]:
        problems.append(f"re-encoded {encoded}, expected {vector['hex']}")
    return problems


def _check_stream(stream: Mapping[str, Any]) -> list[str]:
    decoder = StreamDecoder(nominal_period_us=stream.get("nominal_period_us"))
    problems = []
    for i, step in enumerate(stream["packets"]):
        try:
            block = decoder.feed(bytes.fromhex(step["hex"]), step["host_time_s"])
        except ProtocolError as exc:
            if step.get("error") != exc.kind:
                problems.append(f"packet {i}: raised {exc.kind}, expected {step.get('error')}")
            continue
        if "error" in step:
            problems.append(f"packet {i}: accepted, expected error {step['error']}")
            continue
        got = {
            "device_time_us": block.device_time_us.tolist(),
            "lost_samples_before": block.lost_samples_before,
            "restarted": block.restarted,
        }
        problems += [
            f"packet {i}: {k} = {got[k]!r}, expected {v!r}"
            for k, v in step["expect"].items()
            if got[k] != v
        ]
    stats = decoder.stats
    got_stats = {
        "packets": stats.packets, "samples": stats.samples, "lost_packets": stats.lost_packets,
        "lost_samples": stats.lost_samples, "restarts": stats.restarts, **stats.errors,
    }  # fmt: skip
    problems += [
        f"stats {k} = {got_stats.get(k, 0)}, expected {v}"
        for k, v in stream.get("stats", {}).items()
        if got_stats.get(k, 0) != v
    ]
    return problems


def check_file(path: Path) -> Iterator[VectorResult]:
    """Run every vector (and stream) of one file."""
    content = json.loads(path.read_text(encoding="utf-8"))
    for vector in content.get("vectors", []):
        yield VectorResult(path.name, vector["name"], tuple(_check_packet_vector(vector)))
    for stream in content.get("streams", []):
        yield VectorResult(path.name, stream["name"], tuple(_check_stream(stream)))


def default_vector_files() -> list[Path]:
    """The vector files shipped with the package."""
    folder = resources.files("firmware_protocol") / "vectors"
    return sorted(Path(str(folder)).glob("*.json"))
