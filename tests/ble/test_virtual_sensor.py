"""The real bleak API, end to end, against the virtual sensor over Bumble's in-process link."""

from __future__ import annotations

import asyncio
import contextlib
import time

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakGATTProtocolError

from firmware_protocol import (
    ConfigReply,
    DataFlags,
    GetConfig,
    HapticPattern,
    HapticPulse,
    ImuPacket,
    PacketType,
    ResultCode,
    SetRate,
    StartStreaming,
    StatusFlags,
    StopStreaming,
    StreamDecoder,
    TimeSync,
    TimeSyncReply,
    Uuids,
    decode_features,
    decode_imu,
    decode_status,
)
from firmware_protocol.constants import acc_scale_mps2_per_lsb, gyro_scale_rads_per_lsb
from firmware_protocol.crc import crc16_ccitt_false
from firmware_protocol.errors import ProtocolError
from sensor_hub.ble import BumbleClient, BumbleScanner
from sensor_hub.virtual import DEFAULT_FEATURES, SensorIdentity

from .conftest import ControlChannel, connected, find, run, sensor_on_air, wearer_block

OUR_CHARACTERISTICS = {
    Uuids.IMU_DATA: ["notify"],
    Uuids.STATUS: ["notify", "read"],
    Uuids.CONTROL_POINT: ["indicate", "write"],
    Uuids.FEATURES: ["read"],
}


class ImuCollector:
    """Collects IMU notifications as decoded packets."""

    def __init__(self) -> None:
        self.packets: list[ImuPacket] = []
        self.arrived = asyncio.Event()

    def __call__(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self.packets.append(decode_imu(data))
        self.arrived.set()

    @property
    def samples(self) -> int:
        return sum(p.count for p in self.packets)

    async def until(self, samples: int, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while self.samples < samples:
                self.arrived.clear()
                await self.arrived.wait()


def test_scanning_finds_the_sensor_by_name_and_by_service_uuid() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor):
            device = await find(air, sensor.name)
            assert device.address == sensor.address
            assert sensor.name.startswith("OPS-")
            found = await BleakScanner.discover(
                timeout=0.3,
                return_adv=True,
                service_uuids=[Uuids.POSTURE_SERVICE],
                backend=BumbleScanner,
                air=air,  # type: ignore[call-arg]
            )
            _, adv = found[sensor.address]
            assert adv.local_name == sensor.name
            assert Uuids.POSTURE_SERVICE in adv.service_uuids
            assert isinstance(adv.rssi, int)
            assert -127 <= adv.rssi < 0
            assert adv.tx_power == 0
            other = await BleakScanner.discover(
                timeout=0.2,
                service_uuids=[Uuids.BATTERY_SERVICE],  # not advertised
                backend=BumbleScanner,
                air=air,  # type: ignore[call-arg]
            )
            assert other == []

    run(body)


def test_connect_fills_services_and_reads_device_information_battery_features() -> None:
    identity = SensorIdentity(serial_number="SN-42")

    async def body() -> None:
        async with (
            sensor_on_air(identity=identity) as (air, sensor),
            connected(air, sensor) as client,
        ):
            assert client.is_connected
            assert client.mtu_size == 247
            services = {s.uuid for s in client.services}
            assert {
                Uuids.POSTURE_SERVICE,
                Uuids.DEVICE_INFORMATION_SERVICE,
                Uuids.BATTERY_SERVICE,
            } <= services
            posture = client.services.get_service(Uuids.POSTURE_SERVICE)
            assert posture is not None
            found = {c.uuid: sorted(c.properties) for c in posture.characteristics}
            assert found == OUR_CHARACTERISTICS
            strings = {
                Uuids.MANUFACTURER_NAME: identity.manufacturer_name,
                Uuids.MODEL_NUMBER: identity.model_number,
                Uuids.SERIAL_NUMBER: "SN-42",
                Uuids.FIRMWARE_REVISION: identity.firmware_revision,
                Uuids.HARDWARE_REVISION: identity.hardware_revision,
            }
            for uuid, text in strings.items():
                assert (await client.read_gatt_char(uuid)).decode() == text
            assert (await client.read_gatt_char(Uuids.BATTERY_LEVEL)) == bytes([87])
            features = decode_features(await client.read_gatt_char(Uuids.FEATURES))
            assert features == DEFAULT_FEATURES
            status = decode_status(await client.read_gatt_char(Uuids.STATUS))
            assert status.battery_pct == 87
            assert not status.flags & StatusFlags.STREAMING

    run(body)


def test_streaming_100hz_decodes_to_the_source_samples_with_contiguous_sequence() -> None:
    block = wearer_block()  # 66 s at 100 Hz
    assert block.timestamp_s[-1] - block.timestamp_s[0] >= 60.0
    figures: dict[str, float] = {}

    async def body() -> None:
        async with (
            sensor_on_air(block, speed=400.0) as (air, sensor),
            connected(air, sensor) as client,
        ):
            imu = ImuCollector()
            statuses: list[bytes] = []
            await client.start_notify(Uuids.STATUS, lambda _, d: statuses.append(bytes(d)))
            await client.start_notify(Uuids.IMU_DATA, imu)
            control = await ControlChannel(client).open()
            assert (await control.request(SetRate(100))).result is ResultCode.SUCCESS
            started = time.perf_counter()
            assert (await control.request(StartStreaming())).result is ResultCode.SUCCESS
            await imu.until(len(block), timeout=15.0)
            elapsed = time.perf_counter() - started
            figures["packets_per_s"] = len(imu.packets) / elapsed
            figures["samples_per_s"] = imu.samples / elapsed
            assert decode_status(statuses[0]).flags & StatusFlags.STREAMING

        packets = imu.packets
        assert imu.samples == len(block)
        sequences = [p.sequence for p in packets]
        assert sequences == list(range(len(packets)))
        assert packets[0].flags & DataFlags.STREAM_START
        assert not any(p.flags & DataFlags.STREAM_START for p in packets[1:])
        assert {p.packet_type for p in packets} == {PacketType.IMU_BLOCK}
        # ATT_MTU 247 allows 19 samples (§5.4), the 100 ms latency bound (§5.1) 11 at 100 Hz.
        assert all(p.count == 11 for p in packets[:-1])
        assert {p.period_us for p in packets} == {10_000}
        t0 = np.array([p.t0_raw for p in packets], dtype=np.int64)
        counts = np.array([p.count for p in packets])
        assert np.array_equal(np.diff(t0), counts[:-1] * 10_000)
        acc = np.concatenate([p.physical()[0] for p in packets])
        gyr = np.concatenate([p.physical()[1] for p in packets])
        acc_lsb, gyr_lsb = acc_scale_mps2_per_lsb(1), gyro_scale_rads_per_lsb(1)
        assert np.abs(acc - block.acc_mps2).max() <= acc_lsb / 2 + 1e-12
        assert np.abs(gyr - block.gyr_rads).max() <= gyr_lsb / 2 + 1e-12
        print(
            f"\naccelerated replay: {figures['packets_per_s']:.0f} notifications/s, "
            f"{figures['samples_per_s']:.0f} samples/s"
        )

    run(body)


def test_rate_change_while_streaming() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=50.0) as (air, sensor),
            connected(air, sensor) as client,
        ):
            imu = ImuCollector()
            await client.start_notify(Uuids.IMU_DATA, imu)
            control = await ControlChannel(client).open()
            await control.request(StartStreaming())
            await imu.until(200)
            assert (await control.request(SetRate(50))).result is ResultCode.SUCCESS
            before = len(imu.packets)
            await imu.until(imu.samples + 100)
            config = (await control.request(GetConfig())).reply
            assert config == ConfigReply(50, 1, 1, 1, 19)
            assert (await control.request(StopStreaming())).result is ResultCode.SUCCESS
        old, new = imu.packets[:before], imu.packets[before:]
        assert {p.period_us for p in old} == {10_000}
        changed = next(i for i, p in enumerate(new) if p.period_us == 20_000)
        assert all(p.period_us == 20_000 for p in new[changed:])
        # Samples are equally spaced within a rate; the new rate starts one period on.
        last_old = new[changed - 1] if changed else old[-1]
        first_new = new[changed]
        assert last_old.period_us is not None
        end_old = last_old.t0_raw + (last_old.count - 1) * last_old.period_us
        assert first_new.t0_raw == end_old + 20_000
        assert [p.sequence for p in imu.packets] == list(range(len(imu.packets)))

    run(body)


