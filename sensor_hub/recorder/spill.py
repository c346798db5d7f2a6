"""A bounded, crash-safe disk spill of line-protocol batches, replayed oldest first.

Why SQLite (WAL, ``synchronous=FULL``) rather than segment files: one append is one
transaction, so a crash (or power loss) mid-append leaves either the whole batch or nothing,
and "delete after the store acknowledged" is a single ``DELETE`` by id: no torn tails, no
fsync choreography on directories, no partial-segment bookkeeping.  Appends happen only while
the store is unreachable, so their cost (one fsync each) is not on the normal write path.

The spill stores batches exactly as the store will receive them (newline-separated line
protocol, UTF-8), which keeps it store-neutral and makes replay a plain re-send.

Bounded in bytes (``max_bytes``, counting batch bodies): when a new batch does not fit, the
oldest batches are dropped, their points counted in :attr:`Spill.dropped_points`, and a
warning is logged; a single batch larger than the whole bound is dropped itself.  Losing the
oldest keeps the most recent data — what a dashboard shows first after an outage.

Thread-safe: one connection guarded by a lock (the writer thread appends and replays; another
thread may read the counters).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_SPILL_MAX_BYTES", "Spill", "SpillError", "SpilledBatch"]

DEFAULT_SPILL_MAX_BYTES = 256 * 1024 * 1024

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    n_points INTEGER NOT NULL,
    n_bytes INTEGER NOT NULL,
    body BLOB NOT NULL
)
"""


class SpillError(Exception):
    """The spill file cannot be opened or written (path, permissions, disk full, corruption)."""


@dataclass(frozen=True, slots=True)
class SpilledBatch:
    """One spilled batch: ``body`` is newline-separated line protocol of ``n_points`` points."""

    batch_id: int
    n_points: int
    body: bytes


class Spill:
    """Append-only FIFO of batches on disk (``path=None``: in memory, lost on exit)."""

    def __init__(self, path: Path | None, *, max_bytes: int = DEFAULT_SPILL_MAX_BYTES) -> None:
        if max_bytes <= 0:
            msg = f"spill max_bytes must be positive, got {max_bytes}"
            raise ValueError(msg)
        self.path = path
        self.max_bytes = max_bytes
        self.dropped_points = 0
        self._lock = threading.Lock()
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                ":memory:" if path is None else str(path),
                isolation_level=None,
                check_same_thread=False,
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(_SCHEMA)
            row = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(n_points), 0), COALESCE(SUM(n_bytes), 0) "
                "FROM batches"
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            msg = f"cannot open spill {path}: {exc}"
            raise SpillError(msg) from exc
        self._batches, self._points, self._bytes = (int(v) for v in row)

    @property
    def pending_batches(self) -> int:
        return self._batches

    @property
    def pending_points(self) -> int:
        return self._points

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    def append(self, body: bytes, n_points: int) -> int:
        """Store one batch durably; return the points dropped (oldest first) to make room."""
        size = len(body)
        with self._lock:
            try:
                if size > self.max_bytes:
                    self._count_dropped(n_points, f"a batch of {size} bytes exceeds the bound")
                    return n_points
                dropped = 0
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    while self._bytes + size > self.max_bytes:
                        dropped += self._drop_oldest_locked()
                    self._conn.execute(
                        "INSERT INTO batches (n_points, n_bytes, body) VALUES (?, ?, ?)",
                        (n_points, size, body),
                    )
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    self._reload_totals_locked()
                    raise
            except sqlite3.Error as exc:
                msg = f"cannot append to spill {self.path}: {exc}"
                raise SpillError(msg) from exc
            self._batches += 1
            self._points += n_points
            self._bytes += size
            if dropped:
                self._count_dropped(dropped, f"oldest, spill full at {self.max_bytes} bytes")
            return dropped

    def oldest(self) -> SpilledBatch | None:
        """The oldest batch still waiting for the store's acknowledgement, if any."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT id, n_points, body FROM batches ORDER BY id LIMIT 1"
                ).fetchone()
            except sqlite3.Error as exc:
                msg = f"cannot read spill {self.path}: {exc}"
                raise SpillError(msg) from exc
        if row is None:
            return None
        return SpilledBatch(int(row[0]), int(row[1]), bytes(row[2]))

    def ack(self, batch_id: int) -> None:
        """Delete a batch the store has acknowledged (unknown ids are ignored)."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "DELETE FROM batches WHERE id = ? RETURNING n_points, n_bytes", (batch_id,)
                ).fetchone()
            except sqlite3.Error as exc:
                msg = f"cannot remove an acknowledged batch from spill {self.path}: {exc}"
                raise SpillError(msg) from exc
            if row is not None:
                self._batches -= 1
                self._points -= int(row[0])
                self._bytes -= int(row[1])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _drop_oldest_locked(self) -> int:
        row = self._conn.execute(
            "DELETE FROM batches WHERE id = (SELECT MIN(id) FROM batches) "
            "RETURNING n_points, n_bytes"
        ).fetchone()
        if row is None:  # pragma: no cover - the byte total says there is something
            self._bytes = 0
            return 0
        self._batches -= 1
        self._points -= int(row[0])
        self._bytes -= int(row[1])
        return int(row[0])

    def _reload_totals_locked(self) -> None:
        row = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_points), 0), COALESCE(SUM(n_bytes), 0) FROM batches"
        ).fetchone()
        self._batches, self._points, self._bytes = (int(v) for v in row)

    def _count_dropped(self, n_points: int, why: str) -> None:
        self.dropped_points += n_points
        _log.warning("spill %s: dropped %d points (%s)", self.path, n_points, why)
