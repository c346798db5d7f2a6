"""Property tests: random bytes only ever raise DeviceFrameError, stream adapters never raise,
and reassembly does not depend on how notifications split the byte stream."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor_hub.devices import (
    DeviceFrameError,
    DotStream,
    ThingyRawStream,
    WitMotionStream,
    movella_dot,
    thingy52,
    witmotion,
)
from sensor_hub.devices.movella_dot import PayloadMode
from sensor_hub.samples import SampleBlock
from tests.devices.frames import wit_imu, wit_reply

FAST = settings(max_examples=150, deadline=None)
DECODERS = [
    witmotion.decode_frame,
    movella_dot.decode_battery,
    movella_dot.decode_device_control,
    thingy52.decode_raw,
    thingy52.decode_quaternion,
    thingy52.decode_euler,
    thingy52.decode_gravity,
    thingy52.decode_motion_config,
    *[lambda b, m=m: movella_dot.decode_payload(m, b) for m in PayloadMode],
]


def _only_typed_errors(decode: object, data: bytes) -> None:
    assert callable(decode)
    with contextlib.suppress(DeviceFrameError):
        decode(data)


@FAST
@given(st.binary(max_size=70), st.sampled_from(range(len(DECODERS))))
def test_decoders_raise_only_typed_errors(data: bytes, which: int) -> None:
    _only_typed_errors(DECODERS[which], data)


@FAST
@given(st.binary(min_size=2, max_size=2).map(lambda h: b"\x55" + h[1:]), st.binary(max_size=30))
def test_witmotion_headers_with_random_bodies(head: bytes, body: bytes) -> None:
    _only_typed_errors(witmotion.decode_frame, head + body)


@FAST
@given(st.lists(st.binary(max_size=64), max_size=12))
def test_streams_never_raise_and_keep_time_increasing(notifications: list[bytes]) -> None:
    streams = [WitMotionStream(), DotStream(), ThingyRawStream(rate_hz=50)]
    for stream in streams:
        blocks = []
        for i, data in enumerate(notifications):
            block = stream.feed(data, 1.0 + 0.01 * i)
            if block is not None:
                blocks.append(block)
        joined = SampleBlock.concat(blocks)
        assert np.all(np.diff(joined.timestamp_s) > 0)
        assert np.all(np.isfinite(joined.acc_mps2))
        assert np.all(np.isfinite(joined.gyr_rads))
        assert stream.stats.notifications == len(notifications)


_frame = st.one_of(
    st.tuples(
        st.integers(-32768, 32767), st.integers(-32768, 32767), st.integers(-32768, 32767)
    ).map(wit_imu),
    st.just(wit_reply(0x40, (2500, 0, 0, 0, 0, 0, 0, 0))),
)


@FAST
@given(st.lists(_frame, min_size=1, max_size=10), st.lists(st.integers(1, 60), max_size=20))
def test_witmotion_reassembly_is_independent_of_splitting(
    frames: list[bytes], cuts: list[int]
) -> None:
    data = b"".join(frames)
    whole = WitMotionStream().feed(data, 0.0)
    stream = WitMotionStream()
    chunks, pos = [], 0
    for size in cuts:
        chunks.append(data[pos : pos + size])
        pos += size
    chunks.append(data[pos:])
    blocks = [b for i, c in enumerate(chunks) if (b := stream.feed(c, 0.001 * i)) is not None]
    split = SampleBlock.concat(blocks)
    n_imu = sum(f[1] == 0x61 for f in frames)
    assert len(split) == n_imu == (0 if whole is None else len(whole))
    if whole is not None:
        np.testing.assert_array_equal(split.acc_mps2, whole.acc_mps2)
    assert stream.stats.dropped_frames == 0
