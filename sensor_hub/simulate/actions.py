"""The wearer's repertoire: postures and movements that scenarios string together.

Every action starts now, schedules its channel moves inside the segments it closes and leaves
the builder in an upright posture (``sitting`` or ``standing``).  Angles are relative to the
neutral posture unless they say ``abs``.  Actions that go above the detector's threshold first
wait until :data:`GAP_S` seconds have passed since the previous one ended, so that no two of
them can merge under any dip tolerance below 8 s.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from sensor_hub.simulate.trajectory import TimelineBuilder

__all__ = [
    "GAP_S",
    "Rng",
    "Step",
    "bend",
    "brief_lean",
    "calibrate",
    "fidget",
    "lean_below",
    "lie",
    "posterior_tilt",
    "reach",
    "sit_down",
    "stand_up",
    "sustained_lean",
    "turn",
    "uniform",
    "upright",
    "walk",
]

Rng = np.random.Generator
#: One step of a scenario: adds actions to the builder, drawing from the generator.
Step = Callable[[TimelineBuilder, Rng], None]

#: Seconds below the threshold between two actions that go above it.
GAP_S = 10.0
#: Lowest plateau of a sustained lean, relative to neutral (deg).
MIN_PLATEAU_DEG = 25.0
#: Dips start this long after the lean's onset (the default hold time plus a margin).
DIP_EARLIEST_S = 36.0
#: Each dip gets a slot this long (a dip lasts < 3 s, the rest is plateau: dips ≥ 10 s apart).
DIP_SLOT_S = 14.0


def uniform(rng: Rng, low: float, high: float) -> float:
    """A float drawn uniformly from ``[low, high)``."""
    return float(rng.uniform(low, high))


_u = uniform


def _sign(rng: Rng) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _base(b: TimelineBuilder) -> float:
    return b.wearer.upright_rel_deg(b.posture)


def _above(b: TimelineBuilder) -> None:
    """Wait (upright) until the gap since the last above-threshold action is long enough."""
    wait = b.last_above_end_s + GAP_S - b.now_s
    if wait > 0.0:
        upright(b, None, wait + 0.5)


def calibrate(b: TimelineBuilder, duration_s: float = 8.0) -> None:
    """Hold the neutral posture still (only sway and breathing): the neutral window."""
    b.advance("neutral", duration_s, "upright")


def upright(b: TimelineBuilder, rng: Rng | None, duration_s: float, label: str = "") -> None:
    """Sit or stand upright; with ``rng``, slowly shift a few degrees now and then."""
    start, end = b.now_s, b.now_s + duration_s
    if rng is not None:
        t, base, heading = start, _base(b), b.value("heading_deg")
        while True:
            move, pause = _u(rng, 2.0, 5.0), _u(rng, 3.0, 15.0)
            if t + move + pause > end:
                break
            b.lean(t, t + move, base + _u(rng, -2.0, 3.0))
            b.move("phi_deg", t, t + move, _u(rng, -2.0, 2.0))
            b.move("heading_deg", t, t + move, heading + _u(rng, -5.0, 5.0))
            t += move + pause
    default = "sit_upright" if b.posture == "sitting" else "stand"
    b.advance(label or default, duration_s, "upright")


def _return_upright(b: TimelineBuilder, rng: Rng, label: str, duration_s: float) -> None:
    t = b.now_s
    b.lean(t, t + duration_s, _base(b) + _u(rng, -1.0, 2.0))
    b.move("phi_deg", t, t + duration_s, _u(rng, -1.5, 1.5))
    b.advance(label, duration_s, "upright")


def sustained_lean(
    b: TimelineBuilder, rng: Rng, plateau_deg: float, hold_s: float, dips: int, kind: str
) -> None:
    """Lean to ``plateau_deg`` over 1–3 s and hold ``hold_s`` (an episode that must alert).

    ``dips`` brief returns below the threshold (< 3 s below it) come at least
    :data:`DIP_EARLIEST_S` after the onset, ≥ 10 s apart and ≥ 8 s before the plateau ends,
    so they never split the episode.
    """
    _above(b)
    start = b.now_s
    onset = _u(rng, 1.0, 3.0)
    b.lean(start, start + onset, plateau_deg)
    b.move("phi_deg", start, start + onset, _u(rng, -3.0, 3.0))
    b.advance("lean_onset", onset, "upright")
    plateau_start = b.now_s
    latest = plateau_start + hold_s - 8.0
    slots = int(max(0.0, latest - (plateau_start + DIP_EARLIEST_S)) // DIP_SLOT_S)
    count = min(dips, slots)
    edges = np.linspace(plateau_start + DIP_EARLIEST_S, latest, count + 1)
    dip_times = [_u(rng, lo, hi - DIP_SLOT_S + 4.0) for lo, hi in itertools.pairwise(edges)]
    for dip_at in [*dip_times, plateau_start + hold_s]:
        _plateau(b, rng, plateau_deg, dip_at - b.now_s)
        if dip_at < plateau_start + hold_s:
            _dip(b, rng, plateau_deg)
    _return_upright(b, rng, "lean_return", _u(rng, 1.0, 2.0))
    b.last_above_end_s = b.now_s
    b.item(kind, start, episode=True)


def _plateau(b: TimelineBuilder, rng: Rng, plateau_deg: float, duration_s: float) -> None:
    t, end = b.now_s, b.now_s + duration_s
    while True:
        move, pause = _u(rng, 3.0, 8.0), _u(rng, 5.0, 20.0)
        if t + move + pause > end:
            break
        b.lean(t, t + move, max(MIN_PLATEAU_DEG, plateau_deg + _u(rng, -3.0, 3.0)))
        b.move("phi_deg", t, t + move, _u(rng, -3.0, 3.0))
        t += move + pause
    b.advance("lean_hold", duration_s, "upright")


def _dip(b: TimelineBuilder, rng: Rng, plateau_deg: float) -> None:
    t = b.now_s
    down, stay, up = _u(rng, 0.7, 0.9), _u(rng, 0.3, 1.0), _u(rng, 0.7, 0.9)
    b.lean(t, t + down, _u(rng, 8.0, 14.0))
    b.lean(t + down + stay, t + down + stay + up, plateau_deg)
    b.advance("dip", down + stay + up, "upright")


def brief_lean(b: TimelineBuilder, rng: Rng, kind: str) -> None:
    """Lean 25–38° for 5–20 s above the threshold: shorter than the hold, must not alert."""
    _above(b)
    start = b.now_s
    onset = _u(rng, 1.0, 2.0)
    b.lean(start, start + onset, _u(rng, 26.0, 38.0))
    b.advance("brief_lean", onset + _u(rng, 4.0, 15.0), "upright")
    _return_upright(b, rng, "lean_return", _u(rng, 1.0, 2.0))
    b.last_above_end_s = b.now_s
    b.item(kind, start)


def _excursion(
    b: TimelineBuilder,
    label: str,
    rel_deg: float,
    times_s: tuple[float, float, float],
    phi_deg: float = 0.0,
    twist_deg: float = 0.0,
    hip: tuple[float, float] = (0.0, 0.0),
) -> None:
    """Go to ``rel_deg`` (and a bend, twist, hip shift), hold, and come back."""
    out, stay, back = times_s
    t = b.now_s
    phi0, heading0 = b.value("phi_deg"), b.value("heading_deg")
    base = b.rel_deg()
    b.lean(t, t + out, rel_deg)
    b.move("phi_deg", t, t + out, phi_deg)
    b.move("heading_deg", t, t + out, heading0 + twist_deg)
    b.lean(t + out + stay, t + out + stay + back, base)
    b.move("phi_deg", t + out + stay, t + out + stay + back, phi0)
    b.move("heading_deg", t + out + stay, t + out + stay + back, heading0)
    if hip != (0.0, 0.0):
        b.hip_shift(t, t + out, *hip)
        b.hip_shift(t + out + stay, t + out + stay + back, -hip[0], -hip[1])
    b.advance(label, out + stay + back, "upright")


def reach(b: TimelineBuilder, rng: Rng) -> None:
    """Reach forward or aside: 30–50° for 1–3.5 s."""
    _above(b)
    start = b.now_s
    times = (_u(rng, 0.6, 1.0), _u(rng, 1.0, 3.5), _u(rng, 0.7, 1.0))
    side = _u(rng, -15.0, 15.0)
    _excursion(b, "reach", _u(rng, 30.0, 50.0), times, side, -side * 1.5)
    b.last_above_end_s = b.now_s
    b.item("reach", start)


def bend(b: TimelineBuilder, rng: Rng, low_deg: float = 60.0, high_deg: float = 100.0) -> None:
    """Bend to pick something up: 60–100° for 1.5–3 s (a hip hinge when standing)."""
    _above(b)
    start = b.now_s
    times = (_u(rng, 1.0, 1.5), _u(rng, 1.5, 3.0), _u(rng, 1.0, 1.5))
    hip = (-_u(rng, 0.05, 0.12), -_u(rng, 0.03, 0.08)) if b.posture == "standing" else (0.0, 0.0)
    _excursion(b, "bend", _u(rng, low_deg, high_deg), times, _u(rng, -10, 10), 0.0, hip)
    b.last_above_end_s = b.now_s
    b.item("bend", start)


def fidget(b: TimelineBuilder, rng: Rng) -> None:
    """A small movement that stays well below the threshold (kind ``fidget``)."""
    start = b.now_s
    base = b.rel_deg()
    choice = int(rng.integers(0, 5))
    times = (_u(rng, 0.8, 1.8), _u(rng, 2.0, 8.0), _u(rng, 0.8, 1.8))
    if choice == 0:  # shift weight onto one buttock / leg
        side = _sign(rng)
        hip = (0.0, 0.0)
        _excursion(b, "weight_shift", base, times, side * _u(rng, 4.0, 8.0), 0.0, hip)
    elif choice == 1:  # swivel the chair or turn the trunk
        _excursion(b, "swivel", base, times, 0.0, _sign(rng) * _u(rng, 15.0, 40.0))
    elif choice == 2:  # lean back and stretch
        _excursion(b, "stretch", base - _u(rng, 8.0, 18.0), times, _u(rng, -6.0, 6.0))
    elif choice == 3:  # cross the legs (or shift the stance) for a while
        long = (times[0], _u(rng, 10.0, 30.0), times[2])
        label = "cross_legs" if b.posture == "sitting" else "shift_stance"
        _excursion(b, label, base + _u(rng, 2.0, 6.0), long, _sign(rng) * 4.0)
    else:  # shuffle in the seat / on the feet
        hip = (_u(rng, -0.05, 0.05), _u(rng, 0.01, 0.03))
        _excursion(b, "shuffle", base + _u(rng, -4.0, 6.0), times, 0.0, 0.0, hip)
    b.item("fidget", start)


def posterior_tilt(b: TimelineBuilder, rng: Rng) -> None:
    """Tilt back (posterior pelvic tilt, or extension) 10–15° for 5–20 s."""
    start = b.now_s
    times = (_u(rng, 1.0, 2.0), _u(rng, 5.0, 20.0), _u(rng, 1.0, 2.0))
    _excursion(b, "posterior_tilt", b.rel_deg() - _u(rng, 10.0, 15.0), times)
    b.item("posterior_tilt", start)


def lean_below(b: TimelineBuilder, rng: Rng, duration_s: float, high_deg: float = 14.0) -> None:
    """Lean 10–14° for ``duration_s`` (minutes): close to but below the threshold."""
    start = b.now_s
    onset = _u(rng, 1.5, 3.0)
    level = _u(rng, 10.0, high_deg - 1.0)
    b.lean(start, start + onset, level)
    b.advance("lean_onset", onset, "upright")
    t, end = b.now_s, b.now_s + duration_s
    while True:
        move, pause = _u(rng, 3.0, 8.0), _u(rng, 5.0, 20.0)
        if t + move + pause > end:
            break
        b.lean(t, t + move, min(high_deg, level + _u(rng, -1.5, 1.5)))
        t += move + pause
    b.advance("lean_below_threshold", duration_s, "upright")
    _return_upright(b, rng, "lean_return", _u(rng, 1.5, 3.0))
    b.item("lean_below_threshold", start)


def stand_up(b: TimelineBuilder, rng: Rng) -> None:
    """Sit-to-stand: the trunk leans 30–40° forward for about a second as the hip rises."""
    _sit_stand(b, rng, "standing")


def sit_down(b: TimelineBuilder, rng: Rng) -> None:
    """Stand-to-sit: the mirror of :func:`stand_up`."""
    _sit_stand(b, rng, "sitting")


def _sit_stand(b: TimelineBuilder, rng: Rng, to: str) -> None:
    if b.posture == to:
        return
    _above(b)
    start = b.now_s
    lean, rise, back = _u(rng, 0.7, 1.0), _u(rng, 1.0, 1.4), _u(rng, 1.0, 1.4)
    rise_at = start + 0.8 * lean
    up = 1.0 if to == "standing" else -1.0
    b.lean(start, start + lean, _base(b) + _u(rng, 30.0, 40.0))
    b.hip_shift(rise_at, rise_at + rise, up * _u(rng, 0.15, 0.25), up * _u(rng, 0.35, 0.45))
    back_at = start + lean + _u(rng, 0.1, 0.4)
    b.lean(back_at, back_at + back, b.wearer.upright_rel_deg(to))
    end = max(rise_at + rise, back_at + back) + 0.2
    b.advance("stand_up" if to == "standing" else "sit_down", end - start, "upright", "transition")
    b.posture = "standing" if to == "standing" else "sitting"
    b.last_above_end_s = b.now_s
    b.item("sit_stand", start)


def turn(b: TimelineBuilder, rng: Rng, angle_deg: float) -> None:
    """Turn on the spot (standing) by ``angle_deg``."""
    t, duration = b.now_s, _u(rng, 1.5, 2.5)
    b.move("heading_deg", t, t + duration, b.value("heading_deg") + angle_deg)
    b.advance("turn", duration, "upright")


def walk(b: TimelineBuilder, rng: Rng, duration_s: float) -> None:
    """Walk for ``duration_s`` with turns every 10–40 s; starts and ends standing still."""
    stand_up(b, rng)
    start = b.now_s
    speed = b.wearer.walking_speed_mps
    ramp_up, ramp_down = _u(rng, 1.2, 1.8), _u(rng, 1.2, 1.8)
    end = start + duration_s
    b.move("speed_mps", start, start + ramp_up, speed)
    t = start + ramp_up + _u(rng, 5.0, 20.0)
    while True:
        span = _u(rng, 1.5, 3.0)
        if t + span > end - ramp_down - 3.0:
            break
        angle = _sign(rng) * _u(rng, 45.0, 180.0)
        b.move("heading_deg", t, t + span, b.value("heading_deg") + angle)
        if rng.random() < 0.3:
            b.move("speed_mps", t, t + span, speed * _u(rng, 0.9, 1.05))
        t += span + _u(rng, 10.0, 40.0)
    b.move("speed_mps", end - ramp_down, end, 0.0)
    b.advance("walk", duration_s, "walking", "walking")
    b.item("walking", start)


def lie(b: TimelineBuilder, rng: Rng, how: str, duration_s: float) -> None:
    """From sitting, lie down ``supine``, ``prone``, on the ``right`` or ``left`` side, get up."""
    sit_down(b, rng)
    start = b.now_s
    down, up = _u(rng, 2.0, 3.5), _u(rng, 2.0, 3.5)
    theta0, phi0 = b.value("theta_deg"), b.value("phi_deg")
    tilt = _u(rng, 84.0, 90.0)
    theta, phi, hip = theta0, phi0, (0.05, -0.02)
    if how == "supine":
        theta = -tilt
    elif how == "prone":
        theta, hip = tilt, (0.3, -0.15)
    else:
        phi = tilt if how == "right" else -tilt
    b.move("theta_deg", start, start + down, theta)
    b.move("phi_deg", start, start + down, phi)
    b.hip_shift(start, start + down, *hip)
    b.advance("lie_down", down, "lying", "transition")
    b.posture = "lying"
    t = b.now_s
    shift = _u(rng, 0.3, 0.7) * duration_s
    b.move("theta_deg", t + shift, t + shift + 2.0, theta + _u(rng, -4.0, 4.0))
    b.advance(f"lying_{how}", duration_s, "lying", "lying")
    t = b.now_s
    b.move("theta_deg", t, t + up, theta0)
    b.move("phi_deg", t, t + up, phi0)
    b.hip_shift(t, t + up, -hip[0], -hip[1])
    b.advance("get_up", up, "lying", "transition")
    b.posture = "sitting"
    b.last_above_end_s = b.now_s
    b.item("lying", start)
