"""Disk-backed MQTT outbox (SQLite, WAL): what was published while the broker was away.

Why: events, state and telemetry produced during a broker outage (or before a process restart)
must reach the broker afterwards, in order.  Every publish is first a row here; the adapter
*leases* rows in id order while connected, hands them to paho, and :meth:`Outbox.ack` deletes
rows only once the broker has them: a QoS 1 row on its PUBACK; a QoS 0 row (no ack exists) on
the PUBACK of a later QoS 1 message on the same connection -- the broker reads a connection in
order -- or, when the adapter has no availability topic to send such a marker, once written to
the socket.  A row is leased at most once per connection, so from the outbox's side each
message goes into the broker once; what a disconnect leaves unconfirmed is leased again (paho
keeps and re-sends its QoS 1 itself), and a crash between ack and delete re-sends too:
at-least-once overall, which idempotent consumers (the recorder) absorb.

Bounded by ``max_messages`` and ``max_bytes`` (topic + payload + correlation data).  When a new
message does not fit, in this order:

1. the oldest un-leased QoS 0 rows (telemetry, raw blocks) are dropped to make room;
2. if that is not enough and the new message is QoS 0, the new message is dropped;
3. otherwise the oldest un-leased QoS >= 1 rows are dropped (newer state and events matter more
   than older ones after a long outage);
4. if even that cannot make room (a single message larger than ``max_bytes``, or everything
   leased), the new message is dropped.

Every drop is counted in :class:`OutboxStats` and logged as a warning (at most every 10 s).
Durability: ``synchronous=NORMAL`` in WAL mode survives a process crash (the case we test);
a power cut may lose the last few commits.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["Outbox", "OutboxError", "OutboxMessage", "OutboxStats"]

_log = logging.getLogger(__name__)

_SCHEMA_VERSION: Final = 1
_WARN_EVERY_S: Final = 10.0


class OutboxError(RuntimeError):
    """The outbox file cannot be opened or written (wrong schema, disk error)."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One stored publish; ``row_id`` orders delivery."""

    row_id: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    correlation_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class OutboxStats:
    messages: int
    size_bytes: int
    leased: int
    stored_total: int
    acked_total: int
    dropped_qos0: int
    dropped_qos1: int


