"""The Nordic Thingy:52 twin."""

from __future__ import annotations

import math
import struct
from typing import Any, ClassVar, Final

from bumble import att, gatt
from bumble.device import Connection

from sensor_hub.devices import thingy52
from sensor_hub.samples import SampleBlock
from sensor_hub.virtual.thirdparty.base import G, Props, ThirdPartyTwin, characteristic, int16

# --- Nordic Thingy:52 --------------------------------------------------------------------------

_THINGY_CONFIG: Final = struct.Struct("<HHHHB")
_THINGY_RAW: Final = struct.Struct("<9h")
_THINGY_ACC_PER_MPS2: Final = 1024.0 / G  # 10 fraction bits of g
_THINGY_GYR_PER_RADS: Final = 32.0 / math.radians(1.0)  # 5 fraction bits of deg/s
_THINGY_RATE_RANGE: Final = (5, 200)


_BATTERY_SERVICE: Final = "0000180f-0000-1000-8000-00805f9b34fb"
_BATTERY_LEVEL: Final = "00002a19-0000-1000-8000-00805f9b34fb"


class ThingyTwin(ThirdPartyTwin):
    """A Thingy:52: streams the raw motion characteristic while it notifies (no start bytes),
    at the motion rate of the configuration characteristic (write-back changes it)."""

    DEFAULT_NAME: ClassVar[str] = "Thingy"
    SERVICE_UUIDS: ClassVar[tuple[str, ...]] = (thingy52.Uuids.MOTION_SERVICE,)

    def __init__(
        self, block: SampleBlock, *, rate_hz: float = 50.0, battery_pct: int = 93, **kwargs: Any
    ) -> None:
        super().__init__(block, rate_hz=rate_hz, **kwargs)
        self._config = bytearray(_THINGY_CONFIG.pack(1000, 500, 500, round(rate_hz), 1))
        self._config_char = characteristic(
            thingy52.Uuids.MOTION_CONFIG,
            Props.READ | Props.WRITE,
            read=lambda _: bytes(self._config),
            write=self._on_config,
        )
        self._raw = self._subscribable(thingy52.Uuids.RAW)
        self.battery_pct = battery_pct
        self._battery = characteristic(
            _BATTERY_LEVEL, Props.READ, read=lambda _: bytes((min(self.battery_pct, 100),))
        )

    def _services(self) -> list[gatt.Service]:
        return [
            gatt.Service(thingy52.Uuids.MOTION_SERVICE, [self._config_char, self._raw]),
            gatt.Service(_BATTERY_SERVICE, [self._battery]),  # the standard one, as on the device
        ]

    def _streaming(self) -> bool:
        return thingy52.Uuids.RAW in self._subscribed

    def _sample_characteristic(self) -> gatt.Characteristic[bytes]:
        return self._raw

    def _on_config(self, connection: Connection, value: bytes) -> None:
        del connection
        value = bytes(value)
        self.writes.append((thingy52.Uuids.MOTION_CONFIG, value))
        if len(value) != _THINGY_CONFIG.size:
            raise att.ATT_Error(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH)
        rate = _THINGY_CONFIG.unpack(value)[3]
        low, high = _THINGY_RATE_RANGE
        if not low <= rate <= high:
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
        self._config[:] = value
        if rate != round(self.rate_hz):
            self.set_rate(rate)

    def _encode(self, index: int, k: int) -> bytes:
        del k
        acc = self.block.acc_mps2[index]
        gyr = self.block.gyr_rads[index]
        return _THINGY_RAW.pack(
            *int16(acc, _THINGY_ACC_PER_MPS2), *int16(gyr, _THINGY_GYR_PER_RADS), 0, 0, 0
        )
