"""SensorLink through bleak's API against virtual sensors on the in-process link."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import pytest

from firmware_protocol import HapticPattern, Opcode, ResultCode, StartStreaming, StopStreaming
from firmware_protocol.constants import acc_scale_mps2_per_lsb, gyro_scale_rads_per_lsb
from sensor_hub.ble import VirtualAir, client_backend, scanner_backend
from sensor_hub.ble.link import (
    RECONNECT_BACKOFF_MAX_S,
    RECONNECT_BACKOFF_MIN_S,
    BleTransport,
    LinkConfig,
    SensorLink,
    SensorTarget,
    reconnect_delay_s,
)
from sensor_hub.virtual import LinkFaults, VirtualSensor

from .conftest import Collector, run, sensor_on_air, wearer_block


def transport(air: VirtualAir) -> BleTransport:
    return BleTransport(scanner_backend(air), client_backend(air))


@asynccontextmanager
async def linked(
    air: VirtualAir, sensor: VirtualSensor, **config: Any
) -> AsyncIterator[tuple[SensorLink, Collector]]:
    collector = Collector()
    link = SensorLink(
        SensorTarget(name=sensor.name),
        transport=transport(air),
        config=LinkConfig(**config),
        on_samples=collector.on_samples,
        on_gap=collector.on_gap,
        on_state=collector.on_state,
    )
    link.start()
    try:
        await link.wait_connected(5.0)
        yield link, collector
    finally:
        await link.stop()
        await settle(sensor)


async def settle(sensor: VirtualSensor) -> None:
    """Let the sensor see the hang-up and start advertising again before it is stopped (the
    virtual sensor's stop() races with a re-advertising that is still starting)."""
    await sensor.wait_for(lambda: not sensor.connected, timeout=5.0)
    await asyncio.sleep(0.1)


def test_reconnect_delay_is_exponential_and_capped() -> None:
    assert reconnect_delay_s(0) == 0.0
    assert reconnect_delay_s(1) == RECONNECT_BACKOFF_MIN_S
    assert reconnect_delay_s(2) == 2 * RECONNECT_BACKOFF_MIN_S
    delays = [reconnect_delay_s(n) for n in range(1, 200)]
    assert delays == sorted(delays)
    assert max(delays) == RECONNECT_BACKOFF_MAX_S


def test_target_parsing_and_matching() -> None:
    assert SensorTarget.parse("f0:4f:50:53:00:01") == SensorTarget(address="F0:4F:50:53:00:01")
    assert SensorTarget.parse("OPS-0001") == SensorTarget(name="OPS-0001")
    assert SensorTarget.parse("zz:zz:zz:zz:zz:zz") == SensorTarget(name="zz:zz:zz:zz:zz:zz")


@pytest.mark.parametrize("rate_hz", [50, 100, 200])
def test_streams_minutes_without_loss_and_samples_equal_the_source(rate_hz: int) -> None:
    source = wearer_block(3.0)  # 3 min at 100 Hz

    async def body() -> None:
        async with (
            sensor_on_air(source, speed=1000.0) as (air, sensor),
            linked(air, sensor, rate_hz=rate_hz) as (link, got),
        ):
            await sensor.wait_for(lambda: sensor.replay_finished, timeout=15.0)
            await got.until(lambda: link.status().samples >= 1 and sensor.replay_finished)
            await asyncio.sleep(0.05)  # the last notifications are in flight
            status = link.status()
        assert status.lost_samples == 0
        assert status.lost_packets == 0
        assert status.rejected == {}
        period_s = 1.0 / rate_hz
        span_s = source.timestamp_s[-1] - source.timestamp_s[0]
        assert got.samples == int(span_s / period_s + 1e-9) + 1
        assert got.samples * period_s >= 170.0  # minutes of simulated time
        t = np.concatenate([b.timestamp_s for b in got.blocks])
        assert np.all(np.diff(t) > 0)
        acc = np.concatenate([b.acc_mps2 for b in got.blocks])
        gyr = np.concatenate([b.gyr_rads for b in got.blocks])
        at = source.timestamp_s[0] + np.arange(got.samples) * period_s
        want_acc = np.column_stack(
            [np.interp(at, source.timestamp_s, c) for c in source.acc_mps2.T]
        )
        want_gyr = np.column_stack(
            [np.interp(at, source.timestamp_s, c) for c in source.gyr_rads.T]
        )
        assert np.abs(acc - want_acc).max() <= acc_scale_mps2_per_lsb(1) / 2 + 1e-9
        assert np.abs(gyr - want_gyr).max() <= gyro_scale_rads_per_lsb(1) / 2 + 1e-9
        assert status.battery_pct == 87
        assert status.device_info["manufacturer"]
        opcodes = [e.request.opcode for e in sensor.firmware.exchanges if e.request is not None]
        assert opcodes[:3] == [Opcode.TIME_SYNC, Opcode.SET_RATE, Opcode.START_STREAMING]
        assert opcodes[-1] == Opcode.STOP_STREAMING  # clean stop
        assert sensor.firmware.time_syncs
        assert not sensor.connected

    run(body)


def test_reconnects_by_itself_after_the_sensor_hangs_up_and_reports_the_gap() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=10.0, loop=True) as (air, sensor),
            linked(air, sensor) as (link, got),
        ):
            await got.until(lambda: got.samples >= 200)
            await sensor.disconnect(readvertise_after_s=1.5)
            await got.until(lambda: not link.connected, timeout=5.0)
            await asyncio.sleep(0.5)
            assert link.data_age_s is not None
            assert link.data_age_s >= 0.4
            await got.until(lambda: bool(got.gaps), timeout=10.0)
            before = got.samples
            await got.until(lambda: got.samples >= before + 200)
            status = link.status()
        (gap,) = got.gaps
        assert gap.reconnected
        assert 1.5 <= gap.duration_s < 5.0
        # The device clock runs 10x: ~1.5 s x 10 x 100 Hz samples were never sent.
        assert 1000 <= gap.lost_samples <= 5000
        assert status.connections == 2
        assert status.gaps == 1
        assert status.rejected == {}
        assert sensor.connections == 2
        assert all(e.response.result is ResultCode.SUCCESS for e in sensor.firmware.exchanges)

    run(body)


