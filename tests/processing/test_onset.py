"""Setting off (processing/onset.py): when the inclination is held on the gyroscope, the hold
itself in the orientation filter, and what it does to a simulated walker's first steps."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest

from sensor_hub.evaluation import inclination_error_deg
from sensor_hub.processing import PostureProcessor, ProcessingConfig
from sensor_hub.processing.onset import OnsetHold
from sensor_hub.processing.orientation import OrientationEstimator, OrientationParams
from sensor_hub.simulate import simulate

FS = 100.0
G = 9.80665


def signals(
    still_s: float, moving_s: float, *, steps: bool = True, fast_from_s: float | None = None
) -> dict[str, np.ndarray]:
    """Still for ``still_s``, then moving (step-like if ``steps``) for ``moving_s``; the trunk
    turns fast (90 °/s) from ``fast_from_s`` seconds into the movement."""
    n_still, n_move = round(still_s * FS), round(moving_s * FS)
    n = n_still + n_move
    t = np.arange(n) / FS
    quiet = np.arange(n) < n_still
    candidate = ~quiet & steps & (t >= still_s + 0.2)  # the step detector needs a moment
    gyr = np.zeros((n, 3))
    gyr[:, 1] = np.radians(10.0)
    if fast_from_s is not None:
        gyr[t >= still_s + fast_from_s, 1] = np.radians(90.0)
    return {"t_s": t, "quiet": quiet, "gait_candidate": candidate,
            "steady_gait": np.zeros(n, dtype=bool), "gyr_rads": gyr}  # fmt: skip


def held_span_s(hold: np.ndarray) -> float:
    return float(hold.sum() / FS)


def test_the_first_steps_after_keeping_still_are_held_until_the_hold_runs_out() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    sig = signals(5.0, 10.0)
    hold, begins = OnsetHold(cfg).update(**sig)
    t = sig["t_s"]
    assert not hold[t < 5.0].any()
    assert hold[(t >= 5.0) & (t < 5.0 + cfg.onset_hold_s)].all()
    assert not hold[t >= 5.0 + cfg.onset_hold_s].any()
    assert np.flatnonzero(begins).tolist() == [500]


def test_a_movement_that_does_not_look_like_steps_is_held_only_for_the_grace_time() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    hold, _ = OnsetHold(cfg).update(**signals(5.0, 10.0, steps=False))
    assert held_span_s(hold) == pytest.approx(cfg.onset_grace_s, abs=0.011)


def test_no_hold_without_a_still_spell_before_it() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    hold, _ = OnsetHold(cfg).update(**signals(cfg.quiet_min_s - 0.5, 10.0))
    assert not hold.any()


def test_walking_confirmed_ends_the_hold() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    sig = signals(5.0, 10.0)
    sig["steady_gait"] = sig["t_s"] >= 7.5
    hold, _ = OnsetHold(cfg).update(**sig)
    assert held_span_s(hold) == pytest.approx(2.5, abs=0.011)


def test_a_fast_turning_trunk_ends_the_hold_until_the_next_still_spell() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    sig = signals(5.0, 10.0, fast_from_s=1.0)
    hold, _ = OnsetHold(cfg).update(**sig)
    # held from the onset until the smoothed rate passes the limit, then never again
    assert 1.0 < held_span_s(hold) < 1.3
    assert not hold[sig["t_s"] >= 6.3].any()


def test_the_end_of_the_steps_in_a_steady_gait_settles_the_low_pass_once() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    sig = signals(3.0, 30.0)  # a hold runs out at 7 s; walking confirmed at 8 s
    t = sig["t_s"]
    sig["steady_gait"] = (t >= 8.0) & (t < 25.0)
    sig["gait_candidate"] = sig["gait_candidate"] & (t < 20.0)  # the steps end at 20 s
    hold, settle = OnsetHold(cfg).update(**sig)
    assert np.flatnonzero(settle).tolist() == [300, 2000]  # the hold's start, the stop
    assert not hold[t >= 7.0].any()


def test_disabled_with_a_zero_hold() -> None:
    hold, begins = OnsetHold(ProcessingConfig(sample_rate_hz=FS, onset_hold_s=0.0)).update(
        **signals(5.0, 10.0)
    )
    assert not hold.any()
    assert not begins.any()


def test_blocks_of_any_size_and_a_pickled_state_give_the_same_hold() -> None:
    cfg = ProcessingConfig(sample_rate_hz=FS)
    parts = [signals(5.0, 3.0), signals(2.5, 6.0, fast_from_s=2.0), signals(4.0, 5.0)]
    sig = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    sig["t_s"] = np.arange(sig["t_s"].shape[0]) / FS
    whole = OnsetHold(cfg).update(**sig)
    n = sig["t_s"].shape[0]
    for size in (1, 7, 100, 997):
        det = OnsetHold(cfg)
        pieces = []
        for a in range(0, n, size):
            det.set_state(pickle.loads(pickle.dumps(det.get_state())))
            pieces.append(det.update(**{k: v[a : a + size] for k, v in sig.items()}))
        hold, begins = (np.concatenate(p) for p in zip(*pieces, strict=True))
        np.testing.assert_array_equal(hold, whole[0])
        np.testing.assert_array_equal(begins, whole[1])


def _forward_push(
    seconds: float, push_mps2: float, start_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """A sensor held level while pushed forward (+x) at ``push_mps2`` for 1.5 s from
    ``start_s``: the gyroscope reads nothing, the accelerometer gravity plus the push."""
    n = round(seconds * FS)
    t = np.arange(n) / FS
    acc = np.tile([0.0, 0.0, G], (n, 1))
    acc[(t >= start_s) & (t < start_s + 1.5), 0] = push_mps2
    return np.zeros((n, 3)), acc


def _tilt_deg(est: OrientationEstimator, gyr: np.ndarray, acc: np.ndarray) -> np.ndarray:
    q = est.update(gyr, acc)
    return inclination_error_deg(q, np.tile([1.0, 0.0, 0.0, 0.0], (q.shape[0], 1)))


def test_holding_the_inclination_keeps_a_push_from_tilting_it() -> None:
    gyr, acc = _forward_push(8.0, 1.0, 5.0)
    params = OrientationParams(bias_estimation=False, rest_bias_estimation=False)
    plain = OrientationEstimator(1 / FS, params)
    held = OrientationEstimator(1 / FS, params)
    a = 500
    plain_tilt = np.concatenate([_tilt_deg(plain, gyr[:a], acc[:a]),
                                 _tilt_deg(plain, gyr[a:], acc[a:])])  # fmt: skip
    first = _tilt_deg(held, gyr[:a], acc[:a])
    held.settle_lowpass(30.0)
    held_tilt = np.concatenate([first, _tilt_deg(held, gyr[a:], acc[a:])])
    assert plain_tilt.max() > 1.0  # tau 3 s: a push of 1 m/s^2 (5.8°) for 1.5 s
    assert held_tilt.max() < 0.2


def test_holding_stops_the_filtered_accelerometer_where_it_is() -> None:
    """A longer time constant alone keeps the low-pass moving at the rate it had: started
    0.3 s into a push, it carries on tilting the inclination for seconds."""
    gyr, acc = _forward_push(10.0, 1.0, 5.0)
    params = OrientationParams(bias_estimation=False, rest_bias_estimation=False)
    a = 530
    results = []
    for hold in (False, True):
        est = OrientationEstimator(1 / FS, params)
        first = _tilt_deg(est, gyr[:a], acc[:a])
        if hold:
            est.settle_lowpass(30.0)
        else:
            est.set_tau_acc(30.0)
        results.append(np.concatenate([first, _tilt_deg(est, gyr[a:], acc[a:])]))
    longer, held = results
    assert held[a] < 0.06  # what 0.3 s of the push had tilted it by
    assert longer[-1] > 1.0  # 0.06° when switched, 1.5° five seconds later
    assert held.max() < 0.15


@pytest.mark.parametrize("seed", [13, 100])
def test_a_simulated_walker_sets_off_without_the_forward_tilt(seed: int) -> None:
    sim = simulate("walking", seed=seed)
    truth = sim.truth
    t = sim.block.timestamp_s - sim.block.timestamp_s[0]
    first_steps = np.zeros(t.shape[0], dtype=bool)
    for seg in truth.segments:
        if seg.label == "walk":
            first_steps |= (t >= seg.start_s) & (t < seg.start_s + 10.0)
    errors = []
    for hold_s in (4.0, 0.0):
        cfg = ProcessingConfig(onset_hold_s=hold_s)
        out = PostureProcessor(cfg).process(sim.block)
        err = out.flexion_deg - np.asarray(truth.samples.flexion_deg)
        errors.append(float(np.sqrt(np.mean(err[first_steps] ** 2))))
    with_hold, without = errors
    assert with_hold < 0.7 * without
    assert with_hold < 0.7


@pytest.mark.parametrize("seed", [3, 13])
def test_a_simulated_walker_stops_without_the_backward_tilt_growing(seed: int) -> None:
    sim = simulate("walking", seed=seed)
    t = sim.block.timestamp_s - sim.block.timestamp_s[0]
    stops = np.zeros(t.shape[0], dtype=bool)
    for seg in sim.truth.segments:
        if seg.label == "walk":
            stops |= (t >= seg.end_s - 1.0) & (t < seg.end_s + 8.0)
    errors = []
    for hold_s in (4.0, 0.0):  # 0 turns off setting off and stopping
        out = PostureProcessor(ProcessingConfig(onset_hold_s=hold_s)).process(sim.block)
        err = out.flexion_deg - np.asarray(sim.truth.samples.flexion_deg)
        errors.append(float(np.abs(err[stops]).max()))
    with_settle, without = errors
    assert with_settle < 0.75 * without


def test_the_pipeline_with_holds_is_the_same_in_blocks() -> None:
    sim = simulate("walking", seed=13, duration_min=1.5)
    whole = PostureProcessor().process(sim.block)
    proc = PostureProcessor()
    n = len(sim.block.timestamp_s)
    sizes = itertools.cycle([1, 20, 333, 7])
    flex, a = [], 0
    while a < n:
        b = min(n, a + next(sizes))
        proc.set_state(pickle.loads(pickle.dumps(proc.get_state())))
        flex.append(proc.process(sim.block.slice(a, b)).flexion_deg)
        a = b
    np.testing.assert_array_equal(np.concatenate(flex), whole.flexion_deg)
