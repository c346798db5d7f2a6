"""Virtual twins of the third-party IMUs the hub accepts (docs/devices.md): Bumble GATT
peripherals that advertise and stream like a WitMotion WT901BLE, a Movella DOT and a Nordic
Thingy:52.

Each twin replays a :class:`~sensor_hub.samples.SampleBlock` (taken as the device frame: pass
the adapter ``axes="+x,+y,+z"`` to get it back unchanged) at the device's output rate, at real
pace (``speed=1``) or faster.  Device sample *k* is the source sample at or just before source
time ``k / rate`` (no interpolation), and :attr:`ThirdPartyTwin.sent_indices` records which
source sample each notification carried, so a test can compare what it decodes with the source.

The frames are packed here with :mod:`struct` from the protocol facts in docs/devices.md, not
with the decoders' code (as ``scripts/make_device_vectors.py`` does): the twins cross-check the
adapters of :mod:`sensor_hub.devices` rather than echo them.  The advertised names and service
UUIDs, and the GATT UUIDs, are the adapters' tables (they are what the hub looks for).

Commands honoured: WitMotion rate writes (``FF AA 03 <code> 00``, unlock/save accepted) and
register reads (``FF AA 27 <reg> 00``, answered with a ``0x71`` frame: rate, quaternion,
temperature); DOT start/stop (``01 01|00 <mode>`` on the measurement control) in every payload
mode and the output rate by device-control write-back; Thingy:52 motion rate by configuration
write-back.  Not modelled: Thingy quaternion/Euler/gravity characteristics, DOT battery
notifications, connection parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import struct
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Final

import numpy as np
from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device

from sensor_hub.ble.air import VirtualAir
from sensor_hub.devices import movella_dot, thingy52, witmotion
from sensor_hub.samples import SampleBlock

__all__ = ["DotTwin", "ThingyTwin", "ThirdPartyTwin", "WitMotionTwin"]

log = logging.getLogger(__name__)

G: Final = 9.80665
Props = gatt.Characteristic.Properties
_ANY_ACCESS: Final = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE
_FLAGS: Final = bytes([0x06])  # LE General Discoverable, BR/EDR not supported

ReadFn = Callable[[Connection], bytes]
WriteFn = Callable[[Connection, bytes], None]


def _no_read(connection: Connection) -> bytes:
    del connection
    raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)


def _no_write(connection: Connection, value: bytes) -> None:
    del connection, value
    raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)


def _characteristic(
    uuid: str, properties: Props, read: ReadFn = _no_read, write: WriteFn = _no_write
) -> gatt.Characteristic[bytes]:
    return gatt.Characteristic(
        uuid, properties, _ANY_ACCESS, gatt.CharacteristicValue(read=read, write=write)
    )


def _int16(values: np.ndarray, per_unit: float) -> list[int]:
    """Physical values -> int16 counts (rounded, clipped to the int16 range)."""
    return [int(v) for v in np.clip(np.rint(values * per_unit), -32768, 32767)]


def _tilt_quaternion(acc: np.ndarray) -> tuple[float, float, float, float]:
    """A unit quaternion (w, x, y, z) turning device z onto the measured "up" (gravity only)."""
    norm = float(np.linalg.norm(acc))
    if not norm > 0:
        return (1.0, 0.0, 0.0, 0.0)
    ux, uy, uz = (float(v) / norm for v in acc)
    # Half-way vector between z and up: q = (1 + z.u, z x u), normalised.
    w, x, y, z = 1.0 + uz, -uy, ux, 0.0
    n = math.sqrt(w * w + x * x + y * y + z * z)
    if n < 1e-9:  # up is -z: half a turn about x
        return (0.0, 1.0, 0.0, 0.0)
    return (w / n, x / n, y / n, z / n)


class ThirdPartyTwin:
    """What the three twins share: a Bumble peripheral on a :class:`VirtualAir`, advertising
    until connected (one hub at a time, advertising again after a disconnection), and a paced
    stream of the source at :attr:`rate_hz` while :meth:`_streaming` holds.

    Args:
        block: what the IMU measures (device frame).
        rate_hz: initial output rate.
        speed: replay speed (1 = real pace).
        name: advertised complete local name.
        address: random static address (default: allocated by the air).
        advertising_interval_ms: advertising interval.
    """

    DEFAULT_NAME: ClassVar[str] = "IMU"
    SERVICE_UUIDS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        block: SampleBlock,
        *,
        rate_hz: float,
        speed: float = 1.0,
        name: str | None = None,
        address: str | None = None,
        advertising_interval_ms: float = 20.0,
    ) -> None:
        if len(block) < 1:
            raise ValueError("a twin needs at least one sample")
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be a positive finite number, got {speed}")
        self.block = block
        self.rate_hz = float(rate_hz)
        self.speed = speed
        self.name = name or self.DEFAULT_NAME
        self._address = address
        self.advertising_interval_ms = advertising_interval_ms
        #: Source index of every sample notified, in order.
        self.sent_indices: list[int] = []
        #: Every value written to the twin: (characteristic UUID, bytes).
        self.writes: list[tuple[str, bytes]] = []
        self._device: Device | None = None
        self._air: VirtualAir | None = None
        self._connection: Connection | None = None
        self._subscribed: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stream_task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._stopping = False
        self._rate_changed = False
        self._next_sample = 0

    # -- to be provided by each device ------------------------------------------------------

    def _services(self) -> list[gatt.Service]:
        raise NotImplementedError

    def _streaming(self) -> bool:
        """Whether samples flow now (subscription and start command as the device needs)."""
        raise NotImplementedError

    def _sample_characteristic(self) -> gatt.Characteristic[bytes]:
        raise NotImplementedError

    def _encode(self, index: int, k: int) -> bytes:
        """The notification carrying source sample ``index`` as device sample ``k``."""
        raise NotImplementedError

    def _manufacturer_data(self) -> bytes | None:
        return None

    # -- life cycle -------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The twin's address, as bleak reports it (after :meth:`start`)."""
        if self._address is None:
            raise RuntimeError("the twin has no address before start()")
        return self._address

    @property
    def connected(self) -> bool:
        """A hub is connected."""
        return self._connection is not None

    @property
    def exhausted(self) -> bool:
        """Every source sample has been sent."""
        return self._next_sample_index() is None

    async def start(self, air: VirtualAir) -> None:
        """Power on as a new controller of ``air`` and advertise."""
        self._air = air
        self._stopping = False
        if self._address is None:
            self._address = air.allocate_address()
        device = air.create_device(self.name, self._address)
        for service in self._services():
            device.add_service(service)
        device.on("connection", self._on_connection)
        self._device = device
        await device.power_on()
        await self._advertise()

    async def stop(self) -> None:
        """Hang up, stop advertising, power off."""
        self._stopping = True
        device, connection = self._device, self._connection
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.disconnect()
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if device is not None and self._air is not None:
            await self._air.release_device(device)
        self._device = None

    async def __aenter__(self) -> ThirdPartyTwin:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _advertise(self) -> None:
        device = self._device
        if device is None or self._stopping or not device.powered_on or device.is_advertising:
            return
        fields: list[tuple[int, bytes]] = [
            (AdvertisingData.FLAGS, _FLAGS),
            (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
        ]
        if self.SERVICE_UUIDS:
            fields.append(
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    b"".join(UUID(u).to_bytes() for u in self.SERVICE_UUIDS),
                )
            )
        manufacturer = self._manufacturer_data()
        if manufacturer is not None:
            fields.append((AdvertisingData.MANUFACTURER_SPECIFIC_DATA, manufacturer))
        # Over 31 bytes for some: Bumble's virtual controller accepts it (see profile.py).
        await device.start_advertising(
            advertising_data=bytes(AdvertisingData(fields)),
            advertising_interval_min=self.advertising_interval_ms,
            advertising_interval_max=self.advertising_interval_ms,
        )

    def _on_connection(self, connection: Connection) -> None:
        if self._connection is not None:
            self._spawn(connection.disconnect())
            return
        self._connection = connection
        self._subscribed.clear()
        self._on_connected()
        connection.on("disconnection", self._on_disconnection)
        self._stream_task = self._spawn(self._stream_loop())

    def _on_connected(self) -> None:
        """Reset the per-connection state (a device starts idle on each connection)."""

    def _on_disconnection(self, reason: int) -> None:
        del reason
        self._connection = None
        self._subscribed.clear()
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None
        if not self._stopping:
            self._spawn(self._advertise())

    def _on_subscription(self, uuid: str) -> Callable[[Connection, bool, bool], None]:
        def handler(connection: Connection, notify: bool, indicate: bool) -> None:
            del connection
            if notify or indicate:
                self._subscribed.add(uuid)
            else:
                self._subscribed.discard(uuid)
            self._kick.set()

        return handler

    def _subscribable(
        self, uuid: str, properties: Props = Props.NOTIFY
    ) -> gatt.Characteristic[bytes]:
        characteristic = _characteristic(uuid, properties)
        characteristic.on("subscription", self._on_subscription(uuid))
        return characteristic

    # -- streaming --------------------------------------------------------------------------

    def _next_sample_index(self) -> int | None:
        """Source index of the next device sample (None: the source is exhausted)."""
        t = self.block.timestamp_s
        due = float(t[0]) + self._next_sample / self.rate_hz
        if due > float(t[-1]) + 1e-9:
            return None
        return int(np.searchsorted(t, due + 1e-9, side="right")) - 1

    def set_rate(self, rate_hz: float) -> None:
        """Change the output rate (what a rate command does); the sample grid restarts."""
        # Keep the source position: the next sample continues from the current source time.
        position_s = self._next_sample / self.rate_hz
        self.rate_hz = float(rate_hz)
        self._next_sample = math.ceil(position_s * self.rate_hz - 1e-9)
        self._rate_changed = True
        self._kick.set()

    async def _stream_loop(self) -> None:
        device = self._device
        assert device is not None
        loop = asyncio.get_running_loop()
        anchor: tuple[float, int] | None = None  # (loop time, device sample) of the grid origin
        while (connection := self._connection) is not None:
            if not self._streaming():
                anchor = None
                self._kick.clear()
                await self._kick.wait()
                continue
            now = loop.time()
            if anchor is None or self._rate_changed:
                self._rate_changed = False
                anchor = (now, self._next_sample)
            period_s = 1.0 / self.rate_hz / self.speed
            due_k = anchor[1] + int((now - anchor[0]) / period_s + 1e-9)
            while self._next_sample <= due_k and self._streaming():
                index = self._next_sample_index()
                if index is None:
                    break
                k = self._next_sample
                self._next_sample += 1
                self.sent_indices.append(index)
                await device.notify_subscriber(
                    connection, self._sample_characteristic(), self._encode(index, k)
                )
            if self._next_sample_index() is None:
                self._kick.clear()
                await self._kick.wait()  # exhausted: only a command can change anything
                continue
            wake = anchor[0] + (self._next_sample - anchor[1]) * period_s
            self._kick.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, wake - loop.time())):
                    await self._kick.wait()

    async def notify(self, characteristic: gatt.Characteristic[bytes], value: bytes) -> None:
        """Notify ``value`` on ``characteristic`` to the connected hub (if any)."""
        device, connection = self._device, self._connection
        if device is not None and connection is not None:
            await device.notify_subscriber(connection, characteristic, value)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: task failed", self.name, exc_info=task.exception())


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
        self._write_char = _characteristic(
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
        angles = _int16(np.array([roll, pitch, 0.0]), _WIT_ANGLE_PER_DEG)
        return _WIT_IMU.pack(
            0x55,
            0x61,
            *_int16(acc, _WIT_ACC_PER_MPS2),
            *_int16(gyr, _WIT_GYR_PER_RADS),
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
            q = _tilt_quaternion(self.block.acc_mps2[self._last_index])
            regs[:4] = _int16(np.array(q), 32767.0)
        return _WIT_REPLY.pack(0x55, 0x71, register, *regs)


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
        self._device_control = _characteristic(
            uuids.DEVICE_CONTROL,
            Props.READ | Props.WRITE,
            read=lambda _: bytes(self._control),
            write=self._on_device_control,
        )
        self._measurement_control = _characteristic(
            uuids.MEASUREMENT_CONTROL,
            Props.READ | Props.WRITE,
            read=lambda _: bytes((1, int(self.mode is not None), self.mode or 0)),
            write=self._on_measurement_control,
        )
        self._payloads = {
            uuid: self._subscribable(uuid)
            for uuid in (uuids.LONG_PAYLOAD, uuids.MEDIUM_PAYLOAD, uuids.SHORT_PAYLOAD)
        }
        self._battery = _characteristic(
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
                data += struct.pack("<4f", *_tilt_quaternion(acc))
            elif group == "acc":
                data += struct.pack("<3f", *(float(v) for v in acc))
            elif group == "gyr":
                data += struct.pack("<3f", *(math.degrees(float(v)) for v in gyr))
            elif group == "free_acc":  # earth frame, gravity removed: only its vertical part
                data += struct.pack("<3f", 0.0, 0.0, float(np.linalg.norm(acc)) - G)
            else:  # "mag": no magnetometer model, a constant field
                data += struct.pack("<3h", 0, 0, 0)
        return data


# --- Nordic Thingy:52 --------------------------------------------------------------------------

_THINGY_CONFIG: Final = struct.Struct("<HHHHB")
_THINGY_RAW: Final = struct.Struct("<9h")
_THINGY_ACC_PER_MPS2: Final = 1024.0 / G  # 10 fraction bits of g
_THINGY_GYR_PER_RADS: Final = 32.0 / math.radians(1.0)  # 5 fraction bits of deg/s
_THINGY_RATE_RANGE: Final = (5, 200)


class ThingyTwin(ThirdPartyTwin):
    """A Thingy:52: streams the raw motion characteristic while it notifies (no start bytes),
    at the motion rate of the configuration characteristic (write-back changes it)."""

    DEFAULT_NAME: ClassVar[str] = "Thingy"
    SERVICE_UUIDS: ClassVar[tuple[str, ...]] = (thingy52.Uuids.MOTION_SERVICE,)

    def __init__(self, block: SampleBlock, *, rate_hz: float = 50.0, **kwargs: Any) -> None:
        super().__init__(block, rate_hz=rate_hz, **kwargs)
        self._config = bytearray(_THINGY_CONFIG.pack(1000, 500, 500, round(rate_hz), 1))
        self._config_char = _characteristic(
            thingy52.Uuids.MOTION_CONFIG,
            Props.READ | Props.WRITE,
            read=lambda _: bytes(self._config),
            write=self._on_config,
        )
        self._raw = self._subscribable(thingy52.Uuids.RAW)

    def _services(self) -> list[gatt.Service]:
        return [gatt.Service(thingy52.Uuids.MOTION_SERVICE, [self._config_char, self._raw])]

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
            *_int16(acc, _THINGY_ACC_PER_MPS2), *_int16(gyr, _THINGY_GYR_PER_RADS), 0, 0, 0
        )
