"""Tests of the alert policy, the move catalog, selection and adherence (pure, fast).

``Wearer`` drives an :class:`AlertPolicy` with an injected clock: times are seconds after
``T0`` (a Wednesday, 09:00 UTC; the policy runs in UTC unless a test says otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from sensor_hub.alerts import Action, AlertConfig, AlertPolicy, Posture
from sensor_hub.processing.activity import Activity
from sensor_hub.processing.detector import Episode, EpisodeEvent, Phase

A = TypeVar("A")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()


class Wearer:
    """A policy and a clock; every call returns the actions it produced."""

    def __init__(self, config: AlertConfig | None = None, /, **changes: object) -> None:
        # The scenarios here were written for prompts at the first escalation (level 1).
        cfg = config or AlertConfig(prompt_at_level=1)
        self.policy = AlertPolicy(cfg.updated(**changes) if changes else cfg)
        self.log: list[Action] = []
        self._starts: dict[str, float] = {}

    def _keep(self, actions: tuple[Action, ...]) -> list[Action]:
        self.log.extend(actions)
        return list(actions)

    def activity(
        self, t: float, activity: Activity = Activity.UPRIGHT, posture: Posture | None = None
    ) -> list[Action]:
        return self._keep(self.policy.on_activity(T0 + t, activity, posture))

    def tick(self, t: float) -> list[Action]:
        return self._keep(self.policy.tick(T0 + t))

    def run(self, t_from: float, t_to: float, step: float = 1.0) -> list[Action]:
        """Tick every ``step`` seconds over ``[t_from, t_to]``."""
        out: list[Action] = []
        t = t_from
        while t <= t_to:
            out += self.tick(t)
            t += step
        return out

    def start(self, t: float, kind: str = "forward_lean") -> list[Action]:
        self._starts[kind] = t
        ep = Episode(kind, T0 + t, None, None, 30.0, 25.0)
        return self._keep(self.policy.on_episode(EpisodeEvent(Phase.STARTED, T0 + t, ep)))

    def alert(self, t: float, kind: str = "forward_lean") -> list[Action]:
        start = self._starts.setdefault(kind, t - 30.0)
        ep = Episode(kind, T0 + start, T0 + t, None, 30.0, 25.0)
        return self._keep(self.policy.on_episode(EpisodeEvent(Phase.ALERTED, T0 + t, ep)))

    def end(self, t: float, end_t: float | None = None, kind: str = "forward_lean") -> list[Action]:
        start = self._starts.pop(kind, t - 60.0)
        end = T0 + (t if end_t is None else end_t)
        ep = Episode(kind, T0 + start, None, end, 30.0, 25.0)
        return self._keep(self.policy.on_episode(EpisodeEvent(Phase.ENDED, T0 + t, ep)))

    def slouch(self, t: float, kind: str = "forward_lean") -> list[Action]:
        """An episode starting at ``t`` and alerting 30 s later."""
        return self.start(t, kind) + self.alert(t + 30.0, kind)


def of(actions: list[Action], cls: type[A]) -> list[A]:
    return [a for a in actions if isinstance(a, cls)]
