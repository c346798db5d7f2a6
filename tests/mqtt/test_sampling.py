"""Core outputs -> messages: the telemetry decimator, episodes, state snapshots."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensor_hub.mqtt.messages import EpisodeKind, PostureState
from sensor_hub.mqtt.payloads import event_payload, state_payload, telemetry_payload
from sensor_hub.mqtt.sampling import (
    DecimatorState,
    decimate,
    episode_message,
    is_slouching,
    sensor_state,
    telemetry_samples,
)
from sensor_hub.processing import (
    Activity,
    Band,
    CalibrationStatus,
    Episode,
    EpisodeEvent,
    Phase,
    PostureBlock,
    Role,
)
from sensor_hub.processing.calibration import ForwardAxis
from tests.mqtt import assert_valid

T0 = 1_764_000_000.0


def block(t: np.ndarray, flexion: np.ndarray | None = None) -> PostureBlock:
    n = t.shape[0]
    flex = np.linspace(0.0, 40.0, n) if flexion is None else flexion
    return PostureBlock(
        timestamp_s=t,
        quat_wxyz=np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)),
        flexion_deg=flex,
        lateral_deg=np.full(n, -1.5),
        activity=np.full(n, Activity.UPRIGHT, dtype=np.uint8),
        band=np.digitize(flex, (-10.0, 10.0, 20.0, 60.0)).astype(np.uint8),
        calibration=np.full(n, CalibrationStatus.OK, dtype=np.uint8),
        events=(),
        stance=np.zeros(n, dtype=np.uint8),
    )


def run(t: np.ndarray, cuts: list[int], rate_hz: float = 5.0) -> list[int]:
    state = DecimatorState()
    kept: list[int] = []
    edges = [0, *sorted(cuts), t.shape[0]]
    for a, b in itertools.pairwise(edges):
        keep, state = decimate(t[a:b], rate_hz, state)
        kept += (keep + a).tolist()
    return kept


def test_5hz_from_100hz_keeps_the_first_sample_of_each_200ms_slot() -> None:
    t = T0 + 0.003 + np.arange(1000) / 100.0  # 10 s
    kept = run(t, [])
    assert len(kept) == 50
    assert np.allclose(np.diff(t[kept]), 0.2)
    assert np.allclose((t[kept] - T0) % 0.2, 0.003, atol=1e-6)  # just after each slot edge


@settings(max_examples=200)
@given(
    cuts=st.lists(st.integers(0, 700), max_size=12),
    rate=st.sampled_from([0.5, 1.0, 5.0, 7.0, 10.0, 50.0, 100.0]),
    start=st.floats(0, 2e9, allow_nan=False),
)
def test_decimation_does_not_depend_on_block_boundaries(
    cuts: list[int], rate: float, start: float
) -> None:
    t = start + np.arange(700) / 100.0
    assert run(t, cuts, rate) == run(t, [], rate)


def test_gaps_skip_slots_and_time_stepping_back_is_silent() -> None:
    t = np.concatenate([np.arange(0, 1, 0.01), np.arange(5, 6, 0.01)])
    kept = run(t, [37, 100])
    assert len(kept) == 10
    keep, state = decimate(np.arange(0, 6, 0.01), 5.0, DecimatorState(last_slot=29))
    assert keep.size == 0
    assert state.last_slot == 29
    keep, _ = decimate(np.array([np.nan, 6.1]), 5.0, DecimatorState(last_slot=29))
    assert keep.tolist() == [1]


def test_empty_blocks_keep_the_state() -> None:
    state = DecimatorState(last_slot=7)
    keep, after = decimate(np.empty(0), 5.0, state)
    assert keep.size == 0
    assert after == state
    assert decimate(np.empty(0), 5.0, DecimatorState())[1] == DecimatorState()


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf"), 1001.0])
def test_bad_rates_are_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="telemetry rate"):
        decimate(np.arange(3.0), rate, DecimatorState())


def test_telemetry_samples_from_a_block() -> None:
    t = T0 + np.arange(100) / 100.0
    relative = np.full(100, np.nan)
    relative[40:] = 7.25
    msgs, state = telemetry_samples(
        "alice", Role.LUMBAR, block(t), DecimatorState(), relative_flexion_deg=relative
    )
    assert [m.ts_s for m in msgs] == pytest.approx((T0 + np.arange(0, 1, 0.2)).tolist())
    assert state.last_slot == int(np.floor((T0 + 0.8) * 5))
    assert msgs[0].relative_flexion_deg is not None
    assert np.isnan(msgs[0].relative_flexion_deg)
    assert msgs[2].relative_flexion_deg == 7.25
    assert msgs[-1].band is Band.MODERATE
    assert msgs[0].band is Band.NEUTRAL
    for m in msgs:
        assert m.sensor is Role.LUMBAR
        assert m.activity is Activity.UPRIGHT
        assert_valid("telemetry", telemetry_payload(m))
    more, _ = telemetry_samples("alice", Role.LUMBAR, block(t), state, rate_hz=1.0)
    assert more == []  # the same times again: nothing new


def test_episode_message_from_a_core_event() -> None:
    ep = Episode("pelvic_tilt", T0 + 20, T0 + 50, None, 25.0, 23.0)
    msg = episode_message("alice", Role.PELVIS, EpisodeEvent(Phase.ALERTED, T0 + 50, ep))
    assert msg.kind is EpisodeKind.PELVIC_TILT
    assert msg.phase is Phase.ALERTED
    assert msg.ts_s == T0 + 50
    assert msg.alert_s == T0 + 50
    assert msg.end_s is None
    assert_valid("event", event_payload(msg))


@dataclass(frozen=True)
class Link:
    connected: bool = True
    battery_pct: int | None = 80
    data_age_s: float | None = 0.5
    gaps: int = 1
    lost_samples: int = 3


def lean_event(phase: Phase) -> EpisodeEvent:
    return EpisodeEvent(phase, T0, Episode("forward_lean", T0 - 20, None, None, 25.0, 24.0))


def test_sensor_state_reads_the_newest_sample_and_the_link() -> None:
    t = T0 + np.arange(50) / 100.0
    state = sensor_state(
        "alice", Role.LUMBAR, ts_s=T0 + 1.0, block=block(t), link=Link(),
        last_event=lean_event(Phase.ALERTED),
    )  # fmt: skip
    assert state.posture is PostureState.SLOUCHING
    assert state.flexion_deg == pytest.approx(40.0)
    assert state.band is Band.MODERATE
    assert state.calibration is CalibrationStatus.OK
    assert state.paused_until_s is None
    assert (state.battery_pct, state.data_age_s, state.gaps, state.lost_samples) == (80, 0.5, 1, 3)
    assert_valid("state", state_payload(state))


def test_slouching_follows_the_newest_episode_event() -> None:
    assert not is_slouching(None)
    assert is_slouching(lean_event(Phase.STARTED))
    assert is_slouching(lean_event(Phase.ALERTED))
    assert not is_slouching(lean_event(Phase.ENDED))


def test_odd_link_figures_do_not_break_the_state() -> None:
    t = T0 + np.arange(5) / 100.0
    odd = Link(battery_pct=255, data_age_s=-0.01, gaps=-1, lost_samples=-5)
    state = sensor_state("a", Role.PELVIS, ts_s=T0, block=block(t), link=odd)
    assert state.battery_pct is None
    assert state.data_age_s == 0.0
    assert (state.gaps, state.lost_samples) == (0, 0)


def test_sensor_state_without_data_and_while_paused() -> None:
    empty = sensor_state("a", Role.PELVIS, ts_s=T0, block=None, link=None)
    assert empty.posture is PostureState.UNKNOWN
    assert empty.flexion_deg is None
    assert not empty.connected
    t = T0 + np.arange(5) / 100.0
    paused = sensor_state(
        "a", Role.PELVIS, ts_s=T0, block=block(t), link=Link(), paused_until_s=T0 + 60
    )
    assert paused.posture is PostureState.PAUSED
    assert paused.paused_until_s == T0 + 60
    over = sensor_state(
        "a", Role.PELVIS, ts_s=T0 + 61, block=block(t), link=Link(), paused_until_s=T0 + 60
    )
    assert over.posture is PostureState.UPRIGHT
    assert over.paused_until_s is None
    none = sensor_state("a", Role.PELVIS, ts_s=T0, block=block(t[:0]), link=Link())
    assert none.posture is PostureState.UNKNOWN
    down = sensor_state("a", Role.PELVIS, ts_s=T0, block=block(t), link=Link(connected=False))
    assert down.posture is PostureState.UNKNOWN
    assert down.flexion_deg is not None  # the last known angles stay
    for s in (empty, paused, over, none, down):
        assert_valid("state", state_payload(s))


def test_sensor_state_says_where_the_forward_axis_comes_from() -> None:
    t = T0 + np.arange(5) / 100.0
    learned = replace(block(t), forward_axis=ForwardAxis.BENDS, mount_yaw_deg=12.3)
    state = sensor_state("a", Role.LUMBAR, ts_s=T0, block=learned, link=Link())
    assert (state.forward_axis, state.mount_yaw_deg) == (ForwardAxis.BENDS, 12.3)
    payload = state_payload(state)
    assert_valid("state", payload)
    assert b'"forward_axis":"bends"' in payload
    assert b'"mount_yaw_deg":12.3' in payload
    case = sensor_state("a", Role.LUMBAR, ts_s=T0, block=block(t), link=Link())
    assert (case.forward_axis, case.mount_yaw_deg) == (ForwardAxis.CASE, 0.0)
    empty = sensor_state("a", Role.LUMBAR, ts_s=T0, block=None, link=None)
    assert (empty.forward_axis, empty.mount_yaw_deg) == (None, None)  # nothing known: not sent
    assert b"forward_axis" not in state_payload(empty)
    assert b"forward_axis" not in telemetry_payload(
        telemetry_samples("a", Role.LUMBAR, learned, DecimatorState())[0][0]
    )  # the state's, not the telemetry's
