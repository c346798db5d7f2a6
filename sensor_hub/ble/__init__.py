"""The hub's BLE layer.

:mod:`.air` is the in-process virtual radio (Bumble's ``LocalLink``) shared by virtual sensors
and :mod:`.bumble_backend`, the bleak backend over it, with which tests and the demo drive the
real bleak API without a radio.  See ``docs/virtual-sensor.md``.
"""

from sensor_hub.ble.air import VirtualAir
from sensor_hub.ble.bumble_backend import (
    BumbleClient,
    BumbleScanner,
    client_backend,
    scanner_backend,
)

__all__ = ["BumbleClient", "BumbleScanner", "VirtualAir", "client_backend", "scanner_backend"]