class Outbox:
    """A bounded, ordered, crash-safe queue of publishes; every method is thread-safe."""

    def __init__(
        self,
        path: Path | str,
        *,
        max_messages: int = 100_000,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError("max_messages and max_bytes must be positive")
        self.path = Path(path)
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version not in {0, _SCHEMA_VERSION}:
                raise OutboxError(f"{path}: outbox schema {version}, expected {_SCHEMA_VERSION}")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,"
                " retain INTEGER NOT NULL, correlation BLOB, size INTEGER NOT NULL)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS outbox_qos ON outbox (qos, id)")
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox"
            ).fetchone()
        except sqlite3.Error as exc:
            raise OutboxError(f"{path}: {exc}") from exc
        self._count = int(count)
        self._bytes = int(size)
        self._leased: dict[int, int] = {}  # row id -> size
        self._cursor = 0  # every row with id <= cursor is leased (or gone)
        self._stored = 0
        self._acked = 0
        self._dropped_qos0 = 0
        self._dropped_qos1 = 0
        self._last_warning = -_WARN_EVERY_S
        if count:
            _log.info("outbox %s: %d message(s) left from a previous run", path, count)

    def put(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool,
        correlation_data: bytes | None = None,
    ) -> int | None:
        """Store a message; its row id, or None when the full policy dropped it."""
        size = len(topic.encode()) + len(payload) + len(correlation_data or b"")
        with self._lock:
            if not self._make_room(size, qos):
                if qos == 0:
                    self._dropped_qos0 += 1
                else:
                    self._dropped_qos1 += 1
                self._warn_dropped()
                return None
            try:
                cur = self._db.execute(
                    "INSERT INTO outbox (topic, payload, qos, retain, correlation, size)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (topic, payload, qos, int(retain), correlation_data, size),
                )
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: {exc}") from exc
            self._count += 1
            self._bytes += size
            self._stored += 1
            return int(cur.lastrowid or 0)

    def lease(self, limit: int) -> list[OutboxMessage]:
        """The next ``limit`` un-leased rows in id order, marked leased."""
        if limit <= 0:
            return []
        with self._lock:
            skip = sum(1 for r in self._leased if r > self._cursor)  # only after a release
            rows = self._db.execute(
                "SELECT id, topic, payload, qos, retain, correlation, size FROM outbox"
                " WHERE id > ? ORDER BY id LIMIT ?",
                (self._cursor, limit + skip),
            ).fetchall()
            fresh = [r for r in rows if r[0] not in self._leased][:limit]
            out = [
                OutboxMessage(int(r[0]), str(r[1]), bytes(r[2]), int(r[3]), bool(r[4]), r[5])
                for r in fresh
            ]
            for r in fresh:
                self._leased[int(r[0])] = int(r[6])
            if out:
                self._cursor = max(self._cursor, out[-1].row_id)
            return out

    def ack(self, row_ids: Iterable[int]) -> None:
        """The broker has these messages: delete them (one transaction)."""
        with self._lock:
            gone = [(r, self._leased.pop(r)) for r in row_ids if r in self._leased]
            if not gone:
                return
            try:
                with self._db:  # one commit for the batch
                    self._db.execute("BEGIN")
                    self._db.executemany("DELETE FROM outbox WHERE id = ?", [(r,) for r, _ in gone])
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: {exc}") from exc
            self._count -= len(gone)
            self._bytes -= sum(size for _, size in gone)
            self._acked += len(gone)

    def release(self, row_ids: Iterable[int]) -> None:
        """Make leased rows leasable again (they will be handed out again, in order)."""
        with self._lock:
            released = [r for r in row_ids if r in self._leased]
            for r in released:
                del self._leased[r]
            if released:
                self._cursor = min(self._cursor, min(released) - 1)

    def release_all(self) -> None:
        with self._lock:
            self._leased.clear()
            self._cursor = 0

    def __len__(self) -> int:
        with self._lock:
            return self._count

    @property
    def stats(self) -> OutboxStats:
        with self._lock:
            return OutboxStats(
                messages=self._count,
                size_bytes=self._bytes,
                leased=len(self._leased),
                stored_total=self._stored,
                acked_total=self._acked,
                dropped_qos0=self._dropped_qos0,
                dropped_qos1=self._dropped_qos1,
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _make_room(self, size: int, qos: int) -> bool:
        """Apply the full policy for one new message of ``size`` bytes (lock held)."""
        if size > self.max_bytes:
            return False
        if self._fits(size):
            return True
        self._evict(0, size, qos_min=0, qos_max=0)
        if self._fits(size):
            return True
        if qos == 0:
            return False
        self._evict(1, size, qos_min=1, qos_max=2)
        return self._fits(size)

    def _fits(self, size: int) -> bool:
        return self._count + 1 <= self.max_messages and self._bytes + size <= self.max_bytes

    def _evict(self, kind: int, size: int, *, qos_min: int, qos_max: int) -> None:
        victims: list[int] = []
        freed_msgs = 0
        freed_bytes = 0
        cursor = self._db.execute(
            "SELECT id, size FROM outbox WHERE qos BETWEEN ? AND ? ORDER BY id",
            (qos_min, qos_max),
        )
        for row_id, row_size in cursor:
            if (
                self._count - freed_msgs + 1 <= self.max_messages
                and self._bytes - freed_bytes + size <= self.max_bytes
            ):
                break
            if row_id in self._leased:
                continue
            victims.append(int(row_id))
            freed_msgs += 1
            freed_bytes += int(row_size)
        cursor.close()
        if not victims:
            return
        self._db.executemany("DELETE FROM outbox WHERE id = ?", [(v,) for v in victims])
        self._count -= freed_msgs
        self._bytes -= freed_bytes
        if kind == 0:
            self._dropped_qos0 += freed_msgs
        else:
            self._dropped_qos1 += freed_msgs
        self._warn_dropped()

    def _warn_dropped(self) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            _log.warning(
                "outbox %s full (%d messages, %d bytes): dropped %d QoS 0 and %d QoS>=1 so far",
                self.path,
                self._count,
                self._bytes,
                self._dropped_qos0,
                self._dropped_qos1,
            )
