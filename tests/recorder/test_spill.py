"""The disk spill: FIFO, durable across reopen and crash, bounded with drop-oldest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sensor_hub.recorder.spill import Spill, SpillError


def _body(i: int, size: int = 10) -> bytes:
    return f"m v={i} {i}".encode().ljust(size, b" ")


def test_fifo_and_ack(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "spill.db")
    for i in range(5):
        assert spill.append(_body(i), 1) == 0
    assert (spill.pending_batches, spill.pending_points) == (5, 5)
    seen = []
    while (batch := spill.oldest()) is not None:
        seen.append(batch.body)
        spill.ack(batch.batch_id)
    assert seen == [_body(i) for i in range(5)]
    assert (spill.pending_batches, spill.pending_points, spill.pending_bytes) == (0, 0, 0)
    spill.close()


def test_unacknowledged_batches_survive_reopen(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "spill.db")
    for i in range(3):
        spill.append(_body(i), 2)
    first = spill.oldest()
    assert first is not None
    spill.ack(first.batch_id)
    spill.close()
    again = Spill(tmp_path / "spill.db")
    assert (again.pending_batches, again.pending_points) == (2, 4)
    batch = again.oldest()
    assert batch is not None
    assert batch.body == _body(1)
    again.close()


def test_batches_survive_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "spill.db"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from sensor_hub.recorder.spill import Spill
        spill = Spill(Path({str(path)!r}))
        for i in range(10):
            spill.append(b"m v=%d %d" % (i, i), 1)
        os._exit(9)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == 9
    spill = Spill(path)
    assert spill.pending_points == 10
    batch = spill.oldest()
    assert batch is not None
    assert batch.body == b"m v=0 0"
    spill.close()


def test_full_spill_drops_the_oldest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spill = Spill(tmp_path / "spill.db", max_bytes=100)
    dropped = [spill.append(_body(i), 3) for i in range(12)]  # 10 bytes each
    assert sum(dropped) == 2 * 3
    assert spill.dropped_points == 6
    assert spill.pending_bytes == 100
    batch = spill.oldest()
    assert batch is not None
    assert batch.body == _body(2)
    assert "dropped" in caplog.text
    assert spill.append(b"x" * 101, 7) == 7  # larger than the whole bound: dropped itself
    assert spill.pending_points == 30
    spill.close()


def test_unusable_path_is_a_spill_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(SpillError):
        Spill(tmp_path / "file" / "spill.db")


def test_in_memory_spill(tmp_path: Path) -> None:
    spill = Spill(None, max_bytes=1000)
    spill.append(b"m v=1 1", 1)
    assert spill.pending_points == 1
    spill.close()
