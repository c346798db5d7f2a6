"""Ground truth of a simulation, and its JSON form ``posture-truth/1`` (``truth.json``).

``truth.json`` sits beside ``recording.csv``; all times are on the recording's timestamp scale
(seconds).  Top-level keys:

* ``format``: ``"posture-truth/1"``; ``scenario``, ``description``, ``seed``, ``role``
  (``"lumbar"`` or ``"pelvis"``), ``sample_rate_hz``;
* ``neutral_window_s``: ``[0, 5]``, the still neutral posture that defines zero flexion, and
  ``neutral_posture`` (``"sitting"`` or ``"standing"``);
* ``detector_defaults``: ``threshold_deg`` 20, ``hold_s`` 30, ``dip_tolerance_s`` 5 — the
  detector settings the episodes below were designed around;
* ``parameters``: everything drawn for the run (wearer, gait, sway, mounting rotation, lever
  arm, IMU errors, dropped samples, jitter; see :class:`SimulationParameters`);
* ``samples``: one entry per row of ``recording.csv``, same order: ``timestamp_s`` (exactly as
  written, 6 decimals), truth ``flexion_deg`` and ``lateral_deg`` (3 decimals) per
  :mod:`sensor_hub.processing.angles` with the neutral frame of the neutral window,
  ``activity`` (``upright``/``walking``/``lying``), ``posture`` (``sitting``/``standing``/
  ``walking``/``lying``/``transition``) and ``up_sensor`` (Earth's up in the sensor frame,
  ``[x, y, z]``, 4 decimals: what an orientation filter estimates).  Truth is evaluated at
  each sample's true instant; the written timestamp carries the host's jitter (≤ 1 ms);
* ``episodes``: sustained leans that must alert: ``kind`` (``forward_lean`` or
  ``pelvic_tilt``), ``start_s`` (first upward crossing of the threshold), ``end_s`` (last
  downward crossing), ``peak_deg``, ``mean_deg`` (over the episode, dips included) and
  ``alert_due_s = start_s + hold_s``;
* ``non_episodes``: spans that must not alert: ``kind`` (``reach``, ``bend``, ``fidget``,
  ``brief_slouch``, ``brief_tilt``, ``posterior_tilt``, ``walking``, ``lying``, ``sit_stand``,
  ``lean_below_threshold``), ``start_s``, ``end_s``;
* ``segments``: the whole timeline, labelled: ``label``, ``start_s``, ``end_s``, ``activity``,
  ``posture``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from sensor_hub.samples import FloatArray
from sensor_hub.simulate.body import GaitParameters, SwayParameters
from sensor_hub.simulate.imu import ImuErrors
from sensor_hub.simulate.trajectory import Segment

__all__ = [
    "TRUTH_FORMAT",
    "DetectorDefaults",
    "Episode",
    "NonEpisode",
    "SimulationParameters",
    "Truth",
    "TruthSamples",
    "truth_json_chunks",
    "truth_json_text",
]

TRUTH_FORMAT = "posture-truth/1"

StrArray = np.ndarray[tuple[int], np.dtype[np.str_]]


@dataclass(frozen=True, slots=True)
class DetectorDefaults:
    """The detector settings the scenarios are designed around."""

    threshold_deg: float = 20.0
    hold_s: float = 30.0
    dip_tolerance_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Episode:
    """A sustained lean that must alert."""

    kind: str
    start_s: float
    end_s: float
    peak_deg: float
    mean_deg: float
    alert_due_s: float


@dataclass(frozen=True, slots=True)
class NonEpisode:
    """A span that must not alert."""

    kind: str
    start_s: float
    end_s: float


@dataclass(frozen=True, eq=False, slots=True)
class TruthSamples:
    """Per-sample truth, one entry per row of the recording."""

    timestamp_s: FloatArray
    flexion_deg: FloatArray
    lateral_deg: FloatArray
    activity: StrArray
    posture: StrArray
    up_sensor: FloatArray  # (n, 3)


@dataclass(frozen=True, slots=True)
class SimulationParameters:
    """Everything drawn or chosen for one simulation."""

    duration_s: float
    internal_rate_hz: float
    mount_error_deg: float
    mounting_rotation_deg: tuple[float, float, float]
    mounting_quat_wxyz: tuple[float, float, float, float]
    lever_arm_m: tuple[float, float, float]
    sitting_inclination_deg: float
    standing_inclination_deg: float
    neutral_up_body: tuple[float, float, float]
    gait: GaitParameters
    sway: SwayParameters
    imu: ImuErrors | None
    gyro_bias_end_rads: tuple[float, float, float]
    samples_nominal: int
    dropped_samples: int
    single_drops: int
    drop_bursts_s: tuple[tuple[float, float], ...]
    timestamp_jitter_s: float

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (mounting as ``Rx(a)·Ry(b)·Rz(c)`` about the body's axes)."""
        out = dataclasses.asdict(self)
        out["mounting_rotation_order"] = "Rx(a)*Ry(b)*Rz(c), body axes x up, y left, z back"
        parsed: dict[str, object] = json.loads(_dumps(out))  # tuples become lists
        return parsed


