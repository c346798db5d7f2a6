"""Raw IMU blocks: a fixed binary layout, golden bytes, round trip, bad payloads refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensor_hub.mqtt.messages import PayloadError
from sensor_hub.mqtt.raw import MAGIC, decode_raw, encode_raw
from sensor_hub.samples import SampleBlock

BLOCK = SampleBlock(
    np.array([1_764_000_000.0, 1_764_000_000.01]),
    np.array([[9.8125, 0.0, -0.5], [9.75, 0.25, -0.5]]),
    np.array([[0.0, 0.5, -0.25], [0.125, 0.0, 1.0]]),
)

#: The two samples above, written out by hand from the layout in docs/mqtt.md (dt is the
#: float64 difference of the two times rounded to float32: 0.00999999 s).
GOLDEN = (
    "50485231"
    "0200"
    "0000"
    "000000402049da41"  # PHR1, n=2, flags 0, t0 f64
    "00000000"
    "00001d41"
    "00000000"
    "000000bf"
    "00000000"
    "0000003f"
    "000080be"
    "00d7233c"
    "00001c41"
    "0000803e"
    "000000bf"
    "0000003e"
    "00000000"
    "0000803f"
)


def test_golden_bytes() -> None:
    assert encode_raw(BLOCK).hex() == GOLDEN
    assert len(bytes.fromhex(GOLDEN)) == 16 + 2 * 28


def test_round_trip_within_float32() -> None:
    back = decode_raw(encode_raw(BLOCK))
    np.testing.assert_allclose(back.timestamp_s, BLOCK.timestamp_s, atol=1e-6)
    np.testing.assert_array_equal(back.acc_mps2, BLOCK.acc_mps2)
    np.testing.assert_array_equal(back.gyr_rads, BLOCK.gyr_rads)


@given(st.integers(1, 300), st.floats(1e9, 2e9), st.integers(0, 2**32 - 1))
def test_any_block_round_trips(n: int, t0: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    block = SampleBlock(
        t0 + np.cumsum(rng.uniform(0.004, 0.02, n)),
        rng.normal(0.0, 20.0, (n, 3)),
        rng.normal(0.0, 5.0, (n, 3)),
    )
    back = decode_raw(encode_raw(block))
    np.testing.assert_allclose(back.timestamp_s, block.timestamp_s, atol=2e-6)
    np.testing.assert_allclose(back.acc_mps2, block.acc_mps2, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "shorter than its header"),
        (b"XXXX" + bytes.fromhex(GOLDEN)[4:], "magic"),
        (bytes.fromhex(GOLDEN)[:-1], "expected 72"),
        (bytes.fromhex(GOLDEN)[:4] + b"\x00\x00" + bytes.fromhex(GOLDEN)[6:16], "0 samples"),
        (MAGIC + bytes.fromhex("01000100") + bytes(8) + bytes(28), "flags"),
        (
            MAGIC
            + bytes.fromhex("01000000")
            + bytes(8)
            + bytes(4)
            + b"\x00\x00\xc0\x7f"
            + bytes(20),
            "finite",
        ),
    ],
)
def test_bad_payloads_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode_raw(payload)


def test_empty_block_cannot_be_encoded() -> None:
    with pytest.raises(ValueError, match="1 to 65535"):
        encode_raw(SampleBlock(np.empty(0), np.empty((0, 3)), np.empty((0, 3))))
