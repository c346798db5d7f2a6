"""The vectorised batch decoder gives exactly what the per-packet decoder gives."""

from __future__ import annotations

import numpy as np

from firmware_protocol import decode_imu, encode_imu_block
from firmware_protocol.batch import decode_imu_batch


def _packets() -> list[bytes]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(60):
        n = int(rng.integers(1, 20)) if i % 3 == 0 else 19
        out.append(
            encode_imu_block(
                sequence=i, t0_us=i * 1000, period_us=5000 + i, acc_range_code=i % 4,
                gyro_range_code=(i // 4) % 4, raw=rng.integers(-32768, 32767, size=(n, 6)),
            )
        )  # fmt: skip
    return out


def test_batch_equals_per_packet_decoding_with_mixed_lengths_and_errors() -> None:
    packets = _packets()
    bad = bytearray(packets[5])
    bad[30] ^= 1
    packets[5] = bytes(bad)  # CRC error
    packets[9] = packets[9][:-3]  # truncated
    packets[11] = b"\x21" + packets[11][1:]  # unknown version
    batch = decode_imu_batch(packets)
    assert [(i, e.kind) for i, e in batch.errors] == [
        (5, "bad_crc"), (9, "truncated"), (11, "unknown_version"),
    ]  # fmt: skip
    good = [i for i in range(len(packets)) if i not in {5, 9, 11}]
    assert batch.packet_index.tolist() == good
    acc, gyr = [], []
    for k, i in enumerate(good):
        p = decode_imu(packets[i])
        assert batch.sequence[k] == p.sequence
        assert batch.t0_us[k] == p.t0_raw
        assert batch.period_us[k] == p.period_us
        assert np.all(batch.sample_packet[batch.sample_packet == k] == k)
        a, g = p.physical()
        acc.append(a)
        gyr.append(g)
    assert np.array_equal(batch.acc_mps2, np.concatenate(acc))
    assert np.array_equal(batch.gyr_rads, np.concatenate(gyr))
    assert np.array_equal(
        np.bincount(batch.sample_packet), [decode_imu(packets[i]).count for i in good]
    )


def test_empty_and_all_bad() -> None:
    assert len(decode_imu_batch([]).packet_index) == 0
    batch = decode_imu_batch([b"", b"\x11"])
    assert [e.kind for _, e in batch.errors] == ["truncated", "truncated"]