@dataclass(frozen=True, eq=False, slots=True)
class Truth:
    """Everything ``truth.json`` holds (see the module docstring)."""

    scenario: str
    description: str
    seed: int
    role: Literal["lumbar", "pelvis"]
    sample_rate_hz: float
    neutral_window_s: tuple[float, float]
    neutral_posture: Literal["sitting", "standing"]
    detector_defaults: DetectorDefaults
    parameters: SimulationParameters
    samples: TruthSamples
    episodes: tuple[Episode, ...]
    non_episodes: tuple[NonEpisode, ...]
    segments: tuple[Segment, ...]

    def to_json(self) -> dict[str, object]:
        """The ``posture-truth/1`` document as a JSON-ready dict."""
        doc = self._header()
        doc["samples"] = {f.name: _sample_column(self.samples, f.name) for f in _FIELDS}
        doc.update(self._lists())
        return doc

    def _header(self) -> dict[str, object]:
        return {
            "format": TRUTH_FORMAT,
            "scenario": self.scenario,
            "description": self.description,
            "seed": self.seed,
            "role": self.role,
            "sample_rate_hz": self.sample_rate_hz,
            "neutral_window_s": list(self.neutral_window_s),
            "neutral_posture": self.neutral_posture,
            "detector_defaults": dataclasses.asdict(self.detector_defaults),
            "parameters": self.parameters.to_json(),
        }

    def _lists(self) -> dict[str, list[dict[str, object]]]:
        return {
            "episodes": [_rounded(dataclasses.asdict(e)) for e in self.episodes],
            "non_episodes": [_rounded(dataclasses.asdict(e)) for e in self.non_episodes],
            "segments": [_rounded(dataclasses.asdict(e)) for e in self.segments],
        }


_FIELDS = dataclasses.fields(TruthSamples)
#: Decimals of each per-sample array in the JSON form.
_SAMPLE_DECIMALS = {"timestamp_s": 6, "flexion_deg": 3, "lateral_deg": 3, "up_sensor": 4}


def _sample_column(
    samples: TruthSamples, name: str, start: int = 0, stop: int | None = None
) -> list[object]:
    """Rows ``start:stop`` of the per-sample array ``name``, rounded as written."""
    column = getattr(samples, name)[start:stop]
    decimals = _SAMPLE_DECIMALS.get(name)
    return list(column.tolist() if decimals is None else np.round(column, decimals).tolist())


def _rounded(entry: dict[str, object]) -> dict[str, object]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in entry.items()}


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


#: Samples per piece of text when writing the per-sample arrays.
_CHUNK_ROWS = 65536


def truth_json_chunks(truth: Truth) -> Iterator[str]:
    """``truth.json``'s text in pieces (bounded memory): one key per line, each per-sample
    array on one line, one list entry (episode, segment...) per line."""
    header = [f'"{key}":{_dumps(value)}' for key, value in truth._header().items()]
    yield "{\n" + ",\n".join(header) + ',\n"samples":{\n'
    n = len(truth.samples.timestamp_s)
    for i, field in enumerate(_FIELDS):
        yield (",\n" if i else "") + f' "{field.name}":['
        for start in range(0, n, _CHUNK_ROWS):
            rows = _sample_column(truth.samples, field.name, start, start + _CHUNK_ROWS)
            yield ("," if start else "") + _dumps(rows)[1:-1]
        yield "]"
    yield "\n}"
    for key, entries in truth._lists().items():
        inner = ",\n".join(f" {_dumps(v)}" for v in entries)
        yield f',\n"{key}":[\n{inner}\n]' if entries else f',\n"{key}":[]'
    yield "\n}\n"


def truth_json_text(truth: Truth) -> str:
    """``truth.json``'s whole text (see :func:`truth_json_chunks`)."""
    return "".join(truth_json_chunks(truth))
