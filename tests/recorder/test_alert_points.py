"""The recorder stores the alert policy's decisions (issue 6): the events a hub publishes for a
day's buzzes, suppressions, answers and positive feedback become points in the embedded store,
idempotently, and the day's adherence can be read back from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensor_hub.alerts import Action, Answered, Buzz, PositiveFeedback, Suppressed
from sensor_hub.mqtt.alert_messages import decision_message
from sensor_hub.mqtt.client import InboundMessage, MessageHandler
from sensor_hub.mqtt.payloads import encode
from sensor_hub.mqtt.topics import Topics
from sensor_hub.recorder.service import Recorder
from sensor_hub.recorder.sqlite_store import SqliteStore
from sensor_hub.schema import ANSWER_CODES, Measurement
from tests.alerts import T0, of
from tests.mqtt.test_alert_messages import a_day


class NoClient:
    def subscribe(self, topic_filter: str, qos: int, handler: MessageHandler) -> None:
        raise AssertionError("not used: messages are handed to Recorder.handle")


def published(actions: list[Action], wearer: str = "alice") -> list[InboundMessage]:
    """The events-topic messages a hub publishes for ``actions``."""
    topic = Topics(wearer).events
    messages = [decision_message(wearer, a) for a in actions]
    return [InboundMessage(topic, encode(m), 1, False) for m in messages if m is not None]


def test_decisions_become_points_in_the_embedded_store(tmp_path: Path) -> None:
    log = a_day()
    with SqliteStore(tmp_path / "store.db", retention_days=None) as store:
        recorder = Recorder(NoClient(), [store])
        inbound = published(log)
        for message in inbound:
            recorder.handle(message)
        assert recorder.stats.rejected == {}
        assert recorder.stats.ignored == 0

        frames = store.query(Measurement.ALERT.value, ["level", "count"], wearer="alice")
        buzzed = [f for f in frames if f.tags["outcome"] == "buzzed"]
        suppressed = [f for f in frames if f.tags["outcome"] == "suppressed"]
        buzzes = of(log, Buzz)
        assert sum(len(f.time_ns) for f in buzzed) == len(buzzes)
        assert {f.tags["kind"] for f in buzzed} == {"forward_lean", "pelvic_tilt"}
        times = sorted(t for f in buzzed for t in f.time_ns.tolist())
        assert times == sorted(round(b.time_s * 1000) * 1_000_000 for b in buzzes)
        reasons = {f.tags["reason"] for f in suppressed}
        assert reasons == {s.reason.value for s in of(log, Suppressed)}
        assert "snoozed" in reasons
        assert all(np.all(f.values["count"] == 1) for f in frames)

        (answer,) = store.query(Measurement.ADHERENCE.value, ["answer", "response_s"])
        (answered,) = of(log, Answered)
        assert answer.tags["move"] == answered.move_id
        assert answer.tags["prompt"] == answered.prompt_id
        assert ANSWER_CODES[int(answer.values["answer"][0])] == "done"
        assert answer.values["response_s"][0] == round(answered.response_s, 3)

        (feedback,) = store.query(Measurement.FEEDBACK.value, ["corrected_after_s", "buzz"])
        (good,) = of(log, PositiveFeedback)
        assert feedback.values["corrected_after_s"].tolist() == [good.corrected_after_s]
        assert feedback.values["buzz"].tolist() == [1.0]

        # a replay (QoS 1 redelivery, a restarted recorder) overwrites: nothing new
        written = store.points_written
        rows = store._fetch("SELECT count(*) FROM points", ())
        for message in inbound:
            recorder.handle(message)
        assert store.points_written == 2 * written  # written again ...
        assert store._fetch("SELECT count(*) FROM points", ()) == rows  # ... onto themselves


def test_the_day_s_adherence_from_the_store(tmp_path: Path) -> None:
    """What a dashboard reads: buzzes per hour, suppressions by reason, prompts done."""
    log = a_day()
    with SqliteStore(tmp_path / "store.db", retention_days=None) as store:
        recorder = Recorder(NoClient(), [store])
        for message in published(log):
            recorder.handle(message)
        start, end = int(T0 * 1e9), int((T0 + 3600) * 1e9)
        frames = store.query(
            Measurement.ALERT.value, "count", start_ns=start, end_ns=end, tags={"outcome": "buzzed"}
        )
        assert sum(int(np.nansum(f.values["count"])) for f in frames) == len(of(log, Buzz))
        done = store.query(
            Measurement.ADHERENCE.value, "answer", tags={"wearer": "alice"}, start_ns=start
        )
        codes = [int(c) for f in done for c in f.values["answer"]]
        assert [ANSWER_CODES[c] for c in codes] == ["done"]
