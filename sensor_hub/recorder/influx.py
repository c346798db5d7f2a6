"""Points into InfluxDB (2.x/3.x, or any server speaking its v2 write protocol) with nothing lost.

The only module importing influxdb-client.

Why synchronous writes from our own thread, not influxdb-client's batching ``WriteApi``: the
batching API keeps its queue in memory and, once its retries are exhausted, hands the batch
to an error callback on its own scheduler thread — after which ordering against later batches
is gone and a crash in between loses it.  Here one thread owns the whole life of a batch, so
every accepted point is, at every moment, in exactly one place — the in-memory buffer, the
request in flight, the disk spill, or acknowledged (or counted as dropped with a reason) —
and that is what makes "zero points lost, spill to disk, replay in order" checkable.  The
client is used with ``SYNCHRONOUS`` writes of pre-built line protocol (``to_line_protocol``),
one HTTP request per batch, without its own retries (``retries`` is off by default).

The life of a batch
-------------------
1. :meth:`InfluxWriter.write` encodes points to line protocol and appends them to the buffer
   (never touches the network).  A batch leaves the buffer when it holds ``batch_size``
   points, when ``flush_interval_s`` has passed, or on :meth:`~InfluxWriter.flush`.
2. The batch is POSTed.  On a connection error, a timeout, HTTP 429 or 5xx — and 401/403/404,
   which a fixed token or bucket cures — it is retried up to ``max_retries`` times with
   exponential backoff (jittered, ``Retry-After`` honoured).  HTTP 400/413/422 mean the store
   refuses the data itself: the batch is dropped (reason ``rejected``) and logged.
3. Retries exhausted (or the buffer outgrew ``max_buffer_points`` meanwhile, or the writer is
   closing): the batch goes to the disk spill and the store is marked down.  While anything is
   in the spill, new batches are appended behind it, so order is kept.
4. While down, the oldest spilled batch is re-sent every ``probe_interval_s`` (the probe is a
   real write).  Once acknowledged it is deleted and the rest replays oldest first.
5. A spill left by a previous process is replayed at start.

Bounds: memory holds at most ``max_buffer_points`` (plus what arrives during one request);
beyond that, batches go to disk even while the store answers; the disk holds at most
``spill_max_bytes``, beyond which the oldest spilled points are dropped (``spill_full``, with a
warning).  Without a ``spill_path`` the spill is in memory: same bounds, but what is left in
it at ``close`` is counted as ``unsent_at_close``.  While the store is unreachable a batch
settles (``flush`` returns) after its retries: about ``backoff_initial_s * 2**max_retries`` plus
one ``timeout_s`` per attempt when the host does not answer at all.

Idempotence: a point's identity is its measurement, tags and timestamp (no random tags are
added), so a batch written twice — acknowledged by the store but the answer lost — overwrites.

Counters (:class:`WriterStats`): ``written`` (acknowledged on first send), ``replayed``
(acknowledged from the spill), ``spilled``, ``retried`` (repeated attempts), ``dropped`` by
:class:`DropReason`.  After :meth:`~InfluxWriter.flush`, every accepted point is in
``written + replayed + sum(dropped) + spill_pending``.

The token comes from the config or ``POSTURE_HUB_INFLUX_TOKEN`` and is never logged or shown in
a ``repr``.
"""

from __future__ import annotations

import enum
import logging
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Final, cast

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException

from sensor_hub.recorder.point import Point, to_line_protocol
from sensor_hub.recorder.spill import DEFAULT_SPILL_MAX_BYTES, Spill, SpillError

__all__ = [
    "TOKEN_ENV",
    "DropReason",
    "InfluxConfig",
    "InfluxConfigError",
    "InfluxWriter",
    "WriterClosedError",
    "WriterStats",
]

TOKEN_ENV: Final = "POSTURE_HUB_INFLUX_TOKEN"  # noqa: S105 - the variable's name, not a secret

_log = logging.getLogger(__name__)

