"""Causal, block-size-invariant signal primitives.

Each function takes a block of samples plus the state carried from the previous block and
returns the outputs and the new state.  Results are bit-identical however a signal is split
into blocks: running sums use ``np.add.accumulate`` seeded with the carried total (sequential,
not pairwise, summation), filters use ``scipy.signal.lfilter`` with carried initial
conditions, and debouncing works from run boundaries, which do not depend on block edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter, lfilter_zi

from sensor_hub.samples import FloatArray

__all__ = [
    "DebounceState",
    "IirState",
    "as_vec3",
    "debounce",
    "iir",
    "last_known",
    "running_sum",
]

BoolArray = NDArray[np.bool_]


def running_sum(values: FloatArray, carry: FloatArray) -> FloatArray:
    """Cumulative sums along axis 0, continuing from ``carry`` (shape ``values.shape[1:]``).

    Returns shape ``values.shape``; the last row is the carry for the next block.
    """
    seeded = np.concatenate((np.asarray(carry, dtype=np.float64)[None], values), axis=0)
    return np.asarray(np.add.accumulate(seeded, axis=0)[1:], dtype=np.float64)


def last_known(
    n: int, idx: NDArray[np.intp], usable: BoolArray, values: FloatArray, carried: FloatArray
) -> FloatArray:
    """Per sample of a block of ``n``, the value ``(k,)`` of the last usable estimate so far.

    ``values`` ``(m, k)`` are estimates at samples ``idx`` ``(m,)``, ``usable`` ``(m,)`` says
    which count; before the first usable one in the block, ``carried`` (from earlier blocks,
    NaN if none)."""
    if not usable.any():
        return np.asarray(np.broadcast_to(carried, (n, values.shape[1])), dtype=np.float64)
    mark = np.full(n, -1)
    mark[idx[usable]] = np.flatnonzero(usable)
    last = np.maximum.accumulate(mark)
    return np.asarray(
        np.where((last >= 0)[:, None], values[np.maximum(last, 0)], carried), dtype=np.float64
    )


def as_vec3(v: FloatArray) -> tuple[float, float, float] | None:
    """A 3-vector as plain floats for a state, or None if it is NaN (not known)."""
    return None if np.isnan(v[0]) else (float(v[0]), float(v[1]), float(v[2]))


@dataclass(frozen=True, slots=True)
class IirState:
    """Initial conditions of a filter, shape ``(order, channels)``; ``None`` before any data."""

    zi: FloatArray | None = None


def iir(
    b: FloatArray, a: FloatArray, x: FloatArray, state: IirState
) -> tuple[FloatArray, IirState]:
    """Filter ``x`` ``(n, channels)`` with ``b/a``, continuing from ``state``.

    The first block starts from the steady state for its first sample (no start-up transient).
    """
    if x.shape[0] == 0:
        return x.copy(), state
    order = max(len(a), len(b)) - 1
    zi = state.zi
    if zi is None:
        # Steady state for a constant input equal to the first sample.
        zi = np.outer(lfilter_zi(b, a), x[0]) if order else np.zeros((0, x.shape[1]))
    y, zf = lfilter(b, a, x, axis=0, zi=zi)
    return np.asarray(y, dtype=np.float64), IirState(np.asarray(zf, dtype=np.float64))


@dataclass(frozen=True, slots=True)
class DebounceState:
    """Debouncer memory: current output, raw value and when the raw value last changed."""

    output: bool = False
    raw: bool = False
    raw_since_s: float = -np.inf


def debounce(
    raw: BoolArray, t_s: FloatArray, on_s: float, off_s: float, state: DebounceState
) -> tuple[BoolArray, DebounceState]:
    """A raw condition that must hold ``on_s`` to switch on and fail ``off_s`` to switch off.

    The output follows the most recent run of the raw signal that has lasted its delay.
    """
    n = raw.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool), state
    prev = np.concatenate(([state.raw], raw[:-1]))
    changed = raw != prev
    idx = np.where(changed, np.arange(n), -1)
    last_change = np.maximum.accumulate(idx)
    since = np.where(last_change >= 0, t_s[np.maximum(last_change, 0)], state.raw_since_s)
    held = t_s - since
    qualified = held >= np.where(raw, on_s, off_s)
    # Forward-fill the raw value from the last qualified sample, seeded by the carried output.
    q_idx = np.where(qualified, np.arange(n), -1)
    last_q = np.maximum.accumulate(q_idx)
    out = np.where(last_q >= 0, raw[np.maximum(last_q, 0)], state.output)
    # A run that changes before qualifying leaves the output as it was; a run of the same value
    # as the output keeps it, which the fill above already does.
    new_state = DebounceState(output=bool(out[-1]), raw=bool(raw[-1]), raw_since_s=float(since[-1]))
    return np.asarray(out, dtype=bool), new_state
