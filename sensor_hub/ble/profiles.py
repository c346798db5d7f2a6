"""The GATT choreography of each third-party IMU the link can drive (docs/devices.md).

:class:`SensorLink` speaks our protocol by default; given a ``kind`` of
:data:`sensor_hub.ble.discovery.KINDS` other than ``ops`` it asks the matching
:class:`DeviceProfile` here what to subscribe to, which start and rate commands to write, and
which stream adapter of :mod:`sensor_hub.devices` turns the notifications into
:class:`~sensor_hub.samples.SampleBlock` (in body axes, host time).  The bytes come from the
pure device modules; this module only orders the reads, writes and subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from sensor_hub.devices import (
    LOWER_BACK_AXES,
    DeviceStreamStats,
    DotStream,
    ThingyRawStream,
    WitMotionStream,
    movella_dot,
    thingy52,
    witmotion,
)
from sensor_hub.samples import SampleBlock

__all__ = ["PROFILES", "DeviceProfile", "DeviceStream", "DotProfile", "ThingyProfile"]

NotifyHandler = Callable[[BleakGATTCharacteristic, bytearray], None]

#: The standard Battery Level characteristic (Battery Service 0x180F).
_BATTERY_LEVEL: Final = "00002a19-0000-1000-8000-00805f9b34fb"


class DeviceStream(Protocol):
    """A device stream adapter of :mod:`sensor_hub.devices`, as the link uses it."""

    @property
    def stats(self) -> DeviceStreamStats: ...

    def feed(self, data: bytes, host_time_s: float, /) -> SampleBlock | None: ...


def _nearest(rates: tuple[int, ...], requested: int) -> int:
    """The supported rate closest to ``requested`` (the higher one on a tie)."""
    return min(rates, key=lambda r: (abs(r - requested), -r))


def _has(client: BleakClient, uuid: str, prop: str) -> bool:
    char = client.services.get_characteristic(uuid)
    return char is not None and prop in char.properties


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """One device kind: what identifies it, its rates, and how to start and stop it.

    Attributes:
        kind: the key of :data:`sensor_hub.ble.discovery.KINDS`.
        service_uuids: advertised services that identify it (scan filter).
        name_prefixes: advertised name prefixes that identify it.
        rates_hz: the output rates it can be set to (the link asks for the nearest).
        restartable: it has a start command the watchdog can re-send.
    """

    kind: str
    service_uuids: tuple[str, ...]
    name_prefixes: tuple[str, ...]
    rates_hz: tuple[int, ...]
    restartable: bool = False

    @property
    def default_axes(self) -> str:
        """The recommended lower-back mapping (:data:`sensor_hub.devices.LOWER_BACK_AXES`)."""
        return LOWER_BACK_AXES[self.kind]

    def rate_for(self, requested_hz: int) -> int:
        """The rate the device is set to when the link is configured for ``requested_hz``."""
        return _nearest(self.rates_hz, requested_hz)

    def new_stream(self, axes: str, rate_hz: int) -> DeviceStream:
        """The stream adapter (one per link: it lives across reconnections)."""
        raise NotImplementedError

    async def start(
        self, client: BleakClient, stream: DeviceStream, rate_hz: int, on_data: NotifyHandler
    ) -> None:
        """Set the rate, subscribe ``on_data`` to the sample notifications, start streaming."""
        raise NotImplementedError

    async def restart(self, client: BleakClient, stream: DeviceStream) -> None:
        """Re-send the start command (only where :attr:`restartable`)."""
        del client, stream

    async def read_battery(self, client: BleakClient) -> int | None:
        """The battery level (%), from the standard Battery Service where the device has one
        (the Thingy:52 does; the WitMotion's battery register is undocumented): ``None``."""
        if client.services.get_characteristic(_BATTERY_LEVEL) is None:
            return None
        data = await client.read_gatt_char(_BATTERY_LEVEL)
        return int(data[0]) if data and data[0] <= 100 else None

    async def stop(self, client: BleakClient, stream: DeviceStream) -> None:
        """Stop streaming and unsubscribe (errors are the caller's to suppress)."""
        raise NotImplementedError


class WitMotionProfile(DeviceProfile):
    """WT901BLE: rate by register write (unlock, rate); streams while notifications are on.
    Some firmwares swap the notify and write roles: the one with ``notify`` is subscribed."""

    def _roles(self, client: BleakClient) -> tuple[str, str]:
        notify, write = witmotion.Uuids.NOTIFY, witmotion.Uuids.WRITE
        if not _has(client, notify, "notify") and _has(client, write, "notify"):
            notify, write = write, notify
        return notify, write

    def new_stream(self, axes: str, rate_hz: int) -> DeviceStream:
        return WitMotionStream(axes, rate_hz=rate_hz)

    async def start(
        self, client: BleakClient, stream: DeviceStream, rate_hz: int, on_data: NotifyHandler
    ) -> None:
        del stream
        notify, write = self._roles(client)
        response = _has(client, write, "write")
        for command in witmotion.set_rate_commands(rate_hz):
            await client.write_gatt_char(write, command, response=response)
        await client.start_notify(notify, on_data)

    async def stop(self, client: BleakClient, stream: DeviceStream) -> None:
        del stream
        await client.stop_notify(self._roles(client)[0])


class DotProfile(DeviceProfile):
    """Movella DOT: rate by device-control read-modify-write; subscribe to the mode's payload
    characteristic, then the start command (custom mode 5: quaternion, acc, rate)."""

    mode: Final = movella_dot.PayloadMode.CUSTOM_5

    def new_stream(self, axes: str, rate_hz: int) -> DeviceStream:
        return DotStream(self.mode, axes, rate_hz=rate_hz)

    async def start(
        self, client: BleakClient, stream: DeviceStream, rate_hz: int, on_data: NotifyHandler
    ) -> None:
        control = movella_dot.Uuids.DEVICE_CONTROL
        current = await client.read_gatt_char(control)
        command = movella_dot.set_output_rate_command(current, rate_hz)
        await client.write_gatt_char(control, command, response=True)
        await client.start_notify(movella_dot.PAYLOADS[self.mode].characteristic, on_data)
        await self.restart(client, stream)

    async def restart(self, client: BleakClient, stream: DeviceStream) -> None:
        del stream
        await client.write_gatt_char(
            movella_dot.Uuids.MEASUREMENT_CONTROL,
            movella_dot.start_streaming_command(self.mode),
            response=True,
        )

    async def read_battery(self, client: BleakClient) -> int | None:
        """The DOT's own battery characteristic (``[level %, charging]``)."""
        battery = movella_dot.decode_battery(await client.read_gatt_char(movella_dot.Uuids.BATTERY))
        return battery.level_pct if battery.level_pct <= 100 else None

    async def stop(self, client: BleakClient, stream: DeviceStream) -> None:
        del stream
        await client.write_gatt_char(
            movella_dot.Uuids.MEASUREMENT_CONTROL,
            movella_dot.stop_streaming_command(self.mode),
            response=True,
        )
        await client.stop_notify(movella_dot.PAYLOADS[self.mode].characteristic)


class ThingyProfile(DeviceProfile):
    """Thingy:52: motion rate by configuration read-modify-write; the raw motion
    characteristic streams while its notifications are on (no start bytes)."""

    def new_stream(self, axes: str, rate_hz: int) -> DeviceStream:
        return ThingyRawStream(axes, rate_hz=rate_hz)

    def rate_for(self, requested_hz: int) -> int:
        low, high = thingy52.MOTION_RATE_RANGE_HZ
        return max(low, min(high, requested_hz))

    async def start(
        self, client: BleakClient, stream: DeviceStream, rate_hz: int, on_data: NotifyHandler
    ) -> None:
        del stream
        config = thingy52.Uuids.MOTION_CONFIG
        current = await client.read_gatt_char(config)
        await client.write_gatt_char(
            config, thingy52.set_rate_command(current, rate_hz), response=True
        )
        await client.start_notify(thingy52.Uuids.RAW, on_data)

    async def stop(self, client: BleakClient, stream: DeviceStream) -> None:
        del stream
        await client.stop_notify(thingy52.Uuids.RAW)


#: Device kind -> its profile (the kinds of :data:`sensor_hub.ble.discovery.KINDS` but ``ops``).
PROFILES: Final[dict[str, DeviceProfile]] = {
    "witmotion": WitMotionProfile(
        "witmotion",
        (witmotion.Uuids.SERVICE,),
        (witmotion.NAME_PREFIX,),
        tuple(witmotion.RATE_CODES),
    ),
    "movella_dot": DotProfile(
        "movella_dot",
        (movella_dot.Uuids.MEASUREMENT_SERVICE, movella_dot.Uuids.CONFIGURATION_SERVICE),
        movella_dot.ADVERTISED_NAMES,
        movella_dot.OUTPUT_RATES_HZ,
        restartable=True,
    ),
    "thingy52": ThingyProfile(
        "thingy52",
        (thingy52.Uuids.MOTION_SERVICE,),
        ("Thingy",),
        thingy52.MOTION_RATE_RANGE_HZ,
    ),
}
