"""Truth angles, per-sample labels and episodes, and a check that the labels are unambiguous.

Angles follow :mod:`sensor_hub.processing.angles` exactly: Earth's up in body coordinates
``g_B = R_WB^T e_z``; the neutral frame ``BodyFrame.from_vectors(mean g_B over the neutral
window, backward_hint=(0, 0, 1))``; ``flexion_deg, lateral_deg = body_angles_deg(g_B, frame)``.

Episodes come from the truth series on the nominal sample grid (before any sample is dropped):
runs above the threshold while ``upright``, each assigned to the planned item it falls in.
:func:`find_episodes` also checks the margins that make the labels unambiguous for any
detector with a hold between 20 and 40 s and a dip tolerance between 3 and 8 s:

* every above-threshold run lies in an episode or in a decoy of a kind that may cross it;
* an episode lasts at least ``hold_s + 10`` s and its dips below the threshold are < 3 s;
* a brief slouch/tilt stays ≤ 20 s above the threshold, a reach or bend ≤ 6 s, a sit-to-stand
  ≤ 4 s (first crossing to last);
* runs of different items are ≥ 8 s apart;
* decoys that must stay below the threshold (fidgets, leaning below it, walking, posterior
  tilts) stay under ``threshold − 2°`` while upright.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sensor_hub.processing.angles import BodyFrame, body_angles_deg
from sensor_hub.samples import FloatArray
from sensor_hub.simulate import quaternion as quat
from sensor_hub.simulate.trajectory import PlannedItem, Segment
from sensor_hub.simulate.truth import DetectorDefaults, Episode, NonEpisode, StrArray

__all__ = [
    "find_episodes",
    "neutral_frame",
    "segment_labels",
    "truth_angles_deg",
    "up_in_body",
]

BodyAngles = tuple[FloatArray, FloatArray]

#: Longest time above the threshold (first crossing to last) per decoy kind, s.
ABOVE_LIMIT_S: dict[str, float] = {
    "brief_slouch": 20.0,
    "brief_tilt": 20.0,
    "reach": 6.0,
    "bend": 6.0,
    "sit_stand": 4.0,
}
EPISODE_KINDS = ("forward_lean", "pelvic_tilt")
MAX_DIP_S = 3.0
MIN_SPLIT_S = 8.0
EPISODE_MARGIN_S = 10.0
BELOW_MARGIN_DEG = 2.0


def up_in_body(body_quat_wxyz: FloatArray) -> FloatArray:
    """``g_B = R_WB^T e_z``: Earth's up in body coordinates, shape ``(n, 3)``."""
    return quat.rotate(quat.conjugate(body_quat_wxyz), np.array((0.0, 0.0, 1.0)))


def neutral_frame(
    up_body: FloatArray, time_s: FloatArray, window_s: tuple[float, float]
) -> BodyFrame:
    """The neutral frame from the mean of ``up_body`` over the window (body coordinates)."""
    inside = (time_s >= window_s[0]) & (time_s <= window_s[1])
    mean = up_body[inside].mean(axis=0)
    return BodyFrame.from_vectors(mean / np.linalg.norm(mean), backward_hint=(0.0, 0.0, 1.0))


def truth_angles_deg(up_body: FloatArray, frame: BodyFrame) -> BodyAngles:
    """``(flexion_deg, lateral_deg)`` per sample."""
    return body_angles_deg(up_body, frame)


def segment_labels(time_s: FloatArray, segments: Sequence[Segment]) -> tuple[StrArray, StrArray]:
    """``(activity, posture)`` of each sample, from the segment it falls in."""
    ends = np.array([s.end_s for s in segments])
    i = np.clip(np.searchsorted(ends, time_s, side="left"), 0, len(segments) - 1)
    activity = np.array([s.activity for s in segments])[i]
    posture = np.array([s.posture for s in segments])[i]
    return activity, posture


def _runs(mask: np.ndarray[tuple[int], np.dtype[np.bool_]]) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges of the True runs of ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _crossing(t: FloatArray, f: FloatArray, i: int, j: int, level: float) -> float:
    """Time at which ``f`` crosses ``level`` between samples ``i`` and ``j`` (linear)."""
    if f[j] == f[i]:
        return float(t[j])
    return float(t[i] + (level - f[i]) / (f[j] - f[i]) * (t[j] - t[i]))


Run = tuple[float, float, int, int]  # start_s, end_s, first index, stop index