_NS: Final = cast("WritePrecision", WritePrecision.NS)
_REJECTED_STATUS: Final = frozenset({400, 413, 422})


class InfluxConfigError(ValueError):
    """An unusable writer configuration (bad URL, non-positive sizes or intervals)."""


class WriterClosedError(RuntimeError):
    """``write`` after ``close``."""


class DropReason(enum.Enum):
    REJECTED = "rejected"  # the store refused the data itself (HTTP 400/413/422)
    SPILL_FULL = "spill_full"  # the oldest spilled points made room for newer ones
    SPILL_ERROR = "spill_error"  # the spill file could not be written (disk full, permissions)
    UNSENT_AT_CLOSE = "unsent_at_close"  # left in an in-memory spill (no spill_path) at close


@dataclass(frozen=True, slots=True)
class InfluxConfig:
    """Where and how to write.  ``token=None`` reads :data:`TOKEN_ENV` (may be unset)."""

    url: str
    org: str
    bucket: str
    token: str | None = field(default=None, repr=False)
    batch_size: int = 5000
    flush_interval_s: float = 1.0
    timeout_s: float = 10.0
    max_retries: int = 4
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    probe_interval_s: float = 5.0
    max_buffer_points: int = 500_000
    spill_path: Path | None = None
    spill_max_bytes: int = DEFAULT_SPILL_MAX_BYTES
    gzip: bool = False

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            msg = f"influx url must start with http:// or https://, got {self.url!r}"
            raise InfluxConfigError(msg)
        if not self.bucket:
            msg = "influx bucket must not be empty"
            raise InfluxConfigError(msg)
        positive = {
            "batch_size": self.batch_size,
            "flush_interval_s": self.flush_interval_s,
            "timeout_s": self.timeout_s,
            "backoff_initial_s": self.backoff_initial_s,
            "backoff_max_s": self.backoff_max_s,
            "probe_interval_s": self.probe_interval_s,
            "max_buffer_points": self.max_buffer_points,
            "spill_max_bytes": self.spill_max_bytes,
        }
        for name, value in positive.items():
            if not value > 0:
                msg = f"influx {name} must be positive, got {value}"
                raise InfluxConfigError(msg)
        if self.max_retries < 0:
            msg = f"influx max_retries must be >= 0, got {self.max_retries}"
            raise InfluxConfigError(msg)

    def resolved_token(self) -> str | None:
        return self.token if self.token is not None else os.environ.get(TOKEN_ENV)


@dataclass(frozen=True, slots=True)
class WriterStats:
    written: int
    retried: int
    spilled: int
    replayed: int
    dropped: Mapping[DropReason, int]
    buffered: int
    spill_pending: int
    store_up: bool

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


@dataclass(frozen=True, slots=True)
class _Failure:
    retryable: bool
    retry_after_s: float
    why: str


