"""Axis mappings (recommended wearing, inference from a still reading) and the two clocks."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.devices import LOWER_BACK_AXES, ArrivalClock, DeviceClock, axes_from_rest
from sensor_hub.devices.axes import resolve_axes

G = 9.80665


@pytest.mark.parametrize("device", sorted(LOWER_BACK_AXES))
def test_recommended_mappings_are_rotations(device: str) -> None:
    resolve_axes(LOWER_BACK_AXES[device])


@pytest.mark.parametrize(
    ("reading", "back_axis", "expected"),
    [
        ((0.0, G, 0.0), "+z", "+y,-x,+z"),  # WitMotion worn as recommended
        ((0.0, -G, 0.0), "+z", "-y,+x,+z"),  # DOT, strap across the back
        ((G, 0.0, 0.0), "+z", "+x,+y,+z"),  # already in body axes
        ((0.3, 0.5, -G), "-x", "-z,-y,-x"),  # on its side: y = z x x = -device y
    ],
)
def test_axes_from_rest(reading: tuple[float, float, float], back_axis: str, expected: str) -> None:
    mapping = axes_from_rest(reading, back_axis)
    assert mapping == expected
    body = resolve_axes(mapping).apply(np.array([reading]))
    assert body[0, 0] == pytest.approx(np.linalg.norm(reading), rel=0.01)


def test_axes_from_rest_rejects_a_lying_sensor() -> None:
    with pytest.raises(ValueError, match="upright"):
        axes_from_rest((0.0, 0.0, G), "+z")
    with pytest.raises(ValueError, match="signed axis"):
        axes_from_rest((G, 0.0, 0.0), "z")


def test_bad_mapping_is_rejected() -> None:
    with pytest.raises(ValueError, match="left-handed"):
        resolve_axes("+y,+x,+z")


def test_arrival_clock_follows_the_host_after_a_gap() -> None:
    clock = ArrivalClock(100.0)
    first = clock.stamp(3, 10.0)
    np.testing.assert_allclose(first, [9.98, 9.99, 10.0])
    np.testing.assert_allclose(clock.stamp(2, 20.0), [19.99, 20.0])
    np.testing.assert_allclose(clock.stamp(1, 20.001), [20.01])  # never closer than a period
    assert clock.stamp(0, 30.0).shape == (0,)


def test_device_clock_maps_and_detects_stale_samples() -> None:
    clock = DeviceClock(2**32, 10_000)
    assert clock.extend(5_000) == (5_000, 0)
    t0 = clock.accept(5_000, 100.0)
    assert clock.extend(35_000) == (35_000, 2)
    t1 = clock.accept(35_000, 100.031)
    assert t1 - t0 == pytest.approx(0.030, abs=1e-3)
    assert clock.extend(35_000)[1] == -1
    assert clock.extend(25_000)[1] == -2
