"""Helpers for the BLE tests: a simulated wearer as the sensor's source, an async runner that
checks no task outlives the test, and a connected-client context.

Tests are plain sync functions that call :func:`run` (``asyncio.run`` inside), so no pytest
plugin is needed.  They drive only bleak's public API; the virtual sensor is the test fixture
(its recorded log and fault hooks are its public API).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic

from firmware_protocol import (
    ControlRequest,
    ControlResponse,
    Uuids,
    decode_control_response,
    encode_control_request,
)
from firmware_protocol.control import Command
from sensor_hub.ble import BumbleClient, BumbleScanner, VirtualAir
from sensor_hub.ble.link import LinkGap, SensorLink
from sensor_hub.samples import SampleBlock
from sensor_hub.simulate import simulate
from sensor_hub.virtual import AdvertisingTiming, VirtualSensor

#: Wall-clock limit of one test's event loop.
TEST_TIMEOUT_S = 20.0
#: Advertise every 20 ms in tests (scans and reconnections are quick).
FAST_ADVERTISING = AdvertisingTiming(fast_interval_ms=20.0, slow_interval_ms=20.0)


@functools.cache
def wearer_block(minutes: float = 1.1) -> SampleBlock:
    """An ideal (noise-free, gap-free) simulated wearer at 100 Hz: the replay source."""
    return simulate("office_day", seed=3, duration_min=minutes, imu_errors=False).block


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``test()`` in a fresh event loop; fail if any task is left behind."""

    async def main() -> None:
        async with asyncio.timeout(TEST_TIMEOUT_S):
            await test()
        for _ in range(5):  # let callbacks scheduled by the teardown run
            await asyncio.sleep(0)
        leaked = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leaked == [], f"leaked tasks: {leaked}"

    asyncio.run(main())


@asynccontextmanager
async def sensor_on_air(
    block: SampleBlock | None = None, **kwargs: Any
) -> AsyncIterator[tuple[VirtualAir, VirtualSensor]]:
    """A virtual air with one virtual sensor advertising on it."""
    kwargs.setdefault("advertising", FAST_ADVERTISING)
    async with VirtualAir() as air:
        sensor = VirtualSensor(block if block is not None else wearer_block(), **kwargs)
        await sensor.start(air)
        try:
            yield air, sensor
        finally:
            await sensor.stop()


async def find(air: VirtualAir, name: str) -> Any:
    """The sensor's BLEDevice, found by name with bleak's scanner."""
    device = await BleakScanner.find_device_by_name(
        name,
        timeout=5.0,
        backend=BumbleScanner,
        air=air,  # type: ignore[call-arg]  # forwarded by bleak to the backend
    )
    assert device is not None, f"{name} not found"
    return device


class ControlChannel:
    """Writes control requests and collects the indicated responses."""

    def __init__(self, client: BleakClient) -> None:
        self.client = client
        self.responses: asyncio.Queue[ControlResponse] = asyncio.Queue()
        self._token = 0

    async def open(self) -> ControlChannel:
        await self.client.start_notify(Uuids.CONTROL_POINT, self._on_indication)
        return self

    def _on_indication(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self.responses.put_nowait(decode_control_response(data))

    async def write_raw(self, data: bytes) -> ControlResponse:
        await self.client.write_gatt_char(Uuids.CONTROL_POINT, data, response=True)
        async with asyncio.timeout(5.0):
            return await self.responses.get()

    async def request(self, command: Command) -> ControlResponse:
        self._token = (self._token + 1) % 256
        response = await self.write_raw(
            encode_control_request(ControlRequest(self._token, command))
        )
        assert response.token == self._token
        return response


@asynccontextmanager
async def connected(
    air: VirtualAir, sensor: VirtualSensor, **kwargs: Any
) -> AsyncIterator[BleakClient]:
    """A bleak client connected to ``sensor`` through the Bumble backend."""
    device = await find(air, sensor.name)
    async with BleakClient(device, backend=BumbleClient, air=air, **kwargs) as client:
        yield client


class Collector:
    """The link's consumer: blocks and gaps as they come."""

    def __init__(self) -> None:
        self.blocks: list[SampleBlock] = []
        self.gaps: list[LinkGap] = []
        self.changed = asyncio.Event()

    def on_samples(self, _: SensorLink, block: SampleBlock) -> None:
        self.blocks.append(block)
        self.changed.set()

    def on_gap(self, _: SensorLink, gap: LinkGap) -> None:
        self.gaps.append(gap)
        self.changed.set()

    def on_state(self, _: SensorLink) -> None:
        self.changed.set()

    @property
    def samples(self) -> int:
        return sum(len(b) for b in self.blocks)

    async def until(self, predicate: Any, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
