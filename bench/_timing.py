"""Shared timing helper of the benchmark scripts (run as ``python bench/<name>.py``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs of ``fn``, seconds (the least disturbed one)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
