"""What the recorder needs from a store: take points, flush, close.

Both :class:`~sensor_hub.recorder.influx.InfluxWriter` (asynchronous, batching, spilling) and
:class:`~sensor_hub.recorder.sqlite_store.SqliteStore` (synchronous transactions) satisfy it,
so the recorder fans points out to any number of stores without knowing which they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from sensor_hub.recorder.point import Point

__all__ = ["PointWriter"]


@runtime_checkable
class PointWriter(Protocol):
    def write(self, points: Iterable[Point]) -> None:
        """Accept points (never blocks on the network; may raise only on a closed writer)."""

    def flush(self, timeout_s: float | None = None) -> bool:
        """Block until everything accepted so far is stored or safely on disk; False on timeout."""

    def close(self) -> None:
        """Flush, then release the connection; later ``write`` calls raise."""
