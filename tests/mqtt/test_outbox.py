"""The disk outbox: order, leases, acks, restart, and the documented full policy."""

from __future__ import annotations

from pathlib import Path

from sensor_hub.mqtt.outbox import Outbox


def _fill(box: Outbox, spec: list[tuple[str, int]]) -> list[int | None]:
    return [box.put(topic, topic.encode(), qos, False) for topic, qos in spec]


def test_lease_in_order_ack_deletes(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    ids = _fill(box, [("a", 1), ("b", 0), ("c", 1)])
    first = box.lease(2)
    assert [m.topic for m in first] == ["a", "b"]
    assert [m.row_id for m in first] == ids[:2]
    assert [m.topic for m in box.lease(5)] == ["c"]
    assert box.lease(5) == []
    box.ack([first[0].row_id])
    box.ack([first[0].row_id])  # twice: harmless
    assert len(box) == 2
    assert box.stats.leased == 2
    assert box.stats.acked_total == 1


def test_release_hands_rows_out_again_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    _fill(box, [(t, 0) for t in "abcde"])
    leased = box.lease(4)
    box.ack([leased[0].row_id])
    box.release([leased[1].row_id, leased[3].row_id])
    assert [m.topic for m in box.lease(10)] == ["b", "d", "e"]
    box.release_all()
    assert [m.topic for m in box.lease(10)] == ["b", "c", "d", "e"]


def test_survives_a_restart(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    _fill(box, [("a", 1), ("b", 0)])
    box.put("c", b"\x00\xff", 1, True, correlation_data=b"id-7")
    box.ack([box.lease(1)[0].row_id])
    box.close()
    again = Outbox(tmp_path / "o.db")
    assert len(again) == 2
    msgs = again.lease(10)
    assert [(m.topic, m.qos, m.retain) for m in msgs] == [("b", 0, False), ("c", 1, True)]
    assert msgs[1].payload == b"\x00\xff"
    assert msgs[1].correlation_data == b"id-7"
    # ids keep growing after the oldest rows are gone (AUTOINCREMENT): order holds
    new_id = again.put("d", b"d", 0, False)
    assert new_id is not None
    assert new_id > msgs[1].row_id


def test_full_drops_oldest_qos0_first(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_messages=4)
    _fill(box, [("t1", 0), ("e1", 1), ("t2", 0), ("e2", 1)])
    assert box.put("e3", b"e3", 1, False) is not None
    assert box.put("t3", b"t3", 0, False) is not None
    assert [m.topic for m in box.lease(10)] == ["e1", "e2", "e3", "t3"]
    assert box.stats.dropped_qos0 == 2
    assert box.stats.dropped_qos1 == 0


def test_full_of_events_drops_new_telemetry_then_oldest_event(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_messages=3)
    _fill(box, [("e1", 1), ("e2", 1), ("e3", 1)])
    assert box.put("t1", b"t1", 0, False) is None  # telemetry never evicts an event
    assert box.stats.dropped_qos0 == 1
    assert box.put("e4", b"e4", 1, False) is not None  # the oldest event goes
    assert box.stats.dropped_qos1 == 1
    assert [m.topic for m in box.lease(10)] == ["e2", "e3", "e4"]


def test_leased_rows_are_never_evicted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_messages=2)
    _fill(box, [("e1", 1), ("e2", 1)])
    box.lease(2)
    assert box.put("e3", b"e3", 1, False) is None
    assert len(box) == 2
    assert box.stats.dropped_qos1 == 1


def test_bytes_bound(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_messages=1000, max_bytes=1024)
    assert box.put("big", b"x" * 2000, 1, False) is None  # larger than the whole outbox
    for i in range(10):
        assert box.put(f"t{i}", b"x" * 200, 0, False) is not None
    assert box.stats.size_bytes <= 1024
    assert box.stats.dropped_qos0 == 10 - len(box)
    assert [m.topic for m in box.lease(100)] == [f"t{i}" for i in range(10 - len(box), 10)]
