"""Faults at the edges of the Bumble backend and the virtual sensor's life cycle, through
bleak's public API: connect timeouts, and stopping a sensor right after it hung up."""

from __future__ import annotations

import asyncio
import time

import pytest
from bleak import BleakClient

from sensor_hub.ble import BumbleClient, VirtualAir
from sensor_hub.virtual import VirtualSensor

from .conftest import FAST_ADVERTISING, connected, find, run, sensor_on_air, wearer_block

#: An address no virtual sensor advertises (the air allocates F0:4F:50:53:00:01 onwards).
NOBODY = "F0:4F:50:53:7E:7E"


def test_connect_to_an_absent_address_times_out_and_the_next_connect_works() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            client = BleakClient(NOBODY, backend=BumbleClient, air=air, timeout=0.3)
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await client.connect()
            assert time.monotonic() - started < 2.0
            assert not client.is_connected
            # A second attempt at the same absent address also times out (not
            # COMMAND_DISALLOWED: the first attempt's pending connection was cancelled).
            with pytest.raises(TimeoutError):
                await client.connect()

            sensor = VirtualSensor(wearer_block(), advertising=FAST_ADVERTISING)
            await sensor.start(air)
            try:
                device = await find(air, sensor.name)
                async with BleakClient(device, backend=BumbleClient, air=air, timeout=5.0) as ok:
                    assert ok.is_connected
                    await sensor.wait_for(lambda: sensor.connected, timeout=5.0)
            finally:
                await sensor.stop()

    run(body)


def test_a_timed_out_address_that_starts_advertising_later_is_not_connected_behind_our_back() -> (
    None
):
    async def body() -> None:
        async with VirtualAir() as air:
            address = air.allocate_address()
            sensor = VirtualSensor(wearer_block(), address=address, advertising=FAST_ADVERTISING)
            client = BleakClient(address, backend=BumbleClient, air=air, timeout=0.2)
            with pytest.raises(TimeoutError):
                await client.connect()
            await sensor.start(air)
            try:
                await asyncio.sleep(0.3)  # several advertising intervals
                assert sensor.connections == 0  # the cancelled attempt stayed cancelled
                await client.connect()
                assert client.is_connected
                await client.disconnect()
            finally:
                await sensor.stop()

    run(body)


@pytest.mark.parametrize("readvertise_after_s", [0.0, 0.02])
def test_stop_right_after_a_hangup_leaves_no_task_and_upsets_no_callback(
    readvertise_after_s: float,
) -> None:
    # The re-advertising the hang-up schedules may be sleeping, talking to the controller, or
    # just done when stop() comes: try stop() at successive turns of the event loop.
    for turns in range(0, 40, 3):

        async def body(turns: int = turns) -> None:
            errors: list[dict[str, object]] = []
            asyncio.get_running_loop().set_exception_handler(lambda _, ctx: errors.append(ctx))
            async with sensor_on_air() as (air, sensor), connected(air, sensor) as client:
                await sensor.disconnect(readvertise_after_s=readvertise_after_s)
                for _ in range(turns):
                    await asyncio.sleep(0)
                await sensor.stop()
                assert not client.is_connected
            await asyncio.sleep(readvertise_after_s + 0.05)  # past the re-advertising delay
            assert errors == [], f"stop after {turns} turns: {errors}"

        run(body)
