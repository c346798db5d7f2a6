"""Third-party devices through SensorLink (sensor_hub.ble.profiles) against their virtual
twins: found by kind, started with each device's own commands, their notifications decoded by
the device adapters into the same SampleBlocks as our sensor's, and a hang-up recovered."""

from __future__ import annotations

import asyncio
import contextlib
import math

import numpy as np
import pytest

from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.discovery import KINDS
from sensor_hub.ble.hub import SensorHub, SensorSpec
from sensor_hub.ble.link import (
    BleTransport,
    LinkConfig,
    LinkError,
    SensorLink,
    SensorTarget,
)
from sensor_hub.ble.profiles import PROFILES
from sensor_hub.devices import movella_dot, thingy52
from sensor_hub.devices import witmotion as wit
from sensor_hub.processing import Role
from sensor_hub.virtual import DotTwin, ThingyTwin, ThirdPartyTwin, WitMotionTwin

from .conftest import Collector, run, wearer_block

G = 9.80665
#: Half an LSB of each device's scale (rounding), m/s^2 and rad/s.
TOLS = {
    "witmotion": (16 * G / 32768 / 2 + 1e-9, math.radians(2000) / 32768 / 2 + 1e-9),
    "movella_dot": (1e-5, 1e-6),  # float32
    "thingy52": (G / 1024 / 2 + 1e-9, math.radians(1) / 32 / 2 + 1e-9),
}
TWINS = {"witmotion": WitMotionTwin, "movella_dot": DotTwin, "thingy52": ThingyTwin}
#: The link asks for 50 Hz: WitMotion and Thingy:52 run at it, the DOT at its nearest (60).
DEVICE_RATE = {"witmotion": 50, "movella_dot": 60, "thingy52": 50}


async def hang_up(twin: ThirdPartyTwin) -> None:
    """The twin drops the connection (it advertises again at once).  The twins have no
    fault-injection API, so this reaches their Bumble connection."""
    connection = twin._connection
    assert connection is not None
    with contextlib.suppress(Exception):
        await connection.disconnect()


def test_profiles_cover_the_discovered_third_party_kinds() -> None:
    assert set(PROFILES) == set(KINDS) - {"ops"}
    assert PROFILES["movella_dot"].rate_for(100) == 60
    assert PROFILES["witmotion"].rate_for(100) == 100
    assert PROFILES["thingy52"].rate_for(25) == 25
    with pytest.raises(ValueError, match="unknown device kind"):
        _ = SensorTarget(kind="metamotion").profile


@pytest.mark.parametrize("kind", ["witmotion", "movella_dot", "thingy52"])
def test_third_party_device_streams_through_the_link_and_recovers_a_hang_up(kind: str) -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            twin = TWINS[kind](wearer_block(), speed=4.0)
            await twin.start(air)
            got = Collector()
            link = SensorLink(
                SensorTarget(kind=kind, axes="+x,+y,+z"),  # any device of this kind
                transport=BleTransport(scanner_backend(air), client_backend(air)),
                config=LinkConfig(rate_hz=50, scan_timeout_s=2.0),
                on_samples=got.on_samples,
                on_gap=got.on_gap,
            )
            try:
                link.start()
                await link.wait_connected(5.0)
                await got.until(lambda: got.samples >= 60)
                first = list(got.blocks)
                sent = list(twin.sent_indices)
                assert twin.rate_hz == DEVICE_RATE[kind]
                await hang_up(twin)
                await got.until(lambda: bool(got.gaps))
                before = got.samples
                await got.until(lambda: got.samples >= before + 40)
                status = link.status()
            finally:
                await link.stop()
                await twin.stop()
        # Samples equal the source within each device's quantisation.
        acc = np.vstack([b.acc_mps2 for b in first])
        gyr = np.vstack([b.gyr_rads for b in first])
        index = np.array(sent[: len(acc)])
        assert len(index) == len(acc)
        np.testing.assert_allclose(acc, twin.block.acc_mps2[index], rtol=0, atol=TOLS[kind][0])
        np.testing.assert_allclose(gyr, twin.block.gyr_rads[index], rtol=0, atol=TOLS[kind][1])
        t = np.concatenate([b.timestamp_s for b in got.blocks])
        assert np.all(np.diff(t) > 0)
        (gap,) = got.gaps
        assert gap.reconnected
        assert status.connections == 2
        assert status.rate_hz == DEVICE_RATE[kind]
        # Battery where the device tells it (the WitMotion's register is undocumented).
        assert status.battery_pct == {"witmotion": None, "movella_dot": 87, "thingy52": 93}[kind]
        assert status.rejected == {}
        assert status.samples == got.samples
        assert not twin.connected

    run(body)


