"""ThingyRawStream and the Thingy:52 configuration."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.devices import ThingyRawStream, thingy52
from tests.devices.frames import G, thingy_raw


def test_still_sensor_reads_one_g_and_is_timed_at_the_nominal_rate() -> None:
    stream = ThingyRawStream(rate_hz=50)
    blocks = [stream.feed(thingy_raw((5, -8, 1021), (1, -1, 0)), 2.0 + 0.02 * i) for i in range(10)]
    times = np.concatenate([b.timestamp_s for b in blocks if b is not None])
    acc = np.concatenate([b.acc_mps2 for b in blocks if b is not None])
    gyr = np.concatenate([b.gyr_rads for b in blocks if b is not None])
    np.testing.assert_allclose(np.diff(times), 0.02, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(acc, axis=1), G, rtol=0.02)
    assert np.abs(gyr).max() < 0.01


def test_malformed_notifications_are_counted() -> None:
    stream = ThingyRawStream(rate_hz=50)
    assert stream.feed(b"\x00" * 17, 1.0) is None
    assert stream.feed(b"\x00" * 20, 1.0) is None
    assert stream.stats.errors == {"truncated": 1, "invalid_field": 1}
    assert stream.stats.dropped_frames == 2


def test_axis_mapping() -> None:
    stream = ThingyRawStream("+y,-x,+z", rate_hz=50)
    block = stream.feed(thingy_raw((0, 1024, 0), (32, 0, 0)), 1.0)
    assert block is not None
    np.testing.assert_allclose(block.acc_mps2[0], [G, 0.0, 0.0])
    np.testing.assert_allclose(block.gyr_rads[0], [0.0, -np.radians(1.0), 0.0])


def test_rate_command_keeps_the_other_fields() -> None:
    current = thingy52.encode_motion_config(thingy52.ThingyMotionConfig(1000, 500, 500, 10, True))
    new = thingy52.decode_motion_config(thingy52.set_rate_command(current, 100))
    assert new == thingy52.ThingyMotionConfig(1000, 500, 500, 100, True)
    with pytest.raises(ValueError, match="outside"):
        thingy52.set_rate_command(current, 500)
