"""A virtual Open Posture Sensor on Bumble, for tests and the demo (see docs/virtual-sensor.md).

:class:`VirtualSensor` is a Bumble GATT peripheral implementing ``firmware_protocol/PROTOCOL.md``
over a :class:`~sensor_hub.ble.air.VirtualAir` (in-process) or a real HCI transport; its
protocol logic is the pure :class:`~.firmware.Firmware`, its samples a :class:`SampleSource`
over any :class:`~sensor_hub.samples.SampleBlock`, its link faults :class:`LinkFaults`.
:mod:`.thirdparty` holds twins of the third-party IMUs (:class:`WitMotionTwin`,
:class:`DotTwin`, :class:`ThingyTwin`).
"""

from sensor_hub.virtual.faults import LinkFaults
from sensor_hub.virtual.firmware import (
    DEFAULT_FEATURES,
    ControlExchange,
    Firmware,
    HapticEvent,
    IdentifyEvent,
    TimeSyncEvent,
)
from sensor_hub.virtual.profile import SensorIdentity
from sensor_hub.virtual.sensor import AdvertisingTiming, VirtualSensor
from sensor_hub.virtual.source import SampleSource, quantize
from sensor_hub.virtual.thirdparty import DotTwin, ThingyTwin, ThirdPartyTwin, WitMotionTwin

__all__ = [
    "DEFAULT_FEATURES",
    "AdvertisingTiming",
    "ControlExchange",
    "DotTwin",
    "Firmware",
    "HapticEvent",
    "IdentifyEvent",
    "LinkFaults",
    "SampleSource",
    "SensorIdentity",
    "ThingyTwin",
    "ThirdPartyTwin",
    "TimeSyncEvent",
    "VirtualSensor",
    "WitMotionTwin",
    "quantize",
]