def test_haptic_pulse_and_time_sync_reach_the_sensor() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor), connected(air, sensor) as client:
            control = await ControlChannel(client).open()
            pulse = HapticPulse(int(HapticPattern.DOUBLE), 80, 250)
            assert (await control.request(pulse)).result is ResultCode.SUCCESS
            # The pattern is still running: a second request is BUSY (§7.1).
            assert (await control.request(pulse)).result is ResultCode.BUSY
            sync = await control.request(TimeSync(1_234_567))
            assert sync.result is ResultCode.SUCCESS
            assert isinstance(sync.reply, TimeSyncReply)
            status = decode_status(await client.read_gatt_char(Uuids.STATUS))
            assert status.flags & StatusFlags.TIME_SYNCED
        (haptic,) = sensor.firmware.haptics
        assert (haptic.pattern, haptic.intensity_pct, haptic.duration_ms) == (
            HapticPattern.DOUBLE,
            80,
            250,
        )
        (synced,) = sensor.firmware.time_syncs
        assert synced.host_time_us == 1_234_567
        assert synced.device_time_us == sync.reply.device_time_us

    run(body)


def test_malformed_control_writes_get_the_spec_result_and_the_sensor_keeps_working() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor), connected(air, sensor) as client:
            control = await ControlChannel(client).open()
            good = bytes.fromhex("14030a6400")  # SET_RATE 100, token 10, CRC missing
            bad_crc = await control.write_raw(good + b"\x00\x00")
            assert (bad_crc.opcode, bad_crc.token) == (0x03, 0x0A)
            assert bad_crc.result is ResultCode.MALFORMED_REQUEST
            short = await control.write_raw(b"\x14")
            assert (short.opcode, short.token, short.result) == (
                0,
                0,
                ResultCode.MALFORMED_REQUEST,
            )
            invalid = await control.request(SetRate(60))
            assert invalid.result is ResultCode.INVALID_PARAMETER
            config = await control.request(GetConfig())
            assert config.result is ResultCode.SUCCESS
            assert config.reply == ConfigReply(100, 1, 1, 0, 19)
        assert [e.response.result for e in sensor.firmware.exchanges] == [
            ResultCode.MALFORMED_REQUEST,
            ResultCode.MALFORMED_REQUEST,
            ResultCode.INVALID_PARAMETER,
            ResultCode.SUCCESS,
        ]

    run(body)


