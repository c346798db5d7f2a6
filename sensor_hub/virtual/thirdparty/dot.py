"""The Movella DOT twin."""

from __future__ import annotations

import math
import struct
from typing import Any, ClassVar, Final

import numpy as np
from bumble import att, gatt
from bumble.device import Connection

from sensor_hub.devices import movella_dot
from sensor_hub.samples import SampleBlock
from sensor_hub.virtual.thirdparty.base import (
    G,
    Props,
    ThirdPartyTwin,
    characteristic,
    tilt_quaternion,
)

# --- Movella DOT -------------------------------------------------------------------------------

_DOT_CONTROL: Final = struct.Struct("<BBB4BB16sHB5s")  # the 32-byte device control
_DOT_RATE_OFFSET: Final = 24  # u16 output rate, selected by visit-index bit 0x10
_DOT_RATES: Final = frozenset((1, 4, 10, 12, 15, 20, 30, 60))
#: Payload mode -> (payload characteristic, field groups in the order they are sent).
_DOT_MODES: Final = {
    3: (movella_dot.Uuids.MEDIUM_PAYLOAD, ("quat", "free_acc")),
    5: (movella_dot.Uuids.SHORT_PAYLOAD, ("quat",)),
    20: (movella_dot.Uuids.MEDIUM_PAYLOAD, ("acc", "gyr", "mag")),
    21: (movella_dot.Uuids.MEDIUM_PAYLOAD, ("acc", "gyr")),
    26: (movella_dot.Uuids.LONG_PAYLOAD, ("quat", "acc", "gyr")),
}


class DotTwin(ThirdPartyTwin):
    """A Movella DOT: streams the payload mode written with ``01 01 <mode>`` once its payload
    characteristic notifies (``01 00 <mode>`` stops), 60 Hz by default, one sample per
    notification stamped with a u32 µs clock starting at ``clock_offset_us``."""

    DEFAULT_NAME: ClassVar[str] = "Movella DOT"
    SERVICE_UUIDS: ClassVar[tuple[str, ...]] = (
        movella_dot.Uuids.MEASUREMENT_SERVICE,
        movella_dot.Uuids.CONFIGURATION_SERVICE,
    )

    def __init__(
        self,
        block: SampleBlock,
        *,
        rate_hz: float = 60.0,
        clock_offset_us: int = 1_000_000,
        battery_pct: int = 87,
        **kwargs: Any,
    ) -> None:
        super().__init__(block, rate_hz=rate_hz, **kwargs)
        self.clock_offset_us = clock_offset_us
        self.battery_pct = battery_pct
        self.mode: int | None = None
        self._control = bytearray(
            _DOT_CONTROL.pack(
                0, 0, 0, 0, 0, 0, 0, 0, self.name.encode()[:16], round(rate_hz), 0, bytes(5)
            )
        )
        uuids = movella_dot.Uuids
        self._device_control = characteristic(
            uuids.DEVICE_CONTROL,
            Props.READ | Props.WRITE,
            read=lambda _: bytes(self._control),
            write=self._on_device_control,
        )
        self._measurement_control = characteristic(
            uuids.MEASUREMENT_CONTROL,
            Props.READ | Props.WRITE,
            read=lambda _: bytes((1, int(self.mode is not None), self.mode or 0)),
            write=self._on_measurement_control,
        )
        self._payloads = {
            uuid: self._subscribable(uuid)
            for uuid in (uuids.LONG_PAYLOAD, uuids.MEDIUM_PAYLOAD, uuids.SHORT_PAYLOAD)
        }
        self._battery = characteristic(
            uuids.BATTERY,
            Props.READ | Props.NOTIFY,
            read=lambda _: bytes((min(self.battery_pct, 100), 0)),
        )

    def _manufacturer_data(self) -> bytes | None:
        return movella_dot.COMPANY_ID.to_bytes(2, "little") + b"\x00"

    def _services(self) -> list[gatt.Service]:
        uuids = movella_dot.Uuids
        return [
            gatt.Service(uuids.CONFIGURATION_SERVICE, [self._device_control]),
            gatt.Service(
                uuids.MEASUREMENT_SERVICE,
                [self._measurement_control, *self._payloads.values()],
            ),
            gatt.Service(uuids.BATTERY_SERVICE, [self._battery]),
        ]

    def _on_connected(self) -> None:
        self.mode = None

    def _streaming(self) -> bool:
        return self.mode is not None and _DOT_MODES[self.mode][0] in self._subscribed

    def _sample_characteristic(self) -> gatt.Characteristic[bytes]:
        assert self.mode is not None
        return self._payloads[_DOT_MODES[self.mode][0]]

    def _on_measurement_control(self, connection: Connection, value: bytes) -> None:
        del connection
        value = bytes(value)
        self.writes.append((movella_dot.Uuids.MEASUREMENT_CONTROL, value))
        if len(value) != 3 or value[0] != 1 or value[1] > 1 or value[2] not in _DOT_MODES:
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
        self.mode = value[2] if value[1] == 1 else None
        self._kick.set()

    def _on_device_control(self, connection: Connection, value: bytes) -> None:
        del connection
        value = bytes(value)
        self.writes.append((movella_dot.Uuids.DEVICE_CONTROL, value))
        if len(value) != _DOT_CONTROL.size:
            raise att.ATT_Error(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH)
        if value[0] & 0x10:
            (rate,) = struct.unpack_from("<H", value, _DOT_RATE_OFFSET)
            if rate not in _DOT_RATES:
                raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
            struct.pack_into("<H", self._control, _DOT_RATE_OFFSET, rate)
            self.set_rate(rate)

    def _encode(self, index: int, k: int) -> bytes:
        assert self.mode is not None
        timestamp_us = (self.clock_offset_us + round(k * 1e6 / self.rate_hz)) % (1 << 32)
        acc = self.block.acc_mps2[index]
        gyr = self.block.gyr_rads[index]
        data = struct.pack("<I", timestamp_us)
        for group in _DOT_MODES[self.mode][1]:
            if group == "quat":
                data += struct.pack("<4f", *tilt_quaternion(acc))
            elif group == "acc":
                data += struct.pack("<3f", *(float(v) for v in acc))
            elif group == "gyr":
                data += struct.pack("<3f", *(math.degrees(float(v)) for v in gyr))
            elif group == "free_acc":  # earth frame, gravity removed: only its vertical part
                data += struct.pack("<3f", 0.0, 0.0, float(np.linalg.norm(acc)) - G)
            else:  # "mag": no magnetometer model, a constant field
                data += struct.pack("<3h", 0, 0, 0)
        return data
