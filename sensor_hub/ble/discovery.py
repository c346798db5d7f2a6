"""Scanning for sensors, and telling ours from the third-party IMUs we support.

:func:`device_kind` is pure (a name and service UUIDs in, a kind out); :func:`scan` runs one
bleak scan.  :class:`RadioUnavailableError` wraps what bleak's default backend raises when
there is no Bluetooth stack to talk to (on Linux: no D-Bus socket or no BlueZ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bleak import BleakScanner
from bleak.exc import BleakError

from firmware_protocol import Uuids
from firmware_protocol.constants import ADVERTISED_NAME_PREFIX
from sensor_hub.ble.link import BleTransport
from sensor_hub.devices import movella_dot, thingy52, witmotion

__all__ = ["KINDS", "RadioUnavailableError", "ScanResult", "device_kind", "scan"]

#: Kind -> (advertised service UUIDs, advertised name prefixes) that identify it.
KINDS: Final = {
    "ops": ((Uuids.POSTURE_SERVICE,), (ADVERTISED_NAME_PREFIX,)),
    "witmotion": ((witmotion.Uuids.SERVICE,), (witmotion.NAME_PREFIX + "901",)),
    "movella_dot": (
        (movella_dot.Uuids.MEASUREMENT_SERVICE, movella_dot.Uuids.CONFIGURATION_SERVICE),
        movella_dot.ADVERTISED_NAMES,
    ),
    "thingy52": ((thingy52.Uuids.MOTION_SERVICE,), ("Thingy",)),
}
#: What ``scan`` prints for each kind.
KIND_LABELS: Final = {
    "ops": "posture sensor (OPS)",
    "witmotion": "WitMotion WT901BLE",
    "movella_dot": "Movella DOT",
    "thingy52": "Nordic Thingy:52",
}


class RadioUnavailableError(Exception):
    """No Bluetooth radio (or no BlueZ/D-Bus) to scan or connect with."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One device heard during a scan."""

    address: str
    name: str | None
    rssi_dbm: int
    kind: str | None
    service_uuids: tuple[str, ...]


def device_kind(name: str | None, service_uuids: Sequence[str]) -> str | None:
    """``ops``, a third-party kind of :data:`KINDS`, or ``None`` (not an IMU we know)."""
    uuids = {u.lower() for u in service_uuids}
    for kind, (kind_uuids, _) in KINDS.items():
        if uuids & set(kind_uuids):
            return kind
    for kind, (_, prefixes) in KINDS.items():
        if name and any(name.startswith(p) for p in prefixes):
            return kind
    return None


async def scan(transport: BleTransport | None = None, timeout_s: float = 5.0) -> list[ScanResult]:
    """Every device heard in ``timeout_s``, strongest first."""
    options: BleakScanner.ExtraArgs = {}
    if transport is not None and transport.scanner_backend is not None:
        options["backend"] = transport.scanner_backend
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **options)
    except (OSError, BleakError) as exc:
        raise RadioUnavailableError(radio_problem(exc)) from exc
    results = [
        ScanResult(
            address=device.address,
            name=adv.local_name or device.name,
            rssi_dbm=adv.rssi,
            kind=device_kind(adv.local_name or device.name, adv.service_uuids),
            service_uuids=tuple(adv.service_uuids),
        )
        for device, adv in found.values()
    ]
    return sorted(results, key=lambda r: -r.rssi_dbm)


def radio_problem(exc: BaseException) -> str:
    """One line saying why the platform's Bluetooth stack is unusable."""
    if isinstance(exc, FileNotFoundError):
        return (
            "no Bluetooth stack: the D-Bus system socket is missing (is BlueZ running?); "
            "try --virtual to use virtual sensors"
        )
    return f"Bluetooth unavailable: {type(exc).__name__}: {exc}"
