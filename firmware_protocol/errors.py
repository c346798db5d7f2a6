"""Typed errors of the sensor protocol.

Every decoder in this package raises only subclasses of :class:`ProtocolError` for bad bytes;
the hub catches them at one boundary (the BLE layer), counts them, logs the device and the bytes,
and drops the packet.
"""

from __future__ import annotations

__all__ = [
    "BadCrcError",
    "DuplicatePacketError",
    "InvalidFieldError",
    "OutOfOrderPacketError",
    "ProtocolError",
    "SequenceError",
    "TruncatedPacketError",
    "UnknownPacketTypeError",
    "UnknownVersionError",
]


class ProtocolError(Exception):
    """Base class: these bytes are not a valid packet (or not a valid next packet)."""

    #: Short stable name used as a counter key and in logs.
    kind = "protocol_error"


class TruncatedPacketError(ProtocolError):
    """Fewer bytes than the packet's header or its declared sample count requires."""

    kind = "truncated"


class BadCrcError(ProtocolError):
    """The CRC-16 at the end of the packet does not match its contents."""

    kind = "bad_crc"


class UnknownVersionError(ProtocolError):
    """The protocol version nibble is not one this decoder speaks."""

    kind = "unknown_version"


class UnknownPacketTypeError(ProtocolError):
    """The packet type nibble is not defined (or not valid on this characteristic)."""

    kind = "unknown_type"


class InvalidFieldError(ProtocolError):
    """Structurally complete, CRC good, but a field holds a value the spec forbids."""

    kind = "invalid_field"


class SequenceError(ProtocolError):
    """A well-formed packet that cannot be the next one of the stream."""

    kind = "sequence"


class DuplicatePacketError(SequenceError):
    """The same sequence number (and timestamp) as the previous packet."""

    kind = "duplicate"


class OutOfOrderPacketError(SequenceError):
    """A packet older than one already accepted: dropped so time stays strictly increasing."""

    kind = "out_of_order"
