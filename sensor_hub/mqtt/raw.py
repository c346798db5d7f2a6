"""Raw IMU blocks on MQTT (``{prefix}/v1/{wearer}/{sensor}/raw``): a compact binary payload.

For server-side processing (re-running the core, research), the hub can publish the decoded
samples it processed — from any device, ours or third-party, on the hub's time base — in a
fixed little-endian layout (format ``posture-raw/1``)::

    header  16 bytes  magic b"PHR1", n_samples u16, flags u16 (0), t0_s f64 (Unix seconds)
    sample  28 bytes  dt_s f32 (from t0_s), acc_x/y/z_mps2 f32, gyr_x/y/z_rads f32   (× n)

float32 keeps 0.1 µs of time offset within a block and more than any 16-bit IMU's resolution;
a 100 Hz notification of 11 samples is 324 bytes.  Pure functions; a payload that does not
follow the layout raises :class:`~sensor_hub.mqtt.messages.PayloadError`.
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np

from sensor_hub.mqtt.messages import PayloadError
from sensor_hub.samples import SampleBlock

__all__ = ["MAGIC", "MAX_SAMPLES", "decode_raw", "encode_raw"]

MAGIC: Final = b"PHR1"
_HEADER: Final = struct.Struct("<4sHHd")
_SAMPLE: Final = np.dtype("<f4")
_COLUMNS: Final = 7
#: Samples in one message at most (the u16 count; a notification holds a few dozen).
MAX_SAMPLES: Final = 65535


def encode_raw(block: SampleBlock) -> bytes:
    """The payload of one block (at most :data:`MAX_SAMPLES` samples; at least one)."""
    n = len(block)
    if not 0 < n <= MAX_SAMPLES:
        raise ValueError(f"a raw block holds 1 to {MAX_SAMPLES} samples, got {n}")
    t0 = float(block.timestamp_s[0])
    rows = np.empty((n, _COLUMNS), dtype=_SAMPLE)
    rows[:, 0] = block.timestamp_s - t0
    rows[:, 1:4] = block.acc_mps2
    rows[:, 4:7] = block.gyr_rads
    return _HEADER.pack(MAGIC, n, 0, t0) + rows.tobytes()


def decode_raw(data: bytes) -> SampleBlock:
    """A payload back to samples (float64; timestamps ``t0_s + dt_s``)."""
    if len(data) < _HEADER.size:
        raise PayloadError(f"raw block: {len(data)} bytes, shorter than its header")
    magic, n, flags, t0 = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PayloadError(f"raw block: magic {magic!r}, expected {MAGIC!r}")
    if flags != 0:
        raise PayloadError(f"raw block: unknown flags {flags:#06x}")
    expected = _HEADER.size + n * _COLUMNS * _SAMPLE.itemsize
    if n == 0 or len(data) != expected:
        raise PayloadError(f"raw block: {len(data)} bytes for {n} samples, expected {expected}")
    rows = np.frombuffer(data, dtype=_SAMPLE, offset=_HEADER.size).reshape(n, _COLUMNS)
    values = rows.astype(np.float64)
    if not np.isfinite(values).all() or not np.isfinite(t0):
        raise PayloadError("raw block: a value is not finite")
    return SampleBlock(t0 + values[:, 0], values[:, 1:4].copy(), values[:, 4:7].copy())