def test_silent_sensor_ages_the_data_and_the_gap_is_reported_when_it_resumes() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=5.0, loop=True) as (air, sensor),
            linked(air, sensor) as (link, got),
        ):
            await got.until(lambda: got.samples >= 100)
            sensor.faults.silent = True
            await asyncio.sleep(0.6)
            age = link.data_age_s
            assert age is not None
            assert age >= 0.5
            assert link.connected
            sensor.faults.silent = False
            await got.until(lambda: bool(got.gaps))
            await asyncio.sleep(0.05)
            assert link.data_age_s is not None
            assert link.data_age_s < 0.5
        (gap,) = got.gaps
        assert not gap.reconnected
        assert gap.duration_s >= 0.5
        # ~0.6 s x 5 x 100 Hz samples went unsent while silent.
        assert 200 <= gap.lost_samples <= 600

    run(body)


class TruncatingFaults(LinkFaults):
    """The virtual sensor's faults plus one more: cut the next packets short."""

    truncate_next: int = 0

    def apply(self, packets: list[bytes]) -> list[bytes]:
        out = super().apply(packets)
        if out and self.truncate_next > 0:
            self.truncate_next -= 1
            out[0] = out[0][:-5]
        return out


def test_bad_packets_are_counted_by_kind_logged_with_device_and_bytes_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="sensor_hub.ble.link")

    async def body() -> None:
        async with (
            sensor_on_air(speed=20.0, loop=True) as (air, sensor),
            linked(air, sensor) as (link, got),
        ):
            faults = TruncatingFaults()
            sensor.faults = faults
            await got.until(lambda: got.samples >= 100)
            faults.corrupt_next = 1
            await got.until(lambda: faults.applied.get("corrupt", 0) == 1)
            faults.duplicate_next = 1
            await got.until(lambda: faults.applied.get("duplicate", 0) == 1)
            faults.reorder_next = 1
            await got.until(lambda: faults.applied.get("reorder", 0) == 1)
            faults.truncate_next = 1
            await got.until(lambda: faults.truncate_next == 0)
            before = got.samples
            await got.until(lambda: got.samples >= before + 300)
            status = link.status()
            name = sensor.name
        assert status.rejected == {
            "bad_crc": 1,
            "duplicate": 1,
            "out_of_order": 1,
            "truncated": 1,
        }
        assert status.connections == 1
        dropped = [r.getMessage() for r in caplog.records if "dropped IMU packet" in r.message]
        assert len(dropped) == 4
        for message in dropped:
            assert message.startswith(f"{name}: dropped IMU packet")
            hex_part = message.rsplit(": ", 1)[1]
            assert bytes.fromhex(hex_part)[0] == 0x11  # the packet's own bytes

    run(body)


