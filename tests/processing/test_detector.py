"""The sustained-posture detector on angle series with known episodes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sensor_hub.processing.config import ProcessingConfig, Role
from sensor_hub.processing.detector import Episode, EpisodeDetector, Phase
from sensor_hub.processing.pipeline import PostureProcessor
from tests.processing.synth import lean_block

FS = 50.0


def run(
    t: np.ndarray,
    angle: np.ndarray,
    eligible: np.ndarray | None = None,
    *,
    blocks: list[int] | None = None,
    config: ProcessingConfig | None = None,
) -> list[Episode]:
    det = EpisodeDetector(config or ProcessingConfig())
    ok = np.ones(t.shape, dtype=bool) if eligible is None else eligible
    events = []
    edges = [0, *(np.cumsum(blocks).tolist() if blocks else []), len(t)]
    for a, b in itertools.pairwise(edges):
        events += det.update(t[a:b], angle[a:b], ok[a:b])
    events += det.finish()
    return [e.episode for e in events if e.phase is Phase.ENDED]


def series(duration_s: float, spans: list[tuple[float, float, float]]) -> tuple[np.ndarray, ...]:
    """Angle 0 except ``value`` during each ``(start, end, value)`` span."""
    t = np.arange(0.0, duration_s, 1.0 / FS)
    a = np.zeros_like(t)
    for start, end, value in spans:
        a[(t >= start) & (t < end)] = value
    return t, a


def test_one_sustained_lean_is_one_episode_with_alert_after_hold() -> None:
    t, a = series(200, [(20, 100, 30.0)])
    (ep,) = run(t, a)
    assert ep.kind == "forward_lean"
    assert ep.start_s == pytest.approx(20.0)
    assert ep.alert_s == pytest.approx(50.0)
    assert ep.end_s == pytest.approx(100.0)
    assert ep.peak_deg == 30.0
    assert ep.mean_deg == pytest.approx(30.0)


def test_short_dips_neither_end_nor_restart_an_episode() -> None:
    t, a = series(300, [(20, 60, 30.0), (63, 90, 30.0), (94.5, 150, 30.0)])
    (ep,) = run(t, a)
    assert (ep.start_s, ep.alert_s, ep.end_s) == pytest.approx((20.0, 50.0, 150.0))
    assert ep.mean_deg == pytest.approx(30.0)  # dips excluded


def test_a_long_return_splits_episodes() -> None:
    t, a = series(300, [(20, 60, 30.0), (68, 120, 30.0)])
    first, second = run(t, a)
    assert first.end_s == pytest.approx(60.0)
    assert second.start_s == pytest.approx(68.0)
    assert second.alert_s == pytest.approx(98.0)


def test_reaches_are_not_episodes_and_brief_leans_do_not_alert() -> None:
    t, a = series(300, [(20, 23, 45.0), (40, 44, 80.0), (100, 120, 30.0)])
    (ep,) = run(t, a)
    assert ep.start_s == pytest.approx(100.0)
    assert ep.alert_s is None
    assert ep.end_s == pytest.approx(120.0)


def test_hysteresis_keeps_an_episode_open_just_below_threshold() -> None:
    t, a = series(200, [(20, 60, 30.0), (60, 100, 18.5)])
    (ep,) = run(t, a)
    assert ep.end_s == pytest.approx(100.0)
    t, a = series(200, [(20, 60, 30.0), (60, 100, 16.0)])
    (ep,) = run(t, a)
    assert ep.end_s == pytest.approx(60.0)


def test_walking_or_lying_counts_as_a_dip() -> None:
    t, a = series(300, [(20, 150, 30.0)])
    eligible = ~((t >= 60) & (t < 63)) & ~((t >= 100) & (t < 110))
    first, second = run(t, a, eligible)
    assert (first.start_s, first.end_s) == pytest.approx((20.0, 100.0))
    assert second.start_s == pytest.approx(110.0)
    assert second.alert_s == pytest.approx(140.0)


def test_a_long_gap_ends_an_episode() -> None:
    t, a = series(300, [(20, 150, 30.0)])
    keep = (t < 80) | (t >= 90)
    first, second = run(t[keep], a[keep])
    assert first.end_s == pytest.approx(80.0 - 1 / FS)
    assert second.start_s == pytest.approx(90.0)


def test_an_episode_still_open_at_the_end_is_reported() -> None:
    t, a = series(100, [(20, 100, 30.0)])
    (ep,) = run(t, a)
    assert ep.end_s == pytest.approx(t[-1])
    assert ep.alert_s == pytest.approx(50.0)


def test_configurable_threshold_hold_and_kind() -> None:
    cfg = ProcessingConfig(role=Role.PELVIS, threshold_deg=10.0, hold_s=15.0)
    t, a = series(200, [(20, 60, 12.0)])
    (ep,) = run(t, a, config=cfg)
    assert ep.kind == "pelvic_tilt"
    assert ep.alert_s == pytest.approx(35.0)


def test_events_come_in_order_at_the_time_the_hub_knows_them() -> None:
    det = EpisodeDetector(ProcessingConfig())
    t, a = series(200, [(20, 100, 30.0)])
    events = det.update(t, a, np.ones(t.shape, dtype=bool))
    assert [e.phase for e in events] == [Phase.STARTED, Phase.ALERTED, Phase.ENDED]
    assert [e.time_s for e in events] == pytest.approx([30.0, 50.0, 105.0])


@pytest.mark.parametrize("seed", range(5))
def test_any_block_split_gives_identical_episodes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 600.0, 1.0 / FS)
    a = 22.0 * np.sin(t / 17.0) + 12.0 + rng.normal(0.0, 2.0, t.shape)
    eligible = rng.random(t.shape) > 0.001
    whole = run(t, a, eligible)
    assert whole
    blocks = rng.integers(1, 400, size=200).tolist()
    assert run(t, a, eligible, blocks=blocks) == whole


def test_thresholds_changed_mid_stream_apply_from_the_next_block() -> None:
    proc = PostureProcessor(ProcessingConfig(sample_rate_hz=100.0))
    t = np.arange(0.0, 80.0, 0.01)
    flexion = np.where(t > 10.0, 16.0, 0.0)  # below the default 20° threshold
    block = lean_block(t, flexion)
    first = proc.process(block.slice(0, 2000))  # 0-20 s: leaning 16°, no episode
    assert first.events == ()
    config = proc.set_thresholds(threshold_deg=12.0, hold_s=10.0)
    assert (config.threshold_deg, config.hold_s, config.dip_tolerance_s) == (12.0, 10.0, 5.0)
    events = proc.process(block.slice(2000, len(t))).events
    alerted = [e for e in events if e.phase is Phase.ALERTED]
    assert len(alerted) == 1
    assert alerted[0].time_s == pytest.approx(30.0, abs=0.05)  # started at 20 s, held 10 s


def test_invalid_thresholds_change_nothing() -> None:
    proc = PostureProcessor()
    with pytest.raises(ValueError, match="hysteresis"):
        proc.set_thresholds(threshold_deg=2.0)
    assert proc.config.threshold_deg == 20.0
