"""Tiny struct-only packers for stream tests (written from docs/devices.md, not from the code)."""

from __future__ import annotations

import struct

G = 9.80665


def wit_imu(acc: tuple[int, int, int], gyr: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """A WitMotion 0x55 0x61 frame (2048 counts per g, 16.384 counts per deg/s)."""
    return struct.pack("<BB9h", 0x55, 0x61, *acc, *gyr, 0, 0, 0)


def wit_reply(register: int, regs: tuple[int, ...]) -> bytes:
    """A WitMotion 0x55 0x71 register reply."""
    return struct.pack("<BBH8h", 0x55, 0x71, register, *regs)


def dot_custom5(
    t_us: int,
    acc: tuple[float, float, float] = (0.0, 0.0, G),
    gyr_dps: tuple[float, float, float] = (0.0, 0.0, 0.0),
    quat: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0),
) -> bytes:
    """A Movella DOT custom mode 5 payload (44 bytes)."""
    return struct.pack("<I4f3f3f", t_us % 2**32, *quat, *acc, *gyr_dps)


def thingy_raw(acc: tuple[int, int, int], gyr: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """A Thingy:52 raw notification (1024 counts per g, 32 per deg/s)."""
    return struct.pack("<9h", *acc, *gyr, 0, 0, 0)
