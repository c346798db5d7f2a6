"""What the third-party twins share: a Bumble peripheral replaying a SampleBlock at a device's
rate, with the GATT helpers and frame conversions the device modules use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Final

import numpy as np
from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device

from sensor_hub.ble.air import VirtualAir
from sensor_hub.samples import SampleBlock

__all__ = ["G", "ThirdPartyTwin", "characteristic", "int16", "tilt_quaternion"]

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


def characteristic(
    uuid: str, properties: Props, read: ReadFn = _no_read, write: WriteFn = _no_write
) -> gatt.Characteristic[bytes]:
    return gatt.Characteristic(
        uuid, properties, _ANY_ACCESS, gatt.CharacteristicValue(read=read, write=write)
    )


def int16(values: np.ndarray, per_unit: float) -> list[int]:
    """Physical values -> int16 counts (rounded, clipped to the int16 range)."""
    return [int(v) for v in np.clip(np.rint(values * per_unit), -32768, 32767)]


def tilt_quaternion(acc: np.ndarray) -> tuple[float, float, float, float]:
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
        char = characteristic(uuid, properties)
        char.on("subscription", self._on_subscription(uuid))
        return char

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
