"""The alert policy: when to buzz, when to prompt a move, when to stay silent — and why.

A pure state machine.  Time is always an argument (Unix seconds; local time for quiet hours and
"until tomorrow" comes from the ``tz`` given at construction), so every behaviour is testable
with an injected clock.  Inputs are the detector's episode events, activity updates, angle
observations (for the baseline), snooze/pause/resume and prompt answers; :meth:`tick` lets time
pass (escalations, timers, automatic resume) and every input method ticks first.  Each method
returns the decisions it made as :mod:`sensor_hub.alerts.actions` records, silent ones included.

Rules (defaults in :class:`AlertConfig`):

* an ``alerted`` episode buzzes (level 0); while it stays open it buzzes again every
  ``repeat_after_s`` with a stronger pattern, at most ``max_escalations`` times — then silence
  until it ends, so a persistent slouch gets reminders but not nagging;
* nothing buzzes or prompts while paused, in tracking mode, during the baseline, while lying
  or walking, while snoozed, in quiet hours; buzzes beyond ``max_alerts_per_hour`` in any
  sliding hour are dropped.  Each is a :class:`Suppressed` record, once per episode and reason;
* an episode that ends within ``positive_feedback_within_s`` of its last buzz earns
  :class:`PositiveFeedback`; every alerted episode that ends gives a :class:`Corrected` record;
* at escalation level ``prompt_at_level`` the episode also prompts a move; so do
  ``prolonged_sitting_s`` of sitting (when the posture is known) and otherwise
  ``long_static_s`` upright without walking, at least ``prompt_cooldown_s`` apart (a timer
  that comes due during the cooldown waits for it, a suppressed one starts again);
* during the baseline, upright angles outside episodes are collected and their median is the
  wearer's typical neutral (:attr:`AlertPolicy.baseline_neutral_deg`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from firmware_protocol import HapticPattern
from sensor_hub.alerts.actions import (
    Action,
    Answered,
    Buzz,
    Corrected,
    Haptic,
    Hold,
    HoldChanged,
    PositiveFeedback,
    Prompt,
    Reason,
    Suppressed,
    What,
)
from sensor_hub.alerts.config import AlertConfig, AlertMode
from sensor_hub.alerts.moves import Catalog, Trigger, load_catalog
from sensor_hub.alerts.selection import (
    Posture,
    places_for,
    select_move,
    trigger_for_episode,
)
from sensor_hub.alerts.state import (
    BASELINE_BINS,
    BASELINE_LOW_DEG,
    OpenEpisode,
    OpenPrompt,
    PolicyState,
)
from sensor_hub.mqtt.commands import Answer
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.config import Role
from sensor_hub.processing.detector import EpisodeEvent, Phase

__all__ = [
    "BASELINE_MIN_SAMPLES",
    "ESCALATION_PATTERNS",
    "AlertPolicy",
    "OpenEpisode",
    "OpenPrompt",
    "PolicyState",
    "UnknownPromptError",
]

#: Pattern by escalation level (the last repeats): stronger as the slouch persists.
ESCALATION_PATTERNS: Final = (
    HapticPattern.DOUBLE,
    HapticPattern.TRIPLE,
    HapticPattern.LONG,
    HapticPattern.RAMP,
)
#: "Well done": one short, soft pulse — unlike any alert pattern.
FEEDBACK_HAPTIC: Final = Haptic(HapticPattern.SINGLE, 40, 120)
#: Observations needed before the baseline neutral is reported.
BASELINE_MIN_SAMPLES: Final = 30
_HOUR_S: Final = 3600.0
_KEEP_PROMPTS: Final = 32


class UnknownPromptError(KeyError):
    """An answer to a prompt the policy does not know (never shown, or answered already)."""


def _role(kind: str) -> Role:
    return Role.LUMBAR if kind == "forward_lean" else Role.PELVIS


class AlertPolicy:
    """One wearer's alert policy.  All methods take the current time and return actions."""

    def __init__(
        self,
        config: AlertConfig | None = None,
        *,
        catalog: Catalog | None = None,
        tz: tzinfo = UTC,
        state: PolicyState | None = None,
    ) -> None:
        self._cfg = config or AlertConfig()
        self._catalog = catalog or load_catalog()
        self._tz = tz
        self._st = state or PolicyState()

    # -- state and settings -------------------------------------------------------------------

    @property
    def config(self) -> AlertConfig:
        return self._cfg

    def reconfigure(self, config: AlertConfig) -> None:
        """New settings from the next call on; open episodes and timers are kept."""
        self._cfg = config

    def get_state(self) -> PolicyState:
        return self._st

    def set_state(self, state: PolicyState) -> None:
        self._st = state

    @property
    def hold(self) -> tuple[Hold, float] | None:
        """The snooze or pause in force and its end (as of the last call)."""
        st = self._st
        return None if st.hold is None or st.hold_until_s is None else (st.hold, st.hold_until_s)

    def in_baseline(self, now_s: float) -> bool:
        until = self._cfg.baseline_until_s
        return until is not None and now_s < until

    @property
    def baseline_samples(self) -> int:
        return sum(self._st.baseline_counts)

    @property
    def baseline_neutral_deg(self) -> float | None:
        """The wearer's typical upright flexion outside episodes during the baseline (the
        median, 1° resolution), or ``None`` before ``BASELINE_MIN_SAMPLES`` observations."""
        counts = self._st.baseline_counts
        total = sum(counts)
        if total < BASELINE_MIN_SAMPLES:
            return None
        running = 0
        for i, count in enumerate(counts):
            running += count
            if 2 * running >= total:
                return float(BASELINE_LOW_DEG + i)
        return None  # pragma: no cover - the loop always returns

    # -- inputs -------------------------------------------------------------------------------

    def tick(self, now_s: float) -> tuple[Action, ...]:
        """Let time pass: automatic resume, escalations, static and sitting timers."""
        out: list[Action] = []
        now_s = self._advance(now_s, out)
        for ep in self._st.episodes:
            if ep.next_s is not None and now_s >= ep.next_s:
                self._alert(now_s, ep, out)
        self._timers(now_s, out)
        return tuple(out)

    def on_episode(self, event: EpisodeEvent) -> tuple[Action, ...]:
        """A detector event (at ``event.time_s``)."""
        out = list(self.tick(event.time_s))
        now_s = self._now(event.time_s)
        ep_in = event.episode
        others = tuple(e for e in self._st.episodes if e.kind != ep_in.kind)
        current = next((e for e in self._st.episodes if e.kind == ep_in.kind), None)
        if event.phase is Phase.STARTED:
            self._st = replace(self._st, episodes=(*others, OpenEpisode(ep_in.kind, ep_in.start_s)))
        elif event.phase is Phase.ALERTED:
            ep = current or OpenEpisode(ep_in.kind, ep_in.start_s)
            ep = replace(ep, alert_s=now_s, next_s=now_s)
            self._st = replace(self._st, episodes=(*others, ep))
            self._alert(now_s, ep, out)
        else:
            self._st = replace(self._st, episodes=others)
            if current is not None and current.alert_s is not None:
                self._ended(now_s, current, current.alert_s, ep_in.end_s, out)
        return tuple(out)

    def on_activity(
        self, now_s: float, activity: Activity, posture: Posture | None = None
    ) -> tuple[Action, ...]:
        """What the wearer is doing; ``posture`` when known (None keeps the last one)."""
        out = list(self.tick(now_s))
        now_s = self._now(now_s)
        st = self._st
        posture = st.posture if posture is None else posture
        static, anchor = st.static_since_s, st.static_anchor_s
        sitting, sit_anchor = st.sitting_since_s, st.sitting_anchor_s
        if activity is not Activity.UPRIGHT:
            static = anchor = sitting = sit_anchor = None
        else:
            if static is None:
                static = anchor = now_s
            if posture is not Posture.SITTING:
                sitting = sit_anchor = None
            elif sitting is None:
                sitting = sit_anchor = now_s
        self._st = replace(
            st,
            activity=activity,
            posture=posture,
            static_since_s=static,
            static_anchor_s=anchor,
            sitting_since_s=sitting,
            sitting_anchor_s=sit_anchor,
        )
        return tuple(out)

    def observe(self, now_s: float, flexion_deg: float) -> None:
        """An angle sample (e.g. a block's median) for the baseline: counted only during the
        baseline, while upright and outside episodes, so a slouch is never learned as neutral."""
        st = self._st
        if not self.in_baseline(now_s) or st.activity is not Activity.UPRIGHT or st.episodes:
            return
        if not math.isfinite(flexion_deg):
            return
        i = min(max(round(flexion_deg) - BASELINE_LOW_DEG, 0), BASELINE_BINS - 1)
        counts = list(st.baseline_counts)
        counts[i] += 1
        self._st = replace(st, baseline_counts=tuple(counts))

    def snooze(self, now_s: float, until_s: float | None = None) -> tuple[Action, ...]:
        """Mute alerts and prompts until ``until_s`` (default: ``snooze_s`` from now)."""
        return self._hold(now_s, Hold.SNOOZE, until_s, self._cfg.snooze_s)

    def pause(self, now_s: float, until_s: float | None = None) -> tuple[Action, ...]:
        """Pause (the hub also stops detecting) until ``until_s`` (default ``pause_s``)."""
        return self._hold(now_s, Hold.PAUSE, until_s, self._cfg.pause_s)

    def tomorrow_s(self, now_s: float) -> float:
        """The start of the next local day: the end of an "until tomorrow" snooze."""
        local = datetime.fromtimestamp(now_s, self._tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return (start + timedelta(days=1)).timestamp()

    def resume(self, now_s: float) -> tuple[Action, ...]:
        """End a snooze or pause now."""
        out = list(self.tick(now_s))
        if self._st.hold is not None:
            self._st = replace(self._st, hold=None, hold_until_s=None)
            out.append(HoldChanged(self._now(now_s), None, None))
        return tuple(out)

    def answer(self, now_s: float, prompt_id: str, answer: Answer) -> tuple[Action, ...]:
        """The wearer's answer to a prompt.  ``done`` counts towards progression and restarts
        the static and sitting timers (the wearer moved); ``snooze`` snoozes for ``snooze_s``.

        Raises:
            UnknownPromptError: not a prompt shown and still open.
        """
        prompt = next((p for p in self._st.prompts if p.prompt_id == prompt_id), None)
        if prompt is None:
            raise UnknownPromptError(prompt_id)
        out = list(self.tick(now_s))
        now_s = self._now(now_s)
        st = self._st
        st = replace(st, prompts=tuple(p for p in st.prompts if p.prompt_id != prompt_id))
        if answer is Answer.DONE:
            st = replace(
                st,
                history=st.history.with_done(prompt.move_id),
                static_anchor_s=None if st.static_since_s is None else now_s,
                sitting_anchor_s=None if st.sitting_since_s is None else now_s,
            )
        self._st = st
        out.append(Answered(now_s, prompt_id, prompt.move_id, answer, now_s - prompt.time_s))
        if answer is Answer.SNOOZE:
            out.extend(self.snooze(now_s))
        return tuple(out)

    # -- internals ----------------------------------------------------------------------------

    def _now(self, default_s: float) -> float:
        """The policy's time: the latest seen (set by every tick)."""
        return default_s if self._st.now_s is None else self._st.now_s

    def _advance(self, now_s: float, out: list[Action]) -> float:
        st = self._st
        if st.now_s is not None:
            now_s = max(now_s, st.now_s)  # the clock never runs backwards here
        if st.hold is not None and st.hold_until_s is not None and now_s >= st.hold_until_s:
            out.append(HoldChanged(now_s, None, None, automatic=True))
            st = replace(st, hold=None, hold_until_s=None)
        buzzes = tuple(t for t in st.buzz_times_s if now_s - t < _HOUR_S)
        self._st = replace(st, now_s=now_s, buzz_times_s=buzzes)
        return now_s

    def _hold(
        self, now_s: float, hold: Hold, until_s: float | None, default_s: float
    ) -> tuple[Action, ...]:
        out = list(self.tick(now_s))
        now_s = self._now(now_s)
        until = now_s + default_s if until_s is None else until_s
        if until <= now_s:
            return tuple(out)
        self._st = replace(self._st, hold=hold, hold_until_s=until)
        out.append(HoldChanged(now_s, hold, until))
        return tuple(out)

    def _gate(self, now_s: float) -> Reason | None:  # noqa: PLR0911 - one rule per line
        """Why nothing may be delivered now (the hourly cap is checked by buzzes only)."""
        st, cfg = self._st, self._cfg
        if st.hold is Hold.PAUSE:
            return Reason.PAUSED
        if cfg.mode is AlertMode.TRACKING:
            return Reason.TRACKING
        if self.in_baseline(now_s):
            return Reason.BASELINE
        if st.activity is Activity.LYING:
            return Reason.LYING
        if st.activity is Activity.WALKING:
            return Reason.WALKING
        if st.hold is Hold.SNOOZE:
            return Reason.SNOOZED
        if cfg.quiet_hours and cfg.quiet_hours.contains(
            datetime.fromtimestamp(now_s, self._tz).time()
        ):
            return Reason.QUIET_HOURS
        return None

    def _put(self, ep: OpenEpisode) -> None:
        self._st = replace(
            self._st, episodes=tuple(ep if e.kind == ep.kind else e for e in self._st.episodes)
        )

    def _suppress(self, now_s: float, ep: OpenEpisode, reason: Reason, out: list[Action]) -> None:
        if ep.last_reason is not reason:
            out.append(Suppressed(now_s, What.ALERT, reason, ep.kind, None, ep.level))
        self._put(replace(ep, last_reason=reason, next_s=now_s + self._cfg.repeat_after_s))

    def _alert(self, now_s: float, ep: OpenEpisode, out: list[Action]) -> None:
        cfg = self._cfg
        if ep.level > cfg.max_escalations:
            if not ep.capped:
                out.append(Suppressed(now_s, What.ALERT, Reason.ESCALATION_CAP, ep.kind))
            self._put(replace(ep, capped=True, next_s=None))
            return
        reason = self._gate(now_s)
        if reason is not None:
            self._suppress(now_s, ep, reason, out)
            return
        if cfg.prompt_at_level is not None and ep.level >= cfg.prompt_at_level and not ep.prompted:
            trigger = trigger_for_episode(ep.kind, self._st.posture)
            self._prompt(now_s, trigger, now_s - ep.start_s, _role(ep.kind), out, wait=False)
            ep = replace(ep, prompted=True)
        if len(self._st.buzz_times_s) >= cfg.max_alerts_per_hour:
            self._suppress(now_s, ep, Reason.HOURLY_CAP, out)
            return
        pattern = ESCALATION_PATTERNS[min(ep.level, len(ESCALATION_PATTERNS) - 1)]
        intensity = min(100, cfg.haptic_intensity_pct + ep.level * cfg.haptic_step_pct)
        haptic = Haptic(pattern, intensity, cfg.haptic_duration_ms)
        out.append(Buzz(now_s, _role(ep.kind), ep.kind, ep.level, haptic, ep.start_s))
        self._st = replace(self._st, buzz_times_s=(*self._st.buzz_times_s, now_s))
        self._put(
            replace(
                ep,
                level=ep.level + 1,
                last_buzz_s=now_s,
                last_reason=None,
                next_s=now_s + cfg.repeat_after_s,
            )
        )

    def _ended(
        self,
        now_s: float,
        ep: OpenEpisode,
        alert_s: float,
        end_s: float | None,
        out: list[Action],
    ) -> None:
        end = now_s if end_s is None else end_s
        role = _role(ep.kind)
        out.append(Corrected(now_s, role, ep.kind, alert_s, end, end - alert_s, ep.level))
        if ep.last_buzz_s is not None and end - ep.last_buzz_s <= (
            self._cfg.positive_feedback_within_s
        ):
            # No feedback pulse once the wearer has asked for quiet (a snooze just now).
            quiet = self._gate(now_s) is not None
            haptic = FEEDBACK_HAPTIC if self._cfg.positive_feedback_buzz and not quiet else None
            out.append(PositiveFeedback(now_s, role, ep.kind, end - ep.last_buzz_s, haptic))

    def _timers(self, now_s: float, out: list[Action]) -> None:
        cfg, st = self._cfg, self._st
        if st.activity is not Activity.UPRIGHT:
            return
        due: list[tuple[Trigger, float]] = []
        # While the sitting timer runs it is the more specific reason: the static one waits.
        sitting = cfg.prolonged_sitting_s is not None and st.sitting_anchor_s is not None
        static_limit = None if sitting else cfg.long_static_s
        for trigger, limit, anchor, since in (
            (
                Trigger.PROLONGED_SITTING,
                cfg.prolonged_sitting_s,
                st.sitting_anchor_s,
                st.sitting_since_s,
            ),
            (Trigger.LONG_STATIC, static_limit, st.static_anchor_s, st.static_since_s),
        ):
            if limit is not None and anchor is not None and now_s - anchor >= limit:
                due.append((trigger, anchor if since is None else since))
        for trigger, since in due:
            reason = self._gate(now_s)
            if reason is not None:
                out.append(Suppressed(now_s, What.PROMPT, reason, None, trigger))
                self._restart(trigger, now_s)
            elif self._prompt(now_s, trigger, now_s - since, None, out, wait=True):
                self._restart(Trigger.PROLONGED_SITTING, now_s)
                self._restart(Trigger.LONG_STATIC, now_s)

    def _restart(self, trigger: Trigger, now_s: float) -> None:
        st = self._st
        if trigger is Trigger.PROLONGED_SITTING and st.sitting_anchor_s is not None:
            self._st = replace(st, sitting_anchor_s=now_s)
        elif trigger is Trigger.LONG_STATIC and st.static_anchor_s is not None:
            self._st = replace(st, static_anchor_s=now_s)

    def _prompt(
        self,
        now_s: float,
        trigger: Trigger,
        lasted_s: float,
        role: Role | None,
        out: list[Action],
        *,
        wait: bool,
    ) -> bool:
        """Prompt a move for ``trigger``; True when it was decided (shown or no move).  In the
        prompt cooldown a timer (``wait``) waits silently; an episode records the cooldown."""
        cfg, st = self._cfg, self._st
        if st.last_prompt_s is not None and now_s - st.last_prompt_s < cfg.prompt_cooldown_s:
            if not wait:
                out.append(Suppressed(now_s, What.PROMPT, Reason.PROMPT_COOLDOWN, None, trigger))
            return False
        places = places_for(st.posture, floor_when_standing=cfg.floor_when_standing)
        chosen = select_move(
            self._catalog,
            trigger,
            places,
            st.history,
            now_s,
            move_cooldown_s=cfg.move_cooldown_s,
            progress_after_done=cfg.progress_after_done,
            lasted_s=lasted_s,
        )
        if chosen is None:
            out.append(Suppressed(now_s, What.PROMPT, Reason.NO_MOVE, None, trigger))
            return True
        prompt_id = f"p{int(now_s)}-{st.prompt_seq}"
        out.append(
            Prompt(
                now_s,
                prompt_id,
                chosen.move,
                trigger,
                chosen.why,
                chosen.chosen_because,
                role,
                self._catalog.safety,
            )
        )
        opened = (*st.prompts, OpenPrompt(prompt_id, chosen.move.id, now_s))[-_KEEP_PROMPTS:]
        self._st = replace(
            st,
            last_prompt_s=now_s,
            prompts=opened,
            prompt_seq=st.prompt_seq + 1,
            history=st.history.with_shown(chosen.family, now_s),
        )
        return True
