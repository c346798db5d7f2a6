"""The alert policy on a running hub: episode events in, buzzes and prompts out.

:class:`AlertService` feeds a :class:`~sensor_hub.alerts.AlertPolicy` (the pure state machine
of :mod:`sensor_hub.alerts`) with the hub's outputs — episode events, changes of activity and
of sitting/standing (the core's ``stance``, from the lumbar sensor or the one sensor worn: the
prolonged-sitting prompt needs it), the flexion it observes for the baseline — and a tick
every second, and carries out its decisions:
a :class:`~sensor_hub.alerts.Buzz` or positive feedback pulses the sensor
(:meth:`SensorHub.pulse`), a :class:`~sensor_hub.alerts.Prompt` goes to ``on_prompt`` (the
bridge publishes it as an event), and every decision is kept in ``records`` for the day
summary and handed to ``on_record`` (the bridge publishes buzzes, suppressions, answers and
positive feedback as events, which the recorder stores).  A failing callback is logged; it
never stops the decisions being carried out.  The hub must be built with
``alert_haptic=None`` so that it does not buzz on its own as well.

**Time.** The policy runs on the hub's sample time — the newest sample timestamp of any sensor
(host time of the samples; the wall clock before any data).  Live, that is the wall clock;
in an accelerated replay (the demo) the whole policy, snooze durations included, runs at the
replay's pace, consistently with the episodes it judges.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Final

import numpy as np

from sensor_hub.alerts import (
    Action,
    AlertPolicy,
    Buzz,
    HoldChanged,
    PositiveFeedback,
    Prompt,
)
from sensor_hub.alerts.actions import Haptic
from sensor_hub.alerts.selection import Posture
from sensor_hub.ble.hub import AlertHaptic, EpisodeUpdate, HubOutput, PostureUpdate, SensorHub
from sensor_hub.mqtt.commands import Answer
from sensor_hub.processing import Activity, Role
from sensor_hub.processing.stance import Stance

__all__ = ["AlertService"]

log = logging.getLogger(__name__)

#: Decisions kept in memory (a day's worth at a generous rate); the recorder keeps the rest.
RECORDS_KEPT: Final = 10_000


#: The policy's posture for each stance code of the processing core.
POSTURE_OF_STANCE: Final = {
    Stance.UNKNOWN: Posture.UNKNOWN,
    Stance.SITTING: Posture.SITTING,
    Stance.STANDING: Posture.STANDING,
}


def _haptic(haptic: Haptic) -> AlertHaptic:
    return AlertHaptic(haptic.pattern, haptic.intensity_pct, haptic.duration_ms)


class AlertService:
    """Run ``policy`` on ``hub`` (see the module docstring); call :meth:`start` on the loop."""

    def __init__(
        self,
        hub: SensorHub,
        policy: AlertPolicy,
        *,
        on_prompt: Callable[[Prompt], None] | None = None,
        on_record: Callable[[Action], None] | None = None,
        tick_s: float = 1.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.hub = hub
        self.policy = policy
        self.on_prompt = on_prompt
        self.on_record = on_record
        self.tick_s = tick_s
        self._wall = wall_clock
        self.records: deque[Action] = deque(maxlen=RECORDS_KEPT)
        self._activity: dict[Role, Activity] = {}
        self._posture: Posture | None = None
        self._remove: Callable[[], None] | None = None
        self._ticker: asyncio.Task[None] | None = None

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._remove = self.hub.add_listener(self._on_output)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
            self._ticker = None

    def now_s(self) -> float:
        """The hub's time: its newest sample timestamp (the wall clock before any data)."""
        times = [float(u.block.timestamp_s[-1]) for u in self.hub.latest.values() if len(u.block)]
        return max(times) if times else self._wall()

    # -- commands (from MQTT) ----------------------------------------------------------------

    def snooze(self, until_s: float | None = None) -> float | None:
        """Snooze alerts and prompts (until ``until_s``; default the policy's); the end."""
        self._apply(self.policy.snooze(self.now_s(), until_s))
        return self._until()

    def pause(self, until_s: float | None = None) -> float | None:
        self._apply(self.policy.pause(self.now_s(), until_s))
        return self._until()

    def resume(self) -> None:
        self._apply(self.policy.resume(self.now_s()))

    def answer(self, prompt_id: str, answer: Answer) -> None:
        """The wearer's answer to a prompt; raises ``UnknownPromptError`` for an unknown id."""
        self._apply(self.policy.answer(self.now_s(), prompt_id, answer))

    def _until(self) -> float | None:
        hold = self.policy.hold
        return None if hold is None else hold[1]

    # -- hub outputs ----------------------------------------------------------------------------

    def _on_output(self, output: HubOutput) -> None:
        try:
            if isinstance(output, EpisodeUpdate):
                self._apply(self.policy.on_episode(output.event))
            elif isinstance(output, PostureUpdate) and len(output.block):
                self._on_posture(output)
        except Exception:  # one boundary: the policy's trouble must not stop the hub
            log.exception("alert policy failed on %s", type(output).__name__)

    def _on_posture(self, update: PostureUpdate) -> None:
        block = update.block
        t = float(block.timestamp_s[-1])
        activity = Activity(int(block.activity[-1]))
        # Sitting or standing from the lumbar sensor, or from the one sensor worn.
        main = update.role is Role.LUMBAR or Role.LUMBAR not in self.hub.links
        posture = POSTURE_OF_STANCE[Stance(int(block.stance[-1]))] if main else None
        changed = self._activity.get(update.role) is not activity
        if changed or (posture is not None and posture is not self._posture):
            self._activity[update.role] = activity
            if posture is not None:
                self._posture = posture
            self._apply(self.policy.on_activity(t, activity, posture))
        if main:
            upright = block.activity == Activity.UPRIGHT
            if upright.any():
                self.policy.observe(t, float(np.median(block.flexion_deg[upright])))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                self._apply(self.policy.tick(self.now_s()))
            except Exception:
                log.exception("alert policy tick failed")

    # -- decisions --------------------------------------------------------------------------------

    def _apply(self, actions: tuple[Action, ...]) -> None:
        for action in actions:
            self.records.append(action)
            if self.on_record is not None:
                try:
                    self.on_record(action)
                except Exception:  # one boundary: publishing must not stop the policy
                    log.exception("on_record failed for %s", type(action).__name__)
            if isinstance(action, Buzz):
                log.info("alert (%s, level %d): buzz", action.kind, action.level)
                self.hub.pulse(action.role, _haptic(action.haptic))
            elif isinstance(action, PositiveFeedback) and action.haptic is not None:
                self.hub.pulse(action.role, _haptic(action.haptic))
            elif isinstance(action, Prompt):
                log.info("prompt %s: %s (%s)", action.prompt_id, action.move.name, action.trigger)
                if self.on_prompt is not None:
                    self.on_prompt(action)
            elif isinstance(action, HoldChanged):
                # Mirrored on the hub so that its state (and the state topic) shows the hold.
                self.hub.paused_until_s = action.until_s if action.hold is not None else None