def _timed_runs(
    time_s: FloatArray,
    flexion: FloatArray,
    mask: np.ndarray[tuple[int], np.dtype[np.bool_]],
    level: float,
) -> list[Run]:
    out = []
    for i0, i1 in _runs(mask):
        start = _crossing(time_s, flexion, i0 - 1, i0, level) if i0 > 0 else float(time_s[0])
        end = (
            _crossing(time_s, flexion, i1 - 1, i1, level) if i1 < len(time_s) else float(time_s[-1])
        )
        out.append((start, end, i0, i1))
    return out


def _owner(run: Run, items: Sequence[PlannedItem]) -> int | None:
    middle = 0.5 * (run[0] + run[1])
    for k, item in enumerate(items):
        if item.start_s <= middle <= item.end_s and (item.episode or item.kind in ABOVE_LIMIT_S):
            return k
    return None


def find_episodes(
    time_s: FloatArray,
    flexion_deg: FloatArray,
    activity: StrArray,
    items: Sequence[PlannedItem],
    defaults: DetectorDefaults,
) -> tuple[tuple[Episode, ...], tuple[NonEpisode, ...], list[str]]:
    """Episodes (from the truth series), non-episodes (planned spans) and design problems."""
    upright = activity == "upright"
    runs = _timed_runs(
        time_s,
        flexion_deg,
        upright & (flexion_deg > defaults.threshold_deg),
        defaults.threshold_deg,
    )
    owners = [_owner(run, items) for run in runs]
    problems = [
        f"above the threshold outside any episode or decoy at {r[0]:.2f}-{r[1]:.2f} s"
        for r, o in zip(runs, owners, strict=True)
        if o is None
    ]
    for k in range(1, len(runs)):
        gap = runs[k][0] - runs[k - 1][1]
        if owners[k] != owners[k - 1] and gap < MIN_SPLIT_S:
            problems.append(f"runs of different items {gap:.2f} s apart at {runs[k][0]:.2f} s")
    episodes: list[Episode] = []
    non_episodes: list[NonEpisode] = []
    for k, item in enumerate(items):
        mine = [r for r, o in zip(runs, owners, strict=True) if o == k]
        if item.episode:
            episode = _episode(item, mine, time_s, flexion_deg, defaults, problems)
            if episode is not None:
                episodes.append(episode)
        else:
            non_episodes.append(NonEpisode(item.kind, item.start_s, item.end_s))
            inside = upright & (time_s >= item.start_s) & (time_s <= item.end_s)
            problems.extend(_decoy_problems(item, mine, flexion_deg[inside], defaults))
    return tuple(episodes), tuple(non_episodes), problems


def _decoy_problems(
    item: PlannedItem, runs: list[Run], upright_flexion_deg: FloatArray, defaults: DetectorDefaults
) -> list[str]:
    where = f"{item.kind} at {item.start_s:.2f} s"
    if item.kind in ABOVE_LIMIT_S:
        above = runs[-1][1] - runs[0][0] if runs else 0.0
        if above > ABOVE_LIMIT_S[item.kind]:
            return [f"{where} stays above the threshold for {above:.2f} s"]
    elif len(upright_flexion_deg):
        peak = float(upright_flexion_deg.max())
        if peak >= defaults.threshold_deg - BELOW_MARGIN_DEG:
            return [f"{where} reaches {peak:.2f} deg"]
    return []


def _episode(
    item: PlannedItem,
    runs: list[Run],
    time_s: FloatArray,
    flexion_deg: FloatArray,
    defaults: DetectorDefaults,
    problems: list[str],
) -> Episode | None:
    if not runs:
        problems.append(f"episode at {item.start_s:.2f} s never crosses the threshold")
        return None
    start, end = runs[0][0], runs[-1][1]
    gaps = [runs[k][0] - runs[k - 1][1] for k in range(1, len(runs))]
    if gaps and max(gaps) >= MAX_DIP_S:
        problems.append(f"episode at {start:.2f} s has a dip of {max(gaps):.2f} s")
    if end - start < defaults.hold_s + EPISODE_MARGIN_S:
        problems.append(f"episode at {start:.2f} s lasts only {end - start:.2f} s")
    values = flexion_deg[runs[0][2] : runs[-1][3]]
    return Episode(
        item.kind, start, end, float(values.max()), float(values.mean()), start + defaults.hold_s
    )
