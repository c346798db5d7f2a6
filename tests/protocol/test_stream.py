"""Stream accounting over long runs: wraparound, losses, duplicates, reordering, drift."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_protocol import (
    ClockMapper,
    DataFlags,
    DuplicatePacketError,
    OutOfOrderPacketError,
    StatusFlags,
    StatusPacket,
    StreamDecoder,
    encode_imu_block,
    encode_imu_compact,
)
from firmware_protocol.constants import ErrorFlags
from firmware_protocol.stream import unwrap_forward

PERIOD_US = 10_000
PER_PACKET = 10


def _packet(seq: int, t0_us: int, flags: DataFlags = DataFlags.NONE) -> bytes:
    seq %= 65536
    raw = np.zeros((PER_PACKET, 6), dtype=np.int64)
    raw[:, 0] = 8192
    raw[:, 1] = (t0_us // PERIOD_US + np.arange(PER_PACKET)) % 30000  # sample index marker
    return encode_imu_block(
        sequence=seq, t0_us=t0_us, period_us=PERIOD_US, acc_range_code=1, gyro_range_code=1,
        raw=raw, flags=flags,
    )  # fmt: skip


def test_unwrap_forward_picks_the_predicted_wrap() -> None:
    m = 655_360
    assert unwrap_forward(1_000_000, (1_000_000 + 40_000) % m, m, 40_000) == 1_040_000
    # 21 samples at 25 Hz = 840 ms > one wrap: only the prediction tells.
    assert unwrap_forward(1_000_000, (1_000_000 + 840_000) % m, m, 840_000) == 1_840_000
    assert unwrap_forward(2**32 - 5, 3, 2**32, 8) == 2**32 + 3


def test_long_stream_with_losses_duplicates_and_reordering() -> None:
    rng = np.random.default_rng(7)
    n_packets = 12_000
    seq_start = 60_000  # the sequence wraps after 5536 packets
    t_start = 2**32 - 50_000_000  # the device time wraps 2**32 us after 50 s
    order: list[int] = []
    dropped = duplicated = swapped = 0
    i = 0
    while i < n_packets:
        r = rng.random()
        if r < 0.02:
            dropped += 1
        elif r < 0.03:
            order += [i, i]
            duplicated += 1
        elif r < 0.04 and i + 1 < n_packets:
            order += [i + 1, i]  # i arrives late: dropped as out of order
            swapped += 1
            i += 1
        else:
            order.append(i)
        i += 1
    decoder = StreamDecoder()
    accepted_t0: list[int] = []
    errors = {"duplicate": 0, "out_of_order": 0}
    last_host = -1.0
    for k in order:
        t0 = t_start + k * PER_PACKET * PERIOD_US
        host = 1000.0 + (t0 - t_start) * 1e-6 + 0.02 + 0.01 * rng.random()
        try:
            flags = DataFlags.STREAM_START if k == 0 else DataFlags.NONE
            block = decoder.feed(_packet(seq_start + k, t0, flags), host)
        except DuplicatePacketError:
            errors["duplicate"] += 1
            continue
        except OutOfOrderPacketError:
            errors["out_of_order"] += 1
            continue
        accepted_t0.append(int(block.device_time_us[0]))
        assert block.host_time_s[0] > last_host
        assert np.all(np.diff(block.host_time_s) > 0)
        last_host = float(block.host_time_s[-1])
    stats = decoder.stats
    assert errors == {"duplicate": duplicated, "out_of_order": swapped}
    assert stats.errors == errors
    assert stats.lost_packets == dropped + swapped
    assert stats.lost_samples == (dropped + swapped) * PER_PACKET
    assert stats.packets + stats.lost_packets == n_packets
    # Device times continue across both wraps, exactly.
    expected = [t_start + k * PER_PACKET * PERIOD_US for k in sorted(set(order))]
    assert len(accepted_t0) == stats.packets
    assert set(accepted_t0) <= set(expected)
    assert accepted_t0[-1] == t_start + (n_packets - 1) * PER_PACKET * PERIOD_US


def test_status_anchors_wrapped_timestamps_to_the_full_device_clock() -> None:
    decoder = StreamDecoder()
    device_now = 5 * 2**32 + 123_000  # the sensor has been up for 6 hours
    decoder.observe_device_time(device_now, 10.0)
    block = decoder.feed(_packet(0, device_now + 1000, DataFlags.STREAM_START), 10.2)
    assert int(block.device_time_us[0]) == device_now + 1000
    status = StatusPacket(StatusFlags.STREAMING, 50, 0, ErrorFlags.NONE, device_now + 500_000)
    decoder.observe_device_time(status.device_time_us, 10.6)  # later status: same scale
    block = decoder.feed(_packet(1, device_now + 101_000), 10.3)
    assert int(block.device_time_us[0]) == device_now + 101_000


def test_compact_stream_learns_its_period() -> None:
    decoder = StreamDecoder()  # no nominal period given
    period = 20_000
    for seq in range(5):
        t = 1_000_000 + seq * period
        decoder.feed(
            encode_imu_compact(
                sequence=seq, t_10us=t // 10, acc_range_code=1, gyro_range_code=1,
                raw=np.zeros((1, 6)),
            ), 1 + t * 1e-6,
        )  # fmt: skip
    # two lost samples: 60 ms after the last one
    t = 1_000_000 + 7 * period
    block = decoder.feed(
        encode_imu_compact(
            sequence=7, t_10us=t // 10, acc_range_code=1, gyro_range_code=1, raw=np.zeros((1, 6))
        ), 1 + t * 1e-6,
    )  # fmt: skip
    assert block.lost_samples_before == 2
    assert decoder.stats.lost_packets == 2


@pytest.mark.parametrize("drift_ppm", [-80.0, 0.0, 45.0])
def test_clock_mapper_removes_drift(drift_ppm: float) -> None:
    rng = np.random.default_rng(1)
    clock = ClockMapper()
    min_latency_s = 0.005
    errors = []
    for k in range(6000):  # 10 min of 10 packets/s
        device_us = 3_000_000 + k * 100_000
        true_host = 500.0 + device_us * 1e-6 * (1 + drift_ppm * 1e-6)
        arrival = true_host + min_latency_s + rng.exponential(0.015)
        clock.observe(device_us, arrival)
        if k >= 600:  # after a minute
            est = float(clock.to_host_s(np.array([device_us], dtype=np.int64))[0])
            errors.append(est - true_host - min_latency_s)
    err = np.abs(np.array(errors))
    assert err.max() < 0.002, err.max()
    model = clock.model
    assert model is not None
    assert abs(model.drift_ppm - drift_ppm) < 3.0


def test_a_device_clock_jump_past_the_horizon_keeps_mapping() -> None:
    # Seen in a 20000x replay: the next observation lands beyond every kept bucket.
    clock = ClockMapper(horizon_s=300.0)
    for i in range(5):
        clock.observe(i * 1_000_000, 100.0 + i + 0.002)
    model = clock.observe(10_000 * 1_000_000, 100.0 + 10_000 + 0.003)
    assert model.offset_s == pytest.approx(100.003, abs=1e-6)
    model = clock.observe(10_001 * 1_000_000 + 500_000, 100.0 + 10_001.5 + 0.004)
    host = clock.to_host_s(np.array([10_001 * 1_000_000], dtype=np.int64))
    assert host[0] == pytest.approx(100.0 + 10_001 + 0.003, abs=1e-3)
