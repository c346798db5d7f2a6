"""Vectorised decoding of many IMU_BLOCK packets at once (captures, replays, backfill bursts).

One numpy structured view per packet length replaces the per-packet Python work; only the CRC
(``binascii.crc_hqx``, in C) stays a per-packet call.  A packet that fails any check is decoded
again on its own by :func:`~firmware_protocol.codec.decode_imu` so that it gets its precise typed
error; the batch keeps every good packet and lists the bad ones.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from numpy.typing import NDArray

from firmware_protocol.codec import MIN_PERIOD_US, decode_imu, frame_byte
from firmware_protocol.constants import (
    ACC_RANGE_G,
    CRC_SIZE,
    GYRO_RANGE_DPS,
    IMU_BLOCK_HEADER_SIZE,
    MAX_BLOCK_SAMPLES,
    SAMPLE_SIZE,
    PacketType,
    acc_scale_mps2_per_lsb,
    gyro_scale_rads_per_lsb,
)
from firmware_protocol.errors import ProtocolError

__all__ = ["ImuBatch", "decode_imu_batch"]


@cache
def _block_dtype(count: int) -> np.dtype[np.void]:
    return np.dtype(
        [
            ("frame", "u1"), ("flags", "u1"), ("sequence", "<u2"), ("t0_us", "<u4"),
            ("period_us", "<u2"), ("count", "u1"), ("ranges", "u1"),
            ("samples", "<i2", (count, 6)), ("crc", "<u2"),
        ]
    )  # fmt: skip


def _scale_table() -> NDArray[np.float64]:
    """Row ``ranges`` byte -> the six per-axis scales (NaN for invalid range codes)."""
    table = np.full((256, 6), np.nan)
    for acc in ACC_RANGE_G:
        for gyr in GYRO_RANGE_DPS:
            a, g = acc_scale_mps2_per_lsb(acc), gyro_scale_rads_per_lsb(gyr)
            table[acc | gyr << 4] = [a, a, a, g, g, g]
    return table


_SCALES = _scale_table()
_FRAME = frame_byte(PacketType.IMU_BLOCK)


@dataclass(frozen=True, eq=False, slots=True)
class ImuBatch:
    """Good packets of a batch, in input order, and the bad ones.

    Attributes:
        packet_index: shape ``(p,)``, index in the input of each good packet.
        sequence, t0_us, period_us, flags: shape ``(p,)``, the header fields.
        sample_packet: shape ``(n,)``, position in ``packet_index`` of each sample's packet.
        acc_mps2, gyr_rads: shape ``(n, 3)``, all samples of the good packets, in order.
        errors: ``(input index, error)`` of each rejected packet.
    """

    packet_index: NDArray[np.int64]
    sequence: NDArray[np.uint16]
    t0_us: NDArray[np.uint32]
    period_us: NDArray[np.uint16]
    flags: NDArray[np.uint8]
    sample_packet: NDArray[np.int64]
    acc_mps2: NDArray[np.float64]
    gyr_rads: NDArray[np.float64]
    errors: list[tuple[int, ProtocolError]] = field(default_factory=list)


def _good_mask(rec: NDArray[np.void], packets: Sequence[bytes], count: int) -> NDArray[np.bool_]:
    crc = np.fromiter(
        (binascii.crc_hqx(memoryview(p)[:-CRC_SIZE], 0xFFFF) for p in packets),
        dtype=np.uint16, count=len(packets),
    )  # fmt: skip
    good: NDArray[np.bool_] = (
        (rec["frame"] == _FRAME)
        & (rec["count"] == count)
        & (rec["period_us"] >= MIN_PERIOD_US)
        & (rec["crc"] == crc)
        & ~np.isnan(_SCALES[rec["ranges"], 0])
    )
    return good


def decode_imu_batch(packets: Sequence[bytes]) -> ImuBatch:
    """Decode IMU_BLOCK packets in bulk (the same results as :func:`decode_imu` on each)."""
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(packets):
        groups.setdefault(len(p), []).append(i)
    parts: list[tuple[NDArray[np.int64], NDArray[np.void]]] = []
    errors: list[tuple[int, ProtocolError]] = []
    for length, indices in groups.items():
        count, rest = divmod(length - IMU_BLOCK_HEADER_SIZE - CRC_SIZE, SAMPLE_SIZE)
        members = [packets[i] for i in indices]
        good = np.zeros(len(indices), dtype=bool)
        if rest == 0 and 1 <= count <= MAX_BLOCK_SAMPLES:
            rec = np.frombuffer(b"".join(members), dtype=_block_dtype(count))
            good = _good_mask(rec, members, count)
            parts.append((np.asarray(indices, dtype=np.int64)[good], rec[good]))
        for j in np.flatnonzero(~good):
            try:
                decode_imu(members[j])
            except ProtocolError as exc:
                errors.append((indices[j], exc))
    errors.sort(key=lambda e: e[0])
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return ImuBatch(
            empty, empty.astype(np.uint16), empty.astype(np.uint32), empty.astype(np.uint16),
            empty.astype(np.uint8), empty, np.empty((0, 3)), np.empty((0, 3)), errors,
        )  # fmt: skip
    return _assemble(parts, errors)


def _assemble(
    parts: list[tuple[NDArray[np.int64], NDArray[np.void]]],
    errors: list[tuple[int, ProtocolError]],
) -> ImuBatch:
    def cat(name: str) -> NDArray[np.generic]:
        return np.concatenate([r[name] for _, r in parts])

    index = np.concatenate([ix for ix, _ in parts])
    counts = np.concatenate([np.full(len(r), r["samples"].shape[1]) for _, r in parts])
    values = np.concatenate(
        [(r["samples"] * _SCALES[r["ranges"]][:, None, :]).reshape(-1, 6) for _, r in parts]
    )
    heads = [cat(name) for name in ("sequence", "t0_us", "period_us", "flags")]
    order = np.argsort(index, kind="stable")
    if len(parts) > 1:  # packets of several lengths: put packets and samples back in order
        starts = np.cumsum(counts) - counts
        new_counts = counts[order]
        first = np.cumsum(new_counts) - new_counts
        values = values[np.repeat(starts[order] - first, new_counts) + np.arange(len(values))]
        index, counts, heads = index[order], new_counts, [h[order] for h in heads]
    sample_packet = np.repeat(np.arange(len(index), dtype=np.int64), counts)
    return ImuBatch(
        index.astype(np.int64), heads[0].astype(np.uint16), heads[1].astype(np.uint32),
        heads[2].astype(np.uint16), heads[3].astype(np.uint8), sample_packet,
        values[:, 0:3], values[:, 3:6], errors,
    )  # fmt: skip