def test_haptic_command_gets_the_result_code_and_stop_is_clean() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=5.0, loop=True) as (air, sensor),
            linked(air, sensor) as (link, _),
        ):
            result = await link.haptic(HapticPattern.DOUBLE, 70, 200)
            assert result is ResultCode.SUCCESS
            busy = await link.haptic(HapticPattern.DOUBLE, 70, 200)
            assert busy is ResultCode.BUSY
            invalid = await link.haptic(HapticPattern.SINGLE, 0, 200)
            assert invalid is ResultCode.INVALID_PARAMETER
        haptic = sensor.firmware.haptics[0]
        assert (haptic.pattern, haptic.intensity_pct, haptic.duration_ms) == (
            HapticPattern.DOUBLE,
            70,
            200,
        )
        commands = [type(e.request.command) for e in sensor.firmware.exchanges if e.request]
        assert StartStreaming in commands
        assert commands[-1] is StopStreaming
        assert not sensor.connected

    run(body)


def test_a_sensor_that_never_appears_is_retried_until_stop() -> None:
    async def body() -> None:
        async with VirtualAir() as air:
            link = SensorLink(
                SensorTarget(name="OPS-NONE"),
                transport=transport(air),
                config=LinkConfig(scan_timeout_s=0.1),
            )
            link.start()
            await asyncio.sleep(0.5)
            status = link.status()
            assert not status.connected
            assert status.last_error is not None
            assert "OPS-NONE not found" in status.last_error
            await link.stop()

    run(body)


class SilentThisConnection(LinkFaults):
    """``faults.silent`` for the current connection only: the sensor stays connected and
    sends nothing (no IMU data, status or control responses) until the hub reconnects."""

    def __init__(self, sensor: VirtualSensor) -> None:
        self._sensor = sensor
        self._connection = sensor.connections
        super().__init__()

    @property  # type: ignore[override]
    def silent(self) -> bool:
        return self._sensor.connections == self._connection

    @silent.setter
    def silent(self, value: bool) -> None:
        del value


def test_watchdog_restarts_streaming_then_reconnects_a_silent_sensor() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=5.0, loop=True) as (air, sensor),
            linked(air, sensor, silence_timeout_s=1.0) as (link, got),
        ):
            await got.until(lambda: got.samples >= 100)
            sensor.faults = SilentThisConnection(sensor)
            assert sensor.faults.silent
            await got.until(lambda: bool(got.gaps), timeout=10.0)
            before = got.samples
            await got.until(lambda: got.samples >= before + 100)
            status = link.status()
            assert link.connected
        (gap,) = got.gaps
        assert gap.reconnected
        assert 1.0 <= gap.duration_s < 5.0
        assert status.watchdog_restarts == 1
        assert status.watchdog_reconnects == 1
        assert status.connections == 2
        assert sensor.connections == 2
        assert status.last_error is not None
        assert "watchdog" in status.last_error
        # START_STREAMING re-sent once while silent (unanswered), then again on reconnection.
        starts = [
            e
            for e in sensor.firmware.exchanges
            if e.request and e.request.opcode == Opcode.START_STREAMING
        ]
        assert len(starts) == 3

    run(body)


def test_watchdog_restart_alone_resumes_a_sensor_that_stopped_streaming() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=5.0, loop=True) as (air, sensor),
            linked(air, sensor, silence_timeout_s=1.0) as (link, got),
        ):
            await got.until(lambda: got.samples >= 100)
            response = await link.request(StopStreaming())  # the sensor stops by itself
            assert response.result is ResultCode.SUCCESS
            await got.until(lambda: bool(got.gaps), timeout=5.0)
            status = link.status()
        (gap,) = got.gaps
        assert not gap.reconnected
        assert 0.5 <= gap.duration_s < 1.0
        assert status.watchdog_restarts == 1
        assert status.watchdog_reconnects == 0
        assert status.connections == 1

    run(body)
