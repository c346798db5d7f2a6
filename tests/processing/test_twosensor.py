"""Lumbar − pelvis, time-aligned across two sensors' clocks."""

from __future__ import annotations

import numpy as np
import pytest

from sensor_hub.processing.twosensor import PelvisAligner, relative_flexion_deg


def test_relative_flexion_interpolates_the_pelvis_at_lumbar_times() -> None:
    # Lumbar at 100 Hz, pelvis at 50 Hz with a 3 ms clock offset; trunk flexes 1.5x the pelvis.
    t_l = np.arange(0.0, 10.0, 0.01)
    t_p = np.arange(0.003, 10.0, 0.02)
    pelvis = lambda t: 10.0 * np.sin(t)  # noqa: E731
    rel = relative_flexion_deg(t_l, 2.5 * pelvis(t_l), t_p, pelvis(t_p))
    inside = (t_l >= t_p[0]) & (t_l <= t_p[-1])
    assert np.allclose(rel[inside], 1.5 * pelvis(t_l[inside]), atol=0.01)
    assert np.isnan(rel[0])  # before the first pelvis sample


def test_streaming_equals_batch_and_a_silent_pelvis_gives_nan() -> None:
    rng = np.random.default_rng(1)
    t_l = np.cumsum(rng.uniform(0.008, 0.012, 3000))
    t_p = np.cumsum(rng.uniform(0.015, 0.025, 1500))
    f_l, f_p = rng.normal(20, 5, t_l.shape), rng.normal(5, 2, t_p.shape)
    whole = relative_flexion_deg(t_l, f_l, t_p, f_p)
    aligner, parts, j = PelvisAligner(), [], 0
    for i in range(0, len(t_l), 20):  # pelvis samples known past the lumbar block's end
        block_end = t_l[min(i + 19, len(t_l) - 1)]
        k = int(np.searchsorted(t_p, block_end + 0.03, side="right"))
        aligner.add_pelvis(t_p[j:k], f_p[j:k])
        j = k
        parts.append(aligner.relative(t_l[i : i + 20], f_l[i : i + 20]))
    streamed = np.concatenate(parts)
    ok = ~np.isnan(whole) & ~np.isnan(streamed)
    assert ok.mean() > 0.99
    assert np.allclose(streamed[ok], whole[ok])
    late = t_l > t_p[-1] + 0.1
    assert np.isnan(whole[late]).all()


def test_pelvis_samples_out_of_order_are_rejected() -> None:
    aligner = PelvisAligner()
    aligner.add_pelvis(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="increasing"):
        aligner.add_pelvis(np.array([1.5]), np.array([0.0]))
