"""The sensor's GATT profile (PROTOCOL.md §3) and advertising data (§2), as Bumble objects.

Bumble's GATT server does not enforce permissions, so every characteristic here has callbacks
that raise the ATT error a real sensor would send (READ/WRITE_NOT_PERMITTED) for the operations
its properties do not offer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection

from firmware_protocol import Uuids
from sensor_hub import __version__

__all__ = ["SensorIdentity", "SensorProfile", "advertising_payloads"]

Props = gatt.Characteristic.Properties
_ANY_ACCESS: Final = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE
#: TX power we advertise, dBm (a typical wearable's 0 dBm).
TX_POWER_DBM: Final = 0
_FLAGS: Final = bytes([0x06])  # LE General Discoverable, BR/EDR not supported

ReadFn = Callable[[Connection], bytes]
WriteFn = Callable[[Connection, bytes], None]


@dataclass(frozen=True, slots=True)
class SensorIdentity:
    """Device Information strings (SIG 0x180A)."""

    manufacturer_name: str = "posture-hub"
    model_number: str = "OPS-1 virtual"
    serial_number: str = "VIRTUAL-0001"
    firmware_revision: str = field(default=f"virtual {__version__}")
    hardware_revision: str = "virtual"


def _not_readable(connection: Connection) -> bytes:
    del connection
    raise att.ATT_Error(att.ErrorCode.READ_NOT_PERMITTED)


def _not_writable(connection: Connection, value: bytes) -> None:
    del connection, value
    raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)


def _characteristic(
    uuid: str,
    properties: Props,
    read: ReadFn = _not_readable,
    write: WriteFn = _not_writable,
) -> gatt.Characteristic[bytes]:
    return gatt.Characteristic(
        uuid, properties, _ANY_ACCESS, gatt.CharacteristicValue(read=read, write=write)
    )


def _constant(value: bytes) -> ReadFn:
    def read(connection: Connection) -> bytes:
        del connection
        return value

    return read


class SensorProfile:
    """The three services; the characteristics' values come from the given callbacks."""

    def __init__(
        self,
        *,
        identity: SensorIdentity,
        read_status: ReadFn,
        read_features: ReadFn,
        read_battery: ReadFn,
        write_control: WriteFn,
    ) -> None:
        self.imu_data = _characteristic(Uuids.IMU_DATA, Props.NOTIFY)
        self.status = _characteristic(Uuids.STATUS, Props.READ | Props.NOTIFY, read_status)
        self.control_point = _characteristic(
            Uuids.CONTROL_POINT, Props.WRITE | Props.INDICATE, write=write_control
        )
        self.features = _characteristic(Uuids.FEATURES, Props.READ, read_features)
        self.battery_level = _characteristic(
            Uuids.BATTERY_LEVEL, Props.READ | Props.NOTIFY, read_battery
        )
        info = (
            (Uuids.MANUFACTURER_NAME, identity.manufacturer_name),
            (Uuids.MODEL_NUMBER, identity.model_number),
            (Uuids.SERIAL_NUMBER, identity.serial_number),
            (Uuids.FIRMWARE_REVISION, identity.firmware_revision),
            (Uuids.HARDWARE_REVISION, identity.hardware_revision),
        )
        self.services = [
            gatt.Service(
                Uuids.POSTURE_SERVICE,
                [self.imu_data, self.status, self.control_point, self.features],
            ),
            gatt.Service(
                Uuids.DEVICE_INFORMATION_SERVICE,
                [
                    _characteristic(uuid, Props.READ, _constant(text.encode()))
                    for uuid, text in info
                ],
            ),
            gatt.Service(Uuids.BATTERY_SERVICE, [self.battery_level]),
        ]


def advertising_payloads(name: str, *, name_in_scan_response: bool) -> tuple[bytes, bytes]:
    """(advertising data, scan response data) of §2.

    Flags (3 bytes) + the 128-bit service UUID (18) + TX power (3) + ``OPS-XXXX`` (10) is 34
    bytes, over the 31 of a legacy advertising PDU: on a real controller the name goes in the
    scan response.  Bumble's virtual controller (0.0.236) never delivers scan responses (it
    reports the advertising data twice) but accepts longer data, so on the virtual link
    everything goes in the advertising data.
    """
    service = (
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        UUID(Uuids.POSTURE_SERVICE).to_bytes(),
    )
    tx_power = (AdvertisingData.TX_POWER_LEVEL, TX_POWER_DBM.to_bytes(1, "little", signed=True))
    local_name = (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode())
    flags = (AdvertisingData.FLAGS, _FLAGS)
    if name_in_scan_response:
        return (
            bytes(AdvertisingData([flags, service, tx_power])),
            bytes(AdvertisingData([local_name])),
        )
    return bytes(AdvertisingData([flags, local_name, service, tx_power])), b""
