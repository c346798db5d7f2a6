"""The third-party twins through bleak's API: scanned and classified like the real devices,
their notifications decoded by the device adapters of ``sensor_hub.devices`` give the source
samples back within each device's quantisation, a still phase reads 1 g, and the devices' rate
commands are honoured."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice

from sensor_hub.ble import VirtualAir
from sensor_hub.ble.bumble_backend import client_backend, scanner_backend
from sensor_hub.ble.discovery import device_kind
from sensor_hub.devices import (
    DeviceStreamStats,
    DotStream,
    ThingyRawStream,
    WitMotionStream,
    movella_dot,
    thingy52,
)
from sensor_hub.devices import witmotion as wit
from sensor_hub.samples import SampleBlock
from sensor_hub.virtual import DotTwin, ThingyTwin, ThirdPartyTwin, WitMotionTwin

from .conftest import run, wearer_block

G = 9.80665
#: Half an LSB of each device's scale (rounding), m/s^2 and rad/s.
WIT_TOL = (16 * G / 32768 / 2 + 1e-9, math.radians(2000) / 32768 / 2 + 1e-9)
DOT_TOL = (1e-5, 1e-6)  # float32
THINGY_TOL = (G / 1024 / 2 + 1e-9, math.radians(1) / 32 / 2 + 1e-9)


class Stream(Protocol):
    """A device stream adapter, as the hub side uses it."""

    @property
    def stats(self) -> DeviceStreamStats: ...

    def feed(self, data: bytes, host_time_s: float, /) -> SampleBlock | None: ...


@dataclass
class Received:
    """Blocks the adapter returned, in arrival order."""

    stream: Stream
    blocks: list[SampleBlock] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        block = self.stream.feed(bytes(data), asyncio.get_running_loop().time())
        if block is not None:
            self.blocks.append(block)
            self.arrived.set()

    @property
    def count(self) -> int:
        return sum(len(b) for b in self.blocks)

    async def until(self, samples: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while self.count < samples:
                self.arrived.clear()
                await self.arrived.wait()

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        acc = np.vstack([b.acc_mps2 for b in self.blocks])
        gyr = np.vstack([b.gyr_rads for b in self.blocks])
        return acc, gyr


async def scan_for(air: VirtualAir, twin: ThirdPartyTwin) -> tuple[BLEDevice, str | None]:
    """bleak's scan: the twin's BLEDevice and the kind discovery gives it."""
    found = await BleakScanner.discover(
        timeout=0.5,
        return_adv=True,
        backend=scanner_backend(air),
    )
    assert twin.address in found, f"{twin.name} not heard"
    device, adv = found[twin.address]
    return device, device_kind(adv.local_name, adv.service_uuids)


def check_against_source(
    twin: ThirdPartyTwin, received: Received, tol: tuple[float, float]
) -> None:
    acc, gyr = received.arrays()
    sent = np.array(twin.sent_indices[: len(acc)])
    assert len(sent) == len(acc)
    np.testing.assert_allclose(acc, twin.block.acc_mps2[sent], rtol=0, atol=tol[0])
    np.testing.assert_allclose(gyr, twin.block.gyr_rads[sent], rtol=0, atol=tol[1])
    # The wearer stands still for the first seconds: those samples read 1 g and no rotation.
    still = twin.block.timestamp_s[sent] < 2.0
    assert still.sum() >= 5
    norms = np.linalg.norm(acc[still], axis=1)
    np.testing.assert_allclose(norms, G, rtol=0.02)
    assert np.abs(gyr[still]).max() < 0.05


Session = Callable[[BleakClient, ThirdPartyTwin], Awaitable[tuple[Received, float]]]


def through_bleak(twin: ThirdPartyTwin, kind: str, session: Session) -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            await twin.start(air)
            try:
                device, found_kind = await scan_for(air, twin)
                assert found_kind == kind
                async with BleakClient(device, backend=client_backend(air)) as client:
                    received, rate_hz = await session(client, twin)
                    assert twin.rate_hz == rate_hz
                    await received.until(40)
                check_against_source(twin, received, TOLS[kind])
                assert received.stream.stats.dropped_frames == 0
                # The source (100 Hz) is sampled at the device rate.
                steps = np.diff(twin.sent_indices[-20:])
                assert set(steps.tolist()) <= {math.floor(100 / rate_hz), math.ceil(100 / rate_hz)}
            finally:
                await twin.stop()

    run(body)


TOLS = {"witmotion": WIT_TOL, "movella_dot": DOT_TOL, "thingy52": THINGY_TOL}


def test_witmotion_twin_streams_on_subscription_and_honours_the_rate_command() -> None:
    async def session(client: BleakClient, twin: ThirdPartyTwin) -> tuple[Received, float]:
        assert twin.rate_hz == 10  # out of the box
        for command in wit.set_rate_commands(50):
            await client.write_gatt_char(wit.Uuids.WRITE, command, response=True)
        stream = WitMotionStream("+x,+y,+z", rate_hz=50)
        received = Received(stream)
        await client.start_notify(wit.Uuids.NOTIFY, received)
        await client.write_gatt_char(
            wit.Uuids.WRITE, wit.read_register_command(wit.Register.QUATERNION), response=True
        )
        await received.until(5)
        async with asyncio.timeout(5):
            while not stream.register_replies:
                await asyncio.sleep(0.02)
        reply = stream.register_replies[-1]
        assert reply.register == wit.Register.QUATERNION
        return received, 50

    through_bleak(WitMotionTwin(wearer_block(), speed=2.0), "witmotion", session)


@pytest.mark.parametrize(
    "mode", [movella_dot.PayloadMode.CUSTOM_5, movella_dot.PayloadMode.RATE_QUANTITIES]
)
def test_dot_twin_streams_after_the_start_command_and_honours_the_output_rate(
    mode: movella_dot.PayloadMode,
) -> None:
    async def session(client: BleakClient, twin: ThirdPartyTwin) -> tuple[Received, float]:
        current = await client.read_gatt_char(movella_dot.Uuids.DEVICE_CONTROL)
        assert movella_dot.decode_device_control(current).output_rate_hz == 60
        await client.write_gatt_char(
            movella_dot.Uuids.DEVICE_CONTROL,
            movella_dot.set_output_rate_command(current, 30),
            response=True,
        )
        stream = DotStream(mode, "+x,+y,+z", rate_hz=30)
        received = Received(stream)
        await client.start_notify(stream.characteristic, received)
        await asyncio.sleep(0.1)
        assert received.count == 0  # nothing before the start command
        await client.write_gatt_char(
            movella_dot.Uuids.MEASUREMENT_CONTROL,
            movella_dot.start_streaming_command(mode),
            response=True,
        )
        await received.until(40)
        await client.write_gatt_char(
            movella_dot.Uuids.MEASUREMENT_CONTROL,
            movella_dot.stop_streaming_command(mode),
            response=True,
        )
        stopped_at = len(twin.sent_indices)
        await asyncio.sleep(0.1)
        assert len(twin.sent_indices) == stopped_at
        assert stream.stats.lost_samples == 0
        if mode == movella_dot.PayloadMode.CUSTOM_5:
            assert stream.last_quat_wxyz is not None
        return received, 30

    through_bleak(DotTwin(wearer_block(), speed=2.0), "movella_dot", session)


def test_thingy_twin_streams_raw_motion_at_the_configured_rate() -> None:
    async def session(client: BleakClient, twin: ThirdPartyTwin) -> tuple[Received, float]:
        current = await client.read_gatt_char(thingy52.Uuids.MOTION_CONFIG)
        await client.write_gatt_char(
            thingy52.Uuids.MOTION_CONFIG,
            thingy52.set_rate_command(current, 20),
            response=True,
        )
        config = thingy52.decode_motion_config(
            await client.read_gatt_char(thingy52.Uuids.MOTION_CONFIG)
        )
        assert config.motion_rate_hz == 20
        received = Received(ThingyRawStream("+x,+y,+z", rate_hz=20))
        await client.start_notify(thingy52.Uuids.RAW, received)
        return received, 20

    through_bleak(ThingyTwin(wearer_block(), speed=4.0), "thingy52", session)
