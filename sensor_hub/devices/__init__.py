"""Adapters for IMUs people already own: WitMotion WT901BLE family, Movella DOT, Thingy:52.

Pure protocol code, like :mod:`firmware_protocol`: no bleak, no asyncio, no I/O.  Each device
module holds its GATT facts as tables (UUIDs, layouts, command builders), decoders from bytes to
frozen dataclasses in SI units, and a stream adapter whose ``feed(data, host_time_s)`` turns
notifications into :class:`~sensor_hub.samples.SampleBlock` in body axes.  Decoders raise only
:class:`~sensor_hub.devices.errors.DeviceFrameError`; adapters count and drop bad frames.
``docs/devices.md`` describes each protocol and how to wear each device.
"""

from sensor_hub.devices import movella_dot, thingy52, witmotion
from sensor_hub.devices.axes import LOWER_BACK_AXES, axes_from_rest, resolve_axes
from sensor_hub.devices.errors import (
    BadChecksumError,
    BadHeaderError,
    DeviceFrameError,
    InvalidFrameFieldError,
    TruncatedFrameError,
    UnknownFrameTypeError,
)
from sensor_hub.devices.movella_dot import DotStream
from sensor_hub.devices.stream import ArrivalClock, DeviceClock, DeviceStreamStats
from sensor_hub.devices.thingy52 import ThingyRawStream
from sensor_hub.devices.witmotion import WitMotionStream

__all__ = [
    "LOWER_BACK_AXES",
    "ArrivalClock",
    "BadChecksumError",
    "BadHeaderError",
    "DeviceClock",
    "DeviceFrameError",
    "DeviceStreamStats",
    "DotStream",
    "InvalidFrameFieldError",
    "ThingyRawStream",
    "TruncatedFrameError",
    "UnknownFrameTypeError",
    "WitMotionStream",
    "axes_from_rest",
    "movella_dot",
    "resolve_axes",
    "thingy52",
    "witmotion",
]
