"""The in-process "air": Bumble's virtual radio link shared by virtual sensors and the hub.

A :class:`VirtualAir` holds one Bumble :class:`~bumble.link.LocalLink` and every virtual
controller attached to it.  Virtual sensors (:mod:`sensor_hub.virtual`) add a peripheral each;
the bleak backend (:mod:`sensor_hub.ble.bumble_backend`) shares one central, the "hub adapter",
between every scanner and client given the same air (``air=`` keyword argument, forwarded by
bleak).  Nothing leaves the process: this is for tests and the demo.  Bumble's controllers
need a running event loop, so devices are created lazily in coroutines.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from types import TracebackType
from typing import Final, Self

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

__all__ = ["HUB_ADDRESS", "VirtualAir"]

log = logging.getLogger(__name__)

#: Random static address of the hub's virtual adapter (two top bits set: static random).
HUB_ADDRESS: Final = "E0:48:55:42:00:01"
#: Sensors get ``F0:4F:50:53:xx:yy`` ("OPS" in the middle bytes), so names are OPS-00yy...
_SENSOR_ADDRESS_PREFIX: Final = "F0:4F:50:53"
#: Scan parameters of the hub adapter (ms): continuous scanning, the virtual link has no duty.
_SCAN_INTERVAL_MS: Final = 60.0
_SCAN_WINDOW_MS: Final = 60.0


class VirtualAir:
    """One virtual radio link and the devices on it; ``async with VirtualAir() as air``.

    Closing it powers off every device created through it (sensors and hub adapter).
    """

    def __init__(self) -> None:
        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self._devices: list[tuple[Device, Controller]] = []
        self._addresses = itertools.count(1)
        self._hub: Device | None = None
        self._hub_lock = asyncio.Lock()
        self._connect_lock = asyncio.Lock()
        self._scanners = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def allocate_address(self) -> str:
        """A fresh random static address for a virtual sensor."""
        n = next(self._addresses)
        return f"{_SENSOR_ADDRESS_PREFIX}:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}"

    def create_device(self, name: str, address: str) -> Device:
        """A Bumble device on a new virtual controller of this link (not yet powered on).

        Must be called with an event loop running (Bumble's controller needs one).
        """
        asyncio.get_running_loop()  # fail here, clearly, rather than deep inside Bumble
        controller = Controller(name, link=self.link, public_address=address)
        device = Device(
            name=name,
            address=Address(address),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        self._devices.append((device, controller))
        return device

    async def release_device(self, device: Device) -> None:
        """Power ``device`` off and take its controller off the link."""
        for i, (known, controller) in enumerate(self._devices):
            if known is device:
                del self._devices[i]
                await _power_off(device)
                if controller in self.link.controllers:
                    self.link.remove_controller(controller)
                return

    async def hub_device(self) -> Device:
        """The hub's central (created and powered on at first use), shared by the backend."""
        async with self._hub_lock:
            if self._hub is None:
                hub = self.create_device("posture-hub", HUB_ADDRESS)
                await hub.power_on()
                self._hub = hub
            return self._hub

    @property
    def connect_lock(self) -> asyncio.Lock:
        """Held while the hub adapter creates a connection (a controller makes one at a time)."""
        return self._connect_lock

    async def acquire_scanning(self) -> Device:
        """Start the hub adapter scanning (reference counted over scanners)."""
        hub = await self.hub_device()
        self._scanners += 1
        if self._scanners == 1:
            await hub.start_scanning(
                active=True,
                scan_interval=_SCAN_INTERVAL_MS,
                scan_window=_SCAN_WINDOW_MS,
                filter_duplicates=False,
            )
        return hub

    async def release_scanning(self) -> None:
        """Undo one :meth:`acquire_scanning`; scanning stops with the last scanner."""
        if self._scanners == 0:
            return
        self._scanners -= 1
        if self._scanners == 0 and self._hub is not None and self._hub.scanning:
            await self._hub.stop_scanning()

    async def close(self) -> None:
        """Power off every device of this air."""
        self._scanners = 0
        for device, _ in reversed(self._devices):
            await _power_off(device)
        for _, controller in self._devices:
            if controller in self.link.controllers:
                self.link.remove_controller(controller)
        self._devices.clear()
        self._hub = None


async def _power_off(device: Device) -> None:
    if not device.powered_on:
        return
    try:
        await device.power_off()
    except Exception:
        log.debug("power off of %s failed", device.name, exc_info=True)
