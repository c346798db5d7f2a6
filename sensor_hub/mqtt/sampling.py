"""From the processing core's outputs to messages: telemetry decimation, episodes, state.

The core runs at the sensor's rate (100 Hz); telemetry goes out at a few hertz.  The decimator
keeps the first sample of each slot of a grid aligned to the clock (``floor(t * rate_hz)``): at
5 Hz the samples just after .0, .2, .4 ... s.  Whether a sample is kept depends only on its time
and on the last slot kept, so the choice is the same whatever the block boundaries, two sensors on
one clock publish at matching times, and gaps in the data just skip their slots.  A clock that
steps back is silent until it passes the last slot kept (start a new :class:`DecimatorState` when
the time base changes, e.g. a new recording).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sensor_hub.mqtt.messages import (
    EpisodeKind,
    EpisodeMessage,
    SensorState,
    Telemetry,
    posture_state,
)
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus
from sensor_hub.processing.config import Role
from sensor_hub.processing.detector import EpisodeEvent, Phase
from sensor_hub.processing.pipeline import PostureBlock
from sensor_hub.processing.stance import Stance
from sensor_hub.samples import FloatArray

__all__ = [
    "DEFAULT_TELEMETRY_HZ",
    "MAX_TELEMETRY_HZ",
    "DecimatorState",
    "LinkFigures",
    "decimate",
    "episode_message",
    "is_slouching",
    "sensor_state",
    "telemetry_samples",
]

DEFAULT_TELEMETRY_HZ = 5.0
MAX_TELEMETRY_HZ = 1000.0


@dataclass(frozen=True, slots=True)
class DecimatorState:
    """The slot of the last sample kept (``None``: nothing kept yet)."""

    last_slot: int | None = None


def _check_rate(rate_hz: float) -> None:
    if not (math.isfinite(rate_hz) and 0 < rate_hz <= MAX_TELEMETRY_HZ):
        raise ValueError(f"telemetry rate must be in (0, {MAX_TELEMETRY_HZ:g}] Hz, got {rate_hz}")


def decimate(
    timestamp_s: FloatArray, rate_hz: float, state: DecimatorState
) -> tuple[NDArray[np.intp], DecimatorState]:
    """Indices of the samples to publish, and the state to pass with the next block.

    Raises:
        ValueError: a rate outside (0, 1000] Hz.
    """
    _check_rate(rate_hz)
    t = np.asarray(timestamp_s, dtype=np.float64)
    finite = np.isfinite(t)
    slots = np.where(finite, np.floor(np.where(finite, t, 0.0) * rate_hz), -np.inf)
    before = -np.inf if state.last_slot is None else float(state.last_slot)
    seen = np.maximum.accumulate(np.concatenate(([before], slots)))
    keep = np.flatnonzero(slots > seen[:-1])
    last = seen[-1]
    return keep, DecimatorState(None if math.isinf(last) else int(last))


def telemetry_samples(
    wearer: str,
    role: Role,
    block: PostureBlock,
    state: DecimatorState,
    *,
    rate_hz: float = DEFAULT_TELEMETRY_HZ,
    relative_flexion_deg: FloatArray | None = None,
) -> tuple[list[Telemetry], DecimatorState]:
    """The telemetry messages of one processed block (``relative_flexion_deg``: the hub's
    lumbar − pelvis angle at the block's samples, if any)."""
    keep, state = decimate(block.timestamp_s, rate_hz, state)
    out = [
        Telemetry(
            wearer=wearer,
            sensor=role,
            ts_s=float(block.timestamp_s[i]),
            flexion_deg=float(block.flexion_deg[i]),
            lateral_deg=float(block.lateral_deg[i]),
            activity=Activity(int(block.activity[i])),
            band=Band(int(block.band[i])),
            calibration=CalibrationStatus(int(block.calibration[i])),
            relative_flexion_deg=(
                None if relative_flexion_deg is None else float(relative_flexion_deg[i])
            ),
            stance=Stance(int(block.stance[i])),
        )
        for i in keep.tolist()
    ]
    return out, state


def episode_message(wearer: str, role: Role, event: EpisodeEvent) -> EpisodeMessage:
    """The events-topic message of one of the core's episode events."""
    ep = event.episode
    return EpisodeMessage(
        wearer=wearer,
        sensor=role,
        ts_s=event.time_s,
        phase=event.phase,
        kind=EpisodeKind(ep.kind),
        start_s=ep.start_s,
        alert_s=ep.alert_s,
        end_s=ep.end_s,
        peak_deg=ep.peak_deg,
        mean_deg=ep.mean_deg,
    )


class LinkFigures(Protocol):
    """What the state needs from a link (:class:`sensor_hub.ble.link.LinkStatus` has it)."""

    @property
    def connected(self) -> bool: ...
    @property
    def battery_pct(self) -> int | None: ...
    @property
    def data_age_s(self) -> float | None: ...
    @property
    def gaps(self) -> int: ...
    @property
    def lost_samples(self) -> int: ...


def is_slouching(last_event: EpisodeEvent | None) -> bool:
    """Whether an episode is open after a sensor's newest episode event (started or alerted,
    not ended): the state's ``slouching``."""
    return last_event is not None and last_event.phase is not Phase.ENDED


def sensor_state(
    wearer: str,
    role: Role,
    *,
    ts_s: float,
    block: PostureBlock | None,
    link: LinkFigures | None,
    last_event: EpisodeEvent | None = None,
    paused_until_s: float | None = None,
) -> SensorState:
    """A sensor's state at host time ``ts_s``: angles, activity, band, calibration and stance at
    the newest sample of ``block``, and where its forward axis comes from (with the mounting
    yaw) at the block's end; connection, battery, data age and gap counts from ``link``
    (``None``: not connected, nothing known); ``slouching`` while the newest episode event
    (``last_event``) leaves an episode open; paused while ``ts_s < paused_until_s``.
    A battery level outside 0-100 is reported as unknown."""
    last = None if block is None or len(block) == 0 else len(block) - 1
    activity = None if last is None or block is None else Activity(int(block.activity[last]))
    paused = paused_until_s is not None and ts_s < paused_until_s
    connected = link is not None and link.connected
    posture = posture_state(
        activity, slouching=is_slouching(last_event), paused=paused, connected=connected
    )
    battery = None if link is None else link.battery_pct
    age = None if link is None or link.data_age_s is None else max(0.0, link.data_age_s)
    state = SensorState(
        wearer=wearer,
        sensor=role,
        ts_s=ts_s,
        posture=posture,
        connected=connected,
        battery_pct=battery if battery is not None and 0 <= battery <= 100 else None,
        data_age_s=age,
        paused_until_s=paused_until_s if paused else None,
        gaps=0 if link is None else max(0, link.gaps),
        lost_samples=0 if link is None else max(0, link.lost_samples),
    )
    if last is None or block is None:
        return state
    return replace(
        state,
        flexion_deg=float(block.flexion_deg[last]),
        lateral_deg=float(block.lateral_deg[last]),
        activity=activity,
        band=Band(int(block.band[last])),
        calibration=CalibrationStatus(int(block.calibration[last])),
        stance=Stance(int(block.stance[last])),
        forward_axis=block.forward_axis,
        mount_yaw_deg=block.mount_yaw_deg if math.isfinite(block.mount_yaw_deg) else None,
    )
