"""Property tests: encode -> decode round-trips; hostile bytes only ever raise typed errors."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firmware_protocol import (
    ACC_RANGE_G,
    GYRO_RANGE_DPS,
    ControlRequest,
    ControlResponse,
    DataFlags,
    ErrorFlags,
    FeatureFlags,
    FeaturesPacket,
    HapticPattern,
    HapticPulse,
    Identify,
    ImuPacket,
    Opcode,
    ProtocolError,
    ResultCode,
    SetRanges,
    SetRate,
    StartStreaming,
    StatusFlags,
    StatusPacket,
    TimeSync,
    TimeSyncReply,
    decode_imu,
    decode_packet,
    encode_control_request,
    encode_control_response,
    encode_features,
    encode_imu_block,
    encode_imu_compact,
    encode_status,
    max_block_samples,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
samples = st.integers(1, 19).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(-32768, 32767), min_size=6, max_size=6), min_size=n, max_size=n
    )
)
range_codes = st.sampled_from(sorted(ACC_RANGE_G)), st.sampled_from(sorted(GYRO_RANGE_DPS))


@given(
    seq=u16, t0=st.integers(0, 2**40), period=st.integers(1000, 0xFFFF), raw=samples,
    acc=range_codes[0], gyro=range_codes[1], flags=st.integers(0, 0xFF),
)  # fmt: skip
def test_imu_block_round_trip(
    seq: int, t0: int, period: int, raw: list[list[int]], acc: int, gyro: int, flags: int
) -> None:
    data = encode_imu_block(
        sequence=seq, t0_us=t0, period_us=period, acc_range_code=acc, gyro_range_code=gyro,
        raw=np.array(raw), flags=DataFlags(flags),
    )  # fmt: skip
    assert len(data) == 14 + 12 * len(raw) <= 244  # fits ATT_MTU 247
    p = decode_imu(data)
    assert (p.sequence, p.t0_raw, p.period_us, int(p.flags)) == (seq, t0 % 2**32, period, flags)
    assert (p.acc_range_code, p.gyro_range_code) == (acc, gyro)
    assert p.raw.tolist() == raw


@given(
    seq=u16, t=u16, raw=st.lists(st.integers(-32768, 32767), min_size=6, max_size=6),
    acc=range_codes[0], gyro=range_codes[1], flags=st.integers(0, 7),
)  # fmt: skip
def test_imu_compact_round_trip(
    seq: int, t: int, raw: list[int], acc: int, gyro: int, flags: int
) -> None:
    data = encode_imu_compact(
        sequence=seq, t_10us=t, acc_range_code=acc, gyro_range_code=gyro,
        raw=np.array([raw]), flags=DataFlags(flags),
    )  # fmt: skip
    assert len(data) == 20  # the whole payload of ATT_MTU 23
    p = decode_imu(data)
    assert isinstance(p, ImuPacket)
    assert (p.sequence, p.t0_raw, p.period_us, int(p.flags)) == (seq, t, None, flags)
    assert p.raw.tolist() == [raw]


@given(
    flags=st.integers(0, 15), battery=st.one_of(st.integers(0, 100), st.just(255)),
    temp=st.integers(-32768, 32767), errors=u16, dev=st.integers(0, 2**64 - 1),
)  # fmt: skip
def test_status_round_trip(flags: int, battery: int, temp: int, errors: int, dev: int) -> None:
    status = StatusPacket(StatusFlags(flags), battery, temp, ErrorFlags(errors), dev)
    assert decode_packet(encode_status(status)) == status


@given(
    rates=st.sets(st.sampled_from([25, 50, 100, 200])),
    acc=st.sets(st.sampled_from(list(ACC_RANGE_G.values()))),
    gyro=st.sets(st.sampled_from(list(GYRO_RANGE_DPS.values()))),
    patterns=st.sets(st.sampled_from(list(HapticPattern))),
    flags=st.integers(0, 15), capacity=u16,
)  # fmt: skip
def test_features_round_trip(
    rates: set[int],
    acc: set[int],
    gyro: set[int],
    patterns: set[HapticPattern],
    flags: int,
    capacity: int,
) -> None:
    features = FeaturesPacket(
        tuple(sorted(rates)), tuple(sorted(acc)), tuple(sorted(gyro)), tuple(sorted(patterns)),
        FeatureFlags(flags), capacity,
    )  # fmt: skip
    assert decode_packet(encode_features(features)) == features


commands = st.one_of(
    st.builds(StartStreaming),
    st.builds(SetRate, u16),
    st.builds(SetRanges, u8, u8),
    st.builds(HapticPulse, u8, u8, u16),
    st.builds(TimeSync, st.integers(0, 2**64 - 1)),
    st.builds(Identify, u16),
)


@given(token=u8, command=commands)
def test_control_request_round_trip(token: int, command: object) -> None:
    request = ControlRequest(token, command)  # type: ignore[arg-type]
    assert decode_packet(encode_control_request(request)) == request


@given(token=u8, result=st.sampled_from(list(ResultCode)), dev=st.integers(0, 2**64 - 1))
def test_control_response_round_trip(token: int, result: ResultCode, dev: int) -> None:
    reply = TimeSyncReply(dev) if result is ResultCode.SUCCESS else None
    response = ControlResponse(int(Opcode.TIME_SYNC), token, result, reply)
    assert decode_packet(encode_control_response(response)) == response


@given(st.binary(max_size=300))
def test_random_bytes_only_raise_typed_errors(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_packet(data)


VALID = [
    encode_imu_block(
        sequence=9, t0_us=77, period_us=10_000, acc_range_code=1, gyro_range_code=1,
        raw=np.arange(60).reshape(10, 6),
    ),
    encode_imu_compact(
        sequence=3, t_10us=5, acc_range_code=0, gyro_range_code=0, raw=np.ones((1, 6))
    ),
    encode_status(StatusPacket(StatusFlags.STREAMING, 50, 2000, ErrorFlags.NONE, 123)),
    encode_control_request(ControlRequest(1, HapticPulse(1, 50, 200))),
]  # fmt: skip


@given(which=st.sampled_from(VALID), data=st.data())
def test_single_bit_flips_are_always_detected(which: bytes, data: st.DataObject) -> None:
    bit = data.draw(st.integers(0, len(which) * 8 - 1))
    mutated = bytearray(which)
    mutated[bit // 8] ^= 1 << (bit % 8)
    try:
        decode_packet(bytes(mutated))
    except ProtocolError:
        return
    raise AssertionError(f"bit {bit} flipped and the packet still decoded")


@given(which=st.sampled_from(VALID), data=st.data())
def test_mutated_packets_only_raise_typed_errors(which: bytes, data: st.DataObject) -> None:
    mutated = bytearray(which)
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "cut", "extend", "byte"]))
        if op == "cut" and mutated:
            del mutated[data.draw(st.integers(0, len(mutated) - 1)) :]
        elif op == "extend":
            mutated += data.draw(st.binary(min_size=1, max_size=20))
        elif op in {"flip", "byte"} and mutated:
            i = data.draw(st.integers(0, len(mutated) - 1))
            mutated[i] = data.draw(u8)
    with contextlib.suppress(ProtocolError):
        decode_packet(bytes(mutated))


def test_samples_per_packet_by_mtu() -> None:
    assert [max_block_samples(m) for m in (23, 26, 29, 65, 185, 247, 517)] == [
        0, 0, 1, 4, 14, 19, 19,
    ]  # fmt: skip


def test_one_g_and_one_rad_per_second_scale() -> None:
    # Physical facts: 8192 LSB at +/-4 g is 1 g; 32768 LSB at +/-250 dps is 250 dps.
    p = decode_imu(
        encode_imu_block(
            sequence=0, t0_us=0, period_us=10_000, acc_range_code=1, gyro_range_code=0,
            raw=np.array([[8192, 0, 0, 0, -32768, 0]]),
        )
    )  # fmt: skip
    assert np.allclose(p.acc_mps2(), [[9.80665, 0, 0]], atol=1e-12)
    assert np.allclose(p.gyr_rads(), [[0, -np.deg2rad(250), 0]], atol=1e-12)
