"""The processing core: pure numpy, no I/O, no clock.

orientation → calibration (neutral, forward direction) → activity → angles → bands →
sustained-posture detector, one instance per sensor (:class:`PostureProcessor`).  See
``docs/processing.md`` for the definitions and the measured accuracy.
"""

from sensor_hub.processing.activity import Activity
from sensor_hub.processing.bands import Band
from sensor_hub.processing.calibration import CalibrationStatus, ForwardAxis
from sensor_hub.processing.config import ProcessingConfig, Role
from sensor_hub.processing.detector import Episode, EpisodeEvent, Phase
from sensor_hub.processing.pipeline import PostureBlock, PostureProcessor, ProcessorState

__all__ = [
    "Activity",
    "Band",
    "CalibrationStatus",
    "Episode",
    "EpisodeEvent",
    "ForwardAxis",
    "Phase",
    "PostureBlock",
    "PostureProcessor",
    "ProcessingConfig",
    "ProcessorState",
    "Role",
]
