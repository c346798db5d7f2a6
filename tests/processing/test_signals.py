"""Block-invariant primitives: running sums, IIR filters, debouncing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter

from sensor_hub.processing.signals import DebounceState, IirState, debounce, iir, running_sum


def split(n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    edges = np.unique(np.concatenate(([0, n], rng.integers(0, n, size=30))))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_running_sum_and_iir_are_bit_identical_in_blocks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(5000, 3))
    whole = running_sum(x, np.zeros(3))
    b, a = butter(2, (0.7, 5.0), btype="bandpass", fs=100.0)
    y_whole, _ = iir(b, a, x, IirState())
    carry, st, parts, y_parts = np.zeros(3), IirState(), [], []
    for lo, hi in split(len(x), rng):
        part = running_sum(x[lo:hi], carry)
        carry = part[-1]
        parts.append(part)
        y, st = iir(b, a, x[lo:hi], st)
        y_parts.append(y)
    assert np.array_equal(np.concatenate(parts), whole)
    assert np.array_equal(np.concatenate(y_parts), y_whole)


def test_debounce_needs_on_and_off_times() -> None:
    t = np.arange(0.0, 30.0, 0.1)
    raw = ((t >= 5) & (t < 6)) | ((t >= 10) & (t < 20)) | ((t >= 20.5) & (t < 22))
    out, _ = debounce(raw, t, 2.0, 1.0, DebounceState())
    on = t[out]
    assert on[0] == pytest.approx(12.0)  # 10 s + 2 s on-delay; the 1 s blip at 5 s ignored
    assert on[-1] == pytest.approx(22.9)  # off 1 s after 22 s; the 0.5 s dip at 20 s bridged


@pytest.mark.parametrize("seed", range(3))
def test_debounce_is_block_invariant(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.005, 0.02, 20000))
    raw = np.repeat(rng.random(400) > 0.5, 50)
    whole, _ = debounce(raw, t, 0.7, 0.4, DebounceState())
    st, parts = DebounceState(), []
    for lo, hi in split(len(t), rng):
        out, st = debounce(raw[lo:hi], t[lo:hi], 0.7, 0.4, st)
        parts.append(out)
    assert np.array_equal(np.concatenate(parts), whole)