class InfluxWriter:
    """Batching, retrying, spilling writer; thread-safe ``write``, one background thread."""

    def __init__(self, config: InfluxConfig) -> None:
        self.config = config
        self._spill = Spill(config.spill_path, max_bytes=config.spill_max_bytes)
        self._client = InfluxDBClient(
            url=config.url,
            token=config.resolved_token() or "",
            org=config.org,
            timeout=max(1, round(config.timeout_s * 1000)),
            enable_gzip=config.gzip,
        )
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._cond = threading.Condition()
        self._buffer: deque[bytes] = deque()
        self._accepted = 0
        self._settled = 0
        self._flush_target = 0
        self._closing = False
        self._closed = False
        self._close_deadline = 0.0
        self._last_take = time.monotonic()
        self._down = self._spill.pending_batches > 0
        self._next_probe = time.monotonic()
        self._written = self._retried = self._spilled = self._replayed = 0
        self._dropped = dict.fromkeys(DropReason, 0)
        if self._down:
            _log.info("influx: %d points left in the spill, replaying", self._spill.pending_points)
        self._thread = threading.Thread(target=self._run, name="influx-writer", daemon=True)
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------------

    def write(self, points: Iterable[Point]) -> None:
        lines = [to_line_protocol(p).encode() for p in points]
        if not lines:
            return
        with self._cond:
            if self._closing:
                msg = "write on a closed InfluxWriter"
                raise WriterClosedError(msg)
            was_empty = not self._buffer
            self._buffer.extend(lines)
            self._accepted += len(lines)
            # The writer sleeps without a deadline while the buffer is empty: the first points
            # start the flush interval, a full batch goes at once.
            if was_empty or len(self._buffer) >= self.config.batch_size:
                self._cond.notify_all()

    def flush(self, timeout_s: float | None = None) -> bool:
        """Block until every point accepted so far is acknowledged, spilled or dropped."""
        with self._cond:
            target = self._accepted
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            return self._cond.wait_for(
                lambda: self._settled >= target or not self._thread.is_alive(), timeout_s
            )

    def close(self, timeout_s: float = 10.0) -> None:
        """Send or spill the buffer, replay the spill while the store answers (up to
        ``timeout_s``), then release the client and the spill file."""
        with self._cond:
            if self._closed:
                return
            self._closing = True
            self._close_deadline = time.monotonic() + timeout_s
            self._cond.notify_all()
        self._thread.join(timeout_s + self.config.timeout_s + 1.0)
        if self._thread.is_alive():
            _log.warning("influx: the writer thread did not stop; closing under it")
        with self._cond:
            self._closed = True
            if self._spill.path is None and self._spill.pending_points:
                self._dropped[DropReason.UNSENT_AT_CLOSE] += self._spill.pending_points
        self._client.close()  # type: ignore[no-untyped-call]
        self._spill.close()

    def __enter__(self) -> InfluxWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(
                written=self._written,
                retried=self._retried,
                spilled=self._spilled,
                replayed=self._replayed,
                dropped=MappingProxyType(dict(self._dropped)),
                buffered=len(self._buffer),
                spill_pending=self._spill.pending_points,
                store_up=not self._down,
            )

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # noqa: BLE001 - a bug here must not vanish with the thread
            _log.exception("influx: the writer thread failed; spilling the buffer")
            with self._cond:
                lines = list(self._buffer)
                self._buffer.clear()
            for k in range(0, len(lines), self.config.batch_size):
                chunk = lines[k : k + self.config.batch_size]
                self._to_spill(b"\n".join(chunk), len(chunk))
            self._settle(len(lines))

    def _loop(self) -> None:
        while True:
            lines, closing = self._take()
            if lines:
                if self._down or self._spill.pending_batches or self._overflowing():
                    self._to_spill(b"\n".join(lines), len(lines))
                else:
                    self._send_live(b"\n".join(lines), len(lines))
                self._settle(len(lines))
            if self._spill.pending_batches and (
                not self._down or time.monotonic() >= self._next_probe
            ):
                self._replay_one()
            if closing and not self._buffer:
                self._drain_before_close()
                return

    def _take(self) -> tuple[list[bytes], bool]:
        """Wait for a batch (full, due, flushed or closing); return it and the closing flag."""
        cfg = self.config
        with self._cond:
            while True:
                now = time.monotonic()
                due = self._last_take + cfg.flush_interval_s
                ready = (
                    len(self._buffer) >= cfg.batch_size
                    or (self._buffer and now >= due)
                    or self._settled < self._flush_target
                    or self._closing
                )
                if ready:
                    break
                if self._spill.pending_batches and not self._down:
                    return [], False  # replaying: go send the next spilled batch
                wake = due if self._buffer else math.inf
                if self._spill.pending_batches:
                    wake = min(wake, self._next_probe)
                if wake <= now:
                    return [], False
                self._cond.wait(None if wake == math.inf else wake - now)
            n = min(len(self._buffer), cfg.batch_size)
            lines = [self._buffer.popleft() for _ in range(n)]
            self._last_take = now
            return lines, self._closing

    def _settle(self, n_points: int) -> None:
        with self._cond:
            self._settled += n_points
            self._cond.notify_all()

    def _overflowing(self) -> bool:
        with self._cond:
            return len(self._buffer) > self.config.max_buffer_points

    def _send_live(self, body: bytes, n_points: int) -> None:
        cfg = self.config
        attempt = 0
        while True:
            failure = self._post(body)
            if failure is None:
                with self._cond:
                    self._written += n_points
                if self._down:
                    _log.info("influx: store is back")
                self._down = False
                return
            if not failure.retryable:
                self._drop(DropReason.REJECTED, n_points, failure.why)
                return
            if attempt >= cfg.max_retries:
                _log.warning("influx: %s; spilling to disk until the store is back", failure.why)
                self._mark_down()
                self._to_spill(body, n_points)
                return
            backoff = min(cfg.backoff_max_s, cfg.backoff_initial_s * 2.0**attempt)
            delay = max(backoff * random.uniform(0.5, 1.0), failure.retry_after_s)  # noqa: S311
            attempt += 1
            with self._cond:
                self._retried += 1
                gave_up = self._cond.wait_for(
                    lambda: self._closing or len(self._buffer) > cfg.max_buffer_points,
                    min(delay, cfg.backoff_max_s),
                )
            if gave_up:
                self._mark_down()
                self._to_spill(body, n_points)
                return

    def _replay_one(self) -> None:
        try:
            batch = self._spill.oldest()
        except SpillError as exc:
            _log.error("influx: %s", exc)
            self._mark_down()
            return
        if batch is None:
            return
        failure = self._post(batch.body)
        if failure is not None and failure.retryable:
            self._mark_down()
            return
        if failure is None:
            with self._cond:
                self._replayed += batch.n_points
            if self._down:
                _log.info("influx: store is back, replaying %d points", self._spill.pending_points)
            self._down = False
        else:
            self._drop(DropReason.REJECTED, batch.n_points, failure.why)
        try:
            self._spill.ack(batch.batch_id)
        except SpillError as exc:  # replayed again later: an idempotent overwrite
            _log.error("influx: %s", exc)

    def _drain_before_close(self) -> None:
        while self._spill.pending_batches and not self._down:
            if time.monotonic() >= self._close_deadline:
                break
            self._replay_one()
        if self._spill.pending_points:
            _log.warning(
                "influx: closing with %d points in the spill %s",
                self._spill.pending_points,
                self._spill.path or "(in memory)",
            )

    def _mark_down(self) -> None:
        self._down = True
        self._next_probe = time.monotonic() + self.config.probe_interval_s

    def _to_spill(self, body: bytes, n_points: int) -> None:
        try:
            dropped = self._spill.append(body, n_points)
        except SpillError as exc:
            self._drop(DropReason.SPILL_ERROR, n_points, str(exc))
            return
        with self._cond:
            self._spilled += n_points
            self._dropped[DropReason.SPILL_FULL] += dropped

    def _drop(self, reason: DropReason, n_points: int, why: str) -> None:
        _log.error("influx: dropped %d points (%s): %s", n_points, reason.value, why)
        with self._cond:
            self._dropped[reason] += n_points

    def _post(self, body: bytes) -> _Failure | None:
        cfg = self.config
        try:
            self._write_api.write(bucket=cfg.bucket, org=cfg.org, record=body, write_precision=_NS)
        except ApiException as exc:
            status = int(exc.status or 0)
            retry_after = _seconds(getattr(exc, "retry_after", None))
            why = f"HTTP {status} {exc.reason}: {str(exc.body or b'')[:200]}"
            return _Failure(status not in _REJECTED_STATUS, retry_after, why)
        except Exception as exc:  # noqa: BLE001 - urllib3/socket errors: the store is unreachable
            return _Failure(True, 0.0, f"{type(exc).__name__}: {exc}")
        return None


def _seconds(header: object) -> float:
    try:
        return max(0.0, float(str(header)))
    except ValueError:
        return 0.0
