"""Alerts that help instead of nag, and corrective-move prompts (issue 6) — the pure core.

* :mod:`~sensor_hub.alerts.config`: per-wearer settings (:class:`AlertConfig`), validated;
* :mod:`~sensor_hub.alerts.policy`: the state machine (:class:`AlertPolicy`) deciding buzzes,
  prompts and positive feedback from episode events, activity, snooze/pause and answers;
* :mod:`~sensor_hub.alerts.actions`: its decisions as frozen records;
* :mod:`~sensor_hub.alerts.state`: its memory (:class:`PolicyState`) and that as JSON;
* :mod:`~sensor_hub.alerts.moves`: the move catalog (``data/moves.json``);
* :mod:`~sensor_hub.alerts.selection`: which move for what was detected and where;
* :mod:`~sensor_hub.alerts.adherence`: a day's numbers from the records.

No clock, no I/O: time is an argument everywhere.  See ``docs/alerts.md``.
"""

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
from sensor_hub.alerts.adherence import DaySummary, day_bounds, summarize
from sensor_hub.alerts.config import AlertConfig, AlertConfigError, AlertMode, QuietHours
from sensor_hub.alerts.moves import (
    Catalog,
    CatalogError,
    Move,
    Place,
    Sides,
    Trigger,
    load_catalog,
)
from sensor_hub.alerts.policy import AlertPolicy, PolicyState, UnknownPromptError
from sensor_hub.alerts.selection import Posture, Selection, SelectionHistory, select_move
from sensor_hub.alerts.state import StateError, state_from_json, state_to_json

__all__ = [
    "Action",
    "AlertConfig",
    "AlertConfigError",
    "AlertMode",
    "AlertPolicy",
    "Answered",
    "Buzz",
    "Catalog",
    "CatalogError",
    "Corrected",
    "DaySummary",
    "Haptic",
    "Hold",
    "HoldChanged",
    "Move",
    "Place",
    "PolicyState",
    "PositiveFeedback",
    "Posture",
    "Prompt",
    "QuietHours",
    "Reason",
    "Selection",
    "SelectionHistory",
    "Sides",
    "StateError",
    "Suppressed",
    "Trigger",
    "UnknownPromptError",
    "What",
    "day_bounds",
    "load_catalog",
    "select_move",
    "state_from_json",
    "state_to_json",
    "summarize",
]
