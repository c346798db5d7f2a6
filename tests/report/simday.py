"""A simulated day as the recorder would store it, built offline (no broker, no BLE).

``office_day`` (20 min) → :class:`PostureProcessor` in 1 s blocks → the hub's messages
(telemetry at 5 Hz, a state every 10 s, episode events) → plus the alert layer's messages the
hub publishes around them (a buzz and a prompt at each alert, an answer to each prompt, a
"well done" after each alerted episode, one suppressed prompt) → :func:`points_for`.

Both the Grafana tests (into InfluxDB 1.x) and the report tests (into SQLite) load it, and both
check their results against numpy on these same messages.  Cached per process.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from firmware_protocol import HapticPattern
from sensor_hub.mqtt.messages import (
    AlertMessage,
    Answer,
    AnswerMessage,
    EpisodeKind,
    EpisodeMessage,
    FeedbackMessage,
    Message,
    PromptMessage,
    SensorState,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
    Telemetry,
)
from sensor_hub.mqtt.sampling import (
    DecimatorState,
    episode_message,
    sensor_state,
    telemetry_samples,
)
from sensor_hub.processing import Phase, PostureProcessor, Role
from sensor_hub.processing.stance import Stance
from sensor_hub.recorder.point import Point
from sensor_hub.samples import SampleBlock
from sensor_hub.schema import points_for
from sensor_hub.simulate import simulate

WEARER = "alice"
OTHER = "bob"
#: The simulated day starts at 09:00 UTC on this date.
DAY = "2026-03-02"
START_S = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()
DURATION_MIN = 20.0
STATE_EVERY_S = 10.0
MOVES = ("cat_cow", "standing_back_extension")
ANSWERS = (Answer.DONE, Answer.SKIP)
#: Sitting/standing (test data: the office day has no sit-to-stand the classifier would see):
#: unknown for the first minute, a stand-up break from minute 8 to 11, sitting otherwise.
STANDING_MIN = (8.0, 11.0)
UNKNOWN_MIN = 1.0


def stance_at(ts_s: float) -> Stance:
    minute = (ts_s - START_S) / 60.0
    if minute < UNKNOWN_MIN:
        return Stance.UNKNOWN
    return Stance.STANDING if STANDING_MIN[0] <= minute < STANDING_MIN[1] else Stance.SITTING


@dataclass(frozen=True)
class Link:
    connected: bool
    battery_pct: int | None
    data_age_s: float | None
    gaps: int
    lost_samples: int


@dataclass(frozen=True)
class SimDay:
    telemetry: tuple[Telemetry, ...]
    states: tuple[SensorState, ...]
    episodes: tuple[EpisodeMessage, ...]
    events: tuple[Message, ...]  # alerts, prompts, answers, feedback
    other: tuple[Telemetry, ...]  # a second wearer's telemetry (must never leak into alice's)

    @property
    def messages(self) -> list[Message]:
        return [*self.telemetry, *self.states, *self.episodes, *self.events, *self.other]

    def points(self) -> list[Point]:
        return [p for m in self.messages for p in points_for(m)]

    @property
    def end_s(self) -> float:
        return max(m.ts_s for m in self.messages if hasattr(m, "ts_s"))  # type: ignore[union-attr]


def _events_for(episodes: list[EpisodeMessage]) -> list[Message]:
    out: list[Message] = []
    for k, ep in enumerate(e for e in episodes if e.phase is Phase.ALERTED):
        buzz_s = ep.ts_s + 0.1
        out.append(
            AlertMessage(
                WEARER,
                buzz_s,
                Role.LUMBAR,
                EpisodeKind.FORWARD_LEAN,
                0,
                HapticPattern.DOUBLE,
                60,
                ep.start_s,
            )
        )
        prompt_id = f"p-{k + 1:04d}"
        move = MOVES[k % len(MOVES)]
        out.append(
            PromptMessage(WEARER, buzz_s + 0.5, prompt_id, move, "forward_lean_alert", Role.LUMBAR)
        )
        answer = ANSWERS[k % len(ANSWERS)]
        out.append(AnswerMessage(WEARER, buzz_s + 30.5, prompt_id, move, answer, 30.0))
    out.extend(
        FeedbackMessage(WEARER, ep.ts_s + 0.2, Role.LUMBAR, EpisodeKind.FORWARD_LEAN, 3.0, True)
        for ep in episodes
        if ep.phase is Phase.ENDED and ep.alert_s is not None
    )
    first = episodes[0]
    out.append(
        SuppressedMessage(
            WEARER,
            first.ts_s + 1.0,
            SuppressedWhat.PROMPT,
            SuppressionReason.PROMPT_COOLDOWN,
            trigger="forward_lean_alert",
        )
    )
    return out


@functools.cache
def sim_day() -> SimDay:
    sim = simulate("office_day", seed=0, duration_min=DURATION_MIN)
    block = sim.block
    t = block.timestamp_s + START_S
    processor = PostureProcessor()
    decimator = DecimatorState()
    telemetry: list[Telemetry] = []
    states: list[SensorState] = []
    episodes: list[EpisodeMessage] = []
    next_state_s = t[0] + STATE_EVERY_S
    last_event = None
    edges = np.searchsorted(t, np.arange(t[0], t[-1] + 1.0, 1.0))
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        out = processor.process(SampleBlock(t[a:b], block.acc_mps2[a:b], block.gyr_rads[a:b]))
        relative = out.flexion_deg * 0.6  # a pelvis carrying 40 % of the lean (test data)
        msgs, decimator = telemetry_samples(
            WEARER, Role.LUMBAR, out, decimator, relative_flexion_deg=relative
        )
        telemetry += msgs
        for event in out.events:
            episodes.append(episode_message(WEARER, Role.LUMBAR, event))
            last_event = event
        now = float(t[b - 1])
        if now >= next_state_s:
            elapsed_min = (now - t[0]) / 60.0
            link = Link(
                True,
                90 - int(elapsed_min // 4),
                0.05 + 0.01 * (len(states) % 5),
                len(states) // 30,
                len(states) // 10,
            )
            states.append(
                sensor_state(
                    WEARER, Role.LUMBAR, ts_s=now, block=out, link=link, last_event=last_event
                )
            )
            next_state_s += STATE_EVERY_S
    episodes += [episode_message(WEARER, Role.LUMBAR, e) for e in processor.finish()]
    telemetry = [replace(m, stance=stance_at(m.ts_s)) for m in telemetry]
    states = [replace(m, stance=stance_at(m.ts_s)) for m in states]
    other = tuple(
        replace(m, wearer=OTHER, flexion_deg=(m.flexion_deg or 0.0) + 30.0) for m in telemetry[:600]
    )
    return SimDay(
        tuple(telemetry), tuple(states), tuple(episodes), tuple(_events_for(episodes)), other
    )
