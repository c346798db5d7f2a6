"""Typed errors of the third-party device decoders.

Mirrors :mod:`firmware_protocol.errors`: every decoder in :mod:`sensor_hub.devices` raises only
subclasses of :class:`DeviceFrameError` for bad bytes, each with a short stable ``kind`` that the
stream adapters use as a counter key.  The BLE layer catches them at one boundary, counts, logs the
device and the bytes, and drops the frame.
"""

from __future__ import annotations

__all__ = [
    "BadChecksumError",
    "BadHeaderError",
    "DeviceFrameError",
    "InvalidFrameFieldError",
    "TruncatedFrameError",
    "UnknownFrameTypeError",
]


class DeviceFrameError(Exception):
    """Base class: these bytes are not a valid frame of the device's protocol."""

    #: Short stable name used as a counter key and in logs.
    kind = "device_frame_error"


class TruncatedFrameError(DeviceFrameError):
    """Fewer bytes than the frame layout needs."""

    kind = "truncated"


class BadHeaderError(DeviceFrameError):
    """The frame does not start with the device's header byte(s)."""

    kind = "bad_header"


class BadChecksumError(DeviceFrameError):
    """The frame's checksum does not match its contents (for devices whose frames carry one)."""

    kind = "bad_checksum"


class UnknownFrameTypeError(DeviceFrameError):
    """A header that announces a frame type (or payload mode) this decoder does not know."""

    kind = "unknown_type"


class InvalidFrameFieldError(DeviceFrameError):
    """Structurally complete, but a field is impossible: a non-finite or out-of-range value, a
    quaternion far from unit norm, trailing bytes beyond the characteristic's size."""

    kind = "invalid_field"
