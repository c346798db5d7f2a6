"""The WitMotion WT901BLE twin."""

from __future__ import annotations

import math
import struct
from typing import Any, ClassVar, Final

import numpy as np
from bumble import gatt
from bumble.device import Connection

from sensor_hub.devices import witmotion
from sensor_hub.samples import SampleBlock
from sensor_hub.virtual.thirdparty.base import (
    G,
    Props,
    ThirdPartyTwin,
    characteristic,
    int16,
    tilt_quaternion,
)

# --- WitMotion WT901BLE ------------------------------------------------------------------------

#: Frame layouts (docs/devices.md): header 0x55, type, then int16 little-endian.
_WIT_IMU: Final = struct.Struct("<BB9h")
_WIT_REPLY: Final = struct.Struct("<BBH8h")
_WIT_ACC_PER_MPS2: Final = 32768.0 / (16.0 * G)
_WIT_GYR_PER_RADS: Final = 32768.0 / math.radians(2000.0)
_WIT_ANGLE_PER_DEG: Final = 32768.0 / 180.0
#: Rate register codes.
_WIT_RATE_CODES: Final = {0x06: 10, 0x07: 20, 0x08: 50, 0x09: 100, 0x0A: 200}


class WitMotionTwin(ThirdPartyTwin):
    """A WT901BLE: streams ``0x55 0x61`` frames (one per notification) as soon as notifications
    are on, 10 Hz out of the box; honours rate writes and register reads."""

    DEFAULT_NAME: ClassVar[str] = "WT901BLE67"
    SERVICE_UUIDS: ClassVar[tuple[str, ...]] = (witmotion.Uuids.SERVICE,)

    def __init__(self, block: SampleBlock, *, rate_hz: float = 10.0, **kwargs: Any) -> None:
        super().__init__(block, rate_hz=rate_hz, **kwargs)
        self._notify_char = self._subscribable(witmotion.Uuids.NOTIFY)
        self._write_char = characteristic(
            witmotion.Uuids.WRITE,
            Props.WRITE | Props.WRITE_WITHOUT_RESPONSE,
            write=self._on_write,
        )
        self._last_index = 0

    def _services(self) -> list[gatt.Service]:
        return [gatt.Service(witmotion.Uuids.SERVICE, [self._notify_char, self._write_char])]

    def _streaming(self) -> bool:
        return witmotion.Uuids.NOTIFY in self._subscribed

    def _sample_characteristic(self) -> gatt.Characteristic[bytes]:
        return self._notify_char

    def _encode(self, index: int, k: int) -> bytes:
        del k
        self._last_index = index
        acc = self.block.acc_mps2[index]
        gyr = self.block.gyr_rads[index]
        roll = math.degrees(math.atan2(acc[1], acc[2]))
        pitch = math.degrees(math.atan2(-acc[0], math.hypot(acc[1], acc[2])))
        angles = int16(np.array([roll, pitch, 0.0]), _WIT_ANGLE_PER_DEG)
        return _WIT_IMU.pack(
            0x55,
            0x61,
            *int16(acc, _WIT_ACC_PER_MPS2),
            *int16(gyr, _WIT_GYR_PER_RADS),
            *angles,
        )

    def _on_write(self, connection: Connection, value: bytes) -> None:
        del connection
        value = bytes(value)
        self.writes.append((witmotion.Uuids.WRITE, value))
        if len(value) != 5 or value[:2] != b"\xff\xaa":
            return  # a real WT901 ignores what it does not understand
        register, lo = value[2], value[3]  # value[4]: high byte, unused by these registers
        if register == 0x03 and lo in _WIT_RATE_CODES:
            self.set_rate(_WIT_RATE_CODES[lo])
        elif register == 0x27:
            self._spawn(self.notify(self._notify_char, self._register_reply(lo)))

    def _register_reply(self, register: int) -> bytes:
        regs = [0] * 8
        if register == 0x03:
            codes = {rate: code for code, rate in _WIT_RATE_CODES.items()}
            regs[0] = codes.get(round(self.rate_hz), 0)
        elif register == 0x40:
            regs[0] = 2500  # 25.00 degC
        elif register == 0x51:
            q = tilt_quaternion(self.block.acc_mps2[self._last_index])
            regs[:4] = int16(np.array(q), 32767.0)
        return _WIT_REPLY.pack(0x55, 0x71, register, *regs)
