"""Points for the recorder tests: distinct at millisecond resolution (VictoriaMetrics keeps ms)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sensor_hub.recorder.point import Point

# 2026-01-01T00:00:00Z: fixed, so the expected values do not depend on the clock.
BASE_NS = 1_767_225_600_000_000_000
STEP_NS = 10_000_000  # 10 ms: 100 Hz


def make_points(
    n: int, *, start: int = 0, wearer: str = "w1", sensor: str = "lumbar"
) -> list[Point]:
    """``n`` points of measurement ``posture``: a float, an int code and a bool per point."""
    return [
        Point(
            "posture",
            {"wearer": wearer, "sensor": sensor},
            {"flexion_deg": flexion_of(i), "state": i % 3, "slouching": i % 2 == 0},
            BASE_NS + i * STEP_NS,
        )
        for i in range(start, start + n)
    ]


def flexion_of(i: int) -> float:
    return round((i % 1000) * 0.125 - 20.0, 3)


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` (a wait for an effect, not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout_s} s waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.05)
