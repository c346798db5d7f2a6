"""From the alert policy's decisions to events-topic messages (pure).

The policy (:mod:`sensor_hub.alerts`) returns every decision as a frozen record; those a
dashboard or the recorder needs become events: a :class:`~sensor_hub.alerts.Buzz` is an
``alert``, a :class:`~sensor_hub.alerts.Suppressed` an ``alert_suppressed``, an
:class:`~sensor_hub.alerts.Answered` a ``prompt_answered``, a
:class:`~sensor_hub.alerts.PositiveFeedback` a ``feedback``, and a
:class:`~sensor_hub.alerts.Prompt` its ``prompt`` event.  :class:`~sensor_hub.alerts.Corrected`
(the episode's ``episode_ended`` event carries ``alert_s`` and ``end_s``) and
:class:`~sensor_hub.alerts.HoldChanged` (the state topic's ``paused_until``) are not events.

This module imports the alert policy's records; nothing else in :mod:`sensor_hub.mqtt` does.
"""

from __future__ import annotations

from sensor_hub.alerts.actions import (
    Action,
    Answered,
    Buzz,
    PositiveFeedback,
    Prompt,
    Suppressed,
)
from sensor_hub.mqtt.messages import (
    AlertMessage,
    Answer,
    AnswerMessage,
    EpisodeKind,
    EventMessage,
    FeedbackMessage,
    PayloadError,
    SuppressedMessage,
    SuppressedWhat,
    SuppressionReason,
)

__all__ = ["decision_message"]


def _kind(kind: str) -> EpisodeKind:
    try:
        return EpisodeKind(kind)
    except ValueError:
        raise PayloadError(f"unknown episode kind {kind!r}") from None


def decision_message(wearer: str, action: Action) -> EventMessage | None:
    """The events-topic message of one of the policy's decisions (``None``: not an event).

    Raises:
        PayloadError: a record that makes no valid message (an unknown episode kind).
    """
    if isinstance(action, Buzz):
        return AlertMessage(
            wearer=wearer,
            ts_s=action.time_s,
            sensor=action.role,
            kind=_kind(action.kind),
            level=action.level,
            pattern=action.haptic.pattern,
            intensity_pct=action.haptic.intensity_pct,
            episode_start_s=action.episode_start_s,
        )
    if isinstance(action, Suppressed):
        return SuppressedMessage(
            wearer=wearer,
            ts_s=action.time_s,
            what=SuppressedWhat(action.what.value),
            reason=SuppressionReason(action.reason.value),
            kind=None if action.kind is None else _kind(action.kind),
            level=action.level,
            trigger=None if action.trigger is None else action.trigger.value,
        )
    if isinstance(action, Answered):
        return AnswerMessage(
            wearer=wearer,
            ts_s=action.time_s,
            prompt_id=action.prompt_id,
            move_id=action.move_id,
            answer=Answer(action.answer.value),
            response_s=action.response_s,
        )
    if isinstance(action, PositiveFeedback):
        return FeedbackMessage(
            wearer=wearer,
            ts_s=action.time_s,
            sensor=action.role,
            kind=_kind(action.kind),
            corrected_after_s=action.corrected_after_s,
            buzz=action.haptic is not None,
        )
    if isinstance(action, Prompt):
        return action.to_message(wearer)
    return None
