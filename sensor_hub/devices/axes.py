"""Device axes -> body axes.

Body convention (``sensor_hub.samples``): **x up the spine, y to the wearer's left, z backward out
of the back**.  A mapping is written as in the recording format's ``axes`` metadata: three signed
*device* axes giving body x, y, z, e.g. ``"+y,-x,+z"`` means body x = device +y, body y = device
-x, body z = device +z.  Parsing and application are the recording format's own
(:func:`sensor_hub.recording.header.parse_axes`), so a mapping means the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import MappingProxyType
from typing import Final

import numpy as np

from sensor_hub.recording.header import IDENTITY_AXES, AxesMap, parse_axes

__all__ = ["IDENTITY_AXES", "LOWER_BACK_AXES", "AxesMap", "axes_from_rest", "resolve_axes"]

#: The mapping for each device worn on the lower back in its natural orientation (see
#: ``docs/devices.md`` for the pictures in words).
LOWER_BACK_AXES: Final = MappingProxyType(
    {
        # Case flat on the skin, label out, USB/charging edge down: device z out of the back,
        # device y up the spine, so device x points to the wearer's right.
        "witmotion": "+y,-x,+z",
        # Logo face out, strap across the back (long side horizontal), device x to the left.
        "movella_dot": "-y,+x,+z",
        # Top face out, device y up the spine (no axes on the case: confirm with
        # axes_from_rest while the wearer stands upright).
        "thingy52": "+y,-x,+z",
    }
)


def resolve_axes(axes: str | AxesMap) -> AxesMap:
    """An :class:`AxesMap` from its text form (or the map itself).

    Raises:
        ValueError: not a proper rotation written as three signed axes.
    """
    return axes if isinstance(axes, AxesMap) else parse_axes(axes)


def axes_from_rest(acc_upright_mps2: Sequence[float], back_axis: str) -> str:
    """The mapping string for a sensor worn as it is, from one still, upright reading.

    Args:
        acc_upright_mps2: mean accelerometer reading, device frame, while the wearer stands
            upright and still (specific force: points up).
        back_axis: the signed device axis pointing backward out of the wearer's back, e.g.
            ``"+z"`` for a flat sensor whose top face is outward.

    Returns:
        e.g. ``"+y,-x,+z"``: body x = the device axis nearest to up (signed), body z =
        ``back_axis``, body y = z x x (right-handed).

    Raises:
        ValueError: ``back_axis`` malformed, or gravity mostly along it (the sensor is not flat
            on an upright back).
    """
    match = re.fullmatch(r"([+-])([xyz])", back_axis.strip())
    if match is None:
        raise ValueError(f"back_axis must be a signed axis such as +z, got {back_axis!r}")
    z_index = "xyz".index(match.group(2))
    acc = np.asarray(acc_upright_mps2, dtype=np.float64).reshape(3)
    in_plane = acc.copy()
    in_plane[z_index] = 0.0
    if not np.all(np.isfinite(acc)) or np.linalg.norm(in_plane) < 0.5 * np.linalg.norm(acc):
        raise ValueError("gravity is not mostly across the back axis: is the wearer upright?")
    x_index = int(np.argmax(np.abs(in_plane)))
    x_sign = "+" if in_plane[x_index] > 0 else "-"
    z_vec = np.zeros(3)
    z_vec[z_index] = 1.0 if match.group(1) == "+" else -1.0
    x_vec = np.zeros(3)
    x_vec[x_index] = 1.0 if x_sign == "+" else -1.0
    y_vec = np.cross(z_vec, x_vec)
    y_index = int(np.argmax(np.abs(y_vec)))
    y_sign = "+" if y_vec[y_index] > 0 else "-"
    return f"{x_sign}{'xyz'[x_index]},{y_sign}{'xyz'[y_index]},{match.group(1)}{'xyz'[z_index]}"
