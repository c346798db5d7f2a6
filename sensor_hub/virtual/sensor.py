"""A virtual Open Posture Sensor: a Bumble GATT peripheral that speaks PROTOCOL.md.

It advertises as ``OPS-XXXX`` with the Posture Service UUID, serves the Posture, Device
Information and Battery services, answers control point writes (logic in :mod:`.firmware`),
and streams its sample source as IMU notifications at real pace (``speed=1``) or accelerated.
Its device clock runs ``speed`` times faster than the event loop's clock, from
``clock_offset_us`` at start.  Everything the hub sent is kept (:attr:`VirtualSensor.firmware`'s
``exchanges``, ``haptics``, ``time_syncs``, ``identifies``) for tests, and :attr:`faults`
injects link faults.

Attach it to a :class:`~sensor_hub.ble.air.VirtualAir` (tests, demo) with :meth:`start`, or to
a Bumble HCI transport (a USB dongle...) with :meth:`start_on_hci`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from bumble import att
from bumble.device import Connection, Device
from bumble.hci import Address
from bumble.transport.common import TransportSink, TransportSource

from firmware_protocol import ErrorFlags, encode_control_response, encode_features, encode_status
from firmware_protocol.constants import ADVERTISED_NAME_PREFIX
from sensor_hub.ble.air import VirtualAir
from sensor_hub.samples import SampleBlock
from sensor_hub.virtual.faults import LinkFaults
from sensor_hub.virtual.firmware import Firmware
from sensor_hub.virtual.profile import SensorIdentity, SensorProfile, advertising_payloads
from sensor_hub.virtual.source import SampleSource

__all__ = ["AdvertisingTiming", "VirtualSensor"]

log = logging.getLogger(__name__)

#: ATT error for a control point write while its indications are off (as in SIG profiles).
CCCD_IMPROPERLY_CONFIGURED: Final = 0xFD
#: Remote User Terminated Connection: the reason a sensor gives when it hangs up.
REMOTE_USER_TERMINATED: Final = 0x13
_DEFAULT_ADDRESS: Final = "F0:4F:50:53:00:01"


@dataclass(frozen=True, slots=True)
class AdvertisingTiming:
    """§2: fast advertising for a while after a disconnection, then slow."""

    fast_interval_ms: float = 100.0
    slow_interval_ms: float = 1000.0
    fast_period_s: float = 30.0


class VirtualSensor:
    """A virtual sensor replaying ``block``.

    Args:
        block: what the IMU measures (a recording, a simulation's ``.block``).
        speed: replay speed (1 = real pace); the device clock runs this much faster.
        name: advertised name (default ``OPS-`` + last two address bytes).
        address: random static address (default: allocated by the air).
        loop: replay the block again and again instead of stopping at its end.
        identity: Device Information strings.
        advertising: advertising intervals.
        max_mtu: largest ATT_MTU the sensor accepts (23 forces IMU_COMPACT).
        initial_sequence: sequence number of the first IMU packet (test wraparound).
        clock_offset_us: device clock at start (test the 32-bit wrap with ~2**32).
        status_interval_s: periodic STATUS notification, device seconds (§6: 10 s).
    """

    def __init__(
        self,
        block: SampleBlock,
        *,
        speed: float = 1.0,
        name: str | None = None,
        address: str | None = None,
        loop: bool = False,
        identity: SensorIdentity | None = None,
        advertising: AdvertisingTiming | None = None,
        max_mtu: int = 247,
        initial_sequence: int = 0,
        clock_offset_us: int = 5_000_000,
        status_interval_s: float = 10.0,
    ) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise ValueError(f"speed must be a positive finite number, got {speed}")
        self.speed = speed
        self.firmware = Firmware(SampleSource(block, loop=loop), initial_sequence=initial_sequence)
        self.faults = LinkFaults()
        self.identity = identity or SensorIdentity()
        self.advertising = advertising or AdvertisingTiming()
        self.max_mtu = max_mtu
        self.clock_offset_us = clock_offset_us
        self.status_interval_us = round(status_interval_s * 1e6)
        self._name = name
        self._address = address
        self._air: VirtualAir | None = None
        self._device: Device | None = None
        self._profile: SensorProfile | None = None
        self._connection: Connection | None = None
        self._indications_on: set[int] = set()
        self._t0_loop_s = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._connection_tasks: list[asyncio.Task[None]] = []
        self._control_queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._kick = asyncio.Event()
        self._changed = asyncio.Event()
        self._advertising_on = False
        self._readvertise_after_s: float | None = 0.0
        self._battery_dirty = False
        self._slow_down: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._readvertisers: set[asyncio.Task[None]] = set()
        #: IMU notifications put on the air (after faults).
        self.imu_notifications = 0
        #: Connections accepted so far.
        self.connections = 0

    # -- identity ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The sensor's (random static) Bluetooth address, as bleak reports it."""
        return self._address or _DEFAULT_ADDRESS

    @property
    def name(self) -> str:
        """Advertised complete local name."""
        if self._name is not None:
            return self._name
        return ADVERTISED_NAME_PREFIX + self.address.replace(":", "")[-4:].upper()

    @property
    def connected(self) -> bool:
        """A hub is connected."""
        return self._connection is not None

    def device_time_us(self) -> int:
        """The device clock now."""
        elapsed_s = asyncio.get_running_loop().time() - self._t0_loop_s
        return self.clock_offset_us + int(elapsed_s * self.speed * 1e6)

    @property
    def replay_finished(self) -> bool:
        """The (non-looping) source is exhausted and every sample has been sent."""
        return self.firmware.source.exhausted and self.firmware.next_due_us(self._mtu()) is None

    # -- life cycle -------------------------------------------------------------------------

    async def start(self, air: VirtualAir) -> None:
        """Power on as a new controller of ``air`` and start advertising."""
        self._air = air
        if self._address is None:
            self._address = air.allocate_address()
        await self._start(air.create_device(self.name, self.address), name_in_scan_response=False)

    async def start_on_hci(self, source: TransportSource, sink: TransportSink) -> None:
        """Power on over a Bumble HCI transport (e.g. ``open_transport("usb:0")``)."""
        device = Device.with_hci(self.name, Address(self.address), source, sink)
        await self._start(device, name_in_scan_response=True)

    async def _start(self, device: Device, *, name_in_scan_response: bool) -> None:
        self._t0_loop_s = asyncio.get_running_loop().time()
        self._stopping.clear()
        self._device = device
        self._adv_data, self._scan_data = advertising_payloads(
            self.name, name_in_scan_response=name_in_scan_response
        )
        self._profile = SensorProfile(
            identity=self.identity,
            read_status=lambda _: encode_status(self.firmware.status(self.device_time_us())),
            read_features=lambda _: encode_features(self.firmware.features),
            read_battery=lambda _: bytes([min(self.firmware.battery_pct, 100)]),
            write_control=self._on_control_write,
        )
        for service in self._profile.services:
            device.add_service(service)
        device.gatt_server.max_mtu = self.max_mtu
        self._profile.control_point.on("subscription", self._on_control_subscription)
        device.on("connection", self._on_connection)
        await device.power_on()
        await self.start_advertising()

    async def stop(self) -> None:
        """Hang up, stop advertising, power off (and leave the air)."""
        self._stopping.set()  # a pending re-advertising gives up, none starts
        if self._connection is not None:
            await self.disconnect(readvertise_after_s=None)
        # Let a re-advertising that is already talking to the controller finish (cancelling
        # Bumble mid-command upsets its host) rather than cancel it: it may have started
        # advertising, so stop advertising only after it.
        await asyncio.gather(*self._readvertisers, return_exceptions=True)
        await self.stop_advertising()
        while self._tasks:  # tasks may spawn tasks while they wind down
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._device is not None:
            if self._air is not None:
                await self._air.release_device(self._device)
            elif self._device.powered_on:
                await self._device.power_off()
        self._device = None

    async def __aenter__(self) -> VirtualSensor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- advertising and connections --------------------------------------------------------

    async def start_advertising(self) -> None:
        """Advertise (fast for ``advertising.fast_period_s``, then slow) until connected."""
        device = self._require_device()
        self._advertising_on = True
        await device.start_advertising(
            advertising_data=self._adv_data,
            scan_response_data=self._scan_data,
            advertising_interval_min=self.advertising.fast_interval_ms,
            advertising_interval_max=self.advertising.fast_interval_ms,
        )
        if self._stopping.is_set():
            return
        if self._slow_down is not None:
            self._slow_down.cancel()
        self._slow_down = self._spawn(self._slow_down_advertising())

    async def stop_advertising(self) -> None:
        """Stop advertising (out of range, or powered down)."""
        self._advertising_on = False
        device = self._device
        if device is not None and device.powered_on and device.is_advertising:
            await device.stop_advertising()

    async def _slow_down_advertising(self) -> None:
        await asyncio.sleep(self.advertising.fast_period_s)
        device = self._device
        if device is None or self._connection is not None or not self._advertising_on:
            return
        await device.stop_advertising()
        await device.start_advertising(
            advertising_data=self._adv_data,
            scan_response_data=self._scan_data,
            advertising_interval_min=self.advertising.slow_interval_ms,
            advertising_interval_max=self.advertising.slow_interval_ms,
        )

    def _on_connection(self, connection: Connection) -> None:
        if self._connection is not None:  # one hub at a time
            self._spawn(connection.disconnect())
            return
        self.connections += 1
        self._advertising_on = False
        self._connection = connection
        self._indications_on.clear()
        self._control_queue = asyncio.Queue()
        connection.on("disconnection", self._on_disconnection)
        self._connection_tasks = [
            self._spawn(self._stream_loop()),
            self._spawn(self._control_loop()),
        ]
        log.info("%s: connected to %s", self.name, connection.peer_address)

    def _on_disconnection(self, reason: int) -> None:
        log.info("%s: disconnected (reason 0x%02x)", self.name, reason)
        self._connection = None
        self.firmware.on_disconnected()
        for task in self._connection_tasks:
            task.cancel()
        self._connection_tasks = []
        self._notify_changed()
        delay_s, self._readvertise_after_s = self._readvertise_after_s, 0.0
        if delay_s is not None and not self._stopping.is_set():
            task = self._spawn(self._readvertise(delay_s))
            self._readvertisers.add(task)
            task.add_done_callback(self._readvertisers.discard)

    async def _readvertise(self, delay_s: float) -> None:
        if delay_s > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay_s):
                    await self._stopping.wait()
        if self._stopping.is_set():
            return
        if self._device is not None and self._device.powered_on and self._connection is None:
            await self.start_advertising()

    async def disconnect(
        self, *, readvertise_after_s: float | None = 0.0, reason: int = REMOTE_USER_TERMINATED
    ) -> None:
        """Hang up on the hub (fault injection); advertise again after ``readvertise_after_s``
        seconds (``None``: stay silent until :meth:`start_advertising`)."""
        connection = self._connection
        if connection is None:
            return
        self._readvertise_after_s = readvertise_after_s
        with contextlib.suppress(Exception):  # already gone: the same outcome
            await connection.disconnect(reason)

    # -- status -----------------------------------------------------------------------------

    def set_status(
        self,
        *,
        battery_pct: int | None = None,
        charging: bool | None = None,
        external_power: bool | None = None,
        temperature_cdeg: int | None = None,
        error_flags: int | None = None,
    ) -> None:
        """Change the sensor's status; a STATUS (and Battery Level) notification follows."""
        fw = self.firmware
        if battery_pct is not None:
            fw.battery_pct = battery_pct
        if charging is not None:
            fw.charging = charging
        if external_power is not None:
            fw.external_power = external_power
        if temperature_cdeg is not None:
            fw.temperature_cdeg = temperature_cdeg
        if error_flags is not None:
            fw.error_flags = ErrorFlags(error_flags)
        fw.status_dirty = True
        self._battery_dirty = battery_pct is not None
        self._kick.set()

    # -- waiting (tests) --------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds (checked whenever the sensor's state changes)."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _notify_changed(self) -> None:
        self._changed.set()

    # -- GATT callbacks ---------------------------------------------------------------------

    def _on_control_subscription(
        self, connection: Connection, notify_enabled: bool, indicate_enabled: bool
    ) -> None:
        del notify_enabled
        if indicate_enabled:
            self._indications_on.add(connection.handle)
        else:
            self._indications_on.discard(connection.handle)

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        if connection.handle not in self._indications_on:
            raise att.ATT_Error(CCCD_IMPROPERLY_CONFIGURED)
        self._control_queue.put_nowait(bytes(value))

    # -- connection tasks -------------------------------------------------------------------

    def _mtu(self) -> int:
        connection = self._connection
        return connection.att_mtu if connection is not None else att.ATT_DEFAULT_MTU

    async def _control_loop(self) -> None:
        device, profile = self._require_device(), self._require_profile()
        while True:
            data = await self._control_queue.get()
            connection = self._connection
            if connection is None:
                return
            response = self.firmware.handle_control(data, self.device_time_us(), self._mtu())
            self._kick.set()
            if not self.faults.silent:
                await device.indicate_subscriber(
                    connection, profile.control_point, encode_control_response(response)
                )
            self._notify_changed()

    async def _stream_loop(self) -> None:
        device, profile = self._require_device(), self._require_profile()
        fw = self.firmware
        next_status_us = self.device_time_us() + self.status_interval_us
        while (connection := self._connection) is not None:
            now_us = self.device_time_us()
            mtu = connection.att_mtu
            if fw.status_dirty or now_us >= next_status_us:
                fw.status_dirty = False
                next_status_us = now_us + self.status_interval_us
                await self._send_status(device, profile, connection, now_us)
            packets = self.faults.apply(fw.poll_imu(now_us, mtu))
            for packet in packets:
                await device.notify_subscriber(connection, profile.imu_data, packet)
            self.imu_notifications += len(packets)
            if packets or fw.source.exhausted:
                self._notify_changed()
            due_us = fw.next_due_us(mtu)
            wake_us = next_status_us if due_us is None else min(due_us, next_status_us)
            delay_s = max(0.0, (wake_us - self.device_time_us()) / 1e6 / self.speed)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay_s):
                    await self._kick.wait()
            self._kick.clear()

    async def _send_status(
        self, device: Device, profile: SensorProfile, connection: Connection, now_us: int
    ) -> None:
        if self.faults.silent:
            return
        await device.notify_subscriber(
            connection, profile.status, encode_status(self.firmware.status(now_us))
        )
        if self._battery_dirty:
            self._battery_dirty = False
            await device.notify_subscriber(
                connection, profile.battery_level, bytes([min(self.firmware.battery_pct, 100)])
            )

    # -- helpers ----------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("%s: task failed", self.name, exc_info=task.exception())

    def _require_device(self) -> Device:
        if self._device is None:
            raise RuntimeError("the virtual sensor is not started")
        return self._device

    def _require_profile(self) -> SensorProfile:
        if self._profile is None:
            raise RuntimeError("the virtual sensor is not started")
        return self._profile