def test_dot_start_and_stop_commands_are_sent_and_errors_counted() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            twin = DotTwin(wearer_block(), speed=4.0)
            await twin.start(air)
            got = Collector()
            link = SensorLink(
                SensorTarget(name=twin.name, kind="movella_dot", axes="+x,+y,+z"),
                transport=BleTransport(scanner_backend(air), client_backend(air)),
                config=LinkConfig(rate_hz=25),
                on_samples=got.on_samples,
            )
            try:
                link.start()
                await link.wait_connected(5.0)
                await got.until(lambda: got.samples >= 10)
                assert link.device_stream is not None
                link.device_stream.feed(b"\x00\x01", 0.0)  # a truncated frame
                status = link.status()
                with pytest.raises(LinkError, match="no control point"):
                    await link.haptic(1, 50, 100)
            finally:
                await link.stop()
                await twin.stop()
        mode = movella_dot.PayloadMode.CUSTOM_5
        control = [v for uuid, v in twin.writes if uuid == movella_dot.Uuids.MEASUREMENT_CONTROL]
        assert control == [
            movella_dot.start_streaming_command(mode),
            movella_dot.stop_streaming_command(mode),
        ]
        assert status.rate_hz == 30  # the DOT rates nearest 25 Hz are 20 and 30: the higher
        assert status.rejected == {"truncated": 1}

    run(body)


def test_witmotion_and_thingy_rate_commands_are_written() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            wt = WitMotionTwin(wearer_block(), speed=2.0)
            thingy = ThingyTwin(wearer_block(), speed=2.0)
            await wt.start(air)
            await thingy.start(air)
            transport = BleTransport(scanner_backend(air), client_backend(air))
            links = [
                SensorLink(SensorTarget(name=wt.name, kind="witmotion"), transport=transport),
                SensorLink(SensorTarget(name=thingy.name, kind="thingy52"), transport=transport),
            ]
            try:
                for link in links:
                    link.start()
                    await link.wait_connected(5.0)
            finally:
                for link in links:
                    await link.stop()
                await wt.stop()
                await thingy.stop()
        assert [v for _, v in wt.writes] == list(wit.set_rate_commands(100))
        assert wt.rate_hz == 100
        assert thingy.rate_hz == 100
        assert any(uuid == thingy52.Uuids.MOTION_CONFIG for uuid, _ in thingy.writes)

    run(body)


def test_the_hub_drives_a_third_party_device_like_our_sensor() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            twin = ThingyTwin(wearer_block(), speed=4.0)
            await twin.start(air)
            hub = SensorHub(
                [SensorSpec(SensorTarget(name=twin.name, kind="thingy52"), Role.LUMBAR)],
                transport=BleTransport(scanner_backend(air), client_backend(air)),
                link_config=LinkConfig(rate_hz=50),
                alert_haptic=None,
            )
            try:
                async with hub:
                    await hub.wait_connected(5.0)
                    async with asyncio.timeout(10.0):
                        while Role.LUMBAR not in hub.latest:
                            await asyncio.sleep(0.02)
                    update = hub.latest[Role.LUMBAR]
            finally:
                await twin.stop()
        assert update.sensor == twin.name
        assert len(update.block) > 0
        assert np.all(np.isfinite(update.block.flexion_deg))

    run(body)