def test_unknown_opcode_is_answered_opcode_not_supported() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor), connected(air, sensor) as client:
            control = await ControlChannel(client).open()
            body_bytes = bytes([0x14, 0x7E, 0x05])
            crc = crc16_ccitt_false(body_bytes).to_bytes(2, "little")
            response = await control.write_raw(body_bytes + crc)
            assert (response.opcode, response.token) == (0x7E, 0x05)
            assert response.result is ResultCode.OPCODE_NOT_SUPPORTED

    run(body)


def test_writes_the_sensor_rejects_raise_gatt_protocol_error() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor), connected(air, sensor) as client:
            request = bytes.fromhex("14080179c7")  # GET_CONFIG; indications not enabled
            with pytest.raises(BleakGATTProtocolError) as rejected:
                await client.write_gatt_char(Uuids.CONTROL_POINT, request, response=True)
            assert rejected.value.code == 0xFD  # CCCD improperly configured
            with pytest.raises(BleakGATTProtocolError) as read_only:
                await client.write_gatt_char(Uuids.FEATURES, b"\x00", response=True)
            assert read_only.value.code == 0x03  # write not permitted
            assert client.is_connected
            assert (await client.read_gatt_char(Uuids.BATTERY_LEVEL)) == bytes([87])

    run(body)


def test_disconnected_callback_on_sensor_hangup_only() -> None:
    async def body() -> None:
        async with sensor_on_air() as (air, sensor):
            calls: list[BleakClient] = []
            device = await find(air, sensor.name)
            client = BleakClient(
                device,
                disconnected_callback=calls.append,
                backend=BumbleClient,
                air=air,
            )
            await client.connect()
            await sensor.disconnect(readvertise_after_s=0.0)
            async with asyncio.timeout(5.0):
                while client.is_connected:
                    await asyncio.sleep(0.01)
            assert calls == [client]
            # The sensor advertises again: connect anew, then hang up ourselves.
            await client.connect()
            assert client.is_connected
            assert sensor.connections == 2
            await client.disconnect()
            assert not client.is_connected
            assert calls == [client]

    run(body)


def test_default_mtu_gives_compact_packets() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=20.0) as (air, sensor),
            connected(air, sensor, mtu=23) as client,
        ):
            assert client.mtu_size == 23
            imu = ImuCollector()
            await client.start_notify(Uuids.IMU_DATA, imu)
            control = await ControlChannel(client).open()
            config = await control.request(GetConfig())
            assert isinstance(config.reply, ConfigReply)
            assert config.reply.block_samples == 0
            await control.request(StartStreaming())
            await imu.until(50)
        assert {p.packet_type for p in imu.packets} == {PacketType.IMU_COMPACT}
        assert [p.sequence for p in imu.packets] == list(range(len(imu.packets)))

    run(body)


def test_link_faults_are_counted_by_the_stream_decoder() -> None:
    async def body() -> None:
        async with (
            sensor_on_air(speed=100.0) as (air, sensor),
            connected(air, sensor) as client,
        ):
            raw: list[bytes] = []
            await client.start_notify(Uuids.IMU_DATA, lambda _, d: raw.append(bytes(d)))
            control = await ControlChannel(client).open()
            await control.request(StartStreaming())
            async with asyncio.timeout(10.0):
                while len(raw) < 3:
                    await asyncio.sleep(0.005)
                sensor.faults.drop_next = 2
                sensor.faults.corrupt_next = 1
                sensor.faults.duplicate_next = 1
                sensor.faults.reorder_next = 1
                while len(raw) < 20:
                    await asyncio.sleep(0.005)
        decoder = StreamDecoder()
        for i, data in enumerate(raw):
            with contextlib.suppress(ProtocolError):
                decoder.feed(data, host_time_s=float(i))
        errors = decoder.stats.errors
        assert errors["bad_crc"] == 1
        assert errors["duplicate"] == 1
        assert errors["out_of_order"] == 1
        assert decoder.stats.lost_packets >= 2
        assert sensor.faults.applied == {"drop": 2, "corrupt": 1, "duplicate": 1, "reorder": 1}

    run(body)
