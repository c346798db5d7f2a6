"""A bleak backend over Bumble's in-process virtual link: no radio, the real bleak API.

``BleakScanner(backend=BumbleScanner, air=air)`` and ``BleakClient(device, backend=BumbleClient,
air=air)`` talk to the virtual sensors of a :class:`~sensor_hub.ble.air.VirtualAir` through one
shared Bumble central (the "hub adapter").  bleak forwards the ``air`` keyword argument (and
``mtu``: the ATT_MTU the client requests, default 247; 23 skips the exchange) to these classes.
For call sites typed with bleak's ``ExtraArgs`` (``BleakScanner.discover``...), use
:func:`scanner_backend` / :func:`client_backend`, which bind an air to a subclass.

Behaviour follows bleak's contract: ``connect()`` fills ``services`` (lower-case 128-bit UUIDs),
ATT errors raise :class:`~bleak.exc.BleakGATTProtocolError`, the disconnected callback runs only
on unsolicited disconnections, a GATT operation cut by a disconnection raises
:class:`~bleak.exc.BleakError`, a connection that does not happen within ``timeout`` raises
:class:`TimeoutError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal, TypeVar

from bleak.args import SizedBuffer
from bleak.assigned_numbers import gatt_char_props_to_strs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy
from bumble.hci import Address

from sensor_hub.ble.air import VirtualAir

__all__ = ["DEFAULT_MTU", "BumbleClient", "BumbleScanner", "client_backend", "scanner_backend"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: ATT_MTU the client asks for by default (PROTOCOL.md §3: the hub requests 247).
DEFAULT_MTU: Final = 247


def _uuid_str(value: UUID) -> str:
    """A Bumble UUID as bleak spells UUIDs: 128-bit, lower case, dashed."""
    return str(uuid.UUID(bytes=value.to_bytes(force_128=True)[::-1]))


def _require_air(air: object, who: str) -> VirtualAir:
    if not isinstance(air, VirtualAir):
        raise BleakError(
            f"{who} needs the keyword argument air=VirtualAir(...) (the virtual link to use)"
        )
    return air


def _advertisement_data(advertisement: Advertisement) -> AdvertisementData:
    data: AdvertisingData = advertisement.data
    names = data.get_all(AdvertisingData.COMPLETE_LOCAL_NAME) or data.get_all(
        AdvertisingData.SHORTENED_LOCAL_NAME
    )
    ad = AdvertisingData
    uuid_lists = [
        *data.get_all(ad.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(ad.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(ad.COMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(ad.INCOMPLETE_LIST_OF_32_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(ad.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS),
        *data.get_all(ad.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS),
    ]
    service_uuids = [_uuid_str(u) for uuids in uuid_lists for u in uuids]
    service_data = {
        _uuid_str(service_uuid): bytes(payload)
        for service_uuid, payload in (
            *data.get_all(ad.SERVICE_DATA_16_BIT_UUID),
            *data.get_all(ad.SERVICE_DATA_32_BIT_UUID),
            *data.get_all(ad.SERVICE_DATA_128_BIT_UUID),
        )
    }
    manufacturer_data = {
        company: bytes(payload)
        for company, payload in data.get_all(AdvertisingData.MANUFACTURER_SPECIFIC_DATA)
    }
    tx_powers = data.get_all(AdvertisingData.TX_POWER_LEVEL)
    return AdvertisementData(
        local_name=names[0] if names else None,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=list(dict.fromkeys(service_uuids)),  # the accumulator repeats them
        tx_power=tx_powers[0] if tx_powers else None,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
    )


class BumbleScanner(BaseBleakScanner):
    """bleak scanner backend over a :class:`VirtualAir` (keyword argument ``air``)."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        *,
        air: VirtualAir | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        del scanning_mode, kwargs  # the virtual link always answers like an active scan
        self._air = _require_air(air, type(self).__name__)
        self._scanning = False

    async def start(self) -> None:
        """Start scanning (clears :attr:`seen_devices`)."""
        if self._scanning:
            return
        self.seen_devices = {}
        hub = await self._air.acquire_scanning()
        hub.on("advertisement", self._on_advertisement)
        self._scanning = True

    async def stop(self) -> None:
        """Stop scanning."""
        if not self._scanning:
            return
        self._scanning = False
        hub = await self._air.hub_device()
        hub.remove_listener("advertisement", self._on_advertisement)
        await self._air.release_scanning()

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = _advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = str(advertisement.address).removesuffix("/P")
        device = self.create_or_update_device(address, address, adv.local_name, address, adv)
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    """bleak client backend over a :class:`VirtualAir` (keyword arguments ``air``, ``mtu``)."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 30.0,
        services: set[str] | None = None,
        air: VirtualAir | None = None,
        mtu: int = DEFAULT_MTU,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        del kwargs  # bluez=, winrt=: other backends' options
        self._air = _require_air(air, type(self).__name__)
        self._device_name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._requested_mtu = mtu
        self._service_filter = services
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._disconnecting = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}

    # -- connection -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The advertised name when known, else the address."""
        return self._device_name or self.address

    @property
    def mtu_size(self) -> int:
        """The negotiated ATT_MTU."""
        connection = self._connection
        return connection.att_mtu if connection is not None else att.ATT_DEFAULT_MTU

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Connect, exchange the MTU, discover the services."""
        del kwargs
        if self._connection is not None:
            return
        hub = await self._air.hub_device()
        async with self._air.connect_lock:
            connection = await self._create_connection(hub)
        self._connection = connection
        self._peer = Peer(connection)
        self._disconnecting = False
        self._subscribers.clear()
        connection.on("disconnection", self._on_disconnection)
        try:
            if self._requested_mtu > att.ATT_DEFAULT_MTU:
                await self._gatt(self._peer.request_mtu(self._requested_mtu))
            self.services = await self._discover(self._peer)
            if pair:
                await self.pair()
        except BaseException:
            await self.disconnect()
            raise

    async def _create_connection(self, hub: Device) -> Connection:
        """Connect within ``timeout``; on expiry cancel the pending connection, then raise
        :class:`TimeoutError` (the controller is ready for the next attempt).

        The timeout is ours, not Bumble's: Bumble answers its own timeout with LE Create
        Connection Cancel and then waits for the controller's Connection Complete, which
        Bumble's virtual controller never sends (its cancel is a no-op that leaves the
        connection pending, so the next attempt got COMMAND_DISALLOWED).
        """
        address = Address(self.address)
        before = set(hub.connections)
        try:
            async with asyncio.timeout(self._timeout):
                return await hub.connect(address, timeout=None)
        except TimeoutError:
            pass
        except core.BaseBumbleError as exc:
            raise BleakError(f"connection to {self.address} failed: {exc}") from exc
        await self._cancel_pending_connection(hub, address, before)
        raise TimeoutError(f"no connection to {self.address} in {self._timeout} s")

    async def _cancel_pending_connection(
        self, hub: Device, address: Address, before: set[int]
    ) -> None:
        try:
            await hub.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command())
        except core.BaseBumbleError as exc:  # nothing pending any more (a real controller)
            log.debug("%s: connection cancel: %s", self.address, exc)
        for controller in self._air.link.controllers:
            if controller.host is hub.host and controller.pending_le_connection is not None:
                # What a controller does on LE Create Connection Cancel (Vol 4, Part E,
                # 7.8.13) and Bumble's virtual one does not: drop the pending connection.
                controller.pending_le_connection = None
        # The connection may have completed just as the timeout expired: do not leak it.
        for handle, connection in list(hub.connections.items()):
            if handle not in before and (
                connection.peer_address.to_string(False) == address.to_string(False)
            ):
                with contextlib.suppress(core.BaseBumbleError):
                    await connection.disconnect()

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in await self._gatt(peer.discover_services()):
            service_uuid = _uuid_str(service.uuid)
            if self._service_filter is not None and service_uuid not in self._service_filter:
                continue
            bleak_service = BleakGATTService(service, service.handle, service_uuid)
            collection.add_service(bleak_service)
            for characteristic in await self._gatt(service.discover_characteristics()):
                bleak_char = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    _uuid_str(characteristic.uuid),
                    sorted(gatt_char_props_to_strs(int(characteristic.properties))),
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for descriptor in await self._gatt(characteristic.discover_descriptors()):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            _uuid_str(descriptor.type),
                            bleak_char,
                        )
                    )
        return collection

    def _on_disconnection(self, reason: int) -> None:
        solicited = self._disconnecting
        self._connection = None
        self._peer = None
        self._subscribers.clear()
        log.debug("%s: disconnected (reason 0x%02x, solicited=%s)", self.address, reason, solicited)
        if not solicited and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        """Disconnect (does not call the disconnected callback)."""
        connection = self._connection
        if connection is None:
            return
        self._disconnecting = True
        try:
            await connection.disconnect()
        except core.BaseBumbleError as exc:
            log.debug("%s: disconnect: %s", self.address, exc)
        finally:
            if self._connection is connection:  # no disconnection event came
                self._on_disconnection(0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """The virtual sensor needs no pairing (no encrypted characteristics): accepted as a
        no-op while connected, like an already-paired device."""
        del args, kwargs
        if self._connection is None:
            raise BleakError("Not connected")

    async def unpair(self) -> None:
        """Nothing is bonded on the virtual link; unpairing disconnects (as bleak documents)."""
        await self.disconnect()

    # -- GATT -------------------------------------------------------------------------------

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def _gatt(self, operation: Awaitable[_T]) -> _T:
        """Await a Bumble GATT operation, mapping its failures to bleak's exceptions."""
        try:
            return await operation
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # our caller was cancelled
            # Bumble cancels the pending request when the link drops.
            raise BleakError(f"{self.address}: disconnected during a GATT operation") from None

    async def read_gatt_char(
        self,
        characteristic: BleakGATTCharacteristic,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        """Read a characteristic's value."""
        del kwargs
        peer = self._require_peer()
        if use_cached and (cached := peer.gatt_client.cached_values.get(characteristic.handle)):
            return bytearray(cached[1])
        return bytearray(await self._gatt(peer.read_value(characteristic.handle)))

    async def read_gatt_descriptor(
        self,
        descriptor: BleakGATTDescriptor,
        *,
        use_cached: bool = False,
        **kwargs: Any,
    ) -> bytearray:
        """Read a descriptor's value."""
        del use_cached, kwargs
        peer = self._require_peer()
        return bytearray(await self._gatt(peer.read_value(descriptor.handle)))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write a characteristic (with response: ATT errors raise)."""
        peer = self._require_peer()
        await self._gatt(
            peer.write_value(characteristic.handle, bytes(data), with_response=response)
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor."""
        peer = self._require_peer()
        await self._gatt(peer.write_value(descriptor.handle, bytes(data), with_response=True))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Enable notifications (or indications, when that is all it offers)."""
        del kwargs
        peer = self._require_peer()
        proxy = characteristic.obj
        if not isinstance(proxy, CharacteristicProxy):
            raise BleakError(f"{characteristic} is not a characteristic of this connection")

        def subscriber(value: bytes) -> None:
            try:
                callback(bytearray(value))
            except Exception:
                log.exception("%s: notification callback failed", self.address)

        self._subscribers[characteristic.handle] = subscriber
        await self._gatt(peer.subscribe(proxy, subscriber, prefer_notify=True))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Disable notifications/indications."""
        peer = self._require_peer()
        proxy = characteristic.obj
        if not isinstance(proxy, CharacteristicProxy):
            raise BleakError(f"{characteristic} is not a characteristic of this connection")
        self._subscribers.pop(characteristic.handle, None)
        await self._gatt(peer.unsubscribe(proxy))


def scanner_backend(air: VirtualAir) -> type[BumbleScanner]:
    """A :class:`BumbleScanner` subclass bound to ``air`` (for bleak's typed ``ExtraArgs``)."""

    class BoundBumbleScanner(BumbleScanner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("air", air)
            super().__init__(*args, **kwargs)

    return BoundBumbleScanner


def client_backend(air: VirtualAir, *, mtu: int = DEFAULT_MTU) -> type[BumbleClient]:
    """A :class:`BumbleClient` subclass bound to ``air`` (and ``mtu``)."""

    class BoundBumbleClient(BumbleClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("air", air)
            kwargs.setdefault("mtu", mtu)
            super().__init__(*args, **kwargs)

    return BoundBumbleClient
